"""An ensemble of tensor-network students in groklab versus an idiomatic PyTorch loop.

Problem (issue 5 §6; spec zunkovic2024-local-rules §4.2, §5): 1000 members (seeds 0…999) of the
full rule-learning model, bond dimension d = 10, rule 30 (1-local, open boundaries), all 2^10
strings of length 10 as the training set, minibatches of 128 (8 Adam steps per epoch), loss
½(σ(ŷ) − (1 + y)/2)² averaged over the batch's sites, Adam (lr 0.005, PyTorch defaults), λ = 0,
float64, 1000 Adam steps per member.

Contestants, in this one process:

(a) groklab: ``run_ensemble(config, seeds, times)``: every member in ONE jit-compiled call
    (``vmap`` over members, ``lax.scan``/``fori_loop`` over steps). *Cold* is the first call
    (with XLA compilation), records at steps 0 and R. Fixed cost = the best warm call with
    records at steps 0 and R (initialisation, data, the two evaluations, transfer); per-step
    cost = (warm call with records at 0 and ``--gk-steps`` − fixed)/(``--gk-steps`` − R); both
    runs are one compiled program (the config's epochs cover the horizon). At the horizon:
    fixed + per-step × (steps − R), **extrapolated** unless ``--gk-steps`` = steps. The
    evaluation sets are kept small (``--n-test`` strings of length 20, exhaustive lengths 3…6),
    so the timing is the training.
(b) PyTorch: an ``nn.Module`` holding A, B, v^L, v^R as ``nn.Parameter``; forward = Python loop
    over the sites with ``torch.bmm`` and per-site normalisation (Eqs. 60–63), ``torch.sigmoid``,
    ``0.5 * F.mse_loss``, ``torch.optim.Adam(lr=0.005)``; one member at a time with the *same*
    initial tensors and batch order as groklab (``groklab.models.rule_learning_train``). It
    trains ``--torch-members`` members for the full horizon; the time for all members is
    **extrapolated linearly** (members are independent and cost the same).

Correctness: for the members PyTorch trained, the training loss on all 1024 strings at step
``--gk-steps`` must agree with groklab's record (same data, same updates; float64 round-off).
Timings are taken on whatever machine runs the script; on a shared machine read them with the
load average printed at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import env_threads, fmt_s, load, machine  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--members", type=int, default=1000, help="ensemble size (default 1000)")
    p.add_argument("--steps", type=int, default=1000, help="Adam steps per member (1000)")
    p.add_argument("--gk-steps", type=int, default=200,
                   help="steps groklab actually runs; scaled to --steps (default 200)")
    p.add_argument("--torch-members", type=int, default=2,
                   help="members PyTorch actually trains; scaled to --members (default 2)")
    p.add_argument("--d", type=int, default=10, help="bond dimension")
    p.add_argument("--length", type=int, default=10, help="training strings: all of this length")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--n-test", type=int, default=10, help="random test strings (length 20)")
    p.add_argument("--fixed-steps", type=int, default=8, help="R: the fixed-cost run's horizon")
    p.add_argument("--reps", type=int, default=1, help="warm repetitions (best is kept)")
    p.add_argument("--float32", action="store_true", help="also time groklab in float32")
    a = p.parse_args(argv)
    a.gk_steps = min(a.gk_steps, a.steps)
    a.torch_members = min(a.torch_members, a.members)
    if a.gk_steps <= a.fixed_steps:
        p.error("--gk-steps must exceed --fixed-steps")
    return a


def make_config(a, precision="float64"):
    from groklab.models.rule_learning import Config

    spe = -(-(2**a.length) // a.batch)
    # epochs = the horizon: every run of this config (any record horizon ≤ it) is one program
    return Config(d=a.d, train_length=a.length, batch_size=a.batch, n_test=a.n_test,
                  test_length=20, exact_length=6, precision=precision, epochs=-(-a.steps // spe))


def time_groklab(cfg, a, seeds):
    """Cold, fixed and per-step cost of the batched run; the records of the measured run."""
    from groklab.models.rule_learning_train import run_ensemble

    R, S = a.fixed_steps, a.gk_steps
    t0 = time.perf_counter()
    run_ensemble(cfg, seeds, np.array([0, R]))  # the same program as the measured run
    cold = time.perf_counter() - t0
    fixed = meas = np.inf
    rec = None
    for _ in range(a.reps):
        t0 = time.perf_counter()
        run_ensemble(cfg, seeds, np.array([0, R]))
        fixed = min(fixed, time.perf_counter() - t0)
        t0 = time.perf_counter()
        rec = run_ensemble(cfg, seeds, np.array([0, S]))
        meas = min(meas, time.perf_counter() - t0)
    per_step = max(meas - fixed, 0.0) / (S - R)
    return cold, fixed, meas, per_step, rec


def torch_member(torch, cfg, seed, steps, check_step):
    """Idiomatic PyTorch training of one member. Returns (training loss on all strings at
    ``check_step``, setup s, loop s)."""
    from torch import nn
    from torch.nn import functional as F

    from groklab.models.rule_learning import sample
    from groklab.models.rule_learning_train import epoch_batches

    t0 = time.perf_counter()
    data = sample(cfg, seed)

    class TNStudent(nn.Module):
        def __init__(self, A, B, vL, vR):
            super().__init__()
            self.A = nn.Parameter(torch.tensor(A))
            self.B = nn.Parameter(torch.tensor(B))
            self.vL = nn.Parameter(torch.tensor(vL))
            self.vR = nn.Parameter(torch.tensor(vR))

        def forward(self, x):
            up = x > 0
            n, M = x.shape
            left = [(self.vL / self.vL.norm()).expand(n, -1)]
            right = [(self.vR / self.vR.norm()).expand(n, -1)]
            for i in range(M - 1):
                Al = torch.where(up[:, i, None, None], self.A[:, :, 1], self.A[:, :, 0])
                v = torch.bmm(left[-1].unsqueeze(1), Al).squeeze(1)
                left.append(v / v.norm(dim=-1, keepdim=True))
                Ar = torch.where(up[:, M - 1 - i, None, None], self.A[:, :, 1], self.A[:, :, 0])
                v = torch.bmm(Ar, right[-1].unsqueeze(-1)).squeeze(-1)
                right.append(v / v.norm(dim=-1, keepdim=True))
            L, R = torch.stack(left, 1), torch.stack(right[::-1], 1)
            Bx = torch.where(up[..., None, None], self.B[:, :, 1], self.B[:, :, 0])
            return torch.einsum("nia,niab,nib->ni", L, Bx, R)

    model = TNStudent(data["A"], data["B"], data["vL"], data["vR"])
    X = torch.tensor(data["X_train"])
    target = (1 + torch.tensor(data["y_train"])) / 2
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr_eff)
    spe = cfg.steps_per_epoch
    orders = [torch.tensor(epoch_batches(cfg, seed, e)) for e in range(-(-steps // spe))]
    check = np.nan
    t1 = time.perf_counter()
    for k in range(steps):
        idx = orders[k // spe][k % spe]
        idx = idx[idx >= 0]
        opt.zero_grad()
        loss = 0.5 * F.mse_loss(torch.sigmoid(model(X[idx])), target[idx])
        loss.backward()
        opt.step()
        if k + 1 == check_step:
            with torch.no_grad():
                check = (0.5 * F.mse_loss(torch.sigmoid(model(X)), target)).item()
    t2 = time.perf_counter()
    return check, t1 - t0, t2 - t1


def main(argv=None):
    a = parse_args(argv)
    import torch

    from groklab.dynamics import jax

    torch.set_default_dtype(torch.float64)
    T, M = a.steps, a.members
    seeds = list(range(M))
    cfg = make_config(a)
    print("Rule-learning ensemble: groklab batched vs PyTorch one member at a time (issue 5 §6)")
    print(f"  machine: {machine()}; {env_threads()}")
    print(f"  problem: {M} members, d = {a.d}, rule 30 (1-local, open BC), all 2^{a.length} = "
          f"{cfg.n_train} strings of length {a.length}, batch {cfg.batch_eff} "
          f"({cfg.steps_per_epoch} steps/epoch), Adam lr {cfg.lr_eff}, sigmoid-MSE, λ = 0, "
          f"{T} steps, float64")
    print(f"  torch {torch.__version__} ({torch.get_num_threads()} threads), jax {jax.__version__}")
    print(f"  start {load()}", flush=True)

    # ---- (a) groklab --------------------------------------------------------------------------
    cold, fixed, meas, per_step, rec = time_groklab(cfg, a, seeds)
    gk_total = fixed + per_step * (T - a.fixed_steps)
    gk_rate = M / per_step if per_step > 0 else np.nan
    print(f"  groklab: cold {fmt_s(cold)} ({a.fixed_steps} steps, with compilation); warm fixed "
          f"(records at 0, {a.fixed_steps}) {fmt_s(fixed)}; warm {a.gk_steps} steps "
          f"{fmt_s(meas)} -> {per_step * 1e3:.1f} ms/step for {M} members", flush=True)
    rows32 = None
    if a.float32:
        c32, f32, m32, p32, _ = time_groklab(make_config(a, "float32"), a, seeds)
        rows32 = (f32 + p32 * (T - a.fixed_steps), M / p32 if p32 > 0 else np.nan, c32)
        print(f"  groklab float32: cold {fmt_s(c32)}; fixed {fmt_s(f32)}; "
              f"{p32 * 1e3:.1f} ms/step", flush=True)

    # ---- (b) PyTorch, same members ----------------------------------------------------------
    torch_member(torch, cfg, 0, 2, 2)  # warm-up
    setup = loop = 0.0
    checks = []
    for s in seeds[: a.torch_members]:
        c, su, lo = torch_member(torch, cfg, s, T, a.gk_steps)
        checks.append(c)
        setup += su
        loop += lo
    per_member = (setup + loop) / a.torch_members
    torch_total = per_member * M
    torch_rate = a.torch_members * T / loop
    print(f"  torch: {a.torch_members} members x {T} steps {fmt_s(setup + loop)} (setup "
          f"{fmt_s(setup)}, loop {fmt_s(loop)}) -> {loop / (a.torch_members * T) * 1e3:.2f} "
          f"ms/step per member", flush=True)

    # ---- correctness ------------------------------------------------------------------------
    gk = rec["loss_train"][: a.torch_members, -1]
    rel = float(np.max(np.abs(gk - np.array(checks)) / np.abs(gk)))
    ok = rel < 1e-8
    print(f"  check: training loss at step {a.gk_steps}, members 0..{a.torch_members - 1}: "
          f"groklab {np.round(gk, 10).tolist()}, torch {np.round(checks, 10).tolist()}; max rel "
          f"diff {rel:.1e} -> {'OK' if ok else 'MISMATCH'}")

    # ---- table ------------------------------------------------------------------------------
    print()
    hdr = f"{'contestant':34s} {'measured':>10} {'at ' + str(M) + ' x ' + str(T):>16} " \
          f"{'steps*members/s':>16}"
    print(hdr)
    print("-" * len(hdr))
    gk_star = "*" if a.gk_steps < T else " "
    tc_star = "*" if a.torch_members < M else " "
    print(f"{'groklab (members batched, f64)':34s} {meas:9.1f}s {gk_total:14.1f}s{gk_star} "
          f"{gk_rate:16.0f}")
    if rows32 is not None:
        print(f"{'groklab (members batched, f32)':34s} {'':>10} {rows32[0]:14.1f}s{gk_star} "
              f"{rows32[1]:16.0f}")
    print(f"{'torch (one member at a time, f64)':34s} {setup + loop:9.1f}s "
          f"{torch_total:14.1f}s{tc_star} {torch_rate:16.0f}")
    print("-" * len(hdr))
    print(f"ratio torch/groklab (wall time for the whole ensemble): {torch_total / gk_total:.1f}x; "
          f"groklab cold start (compilation) {fmt_s(cold)} is not included")
    if a.gk_steps < T:
        print(f"* groklab extrapolated: fixed + per-step x ({T} - {a.fixed_steps}); measured "
              f"{a.gk_steps} steps. Use --gk-steps {T} to measure in full.")
    if a.torch_members < M:
        print(f"* torch extrapolated linearly from {a.torch_members} members trained for the full "
              f"{T} steps: (setup + loop)/member x {M}. Use --torch-members {M} to measure in "
              "full.")
    print(f"correctness: {'OK' if ok else 'MISMATCH'}; end {load()}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
