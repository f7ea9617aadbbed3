"""predict of the logit-reg model against long GD runs of simulate on the same seed; user
penalties through the Config; multi-class predict (spec §1.4, §2.2, §3.3)."""

from __future__ import annotations

import numpy as np
import pytest

from groklab.models import logit_reg as m
from groklab.theory import logit_reg as th


def _end(ds, name):
    return float(ds[name].isel(seed=0).values[-1])


def test_binary_predict_matches_converged_gd():
    cfg = m.Config(d=30, lam=0.5, sigma_f=0.5, alpha=0.3, t_max=40_000)
    s = m.predict(cfg).attrs["summary"]
    sim = m.simulate(cfg, times=[0, cfg.t_max], seeds=[cfg.seed])
    assert _end(sim, "acc_gen") == pytest.approx(s["acc_gen_limit"], abs=1e-8)
    assert _end(sim, "cos_theta1") == pytest.approx(s["alignment"], abs=1e-8)


@pytest.fixture
def quartic():
    """A convex even user penalty f = z² + log(2cosh z) (f″ ≤ 3, so η = 0.1 is stable)."""
    import jax.numpy as jnp

    name = "square-logcosh-test"
    yield th.register_penalty(name, lambda z: z**2 + jnp.logaddexp(z, -z))
    th.PENALTIES.pop(name, None)


def test_user_penalty_through_config(quartic):
    cfg = m.Config(d=20, lam=0.5, alpha=0.2, penalty=quartic.name, t_max=20_000)
    assert cfg.eta_bound > cfg.eta  # sup f″ of the registration grid
    Xp = np.asarray(m.sample(cfg)["Xp"])
    res = th.minimize(Xp, cfg.alpha, quartic.name)
    sim = m.simulate(cfg, times=[0, cfg.t_max], seeds=[cfg.seed])
    assert _end(sim, "norm_S") == pytest.approx(np.linalg.norm(res.S), rel=1e-8)
    s = m.predict(cfg).attrs["summary"]
    assert s["z_star"] == pytest.approx(th.z_star(0.2, quartic.name))
    with pytest.raises(ValueError, match="binary only"):
        m.Config(n_classes=3, d=20, penalty=quartic.name)
    with pytest.raises(ValueError, match="register_penalty"):
        m.Config(penalty="not-registered")


def test_multiclass_predict_matches_simulate():
    cfg = m.Config(d=24, n_train=80, n_classes=4, sigma_f=0.3, alpha=0.2, n_pop_mc=40_000,
                   t_max=40_000)
    ds = m.predict(cfg)
    s = ds.attrs["summary"]
    assert s["z_star"]["q_high"] + 3 * s["z_star"]["q_low"] == pytest.approx(0, abs=1e-12)
    assert s["lambda_c"] is None and 0 < s["alignment"] <= 1
    sim = m.simulate(cfg, times=[0, cfg.t_max], seeds=[cfg.seed])
    assert _end(sim, "norm_W") == pytest.approx(float(ds["norm_W"][0]), rel=1e-6)
    assert _end(sim, "loss_train") == pytest.approx(float(ds["loss_train"][0]), rel=1e-9)
    se = np.hypot(s["acc_gen_limit_se"], _end(sim, "acc_gen_se"))
    assert abs(_end(sim, "acc_gen") - s["acc_gen_limit"]) < 5 * se + 1e-12


def test_multiclass_sigma_f_zero_is_prop_d2():
    s = m.predict(m.Config(d=20, n_train=60, n_classes=3, sigma_f=0.0, alpha=0.2,
                           n_pop_mc=3000)).attrs["summary"]
    assert s["lambda_c"] == 1.0 and s["acc_gen_limit"] == 1.0
    assert s["alignment"] == pytest.approx(1.0, abs=1e-9)
