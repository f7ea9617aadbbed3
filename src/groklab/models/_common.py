"""Small pieces every model module shares: the seed list of ``simulate``, the attributes of a
result Dataset, variable labels, and the λ-or-N sizing of a config. No numerics, no model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: ``fold_in`` data of each random draw of a seed (separability and logit-reg models).
DRAW_PURPOSES = {"train": 0, "init": 1, "test": 2, "pop": 3}

__all__ = ["SizedByLam", "label_variables", "result_attrs", "seed_list", "theory_dataset"]


class SizedByLam:
    """Mixin of a config with fields ``d``, ``lam`` and ``n_train``: give λ = d/N or N (or
    neither: λ = ``DEFAULT_LAM``). Call :meth:`_check_size` from the config's ``_check``."""

    DEFAULT_LAM: float = 0.5

    def _check_size(self) -> None:
        from groklab._config import InvalidParameterError

        if self.lam is not None and self.n_train is not None:
            if round(self.d / self.lam) != self.n_train:
                raise InvalidParameterError(
                    f"Give lam or n_train, not both: lam={self.lam!r} implies "
                    f"n_train={round(self.d / self.lam)}, but n_train={self.n_train}."
                )
        if self.n_train is None and self.lam is not None and round(self.d / self.lam) < 1:
            raise InvalidParameterError(
                f"The 'lam' parameter of Config gives fewer than one training point "
                f"(d={self.d}, lam={self.lam!r}); use lam ≤ {2 * self.d}."
            )

    @property
    def n_train_eff(self) -> int:
        """Training-set size N: ``n_train``, else round(d/λ) (λ = ``DEFAULT_LAM`` if unset)."""
        if self.n_train is not None:
            return self.n_train
        return max(1, round(self.d / (self.DEFAULT_LAM if self.lam is None else self.lam)))

    @property
    def lam_realized(self) -> float:
        """λ = d/N of the sampled problem."""
        return self.d / self.n_train_eff


def seed_list(first: int, seeds: int | Sequence[int]) -> list[int]:
    """``seeds`` seeds starting at ``first`` (the config's seed), or the explicit seeds given."""
    if isinstance(seeds, int | np.integer):
        if seeds < 1:
            raise ValueError(f"seeds must be at least 1. Got {seeds!r} instead.")
        return list(range(first, first + int(seeds)))
    return [int(s) for s in seeds]


def result_attrs(model_id: str, config, kind: str, time_unit: str = "steps", **extra) -> dict:
    """The attributes every result carries (DESIGN.md): model, kind, config, time unit,
    precision (theory is always float64) and the groklab version."""
    from groklab import __version__

    return {
        "model": model_id,
        "kind": kind,
        "config": config.to_dict(),
        "time_unit": time_unit,
        "precision": config.precision if kind == "simulation" else "float64",
        "groklab_version": __version__,
        **extra,
    }


def theory_dataset(t, curves: Mapping[str, Any], attrs: dict,
                   table: Mapping[str, tuple[str, str]], time_unit: str = "steps"):
    """The labelled ``xarray.Dataset`` on dim ``t`` of a theory given as plain arrays
    ``(t, curves, attrs)`` (what a model's ``predict_curves`` returns; its ``predict`` is this
    Dataset). The CLI prints ``predict_curves`` directly: building a Dataset imports xarray and,
    through xarray's duck-array probe, Dask, which costs more than most theories."""
    import xarray as xr

    ds = xr.Dataset({k: ("t", np.asarray(v, dtype=float)) for k, v in curves.items()},
                    coords={"t": np.asarray(t, dtype=float)}, attrs=attrs)
    label_variables(ds, table, time_unit)
    return ds


def label_variables(ds, table: Mapping[str, tuple[str, str]], time_unit: str = "steps") -> None:
    """Set ``long_name`` and ``units`` of the variables in ``table`` and of the time axis (in
    steps: "GD step", or "Adam step" etc. when the run's attrs or config name another
    optimizer)."""
    for name, (long_name, units) in table.items():
        if name in ds:
            ds[name].attrs.update(long_name=long_name, units=units)
    config = ds.attrs.get("config")
    optimizer = ds.attrs.get("optimizer") or (
        config.get("optimizer") if isinstance(config, Mapping) else None) or "gd"
    step = "GD step" if str(optimizer).lower() == "gd" else f"{str(optimizer).capitalize()} step"
    ds["t"].attrs.update(long_name=step if time_unit == "steps" else "time", units=time_unit)
