"""Figure grids on the sweep executors (issue 7): a phase-diagram figure's cells run in this
process, on a process pool or resumed from the store with the same bits; faults (a failing
cell, a damaged cell file, a second writer) behave as for ``groklab sweep``; bad options are
refused before any work.

The real figure is ``beck2026/fig15`` quick (9 cells: 7 σ_f rows of max-margin QPs and 2
left-panel rows, ~5 s in one process); the fault tests use a tiny grid registered here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from groklab.figures import (
    FigureGridError,
    Grid,
    compute_grid,
    figure_paths,
    get_figure,
    grid_figure_ids,
    read_grid,
    register,
    reproduce,
    run_grid,
    unregister,
)
from groklab.store import CorruptResultError, SweepLockedError, SweepStore, load
from groklab.sweep import sweep_status

FIG = "beck2026/fig15"
TOY = "test/grid-toy"


def _same_bits(a, b) -> None:
    """Every variable of ``a`` and ``b``: same dims, dtype and bytes."""
    assert set(a.variables) == set(b.variables)
    for name in a.variables:
        assert a[name].dims == b[name].dims, name
        assert a[name].dtype == b[name].dtype, name
        assert a[name].values.tobytes() == b[name].values.tobytes(), name


@pytest.fixture(scope="module")
def reference():
    """The quick figure computed the default way: every cell in this process, no store."""
    return get_figure(FIG).compute_quick()


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A store with every cell of the quick figure, written by the in-process executor."""
    out = tmp_path_factory.mktemp("finished") / "fig15.nc"
    ds, counts = run_grid(FIG, True, out)
    assert counts == {"reused": 0, "computed": 9, "failed": 0, "retried": 0}
    return out, ds


def _copy(finished, tmp_path):
    out, _ = finished
    shutil.copytree(SweepStore(out).root, SweepStore(tmp_path / out.name).root)
    return tmp_path / out.name


def test_phase_figures_and_fig3_are_grid_recipes():
    assert {"beck2026/fig6", "beck2026/fig15", "beck2025/fig3"} <= set(grid_figure_ids())
    assert get_figure(FIG).grid.ref == (
        "groklab.figures.beck2026.phase:compute_phase_cell")


def test_store_path_gives_the_default_bits(reference, finished):
    _same_bits(reference, finished[1])


def test_reproduce_on_two_workers_is_bit_identical_and_passes(reference, tmp_path):
    record = reproduce(FIG, True, tmp_path, workers=2, batch=2)
    assert record["n_failed"] == 0 and record["executed"]["computed"] == 9
    saved = load(figure_paths(FIG, tmp_path)["data"])
    _same_bits(reference, saved[list(reference.variables)])
    assert sweep_status(figure_paths(FIG, tmp_path)["data"])["done"] == 9


def test_one_worker_resumes_a_killed_run_with_the_same_bits(reference, tmp_path):
    out = tmp_path / "fig15.nc"

    def kill_after_four(progress):
        if progress.done >= 4:
            raise KeyboardInterrupt  # the client dies; the cells written so far stay

    with pytest.raises(KeyboardInterrupt):
        run_grid(FIG, True, out, report=kill_after_four)
    partial = read_grid(out)
    assert sum(ds is not None for _, ds in partial) == 4
    status = sweep_status(out)
    assert (status["done"], status["pending"], status["running"]) == (4, 5, None)
    ds, counts = run_grid(FIG, True, out, workers=1)
    assert counts["reused"] == 4 and counts["computed"] == 5
    _same_bits(reference, ds)


def test_damaged_cell_file_is_named(finished, tmp_path):
    out = _copy(finished, tmp_path)
    victim = sorted(SweepStore(out).cells_dir.glob("*.nc"))[2]
    victim.write_bytes(victim.read_bytes()[:200])
    with pytest.raises(CorruptResultError, match=victim.name):
        run_grid(FIG, True, out)


def test_second_writer_is_refused(finished, tmp_path):
    out = _copy(finished, tmp_path)
    with SweepStore(out).lock(), pytest.raises(SweepLockedError, match="in use"):
        run_grid(FIG, True, out)


def test_finished_store_is_reused_without_computing(finished, tmp_path):
    out = _copy(finished, tmp_path)
    ds, counts = run_grid(FIG, True, out, workers=2)  # no task: no pool is started
    assert counts == {"reused": 9, "computed": 0, "failed": 0, "retried": 0}
    _same_bits(finished[1], ds)


