"""Shared machinery of the Beck, Levi, Bar-Sinai 2025 training-curve figures (Figs. 1 left, 5,
10–14; :mod:`.curves`): one *column* per case.

A column is one parameter setting (:class:`Case`) trained on one or more LP-classified draws:

* row 1: train (dashed) and population (solid) loss, log–log;
* row 2: train (dashed) and population (solid) accuracy; markers at the first crossing of 0.9
  (diamond: train, star: generalization), i.e. ``delay_acc(0.9)`` (spec §1.5);
* row 3: σ‖S‖ (solid) and b (dashed), log epoch axis.

Theory is drawn in black: the Prop. 3.2 limit of a separable draw (row 2) and, where asked, the
paper's "long-time prediction" of an inseparable draw (:func:`groklab.models.separability.predict`:
S frozen at S_∞, the bias following the gradient flow), dashed on every row.

Each draw is classified by :func:`groklab.theory.separability.is_separable` before its outcome is
judged; a case may ask for a class (``want``), in which case seeds are scanned upward from
``config.seed`` and the first matching ones are used (recorded in the Dataset).

:func:`announce_runtime` prints, on CPU only, the estimated run time of a full variant from a
few timed steps of a proxy of the same physics at N = ``PROXY_N``, scaled by N·d.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
import time

import numpy as np

from groklab.figures import claim
from groklab.models.separability_config import Config

__all__ = [
    "ACC_LEVEL",
    "DEF_DELAY",
    "Case",
    "announce_runtime",
    "claim",
    "classifiable",
    "compute_columns",
    "estimate_runtime",
    "late_slope",
    "log_rise",
    "pick_seeds",
    "plot_columns",
    "plot_figure",
    "register_figure",
    "times_grid",
]

ACC_LEVEL = 0.9
DEF_DELAY = (
    f"delay_acc({ACC_LEVEL:g}) = t(A_gen ≥ {ACC_LEVEL:g}) − t(A_train ≥ {ACC_LEVEL:g}), first "
    "crossings interpolated in log t between records (spec §1.5); a run that never crosses "
    "within the horizon is censored: NaN with censored = True, never the run length"
)
#: Proxy size of the runtime estimate (N; d = λN), and the number of timed steps.
PROXY_N = 2000
PROXY_STEPS = 20
#: Seeds scanned at most when a case asks for a separability class.
MAX_SCAN = 64
_CURVES = ("loss_train", "loss_gen", "acc_train", "acc_gen", "norm_S", "bias")


@dataclasses.dataclass(frozen=True)
class Case:
    """One column: a label, the model config, and what to compute for its draws.

    ``want``: ``"inseparable"`` / ``"separable"`` scans seeds for that LP class (None: take
    seeds ``config.seed, config.seed + 1, …`` as they come). ``theory``: the draw's margin M
    (separable) or S_∞, G_∞ (inseparable). ``overlay``: the long-time prediction of the first
    run if it is inseparable. ``reference``: a second config run on the same draws (GD flow,
    e.g. to compare Adam with GD), recorded as ``ref_*``.
    """

    label: str
    config: Config
    want: str | None = None
    theory: bool = False
    overlay: bool = False
    reference: Config | None = None


def times_grid(t_max: float, n_t: int) -> np.ndarray:
    """t = 0 plus about ``n_t`` log-spaced unique integer steps in [1, t_max]."""
    grid = np.unique(np.round(np.logspace(0, math.log10(t_max), n_t)).astype(np.int64))
    return np.concatenate([[0], grid])


#: The Config fields that fix a seed's training set (inputs and labels).
_DATA_FIELDS = ("d", "sigma", "form", "mu", "sigma_A", "label_fraction", "inputs", "alpha",
                "mix_mean", "mix_var")


def _draw_config(config: Config) -> Config:
    """The fields that fix the training set (N, d, σ and the data law), for caching per draw."""
    return Config(n_train=config.n_train_eff, **{k: getattr(config, k) for k in _DATA_FIELDS})


def classifiable(config: Config) -> bool:
    """Whether "separable from the origin" decides the outcome (Prop. 3.2): the reduced,
    constant-label model, any input law. The two-Gaussian form and label fractions r < 1 have
    labels of both signs; there the test does not apply and runs are left unclassified."""
    return config.form == "reduced" and config.label_fraction == 1.0


def _draw(config: Config, seed: int) -> np.ndarray:
    from groklab.models import separability as m

    return np.asarray(m.sample(config, seed)["X"], dtype=float)


@functools.lru_cache(maxsize=256)
def _lp_separable(draw: Config, seed: int) -> bool:
    from groklab.theory.separability import is_separable

    return bool(is_separable(_draw(draw, seed)))


def pick_seeds(case: Case, n_runs: int) -> tuple[list[int], list[bool], int]:
    """Seeds of the runs, their LP class (True = separable; False where the test does not
    apply, see :func:`classifiable`), and how many seeds were scanned."""
    start, draw = case.config.seed, _draw_config(case.config)
    if not classifiable(case.config):
        if case.want is not None:
            raise ValueError(f"Case {case.label!r}: want={case.want!r} needs the reduced, "
                             "constant-label model; this case has labels of both signs.")
        return list(range(start, start + n_runs)), [False] * n_runs, 0
    seeds, classes = [], []
    for k in range(MAX_SCAN):
        sep = _lp_separable(draw, start + k)
        if case.want is None or sep == (case.want == "separable"):
            seeds.append(start + k)
            classes.append(sep)
            if len(seeds) == n_runs:
                return seeds, classes, k + 1
    raise RuntimeError(
        f"Case {case.label!r}: only {len(seeds)} of {n_runs} {case.want} draws among "
        f"{MAX_SCAN} seeds from {start}; change N or λ."
    )


@functools.lru_cache(maxsize=64)
def _draw_theory(draw: Config, seed: int, separable: bool) -> dict:
    """Margin M, the Prop. 3.2 limit and the App. J rates (separable), or ‖S_∞‖, G_∞."""
    from groklab.theory import separability as th

    X = _draw(draw, seed)
    if separable:
        M = float(th.max_margin(X).margin)
        rate_s, rate_b = th.separable_rates(M)
        return {
            "margin": M,
            "acc_gen_limit": float(th.limit_gen_accuracy(M, draw.sigma)),
            "rate_norm_S": float(rate_s),
            "rate_bias": float(rate_b),
        }
    si = th.s_infinity(X)
    return {"S_inf": float(np.linalg.norm(si.S)), "G_inf": float(si.G), "acc_gen_limit": 1.0}


def _crossings(t: np.ndarray, acc_train: np.ndarray, acc_gen: np.ndarray):
    from groklab.metrics import crossing_time

    tt = np.array([crossing_time(t, a, ACC_LEVEL) for a in acc_train])
    tg = np.array([crossing_time(t, a, ACC_LEVEL) for a in acc_gen])
    return tt, tg


def compute_columns(cases: list[Case], *, t_max: float, n_t: int, method: str, n_runs: int = 1,
                    name: str, quick: bool, extra: tuple[str, ...] = ()):
    """Run every case on ``n_runs`` draws and return one Dataset (dims case, run, t).

    ``extra`` names further recorded variables of the simulation to keep (e.g. ``acc_test``
    when the configs have ``n_test`` > 0).

    ``method``: ``"flow"`` (adaptive gradient flow, GD's η → 0 limit) or ``"gd"`` (step by step;
    required for Adam). The full variant (``quick=False``) first calls :func:`announce_runtime`.
    """
    import xarray as xr

    from groklab.models import separability as m

    if not quick:
        announce_runtime(cases, t_max=t_max, method=method, n_runs=n_runs, name=name)
    t = times_grid(t_max, n_t)
    tm = t.astype(float) if method == "flow" else t
    nc = len(cases)
    curves = {k: np.full((nc, n_runs, t.size), np.nan) for k in _CURVES + tuple(extra)}
    pred = {k: np.full((nc, t.size), np.nan) for k in _CURVES}
    ref = {k: np.full((nc, n_runs, t.size), np.nan) for k in ("norm_S", "bias", "acc_gen")}
    per_run = {k: np.full((nc, n_runs), np.nan) for k in
               ("margin", "acc_gen_limit", "rate_norm_S", "rate_bias", "S_inf", "G_inf")}
    seeds = np.zeros((nc, n_runs), dtype=np.int64)
    separable = np.zeros((nc, n_runs), dtype=bool)
    scanned, seconds = [], []
    for i, case in enumerate(cases):
        start = time.perf_counter()
        s, cls, n_scan = pick_seeds(case, n_runs)
        seeds[i], separable[i] = s, cls
        scanned.append(n_scan)
        sim = m.simulate(case.config, tm, s, method=method if case.config.optimizer == "gd"
                         else "gd")
        for k in curves:
            curves[k][i] = sim[k].values
        if case.reference is not None:
            r = m.simulate(case.reference, t.astype(float), s, method="flow")
            for k in ref:
                ref[k][i] = r[k].values
        if case.theory:
            for j, (seed, sep) in enumerate(zip(s, cls, strict=True)):
                for k, v in _draw_theory(_draw_config(case.config), seed, sep).items():
                    per_run[k][i, j] = v
        if case.overlay and not cls[0]:
            p = m.predict(case.config.replace(seed=s[0]), t.astype(float))
            for k in _CURVES:
                pred[k][i] = p[k].values
        seconds.append(round(time.perf_counter() - start, 2))
    tt = np.full((nc, n_runs), np.nan)
    tg = np.full((nc, n_runs), np.nan)
    for i in range(nc):
        tt[i], tg[i] = _crossings(t.astype(float), curves["acc_train"][i], curves["acc_gen"][i])
    data = {k: (("case", "run", "t"), v) for k, v in curves.items()}
    data |= {f"pred_{k}": (("case", "t"), v) for k, v in pred.items()}
    if any(c.reference is not None for c in cases):
        data |= {f"ref_{k}": (("case", "run", "t"), v) for k, v in ref.items()}
    data |= {k: (("case", "run"), v) for k, v in per_run.items()}
    data |= {
        "seed": (("case", "run"), seeds),
        "separable": (("case", "run"), separable),
        "classified": ("case", np.array([classifiable(c.config) for c in cases])),
        "t_acc_train": (("case", "run"), tt),
        "t_acc_gen": (("case", "run"), tg),
        "delay_acc": (("case", "run"), tg - tt),
        "censored": (("case", "run"), ~np.isfinite(tg - tt)),
        "sigma": ("case", np.array([c.config.sigma for c in cases])),
        "lam": ("case", np.array([c.config.lam_realized for c in cases])),
        "eta": ("case", np.array([c.config.eta for c in cases])),
    }
    ds = xr.Dataset(data, coords={"case": np.arange(nc), "run": np.arange(n_runs), "t": t})
    ds["t"].attrs.update(long_name="epoch (GD or Adam step)", units="steps")
    ds["separable"].attrs.update(long_name="LP class of the draw (is_separable)")
    ds["delay_acc"].attrs.update(long_name=DEF_DELAY, units="steps")
    ds.attrs.update(
        case_labels=[c.label for c in cases],
        cases=[c.config.to_dict() | {"want": c.want} for c in cases],
        references=[None if c.reference is None else c.reference.to_dict() for c in cases],
        seeds_scanned=scanned,
        case_seconds=seconds,
        method=method,
        t_max=float(t_max),
        n_t=n_t,
        grokking_time=DEF_DELAY,
        simulation=(
            "adaptive gradient flow dθ/dt = −η∇L (Tsit5 in log(1+t); GD's η → 0 limit, O(η) "
            "from GD), coloured" if method == "flow" else "step-by-step optimizer, coloured"
        ),
        theory="black: Prop. 3.2 limit ½[1 + erf(1/(√2σM))] of separable draws (solid); "
        "long-time prediction (S = S_∞ frozen, bias gradient flow, Eqs. 1, 3, 4; dashed)",
    )
    return ds


# ---- runtime estimate -----------------------------------------------------------------------
def _proxy(config: Config, n: int) -> Config:
    n = min(n, config.n_train_eff)
    return config.replace(n_train=n, d=max(1, round(config.lam_realized * n)), lam=None)


def estimate_runtime(cases: list[Case], *, t_max: float, method: str, n_runs: int = 1,
                     proxy_n: int = PROXY_N, steps: int = PROXY_STEPS) -> dict:
    """Estimated seconds of :func:`compute_columns` on the current JAX backend.

    For each case (and reference), ``steps`` GD/Adam steps of a proxy with N = ``proxy_n``
    (d = λN, same σ, loss, optimizer) are timed after a warm-up call (compilation excluded)
    and scaled by N·d / (N_p·d_p); one step is one gradient evaluation. A step-by-step run
    costs ``t_max`` steps; the flow costs the gradient evaluations of the proxy's own flow to
    ``t_max`` (the stiffness in log-time does not grow with N). LP classification and the
    draw theory (NumPy, ~N·d²) are not included.
    """
    from groklab.models import separability as m

    total, parts = 0.0, []
    runs = [(c.config, method if c.config.optimizer == "gd" else "gd") for c in cases]
    runs += [(c.reference, "flow") for c in cases if c.reference is not None]
    for cfg, meth in runs:
        p = _proxy(cfg, proxy_n).replace(t_max=int(t_max))
        m.simulate(p, [0, steps], [p.seed], method="gd")  # compile
        start = time.perf_counter()
        m.simulate(p, [0, steps], [p.seed], method="gd")
        per_step = (time.perf_counter() - start) / steps
        if meth == "flow":
            f = m.simulate(p, times_grid(t_max, 20).astype(float), [p.seed], method="flow")
            n_evals = float(f.attrs["flow_grad_evals"][0])
        else:
            n_evals = float(t_max)
        scale = cfg.n_train_eff * cfg.d / (p.n_train_eff * p.d)
        sec = n_runs * n_evals * per_step * scale
        total += sec
        parts.append({"N": cfg.n_train_eff, "d": cfg.d, "method": meth, "n_evals": n_evals,
                      "proxy_seconds_per_step": per_step, "scale_Nd": scale, "seconds": sec})
    return {"seconds": total, "parts": parts, "proxy_n": proxy_n}


def announce_runtime(cases: list[Case], *, t_max: float, method: str, n_runs: int = 1,
                     name: str, proxy_n: int = PROXY_N, file=None) -> dict | None:
    """On CPU, print the :func:`estimate_runtime` of a full variant to stderr and return it;
    where JAX sees an accelerator, do nothing (return None)."""
    import jax

    if jax.default_backend() != "cpu":
        return None
    est = estimate_runtime(cases, t_max=t_max, method=method, n_runs=n_runs, proxy_n=proxy_n)
    lines = [
        f"groklab {name} (full) on CPU: estimated run time {est['seconds'] / 3600:.3g} h "
        f"({est['seconds']:.4g} s) for the simulations, from {PROXY_STEPS} timed steps of a "
        f"proxy with N = {proxy_n} (d = λN) scaled by N·d; LP classification and the draw "
        "theory (NumPy, ~N·d²) come on top. A GPU runs it unchanged."
    ]
    lines += [
        f"  N = {q['N']}, d = {q['d']}, {q['method']}: {q['n_evals']:.4g} gradient evaluations "
        f"× {q['proxy_seconds_per_step'] * 1e3:.3g} ms × {q['scale_Nd']:.4g} = "
        f"{q['seconds']:.4g} s"
        for q in est["parts"]
    ]
    print("\n".join(lines), file=file or sys.stderr, flush=True)
    return est


# ---- measurements used by the claims -----------------------------------------------------------
def log_rise(loss: np.ndarray) -> float:
    """Largest rise of log L above its running minimum: > 0 iff L is non-monotone (rises)."""
    lg = np.log(np.asarray(loss, dtype=float))
    return float(np.max(lg - np.minimum.accumulate(lg)))


def late_slope(t: np.ndarray, y: np.ndarray, decades: float = 1.0) -> float:
    """Least-squares slope dy/d(log t) over the last ``decades`` of the record."""
    t = np.asarray(t, dtype=float)
    sel = t >= t[-1] / 10**decades
    return float(np.polyfit(np.log(t[sel]), np.asarray(y, dtype=float)[sel], 1)[0])


# ---- plotting -------------------------------------------------------------------------------
def _classified(ds, i: int) -> bool:
    return bool(ds["classified"].values[i]) if "classified" in ds else True


def plot_columns(ds, axes) -> None:
    """Draw every case of ``ds`` into a 3 × n_case array of axes (rows: losses, accuracies,
    σ‖S‖ and b)."""
    from matplotlib.lines import Line2D

    from groklab.figures import _style as st

    t = ds["t"].values.astype(float)
    pos = t >= 1
    labels = ds.attrs["case_labels"]
    has_ref = "ref_norm_S" in ds
    for i, label in enumerate(labels):
        a_loss, a_acc, a_par = axes[0][i], axes[1][i], axes[2][i]
        sig = float(ds["sigma"].values[i])
        for j in range(ds.sizes["run"]):
            alpha = 1.0 if j == 0 else 0.45
            sel = dict(case=i, run=j)
            for k, c, ls, ax in (
                ("loss_train", st.color(0), st.TRAIN_LS, a_loss),
                ("loss_gen", st.color(1), st.GEN_LS, a_loss),
                ("acc_train", st.color(0), st.TRAIN_LS, a_acc),
                ("acc_gen", st.color(1), st.GEN_LS, a_acc),
                ("bias", st.color(2), st.TRAIN_LS, a_par),
            ):
                ax.plot(t[pos], ds[k].sel(sel).values[pos], color=c, ls=ls, alpha=alpha)
            a_par.plot(t[pos], sig * ds["norm_S"].sel(sel).values[pos], color=st.color(3),
                       alpha=alpha)
            st.mark_crossing(a_acc, float(ds["t_acc_train"].sel(sel)), ACC_LEVEL, "train",
                             st.color(0))
            st.mark_crossing(a_acc, float(ds["t_acc_gen"].sel(sel)), ACC_LEVEL, "gen",
                             st.color(1))
            if has_ref:
                a_par.plot(t[pos], sig * ds["ref_norm_S"].sel(sel).values[pos], color="0.55",
                           lw=1.0, alpha=alpha)
                a_acc.plot(t[pos], ds["ref_acc_gen"].sel(sel).values[pos], color="0.55",
                           lw=1.0, alpha=alpha)
            lim = float(ds["acc_gen_limit"].sel(sel))
            if bool(ds["separable"].sel(sel)) and math.isfinite(lim):
                a_acc.axhline(lim, **st.THEORY)
        if np.isfinite(ds["pred_bias"].values[i]).any():
            for k, ax in (("loss_train", a_loss), ("loss_gen", a_loss), ("acc_train", a_acc),
                          ("acc_gen", a_acc), ("bias", a_par)):
                ax.plot(t[pos], ds[f"pred_{k}"].values[i, pos], **st.THEORY_APPROX)
            a_par.plot(t[pos], sig * ds["pred_norm_S"].values[i, pos], **st.THEORY_APPROX)
        d = ds["delay_acc"].values[i]
        cls = (["sep" if s else "insep" for s in ds["separable"].values[i]]
               if _classified(ds, i) else ["LP n/a"] * ds.sizes["run"])
        seeds = ", ".join(f"{int(s)} ({c})" for s, c in zip(ds["seed"].values[i], cls,
                                                                 strict=True))
        delay = ", ".join("censored" if not math.isfinite(x) else f"{x:.3g}" for x in d)
        a_loss.set_title(f"{label}\nseed {seeds}", fontsize=8)
        a_acc.set_title(f"delay_acc({ACC_LEVEL:g}) = {delay}", fontsize=8)
        st.log_axes(a_loss, y=True)
        for ax in (a_acc, a_par):
            st.log_axes(ax)
        a_acc.set_ylim(0.45, 1.02)
        a_acc.axhline(ACC_LEVEL, color="0.5", lw=0.6, ls=":")
        for ax in (a_loss, a_acc, a_par):
            ax.set_xlim(1, t[-1])
        a_par.set_xlabel("epoch")
    axes[0][0].set_ylabel("loss")
    axes[1][0].set_ylabel("accuracy")
    axes[2][0].set_ylabel("σ‖S‖, b")
    handles = [
        Line2D([], [], color=st.color(0), ls=st.TRAIN_LS, label="train"),
        Line2D([], [], color=st.color(1), ls=st.GEN_LS, label="test (population)"),
        Line2D([], [], **st.THEORY_APPROX, label="long-time prediction"),
    ]
    axes[0][0].legend(handles=handles, frameon=False, loc="lower left")
    handles = [
        Line2D([], [], color=st.color(3), label="σ‖S‖"),
        Line2D([], [], color=st.color(2), ls=st.TRAIN_LS, label="b"),
    ]
    if has_ref:
        handles.append(Line2D([], [], color="0.55", lw=1.0, label="GD flow (η = 0.01)"))
    axes[2][0].legend(handles=handles, frameon=False, loc="lower left")
    axes[1][0].legend(
        handles=[Line2D([], [], **st.THEORY, label="Prop. 3.2 limit")]
        + [Line2D([], [], marker=st.MARKERS[w], ls="none", color="0.4",
                  label=f"first acc ≥ {ACC_LEVEL:g} ({w})") for w in ("train", "gen")],
        frameon=False, loc="lower right",
    )


def plot_figure(ds, path, title: str) -> None:
    """A 3 × n_case figure of :func:`plot_columns`, written to ``path``.png/.pdf."""
    from groklab.figures import _style as st

    nc = ds.sizes["case"]
    fig, axes = st.new_figure(3, nc, width=max(3.2 * nc, 4.5), height=7.4)
    plot_columns(ds, np.asarray(axes).reshape(3, nc))
    fig.suptitle(f"{title}\ngrokking time: delay_acc({ACC_LEVEL:g}), first crossings; "
                 f"{ds.attrs['method']} to t = {ds.attrs['t_max']:.3g}", fontsize=9)
    st.save_figure(fig, path)


def register_figure(num: str, title: str, compute, claims, description: str, *, paper: str,
                    plot=None) -> None:
    """Register ``beck2025/fig<num>`` with quick/full variants of ``compute(quick)``; the plot
    defaults to :func:`plot_figure`, and the description gains the grokking-time definition."""
    from groklab.figures import register

    register(
        f"beck2025/fig{num}",
        paper=paper,
        number=num,
        title=title,
        compute_quick=lambda: compute(True),
        compute_full=lambda: compute(False),
        plot=plot or (lambda ds, path: plot_figure(ds, path, f"Fig. {num}: {title}")),
        claims=claims,
        description=description + " Grokking time: " + DEF_DELAY + ".",
    )
