"""1-D exponential model of grokking (Žunkovič & Ilievski 2024, JMLR 25(199), Sec. 3.2 and
App. A; spec ``zunkovic2024-local-rules.md`` §1, §2, errata §6).

Model. N samples per class (``n_train``; 2N in all): positives x̃ = ε + e, negatives
x̃ = −ε − e′, e, e′ ~ Exp(1), so the classes are separated by a gap of width 2ε. The student is
the perceptron f(x) = sgn(x − b) with the weight fixed to 1 (Eq. 3); the bias b follows the
gradient flow of the MSE risk with L1 and L2 penalties (Eqs. 4–5)

    R(b) = (1/2N) Σ ½((x̃_i − b) − y_i)² + λ2 b²/2 + λ1|b|,   db/dt = x̄ − sgn(b)λ1 − (1+λ2)b,

from b(0) = ``b0`` (default 21, as in Fig. 3), with x̄ the mean of all 2N inputs.

Scalings and units. No learning rate: t is dimensionless flow time (``attrs["time_unit"] =
"flow time"``). The test error is exact (an infinite test set, Eq. 7); training error and loss
are those of the drawn set. ε_λ = ε(1+λ2) + λ1 (Eq. 10) decides whether a set groks,
|x̄| < ε_λ (Eq. 11).

The four verbs:

* :class:`Config` — fields ``n_train`` (N per class), ``eps``, ``lam1``, ``lam2``, ``b0``,
  ``t_max``, ``dt`` (Euler step of :func:`simulate`), ``seed``, ``precision``, ``threshold``.
* :func:`sample` — the training set of a seed: uniforms from the JAX key of (seed, "train")
  (recomputed bit for bit in NumPy by :mod:`groklab.prng_numpy`), e = −log1p(−u), the transform
  of ``jax.random.exponential``, applied in NumPy so that ``simulate`` and ``predict`` see the
  same numbers.
* :func:`simulate` — an independent numerical gradient flow of Eq. 5 in JAX: proximal Euler
  steps b ← S_{hλ1}(b + h(x̄ − (1+λ2)b)) (soft thresholding; plain Euler for λ1 = 0; spec §1
  [project]), ``vmap`` over seeds, ``lax.scan`` between record times; the first crossings of the
  zero-error levels are located inside the integration (linear in b within a step).
* :func:`predict` — the closed form on the same seed's set: Eq. 6 (continued through b = 0 when
  λ1 > 0), Eq. 7, the corrected Eq. 8, Eq. 16, and in ``attrs["summary"]`` the grokking
  probability (Eq. 15 / corrected Eq. 14) and, for N = 2 and λ2 = 0, the mean grokking time
  from Eq. 17 (:mod:`groklab.theory.local_rules_exp1d`).

Variables (both ``simulate`` and ``predict``): ``loss_train`` (data term of Eq. 4 on the drawn
set, without the penalties), ``loss_gen`` (its population value ½(1 + ε² + b²)), ``acc_train``,
``acc_gen`` (= 1 − E(t), Eq. 7), ``err_gen`` (E(t)) and ``b``. ``simulate`` adds per seed
``xbar``, ``x_min``, ``t_eps``, ``t_train``, ``t_grok``, ``t_eps_lost`` and ``groks``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import numpy as np

from groklab import metrics
from groklab._config import AbstractConfig, Choice, Integer, InvalidParameterError, Real, param
from groklab.models._common import (
    DRAW_PURPOSES,
    label_variables,
    result_attrs,
    seed_list,
    theory_dataset,
)
from groklab.theory import local_rules_exp1d as th

__all__ = [
    "ID",
    "Config",
    "advice",
    "default_times",
    "integrate_flow",
    "p_grok",
    "per_draw",
    "predict",
    "predict_curves",
    "sample",
    "simulate",
    "summary",
    "t_grok_mean",
    "theory_grid",
]

ID = "exp-1d"
TIME_UNIT = "flow time"
#: Largest number of Euler steps one :func:`simulate` call may take (t_max / dt).
MAX_STEPS = 10**8
#: Largest ``dt·(1+λ2)`` accepted (spec §1 [project]: dt ≤ 0.01/λ_max(G), G = 1 + λ2 here): the
#: relative Euler error of the decay rate is ≈ dt(1+λ2)/2 ≤ 0.5 %, far from instability at 2.
DT_RATE_MAX = 0.01

_ATTRS = {
    "loss_train": ("training loss (1/2N) Σ ½(x̃ − b − y)² (data term of Eq. 4)", "1"),
    "loss_gen": ("population loss ½(1 + ε² + b²)", "1"),
    "acc_train": ("training accuracy", "1"),
    "acc_gen": ("test accuracy 1 − E(t) (Eq. 7)", "1"),
    "err_gen": ("test error E(t) (Eq. 7)", "1"),
    "b": ("bias b", "1"),
    "xbar": ("mean x̄ of the 2N training inputs", "1"),
    "x_min": ("smallest Exp(1) part of the positive inputs", "1"),
    "t_eps": ("first time with zero test error t_ε", TIME_UNIT),
    "t_train": ("first time with zero training error", TIME_UNIT),
    "t_grok": ("grokking time t_G = t_ε − t_train", TIME_UNIT),
    "t_eps_lost": ("time the zero test error is lost again (b < −ε; sets with x̄ ≤ −ε_λ)",
                   TIME_UNIT),
    "groks": ("zero test error at the last record", "1"),
}


@dataclasses.dataclass(frozen=True)
class Config(AbstractConfig):
    """1-D exponential model (Eqs. 3–5): N per class, gap 2ε, bias-only perceptron, L1/L2.

    ``b0`` must lie above the gap (b(0) > ε): Eq. 6 is the branch b ≥ 0 and Eqs. 8 and 16
    describe a bias that comes down through the data. ``dt`` is the Euler step of
    :func:`simulate` only (``predict`` is exact).
    """

    n_train: int = param(10, Integer(1, 10**7), help="N, training samples per class")
    eps: float = param(1.0, Real(0, None, closed="neither"), help="half-width ε of the gap")
    lam1: float = param(0.0, Real(0, None, closed="left"), help="L1 strength λ1 (λ1|b|)")
    lam2: float = param(0.0, Real(0, None, closed="left"), help="L2 strength λ2 (λ2 b²/2)")
    b0: float = param(21.0, Real(0, None, closed="neither"), help="initial bias b(0) > ε")
    t_max: float = param(20.0, Real(0, 1e6, closed="neither"), help="horizon in flow time")
    dt: float = param(1e-3, Real(0, DT_RATE_MAX, closed="right"),
                      help="Euler step of simulate (flow time)")
    threshold: str | float = param(
        "zunkovic2024",
        Choice(tuple(metrics.DETECTORS), Real(0, 1, closed="neither")),
        help="accuracy level for grokking: a detector name or a number in (0, 1)",
    )
    seed: int = param(0, Integer(0, 2**31 - 1), help="seed of the training set")
    precision: str = param("float64", Choice(("float64", "float32")), help="simulation dtype")

    def _check(self) -> None:
        if not self.b0 > self.eps:
            raise InvalidParameterError(
                f"The 'b0' parameter of Config must be above the gap edge eps={self.eps!r} "
                f"(Eq. 6 starts the bias above the data, b(0) > ε). Got {self.b0!r} instead."
            )
        if self.dt * (1.0 + self.lam2) > DT_RATE_MAX:
            raise InvalidParameterError(
                f"The 'dt' parameter of Config is too large for lam2={self.lam2!r}: the Euler "
                f"step needs dt·(1 + lam2) ≤ {DT_RATE_MAX:g}; use dt ≤ "
                f"{DT_RATE_MAX / (1.0 + self.lam2):.3g}. Got {self.dt!r} instead."
            )

    @property
    def eps_lam(self) -> float:
        """ε_λ = ε(1+λ2) + λ1 (Eq. 10)."""
        return th.eps_lambda(self.eps, self.lam1, self.lam2)

    @property
    def rate(self) -> float:
        """1 + λ2, the relaxation rate of b (Eq. 6)."""
        return 1.0 + self.lam2

    @property
    def accuracy_level(self) -> float:
        return metrics.detector(self.threshold).level


# ---- data --------------------------------------------------------------------------------------
def sample(config: Config, seed: int | None = None) -> dict:
    """The training set of ``seed`` (default ``config.seed``).

    Returns ``x_pos`` (N,) = ε + e, ``x_neg`` (N,) = −ε − e′, ``x`` (2N,) and ``y`` (2N,) = ±1,
    ``e`` (2, N) the Exp(1) parts (row 0 positive), ``xbar`` = mean of x and ``x_min`` = min e[0].
    The uniforms are those of ``jax.random.uniform(key_for(seed, "train"), (2, N))``
    (threefry, recomputed in NumPy) and e = −log1p(−u), as in ``jax.random.exponential``.
    """
    from groklab import prng_numpy

    s = config.seed if seed is None else int(seed)
    u = prng_numpy.uniform(prng_numpy.seed_key(s, DRAW_PURPOSES["train"]), (2, config.n_train))
    e = -np.log1p(-u)
    x_pos, x_neg = config.eps + e[0], -config.eps - e[1]
    x = np.concatenate([x_pos, x_neg])
    y = np.concatenate([np.ones(config.n_train), -np.ones(config.n_train)])
    return {"x_pos": x_pos, "x_neg": x_neg, "x": x, "y": y, "e": e,
            "xbar": float(np.mean(x)), "x_min": float(e[0].min())}


# ---- observables and levels -------------------------------------------------------------------
def _levels(config: Config, x_pos: np.ndarray) -> dict[str, float]:
    """The bias levels below which each event holds (b decreasing from b(0) > ε):
    ``eps`` (zero test error), ``train0`` (zero training error: below the smallest positive
    input), and ``gen`` / ``train`` for the detector's accuracy level a (E ≤ 1 − a ⟺
    b ≤ ε − log(2a − 1); at most ⌊2N(1−a)⌋ positives at or below b). +inf: holds at any b."""
    a = config.accuracy_level
    xs = np.sort(np.asarray(x_pos, dtype=float))
    gen = config.eps - math.log(2 * a - 1) if a > 0.5 else math.inf
    m = int(math.floor(2 * config.n_train * (1 - a) + 1e-9))
    train = float(xs[m]) if m < xs.size else math.inf
    return {"eps": config.eps, "train0": float(xs[0]), "gen": gen, "train": train}


def _detector_times(config: Config, d: dict) -> tuple[float, float]:
    """Exact first times (Eq. 6) at which the training and test accuracy reach the detector's
    level on the set ``d`` (0: from the start; inf: never)."""
    lv = _levels(config, d["x_pos"])
    out = [float(th.level_time(lv[k], d["xbar"], config.b0, config.lam1, config.lam2))
           if math.isfinite(lv[k]) else 0.0 for k in ("train", "gen")]
    return out[0], out[1]


def _observables(b: np.ndarray, data: Sequence[dict], config: Config) -> dict:
    """Dataset variables from b of shape (S, T) (or (T,) for one set) and the S training sets."""
    b = np.asarray(b, dtype=float)
    b2 = np.atleast_2d(b)
    n = config.n_train
    acc_tr = np.empty_like(b2)
    loss_tr = np.empty_like(b2)
    for i, d in enumerate(data):
        xp, xn = np.sort(d["x_pos"]), np.sort(d["x_neg"])
        wrong = np.searchsorted(xp, b2[i], "right") + (n - np.searchsorted(xn, b2[i], "left"))
        acc_tr[i] = 1.0 - wrong / (2 * n)
        r = d["x"] - d["y"]
        loss_tr[i] = 0.5 * (np.var(r) + (np.mean(r) - b2[i]) ** 2)
    err = th.test_error(b2, config.eps)
    out = {"loss_train": loss_tr, "loss_gen": th.loss_gen(b2, config.eps), "acc_train": acc_tr,
           "acc_gen": 1.0 - err, "err_gen": err, "b": b2}
    return {k: v.reshape(b.shape) for k, v in out.items()}


def _label(ds) -> None:
    label_variables(ds, _ATTRS, TIME_UNIT)


def default_times(t_max: float, n: int = 400) -> np.ndarray:
    """``n`` + 1 equally spaced flow times from 0 to ``t_max`` (the dynamics relax on the scale
    1/(1+λ2), so a linear grid resolves them)."""
    return np.linspace(0.0, float(t_max), n + 1)


def _check_times(times) -> np.ndarray:
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0) \
            or np.any(np.diff(t) <= 0):
        raise ValueError("times must be a non-empty 1-D strictly increasing array of finite "
                         "flow times t ≥ 0.")
    return t


# ---- theory ------------------------------------------------------------------------------------
def _num(x) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def p_grok(config: Config) -> float:
    """P_{E(∞)=0} over training sets at the config's ε_λ and N (Eq. 15 / corrected Eq. 14)."""
    return th.p_grok_dataset(config.eps_lam, config.n_train)


