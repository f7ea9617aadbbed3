"""Simulation of the edge-of-separability model (Beck, Levi, Bar-Sinai 2025) in JAX.

Data (spec §1.2–1.4): x_i ~ N(0, σ² I_d), i = 1..N, all labels −1; output f_i = Sᵀx_i + b.
Training loss Eq. 1, L = (1/N) Σ softplus(f_i), or Eq. 6, L_e = (1/N) Σ e^{f_i} (evaluated as
exp(logsumexp f − log N)). Initialization: S₀ with an isotropic random direction and norm
``S0_norm``; b = ``b0``.

Extensions (spec §4; laws in :mod:`~groklab.models.separability_data`, population metrics in
:mod:`~groklab.models.separability_population`): with labels y_i = ±1 the loss is
(1/N) Σ ℓ(−y_i f_i) (y ≡ −1 is the model above, bit for bit). The two-Gaussian form runs in the
original variables: the parameter ``S`` holds w ∈ R^{d+1} and the bias is absent (held at 0),
and the records map to the reduced variables S = −μw_⊥, b = −μw₁ (App. H), so ``norm_S``,
``bias``, ``b_over_norm`` and ``tau`` are comparable with the reduced model. ``fit_bias=False``
holds b at b₀.

Recorded observables (all per seed and record time, in GD steps):

* ``loss_train``, ``acc_train`` (a tie f = 0 counts as correct);
* ``loss_gen``: the population loss of the configured loss, which depends only on a = σ‖S‖ and b —
  Eq. 3, E_Y[softplus(aY + b)], by :func:`population_logistic` (Gauss–Hermite / Gauss–Laguerre,
  see there), or e^{b + a²/2} for the exponential loss;
* ``acc_gen``: Eq. 4, ½ erfc(b/(√2 a)) (Θ(−b) at S = 0);
* ``acc_gen``/``loss_gen`` of the extensions: the two-Gaussian margin m ~ N(w₁μ,
  w₁²σ_A² + σ_B²‖w_⊥‖²) (§1.1) and power-law inputs, f ~ N(b, SᵀΣS), are exact via the same
  functions; label fraction r < 1 by a 1-D quadrature over x₁ (App. I); mixture inputs by a
  Rao–Blackwellized Monte Carlo over ``n_pop_mc`` sign vectors, recorded with its standard
  errors ``loss_gen_se`` and ``acc_gen_se``;
* ``loss_test``, ``acc_test``, ``loss_test_se`` (only when ``n_test`` > 0): the same on a fresh
  sample of ``n_test`` points (PRNG purpose "test"), with the standard error of the mean loss;
* ``norm_S``, ``bias``, ``b_over_norm`` = b/‖S‖ (reduced variables);
* ``tau``: conformal time τ_k = Σ_{j<k} e^{b_j} in steps (the left Riemann sum of Eq. 8,
  τ = ∫ e^{b} dt, with t in epochs); flow-time units are η·τ.

GD runs in the engine (:func:`groklab.dynamics.gd.gd_batched`) with an analytic gradient. The
conformal time is a carried parameter ``eta_tau`` whose "gradient" is −e^{b}, so the engine's
update adds η e^{b_k} per step (exact, no extra scan). Adam (App. B) runs in a small local scan
of the same shape. Seeds run as one batched (``vmap``) computation.

Batches of configs (:func:`simulate_batch_arrays`, behind ``separability.simulate_batch``):
configs with the same :func:`group_key` (law skeleton, shapes, precision, optimizer, times) run
as one compiled call, their runs (config × seed) stacked on the vmapped axis. The knobs that
vary per run are η (and Adam's learning rate), σ and the law's other numeric values
(``data["law"]``, see :meth:`~groklab.models.separability_data.Law.knobs`), ``S0_norm`` and
``b0`` (through S₀, b₀), ``fit_bias`` (the step scale of b) and the seeds. A single config is
the same code with a batch of one config, so per-cell and batched results share one path.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from groklab.dynamics import jax, jnp
from groklab.dynamics.gd import as_increments, gd_batched, pop_finite_or_raise
from groklab.dynamics.optim import optimize
from groklab.models.separability_config import Config, powerlaw_variances
from groklab.models.separability_data import Law, draw, input_dim, key_for
from groklab.models.separability_population import (
    label_fraction_population,
    mixture_population,
    population_accuracy,
    population_exponential,
    population_logistic,
)

__all__ = [
    "group_key",
    "key_for",
    "population_accuracy",
    "population_exponential",
    "population_logistic",
    "run_arrays",
    "run_flow_arrays",
    "run_group",
    "sample",
    "simulate_arrays",
    "simulate_batch_arrays",
]



def _dtype(config: Config):
    return jnp.float32 if config.precision == "float32" else jnp.float64


def sample(config: Config, seed: int) -> dict[str, jax.Array]:
    """One seed's arrays: training inputs ``X`` (N, D) and labels ``y`` (N,) = ±1 of the
    configured law (:func:`~groklab.models.separability_data.draw`; D = d, or d + 1 for the
    two-Gaussian form, whose ``S0`` is w₀), initial ``S0`` (D,) with norm ``S0_norm`` in a
    uniformly random direction, and ``b0`` (scalar; 0 for the two-Gaussian form). With
    ``n_test`` > 0 also ``X_test``, ``y_test``; for mixture inputs the key ``pop_key`` of the
    population estimate; for power-law inputs the variances ``pop_var`` (D,). Drawn in float64
    so both precisions see the same sample; each draw has its own PRNG purpose key."""
    dt = _dtype(config)
    X, y = draw(config, key_for(seed, "train"), config.n_train_eff)
    u = jax.random.normal(key_for(seed, "init"), (input_dim(config),), jnp.float64)
    S0 = config.S0_norm * u / jnp.linalg.norm(u)
    out = {"X": X.astype(dt), "y": y.astype(dt), "S0": S0.astype(dt),
           "b0": jnp.asarray(config.b0, dt)}
    if config.n_test > 0:
        Xt, yt = draw(config, key_for(seed, "test"), config.n_test)
        out |= {"X_test": Xt.astype(dt), "y_test": yt.astype(dt)}
    if config.inputs == "mixture":
        out["pop_key"] = key_for(seed, "pop")
    if config.inputs == "powerlaw":
        out["pop_var"] = jnp.asarray(
            powerlaw_variances(config.d, config.sigma, config.alpha_eff), dt
        )
    return out


# ---- losses, gradients and observables ---------------------------------------------------------
def _outputs(p, X):
    return X @ p["S"] + p["b"]


def _point_losses(z, loss: str):
    """ℓ(z) per point, z = −y f (softplus or exp)."""
    return jax.nn.softplus(z) if loss == "logistic" else jnp.exp(z)


def _train_loss(z, loss: str):
    """Mean of ℓ(z_i) with z = −y f (Eq. 1 or Eq. 6; y ≡ −1 gives z = f)."""
    if loss == "logistic":
        return jnp.mean(jax.nn.softplus(z))
    return jnp.exp(jax.nn.logsumexp(z) - math.log(z.shape[-1]))


def _knobs(data, law: Law) -> dict:
    """The law's numeric values of this run: traced from ``data["law"]`` inside the compiled
    simulation (one value per run, see :func:`_model_data`), else the constants of ``law``."""
    return data["law"] if "law" in data else law.knobs()


def _reduced(p, law: Law, k: dict):
    """(S-part, ‖S‖, b) in the reduced variables: the two-Gaussian weights w map to
    S = −μw_⊥ and b = −μw₁ (App. H). ``k``: the law's numeric values (:func:`_knobs`)."""
    if law.form == "two-gaussian":
        w_perp = p["S"][1:]
        return w_perp, k["mu"] * jnp.linalg.norm(w_perp), -k["mu"] * p["S"][0]
    return p["S"], jnp.linalg.norm(p["S"]), p["b"]


