"""F6 of groklab's protocol for Jules et al. 2023 (spec §4): harmonic prediction vs measurement.

Only the abstract is known (spec §0). **Claim C** is the paper's: a quadratic approximation of
the loss near the minimum is fundamentally inadequate. The harmonic predictions tested here are
**groklab's** (§2.8, [project]), from the Hessian H0 at the pre-trained point θ0:

* (b) δL ~ Gamma(n_+/2, T), i.e. D = n_+(k_th) = #{eigenvalues of H0 > k_th},
  k_th ∈ {1e−6, 1e−4, 1e−2}·λ_1(H0) — panel (a): measured D vs T with n_+ as black lines;
* (c) the spread Var(v_a·(θ − θ0)) = T/(k_a(1 − ηk_a/2)) along the top eigenvectors v_a of H0
  (EM-exact, §2.2) — panel (b): measured (records of every production step block, chains
  pooled, ± SE from the ESS) vs predicted, log–log, identity in black;
* pre-training depth (§2.8, [derived]: H0 shrinks with the pre-training loss while post-burn-in
  statistics at fixed T should not depend on the start): the same protocol from the
  pre-training points where L first reached 1e−2 and 1e−4 (quick: 1e−2, 1e−3 and θ0 at 1e−4)
  at the middle low-loss T (full: the lowest, middle and highest) — panels (c) λ_1(H0)
  (black) vs the measured λ_1 at the production snapshots, (d) n_+ (black) vs measured D_var.

Acceptance (LG-C, groklab's): the harmonic predictions miss at least one measured quantity by
more than a factor 2 and 3 standard errors. Reads the shared ensemble of :mod:`._ensemble`
plus one light run per extra depth.
"""

from __future__ import annotations

import numpy as np

from groklab.figures import claim, register
from groklab.figures.jules2023._ensemble import (
    PAPER,
    dress,
    ensemble,
    light_run,
    params,
    summary,
)

__all__ = ["claims_f6", "compute_f6", "plot_f6", "spread_statistics"]

K_TH = (1e-6, 1e-4, 1e-2)
DEPTHS = {True: (1e-2, 1e-3), False: (1e-2, 1e-4)}  # besides θ0 (quick 1e-4, full 1e-3)
FACTOR, Z = 2.0, 3.0


def spread_statistics(proj) -> tuple[np.ndarray, np.ndarray]:
    """Variance and its standard error of each projection series, ``proj`` (chain, t, mode),
    chains pooled (spec §2.8 (c), measured side)."""
    from groklab.theory.langevin import variance_se

    proj = np.asarray(proj, float)
    out = np.array([variance_se(proj[..., a])[:2] for a in range(proj.shape[-1])])
    return out[:, 0], out[:, 1]


