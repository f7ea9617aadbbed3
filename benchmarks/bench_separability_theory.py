"""Separability theory at the paper's test size (Beck et al. 2025; issue 3).

For N = 4000 Gaussian points and d = lam N with lam near 1/2 (default lam = 0.48 and 0.52), time

1. ``is_separable``: old path = dense HiGHS LP (``method="lp"``, capped with ``--lp-time-limit``
   seconds, reported as "> cap") vs new default path (``method="auto"``: Newton with rigorous
   separation / Farkas certificates, LP only if undecided),
2. ``max_margin`` (Eq. 5 penalized-bias QP): old solver (``method="nnls"``, the dual as NNLS,
   Lawson-Hanson) vs new default (``method="ipm"``: Mehrotra/Gondzio interior point plus exact
   active-set crossover), each with its KKT residual, and the largest difference of w_SVM
   between the two,
3. ``wendel_log_prob`` at N = 4e4 (vectorized over 100 d values),
4. with ``--fallback-draws K``: how often ``is_separable`` (``method="auto"``) leaves the
   decision to the LP, on K Gaussian draws at ``--fallback-N`` and each ``--lam``,

and print them as a table.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Timer, env_threads, fmt_s, load, machine, print_rows  # noqa: E402


def _lp(X, cap):
    from scipy.optimize import linprog

    norms = np.linalg.norm(X, axis=1)
    res = linprog(np.zeros(X.shape[1]), A_ub=-X / norms[:, None], b_ub=-1.0 / norms,
                  bounds=(None, None), method="highs", options={"time_limit": cap})
    return {0: "separable", 2: "inseparable", 1: "status 1 (hit time limit)"}.get(
        res.status, f"status {res.status}")


def _fallback_row(sp, N, lam, draws):
    """Count draws on which the Newton/Farkas certificates of is_separable stay undecided."""
    d = round(lam * N)
    rng = np.random.default_rng(1)
    undecided = separable = 0
    with Timer() as t:
        for _ in range(draws):
            X = rng.standard_normal((N, d))
            cert = sp._newton_certificate(X, np.linalg.norm(X, axis=1))
            undecided += cert is None
            separable += sp.is_separable(X, method="lp") if cert is None else cert[0]
    return (f"is_separable LP fallbacks  N={N} d={d}", fmt_s(t.s / draws) + "/draw",
            f"{undecided}/{draws} draws went to the LP ({separable} separable)")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--N", type=int, default=4000)
    p.add_argument("--lam", type=float, nargs="+", default=[0.48, 0.52])
    p.add_argument("--lp-time-limit", type=float, default=120.0)
    p.add_argument("--skip-lp", action="store_true")
    p.add_argument("--skip-nnls", action="store_true", help="skip the old max_margin solver")
    p.add_argument("--fallback-draws", type=int, default=0)
    p.add_argument("--fallback-N", type=int, default=1000)
    a = p.parse_args(argv)

    from groklab.theory import separability as sp

    print(f"# bench_separability_theory — {machine()}; {env_threads()}; {load()}")
    rows = []
    for lam in a.lam:
        d = round(lam * a.N)
        X = np.random.default_rng(0).standard_normal((a.N, d))
        if not a.skip_lp:
            with Timer() as t:
                verdict = _lp(X, a.lp_time_limit)
            shown = fmt_s(t.s) if "status" not in verdict else f"> {fmt_s(a.lp_time_limit)}"
            rows.append((f"is_separable old (LP)  N={a.N} d={d}", shown, verdict))
        with Timer() as t:
            sep = sp.is_separable(X)
        rows.append((f"is_separable new (auto)  N={a.N} d={d}", fmt_s(t.s),
                     "separable" if sep else "inseparable"))
        with Timer() as t:
            mm = sp.max_margin(X)
        rows.append((f"max_margin new (ipm)  N={a.N} d={d}", fmt_s(t.s),
                     f"M={mm.margin:.3e} separable={mm.separable} "
                     f"kkt={mm.kkt_residual:.1e} #sv={(mm.alpha > 0).sum()}"))
        if not a.skip_nnls:
            with Timer() as t:
                ref = sp.max_margin(X, method="nnls")
            dw = max(float(np.max(np.abs(ref.S - mm.S))), abs(ref.b - mm.b))
            rows.append((f"max_margin old (nnls)  N={a.N} d={d}", fmt_s(t.s),
                         f"M={ref.margin:.3e} separable={ref.separable} "
                         f"kkt={ref.kkt_residual:.1e} #sv={(ref.alpha > 0).sum()} "
                         f"max|w_ipm - w_nnls|={dw:.1e}"))
        if a.fallback_draws:
            rows.append(_fallback_row(sp, a.fallback_N, lam, a.fallback_draws))
    ds = np.linspace(1, 40000, 100).round().astype(int)
    with Timer() as t:
        sp.wendel_log_prob(40000, ds)
    rows.append(("wendel_log_prob N=4e4, 100 d", fmt_s(t.s), ""))
    print_rows(rows, value_width=10)


if __name__ == "__main__":
    main()