def t_grok_mean(config: Config) -> tuple[float | None, str]:
    """Mean grokking time of the grokking sets from Eq. 17 (N = 2, λ2 = 0) and a note; None with
    the reason where the density is not known in closed form or Eq. 16 does not apply."""
    if config.n_train != 2 or config.lam2 != 0:
        return None, ("no closed-form t_G density for N ≠ 2 or λ2 ≠ 0 (Eq. 17 is N = 2, λ2 = 0); "
                      "use a Monte Carlo of Eq. 16 (theory.local_rules_exp1d.sample_tG)")
    frac = math.exp(-2 * (config.b0 - config.eps))  # P(x_min > b(0) − ε), x_min ~ Exp(rate 2)
    if frac > 1e-9:
        return None, (f"b(0) − ε = {config.b0 - config.eps:g} is too small: a fraction "
                      f"{frac:.3g} of training sets starts with zero training error, where "
                      f"Eq. 16 (and so Eq. 17) does not hold")
    return th.tG_mean_n2(config.eps_lam), ("E[t_G | the set groks] = ∫ t Eq.17 dt / Eq. 15 "
                                           "(N = 2, λ2 = 0; b(0) above the data)")


def per_draw(config: Config, data: dict | None = None) -> dict:
    """Exact event times of one training set (default: the config's seed): t_ε (corrected
    Eq. 8), t_train, t_G = t_ε − t_train (Eq. 16 when b(0) > ε + x_min), ``t_eps_lost`` (b falls
    below −ε, sets with x̄ < −ε_λ), whether it groks (|x̄| < ε_λ, Eq. 11) and E(∞). Times are
    null where never reached."""
    d = sample(config) if data is None else data
    xbar, x_min, c = d["xbar"], d["x_min"], config
    te = float(th.t_eps(xbar, c.eps, c.b0, c.lam1, c.lam2))
    ttr = float(th.level_time(c.eps + x_min, xbar, c.b0, c.lam1, c.lam2))
    b_inf = float(th.bias(np.inf, xbar, c.b0, c.lam1, c.lam2))
    eq16 = float(th.t_grok(xbar, x_min, c.eps, c.lam1, c.lam2))
    lost = float(th.level_time(-c.eps, xbar, c.b0, c.lam1, c.lam2))
    above = c.b0 > c.eps + x_min
    return {
        "xbar": xbar, "x_min": x_min, "groks": bool(abs(xbar) < c.eps_lam),
        "E_inf": float(th.test_error(b_inf, c.eps)), "b_inf": b_inf,
        "t_eps": _num(te), "t_train": _num(ttr),
        "t_grok": _num(te - ttr) if math.isfinite(te) else None,
        "t_grok_eq16": _num(eq16) if above else None,
        "t_eps_lost": _num(lost),
        "b0_above_data": bool(above),
    }


