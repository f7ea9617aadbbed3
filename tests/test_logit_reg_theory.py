"""T1 tests of the binary logit-regularization theory (spec beck2026 §1–3, claims 1–8, 11–13,
15, 17, 18) and of ``logit_reg_theory.predict``. Each formula is checked against an independent
computation (direct definitions, scipy optimizers, pseudo-inverses, quadrature)."""

import math

import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize, special, stats

from groklab.theory import logit_reg as lr

#: Solver-level agreement (Newton to ‖∇L‖ < 1e-10 on O(1) Hessians): catches any factor 2.
TOL_SOLVER = 1e-8
#: Cosine gap allowed between directions found by derivative-free scipy optimizers.
TOL_NM = 1e-6


def _draw(d, n, sigma_f=0.5, sigma_n=1.0, mu_f=1.0, seed=0):
    """Absorbed data x' = (μ_f + σ_f g₀, σ_n G_⊥) from fixed standard normals (spec §7)."""
    g = np.random.default_rng(seed).standard_normal((n, d))
    X = sigma_n * g
    X[:, 0] = mu_f + sigma_f * g[:, 0]
    return X


def _cos(u, v):
    return abs(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v))


@pytest.fixture
def user_penalty():
    """Register penalties under fresh names and remove them afterwards."""
    names = []

    def reg(name, f):
        names.append(name)
        return lr.register_penalty(name, f)

    yield reg
    for n in names:
        lr.PENALTIES.pop(n, None)


