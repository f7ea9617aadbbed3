"""Figs. 8 and 9 of Beck, Levi, Bar-Sinai 2025: the 1-D toy model (spec
``beck2025-edge-of-separability.md`` §3, §5).

Model: the two points x₁ = −σ, x₂ = σ(1 − 2λ), exponential loss, S₀ = 0.1, b₀ = 0, η = 0.01
(:mod:`groklab.models.separability_1d`).

* **Fig. 8 left, centre** (σ = 5, λ ∈ {0.2, 0.4, 0.48, 0.505, 0.6}): literal GD (JAX, float64,
  coloured) with the gradient flow (LSODA, black) on a common log-spaced grid. Markers: first
  crossing of accuracy ≥ 0.9 (diamond: train, star: generalization), i.e. ``delay_acc(0.9)``.
* **Fig. 8 right** (σ = 20, ε = 10⁻⁵⁰): ``delay_loss(ε)``·ε = (t*_gen − t*_tr)·ε vs 1 − 2λ, with
  t* the first time the train / population loss is ≤ ε. GD cannot reach t* ~ e^{120…190}, so the
  "simulation" is the direct numerical gradient flow in log time (event functions); dashed
  black: the prediction (1/η)(e^{S̃_∞²/2}/G_∞ − 1) of "S̃ = S̃_∞ from the start" (spec §3).
* **Fig. 9 left** (σ = 20, 1 − 2λ = 10⁻³): train and population loss of the flow (colour), GD on
  its reachable early range (grey), the frozen-S̃_∞ solution e^{−b} = e^{−b₀} + ηG_∞t (black
  dashed) and the ε line. **Right:** √``logratio_loss(ε)`` = √log(t*_gen/t*_tr) of the flow vs
  log(1 − 2λ), its least-squares line (slope ± standard error), the corrected Eq. 37
  √(½S̃_∞² − log G_∞) (black) and the slope −1/√2 asymptote |log(1 − 2λ)|/√2 (black dashed).

Near 1 − 2λ → 0 the flow at σ = 20 has not reached S̃_∞ by t*, so it falls below the frozen-S̃
prediction; the claims check the agreement where S̃(t*_tr) = S̃_∞ and the convergence as σ grows
(claim 18). Each ``compute_*`` returns one ``xarray.Dataset``; the plots read only it.
"""

from __future__ import annotations

import math

import numpy as np

from groklab.figures import claim as _claim
from groklab.figures import register

__all__ = [
    "claims_fig8",
    "claims_fig9",
    "compute_fig8",
    "compute_fig9",
    "plot_fig8",
    "plot_fig9",
]

PAPER = "Beck, Levi, Bar-Sinai 2025 (arXiv:2410.04489, ICML 2025)"
ETA, EPS, S0, B0 = 0.01, 1e-50, 0.1, 0.0
ACC_LEVEL = 0.9
FIG8_SIGMA = 5.0
FIG8_LAMS = (0.2, 0.4, 0.48, 0.505, 0.6)
LOSS_SIGMA = 20.0
FIG9_L12 = 1e-3
L12_RANGE = (1e-5, 1e-1)
SIGMA_CONV = (20.0, 100.0, 1000.0)
#: S̃(t*_tr) within this relative distance of S̃_∞ counts as "S̃ = S̃_∞ from the start".
REACHED_RTOL = 1e-6
SQRT_HALF = 1.0 / math.sqrt(2.0)
LN10 = math.log(10.0)

DEF_DELAY_LOSS = (
    "delay_loss(eps) = t*_gen − t*_tr, t* = first t (GD steps) with train / "
    "population loss ≤ eps (gradient-flow event functions)"
)
DEF_LOGRATIO = (
    "logratio_loss(eps) = log(t*_gen / t*_tr), t* = first t with train / "
    "population loss ≤ eps (gradient-flow event functions)"
)
DEF_ACC = (
    f"delay_acc({ACC_LEVEL:g}) markers: first t with accuracy ≥ {ACC_LEVEL:g} "
    "(train diamond, generalization star); GD crossings interpolated in log t"
)



def _lam(l12: float) -> float:
    return 0.5 * (1.0 - float(l12))


