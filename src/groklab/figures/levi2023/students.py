"""Fig. 5 of Levi, Beck, Bar-Sinai 2023: two-layer students (spec §6, §7 Fig. 5 row, claims 24–25).

Top row: a linear two-layer network d_in–d_h–d_out ("deep-linear"); bottom row: a tanh hidden
layer with a tanh teacher of the same shape. Losses on the left, accuracies on the right. The
simulations are literal full-batch GD (no closed form), batched over seeds. The black overlay is
the corrected Eq. 19 (spec §6, erratum #7),

    L_tr/gen(t) ≈ (‖D₀‖²/d_out) · E_MP[q e^{−4 (η/(2 d_out²)) ν t}],

with each seed's realized ‖D₀‖² = d_out · L_gen(0) (an allowed variant, spec §7); for tanh the
measured L_gen(0) on the fresh points. Literal Eq. 19 (a factor d_out larger) is drawn thin
dotted. Accuracies of the overlay follow from Eq. 13.

Variants:

* full: the paper's 1000–d_h–5, d_h ∈ {50, 200}, λ = 0.5 (N_tr = 2000), η = 0.01, ε = 1e-4,
  5 seeds, horizon by the spec rule with η_eff = η/(2 d_out²). Literal GD over ~10⁵ steps: meant
  for a GPU; on CPU it prints an estimated runtime (from a short timed pilot) before starting.
* quick: 100–d_h–2 with d_h ∈ {20, 80}, λ = 0.5, ε = 2e-3 (so that grokking happens within 10⁴
  steps), 3 seeds, fewer fresh points. Everything is recorded in the Dataset attrs.
"""

from __future__ import annotations

import math
import time

import numpy as np

from groklab.figures import register

__all__ = ["compute", "plot", "claims", "FULL", "QUICK"]

FIG_ID = "levi2023/fig5"
STUDENTS = ("deep-linear", "tanh")

#: The paper's parameters (spec §7, Fig. 5 row; λ, seeds and n_gen are project defaults).
FULL = dict(
    d_in=1000,
    d_out=5,
    lam=0.5,
    eta=0.01,
    eps=1e-4,
    d_hs=(50, 200),
    seeds=5,
    n_gen=10_000,
    n_times=300,
)
#: Same physics at small sizes (< 1 min on 2 CPU cores): d_h ≫ d_out kept, ε raised so that the
#: generalization accuracy reaches 95% within the 10⁴-step horizon the spec rule then gives.
QUICK = dict(
    d_in=64, d_out=2, lam=0.5, eta=0.01, eps=2e-3, d_hs=(20, 80), seeds=3, n_gen=2_000, n_times=60
)

#: Theory curves are compared where the corrected prediction exceeds FLOOR_FRACTION × L*: the
#: whole approach to the 95% level (the range that decides grokking). Below it the frozen kernel
#: drifts (the S0 S0ᵀ term of the exact Ḋ speeds the decay by ~d_out/min(d_h, d_in), and the
#: sample's smallest eigenvalue takes over); the error down to L*/10 is reported alongside.
FLOOR_FRACTION = 1.0
REPORT_FLOOR_FRACTION = 0.1
#: Loose tolerance on |log(sim / corrected Eq. 19)| for the deep-linear students: the frozen
#: kernel is a heuristic (spec §6) and the seed average of a d_in = 100 sample still scatters.
#: It still rejects literal Eq. 19 (off by log d_out = 0.69 at d_out = 2).
TOL_DEEP_LINEAR = 0.35
#: Bound on |log(literal ratio / d_out)| for "literal Eq. 19 is off by the factor d_out".
TOL_LITERAL = 0.35
#: "tanh tracks the linear prediction in some cases": within a factor 2 for at least one d_h.
TOL_TANH = math.log(2.0)


def _configs(p: dict):
    from groklab.models.linear_teacher import Config

    return {
        (student, d_h): Config(
            d_in=p["d_in"],
            d_out=p["d_out"],
            lam=p["lam"],
            eta=p["eta"],
            eps=p["eps"],
            student=student,
            d_h=d_h,
            n_gen=p["n_gen"],
            threshold="a95",
        )
        for student in STUDENTS
        for d_h in p["d_hs"]
    }


