"""Results on disk: NetCDF files, content-addressed by config hash, written atomically.

* :func:`save` writes a Dataset to ``PATH.tmp-<pid>`` then renames it over ``PATH``, so a reader
  never sees a half-written file under the final name. The attributes gain the groklab version,
  the precision, a config hash and a checksum of the data.
* :func:`load` opens a file, checks that it is a complete groklab result (the checksum of the data
  matches the one written) and raises :class:`CorruptResultError` naming the file otherwise.
* :class:`Store` keys results by a hash of their canonical config and reuses a stored result for
  an identical config (:meth:`Store.get_or_compute`).

No numerics live here.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from groklab._config import canonical_json, config_hash

__all__ = ["CorruptResultError", "Store", "load", "save", "dataset_checksum"]

_ENGINE = "h5netcdf"


class CorruptResultError(RuntimeError):
    """A result file that is truncated, half-written, altered or not a groklab result."""


def dataset_checksum(ds) -> str:
    """SHA-256 (16 hex digits) over every variable's name, dims, dtype and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(map(str, ds.variables)):
        var = ds.variables[name]
        values = np.asarray(var.values)
        h.update(name.encode())
        h.update(repr(var.dims).encode())
        if values.dtype.kind in "OUS":
            h.update(canonical_json(values.astype(str).tolist()).encode())
        else:
            h.update(str(values.dtype).encode())
            h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()[:16]


def _attr_json(value: Any) -> str:
    """JSON of an attribute value that round-trips exactly (NaN and ±inf stay floats)."""

    def plain(x: Any) -> Any:
        if isinstance(x, dict):
            return {str(k): plain(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [plain(v) for v in x]
        if isinstance(x, np.ndarray):
            return plain(x.tolist())
        if isinstance(x, np.generic):
            return x.item()
        return x

    return json.dumps(plain(value), separators=(",", ":"))


def _json_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """NetCDF attributes hold scalars, strings and flat lists: encode the rest as JSON."""
    out = {}
    for key, value in attrs.items():
        if isinstance(value, dict | list | tuple) or value is None or isinstance(value, bool):
            out[key] = "json:" + _attr_json(value)
        else:
            out[key] = value
    return out


def _decode_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in attrs.items():
        if isinstance(value, str) and value.startswith("json:"):
            out[key] = json.loads(value[5:])
        elif isinstance(value, np.generic):
            out[key] = value.item()
        else:
            out[key] = value
    return out


def save(ds, path: str | os.PathLike, *, config: dict | None = None):
    """Write ``ds`` to ``path`` atomically (temp file in the same folder, then rename).

    Returns the Dataset as stored (with the added attributes). ``config`` (default: the
    ``config`` attribute already on ``ds``) is hashed into ``attrs["config_hash"]``.
    """
    from groklab import __version__

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = ds.copy()
    cfg = config if config is not None else ds.attrs.get("config", {})
    ds.attrs.update(
        config=cfg,
        config_hash=config_hash(cfg),
        groklab_version=__version__,
        precision=ds.attrs.get("precision", "float64"),
    )
    ds.attrs["checksum"] = dataset_checksum(ds)
    encoded = ds.copy()
    encoded.attrs = _json_attrs(ds.attrs)
    for name in encoded.variables:
        encoded[name].attrs = _json_attrs(encoded[name].attrs)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".tmp-", dir=path.parent)
    os.close(fd)
    try:
        encoded.to_netcdf(tmp, engine=_ENGINE)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return ds


def load(path: str | os.PathLike):
    """Read a result written by :func:`save`, verifying that it is complete and unaltered."""
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No result file at {path}.")
    try:
        with xr.open_dataset(path, engine=_ENGINE) as handle:
            ds = handle.load()
    except Exception as exc:  # h5py/h5netcdf raise several types for damaged files
        raise CorruptResultError(
            f"Result file {path} is corrupted or half-written and was not read "
            f"({type(exc).__name__}: {exc}). Delete it to recompute."
        ) from None
    ds.attrs = _decode_attrs(ds.attrs)
    for name in ds.variables:
        ds[name].attrs = _decode_attrs(ds[name].attrs)
    expected = ds.attrs.pop("checksum", None)
    actual = dataset_checksum(ds)
    if expected is None or expected != actual:
        raise CorruptResultError(
            f"Result file {path} is not a complete groklab result (checksum "
            f"{'missing' if expected is None else 'mismatch'}); it was not read. "
            "Delete it to recompute."
        )
    ds.attrs["checksum"] = expected
    return ds


class Store:
    """A folder of results keyed by ``(kind, config)``: ``ROOT/KIND/HASH.nc``."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, kind: str, config: dict) -> Path:
        return self.root / kind / f"{config_hash(config)}.nc"

    def get(self, kind: str, config: dict):
        """The stored result for this exact config, or None."""
        path = self.path(kind, config)
        if not path.exists():
            return None
        ds = load(path)
        if canonical_json(ds.attrs.get("config")) != canonical_json(config):
            return None  # hash collision or schema change: recompute rather than trust
        return ds

    def get_or_compute(self, kind: str, config: dict, compute: Callable[[], Any]):
        """Reuse the stored result for ``config`` or compute, store and return it."""
        ds = self.get(kind, config)
        if ds is None:
            ds = save(compute(), self.path(kind, config), config=config)
        return ds
