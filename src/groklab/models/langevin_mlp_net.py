"""The network, data, pre-training and curvature of the ``langevin-mlp`` model (JAX, float64).

Spec ``jules2023-langevin-landscape.md`` §2.1 (system), §2.6 (curvature), §2.7 (margins and
per-point losses), §3.2 (the Gauss–Newton split). Parameters are one flat vector θ (P,) laid out
layer by layer as (W_1, b_1, W_2, b_2, …) with W_l of shape (fan_in, fan_out).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from groklab.dynamics import jax, jnp
from groklab.models.langevin_mlp_config import Config

__all__ = ["Net", "gn_per_point", "gn_trace", "pretrain", "sample"]

PURPOSES = {"train": 0, "init": 1, "test": 2}
_ACT = {"tanh": jnp.tanh, "softplus": jax.nn.softplus, "relu": jax.nn.relu}


def key_for(seed: int, purpose: str) -> jax.Array:
    """The PRNG key of one random draw, derived from ``(seed, purpose)`` only."""
    return jax.random.fold_in(jax.random.PRNGKey(seed), PURPOSES[purpose])


class Net(NamedTuple):
    """Static description of the MLP (hashable, so it can be a static jit argument)."""

    sizes: tuple[int, ...]
    activation: str
    n_classes: int
    weight_decay: float = 0.0

    @classmethod
    def of(cls, config: Config) -> Net:
        return cls(tuple(config.layer_sizes), config.activation, config.n_classes,
                   float(config.weight_decay))

    @property
    def n_params(self) -> int:
        return sum((a + 1) * b for a, b in zip(self.sizes[:-1], self.sizes[1:], strict=False))

    def unravel(self, theta):
        out, i = [], 0
        for a, b in zip(self.sizes[:-1], self.sizes[1:], strict=False):
            W = theta[i:i + a * b].reshape(a, b)
            i += a * b
            out.append((W, theta[i:i + b]))
            i += b
        return out

    def logits(self, theta, X):
        """f(X; θ): (n,) for binary, (n, K) otherwise."""
        h = X
        layers = self.unravel(theta)
        for W, b in layers[:-1]:
            h = _ACT[self.activation](h @ W + b)
        W, b = layers[-1]
        z = h @ W + b
        return z[:, 0] if self.n_classes == 2 else z

    def margins(self, theta, X, y):
        """m_i = y_i f(x_i) (binary, y = ±1) or z_{y_i} − max_{c≠y_i} z_c (§2.7)."""
        z = self.logits(theta, X)
        if self.n_classes == 2:
            return y * z
        yi = y.astype(jnp.int32)
        zy = jnp.take_along_axis(z, yi[:, None], axis=1)[:, 0]
        other = jnp.where(jax.nn.one_hot(yi, self.n_classes, dtype=bool), -jnp.inf, z)
        return zy - jnp.max(other, axis=1)

    def point_losses(self, theta, X, y):
        """ℓ_i: ln(1 + e^{−m_i}) (binary) or logsumexp z − z_{y_i} (softmax)."""
        z = self.logits(theta, X)
        if self.n_classes == 2:
            return jax.nn.softplus(-y * z)
        zy = jnp.take_along_axis(z, y.astype(jnp.int32)[:, None], axis=1)[:, 0]
        return jax.nn.logsumexp(z, axis=1) - zy

    def loss(self, theta, data):
        """Mean training cross-entropy L(θ) (the data loss)."""
        return jnp.mean(self.point_losses(theta, data["X"], data["y"]))

    def potential(self, theta, data):
        """Langevin potential U = L + (γ/2)‖θ‖²."""
        return self.loss(theta, data) + 0.5 * self.weight_decay * jnp.sum(theta * theta)

    def accuracy(self, theta, X, y):
        m = self.margins(theta, X, y)
        return jnp.mean((m > 0).astype(theta.dtype) + 0.5 * (m == 0).astype(theta.dtype))


def _labels(key, n: int, n_classes: int):
    """Exactly balanced random labels: ±1 (binary) or i mod K, permuted."""
    perm = jax.random.permutation(key, jnp.arange(n) % n_classes)
    return (2.0 * perm - 1.0) if n_classes == 2 else perm.astype(jnp.float64)


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3))
def _draw(net: Net, d: int, n_train: int, n_test: int, seed):
    out = {}
    for name, n in (("train", n_train), ("test", n_test)):
        kx, ky = jax.random.split(key_for(seed, name))
        out["X" if name == "train" else "X_test"] = (
            jax.random.normal(kx, (n, d), jnp.float64) / jnp.sqrt(d))
        out["y" if name == "train" else "y_test"] = _labels(ky, n, net.n_classes)
    keys = jax.random.split(key_for(seed, "init"), len(net.sizes) - 1)
    parts = []
    for k, a, b in zip(keys, net.sizes[:-1], net.sizes[1:], strict=False):
        parts += [(jax.random.normal(k, (a, b), jnp.float64) / jnp.sqrt(a)).ravel(),
                  jnp.zeros(b, jnp.float64)]
    out["theta_init"] = jnp.concatenate(parts)
    return out


def sample(config: Config, seed: int) -> dict:
    """One seed's arrays (float64): ``X`` (N, d), ``y`` (N,), ``X_test``, ``y_test`` and the
    initial parameters ``theta_init`` (P,) (weights N(0, 1/fan_in), biases 0; spec §2.1)."""
    return _draw(Net.of(config), config.d, config.n_train, config.n_test,
                 jnp.asarray(seed, jnp.int64))


@functools.partial(jax.jit, static_argnums=(0,))
def _pretrain(net: Net, theta, data, lr, target, max_steps):
    import optax

    tx = optax.adam(lr)
    vg = jax.value_and_grad(net.loss)

    def done(theta):
        return (net.accuracy(theta, data["X"], data["y"]) >= 1.0) & (net.loss(theta, data)
                                                                    <= target)

    def cond(state):
        theta, _, k, _ = state
        return (k < max_steps) & ~done(theta)

    def body(state):
        theta, opt, k, trace = state
        loss, g = vg(theta, data)
        upd, opt = tx.update(g, opt, theta)
        trace = jnp.where((loss > 1e-2) | (trace[0] >= 0), trace, trace.at[0].set(k))
        trace = jnp.where((loss > 1e-4) | (trace[1] >= 0), trace, trace.at[1].set(k))
        return optax.apply_updates(theta, upd), opt, k + 1, trace

    state = (theta, tx.init(theta), jnp.asarray(0, jnp.int64), -jnp.ones(2, jnp.int64))
    theta, _, k, trace = jax.lax.while_loop(cond, body, state)
    return theta, k, done(theta), trace


def pretrain(config: Config, data: dict) -> dict:
    """Full-batch Adam from ``theta_init`` until 100 % training accuracy and L ≤
    ``loss_target`` (spec §2.1), one compiled ``while_loop``: ``theta0``, ``steps``,
    ``reached`` and the steps at which L first fell below 1e−2 and 1e−4 (−1 if never)."""
    net = Net.of(config)
    theta, k, ok, trace = _pretrain(net, data["theta_init"], {"X": data["X"], "y": data["y"]},
                                    config.pretrain_lr, config.loss_target,
                                    jnp.asarray(config.pretrain_max, jnp.int64))
    final = float(net.loss(theta, {"X": data["X"], "y": data["y"]}))
    # the loop sees the loss before each update: a level first reached by the last update
    steps = [int(s) if s >= 0 or final > lv else int(k) for s, lv in zip(trace, (1e-2, 1e-4),
                                                                          strict=True)]
    return {"theta0": theta, "steps": int(k), "reached": bool(ok),
            "step_1e-2": steps[0], "step_1e-4": steps[1]}


@functools.partial(jax.jit, static_argnums=(0,))
def gn_per_point(net: Net, theta, data):
    """ℓ''(m_i)‖∇_θ m_i‖² for every training point (N,), from per-sample margin gradients
    (§2.6, §3.2; F8's per-point curvature); binary only (ℓ'' = σ(m)σ(−m))."""
    X, y = data["X"], data["y"]

    def margin(th, x, yi):
        return net.margins(th, x[None], yi[None])[0]

    m = net.margins(theta, X, y)
    g = jax.vmap(jax.grad(margin), in_axes=(None, 0, 0))(theta, X, y)
    return jax.nn.sigmoid(m) * jax.nn.sigmoid(-m) * jnp.sum(g * g, axis=1)


def gn_trace(net: Net, theta, data):
    """tr H_GN = (1/N) Σ_i ℓ''(m_i)‖∇_θ m_i‖² (§2.6): the mean of :func:`gn_per_point`."""
    return jnp.mean(gn_per_point(net, theta, data))


def gn_matvec(net: Net, theta, data, v):
    """H_GN·v = (1/N) Jᵀ diag(ℓ''(m)) J v with J = ∂m/∂θ (binary), by one jvp and one vjp."""
    X, y = data["X"], data["y"]
    m, Jv = jax.jvp(lambda th: net.margins(th, X, y), (theta,), (v,))
    w = jax.nn.sigmoid(m) * jax.nn.sigmoid(-m) * Jv / X.shape[0]
    return jax.vjp(lambda th: net.margins(th, X, y), theta)[1](w)[0]


def dense_hessian(net: Net, theta, data) -> np.ndarray:
    """The full Hessian of the potential (P × P), for small networks and tests."""
    return np.asarray(jax.jit(jax.hessian(net.potential))(theta, data), float)
