"""The rule-learning model: config, ensemble training, the perceptron theory (LR-24) and the
shape of the model contract (Žunkovič & Ilievski 2024, Sec. 4–5)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_model_contract import _invalid_values

from groklab._config import InvalidParameterError
from groklab.models import rule_learning as rl
from groklab.models.rule_learning_theory import (
    contexts_numpy,
    gd_outputs,
    gd_trajectory,
    perceptron,
    stationary_weights,
)
from groklab.models.rule_learning_train import epoch_batches, init_members
from groklab.store import load, save
from groklab.theory.local_rules_stats import d_eff, generalization_times

TIMES = np.array([0, 1, 10, 100, 1000])
#: Small evaluation sets for the tests.
SMALL_EVAL = {"n_test": 12, "test_length": 30, "exact_length": 6}
EXACT = rl.Config(attention="exact", d=4, **SMALL_EVAL)
#: A small full model: 16 strings of length 4, batches of 5 (a short last batch), L1 and L2.
FULL = rl.Config(d=3, train_length=4, batch_size=5, lam1=1e-3, lam2=1e-2, lr=0.05, epochs=6,
                 **SMALL_EVAL)


# ---- config -------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    ({"lam1": -0.1}, "'lam1' parameter"),
    ({"lam2": -1e-3}, "'lam2' parameter"),
    ({"d": 0}, "'d' parameter"),
    ({"k_local": 0}, "'k_local' parameter"),
    ({"train_length": 2}, "'train_length' parameter"),
    ({"test_length": 7}, "'test_length' parameter"),
    ({"exact_length": 2}, "'exact_length' parameter"),
    ({"crop_min": 2}, "'crop_min' parameter"),
    ({"crop_min": 9, "train_length": 8}, "at most train_length=8"),
    ({"crop_min": 5, "bc": "closed"}, "open boundaries"),
    ({"lr": 0.0}, "'lr' parameter"),
    ({"attention": "exact", "d": 3}, "d=4 and k_local=1"),
    ({"attention": "exact", "d": 4, "k_local": 2}, "d=4 and k_local=1"),
    ({"attention": "fixed-example", "d": 3}, "needs d=2"),
    ({"attention": "random", "d": 2, "boundary": "trainable"}, "needs attention='trainable'"),
    ({"bc": "closed", "boundary": "eigen"}, "open boundaries only"),
    ({"attention": "exact", "d": 4, "lr": 2.5}, "unstable GD"),
    ({"bc": "periodic"}, "'bc' parameter"),
])
def test_bad_config_is_named(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        rl.Config(**kwargs)


def test_every_constraint_rejects_invalid_values():
    """The registry contract's generated invalid values (tests/test_model_contract.py)."""
    base = rl.Config()
    for field in dataclasses.fields(rl.Config):
        for bad in _invalid_values(field.metadata["constraint"]):
            with pytest.raises(InvalidParameterError, match=rf"'{field.name}' parameter of"):
                dataclasses.replace(base, **{field.name: bad})
    with pytest.raises(InvalidParameterError, match="Unknown parameter 'nope'"):
        rl.Config.from_strings({"nope": "1"})


def test_auto_choices():
    full, exact = rl.Config(), rl.Config(attention="exact", d=4)
    assert (full.loss_eff, full.optimizer_eff, full.lr_eff, full.boundary_eff) == \
        ("sigmoid-mse", "adam", 0.005, "trainable")
    assert (exact.loss_eff, exact.optimizer_eff, exact.lr_eff, exact.boundary_eff) == \
        ("linear-mse", "gd", 0.01, "eigen")
    assert full.steps_per_epoch == 2 and full.trainable == ("A", "B", "vL", "vR")
    assert exact.trainable == ("B",) and exact.steps_per_epoch == 1
    assert rl.Config(bc="closed").trainable == ("A", "B")


