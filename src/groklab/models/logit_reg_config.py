"""Configuration of the logit-regularization model (Beck, Bar-Sinai, Levi 2026).

Kept apart from the JAX code so that a config validates without importing JAX. Spec:
``beck2026-logit-regularization.md`` §1 (loss family), §2 (data, evaluation, optimization),
§4 (figure settings), §5 erratum 2 (mean loss) and §7 (numerics).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import sys

from groklab._config import (
    AbstractConfig,
    Choice,
    Integer,
    InvalidParameterError,
    Real,
    param,
)
from groklab.metrics import detector
from groklab.models._common import SizedByLam

__all__ = ["Config", "PENALTIES", "registered_penalties"]

#: Built-in penalties f (spec §1.1–1.2; the functions live in groklab.theory.logit_reg) and sup f″
#: of the binary form: "square" f = z² (‖z‖² multi-class), "ls" f = ½log(2 + 2cosh z) (label
#: smoothing with α = 2ε; multi-class Eq. 7, logsumexp z − mean z, α = ε), "ls-full"
#: f = log(2 + 2cosh z) (Sec. 3.1's form, binary only). Kept here (not read from the theory
#: module) so that a config validates without importing JAX.
PENALTIES: dict[str, float] = {"square": 2.0, "ls": 0.25, "ls-full": 0.5}

#: Penalties of the multi-class model (f(z) of the whole logit vector, spec §1.4, Eq. 7).
MULTICLASS_PENALTIES = ("square", "ls")

_THEORY = "groklab.theory.logit_reg"


def registered_penalties() -> tuple[str, ...]:
    """Names a config accepts: the built-ins plus those added with
    :func:`groklab.theory.logit_reg.register_penalty`. A user penalty can only exist once that
    module is imported, so the registry is read only then (validation never imports JAX)."""
    theory = sys.modules.get(_THEORY)
    return tuple(theory.PENALTIES) if theory is not None else tuple(PENALTIES)


def _max_d2f(name: str) -> float:
    """sup f″ of a penalty (binary form): the table above, or the registered penalty's value
    on its registration grid."""
    if name in PENALTIES:
        return PENALTIES[name]
    return sys.modules[_THEORY].get_penalty(name).d2f_max


@dataclasses.dataclass(frozen=True)
class _PenaltyName:
    """A registered penalty name (checked in ``Config.__post_init__`` with a suggestion)."""

    def holds(self, value) -> bool:
        return isinstance(value, str)

    def describe(self) -> str:
        return f"a registered penalty name ({', '.join(map(repr, registered_penalties()))})"

    def parse(self, text: str) -> str:
        return text

#: Default sizes of the sampled evaluations (see :class:`Config`).
N_TEST_STUDENT_T = 10_000


@dataclasses.dataclass(frozen=True)
class Config(SizedByLam, AbstractConfig):
    """Linear classifier trained on ℓ = (1 − α) ℓ_CE + α f(z) (Eq. 1 / Eq. 6), spec §1–2.

    * Binary (``n_classes`` = 2, §2.1): x = yμ_f e₁ + σ_f ξ_f e₁ + σ_n ξ_⊥ in R^d (d counts e₁),
      balanced labels y = ±1, logit z = Sᵀx (no bias), S₀ = 0.
    * Multi-class (``n_classes`` = K ≥ 3, §2.2): x = μ_c + σ_f η_f + σ_n η_n with μ_c = μ_f e_c,
      η_f standard in S = span{μ_c − μ̄} (dim K − 1), η_n standard in S^⊥, balanced classes;
      z = Wx + b, W₀ = 0, b₀ = 0. Gaussian noise only.
    * Loss: the **mean** over the training set (erratum 2) plus (γ/2)‖S‖² (``weight_decay``,
      Eq. 33 with the mean, App. E.4; ‖W‖² multi-class, the bias is not decayed).
    * λ = d/N: give ``lam`` or ``n_train`` (default λ = 0.7, Figs. 1, 5).
    * ``noise="student_t"``: ξ are Student-t variates of **unit scale** (not unit variance) with
      ``nu`` degrees of freedom, times σ_f / σ_n (§4 Fig. 2 row, §7). ν > 2 is required (finite
      variance; the paper's smallest is 2.1).
    * Evaluation (§2.3): Gaussian binary runs use the exact population (Eq. 5); Student-t binary
      runs use a sampled test set of ``n_test`` points (default 10⁴ there); multi-class runs
      sample ``n_pop_mc`` K-dimensional logits from their exact Gaussian law (§2.2, §7). With
      ``n_test`` > 0 a sampled test set is also recorded (``loss_test``, ``acc_test``).
    * ``threshold``: accuracy level of the grokking detector (beck2025 = 0.9, the companion's
      delay_acc; or a number in (0, 1)). Time is counted in GD steps (epochs).
    """

    DEFAULT_LAM = 0.7

    d: int = param(1400, Integer(2, 1_000_000), help="dimension d (including the signal e₁)")
    lam: float | None = param(
        None, Real(0, 1e6, closed="neither", allow_none=True), help="λ = d / n_train"
    )
    n_train: int | None = param(
        None, Integer(1, 100_000_000, allow_none=True), help="training set size N"
    )
    n_classes: int = param(2, Integer(2, 10_000), help="K: 2 = binary, ≥ 3 multi-class")
    mu_f: float = param(1.0, Real(0, None, closed="neither"), help="signal mean μ_f")
    sigma_f: float = param(0.5, Real(0, None, closed="left"), help="signal-direction noise σ_f")
    sigma_n: float = param(1.0, Real(0, None, closed="neither"), help="orthogonal noise σ_n")
    noise: str = param(
        "gaussian", Choice(("gaussian", "student_t")), help="noise law (§2.1, Fig. 2)"
    )
    nu: float | None = param(
        None, Real(2, None, closed="neither", allow_none=True),
        help="Student-t degrees of freedom ν > 2 (noise='student_t'; None = 3)",
    )
    alpha: float = param(0.2, Real(0, 1, closed="left"), help="penalty weight α ∈ [0, 1)")
    penalty: str = param(
        "square", _PenaltyName(),
        help="penalty f (§1.1–1.2): square, ls, ls-full or one added with register_penalty",
    )
    weight_decay: float = param(0.0, Real(0, None, closed="left"), help="γ of (γ/2)‖S‖²")
    eta: float = param(0.1, Real(0, None, closed="neither"), help="GD step (Adam: learning rate)")
    optimizer: str = param("gd", Choice(("gd", "adam")), help="full-batch GD or Adam (Fig. 2, 20)")
    adam_beta1: float = param(0.9, Real(0, 1, closed="left"), help="Adam β₁")
    adam_beta2: float = param(0.999, Real(0, 1, closed="left"), help="Adam β₂")
    adam_eps: float = param(1e-8, Real(0, None, closed="neither"), help="Adam ε")
    threshold: str | float = param(
        "beck2025",
        Choice(("beck2025",), Real(0, 1, closed="neither")),
        help="accuracy level for grokking: beck2025 (0.9) or a number in (0, 1)",
    )
    t_max: int = param(20_000, Integer(1, 10**12), help="horizon in GD steps")
    seed: int = param(0, Integer(0, 2**31 - 1), help="first seed")
    precision: str = param("float64", Choice(("float64", "float32")), help="simulation dtype")
    n_test: int | None = param(
        None, Integer(0, 10**8, allow_none=True),
        help="sampled test points (None: 10⁴ for Student-t binary, else 0)",
    )
    n_pop_mc: int = param(
        10**6, Integer(1, 10**8), help="sampled logits of the multi-class population (§7)"
    )

    def __post_init__(self) -> None:
        names = registered_penalties()
        if isinstance(self.penalty, str) and self.penalty not in names:
            close = difflib.get_close_matches(self.penalty, list(names), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InvalidParameterError(
                f"The 'penalty' parameter of Config must be one of "
                f"{', '.join(map(repr, names))}. Got {self.penalty!r} instead.{hint} Add a "
                "penalty with groklab.theory.logit_reg.register_penalty(name, f)."
            )
        super().__post_init__()

    def _check(self) -> None:
        def bad(msg: str) -> None:
            raise InvalidParameterError(msg)

        self._check_size()
        if self.nu is not None and self.noise != "student_t":
            bad(f"The 'nu' parameter of Config applies to noise='student_t' only (got "
                f"nu={self.nu!r} with noise={self.noise!r}).")
        if self.multiclass:
            if self.d < self.n_classes:
                bad(f"Multi-class data need d ≥ n_classes (class means μ_f e_c): got "
                    f"d={self.d}, n_classes={self.n_classes}.")
            if self.noise != "gaussian":
                bad("noise='student_t' is implemented for the binary model only (n_classes=2); "
                    "the multi-class population law (§2.2) is Gaussian.")
            if self.penalty not in MULTICLASS_PENALTIES:
                bad(f"penalty={self.penalty!r} is binary only (an elementwise f of one logit); "
                    "the multi-class model has penalty='square' (‖z‖²) and penalty='ls' "
                    "(Eq. 7, α = ε).")
        if self.optimizer == "gd" and self.eta >= self.eta_bound:
            bad(f"The 'eta' parameter of Config gives unstable GD: eta={self.eta!r} but GD is "
                f"stable only for eta < {self.eta_bound:.6g} = 2/H with H = {self._curvature():.4g}"
                f" the bound on the Hessian of the mean loss: "
                f"({'(1−α)/2' if self.multiclass else '(1−α)/4'} + α·max f″)·λ_max + γ, with "
                f"λ_max ≈ {self._top_eigenvalue():.4g} (Marchenko–Pastur edge of the noise plus "
                f"the signal spike{' and the bias' if self.multiclass else ''}).")

    # ---- derived quantities -----------------------------------------------------------------
    @property
    def multiclass(self) -> bool:
        return self.n_classes > 2

    @property
    def nu_eff(self) -> float | None:
        """ν of Student-t noise (default 3), None for Gaussian noise."""
        if self.noise != "student_t":
            return None
        return 3.0 if self.nu is None else self.nu

    @property
    def n_test_eff(self) -> int:
        """Sampled test points: ``n_test``, or 10⁴ for Student-t binary runs (no closed-form
        population there) and 0 otherwise."""
        if self.n_test is not None:
            return self.n_test
        return N_TEST_STUDENT_T if self.noise == "student_t" else 0

    @property
    def accuracy_level(self) -> float:
        return detector(self.threshold).level

    def _top_eigenvalue(self) -> float:
        """Large-d estimate of λ_max of X'ᵀX'/N (absorbed data x' = yx, binary) or of the
        augmented (x, 1) data (multi-class).

        The orthogonal noise is a Marchenko–Pastur bulk with edge v_n(1 + √λ)², v_n = σ_n²
        (times ν/(ν − 2) for unit-scale Student-t variates); the signal direction adds its
        second moment μ_f² + v_f (a spike; their sum bounds the top eigenvalue of the sum); the
        multi-class bias direction adds 1. Heavy-tailed data (ν close to 2) can exceed the
        estimate; a diverging run is then reported by ``simulate``.
        """
        var = 1.0 if self.nu_eff is None else self.nu_eff / (self.nu_eff - 2.0)
        edge = self.sigma_n**2 * var * (1.0 + math.sqrt(self.lam_realized)) ** 2
        spike = self.mu_f**2 + self.sigma_f**2 * var
        return edge + spike + (1.0 if self.multiclass else 0.0)

    def _curvature(self) -> float:
        ce = 0.5 if self.multiclass else 0.25  # sup of the CE Hessian in z (softmax: ½)
        # Eq. 7's multi-class LS penalty has the softmax Hessian, ≤ ½ (binary ½log(2+2cosh): ¼)
        f2 = 0.5 if self.multiclass and self.penalty == "ls" else _max_d2f(self.penalty)
        return ((1 - self.alpha) * ce + self.alpha * f2) * self._top_eigenvalue() \
            + self.weight_decay

    @property
    def eta_bound(self) -> float:
        """Largest stable GD step, 2/H (spec §7, erratum 2), H the bound on the Hessian of the
        mean loss: ((1 − α)·c + α·max f″)·λ_max + γ with c = ¼ (binary CE) or ½ (softmax CE,
        the largest eigenvalue of diag(p) − ppᵀ) and λ_max from :meth:`_top_eigenvalue`."""
        return 2.0 / self._curvature()
