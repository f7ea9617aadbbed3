"""Ensemble statistics of the local-rule experiments (Žunkovič & Ilievski 2024, Sec. 4.3, §5).

Spec ``zunkovic2024-local-rules.md`` §1 (t_ε, ν, D_eff), §4.5 (Table 1) and §5 ([project]
defaults). NumPy only; every function works on plain arrays of records, runs on the first axis
and record times on the last.

* :func:`d_eff` — effective dimension e^S of a point cloud, S the entropy of the PCA
  explained-variance ratios (natural log).
* :func:`generalization_times` — t_ε, the first record with zero test error.
* :func:`align`, :func:`aligned_mean` — runs aligned at their t_ε (lag τ = t − t_ε) and averaged.
* :func:`fit_nu`, :func:`nu_sensitivity` — the critical exponent of ⟨E⟩ ∝ (t_ε − t)^ν from a
  straight line on log–log, with a bootstrap-over-runs uncertainty.
* :func:`detect_spikes`, :func:`d_eff_step` — training-loss spikes (loss > mean + 2·std of the
  previous 20 epochs) and the change of D_eff across each spike.
* :func:`eps_eff` — the class separation "in units of intra-class variance" (Table 1).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = [
    "NuFit",
    "align",
    "aligned_mean",
    "d_eff",
    "d_eff_step",
    "detect_spikes",
    "eps_eff",
    "explained_variance_ratios",
    "fit_nu",
    "generalization_times",
    "nu_sensitivity",
]

#: [project] ν-fit window (spec §5): points with t_ε − t ≥ FIT_MIN_INTERVALS record intervals and
#: ⟨E⟩ ≤ FIT_CUTOFF; the sensitivity is reported for NU_CUTOFFS.
FIT_CUTOFF = 0.1
FIT_MIN_INTERVALS = 2
NU_CUTOFFS = (0.05, 0.1, 0.2)
#: [project] spike detector (spec §5): loss > mean + SPIKE_K·std of the previous SPIKE_WINDOW.
SPIKE_WINDOW = 20
SPIKE_K = 2.0


# ---- effective dimension ------------------------------------------------------------------------
def explained_variance_ratios(points) -> np.ndarray:
    """PCA explained-variance ratios σ_k (descending, Σσ_k = 1) of ``points`` (…, n, D)."""
    p = np.asarray(points, dtype=float)
    if p.ndim < 2 or p.shape[-2] < 2:
        raise ValueError(f"points must have shape (..., n, D) with n ≥ 2. Got {p.shape}.")
    c = p - p.mean(axis=-2, keepdims=True)
    ev = np.clip(np.linalg.eigvalsh(np.einsum("...na,...nb->...ab", c, c)), 0.0, None)[..., ::-1]
    total = ev.sum(axis=-1, keepdims=True)
    if np.any(total <= 0):
        raise ValueError("points have zero variance: D_eff is undefined.")
    return ev / total


def d_eff(points):
    """D_eff = e^S, S = −Σ_k σ_k ln σ_k over the explained-variance ratios σ_k (Sec. 4.3.1).

    1 ≤ D_eff ≤ D, and D_eff = m for variance split equally over m components (LR-28).
    ``points`` (…, n, D) gives an array of shape (…)."""
    s = explained_variance_ratios(points)
    logs = np.log(np.where(s > 0, s, 1.0))
    return np.exp(-np.sum(s * logs, axis=-1))


# ---- generalization time and alignment ----------------------------------------------------------
def generalization_times(t, err_gen, err_exact=None) -> np.ndarray:
    """t_ε of each run: the first record time with zero test error (``err_gen`` == 0 and, if
    given, ``err_exact`` == 0); NaN for a run that never gets there. Arrays (runs, T)."""
    t = np.asarray(t, dtype=float)
    zero = np.asarray(err_gen) == 0
    if err_exact is not None:
        zero &= np.asarray(err_exact) == 0
    zero = np.atleast_2d(zero)
    first = np.argmax(zero, axis=-1)
    return np.where(zero.any(axis=-1), t[first], np.nan)


def _default_lags(t: np.ndarray, t_eps: np.ndarray) -> np.ndarray:
    ok = np.isfinite(t_eps)
    if not ok.any():
        return np.array([0.0])
    return np.unique((t[None, :] - t_eps[ok, None]).ravel())


def align(t, values, t_eps, lags=None) -> tuple[np.ndarray, np.ndarray]:
    """Curves of every run on a common lag axis τ = t − t_ε.

    Parameters
    ----------
    t : (T,) record times shared by all runs (increasing).
    values : (runs, T) a recorded curve (test error, D_eff, …).
    t_eps : (runs,) each run's t_ε (NaN: the run is left out).
    lags : the lags τ; default every t − t_ε that occurs (on a uniform grid with t_ε on it, the
        multiples of the record interval).

    Returns
    -------
    (lags, aligned) with ``aligned`` (runs, len(lags)): the run's curve at t_ε + τ, linearly
    interpolated between records, NaN outside its records and for runs without t_ε.
    """
    t = np.asarray(t, dtype=float)
    v = np.atleast_2d(np.asarray(values, dtype=float))
    t_eps = np.atleast_1d(np.asarray(t_eps, dtype=float))
    if v.shape != (t_eps.size, t.size):
        raise ValueError(f"values must have shape (runs, T) = ({t_eps.size}, {t.size}). "
                         f"Got {v.shape}.")
    lags = _default_lags(t, t_eps) if lags is None else np.asarray(lags, dtype=float)
    out = np.full((t_eps.size, lags.size), np.nan)
    for r in np.flatnonzero(np.isfinite(t_eps)):
        at = t_eps[r] + lags
        inside = (at >= t[0]) & (at <= t[-1])
        out[r, inside] = np.interp(at[inside], t, v[r])
    return lags, out


def _mean_count(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over the finite entries of each column (NaN where none) and their number."""
    count = np.sum(np.isfinite(a), axis=0)
    safe = np.where(np.isfinite(a), a, 0.0)
    return np.where(count > 0, safe.sum(axis=0) / np.maximum(count, 1), np.nan), count


