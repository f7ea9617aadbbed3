"""Fig. 1 right of Beck, Levi, Bar-Sinai 2025: ensembles of the full model near λ = ½
(spec ``beck2025-edge-of-separability.md`` §2, §5, §7).

Not registered on its own: the lead composes ``beck2025/fig1`` from these right panels and the
left panels of another module. Public API: :func:`compute_fig1_right` (one
``xarray.Dataset``), :func:`plot_fig1_right` (draws into three given axes, top to bottom) and
:func:`claims_fig1_right`.

Every realization is classified by the exact separability test
:func:`groklab.theory.separability.is_separable` (rigorous Newton/Farkas certificates, else the
LP) **before** its outcome is judged; the class is stored per realization.

* **Right-top** (claims 4, 6): mean ‖S_∞‖ over the *inseparable* draws vs 1 − 2λ (log x),
  σ = 1, N = 2400 and the paper's d list (full) or N = 240 and d/10 (quick). S_∞ =
  argmin_S Σe^{Sᵀx_i} by Newton (:func:`~groklab.theory.separability.s_infinity`) instead of the
  paper's Adam (spec §5 allows any convex minimizer). Separable draws are discarded and counted;
  their fraction is compared with Wendel's Eq. 12 (claim 4). The paper averages 15000
  realizations; groklab uses ``n_real_top`` (recorded in ``attrs``) because one N = 2400 draw
  near λ = ½ costs ~10 s (LP certificate + Newton).
* **Right-mid** (Prop. 3.2): final A_gen of GD (blue) and the per-draw prediction (orange;
  1 if inseparable, else ½[1 + erf(1/(√2σM))] with M the margin of the draw from
  :func:`~groklab.theory.separability.max_margin`), both averaged over the realizations of each
  λ. σ = 5, η = 0.01, logistic loss (Eq. 1), ‖S₀‖ = 0.1, b₀ = 0, horizon 10⁶ GD steps.
  **Dynamics: the adaptive gradient flow** dθ/dt = −η∇L (``simulate(..., method="flow")``;
  Tsit5 in log(1 + t), rtol 1e-6, atol 1e-8), not 10⁶ literal GD steps: a few hundred solver
  steps reach t = 10⁶, and GD agrees with the flow to O(η) (spec §8). The flow runs through the
  model's array-level entry point :func:`groklab.models.separability_sim.run_flow_arrays` with
  every d zero-padded to the largest d of the sweep: padded coordinates of X and S₀ are zero, so
  their gradient is zero, they stay zero and f, ‖S‖ and every observable are exactly those of the
  unpadded run; one JIT compilation then serves the whole sweep (a compilation costs ~15 s).
* **Right-bottom** (claim 12): grokking time ``delay_acc(0.9)`` = t(A_gen ≥ 0.9) −
  t(A_train ≥ 0.9), first crossings interpolated in log t between records (spec §1.5), per
  realization, from the same runs. A run whose A_gen never reaches 0.9 by the horizon is
  *censored*: NaN plus a flag (never the run length). Plotted: the median over the uncensored
  inseparable draws (and over the uncensored separable ones), with the censored counts.

Defaults where the paper is silent: seeds ``1000·j + r`` for the j-th d and r-th realization
(model sampling: JAX keys from (seed, purpose)); numpy ``default_rng((SEED_TOP, d, r))`` for the
σ = 1 top-panel draws; 10 records per decade.
"""

from __future__ import annotations

import math

import numpy as np

from groklab.figures import claim as _claim

__all__ = [
    "ACC_LEVEL",
    "PAPER",
    "censored_median",
    "classify_draw",
    "claims_fig1_right",
    "compute_fig1_right",
    "plot_fig1_right",
]

PAPER = "Beck, Levi, Bar-Sinai 2025 (arXiv:2410.04489, ICML 2025)"
ACC_LEVEL = 0.9
#: A_gen at the horizon at or above this counts as "converged to 1" for an inseparable draw.
CONVERGED = 0.99
TOP_N, TOP_SIGMA = 2400, 1.0
TOP_D = (930, 990, 1050, 1086, 1110, 1134, 1152, 1158, 1164, 1170, 1173, 1176, 1179, 1182,
         1185, 1188, 1191)