# ---- initial tensors -----------------------------------------------------------------------------
def test_init_members():
    member, shared, info = init_members(rl.Config(d=3, boundary="eigen"), [0, 1])
    assert set(member) == {"A", "B", "vL", "vR"} and not shared
    for A, vL, vR in zip(member["A"], member["vL"], member["vR"], strict=True):
        lam = np.linalg.eigvals(A[:, :, 0])
        top = lam[np.argmax(np.abs(lam))]
        np.testing.assert_allclose(A[:, :, 0] @ vR, top.real * vR, atol=1e-10)
        np.testing.assert_allclose(vL @ A[:, :, 0], top.real * vL, atol=1e-10)
    # the same seed gives the same B whatever the attention; another seed a different one
    m_rand, _, info = init_members(rl.Config(attention="random", d=2), [0, 1, 2, 3])
    m_full, _, _ = init_members(rl.Config(d=2), [0, 1, 2, 3])
    np.testing.assert_array_equal(m_rand["B"], m_full["B"])
    assert not np.allclose(m_rand["B"][0], m_rand["B"][1])
    assert not np.allclose(m_rand["A"], m_full["A"])
    assert info["rejected_attention_draws"].shape == (4,)
    for A in m_rand["A"]:
        lam = np.linalg.eigvals(A[:, :, 0])
        assert abs(lam[np.argmax(np.abs(lam))].imag) < 1e-12


# ---- simulate against independent computations -------------------------------------------------
@pytest.fixture(scope="module")
def full_run():
    times = np.array([0, 1, 3, 4, 9, 24])
    return times, rl.simulate(FULL, times, seeds=[3, 5])


