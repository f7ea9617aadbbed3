"""F4 of groklab's protocol for Jules et al. 2023 (spec §4): D vs N_b across N, widths, seeds.

Only the abstract is known (spec §0). **Claim B** is the paper's: the dimension of the low-loss
manifold is set by the number of training points near the decision boundary. The count N_b(c)
(§2.7: time average of #{i : ℓ_i ≥ c·N·T}, c = 0.1), the sweep, the fit and the acceptance
criterion of LG-B (a linear fit of D_var on N_b(0.1) with R² ≥ 0.8 across ≥ 5 values of N × 3
seeds) are **groklab's protocol**, and so is the toy calibration line.

Each (N, width, seed, T) is one marker (colour: N; shape: T), its D_var ± SE against N_b(0.1).
Filled: low-loss and stationary (§2.2–2.3), the points the fit uses; hollow: reported only. Black
lines: D = N_b, and the entropic toy's calibration D = 2α·N_b/Q(α, c) (α = ½: 1.53·N_b; §2.7
with §3.4), i.e. slope 2α against the number of active points.

* quick: N ∈ {16, 24, 32, 40, 48} at width 16 (d = 8, depth 2; no width sweep: each extra shape
  costs a compilation), 3 seeds, T ∈ {3e−4, 1e−3}, 2 chains, a burn-in of exactly 4 blocks of
  500 steps, 3000 production steps;
* full: N ∈ {64, 128, 256, 512, 1024} at width 128, plus widths 64 and 256 at N = 256 (d = 20,
  depth 2), 3 seeds, the 9 temperatures and run lengths of the shared ensemble (§2.1–2.3).
"""

from __future__ import annotations

import numpy as np

from groklab.figures import claim, register
from groklab.figures.jules2023._ensemble import PAPER, light_run, params

__all__ = ["claims_f4", "compute_f4", "linear_fit", "plot_f4"]

ALPHA_TOY, C_NB = 0.5, 0.1
QUICK_GRID = {"runs": [(16, 16), (24, 16), (32, 16), (40, 16), (48, 16)],
              "temperatures": (3e-4, 1e-3), "chains": 2, "max_blocks": 4, "n_prod": 3000,
              "seeds": 3}
FULL_GRID = {"runs": [(64, 128), (128, 128), (256, 128), (512, 128), (1024, 128), (256, 64),
                      (256, 256)],
             "temperatures": None, "chains": None, "max_blocks": None, "n_prod": None,
             "seeds": 3}