def summary(config: Config, data: dict | None = None) -> dict:
    """Scalar predictions: ``eps_lam``; ``p_grok`` (Eq. 15 for N = 2, else the corrected Eq. 14
    in mpmath; ``p_grok_formula`` names the route, :func:`theory.p_grok_route`); ``t_grok_mean``
    (Eq. 17 for N = 2, λ2 = 0, else null) with ``t_grok_mean_note``; and the seed's set
    (:func:`per_draw`) under ``draw``."""
    mean, note = t_grok_mean(config)
    return {
        "eps_lam": config.eps_lam,
        "p_grok": p_grok(config),
        "p_grok_formula": th.p_grok_route(config.eps_lam, config.n_train),
        "t_grok_mean": _num(mean) if mean is not None else None,
        "t_grok_mean_note": note,
        "draw": {"seed": config.seed, **per_draw(config, data)},
    }


def advice(config: Config, summ: dict) -> list[str]:
    """Plain-language statements on the grokking probability and the seed's training set."""
    d = summ["draw"]
    lines = [f"Grokking probability over training sets (N = {config.n_train} per class, "
             f"ε_λ = {config.eps_lam:.4g}): {summ['p_grok']:.4g} ({summ['p_grok_formula']})."]
    head = f"Training set of seed {d['seed']} (x̄ = {d['xbar']:.4g}): "
    if d["groks"]:
        text = (f"groks: zero training error at t = {d['t_train']:.4g}, zero test error at "
                f"t_ε = {d['t_eps']:.4g}, t_G = {d['t_grok']:.4g}")
        if not d["b0_above_data"]:
            text += " (b(0) starts below the smallest positive input, so Eq. 16 does not apply)"
        lines.append(head + text + ".")
    elif d["t_eps"] is None:
        lines.append(head + f"never reaches zero test error (x̄ ≥ ε_λ); E(∞) = {d['E_inf']:.4g}.")
    else:
        lost = "never" if d["t_eps_lost"] is None else f"at t = {d['t_eps_lost']:.4g}"
        lines.append(head + f"reaches zero test error at t_ε = {d['t_eps']:.4g} but loses it "
                     f"again {lost} (x̄ ≤ −ε_λ: b falls below −ε); E(∞) = {d['E_inf']:.4g}.")
    return lines


