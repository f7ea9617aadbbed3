"""D-dimensional uniform-ball perceptron of Žunkovič & Ilievski 2024 (JMLR 25(199);
arXiv:2210.15435; Sec. 3.3 and App. B; spec ``zunkovic2024-local-rules.md`` §1, §3).

Model. Inputs x uniform in the unit ball of R^D; positives x̃ = x + ε e₁, negatives x̃ = x − ε e₁
(N points **per class**, 2N in all); a bias-free perceptron f(x̃) = sgn(w·x̃) (Eq. 18) trained by
full-batch gradient flow dw/dt = −∂R/∂w on the MSE loss with L1 and L2 (Eq. 19),
R = (1/2N) Σ ½(x̃_i·w − y_i)² + λ₂‖w‖²/2 + λ₁|w|₁ = ½wᵀGw − w·a + ½. The test error is the exact
population error, the normalised cap volume E_D(h) of Eq. 22 at h = εw₁/‖w‖; zero test error
needs ε > 1 and w₁/‖w‖ ≥ 1/ε. Time is the dimensionless flow time (no learning rate):
``attrs["time_unit"] = "flow time"``.

Data (:func:`sample`, keys from ``(seed, purpose)`` as ``jax.random`` with
:func:`groklab.models.separability_data.key_for`, drawn bit-compatibly in NumPy by
:mod:`groklab.prng_numpy`): ``sampling="ball"`` draws the exact uniform ball
x = U^{1/D} g/‖g‖; ``sampling="printed"`` is the Fig. 7 recipe for a non-typical set (spec
§3.7): g ~ N(0, 1_D) shifted by ±``shift`` along e₁ and e₂, normalised, times √u with
u ~ U[``r0``, 1] (the printed √u is a uniform ball only for D = 2), then ±ε e₁. Initialisation
``init``: ``"normal"`` w(0) ~ N(0, 1_D) (the paper's, for time statistics), ``"max-error"``
w(0) = −e₁ (Fig. 7: test error 1), ``"zero"``.

The four verbs: :class:`Config`; :func:`sample`; :func:`simulate` — proximal Euler in JAX
(:mod:`.ball_sim`; why proximal: see there), batched over seeds; :func:`predict` — the exact
Eq. 21 eigen-solution on the config's draw (λ₁ = 0; NumPy, :mod:`.ball_exact`) plus the
ensemble formulas of :mod:`groklab.theory.local_rules_ball` in ``attrs["summary"]``. Both return
``loss_train`` (data term of Eq. 19), ``risk`` (all of Eq. 19), ``loss_gen`` (exact population
MSE ½[(εw₁ − 1)² + ‖w‖²/(D+2)]), ``acc_train``, ``acc_gen`` = 1 − E_D(h) (exactly 1 iff h ≥ 1),
``err_train``, ``err_gen`` = E_D(h) (full precision, for log plots: at D = 128 the test error is
below 10⁻¹⁶ long before it is 0), ``w1``, ``norm_w``, ``norm_w_perp`` and ``h``. The default
detector ``zunkovic2024`` is zero error (accuracy 1).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from groklab import metrics, prng_numpy
from groklab._config import AbstractConfig, Choice, Integer, InvalidParameterError, Real, param
from groklab.models import ball_exact as bx
from groklab.models._common import (
    DRAW_PURPOSES,
    label_variables,
    result_attrs,
    seed_list,
    theory_dataset,
)
from groklab.theory import local_rules_ball as th

__all__ = [
    "ID",
    "Config",
    "advice",
    "default_times",
    "exact_draw",
    "predict",
    "predict_curves",
    "sample",
    "simulate",
    "summary",
    "theory_grid",
]

ID = "ball"
TIME_UNIT = "flow time"
#: Largest default horizon (flow time) when ``t_max`` is not given.
T_MAX_CAP = 1e4

_ATTRS = {
    "loss_train": ("training MSE (1/2N)Σ½(x̃·w − y)² (data term of Eq. 19)", "1"),
    "risk": ("regularised loss R of Eq. 19", "1"),
    "loss_gen": ("population MSE ½[(εw₁ − 1)² + ‖w‖²/(D+2)]", "1"),
    "acc_train": ("training accuracy (fraction with y x̃·w > 0)", "1"),
    "acc_gen": ("population accuracy 1 − E_D(h), Eq. 22 (exactly 1 iff h ≥ 1)", "1"),
    "err_train": ("training error (fraction with y x̃·w ≤ 0)", "1"),
    "err_gen": ("test error E_D(h) = ½ I_{1−h²}((D+1)/2, ½), Eq. 22", "1"),
    "w1": ("weight along ε, w₁", "1"),
    "norm_w": ("‖w‖₂", "1"),
    "norm_w_perp": ("‖w⊥‖ (weights j ≥ 2)", "1"),
    "h": ("h = εw₁/‖w‖ (zero test error iff h ≥ 1)", "1"),
}


@dataclasses.dataclass(frozen=True)
class Config(AbstractConfig):
    """Uniform-ball perceptron (Žunkovič & Ilievski 2024, Sec. 3.3): D = ``dim``, N = ``n_train``
    per class, class offset ±ε e₁, L1 ``lam1`` and L2 ``lam2`` (Eq. 19)."""

    dim: int = param(10, Integer(1, 4096), help="input dimension D")
    n_train: int = param(10, Integer(1, 10**6), help="training points per class N (2N in all)")
    eps: float = param(1.2, Real(0, None, closed="neither"), help="class offset ε (gap 2ε)")
    lam1: float = param(0.0, Real(0, None, closed="left"), help="L1 strength λ₁")
    lam2: float = param(0.1, Real(0, None, closed="left"), help="L2 strength λ₂")
    init: str = param("normal", Choice(("normal", "max-error", "zero")),
                      help="w(0): N(0, 1_D), −e₁ (maximal test error) or 0")
    sampling: str = param("ball", Choice(("ball", "printed")),
                          help="exact uniform ball, or the printed Fig. 7 recipe (shift, r0)")
    shift: float = param(0.0, Real(0, None, closed="left"),
                         help="printed recipe: class shift along e₁ and e₂ before normalising")
    r0: float = param(0.0, Real(0, 1, closed="left"),
                      help="printed recipe: radius √u with u ~ U[r0, 1]")
    t_max: float | None = param(None, Real(0, 1e6, closed="neither", allow_none=True),
                                help="horizon in flow time (default 30/λ_{2,D}, at most 1e4)")
    dt_scale: float = param(0.01, Real(0, 1, closed="right"),
                            help="Euler step dt = dt_scale/((1+ε)² + λ₂) of simulate")
    alpha3: str = param("derived", Choice(th.ALPHA3_FORMS),
                        help="α₃ of Eq. 82 in Eq. 86: derived 1/(λ_D+ε²) or as printed")
    rk: str = param("mc", Choice(("mc", "chi2")),
                    help="R_k of Eq. 32: Monte Carlo (exact law) or the χ²_k estimate")
    threshold: str | float = param(
        "zunkovic2024", Choice(tuple(metrics.DETECTORS), Real(0, 1, closed="neither")),
        help="accuracy level for grokking (zunkovic2024 = zero error)")
    seed: int = param(0, Integer(0, 2**31 - 1), help="seed of the draw used by predict")
    precision: str = param("float64", Choice(("float64", "float32")), help="simulation dtype")

    def _check(self) -> None:
        if self.sampling == "ball" and (self.shift != 0 or self.r0 != 0):
            raise InvalidParameterError(
                f"The 'shift' and 'r0' parameters of Config apply to sampling='printed' only "
                f"(got shift={self.shift!r}, r0={self.r0!r} with sampling='ball'); set "
                f"sampling=printed for the Fig. 7 non-typical set.")
        if self.sampling == "printed" and self.dim < 2 and self.shift != 0:
            raise InvalidParameterError(
                f"The 'shift' parameter of Config needs dim ≥ 2 (the printed recipe shifts "
                f"along e₁ and e₂); got dim={self.dim}.")

    @property
    def lam_D(self) -> float:
        """λ_{2,D} = λ₂ + 1/(D+2)."""
        return float(th.lam_D(self.lam2, self.dim))

    @property
    def dt(self) -> float:
        """Euler step of :func:`simulate`: ``dt_scale``/((1 + ε)² + λ₂)."""
        from groklab.models.ball_sim import default_dt

        return default_dt(self.eps, self.lam2, self.dt_scale)

    @property
    def horizon(self) -> float:
        """``t_max``, else 30/λ_{2,D} (the slowest ridge relaxation; at most 1e4)."""
        if self.t_max is not None:
            return float(self.t_max)
        return float(min(T_MAX_CAP, max(10.0, 30.0 / self.lam_D)))

    @property
    def p_grok_formula(self) -> str:
        """Which formula ``summary["p_grok"]`` uses."""
        if self.lam1 == 0:
            return "Eq. 86 (App. B: λ₁ = 0, any λ₂, N ≫ 1; α₃ " + self.alpha3 + ")"
        return ("Eq. 32 (λ₁ > 0, N ≫ λ_{2,D} ≫ 1; R_k "
                + ("by Monte Carlo, 10⁶ draws" if self.rk == "mc" else "as χ²_k") + ")")


def sample(config: Config, seed: int | None = None) -> dict:
    """The training set and w(0) of one seed (default ``config.seed``).

    Keys ``(seed, "train")`` (split into the Gaussian directions and the radii) and
    ``(seed, "init")``. Returns ``x`` (2N, D) inputs x̃ (positives first), ``y`` (2N,) labels,
    ``z`` = y x̃ (the label-signed inputs; a point is misclassified iff z·w ≤ 0) and ``w0`` (D,).
    """
    seed = config.seed if seed is None else int(seed)
    n, d = config.n_train, config.dim
    kg, ku = prng_numpy.split(prng_numpy.seed_key(seed, DRAW_PURPOSES["train"]))
    g = prng_numpy.normal(kg, (2 * n, d))
    u = prng_numpy.uniform(ku, (2 * n,))
    y = np.concatenate([np.ones(n), -np.ones(n)])
    if config.sampling == "ball":
        x = g * (u ** (1.0 / d) / np.linalg.norm(g, axis=1))[:, None]
    else:
        g = g.copy()
        g[:, 0] += y * config.shift
        if d >= 2:
            g[:, 1] += y * config.shift
        radius = np.sqrt(config.r0 + (1.0 - config.r0) * u)
        x = g * (radius / np.linalg.norm(g, axis=1))[:, None]
    x[:, 0] += y * config.eps
    if config.init == "normal":
        w0 = prng_numpy.normal(prng_numpy.seed_key(seed, DRAW_PURPOSES["init"]), (d,))
    else:
        w0 = np.zeros(d)
        if config.init == "max-error":
            w0[0] = -1.0
    return {"x": x, "y": y, "z": y[:, None] * x, "w0": w0}


def default_times(config: Config, n: int = 200) -> np.ndarray:
    """t = 0 and ``n`` log-spaced flow times in [10⁻², horizon]."""
    return np.concatenate([[0.0], np.geomspace(1e-2, max(config.horizon, 0.02), n)])


def _check_times(times) -> np.ndarray:
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(
            np.diff(t) <= 0):
        raise ValueError("times must be a non-empty 1-D strictly increasing array of flow "
                         "times t ≥ 0.")
    return t


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# ---- ensemble formulas --------------------------------------------------------------------------
def _formulas(config: Config) -> dict:
    """The ensemble predictions of the paper for the config (null where undefined)."""
    c = config
    out: dict = {"lam_D": c.lam_D, "p_grok_formula": c.p_grok_formula,
                 "p_grok_eq30": None, "p_grok_eq86": None, "p_grok_eq32": None,
                 "p_grok_eq33": None, "p_grok_eq90": None, "p_fast": None, "t_slow": None,
                 "t_slow_reduced": None, "t_grok_mean": None, "t_grok_mean_reduced": None}
    if c.lam1 == 0:
        out["p_grok_eq30"] = th.p_grok_eq30(c.dim, c.n_train, c.eps, c.lam2)
        out["p_grok_eq86"] = th.p_grok_eq86(c.dim, c.n_train, c.eps, c.lam2, c.alpha3)
        out["p_grok"] = out["p_grok_eq86"]
    else:
        out["p_grok_eq32"] = th.p_grok_eq32(c.dim, c.n_train, c.eps, c.lam1, c.lam2, rk=c.rk)
        out["p_grok_eq33"] = float(th.p_grok_eq33(c.dim, c.n_train, c.eps, c.lam1))
        out["p_grok_eq90"] = th.p_grok_eq90(c.dim, c.n_train, c.eps, c.lam1, c.lam2,
                                            alpha3=c.alpha3)
        out["p_grok"] = out["p_grok_eq32"]
    if c.eps > 1 and c.dim >= 2:
        out["p_fast"] = th.p_fast(c.dim, c.eps)
        out["t_slow"] = th.t_slow(c.dim, c.eps, c.lam2, "printed")
        out["t_slow_reduced"] = th.t_slow(c.dim, c.eps, c.lam2, "reduced")
        if c.lam1 == 0 and c.init == "normal":
            out["t_grok_mean"] = th.t_grok_mean(c.dim, c.eps, c.lam2, "printed")
            out["t_grok_mean_reduced"] = th.t_grok_mean(c.dim, c.eps, c.lam2, "reduced")
    return out


def _draw(config: Config) -> dict:
    """Exact quantities of the config's own draw: w^λ, whether it groks, t_train, t_ε, t_G."""
    data = sample(config)
    G, b = bx.gram(data["z"], config.lam2)
    rec: dict = {"seed": config.seed, "data": data}
    if config.lam1 == 0:
        flow = bx.ExactFlow(data["z"], config.lam2, data["w0"])
        w_inf = flow.w_inf
        times = flow.times(config.eps)
        rec.update({k: _num(v) for k, v in times.items()})
        rec["flow"] = flow
    else:
        w_inf, ok = bx.l1_stationary(G[None], b[None], config.lam1)
        w_inf = w_inf[0]
        rec.update(t_train=None, t_eps=None, t_grok=None, l1_solve_verified=bool(ok[0]))
    norm = float(np.linalg.norm(w_inf))
    h_inf = config.eps * float(w_inf[0]) / norm if norm > 0 else 0.0
    rec.update(w_lam=w_inf.tolist(), groks=bool(bx.grokked(w_inf, config.eps)),
               h_inf=h_inf, acc_gen_inf=float(1.0 - th.cap_error(min(h_inf, config.eps),
                                                                 config.dim)))
    return rec