def _loss_scan(l12_grid, sigma: float) -> dict:
    """Flow loss-threshold times over 1 − 2λ at ``sigma`` and the frozen-S̃_∞ formulas."""
    from groklab.models import separability_1d_theory as th

    keys = (
        "log_t_train",
        "log_t_gen",
        "log_t_train_pred",
        "log_t_gen_pred",
        "log_ratio_pred",
        "S_ratio_train",
        "S_ratio_gen",
        "S_inf",
        "G_inf",
    )
    out = {k: np.full(len(l12_grid), np.nan) for k in keys}
    for i, l12 in enumerate(l12_grid):
        lam = _lam(l12)
        ev = th.flow(lam, ETA, sigma, S0, B0, eps=EPS)["log_t_star"]
        lt, lg = ev["loss_train"], ev["loss_gen"]
        s_inf = th.S_inf(lam)
        out["log_t_train"][i], out["log_t_gen"][i] = lt, lg
        if math.isfinite(lt) and math.isfinite(lg) and lg > lt:
            sol = th.flow(lam, ETA, sigma, S0, B0, times=np.exp([lt, lg]), eps=EPS)
            out["S_ratio_train"][i], out["S_ratio_gen"][i] = sol["S"] / s_inf
        f = th.grokking_formulas(lam, ETA, EPS, B0)
        out["log_t_train_pred"][i] = f["log_t_train"]
        out["log_t_gen_pred"][i] = f["log_t_gen"]
        out["log_ratio_pred"][i] = f["log_ratio"]
        out["S_inf"][i], out["G_inf"][i] = s_inf, th.G_inf(lam)
    return out


def _log10_diff(la, lb):
    """log10(e^{la} − e^{lb}) for la > lb (arrays)."""
    la, lb = np.asarray(la, float), np.asarray(lb, float)
    with np.errstate(invalid="ignore"):
        return (la + np.log1p(-np.exp(lb - la))) / LN10


# ====================================================================================== Fig. 8
def compute_fig8(t_max: float, n_t: int, n_l12: int):
    """Fig. 8: GD vs flow at σ = 5 (left, centre); delay_loss(ε)·ε vs 1 − 2λ at σ = 20 (right)."""
    import xarray as xr

    from groklab.models import separability_1d as m

    configs = [
        m.Config(
            lam=lam,
            sigma=FIG8_SIGMA,
            eta=ETA,
            S0=S0,
            b0=B0,
            threshold=ACC_LEVEL,
            eps=EPS,
            t_max=t_max,
        )
        for lam in FIG8_LAMS
    ]
    t = np.unique(np.round(m.default_times(t_max, n_t)).astype(np.int64))
    data: dict = {}
    curves = {k: [] for k in ("sim", "th")}
    cross = {k: [] for k in ("sim_t_acc_train", "sim_t_acc_gen", "th_t_acc_train", "th_t_acc_gen")}
    for c in configs:
        sim = m.simulate(c, t)
        th = m.predict(c, t.astype(float))
        curves["sim"].append(sim.isel(seed=0))
        curves["th"].append(th)
        gs, gt = sim.attrs["grokking"][0], th.attrs["grokking"]
        for pre, g in (("sim", gs), ("th", gt)):
            for k in ("train", "gen"):
                v = g[f"t_{k}"]
                cross[f"{pre}_t_acc_{k}"].append(math.nan if v is None else float(v))
    for pre in ("sim", "th"):
        for k in ("log_loss_train", "log_loss_gen", "acc_train", "acc_gen", "S_scaled", "bias"):
            data[f"{pre}_{k}"] = (("lam", "t"), np.stack([d[k].values for d in curves[pre]]))
    for k, v in cross.items():
        data[k] = ("lam", np.array(v))
    data["acc_gen_limit"] = (
        "lam",
        np.array([m.theory.acc_gen_limit(c.lam, c.sigma) for c in configs]),
    )
    # right panel: direct numerical flow at σ = 20, ε = 1e-50
    l12 = np.logspace(math.log10(L12_RANGE[0]), math.log10(L12_RANGE[1]), n_l12)
    scan = _loss_scan(l12, LOSS_SIGMA)
    log10_eps = math.log10(EPS)
    data["log_t_loss_train"] = ("l12", scan["log_t_train"])
    data["log_t_loss_gen"] = ("l12", scan["log_t_gen"])
    data["log10_delay_eps_flow"] = (
        "l12",
        _log10_diff(scan["log_t_gen"], scan["log_t_train"]) + log10_eps,
    )
    data["log10_delay_eps_pred"] = (
        "l12",
        _log10_diff(scan["log_t_gen_pred"], scan["log_t_train_pred"]) + log10_eps,
    )
    data["S_ratio_at_t_train"] = ("l12", scan["S_ratio_train"])
    data["S_ratio_at_t_gen"] = ("l12", scan["S_ratio_gen"])
    # convergence in σ at the smallest 1 − 2λ (claim 18)
    conv = [_loss_scan([l12[0]], s) for s in SIGMA_CONV]
    data["conv_log10_delay_eps_flow"] = (
        "sigma_conv",
        np.array([(_log10_diff(c["log_t_gen"], c["log_t_train"]) + log10_eps)[0] for c in conv]),
    )
    ds = xr.Dataset(
        data,
        coords={"lam": np.array(FIG8_LAMS), "t": t, "l12": l12, "sigma_conv": np.array(SIGMA_CONV)},
    )
    ds["t"].attrs.update(long_name="GD step", units="steps")
    ds["l12"].attrs.update(long_name="1 − 2λ")
    ds.attrs.update(
        figure_params={
            "eta": ETA,
            "S0": S0,
            "b0": B0,
            "sigma_curves": FIG8_SIGMA,
            "sigma_delay": LOSS_SIGMA,
            "eps": EPS,
            "acc_level": ACC_LEVEL,
            "t_max": t_max,
            "n_t": n_t,
            "n_l12": n_l12,
        },
        grokking_time_left_centre=DEF_ACC,
        grokking_time_right=DEF_DELAY_LOSS,
        simulation_curves="literal GD of the 1-D model (JAX, float64), S̃ = σS, step ησ²",
        theory_curves="gradient flow (LSODA in log t, rtol 1e-10), black",
        simulation_right="direct numerical gradient flow (GD cannot reach t* ~ e^{120…190})",
        theory_right="(1/η)(e^{S̃_∞²/2}/G_∞ − 1), exact frozen-S̃_∞ solution (spec §3), dashed",
    )
    return ds


