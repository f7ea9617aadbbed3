"""Figs. 7 and 8 of Beck, Bar-Sinai, Levi 2026: multi-class logit regularization (spec §1.4, §2.2,
§3.3, §4 rows 7–8, claim 16).

* **Fig. 7** — K = 10, d = 1400, N = 2000, σ_f = 0.1, σ_n = 1, α ∈ {0, 0.2} (quick: K = 5,
  d = 200, N = 400). Training logits of classes 1–3 projected on (z₁ − z₂, z₁ − z₃), as in
  Müller et al. (2019). The model's ``simulate`` records summaries only (no weights), so the
  logits are those of the converged limit (:func:`~groklab.theory.logit_reg_multiclass.
  minimize_multiclass` on the seed's draw) in place of GD's 20k epochs; at α = 0 (no finite
  minimizer on separable data) that is the solver's iterate when ‖∇L‖ < 1e-10 or after
  ``ALPHA0_ITERS`` Newton iterations. Claim 16: α > 0 clusters the logits at the simplex
  vertices — the spread (RMS distance of a class's points to its centroid) relative to the
  mean distance between the three class centroids is below ``CLUSTER_RATIO`` of α = 0's, and
  the α > 0 centroids sit at the target vertices (q_high − q_low)·(±1, …) within ``VERTEX_TOL``
  of the vertex distance.
* **Fig. 8** — as Fig. 7 but σ_f = 0, α = 0.04 (quick: K = 5, d = 140, N = 200, λ = 0.7):
  train/test loss and accuracy of full-batch GD (η = 0.1) against log epochs, with the paper's
  snapshot epochs 1, 71, 5217 marked. ``simulate`` has no logit snapshots, so the figure shows
  the curves only. Claims: the test loss rises above its epoch-1 value before it falls (the
  grokking bump) and the test accuracy reaches 1 (Prop. D.2: σ_f = 0, λ < 1).
"""

from __future__ import annotations

import numpy as np

from groklab.figures import claim, register
from groklab.figures._style import color, log_axes, new_figure, save_figure

__all__ = ["claims_fig7", "claims_fig8", "compute_fig7", "compute_fig8", "plot_fig7", "plot_fig8"]

PAPER = "Beck, Bar-Sinai, Levi 2026 (arXiv:2602.12039)"
#: (K, d, N) of the quick and full variants.
FIG7_SIZE = {True: (5, 200, 400), False: (10, 1400, 2000)}
FIG7_ALPHAS = (0.0, 0.2)
FIG7 = {"sigma_f": 0.1, "sigma_n": 1.0}
ALPHA0_ITERS = 60
#: α > 0 spread / α = 0 spread (both relative to the centroid distance) must be below this.
CLUSTER_RATIO = 0.5
#: α > 0 class centroids within this fraction of the vertex distance of the target vertices.
VERTEX_TOL = 0.1
#: Classes shown (0-based: classes 1–3 of the paper).
SHOWN = (0, 1, 2)

FIG8_SIZE = {True: (5, 140, 200, 20_000), False: (10, 1400, 2000, 20_000)}
FIG8 = {"sigma_f": 0.0, "sigma_n": 1.0, "alpha": 0.04}
SNAPSHOTS = (1, 71, 5217)
#: Test accuracy counted as 1.
ACC_ONE = 0.99


def _projection(Z: np.ndarray) -> np.ndarray:
    """(z₁ − z₂, z₁ − z₃) of logit rows Z."""
    return np.stack([Z[:, 0] - Z[:, 1], Z[:, 0] - Z[:, 2]], axis=1)


