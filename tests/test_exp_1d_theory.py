"""Theory of the 1-D exponential model (Žunkovič & Ilievski 2024, spec §2): Eqs. 12–17 and App. A
against independent computations (quadrature, mpmath Bessel functions, the printed Eq. 17,
Monte Carlo over directly sampled training sets). Claims LR-01, LR-02, LR-03, LR-07, LR-09."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from scipy import stats
from scipy.integrate import dblquad, quad

from groklab.theory import local_rules_exp1d as th

#: |z| bound of a Monte Carlo estimate against a formula (a factor-2 error gives |z| ≫ 10).
Z_MAX = 4.0
#: Eq. 14 (mpmath) vs quadrature of Eq. 13: both are accurate to ~1e-13.
EQ14_RTOL = 1e-10


def direct_sets(n: int, size: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """(x̄, x_min) of ``size`` directly sampled training sets (2N Exp(1) parts each)."""
    e = rng.standard_exponential((size, 2, n))
    return 0.5 * (e[:, 0].mean(axis=1) - e[:, 1].mean(axis=1)), e[:, 0].min(axis=1)


# ---- Eqs. 12, 13 ------------------------------------------------------------------------------
def test_eq12_is_the_gamma_density_of_the_mean():
    x = np.linspace(0.01, 4, 50)
    for n in (1, 3, 10):
        np.testing.assert_allclose(th.density_mean_exp(x, n),
                                   stats.gamma(n, scale=1 / n).pdf(x), rtol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10, 50])
def test_eq13_integrates_to_one(n):
    """LR-02: Eq. 13 is a normalised density (symmetric, so 2∫₀^∞ = 1)."""
    total = 2 * quad(lambda x: th.density_xbar(x, n), 0, np.inf, epsabs=0, epsrel=1e-12,
                     limit=200)[0]
    assert total == pytest.approx(1.0, rel=1e-10)


@pytest.mark.parametrize("n", [1, 2, 5, 40])
def test_eq13_matches_mpmath_bessel(n):
    """The log-space kve route (and its half-integer fallback) against mpmath's besselk."""
    xs = [1e-6, 1e-3, 0.05, 0.3, 1.0, 3.0]
    got = th.density_xbar(np.array(xs), n)
    with mp.workdps(40):
        ref = [float(2 * mp.mpf(n) ** (n + 0.5) * mp.mpf(x) ** (n - 0.5)
                     * mp.besselk(n - 0.5, 2 * n * mp.mpf(x)) / (mp.sqrt(mp.pi) * mp.gamma(n)))
               for x in xs]
    np.testing.assert_allclose(got, ref, rtol=1e-11)
    assert th.density_xbar(0.0, n) == pytest.approx(
        n * math.gamma(n - 0.5) / (math.sqrt(math.pi) * math.gamma(n)), rel=1e-12)


def test_eq13_large_n_uses_the_closed_form_where_kve_overflows():
    n = 400  # K_{399.5}(2Nx) overflows near x = 0
    x = np.array([0.0, 1e-4, 0.01, 0.05, 0.2])
    dens = th.density_xbar(x, n)
    assert np.all(np.isfinite(dens)) and np.all(dens > 0)
    ser = np.exp(th._log_density_series(x, n))
    np.testing.assert_allclose(dens, ser, rtol=1e-11)


def test_eq13_matches_monte_carlo():
    rng = np.random.default_rng(13)
    xbar, _ = direct_sets(5, 400_000, rng)
    edges = np.linspace(-0.8, 0.8, 17)
    counts = np.histogram(xbar, edges)[0]
    probs = np.array([quad(lambda x: th.density_xbar(x, 5), a, b, epsrel=1e-12)[0]
                      for a, b in zip(edges[:-1], edges[1:], strict=True)])
    z = (counts - xbar.size * probs) / np.sqrt(xbar.size * probs * (1 - probs))
    assert np.max(np.abs(z)) < Z_MAX, z