# ---- claim 1: label smoothing ----
def test_claim1_ls_identity_and_overall_factor():
    z = np.linspace(-25, 25, 1001)
    for eps in (0.0, 0.05, 0.2, 0.45):
        direct = (1 - 2 * eps) * np.log1p(np.exp(-z)) + eps * np.log(2 + 2 * np.cosh(z))
        np.testing.assert_allclose(lr.ls_loss(z, eps), direct, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(lr.loss(z, lr.ls_alpha(eps), "ls"), direct,
                                   rtol=1e-12, atol=1e-14)
        ap = eps / (1 - eps)  # §1.2: ℓ_LS = (1 − ε)[(1 − α′)CE + α′ log(2 + 2cosh z)]
        np.testing.assert_allclose((1 - eps) * lr.loss(z, ap, "ls-full"), direct,
                                   rtol=1e-12, atol=1e-14)
    assert lr.ls_alpha(0.1) == pytest.approx(0.2)


def test_stable_log_2_2cosh_and_derivatives(user_penalty):
    """Built-in f, f′, f″ against direct formulas and against jax.grad of the same f."""
    z = np.linspace(-40, 40, 801)
    f, f1, f2 = lr.get_penalty("ls-full").values(z)
    np.testing.assert_allclose(f, np.log(2 + 2 * np.cosh(z)), rtol=1e-13)
    auto = user_penalty("ls-full-auto", lr.get_penalty("ls-full").f)
    for got, want in zip((f1, f2), auto.values(z)[1:], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-12)
    sq = lr.get_penalty("square").values(z)
    np.testing.assert_allclose(sq[1], 2 * z)
    np.testing.assert_allclose(sq[2], 2.0)


# ---- claim 2: z* ----
def test_claim2_z_star_residual_and_monotone():
    alphas = np.array([1e-6, 1e-3, 0.01, 0.1, 0.2, 0.4, 0.6, 0.8, 0.99])
    zs = lr.z_star(alphas)
    resid = (1 - alphas) * special.expit(-zs) - 2 * alphas * zs
    assert np.all(np.abs(resid) <= 1e-14 * 2 * alphas * zs)
    assert np.all(np.diff(zs) < 0) and np.all(zs > 0)
    assert np.all(zs <= (1 - alphas) / (4 * alphas))  # the bracket bound of z_star's Notes
    assert lr.z_star(0.0) == math.inf


def test_claim2_ls_closed_forms_vs_brentq(user_penalty):
    ls_brent = user_penalty("ls-brent", lr.get_penalty("ls").f)  # no closed form: brentq
    full_brent = user_penalty("ls-full-brent", lr.get_penalty("ls-full").f)
    for a in (0.01, 0.1, 0.2, 0.5, 0.9):
        assert lr.z_star(a, "ls") == pytest.approx(math.log((2 - a) / a), rel=1e-15)
        assert lr.z_star(a, ls_brent) == pytest.approx(lr.z_star(a, "ls"), rel=1e-12)
        assert lr.z_star(a, full_brent) == pytest.approx(-math.log(a), rel=1e-12)
        # §1.2: "ls" at α and "ls-full" at α/(2 − α) have the same minimizer
        assert lr.z_star(a / (2 - a), "ls-full") == pytest.approx(lr.z_star(a, "ls"), rel=1e-14)


# ---- claim 3: Gaussian population argmin ∝ Σ⁻¹μ ----
@pytest.mark.parametrize("alpha,penalty", [(0.3, "square"), (0.2, "ls"), (None, "quadratic")])
def test_claim3_population_argmin_is_lda(alpha, penalty):
    mu = np.array([1.0, 0.4, -0.3])
    A = np.array([[1.0, 0.3, 0.0], [0.2, 0.8, 0.4], [0.0, -0.3, 1.2]])
    Sigma = A @ A.T
    y, w = np.polynomial.hermite_e.hermegauss(80)
    w = w / math.sqrt(2 * math.pi)

    def ell(z):
        return (z - 1.0) ** 2 if alpha is None else lr.loss(z, alpha, penalty)

    def pop(S):  # E ℓ(Sᵀx) = E ℓ(m + sY), exact for Gaussian x
        return w @ ell(S @ mu + math.sqrt(S @ Sigma @ S) * y)

    S = optimize.minimize(pop, np.array([1.0, 0.0, 0.0]), method="BFGS",
                          options={"gtol": 1e-11}).x
    lda = lr.population_lda(mu, Sigma)
    assert _cos(S, lda) > 1 - 1e-9
    assert _cos(mu, lda) < 0.99  # the test can tell Σ⁻¹μ from μ


# ---- claim 4: empirical quadratic loss (App. C.4) ----
def test_claim4_quadratic_case_vs_least_squares():
    X = _draw(8, 60, sigma_f=0.7, seed=3)
    dirs = []
    for a in (1.0, 3.0):
        S = np.linalg.lstsq(X, np.full(60, a), rcond=None)[0]
        q = lr.quadratic_case(X, a)
        z = X @ S
        assert _cos(S, lr.empirical_lda(X)) > 1 - 1e-12
        assert np.linalg.norm(S) == pytest.approx(q.g_star, rel=1e-10)
        assert z.mean() == pytest.approx(q.mu_star, rel=1e-10)
        assert np.mean((z - a) ** 2) == pytest.approx(q.L_min, rel=1e-10)
        assert z.std() / z.mean() == pytest.approx(q.r, rel=1e-10)
        dirs.append(q.direction)
    np.testing.assert_allclose(dirs[0], dirs[1], atol=1e-14)


# ---- claim 5: N = 3 toy with a hinge (Figs. 11–12) ----
def test_claim5_toy_hinge():
    P = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, -2.0]])  # recorded points (spec §4)

    def fit(a, b):
        def L(S):
            z = P @ S
            return np.mean((z - a) ** 2 + b * np.maximum(0.0, -z))
        runs = [optimize.minimize(L, s0, method="Nelder-Mead",
                                  options={"xatol": 1e-13, "fatol": 1e-16, "maxiter": 40000})
                for s0 in (np.array([1.0, 0.0]), np.array([0.5, 0.5]), np.array([1.0, -0.5]))]
        return min(runs, key=lambda r: r.fun).x

    def r_of(S):
        z = P @ S
        return z.std() / z.mean()

    s20, s60, s26 = fit(2, 0), fit(6, 0), fit(2, 6)
    r_min = lr.quadratic_case(P, 1.0).r
    assert _cos(s20, s60) > 1 - TOL_NM
    assert r_of(s20) == pytest.approx(r_of(s60), rel=1e-6) == pytest.approx(r_min, rel=1e-6)
    assert np.linalg.norm(s60) == pytest.approx(3 * np.linalg.norm(s20), rel=1e-6)
    assert r_of(s26) >= r_min - 1e-9
    assert _cos(s26, s20) < 0.99  # the hinge changes the direction (measured: r 1.414 vs 1.225)