MID_N, MID_SIGMA, MID_ETA, MID_T_MAX = 400, 5.0, 0.01, 1e6
MID_D = (20, 40, 80, 100, 120, 140, 160, 168, 180, 188, 192, 196, 200, 208, 220, 228, 240, 260,
         280, 300, 320, 360)
SEED_TOP = 2025
#: Flow tolerances of the mid/bottom runs: A_gen to ~1e-6, far below the ensemble spread.
FLOW_RTOL, FLOW_ATOL = 1e-6, 1e-8
DEF_DELAY_ACC = (
    f"delay_acc({ACC_LEVEL:g}) = t(A_gen ≥ {ACC_LEVEL:g}) − t(A_train ≥ {ACC_LEVEL:g}), first "
    "crossings (GD steps, gradient flow, interpolated in log t between records); censored "
    "(NaN + flag) when A_gen never reaches the level by the horizon"
)



def classify_draw(X: np.ndarray) -> tuple[bool, float]:
    """(separable from the origin, margin M) of one training set ``X`` (N, d).

    The class comes from the exact test :func:`~groklab.theory.separability.is_separable`; the
    margin M = dist(0, conv{x_i}) from :func:`~groklab.theory.separability.max_margin` for
    separable draws and 0 otherwise.
    """
    from groklab.theory import separability as th

    if not th.is_separable(X):
        return False, 0.0
    return True, float(th.max_margin(X).margin)


# ------------------------------------------------------------------------------------ top panel
def _top(n: int, d_list, n_real: int) -> dict:
    """‖S_∞‖ of every inseparable draw (NaN for separable ones), the classes and Wendel's p."""
    from groklab.theory import separability as th

    norms = np.full((len(d_list), n_real), np.nan)
    sep = np.zeros((len(d_list), n_real), dtype=bool)
    for j, d in enumerate(d_list):
        for r in range(n_real):
            X = TOP_SIGMA * np.random.default_rng((SEED_TOP, d, r)).standard_normal((n, d))
            sep[j, r] = th.is_separable(X)
            if not sep[j, r]:
                norms[j, r] = float(np.linalg.norm(th.s_infinity(X).S))
    return {"norm_S_inf": norms, "separable": sep,
            "wendel": np.asarray(th.wendel_prob(n, np.asarray(d_list)), dtype=float)}


# ------------------------------------------------------------------------------------ mid panel
def _mid(n: int, d_list, n_real: int, t: np.ndarray, d_per_batch: int) -> dict:
    """Gradient-flow runs of every (d, realization), batched and zero-padded to max(d)."""
    from groklab.dynamics import jnp
    from groklab.models import separability as m
    from groklab.models.separability_sim import run_flow_arrays

    d_pad = max(d_list)
    cfg_pad = m.Config(d=d_pad, n_train=n, sigma=MID_SIGMA, eta=MID_ETA, t_max=int(t[-1]),
                       flow_rtol=FLOW_RTOL, flow_atol=FLOW_ATOL)
    shape = (len(d_list), n_real)
    out = {k: np.full((*shape, t.size), np.nan) for k in ("acc_gen", "acc_train", "norm_S",
                                                          "bias")}
    sep, margin = np.zeros(shape, dtype=bool), np.zeros(shape)
    steps = np.zeros(shape, dtype=np.int64)
    for start in range(0, len(d_list), d_per_batch):
        chunk = list(enumerate(d_list))[start:start + d_per_batch]
        Xs, S0s = [], []
        for j, d in chunk:
            cfg = m.Config(d=d, n_train=n, sigma=MID_SIGMA, eta=MID_ETA, t_max=int(t[-1]))
            for r in range(n_real):
                draw = m.sample(cfg, 1000 * j + r)
                X = np.asarray(draw["X"], dtype=float)
                sep[j, r], margin[j, r] = classify_draw(X)
                Xs.append(np.pad(X, ((0, 0), (0, d_pad - d))))
                S0s.append(np.pad(np.asarray(draw["S0"], dtype=float), (0, d_pad - d)))
        data = {"X": jnp.asarray(np.stack(Xs)), "S0": jnp.asarray(np.stack(S0s)),
                "b0": jnp.zeros(len(Xs))}
        rec, res = run_flow_arrays(cfg_pad, data, t)
        if not np.all(res.success):
            raise RuntimeError(f"gradient flow failed (diffrax codes {res.result.tolist()})")
        js = [j for j, _ in chunk]
        for k in out:
            out[k][js] = rec[k].reshape(len(js), n_real, t.size)
        steps[js] = np.asarray(res.num_steps).reshape(len(js), n_real)
    from groklab.theory.separability import limit_gen_accuracy

    out.update(separable=sep, margin=margin, solver_steps=steps,
               acc_gen_pred=np.where(sep, limit_gen_accuracy(margin, MID_SIGMA), 1.0))
    return out


