"""Fig. 4 of Levi et al. 2023 (phase diagrams): quick variant reproduces with passing claims."""

from __future__ import annotations

import json

import pytest

import groklab.figures.levi2023.phase  # noqa: F401  (registers levi2023/fig4)
from groklab.figures import figure_paths, reproduce


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig4")
    return out, reproduce("levi2023/fig4", quick=True, out_dir=out)


def test_fig4_quick_files(record):
    out, rec = record
    for path in figure_paths("levi2023/fig4", out).values():
        assert path.exists() and path.stat().st_size > 0
    saved = json.loads(figure_paths("levi2023/fig4", out)["claims"].read_text())
    assert saved["variant"] == "quick" and saved["n_failed"] == 0


@pytest.mark.parametrize("i", range(4))
def test_fig4_quick_claims_pass(record, i):
    claim = record[1]["claims"][i]
    assert claim["passed"], claim


def test_fig4_dataset(record):
    import xarray as xr

    out, _ = record
    ds = xr.open_dataset(figure_paths("levi2023/fig4", out)["data"])
    for panel, dims in {"left": ("gamma", "d_out"), "centre": ("gamma", "lam"),
                        "right": ("d_out", "lam")}.items():
        assert ds[f"delay_{panel}"].dims == tuple(f"{d}_{panel}" for d in dims)
        assert ds[f"delay_{panel}"].shape == (40, 40)
