"""Figs. 19 and 20 of Beck, Bar-Sinai, Levi 2026 (invariance to orthogonal noise): reproduce
(quick; full with --runslow), the files exist and every claim passes."""

from __future__ import annotations

import pytest
from figure_checks import reproduce_and_check

IDS = ["beck2026/fig19", "beck2026/fig20"]


@pytest.mark.parametrize("fig_id", IDS)
def test_quick(fig_id, tmp_path):
    ds = reproduce_and_check(fig_id, True, tmp_path)
    assert ds.sizes["sigma_n" if fig_id.endswith("19") else "sigma_f"] >= 10


@pytest.mark.slow
@pytest.mark.parametrize("fig_id", IDS)
def test_full(fig_id, tmp_path):
    reproduce_and_check(fig_id, False, tmp_path)