def compute_fig1_right(quick: bool):
    """Data of the three right panels of Fig. 1 as one Dataset.

    Parameters
    ----------
    quick : bool
        Quick variant (about 40 s on 2 idle cores): top N = 240 at six λ from 0.25 to 0.49
        (1 − 2λ from 0.5 to 0.017), 20 realizations; mid/bottom N = 200 at λ ∈ {0.05, 0.3,
        0.45, 0.48, 0.5, 0.52, 0.6, 0.8} in one padded batch, 16 realizations, horizon 10⁶.
        Full: top N = 2400 with the paper's 17 d and 16 realizations (the paper: 15000);
        mid/bottom N = 400 with the paper's 22 d and 100 realizations, horizon 10⁶.

    Returns
    -------
    xarray.Dataset
        dims ``d_top``/``r_top`` (top), ``d_mid``/``r_mid``/``t`` (mid, bottom); variables
        ``norm_S_inf``, ``separable_top``, ``wendel_top``; ``acc_gen``, ``acc_train``,
        ``norm_S``, ``bias``, ``separable_mid``, ``margin``, ``acc_gen_pred``, ``t_train``,
        ``t_gen``, ``delay_acc``, ``censored``, ``wendel_mid``; coords ``lam_*``, ``l12_top``.
    """
    import xarray as xr

    from groklab import metrics
    from groklab.theory import separability as th

    if quick:
        top_n, top_d, n_top = 240, (60, 84, 100, 108, 114, 118), 20
        mid_n, mid_d, n_mid, per_batch = 200, (10, 60, 90, 96, 100, 104, 120, 160), 16, 8
    else:
        top_n, top_d, n_top = TOP_N, TOP_D, 16
        mid_n, mid_d, n_mid, per_batch = MID_N, MID_D, 100, 1
    t = np.concatenate([[0.0], np.logspace(0, math.log10(MID_T_MAX), 61)])
    top = _top(top_n, top_d, n_top)
    mid = _mid(mid_n, mid_d, n_mid, t, per_batch)
    ds = xr.Dataset(
        {
            "norm_S_inf": (("d_top", "r_top"), top["norm_S_inf"]),
            "separable_top": (("d_top", "r_top"), top["separable"]),
            "wendel_top": ("d_top", top["wendel"]),
            **{k: (("d_mid", "r_mid", "t"), mid[k])
               for k in ("acc_gen", "acc_train", "norm_S", "bias")},
            "separable_mid": (("d_mid", "r_mid"), mid["separable"]),
            "margin": (("d_mid", "r_mid"), mid["margin"]),
            "acc_gen_pred": (("d_mid", "r_mid"), mid["acc_gen_pred"]),
            "solver_steps": (("d_mid", "r_mid"), mid["solver_steps"]),
            "wendel_mid": ("d_mid", np.asarray(th.wendel_prob(mid_n, np.asarray(mid_d)), float)),
        },
        coords={
            "d_top": np.asarray(top_d), "lam_top": ("d_top", np.asarray(top_d) / top_n),
            "l12_top": ("d_top", 1 - 2 * np.asarray(top_d) / top_n),
            "d_mid": np.asarray(mid_d), "lam_mid": ("d_mid", np.asarray(mid_d) / mid_n),
            "t": t,
        },
    )
    g = metrics.grokking_times(ds[["acc_gen", "acc_train"]], ACC_LEVEL)
    ds["t_train"], ds["t_gen"] = g["t_train"], g["t_gen"]
    ds["delay_acc"] = g["delay"]
    ds["censored"] = np.isnan(ds["t_gen"])
    ds["t"].attrs.update(long_name="GD step (gradient flow, t_flow = η·t)", units="steps")
    ds["delay_acc"].attrs.update(long_name=DEF_DELAY_ACC, units="steps")
    ds["norm_S_inf"].attrs.update(long_name="‖S_∞‖, NaN for separable (discarded) draws")
    ds["acc_gen_pred"].attrs.update(long_name="Prop. 3.2: 1 if inseparable, else "
                                              "½[1 + erf(1/(√2σM))]")
    ds.attrs.update(
        figure_params={
            "top": {"N": top_n, "sigma": TOP_SIGMA, "n_realizations": n_top,
                    "n_realizations_paper": 15000, "minimizer": "Newton (s_infinity)"},
            "mid": {"N": mid_n, "sigma": MID_SIGMA, "eta": MID_ETA, "t_max": MID_T_MAX,
                    "n_realizations": n_mid, "loss": "logistic", "S0_norm": 0.1, "b0": 0.0,
                    "dynamics": "adaptive gradient flow (Tsit5 in log(1+t), rtol 1e-6), "
                                "zero-padded to max d"},
            "acc_level": ACC_LEVEL,
        },
        variant="quick" if quick else "full",
        grokking_time=DEF_DELAY_ACC,
        classification="per realization: is_separable (certificates, else LP); margin from "
                       "max_margin",
    )
    return ds


