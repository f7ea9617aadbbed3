"""Figs. 19, 20, 23, 24, 25, 26 and 27 of Žunkovič & Ilievski 2024 (JMLR numbering): ensembles of
the full tensor-network model (A and B trained jointly) learning the K-local rule 30
(spec ``zunkovic2024-local-rules.md`` §5; claims LR-29, LR-30, LR-31).

Every figure reads one summary of the shared ensembles of :mod:`._full_ensemble` (settings none /
L2 λ2 = 1e−4 / L1 λ1 = 1e−3, Adam lr 0.005, batch 128, all 2⁸ training strings; d ∈ {10, 20,
40} and 1000 runs full, d = 6 and 16 / 8 / 6 runs for K = 1 / 2 / 3 quick), so the quick
figures train each K once.

* **Fig. 19** (K = 1) and **Fig. 24** (K = 2, 3) — the mean test error with the runs aligned at
  their t_ε, against t_ε − t on log–log, and ν from a straight-line fit ([project] window: lags
  ≥ 2 record intervals, ⟨E⟩ ≤ 0.1; bootstrap-over-runs error;
  :func:`~groklab.theory.local_rules_stats.fit_nu`).
* **Fig. 20** (K = 1) and **Fig. 25** (K = 2, 3) — the mean D_eff of the left context vectors
  (7 central sites of every test string) aligned at t_ε; dashed: the average over the grokking
  runs of the minimal D_eff among their zero-test-error records.
* **Fig. 23** (K = 1) — densities of t_G = t_ε − t_train (top) and t_ε (bottom), one curve per
  setting and bond dimension d (the printed legends say "D", spec §6); **Fig. 26** (t_G) and
  **Fig. 27** (t_ε) for K = 2, 3. Densities integrate to the fraction of runs that grok.

Times are plotted in epochs (2 Adam steps). Runs that never reach zero test error within the
horizon are counted in every legend and claim and left out of the averages.
"""

from __future__ import annotations

import numpy as np

from groklab.figures import claim, register
from groklab.figures.zunkovic2024._full_ensemble import SETTINGS, summary

__all__ = ["claims_fig19", "claims_fig20", "claims_fig23", "claims_fig24", "claims_fig25",
           "claims_fig26", "claims_fig27", "compute", "plot_deff", "plot_nu", "plot_times"]

PAPER = "Žunkovič & Ilievski 2024 (JMLR 25(199); arXiv:2210.15435)"
NAMES = tuple(SETTINGS)
#: The D_eff drop window before t_ε: DROP_FRACTION of the horizon, at least DROP_MIN epochs.
DROP_FRACTION = 0.02
DROP_MIN = 5


def compute(quick: bool, k_locals: tuple[int, ...]):
    """The summary of the K-local ensembles (a copy of the cached one)."""
    return summary(bool(quick), tuple(k_locals)).copy(deep=True)


def _epochs(ds, steps):
    return np.asarray(steps, float) / ds.attrs["steps_per_epoch"]


def _n_grok(ds, k, d, s) -> tuple[int, int]:
    """(runs that reach zero test error, runs in the ensemble) of one cell."""
    n = int(ds.attrs["runs"][list(ds["k"].values).index(k)])
    te = ds["t_eps"].sel(k=k, d=d, setting=s).values[:n]
    return int(np.isfinite(te).sum()), n


def _cells(ds, ks=None):
    ks = ds["k"].values if ks is None else ks
    return [(int(k), int(d), str(s)) for k in ks for d in ds["d"].values for s in NAMES]


def _label(ds, k, d, s) -> str:
    g, n = _n_grok(ds, k, d, s)
    return f"{s} ({g}/{n} grok)"


def _grid(ks, ds):
    from groklab.figures import _style as st

    nd = ds.sizes["d"]
    fig, axes = st.new_figure(len(ks), nd, width=3.2 * nd + 0.5, height=2.8 * len(ks))
    return st, fig, np.asarray(axes, dtype=object).reshape(len(ks), nd)


