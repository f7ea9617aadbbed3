"""store.py: exact round trips, atomic writes, corruption detection, reuse by config."""

from __future__ import annotations

import os

import numpy as np
import pytest
import xarray as xr

from groklab.store import CorruptResultError, Store, load, save


def _dataset(seed: int = 0) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    t = np.unique(np.geomspace(1, 1e6, 40).round())
    return xr.Dataset(
        {
            "loss_train": (("seed", "t"), rng.random((3, t.size))),
            "acc_gen": (("seed", "t"), rng.random((3, t.size)).astype(np.float32)),
            "never_groks": ("seed", np.array([True, False, True])),
            "count": ("seed", np.array([1, 2, 3], dtype=np.int64)),
        },
        coords={"seed": np.arange(3), "t": t},
        attrs={
            "time_unit": "steps",
            "config": {"lam": 0.9, "eps": 1e-3, "threshold": "a95", "t_max": None},
            "grokking": [{"t_gen": None, "delay": None, "never_reached": ["t_gen"]}],
            "advice": [],
            "plateaus": [0.5, float("nan"), float("inf")],
        },
    )


def test_round_trip_is_exact(tmp_path):
    ds = _dataset()
    path = tmp_path / "r.nc"
    stored = save(ds, path)
    back = load(path)
    # variables, coords and their attrs identical; dataset attrs compared apart (NaN != NaN)
    xr.testing.assert_identical(back.drop_attrs(deep=False), stored.drop_attrs(deep=False))
    nan_free = {k: v for k, v in stored.attrs.items() if k != "plateaus"}
    assert {k: v for k, v in back.attrs.items() if k != "plateaus"} == nan_free
    for name in ds.variables:
        assert back[name].dtype == ds[name].dtype, name
        np.testing.assert_array_equal(back[name].values, ds[name].values)
    assert back.attrs["config"] == ds.attrs["config"]
    assert back.attrs["advice"] == []
    assert back.attrs["grokking"][0]["t_gen"] is None
    np.testing.assert_array_equal(back.attrs["plateaus"], [0.5, np.nan, np.inf])
    assert back.attrs["groklab_version"] and back.attrs["precision"] == "float64"
    assert len(back.attrs["config_hash"]) == 16


def test_saved_file_is_standard_netcdf4_read_by_an_independent_library(tmp_path):
    # written by the netCDF4 C library; h5netcdf (h5py) is a separate NetCDF-4 implementation
    ds = _dataset()
    save(ds, tmp_path / "r.nc")
    with xr.open_dataset(tmp_path / "r.nc", engine="h5netcdf") as other:
        for name in ds.variables:
            np.testing.assert_array_equal(other[name].values, ds[name].values)
            assert other[name].dtype == ds[name].dtype, name
        assert other.attrs["time_unit"] == "steps"


def test_file_written_by_an_independent_library_is_loaded(tmp_path):
    stored = save(_dataset(), tmp_path / "r.nc")
    encoded = load(tmp_path / "r.nc")
    with xr.open_dataset(tmp_path / "r.nc") as raw:  # the attributes as encoded on disk
        encoded.attrs = dict(raw.attrs)
    encoded.to_netcdf(tmp_path / "h5.nc", engine="h5netcdf")
    back = load(tmp_path / "h5.nc")
    assert back.attrs["checksum"] == stored.attrs["checksum"]
    np.testing.assert_array_equal(back["loss_train"].values, stored["loss_train"].values)


def test_atomic_write_leaves_no_temp_file(tmp_path):
    save(_dataset(), tmp_path / "sub" / "r.nc")
    save(_dataset(1), tmp_path / "sub" / "r.nc")  # overwrite in place
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["r.nc"]
    np.testing.assert_array_equal(
        load(tmp_path / "sub" / "r.nc")["loss_train"], _dataset(1)["loss_train"]
    )


def test_failed_write_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "r.nc"
    save(_dataset(), path)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", boom)
    with pytest.raises(OSError, match="disk full"):
        save(_dataset(1), path)
    assert [p.name for p in tmp_path.iterdir()] == ["r.nc"]
    np.testing.assert_array_equal(load(path)["loss_train"], _dataset()["loss_train"])


def test_truncated_file_is_corrupt_and_named(tmp_path):
    path = tmp_path / "r.nc"
    save(_dataset(), path)
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(size // 2)
    with pytest.raises(
        CorruptResultError, match=r"Result file .*r\.nc is corrupted or half-written"
    ):
        load(path)


def test_altered_byte_is_detected(tmp_path):
    path = tmp_path / "r.nc"
    ds = _dataset()
    save(ds, path)
    raw = bytearray(path.read_bytes())
    # flip a byte inside the stored loss_train values (found by their exact bytes)
    needle = np.ascontiguousarray(ds["loss_train"].values).tobytes()[:16]
    at = raw.find(needle)
    assert at >= 0
    raw[at + 3] ^= 0x40
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptResultError, match=r"Result file .*r\.nc .*checksum mismatch"):
        load(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No result file at .*nope\.nc"):
        load(tmp_path / "nope.nc")


def test_foreign_netcdf_without_checksum_is_rejected(tmp_path):
    path = tmp_path / "foreign.nc"
    _dataset().drop_attrs().to_netcdf(path, engine="h5netcdf")
    with pytest.raises(CorruptResultError, match=r"checksum missing"):
        load(path)


def test_get_or_compute_reuses_without_recomputing(tmp_path):
    store = Store(tmp_path)
    calls = []
    config = {"model": "linear-teacher", "lam": 0.9, "eps": 1e-3}

    def compute():
        calls.append(1)
        return _dataset(len(calls))

    first = store.get_or_compute("predict", config, compute)
    second = store.get_or_compute("predict", dict(reversed(list(config.items()))), compute)
    assert calls == [1]
    xr.testing.assert_equal(first, second)
    assert first.attrs["config_hash"] == second.attrs["config_hash"]
    assert store.path("predict", config).exists()
    store.get_or_compute("predict", {**config, "lam": 0.5}, compute)
    assert calls == [1, 1]
    assert len(os.listdir(tmp_path / "predict")) == 2