def exact_draw(config: Config) -> dict:
    """The exact quantities of the config's own draw (``config.seed``): ``w_lam`` (w(∞)),
    ``groks`` (E(∞) = 0), ``h_inf``, ``acc_gen_inf`` and, for λ₁ = 0, the first times of zero
    training and test error ``t_train``, ``t_eps`` and ``t_grok`` = t_ε − t_train (roots of
    Eq. 21; null where never)."""
    return _public(_draw(config))


def _public(draw: dict) -> dict:
    return {k: v for k, v in draw.items() if k not in ("flow", "data")}


def summary(config: Config, draw: dict | None = None) -> dict:
    """Scalar predictions for the CLI and sweeps (null where a formula does not apply).

    Ensemble (over training sets; :mod:`groklab.theory.local_rules_ball`): ``p_grok`` — Eq. 86
    for λ₁ = 0 (App. B, any λ₂; its N ≫ λ_{2,D} ≫ 1 limit Eq. 30 is ``p_grok_eq30``), Eq. 32
    for λ₁ > 0 (with the bounds Eq. 33 ``p_grok_eq33`` and Eq. 90 ``p_grok_eq90``); which one
    is in ``p_grok_formula``. The t_G density (Sec. 3.3.3; ε > 1, D ≥ 2): ``p_fast`` (Eq. 45,
    weight of the fast part), ``t_slow`` (Eq. 47 as printed, the delta of Fig. 9) and
    ``t_slow_reduced`` (the reduced-dynamics value, spec §6), ``t_grok_mean`` (mean of the
    density with the printed delta; λ₁ = 0 and ``init="normal"`` only) and
    ``t_grok_mean_reduced``.

    Per draw (``config.seed``): ``w_lam`` (w(∞)), ``groks`` (E(∞) = 0), ``h_inf``,
    ``acc_gen_inf``, and for λ₁ = 0 the exact ``t_train``, ``t_eps``, ``t_grok`` of Eq. 21.
    """
    out = _formulas(config)
    d = _draw(config) if draw is None else draw
    out["draw"] = _public(d)
    return out


