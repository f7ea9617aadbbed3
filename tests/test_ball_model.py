"""The ``ball`` model family (Žunkovič & Ilievski 2024, Sec. 3.3): config validation, sampling,
the closed-form flow of ``predict`` against an independent ODE integration, the proximal-Euler
simulation against the closed form, the exponent ν from the dynamics, and the summary."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from groklab._config import InvalidParameterError
from groklab.models import ball
from groklab.models import ball_exact as bx
from groklab.theory import local_rules_ball as th

BASE = {"dim": 5, "n_train": 10, "eps": 1.2, "lam2": 0.1}


# ---- configuration -------------------------------------------------------------------------------
@pytest.mark.parametrize(("field", "value"), [
    ("eps", 0.0), ("eps", -1.0), ("n_train", 0), ("dim", 0), ("lam1", -0.1), ("lam2", -1.0),
    ("t_max", 0.0), ("dt_scale", 2.0), ("init", "uniform"), ("r0", 1.0), ("eps", float("nan")),
])
def test_bad_values_raise_naming_the_field(field, value):
    with pytest.raises(InvalidParameterError, match=rf"'{field}' parameter of Config"):
        ball.Config(**{**BASE, field: value})


def test_printed_recipe_fields_need_the_printed_sampling():
    with pytest.raises(InvalidParameterError, match="sampling='printed'"):
        ball.Config(shift=10.0)
    with pytest.raises(InvalidParameterError, match="'shift' parameter of Config needs dim"):
        ball.Config(dim=1, sampling="printed", shift=1.0)
    assert ball.Config(sampling="printed", shift=10.0, r0=0.8).r0 == 0.8


def test_eps_below_one_predicts_no_grokking_without_nan():
    ds = ball.predict(ball.Config(**{**BASE, "eps": 0.5}), [0.0, 1.0, 10.0])
    s = ds.attrs["summary"]
    assert s["p_grok"] == 0 and s["p_grok_eq30"] == 0 and s["p_fast"] is None
    assert not s["draw"]["groks"] and s["draw"]["t_eps"] is None
    assert all(np.all(np.isfinite(ds[v].values)) for v in ds.data_vars)
    assert "never" in " ".join(ds.attrs["advice"])
    assert ds.attrs["grokking"]["t_gen"] is None


def test_simulate_refuses_too_many_steps():
    with pytest.raises(ValueError, match="Euler steps"):
        ball.simulate(ball.Config(**BASE, dt_scale=1e-6, t_max=1e4), [0.0, 1e4])


# ---- sampling ------------------------------------------------------------------------------------
def test_sample_is_deterministic_and_seed_dependent():
    cfg = ball.Config(**BASE)
    a, b, c = ball.sample(cfg, 3), ball.sample(cfg, 3), ball.sample(cfg, 4)
    for k in ("x", "z", "w0"):
        np.testing.assert_array_equal(a[k], b[k])
        assert not np.allclose(a[k], c[k])
    np.testing.assert_array_equal(a["y"], np.r_[np.ones(10), -np.ones(10)])
    np.testing.assert_array_equal(ball.sample(cfg.replace(init="max-error"))["w0"],
                                  -np.eye(5)[0])


def test_sample_draws_are_the_jax_keys_of_seed_and_purpose():
    from groklab.dynamics import jax
    from groklab.models.separability_data import key_for

    cfg = ball.Config(dim=3, n_train=4, eps=1.5)
    kg, ku = jax.random.split(key_for(7, "train"))
    g = np.asarray(jax.random.normal(kg, (8, 3)))
    u = np.asarray(jax.random.uniform(ku, (8,)))
    x = g * (u ** (1 / 3) / np.linalg.norm(g, axis=1))[:, None]
    x[:, 0] += np.r_[np.ones(4), -np.ones(4)] * 1.5
    np.testing.assert_allclose(ball.sample(cfg, 7)["x"], x, rtol=1e-12)
    np.testing.assert_allclose(ball.sample(cfg, 7)["w0"],
                               np.asarray(jax.random.normal(key_for(7, "init"), (3,))),
                               rtol=1e-12)


def test_exact_ball_radii_and_printed_recipe_radii():
    cfg = ball.Config(dim=3, n_train=1500, eps=2.0)
    s = ball.sample(cfg, 0)
    x = s["x"] - s["y"][:, None] * np.array([2.0, 0, 0])
    r = np.linalg.norm(x, axis=1)
    assert r.max() <= 1 and stats.kstest(r**3, "uniform").pvalue > 1e-3  # P(‖x‖ ≤ r) = r^D
    z_mean = s["z"].mean(axis=0)
    assert np.all(np.abs(z_mean - [2.0, 0, 0]) < 4 * math.sqrt(1 / 5 / 3000))
    pr = ball.sample(cfg.replace(sampling="printed", shift=10.0, r0=0.8), 0)
    xp = pr["x"] - pr["y"][:, None] * np.array([2.0, 0, 0])
    rp = np.linalg.norm(xp, axis=1)
    assert rp.min() >= math.sqrt(0.8) - 1e-12 and rp.max() <= 1
    assert stats.kstest((rp**2 - 0.8) / 0.2, "uniform").pvalue > 1e-3  # radius √u, u ~ U[r0, 1]
    assert np.mean(pr["y"][:, None] * xp[:, :2], axis=0).min() > 0.5  # shifted along e₁ and e₂


# ---- the closed form of predict vs an independent integration ------------------------------------
@pytest.mark.parametrize(("lam2", "n"), [(0.1, 10), (0.0, 2)])  # (0, 2): 2N = 4 < D, singular G
def test_eq21_closed_form_matches_an_ode_integration(lam2, n):
    cfg = ball.Config(**{**BASE, "lam2": lam2, "n_train": n})
    d = ball.sample(cfg)
    G, b = bx.gram(d["z"], lam2)
    t = np.array([0.0, 0.1, 1.0, 5.0, 30.0])
    sol = integrate.solve_ivp(lambda _, w: -G @ w + b, (0, t[-1]), d["w0"], t_eval=t,
                              rtol=1e-12, atol=1e-13, method="DOP853")
    np.testing.assert_allclose(bx.ExactFlow(d["z"], lam2, d["w0"]).w(t), sol.y.T, rtol=1e-8,
                               atol=1e-10)


def _sim_w(cfg, t):
    sim = ball.simulate(cfg, t, seeds=[cfg.seed]).isel(seed=0)
    return np.stack([sim["w1"].values, sim["norm_w"].values, sim["loss_train"].values])


def test_proximal_euler_is_first_order_and_converges_to_eq21():
    cfg = ball.Config(**BASE, init="normal", seed=2)
    t = np.array([0.0, 0.2, 0.5, 1.0, 3.0, 10.0])
    th_ds = ball.predict(cfg, t)
    exact = np.stack([th_ds["w1"].values, th_ds["norm_w"].values, th_ds["loss_train"].values])
    e1 = np.abs(_sim_w(cfg, t) - exact).max()
    w_half = _sim_w(cfg.replace(dt_scale=0.005), t)
    e2 = np.abs(w_half - exact).max()
    assert e1 < 1e-2 and 1.7 < e1 / e2 < 2.3, (e1, e2)
    rich = 2 * w_half - _sim_w(cfg, t)  # Richardson extrapolation cancels the O(dt) term
    assert np.abs(rich - exact).max() < e2 / 20


def test_l1_simulation_converges_to_the_exact_l1_minimiser_with_exact_zeros():
    cfg = ball.Config(**BASE, lam1=0.05, init="normal", dt_scale=0.05, seed=1)
    sim = ball.simulate(cfg, [0.0, 200.0], seeds=[1]).isel(seed=0, t=-1)
    s = ball.predict(cfg, [0.0, 1.0]).attrs["summary"]
    w = np.asarray(s["draw"]["w_lam"])
    assert s["draw"]["l1_solve_verified"] and np.any(w == 0)
    assert float(sim["w1"]) == pytest.approx(w[0], abs=1e-9)
    assert float(sim["norm_w"]) == pytest.approx(np.linalg.norm(w), abs=1e-9)
    assert s["p_grok"] == s["p_grok_eq32"] and "Eq. 32" in s["p_grok_formula"]


def test_l1_predict_curves_are_exact_at_t0_and_undefined_after():
    cfg = ball.Config(**BASE, lam1=0.02)
    th_ds = ball.predict(cfg, [0.0, 1.0, 2.0])
    sim = ball.simulate(cfg, [0.0, 1.0, 2.0], seeds=[0]).isel(seed=0)
    assert th_ds["loss_train"].values[0] == pytest.approx(float(sim["loss_train"][0]), rel=1e-12)
    assert np.all(np.isnan(th_ds["loss_train"].values[1:]))
    assert "λ₁ > 0" in th_ds.attrs["validity"]


# ---- grokking times and the exponent ν -----------------------------------------------------------
def _grokking_config():
    """A draw with a clear grokking delay: the Fig. 7 shifted set at D = 6."""
    return ball.Config(dim=6, n_train=10, eps=1.2, lam2=0.1, init="max-error",
                       sampling="printed", shift=3.0, r0=0.8, seed=0)


def test_exact_times_are_the_crossings_of_the_simulated_records():
    cfg = _grokking_config()
    d = ball.predict(cfg, [0.0, 1.0]).attrs["summary"]["draw"]
    assert d["groks"] and d["t_grok"] > 0.5 * d["t_train"]
    for key, var in (("t_train", "acc_train"), ("t_eps", "acc_gen")):
        t = d[key] * np.linspace(0.95, 1.05, 101)
        sim = ball.simulate(cfg.replace(dt_scale=0.002), np.r_[0.0, t], seeds=[0])
        hit = t[np.argmax(sim[var].values[0, 1:] >= 1.0)]
        assert hit == pytest.approx(d[key], rel=5e-3), key


def test_nu_from_the_flow_is_d_plus_1_over_2():
    cfg = _grokking_config()
    d = ball.predict(cfg, [0.0, 1.0]).attrs["summary"]["draw"]
    dt = d["t_eps"] * np.geomspace(1e-6, 1e-3, 10)
    err = ball.predict(cfg, np.sort(d["t_eps"] - dt))["err_gen"].values[::-1]
    nu, _ = th.fit_power_law(dt, err)
    assert nu == pytest.approx((cfg.dim + 1) / 2, rel=0.01)
    # the same from the simulation, with its own t_ε located on its h(t) records
    tt = d["t_eps"] * np.linspace(0.97, 1.0, 61)
    sim = ball.simulate(cfg, np.r_[0.0, tt], seeds=[0]).isel(seed=0)
    h = sim["h"].values[1:]
    t_sim = np.interp(1.0, h, tt)
    near = (h < 1) & (t_sim - tt > 2e-3 * t_sim)
    nu_sim, _ = th.fit_power_law(t_sim - tt[near], sim["err_gen"].values[1:][near])
    assert nu_sim == pytest.approx((cfg.dim + 1) / 2, rel=0.05)


def test_detector_is_exact_where_the_test_error_underflows_acc_gen():
    # D = 128: E(h) < 1e-16 long before h = 1, but acc_gen stays below 1 until h ≥ 1
    cfg = ball.Config(dim=128, n_train=10, eps=1.2, lam2=0.1, init="max-error",
                      sampling="printed", shift=10.0, r0=0.8)
    ds = ball.predict(cfg, np.linspace(0, 10, 201))
    h, acc = ds["h"].values, ds["acc_gen"].values
    assert np.array_equal(acc == 1.0, h >= 1.0)
    assert np.any((ds["err_gen"].values < 1e-16) & (h < 1))
    s = ds.attrs["summary"]["draw"]
    assert ds.attrs["grokking"]["t_gen"] == s["t_eps"] > 5 * s["t_train"]


# ---- summary, advice, theory grid ----------------------------------------------------------------
def test_summary_formulas_and_draw():
    cfg = ball.Config(**BASE)
    ds = ball.predict(cfg)
    s = ds.attrs["summary"]
    assert s["p_grok"] == th.p_grok_eq86(5, 10, 1.2, 0.1) and "Eq. 86" in s["p_grok_formula"]
    assert s["p_fast"] == th.p_fast(5, 1.2)
    assert s["t_slow"] == th.t_slow(5, 1.2, 0.1) and s["t_slow_reduced"] > s["t_slow"]
    assert s["t_grok_mean"] == pytest.approx(th.t_grok_mean(5, 1.2, 0.1))
    sim = ball.simulate(cfg.replace(dt_scale=0.05), [0.0, 300.0]).isel(seed=0, t=-1)
    assert bool(sim["acc_gen"] == 1.0) == s["draw"]["groks"]
    np.testing.assert_allclose(float(sim["w1"]), s["draw"]["w_lam"][0], rtol=1e-9)
    assert ds.attrs["time_unit"] == "flow time" and ds["t"].values[-1] == cfg.horizon
    mx = ball.predict(cfg.replace(init="max-error"), [0.0, 1.0]).attrs["summary"]
    assert mx["t_grok_mean"] is None  # the t_G density assumes w(0) ~ N(0, 1)


def test_theory_grid_cells_equal_the_summary():
    base = ball.Config(**BASE)
    grid = ball.theory_grid(base, eps=np.array([1.0, 1.1, 1.3]), lam2=np.array([0.0, 0.5]))
    assert grid["p_grok"].shape == (3, 2)
    assert np.all(grid["never_groks"].values[0]) and not np.any(grid["never_groks"].values[1:])
    for i, e in enumerate((1.0, 1.1, 1.3)):
        for j, lam in enumerate((0.0, 0.5)):
            s = ball.summary(base.replace(eps=e, lam2=lam))
            assert grid["p_grok"].values[i, j] == s["p_grok"]
            assert grid["groks"].values[i, j] == s["draw"]["groks"]
            t = s["draw"]["t_eps"]
            assert (np.isnan(grid["t_gen"].values[i, j]) if t is None
                    else grid["t_gen"].values[i, j] == t)
