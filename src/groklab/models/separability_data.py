"""Input laws and labels of the edge-of-separability model and its extensions (spec §1.1, §4).

One job: turn a :class:`~groklab.models.separability_config.Config` into a hashable
description of the data law (:class:`Law`, a static argument of the compiled simulation) and
draw points from it (:func:`draw`). Every draw is float64 from an explicit PRNG key, so the
float32 and float64 runs see the same sample.

Laws (d = ``config.d``):

* reduced, ``inputs="gaussian"`` (§1.2): x ~ N(0, σ² I_d);
* reduced, ``inputs="powerlaw"`` (App. G): x_n ~ N(0, λ_n) independent, λ_n = λ₀n^{−α} with
  Σλ_n = σ·d (:func:`~groklab.models.separability_config.powerlaw_variances`);
* reduced, ``inputs="mixture"`` (App. G, erratum 11): x_n = σ(m ε_n + √v g_n), ε_n = ±1 (½ each),
  g_n ~ N(0, 1);
* reduced labels: all −1, or with ``label_fraction`` r < 1 (App. I) y = −1 iff x₁ > μ_r =
  σΦ⁻¹(1 − r), else +1;
* ``form="two-gaussian"`` (§1.1): y = ±1 (½ each), x̃ ∈ R^{d+1} with x̃₁ = yμ + σ_A ξ₀ and
  x̃_n = σ_B ξ_n (n ≥ 2), ξ ~ N(0, I), σ_B = μσ.
"""

from __future__ import annotations

import dataclasses
import math

from groklab.dynamics import jax, jnp
from groklab.models._common import DRAW_PURPOSES
from groklab.models.separability_config import Config, powerlaw_variances

__all__ = ["Law", "draw", "input_dim", "key_for", "two_gaussian_standard"]


@dataclasses.dataclass(frozen=True)
class Law:
    """The static description of a configuration's data law and loss (hashable)."""

    form: str
    inputs: str
    loss: str
    sigma: float
    mu: float
    sigma_A: float
    h: float  # label threshold μ_r/σ = Φ⁻¹(1 − r); −inf: all labels −1
    mix_mean: float
    mix_var: float
    n_pop_mc: int

    @classmethod
    def of(cls, config: Config) -> Law:
        return cls(
            form=config.form,
            inputs=config.inputs,
            loss=config.loss,
            sigma=float(config.sigma),
            mu=float(config.mu or 0.0),
            sigma_A=float(config.sigma_A or 0.0),
            h=config.label_threshold / config.sigma,
            mix_mean=float(config.mix_mean_eff),
            mix_var=float(config.mix_var_eff),
            n_pop_mc=int(config.n_pop_mc),
        )

    #: The numeric fields: traced per run (see :meth:`knobs`), not part of the compiled program.
    KNOBS = ("sigma", "mu", "sigma_A", "h", "mix_mean", "mix_var")

    def knobs(self) -> dict[str, float]:
        """The numeric values of the law, as the compiled simulation reads them from its data
        (one value per run, so runs with different σ, μ, σ_A, r or mixture moments share one
        program): the :attr:`KNOBS` plus ``sigma_B_sq`` = σ_B², computed here in float64."""
        return {**{k: getattr(self, k) for k in self.KNOBS}, "sigma_B_sq": self.sigma_B**2}

    def skeleton(self) -> Law:
        """The static part of the law: the same law with every knob replaced by a placeholder
        (0, or h = −inf for constant labels, so :attr:`constant_label` is kept). Two configs
        with the same skeleton run in one compiled program."""
        blank = {k: 0.0 for k in self.KNOBS} | {"h": -math.inf if self.constant_label else 0.0}
        return dataclasses.replace(self, **blank)

    @property
    def constant_label(self) -> bool:
        return self.form == "reduced" and self.h == -math.inf

    @property
    def sigma_B(self) -> float:
        return self.mu * self.sigma


def input_dim(config: Config) -> int:
    """The simulated input dimension: d, or d + 1 for the two-Gaussian form."""
    return config.d + (1 if config.form == "two-gaussian" else 0)


def key_for(seed: int, purpose: str) -> jax.Array:
    """The PRNG key of one random draw, derived from ``(seed, purpose)`` only."""
    return jax.random.fold_in(jax.random.PRNGKey(seed), DRAW_PURPOSES[purpose])


def two_gaussian_standard(key: jax.Array, n: int, dim: int,
                          nu: float | None = None) -> tuple[jax.Array, jax.Array]:
    """The unscaled draw of the two-Gaussian form (§1.1): balanced random labels ``y`` (n,) = ±1
    and standard noise ``xi`` (n, dim), float64, from ``key``. The point is then
    x̃ = (yμ + σ_A ξ₀, σ_B ξ₁, …); callers scale ``xi`` themselves, so one draw serves every
    (σ_A, σ_B). ``nu`` replaces the normal noise by Student-t variates of unit scale with ν
    degrees of freedom (used by the logit-reg model, Beck et al. 2026 §4 Fig. 2)."""
    ky, kx = jax.random.split(key)
    y = jax.random.rademacher(ky, (n,), jnp.float64)
    if nu is None:
        xi = jax.random.normal(kx, (n, dim), jnp.float64)
    else:
        xi = jax.random.t(kx, nu, (n, dim), jnp.float64)
    return y, xi


def draw(config: Config, key: jax.Array, n: int) -> tuple[jax.Array, jax.Array]:
    """``n`` points ``X`` (n, input_dim) and labels ``y`` (n,) = ±1 of the configured law,
    float64, from ``key``. For the default (reduced Gaussian, r = 1) X = σ·normal(key), the
    draw of the original model."""
    d, f64 = config.d, jnp.float64
    if config.form == "two-gaussian":
        y, xi = two_gaussian_standard(key, n, d + 1)
        first = y * config.mu + (config.sigma_A or 0.0) * xi[:, 0]
        X = jnp.concatenate([first[:, None], config.sigma_B * xi[:, 1:]], axis=1)
        return X, y
    if config.inputs == "gaussian":
        X = config.sigma * jax.random.normal(key, (n, d), f64)
    elif config.inputs == "powerlaw":
        std = jnp.sqrt(jnp.asarray(powerlaw_variances(d, config.sigma, config.alpha_eff)))
        X = jax.random.normal(key, (n, d), f64) * std
    else:
        ks, kg = jax.random.split(key)
        signs = jax.random.rademacher(ks, (n, d), f64)
        X = config.sigma * (config.mix_mean_eff * signs
                            + math.sqrt(config.mix_var_eff) * jax.random.normal(kg, (n, d), f64))
    mu_r = config.label_threshold
    if mu_r == -math.inf:
        y = -jnp.ones((n,), f64)
    else:
        y = jnp.where(X[:, 0] > mu_r, -1.0, 1.0)
    return X, y
