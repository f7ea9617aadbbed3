"""Linear teacher–student model of grokking (Levi, Beck, Bar-Sinai 2023, arXiv:2310.16441).

Model (spec ``levi2023-linear-estimators.md`` §1): Gaussian inputs x ~ N(0, I_{d_in}), a linear
teacher T and student S in R^{d_in×d_out}, MSE losses L_tr = (1/d_out)Tr[DᵀΣ_tr D] (Eq. 1) and
L_gen = ‖D‖²/d_out (Eq. 2) with D = S − T, full-batch GD with learning rate η and weight decay γ
(Eq. 3). λ = d_in/N_tr. Init variance 1/(2 d_in d_out) for teacher and student (App. A).
Accuracy: a sample is correct when (1/d_out)‖Dᵀx‖² < ε; grokking is the generalization accuracy
reaching the level (``threshold``) long after the training accuracy.

The four verbs:

* :class:`Config` — validated parameters (``linear_teacher_config``).
* :func:`sample` — data, teacher and initial student of one seed (``linear_teacher_sim``).
* :func:`simulate` — exact eigen-solution of GD, gradient flow, or literal GD (two-layer
  students), batched over seeds.
* :func:`predict` — Marchenko–Pastur theory (Eq. 8, 13, 15, corrected Eq. 19), accuracies from
  the losses (Eq. 10, 13) and grokking times by root-finding (``linear_teacher_theory``).

Time is measured in GD steps; flow predictions are evaluated at flow time η·t.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from groklab import metrics
from groklab.models import linear_teacher_theory as theory
from groklab.models._common import label_variables, result_attrs, seed_list, theory_dataset
from groklab.models.linear_teacher_config import Config
from groklab.theory import special

__all__ = [
    "ID",
    "Config",
    "advice",
    "default_times",
    "grokking",
    "predict",
    "predict_curves",
    "sample",
    "simulate",
    "theory_grid",
]

ID = "linear-teacher"
TIME_UNIT = "steps"

_ATTRS = {
    "loss_train": ("training loss (Eq. 1)", "1"),
    "loss_gen": ("generalization loss ‖D‖²/d_out (Eq. 2)", "1"),
    "loss_gen_sample": ("generalization loss on n_gen fresh points", "1"),
    "acc_train": ("training accuracy", "1"),
    "acc_gen": ("generalization accuracy", "1"),
}


def sample(config: Config, seed: int | None = None) -> dict:
    """Data, teacher and initial student of one seed (default: ``config.seed``)."""
    from groklab.models.linear_teacher_sim import sample as _sample

    return _sample(config, config.seed if seed is None else seed)


# ---- time grids ---------------------------------------------------------------------------------
def _horizon(config: Config) -> int:
    """Spec §7: the smallest power of 10 ≥ 5 × the largest finite theory t*, and ≥ 10⁴."""
    if config.t_max is not None:
        return int(config.t_max)
    times = [x for x in theory_times(config) if math.isfinite(x)]
    longest = max(times, default=0.0)
    return int(10 ** max(4, math.ceil(math.log10(max(5 * longest, 1.0)))))


def default_times(config: Config, n: int = 300) -> np.ndarray:
    """t = 0 plus about ``n`` log-spaced unique integer steps in [1, horizon] (spec §7)."""
    t_max = _horizon(config)
    grid = np.unique(np.round(np.logspace(0, math.log10(t_max), n)).astype(np.int64))
    return np.concatenate([[0], grid])


# ---- theory -------------------------------------------------------------------------------------
def _norms(config: Config) -> dict:
    """E‖S₀‖² and E‖T‖² of the one-layer init (spec §1.1, §5: σ_S² = α²/2)."""
    return {"sigma_s2": config.init_scale**2 / 2, "sigma_t2": 0.5}


def _two_layer_norm(config: Config) -> float:
    """E‖D₀‖² of a two-layer student: (1 + α⁴)/(4 d_h) (spec §6, ‖D₀‖² ≈ 1/(2 d_h) at α = 1)."""
    return (1 + config.init_scale**4) / (4 * config.d_h)


def _check_theory(config: Config) -> None:
    if config.label_noise > 0 and (config.gamma > 0 or config.init_scale != 1):
        raise ValueError(
            "The label-noise theory (spec §5) covers gamma = 0 and init_scale = 1 only; "
            "simulate this configuration instead."
        )
    if config.student != "linear" and config.gamma > 0:
        raise ValueError(
            "The two-layer theory (corrected Eq. 19) covers gamma = 0 only; simulate instead."
        )


def curves(config: Config, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L_tr(t), L_gen(t)) of the large-d theory at GD steps ``t`` (flow time η·t)."""
    _check_theory(config)
    lam, eta, d_out = config.lam_theory, config.eta, config.d_out
    if config.student != "linear":
        norm = _two_layer_norm(config)
        return tuple(
            theory.loss_two_layer(eta, t, lam, d_out, norm, kind) for kind in ("train", "gen")
        )
    if config.label_noise > 0:
        return tuple(
            theory.loss_label_noise(eta, t, lam, config.label_noise, d_out, kind)
            for kind in ("train", "gen")
        )
    kw = dict(lam=lam, gamma=config.gamma_eff, d_out=d_out, **_norms(config))
    return theory.loss_train(eta, t, **kw), theory.loss_gen(eta, t, **kw)


