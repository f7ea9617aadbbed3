"""Overdamped Langevin sampling of many chains in one compiled call, and Hessian tools (JAX).

**Dynamics** (spec ``jules2023-langevin-landscape.md`` §2.2, [project] protocol). Euler–Maruyama
(EM) on a potential U(θ) at temperature T with step η,

    θ_{k+1} = θ_k − η ∇U(θ_k) + √(2ηT) ξ_k,     ξ_k ~ N(0, I_P),

whose stationary density tends to p(θ) ∝ exp(−U(θ)/T) as η → 0 ([derived]). ``method="mala"``
makes the EM move a proposal θ' and accepts it with the Metropolis–Hastings probability

    α = min(1, exp(−(U(θ') − U(θ))/T) · q(θ|θ') / q(θ'|θ)),
    q(b|a) ∝ exp(−‖b − a + η∇U(a)‖²/(4ηT)),

which removes the step-size bias (the chain samples exp(−U/T) exactly at any η); the fraction of
accepted proposals is recorded.

**Layout.** Parameters are flat 1-D arrays (use ``jax.flatten_util.ravel_pytree`` for a network),
``potential(theta, data) -> scalar``. One chain is a ``lax.scan`` over record segments with a
``lax.fori_loop`` of steps inside each segment (the scheme of :mod:`groklab.dynamics.gd`):
``observe(theta, data)`` is evaluated only at the record times, while the mean and the mean square
of U over *every* step of a segment are accumulated (so ⟨U⟩ and Var U use every step without
storing them). :func:`langevin_chains` vmaps that over chains (temperatures × noise seeds, and
optionally per-chain data) under one ``jit``.

**Randomness.** Each chain consumes its own key (:func:`chain_keys` derives them from
``(seed, purpose, chain index)``), so a chain's path does not depend on how many chains share
the batch.

**Curvature** (spec §2.6): Hessian–vector products by forward-over-reverse differentiation
(:func:`hvp`, ``jax.jvp`` of ``jax.grad``), the top eigenvalues by Lanczos with full
reorthogonalisation (:func:`lanczos_top`) and the trace by Hutchinson's estimator with
Rademacher probes (:func:`hutchinson_trace`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from groklab.dynamics import jax, jnp

__all__ = [
    "chain_keys",
    "check_step",
    "hutchinson_trace",
    "hvp",
    "lanczos_top",
    "lanczos_top_batch",
    "langevin",
    "langevin_chains",
]

PURPOSES = {"noise": 11, "probe": 12, "lanczos": 13}


def chain_keys(seed: int, n_chains: int, purpose: str = "noise") -> jax.Array:
    """``n_chains`` PRNG keys derived from ``(seed, purpose, chain index)`` only (one compiled
    call, cached per ``n_chains`` and purpose: an eager ``vmap`` would be retraced every time)."""
    return _chain_keys(jnp.asarray(seed, jnp.int64), n_chains, PURPOSES[purpose])


@partial(jax.jit, static_argnums=(1, 2))
def _chain_keys(seed, n_chains: int, purpose: int):
    base = jax.random.fold_in(jax.random.PRNGKey(seed), purpose)
    return jax.vmap(lambda i: jax.random.fold_in(base, i))(jnp.arange(n_chains))


def check_step(eta: float, lam_max: float, what: str = "eta") -> None:
    """Raise ``ValueError`` if EM is unstable: a quadratic mode of curvature k is stable iff
    ηk < 2 (spec §2.2, [derived]), so the step must satisfy η < 2/λ_max."""
    if not (eta > 0 and np.isfinite(eta)):
        raise ValueError(f"The step {what}={eta!r} must be a positive finite number.")
    if lam_max > 0 and eta * lam_max >= 2.0:
        raise ValueError(
            f"The step {what}={eta!r} is unstable: Euler–Maruyama needs {what}·λ_max < 2, i.e. "
            f"{what} < 2/λ_max = {2.0 / lam_max:.6g} (λ_max = {lam_max:.6g}, the largest "
            f"Hessian eigenvalue); got {what}·λ_max = {eta * lam_max:.4g}."
        )


def langevin(
    potential: Callable[[jax.Array, Any], jax.Array],
    observe: Callable[[jax.Array, Any], dict] | None,
    theta0: jax.Array,
    data: Any,
    T,
    eta,
    key: jax.Array,
    increments,
    method: str = "euler",
    noise_scale=2.0,
    final_state: bool = False,
) -> dict:
    """One Langevin chain from ``theta0``; records after each increment.

    Parameters
    ----------
    potential : ``(theta, data) -> scalar`` U(θ) (float64 or float32, as ``theta0``).
    observe : ``(theta, data) -> dict of arrays`` evaluated at the record times, or None.
    theta0 : (P,) initial parameters.
    T, eta : temperature and step (may be traced, so ``vmap`` over them works).
    key : the chain's PRNG key.
    increments : int array of steps between records (see
        :func:`groklab.dynamics.gd.as_increments`); the first may be 0.
    method : ``"euler"`` (EM) or ``"mala"`` (Metropolis-adjusted).
    noise_scale : c in the noise √(c ηT); 2 is the default convention (spec §2.4: c = 1
        samples T_eff = T/2).

    Returns
    -------
    dict
        Stacked along a leading record axis: ``observe``'s entries, ``U`` (U at the record),
        ``U_seg_mean``/``U_seg_sq`` (mean of U and of U² over the steps of the segment, i.e. at
        θ_k for the k in the segment; NaN for an empty segment), ``accept`` (MALA: fraction of
        proposals accepted in the segment; EM: 1), ``finite`` (U finite at the record).
        With ``final_state``, also ``theta_final`` (P,): θ after the last step (to continue
        the chain in a later call).
    """
    if method not in ("euler", "mala"):
        raise ValueError(f"method must be 'euler' or 'mala'. Got {method!r} instead.")
    vg = jax.value_and_grad(potential)
    dt = theta0.dtype
    T = jnp.asarray(T, dt)
    eta = jnp.asarray(eta, dt)
    amp = jnp.sqrt(noise_scale * eta * T)
    zero = jnp.zeros((), dt)

    def euler_step(_, carry):
        theta, k, s1, s2, acc = carry
        k, kn = jax.random.split(k)
        u, g = vg(theta, data)
        xi = jax.random.normal(kn, theta.shape, dt)
        return theta - eta * g + amp * xi, k, s1 + u, s2 + u * u, acc + 1

    def mala_step(_, carry):
        (theta, u, g), k, s1, s2, acc = carry
        k, kn, ku = jax.random.split(k, 3)
        xi = jax.random.normal(kn, theta.shape, dt)
        prop = theta - eta * g + amp * xi
        up, gp = vg(prop, data)
        fwd = jnp.sum((prop - theta + eta * g) ** 2)
        bwd = jnp.sum((theta - prop + eta * gp) ** 2)
        log_a = -(up - u) / T - (bwd - fwd) / (2 * noise_scale * eta * T)
        ok = jnp.log(jax.random.uniform(ku, (), dt)) < log_a
        ok = ok & jnp.isfinite(up)
        new = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), (prop, up, gp),
                                     (theta, u, g))
        return new, k, s1 + u, s2 + u * u, acc + ok.astype(dt)

    def segment(carry, n):
        state, k = carry
        body = euler_step if method == "euler" else mala_step
        state, k, s1, s2, acc = jax.lax.fori_loop(0, n, body, (state, k, zero, zero, zero))
        theta = state if method == "euler" else state[0]
        nn = jnp.asarray(n, dt)
        u = potential(theta, data)
        rec = {} if observe is None else dict(observe(theta, data))
        rec |= {
            "U": u,
            "U_seg_mean": jnp.where(n > 0, s1 / nn, jnp.nan),
            "U_seg_sq": jnp.where(n > 0, s2 / nn, jnp.nan),
            "accept": jnp.where(n > 0, acc / nn, jnp.nan),
            "finite": jnp.isfinite(u),
        }
        return (state, k), rec

    state0 = theta0 if method == "euler" else (theta0, *vg(theta0, data))
    (state, _), records = jax.lax.scan(segment, (state0, key), jnp.asarray(increments))
    if final_state:
        records["theta_final"] = state if method == "euler" else state[0]
    return records


@partial(jax.jit, static_argnames=("potential", "observe", "method", "data_axis",
                                   "final_state"))
def langevin_chains(potential, observe, theta0, data, T, eta, keys, increments, *,
                    method: str = "euler", data_axis: int | None = None, noise_scale=2.0,
                    final_state: bool = False):
    """:func:`langevin` for many chains in one compiled call.

    ``theta0`` (C, P), ``T`` (C,), ``eta`` (C,) and ``keys`` (C, 2) carry one row per chain
    (temperatures × seeds flattened into C); ``data`` is shared (``data_axis=None``) or has a
    leading chain axis (``data_axis=0``). Records come back with the chain axis first and the
    record axis second (``theta_final`` (C, P) with ``final_state``).
    """
    run = partial(langevin, potential, observe, method=method, noise_scale=noise_scale,
                  final_state=final_state)
    return jax.vmap(
        lambda th, d, t, e, k: run(th, d, t, e, k, increments),
        in_axes=(0, data_axis, 0, 0, 0),
    )(theta0, data, T, eta, keys)


# ---- curvature -----------------------------------------------------------------------------
def hvp(potential: Callable, theta: jax.Array, data: Any, v: jax.Array) -> jax.Array:
    """H(θ)·v by forward-over-reverse differentiation (``jax.jvp`` of ``jax.grad``)."""
    g = jax.grad(potential)
    return jax.jvp(lambda th: g(th, data), (theta,), (v,))[1]


@partial(jax.jit, static_argnames=("potential", "n_iter"))
def _lanczos(potential, theta, data, v0, n_iter: int):
    """``n_iter`` Lanczos steps with full reorthogonalisation (twice, classical Gram–Schmidt):
    the tridiagonal (alpha, beta) and the basis V (n_iter, P)."""
    P = theta.shape[0]
    V = jnp.zeros((n_iter, P), theta.dtype)
    v = v0 / jnp.linalg.norm(v0)

    def body(j, carry):
        V, alpha, beta, v, v_prev, b_prev = carry
        V = V.at[j].set(v)
        w = hvp(potential, theta, data, v) - b_prev * v_prev
        a = jnp.dot(w, v)
        w = w - a * v
        mask = (jnp.arange(n_iter) <= j).astype(theta.dtype)[:, None]
        for _ in range(2):
            w = w - (V * mask).T @ ((V * mask) @ w)
        b = jnp.linalg.norm(w)
        v_new = jnp.where(b > 0, w / jnp.where(b > 0, b, 1.0), 0.0)
        return V, alpha.at[j].set(a), beta.at[j].set(b), v_new, v, b

    z = jnp.zeros(n_iter, theta.dtype)
    V, alpha, beta, *_ = jax.lax.fori_loop(
        0, n_iter, body, (V, z, z, v, jnp.zeros_like(v), jnp.zeros((), theta.dtype)))
    return alpha, beta, V


def lanczos_top(potential: Callable, theta, data, k: int = 20, n_iter: int = 60, seed: int = 0,
                vectors: bool = False):
    """The ``k`` largest (algebraic) Hessian eigenvalues of ``potential`` at ``theta`` by
    Lanczos with Hessian–vector products and full reorthogonalisation (spec §2.6: ≥ 60
    iterations). ``n_iter`` is capped at P. Returns eigenvalues in descending order (NumPy),
    and the Ritz vectors (k, P) if ``vectors``."""
    theta = jnp.asarray(theta)
    P = theta.shape[0]
    m = int(min(n_iter, P))
    v0 = jax.random.normal(chain_keys(seed, 1, "lanczos")[0], (P,), theta.dtype)
    alpha, beta, V = _lanczos(potential, theta, data, v0, m)
    alpha, beta = np.asarray(alpha, float), np.asarray(beta, float)
    # an invariant subspace found early (beta ≈ 0) ends the useful part of the basis
    small = np.nonzero(beta[:-1] <= 1e-12 * max(1.0, np.abs(alpha).max()))[0]
    m_eff = int(small[0]) + 1 if small.size else m
    Tm = np.diag(alpha[:m_eff]) + np.diag(beta[:m_eff - 1], 1) + np.diag(beta[:m_eff - 1], -1)
    w, s = np.linalg.eigh(Tm)
    order = np.argsort(w)[::-1][:k]
    if not vectors:
        return w[order]
    return w[order], (s[:, order].T @ np.asarray(V[:m_eff], float))


@partial(jax.jit, static_argnames=("potential", "n_iter"))
def _lanczos_batch(potential, thetas, data, v0, n_iter: int):
    return jax.vmap(lambda th: _lanczos(potential, th, data, v0, n_iter)[:2])(thetas)


def lanczos_top_batch(potential: Callable, thetas, data, n_iter: int = 20,
                      seed: int = 0) -> np.ndarray:
    """The top Hessian eigenvalue at each row of ``thetas`` (B, P), by ``n_iter`` Lanczos
    steps vmapped over the rows in one compiled call (a cheap λ_1 for step-size control; use
    :func:`lanczos_top` for accurate spectra)."""
    thetas = jnp.asarray(thetas)
    m = int(min(n_iter, thetas.shape[1]))
    v0 = jax.random.normal(chain_keys(seed, 1, "lanczos")[0], (thetas.shape[1],), thetas.dtype)
    alpha, beta = (np.asarray(a, float) for a in _lanczos_batch(potential, thetas, data, v0, m))
    out = np.empty(len(alpha))
    for i, (a, b) in enumerate(zip(alpha, beta, strict=True)):
        small = np.nonzero(b[:-1] <= 1e-12 * max(1.0, np.abs(a).max()))[0]
        k = int(small[0]) + 1 if small.size else m
        out[i] = np.linalg.eigvalsh(np.diag(a[:k]) + np.diag(b[:k - 1], 1)
                                    + np.diag(b[:k - 1], -1))[-1]
    return out


@partial(jax.jit, static_argnames=("potential", "n_probes"))
def _hutchinson(potential, theta, data, key, n_probes: int):
    def one(k):
        z = jax.random.rademacher(k, theta.shape, theta.dtype)
        return jnp.dot(z, hvp(potential, theta, data, z))

    return jax.lax.map(one, jax.random.split(key, n_probes))


def hutchinson_trace(potential: Callable, theta, data, n_probes: int = 100,
                     seed: int = 0) -> tuple[float, float]:
    """tr H by Hutchinson's estimator zᵀHz with ``n_probes`` Rademacher probes (spec §2.6):
    (estimate, standard error)."""
    key = chain_keys(seed, 1, "probe")[0]
    vals = np.asarray(_hutchinson(potential, jnp.asarray(theta), data, key, n_probes), float)
    return float(vals.mean()), float(vals.std(ddof=1) / np.sqrt(n_probes))
