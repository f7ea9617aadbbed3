"""Configuration of the ``langevin-mlp`` model (spec ``jules2023-langevin-landscape.md`` §2.1–2.2).

Kept apart from the JAX code so that a config validates without importing JAX.
"""

from __future__ import annotations

import dataclasses

from groklab._config import AbstractConfig, Choice, Integer, InvalidParameterError, Real, param
from groklab.metrics import detector

__all__ = ["Config"]


@dataclasses.dataclass(frozen=True)
class Config(AbstractConfig):
    """Langevin sampling of an over-parameterised MLP pre-trained on random labels (spec §2).

    * Data (§2.1): x_i ~ N(0, I_d/d); binary labels y = ±1, exactly N/2 each (``n_classes`` = 2,
      one logit, margin m = y f(x)) or K balanced classes (softmax, m = z_y − max_{c≠y} z_c),
      assigned at random independently of x. A test set of ``n_test`` fresh points with random
      labels gives ``loss_gen``/``acc_gen`` (chance level: nothing to generalize).
    * Network: ``depth`` hidden layers of ``width`` units with ``activation``; weights
      N(0, 1/fan_in), biases 0. Loss: mean cross-entropy, plus (γ/2)‖θ‖² with ``weight_decay``
      γ in the Langevin potential only (the recorded losses are the data loss, §2.4).
    * Pre-training (§2.1): full-batch Adam (lr ``pretrain_lr``) until 100 % training accuracy
      and L ≤ ``loss_target``, at most ``pretrain_max`` steps, in float64 → θ0.
    * Langevin (§2.2): θ ← θ − η∇U + √(2ηT)ξ (``method`` = "euler") or its Metropolis-adjusted
      version ("mala") at temperature ``T`` (mean-loss units). ``eta`` = None picks
      η = min(``eta_max``, ``eta_c``/λ_1(θ0)) with λ_1 the top Hessian eigenvalue at θ0 (the
      spec's rule with λ_1 from θ0 only); an explicit η with η·λ_1(θ0) ≥ 2 is rejected by
      ``simulate`` with the bound 2/λ_1 (EM is unstable there).
    * Records: ``t_max`` steps (time unit: Langevin steps, t = 0 is θ0); the estimators use
      records with t ≥ ``burn_in``. ``c_boundary`` is the c of N_b(c) = #{i : ℓ_i ≥ cNT} (§2.7).
    """

    d: int = param(20, Integer(1, 100_000), help="input dimension d")
    n_train: int = param(256, Integer(2, 10_000_000), help="training points N")
    n_classes: int = param(2, Integer(2, 10_000), help="2 = binary (one logit), ≥ 3 softmax")
    n_test: int = param(1000, Integer(1, 10_000_000), help="fresh random test points")
    depth: int = param(2, Integer(1, 16), help="hidden layers")
    width: int = param(128, Integer(1, 100_000), help="hidden units per layer")
    activation: str = param("tanh", Choice(("tanh", "softplus", "relu")), help="activation")
    weight_decay: float = param(0.0, Real(0, None, closed="left"),
                                help="γ of (γ/2)‖θ‖² in the Langevin potential (ablation)")
    T: float = param(1e-4, Real(0, None, closed="neither"), help="temperature T (mean loss)")
    eta: float | None = param(None, Real(0, None, closed="neither", allow_none=True),
                              help="Langevin step η (None: min(eta_max, eta_c/λ_1(θ0)))")
    eta_c: float = param(0.05, Real(0, 2, closed="neither"), help="η·λ_1 of the automatic step")
    eta_max: float = param(1.0, Real(0, None, closed="neither"), help="cap of the automatic η")
    method: str = param("euler", Choice(("euler", "mala")), help="Euler–Maruyama or MALA")
    t_max: int = param(10_000, Integer(1, 10**10), help="Langevin steps (default horizon)")
    burn_in: int = param(0, Integer(0, 10**10), help="steps discarded by the estimators")
    loss_target: float = param(1e-3, Real(0, 1, closed="neither"),
                               help="pre-training loss target (with 100 % train accuracy)")
    pretrain_lr: float = param(1e-3, Real(0, None, closed="neither"), help="Adam learning rate")
    pretrain_max: int = param(100_000, Integer(0, 10**8), help="cap on pre-training steps")
    c_boundary: float = param(0.1, Real(0, None, closed="neither"), help="c of N_b(c)")
    threshold: str | float = param(
        "beck2025", Choice(("beck2025", "power2022"), Real(0, 1, closed="neither")),
        help="accuracy level of the grokking detector (random labels: never reached on test)",
    )
    seed: int = param(0, Integer(0, 2**31 - 1), help="first seed (data, init, noise)")
    precision: str = param("float64", Choice(("float64", "float32")), help="Langevin dtype")

    def _check(self) -> None:
        if self.burn_in >= self.t_max:
            raise InvalidParameterError(
                f"The 'burn_in' parameter of Config must be below t_max={self.t_max} "
                f"(got burn_in={self.burn_in}); the estimators need records after burn-in.")
        if self.n_classes == 2 and self.n_train % 2:
            raise InvalidParameterError(
                f"The 'n_train' parameter of Config must be even for binary labels (exactly "
                f"N/2 each, spec §2.1); got n_train={self.n_train}. "
                f"Use n_train={self.n_train + 1}.")
        if self.n_classes > self.n_train:
            raise InvalidParameterError(
                f"The 'n_classes' parameter of Config must not exceed n_train={self.n_train} "
                f"(balanced classes); got n_classes={self.n_classes}.")

    @property
    def n_out(self) -> int:
        """Output units: one logit (binary) or K."""
        return 1 if self.n_classes == 2 else self.n_classes

    @property
    def layer_sizes(self) -> list[int]:
        return [self.d] + [self.width] * self.depth + [self.n_out]

    @property
    def n_params(self) -> int:
        """P = Σ (fan_in + 1)·fan_out."""
        s = self.layer_sizes
        return sum((a + 1) * b for a, b in zip(s[:-1], s[1:], strict=False))

    @property
    def accuracy_level(self) -> float:
        return detector(self.threshold).level