def aligned_mean(t, values, t_eps, lags=None) -> dict:
    """Mean over runs of the aligned curves (:func:`align`): ``lag``, ``mean``, ``sem`` (standard
    error over the runs present) and ``count`` (runs present at each lag)."""
    lags, a = align(t, values, t_eps, lags)
    mean, count = _mean_count(a)
    dev = np.where(np.isfinite(a), a - mean, 0.0)
    var = np.where(count > 1, (dev**2).sum(axis=0) / np.maximum(count - 1, 1), np.nan)
    return {"lag": lags, "mean": mean, "sem": np.sqrt(var / np.maximum(count, 1)),
            "count": count}


# ---- critical exponent --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class NuFit:
    """Fit of log⟨E⟩ = ν log(t_ε − t) + log C.

    ``nu_err`` is the standard deviation of ν over bootstrap resamples of the runs (each resample
    re-averaged and re-fitted in the same window rule); ``nu_err_ols`` is the least-squares
    standard error of the slope, which ignores the correlation of neighbouring points of one
    averaged curve and is usually smaller. ``lags``/``mean`` are the fitted points."""

    nu: float
    nu_err: float
    nu_err_ols: float
    prefactor: float
    cutoff: float
    min_lag: float
    n_points: int
    n_runs: int
    lags: np.ndarray
    mean: np.ndarray


def _window(lag, mean, count, cutoff, min_lag, min_runs):
    return ((lag <= -min_lag) & (mean > 0) & (mean <= cutoff) & np.isfinite(mean)
            & (count >= min_runs))


def _slope(x, y) -> tuple[float, float, float]:
    """OLS slope, intercept and the slope's standard error."""
    A = np.stack([x, np.ones_like(x)], axis=1)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    dof = max(x.size - 2, 1)
    sxx = np.sum((x - x.mean()) ** 2)
    se = math.sqrt(np.sum(resid**2) / dof / sxx) if sxx > 0 else math.nan
    return float(coef[0]), float(coef[1]), se


