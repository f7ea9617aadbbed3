"""The ξ* estimator of Fig. 16 / Table 1 (groklab.theory.local_rules_angles) against angle samples
of known density, Eq. 50 against its forward form, and ε_eff against Gaussian clouds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groklab.theory import local_rules_angles as la
from groklab.theory.local_rules_ball import nu_isotropic
from groklab.theory.local_rules_stats import eps_eff

#: |α − ξ| for 2·10⁵ samples of ρ ∝ |θ − θ₀|^{−ξ}, ξ ∈ [0.3, 0.85]: the finite-sample bias of the
#: maximum is ≈ +0.05 (worst of 30 seeds 0.066); a factor 2 (or ½) in ξ moves α by ≥ 0.15.
XI_TOL = 0.12
#: |α| of a smooth density (10⁶ Gaussian samples, 10²–10⁴ bins; measured ≈ 0.03). A singular
#: estimator bug (counts instead of densities) would give α = 1.
SMOOTH_TOL = 0.1
#: |α − 1| for an atom of weight 0.3 on a uniform background (measured 1 − 4e-4).
ATOM_TOL = 0.02


def singular_angles(rng, n: int, xi: float, theta0: float, width: float = 1.0) -> np.ndarray:
    """Samples of ρ(θ) = (1 − ξ)/(2w)·(|θ − θ₀|/w)^{−ξ} on |θ − θ₀| ≤ w: |θ − θ₀| = w·U^{1/(1−ξ)}
    (P(|θ − θ₀| ≤ r) = (r/w)^{1−ξ}) with a random sign."""
    r = width * rng.random(n) ** (1.0 / (1.0 - xi))
    return theta0 + np.where(rng.random(n) < 0.5, -r, r)


@settings(max_examples=15, deadline=None)
@given(xi=st.floats(0.3, 0.85), theta0=st.floats(-0.5, 0.5), seed=st.integers(0, 2**32 - 1))
def test_singular_density_exponent_is_xi(xi, theta0, seed):
    """ρ ∝ |θ − θ₀|^{−ξ}: the bin around θ₀ holds a mass ∝ h^{1−ξ}, so max ρ_b ∝ b^ξ."""
    angles = singular_angles(np.random.default_rng(seed), 200_000, xi, theta0)
    fit = la.fit_max_density(angles)
    assert abs(fit.exponent - xi) <= XI_TOL
    assert fit.used.all() and fit.n_samples == angles.size


@pytest.mark.parametrize("seed", range(3))
def test_smooth_density_exponent_is_zero(seed):
    angles = np.random.default_rng(seed).normal(0.2, 0.5, size=1_000_000)
    fit = la.fit_max_density(angles, la.BINS[la.BINS <= 10**4])
    assert abs(fit.exponent) <= SMOOTH_TOL


def test_min_count_drops_the_sampling_noise_regime():
    """A uniform density sampled 10⁶ times: at 10⁵ bins the fullest bin holds ~25 samples (the
    maximum of Poisson(10) noise), so the plain fit over 10²–10⁵ bins is biased upwards; with
    min_count = 1000 only the well-sampled bins are kept and α is closer to 0."""
    u = np.random.default_rng(5).uniform(-1, 1, size=1_000_000)
    plain = la.fit_max_density(u)
    guarded = la.fit_max_density(u, min_count=1000)
    assert plain.count[-1] < 100 and not guarded.used[-1] and guarded.used.sum() >= 3
    assert abs(guarded.exponent) < abs(plain.exponent)
    assert abs(guarded.exponent) <= SMOOTH_TOL


def test_atom_gives_exponent_one():
    rng = np.random.default_rng(0)
    angles = np.concatenate([rng.uniform(-1, 1, 700_000), np.full(300_000, 0.123)])
    fit = la.fit_max_density(angles, la.BINS[la.BINS >= 1000])
    assert abs(fit.exponent - 1.0) <= ATOM_TOL
    # the fullest bin is the atom's: count 300 000 plus the background in it
    assert np.all(fit.count >= 300_000) and np.all(fit.count <= 300_000 + 2 * 700)


def test_max_density_equals_numpy_histogram():
    """Independent histogram: numpy.histogram(density=True) on the same range."""
    rng = np.random.default_rng(3)
    angles = singular_angles(rng, 100_000, 0.5, 0.2)
    bins = np.array([100, 1000, 31623])
    dens, count = la.max_density(angles, bins, range_=(-1.0, 1.5))
    for b, d, c in zip(bins, dens, count, strict=True):
        ref, _ = np.histogram(angles, bins=int(b), range=(-1.0, 1.5), density=True)
        raw, _ = np.histogram(angles, bins=int(b), range=(-1.0, 1.5))
        assert raw.max() == c
        assert d == pytest.approx(ref.max(), rel=1e-12)


@settings(max_examples=20, deadline=None)
@given(scale=st.floats(0.01, 100.0), shift=st.floats(-10.0, 10.0))
def test_exponent_invariant_under_affine_change_of_angle(scale, shift):
    """With the range taken from the data, θ → aθ + c maps bins onto bins: the counts are the
    same (up to samples on a bin edge) and the densities scale by 1/a, so α is unchanged."""
    angles = singular_angles(np.random.default_rng(11), 50_000, 0.5, 0.1)
    a = la.fit_max_density(angles)
    b = la.fit_max_density(scale * angles + shift)
    assert b.exponent == pytest.approx(a.exponent, abs=1e-3)
    assert math.log(b.prefactor) == pytest.approx(math.log(a.prefactor / scale), abs=1e-2)


def test_xi_star_is_max_over_classes_of_left_plus_right():
    rng = np.random.default_rng(7)
    xis = {"pos": (0.3, 0.4), "neg": (0.5, 0.6)}
    classes = {c: tuple(singular_angles(rng, 200_000, x, 0.1 * k) for k, x in enumerate(p))
               for c, p in xis.items()}
    res = la.xi_star(classes, ranges=((-1.0, 1.1), (-1.0, 1.1)))
    assert res.argmax == "neg"
    expected_xi_star = 1.1
    assert abs(res.xi_star - expected_xi_star) <= 2 * XI_TOL
    assert res.sums["pos"] == pytest.approx(res.fits["pos"][0].exponent
                                            + res.fits["pos"][1].exponent)
    assert res.xi_star == max(res.sums.values())
    assert res.xi_star_err == pytest.approx(math.hypot(res.fits["neg"][0].exponent_err,
                                                       res.fits["neg"][1].exponent_err))


@settings(max_examples=50, deadline=None)
@given(dim=st.floats(1.0, 50.0), xi=st.floats(-2.0, 3.0))
def test_eq50_inverts_nu_isotropic(dim, xi):
    """ξ = ½(D − 2ν + 1) is Eq. 50, ν = (D + 1 − 2ξ)/2 (local_rules_ball.nu_isotropic), solved."""
    assert la.xi_eq50(dim, nu_isotropic(dim, xi)) == pytest.approx(xi, abs=1e-12)


def test_eq50_values():
    # uniform ball (Eq. 23): ν = (D+1)/2 ⇔ ξ = 0
    assert la.xi_eq50(5.0, 3.0) == 0.0
    assert la.xi_eq50(4.0, 1.0) == pytest.approx(1.5)
    got = la.xi_eq50(np.array([3.0, 5.0]), np.array([0.5, 2.0]))
    np.testing.assert_allclose(got, [1.5, 1.0], rtol=1e-15)


def test_context_angles_recover_the_angle():
    theta = np.linspace(-3.1, 3.1, 101)
    r = np.linspace(0.1, 5.0, 101)
    v = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=-1)
    np.testing.assert_allclose(la.context_angles(v), theta, atol=1e-12)
    assert la.context_angles(v.reshape(101, 1, 2)).shape == (101, 1)


def test_eps_eff_of_anisotropic_gaussian_clouds():
    """‖μ₊ − μ₋‖/(2σ_intra), σ_intra² = ½(tr Σ₊ + tr Σ₋), with different class covariances."""
    rng = np.random.default_rng(2)
    mu_p, mu_n = np.array([1.0, 0.5, 0.0]), np.array([-1.0, 0.0, 0.5])
    sd_p, sd_n = np.array([0.5, 1.0, 2.0]), np.array([1.5, 0.2, 0.3])
    pos = mu_p + sd_p * rng.normal(size=(400_000, 3))
    neg = mu_n + sd_n * rng.normal(size=(400_000, 3))
    expected = np.linalg.norm(mu_p - mu_n) / (2 * math.sqrt(0.5 * (np.sum(sd_p**2)
                                                                   + np.sum(sd_n**2))))
    assert eps_eff(pos, neg) == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: la.context_angles(np.ones((4, 3))), "shape"),
    (lambda: la.context_angles(np.zeros((2, 2))), "zero vector"),
    (lambda: la.context_angles([[np.nan, 1.0]]), "NaN"),
    (lambda: la.fit_max_density([0.1, np.inf, 0.3]), "NaN or inf"),
    (lambda: la.fit_max_density([0.1]), "at least 2"),
    (lambda: la.fit_max_density(np.linspace(0, 1, 100), [10.5, 20, 30]), "positive integers"),
    (lambda: la.fit_max_density(np.linspace(0, 1, 100), [0, 20, 30]), "positive integers"),
    (lambda: la.fit_max_density(np.ones(100)), "hi > lo"),
    (lambda: la.fit_max_density(np.linspace(0, 1, 100), range_=(0.5, 1.0)), "outside"),
    (lambda: la.fit_max_density(np.linspace(0, 1, 1000), min_count=500), "Fewer than 3"),
    (lambda: la.fit_max_density(np.linspace(0, 1, 1000), min_count=0), "min_count"),
    (lambda: la.xi_star({}), "non-empty"),
    (lambda: la.xi_star({"pos": (np.linspace(0, 1, 10),)}), "pair"),
    (lambda: la.xi_eq50(0.5, 1.0), "at least 1"),
    (lambda: la.xi_eq50(3.0, np.nan), "finite"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
