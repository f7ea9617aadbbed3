"""The exp-1d model (Žunkovič & Ilievski 2024, spec §2): sampling, the simulated gradient flow
against the closed forms (Eqs. 6–9, 16; LR-04, LR-05, LR-06), the simulated grokking fraction
against Eq. 14 (LR-03), predict's summary, and input validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from groklab._config import InvalidParameterError
from groklab.models import exp_1d as m
from groklab.theory import local_rules_exp1d as th

#: |z| bound of a simulated fraction or mean against its formula.
Z_MAX = 4.0


def euler_bound(b0: float, c: float, k: float, dt: float) -> float:
    """|b_Euler − b| ≤ |b0 − c|·max_t (k t e^{−kt})·k dt/2 ≈ |b0 − c| k dt/(2e) (first order; 20 %
    margin for the O(dt²) terms)."""
    return 1.2 * abs(b0 - c) * k * dt / (2 * math.e)


# ---- sampling --------------------------------------------------------------------------------
def test_sample_is_the_jax_exponential_draw():
    from groklab.dynamics import jax
    from groklab.models.separability_data import key_for

    cfg = m.Config(n_train=7, eps=0.3)
    for seed in (0, 3, 12345):
        d = m.sample(cfg, seed)
        u = np.asarray(jax.random.uniform(key_for(seed, "train"), (2, 7)))
        assert np.array_equal(d["e"], -np.log1p(-u))  # bit for bit: same uniforms, same transform
        ref = np.asarray(jax.random.exponential(key_for(seed, "train"), (2, 7)))
        np.testing.assert_allclose(d["e"], ref, rtol=1e-14)
        np.testing.assert_array_equal(d["x_pos"], 0.3 + d["e"][0])
        np.testing.assert_array_equal(d["x_neg"], -0.3 - d["e"][1])
        assert d["xbar"] == pytest.approx(np.mean(d["x"]), abs=1e-15)
        assert d["x_min"] == d["e"][0].min()
        assert np.sum(d["y"]) == 0
    assert np.array_equal(m.sample(cfg, 4)["x"], m.sample(cfg, 4)["x"])
    assert not np.array_equal(m.sample(cfg, 4)["x"], m.sample(cfg, 5)["x"])


def test_sampled_parts_are_exp1():
    cfg = m.Config(n_train=10)
    e = np.concatenate([m.sample(cfg, s)["e"].ravel() for s in range(300)])
    assert stats.kstest(e, "expon").pvalue > 1e-3


# ---- simulated flow vs closed form --------------------------------------------------------------
@pytest.mark.parametrize("lam1,lam2", [(0.0, 0.0), (0.0, 0.5), (0.3, 0.0), (0.3, 0.5)])
def test_simulated_flow_reproduces_eq6_to_first_order(lam1, lam2):
    """LR-04: proximal Euler converges to Eq. 6 (continued through b = 0) at order dt; x̄ = −0.8
    crosses b = 0 and continues, x̄ = 0.2 sticks at 0 when λ1 = 0.3."""
    xbar = np.array([1.0, 0.2, -0.8])
    t = np.linspace(0, 12, 121)
    b0, k = 6.0, 1 + lam2
    exact = th.bias(t[None, :], xbar[:, None], b0, lam1, lam2)
    errs = []
    for dt in (2e-3, 1e-3):
        b, _ = m.integrate_flow(xbar, t, b0=b0, lam1=lam1, lam2=lam2, dt=dt)
        err = np.max(np.abs(b - exact), axis=1)
        c = (xbar - lam1) / k
        assert np.all(err <= euler_bound(b0, c, k, dt) + 2 * dt * lam1), (dt, err)
        errs.append(err.max())
    ratio = errs[0] / errs[1]  # halving dt halves the error: first order
    first_order = 2.0
    assert first_order - 0.4 < ratio < first_order + 0.4, ratio
    if lam1 > 0:  # the L1 fixed point b = 0 is exact for the proximal step
        b, _ = m.integrate_flow(xbar, t, b0=b0, lam1=lam1, lam2=lam2, dt=1e-3)
        assert b[1, -1] == 0.0


@pytest.mark.parametrize("lam2", [0.0, 0.5])
def test_corrected_eq8_matches_simulated_t_eps(lam2):
    """LR-05: simulated t_ε = corrected Eq. 8; the printed Eq. 8 (no 1/(1+λ2)) fails for λ2 ≠ 0."""
    cfg = m.Config(n_train=10, eps=0.5, lam1=0.1, lam2=lam2, dt=5e-4, t_max=15.0)
    ds = m.simulate(cfg, times=np.linspace(0, 15, 31), seeds=40)
    xbar = ds["xbar"].values
    pred = th.t_eps(xbar, cfg.eps, cfg.b0, cfg.lam1, lam2)
    ok = np.isfinite(pred)
    assert ok.sum() > 30
    sim = ds["t_eps"].values
    assert np.array_equal(np.isnan(sim), ~ok)
    np.testing.assert_allclose(sim[ok], pred[ok], rtol=2e-3)
    xl = (xbar[ok] - cfg.lam1) / (1 + lam2)
    printed = np.log((cfg.b0 - xl) / (cfg.eps - xl))
    if lam2 == 0:
        np.testing.assert_allclose(printed, pred[ok], rtol=1e-12)
    else:
        assert np.min(np.abs(printed / sim[ok] - 1)) > 0.3


def test_eq16_matches_simulated_t_grok_and_ignores_b0():
    """LR-06: simulated t_G = Eq. 16 and does not depend on b(0) > ε + x_min (t_ε does)."""
    runs = {}
    for b0 in (21.0, 6.0):
        cfg = m.Config(n_train=5, eps=0.3, lam1=0.05, lam2=0.2, b0=b0, dt=5e-4, t_max=20.0)
        runs[b0] = m.simulate(cfg, times=[0.0, 20.0], seeds=30)
    ds = runs[21.0]
    pred = th.t_grok(ds["xbar"].values, ds["x_min"].values, 0.3, 0.05, 0.2)
    above = 6.0 > 0.3 + ds["x_min"].values
    ok = np.isfinite(pred) & above
    assert ok.sum() >= 15
    for b0, r in runs.items():
        np.testing.assert_allclose(r["t_grok"].values[ok], pred[ok], atol=5e-3, rtol=2e-3,
                                   err_msg=f"b0={b0}")
    shift = runs[21.0]["t_eps"].values[ok] - runs[6.0]["t_eps"].values[ok]
    assert np.all(shift > 0.5)


def test_slope_at_t_eps_is_eq9_and_averages_to_eq10():
    """LR-04: E(t) ≈ (1+λ2)(ε − x̄_λ)(t_ε − t)/2 (ν = 1) for any b(0) > ε; averaged over grokking
    sets the slope is ε_λ/2 (Eq. 10)."""
    slopes = {}
    for b0 in (3.0, 21.0):
        cfg = m.Config(n_train=5, eps=0.4, lam1=0.1, lam2=0.5, b0=b0, dt=2e-4, t_max=12.0)
        t = np.linspace(0, 12, 6001)
        ds = m.simulate(cfg, times=t, seeds=200)
        err = ds["err_gen"].values
        s = np.full(err.shape[0], np.nan)
        for i, row in enumerate(err):
            j = int(np.flatnonzero(row > 0)[-1])  # last record before t_ε
            if ds["groks"].values[i] and 0 < j < row.size - 1:
                s[i] = (row[j - 1] - row[j]) / (t[j] - t[j - 1])
        xl = (ds["xbar"].values - cfg.lam1) / cfg.rate
        pred = cfg.rate * (cfg.eps - xl) / 2
        ok = np.isfinite(s)
        assert ok.sum() > 100
        np.testing.assert_allclose(s[ok], pred[ok], rtol=0.03)
        slopes[b0] = s[ok]
        se = s[ok].std() / math.sqrt(ok.sum())
        # the grokking sets have a symmetric x̄ (|x̄| < ε_λ): mean slope ε_λ/2, up to the 3 % of
        # the one-record finite difference
        assert abs(s[ok].mean() - cfg.eps_lam / 2) < Z_MAX * se + 0.03 * cfg.eps_lam / 2
    assert slopes[3.0].mean() == pytest.approx(slopes[21.0].mean(), rel=0.03)


def test_simulated_grokking_fraction_is_eq14_at_eps_lam():
    """LR-03 / Eq. 11: the fraction of simulated flows with zero final test error is
    P(ε_λ), ε_λ = ε(1+λ2) + λ1 (here N = 3, ε_λ = 0.3 reached with λ1 and with λ2)."""
    seeds = 800
    fractions = []
    for eps, l1, l2 in ((0.3, 0.0, 0.0), (0.1, 0.1, 1.0)):
        cfg = m.Config(n_train=3, eps=eps, lam1=l1, lam2=l2, dt=0.004, t_max=25.0)
        ds = m.simulate(cfg, times=[0.0, 25.0], seeds=seeds)
        fractions.append(float(ds["groks"].mean()))
        assert ds.attrs["summary"]["p_grok_seeds"] == fractions[-1]
    p = th.p_grok_dataset(0.3, 3)
    for f in fractions:
        assert abs(f - p) / math.sqrt(p * (1 - p) / seeds) < Z_MAX
    p_eps_only = th.p_grok_dataset(0.1, 3)  # ignoring the λ's would predict this
    assert abs(fractions[1] - p_eps_only) / math.sqrt(p_eps_only * (1 - p_eps_only) / seeds) > 8


# ---- predict -----------------------------------------------------------------------------------
def test_predict_agrees_with_simulate_on_the_same_set():
    cfg = m.Config(n_train=6, eps=0.5, lam1=0.05, lam2=0.3, dt=5e-4, t_max=10.0, seed=3)
    t = np.linspace(0, 10, 201)
    th_ds, sim = m.predict(cfg, t), m.simulate(cfg, t, seeds=[3])
    assert set(th_ds.data_vars) <= set(sim.data_vars)
    tol = euler_bound(cfg.b0, 0.0, cfg.rate, cfg.dt)
    assert np.max(np.abs(sim["b"].values[0] - th_ds["b"].values)) <= tol
    for name in ("acc_gen", "loss_gen", "loss_train"):
        np.testing.assert_allclose(sim[name].values[0], th_ds[name].values, atol=tol * 25)
    gp, gs = th_ds.attrs["grokking"], sim.attrs["grokking"][0]
    assert gs["t_gen"] == pytest.approx(gp["t_gen"], rel=5e-3)
    assert gs["t_train"] == pytest.approx(gp["t_train"], rel=5e-3)
    d = th_ds.attrs["summary"]["draw"]
    assert d["t_eps"] == pytest.approx(float(sim["t_eps"][0]), rel=5e-3)
    assert d["t_grok"] == pytest.approx(d["t_grok_eq16"], rel=1e-10)
    assert d["t_eps"] - d["t_train"] == pytest.approx(d["t_grok"], rel=1e-12)


def test_predict_summary_fields():
    s = m.predict(m.Config(n_train=2, eps=0.3, lam1=0.1), times=[0, 1]).attrs["summary"]
    assert s["eps_lam"] == pytest.approx(0.4)
    assert s["p_grok"] == pytest.approx(1 - (1 + 0.8) * math.exp(-1.6), rel=1e-14)
    assert s["t_grok_mean"] == pytest.approx(th.tG_mean_n2(0.4), rel=1e-12)
    s5 = m.predict(m.Config(n_train=5, eps=0.4), times=[0, 1]).attrs["summary"]
    assert s5["t_grok_mean"] is None and "N ≠ 2" in s5["t_grok_mean_note"]
    assert s5["p_grok"] == pytest.approx(th.p_grok_quad(0.4, 5), rel=1e-10)
    s_l2 = m.predict(m.Config(n_train=2, lam2=0.1), times=[0, 1]).attrs["summary"]
    assert s_l2["t_grok_mean"] is None
    s_b0 = m.predict(m.Config(n_train=2, eps=1.0, b0=2.0), times=[0, 1]).attrs["summary"]
    assert s_b0["t_grok_mean"] is None and "too small" in s_b0["t_grok_mean_note"]
    lost = 0
    for seed in range(20):  # a set groks iff |x̄| < ε_λ, and then E(∞) = 0
        cfg = m.Config(n_train=3, eps=0.2, seed=seed, dt=5e-4)
        d = m.predict(cfg, times=[0, 1]).attrs["summary"]["draw"]
        assert d["groks"] == (d["E_inf"] == 0) == (abs(d["xbar"]) < 0.2)
        if d["xbar"] <= -0.2:  # zero test error is reached, then lost when b < −ε
            lost += 1
            sim = m.simulate(cfg, times=[0.0, 20.0], seeds=[seed])
            assert float(sim["t_eps_lost"][0]) == pytest.approx(d["t_eps_lost"], rel=3e-3)
            assert d["t_eps"] < d["t_eps_lost"] and not bool(sim["groks"][0])
        else:
            assert d["t_eps_lost"] is None
    assert lost >= 2


def test_custom_threshold_crossings_are_exact():
    """Detector level 0.9: t_gen is where E = 0.1 (Eq. 7), t_train where at most 2 of 20 points
    are misclassified; both from Eq. 6 in predict, and found by simulate."""
    cfg = m.Config(n_train=10, eps=0.5, threshold=0.9, dt=5e-4, t_max=10.0, seed=1)
    ds = m.predict(cfg)
    g = ds.attrs["grokking"]
    d = m.sample(cfg)
    b = th.bias(g["t_gen"], d["xbar"], cfg.b0)
    assert float(th.test_error(b, cfg.eps)) == pytest.approx(0.1, rel=1e-10)
    b_tr = float(th.bias(g["t_train"], d["xbar"], cfg.b0))
    assert b_tr == pytest.approx(np.sort(d["x_pos"])[2], rel=1e-12)
    sim = m.simulate(cfg, seeds=[1]).attrs["grokking"][0]
    assert sim["t_gen"] == pytest.approx(g["t_gen"], rel=3e-3)
    assert sim["t_train"] == pytest.approx(g["t_train"], rel=3e-3)


def test_float32_simulation_keeps_dtype_and_accuracy():
    cfg = m.Config(n_train=4, dt=0.01, precision="float32")
    ds32 = m.simulate(cfg, times=[0.0, 2.0, 5.0], seeds=2)
    ds64 = m.simulate(cfg.replace(precision="float64"), times=[0.0, 2.0, 5.0], seeds=2)
    assert ds32["b"].dtype == np.float32 and ds32.attrs["precision"] == "float32"
    np.testing.assert_allclose(ds32["b"].values, ds64["b"].values, rtol=1e-4, atol=1e-5)


def test_theory_grid_and_sweep():
    from groklab.sweep import theory_sweep

    ds = m.theory_grid(m.Config(), n_train=np.array([2, 5]), eps=np.array([0.1, 0.4]))
    assert ds["p_grok"].sel(n_train=2, eps=0.4) == pytest.approx(float(th.p_grok_n2(0.4)))
    assert ds["p_grok"].sel(n_train=5, eps=0.1) == pytest.approx(th.p_grok_quad(0.1, 5))
    assert np.isnan(ds["t_grok_mean"].sel(n_train=5)).all()
    assert np.isfinite(ds["t_grok_mean"].sel(n_train=2)).all()
    finite = 0
    for n in (2, 5):
        for eps in (0.1, 0.4):
            one = m.predict(m.Config(n_train=n, eps=eps), times=[0, 1]).attrs["grokking"]
            cell = ds.sel(n_train=n, eps=eps)
            for key in ("t_train", "t_gen"):
                want = np.nan if one[key] is None else one[key]
                np.testing.assert_allclose(float(cell[key]), want, rtol=1e-14)
            assert bool(cell["never_groks"]) == (one["t_gen"] is None)
            finite += one["t_gen"] is not None
    assert 0 < finite < 4
    sw = theory_sweep("exp-1d", {"n_train": "3"}, {"lam1": np.array([0.0, 0.2])})
    assert sw["p_grok"].values[1] > sw["p_grok"].values[0]


# ---- validation --------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,field", [
    ({"eps": 0.0}, "eps"), ({"eps": -1.0}, "eps"), ({"n_train": 0}, "n_train"),
    ({"lam1": -0.1}, "lam1"), ({"lam2": -1.0}, "lam2"), ({"b0": 0.5, "eps": 1.0}, "b0"),
    ({"b0": 1.0, "eps": 1.0}, "b0"), ({"dt": 0.01, "lam2": 1.0}, "dt"), ({"dt": 0.5}, "dt"),
    ({"t_max": 0.0}, "t_max"), ({"threshold": "nope"}, "threshold"), ({"eps": math.nan}, "eps"),
])
def test_bad_config_names_the_field(kw, field):
    with pytest.raises(InvalidParameterError, match=f"'{field}' parameter of Config"):
        m.Config(**kw)


def test_bad_times_and_horizons_are_clear_errors():
    cfg = m.Config(n_train=2)
    for times in ([1.0, 0.5], [-1.0, 1.0], [], [0.0, math.nan]):
        with pytest.raises(ValueError, match="times must be"):
            m.predict(cfg, times)
    with pytest.raises(ValueError, match="Euler steps"):
        m.simulate(cfg.replace(dt=1e-6, t_max=1e3))
    with pytest.raises(ValueError, match="seeds must be at least 1"):
        m.simulate(cfg, seeds=0)