def advice(config: Config, summ: dict) -> list[str]:
    """Plain-language statements on whether and when this configuration groks."""
    c = config
    notes = []
    if c.eps <= 1:
        notes.append(f"ε = {c.eps:g} ≤ 1: no bias-free separator has zero test error; the test "
                     f"error never reaches 0 (P_G = 0).")
    else:
        notes.append(f"P_G = {summ['p_grok']:.4g} over training sets ({summ['p_grok_formula']}).")
    draw = summ["draw"]
    if draw["groks"]:
        tail = "" if draw.get("t_eps") is None else f" at t_ε = {draw['t_eps']:.4g}"
        if draw.get("t_grok") is not None:
            tail += f", t_G = t_ε − t_train = {draw['t_grok']:.4g}"
        notes.append(f"Seed {c.seed}: the final weights have zero test error{tail}.")
    else:
        notes.append(f"Seed {c.seed}: the final test error is {1 - draw['acc_gen_inf']:.4g} > 0 "
                     f"(h(∞) = {draw['h_inf']:.4g} < 1): this training set never generalizes.")
    return notes


def _attrs(config: Config, kind: str, **extra) -> dict:
    return result_attrs(ID, config, kind, TIME_UNIT, **extra)


def _dataset(curves: dict, coords: dict, dims: tuple, attrs: dict):
    import xarray as xr

    ds = xr.Dataset({k: (dims, np.asarray(v, dtype=float)) for k, v in curves.items()},
                    coords=coords, attrs=attrs)
    label_variables(ds, _ATTRS, TIME_UNIT)
    return ds