def _panel_curves(ds, ax_loss, ax_acc) -> None:
    from matplotlib.lines import Line2D

    from groklab.figures import _style as st

    t = ds["t"].values.astype(float)
    pos = t >= 1
    for i, lam in enumerate(ds["lam"].values):
        c = st.color(i)
        for ax, kinds in (
            (ax_loss, ("log_loss_train", "log_loss_gen")),
            (ax_acc, ("acc_train", "acc_gen")),
        ):
            for kind in kinds:
                ls = st.TRAIN_LS if "train" in kind else st.GEN_LS
                f = (lambda v: v / LN10) if kind.startswith("log") else (lambda v: v)
                ax.plot(
                    t[pos],
                    f(ds[f"sim_{kind}"].values[i, pos]),
                    color=c,
                    ls=ls,
                    lw=2.6,
                    alpha=0.75,
                    label=f"λ = {lam:g}" if kind.endswith("gen") else None,
                )
                ax.plot(
                    t[pos], f(ds[f"th_{kind}"].values[i, pos]), ls=ls, **(st.THEORY | {"lw": 0.8})
                )
        st.mark_crossing(ax_acc, float(ds["sim_t_acc_train"].values[i]), ACC_LEVEL, "train", c)
        st.mark_crossing(ax_acc, float(ds["sim_t_acc_gen"].values[i]), ACC_LEVEL, "gen", c)
    for ax in (ax_loss, ax_acc):
        st.log_axes(ax)
        ax.set_xlim(1, t[-1])
        ax.set_xlabel("t (GD steps)")
    ax_loss.set_ylim(-12, 8)
    ax_loss.set_ylabel("log₁₀ loss")
    ax_acc.set_ylim(-0.02, 1.02)
    ax_acc.set_ylabel("accuracy")
    ax_acc.axhline(ACC_LEVEL, color="0.5", lw=0.6, ls=":")
    handles, _ = ax_loss.get_legend_handles_labels()
    handles += [
        Line2D([], [], color="0.3", ls=st.TRAIN_LS, label="train"),
        Line2D([], [], color="0.3", ls=st.GEN_LS, label="gen"),
        Line2D([], [], **st.THEORY, label="gradient flow"),
    ]
    ax_loss.legend(handles=handles, loc="lower left", frameon=False, ncol=2)


