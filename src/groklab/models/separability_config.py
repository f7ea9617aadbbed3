"""Configuration of the edge-of-separability model (Beck, Levi, Bar-Sinai 2025).

Kept apart from the model's JAX code so that a config validates (and ``predict`` evaluates the
theory) without importing JAX. Besides the reduced constant-label Gaussian model (spec §1.2–1.4)
the config selects the spec's extensions (§4): the original two-Gaussian form (§1.1, Fig. 4),
a label fraction r < 1 (App. I, Fig. 16), power-law and mixture inputs (App. G, Fig. 15), a
frozen bias (Fig. 2 middle) and a sampled test set.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from groklab._config import (
    AbstractConfig,
    Choice,
    Flag,
    Integer,
    InvalidParameterError,
    Real,
    param,
)
from groklab.metrics import detector
from groklab.models._common import SizedByLam

__all__ = ["Config", "powerlaw_variances"]

#: Defaults of the law-specific knobs (used when the field is None): Fig. 15 of the paper.
ALPHA_DEFAULT = 1.5
MIX_MEAN_DEFAULT = 1.0
MIX_VAR_DEFAULT = 0.25


def powerlaw_variances(d: int, sigma: float, alpha: float) -> np.ndarray:
    """Per-coordinate variances λ_n = λ₀ n^{−α}, n = 1..d, normalized so that Σ λ_n = σ·d.

    App. G / Fig. 15 of the paper ("Σλ_n = σ·d"), taken literally as the spec says (§5, Fig. 15
    row): the mean variance is σ, not σ². The covariance is diagonal in the input basis, which
    is no loss of generality because the initialization is isotropic and GD is rotation
    equivariant.
    """
    n = np.arange(1, d + 1, dtype=np.float64)
    lam = n ** (-float(alpha))
    return lam * (float(sigma) * d / lam.sum())


@dataclasses.dataclass(frozen=True)
class Config(SizedByLam, AbstractConfig):
    """Constant-label Gaussian data with a bias, trained by full-batch GD (spec §1.2–1.4).

    Data x_i ~ N(0, σ² I_d), i = 1..N, all labels −1; output f = Sᵀx + b; loss Eq. 1 (logistic)
    or Eq. 6 (exponential). Give ``lam`` (λ = d/N) or ``n_train``; the other is derived. With
    neither, λ = 0.48. Time is counted in GD steps (epochs).

    Extensions (spec §4), each off by default:

    * ``form="two-gaussian"`` (§1.1, Fig. 4): x̃ ∈ R^{d+1}, labels ±1 at random (½ each),
      x̃ ~ N(yμ e₁, diag(σ_A², σ_B², …, σ_B²)) with ``mu`` = μ, ``sigma_A`` = σ_A (standard
      deviations, erratum 9) and σ_B = μ·``sigma`` (so ``sigma`` keeps its meaning σ = σ_B/μ of
      App. H); logit wᵀx̃ without bias, w₀ isotropic in R^{d+1} with ‖w₀‖ = ``S0_norm``.
      Requires ``mu``; ``fit_bias`` must stay True (w₁ is the bias of the reduced model and is
      always trained) and ``b0`` = 0.
    * ``label_fraction`` r (App. I, Fig. 16): label −1 iff x₁ > μ_r = σΦ⁻¹(1 − r) (erratum 10),
      else +1; r = 1 is the constant-label model. Gaussian inputs only.
    * ``inputs``: ``"gaussian"``; ``"powerlaw"`` (variances λ₀n^{−α}, Σλ_n = σ·d, see
      :func:`powerlaw_variances`; ``alpha`` default 1.5); ``"mixture"`` (each coordinate
      σ·(½N(+m, v) + ½N(−m, v)), ``mix_mean`` m default 1, ``mix_var`` v default 0.25, a variance;
      population metrics by a Rao–Blackwellized Monte Carlo over ``n_pop_mc`` sign vectors).
    * ``fit_bias=False``: b stays at ``b0`` (Fig. 2 middle, "without bias").
    * ``n_test`` > 0: also record ``loss_test``/``acc_test`` on that many fresh points.
    """

    DEFAULT_LAM = 0.48

    d: int = param(200, Integer(1, 1_000_000), help="input (noise) dimension d")
    lam: float | None = param(
        None, Real(0, 1e6, closed="neither", allow_none=True), help="d / n_train"
    )
    n_train: int | None = param(
        None, Integer(1, 100_000_000, allow_none=True), help="training set size N"
    )
    sigma: float = param(5.0, Real(0, None, closed="neither"), help="input std σ (= σ_B/μ)")
    eta: float = param(0.01, Real(0, None, closed="neither"), help="learning rate (Eq. 2)")
    S0_norm: float = param(0.1, Real(0, None, closed="left"), help="‖S₀‖ (isotropic direction)")
    b0: float = param(0.0, Real(-1e3, 1e3), help="initial bias b₀")
    loss: str = param(
        "logistic", Choice(("logistic", "exponential")), help="Eq. 1 (logistic) or Eq. 6"
    )
    optimizer: str = param("gd", Choice(("gd", "adam")), help="full-batch GD or Adam (App. B)")
    adam_beta1: float = param(0.9, Real(0, 1, closed="left"), help="Adam β₁")
    adam_beta2: float = param(0.999, Real(0, 1, closed="left"), help="Adam β₂")
    adam_eps: float = param(1e-8, Real(0, None, closed="neither"), help="Adam ε")
    threshold: str | float = param(
        "beck2025",
        Choice(("beck2025",), Real(0, 1, closed="neither")),
        help="accuracy level for grokking: beck2025 (0.9) or a number in (0, 1)",
    )
    t_max: int = param(10**6, Integer(1, 10**12), help="horizon in GD steps")
    seed: int = param(0, Integer(0, 2**31 - 1), help="first seed")
    precision: str = param("float64", Choice(("float64", "float32")), help="simulation dtype")
    form: str = param(
        "reduced", Choice(("reduced", "two-gaussian")),
        help="reduced constant-label model (App. H) or the original two-Gaussian problem (§1.1)",
    )
    mu: float | None = param(
        None, Real(0, None, closed="neither", allow_none=True),
        help="class mean μ of form='two-gaussian' (required there)",
    )
    sigma_A: float | None = param(
        None, Real(0, None, closed="left", allow_none=True),
        help="std σ_A of the first coordinate, form='two-gaussian' (None = 0)",
    )
    label_fraction: float = param(
        1.0, Real(0, 1, closed="right"), help="fraction r of points labelled −1 (App. I)"
    )
    inputs: str = param(
        "gaussian", Choice(("gaussian", "powerlaw", "mixture")), help="input law (App. G)"
    )
    alpha: float | None = param(
        None, Real(0, None, closed="left", allow_none=True),
        help="power-law exponent of inputs='powerlaw' (None = 1.5)",
    )
    mix_mean: float | None = param(
        None, Real(0, None, closed="left", allow_none=True),
        help="component mean m of inputs='mixture' (None = 1)",
    )
    mix_var: float | None = param(
        None, Real(0, None, closed="neither", allow_none=True),
        help="component variance v of inputs='mixture' (None = 0.25)",
    )
    n_pop_mc: int = param(
        4096, Integer(1, 10**7), help="sign vectors of the mixture's population estimate"
    )
    fit_bias: bool = param(True, Flag(), help="train the bias b (False: b stays at b0)")
    n_test: int = param(0, Integer(0, 10**8), help="sampled test points (0 = none)")
    flow_rtol: float = param(
        1e-8, Real(0, 1, closed="neither"), help="relative tolerance of method='flow'"
    )
    flow_atol: float = param(
        1e-10, Real(0, 1, closed="neither"), help="absolute tolerance of method='flow'"
    )

    def _check(self) -> None:
        self._check_extensions()
        self._check_size()
        if self.optimizer == "gd":
            bound = self.eta_bound
            if self.eta >= bound:
                top, what = self._top_eigenvalue()
                plus = " + 1" if self._bias_direction else ""
                why = (
                    f"8/(λ_max{plus}) (logistic curvature ≤ 1/4)"
                    if self.loss == "logistic"
                    else f"2e^{{−b₀}}/(λ_max{plus}) (exponential-loss curvature at the start)"
                )
                raise InvalidParameterError(
                    f"The 'eta' parameter of Config gives unstable GD: eta={self.eta!r} but GD "
                    f"is stable only for eta < {bound:.6g} = {why}, with λ_max the {what} "
                    f"= {top:.6g}."
                )

    def _check_extensions(self) -> None:
        def bad(msg: str) -> None:
            raise InvalidParameterError(msg)

        if self.form == "reduced":
            for name in ("mu", "sigma_A"):
                if getattr(self, name) is not None:
                    bad(f"The {name!r} parameter of Config applies to form='two-gaussian' only "
                        f"(got {name}={getattr(self, name)!r} with form='reduced'). Set "
                        f"form='two-gaussian' or drop {name}.")
        else:
            if self.mu is None:
                bad("form='two-gaussian' needs the class mean 'mu' > 0 (e.g. mu=0.2 as in "
                    "Fig. 4); σ_B = mu·sigma.")
            if not self.fit_bias:
                bad("fit_bias=False does not apply to form='two-gaussian': the original model "
                    "has no separate bias; its reduced bias b = −μw₁ is a trained weight. Use "
                    "form='reduced' with fit_bias=False.")
            if self.b0 != 0:
                bad(f"b0={self.b0!r} does not apply to form='two-gaussian': w₀ is isotropic "
                    "in R^{d+1} with norm S0_norm. Leave b0 = 0.")
            if self.inputs != "gaussian" or self.label_fraction != 1:
                bad("form='two-gaussian' supports inputs='gaussian' and label_fraction=1 only "
                    f"(got inputs={self.inputs!r}, label_fraction={self.label_fraction!r}).")
        for name, law in (("alpha", "powerlaw"), ("mix_mean", "mixture"), ("mix_var", "mixture")):
            if getattr(self, name) is not None and self.inputs != law:
                bad(f"The {name!r} parameter of Config applies to inputs={law!r} only (got "
                    f"inputs={self.inputs!r}). Set inputs={law!r} or drop {name}.")
        if self.label_fraction < 1 and self.inputs != "gaussian":
            bad(f"label_fraction < 1 (App. I) is defined for inputs='gaussian' only (got "
                f"inputs={self.inputs!r}).")

    # ---- derived quantities -----------------------------------------------------------------
    @property
    def sigma_B(self) -> float | None:
        """σ_B = μ·σ of form='two-gaussian' (App. H: σ = σ_B/μ); None for form='reduced'."""
        return None if self.mu is None else self.mu * self.sigma

    @property
    def alpha_eff(self) -> float:
        return ALPHA_DEFAULT if self.alpha is None else self.alpha

    @property
    def mix_mean_eff(self) -> float:
        return MIX_MEAN_DEFAULT if self.mix_mean is None else self.mix_mean

    @property
    def mix_var_eff(self) -> float:
        return MIX_VAR_DEFAULT if self.mix_var is None else self.mix_var

    @property
    def label_threshold(self) -> float:
        """μ_r = σΦ⁻¹(1 − r) (App. I, erratum 10); −inf for r = 1 (all labels −1)."""
        if self.label_fraction >= 1:
            return -math.inf
        from scipy.special import ndtri

        return float(self.sigma * ndtri(1.0 - self.label_fraction))

    @property
    def _bias_direction(self) -> bool:
        return self.fit_bias and self.form == "reduced"

    def _top_eigenvalue(self) -> tuple[float, str]:
        """Large-d estimate of the top eigenvalue of (1/N) Σ x xᵀ (without the bias), and its
        description for messages.

        * gaussian: the Marchenko–Pastur edge σ²(1+√λ)²;
        * mixture: the same edge with the per-coordinate variance σ²(m² + v) (MP universality);
        * powerlaw: λ₁ + λ̄[(1+√λ)² − 1] with λ̄ = σ the mean variance: exact (the MP edge) for a
          flat spectrum and, for a dominant λ₁, above the spiked (BBP) location λ₁ + λλ̄ by
          2√λ·λ̄ (measured mean top eigenvalue 740 vs estimate 749 at d = 180, N = 400, σ = 10,
          α = 1.5);
        * two-gaussian (original variables): σ_B²(1+√λ)² + μ² + σ_A², which is μ² times the
          reduced model's σ²(1+√λ)² + 1 at σ_A = 0 (App. H: the step is ημ² there).
        """
        edge = (1 + math.sqrt(self.lam_realized)) ** 2
        if self.form == "two-gaussian":
            sa = self.sigma_A or 0.0
            return (self.sigma_B**2 * edge + self.mu**2 + sa**2,
                    "estimate σ_B²(1+√λ)² + μ² + σ_A² for the original variables")
        if self.inputs == "mixture":
            var = self.sigma**2 * (self.mix_mean_eff**2 + self.mix_var_eff)
            return var * edge, "Marchenko–Pastur edge σ²(m²+v)(1+√λ)²"
        if self.inputs == "powerlaw":
            lam = powerlaw_variances(self.d, self.sigma, self.alpha_eff)
            return (float(lam[0] + lam.mean() * (edge - 1)),
                    "power-law estimate λ₁ + λ̄((1+√λ)² − 1)")
        return self.sigma**2 * edge, "Marchenko–Pastur edge σ²(1+√λ)²"

    @property
    def eta_bound(self) -> float:
        """Largest stable GD step (large-d estimate).

        The Hessian of Eq. 1 is (1/N) Σ s'(f_i) z_i z_iᵀ with z = (x, 1) and s' ≤ 1/4 (labels
        y_i = ±1 do not change it); the top eigenvalue of (1/N) Σ z zᵀ is at most λ_max + 1, the
        top eigenvalue of the inputs' sample covariance (see :meth:`_top_eigenvalue`; σ²(1+√λ)²
        for Gaussian inputs, the Marchenko–Pastur edge) plus the bias direction (dropped when
        the bias is frozen, and for form='two-gaussian', whose λ_max includes the first
        coordinate). So GD is stable for η < 8/(λ_max + 1). The exponential loss has weights
        e^{f_i} instead of s'; its curvature shrinks with the loss, and the bound uses the start,
        f ≈ b₀: η < 2e^{−b₀}/(λ_max + 1).
        """
        top = self._top_eigenvalue()[0] + (1.0 if self._bias_direction else 0.0)
        if self.loss == "logistic":
            return 8.0 / top
        return 2.0 * math.exp(-self.b0) / top

    @property
    def accuracy_level(self) -> float:
        return detector(self.threshold).level
