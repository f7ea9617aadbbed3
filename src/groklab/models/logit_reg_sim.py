"""Simulation of the logit-regularization model (Beck, Bar-Sinai, Levi 2026) in JAX.

Spec ``beck2026-logit-regularization.md``. Binary (§1.1, §2.1): absorbed data x' = yx, logit
z = Sᵀx', per-sample loss ℓ(z) = (1 − α) softplus(−z) + α f(z); multi-class (§1.4, §2.2):
z = Wx + b, ℓ = (1 − α)(logsumexp z − z_c) + α f(z). Training objective: the mean of ℓ over the
N training points (erratum 2) plus (γ/2)‖S‖² (or (γ/2)‖W‖²), full-batch GD (engine
:func:`groklab.dynamics.gd.gd`, analytic gradient) or Adam, from S₀ = 0 (W₀ = 0, b₀ = 0; §2.3).

Data reuse the companion's two-Gaussian draw (:func:`~groklab.models.separability_data.
two_gaussian_standard`): binary x = (yμ_f + σ_f ξ₀, σ_n ξ_⊥), which is the separability form
with μ = μ_f, σ_A = σ_f, σ_B = σ_n and d − 1 noise dimensions. Standard noise is drawn once per
seed and scaled (§7), so runs over a list of σ_n values share the draw exactly.

Batching (one compiled call): seeds (``vmap``), σ_n values (the data are rebuilt from the shared
draw inside the call) and α values (the data are shared, so X'S becomes a matrix product).

Recorded observables per run and record time (binary):

* ``loss_train``, ``loss_gen``: mean ℓ on the training set / in the population (the data term;
  the weight-decay term is not included). Gaussian noise: z ~ N(S₁μ_f, σ_f²S₁² + σ_n²‖S_⊥‖²),
  the CE part by :func:`~groklab.models.separability_population.population_logistic`, E f in
  closed form (z²) or by Gauss–Hermite; Student-t: the sampled test set.
* ``acc_train``, ``acc_gen``: P(z > 0), a tie z = 0 counting ½ (so A = ½ at S = 0, §2.3);
  Gaussian: Eq. 5 (:func:`~groklab.models.separability_population.population_accuracy`),
  Student-t: test set, with ``acc_gen_se``.
* ``cos_theta1`` = S₁/‖S‖; ``cos_lda``: cosine with the empirical LDA direction Σ̂⁻¹μ̂ of the
  training set (centred Σ̂, 1/N, linear solve; Cor. 3.3), NaN when d > N − 1; NaN at S = 0.
* ``norm_S``; ``logit_mean_train``/``logit_std_train`` of the training logits z_i;
  ``logit_mean_test``/``logit_std_test``: S₁μ_f and √(σ_f²S₁² + σ_n²‖S_⊥‖²) (Gaussian, §3.6),
  or the test-set values.
* with ``n_test`` > 0 and Gaussian noise: ``loss_test``, ``acc_test`` on the sampled test set.

Multi-class: ``loss_*``, ``acc_*`` (argmax), ``norm_W`` (Frobenius), and the correct-class logit
z_{c} (``logit_mean_*``, ``logit_std_*``) and the other logits (``logit_off_mean_*``,
``logit_off_std_*``); the population values come from ``n_pop_mc`` K-dimensional logits sampled
from z | c ~ N(Wμ_c + b, σ_f²WP_SWᵀ + σ_n²WP_⊥Wᵀ) with a fixed per-seed sample (§2.2, §7),
with ``acc_gen_se``; ``acc_test``/``loss_test`` with ``n_test`` > 0 from sampled inputs.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import NamedTuple

import numpy as np
import optax

from groklab.dynamics import jax, jnp
from groklab.dynamics.gd import as_increments, gd, pop_finite_or_raise
from groklab.dynamics.optim import optimize
from groklab.models.logit_reg_config import Config
from groklab.models.logit_reg_data import binary_parts
from groklab.models.separability_data import key_for, two_gaussian_standard
from groklab.models.separability_population import population_accuracy, population_logistic
from groklab.theory.logit_reg import get_penalty

__all__ = ["key_for", "run_arrays", "sample"]

_N_HERMITE = 96


def _dtype(config: Config):
    return jnp.float32 if config.precision == "float32" else jnp.float64


# ---- data ---------------------------------------------------------------------------------------
class _Draw(NamedTuple):
    """What one seed's draw depends on (the static argument of the compiled :func:`_parts`)."""

    multiclass: bool
    n_classes: int
    d: int
    nu: float | None
    mu_f: float
    sigma_f: float
    n_train: int
    n_test: int
    n_pop_mc: int

    @classmethod
    def of(cls, config: Config) -> _Draw:
        return cls(config.multiclass, config.n_classes, config.d, config.nu_eff,
                   float(config.mu_f), float(config.sigma_f), config.n_train_eff,
                   config.n_test_eff, config.n_pop_mc)