# ---- Eqs. 14, 15 ------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_eq14_equals_quadrature_of_eq13(n):
    """LR-02: the corrected Eq. 14 (mpmath) = 2∫₀^{ε_λ} Eq. 13 (SciPy quad)."""
    for s in (0.1, 0.4, 1.0):
        assert th.p_grok_eq14(s, n) == pytest.approx(th.p_grok_quad(s, n), rel=EQ14_RTOL)


def test_eq14_at_n2_is_eq15():
    for s in (0.004, 0.1, 0.4, 1.0, 3.0):
        assert th.p_grok_eq14(s, 2) == pytest.approx(float(th.p_grok_n2(s)), rel=1e-13)
    # Eq. 15 keeps its digits at small ε_λ: P = 2ε − 8ε³·(…) → 2ε
    assert float(th.p_grok_n2(1e-12)) == pytest.approx(2e-12, rel=1e-9)


@pytest.mark.parametrize("n,s", [(50, 1.0), (200, 0.1), (200, 0.4), (1000, 0.05)])
def test_eq14_is_stable_for_large_n(n, s):
    """The two terms of Eq. 14 are ~e^{2Nε_λ}; the adaptive precision still gives the integral."""
    p = th.p_grok_eq14(s, n)
    assert 0 < p <= 1
    assert p == pytest.approx(th.p_grok_quad(s, n), rel=1e-9)


def test_eq14_naive_double_precision_would_fail():
    """Why the precision is raised: at 15 digits Eq. 14 for N = 50, ε_λ = 1 is far from [0, 1]."""
    assert abs(float(th._eq14_terms(1.0, 50, 15))) > 2


@pytest.mark.parametrize("n", [2, 5, 10])
def test_p_grok_matches_monte_carlo(n):
    """LR-01: Eq. 15 (N = 2) / Eq. 14 equals P(|x̄| < ε_λ) over directly sampled sets."""
    rng = np.random.default_rng(100 + n)
    size = 200_000
    xbar, _ = direct_sets(n, size, rng)
    for s in (0.05, 0.2, 0.5, 1.0):
        p = th.p_grok_dataset(s, n)
        frac = float(np.mean(np.abs(xbar) < s))
        z = (frac - p) / math.sqrt(p * (1 - p) / size)
        assert abs(z) < Z_MAX, (n, s, frac, p, z)


def test_p_grok_increases_with_n_and_eps_lam():
    """LR-03."""
    eps = np.linspace(0.02, 1.5, 30)
    table = np.array([[th.p_grok_dataset(float(s), n) for s in eps] for n in (1, 2, 3, 5, 10, 20)])
    assert np.all(np.diff(table, axis=1) > 0)
    assert np.all(np.diff(table, axis=0) > 0)
    assert th.eps_lambda(0.2, 0.1, 0.5) == pytest.approx(0.4)


@pytest.mark.parametrize("bad", [0.0, -0.1, math.nan, math.inf])
def test_p_grok_rejects_bad_eps_lam(bad):
    with pytest.raises(ValueError, match="eps_lam"):
        th.p_grok_dataset(bad, 5)
    with pytest.raises(ValueError, match="n must be an integer"):
        th.p_grok_dataset(0.4, 0)


# ---- Eq. 16, 17, App. A -----------------------------------------------------------------------
def eq17_printed(t: float, s: float, dps: int = 120):
    """Eq. 17 exactly as printed (spec §2.3), in mpmath at high precision."""
    with mp.workdps(dps):
        t, s = mp.mpf(t), mp.mpf(s)
        E = mp.exp(t)
        pre = mp.exp(-4 * E * (2 * E + 5) * s / (E + 1) - 2 * t)
        br = (mp.exp(4 * E * s * (3 * mp.sinh(t) + mp.cosh(t) + 4) / (E + 1) + 3 * t)
              - 64 * s**2 * mp.exp(4 * (4 - 3 / (E + 1)) * s + 3 * t)
              - 24 * s * mp.exp(2 * ((8 - 6 / (E + 1)) * s + t))
              - 8 * s * mp.exp(4 * (4 - 3 / (E + 1)) * s + t)
              - 2 * mp.exp(4 * (4 * E + 1) * s / (E + 1))
              - 3 * mp.exp(4 * (4 - 3 / (E + 1)) * s + t)
              - (E + 1) * mp.exp(4 * (2 * E - 1 / (E + 1) + 2) * s) * (E * (E - 8 * s - 1) - 2))
        return float(pre * br / 8)