def plot_fig8(ds, path) -> None:
    from groklab.figures import _style as st

    fig, (a0, a1, a2) = st.new_figure(1, 3, width=10.5, height=3.4)
    _panel_curves(ds, a0, a1)
    p = ds.attrs["figure_params"]
    a0.set_title(f"losses, σ = {p['sigma_curves']:g}, η = {p['eta']:g} (GD colour, flow black)")
    a1.set_title(f"accuracies; markers: first acc ≥ {p['acc_level']:g}")
    l12 = ds["l12"].values
    a2.plot(
        l12,
        10 ** ds["log10_delay_eps_flow"].values,
        color=st.color(1),
        marker="o",
        ms=3,
        label="gradient flow (numerical)",
    )
    a2.plot(
        l12,
        10 ** ds["log10_delay_eps_pred"].values,
        label="(1/η)(exp(S̃∞²/2)/G∞ − 1)",
        **st.THEORY_APPROX,
    )
    st.log_axes(a2, y=True)
    a2.set_xlabel("1 − 2λ")
    a2.set_ylabel("(t*_gen − t*_tr)·ε")
    a2.set_title(f"delay_loss(ε)·ε, ε = {p['eps']:g}, σ = {p['sigma_delay']:g}")
    a2.legend(frameon=False, loc="upper right")
    st.save_figure(fig, path)


def _reached(ds) -> np.ndarray:
    return np.abs(ds["S_ratio_at_t_train"].values - 1) <= REACHED_RTOL


