"""Figs. 12, 18, 21 and 22 of Žunkovič & Ilievski 2024 (single full-model runs): the quick
variants reproduce and their claims evaluate (findings are strict xfails), and the data pass
independent checks: the frozen-A runs follow the closed-form GD of the mapped perceptron, the
scattered context vectors are unit vectors whose D_eff is the recorded one, and the spikes and
their D_eff steps are recomputed from the stored series."""

from __future__ import annotations

import json

import numpy as np
import pytest
from figure_checks import reproduce_and_check

from groklab.figures import figure_paths, reproduce
from groklab.figures.zunkovic2024 import full_runs as fr

IDS = ["zunkovic2024/fig12", "zunkovic2024/fig18", "zunkovic2024/fig21", "zunkovic2024/fig22"]

#: The one claim that does not reproduce (quick variant): Fig. 18's check of the spec's strict
#: "zero test error" (bulk and every string of length 3…10).
STRICT_ZERO = "[project] spec §5 'zero test error'"

@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """``quick(fig_id)`` → (claims record, output folder): one quick reproduction per figure
    for the whole module (Figs. 21 and 22 also share their scan in memory)."""
    out = tmp_path_factory.mktemp("full_runs")
    done: dict = {}

    def get(fig_id):
        if fig_id not in done:
            done[fig_id] = reproduce(fig_id, quick=True, out_dir=out)
        return done[fig_id], out

    return get


@pytest.fixture(scope="module")
def data(quick):
    """``data(fig_id)``: the quick Dataset as stored (loaded back, checksum verified)."""
    from groklab.store import load

    return lambda fig_id: load(figure_paths(fig_id, quick(fig_id)[1])["data"])


@pytest.mark.parametrize("fig_id", IDS)
def test_quick_files_and_claims(fig_id, quick):
    """The files are written and every claim passes except the recorded finding (tested below
    as a strict xfail); each figure has at least three claims."""
    record, out = quick(fig_id)
    for key, path in figure_paths(fig_id, out).items():
        assert path.exists() and path.stat().st_size > 0, key
    assert len(record["claims"]) >= 3
    failed = [c for c in record["claims"]
              if not c["passed"] and not c["claim"].startswith(STRICT_ZERO)]
    assert not failed, json.dumps(failed, indent=1, ensure_ascii=False)


@pytest.mark.xfail(strict=True, reason="spec §5 strict zero test error: Fig. 18 seed 1 has bulk E_test = 0 at epoch 300 but error 1.0 on every odd length 3-9 and 0.0 on every even length (the sign of ŷ flips with the length parity); seeds 0, 2 also err 1.0 on length 3")  # noqa: E501
def test_fig18_bulk_zero_error_runs_predict_every_short_string(quick):
    record, _ = quick("zunkovic2024/fig18")
    (c,) = [c for c in record["claims"] if c["claim"].startswith(STRICT_ZERO)]
    assert c["passed"], json.dumps(c["measured"], ensure_ascii=False)


def test_fig12_b_only_runs_are_the_closed_form_gd(data):
    """With A frozen the engine's errors equal those of the exact GD iterates of the mapped
    72-dimensional perceptron at every record, and B agrees to 1e-9."""
    ds = data("zunkovic2024/fig12")
    np.testing.assert_array_equal(ds["err_train"].values, ds["err_train_theory"].values)
    np.testing.assert_allclose(ds["err_gen"].values, ds["err_gen_theory"].values, atol=1e-12)
    assert float(ds["max_abs_B_sim_minus_theory"].max()) <= 1e-9
    assert ds.sizes["k"] == 2 * 6**2 and float(ds["eig_G"].min()) >= 0.01 - 1e-12  # λ2 = 0.01
    t = ds["t"].values
    assert t[0] == 0 and np.all(np.diff(t) > 0) and t[-1] == fr.FIG12_LR * 400


def test_fig18_times_and_errors(data):
    ds = data("zunkovic2024/fig18")
    t = ds["t"].values
    assert t[0] == 0 and t[-1] == 300 and np.all(np.diff(t) == 2)
    for name in ("t_train", "t_eps"):
        v = ds[name].values
        err = ds["err_train" if name == "t_train" else "err_gen"].values
        for i in np.flatnonzero(np.isfinite(v)):
            k = int(np.searchsorted(t, v[i]))
            assert err[i, k] == 0 and np.all(err[i, :k] > 0)