def _horizon(configs) -> int:
    """Spec §7: the smallest power of 10 ≥ 5 × the largest finite theory t*_gen, and ≥ 10⁴
    (theory with η_eff = η/(2 d_out²) and E‖D₀‖² = 1/(2 d_h))."""
    from groklab.models import linear_teacher as lt

    longest = max(
        (t for c in configs.values() for t in lt.theory_times(c) if math.isfinite(t)), default=0.0
    )
    return int(10 ** max(4, math.ceil(math.log10(max(5 * longest, 1.0)))))


def _time_grid(t_max: int, n: int) -> np.ndarray:
    grid = np.unique(np.round(np.logspace(0, math.log10(t_max), n)).astype(np.int64))
    return np.concatenate([[0], grid])


def _estimate_cpu_seconds(configs, seeds, t_max: int) -> float:
    """Per-step cost from two short timed one-seed runs per config (the compile and sampling
    costs cancel in the difference), scaled to all seeds and ``t_max`` steps."""
    from groklab.models import linear_teacher as lt

    total = 0.0
    for c in configs.values():
        cost = []
        for n in (2, 22):
            start = time.perf_counter()
            lt.simulate(c, np.array([0, n]), seeds=seeds[:1])
            cost.append(time.perf_counter() - start)
        total += max(cost[1] - cost[0], 1e-6) / 20 * len(seeds) * t_max + cost[0]
    return total


def _overlay(c, norm_d0_sq: np.ndarray, t: np.ndarray, literal: bool) -> dict:
    from groklab.models import linear_teacher_theory as th
    from groklab.theory import special

    out = {}
    for kind in ("train", "gen"):
        loss = np.stack(
            [
                th.loss_two_layer(c.eta, t, c.lam_theory, c.d_out, n, kind, literal=literal)
                for n in norm_d0_sq
            ]
        )
        out[f"loss_{kind}"] = loss
        out[f"acc_{kind}"] = special.accuracy_from_loss(loss, c.eps, c.d_out)
    return out


def _theory_times(c, norm_d0_sq: float) -> tuple[float, float]:
    """Corrected-Eq.-19 t* with a given ‖D₀‖²: the one-layer curve at η/(2 d_out), total norm."""
    from groklab.models import linear_teacher as lt
    from groklab.models import linear_teacher_theory as th

    level = lt.loss_threshold(c)
    return tuple(
        th.crossing_time(
            c.eta / (2 * c.d_out),
            level,
            lam=c.lam_theory,
            d_out=c.d_out,
            kind=kind,
            sigma_s2=float(norm_d0_sq),
            sigma_t2=0.0,
        )
        for kind in ("train", "gen")
    )