def claims_fig8(ds) -> list[dict]:
    out = []
    lams = ds["lam"].values
    # GD follows the flow
    dev = {}
    for i, lam in enumerate(lams):
        d_acc = float(np.max(np.abs(ds["sim_acc_gen"].values[i] - ds["th_acc_gen"].values[i])))
        lt = ds["th_log_loss_gen"].values[i]
        d_log = np.abs(ds["sim_log_loss_gen"].values[i] - lt) / np.maximum(1.0, np.abs(lt))
        d_logt = np.abs(ds["sim_log_loss_train"].values[i] - ds["th_log_loss_train"].values[i])
        rec = {
            "max_abs_acc_gen": d_acc,
            "max_rel_log_loss_gen": float(d_log.max()),
            "max_rel_log_loss_train": float(
                np.max(d_logt / np.maximum(1.0, np.abs(ds["th_log_loss_train"].values[i])))
            ),
        }
        dev[f"{lam:g}"] = rec
    ok = all(
        r["max_abs_acc_gen"] <= 0.01
        and r["max_rel_log_loss_gen"] <= 0.05
        and r["max_rel_log_loss_train"] <= 0.05
        for r in dev.values()
    )
    out.append(
        _claim(
            "Fig. 8 left/centre: GD (η = 0.01) follows the gradient flow: |ΔA_gen| ≤ 0.01 and "
            "|Δ log L| ≤ 0.05·max(1, |log L_flow|) for train and population loss, every λ. The "
            "S̃ step is ησ² = 0.25, so GD departs from the flow at O(ησ²) in the transient "
            "(largest deviation near t ~ 10–30, where S̃ differs by ~1%)",
            dev,
            "≤ 0.01 (accuracy), ≤ 0.05 (relative log loss)",
            ok,
        )
    )
    i48 = int(np.argmin(np.abs(lams - 0.48)))
    lg = ds["sim_log_loss_gen"].values[i48]
    delays = ds["sim_t_acc_gen"].values - ds["sim_t_acc_train"].values
    nonmono = bool(lg.max() > lg[0] + math.log(2) and lg[-1] < lg[0])
    out.append(
        _claim(
            "Fig. 8, λ = 0.48 (σ = 5): non-monotone population loss (rises by > 2× then "
            "falls below "
            "its start), the mark of grokking",
            {
                "log_L_gen_start": float(lg[0]),
                "log_L_gen_max": float(lg.max()),
                "log_L_gen_end": float(lg[-1]),
            },
            "max > start + log 2, end < start",
            nonmono,
        )
    )
    small = [j for j, lam in enumerate(lams) if lam <= 0.4]
    ratio = float(delays[i48] / max(delays[j] for j in small))
    out.append(
        _claim(
            f"Fig. 8: delay_acc({ACC_LEVEL:g}) at λ = 0.48 exceeds 10× the delay of every λ ≤ 0.4 "
            "(GD)",
            {f"{lams[j]:g}": float(delays[j]) for j in [*small, i48]} | {"ratio": ratio},
            "ratio > 10",
            ratio > 10,
        )
    )
    i6 = int(np.argmax(lams))
    a_end = float(ds["sim_acc_gen"].values[i6, -1])
    lim = float(ds["acc_gen_limit"].values[i6])
    out.append(
        _claim(
            f"Fig. 8, λ = {lams[i6]:g} (separable): A_gen plateaus at the Prop. 3.2 limit "
            "½[1 + erf(1/(√2σM))] < 1 (GD at the last step within 0.01)",
            {"acc_gen_end": a_end, "t_end": int(ds["t"].values[-1])},
            lim,
            abs(a_end - lim) <= 0.01 and lim < ACC_LEVEL,
        )
    )
    # right panel
    reached = _reached(ds)
    fl, pr = ds["log10_delay_eps_flow"].values, ds["log10_delay_eps_pred"].values
    rel = np.abs(10 ** (fl - pr) - 1)
    l12 = ds["l12"].values
    out.append(
        _claim(
            "Fig. 8 right: where S̃(t*_tr) = S̃_∞ (to 1e-6) the flow's delay_loss(ε)·ε equals "
            "(1/η)(e^{S̃_∞²/2}/G_∞ − 1) to relative 1e-6; such points cover 1 − 2λ ≥ 10⁻³",
            {
                "max_rel_dev": float(rel[reached].max()) if reached.any() else math.nan,
                "n_points": int(reached.sum()),
                "smallest_1-2λ": float(l12[reached].min()) if reached.any() else math.nan,
            },
            "≤ 1e-6",
            bool(
                reached.any()
                and rel[reached].max() <= 1e-6
                and l12[reached].min() <= 1e-3
                and reached[l12 >= 1e-3].all()
            ),
        )
    )
    out.append(
        _claim(
            "Fig. 8 right: delay_loss(ε)·ε grows monotonically as 1 − 2λ → 0 (critical slowing "
            "down), by more than 20 decades over 1e-5 … 1e-1",
            {"log10_range": [float(fl[-1]), float(fl[0])]},
            "decreasing in 1 − 2λ; > 20 decades",
            bool(np.all(np.diff(fl) < 0) and fl[0] - fl[-1] > 20),
        )
    )
    conv = ds["conv_log10_delay_eps_flow"].values
    pred0 = float(pr[0])
    errs = np.abs(conv - pred0)
    out.append(
        _claim(
            f"Fig. 8 right, 1 − 2λ = {l12[0]:.0e}: the flow falls below the prediction at "
            "σ = 20 (S̃ has not reached S̃_∞) and converges to it as σ grows (claim 18)",
            {
                "sigma": ds["sigma_conv"].values.tolist(),
                "log10_delay_eps_flow": conv.tolist(),
                "log10_prediction": pred0,
                "S_ratio_at_t_gen_sigma20": float(ds["S_ratio_at_t_gen"].values[0]),
            },
            "|Δ log10| strictly decreasing in σ, < 1e-3 at the largest σ",
            bool(conv[0] < pred0 and np.all(np.diff(errs) < 0) and errs[-1] < 1e-3),
        )
    )
    return out


register(
    "beck2025/fig8",
    paper=PAPER,
    number="8",
    title="1-D toy: losses and accuracies vs t (σ = 5); delay_loss(ε)·ε vs 1 − 2λ (σ = 20)",
    compute_quick=lambda: compute_fig8(t_max=1e7, n_t=150, n_l12=13),
    compute_full=lambda: compute_fig8(t_max=1e8, n_t=400, n_l12=41),
    plot=plot_fig8,
    claims=claims_fig8,
    description="η = 0.01, S₀ = 0.1, b₀ = 0. Left/centre: GD vs gradient flow for λ = 0.2, 0.4, "
    "0.48, 0.505, 0.6, markers at accuracy ≥ 0.9. Right: delay_loss(ε) = t*_gen − t*_tr "
    "(loss ≤ ε = 1e-50) of the numerical flow vs the frozen-S̃_∞ prediction (dashed).",
)


