"""``simulate_batch``: several configs of a model in as few vectorized calls as possible (issue 7).

A sweep task of K cells calls the model's ``simulate_batch(configs, seeds=n)`` once
(:func:`groklab.sweep_exec.run_cells`). Configs that differ only in knobs that keep the shapes
(σ, η, ``S0_norm``, ``b0``, …) must run as one compiled, vmapped call, and every result must
equal the per-cell ``simulate`` of its config to rounding (``BATCH_RTOL``); the same batch
composition, which a sweep fixes by its grid order and K, gives the same bits every time.
"""

from __future__ import annotations

import numpy as np
import pytest

from groklab.models import separability as sep
from groklab.models import separability_sim as sim

#: Short runs: a handful of record steps on a tiny problem keep each compile under a second.
TIMES = [0, 1, 3, 10, 30, 60]
SMALL = dict(d=6, lam=0.4, t_max=60)

#: XLA CPU rounds some kernels (the batched products X·S and Xᵀg for larger d, and the
#: (runs, panels, nodes) quadrature of the label fraction r < 1) differently for another batch
#: size, so a run batched with other configs can differ from its per-cell run in the last bits:
#: measured max relative difference 2.3e-15 (d = 6, r < 1) and 8.6e-16 (d = 50, t_max = 1000,
#: a 16-cell σ row). At d = 6 the other laws happen to agree bit for bit. 1e-12 catches any
#: real mix-up of configs or seeds, whose differences are O(1).
BATCH_RTOL = 1e-12


def _cfg(**kw) -> sep.Config:
    return sep.Config(**{**SMALL, "eta": 0.05, **kw})


def _assert_same_bits(got, want) -> None:
    assert list(got.data_vars) == list(want.data_vars)
    for name in want.data_vars:
        assert got[name].values.tobytes() == want[name].values.tobytes(), name
    _assert_same_records(got, want)


def _assert_same_records(got, want) -> None:
    """Equal to rounding (BATCH_RTOL), with the same config, coords and grokking records."""
    assert list(got.data_vars) == list(want.data_vars)
    for name in want.data_vars:
        np.testing.assert_allclose(got[name].values, want[name].values, rtol=BATCH_RTOL,
                                   atol=0, err_msg=name)
    assert got.attrs["config"] == want.attrs["config"]
    assert got.attrs["grokking"] == want.attrs["grokking"]
    np.testing.assert_array_equal(got["seed"].values, want["seed"].values)
    np.testing.assert_array_equal(got["t"].values, want["t"].values)


def _counting(monkeypatch) -> list[int]:
    """Record the number of configs of each compiled group call."""
    calls: list[int] = []
    run_group = sim.run_group

    def spy(configs, *args, **kwargs):
        calls.append(len(configs))
        return run_group(configs, *args, **kwargs)

    monkeypatch.setattr(sim, "run_group", spy)
    return calls


def test_knob_row_is_one_call_equal_to_per_cell_simulate(monkeypatch):
    """A σ row with other η, b₀, ‖S₀‖, fit_bias and first seeds mixed in: one compiled call,
    and each Dataset equals ``simulate`` of its config; a repeat gives the same bits."""
    configs = [_cfg(sigma=s) for s in (0.5, 1.5, 3.0, 6.0)] + [
        _cfg(sigma=2.0, eta=0.02, b0=0.4, S0_norm=0.6),
        _cfg(sigma=2.0, fit_bias=False, b0=-0.3, seed=7),
    ]
    calls = _counting(monkeypatch)
    batch = sep.simulate_batch(configs, TIMES, seeds=2)
    assert calls == [len(configs)]
    for config, ds, ds2 in zip(configs, batch, sep.simulate_batch(configs, TIMES, seeds=2),
                               strict=True):
        _assert_same_records(ds, sep.simulate(config, TIMES, seeds=2))
        _assert_same_bits(ds2, ds)


def test_incompatible_configs_form_groups_and_keep_their_order(monkeypatch):
    """Other λ (shapes) and another loss are groups of their own; results stay in order."""
    configs = [_cfg(sigma=1.0), _cfg(sigma=2.0, lam=0.6), _cfg(sigma=3.0),
               _cfg(sigma=2.0, loss="exponential"), _cfg(sigma=4.0, lam=0.6)]
    calls = _counting(monkeypatch)
    batch = sep.simulate_batch(configs, TIMES, seeds=[3, 5])
    assert sorted(calls) == [1, 2, 2]
    for config, ds in zip(configs, batch, strict=True):
        assert ds.attrs["config"] == config.to_dict()
        _assert_same_records(ds, sep.simulate(config, TIMES, seeds=[3, 5]))


