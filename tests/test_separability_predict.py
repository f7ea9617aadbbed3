"""``separability.predict``: the ensemble and per-draw theory against independent computations
(LP separability, Wendel, adaptive quadrature) and against the simulated dynamics at late times
(the paper's Fig. 1 "long-time prediction": S frozen at S_∞, bias by gradient flow)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import log_expit

from groklab.models import separability as sp
from groklab.theory import separability as th


@pytest.mark.parametrize("lam", [0.3, 0.6])
def test_summary_matches_lp_and_wendel(lam):
    cfg = sp.Config(d=30, lam=lam, sigma=5, t_max=10**4)
    ds = sp.predict(cfg)
    summary = ds.attrs["summary"]
    X = np.asarray(sp.sample(cfg)["X"])
    assert summary["separable"] == th.is_separable(X)
    n, d = X.shape
    # Wendel, Eq. 12, summed directly: p = 2^{-(N-1)} Σ_{k<d} C(N-1, k)
    direct = sum(math.comb(n - 1, k) for k in range(d)) / 2 ** (n - 1)
    assert summary["p_separable"] == pytest.approx(direct, rel=1e-12)
    if summary["separable"]:
        assert summary["margin"] > 0 and summary["S_inf"] is None
        assert summary["acc_gen_limit"] == pytest.approx(
            0.5 * (1 + math.erf(1 / (math.sqrt(2) * cfg.sigma * summary["margin"])))
        )
    else:
        assert summary["margin"] is None and summary["acc_gen_limit"] == 1.0
        assert summary["S_inf"] > 0
    assert summary["grok_delay"] is None


def test_long_time_prediction_matches_simulation_at_late_times():
    """Inseparable draw (λ = 0.3): S(t) → S_∞ and b(t) → −log(ηG_∞t), so the frozen-S curves
    and GD agree once S has converged. Measured relative gaps at t = 10⁵: bias 6e-5, losses
    2e-3; the bounds (1 %) would catch any factor-2 error in the asymptotic theory."""
    cfg = sp.Config(d=40, lam=0.3, sigma=5, t_max=10**5)
    t = np.array([0, 10**3, 10**4, 10**5])
    sim = sp.simulate(cfg, times=t, seeds=[0])
    pred = sp.predict(cfg, times=t)
    assert not pred.attrs["summary"]["separable"]
    for key in ("bias", "loss_train", "loss_gen"):
        late_sim, late_pred = sim[key].values[0, -1], pred[key].values[-1]
        assert late_pred == pytest.approx(late_sim, rel=1e-2), key
    assert sim["norm_S"].values[0, -1] == pytest.approx(pred["norm_S"].values[-1], rel=1e-2)
    assert pred.attrs["grokking"]["t_gen"] > pred.attrs["grokking"]["t_train"] > 0


@pytest.mark.parametrize("a", [0.3, 1.5, 2.5, 20.0])
def test_population_loss_matches_adaptive_quadrature(a):
    b = np.array([3.0, 0.0, -2.0, -25.0, -200.0])
    got = sp._population_loss(a, b, "logistic")
    ref = np.array([
        integrate.quad(lambda y, bb=bb: -log_expit(-(a * y + bb)) * math.exp(-y * y / 2),
                       -np.inf, np.inf, epsabs=0, epsrel=1e-12, limit=400)[0]
        for bb in b
    ]) / math.sqrt(2 * math.pi)
    assert got == pytest.approx(ref, rel=1e-9)
    assert sp._population_loss(a, b, "exponential") == pytest.approx(np.exp(b + a * a / 2))


def test_separable_draw_has_no_curves_and_says_why():
    cfg = sp.Config(d=60, lam=0.7, sigma=5, t_max=10**4)
    ds = sp.predict(cfg)
    assert ds.attrs["summary"]["separable"]
    assert "loss_gen" not in ds
    grok = ds.attrs["grokking"]
    assert grok["t_gen"] is None and "separable draw" in grok["message"]
    assert any("memorizes" in line for line in ds.attrs["advice"])
