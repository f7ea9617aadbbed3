"""Density singularity ξ* of context-vector angles, and Eq. 50 inverted (Žunkovič & Ilievski 2024,
Sec. 4.3.1, Fig. 16 and Table 1).

Spec ``zunkovic2024-local-rules.md`` §3.6 (Eq. 50) and §4.5 (Table 1, Fig. 16). NumPy only,
float64, deterministic.

With a fixed attention of bond dimension d = 2 the normalised context vectors ℓ_N(i) = v^L H^L_N(i)
and r_N(i) = H^R_N(i) v^R are unit 2-vectors, so each is an angle θ = atan2(v_2, v_1)
(:func:`context_angles`). Their distribution over the sites of long random strings (the
invariant measure of a random product of 2 × 2 matrices) is singular: the largest value of a
histogram density grows with the number of bins b as a power law, max ρ_b ∝ b^α. For a density
ρ(θ) ∝ |θ − θ₀|^{−ξ} (0 < ξ < 1) the bin of width h = (range)/b around θ₀ holds a mass ∝ h^{1−ξ},
so max ρ_b ∝ h^{−ξ} ∝ b^ξ: α = ξ. A smooth density gives α = 0 and an atom α = 1.

* :func:`max_density` — max over bins of the histogram density for each number of bins.
* :func:`fit_max_density` — α from a straight line of log max ρ_b against log b (Fig. 16).
* :func:`xi_star` — ξ* = max over classes of (α_left + α_right) (Table 1's "measured ξ*").
* :func:`xi_eq50` — ξ = ½(D_eff − 2ν + 1), Eq. 50 (ν = (D + 1 − 2ξ)/2) solved for ξ with
  D → D_eff (Table 1). Its forward form is
  :func:`groklab.theory.local_rules_ball.nu_isotropic`.

The class separation "in units of intra-class variance" of Table 1 is
:func:`groklab.theory.local_rules_stats.eps_eff`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

__all__ = [
    "BINS",
    "PowerLawFit",
    "XiStar",
    "context_angles",
    "fit_max_density",
    "max_density",
    "xi_eq50",
    "xi_star",
]

#: Numbers of bins of Fig. 16: 13 log-spaced values from 10² to 10⁵ (4 per decade).
BINS = np.unique(np.round(np.logspace(2, 5, 13)).astype(np.int64))


def context_angles(vectors) -> np.ndarray:
    """The angle θ = atan2(v_2, v_1) ∈ (−π, π] of each 2-vector of ``vectors`` (…, 2).

    Only the direction matters (the contexts are normalised); a zero or non-finite vector
    raises ``ValueError``."""
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim < 1 or v.shape[-1] != 2:
        raise ValueError(f"vectors must have shape (..., 2) (bond dimension d = 2). "
                         f"Got {v.shape}.")
    if not np.all(np.isfinite(v)):
        raise ValueError("vectors contain NaN or inf.")
    if np.any(np.hypot(v[..., 0], v[..., 1]) == 0):
        raise ValueError("vectors contain a zero vector, which has no angle.")
    return np.arctan2(v[..., 1], v[..., 0])


def _check_angles(angles) -> np.ndarray:
    a = np.asarray(angles, dtype=np.float64).ravel()
    if a.size < 2:
        raise ValueError(f"angles must hold at least 2 samples. Got {a.size}.")
    if not np.all(np.isfinite(a)):
        raise ValueError("angles contain NaN or inf.")
    return a


def _check_bins(bins) -> np.ndarray:
    b = np.asarray(bins)
    if b.ndim != 1 or b.size == 0 or not np.issubdtype(b.dtype, np.number):
        raise ValueError(f"bins must be a 1-D sequence of bin counts. Got {bins!r}.")
    if np.any(b != np.round(b)) or np.any(b < 1):
        raise ValueError(f"bins must be positive integers. Got {b.tolist()}.")
    return b.astype(np.int64)


def _range(a: np.ndarray, range_) -> tuple[float, float]:
    lo, hi = (float(a.min()), float(a.max())) if range_ is None else map(float, range_)
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise ValueError(f"The histogram range must be finite with hi > lo. Got ({lo}, {hi}); "
                         "pass range_ when all angles are equal.")
    if range_ is not None and (a.min() < lo or a.max() > hi):
        raise ValueError(f"Some angles fall outside range_ = ({lo}, {hi}).")
    return lo, hi


def max_density(angles, bins=BINS, range_=None) -> tuple[np.ndarray, np.ndarray]:
    """Largest histogram density and largest bin count of ``angles`` for each number of bins.

    Parameters
    ----------
    angles : samples (any shape; flattened).
    bins : numbers of equal-width bins.
    range_ : (lo, hi) of the histogram; default the range of the samples (``numpy.histogram``'s
        default, [project] choice: the exponent does not depend on it, the prefactor does).

    Returns
    -------
    (density, count), each of shape (len(bins),): max_k n_k/(n h) and max_k n_k, with n the
    number of samples and h = (hi − lo)/b.
    """
    a = _check_angles(angles)
    b = _check_bins(bins)
    lo, hi = _range(a, range_)
    scaled = (a - lo) / (hi - lo)
    count = np.empty(b.size, dtype=np.int64)
    for j, nb in enumerate(b):
        idx = np.minimum((scaled * nb).astype(np.int64), nb - 1)  # last bin closed
        count[j] = np.bincount(idx, minlength=int(nb)).max()
    return count * b / (a.size * (hi - lo)), count


@dataclasses.dataclass(frozen=True)
class PowerLawFit:
    """max ρ_b = prefactor · b^exponent fitted on log–log (least squares).

    ``exponent_err`` is the least-squares standard error of the slope; ``bins``, ``density``,
    ``count`` hold every number of bins tried, and ``used`` marks those in the fit."""

    exponent: float
    exponent_err: float
    prefactor: float
    bins: np.ndarray
    density: np.ndarray
    count: np.ndarray
    used: np.ndarray
    n_samples: int


def fit_max_density(angles, bins=BINS, *, range_=None, min_count: int = 1) -> PowerLawFit:
    """The exponent α of max ρ_b ∝ b^α (Fig. 16; ρ ∝ |θ − θ₀|^{−ξ} gives α = ξ).

    Parameters
    ----------
    angles, bins, range_ : as for :func:`max_density` (default bins 10²…10⁵, the paper's).
    min_count : fit only the numbers of bins whose fullest bin holds at least this many samples
        (guards against the finite-sample regime, where the maximum of noisy counts grows
        without a singularity; 1 = every number of bins, as in the paper).

    Raises ``ValueError`` when fewer than 3 numbers of bins are left to fit.
    """
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1. Got {min_count!r}.")
    a = _check_angles(angles)
    b = _check_bins(bins)
    dens, count = max_density(a, b, range_)
    used = count >= min_count
    if np.unique(b[used]).size < 3:
        raise ValueError(f"Fewer than 3 numbers of bins have a fullest bin with ≥ {min_count} "
                         f"samples (counts {count.tolist()} for bins {b.tolist()}): use more "
                         "samples, fewer bins or a smaller min_count.")
    x, y = np.log(b[used].astype(float)), np.log(dens[used])
    A = np.stack([x, np.ones_like(x)], axis=1)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    sxx = float(np.sum((x - x.mean()) ** 2))
    dof = max(x.size - 2, 1)
    err = math.sqrt(float(np.sum(resid**2)) / dof / sxx)
    return PowerLawFit(exponent=float(coef[0]), exponent_err=err, prefactor=math.exp(coef[1]),
                       bins=b, density=dens, count=count, used=used, n_samples=int(a.size))


@dataclasses.dataclass(frozen=True)
class XiStar:
    """ξ* = max over classes c of α_left(c) + α_right(c).

    ``fits[c] = (left fit, right fit)``, ``sums[c]`` = α_left(c) + α_right(c) with its error
    (the two standard errors in quadrature) in ``sums_err[c]``; ``argmax`` is the class of
    ξ*."""

    xi_star: float
    xi_star_err: float
    argmax: str
    sums: dict
    sums_err: dict
    fits: dict


def xi_star(classes: Mapping[str, tuple], bins=BINS, *, ranges=(None, None),
            min_count: int = 1) -> XiStar:
    """ξ* of Table 1 (Sec. 4.3.1): for each class (positive and negative samples) fit the
    max-density exponent of the left and of the right context angles (:func:`fit_max_density`),
    add the two, and take the maximum over the classes.

    Parameters
    ----------
    classes : ``{name: (left_angles, right_angles)}``, at least one class.
    bins, min_count : as for :func:`fit_max_density`.
    ranges : histogram ranges (left, right), shared by the classes (None: each sample's range).
    """
    if not isinstance(classes, Mapping) or not classes:
        raise ValueError("classes must be a non-empty mapping name -> (left, right) angles.")
    fits, sums, errs = {}, {}, {}
    for name, pair in classes.items():
        if len(pair) != 2:
            raise ValueError(f"classes[{name!r}] must be a pair (left_angles, right_angles).")
        f = tuple(fit_max_density(p, bins, range_=r, min_count=min_count)
                  for p, r in zip(pair, ranges, strict=True))
        fits[name] = f
        sums[name] = f[0].exponent + f[1].exponent
        errs[name] = math.hypot(f[0].exponent_err, f[1].exponent_err)
    best = max(sums, key=sums.get)
    return XiStar(xi_star=sums[best], xi_star_err=errs[best], argmax=best, sums=sums,
                  sums_err=errs, fits=fits)


def xi_eq50(d_eff, nu):
    """ξ = ½(D_eff − 2ν + 1): Eq. 50, ν = (D + 1 − 2ξ)/2, solved for ξ with D → D_eff (Table 1).

    Notes
    -----
    Eq. 50 is derived for an isotropic density with ρ(δh) ∝ δh^{−ξ}, 0 < ξ < 1 (Sec. 3.3.4);
    Table 1 applies it to measured D_eff and ν, which may give ξ outside (0, 1) (spec §6).
    Broadcasts; D_eff ≥ 1 and both finite, else ``ValueError``.
    """
    d = np.asarray(d_eff, dtype=np.float64)
    n = np.asarray(nu, dtype=np.float64)
    if not (np.all(np.isfinite(d)) and np.all(np.isfinite(n))):
        raise ValueError("d_eff and nu must be finite.")
    if np.any(d < 1):
        raise ValueError(f"d_eff must be at least 1 (D_eff = e^S ≥ 1). Got {d_eff!r}.")
    out = 0.5 * (d - 2.0 * n + 1.0)
    return float(out) if out.ndim == 0 else out
