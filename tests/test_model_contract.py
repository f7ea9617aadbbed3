"""The contract every registered model family passes unchanged (STYLE.md, "contract test").

A family registered in ``groklab.models.registry`` is picked up here automatically; it only has
to add a small, fast configuration to ``SMALL``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from groklab._config import Choice, Integer, InvalidParameterError, Real
from groklab.models.registry import get_model, model_ids
from groklab.store import load, save

#: A fast configuration of each family (small sizes, short horizon).
SMALL = {
    "linear-teacher": {"d_in": 100, "lam": 0.5, "n_gen": 64, "t_max": 1000, "eps": 1e-2},
    "separability": {"d": 10, "lam": 0.3, "t_max": 1000},
    "separability-1d": {"lam": 0.4, "sigma": 1.0, "t_max": 1000},
    "logit-reg": {"d": 10, "lam": 0.5, "t_max": 1000},
    "ball": {"dim": 5, "n_train": 10, "eps": 1.2, "init": "max-error", "dt_scale": 0.05},
    "exp-1d": {"n_train": 5, "eps": 0.5, "dt": 0.01},
    "langevin-mlp": {"d": 5, "n_train": 16, "width": 8, "depth": 1, "loss_target": 1e-2,
                     "T": 1e-3, "t_max": 1000, "n_test": 200},
    "rule-learning": {"attention": "exact", "d": 4, "n_test": 12, "test_length": 30,
                      "exact_length": 6},
}

MODELS = model_ids()
TIMES = np.array([0, 1, 10, 100, 1000])


def test_every_family_has_a_small_config():
    assert set(MODELS) <= set(SMALL), set(MODELS) - set(SMALL)


def _invalid_values(rule):
    """Values that violate a declared constraint."""
    if isinstance(rule, Choice):
        yield "not-an-option"
        return
    if isinstance(rule, Real | Integer):
        if not rule.allow_none:
            yield None
        yield "text"
        if rule.low is not None:
            open_low = isinstance(rule, Real) and rule.closed in ("right", "neither")
            yield rule.low if open_low else rule.low - 1
        if rule.high is not None:
            open_high = isinstance(rule, Real) and rule.closed in ("left", "neither")
            yield rule.high if open_high else rule.high + 1
        if isinstance(rule, Integer):
            yield 1.5
        else:
            yield float("nan")


@pytest.mark.parametrize("model_id", MODELS)
def test_every_constraint_rejects_invalid_values_by_name(model_id):
    module = get_model(model_id)
    base = module.Config(**SMALL[model_id])
    checked = 0
    for field in dataclasses.fields(module.Config):
        rule = field.metadata.get("constraint")
        if rule is None:
            continue
        for bad in _invalid_values(rule):
            with pytest.raises(InvalidParameterError, match=rf"'{field.name}' parameter of"):
                dataclasses.replace(base, **{field.name: bad})
            checked += 1
    assert checked >= 5


@pytest.mark.parametrize("model_id", MODELS)
def test_unknown_key_is_named(model_id):
    module = get_model(model_id)
    with pytest.raises(InvalidParameterError, match="Unknown parameter 'nope'"):
        module.Config.from_strings({"nope": "1"})


@pytest.fixture(scope="module")
def runs():
    out = {}
    for model_id in MODELS:
        module = get_model(model_id)
        cfg = module.Config(**SMALL[model_id])
        out[model_id] = (
            cfg,
            module.predict(cfg, times=TIMES),
            module.simulate(cfg, times=TIMES, seeds=2),
        )
    return out


@pytest.mark.parametrize("model_id", MODELS)
def test_schema_of_predict_and_simulate(runs, model_id):
    cfg, th, sim = runs[model_id]
    for ds, dims in ((th, ("t",)), (sim, ("seed", "t"))):
        # GD steps, or the dimensionless flow time of models defined by a gradient flow
        # without a learning rate (Žunkovič & Ilievski 2024)
        assert ds.attrs["time_unit"] in ("steps", "flow time")
        assert ds.attrs["config"] == cfg.to_dict()
        assert ds.attrs["precision"] in ("float64", "float32")
        for name in ("loss_train", "loss_gen", "acc_train", "acc_gen"):
            if name in ds:
                assert ds[name].dims == dims, (name, ds[name].dims)
        assert np.array_equal(ds["t"].values, TIMES)
    assert {"loss_train", "loss_gen", "acc_train", "acc_gen"} <= set(sim.data_vars)
    assert set(th.data_vars) <= set(sim.data_vars) | {"log_loss_train", "log_loss_gen"}
    records = sim.attrs["grokking"]
    assert len(records) == 2
    for rec in [th.attrs["grokking"], *records]:
        assert {"detector", "level", "t_train", "t_gen", "delay", "never_reached"} <= set(rec)


@pytest.mark.parametrize("model_id", MODELS)
def test_predict_agrees_with_simulate_at_t0(runs, model_id):
    """At t = 0 the theory and the seed mean agree on the initial losses where both define them
    (relative 0.4: the large-d theory averages over draws, whose scatter is ≈ √(2/d) ≈ 0.14 at
    the sizes of ``SMALL``; a wrong normalization is off by ≥ 2×)."""
    _, th, sim = runs[model_id]
    if "late times" in th.attrs.get("validity", ""):
        pytest.skip(f"{model_id}: the theory curves are a late-time prediction, not valid at t = 0")
    for name in ("loss_train", "loss_gen"):
        if name in th:
            theory = float(th[name].values[0])
            assert abs(sim[name].values[:, 0].mean() / theory - 1) < 0.4, name


@pytest.mark.parametrize("model_id", MODELS)
def test_batched_seeds_equal_one_by_one(runs, model_id):
    module = get_model(model_id)
    cfg, _, sim = runs[model_id]
    seed = int(sim["seed"].values[1])
    single = module.simulate(cfg, times=TIMES, seeds=[seed])
    for name in ("loss_train", "loss_gen", "acc_gen"):
        np.testing.assert_allclose(single[name].values[0], sim[name].values[1], rtol=1e-12)


@pytest.mark.parametrize("model_id", MODELS)
def test_result_round_trips_through_the_store(runs, model_id, tmp_path):
    _, th, sim = runs[model_id]
    for kind, ds in (("theory", th), ("simulation", sim)):
        path = tmp_path / f"{kind}.nc"
        save(ds, path)
        back = load(path)
        for name in ds.data_vars:
            np.testing.assert_array_equal(back[name].values, ds[name].values)
        assert back.attrs["config"] == ds.attrs["config"]


@pytest.mark.parametrize("model_id", MODELS)
def test_float32_run_keeps_its_dtype(model_id):
    module = get_model(model_id)
    cfg = module.Config(**{**SMALL[model_id], "precision": "float32"})
    ds = module.simulate(cfg, times=TIMES, seeds=1)
    assert ds.attrs["precision"] == "float32"
    assert np.all(np.isfinite(ds["loss_train"].values))