def eq17_from_joint(t: float, s: float) -> float:
    """Eq. 17 from App. A: change variables x_min → t_G at fixed x̄ (λ2 = 0), x_min = u =
    (s − x̄)(e^t − 1), and integrate the N = 2 joint density over u (Eqs. 73–74)."""
    em1 = math.expm1(t)
    top = min(2 * s * em1, 60.0)  # the joint density decays as e^{−4u}
    kink = 2 * s * em1 / (em1 + 2)  # u = 2x̄

    def f(u):
        return float(th.joint_density_n2(s - u / em1, u)) * u * (em1 + 1) / em1**2

    return quad(f, 0, top, points=[kink] if kink < top else None, epsabs=0, epsrel=1e-12,
                limit=200)[0]


@pytest.mark.parametrize("s", [0.4, 0.04, 0.004])
def test_eq17_equals_printed_form_and_app_a(s):
    for t in (0.01, 0.5, 2.0, 5.0, 10.0, 20.0):
        ours = float(th.tG_density_n2(t, s, normalized=False))
        assert ours == pytest.approx(eq17_printed(t, s), rel=1e-12), t
        assert ours == pytest.approx(eq17_from_joint(t, s), rel=1e-9), t


@pytest.mark.parametrize("s", [0.4, 0.04, 0.004])
def test_eq17_integrates_to_eq15(s):
    """LR-07."""
    total = quad(lambda t: float(th.tG_density_n2(t, s, normalized=False)), 0, 60,
                 points=[1, 2, 4, 8], epsabs=0, epsrel=1e-11, limit=200)[0]
    assert total == pytest.approx(float(th.p_grok_n2(s)), rel=1e-9)
    assert th.tG_cdf_n2(60.0, s) == pytest.approx(1.0, abs=1e-8)


def test_eq17_tail_decays_like_exp_minus_t():
    s = 0.04
    r = th.tG_density_n2(np.array([30.0, 31.0, 40.0]), s)
    assert r[1] / r[0] == pytest.approx(math.exp(-1), rel=1e-6)
    assert np.all(r > 0)


@pytest.mark.parametrize("s", [0.4, 0.04, 0.004])
def test_eq17_matches_sampled_eq16(s):
    """LR-07: normalised Eq. 17 = distribution of Eq. 16 over directly sampled N = 2 sets that
    grok (KS test), and its mean = the Monte Carlo mean."""
    rng = np.random.default_rng(int(1 / s))
    xbar, x_min = direct_sets(2, 1_000_000, rng)
    keep = np.abs(xbar) < s
    tg = th.t_grok(xbar[keep], x_min[keep], s)
    assert keep.sum() > 5000
    assert stats.kstest(tg, lambda x: th.tG_cdf_n2(x, s)).pvalue > 1e-3
    z = (tg.mean() - th.tG_mean_n2(s)) / (tg.std() / math.sqrt(tg.size))
    assert abs(z) < Z_MAX


def test_mean_tG_decreases_with_eps_lam_n2():
    """LR-08 at N = 2 from Eq. 17 (exact); N = 5, 10 are checked by the Fig. 5 claims."""
    means = [th.tG_mean_n2(s) for s in (0.4, 0.04, 0.004)]
    assert means[0] < means[1] < means[2]


