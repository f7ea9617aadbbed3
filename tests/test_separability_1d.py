"""1-D toy model of Beck, Levi, Bar-Sinai 2025 (spec §3): closed forms, S_∞, Table 1, grokking
times (Eq. 35–39 corrected) against direct numerical integration, and input validation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import minimize_scalar
from scipy.special import erf

from groklab._config import InvalidParameterError
from groklab.models import separability_1d as m
from groklab.models import separability_1d_theory as th

ETA = 0.01


def tau_ode(x2, eta, sigma, S0, b0, tau):
    """Direct integration of Eq. 25 in conformal time (LSODA, rtol 1e-12); returns (S̃, b)."""

    def rhs(_, y):
        s = y[0]
        return [-0.5 * eta * sigma**2 * (x2 * math.exp(s * x2) - math.exp(-s)),
                -0.5 * eta * (math.exp(s * x2) + math.exp(-s))]

    sol = solve_ivp(rhs, (0, tau[-1]), [sigma * S0, b0], method="LSODA", t_eval=tau,
                    rtol=1e-12, atol=1e-12)
    return sol.y[0], sol.y[1]


TAU = np.concatenate([[0.0], np.logspace(-1, 5, 25)])


# ---- exact special cases --------------------------------------------------------------------
@pytest.mark.parametrize("sigma", [1.0, 2.5])
@pytest.mark.parametrize("S0", [-0.3, 0.1, 0.0])
def test_x2_one_closed_form_matches_ode(sigma, S0):
    s_ode, b_ode = tau_ode(1.0, ETA, sigma, S0, 0.2, TAU)
    s, b = th.exact_x2_one(TAU, ETA, sigma, S0, 0.2)
    np.testing.assert_allclose(s, s_ode, atol=1e-9)
    np.testing.assert_allclose(b, b_ode, rtol=1e-9, atol=1e-9)
    assert abs(s[-1]) < 1e-6  # S → 0 either way


@pytest.mark.parametrize("sigma", [1.0, 3.0])
def test_critical_and_separable_closed_forms_match_ode(sigma):
    for x2, fn in ((0.0, th.exact_critical), (-1.0, th.exact_separable)):
        s_ode, b_ode = tau_ode(x2, ETA, sigma, 0.1, -0.4, TAU)
        s, b = fn(TAU, ETA, sigma, 0.1, -0.4)
        np.testing.assert_allclose(s, s_ode, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(b, b_ode, rtol=1e-9, atol=1e-9)


def test_flow_in_step_time_matches_closed_forms_and_tau_of_t():
    t = np.logspace(-1, 12, 30)
    for sigma in (1.0, 3.0):
        for lam, fn in ((0.5, th.exact_critical), (1.0, th.exact_separable)):
            r = th.flow(lam, ETA, sigma, 0.1, 0.0, t, log_t_max=30)
            s, b = fn(r["tau"], ETA, sigma, 0.1, 0.0)
            assert np.max(np.abs(s - r["S"])) < 1e-8
            assert np.max(np.abs(b - r["b"]) / (1 + np.abs(b))) < 1e-8
    r = th.flow(0.5, ETA, 1.0, 0.1, 0.0, t, log_t_max=30)  # Eq. 29 (Lambert W)
    np.testing.assert_allclose(th.critical_tau_of_t(np.log(t), ETA, 0.1, 0.0), r["tau"],
                               rtol=1e-8)
    r = th.flow(1.0, ETA, 3.0, 0.1, 0.0, t, log_t_max=30)
    np.testing.assert_allclose(th.separable_tau_of_t(t, ETA, 3.0, 0.1, 0.0), r["tau"],
                               rtol=1e-8)
    r = th.flow(0.0, ETA, 1.0, -0.3, 0.5, t, log_t_max=30)
    np.testing.assert_allclose(th.x2_one_tau_of_t(t, ETA, -0.3, 0.5), r["tau"], rtol=1e-8)
    s, b = th.exact_x2_one(r["tau"], ETA, 1.0, -0.3, 0.5)
    assert np.max(np.abs(s - r["S"])) < 1e-8 and np.max(np.abs(b - r["b"])) < 1e-8


def test_lambert_w_in_log_space_beyond_float_range():
    y = np.array([1.0, 100.0, 499.0, 501.0, 1e4, 1e6])
    w = th.lambertw_exp(y)
    np.testing.assert_allclose(w + np.log(w), y, rtol=1e-13)
    # τ(t) at t = e^600 (beyond exp overflow in the argument) equals the flow's τ
    r = th.flow(0.5, ETA, 1.0, 0.1, 0.0, [math.exp(650.0)], log_t_max=650)
    np.testing.assert_allclose(th.critical_tau_of_t(650.0, ETA, 0.1, 0.0), r["tau"], rtol=1e-7)


def test_separable_limit_accuracy_phi1():
    # x₂ = −1, σ = 1: b/S̃ → −1, A_gen → Φ(1) (claim 20)
    s, b = th.exact_separable(np.array([1e300]), ETA, 1.0, 0.1, 0.0)
    acc = 0.5 * (1 - erf(b / (math.sqrt(2) * s)))
    phi1 = 0.5 * (1 + erf(1 / math.sqrt(2)))
    assert abs(acc[0] - phi1) < 1e-3
    assert th.acc_gen_limit(1.0, 1.0) == pytest.approx(phi1, rel=1e-15)
    ds = m.predict(m.Config(lam=1.0, sigma=1.0, eta=0.01), times=[0, 1e3, 1e200])
    assert abs(float(ds.acc_gen[-1]) - phi1) < 2e-3
    assert ds.attrs["summary"]["acc_gen_limit"] == pytest.approx(phi1)


# ---- S_∞, Table 1 ---------------------------------------------------------------------------
@pytest.mark.parametrize("lam", [0.05, 0.3, 0.45, 0.499, 0.49999])
def test_S_inf_is_the_minimizer(lam):
    x = 1 - 2 * lam
    res = minimize_scalar(lambda s: math.log(math.exp(s * x) + math.exp(-s)),
                          bracket=(0, 30), tol=1e-12)
    assert th.S_inf(lam) == pytest.approx(res.x, rel=1e-6)
    assert th.S_inf(lam) == pytest.approx(math.log(1 - 2 * lam) / (2 * (lam - 1)), rel=1e-12)


def test_regime_classification_and_summary():
    assert [th.regime(lam) for lam in (0.05, 0.499, 0.5, 0.501, 2.0)] == [
        "inseparable", "inseparable", "critical", "separable", "separable"]
    s = m.summary(m.Config(lam=0.45, sigma=2.0))
    assert s["separable"] is False and s["margin"] is None and s["acc_gen_limit"] == 1.0
    assert s["S_inf"] == pytest.approx(th.S_inf(0.45) / 2.0)
    assert s["p_separable"] is None
    s = m.summary(m.Config(lam=0.5, sigma=1.0))
    assert s["S_inf"] is None and s["margin"] is None and s["acc_gen_limit"] == 1.0
    s = m.summary(m.Config(lam=0.6, sigma=2.0))
    assert s["separable"] is True and s["S_inf"] is None
    assert s["margin"] == pytest.approx(0.4)
    assert s["acc_gen_limit"] == pytest.approx(0.5 * (1 + erf(1 / (math.sqrt(2) * 4 * 0.2))))


def test_table1_late_time_asymptotics():
    ell = np.array([300.0, 600.0])
    # λ < ½: S̃ → S_∞ and b + log(ηG_∞t) → 0
    r = th.flow(0.3, ETA, 1.0, 0.1, 0.0, np.exp(ell), log_t_max=600)
    b_tab, s_tab = th.table1(0.3, ell, ETA)
    np.testing.assert_allclose(r["S"], s_tab, atol=1e-9)
    np.testing.assert_allclose(r["b"], b_tab, atol=1e-9)
    # λ = ½: b ~ −log t, S ~ log log t
    r = th.flow(0.5, ETA, 1.0, 0.1, 0.0, np.exp(ell), log_t_max=600)
    assert np.diff(r["b"])[0] / np.diff(ell)[0] == pytest.approx(-1.0, abs=1e-4)
    assert np.all(np.abs(r["S"] - np.log(ell)) < 0.05)
    # λ > ½: d S̃/d log t → M/(1+M²), db/d log t → −1/(1+M²)
    for M in (0.5, 0.1):
        r = th.flow((1 + M) / 2, ETA, 1.0, 0.1, 0.0, np.exp(ell), log_t_max=600)
        assert np.diff(r["S"])[0] / 300 == pytest.approx(M / (1 + M * M), rel=1e-6)
        assert np.diff(r["b"])[0] / 300 == pytest.approx(-1 / (1 + M * M), rel=1e-6)


def test_app_e4_separable_constant_tends_to_log_inverse_margin():
    gaps = []
    for M in (0.5, 0.1, 0.03):
        ell = np.array([400.0, 600.0])
        r = th.flow((1 + M) / 2, ETA, 1.0, 0.1, 0.0, np.exp(ell), log_t_max=600)
        u = r["S"] - M / (1 + M * M) * (np.log(ETA / 2 * (1 + M * M)) + ell)
        assert abs(u[1] - u[0]) < 1e-3  # converged to a constant
        gaps.append(abs(u[1] - math.log(1 / M)))
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 0.05


# ---- grokking times (App. E.3, corrected) --------------------------------------------------
EPS = 1e-50


def test_grokking_formulas_match_flow_at_large_sigma():
    for d in (1e-1, 1e-3):
        lam = (1 - d) / 2
        f = th.grokking_formulas(lam, ETA, EPS)
        r = th.flow(lam, ETA, 80.0, 0.1, 0.0, eps=EPS)["log_t_star"]
        assert r["loss_train"] == pytest.approx(f["log_t_train"], abs=1e-6)
        assert r["loss_train"] == pytest.approx(-math.log(ETA * EPS), abs=1e-6)  # Eq. 35
        assert r["loss_gen"] - r["loss_train"] == pytest.approx(f["log_ratio"], abs=1e-6)
        assert r["loss_gen"] == pytest.approx(f["log_t_gen"], abs=1e-6)


def test_grokking_formula_error_shrinks_as_sigma_grows():
    lam = (1 - 1e-5) / 2
    f = th.grokking_formulas(lam, ETA, EPS)
    errs = [abs(th.flow(lam, ETA, s, 0.1, 0.0, eps=EPS)["log_t_star"]["loss_gen"]
                - f["log_t_gen"]) for s in (5.0, 20.0, 80.0)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-3


def test_eq36_and_corrected_eq37_near_critical():
    ls = np.array([-5.0, -8.0, -11.5])
    rows = [th.grokking_formulas((1 - math.exp(lg)) / 2, ETA, EPS) for lg in ls]
    # Eq. 36 (near-critical approximation) → exact frozen-S̃ formula as λ → ½
    gaps = [abs(r["log_t_gen_eq36"] - r["log_t_gen"]) for r in rows]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 2e-3
    # corrected Eq. 37: √log ratio ≈ √(log 2 + ½log²(1−2λ)); slope vs log(1−2λ) → −1/√2,
    # measured on the flow at σ = 80
    sq = []
    for lg in (-8.0, -11.5):
        lam = (1 - math.exp(lg)) / 2
        r = th.flow(lam, ETA, 80.0, 0.1, 0.0, eps=EPS)["log_t_star"]
        sq.append(math.sqrt(r["loss_gen"] - r["loss_train"]))
    slope = (sq[1] - sq[0]) / (-11.5 + 8.0)
    assert slope == pytest.approx(-1 / math.sqrt(2), abs=0.01)
    printed = math.log(math.exp(-11.5)) / math.sqrt(2)  # Eq. 37 as printed: negative
    assert printed < 0 < rows[2]["sqrt_log_ratio"]


def test_delay_in_t_and_true_conformal_delay_match_flow():
    lam, sigma = (1 - 1e-3) / 2, 80.0
    f = th.grokking_formulas(lam, ETA, EPS)
    r = th.flow(lam, ETA, sigma, 0.1, 0.0, eps=EPS)["log_t_star"]
    # Fig. 8 right: (t*_gen − t*_tr)·ε = (1/η)(e^{S̃²/2}/G − 1)
    lg, lt = r["loss_gen"], r["loss_train"]
    log_delay = lg + math.log1p(-math.exp(lt - lg))
    assert math.exp(log_delay + math.log(EPS)) == pytest.approx(f["delay_times_eps"], rel=1e-5)
    # Eq. 39 corrected: τ*_gen − τ*_tr = log(t*_gen/t*_tr)/(ηG_∞); "τ" as printed is log t
    taus = th.flow(lam, ETA, sigma, 0.1, 0.0, [math.exp(lt), math.exp(lg)], eps=EPS)["tau"]
    assert taus[1] - taus[0] == pytest.approx(f["delay_tau"], rel=1e-5)
    assert lg - lt == pytest.approx(f["log_ratio"], abs=1e-6)
    assert f["delay_tau_eq39"] == pytest.approx(0.5 * math.log(1e-3) ** 2)


def test_eps_1e_minus_50_without_underflow():
    c = m.Config(lam=(1 - 1e-5) / 2, sigma=20.0, eps=1e-50)
    with np.errstate(all="raise"):
        th.grokking_formulas(c.lam, c.eta, c.eps)
    ds = m.predict(c)
    assert np.all(np.isfinite(ds.log_loss_gen)) and np.all(np.isfinite(ds.log_loss_train))
    g = ds.attrs["grokking_loss"]
    assert g["log_t_gen"] > 150 and g["log_t_train"] == pytest.approx(-math.log(c.eta * c.eps))
    assert g["log_t_gen"] < math.log(ds.t.values[-1])  # horizon covers the crossing
    assert float(ds.log_loss_gen.min()) < math.log(1e-50)
    s = ds.attrs["summary"]
    assert s["grok_delay"] == pytest.approx(math.exp(g["log_delay"]), rel=1e-12)
    json.dumps(s)  # JSON-ready
    # separable: the population loss never reaches ε → null delay
    s = m.predict(m.Config(lam=0.6, sigma=1.0), times=[0, 1, 1e6]).attrs["summary"]
    assert s["grok_delay"] is None


# ---- GD simulation vs flow -----------------------------------------------------------------
def test_gd_follows_flow_to_order_eta():
    c = m.Config(lam=0.48, sigma=2.0, eta=0.01)
    sim = m.simulate(c.replace(t_max=1e5), seeds=2)
    t = sim.t.values
    pr = m.predict(c, times=t)
    assert sim.sizes == {"seed": 2, "t": t.size} and t[0] == 0 and t[-1] == 100_000
    for v in ("S", "bias", "log_loss_gen", "log_loss_train"):
        np.testing.assert_allclose(sim[v].values[0], pr[v].values, rtol=0.02, atol=0.02)
    np.testing.assert_allclose(sim.tau.values[0, 1:], pr.tau.values[1:], rtol=0.02)
    gs, gp = sim.attrs["grokking"][0], pr.attrs["grokking"]
    assert gs["t_gen"] == pytest.approx(gp["t_gen"], rel=0.05)
    # σ-rescaling (Prop. 3.5): GD in S̃ with step ησ² is GD on the points ±σ
    x = np.array([-c.sigma, c.sigma * c.x2])
    S, b = c.S0, c.b0
    for _ in range(100):
        e = np.exp(S * x + b)
        S, b = S - c.eta * 0.5 * np.sum(e * x), b - c.eta * 0.5 * np.sum(e)
    one = m.simulate(c, times=[100], seeds=1)
    assert float(one.S[0, 0]) == pytest.approx(S, rel=1e-12)
    assert float(one.bias[0, 0]) == pytest.approx(b, rel=1e-12)
    f32 = m.simulate(c.replace(precision="float32"), times=[0, 1000], seeds=1)
    assert np.all(np.isfinite(f32.S)) and f32.attrs["precision"] == "float32"


# ---- validation ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lam=0.0), r"'lam' parameter of Config must be a real number in the range \(0, inf\)"),
        (dict(lam=-0.2), r"'lam' parameter .* Got -0.2"),
        (dict(sigma=0.0), r"'sigma' parameter of Config must be a real number in the range"),
        (dict(sigma=-1.0), r"'sigma' parameter .* Got -1.0"),
        (dict(eta=0.0), r"'eta' parameter"),
        (dict(eta=1.0, sigma=5.0), r"unstable GD: eta=1.0 .* eta < 0\.25"),
        (dict(threshold="nope"), r"'threshold' parameter"),
        (dict(eps=0.0), r"'eps' parameter"),
    ],
)
def test_bad_input_messages(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        m.Config(**kwargs)


def test_eta_bound_is_linear_stability_at_start():
    c = m.Config(sigma=5.0)
    assert c.eta_bound == pytest.approx(0.25365, rel=1e-4)
    with pytest.raises(ValueError, match="at most"):
        m.simulate(c.replace(t_max=1e12), seeds=1)
    with pytest.raises(ValueError, match="seeds must be at least 1"):
        m.simulate(c, times=[0, 1], seeds=0)


def test_theory_grid_and_advice():
    base = m.Config(sigma=20.0, eps=1e-50)
    ds = m.theory_grid(base, lam=np.array([0.3, 0.4995, 0.6]))
    assert list(ds.separable.values) == [False, False, True]
    r = th.grokking_formulas(0.4995, base.eta, base.eps)
    assert float(ds.logratio_loss[1]) == pytest.approx(r["log_ratio"], abs=1e-6)
    assert np.isnan(ds.grok_delay[2]) and np.isnan(ds.S_inf[2])
    assert ds.logratio_loss[1] > ds.logratio_loss[0]  # the delay grows toward λ = ½
    assert "never reaches" in m.advice(m.Config(lam=0.6, sigma=5.0))[0]


def test_grokking_time_needs_large_sigma_and_critical_lambda():
    # claim 19, t_gen_acc(0.95) of the flow (Fig. 3 right): log t grows by ≈ 10 only when σ is
    # large and 1 − 2λ → 0; each alone saturates.
    def log_t_gen(sigma, d):
        return th.flow((1 - d) / 2, ETA, sigma, 0.1, 0.0, acc_gen=0.95)["log_t_star"]["acc_gen"]

    small_sigma = log_t_gen(1.0, 1e-6) - log_t_gen(1.0, 1e-2)
    far_from_half = log_t_gen(16.0, 1e-1) - log_t_gen(4.0, 1e-1)
    both = log_t_gen(16.0, 1e-6) - log_t_gen(1.0, 1e-1)
    assert abs(small_sigma) < 0.2 and abs(far_from_half) < 0.2 and both > 14
