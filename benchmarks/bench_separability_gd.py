"""Batched GD of the edge-of-separability model in groklab versus an idiomatic PyTorch loop.

Problem (issue 3, §7, second benchmark; spec beck2025-edge-of-separability §1.3–1.4): x_i ~
N(0, σ² I_d), i = 1..N, all labels −1, f_i = Sᵀx_i + b, logistic loss L = (1/N) Σ softplus(f_i),
full-batch GD on (S, b). Defaults: 8 seeds, N = 4000, d = 1920 (λ = 0.48), σ = 5, η = 0.01,
a horizon of 10⁴ steps, records at a few log-spaced steps.

Contestants, in this one process:

(a) groklab: ``simulate_arrays(Config(d, n_train, sigma, eta, t_max), times, seeds)``. It samples
    the 8 seeds and runs them as one batched (vmap) jitted ``lax.scan``. *Cold* is the first call,
    with XLA compilation. Fixed cost = the best of two warm calls whose records lie at steps
    1…R (sampling, R observations, transfer). Per-step cost = (warm call with records log-spaced
    in [1, ``--gd-steps``] − fixed) / (``--gd-steps`` − R), best of ``--reps`` calls.
    At the horizon: fixed + per-step × (steps − R) (extrapolated unless ``--gd-steps`` = steps).
(b) PyTorch: ``nn.Linear(d, 1)`` (with bias), ``nn.BCEWithLogitsLoss`` with target 0 (that is
    softplus(f), the loss of label −1), ``torch.optim.SGD(lr=η)``, float64, full batch, one seed
    at a time. It gets the *same* data as groklab: X, S0 and b0 from
    ``groklab.models.separability.sample(config, seed)``, and records the training loss at the
    same steps. It runs ``--torch-steps`` steps. At the horizon:
    setup + (time in the loop) × steps / torch_steps (extrapolated unless torch_steps = steps).

Correctness: the two training losses at the last common record step must agree to round-off
(same data, same initial parameters, same updates).

Memory bandwidth: groklab's step reads X twice (X·S, then Xᵀw), so it moves 2·|X| bytes
(8 × 4000 × 1920 × 8 B = 492 MB per read; vectors of size N and d are negligible, and are
counted). The reference is the best of a few read kernels on a 1 GiB array (NumPy sum on 2
threads, jitted JAX sum, an OpenBLAS gemv), measured in the same run like
``bench_bandwidth.py``. Goal ≥ 70 %.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import env_threads, fmt_s, load, log_times, machine, read_kernels  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=10_000, help="GD horizon (default 10^4)")
    p.add_argument("--gd-steps", type=int, default=500,
                   help="steps actually run by groklab; scaled to --steps (default 500)")
    p.add_argument("--torch-steps", type=int, default=500,
                   help="steps actually run by the PyTorch loop; scaled to --steps (default 500)")
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--d", type=int, default=1920)
    p.add_argument("--n", type=int, default=4000, help="training points N")
    p.add_argument("--sigma", type=float, default=5.0)
    p.add_argument("--eta", type=float, default=0.01)
    p.add_argument("--records", type=int, default=5, help="log-spaced record times")
    p.add_argument("--reps", type=int, default=2, help="warm repetitions (best is kept)")
    p.add_argument("--bw-gib", type=float, default=1.0, help="array size of the read kernels")
    p.add_argument("--bw-rounds", type=int, default=5)
    a = p.parse_args(argv)
    a.gd_steps = min(a.gd_steps, a.steps)
    a.torch_steps = min(a.torch_steps, a.steps)
    if min(a.gd_steps, a.torch_steps) < 2 * a.records:
        p.error(f"--gd-steps and --torch-steps must be at least {2 * a.records}")
    return a


def read_bandwidth(jax, jnp, gib: float, rounds: int) -> tuple[float, dict]:
    """Best-of-``rounds`` read bandwidth (GB/s) of the shared read kernels on a ``gib`` GiB
    array (the same kernels as bench_bandwidth.py)."""
    an = np.ones(int(gib * 2**30 / 8))
    with ThreadPoolExecutor(2) as pool:
        kernels = read_kernels(an, pool, jax, jnp)
        for f, _ in kernels.values():
            f()
        best = dict.fromkeys(kernels, np.inf)
        for _ in range(rounds):
            for name, (f, _) in kernels.items():
                t0 = time.perf_counter()
                f()
                best[name] = min(best[name], time.perf_counter() - t0)
    bw = {name: kernels[name][1] / best[name] / 1e9 for name in kernels}
    return max(bw.values()), bw


def torch_run(torch, X, S0, b0, eta, steps, record_steps):
    """Idiomatic PyTorch: full-batch SGD of nn.Linear(d, 1) on BCEWithLogits with target 0
    (= softplus(f), label −1). Returns (losses at record_steps, setup s, loop s)."""
    nn = torch.nn
    t0 = time.perf_counter()
    Xt = torch.from_numpy(np.asarray(X))
    n, d = Xt.shape
    model = nn.Linear(d, 1, bias=True, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(np.asarray(S0)).reshape(1, d))
        model.bias.fill_(float(b0))
    target = torch.zeros(n, 1, dtype=torch.float64)
    crit = nn.BCEWithLogitsLoss()
    opt = torch.optim.SGD(model.parameters(), lr=eta)
    rec = set(int(t) for t in record_steps)
    out = []
    t1 = time.perf_counter()
    for k in range(1, steps + 1):
        opt.zero_grad()
        loss = crit(model(Xt), target)
        loss.backward()
        opt.step()
        if k in rec:
            with torch.no_grad():
                out.append(crit(model(Xt), target).item())
    t2 = time.perf_counter()
    return np.array(out), t1 - t0, t2 - t1


def main(argv=None):
    a = parse_args(argv)
    import torch

    from groklab.dynamics import jax, jnp
    from groklab.models.separability import Config, sample
    from groklab.models.separability_sim import simulate_arrays

    T, R = a.steps, a.records
    seeds = list(range(a.seeds))
    cfg = Config(d=a.d, n_train=a.n, sigma=a.sigma, eta=a.eta, t_max=T)
    x_bytes = a.seeds * a.n * a.d * 8
    step_bytes = 2 * x_bytes + a.seeds * 8 * (3 * a.n + 4 * a.d)  # X twice; f, w, S, g vectors

    print("Separability model: batched GD in groklab vs an idiomatic PyTorch loop (issue 3 §7)")
    print(f"  machine: {machine()}; {env_threads()}")
    print(f"  problem: {a.seeds} seeds, N = {a.n}, d = {a.d} (λ = {a.d / a.n:.3g}), σ = {a.sigma}, "
          f"η = {a.eta}, {T} GD steps, {R} log-spaced records; float64")
    print(f"  X: {a.seeds} x {a.n} x {a.d} x 8 B = {x_bytes / 1e6:.0f} MB; a GD step reads it "
          f"twice: {step_bytes / 1e6:.0f} MB/step")
    print(f"  torch {torch.__version__} ({torch.get_num_threads()} threads), jax {jax.__version__}")
    print(f"  start {load()}", flush=True)

    # ---- memory bandwidth -----------------------------------------------------------------
    ref_bw, bws = read_bandwidth(jax, jnp, a.bw_gib, a.bw_rounds)
    print(f"  read bandwidth (best of {a.bw_rounds}, {a.bw_gib:g} GiB): "
          + ", ".join(f"{k} {v:.2f} GB/s" for k, v in bws.items())
          + f"; reference {ref_bw:.2f} GB/s", flush=True)

    # ---- (a) groklab ------------------------------------------------------------------------
    t_fix = np.arange(1, R + 1)
    t_gd = log_times(a.gd_steps, R)
    t0 = time.perf_counter()
    simulate_arrays(cfg, t_gd, seeds)
    cold = time.perf_counter() - t0
    fixed = np.inf
    for _ in range(2):
        t0 = time.perf_counter()
        simulate_arrays(cfg, t_fix, seeds)
        fixed = min(fixed, time.perf_counter() - t0)
    gd_meas, rec = np.inf, None
    for _ in range(a.reps):
        t0 = time.perf_counter()
        rec = simulate_arrays(cfg, t_gd, seeds)
        gd_meas = min(gd_meas, time.perf_counter() - t0)
    gd_step = max(gd_meas - fixed, 0.0) / (a.gd_steps - R)
    gd_ext = fixed + gd_step * (T - R)
    gd_is_ext = a.gd_steps < T
    print(f"  groklab: cold {fmt_s(cold)} ({a.gd_steps} steps, with compilation); warm fixed "
          f"(records at 1..{R}) {fmt_s(fixed)}; warm {a.gd_steps} steps {fmt_s(gd_meas)} "
          f"-> {gd_step * 1e3:.2f} ms/step (8 seeds batched)", flush=True)

    # ---- (b) torch, same data ---------------------------------------------------------------
    t_tc = log_times(a.torch_steps, R)
    setup = loop = 0.0
    losses = []
    t0 = time.perf_counter()
    draws = [sample(cfg, s) for s in seeds]
    draws = [{k: np.array(v) for k, v in dr.items()} for dr in draws]  # writable copies
    sample_s = time.perf_counter() - t0
    torch_run(torch, draws[0]["X"], draws[0]["S0"], draws[0]["b0"], a.eta, 2, [2])  # warm-up
    for dr in draws:
        lo, su, tr = torch_run(torch, dr["X"], dr["S0"], dr["b0"], a.eta, a.torch_steps, t_tc)
        losses.append(lo)
        setup += su
        loop += tr
    losses = np.array(losses)
    torch_meas = setup + loop
    torch_step = loop / (a.torch_steps * a.seeds)
    torch_ext = setup + loop * T / a.torch_steps
    torch_is_ext = a.torch_steps < T
    print(f"  torch: {a.torch_steps} steps x {a.seeds} seeds {fmt_s(torch_meas)} (setup "
          f"{fmt_s(setup)}, loop {fmt_s(loop)}) -> {torch_step * 1e3:.2f} ms/step/seed "
          f"(sampling the same data with groklab: {fmt_s(sample_s)}, not counted)", flush=True)

    # ---- correctness: same data, so losses agree to round-off ------------------------------
    common = sorted(set(t_gd.tolist()) & set(t_tc.tolist()))
    ok = True
    if common:
        t_c = common[-1]
        lg = rec["loss_train"][:, list(t_gd).index(t_c)]
        lt = losses[:, list(t_tc).index(t_c)]
        rel = np.max(np.abs(lg - lt) / np.abs(lg))
        ok = rel < 1e-9
        print(f"  check: loss_train at step {t_c}: groklab {lg.mean():.12g} ± {lg.std():.2g} "
              f"(seed mean ± sd), torch {lt.mean():.12g}; max rel diff over seeds {rel:.1e} "
              f"-> {'OK' if ok else 'MISMATCH'}")
    else:
        print("  check: no common record step (give --gd-steps = --torch-steps)")

    # ---- table ------------------------------------------------------------------------------
    gbs = step_bytes / gd_step / 1e9 if gd_step > 0 else float("nan")
    frac = gbs / ref_bw
    # a step so short that it drowns in the fixed cost gives no bandwidth (nan)
    print()
    hdr = (f"{'contestant':28s} {'measured':>10} {'steps run':>9} {'ms/step':>9} "
           f"{'at ' + str(T) + ' steps':>16}")
    print(hdr)
    print("-" * len(hdr))
    star = lambda e: "*" if e else " "  # noqa: E731
    print(f"{'groklab (8 seeds batched)':28s} {gd_meas:9.2f}s {a.gd_steps:9d} "
          f"{gd_step * 1e3:9.2f} {gd_ext:14.1f}s{star(gd_is_ext)}")
    print(f"{'torch (seeds one by one)':28s} {torch_meas:9.2f}s {a.torch_steps:9d} "
          f"{torch_step * a.seeds * 1e3:9.2f} {torch_ext:14.1f}s{star(torch_is_ext)}")
    print("-" * len(hdr))
    per = torch_step * a.seeds / gd_step if gd_step > 0 else float("nan")
    print(f"ratio torch/groklab at {T} steps: {torch_ext / gd_ext:.2f}x   (per step: {per:.2f}x)")
    print(f"groklab GD step: {step_bytes / 1e6:.0f} MB / {gd_step * 1e3:.2f} ms = {gbs:.2f} GB/s "
          f"= {100 * frac:.0f}% of the {ref_bw:.2f} GB/s read bandwidth (goal >= 70%)")
    print("ms/step is for all 8 seeds (torch: summed over its sequential seeds).")
    if gd_is_ext or torch_is_ext:
        print(f"* extrapolated from the measured steps: groklab fixed + per-step x ({T} - {R}); "
              f"torch setup + loop x {T}/{a.torch_steps}. Use --gd-steps {T} --torch-steps {T} "
              f"to measure in full.")
    print(f"correctness: {'OK' if ok else 'MISMATCH'}; end {load()}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
