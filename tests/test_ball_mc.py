"""Monte Carlo over sampled training sets of the uniform-ball model against the grokking-probability
formulas (Žunkovič & Ilievski 2024, Eqs. 30–33, 84–86, 90; claims LR-14, LR-15), and the
exact stationary points the Monte Carlo is built on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize

from groklab.models import ball_exact as bx
from groklab.theory import local_rules_ball as th

Z_MAX = 4.0


def test_vectorised_stationary_point_equals_a_per_set_loop():
    rng = np.random.default_rng(0)
    z = bx.ensemble_z(rng, 50, 8, 6, 1.1)
    G, b = bx.gram(z, 0.2)
    w = bx.stationary(G, b)
    for i in range(50):
        Gi = z[i].T @ z[i] / 16 + 0.2 * np.eye(6)
        np.testing.assert_allclose(w[i], np.linalg.solve(Gi, z[i].mean(axis=0)), rtol=1e-12)
    assert np.array_equal(bx.grokked(w, 1.1),
                          [w[i, 0] > 0 and w[i, 0] / np.linalg.norm(w[i]) >= 1 / 1.1
                           for i in range(50)])


def test_l1_stationary_matches_an_independent_bound_constrained_solver():
    rng = np.random.default_rng(1)
    z = bx.ensemble_z(rng, 20, 5, 6, 1.2)
    G, b = bx.gram(z, 0.05)
    lam1 = 0.08
    w, exact = bx.l1_stationary(G, b, lam1)
    assert exact.all()
    for i in range(20):
        # w = u − v, u, v ≥ 0: smooth objective with bounds (L-BFGS-B)
        def f(uv, i=i):
            u, v = uv[:6], uv[6:]
            x = u - v
            g = G[i] @ x - b[i]
            return 0.5 * x @ G[i] @ x - b[i] @ x + lam1 * uv.sum(), np.concatenate(
                [g + lam1, -g + lam1])

        res = optimize.minimize(f, np.zeros(12), jac=True, method="L-BFGS-B",
                                bounds=[(0, None)] * 12, options={"ftol": 1e-15, "gtol": 1e-12})
        np.testing.assert_allclose(w[i], res.x[:6] - res.x[6:], atol=1e-6)
    assert np.any(w == 0)  # L1 zeroes some weights exactly


def test_singular_gram_keeps_the_initial_weights_in_the_null_space():
    rng = np.random.default_rng(2)
    z = bx.ensemble_z(rng, 4, 3, 10, 1.2)  # 2N = 6 < D = 10, λ₂ = 0
    w0 = rng.standard_normal((4, 10))
    G, b = bx.gram(z, 0.0)
    w = bx.stationary(G, b, w0=w0)
    np.testing.assert_allclose(np.einsum("sij,sj->si", G, w), b, atol=1e-10)
    for i in range(4):  # w − w0 lies in the span of the data: G⁺a + (1 − G⁺G) w(0)
        q, _ = np.linalg.qr(z[i].T)
        d = w[i] - w0[i]
        np.testing.assert_allclose(q @ (q.T @ d), d, atol=1e-10)
    np.testing.assert_allclose(bx.ExactFlow(z, 0.0, w0).w_inf, w, atol=1e-9)


@pytest.mark.parametrize(("dim", "n", "eps", "lam2"), [(5, 200, 1.5, 0.1), (10, 100, 1.2, 0.5)])
def test_lr14_moments_of_the_stationary_weights_match_eqs_84_85(dim, n, eps, lam2):
    """LR-14: mean and sd of w₁ and sd of w_j of G⁻¹a over sampled sets match Eqs. 84–85 with
    the derived α₃ within a few per cent; the printed α₃ misses σ_j by far more."""
    w = bx.mc_grok_probability(dim, n, eps, lam2, n_sets=20_000, seed=5, return_w=True)["w"]
    mu1, sd1, sdj = th.w_moments(dim, n, eps, lam2)
    assert w[:, 0].mean() == pytest.approx(mu1, rel=0.01)
    assert w[:, 0].std() == pytest.approx(sd1, rel=0.03)
    assert w[:, 1:].std() == pytest.approx(sdj, rel=0.03)
    assert abs(np.mean(w[:, 1:])) < Z_MAX * sdj / math.sqrt(w[:, 1:].size)
    printed = th.w_moments(dim, n, eps, lam2, alpha3="printed")[2]
    assert abs(printed / w[:, 1:].std() - 1) > 0.25


@pytest.mark.parametrize(("n", "n_sets"), [(50, 100_000), (200, 20_000)])
def test_lr14_probability_matches_eq86_with_a_tolerance_shrinking_with_n(n, n_sets):
    """LR-14: at the ε where Eq. 86 gives P = ½ (D = 10, λ₂ = 0.1), the Monte Carlo over 10⁵
    (N = 50) or 2·10⁴ (N = 200) data sets agrees within 4σ + 0.25/√N."""
    dim, lam2 = 10, 0.1
    eps = optimize.brentq(lambda e: th.p_grok_eq86(dim, n, e, lam2) - 0.5, 1.0001, 1.5)
    r = bx.mc_grok_probability(dim, n, eps, lam2, n_sets=n_sets, seed=n)
    tol = Z_MAX * r["stderr"] + 0.25 / math.sqrt(n)
    assert abs(r["p"] - 0.5) <= tol, (r, tol)


def test_lr15_eq32_matches_the_monte_carlo_of_exact_l1_solutions():
    """Regime N ≫ 1, λ_{2,D} ≫ ε² of Eqs. 30 and 32: the exact minimiser over sampled sets groks
    with the Eq. 30 (λ₁ = 0) and Eq. 32 (λ₁ > 0, R_k by Monte Carlo) probabilities; Eq. 33 and
    the χ²_k variant fall below."""
    dim, n, lam2, eps = 5, 200, 200.0, 1.0003
    sd = math.sqrt(1 / (2 * n * (dim + 2)))
    lam1 = sd
    r0 = bx.mc_grok_probability(dim, n, eps, lam2, 0.0, n_sets=10_000, seed=8)
    p30 = th.p_grok_eq30(dim, n, eps, lam2)  # λ₁ = 0: Eq. 32 is Eq. 30
    assert 0.1 < p30 < 0.9 and abs(r0["p"] - p30) <= Z_MAX * r0["stderr"] + 0.02, (r0, p30)
    r = bx.mc_grok_probability(dim, n, eps, lam2, lam1, n_sets=10_000, seed=9)
    p32 = th.p_grok_eq32(dim, n, eps, lam1, lam2, n_draws=300_000)
    assert 0.2 < p32 < 0.98
    assert abs(r["p"] - p32) <= Z_MAX * r["stderr"] + 0.02, (r, p32)
    assert th.p_grok_eq33(dim, n, eps, lam1) < r["p"]
    assert th.p_grok_eq32(dim, n, eps, lam1, lam2, rk="chi2") < r["p"] - Z_MAX * r["stderr"]


def test_eq90_is_a_lower_bound_of_the_monte_carlo():
    for dim, eps, lam1 in ((5, 1.005, 0.01), (10, 1.005, 0.005)):
        r = bx.mc_grok_probability(dim, 100, eps, 0.1, lam1, n_sets=4000, seed=dim)
        assert th.p_grok_eq90(dim, 100, eps, lam1, 0.1) <= r["p"] + Z_MAX * r["stderr"]