# ---- ν (Figs. 19, 24) ---------------------------------------------------------------------------
def plot_nu(ds, path, ks, number) -> None:
    st, fig, axes = _grid(ks, ds)
    for r, k in enumerate(ks):
        for c, d in enumerate(ds["d"].values):
            ax = axes[r, c]
            drawn = False
            for j, s in enumerate(NAMES):
                one = ds.sel(k=k, d=d, setting=s)
                x = -_epochs(ds, ds["lag"].values)
                y = one["mean_err"].values
                ok = (x > 0) & (y > 0) & np.isfinite(y)
                nu = float(one["nu"])
                lab = _label(ds, k, d, s) + (f", ν = {nu:.2f} ± {float(one['nu_err']):.2f}"
                                             if np.isfinite(nu) else ", no ν fit")
                if ok.any():
                    ax.plot(x[ok], y[ok], color=st.color(j), lw=1.0, label=lab)
                    drawn = True
                else:
                    ax.plot([], [], color=st.color(j), label=lab)
            if drawn:
                st.log_axes(ax, x=True, y=True)
            ax.set_xlabel("t_ε − t (epochs)")
            ax.set_ylabel("aligned mean test error")
            ax.set_title(f"{k}-local, d = {d}", fontsize=8)
            ax.legend(frameon=False, fontsize=5.5)
    fig.suptitle(f"Fig. {number}: full model, aligned mean test error, ν fits", fontsize=9)
    st.save_figure(fig, path)


def _nu_claims(ds, ks, number) -> list[dict]:
    nus, ok = {}, True
    for k in ks:
        for d in ds["d"].values:
            one = ds.sel(k=k, d=d)
            v = {s: [round(float(one["nu"].sel(setting=s)), 3),
                     round(float(one["nu_err"].sel(setting=s)), 3)] for s in NAMES}
            nus[f"K={k} d={d}"] = v
            n0, n2, n1 = (v[s][0] for s in NAMES)
            ok &= bool(np.isfinite([n0, n2, n1]).all() and n0 > n2 and n0 > n1)
    rates, more = {}, True
    for k in ks:
        for d in ds["d"].values:
            one = ds.sel(k=k, d=d)
            after = {s: float(one["spikes_after"].sel(setting=s).sum()
                              / max(float(one["epochs_after"].sel(setting=s).sum()), 1.0))
                     for s in NAMES}
            total = {s: float(np.nanmean(one["spikes"].sel(setting=s).values)) for s in NAMES}
            rates[f"K={k} d={d}"] = {"spikes_per_epoch_after_t_eps": after,
                                     "spikes_per_run": total}
            more &= after["L2"] > after["none"] and after["L1"] > after["none"]
    counts = {f"K={k} d={d} {s}": list(_n_grok(ds, k, d, s)) for k, d, s in _cells(ds, ks)}
    cuts = {f"K={k} d={d} {s}": np.round(ds["nu_cutoff"].sel(k=k, d=d, setting=s).values,
                                         3).tolist() for k, d, s in _cells(ds, ks)}
    books = all(int(ds["count"].sel(k=k, d=d, setting=s).max(initial=0))
                <= _n_grok(ds, k, d, s)[0] for k, d, s in _cells(ds, ks))
    return [
        claim(f"LR-29 (Fig. {number}) [paper]: ν depends on λ — ν(none) > ν(L2) and "
              "ν(none) > ν(L1) for every bond dimension",
              {"nu_and_bootstrap_err": nus, "nu_at_cutoffs_0.05_0.1_0.2": cuts},
              "ν(none) > ν(L2) and ν(none) > ν(L1) (central values) in every (K, d)", ok),
        claim(f"LR-30 (Fig. {number}) [paper]: after t_ε the test error spikes, more often with "
              "larger λ (training-loss spikes: loss > mean + 2·std of the previous 20 epochs)",
              rates, "spike rate after t_ε of L2 and of L1 > that of none, in every (K, d)",
              more),
        claim("Runs that never reach zero test error within the horizon are counted and left "
              "out of the aligned averages", {"grokking_runs_of_runs": counts},
              "no lag averages more runs than grok", books),
    ]


