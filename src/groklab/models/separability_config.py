"""Configuration of the edge-of-separability model (Beck, Levi, Bar-Sinai 2025).

Kept apart from the model's JAX code so that a config validates (and a future ``predict``
evaluates the theory) without importing JAX.
"""

from __future__ import annotations

import dataclasses
import math

from groklab._config import AbstractConfig, Choice, Integer, InvalidParameterError, Real, param
from groklab.metrics import detector

__all__ = ["Config"]


@dataclasses.dataclass(frozen=True)
class Config(AbstractConfig):
    """Constant-label Gaussian data with a bias, trained by full-batch GD (spec §1.2–1.4).

    Data x_i ~ N(0, σ² I_d), i = 1..N, all labels −1; output f = Sᵀx + b; loss Eq. 1 (logistic)
    or Eq. 6 (exponential). Give ``lam`` (λ = d/N) or ``n_train``; the other is derived. With
    neither, λ = 0.48. Time is counted in GD steps (epochs).
    """

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
    flow_rtol: float = param(
        1e-8, Real(0, 1, closed="neither"), help="relative tolerance of method='flow'"
    )
    flow_atol: float = param(
        1e-10, Real(0, 1, closed="neither"), help="absolute tolerance of method='flow'"
    )

    def _check(self) -> None:
        if self.lam is not None and self.n_train is not None:
            if round(self.d / self.lam) != self.n_train:
                raise InvalidParameterError(
                    f"Give lam or n_train, not both: lam={self.lam!r} implies "
                    f"n_train={round(self.d / self.lam)}, but n_train={self.n_train}."
                )
        if self.n_train is None and self.lam is not None and round(self.d / self.lam) < 1:
            raise InvalidParameterError(
                f"The 'lam' parameter of Config gives fewer than one training point "
                f"(d={self.d}, lam={self.lam!r}); use lam ≤ {2 * self.d}."
            )
        if self.optimizer == "gd":
            bound = self.eta_bound
            if self.eta >= bound:
                why = (
                    "8/(σ²(1+√λ)² + 1) (logistic curvature ≤ 1/4)"
                    if self.loss == "logistic"
                    else "2e^{−b₀}/(σ²(1+√λ)² + 1) (exponential-loss curvature at the start)"
                )
                raise InvalidParameterError(
                    f"The 'eta' parameter of Config gives unstable GD: eta={self.eta!r} but GD "
                    f"is stable only for eta < {bound:.6g} = {why}, with the Marchenko–Pastur "
                    f"edge σ²(1+√λ)² = {self.sigma**2 * (1 + math.sqrt(self.lam_realized))**2:.6g}."
                )

    # ---- derived quantities -----------------------------------------------------------------
    @property
    def n_train_eff(self) -> int:
        """Training-set size N (from ``n_train``, else round(d/λ), λ = 0.48 by default)."""
        if self.n_train is not None:
            return self.n_train
        return max(1, round(self.d / (0.48 if self.lam is None else self.lam)))

    @property
    def lam_realized(self) -> float:
        """λ = d/N of the sampled problem."""
        return self.d / self.n_train_eff

    @property
    def eta_bound(self) -> float:
        """Largest stable GD step (large-d estimate).

        The Hessian of Eq. 1 is (1/N) Σ s'(f_i) z_i z_iᵀ with z = (x, 1) and s' ≤ 1/4; the top
        eigenvalue of (1/N) Σ z zᵀ is at most σ²(1+√λ)² + 1 (Marchenko–Pastur edge plus the bias
        direction), so GD is stable for η < 8/(σ²(1+√λ)² + 1). The exponential loss has weights
        e^{f_i} instead of s'; its curvature shrinks with the loss, and the bound uses the start,
        f ≈ b₀: η < 2e^{−b₀}/(σ²(1+√λ)² + 1).
        """
        top = self.sigma**2 * (1 + math.sqrt(self.lam_realized)) ** 2 + 1.0
        if self.loss == "logistic":
            return 8.0 / top
        return 2.0 * math.exp(-self.b0) / top

    @property
    def accuracy_level(self) -> float:
        return detector(self.threshold).level
