"""jules2023/f0 (groklab's method-validation figure, spec §4 F0): reproduce (quick; full with
--runslow), the files exist and every claim passes."""

from __future__ import annotations

import pytest
from figure_checks import reproduce_and_check


def test_f0_quick(tmp_path):
    ds = reproduce_and_check("jules2023/f0", True, tmp_path)
    assert ds.sizes["eta_k_max"] >= 5 and ds.sizes["T"] == 3


@pytest.mark.slow
def test_f0_full(tmp_path):
    reproduce_and_check("jules2023/f0", False, tmp_path)
