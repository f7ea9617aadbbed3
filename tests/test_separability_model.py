"""Edge-of-separability model (Beck, Levi, Bar-Sinai 2025): simulation, population formulas and
exact identities (spec §1–2, claims 1–3, 7, 13, 14)."""

import math

import numpy as np
import pytest
from scipy import integrate

from groklab._config import InvalidParameterError
from groklab.dynamics import jax, jnp
from groklab.models import separability as sep
from groklab.models import separability_sim as sim

LOG_TIMES = np.concatenate([[0], np.unique(np.round(np.logspace(0, 4, 30)).astype(np.int64))])


def _quad_softplus(a, b):
    """E softplus(aY + b) by adaptive quadrature with breakpoints around 0, a and y0 = −b/a."""
    f = lambda y: np.logaddexp(0.0, a * y + b) * np.exp(-y * y / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    y0 = -b / a
    pts = sorted({c + k for c in (0.0, a, y0) for k in (-40, -10, -3, 0, 3, 10, 40)})
    return sum(
        integrate.quad(f, u, v, epsabs=0, epsrel=1e-13, limit=500)[0]
        for u, v in zip(pts[:-1], pts[1:], strict=True)
    )


@pytest.mark.parametrize("a", [1e-3, 0.5, 1.0, 2.0, 5.0, 20.0, 150.0])
def test_population_logistic_matches_quadrature(a):
    bs = np.array([-800.0, -120.0, -30.0, -8.0, -1.0, 0.0, 2.0, 40.0])
    got = np.asarray(sim.population_logistic(jnp.full(bs.shape, a), jnp.asarray(bs)))
    ref = np.array([_quad_softplus(a, b) for b in bs])
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=0)


def test_population_logistic_at_zero_norm_is_softplus():
    bs = jnp.asarray([-50.0, -1.0, 0.0, 3.0])
    np.testing.assert_allclose(
        np.asarray(sim.population_logistic(jnp.zeros(4), bs)), np.logaddexp(0, np.asarray(bs)),
        rtol=1e-14,
    )


@pytest.mark.parametrize("loss", ["logistic", "exponential"])
def test_population_formulas_match_sampled_test_sets(loss):
    """Claims 1–3: Eq. 3/4 and e^{b+σ²‖S‖²/2} against 4·10⁵ fresh points."""
    cfg = sep.Config(d=20, lam=0.45, sigma=2.0, loss=loss, eta=0.01, S0_norm=0.3)
    # a state with acc_gen well inside (0, 1): after a few steps
    data = sep.sample(cfg, 0)
    S, b = np.asarray(data["S0"]), -0.25
    x = cfg.sigma * np.random.default_rng(1).standard_normal((400_000, cfg.d))
    f = x @ S + b
    a = cfg.sigma * np.linalg.norm(S)
    acc = np.mean(f <= 0)
    acc_pred = float(sim.population_accuracy(jnp.asarray(a), jnp.asarray(b)))
    assert abs(acc - acc_pred) < 4 * math.sqrt(acc_pred * (1 - acc_pred) / f.size)
    per = np.logaddexp(0, f) if loss == "logistic" else np.exp(f)
    pred = (sim.population_logistic if loss == "logistic" else sim.population_exponential)(
        jnp.asarray(a), jnp.asarray(b)
    )
    assert abs(per.mean() - float(pred)) < 4 * per.std() / math.sqrt(f.size)


def test_recorded_population_observables_use_the_formulas():
    cfg = sep.Config(d=10, lam=0.4, sigma=3.0)
    ds = sep.simulate(cfg, times=[0, 10, 100], seeds=2)
    a = cfg.sigma * ds["norm_S"].values
    b = ds["bias"].values
    np.testing.assert_allclose(
        ds["acc_gen"].values, 0.5 * np.vectorize(math.erfc)(b / (math.sqrt(2) * a)), rtol=1e-12
    )
    ref = np.vectorize(_quad_softplus)(a, b)
    np.testing.assert_allclose(ds["loss_gen"].values, ref, rtol=1e-10)
    np.testing.assert_allclose(ds["b_over_norm"].values, b / ds["norm_S"].values, rtol=1e-14)


