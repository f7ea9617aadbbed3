"""Theory of the 1-D exponential model of Žunkovič & Ilievski (2024), Sec. 3.2 and App. A
(spec ``zunkovic2024-local-rules.md`` §2, errata §6).

NumPy, SciPy and mpmath only (no JAX), so that ``groklab predict exp-1d`` starts fast.

Model. Inputs x̃ with class densities P⁺(x̃) = e^{−(x̃−ε)}Θ(x̃−ε) and P⁻(x̃) = P⁺(−x̃) (a gap of
width 2ε), N samples per class: positives ε + e_i, negatives −ε − e′_i with e, e′ ~ Exp(1).
Perceptron f(x) = sgn(x − b) with the weight fixed to 1; the bias b is the only parameter and
follows the gradient flow (flow time t, no learning rate) of

    R(b) = (1/2N) Σ ½((x̃_i − b) − y_i)² + λ2 b²/2 + λ1|b|          (Eq. 4, λ1|b| per §6)
    db/dt = x̄ − sgn(b) λ1 − (1 + λ2) b                                (Eq. 5)

with x̄ the mean of all 2N inputs, x̄ = (m₊ − m₋)/2 and m± ~ Gamma(N, rate N) the means of the
Exp(1) parts. The combination ε_λ = ε(1 + λ2) + λ1 (Eq. 10) controls everything that does not
depend on b(0): the test error reaches zero for ever iff |x̄| < ε_λ (Eq. 11).

Contents (equation numbers of the paper):

* :func:`bias` — Eq. 6, continued exactly through b = 0 when λ1 > 0 (b sticks at 0 if
  |x̄| ≤ λ1, else continues on the negative branch); :func:`test_error` — Eq. 7 (both sides);
  :func:`loss_gen` — the population MSE ½(1 + ε² + b²) [derived].
* :func:`level_time` — first time b(t) comes down to a level; :func:`t_eps` — Eq. 8 with the
  corrected factor 1/(1+λ2); :func:`t_grok` — Eq. 16 (x_min = the smallest *Exp(1) part* of the
  positives, §6).
* :func:`density_mean_exp` — Eq. 12; :func:`density_xbar` — Eq. 13 (log-space Bessel ``kve``,
  with the closed half-integer form of K_{N−½} where ``kve`` over- or underflows).
* :func:`p_grok_dataset` — P_{E(∞)=0}: Eq. 15 for N = 2, otherwise the corrected Eq. 14 in
  mpmath with the working precision chosen from N ε_λ and verified by a second evaluation (for
  very large N ε_λ: 1 where a Chernoff bound allows, else a quadrature over the gamma laws of
  m±; :func:`p_grok_route`); :func:`p_grok_eq14`, :func:`p_grok_n2`, :func:`p_grok_quad`
  (quadrature of Eq. 13, the independent reference), :func:`p_grok_gamma`.
* :func:`tG_density_n2` — Eq. 17 (N = 2, λ2 = 0), algebraically simplified so that no
  exponential of e^{t} remains, and evaluated in mpmath (the bracket cancels by e^{2t}/ε_λ);
  :func:`tG_cdf_n2`, :func:`tG_mean_n2`; :func:`joint_density_n2` — App. A (N = 2).
* :func:`sample_xbar_xmin`, :func:`sample_tG` — Monte Carlo of (x̄, x_min) with the shortcut
  x_min ~ Exp(rate N), N m₊ = N x_min + Gamma(N − 1) [derived], and of Eq. 16 conditioned on
  grokking (|x̄| < ε_λ).

Time is dimensionless flow time throughout.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
from scipy import special as sc

__all__ = [
    "bias",
    "density_mean_exp",
    "density_xbar",
    "eps_lambda",
    "joint_density_n2",
    "level_time",
    "log_density_xbar",
    "loss_gen",
    "p_grok_dataset",
    "log_tail_bound",
    "p_grok_eq14",
    "p_grok_gamma",
    "p_grok_n2",
    "p_grok_quad",
    "p_grok_route",
    "sample_tG",
    "sample_xbar_xmin",
    "t_eps",
    "t_grok",
    "test_error",
    "tG_cdf_n2",
    "tG_density_n2",
    "tG_mean_n2",
    "xbar_lambda",
]

LN10 = math.log(10.0)
#: Relative agreement required between two mpmath evaluations of Eq. 14 at different precision.
EQ14_SELF_RTOL = 1e-18
#: Most digits :func:`p_grok_dataset` spends on Eq. 14 (about 0.2 s); beyond, the gamma-law
#: quadrature :func:`p_grok_gamma` is used.
EQ14_MAX_DPS = 1500


# ---- parameters and the bias flow ---------------------------------------------------------------
def eps_lambda(eps: float, lam1: float = 0.0, lam2: float = 0.0) -> float:
    """ε_λ = ε(1 + λ2) + λ1 (Eq. 10): L2 multiplies the gap, L1 adds to it."""
    return eps * (1.0 + lam2) + lam1


def xbar_lambda(xbar, lam1: float = 0.0, lam2: float = 0.0, sign: int = 1):
    """The fixed point x̄_λ of Eq. 5 on the branch b ≥ 0 (``sign`` = +1): (x̄ − λ1)/(1+λ2), or on
    the branch b < 0 (``sign`` = −1): (x̄ + λ1)/(1+λ2) (Eq. 6)."""
    return (np.asarray(xbar, dtype=float) - sign * lam1) / (1.0 + lam2)


def bias(t, xbar, b0: float, lam1: float = 0.0, lam2: float = 0.0) -> np.ndarray:
    """The exact solution b(t) of Eq. 5 from b(0) = ``b0`` > 0.

    Notes
    -----
    Eq. 6, b(t) = x̄_λ − (x̄_λ − b(0)) e^{−(1+λ2)t} with x̄_λ = (x̄ − λ1)/(1+λ2), holds while b > 0.
    If x̄_λ < 0 the bias reaches 0 at t₀ = log((b(0) − x̄_λ)/(−x̄_λ))/(1+λ2); with sgn(0) = 0 and
    the subgradient of λ1|b| it then stays at 0 when |x̄| ≤ λ1, and otherwise follows the
    negative branch b(t) = x̄₋(1 − e^{−(1+λ2)(t−t₀)}), x̄₋ = (x̄ + λ1)/(1+λ2) (for λ1 = 0 the two
    branches coincide). ``t`` and ``xbar`` broadcast against each other.
    """
    if not b0 > 0:
        raise ValueError(f"bias() needs b0 > 0 (Eq. 6, branch b ≥ 0); got b0={b0!r}.")
    t, xbar = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(xbar, dtype=float))
    k = 1.0 + lam2
    cp = xbar_lambda(xbar, lam1, lam2, +1)
    cm = xbar_lambda(xbar, lam1, lam2, -1)
    pos = cp + (b0 - cp) * np.exp(-k * t)
    hits = cp < 0
    with np.errstate(divide="ignore", invalid="ignore"):
        t0 = np.where(hits, np.log((b0 - cp) / np.where(hits, -cp, 1.0)) / k, np.inf)
    after = t > t0
    since = np.where(after, t, 0.0) - np.where(after, t0, 0.0)  # t − t₀ where b < 0
    neg = np.where(np.abs(xbar) <= lam1, 0.0, -cm * np.expm1(-k * since))
    return np.where(after, neg, pos)


def test_error(b, eps: float) -> np.ndarray:
    """Eq. 7: E = ½(1 − e^{ε−b}) for b > ε, ½(1 − e^{ε+b}) for b < −ε, else 0 (exact population
    error of f(x) = sgn(x − b), both classes weighted ½)."""
    b = np.asarray(b, dtype=float)
    up = -0.5 * np.expm1(np.minimum(eps - b, 0.0))
    down = -0.5 * np.expm1(np.minimum(eps + b, 0.0))
    return np.where(b > eps, up, np.where(b < -eps, down, 0.0))


def loss_gen(b, eps: float) -> np.ndarray:
    """Population value of the data term of Eq. 4, E[½(x̃ − b − y)²] = ½(1 + ε² + b²) [derived:
    each class has mean ±(ε + 1) and variance 1]."""
    b = np.asarray(b, dtype=float)
    return 0.5 * (1.0 + eps * eps + b * b)


def level_time(level, xbar, b0: float, lam1: float = 0.0, lam2: float = 0.0) -> np.ndarray:
    """First flow time at which b(t) ≤ ``level``, from b(0) = ``b0`` > 0 (exact, :func:`bias`).

    0 if b(0) ≤ level. For level > 0 (Eq. 6 on the branch b ≥ 0; Eq. 8 for level = ε):
    (1/(1+λ2)) log((b(0) − x̄_λ)/(level − x̄_λ)) if x̄_λ < level. For level ≤ 0 the bias must first
    reach 0 (at t₀, needs x̄_λ < 0; level 0 is reached there) and then follow the negative
    branch: t₀ + (1/(1+λ2)) log(x̄₋/(x̄₋ − level)) if x̄₋ = (x̄ + λ1)/(1+λ2) < level (for λ1 = 0
    the same expression as above). inf where b never comes down to the level.
    """
    level, xbar = np.broadcast_arrays(np.asarray(level, dtype=float),
                                      np.asarray(xbar, dtype=float))
    k = 1.0 + lam2
    cp = xbar_lambda(xbar, lam1, lam2, +1)
    cm = xbar_lambda(xbar, lam1, lam2, -1)
    pos = level > 0
    zero = level == 0  # reached at t₀ also when b then sticks at 0 (|x̄| ≤ λ1)
    reach = np.where(pos, cp < level, (cp < 0) & ((cm < level) | zero))
    neg = reach & ~pos & ~zero
    with np.errstate(divide="ignore", invalid="ignore"):
        t_pos = np.log((b0 - cp) / np.where(reach & pos, level - cp, 1.0)) / k
        t0 = np.log((b0 - cp) / np.where(reach & ~pos, -cp, 1.0)) / k
        t_neg = t0 + np.log(np.where(neg, cm / np.where(neg, cm - level, 1.0), 1.0)) / k
    return np.where(b0 <= level, 0.0, np.where(reach, np.where(pos, t_pos, t_neg), np.inf))


def t_eps(xbar, eps: float, b0: float, lam1: float = 0.0, lam2: float = 0.0) -> np.ndarray:
    """Generalisation time t_ε, the first time with zero test error (corrected Eq. 8):
    t_ε = (1/(1+λ2)) log((b(0) − x̄_λ)/(ε − x̄_λ)) for x̄_λ < ε < b(0); inf if x̄_λ ≥ ε.

    Notes
    -----
    The paper prints Eq. 8 without the factor 1/(1+λ2); Eq. 6 requires it (spec §6).
    """
    return level_time(eps, xbar, b0, lam1, lam2)


def t_grok(xbar, x_min, eps: float, lam1: float = 0.0, lam2: float = 0.0) -> np.ndarray:
    """Grokking time t_G = t_ε − t_train (Eq. 16) of a training set with mean ``xbar`` and
    smallest positive Exp(1) part ``x_min`` (smallest positive input ε + x_min):

        t_G = (1/(1+λ2)) log((ε + x_min − x̄_λ)/(ε − x̄_λ))
            = (1/(1+λ2)) log((ε_λ + (1+λ2) x_min − x̄)/(ε_λ − x̄))   [derived]

    Valid for b(0) > ε + x_min (t_G then does not depend on b(0)); inf where x̄ ≥ ε_λ.

    Notes
    -----
    Sec. 3.2.1 calls the smallest positive *input* x_min; Eq. 16 needs the Exp(1) part (§6).
    """
    xbar, x_min = np.broadcast_arrays(np.asarray(xbar, dtype=float),
                                      np.asarray(x_min, dtype=float))
    k = 1.0 + lam2
    gap = eps_lambda(eps, lam1, lam2) - xbar
    ok = gap > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.log1p(k * x_min / np.where(ok, gap, 1.0)) / k
    return np.where(ok, t, np.inf)


# ---- densities of the training-set mean ---------------------------------------------------------
def density_mean_exp(x, n: int) -> np.ndarray:
    """Eq. 12: density of the mean of N Exp(1) samples, N^N/Γ(N) x^{N−1} e^{−Nx} Θ(x) (the
    Gamma(N, rate N) law of m±)."""
    x = np.asarray(x, dtype=float)
    if n == 1:
        return np.where(x >= 0, np.exp(-np.maximum(x, 0.0)), 0.0)
    pos = x > 0
    xs = np.where(pos, x, 1.0)
    logp = n * math.log(n) - sc.gammaln(n) + (n - 1) * np.log(xs) - n * xs
    return np.where(pos, np.exp(logp), 0.0)


def _log_density_series(x: np.ndarray, n: int) -> np.ndarray:
    """log P_N(x) from the closed form of K_{N−½} (a half-integer order):
    P_N(x) = N^N/Γ(N) e^{−2Nx} Σ_{k=0}^{N−1} (N−1+k)!/(k!(N−1−k)!) (4N)^{−k} x^{N−1−k}, x ≥ 0.
    All terms are positive (log-sum-exp, no cancellation)."""
    k = np.arange(n, dtype=float)
    logc = sc.gammaln(n + k) - sc.gammaln(k + 1) - sc.gammaln(n - k) - k * math.log(4 * n)
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # x = 0: log 0 = −inf, 0·(−inf)
        lx = np.log(x)[..., None]
        powers = np.where(k == n - 1, 0.0, (n - 1 - k) * lx)  # x^0 = 1, also at x = 0
    return n * math.log(n) - sc.gammaln(n) - 2 * n * x + sc.logsumexp(logc + powers, axis=-1)


def log_density_xbar(x, n: int) -> np.ndarray:
    """log of Eq. 13, the density of x̄ = (m₊ − m₋)/2 (symmetric in x̄):

        P_N(x̄) = 2 N^{N+½} |x̄|^{N−½} K_{N−½}(2N|x̄|) / (√π Γ(N)).

    Evaluated in log space with the exponentially scaled ``kve``; where ``kve`` over- or
    underflows (large N, x̄ near 0 or far out) and at x̄ = 0, the half-integer closed form of
    K_{N−½} is used instead (:func:`_log_density_series`)."""
    if not (isinstance(n, int | np.integer) and n >= 1):
        raise ValueError(f"n must be an integer ≥ 1 (samples per class); got {n!r}.")
    x = np.abs(np.asarray(x, dtype=float))
    v = n - 0.5
    z = 2 * n * x
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        kv = sc.kve(v, z)
    ok = (x > 0) & np.isfinite(kv) & (kv > 0) & (kv < 1e300)
    out = np.empty_like(x)
    xs = np.where(ok, x, 1.0)
    out[...] = np.where(
        ok,
        math.log(2) + (n + 0.5) * math.log(n) + v * np.log(xs)
        + np.log(np.where(ok, kv, 1.0)) - z - 0.5 * math.log(math.pi) - sc.gammaln(n),
        0.0,
    )
    if not np.all(ok):
        out[~ok] = _log_density_series(x[~ok], n)
    return out


def density_xbar(x, n: int) -> np.ndarray:
    """Eq. 13 (see :func:`log_density_xbar`)."""
    return np.exp(log_density_xbar(x, n))


# ---- grokking probability -----------------------------------------------------------------------
def _check_pn(eps_lam: float, n: int) -> None:
    if not (isinstance(n, int | np.integer) and n >= 1):
        raise ValueError(f"n must be an integer ≥ 1 (samples per class); got {n!r}.")
    if not (math.isfinite(eps_lam) and eps_lam > 0):
        raise ValueError(f"eps_lam must be a finite number > 0; got {eps_lam!r}.")


def p_grok_n2(eps_lam) -> np.ndarray:
    """Eq. 15 (N = 2): P = 1 − (1 + 2ε_λ) e^{−4ε_λ}, written −expm1(−4ε_λ) − 2ε_λ e^{−4ε_λ} so that
    small ε_λ keeps its digits."""
    s = np.asarray(eps_lam, dtype=float)
    return -np.expm1(-4 * s) - 2 * s * np.exp(-4 * s)


def _eq14_terms(s, n: int, dps: int):
    with mp.workdps(dps):
        s, N = mp.mpf(s), mp.mpf(n)
        z = (N * s) ** 2
        sign = 1 if n % 2 == 0 else -1
        t1 = (sign * mp.sqrt(mp.pi) * (N * s) ** (2 * n) * mp.hyp1f2(N, N + 0.5, N + 1, z)
              / (mp.gamma(N + 0.5) * mp.gamma(N + 1)))
        t2 = (-sign * mp.pi * N * s * mp.hyp1f2(mp.mpf(1) / 2, mp.mpf(3) / 2, 1.5 - N, z)
              / (mp.gamma(mp.mpf(3) / 2) * mp.gamma(1.5 - N) * mp.gamma(N)))
        return t1 + t2


def p_grok_eq14(eps_lam: float, n: int, dps: int | None = None) -> float:
    """The corrected Eq. 14, P = 2∫₀^{ε_λ} P_N(x̄) dx̄, in arbitrary precision:

        P = √π (−1)^N (Nε_λ)^{2N} ₁F̃₂(N; N+½, N+1; N²ε_λ²)
            + π (−1)^{N+1} N ε_λ ₁F̃₂(½; 3/2, 3/2−N; N²ε_λ²) / Γ(N),

    ₁F̃₂ the regularised ₁F₂ (divided by Γ(b1)Γ(b2)).

    Notes
    -----
    The printed Eq. 14 has (Bε_λ)^{2N} and Γ(Nd); B → N and Γ(Nd) → Γ(N) (spec §6). The two terms
    grow like e^{2Nε_λ} and cancel, so the working precision is 30 + 3Nε_λ/ln 10 digits (or
    ``dps``); the value is recomputed with 20 more digits and the precision raised until the two
    agree to 1e-18. If that needs more than ``4·EQ14_MAX_DPS`` digits, or mpmath's series does
    not converge, :func:`p_grok_gamma` is returned instead.
    """
    _check_pn(eps_lam, n)
    work = dps if dps is not None else _eq14_dps(eps_lam, n)
    try:
        while work <= 4 * EQ14_MAX_DPS:
            a = _eq14_terms(eps_lam, n, work)
            b = _eq14_terms(eps_lam, n, work + 20)
            if abs(a - b) <= EQ14_SELF_RTOL * abs(b):
                return float(b)
            work = 2 * work
    except mp.libmp.NoConvergence:
        pass
    return p_grok_gamma(eps_lam, n)


def _eq14_dps(eps_lam: float, n: int) -> int:
    return 30 + int(math.ceil(3 * n * eps_lam / LN10))


def p_grok_quad(eps_lam: float, n: int) -> float:
    """2∫₀^{ε_λ} P_N(x̄) dx̄ by adaptive quadrature of Eq. 13 (SciPy ``quad``, relative tolerance
    1e-13): the independent reference for Eq. 14 (LR-02)."""
    _check_pn(eps_lam, n)
    scale = 1.0 / math.sqrt(2.0 * n)  # the standard deviation of x̄
    pts = [c * scale for c in (0.25, 1.0, 3.0, 8.0) if c * scale < eps_lam]

    def f(x: float) -> float:
        return float(density_xbar(np.array([x]), n)[0])

    from scipy.integrate import quad  # lazily: costly to import

    val = quad(f, 0.0, eps_lam, points=pts or None, epsabs=0.0, epsrel=1e-13, limit=400)[0]
    return min(2.0 * val, 1.0)


def _log1pmx(d: float) -> float:
    """log(1 + d) − d without cancellation for small |d| (series below 0.1)."""
    if abs(d) >= 0.1:
        return math.log1p(d) - d
    out, term, k = 0.0, d, 1  # term = (−1)^{k+1} d^k
    while True:
        k += 1
        term *= -d
        add = term / k
        out += add
        if abs(add) <= 1e-18 * abs(out):
            return out


def _log_mean_exp_pdf(y: float, n: int) -> float:
    """log of Eq. 12 (the Gamma(N, rate N) density of m±) at y > 0, written around the mean,
    log p = [N log N − N − log Γ(N)] + (N−1)(log(1+δ) − δ) − δ with δ = y − 1, and the bracket by
    Stirling's series for N ≥ 30 (next term 1/(1188 N⁹) < 1e-16), so that nothing of size N
    cancels (SciPy's gamma law loses ~N·1e-16)."""
    d = y - 1.0
    if n < 30:
        head = n * math.log(n) - n - math.lgamma(n)
    else:
        head = (0.5 * math.log(n / (2 * math.pi)) - 1 / (12 * n) + 1 / (360 * n**3)
                - 1 / (1260 * n**5) + 1 / (1680 * n**7))
    return head + (n - 1) * _log1pmx(d) - d


def p_grok_gamma(eps_lam: float, n: int) -> float:
    """P(|m₊ − m₋| < 2ε_λ) with m± ~ Gamma(N, rate N), as ∫ p_{m₋}(y)[F(y + 2ε_λ) − F(y − 2ε_λ)]dy
    (Eq. 12 for p, the regularised incomplete gamma function for F, quadrature over ±40 standard
    deviations): a route whose cost does not grow with N ε_λ (absolute accuracy ~1e-13 up to
    N = 10⁷), used where Eq. 14 would need too many digits."""
    _check_pn(eps_lam, n)
    sd = 1.0 / math.sqrt(n)
    lo, hi = max(0.0, 1.0 - 40 * sd), 1.0 + 40 * sd

    def f(y: float) -> float:
        if y <= 0:
            return 0.0
        up = sc.gammainc(n, n * (y + 2 * eps_lam))
        return math.exp(_log_mean_exp_pdf(y, n)) * (up - sc.gammainc(n, n * max(y - 2 * eps_lam,
                                                                                 0.0)))

    pts = [1.0 + c * sd for c in (-8, -4, -2, -1, 0, 1, 2, 4, 8) if lo < 1.0 + c * sd < hi]
    from scipy.integrate import quad  # lazily: costly to import

    val = quad(f, lo, hi, points=pts, epsabs=1e-15, epsrel=1e-13, limit=400)[0]
    return min(val, 1.0)


def log_tail_bound(eps_lam: float, n: int) -> float:
    """log of a Chernoff bound on 1 − P = P(|x̄| ≥ ε_λ): 2 min_θ E[e^{θ(m₊−m₋)}] e^{−2θε_λ}
    = 2 (1 − u²)^{−N} e^{−2Nuε_λ}, u = (√(1 + 4ε_λ²) − 1)/(2ε_λ) [derived]."""
    s = eps_lam
    u = 2 * s / (math.sqrt(1 + 4 * s * s) + 1)  # = (√(1+4s²) − 1)/(2s), without cancellation
    return math.log(2.0) - n * math.log1p(-u * u) - 2 * n * u * s


def p_grok_route(eps_lam: float, n: int) -> str:
    """Which evaluation :func:`p_grok_dataset` uses at (ε_λ, N)."""
    _check_pn(eps_lam, n)
    if n == 2:
        return "Eq. 15"
    if log_tail_bound(eps_lam, n) < math.log(1e-18):
        return "1 to double precision (Chernoff bound on 1 − P below 1e-18)"
    if _eq14_dps(eps_lam, n) <= EQ14_MAX_DPS:
        return "Eq. 14 (corrected, mpmath)"
    return "quadrature over the gamma laws of m± (N ε_λ too large for Eq. 14 in mpmath)"


def p_grok_dataset(eps_lam: float, n: int) -> float:
    """Grokking probability P_{E(∞)=0} over training sets = P(|x̄| < ε_λ) (Eq. 11): Eq. 15 for
    N = 2, otherwise the corrected Eq. 14 (:func:`p_grok_eq14`); 1.0 where a Chernoff bound puts
    1 − P below 1e-18, and :func:`p_grok_gamma` where Eq. 14 would need more than
    ``EQ14_MAX_DPS`` digits (:func:`p_grok_route`). Named ``p_grok_dataset`` to keep it apart
    from the attention-model quantity of Sec. 4.3.1 (spec §6)."""
    route = p_grok_route(eps_lam, n)
    if route.startswith("Eq. 15"):
        return float(p_grok_n2(eps_lam))
    if route.startswith("1 to"):
        return 1.0
    if route.startswith("Eq. 14"):
        return p_grok_eq14(eps_lam, n)
    return p_grok_gamma(eps_lam, n)


# ---- grokking-time density (N = 2, λ2 = 0) ------------------------------------------------------
def _eq17_mp(t: float, s: float):
    """Eq. 17 (unnormalised) at one t, in mpmath. With E = e^t the prefactor exponent
    −4E(2E+5)ε_λ/(E+1) − 2t is merged into every bracket term, which leaves

        8P(t) = e^{t−4s} − e^{−4s(2E−1)} (64s² e^{t} + 24s + (8s+3) e^{−t} + 2e^{−2t})
                − (E+1)(E² − (8s+1)E − 2) e^{−2t − 4s(E−1)/(E+1)}        (s = ε_λ),

    using 3 sinh t + cosh t = 2E − 1/E (an exact identity; the test suite checks it against the
    printed form). The first and last terms cancel to relative order e^{−2t} (and to order
    ε_λ at small t), so the precision grows with t."""
    dps = 25 + int((2 * t + max(0.0, -math.log(s))) / LN10)
    with mp.workdps(dps):
        t, s = mp.mpf(t), mp.mpf(s)
        E = mp.exp(t)
        a = 4 * s * (2 * E - 1)
        last = (E + 1) * (E**2 - (8 * s + 1) * E - 2) * mp.exp(-2 * t - 4 * s * (E - 1) / (E + 1))
        val = (mp.exp(t - 4 * s)
               - mp.exp(-a) * (64 * s**2 * E + 24 * s + (8 * s + 3) / E + 2 / E**2) - last)
        return val / 8


#: Beyond this flow time Eq. 17 (∝ e^{−t}) is below 1e-300 and returned as 0.
_T17_MAX = 700.0


def tG_density_n2(t, eps_lam: float, normalized: bool = True) -> np.ndarray:
    """Eq. 17: density of the grokking time t_G for N = 2, λ2 = 0 (depends on ε_λ only).

    Unnormalised it is the joint density of (t_G, "the set groks") and integrates to Eq. 15;
    ``normalized`` divides by Eq. 15 (the density of t_G among grokking sets, Fig. 5). Zero for
    t < 0. Evaluated in mpmath after merging the exponents (:func:`_eq17_mp`).
    """
    s = float(eps_lam)
    _check_pn(s, 2)
    t = np.asarray(t, dtype=float)
    flat = t.ravel()
    out = np.zeros(flat.shape)
    for i, ti in enumerate(flat):
        if 0 <= ti <= _T17_MAX:
            out[i] = float(_eq17_mp(float(ti), s))
    if normalized:
        out = out / float(p_grok_n2(s))
    return out.reshape(t.shape)


def _t17_grid(s: float, n: int = 4001) -> np.ndarray:
    """A grid on [0, T] for cumulative integrals of Eq. 17; T leaves a tail mass < 1e-15."""
    t_top = 40.0 + max(0.0, math.log(1.0 / s))
    return np.linspace(0.0, t_top, n)


def tG_cdf_n2(t, eps_lam: float, grid: int = 4001) -> np.ndarray:
    """CDF of the normalised Eq. 17: cumulative Simpson integral on a grid of ``grid`` points,
    interpolated linearly (error ≲ 1e-9 at the default grid)."""
    from scipy.integrate import cumulative_simpson

    s = float(eps_lam)
    tg = _t17_grid(s, grid)
    cdf = cumulative_simpson(tG_density_n2(tg, s), x=tg, initial=0.0)
    return np.interp(np.asarray(t, dtype=float), tg, cdf, left=0.0, right=1.0)


def tG_mean_n2(eps_lam: float) -> float:
    """Mean grokking time of grokking N = 2 sets, ∫ t Eq.17 dt / Eq. 15 (λ2 = 0), by quadrature
    on [0, 40 + log(1/ε_λ)] (the neglected tail is ∝ e^{−t}, below 1e-15)."""
    s = float(eps_lam)
    _check_pn(s, 2)
    top = float(_t17_grid(s, 2)[-1])
    pts = [p for p in (0.5, 1, 2, 4, 8, 16) if p < top]

    def f(t: float) -> float:
        return t * float(_eq17_mp(t, s))

    from scipy.integrate import quad  # lazily: costly to import

    val = quad(f, 0.0, top, points=pts, epsabs=0.0, epsrel=1e-11, limit=400)[0]
    return val / float(p_grok_n2(s))


def joint_density_n2(xbar, x_min) -> np.ndarray:
    """App. A (N = 2): joint density of (x̄, x_min), x_min ≥ 0 the smaller positive Exp(1) part,

        P(x̄, x_min) = 2e^{−4x̄} Θ(2x̄ − x_min) − 2e^{4x̄−4x_min}(8x̄ − 4x_min − 1) Θ(x_min − 2x̄).
    """
    xbar, x_min = np.broadcast_arrays(np.asarray(xbar, dtype=float),
                                      np.asarray(x_min, dtype=float))
    upper = 2 * np.exp(-4 * np.maximum(xbar, 0.0))
    lower = -2 * np.exp(np.minimum(4 * xbar - 4 * x_min, 0.0)) * (8 * xbar - 4 * x_min - 1)
    val = np.where(x_min < 2 * xbar, upper, lower)
    return np.where(x_min >= 0, val, 0.0)


# ---- Monte Carlo ------------------------------------------------------------------------------
def sample_xbar_xmin(n: int, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``size`` draws of (x̄, x_min) of N-per-class training sets, via the shortcut [derived]:
    x_min ~ Exp(rate N), N m₊ = N x_min + Gamma(N − 1, 1), N m₋ ~ Gamma(N, 1), x̄ = (m₊ − m₋)/2."""
    if not (isinstance(n, int | np.integer) and n >= 1):
        raise ValueError(f"n must be an integer ≥ 1 (samples per class); got {n!r}.")
    x_min = rng.standard_exponential(size) / n
    rest = rng.standard_gamma(n - 1, size) if n > 1 else np.zeros(size)
    m_plus = x_min + rest / n
    m_minus = rng.standard_gamma(n, size) / n
    return 0.5 * (m_plus - m_minus), x_min


def sample_tG(n: int, eps_lam: float, size: int, rng: np.random.Generator,
              lam2: float = 0.0) -> tuple[np.ndarray, int]:
    """Monte Carlo of Eq. 16 over ``size`` sampled training sets, kept where the set groks
    (|x̄| < ε_λ). Returns (the t_G samples, the number of grokking sets). With λ2 > 0 t_G
    depends on (ε_λ, λ2): t_G = log(1 + (1+λ2)x_min/(ε_λ − x̄))/(1+λ2) [derived]."""
    _check_pn(eps_lam, n)
    xbar, x_min = sample_xbar_xmin(n, size, rng)
    keep = np.abs(xbar) < eps_lam
    k = 1.0 + lam2
    t = np.log1p(k * x_min[keep] / (eps_lam - xbar[keep])) / k
    return t, int(keep.sum())
