"""Learning a local rule with tensor-network attention (Žunkovič & Ilievski 2024, Sec. 4).

Model (spec ``zunkovic2024-local-rules.md`` §4–5): strings x ∈ {−1, 1}^M are labelled site by
site by a K-local cellular-automaton teacher (rule 30 applied K times, open or periodic
boundaries; :mod:`rule_learning_ca`). The student is a uniform tensor-network attention of bond
dimension d (Eqs. 58–63; :mod:`rule_learning_tn`): normalised left/right contexts of each site,
built from the attention tensor A, weight the classification tensor B, ŷ_i = ℓ_N(i) B_{x_i} r_N(i).
Initialisation: every entry N(0, 1).

* Full model (``attention="trainable"``): A, B and v^{L,R} trained jointly with Adam (lr 0.005,
  default betas) on ½(σ(ŷ) − (1 + y)/2)², minibatches of 128 of all 2^M training strings, L2 as a
  coupled gradient and L1 in the loss (spec §5). Grokking is typical here; no theory.
* Fixed attention (``"exact"``: Eq. 68; ``"fixed-example"``: App. C; ``"random"``): only B is
  trained, by full-batch GD on ½(ŷ − y)² (Eq. 19), and ŷ = z·vec(B) is a 2d²-dimensional
  perceptron (Eqs. 66–67). :func:`predict` gives its exact GD trajectory and stationary point
  (:mod:`rule_learning_theory`).

Observables (:mod:`rule_learning_train`): ``loss_train``, ``acc_train`` on the training strings;
``loss_gen``, ``acc_gen`` = 1 − E_test on random long test strings; ``err_exact`` on every string
of length 3…10; ``zero_error``; ``d_eff`` of the left context vectors at the 7 central sites;
``norm_A``, ``norm_B``; per epoch ``loss_epoch``. Time is counted in optimizer steps (with GD,
flow time = lr·steps; one epoch = ⌈2^M/batch⌉ Adam steps).

The verbs: :class:`Config`, :func:`sample`, :func:`simulate`, :func:`predict`; and, on a
``simulate`` result, :func:`generalization_times` (t_ε), :func:`aligned` (curves averaged with the
runs aligned at t_ε), :func:`nu_fit` (the critical exponent ν with a bootstrap uncertainty) and
:func:`spike_table` (training-loss spikes with the D_eff step across each).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from groklab import metrics
from groklab.models._common import label_variables, result_attrs, seed_list
from groklab.models.rule_learning_config import Config

__all__ = [
    "ID",
    "Config",
    "NoTheoryError",
    "aligned",
    "default_times",
    "generalization_times",
    "nu_fit",
    "predict",
    "sample",
    "simulate",
    "spike_table",
]

ID = "rule-learning"
TIME_UNIT = "steps"

#: Variables with dims (seed, t) recorded by ``simulate`` (and, where defined, ``predict``).
RECORDED = ("loss_train", "loss_gen", "acc_train", "acc_gen", "err_exact", "zero_error",
            "d_eff", "norm_A", "norm_B")

_ATTRS = {
    "loss_train": ("training loss: mean per-site loss on all training strings (no penalty)", "1"),
    "loss_gen": ("test loss: mean per-site loss on the random test strings", "1"),
    "acc_train": ("per-site training accuracy (y·ŷ > 0)", "1"),
    "acc_gen": ("per-site test accuracy, 1 − E_test, on the random test strings", "1"),
    "err_exact": ("per-site error on every string of length 3…exact_length", "1"),
    "zero_error": ("1 where E_test = 0 and err_exact = 0 (zero test error), else 0", "1"),
    "d_eff": ("D_eff of the left context vectors at the 7 central test sites", "1"),
    "norm_A": ("‖A‖ (Frobenius)", "1"),
    "norm_B": ("‖B‖ (Frobenius)", "1"),
    "loss_epoch": ("mean of the minibatch losses of an epoch", "1"),
    "rejected_attention_draws": ("draws of A rejected for a complex top eigenvalue of A_0", "1"),
}


class NoTheoryError(ValueError):
    """The configuration has no theory (``predict``)."""


def sample(config: Config, seed: int | None = None) -> dict:
    """The data and initial tensors of member ``seed`` (default ``config.seed``), NumPy.

    ``X_train``/``y_train`` (2^M, M), ``X_test``/``y_test`` (n_test, test_length), ``exact``
    (list of (X_L, y_L), L = 3…exact_length), ``A``, ``B`` (d, d, 2) and, open boundaries,
    ``vL``, ``vR`` (d,)."""
    from groklab.models.rule_learning_train import build_data, init_members

    seed = config.seed if seed is None else int(seed)
    member, shared, _ = init_members(config, [seed])
    return build_data(config) | shared | {k: v[0] for k, v in member.items()}


def default_times(config: Config) -> np.ndarray:
    """The end of every epoch, 0 … ``epochs``·steps_per_epoch (in optimizer steps)."""
    return np.arange(config.epochs + 1, dtype=np.int64) * config.steps_per_epoch


def _times(config: Config, times) -> np.ndarray:
    return default_times(config) if times is None else np.asarray(times, dtype=np.int64)


def _grokking_record(t, acc_train, acc_gen, zero_error, det) -> dict:
    """zunkovic2024 detector (level 1): t_train = first record with zero training error, t_gen =
    t_ε = first record with zero test error (``zero_error``). Other levels: the crossings of
    acc_train and acc_gen, interpolated in log-time (:func:`groklab.metrics.crossing_time`)."""
    def first(flags) -> float:
        hit = np.flatnonzero(flags)
        return float(t[hit[0]]) if hit.size else math.nan

    if det.level >= 1.0:
        t_train = first(np.asarray(acc_train) >= 1.0)
        t_gen = first(np.asarray(zero_error) > 0)
    else:
        t_train = metrics.crossing_time(t, acc_train, det.level)
        t_gen = metrics.crossing_time(t, acc_gen, det.level)
    how = ("first record at the level (no interpolation)" if det.level >= 1.0
           else "interpolated in log-time between records")
    return metrics.grokking_summary(t_train, t_gen, det, float(t[-1])) | {"crossing": how}


def simulate(config: Config, times: Sequence[int] | None = None,
             seeds: int | Sequence[int] = 4):
    """Train an ensemble, one member per seed, as one batched computation.

    Parameters
    ----------
    config : Config
    times : optimizer steps at which to record (default :func:`default_times`: every epoch).
    seeds : a number of seeds (``config.seed``, ``config.seed + 1``, …) or explicit seeds.

    Returns
    -------
    xarray.Dataset
        ``RECORDED`` variables with dims (seed, t), ``loss_epoch`` (seed, epoch) and
        ``rejected_attention_draws`` (seed). ``attrs["grokking"]``: one record per seed (t_gen is
        t_ε, the first record with zero test error, for the zunkovic2024 detector);
        ``attrs["spikes"]``: per seed, the epochs flagged by
        :func:`groklab.theory.local_rules_stats.detect_spikes` on ``loss_epoch``.
    """
    import xarray as xr

    from groklab.models.rule_learning_train import run_ensemble
    from groklab.theory.local_rules_stats import detect_spikes

    seeds = seed_list(config.seed, seeds)
    t = _times(config, times)
    rec = run_ensemble(config, seeds, t)
    n_epochs = rec["loss_epoch"].shape[1]
    ds = xr.Dataset(
        {name: (("seed", "t"), rec[name]) for name in RECORDED}
        | {"loss_epoch": (("seed", "epoch"), rec["loss_epoch"]),
           "rejected_attention_draws": (("seed",), rec["rejected_attention_draws"])},
        coords={"seed": seeds, "t": t, "epoch": np.arange(n_epochs)},
        attrs=result_attrs(ID, config, "simulation", TIME_UNIT, **_run_attrs(config)),
    )
    label_variables(ds, _ATTRS, TIME_UNIT)
    det = metrics.detector(config.threshold)
    ds.attrs["grokking"] = [
        _grokking_record(t, rec["acc_train"][i], rec["acc_gen"][i], rec["zero_error"][i], det)
        | {"seed": s}
        for i, s in enumerate(seeds)
    ]
    ds.attrs["spikes"] = [detect_spikes(row).tolist() for row in rec["loss_epoch"]]
    return ds


def _run_attrs(config: Config) -> dict:
    return {
        "optimizer": config.optimizer_eff, "loss": config.loss_eff, "lr": config.lr_eff,
        "boundary": str(config.boundary_eff), "steps_per_epoch": config.steps_per_epoch,
        "n_train_strings": config.n_train, "trainable": list(config.trainable),
        "flow_time_per_step": config.lr_eff if config.optimizer_eff == "gd" else None,
    }


def _require_theory(config: Config) -> None:
    why = []
    if not config.fixed_attention:
        why.append("the attention is trained (the full model has no closed-form theory; the "
                   "paper studies it by simulation)")
    if config.loss_eff != "linear-mse":
        why.append(f"loss={config.loss_eff!r} (the theory is the linear-MSE perceptron, Eq. 19)")
    if config.optimizer_eff != "gd":
        why.append(f"optimizer={config.optimizer_eff!r} (the theory is full-batch GD)")
    if config.lam1 > 0:
        why.append("lam1 > 0 (no closed-form trajectory; the stationary weights are "
                   "groklab.models.rule_learning_theory.stationary_weights)")
    if config.crop_min is not None:
        why.append("random crops change the training set every step")
    if why:
        raise NoTheoryError(
            "No theory for this rule-learning configuration: " + "; ".join(why) + ". predict "
            "covers a fixed attention (attention='exact', 'fixed-example' or 'random') trained "
            "by GD on the linear MSE with lam1=0; use simulate otherwise.")


def predict(config: Config, times: Sequence[int] | None = None):
    """Exact GD trajectory of the fixed-attention perceptron (Eqs. 19–21, 66–67) for member
    ``config.seed``: the same observables as :func:`simulate` (float64).

    Notes
    -----
    With G = ZᵀZ/n + λ2·1 and a = Zᵀy/n over the training sites, GD with step lr gives
    vec B(t) = w^λ + (1 − lr·G)^t (B(0) − w^λ) off the null space of G (B(0) unchanged on it);
    ``attrs["stationary"]`` holds the errors of the limit w^λ = G⁺a + (1 − G⁺G)B(0) and whether
    it reaches zero test error. Raises :class:`NoTheoryError` for any other configuration.
    """
    import xarray as xr

    from groklab.models.rule_learning_theory import gd_trajectory, perceptron, stationary_weights
    from groklab.theory.local_rules_stats import d_eff

    _require_theory(config)
    t = _times(config, times)
    p = perceptron(config)
    Bt = gd_trajectory(p.G, p.a, p.b0, config.lr_eff, t)  # (T, 2d²)

    def loss_acc(Z, y):
        out = Bt @ Z.T
        return np.mean(0.5 * (out - y) ** 2, axis=-1), np.mean(y * out > 0, axis=-1)

    loss_train, acc_train = loss_acc(p.Z_train, p.y_train)
    loss_gen, acc_gen = loss_acc(p.Z_test, p.y_test)
    err = p.errors(Bt)
    zero = ((err["err_gen"] == 0) & (err["err_exact"] == 0)).astype(float)
    A = p.attention["A"]
    ones = np.ones(t.size)
    ds = xr.Dataset(
        {"loss_train": ("t", loss_train), "loss_gen": ("t", loss_gen),
         "acc_train": ("t", acc_train), "acc_gen": ("t", acc_gen),
         "err_exact": ("t", err["err_exact"]), "zero_error": ("t", zero),
         "d_eff": ("t", d_eff(p.left_central) * ones),
         "norm_A": ("t", np.linalg.norm(A) * ones), "norm_B": ("t", np.linalg.norm(Bt, axis=1))},
        coords={"t": t},
        attrs=result_attrs(ID, config, "theory", TIME_UNIT, **_run_attrs(config)),
    )
    label_variables(ds, _ATTRS, TIME_UNIT)
    w = stationary_weights(p.Z_train, p.y_train, 0.0, config.lam2, b0=p.b0)
    final = p.errors(w)
    g = np.linalg.eigvalsh(p.G)
    ds.attrs["stationary"] = {
        "err_train": float(final["err_train"]), "err_gen": float(final["err_gen"]),
        "err_exact": float(final["err_exact"]),
        "zero_test_error": bool(final["err_gen"] == 0 and final["err_exact"] == 0),
        "dimension": int(p.G.shape[0]), "rank_G": int(np.sum(g > 1e-12 * g.max())),
        "eig_G_max": float(g.max()),
    }
    det = metrics.detector(config.threshold)
    ds.attrs["grokking"] = _grokking_record(t, acc_train, acc_gen, zero, det) | {
        "seed": config.seed}
    return ds


# ---- ensemble analysis of a simulate() result ----------------------------------------------------
def generalization_times(ds) -> np.ndarray:
    """t_ε of every seed: the first record with zero test error (``zero_error``), NaN if none."""
    from groklab.theory.local_rules_stats import generalization_times as first_zero

    return first_zero(ds["t"].values, 1.0 - ds["zero_error"].values)


def _curve(ds, name: str) -> np.ndarray:
    """A recorded variable, or ``err_gen`` = 1 − acc_gen (E_test) / ``err_train``."""
    if name in ("err_gen", "err_train"):
        return 1.0 - ds["acc" + name[3:]].values
    return ds[name].values


def aligned(ds, name: str = "err_gen", lags=None) -> dict:
    """Mean over seeds of ``name`` (a variable, or err_gen = E_test, err_train) aligned at each
    seed's t_ε (:func:`groklab.theory.local_rules_stats.aligned_mean`); seeds that never reach
    zero test error are left out."""
    from groklab.theory.local_rules_stats import aligned_mean

    return aligned_mean(ds["t"].values, _curve(ds, name), generalization_times(ds), lags)


def nu_fit(ds, **kwargs):
    """Critical exponent of the aligned mean test error, ⟨E⟩ ∝ (t_ε − t)^ν, with its bootstrap
    uncertainty (:func:`groklab.theory.local_rules_stats.fit_nu`; keyword arguments go there)."""
    from groklab.theory.local_rules_stats import fit_nu

    return fit_nu(ds["t"].values, _curve(ds, "err_gen"), generalization_times(ds), **kwargs)


def spike_table(ds, window: float = 0.0) -> list[dict]:
    """Every training-loss spike of ``ds.attrs["spikes"]`` with the change of D_eff across it.

    A spike in epoch e occupies the steps [e·s, (e + 1)·s] (s steps per epoch); its D_eff step is
    the records at or after the end minus those at or before the start, each side averaged over
    ``window`` steps (:func:`groklab.theory.local_rules_stats.d_eff_step`; with the default
    times, records at every epoch end, window 0 compares the two bracketing records)."""
    from groklab.theory.local_rules_stats import d_eff_step

    spe = ds.attrs["steps_per_epoch"]
    t = ds["t"].values
    rows = []
    for i, epochs in enumerate(ds.attrs["spikes"]):
        for e in epochs:
            start, end = e * spe, (e + 1) * spe
            rows.append({"seed": int(ds["seed"].values[i]), "epoch": int(e), "t_start": start,
                         "t_end": end, "loss": float(ds["loss_epoch"].values[i, e]),
                         "d_eff_step": d_eff_step(t, ds["d_eff"].values[i], start, end, window)})
    return rows
