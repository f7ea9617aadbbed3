"""jules2023 figures (groklab's protocol, spec §4): reproduce (quick; full with --runslow), the
files exist and every claim passes; a claim that does not reproduce is a strict xfail with its
numbers. F1–F3 and F5 share one cached quick ensemble (P = 433, N = 32, 4 temperatures)."""

from __future__ import annotations

import numpy as np
import pytest
from figure_checks import reproduce_and_check


def test_f0_quick(tmp_path):
    ds = reproduce_and_check("jules2023/f0", True, tmp_path)
    assert ds.sizes["eta_k_max"] >= 5 and ds.sizes["T"] == 3


@pytest.mark.slow
def test_f0_full(tmp_path):
    reproduce_and_check("jules2023/f0", False, tmp_path)


def test_ensemble_summary_matches_direct_estimates():
    """The shared ensemble's estimators and N_b against direct NumPy formulas (§2.5, §2.7)."""
    from groklab.figures.jules2023._ensemble import ensemble, summary

    ds = ensemble(True)
    s = summary(ds)
    N = ds.attrs["n_train"]
    for j, T in enumerate(ds["T"].values):
        L = ds["loss_train"].values[0, j]
        assert s["D_mean"][0, j] == pytest.approx(2 * L.mean() / T, rel=1e-12)
        assert s["D_var"][0, j] == pytest.approx(2 * L.var(ddof=1) / T**2, rel=1e-12)
        ell = ds["ell"].values[0, j]
        np.testing.assert_allclose(ell.mean(-1), L, rtol=1e-12)
        assert s["n_b"][0, j] == pytest.approx(np.mean(np.sum(ell >= 0.1 * N * T, -1)))
    # the curvature snapshots are positive and the step respects the EM bound
    assert (ds["snap_trace_gn"].values > 0).all()
    assert (ds["eta"].values * ds["snap_lambda_1"].values.max(-1) < 2).all()


@pytest.mark.xfail(strict=True, reason="quick F1: burn-in rule unmet after 4000 steps at all 4 T (4|β|/s = 0.58, 0.42, 0.76, 0.21 > 0.1); production two-halves z_L = -4.1, -3.7, -2.1 at T = 3e-5, 1e-4, 3e-4 (only T = 1e-3 stationary): L keeps creeping down while ‖θ‖² grows (improper measure)")  # noqa: E501
def test_f1_quick(tmp_path):
    reproduce_and_check("jules2023/f1", True, tmp_path)


def test_f2_quick(tmp_path):
    ds = reproduce_and_check("jules2023/f2", True, tmp_path)
    assert ds.sizes["T"] == 4 and ds["hist"].shape[1] == 40


@pytest.mark.xfail(strict=True, reason="quick F3: D_mean, D_var, D_ratio = 12.6, 8.5, 18.9 at the only stationary low-loss T = 1e-3 (spread 124 % > 20 %); they agree within 5 % at T = 1e-4, 3e-4 (D ≈ 14-17, N_b ≈ 11-14) but those fail the drift test")  # noqa: E501
def test_f3_quick(tmp_path):
    reproduce_and_check("jules2023/f3", True, tmp_path)


def test_f5_quick(tmp_path):
    ds = reproduce_and_check("jules2023/f5", True, tmp_path)
    # independent: the harmonic reference is the dense spectrum at θ0
    from groklab.figures.jules2023._ensemble import ensemble

    eigs = ensemble(True)["H0_eigs"].values[0]
    assert float(ds["H0_lambda_1"][0]) == pytest.approx(eigs.max())


@pytest.mark.xfail(strict=True, reason="quick F7: D(T) flatness untestable, only T = 1e-3 is low-loss and stationary (needs 2); over all low-loss T, d ln D_var/d ln T = -0.33 (D_ratio: +0.05); tr H_GN/T slope -0.13 passes")  # noqa: E501
def test_f7_quick(tmp_path):
    reproduce_and_check("jules2023/f7", True, tmp_path)


def test_f7_toy_lines_are_the_toy_formulas():
    """Independent check of F7's black lines: the entropic toy's D is 2αD_b at every T and the
    energetic toy's D·T is constant (§3.4)."""
    from groklab.figures.jules2023.toy import compute_f7

    ds = compute_f7(True)
    a, Db = ds.attrs["alpha_fit"], ds.attrs["D_b"]
    np.testing.assert_allclose(ds["D_entropic"].values, 2 * a * Db, rtol=1e-12)
    DT = ds["D_energetic"].values * ds["T"].values
    np.testing.assert_allclose(DT, 2 * ds.attrs["b_fit"] * Db, rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("fig", ["f1", "f2", "f3", "f5", "f7"])
def test_full(fig, tmp_path):
    reproduce_and_check(f"jules2023/{fig}", False, tmp_path)