@pytest.mark.parametrize("kws", [
    [dict(form="two-gaussian", mu=0.5, sigma=2.0, sigma_A=0.1),
     dict(form="two-gaussian", mu=0.3, sigma=3.0)],
    [dict(inputs="mixture", n_pop_mc=32, sigma=1.0), dict(inputs="mixture", n_pop_mc=32,
                                                          sigma=2.0, mix_mean=0.5)],
    [dict(optimizer="adam", eta=0.01, sigma=2.0), dict(optimizer="adam", eta=0.03, sigma=3.0)],
    [dict(precision="float32", sigma=2.0), dict(precision="float32", sigma=3.0)],
], ids=["two-gaussian", "mixture", "adam", "float32"])
def test_extensions_batch_into_one_call(kws, monkeypatch):
    configs = [_cfg(**kw) for kw in kws]
    calls = _counting(monkeypatch)
    batch = sep.simulate_batch(configs, TIMES, seeds=2)
    assert calls == [2]
    for config, ds in zip(configs, batch, strict=True):
        _assert_same_records(ds, sep.simulate(config, TIMES, seeds=2))


def test_label_fraction_batches_to_rounding_and_repeats_bit_identically():
    """r < 1 (two thresholds share a call; r = 1 is another group): equal to per-cell runs
    to BATCH_RTOL; the same batch twice is bit-identical."""
    configs = [_cfg(label_fraction=0.8, sigma=3.0), _cfg(label_fraction=0.7, sigma=2.0),
               _cfg(sigma=2.0)]
    batch = sep.simulate_batch(configs, TIMES, seeds=2)
    again = sep.simulate_batch(configs, TIMES, seeds=2)
    for config, ds, ds2 in zip(configs, batch, again, strict=True):
        _assert_same_bits(ds2, ds)
        _assert_same_records(ds, sep.simulate(config, TIMES, seeds=2))


def test_default_times_group_by_horizon():
    """Without ``times`` each config records at its own default_times (t_max sets them)."""
    configs = [_cfg(sigma=2.0, t_max=40), _cfg(sigma=3.0, t_max=20)]
    batch = sep.simulate_batch(configs, seeds=1)
    for config, ds in zip(configs, batch, strict=True):
        np.testing.assert_array_equal(ds["t"].values, sep.default_times(config))
        _assert_same_records(ds, sep.simulate(config, seeds=1))


def test_bad_batches_raise_clear_errors():
    from groklab.models import linear_teacher

    with pytest.raises(ValueError, match="at least one Config"):
        sep.simulate_batch([])
    with pytest.raises(ValueError, match="separability Config objects only.*linear_teacher"):
        sep.simulate_batch([_cfg(), linear_teacher.Config()])
    with pytest.raises(ValueError, match="method must be 'gd' or 'flow'"):
        sep.simulate_batch([_cfg()], TIMES, method="euler")
    with pytest.raises(ValueError, match="one group_key"):
        sim.run_group([_cfg(), _cfg(lam=0.6)], [sim._batched_sample(c, [0]) for c in
                                                  (_cfg(), _cfg(lam=0.6))], TIMES)


def test_sweep_task_of_k_cells_matches_per_cell_sweep(tmp_path):
    """Through the sweep machinery: ``batch=3`` (one simulate_batch per task) gives the numbers
    of ``batch=1`` (per-cell simulate), cell by cell, and the same bits when rerun."""
    from groklab.sweep import simulate_sweep

    axes = {"sigma": np.array([0.7, 1.4, 2.8]), "eta": np.array([0.02, 0.05])}
    base = {"d": "6", "lam": "0.4", "t_max": "60"}
    one = simulate_sweep(sep, base, axes, seeds=2, times=TIMES, out=tmp_path / "a.nc", batch=1)
    three = simulate_sweep(sep, base, axes, seeds=2, times=TIMES, out=tmp_path / "b.nc",
                           batch=3)
    again = simulate_sweep(sep, base, axes, seeds=2, times=TIMES, out=tmp_path / "c.nc",
                           batch=3)
    assert three.attrs["complete"]
    for name in one.data_vars:
        np.testing.assert_allclose(three[name].values, one[name].values, rtol=BATCH_RTOL,
                                   atol=0, err_msg=name)
        assert again[name].values.tobytes() == three[name].values.tobytes(), name
