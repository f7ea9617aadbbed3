"""Figs. 1, 2, 4, 10, 11–12, 13 and 14 of Beck, Bar-Sinai, Levi 2026
(:mod:`groklab.figures.beck2026.geometry`): reproduce (quick; full with --runslow), the files
exist, the data round-trip through the store, and every claim passes (a claim that does not
reproduce is a strict xfail with its numbers)."""

from __future__ import annotations

import pytest
from figure_checks import reproduce_and_check

from groklab.figures import get_figure

FIG2_XFAIL = pytest.mark.xfail(strict=True, reason=(
    "§4 note: cos(S_min, e₁) is not flat in α > 0 for the heaviest tails at the quick size "
    "(ν = 2.1: spread 0.059 > 0.05 at d = 100, N = 150); the LDA limit and ‖S‖ claims hold, "
    "and at the paper's d = 1000, N = 1500 the spread is 0.013, so the full variant passes"
))
IDS = [f"beck2026/fig{n}" for n in (1, 2, 4, 10, 11, 13, 14)]
QUICK_IDS = [pytest.param(i, marks=FIG2_XFAIL) if i == "beck2026/fig2" else i for i in IDS]


def test_registered():
    for fig_id in IDS:
        assert get_figure(fig_id).paper.startswith("Beck, Bar-Sinai, Levi 2026")
    assert get_figure("beck2026/fig11").number == "11–12"


@pytest.mark.parametrize("fig_id", QUICK_IDS)
def test_quick(fig_id, tmp_path):
    reproduce_and_check(fig_id, True, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("fig_id", IDS)
def test_full(fig_id, tmp_path):
    reproduce_and_check(fig_id, False, tmp_path)
