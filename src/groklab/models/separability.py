"""Grokking at the edge of linear separability (Beck, Levi, Bar-Sinai 2025, arXiv:2410.04489).

Model (spec ``beck2025-edge-of-separability.md`` §1.2–1.4), the constant-label reduction of
logistic regression on two Gaussians: inputs x_i ~ N(0, σ² I_d), i = 1..N, all labelled −1;
output f = Sᵀx + b with a bias; λ = d/N (the bias is not counted in d). Training loss Eq. 1,
L = (1/N) Σ log(1 + e^{f_i}), or the exponential surrogate Eq. 6; full-batch GD (Eq. 2) from
S₀ with an isotropic direction and norm ``S0_norm`` (0.1) and b₀ = ``b0`` (0). Population loss
(Eq. 3) and accuracy (Eq. 4) depend only on (σ‖S‖, b) and are evaluated analytically.
Grokking happens for λ → ½⁻ at large σ; for λ > ½ the data are (typically) separable from the
origin and the accuracy plateaus below 1 (Prop. 3.2).

The verbs:

* :class:`Config` — validated parameters (``separability_config``).
* :func:`sample` — the training inputs and initial (S₀, b₀) of one seed.
* :func:`simulate` — GD (or Adam) batched over seeds, recorded at log-spaced steps.
* :func:`simulate_batch` — several configs at once: one vmapped call per group of configs that
  share shapes (a sweep task of cells differing in σ, η, … is one computation).

Extensions (spec §4; see :class:`Config`): the original two-Gaussian form (§1.1, Fig. 4), a
label fraction r < 1 (App. I, Fig. 16), power-law and mixture inputs (App. G, Fig. 15), a frozen
bias and a sampled test set. :func:`simulate` supports all of them (GD, Adam and the flow);
:func:`predict` only the reduced Gaussian constant-label model.

Exact identities, as functions on arrays: :func:`sigma_rescaling` (Prop. 3.5) and
:func:`two_gaussian_to_reduced` (App. H). Time is measured in GD steps (epochs); the conformal
time ``tau`` = Σ_k e^{b_k} (Eq. 8) is recorded in the same units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from groklab import metrics, prng_numpy
from groklab.models._common import (
    DRAW_PURPOSES,
    label_variables,
    result_attrs,
    seed_list,
    theory_dataset,
)
from groklab.models.separability_config import Config

__all__ = [
    "ID",
    "Config",
    "default_times",
    "sample",
    "sigma_rescaling",
    "simulate",
    "simulate_batch",
    "two_gaussian_to_reduced",
    "predict",
    "predict_curves",
]

ID = "separability"
TIME_UNIT = "steps"

_ATTRS = {
    "loss_train": ("training loss (Eq. 1, or Eq. 6 for the exponential loss)", "1"),
    "loss_gen": ("population loss (Eq. 3, or e^{b+σ²‖S‖²/2} for the exponential loss)", "1"),
    "acc_train": ("training accuracy (f ≤ 0 counts as correct)", "1"),
    "acc_gen": ("population accuracy (Eq. 4)", "1"),
    "norm_S": ("‖S‖", "1"),
    "bias": ("bias b", "1"),
    "b_over_norm": ("b/‖S‖", "1"),
    "tau": ("conformal time: Σ_k e^{b_k} for GD, ∫ e^b dt for the flow (Eq. 8)", TIME_UNIT),
    "loss_gen_se": ("Monte Carlo standard error of loss_gen (mixture inputs)", "1"),
    "acc_gen_se": ("Monte Carlo standard error of acc_gen (mixture inputs)", "1"),
    "loss_test": ("loss on n_test sampled test points", "1"),
    "acc_test": ("accuracy on n_test sampled test points", "1"),
    "loss_test_se": ("standard error of loss_test (sample std/√n_test)", "1"),
}


def sample(config: Config, seed: int | None = None) -> dict:
    """Training inputs ``X`` (N, d), ``S0`` (d,) and ``b0`` of one seed (default
    ``config.seed``)."""
    from groklab.models.separability_sim import sample as _sample

    return _sample(config, config.seed if seed is None else seed)


def _training_inputs(config: Config) -> np.ndarray:
    """Training inputs X (N, d) of the reduced Gaussian draw of ``config.seed``, recomputed
    without JAX (:mod:`groklab.prng_numpy`): :func:`sample`'s ``X`` to a few ulp."""
    key = prng_numpy.seed_key(config.seed, DRAW_PURPOSES["train"])
    return config.sigma * prng_numpy.normal(key, (config.n_train_eff, config.d))


