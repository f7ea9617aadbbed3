"""Parameter grids → validated configs → one batched theory computation → one Dataset.

Grid specs (one per swept key, as on the command line ``key=spec``):

=======================  ==================================================================
``start:stop:num``       ``num`` linearly spaced values from ``start`` to ``stop`` (inclusive)
``log:start:stop:num``   ``num`` log-spaced values (``start``, ``stop`` > 0)
``a,b,c``                exactly these values
``a``                    a single value: a fixed parameter, not a grid axis
=======================  ==================================================================

Integer fields (``d_out``, ``n_train``, ...) are rounded to integers and deduplicated, so
``d_out=log:1:3000:100`` gives the distinct integers of that log grid, in order.

Every value is checked through the model's ``Config`` before any computation starts, so a bad
grid fails with the same message as a bad ``groklab predict`` call, naming the key.

:func:`theory_sweep` calls the model's vectorized ``theory_grid(base_config, **axes)`` and
returns its Dataset (one coord per swept key; ``t_train``, ``t_gen``, ``delay``, the loss
plateaus and the ``never_groks`` mask) with the model id, the grid specs, the base config and
the package version in ``attrs``. Later issues add executors (process pool, Dask).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np

from groklab._config import (
    Choice,
    Integer,
    InvalidParameterError,
    Real,
    config_hash,
    unknown_name_message,
)

__all__ = [
    "GRID_FORMS",
    "is_grid_spec",
    "parse_grid",
    "split_specs",
    "sweep_id",
    "theory_sweep",
    "simulate_sweep",
    "validate_grid",
]

#: The accepted forms, quoted in every grid error message.
GRID_FORMS = (
    "start:stop:num (linear), log:start:stop:num (log-spaced), a comma list a,b,c, "
    "or a single value"
)


def is_grid_spec(spec: str) -> bool:
    """True for a spec that makes an axis (``:`` or ``,`` in it), False for a single value."""
    return ":" in spec or "," in spec


def _rule(config_cls: type, key: str):
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    if key not in fields:
        raise InvalidParameterError(unknown_name_message(key, list(fields), config_cls.__name__))
    return fields[key].metadata.get("constraint")


def _bad(key: str, spec: str, why: str) -> InvalidParameterError:
    return InvalidParameterError(
        f"Cannot read the grid {key}={spec!r}: {why}. Accepted forms: {GRID_FORMS}."
    )


def parse_grid(key: str, spec: str, config_cls: type) -> np.ndarray:
    """Parse one grid spec for field ``key`` of ``config_cls`` into a 1-D array.

    Integer fields give an ``int64`` array, rounded and deduplicated (first occurrence kept);
    real fields give ``float64``. A single value gives a one-element array.

    Raises
    ------
    InvalidParameterError
        For an unknown key, a non-numeric field, or a spec in none of the accepted forms.
    """
    rule = _rule(config_cls, key)
    if isinstance(rule, Choice) and rule.real is None:
        raise InvalidParameterError(
            f"The {key!r} parameter of {config_cls.__name__} ({rule.describe()}) cannot be "
            f"swept: only numeric parameters take grids. Give it as a single value, e.g. "
            f"{key}={rule.options[0]}."
        )
    text = spec.strip()
    if not text:
        raise _bad(key, spec, "it is empty")

    def number(tok: str) -> float:
        try:
            value = float(tok)
        except ValueError:
            raise _bad(key, spec, f"{tok.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise _bad(key, spec, f"{tok.strip()!r} is not a finite number")
        return value

    def count(tok: str) -> int:
        try:
            n = int(tok)
        except ValueError:
            n = 0
        if n < 1:
            raise _bad(key, spec, f"the number of points {tok.strip()!r} must be an integer ≥ 1")
        return n

    if ":" in text:
        parts = text.split(":")
        if parts[0].strip().lower() == "log":
            if len(parts) != 4:
                raise _bad(key, spec, "a log grid has the form log:start:stop:num")
            start, stop, num = number(parts[1]), number(parts[2]), count(parts[3])
            if start <= 0 or stop <= 0:
                raise _bad(key, spec, "a log grid needs start > 0 and stop > 0")
            values = np.geomspace(start, stop, num)
        else:
            if len(parts) != 3:
                raise _bad(key, spec, "a linear grid has the form start:stop:num")
            start, stop, num = number(parts[0]), number(parts[1]), count(parts[2])
            values = np.linspace(start, stop, num)
    elif "," in text:
        toks = [tok for tok in text.split(",")]
        if any(not tok.strip() for tok in toks):
            raise _bad(key, spec, "the comma list has an empty entry")
        values = np.array([number(tok) for tok in toks], dtype=float)
    else:
        values = np.array([number(text)], dtype=float)

    if isinstance(rule, Integer):
        rounded = np.rint(values).astype(np.int64)
        return np.array(list(dict.fromkeys(rounded.tolist())), dtype=np.int64)
    return values.astype(np.float64)


def split_specs(
    config_cls: type, pairs: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """Split ``key -> spec`` pairs into fixed values (kept as text) and parsed grid axes."""
    base: dict[str, str] = {}
    axes: dict[str, np.ndarray] = {}
    for key, spec in pairs.items():
        if is_grid_spec(spec):
            axes[key] = parse_grid(key, spec, config_cls)
        else:
            _rule(config_cls, key)  # unknown keys fail here, naming the key
            base[key] = spec
    return base, axes


def _python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def validate_grid(base_config, axes: Mapping[str, np.ndarray]) -> None:
    """Check every grid value, and every corner of the grid, through the model's ``Config``.

    Each value is validated on its own (field constraints), then each corner of the grid
    (every combination of each axis' first and last values; at most 2**len(axes) configs) for
    cross-field checks such as the GD stability bound.
    """
    cls = type(base_config)
    for key, values in axes.items():
        rule = _rule(cls, key)
        values = np.asarray(values)
        if values.ndim != 1 or values.size == 0:
            raise InvalidParameterError(
                f"The grid for {key!r} must be a non-empty 1-D array; got shape {values.shape}."
            )
        if isinstance(rule, Real | Integer | Choice):
            for v in values:
                if not rule.holds(_python(v)):
                    raise InvalidParameterError(
                        f"The {key!r} parameter of {cls.__name__} must be {rule.describe()}. "
                        f"Got {_python(v)!r} in its grid instead."
                    )
    ends = [(key, sorted({_python(v[0]), _python(v[-1])})) for key, v in axes.items()]
    for corner in itertools.product(*(vals for _, vals in ends)):
        changes = {key: value for (key, _), value in zip(ends, corner, strict=True)}
        try:
            base_config.replace(**changes)
        except InvalidParameterError as exc:
            where = ", ".join(f"{k}={v!r}" for k, v in changes.items())
            raise InvalidParameterError(f"The grid corner {where} is invalid: {exc}") from None


def _model_module(model: ModuleType | str) -> ModuleType:
    if isinstance(model, str):
        from groklab.models.registry import get_model

        return get_model(model)
    return model


def sweep_id(model_id: str, base_config, axes: Mapping[str, np.ndarray], mode: str) -> str:
    """A short stable hash of a sweep (model, mode, base config and grid values)."""
    return config_hash(
        {
            "model": model_id,
            "mode": mode,
            "config": base_config.to_dict(),
            "axes": {k: np.asarray(v).tolist() for k, v in axes.items()},
        }
    )


def theory_sweep(
    model: ModuleType | str,
    base_pairs: Mapping[str, str],
    axes: Mapping[str, np.ndarray],
    *,
    specs: Mapping[str, str] | None = None,
):
    """Evaluate the theory of ``model`` on a grid and return one Dataset.

    Parameters
    ----------
    model
        A model module (or its id), which must provide ``theory_grid(base_config, **axes)``.
    base_pairs
        Fixed parameters as ``key -> text`` (validated by ``Config.from_strings``).
    axes
        Swept parameters as ``key -> 1-D array`` (see :func:`parse_grid`).
    specs
        The grid spec strings as typed, recorded in ``attrs["grid"]`` (default: the values).

    Returns
    -------
    xarray.Dataset
        One coord per axis; ``t_train``, ``t_gen``, ``delay`` (NaN where never reached),
        ``loss_train_inf``, ``loss_gen_inf`` and the boolean ``never_groks`` mask.
    """

    module = _model_module(model)
    if not axes:
        raise InvalidParameterError(
            f"A sweep needs at least one grid, e.g. lam=0.05:1.5:60. Accepted forms: {GRID_FORMS}."
        )
    overlap = sorted(set(base_pairs) & set(axes))
    if overlap:
        raise InvalidParameterError(f"Parameter {overlap[0]!r} is given both fixed and swept.")
    base = module.Config.from_strings(dict(base_pairs))
    validate_grid(base, axes)
    if not hasattr(module, "theory_grid"):
        raise ValueError(f"Theory sweeps are not supported for model {module.ID!r} yet.")
    ds = module.theory_grid(base, **{k: np.asarray(v) for k, v in axes.items()})
    return _describe(ds, module, base, axes, specs, "theory")


def simulate_sweep(
    model: ModuleType | str,
    base_pairs: Mapping[str, str],
    axes: Mapping[str, np.ndarray],
    *,
    seeds: int | None = None,
    specs: Mapping[str, str] | None = None,
):
    """Simulate ``model`` on a grid (models that provide ``simulate_grid`` only)."""

    module = _model_module(model)
    if not hasattr(module, "simulate_grid"):
        raise ValueError(
            f"Simulated sweeps are not supported for model {module.ID!r} yet; "
            "use --theory, or run `groklab simulate` per point."
        )
    if not axes:
        raise InvalidParameterError(
            f"A sweep needs at least one grid, e.g. lam=0.05:1.5:60. Accepted forms: {GRID_FORMS}."
        )
    base = module.Config.from_strings(dict(base_pairs))
    validate_grid(base, axes)
    kwargs = {} if seeds is None else {"seeds": seeds}
    ds = module.simulate_grid(base, **{k: np.asarray(v) for k, v in axes.items()}, **kwargs)
    return _describe(ds, module, base, axes, specs, "simulate")


def _describe(ds, module, base, axes, specs, mode: str):
    """Attach the sweep's attributes: model, mode, grid specs, swept keys, base config, id."""
    from groklab import __version__

    grid = dict(specs) if specs is not None else {}
    for key, values in axes.items():
        grid.setdefault(key, ",".join(repr(_python(v)) for v in np.asarray(values)))
    ds.attrs.update(
        model=module.ID,
        mode=mode,
        grid=grid,
        swept=list(axes),
        config=base.to_dict(),
        groklab_version=__version__,
        sweep_id=sweep_id(module.ID, base, axes, mode),
    )
    return ds