def _multiclass_parts(law: _Draw, raw: dict, suffix: str) -> dict:
    """Balanced classes c (a random permutation of i mod K) and the σ_n-free parts of
    x = μ_f e_c + σ_f P_S g + σ_n P_⊥ g, g ~ N(0, I_d) (§2.2): P_S centres the first K
    coordinates, P_⊥ keeps their mean and the remaining d − K coordinates."""
    K, d = law.n_classes, law.d
    c, g = raw["c" + suffix], raw["g" + suffix]
    n = c.shape[0]
    head = g[:, :K]
    mean = jnp.mean(head, axis=1, keepdims=True)
    ps = jnp.concatenate([head - mean, jnp.zeros((n, d - K))], axis=1)
    base = law.mu_f * jax.nn.one_hot(c, d, dtype=jnp.float64) + law.sigma_f * ps
    perp = jnp.concatenate([jnp.broadcast_to(mean, (n, K)), g[:, K:]], axis=1)
    return {"c": c, "base": base, "perp": perp}


def _random(law: _Draw, key, n: int) -> dict:
    """The standard random draws of ``n`` points: binary labels ±1 and noise ξ (N, d); or
    classes c and g ~ N(0, I_d)."""
    if not law.multiclass:
        y, xi = two_gaussian_standard(key, n, law.d, law.nu)
        return {"y": y, "xi": xi}
    kc, kg = jax.random.split(key)
    return {"c": jax.random.permutation(kc, jnp.arange(n) % law.n_classes),
            "g": jax.random.normal(kg, (n, law.d), jnp.float64)}


