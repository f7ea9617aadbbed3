"""Simulated sweeps through the store: one file per cell, resume, partial reads, failures,
corruption, the lock, and a process pool whose worker dies (issue 7, without Dask)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from sweep_toy_model import NAME, install
from typer.testing import CliRunner

from groklab._config import InvalidParameterError
from groklab.store import CorruptResultError, SweepLockedError, SweepStore
from groklab.sweep import read_sweep, simulate_sweep, sweep_status

AXES = {"a": np.array([0.5, 1.0, 2.0]), "b": np.array([0.0, 0.25])}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return install(tmp_path_factory.mktemp("toymodel"))


def _expected(toy, a: float, b: float, seeds: int = 2):
    return toy.simulate(toy.Config(a=a, b=b), seeds=seeds)


def _check_values(toy, ds, axes=AXES, only_done=False):
    """Every finished cell of ``ds`` holds exactly what ``simulate`` gives for its config."""
    for a in axes["a"]:
        for b in axes["b"]:
            cell = ds.sel(a=a, b=b)
            if only_done and not bool(cell["cell_done"]):
                assert np.isnan(cell["loss_train"].values).all()
                continue
            ref = _expected(toy, float(a), float(b))
            np.testing.assert_array_equal(cell["loss_train"].values, ref["loss_train"].values)
            np.testing.assert_array_equal(cell["acc_gen"].values, ref["acc_gen"].values)
            np.testing.assert_array_equal(cell["t_train"].values, [1.0, 2.0])


def _done_events(store: SweepStore) -> Counter:
    return Counter(e["key"] for e in store.journal() if e["event"] == "done")


def test_in_process_sweep_saves_each_cell_and_resumes_without_recomputing(toy, tmp_path):
    out = tmp_path / "s.nc"
    ds = simulate_sweep(toy, {}, AXES, seeds=2, out=out)
    assert ds.sizes == {"a": 3, "b": 2, "seed": 2, "t": 6}
    assert list(ds["loss_train"].dims) == ["a", "b", "seed", "t"]
    assert bool(ds["cell_done"].all()) and not bool(ds["cell_failed"].any())
    assert ds.attrs["complete"] and ds.attrs["executed"]["computed"] == 6
    assert ds["loss_train"].attrs["long_name"] == "toy loss"
    _check_values(toy, ds)
    store = SweepStore(out)
    assert len(list(store.cells_dir.glob("*.nc"))) == 6
    assert sorted(_done_events(store).values()) == [1] * 6
    again = simulate_sweep(toy, {}, AXES, seeds=2, out=out)
    assert again.attrs["executed"] == {"reused": 6, "computed": 0, "failed": 0, "retried": 0}
    assert sorted(_done_events(store).values()) == [1] * 6  # nothing recomputed
    np.testing.assert_array_equal(again["loss_train"].values, ds["loss_train"].values)


def test_interrupted_sweep_is_readable_and_resumes_only_the_rest(toy, tmp_path):
    out = tmp_path / "s.nc"

    def stop_after_two(progress):
        if progress.done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate_sweep(toy, {}, AXES, seeds=2, out=out, report=stop_after_two)
    partial = read_sweep(out)
    assert int(partial["cell_done"].sum()) == 2 and not partial.attrs["complete"]
    _check_values(toy, partial, only_done=True)
    status = sweep_status(out)
    assert (status["done"], status["failed"], status["pending"]) == (2, 0, 4)
    assert status["running"] is None  # the lock went with the interrupted sweep
    first = set(_done_events(SweepStore(out)))
    ds = simulate_sweep(toy, {}, AXES, seeds=2, out=out)
    assert ds.attrs["executed"]["reused"] == 2 and ds.attrs["executed"]["computed"] == 4
    counts = _done_events(SweepStore(out))
    assert len(counts) == 6 and set(counts.values()) == {1} and first <= set(counts)
    _check_values(toy, ds)


def test_failing_cell_is_recorded_and_the_sweep_goes_on(toy, tmp_path):
    out = tmp_path / "s.nc"
    ds = simulate_sweep(toy, {"fail_at": "1.0"}, AXES, seeds=2, out=out)
    failed = ds["cell_failed"].values
    np.testing.assert_array_equal(failed, [[False, False], [True, True], [False, False]])
    np.testing.assert_array_equal(ds["cell_done"].values, ~failed)
    assert np.isnan(ds["loss_train"].sel(a=1.0).values).all()
    assert {f["error"] for f in ds.attrs["failures"]} == {"ValueError: toy failure at a=1.0"}
    assert sorted(f["cell"]["b"] for f in ds.attrs["failures"]) == [0.0, 0.25]
    status = sweep_status(out)
    assert (status["done"], status["failed"], status["pending"]) == (4, 2, 0)
    assert all("toy failure" in f["error"] for f in status["failures"])


def test_pool_worker_death_is_retried_then_recorded_and_others_finish(toy, tmp_path):
    # a = 2.0 kills its worker process (os._exit) every time: a real broken pool
    out = tmp_path / "s.nc"
    ds = simulate_sweep(toy, {"crash_at": "2.0"}, AXES, seeds=2, out=out, workers=2, retries=1)
    failed = ds["cell_failed"].values
    np.testing.assert_array_equal(failed, [[False, False], [False, False], [True, True]])
    assert bool(ds["cell_done"].values[:2].all())
    assert all("BrokenProcessPool" in f["error"] and f["attempts"] == 2
               for f in ds.attrs["failures"])
    counts = _done_events(SweepStore(out))
    assert len(counts) == 4 and set(counts.values()) == {1}
    _check_values(toy, ds.sel(a=[0.5, 1.0]), axes={"a": [0.5, 1.0], "b": AXES["b"]})


def test_pool_and_batches_give_bit_identical_results(toy, tmp_path):
    ref = simulate_sweep(toy, {}, AXES, seeds=2)
    pooled = simulate_sweep(toy, {}, AXES, seeds=2, out=tmp_path / "p.nc", workers=2, batch=4)
    for name in ("loss_train", "acc_gen", "t_train"):
        assert ref[name].values.tobytes() == pooled[name].values.tobytes(), name


def test_corrupted_cell_file_is_named_at_open(toy, tmp_path):
    out = tmp_path / "s.nc"
    simulate_sweep(toy, {}, AXES, seeds=2, out=out)
    victim = sorted(SweepStore(out).cells_dir.glob("*.nc"))[3]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    pattern = rf"{victim.name} is corrupted or half-written"
    with pytest.raises(CorruptResultError, match=pattern):
        read_sweep(out)
    with pytest.raises(CorruptResultError, match=pattern):
        sweep_status(out)
    with pytest.raises(CorruptResultError, match=pattern):
        simulate_sweep(toy, {}, AXES, seeds=2, out=out)
    manifest = SweepStore(out).manifest_path
    manifest.write_text(manifest.read_text()[:40])
    with pytest.raises(CorruptResultError, match=r"manifest\.json is corrupted"):
        read_sweep(out)


def test_second_sweep_on_the_same_store_is_refused(toy, tmp_path):
    out = tmp_path / "s.nc"
    store = SweepStore(out)
    with store.lock():
        with pytest.raises(SweepLockedError, match=rf"{store.root.name} is in use by another "
                           rf"sweep \(pid {os.getpid()} on "):
            simulate_sweep(toy, {}, AXES, seeds=2, out=out)
        assert store.holder()["pid"] == os.getpid()
    assert store.holder() is None
    assert not store.cells_dir.exists()  # nothing ran while locked


def test_lock_is_exclusive_across_processes_and_dies_with_its_holder(toy, tmp_path):
    out = tmp_path / "s.nc"
    code = ("import sys, time; from groklab.store import SweepStore\n"
            f"with SweepStore({str(out)!r}).lock():\n"
            "    print('locked', flush=True); time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(SweepLockedError, match=rf"pid {holder.pid}"):
            simulate_sweep(toy, {}, AXES, seeds=2, out=out)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    ds = simulate_sweep(toy, {}, AXES, seeds=2, out=out)  # a killed holder leaves no lock
    assert ds.attrs["complete"]


def test_a_different_sweep_on_the_same_path_is_refused(toy, tmp_path):
    out = tmp_path / "s.nc"
    simulate_sweep(toy, {}, {"a": np.array([0.5])}, seeds=2, out=out)
    with pytest.raises(ValueError, match=r"holds a different sweep .*Choose another --out"):
        simulate_sweep(toy, {}, AXES, seeds=2, out=out)


def test_every_cell_is_validated_before_any_work(toy, tmp_path):
    out = tmp_path / "s.nc"
    with pytest.raises(InvalidParameterError,
                       match=r"grid cell a=600\.0, n=2 is invalid: a \* n must stay below 1000"):
        simulate_sweep(toy, {}, {"a": np.array([1.0, 600.0, 2.0]), "n": np.array([1, 2])},
                       seeds=2, out=out)
    with pytest.raises(InvalidParameterError, match=r"'seed' parameter cannot be swept"):
        simulate_sweep(toy, {}, {"seed": np.array([0, 1])}, out=out)
    assert not out.exists() and not SweepStore(out).root.exists()


def test_cells_with_different_record_times_are_aligned(toy, tmp_path):
    import xarray as xr

    from groklab.sweep import assemble

    short = _expected(toy, 1.0, 0.0).isel(t=slice(0, 3))
    full = _expected(toy, 2.0, 0.0)
    manifest = {"model": "sweep-toy", "axes": {"a": [1.0, 2.0]}, "grid": {"a": "1,2"},
                "config": {}, "seeds": 2, "sweep_id": "x", "cells": [["k1", [0]], ["k2", [1]]]}
    ds = assemble(manifest, {"k1": short, "k2": full})
    assert ds.sizes["t"] == 6
    assert np.isnan(ds["loss_train"].sel(a=1.0).values[:, 3:]).all()
    xr.testing.assert_equal(ds["loss_train"].sel(a=2.0, drop=True), full["loss_train"])


# ---- command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_toy(toy, monkeypatch):
    from groklab.models import registry

    monkeypatch.setitem(registry.MODELS, "sweep-toy", NAME)
    from groklab.cli import app

    return lambda *args: CliRunner().invoke(app, list(args))


def test_cli_simulated_sweep_status_and_bad_input(cli_toy, tmp_path):
    from groklab.store import load

    out = tmp_path / "c.nc"
    result = cli_toy("sweep", "sweep-toy", "a=0.5,1,2", "b=0:0.25:2", "fail_at=2", "seeds=2",
                     "--simulate", "--workers", "2", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "cells" in result.stderr and "6/6" in result.stderr and "failed 2" in result.stderr
    assert f"Wrote {out}" in result.stdout.replace("\n", "")
    assert "failed: 2 of 6 cells" in result.stdout
    ds = load(out)
    assert int(ds["cell_done"].sum()) == 4 and int(ds["cell_failed"].sum()) == 2
    status = cli_toy("sweep", "--status", str(out))
    assert status.exit_code == 0, status.output
    assert "4 done, 2 failed, 0 pending of 6" in status.stdout
    assert "failed a=2.0, b=0.0: ValueError: toy failure at a=2.0" in status.stdout
    bad = cli_toy("sweep", "sweep-toy", "a=0.5,1", "--simulate", "--cluster", "udp://x")
    assert bad.exit_code == 2 and "--cluster must be a scheduler address" in bad.stderr
    both = cli_toy("sweep", "sweep-toy", "a=0.5,1", "--simulate", "--workers", "2",
                   "--cluster", "local:2")
    assert both.exit_code == 2 and "not both" in both.stderr
    theory = cli_toy("sweep", "sweep-toy", "a=0.5,1", "--workers", "2")
    assert theory.exit_code == 2 and "applies to --simulate sweeps only" in theory.stderr
    missing = cli_toy("sweep", "--status", str(tmp_path / "nope.nc"))
    assert missing.exit_code == 2 and "No sweep at" in missing.stderr


def test_cli_refuses_locked_store_and_names_corrupt_file(cli_toy, tmp_path):
    out = tmp_path / "c.nc"
    args = ("sweep", "sweep-toy", "a=0.5,1", "--simulate", "--out", str(out))
    store = SweepStore(out)
    assert cli_toy(*args).exit_code == 0
    with store.lock():
        locked = cli_toy(*args)
        assert locked.exit_code == 2 and "is in use by another sweep" in locked.stderr
        assert f"running: pid {os.getpid()}" in cli_toy("sweep", "--status", str(out)).stdout
    victim = sorted(store.cells_dir.glob("*.nc"))[0]
    raw = bytearray(victim.read_bytes())
    at = raw.find(np.float64(_expected_first(store)).tobytes())
    assert at >= 0
    raw[at + 2] ^= 0x10  # one flipped bit in the stored data
    victim.write_bytes(bytes(raw))
    status = cli_toy("sweep", "--status", str(out))
    assert status.exit_code == 2
    assert f"{victim.name} is not a complete groklab result (checksum mismatch)" in status.stderr
    rerun = cli_toy(*args)
    assert rerun.exit_code == 2 and victim.name in rerun.stderr


def _expected_first(store: SweepStore) -> float:
    """A value stored in the first cell file (found by its exact bytes, then altered)."""
    import xarray as xr

    path = sorted(store.cells_dir.glob("*.nc"))[0]
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return float(ds["loss_train"].values[0, 2])


def test_journal_lines_are_json(toy, tmp_path):
    out = tmp_path / "s.nc"
    simulate_sweep(toy, {}, {"a": np.array([0.5, 1.0])}, seeds=2, out=out)
    lines = SweepStore(out).journal_path.read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["done", "done"]


# ---- a batch of cells is one vectorized call where the model offers simulate_batch -------------
BATCHED_SOURCE = """
import dataclasses