# ---- D_eff (Figs. 20, 25) -----------------------------------------------------------------------
def min_d_eff_line(ds, k, d, s) -> float:
    """The dashed line: mean over the grokking runs of the minimal D_eff among their
    zero-test-error records (NaN when no run groks)."""
    v = ds["min_d_eff_zero"].sel(k=k, d=d, setting=s).values
    return float(np.mean(v[np.isfinite(v)])) if np.isfinite(v).any() else float("nan")


def plot_deff(ds, path, ks, number) -> None:
    st, fig, axes = _grid(ks, ds)
    for r, k in enumerate(ks):
        for c, d in enumerate(ds["d"].values):
            ax = axes[r, c]
            x = _epochs(ds, ds["lag"].values)
            for j, s in enumerate(NAMES):
                y = ds["mean_d_eff"].sel(k=k, d=d, setting=s).values
                ok = np.isfinite(y)
                ax.plot(x[ok], y[ok], color=st.color(j), lw=1.0, label=_label(ds, k, d, s))
                line = min_d_eff_line(ds, k, d, s)
                if np.isfinite(line):
                    ax.axhline(line, color=st.color(j), ls="--", lw=0.8)
            ax.axvline(0.0, color="gray", lw=0.5)
            ax.set_xlabel("t − t_ε (epochs)")
            ax.set_ylabel("aligned mean D_eff")
            ax.set_title(f"{k}-local, d = {d}; dashed: mean min D_eff at zero error",
                         fontsize=6)
            ax.legend(frameon=False, fontsize=5.5)
    fig.suptitle(f"Fig. {number}: full model, mean D_eff aligned at t_ε", fontsize=9)
    st.save_figure(fig, path)


def d_eff_drop(ds, k, d, s) -> dict:
    """The drop of the aligned mean D_eff just before t_ε: over the last W epochs (W =
    DROP_FRACTION of the horizon, ≥ DROP_MIN) and, per epoch, relative to the 4W before."""
    spe = ds.attrs["steps_per_epoch"]
    horizon = int(ds.attrs["params"]["epochs"])
    w = max(DROP_MIN, round(DROP_FRACTION * horizon))
    m = ds["mean_d_eff"].sel(k=k, d=d, setting=s)
    at = lambda e: float(m.sel(lag=-e * spe, method="nearest"))  # noqa: E731
    d0, dw, d5 = at(0), at(w), at(5 * w)
    late = (dw - d0) / dw
    early = (d5 - dw) / d5
    return {"window_epochs": w, "d_eff_at_0": d0, "d_eff_at_-W": dw, "d_eff_at_-5W": d5,
            "relative_drop_last_W": late, "relative_drop_4W_before": early,
            "sharp": bool(np.isfinite(late) and late >= 0.05
                          and late > 2.0 * max(early, 0.0) / 4.0)}


