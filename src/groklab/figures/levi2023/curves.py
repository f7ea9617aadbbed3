"""Figs. 1, 2, 3 and 6 of Levi, Beck, Bar-Sinai 2023: loss and accuracy curves vs theory.

Spec ``levi2023-linear-estimators.md`` §7. Common to the curve figures (1–3):

* Simulations are the exact eigen-solution of discrete GD (spec §2.1) over several seeds; seed 0
  is the main line, the min–max over seeds a light band. N_tr = round(d_in/λ) and the theory
  (black, train dashed, generalization solid) is evaluated at the *realized* λ = d_in/N_tr.
* One common time grid per figure: t = 0 plus ~300 log-spaced integers up to the horizon
  T_max = the smallest power of 10 ≥ 5 × the largest finite theory t*_gen, and ≥ 10⁴.
* Diamonds mark the train accuracy reaching the level, stars the generalization accuracy
  (seed 0 of the simulation); every seed's t* and the theory t* are stored.

Fig. 1 (λ = 0.1, 0.9, 1.5; threshold ``erf2``; right: Δt vs λ for ε = 1e-2…1e-6 by exact
root-finding, Eq. 12 dashed), Fig. 2 (d_out = 1, 50, 700; ``a95``; right: Δt vs d_out for
λ = 0.3…0.9), Fig. 3 (γ = 1e-5, 1e-3, 1e-2 at λ = 0.9; ``a95``; right: Δt vs γ stopping at
γ_c(λ), γ ≥ γ_c shaded) and Fig. 6 (App. B: exact MP curves at λ = 0.9 vs Eqs. 22, 23, 11).

Each ``compute_*`` returns one ``xarray.Dataset``; the plots read only that Dataset.
"""

from __future__ import annotations

import math

import numpy as np

from groklab.figures import claim as _claim
from groklab.figures import register

__all__ = [
    "compute_fig1",
    "compute_fig2",
    "compute_fig3",
    "compute_fig6",
    "plot_fig1",
    "plot_fig2",
    "plot_fig3",
    "plot_fig6",
    "claims_fig1",
    "claims_fig2",
    "claims_fig3",
    "claims_fig6",
]

PAPER = "Levi, Beck, Bar-Sinai 2023 (arXiv:2310.16441)"
ETA, EPS = 0.01, 1e-3
#: Losses below this are dominated by float64 round-off of the eigen-solution (zero modes of
#: Σ_tr come out of ``eigh`` as |ν| ~ 1e-16); comparisons use values above 10× this floor.
ROUNDOFF_FLOOR = 1e-14
FULL = {"d_in": 1000, "seeds": 5, "n_gen": 10_000, "n_t": 300}
QUICK = {"d_in": 200, "seeds": 3, "n_gen": 2000, "n_t": 200}
CAPTION_D_OUT_MAX = 50


# ================================================================================ shared parts
def _config(d_in: int, lam: float, n_gen: int, **kw):
    from groklab.models.linear_teacher import Config

    # n_train (not lam) so that the theory runs at the realized λ = d_in/N_tr (spec §7)
    return Config(d_in=d_in, n_train=max(1, round(d_in / lam)), n_gen=n_gen, eta=ETA, eps=EPS, **kw)


def _common_times(configs, n: int = 300) -> np.ndarray:
    from groklab.models import linear_teacher as lt

    t_max = max(int(lt.default_times(c, n=2)[-1]) for c in configs)
    return lt.default_times(configs[0].replace(t_max=t_max), n=n)


def _nan_if_none(x) -> float:
    return math.nan if x is None else float(x)


def _curve_cases(configs, case_values, case_name: str, seeds: int, n_t: int):
    """Simulation (case, seed, t) and theory (case, t) of each config on a common grid."""
    import xarray as xr

    from groklab.models import linear_teacher as lt

    t = _common_times(configs, n_t)
    sims, ths, th_t = [], [], []
    for c in configs:
        sim = lt.simulate(c, t, seeds=seeds, method="exact")
        sims.append(sim)
        with np.errstate(over="ignore", divide="ignore"):  # Eq. 10 at L = 0 (underflow) is 1
            ths.append(lt.predict(c, t))
        th_t.append(lt.theory_times(c))
    seed = sims[0]["seed"].values
    data = {}
    for k in ("loss_train", "loss_gen", "loss_gen_sample", "acc_train", "acc_gen"):
        data[f"sim_{k}"] = (("case", "seed", "t"), np.stack([s[k].values for s in sims]))
    for k in ("loss_train", "loss_gen", "acc_train", "acc_gen"):
        data[f"th_{k}"] = (("case", "t"), np.stack([p[k].values for p in ths]))
    for k in ("t_train", "t_gen"):
        data[f"sim_{k}"] = (
            ("case", "seed"),
            np.array([[_nan_if_none(g[k]) for g in s.attrs["grokking"]] for s in sims]),
        )
    data["th_t_train"] = ("case", np.array([x[0] for x in th_t]))
    data["th_t_gen"] = ("case", np.array([x[1] for x in th_t]))
    data["loss_level"] = ("case", np.array([lt.loss_threshold(c) for c in configs]))
    data["acc_level"] = ("case", np.array([c.accuracy_level for c in configs]))
    data["lam_realized"] = ("case", np.array([c.lam_realized for c in configs]))
    data["n_train"] = ("case", np.array([c.n_train_eff for c in configs]))
    data["d_out"] = ("case", np.array([c.d_out for c in configs]))
    data["gamma"] = ("case", np.array([c.gamma for c in configs], dtype=float))
    plateaus = np.array([lt.loss_plateaus(c) for c in configs])
    data["th_loss_train_inf"] = ("case", plateaus[:, 0])
    data["th_loss_gen_inf"] = ("case", plateaus[:, 1])
    ds = xr.Dataset(data, coords={"case": np.arange(len(configs)), "seed": seed, "t": t})
    ds = ds.assign_coords({case_name: ("case", np.asarray(case_values))})
    ds["t"].attrs.update(long_name="GD step", units="steps")
    ds.attrs.update(
        case_name=case_name,
        configs=[c.to_dict() for c in configs],
        simulation="exact eigen-solution of discrete GD (spec §2.1), float64",
        theory="Marchenko–Pastur large-d theory at the realized λ = d_in/N_tr, unit norm",
        note="sim_t_* are NaN when not reached within the horizon; th_t_* are inf when never",
    )
    return ds


