"""T1 tests of the linear-teacher Marchenko-Pastur theory (Levi, Beck, Bar-Sinai 2023).

Spec (levi2023-linear-estimators.md) section 9, claims 4-11, 17 (theory side), 18, 20,
21 (theory side) and 22 (formula). References are independent: mpmath, scipy.integrate.quad
and closed forms written out here from the spec. Every tolerance catches a factor of 2.
"""

from __future__ import annotations

import timeit

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy import special as sc

from groklab.models import linear_teacher_theory as lt
from groklab.theory import marchenko_pastur as mpl
from groklab.theory import special

ETA = 0.01  # the paper's eta0
# Exact curves vs mpmath or closed forms (float64 level, quadrature ~1e-13).
RTOL_EXACT = 1e-12
# Against scipy.integrate.quad references (quad's own accuracy is ~1e-11 here).
RTOL_QUAD = 1e-9
# Root finding: brentq at xtol 1e-12 in log s.
RTOL_ROOT = 1e-10


def gap(lam):
    """|1 - sqrt(lam)| written independently of the module."""
    return abs(1.0 - np.sqrt(lam))


def bessel_reference(s, lam):
    """L_tr by mpmath: e^{-s(1+lam)} 0F1(;2; s^2 lam) / Gamma(2) (Eq. 9 with erratum #11)."""
    with mpmath.workdps(25):
        s, lam = mpmath.mpf(s), mpmath.mpf(lam)
        return mpmath.exp(-s * (1 + lam)) * mpmath.hyp0f1(2, s * s * lam)


# ------------------------------------------------------------ claim 4: three forms of L_tr
@pytest.mark.parametrize("lam", [0.3, 0.9, 1.0, 1.5, 4.0])
def test_bessel_equals_hyp0f1_and_quadrature(lam):
    s = np.array([0.0, 1e-7, 1e-4, 2e-3, 0.5, 3.0, 20.0, 300.0, 1e4])
    got = lt.loss_train_s(s, lam)
    want = np.array([float(bessel_reference(x, lam)) for x in s])
    np.testing.assert_allclose(got, want, rtol=RTOL_EXACT)
    np.testing.assert_allclose(got, mpl.mp_laplace(s, lam, k=1), rtol=RTOL_EXACT)
    small = s * s * lam < 100  # where scipy's hyp0f1 does not overflow
    scipy_form = np.exp(-s[small] * (1 + lam)) * sc.hyp0f1(2, s[small] ** 2 * lam)
    np.testing.assert_allclose(got[small], scipy_form, rtol=RTOL_EXACT)
    np.testing.assert_allclose(
        np.log(got[got > 0]), lt.log_loss_train_s(s, lam)[got > 0], rtol=1e-13, atol=1e-15
    )


@pytest.mark.parametrize("lam", [0.1, 0.9, 1.0, 2.0])
def test_log_loss_train_large_s(lam):
    # No underflow up to s = 1e8; compared in log space with mpmath's Bessel I_1, allowing the
    # conditioning s (1 - sqrt lam)^2 * a few ulp.
    s = 1e8
    with mpmath.workdps(25):
        root = mpmath.sqrt(lam)
        ref = -s * (1 + lam) + mpmath.log(mpmath.besseli(1, 2 * s * root) / (s * root))
    cond = 8 * s * gap(lam) ** 2 * np.finfo(float).eps
    assert abs(float(lt.log_loss_train_s(s, lam)) - float(ref)) <= 1e-13 * abs(ref) + cond


# ---------------------------------------------------- claim 5: L_gen, integral identity
@pytest.mark.parametrize("lam", [0.5, 0.9, 1.0, 1.5])
def test_loss_gen_integral_identity(lam):
    # Reference: L_gen(s) = (1 - 1/lam)^+ + int_s^inf L_tr(u) du, integrated by scipy quad
    # on the Bessel form (integrated Eq. 21).
    def tail(s0):
        value, _ = integrate.quad(
            lambda u: float(lt.loss_train_s(u, lam)), s0, np.inf, epsabs=0, epsrel=1e-12, limit=400
        )
        return value

    s = np.array([0.0, 0.1, 1.0, 10.0, 100.0])
    want = max(1 - 1 / lam, 0) + np.array([tail(x) for x in s])
    np.testing.assert_allclose(lt.loss_gen_s(s, lam), want, rtol=RTOL_QUAD)