@functools.partial(jax.jit, static_argnums=0)
def _draw(law: _Draw, seed) -> dict:
    """One seed's random draws (train, test and, multi-class, the population sample) as one
    compiled call: drawn op by op, the threefry kernels compile one by one (seconds). Only the
    random bits are compiled together; the arithmetic on them stays outside (:func:`_parts`),
    where no fused multiply-add changes the last bits."""
    out = _random(law, key_for(seed, "train"), law.n_train)
    if law.n_test > 0:
        out |= {f"{k}_test": v for k, v in _random(law, key_for(seed, "test"), law.n_test).items()}
    if law.multiclass:
        K = law.n_classes
        m = max(1, law.n_pop_mc // K)
        out["pop_u"] = jax.random.normal(key_for(seed, "pop"), (K, m, K), jnp.float64)
    return out


def _parts(config: Config, seed: int) -> dict:
    """One seed's σ_n-free arrays (train, test and, multi-class, the population sample)."""
    law = _Draw.of(config)
    raw = _draw(law, jnp.asarray(seed, jnp.int64))

    def make(suffix: str) -> dict:
        if law.multiclass:
            return _multiclass_parts(law, raw, suffix)
        return binary_parts(law.mu_f, law.sigma_f, raw, suffix)

    out = make("")
    if law.n_test > 0:
        out |= {f"{k}_test": v for k, v in make("_test").items()}
    if law.multiclass:
        out["pop_u"] = raw["pop_u"]
    return out


def _assemble(parts: dict, sigma_n, suffix: str = "", multiclass: bool = False):
    """Training (or test) inputs at noise level σ_n from the shared draw (in NumPy for NumPy
    parts, as :func:`sample` gives them, else in JAX)."""
    if multiclass:
        return parts["base" + suffix] + sigma_n * parts["perp" + suffix]
    first, perp = parts["first" + suffix], parts["perp" + suffix]
    xp = np if isinstance(perp, np.ndarray) else jnp
    return xp.concatenate([first[:, None], sigma_n * perp], axis=1)


def sample(config: Config, seed: int) -> dict[str, jax.Array]:
    """One seed's arrays in ``config.precision`` (drawn in float64, so both precisions see the
    same sample; the binary arrays are assembled in NumPy, without compiling JAX kernels).

    Binary: ``X`` (N, d) inputs x = (yμ_f + σ_f ξ₀, σ_n ξ_⊥), ``y`` (N,) = ±1, ``Xp`` = y·x
    (absorbed data) and ``S0`` = 0 (d,). Multi-class: ``X`` (N, d), ``y`` (N,) in 0..K−1,
    ``W0`` = 0 (K, d), ``b0`` = 0 (K,). With ``n_test`` > 0 also ``X_test``, ``y_test`` (and
    ``Xp_test`` binary).
    """
    dt = np.float32 if config.precision == "float32" else np.float64
    parts = _parts(config, seed)
    out = {}
    for suffix in ("", "_test") if config.n_test_eff > 0 else ("",):
        X = _assemble(parts, config.sigma_n, suffix, config.multiclass)
        if config.multiclass:
            out |= {"X" + suffix: X.astype(dt), "y" + suffix: parts["c" + suffix]}
        else:
            y = parts["y" + suffix]
            out |= {"X" + suffix: (y[:, None] * X).astype(dt), "y" + suffix: y.astype(dt),
                    "Xp" + suffix: X.astype(dt)}
    if config.multiclass:
        out |= {"W0": np.zeros((config.n_classes, config.d), dt),
                "b0": np.zeros((config.n_classes,), dt)}
    else:
        out["S0"] = np.zeros((config.d,), dt)
    return {k: jnp.asarray(v) for k, v in out.items()}


# ---- penalties (spec §1.1–1.2, Eq. 7); binary f from groklab.theory.logit_reg.get_penalty ------
def _multiclass_penalty(name: str):
    """(f, ∇f) over the last axis: ‖z‖² ("square") or Eq. 7, logsumexp z − mean z ("ls")."""
    if name == "square":
        return (lambda z: jnp.sum(z * z, axis=-1)), (lambda z: 2.0 * z)
    return ((lambda z: jax.nn.logsumexp(z, axis=-1) - jnp.mean(z, axis=-1)),
            (lambda z: jax.nn.softmax(z, axis=-1) - 1.0 / z.shape[-1]))


def _gaussian_penalty_mean(name: str, m, s):
    """E f(m + sY), Y ~ N(0, 1): m² + s² for z², Gauss–Hermite otherwise."""
    if name == "square":
        return m * m + s * s
    y, w = np.polynomial.hermite_e.hermegauss(_N_HERMITE)
    f = get_penalty(name).f
    nodes = m[..., None] + s[..., None] * jnp.asarray(y, m.dtype)
    return jnp.sum(jnp.asarray(w / math.sqrt(2 * math.pi), m.dtype) * f(nodes), axis=-1)


# ---- the static law and its functions ----------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Law:
    """Static (hashable) description of a run: what the compiled functions depend on."""

    multiclass: bool
    penalty: str
    gaussian: bool
    has_test: bool
    lda: bool
    mu_f: float
    sigma_f: float
    weight_decay: float

    @classmethod
    def of(cls, config: Config) -> _Law:
        return cls(config.multiclass, config.penalty, config.noise == "gaussian",
                   config.n_test_eff > 0, config.d <= config.n_train_eff - 1,
                   float(config.mu_f), float(config.sigma_f), float(config.weight_decay))


def _acc_binary(z):
    return jnp.mean((z > 0).astype(z.dtype) + 0.5 * (z == 0).astype(z.dtype))


def _lda_direction(Xp):
    """Σ̂⁻¹μ̂ with μ̂ the mean of the absorbed data and Σ̂ their centred covariance (1/N)."""
    mu = jnp.mean(Xp, axis=0)
    C = Xp - mu
    return jnp.linalg.solve(C.T @ C / Xp.shape[0], mu)


@functools.lru_cache(maxsize=32)
def _binary_fns(law: _Law):
    """Loss, analytic gradient, observables and data builder of the binary model.

    ∇_S L = N⁻¹ Σ_i [−(1 − α) s(−z_i) + α f′(z_i)] x'_i + γS (spec §7)."""
    pen = get_penalty(law.penalty)
    f, df = pen.f, pen.df
    gamma = law.weight_decay

    def per_point(z, alpha):
        return (1 - alpha) * jax.nn.softplus(-z) + alpha * f(z)

    def loss_fn(p, data):
        z = data["Xp"] @ p["S"]
        return jnp.mean(per_point(z, data["alpha"])) + 0.5 * gamma * jnp.sum(p["S"] ** 2)

    def grad_fn(p, data):
        a = data["alpha"]
        z = data["Xp"] @ p["S"]
        w = -(1 - a) * jax.nn.sigmoid(-z) + a * df(z)
        return {"S": data["Xp"].T @ w / z.shape[0] + gamma * p["S"]}

    def observe(p, data):
        S, a = p["S"], data["alpha"]
        z = data["Xp"] @ S
        norm = jnp.linalg.norm(S)
        safe = jnp.where(norm > 0, norm, 1.0)
        nan = jnp.asarray(jnp.nan, S.dtype)
        rec = {
            "loss_train": jnp.mean(per_point(z, a)),
            "acc_train": _acc_binary(z),
            "cos_theta1": jnp.where(norm > 0, S[0] / safe, nan),
            "norm_S": norm,
            "logit_mean_train": jnp.mean(z),
            "logit_std_train": jnp.std(z),
        }
        if law.lda:
            v = data["lda"]
            rec["cos_lda"] = jnp.where(norm > 0, S @ v / (safe * jnp.linalg.norm(v)), nan)
        else:
            rec["cos_lda"] = jnp.full((), jnp.nan, S.dtype)
        if law.has_test:
            zt = data["Xp_test"] @ S
            acc = _acc_binary(zt)
            test = {"loss": jnp.mean(per_point(zt, a)), "acc": acc}
        if law.gaussian:
            m = S[0] * law.mu_f
            s = jnp.sqrt((law.sigma_f * S[0]) ** 2 + data["sigma_n"] ** 2 * jnp.sum(S[1:] ** 2))
            rec |= {
                "loss_gen": (1 - a) * population_logistic(s, -m)
                + a * _gaussian_penalty_mean(law.penalty, m, s),
                "acc_gen": jnp.where(norm > 0, population_accuracy(s, -m), 0.5),
                "logit_mean_test": m,
                "logit_std_test": s,
            }
            if law.has_test:
                rec |= {"loss_test": test["loss"], "acc_test": test["acc"]}
        else:
            rec |= {
                "loss_gen": test["loss"],
                "acc_gen": test["acc"],
                "acc_gen_se": jnp.sqrt(acc * (1 - acc) / zt.shape[0]),
                "logit_mean_test": jnp.mean(zt),
                "logit_std_test": jnp.std(zt),
            }
        return rec

    def build(parts, sigma_n):
        data = {"Xp": _assemble(parts, sigma_n), "sigma_n": sigma_n}
        if law.has_test:
            data["Xp_test"] = _assemble(parts, sigma_n, "_test")
        if law.lda:
            data["lda"] = _lda_direction(data["Xp"])
        return data

    def init(parts):
        return {"S": jnp.zeros(parts["perp"].shape[1] + 1, parts["perp"].dtype)}

    return loss_fn, grad_fn, observe, build, init


def _logit_stats(z, onehot, name: str) -> dict:
    """Mean and std of the correct-class logits and of the other logits."""
    k = z.shape[-1]
    zc = jnp.sum(z * onehot, axis=-1)
    off = z * (1 - onehot)
    n_off = off.size / k * (k - 1)
    off_mean = jnp.sum(off) / n_off
    off_var = jnp.sum(((z - off_mean) * (1 - onehot)) ** 2) / n_off
    return {f"logit_mean_{name}": jnp.mean(zc), f"logit_std_{name}": jnp.std(zc),
            f"logit_off_mean_{name}": off_mean, f"logit_off_std_{name}": jnp.sqrt(off_var)}


@functools.lru_cache(maxsize=32)
def _multiclass_fns(law: _Law):
    """Loss, analytic gradient, observables and data builder of the multi-class model.

    With G_i = (1 − α)(softmax z_i − e_{c_i}) + α∇f(z_i): ∇_W L = N⁻¹ Σ G_i x_iᵀ + γW,
    ∂_b L = N⁻¹ Σ G_i."""
    f, df = _multiclass_penalty(law.penalty)
    gamma = law.weight_decay

    def per_point(z, onehot, alpha):
        ce = jax.nn.logsumexp(z, axis=-1) - jnp.sum(z * onehot, axis=-1)
        return (1 - alpha) * ce + alpha * f(z)

    def logits(p, X):
        return X @ p["W"].T + p["b"]

    def loss_fn(p, data):
        z = logits(p, data["X"])
        return (jnp.mean(per_point(z, data["onehot"], data["alpha"]))
                + 0.5 * gamma * jnp.sum(p["W"] ** 2))

    def grad_fn(p, data):
        a = data["alpha"]
        z = logits(p, data["X"])
        G = (1 - a) * (jax.nn.softmax(z, axis=-1) - data["onehot"]) + a * df(z)
        n = z.shape[0]
        return {"W": G.T @ data["X"] / n + gamma * p["W"], "b": jnp.mean(G, axis=0)}

    def population(p, data):
        """Sampled logits z | c ~ N(μ_f W_{:,c} + b, σ_f²AAᵀ + σ_n²(WWᵀ − AAᵀ)), A = WP_S."""
        W, b = p["W"], p["b"]
        K = W.shape[0]
        head = W[:, :K]
        A = head - jnp.mean(head, axis=1, keepdims=True)
        ss = A @ A.T
        cov = law.sigma_f**2 * ss + data["sigma_n"] ** 2 * (W @ W.T - ss)
        e, V = jnp.linalg.eigh(0.5 * (cov + cov.T))
        L = V * jnp.sqrt(jnp.maximum(e, 0.0))
        means = law.mu_f * head.T + b  # row c: Wμ_c + b
        z = means[:, None, :] + data["pop_u"] @ L.T  # (K classes, m, K)
        onehot = jnp.eye(K, dtype=W.dtype)[:, None, :]
        hit = (jnp.argmax(z, axis=-1) == jnp.arange(K)[:, None]).astype(W.dtype)
        n = hit.size
        acc = jnp.mean(hit)
        return {
            "loss_gen": jnp.mean(per_point(z, onehot, data["alpha"])),
            "acc_gen": acc,
            "acc_gen_se": jnp.std(hit) / math.sqrt(n),
            **_logit_stats(z.reshape(-1, K), jnp.broadcast_to(onehot, z.shape).reshape(-1, K),
                           "test"),
        }

    def observe(p, data):
        z = logits(p, data["X"])
        a = data["alpha"]
        rec = {
            "loss_train": jnp.mean(per_point(z, data["onehot"], a)),
            "acc_train": jnp.mean((jnp.argmax(z, axis=-1) == data["c"]).astype(z.dtype)),
            "norm_W": jnp.linalg.norm(p["W"]),
            **_logit_stats(z, data["onehot"], "train"),
            **population(p, data),
        }
        if law.has_test:
            zt = logits(p, data["X_test"])
            rec |= {
                "loss_test": jnp.mean(per_point(zt, data["onehot_test"], a)),
                "acc_test": jnp.mean((jnp.argmax(zt, axis=-1) == data["c_test"]).astype(zt.dtype)),
            }
        return rec

    def build(parts, sigma_n):
        K = parts["pop_u"].shape[0]
        dt = parts["base"].dtype
        data = {"X": _assemble(parts, sigma_n, multiclass=True), "c": parts["c"],
                "onehot": jax.nn.one_hot(parts["c"], K, dtype=dt), "sigma_n": sigma_n,
                "pop_u": parts["pop_u"]}
        if law.has_test:
            data |= {"X_test": _assemble(parts, sigma_n, "_test", multiclass=True),
                     "c_test": parts["c_test"],
                     "onehot_test": jax.nn.one_hot(parts["c_test"], K, dtype=dt)}
        return data

    def init(parts):
        K, d = parts["pop_u"].shape[0], parts["base"].shape[1]
        dt = parts["base"].dtype
        return {"W": jnp.zeros((K, d), dt), "b": jnp.zeros((K,), dt)}

    return loss_fn, grad_fn, observe, build, init


# ---- optimizers and the batched run --------------------------------------------------------------
@functools.partial(jax.jit, static_argnames=("law", "opt"))
def _run(law: _Law, opt: tuple, parts, alphas, sigma_ns, increments):
    """Records of shape (seed, σ_n, α, t): seeds and σ_n values vmapped over the data, α values
    over a shared data set (matrix–matrix products)."""
    fns = _multiclass_fns(law) if law.multiclass else _binary_fns(law)
    loss_fn, grad_fn, observe, build, init = fns
    name, eta, beta1, beta2, eps = opt

    def one_seed(ps):
        params0 = init(ps)

        def one_sigma(sn):
            data = build(ps, sn)

            def one_alpha(a):
                d = data | {"alpha": a}
                if name == "gd":
                    return gd(loss_fn, observe, params0, d, eta, increments, grad=grad_fn)
                tx = optax.adam(eta, b1=beta1, b2=beta2, eps=eps)  # the PyTorch form
                return optimize(loss_fn, observe, params0, d, tx, increments, grad=grad_fn)

            return jax.vmap(one_alpha)(alphas)

        return jax.vmap(one_sigma)(sigma_ns)

    return jax.vmap(one_seed)(parts)


def run_arrays(config: Config, seeds, times, alphas, sigma_ns) -> dict:
    """Train every (seed, α, σ_n) run as one batched computation; NumPy records of shape
    (seed, α, σ_n, t). Raises ``ValueError`` naming the step (and the η bound) when a run
    became non-finite."""
    increments = as_increments(times)
    dt = _dtype(config)
    draws = [_parts(config, int(s)) for s in seeds]
    parts = {k: jnp.stack([dr[k] for dr in draws]) for k in draws[0]}
    parts = {k: v.astype(dt) if jnp.issubdtype(v.dtype, jnp.floating) else v
             for k, v in parts.items()}
    opt = (config.optimizer, float(config.eta), float(config.adam_beta1),
           float(config.adam_beta2), float(config.adam_eps))
    rec = _run(_Law.of(config), opt, parts, jnp.asarray(alphas, dt), jnp.asarray(sigma_ns, dt),
               increments)
    rec = {k: np.swapaxes(np.asarray(v), 1, 2) for k, v in rec.items()}
    advice = (f"eta={config.eta!r}, optimizer={config.optimizer!r}: lower eta"
              + (f" (the GD stability estimate is eta < {config.eta_bound:.4g})."
                 if config.optimizer == "gd" else "."))
    return pop_finite_or_raise(rec, times, advice)
