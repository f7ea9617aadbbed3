"""Tests of groklab.theory.separability (Beck, Levi & Bar-Sinai 2025; spec sections 2, 7, 8)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import optimize, special
from scipy.linalg import null_space
from scipy.spatial.distance import pdist
from scipy.stats import binom

from groklab.theory import separability as sp


def _exact_log_wendel(N: int, d: int) -> float:
    """Reference: exact integer sum_{k<d} C(N-1, k), then log, minus (N-1) log 2."""
    n, total, c = N - 1, 0, 1
    for k in range(min(d, N)):  # exact integer recurrence C(n, k+1) = C(n, k) (n - k)/(k + 1)
        total += c
        c = c * (n - k) // (k + 1)
    p = Fraction(total, 2 ** (N - 1))
    if p > Fraction(1, 2):
        return math.log1p(-float(1 - p))
    return math.log(total) - (N - 1) * math.log(2.0)


# ------------------------------------------------------------------------------------- Wendel


@pytest.mark.parametrize("N", [1, 2, 7, 40, 401])
def test_wendel_equals_binomial_cdf(N):
    d = np.arange(1, N + 3)
    np.testing.assert_allclose(sp.wendel_prob(N, d), binom.cdf(d - 1, N - 1, 0.5),
                               rtol=1e-11, atol=1e-300)
    assert np.all(sp.wendel_prob(N, d[d >= N]) == 1.0)


@pytest.mark.parametrize(("N", "d"), [(200, 3), (200, 99), (200, 100), (200, 150),
                                      (40000, 2000), (40000, 19200), (40000, 20000),
                                      (40000, 20800), (40000, 39000), (5000, 1)])
def test_wendel_log_space_matches_exact_integers(N, d):
    # exact big-integer binomial sum; at N = 4e4, d = 2000 the probability is ~e^-19792
    ref = _exact_log_wendel(N, d)
    got = float(sp.wendel_log_prob(N, d))
    assert np.isfinite(got)
    assert got == pytest.approx(ref, rel=1e-11, abs=1e-300 if ref == 0 else 1e-14 * abs(ref))


def test_wendel_log_monotone_at_huge_N():
    N = 40000
    d = np.arange(1, 40001, 97)
    lp = sp.wendel_log_prob(N, d)
    assert np.all(np.isfinite(lp)) and np.all(np.diff(lp) >= 0) and lp[-1] == 0
    assert np.all(np.diff(lp)[lp[1:] < -1e-12] > 0)
    assert sp.wendel_log_prob(10**7, 10**6) < -1e6  # far beyond float64 underflow


def test_wendel_limit_converges_and_sharpens():
    # Eq. 13 is the continuity-corrected normal approximation: max error O(1/N)
    errs = []
    for N in (400, 4000):
        d = np.arange(1, N + 1)
        errs.append(np.max(np.abs(sp.wendel_prob(N, d) - sp.wendel_limit(d / N, d))))
    assert errs[1] < 2e-3 and errs[0] / errs[1] > 5
    # the step at lam = 1/2 sharpens with N (Eq. 14)
    for lam in (0.45, 0.55):
        p = [sp.wendel_prob(N, round(lam * N)) for N in (100, 1000, 10000)]
        p = np.array(p) if lam > 0.5 else 1 - np.array(p)
        assert np.all(np.diff(p) > 0) and p[-1] > 1 - 1e-12
    assert sp.wendel_limit(0.5, 1000) == 0.5
    np.testing.assert_array_equal(sp.wendel_limit([0.3, 0.5, 0.7], np.inf), [0, 0.5, 1])


@pytest.mark.parametrize(("N", "d"), [(20, 10), (30, 12), (24, 14), (40, 20)])
def test_wendel_matches_lp_monte_carlo(N, d):
    rng = np.random.default_rng(1000 * N + d)
    reps = 150
    seps = [sp.is_separable(rng.standard_normal((N, d))) for _ in range(reps)]
    freq, p = np.mean(seps), float(sp.wendel_prob(N, d))
    assert abs(freq - p) < 4 * math.sqrt(p * (1 - p) / reps) + 1 / reps


def test_wendel_any_symmetric_law():
    # Laplace and Gaussian-mixture points near lam = 1/2 (spec App. G): same p
    rng = np.random.default_rng(7)
    N, d, reps = 30, 15, 150
    p = float(sp.wendel_prob(N, d))
    for draw in (lambda: rng.laplace(size=(N, d)),
                 lambda: rng.choice([-1.0, 1.0], (N, d)) + 0.5 * rng.standard_normal((N, d))):
        freq = np.mean([sp.is_separable(draw()) for _ in range(reps)])
        assert abs(freq - p) < 4 * math.sqrt(p * (1 - p) / reps) + 1 / reps


# ------------------------------------------------------------------------------------- LP


def test_is_separable_certificates_and_labels():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 20))
    sep, S = sp.is_separable(X, return_direction=True)
    assert sep and np.min(X @ S) >= 1 - 1e-7
    X = rng.standard_normal((30, 5))
    assert sp.is_separable(X, return_direction=True) == (False, None)
    # two-class data: folding labels in, with and without bias
    y = np.where(rng.random(30) < 0.5, -1.0, 1.0)
    Xc = rng.standard_normal((30, 2)) + 3.0 * y[:, None] + np.array([10.0, 0.0])
    assert sp.is_separable(Xc, y, with_bias=True)
    sep, w = sp.is_separable(Xc, y, with_bias=True, return_direction=True)
    assert w.shape == (3,) and np.min(y * (Xc @ w[:2] + w[2])) >= 1 - 1e-7
    assert sp.is_separable(np.ones((4, 2)), with_bias=True)  # no labels: trivially True
    assert not sp.is_separable(np.array([[1.0, 0.0], [-1.0, 0.0]]))  # 0 on the hull


# ------------------------------------------------------------------------------------- QP


def _slsqp_eq5(X):
    N, d = X.shape
    cons = {"type": "ineq", "fun": lambda w: -(X @ w[:d] + w[d]) - 1.0,
            "jac": lambda w: -np.hstack([X, np.ones((N, 1))])}
    res = optimize.minimize(lambda w: w @ w, np.r_[np.zeros(d), -1.0], jac=lambda w: 2 * w,
                            constraints=[cons], method="SLSQP",
                            options={"ftol": 1e-14, "maxiter": 500})
    assert res.success
    return res.x[:d], res.x[d]


def _slsqp_hull_distance(X):
    """Independent reference: p* = argmin ||X^T theta|| over the simplex (spec section 2)."""
    N = X.shape[0]
    res = optimize.minimize(lambda th: np.sum((X.T @ th) ** 2), np.full(N, 1.0 / N),
                            jac=lambda th: 2 * X @ (X.T @ th), bounds=[(0, None)] * N,
                            constraints=[{"type": "eq", "fun": lambda th: th.sum() - 1.0,
                                          "jac": lambda th: np.ones(N)}],
                            method="SLSQP", options={"ftol": 1e-15, "maxiter": 1000})
    assert res.success
    return X.T @ res.x


@pytest.mark.parametrize(("N", "d", "seed"), [(30, 20, 0), (30, 10, 1), (40, 21, 2),
                                              (40, 19, 3), (25, 3, 4)])
def test_max_margin_kkt_and_slsqp(N, d, seed):
    X = 2.0 * np.random.default_rng(seed).standard_normal((N, d))
    mm = sp.max_margin(X)
    assert mm.kkt_residual < 1e-11
    assert mm.separable == sp.is_separable(X)
    S, b = _slsqp_eq5(X)
    np.testing.assert_allclose(mm.S, S, atol=1e-6)
    assert mm.b == pytest.approx(b, abs=1e-6)
    if mm.separable:  # closed form of spec section 2: w_SVM = (M^2 S*, -1)/(1 + M^2)
        p = _slsqp_hull_distance(X)
        assert mm.margin == pytest.approx(np.linalg.norm(p), rel=1e-5)
        np.testing.assert_allclose(mm.hull_point, p, atol=1e-6 * np.linalg.norm(p))
        np.testing.assert_allclose(mm.S, mm.margin**2 * mm.S_star / (1 + mm.margin**2),
                                   rtol=1e-10, atol=1e-12)
        assert mm.b == pytest.approx(-1 / (1 + mm.margin**2), rel=1e-12)
        assert np.max(X @ mm.S_star) <= -1 + 1e-9
        rate_S, rate_b = sp.separable_rates(mm.margin)  # App. J rates = w_SVM components
        assert rate_S == pytest.approx(np.linalg.norm(mm.S), rel=1e-10)
        assert rate_b == pytest.approx(mm.b, rel=1e-10)
    else:  # w_SVM = (0, -1)
        assert mm.margin < 1e-12 and np.all(np.isnan(mm.S_star))
        np.testing.assert_allclose(mm.S, 0, atol=1e-12)
        assert mm.b == pytest.approx(-1.0, abs=1e-12)


def test_margin_scales_with_sigma_and_limit_accuracy():
    X1 = np.random.default_rng(5).standard_normal((50, 35))
    M1 = sp.max_margin(X1).margin
    sigma = 5.0
    M = sp.max_margin(sigma * X1).margin
    assert M == pytest.approx(sigma * M1, rel=1e-9)
    # Prop. 3.2 and Eq. 42
    acc = sp.limit_gen_accuracy(M, sigma)
    assert acc == pytest.approx(0.5 * (1 + special.erf(1 / (np.sqrt(2) * sigma**2 * M1))))
    assert sp.limit_gen_accuracy(0.0, 3.0) == 1.0
    assert sp.limit_gen_accuracy(1.0, 1.0) == pytest.approx(special.ndtr(1.0), rel=1e-14)
    # 1-D toy model x = (-1, 1 - 2 lam), lam > 1/2: M = 2 lam - 1 (spec section 3)
    lam = 0.8
    mm = sp.max_margin(np.array([[-1.0], [1 - 2 * lam]]))
    assert mm.margin == pytest.approx(2 * lam - 1, rel=1e-12)


# ------------------------------------------------------------------------------------- S_inf


@pytest.mark.parametrize(("N", "d", "seed"), [(60, 10, 0), (80, 30, 1), (100, 45, 2)])
def test_s_infinity_stationary_and_direct_minimization(N, d, seed):
    X = 3.0 * np.random.default_rng(seed).standard_normal((N, d))
    assert not sp.is_separable(X, method="lp")  # these seeds are inseparable (lam <= 0.45)
    r = sp.s_infinity(X)
    z = X @ r.S
    p = special.softmax(z)
    assert np.linalg.norm(X.T @ p) < 1e-9
    assert r.G == pytest.approx(np.mean(np.exp(z)), rel=1e-12)
    ref = optimize.minimize(lambda S: special.logsumexp(X @ S), np.zeros(d),
                            jac=lambda S: X.T @ special.softmax(X @ S), method="BFGS",
                            options={"gtol": 1e-11, "maxiter": 10000})
    np.testing.assert_allclose(r.S, ref.x, rtol=1e-5, atol=1e-6 * np.linalg.norm(ref.x))


@pytest.mark.parametrize("lam", [0.05, 0.3, 0.45, 0.499])
def test_s_infinity_one_dimensional_closed_form(lam):
    # spec section 3: S_inf = log(1/(1 - 2 lam)) / (2 (1 - lam)) for x = (-1, 1 - 2 lam)
    r = sp.s_infinity(np.array([[-1.0], [1 - 2 * lam]]))
    assert r.S[0] == pytest.approx(np.log(1 / (1 - 2 * lam)) / (2 * (1 - lam)), rel=1e-10)


def test_s_infinity_reports_separable():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((40, 30))
    assert sp.is_separable(X)
    with pytest.raises(sp.SeparableError, match="separable from the origin") as info:
        sp.s_infinity(X)
    assert np.max(X @ info.value.direction) < 0
    assert isinstance(info.value, ValueError)


def test_inseparable_asymptotics():
    t = np.array([0.0, 1e3, 1e8, 1e12])
    out = sp.inseparable_asymptotics(t, eta=0.01, G_inf=0.7, norm_S_inf=2.0, sigma=1.5, b0=0.3)
    assert out.b[0] == 0.3
    np.testing.assert_allclose(np.exp(-out.b), np.exp(-0.3) + 0.01 * 0.7 * t, rtol=1e-13)
    assert 0.01 * t[-1] * out.loss_train[-1] == pytest.approx(1.0, rel=1e-9)
    np.testing.assert_allclose(out.loss_gen / out.loss_train, np.exp(1.5**2 * 4 / 2) / 0.7,
                               rtol=1e-12)


# ------------------------------------------------------------------------------------- errors


def test_bad_inputs():
    with pytest.raises(ValueError, match="'lam'"):
        sp.wendel_limit(0.0, 10)
    with pytest.raises(ValueError, match="'lam'"):
        sp.wendel_limit(-0.2, 10)
    with pytest.raises(ValueError, match="'N'"):
        sp.wendel_prob(0, 3)
    with pytest.raises(ValueError, match="'d'"):
        sp.wendel_prob(10, 0)
    with pytest.raises(ValueError, match="'d'"):
        sp.wendel_prob(10, 2.5)
    with pytest.raises(ValueError, match="'d'"):
        sp.wendel_limit(0.3, 0)
    bad = np.ones((5, 3))
    bad[2, 1] = np.nan
    for fn in (sp.is_separable, sp.max_margin, sp.s_infinity):
        with pytest.raises(ValueError, match="'X'.*finite"):
            fn(bad)
        with pytest.raises(ValueError, match="'X'.*2-D"):
            fn(np.ones(4))
        with pytest.raises(ValueError, match="'X'.*2-D"):
            fn(np.ones((0, 3)))
    with pytest.raises(ValueError, match="'margin'"):
        sp.limit_gen_accuracy(-1.0)
    with pytest.raises(ValueError, match="'margin'"):
        sp.separable_rates(0.0)
    with pytest.raises(ValueError, match="'y'"):
        sp.is_separable(np.ones((3, 2)), [1, 0, 1])


# ------------------------------------------------------------------------------------- fast path


@pytest.mark.parametrize(("N", "d"), [(20, 10), (40, 20), (41, 20), (60, 31), (80, 38)])
def test_is_separable_certificate_path_agrees_with_lp(N, d):
    # near lam = 1/2: the Newton/Farkas certificates (method="auto") must match the LP judge
    rng = np.random.default_rng(77 * N + d)
    for _ in range(60):
        X = 5.0 * rng.standard_normal((N, d))
        sep, S = sp.is_separable(X, return_direction=True)
        assert sep == sp.is_separable(X, method="lp")
        if sep:
            assert np.min(X @ S) >= 1 - 1e-9
        else:
            assert S is None


def test_is_separable_certificates_are_rigorous():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((200, 80))
    norms = np.linalg.norm(X, axis=1)
    cert = sp._newton_certificate(X, norms)
    assert cert is not None and cert == (False, None)  # decided without the LP
    X = rng.standard_normal((200, 120))
    sep, S = sp._newton_certificate(X, np.linalg.norm(X, axis=1))
    assert sep and np.min(X @ S) >= 1.0
    # a point set with 0 on the hull boundary is never certified either way by the fast path
    assert sp._newton_certificate(np.array([[1.0, 0.0], [-1.0, 0.0]]), np.ones(2)) is None
    with pytest.raises(ValueError, match="'method'"):
        sp.is_separable(X, method="simplex")


# -------------------------------------------------------------------------------- max_margin IPM


@pytest.mark.parametrize(("N", "d", "sigma"), [(40, 19, 1.0), (40, 21, 5.0), (120, 50, 1.0),
                                               (120, 70, 0.2), (300, 140, 1.0), (300, 160, 5.0),
                                               (7, 12, 1.0)])
def test_max_margin_ipm_matches_nnls(N, d, sigma):
    # the interior-point path with exact crossover (default) against the Lawson-Hanson NNLS
    X = sigma * np.random.default_rng(N + d).standard_normal((N, d))
    new, old = sp.max_margin(X), sp.max_margin(X, method="nnls")
    assert new.kkt_residual <= 1e-11 and old.kkt_residual <= 1e-11
    assert new.separable == old.separable == sp.is_separable(X)
    np.testing.assert_allclose(new.S, old.S, atol=1e-9 * max(1.0, np.abs(old.S).max()))
    assert new.b == pytest.approx(old.b, abs=1e-10)
    assert new.margin == pytest.approx(old.margin, abs=1e-10)


def test_max_margin_ipm_degenerate_inputs_fall_back_exactly():
    # duplicated rows / rank-deficient data: crossover via pseudo-inverse, or NNLS decides
    rng = np.random.default_rng(9)
    X = rng.standard_normal((30, 15))
    X[1] = X[0]
    Xr = rng.standard_normal((100, 45))
    Xr[:, 1] = Xr[:, 0]
    dup = np.array([[1.0, 0.5], [1.0, 0.5], [0.2, 1.0], [3.0, 3.0]])  # duplicated support
    assert sp._eq5_ipm(dup, 100) is None  # Z_A Z_A^T singular: the crossover declines
    for Y in (X, Xr, dup, np.array([[1.0, 0.0], [-1.0, 0.0]]), np.ones((5, 3))):
        mm, ref = sp.max_margin(Y), sp.max_margin(Y, method="nnls")
        assert mm.kkt_residual <= 1e-11
        np.testing.assert_allclose(np.r_[mm.S, mm.b], np.r_[ref.S, ref.b], atol=1e-10)
    mm = sp.max_margin(np.ones((5, 3)))  # one distinct point: M = ||x|| = sqrt 3
    assert mm.margin == pytest.approx(np.sqrt(3.0), rel=1e-12)
    with pytest.raises(ValueError, match="'method'"):
        sp.max_margin(X, method="slsqp")


@pytest.mark.parametrize("guess", ["neighbour", "everything", "wrong", "empty"])
def test_max_margin_support_guess_gives_the_certified_solution(guess, monkeypatch):
    # warm start from a support guess: the exact active-set solve is accepted only when its KKT
    # residual certifies it; any other guess falls back to the IPM, with the same answer
    rng = np.random.default_rng(3)
    g = rng.standard_normal((200, 120))
    X, Xn = g.copy(), 1.15 * g  # the problem and its σ-neighbour (first column kept)
    X[:, 0] = Xn[:, 0] = 1.0 + 0.5 * g[:, 0]
    ref = sp.max_margin(X, method="nnls")
    support = {"neighbour": sp.max_margin(Xn).alpha > 0, "everything": np.arange(200),
               "wrong": np.flatnonzero(ref.alpha == 0)[:5], "empty": np.array([], int)}[guess]
    if guess == "neighbour":  # a good guess is certified without the interior point
        monkeypatch.setattr(sp, "_eq5_ipm", lambda *a: pytest.fail("IPM ran"))
    mm = sp.max_margin(X, support=support)
    assert mm.kkt_residual <= 1e-11
    np.testing.assert_allclose(mm.hull_point, ref.hull_point, rtol=1e-8, atol=1e-10)
    assert mm.margin == pytest.approx(ref.margin, rel=1e-9)


def test_max_margin_support_guess_is_validated():
    X = np.random.default_rng(0).standard_normal((10, 3))
    with pytest.raises(ValueError, match="boolean 'support' mask must have shape"):
        sp.max_margin(X, support=np.ones(9, bool))
    with pytest.raises(ValueError, match="indices in"):
        sp.max_margin(X, support=[0, 10])


# ------------------------------------------------------------------------------------- claim 5


def test_s_infinity_finite_iff_lp_inseparable():
    # claim 5: min_S sum_i exp(S^T x_i) is attained iff the LP says 0 in conv{x_i}
    rng = np.random.default_rng(21)
    seen = {True: 0, False: 0}
    for _ in range(40):
        X = rng.standard_normal((40, 20))  # lam = 1/2: both outcomes are frequent
        separable = sp.is_separable(X, method="lp")
        seen[separable] += 1
        if not separable:
            r = sp.s_infinity(X)
            assert np.all(np.isfinite(r.S)) and r.grad_norm < 1e-9
            continue
        with pytest.raises(sp.SeparableError, match="infimum 0") as info:
            sp.s_infinity(X)
        # infimum 0 not attained: along the certificate ray the objective -> 0 while ||S|| -> inf
        u = info.value.direction
        u = u / -np.max(X @ u)  # max_i u^T x_i = -1, so f(t u) <= N e^{-t}
        logf = [float(special.logsumexp(t * (X @ u))) for t in (1.0, 10.0, 100.0, 1000.0)]
        assert np.all(np.diff(logf) < 0) and logf[-1] <= np.log(40) - 1000
        # and no S is stationary: ||X^T softmax(X S)|| >= M > 0 (the softmax mean is in the hull)
        M = sp.max_margin(X).margin
        assert M > 0
        for S in [np.zeros(20), 100.0 * u, *rng.standard_normal((5, 20))]:
            assert np.linalg.norm(X.T @ special.softmax(X @ S)) >= M * (1 - 1e-12)
    assert min(seen.values()) >= 10


# ------------------------------------------------------------------------------------- claim 6


def test_mean_s_infinity_grows_as_lam_to_half():
    # claim 6 / Prop. 3.4: mean ||S_inf|| over LP-inseparable Gaussian draws at fixed N = 200
    rng = np.random.default_rng(6)
    N, means = 200, []
    for lam in (0.2, 0.35, 0.45, 0.49):  # 1 - 2 lam = 0.6, 0.3, 0.1, 0.02
        norms = []
        while len(norms) < 30:
            X = rng.standard_normal((N, round(lam * N)))
            if not sp.is_separable(X):
                norms.append(np.linalg.norm(sp.s_infinity(X).S))
        means.append(np.mean(norms))
    # measured: 0.66, 1.56, 4.04, 7.16 (seed 6; growth x10.8)
    assert np.all(np.diff(means) > 0), means
    assert means[-1] > 8 * means[0], means


def test_one_dimensional_s_infinity_diverges_logarithmically():
    # claim 6 in 1-D (spec section 3): S_inf = log(1/x)/(1 + x), x = 1 - 2 lam, so each decade of
    # x adds log(10)/(1 + x) -> log 10; the numerical minimizer follows it to x = 1e-8
    # (gtol tightened: near the divergence the curvature ~ x is tiny, and the default gradient
    # tolerance 1e-10 leaves a relative error ~4e-6 in S at x = 1e-8)
    x = 10.0 ** -np.arange(1, 9)
    S = np.array([sp.s_infinity(np.array([[-1.0], [xx]]), gtol=1e-13).S[0] for xx in x])
    exact = np.log(1 / x) / (1 + x)
    np.testing.assert_allclose(S, exact, rtol=1e-9)
    np.testing.assert_allclose(np.diff(S), np.diff(exact), rtol=1e-8)
    assert np.diff(S)[-1] == pytest.approx(np.log(10.0), rel=1e-5)


# ------------------------------------------------------------------------------------- App. D


def test_diameter_matches_pdist():
    rng = np.random.default_rng(4)
    for X in (rng.standard_normal((2500, 3)), rng.standard_normal((7, 40)),
              np.array([[1e8, 0.0], [1e8 + 1.0, 0.0]])):  # cancellation in the Gram form
        assert sp.diameter(X, block=1024) == pytest.approx(pdist(X).max(), rel=1e-13)
    assert sp.diameter(np.ones((1, 3))) == 0.0


@pytest.mark.parametrize("x", [0.5, 0.1, 1e-3, 1e-6])
def test_app_d_bound_is_exact_in_one_dimension(x):
    # x1 = -1, x2 = x: theta is unique, theta_1 = x/(1 + x), so eps({x2}) = x/(1 + x); with
    # D = 1 + x, k = 1, N = 2 the bound is log(1/x)/(1 + x) = S_inf (spec section 3): equality
    X = np.array([[-1.0], [x]])
    assert sp.boundary_epsilon(X, [1]) == pytest.approx(x / (1 + x), rel=1e-12)
    exact = np.log(1 / x) / (1 + x)
    assert sp.app_d_bound(X, [1]) == pytest.approx(exact, rel=1e-12)
    assert sp.app_d_bound(X, [1]) <= sp.s_infinity(X).S[0] * (1 + 1e-7)
    # F = {x1}: vacuous; 1 - eps = x/(1 + x) is formed from eps, so only ~1e-16/x relative
    assert sp.app_d_bound(X, [0]) == pytest.approx(-exact, rel=1e-9)
    assert sp.app_d_bound(X, np.array([False, True]), eps=x / (1 + x)) == pytest.approx(exact)


def _near_boundary_set(delta, d=5, m=15, seed=0):
    """0 at distance delta from the facet F = {x_1 = delta} (a regular simplex of k = d points
    around (delta, 0, ..., 0)); m points with x_1 <= -1 on the other side, one at (-1, 0, ...)."""
    rng = np.random.default_rng(seed)
    V = (np.eye(d) - 1.0 / d) @ null_space(np.ones((1, d)))  # d points in R^{d-1}, mean 0
    F = np.hstack([np.full((d, 1), delta), V])
    Off = np.hstack([-1 - 0.5 * np.abs(rng.standard_normal((m, 1))),
                     rng.standard_normal((m, d - 1))])
    Off[0] = 0.0
    Off[0, 0] = -1.0
    return np.vstack([F, Off]), np.arange(d)


def test_app_d_bound_on_constructed_near_boundary_sets():
    # claim 22. Sum theta_i x_i1 = 0 with x_1 = delta on F and <= -1 off F gives
    # 1 - theta_F <= delta theta_F, with equality via (-1, 0, ...): eps = delta/(1 + delta), so the
    # bound is (log(1/delta) + log((N - k)/k))/D exactly
    deltas = 10.0 ** -np.arange(1, 7)
    bounds, norms = [], []
    for delta in deltas:
        X, F = _near_boundary_set(delta)
        N, k = X.shape[0], F.size
        eps = sp.boundary_epsilon(X, F)
        assert eps == pytest.approx(delta / (1 + delta), rel=1e-8)
        D = pdist(X).max()
        bound = sp.app_d_bound(X, F)
        assert bound == pytest.approx((np.log(1 / delta) + np.log((N - k) / k)) / D, rel=1e-8)
        r = sp.s_infinity(X)
        # the derivation's key step: softmax weights at S_inf are LP-feasible, so off-F mass <= eps
        p = special.softmax(X @ r.S)
        assert p[k:].sum() <= eps * (1 + 1e-8)
        bounds.append(bound)
        norms.append(np.linalg.norm(r.S))
    bounds, norms = np.array(bounds), np.array(norms)
    assert np.all(norms >= bounds)  # measured ratios bound/||S_inf||: 0.29 ... 0.25
    # both diverge like log(1/delta): the bound by log(10)/D per decade; ||S_inf|| by about
    # log(10)/gap per decade, gap = 1 + delta the x_1-distance from F to (-1, 0, ...)
    np.testing.assert_allclose(np.diff(bounds), np.log(10.0) / D, rtol=1e-6)
    slope = np.diff(norms) / np.log(10.0)  # measured 0.94, 0.91, 0.93, 0.94, 0.95
    assert np.all(slope > 0.85) and np.all(slope < 1.05), slope


def test_app_d_bound_holds_for_any_facet_on_gaussian_draws():
    # near lam = 1/2, F = the k points with the largest S_inf^T x_i (active at the boundary),
    # for several k, and random F: ||S_inf|| >= bound always (k <= d ones non-vacuous)
    rng = np.random.default_rng(3)
    N, d, done = 60, 28, 0
    while done < 6:
        X = rng.standard_normal((N, d))
        if sp.is_separable(X):
            continue
        done += 1
        r = sp.s_infinity(X)
        norm, p = np.linalg.norm(r.S), special.softmax(X @ r.S)
        order = np.argsort(-(X @ r.S))
        for F in (order[:1], order[:d // 2], order[:d], order[:d + 1], rng.choice(N, d, False)):
            eps = sp.boundary_epsilon(X, F)
            off = np.setdiff1d(np.arange(N), F)
            assert p[off].sum() <= eps + 1e-9  # p is feasible for the eps-LP
            assert sp.app_d_bound(X, F, eps) <= norm
        assert 0 < sp.app_d_bound(X, order[:d])  # measured ratio to ||S_inf||: 0.025 ... 0.05


def test_boundary_epsilon_errors():
    X = np.array([[1.0, 0.2], [2.0, -0.3], [1.5, 1.0]])  # separable from the origin
    with pytest.raises(sp.SeparableError, match="separable from the origin") as info:
        sp.boundary_epsilon(X, [0])
    assert np.max(X @ info.value.direction) < 0
    with pytest.raises(sp.SeparableError):
        sp.app_d_bound(X, [0])
    Y = np.array([[-1.0], [0.5], [2.0]])
    for bad in ([], [0, 1, 2], [3], [-1], [0.5], np.array([True, False])):
        with pytest.raises(ValueError, match="'facet'"):
            sp.boundary_epsilon(Y, bad)
    with pytest.raises(ValueError, match="'eps'"):
        sp.app_d_bound(Y, [1], eps=1.5)
    # eps = 0 (0 in conv F, no finite S_inf) and eps = 1 (vacuous)
    Z = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert sp.boundary_epsilon(Z, [0, 1]) == 0.0 and sp.app_d_bound(Z, [0, 1]) == np.inf
    assert sp.app_d_bound(Z, [2], eps=1.0) == -np.inf


def test_bad_point_arrays_have_clear_errors():
    funcs = (sp.is_separable, sp.max_margin, sp.s_infinity, sp.diameter,
             lambda X: sp.boundary_epsilon(X, [0]))
    cases = [(np.full((3, 2), np.inf), "finite"), (np.ones((3, 0)), "2-D"),
             (np.ones((2, 2, 2)), "2-D"), ([["a", "b"]], "real numbers"),
             ([[1.0, 2.0], [3.0]], "ragged"), (np.ones((2, 2)) * 1j, "real numbers")]
    for fn in funcs:
        for X, match in cases:
            with pytest.raises(ValueError, match=f"'X'.*{match}"):
                fn(X)