def test_loss_gen_against_mpmath_laplace():
    # Reference: E_MP[e^{-s nu}] in the nu variable, mpmath tanh-sinh at 20 digits, the interval
    # split geometrically towards the lower edge (density of Eq. 6).
    lam, s_values = 0.9, [2.0, 5e3, 1e6]
    root = mpmath.sqrt(lam)
    lo, hi = (1 - root) ** 2, (1 + root) ** 2
    splits = [lo + (hi - lo) * mpmath.mpf(2) ** -j for j in range(40, -1, -1)]
    for s in s_values:
        with mpmath.workdps(20):
            density = lambda nu, s=s: (  # noqa: E731
                mpmath.exp(-s * (nu - lo))
                * mpmath.sqrt((hi - nu) * (nu - lo))
                / (2 * mpmath.pi * lam * nu)
            )
            ref = -s * lo + mpmath.log(mpmath.quad(density, [lo, *splits]))
        got = float(lt.log_loss_gen_s(s, lam))
        assert abs(got - float(ref)) <= RTOL_EXACT * max(1.0, abs(float(ref))) + 1e-16 * s


def test_lam_one_closed_forms():
    s = np.array([0.0, 1e-5, 0.3, 4.0, 250.0, 1e5, 1e8])
    np.testing.assert_allclose(lt.loss_gen_s(s, 1.0), lt.loss_gen_lam1(s), rtol=RTOL_EXACT)
    np.testing.assert_allclose(lt.loss_train_s(s, 1.0), lt.loss_train_lam1(s), rtol=RTOL_EXACT)
    # e^{-2s}[I0(2s) + I1(2s)] and e^{-2s} I1(2s)/s written with scipy's unscaled Bessels.
    mid = np.array([0.3, 4.0, 50.0])
    np.testing.assert_allclose(
        lt.loss_gen_lam1(mid),
        np.exp(-2 * mid) * (sc.iv(0, 2 * mid) + sc.iv(1, 2 * mid)),
        rtol=1e-13,
    )
    np.testing.assert_allclose(
        lt.loss_train_lam1(mid), np.exp(-2 * mid) * sc.iv(1, 2 * mid) / mid, rtol=1e-13
    )
    # Power laws at criticality: 1/sqrt(pi s) and 1/(2 sqrt(pi) s^{3/2}), corrections O(1/s).
    big = 1e8
    assert lt.loss_gen_s(big, 1.0) * np.sqrt(np.pi * big) == pytest.approx(1.0, rel=1e-7)
    assert lt.loss_train_s(big, 1.0) * 2 * np.sqrt(np.pi) * big**1.5 == pytest.approx(1, rel=1e-7)


# --------------------------------------------------------- claims 6-7: order and limits
@settings(max_examples=60, deadline=None)
@given(lam=st.floats(0.01, 5.0), s=st.floats(0.0, 1e6))
def test_train_loss_below_gen_loss(lam, s):
    # Claim 7: L_tr(s) <= L_gen(s) in the MP limit (Cauchy-Schwarz, spec section 2.4).
    assert lt.log_loss_train_s(s, lam) <= lt.log_loss_gen_s(s, lam) + 1e-12


@pytest.mark.parametrize("lam", [1.2, 1.5, 3.0])
def test_gen_loss_plateau_above_one(lam):
    # Claim 15 (theory side): L_gen -> 1 - 1/lam, L_tr -> 0; no grokking when 1 - 1/lam >= L*.
    t = np.array([1e6, 1e8, np.inf])
    np.testing.assert_allclose(lt.loss_gen(ETA, t, lam), 1 - 1 / lam, rtol=1e-13)
    assert lt.loss_train(ETA, 1e8, lam) < 1e-100
    times = lt.grokking_times(ETA, lam, 1e-3)
    assert np.isfinite(times.t_train) and times.t_gen == np.inf and times.delay == np.inf


