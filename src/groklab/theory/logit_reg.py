r"""Binary theory of logit regularization: penalties, the per-sample target z*, LDA directions,
accuracies and the converged training-loss minimizer.

NumPy/SciPy float64 maths for the binary model of Beck, Bar-Sinai & Levi [1]_ (spec
``beck2026-logit-regularization.md``, cited below as "spec §x"). Conventions:

* **Absorbed data** (spec §1.1): rows x'_i = y_i x_i of ``Xp`` (shape (N, d)); the logit is
  z_i = S^T x'_i with **no bias**, so a sample is correct iff z_i > 0.
* **Loss** (Eq. 1): ℓ(z) = (1 − α) log(1 + e^{−z}) + α f(z) with f convex and even,
  α ∈ [0, 1); the training loss is the **mean** N⁻¹ Σ ℓ(z_i) (spec §5 erratum 2), plus the
  optional weight-decay baseline (γ/2)‖S‖² (Eq. 33, also with the mean).
* **Data model** (spec §2.1): x = yμ_f e₁ + σ_f ξ_f e₁ + σ_n ξ_⊥; coordinate 0 of S is S₁
  (the signal direction e₁), the others are S_⊥. ``d`` counts all dimensions, λ = d/N.

Penalties f are written with ``jax.numpy`` so that the JAX simulation can differentiate them;
the NumPy code here evaluates them (and their derivatives) under ``jax.enable_x64``.

References
----------
.. [1] A. Beck, Y. Bar-Sinai, N. Levi, "The implicit bias of logit regularization",
   arXiv:2602.12039 (2026).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import linalg, optimize, special

__all__ = [
    "PENALTIES",
    "Minimizer",
    "NoFiniteMinimizerError",
    "Penalty",
    "QuadraticCase",
    "C_constant",
    "acc_from_C",
    "accuracy_binary",
    "cos_theta1",
    "empirical_lda",
    "get_penalty",
    "invariant_coordinates",
    "loss",
    "ls_alpha",
    "ls_loss",
    "minimize",
    "population_lda",
    "prop51_minimizer",
    "quadratic_case",
    "register_penalty",
    "z_star",
]


# --------------------------------------------------------------------------------------------
# penalties f (spec §1.1-1.3)


@dataclass(frozen=True)
class Penalty:
    """A convex, even logit penalty f with its first two derivatives.

    Attributes
    ----------
    name : str
        Registry key.
    f, df, d2f : callable
        Elementwise functions written with ``jax.numpy`` (usable inside ``jax.jit`` and
        ``jax.grad``). ``df`` and ``d2f`` default to ``jax.grad`` of ``f`` (see
        :func:`register_penalty`).
    closed_form_z_star : callable or None
        α ↦ z*(α) when known in closed form (:func:`z_star` uses it instead of root-finding).
    numpy : (f, df, d2f) or None
        The same functions on NumPy arrays (the built-ins), so that :meth:`values` runs without
        dispatching to JAX (each eager JAX op compiles once per shape: seconds for a solve).
    d2f_max : float or None
        max f″ on the registration grid (user penalties; the GD step bound of
        ``logit_reg_config`` uses it).
    """

    name: str
    f: Callable
    df: Callable
    d2f: Callable
    closed_form_z_star: Callable | None = None
    numpy: tuple[Callable, Callable, Callable] | None = None
    d2f_max: float | None = None

    def values(self, z: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(f(z), f′(z), f″(z)) as float64 NumPy arrays."""
        z = np.asarray(z, dtype=np.float64)
        if self.numpy is not None:
            return tuple(np.asarray(g(z), dtype=np.float64) for g in self.numpy)
        import jax

        with jax.enable_x64(True):
            return tuple(np.asarray(g(z), dtype=np.float64) for g in (self.f, self.df, self.d2f))


def _elementwise_grad(g: Callable) -> Callable:
    import jax

    return jax.jit(jax.numpy.vectorize(jax.grad(g)))


