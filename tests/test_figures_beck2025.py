"""Every figure of Beck, Levi, Bar-Sinai 2025: reproduce (quick; full with --runslow), the files
exist, the data round-trips through the store, and every claim passes (a claim that does not
reproduce is a strict xfail with its numbers); plus the CPU runtime estimate of the full
N = 4·10⁴ variants."""

from __future__ import annotations

import pytest
from figure_checks import reproduce_and_check

from groklab.figures import figure_ids
from groklab.figures.beck2025 import _columns as col
from groklab.figures.beck2025 import curves
from groklab.models.separability_config import Config

FIG13_XFAIL = pytest.mark.xfail(strict=True, reason=(
    "App. F.3 says b₀ changes whether the test loss is non-monotone; at λ = 0.48 the "
    "measured L_gen rises by 48%, 28% and 97% for b₀ = 0, 1, −1: non-monotone for all three"
))
IDS = [
    "beck2025/fig1",
    "beck2025/fig2",
    "beck2025/fig3",
    "beck2025/fig4",
    "beck2025/fig5",
    "beck2025/fig8",
    "beck2025/fig9",
    "beck2025/fig10",
    "beck2025/fig11",
    "beck2025/fig12",
    pytest.param("beck2025/fig13", marks=FIG13_XFAIL),
    "beck2025/fig14",
    "beck2025/fig15",
    "beck2025/fig16",
]


def test_every_paper_figure_of_the_issue_is_registered():
    ids = {p if isinstance(p, str) else p.values[0] for p in IDS}
    assert ids == {i for i in figure_ids() if i.startswith("beck2025/")}


@pytest.mark.parametrize("fig_id", IDS)
def test_quick(fig_id, tmp_path):
    ds = reproduce_and_check(fig_id, True, tmp_path)
    if fig_id == "beck2025/fig1":
        from groklab.figures._compose import split

        left = split(ds)["left"]
        # columns λ = 0.05, 0.48, 0.52: the draws were LP-classified as asked
        assert not bool(left["separable"].values[1, 0]) and bool(left["separable"].values[2, 0])


@pytest.mark.slow
@pytest.mark.parametrize("fig_id", IDS)
def test_full(fig_id, tmp_path):
    reproduce_and_check(fig_id, False, tmp_path)


def test_runtime_estimate_printed(capsys):
    cfg = Config(d=48, n_train=100, sigma=5.0, eta=0.01, t_max=10**4)
    est = col.announce_runtime([col.Case("small", cfg)], t_max=1e4, method="gd", name="test",
                               proxy_n=50)
    err = capsys.readouterr().err
    assert est is not None and est["seconds"] > 0
    assert "estimated run time" in err and "N = 100, d = 48" in err
    # the proxy (N = 50, d = 24) is scaled by N·d = 4
    assert est["parts"][0]["scale_Nd"] == pytest.approx(4.0)


def test_full_fig1_announces_its_run_time_first(monkeypatch):
    calls = []

    class Stop(Exception):
        pass

    def fake(cases, **kw):
        calls.append((cases, kw))
        raise Stop

    monkeypatch.setattr(col, "announce_runtime", fake)
    with pytest.raises(Stop):
        curves.compute_fig1_left(quick=False)
    cases, kw = calls[0]
    assert [c.config.n_train for c in cases] == [40_000] * 3
    assert [c.config.d for c in cases] == [2000, 19200, 20800]
    assert kw["t_max"] == 1e6 and kw["method"] == "flow"