# ------------------------------------------------------------ claim 8: late-time forms
@pytest.mark.parametrize("lam", [0.3, 0.7, 0.9])
def test_late_time_slope_and_ratio(lam):
    a = gap(lam) ** 2
    errors = []
    for tau in np.array([10.0, 100.0, 1000.0]) / a:  # flow time eta t in units of 1/a
        s, h = 4 * tau, 1e-4
        slopes = [
            (f(s * (1 + h), lam) - f(s * (1 - h), lam)) / (2 * h * tau)
            for f in (lt.log_loss_train_s, lt.log_loss_gen_s)
        ]
        ratio = np.exp(lt.log_loss_gen_s(s, lam) - lt.log_loss_train_s(s, lam)) * a
        errors.append([abs(x / (-4 * a) - 1) for x in slopes] + [abs(ratio - 1)])
    errors = np.array(errors)
    assert np.all(np.diff(errors, axis=0) < 0)  # each error shrinks with time
    assert np.all(errors[-1] < 2e-3)  # about 1.5/(4 a tau) at the last time


@pytest.mark.parametrize("lam", [0.3, 0.9, 1.5])
def test_eq22_eq23_errors_vanish(lam):
    # Flow times eta t = (1..100)/a, late enough for the asymptotics, early enough that the
    # losses do not underflow. For lam > 1 the decaying part of L_gen is below float64
    # resolution next to the atom, so only Eq. 22 is checked there.
    a = gap(lam) ** 2
    t = np.array([1.0, 3.0, 10.0, 30.0, 100.0]) / (a * ETA)
    errors = [np.abs(lt.loss_train_eq22(ETA, t, lam) / lt.loss_train(ETA, t, lam) - 1)]
    if lam < 1:
        exact = lt.loss_gen(ETA, t, lam)
        errors.append(np.abs(lt.loss_gen_eq23(ETA, t, lam) / exact - 1))
        errors.append(np.abs(lt.loss_gen_eq11(ETA, t, lam) / exact - 1))
    for err in errors:
        assert np.all(np.diff(err) < 0)
    assert max(err[-1] for err in errors[:2]) < 1e-3
    assert errors[-1][-1] < 1e-2  # Eq. 11 (leading term only) converges more slowly


@pytest.mark.parametrize("lam", [0.5, 0.9, 1.0, 1.5])
def test_eq23_is_integral_of_eq22(lam):
    # Eq. 23 = 4 eta int_t^inf Eq. 22 dt' (+ the atom for lam > 1), by scipy quad in
    # v = 1/sqrt(t'), where the t'^{-3/2} tail becomes smooth: dt' = 2 v^{-3} dv. t = 1e5 also
    # exercises the asymptotic branch of Eq. 23 (u > 10) for lam = 0.5.
    for t in [10.0, 1e3, 1e5]:
        ref, _ = integrate.quad(
            lambda v: float(lt.loss_train_eq22(ETA, v**-2, lam)) * 2 / v**3,
            0.0,
            t**-0.5,
            epsabs=0,
            epsrel=1e-12,
        )
        want = 4 * ETA * ref + max(1 - 1 / lam, 0)
        assert float(lt.loss_gen_eq23(ETA, t, lam)) == pytest.approx(want, rel=RTOL_QUAD)


# ------------------------------------------------------------------ claim 9: Eq. 24
def eq24_printed(eta, lam, eps):
    """Eq. 24 exactly as printed in arXiv v1 (eta read as eta0, erratum #15)."""
    r, p = np.sqrt(lam), np.pi
    arg_tr = (
        lam**1.5 / p + 1 / (p * lam**1.5) - 6 * lam / p + 15 * r / p - 6 / (p * lam)
        + 15 / (p * r) - 20 / p
    )  # fmt: skip
    arg_gen = 1 / (p * lam**1.5) + 1 / (p * r) - 2 / (p * lam)
    pref = 3 / (8 * eta * (1 - r) ** 2)
    t_tr = pref * sc.lambertw(2 * 2 ** (2 / 3) * np.cbrt(arg_tr) / (3 * eps ** (2 / 3))).real
    t_gen = pref * sc.lambertw(2 ** (5 / 3) * np.cbrt(arg_gen) / (3 * eps ** (2 / 3))).real
    return t_tr, t_gen


