"""jules2023 figures (groklab's protocol, spec §4): reproduce (quick; full with --runslow), the
files exist and every claim passes; a claim that does not reproduce is a strict xfail with its
numbers. F1–F3, F5–F8 and the F3 robustness checks share one cached quick ensemble (P = 433,
N = 32, 4 temperatures); F4 runs its own light ensembles over N."""

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


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="quick F1: burn-in rule unmet after 4000 steps at all 4 T (4|β|/s = 0.58, 0.42, 0.76, 0.21 > 0.1); production (η halved at T ≤ 3e-4 by the step check) two-halves z_L = 0.7, -4.6, -6.2, 0.03 and z_N_b = -2.2, -4.2, -5.7, 0.4 at T = 3e-5 … 1e-3 (only T = 1e-3 stationary): L keeps creeping down while ‖θ‖² grows (improper measure)")  # noqa: E501
def test_f1_quick(tmp_path):
    reproduce_and_check("jules2023/f1", True, tmp_path)


def test_f2_quick(tmp_path):
    ds = reproduce_and_check("jules2023/f2", True, tmp_path)
    assert ds.sizes["T"] == 4 and ds["hist"].shape[1] == 40


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="quick F3: D_mean, D_var, D_ratio = 12.6, 8.5, 18.9 at the only stationary low-loss T = 1e-3 (spread 124 % > 20 %); spread 47 % and 14 % at T = 1e-4, 3e-4 (D ≈ 14-21, N_b ≈ 12-13), which fail the drift test; D_var/P < 0.05 holds")  # noqa: E501
def test_f3_quick(tmp_path):
    reproduce_and_check("jules2023/f3", True, tmp_path)


def test_f5_quick(tmp_path):
    ds = reproduce_and_check("jules2023/f5", True, tmp_path)
    # independent: the harmonic reference is the dense spectrum at θ0
    from groklab.figures.jules2023._ensemble import ensemble

    eigs = ensemble(True)["H0_eigs"].values[0]
    assert float(ds["H0_lambda_1"][0]) == pytest.approx(eigs.max())


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="quick F7: D(T) flatness untestable, only T = 1e-3 is low-loss and stationary (needs 2); over all low-loss T, d ln D_var/d ln T = -0.21 (D_ratio: -0.14); tr H_GN/T slope -0.14 passes")  # noqa: E501
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


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="quick F4 (LG-B): over the 17 low-loss stationary points of N = 16…48 × 3 seeds × T = 3e-4, 1e-3 (13 of 30 fail the drift test), the linear fit of D_var on N_b(0.1) has R² = 0.39 < 0.8, slope 0.70 (all 30 low-loss points: R² = 0.49, slope 0.78; toy: 1.53 per unit N_b(0.1)); D_var and N_b both grow with N but scatter over seeds and T")  # noqa: E501
def test_f4_quick(tmp_path):
    reproduce_and_check("jules2023/f4", True, tmp_path)


def test_f4_points_and_toy_line():
    """F4's data: 5 N × 3 seeds × 2 T, N_b within [0, N], the toy slope 2α/Q(α, c) of §2.7."""
    from scipy.special import erfc

    from groklab.figures.jules2023.scaling import compute_f4

    ds = compute_f4(True)
    assert ds.sizes["run"] == 5 and ds.sizes["seed"] == 3 and ds.sizes["T"] == 2
    N = ds["N"].values[:, None, None]
    assert ((ds["n_b"].values >= 0) & (ds["n_b"].values <= N)).all()
    assert ds.attrs["toy_slope"] == pytest.approx(1 / erfc(np.sqrt(0.1)), rel=1e-12)