# ====================================================================================== Fig. 9
def _fit(x, y) -> tuple[float, float, float]:
    """Least-squares line y = a x + c: (a, standard error of a, c)."""
    p, cov = np.polyfit(x, y, 1, cov=True)
    return float(p[0]), float(math.sqrt(cov[0, 0])), float(p[1])


def compute_fig9(n_t: int, n_l12: int, t_max_gd: float):
    """Fig. 9: losses at 1 − 2λ = 1e-3 (left); √logratio_loss(ε) vs log(1 − 2λ) (right)."""
    import xarray as xr

    from groklab.models import separability_1d as m
    from groklab.models import separability_1d_theory as th

    lam = _lam(FIG9_L12)
    cfg = m.Config(
        lam=lam,
        sigma=LOSS_SIGMA,
        eta=ETA,
        S0=S0,
        b0=B0,
        eps=EPS,
        t_max=t_max_gd,
        threshold=ACC_LEVEL,
    )
    ev = th.flow(lam, ETA, LOSS_SIGMA, S0, B0, eps=EPS)["log_t_star"]
    top = math.ceil((ev["loss_gen"] + 3 * LN10) / LN10)
    tf = np.concatenate([[0.0], np.logspace(0, top, n_t)])
    sol = th.flow(lam, ETA, LOSS_SIGMA, S0, B0, times=tf, eps=EPS)
    s, b = sol["S"], sol["b"]
    x = 1.0 - 2.0 * lam
    g_inf, s_inf = th.G_inf(lam), th.S_inf(lam)
    log_e_negb = np.logaddexp(-B0, math.log(ETA * g_inf) + np.log(np.maximum(tf, 1e-300)))
    log_e_negb[tf == 0] = -B0
    sim = m.simulate(cfg).isel(seed=0)
    l12 = np.logspace(math.log10(L12_RANGE[0]), math.log10(L12_RANGE[1]), n_l12)
    scan = _loss_scan(l12, LOSS_SIGMA)
    sq_flow = np.sqrt(scan["log_t_gen"] - scan["log_t_train"])
    slope, se, icpt = _fit(np.log(l12), sq_flow)
    conv = [_loss_scan([l12[0]], sg) for sg in SIGMA_CONV]
    data = {
        "flow_log_loss_train": ("tf", b + np.logaddexp(s * x, -s) - math.log(2.0)),
        "flow_log_loss_gen": ("tf", b + 0.5 * s * s),
        "frozen_log_loss_train": ("tf", math.log(g_inf) - log_e_negb),
        "frozen_log_loss_gen": ("tf", 0.5 * s_inf**2 - log_e_negb),
        "sim_log_loss_train": ("t_sim", sim["log_loss_train"].values),
        "sim_log_loss_gen": ("t_sim", sim["log_loss_gen"].values),
        "log_t_loss_train": ("l12", scan["log_t_train"]),
        "log_t_loss_gen": ("l12", scan["log_t_gen"]),
        "sqrt_logratio_flow": ("l12", sq_flow),
        "sqrt_logratio_pred": ("l12", np.sqrt(scan["log_ratio_pred"])),
        "sqrt_logratio_eq37_abs": ("l12", np.abs(np.log(l12)) * SQRT_HALF),
        "fit_line": ("l12", slope * np.log(l12) + icpt),
        "S_ratio_at_t_train": ("l12", scan["S_ratio_train"]),
        "conv_sqrt_logratio_flow": (
            "sigma_conv",
            np.array([math.sqrt(c["log_t_gen"][0] - c["log_t_train"][0]) for c in conv]),
        ),
    }
    ds = xr.Dataset(
        data,
        coords={"tf": tf, "t_sim": sim["t"].values, "l12": l12, "sigma_conv": np.array(SIGMA_CONV)},
    )
    ds["tf"].attrs.update(long_name="t (GD steps), gradient-flow grid")
    ds["t_sim"].attrs.update(long_name="GD step", units="steps")
    ds["l12"].attrs.update(long_name="1 − 2λ")
    ds.attrs.update(
        figure_params={
            "eta": ETA,
            "S0": S0,
            "b0": B0,
            "sigma": LOSS_SIGMA,
            "eps": EPS,
            "l12_left": FIG9_L12,
            "n_t": n_t,
            "n_l12": n_l12,
            "t_max_gd": t_max_gd,
        },
        grokking_time=DEF_LOGRATIO,
        log_t_star_train_left=float(ev["loss_train"]),
        log_t_star_gen_left=float(ev["loss_gen"]),
        fit_slope=slope,
        fit_slope_se=se,
        fit_intercept=icpt,
        fit="least squares of √logratio_loss(ε) (flow) on log(1 − 2λ) over the whole grid",
        predicted_slope=-SQRT_HALF,
        simulation="direct numerical gradient flow (LSODA in log t); GD (JAX) on t ≤ t_max_gd",
        theory="frozen S̃ = S̃_∞: e^{−b} = e^{−b₀} + ηG_∞t; √(½S̃_∞² − log G_∞) (corrected "
        "Eq. 37); |log(1 − 2λ)|/√2 (slope −1/√2)",
    )
    return ds


