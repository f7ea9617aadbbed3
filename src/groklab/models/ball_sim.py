"""Numerical gradient flow of the uniform-ball model in JAX: proximal (forward–backward) Euler,
batched over seeds, records at chosen flow times (spec ``zunkovic2024-local-rules.md`` §1, §3).

Scheme. Each step is

    w ← S_{dt·λ₁}(w − dt (G w − b)),   S_c(v) = sgn(v) max(|v| − c, 0)  (soft-thresholding),

the explicit Euler step of the smooth part of Eq. 19 followed by the exact proximal step of
λ₁|w|₁ (for λ₁ = 0, plain explicit Euler). Why proximal and not the subgradient flow
dw/dt = −Gw + b − λ₁ sgn(w): a subgradient Euler step never lands on w_j = 0, so every weight the
L1 term should switch off chatters around 0 with amplitude O(dt·λ₁), and the fixed point is
not the stationary point. The proximal step is the backward (implicit) Euler step of the
non-smooth term: thresholded weights sit exactly at 0 (sgn(0) = 0 as in the closed forms), the
fixed point for any dt < 2/λ_max(G) is the minimiser w^λ of R, and as dt → 0 the iterates
converge to the Filippov (minimal-norm subgradient) solution of the L1 gradient flow. The scheme
is first order in dt; it is independent of the Eq. 21 eigen-solution that ``predict`` uses.

Step size: dt = ``dt_scale``/L with L = (1 + ε)² + λ₂ ≥ λ_max(G) for every draw (all inputs
lie in the ball of radius 1 + ε), so dt is the same for every seed and batching does not
change the numbers (spec [project]: dt ≤ 0.01/λ_max(G) at the default ``dt_scale`` = 0.01).
Each interval between record times is split into ⌈Δt/dt⌉ equal steps, so the records fall on
the requested times exactly.
"""

from __future__ import annotations

from functools import cache

import numpy as np

__all__ = ["MAX_STEPS", "default_dt", "proximal_euler", "step_plan"]

#: Largest number of Euler steps one :func:`proximal_euler` call may take.
MAX_STEPS = 50_000_000


def step_plan(times: np.ndarray, dt_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Steps per record interval and their size: (n_k, dt_k) with n_k = ⌈Δt_k/dt_max⌉ and
    dt_k = Δt_k/n_k (the first record, at ``times[0]`` ≥ 0, is reached from t = 0)."""
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("times must be a non-empty 1-D array of finite flow times ≥ 0.")
    if np.any(np.diff(t) <= 0):
        raise ValueError("times must be strictly increasing.")
    dt = np.diff(t, prepend=0.0)
    n = np.ceil(dt / dt_max - 1e-9).astype(np.int64)
    n = np.where(dt > 0, np.maximum(n, 1), 0)
    total = int(n.sum())
    if total > MAX_STEPS:
        raise ValueError(
            f"The simulation needs {total:.3g} Euler steps (dt = {dt_max:.3g} up to t = "
            f"{t[-1]:g}), more than {MAX_STEPS:.0e}; lower t_max or raise dt_scale (≤ 1).")
    with np.errstate(invalid="ignore", divide="ignore"):
        step = np.where(n > 0, dt / np.maximum(n, 1), 0.0)
    return n, step


@cache
def _compiled(l1: bool):
    from groklab.dynamics import jax, jnp

    def one(G, b, w0, lam1, incs, dts):
        def seg(w, nd):
            n, dt = nd

            def step(_, v):
                v = v - dt * (G @ v - b)
                if l1:
                    v = jnp.sign(v) * jnp.maximum(jnp.abs(v) - dt * lam1, 0.0)
                return v

            w = jax.lax.fori_loop(0, n, step, w)
            return w, w

        return jax.lax.scan(seg, w0, (incs, dts))[1]

    return jax.jit(jax.vmap(one, in_axes=(0, 0, 0, None, None, None)))


def proximal_euler(G: np.ndarray, b: np.ndarray, w0: np.ndarray, lam1: float,
                   times: np.ndarray, dt_max: float, precision: str = "float64") -> np.ndarray:
    """Run the proximal Euler flow for a batch of seeds (G: (S, D, D), b, w0: (S, D)) and return
    w at ``times``: (S, T, D) as float64 NumPy (computed in ``precision``)."""
    from groklab.dynamics import jnp

    n, dts = step_plan(times, dt_max)
    dtype = jnp.float64 if precision == "float64" else jnp.float32
    fn = _compiled(bool(lam1 > 0))
    out = fn(jnp.asarray(G, dtype), jnp.asarray(b, dtype), jnp.asarray(w0, dtype),
             jnp.asarray(lam1, dtype), jnp.asarray(n, jnp.int64), jnp.asarray(dts, dtype))
    out = np.asarray(out)
    if not np.all(np.isfinite(out)):
        raise FloatingPointError(
            f"The Euler flow became non-finite (dt = {dt_max:.3g}); lower dt_scale.")
    return out


def default_dt(eps: float, lam2: float, dt_scale: float) -> float:
    """dt = dt_scale/L, L = (1 + ε)² + λ₂ ≥ λ_max(G) (inputs lie within radius 1 + ε)."""
    return dt_scale / ((1.0 + eps) ** 2 + lam2)