def _reference_full(config, seed, n_steps):
    """An outside implementation of the full-model recipe: the same data, initial tensors and
    batch order; loss ½(σ(ŷ) − (1+y)/2)² over the valid sites + λ1‖θ‖₁; hand-written Adam
    (PyTorch form) on g + λ2θ. Returns the parameters after each step."""
    from groklab.dynamics import jax, jnp
    from groklab.models.rule_learning_tn import forward

    data = rl.sample(config, seed)
    P = {k: jnp.asarray(data[k]) for k in ("A", "B", "vL", "vR")}
    X, Y = jnp.asarray(data["X_train"]), jnp.asarray(data["y_train"])

    def loss(P, idx):
        yhat = forward(P, X[idx])
        per = 0.5 * (jax.nn.sigmoid(yhat) - 0.5 * (1 + Y[idx])) ** 2
        return jnp.mean(per) + config.lam1 * sum(jnp.sum(jnp.abs(v)) for v in P.values())

    grad = jax.jit(jax.grad(loss))
    m = {k: jnp.zeros_like(v) for k, v in P.items()}
    v = {k: jnp.zeros_like(v) for k, v in P.items()}
    out, k = [], 0
    lr, b1, b2, eps = config.lr_eff, 0.9, 0.999, 1e-8
    while k < n_steps:
        for idx in epoch_batches(config, seed, k // config.steps_per_epoch):
            if k >= n_steps:
                break
            g = grad(P, jnp.asarray(idx[idx >= 0]))
            k += 1
            for name in P:
                gi = g[name] + config.lam2 * P[name]
                m[name] = b1 * m[name] + (1 - b1) * gi
                v[name] = b2 * v[name] + (1 - b2) * gi * gi
                mh, vh = m[name] / (1 - b1**k), v[name] / (1 - b2**k)
                P[name] = P[name] - lr * mh / (jnp.sqrt(vh) + eps)
            out.append({n: np.asarray(a) for n, a in P.items()})
    return data, out


def _evaluate(P, data):
    """Loss and accuracy of ``P`` on the training and test strings by the NumPy contexts."""
    def run(X, Y):
        left, right = contexts_numpy(P, X)
        Bsel = np.where((X > 0)[..., None, None], P["B"][:, :, 1], P["B"][:, :, 0])
        yhat = np.einsum("nia,niab,nib->ni", left, Bsel, right)
        return np.mean(0.5 * (1 / (1 + np.exp(-yhat)) - 0.5 * (1 + Y)) ** 2), \
            np.mean(Y * yhat > 0), left
    lt, at, _ = run(data["X_train"], data["y_train"])
    lg, ag, left = run(data["X_test"], data["y_test"])
    return {"loss_train": lt, "acc_train": at, "loss_gen": lg, "acc_gen": ag, "left": left}


def test_full_model_training_matches_a_reference_loop(full_run):
    """Minibatch order, short last batch, L1 in the loss, coupled L2 and Adam (member seed 5)."""
    times, ds = full_run
    assert FULL.steps_per_epoch == 4
    data, params = _reference_full(FULL, 5, int(times[-1]))
    for j, t in enumerate(times):
        P = {k: data[k] for k in ("A", "B", "vL", "vR")} if t == 0 else params[t - 1]
        ref = _evaluate(P, data)
        for name in ("loss_train", "acc_train", "loss_gen", "acc_gen"):
            np.testing.assert_allclose(ds[name].sel(seed=5).values[j], ref[name], rtol=1e-9,
                                       err_msg=f"{name} at step {t}")
        np.testing.assert_allclose(ds["norm_B"].sel(seed=5).values[j], np.linalg.norm(P["B"]),
                                   rtol=1e-9)
        pts = ref["left"][:, [11, 12, 13, 14, 15, 16, 17]].reshape(-1, 3)  # sites 12..18
        np.testing.assert_allclose(ds["d_eff"].sel(seed=5).values[j], d_eff(pts), rtol=1e-8)
    # the per-epoch loss is the mean of the epoch's minibatch losses: epoch 0 starts at the
    # initial loss, and it decreases on average
    assert ds["loss_epoch"].shape == (2, 6)


def test_batched_members_equal_one_by_one(full_run):
    times, ds = full_run
    single = rl.simulate(FULL, times, seeds=[5])
    for name in (*rl.RECORDED, "loss_epoch"):
        np.testing.assert_allclose(single[name].values[0], ds[name].sel(seed=5).values,
                                   rtol=1e-12, atol=1e-15, err_msg=name)
    assert not np.allclose(ds["loss_train"].values[0], ds["loss_train"].values[1])


def test_schema_and_store_round_trip(full_run, tmp_path):
    _, ds = full_run
    assert ds.attrs["time_unit"] == "steps" and ds.attrs["config"] == FULL.to_dict()
    assert ds.attrs["precision"] == "float64"
    for name in rl.RECORDED:
        assert ds[name].dims == ("seed", "t")
    assert ds["loss_epoch"].dims == ("seed", "epoch")
    assert len(ds.attrs["grokking"]) == 2 and len(ds.attrs["spikes"]) == 2
    record = ds.attrs["grokking"][0]
    assert {"detector", "t_train", "t_gen", "delay", "never_reached"} <= set(record)
    save(ds, tmp_path / "sim.nc")
    back = load(tmp_path / "sim.nc")
    for name in ds.data_vars:
        np.testing.assert_array_equal(back[name].values, ds[name].values)


def test_float32_run_with_crops_keeps_dtype():
    cfg = FULL.replace(precision="float32", crop_min=3)
    ds = rl.simulate(cfg, np.array([0, 8]), seeds=2)
    assert ds.attrs["precision"] == "float32" and ds["loss_train"].dtype == np.float32
    assert np.all(np.isfinite(ds["loss_train"].values))


# ---- the perceptron map: predict against simulate ------------------------------------------------
@pytest.mark.parametrize("cfg", [
    EXACT.replace(bc="closed", lr=0.5),
    rl.Config(attention="fixed-example", example=2, d=2, lam2=0.05, lr=0.5, **SMALL_EVAL),
    pytest.param(rl.Config(attention="random", d=2, lr=0.5, seed=4, **SMALL_EVAL),
                 marks=pytest.mark.slow),
], ids=["exact-closed", "example2-l2", "random"])
def test_predict_is_the_exact_gd_trajectory(cfg):
    """T2: GD on z·vec(B) equals vec B(t) = w^λ + (1 − lr·G)^t (B(0) − w^λ) (rtol 1e-9)."""
    th = rl.predict(cfg, TIMES)
    sim = rl.simulate(cfg, TIMES, seeds=[cfg.seed, cfg.seed + 1])
    assert set(th.data_vars) <= set(sim.data_vars)
    for name in rl.RECORDED:
        np.testing.assert_allclose(th[name].values, sim[name].values[0], rtol=1e-9, atol=1e-12,
                                   err_msg=name)
    assert th.attrs["stationary"]["dimension"] == 2 * cfg.d**2


def test_given_attention_and_recorded_params():
    """A random-attention config given Eq. 68 as its attention trains exactly like
    attention='exact' (the open-boundary case of the test above): its records equal
    predict(EXACT), and the recorded B(t) is the exact GD trajectory."""
    from groklab.models.rule_learning_tn import exact_attention, top_eigenvectors
    from groklab.models.rule_learning_train import run_ensemble

    A = exact_attention()
    vL, vR, _ = top_eigenvectors(A[:, :, 0])
    cfg = rl.Config(attention="random", d=4, **SMALL_EVAL)
    rec = run_ensemble(cfg, [0, 1], TIMES, attention={"A": A, "vL": vL, "vR": vR},
                       record_params=True)
    th = rl.predict(EXACT, TIMES)
    for name in rl.RECORDED:
        np.testing.assert_allclose(rec[name][0], th[name].values, rtol=1e-9, atol=1e-12,
                                   err_msg=name)
    p = perceptron(EXACT.replace(seed=1))
    np.testing.assert_allclose(rec["param_B"][1].reshape(len(TIMES), -1),
                               gd_trajectory(p.G, p.a, p.b0, 0.01, TIMES), rtol=1e-9, atol=1e-12)
    assert set(k for k in rec if k.startswith("param_")) == {"param_B"}
    with pytest.raises(ValueError, match="exactly"):
        init_members(cfg, [0], attention={"A": A})
    with pytest.raises(ValueError, match="fixed-attention"):
        init_members(rl.Config(d=4), [0], attention={"A": A, "vL": vL, "vR": vR})


def test_gd_trajectory_against_iteration():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(6, 10))  # rank 6 < 10: a null space where B(0) stays
    y = rng.choice([-1.0, 1.0], size=6)
    b0 = rng.normal(size=10)
    from groklab.models.rule_learning_theory import gram

    G, a = gram(Z, y, 0.0)
    b, lr = b0.copy(), 0.05
    traj = gd_trajectory(G, a, b0, lr, [0, 7, 300])
    for t in range(301):
        if t in (0, 7, 300):
            np.testing.assert_allclose(traj[[0, 7, 300].index(t)], b, rtol=1e-10, atol=1e-12)
        b = b - lr * (G @ b - a)
    w = stationary_weights(Z, y, b0=b0)
    np.testing.assert_allclose(Z @ w, y, atol=1e-10)  # interpolates (N < D)
    P = np.eye(10) - np.linalg.pinv(G) @ G
    np.testing.assert_allclose(P @ w, P @ b0, atol=1e-10)  # null-space part untouched


