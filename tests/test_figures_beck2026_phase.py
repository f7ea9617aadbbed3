"""Figures of Beck, Bar-Sinai, Levi 2026 on grokking and the benefit phase diagram
(``beck2026/fig5``, ``grok-vs-alpha``, ``fig6``, ``fig15``): reproduce (quick; full with
--runslow), the files exist, the data round-trip through the store, and every claim passes
(a claim that does not reproduce would be a strict xfail with its numbers)."""

from __future__ import annotations

import numpy as np
import pytest
from figure_checks import reproduce_and_check

from groklab.figures.beck2026.grokking import fit_laws
from groklab.figures.beck2026.phase import benefit_root

IDS = ["beck2026/grok-vs-alpha", "beck2026/fig5", "beck2026/fig6", "beck2026/fig15"]


@pytest.mark.parametrize("fig_id", IDS)
def test_quick(fig_id, tmp_path):
    ds = reproduce_and_check(fig_id, True, tmp_path)
    if fig_id == "beck2026/grok-vs-alpha":
        lo, hi = ds.attrs["exponent_ci95"]
        assert lo <= ds.attrs["exponent"] <= hi < 0
        assert ds.sizes["seed"] >= 4 and ds.sizes["alpha"] >= 7
    if fig_id == "beck2026/fig6":
        assert ds.attrs["diagram_wall_s"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("fig_id", IDS)
def test_full(fig_id, tmp_path):
    reproduce_and_check(fig_id, False, tmp_path)


def test_fit_laws_recovers_an_exact_power_law():
    a = np.logspace(-3, -1, 7)
    fit = fit_laws(a, np.log(5.0 * a**-0.7))
    assert fit["p"] == pytest.approx(-0.7)
    assert fit["rms_log10"]["power"] < 1e-12


def test_benefit_root_interpolates_in_log_sigma_n():
    sn = np.array([0.1, 1.0, 10.0])
    assert benefit_root(sn, np.array([-1.0, -1.0, 1.0])) == pytest.approx(np.sqrt(10.0))
    assert np.isnan(benefit_root(sn, np.array([1.0, 1.0, 1.0])))
