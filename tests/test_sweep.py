"""Grid specs, their validation, and theory sweeps end to end."""

from __future__ import annotations

import dataclasses
import types

import numpy as np
import pytest

from groklab._config import AbstractConfig, Choice, Integer, InvalidParameterError, Real, param
from groklab.sweep import is_grid_spec, parse_grid, split_specs, theory_sweep, validate_grid


@dataclasses.dataclass(frozen=True)
class ToyConfig(AbstractConfig):
    lam: float = param(0.5, Real(0, None, closed="neither"))
    gamma: float = param(0.0, Real(0, None, closed="left"))
    d_out: int = param(1, Integer(1, 1000))
    eta: float = param(0.01, Real(0, None, closed="neither"))
    mode: str = param("paper", Choice(("paper", "torch")))

    def _check(self) -> None:
        if self.eta * self.d_out > 1:
            raise InvalidParameterError("The 'eta' parameter of ToyConfig is unstable here.")


def _toy_theory_grid(base, **axes):
    import xarray as xr

    shape = tuple(len(v) for v in axes.values())
    coords = {k: np.asarray(v) for k, v in axes.items()}
    delay = np.ones(shape)
    never = np.zeros(shape, dtype=bool)
    never.flat[0] = True
    delay[never] = np.nan
    dims = list(axes)
    return xr.Dataset(
        {
            "t_train": (dims, np.ones(shape)),
            "t_gen": (dims, 1 + delay),
            "delay": (dims, delay),
            "loss_train_inf": (dims, np.zeros(shape)),
            "loss_gen_inf": (dims, np.zeros(shape)),
            "never_groks": (dims, never),
        },
        coords=coords,
        attrs={"time_unit": "steps"},
    )


TOY = types.SimpleNamespace(ID="toy", Config=ToyConfig, theory_grid=_toy_theory_grid)


# ---- parsing -------------------------------------------------------------------------------


def test_linear_grid():
    np.testing.assert_allclose(parse_grid("lam", "0.1:0.5:5", ToyConfig), [0.1, 0.2, 0.3, 0.4, 0.5])


def test_log_grid():
    values = parse_grid("gamma", "log:1e-6:1e-1:6", ToyConfig)
    np.testing.assert_allclose(values, 10.0 ** np.arange(-6, 0), rtol=1e-12)


def test_comma_list_and_single_value():
    np.testing.assert_array_equal(parse_grid("lam", "0.3, 0.5,0.9", ToyConfig), [0.3, 0.5, 0.9])
    np.testing.assert_array_equal(parse_grid("lam", "0.7", ToyConfig), [0.7])


def test_integer_field_is_rounded_and_deduplicated():
    values = parse_grid("d_out", "log:1:3000:100", ToyConfig)
    assert values.dtype == np.int64
    assert values[0] == 1 and values[-1] == 3000
    assert len(values) == len(set(values.tolist())) < 100
    assert np.all(np.diff(values) > 0)
    np.testing.assert_array_equal(parse_grid("d_out", "1,1.2,2,2", ToyConfig), [1, 2])


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("0.1:0.5", "a linear grid has the form start:stop:num"),
        ("log:1e-3:1e-1", "a log grid has the form log:start:stop:num"),
        ("log:0:1:5", "a log grid needs start > 0 and stop > 0"),
        ("0.1:0.5:zero", "the number of points 'zero' must be an integer ≥ 1"),
        ("0.1:0.5:0", "the number of points '0' must be an integer ≥ 1"),
        ("0.1,,0.3", "the comma list has an empty entry"),
        ("a:b:3", "'a' is not a number"),
        ("0.1:nan:3", "'nan' is not a finite number"),
    ],
)
def test_bad_grid_spec_names_key_and_forms(spec, why):
    with pytest.raises(InvalidParameterError, match=r"Cannot read the grid lam=") as info:
        parse_grid("lam", spec, ToyConfig)
    message = str(info.value)
    assert why in message
    assert "start:stop:num (linear), log:start:stop:num (log-spaced)" in message


def test_unknown_key_suggests_close_match():
    with pytest.raises(InvalidParameterError, match=r"Unknown parameter 'gama'.*'gamma'"):
        parse_grid("gama", "0:1:3", ToyConfig)


