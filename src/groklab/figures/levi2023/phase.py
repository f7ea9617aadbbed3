"""Fig. 4 of Levi, Beck, Bar-Sinai 2023: phase diagrams of the grokking delay Δt (theory only).

Spec §7, Fig. 4 row: contours of log10 Δt over (γ, d_out) at λ = 0.9, (γ, λ) at d_out = 1 and
(d_out, λ) at γ = 0; η = 0.01, ε = 1e-3, threshold ``a95`` (A(t*) = 0.95), ``wd_convention``
"paper". Grids: γ log-spaced in [1e-6, 1e-1], d_out log-spaced unique integers in [1, 3000],
λ linear in [0.02, 2.0]; 40 points per axis (quick) or 100 (full). Red = short, blue = long,
white = no grokking (NaN); Δt = 0 is drawn at the colour minimum.

The Dataset holds the three panels on distinct dims (``*_left``, ``*_centre``, ``*_right``),
plus the Δt(d_out) line at λ = 0.9, γ = 0 (dim ``d_out_line``) used for the non-monotonicity
claim, the loss levels L*(d_out) and γ_c(λ) of the centre panel.
"""

from __future__ import annotations

import math

import numpy as np

from groklab.figures import register

__all__ = ["compute", "plot", "claims", "log_int_grid"]

PAPER = "Levi, Beck, Bar-Sinai 2023 (arXiv:2310.16441)"
ETA, EPS, THRESHOLD = 0.01, 1e-3, "a95"
LAM_LEFT, D_OUT_CENTRE, GAMMA_RIGHT = 0.9, 1, 0.0
D_OUT_MAX = 3000
CAPTION_D_OUT_MAX = 50  # Fig. 2 caption: d_out^max ≃ 50 at λ = 0.9
PANELS = ("left", "centre", "right")
_AXES = {"left": ("gamma", "d_out"), "centre": ("gamma", "lam"), "right": ("d_out", "lam")}
_VARS = ("t_train", "t_gen", "delay", "loss_train_inf", "loss_gen_inf", "never_groks")
_LABELS = {"gamma": "weight decay γ", "d_out": "output dimension d_out", "lam": "λ = d_in/N_tr"}


def log_int_grid(lo: int, hi: int, n: int) -> np.ndarray:
    """``n`` unique log-spaced integers in [lo, hi], both ends included (fewer if hi - lo < n)."""
    if hi - lo + 1 <= n:
        return np.arange(lo, hi + 1)
    for k in range(n, 100 * n):
        t = np.unique(np.round(np.logspace(math.log10(lo), math.log10(hi), k)).astype(np.int64))
        if t.size >= n:
            return np.delete(t, np.arange(1, 1 + t.size - n))
    raise AssertionError("unreachable")


def compute(n: int):
    """The three phase diagrams on ``n`` points per axis, as one Dataset."""
    import xarray as xr

    from groklab.models import linear_teacher as lt
    from groklab.models import linear_teacher_theory as theory
    from groklab.theory.special import loss_threshold

    base = lt.Config(eta=ETA, eps=EPS, threshold=THRESHOLD, wd_convention="paper")
    gamma = np.logspace(-6, -1, n)
    d_out = log_int_grid(1, D_OUT_MAX, n)
    lam = np.linspace(0.02, 2.0, n)
    grids = {
        "left": lt.theory_grid(base.replace(lam=LAM_LEFT), gamma=gamma, d_out=d_out),
        "centre": lt.theory_grid(
            base.replace(lam=LAM_LEFT, d_out=D_OUT_CENTRE), gamma=gamma, lam=lam
        ),
        "right": lt.theory_grid(base.replace(lam=LAM_LEFT, gamma=GAMMA_RIGHT), d_out=d_out,
                                lam=lam),
    }
    data = {}
    for panel, ds in grids.items():
        ds = ds[list(_VARS)].rename({a: f"{a}_{panel}" for a in _AXES[panel]})
        data.update({f"{v}_{panel}": ds[v] for v in _VARS})
    d_line = np.union1d(np.arange(1, 201), d_out)
    line = lt.theory_grid(base.replace(lam=LAM_LEFT, gamma=0.0), d_out=d_line)
    data["delay_line"] = line["delay"].rename(d_out="d_out_line")
    a_thr = base.accuracy_level
    for panel in ("left", "right"):
        dims = f"d_out_{panel}"
        data[f"loss_star_{panel}"] = (dims, [loss_threshold(EPS, int(d), a_thr) for d in d_out])
    l_star1 = loss_threshold(EPS, 1, a_thr)
    data["gamma_c_centre"] = (
        "lam_centre",
        [theory.gamma_critical(float(x), l_star1, D_OUT_CENTRE) for x in lam],
    )
    ds = xr.Dataset(data)
    ds.attrs.update(
        title="Fig. 4: phase diagrams of the grokking delay Δt (theory)",
        eta=ETA, eps=EPS, threshold=THRESHOLD, accuracy_level=a_thr, wd_convention="paper",
        lam_left=LAM_LEFT, d_out_centre=D_OUT_CENTRE, gamma_right=GAMMA_RIGHT, n=n,
        loss_threshold_d_out1=l_star1, time_unit="steps",
        config={"figure": "levi2023/fig4", "eta": ETA, "eps": EPS, "threshold": THRESHOLD,
                "n": n, "lam_left": LAM_LEFT, "d_out_centre": D_OUT_CENTRE,
                "gamma_right": GAMMA_RIGHT, "wd_convention": "paper"},
    )
    for panel in PANELS:
        ds[f"delay_{panel}"].attrs.update(long_name="Δt = t*_gen − t*_train (NaN: never)",
                                          units="steps")
    return ds