# ------------------------------------------------------------------------------------- plotting
def censored_median(delay: np.ndarray) -> float:
    """Median of right-censored delays (NaN = censored, i.e. larger than every finite one).

    Censored runs count as +∞ (never as the run length); the median is NaN when at least half
    of the runs are censored, or when there are none.
    """
    d = np.sort(np.where(np.isnan(delay), np.inf, delay))
    if d.size == 0:
        return math.nan
    med = float(np.median(d)) if d.size % 2 else float(d[d.size // 2 - 1 : d.size // 2 + 1].mean())
    return med if math.isfinite(med) else math.nan


def _insep_medians(ds) -> np.ndarray:
    """Per-λ censored median of delay_acc over the inseparable draws."""
    delay = ds["delay_acc"].values
    sep = ds["separable_mid"].values.astype(bool)
    return np.array([censored_median(delay[j, ~sep[j]]) for j in range(delay.shape[0])])


def _top_stats(ds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-λ mean, standard error and count of ‖S_∞‖ over the inseparable draws."""
    ns = ds["norm_S_inf"].values
    cnt = np.isfinite(ns).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(ns, axis=1) / cnt
        sem = np.sqrt(np.nansum((ns - mean[:, None]) ** 2, axis=1) / (cnt - 1) / cnt)
    return mean, sem, cnt


def plot_fig1_right(ds, axes) -> None:
    """Draw the right panels of Fig. 1 into ``axes`` = (top, mid, bottom) from ``ds`` only."""
    from matplotlib.ticker import NullFormatter

    from groklab.figures import _style as st

    ax_top, ax_mid, ax_bot = axes
    p = ds.attrs["figure_params"]
    mean, sem, _ = _top_stats(ds)
    ax_top.errorbar(ds["l12_top"].values, mean, yerr=sem, color=st.color(1), marker="o", ms=3,
                    capsize=2, label="mean ± s.e. over inseparable draws")
    st.log_axes(ax_top)
    ax_top.xaxis.set_minor_formatter(NullFormatter())
    ax_top.set_xlabel("1 − 2λ")
    ax_top.set_ylabel("⟨‖S∞‖⟩")
    ax_top.set_title(f"N = {p['top']['N']}, σ = {p['top']['sigma']:g}, "
                     f"{p['top']['n_realizations']} draws/λ, separable discarded")
    ax_top.legend(frameon=False, loc="upper right")
    lam = ds["lam_mid"].values
    ax_mid.plot(lam, ds["acc_gen"].isel(t=-1).mean("r_mid").values, color=st.color(1),
                marker="o", ms=3, label=f"A_gen at t = {ds['t'].values[-1]:.0e} (flow)")
    ax_mid.plot(lam, ds["acc_gen_pred"].mean("r_mid").values, color=st.color(4), marker="s",
                ms=3, label="Prop. 3.2: 1 or ½[1+erf(1/(√2σM))]")
    ax_mid.axvline(0.5, color="0.6", lw=0.6, ls=":")
    ax_mid.set_xlabel("λ")
    ax_mid.set_ylabel("A_gen (mean over draws)")
    ax_mid.set_title(f"N = {p['mid']['N']}, σ = {p['mid']['sigma']:g}, η = {p['mid']['eta']:g}, "
                     f"{p['mid']['n_realizations']} draws/λ")
    ax_mid.legend(frameon=False, loc="lower left")
    delay = ds["delay_acc"].values
    sep = ds["separable_mid"].values.astype(bool)
    for name, mask, c in (("inseparable", ~sep, st.color(1)), ("separable", sep, st.color(0))):
        xs = np.broadcast_to(lam[:, None], delay.shape)[mask]
        ax_bot.plot(xs, delay[mask], ".", color=c, alpha=0.35, ms=3,
                    label=f"{name} draws (uncensored)")
    med = _insep_medians(ds)
    ax_bot.plot(lam, med, color=st.color(1), marker="o", ms=3,
                label="median, inseparable (censored = ∞)")
    for x, n_c, n in zip(lam, (ds["censored"].values & ~sep).sum(axis=1), (~sep).sum(axis=1),
                         strict=True):
        if n_c:
            ax_bot.annotate(f"{n_c}/{n}", (x, ds["t"].values[-1]), fontsize=5, ha="center",
                            color=st.color(1))
    ax_bot.set_yscale("log")
    ax_bot.axvline(0.5, color="0.6", lw=0.6, ls=":")
    ax_bot.set_xlabel("λ")
    ax_bot.set_ylabel(f"delay_acc({p['acc_level']:g}) (steps)")
    ax_bot.set_title(f"t(A_gen ≥ {p['acc_level']:g}) − t(A_train ≥ {p['acc_level']:g}); "
                     "n/m: censored inseparable", fontsize=7)
    ax_bot.legend(frameon=False, loc="lower right", fontsize=5)


# --------------------------------------------------------------------------------------- claims
def _wendel_chi2(sep: np.ndarray, p: np.ndarray) -> dict:
    """χ² of the LP-classified separable counts against Wendel's p (cells with 0 < p < 1)."""
    from scipy import stats

    n = sep.shape[1]
    k = sep.sum(axis=1)
    ok = (p * n > 1e-9) & ((1 - p) * n > 1e-9)
    chi2 = float(np.sum((k[ok] - n * p[ok]) ** 2 / (n * p[ok] * (1 - p[ok]))))
    dof = int(ok.sum())
    return {"fraction": (k / n).tolist(), "wendel": p.tolist(), "chi2": chi2, "dof": dof,
            "p_value": float(stats.chi2.sf(chi2, dof)) if dof else 1.0}


def claims_fig1_right(ds) -> list[dict]:
    """Claims 4, 6, Prop. 3.2 and 12 on the Fig. 1 right panels (see the module docstring)."""
    out = []
    for panel, sep, p in (("top", ds["separable_top"].values, ds["wendel_top"].values),
                          ("mid", ds["separable_mid"].values, ds["wendel_mid"].values)):
        rec = _wendel_chi2(sep.astype(bool), p)
        out.append(_claim(
            f"Claim 4 (Fig. 1 right-{panel}): the fraction of LP-separable draws per λ agrees "
            "with Wendel's Eq. 12 (χ² over the λ cells with 0 < p < 1, p-value > 0.001)",
            rec, "p-value > 0.001", rec["p_value"] > 1e-3))
    mean, sem, cnt = _top_stats(ds)
    drops = np.diff(mean)
    z = drops / np.sqrt(sem[1:] ** 2 + sem[:-1] ** 2)
    growth = float(mean[-1] / mean[0])
    out.append(_claim(
        "Claim 6 / Prop. 3.4 (Fig. 1 right-top): the mean ‖S_∞‖ over inseparable draws grows as "
        "λ → ½⁻ — by more than 2× over the grid, and no step in λ decreases it by more than 2 "
        "combined standard errors (the distribution is heavy-tailed near ½, so the sample mean "
        "is noisy; see the counts)",
        {"1-2lam": ds["l12_top"].values.tolist(), "mean": mean.tolist(), "sem": sem.tolist(),
         "n_inseparable": cnt.tolist(), "growth_factor": growth, "step_z": z.tolist()},
        "growth > 2; every step z > −2", growth > 2 and bool(np.all(z > -2))))
    acc = ds["acc_gen"].values
    t = ds["t"].values
    k5 = int(np.argmin(np.abs(t - t[-1] / 10)))
    sep = ds["separable_mid"].values.astype(bool)
    lam = ds["lam_mid"].values
    end, dec = acc[..., -1], acc[..., k5]
    conv = ~sep & (end >= CONVERGED)
    rising = ~sep & ~conv & (end > dec)
    per_lam = {f"{lam[j]:g}": {"inseparable": int((~sep[j]).sum()), "converged": int(conv[j].sum()),
                               "still_rising": int(rising[j].sum())} for j in range(lam.size)}
    out.append(_claim(
        f"Prop. 3.2(1) (Fig. 1 right-mid): every LP-inseparable draw generalizes — A_gen(t_end) "
        f"≥ {CONVERGED} or, flagged 'still converging', A_gen rose over the last decade; all "
        "inseparable draws with λ ≤ 0.3 have converged",
        per_lam, "no inseparable draw stalls below 1",
        bool(np.all(conv | rising | sep)) and bool(np.all(conv[lam <= 0.3] | sep[lam <= 0.3]))))
    pred = ds["acc_gen_pred"].values
    gap_end, gap_dec = pred - end, pred - dec
    shrink = float(np.mean(np.abs(gap_end[sep]) < np.abs(gap_dec[sep]))) if sep.any() else 0.0
    big = lam >= 0.8
    out.append(_claim(
        "Prop. 3.2(2) (Fig. 1 right-mid): separable draws approach their limit "
        "½[1 + erf(1/(√2σM))] from below (A_gen ≤ limit + 0.005 for every separable draw), the "
        "gap shrinks over the last decade for ≥ 90% of them, and at λ = 0.8 (largest margins) "
        "it is ≤ 0.01. The approach is logarithmic (b/‖S‖ + 1/M = O(1/log t)), so near λ = ½, "
        "where M → 0, the gap at t = 10⁶ is reported, not asserted",
        {"max_excess_over_limit": float(np.max(-gap_end[sep])) if sep.any() else None,
         "fraction_gap_shrinking": shrink,
         "mean_gap_per_lam": {f"{lam[j]:g}": float(gap_end[j, sep[j]].mean())
                              for j in range(lam.size) if sep[j].any()},
         "max_gap_lam_0.8": float(np.max(np.abs(gap_end[big][sep[big]])))
         if (sep[big]).any() else None},
        "excess ≤ 0.005; shrinking ≥ 0.9; λ = 0.8 gap ≤ 0.01",
        bool(sep.any() and np.max(-gap_end[sep]) <= 0.005 and shrink >= 0.9
             and (sep[big]).any() and np.max(np.abs(gap_end[big][sep[big]])) <= 0.01)))
    med = _insep_medians(ds)
    below = np.flatnonzero((lam < 0.5) & np.isfinite(med))
    ratio = float(med[below[-1]] / med[below[0]]) if below.size >= 2 else math.nan
    mono = bool(below.size >= 2 and np.all(np.diff(med[below]) > 0))
    out.append(_claim(
        f"Claim 12 (Fig. 1 right-bottom): the median {DEF_DELAY_ACC.split(' =')[0]} over "
        "inseparable draws (censored = ∞) rises monotonically and steeply as λ → ½⁻: > 100× "
        "between the smallest and the largest λ < ½ with a finite median",
        {"lam": lam[below].tolist(), "median": med[below].tolist(), "ratio": ratio,
         "censored_inseparable": (ds["censored"].values & ~sep).sum(axis=1).tolist()},
        "monotone; ratio > 100", mono and ratio > 100))
    return out
