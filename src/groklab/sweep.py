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
the package version in ``attrs``.

:func:`simulate_sweep` runs any model's ``simulate`` once per grid cell (a validated config:
the base plus the cell's axis values), as tasks on an executor of :mod:`groklab.sweep_exec`
(in-process, a process pool, or Dask), saving each finished cell in a resumable sweep folder
(:class:`groklab.store.SweepStore`) and assembling one Dataset with dims ``(*swept, seed, t)``
(:func:`assemble`; :func:`read_sweep` does it for a sweep still running or interrupted).

:func:`run_cell_tasks` is the engine behind it, shared with the figure grids of
:mod:`groklab.figures` (``groklab reproduce FIG --workers N``): distinct keyed cell specs → tasks
on an executor → each finished cell saved in the locked sweep folder, finished cells reused.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import itertools
import math
import os
from collections.abc import Mapping, Sequence
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
    "plan_simulation",
    "run_cell_tasks",
    "check_run_options",
    "assemble",
    "read_sweep",
    "sweep_status",
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


def _check_axes(base_pairs: Mapping[str, str], axes: Mapping[str, np.ndarray]) -> None:
    if not axes:
        raise InvalidParameterError(
            f"A sweep needs at least one grid, e.g. lam=0.05:1.5:60. Accepted forms: {GRID_FORMS}."
        )
    overlap = sorted(set(base_pairs) & set(axes))
    if overlap:
        raise InvalidParameterError(f"Parameter {overlap[0]!r} is given both fixed and swept.")


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
    _check_axes(base_pairs, axes)
    base = module.Config.from_strings(dict(base_pairs))
    validate_grid(base, axes)
    if not hasattr(module, "theory_grid"):
        raise ValueError(f"Theory sweeps are not supported for model {module.ID!r} yet.")
    ds = module.theory_grid(base, **{k: np.asarray(v) for k, v in axes.items()})
    return _describe(ds, module, base, axes, specs, "theory")


def _sweep_module(model: ModuleType | str) -> ModuleType:
    module = _model_module(model)
    if not hasattr(module, "simulate_grid") and not hasattr(module, "simulate"):
        raise ValueError(
            f"Simulated sweeps are not supported for model {module.ID!r} yet; "
            "use --theory, or run `groklab simulate` per point."
        )
    return module


def _default_seeds(module: ModuleType) -> int:
    default = inspect.signature(module.simulate).parameters.get("seeds")
    value = None if default is None else default.default
    return value if isinstance(value, int) else 1


@dataclasses.dataclass(frozen=True)
class Plan:
    """A simulated sweep, fully validated: its cells in grid (C) order and its manifest.

    ``cells[i]`` is ``(key, index, config)``: a content hash of (model, config, seeds), the
    cell's index in the grid and its validated ``Config``. Equal configs share a key.
    """

    module: ModuleType
    base: Any
    axes: dict[str, np.ndarray]
    seeds: int
    cells: list[tuple[str, tuple[int, ...], Any]]
    manifest: dict

    def unique_cells(self) -> list[tuple[str, dict]]:
        """``(key, config dict)`` of each distinct cell, in grid order."""
        seen: dict[str, dict] = {}
        for key, _, config in self.cells:
            seen.setdefault(key, config.to_dict())
        return list(seen.items())


def plan_simulation(
    model: ModuleType | str,
    base_pairs: Mapping[str, str],
    axes: Mapping[str, np.ndarray],
    *,
    seeds: int | None = None,
    specs: Mapping[str, str] | None = None,
    times: Sequence[float] | None = None,
) -> Plan:
    """Validate a simulated sweep before any work: every grid value, then every cell's full
    ``Config`` (cross-field checks included), naming the first bad cell."""
    module = _sweep_module(model)
    _check_axes(base_pairs, axes)
    if "seed" in axes:
        raise InvalidParameterError(
            "The 'seed' parameter cannot be swept: give seeds=N for N seeds per cell "
            "(seed, seed + 1, …), and seed=S for the first one."
        )
    base = module.Config.from_strings(dict(base_pairs))
    validate_grid(base, axes)
    n_seeds = _default_seeds(module) if seeds is None else int(seeds)
    if n_seeds < 1:
        raise InvalidParameterError(f"The 'seeds' parameter must be ≥ 1. Got {n_seeds} instead.")
    axes = {k: np.asarray(v) for k, v in axes.items()}
    times = None if times is None else [float(x) for x in times]
    cells = []
    for index in np.ndindex(*(len(v) for v in axes.values())):
        changes = {k: _python(v[i]) for (k, v), i in zip(axes.items(), index, strict=True)}
        try:
            config = base.replace(**changes)
        except InvalidParameterError as exc:
            where = ", ".join(f"{k}={v!r}" for k, v in changes.items())
            raise InvalidParameterError(f"The grid cell {where} is invalid: {exc}") from None
        key = config_hash({"model": module.ID, "config": config.to_dict(), "seeds": n_seeds,
                           "times": times})
        cells.append((key, index, config))
    sid = config_hash({"sweep": sweep_id(module.ID, base, axes, "simulate"), "seeds": n_seeds,
                       "times": times})
    grid = dict(specs) if specs is not None else {}
    for key, values in axes.items():
        grid.setdefault(key, ",".join(repr(_python(v)) for v in values))
    manifest = {
        "format": "groklab-sweep/1",
        "model": module.ID,
        "module": module.__name__,
        "mode": "simulate",
        "sweep_id": sid,
        "config": base.to_dict(),
        "axes": {k: v.tolist() for k, v in axes.items()},
        "grid": grid,
        "seeds": n_seeds,
        "times": times,
        "cells": [[key, list(index)] for key, index, _ in cells],
    }
    return Plan(module, base, axes, n_seeds, cells, manifest)