def predict(config: Config, times: Sequence[float] | None = None):
    """The Dataset (dim ``t``) of :func:`predict_curves`."""
    return theory_dataset(*predict_curves(config, times), _ATTRS, TIME_UNIT)


def predict_curves(config: Config, times: Sequence[float] | None = None):
    """Exact theory of the config's draw plus the paper's ensemble formulas.

    Curves (dim ``t``, flow time): for λ₁ = 0 the closed-form gradient flow Eq. 21 on the draw of
    ``config.seed`` (eigenbasis of G; :class:`~groklab.models.ball_exact.ExactFlow`), with the
    Eq. 22 test error. For λ₁ > 0 the paper has no trajectory: the curves are exact at t = 0 and
    NaN after (``attrs["validity"]``); the draw's stationary point is still exact.
    ``attrs["grokking"]``: for the zero-error detector the exact first times of zero training
    and zero test error (roots of Eq. 21), else crossings of the curves on a dense grid.
    ``attrs["summary"]``: :func:`summary`; ``attrs["advice"]``: :func:`advice`.
    """
    t = default_times(config) if times is None else _check_times(times)
    draw = _draw(config)
    data = draw["data"]
    det = metrics.detector(config.threshold)
    validity = "exact for the drawn training set (Eq. 21)"
    if config.lam1 == 0:
        flow = draw["flow"]
        curves = bx.observables(flow.w(t), data["z"], config.eps, 0.0, config.lam2)
        if det.level == 1.0:
            t_tr, t_gen = draw["t_train"], draw["t_eps"]
            crossing = "exact (root of Eq. 21)"
        else:
            grid = flow._grid()
            dense = bx.observables(flow.w(grid), data["z"], config.eps, 0.0, config.lam2)
            t_tr = metrics.crossing_time(grid, dense["acc_train"], det.level)
            t_gen = metrics.crossing_time(grid, dense["acc_gen"], det.level)
            crossing = "interpolated on a dense log grid of Eq. 21"
        grok = metrics.grokking_summary(np.nan if t_tr is None else t_tr,
                                        np.nan if t_gen is None else t_gen, det, math.inf)
    else:
        w = np.broadcast_to(data["w0"], (t.size, config.dim))
        curves = bx.observables(w, data["z"], config.eps, config.lam1, config.lam2)
        curves = {k: np.where(t == 0, v, np.nan) for k, v in curves.items()}
        validity = ("λ₁ > 0: no closed-form trajectory (curves NaN after t = 0); the draw's "
                    "stationary point and the ensemble formulas are exact/asymptotic")
        grok = metrics.grokking_summary(np.nan, np.nan, det, math.inf)
        grok["message"] = "no closed-form trajectory for λ₁ > 0; use simulate"
        crossing = "none"
    grok["crossing"] = crossing
    summ = summary(config, draw)
    curves = {k: np.asarray(v, dtype=float) for k, v in curves.items()}
    return t, curves, _attrs(config, "theory", method="closed-form gradient flow (Eq. 21)",
                             validity=validity, grokking=grok, summary=summ,
                             advice=advice(config, summ))