def test_f8_quick(tmp_path):
    ds = reproduce_and_check("jules2023/f8", True, tmp_path)
    from groklab.figures.jules2023._ensemble import ensemble

    ens = ensemble(True)
    # per-point time averages add up to the recorded mean loss (§2.7: L = (1/N) Σ_i ℓ_i)
    np.testing.assert_allclose(ds["ell_mean"].values.mean(-1),
                               ens["loss_train"].values.mean(axis=(2, 3)), rtol=1e-12)
    # the per-point Gauss–Newton weights of the chain whose curvature F5 measured average to
    # that snapshot's tr H_GN (checks the snapshot/chain indexing)
    gp, n_ch = ens["snap_gn_point"].values, ens.sizes["chain"]
    for k in range(ens.sizes["snap"]):
        np.testing.assert_allclose(gp[:, :, k, k % n_ch].mean(-1),
                                   ens["snap_trace_gn"].values[:, :, k], rtol=1e-10)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="quick F6: LG-C holds (D_var ≈ 8-21 vs n_+ = 313, 260, 54; spread along top-10 H0 modes off by a median factor 1.5-4.4; λ_1(H0) changes 97× from L = 1e-2 to 1e-4 while the sampled λ_1 at T = 3e-4 changes 0.67×), but the depth check fails: D_var at T = 3e-4 = 20.6 ± 2.8 (start at L = 1e-2) vs 13.6 ± 2.1 (θ0 at 1e-4), z = 2.0 < 3, yet both runs non-stationary")  # noqa: E501
def test_f6_quick(tmp_path):
    reproduce_and_check("jules2023/f6", True, tmp_path)


def test_f6_harmonic_side_is_the_dense_h0_spectrum():
    """Independent: n_+ counts and the EM spread T/(k(1 − ηk/2)) from the dense H0 eigenvalues."""
    from groklab.figures.jules2023._ensemble import ensemble
    from groklab.figures.jules2023.harmonic import compute_f6

    ds, ens = compute_f6(True), ensemble(True)
    eigs = np.sort(ens["H0_eigs"].values[0])[::-1]
    for r in ds["k_th"].values:
        assert int(ds["n_plus"].sel(k_th=r)[0]) == int(np.sum(eigs > r * eigs[0]))
    k = eigs[: ds.sizes["mode"]]
    for j, T in enumerate(ds["T"].values):
        eta = float(ens["eta"].values[0, j])
        np.testing.assert_allclose(ds["spread_pred"].values[0, j], T / (k * (1 - eta * k / 2)),
                                   rtol=1e-12)
        proj = ens["proj"].values[0, j]  # (chain, t, mode)
        np.testing.assert_allclose(ds["spread_meas"].values[0, j],
                                   proj.reshape(-1, proj.shape[-1]).var(0, ddof=1), rtol=1e-10)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason="quick F3 robustness: the step check fired (η halved once at T = 3e-5, 1e-4, 3e-4; afterwards η·λ_1 ≤ 0.1) and L0 holds at the only used T = 1e-3 (D_mean −1.6 %, D_ratio −3.1 %; at T = 3e-5: −28 %, −49 %); η vs η/2 agree within 3 SE at T = 3e-5, 3e-4, 1e-3 (max z 2.97) but the runs are stationary only at (η, 1e-3) and (η/2, 3e-4)")  # noqa: E501
def test_robustness_quick(tmp_path):
    reproduce_and_check("jules2023/f3-robustness", True, tmp_path)


def test_robustness_l0_shift_and_half_step_are_exact():
    """On the ensemble data: D_mean(L0 = 0) − D_mean(L0 = L(θ0)) = 2L(θ0)/T exactly, D_var
    unchanged (§2.4); the repeated runs used exactly η/2 of the production step (§2.2)."""
    from groklab.figures.jules2023.robustness import compute_robustness

    ds = compute_robustness(True)
    L0, T = float(ds["L_theta0"][0]), ds["T"].values
    np.testing.assert_allclose(ds["L0_D_mean"].values[0] - ds["L0_D_mean_L0"].values[0],
                               2 * L0 / T, rtol=1e-9)
    np.testing.assert_array_equal(ds["L0_D_var"].values, ds["L0_D_var_L0"].values)
    js = [list(T).index(t) for t in ds["T_check"].values]
    np.testing.assert_allclose(ds["eta_half"].values, ds["eta"].values[:, js] / 2, rtol=1e-15)
    assert len(js) == 3 and js[0] == 0 and js[-1] == len(T) - 1


@pytest.mark.slow
@pytest.mark.parametrize("fig", ["f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8",
                                 "f3-robustness"])
def test_full(fig, tmp_path):
    reproduce_and_check(f"jules2023/{fig}", False, tmp_path)
