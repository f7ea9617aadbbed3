"""Grokking probability of the ball model by Monte Carlo (Žunkovič & Ilievski 2024; issue 5).

Issue 5 benchmark: "Grokking probability by Monte Carlo over 10⁵ data sets (D = 10, N = 10): wall
time; goal ≤ 5 s". Measured side by side in one run:

1. **vectorised** — :func:`groklab.models.ball_exact.mc_grok_probability`: all data sets sampled
   at once (exact uniform ball, 2N points each), one batched Gram product, one batched
   ``np.linalg.solve`` of G w = b, one vectorised zero-test-error test (Eq. 25). Timed cold (first
   call) and warm (median of ``--repeat``), with the split sampling / Gram / solve + test.
2. **naive baseline** — a Python loop over the data sets: draw one set, build G and b, call
   ``np.linalg.solve``, test. Same law, its own random stream.

Both estimates are printed with their binomial standard errors beside Eq. 86 (App. B).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Timer, env_threads, fmt_s, load, machine, print_rows  # noqa: E402


def naive(dim: int, n_train: int, eps: float, lam2: float, n_sets: int, seed: int) -> float:
    """Fraction of grokking data sets, one ``np.linalg.solve`` per set in a Python loop."""
    rng = np.random.default_rng(seed)
    eye = lam2 * np.eye(dim)
    hits = 0
    for _ in range(n_sets):
        g = rng.standard_normal((2 * n_train, dim))
        z = g * (rng.random(2 * n_train) ** (1.0 / dim) / np.linalg.norm(g, axis=1))[:, None]
        z[:, 0] += eps
        w = np.linalg.solve(z.T @ z / (2 * n_train) + eye, z.mean(axis=0))
        hits += bool(w[0] > 0 and (eps * eps - 1) * w[0] ** 2 >= w[1:] @ w[1:])
    return hits / n_sets


def split(dim: int, n_train: int, eps: float, lam2: float, n_sets: int, seed: int) -> dict:
    """Time the stages of the vectorised pass separately."""
    from groklab.models import ball_exact as bx

    rng = np.random.default_rng(seed)
    with Timer() as t1:
        z = bx.ensemble_z(rng, n_sets, n_train, dim, eps)
    with Timer() as t2:
        G, b = bx.gram(z, lam2)
    with Timer() as t3:
        bx.grokked(bx.stationary(G, b), eps).mean()
    return {"sample": t1.s, "gram": t2.s, "solve+test": t3.s}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dim", type=int, default=10)
    p.add_argument("--n-train", type=int, default=10, help="points per class N")
    p.add_argument("--eps", type=float, default=1.01)
    p.add_argument("--lam2", type=float, default=0.1)
    p.add_argument("--n-sets", type=int, default=10**5)
    p.add_argument("--naive-sets", type=int, default=None,
                   help="data sets of the naive loop (default --n-sets); its time is scaled up")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args(argv)

    from groklab.models import ball_exact as bx
    from groklab.theory import local_rules_ball as th

    print(f"# bench_ball_probability — {machine()}; {env_threads()}; {load()}")
    args = (a.dim, a.n_train, a.eps, a.lam2)
    with Timer() as cold:
        res = bx.mc_grok_probability(*args, n_sets=a.n_sets, seed=0)
    warm = []
    for r in range(a.repeat):
        with Timer() as t:
            bx.mc_grok_probability(*args, n_sets=a.n_sets, seed=r + 1)
        warm.append(t.s)
    stages = split(*args, a.n_sets, seed=99)
    n_naive = a.naive_sets or a.n_sets
    with Timer() as tn:
        p_naive = naive(*args, n_naive, seed=12345)
    naive_s = tn.s * a.n_sets / n_naive
    vec_s = statistics.median(warm)
    se_naive = math.sqrt(max(p_naive * (1 - p_naive), 1 / n_naive) / n_naive)
    print(f"D = {a.dim}, N = {a.n_train} per class, ε = {a.eps}, λ₂ = {a.lam2}, "
          f"{a.n_sets:,} data sets")
    rows = [
        ("vectorised, cold", fmt_s(cold.s), f"P = {res['p']:.5f} ± {res['stderr']:.5f}"),
        (f"vectorised, warm (median of {a.repeat})", fmt_s(vec_s),
         "  ".join(f"{k} {fmt_s(v)}" for k, v in stages.items())),
        ("naive loop (np.linalg.solve per set)",
         fmt_s(naive_s) + ("" if n_naive == a.n_sets else f" (scaled from {n_naive:,})"),
         f"P = {p_naive:.5f} ± {se_naive:.5f}"),
        ("speed-up naive / vectorised warm", f"{naive_s / vec_s:.1f}×",
         f"goal: vectorised ≤ 5 s → {'met' if vec_s <= 5 else 'NOT met'}"),
        ("Eq. 86 (App. B, N ≫ 1)", "", f"P = {th.p_grok_eq86(*args):.5f}"),
    ]
    print_rows(rows)


if __name__ == "__main__":
    main()
