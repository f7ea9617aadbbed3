"""F8 of groklab's protocol for Jules et al. 2023 (spec §4): per-point loss and curvature.

Only the abstract is known (spec §0). **Claims B and C** are the paper's (the dimension is set by
the near-boundary points; the quadratic approximation at the minimum fails because of the
exponential form of the loss near the boundary). The per-point reading is **groklab's** (§3.2,
[derived]): for cross-entropy ℓ''(m) = ℓ − (3/2)ℓ² + O(ℓ³), so each point's Gauss–Newton
curvature ℓ''(m_i)‖∇m_i‖² is proportional to its own loss when ℓ_i is small, and only points
with non-negligible ℓ_i (near the boundary) give stiff directions.

* (a) per point, time-averaged ℓ_i (all production records, chains pooled) against the
  time-averaged ℓ''(m_i)‖∇m_i‖² (per-sample margin gradients at every chain's production
  snapshots), log–log, one colour per T, a slope-1 guide in black.
* (b) the distribution of ⟨ℓ_i⟩/(NT) (per-point temperature scale NT, §2.4): "active" points
  ⟨ℓ_i⟩ ≥ c·NT (c = 0.1, the N_b threshold of §2.7) vs inactive; the entropic toy's active
  value α = ½ (§3.4) and c in black.

Reads the shared ensemble of :mod:`._ensemble`.
"""

from __future__ import annotations

import numpy as np

from groklab.figures import claim, register
from groklab.figures.jules2023._ensemble import PAPER, dress, ensemble, loglog_fit, summary

__all__ = ["claims_f8", "compute_f8", "plot_f8"]

ELL_SMALL = 0.1  # "small ℓ": ℓ''/ℓ = 1 − (3/2)ℓ + … within 15 %
C_ACTIVE = 0.1
ALPHA_TOY = 0.5
SHARE_MIN = 0.9


def compute_f8(quick: bool):
    import xarray as xr

    ds = ensemble(quick)
    s = summary(ds)
    N = ds.attrs["n_train"]
    T = ds["T"].values
    ell = ds["ell"].values  # (seed, T, chain, t, point)
    seg = ds.attrs["params"]["n_prod"] // ds.sizes["snap"]
    at_snap = ds["ell"].sel(t=[(k + 1) * seg for k in range(ds.sizes["snap"])]).values
    data = {
        "ell_mean": (("seed", "T", "point"), ell.mean(axis=(2, 3))),
        "ell_snap_mean": (("seed", "T", "point"), at_snap.mean(axis=(2, 3))),
        "gn_mean": (("seed", "T", "point"), ds["snap_gn_point"].values.mean(axis=(2, 3))),
        "low_loss": (("seed", "T"), s["low_loss"].astype(int)),
        "stationary": (("seed", "T"), s["stationary"].astype(int)),
        "n_b": (("seed", "T"), s["n_b"]),
        "D_var": (("seed", "T"), s["D_var"]),
    }
    out = xr.Dataset(data, coords={"seed": ds["seed"].values, "T": T},
                     attrs={"n_train": N, "protocol": ds.attrs["protocol"]})
    out["u"] = out["ell_mean"] / (N * out["T"])
    return out


