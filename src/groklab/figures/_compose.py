"""One Dataset from the parts of a multi-panel figure, and back.

A registered figure stores exactly one ``xarray.Dataset`` (see :mod:`groklab.figures`). A figure
whose panels come from independent computations (different dimensions, possibly the same
variable names) keeps each part under a prefix: variables, dimensions and coordinates of part
``left`` become ``left__<name>``, and the part's attributes go to ``attrs["parts"]["left"]``.
:func:`split` undoes :func:`combine` exactly, so each part's plot and claims read the Dataset they
were written for.
"""

from __future__ import annotations

from typing import Any

__all__ = ["combine", "split"]

_SEP = "__"


def combine(parts: dict[str, Any], **attrs: Any):
    """Merge named Datasets into one, prefixing every name with ``<part>__``.

    ``attrs`` become the combined Dataset's attributes; each part's own attributes are kept in
    ``attrs["parts"][<part>]``.

    Raises
    ------
    ValueError
        For a part name that is empty or contains the separator ``"__"``.
    """
    import xarray as xr

    renamed = []
    part_attrs = {}
    for key, ds in parts.items():
        if not key or _SEP in key:
            raise ValueError(f"Part name {key!r} must be non-empty and must not contain {_SEP!r}.")
        names = set(ds.variables) | set(ds.dims)
        renamed.append(ds.rename({n: f"{key}{_SEP}{n}" for n in names}).assign_attrs({}))
        part_attrs[key] = dict(ds.attrs)
    out = xr.merge(renamed, combine_attrs="drop")
    out.attrs = {**attrs, "parts": part_attrs}
    return out


def split(ds) -> dict[str, Any]:
    """The named Datasets that :func:`combine` merged into ``ds``."""
    out = {}
    for key, attrs in ds.attrs["parts"].items():
        prefix = f"{key}{_SEP}"
        names = [n for n in ds.variables if str(n).startswith(prefix)]
        part = ds[[n for n in names if n in ds.data_vars]]
        part = part.assign_coords({n: ds[n] for n in names if n in ds.coords})
        part = part.drop_vars([n for n in part.variables if not str(n).startswith(prefix)])
        dims = [d for d in part.dims if str(d).startswith(prefix)]
        rename = {n: str(n)[len(prefix):] for n in list(part.variables) + dims}
        out[key] = part.rename(rename).assign_attrs(attrs)
    return out