@settings(max_examples=40, deadline=None)
@given(lam=st.floats(0.02, 0.98), log_level=st.floats(-14.0, -2.0))
def test_eq24_solves_eq22_exactly(lam, log_level):
    level = 10.0**log_level
    t_tr, t_gen = lt.grokking_times_eq24(ETA, lam, level)
    assert float(lt.loss_train_eq22(ETA, t_tr, lam)) == pytest.approx(level, rel=1e-11)
    assert float(lt.loss_train_eq22(ETA, t_gen, lam)) / gap(lam) ** 2 == pytest.approx(
        level, rel=1e-11
    )
    if lam <= 0.9:  # the printed cube-root argument cancels catastrophically as lam -> 1
        np.testing.assert_allclose((t_tr, t_gen), eq24_printed(ETA, lam, 4 * level), rtol=1e-6)


@pytest.mark.parametrize("lam", [0.3, 0.7, 0.9])
def test_eq24_approaches_exact_roots(lam):
    errors = []
    for eps in [1e-2, 1e-4, 1e-6, 1e-8, 1e-10]:
        level = eps / 4
        approx = lt.grokking_times_eq24(ETA, lam, level)
        exact = [lt.crossing_time(ETA, level, lam, kind=kind) for kind in ("train", "gen")]
        errors.append(np.abs(np.divide(approx, exact) - 1))
    errors = np.array(errors)
    assert np.all(np.diff(errors, axis=0) < 0)
    assert errors[-1, 0] < 1e-3 and errors[-1, 1] < 1e-2


# ------------------------------------------------------------------ claim 10: Eq. 26
def z_values(lam, eps):
    """z_tr, z_gen of the clean Eq. 24 form (spec section 2.6), written independently."""
    a = gap(lam) ** 2
    z_tr = 2 * a / 3 * (2 / (np.sqrt(np.pi) * eps * lam**0.75)) ** (2 / 3)
    return z_tr, z_tr * a ** (-2 / 3)


@pytest.mark.parametrize(("lam", "eps"), [(0.3, 1e-3), (0.5, 1e-6), (0.9, 1e-8), (0.7, 1e-12)])
def test_eq26_identity(lam, eps):
    z_tr, z_gen = z_values(lam, eps)
    assert z_tr > 1
    correction = 3 / (8 * ETA * gap(lam) ** 2) * np.log(np.log(z_tr) / np.log(z_gen))
    want = lt.delta_t_eq12(lam, ETA) + correction
    assert float(lt.delta_t_eq26(ETA, lam, eps)) == pytest.approx(want, rel=1e-10)
    assert correction < 0  # Eq. 12 is approached from below


def test_eq26_undefined_region():
    lam = np.array([0.9, 0.95, 0.99, 0.999])
    eps = 1e-3
    z_tr, z_gen = z_values(lam, eps)
    undefined = (z_tr <= 1) & (z_gen > 1)
    assert undefined.any()
    got = lt.delta_t_eq26(ETA, lam, eps)
    assert np.all(np.isnan(got[undefined]))
    assert np.all(np.isnan(lt.delta_t_eq26(ETA, [1.0, 1.5], eps)))


# ------------------------------------------------------------------ claim 11: Eq. 12
def test_eq12_limits():
    deltas = np.array([1e-2, 1e-3, 1e-4])
    near_one = lt.delta_t_eq12(1 - deltas, ETA)
    approx = np.log(4 / deltas**2) / (ETA * deltas**2)  # lam -> 1 form of Eq. 12
    err = np.abs(near_one / approx - 1)
    assert np.all(np.diff(err) < 0) and err[-1] < 1e-4
    small = lt.delta_t_eq12(np.array([1e-2, 1e-4, 1e-8]), ETA)
    assert np.all(np.diff(small) < 0) and small[-1] < 1e-2  # Delta t -> 0 as lam -> 0
    assert lt.delta_t_eq12(1.0, ETA) == np.inf and np.isnan(lt.delta_t_eq12(1.5, ETA))


