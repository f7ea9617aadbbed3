"""Results on disk: NetCDF files, content-addressed by config hash, written atomically.

* :func:`save` writes a Dataset to ``PATH.tmp-<pid>`` then renames it over ``PATH``, so a reader
  never sees a half-written file under the final name. The attributes gain the groklab version,
  the precision, a config hash and a checksum of the data.
* :func:`load` opens a file, checks that it is a complete groklab result (the checksum of the data
  matches the one written) and raises :class:`CorruptResultError` naming the file otherwise.
* :class:`Store` keys results by a hash of their canonical config and reuses a stored result for
  an identical config (:meth:`Store.get_or_compute`).
* :class:`SweepStore` is the folder of a simulated sweep, ``PATH.d`` beside its consolidated
  file ``PATH``: ``manifest.json`` (the grid), ``cells/KEY.nc`` (one finished cell each, saved
  atomically as it arrives), ``failed/KEY.json`` (a cell that kept failing, with its error),
  ``journal.jsonl`` (one line per event, append-only) and ``lock`` (an exclusive ``flock`` held
  by the one sweep writing there; the kernel drops it when that process dies).

No numerics live here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from groklab._config import canonical_json, config_hash

__all__ = [
    "CorruptResultError",
    "Store",
    "SweepLockedError",
    "SweepStore",
    "dataset_checksum",
    "load",
    "save",
    "sweep_dir",
]

# The netCDF4 (C library) engine: 17 ms to save a 10-variable cell vs 90 ms with h5netcdf 1.8,
# whose per-variable cost dominated a sweep's store writes (benchmarks/README.md).
_ENGINE = "netcdf4"


class CorruptResultError(RuntimeError):
    """A result file that is truncated, half-written, altered or not a groklab result."""


class SweepLockedError(RuntimeError):
    """Another sweep holds the lock of a sweep folder."""


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
    except Exception as exc:  # the netCDF4 library raises several types for damaged files
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


# ---- the folder of one simulated sweep ----------------------------------------------------------
def sweep_dir(path: str | os.PathLike) -> Path:
    """The folder ``PATH.d`` of the sweep whose consolidated file is ``PATH`` (a path already
    ending in ``.d`` is that folder)."""
    path = Path(path)
    return path if path.suffix == ".d" else path.with_name(path.name + ".d")


def _write_json_atomic(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(_attr_json(obj))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptResultError(
            f"Sweep file {path} is corrupted or half-written and was not read "
            f"({type(exc).__name__}: {exc}). Delete it to recompute."
        ) from None


class SweepStore:
    """The folder of one simulated sweep (see the module docstring for its layout).

    Only the process holding :meth:`lock` writes here; readers (:meth:`cells`,
    :meth:`failures`, ``groklab sweep --status``) may read at any time, because every file
    appears under its final name only once complete.
    """

    def __init__(self, path: str | os.PathLike):
        self.root = sweep_dir(path)
        self.path = self.root.with_name(self.root.name[: -len(".d")])
        self.manifest_path = self.root / "manifest.json"
        self.cells_dir = self.root / "cells"
        self.failed_dir = self.root / "failed"
        self.journal_path = self.root / "journal.jsonl"
        self.lock_path = self.root / "lock"

    # ---- manifest ------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.manifest_path.exists()

    def manifest(self) -> dict:
        """The sweep's manifest; FileNotFoundError if there is no sweep at this path."""
        if not self.manifest_path.exists():
            raise FileNotFoundError(
                f"No sweep at {self.path} (no {self.manifest_path}). Start one with "
                "`groklab sweep MODEL ... --simulate --out PATH`."
            )
        manifest = _read_json(self.manifest_path)
        if not isinstance(manifest, dict) or "sweep_id" not in manifest:
            raise CorruptResultError(
                f"Sweep file {self.manifest_path} is not a groklab sweep manifest; it was not "
                "read. Delete the folder to start over."
            )
        return manifest

    def open(self, manifest: dict) -> None:
        """Write ``manifest`` for a new sweep, or check that the folder holds this same sweep."""
        if self.exists():
            old = self.manifest()
            if old["sweep_id"] != manifest["sweep_id"]:
                raise ValueError(
                    f"{self.root} holds a different sweep ({old.get('model')} sweep "
                    f"{old['sweep_id']}, grid {old.get('grid')}); this one is "
                    f"{manifest['sweep_id']}. Choose another --out, or delete {self.root}."
                )
            return
        _write_json_atomic(self.manifest_path, manifest)

    # ---- lock ----------------------------------------------------------------------------------
    def holder(self) -> dict | None:
        """Who holds the lock (pid, host, since), or None when it is free."""
        import fcntl

        if not self.lock_path.exists():
            return None
        with open(self.lock_path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                try:
                    return json.loads(fh.read() or "{}")
                except json.JSONDecodeError:
                    return {}
            fcntl.flock(fh, fcntl.LOCK_UN)
        return None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's exclusive lock, or raise :class:`SweepLockedError` at once.

        An ``flock`` on ``lock``: the kernel releases it when the holder exits or is killed, so
        a crashed sweep never leaves a stale lock. (On network file systems ``flock`` is only as
        good as the server's lock support.)
        """
        import fcntl

        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.lock_path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            try:
                info = json.loads(fh.read() or "{}")
            except json.JSONDecodeError:
                info = {}
            fh.close()
            who = (f" (pid {info.get('pid')} on {info.get('host')}, since {info.get('since')})"
                   if info else "")
            raise SweepLockedError(
                f"Sweep store {self.root} is in use by another sweep{who}. Wait for it to "
                f"finish (`groklab sweep --status {self.path}` shows its progress), or write "
                "to another --out."
            ) from None
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "since": time.strftime("%Y-%m-%d %H:%M:%S")}))
            fh.flush()
            for stale in self.cells_dir.glob("*.tmp-*") if self.cells_dir.exists() else ():
                stale.unlink(missing_ok=True)  # left by a writer killed mid-save
            yield
        finally:
            with contextlib.suppress(OSError):
                fh.seek(0)
                fh.truncate()
            fh.close()  # releases the flock

    # ---- cells ---------------------------------------------------------------------------------
    def cell_path(self, key: str) -> Path:
        return self.cells_dir / f"{key}.nc"

    def done_keys(self) -> set[str]:
        """Keys of the cells with a result file (not yet verified; see :meth:`cells`)."""
        if not self.cells_dir.exists():
            return set()
        return {p.name[:-3] for p in self.cells_dir.glob("*.nc")}

    def cells(self, keys: set[str] | None = None) -> dict[str, Any]:
        """The verified Dataset of every finished cell (or of ``keys`` among them).

        Raises :class:`CorruptResultError` naming the first damaged file.
        """
        keys = self.done_keys() if keys is None else keys & self.done_keys()
        return {key: load(self.cell_path(key)) for key in sorted(keys)}

    def write_cell(self, key: str, ds, config: dict):
        """Save one finished cell atomically, clear its failure record, journal it."""
        stored = save(ds, self.cell_path(key), config=config)
        (self.failed_dir / f"{key}.json").unlink(missing_ok=True)
        self._journal({"event": "done", "key": key})
        return stored

    def write_failure(self, key: str, record: dict) -> None:
        _write_json_atomic(self.failed_dir / f"{key}.json", {"key": key, **record})
        self._journal({"event": "failed", "key": key, "error": record.get("error")})

    def failures(self) -> dict[str, dict]:
        """Key -> failure record (``error``, ``attempts``, ``cell``) of each failed cell."""
        if not self.failed_dir.exists():
            return {}
        return {p.stem: _read_json(p) for p in sorted(self.failed_dir.glob("*.json"))}

    def journal(self) -> list[dict]:
        """The events so far, oldest first (a torn last line, from a kill mid-write, is
        skipped)."""
        if not self.journal_path.exists():
            return []
        events = []
        for line in self.journal_path.read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                events.append(json.loads(line))
        return events

    def _journal(self, event: dict) -> None:
        line = json.dumps({"time": round(time.time(), 3), "pid": os.getpid(), **event})
        with open(self.journal_path, "a") as fh:
            fh.write(line + "\n")
