"""Configuration of the rule-learning model (Žunkovič & Ilievski 2024, Sec. 4).

Kept apart from the JAX code so that a config validates without importing JAX. Spec
``zunkovic2024-local-rules.md`` §4 (teacher, student, fixed attention) and §5 (the full-model
recipe and the [project] defaults table).
"""

from __future__ import annotations

import dataclasses
import math

from groklab._config import (
    AbstractConfig,
    Choice,
    Flag,
    Integer,
    InvalidParameterError,
    Real,
    param,
)

__all__ = ["Config"]

#: Adam's learning rate of the full model (spec §5) and the GD step of the fixed-attention
#: perceptron (flow time = lr·steps; spec §1 [project] asks for dt ≤ 0.01/λ_max(G), and
#: λ_max(G) ≤ 1 + λ2 because every feature vector has unit norm).
LR_ADAM = 0.005
LR_GD = 0.01


@dataclasses.dataclass(frozen=True)
class Config(AbstractConfig):
    """Rule-30 (K-local) teacher and uniform tensor-network attention student (Sec. 4).

    * Teacher: ``k_local`` applications of Wolfram rule ``rule`` (Eq. 52: 30) with ``bc``
      boundaries (open = −1 padding at every application, closed = periodic).
    * Student: bond dimension ``d``; ``attention`` is ``"trainable"`` (the full model: A, B and,
      open, v^{L,R} trained jointly from N(0, 1), spec §5), ``"exact"`` (Eq. 68, d = 4, 1-local),
      ``"fixed-example"`` (App. C example ``example``, d = 2) or ``"random"`` (A ~ N(0, 1) per seed,
      redrawn until A_0 has a real top eigenvalue and, with ``reject``, until the stationary
      weights w^λ reach zero test error; Sec. 4.3.1). With a fixed attention only B is
      trained and ŷ = z·vec(B) is the 2d²-dimensional perceptron of Eqs. 66–67.
    * ``boundary`` (open only): ``"trainable"`` v^{L,R} ~ N(0, 1), or ``"eigen"``: the unit left /
      right top eigenvectors of A_0 (with a trainable attention: of the initial A_0, then held
      fixed). ``"auto"``: trainable for a trainable attention, eigen otherwise.
    * Loss: ``"sigmoid-mse"`` ½(σ(ŷ) − (1 + y)/2)² (full model) or ``"linear-mse"`` ½(ŷ − y)²
      (the perceptron loss, Eq. 19), averaged over the sites of a batch. ``"auto"``: sigmoid-mse
      for a trainable attention, linear-mse otherwise.
    * Optimizer: ``"adam"`` (optax, PyTorch defaults β = (0.9, 0.999), ε = 1e-8) on minibatches of
      ``batch_size`` strings reshuffled every epoch, L2 as a coupled gradient λ2θ and L1 as
      λ1‖θ‖₁ in the loss (spec §5); or ``"gd"``: full-batch gradient descent with proximal L1
      (soft-thresholding) and L2 in the gradient, a discretised gradient flow (flow time
      = lr·steps). ``"auto"``: adam for a trainable attention, gd otherwise. ``lr`` None: 0.005
      (adam) or 0.01 (gd).
    * Data: the training set is all 2^M strings of length M = ``train_length``; with
      ``crop_min`` every batch is cropped to one random length in [crop_min, M] (per-string start)
      and relabelled on the crop (spec §5 option). The test error is the per-site error on
      ``n_test`` random strings of length ``test_length`` (drawn from ``test_seed``; spec: 1000 ×
      1000, smaller defaults here); "zero test error" also needs exact prediction of every string
      of length 3…``exact_length``.
    * ``epochs``: the default horizon (``simulate``'s default times are the epoch ends);
      ``threshold``: accuracy level of the grokking detector (zunkovic2024 = 1, zero error).
    """

    d: int = param(10, Integer(1, 512), help="bond dimension d")
    k_local: int = param(1, Integer(1, 8), help="K: applications of the rule (K-local teacher)")
    rule: int = param(30, Integer(0, 255), help="Wolfram rule number of the teacher")
    bc: str = param("open", Choice(("open", "closed")), help="boundary condition")
    attention: str = param(
        "trainable", Choice(("trainable", "exact", "random", "fixed-example")),
        help="attention tensor A: trained, Eq. 68, random N(0,1), or App. C example",
    )
    example: int = param(1, Integer(1, 3), help="App. C example (attention='fixed-example')")
    reject: bool = param(
        False, Flag(), help="random attention: keep only draws whose w^λ reaches zero test error"
    )
    boundary: str = param(
        "auto", Choice(("auto", "trainable", "eigen")), help="open-boundary vectors v^L, v^R"
    )
    loss: str = param("auto", Choice(("auto", "sigmoid-mse", "linear-mse")), help="loss")
    optimizer: str = param("auto", Choice(("auto", "adam", "gd")), help="optimizer")
    lr: float | None = param(
        None, Real(0, None, closed="neither", allow_none=True),
        help="learning rate (None: 0.005 adam, 0.01 gd)",
    )
    lam1: float = param(0.0, Real(0, None, closed="left"), help="L1 strength λ1")
    lam2: float = param(0.0, Real(0, None, closed="left"), help="L2 strength λ2")
    batch_size: int = param(128, Integer(1, 10**7), help="strings per Adam minibatch")
    epochs: int = param(100, Integer(1, 10**7), help="default horizon in epochs")
    train_length: int = param(8, Integer(3, 20), help="M: training set = all 2^M strings")
    crop_min: int | None = param(
        None, Integer(3, 20, allow_none=True), help="shortest random crop (None: no crops)"
    )
    test_length: int = param(100, Integer(8, 10**6), help="length of the random test strings")
    n_test: int = param(100, Integer(1, 10**7), help="number of random test strings")
    exact_length: int = param(
        10, Integer(3, 14), help="zero test error also needs all strings of length 3…this"
    )
    test_seed: int = param(0, Integer(0, 2**31 - 1), help="seed of the random test strings")
    seed: int = param(0, Integer(0, 2**31 - 1), help="first seed")
    precision: str = param("float64", Choice(("float64", "float32")), help="simulation dtype")
    threshold: str | float = param(
        "zunkovic2024",
        Choice(("zunkovic2024",), Real(0, 1, closed="neither")),
        help="accuracy level for grokking: zunkovic2024 (zero error) or a number in (0, 1)",
    )

    def _check(self) -> None:
        def bad(msg: str) -> None:
            raise InvalidParameterError(msg)

        if self.attention == "exact" and (self.d != 4 or self.k_local != 1):
            bad(f"attention='exact' is Eq. 68, a 1-local attention of bond dimension 4: it needs "
                f"d=4 and k_local=1 (got d={self.d}, k_local={self.k_local}).")
        if self.attention == "fixed-example" and self.d != 2:
            bad(f"attention='fixed-example' uses the App. C tensors of bond dimension 2: it "
                f"needs d=2 (got d={self.d}).")
        if self.reject and self.attention != "random":
            bad(f"reject=True is the rejection sampling of a random attention (Sec. 4.3.1); it "
                f"needs attention='random' (got {self.attention!r}).")
        if self.bc == "closed" and self.boundary != "auto":
            bad(f"The 'boundary' parameter applies to open boundaries only (got "
                f"boundary={self.boundary!r} with bc='closed'); leave it 'auto'.")
        if self.attention != "trainable" and self.boundary == "trainable":
            bad(f"boundary='trainable' needs attention='trainable': a fixed attention "
                f"({self.attention!r}) uses the top eigenvectors of A_0 (Sec. 4.3.1), so that "
                "only B is trained; use boundary='eigen' or 'auto'.")
        if self.crop_min is not None:
            if self.crop_min > self.train_length:
                bad(f"The 'crop_min' parameter of Config must be at most train_length="
                    f"{self.train_length}. Got {self.crop_min!r} instead.")
            if self.bc != "open":
                bad("Random crops (crop_min) are relabelled with open boundaries: use bc='open'.")
        if self.optimizer_eff == "gd" and self.loss_eff == "linear-mse":
            bound = 2.0 / (1.0 + self.lam2)
            if self.lr_eff >= bound:
                bad(f"The 'lr' parameter of Config gives unstable GD: lr={self.lr_eff!r}, but GD "
                    f"on the linear MSE is stable only for lr < 2/λ_max(G), and λ_max(G) can reach "
                    f"1 + lam2 (unit-norm features), so use lr < {bound:.6g}.")

    # ---- derived quantities -------------------------------------------------------------------
    @property
    def fixed_attention(self) -> bool:
        return self.attention != "trainable"

    @property
    def boundary_eff(self) -> str | None:
        """``"trainable"`` or ``"eigen"`` (open), None (closed)."""
        if self.bc == "closed":
            return None
        if self.boundary != "auto":
            return self.boundary
        return "eigen" if self.fixed_attention else "trainable"

    @property
    def loss_eff(self) -> str:
        if self.loss != "auto":
            return self.loss
        return "linear-mse" if self.fixed_attention else "sigmoid-mse"

    @property
    def optimizer_eff(self) -> str:
        if self.optimizer != "auto":
            return self.optimizer
        return "gd" if self.fixed_attention else "adam"

    @property
    def lr_eff(self) -> float:
        if self.lr is not None:
            return float(self.lr)
        return LR_GD if self.optimizer_eff == "gd" else LR_ADAM

    @property
    def n_train(self) -> int:
        """Training strings: all 2^M of length M."""
        return 2**self.train_length

    @property
    def batch_eff(self) -> int:
        """Strings per step: ``batch_size`` (Adam, at most all) or all of them (GD)."""
        return self.n_train if self.optimizer_eff == "gd" else min(self.batch_size, self.n_train)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n_train / self.batch_eff)

    @property
    def t_max(self) -> int:
        """The default horizon in optimizer steps."""
        return self.epochs * self.steps_per_epoch

    @property
    def trainable(self) -> tuple[str, ...]:
        """Names of the trained tensors."""
        if self.fixed_attention:
            return ("B",)
        if self.boundary_eff == "trainable":
            return ("A", "B", "vL", "vR")
        return ("A", "B")
