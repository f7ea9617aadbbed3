"""Theory of the binary logit-regularization model: the converged training-loss minimizer of one
draw (Beck, Bar-Sinai, Levi 2026; spec ``beck2026-logit-regularization.md`` §3, §7).

The prediction is the t → ∞ limit of full-batch GD from S₀ = 0 on the draw of ``config.seed``
(the same arrays as :func:`groklab.models.logit_reg_sim.sample`): the minimizer of the mean loss
(:func:`groklab.theory.logit_reg.minimize`), or its GD limit when it is not unique (d > N), or,
for α = 0 on a separable draw, the bias-free hard-margin SVM direction (spec §3.1, §7). The
curves are constant in t: a late-time prediction, not valid at early times.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from groklab import metrics
from groklab.models._common import result_attrs, theory_dataset
from groklab.models.logit_reg_data import training_xp
from groklab.theory import logit_reg as th

__all__ = ["predict", "predict_curves"]

ID = "logit-reg"
TIME_UNIT = "steps"

_ATTRS = {
    "loss_train": ("training loss at the limit: mean of (1−α)CE + αf", "1"),
    "loss_gen": ("population loss at the limit (Gauss–Hermite over the Gaussian logit)", "1"),
    "acc_train": ("training accuracy at the limit (a tie z = 0 counts ½)", "1"),
    "acc_gen": ("population accuracy at the limit (Eq. 5)", "1"),
    "cos_theta1": ("cos θ₁ = S₁/‖S‖ at the limit", "1"),
    "norm_S": ("‖S‖ at the limit", "1"),
    "logit_mean_train": ("mean training logit at the limit", "1"),
    "logit_std_train": ("std of the training logits at the limit", "1"),
    "logit_mean_test": ("mean population logit at the limit, S₁μ_f", "1"),
    "logit_std_test": ("std of the population logits, √(σ_f²S₁² + σ_n²‖S_⊥‖²) (App. E.1)", "1"),
    "acc_gen_se": ("standard error of the sampled acc_gen (multi-class)", "1"),
    "norm_W": ("‖W‖ (Frobenius) at the limit (multi-class)", "1"),
    "logit_off_mean_train": ("mean training logit of the other classes at the limit", "1"),
    "logit_off_std_train": ("std of the training logits of the other classes at the limit", "1"),
}

_N_HERMITE = 96


def _population_loss(config, mean: float, std: float) -> float:
    """E ℓ(z), z ~ N(mean, std²), by Gauss–Hermite quadrature (ℓ is smooth)."""
    y, w = np.polynomial.hermite_e.hermegauss(_N_HERMITE)
    z = mean + std * y
    return float(w @ th.loss(z, config.alpha, config.penalty) / math.sqrt(2 * math.pi))


def _lambda_c(config) -> float | None:
    """Threshold of perfect generalization at σ_f = 0: ½ without a logit penalty (weight decay
    does not shift it, App. E.4), 1 with α > 0 (Prop. 5.1); the paper gives none for σ_f > 0."""
    if config.sigma_f > 0:
        return None
    return 1.0 if config.alpha > 0 else 0.5


def predict(config, times: Sequence[float] | None = None):
    """The Dataset (dim ``t``) of :func:`predict_curves`."""
    return theory_dataset(*predict_curves(config, times), _ATTRS, TIME_UNIT)


def predict_curves(config, times: Sequence[float] | None = None):
    """Converged limit of training on the draw of ``config.seed``, as constant curves over t.

    Parameters
    ----------
    config : Config
        Binary (``n_classes = 2``) configuration.
    times : GD steps of the (constant) curves; default ``logit_reg.default_times(config)``.

    Returns
    -------
    (t, curves, attrs)
        Curves ``loss_train``, ``loss_gen``, ``acc_train``, ``acc_gen``, ``cos_theta1``,
        ``norm_S``, ``logit_mean_train``, ``logit_std_train``, ``logit_mean_test``,
        ``logit_std_test`` over ``t`` (the names of ``simulate``), those undefined in a case
        left out (population quantities for Student-t noise; norms and losses of the α = 0
        separable limit, where ‖S‖ → ∞). ``attrs["summary"]``:

        * ``z_star``: per-sample target (spec §1.3); null at α = 0 (z* = ∞).
        * ``lambda_c``: 0.5 (α = 0) or 1.0 (α > 0) at σ_f = 0 (Prop. 5.1, App. E.4); null for
          σ_f > 0 (the paper gives no threshold there).
        * ``acc_gen_limit``: Eq. 5 at the limit (α = 0 on a separable draw: at the bias-free
          hard-margin SVM direction, the GD direction, spec §7); null for Student-t noise.
        * ``alignment``: cos θ₁ of the limit (Eq. 4).
        * ``C``: σ_n‖S_⊥‖/S₁ (Eq. 4; A_gen = Φ(μ_f/√(σ_f² + C²)) for Gaussian noise).
        * ``limit``: "unique minimizer", "GD limit from S0 = 0" (rank X < d, minimizers not
          unique) or "hard-margin SVM direction"; ``grad_norm`` and ``newton_iterations`` of
          the solver (spec §7: ‖∇L‖ < 1e-10).

        Multi-class (``n_classes = K > 2``, spec §1.4, §2.2, §3.3, §3.8): the limit is the
        minimizer of the mean loss over (W, b) from W = 0, b = 0
        (:func:`groklab.theory.logit_reg_multiclass.minimize_multiclass`); variables
        ``loss_train``, ``acc_train``, ``acc_gen``, ``acc_gen_se``, ``norm_W``,
        ``logit_mean_train``, ``logit_std_train``, ``logit_off_mean_train``,
        ``logit_off_std_train``; summary ``z_star`` = {q_high, q_low} (the simplex targets),
        ``lambda_c`` as above (Prop. D.2 at σ_f = 0), ``acc_gen_limit`` with
        ``acc_gen_limit_se`` (``n_pop_mc`` sampled logits, seed ``config.seed``), and
        ``alignment``: the smallest cosine of the principal angles between the row space of W
        and S = span{μ_c − μ̄} (1 when W_⊥ = 0, Prop. D.2), null with ``alignment_note`` when
        rank W < K − 1.
    """
    from groklab.models.logit_reg import default_times

    t = default_times(config) if times is None else np.asarray(times)
    if config.multiclass:
        data, summary, advice, n = _multiclass(config)
    else:
        data, summary, advice, n = _binary(config)
    return _curves(config, t, data, summary, advice, n)


def _binary(config):
    """Curves, summary, advice and N of the binary limit (see :func:`predict`)."""
    gaussian = config.noise == "gaussian"
    if gaussian:  # simulate's draw without importing JAX
        Xp = training_xp(config)
    else:
        from groklab.models.logit_reg_sim import sample

        Xp = np.asarray(sample(config, config.seed)["Xp"], dtype=np.float64)
    n, d = Xp.shape
    mu_f, sf, sn = config.mu_f, config.sigma_f, config.sigma_n
    advice: list[str] = []
    try:
        res = th.minimize(Xp, config.alpha, config.penalty, config.weight_decay)
    except th.NoFiniteMinimizerError:  # α = 0, γ = 0, separable draw
        res = None
    if res is None:
        from groklab.theory.separability import max_margin

        S = -max_margin(Xp).S_star  # bias-free hard-margin SVM: min ‖S‖ s.t. Sᵀx'_i ≥ 1
        limit = "hard-margin SVM direction"
        advice.append("α = 0 on a separable draw: ‖S‖ → ∞ along the bias-free hard-margin SVM "
                      "direction (spec §3.1); the limit quantities are those of that direction.")
    else:
        S = res.S
        limit = "unique minimizer" if res.unique else "GD limit from S0 = 0"
        if not res.converged:
            advice.append(f"Newton stopped at ‖∇L‖ = {res.grad_norm:.3g} > 1e-10 after "
                          f"{res.n_iter} iterations: the limit is approximate.")
    z = Xp @ S
    s1 = float(S[0])
    std_test = math.hypot(sf * s1, sn * float(np.linalg.norm(S[1:])))
    acc_gen = float(th.accuracy_binary(S, mu_f, sf, sn)) if gaussian else None
    summary = {
        "z_star": None if config.alpha == 0 else float(th.z_star(config.alpha, config.penalty)),
        "lambda_c": _lambda_c(config),
        "acc_gen_limit": acc_gen,
        "alignment": float(th.cos_theta1(S)),
        "C": float(th.C_constant(S, sn)),
        "limit": limit,
        "grad_norm": None if res is None else res.grad_norm,
        "newton_iterations": None if res is None else res.n_iter,
    }
    lam = d / n
    if config.alpha > 0 and config.weight_decay == 0:
        if lam > 1:
            advice.append(
                f"λ = {lam:.3g} > 1: the minimizers form {{S : XS = z*·1}} and are not unique; "
                "the limit is the GD limit from S₀ = 0 (minimum norm, S_⊥ ≠ 0)"
                + ("; test accuracy < 1 even at σ_f = 0 (Prop. 5.1)." if sf == 0 else "."))
        elif sf == 0:
            advice.append(f"σ_f = 0, λ = {lam:.3g} ≤ 1: the minimizer is (z*/μ_f)e₁ and the "
                          "test accuracy is 1 (Prop. 5.1); for λ > ½ GD groks on the way.")
        else:
            advice.append("α > 0, λ ≤ 1: the limit's accuracy does not depend on σ_n "
                          "(Prop. 6.1); GD reaches it slowly at small σ_n (Fig. 17).")
    if config.weight_decay > 0:
        advice.append("Weight decay does not shift the threshold (λ_c stays ½ at σ_f = 0) and "
                      "the accuracy stays σ_n-dependent (App. E.4).")
    if not gaussian:
        advice.append("Student-t noise: Eq. 5 needs Gaussian noise, so acc_gen_limit and the "
                      "population curves are left out; simulate samples a test set.")

    data = {"acc_train": float(np.mean((z > 0) + 0.5 * (z == 0))),
            "cos_theta1": summary["alignment"]}
    if res is not None:
        data |= {"loss_train": res.loss - 0.5 * config.weight_decay * float(S @ S),
                 "norm_S": float(np.linalg.norm(S)), "logit_mean_train": float(z.mean()),
                 "logit_std_train": float(z.std())}
        if gaussian:
            data |= {"logit_mean_test": s1 * mu_f, "logit_std_test": std_test,
                     "loss_gen": _population_loss(config, s1 * mu_f, std_test)}
    if gaussian:
        data["acc_gen"] = acc_gen
    return data, summary, advice, n


def _principal_cosines(W: np.ndarray, U: np.ndarray) -> np.ndarray | None:
    """Cosines of the principal angles between the row space of W and span(U) (orthonormal
    columns), largest first; None when rank W < dim span(U)."""
    _, sv, Vt = np.linalg.svd(W, full_matrices=False)
    rank = int(np.sum(sv > sv[0] * max(W.shape) * np.finfo(float).eps)) if sv[0] > 0 else 0
    if rank < U.shape[1]:
        return None
    return np.linalg.svd(Vt[:rank] @ U, compute_uv=False)[: U.shape[1]]


def _multiclass(config):
    """Curves, summary, advice and N of the multi-class limit (see :func:`predict`)."""
    from groklab.models.logit_reg_sim import sample
    from groklab.theory import logit_reg_multiclass as mc

    arrays = sample(config, config.seed)
    X, c = np.asarray(arrays["X"], dtype=np.float64), np.asarray(arrays["y"])
    n, d = X.shape
    K, a = config.n_classes, config.alpha
    fit = mc.minimize_multiclass(X, c, K, a, config.penalty, config.weight_decay)
    means = config.mu_f * np.eye(K, d)
    acc, se = mc.population_accuracy(fit.W, fit.b, means, config.sigma_f, config.sigma_n,
                                     n_samples=config.n_pop_mc, seed=config.seed)
    U, _ = mc.class_subspace(means)
    cosines = _principal_cosines(fit.W, U)
    advice: list[str] = []
    if not fit.converged:
        advice.append(f"The trust-region Newton solve stopped at ‖∇L‖ = {fit.grad_norm:.3g} "
                      f"> 1e-10 after {fit.n_iter} iterations: the limit is approximate.")
    if a == 0 and config.weight_decay == 0:
        advice.append("α = 0: on separable data the cross-entropy has no minimizer (‖W‖ → ∞); "
                      "the limit quantities are those of the solver's large-norm point.")
    elif config.sigma_f == 0 and d < n:
        advice.append("σ_f = 0, λ < 1, α > 0: the minimizer is Prop. D.2's W = Z*M⁻¹ with "
                      "W_⊥ = 0, so the test accuracy is 1.")
    q = None if a == 0 else mc.multiclass_targets(a, K, config.penalty)
    summary = {
        "z_star": None if q is None else {"q_high": q[0], "q_low": q[1]},
        "lambda_c": _lambda_c(config),
        "acc_gen_limit": acc,
        "acc_gen_limit_se": se,
        "alignment": None if cosines is None else float(cosines.min()),
        "alignment_note": ("smallest cosine of the principal angles between the row space of "
                           "W and S = span{μ_c − μ̄}" if cosines is not None else
                           f"rank W < K − 1 = {K - 1}: the row space of W cannot contain S"),
        "limit": "minimizer from W = 0, b = 0",
        "grad_norm": fit.grad_norm,
        "newton_iterations": fit.n_iter,
    }
    Z = X @ fit.W.T + fit.b
    hit = np.zeros_like(Z, dtype=bool)
    hit[np.arange(n), c] = True
    data = {"loss_train": fit.loss - 0.5 * config.weight_decay * float(np.sum(fit.W**2)),
            "acc_train": float(np.mean(np.argmax(Z, axis=1) == c)),
            "acc_gen": acc, "acc_gen_se": se, "norm_W": float(np.linalg.norm(fit.W)),
            "logit_mean_train": float(Z[hit].mean()), "logit_std_train": float(Z[hit].std()),
            "logit_off_mean_train": float(Z[~hit].mean()),
            "logit_off_std_train": float(Z[~hit].std())}
    return data, summary, advice, n


def _curves(config, t, data: dict, summary: dict, advice: list[str], n: int):
    """The constant curves over t with the summary, advice and the grokking record."""
    acc_gen = summary["acc_gen_limit"]
    lam = config.d / n
    attrs = result_attrs(
        ID, config, "theory", TIME_UNIT, summary=summary, advice=advice,
        validity="late times (the converged t → ∞ limit, constant in t)",
        n_train=n, lam_realized=lam,
    )
    det = metrics.detector(config.threshold)
    never = acc_gen is not None and acc_gen < det.level
    attrs["grokking"] = {
        "detector": det.name, "level": det.level, "t_train": None, "t_gen": None,
        "delay": None, "never_reached": ["t_gen"] if never else [],
        "message": "no time-resolved theory: converged limit only"
                   + (f"; its accuracy {acc_gen:.4g} < {det.level:g}, so it never groks"
                      if never else ""),
    }
    t = np.asarray(t, dtype=float)
    return t, {k: np.full(t.shape, v, dtype=float) for k, v in data.items()}, attrs