import numpy as np
import xarray as xr

from groklab._config import AbstractConfig, Real, param

ID = "sweep-toy-batched"
CALLS = []


@dataclasses.dataclass(frozen=True)
class Config(AbstractConfig):
    a: float = param(1.0, Real(-1e6, 1e6))
    b: float = param(0.0, Real(-1e6, 1e6))
    fail_at: float = param(-999.0, Real(-1e6, 1e6))


def _dataset(loss, seeds, t):
    return xr.Dataset({"loss_train": (("seed", "t"), loss)}, coords={"seed": seeds, "t": t},
                      attrs={"model": ID, "time_unit": "steps"})


def simulate(config, times=None, seeds=2):
    CALLS.append(("one", config.a))
    if config.a == config.fail_at:
        raise ValueError(f"batched toy failure at a={config.a}")
    t = np.arange(7.0)
    noise = np.stack([np.random.default_rng(s).random(t.size) for s in range(seeds)])
    loss = np.exp(-config.a * t[None, :] / 3.0) + config.b * noise
    return _dataset(loss, list(range(seeds)), t)


def simulate_batch(configs, seeds=2, times=None):
    CALLS.append(("batch", len(configs)))
    if any(c.a == c.fail_at for c in configs):
        raise ValueError("a cell of the batch fails")
    t = np.arange(7.0)
    a = np.array([c.a for c in configs])[:, None, None]
    b = np.array([c.b for c in configs])[:, None, None]
    noise = np.stack([np.random.default_rng(s).random(t.size) for s in range(seeds)])
    loss = np.exp(-a * t[None, None, :] / 3.0) + b * noise[None]  # one array op for the batch
    return [_dataset(row, list(range(seeds)), t) for row in loss]
