"""Figs. 7, 8 and 9 of Žunkovič & Ilievski 2024 (uniform-ball model): reproduce (quick; full with
--runslow), the files exist and every claim passes."""

from __future__ import annotations

import pytest
from figure_checks import reproduce_and_check

IDS = ["zunkovic2024/fig7", "zunkovic2024/fig8", "zunkovic2024/fig9"]


@pytest.mark.parametrize("fig_id", IDS)
def test_quick(fig_id, tmp_path):
    ds = reproduce_and_check(fig_id, True, tmp_path)
    if fig_id.endswith("fig7"):
        assert ds.sizes["set"] == 2 and ds.sizes["t"] > 100
    elif fig_id.endswith("fig8"):
        assert ds.sizes["x_D"] >= 20 and ds.attrs["n_sets"] >= 5000
    else:
        assert ds.sizes["vary"] == 3 and ds.attrs["n_mc"] >= 4000


@pytest.mark.slow
@pytest.mark.parametrize("fig_id", IDS)
def test_full(fig_id, tmp_path):
    reproduce_and_check(fig_id, False, tmp_path)