def compute(p: dict, variant: str):
    """Simulate every (student, d_h) over the seeds and add the Eq. 19 overlays; one Dataset."""
    import jax
    import xarray as xr

    from groklab.metrics import grokking_times
    from groklab.models import linear_teacher as lt

    configs = _configs(p)
    t_max = _horizon(configs)
    t = _time_grid(t_max, p["n_times"])
    seeds = list(range(p["seeds"]))
    backend = jax.default_backend()
    if backend == "cpu" and variant == "full":
        est = _estimate_cpu_seconds(configs, seeds, t_max)
        print(
            f"levi2023/fig5 (full) on CPU: literal GD over {t_max} steps, "
            f"{len(configs)} configs × {len(seeds)} seeds; estimated runtime "
            f"{est / 3600:.1f} h ({est:.0f} s). A GPU runs it unchanged.",
            flush=True,
        )

    shape = (len(STUDENTS), len(p["d_hs"]), len(seeds), len(t))
    names = ["loss_train", "loss_gen", "acc_train", "acc_gen"]
    arr = {f"{pre}{k}": np.full(shape, np.nan) for k in names for pre in ("", "eq19_", "lit_")}
    per_seed = {
        k: np.full(shape[:3], np.nan)
        for k in ("norm_d0_sq", "t_train", "t_gen", "eq19_t_train", "eq19_t_gen")
    }
    seconds = {}
    for i, student in enumerate(STUDENTS):
        for j, d_h in enumerate(p["d_hs"]):
            c = configs[(student, d_h)]
            start = time.perf_counter()
            sim = lt.simulate(c, t, seeds=seeds)
            seconds[f"{student}/{d_h}"] = round(time.perf_counter() - start, 2)
            norm = c.d_out * sim["loss_gen"].isel(t=0).values  # realized ‖D₀‖² per seed
            per_seed["norm_d0_sq"][i, j] = norm
            for k in names:
                arr[k][i, j] = sim[k].values
            for pre, lit in (("eq19_", False), ("lit_", True)):
                for k, v in _overlay(c, norm, t.astype(float), lit).items():
                    arr[pre + k][i, j] = v
            gt = grokking_times(sim, c.threshold)
            per_seed["t_train"][i, j] = gt["t_train"].values
            per_seed["t_gen"][i, j] = gt["t_gen"].values
            for s, n in enumerate(norm):
                per_seed["eq19_t_train"][i, j, s], per_seed["eq19_t_gen"][i, j, s] = _theory_times(
                    c, n
                )

    c0 = next(iter(configs.values()))
    dims = ("student", "d_h", "seed", "t")
    ds = xr.Dataset(
        {k: (dims, v) for k, v in arr.items()} | {k: (dims[:3], v) for k, v in per_seed.items()},
        coords={"student": list(STUDENTS), "d_h": list(p["d_hs"]), "seed": seeds, "t": t},
        attrs={
            "time_unit": "steps",
            "variant_parameters": {k: list(v) if isinstance(v, tuple) else v for k, v in p.items()},
            "d_in": p["d_in"],
            "d_out": p["d_out"],
            "lam": p["lam"],
            "eta": p["eta"],
            "eps": p["eps"],
            "n_train": c0.n_train_eff,
            "n_gen": p["n_gen"],
            "threshold": "a95",
            "loss_threshold": lt.loss_threshold(c0),
            "t_max": t_max,
            "eta_eff": p["eta"] / (2 * p["d_out"] ** 2),
            "horizon_rule": "smallest power of 10 >= 5 x largest theory t*_gen, >= 1e4",
            "method": "literal full-batch GD (JAX engine), float64",
            "overlay": "corrected Eq. 19 with each seed's realized ||D0||^2 = d_out L_gen(0) "
            "(tanh: on the fresh points); lit_* = Eq. 19 as printed",
            "backend": backend,
            "sim_seconds": seconds,
            "configs": {f"{s}/{d}": c.to_dict() for (s, d), c in configs.items()},
        },
    )
    ds["t"].attrs.update(long_name="GD step", units="steps")
    return ds


def _log_ratios(ds, student: str, num: str, den: str, floor_frac: float = FLOOR_FRACTION):
    """Per d_h: log(mean_seeds num / mean_seeds den) over t where the seed mean of the
    corrected prediction exceeds ``floor_frac`` × L*, train and gen losses stacked."""
    floor = floor_frac * float(ds.attrs["loss_threshold"])
    out = {}
    for d_h in ds["d_h"].values:
        vals = []
        for kind in ("train", "gen"):
            sel = dict(student=student, d_h=d_h)
            a = ds[f"{num}loss_{kind}"].sel(sel).mean("seed").values
            b = ds[f"{den}loss_{kind}"].sel(sel).mean("seed").values
            ref = ds[f"eq19_loss_{kind}"].sel(sel).mean("seed").values
            keep = ref > floor
            vals.append(np.log(a[keep] / b[keep]))
        out[int(d_h)] = np.concatenate(vals)
    return out