def test_l1_gd_is_proximal_and_reaches_the_lasso_point():
    """GD with λ1 > 0 is soft-thresholded GD on the features (independent NumPy loop), and
    stationary_weights satisfies the lasso KKT conditions."""
    cfg = rl.Config(attention="fixed-example", example=1, d=2, lam1=0.02, lam2=0.01, lr=0.5,
                    **SMALL_EVAL)
    p = perceptron(cfg)
    b = p.b0.copy()
    times = np.array([0, 5, 50, 100, 1000])  # TIMES' shape: the compiled run is reused
    sim = rl.simulate(cfg, times, seeds=[0, 1])
    for t in range(1001):
        if t in times:
            out = p.Z_train @ b
            np.testing.assert_allclose(sim["loss_train"].values[0, list(times).index(t)],
                                       np.mean(0.5 * (out - p.y_train) ** 2), rtol=1e-9)
            np.testing.assert_allclose(sim["norm_B"].values[0, list(times).index(t)],
                                       np.linalg.norm(b), rtol=1e-9)
        v = b - cfg.lr_eff * (p.G @ b - p.a)
        b = np.sign(v) * np.maximum(np.abs(v) - cfg.lr_eff * cfg.lam1, 0)
    w = stationary_weights(p.Z_train, p.y_train, cfg.lam1, cfg.lam2)
    grad = p.G @ w - p.a
    on = w != 0
    np.testing.assert_allclose(grad[on], -cfg.lam1 * np.sign(w[on]), atol=1e-8)
    assert np.all(np.abs(grad[~on]) <= cfg.lam1 + 1e-8)
    with pytest.raises(rl.NoTheoryError, match="lam1 > 0"):
        rl.predict(cfg, times)


