"""Direct convex minimizer (damped Newton) vs 20k epochs of full-batch GD, both NumPy float64.

Fig. 6 setting of Beck, Bar-Sinai & Levi (2026): d = 1400, N = 2000 (λ = 0.7), μ_f = 1,
σ_f = 0.5, σ_n = 1, α = 0.4, f = z², GD η = 0.1 from S₀ = 0 on the mean loss. One draw, one
process. A "pass" is one product with the data matrix X (a matvec, or the weighted Gram matrix
of a Newton step); GD uses two per epoch. By default GD runs ``--gd-epochs`` (1000) epochs and
its 20k-epoch wall time is **extrapolated** linearly from that measured run (the per-epoch cost
is constant); ``--gd-epochs 20000`` measures it in full and also compares the accuracies.

    .venv/bin/python benchmarks/bench_logit_reg_minimizer.py [--gd-epochs 20000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import special

from groklab.theory import logit_reg as lr

D, N, SIGMA_F, ALPHA, ETA, EPOCHS = 1400, 2000, 0.5, 0.4, 0.1, 20_000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gd-epochs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    g = np.random.default_rng(args.seed).standard_normal((N, D))
    X = g.copy()
    X[:, 0] = 1.0 + SIGMA_F * g[:, 0]

    lr.minimize(X[:50, :20], ALPHA)  # warm-up: JAX dispatch of the penalty, BLAS threads
    res = lr.minimize(X, ALPHA)
    acc_newton = float(lr.accuracy_binary(res.S, 1.0, SIGMA_F, 1.0))
    print(f"Newton: {res.n_iter} iterations, {res.n_passes} passes, {res.wall_s:.2f} s, "
          f"|grad| = {res.grad_norm:.2e}, A_gen = {acc_newton:.6f}")

    S = np.zeros(D)
    t0 = time.perf_counter()
    for _ in range(args.gd_epochs):
        z = X @ S
        S -= ETA * (X.T @ (-(1 - ALPHA) * special.expit(-z) + 2 * ALPHA * z) / N)
    wall = time.perf_counter() - t0
    grad = X.T @ (-(1 - ALPHA) * special.expit(-X @ S) + 2 * ALPHA * (X @ S)) / N
    acc_gd = float(lr.accuracy_binary(S, 1.0, SIGMA_F, 1.0))
    wall_20k = wall * EPOCHS / args.gd_epochs
    note = "measured" if args.gd_epochs == EPOCHS else f"extrapolated from {args.gd_epochs}"
    print(f"GD: {args.gd_epochs} epochs in {wall:.2f} s, |grad| = {np.linalg.norm(grad):.2e}, "
          f"A_gen = {acc_gd:.6f} (|ΔA| to Newton {abs(acc_gd - acc_newton):.1e})")
    print(f"GD 20k epochs: {2 * EPOCHS} passes, {wall_20k:.1f} s ({note})")
    print(f"ratio GD/Newton: passes {2 * EPOCHS / res.n_passes:.0f}x, "
          f"wall time {wall_20k / res.wall_s:.0f}x")


if __name__ == "__main__":
    main()