def fit_nu(t, err, t_eps, *, cutoff: float = FIT_CUTOFF, min_lag: float | None = None,
           min_runs: float = 0.5, lags=None, n_boot: int = 200, seed: int = 0) -> NuFit:
    """Critical exponent ν of the aligned mean test error, ⟨E⟩ ∝ (t_ε − t)^ν (Sec. 4.3).

    Parameters
    ----------
    t, err, t_eps : as for :func:`align` (``err`` the test error per run and record).
    cutoff : fit only points with ⟨E⟩ ≤ cutoff ([project] default 0.1).
    min_lag : fit only points with t_ε − t ≥ min_lag; default FIT_MIN_INTERVALS (2) times the
        median record interval ([project] default).
    min_runs : fit only lags where at least this fraction of the runs with a t_ε is present.
    n_boot : bootstrap resamples of the runs for ``nu_err`` (0: none, NaN).

    Raises ``ValueError`` when fewer than 3 points fall in the window.
    """
    t = np.asarray(t, dtype=float)
    err = np.atleast_2d(np.asarray(err, dtype=float))
    t_eps = np.atleast_1d(np.asarray(t_eps, dtype=float))
    if min_lag is None:
        min_lag = FIT_MIN_INTERVALS * float(np.median(np.diff(t)))
    lags, a = align(t, err, t_eps, lags)
    runs = np.flatnonzero(np.isfinite(t_eps))
    need = max(1, math.ceil(min_runs * runs.size))

    def fit(rows):
        mean, count = _mean_count(a[rows])
        w = _window(lags, mean, count, cutoff, min_lag, need)
        if w.sum() < 3:
            return None
        return _slope(np.log(-lags[w]), np.log(mean[w])), w, mean

    with np.errstate(invalid="ignore", divide="ignore"):
        res = fit(runs)
        if res is None:
            raise ValueError(
                f"Fewer than 3 points in the ν-fit window (t_ε − t ≥ {min_lag:g}, ⟨E⟩ ≤ "
                f"{cutoff:g}, ≥ {need} runs): record more densely before t_ε or raise cutoff.")
        (nu, c, se), w, mean = res
        rng = np.random.default_rng(seed)
        boots = []
        for _ in range(n_boot):
            r = fit(rng.choice(runs, size=runs.size, replace=True))
            if r is not None:
                boots.append(r[0][0])
    nu_err = float(np.std(boots, ddof=1)) if len(boots) > 1 else math.nan
    return NuFit(nu=nu, nu_err=nu_err, nu_err_ols=se, prefactor=math.exp(c), cutoff=cutoff,
                 min_lag=float(min_lag), n_points=int(w.sum()), n_runs=int(runs.size),
                 lags=lags[w], mean=mean[w])


def nu_sensitivity(t, err, t_eps, cutoffs=NU_CUTOFFS, **kwargs) -> dict[float, NuFit | None]:
    """:func:`fit_nu` at each cutoff ([project]: 0.05 / 0.1 / 0.2); None where the window holds
    fewer than 3 points."""
    out: dict[float, NuFit | None] = {}
    for c in cutoffs:
        try:
            out[float(c)] = fit_nu(t, err, t_eps, cutoff=c, **kwargs)
        except ValueError:
            out[float(c)] = None
    return out


# ---- spikes -------------------------------------------------------------------------------------
def detect_spikes(loss, window: int = SPIKE_WINDOW, k: float = SPIKE_K, *,
                  merge: bool = True) -> np.ndarray:
    """Epochs e whose training loss exceeds mean + k·std of the previous ``window`` epochs
    (spec §5 [project]: 20 epochs, k = 2; population std). Epochs before ``window`` are never
    flagged. With ``merge`` only the first epoch of a run of consecutive flagged epochs is
    returned (one spike). ``loss`` is 1-D."""
    x = np.asarray(loss, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"loss must be 1-D (one run's per-epoch series). Got shape {x.shape}.")
    if window < 2:
        raise ValueError(f"window must be at least 2 epochs. Got {window!r}.")
    if x.size <= window:
        return np.zeros(0, dtype=np.int64)
    prev = np.lib.stride_tricks.sliding_window_view(x[:-1], window)
    flagged = x[window:] > prev.mean(axis=1) + k * prev.std(axis=1)
    idx = np.flatnonzero(flagged) + window
    if merge and idx.size:
        idx = idx[np.concatenate([[True], np.diff(idx) > 1])]
    return idx.astype(np.int64)


def d_eff_step(t, d_eff_values, t_start, t_end, window: float = 0.0) -> float:
    """Change of D_eff across a spike that occupies the steps [t_start, t_end]: the mean of the
    records in [t_end, t_end + window] minus that in [t_start − window, t_start] (window 0: the
    records exactly at t_start and t_end). NaN where a side holds no record."""
    t = np.asarray(t, dtype=float)
    v = np.asarray(d_eff_values, dtype=float)
    before = v[(t >= t_start - window) & (t <= t_start)]
    after = v[(t >= t_end) & (t <= t_end + window)]
    if before.size == 0 or after.size == 0:
        return math.nan
    return float(after.mean() - before.mean())


# ---- class separation ---------------------------------------------------------------------------
def eps_eff(points_pos, points_neg) -> float:
    """ε "in units of intra-class variance" (Table 1; spec §5 [project]):
    ‖μ₊ − μ₋‖/(2σ_intra) with σ_intra² = ½(tr Σ₊ + tr Σ₋), Σ± the class covariances."""
    p = np.asarray(points_pos, dtype=float)
    q = np.asarray(points_neg, dtype=float)
    var = 0.5 * (p.var(axis=0).sum() + q.var(axis=0).sum())
    return float(np.linalg.norm(p.mean(axis=0) - q.mean(axis=0)) / (2 * math.sqrt(var)))
