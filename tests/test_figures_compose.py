"""figures._compose: several panel Datasets stored as one and split back exactly."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from groklab import store
from groklab.figures._compose import combine, split


def _parts():
    left = xr.Dataset(
        {"acc": (("case", "t"), np.arange(6.0).reshape(2, 3))},
        coords={"case": [0.05, 0.48], "t": [0, 10, 100]},
        attrs={"seed": 3, "config": {"sigma": 5.0}},
    )
    right = xr.Dataset(
        {"acc": ("lam", [0.9, 0.7]), "separable": (("lam", "r"), [[0, 1], [1, 1]])},
        coords={"lam": [0.4, 0.6], "r": [0, 1]},
        attrs={"n_realizations": 2},
    )
    return {"left": left, "right": right}


def test_combine_then_split_is_the_identity(tmp_path):
    parts = _parts()
    ds = combine(parts, figure="x/fig1")
    assert ds.attrs["figure"] == "x/fig1"
    assert {"left__acc", "right__acc", "right__separable"} <= set(ds.data_vars)
    path = tmp_path / "fig.nc"
    store.save(ds, path)
    for again in (ds, store.load(path)):
        back = split(again)
        assert set(back) == {"left", "right"}
        for key, part in parts.items():
            xr.testing.assert_identical(back[key].drop_attrs(), part.drop_attrs())
            for name, value in part.attrs.items():
                assert back[key].attrs[name] == value


def test_bad_part_name():
    with pytest.raises(ValueError, match="must not contain"):
        combine({"a__b": _parts()["left"]})
