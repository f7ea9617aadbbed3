"""Batched Langevin chains in groklab versus an idiomatic PyTorch loop (issue 6, §4).

Problem (spec jules2023-langevin-landscape §2.1–2.2): an MLP d = 20 → 90 → 90 → 1 (tanh; P =
10 171 parameters) on N = 500 random points with balanced ±1 labels, mean binary cross-entropy,
overdamped Euler–Maruyama θ ← θ − η∇L + √(2ηT)ξ, float64, 32 chains = 8 temperatures × 4 noise
seeds (T log-spaced in [1e−6, 1e−2], η = 0.1), all from the same initial weights.

Contestants, in this one process:

(a) groklab: :func:`groklab.dynamics.langevin.langevin_chains`, the 32 chains vmapped in one
    jitted ``lax.scan`` (records at the end only). *Cold* = first call (with compilation);
    *warm* = best of ``--reps`` repeated calls of ``--steps`` steps.
(b) PyTorch: ``nn.Sequential(Linear, Tanh, Linear, Tanh, Linear)`` in float64,
    ``F.binary_cross_entropy_with_logits``, ``loss.backward()`` and an in-place update
    ``p.add_(-η·grad + √(2ηT)·randn)`` under ``torch.no_grad()``, one chain after the other
    (``--torch-chains`` of them, ``--torch-steps`` steps each).

Printed: chain·steps per second of each and the ratio (goal ≥ 10×), the machine and the load.
Correctness: at T → 0 both are gradient descent from the same weights; their losses after
``--check-steps`` steps must agree to round-off.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import env_threads, load, machine  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=300, help="groklab steps per chain")
    p.add_argument("--torch-steps", type=int, default=100, help="PyTorch steps per chain")
    p.add_argument("--torch-chains", type=int, default=4, help="chains run by PyTorch")
    p.add_argument("--width", type=int, default=90)
    p.add_argument("--n", type=int, default=500, help="training points N")
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--check-steps", type=int, default=20)
    return p.parse_args(argv)


def main(argv=None) -> None:
    a = parse_args(argv)
    import torch

    from groklab.dynamics import jax, jnp
    from groklab.dynamics.langevin import chain_keys, langevin_chains
    from groklab.models.langevin_mlp import Config, sample
    from groklab.models.langevin_mlp_net import Net

    print(f"{machine()}; {env_threads()}; torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), jax {jax.__version__}")
    print(f"start: {load()}")
    cfg = Config(d=20, n_train=a.n, width=a.width, depth=2, n_test=1)
    data = sample(cfg, 0)
    net = Net.of(cfg)
    P = net.n_params
    temps = np.geomspace(1e-6, 1e-2, 8)
    T = np.repeat(temps, 4)
    C, eta = T.size, 0.1
    print(f"MLP 20→{a.width}→{a.width}→1 tanh, P = {P}, N = {a.n}, {C} chains (8 T × 4 seeds)")
    train = {"X": data["X"], "y": data["y"]}
    theta0 = jnp.broadcast_to(data["theta_init"], (C, P))
    keys = chain_keys(0, C)

    def run(steps, Ts):
        out = langevin_chains(net.loss, None, theta0, train, jnp.asarray(Ts),
                              jnp.full(C, eta), keys, jnp.asarray([steps]))
        return np.asarray(out["U"])

    t0 = time.perf_counter()
    run(a.steps, T)
    cold = time.perf_counter() - t0
    warm = math.inf
    for _ in range(a.reps):
        t0 = time.perf_counter()
        run(a.steps, T)
        warm = min(warm, time.perf_counter() - t0)
    jax_rate = C * a.steps / warm

    # ---- PyTorch, one chain at a time -------------------------------------------------------
    torch.manual_seed(0)
    X = torch.tensor(np.asarray(data["X"]))
    y01 = torch.tensor((np.asarray(data["y"]) + 1) / 2)
    layers = net.unravel(np.asarray(data["theta_init"]))

    def model_from_init():
        m = torch.nn.Sequential(torch.nn.Linear(20, a.width), torch.nn.Tanh(),
                                torch.nn.Linear(a.width, a.width), torch.nn.Tanh(),
                                torch.nn.Linear(a.width, 1)).double()
        with torch.no_grad():
            for lin, (W, b) in zip([m[0], m[2], m[4]], layers, strict=True):
                lin.weight.copy_(torch.tensor(np.asarray(W).T))
                lin.bias.copy_(torch.tensor(np.asarray(b)))
        return m

    def torch_chain(Tc, steps):
        m = model_from_init()
        params = list(m.parameters())
        amp = math.sqrt(2 * eta * Tc)
        for _ in range(steps):
            m.zero_grad(set_to_none=True)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(m(X)[:, 0], y01)
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p.add_(-eta * p.grad + amp * torch.randn_like(p))
        with torch.no_grad():
            return float(torch.nn.functional.binary_cross_entropy_with_logits(m(X)[:, 0], y01))

    torch_chain(1e-4, 3)  # warm-up
    t0 = time.perf_counter()
    for c in range(a.torch_chains):
        torch_chain(float(T[c]), a.torch_steps)
    torch_s = time.perf_counter() - t0
    torch_rate = a.torch_chains * a.torch_steps / torch_s

    # ---- correctness: T = 0 is gradient descent in both ------------------------------------
    g_loss = run(a.check_steps, np.zeros(C))[0, -1]
    t_loss = torch_chain(0.0, a.check_steps)
    rel = abs(g_loss - t_loss) / abs(t_loss)

    print(f"\n{'':24s}{'chain·steps/s':>16s}{'time':>12s}")
    print(f"{'groklab (32 batched)':24s}{jax_rate:16.1f}{warm:11.2f}s  "
          f"({a.steps} steps; cold {cold:.2f}s incl. compile)")
    print(f"{'PyTorch (one by one)':24s}{torch_rate:16.1f}{torch_s:11.2f}s  "
          f"({a.torch_chains} chains × {a.torch_steps} steps)")
    print(f"ratio groklab/PyTorch: {jax_rate / torch_rate:.2f}×  (goal ≥ 10×)")
    print(f"check: GD at T = 0 after {a.check_steps} steps, loss groklab {g_loss:.15g} vs "
          f"PyTorch {t_loss:.15g} (relative difference {rel:.1e})")
    print(f"end: {load()}")


if __name__ == "__main__":
    main()
