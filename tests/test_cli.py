"""The command-line contract (DESIGN.md "Command line"): JSON schema, exit codes, messages."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from groklab.cli import app, parse_pairs

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr or result.output
    # exactly one JSON object, and strict JSON (no NaN / Infinity tokens)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    return json.loads(lines[0], parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))


def _fails(result, *fragments: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    err = result.stderr
    assert err.startswith("Error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    return err


GROKKING_KEYS = {"detector", "level", "t_train", "t_gen", "delay", "never_reached"}
CURVES = ("loss_train", "loss_gen", "acc_train", "acc_gen")


# ---- predict --------------------------------------------------------------------------------


def test_predict_json_schema():
    obj = _json(_run("predict", "linear-teacher", "lam=0.9", "eps=1e-3", "--json"))
    assert {"model", "params", "time_unit", "t", "curves", "grokking", "advice"} <= set(obj)
    assert obj["model"] == "linear-teacher"
    assert obj["params"]["lam"] == 0.9 and obj["params"]["eps"] == 1e-3
    assert obj["time_unit"] == "steps"
    n = len(obj["t"])
    assert n > 10 and obj["t"] == sorted(obj["t"])
    for name in CURVES:
        assert len(obj["curves"][name]) == n, name
    assert GROKKING_KEYS <= set(obj["grokking"])
    g = obj["grokking"]
    assert g["t_train"] > 0 and g["t_gen"] > g["t_train"]
    assert math.isclose(g["delay"], g["t_gen"] - g["t_train"], rel_tol=1e-9)
    assert g["never_reached"] == []
    assert isinstance(obj["advice"], list)


def test_predict_never_generalizes_gives_nulls_and_advice():
    obj = _json(_run("predict", "linear-teacher", "lam=1.5", "--json"))
    g = obj["grokking"]
    assert g["t_gen"] is None and g["delay"] is None
    assert "t_gen" in g["never_reached"]
    assert "generalization" in g["message"]
    assert obj["advice"], "lam > 1 must come with advice"


def test_predict_threshold_variants():
    a95 = _json(_run("predict", "linear-teacher", "lam=0.5", "threshold=a95", "--json"))
    num = _json(_run("predict", "linear-teacher", "lam=0.5", "threshold=0.95", "--json"))
    assert a95["grokking"]["level"] == num["grokking"]["level"] == 0.95
    assert math.isclose(a95["grokking"]["t_gen"], num["grokking"]["t_gen"], rel_tol=1e-12)


def test_predict_human_output():
    result = _run("predict", "linear-teacher", "lam=0.9")
    assert result.exit_code == 0, result.output
    assert "t_train" in result.stdout and "t_gen" in result.stdout
    assert "loss_gen" in result.stdout


def test_planned_model_is_named_with_its_issue(monkeypatch):
    from groklab.models import registry

    monkeypatch.setitem(registry.PLANNED, "future-model", ("Someone 2027", 99))
    _fails(_run("predict", "future-model"), "planned but not implemented yet (issue 99)")
    listing = _run("models")
    assert listing.exit_code == 0 and "future-model" in listing.stdout


# ---- simulate -------------------------------------------------------------------------------


def test_simulate_json_schema():
    obj = _json(
        _run("simulate", "linear-teacher", "d_in=50", "lam=0.5", "n_gen=200", "seeds=2", "--json")
    )
    assert obj["model"] == "linear-teacher" and obj["params"]["seeds"] == 2
    assert obj["params"]["d_in"] == 50
    n = len(obj["t"])
    for name in CURVES:
        curve = np.array(obj["curves"][name], dtype=float)
        assert curve.shape == (2, n), name
    assert isinstance(obj["grokking"], list) and len(obj["grokking"]) == 2
    for g in obj["grokking"]:
        assert GROKKING_KEYS <= set(g)


def test_simulate_seeds_given_twice_must_agree():
    _fails(
        _run("simulate", "linear-teacher", "d_in=40", "seeds=2", "--seeds", "3"),
        "Give the number of seeds once",
    )


# ---- errors: exit code 2, message naming the key ------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ["predict", "linear-teacher", "lamb=0.9"],
            ["Unknown parameter 'lamb'", "Did you mean 'lam'?", "Allowed parameters:"],
        ),
        (
            ["predict", "linear-teacher", "eta=-0.1"],
            [
                "The 'eta' parameter of Config must be a real number in the range (0, inf)",
                "Got -0.1 instead",
            ],
        ),
        (
            ["predict", "linear-teacher", "d_in=ten"],
            ["The 'd_in' parameter of Config must be an integer", "Got 'ten' instead"],
        ),
        (
            ["predict", "linear-teacher", "threshold=2"],
            ["The 'threshold' parameter of Config must be one of 'a95', 'erf2'", "(0, 1)"],
        ),
        (
            ["predict", "linear-teacher", "threshold=a99"],
            ["The 'threshold' parameter of Config", "Got 'a99' instead"],
        ),
        (
            ["predict", "linear-teachr", "lam=0.9"],
            [
                "Unknown model 'linear-teachr'. Did you mean 'linear-teacher'? "
                "Run `groklab models` to list them."
            ],
        ),
        (
            ["predict", "linear-teacher", "lam0.9"],
            ["Expected a parameter as key=value, got 'lam0.9'"],
        ),
        (["predict", "linear-teacher", "lam=0.5", "lam=0.6"], ["'lam' is given twice"]),
        (
            ["simulate", "linear-teacher", "seeds=0"],
            ["The 'seeds' parameter of simulate must be an integer in the range [1, inf]"],
        ),
        (["predict", "linear-teacher", "seeds=2"], ["Unknown parameter 'seeds'"]),
    ],
)
def test_bad_input_exits_2_with_message(args, fragments):
    _fails(_run(*args), *fragments)


def test_parse_pairs():
    assert parse_pairs(["lam=0.9", "eps = 1e-3"]) == {"lam": "0.9", "eps": "1e-3"}
    assert parse_pairs(None) == {}
    with pytest.raises(ValueError, match=r"Expected a parameter as key=value, got '=3'"):
        parse_pairs(["=3"])


# ---- listings -------------------------------------------------------------------------------


def test_models_lists_families():
    result = _run("models")
    assert result.exit_code == 0, result.output
    for name in (
        "linear-teacher",
        "implemented",
        "separability",
        "logit-reg",
        "langevin-mlp",
        "lam",
        "eps",
        "threshold",
    ):
        assert name in result.stdout, name


def _toy_figure(passing: bool = True):
    import xarray as xr

    from groklab.figures import register

    def compute():
        return xr.Dataset({"y": ("t", np.arange(3.0))}, coords={"t": np.arange(3.0)})

    def plot(ds, path):
        from groklab.figures._style import new_figure, save_figure

        fig, ax = new_figure()
        ax.plot(ds["t"], ds["y"])
        save_figure(fig, path)

    def claims(ds):
        return [
            {
                "claim": "y ends at 2",
                "measured": float(ds["y"][-1]),
                "expected": 2.0,
                "passed": passing,
            }
        ]

    return register(
        "clitoy/fig1",
        paper="Toy 2099",
        number="1",
        title="CLI toy",
        compute_quick=compute,
        compute_full=compute,
        plot=plot,
        claims=claims,
    )


@pytest.fixture
def toy_figure():
    from groklab.figures import unregister

    yield _toy_figure()
    unregister("clitoy/fig1")


def test_figures_lists_registered(toy_figure):
    result = _run("figures")
    assert result.exit_code == 0, result.output
    assert "clitoy/fig1" in result.stdout and "CLI toy" in result.stdout


def test_reproduce_and_report(toy_figure, tmp_path):
    result = _run("reproduce", "clitoy/fig1", "--quick", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "PASS clitoy/fig1" in result.stdout and "1/1 claims pass" in result.stdout
    assert (tmp_path / "clitoy" / "fig1.claims.json").exists()
    result = _run("report", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "report.html") in result.stdout.replace("\n", "")
    assert "clitoy/fig1" in (tmp_path / "report.html").read_text()


def test_reproduce_unknown_figure_and_report_without_figures(tmp_path, toy_figure):
    _fails(
        _run("reproduce", "clitoy/fig2", "--quick"),
        "Unknown figure 'clitoy/fig2'. Did you mean 'clitoy/fig1'?",
    )
    _fails(_run("report", "--out", str(tmp_path / "none")), "No folder")


# ---- sweep ----------------------------------------------------------------------------------


def test_sweep_writes_dataset_with_mask(tmp_path):
    from groklab.store import load

    out = tmp_path / "s.nc"
    result = _run(
        "sweep",
        "linear-teacher",
        "lam=0.2,0.9,1.5",
        "gamma=log:1e-6:1e-2:3",
        "eps=1e-3",
        "--theory",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.stdout and "never groks" in result.stdout
    ds = load(out)
    assert ds.sizes["lam"] == 3 and ds.sizes["gamma"] == 3
    assert ds["never_groks"].dtype == bool
    assert bool(ds["never_groks"].sel(lam=1.5).all())
    assert ds.attrs["grid"] == {"lam": "0.2,0.9,1.5", "gamma": "log:1e-6:1e-2:3"}
    assert ds.attrs["model"] == "linear-teacher" and ds.attrs["config"]["eps"] == 1e-3


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ["lam=0.1:0.9", "--out", "x.nc"],
            ["Cannot read the grid lam='0.1:0.9'", "start:stop:num (linear)"],
        ),
        (["gamma=log:0:1:3"], ["a log grid needs start > 0"]),
        (["lam=0:0.9:3"], ["The 'lam' parameter of Config", "Got 0.0 in its grid instead"]),
        (["lamda=0.1:0.9:3"], ["Unknown parameter 'lamda'", "Did you mean 'lam'?"]),
        (["eps=1e-3"], ["A sweep needs at least one grid"]),
        (["lam=0.1:0.9:3", "--workers", "2"], ["applies to --simulate sweeps only"]),
        (["lam=0.1:0.9:3", "seeds=3"], ["'seeds' parameter applies to --simulate sweeps only"]),
    ],
)
def test_sweep_bad_input_exits_2(args, fragments, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _fails(_run("sweep", "linear-teacher", *args), *fragments)
    assert not (tmp_path / "results").exists()


# ---- true end-to-end (subprocess) -----------------------------------------------------------


def _groklab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from groklab.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_subprocess_exit_codes_and_no_traceback():
    proc = _groklab("predict", "linear-teachr", "lam=0.9")
    assert proc.returncode == 2
    assert proc.stderr.startswith("Error: Unknown model 'linear-teachr'")
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_subprocess_predict_json_without_jax_or_matplotlib():
    code = (
        "import sys, json\n"
        "from groklab.cli import app\n"
        "try:\n"
        "    app(['predict', 'linear-teacher', 'lam=0.95', 'eps=1e-3', '--json'])\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "heavy = sorted(m for m in ('jax', 'matplotlib', 'torch') if m in sys.modules)\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["model"] == "linear-teacher"
    assert proc.stderr.strip().endswith("HEAVY="), proc.stderr


def test_simulate_method_key_selects_the_integrator():
    result = _run("simulate", "separability", "d=8", "lam=0.3", "t_max=1000", "method=flow",
                  "seeds=1", "--json")
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert obj["params"]["method"] == "flow"
    assert len(obj["curves"]["loss_gen"]) == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("simulate", "separability", "d=8", "lam=0.3", "method=bogus"), "'gd' or 'flow'"),
        (("simulate", "separability-1d", "lam=0.3", "method=flow"), "one simulation method"),
    ],
)
def test_simulate_bad_method_exits_2(args, fragment):
    result = _run(*args)
    assert result.exit_code == 2
    assert fragment in result.stderr
