"""Adaptive gradient flow vs fixed-step GD to t = 10⁷ (issue 3, §7, first benchmark).

Problem: the edge-of-separability model with N = 400, d = 192 (λ = 0.48), σ = 5, η = 0.01
(the default), ``--seeds`` seeds batched, L_gen recorded at 40 log-spaced times in [1, 10⁷].

Accuracy is that of L_gen(t) as an approximation of the gradient flow dθ/dt = −η∇L (t in steps):
the reference is the adaptive flow at rtol = 1e-12, atol = 1e-14. GD with step η approximates it
to O(η); its error is the max over seeds and record times of |L_gen^GD − L_gen^ref| / L_gen^ref.

GD to 10⁷ steps takes minutes here, so by default GD runs ``--gd-steps`` (10⁵) steps; its error is
measured on the records up to that horizon, and its cost to 10⁷ is extrapolated linearly in steps:
evaluations = 10⁷ per seed (one gradient a step), wall = (warm wall of the short run) × 10⁷ /
gd_steps. ``--gd-steps 10000000`` measures it in full.

The flow's tolerance is swept (rtol = 10⁻³ … 10⁻¹⁰, atol = rtol/100); the loosest rtol whose error
over the whole [1, 10⁷] window is at most GD's error is the "equal accuracy" point. Its gradient
evaluations are exact (Tsit5: 6 per attempted step + 1, per seed; the max over seeds is used) and
its wall time is a warm run (compilation excluded, as for GD).

Run: ``.venv/bin/python benchmarks/bench_flow.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from groklab.models import separability as sep
from groklab.models import separability_sim as sim


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--t-max", type=float, default=1e7)
    p.add_argument("--gd-steps", type=int, default=100_000, help="GD horizon actually run")
    p.add_argument("--seeds", type=int, default=4)
    return p.parse_args(argv)


def _warm(fn):
    fn()  # compile
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main(argv=None):
    args = parse_args(argv)
    cfg = sep.Config(n_train=400, d=192, sigma=5.0, eta=0.01)
    seeds = list(range(args.seeds))
    data = sim._batched_sample(cfg, seeds)
    times = np.concatenate([[0], np.unique(np.round(np.logspace(0, np.log10(args.t_max), 40)))])
    times = times.astype(np.int64)

    ref, ref_res = sim.run_flow_arrays(cfg, data, times, rtol=1e-12, atol=1e-14)
    assert np.all(ref_res.success)
    l_ref = ref["loss_gen"]

    # GD on the short horizon
    t_gd = times[times <= args.gd_steps]
    if t_gd[-1] != args.gd_steps:
        t_gd = np.append(t_gd, args.gd_steps)
    ref_gd, _ = sim.run_flow_arrays(cfg, data, t_gd, rtol=1e-12, atol=1e-14)
    gd, gd_wall = _warm(lambda: sim.run_arrays(cfg, data, t_gd))
    gd_err = float(np.max(np.abs(gd["loss_gen"] - ref_gd["loss_gen"]) / ref_gd["loss_gen"]))
    gd_evals = args.t_max  # one gradient per step, per seed
    gd_wall_full = gd_wall * args.t_max / args.gd_steps

    print(f"problem: N=400, d=192 (lambda=0.48), sigma=5, eta={cfg.eta}, {len(seeds)} seeds, "
          f"t_max={args.t_max:.0e}, {times.size} records")
    print(f"reference flow (rtol 1e-12): {int(ref_res.num_steps.max())} steps")
    print(f"GD: ran {args.gd_steps} steps in {gd_wall:.3f} s (warm); max rel. L_gen error vs flow "
          f"on [1, {args.gd_steps}] = {gd_err:.3e}")
    if args.gd_steps < args.t_max:
        print(f"GD to {args.t_max:.0e}: EXTRAPOLATED linearly in steps: {gd_evals:.3g} gradient "
              f"evaluations, {gd_wall_full:.1f} s")
    print()
    head = (f"{'rtol':>8} {'steps':>6} {'grad evals':>10} {'wall s':>8} {'max rel err':>12} "
            f"{'evals ratio':>12} {'wall ratio':>11}")
    print(head)
    print("-" * len(head))
    chosen = None
    for rtol in [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10]:
        (rec, res), wall = _warm(
            lambda r=rtol: sim.run_flow_arrays(cfg, data, times, rtol=r, atol=r * 1e-2)
        )
        err = float(np.max(np.abs(rec["loss_gen"] - l_ref) / l_ref))
        evals = int(np.max(res.n_grad_evals))
        ok = bool(np.all(res.success))
        print(f"{rtol:8.0e} {int(res.num_steps.max()):6d} {evals:10d} {wall:8.3f} {err:12.3e} "
              f"{gd_evals / evals:12.0f} {gd_wall_full / wall:11.0f}" + ("" if ok else " FAILED"))
        if chosen is None and ok and err <= gd_err:
            chosen = (rtol, evals, wall, err)
    print()
    if chosen is None:
        print("no flow tolerance reached GD's accuracy")
        return
    rtol, evals, wall, err = chosen
    print(f"equal accuracy: loosest rtol with error <= GD's ({gd_err:.3e}): rtol={rtol:.0e} "
          f"(error {err:.3e})")
    print(f"  gradient evaluations: GD {gd_evals:.3g} / flow {evals} = {gd_evals / evals:.0f}x "
          f"fewer (goal >= 100x)")
    print(f"  wall time: GD {gd_wall_full:.1f} s / flow {wall:.3f} s = {gd_wall_full / wall:.0f}x")


if __name__ == "__main__":
    main()
