"""Fig. 19 of Beck, Bar-Sinai, Levi 2026 (invariance to orthogonal noise): reproduce (quick;
full with --runslow), the files exist and every claim passes."""

from __future__ import annotations

import pytest
from figure_checks import reproduce_and_check


def test_quick(tmp_path):
    ds = reproduce_and_check("beck2026/fig19", True, tmp_path)
    assert ds.sizes["sigma_n"] >= 10


@pytest.mark.slow
def test_full(tmp_path):
    reproduce_and_check("beck2026/fig19", False, tmp_path)