def _population(p, data, law: Law) -> dict:
    """Population loss and accuracy of the state ``p`` (see separability_population); the
    numeric values of the law come from ``data["law"]`` when present (:func:`_knobs`)."""
    gauss = population_logistic if law.loss == "logistic" else population_exponential
    k = _knobs(data, law)
    S = p["S"]
    if law.form == "two-gaussian":
        # margin m = y wᵀx̃ ~ N(w₁μ, w₁²σ_A² + σ_B²‖w_⊥‖²), and ℓ(−m) with −m ~ N(b, a²)
        w1, w_perp = S[0], S[1:]
        a = jnp.sqrt((k["sigma_A"] * w1) ** 2 + k["sigma_B_sq"] * jnp.sum(w_perp**2))
        b = -k["mu"] * w1
        return {"loss_gen": gauss(a, b), "acc_gen": population_accuracy(a, b)}
    b = p["b"]
    if law.inputs == "mixture":
        lg, ag, lse, ase = mixture_population(
            S, b, data["pop_key"], k["sigma"], k["mix_mean"], k["mix_var"], law.n_pop_mc,
            law.loss,
        )
        return {"loss_gen": lg, "acc_gen": ag, "loss_gen_se": lse, "acc_gen_se": ase}
    if not law.constant_label:  # label fraction r < 1, Gaussian inputs
        lg, ag = label_fraction_population(
            k["sigma"] * S[0], k["sigma"] * jnp.linalg.norm(S[1:]), b, k["h"], law.loss
        )
        return {"loss_gen": lg, "acc_gen": ag}
    if law.inputs == "powerlaw":
        a = jnp.sqrt(jnp.sum(data["pop_var"] * S * S))  # f ~ N(b, SᵀΣS)
    else:
        a = k["sigma"] * jnp.linalg.norm(S)
    return {"loss_gen": gauss(a, b), "acc_gen": population_accuracy(a, b)}


