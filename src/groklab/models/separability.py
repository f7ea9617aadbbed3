"""Grokking at the edge of linear separability (Beck, Levi, Bar-Sinai 2025, arXiv:2410.04489).

Model (spec ``beck2025-edge-of-separability.md`` §1.2–1.4), the constant-label reduction of
logistic regression on two Gaussians: inputs x_i ~ N(0, σ² I_d), i = 1..N, all labelled −1;
output f = Sᵀx + b with a bias; λ = d/N (the bias is not counted in d). Training loss Eq. 1,
L = (1/N) Σ log(1 + e^{f_i}), or the exponential surrogate Eq. 6; full-batch GD (Eq. 2) from
S₀ with an isotropic direction and norm ``S0_norm`` (0.1) and b₀ = ``b0`` (0). Population loss
(Eq. 3) and accuracy (Eq. 4) depend only on (σ‖S‖, b) and are evaluated analytically.
Grokking happens for λ → ½⁻ at large σ; for λ > ½ the data are (typically) separable from the
origin and the accuracy plateaus below 1 (Prop. 3.2).

The verbs:

* :class:`Config` — validated parameters (``separability_config``).
* :func:`sample` — the training inputs and initial (S₀, b₀) of one seed.
* :func:`simulate` — GD (or Adam) batched over seeds, recorded at log-spaced steps.

Exact identities, as functions on arrays: :func:`sigma_rescaling` (Prop. 3.5) and
:func:`two_gaussian_to_reduced` (App. H). Time is measured in GD steps (epochs); the conformal
time ``tau`` = Σ_k e^{b_k} (Eq. 8) is recorded in the same units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from groklab import metrics
from groklab.models.separability_config import Config

__all__ = [
    "ID",
    "Config",
    "default_times",
    "sample",
    "sigma_rescaling",
    "simulate",
    "two_gaussian_to_reduced",
]

ID = "separability"
TIME_UNIT = "steps"

_ATTRS = {
    "loss_train": ("training loss (Eq. 1, or Eq. 6 for the exponential loss)", "1"),
    "loss_gen": ("population loss (Eq. 3, or e^{b+σ²‖S‖²/2} for the exponential loss)", "1"),
    "acc_train": ("training accuracy (f ≤ 0 counts as correct)", "1"),
    "acc_gen": ("population accuracy (Eq. 4)", "1"),
    "norm_S": ("‖S‖", "1"),
    "bias": ("bias b", "1"),
    "b_over_norm": ("b/‖S‖", "1"),
    "tau": ("conformal time Σ_k e^{b_k} (Eq. 8)", TIME_UNIT),
}


def sample(config: Config, seed: int | None = None) -> dict:
    """Training inputs ``X`` (N, d), ``S0`` (d,) and ``b0`` of one seed (default
    ``config.seed``)."""
    from groklab.models.separability_sim import sample as _sample

    return _sample(config, config.seed if seed is None else seed)


def default_times(config: Config, n: int = 200) -> np.ndarray:
    """t = 0 plus about ``n`` log-spaced unique integer steps in [1, ``t_max``]."""
    grid = np.unique(np.round(np.logspace(0, math.log10(config.t_max), n)).astype(np.int64))
    return np.concatenate([[0], grid])


# ---- exact identities ---------------------------------------------------------------------------
def sigma_rescaling(X, S, b, eta: float, sigma: float) -> dict:
    """The unit-variance twin of a problem with input std σ (Prop. 3.5, App. F.1).

    GD on data ``X`` (std σ) from (S, b) with step η equals, step by step, GD on X/σ (std 1)
    from (σS, b) with step ησ² for S and η for b: at every step S̃ = σS and b̃ = b, so outputs,
    losses and accuracies coincide. The map also sends any state (S, b) along a trajectory.

    Returns a dict with ``X`` (= X/σ), ``S`` (= σS), ``b``, ``eta_S`` (= ησ²), ``eta_b`` (= η).
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be positive. Got {sigma!r} instead.")
    return {
        "X": np.asarray(X) / sigma,
        "S": np.asarray(S) * sigma,
        "b": b,
        "eta_S": eta * sigma**2,
        "eta_b": eta,
    }