@pytest.mark.parametrize("lam", [0.3, 0.5, 0.9])
def test_exact_delay_tends_to_eq12(lam):
    # Exact MP Delta t (threshold erf2, L* = eps/4) -> Eq. 12 as eps -> 0, from below, slowly
    # (the relative correction is O(1 / log(1/eps))).
    eq12 = float(lt.delta_t_eq12(lam, ETA))
    errors = []
    for eps in [1e-3, 1e-6, 1e-9, 1e-12, 1e-15]:
        delay = lt.grokking_times(ETA, lam, eps, threshold="erf2").delay
        errors.append(1 - delay / eq12)
    errors = np.array(errors)
    assert np.all(errors > 0) and np.all(np.diff(errors) < 0)
    assert errors[-1] < 0.1


def test_lam_one_finite_grokking_time():
    # At lam = 1 and finite eps: t*_gen ~ 4/(pi eta eps^2) (erratum #14); error O(eps^2).
    errors = []
    for eps in [1e-2, 1e-3, 1e-4]:
        t_gen = lt.grokking_times(ETA, 1.0, eps, threshold="erf2").t_gen
        errors.append(abs(t_gen / (4 / (np.pi * ETA * eps**2)) - 1))
        assert lt.t_gen_lam1_asymptote(ETA, eps / 4) == pytest.approx(4 / (np.pi * ETA * eps**2))
    assert np.all(np.diff(errors) < 0) and errors[-1] < 1e-8


# ----------------------------------------------------------- claim 19-21: weight decay
@pytest.mark.parametrize("lam", [0.5, 0.9, 1.0, 1.5])
@pytest.mark.parametrize("kind", ["train", "gen"])
def test_eq15_at_zero_gamma_is_eq8(lam, kind):
    s = np.array([0.0, 1e-3, 0.7, 12.0, 400.0, 1e4])
    exact = lt.loss_train_s(s, lam) if kind == "train" else lt.loss_gen_s(s, lam)
    np.testing.assert_allclose(lt.loss_wd_s(s, lam, 0.0, kind), exact, rtol=RTOL_EXACT)


@pytest.mark.parametrize(("lam", "gamma"), [(0.5, 1e-2), (1.5, 3e-3)])
@pytest.mark.parametrize("kind", ["train", "gen"])
def test_eq15_against_mode_solution(lam, gamma, kind):
    # Reference from the per-mode flow solution of spec section 2.1 (steps 4-7) averaged over
    # S_0, T ~ N(0, 1/2 total) and the MP density (Eq. 6) by scipy quad:
    #   alpha(t) = c + e^{-r t}(alpha_0 - c), c = -(g/(nu+g)) beta, alpha_0 = S_0 - beta,
    #   E alpha^2 = e^{-2rt} sigma_S^2 + sigma_T^2 (g/(nu+g) + e^{-rt} nu/(nu+g))^2,
    #   with 2 r t = s (nu + g).
    g = gamma / 2
    root = np.sqrt(lam)
    lo, hi = (1 - root) ** 2, (1 + root) ** 2
    for s in [0.0, 1.0, 300.0]:

        def mode(nu, s=s):
            decay = np.exp(-s * (nu + g) / 2)
            second = 0.5 * decay**2 + 0.5 * (g / (nu + g) + decay * nu / (nu + g)) ** 2
            q = nu if kind == "train" else 1.0
            return second * q * np.sqrt((hi - nu) * (nu - lo)) / (2 * np.pi * lam * nu)

        ref, _ = integrate.quad(mode, lo, hi, epsabs=0, epsrel=1e-12, limit=200)
        if kind == "gen":  # atom: alpha = e^{-rt} S_0 - beta, r t = s g / 2
            ref += max(1 - 1 / lam, 0) * (0.5 * np.exp(-s * g) + 0.5)
        assert float(lt.loss_wd_s(s, lam, gamma, kind)) == pytest.approx(ref, rel=RTOL_QUAD)
    curve = lt.loss_wd_s(np.logspace(-3, 7, 200), lam, gamma, kind)
    assert np.all(np.diff(curve) <= 1e-15)  # monotone in t