def test_string_field_cannot_be_swept():
    with pytest.raises(InvalidParameterError, match=r"'mode' parameter .* cannot be swept"):
        parse_grid("mode", "paper,torch", ToyConfig)


def test_split_specs_separates_fixed_values():
    assert is_grid_spec("1:2:3") and is_grid_spec("1,2") and not is_grid_spec("0.5")
    base, axes = split_specs(ToyConfig, {"lam": "0.1:0.9:3", "eta": "0.001", "mode": "torch"})
    assert base == {"eta": "0.001", "mode": "torch"}
    assert list(axes) == ["lam"]


# ---- validation ----------------------------------------------------------------------------


def test_every_grid_value_is_checked_against_config():
    with pytest.raises(
        InvalidParameterError,
        match=r"The 'lam' parameter of ToyConfig must be a real number in the range "
        r"\(0, inf\)\. Got 0\.0 in its grid instead\.",
    ):
        validate_grid(ToyConfig(), {"lam": np.linspace(0, 1, 5)})


def test_grid_corners_are_checked_for_cross_field_rules():
    with pytest.raises(InvalidParameterError, match=r"grid corner .*d_out=1000.*unstable"):
        validate_grid(ToyConfig(eta=0.01), {"d_out": np.array([1, 10, 1000])})


# ---- sweeps --------------------------------------------------------------------------------


def test_theory_sweep_with_toy_model_records_attrs():
    base, axes = split_specs(ToyConfig, {"lam": "0.1:0.9:3", "gamma": "log:1e-6:1e-2:5"})
    ds = theory_sweep(TOY, base, axes, specs={"lam": "0.1:0.9:3", "gamma": "log:1e-6:1e-2:5"})
    assert ds.sizes == {"lam": 3, "gamma": 5}
    assert ds.attrs["model"] == "toy"
    assert ds.attrs["grid"] == {"lam": "0.1:0.9:3", "gamma": "log:1e-6:1e-2:5"}
    assert ds.attrs["config"]["eta"] == 0.01
    assert ds.attrs["groklab_version"]
    assert len(ds.attrs["sweep_id"]) == 16


def test_theory_sweep_validates_before_any_work():
    calls = []
    toy = types.SimpleNamespace(
        ID="toy", Config=ToyConfig, theory_grid=lambda *a, **k: calls.append(1)
    )
    with pytest.raises(InvalidParameterError, match=r"'gamma' parameter of ToyConfig"):
        theory_sweep(toy, {}, {"gamma": np.array([-1.0, 0.0])})
    with pytest.raises(InvalidParameterError, match=r"'eta' parameter of ToyConfig"):
        theory_sweep(toy, {"eta": "-1"}, {"gamma": np.array([0.0])})
    with pytest.raises(InvalidParameterError, match=r"at least one grid"):
        theory_sweep(toy, {"eta": "0.1"}, {})
    assert calls == []


def test_simulated_sweep_unsupported_is_a_clear_error():
    from groklab.sweep import simulate_sweep

    with pytest.raises(ValueError, match=r"Simulated sweeps are not supported for model 'toy'"):
        simulate_sweep(TOY, {}, {"lam": np.array([0.5])})


def test_linear_teacher_theory_sweep_end_to_end(tmp_path):
    from groklab.models.registry import get_model
    from groklab.store import load, save

    model = get_model("linear-teacher")
    base, axes = split_specs(model.Config, {"lam": "0.2,0.9,1.5", "gamma": "log:1e-6:1e-1:4"})
    ds = theory_sweep(model, base, axes)
    assert ds.sizes["lam"] == 3 and ds.sizes["gamma"] == 4
    for name in ("t_train", "t_gen", "delay", "loss_train_inf", "loss_gen_inf", "never_groks"):
        assert name in ds, name
    assert ds["never_groks"].dtype == bool
    # lam = 1.5 > 1 never generalizes (L_gen -> 1 - 1/lam); lam = 0.2, gamma = 1e-6 groks
    assert bool(ds["never_groks"].sel(lam=1.5).all())
    assert not bool(ds["never_groks"].sel(lam=0.2).isel(gamma=0))
    assert np.isnan(ds["delay"].sel(lam=1.5)).all()
    save(ds, tmp_path / "sweep.nc")
    back = load(tmp_path / "sweep.nc")
    assert back["never_groks"].dtype == bool
    np.testing.assert_array_equal(back["delay"].values, ds["delay"].values)
