"""F5 of groklab's protocol for Jules et al. 2023 (spec §4): sampled curvature vs T.

Only the abstract is known (spec §0). **Claims C and D** are the paper's: the quadratic
approximation at the minimum is inadequate, and higher temperatures sample regions of higher
curvature. The measurement (λ_1 by Lanczos, tr H by Hutchinson, tr H_GN from per-sample
gradients, at θ snapshots of the production run, spec §2.6) and the acceptance criteria of LG-C
and LG-D are groklab's protocol.

Panel: ⟨λ_1⟩, ⟨tr H⟩ and ⟨tr H_GN⟩ vs T (log–log, chain snapshots averaged, ±SE over
snapshots), a slope-1 guide (the entropic toy's prediction, §3.3–3.4, dashed black) and the
harmonic prediction (a) of §2.8 — curvature independent of T, equal to λ_1(H0) and tr H0 at
the pre-trained θ0 — as flat black lines.
"""

from __future__ import annotations

import numpy as np

from groklab.figures import claim, register
from groklab.figures.jules2023._ensemble import PAPER, ensemble, loglog_slope, summary

__all__ = ["claims_f5", "compute_f5", "plot_f5"]

QUANTITIES = ("lambda_1", "trace", "trace_gn")


def compute_f5(quick: bool):
    import xarray as xr

    ds = ensemble(quick)
    s = summary(ds)
    n_snap = ds.sizes["snap"]
    data = {}
    for q in QUANTITIES:
        v = ds[f"snap_{q}"].values
        data[q] = (("seed", "T"), v.mean(-1))
        data[f"{q}_se"] = (("seed", "T"), v.std(-1, ddof=1) / np.sqrt(n_snap))
    eigs = ds["H0_eigs"].values
    data["H0_lambda_1"] = ("seed", eigs[:, 0])
    data["H0_trace"] = ("seed", eigs.sum(1))
    data["low_loss"] = (("seed", "T"), s["low_loss"].astype(int))
    data["eta_lambda_1_max"] = (("seed", "T"),
                                ds["eta"].values * ds["snap_lambda_1"].values.max(-1))
    return xr.Dataset(data, coords={"seed": ds["seed"].values, "T": ds["T"].values},
                      attrs={k: ds.attrs[k] for k in ("n_params", "n_train", "protocol")}
                      | {"n_snap": n_snap})


def plot_f5(ds, path) -> None:
    from groklab.figures import _style as st

    fig, a = st.new_figure(1, 1, width=4.6, height=3.4)
    T = ds["T"].values
    labels = {"lambda_1": "⟨λ_1⟩", "trace": "⟨tr H⟩", "trace_gn": "⟨tr H_GN⟩"}
    for i, q in enumerate(QUANTITIES):
        a.errorbar(T, ds[q].values.mean(0), ds[f"{q}_se"].values.mean(0), fmt="os^"[i],
                   ms=4, color=st.color(i), label=labels[q])
    a.axhline(float(ds["H0_lambda_1"].mean()), **st.THEORY, label="harmonic: λ_1(H0)")
    a.axhline(float(ds["H0_trace"].mean()), **{**st.THEORY, "ls": "-."},
              label="harmonic: tr H0")
    ref = ds["trace_gn"].values.mean(0)[-1]
    a.plot(T, ref * T / T[-1], **st.THEORY_APPROX, label="slope 1 (entropic toy)")
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlabel("T")
    a.set_ylabel("curvature at sampled θ")
    a.legend(frameon=False, fontsize=6)
    a.set_title("F5 (claims C, D; groklab protocol): curvature grows with T", fontsize=8)
    st.save_figure(fig, path)



def claims_f5(ds) -> list[dict]:
    from scipy import stats

    low = (ds["low_loss"].values > 0).all(0)
    T = ds["T"].values[low]
    rho, slopes = {}, {}
    for q in ("trace_gn", "lambda_1"):
        y = ds[q].values.mean(0)[low]
        rho[q] = float(stats.spearmanr(T, y)[0]) if T.size >= 3 else float("nan")
        slopes[q] = loglog_slope(T, y) if T.size >= 2 else float("nan")
    lam, lam_se = ds["lambda_1"].values.mean(0)[low], ds["lambda_1_se"].values.mean(0)[low]
    lam0 = float(ds["H0_lambda_1"].mean())
    tr, tr0 = ds["trace"].values.mean(0)[low], float(ds["H0_trace"].mean())
    factor = np.maximum(lam / lam0, lam0 / lam)
    z = np.abs(lam - lam0) / np.where(lam_se > 0, lam_se, np.inf)
    return [
        claim("[paper D: higher temperatures sample regions of higher curvature; groklab "
              "test LG-D] ⟨tr H_GN⟩ and ⟨λ_1⟩ increase monotonically over the low-loss T grid",
              {"T": T.tolist(), "spearman_rho": rho, "loglog_slope (entropic toy: 1)": slopes},
              "Spearman ρ ≥ 0.9 for both, at least 3 temperatures",
              bool(T.size >= 3 and min(rho.values()) >= 0.9)),
        claim("[paper C: a quadratic approximation at the minimum is inadequate; groklab test "
              "LG-C, prediction (a) of §2.8] the sampled ⟨λ_1⟩_T misses the harmonic value "
              "λ_1(H0) by more than a factor 2 and 3 standard errors at some low-loss T",
              {"lambda_1_T": lam.tolist(), "lambda_1_H0": lam0, "factor": factor.tolist(),
               "z": z.tolist(), "trace_T": tr.tolist(), "trace_H0": tr0},
              "max factor > 2 with z > 3 at the same T", bool(np.any((factor > 2) & (z > 3)))),
    ]


register(
    "jules2023/f5",
    paper=PAPER,
    number="F5 (groklab protocol, spec §4)",
    title="⟨λ_1⟩, ⟨tr H⟩, ⟨tr H_GN⟩ vs T with the harmonic prediction from H0",
    compute_quick=lambda: compute_f5(True),
    compute_full=lambda: compute_f5(False),
    plot=plot_f5,
    claims=claims_f5,
    description="Not a figure of the paper (only its abstract is known): groklab's test of "
    "claims C and D with its own protocol (spec §2.6, §2.8, §5).",
)