# ---- a tiny grid for the faults --------------------------------------------------------------
def toy_cell(spec: dict):
    """Cell function of the toy grid (module level: workers import it by name); the cell
    x = 2 fails while the file ``spec["flag"]`` exists."""
    from pathlib import Path

    import xarray as xr

    if spec["x"] == 2.0 and Path(spec["flag"]).exists():
        raise ValueError(f"toy cell failure at x={spec['x']}")
    if spec["x"] == 3.0 and Path(spec["flag"] + "-crash").exists():
        os._exit(3)  # the worker process dies
    return xr.Dataset({"y": ("k", np.sqrt(spec["x"] + np.arange(3.0)))})


def _toy_assemble(quick, cells):
    import xarray as xr

    return xr.Dataset({"y": (("x", "k"), np.stack([c["y"].values for c in cells]))})


@pytest.fixture
def toy_flag(tmp_path):
    """Register the toy grid; yield the flag file that makes its cell x = 2 fail."""
    flag = tmp_path / "fail-flag"
    grid = Grid(cells=lambda quick: [{"x": float(x), "flag": str(flag)} for x in range(4)],
                compute_cell=toy_cell, assemble=_toy_assemble)
    register(TOY, paper="test", number="0", title="toy grid", grid=grid,
             plot=lambda ds, path: None, claims=lambda ds: [])
    yield flag
    unregister(TOY)


def test_failing_cell_is_named_kept_and_retried_on_rerun(toy_flag, tmp_path):
    out = tmp_path / "toy.nc"
    toy_flag.touch()
    with pytest.raises(FigureGridError, match=r"1 of 4 cells .*toy cell failure at x=2.0"):
        run_grid(TOY, True, out)
    status = sweep_status(out)
    assert (status["done"], status["failed"]) == (3, 1)
    assert status["failures"][0]["cell"]["x"] == 2.0
    toy_flag.unlink()  # the fault is gone: a rerun computes only the failed cell
    ds, counts = run_grid(TOY, True, out)
    assert counts == {"reused": 3, "computed": 1, "failed": 0, "retried": 0}
    _same_bits(compute_grid(get_figure(TOY).grid, True), ds)


def test_worker_death_is_retried_then_recorded_and_the_rest_kept(toy_flag, tmp_path):
    out = tmp_path / "toy.nc"
    crash = Path(str(toy_flag) + "-crash")
    crash.touch()
    with pytest.raises(FigureGridError, match=r"1 of 4 cells .*BrokenProcessPool"):
        run_grid(TOY, True, out, workers=2, retries=1)
    failure = sweep_status(out)["failures"][0]
    assert failure["cell"]["x"] == 3.0 and failure["attempts"] == 2
    crash.unlink()
    ds, counts = run_grid(TOY, True, out, workers=2)
    assert (counts["reused"], counts["computed"]) == (3, 1)
    _same_bits(compute_grid(get_figure(TOY).grid, True), ds)


def test_grid_rejects_a_cell_function_workers_cannot_import():
    with pytest.raises(ValueError, match="module-level function"):
        Grid(cells=lambda q: [], compute_cell=lambda spec: spec, assemble=_toy_assemble)


def test_executor_options_on_a_figure_without_grid_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not a grid of independent cells"):
        reproduce("levi2023/fig4", True, tmp_path, workers=2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0"], "--workers must be at least 1"),
        (["--cluster", "nowhere:1"], "--cluster must be a scheduler address"),
        (["--cluster", "local:x"], "whole number of workers"),
        (["--workers", "2", "--cluster", "local:2"], "not both"),
        (["--workers", "2", "--batch", "0"], "batch must be ≥ 1"),
    ],
)
def test_cli_reproduce_refuses_bad_executor_options(args, message, tmp_path):
    from groklab.cli import app

    result = CliRunner().invoke(app, ["reproduce", FIG, "--quick", "--out", str(tmp_path),
                                      *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not any(tmp_path.iterdir())  # refused before any work


def test_cli_reproduce_non_grid_figure_with_workers_is_refused(tmp_path):
    from groklab.cli import app

    result = CliRunner().invoke(app, ["reproduce", "levi2023/fig4", "--quick", "--workers",
                                      "2", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "not a grid of independent cells" in result.stderr


def test_cli_status_of_a_figure_grid(finished):
    from groklab.cli import app

    result = CliRunner().invoke(app, ["sweep", "--status", str(finished[0])])
    assert result.exit_code == 0, result.output
    assert f"Cells of figure {FIG} (quick)" in result.output
    assert "cells: 9 done, 0 failed, 0 pending of 9" in result.output