class _LazyJaxNumpy:
    """``jax.numpy``, imported on first attribute access: the built-in penalties' JAX forms are
    only called inside the simulation, so ``predict`` and the theory never import JAX."""

    def __getattr__(self, name: str):
        import jax.numpy

        return getattr(jax.numpy, name)


def _log_2_2cosh(xp, z):
    """log(2 + 2cosh z) = log((1 + e^z)(1 + e^{−z})) = softplus(z) + softplus(−z), written as
    |z| + 2 softplus(−|z|) (softplus(|z|) = |z| + softplus(−|z|)): no overflow for any z."""
    a = xp.abs(z)
    return a + 2.0 * xp.logaddexp(0.0, -a)


def _s_s(xp, z):
    """s(z)s(−z) = e^{−|z|}/(1 + e^{−|z|})² = ¼ sech²(z/2), without overflow."""
    e = xp.exp(-xp.abs(z))
    return e / (1.0 + e) ** 2


def _builtin_functions(xp) -> dict[str, tuple[Callable, Callable, Callable]]:
    """(f, f′, f″) of the built-ins, written once for the array namespace ``xp`` (NumPy or
    ``jax.numpy``)."""
    return {
        # f = z²: the paper's numerics (spec §1.1); z* solves 2αz = (1 − α) s(−z) (spec §1.3).
        "square": (lambda z: z * z, lambda z: 2.0 * z, lambda z: 2.0 * xp.ones_like(z)),
        # f = ½ log(2 + 2cosh z) with α = 2ε is binary label smoothing (App. B; spec §1.2):
        # f′ = ½ tanh(z/2), f″ = s(z)s(−z) = ¼ sech²(z/2); z* = log((2 − α)/α).
        "ls": (lambda z: 0.5 * _log_2_2cosh(xp, z), lambda z: 0.5 * xp.tanh(0.5 * z),
               lambda z: _s_s(xp, z)),
        # f = log(2 + 2cosh z), the Sec. 3.1 normalization: (1 − α′)ℓ_CE + α′ log(2 + 2cosh z)
        # equals the "ls" loss at α = 2α′/(1 + α′) times 1/(1 + α′) (spec §1.2: α′ = ε/(1 − ε),
        # overall factor 1 − ε), so both have the same minimizers; z* = −log α′.
        "ls-full": (lambda z: _log_2_2cosh(xp, z), lambda z: xp.tanh(0.5 * z),
                    lambda z: 2.0 * _s_s(xp, z)),
    }


_CLOSED_FORM_Z_STAR: dict[str, Callable] = {
    "ls": lambda a: math.log((2.0 - a) / a),
    "ls-full": lambda a: -math.log(a),
}

_BUILTIN: dict[str, Penalty] = {
    name: Penalty(name, *fns, closed_form_z_star=_CLOSED_FORM_Z_STAR.get(name),
                  numpy=_builtin_functions(np)[name])
    for name, fns in _builtin_functions(_LazyJaxNumpy()).items()
}

#: Registered penalties: the built-ins ("square" is the default) and user ones.
PENALTIES: dict[str, Penalty] = dict(_BUILTIN)

_CHECK_GRID = np.linspace(-30.0, 30.0, 2401)


def _check_even_convex(p: Penalty) -> float:
    """Raise ValueError unless f is finite, even and convex on ``_CHECK_GRID`` (a numerical
    check: a violation between grid points or beyond |z| = 30 goes undetected); return the
    largest f″ on the grid."""
    z = _CHECK_GRID
    f, _, f2 = p.values(z)
    f_neg = p.values(-z)[0]
    where = "on a grid of 2401 points in [-30, 30]; non-convex or non-even f is detected " \
            "where possible, i.e. only on this grid"
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(f2))):
        k = int(np.flatnonzero(~(np.isfinite(f) & np.isfinite(f2)))[0])
        raise ValueError(f"Penalty {p.name!r}: f or f'' is not finite at z = {z[k]:.4g} "
                         f"({where}).")
    odd = np.abs(f - f_neg) - 1e-10 * (1.0 + np.abs(f))
    if np.any(odd > 0):
        k = int(np.argmax(odd))
        raise ValueError(f"Penalty {p.name!r}: f is not even: f({z[k]:.4g}) = {f[k]:.6g} but "
                         f"f({-z[k]:.4g}) = {f_neg[k]:.6g} ({where}). Eq. 1 needs an even f "
                         "(it makes ℓ a function of the signed logit y·z).")
    concave = -f2 - 1e-10 * (1.0 + np.max(np.abs(f2)))
    if np.any(concave > 0):
        k = int(np.argmax(concave))
        raise ValueError(f"Penalty {p.name!r}: non-convex f detected: f''({z[k]:.4g}) = "
                         f"{f2[k]:.4g} < 0 ({where}). Eq. 1 needs a convex f.")
    return float(np.max(f2))


