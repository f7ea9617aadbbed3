"""Theory of the D-dimensional uniform-ball perceptron of Žunkovič & Ilievski (2024), Sec. 3.3
and App. B (spec ``zunkovic2024-local-rules.md`` §3; claims LR-10 … LR-21).

Pure NumPy/SciPy (no JAX). Symbols: D = ``dim``, N = ``n_train`` (samples **per class**),
ε = ``eps`` (class offset ±ε e₁), λ₁ = ``lam1``, λ₂ = ``lam2``, λ_{2,D} = λ₂ + 1/(D+2)
(:func:`lam_D`; 1/(D+2) is the per-coordinate variance of the uniform unit ball). Time is the
dimensionless flow time of dw/dt = −Gw + a (Eq. 20); there is no learning rate.

Contents, by equation:

* test error — Eq. 22 as ½ I_{1−h²}((D+1)/2, ½) (:func:`cap_error`; the printed hypergeometric
  form :func:`cap_error_hypergeometric` loses precision near h = 1), its critical form Eq. 23
  (:func:`cap_error_critical`, ν = (D+1)/2), the isotropic generalisation Eqs. 48–50
  (:func:`cap_error_isotropic`, :func:`cap_error_eq48`, :func:`cap_error_eq49`,
  :func:`nu_isotropic`) and a log–log exponent fit (:func:`fit_power_law`);
* grokking probability — Eq. 30 (λ₁ = 0, N ≫ λ_{2,D} ≫ 1), Eq. 31 (soft-thresholded stationary
  point, corrected sign), Eq. 32 (λ₁ > 0; R_k by Monte Carlo or the χ²_k variant), Eq. 33 (its
  k = 0 lower bound), App. B Eqs. 81–86 (any λ₂, N ≫ 1; α₃ derived by default, printed as an
  option) and Eq. 90 (λ₁ > 0 lower bound, √2 restored);
* grokking-time density (Sec. 3.3.3) — Eq. 42 (fast-branch t_G), Eq. 44 (its inverse square),
  Eq. 43 (fast density), Eq. 45 (p_fast), Eq. 47 (delta position: printed and the value of the
  reduced dynamics, §6 errata), the mean, and the reduced dynamics Eqs. 38–39 solved exactly
  (:func:`reduced_dynamics_times`).

The Monte Carlo references (10⁵ sampled training sets in one vectorised pass) and the exact
finite-sample flow live in :mod:`groklab.models.ball_exact`; the tests compare each formula here
with them or with quadrature.

Errata implemented (spec §6): Eq. 31 uses sgn(x̄₁ + ε); Eq. 32 uses (1 + ε²/λ_{2,D});
Eq. 82 α₃ = 1/(λ_{2,D} + ε²) (``alpha3="printed"`` keeps 1/λ_D − ε/(λ_D(λ_D + ε²))); Eq. 90 has
erf(x/(√2σ)) (``printed=True`` keeps erf(x/σ)); Eq. 47 is offered as printed,
ln(ε⁴/(ε⁴−1))/(2λ_{2,D}), and as the reduced-dynamics value ln(ε²/(ε²−1))/(2λ_{2,D}).

References
----------
.. [1] B. Žunkovič, E. Ilievski, "Grokking phase transitions in learning local rules with
   gradient descent", JMLR 25(199):1–52, 2024; arXiv:2210.15435.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from scipy import special

__all__ = [
    "alphas",
    "cap_error",
    "cap_error_critical",
    "cap_error_eq48",
    "cap_error_eq49",
    "cap_error_hypergeometric",
    "cap_error_isotropic",
    "first_crossing",
    "fit_power_law",
    "lam_D",
    "nu_ball",
    "nu_isotropic",
    "p_fast",
    "p_grok_eq30",
    "p_grok_eq32",
    "p_grok_eq33",
    "p_grok_eq86",
    "p_grok_eq90",
    "r_of_t",
    "reduced_dynamics_times",
    "sphere_cap_fraction",
    "stationary_eq31",
    "t_grok_fast",
    "t_grok_fast_pdf",
    "t_grok_mean",
    "t_slow",
    "w_moments",
]

ALPHA3_FORMS = ("derived", "printed")
SLOW_FORMS = ("printed", "reduced")


def lam_D(lam2, dim: int):
    """λ_{2,D} = λ₂ + 1/(D+2) (Sec. 3.3.2): the ridge plus the per-coordinate variance of the
    uniform unit ball."""
    return np.asarray(lam2, dtype=float) + 1.0 / (dim + 2)


# ---- test error: Eqs. 22, 23, 48–50 ----------------------------------------------------------
def cap_error(h, dim: int):
    """Exact test error E_D(h) of the ball model (Eq. 22): the fraction of the unit D-ball beyond
    a hyperplane at signed distance h from its centre, h = ε w₁/‖w‖.

    Notes
    -----
    Eq. 22 equals ½ I_{1−h²}((D+1)/2, ½) (regularised incomplete beta; [derived], spec §3.2), which
    keeps full relative precision as h → 1. E = 0 for h ≥ 1; E(−h) = 1 − E(h); E = 1 for h ≤ −1.
    """
    h = np.asarray(h, dtype=float)
    ah = np.abs(h)
    x = np.clip(1.0 - ah * ah, 0.0, 1.0)
    e = np.where(ah >= 1.0, 0.0, 0.5 * special.betainc((dim + 1) / 2.0, 0.5, x))
    return np.where(h >= 0.0, e, 1.0 - e)


def cap_error_hypergeometric(h, dim: int):
    """Eq. 22 as printed, for 0 ≤ h ≤ 1: ½ − [DΓ(D/2)/(2√πΓ((D+1)/2))]·₂F₁(½, (1−D)/2; 3/2; h²)·h
    (0 for h > 1). Kept to check :func:`cap_error`; it cancels catastrophically near h = 1."""
    h = np.asarray(h, dtype=float)
    pref = dim * math.exp(special.gammaln(dim / 2) - special.gammaln((dim + 1) / 2))
    pref /= 2 * math.sqrt(math.pi)
    val = 0.5 - pref * special.hyp2f1(0.5, (1 - dim) / 2, 1.5, h * h) * h
    return np.where(h > 1.0, 0.0, val)


def cap_error_critical(h, dim: int):
    """Eq. 23, the leading term of Eq. 22 as h → 1⁻:
    D 2^{(D−3)/2} Γ(D/2) / (√π Γ((D+3)/2)) · (1 − h)^{(D+1)/2} (0 for h ≥ 1)."""
    h = np.asarray(h, dtype=float)
    logc = (math.log(dim) + 0.5 * (dim - 3) * math.log(2.0) + special.gammaln(dim / 2)
            - 0.5 * math.log(math.pi) - special.gammaln((dim + 3) / 2))
    d = np.clip(1.0 - h, 0.0, None)
    return np.exp(logc) * d ** nu_ball(dim)


def nu_ball(dim: int) -> float:
    """The critical exponent ν = (D+1)/2 of the uniform ball (Eq. 23)."""
    return (dim + 1) / 2.0


def nu_isotropic(dim: int, xi: float = 0.0) -> float:
    """ν = (D + 1 − 2ξ)/2 for an isotropic density whose radial density diverges as δh^{−ξ} at
    the boundary (Eq. 50; ξ = 0 gives Eq. 49, ν = (D+1)/2)."""
    return (dim + 1 - 2 * xi) / 2.0


def sphere_cap_fraction(c, dim: int):
    """Fraction of the unit sphere S^{D−1} ⊂ R^D with x·u ≥ c, for 0 ≤ c ≤ 1:
    ½ I_{1−c²}((D−1)/2, ½) (D ≥ 2); 0 for c ≥ 1."""
    c = np.asarray(c, dtype=float)
    x = np.clip(1.0 - c * c, 0.0, 1.0)
    return np.where(c >= 1.0, 0.0, 0.5 * special.betainc((dim - 1) / 2.0, 0.5, x))


def cap_error_isotropic(h: float, dim: int, radial_pdf: Callable[[np.ndarray], np.ndarray]):
    """Exact test error of an isotropic class density with radial density ``radial_pdf(R)`` of
    ‖x‖ = R ∈ [0, 1]: E(h) = ∫_h^1 f_R(R) · sphere_cap_fraction(h/R) dR (quadrature).
    For f_R(R) = D R^{D−1} it equals Eq. 22 (Sec. 3.3.4)."""
    if h >= 1.0:
        return 0.0
    from scipy import integrate  # lazily: SciPy's integrate costs more to import than predict

    val, _ = integrate.quad(lambda r: radial_pdf(r) * sphere_cap_fraction(h / r, dim),
                            max(h, 0.0), 1.0, epsabs=0.0, epsrel=1e-11, limit=200)
    return float(val)


def cap_error_eq48(dh, dim: int, rho_cdf: Callable[[np.ndarray], np.ndarray]):
    """Eq. 48 (product approximation): E ≈ ½ I_{2δh−δh²}((D−1)/2, ½) · ∫₀^{δh} ρ(r) dr, with
    ``rho_cdf(δh)`` = ∫₀^{δh} ρ, ρ the density of r = 1 − ‖x‖ ([derived]: an approximation whose
    exponent is exact; for the uniform ball its prefactor is (D+1)/2 times that of Eq. 23)."""
    dh = np.asarray(dh, dtype=float)
    x = np.clip(2 * dh - dh * dh, 0.0, 1.0)
    return 0.5 * special.betainc((dim - 1) / 2.0, 0.5, x) * rho_cdf(dh)


def cap_error_eq49(dh, dim: int, rho0: float, rho1: float = 0.0):
    """Eq. 49: 2^{(D−1)/2} δh^{(D−1)/2} / ((D−1) B((D−1)/2, ½)) · (ρ₀ δh + ½ρ₁ δh²), the small-δh
    form of Eq. 48 for ρ(r) = ρ₀ + ρ₁ r (exponent (D+1)/2)."""
    dh = np.asarray(dh, dtype=float)
    a = (dim - 1) / 2.0
    logc = a * math.log(2.0) - math.log(dim - 1) - special.betaln(a, 0.5)
    return np.exp(logc) * dh**a * (rho0 * dh + 0.5 * rho1 * dh * dh)


def fit_power_law(x, y) -> tuple[float, float]:
    """Least-squares fit of log y = ν log x + log c; returns (ν, c). Used to measure the
    critical exponent from E against (1 − h) or (t_ε − t) (spec §1: ν by a fit)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        raise ValueError("fit_power_law needs at least two points with x > 0 and y > 0.")
    nu, logc = np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)
    return float(nu), float(math.exp(logc))


