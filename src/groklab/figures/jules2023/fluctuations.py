"""F1–F3 of groklab's protocol for Jules et al. 2023 (spec §4): loss traces, δL histograms,
dimension estimators.

Only the abstract is known (spec §0). **Claim A** ("the low-loss region is a low-dimensional
manifold whose dimension is read off from the loss fluctuations") is the paper's; everything
else — the system, the adaptive step, the burn-in rule, the estimators, the KS/agreement
thresholds of LG-A — is groklab's protocol (spec §2, §5), not the paper's.

* F1 (method): L and ‖θ‖² during burn-in (block means) and production (records), the burn-in
  end marked; the drift statistics of §2.3 (two-halves z of L and N_b, ‖θ‖² change).
* F2 (A, D): histograms of δL/T (L0 = 0) at each T, the maximum-likelihood Gamma in black; KS
  after thinning by τ_int.
* F3 (A): D_mean, D_var, D_ratio (±SE) and D_C vs T, with N_b(0.1), PR and P; D/P on the right.

All three read the cached ensemble of :mod:`._ensemble` (quick: P = 433, N = 32, 4 T; full: the
spec's defaults).
"""

from __future__ import annotations

import numpy as np

from groklab.figures import claim, register
from groklab.figures.jules2023._ensemble import PAPER, ensemble, summary_dataset

__all__ = ["claims_f1", "claims_f2", "claims_f3", "compute_f1", "compute_f2", "compute_f3",
           "plot_f1", "plot_f2", "plot_f3"]

BINS = np.linspace(0.0, 40.0, 41)


def compute_f1(quick: bool):
    ds = summary_dataset(ensemble(quick))
    return ds.drop_vars([v for v in ds.data_vars if v.startswith("snap_")])


def _mask(ds):
    """(seed, T) entries that may enter a claim: low-loss regime and stationary (§2.2–2.3)."""
    return (ds["s_low_loss"].values > 0) & (ds["s_stationary"].values > 0)


def plot_f1(ds, path) -> None:
    from groklab.figures import _style as st

    fig, (a, b) = st.new_figure(1, 2, width=8.5, height=3.2)
    block, t_b = ds.attrs["block"], ds.attrs["burn_in_steps"]
    nb = ds.sizes["block"]
    tb = (np.arange(nb) + 0.5) * block
    t = ds["t"].values + t_b
    for j, T in enumerate(ds["T"].values):
        c = st.color(j)
        a.plot(tb, ds["burn_in_means"].values[0, j], "o", ms=3, color=c)
        a.plot(t, ds["loss_train"].values[0, j].mean(0), color=c, lw=0.7, label=f"T = {T:g}")
        b.plot(t, ds["norm2"].values[0, j].mean(0), color=c, lw=0.7)
    for ax in (a, b):
        ax.axvline(t_b, **{**st.THEORY_APPROX, "lw": 0.8})
        ax.set_xlabel("Langevin step (dashed: burn-in end)")
    a.set_yscale("log")
    a.set_ylabel("L (dots: burn-in block means)")
    a.legend(frameon=False, fontsize=6)
    b.set_ylabel("‖θ‖² (chain mean)")
    fig.suptitle("F1 (groklab protocol): traces and drift, seed 0", fontsize=9)
    st.save_figure(fig, path)


def claims_f1(ds) -> list[dict]:
    low = ds["s_low_loss"].values > 0
    zL, zn = ds["s_z_L"].values, ds["s_z_nb"].values
    ok = (np.abs(zL) < 2) & (np.abs(zn) < 2)
    conv = ds["burn_in_converged"].values > 0
    T = ds["T"].values
    return [
        claim("[project method, spec §2.3] burn-in rule: every (seed, T) ends its burn-in "
              "(|β|·4 < 0.1·s over the last 4 blocks) before the cap",
              {"converged": conv.tolist(), "drift_4beta_over_s": ds["burn_in_drift"].values
               .tolist(), "burn_in_steps": int(ds.attrs["burn_in_steps"])},
              "all converged", bool(conv.all())),
        claim("[project method, spec §2.3 (i)-(ii); [derived] the Boltzmann measure is "
              "improper, so only quasi-stationarity is possible] production: the two halves' "
              "means of L and of N_b differ by < 2 standard errors at every low-loss T",
              {"T": T.tolist(), "z_L": zL.tolist(), "z_N_b": zn.tolist(),
               "low_loss": low.tolist(),
               "norm2_relative_change_per_1e5_steps (reported, check iii)":
               ds["s_norm2_change"].values.tolist()},
              "|z| < 2 for L and N_b at every low-loss (seed, T)", bool(ok[low].all())),
    ]


