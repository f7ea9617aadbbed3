"""Ensemble statistics of the local-rule experiments (Žunkovič & Ilievski 2024; LR-28, §5)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from groklab.theory import local_rules_stats as st


# ---- D_eff (LR-28) -----------------------------------------------------------------------------
@pytest.mark.parametrize("m", [1, 2, 3, 5])
def test_d_eff_of_m_equal_isotropic_components_is_m(m):
    """m equal-variance components (a random rotation of a D = 8 space) give D_eff = m; the
    sampling error of the ratios is O(1/√n), so 1 % at n = 40 000."""
    rng = np.random.default_rng(m)
    D, n = 8, 40_000
    pts = np.zeros((n, D))
    pts[:, :m] = rng.normal(size=(n, m))
    Q, _ = np.linalg.qr(rng.normal(size=(D, D)))
    assert st.d_eff(pts @ Q.T + 5.0) == pytest.approx(m, rel=0.01)


def test_d_eff_exact_values():
    """Points ±a e_1, ±b e_2 (4 points, exact variances a²/2, b²/2): D_eff = e^S from the ratios
    by hand; and the bounds 1 ≤ D_eff ≤ D."""
    a, b = 2.0, 1.0
    pts = np.array([[a, 0], [-a, 0], [0, b], [0, -b]])
    s = np.array([a * a, b * b]) / (a * a + b * b)
    assert st.d_eff(pts) == pytest.approx(math.exp(-np.sum(s * np.log(s))), rel=1e-12)
    assert st.d_eff(np.array([[0.0, 1.0], [0.0, -1.0], [0.0, 3.0]])) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    v = st.d_eff(rng.normal(size=(10, 50, 6)) * rng.uniform(0.1, 3, size=6))
    assert v.shape == (10,) and np.all((v >= 1) & (v <= 6))
    with pytest.raises(ValueError, match="zero variance"):
        st.d_eff(np.ones((5, 3)))
    with pytest.raises(ValueError, match="n ≥ 2"):
        st.d_eff(np.ones(3))


# ---- t_ε and alignment --------------------------------------------------------------------------
def test_generalization_times_and_alignment():
    t = np.arange(0, 10.0)
    err = np.array([[0.5, 0.4, 0.2, 0, 0, 0.1, 0, 0, 0, 0],
                    [0.5, 0.5, 0.5, 0.5, 0.3, 0.2, 0.1, 0, 0, 0],
                    [0.5] * 10])
    exact = np.zeros_like(err)
    exact[0, 3] = 0.01  # run 0: the long-string error vanishes but a short string is wrong
    t_eps = st.generalization_times(t, err, exact)
    np.testing.assert_array_equal(t_eps[:2], [4.0, 7.0])
    assert math.isnan(t_eps[2])
    lags, a = st.align(t, err, t_eps)
    assert a.shape == (3, lags.size) and np.all(np.isnan(a[2]))
    k0 = int(np.flatnonzero(lags == 0)[0])
    np.testing.assert_array_equal(a[:2, k0], 0.0)
    np.testing.assert_array_equal(a[:2, k0 - 1], [0.0, 0.1])  # one record before t_ε
    np.testing.assert_array_equal(a[:2, k0 - 2], [0.2, 0.2])
    m = st.aligned_mean(t, err, t_eps)
    assert m["mean"][k0 - 1] == pytest.approx(0.05)
    assert m["count"][k0 - 1] == 2 and m["count"][0] == 1  # lag −7 exists for run 1 only
    assert m["sem"][k0 - 1] == pytest.approx(np.std([0.0, 0.1], ddof=1) / math.sqrt(2))
    with pytest.raises(ValueError, match="shape"):
        st.align(t, err[:, :5], t_eps)


def test_align_interpolates_between_records():
    t = np.array([0.0, 2.0, 4.0])
    lags, a = st.align(t, np.array([[1.0, 0.5, 0.0]]), np.array([4.0]), lags=[-3.0, -1.0, 1.0])
    np.testing.assert_allclose(a[0, :2], [0.75, 0.25])
    assert math.isnan(a[0, 2])


# ---- ν fit --------------------------------------------------------------------------------------
def _synthetic(nu, runs=300, seed=0, noise=0.3):
    """Runs with E_r(t) = c_r (t_ε,r − t)^ν × lognormal noise before t_ε,r and 0 after, on a unit
    record grid; ⟨E⟩ ∝ (t_ε − t)^ν exactly in expectation."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, 600.0)
    t_eps = rng.integers(300, 500, size=runs).astype(float)
    c = rng.uniform(0.5, 1.5, size=runs) * 0.1 / 60**nu
    lag = t_eps[:, None] - t[None, :]
    noise_f = np.exp(noise * rng.normal(size=lag.shape) - noise**2 / 2)
    err = np.where(lag > 0, c[:, None] * np.abs(lag) ** nu * noise_f, 0.0)
    return t, np.minimum(err, 0.5), t_eps


