"""Simulated sweeps on a real Dask cluster: a scheduler and workers started here as separate
processes on 127.0.0.1 (random free ports), real SIGKILLs of a worker and of the client.

Checked against an in-process run of the same sweep: every cell present exactly once
(journal and files), values bit-identical, on 2 workers (``tcp://``), on 1 worker
(``--cluster local:1``) and after a worker dies mid-task.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sweep_toy_model import NAME, install

pytest.importorskip("distributed")

from groklab.store import SweepStore  # noqa: E402
from groklab.sweep import read_sweep, simulate_sweep, split_specs  # noqa: E402

DASK = str(Path(sys.executable).with_name("dask"))
#: linear-teacher, tiny: 3 × 2 cells × 2 seeds (JAX on the workers)
LT_PAIRS = {"d_in": "10", "n_gen": "200", "t_max": "300", "lam": "0.3,0.6,0.9",
            "gamma": "0,0.05"}
#: toy cells that sleep, so that kills land mid-sweep
TOY_AXES = {"a": np.linspace(0.5, 2.0, 4), "b": np.array([0.0, 0.5])}


def _poll(predicate, timeout: float, what: str, step: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _scheduler_address(file: Path) -> str | None:
    """The address in the scheduler file, or None while it is missing or still being written."""
    try:
        return json.loads(file.read_text())["address"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return None


@pytest.fixture(scope="module")
def toy_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("toymodel")
    install(folder)
    return folder


class Cluster:
    """A `dask scheduler` and `dask worker` processes (no nanny: a killed worker stays dead)."""

    def __init__(self, folder: Path, toy_dir: Path):
        self.folder = folder
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(toy_dir), os.environ.get("PYTHONPATH", "")])}
        self.env.pop("XLA_FLAGS", None)
        file = folder / "scheduler.json"
        self.scheduler = subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--dashboard-address", ":0", "--scheduler-file", str(file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        self.address = _poll(lambda: _scheduler_address(file), 30, "the scheduler")
        self.workers: list[subprocess.Popen] = []

    def add_worker(self) -> subprocess.Popen:
        worker = subprocess.Popen(
            [DASK, "worker", self.address, "--nthreads", "1", "--no-nanny",
             "--host", "127.0.0.1", "--name", f"w{len(self.workers)}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        self.workers.append(worker)
        return worker

    def client(self):
        from distributed import Client

        return Client(self.address, timeout="20s")

    def close(self):
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, toy_dir):
    c = Cluster(tmp_path_factory.mktemp("dask"), toy_dir)
    c.add_worker()
    c.add_worker()
    with c.client() as client:
        client.wait_for_workers(2, timeout=60)
    yield c
    c.close()


@pytest.fixture(scope="module")
def lt_reference():
    """The linear-teacher sweep computed in this process (no executor, no store)."""
    from groklab.models.registry import get_model

    model = get_model("linear-teacher")
    base, axes = split_specs(model.Config, LT_PAIRS)
    return model, base, axes, simulate_sweep(model, base, axes, seeds=2)


def _assert_same_cells(ds, ref):
    """Bit-identical data and every cell present."""
    assert bool(ds["cell_done"].all()) and not bool(ds["cell_failed"].any())
    assert sorted(ds.data_vars) == sorted(ref.data_vars)
    for name in ref.data_vars:
        assert ds[name].dims == ref[name].dims, name
        assert ds[name].values.tobytes() == ref[name].values.tobytes(), name


def _done_once(out: Path, n: int):
    counts = Counter(e["key"] for e in SweepStore(out).journal() if e["event"] == "done")
    assert len(counts) == n and set(counts.values()) == {1}, counts
    assert len(list(SweepStore(out).cells_dir.glob("*.nc"))) == n


def test_two_workers_are_bit_identical_to_in_process(cluster, lt_reference, tmp_path):
    model, base, axes, ref = lt_reference
    out = tmp_path / "lt.nc"
    ds = simulate_sweep(model, base, axes, seeds=2, out=out, cluster=cluster.address)
    _assert_same_cells(ds, ref)
    _done_once(out, 6)
    with cluster.client() as client:  # both workers took part
        assert len(client.nthreads()) == 2


def test_executor_client_is_not_dask_default_so_store_writes_take_no_cluster_lock(cluster):
    # as Dask's default client, xarray would wrap every NetCDF call of the client's cell writes
    # in a distributed.Lock (a scheduler round trip each: 79 -> 17 ms per cell file, measured)
    from xarray.backends.locks import get_dask_scheduler

    from groklab.sweep_exec import DaskExecutor

    executor = DaskExecutor(cluster.address)
    try:
        executor.submit(0, abs, (-3,))
        outcomes = []
        while not outcomes:
            outcomes = executor.wait(1.0)
        assert [(o.ok, o.value) for o in outcomes] == [(True, 3)]
        assert get_dask_scheduler() != "distributed"
    finally:
        executor.close()


def test_local_cluster_with_one_worker_is_bit_identical(lt_reference, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from groklab.cli import app
    from groklab.store import load

    _, _, _, ref = lt_reference
    out = tmp_path / "lt1.nc"
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    args = ["sweep", "linear-teacher", *(f"{k}={v}" for k, v in LT_PAIRS.items()), "seeds=2",
            "--simulate", "--cluster", "local:1", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    _assert_same_cells(load(out), ref)
    _done_once(out, 6)


def test_worker_killed_mid_task_loses_and_duplicates_nothing(cluster, toy_dir, tmp_path):
    toy = install(toy_dir)
    out = tmp_path / "kill.nc"
    victim = cluster.add_worker()
    with cluster.client() as client:
        client.wait_for_workers(3, timeout=60)
        victim_addr = _poll(
            lambda: next((a for a, w in client.scheduler_info(n_workers=-1)["workers"].items()
                          if w.get("name") == f"w{len(cluster.workers) - 1}"), None),
            30, "the new worker")
        box: dict = {}
        runner = threading.Thread(target=lambda: box.update(ds=simulate_sweep(
            toy, {"pause": "0.4"}, TOY_AXES, seeds=2, out=out, cluster=cluster.address)))
        runner.start()
        _poll(lambda: client.processing(workers=[victim_addr]).get(victim_addr), 30,
              "a task running on the victim")
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        finished_at_kill = len(SweepStore(out).done_keys())
        runner.join(timeout=120)
    assert not runner.is_alive()
    assert finished_at_kill < 8  # the kill came mid-sweep
    ds = box["ds"]
    ref = simulate_sweep(toy, {"pause": "0.4"}, TOY_AXES, seeds=2)
    _assert_same_cells(ds, ref)
    _done_once(out, 8)


def test_killed_client_resumes_from_the_store(cluster, toy_dir, tmp_path):
    toy = install(toy_dir)
    out = tmp_path / "resume.nc"
    argv = ["sweep", "sweep-toy", "a=0.5:2:4", "b=0,0.5", "pause=0.4", "seeds=2", "--simulate",
            "--cluster", cluster.address, "--out", str(out)]
    code = ("import sys; from groklab.models import registry\n"
            f"registry.MODELS['sweep-toy'] = {NAME!r}\n"
            "from groklab.cli import main; sys.argv[1:] = " + repr(argv) + "; main()\n")
    client = subprocess.Popen([sys.executable, "-c", code], env=cluster.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _poll(lambda: len(SweepStore(out).done_keys()) >= 2, 60, "two finished cells")
        client.send_signal(signal.SIGKILL)
        client.wait(timeout=10)
    finally:
        if client.poll() is None:
            client.kill()
    before = SweepStore(out).done_keys()
    assert 2 <= len(before) < 8
    partial = read_sweep(out)  # readable as it stands
    assert int(partial["cell_done"].sum()) == len(before)
    from groklab.sweep import sweep_status

    status = sweep_status(out)
    assert status["running"] is None and status["done"] == len(before)
    base, axes = split_specs(toy.Config, {"a": "0.5:2:4", "b": "0,0.5", "pause": "0.4"})
    ds = simulate_sweep(toy, base, axes, seeds=2, out=out, cluster=cluster.address,
                        specs={"a": "0.5:2:4", "b": "0,0.5"})
    assert ds.attrs["executed"]["reused"] == len(before)
    assert ds.attrs["executed"]["computed"] == 8 - len(before)
    _done_once(out, 8)
    ref = simulate_sweep(toy, base, axes, seeds=2)
    _assert_same_cells(ds, ref)


@pytest.mark.slow  # about 20 s: four worker deaths, each followed by a nanny restart
def test_cell_that_keeps_killing_its_worker_is_recorded_failed(toy_dir, tmp_path):
    toy = install(toy_dir)
    out = tmp_path / "poison.nc"
    ds = simulate_sweep(toy, {"crash_at": "2.0"}, TOY_AXES, seeds=2, out=out,
                        cluster="local:2", retries=1)
    failed = ds["cell_failed"].values
    np.testing.assert_array_equal(failed[-1], [True, True])
    assert not failed[:-1].any() and bool(ds["cell_done"].values[:-1].all())
    assert all("KilledWorker" in f["error"] and f["attempts"] == 2
               for f in ds.attrs["failures"])
    _done_once(out, 6)


def test_figure_grid_on_the_cluster_is_bit_identical(cluster, tmp_path):
    """`groklab reproduce beck2026/fig15 --quick --cluster tcp://...`: the phase diagram's cells
    on two Dask workers give the bits of the default in-process run, and the claims pass."""
    from typer.testing import CliRunner

    from groklab.cli import app
    from groklab.figures import figure_paths, get_figure
    from groklab.store import load

    fig = "beck2026/fig15"
    ref = get_figure(fig).compute_quick()
    result = CliRunner().invoke(app, ["reproduce", fig, "--quick", "--out", str(tmp_path),
                                      "--cluster", cluster.address])
    assert result.exit_code == 0, result.output
    assert "9 computed, 0 reused" in result.output
    ds = load(figure_paths(fig, tmp_path)["data"])
    for name in ref.variables:
        assert ds[name].values.tobytes() == ref[name].values.tobytes(), name
    _done_once(figure_paths(fig, tmp_path)["data"], 9)
