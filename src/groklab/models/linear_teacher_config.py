"""Configuration of the linear teacher–student model (Levi, Beck, Bar-Sinai 2023).

Kept apart from the model's JAX code so that ``groklab predict`` validates a config and evaluates
the theory without importing JAX.
"""

from __future__ import annotations

import dataclasses
import math

from groklab._config import AbstractConfig, Choice, Integer, InvalidParameterError, Real, param
from groklab.metrics import detector

__all__ = ["Config"]

STUDENTS = ("linear", "deep-linear", "tanh")


@dataclasses.dataclass(frozen=True)
class Config(AbstractConfig):
    """Linear teacher–student regression with weight decay (Levi et al. 2023, Eqs. 1–3, 14).

    Give ``lam`` (λ = d_in/N_tr) or ``n_train``; the other is derived. With neither, λ = 0.5.
    Time is counted in GD steps; flow predictions use flow time η·t.
    """

    d_in: int = param(1000, Integer(1, 100_000), help="input dimension")
    d_out: int = param(1, Integer(1, 100_000), help="output dimension")
    lam: float | None = param(
        None, Real(0, 1e6, closed="neither", allow_none=True), help="d_in / n_train"
    )
    n_train: int | None = param(
        None, Integer(1, 10_000_000, allow_none=True), help="training set size"
    )
    eta: float = param(0.01, Real(0, None, closed="neither"), help="learning rate (Eq. 3)")
    gamma: float = param(0.0, Real(0, None, closed="left"), help="weight decay (Eq. 3, 14)")
    eps: float = param(1e-3, Real(0, None, closed="neither"), help="per-sample error threshold")
    threshold: str | float = param(
        "a95",
        Choice(("a95", "erf2"), Real(0, 1, closed="neither")),
        help="accuracy level for grokking: a95 (0.95), erf2 (Erf(√2)) or a number in (0, 1)",
    )
    init_scale: float = param(1.0, Real(0, None, closed="left"), help="student init factor α")
    label_noise: float = param(0.0, Real(0, None, closed="left"), help="train-label noise std")
    wd_convention: str = param(
        "paper", Choice(("paper", "torch")), help="paper: −ηγ/d_out·S (Eq. 3); torch: −ηγ·S"
    )
    student: str = param("linear", Choice(STUDENTS), help="student architecture")
    d_h: int = param(200, Integer(1, 100_000), help="hidden width of 2-layer students")
    n_gen: int = param(10_000, Integer(1, 10_000_000), help="fresh points for L_gen and acc_gen")
    t_max: int | None = param(
        None, Integer(1, 10**12, allow_none=True), help="horizon in GD steps (default: auto)"
    )
    seed: int = param(0, Integer(0, 2**31 - 1), help="first seed")
    precision: str = param("float64", Choice(("float64", "float32")), help="simulation dtype")

    def _check(self) -> None:
        if self.lam is not None and self.n_train is not None:
            if round(self.d_in / self.lam) != self.n_train:
                raise InvalidParameterError(
                    f"Give lam or n_train, not both: lam={self.lam!r} implies "
                    f"n_train={round(self.d_in / self.lam)}, but n_train={self.n_train}."
                )
        if self.n_train is None and self.lam is not None and round(self.d_in / self.lam) < 1:
            raise InvalidParameterError(
                f"The 'lam' parameter of Config gives fewer than one training point "
                f"(d_in={self.d_in}, lam={self.lam!r}); use lam ≤ {2 * self.d_in}."
            )
        if self.label_noise > 0 and self.student != "linear":
            raise InvalidParameterError(
                "The 'label_noise' parameter of Config is supported only for student='linear'."
            )
        bound = self.eta_bound
        if self.eta >= bound:
            raise InvalidParameterError(
                f"The 'eta' parameter of Config gives unstable GD: eta={self.eta!r} but GD is "
                f"stable only for eta < {bound:.6g} = d_out/(λ₊ + γ_eff/2) with the "
                f"Marchenko–Pastur edge λ₊ = (1+√λ)² = {(1 + math.sqrt(self.lam_theory))**2:.6g}."
            )

    # ---- derived quantities -----------------------------------------------------------------
    @property
    def n_train_eff(self) -> int:
        """Training-set size N_tr (from ``n_train``, else round(d_in/λ))."""
        if self.n_train is not None:
            return self.n_train
        return max(1, round(self.d_in / (0.5 if self.lam is None else self.lam)))

    @property
    def lam_realized(self) -> float:
        """λ of the sampled problem, d_in / N_tr."""
        return self.d_in / self.n_train_eff

    @property
    def lam_theory(self) -> float:
        """λ used by the large-d theory: ``lam`` as given, else the realized d_in/n_train."""
        return self.lam if self.lam is not None else self.lam_realized

    @property
    def gamma_eff(self) -> float:
        """Weight decay in the paper's convention (Eq. 3): γ, or d_out·γ for 'torch'."""
        return self.gamma * (self.d_out if self.wd_convention == "torch" else 1)

    @property
    def eta_bound(self) -> float:
        """Largest stable learning rate in the large-d limit: |1 − (2η/d_out)(ν + γ_eff/2)| < 1
        for ν up to the Marchenko–Pastur edge λ₊ (spec §1.3)."""
        lam_plus = (1 + math.sqrt(self.lam_theory)) ** 2
        return self.d_out / (lam_plus + self.gamma_eff / 2)

    @property
    def accuracy_level(self) -> float:
        return detector(self.threshold).level