def test_exponential_and_logistic_agree_at_late_times():
    """Proof of Prop. 3.2: both losses share the late-time dynamics (here L ≈ 10⁻⁴)."""
    base = sep.Config(d=8, lam=0.4, sigma=5.0)
    t = [10**5]
    log = sep.simulate(base, times=t, seeds=2)
    exp = sep.simulate(base.replace(loss="exponential"), times=t, seeds=2)
    assert np.all(log["loss_train"].values < 2e-3)  # ≈ 1/(ηt)
    np.testing.assert_allclose(log["loss_train"], exp["loss_train"], rtol=2e-2)
    np.testing.assert_allclose(log["bias"], exp["bias"], rtol=2e-3)
    np.testing.assert_allclose(log["norm_S"], exp["norm_S"], rtol=2e-2)
    np.testing.assert_allclose(log["loss_gen"], exp["loss_gen"], rtol=1e-2)


@pytest.mark.parametrize("loss", ["logistic", "exponential"])
def test_sigma_rescaling_is_exact_for_gd(loss):
    """Prop. 3.5 / claim 13: the σ-run equals the σ = 1 run on X/σ from σS₀ with step ησ² for
    S, at every recorded step."""
    cfg = sep.Config(d=12, lam=0.45, sigma=4.0, loss=loss, eta=0.01)
    data = sep.sample(cfg, 3)
    twin = sep.sigma_rescaling(data["X"], data["S0"], data["b0"], cfg.eta, cfg.sigma)
    assert twin["eta_b"] == cfg.eta and twin["eta_S"] == cfg.eta * cfg.sigma**2
    times = [0, 1, 10, 100, 2000]
    a = sim.run_arrays(cfg, {k: v[None] for k, v in data.items()}, times)
    unit = {"X": jnp.asarray(twin["X"])[None], "S0": jnp.asarray(twin["S"])[None],
            "b0": jnp.asarray(twin["b"])[None]}
    b = sim.run_arrays(cfg.replace(sigma=1.0), unit, times, s_step_scale=cfg.sigma**2)
    for k in ("loss_train", "acc_train", "loss_gen", "acc_gen", "bias", "tau"):
        np.testing.assert_allclose(a[k], b[k], rtol=1e-10, atol=1e-300, err_msg=k)
    np.testing.assert_allclose(cfg.sigma * a["norm_S"], b["norm_S"], rtol=1e-10)


def test_two_gaussian_reduction_is_exact_for_gd():
    """App. H / claim 14: logistic regression on ±μ Gaussians with σ_A = 0 and step η equals the
    reduced run with σ = σ_B/μ and step ημ²."""
    rng = np.random.default_rng(0)
    n, d, mu, sigma_b, eta, steps = 30, 12, 0.2, 1.0, 0.1, 300
    y = rng.choice([-1.0, 1.0], n)
    xt = np.column_stack([y * mu, sigma_b * rng.standard_normal((n, d))])
    w0 = rng.standard_normal(d + 1)
    w0 *= 0.1 / np.linalg.norm(w0)

    def loss(w):
        return jnp.mean(jax.nn.softplus(-y * (xt @ w)))

    step = jax.jit(lambda w: w - eta * jax.grad(loss)(w))
    w = jnp.asarray(w0)
    for _ in range(steps):
        w = step(w)
    red = sep.two_gaussian_to_reduced(xt, y, np.stack([w0, np.asarray(w)]), eta, mu)
    assert red["eta"] == pytest.approx(eta * mu**2)
    np.testing.assert_allclose(red["X"].std(), sigma_b / mu, rtol=0.1)
    # margins map exactly
    np.testing.assert_allclose(
        y * (xt @ np.asarray(w)), -(red["X"] @ red["S"][1] + red["b"][1]), rtol=1e-12
    )
    cfg = sep.Config(d=d, n_train=n, sigma=sigma_b / mu, eta=red["eta"])
    data = {"X": jnp.asarray(red["X"])[None], "S0": jnp.asarray(red["S"][0])[None],
            "b0": jnp.asarray(red["b"][0])[None]}
    rec = sim.run_arrays(cfg, data, [steps])
    np.testing.assert_allclose(rec["bias"][0, 0], red["b"][1], rtol=1e-10)
    np.testing.assert_allclose(rec["norm_S"][0, 0], np.linalg.norm(red["S"][1]), rtol=1e-10)
    with pytest.raises(ValueError, match="sigma_A = 0"):
        sep.two_gaussian_to_reduced(xt + 0.01, y, w0, eta, mu)