def _t_indices(low, quick: bool) -> list[int]:
    """Lowest, middle and highest low-loss T (quick: the middle one)."""
    idx = np.flatnonzero(low)
    if idx.size == 0:
        return []
    pick = [idx[idx.size // 2]] if quick else [idx[0], idx[idx.size // 2], idx[-1]]
    return sorted(set(int(i) for i in pick))


def compute_f6(quick: bool):
    import xarray as xr

    from groklab.figures.jules2023._ensemble import config, h0_spectrum
    from groklab.theory.langevin import harmonic_prediction

    ds = ensemble(quick)
    s = summary(ds)
    T = ds["T"].values
    n_s, n_T, k = ds.sizes["seed"], ds.sizes["T"], ds.sizes["mode"]
    eigs = ds["H0_eigs"].values
    n_plus = np.zeros((n_s, len(K_TH)))
    pred = np.zeros((n_s, n_T, k))
    meas, meas_se = np.zeros((n_s, n_T, k)), np.zeros((n_s, n_T, k))
    for i in range(n_s):
        for j, t in enumerate(T):
            h = harmonic_prediction(eigs[i], float(t), float(ds["eta"].values[i, j]), K_TH)
            n_plus[i] = [h["n_plus"][r] for r in K_TH]
            pred[i, j] = h["spread"][:k]
            meas[i, j], meas_se[i, j] = spread_statistics(
                ds["proj"].values[i, j])
    data = {
        "n_plus": (("seed", "k_th"), n_plus),
        "spread_pred": (("seed", "T", "mode"), pred),
        "spread_meas": (("seed", "T", "mode"), meas),
        "spread_meas_se": (("seed", "T", "mode"), meas_se),
        "H0_top": (("seed", "mode"), eigs[:, :k]),
        "used": (("seed", "T"), (s["low_loss"] & s["stationary"]).astype(int)),
        "low_loss": (("seed", "T"), s["low_loss"].astype(int)),
    }
    for name in ("D_mean", "D_var", "D_ratio", "D_var_se", "D_mean_se", "D_ratio_se"):
        data[name] = (("seed", "T"), s[name])
    # pre-training depth sweep: θ0 (the ensemble) plus light runs from shallower/deeper points
    P = params(quick)
    jt = _t_indices(s["low_loss"].all(0), quick)
    T_d = tuple(float(T[j]) for j in jt)
    target0 = P["model"]["loss_target"]
    levels = sorted((*DEPTHS[quick], target0), reverse=True)
    depth = {q: np.zeros((len(levels), n_s, len(jt))) for q in
             ("D_var", "D_var_se", "lambda_1", "stationary")}
    depth_h = {q: np.zeros((len(levels), n_s)) for q in ("L_start", "H0_lambda_1",
                                                         "H0_trace", "n_plus")}
    for a, lv in enumerate(levels):
        if lv == target0:
            r = {"D_var": s["D_var"][:, jt], "D_var_se": s["D_var_se"][:, jt],
                 "stationary": s["stationary"][:, jt],
                 "lambda_1_end": ds["check_lambda_1"].values[:, jt].mean(-1)}
        else:
            r = light_run(quick, T_d, loss_target=lv)
        for q in ("D_var", "D_var_se", "stationary"):
            depth[q][a] = r[q]
        depth["lambda_1"][a] = r["lambda_1_end"]
        for i, seed in enumerate(ds["seed"].values):
            e, _, L, _ = h0_spectrum(config(quick, loss_target=lv), int(seed), 1)
            h = harmonic_prediction(e, T_d[0] if T_d else 1.0, 0.0, K_TH)
            depth_h["L_start"][a, i], depth_h["H0_lambda_1"][a, i] = L, h["lambda_1"]
            depth_h["H0_trace"][a, i], depth_h["n_plus"][a, i] = h["trace"], h["n_plus"][1e-4]
    for q, v in depth.items():
        data[f"depth_{q}"] = (("level", "seed", "T_depth"), v.astype(float))
    for q, v in depth_h.items():
        data[f"depth_{q}"] = (("level", "seed"), v)
    return xr.Dataset(data, coords={"seed": ds["seed"].values, "T": T, "k_th": list(K_TH),
                                    "mode": np.arange(k), "level": levels,
                                    "T_depth": list(T_d)},
                      attrs={"n_params": ds.attrs["n_params"], "protocol": ds.attrs["protocol"],
                             "theta0_level": target0})


def plot_f6(ds, path) -> None:
    from groklab.figures import _style as st

    fig, axes = st.new_figure(1, 4, width=13.0, height=3.2)
    a, b, c, d = np.atleast_1d(axes)
    T = ds["T"].values
    for i, n in enumerate(("D_mean", "D_var", "D_ratio")):
        a.errorbar(T, ds[n].values.mean(0), ds[f"{n}_se"].values.mean(0), fmt="o", ms=3,
                   color=st.color(i), label=f"measured {n}")
    for r, ls in zip(ds["k_th"].values, ("-", "--", ":"), strict=True):
        a.axhline(float(ds["n_plus"].sel(k_th=r).mean()), **{**st.THEORY, "ls": ls},
                  label=f"harmonic n_+({r:g}·λ_1)")
    dress(a, "T", "D", "xy", loc="center left")
    for j, t in enumerate(T):
        b.errorbar(ds["spread_pred"].values[0, j], ds["spread_meas"].values[0, j],
                   ds["spread_meas_se"].values[0, j], fmt="o", ms=3, color=st.color(j),
                   label=f"T = {t:g}")
    lim = np.array([ds["spread_pred"].values.min(), ds["spread_pred"].values.max()])
    b.plot(lim, lim, **st.THEORY, label="measured = harmonic")
    dress(b, "harmonic T/(k_a(1 − ηk_a/2))", "measured Var(v_a·(θ − θ0))", "xy")
    L = ds["depth_L_start"].values.mean(1)
    c.plot(L, ds["depth_H0_lambda_1"].values.mean(1), "k-o", ms=3, label="harmonic λ_1(H0)")
    d.plot(L, ds["depth_n_plus"].values.mean(1), "k-o", ms=3, label="harmonic n_+(1e−4·λ_1)")
    for j, t in enumerate(ds["T_depth"].values):
        c.plot(L, ds["depth_lambda_1"].values[:, :, j].mean(1), "s", color=st.color(j),
               label=f"measured λ_1, T = {t:g}")
        d.errorbar(L, ds["depth_D_var"].values[:, :, j].mean(1),
                   ds["depth_D_var_se"].values[:, :, j].mean(1), fmt="s", ms=3,
                   color=st.color(j), label=f"measured D_var, T = {t:g}")
    for ax, ylabel in ((c, "λ_1"), (d, "D")):
        dress(ax, "pre-training loss L(θ_start)", ylabel, "xy")
    fig.suptitle("F6 (claim C; harmonic predictions are groklab's §2.8): harmonic vs measured",
                 fontsize=9)
    st.save_figure(fig, path)


def _miss(meas, se, pred):
    """Factor max(m/p, p/m) and z = |m − p|/se."""
    factor = np.maximum(meas / pred, pred / meas)
    z = np.abs(meas - pred) / np.where(se > 0, se, np.inf)
    return factor, z


def claims_f6(ds) -> list[dict]:
    used = ds["used"].values > 0
    T = ds["T"].values
    # (b) D = n_+(k_th): for each threshold, misses at some used (seed, T)
    dv, dv_se = ds["D_var"].values, ds["D_var_se"].values
    nb_miss = {}
    for r in ds["k_th"].values:
        npl = ds["n_plus"].sel(k_th=r).values[:, None]
        f, z = _miss(dv, dv_se, npl)
        nb_miss[f"{r:g}"] = {"n_plus": npl[:, 0].tolist(), "factor": f.tolist(),
                             "z": z.tolist(), "missed": bool(np.any(((f > FACTOR) & (z > Z))
                                                                   [used]))}
    miss_b = all(v["missed"] for v in nb_miss.values())
    # (c) spread along the top H0 eigenvectors
    f, z = _miss(ds["spread_meas"].values, ds["spread_meas_se"].values,
                 ds["spread_pred"].values)
    med_f = np.median(f, axis=-1)
    frac = np.mean((f > FACTOR) & (z > Z), axis=-1)
    miss_c = bool(np.any(((med_f > FACTOR) & (frac >= 0.5))[used]))
    # depth: harmonic λ_1(H0) ratio across depths vs the measured λ_1 ratio at fixed T
    lam_h = ds["depth_H0_lambda_1"].values.mean(1)
    lam_m = ds["depth_lambda_1"].values.mean(1)  # (level, T_depth)
    r_h = float(lam_h[0] / lam_h[-1])
    r_m = (lam_m[0] / lam_m[-1]).tolist()
    miss_depth = bool(lam_m.size and np.any(np.maximum(np.array(r_m) / r_h, r_h / np.array(r_m))
                                            > FACTOR))
    dd, dd_se = ds["depth_D_var"].values, ds["depth_D_var_se"].values
    st = ds["depth_stationary"].values > 0
    z_depth = np.abs(dd[0] - dd[-1]) / np.hypot(dd_se[0], dd_se[-1])
    return [
        claim("[paper C: the quadratic approximation at the minimum is inadequate; groklab "
              "test LG-C, predictions (b), (c) and depth of §2.8] the harmonic predictions from "
              f"H0 miss at least one measured quantity by > factor {FACTOR:g} and > {Z:g} SE",
              {"(b) D_var vs n_+(k_th), each threshold": nb_miss, "(b) missed": miss_b,
               "(c) spread: median factor over top modes (seed, T)": med_f.tolist(),
               "(c) fraction of modes missing": frac.tolist(), "(c) missed": miss_c,
               "depth: L_start": ds["depth_L_start"].values.mean(1).tolist(),
               "depth: lambda_1(H0) shallow/deep (harmonic)": r_h,
               "depth: measured lambda_1 shallow/deep at T_depth": r_m,
               "depth missed": miss_depth, "T": T.tolist(), "used": used.tolist()},
              "(b) for every k_th, or (c), or the depth ratio misses at a used (seed, T)",
              bool(miss_b or miss_c or miss_depth)),
        claim("[derived §2.8, groklab protocol] post-burn-in statistics at fixed T do not "
              "depend on the pre-training depth: D_var from the shallowest and the deepest "
              "start agree within 3 SE (both stationary)",
              {"levels": ds["level"].values.tolist(), "T_depth": ds["T_depth"].values.tolist(),
               "D_var": dd.tolist(), "D_var_se": dd_se.tolist(), "z": z_depth.tolist(),
               "stationary": st.tolist()},
              "|z| < 3 and stationary at every (seed, T_depth)",
              bool(z_depth.size and (z_depth < 3).all() and st[[0, -1]].all())),
    ]


register(
    "jules2023/f6",
    paper=PAPER,
    number="F6 (groklab protocol, spec §4)",
    title="Harmonic vs measured: n_+ vs D, spread along top H0 eigenvectors, pre-training depth",
    compute_quick=lambda: compute_f6(True),
    compute_full=lambda: compute_f6(False),
    plot=plot_f6,
    claims=claims_f6,
    description="Not a figure of the paper (only its abstract is known): groklab's test of "
    "claim C with its own harmonic predictions (spec §2.8, §5 LG-C).",
)
