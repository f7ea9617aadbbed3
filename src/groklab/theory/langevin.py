"""Loss-fluctuation theory and estimators for Langevin sampling (NumPy/SciPy, float64).

Spec ``jules2023-langevin-landscape.md`` (groklab's protocol for testing the abstract of Jules,
Brener, Kachman, Levi, Bar-Sinai 2023, arXiv:2304.01335). Only the paper's abstract is known: the
formulas here are the spec's [derived] statements and the estimators and diagnostics its
[project] protocol, not the paper's equations.

* Quadratic wells (§3.1): equipartition ⟨δL⟩ = DT/2, Var L = DT²/2, and the exact stationary
  statistics of Euler–Maruyama at step η (§2.2): Var y = T/(k(1 − ηk/2)).
* Cross-entropy identities (§3.2), the exponential-wall toy model with entropic or energetic
  confinement (§3.4), homogeneous walls (§3.5), near-boundary calibration (§2.7).
* Estimators D_mean, D_var, D_ratio, D_C, D_fit (§2.5) with standard errors from the effective
  sample size; stationarity diagnostics (§2.3: Sokal-window τ_int, ESS, two-halves test, block
  drift); the near-boundary count N_b and participation ratio (§2.7); the harmonic prediction at
  a reference point (§2.8).

Sampled series are arrays ``(n,)`` or ``(chains, n)``: several chains are pooled (means over
all samples, effective sample sizes summed over chains).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats

__all__ = [
    "ce_derivatives",
    "em_quadratic_moments",
    "em_stationary_variance",
    "em_step_bound",
    "energetic_toy_moments",
    "entropic_toy_moments",
    "estimators",
    "gamma_fit",
    "harmonic_prediction",
    "heat_capacity",
    "homogeneous_wall_moments",
    "integrated_autocorr_time",
    "mean_se",
    "near_boundary_count",
    "near_boundary_expected",
    "participation_ratio",
    "participation_ratio_expected",
    "stationarity",
    "toy_d_per_nb",
    "toy_potential_grad",
    "variance_se",
]


# ---- quadratic wells (§3.1, §2.2) ----------------------------------------------------------
def em_step_bound(k_max: float) -> float:
    """Largest stable EM step on a quadratic of top curvature k_max: η < 2/k_max (§2.2)."""
    return 2.0 / k_max


def em_stationary_variance(k, T: float, eta: float = 0.0):
    """Stationary Var y of the discretized OU process y ← (1 − ηk)y + √(2ηT)ξ:
    T/(k(1 − ηk/2)) (§2.2, [derived]); η = 0 gives the Boltzmann value T/k. NaN where ηk ≥ 2."""
    k = np.asarray(k, float)
    f = 1.0 - eta * k / 2.0
    return np.where(f > 0, T / (k * np.where(f > 0, f, 1.0)), np.nan)


def em_quadratic_moments(k, T: float, eta: float = 0.0) -> tuple[float, float]:
    """(⟨δL⟩, Var L) of L = Σ_a ½ k_a y_a² under EM at step η (§3.1):
    ⟨δL⟩ = Σ T/(2(1 − ηk_a/2)), Var L = Σ T²/(2(1 − ηk_a/2)²). η = 0: DT/2 and DT²/2."""
    f = 1.0 - eta * np.asarray(k, float) / 2.0
    if np.any(f <= 0):
        return math.nan, math.nan
    return float(np.sum(T / (2 * f))), float(np.sum(T**2 / (2 * f**2)))


def homogeneous_wall_moments(D: int, n: float, T: float) -> tuple[float, float]:
    """δL homogeneous of degree n in D directions: δL ~ Gamma(D/n, T), so
    (⟨δL⟩, Var) = (DT/n, DT²/n) and every estimator returns 2D/n (§3.5)."""
    return D * T / n, D * T**2 / n


# ---- cross-entropy (§3.2) -------------------------------------------------------------------
def ce_derivatives(m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ℓ(m) = ln(1 + e^{−m}), ℓ'(m) = −σ(−m), ℓ''(m) = σ(m)σ(−m), computed stably (§3.2)."""
    m = np.asarray(m, float)
    ell = np.logaddexp(0.0, -m)
    s_neg = special.expit(-m)
    return ell, -s_neg, special.expit(m) * s_neg