def test_conformal_time_is_the_sum_of_exp_bias():
    """tau_k = Σ_{j<k} e^{b_j} (Eq. 8 in steps), recorded at every step."""
    cfg = sep.Config(d=6, lam=0.3, sigma=2.0, b0=0.5)
    ds = sep.simulate(cfg, times=np.arange(0, 60), seeds=2)
    b = ds["bias"].values
    ref = np.concatenate([np.zeros((2, 1)), np.cumsum(np.exp(b[:, :-1]), axis=1)], axis=1)
    np.testing.assert_allclose(ds["tau"].values, ref, rtol=1e-12)


@pytest.mark.parametrize("loss", ["logistic", "exponential"])
def test_million_steps_stay_finite(loss):
    cfg = sep.Config(d=4, n_train=10, sigma=5.0, loss=loss, eta=0.01, t_max=10**6)
    ds = sep.simulate(cfg, times=sep.default_times(cfg, n=20), seeds=2)
    for k in ("loss_train", "acc_gen", "norm_S", "bias", "tau", "acc_train"):
        assert np.all(np.isfinite(ds[k].values)), k
    assert np.all(ds["loss_gen"].values >= 0)
    assert ds["t"].values[-1] == 10**6
    assert np.all(np.diff(ds["tau"].values, axis=1) > 0)


def test_batched_seeds_equal_one_by_one():
    cfg = sep.Config(d=10, lam=0.4, sigma=3.0)
    times = [0, 10, 100]
    both = sep.simulate(cfg, times=times, seeds=[4, 7, 9])
    for s in (4, 7, 9):
        one = sep.simulate(cfg, times=times, seeds=[s])
        for k in both.data_vars:
            np.testing.assert_allclose(
                both[k].sel(seed=s).values, one[k].sel(seed=s).values, rtol=1e-12, atol=1e-300
            )


def test_simulate_dataset_schema_and_grokking_records():
    cfg = sep.Config(d=8, lam=0.3, sigma=5.0, t_max=10**4)
    ds = sep.simulate(cfg, seeds=2)
    assert ds.sizes["seed"] == 2 and ds["t"].values[0] == 0 and ds["t"].values[-1] == 10**4
    assert ds.attrs["time_unit"] == "steps" and ds.attrs["precision"] == "float64"
    assert ds.attrs["config"]["sigma"] == 5.0
    recs = ds.attrs["grokking"]
    assert [r["seed"] for r in recs] == [0, 1]
    assert all(r["detector"] == "beck2025" and r["level"] == 0.9 for r in recs)
    assert all(r["t_gen"] is not None for r in recs)  # λ = 0.3: generalizes
    s = sep.sample(cfg, 0)
    assert s["X"].shape == (cfg.n_train_eff, 8)
    np.testing.assert_allclose(np.linalg.norm(s["S0"]), 0.1, rtol=1e-14)


