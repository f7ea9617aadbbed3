"""Small pieces every model module shares: the seed list of ``simulate``, the attributes of a
result Dataset, and variable labels. No numerics, no model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["label_variables", "result_attrs", "seed_list"]


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


def label_variables(ds, table: Mapping[str, tuple[str, str]], time_unit: str = "steps") -> None:
    """Set ``long_name`` and ``units`` of the variables in ``table`` and of the time axis."""
    for name, (long_name, units) in table.items():
        if name in ds:
            ds[name].attrs.update(long_name=long_name, units=units)
    ds["t"].attrs.update(long_name="GD step", units=time_unit)