def _deff_claims(ds, ks, number) -> list[dict]:
    drops = {f"K={k} d={d} {s}": d_eff_drop(ds, k, d, s) for k, d, s in _cells(ds, ks)}
    sharp = [v["sharp"] for v in drops.values()]
    below, lines = True, {}
    for k, d, s in _cells(ds, ks):
        line = min_d_eff_line(ds, k, d, s)
        at0 = float(ds["mean_d_eff"].sel(k=k, d=d, setting=s, lag=0.0))
        lines[f"K={k} d={d} {s}"] = {"mean_min_d_eff_zero_error": line, "mean_d_eff_at_t_eps": at0}
        below &= not np.isfinite(line) or line <= at0 + 1e-12
    out = [
        claim(f"LR-29 (Fig. {number}) [paper]: the mean D_eff drops sharply just before t_ε",
              drops, "relative drop over the last W epochs ≥ 5% and its rate > 2× the rate "
              "over the 4W epochs before, in every (K, d, setting)", all(sharp) and bool(sharp)),
        claim("[derived] The dashed line (mean minimal D_eff of zero-test-error records) lies "
              "at or below the aligned mean D_eff at t_ε (t_ε is itself a zero-error record)",
              lines, "line ≤ mean D_eff at lag 0 in every cell", below),
    ]
    coinc, n_sp = {}, {}
    for k, d, s in _cells(ds, ks):
        one = ds.sel(k=k, d=d, setting=s)
        n_sp[f"K={k} d={d} {s}"] = int(np.nansum(one["spikes"].values))
        coinc[f"K={k} d={d} {s}"] = [round(float(one["d_eff_step_spikes"]), 4),
                                     round(float(one["d_eff_step_all"]), 4)]
    rich = [v for key, v in coinc.items() if n_sp[key] >= 3]
    out.append(claim(f"LR-30 (Fig. {number}) [paper]: loss spikes coincide with step changes of "
                     "D_eff (mean |ΔD_eff| across a spike epoch vs across any epoch)",
                     {"mean_abs_step_at_spikes_and_all": coinc, "n_spikes": n_sp},
                     "at spikes > 2× the all-epoch mean, in every cell with ≥ 3 spikes (and ≥ "
                     "one such cell)", bool(rich) and all(a > 2 * b for a, b in rich)))
    if len(ds["k"]) > 1:
        grow = {f"d={d} {s}": [round(min_d_eff_line(ds, k, d, s), 3) for k in ds["k"].values]
                for d in ds["d"].values for s in NAMES}
        ok = all(np.all(np.diff(v) > 0) for v in grow.values())
        out.append(claim(f"Sec. 4.3.2 (Fig. {number}) [paper, expected]: the minimal D_eff of "
                         "zero-test-error states grows with K",
                         {"mean_min_d_eff_for_K_1_2_3": grow},
                         "increasing in K for every (d, setting)", ok))
    return out


# ---- t_G and t_ε densities (Figs. 23, 26, 27) ---------------------------------------------------
def plot_times(ds, path, ks, which, number) -> None:
    """Densities of t_G (``"t_grok"``) and/or t_ε (``"t_eps"``): one row per (quantity, K)."""
    from groklab.figures import _style as st

    rows = [(w, k) for w in which for k in ks]
    fig, axes = st.new_figure(len(rows), 1, width=4.5, height=2.6 * len(rows))
    axes = np.ravel(np.asarray(axes, dtype=object))
    styles = ("-", "--", ":")
    for ax, (w, k) in zip(axes, rows, strict=True):
        edges = ds[f"edges_{w}"].sel(k=k).values
        for j, s in enumerate(NAMES):
            for c, d in enumerate(ds["d"].values):
                pdf = ds[f"pdf_{w}"].sel(k=k, d=d, setting=s).values
                v = ds[w].sel(k=k, d=d, setting=s).values / ds.attrs["steps_per_epoch"]
                mean = np.nanmean(v) if np.isfinite(v).any() else np.nan
                g, n = _n_grok(ds, k, d, s)
                ax.stairs(pdf, edges, color=st.color(j), ls=styles[c % 3], lw=1.0,
                          label=f"{s}, d = {d}: mean {mean:.0f} ({g}/{n} grok)")
        name = "t_G = t_ε − t_train" if w == "t_grok" else "t_ε"
        ax.set_xlabel(f"{name} (epochs)")
        ax.set_ylabel("PDF (mass = fraction grokking)")
        ax.set_title(f"{k}-local", fontsize=8)
        ax.legend(frameon=False, fontsize=5.5)
    fig.suptitle(f"Fig. {number}: full model, time densities (legend: bond dimension d)",
                 fontsize=9)
    st.save_figure(fig, path)


