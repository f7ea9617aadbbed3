"""Two-layer students of the linear teacher (Levi et al. 2023 §4, spec §6; claims 24–25).

Small sizes (d_in ≤ 100, d_out = 2, d_h ≫ d_out) keep the literal GD runs to a few seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

from groklab.dynamics.gd import gd
from groklab.models import linear_teacher as lt
from groklab.models import linear_teacher_theory as th
from groklab.models.linear_teacher_sim import _make_gd_fns, sample

#: Seed-averaged |log(sim / corrected Eq. 19)| bound where the loss is above FLOOR·L(0). The
#: frozen kernel is a heuristic: at d_in = d_h = 100, d_out = 2 the measured worst is ≈ 0.2 (the
#: S0 S0ᵀ term of the exact Ḋ speeds the decay a little), literal Eq. 19 is off by log 2 = 0.69.
TOL_EQ19 = 0.35
FLOOR = 1e-2
#: tanh vs the linear frozen kernel: "qualitatively", i.e. within a factor 2 (measured ≈ 0.1–0.3).
TOL_TANH = np.log(2.0)


def _weights(config, seed):
    d = sample(config, seed)
    return {k: np.asarray(d[k]) for k in ("X_train", "S0", "S1", "T0", "T1")}


def _log_grid(t_max, n=40):
    return np.concatenate([[0], np.unique(np.round(np.logspace(0, np.log10(t_max), n)))]).astype(
        np.int64
    )


def test_initial_norm_is_one_over_2dh():
    """‖D₀‖² = ‖S0 S1 − T0 T1‖² ≈ 1/(2 d_h) (E‖S0 S1‖² = E‖T‖² = 1/(4 d_h)), averaged over seeds
    with a tolerance from the measured seed-to-seed scatter."""
    d_h = 50
    c = lt.Config(d_in=100, d_out=2, lam=0.5, student="deep-linear", d_h=d_h, n_gen=1)
    v = []
    for s in range(40):
        w = _weights(c, s)
        v.append(np.sum((w["S0"] @ w["S1"] - w["T0"] @ w["T1"]) ** 2) * 2 * d_h)
    v = np.array(v)
    stderr = v.std(ddof=1) / np.sqrt(v.size)
    assert abs(v.mean() - 1.0) < 4 * stderr, (v.mean(), stderr)
    assert stderr < 0.05  # the check has teeth: a factor-2 error would be ≫ 4 stderr
    assert lt._two_layer_norm(c) == pytest.approx(1 / (2 * d_h))


def test_tanh_preactivation_variance_is_one_over_2dh():
    """Claim 25: each hidden pre-activation xᵀS0[:, j] has variance ≈ 1/(2 d_h) at init, so tanh
    works in its linear range."""
    d_h = 64
    c = lt.Config(d_in=100, d_out=2, lam=0.5, student="tanh", d_h=d_h, n_gen=1)
    per_seed = []
    for s in range(8):
        w = _weights(c, s)
        z = w["X_train"] @ w["S0"]  # (N_tr, d_h)
        per_seed.append(z.var(axis=0).mean() * 2 * d_h)
    per_seed = np.array(per_seed)
    stderr = per_seed.std(ddof=1) / np.sqrt(per_seed.size)
    assert abs(per_seed.mean() - 1.0) < max(4 * stderr, 0.02), (per_seed, stderr)
    # and tanh is nearly linear there: |tanh(z) − z| / |z| ~ z²/3 ≈ 1/(6 d_h) ≪ 1
    assert np.mean(np.tanh(z) ** 2) / np.mean(z**2) > 0.98


def test_exact_ddot_and_hdot_match_one_gd_step():
    """Spec §6: Ḋ = −(2η/d_out)[Σ D S1ᵀS1 + S0 S0ᵀ Σ D] and ḣ = −(4η/d_out) Tr[(T+D)ᵀ Σ D]
    against one tiny step of the engine's literal GD (finite difference in η)."""
    d_out = 3
    c = lt.Config(d_in=30, d_out=d_out, n_train=60, student="deep-linear", d_h=20, n_gen=1)
    w = _weights(c, 7)
    X, S0, S1 = w["X_train"], w["S0"], w["S1"]
    T = w["T0"] @ w["T1"]
    sigma = X.T @ X / X.shape[0]
    D = S0 @ S1 - T
    ddot = -(2 / d_out) * (sigma @ D @ S1.T @ S1 + S0 @ S0.T @ sigma @ D)
    hdot = -(4 / d_out) * np.trace((T + D).T @ sigma @ D)

    loss, _ = _make_gd_fns("deep-linear", d_out, c.eps)
    data = {"X_train": X, "y_train": X @ T}
    eta = 1e-7
    rec = gd(loss, lambda p, _d: p, {"S0": S0, "S1": S1}, data, eta, np.array([1]))
    S0n, S1n = np.asarray(rec["S0"][0]), np.asarray(rec["S1"][0])
    fd_d = (S0n @ S1n - T - D) / eta
    h = lambda a, b: 0.5 * (np.sum(a * a) + np.sum(b * b))  # noqa: E731
    fd_h = (h(S0n, S1n) - h(S0, S1)) / eta
    assert np.linalg.norm(fd_d - ddot) / np.linalg.norm(ddot) < 1e-5
    assert abs(fd_h - hdot) / abs(hdot) < 1e-5
    # The printed Eq. 18 ḣ = −8η (T+D)ᵀ Σ D is a matrix, not the scalar ḣ; its trace is off by
    # the factor 2 d_out (erratum #8).
    assert abs(-8 * np.trace((T + D).T @ sigma @ D) / hdot - 2 * d_out) < 1e-9