# ---- toy models (§3.4) ----------------------------------------------------------------------
def toy_potential_grad(u, A: float, c: float):
    """∂U/∂u of U(u) = A e^{−u} + c·u (entropic: c = αT; energetic: c = b)."""
    return -A * np.exp(-u) + c


def entropic_toy_moments(alpha: float, T: float, D_b: int = 1) -> dict:
    """Entropic toy, D_b independent walls: ℓ_total ~ Gamma(αD_b, T) (§3.4, [derived]).
    Returns mean, var, the mean curvature per wall ⟨ℓ''(u)⟩ = ⟨ℓ⟩ = αT, and D = 2αD_b."""
    return {"mean": alpha * D_b * T, "var": alpha * D_b * T**2, "curvature": alpha * T,
            "D": 2 * alpha * D_b, "shape": alpha * D_b, "scale": T}


def energetic_toy_moments(b: float, T: float, D_b: int = 1) -> dict:
    """Energetic toy U = A e^{−u} + b u: ℓ ~ Gamma(b/T, T) per wall (§3.4): mean b, var bT,
    curvature b, D_mean = D_var = D_ratio = 2b/T, D_C = 0."""
    return {"mean": b * D_b, "var": b * T * D_b, "curvature": b, "D": 2 * b * D_b / T,
            "shape": b * D_b / T, "scale": T}


def near_boundary_expected(k: int, alpha: float, c) -> np.ndarray:
    """E[N_b(c)] = k·Q(α, c) for k active points with ℓ_i ~ Gamma(α, NT) (§2.7);
    Q is the regularised upper incomplete gamma function (α = ½: k·erfc(√c))."""
    return k * special.gammaincc(alpha, np.asarray(c, float))


def toy_d_per_nb(alpha: float, c: float) -> float:
    """Slope of D against N_b(c) in the entropic toy (§2.7 calibration with §3.4): k active
    walls give D = 2αk and E[N_b(c)] = k·Q(α, c), so D = 2α·N_b/Q(α, c) (α = ½, c = 0.1:
    1/erfc(√0.1) ≈ 1.53). ValueError for α ≤ 0 or c ≤ 0."""
    if not (alpha > 0 and c > 0):
        raise ValueError(f"alpha and c must be positive. Got alpha={alpha!r}, c={c!r}.")
    return float(2 * alpha / special.gammaincc(alpha, c))


def participation_ratio_expected(k: int, alpha: float) -> float:
    """PR = (kα + 1)/(α + 1) for k i.i.d. Gamma(α, ·) per-point losses (§2.7)."""
    return (k * alpha + 1.0) / (alpha + 1.0)


# ---- per-point statistics (§2.7) -----------------------------------------------------------
def near_boundary_count(ell, N: int, T: float, c: float = 0.1) -> float:
    """N_b(c): time average of #{i : ℓ_i ≥ c·N·T} over samples ``ell`` (..., n_samples, N)
    of per-point losses (§2.7, primary definition; mean-loss convention)."""
    ell = np.asarray(ell, float)
    return float(np.mean(np.sum(ell >= c * N * T, axis=-1)))


def participation_ratio(ell) -> float:
    """PR = ⟨(Σ_i ℓ_i)²⟩ / ⟨Σ_i ℓ_i²⟩ over samples (..., n_samples, N) (§2.7)."""
    ell = np.asarray(ell, float)
    return float(np.mean(ell.sum(-1) ** 2) / np.mean((ell**2).sum(-1)))