def register_penalty(name: str, f: Callable, df: Callable | None = None,
                     d2f: Callable | None = None) -> Penalty:
    """Register a user penalty f (convex and even, Eq. 1) under ``name`` and return it.

    Parameters
    ----------
    name : str
        New registry key (the built-ins "square", "ls", "ls-full" cannot be replaced).
    f : callable
        Elementwise, written with ``jax.numpy`` (it is differentiated by ``jax.grad``).
    df, d2f : callable, optional
        f′ and f″; default ``jax.grad`` of f (resp. of f′), applied elementwise.

    Raises
    ------
    ValueError
        If the name is taken, or f is not finite, not even (f(z) ≠ f(−z)) or not convex
        (f″ < 0) on a grid of 2401 points in [−30, 30]; the message names the failing z.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"The 'name' parameter must be a non-empty str. Got {name!r} instead.")
    if name in PENALTIES:
        raise ValueError(f"Penalty {name!r} is already registered; choose another name.")
    df = _elementwise_grad(f) if df is None else df
    d2f = _elementwise_grad(df) if d2f is None else d2f
    p = Penalty(name, f, df, d2f)
    p = dataclasses.replace(p, d2f_max=_check_even_convex(p))
    PENALTIES[name] = p
    return p


def get_penalty(penalty: str | Penalty) -> Penalty:
    """The registered penalty ``penalty`` (a :class:`Penalty` is returned unchanged)."""
    if isinstance(penalty, Penalty):
        return penalty
    if penalty in PENALTIES:
        return PENALTIES[penalty]
    close = difflib.get_close_matches(str(penalty), list(PENALTIES), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"Unknown penalty {penalty!r}.{hint} Registered: "
                     f"{', '.join(PENALTIES)}; add one with register_penalty(name, f).")


def _check_alpha(alpha) -> float:
    a = float(alpha)
    if not (0.0 <= a < 1.0):
        raise ValueError(f"The 'alpha' parameter must be a float in the range [0, 1). "
                         f"Got {alpha!r} instead.")
    return a


def loss(z: ArrayLike, alpha: float, penalty: str | Penalty = "square") -> np.ndarray:
    """Per-sample loss ℓ(z) = (1 − α) log(1 + e^{−z}) + α f(z) (Eq. 1, absorbed labels)."""
    a = _check_alpha(alpha)
    z = np.asarray(z, dtype=np.float64)
    return (1.0 - a) * np.logaddexp(0.0, -z) + a * get_penalty(penalty).values(z)[0]


# --------------------------------------------------------------------------------------------
# z* and label smoothing (spec §1.2-1.3)


def _z_star_scalar(a: float, p: Penalty) -> float:
    if a == 0.0:
        return math.inf
    if p.closed_form_z_star is not None:
        return p.closed_form_z_star(a)

    def g(z):  # α f′(z) − (1 − α) s(−z): strictly increasing, g(0) = −(1 − α)/2 < 0
        return a * float(p.values(z)[1]) - (1.0 - a) * special.expit(-z)

    hi = 1.0
    while g(hi) <= 0.0:  # f′ nondecreasing and not identically 0 on [0, ∞) brackets the root
        hi *= 2.0
        if hi > 2.0**60:
            raise ValueError(f"Penalty {p.name!r}: α f'(z) stays below (1 − α) s(−z) up to "
                             f"z = 2^60 at α = {a}; ℓ has no finite minimizer z*.")
    return optimize.brentq(g, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)


def z_star(alpha: ArrayLike, penalty: str | Penalty = "square") -> float | np.ndarray:
    """Per-sample target z* = argmin ℓ(z) (spec §1.3).

    Notes
    -----
    z* solves (1 − α) s(−z) = α f′(z). For α > 0, g(z) = α f′(z) − (1 − α) s(−z) is strictly
    increasing (f′ nondecreasing by convexity, s(−z) decreasing) with g(0) = −(1 − α)/2 < 0
    (f′(0) = 0 by evenness), so z* > 0 is unique and Brent's method on [0, 2^k] (k the first
    with g(2^k) > 0) finds it to machine precision. For f = z², s ≤ ½ gives z* ≤ (1 − α)/(4α).
    Closed forms: "ls" z* = log((2 − α)/α) (= log((1 − ε)/ε) at α = 2ε), "ls-full"
    z* = −log α. At α = 0 the loss is monotone and z* = +inf (spec §3.1).
    """
    p = get_penalty(penalty)
    if np.ndim(alpha) == 0:
        return _z_star_scalar(_check_alpha(alpha), p)
    arr = np.asarray(alpha, dtype=np.float64)
    return np.array([_z_star_scalar(_check_alpha(a), p) for a in arr.ravel()]).reshape(arr.shape)


def ls_alpha(eps: ArrayLike) -> np.ndarray:
    """α = 2ε: binary label smoothing ε is the "ls" penalty at α = 2ε (App. B; spec §1.2)."""
    e = np.asarray(eps, dtype=np.float64)
    if not np.all((e >= 0) & (e < 0.5)):
        raise ValueError(f"The 'eps' parameter must be a float in the range [0, 0.5). "
                         f"Got {eps!r} instead.")
    return 2.0 * e


def ls_loss(z: ArrayLike, eps: float) -> np.ndarray:
    """Binary label-smoothing loss with targets (1 − ε, ε) on the absorbed logit z (App. B):
    −(1 − ε) log s(z) − ε log s(−z). Claim 1: it equals (1 − 2ε)ℓ_CE + ε log(2 + 2cosh z),
    i.e. :func:`loss` with the "ls" penalty at α = 2ε."""
    ls_alpha(eps)
    z = np.asarray(z, dtype=np.float64)
    return (1.0 - eps) * np.logaddexp(0.0, -z) + eps * np.logaddexp(0.0, z)


# --------------------------------------------------------------------------------------------
# directions and accuracies (Eq. 4, 5; Cor. 3.3; App. C.4)


def _split(S) -> tuple[np.ndarray, np.ndarray]:
    S = np.asarray(S, dtype=np.float64)
    if S.ndim < 1 or S.shape[-1] < 1:
        raise ValueError(f"The 'S' parameter must have shape (..., d) with d >= 1. "
                         f"Got shape {S.shape} instead.")
    return S[..., 0], np.linalg.norm(S[..., 1:], axis=-1)


def accuracy_binary(S: ArrayLike, mu_f: float, sigma_f: float, sigma_n: float) -> np.ndarray:
    """Population accuracy A_gen = Φ(S₁μ_f/√(S₁²σ_f² + σ_n²‖S_⊥‖²)) (Eq. 5, spec §2.1).

    Valid for either sign of S₁ and for a batch of S (last axis d). At S = 0 it is ½
    (spec §2.3); if the logit variance vanishes with S₁ ≠ 0 (σ_f = 0, S_⊥ = 0) it is 1 or 0.
    """
    s1, sp = _split(S)
    a = np.sqrt((s1 * sigma_f) ** 2 + (sigma_n * sp) ** 2)
    m = s1 * mu_f
    safe = np.where(a > 0, a, 1.0)
    return np.where(a > 0, special.ndtr(m / safe), np.where(m == 0, 0.5, (m > 0) * 1.0))


def cos_theta1(S: ArrayLike) -> np.ndarray:
    """Alignment ρ = cos θ₁ = S₁/‖S‖ with the signal direction (Eq. 4); NaN at S = 0."""
    s1, sp = _split(S)
    with np.errstate(invalid="ignore"):
        return s1 / np.hypot(s1, sp)


def invariant_coordinates(S: ArrayLike, sigma_n: float) -> np.ndarray:
    """(S₁, σ_n S_⊥): the coordinates that Prop. 6.1 keeps fixed per realization.

    For fixed standard draws (ξ_f, ξ_⊥) the training loss depends on S only through S₁ and
    σ_n S_⊥ (spec §3.5), so under σ_n → βσ_n the minimizer maps S₁ → S₁, S_⊥ → S_⊥/β and these
    coordinates do not change (α > 0, rank X = d)."""
    S = np.asarray(S, dtype=np.float64)
    out = S.copy()
    out[..., 1:] *= sigma_n
    return out


def C_constant(S: ArrayLike, sigma_n: float) -> np.ndarray:
    """C = σ_n‖S_⊥‖/S₁ (Eq. 4: ρ = 1/√(1 + (C/σ_n)²)); σ_n-independent at the minimizer."""
    s1, sp = _split(S)
    return sigma_n * sp / s1


def acc_from_C(mu_f: float, sigma_f: float, C: ArrayLike) -> np.ndarray:
    """A_gen^min = ½[1 + erf(μ_f/√(2(σ_f² + C²)))] = Φ(μ_f/√(σ_f² + C²)) (Eq. 4 in Eq. 5)."""
    return special.ndtr(mu_f / np.sqrt(sigma_f**2 + np.asarray(C, dtype=np.float64) ** 2))


def _check_points(Xp, name: str = "Xp") -> np.ndarray:
    X = np.asarray(Xp, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"The {name!r} parameter must be a 2-D array (N, d) of absorbed "
                         f"inputs x' = y x. Got shape {X.shape} instead.")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"The {name!r} parameter must contain only finite values.")
    return X


def _moments(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = X.mean(axis=0)
    Xc = X - mu
    return mu, Xc.T @ Xc / X.shape[0]


def empirical_lda(Xp: ArrayLike) -> np.ndarray:
    """Empirical LDA direction Σ̂⁻¹μ̂ (Cor. 3.3; spec §3.2), unnormalized.

    μ̂ = N⁻¹ Σ x'_i and Σ̂ = N⁻¹ Σ (x'_i − μ̂)(x'_i − μ̂)^T (centred, 1/N), by a linear solve.

    Raises
    ------
    ValueError
        If d > N − 1 (Σ̂ is then singular) or Σ̂ is numerically singular.
    """
    X = _check_points(Xp)
    n, d = X.shape
    if d > n - 1:
        raise ValueError(f"empirical_lda needs d <= N - 1 (the centred covariance has rank at "
                         f"most N - 1). Got d = {d}, N = {n}; use quadratic_case only for "
                         f"lambda < 1, or more samples.")
    mu, cov = _moments(X)
    return population_lda(mu, cov)


def population_lda(mu: ArrayLike, Sigma: ArrayLike) -> np.ndarray:
    """LDA direction Σ⁻¹μ (Cor. 3.3: the Gaussian-population minimizer's direction)."""
    try:
        return linalg.solve(np.asarray(Sigma, dtype=np.float64),
                            np.asarray(mu, dtype=np.float64), assume_a="pos")
    except (linalg.LinAlgError, linalg.LinAlgWarning) as err:
        raise ValueError(f"The covariance is singular or not positive definite ({err}); the "
                         f"LDA direction Sigma^-1 mu is undefined.") from None


class QuadraticCase(NamedTuple):
    """Minimizer of the empirical quadratic loss N⁻¹ Σ (z_i − a)² (App. C.4).

    Attributes
    ----------
    direction : unit Ŝ ∝ Σ̂⁻¹μ̂, oriented so that μ̂ = Ŝ^T μ̂_x > 0.
    mu_hat, sigma_hat, r : mean, std and r = σ̂/μ̂ of the logits along Ŝ (centred, 1/N).
    g_star : ‖S‖ = aμ̂/(μ̂² + σ̂²).
    mu_star : mean logit a/(1 + r²) (shrinkage toward 0 from the target a).
    L_min : a²/(1 + 1/r²).
    S : g_star · direction.
    """

    direction: np.ndarray
    mu_hat: float
    sigma_hat: float
    r: float
    g_star: float
    mu_star: float
    L_min: float
    S: np.ndarray


def quadratic_case(Xp: ArrayLike, target: float) -> QuadraticCase:
    """The explicit quadratic case of App. C.4 with target a = ``target`` (spec §5 erratum 6:
    in App. C.4 the symbol a is the target, not the coefficient of Cor. 3.2).

    Notes
    -----
    L(gŜ) = g²(μ̂² + σ̂²) − 2gaμ̂ + a², minimized at g* = aμ̂/(μ̂² + σ̂²), giving
    μ* = g*μ̂ = a/(1 + r²) and L_min = a²/(1 + 1/r²), increasing in r (Cor. 3.2), so Ŝ
    minimizes r: Ŝ ∝ Σ̂⁻¹μ̂ (Cor. 3.3), independent of a. Needs d <= N − 1.
    """
    X = _check_points(Xp)
    u = empirical_lda(X)
    u = u / np.linalg.norm(u)
    mu_x, cov = _moments(X)
    m = float(u @ mu_x)
    if m < 0:
        u, m = -u, -m
    s = math.sqrt(max(float(u @ cov @ u), 0.0))
    a = float(target)
    g = a * m / (m * m + s * s)
    r = s / m
    return QuadraticCase(u, m, s, r, g, a / (1 + r * r), a * a / (1 + 1 / (r * r)), g * u)


def prop51_minimizer(alpha: float, mu_f: float, d: int,
                     penalty: str | Penalty = "square") -> np.ndarray:
    """S = (z*/μ_f) e₁, the unique minimizer for σ_f = 0, α > 0 and d <= N (Prop. 5.1): every
    training logit equals z*, and A_gen = 1."""
    a = _check_alpha(alpha)
    if a == 0.0:
        raise ValueError("prop51_minimizer needs alpha > 0 (at alpha = 0, z* = inf and GD "
                         "follows the max-margin direction; see theory.separability).")
    S = np.zeros(int(d))
    S[0] = z_star(a, penalty) / mu_f
    return S


# --------------------------------------------------------------------------------------------
# converged minimizer (spec §3.3, §7)


class Minimizer(NamedTuple):
    """Result of :func:`minimize`.

    Attributes
    ----------
    S : ndarray (d,)
        The minimizer (``unique``) or the GD limit from S₀ (not ``unique``).
    grad_norm : float
        ‖∇L(S)‖ at the returned S (evaluated afresh).
    n_iter : int
        Newton iterations (0 for the closed form of the full-row-rank case).
    converged : bool
        ``grad_norm < gtol``.
    loss : float
        L(S), the mean loss plus (γ/2)‖S‖².
    unique : bool
        False when rank X < d and γ = 0: the minimizers form an affine set and S is the one GD
        from S₀ reaches (S₀ plus a row-space vector).
    n_passes : int
        Products with the data matrix (matvecs and weighted Gram matrices; the one-off
        factorization of the rank-deficient path counts as one).
    wall_s : float
        Wall time in seconds.
    """

    S: np.ndarray
    grad_norm: float
    n_iter: int
    converged: bool
    loss: float
    unique: bool
    n_passes: int
    wall_s: float


class NoFiniteMinimizerError(ValueError):
    """α = 0 and γ = 0 on data separable from the origin: the loss has no finite minimizer."""


class _Objective:
    """Mean loss N⁻¹ Σ ℓ(z_i) + (γ/2)‖S‖² and its derivative weights in the logits z."""

    def __init__(self, alpha: float, penalty: Penalty, gamma: float, n: int):
        self.a, self.p, self.gamma, self.n = alpha, penalty, gamma, n

    def __call__(self, z, S):
        """(L, r, D): loss, r_i = ℓ′(z_i) = −(1 − α)s(−z_i) + αf′(z_i) and
        D_i = ℓ″(z_i) = (1 − α)s(z_i)s(−z_i) + αf″(z_i) ≥ 0 (spec §7)."""
        a = self.a
        sp = special.expit(z)
        sm = special.expit(-z)
        if a > 0:
            f0, f1, f2 = self.p.values(z)
        else:
            f0 = f1 = f2 = 0.0
        val = np.mean((1 - a) * np.logaddexp(0.0, -z) + a * f0) + 0.5 * self.gamma * (S @ S)
        return val, -(1 - a) * sm + a * f1, (1 - a) * sp * sm + a * f2


def _newton(X: np.ndarray, obj: _Objective, S0: np.ndarray, gtol: float, max_iter: int,
            z0: np.ndarray | float = 0.0):
    """Damped Newton on L(S) = obj over the logits z = z0 + XS: Cholesky of the Hessian
    X^T D X/N + γI, Armijo backtracking. Returns (S, grad_norm, n_iter, n_passes), or None if
    the Hessian is not numerically positive definite (rank X < d with γ = 0)."""
    n = X.shape[0]
    S = S0.copy()
    passes = 0
    it = 0
    while True:
        z = z0 + X @ S
        val, r, D = obj(z, S)
        g = X.T @ r / n + obj.gamma * S
        passes += 2
        gnorm = float(np.linalg.norm(g))
        if gnorm < gtol or it >= max_iter:
            return S, gnorm, it, passes
        B = np.sqrt(D)[:, None] * X
        H = linalg.blas.dsyrk(1.0 / n, B.T, trans=0)  # upper triangle of X^T D X / N
        passes += 1
        H[np.diag_indices_from(H)] += obj.gamma
        try:
            c = linalg.cho_factor(H, lower=False, overwrite_a=True, check_finite=False)
        except linalg.LinAlgError:
            return None
        diag = np.abs(np.diag(c[0]))
        if diag.min() < 1e-7 * diag.max():  # cond(H) > 1e14: rank X < d (and γ = 0)
            return None
        p = -linalg.cho_solve(c, g, check_finite=False)
        Xp = X @ p
        passes += 1
        slope = float(g @ p)
        t = 1.0
        while True:  # Armijo; the slack absorbs round-off in L near the optimum
            val_t = obj(z + t * Xp, S + t * p)[0]
            if val_t <= val + 1e-4 * t * slope + 8 * np.finfo(float).eps * abs(val) or t < 1e-10:
                break
            t *= 0.5
        S = S + t * p
        it += 1


def minimize(Xp: ArrayLike, alpha: float, penalty: str | Penalty = "square",
             weight_decay: float = 0.0, S0: ArrayLike | None = None, gtol: float = 1e-10,
             max_iter: int = 200) -> Minimizer:
    """Converged minimizer of L(S) = N⁻¹ Σ ℓ(S^T x'_i) + (γ/2)‖S‖² (Eq. 1, Eq. 33; spec §7).

    Parameters
    ----------
    Xp : array_like (N, d)
        Absorbed inputs x'_i = y_i x_i.
    alpha : float in [0, 1)
        Weight of the penalty f.
    penalty : str or Penalty, default "square"
    weight_decay : float >= 0, default 0
        γ of the weight-decay baseline (γ/2)‖S‖² (Eq. 33, mean convention).
    S0 : array_like (d,), optional
        Initialization (default 0). It matters only when the minimizer is not unique.
    gtol : float, default 1e-10
        Stop when ‖∇L‖ < gtol (spec §7).
    max_iter : int, default 200
        Newton iteration cap (``converged`` is False if it is reached).

    Returns
    -------
    Minimizer

    Notes
    -----
    **Method: damped Newton.** L is smooth and, for α > 0 (or γ > 0) with rank X = d, strictly
    convex with Hessian N⁻¹ X^T D X + γI, D_i = (1 − α)s(z_i)s(−z_i) + αf″(z_i) (spec §7).
    Newton converges quadratically near the optimum and needs ~10 iterations from S₀ = 0 here,
    each costing four passes over X (logits, gradient, the weighted Gram matrix as one BLAS-3
    ``syrk``, the step's logits; the line search reuses them) and a d×d Cholesky. At d = 1400,
    N = 2000 this is far cheaper in wall time than L-BFGS/Newton-CG, whose passes are all
    memory-bound matvecs, and it reaches ‖∇L‖ < 1e-10 without tuning
    (``benchmarks/bench_logit_reg_minimizer.py``).

    **Rank-deficient data** (rank X = r < d, e.g. d > N, with γ = 0): GD from S₀ only moves in
    the row space of X, so its limit is S₀ + V w* with V an orthonormal row-space basis (SVD)
    and w* the minimizer over w (unique for α > 0); the result has ``unique=False``. With
    α > 0 and rank X = N (d > N) every logit can equal z*, so the minimizers are
    {S : XS = z*·1} and the GD limit is X⁺(z*·1) + (I − X⁺X)S₀ (spec §3.3), returned in that
    closed form (``n_iter = 0``).

    **α = 0, γ = 0**: on data separable from the origin there is no finite minimizer (‖S‖ → ∞
    along the bias-free hard-margin SVM direction; spec §3.1, §7), so this raises ValueError;
    use :func:`groklab.theory.separability.max_margin` (its ``-S_star`` on ``Xp`` is that
    direction, ``hull_point`` / margin²); the error is a :class:`NoFiniteMinimizerError`. On
    inseparable data the logistic-regression minimizer is returned.
    """
    t0 = time.perf_counter()
    X = _check_points(Xp)
    n, d = X.shape
    a = _check_alpha(alpha)
    gamma = float(weight_decay)
    if not gamma >= 0.0 or not math.isfinite(gamma):
        raise ValueError(f"The 'weight_decay' parameter must be a float in the range [0, inf). "
                         f"Got {weight_decay!r} instead.")
    p = get_penalty(penalty)
    S0 = np.zeros(d) if S0 is None else np.asarray(S0, dtype=np.float64).copy()
    if S0.shape != (d,):
        raise ValueError(f"The 'S0' parameter must have shape ({d},). Got {S0.shape} instead.")
    if a == 0.0 and gamma == 0.0:
        from groklab.theory.separability import is_separable

        if is_separable(X):
            raise NoFiniteMinimizerError(
                "alpha = 0 with weight_decay = 0 on data separable from the origin: the mean "
                "cross-entropy has no finite minimizer (||S|| -> inf along the hard-margin SVM "
                "direction, spec 3.1). Use groklab.theory.separability.max_margin(Xp) (the "
                "direction is -S_star), or set alpha > 0 or weight_decay > 0.")
    obj = _Objective(a, p, gamma, n)
    res = _newton(X, obj, S0, gtol, max_iter) if d <= n or gamma > 0 else None
    unique = res is not None
    if res is not None:
        S, gnorm, it, passes = res
    else:  # rank X < d, γ = 0: the GD limit in S₀ + row(X)
        U, sv, Vt = linalg.svd(X, full_matrices=False, check_finite=False)
        rank = int(np.sum(sv > sv[0] * max(n, d) * np.finfo(float).eps))
        if a > 0 and rank == n:  # X has full row rank: XS = z*·1 is reachable
            z0 = X @ S0
            S = S0 + Vt.T @ ((U.T @ (z_star(a, p) - z0)) / sv)
            it, passes = 0, 3
        else:
            res_w = _newton(U[:, :rank] * sv[:rank], obj, np.zeros(rank), gtol, max_iter,
                            z0=X @ S0)
            if res_w is None:
                raise ValueError("The loss is not strictly convex on the row space of X "
                                 "(alpha = 0 with extreme logits?); no GD limit computed.")
            w, _, it, passes = res_w
            S = S0 + Vt[:rank].T @ w
            passes += 2
        z = X @ S
        g = X.T @ obj(z, S)[1] / n
        gnorm = float(np.linalg.norm(g))
        passes += 2
    val = float(obj(X @ S, S)[0])
    return Minimizer(S, gnorm, it, gnorm < gtol, val, unique, passes + 1,
                     time.perf_counter() - t0)