@functools.lru_cache(maxsize=32)
def _make_fns(law: Law):
    """Loss, analytic gradient (with the conformal-time accumulator) and observables of a law;
    cached because they are static jit arguments. ``law`` is a :meth:`Law.skeleton`: the
    functions read the law's numeric values from ``data["law"]`` (:func:`_model_data`), so
    every σ (μ, σ_A, r, mixture moments) shares one compiled program.

    With z_i = −y_i f_i and weights w_i = ℓ'(z_i) (sigmoid or exp): ∇_S L = −(1/N) Σ w_i y_i x_i
    (times ``s_scale``), ∂_b L = −(1/N) Σ w_i y_i (times ``b_scale``: 0 freezes b). The
    conformal-time accumulator's "gradient" is −e^{b} with b the reduced bias."""
    loss = law.loss

    def loss_fn(p, data):
        return _train_loss(-data["y"] * _outputs(p, data["X"]), loss)

    def grad_fn(p, data):
        y = data["y"]
        z = -y * _outputs(p, data["X"])
        w = jax.nn.sigmoid(z) if loss == "logistic" else jnp.exp(z)
        g = -y * w
        n = z.shape[-1]
        return {
            "S": data["X"].T @ g / n * data["s_scale"],
            "b": jnp.mean(g) * data["b_scale"],
            "eta_tau": -jnp.exp(_reduced(p, law, _knobs(data, law))[2]),  # adds η e^{b}
        }

    def observe(p, data):
        z = -data["y"] * _outputs(p, data["X"])
        _, norm, b = _reduced(p, law, _knobs(data, law))
        rec = {
            "loss_train": _train_loss(z, loss),
            "acc_train": jnp.mean((z <= 0).astype(z.dtype)),
            **_population(p, data, law),
            "norm_S": norm,
            "bias": b,
            "b_over_norm": b / norm,
            "eta_tau": p["eta_tau"],
        }
        if "X_test" in data:
            zt = -data["y_test"] * _outputs(p, data["X_test"])
            per = _point_losses(zt, loss)
            rec |= {
                "loss_test": jnp.mean(per),
                "acc_test": jnp.mean((zt <= 0).astype(zt.dtype)),
                "loss_test_se": jnp.std(per, ddof=1) / math.sqrt(zt.shape[-1]),
            }
        return rec

    return loss_fn, grad_fn, observe


