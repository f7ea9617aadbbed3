"""The tensor-network attention student (Žunkovič & Ilievski 2024, Sec. 4.2–4.4; LR-23, LR-25).

Every contraction is checked against a brute-force NumPy product of the unnormalised transfer
matrices, normalised at the end (the spec's definition), not against the module's own sweep.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from groklab.dynamics import jax, jnp
from groklab.models import rule_learning_tn as tn
from groklab.models.rule_learning_ca import all_strings, apply_rule
from groklab.models.rule_learning_theory import contexts_numpy, flat_features
from groklab.theory.local_rules_stats import d_eff as d_eff_numpy

_forward = jax.jit(tn.forward, static_argnames="bc")
_contexts = jax.jit(tn.contexts, static_argnames="bc")
_features = jax.jit(tn.features, static_argnames="bc")


def _params(d, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return {"A": scale * rng.normal(size=(d, d, 2)), "B": rng.normal(size=(d, d, 2)),
            "vL": rng.normal(size=d), "vR": rng.normal(size=d)}


def _jax(p):
    return {k: jnp.asarray(v) for k, v in p.items()}


def _brute(p, x, bc):
    """ŷ_i of Eqs. 60–63 from explicit products, normalised once at the end."""
    A, B = p["A"], p["B"]
    d, M = A.shape[0], len(x)
    mats = [A[:, :, int(s > 0)] for s in x]
    out = []
    for i in range(M):
        L = np.eye(d) if bc == "closed" else p["vL"][None, :]
        for j in range(i):
            L = L @ mats[j]
        R = np.eye(d) if bc == "closed" else p["vR"][:, None]
        for j in range(M - 1, i, -1):
            R = mats[j] @ R
        L, R = L / np.linalg.norm(L), R / np.linalg.norm(R)  # ‖·‖₂ of a vector / Frobenius
        out.append(np.trace(L @ B[:, :, int(x[i] > 0)] @ R))
    return np.array(out)


@pytest.mark.parametrize("bc", ["open", "closed"])
@pytest.mark.parametrize("M", [3, 9, 40])  # 40 > UNROLL_MAX: the lax.scan path
def test_forward_equals_brute_force_contraction(bc, M):
    p = _params(3, seed=M)
    X = np.random.default_rng(M).choice([-1.0, 1.0], size=(4, M))
    got = np.asarray(_forward(_jax(p), jnp.asarray(X), bc))
    want = np.array([_brute(p, x, bc) for x in X])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_normalising_each_step_equals_normalising_at_the_end_without_overflow():
    """LR-25: A scaled by 1e3 over 200 sites overflows an unnormalised product (1e600) but the
    normalised contexts are unchanged (they do not depend on the scale of A)."""
    p = _params(3, seed=1)
    X = np.random.default_rng(2).choice([-1.0, 1.0], size=(2, 200))
    small = np.asarray(_forward(_jax(p), jnp.asarray(X)))
    big = np.asarray(_forward(_jax(p | {"A": 1e3 * p["A"]}), jnp.asarray(X)))
    assert np.all(np.isfinite(big))
    np.testing.assert_allclose(big, small, rtol=1e-9, atol=1e-12)
    with np.errstate(over="ignore", invalid="ignore"):
        assert not np.all(np.isfinite(_brute(p | {"A": 1e3 * p["A"]}, X[0], "open")))


def test_crop_mask_gives_the_cropped_string():
    p = _params(4, seed=3)
    rng = np.random.default_rng(4)
    X = rng.choice([-1.0, 1.0], size=(6, 10))
    mask = np.zeros((6, 10), bool)
    for r, (a, b) in enumerate([(0, 10), (2, 9), (1, 7), (4, 10), (0, 6), (3, 9)]):
        mask[r, a:b] = True
    got = np.asarray(_forward(_jax(p), jnp.asarray(X), "open", jnp.asarray(mask)))
    for x, m, g in zip(X, mask, got, strict=True):
        np.testing.assert_allclose(g[m], _brute(p, x[m], "open"), rtol=1e-10)


@pytest.mark.parametrize("bc", ["open", "closed"])
def test_features_are_2d2_dimensional_and_linear_in_B(bc):
    """LR-25: z_i(x) ∈ R^{2d²}, ŷ = z·vec(B) for any B, and the NumPy twin agrees."""
    d = 3
    p = _params(d, seed=5)
    X = np.random.default_rng(6).choice([-1.0, 1.0], size=(5, 7))
    ctx = _contexts(_jax(p), jnp.asarray(X), bc)
    z = np.asarray(_features(ctx, jnp.asarray(X), bc))
    assert z.shape == (5, 7, d, d, 2) and z[0, 0].size == 2 * d * d
    for seed in range(3):
        B = np.random.default_rng(10 + seed).normal(size=(d, d, 2))
        yhat = np.array([_brute(p | {"B": B}, x, bc) for x in X])
        np.testing.assert_allclose(z.reshape(5, 7, -1) @ B.ravel(), yhat, rtol=1e-10,
                                   atol=1e-12)
    np.testing.assert_allclose(flat_features(p, X, bc), z.reshape(35, -1), rtol=1e-12,
                               atol=1e-14)
    ln, rn = contexts_numpy(p, X, bc)
    np.testing.assert_allclose(ln, np.asarray(ctx[0]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rn, np.asarray(ctx[1]), rtol=1e-12, atol=1e-14)


def test_exact_attention_structure():
    """Eq. 68: A_a = c_a r_aᵀ, r_a·c_b = 1; the top eigenvectors of A_0 are r_0 and c_0."""
    A = tn.exact_attention()
    c = {0: np.array([1, 0, 1, 0.0]), 1: np.array([0, 1, 0, 1.0])}
    r = {0: np.array([1, 1, 0, 0.0]), 1: np.array([0, 0, 1, 1.0])}
    for a in (0, 1):
        np.testing.assert_array_equal(A[:, :, a], np.outer(c[a], r[a]))
        for b in (0, 1):
            assert r[a] @ c[b] == 1
    vL, vR, lam = tn.top_eigenvectors(A[:, :, 0])
    assert lam == pytest.approx(1.0)
    np.testing.assert_allclose(vL, r[0] / np.sqrt(2), atol=1e-12)
    np.testing.assert_allclose(vR, c[0] / np.sqrt(2), atol=1e-12)


@pytest.mark.parametrize("bc", ["open", "closed"])
def test_exact_attention_makes_rule30_linearly_separable(bc):
    """LR-23: z_i(x) depends only on (x_{i−1}, x_i, x_{i+1}), takes exactly 8 distinct values
    over all strings of lengths 3–10, and rule 30 is separable in R^32 (LP and least squares)."""
    A = tn.exact_attention()
    att = {"A": A}
    if bc == "open":
        att["vL"], att["vR"], _ = tn.top_eigenvectors(A[:, :, 0])
    label = dict(zip(*_eq52(), strict=True))
    table = {}
    for M in range(3, 11):
        X = all_strings(M)
        Z = flat_features(att, X, bc).reshape(len(X), M, -1)
        y = apply_rule(X, 30, 1, bc)
        pad = np.full((len(X), 1), -1.0)
        ext = (np.concatenate([pad, X, pad], 1) if bc == "open"
               else np.concatenate([X[:, -1:], X, X[:, :1]], 1))
        for n in range(len(X)):
            for i in range(M):
                hood = tuple(ext[n, i:i + 3])
                key = tuple(np.round(Z[n, i], 12))
                table.setdefault(hood, set()).add(key)
                assert y[n, i] == label[hood]
    assert len(table) == 8 and all(len(v) == 1 for v in table.values())
    Zd = np.array([next(iter(table[h])) for h in _eq52()[0]])
    yd = np.array(_eq52()[1])
    assert len({tuple(z) for z in Zd}) == 8
    assert np.linalg.matrix_rank(Zd) == 8
    w, *_ = np.linalg.lstsq(Zd, yd, rcond=None)
    np.testing.assert_allclose(Zd @ w, yd, atol=1e-10)
    # LP: find w with y_k z_k·w ≥ 1 (feasible iff strictly separable)
    res = linprog(np.zeros(32), A_ub=-(yd[:, None] * Zd), b_ub=-np.ones(8),
                  bounds=[(None, None)] * 32, method="highs")
    assert res.status == 0 and np.all(yd * (Zd @ res.x) >= 1 - 1e-9)


def _eq52():
    hoods = [(-1, -1, -1), (-1, -1, 1), (-1, 1, -1), (-1, 1, 1),
             (1, -1, -1), (1, -1, 1), (1, 1, -1), (1, 1, 1)]
    return [tuple(float(v) for v in h) for h in hoods], [-1, 1, 1, 1, 1, -1, -1, -1]


def test_app_c_examples_and_eigenvectors():
    for k in (1, 2, 3):
        A = tn.example_attention(k)
        assert A.shape == (2, 2, 2)
        np.testing.assert_array_equal(A[:, :, 0], tn.EXAMPLES[k][0])
        vL, vR, lam = tn.top_eigenvectors(A[:, :, 0])
        np.testing.assert_allclose(vL @ A[:, :, 0], lam.real * vL, atol=1e-12)
        np.testing.assert_allclose(A[:, :, 0] @ vR, lam.real * vR, atol=1e-12)
        assert abs(lam) == pytest.approx(np.abs(np.linalg.eigvals(A[:, :, 0])).max())
    with pytest.raises(ValueError, match="example"):
        tn.example_attention(4)
    with pytest.raises(ValueError, match="complex"):
        tn.top_eigenvectors(np.array([[0.0, -1.0], [1.0, 0.0]]))


def test_d_eff_jax_matches_numpy():
    rng = np.random.default_rng(7)
    pts = rng.normal(size=(3, 200, 5)) * np.array([3.0, 1.0, 1.0, 0.3, 0.1])
    np.testing.assert_allclose(np.asarray(tn.d_eff(jnp.asarray(pts))), d_eff_numpy(pts),
                               rtol=1e-10)


def test_central_sites():
    np.testing.assert_array_equal(tn.central_sites(8), np.arange(0, 7))
    np.testing.assert_array_equal(tn.central_sites(1000), np.arange(496, 503))
    with pytest.raises(ValueError, match="length"):
        tn.central_sites(7)
