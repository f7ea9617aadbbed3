"""Fig. 16 and Table 1 of Žunkovič & Ilievski 2024 (ξ* from context-vector angles; Eq. 50):
reproduce (quick; full with --runslow), the files exist and every claim passes except the
findings, whose paper claims are strict xfails recording the numbers. The
bulk sample is checked against the model's own feature map and JAX contexts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from figure_checks import quick_once

from groklab.figures import figure_paths, reproduce
from groklab.figures.zunkovic2024 import angles as an

#: Claims that do not reproduce (findings), by figure: the starts of their texts.
FINDINGS = {
    "zunkovic2024/fig16": (),
    "zunkovic2024/table1": ("LR-27 (Table 1) [paper]: the fixed-attention examples have ν < 1",
                            "Table 1 / Fig. 17 [paper]: larger D_eff → longer t_G"),
}
_quick = quick_once  # Table 1 reuses the Fig. 16 sample in-process


def _split(record, fig_id):
    known = FINDINGS[fig_id]
    hit = [c for c in record["claims"] if known and c["claim"].startswith(known)]
    return hit, [c for c in record["claims"] if c not in hit]


@pytest.mark.parametrize("fig_id", sorted(FINDINGS))
def test_quick_files_and_claims(fig_id, tmp_path_factory):
    """Files written; every claim but the recorded findings passes; the findings are present."""
    record, out = _quick(fig_id, tmp_path_factory)
    for path in figure_paths(fig_id, out).values():
        assert path.stat().st_size > 0, path
    findings, rest = _split(record, fig_id)
    assert len(rest) >= 3 and len(findings) == len(FINDINGS[fig_id])
    failed = [c for c in rest if not c["passed"]]
    assert not failed, json.dumps(failed, indent=1, ensure_ascii=False)


def _table1_claim(start, tmp_path_factory) -> dict:
    record, _ = _quick("zunkovic2024/table1", tmp_path_factory)
    (c,) = [c for c in record["claims"] if c["claim"].startswith(start)]
    return c


@pytest.mark.xfail(strict=True, reason="LR-27/Table 1: mean fitted ν = 1.00/1.11/1.21 for Ex. 1/2/3 (Fig. 15 fits with ≥ 50% zero-error runs, λ and λ/8, 150 runs; ranges 0.73-1.28, 0.93-1.20, 1.15-1.26), not < 1")  # noqa: E501
def test_table1_nu_below_one(tmp_path_factory):
    c = _table1_claim(FINDINGS["zunkovic2024/table1"][0], tmp_path_factory)
    assert c["passed"], c["measured"]


@pytest.mark.xfail(strict=True, reason="Table 1/Fig. 17: D_eff = 3.77/5.38/5.19 (Ex. 1/2/3) but mean t_G = 7.6/7.2/3.5 (flow time, Fig. 17 quick runs), so the largest D_eff (Ex. 2) does not have the longest t_G (Ex. 1)")  # noqa: E501
def test_table1_larger_d_eff_longer_t_grok(tmp_path_factory):
    c = _table1_claim(FINDINGS["zunkovic2024/table1"][1], tmp_path_factory)
    assert c["passed"], c["measured"]


def test_table1_is_eq50_of_its_columns(tmp_path_factory):
    """The stored ξ column is ½(D_eff − 2ν + 1) of the stored D_eff and ν (arithmetic check on the
    saved data), and ξ* is the max over classes of the Fig. 16 exponents."""
    from groklab.store import load

    _, out = _quick("zunkovic2024/table1", tmp_path_factory)
    ds = load(figure_paths("zunkovic2024/table1", out)["data"])
    expected = 0.5 * (ds["d_eff"].values - 2 * ds["nu"].values + 1)
    np.testing.assert_allclose(ds["xi_eq50"].values, expected, rtol=1e-12)
    ang = an.compute_fig16(True)
    sums = ang["exponent"].sum("side").values  # (example, cls)
    np.testing.assert_allclose(ds["xi_star"].values, sums.max(axis=1), rtol=1e-12)


def test_bulk_sample_matches_the_model():
    """Kept sites of the bulk sample: labels are rule 30 of the strings, features equal
    rule_learning_theory.flat_features (Eq. 66), and the contexts point along the JAX contexts of
    rule_learning_tn (an independent implementation)."""
    from groklab.models import rule_learning_tn as tn
    from groklab.models.rule_learning_ca import apply_rule, random_strings
    from groklab.models.rule_learning_theory import flat_features

    n, window = 7, 5
    s = an.bulk_sample(2, n, window)
    x = np.asarray(random_strings(tn.key_for(an.ANGLE_SEED, "test"), n, 2 * an.BURN + window))
    keep = slice(an.BURN, an.BURN + window)
    att = an._attention(2)
    np.testing.assert_array_equal(s["y"], apply_rule(x)[:, keep].ravel())
    np.testing.assert_array_equal(s["x"], x[:, keep].ravel())
    z_model = flat_features(att, x).reshape(n, -1, 8)[:, keep].reshape(-1, 8)
    np.testing.assert_allclose(an.bulk_features(s), z_model, atol=1e-13)
    left, right = tn.contexts({k: np.asarray(v) for k, v in att.items()}, x, "open")
    for mine, ref in ((s["left"], left), (s["right"], right)):
        ref = np.asarray(ref)[:, keep].reshape(-1, 2)
        np.testing.assert_allclose(np.abs(np.sum(mine * ref, axis=-1)), 1.0, atol=1e-12)
    assert s["burn_gap"] <= 1e-10


@pytest.mark.slow
@pytest.mark.parametrize("fig_id", sorted(FINDINGS))
def test_full(fig_id, tmp_path):
    """Full variant: every claim but the recorded findings passes."""
    record = reproduce(fig_id, quick=False, out_dir=tmp_path)
    failed = [c for c in _split(record, fig_id)[1] if not c["passed"]]
    assert not failed, json.dumps(failed, indent=1, ensure_ascii=False)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"example": 4, "n_strings": 2, "window": 3}, "example must be one of"),
    ({"example": 1, "n_strings": 0, "window": 3}, "n_strings must be a positive integer"),
    ({"example": 1, "n_strings": 2, "window": 2.5}, "window must be a positive integer"),
])
def test_bulk_sample_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        an.bulk_sample(**kwargs)
