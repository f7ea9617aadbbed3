"""Exact finite-sample dynamics of the linear teacher (spec §2.1, claims 1–3, 12, 13, 17, 22).

The exact eigen-solution is checked against literal GD in the engine, and the simulated observables
against identities that hold on every sample.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammainc

from groklab.models.linear_teacher_config import Config
from groklab.models.linear_teacher_sim import sample, simulate_arrays

# Exact solution vs iterated GD: both are float64 evaluations of the same recurrence; the only
# difference is round-off accumulated over ≤ 10³ steps (≈ 1e-13 relative), so 1e-10 is a tight
# bound that still leaves room for ill-conditioned samples. Once a loss has decayed by many orders
# of magnitude, the round-off that GD leaves (≈ 1e-16·L(0) per step, mixed in from fast modes)
# dominates: below FLOOR·L(0) values are compared absolutely, at RTOL_EXACT·FLOOR·L(0).
RTOL_EXACT = 1e-10
FLOOR = 1e-4

TIMES = np.r_[0, np.unique(np.round(np.logspace(0, 3, 25)).astype(int))]


def _rel(a, b):
    scale = np.maximum(np.abs(b), FLOOR * np.abs(b[..., :1]))
    return np.max(np.abs(a - b) / np.maximum(scale, 1e-300))


# Shapes come from small sets: every new shape compiles both paths (≈ 2 s).
@settings(max_examples=10, deadline=None)
@given(
    d_in=st.sampled_from([2, 7, 20]),
    n_train=st.sampled_from([2, 5, 12, 40]),
    d_out=st.integers(1, 4),
    gamma=st.sampled_from([0.0, 1e-3, 0.05]),
    eta_frac=st.floats(0.05, 0.9),
    convention=st.sampled_from(["paper", "torch"]),
)
def test_exact_solution_equals_iterated_gd(d_in, n_train, d_out, gamma, eta_frac, convention):
    base = Config(d_in=d_in, n_train=n_train, d_out=d_out, gamma=gamma, n_gen=64,
                     wd_convention=convention, eta=1e-3)
    data = sample(base, 0)
    X = np.asarray(data["X_train"])
    nu_max = np.linalg.eigvalsh(X.T @ X / n_train).max()
    # Stability bound of spec §1.3 on this sample: η < d_out/(ν_max + γ_eff/2).
    eta = eta_frac * d_out / (nu_max + base.gamma_eff / 2)
    cfg = base.replace(eta=min(eta, 0.9 * base.eta_bound))
    exact = simulate_arrays(cfg, TIMES, [0, 1], "exact")
    gd = simulate_arrays(cfg, TIMES, [0, 1], "gd")
    for key in ("loss_train", "loss_gen", "loss_gen_sample"):
        assert _rel(exact[key], gd[key]) < RTOL_EXACT, key


def test_exact_solution_with_label_noise_equals_gd():
    cfg = Config(d_in=20, lam=0.6, label_noise=0.3, gamma=0.01, eta=0.05, n_gen=64)
    exact = simulate_arrays(cfg, TIMES, [0, 1], "exact")
    gd = simulate_arrays(cfg, TIMES, [0, 1], "gd")
    for key in ("loss_train", "loss_gen"):
        assert _rel(exact[key], gd[key]) < RTOL_EXACT


def _exact_D(cfg, seed, t):
    """D_t by literal iteration in NumPy (the reference for the identities below)."""
    data = sample(cfg, seed)
    X, T = np.asarray(data["X_train"]), np.asarray(data["T"])
    D = np.asarray(data["S0"]) - T
    sigma = X.T @ X / X.shape[0]
    for _ in range(t):
        D = D - cfg.eta * ((2 / cfg.d_out) * sigma @ D + (cfg.gamma_eff / cfg.d_out) * (D + T))
    return D, sigma


def test_one_step_identity_of_gd():
    """L_gen(t+1) − L_gen(t) = −(4η/d_out) L_tr(t) + (4η²/d_out³) Tr[Dᵀ Σ² D]  (spec §2.1)."""
    cfg = Config(d_in=15, lam=0.8, d_out=2, eta=0.1, n_gen=8)
    t = np.arange(0, 40)
    out = simulate_arrays(cfg, t, [3], "exact")
    for step in (0, 7, 38):
        D, sigma = _exact_D(cfg, 3, step)
        lhs = out["loss_gen"][0, step + 1] - out["loss_gen"][0, step]
        rhs = -(4 * cfg.eta / cfg.d_out) * out["loss_train"][0, step] + (
            4 * cfg.eta**2 / cfg.d_out**3
        ) * np.trace(D.T @ sigma @ sigma @ D)
        assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-15)


def test_flow_obeys_eq21():
    """dL_gen/dt = −(4η/d_out) L_tr along gradient flow on a sample (Eq. 21)."""
    cfg = Config(d_in=20, lam=0.7, d_out=3, eta=0.02, n_gen=8)
    h = 1e-3
    base = np.array([5.0, 50.0, 400.0])
    t = np.sort(np.concatenate([base - h, base, base + h]))
    out = simulate_arrays_flow(cfg, t)
    lg, ltr = out["loss_gen"][0], out["loss_train"][0]
    deriv = (lg[2::3] - lg[0::3]) / (2 * h)
    assert deriv == pytest.approx(-(4 * cfg.eta / cfg.d_out) * ltr[1::3], rel=1e-6)


def simulate_arrays_flow(cfg, t):
    """Flow mode accepts non-integer times through the exact solver directly."""
    from groklab.models import linear_teacher_sim as sim

    data = sim._batched_sample(cfg, [1])
    out = sim._exact_batched(data, np.asarray(t, float), cfg.eta, cfg.gamma_eff, cfg.d_out,
                             cfg.eps, cfg.accuracy_level, True)
    return {k: np.asarray(v) for k, v in out.items()}


@pytest.mark.parametrize("lam", [0.5, 1.5])
def test_losses_non_increasing_without_weight_decay(lam):
    cfg = Config(d_in=40, lam=lam, eta=0.05, n_gen=16)
    out = simulate_arrays(cfg, np.arange(0, 300, 3), [0, 1, 2], "exact")
    for key in ("loss_train", "loss_gen"):
        assert np.all(np.diff(out[key], axis=1) <= 1e-15 * out[key][:, :-1])


def test_accuracy_on_fresh_points_matches_loss_map():
    """Empirical acc_gen on n_gen fresh points = gammainc(d_out/2, d_out ε/(2 L_gen)) within the
    binomial error (claim 12), and the sample loss is within a few √(2/(n d_out)) (claim 13)."""
    n_gen = 4000
    for d_out in (1, 3):
        cfg = Config(d_in=200, lam=0.5, d_out=d_out, eps=1e-2, n_gen=n_gen)
        out = simulate_arrays(cfg, np.array([0, 30, 100, 300, 1000]), [0, 1], "exact")
        L = out["loss_gen"]
        A = gammainc(d_out / 2, d_out * cfg.eps / (2 * L))
        se = np.sqrt(A * (1 - A) / n_gen) + 1e-12
        assert np.all(np.abs(out["acc_gen"] - A) < 4.5 * se + 1 / n_gen)
        rel = np.abs(out["loss_gen_sample"] / L - 1)
        assert np.all(rel < 4.5 * math.sqrt(2 / (n_gen * d_out)))


def test_init_rescaling_multiplies_losses():
    """L(t; α) = ((1+α²)/2) L(t; 1) in expectation (claim 22): average over seeds, tolerance
    from the measured seed scatter of the ratio."""
    seeds = list(range(12))
    t = np.array([0, 100, 1000, 5000])
    cfg = Config(d_in=150, lam=0.5, n_gen=8)
    for alpha in (0.0, 2.0):
        a = simulate_arrays(cfg.replace(init_scale=alpha), t, seeds, "exact")["loss_gen"]
        b = simulate_arrays(cfg, t, seeds, "exact")["loss_gen"]
        ratio = a.mean(0) / b.mean(0)
        scatter = (a / b).std(0) / math.sqrt(len(seeds))
        assert np.all(np.abs(ratio - (1 + alpha**2) / 2) < 4 * scatter + 0.03)


def test_d_out_columns_evolve_with_eta_over_d_out():
    """With d_out outputs, each column follows the d_out = 1 dynamics at η/d_out (Eq. 28), so
    L^{d_out}(η, t) = (1/d_out) Σ_j ‖D_j(t)‖² with D_j from a one-output run at η/d_out."""
    d_out = 3
    cfg = Config(d_in=25, lam=0.6, d_out=d_out, eta=0.03, n_gen=8)
    t = np.array([0, 10, 100, 1000])
    full = simulate_arrays(cfg, t, [0], "exact")["loss_gen"][0]
    data = sample(cfg, 0)
    X = np.asarray(data["X_train"])
    sigma = X.T @ X / X.shape[0]
    D0 = np.asarray(data["S0"] - data["T"])
    nu, U = np.linalg.eigh(sigma)
    step = 1 - 2 * (cfg.eta / d_out) * np.clip(nu, 0, None)
    cols = [(U.T @ D0[:, j]) for j in range(d_out)]
    expect = [sum(np.sum((step**tt * a) ** 2) for a in cols) / d_out for tt in t]
    assert full == pytest.approx(np.array(expect), rel=1e-10)


def test_unstable_learning_rate_names_the_bound():
    with pytest.raises(ValueError, match=r"stable only for eta < .*λ₊"):
        Config(d_in=50, lam=0.5, eta=1.0)


def test_simulate_dataset_schema_and_grokking_per_seed():
    from groklab.models import linear_teacher as lt

    cfg = Config(d_in=60, lam=0.5, eps=1e-2, n_gen=500, t_max=10**4)
    ds = lt.simulate(cfg, seeds=2)
    assert ds["loss_gen"].dims == ("seed", "t")
    assert set(ds.data_vars) >= {"loss_train", "loss_gen", "acc_train", "acc_gen"}
    assert ds.attrs["time_unit"] == "steps" and ds.attrs["precision"] == "float64"
    assert [g["seed"] for g in ds.attrs["grokking"]] == [0, 1]
    for g in ds.attrs["grokking"]:
        assert g["t_gen"] is not None and g["t_gen"] >= g["t_train"] > 0


def test_float32_run_keeps_dtype_and_agrees():
    cfg = Config(d_in=30, lam=0.5, n_gen=100, precision="float32")
    out32 = simulate_arrays(cfg, TIMES, [0], "exact")
    out64 = simulate_arrays(cfg.replace(precision="float64"), TIMES, [0], "exact")
    assert out32["loss_gen"].dtype == np.float32
    assert _rel(out32["loss_gen"], out64["loss_gen"]) < 1e-4


def test_empirical_t_star_is_the_first_integer_step():
    """Spec §1.5: the simulated t* is the first GD step with accuracy ≥ level, found by bisection
    on the exact solution between records; checked against every step around it."""
    from groklab.models import linear_teacher as lt

    cfg = Config(d_in=60, lam=0.5, eps=1e-2, n_gen=1000, t_max=10**4)
    ds = lt.simulate(cfg, seeds=2)
    for rec in ds.attrs["grokking"]:
        for key, var in (("t_train", "acc_train"), ("t_gen", "acc_gen")):
            t_star = int(rec[key])
            steps = np.arange(max(t_star - 2, 0), t_star + 3)
            acc = simulate_arrays(cfg, steps, [rec["seed"]], "exact")[var][0]
            ok = acc >= cfg.accuracy_level
            assert ok[steps == t_star].all() and not ok[steps < t_star].any(), (key, acc)