def predict(config: Config, times: Sequence[float] | None = None):
    """The Dataset (dim ``t``) of :func:`predict_curves`."""
    return theory_dataset(*predict_curves(config, times), _ATTRS, TIME_UNIT)


def predict_curves(config: Config, times: Sequence[float] | None = None):
    """Closed-form dynamics of the config's seed's training set on dim ``t`` (flow time).

    Curves: b(t) from Eq. 6 (exact at every t, continued through b = 0 when λ1 > 0), E(t) from
    Eq. 7, training accuracy and loss of the drawn set. Default times: :func:`default_times` up to
    ``t_max``. ``attrs``: ``grokking`` (detector ``threshold``; first crossings from Eq. 6, exact),
    ``summary`` (:func:`summary`), ``advice`` (:func:`advice`), ``validity``.
    """
    t = default_times(config.t_max) if times is None else _check_times(times)
    d = sample(config)
    b = th.bias(t, d["xbar"], config.b0, config.lam1, config.lam2)
    data = _observables(b, [d], config)
    det = metrics.detector(config.threshold)
    grok = metrics.grokking_summary(*_detector_times(config, d), det, math.inf) | {
        "crossing": "closed form (Eq. 6)"}
    summ = summary(config, d)
    attrs = result_attrs(
        ID, config, "theory", TIME_UNIT, method="closed form (Eqs. 6–8, 16)",
        grokking=grok, summary=summ, advice=advice(config, summ),
        validity="exact at all t for the drawn training set (Eq. 6 continued through b = 0)",
    )
    return t, {k: np.asarray(v, dtype=float) for k, v in data.items()}, attrs