def default_times(config: Config, n: int = 200) -> np.ndarray:
    """t = 0 plus about ``n`` log-spaced unique integer steps in [1, ``t_max``]."""
    grid = np.unique(np.round(np.logspace(0, math.log10(config.t_max), n)).astype(np.int64))
    return np.concatenate([[0], grid])


# ---- exact identities ---------------------------------------------------------------------------
def sigma_rescaling(X, S, b, eta: float, sigma: float) -> dict:
    """The unit-variance twin of a problem with input std σ (Prop. 3.5, App. F.1).

    GD on data ``X`` (std σ) from (S, b) with step η equals, step by step, GD on X/σ (std 1)
    from (σS, b) with step ησ² for S and η for b: at every step S̃ = σS and b̃ = b, so outputs,
    losses and accuracies coincide. The map also sends any state (S, b) along a trajectory.

    Returns a dict with ``X`` (= X/σ), ``S`` (= σS), ``b``, ``eta_S`` (= ησ²), ``eta_b`` (= η).
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be positive. Got {sigma!r} instead.")
    return {
        "X": np.asarray(X) / sigma,
        "S": np.asarray(S) * sigma,
        "b": b,
        "eta_S": eta * sigma**2,
        "eta_b": eta,
    }


def two_gaussian_to_reduced(X_tilde, y, w, eta: float, mu: float, *, atol: float = 1e-12) -> dict:
    """Map the two-Gaussian problem with σ_A = 0 to the constant-label model (App. H, spec §1.2).

    Parameters
    ----------
    X_tilde : (N, d + 1) inputs x̃_i = (y_i μ, ξ_i); the first coordinate must equal y_i μ
        (σ_A = 0), otherwise the map is not exact and a ``ValueError`` is raised.
    y : (N,) labels ±1.
    w : (d + 1,) weights (w₁, w_⊥) of the logit wᵀx̃, or (T, d + 1) along a trajectory.
    eta, mu : the learning rate and the class mean μ > 0.

    Returns
    -------
    dict
        ``X`` (N, d) = y_i ξ_i/μ (so the reduced σ = σ_B/μ), ``S`` = −μ w_⊥, ``b`` = −μ w₁ and
        ``eta`` = ημ². The margins satisfy y_i wᵀx̃_i = −(Sᵀx_i + b), and GD with step η on the
        original loss equals GD with step ημ² on Eq. 1, step by step.
    """
    X_tilde = np.asarray(X_tilde, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float)
    if not mu > 0:
        raise ValueError(f"mu must be positive. Got {mu!r} instead.")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError("y must hold labels ±1.")
    if not np.allclose(X_tilde[:, 0], y * mu, rtol=0.0, atol=atol):
        raise ValueError(
            "The first input coordinate must equal y·mu (sigma_A = 0); the reduction to the "
            "constant-label model is exact only then. Simulate the original model instead."
        )
    return {
        "X": y[:, None] * X_tilde[:, 1:] / mu,
        "S": -mu * w[..., 1:],
        "b": -mu * w[..., 0],
        "eta": eta * mu**2,
    }


# ---- simulation ---------------------------------------------------------------------------------
def _label(ds) -> None:
    label_variables(ds, _ATTRS, TIME_UNIT)


def simulate(
    config: Config,
    times: Sequence[int] | None = None,
    seeds: int | Sequence[int] = 4,
    method: str = "gd",
):
    """Simulate the model for several seeds as one batched computation.

    Parameters
    ----------
    config : Config
    times : GD steps at which to record (default :func:`default_times`, up to ``t_max``).
    seeds : a number of seeds (``config.seed``, ``config.seed + 1``, …) or explicit seeds.
    method : ``"gd"`` (default; GD or Adam step by step) or ``"flow"``: the adaptive gradient
        flow dθ/dt = −η∇L (the η → 0 limit of GD at fixed η·t; Tsit5 in log(1 + t) with
        tolerances ``config.flow_rtol``/``flow_atol``; ``times`` may then be non-integer).
        ``attrs["flow_num_steps"]`` and ``attrs["flow_grad_evals"]`` give the solver's cost per
        seed.

    Returns
    -------
    xarray.Dataset
        dims ``(seed, t)``: ``loss_train``, ``loss_gen``, ``acc_train``, ``acc_gen``,
        ``norm_S``, ``bias``, ``b_over_norm``, ``tau`` (for form='two-gaussian' in the reduced
        variables S = −μw_⊥, b = −μw₁ of App. H, and ``loss_gen``/``acc_gen`` from the margin
        law of §1.1); with mixture inputs also ``loss_gen_se``, ``acc_gen_se`` (the population
        values are a Monte Carlo estimate there); with ``n_test`` > 0 also ``loss_test``,
        ``acc_test``, ``loss_test_se``. ``attrs["grokking"]`` lists each seed's
        record for the detector ``config.threshold`` (crossings interpolated in log-time
        between records; a level never reached is ``null`` with a message).
    """
    from groklab.models.separability_sim import simulate_arrays

    seeds = seed_list(config.seed, seeds)
    if method not in ("gd", "flow"):
        raise ValueError(f"method must be 'gd' or 'flow'. Got {method!r} instead.")
    t_dtype = np.float64 if method == "flow" else np.int64
    t = default_times(config) if times is None else np.asarray(times, dtype=t_dtype)
    stats: dict = {}
    arrays = simulate_arrays(config, t, seeds, method=method, stats=stats)
    return _simulation_dataset(config, t, seeds, arrays, method, stats)


def simulate_batch(
    configs: Sequence[Config],
    times: Sequence[int] | None = None,
    seeds: int | Sequence[int] = 4,
    method: str = "gd",
) -> list:
    """Simulate several configs with as few compiled calls as possible (sweep tasks, issue 7).

    Configs that differ only in knobs that leave the shapes alone — ``sigma``, ``eta``,
    ``S0_norm``, ``b0``, ``fit_bias``, ``seed``, ``t_max`` (with explicit ``times``),
    ``threshold``, ``mu``, ``sigma_A``, ``label_fraction`` < 1, ``alpha``, ``mix_mean``,
    ``mix_var`` — run as **one** vmapped GD (or Adam) call over configs × seeds. Configs that
    cannot share a call (other ``d``, ``lam``/``n_train``, ``n_test``, ``n_pop_mc``, ``loss``,
    ``form``, ``inputs``, r = 1 vs r < 1, ``precision``, ``optimizer`` or Adam's β₁, β₂, ε, or
    other record times) form separate groups, one call each (see
    :func:`~groklab.models.separability_sim.group_key`). ``method="flow"`` runs each config by
    itself.

    Parameters
    ----------
    configs : a non-empty sequence of :class:`Config`.
    times, seeds, method : as for :func:`simulate`, applied to every config (``times`` None:
        each config's :func:`default_times`).

    Returns
    -------
    list of xarray.Dataset
        In the order of ``configs``; element i equals ``simulate(configs[i], times, seeds,
        method)`` to rounding (XLA may round batched products differently: measured ≤ 2.3e-15
        relative); the same batch composition always gives the same bits.

    Raises
    ------
    ValueError
        For an empty ``configs``, a config of another model, an unknown ``method``, or a run
        whose loss became non-finite (naming the config's position in the batch).
    """
    from groklab.models.separability_sim import simulate_batch_arrays

    configs = list(configs)
    if not configs:
        raise ValueError("simulate_batch needs at least one Config. Got an empty sequence.")
    foreign = sorted({f"{type(c).__module__}.{type(c).__qualname__}"
                      for c in configs if not isinstance(c, Config)})
    if foreign:
        raise ValueError(
            f"simulate_batch of model {ID!r} takes {ID} Config objects only. Got {foreign}; "
            "batch each model's configs with that model's own simulate_batch."
        )
    if method not in ("gd", "flow"):
        raise ValueError(f"method must be 'gd' or 'flow'. Got {method!r} instead.")
    if method == "flow":
        return [simulate(c, times, seeds, method) for c in configs]
    ts = [default_times(c) if times is None else np.asarray(times, dtype=np.int64)
          for c in configs]
    seed_lists = [seed_list(c.seed, seeds) for c in configs]
    arrays = simulate_batch_arrays(configs, ts, seed_lists)
    return [_simulation_dataset(c, t, s, a, method, {})
            for c, t, s, a in zip(configs, ts, seed_lists, arrays, strict=True)]


def _simulation_dataset(config: Config, t, seeds, arrays: dict, method: str, stats: dict):
    """The Dataset of :func:`simulate` from its records (seed, t), with attrs and grokking."""
    import xarray as xr

    ds = xr.Dataset(
        {k: (("seed", "t"), np.asarray(v, dtype=float)) for k, v in arrays.items()},
        coords={"seed": seeds, "t": t},
        attrs=result_attrs(
            ID, config, "simulation", TIME_UNIT,
            n_train=config.n_train_eff, lam_realized=config.lam_realized,
        ),
    )
    if method == "flow":
        ds.attrs["method"] = "flow"
        ds.attrs["flow_num_steps"] = [int(v) for v in stats["num_steps"]]
        if stats["n_grad_evals"] is not None:
            ds.attrs["flow_grad_evals"] = [int(v) for v in stats["n_grad_evals"]]
    _label(ds)
    det = metrics.detector(config.threshold)
    found = metrics.grokking_times(ds, config.threshold)
    ds.attrs["grokking"] = metrics.seed_summaries(found["t_train"].values, found["t_gen"].values,
                                                  seeds, det, float(t[-1]))
    return ds


# ---- theory for a sampled data set ---------------------------------------------------------------
def _population_loss(a: float, b: np.ndarray, loss: str) -> np.ndarray:
    """Eq. 3, E_y log(1 + e^{a y + b}) for y ~ N(0, 1), or e^{b + a²/2} (exponential).

    160-node Gauss–Hermite quadrature for a ≤ 2 (relative error < 1e-14 there, checked against
    adaptive quadrature in the tests); adaptive quadrature beyond, where the kink of the softplus
    at y = −b/a can fall outside the Gauss–Hermite nodes.
    """
    b = np.asarray(b, dtype=float)
    if loss == "exponential":
        return np.exp(b + a * a / 2)
    if a > 2:
        from scipy import integrate
        from scipy.special import log_expit

        def one(bb: float) -> float:
            f = lambda y: -log_expit(-(a * y + bb)) * math.exp(-y * y / 2)  # noqa: E731
            return integrate.quad(f, -np.inf, np.inf, epsabs=0, epsrel=1e-11, limit=400)[0]

        return np.array([one(float(bb)) for bb in b]) / math.sqrt(2 * math.pi)
    y, w = np.polynomial.hermite_e.hermegauss(160)
    values = np.logaddexp(0.0, a * y[None, :] + b[:, None])
    return values @ (w / math.sqrt(2 * math.pi))


def _frozen_bias_flow(z: np.ndarray, t: np.ndarray, eta: float, b0: float, loss: str):
    """b(t) under the gradient flow db/dt = −η ∂_b L(S_∞, b) with S frozen at S_∞ (the paper's
    "long-time prediction" of Fig. 1), integrated in u = log(1 + t)."""
    from scipy.integrate import solve_ivp
    from scipy.special import expit

    def rhs(u, b):
        f = z + b[0]
        grad = np.mean(np.exp(f)) if loss == "exponential" else np.mean(expit(f))
        return [-eta * math.exp(u) * grad]

    u = np.log1p(np.asarray(t, dtype=float))
    sol = solve_ivp(rhs, (0.0, float(u[-1])), [b0], t_eval=u, method="LSODA",
                    rtol=1e-10, atol=1e-12)
    if not sol.success:
        raise RuntimeError(f"The frozen-S bias flow failed: {sol.message}")
    return sol.y[0]


def predict(config: Config, times: Sequence[float] | None = None):
    """The Dataset (dim ``t``) of :func:`predict_curves`."""
    return theory_dataset(*predict_curves(config, times), _ATTRS, TIME_UNIT)


def predict_curves(config: Config, times: Sequence[float] | None = None):
    """Theory for the training set of ``config.seed`` and for the ensemble.

    * ``summary``: ``p_separable`` (Wendel's exact probability, Eq. 12, for N = n_train points
      in d dimensions), ``separable`` (this draw, from the max-margin problem, Eq. 5),
      ``margin`` (M, Eq. 9; null if inseparable), ``S_inf`` (‖S_∞‖ of the minimizer of
      Σ e^{Sᵀx}; null if separable), ``acc_gen_limit`` (Prop. 3.2: 1 if inseparable, else
      ½[1 + erf(1/(√2 σ M))]) and ``grok_delay`` (null: the full model has no closed form; see
      ``separability-1d``).
    * Curves (inseparable draws only): the paper's "long-time prediction" of Fig. 1 — S frozen at
      S_∞, the bias following the gradient flow of the training loss, losses and accuracies from
      Eq. 1, 3, 4. It is an asymptotic curve, accurate once S has converged (late times).
      Separable draws have no curve (``advice`` gives the late-time rates of App. J).

    Time is in GD steps (flow time η·t).

    Only the reduced model with Gaussian inputs, constant labels and a trained bias has this
    theory; any other configuration (``form``, ``inputs``, ``label_fraction``, ``fit_bias``)
    raises ``ValueError`` naming the option.
    """
    unsupported = {
        k: v for k, v in (("form", config.form), ("inputs", config.inputs),
                          ("label_fraction", config.label_fraction),
                          ("fit_bias", config.fit_bias))
        if v != Config.__dataclass_fields__[k].default
    }
    if unsupported:
        raise ValueError(
            f"predict covers the reduced Gaussian constant-label model with a trained bias "
            f"only; unsupported here: {unsupported}. Use simulate for these extensions."
        )

    from groklab.theory import separability as th

    X = _training_inputs(config)
    n, d = X.shape
    mm = th.max_margin(X)
    t = default_times(config) if times is None else np.asarray(times, dtype=float)
    summary = {
        "p_separable": float(th.wendel_prob(n, d)),
        "separable": bool(mm.separable),
        "margin": float(mm.margin) if mm.separable else None,
        "S_inf": None,
        "acc_gen_limit": float(th.limit_gen_accuracy(mm.margin if mm.separable else 0.0,
                                                     config.sigma)),
        "grok_delay": None,
    }
    advice = []
    data = {}
    if mm.separable:
        rate_s, rate_b = th.separable_rates(mm.margin)
        advice.append(
            f"Separable draw (margin M = {mm.margin:.4g}): GD memorizes; ‖S‖ grows as "
            f"{float(rate_s):.4g}·log t and b as {float(rate_b):.4g}·log t (App. J), and the "
            f"generalization accuracy tends to {summary['acc_gen_limit']:.4g} < 1 (Prop. 3.2)."
        )
    else:
        s_inf = th.s_infinity(X)
        norm = float(np.linalg.norm(s_inf.S))
        summary["S_inf"] = norm
        z = X @ s_inf.S
        b = _frozen_bias_flow(z, t, config.eta, config.b0, config.loss)
        f = z[None, :] + b[:, None]
        if config.loss == "exponential":
            loss_train = np.mean(np.exp(f), axis=1)
        else:
            loss_train = np.mean(np.logaddexp(0.0, f), axis=1)
        a = config.sigma * norm
        data = {
            "loss_train": loss_train,
            "loss_gen": _population_loss(a, b, config.loss),
            "acc_train": np.mean(f <= 0, axis=1).astype(float),
            "acc_gen": 0.5 * (1 - np.vectorize(math.erf)(b / (math.sqrt(2) * a))),
            "norm_S": np.full(t.shape, norm),
            "bias": b,
            "b_over_norm": b / norm,
        }
        advice.append(
            f"Inseparable draw: S → S_∞ (‖S_∞‖ = {norm:.4g}), b → −∞ and the generalization "
            "accuracy tends to 1: it groks. Curves: S frozen at S_∞ (late-time prediction)."
        )
    attrs = result_attrs(
        ID, config, "theory", TIME_UNIT, summary=summary, advice=advice,
        validity="late times (S converged to S_inf); curves only for inseparable draws",
    )
    det = metrics.detector(config.threshold)
    if data:
        attrs["grokking"] = metrics.grokking_summary(
            metrics.crossing_time(t, data["acc_train"], det.level),
            metrics.crossing_time(t, data["acc_gen"], det.level), det, float(t[-1])
        )
    else:  # separable: no time-resolved theory, only the limit
        never = summary["acc_gen_limit"] < det.level
        attrs["grokking"] = {
            "detector": det.name, "level": det.level, "t_train": None, "t_gen": None,
            "delay": None, "never_reached": ["t_gen"] if never else [],
            "message": (
                f"separable draw: no time-resolved theory; the generalization accuracy tends to "
                f"{summary['acc_gen_limit']:.4g}"
                + (f" < {det.level:g}, so it never groks" if never else "")
            ),
        }
    return t, {k: np.asarray(v, dtype=float) for k, v in data.items()}, attrs