def linear_fit(x, y) -> dict:
    """Least-squares line y = a + b·x: slope b, intercept a, R² (ValueError with < 3 points)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.size < 3:
        raise ValueError(f"linear_fit needs ≥ 3 paired points. Got shapes {x.shape}, {y.shape}.")
    b, a = np.polyfit(x, y, 1)
    res = y - (a + b * x)
    r2 = 1.0 - float(res @ res) / float(((y - y.mean()) ** 2).sum())
    return {"slope": float(b), "intercept": float(a), "r2": r2, "n": int(x.size)}


def compute_f4(quick: bool):
    import xarray as xr

    from groklab.theory.langevin import toy_d_per_nb

    g = QUICK_GRID if quick else FULL_GRID
    P = params(quick)
    temps = tuple(g["temperatures"] or P["temperatures"])
    over = {k: g[k] for k in ("chains", "max_blocks", "n_prod", "seeds") if g[k] is not None}
    rows = []
    for N, width in g["runs"]:
        r = light_run(quick, temps, n_train=N, width=width, **over)
        rows.append(r)
    names = ("D_var", "D_var_se", "D_mean", "D_ratio", "n_b", "pr", "eta", "z_L")
    data = {k: (("run", "seed", "T"), np.stack([r[k] for r in rows])) for k in names}
    for k in ("stationary", "low_loss", "eta_halvings"):
        data[k] = (("run", "seed", "T"), np.stack([r[k] for r in rows]).astype(int))
    coords = {"run": np.arange(len(rows)), "seed": np.arange(g["seeds"]), "T": list(temps),
              "N": ("run", [N for N, _ in g["runs"]]), "width": ("run", [w for _, w in g["runs"]]),
              "n_params": ("run", [r["n_params"] for r in rows])}
    return xr.Dataset(data, coords=coords, attrs={
        "toy_slope": toy_d_per_nb(ALPHA_TOY, C_NB), "alpha_toy": ALPHA_TOY, "c": C_NB,
        "protocol": "groklab's test of claim B (spec §2.7, §5 LG-B); not the paper's numbers",
        "run_lengths": {k: v for k, v in over.items()}})


def _used(ds):
    return (ds["stationary"].values > 0) & (ds["low_loss"].values > 0)


def plot_f4(ds, path) -> None:
    from groklab.figures import _style as st

    fig, a = st.new_figure(1, 1, width=4.8, height=3.8)
    used = _used(ds)
    Ns = sorted(set(ds["N"].values.tolist()))
    marks = "os^Dv<>p"
    for r in range(ds.sizes["run"]):
        N, w = int(ds["N"].values[r]), int(ds["width"].values[r])
        c = st.color(Ns.index(N))
        for j in range(ds.sizes["T"]):
            for s in range(ds.sizes["seed"]):
                u = used[r, s, j]
                a.errorbar(ds["n_b"].values[r, s, j], ds["D_var"].values[r, s, j],
                           ds["D_var_se"].values[r, s, j], fmt=marks[j % len(marks)], ms=4,
                           color=c, mfc=c if u else "none", lw=0.6,
                           label=f"N = {N}, width {w}" if (j == 0 and s == 0) else None)
    x = np.linspace(0, float(np.nanmax(ds["n_b"].values)) * 1.1, 20)
    a.plot(x, x, **st.THEORY, label="D = N_b")
    a.plot(x, ds.attrs["toy_slope"] * x, **st.THEORY_APPROX,
           label=f"toy calibration 2α/Q(α, c) = {ds.attrs['toy_slope']:.2f} (α = ½)")
    a.set_xlabel("N_b(0.1)  (markers: " + ", ".join(
        f"{m}: T = {T:g}" for m, T in zip(marks, ds["T"].values, strict=False)) + ")",
        fontsize=7)
    a.set_ylabel("D_var")
    a.legend(frameon=False, fontsize=5.5)
    a.set_title("F4 (claim B; groklab protocol): D vs N_b (hollow: not used)", fontsize=8)
    st.save_figure(fig, path)


def claims_f4(ds) -> list[dict]:
    used = _used(ds)
    dv, nb = ds["D_var"].values, ds["n_b"].values
    N = np.broadcast_to(ds["N"].values[:, None, None], used.shape)
    seed = np.broadcast_to(ds["seed"].values[None, :, None], used.shape)
    fit = linear_fit(nb[used], dv[used]) if used.sum() >= 3 else {"r2": float("nan"),
                                                                  "slope": float("nan")}
    low = ds["low_loss"].values > 0
    fit_low = linear_fit(nb[low], dv[low]) if low.sum() >= 3 else None
    n_N = len(set(N[used].tolist()))
    n_seed = len(set(seed[used].tolist()))
    return [
        claim("[paper B: the dimension is set by the number of near-boundary points; groklab "
              "test LG-B] across ≥ 5 N × 3 seeds, a linear fit of D_var on N_b(0.1) over the "
              "low-loss stationary points has R² ≥ 0.8 (slope reported; toy: 2α = 1 per active "
              f"point, {ds.attrs['toy_slope']:.2f} per unit of N_b(0.1))",
              {"fit_used": fit, "fit_all_low_loss (reported)": fit_low,
               "n_points_used": int(used.sum()), "n_points": int(used.size),
               "distinct_N_used": n_N, "distinct_seeds_used": n_seed,
               "N": ds["N"].values.tolist(), "width": ds["width"].values.tolist(),
               "T": ds["T"].values.tolist(), "D_var": dv.tolist(), "N_b": nb.tolist(),
               "stationary": ds["stationary"].values.tolist(),
               "eta_halvings": ds["eta_halvings"].values.tolist()},
              "R² ≥ 0.8 with ≥ 5 distinct N and ≥ 3 seeds among the used points",
              bool(n_N >= 5 and n_seed >= 3 and fit["r2"] >= 0.8)),
    ]


register(
    "jules2023/f4",
    paper=PAPER,
    number="F4 (groklab protocol, spec §4)",
    title="D vs N_b across N, widths and seeds, with D = N_b and the toy calibration",
    compute_quick=lambda: compute_f4(True),
    compute_full=lambda: compute_f4(False),
    plot=plot_f4,
    claims=claims_f4,
    description="Not a figure of the paper (only its abstract is known): groklab's test of "
    "claim B with its own protocol (spec §2.7, §5 LG-B).",
)
