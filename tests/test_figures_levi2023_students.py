"""Quick variant of Fig. 5 (two-layer students) of Levi et al. 2023: files and claims."""

from __future__ import annotations

import json

import pytest

import groklab.figures.levi2023.students  # noqa: F401  (registers levi2023/fig5)
from groklab.figures import figure_paths, reproduce
from groklab.store import load

FIG = "levi2023/fig5"


@pytest.fixture(scope="module")
def fig5(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig5")
    return out, reproduce(FIG, quick=True, out_dir=out)


def test_files_exist(fig5):
    out, record = fig5
    paths = figure_paths(FIG, out)
    for key in ("png", "pdf", "data", "claims"):
        assert paths[key].exists() and paths[key].stat().st_size > 0, key
    assert json.loads(paths["claims"].read_text())["figure"] == FIG
    ds = load(paths["data"])
    assert set(ds["student"].values) == {"deep-linear", "tanh"}
    assert ds.attrs["variant_parameters"]["d_out"] == 2  # quick parameters are recorded
    assert ds["loss_gen"].dims == ("student", "d_h", "seed", "t")


def test_quick_runtime(fig5):
    assert fig5[1]["seconds"] < 60


@pytest.mark.parametrize("index", range(5))
def test_claim(fig5, index):
    claims = fig5[1]["claims"]
    assert len(claims) == 5
    c = claims[index]
    assert c["passed"], (c["claim"], c["measured"], c["expected"])
