"""Stable special functions for threshold accuracies of Gaussian errors.

All functions are NumPy/SciPy float64. The accuracy map is that of Levi, Beck & Bar-Sinai [1]_:
a sample counts as correct when its per-output mean squared error is below ``eps``, and the error
vector is Gaussian with per-output variance equal to the loss, so the squared error is
``loss * chi2(d_out) / d_out``.

References
----------
.. [1] N. Levi, A. Beck, Y. Bar-Sinai, "Grokking in Linear Estimators - A Solvable Model that
   Groks without Understanding", arXiv:2310.16441 (2023).
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike
from scipy import special as sc

__all__ = [
    "NAMED_THRESHOLDS",
    "accuracy_from_loss",
    "log_upper_gamma_half",
    "loss_threshold",
    "named_threshold",
]

#: Named accuracy levels for "95%" (spec section 1.5): ``erf2`` = Erf(sqrt 2) ~ 0.9545, which
#: gives the loss level eps/4 at d_out = 1 (section 3.1.3 and App. B of [1]); ``a95`` = 0.95
#: (caption of Fig. 4 of [1]).
NAMED_THRESHOLDS: dict[str, float] = {"erf2": float(sc.erf(np.sqrt(2.0))), "a95": 0.95}


def _check_d_out(d_out) -> int:
    if isinstance(d_out, bool) or not isinstance(d_out, numbers.Integral) or d_out < 1:
        raise ValueError(f"The 'd_out' parameter must be an int >= 1. Got {d_out!r} instead.")
    return int(d_out)


def _check_positive(name: str, value) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(arr > 0):  # also rejects NaN
        raise ValueError(
            f"The {name!r} parameter must be a float in the range (0, inf). Got {value!r} instead."
        )
    return arr


def named_threshold(threshold: str | float) -> float:
    """Accuracy level A_thr for a named or explicit threshold.

    Parameters
    ----------
    threshold : {"erf2", "a95"} or float
        ``"erf2"`` gives Erf(sqrt 2) ~ 0.9545 and ``"a95"`` gives 0.95; a float in (0, 1) is
        returned unchanged.

    Returns
    -------
    float
        The accuracy level.

    Raises
    ------
    ValueError
        If the name is unknown or the float is not in the open interval (0, 1).

    Notes
    -----
    Spec section 1.5 and erratum #13: the paper uses both Erf(sqrt 2) (sections 3.1.3, App. B,
    loss level eps/4 at d_out = 1) and 0.95 (Fig. 4 caption) for "95%".
    """
    if isinstance(threshold, str):
        if threshold in NAMED_THRESHOLDS:
            return NAMED_THRESHOLDS[threshold]
        raise ValueError(
            f"The 'threshold' parameter must be one of {sorted(NAMED_THRESHOLDS)} or a float in "
            f"(0, 1). Got {threshold!r} instead."
        )
    if isinstance(threshold, numbers.Real) and not isinstance(threshold, bool):
        if 0.0 < float(threshold) < 1.0:
            return float(threshold)
    raise ValueError(
        f"The 'threshold' parameter must be one of {sorted(NAMED_THRESHOLDS)} or a float in "
        f"(0, 1). Got {threshold!r} instead."
    )


def accuracy_from_loss(loss: ArrayLike, eps: float, d_out: int = 1) -> np.ndarray:
    """Threshold accuracy of Gaussian errors with per-output variance ``loss``.

    Parameters
    ----------
    loss : array_like
        Loss per output (the variance of each error component), >= 0. NaN propagates.
    eps : float
        Accuracy threshold on the per-output mean squared error, > 0.
    d_out : int, default 1
        Output dimension.

    Returns
    -------
    ndarray
        A = P(chi2_{d_out} <= d_out * eps / loss), shaped like ``loss``; 1 where loss = 0 and
        0 where loss = inf.

    Notes
    -----
    Eq. 13 of [1]_: A = 1 - Gamma(d_out/2, d_out*eps/(2L)) / Gamma(d_out/2), evaluated as
    ``gammainc(d_out/2, d_out*eps/(2L))``. At d_out = 1 it is Eq. 10, A = Erf(sqrt(eps/(2L))),
    which is the form used there (erratum #9: no factor 2, and L is the variance, not the
    standard deviation). The per-sample criterion for d_out > 1 is (1/d_out)||error||^2 < eps
    (erratum #16).
    """
    d_out = _check_d_out(d_out)
    eps = float(_check_positive("eps", eps))
    loss = np.asarray(loss, dtype=np.float64)
    if np.any(loss < 0):
        raise ValueError("The 'loss' parameter must be >= 0 elementwise. Got negative values.")
    with np.errstate(divide="ignore", over="ignore"):  # loss 0 or subnormal: z = inf, A = 1
        z = d_out * eps / (2.0 * loss)  # inf at loss = 0, 0 at loss = inf
    if d_out == 1:
        return sc.erf(np.sqrt(z))
    return sc.gammainc(0.5 * d_out, z)


def loss_threshold(eps: float, d_out: int = 1, a_thr: str | float = "a95") -> float:
    """Loss level L* at which the threshold accuracy equals ``a_thr``.

    Parameters
    ----------
    eps : float
        Accuracy threshold, > 0.
    d_out : int, default 1
        Output dimension.
    a_thr : {"erf2", "a95"} or float, default "a95"
        Accuracy level, see :func:`named_threshold`.

    Returns
    -------
    float
        L* = d_out * eps / (2 * gammaincinv(d_out/2, A_thr)); A >= A_thr iff L <= L*.

    Notes
    -----
    Inverse of Eq. 13 (Eq. 10 at d_out = 1) of [1]_, spec section 1.5. It gives eps/4 for
    d_out = 1 and ``a_thr="erf2"``, the level behind Eqs. 12, 24 and 26.
    """
    d_out = _check_d_out(d_out)
    eps = float(_check_positive("eps", eps))
    level = named_threshold(a_thr)
    return d_out * eps / (2.0 * float(sc.gammaincinv(0.5 * d_out, level)))


def log_upper_gamma_half(z: ArrayLike) -> np.ndarray:
    """Logarithm of the upper incomplete gamma function Gamma(1/2, z), z >= 0.

    Parameters
    ----------
    z : array_like
        Argument, >= 0 (NaN for negative entries).

    Returns
    -------
    ndarray
        log Gamma(1/2, z), finite for every finite z >= 0 (no underflow at large z); -inf at
        z = inf.

    Notes
    -----
    Uses Gamma(1/2, z) = sqrt(pi) e^{-z} erfcx(sqrt z) (spec section 2.5), which appears in
    Eq. 23 of [1]_.
    """
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN for z < 0, -inf at z = inf
        return 0.5 * np.log(np.pi) - z + np.log(sc.erfcx(np.sqrt(z)))
