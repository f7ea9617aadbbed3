"""Multi-class logit-regularization theory (spec beck2026 §1.4, §2.2, §3.3 Prop. D.2, §3.8, §7)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from scipy import linalg, optimize, special, stats

from groklab.theory import logit_reg_multiclass as mc


def _per_sample_loss(z, c, alpha, penalty):
    ce = special.logsumexp(z) - z[c]
    f = np.sum(z**2) if penalty == "square" else special.logsumexp(z) - z.mean()
    return (1 - alpha) * ce + alpha * f


# ---- targets (claim 2, multi-class part) ---------------------------------------------------


@pytest.mark.parametrize("K", [2, 3, 10, 100])
@pytest.mark.parametrize("alpha", [1e-3, 0.04, 0.2, 0.9])
def test_square_targets_solve_the_q_equation(K, alpha):
    q, q_low = mc.multiclass_targets(alpha, K)
    assert q > 0 and q_low == pytest.approx(-q / (K - 1), rel=1e-15)
    # reference root at 50 digits (mpmath), then compare to a few ulps
    with mpmath.workdps(50):
        a = mpmath.mpf(alpha)
        ref = mpmath.findroot(
            lambda x: 2 * a * x - (1 - a) * (K - 1) / (mpmath.exp(K * x / (K - 1)) + K - 1), q)
    assert abs(q - float(ref)) <= 4 * np.finfo(float).eps * q


@pytest.mark.parametrize("penalty", ["square", "ls"])
@pytest.mark.parametrize("K", [2, 5])
def test_targets_minimize_the_per_sample_loss(penalty, K):
    # independent: unconstrained BFGS on l(z, c=0) over R^K
    alpha = 0.1
    res = optimize.minimize(_per_sample_loss, np.zeros(K), args=(0, alpha, penalty),
                            method="BFGS", options={"gtol": 1e-12})
    z = res.x - (res.x.mean() if penalty == "ls" else 0.0)  # f_LS: defined up to a shift
    q, q_low = mc.multiclass_targets(alpha, K, penalty)
    expected = np.r_[q, np.full(K - 1, q_low)]
    np.testing.assert_allclose(z, expected, atol=1e-6)
    assert mc.target_matrix(alpha, K, penalty)[:, 0] == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("alpha", [0.01, 0.2, 0.7])
def test_k2_reduces_to_binary(alpha):
    # square: Delta = z1 - z2 = 2q solves binary f = Delta^2/2: a Delta = (1 - a) s(-Delta)
    delta = optimize.brentq(lambda x: alpha * x - (1 - alpha) * special.expit(-x), 0, 1e3,
                            xtol=1e-15)
    q, q_low = mc.multiclass_targets(alpha, 2)
    assert q - q_low == pytest.approx(delta, rel=1e-12)
    assert q == pytest.approx(delta / 2, rel=1e-12)
    # LS: binary f = (1/2) log(2 + 2 cosh Delta), f' = tanh(Delta/2)/2; closed form log((2-a)/a)
    delta_ls = optimize.brentq(
        lambda x: alpha * 0.5 * np.tanh(x / 2) - (1 - alpha) * special.expit(-x), 0, 1e3,
        xtol=1e-15)
    q, q_low = mc.multiclass_targets(alpha, 2, "ls")
    assert q - q_low == pytest.approx(delta_ls, rel=1e-12)
    assert q - q_low == pytest.approx(np.log((2 - alpha) / alpha), rel=1e-14)


def test_ls_loss_is_smoothed_cross_entropy():
    # (1 - eps) CE + eps f_LS == CE with target (1 - eps) e_c + eps/K (Eq. 7, alpha = eps)
    rng = np.random.default_rng(0)
    K, d, N, eps = 4, 3, 50, 0.3
    X, y = rng.standard_normal((N, d)), rng.integers(0, K, N)
    W, b = rng.standard_normal((K, d)), rng.standard_normal(K)
    Z = X @ W.T + b
    T = np.full((N, K), eps / K)
    T[np.arange(N), y] += 1 - eps
    direct = np.mean(-np.sum(T * (Z - special.logsumexp(Z, axis=1, keepdims=True)), axis=1))
    assert mc.multiclass_loss(W, b, X, y, eps, "ls") == pytest.approx(direct, rel=1e-13)


def test_target_errors():
    with pytest.raises(ValueError, match="'alpha' parameter must be a float in the range"):
        mc.multiclass_targets(0.0, 3)
    with pytest.raises(ValueError, match="'K' parameter must be an int >= 2"):
        mc.multiclass_targets(0.1, 1)
    with pytest.raises(ValueError, match="'penalty' parameter must be one of"):
        mc.multiclass_targets(0.1, 3, "hinge")


# ---- direct minimizer (spec §7) ------------------------------------------------------------


@pytest.mark.parametrize("penalty", ["square", "ls"])
def test_gradient_and_hessian_match_finite_differences(penalty):
    rng = np.random.default_rng(1)
    K, d, N = 3, 4, 30
    X, y = rng.standard_normal((N, d)), rng.integers(0, K, N)
    obj = mc._Objective(X, y, K, 0.3, penalty, 0.1)
    theta, v = rng.standard_normal(K * (d + 1)), rng.standard_normal(K * (d + 1))
    v = obj.project(v)
    h = 1e-6
    fd = (obj.fun(theta + h * v) - obj.fun(theta - h * v)) / (2 * h)
    assert obj.jac(theta) @ v == pytest.approx(fd, rel=1e-7)
    fd_h = (obj.jac(theta + h * v) - obj.jac(theta - h * v)) / (2 * h)
    np.testing.assert_allclose(obj.hessp(theta, v), fd_h, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("penalty", ["square", "ls"])
def test_minimizer_is_stationary_and_matches_lbfgs(penalty):
    X, y = mc.sample_multiclass(3, 6, 10, 0.4, 1.0, seed=3)
    fit = mc.minimize_multiclass(X, y, 3, 0.1, penalty)
    assert fit.converged and fit.grad_norm < 1e-10
    # independent optimizer on the loss function only (numerical gradients)
    def f(t):
        return mc.multiclass_loss(t[:18].reshape(3, 6), t[18:], X, y, 0.1, penalty)
    ref = optimize.minimize(f, np.zeros(21), method="L-BFGS-B", options={"ftol": 1e-15,
                                                                          "gtol": 1e-9})
    assert fit.loss <= ref.fun + 1e-12
    assert fit.loss == pytest.approx(ref.fun, rel=1e-8)
    if penalty == "ls":  # identifiable up to a class shift; the returned point is centred
        assert np.abs(fit.W.sum(axis=0)).max() < 1e-12


def test_rank_deficient_returns_row_space_solution():
    # d > N: the minimizer set is affine; the returned W lies in the row space of [X 1]
    X, y = mc.sample_multiclass(3, 40, 5, 0.3, 1.0, seed=4)
    fit = mc.minimize_multiclass(X, y, 3, 0.2)
    assert fit.converged
    A = np.hstack([X, np.ones((len(y), 1))])
    theta = np.hstack([fit.W, fit.b[:, None]])
    resid = theta - theta @ np.linalg.pinv(A) @ A
    assert np.abs(resid).max() < 1e-9


# ---- Prop. D.2 (claim 16) ------------------------------------------------------------------


@pytest.mark.parametrize("K", [3, 10])
def test_prop_d2_equals_minimizer_and_generalizes(K):
    d, n, alpha = 40, 20, 0.2  # N = 20 K > d: lambda < 1
    X, y = mc.sample_multiclass(K, d, n, 0.0, 1.0, seed=5)
    means = np.eye(K, d)
    W, b = mc.prop_d2_weights(means, alpha)
    fit = mc.minimize_multiclass(X, y, K, alpha)
    assert fit.converged
    np.testing.assert_allclose(fit.W, W, atol=1e-8)
    np.testing.assert_allclose(fit.b, b, atol=1e-8)
    # every training logit sits on its simplex vertex, W_perp = 0
    Z = X @ W.T + b
    np.testing.assert_allclose(Z, mc.target_matrix(alpha, K)[:, y].T, atol=1e-12)
    U, _ = mc.class_subspace(means)
    assert np.abs(W - W @ U @ U.T).max() < 1e-12
    acc, se = mc.population_accuracy(fit.W, fit.b, means, 0.0, 1.0, n_samples=10**5)
    assert acc == 1.0 and se == 0.0


def test_class_subspace_rejects_dependent_means():
    with pytest.raises(ValueError, match="not affinely independent"):
        mc.class_subspace([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])


# ---- Fisher / LDA, Prop. D.1 (claim 16) ----------------------------------------------------


def test_quadratic_fit_row_space_is_lda_subspace_and_q_invariant():
    K, d = 4, 20
    X, y = mc.sample_multiclass(K, d, 30, 0.5, 1.0, seed=6)
    W, b = mc.fit_quadratic(X, y, K)
    # independent LDA span{S_W^-1 (mu_c - mu)} by linear solves
    mu_c = np.stack([X[y == c].mean(axis=0) for c in range(K)])
    R = X - mu_c[y]
    lda = linalg.solve(R.T @ R, (mu_c - X.mean(axis=0)).T, assume_a="pos")
    assert np.linalg.matrix_rank(lda, tol=1e-8) == K - 1
    row = linalg.orth(W.T)
    assert row.shape[1] == K - 1  # centred targets: the fitted W has rank K - 1
    assert np.max(linalg.subspace_angles(row, linalg.orth(lda))) < 1e-8
    V, w = mc.fisher_subspace(X, y, K)
    assert np.max(linalg.subspace_angles(V, row)) < 1e-8
    # Fisher criterion J at V is the sum of the eigenvalues and beats a random subspace
    S_W = R.T @ R
    D = mu_c - X.mean(axis=0)
    S_B = (D * np.bincount(y)[:, None]).T @ D

    def J(U):
        return np.trace(np.linalg.solve(U.T @ S_W @ U, U.T @ S_B @ U))

    assert J(V) == pytest.approx(w.sum(), rel=1e-10)
    assert J(np.random.default_rng(0).standard_normal((d, K - 1))) < J(V)
    # Prop. D.1: targets q e_c scale (W, b) by q; predictions do not change
    W3, b3 = mc.fit_quadratic(X, y, K, 3.0 * np.eye(K))
    np.testing.assert_allclose(W3, 3 * W, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(b3, 3 * b, rtol=1e-10, atol=1e-13)
    Xt, _ = mc.sample_multiclass(K, d, 500, 0.5, 1.0, seed=7)
    assert np.array_equal(np.argmax(Xt @ W.T + b, 1), np.argmax(Xt @ W3.T + b3, 1))


def test_fisher_subspace_needs_invertible_within_scatter():
    X, y = mc.sample_multiclass(3, 30, 5, 0.5, 1.0, seed=8)
    with pytest.raises(ValueError, match="S_W is singular"):
        mc.fisher_subspace(X, y, 3)


# ---- population accuracy (spec §2.2) -------------------------------------------------------


def test_population_accuracy_matches_sampled_inputs_and_k2_closed_form():
    K, d, sf, sn = 5, 30, 0.5, 1.0
    X, y = mc.sample_multiclass(K, d, 10, sf, sn, seed=9)
    fit = mc.minimize_multiclass(X, y, K, 0.2)
    means = np.eye(K, d)
    acc, se = mc.population_accuracy(fit.W, fit.b, means, sf, sn, n_samples=10**6, seed=1)
    assert 0.3 < acc < 0.95 and 0 < se < 1e-3
    Xt, yt = mc.sample_multiclass(K, d, 40_000, sf, sn, seed=10)
    direct = np.mean(np.argmax(Xt @ fit.W.T + fit.b, 1) == yt)
    se_direct = np.sqrt(direct * (1 - direct) / len(yt))
    assert abs(acc - direct) < 4 * np.hypot(se, se_direct), (acc, direct)
    # K = 2: class c is right iff (w_c - w_other)^T x + ... > 0, a Gaussian: Phi(mean / std)
    X2, y2 = mc.sample_multiclass(2, d, 10, sf, sn, seed=11)
    f2 = mc.minimize_multiclass(X2, y2, 2, 0.2)
    m2 = np.eye(2, d)
    U, _ = mc.class_subspace(m2)
    w = f2.W[0] - f2.W[1]
    var = sf**2 * (w @ U) @ (w @ U) + sn**2 * (w @ w - (w @ U) @ (w @ U))
    gap = (w @ m2.T + f2.b[0] - f2.b[1]) * np.array([1, -1])
    exact = np.mean(stats.norm.cdf(gap / np.sqrt(var)))
    acc2, se2 = mc.population_accuracy(f2.W, f2.b, m2, sf, sn, n_samples=10**6, seed=2)
    assert abs(acc2 - exact) < 4 * se2, (acc2, exact, se2)


def test_sample_multiclass_covariance():
    K, d = 3, 10
    X, y = mc.sample_multiclass(K, d, 20_000, 0.5, 2.0, seed=12)
    U, _ = mc.class_subspace(np.eye(K, d))
    R = X - np.eye(K, d)[y]
    C = R.T @ R / len(y)
    P_S = U @ U.T
    np.testing.assert_allclose(C, 0.25 * P_S + 4.0 * (np.eye(d) - P_S), atol=0.06)
