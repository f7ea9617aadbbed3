"""``predict_curves`` (what the CLI prints) against ``predict`` (the Dataset), the SciPy-special
forms that keep the ball theory free of ``scipy.stats``, and the light import path of
``groklab predict``."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from groklab._config import jsonable
from groklab.models.registry import get_model
from groklab.theory import local_rules_ball as th

CASES = [
    ("linear-teacher", {"lam": "0.9", "d_in": "200"}),
    ("separability", {"d": "20", "lam": "0.3"}),  # separable draw: no curves
    ("separability", {"d": "20", "lam": "1.5"}),  # inseparable draw: late-time curves
    ("separability-1d", {"lam": "0.3"}),
    ("logit-reg", {"d": "60", "n_train": "100"}),
    ("logit-reg", {"d": "30", "n_train": "60", "n_classes": "3"}),
    ("ball", {"dim": "5", "n_train": "10", "eps": "2"}),
    ("ball", {"dim": "5", "n_train": "10", "eps": "2", "lam1": "0.05"}),
    ("exp-1d", {"n_train": "5", "eps": "0.4"}),
]


@pytest.mark.parametrize(("model", "params"), CASES)
def test_predict_curves_are_the_predict_dataset(model, params):
    mod = get_model(model)
    config = mod.Config.from_strings(params)
    t, curves, attrs = mod.predict_curves(config)
    ds = mod.predict(config)
    np.testing.assert_array_equal(ds["t"].values, t)
    on_t = sorted(k for k, v in ds.data_vars.items() if v.dims == ("t",))
    assert on_t == sorted(curves)
    for name in on_t:
        np.testing.assert_array_equal(ds[name].values, curves[name], err_msg=name)
    assert json.dumps(jsonable(dict(ds.attrs)), sort_keys=True) == json.dumps(
        jsonable(attrs), sort_keys=True)
    assert ds["t"].attrs["units"] == mod.TIME_UNIT  # predict labels its Dataset


def test_predict_dataset_checks_its_inputs():
    mod = get_model("ball")
    with pytest.raises(ValueError, match="times"):
        mod.predict(mod.Config(), times=[3.0, 1.0])


@pytest.mark.parametrize("dof", [1, 2, 3, 9, 50, 400])
def test_chi2_pdf_matches_scipy_stats(dof):
    x = np.array([-1.0, 1e-300, 1e-5, 0.3, 1.0, 5.0, 40.0, 800.0])
    np.testing.assert_allclose(th.chi2_pdf(x, dof), stats.chi2.pdf(x, dof), rtol=1e-12, atol=0)


@pytest.mark.parametrize(("m", "p"), [(9, 0.3), (100, 1e-5), (1000, 0.999), (50, 0.5)])
def test_binomial_pmf_and_tail_match_scipy_stats(m, p):
    k = np.arange(m + 1)
    np.testing.assert_allclose(th.binom_pmf(k, m, p), stats.binom.pmf(k, m, p),
                               rtol=1e-10, atol=1e-300)
    kmax = th._binom_isf(1e-17, m, p)
    tail_after = stats.binom.sf(kmax, m, p)  # P(K > kmax)
    tail_before = stats.binom.sf(kmax - 1, m, p) if kmax > 0 else math.inf  # P(K ≥ kmax)
    assert tail_after <= 1e-17 < tail_before


def test_cli_predict_skips_xarray_and_scipy_stats():
    code = (
        "import sys\n"
        "from groklab.cli import app\n"
        "for args in (['predict', 'ball', 'dim=5', 'eps=2'], ['predict', 'exp-1d'],\n"
        "             ['predict', 'separability', 'd=20', 'lam=1.5']):\n"
        "    try:\n"
        "        app(args + ['--json'])\n"
        "    except SystemExit as e:\n"
        "        assert not e.code, e.code\n"
        "heavy = sorted(m for m in ('xarray', 'scipy.stats', 'dask', 'jax') if m in sys.modules)\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().endswith("HEAVY="), proc.stderr