def loss_plateaus(config: Config) -> tuple[float, float]:
    """(L_tr(∞), L_gen(∞)) of the large-d theory."""
    _check_theory(config)
    lam, d_out = config.lam_theory, config.d_out
    if config.student != "linear":
        atom = max(1 - 1 / lam, 0.0)
        return 0.0, _two_layer_norm(config) * atom / d_out
    if config.label_noise > 0:
        return tuple(
            theory.plateau_label_noise(lam, config.label_noise, d_out, kind)
            for kind in ("train", "gen")
        )
    return tuple(
        theory.plateau_wd(lam, config.gamma_eff, kind, **_norms(config)) / d_out
        for kind in ("train", "gen")
    )


def loss_threshold(config: Config) -> float:
    """L*: the loss below which the accuracy reaches the level (spec §1.5)."""
    return special.loss_threshold(config.eps, config.d_out, config.accuracy_level)


def _first_crossing(config: Config, level: float) -> tuple[float, float]:
    """First crossing of ``level`` by possibly non-monotone theory curves (label noise):
    scan a log grid, then refine the bracketing interval with brentq in log t."""
    from scipy.optimize import brentq

    grid = np.logspace(-3, 14, 1500)
    on_grid, at_zero = curves(config, grid), curves(config, np.zeros(1))
    out = []
    for k in range(2):
        below = np.flatnonzero(on_grid[k] <= level)
        if at_zero[k][0] <= level:
            out.append(0.0)
        elif below.size == 0:
            out.append(math.inf)
        else:
            i = int(below[0])
            f = lambda u, k=k: curves(config, np.exp([u]))[k][0] - level  # noqa: E731
            lo = math.log(grid[i - 1]) if i > 0 else math.log(grid[0]) - 5
            out.append(math.exp(brentq(f, lo, math.log(grid[i]), xtol=1e-12)))
    return out[0], out[1]


def theory_times(config: Config) -> tuple[float, float]:
    """(t*_train, t*_gen) of the large-d theory in GD steps; inf when never reached."""
    _check_theory(config)
    level = loss_threshold(config)
    if config.label_noise > 0:
        return _first_crossing(config, level)
    if config.student != "linear":
        # corrected Eq. 19: L = (‖D₀‖²/d_out) L¹(4 (η/(2 d_out²)) t), i.e. the one-layer curve
        # at learning rate η/(2 d_out) with total norm ‖D₀‖².
        kw = dict(lam=config.lam_theory, d_out=config.d_out, sigma_s2=_two_layer_norm(config),
                  sigma_t2=0.0)
        eta = config.eta / (2 * config.d_out)
    else:
        kw = dict(lam=config.lam_theory, gamma=config.gamma_eff, d_out=config.d_out,
                  **_norms(config))
        eta = config.eta
    return tuple(
        theory.crossing_time(eta, level, kind=kind, **kw) for kind in ("train", "gen")
    )