@pytest.mark.parametrize("nu", [0.5, 1.0, 2.0])
def test_fit_nu_recovers_a_known_exponent(nu):
    t, err, t_eps = _synthetic(nu, seed=int(10 * nu))
    np.testing.assert_array_equal(st.generalization_times(t, err), t_eps)
    fit = st.fit_nu(t, err, t_eps, n_boot=100)
    assert fit.n_points >= 10 and fit.min_lag == 2.0
    assert 0 < fit.nu_err < 0.05  # informative: a factor-2 error in ν is > 10 σ
    assert abs(fit.nu - nu) < 3 * fit.nu_err
    assert np.all(fit.mean <= 0.1) and np.all(fit.lags <= -2)


def test_fit_nu_window_and_sensitivity():
    t, err, t_eps = _synthetic(1.0, runs=100)
    sens = st.nu_sensitivity(t, err, t_eps, n_boot=20)
    assert set(sens) == {0.05, 0.1, 0.2}
    assert sens[0.05].n_points < sens[0.1].n_points < sens[0.2].n_points
    for f in sens.values():
        assert abs(f.nu - 1.0) < 0.1
    with pytest.raises(ValueError, match="Fewer than 3 points"):
        st.fit_nu(t, err, t_eps, cutoff=1e-6)


# ---- spikes -------------------------------------------------------------------------------------
def test_detect_spikes_on_a_synthetic_series():
    e = np.arange(1000)
    loss = 0.2 * np.exp(-e / 300) + 0.01 + 1e-4 * np.sin(e / 3)  # smooth, slowly decaying
    spikes = [150, 400, 401, 402, 800]  # three events, the second lasting three epochs
    loss[spikes] += 0.05
    np.testing.assert_array_equal(st.detect_spikes(loss), [150, 400, 800])
    np.testing.assert_array_equal(st.detect_spikes(loss, merge=False)[:2], [150, 400])
    # a jump of 1.5 std is not a spike at k = 2, but is at k = 1
    x = np.tile([0.0, 1.0], 30)  # mean 0.5, std 0.5 over any 20 consecutive epochs
    x = np.append(x, 0.5 + 1.5 * 0.5)
    assert st.detect_spikes(x).size == 0
    np.testing.assert_array_equal(st.detect_spikes(x, k=1.0), [60])
    assert st.detect_spikes(loss[:20]).size == 0
    with pytest.raises(ValueError, match="1-D"):
        st.detect_spikes(np.ones((2, 30)))
    with pytest.raises(ValueError, match="window"):
        st.detect_spikes(loss, window=1)


def test_d_eff_step_across_a_spike():
    t = np.arange(0, 100.0, 2)
    d = np.where(t < 50, 2.0, 3.5)
    assert st.d_eff_step(t, d, 48, 52) == pytest.approx(1.5)
    assert st.d_eff_step(t, d, 20, 24) == 0.0
    assert st.d_eff_step(t, d, 44, 56, window=4) == pytest.approx(1.5)
    assert math.isnan(st.d_eff_step(t, d, 97, 99))


def test_eps_eff_of_two_gaussian_clouds():
    """Means ±μ e_1, isotropic σ in D dims: ‖μ₊ − μ₋‖/(2σ_intra) = 2μ/(2σ√D)."""
    rng = np.random.default_rng(1)
    D, mu, sig = 4, 3.0, 0.5
    pos = rng.normal(size=(200_000, D)) * sig + mu * np.eye(D)[0]
    neg = rng.normal(size=(200_000, D)) * sig - mu * np.eye(D)[0]
    assert st.eps_eff(pos, neg) == pytest.approx(mu / (sig * math.sqrt(D)), rel=0.01)
