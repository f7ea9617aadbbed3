"""Figs. 3, 4 and 5 of Žunkovič & Ilievski 2024 (1-D exponential model): reproduce (quick; full
with --runslow), the files exist and every claim passes."""

from __future__ import annotations

import pytest
from figure_checks import reproduce_and_check

IDS = ["zunkovic2024/fig3", "zunkovic2024/fig4", "zunkovic2024/fig5"]


@pytest.mark.parametrize("fig_id", IDS)
def test_quick(fig_id, tmp_path):
    ds = reproduce_and_check(fig_id, True, tmp_path)
    if fig_id.endswith("3"):
        assert ds.sizes["panel"] == 2 and float(ds["t"].max()) == 5.0
    elif fig_id.endswith("4"):
        assert list(ds["N"].values) == [2, 5, 10] and float(ds["eps_lam"].max()) == 1.0
    else:
        assert list(ds["eps_lam"].values) == [0.4, 0.04, 0.004]
        assert (ds["count_mc"].values > 1000).all()


@pytest.mark.slow
@pytest.mark.parametrize("fig_id", IDS)
def test_full(fig_id, tmp_path):
    reproduce_and_check(fig_id, False, tmp_path)