def simulate_sweep(
    model: ModuleType | str,
    base_pairs: Mapping[str, str],
    axes: Mapping[str, np.ndarray],
    *,
    seeds: int | None = None,
    specs: Mapping[str, str] | None = None,
    times: Sequence[float] | None = None,
    out: str | os.PathLike | None = None,
    workers: int | None = None,
    cluster: str | None = None,
    batch: int = 1,
    retries: int = 2,
    report=None,
):
    """Simulate ``model`` on a grid, one task per cell (or per ``batch`` cells), and return one
    Dataset.

    Each cell is the model's ``simulate(config, seeds=seeds)`` for the base config with the
    cell's axis values. With ``out``, every finished cell is saved at once in the sweep folder
    ``out.d`` (see :class:`groklab.store.SweepStore`), which a rerun of the same sweep resumes:
    finished cells are reused and only the others computed. The folder is locked while the
    sweep runs.

    Parameters
    ----------
    workers, cluster
        Where tasks run: in this process (default), a pool of ``workers`` processes, or a Dask
        cluster (``tcp://HOST:PORT`` of a running scheduler, or ``local:N``).
    batch
        Cells per task (consecutive in grid order).
    retries
        Resubmissions of a task lost with its worker before its cells are recorded as failed.
    report
        Called with a :class:`groklab.sweep_exec.Progress` as the sweep advances.

    Returns
    -------
    xarray.Dataset
        Dims ``(*swept, seed, t)`` (see :func:`assemble`); a cell that failed is NaN, marked in
        ``cell_failed`` with its error in ``attrs["failures"]``.
    """
    from groklab import sweep_exec

    module = _sweep_module(model)
    if hasattr(module, "simulate_grid") and out is None and workers is None and cluster is None:
        base = module.Config.from_strings(dict(base_pairs))
        validate_grid(base, axes)
        kwargs = {} if seeds is None else {"seeds": seeds}
        ds = module.simulate_grid(base, **{k: np.asarray(v) for k, v in axes.items()}, **kwargs)
        return _describe(ds, module, base, axes, specs, "simulate")
    check_run_options(batch, retries)
    plan = plan_simulation(module, base_pairs, axes, seeds=seeds, specs=specs, times=times)
    where = {key: index for key, index, _ in plan.cells}
    results, failures, progress = run_cell_tasks(
        plan.unique_cells(), plan.manifest,
        sweep_exec.model_work(plan.manifest["module"], plan.seeds, times),
        out=out, workers=workers, cluster=cluster, batch=batch, retries=retries, report=report,
        describe=lambda key: {"cell": _cell_values(plan.axes, where[key])},
    )
    ds = assemble(plan.manifest, results, failures)
    ds.attrs["executed"] = progress.summary()
    return ds


def check_run_options(batch: int, retries: int) -> None:
    """``batch`` ≥ 1 and ``retries`` ≥ 0, or a clear error naming both."""
    if batch < 1 or retries < 0:
        raise InvalidParameterError(
            f"batch must be ≥ 1 and retries ≥ 0. Got batch={batch}, retries={retries}."
        )


