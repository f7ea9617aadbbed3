"""The binary training draw of the logit-regularization model without JAX (for ``predict``).

:mod:`groklab.models.logit_reg_sim` draws each seed's standard variates with ``jax.random``
(key ``fold_in(PRNGKey(seed), purpose)``; labels ``rademacher``, noise ``normal``, the
two-Gaussian draw :func:`~groklab.models.separability_data.two_gaussian_standard`) and builds the
absorbed data from them in NumPy (:func:`binary_parts`). :func:`training_xp` recomputes the same
draw through :mod:`groklab.prng_numpy`: labels and keys bit-identical, noise to a few ulp
(SciPy's erfinv instead of XLA's), so the converged solution ``predict`` reports is that of the
very data ``simulate`` trains on, without importing JAX (~1.5 s).
"""

from __future__ import annotations

import numpy as np

from groklab import prng_numpy
from groklab.models._common import DRAW_PURPOSES

__all__ = ["binary_parts", "training_xp"]


def binary_parts(mu_f: float, sigma_f: float, raw: dict, suffix: str = "") -> dict:
    """Labels and the σ_n-free parts of the absorbed data x' = (μ_f + σ_f yξ₀, σ_n yξ_⊥) from
    the standard draws ``raw["y"]`` (±1) and ``raw["xi"]`` (N, d), in NumPy."""
    y, xi = np.asarray(raw["y" + suffix]), np.asarray(raw["xi" + suffix])
    return {"y": y, "first": mu_f + sigma_f * y * xi[:, 0], "perp": y[:, None] * xi[:, 1:]}


def training_xp(config) -> np.ndarray:
    """Absorbed training data X' (N, d), float64, of seed ``config.seed`` for binary Gaussian
    noise: :func:`groklab.models.logit_reg_sim.sample`'s ``Xp`` to a few ulp."""
    if config.multiclass or config.noise != "gaussian":
        raise ValueError("training_xp draws binary Gaussian data only; use "
                         "groklab.models.logit_reg_sim.sample.")
    ky, kx = prng_numpy.split(prng_numpy.seed_key(config.seed, DRAW_PURPOSES["train"]))
    n = config.n_train_eff
    raw = {"y": prng_numpy.rademacher(ky, (n,)), "xi": prng_numpy.normal(kx, (n, config.d))}
    parts = binary_parts(config.mu_f, config.sigma_f, raw)
    return np.concatenate([parts["first"][:, None], config.sigma_n * parts["perp"]], axis=1)