def compute_f2(quick: bool):
    ds = ensemble(quick)
    n_T = ds.sizes["T"]
    hist = np.zeros((n_T, BINS.size - 1))
    s = summary_dataset(ds)
    for j, T in enumerate(ds["T"].values):
        x = ds["loss_train"].values[:, j].ravel() / T
        hist[j] = np.histogram(x, BINS, density=True)[0]
    out = s[[v for v in s.data_vars if v.startswith("s_")]]
    out["hist"] = (("T", "bin"), hist)
    out = out.assign_coords(bin=0.5 * (BINS[1:] + BINS[:-1]))
    out.attrs.update({k: ds.attrs[k] for k in ("n_params", "n_train", "protocol")})
    return out


def plot_f2(ds, path) -> None:
    from scipy import stats

    from groklab.figures import _style as st

    n_T = ds.sizes["T"]
    fig, axes = st.new_figure(1, n_T, width=2.2 * n_T, height=2.6)
    c = ds["bin"].values
    for j, ax in enumerate(np.atleast_1d(axes)):
        T = float(ds["T"].values[j])
        ax.bar(c, ds["hist"].values[j], width=c[1] - c[0], color=st.color(j), alpha=0.6)
        k = float(ds["s_shape"].values[0, j])
        sc = float(ds["s_scale_over_T"].values[0, j])
        ax.plot(c, stats.gamma.pdf(c, k, scale=sc), **st.THEORY)
        ax.set_title(f"T = {T:g}: Gamma k̂ = {k:.1f}, ŝ/T = {sc:.2f}\nKS p = "
                     f"{ds['s_ks_p'].values[0, j]:.2g}", fontsize=7)
        ax.set_xlabel("δL/T")
    np.atleast_1d(axes)[0].set_ylabel("density (black: Gamma ML fit)")
    fig.suptitle("F2 (claims A, D; groklab protocol): δL/T at fixed T is Gamma-like",
                 fontsize=9)
    st.save_figure(fig, path)


def claims_f2(ds) -> list[dict]:
    use = _mask(ds)
    p = ds["s_ks_p"].values
    sc = ds["s_scale_over_T"].values
    return [
        claim("[paper A/D: at fixed T the statistics look quadratic-like; groklab test LG-A] "
              "δL (L0 = 0) thinned by τ_int is Gamma-distributed: KS p > 0.01 at every "
              "low-loss stationary T",
              {"T": ds["T"].values.tolist(), "ks_p": p.tolist(), "scale_over_T": sc.tolist(),
               "shape": ds["s_shape"].values.tolist(), "used": use.tolist()},
              "KS p > 0.01 at every used (seed, T), at least one used",
              bool(use.any() and (p[use] > 0.01).all())),
    ]


def compute_f3(quick: bool):
    from groklab.theory.langevin import heat_capacity

    s = summary_dataset(ensemble(quick))
    out = s[[v for v in s.data_vars if v.startswith("s_")]]
    T = s["T"].values
    dc = np.array([heat_capacity(T, s["s_mean"].values[i], s["s_mean_se"].values[i])["D_C"]
                   for i in range(s.sizes["seed"])])
    dc_se = np.array([heat_capacity(T, s["s_mean"].values[i], s["s_mean_se"].values[i])
                      ["D_C_se"] for i in range(s.sizes["seed"])])
    out = out.assign_coords(T_mid=0.5 * (T[1:] + T[:-1]))
    out["D_C"] = (("seed", "T_mid"), dc)
    out["D_C_se"] = (("seed", "T_mid"), dc_se)
    out.attrs.update({k: s.attrs[k] for k in ("n_params", "n_train", "protocol")})
    return out