def run_cell_tasks(
    cells: Sequence[tuple[str, dict]],
    manifest: Mapping[str, Any],
    work,
    *,
    out: str | os.PathLike | None = None,
    workers: int | None = None,
    cluster: str | None = None,
    batch: int = 1,
    retries: int = 2,
    report=None,
    describe=None,
):
    """Compute the distinct ``(key, spec)`` cells on an executor, through the sweep store.

    The engine behind :func:`simulate_sweep` and the figure grids of
    :mod:`groklab.figures`: with ``out``, the folder ``out.d`` is locked, the manifest
    written (or checked to be this same sweep), finished cells reused (each verified; a damaged
    file raises naming it) and every new cell saved the moment its task returns. ``work`` says
    what a task runs (:func:`groklab.sweep_exec.model_work` or
    :func:`groklab.sweep_exec.function_work`); ``describe(key)`` adds fields to a failure
    record (e.g. the cell's grid values).

    Returns
    -------
    results, failures, progress
        ``{key: Dataset}`` of the finished cells (reused and new), ``{key: record}`` of the
        failed ones and the final :class:`groklab.sweep_exec.Progress`.
    """
    from groklab import sweep_exec

    check_run_options(batch, retries)
    specs = dict(cells)
    todo = list(specs.items())
    results: dict[str, Any] = {}
    failures: dict[str, dict] = {}
    store = None
    with contextlib.ExitStack() as stack:
        if out is not None:
            from groklab.store import SweepStore

            store = SweepStore(out)
            stack.enter_context(store.lock())
            store.open(dict(manifest))
            done = store.done_keys() & set(specs)
            results.update(store.cells(done))  # verified: a damaged file raises, naming it
            todo = [(k, c) for k, c in todo if k not in done]
        progress = sweep_exec.Progress(total=len(specs), done=len(specs) - len(todo))
        progress.reused = progress.done

        def on_done(key, ds):
            results[key] = store.write_cell(key, ds, specs[key]) if store else ds

        def on_failed(key, record):
            record = {**record, **(describe(key) if describe else {})}
            failures[key] = record
            if store is not None:
                store.write_failure(key, record)

        if todo:
            executor = sweep_exec.make_executor(workers, cluster)
            stack.callback(executor.close)
            sweep_exec.execute(
                executor, sweep_exec.batches(todo, batch), work=work, on_done=on_done,
                on_failed=on_failed, retries=retries, progress=progress, report=report,
            )
        elif report is not None:
            report(progress)
    return results, failures, progress


def _cell_values(axes: Mapping[str, Sequence], index: Sequence[int]) -> dict[str, Any]:
    return {k: _python(np.asarray(v)[i]) for (k, v), i in zip(axes.items(), index, strict=True)}


def assemble(manifest: Mapping[str, Any], results: Mapping[str, Any],
             failures: Mapping[str, dict] | None = None):
    """One Dataset from the cells of a sweep, finished or not (no numerics: values are copied).

    Dims ``(*swept, seed, t)``: each variable of the cells' Datasets gains the swept dims in
    front; cells with different record times are aligned on the union of times (NaN where a
    cell has no record). Each seed's grokking record becomes ``t_train``, ``t_gen`` and
    ``delay`` (dims ``(*swept, seed)``; NaN when never reached). ``cell_done`` and
    ``cell_failed`` mark the cells present and the failed ones (whose errors are listed in
    ``attrs["failures"]``); a cell neither done nor failed has not run yet. Variables of a
    partial sweep are NaN (integers and booleans become float) where cells are missing.
    """
    import xarray as xr

    from groklab import __version__

    failures = failures or {}
    axes = {k: np.asarray(v) for k, v in manifest["axes"].items()}
    shape = tuple(len(v) for v in axes.values())
    dims = list(axes)
    placed: list[tuple[tuple[int, ...], Any]] = []
    done = np.zeros(shape, dtype=bool)
    failed = np.zeros(shape, dtype=bool)
    errors = []
    for key, index in manifest["cells"]:
        index = tuple(index)
        if key in results:
            done[index] = True
            placed.append((index, results[key]))
        elif key in failures:
            failed[index] = True
            errors.append({"cell": _cell_values(axes, index), "error": failures[key]["error"],
                           "attempts": failures[key].get("attempts")})
    complete = bool(done.all())
    first = placed[0][1] if placed else None
    t = _union([cell["t"].values for _, cell in placed])
    seed = _union([cell["seed"].values for _, cell in placed])
    data: dict[str, Any] = {}
    if first is not None:
        for name in first.data_vars:
            var = first[name]
            sizes = {d: (len(t) if d == "t" else len(seed) if d == "seed" else var.sizes[d])
                     for d in var.dims}
            dtype = np.dtype(var.dtype if complete or var.dtype.kind in "fcOUS" else float)
            fill = {"b": False, "i": 0, "u": 0, "f": np.nan, "c": np.nan}.get(dtype.kind, "")
            array = np.full(shape + tuple(sizes.values()), fill, dtype=dtype)
            for index, cell in placed:
                array[index] = cell[name].reindex(t=t, seed=seed).values if (
                    len(cell["t"]) != len(t) or len(cell["seed"]) != len(seed)
                    or not np.array_equal(cell["t"].values, t)
                    or not np.array_equal(cell["seed"].values, seed)
                ) else cell[name].values
            data[name] = (dims + list(var.dims), array, dict(var.attrs))
        grokking = _grokking_arrays(placed, seed, shape)
        for name, array in grokking.items():
            data[name] = (dims + ["seed"], array,
                          {"long_name": f"{name} of attrs['grokking'] (NaN: never reached)",
                           "units": first.attrs.get("time_unit", "steps")})
    data["cell_done"] = (dims, done, {"long_name": "cell finished"})
    data["cell_failed"] = (dims, failed, {"long_name": "cell failed (see attrs['failures'])"})
    coords: dict[str, Any] = {k: (k, v) for k, v in axes.items()}
    if first is not None:
        coords["seed"] = ("seed", seed)
        coords["t"] = ("t", t, dict(first["t"].attrs))
    ds = xr.Dataset(data, coords=coords)
    attrs = {k: first.attrs[k] for k in ("kind", "time_unit", "precision", "method")
             if first is not None and k in first.attrs}
    ds.attrs.update(
        attrs,
        model=manifest["model"],
        mode="simulate",
        grid=dict(manifest["grid"]),
        swept=dims,
        config=dict(manifest["config"]),
        seeds=manifest["seeds"],
        groklab_version=__version__,
        sweep_id=manifest["sweep_id"],
        complete=complete,
        cells_total=int(done.size),
        cells_done=int(done.sum()),
        cells_failed=int(failed.sum()),
        failures=errors,
    )
    return ds