def test_predict_refuses_configs_without_theory():
    with pytest.raises(rl.NoTheoryError, match="attention is trained"):
        rl.predict(rl.Config(), TIMES)
    with pytest.raises(rl.NoTheoryError, match="optimizer='adam'"):
        rl.predict(EXACT.replace(optimizer="adam"), TIMES)
    with pytest.raises(rl.NoTheoryError, match="sigmoid-mse"):
        rl.predict(EXACT.replace(loss="sigmoid-mse"), TIMES)


# ---- LR-24: the first-order jump of exact attention ----------------------------------------------
def _exact_attention_jump(n_seeds=400):
    """Mean test error one record before t_ε over an ensemble of B(0) (exact attention, all
    length-3 strings, open BC, λ = 0, GD lr = 0.01, records every 5 steps) and the aligned mean
    curve. Bulk test error on 200 × 200 random sites, evaluated on the 8 distinct feature
    vectors (exact: z takes 8 values, LR-23) weighted by their test frequency."""
    cfg = rl.Config(attention="exact", d=4, train_length=3, n_test=200, test_length=200,
                    exact_length=3)
    p = perceptron(cfg)
    z, inv = np.unique(np.round(p.Z_test, 12), axis=0, return_inverse=True)
    y = np.array([p.y_test[inv.ravel() == k][0] for k in range(len(z))])
    freq = np.bincount(inv.ravel()) / inv.size
    b0 = init_members(cfg, range(n_seeds))[0]["B"].reshape(n_seeds, -1)
    t = np.arange(0, 12_001, 5)
    err = (y * gd_outputs(p.G, p.a, b0, 0.01, t, z) <= 0) @ freq
    t_eps = generalization_times(t, err)
    ok = np.isfinite(t_eps)
    idx = np.searchsorted(t, t_eps[ok])
    return len(z), freq, err[ok, idx - 1], ok.mean()


@pytest.fixture(scope="module")
def jump():
    return _exact_attention_jump()


def test_exact_attention_jump_is_one_neighbourhood(jump):
    """[derived] The 8 features are orthonormal (r_0 ⟂ r_1, c_0 ⟂ c_1), so each neighbourhood's
    output relaxes on its own and the last one to flip carries the whole jump: its bulk
    frequency, 1/8 (a factor 2 below the paper's 1/4)."""
    n_z, freq, before, frac = jump
    assert n_z == 8 and frac == 1.0
    np.testing.assert_allclose(freq, 1 / 8, atol=0.01)
    assert abs(before.mean() - 1 / 8) < 0.02


@pytest.mark.xfail(strict=True, reason="LR-24: the aligned mean test error jumps by 0.125 (one of 8 equally frequent neighbourhoods; 400 B(0), bulk error), not 1/4")  # noqa: E501
def test_exact_attention_first_order_jump_is_a_quarter(jump):
    assert abs(jump[2].mean() - 0.25) < 0.05


# ---- fixed random attention and the App. C examples (LR-26) --------------------------------------
def _fails(numbers: str):
    return pytest.mark.xfail(strict=True, reason=f"LR-26: w^λ does not reach zero error with λ on the site-mean loss (Eq. 19): err train/exact3-10/test = {numbers}; with λ/8 it does")  # noqa: E501


#: Fig. 15 λ settings of the App. C examples: (example, λ1, λ2).
FIG15 = [(1, 0.01, 0.0), pytest.param(1, 0.1, 0.0, marks=_fails("0.042/0.097/0.124")),
         pytest.param(1, 0.0, 0.1, marks=_fails("0.083/0.200/0.260")),
         (2, 0.0, 0.0), pytest.param(2, 0.05, 0.0, marks=_fails("0.083/0.236/0.305")),
         pytest.param(2, 0.0, 0.1, marks=_fails("0.083/0.195/0.244")),
         (3, 0.0, 0.0), pytest.param(3, 0.2, 0.0, marks=_fails("0.500/0.500/0.501")),
         pytest.param(3, 0.0, 0.2, marks=_fails("0.042/0.097/0.125"))]