def _model_data(config: Config, data: dict, s_step_scale=1.0, b_step_scale=None):
    """The batched data dict of the compiled run: ``data`` (seed axis first) completed with
    labels (default −1), the step scales, the law's numeric values (``"law"``, one per run) and
    no initial state; returns ``(params0, data)``."""
    n_seeds = data["X"].shape[0]
    dt = data["X"].dtype
    fit_b = config.fit_bias and config.form == "reduced"
    out = {k: v for k, v in data.items() if k not in ("S0", "b0")}
    out.setdefault("y", -jnp.ones(data["X"].shape[:2], dt))
    per_run = functools.partial(np.full, (n_seeds,), dtype=dt)  # NumPy: no eager JAX dispatch
    out["s_scale"] = per_run(s_step_scale)
    b_scale = (1.0 if fit_b else 0.0) if b_step_scale is None else b_step_scale
    out["b_scale"] = per_run(b_scale)
    out["law"] = {k: per_run(v) for k, v in Law.of(config).knobs().items()}
    params0 = {"S": data["S0"], "b": data["b0"], "eta_tau": per_run(0.0)}
    return params0, out


@functools.partial(jax.jit, static_argnames=("loss_fn", "grad_fn", "observe"))
def _adam_batched(loss_fn, grad_fn, observe, params0, data, lr, increments, beta1, beta2, eps):
    """Adam (``optax.adam``, the PyTorch form) on S and b, batched over runs (``lr`` holds one
    learning rate per run; β₁, β₂, ε are shared); the conformal time accumulates lr·e^{b_k}
    per step like GD (a plain step on ``eta_tau``)."""
    import optax

    def one(p, d, step):
        tx = optax.adam(step, b1=beta1, b2=beta2, eps=eps)
        return optimize(loss_fn, observe, p, d, tx, increments, grad=grad_fn,
                        plain={"eta_tau": step})

    return jax.vmap(one)(params0, data, lr)


def group_key(config: Config, times) -> tuple:
    """What must be equal for configs to run in one compiled, vmapped call: the law's skeleton
    (form, inputs, loss, label rule, ``n_pop_mc``), the shapes (``d``, ``n_train``, ``n_test``),
    ``precision``, ``optimizer`` (with Adam's β₁, β₂, ε) and the record times. Everything else
    (σ, η, ``S0_norm``, ``b0``, ``fit_bias``, μ, σ_A, r, α, the mixture moments, the seeds)
    varies per run inside the call."""
    adam = ((config.adam_beta1, config.adam_beta2, config.adam_eps)
            if config.optimizer == "adam" else ())
    return (Law.of(config).skeleton(), config.d, config.n_train_eff, config.n_test,
            config.precision, config.optimizer, adam, tuple(np.asarray(times).tolist()))