def advice(config: Config) -> list[str]:
    """Plain-language statements of when the generalization accuracy can never reach the level."""
    notes = []
    l_star = loss_threshold(config)
    plateau_tr, plateau_gen = loss_plateaus(config)
    lam, level = config.lam_theory, config.accuracy_level
    if plateau_gen >= l_star:
        if config.gamma == 0 and lam > 1 and config.label_noise == 0:
            why = (
                f"λ = {lam:g} > 1: a fraction 1 − 1/λ = {1 - 1 / lam:.4g} of the input directions "
                f"is never seen in training, so L_gen → {plateau_gen:.4g} ≥ L* = {l_star:.4g}"
            )
        else:
            why = (
                f"the generalization loss plateaus at L_gen(∞) = {plateau_gen:.4g} ≥ L* = "
                f"{l_star:.4g}"
                + (f" (weight decay γ = {config.gamma:g})" if config.gamma > 0 else "")
                + (f" (label noise {config.label_noise:g})" if config.label_noise > 0 else "")
            )
        notes.append(f"Never groks: generalization accuracy never reaches {level:.4g} — {why}.")
        if config.gamma > 0 and lam < 1:
            gc = theory.gamma_critical(lam, l_star, config.d_out, sigma_t2=0.5)
            if gc is not None and math.isfinite(gc):
                notes.append(f"Grokking needs weight decay γ < γ_c = {gc:.4g} at this λ and ε.")
    if plateau_tr >= l_star:
        notes.append(
            f"Training accuracy never reaches {level:.4g}: L_tr(∞) = {plateau_tr:.4g} ≥ L* = "
            f"{l_star:.4g}."
        )
    if config.student != "linear":
        notes.append(
            "Two-layer student: the theory is the frozen-kernel approximation (corrected Eq. 19), "
            "not exact."
        )
    return notes


def grokking(config: Config, horizon: float = math.inf) -> dict:
    """JSON-ready grokking record of the theory (``null`` for a level never reached)."""
    t_tr, t_gen = theory_times(config)
    if t_tr > horizon:
        t_tr = math.inf
    if t_gen > horizon:
        t_gen = math.inf
    return metrics.grokking_summary(t_tr, t_gen, metrics.detector(config.threshold), horizon)


def _attrs(config: Config, kind: str, **extra) -> dict:
    return result_attrs(ID, config, kind, TIME_UNIT, **extra)


def predict_curves(
    config: Config, times: Sequence[float] | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray], dict]:
    """The theory of :func:`predict` as plain arrays: ``(t, curves, attrs)``, without xarray."""
    t = default_times(config) if times is None else np.asarray(times, dtype=float)
    loss_tr, loss_gen = curves(config, np.asarray(t, dtype=float))
    data = {
        "loss_train": loss_tr,
        "loss_gen": loss_gen,
        "acc_train": special.accuracy_from_loss(loss_tr, config.eps, config.d_out),
        "acc_gen": special.accuracy_from_loss(loss_gen, config.eps, config.d_out),
    }
    attrs = _attrs(
        config,
        "theory",
        grokking=grokking(config),
        advice=advice(config),
        loss_threshold=loss_threshold(config),
    )
    return np.asarray(t), {k: np.asarray(v, dtype=float) for k, v in data.items()}, attrs


def predict(config: Config, times: Sequence[float] | None = None):
    """Large-d theory of the losses and accuracies, and the grokking times.

    Notes
    -----
    Losses: Eq. 8 (γ = 0; Bessel closed form Eq. 9/20 for L_tr and the integral of Eq. 21 for
    L_gen), Eq. 15 for γ > 0 (general-norm form with σ_S² = init_scale²/2), the d_out scaling of
    Eq. 13 and the corrected Eq. 19 for two-layer students. Accuracies: Eq. 10 / 13. Grokking
    times: root-finding on these curves for the level ``config.threshold``. Returns an
    ``xarray.Dataset`` on dim ``t`` (GD steps) with ``attrs["grokking"]`` and ``attrs["advice"]``.
    """
    return theory_dataset(*predict_curves(config, times), _ATTRS, TIME_UNIT)


