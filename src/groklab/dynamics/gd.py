"""Full-batch gradient descent with records at chosen times, in one jitted ``lax.scan``.

The update is plain GD with an optional decoupled weight-decay coefficient,

    θ ← θ − η (∇L(θ) + w θ),

which is Eq. 3 of Levi et al. (2023) with ``w = γ/d_out`` for their "paper" convention. Between
two record times the steps run in a ``lax.fori_loop``; the record times (any sorted, non-negative
integers, usually log-spaced) are a traced array, so new grids of the same length do not
recompile. ``observe(params)`` is evaluated only at the record times.

Batching: :func:`gd` is a pure function of arrays, so seeds and hyperparameters batch with
``jax.vmap``; :func:`gd_batched` does the usual case (leading batch axis on ``params0``, ``data``
and the hyperparameters, or ``None`` for shared ones) under one ``jit``.

Status: each record also stores whether the loss was finite; :func:`first_nonfinite` turns that
into the step at which a run diverged, for a clear error after the compiled call returns.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from groklab.dynamics import jax, jnp

__all__ = ["as_increments", "first_nonfinite", "gd", "gd_batched", "pop_finite_or_raise"]

PyTree = Any


def as_increments(times) -> np.ndarray:
    """Validate record times (sorted, unique, non-negative integers) and return the step
    counts between consecutive records, starting from step 0."""
    t = np.asarray(times)
    if t.ndim != 1 or t.size == 0:
        raise ValueError("times must be a non-empty 1-D array of GD steps.")
    if not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(t != np.round(t)):
        raise ValueError("times must be non-negative integers (GD steps).")
    t = t.astype(np.int64)
    if np.any(np.diff(t) <= 0):
        raise ValueError("times must be strictly increasing.")
    return np.diff(t, prepend=0)


def gd(
    loss: Callable[[PyTree, Any], jax.Array],
    observe: Callable[[PyTree, Any], dict],
    params0: PyTree,
    data: Any,
    eta,
    increments,
    weight_decay=0.0,
    grad: Callable[[PyTree, Any], PyTree] | None = None,
) -> dict:
    """Run GD from ``params0`` and record ``observe(params, data)`` after each increment.

    Parameters
    ----------
    loss : callable ``(params, data) -> scalar``
        The training loss; differentiated with ``jax.grad`` unless ``grad`` is given.
    observe : callable ``(params, data) -> dict of arrays``
        Observables, evaluated only at the record times.
    params0, data : pytrees of arrays
    eta, weight_decay : scalars (may be traced, so ``vmap`` over them works)
    increments : int array
        Steps between records (see :func:`as_increments`); the first may be 0.
    grad : optional callable ``(params, data) -> pytree``
        An analytic gradient, e.g. for quadratic losses.

    Returns
    -------
    dict
        ``observe``'s entries stacked along a leading time axis, plus ``finite`` (bool per
        record: the loss was finite there).
    """
    grad_fn = grad if grad is not None else jax.grad(loss)

    def step(_, p):
        g = grad_fn(p, data)
        return jax.tree_util.tree_map(lambda x, gx: x - eta * (gx + weight_decay * x), p, g)

    def segment(p, n):
        p = jax.lax.fori_loop(0, n, step, p)
        rec = dict(observe(p, data))
        rec["finite"] = jnp.isfinite(loss(p, data))
        return p, rec

    _, records = jax.lax.scan(segment, params0, jnp.asarray(increments))
    return records


@partial(jax.jit, static_argnames=("loss", "observe", "grad", "in_axes"))
def gd_batched(loss, observe, params0, data, eta, increments, weight_decay=0.0, *,
               grad=None, in_axes=(0, 0, None, None)):
    """:func:`gd` vmapped over ``(params0, data, eta, weight_decay)`` with ``in_axes``.

    Records come back with the batch axis first and time second.
    """
    run = partial(gd, loss, observe, grad=grad)
    return jax.vmap(
        lambda p, d, e, w: run(p, d, e, increments, w), in_axes=in_axes
    )(params0, data, eta, weight_decay)


def first_nonfinite(finite: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Per run (leading axes), the first record time with a non-finite loss, or -1."""
    finite = np.asarray(finite, dtype=bool)
    bad = ~finite
    idx = np.argmax(bad, axis=-1)
    hit = bad.any(axis=-1)
    return np.where(hit, np.asarray(times)[idx], -1)


def pop_finite_or_raise(records: dict, times, advice: str) -> dict:
    """Remove the ``finite`` flags from ``records``; raise ``ValueError`` naming the first step
    at which any run's loss was non-finite, followed by ``advice`` (e.g. the stability bound)."""
    bad = first_nonfinite(records.pop("finite"), times)
    if np.any(bad >= 0):
        step = int(bad[bad >= 0].min())
        raise ValueError(f"The training loss became non-finite by step {step}; {advice}")
    return records
