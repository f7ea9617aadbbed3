"""Feature-array interface (spec beck2026 §4.1, Figs. 3 and 9; claim 19) and `groklab features`."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from typer.testing import CliRunner

from groklab import features
from groklab.cli import app
from groklab.theory.logit_reg_multiclass import sample_multiclass

runner = CliRunner()


def _expected(K, p, n, sf, sn, mu_f=1.0):
    """Leading-order expectations of the Eq. 35 estimates for mu_c = mu_f e_c (derived).

    ||mu_c - mu_bar||^2 = mu_f^2 (K-1)/K; plug-in means add ((K-1)/K) tr(Sigma)/n to m^2, and
    the estimated S tilts into S^perp by t = sigma_n^2 (p-K+1)/(n mu_f^2) per direction, which
    mixes sigma_n^2 into sigma_f^2 (and a little sigma_f^2 into sigma_n^2).
    """
    tr = sf**2 * (K - 1) + sn**2 * (p - K + 1)
    m = np.sqrt(mu_f**2 * (K - 1) / K + (K - 1) / K * tr / n)
    t = sn**2 * (p - K + 1) / (n * mu_f**2)
    s_f = np.sqrt(sf**2 * (1 - t) + sn**2 * t)
    s_n = np.sqrt(sn**2 + (sf**2 - sn**2) * t * (K - 1) / (p - K + 1))
    return m, s_f / m, s_n / m


@pytest.mark.parametrize(("K", "p", "n", "sf", "sn"), [(3, 50, 2000, 0.5, 1.0),
                                                       (10, 100, 500, 0.2, 0.4)])
def test_estimate_recovers_sigma_f_and_sigma_n(K, p, n, sf, sn):
    X, y = sample_multiclass(K, p, n, sf, sn, seed=0)
    res = features.estimate(X, y)
    m, rf, rn = _expected(K, p, n, sf, sn)
    assert res["m"] == pytest.approx(m, rel=0.03)
    assert res["sigma_f_over_m"] == pytest.approx(rf, rel=0.03)
    assert res["sigma_n_over_m"] == pytest.approx(rn, rel=0.03)
    # the normalization is mu_f sqrt((K-1)/K), not mu_f (spec §4.1 step 4): 18 % off at K = 3
    if K == 3:
        assert abs(res["m"] - 1.0) > 0.15
    assert res["K"] == K and res["p"] == p and res["n_per_class"] == [n] * K
    assert len(res["sigma_f_c"]) == K and len(res["sigma_n_c"]) == K


def test_spectrum_of_isotropic_noise_is_flat_marchenko_pastur():
    K, p, n, sn = 4, 80, 1000, 0.7
    X, y = sample_multiclass(K, p, n, 0.3, sn, seed=1)
    res = features.estimate(X, y)
    spec = np.array(res["spectrum"])
    N, dim = K * n, p - K + 1
    assert spec.size == dim and np.all(np.diff(spec) <= 0)
    # mean eigenvalue = pooled sigma_n^2 (same quantity, two computations)
    pooled = np.mean(np.array(res["sigma_n_c"]) ** 2)
    assert spec.mean() == pytest.approx(pooled, rel=1e-10)
    assert spec.mean() == pytest.approx(sn**2, rel=0.03)
    # edges of the Marchenko-Pastur law, aspect ratio dim/N = 0.019
    r = np.sqrt(dim / N)
    assert sn**2 * (1 - r) ** 2 * 0.93 < spec[-1] and spec[0] < sn**2 * (1 + r) ** 2 * 1.07


def test_estimate_label_values_are_arbitrary():
    X, y = sample_multiclass(3, 10, 50, 0.3, 0.5, seed=2)
    a = features.estimate(X, y)
    b = features.estimate(X, np.array([3, 7, 9])[y])
    assert b["classes"] == [3, 7, 9]
    assert a["sigma_f_c"] == pytest.approx(b["sigma_f_c"], rel=1e-14)


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.zeros((4, 3)), np.array([0, 0, 1]), "one label per row"),
        (np.ones((4, 3)), np.array([0, 0, 0, 0]), "at least 2 classes"),
        (np.ones((5, 3)), np.array([0, 0, 1, 1, 2]), r"class\(es\) \[2\]"),
        (np.array([[np.nan, 1, 2], [1, 2, 3], [1, 1, 1], [0, 0, 1]]), np.array([0, 0, 1, 1]),
         "NaN or inf in 1 rows"),
        (np.ones((6, 2)), np.array([0, 0, 1, 1, 2, 2]), "p = 2 must be >= the number of classes"),
        (np.ones((4, 3)), np.array([0.5, 0, 1, 1]), "integer class labels"),
        (np.ones(4), np.array([0, 0, 1, 1]), "must be 2-D"),
    ],
)
def test_estimate_errors(X, y, match):
    with pytest.raises(ValueError, match=match):
        features.estimate(X, y)


# ---- probe (Fig. 9) ------------------------------------------------------------------------


def test_probe_alpha_sweep_and_orthogonal_scaling():
    # K = 5, p = 40, N_train = 60 (lambda = 0.67), sigma_f = 0.3, sigma_n = 1 (measured numbers:
    # alpha = 0: 0.448 / 0.644 / 0.637 at gamma = 1 / 10 / 30; alpha = 0.02: 0.681 and
    # alpha = 0.2: 0.687 at every gamma)
    Xtr, ytr = sample_multiclass(5, 40, 12, 0.3, 1.0, seed=10)
    Xte, yte = sample_multiclass(5, 40, 400, 0.3, 1.0, seed=100)
    start = time.perf_counter()
    res = features.probe(Xtr, ytr, Xte, yte, [0.0, 0.02, 0.2], [1.0, 10.0, 30.0])
    assert time.perf_counter() - start < 10
    acc = np.array(res["acc_test"])
    assert all(r["converged"] for r in res["runs"])
    # accuracy rises with alpha (at gamma = 1) ...
    assert acc[0, 0] + 0.1 < acc[1, 0] <= acc[2, 0] + 0.02
    # ... alpha > 0 is gamma-invariant (exact for the unique minimizer: gamma is a linear
    # reparameterization), alpha = 0 (separable, no minimizer) is not
    np.testing.assert_array_equal(acc[1:], acc[1:, :1].repeat(3, axis=1))
    assert acc[0].max() - acc[0].min() > 0.1
    assert [r["separable_train"] for r in res["runs"] if r["alpha"] == 0] == [True] * 3


def test_probe_errors():
    X, y = sample_multiclass(3, 6, 5, 0.3, 1.0)
    with pytest.raises(ValueError, match="X_test has 5 features but X_train has 6"):
        features.probe(X, y, X[:, :5], y, [0.1])
    with pytest.raises(ValueError, match=r"y_test has classes \[7\]"):
        features.probe(X, y, X, np.where(y == 2, 7, y), [0.1])
    with pytest.raises(ValueError, match=r"'alpha' values must be floats in the range \[0, 1\)"):
        features.probe(X, y, X, y, [1.0])
    with pytest.raises(ValueError, match=r"'gamma' values must be floats in the range \(0, inf\)"):
        features.probe(X, y, X, y, [0.1], [0.0])


# ---- CLI -----------------------------------------------------------------------------------


def _files(tmp_path):
    Xtr, ytr = sample_multiclass(3, 10, 10, 0.3, 1.0, seed=1)
    Xte, yte = sample_multiclass(3, 10, 50, 0.3, 1.0, seed=2)
    paths = []
    for name, arr in (("xtr", Xtr), ("ytr", ytr), ("xte", Xte), ("yte", yte)):
        path = tmp_path / f"{name}.npy"
        np.save(path, arr)
        paths.append(str(path))
    return paths


def _fails(result, fragment):
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.stderr.startswith("Error: ") and fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_cli_estimate_json_and_table(tmp_path):
    xtr, ytr, xte, yte = _files(tmp_path)
    result = runner.invoke(app, ["features", "estimate", xte, yte, "--json"])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert obj["K"] == 3 and obj["p"] == 10 and len(obj["spectrum"]) == 8
    ref = features.estimate(np.load(xte), np.load(yte))  # same numbers as the library
    assert obj["sigma_f_over_m"] == pytest.approx(ref["sigma_f_over_m"], rel=1e-14)
    table = runner.invoke(app, ["features", "estimate", xte, yte])
    assert table.exit_code == 0 and "sigma_f/m" in table.stdout


def test_cli_probe_json_and_table(tmp_path):
    xtr, ytr, xte, yte = _files(tmp_path)
    result = runner.invoke(app, ["features", "probe", xtr, ytr, xte, yte, "--alpha", "0.05,0.2",
                                 "--gamma", "1,5", "--json"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert obj["alphas"] == [0.05, 0.2] and obj["gammas"] == [1.0, 5.0]
    assert np.array(obj["acc_test"]).shape == (2, 2) and len(obj["runs"]) == 4
    table = runner.invoke(app, ["features", "probe", xtr, ytr, xte, yte, "--alpha", "0.2"])
    assert table.exit_code == 0 and "test accuracy" in table.stdout


def test_cli_bad_input(tmp_path):
    xtr, ytr, xte, yte = _files(tmp_path)
    _fails(runner.invoke(app, ["features", "estimate", str(tmp_path / "no.npy"), ytr]),
           "does not exist")
    (tmp_path / "junk.npy").write_text("not numpy")
    _fails(runner.invoke(app, ["features", "estimate", str(tmp_path / "junk.npy"), ytr]),
           "Cannot read features file")
    _fails(runner.invoke(app, ["features", "estimate", xte, ytr]), "one label per row")
    _fails(runner.invoke(app, ["features", "probe", xtr, ytr, xte, yte, "--alpha", "x"]),
           "--alpha must be a comma-separated list")
    _fails(runner.invoke(app, ["features", "probe", xtr, ytr, xte, yte, "--penalty", "l1"]),
           "'penalty' parameter must be one of")