# ------------------------------------------------------------------------------------ plot
def _log_delay(ds, panel: str) -> np.ndarray:
    d = ds[f"delay_{panel}"].values
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, np.log10(np.where(d > 0, d, 1.0)), np.where(d == 0, -np.inf, np.nan))


def plot(ds, path) -> None:
    """Three panels of log10 Δt; white = no grokking, Δt = 0 at the colour minimum."""
    import matplotlib as mpl
    from matplotlib.colors import Normalize

    from groklab.figures._style import new_figure, save_figure

    logs = {p: _log_delay(ds, p) for p in PANELS}
    finite = np.concatenate([v[np.isfinite(v)] for v in logs.values()])
    vmin, vmax = math.floor(finite.min()), math.ceil(finite.max())
    cmap = mpl.colormaps["RdBu"].with_extremes(bad="white")  # red = short, blue = long
    norm = Normalize(vmin, vmax)
    fig, axes = new_figure(1, 3, width=10.5, height=3.2)
    fixed = {
        "left": f"λ = {ds.attrs['lam_left']:g}",
        "centre": f"d_out = {ds.attrs['d_out_centre']}",
        "right": f"γ = {ds.attrs['gamma_right']:g}",
    }
    mesh = None
    for ax, panel in zip(axes, PANELS, strict=True):
        a, b = _AXES[panel]
        x, y = ds[f"{a}_{panel}"].values, ds[f"{b}_{panel}"].values
        z = np.where(np.isneginf(logs[panel]), vmin, logs[panel]).T  # Δt = 0 at the minimum
        mesh = ax.pcolormesh(x, y, np.ma.masked_invalid(z), cmap=cmap, norm=norm,
                             shading="nearest", rasterized=True)
        levels = np.arange(vmin + 1, vmax)
        if levels.size and np.isfinite(z).sum() > 3:
            ax.contour(x, y, np.ma.masked_invalid(z), levels=levels, colors="k",
                       linewidths=0.4, alpha=0.6)
        for axis, name in (("x", a), ("y", b)):
            if name in ("gamma", "d_out"):
                getattr(ax, f"set_{axis}scale")("log")
            getattr(ax, f"set_{axis}label")(_LABELS[name])
        ax.set_title(f"{fixed[panel]}  (white: no grokking)")
    if "gamma_c_centre" in ds:
        gc = ds["gamma_c_centre"].values
        ok = np.isfinite(gc)
        axes[1].plot(gc[ok], ds["lam_centre"].values[ok], "k--", lw=0.8, label="γ_c(λ)")
        axes[1].legend(loc="lower left")
    cbar = fig.colorbar(mesh, ax=list(axes), shrink=0.9)
    cbar.set_label("log10 Δt [steps]  (Δt = 0 at the minimum)")
    fig.suptitle(
        f"Levi et al. 2023, Fig. 4: η = {ds.attrs['eta']:g}, ε = {ds.attrs['eps']:g}, "
        f"A(t*) = {ds.attrs['accuracy_level']:g}"
    )
    save_figure(fig, path)


# ---------------------------------------------------------------------------------- claims
def _boundary_rows(ds, panel: str, axis: int):
    """For each row (fixed second coordinate) with grokking cells and a no-grokking cell at
    larger γ: (Δt next to the boundary, Δt at the smallest γ)."""
    delay = ds[f"delay_{panel}"].values
    never = ds[f"never_groks_{panel}"].values
    if axis == 1:
        delay, never = delay.T, never.T
    out = []
    for d_row, n_row in zip(delay.T, never.T, strict=True):
        if n_row[0] or not n_row.any():
            continue
        first_never = int(np.argmax(n_row))
        if first_never < 2 or n_row[first_never:].sum() != n_row.size - first_never:
            continue
        near, far = d_row[first_never - 1], d_row[0]
        if far > 0:
            out.append((near, far))
    return out