# ---- simulation ------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _kernel(dtype_name: str):
    """The jitted proximal-Euler integrator, vmapped over seeds (one compile per dtype)."""
    from groklab.dynamics import jax, jnp

    dtype = jnp.dtype(dtype_name)

    def one(xbar, levels, b0, lam1, k, t_start, h, n_steps):
        zero = jnp.zeros((), dtype)

        def segment(carry, seg):
            t0, hh, n = seg
            drift_h, shrink = hh.astype(dtype), (hh * lam1).astype(dtype)

            def body(j, c):
                b, ev = c
                b_new = b + drift_h * (xbar - k * b)
                b_new = jnp.sign(b_new) * jnp.maximum(jnp.abs(b_new) - shrink, zero)
                bf, bnf = b.astype(jnp.float64), b_new.astype(jnp.float64)
                cross = jnp.isnan(ev) & (bnf <= levels) & (bf > levels)
                frac = (bf - levels) / jnp.where(cross, bf - bnf, 1.0)
                return b_new, jnp.where(cross, t0 + (j + frac) * hh, ev)

            b, ev = jax.lax.fori_loop(0, n, body, carry)
            return (b, ev), b

        ev0 = jnp.where(b0 <= levels, 0.0, jnp.nan)
        (_, ev), bs = jax.lax.scan(segment, (jnp.asarray(b0, dtype), ev0), (t_start, h, n_steps))
        return bs, ev

    batched = jax.vmap(one, in_axes=(0, 0, None, None, None, None, None, None))
    return jax.jit(batched)


