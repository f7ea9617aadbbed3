"""Vectorized theory grid (crossing_s_grid, theory_grid) against the scalar path."""

from __future__ import annotations

import numpy as np
import pytest

from groklab.models import linear_teacher as lt
from groklab.models import linear_teacher_theory as th
from groklab.theory.special import loss_threshold


def _random_cells(n: int, seed: int):
    rng = np.random.default_rng(seed)
    lam = np.concatenate([rng.uniform(0.02, 2.0, n - 3), [1.0, 0.9, 1.5]])
    gamma = np.where(rng.random(n) < 0.4, 0.0, 10 ** rng.uniform(-6, -1, n))
    level = 10 ** rng.uniform(-4, 0.2, n)  # includes levels above L(0) (t* = 0)
    ss2 = rng.choice([0.5, 0.125, 0.0, 2.0], n)
    return lam, level, gamma, ss2


@pytest.mark.parametrize("kind", ["train", "gen"])
def test_crossing_s_grid_matches_scalar(kind):
    lam, level, gamma, ss2 = _random_cells(200, 1)
    grid = th.crossing_s_grid(kind, lam, level, gamma, ss2, 0.5)
    cells = zip(lam, level, gamma, ss2, strict=True)
    ref = np.array([th._crossing_s(kind, *c, 0.5) for c in cells])
    assert np.array_equal(np.isinf(grid), np.isinf(ref))
    assert np.array_equal(grid == 0, ref == 0)
    assert (ref == 0).any() and (kind == "train" or np.isinf(ref).any())
    ok = np.isfinite(ref) & (ref > 0)
    assert ok.sum() > 50
    np.testing.assert_allclose(grid[ok], ref[ok], rtol=1e-8, atol=0)


def test_crossing_s_grid_broadcasts_and_plateaus():
    lam = np.array([0.3, 0.9, 1.5])[:, None]
    gamma = np.array([0.0, 1e-3, 1e-2])[None, :]
    s, limit = th.crossing_s_grid("gen", lam, 1e-3, gamma, plateau=True)
    assert s.shape == limit.shape == (3, 3)
    for i in range(3):
        for j in range(3):
            ref = th.plateau_wd(float(lam[i, 0]), float(gamma[0, j]), "gen")
            assert limit[i, j] == pytest.approx(ref, rel=1e-13, abs=1e-300)
    assert np.isinf(s[2, 0])  # λ = 1.5, γ = 0: plateau 1 − 1/λ > level


def _base(**kw):
    return lt.Config(eta=0.01, eps=1e-3, threshold="a95", **kw)


@pytest.mark.parametrize(
    "base, axes",
    [
        (_base(lam=0.9),
         {"gamma": np.logspace(-6, -1, 7), "d_out": np.array([1, 3, 20, 700, 2000])}),
        (_base(d_out=1), {"gamma": np.logspace(-6, -1, 6), "lam": np.linspace(0.02, 2.0, 7)}),
        (_base(gamma=0.0),
         {"d_out": np.array([1, 5, 50, 1500]), "lam": np.linspace(0.1, 1.9, 6)}),
        (_base(lam=0.7, wd_convention="torch", init_scale=0.5), {"gamma": np.array([0.0, 1e-4]),
                                                                 "d_out": np.array([1, 4])}),
    ],
)
def test_theory_grid_matches_per_cell_loop(base, axes):
    ds = lt.theory_grid(base, **axes)
    names = list(axes)
    vals = [axes[n] for n in names]
    ref = lt._grid_loop(base, names, vals, tuple(len(v) for v in vals))
    for k in ("t_train", "t_gen", "loss_train_inf", "loss_gen_inf"):
        want = np.where(np.isfinite(ref[k]), ref[k], np.nan)
        got = ds[k].values
        assert np.array_equal(np.isnan(got), np.isnan(want)), k
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=0, equal_nan=True, err_msg=k)
    assert np.array_equal(ds["never_groks"].values, ~np.isfinite(ref["t_gen"]))
    assert set(ds.coords) == set(names)


def test_never_groks_mask_is_plateau_above_level():
    d_out = np.array([1, 2, 10, 100, 1000])
    ds = lt.theory_grid(_base(lam=0.9), gamma=np.logspace(-6, -1, 15), d_out=d_out)
    l_star = np.array([loss_threshold(1e-3, int(d), "a95") for d in d_out])
    assert np.array_equal(ds["never_groks"].values, ds["loss_gen_inf"].values >= l_star[None, :])
    assert ds["never_groks"].values.any() and not ds["never_groks"].values.all()
    assert np.isnan(ds["delay"].values[ds["never_groks"].values]).all()


def test_d_out_scaling_identity():
    """t*(d_out) = d_out t*¹ at the level d_out·L*(d_out) (spec §3)."""
    d_out = np.array([1, 7, 50, 300])
    ds = lt.theory_grid(_base(lam=0.6), d_out=d_out)
    for i, d in enumerate(d_out):
        level = d * loss_threshold(1e-3, int(d), "a95")
        for kind in ("train", "gen"):
            s1 = th._crossing_s(kind, 0.6, level, 0.0, 0.5, 0.5)
            want = d * s1 / (4 * 0.01)
            assert float(ds[f"t_{kind}"][i]) == pytest.approx(want, rel=1e-9, abs=0)


def test_fallback_loop_for_label_noise():
    ds = lt.theory_grid(_base(lam=0.5, label_noise=0.01), lam=np.array([0.3, 0.5]))
    assert ds["t_gen"].shape == (2,)


def test_grid_rejects_unstable_eta():
    with pytest.raises(ValueError, match="eta"):
        lt.theory_grid(lt.Config(lam=0.5, eta=0.3, eps=1e-3), lam=np.array([0.1, 1.9]))