def test_eq16_derived_form_and_printed_form_agree():
    """Eq. 16 in terms of x̄_λ equals the derived ε_λ form (λ1, λ2 > 0)."""
    xbar, x_min, eps, l1, l2 = 0.1, 0.3, 0.5, 0.2, 0.7
    k = 1 + l2
    xl = (xbar - l1) / k
    printed = math.log((eps + x_min - xl) / (eps - xl)) / k
    assert float(th.t_grok(xbar, x_min, eps, l1, l2)) == pytest.approx(printed, rel=1e-14)
    assert math.isinf(float(th.t_grok(2.0, 0.3, eps, l1, l2)))


def test_joint_density_n2_is_normalised_and_matches_samples():
    """LR-09: the App. A density integrates to 1, its x̄-marginal is Eq. 13 (N = 2), and it gives
    the probabilities of rectangles found in samples x̄ = (e1+e2−e3−e4)/4, x_min = min(e1, e2)."""
    def f(m, x):
        return float(th.joint_density_n2(x, m))

    parts = [(-20, 0, 0, 40), (0, 20, 0, None)]
    total = 0.0
    for xa, xb, ma, mb in parts:
        total += dblquad(f, xa, xb, lambda x, ma=ma: ma,
                         lambda x, mb=mb: mb if mb is not None else 2 * x, epsabs=1e-12)[0]
    total += dblquad(f, 0, 20, lambda x: 2 * x, lambda x: 2 * x + 40, epsabs=1e-12)[0]
    assert total == pytest.approx(1.0, abs=1e-8)
    for x in (-0.3, 0.1, 0.7):
        marg = quad(lambda m, x=x: f(m, x), 0, 40, points=[2 * x] if x > 0 else None,
                    epsabs=0, epsrel=1e-12)[0]
        assert marg == pytest.approx(float(th.density_xbar(x, 2)), rel=1e-9)
    rng = np.random.default_rng(9)
    xbar, x_min = direct_sets(2, 400_000, rng)
    for xa, xb, ma, mb in [(-0.5, 0.0, 0.0, 0.3), (0.0, 0.4, 0.0, 0.3), (0.1, 0.6, 0.3, 1.5),
                           (-1.0, -0.2, 0.5, 2.0)]:
        p = dblquad(f, xa, xb, lambda x, ma=ma: ma, lambda x, mb=mb: mb, epsabs=1e-12)[0]
        frac = np.mean((xbar > xa) & (xbar < xb) & (x_min > ma) & (x_min < mb))
        z = (frac - p) / math.sqrt(p * (1 - p) / xbar.size)
        assert abs(z) < Z_MAX, (xa, xb, ma, mb, frac, p)


def test_sampling_shortcut_matches_direct_sets():
    """x_min ~ Exp(rate N), N m₊ = N x_min + Gamma(N − 1) [derived]: same law as direct sets."""
    rng = np.random.default_rng(21)
    for n in (1, 5):
        xs, ms = th.sample_xbar_xmin(n, 100_000, rng)
        xd, md = direct_sets(n, 100_000, rng)
        assert stats.ks_2samp(xs, xd).pvalue > 1e-3
        assert stats.ks_2samp(ms, md).pvalue > 1e-3
    t, k = th.sample_tG(5, 0.4, 10_000, rng)
    assert t.size == k and 0 < k < 10_000 and np.all(t >= 0)


# ---- the flow formulas --------------------------------------------------------------------------
def test_bias_solves_eq5_including_the_l1_kink():
    """Eq. 6 continued through b = 0 against SciPy's ODE solver on the smooth pieces."""
    from scipy.integrate import solve_ivp

    b0, l1, l2 = 3.0, 0.3, 0.5
    t = np.linspace(0, 8, 81)
    for xbar in (1.0, 0.2, -0.8):
        def rhs(_, b, xbar=xbar):
            if abs(b[0]) < 1e-12 and abs(xbar) <= l1:
                return [0.0]
            return [xbar - np.sign(b[0]) * l1 - (1 + l2) * b[0]]

        sol = solve_ivp(rhs, (0, 8), [b0], t_eval=t, rtol=1e-11, atol=1e-12, max_step=0.01)
        np.testing.assert_allclose(th.bias(t, xbar, b0, l1, l2), sol.y[0], atol=1e-6)
    assert float(th.bias(np.inf, 0.2, b0, l1, l2)) == 0.0
    assert float(th.bias(np.inf, -0.8, b0, l1, l2)) == pytest.approx((-0.8 + l1) / (1 + l2))
    with pytest.raises(ValueError, match="b0 > 0"):
        th.bias(1.0, 0.1, -1.0)