@pytest.mark.parametrize("lam", [0.3, 0.7, 0.9])
def test_plateaus_small_gamma_constant_one_eighth(lam):
    gamma = 1e-4 * gap(lam) ** 2  # the expansion parameter is gamma / (2 lam_-)
    for kind, power in (("train", 1), ("gen", 3)):
        exact = lt.plateau_wd(lam, gamma, kind)
        assert exact == pytest.approx(lt.plateau_wd_small_gamma(lam, gamma, kind), rel=1e-3)
        printed_eq16 = gamma**2 / (4 * (1 - lam) ** power)
        assert exact / printed_eq16 == pytest.approx(0.5, rel=1e-3)  # erratum #2
        # The plateau is the t -> inf limit of Eq. 15.
        late = float(lt.loss_wd_s(1e12, lam, gamma, kind))
        assert late == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize("lam", [1.5, 3.0])
def test_plateaus_above_one(lam):
    gamma = 1e-4
    np.testing.assert_allclose(
        [lt.plateau_wd(lam, gamma, "gen"), lt.plateau_wd(lam, gamma, "train")],
        [
            lt.plateau_wd_small_gamma(lam, gamma, "gen"),
            lt.plateau_wd_small_gamma(lam, gamma, "train"),
        ],
        rtol=1e-3,
    )
    # Discontinuity at gamma -> 0+: (1 - 1/lam)/2 vs 1 - 1/lam at gamma = 0.
    assert lt.plateau_wd(lam, 1e-12, "gen") == pytest.approx((1 - 1 / lam) / 2, rel=1e-9)
    assert lt.plateau_wd(lam, 0.0, "gen") == pytest.approx(1 - 1 / lam, rel=1e-14)
    # The null-space part decays as e^{-2 eta gamma t}: timescale 1/(2 eta gamma) steps.
    t_scale = 1 / (2 * ETA * gamma)
    excess = lt.loss_gen(ETA, [t_scale, 3 * t_scale], lam, gamma) - lt.plateau_wd(lam, gamma)
    np.testing.assert_allclose(excess, 0.5 * (1 - 1 / lam) * np.exp([-1.0, -3.0]), rtol=1e-6)


@pytest.mark.parametrize("lam", [0.3, 0.5, 0.9])
def test_gamma_critical(lam):
    errors = []
    for level in [1e-4, 1e-6, 1e-8]:
        gamma_c = lt.gamma_critical(lam, level)
        assert lt.plateau_wd(lam, gamma_c, "gen") == pytest.approx(level, rel=1e-10)
        errors.append(abs(gamma_c / lt.gamma_critical_small(lam, level) - 1))
    assert np.all(np.diff(errors) < 0) and errors[-1] < 1e-3
    # Eq. 16's printed constant (1/4) would give sqrt(4 L* (1-lam)^3): a factor sqrt 2 off.
    assert gamma_c / np.sqrt(4 * level * (1 - lam) ** 3) == pytest.approx(np.sqrt(2), rel=2e-3)
    # Conventions and the no-root cases.
    level = 1e-4
    paper = lt.gamma_critical(lam, level, d_out=5)
    assert lt.gamma_critical(lam, level, d_out=5, wd_convention="torch") == pytest.approx(paper / 5)
    assert np.isnan(lt.gamma_critical(lam, 0.6))
    assert np.isnan(lt.gamma_critical(1.5, 0.1))  # below (1 - 1/lam)/2: every gamma fails


def test_delay_diverges_at_gamma_critical():
    # Claim 21 (theory side): Delta t -> inf as gamma -> gamma_c from below, t_train finite.
    lam, eps = 0.9, 1e-3
    level = special.loss_threshold(eps, 1, "a95")
    gamma_c = lt.gamma_critical(lam, level)
    below = [lt.grokking_times(ETA, lam, eps, gamma_c * (1 - 10.0**-k)) for k in (1, 2, 3, 4)]
    delays = np.array([g.delay for g in below])
    assert np.all(np.diff(delays) > 0) and delays[-1] > 3 * delays[0]
    assert all(np.isfinite(g.t_train) for g in below)
    above = lt.grokking_times(ETA, lam, eps, 1.01 * gamma_c)
    assert np.isfinite(above.t_train) and above.t_gen == np.inf and above.delay == np.inf


