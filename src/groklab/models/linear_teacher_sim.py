"""Simulation of the linear teacher–student model (Levi, Beck, Bar-Sinai 2023) in JAX.

Data and scalings (spec §1.1): inputs x ~ N(0, I_{d_in}); teacher T and student S₀ with iid
N(0, 1/(2 d_in d_out)) entries (the student multiplied by ``init_scale``); labels y = Tᵀx (plus
N(0, label_noise²) on the training labels only). Losses are Eq. 1–2 with the 1/d_out
normalization; accuracies use the per-sample criterion (1/d_out)‖Dᵀx‖² < ε (spec §1.4).

Two ways to run the one-layer student, which agree to round-off (spec §2.1):

``method="exact"``
    The eigen-solution of GD: with Σ_tr = U diag(ν) Uᵀ, every mode obeys
    α_i(t) = c_i + (1 − r_i)^t (α_{0,i} − c_i), r_i = (2η/d_out)(ν_i + γ_eff/2), with the fixed
    point c_i = (C̃_i − (γ_eff/2) β_i)/(ν_i + γ_eff/2) (β = UᵀT, C̃ = Uᵀ(Xᵀδ/N)). Any horizon
    costs the same. ``method="flow"`` replaces (1 − r)^t by e^{−r t} (gradient flow, Eq. 4, 31).
``method="gd"``
    Literal full-batch GD in the engine (:mod:`groklab.dynamics.gd`), Eq. 3. The only way for
    the two-layer students (``student="deep-linear"`` or ``"tanh"``, §4), which always use it.

Time is counted in GD steps. Seeds run as one batched (``vmap``) computation.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from groklab.dynamics import jax, jnp
from groklab.dynamics.gd import as_increments, gd_batched, pop_finite_or_raise
from groklab.metrics import threshold_accuracy
from groklab.models.linear_teacher_config import Config

__all__ = ["sample", "simulate_arrays", "key_for"]

_PURPOSES = {"teacher": 0, "student": 1, "train": 2, "gen": 3, "noise": 4}


def key_for(seed: int, purpose: str) -> jax.Array:
    """The PRNG key of one random draw, derived from ``(seed, purpose)`` only."""
    return jax.random.fold_in(jax.random.PRNGKey(seed), _PURPOSES[purpose])


def sample(config: Config, seed: int) -> dict[str, jax.Array]:
    """Draw the data, the teacher and the initial student of one seed.

    Returns a dict with ``X_train`` (N_tr, d_in), ``X_gen`` (n_gen, d_in), ``noise`` (N_tr, d_out)
    and the weights: ``T``, ``S0`` (d_in, d_out) for the one-layer student, or ``T0``, ``T1``,
    ``S0``, ``S1`` ((d_in, d_h) and (d_h, d_out)) for two-layer students. Init variances follow
    App. A: 1/(2 d_{l−1} d_l) per layer.
    """
    dt = jnp.float32 if config.precision == "float32" else jnp.float64
    d_in, d_out, d_h = config.d_in, config.d_out, config.d_h

    def normal(key, shape, dtype):  # drawn in float64 so both precisions see the same sample
        return jax.random.normal(key, shape, jnp.float64).astype(dtype)
    out = {
        "X_train": normal(key_for(seed, "train"), (config.n_train_eff, d_in), dt),
        "X_gen": normal(key_for(seed, "gen"), (config.n_gen, d_in), dt),
        "noise": config.label_noise
        * normal(key_for(seed, "noise"), (config.n_train_eff, d_out), dt),
    }
    if config.student == "linear":
        sd = 1.0 / math.sqrt(2 * d_in * d_out)
        out["T"] = sd * normal(key_for(seed, "teacher"), (d_in, d_out), dt)
        out["S0"] = config.init_scale * sd * normal(key_for(seed, "student"), (d_in, d_out), dt)
    else:
        kt0, kt1 = jax.random.split(key_for(seed, "teacher"))
        ks0, ks1 = jax.random.split(key_for(seed, "student"))
        s0, s1 = 1.0 / math.sqrt(2 * d_in * d_h), 1.0 / math.sqrt(2 * d_h * d_out)
        out["T0"], out["T1"] = s0 * normal(kt0, (d_in, d_h), dt), s1 * normal(kt1, (d_h, d_out), dt)
        out["S0"] = config.init_scale * s0 * normal(ks0, (d_in, d_h), dt)
        out["S1"] = config.init_scale * s1 * normal(ks1, (d_h, d_out), dt)
    return out


def _batched_sample(config: Config, seeds) -> dict[str, jax.Array]:
    draws = [sample(config, int(s)) for s in seeds]
    return {k: jnp.stack([d[k] for d in draws]) for k in draws[0]}


def _per_sample_error(X, D, d_out, shift=None):
    r = X @ D if shift is None else X @ D - shift
    return jnp.sum(r * r, axis=-1) / d_out


# ---- one-layer student: exact eigen-solution --------------------------------------------------
def _mode_factor(r, t, flow: bool):
    """(1 − r)^t for integer t ≥ 0 without NaN for 1 − r ≤ 0; e^{−rt} for flow."""
    if flow:
        return jnp.exp(-r * t)
    base = 1.0 - r
    odd = jnp.mod(t, 2) == 1
    sign = jnp.where(odd & (base < 0), -1.0, 1.0)
    mag = jnp.where(t == 0, 1.0, jnp.exp(t * jnp.log(jnp.abs(base))))
    return sign * mag


def _exact_one_seed(data, times, eta, gamma_eff, d_out, eps, level, flow: bool):
    X, Xg, delta, T, S0 = data["X_train"], data["X_gen"], data["noise"], data["T"], data["S0"]
    n = X.shape[0]
    sigma = X.T @ X / n
    nu, U = jnp.linalg.eigh(sigma)
    nu = jnp.clip(nu, 0.0, None)
    alpha0 = U.T @ (S0 - T)
    beta = U.T @ T
    ctil = U.T @ (X.T @ delta / n)
    denom = nu + gamma_eff / 2
    safe = jnp.where(denom > 0, denom, 1.0)
    c = jnp.where((denom > 0)[:, None], (ctil - (gamma_eff / 2) * beta) / safe[:, None], 0.0)
    e = alpha0 - c
    rate = (2 * eta / d_out) * denom
    cc, ce, ee = (c * c).sum(1), (c * e).sum(1), (e * e).sum(1)
    cC, eC = (c * ctil).sum(1), (e * ctil).sum(1)
    noise_sq = jnp.sum(delta * delta) / n

    f = jax.vmap(lambda t: _mode_factor(rate, t, flow))(times)  # (T, d_in)
    norm_sq = cc + 2 * f * ce + f * f * ee
    loss_gen = norm_sq.sum(1) / d_out
    loss_train = ((nu * norm_sq).sum(1) - 2 * (cC + f * eC).sum(1) + noise_sq) / d_out

    # Per record D(t) = U α(t) (d_in² d_out flops), then per-sample errors: cheaper than rotating
    # the data once (X U costs N d_in², which dominates when N or n_gen ≫ the number of records).
    def accuracies(ft):
        D = U @ (c + ft[:, None] * e)
        acc_tr = threshold_accuracy(_per_sample_error(X, D, d_out, delta), eps)
        err_g = _per_sample_error(Xg, D, d_out)
        return acc_tr, threshold_accuracy(err_g, eps), jnp.mean(err_g)

    acc_train, acc_gen, loss_gen_sample = jax.lax.map(accuracies, f)

    def first_step(acc, k):
        """Spec §1.5: the first logged record with acc ≥ level, refined by bisection over the
        integer steps between it and the previous record, with the exact solution (−1: never)."""
        hit = acc >= level
        i = jnp.argmax(hit)
        lo, hi = jnp.where(i > 0, times[i - 1], times[0] - 1), times[i]

        def bisect(_, bracket):
            lo, hi = bracket
            mid = jnp.floor((lo + hi) / 2)
            ok = accuracies(_mode_factor(rate, mid, flow))[k] >= level
            move = hi - lo > 1
            return jnp.where(move & ~ok, mid, lo), jnp.where(move & ok, mid, hi)

        _, hi = jax.lax.fori_loop(0, 64, bisect, (lo, hi))
        return jnp.where(hit.any(), hi, -1.0)

    return {
        "loss_train": loss_train,
        "loss_gen": loss_gen,
        "loss_gen_sample": loss_gen_sample,
        "acc_train": acc_train,
        "acc_gen": acc_gen,
        "t_star_train": first_step(acc_train, 0),
        "t_star_gen": first_step(acc_gen, 1),
        "nu_min": jnp.min(jnp.where(nu > 1e-9 * nu[-1], nu, jnp.inf)),
        "nu_max": nu[-1],
    }


_exact_batched = jax.jit(
    jax.vmap(_exact_one_seed, in_axes=(0, None, None, None, None, None, None, None)),
    static_argnames=("d_out", "flow"),
)


# ---- literal GD (one- and two-layer students) -------------------------------------------------
def _net_output(params, X, student):
    if student == "tanh":
        return jnp.tanh(X @ params["S0"]) @ params["S1"]
    W = params["S0"] if student == "linear" else params["S0"] @ params["S1"]
    return X @ W


@functools.lru_cache(maxsize=64)
def _make_gd_fns(student: str, d_out: int, eps: float):
    """Loss and observables of one student type (cached: they are static jit arguments, so new
    closures would recompile the engine on every call)."""
    def train_residual(p, data):
        return _net_output(p, data["X_train"], student) - data["y_train"]

    def loss(p, data):
        r = train_residual(p, data)
        return jnp.sum(r * r) / (r.shape[0] * d_out)

    def observe(p, data):
        err_tr = jnp.sum(train_residual(p, data) ** 2, axis=-1) / d_out
        r_gen = _net_output(p, data["X_gen"], student) - data["y_gen"]
        err_g = jnp.sum(r_gen * r_gen, axis=-1) / d_out
        rec = {
            "loss_train": jnp.mean(err_tr),
            "loss_gen_sample": jnp.mean(err_g),
            "acc_train": threshold_accuracy(err_tr, eps),
            "acc_gen": threshold_accuracy(err_g, eps),
        }
        if student != "tanh":  # exact L_gen = ‖D‖²/d_out (Eq. 2)
            W = p["S0"] if student == "linear" else p["S0"] @ p["S1"]
            D = W - data["T"]
            rec["loss_gen"] = jnp.sum(D * D) / d_out
        return rec

    return loss, observe


def _teacher_output(data, X, student):
    if student == "linear":
        return X @ data["T"]
    if student == "deep-linear":
        return X @ (data["T0"] @ data["T1"])
    return jnp.tanh(X @ data["T0"]) @ data["T1"]


def _gd_run(config: Config, data: dict, times: np.ndarray) -> dict:
    student = config.student
    d = {
        "X_train": data["X_train"],
        "X_gen": data["X_gen"],
        "y_train": jax.vmap(lambda b: _teacher_output(b, b["X_train"], student))(data)
        + data["noise"],
        "y_gen": jax.vmap(lambda b: _teacher_output(b, b["X_gen"], student))(data),
    }
    if student != "tanh":
        d["T"] = data["T"] if student == "linear" else jnp.einsum(
            "sih,sho->sio", data["T0"], data["T1"]
        )
    params0 = {"S0": data["S0"]} if student == "linear" else {"S0": data["S0"], "S1": data["S1"]}
    loss, observe = _make_gd_fns(student, config.d_out, config.eps)
    rec = gd_batched(
        loss,
        observe,
        params0,
        d,
        config.eta,
        as_increments(times),
        config.gamma_eff / config.d_out,
    )
    if student == "tanh":
        rec["loss_gen"] = rec["loss_gen_sample"]
    return rec


def simulate_arrays(config: Config, times: np.ndarray, seeds, method: str = "exact") -> dict:
    """Run the seeds as one batched computation; returns NumPy arrays of shape (seed, t).

    ``method`` is ``"exact"`` (discrete GD by eigen-solution), ``"flow"`` or ``"gd"``; two-layer
    students always use ``"gd"``. Raises ``ValueError`` when the sampled problem makes GD
    unstable (naming the bound) or a GD run became non-finite.
    """
    if method not in ("exact", "flow", "gd"):
        raise ValueError(f"Unknown method {method!r}: use 'exact', 'flow' or 'gd'.")
    times = np.asarray(times)
    as_increments(times)  # validates the grid
    data = _batched_sample(config, seeds)
    if config.student == "linear" and method != "gd":
        t = jnp.asarray(times, dtype=data["X_train"].dtype)
        out = _exact_batched(
            data, t, config.eta, config.gamma_eff, config.d_out, config.eps,
            config.accuracy_level, method == "flow",
        )
        out = {k: np.asarray(v) for k, v in out.items()}
        nu_max = float(out.pop("nu_max").max())
        bound = config.d_out / (nu_max + config.gamma_eff / 2)
        if method == "exact" and config.eta >= bound:
            raise ValueError(
                f"GD is unstable on this sample: eta={config.eta!r} but the sample's largest "
                f"eigenvalue ν_max={nu_max:.6g} requires eta < d_out/(ν_max + γ_eff/2) = "
                f"{bound:.6g}."
            )
        return out
    return pop_finite_or_raise(
        {k: np.asarray(v) for k, v in _gd_run(config, data, times).items()}, times,
        f"eta={config.eta!r}: GD is stable here only for eta below about "
        f"{config.eta_bound:.4g} (smaller for two-layer students). Lower eta.",
    )
