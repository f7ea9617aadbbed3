"""Protocol pieces behind jules2023 F4, F6, F8 and the F3 robustness checks (spec §2.2, §2.4,
§2.7, §2.8, §3.2), each against an independent computation: the production step check, the
per-point Gauss–Newton weights, the L0 shift, the toy calibration of D vs N_b, the projection
record and the variance estimate of the spread."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from groklab.dynamics import jax, jnp
from groklab.models import langevin_mlp as m
from groklab.models.langevin_mlp_net import Net, gn_per_point
from groklab.theory import langevin as th

TINY = {"d": 3, "n_train": 6, "width": 3, "depth": 1, "loss_target": 1e-3, "n_test": 4}


# ---- §2.2 production step check ------------------------------------------------------------
def test_halve_rule_fires_only_above_the_limit():
    eta = np.array([[0.1, 0.1, 0.2]])
    lam = np.array([[[0.5, 1.5], [0.5, 1.0], [0.2, 0.4]]])  # η·λ_max = 0.15, 0.10, 0.08
    new, fired = m.halve_unstable_steps(eta, lam)
    np.testing.assert_array_equal(fired, [[True, False, False]])  # 0.10 is not > 0.1
    np.testing.assert_allclose(new, [[0.05, 0.1, 0.2]], rtol=0)
    with pytest.raises(ValueError, match="shape"):
        m.halve_unstable_steps(eta, lam[..., 0])
    with pytest.raises(ValueError, match="positive"):
        m.halve_unstable_steps(-eta, lam)
    with pytest.raises(ValueError, match="finite"):
        m.halve_unstable_steps(eta, np.full_like(lam, np.nan))


@pytest.mark.parametrize("eta_lam, fires", [(0.6, True), (0.01, False)])
def test_produce_halves_and_reruns_only_where_eta_lambda_exceeds_0_1(eta_lam, fires):
    """A constructed burn-in state at θ0 with η·λ_1(θ0) = 0.6 (the rule must fire: at T ≈ 0
    the chain is gradient descent, which only lowers the loss and hence λ_1 a little) or 0.01
    (never fires): ``produce`` records the halvings, η = η0/2^halvings, and every (seed, T)
    ends with η·λ_1 ≤ 0.1 at all its production snapshots."""
    from groklab.figures.jules2023._ensemble import produce

    cfg = m.Config(**TINY)
    p = m.pretrain(cfg, 0)
    theta = np.broadcast_to(np.asarray(p["theta0"]), (1, 2, 2, cfg.n_params)).copy()
    eta0 = eta_lam / p["lambda_1"]
    eq = {"theta": theta, "eta": np.full((1, 2), eta0), "seeds": [0],
          "temperatures": [1e-8, 1e-7]}
    prod, snaps = produce(cfg, eq, n_prod=200, n_snap=2, record_every=10, chains=2)
    h = prod["eta_halvings"].values
    assert snaps.shape == (1, 2, 2, 2, cfg.n_params)
    assert bool(h.any()) is fires
    np.testing.assert_allclose(prod["eta"].values, eta0 / 2.0**h, rtol=1e-15)
    final = prod["eta"].values[..., None] * prod["check_lambda_1"].values
    assert (final <= 0.1).all() and (prod["eta_check_ok"].values == 1).all()
    if fires:
        assert (h >= 1).all() and (eq["eta"] * prod["check_lambda_1"].values.max(-1)
                                   > 0.1).all()
    else:
        np.testing.assert_array_equal(h, 0)


# ---- §3.2 per-point Gauss–Newton weight ----------------------------------------------------
def test_gn_per_point_matches_finite_differences_and_the_analytic_bce_curvature():
    """ℓ''(m_i)‖∇m_i‖² from per-sample autodiff against central finite differences of the
    margins (every coordinate of a P = 16 net) times the analytic ℓ''(m) = σ(m)σ(−m), which is
    itself checked against a finite second difference of ℓ(m) = ln(1 + e^{−m})."""
    cfg = m.Config(**TINY)
    net = Net.of(cfg)
    p = m.pretrain(cfg, 0)
    data = {"X": p["X"], "y": p["y"]}
    theta = np.asarray(p["theta0"]) + 0.3 * np.random.default_rng(0).standard_normal(
        cfg.n_params)
    margins = jax.jit(lambda th_: net.margins(th_, data["X"], data["y"]))
    h = 1e-5
    grads = np.stack([(np.asarray(margins(theta + h * e)) - np.asarray(margins(theta - h * e)))
                      / (2 * h) for e in np.eye(cfg.n_params)], axis=1)
    mi = np.asarray(margins(theta))
    ell, _, ell2 = th.ce_derivatives(mi)
    hh = 1e-4
    fd2 = (np.logaddexp(0, -(mi + hh)) - 2 * ell + np.logaddexp(0, -(mi - hh))) / hh**2
    np.testing.assert_allclose(ell2, fd2, rtol=1e-5)
    expected = ell2 * np.sum(grads**2, axis=1)
    got = np.asarray(gn_per_point(net, jnp.asarray(theta), data))
    np.testing.assert_allclose(got, expected, rtol=1e-7)
    # for small losses the weight is the point's own loss (§3.2): ℓ''/ℓ → 1
    assert float(np.mean(got)) == pytest.approx(
        float(jax.jit(lambda t: jnp.mean(gn_per_point(net, t, data)))(jnp.asarray(theta))))


# ---- §2.4 reference level ------------------------------------------------------------------
def test_l0_shift_moves_d_mean_by_exactly_2L0_over_T_and_leaves_d_var():
    from groklab.figures.jules2023.robustness import l0_sensitivity

    rng = np.random.default_rng(3)
    T, L0 = 1e-3, 4e-4
    L = 1e-4 + rng.gamma(6.0, T, size=(3, 4000))
    r = l0_sensitivity(L, T, L0)
    assert r["D_mean"] - r["D_mean_L0"] == pytest.approx(2 * L0 / T, rel=1e-10)
    assert r["D_var_L0"] == r["D_var"]
    assert r["D_var"] == pytest.approx(2 * L.var(ddof=1) / T**2, rel=1e-12)
    assert r["D_ratio_L0"] == pytest.approx(2 * (L.mean() - L0) ** 2 / L.var(ddof=1), rel=1e-12)
    assert r["D_mean_L0"] == pytest.approx(2 * (L.mean() - L0) / T, rel=1e-12)


# ---- §2.7 + §3.4 calibration of F4's toy line ----------------------------------------------
def test_toy_line_slope_is_2alpha_over_Q():
    assert th.toy_d_per_nb(0.5, 0.1) == pytest.approx(1 / special.erfc(math.sqrt(0.1)),
                                                      rel=1e-14)
    assert th.toy_d_per_nb(1.0, 0.1) == pytest.approx(2 / math.exp(-0.1), rel=1e-14)
    with pytest.raises(ValueError, match="positive"):
        th.toy_d_per_nb(0.0, 0.1)


def test_lg08_langevin_toy_n_b_and_d_per_n_b_match_the_calibration():
    """LG-08 with dynamics: k = 6 exponential walls with entropic confinement (α = ½) simulated
    by EM at the per-point scale T_pp; N_b(c) = ⟨#{ℓ_j ≥ c·T_pp}⟩ against k·Q(α, c), and
    D_var/N_b(0.1) against F4's toy slope 2α/Q(α, 0.1) ≈ 1.53 (a factor 2 is far outside)."""
    from groklab.dynamics.langevin import chain_keys, langevin_chains

    k, alpha, T, chains, thin = 6, 0.5, 1e-2, 64, 10
    n_rec, burn = 2500, 500
    wall = lambda u, c: jnp.sum(jnp.exp(-u) + c * u)  # noqa: E731
    inc = np.full(n_rec, thin)
    inc[0] = 0
    rec = langevin_chains(wall, lambda u, c: {"ell": jnp.exp(-u)},
                          jnp.full((chains, k), math.log(1 / (alpha * T))), alpha * T,
                          jnp.full(chains, T), jnp.full(chains, 0.002 / T),
                          chain_keys(7, chains), jnp.asarray(inc))
    ell = np.asarray(rec["ell"])[:, burn:]  # (chain, t, wall)
    for c in (0.01, 0.1, 1.0):
        nb = np.sum(ell >= c * T, axis=-1)
        mean, se, _ = th.mean_se(nb)
        expected = th.near_boundary_expected(k, alpha, c)
        assert abs(mean - expected) < 4 * se + 0.02 * expected, (c, mean, expected, se)
    est = th.estimators(ell.sum(-1), T)
    nb01 = th.near_boundary_count(ell, 1, T, 0.1)
    assert est["D_var"] / nb01 == pytest.approx(th.toy_d_per_nb(alpha, 0.1), rel=0.15)


