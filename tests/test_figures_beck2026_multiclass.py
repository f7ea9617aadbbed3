"""Figs. 7 and 8 of Beck, Bar-Sinai, Levi 2026 (multi-class): reproduce (quick; full with
--runslow), the files exist and every claim passes (a claim that does not reproduce at the quick
sizes is a strict xfail with its numbers)."""

from __future__ import annotations

import pytest
from figure_checks import reproduce_and_check

FIG8_QUICK_XFAIL = pytest.mark.xfail(strict=True, reason=(
    "at the quick sizes (K = 5, d = 140, N = 200) the test loss falls monotonically from its "
    "W = 0 value log K·(1 − α): 1.531 at epoch 1, no rise before it falls to 0.47"
))


@pytest.mark.parametrize("fig_id", ["beck2026/fig7",
                                    pytest.param("beck2026/fig8", marks=FIG8_QUICK_XFAIL)])
def test_quick(fig_id, tmp_path):
    reproduce_and_check(fig_id, True, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("fig_id", ["beck2026/fig7", "beck2026/fig8"])
def test_full(fig_id, tmp_path):
    reproduce_and_check(fig_id, False, tmp_path)