def test_test_error_eq7_is_the_population_error():
    rng = np.random.default_rng(7)
    e = rng.standard_exponential((2, 400_000))
    eps = 0.3
    for b in (-1.0, -0.2, 0.0, 0.25, 0.8, 2.0):
        mc = 0.5 * (np.mean(eps + e[0] <= b) + np.mean(-eps - e[1] >= b))
        assert abs(float(th.test_error(b, eps)) - mc) < 4 * 0.5 / math.sqrt(e.shape[1]) + 1e-12
        mse = 0.5 * 0.5 * (np.mean((eps + e[0] - b - 1) ** 2) + np.mean((-eps - e[1] - b + 1) ** 2))
        assert float(th.loss_gen(b, eps)) == pytest.approx(mse, rel=0.01)


def test_level_time_inverts_bias_on_both_branches():
    """level_time(L) is the first t with b(t) = L, also below 0 (through the L1 kink); inf where b
    stays above L (checked on a dense grid of the exact b(t))."""
    b0, t = 3.0, np.linspace(0, 30, 30001)
    for xbar, l1, l2 in ((-0.8, 0.3, 0.5), (-0.8, 0.0, 0.0), (0.2, 0.3, 0.0), (1.0, 0.1, 0.2)):
        b = th.bias(t, xbar, b0, l1, l2)
        for level in (2.0, 0.5, 0.0, -0.1, -0.3):
            lt = float(th.level_time(level, xbar, b0, l1, l2))
            below = np.flatnonzero(b <= level + 1e-12)
            if math.isinf(lt):
                assert below.size == 0, (xbar, l1, l2, level)
            else:
                assert float(th.bias(lt, xbar, b0, l1, l2)) == pytest.approx(level, abs=1e-12)
                assert abs(t[below[0]] - lt) <= 1.5e-3, (xbar, l1, l2, level)


@pytest.mark.parametrize("n,s", [(3, 0.4), (10, 0.1), (50, 0.2), (1000, 0.01), (100_000, 0.001),
                                 (10**6, 0.002)])
def test_gamma_law_quadrature_equals_eq14(n, s):
    """The large-N route (gamma laws of m±) against Eq. 14 (up to ~850 digits here)."""
    assert th.p_grok_gamma(s, n) == pytest.approx(th.p_grok_eq14(s, n), rel=1e-11)


def test_chernoff_bound_and_routes_for_large_n():
    for n, s in ((10, 0.4), (50, 0.3), (300, 0.1)):  # the bound holds (1 − P from quadrature)
        tail = 2 * quad(lambda x, n=n: th.density_xbar(x, n), s, np.inf, epsabs=0,
                        epsrel=1e-12)[0]
        assert math.log(tail) <= th.log_tail_bound(s, n)
        assert th.log_tail_bound(s, n) - math.log(tail) < 10  # and is not vacuous
    assert th.p_grok_route(0.3, 2) == "Eq. 15"
    assert th.p_grok_route(0.3, 5).startswith("Eq. 14")
    assert th.p_grok_route(0.3, 2000).startswith("1 to double precision")
    assert th.p_grok_dataset(0.3, 2000) == 1.0
    assert th.p_grok_route(0.002, 10**7).startswith("quadrature over the gamma laws")
    p = th.p_grok_dataset(0.002, 10**7)
    lower = 1 - math.exp(th.log_tail_bound(0.002, 10**7)) - 1e-13
    assert lower <= p <= 1, (lower, p)