# ---- F4 fit, F6 spread ---------------------------------------------------------------------
def test_linear_fit_matches_linregress():
    from groklab.figures.jules2023.scaling import linear_fit

    rng = np.random.default_rng(1)
    x = rng.uniform(0, 20, 30)
    y = 1.4 * x + 2 + rng.normal(0, 2, 30)
    f, ref = linear_fit(x, y), stats.linregress(x, y)
    assert f["slope"] == pytest.approx(ref.slope, rel=1e-12)
    assert f["intercept"] == pytest.approx(ref.intercept, rel=1e-12)
    assert f["r2"] == pytest.approx(ref.rvalue**2, rel=1e-12)
    with pytest.raises(ValueError, match="3 paired"):
        linear_fit(x[:2], y[:2])


def test_spread_statistics_recovers_known_variances_with_honest_errors():
    from groklab.figures.jules2023.harmonic import spread_statistics

    rng = np.random.default_rng(2)
    sig2 = np.array([1e-6, 3e-4, 2.0])
    x = rng.standard_normal((4, 5000, 3)) * np.sqrt(sig2)
    v, se = spread_statistics(x)
    assert np.all(np.abs(v - sig2) < 4 * se)
    # Gaussian i.i.d.: se(var) = σ²·√(2/n)
    np.testing.assert_allclose(se, sig2 * math.sqrt(2 / x[..., 0].size), rtol=0.2)


def test_simulate_records_projections_on_given_directions():
    cfg = m.Config(**TINY)
    p = m.pretrain(cfg, 0)
    ref = np.asarray(p["theta0"])[None]
    V = np.linalg.qr(np.random.default_rng(4).standard_normal((cfg.n_params, 3)))[0].T[None]
    ds = m.simulate(cfg, [0, 20, 40], temperatures=[1e-3], chains=2, record=("proj",),
                    projection=(ref, V), keep_state=True)
    final = ds["theta_final"].values[0, 0]  # (chain, P)
    np.testing.assert_allclose(ds["proj"].values[0, 0, :, -1], (final - ref[0]) @ V[0].T,
                               rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(ds["proj"].values[0, 0, :, 0], 0.0, atol=1e-14)
    with pytest.raises(ValueError, match="go together"):
        m.simulate(cfg, [0, 10], record=("proj",))
    with pytest.raises(ValueError, match="projection must be"):
        m.simulate(cfg, [0, 10], record=("proj",), projection=(ref, V[:, :, :5]))