# ------------------------------------------------------------- claims 17-18: d_out
@pytest.mark.parametrize("d_out", [1, 7, 50])
def test_d_out_scaling_of_losses_and_times(d_out):
    t = np.logspace(0, 6, 25)
    lam, gamma = 0.7, 1e-3
    for kind in ("train", "gen"):
        f = lt.loss_train if kind == "train" else lt.loss_gen
        np.testing.assert_allclose(
            f(ETA, t, lam, d_out=d_out), f(ETA / d_out, t, lam) / d_out, rtol=1e-14
        )
        np.testing.assert_allclose(
            f(ETA, t, lam, gamma, d_out, "torch"), f(ETA, t, lam, d_out * gamma, d_out), rtol=1e-14
        )
    level = special.loss_threshold(1e-3, d_out, "a95")
    for kind in ("train", "gen"):
        t_d = lt.crossing_time(ETA, level, lam, d_out=d_out, kind=kind)
        t_1 = lt.crossing_time(ETA, d_out * level, lam, kind=kind)
        assert t_d == pytest.approx(d_out * t_1, rel=RTOL_ROOT)
        # The root really is where the loss curve crosses the level.
        curve = lt.loss_train if kind == "train" else lt.loss_gen
        assert float(curve(ETA, t_d, lam, d_out=d_out)) == pytest.approx(level, rel=1e-9)


def test_delay_non_monotonic_in_d_out():
    # Claim 18: interior maximum of Delta t(d_out) at lam = 0.9, eps = 1e-3, threshold a95.
    # The Fig. 2 caption says d_out_max ~ 50; soft check, the computed argmax is printed.
    lam, eps, a_thr = 0.9, 1e-3, 0.95
    d = np.unique(np.round(np.logspace(0, np.log10(3000), 70)).astype(int))
    delays = np.array([lt.grokking_times(ETA, lam, eps, d_out=int(k)).delay for k in d])
    best = int(d[np.argmax(delays)])
    print(f"Delta t(d_out) argmax at lam={lam}, eps={eps}, a95: d_out = {best}")
    assert best > 1 and best < d[-1] and delays.max() > 2 * delays[0]
    assert 10 <= best <= 100  # same decade as the caption's ~50
    # Delta t = 0 exactly where 1/d_out <= L*, i.e. d_out^2 eps >= 2 gammaincinv(d_out/2, A).
    zero = d**2 * eps >= 2 * sc.gammaincinv(d / 2, a_thr)
    assert zero.any() and not zero.all()
    assert np.all(delays[zero] == 0) and np.all(delays[~zero] > 0)


# ------------------------------------------------------- claim 22, Eq. 19, label noise
@pytest.mark.parametrize("alpha", [0.0, 0.3, 2.0])
def test_init_rescaling(alpha):
    t = np.logspace(0, 6, 30)
    lam, eps = 0.6, 1e-3
    factor = lt.init_loss_factor(alpha)
    assert factor == pytest.approx((1 + alpha**2) / 2)
    scaled = lt.loss_gen(ETA, t, lam, sigma_s2=alpha**2 / 2)
    np.testing.assert_allclose(scaled, factor * lt.loss_gen(ETA, t, lam), rtol=1e-14)
    np.testing.assert_allclose(
        special.accuracy_from_loss(scaled, eps),
        special.accuracy_from_loss(lt.loss_gen(ETA, t, lam), lt.eps_effective(eps, alpha)),
        rtol=1e-13,
    )
    direct = lt.grokking_times(ETA, lam, eps, sigma_s2=alpha**2 / 2)
    via_eps = lt.grokking_times(ETA, lam, float(lt.eps_effective(eps, alpha)))
    np.testing.assert_allclose(direct, via_eps, rtol=RTOL_ROOT)


