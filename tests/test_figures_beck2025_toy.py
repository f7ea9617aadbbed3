"""Figs. 8 and 9 of Beck, Levi, Bar-Sinai 2025 (1-D toy): reproduce, files exist, claims pass."""

from __future__ import annotations

import json

import pytest

from groklab.figures import figure_ids, figure_paths, reproduce

IDS = ["beck2025/fig8", "beck2025/fig9"]


def _check(fig_id: str, quick: bool, tmp_path) -> None:
    record = reproduce(fig_id, quick=quick, out_dir=tmp_path)
    paths = figure_paths(fig_id, tmp_path)
    for key in ("png", "pdf", "data", "claims"):
        assert paths[key].exists() and paths[key].stat().st_size > 0, key
    assert json.loads(paths["claims"].read_text())["figure"] == fig_id
    assert record["claims"], "no claims"
    failed = [c for c in record["claims"] if not c["passed"]]
    assert not failed, json.dumps(failed, indent=1, ensure_ascii=False)


def test_registered():
    assert set(IDS) <= set(figure_ids())


@pytest.mark.parametrize("fig_id", IDS)
def test_quick(fig_id, tmp_path):
    _check(fig_id, True, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("fig_id", IDS)
def test_full(fig_id, tmp_path):
    _check(fig_id, False, tmp_path)
