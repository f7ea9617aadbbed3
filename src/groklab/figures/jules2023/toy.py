"""F7 of groklab's protocol for Jules et al. 2023 (spec §4): toy models vs the network.

Only the abstract is known (spec §0). **Claims D and E** are the paper's (a simplified,
analytically tractable loss model explains why curvature rises with T while the statistics stay
quadratic-like). The toy models themselves are **groklab's** (§3.4, [project]; not confirmed to
be the paper's): an exponential wall ℓ = A e^{−u} per active point with entropic confinement
(ℓ ~ Gamma(α, T): D = 2αD_b flat in T, curvature ⟨ℓ''⟩ = αT ∝ T) or energetic confinement
(ℓ ~ Gamma(b/T, T): D = 2bD_b/T ∝ 1/T, curvature b flat), in black; the network's D (three
estimators) and ⟨tr H_GN⟩/T from the shared ensemble of :mod:`._ensemble` in colour. The toy
lines are calibrated on the network: α = D/(2N_b) and D_b = N_b at the lowest used T (entropic),
b chosen to match D there (energetic).
"""

from __future__ import annotations

import numpy as np

from groklab.figures import claim, register
from groklab.figures.jules2023._ensemble import PAPER, ensemble, loglog_slope, summary

__all__ = ["claims_f7", "compute_f7", "plot_f7"]


def compute_f7(quick: bool):
    import xarray as xr

    from groklab.theory import langevin as th

    ds = ensemble(quick)
    s = summary(ds)
    T = ds["T"].values
    data = {k: (("seed", "T"), s[k]) for k in ("D_mean", "D_var", "D_ratio", "D_var_se", "n_b")}
    data["used"] = (("seed", "T"), (s["low_loss"] & s["stationary"]).astype(int))
    data["low_loss"] = (("seed", "T"), s["low_loss"].astype(int))
    gn = ds["snap_trace_gn"].values
    data["trace_gn_over_T"] = (("seed", "T"), gn.mean(-1) / T)
    data["trace_gn_over_T_se"] = (("seed", "T"), gn.std(-1, ddof=1)
                                  / np.sqrt(gn.shape[-1]) / T)
    # calibrate the toys at the lowest low-loss T (seed-averaged)
    low = s["low_loss"].all(0)
    j0 = int(np.argmax(low))
    D0, nb0, T0 = float(s["D_ratio"][:, j0].mean()), float(s["n_b"][:, j0].mean()), T[j0]
    alpha = D0 / (2 * nb0)
    D_b = max(1, int(round(nb0)))
    b = D0 * T0 / (2 * D_b)
    data["D_entropic"] = ("T", np.array([th.entropic_toy_moments(alpha, t, D_b)["D"]
                                         for t in T]))
    data["D_energetic"] = ("T", np.array([th.energetic_toy_moments(b, t, D_b)["D"] for t in T]))
    # curvature per wall over T: entropic αT/T = α (flat), energetic b/T (∝ 1/T); shapes only
    data["curv_entropic_over_T"] = ("T", np.array([th.entropic_toy_moments(alpha, t)["curvature"]
                                                   / t for t in T]))
    data["curv_energetic_over_T"] = ("T", np.array([th.energetic_toy_moments(b, t)["curvature"]
                                                    / t for t in T]))
    return xr.Dataset(data, coords={"seed": ds["seed"].values, "T": T},
                      attrs={"alpha_fit": alpha, "D_b": D_b, "b_fit": b, "T_calibration": T0,
                             "protocol": ds.attrs["protocol"]})