def claims(ds) -> list[dict]:
    d_out = int(ds.attrs["d_out"])
    d_hs = [int(d) for d in ds["d_h"].values]
    wide, narrow = max(d_hs), min(d_hs)
    res = []
    dl = _log_ratios(ds, "deep-linear", "", "eq19_")
    worst = {d: float(np.max(np.abs(v))) for d, v in dl.items()}
    deeper = _log_ratios(ds, "deep-linear", "", "eq19_", REPORT_FLOOR_FRACTION)
    res.append(
        {
            "claim": f"Corrected Eq. 19 (frozen kernel, η → η/(2 d_out²), ‖D₀‖²/d_out) tracks the "
            f"deep-linear simulations at d_h ≫ d_out (d_h/d_out = {wide // d_out}; seed "
            "means of train and gen losses, where the loss > L*)",
            "measured": {
                **{f"max|log(sim/eq19)| d_h={d}": round(w, 4) for d, w in worst.items()},
                **{
                    f"down to L*/10, d_h={d}": round(float(np.max(np.abs(v))), 4)
                    for d, v in deeper.items()
                },
            },
            "expected": f"< {TOL_DEEP_LINEAR} at d_h = {wide}",
            "passed": worst[wide] < TOL_DEEP_LINEAR,
        }
    )
    res.append(
        {
            "claim": "The frozen kernel degrades as d_h/d_out shrinks (spec §6: a heuristic for "
            "d_h ≫ d_out; the smallest eigenvalue of S1ᵀS1 slows the late decay)",
            "measured": {f"max|log(sim/eq19)| d_h={d}": round(w, 4) for d, w in worst.items()},
            "expected": f"error at d_h = {narrow} > error at d_h = {wide}",
            "passed": worst[narrow] > worst[wide],
        }
    )
    lit = _log_ratios(ds, "deep-linear", "lit_", "")
    med = {d: float(np.exp(np.median(v))) for d, v in lit.items()}
    lit_err = float(np.min(np.abs(lit[wide])))
    res.append(
        {
            "claim": "Literal Eq. 19 is off by the factor d_out (median literal/sim loss ratio)",
            "measured": {
                **{f"median ratio d_h={d}": round(m, 4) for d, m in med.items()},
                f"min|log(sim/literal)| d_h={wide}": round(lit_err, 4),
            },
            "expected": f"≈ d_out = {d_out} (|log(ratio/d_out)| < {TOL_LITERAL}); at d_h = {wide} "
            "every point farther than the corrected curve's worst",
            "passed": all(abs(math.log(m / d_out)) < TOL_LITERAL for m in med.values())
            and lit_err > worst[wide],
        }
    )
    th = _log_ratios(ds, "tanh", "", "eq19_")
    tw = {d: float(np.max(np.abs(v))) for d, v in th.items()}
    tdeep = _log_ratios(ds, "tanh", "", "eq19_", REPORT_FLOOR_FRACTION)
    res.append(
        {
            "claim": "tanh two-layer losses track the linear frozen-kernel prediction 'in some "
            "cases' (soft; loss > L*)",
            "measured": {
                **{f"max|log(sim/eq19)| d_h={d}": round(w, 4) for d, w in tw.items()},
                **{
                    f"down to L*/10, d_h={d}": round(float(np.max(np.abs(v))), 4)
                    for d, v in tdeep.items()
                },
            },
            "expected": f"< log 2 = {TOL_TANH:.3f} for at least one d_h",
            "passed": min(tw.values()) < TOL_TANH,
        }
    )
    ratio = (ds["t_gen"] / ds["eq19_t_gen"]).sel(student="deep-linear")
    r = ratio.sel(d_h=wide).values
    res.append(
        {
            "claim": f"Deep-linear t*_gen (95% generalization accuracy) matches corrected Eq. 19 "
            f"at d_h = {wide}",
            "measured": {
                f"t*_gen sim/eq19 d_h={d}": [round(float(x), 4) for x in ratio.sel(d_h=d).values]
                for d in d_hs
            },
            "expected": "finite for every seed, ratio within [0.67, 1.5] at the largest d_h",
            "passed": bool(np.all(np.isfinite(r)) and r.min() > 1 / 1.5 and r.max() < 1.5),
        }
    )
    return res