def simulate(config: Config, times: Sequence[float] | None = None,
             seeds: int | Sequence[int] = 1):
    """Numerical gradient flow (proximal Euler, :mod:`.ball_sim`) for ``seeds`` draws at once.

    Default times: :func:`default_times`. Returns the curves on dims (``seed``, ``t``);
    ``attrs["grokking"]`` holds one record per seed (crossings interpolated in log time between
    records); ``attrs["dt"]`` the Euler step and ``attrs["n_steps"]`` their number.
    """
    from groklab.models import ball_sim

    seeds = seed_list(config.seed, seeds)
    t = default_times(config) if times is None else _check_times(times)
    draws = [sample(config, s) for s in seeds]
    z = np.stack([d["z"] for d in draws])
    w0 = np.stack([d["w0"] for d in draws])
    G, b = bx.gram(z, config.lam2)
    w = ball_sim.proximal_euler(G, b, w0, config.lam1, t, config.dt, config.precision)
    curves = bx.observables(w, z, config.eps, config.lam1, config.lam2)
    n_steps = int(ball_sim.step_plan(t, config.dt)[0].sum())
    ds = _dataset(curves, {"seed": seeds, "t": t}, ("seed", "t"),
                  _attrs(config, "simulation",
                         method="proximal (forward–backward) Euler, JAX",
                         dt=config.dt, n_steps=n_steps))
    det = metrics.detector(config.threshold)
    gt = metrics.grokking_times(ds, config.threshold)
    ds.attrs["grokking"] = metrics.seed_summaries(gt["t_train"].values, gt["t_gen"].values,
                                                  seeds, det, float(t[-1]))
    return ds