# ---- claim 6: α dependence at small size ----
def test_claim6_alpha_dependence():
    X = _draw(40, 120, seed=1)
    u = lr.empirical_lda(X)
    alphas = [0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.95, 0.99]
    S = [lr.minimize(X, a).S for a in alphas]
    acc = lr.accuracy_binary(np.array(S), 1.0, 0.5, 1.0)
    norms = np.linalg.norm(S, axis=1)
    gap = [1 - _cos(s, u) for s in S]
    assert np.ptp(acc) < 0.005  # measured 0.0025 (0.9338 → 0.9313)
    assert np.all(np.diff(norms) < 0) and norms[0] / norms[-1] > 100  # measured 655
    assert np.all(np.diff(gap) <= 1e-15) and gap[-1] < 1e-12  # measured 5e-4 → 2e-16


# ---- claims 7, 8: Prop. 5.1 ----
@pytest.mark.parametrize("d", [70, 90])
def test_claim7_sigma_f_zero_below_one(d):
    X = _draw(d, 100, sigma_f=0.0, seed=d)
    for a, pen in ((0.2, "square"), (0.05, "ls")):
        res = lr.minimize(X, a, pen)
        assert res.converged and res.unique
        np.testing.assert_allclose(res.S, lr.prop51_minimizer(a, 1.0, d, pen), atol=TOL_SOLVER)
        assert lr.accuracy_binary(res.S, 1.0, 0.0, 1.0) > 1 - 1e-12


def test_claim8_above_one_gd_limit():
    d, n, a = 150, 100, 0.2
    X = _draw(d, n, sigma_f=0.0, seed=8)
    S0 = 0.1 * np.random.default_rng(9).standard_normal(d)
    res = lr.minimize(X, a, S0=S0)
    pinv = np.linalg.pinv(X)
    want = pinv @ np.full(n, lr.z_star(a)) + (np.eye(d) - pinv @ X) @ S0
    np.testing.assert_allclose(res.S, want, atol=1e-10)
    np.testing.assert_allclose(X @ res.S, lr.z_star(a), atol=1e-10)  # a minimizer
    assert not res.unique and res.converged
    assert lr.accuracy_binary(res.S, 1.0, 0.0, 1.0) < 0.99
    # plain GD from S0 (η = 1/L) reaches the same point
    obj_hess = (2 * a + 0.25) * np.linalg.norm(X, 2) ** 2 / n
    S = S0.copy()
    for _ in range(4000):
        z = X @ S
        S -= (X.T @ (-(1 - a) * special.expit(-z) + 2 * a * z) / n) / obj_hess
    np.testing.assert_allclose(S, want, atol=1e-6)


# ---- claims 11–13: σ_n invariance and C ----
def test_claims_11_12_13_sigma_n_invariance():
    d, n, a = 70, 100, 0.2
    sig = np.array([0.5, 0.8, 1.0, 2.0, 3.0])
    res = [lr.minimize(_draw(d, n, sigma_n=s, seed=11), a).S for s in sig]
    inv = [lr.invariant_coordinates(S, s) for S, s in zip(res, sig, strict=True)]
    for v in inv[1:]:
        np.testing.assert_allclose(v, inv[0], atol=1e-8)
    acc = lr.accuracy_binary(np.array(res), 1.0, 0.5, sig)
    np.testing.assert_allclose(acc, acc[0], atol=1e-12)
    C = lr.C_constant(np.array(res), sig)
    np.testing.assert_allclose(C, C[0], rtol=1e-8)
    fit = stats.linregress(1 / sig**2, 1 / lr.cos_theta1(np.array(res)) ** 2)
    assert fit.intercept == pytest.approx(1.0, abs=1e-8)
    assert fit.slope == pytest.approx(C[0] ** 2, rel=1e-8)
    np.testing.assert_allclose(lr.acc_from_C(1.0, 0.5, C), acc, rtol=1e-12)
    direct = 0.5 * (1 + special.erf(1.0 / np.sqrt(2 * (0.25 + C[0] ** 2))))
    assert acc[0] == pytest.approx(direct, rel=1e-12)


# ---- claim 15: weight decay ----
@pytest.mark.parametrize("d", [60, 80])
def test_claim15_weight_decay_no_shift(d):
    accs = {}
    for s in (1.0, 2.0):
        X = _draw(d, 100, sigma_f=0.0, sigma_n=s, seed=15)
        wd = lr.minimize(X, 0.0, weight_decay=0.2)
        reg = lr.minimize(X, 0.2)
        assert wd.converged and reg.converged
        accs[s] = lr.accuracy_binary(wd.S, 1.0, 0.0, s)
        assert accs[s] < 1 - 1e-6
        assert lr.accuracy_binary(reg.S, 1.0, 0.0, s) > 1 - 1e-12
    assert abs(accs[1.0] - accs[2.0]) > 1e-3


