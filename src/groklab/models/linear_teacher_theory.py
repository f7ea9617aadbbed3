r"""Marchenko-Pastur theory of the linear teacher-student model (Levi, Beck, Bar-Sinai 2023).

Model [1]_: inputs x ~ N(0, I_{d_in}), teacher T and student S in R^{d_in x d_out}, labels
y = T^T x, D = S - T, lam = d_in / N_tr. Losses L_tr = (1/d_out) Tr[D^T Sigma_tr D] and
L_gen = ||D||^2 / d_out (Eqs. 1-2); full-batch GD with learning rate eta and weight decay gamma
(Eq. 3, "paper" convention). Init variance 1/(2 d_in d_out) per entry of S_0 and T, so
E||S_0||^2 = E||T||^2 = 1/2 and L(0) = 1/d_out (the "unit normalization" of the curves here).

Units and variables
-------------------
* ``t`` counts GD steps; every prediction is the gradient-flow solution at flow time eta * t
  (spec section 1.3), so it is directly comparable with simulations indexed by step.
* ``s = 4 eta t / d_out`` is the rate variable of the ``*_s`` functions, which are the d_out = 1
  losses L^1(s) (the paper's s = 4 eta0 t). For d_out > 1 every loss obeys
  L^{d_out}(eta, t) = (1/d_out) L^1(eta/d_out, t) (Eq. 13/28, section 3), which is why s carries
  the 1/d_out. The step-level functions (:func:`loss_train`, :func:`loss_gen`,
  :func:`crossing_time`, :func:`grokking_times`) take ``(eta, t, lam, gamma, d_out,
  wd_convention)`` and apply this scaling themselves.
* ``wd_convention``: ``"paper"`` is Eq. 3 (decay gamma/d_out per step, torch
  ``weight_decay=gamma/d_out``); ``"torch"`` is ``SGD(weight_decay=gamma)``, identical to
  "paper" with gamma -> d_out * gamma (erratum #1).
* Exact curves use the Bessel form (train, gamma = 0) and the graded theta-quadrature of
  :mod:`groklab.theory.marchenko_pastur` (generalization, and Eq. 15 for gamma > 0). Functions
  whose name carries an equation number (``*_eq11``, ``_eq12``, ``_eq22``, ``_eq23``, ``_eq24``,
  ``_eq26``) are the paper's approximations, kept for comparison and never used in place of the
  exact curves.

References
----------
.. [1] N. Levi, A. Beck, Y. Bar-Sinai, "Grokking in Linear Estimators - A Solvable Model that
   Groks without Understanding", arXiv:2310.16441 (2023).
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import special as sc

from groklab.theory.marchenko_pastur import mp_atom, mp_laplace, mp_quadrature
from groklab.theory.special import log_upper_gamma_half, loss_threshold

__all__ = [
    "GrokkingTimes",
    "crossing_time",
    "delta_t_eq12",
    "delta_t_eq26",
    "eps_effective",
    "gamma_critical",
    "gamma_critical_small",
    "grokking_times",
    "grokking_times_eq24",
    "init_loss_factor",
    "log_loss_gen_s",
    "log_loss_train_s",
    "loss_gen",
    "loss_gen_eq11",
    "loss_gen_eq23",
    "loss_gen_lam1",
    "loss_gen_s",
    "loss_label_noise",
    "loss_train",
    "loss_train_eq22",
    "loss_train_lam1",
    "loss_train_s",
    "loss_two_layer",
    "loss_wd_s",
    "plateau_label_noise",
    "plateau_wd",
    "plateau_wd_small_gamma",
    "t_gen_lam1_asymptote",
]

_KINDS = ("train", "gen")
_CONVENTIONS = ("paper", "torch")
_SERIES_S = 1e-3  # below s (1 + lam) = 1e-3 the 3-term series of L_tr is exact in float64
_ASYMPTOTIC_U = 10.0  # above it, 1/(sqrt(pi) u) - erfcx(u) is summed as a series (Eq. 23)


# --------------------------------------------------------------------------------- validation
def _positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(
            f"The {name!r} parameter must be a float in the range (0, inf). Got {value!r} instead."
        )
    return float(value)


def _nonnegative(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(
            f"The {name!r} parameter must be a float in the range [0, inf). Got {value!r} instead."
        )
    return float(value)


def _d_out(value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"The 'd_out' parameter must be an int >= 1. Got {value!r} instead.")
    return int(value)


def _choice(name: str, value, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(
            f"The {name!r} parameter must be one of {list(allowed)}. Got {value!r} instead."
        )
    return value


def _times(name: str, value) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if np.any(arr < 0):
        raise ValueError(f"The {name!r} parameter must be >= 0 elementwise. Got negative values.")
    return arr


def _gamma_eff(gamma, d_out: int, wd_convention: str) -> float:
    gamma = _nonnegative("gamma", gamma)
    _choice("wd_convention", wd_convention, _CONVENTIONS)
    return gamma * d_out if wd_convention == "torch" else gamma


def _gap(lam: float) -> float:
    """|1 - sqrt(lam)| without cancellation."""
    return abs(1.0 - lam) / (1.0 + np.sqrt(lam))


def _finite_max(s: np.ndarray) -> float:
    """Largest finite entry (0 if none): the rate the MP rule has to resolve."""
    return float(np.max(s, where=np.isfinite(s), initial=0.0))


def _pole_rate(g: float) -> float:
    """Rate whose Laplace Gaussian has the theta scale of the pole of 1/(nu + g) (g = gamma/2).

    The pole sits at theta ~ i sqrt((lam_- + g)/sqrt(lam)); requesting this rate from
    :func:`mp_quadrature` puts theta_min at 1/8 of that distance even when lam_- = 0.
    """
    return 16.0 / g if g > 0 else 0.0


def _fill_infinite(x: np.ndarray, value: np.ndarray, limit: float) -> np.ndarray:
    """``value`` with its limit ``limit`` where x = +inf (t = inf asks for the plateau)."""
    return np.where(np.isposinf(x), limit, value)


# ------------------------------------------------------------- exact d_out = 1 curves in s
def loss_train_s(s: ArrayLike, lam: float) -> np.ndarray:
    """Exact MP training loss L_tr(s) = E_MP[nu e^{-s nu}], d_out = 1, gamma = 0, unit norm.

    Parameters
    ----------
    s : array_like
        Rate s = 4 eta t / d_out, >= 0.
    lam : float
        d_in / N_tr, > 0 (any lam; the atom does not contribute).

    Returns
    -------
    ndarray
        ``ive(1, 2 s sqrt lam) exp(-s (1 - sqrt lam)^2) / (s sqrt lam)``, with the series
        e^{-s(1+lam)} (1 + s^2 lam/2 + s^4 lam^2/12) for s (1 + lam) < 1e-3.

    Notes
    -----
    Eq. 8 and Eq. 9 = 20 of [1]_ in Bessel form, e^{-s(1+lam)} I_1(2 s sqrt lam)/(s sqrt lam)
    (erratum #11: 0F~1(a; z) = 0F1(a; z)/Gamma(a), harmless at a = 2). Valid for every lam,
    not only lam < 1 as App. B states (erratum #12). Use :func:`log_loss_train_s` where the
    value underflows.
    """
    lam = _positive("lam", lam)
    s = _times("s", s)
    root = np.sqrt(lam)
    with np.errstate(all="ignore"):  # each branch is used only where it is finite
        core = np.exp(-(_gap(lam) ** 2) * s) * sc.i1e(2.0 * root * s) / (s * root)
        z = s * s * lam
        series = np.exp(-s * (1.0 + lam)) * (1.0 + z / 2.0 + z * z / 12.0)
    return _fill_infinite(s, np.where(s * (1.0 + lam) < _SERIES_S, series, core), 0.0)


def log_loss_train_s(s: ArrayLike, lam: float) -> np.ndarray:
    """Natural log of :func:`loss_train_s`, finite for every finite s (no underflow).

    Notes
    -----
    log L_tr = -s (1 - sqrt lam)^2 + log ive(1, 2 s sqrt lam) - log(s sqrt lam); Eq. 9 of [1]_.
    Tested against mpmath up to s = 1e8.
    """
    lam = _positive("lam", lam)
    s = _times("s", s)
    root = np.sqrt(lam)
    with np.errstate(all="ignore"):  # each branch is used only where it is finite
        core = -(_gap(lam) ** 2) * s + np.log(sc.i1e(2.0 * root * s)) - np.log(s * root)
        z = s * s * lam
        series = -s * (1.0 + lam) + np.log1p(z / 2.0 + z * z / 12.0)
    return _fill_infinite(s, np.where(s * (1.0 + lam) < _SERIES_S, series, core), -np.inf)


def loss_gen_s(s: ArrayLike, lam: float) -> np.ndarray:
    """Exact MP generalization loss L_gen(s) = E_MP[e^{-s nu}], d_out = 1, gamma = 0, unit norm.

    Parameters
    ----------
    s : array_like
        Rate s = 4 eta t / d_out, >= 0.
    lam : float
        d_in / N_tr, > 0.

    Returns
    -------
    ndarray
        (1 - 1/lam)^+ + int_s^inf L_tr(u) du; tends to 1 - 1/lam for lam > 1.

    Notes
    -----
    Eq. 8 of [1]_; the paper has no closed form. The integral identity
    L_gen(s) = (1 - 1/lam)^+ + int_s^inf L_tr(u) du (integrated Eq. 21) is equivalent to the MP
    Laplace transform, which is what is evaluated: the graded theta-quadrature of
    :func:`groklab.theory.marchenko_pastur.mp_laplace` with e^{-s lam_-} factored out. Relative
    accuracy ~1e-13 against mpmath for 0 <= s <= 1e8 and all lam (plus the conditioning
    s lam_- 1e-16); a 300-point curve costs about 1 ms of CPU.
    """
    return mp_laplace(_times("s", s), _positive("lam", lam))


def log_loss_gen_s(s: ArrayLike, lam: float) -> np.ndarray:
    """Natural log of :func:`loss_gen_s`, finite for every finite s (no underflow).

    Notes
    -----
    -s lam_- + log sum_k w_k e^{-s x_k}, combined with the atom by logaddexp; Eq. 8 of [1]_.
    """
    return mp_laplace(_times("s", s), _positive("lam", lam), log=True)


def loss_train_lam1(s: ArrayLike) -> np.ndarray:
    """Closed form at lam = 1: L_tr = e^{-2s} I_1(2s)/s (-> 1/(2 sqrt(pi) s^{3/2})).

    Notes
    -----
    Spec section 2.3 [derived]: Eq. 9 of [1]_ at lam = 1; power-law decay at criticality.
    """
    s = _times("s", s)
    with np.errstate(all="ignore"):  # each branch is used only where it is finite
        core = sc.i1e(2.0 * s) / s
        series = np.exp(-2.0 * s) * (1.0 + s * s / 2.0)
    return np.where(2.0 * s < _SERIES_S, series, core)


def loss_gen_lam1(s: ArrayLike) -> np.ndarray:
    """Closed form at lam = 1: L_gen = e^{-2s} [I_0(2s) + I_1(2s)] (-> 1/sqrt(pi s)).

    Notes
    -----
    Spec section 2.3 [derived]: Eq. 8 of [1]_ at lam = 1, where lam_- = 0.
    """
    s = _times("s", s)
    return sc.i0e(2.0 * s) + sc.i1e(2.0 * s)


# ----------------------------------------------------------------- weight decay, Eq. 15
def loss_wd_s(
    s: ArrayLike,
    lam: float,
    gamma: float,
    kind: str = "gen",
    *,
    sigma_s2: float = 0.5,
    sigma_t2: float = 0.5,
) -> np.ndarray:
    """MP loss with weight decay, Eq. 15 in general-norm form, d_out = 1.

    Parameters
    ----------
    s : array_like
        Rate s = 4 eta t / d_out, >= 0.
    lam : float
        d_in / N_tr, > 0.
    gamma : float
        Weight decay as in Eq. 14 (already converted to the "paper" convention), >= 0.
    kind : {"train", "gen"}, default "gen"
        q = nu for the training loss, q = 1 for the generalization loss.
    sigma_s2, sigma_t2 : float, default 0.5
        E||S_0||^2 and E||T||^2 (1/2 each for the paper's init).

    Returns
    -------
    ndarray
        E_MP[(sigma_s2 e^{-s(nu+g)} + sigma_t2 ((e^{-s(nu+g)/2} nu + g)/(nu + g))^2) q],
        g = gamma/2, non-increasing in s.

    Notes
    -----
    Eq. 15 = 36 of [1]_ (which assumes sigma_s2 = sigma_t2 = 1/2), written with
    4 eta (nu + gamma/2) t = s (nu + g). At the atom nu = 0 the squared ratio is 1 for every
    gamma >= 0 (spec section 4), so at gamma = 0 this reduces to
    (sigma_s2 + sigma_t2) x Eq. 8 for every lam. Evaluated by the graded theta-quadrature; use
    :func:`loss_train_s` / :func:`loss_gen_s` for gamma = 0 (exact and log-safe).
    """
    lam = _positive("lam", lam)
    g = 0.5 * _nonnegative("gamma", gamma)
    kind = _choice("kind", kind, _KINDS)
    sigma_s2 = _nonnegative("sigma_s2", sigma_s2)
    sigma_t2 = _nonnegative("sigma_t2", sigma_t2)
    s = _times("s", s)
    nu, w = mp_quadrature(lam, s_max=max(_finite_max(s), _pole_rate(g)))
    wq = w * nu if kind == "train" else w
    c1, c2 = nu / (nu + g), g / (nu + g)  # ratio = half * c1 + c2, half = e^{-s(nu+g)/2}
    half = np.multiply.outer(s, -0.5 * (nu + g))
    np.exp(half, out=half)
    value = (
        (half * half) @ (wq * (sigma_s2 + sigma_t2 * c1 * c1))
        + half @ (wq * (2.0 * sigma_t2 * c1 * c2))
        + sigma_t2 * ((c2 * c2) @ wq)
    )
    if kind == "train":
        return value
    with np.errstate(invalid="ignore"):  # s = inf, g = 0: the atom term keeps sigma_s2
        atom_decay = np.where(g > 0, np.exp(-s * g), 1.0)
    return value + mp_atom(lam) * (sigma_s2 * atom_decay + sigma_t2)


def plateau_wd(
    lam: float, gamma: float, kind: str = "gen", *, sigma_s2: float = 0.5, sigma_t2: float = 0.5
) -> float:
    """Exact t -> inf limit of Eq. 15, d_out = 1.

    Returns
    -------
    float
        sigma_t2 E_MP[((g/(nu + g))^2 q], g = gamma/2 (ratio 1 at nu = 0) for gamma > 0;
        (sigma_s2 + sigma_t2)(1 - 1/lam)^+ (gen) or 0 (train) at gamma = 0.

    Notes
    -----
    Spec section 4 [derived], = 1/2 E_MP[((gamma/2)/(nu+gamma/2))^2 q] for the paper's init.
    For lam > 1 it is discontinuous at gamma -> 0+: weight decay removes the student's null-space
    part, (1 - 1/lam)/2, while the teacher's stays. Eq. 16 of [1]_ prints small-gamma limits
    with 1/4 instead of 1/8 (erratum #2); see :func:`plateau_wd_small_gamma`.
    """
    lam = _positive("lam", lam)
    g = 0.5 * _nonnegative("gamma", gamma)
    kind = _choice("kind", kind, _KINDS)
    sigma_s2 = _nonnegative("sigma_s2", sigma_s2)
    sigma_t2 = _nonnegative("sigma_t2", sigma_t2)
    atom = float(mp_atom(lam))
    if g == 0.0:
        return (sigma_s2 + sigma_t2) * atom if kind == "gen" else 0.0
    nu, w = mp_quadrature(lam, s_max=_pole_rate(g))
    ratio2 = (g / (nu + g)) ** 2
    if kind == "train":
        return float(sigma_t2 * (ratio2 @ (w * nu)))
    return float(sigma_t2 * (ratio2 @ w + atom))


def plateau_wd_small_gamma(lam: float, gamma: float, kind: str = "gen") -> float:
    """Small-gamma approximation of :func:`plateau_wd` (paper init), with the 1/8 constants.

    Returns
    -------
    float
        lam < 1: gamma^2/(8(1-lam)) (train), gamma^2/(8(1-lam)^3) (gen).
        lam > 1: gamma^2/(8 lam (lam-1)) (train), (1-1/lam)/2 + gamma^2/(8(lam-1)^3) (gen).
        NaN at lam = 1 (no expansion in gamma^2).

    Notes
    -----
    From E[1/nu] and E[1/nu^2] of the MP law (spec sections 2.2, 4). Eq. 16 of [1]_ prints
    gamma^2/(4(1-lam)^k), a factor 2 too large (erratum #2); for lam > 1 "the same as Eq. 16"
    does not hold (erratum #4).
    """
    lam = _positive("lam", lam)
    gamma = _nonnegative("gamma", gamma)
    kind = _choice("kind", kind, _KINDS)
    if lam == 1.0:
        return float("nan")
    g2 = gamma * gamma / 8.0
    if lam < 1.0:
        return g2 / (1.0 - lam) if kind == "train" else g2 / (1.0 - lam) ** 3
    if kind == "train":
        return g2 / (lam * (lam - 1.0))
    return 0.5 * (1.0 - 1.0 / lam) + g2 / (lam - 1.0) ** 3


def gamma_critical(
    lam: float,
    loss_level: float,
    d_out: int = 1,
    wd_convention: str = "paper",
    *,
    sigma_t2: float = 0.5,
) -> float:
    """No-grokking boundary gamma_c: the generalization plateau equals ``loss_level``.

    Parameters
    ----------
    lam : float
        d_in / N_tr, > 0.
    loss_level : float
        L* (e.g. from :func:`groklab.theory.special.loss_threshold`), > 0.
    d_out : int, default 1
    wd_convention : {"paper", "torch"}, default "paper"
    sigma_t2 : float, default 0.5
        E||T||^2.

    Returns
    -------
    float
        gamma_c > 0 in the requested convention; for gamma >= gamma_c the generalization loss
        never falls below L* (Delta t -> inf as gamma -> gamma_c from below). NaN when there is
        no root: every gamma > 0 fails (d_out L* <= sigma_t2 (1 - 1/lam)^+) or none does
        (d_out L* >= sigma_t2).

    Notes
    -----
    Root in log gamma (brentq) of (1/d_out) plateau_wd(lam, gamma_eff) = L*, spec section 4.
    Small-gamma form: :func:`gamma_critical_small`.
    """
    lam = _positive("lam", lam)
    level = _d_out(d_out) * _positive("loss_level", loss_level)
    _choice("wd_convention", wd_convention, _CONVENTIONS)
    sigma_t2 = _positive("sigma_t2", sigma_t2)
    floor = sigma_t2 * float(mp_atom(lam))
    if not floor < level < sigma_t2:
        return float("nan")
    guess = 4.0 * (level - floor) * abs(1.0 - lam) ** 3 / sigma_t2  # small-gamma inverse
    u0 = 0.5 * np.log(guess) if guess > 0 else 0.0

    def f(u: float) -> float:  # decreasing in u = log gamma_eff
        return np.log(level) - np.log(plateau_wd(lam, np.exp(u), "gen", sigma_t2=sigma_t2))

    gamma_eff = np.exp(_root_decreasing(f, u0))
    return float(gamma_eff / d_out if wd_convention == "torch" else gamma_eff)


def gamma_critical_small(lam: float, loss_level: float) -> float:
    """Small-gamma approximation gamma_c ~ sqrt(8 L* (1 - lam)^3), lam < 1, d_out = 1.

    Notes
    -----
    Spec section 4: from gamma^2/(8(1-lam)^3) = L*; sqrt(2 eps (1-lam)^3) for L* = eps/4.
    Eq. 16's printed constant would give sqrt(eps (1-lam)^3) (erratum #2). NaN for lam >= 1.
    """
    lam = _positive("lam", lam)
    level = _positive("loss_level", loss_level)
    return float(np.sqrt(8.0 * level * (1.0 - lam) ** 3)) if lam < 1.0 else float("nan")


# ------------------------------------------------------------------ step-level losses
def _loss1(kind: str, s: np.ndarray, lam: float, gamma_eff: float, ss2: float, st2: float):
    if gamma_eff > 0.0:
        return loss_wd_s(s, lam, gamma_eff, kind, sigma_s2=ss2, sigma_t2=st2)
    exact = loss_train_s(s, lam) if kind == "train" else loss_gen_s(s, lam)
    return (ss2 + st2) * exact


def _loss(kind, eta, t, lam, gamma, d_out, wd_convention, sigma_s2, sigma_t2) -> np.ndarray:
    eta = _positive("eta", eta)
    d_out = _d_out(d_out)
    gamma_eff = _gamma_eff(gamma, d_out, wd_convention)
    s = 4.0 * eta * _times("t", t) / d_out
    ss2 = _nonnegative("sigma_s2", sigma_s2)
    st2 = _nonnegative("sigma_t2", sigma_t2)
    return _loss1(kind, s, _positive("lam", lam), gamma_eff, ss2, st2) / d_out


def loss_train(
    eta: float,
    t: ArrayLike,
    lam: float,
    gamma: float = 0.0,
    d_out: int = 1,
    wd_convention: str = "paper",
    *,
    sigma_s2: float = 0.5,
    sigma_t2: float = 0.5,
) -> np.ndarray:
    """Large-d training loss at GD step(s) ``t`` (gradient-flow prediction).

    Parameters
    ----------
    eta : float
        Learning rate, > 0.
    t : array_like
        GD steps, >= 0 (flow time eta * t).
    lam : float
        d_in / N_tr, > 0.
    gamma : float, default 0
        Weight decay, >= 0, in the ``wd_convention``.
    d_out : int, default 1
    wd_convention : {"paper", "torch"}, default "paper"
        "torch" means gamma -> d_out * gamma (erratum #1).
    sigma_s2, sigma_t2 : float, default 0.5
        E||S_0||^2 and E||T||^2 (init scale alpha: sigma_s2 = alpha^2/2, spec section 5).

    Returns
    -------
    ndarray
        (1/d_out) L^1(s = 4 eta t / d_out), L^1 from Eq. 9 (gamma = 0, times sigma_s2 +
        sigma_t2) or Eq. 15 (gamma > 0).

    Notes
    -----
    Eqs. 8, 9, 13 and 15 of [1]_ with the d_out scaling L^{d_out}(eta, t) =
    (1/d_out) L^1(eta/d_out, t) (section 3 and 4 of the spec).
    """
    return _loss("train", eta, t, lam, gamma, d_out, wd_convention, sigma_s2, sigma_t2)


def loss_gen(
    eta: float,
    t: ArrayLike,
    lam: float,
    gamma: float = 0.0,
    d_out: int = 1,
    wd_convention: str = "paper",
    *,
    sigma_s2: float = 0.5,
    sigma_t2: float = 0.5,
) -> np.ndarray:
    """Large-d generalization loss at GD step(s) ``t``; parameters as :func:`loss_train`.

    Notes
    -----
    Eqs. 8, 13 and 15 of [1]_ with the d_out scaling; L_gen(inf) = (1 - 1/lam)/d_out for
    lam > 1 and gamma = 0 (paper init).
    """
    return _loss("gen", eta, t, lam, gamma, d_out, wd_convention, sigma_s2, sigma_t2)


# ----------------------------------------------------------------------- grokking times
class GrokkingTimes(NamedTuple):
    """Threshold crossing times in GD steps (``inf`` when never reached)."""

    t_train: float
    t_gen: float
    delay: float  # t_gen - t_train; inf when t_gen is inf


def _root_decreasing(f, u0: float, *, bound: float = 700.0) -> float:
    """Root of a decreasing f(u), u a log variable, bracketed from ``u0`` by doubling steps
    (up to ``bound`` away from ``u0``) and refined to 1e-12 in u.

    Returns +inf (-inf) when f stays positive (negative) up to the bound. The one-cell case of
    :func:`_solve_decreasing_grid`, which spares ``groklab predict`` the import of scipy.optimize.
    """

    def shifted(_, u):
        return np.array([f(u0 + float(x)) for x in u])

    return float(_solve_decreasing_grid(shifted, 1, bound=bound)[0] + u0)


def _crossing_s(kind, lam, level, gamma_eff, ss2, st2) -> float:
    """Smallest s with L^1(s) <= level (0 or inf as in spec section 1.5)."""
    if ss2 + st2 <= level:  # L^1(0) = sigma_s2 + sigma_t2 for both kinds
        return 0.0
    if gamma_eff > 0.0:
        limit = plateau_wd(lam, gamma_eff, kind, sigma_s2=ss2, sigma_t2=st2)
    else:
        limit = (ss2 + st2) * float(mp_atom(lam)) if kind == "gen" else 0.0
    if limit >= level:
        return np.inf
    log_level = np.log(level)
    if gamma_eff > 0.0:

        def f(u):
            return np.log(loss_wd_s(np.exp(u), lam, gamma_eff, kind, sigma_s2=ss2, sigma_t2=st2))
    else:
        log_exact = log_loss_train_s if kind == "train" else log_loss_gen_s
        shift = np.log(ss2 + st2)

        def f(u):
            return shift + float(log_exact(np.exp(u), lam))

    return float(np.exp(_root_decreasing(lambda u: f(u) - log_level, 0.0)))


def crossing_time(
    eta: float,
    loss_level: float,
    lam: float,
    gamma: float = 0.0,
    d_out: int = 1,
    wd_convention: str = "paper",
    kind: str = "gen",
    *,
    sigma_s2: float = 0.5,
    sigma_t2: float = 0.5,
) -> float:
    """First GD step t* = inf{t >= 0 : L(t) <= loss_level} of the large-d loss curve.

    Parameters
    ----------
    eta, lam, gamma, d_out, wd_convention, sigma_s2, sigma_t2
        As in :func:`loss_train`.
    loss_level : float
        L* > 0 (:func:`groklab.theory.special.loss_threshold` maps an accuracy to it).
    kind : {"train", "gen"}, default "gen"

    Returns
    -------
    float
        t* in GD steps (flow); 0 if L(0) <= L*, inf if L(inf) >= L*.

    Notes
    -----
    Spec sections 1.5 and 3: brentq on log L^1(log s) - log(d_out L*) (all MP curves are
    monotone), then t* = d_out s* / (4 eta), i.e. t*(d_out) = d_out t*^1(d_out L*).
    """
    eta = _positive("eta", eta)
    d_out = _d_out(d_out)
    gamma_eff = _gamma_eff(gamma, d_out, wd_convention)
    level = d_out * _positive("loss_level", loss_level)
    s_star = _crossing_s(
        _choice("kind", kind, _KINDS),
        _positive("lam", lam),
        level,
        gamma_eff,
        _nonnegative("sigma_s2", sigma_s2),
        _nonnegative("sigma_t2", sigma_t2),
    )
    return d_out * s_star / (4.0 * eta)


def grokking_times(
    eta: float,
    lam: float,
    eps: float,
    gamma: float = 0.0,
    d_out: int = 1,
    threshold: str | float = "a95",
    wd_convention: str = "paper",
    *,
    sigma_s2: float = 0.5,
    sigma_t2: float = 0.5,
) -> GrokkingTimes:
    """Exact MP grokking times: train and generalization accuracy reach ``threshold``.

    Parameters
    ----------
    eta, lam, gamma, d_out, wd_convention, sigma_s2, sigma_t2
        As in :func:`loss_train`.
    eps : float
        Accuracy threshold on the per-sample (per-output mean) squared error, > 0.
    threshold : {"erf2", "a95"} or float, default "a95"
        Accuracy level A_thr (:func:`groklab.theory.special.named_threshold`).

    Returns
    -------
    GrokkingTimes
        ``(t_train, t_gen, delay)`` in GD steps; ``delay`` = Delta t_grok = t_gen - t_train,
        inf when the generalization accuracy never reaches A_thr ("no grokking").

    Notes
    -----
    Accuracy is a decreasing function of the loss (Eq. 10/13 of [1]_), so A >= A_thr iff
    L <= L* = d_out eps / (2 gammaincinv(d_out/2, A_thr)); t* comes from
    :func:`crossing_time`. This replaces Eqs. 12, 24 and 26, which are limits (erratum #14).
    """
    d_out = _d_out(d_out)
    level = loss_threshold(_positive("eps", eps), d_out, threshold)
    norms = {"sigma_s2": sigma_s2, "sigma_t2": sigma_t2}
    t_train = crossing_time(eta, level, lam, gamma, d_out, wd_convention, "train", **norms)
    t_gen = crossing_time(eta, level, lam, gamma, d_out, wd_convention, "gen", **norms)
    return GrokkingTimes(t_train, t_gen, np.inf if np.isinf(t_gen) else t_gen - t_train)


# ------------------------------------------------ named approximations (never used as exact)
def delta_t_eq12(lam: ArrayLike, eta: float) -> np.ndarray:
    """Eq. 12: Delta t ~ log(1/(1 - sqrt lam)) / (2 eta (1 - sqrt lam)^2), GD steps.

    Returns
    -------
    ndarray
        Shaped like ``lam``; inf at lam = 1 and NaN ("never") for lam > 1.

    Notes
    -----
    Eq. 12 of [1]_: leading order as eps -> 0 at d_out = 1, gamma = 0, lam < 1, L* = eps/4
    (erratum #14); it is not the finite-eps gap, which stays finite at lam = 1.
    """
    eta = _positive("eta", eta)
    lam = np.asarray(lam, dtype=np.float64)
    if not np.all(lam > 0):
        raise ValueError("The 'lam' parameter must be > 0 elementwise.")
    gap = (1.0 - lam) / (1.0 + np.sqrt(lam))
    with np.errstate(divide="ignore", invalid="ignore"):
        value = -np.log(gap) / (2.0 * eta * gap * gap)
    return np.where(lam < 1.0, value, np.where(lam == 1.0, np.inf, np.nan))


def loss_train_eq22(eta: float, t: ArrayLike, lam: float) -> np.ndarray:
    """Eq. 11 = 22: L_tr ~ e^{-4 eta (1-sqrt lam)^2 t} / (16 sqrt(pi) lam^{3/4} (eta t)^{3/2}).

    Notes
    -----
    Late-time (eta t >> sqrt lam) leading term of the Bessel form, d_out = 1, gamma = 0 [1]_;
    for lam > 1 with |1 - sqrt lam| (spec section 2.5).
    """
    eta, lam = _positive("eta", eta), _positive("lam", lam)
    tau = eta * _times("t", t)
    with np.errstate(all="ignore"):  # inf at t = 0
        value = np.exp(-4.0 * _gap(lam) ** 2 * tau) / (16.0 * np.sqrt(np.pi) * lam**0.75 * tau**1.5)
    return _fill_infinite(tau, value, 0.0)


def loss_gen_eq11(eta: float, t: ArrayLike, lam: float) -> np.ndarray:
    """Eq. 11: L_gen ~ Eq. 22 / (1 - sqrt lam)^2, plus 1 - 1/lam for lam > 1 (inf at lam = 1).

    Notes
    -----
    Eq. 11 of [1]_; the leading term of Eq. 23.
    """
    lam = _positive("lam", lam)
    atom = float(mp_atom(lam))
    with np.errstate(all="ignore"):
        value = loss_train_eq22(eta, t, lam) / _gap(lam) ** 2 + atom
    return _fill_infinite(np.asarray(t, dtype=np.float64), value, atom)


def loss_gen_eq23(eta: float, t: ArrayLike, lam: float) -> np.ndarray:
    """Eq. 23: L_gen ~ e^{-z}/(2 sqrt(pi) lam^{3/4} sqrt(eta t)) - |1-sqrt lam| Gamma(1/2, z)/
    (sqrt(pi) lam^{3/4}), z = 4 eta t (1-sqrt lam)^2, plus 1 - 1/lam for lam > 1.

    Notes
    -----
    Eq. 23 of [1]_, exactly 4 eta int_t^inf of Eq. 22. With Gamma(1/2, z) =
    sqrt(pi) e^{-z} erfcx(sqrt z) (:func:`groklab.theory.special.log_upper_gamma_half`) it is
    (|1 - sqrt lam| e^{-z}/lam^{3/4}) [1/(sqrt(pi) u) - erfcx(u)], u = sqrt z; the bracket is
    summed from its asymptotic series for u > 10 to avoid cancellation. Finite at lam = 1.
    """
    eta, lam = _positive("eta", eta), _positive("lam", lam)
    tau = eta * _times("t", t)
    gap = _gap(lam)
    with np.errstate(all="ignore"):  # each branch is used only where it is finite
        z = 4.0 * gap * gap * tau
        u = np.sqrt(z)
        direct = np.exp(-z) / (2.0 * np.sqrt(np.pi * tau)) - gap * np.exp(
            log_upper_gamma_half(z)
        ) / np.sqrt(np.pi)
        inv = 1.0 / (2.0 * u * u)
        terms = np.cumprod([-(2 * k - 1) * inv for k in range(1, 21)], axis=0)
        series = gap * np.exp(-z) * (-terms.sum(axis=0)) / (np.sqrt(np.pi) * u)
    atom = float(mp_atom(lam))
    value = np.where(u > _ASYMPTOTIC_U, series, direct) / lam**0.75 + atom
    return _fill_infinite(tau, value, atom)


def grokking_times_eq24(eta: float, lam: float, loss_level: float) -> tuple[float, float]:
    """Eq. 24 (clean Lambert-W form): approximate (t*_tr, t*_gen) in GD steps.

    Parameters
    ----------
    eta, lam : float
        Learning rate and d_in / N_tr (lam < 1; NaN otherwise).
    loss_level : float
        L*; the paper's eps enters as eps = 4 L* (L* = eps/4 for ``threshold="erf2"``).

    Returns
    -------
    (float, float)
        t*_tr = 3 W(z_tr)/(8 eta a), t*_gen = 3 W(z_gen)/(8 eta a), a = (1 - sqrt lam)^2,
        z_tr = (2a/3)(2/(sqrt(pi) eps lam^{3/4}))^{2/3}, z_gen = z_tr a^{-2/3}.

    Notes
    -----
    Eq. 24 of [1]_ rewritten (spec section 2.6); W is the principal Lambert W. These solve
    Eq. 22 = L* and Eq. 22 / a = L* exactly, and approach the exact MP roots as eps -> 0.
    The printed t*_gen line writes eta for eta0 (erratum #15).
    """
    eta, lam = _positive("eta", eta), _positive("lam", lam)
    eps = 4.0 * _positive("loss_level", loss_level)
    if lam >= 1.0:
        return float("nan"), float("nan")
    a = _gap(lam) ** 2
    z_tr = (2.0 * a / 3.0) * (2.0 / (np.sqrt(np.pi) * eps * lam**0.75)) ** (2.0 / 3.0)
    z_gen = z_tr * a ** (-2.0 / 3.0)
    scale = 3.0 / (8.0 * eta * a)
    return float(scale * sc.lambertw(z_tr).real), float(scale * sc.lambertw(z_gen).real)


def delta_t_eq26(eta: float, lam: ArrayLike, eps: float) -> np.ndarray:
    """Eq. 26 as printed: Eq. 12 + 3/(8 eta a) log(1 + log((1-sqrt lam)^{4/3}) / log z_gen).

    Returns
    -------
    ndarray
        Shaped like ``lam``; NaN ("never") where the formula is undefined: lam >= 1, or
        z_tr <= 1 < z_gen (log of a non-positive number), or z_gen = 1.

    Notes
    -----
    Eq. 26 of [1]_ (W(z) ~ log z in Eq. 24, L* = eps/4; erratum #15: eta = eta0). Its
    correction equals (3/(8 eta a)) log(log z_tr / log z_gen) with z_tr, z_gen of
    :func:`grokking_times_eq24` (erratum #14); it is negative when z_tr > 1.
    """
    eta, eps = _positive("eta", eta), _positive("eps", eps)
    lam = np.asarray(lam, dtype=np.float64)
    if not np.all(lam > 0):
        raise ValueError("The 'lam' parameter must be > 0 elementwise.")
    root = np.sqrt(lam)
    gap = (1.0 - lam) / (1.0 + root)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_z_gen = np.log(
            2.0 * (2.0 * gap) ** (2.0 / 3.0) / (3.0 * np.pi ** (1 / 3) * root * eps ** (2 / 3))
        )
        inner = 1.0 + np.log(gap ** (4.0 / 3.0)) / log_z_gen
        value = delta_t_eq12(np.minimum(lam, 1.0), eta) + 3.0 / (8.0 * eta * gap**2) * np.log(inner)
    ok = (lam < 1.0) & (inner > 0) & np.isfinite(inner)
    return np.where(ok, value, np.nan)


def t_gen_lam1_asymptote(eta: float, loss_level: float) -> float:
    """lam = 1: t*_gen ~ 1/(4 pi eta L*^2) GD steps (= 4/(pi eta eps^2) for L* = eps/4).

    Notes
    -----
    From L_gen ~ 1/sqrt(pi s) (spec section 2.6, erratum #14): at lam = 1 and finite eps the
    grokking time is finite, unlike the divergence of Eq. 12.
    """
    eta, level = _positive("eta", eta), _positive("loss_level", loss_level)
    return 1.0 / (4.0 * np.pi * eta * level * level)


# ------------------------------------------------------- init scale, label noise, 2 layers
def init_loss_factor(alpha: ArrayLike) -> np.ndarray:
    """Factor (1 + alpha^2)/2 by which S_0 -> alpha S_0 multiplies both losses (gamma = 0).

    Notes
    -----
    Section 3.1.3 of [1]_; exact in expectation since D(t) is linear in D_0 and
    E||alpha S_0 - T||^2 = (1 + alpha^2)/2 (spec section 5). For gamma > 0 pass
    sigma_s2 = alpha^2/2 to the loss functions instead.
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    return 0.5 * (1.0 + alpha * alpha)


def eps_effective(eps: float, alpha: ArrayLike) -> np.ndarray:
    """Equivalent threshold 2 eps/(1 + alpha^2) for a unit-init curve (gamma = 0).

    Notes
    -----
    Section 3.1.3 of [1]_ and erratum #18: alpha acts only through eps, so Eq. 12 is unchanged
    and grokking times change through finite-eps effects only.
    """
    return _positive("eps", eps) / init_loss_factor(alpha)


def loss_label_noise(
    eta: float,
    t: ArrayLike,
    lam: float,
    sigma_delta: float,
    d_out: int = 1,
    kind: str = "gen",
) -> np.ndarray:
    """MP losses with Gaussian noise of variance sigma_delta^2 on the training labels (gamma = 0).

    Returns
    -------
    ndarray
        gen: L^1_gen(s)/d_out + sigma^2 lam E_MP[(1 - e^{-s nu/2})^2 / nu];
        train (against the noisy labels): L^1_tr(s)/d_out + sigma^2 [(1-lam)^+ +
        lam E_MP[e^{-s nu}; nu > 0]], with s = 4 eta t / d_out. Clean test labels.

    Notes
    -----
    Beyond the paper: spec section 5 [derived] (erratum #19, training-label noise does change
    the dynamics). Noisy test labels would add sigma^2 to the generalization loss.
    """
    eta, lam = _positive("eta", eta), _positive("lam", lam)
    noise = _nonnegative("sigma_delta", sigma_delta) ** 2
    d_out = _d_out(d_out)
    kind = _choice("kind", kind, _KINDS)
    s = 4.0 * eta * _times("t", t) / d_out
    nu, w = mp_quadrature(lam, s_max=_finite_max(s))
    if kind == "gen":
        fill = np.expm1(-0.5 * s[..., None] * nu) ** 2 / nu
        value = loss_gen_s(s, lam) / d_out + noise * lam * (fill @ w)
    else:
        clean = np.exp(-s[..., None] * nu) @ w
        value = loss_train_s(s, lam) / d_out + noise * (max(1.0 - lam, 0.0) + lam * clean)
    return _fill_infinite(s, value, plateau_label_noise(lam, sigma_delta, d_out, kind))


def plateau_label_noise(lam: float, sigma_delta: float, d_out: int = 1, kind: str = "gen"):
    """t -> inf limits of :func:`loss_label_noise`.

    Returns
    -------
    float
        train: sigma^2 (1 - lam)^+. gen: sigma^2 lam/(1 - lam) for lam < 1,
        (1 - 1/lam)/d_out + sigma^2/(lam - 1) for lam > 1, inf at lam = 1 (sigma > 0).

    Notes
    -----
    Spec section 5 [derived], from E[1/nu] of the MP law.
    """
    lam = _positive("lam", lam)
    noise = _nonnegative("sigma_delta", sigma_delta) ** 2
    d_out = _d_out(d_out)
    if _choice("kind", kind, _KINDS) == "train":
        return noise * max(1.0 - lam, 0.0)
    if lam == 1.0:
        return np.inf if noise > 0 else 0.0
    if lam < 1.0:
        return noise * lam / (1.0 - lam)
    return (1.0 - 1.0 / lam) / d_out + noise / (lam - 1.0)


def loss_two_layer(
    eta: float,
    t: ArrayLike,
    lam: float,
    d_out: int,
    norm_d0_sq: float,
    kind: str = "gen",
    *,
    literal: bool = False,
) -> np.ndarray:
    """Frozen-kernel prediction for a two-layer linear network, corrected Eq. 19.

    Parameters
    ----------
    eta, t, lam, d_out
        As in :func:`loss_train`.
    norm_d0_sq : float
        ||D_0||^2 = ||S0^(0) S0^(1) - T||^2 (about 1/(2 d_h) at the paper's init), > 0.
    kind : {"train", "gen"}, default "gen"
    literal : bool, default False
        Return Eq. 19 as printed, which is a factor d_out too large.

    Returns
    -------
    ndarray
        (||D_0||^2/d_out) E_MP[q e^{-4 (eta/(2 d_out^2)) nu t}].

    Notes
    -----
    Eq. 19 = 40 of [1]_ with the missing 1/d_out restored (erratum #7), from the frozen kernel
    h = h_0 ~ 1/2 in Eq. 18 (erratum #8: a heuristic, not exact).
    """
    eta, lam = _positive("eta", eta), _positive("lam", lam)
    d_out = _d_out(d_out)
    norm = _positive("norm_d0_sq", norm_d0_sq)
    s = 4.0 * (eta / (2.0 * d_out * d_out)) * _times("t", t)
    curve = loss_train_s(s, lam) if _choice("kind", kind, _KINDS) == "train" else loss_gen_s(s, lam)
    return norm * curve if literal else norm * curve / d_out


# =================================================================================================
# Vectorized crossing times over parameter grids (fast path of ``linear_teacher.theory_grid``)
# =================================================================================================
# Everything below works on broadcastable arrays of cells (lam, level, gamma_eff, sigma_s2,
# sigma_t2) and evaluates exactly the expressions of the scalar path (:func:`_crossing_s`): the
# Bessel form of L_tr and the Laplace form of L_gen for gamma = 0, Eq. 15 for gamma > 0, on the
# same per-lam quadrature nodes. Cells are sorted by lam (node count), cut into chunks, and each
# chunk uses node arrays padded with zero weights, so one NumPy expression serves many lam.
_GRID_CHUNK = 2048  # cells per chunk: bounds the (cells x nodes) temporaries to ~10 MB
_GRID_XTOL = 1e-12  # absolute tolerance in u = log s, i.e. ~1e-12 relative in s
_GRID_S_SCALAR = 1e9  # roots beyond this s are recomputed by the scalar path (deeper rules)


def _grid_rules(lams: np.ndarray):
    """Padded quadrature rules (nu, x, w, lam_minus, atom, count) for the unique ``lams``."""
    from groklab.theory.marchenko_pastur import mp_edges

    rules = [mp_quadrature(float(v)) for v in lams]
    count = np.array([r[0].size for r in rules])
    n = int(count.max())
    nu, w = np.ones((len(rules), n)), np.zeros((len(rules), n))
    for i, (nodes, weights) in enumerate(rules):
        nu[i, : nodes.size], w[i, : weights.size] = nodes, weights
    lam_minus = mp_edges(lams)[0]
    # offsets nu - lam_-: the rounding is the conditioning s lam_- 1e-16 of mp_laplace itself
    x = np.where(w > 0, np.maximum(nu - lam_minus[:, None], 0.0), 0.0)
    return nu, x, w, lam_minus, mp_atom(lams), count


def _log_train_bessel(s: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """:func:`log_loss_train_s` elementwise over arrays of s and lam (same expressions)."""
    root = np.sqrt(lam)
    gap = np.abs(1.0 - lam) / (1.0 + root)
    with np.errstate(all="ignore"):
        core = -(gap**2) * s + np.log(sc.i1e(2.0 * root * s)) - np.log(s * root)
        z = s * s * lam
        series = -s * (1.0 + lam) + np.log1p(z / 2.0 + z * z / 12.0)
    return np.where(s * (1.0 + lam) < _SERIES_S, series, core)


class _GridChunk:
    """log L^1(s) of one kind for a chunk of cells (the rows of the padded rules they use)."""

    def __init__(self, kind, lam, gamma_eff, ss2, st2, rules, row):
        nu, x, w, lam_minus, atom, count = rules
        n = int(count[row].max())
        self.kind, self.lam, self.ss2, self.st2 = kind, lam, ss2, st2
        self.g = 0.5 * gamma_eff
        self.wd = self.g > 0.0
        self.log_norm = np.log(ss2 + st2)
        self.lam_minus, self.atom = lam_minus[row], atom[row]
        self.x, self.w = x[row, :n], w[row, :n]
        nu = nu[row, :n]
        self.nu_g = nu + self.g[:, None]
        wq = self.w * nu if kind == "train" else self.w
        c1, c2 = nu / self.nu_g, self.g[:, None] / self.nu_g
        st = st2[:, None]
        self.a = wq * (ss2[:, None] + st * c1 * c1)
        self.b = wq * (2.0 * st * c1 * c2)
        self.c = st2 * np.sum(c2 * c2 * wq, axis=1)

    def plateau(self) -> np.ndarray:
        """L^1(inf), as :func:`plateau_wd` (and the gamma = 0 limits of :func:`_crossing_s`)."""
        if self.kind == "train":
            return np.where(self.wd, self.c, 0.0)
        return np.where(self.wd, self.c + self.st2 * self.atom, (self.ss2 + self.st2) * self.atom)

    def log_loss(self, i: np.ndarray, u: np.ndarray) -> np.ndarray:
        """log L^1(e^u) for the cells ``i`` of the chunk."""
        s = np.exp(u)
        out = np.empty(i.size)
        wd = self.wd[i]
        j, k = i[wd], i[~wd]
        if j.size:  # Eq. 15, general-norm form (loss_wd_s)
            sj = s[wd]
            half = (-0.5 * sj)[:, None] * self.nu_g[j]
            np.exp(half, out=half)
            value = np.einsum("ij,ij->i", half, half * self.a[j] + self.b[j]) + self.c[j]
            if self.kind == "gen":
                value = value + self.atom[j] * (self.ss2[j] * np.exp(-sj * self.g[j]) + self.st2[j])
            with np.errstate(divide="ignore"):
                out[wd] = np.log(value)
        if k.size:  # gamma = 0: exact Bessel (train) or Laplace (gen) forms
            sk = s[~wd]
            if self.kind == "train":
                log_exact = _log_train_bessel(sk, self.lam[k])
            else:
                terms = sk[:, None] * -self.x[k]
                np.exp(terms, out=terms)
                cont = np.einsum("ij,ij->i", terms, self.w[k])
                with np.errstate(divide="ignore", invalid="ignore"):
                    log_exact = -sk * self.lam_minus[k] + np.log(cont)
                    atom = self.atom[k]
                    log_exact = np.where(
                        atom > 0.0, np.logaddexp(np.log(np.where(atom > 0, atom, 1.0)), log_exact),
                        log_exact,
                    )
            out[~wd] = self.log_norm[k] + log_exact
        return out


def _solve_decreasing_grid(f, m: int, *, bound: float = 700.0, xtol: float = _GRID_XTOL):
    """Roots u of decreasing functions f(i, u) (one per cell, i = cell indices), vectorized.

    Brackets from u = 0 by doubling steps up to ``bound`` (as :func:`_root_decreasing`, returning
    +-inf when f keeps its sign), then Illinois (modified regula falsi) with a bisection
    safeguard until the bracket is narrower than ``xtol`` (absolute in u).
    """
    root = np.full(m, np.nan)
    lo, hi = np.zeros(m), np.zeros(m)
    flo, fhi = np.zeros(m), np.zeros(m)
    f0 = f(np.arange(m), np.zeros(m))
    root[f0 == 0.0] = 0.0
    sign = np.where(f0 > 0, 1.0, -1.0)
    near, fnear, step = np.zeros(m), f0, 2.0
    todo = np.flatnonzero(f0 != 0.0)
    while todo.size:
        far = np.clip(near[todo] + sign[todo] * step, -bound, bound)
        stuck = far == near[todo]
        root[todo[stuck]] = sign[todo[stuck]] * np.inf
        todo, far = todo[~stuck], far[~stuck]
        if not todo.size:
            break
        ff = f(todo, far)
        done = sign[todo] * ff <= 0
        d, pos = todo[done], sign[todo[done]] > 0
        lo[d] = np.where(pos, near[d], far[done])
        hi[d] = np.where(pos, far[done], near[d])
        flo[d] = np.where(pos, fnear[d], ff[done])
        fhi[d] = np.where(pos, ff[done], fnear[d])
        near[todo[~done]], fnear[todo[~done]] = far[~done], ff[~done]
        todo, step = todo[~done], 2.0 * step
    act = np.flatnonzero(np.isnan(root))
    exact = (flo[act] == 0.0) | (fhi[act] == 0.0)
    root[act[exact]] = np.where(flo[act[exact]] == 0.0, lo[act[exact]], hi[act[exact]])
    act = act[~exact]
    side = np.zeros(m, dtype=np.int8)  # +1: last step moved lo, -1: moved hi
    width_old = np.full(m, np.inf)
    for it in range(400):
        if not act.size:
            break
        a, b, fa, fb = lo[act], hi[act], flo[act], fhi[act]
        with np.errstate(all="ignore"):
            c = (a * fb - b * fa) / (fb - fa)
        width = b - a
        slow = (it % 3 == 2) & (width > 0.5 * width_old[act])
        bad = ~np.isfinite(c) | (c <= a) | (c >= b) | slow
        c = np.where(bad, 0.5 * (a + b), c)
        if it % 3 == 2:
            width_old[act] = width
        fc = f(act, c)
        zero = fc == 0.0
        root[act[zero]] = c[zero]
        left = fc > 0  # root lies right of c
        right = ~left & ~zero
        il, ir = act[left], act[right]
        lo[il], flo[il] = c[left], fc[left]
        hi[ir], fhi[ir] = c[right], fc[right]
        fhi[il] = np.where(side[il] == 1, 0.5 * fhi[il], fhi[il])  # Illinois
        flo[ir] = np.where(side[ir] == -1, 0.5 * flo[ir], flo[ir])
        side[il], side[ir] = 1, -1
        act = act[~zero]
        conv = hi[act] - lo[act] <= xtol + 4e-16 * np.abs(lo[act])
        root[act[conv]] = 0.5 * (lo[act[conv]] + hi[act[conv]])
        act = act[~conv]
    if act.size:  # not reached in practice; keep the best estimate
        root[act] = 0.5 * (lo[act] + hi[act])
    return root


def _grid_cells(lam, level, gamma_eff, sigma_s2, sigma_t2):
    arrays = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (lam, level, gamma_eff, sigma_s2, sigma_t2))
    )
    lam, level, gamma_eff, ss2, st2 = (np.ascontiguousarray(a).ravel() for a in arrays)
    if not (np.all(lam > 0) and np.all(np.isfinite(lam))):
        raise ValueError("The 'lam' parameter must be > 0 and finite elementwise.")
    if not np.all(level > 0):
        raise ValueError("The 'level' parameter must be > 0 elementwise.")
    for name, v in (("gamma_eff", gamma_eff), ("sigma_s2", ss2), ("sigma_t2", st2)):
        if not np.all(v >= 0):
            raise ValueError(f"The {name!r} parameter must be >= 0 elementwise.")
    return arrays[0].shape, lam, level, gamma_eff, ss2, st2


def crossing_s_grid(
    kind: str,
    lam: ArrayLike,
    level: ArrayLike,
    gamma_eff: ArrayLike = 0.0,
    sigma_s2: ArrayLike = 0.5,
    sigma_t2: ArrayLike = 0.5,
    *,
    plateau: bool = False,
):
    """Vectorized :func:`_crossing_s`: smallest s with L^1(s) <= level, for arrays of cells.

    Parameters
    ----------
    kind : {"train", "gen"}
    lam, level, gamma_eff, sigma_s2, sigma_t2 : array_like
        Broadcastable arrays: lam = d_in/N_tr (> 0), the d_out = 1 loss level (d_out L* for
        d_out > 1, section 3 of the spec), gamma in the "paper" convention, and the init norms.
    plateau : bool, default False
        Also return L^1(inf) (:func:`plateau_wd`) per cell.

    Returns
    -------
    ndarray (or (ndarray, ndarray) with ``plateau``)
        s* with the broadcast shape: 0 where L^1(0) = sigma_s2 + sigma_t2 <= level, inf where
        L^1(inf) >= level, else the root of log L^1(e^u) = log level to ~1e-12 relative.

    Notes
    -----
    Same expressions and quadrature nodes as the scalar :func:`crossing_time` (Bessel form of
    L_tr and graded-quadrature Laplace form of L_gen at gamma = 0, Eq. 15 for gamma > 0), so
    the two agree to the root tolerance. Cells are grouped by lam (nodes are per lam) into
    chunks; the root is found for all cells of a chunk at once (bracketing by doubling, then
    Illinois steps in u = log s). Cost ~ (number of cells) x (nodes per lam, ~300) x ~25
    evaluations.
    """
    kind = _choice("kind", kind, _KINDS)
    shape, lam, level, gamma_eff, ss2, st2 = _grid_cells(lam, level, gamma_eff, sigma_s2, sigma_t2)
    m = lam.size
    s_star = np.full(m, np.nan)
    limit = np.full(m, np.nan)
    if m:
        ulam, row_of = np.unique(lam, return_inverse=True)
        rules = _grid_rules(ulam)
        order = np.argsort(rules[5][row_of], kind="stable")  # by node count, then by lam
        for start in range(0, m, _GRID_CHUNK):
            idx = order[start : start + _GRID_CHUNK]
            chunk = _GridChunk(
                kind, lam[idx], gamma_eff[idx], ss2[idx], st2[idx], rules, row_of[idx]
            )
            lim = chunk.plateau()
            limit[idx] = lim
            out = np.where(ss2[idx] + st2[idx] <= level[idx], 0.0, np.inf)
            solve = np.flatnonzero((ss2[idx] + st2[idx] > level[idx]) & (lim < level[idx]))
            if solve.size:
                log_level = np.log(level[idx])

                def f(i, u, solve=solve, chunk=chunk, log_level=log_level):
                    cells = solve[i]
                    return chunk.log_loss(cells, u) - log_level[cells]

                out[solve] = np.exp(_solve_decreasing_grid(f, solve.size))
                # beyond s ~ 1e9 the default rule may be too coarse (mp_laplace deepens it):
                # the rare cells there take the scalar path
                for i in np.flatnonzero(np.isfinite(out) & (out > _GRID_S_SCALAR)):
                    c = idx[i]
                    out[i] = _crossing_s(kind, lam[c], level[c], gamma_eff[c], ss2[c], st2[c])
            s_star[idx] = out
    s_star = s_star.reshape(shape)
    return (s_star, limit.reshape(shape)) if plateau else s_star