def plot(ds, path) -> None:
    from groklab.figures._style import (
        GEN_LS,
        THEORY,
        TRAIN_LS,
        color,
        log_axes,
        mark_crossing,
        new_figure,
        save_figure,
    )

    fig, axes = new_figure(2, 2, width=7.0, height=5.4)
    t = ds["t"].values.astype(float)
    tp = np.where(t > 0, t, np.nan)
    level = float(ds.attrs.get("loss_threshold", np.nan))
    for i, student in enumerate(ds["student"].values):
        ax_l, ax_a = axes[i, 0], axes[i, 1]
        for j, d_h in enumerate(ds["d_h"].values):
            c = color(j + 1 if j == 0 else 0)  # blue for the first d_h, red for the second
            sel = dict(student=student, d_h=d_h)
            label = f"d_h = {int(d_h)}"
            for kind, ls in (("train", TRAIN_LS), ("gen", GEN_LS)):
                v = ds[f"loss_{kind}"].sel(sel)
                ax_l.fill_between(tp, v.min("seed"), v.max("seed"), color=c, alpha=0.15, lw=0)
                ax_l.plot(
                    tp, v.isel(seed=0), ls=ls, color=c, label=label if kind == "gen" else None
                )
                ax_l.plot(tp, ds[f"eq19_loss_{kind}"].sel(sel).isel(seed=0), ls=ls, **THEORY)
                ax_l.plot(
                    tp,
                    ds[f"lit_loss_{kind}"].sel(sel).isel(seed=0),
                    ls=":",
                    color="black",
                    lw=0.6,
                    zorder=4,
                )
                a = ds[f"acc_{kind}"].sel(sel)
                ax_a.fill_between(tp, a.min("seed"), a.max("seed"), color=c, alpha=0.15, lw=0)
                ax_a.plot(tp, a.isel(seed=0), ls=ls, color=c)
                ax_a.plot(tp, ds[f"eq19_acc_{kind}"].sel(sel).isel(seed=0), ls=ls, **THEORY)
                ts = float(ds[f"t_{kind}"].sel(sel).isel(seed=0))
                mark_crossing(ax_a, ts, 0.95, kind, c)
        if np.isfinite(level):
            ax_l.axhline(level, color="gray", lw=0.5, ls="-.", zorder=1)
        log_axes(ax_l, x=True, y=True)
        log_axes(ax_a, x=True)
        name = "linear" if student == "deep-linear" else "tanh"
        arch = f"{ds.attrs['d_in']}–d_h–{ds.attrs['d_out']}"
        ax_l.set_title(f"{name} {arch}: losses")
        ax_a.set_title(f"{name} {arch}: accuracies (ε = {ds.attrs['eps']:g})")
        ax_l.set_ylabel("loss")
        ax_a.set_ylabel("accuracy")
        ax_a.set_ylim(-0.02, 1.02)
        for ax in (ax_l, ax_a):
            ax.set_xlabel("GD step t")
        ax_l.legend(loc="lower left", title="sim (dashed train, solid gen)")
    axes[0, 1].plot([], [], **THEORY, label="corrected Eq. 19")
    axes[0, 1].plot([], [], ls=":", color="black", lw=0.6, label="Eq. 19 as printed")
    axes[0, 1].legend(loc="upper left")
    save_figure(fig, path)


register(
    FIG_ID,
    paper="Levi, Beck, Bar-Sinai 2023 (arXiv:2310.16441)",
    number="5",
    title="Two-layer students (linear and tanh hidden layer) vs the corrected Eq. 19",
    compute_quick=lambda: compute(QUICK, "quick"),
    compute_full=lambda: compute(FULL, "full"),
    plot=plot,
    claims=claims,
    description=(
        "Literal GD of d_in–d_h–d_out networks (teacher and student of the same architecture) "
        "against the frozen-kernel prediction, Eq. 19 with the missing 1/d_out restored "
        "(erratum #7) and each seed's realized ||D0||^2."
    ),
)
