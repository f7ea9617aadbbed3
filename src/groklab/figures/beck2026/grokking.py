"""Figs. 5 and grok-vs-alpha of Beck, Bar-Sinai, Levi 2026: binary grokking for ½ < λ < 1
(spec §3.4, §4 row 5, §5 erratum 7, §6 claim 10).

Setting (Fig. 5): σ_f = 0, σ_n = 1, **μ_f = 0.1**, λ = d/N = 0.7, f = z², full-batch GD on the
mean loss from S₀ = 0, population accuracy by Eq. 5. Grokking metric (named, erratum 7): the
companion's ``t_gen_acc(0.9)`` — the first time A_gen ≥ 0.9, interpolated in log-time between
records (:func:`groklab.metrics.grokking_times`) — and ``delay_acc(0.9)`` = t_gen − t_train.
A level never reached within the horizon is **censored**: reported as such (NaN in the data,
listed in the claims), never replaced by the horizon.

* **beck2026/fig5** — train/test accuracy and loss vs epochs for α ∈ {0, 10⁻³, 10⁻², 10⁻¹},
  one seed. Full: d = 1400, N = 2000, η = 0.1; the paper shows 2·10⁵ epochs (dotted line), the
  run goes to 5·10⁵ because at this size t_gen_acc(0.9) of α = 10⁻³ is ≈ 2–3·10⁵ epochs. Quick:
  d = 140, N = 200 (same λ), η = 1 for 4·10⁴ steps. GD at these steps is in its gradient-flow
  regime: the crossing times in ηt agree between η = 0.1 and η = 1 to < 0.1% (measured at
  d = 140), so the quick variant reports the same physics in 10× fewer steps. The x axis is ηt.
* **beck2026/grok-vs-alpha** (beyond the paper, §3.4) — t_gen_acc(0.9) vs α for 9 values of α
  log-spaced in [10⁻³, 10⁻¹] and 4 seeds, all in one batched ``simulate`` call on a log time
  grid. Fit: least squares of log t on log α per α of the seed-mean of log t (α with a censored
  seed are left out of the fit and listed); the exponent's 95% CI is the percentile interval of
  2000 seed-bootstrap refits (seeds resampled with replacement, fixed generator). Alternatives,
  on the same points: t = A/α (one parameter) and the log-corrected t = A log(B/α)/α.
  **Pass criterion, fixed before looking at the data:** the exponent p < 0 with a CI that excludes
  0, no censored run, and an RMS residual of log₁₀ t about the power law ≤ 0.05 (12% in t).
  Sizes as fig5 (quick d = 140, η = 1, 4·10⁴ steps; full d = 1400, η = 0.1, 5·10⁵ epochs).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from groklab import metrics
from groklab.figures import claim, register
from groklab.models.logit_reg import Config, simulate

__all__ = ["claims_fig5", "claims_grok", "compute_fig5", "compute_grok", "fit_laws"]

PAPER = "Beck, Bar-Sinai, Levi 2026 (arXiv:2602.12039)"
LEVEL = 0.9
FIG5_ALPHAS = (0.0, 1e-3, 1e-2, 1e-1)
GROK_ALPHAS = tuple(np.logspace(-3, -1, 9))
N_SEEDS = 4
N_BOOT = 2000
#: RMS residual of log₁₀ t about the power law below which the law counts as a good fit.
MAX_RMS = 0.05
#: (d, N, η, horizon in steps); the paper shows 2·10⁵ epochs at η = 0.1.
SIZES = {True: (140, 200, 1.0, 40_000), False: (1400, 2000, 0.1, 500_000)}
PAPER_EPOCHS = 2e5
N_T = 160


def _config(quick: bool) -> Config:
    d, n, eta, t_max = SIZES[quick]
    return Config(d=d, n_train=n, mu_f=0.1, sigma_f=0.0, sigma_n=1.0, alpha=0.01, eta=eta,
                  t_max=t_max, threshold=LEVEL)


def _times(t_max: int) -> np.ndarray:
    grid = np.unique(np.round(np.logspace(0, math.log10(t_max), N_T)).astype(np.int64))
    return np.concatenate([[0], grid])


def _run(quick: bool, alphas, seeds: int):
    cfg = _config(quick)
    ds = simulate(cfg, _times(cfg.t_max), seeds=seeds, alphas=list(alphas))
    g = metrics.grokking_times(ds, LEVEL)
    ds["t_gen_acc"], ds["t_train_acc"], ds["delay_acc"] = g["t_gen"], g["t_train"], g["delay"]
    for name, what in (("t_gen_acc", "first t with A_gen ≥ 0.9"),
                       ("t_train_acc", "first t with A_train ≥ 0.9"),
                       ("delay_acc", "t_gen_acc − t_train_acc")):
        ds[name].attrs.update(long_name=f"{what} (NaN: censored at the horizon)", units="steps")
    ds.attrs.update(eta=cfg.eta, horizon=int(cfg.t_max), metric="t_gen_acc(0.9), delay_acc(0.9)",
                    d=cfg.d, n_train=cfg.n_train_eff)
    return ds


# ---- Fig. 5 -----------------------------------------------------------------------------------
def compute_fig5(quick: bool):
    ds = _run(quick, FIG5_ALPHAS, 1)
    ds.attrs["paper_eta_t"] = PAPER_EPOCHS * 0.1
    return ds


def plot_fig5(ds, path) -> None:
    from groklab.figures import _style as st

    fig, axes = st.new_figure(1, 2, width=7.0, height=2.8)
    et = ds["t"].values[1:] * ds.attrs["eta"]
    for i, a in enumerate(ds["alpha"].values):
        c = st.color(i)
        one = ds.isel(seed=0, alpha=i, t=slice(1, None))
        for ax, (tr, ge) in zip(axes, (("acc_train", "acc_gen"), ("loss_train", "loss_gen")),
                                strict=True):
            ax.plot(et, one[tr], ls=st.TRAIN_LS, color=c)
            ax.plot(et, one[ge], ls=st.GEN_LS, color=c, label=f"α = {a:g}")
        eta = ds.attrs["eta"]
        st.mark_crossing(axes[0], float(ds["t_train_acc"][0, i]) * eta, LEVEL, "train", c)
        st.mark_crossing(axes[0], float(ds["t_gen_acc"][0, i]) * eta, LEVEL, "gen", c)
    for ax, lab in zip(axes, ("accuracy", "loss"), strict=True):
        st.log_axes(ax)
        ax.set_xlabel("ηt (GD epochs × η)")
        ax.set_ylabel(lab)
        ax.axvline(ds.attrs["paper_eta_t"], color="0.6", lw=0.6, ls=":")
    axes[1].set_yscale("log")
    axes[0].legend()
    fig.suptitle(f"Fig. 5: d = {ds.attrs['d']}, N = {ds.attrs['n_train']}, μ_f = 0.1, σ_f = 0, "
                 f"σ_n = 1, η = {ds.attrs['eta']:g}; dashed train, solid test; markers "
                 "t_train/t_gen_acc(0.9); dotted: the paper's 2·10⁵ epochs", fontsize=8)
    st.save_figure(fig, path)


def claims_fig5(ds) -> list[dict]:
    a = ds["alpha"].values
    tg = ds["t_gen_acc"].values[0]
    tt = ds["t_train_acc"].values[0]
    acc = ds["acc_gen"].values[0]
    t = ds["t"].values
    at_fit = [float(acc[i, min(np.searchsorted(t, tt[i]), t.size - 1)]) for i in range(a.size)]
    pos = a > 0
    order = tg[pos][np.argsort(a[pos])]
    return [
        claim(
            "Fig. 5 (claim 10): test accuracy is near chance when the training set is fitted "
            "(A_gen ≤ 0.6 at t_train_acc(0.9)) for every α, then rises to ≥ 0.99 for α > 0",
            {"alpha": a.tolist(), "acc_gen_at_train_fit": at_fit,
             "acc_gen_end": acc[:, -1].tolist()},
            "≤ 0.6 at the train fit; ≥ 0.99 at the horizon for α > 0",
            bool(np.all(np.array(at_fit) <= 0.6) and np.all(acc[pos, -1] >= 0.99)),
        ),
        claim(
            "Fig. 5 (claim 10): grokking is later for smaller α (t_gen_acc(0.9) decreasing in "
            "α) and never happens for α = 0 within the horizon (censored, A_gen < 0.9)",
            {"alpha": a.tolist(), "t_gen_acc_steps": [None if not math.isfinite(x) else float(x)
                                                      for x in tg],
             "eta": ds.attrs["eta"], "horizon_steps": ds.attrs["horizon"]},
            "strictly decreasing in α > 0, all finite; α = 0 censored",
            bool(np.all(np.isfinite(order)) and np.all(np.diff(order) < 0)
                 and not math.isfinite(tg[a == 0][0])),
        ),
    ]


# ---- grokking time vs α ------------------------------------------------------------------------
def fit_laws(alpha, log_t) -> dict:
    """Least-squares fits of the seed-mean log t on log α: power law t = A α^p, t = A/α and
    t = A log(B/α)/α; RMS residuals in log₁₀ t."""
    la = np.log(alpha)
    p, c = np.polyfit(la, log_t, 1)
    rms = {"power": float(np.sqrt(np.mean((log_t - (c + p * la)) ** 2)))}
    c1 = float(np.mean(log_t + la))
    rms["inverse"] = float(np.sqrt(np.mean((log_t - c1 + la) ** 2)))

    def logcorr(logb):  # log t = a0 − log α + log log(B/α); a0 is linear given log B
        base = -la + np.log(logb - la)
        a0 = float(np.mean(log_t - base))
        return a0, a0 + base

    logb = optimize.minimize_scalar(
        lambda b: np.sum((log_t - logcorr(b)[1]) ** 2),
        bounds=(la.max() + 1e-3, la.max() + 100.0), method="bounded").x
    a0, pred = logcorr(logb)
    rms["log_corrected"] = float(np.sqrt(np.mean((log_t - pred) ** 2)))
    return {"p": float(p), "log_A": float(c), "rms_log10": {k: v / math.log(10)
                                                            for k, v in rms.items()},
            "inverse_log_A": c1, "logcorr": (float(a0), float(logb))}


def compute_grok(quick: bool):
    ds = _run(quick, GROK_ALPHAS, N_SEEDS)
    lt = np.log(ds["t_gen_acc"].values)  # (seed, alpha)
    ok = np.all(np.isfinite(lt), axis=0)
    alpha = ds["alpha"].values
    fit = fit_laws(alpha[ok], lt[:, ok].mean(axis=0))
    rng = np.random.default_rng(0)
    boot = [np.polyfit(np.log(alpha[ok]), lt[rng.integers(0, lt.shape[0], lt.shape[0])][:, ok]
                       .mean(axis=0), 1)[0] for _ in range(N_BOOT)]
    per_seed = [np.polyfit(np.log(alpha[ok]), row[ok], 1)[0] for row in lt]
    ds["in_fit"] = ("alpha", ok)
    ds["per_seed_exponent"] = ("seed", np.array(per_seed))
    ds.attrs.update(exponent=fit["p"], log_A=fit["log_A"],
                    exponent_ci95=np.percentile(boot, [2.5, 97.5]).tolist(),
                    rms_log10_power=fit["rms_log10"]["power"],
                    rms_log10_inverse=fit["rms_log10"]["inverse"],
                    rms_log10_log_corrected=fit["rms_log10"]["log_corrected"],
                    inverse_log_A=fit["inverse_log_A"], logcorr_params=list(fit["logcorr"]),
                    n_censored=int(np.sum(~np.isfinite(lt))), n_boot=N_BOOT)
    return ds


def plot_grok(ds, path) -> None:
    from groklab.figures import _style as st

    fig, ax = st.new_figure(1, 1, width=4.2, height=3.2)
    a = ds["alpha"].values
    eta = ds.attrs["eta"]
    tg = ds["t_gen_acc"].values * eta
    for s in range(tg.shape[0]):
        ax.plot(a, tg[s], "o", ms=3, color=st.color(1), alpha=0.5,
                label="seeds" if s == 0 else None)
    ax.plot(a, np.exp(np.nanmean(np.log(tg), axis=0)), "o", color=st.color(0), ms=5,
            label="geometric mean")
    xs = np.logspace(np.log10(a.min()), np.log10(a.max()), 100)
    lo, hi = ds.attrs["exponent_ci95"]
    ax.plot(xs, eta * np.exp(ds.attrs["log_A"]) * xs ** ds.attrs["exponent"], **st.THEORY,
            label=f"fit p = {ds.attrs['exponent']:.3f} [{lo:.3f}, {hi:.3f}]")
    a0, logb = ds.attrs["logcorr_params"]
    ax.plot(xs, eta * np.exp(a0) * np.log(np.exp(logb) / xs) / xs, **st.THEORY_APPROX,
            label="A log(B/α)/α")
    st.log_axes(ax, y=True)
    ax.set_xlabel("α")
    ax.set_ylabel("η · t_gen_acc(0.9)")
    ax.legend()
    ax.set_title(f"d = {ds.attrs['d']}, N = {ds.attrs['n_train']}, μ_f = 0.1, σ_f = 0; "
                 f"censored: {ds.attrs['n_censored']}", fontsize=8)
    st.save_figure(fig, path)


def claims_grok(ds) -> list[dict]:
    p, (lo, hi) = ds.attrs["exponent"], ds.attrs["exponent_ci95"]
    rms = {k: ds.attrs[f"rms_log10_{k}"] for k in ("power", "inverse", "log_corrected")}
    a = ds["alpha"].values
    return [
        claim(
            "§3.4 (beyond the paper): t_gen_acc(0.9) diverges as α → 0 as a power law t ∝ α^p "
            f"over {math.log10(a.max() / a.min()):.1f} decades; pass iff p < 0 with the 95% "
            "seed-bootstrap CI excluding 0, no censored run and RMS residual of log₁₀ t ≤ 0.05",
            {"exponent": p, "ci95": [lo, hi], "rms_log10": rms,
             "per_seed_exponent": ds["per_seed_exponent"].values.tolist(),
             "n_censored": ds.attrs["n_censored"], "alpha_range": [a.min(), a.max()]},
            f"p < 0, CI ∌ 0, 0 censored, RMS ≤ {MAX_RMS}",
            bool(p < 0 and hi < 0 and ds.attrs["n_censored"] == 0 and rms["power"] <= MAX_RMS),
        ),
        claim(
            "Which law fits t_gen_acc(0.9)(α) best (RMS of log₁₀ t): power law α^p (2 params), "
            "1/α (1 param) or log-corrected log(B/α)/α (2 params); reported, passes if the "
            "power-law fit is within 0.05 of the best",
            rms, "report", bool(rms["power"] <= min(rms.values()) + MAX_RMS),
        ),
    ]


register(
    "beck2026/fig5", paper=PAPER, number="5",
    title="binary grokking for λ = 0.7, μ_f = 0.1, σ_f = 0, α ∈ {0, 1e-3, 1e-2, 1e-1}",
    compute_quick=lambda: compute_fig5(True), compute_full=lambda: compute_fig5(False),
    plot=plot_fig5, claims=claims_fig5,
    description="GD on the mean loss; metric t_gen_acc(0.9)/delay_acc(0.9); quick d = 140, "
                "N = 200, η = 1 (flow regime), full d = 1400, N = 2000, η = 0.1 to 5e5 epochs.",
)
register(
    "beck2026/grok-vs-alpha", paper=PAPER, number="beyond §3.4",
    title="grokking time t_gen_acc(0.9) vs α: fitted exponent with a seed-bootstrap CI",
    compute_quick=lambda: compute_grok(True), compute_full=lambda: compute_grok(False),
    plot=plot_grok, claims=claims_grok,
    description="Fig. 5 setting, 9 α in [1e-3, 1e-1], 4 seeds, one batched simulate call; "
                "power law vs 1/α vs log-corrected fits.",
)