def _loss_floor(level: float) -> float:
    """Lower edge of the loss panels: three decades below L* (and ≥ 10× round-off)."""
    return max(10 ** (math.floor(math.log10(level)) - 3), 10 * ROUNDOFF_FLOOR)


def _log_agreement(ds, case: int, kind: str) -> dict:
    """How well the theory follows the simulated ``kind`` loss of ``case``.

    Window: t ≥ 1 where the theory and every seed lie above the figure's loss floor
    (:func:`_loss_floor`, 10⁻³ below L*, and ≥ 10× the round-off floor). Below it the decay of
    a finite sample is set by its own smallest eigenvalue, not by λ₋ (spec §2.5, claim 14).
    ``max_log_dev`` = max |⟨log L_sim⟩_seeds − log L_th| (log of the seeds' geometric mean) and
    ``max_scatter_ratio`` = max of that deviation over (seed std of log L_sim + 0.05): a
    factor-2 error of the theory gives ≥ 0.69/0.06 ≈ 11 where the seeds agree.
    ``max_log_dev_above_level``: the same deviation while the theory is above L*.
    """
    sim = ds[f"sim_{kind}"].isel(case=case).values
    th = ds[f"th_{kind}"].isel(case=case).values
    t = ds["t"].values
    floor = _loss_floor(float(ds["loss_level"].min()))
    ok = (t >= 1) & (th > floor) & (sim.min(axis=0) > floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(sim[:, ok])
        dev = np.abs(logs.mean(axis=0) - np.log(th[ok]))
        sd = logs.std(axis=0, ddof=1) if sim.shape[0] > 1 else np.zeros(ok.sum())
    above = th[ok] >= float(ds["loss_level"].isel(case=case))
    return {
        "max_log_dev": float(dev.max()),
        "max_scatter_ratio": float((dev / (sd + 0.05)).max()),
        "max_log_dev_above_level": float(dev[above].max()) if above.any() else math.nan,
        "t_range": [float(t[ok].min()), float(t[ok].max())],
    }



def _draw_cases(ds, ax_loss, ax_acc, labels) -> None:
    """Left and centre panels of Figs. 1–3: simulation (colour), theory (black), markers."""
    from groklab.figures import _style as st

    t = ds["t"].values
    pos = t >= 1
    for i in range(ds.sizes["case"]):
        c = st.color(i)
        case = ds.isel(case=i)
        for ax, kinds in (
            (ax_loss, ("loss_train", "loss_gen")),
            (ax_acc, ("acc_train", "acc_gen")),
        ):
            for kind in kinds:
                ls = st.TRAIN_LS if "train" in kind else st.GEN_LS
                sim = case[f"sim_{kind}"].values[:, pos]
                ax.fill_between(t[pos], sim.min(0), sim.max(0), color=c, alpha=0.18, lw=0)
                label = labels[i] if kind.endswith("gen") else None
                ax.plot(t[pos], sim[0], color=c, ls=ls, label=label)
                ax.plot(t[pos], case[f"th_{kind}"].values[pos], ls=ls, **st.THEORY)
        level, acc_level = float(case["loss_level"]), float(case["acc_level"])
        t_tr0 = float(case["sim_t_train"].values[0])
        t_gen0 = float(case["sim_t_gen"].values[0])
        for ax, y in ((ax_loss, level), (ax_acc, acc_level)):
            st.mark_crossing(ax, t_tr0, y, "train", c)
            st.mark_crossing(ax, t_gen0, y, "gen", c)
    level = float(ds["loss_level"].min())
    ax_loss.axhline(level, color="0.5", lw=0.6, ls=":")
    ax_acc.axhline(float(ds["acc_level"].values[0]), color="0.5", lw=0.6, ls=":")
    st.log_axes(ax_loss, y=True)
    st.log_axes(ax_acc)
    ax_loss.set_ylim(_loss_floor(level), 2 * float(ds["th_loss_gen"].max()))
    ax_loss.set_xlim(1, t[-1])
    ax_acc.set_xlim(1, t[-1])
    ax_acc.set_ylim(-0.02, 1.02)
    ax_loss.set_xlabel("t (GD steps)")
    ax_acc.set_xlabel("t (GD steps)")
    ax_loss.set_ylabel("loss")
    ax_acc.set_ylabel("accuracy")
    from matplotlib.lines import Line2D

    handles, lab = ax_loss.get_legend_handles_labels()
    handles += [
        Line2D([], [], color="0.3", ls=st.TRAIN_LS, label="train"),
        Line2D([], [], color="0.3", ls=st.GEN_LS, label="gen"),
        Line2D([], [], **st.THEORY, label="theory"),
    ]
    ax_loss.legend(handles=handles, loc="lower left", frameon=False)


def _sweep_colors(n: int):
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    return [cmap(x) for x in np.linspace(0.0, 0.85, n)]


# ====================================================================================== Fig. 1
FIG1_LAMS = (0.1, 0.9, 1.5)
FIG1_EPS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)


