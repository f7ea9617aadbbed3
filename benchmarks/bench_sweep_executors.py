"""Simulated phase diagram on Dask: 1 worker vs 2 workers, and the per-task overhead (issue 7).

Phase diagram: the separability model (Beck et al. 2025), λ × σ on a 16 × 16 grid, 4 seeds per
cell (``d=50``, ``t_max=1000``), one task per cell, on ``--cluster local:1`` and ``local:2``
(a LocalCluster of single-threaded worker processes). Each run writes its cells to a fresh
sweep folder, as ``groklab sweep --simulate --out`` does; the results of the two runs are
checked to be bit-identical.

Per-task overhead: the same machinery on no-op cells (this file is also a tiny model module,
``ID = "bench-noop"``, whose ``simulate`` returns a (4, 8) Dataset at once), so the time per
task is scheduling, transfer of the result, and the client's atomic write of the cell file.
The in-process executor on the same no-op cells gives the client-side share (store write).

Usage::

    .venv/bin/python benchmarks/bench_sweep_executors.py [--n 16] [--noop 200]
        [--executor dask|pool] [--batch K]
    .venv/bin/python benchmarks/bench_sweep_executors.py --small   # a fast check (4 × 4, 20)

``--executor pool`` runs the same comparison on the local process pool (``--workers 1``/``2``)
instead of Dask. ``--batch K`` puts K consecutive cells (along σ, the last axis) in one task,
which the separability model runs as one vectorized ``simulate_batch`` call.

Numbers depend on the machine and on what else runs on it; say so when quoting them.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from groklab._config import AbstractConfig, Integer, Real, param

ID = "bench-noop"


@dataclasses.dataclass(frozen=True)
class Config(AbstractConfig):
    x: float = param(0.0, Real(-1e9, 1e9))
    seed: int = param(0, Integer(0, 2**31 - 1))


def simulate(config, times=None, seeds=4):
    import xarray as xr

    seeds = list(range(config.seed, config.seed + seeds))
    t = np.arange(8)
    return xr.Dataset({"loss_train": (("seed", "t"), np.full((len(seeds), 8), config.x))},
                      coords={"seed": seeds, "t": t},
                      attrs={"config": config.to_dict(), "time_unit": "steps"})


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=16, help="grid points per axis (default 16)")
    parser.add_argument("--noop", type=int, default=200, help="no-op cells for the overhead")
    parser.add_argument("--executor", choices=("dask", "pool"), default="dask",
                        help="Dask LocalCluster local:N (default) or the process pool")
    parser.add_argument("--batch", type=int, default=1,
                        help="phase-diagram cells per task (default 1; K > 1: simulate_batch)")
    parser.add_argument("--small", action="store_true",
                        help="a fast check: a 4 × 4 grid and 20 no-op cells")
    args = parser.parse_args()
    if args.small:
        args.n, args.noop = 4, 20
    if args.n < 1 or args.noop < 2 or args.batch < 1:
        parser.error("--n must be ≥ 1, --noop ≥ 2 and --batch ≥ 1")

    def where(w: int) -> dict:
        return {"cluster": f"local:{w}"} if args.executor == "dask" else {"workers": w}

    sys.path.insert(0, str(Path(__file__).parent))  # workers import this file as a model
    import bench_sweep_executors as noop

    from groklab.models.registry import get_model
    from groklab.sweep import simulate_sweep, split_specs

    model = get_model("separability")
    pairs = {"d": "50", "t_max": "1000", "lam": f"0.3:0.7:{args.n}",
             "sigma": f"log:0.5:10:{args.n}"}
    base, axes = split_specs(model.Config, pairs)
    cells = args.n * args.n
    rows = []
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            ds, seconds = _timed(lambda w=workers: simulate_sweep(
                model, base, axes, seeds=4, out=Path(tmp) / f"sep{w}.nc", batch=args.batch,
                **where(w)))
            assert ds.attrs["complete"], ds.attrs["failures"][:3]
            results[workers] = ds
            rows.append((f"separability {args.n}×{args.n}×4 seeds", workers, seconds,
                         seconds / cells))
        for name in results[1].data_vars:
            assert results[1][name].values.tobytes() == results[2][name].values.tobytes(), name
        xs = {"x": np.arange(args.noop, dtype=float)}
        _, local = _timed(lambda: simulate_sweep(noop, {}, xs, seeds=4,
                                                 out=Path(tmp) / "noop0.nc"))
        startup = {}
        for workers in (1, 2):
            # one no-op cell: cluster start-up + one task; the difference is per-task cost
            _, startup[workers] = _timed(lambda w=workers: simulate_sweep(
                noop, {}, {"x": np.array([-1.0])}, seeds=4, out=Path(tmp) / f"one{w}.nc",
                **where(w)))
            _, seconds = _timed(lambda w=workers: simulate_sweep(
                noop, {}, xs, seeds=4, out=Path(tmp) / f"noop{w}.nc", **where(w)))
            rows.append((f"no-op × {args.noop}", workers, seconds,
                         (seconds - startup[workers]) / (args.noop - 1)))
    print(f"executor: {args.executor}; cores visible: {len(os.sched_getaffinity(0))}; "
          f"phase-diagram cells per task: {args.batch}")
    print(f"{'sweep':34} {'workers':>7} {'wall s':>8} {'s/cell':>8}")
    for name, workers, seconds, per in rows:
        print(f"{name:34} {workers:>7} {seconds:8.2f} {per:8.4f}")
    print("(no-op rows: s/cell = (wall − wall of a 1-cell sweep) / (cells − 1), i.e. without "
          "executor start-up)")
    print(f"executor start-up + 1 task: {startup[1]:.2f} s (1 worker), {startup[2]:.2f} s (2)")
    print(f"speed-up 1 → 2 workers (phase diagram, wall): {rows[0][2] / rows[1][2]:.2f}×; "
          f"without start-up: {(rows[0][2] - startup[1]) / (rows[1][2] - startup[2]):.2f}×")
    print(f"in-process no-op cells (client-side store write only): "
          f"{local / args.noop * 1e3:.1f} ms/cell")
    print("(phase-diagram cells include JAX compilation in each worker; results of 1 and 2 "
          "workers are bit-identical: checked)")


if __name__ == "__main__":
    main()
