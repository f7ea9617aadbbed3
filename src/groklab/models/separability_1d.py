"""1-D toy model of grokking at the edge of linear separability (Beck, Levi, Bar-Sinai 2025,
arXiv:2410.04489, Sec. 4 and App. E; spec ``beck2025-edge-of-separability.md`` §3).

Model. Two training points x₁ = −σ and x₂ = σ(1 − 2λ), both labelled −1, a weight S and a bias b,
the exponential loss L(S, b) = ½(e^{Sx₁+b} + e^{Sx₂+b}) (Eq. 11), full-batch GD with step η.
λ < ½: inseparable (x₂ > 0), the model generalizes; λ = ½: critical; λ > ½: separable with margin
M = σ(2λ − 1), the generalization accuracy plateaus below 1 (Table 1, Prop. 3.2).

Scalings. σ enters only through S̃ = σS (Prop. 3.5): GD on (S, b) equals GD on (S̃, b) with the
unit points (−1, 1 − 2λ), step ησ² for S̃ and η for b, initial S̃₀ = σS₀. Population quantities
(test points x ~ N(0, σ²)): L_gen = e^{b + S̃²/2}, A_gen = ½[1 − erf(b/(√2|S̃|))]; the train
accuracy counts the points with Sx_i + b ≤ 0. Conformal time τ = ∫ e^{b} dt (Eq. 8, 25).

Time unit: GD steps ("epochs"); the gradient flow of ``predict`` is dθ/dt = −η∇L in the same
units, which GD follows up to O(η).

The four verbs: :class:`Config`, :func:`sample` (the two points), :func:`simulate` (GD in JAX,
float64 by default) and :func:`predict` (numerical gradient flow, exact special cases, S_∞, the
Table 1 regime and the grokking-time formulas of App. E.3 as corrected in the spec;
``separability_1d_theory``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from groklab import metrics
from groklab._config import AbstractConfig, Choice, Integer, InvalidParameterError, Real, param
from groklab.models import separability_1d_theory as theory
from groklab.models._common import label_variables, result_attrs, seed_list, theory_dataset

__all__ = [
    "ID",
    "Config",
    "advice",
    "default_times",
    "predict",
    "predict_curves",
    "sample",
    "simulate",
    "summary",
    "theory_grid",
]

ID = "separability-1d"
TIME_UNIT = "steps"
#: Default GD horizon of :func:`simulate` when ``t_max`` is not given, and its hard cap.
SIM_T_MAX = 10**6
SIM_T_CAP = 10**9

_ATTRS = {
    "loss_train": ("training loss ½(e^{Sx₁+b} + e^{Sx₂+b})", "1"),
    "loss_gen": ("population exponential loss e^{b + σ²S²/2}", "1"),
    "log_loss_train": ("natural log of loss_train", "1"),
    "log_loss_gen": ("natural log of loss_gen", "1"),
    "acc_train": ("training accuracy (fraction of the two points with Sx + b ≤ 0)", "1"),
    "acc_gen": ("population accuracy ½[1 − erf(b/(√2σ|S|))]", "1"),
    "S": ("weight S", "1"),
    "S_scaled": ("scaled weight S̃ = σS", "1"),
    "norm_S": ("|S|", "1"),
    "bias": ("bias b", "1"),
    "tau": ("conformal time τ = ∫e^{b}dt (GD: Σ e^{b_k})", "steps"),
}


@dataclasses.dataclass(frozen=True)
class Config(AbstractConfig):
    """1-D toy model: points −σ and σ(1 − 2λ), exponential loss, GD (spec §3).

    ``threshold`` is the accuracy level of the grokking detector (``attrs["grokking"]``);
    ``eps`` is the loss level of the paper's loss-based grokking time ``delay_loss(eps)``
    (Fig. 8–9, Eq. 35–39). ``S0`` is the initial weight in unscaled units (S̃₀ = σS₀).
    """

    lam: float = param(0.48, Real(0, None, closed="neither"), help="λ = d/N; x₂ = σ(1 − 2λ)")
    sigma: float = param(5.0, Real(0, None, closed="neither"), help="feature std σ")
    eta: float = param(0.01, Real(0, None, closed="neither"), help="learning rate η")
    S0: float = param(0.1, Real(None, None), help="initial weight S₀ (S̃₀ = σS₀)")
    b0: float = param(0.0, Real(None, None), help="initial bias b₀")
    threshold: str | float = param(
        "beck2025",
        Choice(tuple(metrics.DETECTORS), Real(0, 1, closed="neither")),
        help="accuracy level for grokking: a detector name or a number in (0, 1)",
    )
    eps: float = param(1e-50, Real(0, 1, closed="neither"), help="loss level ε of delay_loss")
    t_max: float | None = param(
        None, Real(0, 1e300, closed="neither", allow_none=True),
        help="horizon in GD steps (default: predict auto, simulate 1e6)",
    )
    seed: int = param(0, Integer(0, 2**31 - 1), help="first seed (the model is deterministic)")
    precision: str = param("float64", Choice(("float64", "float32")), help="simulation dtype")

    def _check(self) -> None:
        bound = self.eta_bound
        if not self.eta < bound:
            raise InvalidParameterError(
                f"The 'eta' parameter of Config gives unstable GD: eta={self.eta!r} but GD is "
                f"stable at the initial point only for eta < {bound:.6g} = 2/λ_max(∇²L(S₀, b₀))."
            )

    @property
    def x2(self) -> float:
        """x₂ / σ = 1 − 2λ."""
        return 1.0 - 2.0 * self.lam

    @property
    def eta_bound(self) -> float:
        """2/λ_max of the Hessian of L at (S₀, b₀): ½Σ e^{f_i}(x_i, 1)(x_i, 1)ᵀ, x_i = σx̂_i
        (linear stability of GD at the start; the curvature then decays with e^{b})."""
        h = np.zeros((2, 2))
        for xh in (-1.0, self.x2):
            f = self.sigma * self.S0 * xh + self.b0
            v = np.array([self.sigma * xh, 1.0])
            h += 0.5 * math.exp(min(f, 700.0)) * np.outer(v, v)
        return 2.0 / float(np.linalg.eigvalsh(h)[-1])

    @property
    def accuracy_level(self) -> float:
        return metrics.detector(self.threshold).level


def sample(config: Config, seed: int | None = None) -> dict:
    """The training set: points ``x`` = (−σ, σ(1 − 2λ)), labels ``y`` = (−1, −1), and the initial
    (S₀, b₀). Deterministic; ``seed`` is accepted for the common interface."""
    return {
        "x": np.array([-config.sigma, config.sigma * config.x2]),
        "y": np.array([-1.0, -1.0]),
        "S0": config.S0,
        "b0": config.b0,
    }


# ---- summaries ------------------------------------------------------------------------------
def _num(x) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _loss_times(config: Config, log_star: dict) -> dict:
    """delay_loss(ε) and logratio_loss(ε) (spec §1.5) from first-crossing log times."""
    lt, lg = log_star["loss_train"], log_star["loss_gen"]
    rec = {"eps": config.eps, "log_t_train": _num(lt), "log_t_gen": _num(lg),
           "logratio": None, "delay": None, "log_delay": None}
    if math.isfinite(lt) and math.isfinite(lg):
        rec["logratio"] = lg - lt
        if lg > lt:
            ld = lg + math.log1p(-math.exp(lt - lg))
            rec["log_delay"] = ld
            rec["delay"] = math.exp(ld) if ld < 709 else None
        else:
            rec["delay"] = math.exp(lg) - math.exp(lt)
    elif math.isfinite(lt) and lg == -math.inf:
        rec["delay"] = -math.exp(lt)
    return rec


def summary(config: Config, delay: float | None = None) -> dict:
    """Scalar predictions for the CLI (null where not applicable).

    ``p_separable``: null (the 1-D toy has no ensemble); ``separable``: x₂ < 0; ``S_inf``:
    S_∞ = S̃_∞/σ (unscaled weight units; null unless inseparable); ``margin``: M = σ(2λ−1) (null
    unless separable); ``acc_gen_limit``: Prop. 3.2 / Eq. 42; ``grok_delay``: ``delay_loss(eps)``
    of the gradient flow in GD steps (null if a loss level is never reached or the delay
    overflows float64; see ``attrs["grokking_loss"]`` for log values).
    """
    lam, sig = config.lam, config.sigma
    s_inf = theory.S_inf(lam)
    return {
        "p_separable": None,
        "separable": bool(lam > 0.5),
        "S_inf": _num(s_inf / sig),
        "margin": _num(theory.margin(lam, sig)),
        "acc_gen_limit": theory.acc_gen_limit(lam, sig),
        "grok_delay": _num(delay),
    }


def advice(config: Config) -> list[str]:
    """Plain-language statements about the late-time behaviour (Table 1, Prop. 3.2)."""
    lam, level = config.lam, config.accuracy_level
    r = theory.regime(lam)
    if r == "separable":
        lim = theory.acc_gen_limit(lam, config.sigma)
        note = (f"Separable (λ = {lam:g} > ½, margin M = {theory.margin(lam, config.sigma):.4g}): "
                f"max-margin memorizing solution, A_gen → {lim:.6g}")
        if lim < level:
            note += f" < {level:.4g}, so generalization accuracy never reaches the level"
        return [note + "; the population loss eventually grows (b + σ²S²/2 → ∞)."]
    if r == "critical":
        return ["Critical (λ = ½): S ~ log log t, b ~ −log t; A_gen → 1 slowly."]
    return [f"Inseparable (λ = {lam:g} < ½): S → S_∞ = {theory.S_inf(lam) / config.sigma:.6g}, "
            f"b ≈ −log(ηG_∞t); A_gen → 1."]


def _attrs(config: Config, kind: str, **extra) -> dict:
    return result_attrs(ID, config, kind, TIME_UNIT, **extra)


def _observables(s_scaled, b, tau, config: Config) -> dict:
    """Dataset variables from S̃, b, τ (NumPy, float64)."""
    from scipy.special import erf

    x = config.x2
    s = np.asarray(s_scaled, dtype=float)
    b = np.asarray(b, dtype=float)
    ltr = b + np.logaddexp(s * x, -s) - math.log(2.0)
    lgen = b + 0.5 * s * s
    with np.errstate(divide="ignore", invalid="ignore"):
        acc_gen = np.where(s == 0, (b <= 0).astype(float),
                           0.5 * (1 - erf(b / (math.sqrt(2.0) * np.abs(s)))))
    acc_tr = 0.5 * ((-s + b <= 0).astype(float) + (s * x + b <= 0).astype(float))
    with np.errstate(over="ignore", under="ignore"):
        data = {"loss_train": np.exp(ltr), "loss_gen": np.exp(lgen)}
    data.update(log_loss_train=ltr, log_loss_gen=lgen, acc_train=acc_tr, acc_gen=acc_gen,
                S=s / config.sigma, S_scaled=s, norm_S=np.abs(s) / config.sigma, bias=b,
                tau=np.asarray(tau, dtype=float))
    return data


def _label(ds) -> None:
    label_variables(ds, _ATTRS, TIME_UNIT)


def default_times(t_max: float, n: int = 300) -> np.ndarray:
    """t = 0 plus ``n`` log-spaced times in [1, t_max] (floats; integers for GD are rounded)."""
    return np.concatenate([[0.0], np.logspace(0, math.log10(max(t_max, 1.0)), n)])


# ---- theory ---------------------------------------------------------------------------------
def _flow(config: Config, times=None, log_t_max: float = 690.0) -> dict:
    return theory.flow(config.lam, config.eta, config.sigma, config.S0, config.b0, times,
                       eps=config.eps, acc_train=config.accuracy_level,
                       acc_gen=config.accuracy_level, log_t_max=log_t_max)


def predict(config: Config, times: Sequence[float] | None = None):
    """The Dataset (dim ``t``) of :func:`predict_curves`."""
    return theory_dataset(*predict_curves(config, times), _ATTRS, TIME_UNIT)


def predict_curves(config: Config, times: Sequence[float] | None = None):
    """Gradient-flow theory of the 1-D model on dim ``t`` (GD steps).

    Curves: numerical integration of the flow (LSODA, rtol 1e-10, in log t after t = 1; spec §8),
    which the closed forms of App. E.2 match at λ = ½ and λ = 1 (tests). Default times: t = 0 and
    300 log-spaced times up to ``t_max`` or, if not given, 10× the latest predicted crossing
    (at least 10⁶, at most 10³⁰⁰).

    ``attrs``: ``grokking`` (accuracy detector ``threshold``, flow first crossings),
    ``grokking_loss`` (``delay_loss(eps)`` and ``logratio_loss(eps)`` of the flow, in log space),
    ``formulas`` (App. E.3 Eq. 35–39 and their corrections, :func:`theory.grokking_formulas`;
    NaN → null where λ ≥ ½), ``regime`` (Table 1) and ``summary`` (:func:`summary`).
    """
    events = _flow(config)["log_t_star"]
    if times is None:
        if config.t_max is not None:
            t_max = float(config.t_max)
        else:
            finite = [v for v in events.values() if math.isfinite(v)]
            ell = max([math.log(1e6)] + [v + math.log(10) for v in finite])
            t_max = math.exp(min(ell, math.log(1e300)))
        t = default_times(t_max)
    else:
        t = np.asarray(times, dtype=float)
        if t.ndim != 1 or np.any(t < 0) or np.any(np.diff(t) <= 0):
            raise ValueError("times must be a 1-D strictly increasing array of t ≥ 0.")
    sol = _flow(config, t)
    data = _observables(sol["S"], sol["b"], sol["tau"], config)
    det = metrics.detector(config.threshold)

    def t_of(v: float) -> float:
        return 0.0 if v == -math.inf else math.exp(v) if v < 709 else math.inf

    horizon = math.exp(690.0)
    grok = metrics.grokking_summary(t_of(events["acc_train"]), t_of(events["acc_gen"]), det,
                                    horizon) | {"crossing": "gradient-flow event"}
    loss_rec = _loss_times(config, events)
    formulas = {k: _num(v) for k, v in
                theory.grokking_formulas(config.lam, config.eta, config.eps, config.b0).items()}
    attrs = _attrs(config, "theory", method="gradient flow (LSODA, log time)",
                   regime=theory.regime(config.lam), grokking=grok, grokking_loss=loss_rec,
                   formulas=formulas, summary=summary(config, loss_rec["delay"]),
                   advice=advice(config),
                   S_inf_scaled=_num(theory.S_inf(config.lam)),
                   G_inf=_num(theory.G_inf(config.lam)))
    return t, {k: np.asarray(v, dtype=float) for k, v in data.items()}, attrs


# ---- simulation -----------------------------------------------------------------------------
def _gd_arrays(config: Config, increments: np.ndarray) -> dict:
    """GD on (S̃, b) with steps (ησ², η), recorded after each increment; τ_k = Σ_{j<k} e^{b_j}."""
    from groklab.dynamics import jax, jnp

    dtype = jnp.float64 if config.precision == "float64" else jnp.float32
    x = config.x2
    eta_s, eta_b = config.eta * config.sigma**2, config.eta

    def step(_, st):
        s, b, tau = st
        ex, em = jnp.exp(s * x + b), jnp.exp(-s + b)
        return (s - 0.5 * eta_s * (x * ex - em), b - 0.5 * eta_b * (ex + em), tau + jnp.exp(b))

    @jax.jit
    def run(st0, incs):
        def seg(st, n):
            st = jax.lax.fori_loop(0, n, step, st)
            return st, st

        return jax.lax.scan(seg, st0, incs)[1]

    st0 = tuple(jnp.asarray(v, dtype=dtype) for v in (config.sigma * config.S0, config.b0, 0.0))
    s, b, tau = run(st0, jnp.asarray(increments, dtype=jnp.int64))
    return {"S": np.asarray(s, float), "b": np.asarray(b, float), "tau": np.asarray(tau, float)}


def simulate(config: Config, times: Sequence[int] | None = None,
             seeds: int | Sequence[int] = 1):
    """Literal GD of the 1-D model (JAX, ``config.precision``), recorded at integer ``times``.

    The model has no randomness: every seed gives the same run (the ``seed`` dim is kept for
    the common schema). Default times: 0 and 300 log-spaced steps up to ``t_max`` (default 10⁶;
    at most 10⁹). ``attrs["grokking"]`` lists each seed's accuracy record (crossings interpolated
    in log time between records); ``attrs["grokking_loss"]`` the ``delay_loss(eps)`` record.
    """
    import xarray as xr

    from groklab.dynamics.gd import as_increments

    seeds = seed_list(config.seed, seeds)
    t_max = SIM_T_MAX if config.t_max is None else config.t_max
    if t_max > SIM_T_CAP:
        raise ValueError(f"simulate runs at most {SIM_T_CAP:g} GD steps; got t_max={t_max:g} "
                         f"(use predict for longer horizons).")
    if times is None:
        t = np.unique(np.round(default_times(t_max)).astype(np.int64))
    else:
        t = np.asarray(times)
        if t.size and np.max(t) > SIM_T_CAP:
            raise ValueError(f"simulate runs at most {SIM_T_CAP:g} GD steps.")
    incs = as_increments(t)
    arr = _gd_arrays(config, incs)
    if not (np.all(np.isfinite(arr["S"])) and np.all(np.isfinite(arr["b"]))):
        k = int(np.argmin(np.isfinite(arr["S"]) & np.isfinite(arr["b"])))
        raise FloatingPointError(f"GD diverged by step {int(t[k])} (eta={config.eta!r}).")
    data = _observables(arr["S"], arr["b"], arr["tau"], config)
    ds = xr.Dataset(
        {k: (("seed", "t"), np.broadcast_to(v, (len(seeds), v.size)).copy())
         for k, v in data.items()},
        coords={"seed": seeds, "t": np.asarray(t, dtype=np.int64)},
        attrs=_attrs(config, "simulation", method="gd"),
    )
    _label(ds)
    det = metrics.detector(config.threshold)
    gt = metrics.grokking_times(ds, config.threshold)
    ds.attrs["grokking"] = metrics.seed_summaries(gt["t_train"].values, gt["t_gen"].values,
                                                  seeds, det, float(t[-1]))
    log_eps = math.log(config.eps)
    tt = np.asarray(t, dtype=float)
    star = {}
    for key, var in (("loss_train", "log_loss_train"), ("loss_gen", "log_loss_gen")):
        tc = metrics.crossing_time(tt, data[var], log_eps, rising=False)
        star[key] = math.log(tc) if tc > 0 else (-math.inf if tc == 0 else math.nan)
    ds.attrs["grokking_loss"] = _loss_times(config, star)
    ds.attrs["summary"] = summary(config, ds.attrs["grokking_loss"]["delay"])
    return ds


def _cell(config: Config) -> dict:
    ev = _flow(config)["log_t_star"]
    loss = _loss_times(config, ev)

    def t_of(v: float) -> float:
        return 0.0 if v == -math.inf else math.exp(v) if v < 709 else math.nan

    out = {"t_train": t_of(ev["acc_train"]), "t_gen": t_of(ev["acc_gen"]),
           "log_t_loss_train": ev["loss_train"], "log_t_loss_gen": ev["loss_gen"],
           "logratio_loss": math.nan if loss["logratio"] is None else loss["logratio"]}
    s = summary(config, loss["delay"])
    for k in ("S_inf", "margin", "acc_gen_limit", "grok_delay"):
        out[k] = math.nan if s[k] is None else s[k]
    out["separable"] = s["separable"]
    return out


def theory_grid(base: Config, **axes: np.ndarray):
    """Flow grokking times and limits over a grid of config fields (one flow per cell).

    Returns an ``xarray.Dataset`` with one coord per axis and ``t_train``, ``t_gen``, ``delay``
    (accuracy detector ``threshold``; NaN where never), ``log_t_loss_train``,
    ``log_t_loss_gen``, ``logratio_loss`` (loss level ``eps``), ``S_inf``, ``margin``,
    ``acc_gen_limit``, ``grok_delay`` (``delay_loss(eps)``), ``separable`` and ``never_groks``.
    """
    import xarray as xr

    names = list(axes)
    values = [np.asarray(axes[n]) for n in names]
    shape = tuple(len(v) for v in values)
    keys = ("t_train", "t_gen", "log_t_loss_train", "log_t_loss_gen", "logratio_loss",
            "S_inf", "margin", "acc_gen_limit", "grok_delay", "separable")
    out = {k: np.full(shape, np.nan) for k in keys}
    for idx in np.ndindex(*shape):
        cfg = base.replace(**{n: v[i].item() for n, v, i in zip(names, values, idx, strict=True)})
        for k, v in _cell(cfg).items():
            out[k][idx] = v
    data = {k: (names, v) for k, v in out.items()}
    data["separable"] = (names, out["separable"].astype(bool))
    data["delay"] = (names, out["t_gen"] - out["t_train"])
    data["never_groks"] = (names, ~np.isfinite(out["t_gen"]))
    return xr.Dataset(data, coords=dict(zip(names, values, strict=True)),
                      attrs=_attrs(base, "theory-grid", swept=names))