def two_gaussian_to_reduced(X_tilde, y, w, eta: float, mu: float, *, atol: float = 1e-12) -> dict:
    """Map the two-Gaussian problem with σ_A = 0 to the constant-label model (App. H, spec §1.2).

    Parameters
    ----------
    X_tilde : (N, d + 1) inputs x̃_i = (y_i μ, ξ_i); the first coordinate must equal y_i μ
        (σ_A = 0), otherwise the map is not exact and a ``ValueError`` is raised.
    y : (N,) labels ±1.
    w : (d + 1,) weights (w₁, w_⊥) of the logit wᵀx̃, or (T, d + 1) along a trajectory.
    eta, mu : the learning rate and the class mean μ > 0.

    Returns
    -------
    dict
        ``X`` (N, d) = y_i ξ_i/μ (so the reduced σ = σ_B/μ), ``S`` = −μ w_⊥, ``b`` = −μ w₁ and
        ``eta`` = ημ². The margins satisfy y_i wᵀx̃_i = −(Sᵀx_i + b), and GD with step η on the
        original loss equals GD with step ημ² on Eq. 1, step by step.
    """
    X_tilde = np.asarray(X_tilde, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float)
    if not mu > 0:
        raise ValueError(f"mu must be positive. Got {mu!r} instead.")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError("y must hold labels ±1.")
    if not np.allclose(X_tilde[:, 0], y * mu, rtol=0.0, atol=atol):
        raise ValueError(
            "The first input coordinate must equal y·mu (sigma_A = 0); the reduction to the "
            "constant-label model is exact only then. Simulate the original model instead."
        )
    return {
        "X": y[:, None] * X_tilde[:, 1:] / mu,
        "S": -mu * w[..., 1:],
        "b": -mu * w[..., 0],
        "eta": eta * mu**2,
    }


# ---- simulation ---------------------------------------------------------------------------------
def _label(ds) -> None:
    for name, (long_name, units) in _ATTRS.items():
        if name in ds:
            ds[name].attrs.update(long_name=long_name, units=units)
    ds["t"].attrs.update(long_name="GD step", units=TIME_UNIT)


def simulate(
    config: Config,
    times: Sequence[int] | None = None,
    seeds: int | Sequence[int] = 4,
):
    """Simulate the model for several seeds as one batched computation.

    Parameters
    ----------
    config : Config
    times : GD steps at which to record (default :func:`default_times`, up to ``t_max``).
    seeds : a number of seeds (``config.seed``, ``config.seed + 1``, …) or explicit seeds.

    Returns
    -------
    xarray.Dataset
        dims ``(seed, t)``: ``loss_train``, ``loss_gen``, ``acc_train``, ``acc_gen``,
        ``norm_S``, ``bias``, ``b_over_norm``, ``tau``. ``attrs["grokking"]`` lists each seed's
        record for the detector ``config.threshold`` (crossings interpolated in log-time
        between records; a level never reached is ``null`` with a message).
    """
    import xarray as xr

    from groklab import __version__
    from groklab.models.separability_sim import simulate_arrays

    if isinstance(seeds, int | np.integer):
        if seeds < 1:
            raise ValueError(f"seeds must be at least 1. Got {seeds!r} instead.")
        seeds = list(range(config.seed, config.seed + int(seeds)))
    seeds = [int(s) for s in seeds]
    t = default_times(config) if times is None else np.asarray(times, dtype=np.int64)
    arrays = simulate_arrays(config, t, seeds)
    ds = xr.Dataset(
        {k: (("seed", "t"), np.asarray(v, dtype=float)) for k, v in arrays.items()},
        coords={"seed": seeds, "t": t},
        attrs={
            "model": ID,
            "kind": "simulation",
            "config": config.to_dict(),
            "time_unit": TIME_UNIT,
            "precision": config.precision,
            "groklab_version": __version__,
            "n_train": config.n_train_eff,
            "lam_realized": config.lam_realized,
        },
    )
    _label(ds)
    det = metrics.detector(config.threshold)
    found = metrics.grokking_times(ds, config.threshold)
    ds.attrs["grokking"] = [
        metrics.grokking_summary(
            float(found["t_train"].values[i]), float(found["t_gen"].values[i]), det, float(t[-1])
        )
        | {"seed": s, "crossing": "interpolated in log-time between records"}
        for i, s in enumerate(seeds)
    ]
    return ds