"""


@pytest.fixture(scope="module")
def batched(tmp_path_factory):
    import importlib

    folder = tmp_path_factory.mktemp("batchedtoy")
    (folder / "groklab_sweep_toy_batched.py").write_text(BATCHED_SOURCE)
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    return importlib.import_module("groklab_sweep_toy_batched")


def test_batched_task_is_one_vectorized_call_equal_to_per_cell_bits(batched, tmp_path):
    axes = {"a": np.linspace(0.3, 2.1, 5), "b": np.array([0.0, 0.7])}
    batched.CALLS.clear()
    per_cell = simulate_sweep(batched, {}, axes, seeds=3, out=tmp_path / "one.nc", batch=1)
    assert [kind for kind, _ in batched.CALLS] == ["one"] * 10
    batched.CALLS.clear()
    ds = simulate_sweep(batched, {}, axes, seeds=3, out=tmp_path / "four.nc", batch=4)
    assert batched.CALLS == [("batch", 4), ("batch", 4), ("batch", 2)]
    assert ds["loss_train"].values.tobytes() == per_cell["loss_train"].values.tobytes()
    pooled = simulate_sweep(batched, {}, axes, seeds=3, out=tmp_path / "pool.nc", batch=4,
                            workers=2)
    assert pooled["loss_train"].values.tobytes() == per_cell["loss_train"].values.tobytes()


def test_failing_cell_in_a_batch_falls_back_to_per_cell_runs(batched, tmp_path):
    axes = {"a": np.array([0.5, 1.0, 1.5])}
    batched.CALLS.clear()
    ds = simulate_sweep(batched, {"fail_at": "1.0"}, axes, seeds=2, out=tmp_path / "s.nc",
                        batch=3)
    assert batched.CALLS == [("batch", 3), ("one", 0.5), ("one", 1.0), ("one", 1.5)]
    np.testing.assert_array_equal(ds["cell_failed"].values, [False, True, False])
    assert "batched toy failure at a=1.0" in ds.attrs["failures"][0]["error"]