@pytest.mark.parametrize("example, lam1, lam2", FIG15)
def test_app_c_examples_reach_zero_test_error(example, lam1, lam2):
    """LR-26 [paper, implied by Figs. 15, 17]: on all length-3 strings (open BC, v^{L,R} the top
    eigenvectors of A_0) the stationary weights of each example reach zero test error."""
    from groklab.models.rule_learning_theory import attention_groks
    from groklab.models.rule_learning_tn import example_attention, top_eigenvectors

    cfg = rl.Config(attention="fixed-example", example=example, d=2, train_length=3,
                    lam1=lam1, lam2=lam2, n_test=50, test_length=200)
    A = example_attention(example)
    vL, vR, _ = top_eigenvectors(A[:, :, 0])
    assert attention_groks({"A": A, "vL": vL, "vR": vR}, cfg)


def test_attention_groks_agrees_with_the_perceptron_errors():
    """attention_groks is the zero-error test of w^λ on the perceptron's feature sets, and a
    random A usually fails it (P_G is small, LR-26)."""
    from groklab.models.rule_learning_theory import attention_groks, p_grok_attention

    cfg = rl.Config(attention="random", d=2, train_length=3, lam2=0.01, **SMALL_EVAL)
    res = p_grok_attention(cfg, 40)
    assert res["n_draws"] == 40 and res["n_grok"] <= res["n_real"] <= 40
    assert res["p_grok"] < 0.5
    for seed in range(6):
        p = perceptron(cfg.replace(seed=seed))
        w = stationary_weights(p.Z_train, p.y_train, 0.0, cfg.lam2)
        e = p.errors(w)
        att = p.attention
        assert attention_groks(att, cfg) == (e["err_gen"] == 0 and e["err_exact"] == 0)


def test_rejection_sampling_keeps_only_grokking_attention():
    from groklab.models.rule_learning_theory import attention_groks

    cfg = rl.Config(attention="random", d=2, train_length=3, lam1=0.01, reject=True,
                    **SMALL_EVAL)
    member, _, info = init_members(cfg, [0, 1])
    for i in range(2):
        att = {k: member[k][i] for k in ("A", "vL", "vR")}
        assert attention_groks(att, cfg)
    assert np.all(info["rejected_attention_draws"] >= 0)
    with pytest.raises(InvalidParameterError, match="attention='random'"):
        rl.Config(reject=True)


# ---- ensemble analysis helpers -------------------------------------------------------------------
def test_ensemble_helpers_on_a_synthetic_dataset():
    """aligned / nu_fit / spike_table read a simulate()-shaped Dataset."""
    import xarray as xr

    rng = np.random.default_rng(0)
    t = np.arange(0, 400, 2)  # 2 steps per epoch, records at every epoch end
    t_eps = rng.integers(50, 180, size=50) * 2
    err = np.where(t[None] < t_eps[:, None],
                   0.01 * (np.abs(t_eps[:, None] - t[None]) / 10.0) ** 0.7, 0.0)
    loss_epoch = np.full((50, 200), 0.1)
    loss_epoch[3, 120] = 1.0
    d = np.where(t[None] <= 240, 2.0, 3.0) * np.ones((50, 1))
    ds = xr.Dataset(
        {"acc_gen": (("seed", "t"), 1 - err), "zero_error": (("seed", "t"), (err == 0) * 1.0),
         "d_eff": (("seed", "t"), d), "loss_epoch": (("seed", "epoch"), loss_epoch)},
        coords={"seed": np.arange(50), "t": t},
        attrs={"steps_per_epoch": 2, "spikes": [[120] if s == 3 else [] for s in range(50)]})
    np.testing.assert_array_equal(rl.generalization_times(ds), t_eps)
    m = rl.aligned(ds)
    assert m["mean"][m["lag"] == 0][0] == 0 and m["count"].max() == 50
    fit = rl.nu_fit(ds, n_boot=20)
    assert fit.nu == pytest.approx(0.7, abs=1e-6)
    rows = rl.spike_table(ds)
    assert rows == [{"seed": 3, "epoch": 120, "t_start": 240, "t_end": 242, "loss": 1.0,
                     "d_eff_step": 1.0}]