def integrate_flow(xbar, times, *, b0: float, lam1: float = 0.0, lam2: float = 0.0,
                   dt: float = 1e-3, levels=None, precision: str = "float64"):
    """Numerical gradient flow of Eq. 5 for each x̄ in ``xbar`` (S,), recorded at ``times``.

    Proximal Euler with steps h ≤ ``dt`` (each interval between records is split into equal
    steps): b ← S_{hλ1}(b + h(x̄ − (1+λ2)b)), S the soft-threshold (spec §1 [project]). The first
    time b comes down to each of ``levels`` (S, L) is located inside the integration, linearly in
    b within the step (0 if b(0) is already at or below it; NaN if not reached).

    Returns ``(b, events)``: float64 arrays (S, T) and (S, L).
    """
    from groklab.dynamics import jnp

    t = _check_times(times)
    xbar = np.atleast_1d(np.asarray(xbar, dtype=float))
    levels = np.zeros((xbar.size, 0)) if levels is None else np.asarray(levels, dtype=float)
    gaps = np.diff(np.concatenate([[0.0], t]))
    n = np.ceil(gaps / dt - 1e-9).astype(np.int64)
    if n.sum() > MAX_STEPS:
        raise ValueError(f"simulate would take {int(n.sum()):,} Euler steps (t_max/dt); the "
                         f"limit is {MAX_STEPS:,}. Raise dt or lower t_max.")
    h = np.where(n > 0, gaps / np.maximum(n, 1), 0.0)
    t_start = np.concatenate([[0.0], t[:-1]])
    dtype = jnp.float64 if precision == "float64" else jnp.float32
    run = _kernel(np.dtype(dtype).name)
    bs, ev = run(jnp.asarray(xbar, dtype), jnp.asarray(levels, jnp.float64), float(b0),
                 float(lam1), float(1.0 + lam2), jnp.asarray(t_start), jnp.asarray(h),
                 jnp.asarray(n))
    b = np.asarray(bs, dtype=float)
    if b.ndim == 1:
        b = b[:, None]
    return b.reshape(xbar.size, t.size), np.asarray(ev, dtype=float)


