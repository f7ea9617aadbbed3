"""Figs. 16–18 of Beck, Bar-Sinai, Levi 2026 (threshold shift, σ_n-(in)dependence across λ,
the weight-decay contrast): reproduce (quick; full with --runslow), the files exist and every
claim passes; the Fig. 17 step rule stays below the GD stability bound."""

from __future__ import annotations

import pytest
from figure_checks import reproduce_and_check

from groklab.figures.beck2026.threshold import stable_eta
from groklab.models import logit_reg as m

IDS = ["beck2026/fig16", "beck2026/fig17", "beck2026/fig18"]


@pytest.mark.parametrize("fig_id", IDS)
def test_quick(fig_id, tmp_path):
    ds = reproduce_and_check(fig_id, True, tmp_path)
    assert ds.sizes["lam"] >= 3 and ds.sizes["sigma_f"] == 3


@pytest.mark.slow
@pytest.mark.parametrize("fig_id", IDS)
def test_full(fig_id, tmp_path):
    reproduce_and_check(fig_id, False, tmp_path)


@pytest.mark.parametrize(("sigma_n", "expected"), [(1.0, 0.1), (4.0, 0.025)])
def test_stable_eta_halves_until_stable(sigma_n, expected):
    cfg = m.Config(d=260, n_train=200, alpha=0.4, sigma_n=sigma_n, eta=1e-6)
    eta = stable_eta(cfg)
    assert eta == expected
    assert eta <= 0.9 * cfg.eta_bound
    if eta < 0.1:  # halved: the paper's η = 0.1 is refused, and twice the step is too large
        assert 0.9 * cfg.eta_bound < 2 * eta
        with pytest.raises(m.InvalidParameterError, match="stable only for eta"):
            cfg.replace(eta=0.1)