def plot_f3(ds, path) -> None:
    from groklab.figures import _style as st

    fig, a = st.new_figure(1, 1, width=4.8, height=3.4)
    T = ds["T"].values
    for i, n in enumerate(("D_mean", "D_var", "D_ratio")):
        a.errorbar(T * (1 + 0.05 * (i - 1)), ds[f"s_{n}"].values.mean(0),
                   ds[f"s_{n}_se"].values.mean(0), fmt="o", ms=3, color=st.color(i), label=n)
    a.errorbar(ds["T_mid"].values, ds["D_C"].values.mean(0), ds["D_C_se"].values.mean(0),
               fmt="D", ms=3, mfc="none", color=st.color(3), label="D_C")
    a.plot(T, ds["s_n_b"].values.mean(0), "k^-", ms=4, lw=0.8, label="N_b(0.1)")
    a.plot(T, ds["s_pr"].values.mean(0), "kv:", ms=4, lw=0.8, label="PR")
    a.set_xscale("log")
    a.set_xlabel("T")
    a.set_ylabel("D")
    a.set_ylim(bottom=0)
    P = ds.attrs["n_params"]
    sec = a.secondary_yaxis("right", functions=(lambda d: d / P, lambda r: r * P))
    sec.set_ylabel(f"D/P (P = {P})")
    hollow = ~((ds["s_stationary"].values > 0).all(0))
    for x in T[hollow]:
        a.axvspan(x / 1.15, x * 1.15, color="0.9", zorder=0)
    a.legend(frameon=False, fontsize=6, ncol=2)
    a.set_title("F3 (claim A; groklab protocol): D vs T (grey: non-stationary)", fontsize=8)
    st.save_figure(fig, path)


def claims_f3(ds) -> list[dict]:
    use = _mask(ds)
    P = ds.attrs["n_params"]
    dv, dm, dr = (ds[f"s_{n}"].values for n in ("D_var", "D_mean", "D_ratio"))
    trio = np.stack([dm, dv, dr])
    spread = (trio.max(0) - trio.min(0)) / trio.min(0)
    low = ds["s_low_loss"].values > 0
    return [
        claim("[paper A: low-dimensional; groklab test LG-A] D_var/P < 0.05 at every "
              "low-loss stationary T",
              {"T": ds["T"].values.tolist(), "D_var_over_P": (dv / P).tolist(), "P": P,
               "low_loss": low.tolist(), "used": use.tolist()},
              "D_var/P < 0.05 at every used (seed, T), at least one used",
              bool(use.any() and (dv[use] / P < 0.05).all())),
        claim("[paper A: the dimension is read off the fluctuations; groklab test LG-A] "
              "D_mean, D_var, D_ratio agree within 20 % at every low-loss stationary T",
              {"D_mean": dm.tolist(), "D_var": dv.tolist(), "D_ratio": dr.tolist(),
               "max_relative_spread": spread.tolist(), "used": use.tolist(),
               "N_b": ds["s_n_b"].values.tolist()},
              "(max − min)/min < 0.2 at every used (seed, T), at least one used",
              bool(use.any() and (spread[use] < 0.2).all())),
    ]


for _n, (_c, _p, _k, _t, _num) in {
    "f1": (compute_f1, plot_f1, claims_f1, "Loss and ‖θ‖² traces with burn-in end; drift "
           "statistics", "F1"),
    "f2": (compute_f2, plot_f2, claims_f2, "Histograms of δL/T with the fitted Gamma", "F2"),
    "f3": (compute_f3, plot_f3, claims_f3, "D_mean, D_var, D_ratio, D_C vs T with N_b and P",
           "F3"),
}.items():
    register(
        f"jules2023/{_n}",
        paper=PAPER,
        number=f"{_num} (groklab protocol, spec §4)",
        title=_t,
        compute_quick=lambda c=_c: c(True),
        compute_full=lambda c=_c: c(False),
        plot=_p,
        claims=_k,
        description="Not a figure of the paper (only its abstract is known): groklab's test "
        "of the abstract's claims with its own protocol (spec §2, §5).",
    )
