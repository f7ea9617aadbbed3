"""Simulation of the edge-of-separability model (Beck, Levi, Bar-Sinai 2025) in JAX.

Data (spec §1.2–1.4): x_i ~ N(0, σ² I_d), i = 1..N, all labels −1; output f_i = Sᵀx_i + b.
Training loss Eq. 1, L = (1/N) Σ softplus(f_i), or Eq. 6, L_e = (1/N) Σ e^{f_i} (evaluated as
exp(logsumexp f − log N)). Initialization: S₀ with an isotropic random direction and norm
``S0_norm``; b = ``b0``.

Recorded observables (all per seed and record time, in GD steps):

* ``loss_train``, ``acc_train`` (a tie f = 0 counts as correct);
* ``loss_gen``: the population loss of the configured loss, which depends only on a = σ‖S‖ and b —
  Eq. 3, E_Y[softplus(aY + b)], by :func:`population_logistic` (Gauss–Hermite / Gauss–Laguerre,
  see there), or e^{b + a²/2} for the exponential loss;
* ``acc_gen``: Eq. 4, ½ erfc(b/(√2 a)) (Θ(−b) at S = 0);
* ``norm_S``, ``bias``, ``b_over_norm`` = b/‖S‖;
* ``tau``: conformal time τ_k = Σ_{j<k} e^{b_j} in steps (the left Riemann sum of Eq. 8,
  τ = ∫ e^{b} dt, with t in epochs); flow-time units are η·τ.

GD runs in the engine (:func:`groklab.dynamics.gd.gd_batched`) with an analytic gradient. The
conformal time is a carried parameter ``eta_tau`` whose "gradient" is −e^{b}, so the engine's
update adds η e^{b_k} per step (exact, no extra scan). Adam (App. B) runs in a small local scan
of the same shape. Seeds run as one batched (``vmap``) computation.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from groklab.dynamics import jax, jnp
from groklab.dynamics.gd import as_increments, gd_batched, pop_finite_or_raise
from groklab.models.separability_config import Config

__all__ = [
    "key_for",
    "population_accuracy",
    "population_exponential",
    "population_logistic",
    "run_arrays",
    "run_flow_arrays",
    "sample",
    "simulate_arrays",
]

_PURPOSES = {"train": 0, "init": 1}
_N_HERMITE = 96
_N_LAGUERRE = 96


def key_for(seed: int, purpose: str) -> jax.Array:
    """The PRNG key of one random draw, derived from ``(seed, purpose)`` only."""
    return jax.random.fold_in(jax.random.PRNGKey(seed), _PURPOSES[purpose])


def _dtype(config: Config):
    return jnp.float32 if config.precision == "float32" else jnp.float64


def sample(config: Config, seed: int) -> dict[str, jax.Array]:
    """Training inputs ``X`` (N, d) with N(0, σ²) entries, initial ``S0`` (d,) with norm
    ``S0_norm`` in a uniformly random direction, and ``b0`` (scalar). Drawn in float64 so both
    precisions see the same sample."""
    dt = _dtype(config)
    X = config.sigma * jax.random.normal(
        key_for(seed, "train"), (config.n_train_eff, config.d), jnp.float64
    )
    u = jax.random.normal(key_for(seed, "init"), (config.d,), jnp.float64)
    S0 = config.S0_norm * u / jnp.linalg.norm(u)
    return {"X": X.astype(dt), "S0": S0.astype(dt), "b0": jnp.asarray(config.b0, dt)}


# ---- population quantities (depend on a = σ‖S‖ and b only) -----------------------------------
def _log1p_over(u):
    """log(1 + u)/u for u ≥ 0 (→ 1 as u → 0), without cancellation."""
    small = u < 1e-8
    safe = jnp.where(small, 1.0, u)
    return jnp.where(small, 1.0 - 0.5 * u, jnp.log1p(safe) / safe)


@functools.lru_cache(maxsize=8)
def _rules(n_h: int, n_l: int):
    y, wy = np.polynomial.hermite_e.hermegauss(n_h)
    z, wz = np.polynomial.laguerre.laggauss(n_l)
    return y, wy / math.sqrt(2 * math.pi), z, wz


@functools.partial(jax.jit, static_argnames=("n_hermite", "n_laguerre"))
def population_logistic(a, b, n_hermite: int = _N_HERMITE, n_laguerre: int = _N_LAGUERRE):
    """L_gen = E_{Y~N(0,1)}[softplus(aY + b)] (Eq. 3) for a = σ‖S‖ ≥ 0, elementwise.

    Two exact rewritings, each evaluated where its integrand is smooth on the nodes:

    * tilted (a ≤ 1, or c = a² + b ≤ −8a): L = e^{b + a²/2} E[h(aY + c)] with
      h(z) = softplus(z) e^{−z}, an analytic function → 1 as z → −∞; Gauss–Hermite
      (``n_hermite`` nodes). Keeps full relative accuracy for losses far below 1e-10.
    * split (otherwise): L = E[(aY + b)_+] + E[log(1 + e^{−|aY+b|})] (spec §1.3): the first
      term in closed form, a(φ(v) − vQ(v)), v = −b/a, via erfcx; the second, with z = aY + b,
      is (1/a) ∫₀^∞ e^{−z} [e^{z} log(1 + e^{−z})] [φ((z − b)/a) + φ((z + b)/a)] dz by
      Gauss–Laguerre (``n_laguerre`` nodes).

    At a = 0 this is softplus(b).
    """
    a = jnp.asarray(a)
    b = jnp.asarray(b)
    a, b = jnp.broadcast_arrays(a, b)
    dt = jnp.result_type(a.dtype, b.dtype, jnp.float32)
    a, b = a.astype(dt), b.astype(dt)
    y, wy, z, wz = (jnp.asarray(v, dt) for v in _rules(n_hermite, n_laguerre))
    c = a * a + b
    tilted = (a <= 1.0) | (c <= -8.0 * a)

    # tilted form
    zz = a[..., None] * y + jnp.where(tilted, c, 0.0)[..., None]
    neg = zz < 0
    h = jnp.where(
        neg,
        _log1p_over(jnp.exp(jnp.minimum(zz, 0.0))),
        (jnp.maximum(zz, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(zz)))) * jnp.exp(-jnp.maximum(zz, 0.0)),
    )
    log_e = jnp.log(jnp.sum(wy * h, axis=-1))
    expo = jnp.where(tilted, b + 0.5 * a * a + log_e, 0.0)
    l_tilted = jnp.exp(expo)

    # split form
    a_s = jnp.where(tilted, 2.0, a)
    b_s = jnp.where(tilted, 0.0, b)
    v = -b_s / a_s
    phi = jnp.exp(-0.5 * v * v) / math.sqrt(2 * math.pi)
    mills = math.sqrt(math.pi / 2) * jax.scipy.special.erfcx(jnp.abs(v) / math.sqrt(2.0))
    # v > 0: φ(v)(1 − v M(v)); v ≤ 0: φ(v) − vQ(v) = φ(v) + |v|(1 − φ(v) M(|v|)) … both ≥ 0
    relu = jnp.where(
        v > 0,
        phi * (1.0 - v * mills),
        phi + (-v) * (1.0 - phi * mills),
    )
    zq = z  # Laguerre nodes
    g = _log1p_over(jnp.exp(-zq))
    bumps = (
        jnp.exp(-0.5 * ((zq - b_s[..., None]) / a_s[..., None]) ** 2)
        + jnp.exp(-0.5 * ((zq + b_s[..., None]) / a_s[..., None]) ** 2)
    ) / math.sqrt(2 * math.pi)
    rem = jnp.sum(wz * g * bumps, axis=-1) / a_s
    l_split = a_s * relu + rem
    out = jnp.where(tilted, l_tilted, l_split)
    return jnp.where(a == 0, jax.nn.softplus(b), out)


@jax.jit
def population_exponential(a, b):
    """E[e^{aY + b}] = e^{b + a²/2} (spec §1.3, population surrogate)."""
    return jnp.exp(b + 0.5 * a * a)


@jax.jit
def population_accuracy(a, b):
    """A_gen = ½ erfc(b/(√2 a)) (Eq. 4); Θ(−b) (a tie counts as correct) at a = 0."""
    safe = jnp.where(a > 0, a, 1.0)
    acc = 0.5 * jax.scipy.special.erfc(b / (math.sqrt(2.0) * safe))
    return jnp.where(a > 0, acc, jnp.where(b <= 0, 1.0, 0.0))


# ---- losses, gradients and observables ---------------------------------------------------------
def _outputs(p, data):
    return data["X"] @ p["S"] + p["b"]


def _train_loss(f, loss: str):
    if loss == "logistic":
        return jnp.mean(jax.nn.softplus(f))
    return jnp.exp(jax.nn.logsumexp(f) - math.log(f.shape[-1]))


@functools.lru_cache(maxsize=16)
def _make_fns(loss: str, sigma: float):
    """Loss, analytic gradient (with the conformal-time accumulator) and observables; cached
    because they are static jit arguments."""

    def loss_fn(p, data):
        return _train_loss(_outputs(p, data), loss)

    def grad_fn(p, data):
        f = _outputs(p, data)
        w = jax.nn.sigmoid(f) if loss == "logistic" else jnp.exp(f)
        n = f.shape[-1]
        return {
            "S": data["X"].T @ w / n * data["s_scale"],
            "b": jnp.mean(w),
            "eta_tau": -jnp.exp(p["b"]),  # engine update adds η e^{b}
        }

    def observe(p, data):
        f = _outputs(p, data)
        norm = jnp.linalg.norm(p["S"])
        a = sigma * norm
        b = p["b"]
        lg = population_logistic(a, b) if loss == "logistic" else population_exponential(a, b)
        return {
            "loss_train": _train_loss(f, loss),
            "acc_train": jnp.mean((f <= 0).astype(f.dtype)),
            "loss_gen": lg,
            "acc_gen": population_accuracy(a, b),
            "norm_S": norm,
            "bias": b,
            "b_over_norm": b / norm,
            "eta_tau": p["eta_tau"],
        }

    return loss_fn, grad_fn, observe


def _adam(loss_fn, grad_fn, observe, params0, data, lr, increments, beta1, beta2, eps):
    """Adam (bias-corrected, PyTorch form) on S and b, records after each increment; the
    conformal time accumulates lr·e^{b_k} per step like GD."""
    keys = ("S", "b")

    def step(_, state):
        p, m, v, k = state
        g = grad_fn(p, data)
        k = k + 1
        new_p, new_m, new_v = dict(p), {}, {}
        for name in keys:
            new_m[name] = beta1 * m[name] + (1 - beta1) * g[name]
            new_v[name] = beta2 * v[name] + (1 - beta2) * g[name] ** 2
            mh = new_m[name] / (1 - beta1**k)
            vh = new_v[name] / (1 - beta2**k)
            new_p[name] = p[name] - lr * mh / (jnp.sqrt(vh) + eps)
        new_p["eta_tau"] = p["eta_tau"] - lr * g["eta_tau"]
        return new_p, new_m, new_v, k

    def segment(state, n):
        state = jax.lax.fori_loop(0, n, step, state)
        rec = dict(observe(state[0], data))
        rec["finite"] = jnp.isfinite(loss_fn(state[0], data))
        return state, rec

    zeros = {name: jnp.zeros_like(params0[name]) for name in keys}
    state0 = (params0, zeros, dict(zeros), jnp.zeros((), params0["b"].dtype))
    _, records = jax.lax.scan(segment, state0, jnp.asarray(increments))
    return records


@functools.partial(jax.jit, static_argnames=("loss_fn", "grad_fn", "observe"))
def _adam_batched(loss_fn, grad_fn, observe, params0, data, lr, increments, beta1, beta2, eps):
    return jax.vmap(
        lambda p, d: _adam(loss_fn, grad_fn, observe, p, d, lr, increments, beta1, beta2, eps)
    )(params0, data)


def run_arrays(config: Config, data: dict, times, s_step_scale=1.0) -> dict:
    """Run batched data (leading seed axis on ``X``, ``S0``, ``b0``) and return NumPy records
    of shape (seed, t), including ``finite`` and ``tau``.

    ``s_step_scale`` multiplies the step of S only (step η·s for S, η for b); 1 is the model.
    It exists for the σ-rescaling identity (Prop. 3.5), whose σ = 1 twin run uses s = σ².
    """
    increments = as_increments(times)
    dt = data["X"].dtype
    loss_fn, grad_fn, observe = _make_fns(config.loss, float(config.sigma))
    n_seeds = data["X"].shape[0]
    params0 = {
        "S": data["S0"],
        "b": data["b0"],
        "eta_tau": jnp.zeros((n_seeds,), dt),
    }
    d = {"X": data["X"], "s_scale": jnp.full((n_seeds,), s_step_scale, dt)}
    if config.optimizer == "gd":
        rec = gd_batched(loss_fn, observe, params0, d, config.eta, increments, grad=grad_fn)
        tau_scale = config.eta
    else:
        rec = _adam_batched(
            loss_fn, grad_fn, observe, params0, d, config.eta, increments,
            config.adam_beta1, config.adam_beta2, config.adam_eps,
        )
        tau_scale = config.eta
    rec = {k: np.asarray(v) for k, v in rec.items()}
    rec["tau"] = rec.pop("eta_tau") / tau_scale
    return rec


def _batched_sample(config: Config, seeds) -> dict[str, jax.Array]:
    draws = [sample(config, int(s)) for s in seeds]
    return {k: jnp.stack([dr[k] for dr in draws]) for k in draws[0]}


def run_flow_arrays(config: Config, data: dict, times, *, rtol=None, atol=None,
                    max_steps: int = 100_000):
    """The adaptive gradient flow dθ/dt = −η∇L (the η → 0 limit of GD at fixed η·t) of batched
    data, by :func:`groklab.dynamics.flow.gradient_flow` (Tsit5 in s = log(1 + t), tolerances
    ``rtol``/``atol``, default ``config.flow_rtol``/``config.flow_atol``).

    Returns ``(records, result)``: NumPy records of shape (seed, t) like :func:`run_arrays`
    (``tau`` = ∫₀ᵗ e^{b} dt' in steps, integrated as an extra state), and the
    :class:`~groklab.dynamics.flow.FlowResult` (per-seed solver steps, gradient evaluations,
    success).
    """
    from groklab.dynamics.flow import gradient_flow

    if config.optimizer != "gd":
        raise ValueError(
            f"method='flow' integrates the gradient flow of GD; optimizer={config.optimizer!r} "
            "has no flow here. Use method='gd'."
        )
    dt = data["X"].dtype
    loss_fn, grad_fn, observe = _make_fns(config.loss, float(config.sigma))
    n_seeds = data["X"].shape[0]
    params0 = {"S": data["S0"], "b": data["b0"], "eta_tau": jnp.zeros((n_seeds,), dt)}
    d = {"X": data["X"], "s_scale": jnp.ones((n_seeds,), dt)}
    res = gradient_flow(
        loss_fn, params0, d, config.eta, times, observe=observe, grad=grad_fn,
        rtol=config.flow_rtol if rtol is None else rtol,
        atol=config.flow_atol if atol is None else atol,
        max_steps=max_steps, batched=True,
    )
    rec = dict(res.records)
    rec["tau"] = rec.pop("eta_tau") / config.eta
    return rec, res


def simulate_arrays(config: Config, times, seeds, method: str = "gd",
                    stats: dict | None = None) -> dict:
    """Run the seeds as one batched computation; returns NumPy arrays of shape (seed, t).

    ``method="gd"`` (default): GD (or Adam) step by step, ``times`` integer steps.
    ``method="flow"``: the adaptive gradient flow (:func:`run_flow_arrays`), ``times`` in GD
    steps (floats allowed); a ``stats`` dict, if given, receives the per-seed ``num_steps`` and
    ``n_grad_evals`` of the solver.

    Raises ``ValueError`` when a run became non-finite (naming the step and the η bound), or
    when the flow solver failed (max_steps reached or a non-finite state).
    """
    if method not in ("gd", "flow"):
        raise ValueError(f"method must be 'gd' or 'flow'. Got {method!r} instead.")
    times = np.asarray(times)
    data = _batched_sample(config, seeds)
    if method == "flow":
        rec, res = run_flow_arrays(config, data, times)
        if stats is not None:
            stats.update(num_steps=res.num_steps, n_grad_evals=res.n_grad_evals)
        finite = np.isfinite(rec["loss_train"]) & np.isfinite(rec["bias"])
        if not np.all(res.success) or not np.all(finite):
            bad = [int(s) for s, ok in zip(seeds, res.success & finite.all(axis=1), strict=True)
                   if not ok]
            raise ValueError(
                f"The adaptive gradient flow failed for seeds {bad} (diffrax result codes "
                f"{res.result.tolist()}, solver steps {res.num_steps.tolist()}): the step limit "
                f"was reached or the state became non-finite. Loosen flow_rtol/flow_atol or "
                f"shorten the horizon."
            )
        return rec
    return pop_finite_or_raise(
        run_arrays(config, data, times), times,
        f"eta={config.eta!r}, loss={config.loss!r}: GD is stable here only for eta below about "
        f"{config.eta_bound:.4g}. Lower eta.",
    )