def mean_time(ds, name, k, d, s) -> float:
    """Mean of ``t_grok`` / ``t_eps`` in epochs over the runs that grok (NaN if none)."""
    v = ds[name].sel(k=k, d=d, setting=s).values
    v = v[np.isfinite(v)]
    return float(v.mean() / ds.attrs["steps_per_epoch"]) if v.size else float("nan")


def _means(ds, name, ks) -> dict:
    return {f"K={k} d={d}": {s: round(mean_time(ds, name, k, d, s), 2) for s in NAMES}
            for k in ks for d in ds["d"].values}


def _mass_claim(ds, ks, which) -> dict:
    worst, mass = 0.0, {}
    for w in which:
        for k, d, s in _cells(ds, ks):
            width = np.diff(ds[f"edges_{w}"].sel(k=k).values)
            integral = float(np.sum(ds[f"pdf_{w}"].sel(k=k, d=d, setting=s).values * width))
            g, n = _n_grok(ds, k, d, s)
            mass[f"{w} K={k} d={d} {s}"] = [round(integral, 6), g, n]
            worst = max(worst, abs(integral - g / n))
    return claim("[derived] Each density integrates to the fraction of runs that reach zero test "
                 "error; the others (never within the horizon) are counted, not averaged",
                 {"integral_grokking_runs": mass, "max_abs_gap": worst},
                 "|∫PDF − n_grok/n| ≤ 1e-9 everywhere", worst <= 1e-9)


def _ratio_claim(ds, name, ks, text, top: float) -> dict:
    r = {}
    for k in ks:
        for d in ds["d"].values:
            r[f"K={k} d={d}"] = round(mean_time(ds, name, k, d, "L1")
                                      / mean_time(ds, name, k, d, "none"), 3)
    ok = all(np.isfinite(v) and v < top for v in r.values())
    return claim(text, {"ratio_L1_over_none": r, "means_epochs": _means(ds, name, ks)},
                 f"mean(L1)/mean(none) < {top} in every (K, d)", ok)


def claims_fig23(ds) -> list[dict]:
    ks = (1,)
    l2 = {f"d={d}": round(mean_time(ds, "t_eps", 1, d, "L2")
                          / mean_time(ds, "t_eps", 1, d, "none"), 3) for d in ds["d"].values}
    return [
        _ratio_claim(ds, "t_grok", ks, "LR-29 (Fig. 23) [paper]: mean t_G(L1) ≪ mean t_G(none) "
                     "(ratios, not absolute times)", 0.5),
        _ratio_claim(ds, "t_eps", ks, "Sec. 4.3.2 (Fig. 23) [paper]: L1 reduces t_ε", 1.0),
        claim("Sec. 4.3.2 (Fig. 23) [paper]: L2 mainly reduces t_ε",
              {"ratio_L2_over_none": l2, "means_epochs": _means(ds, "t_eps", ks)},
              "mean t_ε(L2)/mean t_ε(none) < 1 for every d",
              all(np.isfinite(v) and v < 1 for v in l2.values())),
        _mass_claim(ds, ks, ("t_grok", "t_eps")),
    ]


def claims_fig26(ds) -> list[dict]:
    ks = (2, 3)
    grow = {f"d={d} {s}": [round(mean_time(ds, "t_grok", k, d, s), 2) for k in (1, 2, 3)]
            for d in ds["d"].values for s in NAMES}
    inc = all(np.all(np.diff(v) > 0) for v in grow.values())
    l2 = {f"K={k} d={d}": round(mean_time(ds, "t_grok", k, d, "L2")
                                / mean_time(ds, "t_grok", k, d, "none"), 3)
          for k in (1, 2, 3) for d in ds["d"].values}
    return [
        claim("LR-31 (Fig. 26) [paper]: t_G increases with K",
              {"mean_t_grok_epochs_K_1_2_3": grow}, "mean t_G increasing in K for every "
              "(d, setting)", inc),
        _ratio_claim(ds, "t_grok", ks, "LR-31 (Fig. 26) [paper]: L1 always reduces t_G "
                     "(2- and 3-local)", 1.0),
        claim("LR-31 (Fig. 26) [paper]: L2 can increase t_G",
              {"ratio_L2_over_none": l2}, "mean t_G(L2) > mean t_G(none) in at least one "
              "(K, d)", any(np.isfinite(v) and v > 1 for v in l2.values())),
        _mass_claim(ds, ks, ("t_grok",)),
    ]