def _delta_t_exact(lam: float, eps: float, threshold: str, d_out: int = 1, gamma: float = 0.0):
    from groklab.models import linear_teacher_theory as th

    return th.grokking_times(ETA, lam, eps, gamma=gamma, d_out=d_out, threshold=threshold)


def _lam_grid(n: int) -> np.ndarray:
    """``n`` λ in [0.01, 0.999]: half linear up to 0.9, half λ = 1 − 10^u (dense near 1)."""
    lin = np.linspace(0.01, 0.9, n // 2, endpoint=False)
    return np.concatenate([lin, 1.0 - np.logspace(-1, -3, n - n // 2)])


def compute_fig1(d_in: int, seeds: int, n_gen: int, n_t: int, n_lam: int):
    """Fig. 1: curves at λ = 0.1, 0.9, 1.5 and Δt(λ) for several ε (threshold erf2)."""
    from groklab.models import linear_teacher_theory as th

    configs = [_config(d_in, lam, n_gen, threshold="erf2") for lam in FIG1_LAMS]
    ds = _curve_cases(configs, list(FIG1_LAMS), "lam", seeds, n_t)
    # right panel: λ = 1 − 10^u, denser near 1
    lam_grid = _lam_grid(n_lam)
    dt = np.array(
        [[_delta_t_exact(lam, eps, "erf2").delay for lam in lam_grid] for eps in FIG1_EPS]
    )
    ds = ds.assign_coords(eps=np.array(FIG1_EPS), lam_grid=lam_grid)
    ds["dt_exact"] = (("eps", "lam_grid"), dt)
    ds["dt_eq12"] = ("lam_grid", th.delta_t_eq12(lam_grid, ETA))
    ds.attrs.update(
        figure_params={
            "d_in": d_in,
            "seeds": seeds,
            "n_gen": n_gen,
            "n_t": n_t,
            "n_lam": n_lam,
            "eta": ETA,
            "eps": EPS,
            "threshold": "erf2",
        }
    )
    return ds


def plot_fig1(ds, path) -> None:
    from groklab.figures import _style as st

    fig, (a0, a1, a2) = st.new_figure(1, 3, width=10.5, height=3.2)
    labels = [f"λ = {lam:g}" for lam in ds["lam"].values]
    _draw_cases(ds, a0, a1, labels)
    lam = ds["lam_grid"].values
    for c, eps in zip(_sweep_colors(ds.sizes["eps"]), ds["eps"].values, strict=True):
        a2.plot(lam, ds["dt_exact"].sel(eps=eps).values, color=c, label=f"ε = {eps:.0e}")
    a2.plot(lam, ds["dt_eq12"].values, label="Eq. 12", **st.THEORY_APPROX)
    a2.set_yscale("log")
    a2.set_xlabel("λ = d_in / N_tr")
    a2.set_ylabel("Δt_grok (GD steps)")
    a2.legend(frameon=False, loc="upper left")
    a0.set_title("losses (d_out = 1, γ = 0)")
    a1.set_title(f"accuracies, ε = {EPS:g}")
    a2.set_title("grokking delay vs λ")
    st.save_figure(fig, path)


def claims_fig1(ds) -> list[dict]:
    out = []
    n_seeds = ds.sizes["seed"]
    d_in = int(ds.attrs["figure_params"]["d_in"])
    for i, lam in enumerate(ds["lam"].values):
        for kind in ("loss_train", "loss_gen"):
            ag = _log_agreement(ds, i, kind)
            out.append(
                _claim(
                    f"Fig. 1, λ = {lam:g}: theory {kind} (Eq. 8, no fitting parameters) lies "
                    "within the seed-to-seed scatter of the simulation: "
                    "max |⟨log L_sim⟩ − log L_th| ≤ 2 × (seed std of log L_sim + 0.05) "
                    "over the plotted range (L > 1e-3 L*)",
                    ag,
                    "max_scatter_ratio ≤ 2",
                    ag["max_scatter_ratio"] <= 2.0,
                )
            )
    # λ = 1.5: plateau 1 − 1/λ, no grokking
    i = int(np.argmax(ds["lam"].values))
    lam_r = float(ds["lam_realized"].values[i])
    plateau = float(ds["sim_loss_gen"].isel(case=i, t=-1).mean())
    expected = 1 - 1 / lam_r
    n_null = d_in - int(ds["n_train"].values[i])
    tol = 3 * math.sqrt(2 / (n_null * n_seeds))  # χ² scatter of the null-space part, 3σ
    out.append(
        _claim(
            f"Fig. 1, λ = {lam_r:.4g} > 1: L_gen plateaus at 1 − 1/λ (1/3 at λ = 1.5); seed "
            f"mean at t = {int(ds['t'].values[-1])} within 3σ of the χ²_(d_in−N_tr) scatter",
            {
                "plateau_sim_mean": plateau,
                "per_seed": ds["sim_loss_gen"].isel(case=i, t=-1).values,
                "relative_tolerance": tol,
            },
            expected,
            abs(plateau / expected - 1) <= tol,
        )
    )
    never_sim = bool(np.all(np.isnan(ds["sim_t_gen"].isel(case=i).values)))
    max_acc = float(ds["sim_acc_gen"].isel(case=i).max())
    out.append(
        _claim(
            f"Fig. 1, λ = {lam_r:.4g}: the generalization accuracy never reaches the level "
            "(simulation, every seed, and theory)",
            {"max_sim_acc_gen": max_acc, "theory_t_gen": float(ds["th_t_gen"].values[i])},
            f"< {float(ds['acc_level'].values[i]):.4g}; theory t*_gen = inf",
            never_sim and math.isinf(float(ds["th_t_gen"].values[i])),
        )
    )
    for i, lam in enumerate(ds["lam"].values):
        if lam >= 1:
            continue
        tg, tt = ds["sim_t_gen"].isel(case=i).values, ds["sim_t_train"].isel(case=i).values
        out.append(
            _claim(
                f"Fig. 1, λ = {lam:g} < 1: grokking occurs (train then generalization "
                "accuracy reach the level, every seed), t*_gen > t*_train",
                {
                    "sim_t_train": tt,
                    "sim_t_gen": tg,
                    "theory": [float(ds["th_t_train"].values[i]), float(ds["th_t_gen"].values[i])],
                },
                "finite, t_gen > t_train",
                bool(np.all(np.isfinite(tg)) and np.all(tg > tt)),
            )
        )
    # seed-median delay vs theory delay
    for i, lam in enumerate(ds["lam"].values):
        if lam >= 1:
            continue
        d_sim = float(np.median(ds["sim_t_gen"].values[i] - ds["sim_t_train"].values[i]))
        d_th = float(ds["th_t_gen"].values[i] - ds["th_t_train"].values[i])
        out.append(
            _claim(
                f"Fig. 1, λ = {lam:g}: simulated Δt (seed median) matches the theory "
                "within a factor 1.5",
                {"sim": d_sim, "theory": d_th, "ratio": d_sim / d_th},
                "ratio in [2/3, 1.5]",
                2 / 3 <= d_sim / d_th <= 1.5,
            )
        )
    # right panel: exact Δt -> Eq. 12 as ε -> 0 (claim 11), at a few λ
    lam_grid = ds["lam_grid"].values
    rel = {}
    for lam in (0.3, 0.5, 0.7):
        j = int(np.argmin(np.abs(lam_grid - lam)))
        eq12 = float(ds["dt_eq12"].values[j])
        rel[f"{lam_grid[j]:.3f}"] = [abs(float(v) / eq12 - 1) for v in ds["dt_exact"].values[:, j]]
    mono = all(all(np.diff(r) < 0) for r in rel.values())
    out.append(
        _claim(
            "Fig. 1 right: the exact Δt approaches Eq. 12 as ε → 0 (|Δt/Eq.12 − 1| decreasing over "
            "ε = 1e-2 … 1e-6 at λ ≈ 0.3, 0.5, 0.7)",
            rel,
            "strictly decreasing in ε → 0",
            mono,
        )
    )
    dt = ds["dt_exact"].values
    finite = bool(np.all(np.isfinite(dt)))
    growing = bool(np.all(dt[:, -1] > 10 * dt[:, 0]))
    out.append(
        _claim(
            "Fig. 1 right: Δt grows steeply as λ → 1 but stays finite at finite ε (erratum 14); "
            "Eq. 12 diverges",
            {
                "dt_at_lam_min": dt[:, 0],
                "dt_at_lam_max": dt[:, -1],
                "lam_range": [float(lam_grid[0]), float(lam_grid[-1])],
            },
            "finite everywhere; Δt(λ_max) > 10 Δt(λ_min)",
            finite and growing,
        )
    )
    return out


register(
    "levi2023/fig1",
    paper=PAPER,
    number="1",
    title="Losses and accuracies for λ = 0.1, 0.9, 1.5 vs theory; grokking delay Δt vs λ",
    compute_quick=lambda: compute_fig1(**QUICK, n_lam=40),
    compute_full=lambda: compute_fig1(**FULL, n_lam=200),
    plot=plot_fig1,
    claims=claims_fig1,
    description="d_out = 1, γ = 0, ε = 1e-3, η = 0.01, threshold erf2 (L* = ε/4). Exact "
    "eigen-solution over seeds vs Eq. 8/10 at the realized λ; right: exact root-finding for "
    "ε = 1e-2 … 1e-6 and Eq. 12 (dashed).",
)


# ====================================================================================== Fig. 2
FIG2_D_OUT_FULL = (1, 50, 700)
FIG2_D_OUT_QUICK = (1, 10, 50)
FIG2_LAMS = (0.3, 0.5, 0.7, 0.9)


def _log_int_grid(lo: int, hi: int, n: int) -> np.ndarray:
    return np.unique(np.round(np.logspace(math.log10(lo), math.log10(hi), n)).astype(np.int64))


def compute_fig2(d_in: int, seeds: int, n_gen: int, n_t: int, d_outs, n_dout: int):
    """Fig. 2: curves at d_out = 1, 50, 700 (λ = 0.9) and Δt(d_out) for several λ (a95)."""
    from scipy.special import gammaincinv

    from groklab.theory.special import loss_threshold

    configs = [_config(d_in, 0.9, n_gen, d_out=d, threshold="a95") for d in d_outs]
    ds = _curve_cases(configs, list(d_outs), "d_out_case", seeds, n_t)
    grid = _log_int_grid(1, 3000, n_dout)
    dt = np.array(
        [[_delta_t_exact(lam, EPS, "a95", d_out=int(d)).delay for d in grid] for lam in FIG2_LAMS]
    )
    ds = ds.assign_coords(lam_line=np.array(FIG2_LAMS), d_out_grid=grid)
    ds["dt_exact"] = (("lam_line", "d_out_grid"), dt)
    # Δt = 0 once 1/d_out ≤ L*, i.e. d_out² ε ≥ 2 gammaincinv(d_out/2, 0.95)
    ds["zero_by_formula"] = (
        "d_out_grid",
        np.array([d * d * EPS >= 2 * gammaincinv(d / 2, 0.95) for d in grid]),
    )
    ds["loss_level_grid"] = (
        "d_out_grid",
        np.array([loss_threshold(EPS, int(d), "a95") for d in grid]),
    )
    ds.attrs.update(
        figure_params={
            "d_in": d_in,
            "seeds": seeds,
            "n_gen": n_gen,
            "n_t": n_t,
            "lam": 0.9,
            "d_outs": list(d_outs),
            "n_dout": n_dout,
            "eta": ETA,
            "eps": EPS,
            "threshold": "a95",
        }
    )
    return ds


def plot_fig2(ds, path) -> None:
    from groklab.figures import _style as st

    fig, (a0, a1, a2) = st.new_figure(1, 3, width=10.5, height=3.2)
    labels = [f"d_out = {d}" for d in ds["d_out_case"].values]
    _draw_cases(ds, a0, a1, labels)
    grid = ds["d_out_grid"].values
    dt_all = ds["dt_exact"].values
    floor = 10 ** math.floor(math.log10(np.nanmin(dt_all[dt_all > 0])) - 1)
    for c, lam in zip(_sweep_colors(ds.sizes["lam_line"]), ds["lam_line"].values, strict=True):
        dt = ds["dt_exact"].sel(lam_line=lam).values
        a2.plot(grid, np.where(dt > 0, dt, floor), color=c, label=f"λ = {lam:g}")
        k = int(np.nanargmax(dt))
        a2.plot([grid[k]], [dt[k]], "o", ms=3, color=c)
    a2.axvline(CAPTION_D_OUT_MAX, color="0.6", lw=0.6, ls=":")
    a2.set_xscale("log")
    a2.set_yscale("log")
    a2.set_ylim(bottom=floor)
    a2.set_xlabel("d_out")
    a2.set_ylabel("Δt_grok (GD steps; 0 at the floor)")
    a2.legend(frameon=False, loc="lower left")
    a0.set_title("losses (λ = 0.9)")
    a1.set_title(f"accuracies, ε = {EPS:g}")
    a2.set_title("grokking delay vs d_out")
    st.save_figure(fig, path)


def claims_fig2(ds) -> list[dict]:
    out = []
    for i, d in enumerate(ds["d_out_case"].values):
        for kind in ("loss_train", "loss_gen"):
            ag = _log_agreement(ds, i, kind)
            out.append(
                _claim(
                    f"Fig. 2, d_out = {d}: simulated {kind} follows (1/d_out) L¹(η/d_out) "
                    "(Eq. 13) within the seed scatter "
                    "(max |⟨log L_sim⟩ − log L_th| ≤ 2 × (seed std + 0.05))",
                    ag,
                    "max_scatter_ratio ≤ 2",
                    ag["max_scatter_ratio"] <= 2.0,
                )
            )
    grid = ds["d_out_grid"].values
    dt = ds.sel(lam_line=0.9)["dt_exact"].values
    k = int(np.nanargmax(dt))
    out.append(
        _claim(
            "Fig. 2 right: Δt is non-monotonic in d_out with an interior maximum at λ = 0.9 (soft: "
            f"caption says d_out^max ≃ {CAPTION_D_OUT_MAX})",
            {
                "argmax_d_out": int(grid[k]),
                "max_dt": float(dt[k]),
                "dt_at_d_out_1": float(dt[0]),
                "caption": CAPTION_D_OUT_MAX,
            },
            "interior maximum (0 < index < last)",
            0 < k < len(grid) - 1 and dt[k] > dt[0],
        )
    )
    all_dt = ds["dt_exact"].values
    zero = all_dt == 0
    formula = np.broadcast_to(ds["zero_by_formula"].values, zero.shape)
    out.append(
        _claim(
            "Fig. 2 right: Δt = 0 exactly where d_out² ε ≥ 2 gammaincinv(d_out/2, 0.95) (spec §3)",
            {
                "n_zero": int(zero[0].sum()),
                "first_zero_d_out": int(grid[np.argmax(zero[0])]) if zero[0].any() else None,
                "mismatches": int((zero != formula).sum()),
            },
            "0 mismatches",
            not np.any(zero != formula),
        )
    )
    i1 = int(np.flatnonzero(ds["d_out_case"].values == 1)[0])
    tg = ds["sim_t_gen"].isel(case=i1).values
    out.append(
        _claim(
            "Fig. 2, d_out = 1: grokking occurs in every seed (t*_gen finite, > t*_train)",
            {"sim_t_train": ds["sim_t_train"].isel(case=i1).values, "sim_t_gen": tg},
            "finite, t_gen > t_train",
            bool(np.all(np.isfinite(tg)) and np.all(tg > ds["sim_t_train"].isel(case=i1).values)),
        )
    )
    return out


register(
    "levi2023/fig2",
    paper=PAPER,
    number="2",
    title="Losses and accuracies for several d_out vs Eq. 13; grokking delay Δt vs d_out",
    compute_quick=lambda: compute_fig2(**QUICK, d_outs=FIG2_D_OUT_QUICK, n_dout=60),
    compute_full=lambda: compute_fig2(**FULL, d_outs=FIG2_D_OUT_FULL, n_dout=200),
    plot=plot_fig2,
    claims=claims_fig2,
    description="λ = 0.9, γ = 0, ε = 1e-3, η = 0.01, threshold a95. Quick variant uses "
    "d_out = 1, 10, 50 at d_in = 200; right panel by the §3 scaling identity, Δt = 0 at the "
    "axis floor.",
)


# ====================================================================================== Fig. 3
FIG3_GAMMAS = (1e-5, 1e-3, 1e-2)
FIG3_LAMS = (0.3, 0.5, 0.7, 0.9)


def compute_fig3(d_in: int, seeds: int, n_gen: int, n_t: int, n_gamma: int):
    """Fig. 3: curves at γ = 1e-5, 1e-3, 1e-2 (λ = 0.9) and Δt(γ) up to γ_c(λ) (a95)."""
    from groklab.models import linear_teacher_theory as th
    from groklab.theory.special import loss_threshold

    configs = [_config(d_in, 0.9, n_gen, gamma=g, threshold="a95") for g in FIG3_GAMMAS]
    ds = _curve_cases(configs, list(FIG3_GAMMAS), "gamma_case", seeds, n_t)
    level = loss_threshold(EPS, 1, "a95")
    gammas = np.logspace(-6, -1, n_gamma)
    gc = np.array([th.gamma_critical(lam, level) for lam in FIG3_LAMS])
    dt = np.full((len(FIG3_LAMS), n_gamma), np.nan)
    for a, lam in enumerate(FIG3_LAMS):
        for b, g in enumerate(gammas):
            if g < gc[a]:
                dt[a, b] = _delta_t_exact(lam, EPS, "a95", gamma=float(g)).delay
    # approach to γ_c: γ = γ_c (1 − 10^−k), where Δt diverges (logarithmically in 1 − γ/γ_c)
    near_k = np.arange(1, 7)
    gamma_near = gc[:, None] * (1 - 10.0 ** -near_k[None, :])
    dt_near = np.array(
        [
            [_delta_t_exact(lam, EPS, "a95", gamma=float(g)).delay for g in row]
            for lam, row in zip(FIG3_LAMS, gamma_near, strict=True)
        ]
    )
    ds = ds.assign_coords(lam_line=np.array(FIG3_LAMS), gamma_grid=gammas, near_k=near_k)
    ds["gamma_near_gc"] = (("lam_line", "near_k"), gamma_near)
    ds["dt_near_gc"] = (("lam_line", "near_k"), dt_near)
    ds["dt_exact"] = (("lam_line", "gamma_grid"), np.where(np.isfinite(dt), dt, np.nan))
    ds["gamma_c"] = ("lam_line", gc)
    # the theory at the realized λ of each plotted curve, for the classification claim
    ds["gamma_c_case"] = (
        "case",
        np.array([th.gamma_critical(float(lr), level) for lr in ds["lam_realized"].values]),
    )
    ds.attrs.update(
        figure_params={
            "d_in": d_in,
            "seeds": seeds,
            "n_gen": n_gen,
            "n_t": n_t,
            "lam": 0.9,
            "gammas": list(FIG3_GAMMAS),
            "n_gamma": n_gamma,
            "eta": ETA,
            "eps": EPS,
            "threshold": "a95",
            "wd_convention": "paper",
        }
    )
    return ds


def plot_fig3(ds, path) -> None:
    from groklab.figures import _style as st

    fig, (a0, a1, a2) = st.new_figure(1, 3, width=10.5, height=3.2)
    labels = [f"γ = {g:.0e}" for g in ds["gamma_case"].values]
    _draw_cases(ds, a0, a1, labels)
    for i in range(ds.sizes["case"]):  # plateaus of Eq. 15 (thin dotted)
        a0.axhline(float(ds["th_loss_gen_inf"].values[i]), color=st.color(i), lw=0.6, ls=":")
    gammas = ds["gamma_grid"].values
    for c, lam in zip(_sweep_colors(ds.sizes["lam_line"]), ds["lam_line"].values, strict=True):
        dt = ds["dt_exact"].sel(lam_line=lam).values
        keep = np.isfinite(dt)
        g_all = np.concatenate([gammas[keep], ds["gamma_near_gc"].sel(lam_line=lam).values])
        dt_all = np.concatenate([dt[keep], ds["dt_near_gc"].sel(lam_line=lam).values])
        a2.plot(g_all, dt_all, color=c, label=f"λ = {lam:g}")
        gc = float(ds["gamma_c"].sel(lam_line=lam))
        a2.axvspan(gc, gammas[-1], color="0.5", alpha=0.12, lw=0)
        a2.axvline(gc, color=c, lw=0.6, ls=":")
    a2.set_xscale("log")
    a2.set_yscale("log")
    a2.set_xlim(gammas[0], gammas[-1])
    a2.set_xlabel("weight decay γ")
    a2.set_ylabel("Δt_grok (GD steps)")
    a2.legend(frameon=False, loc="upper left")
    a0.set_title("losses (λ = 0.9, with weight decay)")
    a1.set_title(f"accuracies, ε = {EPS:g}")
    a2.set_title("grokking delay vs γ (gray: γ ≥ γ_c)")
    st.save_figure(fig, path)


def claims_fig3(ds) -> list[dict]:
    out = []
    for i, g in enumerate(ds["gamma_case"].values):
        for kind in ("loss_train", "loss_gen"):
            ag = _log_agreement(ds, i, kind)
            out.append(
                _claim(
                    f"Fig. 3, γ = {g:g}: Eq. 15 follows the weight-decay simulation "
                    "within the seed scatter "
                    "(max |⟨log L_sim⟩ − log L_th| ≤ 2 × (seed std + 0.05))",
                    ag,
                    "max_scatter_ratio ≤ 2",
                    ag["max_scatter_ratio"] <= 2.0,
                )
            )
    for i, g in enumerate(ds["gamma_case"].values):
        th_groks = math.isfinite(float(ds["th_t_gen"].values[i]))
        sim_groks = np.isfinite(ds["sim_t_gen"].isel(case=i).values)
        out.append(
            _claim(
                f"Fig. 3, γ = {g:g}: grokking/no-grokking classification agrees between theory "
                "(Eq. 15 at the realized λ) and the simulation, every seed (claim 21)",
                {
                    "theory_groks": th_groks,
                    "sim_groks_per_seed": sim_groks,
                    "gamma_c_realized_lam": float(ds["gamma_c_case"].values[i]),
                    "theory_L_gen_inf": float(ds["th_loss_gen_inf"].values[i]),
                    "sim_L_gen_final": ds["sim_loss_gen"].isel(case=i, t=-1).values,
                    "loss_level": float(ds["loss_level"].values[i]),
                },
                "all seeds equal the theory",
                bool(np.all(sim_groks == th_groks)),
            )
        )
    ratios, increasing = {}, True
    for lam in ds["lam_line"].values:
        dt = ds["dt_exact"].sel(lam_line=lam).values
        near = ds["dt_near_gc"].sel(lam_line=lam).values
        ratios[f"{lam:g}"] = (near / dt[0]).tolist()
        increasing &= bool(np.all(np.diff(near) > 0) and near[0] > dt[0])
    out.append(
        _claim(
            "Fig. 3 right: Δt grows without bound as γ → γ_c⁻ (derived, spec §4; the paper's text "
            "says the grokking time 'decreases', erratum 5): Δt(γ_c (1 − 10^−k)) / Δt(γ = 1e-6) "
            "for k = 1 … 6, increasing in k",
            ratios,
            "> 1 and increasing in k for every λ",
            increasing,
        )
    )
    return out


register(
    "levi2023/fig3",
    paper=PAPER,
    number="3",
    title="Losses and accuracies with weight decay vs Eq. 15; grokking delay Δt vs γ",
    compute_quick=lambda: compute_fig3(**(QUICK | {"d_in": 400, "seeds": 5}), n_gamma=40),
    compute_full=lambda: compute_fig3(**FULL, n_gamma=100),
    plot=plot_fig3,
    claims=claims_fig3,
    description="λ = 0.9, d_out = 1, ε = 1e-3, η = 0.01, threshold a95, wd_convention paper. "
    "Exact weight-decay eigen-solution vs Eq. 15; right: root-finding on Eq. 15 for "
    "λ = 0.3 … 0.9, each curve stopping at γ_c(λ), γ ≥ γ_c shaded.",
)


# ====================================================================================== Fig. 6
FIG6_LAM = 0.9


def compute_fig6(n_t: int):
    """Fig. 6 (App. B): exact MP losses at λ = 0.9 vs Eqs. 22, 23 and 11 on t ∈ [10, 1e5]."""
    import xarray as xr

    from groklab.models import linear_teacher_theory as th

    t = np.logspace(1, 5, n_t)
    s = 4 * ETA * t
    data = {
        "loss_train_exact": th.loss_train_s(s, FIG6_LAM),
        "loss_gen_exact": th.loss_gen_s(s, FIG6_LAM),
        "loss_train_eq22": th.loss_train_eq22(ETA, t, FIG6_LAM),
        "loss_gen_eq23": th.loss_gen_eq23(ETA, t, FIG6_LAM),
        "loss_gen_eq11": th.loss_gen_eq11(ETA, t, FIG6_LAM),
    }
    ds = xr.Dataset(
        {k: ("t", np.asarray(v, dtype=float)) for k, v in data.items()}, coords={"t": t}
    )
    ds["rel_err_eq22"] = np.abs(ds["loss_train_eq22"] / ds["loss_train_exact"] - 1)
    ds["rel_err_eq23"] = np.abs(ds["loss_gen_eq23"] / ds["loss_gen_exact"] - 1)
    ds["rel_err_eq11"] = np.abs(ds["loss_gen_eq11"] / ds["loss_gen_exact"] - 1)
    ds.attrs.update(
        figure_params={"lam": FIG6_LAM, "eta": ETA, "d_out": 1, "n_t": n_t},
        note="exact L_tr: Bessel form; exact L_gen: integral identity (spec §2.3)",
    )
    return ds


def plot_fig6(ds, path) -> None:
    from groklab.figures import _style as st

    fig, ax = st.new_figure(1, 1, width=4.2, height=3.2)
    t = ds["t"].values
    ax.plot(t, ds["loss_train_exact"], color="#f4a6c6", lw=3, label="L_tr exact (Eq. 8)")
    ax.plot(t, ds["loss_gen_exact"], color="#9ecae1", lw=3, label="L_gen exact (Eq. 8)")
    ax.plot(t, ds["loss_train_eq22"], color="#d62728", ls="--", lw=1.2, label="Eq. 22")
    ax.plot(t, ds["loss_gen_eq23"], color="#1f77b4", ls="--", lw=1.2, label="Eq. 23")
    ax.plot(t, ds["loss_gen_eq11"], color="#1f77b4", ls="-.", lw=1.0, label="Eq. 11 (L_gen)")
    st.log_axes(ax, y=True)
    ymin = float(min(ds["loss_train_exact"].min(), ds["loss_train_eq22"].min()))
    ax.set_ylim(ymin / 3, 3 * float(ds["loss_gen_eq11"].max()))
    ax.set_xlabel("t (GD steps)")
    ax.set_ylabel("loss")
    ax.set_title(f"λ = {ds.attrs['figure_params']['lam']:g}: exact vs late-time forms")
    ax.legend(frameon=False, loc="lower left")
    st.save_figure(fig, path)


def claims_fig6(ds) -> list[dict]:
    out = []
    t = ds["t"].values
    bounds = {"rel_err_eq22": 0.01, "rel_err_eq23": 0.01, "rel_err_eq11": 0.15}
    names = {
        "rel_err_eq22": "Eq. 22 (L_tr)",
        "rel_err_eq23": "Eq. 23 (L_gen)",
        "rel_err_eq11": "Eq. 11 (L_gen)",
    }
    for k in ("rel_err_eq22", "rel_err_eq23"):
        err = ds[k].values
        late = t >= 1e3
        dec = bool(np.all(np.diff(err[late]) <= 0))
        out.append(
            _claim(
                f"Fig. 6: the relative error of {names[k]} against the exact MP curve "
                "decreases with t (checked for t ≥ 1e3) and is small at t = 1e5 (claim 8)",
                {
                    "at_t": {
                        f"{x:g}": float(np.interp(np.log(x), np.log(t), err))
                        for x in (10, 100, 1e3, 1e4, 1e5)
                    },
                    "monotone_t_ge_1e3": dec,
                },
                f"decreasing; < {bounds[k]:g} at t = 1e5",
                dec and err[-1] < bounds[k],
            )
        )
    err = ds["rel_err_eq11"].values
    out.append(
        _claim(
            "Fig. 6: Eq. 11 (leading term only) approximates L_gen less well than Eq. 23 but "
            "tends to it; relative error at t = 1e5",
            {
                f"{x:g}": float(np.interp(np.log(x), np.log(t), err))
                for x in (10, 100, 1e3, 1e4, 1e5)
            },
            f"< {bounds['rel_err_eq11']:g} at t = 1e5 and > Eq. 23's error",
            err[-1] < bounds["rel_err_eq11"] and err[-1] > ds["rel_err_eq23"].values[-1],
        )
    )
    return out


register(
    "levi2023/fig6",
    paper=PAPER,
    number="6",
    title="Exact MP losses at λ = 0.9 vs the late-time forms Eq. 22, 23 and 11 (App. B)",
    compute_quick=lambda: compute_fig6(200),
    compute_full=lambda: compute_fig6(400),
    plot=plot_fig6,
    claims=claims_fig6,
    description="η = 0.01, λ = 0.9, d_out = 1; exact L_tr from the Bessel form and L_gen from "
    "the integral identity; log–log, t ∈ [10, 1e5].",
)