_GRID_VARS = ("p_grok", "p_grok_eq30", "p_grok_eq86", "p_grok_eq32", "p_grok_eq33",
              "p_grok_eq90", "p_fast", "t_slow", "t_slow_reduced", "t_grok_mean",
              "t_grok_mean_reduced")


def theory_grid(base: Config, *, draws: bool = True, **axes: np.ndarray):
    """The ensemble formulas (and, with ``draws``, the exact times of each cell's own draw) over
    a grid of config fields.

    Returns an ``xarray.Dataset`` with one coord per axis and ``p_grok`` (and each formula
    separately), ``p_fast``, ``t_slow``, ``t_slow_reduced``, ``t_grok_mean``,
    ``t_grok_mean_reduced`` (NaN where a formula does not apply), ``never_groks`` (p_grok = 0),
    and the draw's ``t_train``, ``t_gen`` (= t_ε), ``delay`` (= t_G) and ``groks``.
    """
    import xarray as xr

    names = list(axes)
    values = [np.asarray(axes[n]) for n in names]
    shape = tuple(len(v) for v in values)
    keys = (*_GRID_VARS, "t_train", "t_gen", "delay", "groks")
    out = {k: np.full(shape, np.nan) for k in keys}
    for idx in np.ndindex(*shape):
        cfg = base.replace(**{n: v[i].item() for n, v, i in zip(names, values, idx, strict=True)})
        f = _formulas(cfg)
        for k in _GRID_VARS:
            out[k][idx] = np.nan if f.get(k) is None else f[k]
        if draws:
            d = _draw(cfg)
            for k, src in (("t_train", "t_train"), ("t_gen", "t_eps"), ("delay", "t_grok")):
                out[k][idx] = np.nan if d.get(src) is None else d[src]
            out["groks"][idx] = d["groks"]
    data = {k: (names, v) for k, v in out.items()}
    data["never_groks"] = (names, out["p_grok"] == 0)
    return xr.Dataset(data, coords=dict(zip(names, values, strict=True)),
                      attrs=_attrs(base, "theory-grid", swept=names))
