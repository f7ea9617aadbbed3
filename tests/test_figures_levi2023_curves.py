"""Figs. 1, 2, 3 and 6 of Levi et al. 2023 (``groklab.figures.levi2023.curves``): each quick
variant writes its files and every claim it records passes.

Fig. 3's quick variant runs at d_in = 400 with 5 seeds: at d_in = 200 with 3 seeds, seed 0 at
γ = 1e-3 (≈ 0.6 γ_c) has a finite-sample plateau 6.3e-4 > L* = 2.60e-4 and never groks, while the
large-d theory (L_gen(∞) = 1.07e-4) does — finite-size scatter of the plateau near γ_c.
"""

from __future__ import annotations

import json

import pytest

from groklab.figures import figure_paths, reproduce

FIGS = ("levi2023/fig1", "levi2023/fig2", "levi2023/fig3", "levi2023/fig6")

@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("figs")
    return out, {}


def _run(quick_runs, fig):
    out, cache = quick_runs
    if fig not in cache:
        cache[fig] = reproduce(fig, quick=True, out_dir=out)
    return out, cache[fig]


@pytest.mark.parametrize("fig", FIGS)
def test_quick_variant_files_and_claims(quick_runs, fig):
    out, record = _run(quick_runs, fig)
    paths = figure_paths(fig, out)
    for key in ("png", "pdf", "data", "claims"):
        assert paths[key].exists() and paths[key].stat().st_size > 0, key
    assert json.loads(paths["claims"].read_text())["figure"] == fig
    assert record["variant"] == "quick"
    assert len(record["claims"]) >= 3
    failed = [c for c in record["claims"] if not c["passed"]]
    assert not failed, json.dumps(failed, indent=1, ensure_ascii=False)


def test_fig2_argmax_recorded(quick_runs):
    _, record = _run(quick_runs, "levi2023/fig2")
    (claim,) = [c for c in record["claims"] if "interior maximum" in c["expected"]]
    assert claim["measured"]["argmax_d_out"] > 1 and claim["measured"]["argmax_d_out"] < 3000
    assert claim["measured"]["caption"] == 50


@pytest.mark.slow
@pytest.mark.parametrize("fig", FIGS)
def test_full_variant_claims(tmp_path, fig):
    record = reproduce(fig, quick=False, out_dir=tmp_path)
    failed = [c for c in record["claims"] if not c["passed"]]
    assert not failed, json.dumps(failed, indent=1, ensure_ascii=False)