@pytest.fixture(scope="module")
def deep_linear_run():
    c = lt.Config(
        d_in=100, d_out=2, lam=0.5, eta=0.01, eps=1e-3, student="deep-linear", d_h=100, n_gen=200
    )
    t = _log_grid(3000)
    return c, t, lt.simulate(c, t, seeds=4)


def _seed_mean_log_ratios(ds, c, t, literal=False):
    norms = c.d_out * ds["loss_gen"].isel(t=0).values  # realized ‖D₀‖² per seed
    out = []
    for kind in ("train", "gen"):
        pred = np.stack(
            [
                th.loss_two_layer(c.eta, t, c.lam_theory, c.d_out, n, kind, literal=literal)
                for n in norms
            ]
        ).mean(0)
        sim = ds[f"loss_{kind}"].mean("seed").values
        keep = pred > FLOOR * pred[0]
        out.append(np.log(sim[keep] / pred[keep]))
    return np.concatenate(out)


def test_deep_linear_follows_corrected_eq19(deep_linear_run):
    c, t, ds = deep_linear_run
    r = _seed_mean_log_ratios(ds, c, t)
    assert r.size > 40
    assert np.max(np.abs(r)) < TOL_EQ19, np.max(np.abs(r))


def test_literal_eq19_off_by_d_out(deep_linear_run):
    c, t, ds = deep_linear_run
    corrected = _seed_mean_log_ratios(ds, c, t)
    literal = _seed_mean_log_ratios(ds, c, t, literal=True)
    # sim / literal ≈ 1/d_out over the whole range, and literal is worse everywhere
    assert abs(np.median(literal) + np.log(c.d_out)) < 0.2, np.median(literal)
    assert np.min(np.abs(literal)) > np.max(np.abs(corrected))


def test_tanh_tracks_linear_frozen_kernel():
    """Claim 25 (qualitative, "in some cases"): at d_h ≫ d_out the tanh losses stay within a
    factor 2 of L_gen(0)_measured × the corrected Eq. 19 curve."""
    c = lt.Config(d_in=64, d_out=2, lam=0.5, eta=0.01, eps=1e-3, student="tanh", d_h=64, n_gen=2000)
    t = _log_grid(3000, 30)
    ds = lt.simulate(c, t, seeds=3)
    r = _seed_mean_log_ratios(ds, c, t)
    assert np.max(np.abs(r)) < TOL_TANH, np.max(np.abs(r))