def plot_f8(ds, path) -> None:
    from groklab.figures import _style as st

    fig, (a, b) = st.new_figure(1, 2, width=8.5, height=3.3)
    T = ds["T"].values
    for j, t in enumerate(T):
        x, y = ds["ell_mean"].values[:, j].ravel(), ds["gn_mean"].values[:, j].ravel()
        a.loglog(x, y, "o", ms=3, color=st.color(j), label=f"T = {t:g}")
    x = ds["ell_mean"].values.ravel()
    y = ds["gn_mean"].values.ravel()
    g = np.geomspace(x.min(), x.max(), 10)
    a.loglog(g, g * np.exp(np.median(np.log(y / x))), **st.THEORY, label="slope 1 (§3.2)")
    dress(a, "⟨ℓ_i⟩ (time average)", "⟨ℓ''(m_i)‖∇m_i‖²⟩", fontsize=6)
    u = ds["u"].values
    bins = np.geomspace(max(u.min(), 1e-12), u.max() * 1.01, 30)
    for j, t in enumerate(T):
        uj = u[:, j].ravel()
        b.hist(uj[uj >= C_ACTIVE], bins, color=st.color(j), alpha=0.6,
               label=f"T = {t:g} active" if j == 0 else None)
        b.hist(uj[uj < C_ACTIVE], bins, color=st.color(j), alpha=0.25, hatch="//",
               label="inactive" if j == 0 else None)
    b.axvline(C_ACTIVE, **st.THEORY_APPROX, label=f"c = {C_ACTIVE} (N_b threshold)")
    b.axvline(ALPHA_TOY, **st.THEORY, label="entropic toy: α = ½")
    dress(b, "⟨ℓ_i⟩/(NT)", "points", "x", fontsize=6)
    fig.suptitle("F8 (claims B, C; groklab protocol): per-point loss and curvature", fontsize=9)
    st.save_figure(fig, path)


def claims_f8(ds) -> list[dict]:
    low = (ds["low_loss"].values > 0)
    x, y = ds["ell_mean"].values, ds["gn_mean"].values
    sel = low[..., None] & (x < ELL_SMALL)
    fit = loglog_fit(x[sel], y[sel])
    per_T = [loglog_fit(x[:, j].ravel(), y[:, j].ravel())["slope"]
             for j in range(ds.sizes["T"])]
    snap = loglog_fit(ds["ell_snap_mean"].values[sel], y[sel])["slope"]
    u = ds["u"].values
    active = u >= C_ACTIVE
    share = (x * active).sum(-1) / x.sum(-1)
    n_act = active.sum(-1)
    return [
        claim("[paper C: the exponential form of the loss near the boundary; [derived] §3.2: "
              "ℓ'' = ℓ + O(ℓ²)] per point, ⟨ℓ''(m_i)‖∇m_i‖²⟩ ∝ ⟨ℓ_i⟩: log–log slope 1 over the "
              f"points with ⟨ℓ_i⟩ < {ELL_SMALL} at the low-loss T",
              {"fit_pooled": fit, "slope_per_T (reported)": dict(zip(
                  map(str, ds["T"].values.tolist()), per_T, strict=True)),
               "slope_with_snapshot_matched_ell (reported)": snap},
              "|slope − 1| < 0.2", bool(sel.sum() >= 3 and abs(fit["slope"] - 1) < 0.2)),
        claim("[paper B: a few near-boundary points set the dimension; groklab reading §3.2] "
              f"the active points (⟨ℓ_i⟩ ≥ {C_ACTIVE}·NT) carry ≥ {SHARE_MIN:.0%} of ⟨L⟩ at "
              "every low-loss T; their number is reported beside N_b and D_var",
              {"T": ds["T"].values.tolist(), "share_active": share.tolist(),
               "n_active": n_act.tolist(), "N_b": ds["n_b"].values.tolist(),
               "D_var": ds["D_var"].values.tolist(), "N": int(ds.attrs["n_train"]),
               "median_u_active": [float(np.median(u[i, j][active[i, j]]))
                                   if active[i, j].any() else float("nan")
                                   for i in range(u.shape[0]) for j in range(u.shape[1])]},
              f"share ≥ {SHARE_MIN} at every low-loss (seed, T)",
              bool(low.any() and (share[low] >= SHARE_MIN).all())),
    ]


register(
    "jules2023/f8",
    paper=PAPER,
    number="F8 (groklab protocol, spec §4)",
    title="Per point: ⟨ℓ_i⟩ vs ⟨ℓ''(m_i)‖∇m_i‖²⟩ and the distribution of ⟨ℓ_i⟩/(NT)",
    compute_quick=lambda: compute_f8(True),
    compute_full=lambda: compute_f8(False),
    plot=plot_f8,
    claims=claims_f8,
    description="Not a figure of the paper (only its abstract is known): groklab's per-point "
    "test of claims B and C (spec §3.2, §2.7).",
)