def _union(arrays: list[np.ndarray]) -> np.ndarray:
    if not arrays:
        return np.array([])
    if all(a.shape == arrays[0].shape and np.array_equal(a, arrays[0]) for a in arrays):
        return arrays[0]
    return np.unique(np.concatenate(arrays))


def _grokking_arrays(placed, seed: np.ndarray, shape) -> dict[str, np.ndarray]:
    """``t_train``, ``t_gen``, ``delay`` per cell and seed from each cell's
    ``attrs["grokking"]`` (a list of per-seed records), where every cell has one."""
    records = [cell.attrs.get("grokking") for _, cell in placed]
    if not records or not all(isinstance(r, list) and all(isinstance(x, dict) and "seed" in x
                                                           for x in r) for r in records):
        return {}
    position = {int(s): i for i, s in enumerate(seed.tolist())}
    out = {name: np.full(shape + (len(seed),), np.nan) for name in ("t_train", "t_gen", "delay")}
    for (index, _), record in zip(placed, records, strict=True):
        for entry in record:
            for name, array in out.items():
                value = entry.get(name)
                if value is not None:
                    array[index + (position[int(entry["seed"])],)] = float(value)
    return out


def read_sweep(path: str | os.PathLike):
    """The Dataset of the sweep at ``path`` (its ``.nc`` file or ``.d`` folder) as it stands:
    complete or partial, while it runs or after it was killed. Every cell file is verified;
    a damaged one raises :class:`groklab.store.CorruptResultError` naming it."""
    from groklab.store import SweepStore

    store = SweepStore(path)
    manifest = store.manifest()
    if manifest.get("mode") == "figure":
        raise ValueError(
            f"{store.root} holds the cells of figure {manifest.get('figure')!r}, not a model "
            "sweep: read them with groklab.figures.read_grid, `groklab sweep --status "
            f"{store.path}` shows the progress."
        )
    keys = {key for key, _ in manifest["cells"]}
    return assemble(manifest, store.cells(keys), store.failures())


def sweep_status(path: str | os.PathLike) -> dict[str, Any]:
    """Progress of the sweep (or figure grid) at ``path``: counts of cells done, failed and
    pending, who holds the lock, and the failures. Verifies every finished cell (naming a
    damaged file)."""
    from groklab.store import SweepStore

    store = SweepStore(path)
    manifest = store.manifest()
    keys = {key for key, _ in manifest["cells"]}
    store.cells(keys)  # verify: corruption is reported here, naming the file
    done = store.done_keys() & keys
    failures = {k: v for k, v in store.failures().items() if k in keys and k not in done}
    figure = manifest.get("mode") == "figure"
    return {
        "path": str(store.path),
        "folder": str(store.root),
        "model": manifest.get("model"),
        "figure": manifest.get("figure"),
        "variant": manifest.get("variant"),
        "sweep_id": manifest["sweep_id"],
        "grid": manifest.get("grid", {}),
        "shape": {} if figure else {k: len(v) for k, v in manifest["axes"].items()},
        "seeds": manifest.get("seeds"),
        "cells": len(keys),
        "done": len(done),
        "failed": len(failures),
        "pending": len(keys) - len(done) - len(failures),
        "running": store.holder(),
        "consolidated": store.path.exists(),
        "failures": list(failures.values()),
    }


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