# ---- diagnostics (§2.3) ---------------------------------------------------------------------
def _autocorr(x: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation function of a 1-D series (FFT, biased estimator)."""
    x = np.asarray(x, float) - np.mean(x)
    n = x.size
    f = np.fft.rfft(x, 2 * n)
    acf = np.fft.irfft(f * np.conj(f))[:n]
    return acf / acf[0] if acf[0] > 0 else np.ones(n)


def integrated_autocorr_time(x, c: float = 5.0) -> float:
    """τ_int = 1 + 2Σ_{t=1}^{W} ρ(t) with Sokal's window: the smallest W with W ≥ c·τ_int(W)
    (§2.3). For several chains (rows) the autocorrelation functions are averaged.
    τ_int = 1 for an uncorrelated series; ESS = n/τ_int."""
    x = np.atleast_2d(np.asarray(x, float))
    rho = np.mean([_autocorr(row) for row in x], axis=0)
    taus = 1.0 + 2.0 * np.cumsum(rho[1:])
    ok = np.nonzero(np.arange(1, taus.size + 1) >= c * taus)[0]
    tau = taus[ok[0]] if ok.size else taus[-1]
    return float(max(tau, 1.0 / x.shape[1]))


def ess(x) -> float:
    """Effective sample size n_total/τ_int (rows = chains)."""
    x = np.atleast_2d(np.asarray(x, float))
    return x.size / integrated_autocorr_time(x)


def mean_se(x) -> tuple[float, float, float]:
    """(mean, standard error from the ESS, ESS) of a series (rows = chains, pooled)."""
    x = np.atleast_2d(np.asarray(x, float))
    n_eff = ess(x)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(n_eff)), n_eff


def variance_se(x) -> tuple[float, float, float]:
    """(variance, its standard error, ESS of the squared deviations) of a series (rows =
    chains, pooled about the overall mean): se = √((μ₄ − σ⁴)/ESS((x − x̄)²))."""
    x = np.atleast_2d(np.asarray(x, float))
    dev2 = (x - x.mean()) ** 2
    v = float(dev2.sum() / (dev2.size - 1))
    n_eff = ess(dev2)
    return v, math.sqrt(max(float(np.mean(dev2**2)) - v * v, 0.0) / n_eff), n_eff


def stationarity(x, z_max: float = 2.0, n_blocks: int = 4) -> dict:
    """Drift diagnostics of a production series (§2.3): τ_int, ESS; the two halves' means
    (per chain, pooled) and their difference in standard errors ``z_halves``; the least-squares
    slope of ``n_blocks`` block means per block, relative to the std of the series
    (``drift_per_block``). ``stationary`` is False if |z_halves| ≥ ``z_max`` (the spec's
    criterion: < 2 standard errors) — a flagged chain must be reported, not averaged."""
    x = np.atleast_2d(np.asarray(x, float))
    n = x.shape[1]
    h = n // 2
    a, b = x[:, :h], x[:, h:2 * h]
    ma, sa, _ = mean_se(a)
    mb, sb, _ = mean_se(b)
    z = (mb - ma) / math.hypot(sa, sb) if math.hypot(sa, sb) > 0 else 0.0
    blocks = x[:, : n // n_blocks * n_blocks].reshape(x.shape[0], n_blocks, -1).mean(axis=(0, 2))
    slope = np.polyfit(np.arange(n_blocks), blocks, 1)[0]
    sd = float(x.std())
    tau = integrated_autocorr_time(x)
    return {
        "tau_int": tau,
        "ess": x.size / tau,
        "mean_first_half": ma,
        "mean_second_half": mb,
        "z_halves": float(z),
        "drift_per_block": float(slope / sd) if sd > 0 else 0.0,
        "stationary": bool(abs(z) < z_max),
    }


# ---- estimators (§2.5) ----------------------------------------------------------------------
def estimators(L, T: float, L0: float = 0.0) -> dict:
    """D_mean = 2⟨δL⟩/T, D_var = 2 Var L/T², D_ratio = 2⟨δL⟩²/Var L (§2.5), each with a
    standard error from the effective sample size.

    Errors: se(⟨δL⟩) = sd/√ESS(L); se(Var L) = √((μ₄ − σ⁴)/ESS((L − ⟨L⟩)²)); D_ratio by the
    delta method with the covariance of the two estimates neglected (conservative for
    positively correlated mean and variance, as for Gamma data).
    """
    L = np.atleast_2d(np.asarray(L, float))
    m, se_m, n_mean = mean_se(L - L0)
    v, se_v, n_var = variance_se(L)
    d_ratio = 2 * m * m / v
    se_ratio = d_ratio * math.hypot(2 * se_m / abs(m), se_v / v) if m != 0 else math.nan
    return {
        "D_mean": 2 * m / T, "D_mean_se": 2 * se_m / T,
        "D_var": 2 * v / T**2, "D_var_se": 2 * se_v / T**2,
        "D_ratio": d_ratio, "D_ratio_se": se_ratio,
        "mean": m, "var": v, "ess_mean": n_mean, "ess_var": n_var,
    }


def heat_capacity(T, mean, se=None) -> dict:
    """D_C = 2 d⟨L⟩/dT (§2.5): finite differences 2(⟨L⟩_{k+1} − ⟨L⟩_k)/(T_{k+1} − T_k) on
    adjacent temperatures (``D_C``, at the midpoints ``T_mid``) and the weighted least-squares
    slope over the whole grid (``D_C_fit``), with standard errors from ``se``."""
    T, mean = np.asarray(T, float), np.asarray(mean, float)
    se = np.zeros_like(mean) if se is None else np.asarray(se, float)
    dT = np.diff(T)
    out = {"T_mid": 0.5 * (T[1:] + T[:-1]), "D_C": 2 * np.diff(mean) / dT,
           "D_C_se": 2 * np.hypot(se[1:], se[:-1]) / dT}
    w = 1.0 / np.where(se > 0, se, 1.0) ** 2 if np.any(se > 0) else np.ones_like(mean)
    X = np.stack([np.ones_like(T), T], axis=1)
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    coef = cov @ (X.T @ (w * mean))
    out["D_C_fit"] = float(2 * coef[1])
    out["D_C_fit_se"] = float(2 * math.sqrt(cov[1, 1])) if np.any(se > 0) else math.nan
    return out


def gamma_fit(dL, T: float | None = None) -> dict:
    """Maximum-likelihood Gamma fit (location 0) of δL samples (thin them by τ_int first):
    shape k̂, scale ŝ, D_fit = 2k̂, ŝ/T, and the KS statistic and p-value (§2.5)."""
    x = np.asarray(dL, float).ravel()
    x = x[x > 0]
    k, _, s = stats.gamma.fit(x, floc=0.0)
    ks = stats.kstest(x, "gamma", args=(k, 0.0, s))
    return {"shape": float(k), "scale": float(s), "D_fit": 2 * float(k),
            "scale_over_T": float(s / T) if T else math.nan,
            "ks_stat": float(ks.statistic), "ks_p": float(ks.pvalue)}


# ---- harmonic prediction at a reference point (§2.8) ---------------------------------------
def harmonic_prediction(eigs, T: float, eta: float = 0.0, k_th_rel=(1e-6, 1e-4, 1e-2),
                        times=None) -> dict:
    """Quadratic-at-minimum prediction from the Hessian spectrum ``eigs`` at θ0 (§2.8).

    * ``n_plus[k]``: #{eigenvalues > k_th·λ_1} for each relative threshold; (b) predicts
      δL ~ Gamma(n_+/2, T), i.e. D = n_+.
    * ``mean``, ``var``: EM-exact ⟨δL⟩ and Var L summed over the positive modes (§3.1).
    * ``spread``: T/(k_a(1 − ηk_a/2)) per positive eigenvalue (prediction (c)).
    * with ``times`` (steps): ``mean_t``, the relaxation of ⟨δL⟩ from δL = 0 at t = 0,
      Σ_a T(1 − (1 − ηk_a)^{2t})/(2(1 − ηk_a/2)) (EM from the reference point, gradient
      neglected).
    """
    eigs = np.sort(np.asarray(eigs, float))[::-1]
    lam1 = float(eigs[0])
    pos = eigs[eigs > 0]
    out = {
        "lambda_1": lam1,
        "trace": float(eigs.sum()),
        "n_plus": {float(r): int(np.sum(eigs > r * lam1)) for r in k_th_rel},
        "spread": em_stationary_variance(pos, T, eta),
    }
    out["mean"], out["var"] = em_quadratic_moments(pos, T, eta)
    if times is not None:
        t = np.asarray(times, float)[:, None]
        f = 1.0 - eta * pos / 2
        relax = 1.0 - (1.0 - eta * pos) ** (2 * t) if eta > 0 else np.ones_like(t * pos)
        out["mean_t"] = np.sum(T * relax / (2 * f), axis=1)
    return out
