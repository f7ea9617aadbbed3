"""The logit-reg model family (Beck, Bar-Sinai, Levi 2026): config, data and simulation.

Spec ``beck2026-logit-regularization.md``; claim numbers refer to its §6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from groklab._config import InvalidParameterError
from groklab.models import logit_reg as lr
from groklab.models import separability as sep
from groklab.theory.logit_reg import minimize

TIMES = np.array([0, 1, 10, 100, 1000])


def _binomial_tol(p, n, k=4.0):
    return k * math.sqrt(max(p * (1 - p), 1e-4) / n)


# ---- batching --------------------------------------------------------------------------------
def test_batched_alpha_sigma_and_seeds_equal_one_by_one():
    cfg = lr.Config(d=16, lam=0.5, sigma_f=0.3, t_max=1000)
    alphas, sigmas = [0.0, 0.1, 0.4], [0.5, 2.0]
    ds = lr.simulate(cfg, times=TIMES, seeds=2, alphas=alphas, sigma_ns=sigmas)
    assert ds["acc_gen"].dims == ("seed", "alpha", "sigma_n", "t")
    assert len(ds.attrs["grokking"]) == 2 * 3 * 2
    for a in (0.0, 0.4):
        for s in sigmas:
            one = lr.simulate(cfg.replace(alpha=a, sigma_n=s), times=TIMES, seeds=[1])
            for name in ("loss_train", "loss_gen", "acc_gen", "norm_S", "cos_lda"):
                np.testing.assert_allclose(
                    one[name].values[0], ds[name].sel(seed=1, alpha=a, sigma_n=s).values,
                    rtol=1e-12, atol=1e-14,
                )


def test_sigma_n_rescales_one_noise_draw():
    """Separate configs with different σ_n share the standard draw exactly (spec §7)."""
    cfg = lr.Config(d=12, lam=0.5)
    a = lr.sample(cfg.replace(sigma_n=1.0))
    b = lr.sample(cfg.replace(sigma_n=3.0))
    np.testing.assert_array_equal(a["y"], b["y"])
    np.testing.assert_array_equal(a["Xp"][:, 0], b["Xp"][:, 0])
    np.testing.assert_allclose(3.0 * a["Xp"][:, 1:], b["Xp"][:, 1:], rtol=1e-15)
    np.testing.assert_array_equal(a["Xp"], a["y"][:, None] * a["X"])


# ---- convergence to the minimizer ------------------------------------------------------------
def test_gd_converges_to_the_direct_minimizer():
    cfg = lr.Config(d=10, lam=0.4, alpha=0.3, eta=0.5, t_max=5000)
    res = minimize(np.asarray(lr.sample(cfg)["Xp"]), cfg.alpha, cfg.penalty)
    assert res.converged and res.unique
    S = res.S
    ds = lr.simulate(cfg, times=[0, 5000], seeds=[cfg.seed])
    np.testing.assert_allclose(ds["norm_S"].values[0, -1], np.linalg.norm(S), rtol=1e-9)
    np.testing.assert_allclose(ds["cos_theta1"].values[0, -1], S[0] / np.linalg.norm(S),
                               rtol=1e-9)


# ---- the companion model (claim 9) -----------------------------------------------------------
def test_alpha0_sigma_f0_equals_the_companion_two_gaussian_run():
    d, n, mu, sn = 12, 30, 0.5, 1.5
    cfg = lr.Config(d=d, n_train=n, mu_f=mu, sigma_f=0.0, sigma_n=sn, alpha=0.0, eta=0.1)
    comp = sep.Config(form="two-gaussian", d=d - 1, n_train=n, mu=mu, sigma=sn / mu,
                      S0_norm=0.0, eta=0.1, t_max=1000)
    ours = lr.simulate(cfg, times=TIMES, seeds=2)
    theirs = sep.simulate(comp, times=TIMES, seeds=2)
    for name in ("loss_train", "loss_gen"):
        np.testing.assert_allclose(ours[name].values, theirs[name].values, rtol=1e-12)
    # accuracies: equal after t = 0 (the tie at S = 0 counts ½ here, correct there)
    np.testing.assert_allclose(ours["acc_gen"].values[:, 1:], theirs["acc_gen"].values[:, 1:],
                               rtol=1e-12)
    np.testing.assert_array_equal(ours["acc_train"].values[:, 1:],
                                  theirs["acc_train"].values[:, 1:])
    # the companion's reduced norm is μ‖w_⊥‖ (App. H)
    S_perp = np.sqrt(ours["norm_S"] ** 2 * (1 - ours["cos_theta1"] ** 2)).values[:, 1:]
    np.testing.assert_allclose(mu * S_perp, theirs["norm_S"].values[:, 1:], rtol=1e-10)


# ---- population accuracy vs sampled test sets ------------------------------------------------
def test_gaussian_population_accuracy_matches_a_test_set():
    n_test = 40_000
    ds = lr.simulate(lr.Config(d=30, lam=0.7, n_test=n_test, t_max=300), times=[0, 30, 300],
                     seeds=2)
    gen, test = ds["acc_gen"].values[:, 1:], ds["acc_test"].values[:, 1:]
    assert np.all(np.abs(gen - test) < _binomial_tol(gen.mean(), n_test))
    rel = np.abs(ds["loss_gen"] - ds["loss_test"]).values[:, 1:] / ds["loss_gen"].values[:, 1:]
    assert np.all(rel < 0.02)


def test_student_t_test_sets_agree_within_binomial_error():
    """Fig. 2 setting (σ_f = σ_n = 1, Adam for α > 0): heavy tails, no closed-form population."""
    cfg = lr.Config(d=30, lam=0.7, noise="student_t", nu=2.5, sigma_f=1.0, optimizer="adam",
                    eta=0.01, t_max=300)
    small = lr.simulate(cfg, times=[0, 300], seeds=2)
    big = lr.simulate(cfg.replace(n_test=20_000), times=[0, 300], seeds=2)
    assert small.attrs["n_test"] == 10_000
    np.testing.assert_array_equal(small["norm_S"].values, big["norm_S"].values)
    a, b = small["acc_gen"].values[:, 1], big["acc_gen"].values[:, 1]
    assert np.all(np.abs(a - b) < 4 * np.hypot(small["acc_gen_se"].values[:, 1],
                                               big["acc_gen_se"].values[:, 1]))


def test_multiclass_sampled_logits_match_a_test_set():
    cfg = lr.Config(d=30, lam=0.3, n_classes=4, sigma_f=0.5, n_pop_mc=100_000, n_test=20_000,
                    t_max=300)
    ds = lr.simulate(cfg, times=[0, 30, 300], seeds=2)
    gen, test = ds["acc_gen"].values[:, 1:], ds["acc_test"].values[:, 1:]
    assert np.all(np.abs(gen - test) < _binomial_tol(gen.mean(), 20_000))
    assert np.all(ds["acc_gen_se"].values[:, 1:] < 2e-3)


# ---- physics ---------------------------------------------------------------------------------
def _q_high(alpha, K):
    """Simplex target of f = ‖z‖² (spec §1.4): 2αq = (1 − α)(K − 1)/(e^{Kq/(K−1)} + K − 1)."""
    return brentq(lambda q: 2 * alpha * q - (1 - alpha) * (K - 1) / (np.exp(K * q / (K - 1))
                                                                     + K - 1), 0, 50)


def test_multiclass_logits_cluster_at_the_simplex_targets():
    """Claim 16: σ_f = 0, λ < 1, α > 0: the logits converge to (q, −q/(K−1)) (Prop. D.2)."""
    K, alpha = 3, 0.2
    cfg = lr.Config(d=12, lam=0.4, n_classes=K, sigma_f=0.0, alpha=alpha, eta=0.5,
                    n_pop_mc=30_000, t_max=20_000)
    ds = lr.simulate(cfg, times=[0, 20_000], seeds=2).isel(t=-1)
    q = _q_high(alpha, K)
    np.testing.assert_allclose(ds["logit_mean_train"].values, q, rtol=1e-6)
    np.testing.assert_allclose(ds["logit_off_mean_train"].values, -q / (K - 1), rtol=1e-6)
    assert np.all(ds["logit_std_train"].values < 1e-6 * q)
    assert np.all(ds["acc_gen"].values == 1.0)


@pytest.mark.parametrize(("lam", "perfect"), [(0.7, True), (1.3, False)])
def test_threshold_moves_to_lambda_one(lam, perfect):
    """Prop. 5.1: σ_f = 0, α = 0.2 generalizes perfectly for λ < 1 only (σ_n = 2: at λ = 1.3
    the minimum-norm interpolant's accuracy is 0.72 on average at this size, max 0.85 over
    20 draws)."""
    cfg = lr.Config(d=40, lam=lam, sigma_f=0.0, sigma_n=2.0, alpha=0.2, eta=0.1, t_max=20_000)
    acc = lr.simulate(cfg, times=[0, 20_000], seeds=2)["acc_gen"].values[:, -1]
    if perfect:
        assert np.all(acc > 0.999)
    else:
        assert np.all(acc < 0.95)


def test_fig5_length_run_stays_finite():
    cfg = lr.Config(d=14, n_train=20, mu_f=0.1, sigma_f=0.0, t_max=200_000)
    ds = lr.simulate(cfg, times=[0, 1000, 200_000], seeds=1, alphas=[0.0, 0.001, 0.1])
    for name in ("loss_train", "loss_gen", "acc_gen", "norm_S"):
        assert np.all(np.isfinite(ds[name].values[..., 1:]))
    assert ds["acc_gen"].sel(alpha=0.1).values[0, -1] > 0.99


def test_float32_runs_close_to_float64():
    cfg = lr.Config(d=16, lam=0.5, t_max=1000)
    a = lr.simulate(cfg, times=TIMES, seeds=1)
    b = lr.simulate(cfg.replace(precision="float32"), times=TIMES, seeds=1)
    assert b.attrs["precision"] == "float32"
    np.testing.assert_allclose(b["loss_train"].values, a["loss_train"].values, rtol=1e-4)


# ---- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(("kwargs", "match"), [
    ({"alpha": 1.0}, r"'alpha' parameter of Config must be .*\[0, 1\)"),
    ({"alpha": -0.1}, r"'alpha' parameter"),
    ({"sigma_n": 0.0}, r"'sigma_n' parameter of Config must be .*\(0, inf\)"),
    ({"eta": 5.0}, r"unstable GD: eta=5.0 .* eta < 0\.\d+"),
    ({"penalty": "squre"}, r"Did you mean 'square'\?"),
    ({"noise": "student_t", "nu": 2.0}, r"'nu' parameter of Config must be .*\(2, inf\)"),
    ({"nu": 3.0}, r"applies to noise='student_t' only"),
    ({"n_classes": 3, "noise": "student_t"}, r"binary model only"),
    ({"n_classes": 3, "penalty": "ls-full"}, r"binary only"),
    ({"lam": 0.5, "n_train": 7}, r"Give lam or n_train, not both"),
])
def test_bad_input_messages(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        lr.Config(**{"d": 20, **kwargs})


def test_bad_grid_values_are_named():
    cfg = lr.Config(d=10, lam=0.5)
    with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
        lr.simulate(cfg, times=TIMES, seeds=1, alphas=[0.1, 1.2])
    with pytest.raises(InvalidParameterError, match="unstable GD"):
        lr.simulate(cfg, times=TIMES, seeds=1, sigma_ns=[1.0, 50.0])


def test_eta_bound_covers_the_measured_hessian():
    """The bound's curvature H is at least the top Hessian eigenvalue of a sampled problem."""
    cfg = lr.Config(d=60, lam=0.7, alpha=0.5)
    Xp = np.asarray(lr.sample(cfg)["Xp"])
    top = np.linalg.eigvalsh(Xp.T @ Xp / Xp.shape[0])[-1]
    h_max = (1 - cfg.alpha) / 4 + cfg.alpha * 2.0
    assert 2.0 / cfg.eta_bound >= h_max * top