def _cluster_stats(P: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Class centroids (3, 2), RMS distance to the own centroid, mean centroid distance."""
    cen = np.stack([P[c == k].mean(axis=0) for k in SHOWN])
    spread = float(np.sqrt(np.mean(np.sum((P - cen[c]) ** 2, axis=1))))
    dist = float(np.mean([np.linalg.norm(cen[i] - cen[j]) for i, j in ((0, 1), (0, 2), (1, 2))]))
    return cen, spread, dist


def compute_fig7(quick: bool):
    import xarray as xr

    from groklab.models import logit_reg
    from groklab.theory.logit_reg_multiclass import minimize_multiclass

    K, d, n = FIG7_SIZE[quick]
    base = logit_reg.Config(d=d, n_train=n, n_classes=K, n_pop_mc=1, **FIG7)
    arrays = logit_reg.sample(base)
    X, c = np.asarray(arrays["X"]), np.asarray(arrays["y"])
    keep = np.isin(c, SHOWN)
    proj, rows = [], []
    for a in FIG7_ALPHAS:
        fit = minimize_multiclass(X, c, K, a, maxiter=2000 if a > 0 else ALPHA0_ITERS)
        P = _projection(X[keep] @ fit.W.T + fit.b)
        _, spread, dist = _cluster_stats(P, c[keep])
        proj.append(P)
        rows.append((spread / dist, fit.grad_norm, float(np.linalg.norm(fit.W))))
    rel, gnorm, norm_w = (np.array(v) for v in zip(*rows, strict=True))
    return xr.Dataset(
        {"u": (("alpha", "point"), np.stack(proj)[..., 0]),
         "v": (("alpha", "point"), np.stack(proj)[..., 1]),
         "cls": ("point", c[keep]),
         "rel_spread": ("alpha", rel), "grad_norm": ("alpha", gnorm), "norm_W": ("alpha", norm_w)},
        coords={"alpha": list(FIG7_ALPHAS)},
        attrs={"K": K, "d": d, "n_train": n, "seed": base.seed, **FIG7,
               "limit": "converged minimizer of the draw (minimize_multiclass); α = 0: "
                        f"iterate after ≤ {ALPHA0_ITERS} Newton iterations"},
    )


def plot_fig7(ds, path):
    fig, axes = new_figure(1, ds.sizes["alpha"], width=6.4, height=3.0)
    cls = ds["cls"].values
    for ax, a in zip(np.atleast_1d(axes), ds["alpha"].values, strict=True):
        one = ds.sel(alpha=a)
        for i, k in enumerate(SHOWN):
            m = cls == k
            ax.scatter(one["u"].values[m], one["v"].values[m], s=4, alpha=0.5, color=color(i),
                       label=f"class {k + 1}")
        ax.set_title(f"α = {a:g}: spread/dist = {float(one['rel_spread']):.3g}")
        ax.set_xlabel("z₁ − z₂")
        ax.set_ylabel("z₁ − z₃")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    save_figure(fig, path)


def claims_fig7(ds) -> list[dict]:
    from groklab.theory.logit_reg_multiclass import multiclass_targets

    r0, r1 = (float(ds["rel_spread"].sel(alpha=a)) for a in FIG7_ALPHAS)
    a = FIG7_ALPHAS[1]
    q_high, q_low = multiclass_targets(a, int(ds.attrs["K"]))
    g = q_high - q_low
    vertices = np.array([[g, g], [-g, 0.0], [0.0, -g]])  # (z₁ − z₂, z₁ − z₃) of z*_1..3
    one = ds.sel(alpha=a)
    P = np.stack([one["u"].values, one["v"].values], axis=1)
    cen, _, _ = _cluster_stats(P, ds["cls"].values)
    off = float(np.max(np.linalg.norm(cen - vertices, axis=1)) / (g * np.sqrt(2)))
    return [
        claim("α > 0 clusters the logits (claim 16): spread relative to the centroid distance, "
              "α = 0.2 vs α = 0", {"alpha_0": r0, "alpha_0.2": r1, "ratio": r1 / r0},
              f"ratio < {CLUSTER_RATIO}", r1 / r0 < CLUSTER_RATIO),
        claim("the α = 0.2 clusters sit at the simplex vertices z*_c (q_high, q_low)",
              {"max centroid offset / vertex distance": off, "q_high": q_high, "q_low": q_low},
              f"< {VERTEX_TOL}", off < VERTEX_TOL),
    ]


def compute_fig8(quick: bool):
    from groklab.models import logit_reg

    K, d, n, t_max = FIG8_SIZE[quick]
    cfg = logit_reg.Config(d=d, n_train=n, n_classes=K, t_max=t_max,
                           n_pop_mc=20_000 if quick else 10**5, **FIG8)
    t = np.union1d(logit_reg.default_times(cfg, 120), SNAPSHOTS)
    ds = logit_reg.simulate(cfg, times=t, seeds=[cfg.seed]).isel(seed=0)
    keep = ["loss_train", "loss_gen", "acc_train", "acc_gen", "acc_gen_se"]
    out = ds[keep]
    out.attrs = {"K": K, "d": d, "n_train": n, "t_max": t_max, "seed": cfg.seed,
                 "snapshots": list(SNAPSHOTS), **FIG8}
    return out


def plot_fig8(ds, path):
    fig, (ax_l, ax_a) = new_figure(1, 2, width=6.4, height=2.8)
    t = ds["t"].values[1:]
    for ax, name in ((ax_l, "loss"), (ax_a, "acc")):
        for i, which in enumerate(("train", "gen")):
            ax.plot(t, ds[f"{name}_{which}"].values[1:], color=color(i),
                    label="train" if which == "train" else "test")
        for s in SNAPSHOTS:
            ax.axvline(s, color="0.6", lw=0.6, ls=":")
        log_axes(ax)
        ax.set_xlabel("epoch")
    ax_l.set_ylabel("loss")
    ax_a.set_ylabel("accuracy")
    ax_l.legend(fontsize=7)
    save_figure(fig, path)


def claims_fig8(ds) -> list[dict]:
    t = ds["t"].values
    loss = ds["loss_gen"].values
    one = int(np.searchsorted(t, 1))
    peak = one + int(np.argmax(loss[one:]))
    rise = float(loss[peak] - loss[one])
    acc_end = float(ds["acc_gen"].values[-1])
    return [
        claim("the test loss rises then falls (multi-class grokking)",
              {"loss_gen(1)": float(loss[one]), "max": float(loss[peak]), "t_max": float(t[peak]),
               "final": float(loss[-1])},
              "max > loss_gen(1) and final < max", rise > 0 and loss[-1] < loss[peak]),
        claim("the test accuracy reaches 1 (σ_f = 0, λ < 1, α > 0)",
              {"acc_gen(end)": acc_end, "se": float(ds["acc_gen_se"].values[-1])},
              f"≥ {ACC_ONE}", acc_end >= ACC_ONE),
    ]


register(
    "beck2026/fig7", paper=PAPER, number=7,
    title="Multi-class: α > 0 clusters the logits at the simplex vertices",
    compute_quick=lambda: compute_fig7(True), compute_full=lambda: compute_fig7(False),
    plot=plot_fig7, claims=claims_fig7,
)
register(
    "beck2026/fig8", paper=PAPER, number=8,
    title="Multi-class grokking at σ_f = 0: test loss rises then falls, accuracy reaches 1",
    compute_quick=lambda: compute_fig8(True), compute_full=lambda: compute_fig8(False),
    plot=plot_fig8, claims=claims_fig8,
)