# ---- grokking probability: Eqs. 30–33 (N ≫ λ_{2,D} ≫ 1) ----------------------------------
def _sigma2(dim: int, n_train: int) -> float:
    """Var x̄_j = 1/(2N(D+2)) of a coordinate of the label-weighted mean (Eq. 29)."""
    return 1.0 / (2.0 * n_train * (dim + 2))


@lru_cache(maxsize=8)
def _leggauss(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(n)


_GL_X, _GL_W = _leggauss(24)
#: χ² probabilities whose quantiles split the w-axis where F_{χ²}(k w²) turns over.
_CDF_LEVELS = (1e-15, 1e-9, 1e-6, 1e-3, 0.05, 0.5, 0.95, 1 - 1e-6, 1 - 1e-12)


def _gauss_chi2(mu: float, sd: float, k: float, dof: int) -> float:
    """∫₀^∞ N(μ, sd²)(w) · F_{χ²_dof}(k w²) dw (the shared form of Eqs. 30 and 86).

    Composite 24-point Gauss–Legendre on panels bounded by μ + sd·{−12, …, 12} and by the
    w where k w² crosses χ²_dof quantiles (so that a steep CDF step is resolved); the tests
    compare it with adaptive quadrature. Mass beyond 12 sd is dropped (P ≲ 1e−30 when μ < 0).
    """
    if dof == 0:  # no perpendicular coordinate (D = 1): P(w₁ > 0)
        return float(special.ndtr(mu / sd))
    lo, hi = max(0.0, mu - 12 * sd), mu + 12 * sd
    if hi <= 0 or k <= 0:
        return 0.0
    cuts = list(mu + sd * np.arange(-12.0, 13.0))
    cuts += list(np.sqrt(2.0 * special.gammaincinv(dof / 2.0, _CDF_LEVELS) / k))  # χ² quantiles
    edges = np.unique(np.clip(np.array(cuts + [lo, hi]), lo, hi))
    a, b = edges[:-1, None], edges[1:, None]
    w = 0.5 * (b - a) * _GL_X + 0.5 * (a + b)
    f = np.exp(-0.5 * ((w - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
    f *= special.gammainc(dof / 2.0, 0.5 * k * w * w)
    return float(np.clip(np.sum(0.5 * (b - a) * _GL_W * f), 0.0, 1.0))


def chi2_pdf(x, dof: float):
    """Density of χ²_dof, x^{k/2−1} e^{−x/2} / (2^{k/2} Γ(k/2)) with k = dof (0 for x < 0).
    Written with ``scipy.special`` so that this module does not import ``scipy.stats``."""
    x = np.asarray(x, dtype=float)
    half = 0.5 * dof
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = special.xlogy(half - 1.0, x) - 0.5 * x - half * math.log(2.0) - special.gammaln(half)
        return np.where(x < 0, 0.0, np.exp(logp))


def binom_pmf(k, m: int, p: float):
    """Binomial probabilities C(m, k) p^k (1 − p)^{m−k} (log-space, ``scipy.special`` only)."""
    k = np.asarray(k, dtype=float)
    logc = special.gammaln(m + 1.0) - special.gammaln(k + 1.0) - special.gammaln(m - k + 1.0)
    return np.exp(logc + special.xlogy(k, p) + special.xlog1py(m - k, -p))


def _binom_isf(q: float, m: int, p: float) -> int:
    """Smallest k with P(K > k) ≤ q for K ~ Bin(m, p) (tail summed from the top, no
    cancellation)."""
    sf = np.cumsum(binom_pmf(np.arange(m, -1, -1), m, p))[::-1]  # sf[k] = P(K ≥ k)
    above = np.append(sf[1:], 0.0)  # P(K > k)
    return int(np.flatnonzero(above <= q)[0])


def _check_common(dim: int, n_train: int, eps: float) -> None:
    if int(dim) != dim or dim < 1:
        raise ValueError(f"The 'dim' parameter must be an integer ≥ 1. Got {dim!r} instead.")
    if int(n_train) != n_train or n_train < 1:
        raise ValueError(f"The 'n_train' parameter must be an integer ≥ 1. Got {n_train!r} "
                         f"instead.")
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"The 'eps' parameter must be a real number > 0. Got {eps!r} instead.")


def p_grok_eq30(dim: int, n_train: int, eps: float, lam2: float) -> float:
    """Grokking probability for λ₁ = 0 in the limit N ≫ λ_{2,D} ≫ 1 (Eq. 30):
    P = ∫_{−ε}^∞ dx̄₁ N(0, 1/(2N(D+2)))(x̄₁) P_reg((D−1)/2, N(D+2)(ε²−1)(x̄₁+ε)²/(ε²/λ_{2,D}+1)²).

    Notes
    -----
    P_reg(s, z) = F_{χ²_{2s}}(2z), so with u = x̄₁ + ε ~ N(ε, σ²), σ² = 1/(2N(D+2)),
    P = ∫₀^∞ N(ε, σ²)(u) F_{χ²_{D−1}}(k u²) du, k = (ε²−1)/(σ²(1 + ε²/λ_{2,D})²).
    P = 0 for ε ≤ 1 (LR-11; D ≥ 2).
    """
    _check_common(dim, n_train, eps)
    if eps < 1.0 or (eps == 1.0 and dim > 1):
        return 0.0
    s2 = _sigma2(dim, n_train)
    ld = float(lam_D(lam2, dim))
    k = (eps * eps - 1.0) / (s2 * (1.0 + eps * eps / ld) ** 2)
    return _gauss_chi2(eps, math.sqrt(s2), k, dim - 1)


def stationary_eq31(xbar, eps: float, lam1: float, lam2: float, dim: int,
                    printed_sign: bool = False):
    """Soft-thresholded stationary point for G ≈ λ_{2,D}·1 + ε⊗ε (Eq. 31), for label-weighted
    means ``xbar`` (shape (..., D)):

    w₁ = S(x̄₁ + ε, λ₁)/(λ_{2,D} + ε²), w_j = S(x̄_j, λ₁)/λ_{2,D} (j ≥ 2),
    S(b, λ) = sgn(b)·max(|b| − λ, 0).

    ``printed_sign=True`` uses the printed sgn(x̄₁) in w₁ (spec §6 erratum); it differs from the
    minimiser when x̄₁ < 0 < x̄₁ + ε.
    """
    xb = np.asarray(xbar, dtype=float)
    ld = float(lam_D(lam2, dim))
    b1 = xb[..., 0] + eps
    sgn1 = np.sign(xb[..., 0]) if printed_sign else np.sign(b1)
    w1 = np.where(lam1 >= np.abs(b1), 0.0, (b1 - lam1 * sgn1) / (ld + eps * eps))
    wj = np.where(lam1 >= np.abs(xb[..., 1:]),
                  0.0, (xb[..., 1:] - lam1 * np.sign(xb[..., 1:])) / ld)
    return np.concatenate([w1[..., None], wj], axis=-1)


def _truncated_sq_sums(c: float, kmax: int, n_draws: int, seed: int) -> np.ndarray:
    """Sorted Monte Carlo samples of S_k = Σ_{j≤k}(|Z_j| − c)², Z_j ~ N(0,1) conditioned on
    |Z_j| > c, for k = 1 … kmax (columns): the R_k of Eq. 32."""
    rng = np.random.default_rng(seed)
    tail = special.ndtr(-c)  # P(Z > c)
    u = rng.random((n_draws, kmax))
    absz = -special.ndtri(u * tail)  # |Z| | |Z| > c, by inversion of the tail
    s = np.cumsum((absz - c) ** 2, axis=1)
    s.sort(axis=0)
    return s


def p_grok_eq32(dim: int, n_train: int, eps: float, lam1: float, lam2: float, *,
                rk: str = "mc", n_draws: int = 10**6, seed: int = 0, n_nodes: int = 400) -> float:
    """Grokking probability with L1 in the limit N ≫ λ_{2,D} ≫ 1 (Eq. 32, corrected factor
    (1 + ε²/λ_{2,D})).

    P = ∫_{λ₁−ε}^∞ dx̄₁ N(0, σ²)(x̄₁) Σ_{k=0}^{D−1} C(D−1,k) p_λ^k (1−p_λ)^{D−1−k} ∫₀^U R_k,
    p_λ = 1 − erf(√(N(D+2)) λ₁), U = 2N(D+2)(ε²−1)((x̄₁+ε−λ₁)/(1+ε²/λ_{2,D}))², ∫₀^U R₀ = 1.

    Parameters
    ----------
    rk : ``"mc"`` — R_k is the density of Σ_{j≤k}(|Z_j| − c)² with Z_j ~ N(0,1) conditioned on
        |Z_j| > c = λ₁√(2N(D+2)) (the surviving soft-thresholded w_j; [derived]), sampled with
        ``n_draws`` draws (spec [project]: ≥ 10⁶) from ``seed``; ``"chi2"`` — the χ²_k density
        (the paper's estimate).
    n_nodes : Gauss–Legendre nodes of the x̄₁ quadrature on ±12σ.

    Notes
    -----
    For λ₁ = 0 (p_λ = 1, c = 0, R_{D−1} = χ²_{D−1}) this is Eq. 30.
    """
    _check_common(dim, n_train, eps)
    if rk not in ("mc", "chi2"):
        raise ValueError(f"rk must be 'mc' or 'chi2'. Got {rk!r} instead.")
    if lam1 < 0:
        raise ValueError(f"The 'lam1' parameter must be ≥ 0. Got {lam1!r} instead.")
    if eps <= 1.0 and dim > 1:
        return 0.0
    s2 = _sigma2(dim, n_train)
    sd = math.sqrt(s2)
    ld = float(lam_D(lam2, dim))
    kk = (eps * eps - 1.0) / (s2 * (1.0 + eps * eps / ld) ** 2)
    p = float(special.erfc(math.sqrt(n_train * (dim + 2)) * lam1))
    m = dim - 1
    # mixture CDF over the number k of surviving perpendicular weights
    if m == 0 or p == 0.0:
        kmax = 0
    else:
        kmax = m if p == 1.0 else int(min(m, _binom_isf(1e-17, m, p) + 1))
    weights = binom_pmf(np.arange(kmax + 1), m, p)
    samples = None
    if kmax > 0 and rk == "mc":
        c = lam1 / sd
        samples = _truncated_sq_sums(c, kmax, max(1000, min(n_draws, int(4e7 // kmax))), seed)

    def mix_cdf(v):
        u = kk * v * v
        out = np.full(v.shape, weights[0])
        for k in range(1, kmax + 1):
            if rk == "chi2":
                fk = special.gammainc(k / 2.0, 0.5 * u)
            else:
                col = samples[:, k - 1]
                fk = np.searchsorted(col, u, side="right") / col.size
            out = out + weights[k] * fk
        return out

    mu = eps - lam1  # v = x̄₁ + ε − λ₁ ~ N(ε − λ₁, σ²), w₁ > 0 ⇔ v > 0
    lo, hi = max(0.0, mu - 12 * sd), mu + 12 * sd
    if hi <= 0:
        return 0.0
    x, wq = _leggauss(n_nodes)
    v = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
    gauss = np.exp(-0.5 * ((v - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
    p_g = 0.5 * (hi - lo) * np.sum(wq * gauss * mix_cdf(v))
    return float(np.clip(p_g, 0.0, 1.0))


def p_grok_eq33(dim: int, n_train: int, eps: float, lam1):
    """Lower bound of Eq. 32 keeping only k = 0 (all perpendicular weights zeroed by L1; Eq. 33):
    P ≥ ½(1 + erf(√(N(D+2))(ε − λ₁))) · erf(√(N(D+2)) λ₁)^{D−1}. Vectorised over ``lam1``."""
    _check_common(dim, n_train, eps)
    s = math.sqrt(n_train * (dim + 2))
    lam1 = np.asarray(lam1, dtype=float)
    return 0.5 * (1.0 + special.erf(s * (eps - lam1))) * special.erf(s * lam1) ** (dim - 1)


# ---- App. B: Eqs. 81–86 and 90 (any λ₂, N ≫ 1) ---------------------------------------------
def alphas(dim: int, eps: float, lam2: float, alpha3: str = "derived") -> dict:
    """Coefficients of the first-order expansion of w^λ = G⁻¹a (Eqs. 81–82), s = λ_{2,D} + ε²:

    β = ε/s + ε/(s²(D+2)), α₁ = 1/s − 2ε²/s², α₂ = −ε/s², α₄ = −ε/(λ_{2,D} s) and
    α₃ = 1/λ_{2,D} − ε²/(λ_{2,D} s) = 1/s (``"derived"``, default) or the printed
    1/λ_{2,D} − ε/(λ_{2,D} s) (``"printed"``; spec §6).
    """
    if alpha3 not in ALPHA3_FORMS:
        raise ValueError(f"alpha3 must be one of {ALPHA3_FORMS}. Got {alpha3!r} instead.")
    ld = float(lam_D(lam2, dim))
    s = ld + eps * eps
    a3 = 1.0 / s if alpha3 == "derived" else 1.0 / ld - eps / (ld * s)
    return {"beta": eps / s + eps / (s * s * (dim + 2)), "alpha1": 1.0 / s - 2 * eps * eps / s**2,
            "alpha2": -eps / s**2, "alpha3": a3, "alpha4": -eps / (ld * s), "lam_D": ld, "s": s}


def w_moments(dim: int, n_train: int, eps: float, lam2: float,
              alpha3: str = "derived") -> tuple[float, float, float]:
    """(mean of w₁, sd of w₁, sd of w_j, j ≥ 2) of Eqs. 84–85, with the sample averages of Eq. 83
    (Table 2 moments of the uniform ball):

    w₁ ~ N(β + α₂/(D+2), α₁²/(2N(D+2)) + α₂²(D+1)/(N(D+2)²(D+4))),
    w_j ~ N(0, α₃²/(2N(D+2)) + α₄²/(2N(8+6D+D²))).
    """
    _check_common(dim, n_train, eps)
    a = alphas(dim, eps, lam2, alpha3)
    n, d = n_train, dim
    mu1 = a["beta"] + a["alpha2"] / (d + 2)
    var1 = a["alpha1"] ** 2 / (2 * n * (d + 2)) + a["alpha2"] ** 2 * (d + 1) / (
        n * (d + 2) ** 2 * (d + 4))
    varj = a["alpha3"] ** 2 / (2 * n * (d + 2)) + a["alpha4"] ** 2 / (2 * n * (8 + 6 * d + d * d))
    return mu1, math.sqrt(var1), math.sqrt(varj)


def p_grok_eq86(dim: int, n_train: int, eps: float, lam2: float,
                alpha3: str = "derived") -> float:
    """Grokking probability for λ₁ = 0, any λ₂, N ≫ 1 (App. B, Eq. 86; the Fig. 8 curves):
    P = ∫₀^∞ dw₁ N₁(w₁) F_{χ²_{D−1}}((ε² − 1) w₁²/σ_j²), N₁ the Eq. 84 density and σ_j from
    Eq. 85. Reduces to Eq. 30 for N ≫ λ_{2,D} ≫ 1 (Eq. 87). P = 0 at ε ≤ 1 (D ≥ 2)."""
    _check_common(dim, n_train, eps)
    if eps < 1.0 or (eps == 1.0 and dim > 1):
        return 0.0
    mu1, sd1, sdj = w_moments(dim, n_train, eps, lam2, alpha3)
    return _gauss_chi2(mu1, sd1, (eps * eps - 1.0) / sdj**2, dim - 1)


def p_grok_eq90(dim: int, n_train: int, eps: float, lam1: float, lam2: float, *,
                alpha3: str = "derived", printed: bool = False) -> float:
    """Lower bound of the grokking probability for small λ₁ > 0 (App. B.2, Eq. 90, with the
    erf arguments corrected by 1/√2, spec §6):

    P ≥ ((1 − p_λ)^{D−1}/2)(1 + erf((β + α₂/(D+2) − λ₁/(λ_{2,D} + ε²))/(√2 σ₁))),
    p_λ = 1 − erf((λ₁/λ_{2,D})/(√2 σ_j)). ``printed=True`` drops the √2 (as printed).
    """
    _check_common(dim, n_train, eps)
    mu1, sd1, sdj = w_moments(dim, n_train, eps, lam2, alpha3)
    a = alphas(dim, eps, lam2, alpha3)
    r = 1.0 if printed else math.sqrt(2.0)
    one_minus_p = special.erf((lam1 / a["lam_D"]) / (r * sdj))
    return float(0.5 * one_minus_p ** (dim - 1)
                 * (1.0 + special.erf((mu1 - lam1 / a["s"]) / (r * sd1))))


# ---- grokking-time density: Eqs. 38–47 --------------------------------------------------------
def _check_eps_gt1(eps: float) -> None:
    if not eps > 1.0:
        raise ValueError(f"The t_G density needs eps > 1 (zero test error exists only for ε > 1). "
                         f"Got eps={eps!r}.")


def t_grok_fast(rho, eps: float):
    """Fast-branch grokking time (Eq. 42), ρ = ‖w⊥(0)‖ (the norm, not its square):
    t_G = (1/ε²) ln[(1 − ρ)/(1 − (ε/√(ε²−1)) ρ)], for ρ² < 1 − 1/ε² (Eq. 40); NaN otherwise."""
    _check_eps_gt1(eps)
    rho = np.asarray(rho, dtype=float)
    k = eps / math.sqrt(eps * eps - 1.0)
    ok = (rho >= 0) & (k * rho < 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (np.log1p(-rho) - np.log1p(-k * rho)) / (eps * eps)
    return np.where(ok, t, np.nan)


def r_of_t(t, eps: float):
    """Eq. 44 as printed: r(t) = (ε²−1)(E−1)²(ε(εE² + 2√(ε²−1)E + ε) − 1)/(ε²(E²−1) + 1)²,
    E = e^{ε²t}; the squared inverse of Eq. 42 ([derived], LR-19). Evaluated in the stable form
    r = ((1 − q)/(k − q))², q = e^{−ε²t}, k = ε/√(ε²−1)."""
    _check_eps_gt1(eps)
    q = np.exp(-eps * eps * np.asarray(t, dtype=float))
    k = eps / math.sqrt(eps * eps - 1.0)
    return ((1.0 - q) / (k - q)) ** 2


def _r_of_t_printed(t, eps: float):
    """Eq. 44 literally (overflows for ε²t ≳ 350; for tests)."""
    e = np.exp(eps * eps * np.asarray(t, dtype=float))
    s = math.sqrt(eps * eps - 1.0)
    num = (eps * eps - 1.0) * (e - 1.0) ** 2 * (eps * (eps * e * e + 2 * s * e + eps) - 1.0)
    return num / (eps * eps * (e * e - 1.0) + 1.0) ** 2


def p_fast(dim: int, eps: float) -> float:
    """Weight of the fast branch (Eq. 45): p_fast = F_{χ²_{D−1}}(1 − 1/ε²) for w(0) ~ N(0, 1_D)."""
    _check_eps_gt1(eps)
    if dim == 1:
        return 1.0
    return float(special.gammainc((dim - 1) / 2.0, 0.5 * (1.0 - 1.0 / (eps * eps))))


def t_grok_fast_pdf(t, dim: int, eps: float):
    """Fast part of the t_G density (Eq. 43): χ²_{D−1}(r(t)) · dr/dt with r from Eq. 44; its
    integral over t ∈ (0, ∞) is p_fast (Eq. 45). dr/dt = 2ρ(k−1)ε² q/(k−q)², q = e^{−ε²t}."""
    _check_eps_gt1(eps)
    if dim < 2:
        raise ValueError("The t_G density needs dim ≥ 2 (a perpendicular weight).")
    t = np.asarray(t, dtype=float)
    q = np.exp(-eps * eps * t)
    k = eps / math.sqrt(eps * eps - 1.0)
    rho = (1.0 - q) / (k - q)
    drdt = 2.0 * rho * (k - 1.0) * eps * eps * q / (k - q) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        out = chi2_pdf(rho * rho, dim - 1) * drdt
    return np.where(t > 0, out, 0.0)


def t_slow(dim: int, eps: float, lam2: float, form: str = "printed") -> float:
    """Position of the slow-branch delta of the t_G density (Eq. 47), λ_D = λ_{2,D}:
    ``"printed"``: ln(ε⁴/(ε⁴−1))/(2λ_D) (the paper, Fig. 9); ``"reduced"``: ln(ε²/(ε²−1))/(2λ_D),
    the value the reduced dynamics (Eqs. 38–39) with the thresholds ε w₁ (train) and √(ε²−1) w₁
    (test) give for ‖w⊥(0)‖ > 1 (spec §6, LR-20)."""
    _check_eps_gt1(eps)
    if form not in SLOW_FORMS:
        raise ValueError(f"form must be one of {SLOW_FORMS}. Got {form!r} instead.")
    ld = float(lam_D(lam2, dim))
    e2 = eps * eps
    x = e2 * e2 if form == "printed" else e2
    return float(math.log(x / (x - 1.0)) / (2.0 * ld))


def t_grok_mean(dim: int, eps: float, lam2: float, form: str = "printed") -> float:
    """Mean grokking time of the bimodal density: ∫ t P_fast(t) dt + (1 − p_fast)·t_slow
    (Eqs. 42, 45, 47). The fast part is integrated over r = ‖w⊥(0)‖² ~ χ²_{D−1} with Eq. 42,
    E[t_G; fast] = ∫₀^{1−1/ε²} t_G(√r) χ²_{D−1}(r) dr."""
    _check_eps_gt1(eps)
    rmax = 1.0 - 1.0 / (eps * eps)
    if dim == 1:
        return 0.0
    from scipy import integrate

    fast, _ = integrate.quad(
        lambda r: float(t_grok_fast(math.sqrt(r), eps)) * float(chi2_pdf(r, dim - 1)),
        0.0, rmax, epsabs=1e-13, epsrel=1e-10, limit=200)
    return float(fast + (1.0 - p_fast(dim, eps)) * t_slow(dim, eps, lam2, form))


# ---- reduced dynamics (Eqs. 38–39) and a vectorised first-crossing finder -----------------------
def first_crossing(f: Callable[[np.ndarray], np.ndarray], t_grid: np.ndarray,
                   n_bisect: int = 80) -> np.ndarray:
    """First time at which ``f(t) ≤ 0`` for a batch of scalar functions.

    ``f`` maps times of shape (1, T) or (B, 1) to values of shape (B, T) or (B, 1) by
    broadcasting (row b is function b). The first
    grid point with f ≤ 0 is bracketed with the previous one and refined by ``n_bisect`` steps of
    vectorised bisection. Returns t_grid[0] where f(t_grid[0]) ≤ 0 and inf where no grid point
    has f ≤ 0. A crossing that enters and leaves between two grid points is missed.
    """
    t_grid = np.asarray(t_grid, dtype=float)
    vals = f(t_grid[None, :])
    hit = vals <= 0
    any_hit = hit.any(axis=1)
    idx = np.argmax(hit, axis=1)
    out = np.full(hit.shape[0], np.inf)
    at0 = any_hit & (idx == 0)
    out[at0] = t_grid[0]
    todo = any_hit & (idx > 0)
    lo = np.where(todo, t_grid[np.maximum(idx - 1, 0)], 0.0)
    hi = np.where(todo, t_grid[idx], 0.0)
    for _ in range(n_bisect):
        mid = 0.5 * (lo + hi)
        fm = f(mid[:, None])[:, 0]
        left = fm <= 0
        hi = np.where(left, mid, hi)
        lo = np.where(left, lo, mid)
    out[todo] = hi[todo]
    return out


def reduced_dynamics_times(w1_0, rho, eps: float, lam_d: float, *, rate1: float | None = None,
                           target1: float | None = None, t_end: float | None = None) -> dict:
    """Exact train and test times of the reduced dynamics (Eqs. 35–39), vectorised over initial
    conditions (w₁(0), ρ = ‖w⊥(0)‖):

    w₁(t) = w₁* + (w₁(0) − w₁*) e^{−κt} (fast; default κ = ε², w₁* = 1/ε as in the paper),
    ‖w⊥(t)‖ = ρ e^{−λ_D t} (slow).

    Zero training error when ‖w⊥‖ ≤ ε w₁ (worst sample, ξ_train ≈ 1/√(1+ε²), Eq. 37); zero test
    error when ‖w⊥‖ ≤ √(ε²−1) w₁ (h ≥ 1). Returns ``t_train``, ``t_eps``, ``t_grok`` = t_ε − t_train
    (first crossings, :func:`first_crossing`; inf where never) and ``fast`` (ρ² < 1 − 1/ε²,
    Eq. 40). Used as the Monte Carlo reference of the t_G density (Fig. 9, LR-18–20).
    """
    _check_eps_gt1(eps)
    w1_0 = np.atleast_1d(np.asarray(w1_0, dtype=float))
    rho = np.atleast_1d(np.asarray(rho, dtype=float))
    w1_0, rho = np.broadcast_arrays(w1_0, rho)
    kappa = eps * eps if rate1 is None else float(rate1)
    star = 1.0 / eps if target1 is None else float(target1)
    c_test = math.sqrt(eps * eps - 1.0)
    if t_end is None:
        t_end = 60.0 / min(kappa, lam_d) if lam_d > 0 else 60.0 / kappa
    grid = np.concatenate([[0.0], np.geomspace(1e-6 / kappa, t_end, 3000)])

    def w1(t):
        return star + (w1_0[:, None] - star) * np.exp(-kappa * t)

    def perp(t):
        return rho[:, None] * np.exp(-lam_d * t)

    t_train = first_crossing(lambda t: perp(t) - eps * w1(t), grid)
    t_eps = first_crossing(lambda t: perp(t) - c_test * w1(t), grid)
    with np.errstate(invalid="ignore"):
        t_grok = t_eps - t_train
    return {"t_train": t_train, "t_eps": t_eps, "t_grok": t_grok,
            "fast": rho * rho < 1.0 - 1.0 / (eps * eps)}