def _label(ds) -> None:
    label_variables(ds, _ATTRS, TIME_UNIT)


def simulate(
    config: Config,
    times: Sequence[int] | None = None,
    seeds: int | Sequence[int] = 4,
    method: str = "exact",
):
    """Simulate the model for several seeds as one batched computation.

    Parameters
    ----------
    config : Config
    times : GD steps at which to record (default :func:`default_times`).
    seeds : a number of seeds (``config.seed``, ``config.seed + 1``, …) or explicit seeds.
    method : ``"exact"`` (eigen-solution of discrete GD, equal to literal GD to round-off),
        ``"flow"`` (gradient flow, Eq. 4/31) or ``"gd"`` (literal GD; always used for two-layer
        students).

    Returns
    -------
    xarray.Dataset
        dims ``(seed, t)``: ``loss_train``, ``loss_gen`` (exact ‖D‖²/d_out; the sample estimate
        for tanh students), ``loss_gen_sample`` (on ``n_gen`` fresh points), ``acc_train``,
        ``acc_gen`` (on the fresh points); ``attrs["grokking"]`` lists each seed's record.
    """
    import xarray as xr

    from groklab.models.linear_teacher_sim import simulate_arrays

    seeds = seed_list(config.seed, seeds)
    t = default_times(config) if times is None else np.asarray(times, dtype=np.int64)
    arrays = simulate_arrays(config, t, seeds, method=method)
    used = method if config.student == "linear" else "gd"
    ds = xr.Dataset(
        {k: (("seed", "t"), np.asarray(v, dtype=float)) for k, v in arrays.items()
         if np.ndim(v) == 2},
        coords={"seed": seeds, "t": t},
        attrs=_attrs(config, "simulation", method=used),
    )
    if "nu_min" in arrays:
        ds["nu_min"] = ("seed", np.asarray(arrays["nu_min"], dtype=float))
    _label(ds)
    det = metrics.detector(config.threshold)
    if "t_star_train" in arrays:  # exact integer steps (spec §1.5), −1 where never reached
        found = {k: np.where(arrays[f"t_star_{k}"] >= 0, arrays[f"t_star_{k}"], np.nan)
                 for k in ("train", "gen")}
        how = "first GD step, by bisection on the exact solution between records"
    else:
        times_ds = metrics.grokking_times(ds, config.threshold)
        found = {k: times_ds[f"t_{k}"].values for k in ("train", "gen")}
        how = "interpolated in log-time between records"
    ds.attrs["grokking"] = metrics.seed_summaries(found["train"], found["gen"], seeds, det,
                                                  float(t[-1]), how)
    return ds


#: Config fields that the vectorized :func:`theory_grid` path sweeps; any other axis, label
#: noise or a two-layer student uses the per-cell loop.
_GRID_AXES = ("lam", "gamma", "d_out", "eps", "eta", "init_scale")


def theory_grid(base: Config, **axes: np.ndarray):
    """Grokking times and plateaus of the theory over a grid of parameters.

    ``axes`` maps config field names (``lam``, ``gamma``, ``d_out``, ``eps``, ``eta``,
    ``init_scale``) to 1-D arrays. Returns an ``xarray.Dataset`` with one coord per axis and
    ``t_train``, ``t_gen``, ``delay`` (NaN where never), ``loss_train_inf``, ``loss_gen_inf`` and
    the mask ``never_groks``.

    Notes
    -----
    One-layer students without label noise are evaluated for all cells at once
    (:func:`groklab.models.linear_teacher_theory.crossing_s_grid`): the d_out axis enters
    through the section-3 scaling t* = d_out s*/(4η) at the level d_out·L*(ε, d_out, A) and γ
    through γ_eff (``wd_convention``). Other cases loop over the cells with :func:`theory_times`.
    """
    import xarray as xr

    names = list(axes)
    values = [np.asarray(axes[n]) for n in names]
    shape = tuple(len(v) for v in values)
    fast = (
        base.label_noise == 0
        and base.student == "linear"
        and set(names) <= set(_GRID_AXES)
        and not ("lam" in names and base.n_train is not None)
    )
    out = (_grid_vectorized if fast else _grid_loop)(base, names, values, shape)
    never = ~np.isfinite(out["t_gen"])
    data = {k: (names, np.where(np.isfinite(v), v, np.nan)) for k, v in out.items()}
    with np.errstate(invalid="ignore"):  # inf - inf only where never (masked)
        data["delay"] = (names, np.where(never, np.nan, out["t_gen"] - out["t_train"]))
    data["never_groks"] = (names, never)
    ds = xr.Dataset(data, coords=dict(zip(names, values, strict=True)),
                    attrs=_attrs(base, "theory-grid", swept=names))
    return ds