def claims(ds) -> list[dict]:
    out = []
    # 1. λ > 1 never groks at γ = 0 exactly when (1 − 1/λ)/d_out ≥ L*(d_out)
    lam = ds["lam_right"].values
    d_out = ds["d_out_right"].values
    l_star = ds["loss_star_right"].values
    atom = np.maximum(1.0 - 1.0 / lam, 0.0)
    predicted = atom[None, :] / d_out[:, None] >= l_star[:, None]
    mask = ds["never_groks_right"].values
    d1 = int(np.argmin(np.abs(d_out - 1)))
    over = lam > 1
    out.append({
        "claim": "λ > 1 never groks at γ = 0 when 1 − 1/λ ≥ L* (right panel; (1 − 1/λ)/d_out ≥ "
                 "L*(d_out) for d_out > 1), and every λ < 1 cell groks",
        "measured": {
            "mismatched_cells": int((mask != predicted).sum()),
            "never_cells": int(mask.sum()),
            "never_at_d_out_1_lam_gt_1": f"{int(mask[d1, over].sum())}/{int(over.sum())}",
            "never_lam_lt_1": int(mask[:, lam < 1].sum()),
        },
        "expected": "never_groks == ((1 − 1/λ)^+/d_out ≥ L*(d_out)) in every cell",
        "passed": bool((mask == predicted).all() and mask[d1, over].all()
                       and not mask[:, lam < 1].any()),
    })
    # 2. Δt diverges approaching the no-grokking boundary γ_c(λ)
    rows = _boundary_rows(ds, "centre", 0) + _boundary_rows(ds, "left", 0)
    ratios = np.array([near / far for near, far in rows]) if rows else np.array([np.nan])
    gc = ds["gamma_c_centre"].values
    lam_c = ds["lam_centre"].values
    gam = ds["gamma_centre"].values
    inside = (lam_c < 1) & np.isfinite(gc) & (gc > gam[0]) & (gc < gam[-1])
    never_c = ds["never_groks_centre"].values  # (gamma, lam)
    agree = [bool(np.array_equal(never_c[:, j], gam >= gc[j])) for j in np.flatnonzero(inside)]
    out.append({
        "claim": "Δt diverges approaching the no-grokking boundary γ_c(λ): the grokking cell "
                 "next to the boundary has a larger Δt than the smallest-γ cell of its row "
                 "(centre and left panels), and the white region is γ ≥ γ_c(λ)",
        "measured": {
            "rows": len(rows),
            "min_ratio_near_over_far": float(np.nanmin(ratios)),
            "median_ratio_near_over_far": float(np.nanmedian(ratios)),
            "rows_with_boundary_matching_gamma_c": f"{sum(agree)}/{len(agree)}",
        },
        "expected": "ratio > 1 in every row; boundary = γ_c(λ)",
        "passed": bool(rows and np.all(ratios > 1) and all(agree)),
    })
    # 3. Δt(d_out) non-monotone with an interior maximum at λ = 0.9 (γ = 0)
    line = ds["delay_line"].values
    dl = ds["d_out_line"].values
    k = int(np.nanargmax(line))
    interior = 0 < k < line.size - 1 and line[k] > line[0] and line[k] > np.nanmin(line[k:])
    out.append({
        "claim": "Δt(d_out) is non-monotone with an interior maximum at λ = 0.9, γ = 0 "
                 f"(soft: caption says d_out^max ≃ {CAPTION_D_OUT_MAX})",
        "measured": {"d_out_max": int(dl[k]), "delay_max": float(line[k]),
                     "delay_d_out_1": float(line[0]), "delay_last": float(line[-1])},
        "expected": f"interior maximum; d_out^max ≃ {CAPTION_D_OUT_MAX} (soft)",
        "passed": bool(interior),
    })
    # 4. Δt = 0 exactly where 1/d_out ≤ L*(d_out) (both accuracies above A at t = 0)
    zero_ok = []
    for panel in ("left", "right"):
        d = ds[f"d_out_{panel}"].values
        ls = ds[f"loss_star_{panel}"].values
        delay = ds[f"delay_{panel}"].values
        axis = list(ds[f"delay_{panel}"].dims).index(f"d_out_{panel}")
        pred = np.expand_dims(1.0 / d <= ls, 1 - axis)
        pred = np.broadcast_to(pred, delay.shape)
        zero_ok.append(int(((delay == 0) != pred).sum()))
    d_right = ds["d_out_right"].values
    first_zero = d_right[1.0 / d_right <= ds["loss_star_right"].values]
    out.append({
        "claim": "Δt = 0 once d_out² ε ≥ 2·gammaincinv(d_out/2, A) (1/d_out ≤ L*)",
        "measured": {"mismatched_cells_left_right": zero_ok,
                     "first_zero_d_out_on_grid": int(first_zero.min()) if first_zero.size
                     else None},
        "expected": "no mismatched cells",
        "passed": bool(sum(zero_ok) == 0),
    })
    return out


register(
    "levi2023/fig4",
    paper=PAPER,
    number="4",
    title="Phase diagrams of the grokking delay Δt over (γ, d_out), (γ, λ) and (d_out, λ)",
    compute_quick=lambda: compute(40),
    compute_full=lambda: compute(100),
    plot=plot,
    claims=claims,
    description=(
        "Theory only (Marchenko–Pastur, Eq. 8/13/15 with root-finding for t*), η = 0.01, "
        "ε = 1e-3, A(t*) = 0.95. Left λ = 0.9, centre d_out = 1, right γ = 0. Colour log10 Δt "
        "(red short, blue long); white: generalization accuracy never reaches 0.95."
    ),
)
