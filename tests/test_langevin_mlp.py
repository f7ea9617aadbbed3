"""The langevin-mlp model (spec jules2023 §2): Hessian tools against the dense Hessian (LG-09),
CE identities on the network's own losses (LG-04), pre-training, bad input with the bound,
and the fluctuation analysis of a short run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from groklab._config import InvalidParameterError
from groklab.dynamics import jax, jnp
from groklab.dynamics.langevin import hutchinson_trace, lanczos_top
from groklab.models import langevin_mlp as m
from groklab.models.langevin_mlp_net import Net, dense_hessian, gn_matvec, gn_trace

SMALL = {"d": 6, "n_train": 24, "width": 16, "depth": 2, "loss_target": 1e-2, "T": 1e-3,
         "t_max": 2000, "n_test": 100}


@pytest.fixture(scope="module")
def small():
    cfg = m.Config(**SMALL)
    p = m.pretrain(cfg)
    net = Net.of(cfg)
    train = {"X": p["X"], "y": p["y"]}
    return cfg, p, net, train, dense_hessian(net, p["theta0"], train)


def test_pretraining_reaches_the_target(small):
    cfg, p, net, train, _ = small
    assert p["reached"]
    assert float(net.loss(p["theta0"], train)) <= cfg.loss_target
    assert float(net.accuracy(p["theta0"], train["X"], train["y"])) == 1.0
    assert 0 < p["step_1e-2"] <= p["steps"]
    assert cfg.n_params == net.n_params == p["theta0"].size == 6 * 16 + 16 + 16 * 16 + 16 + 17


def test_lanczos_top_eigenvalues_match_the_dense_hessian(small):
    cfg, p, net, train, H = small
    assert net.n_params == 401
    dense = np.sort(np.linalg.eigvalsh(H))[::-1]
    top = lanczos_top(net.potential, p["theta0"], train, k=10, n_iter=120)
    np.testing.assert_allclose(top, dense[:10], rtol=1e-6)
    # and at a non-minimum point (random init), where H has negative eigenvalues
    H0 = dense_hessian(net, p["theta_init"], train)
    d0 = np.sort(np.linalg.eigvalsh(H0))[::-1]
    t0 = lanczos_top(net.potential, p["theta_init"], train, k=5, n_iter=120)
    np.testing.assert_allclose(t0, d0[:5], rtol=1e-6)
    # the dense Hessian itself: a finite difference of the gradient along a random direction
    v = np.random.default_rng(0).standard_normal(net.n_params)
    g = jax.grad(net.potential)
    h = 1e-5
    fd = (np.asarray(g(p["theta0"] + h * v, train)) - np.asarray(g(p["theta0"] - h * v, train)))
    np.testing.assert_allclose(H @ v, fd / (2 * h), rtol=1e-4, atol=1e-9)


def test_hutchinson_trace_within_three_standard_errors(small):
    cfg, p, net, train, H = small
    est, se = hutchinson_trace(net.potential, p["theta0"], train, n_probes=200)
    assert abs(est - np.trace(H)) < 3 * se
    assert se < 0.3 * abs(np.trace(H))


def test_gauss_newton_trace_from_per_sample_gradients(small):
    cfg, p, net, train, _ = small
    P = net.n_params
    # dense H_GN from the GN matrix-vector product on the basis vectors
    cols = jax.vmap(lambda e: gn_matvec(net, p["theta0"], train, e))(jnp.eye(P))
    G = np.asarray(cols)
    np.testing.assert_allclose(G, G.T, atol=1e-12)
    assert float(gn_trace(net, p["theta0"], train)) == pytest.approx(np.trace(G), rel=1e-10)
    # and from the explicit Jacobian of the margins
    J = np.asarray(jax.jacobian(lambda th: net.margins(th, train["X"], train["y"]))(
        p["theta0"]))
    mm = np.asarray(net.margins(p["theta0"], train["X"], train["y"]))
    w = 1 / (1 + np.exp(-mm)) / (1 + np.exp(mm))
    np.testing.assert_allclose(G, J.T @ (w[:, None] * J) / J.shape[0], rtol=1e-9, atol=1e-14)


def test_point_losses_are_ce_of_margins_and_curvature_weights(small):
    cfg, p, net, train, _ = small
    from groklab.theory.langevin import ce_derivatives

    mm = np.asarray(net.margins(p["theta0"], train["X"], train["y"]))
    ell = np.asarray(net.point_losses(p["theta0"], train["X"], train["y"]))
    np.testing.assert_allclose(ell, ce_derivatives(mm)[0], rtol=1e-12)
    d2 = jax.vmap(jax.grad(jax.grad(lambda z: jax.nn.softplus(-z))))(jnp.asarray(mm))
    np.testing.assert_allclose(np.asarray(d2), ce_derivatives(mm)[2], rtol=1e-10)


@pytest.mark.slow
def test_multiclass_margins_and_losses():
    cfg = m.Config(**{**SMALL, "n_classes": 3, "n_train": 30})
    data = m.sample(cfg)
    net = Net.of(cfg)
    th = data["theta_init"]
    z = np.asarray(net.logits(th, data["X"]))
    y = np.asarray(data["y"]).astype(int)
    assert np.bincount(y).tolist() == [10, 10, 10]
    others = np.where(np.eye(3, dtype=bool)[y], -np.inf, z)
    np.testing.assert_allclose(net.margins(th, data["X"], data["y"]),
                               z[np.arange(30), y] - others.max(1), rtol=1e-12)
    lse = np.log(np.exp(z).sum(1))
    np.testing.assert_allclose(net.point_losses(th, data["X"], data["y"]),
                               lse - z[np.arange(30), y], rtol=1e-12)


def test_binary_labels_are_balanced_and_inputs_scaled():
    cfg = m.Config(**{**SMALL, "d": 50, "n_train": 2000, "n_test": 10})
    data = m.sample(cfg)
    assert float(np.sum(data["y"])) == 0.0
    assert np.var(np.asarray(data["X"])) == pytest.approx(1 / 50, rel=0.05)


# ---- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("T", [0.0, -1e-3])
def test_nonpositive_temperature_is_rejected(T):
    with pytest.raises(InvalidParameterError, match=r"'T' parameter of Config must be a real "
                                                    r"number in the range \(0, inf\)"):
        m.Config(**{**SMALL, "T": T})


def test_unstable_step_reports_the_bound(small):
    cfg, p, *_ = small
    bound = 2.0 / p["lambda_1"]
    with pytest.raises(InvalidParameterError, match=rf"eta < 2/λ_1 = {bound:.6g}"):
        m.simulate(cfg.replace(eta=1.01 * bound), times=[0, 10])
    m.simulate(cfg.replace(eta=0.01 * bound), times=[0, 10])  # a stable step runs


def test_cross_field_checks():
    with pytest.raises(InvalidParameterError, match="must be below t_max"):
        m.Config(**{**SMALL, "burn_in": 2000})
    with pytest.raises(InvalidParameterError, match="must be even"):
        m.Config(**{**SMALL, "n_train": 25})
    with pytest.raises(InvalidParameterError, match="chains must be a positive integer"):
        m.simulate(m.Config(**SMALL), times=[0, 1], chains=0)


# ---- a short run ---------------------------------------------------------------------------------
def test_simulate_temperatures_and_chains_and_analyze(small):
    cfg = small[0].replace(burn_in=500)
    times = np.arange(0, 2001, 5)
    ds = m.simulate(cfg, times=times, seeds=1, temperatures=[1e-4, 1e-3], chains=3)
    assert ds["loss_train"].dims == ("seed", "T", "chain", "t")
    assert ds.attrs["time_unit"] == "steps"
    # one chain equals the same chain run alone (keys per (seed, chain index))
    alone = m.simulate(cfg, times=times, seeds=1, temperatures=[1e-4, 1e-3], chains=1)
    np.testing.assert_array_equal(alone["loss_train"].values[0, :, 0],
                                  ds["loss_train"].values[0, :, 0])
    res = m.analyze(ds)
    lo, hi = res[(0, 1e-4)], res[(0, 1e-3)]
    for r in (lo, hi):
        assert r["acc_train"] > 0.99
        assert set(r) >= {"D_mean", "D_var", "D_ratio", "tau_int", "ess", "stationary", "n_b"}
    # the fluctuations grow with T
    late = ds["loss_train"].sel(t=ds["t"] >= 500)
    assert float(late.sel(T=1e-3).std()) > 3 * float(late.sel(T=1e-4).std())
    # a (seed, T) that fails the drift test is reported with NaN estimators, never averaged
    for r in (lo, hi):
        assert r["stationary"] == (abs(r["z_halves"]) < 2)
        assert math.isnan(r["D_var"]) != r["stationary"]


def test_predict_is_the_harmonic_prediction(small):
    cfg, p, net, train, H = small
    th = m.predict(cfg, times=[0, 10**9])
    s = th.attrs["summary"]
    eigs = np.linalg.eigvalsh(H)
    assert s["n_plus"]["0.01"] == int(np.sum(eigs > 1e-2 * eigs.max()))
    eta = th.attrs["eta"]
    pos = eigs[eigs > 0]
    expected = np.sum(cfg.T / (2 * (1 - eta * pos / 2)))
    assert s["mean_dL_stationary"] == pytest.approx(expected, rel=1e-8)
    assert th["loss_train"].values[0] == pytest.approx(float(net.loss(p["theta0"], train)))
    assert math.isclose(eta, min(cfg.eta_max, cfg.eta_c / p["lambda_1"]))


def test_batched_lanczos_top_eigenvalue_matches_the_dense_hessian(small):
    cfg, p, net, train, H = small
    from groklab.dynamics.langevin import lanczos_top_batch

    H1 = dense_hessian(net, p["theta_init"], train)
    lam = lanczos_top_batch(net.potential, np.stack([p["theta0"], p["theta_init"]]), train,
                            n_iter=120)
    np.testing.assert_allclose(lam, [np.linalg.eigvalsh(H).max(), np.linalg.eigvalsh(H1).max()],
                               rtol=1e-6)


def test_continuation_state_and_per_point_records(small):
    cfg, p, net, train, _ = small
    ds = m.simulate(cfg, times=[0, 7, 20], temperatures=[1e-3], chains=2, keep_state=True,
                    record=("ell", "margin"))
    th = ds["theta_final"].values[0, 0]
    # θ after the last step gives the last recorded loss and per-point losses
    for c in range(2):
        assert float(net.loss(th[c], train)) == pytest.approx(
            float(ds["loss_train"].values[0, 0, c, -1]), rel=1e-12)
        np.testing.assert_allclose(ds["ell"].values[0, 0, c, -1],
                                   np.logaddexp(0, -ds["margin"].values[0, 0, c, -1]),
                                   rtol=1e-10)
    # continuing from a state with an explicit step: t counts from that start
    again = m.simulate(cfg, times=[0, 5], temperatures=[1e-3], chains=2,
                       theta_start=ds["theta_final"].values, etas=[[0.01]], stream=1)
    np.testing.assert_allclose(again["loss_train"].values[0, 0, :, 0],
                               ds["loss_train"].values[0, 0, :, -1], rtol=1e-12)
    assert again["eta"].values.tolist() == [[0.01]]
    with pytest.raises(InvalidParameterError, match="record must be a subset"):
        m.simulate(cfg, times=[0, 1], record=("theta",))