def run_group(configs, data: list[dict], times, s_step_scale=1.0) -> list[dict]:
    """Run compatible configs (equal :func:`group_key`) as one batched computation.

    ``data[i]`` is config i's batched data (leading seed axis, as for :func:`run_arrays`); the
    runs of all configs are stacked along one axis, and each run gets its own η and law values.
    Returns one dict of NumPy records of shape (seed, t) per config, as :func:`run_arrays`.
    """
    c0 = configs[0]
    keys = {group_key(c, times) for c in configs}
    if len(keys) > 1:
        raise ValueError("run_group needs configs with one group_key (same law skeleton, "
                         "shapes, precision, optimizer and times); group them first.")
    increments = as_increments(times)
    loss_fn, grad_fn, observe = _make_fns(Law.of(c0).skeleton())
    parts = [_model_data(c, d, s_step_scale) for c, d in zip(configs, data, strict=True)]
    params0, d = parts[0] if len(parts) == 1 else jax.tree_util.tree_map(
        lambda *xs: jnp.concatenate(xs), *parts)
    sizes = [int(p[0]["S"].shape[0]) for p in parts]
    eta = np.concatenate([np.full((n,), c.eta, d["X"].dtype)
                          for c, n in zip(configs, sizes, strict=True)])
    if c0.optimizer == "gd":
        rec = gd_batched(loss_fn, observe, params0, d, eta, increments, grad=grad_fn,
                         in_axes=(0, 0, 0, None))
    else:
        rec = _adam_batched(loss_fn, grad_fn, observe, params0, d, eta, increments,
                            c0.adam_beta1, c0.adam_beta2, c0.adam_eps)
    rec = {k: np.asarray(v) for k, v in rec.items()}
    out = []
    for c, lo, hi in zip(configs, np.cumsum([0, *sizes[:-1]]), np.cumsum(sizes), strict=True):
        part = {k: v[lo:hi] for k, v in rec.items()}
        part["tau"] = part.pop("eta_tau") / c.eta
        out.append(part)
    return out


def run_arrays(config: Config, data: dict, times, s_step_scale=1.0) -> dict:
    """Run batched data (leading seed axis on ``X``, ``S0``, ``b0`` and, if present, ``y`` and
    the other arrays of :func:`sample`; missing labels are −1) and return NumPy records of shape
    (seed, t), including ``finite`` and ``tau``.

    ``s_step_scale`` multiplies the step of S only (step η·s for S, η for b); 1 is the model.
    It exists for the σ-rescaling identity (Prop. 3.5), whose σ = 1 twin run uses s = σ².
    """
    return run_group([config], [data], times, s_step_scale)[0]


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
    loss_fn, grad_fn, observe = _make_fns(Law.of(config).skeleton())
    params0, d = _model_data(config, data)
    res = gradient_flow(
        loss_fn, params0, d, config.eta, times, observe=observe, grad=grad_fn,
        rtol=config.flow_rtol if rtol is None else rtol,
        atol=config.flow_atol if atol is None else atol,
        max_steps=max_steps, batched=True,
    )
    rec = dict(res.records)
    rec["tau"] = rec.pop("eta_tau") / config.eta
    return rec, res


def _unstable_advice(config: Config) -> str:
    return (f"eta={config.eta!r}, loss={config.loss!r}: GD is stable here only for eta below "
            f"about {config.eta_bound:.4g}. Lower eta.")


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
    if method == "gd":
        return simulate_batch_arrays([config], [times], [seeds])[0]
    data = _batched_sample(config, seeds)
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


def simulate_batch_arrays(configs, times, seeds) -> list[dict]:
    """GD (or Adam) of several configs: one batched computation per group of compatible configs
    (:func:`group_key`), over all their seeds at once.

    ``times[i]`` and ``seeds[i]`` are config i's record steps and seeds. Returns config i's
    NumPy records of shape (seed, t) at position i (the original order), equal to
    ``simulate_arrays(configs[i], times[i], seeds[i])``: each run sees the draw of its own
    (config, seed), and the batch only adds runs along the vmapped axis.

    Raises ``ValueError`` naming the first config (by position) whose loss became non-finite.
    """
    times = [np.asarray(t) for t in times]
    groups: dict[tuple, list[int]] = {}
    for i, (c, t) in enumerate(zip(configs, times, strict=True)):
        groups.setdefault(group_key(c, t), []).append(i)
    out: list[dict | None] = [None] * len(configs)
    for idx in groups.values():
        members = [configs[i] for i in idx]
        data = [_batched_sample(configs[i], seeds[i]) for i in idx]
        for i, rec in zip(idx, run_group(members, data, times[idx[0]]), strict=True):
            prefix = "" if len(configs) == 1 else f"config {i} of the batch: "
            out[i] = pop_finite_or_raise(rec, times[i], prefix + _unstable_advice(configs[i]))
    return out
