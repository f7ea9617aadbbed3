"""Marchenko–Pastur theory vs finite-d simulation of the linear teacher (spec §9 claims 14–16,
19–21) and the agreement of ``predict`` and ``simulate`` on one schema.

Tolerance (STYLE.md tier T3): |mean − theory| < 4·stderr + c/√d_in, with the standard error of
the seed mean measured from the seeds themselves, and c = 1 in relative terms (finite-d
corrections to MP averages are O(1/√d_in) at the times compared). A factor-2 error in the theory
would exceed these bounds by an order of magnitude.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from groklab.models import linear_teacher as lt

D_IN = 400
SEEDS = list(range(6))


def _agreement(cfg, times):
    sim = lt.simulate(cfg, times=times, seeds=SEEDS)
    th = lt.predict(cfg, times=times)
    return sim, th


def _check_close(sim_values, theory_values, what):
    mean = sim_values.mean(0)
    stderr = sim_values.std(0, ddof=1) / math.sqrt(sim_values.shape[0])
    bound = 4 * stderr + theory_values / math.sqrt(D_IN)
    bad = np.abs(mean - theory_values) > bound
    assert not bad.any(), (
        f"{what}: theory {theory_values[bad]} vs simulation {mean[bad]} ± {stderr[bad]}"
    )


@pytest.mark.parametrize("lam", [0.3, 0.9, 1.5])
def test_mp_losses_match_simulation(lam):
    # Times where the MP curves hold: before the sample's smallest eigenvalue takes over
    # (spec §2.5), i.e. 4η·t·λ₋ up to a few units.
    cfg = lt.Config(d_in=D_IN, lam=lam, n_gen=256)
    lam_minus = (1 - math.sqrt(cfg.lam_realized)) ** 2
    t_end = min(3 / (4 * cfg.eta * max(lam_minus, 1e-3)), 3e4)
    times = np.unique(np.round(np.logspace(0, math.log10(t_end), 12)).astype(int))
    times = np.r_[0, times]
    cfg = cfg.replace(lam=None, n_train=cfg.n_train_eff)  # theory at the realized λ
    sim, th = _agreement(cfg, times)
    for key in ("loss_train", "loss_gen"):
        _check_close(sim[key].values, th[key].values, f"{key} at λ={lam}")


def test_lambda_above_one_plateau_and_no_grokking():
    """λ = 1.5: L_tr → 0, L_gen → 1 − 1/λ = 1/3 (claim 15); acc_gen never reaches 0.95."""
    cfg = lt.Config(d_in=D_IN, n_train=round(D_IN / 1.5), n_gen=512, t_max=10**6)
    times = np.array([0, 10**3, 10**5, 10**6])
    sim, th = _agreement(cfg, times)
    plateau = 1 - 1 / cfg.lam_realized
    assert th["loss_gen"].values[-1] == pytest.approx(plateau, rel=1e-6)
    _check_close(sim["loss_gen"].values[:, -1:], np.array([plateau]), "λ>1 plateau")
    assert sim["loss_train"].values[:, -1].max() < 1e-6
    assert all(g["t_gen"] is None for g in sim.attrs["grokking"])
    assert th.attrs["grokking"]["never_reached"] == ["t_gen"]
    assert any("never" in a.lower() for a in th.attrs["advice"])


@pytest.mark.parametrize("gamma", [1e-3, 3e-2])
def test_weight_decay_curves_and_plateau_match_simulation(gamma):
    """Eq. 15 vs simulation with weight decay, up to the plateau (claims 19, 20)."""
    cfg = lt.Config(d_in=D_IN, n_train=round(D_IN / 0.7), gamma=gamma, n_gen=256)
    times = np.r_[0, np.unique(np.round(np.logspace(0, 6, 14)).astype(int))]
    sim, th = _agreement(cfg, times)
    for key in ("loss_train", "loss_gen"):
        _check_close(sim[key].values, th[key].values, f"{key} at γ={gamma}")
    tr_inf, gen_inf = lt.loss_plateaus(cfg)
    assert th["loss_gen"].values[-1] == pytest.approx(gen_inf, rel=1e-3)
    assert th["loss_train"].values[-1] == pytest.approx(tr_inf, rel=1e-3)


@pytest.mark.parametrize("gamma", [1e-5, 1e-3, 1e-2])
def test_grokking_classification_agrees(gamma):
    """For the Fig. 3 γ values, theory and simulation agree on grokking vs not (claim 21)."""
    cfg = lt.Config(d_in=D_IN, n_train=round(D_IN / 0.9), gamma=gamma, n_gen=2000, t_max=10**7)
    times = np.r_[0, np.unique(np.round(np.logspace(0, 7, 120)).astype(int))]
    sim, th = _agreement(cfg, times)
    theory_groks = th.attrs["grokking"]["t_gen"] is not None
    sim_groks = [g["t_gen"] is not None for g in sim.attrs["grokking"]]
    assert all(s == theory_groks for s in sim_groks), (gamma, theory_groks, sim_groks)


def test_predict_and_simulate_share_schema_and_agree_at_t0():
    cfg = lt.Config(d_in=D_IN, lam=0.5, n_gen=256)
    times = np.array([0, 1, 10])
    sim, th = _agreement(cfg, times)
    assert set(th.data_vars) <= set(sim.data_vars)
    for key in ("loss_train", "loss_gen"):
        # L(0) = E‖D₀‖² = 1 per output (spec §1.1); scatter of ‖D₀‖² is √(2/d_in).
        assert sim[key].values[:, 0].mean() == pytest.approx(th[key].values[0], rel=0.15)
    assert th.attrs["time_unit"] == sim.attrs["time_unit"] == "steps"


def test_theory_grokking_times_match_simulated_crossings():
    """The exact MP t* agrees with the simulated accuracy crossings at d_in = 400 (within the
    seed scatter plus the 1/√d_in finite-size allowance in log-time)."""
    cfg = lt.Config(d_in=D_IN, n_train=round(D_IN / 0.5), eps=1e-3, threshold="erf2",
                    n_gen=4000)
    times = np.r_[0, np.unique(np.round(np.logspace(0, 5, 200)).astype(int))]
    sim, th = _agreement(cfg, times)
    for key in ("t_train", "t_gen"):
        sim_t = np.array([g[key] for g in sim.attrs["grokking"]])
        theory_t = th.attrs["grokking"][key]
        spread = np.log(sim_t).std(ddof=1) / math.sqrt(len(sim_t))
        assert abs(np.log(sim_t).mean() - math.log(theory_t)) < 4 * spread + 1 / math.sqrt(D_IN)