# ---- claims 17, 18 ----
def test_claim17_train_test_logit_spread():
    X = _draw(70, 100, seed=17)
    S = lr.minimize(X, 0.2).S
    intrinsic = 0.5 * S[0]
    std_train = (X @ S).std()
    std_test = math.hypot(0.5 * S[0], np.linalg.norm(S[1:]))
    Xt = _draw(70, 200_000, seed=170)
    assert (Xt @ S).std() == pytest.approx(std_test, rel=0.01)  # the exact test variance
    assert std_train < intrinsic < std_test


def test_claim18_C_linear_in_sigma_f():
    sf = np.array([0.0, 0.02, 0.04, 0.08])
    C = np.array([float(lr.C_constant(lr.minimize(_draw(70, 100, sigma_f=s, seed=18), 0.4).S,
                                      1.0)) for s in sf])
    assert abs(C[0]) < 1e-9
    ratios = C[2:] / C[1:-1]
    assert np.all((ratios > 1.8) & (ratios < 2.2)), ratios


# ---- minimizer against scipy; α = 0 ----
def test_minimize_matches_lbfgs_and_alpha0():
    X = _draw(10, 80, seed=21)

    def L(S):
        return np.mean(lr.loss(X @ S, 0.3, "ls"))

    ref = optimize.minimize(L, np.zeros(10), method="BFGS", options={"gtol": 1e-12}).x
    np.testing.assert_allclose(lr.minimize(X, 0.3, "ls").S, ref, atol=1e-6)
    Xs = _draw(40, 60, seed=22)  # λ = 2/3 > ½: separable
    with pytest.raises(lr.NoFiniteMinimizerError, match="max_margin"):
        lr.minimize(Xs, 0.0)
    Xi = _draw(3, 200, sigma_f=2.0, seed=23)  # inseparable: logistic regression has a minimum
    res = lr.minimize(Xi, 0.0)
    assert res.converged and res.unique


# ---- bad input ----
def test_bad_inputs(user_penalty):
    for a in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="'alpha' parameter"):
            lr.z_star(a)
    with pytest.raises(ValueError, match="non-convex f detected"):
        user_penalty("bumpy", lambda z: z**2 - 0.1 * z**4)
    with pytest.raises(ValueError, match="not even"):
        user_penalty("tilted", lambda z: z**2 + z)
    assert "bumpy" not in lr.PENALTIES
    with pytest.raises(ValueError, match="Did you mean 'square'"):
        lr.get_penalty("squre")
    with pytest.raises(ValueError, match="d <= N - 1"):
        lr.empirical_lda(np.ones((5, 5)))
    with pytest.raises(ValueError, match="already registered"):
        lr.register_penalty("ls", lambda z: z * z)
    cosh = user_penalty("cosh", jnp.cosh)  # a valid user penalty: f′ = sinh by jax.grad
    z = lr.z_star(0.3, cosh)
    assert 0.3 * math.sinh(z) == pytest.approx(0.7 * special.expit(-z), rel=1e-13)


# ---- predict ----
def test_predict_summary():
    from groklab.models.logit_reg_config import Config
    from groklab.models.logit_reg_theory import predict

    ds = predict(Config(d=70, lam=0.7, sigma_f=0.0, alpha=0.2))
    s = ds.attrs["summary"]
    assert s["lambda_c"] == 1.0 and s["acc_gen_limit"] == pytest.approx(1.0)
    assert s["z_star"] == pytest.approx(lr.z_star(0.2)) and abs(s["C"]) < 1e-9
    ds = predict(Config(d=130, lam=1.3, sigma_f=0.0, alpha=0.2))
    assert ds.attrs["summary"]["acc_gen_limit"] < 1
    assert any("not unique" in a for a in ds.attrs["advice"])
    ds = predict(Config(d=70, lam=0.7, alpha=0.0))  # separable: hard-margin SVM direction
    s = ds.attrs["summary"]
    assert s["limit"] == "hard-margin SVM direction" and s["z_star"] is None
    assert s["lambda_c"] is None and 0.5 < s["acc_gen_limit"] < 1
