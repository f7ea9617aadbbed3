"""The figure registry, reproduce() and the HTML report, with a toy recipe."""

from __future__ import annotations

import json

import numpy as np
import pytest

from groklab import figures
from groklab.figures import figure_ids, get_figure, register, reproduce, unregister
from groklab.report import write_report

TOY_ID = "toytest/fig9"


def _compute(n: int):
    import xarray as xr

    t = np.arange(n, dtype=float)
    return xr.Dataset(
        {"loss_gen": ("t", np.exp(-t / 3)), "acc_gen": ("t", 1 - np.exp(-t))},
        coords={"t": t},
        attrs={"time_unit": "steps"},
    )


def _plot(ds, path):
    from groklab.figures._style import THEORY, log_axes, new_figure, save_figure

    fig, ax = new_figure()
    ax.plot(ds["t"] + 1, ds["loss_gen"], **THEORY)
    log_axes(ax, x=True, y=True)
    save_figure(fig, path)


def _claims(ds):
    final = float(ds["loss_gen"][-1])
    return [
        {"claim": "loss decays", "measured": final, "expected": "< 0.5", "passed": final < 0.5},
        {"claim": "a <b> & c", "measured": np.nan, "expected": 1.0, "passed": np.bool_(False)},
    ]


@pytest.fixture
def toy_figure():
    recipe = register(
        TOY_ID,
        paper="Toy et al. 2099",
        number="9",
        title="A toy figure",
        compute_quick=lambda: _compute(8),
        compute_full=lambda: _compute(32),
        plot=_plot,
        claims=_claims,
    )
    yield recipe
    unregister(TOY_ID)


def test_registry_lists_and_finds(toy_figure):
    assert TOY_ID in figure_ids()
    assert get_figure(TOY_ID) is toy_figure


def test_unknown_figure_suggests_close_match(toy_figure):
    with pytest.raises(
        ValueError,
        match=r"Unknown figure 'toytest/fig8'\. Did you mean 'toytest/fig9'\? "
        r"Run `groklab figures` to list them\.",
    ):
        get_figure("toytest/fig8")


def test_duplicate_and_malformed_ids_are_rejected(toy_figure):
    kwargs = dict(
        paper="p",
        number=1,
        title="t",
        compute_quick=_compute,
        compute_full=_compute,
        plot=_plot,
        claims=_claims,
    )
    with pytest.raises(ValueError, match=r"already registered; a changed figure gets a new id"):
        register(TOY_ID, **kwargs)
    with pytest.raises(ValueError, match=r"must look like 'paper/figure'"):
        register("fig1", **kwargs)


def test_registry_works_without_figure_modules(monkeypatch):
    monkeypatch.setattr(figures, "_MODULES", ["groklab.figures.does_not_exist"])
    monkeypatch.setattr(figures, "_loaded", False)
    monkeypatch.setattr(figures, "_REGISTRY", {})
    assert figure_ids() == []


def test_figure_package_submodules_are_imported(monkeypatch, tmp_path):
    pkg = tmp_path / "toypaper_figs"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "_helpers.py").write_text("raise RuntimeError('private modules are not imported')\n")
    (pkg / "figa.py").write_text(
        "from groklab.figures import register\n"
        "register('toypaper/figa', paper='p', number='1', title='t', compute_quick=dict,\n"
        "         compute_full=dict, plot=None, claims=None)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(figures, "_MODULES", ["toypaper_figs"])
    monkeypatch.setattr(figures, "_loaded", False)
    monkeypatch.setattr(figures, "_REGISTRY", {})
    assert figure_ids() == ["toypaper/figa"]


def test_reproduce_writes_files_and_claims(toy_figure, tmp_path):
    from groklab.store import load

    record = reproduce(TOY_ID, quick=True, out_dir=tmp_path)
    stem = tmp_path / "toytest" / "fig9"
    for suffix in (".png", ".pdf", ".nc", ".claims.json"):
        assert stem.with_name("fig9" + suffix).stat().st_size > 0, suffix
    assert not list(stem.parent.glob("*.tmp-*"))
    assert record["variant"] == "quick" and record["n_passed"] == 1 and record["n_failed"] == 1
    on_disk = json.loads(stem.with_name("fig9.claims.json").read_text())
    assert on_disk["claims"][1]["measured"] is None  # NaN -> null
    assert on_disk["claims"][1]["passed"] is False
    assert on_disk["files"]["png"] == "toytest/fig9.png"
    ds = load(stem.with_name("fig9.nc"))
    assert ds.sizes["t"] == 8 and ds.attrs["figure"] == TOY_ID
    assert reproduce(TOY_ID, quick=False, out_dir=tmp_path)["variant"] == "full"
    assert load(stem.with_name("fig9.nc")).sizes["t"] == 32


def test_report_includes_figure_and_claims(toy_figure, tmp_path):
    reproduce(TOY_ID, quick=True, out_dir=tmp_path)
    path = write_report(tmp_path)
    assert path == tmp_path / "report.html"
    html = path.read_text()
    assert '<img src="toytest/fig9.png"' in html
    assert "A toy figure" in html and "Toy et al. 2099" in html and "Fig. 9" in html
    assert "a &lt;b&gt; &amp; c" in html  # escaped
    assert html.count('<td class="pass">') == 1 and html.count('<td class="fail">') == 1
    assert "1 of 2 claims pass" in html


def test_report_without_figures_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No reproduced figures under .*reproduce all"):
        write_report(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"No folder .*missing"):
        write_report(tmp_path / "missing")


def test_report_flags_corrupt_claims_file(tmp_path):
    from groklab.store import CorruptResultError

    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f.claims.json").write_text("{not json")
    with pytest.raises(CorruptResultError, match=r"Claims file .*f\.claims\.json is unreadable"):
        write_report(tmp_path)


def test_cli_reproduce_exit_codes_separate_findings_from_errors(toy_figure, tmp_path):
    """Exit 1: a figure ran but a claim failed (a finding); exit 3: a figure raised."""
    from typer.testing import CliRunner

    from groklab.cli import app

    runner = CliRunner()
    args = ["reproduce", TOY_ID, "--quick", "--out", str(tmp_path)]
    result = runner.invoke(app, args)  # the toy's second claim fails
    assert result.exit_code == 1, result.output
    assert "failing claims" in result.output + result.stderr
    broken = "toytest/broken"
    register(broken, paper="p", number=1, title="t", compute_quick=lambda: 1 / 0,
             compute_full=lambda: 1 / 0, plot=_plot, claims=_claims)
    try:
        result = runner.invoke(app, ["reproduce", broken, "--quick", "--out", str(tmp_path)])
    finally:
        unregister(broken)
    assert result.exit_code == 3, result.output
    assert "could not be computed" in result.output + result.stderr
    assert "ZeroDivisionError" in result.output