@pytest.mark.parametrize("fig_id", ["zunkovic2024/fig21", "zunkovic2024/fig22"])
def test_context_vectors_are_the_d_eff_point_cloud(fig_id, data):
    """The scattered points are unit vectors of R³; D_eff recomputed from them (NumPy PCA
    entropy) equals the D_eff recorded by the engine at the snapshot times."""
    from groklab.theory.local_rules_stats import d_eff

    ds = data(fig_id)
    pts = ds["points"].values
    assert pts.shape[1:] == (20 * 7, 3)
    np.testing.assert_allclose(np.linalg.norm(pts, axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(d_eff(pts), ds["snap_d_eff"].values, rtol=1e-10)
    k = np.searchsorted(ds["t"].values, ds["snap_t"].values)
    np.testing.assert_allclose(ds["d_eff"].values[k], ds["snap_d_eff"].values, rtol=1e-12)


@pytest.mark.parametrize("fig_id", ["zunkovic2024/fig21", "zunkovic2024/fig22"])
def test_spikes_and_the_seed_rule(fig_id, data):
    """The spikes and their D_eff steps are recomputed from the stored per-epoch loss and D_eff,
    and the chosen spike is the extreme one of the scan (the stated rule)."""
    from groklab.theory.local_rules_stats import detect_spikes

    ds = data(fig_id)
    ex = ds.attrs["example"]
    e = ds.attrs["chosen_spike_epoch"]
    np.testing.assert_array_equal(detect_spikes(ds["loss_epoch"].values), ds["spike_epoch"])
    de = ds["d_eff"].values  # one record per epoch end: epoch e spans records e and e + 1
    np.testing.assert_allclose(ds["spike_d_eff_step"].values,
                               de[ds["spike_epoch"].values + 1] - de[ds["spike_epoch"].values],
                               atol=1e-14)
    np.testing.assert_array_equal(ds["snap_t"].values, [0, e, e + 1, ds["t"].values[-1]])
    grok = np.isfinite(ds["scan_t_eps"].values)
    seed = ds.attrs["chosen_seed"]
    step = float(ds["spike_d_eff_step"].values[list(ds["spike_epoch"].values).index(e)])
    if ex == 1:
        assert step == np.nanmax(ds["scan_max_step"].values[grok]) and step > 0
    else:
        other = grok & (ds["seed"].values != data("zunkovic2024/fig21")
                        .attrs["chosen_seed"])
        assert step == np.nanmin(ds["scan_min_step"].values[other]) and step < 0
    assert np.isfinite(float(ds["scan_t_eps"].sel(seed=seed)))


def test_length_errors_match_the_jax_forward():
    """The NumPy per-length error equals the one from the engine's JAX contraction."""
    from groklab.dynamics import jnp
    from groklab.models import rule_learning_tn as tn
    from groklab.models.rule_learning_ca import all_strings, apply_rule

    rng = np.random.default_rng(3)
    P = {"A": rng.normal(size=(3, 3, 2)), "B": rng.normal(size=(3, 3, 2)),
         "vL": rng.normal(size=3), "vR": rng.normal(size=3)}
    lengths = [3, 4, 7]
    ref = []
    for m in lengths:
        x = all_strings(m).astype(float)
        out = np.asarray(tn.forward({k: jnp.asarray(v) for k, v in P.items()}, jnp.asarray(x)))
        ref.append(np.mean(apply_rule(x, 30, 1, "open") * out <= 0))
    np.testing.assert_allclose(fr.length_errors(P, lengths), ref, atol=1e-15)
    assert 0 < max(ref) < 1


def test_bad_inputs():
    with pytest.raises(ValueError, match="quick must be True or False"):
        fr.compute_fig18("yes")
    with pytest.raises(ValueError, match="example must be one of"):
        fr._compute_example(True, 3)
    with pytest.raises(ValueError, match="at least 3"):
        fr.length_errors({"A": np.ones((2, 2, 2)), "B": np.ones((2, 2, 2)),
                          "vL": np.ones(2), "vR": np.ones(2)}, [2])


#: Claims that fail in the full variants (measured 2026-11-23): figure → xfail reason.
FULL_FINDINGS = {
    "zunkovic2024/fig12": "Fig. 12: no test-error plateau after zero training error in the full variant: t_eps - t_train = 0, -0.5, 0 flow time for B(0) seeds 0-2 (A from pre-training seed 5); the quick variant has one (5 flow time at E_test = 0.004)",  # noqa: E501
    "zunkovic2024/fig18": "spec §5 strict zero test error: seeds 1 and 2 reach bulk E_test = 0 (t_G = 185 and 4855 epochs) but err 1.0 on every odd length 3-9 and 0.0 on every even length",  # noqa: E501
}


@pytest.mark.slow
@pytest.mark.parametrize("fig_id", [
    pytest.param(f, marks=pytest.mark.xfail(strict=True, reason=FULL_FINDINGS[f]))
    if f in FULL_FINDINGS else f for f in IDS])
def test_full(fig_id, tmp_path):
    reproduce_and_check(fig_id, False, tmp_path)