def plot_fig9(ds, path) -> None:
    from groklab.figures import _style as st

    fig, (a0, a1) = st.new_figure(1, 2, width=8.0, height=3.3)
    p = ds.attrs["figure_params"]
    tf = ds["tf"].values
    pos = tf >= 1
    for kind, ls in (("train", st.TRAIN_LS), ("gen", st.GEN_LS)):
        a0.plot(
            tf[pos],
            ds[f"flow_log_loss_{kind}"].values[pos] / LN10,
            color=st.color(1),
            ls=ls,
            label=f"{kind} (gradient flow)",
        )
        a0.plot(
            tf[pos],
            ds[f"frozen_log_loss_{kind}"].values[pos] / LN10,
            color="black",
            lw=0.9,
            ls=":",
            zorder=5,
            label="S̃ = S̃∞ frozen" if kind == "gen" else None,
        )
        ts = ds["t_sim"].values.astype(float)
        ok = ts >= 1
        a0.plot(
            ts[ok],
            ds[f"sim_log_loss_{kind}"].values[ok] / LN10,
            color=st.color(0),
            ls=ls,
            lw=2.2,
            alpha=0.6,
            label=f"{kind} (GD)",
        )
    a0.axhline(math.log10(p["eps"]), color="0.4", lw=0.8, ls="-.", label=f"ε = {p['eps']:g}")
    for key, which in (("log_t_star_train_left", "train"), ("log_t_star_gen_left", "gen")):
        st.mark_crossing(a0, math.exp(ds.attrs[key]), math.log10(p["eps"]), which, st.color(1))
    a0.set_xscale("log")
    a0.set_xlim(1, tf[-1])
    a0.set_xlabel("t (GD steps)")
    a0.set_ylabel("log₁₀ loss")
    a0.set_title(f"1 − 2λ = {p['l12_left']:g}, σ = {p['sigma']:g}, η = {p['eta']:g}")
    a0.legend(frameon=False, loc="lower left", fontsize=6)
    x = np.log(ds["l12"].values)
    a1.plot(
        x, ds["sqrt_logratio_flow"].values, "o", ms=3.5, color=st.color(1), label="gradient flow"
    )
    a1.plot(
        x,
        ds["fit_line"].values,
        color=st.color(0),
        lw=1.0,
        label=f"fit: slope {ds.attrs['fit_slope']:.3f} ± {ds.attrs['fit_slope_se']:.3f}",
    )
    a1.plot(x, ds["sqrt_logratio_pred"].values, label="√(½S̃∞² − log G∞)", **st.THEORY)
    a1.plot(
        x,
        ds["sqrt_logratio_eq37_abs"].values,
        label="|log(1−2λ)|/√2 (slope −1/√2)",
        **st.THEORY_APPROX,
    )
    a1.set_xlabel("log(1 − 2λ)")
    a1.set_ylabel("√log(t*_gen / t*_tr)")
    a1.set_title(f"√logratio_loss(ε), ε = {p['eps']:g}, σ = {p['sigma']:g}")
    a1.legend(frameon=False, loc="upper right", fontsize=6)
    st.save_figure(fig, path)


