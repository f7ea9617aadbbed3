"""groklab.theory.langevin (spec jules2023 §2.3, §2.5, §2.7, §3.1–3.5): every formula against an
independent computation — synthetic Gamma / AR(1) samples with known answers, quadrature,
autodiff — with tolerances that would catch a factor of 2."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from groklab.theory import langevin as th


def _ar1(rng, n, phi, chains=1):
    """AR(1) series x_k = φx_{k−1} + √(1−φ²)ε_k (unit variance, τ_int = (1+φ)/(1−φ))."""
    x = np.zeros((chains, n))
    eps = rng.standard_normal((chains, n)) * math.sqrt(1 - phi * phi)
    x[:, 0] = rng.standard_normal(chains)
    for k in range(1, n):
        x[:, k] = phi * x[:, k - 1] + eps[:, k]
    return x


# ---- §3.2 cross-entropy identities (LG-04) --------------------------------------------------
def test_ce_identities_and_asymptotics():
    m = np.linspace(-30, 40, 2001)
    ell, d1, d2 = th.ce_derivatives(m)
    # exact identities: σ(m) = e^{−ℓ}, ℓ' = −(1 − e^{−ℓ}), ℓ'' = e^{−ℓ}(1 − e^{−ℓ})
    np.testing.assert_allclose(d1, np.expm1(-ell), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(d2, np.exp(-ell) * -np.expm1(-ell), rtol=1e-12, atol=1e-300)
    # independent check of the derivatives: central finite differences of ℓ
    h = 1e-5
    fd1 = (th.ce_derivatives(m + h)[0] - th.ce_derivatives(m - h)[0]) / (2 * h)
    np.testing.assert_allclose(d1, fd1, rtol=1e-6, atol=1e-12)
    big = m > 8
    assert np.all(np.abs(d2[big] / ell[big] - 1) < 1e-3)
    assert np.all(np.abs(-d1[big] / ell[big] - 1) < 1e-3)
    # and the next order: ℓ'' = ℓ − (3/2)ℓ² + O(ℓ³)
    sel = (m > 8) & (m < 20)
    r = (d2[sel] - ell[sel]) / ell[sel] ** 2
    np.testing.assert_allclose(r, -1.5, rtol=1e-2)


# ---- §3.1 quadratic EM formulas ----------------------------------------------------------------
def test_em_variance_is_the_fixed_point_of_the_ou_recursion():
    # Var_{k+1} = (1 − ηk)² Var_k + 2ηT  ⇒  Var = 2ηT/(1 − (1 − ηk)²), computed independently
    k, T = np.array([0.5, 3.0, 19.0]), 0.01
    for eta in (1e-3, 0.05, 0.1):
        direct = 2 * eta * T / (1 - (1 - eta * k) ** 2)
        np.testing.assert_allclose(th.em_stationary_variance(k, T, eta), direct, rtol=1e-12)
    assert np.isnan(th.em_stationary_variance(np.array([30.0]), T, 0.1)[0])  # ηk = 3 ≥ 2
    assert th.em_step_bound(20.0) == pytest.approx(0.1)
    mean, var = th.em_quadratic_moments(k, T, 0.0)
    assert mean == pytest.approx(3 * T / 2) and var == pytest.approx(3 * T**2 / 2)


def test_homogeneous_wall_gamma_by_quadrature():
    # δL = Σ_a y_a⁴ in D = 2 directions: ⟨δL⟩ over exp(−δL/T) by 2-D quadrature = DT/n
    T = 0.3

    def moment(p):
        f = lambda y, x: (x**4 + y**4) ** p * math.exp(-(x**4 + y**4) / T)  # noqa: E731
        return integrate.dblquad(f, -4, 4, -4, 4)[0]

    z, m1, m2 = moment(0), moment(1), moment(2)
    mean, var = th.homogeneous_wall_moments(2, 4, T)
    assert m1 / z == pytest.approx(mean, rel=1e-6)
    assert m2 / z - (m1 / z) ** 2 == pytest.approx(var, rel=1e-6)


# ---- §3.4 toy model: change of variables u → ℓ ---------------------------------------------------
def _wall_moments(w, lo, hi):
    """Mean and variance of ℓ = e^{−u} (A = 1) under the unnormalised density w(u), by
    quadrature in u."""
    z = integrate.quad(w, lo, hi, limit=400)[0]
    m1 = integrate.quad(lambda u: math.exp(-u) * w(u), lo, hi, limit=400)[0] / z
    m2 = integrate.quad(lambda u: math.exp(-2 * u) * w(u), lo, hi, limit=400)[0] / z
    return m1, m2 - m1**2


@pytest.mark.parametrize("T", [1e-3, 1e-2, 1e-1])
def test_entropic_toy_density_is_gamma_by_quadrature(T):
    # p(u) ∝ exp(−αu − e^{−u}/T)
    alpha = 0.5
    u0 = math.log(1 / (alpha * T))
    mean, var = _wall_moments(lambda u: math.exp(-alpha * (u - u0) - math.exp(-u) / T + alpha),
                              u0 - 8, u0 + 120)
    ref = th.entropic_toy_moments(alpha, T)
    assert mean == pytest.approx(ref["mean"], rel=1e-5)
    assert var == pytest.approx(ref["var"], rel=1e-5)
    assert ref["curvature"] == pytest.approx(mean)  # ℓ''(u) = ℓ(u) for the wall


def test_energetic_toy_moments_by_quadrature():
    b, T = 0.01, 3e-3
    u0 = math.log(1 / b)
    mean, var = _wall_moments(lambda u: math.exp(-(math.exp(-u) + b * (u - u0)) / T),
                              u0 - 4, u0 + 40)
    ref = th.energetic_toy_moments(b, T)
    assert mean == pytest.approx(ref["mean"], rel=1e-5)
    assert var == pytest.approx(ref["var"], rel=1e-5)


# ---- §2.7 calibration on synthetic Gamma per-point losses (LG-08) ------------------------------
@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_near_boundary_and_participation_ratio_calibration(alpha):
    rng = np.random.default_rng(1)
    k, N, T, S = 12, 64, 1e-4, 40_000
    ell = rng.gamma(alpha, N * T, size=(S, k))
    ell = np.concatenate([ell, np.zeros((S, N - k))], axis=1)  # inactive points: ℓ = 0
    for c in (0.01, 0.1, 1.0):
        expected = th.near_boundary_expected(k, alpha, c)
        got = th.near_boundary_count(ell, N, T, c)
        assert abs(got - expected) < 4 * math.sqrt(k / S) + 1e-12, (c, got, expected)
    if alpha == 0.5:
        from scipy.special import erfc

        assert th.near_boundary_expected(k, 0.5, 0.1) == pytest.approx(k * erfc(math.sqrt(0.1)))
    pr = th.participation_ratio(ell)
    assert pr == pytest.approx(th.participation_ratio_expected(k, alpha), rel=0.02)


# ---- §2.3 diagnostics ----------------------------------------------------------------------------
@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9])
def test_tau_int_of_ar1(phi):
    x = _ar1(np.random.default_rng(2), 40_000, phi, chains=2)
    expected = (1 + phi) / (1 - phi)
    assert th.integrated_autocorr_time(x) == pytest.approx(expected, rel=0.15)
    assert th.ess(x) == pytest.approx(x.size / expected, rel=0.15)


def test_mean_se_covers_the_truth_over_repeats():
    # the ESS-based standard error of an AR(1) mean has the right size: z-scores ~ N(0, 1)
    rng = np.random.default_rng(3)
    z = []
    for _ in range(60):
        m, se, _ = th.mean_se(_ar1(rng, 4000, 0.8))
        z.append(m / se)
    assert 0.7 < np.std(z) < 1.4


def test_stationarity_flags_a_drifting_chain():
    rng = np.random.default_rng(4)
    x = _ar1(rng, 20_000, 0.9, chains=2)
    ok = th.stationarity(x)
    assert ok["stationary"] and abs(ok["drift_per_block"]) < 0.05
    drifting = x + np.linspace(0, 1.0, x.shape[1])  # drift of one std over the run
    bad = th.stationarity(drifting)
    assert not bad["stationary"]
    assert bad["z_halves"] > 5 and bad["drift_per_block"] > 0.1


# ---- §2.5 estimators on synthetic Gamma data ---------------------------------------------------
@pytest.mark.parametrize("D", [2, 6, 40])
def test_estimators_recover_D_from_gamma_samples(D):
    rng = np.random.default_rng(5)
    T = 1e-3
    # correlated Gamma(D/2, T) series: sums of D squared AR(1) (OU) coordinates, ½ y² each
    y = _ar1(rng, 20_000, 0.7, chains=D)
    L = (0.5 * T * y**2).sum(axis=0)
    est = th.estimators(L, T)
    for name in ("D_mean", "D_var", "D_ratio"):
        assert abs(est[name] - D) < 4 * est[f"{name}_se"], (name, est[name], est[f"{name}_se"])
        assert est[f"{name}_se"] < 0.2 * D  # the error bar is informative
    fit = th.gamma_fit(L[::10], T)
    assert fit["D_fit"] == pytest.approx(D, rel=0.15)
    assert fit["scale_over_T"] == pytest.approx(1.0, rel=0.15)


def test_estimator_errors_have_the_right_size():
    # over repeats, (D_est − D)/se has std ≈ 1 for D_mean and D_var (not 2× off either way)
    rng = np.random.default_rng(6)
    T, D = 1.0, 4
    zm, zv = [], []
    for _ in range(60):
        L = rng.gamma(D / 2, T, size=3000)
        est = th.estimators(L, T)
        zm.append((est["D_mean"] - D) / est["D_mean_se"])
        zv.append((est["D_var"] - D) / est["D_var_se"])
    assert 0.7 < np.std(zm) < 1.4
    assert 0.6 < np.std(zv) < 1.5


def test_heat_capacity_of_a_linear_mean():
    T = np.geomspace(1e-4, 1e-2, 5)
    D = 7.0
    mean = 0.3 + D * T / 2
    hc = th.heat_capacity(T, mean, se=1e-6 * np.ones_like(T))
    np.testing.assert_allclose(hc["D_C"], D, rtol=1e-9)
    assert hc["D_C_fit"] == pytest.approx(D, rel=1e-9)


def test_harmonic_prediction_relaxes_to_equipartition():
    k = np.array([2.0, 1.0, 1e-3, 1e-9, -0.1])
    h = th.harmonic_prediction(k, T=0.01, eta=0.1, times=[0, 10**7])
    assert h["n_plus"] == {1e-6: 3, 1e-4: 3, 1e-2: 2}
    assert h["mean_t"][0] == 0.0
    expected = sum(0.01 / (2 * (1 - 0.1 * kk / 2)) for kk in (2.0, 1.0, 1e-3, 1e-9))
    assert h["mean"] == pytest.approx(expected)
    # the 1e-9 mode has barely relaxed by t = 1e7 (ηk·t = 1e-3); the others have
    slow = 0.005 / (1 - 0.1e-9 / 2) * (1 - (1 - 1e-10) ** 2e7)
    fast = sum(0.01 / (2 * (1 - 0.1 * kk / 2)) for kk in (2.0, 1.0, 1e-3))
    assert h["mean_t"][1] == pytest.approx(fast + slow, rel=1e-9)
    assert slow < 0.01 * 0.005


def test_gamma_fit_ks_rejects_a_bimodal_sample():
    rng = np.random.default_rng(7)
    ok = th.gamma_fit(rng.gamma(3.0, 2.0, 5000), 2.0)
    assert ok["ks_p"] > 0.001 and ok["D_fit"] == pytest.approx(6.0, rel=0.1)
    bimodal = np.concatenate([rng.gamma(50.0, 0.02, 2500), rng.gamma(50.0, 0.1, 2500)])
    assert th.gamma_fit(bimodal, 1.0)["ks_p"] < 1e-6
