"""T1 tests of the shared theory: Marchenko-Pastur quadrature and threshold special functions.

Spec (levi2023-linear-estimators.md) section 9, claims 4-6 (the MP side) and 12 (the accuracy
map, against Monte Carlo). Every tolerance below catches a factor of 2.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special as sc

from groklab.theory import marchenko_pastur as mpl
from groklab.theory import special

# The graded theta rule is accurate to ~1e-13; 1e-12 leaves room for summation round-off.
RTOL_QUAD = 1e-12
# Closed-form special-function identities in float64.
RTOL_EXACT = 1e-13
# Binomial standard errors allowed between a Monte Carlo accuracy and Eq. 10/13.
N_SIGMA = 5.0

LAMS = [0.1, 0.5, 0.9, 0.999, 1.0, 1.001, 1.5, 4.0]


def mp_reference(s: float, lam: float, k: int, dps: int = 20) -> mpmath.mpf:
    """log E_MP[nu^k e^{-s nu}] (atom included for k = 0) by mpmath tanh-sinh quadrature.

    Recipe: theta substitution nu = lam_- + 4 sqrt(lam) sin^2(theta/2) of Eq. 6, density
    (2/pi) sin^2(theta)/nu, panels split at pi 2^-j (j = 0..32) so that every scale near the
    lower edge is resolved, 20 significant digits, e^{-s lam_-} factored out.
    """
    with mpmath.workdps(dps):
        s, lam = mpmath.mpf(s), mpmath.mpf(lam)
        root = mpmath.sqrt(lam)
        lam_minus = ((1 - lam) / (1 + root)) ** 2

        def integrand(theta):
            x = 4 * root * mpmath.sin(theta / 2) ** 2
            nu = lam_minus + x
            return 2 / mpmath.pi * mpmath.exp(-s * x) * mpmath.sin(theta) ** 2 * nu ** (k - 1)

        points = [mpmath.mpf(0)] + [mpmath.pi / mpmath.mpf(2) ** j for j in range(32, -1, -1)]
        cont = mpmath.quad(integrand, points)
        atom = max(1 - 1 / lam, 0) if k == 0 else 0
        return mpmath.log(atom + mpmath.exp(-s * lam_minus) * cont)


# ------------------------------------------------------------------- edges, atom, rule
def test_edges_and_atom():
    lam_minus, lam_plus = mpl.mp_edges([0.25, 1.0, 4.0])
    np.testing.assert_allclose(lam_minus, [0.25, 0.0, 1.0], rtol=RTOL_EXACT, atol=0)
    np.testing.assert_allclose(lam_plus, [2.25, 4.0, 9.0], rtol=RTOL_EXACT)
    np.testing.assert_allclose(mpl.mp_atom([0.5, 1.0, 4.0]), [0.0, 0.0, 0.75], rtol=RTOL_EXACT)


@pytest.mark.parametrize("lam", LAMS)
def test_quadrature_weights_nodes_cache(lam):
    nu, w = mpl.mp_quadrature(lam)
    lam_minus, lam_plus = mpl.mp_edges(lam)
    np.testing.assert_allclose(w.sum(), 1.0 - mpl.mp_atom(lam), rtol=RTOL_QUAD)
    assert np.all(w > 0)
    assert np.all((nu >= lam_minus) & (nu <= lam_plus))
    assert nu is mpl.mp_quadrature(lam)[0]  # cached per (lam, n)
    with pytest.raises(ValueError, match="read-only"):
        nu[0] = 1.0


# ------------------------------------------------------------------------- moments
@pytest.mark.parametrize("lam", LAMS)
def test_positive_moments(lam):
    # Narayana moments of MP: E[nu] = 1, E[nu^2] = 1 + lam, E[nu^3] = 1 + 3 lam + lam^2.
    got = mpl.mp_expect(lambda nu: np.stack([nu**0, nu, nu**2, nu**3]), lam)
    want = [1.0, 1.0, 1.0 + lam, 1.0 + 3.0 * lam + lam**2]
    np.testing.assert_allclose(got, want, rtol=RTOL_QUAD)


@pytest.mark.parametrize("lam", [0.1, 0.5, 0.9, 0.99, 1.01, 1.5, 4.0])
def test_inverse_moments_continuous_part(lam):
    # Spec section 2.2: lam < 1: E[1/nu] = 1/(1-lam), E[1/nu^2] = 1/(1-lam)^3;
    # lam > 1, continuous part only: 1/(lam(lam-1)) and 1/(lam-1)^3.
    nu, w = mpl.mp_quadrature(lam)
    if lam < 1:
        want = [1 / (1 - lam), 1 / (1 - lam) ** 3]
    else:
        want = [1 / (lam * (lam - 1)), 1 / (lam - 1) ** 3]
    np.testing.assert_allclose([w @ (1 / nu), w @ (1 / nu**2)], want, rtol=RTOL_QUAD)


# ------------------------------------------------------------------ Laplace transforms
@pytest.mark.parametrize("lam", [0.1, 0.9, 0.999, 1.0, 1.5])
@pytest.mark.parametrize("k", [0, 1])
def test_laplace_against_mpmath(lam, k):
    s = np.array([1e-6, 0.3, 7.0, 1e3, 1e6])
    got = mpl.mp_laplace(s, lam, k)
    want = np.array([float(mpmath.exp(mp_reference(x, lam, k))) for x in s])
    np.testing.assert_allclose(got, want, rtol=RTOL_QUAD)


@pytest.mark.parametrize("lam", [0.5, 0.9, 1.0, 2.0])
def test_log_laplace_no_underflow(lam):
    # At s = 1e8 the value underflows for lam != 1; the log form must not. Besides RTOL_QUAD the
    # comparison allows the conditioning of e^{-s lam_-} in lam (s lam_- * a few ulp).
    s = 1e8
    got = float(mpl.mp_laplace(s, lam, log=True))
    want = float(mp_reference(s, lam, 0))
    cond = 4 * s * float(mpl.mp_edges(lam)[0]) * np.finfo(float).eps
    assert abs(got - want) <= RTOL_QUAD * abs(want) + cond + RTOL_QUAD


def test_laplace_linear_and_log_agree_and_limits():
    s = np.array([0.0, 0.01, 1.0, 100.0, np.inf])
    for lam in [0.5, 1.0, 3.0]:
        lin = mpl.mp_laplace(s, lam)
        with np.errstate(divide="ignore"):
            log_lin = np.log(lin)
        np.testing.assert_allclose(
            log_lin, mpl.mp_laplace(s, lam, log=True), rtol=1e-13, atol=1e-15
        )
        assert lin[0] == pytest.approx(1.0, rel=RTOL_QUAD)
        assert lin[-1] == mpl.mp_atom(lam)  # s = inf keeps only the atom
        assert mpl.mp_laplace(np.inf, lam, 1) == 0.0


def test_mp_expect_broadcasts_over_leading_axes():
    s = np.array([0.1, 1.0, 10.0])
    got = mpl.mp_expect(lambda nu: np.exp(-s[:, None] * nu), 2.0)
    np.testing.assert_allclose(got, mpl.mp_laplace(s, 2.0), rtol=RTOL_QUAD)


@settings(max_examples=40, deadline=None)
@given(
    lam=st.floats(0.01, 10.0),
    s=st.floats(0.0, 1e5),
)
def test_laplace_cauchy_schwarz_and_monotone(lam, s):
    # Spec section 2.4: E[nu^2 e^{-s nu}] E[e^{-s nu}] >= E[nu e^{-s nu}]^2 (so L_tr <= L_gen),
    # and E[e^{-s nu}] is non-increasing in s.
    logs = [float(mpl.mp_laplace(s, lam, k, log=True)) for k in (0, 1, 2)]
    assert logs[2] + logs[0] >= 2 * logs[1] - 1e-12 * (1 + abs(logs[1]))
    assert mpl.mp_laplace(1.5 * s + 1e-3, lam) <= mpl.mp_laplace(s, lam) * (1 + 1e-14)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mpl.mp_edges(0.0), "'lam'"),
        (lambda: mpl.mp_quadrature(-1.0), "'lam'"),
        (lambda: mpl.mp_quadrature(0.5, n=1), "'n'"),
        (lambda: mpl.mp_laplace(-1.0, 0.5), "'s'"),
        (lambda: mpl.mp_laplace(1.0, 0.5, k=-1), "'k'"),
        (lambda: mpl.mp_atom(np.nan), "'lam'"),
    ],
)
def test_mp_invalid_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------- special.py
def test_accuracy_from_loss_forms():
    loss = np.array([0.0, 1e-5, 2.5e-4, 1e-2, 1.0, np.inf])
    eps = 1e-3
    acc = special.accuracy_from_loss(loss, eps)
    with np.errstate(divide="ignore"):
        erf_form = sc.erf(np.sqrt(eps / (2 * loss)))
        gamma_form = sc.gammainc(0.5, eps / (2 * loss))
    np.testing.assert_allclose(acc, erf_form, rtol=RTOL_EXACT)  # Eq. 10
    np.testing.assert_allclose(acc, gamma_form, rtol=1e-12)  # Eq. 13 at d_out = 1
    assert acc[0] == 1.0 and acc[-1] == 0.0
    for d_out in (2, 5, 50):
        a = special.accuracy_from_loss(loss, eps, d_out)
        assert a[0] == 1.0 and a[-1] == 0.0 and np.all(np.diff(a) <= 0)


@pytest.mark.parametrize("d_out", [1, 3, 20])
@pytest.mark.parametrize("target", [0.3, 0.7, 0.95])
def test_accuracy_matches_monte_carlo(d_out, target):
    # Claim 12 (theory side): errors e ~ N(0, L I_{d_out}); a sample is correct iff
    # |e|^2 / d_out < eps. Binomial tolerance N_SIGMA sqrt(A(1-A)/N). The loss is chosen so that
    # the predicted accuracy is `target`, away from 0 and 1 where a factor 2 would be invisible.
    eps, n = 1e-3, 40_000
    loss = special.loss_threshold(eps, d_out, target)
    rng = np.random.default_rng(1234 + d_out)
    errors = rng.normal(scale=np.sqrt(loss), size=(n, d_out))
    measured = np.mean(np.sum(errors**2, axis=1) / d_out < eps)
    predicted = float(special.accuracy_from_loss(loss, eps, d_out))
    tol = N_SIGMA * np.sqrt(max(predicted * (1 - predicted), 1e-4) / n)
    assert abs(measured - predicted) <= tol
    # A factor 2 in the loss (variance vs standard deviation, erratum #9) would be caught.
    off = float(special.accuracy_from_loss(2 * loss, eps, d_out))
    assert abs(measured - off) > tol


def test_loss_threshold_named_levels():
    eps = 1e-3
    assert special.loss_threshold(eps, 1, "erf2") == pytest.approx(eps / 4, rel=RTOL_EXACT)
    want = eps / (2 * sc.erfinv(0.95) ** 2)
    assert special.loss_threshold(eps, 1, "a95") == pytest.approx(want, rel=RTOL_EXACT)
    assert special.named_threshold("erf2") == pytest.approx(sc.erf(np.sqrt(2)), rel=1e-15)
    assert special.named_threshold("a95") == 0.95
    assert special.named_threshold(0.9) == 0.9


@settings(max_examples=50, deadline=None)
@given(
    eps=st.floats(1e-8, 1.0),
    d_out=st.integers(1, 3000),
    a_thr=st.floats(0.05, 0.995),
)
def test_loss_threshold_inverts_accuracy(eps, d_out, a_thr):
    level = special.loss_threshold(eps, d_out, a_thr)
    acc = float(special.accuracy_from_loss(level, eps, d_out))
    assert acc == pytest.approx(a_thr, rel=1e-9)


@pytest.mark.parametrize("bad", ["a96", "erf", 0.0, 1.0, 1.5, True, None])
def test_named_threshold_rejects(bad):
    with pytest.raises(ValueError, match="'threshold'.*erf2"):
        special.named_threshold(bad)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: special.accuracy_from_loss(0.1, 0.0), "'eps'"),
        (lambda: special.accuracy_from_loss(-0.1, 1e-3), "'loss'"),
        (lambda: special.accuracy_from_loss(0.1, 1e-3, 0), "'d_out'"),
        (lambda: special.loss_threshold(-1e-3), "'eps'"),
        (lambda: special.loss_threshold(1e-3, 2.5), "'d_out'"),
    ],
)
def test_special_invalid_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_log_upper_gamma_half_against_mpmath():
    # Reference: mpmath.gammainc(1/2, a=z) is the upper incomplete gamma Gamma(1/2, z).
    z = np.array([0.0, 1e-8, 1e-3, 0.5, 3.0, 40.0, 1e3, 1e6])
    got = special.log_upper_gamma_half(z)
    want = np.array([float(mpmath.log(mpmath.gammainc(0.5, a=x))) for x in z])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)
    assert np.isfinite(special.log_upper_gamma_half(1e300))