def plot_f7(ds, path) -> None:
    from groklab.figures import _style as st

    fig, (a, b) = st.new_figure(1, 2, width=8.2, height=3.2)
    T = ds["T"].values
    for i, n in enumerate(("D_mean", "D_var", "D_ratio")):
        a.plot(T, ds[n].values.mean(0), "o", ms=4, color=st.color(i), label=f"network {n}")
    a.plot(T, ds["n_b"].values.mean(0), "k^", ms=4, mfc="none", label="network N_b")
    a.plot(T, ds["D_entropic"].values, **st.THEORY, label="entropic toy: 2αD_b")
    a.plot(T, ds["D_energetic"].values, **st.THEORY_APPROX, label="energetic toy: 2bD_b/T")
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlabel("T")
    a.set_ylabel("D")
    a.legend(frameon=False, fontsize=6)
    y = ds["trace_gn_over_T"].values.mean(0)
    b.errorbar(T, y, ds["trace_gn_over_T_se"].values.mean(0), fmt="o", ms=4,
               color=st.color(0), label="network ⟨tr H_GN⟩/T")
    scale = y[0] / ds["curv_entropic_over_T"].values[0]
    b.plot(T, scale * ds["curv_entropic_over_T"].values, **st.THEORY,
           label="entropic toy (flat)")
    b.plot(T, scale * ds["curv_energetic_over_T"].values, **st.THEORY_APPROX,
           label="energetic toy (∝ 1/T)")
    b.set_xscale("log")
    b.set_yscale("log")
    b.set_xlabel("T")
    b.set_ylabel("curvature / T (toys scaled to the first point)")
    b.legend(frameon=False, fontsize=6)
    fig.suptitle("F7 (claims D, E; toy models are groklab's §3.4): toy vs network",
                 fontsize=9)
    st.save_figure(fig, path)



def claims_f7(ds) -> list[dict]:
    T = ds["T"].values
    used = (ds["used"].values > 0).all(0)
    low = (ds["low_loss"].values > 0).all(0)
    dv = ds["D_var"].values.mean(0)
    slope_used = loglog_slope(T[used], dv[used])
    slope_ratio_low = loglog_slope(T[low], ds["D_ratio"].values.mean(0)[low])
    slope_var_low = loglog_slope(T[low], dv[low])
    curv = ds["trace_gn_over_T"].values.mean(0)
    slope_curv = loglog_slope(T[low], curv[low])
    alpha = (ds["D_var"].values / (2 * ds["n_b"].values))
    return [
        claim("[paper E: a tractable model explains the statistics; groklab test LG-E with "
              "its own toy] D(T) is flat rather than ∝ 1/T: |d ln D_var/d ln T| < 0.2 over "
              "the low-loss stationary T",
              {"T_used": T[used].tolist(), "slope_D_var_used": slope_used,
               "slope_D_var_all_low_loss (reported)": slope_var_low,
               "slope_D_ratio_all_low_loss (reported)": slope_ratio_low,
               "alpha_fit = D_var/(2 N_b)": alpha.tolist()},
              "|slope| < 0.2 with at least 2 used temperatures",
              bool(used.sum() >= 2 and abs(slope_used) < 0.2)),
        claim("[paper D/E; groklab test LG-E] ⟨tr H_GN⟩/T is approximately constant "
              "(entropic toy) rather than ∝ 1/T (energetic toy): |d ln(tr H_GN/T)/d ln T| "
              "< 0.2 over the low-loss T",
              {"T": T[low].tolist(), "trace_gn_over_T": curv[low].tolist(),
               "slope": slope_curv},
              "|slope| < 0.2 (energetic toy: −1)", bool(low.sum() >= 2
                                                       and abs(slope_curv) < 0.2)),
    ]


register(
    "jules2023/f7",
    paper=PAPER,
    number="F7 (groklab protocol, spec §4)",
    title="Entropic and energetic toy models vs the network: D(T) and curvature/T",
    compute_quick=lambda: compute_f7(True),
    compute_full=lambda: compute_f7(False),
    plot=plot_f7,
    claims=claims_f7,
    description="Not a figure of the paper (only its abstract is known): groklab's test of "
    "claims D and E with its own toy models (spec §3.4, §5).",
)
