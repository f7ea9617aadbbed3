"""Theory speed of the linear teacher–student model (issue 2, §7).

1. ``predict(Config(lam=0.95, eps=1e-3))`` with grokking times, warm: median of 50 (goal ≤ 20 ms),
   and ``grokking(config)`` alone.
2. The three Fig. 4 phase diagrams (spec §7) on 60 × 60 grids with the vectorized
   ``theory_grid`` (goal ≤ 10 s total on 2 cores), cold (first call in the process, includes
   building the quadrature rules and validating the axes) and warm.
3. The naive baseline: the old per-cell loop (``Config.replace`` + ``theory_times`` +
   ``loss_plateaus`` per cell) on every ``--stride``-th point of each axis, scaled up by the
   cell ratio to the full 3 × 3600 cells; reported with the speed-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Timer, env_threads, fmt_s, load, machine  # noqa: E402


def panels(n: int):
    from groklab.figures.levi2023.phase import log_int_grid
    from groklab.models import linear_teacher as lt

    base = lt.Config(eta=0.01, eps=1e-3, threshold="a95")
    gamma, d_out, lam = np.logspace(-6, -1, n), log_int_grid(1, 3000, n), np.linspace(0.02, 2, n)
    return [
        ("(γ, d_out) at λ=0.9", base.replace(lam=0.9), {"gamma": gamma, "d_out": d_out}),
        ("(γ, λ) at d_out=1", base.replace(lam=0.9), {"gamma": gamma, "lam": lam}),
        ("(d_out, λ) at γ=0", base.replace(lam=0.9), {"d_out": d_out, "lam": lam}),
    ]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=60, help="points per axis (default 60)")
    p.add_argument("--stride", type=int, default=6, help="baseline subset stride (default 6)")
    p.add_argument("--repeat", type=int, default=50)
    a = p.parse_args(argv)

    from groklab.models import linear_teacher as lt

    print(f"# bench_theory — {machine()}; {env_threads()}; {load()}")
    rows = []
    cfg = lt.Config(lam=0.95, eps=1e-3)
    for name, fn in (("predict(lam=0.95, eps=1e-3)", lambda: lt.predict(cfg)),
                     ("grokking(config)", lambda: lt.grokking(cfg))):
        fn()
        times = []
        for _ in range(a.repeat):
            with Timer() as t:
                fn()
            times.append(t.s)
        rows.append((name, fmt_s(statistics.median(times)), "≤ 20 ms" if "predict" in name
                     else "", f"median of {a.repeat}, warm"))

    total_cold = total_warm = total_naive = 0.0
    for label, base, axes in panels(a.n):
        with Timer() as cold:
            ds = lt.theory_grid(base, **axes)
        with Timer() as warm:
            lt.theory_grid(base, **axes)
        sub = {k: v[:: a.stride] for k, v in axes.items()}
        names = list(sub)
        shape = tuple(len(v) for v in sub.values())
        with Timer() as naive:
            lt._grid_loop(base, names, [sub[k] for k in names], shape)
        scale = ds["t_gen"].size / np.prod(shape)
        total_cold += cold.s
        total_warm += warm.s
        total_naive += naive.s * scale
        rows.append((f"theory_grid {label} {a.n}×{a.n}", fmt_s(cold.s) + " cold",
                     fmt_s(warm.s) + " warm",
                     f"loop baseline {fmt_s(naive.s * scale)} (scaled ×{scale:.0f}), "
                     f"speed-up ×{naive.s * scale / warm.s:.0f} warm"))
    rows.append((f"Fig. 4: three {a.n}×{a.n} diagrams", fmt_s(total_cold) + " cold",
                 fmt_s(total_warm) + " warm",
                 f"goal ≤ 10 s; loop baseline {fmt_s(total_naive)}, speed-up "
                 f"×{total_naive / total_cold:.0f} cold, ×{total_naive / total_warm:.0f} warm"))
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"# total {time.perf_counter() - t0:.1f} s")