def claims_fig9(ds) -> list[dict]:
    out = []
    p = ds.attrs["figure_params"]
    lt = ds["log_t_loss_train"].values
    eq35 = -math.log(p["eta"] * p["eps"])
    dev = float(np.max(np.abs(lt / eq35 - 1)))
    out.append(
        _claim(
            "Fig. 9 / Eq. 35: log t*_tr = −log(ηε) over the whole 1 − 2λ grid (relative 1e-6)",
            {"max_rel_dev": dev, "log_t_train_range": [float(lt.min()), float(lt.max())]},
            eq35,
            dev <= 1e-6,
        )
    )
    slope, se = float(ds.attrs["fit_slope"]), float(ds.attrs["fit_slope_se"])
    rel = abs(slope / -SQRT_HALF - 1)
    out.append(
        _claim(
            "Fig. 9 right: the fitted slope of √logratio_loss(ε) vs log(1 − 2λ) (σ = 20, "
            "1 − 2λ ∈ [1e-5, 1e-1]) agrees with −1/√2 within 5% (the curve is deterministic; the "
            "fit's standard error measures curvature, and (slope + 1/√2)/SE is reported)",
            {"slope": slope, "se": se, "z": (slope + SQRT_HALF) / se, "relative_dev": rel},
            -SQRT_HALF,
            rel <= 0.05,
        )
    )
    reached = np.abs(ds["S_ratio_at_t_train"].values - 1) <= REACHED_RTOL
    fl, pr = ds["sqrt_logratio_flow"].values, ds["sqrt_logratio_pred"].values
    d = np.abs(fl / pr - 1)
    l12 = ds["l12"].values
    out.append(
        _claim(
            "Fig. 9 right: where S̃(t*_tr) = S̃_∞ (to 1e-6; covers 1 − 2λ ≥ 1e-3) the flow's "
            "√logratio_loss(ε) equals the corrected Eq. 37 √(½S̃_∞² − log G_∞) to relative 1e-6",
            {
                "max_rel_dev": float(d[reached].max()) if reached.any() else math.nan,
                "n_points": int(reached.sum()),
            },
            "≤ 1e-6",
            bool(reached.any() and d[reached].max() <= 1e-6 and reached[l12 >= 1e-3].all()),
        )
    )
    conv = ds["conv_sqrt_logratio_flow"].values
    errs = np.abs(conv - pr[0])
    out.append(
        _claim(
            f"Fig. 9 right, 1 − 2λ = {l12[0]:.0e}: √logratio_loss(ε) converges to the corrected "
            "Eq. 37 as σ grows (claim 18)",
            {
                "sigma": ds["sigma_conv"].values.tolist(),
                "sqrt_logratio": conv.tolist(),
                "prediction": float(pr[0]),
            },
            "error strictly decreasing in σ, < 1e-6 at the largest",
            bool(np.all(np.diff(errs) < 0) and errs[-1] < 1e-6),
        )
    )
    # left: flow → frozen solution after t*_tr
    tf = ds["tf"].values
    late = tf >= math.exp(ds.attrs["log_t_star_train_left"])
    dl = max(
        float(
            np.max(
                np.abs(
                    ds[f"flow_log_loss_{k}"].values[late] - ds[f"frozen_log_loss_{k}"].values[late]
                )
            )
        )
        for k in ("train", "gen")
    )
    out.append(
        _claim(
            "Fig. 9 left (1 − 2λ = 1e-3): after t*_tr the flow's train and population log losses "
            "equal the frozen-S̃_∞ solution e^{−b} = e^{−b₀} + ηG_∞t (|Δ log L| ≤ 1e-6)",
            dl,
            "≤ 1e-6",
            dl <= 1e-6,
        )
    )
    return out


register(
    "beck2025/fig9",
    paper=PAPER,
    number="9",
    title="1-D toy: losses with the ε line (1 − 2λ = 1e-3); √logratio_loss(ε) vs log(1 − 2λ)",
    compute_quick=lambda: compute_fig9(n_t=200, n_l12=13, t_max_gd=1e6),
    compute_full=lambda: compute_fig9(n_t=400, n_l12=41, t_max_gd=1e8),
    plot=plot_fig9,
    claims=claims_fig9,
    description="σ = 20, ε = 1e-50, η = 0.01, S₀ = 0.1, b₀ = 0. logratio_loss(ε) = "
    "log(t*_gen/t*_tr) from the numerical gradient flow; least-squares slope vs −1/√2.",
)
