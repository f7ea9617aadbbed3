"""The implicit bias of logit regularization (Beck, Bar-Sinai, Levi 2026, arXiv:2602.12039).

Model (spec ``beck2026-logit-regularization.md`` §1–2): a linear classifier trained on
ℓ = (1 − α) ℓ_CE + α f(z) — cross-entropy plus a convex even penalty on the logit (f = z² by
default; label smoothing is f = ½log(2 + 2cosh z) with α = 2ε) — on signal-plus-noise data
x = yμ_f e₁ + σ_f ξ_f e₁ + σ_n ξ_⊥ in R^d (binary, no bias), or x = μ_c + σ_f η_f + σ_n η_n with
z = Wx + b (K classes). λ = d/N. Full-batch GD (η = 0.1) or Adam on the mean loss (erratum 2),
from S₀ = 0.

Physics: α > 0 clusters the logits around the per-sample target z*, which turns the implicit
bias from max-margin to the Fisher/LDA direction (§3.1–3.2); at σ_f = 0 the threshold for
perfect generalization moves from λ = ½ to λ = 1 (Prop. 5.1), and for ½ < λ < 1 the run groks,
later for smaller α (§3.4); the optimum's accuracy does not depend on σ_n (Prop. 6.1).

The verbs:

* :class:`Config` — validated parameters (``logit_reg_config``).
* :func:`sample` — the training (and test) arrays and the initial weights of one seed.
* :func:`simulate` — GD or Adam batched over seeds and, optionally, over lists of α and σ_n.
* :func:`predict` — the theory (``logit_reg_theory``).

Time is measured in GD steps (epochs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from groklab import metrics
from groklab._config import InvalidParameterError
from groklab.models._common import label_variables, result_attrs, seed_list
from groklab.models.logit_reg_config import Config

__all__ = ["ID", "Config", "default_times", "predict", "predict_curves", "sample", "simulate"]

ID = "logit-reg"
TIME_UNIT = "steps"

_ATTRS = {
    "loss_train": ("training loss: mean of (1−α)CE + αf (without the weight-decay term)", "1"),
    "loss_gen": ("population loss of the same per-sample loss", "1"),
    "acc_train": ("training accuracy (binary: a tie z = 0 counts ½)", "1"),
    "acc_gen": ("population accuracy (Eq. 5 for Gaussian binary; sampled otherwise)", "1"),
    "acc_gen_se": ("standard error of the sampled acc_gen", "1"),
    "loss_test": ("loss on n_test sampled test points", "1"),
    "acc_test": ("accuracy on n_test sampled test points", "1"),
    "cos_theta1": ("cos θ₁ = S₁/‖S‖", "1"),
    "cos_lda": ("cosine with the empirical LDA direction Σ̂⁻¹μ̂ (NaN if d > N − 1)", "1"),
    "norm_S": ("‖S‖", "1"),
    "norm_W": ("‖W‖ (Frobenius)", "1"),
    "logit_mean_train": ("mean training logit (multi-class: correct class)", "1"),
    "logit_std_train": ("std of the training logits (multi-class: correct class)", "1"),
    "logit_mean_test": ("mean population logit (multi-class: correct class)", "1"),
    "logit_std_test": ("std of the population logits (multi-class: correct class)", "1"),
    "logit_off_mean_train": ("mean training logit of the other classes", "1"),
    "logit_off_std_train": ("std of the training logits of the other classes", "1"),
    "logit_off_mean_test": ("mean population logit of the other classes", "1"),
    "logit_off_std_test": ("std of the population logits of the other classes", "1"),
}


def sample(config: Config, seed: int | None = None) -> dict:
    """The arrays of one seed (default ``config.seed``); see
    :func:`groklab.models.logit_reg_sim.sample`."""
    from groklab.models.logit_reg_sim import sample as _sample

    return _sample(config, config.seed if seed is None else seed)


def default_times(config: Config, n: int = 200) -> np.ndarray:
    """t = 0 plus about ``n`` log-spaced unique integer steps in [1, ``t_max``]."""
    grid = np.unique(np.round(np.logspace(0, math.log10(config.t_max), n)).astype(np.int64))
    return np.concatenate([[0], grid])


def predict(config: Config, times: Sequence[float] | None = None):
    """The theory of the model (:func:`groklab.models.logit_reg_theory.predict`)."""
    from groklab.models.logit_reg_theory import predict as _predict

    return _predict(config, times)


def predict_curves(config: Config, times: Sequence[float] | None = None):
    """:func:`predict` as plain arrays ``(t, curves, attrs)``, without xarray (for the CLI)."""
    from groklab.models.logit_reg_theory import predict_curves as _predict_curves

    return _predict_curves(config, times)


def _grid(config: Config, name: str, values) -> list[float] | None:
    """Validated list of α or σ_n values (each checked through ``Config``, so a bad value or an
    unstable η gives the config's message)."""
    if values is None:
        return None
    values = [float(v) for v in np.atleast_1d(np.asarray(values, dtype=float))]
    if not values:
        raise InvalidParameterError(f"{name}s must hold at least one value.")
    for v in values:
        config.replace(**{name: v})
    return values


def simulate(
    config: Config,
    times: Sequence[int] | None = None,
    seeds: int | Sequence[int] = 4,
    alphas: Sequence[float] | None = None,
    sigma_ns: Sequence[float] | None = None,
):
    """Simulate the model as one batched computation over seeds, α values and σ_n values.

    Parameters
    ----------
    config : Config
    times : GD steps at which to record (default :func:`default_times`, up to ``t_max``).
    seeds : a number of seeds (``config.seed``, ``config.seed + 1``, …) or explicit seeds.
    alphas : optional list of α values; adds a dimension ``alpha`` (all runs of a seed share its
        data). Default: ``config.alpha`` only, no dimension.
    sigma_ns : optional list of σ_n values; adds a dimension ``sigma_n``. Every value rescales
        the same standard noise draw (§7), so this equals separate runs exactly.

    Returns
    -------
    xarray.Dataset
        dims ``(seed, [alpha], [sigma_n], t)`` with the observables listed in
        :mod:`groklab.models.logit_reg_sim`. ``attrs["grokking"]`` lists each run's record
        (seed, and alpha/sigma_n where batched) for the detector ``config.threshold``
        (crossings interpolated in log-time between records).
    """
    import xarray as xr

    from groklab.models.logit_reg_sim import run_arrays

    seeds = seed_list(config.seed, seeds)
    alpha_list = _grid(config, "alpha", alphas)
    sigma_list = _grid(config, "sigma_n", sigma_ns)
    for a in alpha_list or [config.alpha]:  # η stability for every combination
        for s in sigma_list or [config.sigma_n]:
            config.replace(alpha=a, sigma_n=s)
    t = default_times(config) if times is None else np.asarray(times, dtype=np.int64)
    rec = run_arrays(config, seeds, t, alpha_list or [config.alpha],
                     sigma_list or [config.sigma_n])
    dims, coords, index = ["seed"], {"seed": seeds, "t": t}, [slice(None)]
    for name, values in (("alpha", alpha_list), ("sigma_n", sigma_list)):
        if values is None:
            index.append(0)
        else:
            dims.append(name)
            coords[name] = values
            index.append(slice(None))
    dims.append("t")
    ds = xr.Dataset(
        {k: (tuple(dims), np.asarray(v[tuple(index)], dtype=float)) for k, v in rec.items()},
        coords=coords,
        attrs=result_attrs(
            ID, config, "simulation", TIME_UNIT,
            n_train=config.n_train_eff, lam_realized=config.lam_realized,
            n_test=config.n_test_eff,
            evaluation=(
                "acc_gen/loss_gen: "
                + ("sampled K-dim logits of the exact Gaussian law (n_pop_mc), §2.2"
                   if config.multiclass else
                   "exact Gaussian population, Eq. 5" if config.noise == "gaussian" else
                   f"sampled test set of {config.n_test_eff} points")
            ),
        ),
    )
    if "cos_lda" in ds and config.d > config.n_train_eff - 1:
        ds.attrs["cos_lda_note"] = (
            f"cos_lda is NaN: d = {config.d} > N − 1 = {config.n_train_eff - 1}, so the "
            "centred empirical covariance Σ̂ is singular (Cor. 3.3 needs λ < 1)."
        )
    label_variables(ds, _ATTRS, TIME_UNIT)
    det = metrics.detector(config.threshold)
    found = metrics.grokking_times(ds, config.threshold)
    records = []
    stacked = found.stack(run=dims[:-1]) if len(dims) > 2 else found.rename(seed="run")
    for i in range(stacked.sizes["run"]):
        one = stacked.isel(run=i)
        label = {"seed": int(one["seed"].values)} if "seed" in one.coords else {"seed": seeds[i]}
        for name in ("alpha", "sigma_n"):
            if name in one.coords:
                label[name] = float(one[name].values)
        records.append(
            metrics.grokking_summary(float(one["t_train"]), float(one["t_gen"]), det,
                                     float(t[-1]))
            | label | {"crossing": "interpolated in log-time between records"}
        )
    ds.attrs["grokking"] = records
    return ds
