"""Shared check of a registered figure: reproduce it, check its files, and require every
claim to pass (a claim that does not reproduce is marked as a strict xfail by the caller)."""

from __future__ import annotations

import json

from groklab.figures import figure_paths, reproduce


def reproduce_and_check(fig_id: str, quick: bool, tmp_path):
    """Run :func:`groklab.figures.reproduce`; assert the PNG, PDF, data and claims files exist,
    the claims name the figure and all pass; return the Dataset loaded back from the store."""
    from groklab.store import load

    record = reproduce(fig_id, quick=quick, out_dir=tmp_path)
    paths = figure_paths(fig_id, tmp_path)
    for key in ("png", "pdf", "data", "claims"):
        assert paths[key].exists() and paths[key].stat().st_size > 0, key
    assert json.loads(paths["claims"].read_text())["figure"] == fig_id
    assert record["claims"], "no claims"
    failed = [c for c in record["claims"] if not c["passed"]]
    assert not failed, json.dumps(failed, indent=1, ensure_ascii=False)
    return load(paths["data"])


_QUICK_RECORDS: dict = {}


def quick_once(fig_id: str, tmp_path_factory):
    """One quick reproduction per figure and test process: ``(record, out_dir)``, cached so
    that figures sharing runs in-process (e.g. Figs. 15/17, Fig. 16/Table 1) compute them once."""
    if fig_id not in _QUICK_RECORDS:
        out = tmp_path_factory.mktemp(fig_id.replace("/", "_"))
        _QUICK_RECORDS[fig_id] = (reproduce(fig_id, quick=True, out_dir=out), out)
    return _QUICK_RECORDS[fig_id]