def test_adam_runs_and_generalizes_when_inseparable():
    cfg = sep.Config(d=6, lam=0.3, sigma=1.0, optimizer="adam", eta=1e-2, t_max=3000)
    ds = sep.simulate(cfg, seeds=2, times=[0, 3000])
    assert np.all(ds["acc_gen"].values[:, -1] > 0.99)
    assert np.all(np.isfinite(ds["tau"].values))
    assert ds["t"].attrs == {"long_name": "Adam step", "units": "steps"}
    gd = sep.simulate(sep.Config(d=6, lam=0.3, sigma=1.0, t_max=10), seeds=1, times=[0, 10])
    assert gd["t"].attrs["long_name"] == "GD step"


def test_bad_input_messages():
    with pytest.raises(InvalidParameterError, match="'lam' parameter of Config must be"):
        sep.Config(lam=0.0)
    with pytest.raises(InvalidParameterError, match="'lam' parameter of Config must be"):
        sep.Config(lam=-0.4)
    with pytest.raises(InvalidParameterError, match="'sigma' parameter of Config must be"):
        sep.Config(sigma=0.0)
    with pytest.raises(InvalidParameterError, match="'loss' parameter of Config must be one of"):
        sep.Config(loss="hinge")
    with pytest.raises(InvalidParameterError, match=r"stable only for eta < 0\.1"):
        sep.Config(lam=0.48, sigma=5.0, eta=0.2)  # logistic bound 8/(25·1.69² + 1) ≈ 0.11
    with pytest.raises(InvalidParameterError, match="unstable GD"):
        sep.Config(lam=0.48, sigma=5.0, eta=0.05, loss="exponential")
    with pytest.raises(InvalidParameterError, match="Give lam or n_train, not both"):
        sep.Config(d=100, lam=0.5, n_train=150)
    sep.Config(lam=0.48, sigma=5.0, eta=0.2, optimizer="adam")  # no GD bound for Adam
    with pytest.raises(ValueError, match="seeds must be at least 1"):
        sep.simulate(sep.Config(d=4, n_train=10), times=[0, 1], seeds=0)


def test_conformal_time_bias_run_follows_the_no_bias_flow_of_G():
    """Claim 7 (Eq. 8): with the exponential loss, S of the run with bias at conformal time τ
    equals S of the no-bias run (GD on G(S) = (1/N)Σe^{Sᵀx}) at time τ: exactly for gradient
    flow, to O(η) for GD (halving η at fixed ηt halves the difference)."""
    base = sep.Config(d=12, n_train=40, sigma=2.0, loss="exponential", eta=0.02, b0=0.0)
    t_flow = np.array([0.0, 1.0, 10.0, 100.0, 1000.0, 5000.0]) / base.eta
    with_bias = sep.simulate(base, t_flow, seeds=[3], method="flow")
    tau = with_bias["tau"].values[0]
    assert np.all(np.diff(tau) > 0) and tau[-1] < t_flow[-1]  # b < 0 slows conformal time
    no_bias = sep.simulate(base.replace(fit_bias=False), tau, seeds=[3], method="flow")
    np.testing.assert_allclose(no_bias["bias"].values, 0.0)
    np.testing.assert_allclose(with_bias["norm_S"].values, no_bias["norm_S"].values, rtol=1e-6)
    errs = []
    for eta in (0.02, 0.01):
        cfg = base.replace(eta=eta)
        steps = np.round(np.array([0.0, 0.5, 1.0, 2.0, 4.0]) / eta).astype(np.int64)
        gd = sep.simulate(cfg, steps, seeds=[3])
        ref = sep.simulate(cfg.replace(fit_bias=False), gd["tau"].values[0], seeds=[3],
                           method="flow")
        errs.append(np.max(np.abs(gd["norm_S"].values - ref["norm_S"].values)))
    assert errs[1] > 1e-6, errs  # GD is not the flow: the comparison can fail
    assert errs[0] / errs[1] == pytest.approx(2.0, abs=0.4), errs