def simulate(config: Config, times: Sequence[float] | None = None,
             seeds: int | Sequence[int] = 1):
    """Numerical gradient flow of Eq. 5 on the training sets of ``seeds`` (JAX, proximal Euler
    with step ``dt``, ``config.precision``), recorded at ``times`` (default: 401 equally spaced
    flow times up to ``t_max``).

    Observables are exact functions of the simulated b (Eq. 7 for the test error).
    ``attrs["grokking"]``: each seed's record for the detector ``threshold``, with crossings
    located inside the integration; per seed data variables ``t_eps``, ``t_train``, ``t_grok``
    (zero-error events; NaN if not reached by the last record), ``t_eps_lost``, ``xbar``,
    ``x_min``, ``groks``.
    """
    import xarray as xr

    seeds = seed_list(config.seed, seeds)
    t = default_times(config.t_max) if times is None else _check_times(times)
    data = [sample(config, s) for s in seeds]
    lv = [_levels(config, d["x_pos"]) for d in data]
    names = ("eps", "train0", "gen", "train")
    levels = np.array([[lvl[k] for k in names] + [-config.eps] for lvl in lv])
    xbar = np.array([d["xbar"] for d in data])
    b, ev = integrate_flow(xbar, t, b0=config.b0, lam1=config.lam1, lam2=config.lam2,
                           dt=config.dt, levels=levels, precision=config.precision)
    if not np.all(np.isfinite(b)):
        raise FloatingPointError("the simulated bias became non-finite; lower dt.")
    obs = _observables(b, data, config)
    out_dtype = np.float64 if config.precision == "float64" else np.float32
    te, ttr = ev[:, 0], ev[:, 1]
    per_seed = {"xbar": xbar, "x_min": np.array([d["x_min"] for d in data]),
                "t_eps": te, "t_train": ttr, "t_grok": te - ttr, "t_eps_lost": ev[:, 4],
                "groks": obs["err_gen"][:, -1] == 0}
    ds = xr.Dataset(
        {**{k: (("seed", "t"), v.astype(out_dtype)) for k, v in obs.items()},
         **{k: ("seed", v) for k, v in per_seed.items()}},
        coords={"seed": seeds, "t": t},
        attrs=result_attrs(ID, config, "simulation", TIME_UNIT,
                           method=f"proximal Euler, dt ≤ {config.dt:g} (JAX)"),
    )
    _label(ds)
    det = metrics.detector(config.threshold)
    ds.attrs["grokking"] = metrics.seed_summaries(
        ev[:, 3], ev[:, 2], seeds, det, float(t[-1]),
        crossing="located inside the Euler integration (linear in b within a step)")
    mean, note = t_grok_mean(config)
    ds.attrs["summary"] = {
        "eps_lam": config.eps_lam, "p_grok": p_grok(config),
        "p_grok_seeds": float(np.mean(per_seed["groks"])),
        "t_grok_mean": _num(mean) if mean is not None else None, "t_grok_mean_note": note,
    }
    return ds


# ---- sweeps ----------------------------------------------------------------------------------
def theory_grid(base: Config, **axes: np.ndarray):
    """Theory over a grid of config fields, one cell at a time.

    Variables: ``p_grok`` (Eq. 15 / corrected Eq. 14), ``eps_lam``, ``t_grok_mean`` (Eq. 17;
    NaN unless N = 2, λ2 = 0), and for the seed's training set of each cell the detector's
    ``t_train``, ``t_gen``, ``delay`` (exact, Eq. 6; NaN where never) and ``never_groks``.
    """
    import xarray as xr

    names = list(axes)
    values = [np.asarray(axes[n]) for n in names]
    shape = tuple(len(v) for v in values)
    keys = ("p_grok", "eps_lam", "t_grok_mean", "t_train", "t_gen")
    out = {k: np.full(shape, np.nan) for k in keys}
    for idx in np.ndindex(*shape):
        cfg = base.replace(**{n: v[i].item() for n, v, i in zip(names, values, idx, strict=True)})
        for key, tv in zip(("t_train", "t_gen"), _detector_times(cfg, sample(cfg)), strict=True):
            out[key][idx] = tv if math.isfinite(tv) else np.nan
        out["p_grok"][idx] = p_grok(cfg)
        out["eps_lam"][idx] = cfg.eps_lam
        mean, _ = t_grok_mean(cfg)
        out["t_grok_mean"][idx] = np.nan if mean is None else mean
    data = {k: (names, v) for k, v in out.items()}
    data["delay"] = (names, out["t_gen"] - out["t_train"])
    data["never_groks"] = (names, np.isnan(out["t_gen"]))
    return xr.Dataset(data, coords=dict(zip(names, values, strict=True)),
                      attrs=result_attrs(ID, base, "theory-grid", TIME_UNIT, swept=names))