def claims_fig27(ds) -> list[dict]:
    ks = (2, 3)
    grow = {f"d={d} {s}": [round(mean_time(ds, "t_eps", k, d, s), 2) for k in (1, 2, 3)]
            for d in ds["d"].values for s in NAMES}
    return [
        _ratio_claim(ds, "t_eps", ks, "Sec. 4.3.2 / App. D (Fig. 27) [paper]: L1 reduces t_ε "
                     "(2- and 3-local)", 1.0),
        claim("App. D (Fig. 27) [paper, with LR-31]: t_ε increases with K",
              {"mean_t_eps_epochs_K_1_2_3": grow}, "mean t_ε increasing in K for every "
              "(d, setting)", all(np.all(np.diff(v) > 0) for v in grow.values())),
        _mass_claim(ds, ks, ("t_eps",)),
    ]


def claims_fig19(ds) -> list[dict]:
    return _nu_claims(ds, (1,), 19)


def claims_fig24(ds) -> list[dict]:
    return _nu_claims(ds, (2, 3), 24)


def claims_fig20(ds) -> list[dict]:
    return _deff_claims(ds.sel(k=[1]), (1,), 20)


def claims_fig25(ds) -> list[dict]:
    return _deff_claims(ds, (2, 3), 25)


# ---- registration -------------------------------------------------------------------------------
_DESC = ("Full model (A, B, v^{L,R} from N(0,1); Adam lr 0.005, batch 128, sigmoid-MSE; all 2⁸ "
         "length-8 training strings, open BC); settings none / L2 (λ2 = 1e-4) / L1 (λ1 = 1e-3); "
         "full: d = 10, 20, 40, 1000 runs, 7000 epochs; quick: d = 6, 16 / 8 / 6 runs (K = 1 / 2 "
         "/ 3), 250 epochs. Ensembles shared by Figs. 19, 20, 23-27.")


def _reg(n: int, ks, plot, claims, title: str) -> None:
    register(f"zunkovic2024/fig{n}", paper=PAPER, number=str(n), title=title,
             compute_quick=lambda: compute(True, ks), compute_full=lambda: compute(False, ks),
             plot=plot, claims=claims, description=_DESC)


_reg(19, (1,), lambda ds, p: plot_nu(ds, p, (1,), 19), claims_fig19,
     "Full model, 1-local: aligned mean test error and ν fits")
_reg(20, (1,), lambda ds, p: plot_deff(ds, p, (1,), 20), claims_fig20,
     "Full model, 1-local: mean D_eff aligned at t_ε, minimal zero-error D_eff")
_reg(23, (1,), lambda ds, p: plot_times(ds, p, (1,), ("t_grok", "t_eps"), 23), claims_fig23,
     "Full model, 1-local: t_G (top) and t_ε (bottom) densities")
_reg(24, (1, 2, 3), lambda ds, p: plot_nu(ds, p, (2, 3), 24), claims_fig24,
     "Full model, 2-/3-local: aligned mean test error and ν fits")
_reg(25, (1, 2, 3), lambda ds, p: plot_deff(ds, p, (2, 3), 25), claims_fig25,
     "Full model, 2-/3-local: mean D_eff aligned at t_ε")
_reg(26, (1, 2, 3), lambda ds, p: plot_times(ds, p, (2, 3), ("t_grok",), 26), claims_fig26,
     "Full model, 2-/3-local: t_G densities")
_reg(27, (1, 2, 3), lambda ds, p: plot_times(ds, p, (2, 3), ("t_eps",), 27), claims_fig27,
     "Full model, 2-/3-local: t_ε densities")