def test_two_layer_corrected_eq19():
    t = np.logspace(0, 6, 20)
    lam, d_out, norm = 0.5, 5, 1 / (2 * 200)
    s = 4 * (ETA / (2 * d_out**2)) * t
    got = lt.loss_two_layer(ETA, t, lam, d_out, norm)
    np.testing.assert_allclose(got, norm / d_out * lt.loss_gen_s(s, lam), rtol=1e-14)
    literal = lt.loss_two_layer(ETA, t, lam, d_out, norm, literal=True)
    np.testing.assert_allclose(literal / got, d_out, rtol=1e-14)  # erratum #7
    train = lt.loss_two_layer(ETA, t, lam, d_out, norm, "train")
    np.testing.assert_allclose(train, norm / d_out * lt.loss_train_s(s, lam), rtol=1e-14)


@pytest.mark.parametrize("lam", [0.5, 2.0])
def test_label_noise_limits(lam):
    sigma, d_out = 0.3, 3
    gen0, tr0 = (lt.loss_label_noise(ETA, 0.0, lam, sigma, d_out, k) for k in ("gen", "train"))
    assert gen0 == pytest.approx(1 / d_out) and tr0 == pytest.approx(1 / d_out + sigma**2)
    late = 1e9
    for kind in ("gen", "train"):
        got = lt.loss_label_noise(ETA, late, lam, sigma, d_out, kind)
        want = lt.plateau_label_noise(lam, sigma, d_out, kind)
        assert got == pytest.approx(want, rel=1e-8, abs=1e-300)
    # Plateaus written out (spec section 5).
    if lam < 1:
        assert lt.plateau_label_noise(lam, sigma) == pytest.approx(sigma**2 * lam / (1 - lam))
    else:
        want = (1 - 1 / lam) / d_out + sigma**2 / (lam - 1)
        assert lt.plateau_label_noise(lam, sigma, d_out) == pytest.approx(want)


# --------------------------------------------------------------------- API contract
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: lt.loss_gen(ETA, 1.0, 0.0), "'lam'"),
        (lambda: lt.loss_gen(0.0, 1.0, 0.5), "'eta'"),
        (lambda: lt.loss_train(ETA, -1.0, 0.5), "'t'"),
        (lambda: lt.loss_gen(ETA, 1.0, 0.5, gamma=-1e-3), "'gamma'"),
        (lambda: lt.loss_gen(ETA, 1.0, 0.5, d_out=0), "'d_out'"),
        (lambda: lt.loss_gen(ETA, 1.0, 0.5, wd_convention="pytorch"), "'wd_convention'"),
        (lambda: lt.loss_wd_s(1.0, 0.5, 0.1, kind="test"), "'kind'"),
        (lambda: lt.grokking_times(ETA, 0.5, 0.0), "'eps'"),
        (lambda: lt.grokking_times(ETA, 0.5, 1e-3, threshold="a96"), "'threshold'"),
        (lambda: lt.crossing_time(ETA, -1.0, 0.5), "'loss_level'"),
        (lambda: lt.delta_t_eq12(-0.5, ETA), "'lam'"),
        (lambda: lt.gamma_critical(0.5, 1e-3, d_out=1.5), "'d_out'"),
    ],
)
def test_invalid_inputs_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_speed_budget():
    # Budgets from the design brief with a 10x margin for shared CI machines: a 300-point
    # loss curve "well under 5 ms", one grokking-time root find <= 20 ms (warm).
    t = np.logspace(0, 8, 300)
    lt.loss_gen(ETA, t, 0.9)
    lt.grokking_times(ETA, 0.9, 1e-3)
    curve = min(timeit.repeat(lambda: lt.loss_gen(ETA, t, 0.9), number=5, repeat=5)) / 5
    roots = min(timeit.repeat(lambda: lt.grokking_times(ETA, 0.9, 1e-3), number=3, repeat=3)) / 3
    print(f"300-point L_gen curve: {curve * 1e3:.2f} ms; grokking_times: {roots * 1e3:.2f} ms")
    assert curve < 0.05 and roots < 0.2