def _py(x):
    return x.item() if hasattr(x, "item") else x


def _grid_loop(base: Config, names, values, shape) -> dict:
    keys = ("t_train", "t_gen", "loss_train_inf", "loss_gen_inf")
    out = {k: np.full(shape, np.nan) for k in keys}
    for idx in np.ndindex(*shape):
        cfg = base.replace(
            **{n: _py(v[i]) for n, v, i in zip(names, values, idx, strict=True)}
        )
        out["t_train"][idx], out["t_gen"][idx] = theory_times(cfg)
        out["loss_train_inf"][idx], out["loss_gen_inf"][idx] = loss_plateaus(cfg)
    return out


def _grid_vectorized(base: Config, names, values, shape) -> dict:
    from scipy import special as sc

    from groklab._config import InvalidParameterError

    # validate every axis value (with a tiny η so that the stability bound, which couples the
    # axes, is checked below for the actual cells)
    for n, v in zip(names, values, strict=True):
        for x in np.unique(v):
            base.replace(**{n: _py(x)}, **({} if n == "eta" else {"eta": 1e-12}))
    ix = {n: i for i, n in enumerate(names)}

    def field(n: str) -> np.ndarray:
        if n not in ix:
            return np.asarray(base.lam_theory if n == "lam" else getattr(base, n), dtype=float)
        return np.asarray(values[ix[n]], dtype=float).reshape(
            [-1 if j == ix[n] else 1 for j in range(len(names))]
        )

    lam, gamma, d_out, eps, eta, alpha = (field(n) for n in _GRID_AXES)
    lam, gamma, d_out, eps, eta, alpha = np.broadcast_arrays(lam, gamma, d_out, eps, eta, alpha)
    gamma_eff = gamma * d_out if base.wd_convention == "torch" else gamma
    bound = d_out / ((1 + np.sqrt(lam)) ** 2 + gamma_eff / 2)
    bad = ~(eta < bound)
    if bad.any():
        i = np.unravel_index(np.argmax(bad), bad.shape)
        cell = ", ".join(f"{n}={_py(v[k])!r}" for n, v, k in zip(names, values, i, strict=True))
        raise InvalidParameterError(
            f"The 'eta' parameter of Config gives unstable GD at {cell}: eta={eta[i]!r} but GD "
            f"is stable only for eta < {bound[i]:.6g} = d_out/(λ₊ + γ_eff/2)."
        )
    # L* = d_out ε / (2 gammaincinv(d_out/2, A)) (spec §1.5); d_out = 1 level d_out·L* (§3)
    l_star = d_out * eps / (2.0 * sc.gammaincinv(0.5 * d_out, base.accuracy_level))
    kw = dict(lam=lam, level=d_out * l_star, gamma_eff=gamma_eff, sigma_s2=alpha**2 / 2,
              sigma_t2=0.5, plateau=True)
    out = {}
    for kind in ("train", "gen"):
        s_star, limit = theory.crossing_s_grid(kind, **kw)
        with np.errstate(invalid="ignore"):  # 0 * inf does not occur: d_out >= 1
            out[f"t_{kind}"] = d_out * s_star / (4.0 * eta)
        out[f"loss_{kind}_inf"] = limit / d_out
    return out
