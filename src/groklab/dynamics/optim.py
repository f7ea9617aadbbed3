"""Full-batch optax optimizers (Adam, …) with records at chosen times, in one ``lax.scan``.

The same recording scheme as :func:`groklab.dynamics.gd.gd`: steps between two record times
run in a ``lax.fori_loop``, ``observe(params, data)`` is evaluated at the record times only, and
each record stores whether the loss was finite. The update is any optax
``GradientTransformation`` (e.g. ``optax.adam``, the PyTorch form: bias-corrected moments,
ε added after the square root). Parameters named in ``plain`` bypass the optimizer and take a
plain GD step ``−step·g`` instead (a time accumulator such as the conformal time of Beck et al.
2025 has a "gradient" of −e^{b} and must grow by ``step·e^{b}`` whatever the optimizer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from groklab.dynamics import jax, jnp

__all__ = ["optimize"]


def optimize(
    loss: Callable[[Any, Any], jax.Array],
    observe: Callable[[Any, Any], dict],
    params0: dict,
    data: Any,
    tx,
    increments,
    *,
    grad: Callable[[Any, Any], Any] | None = None,
    plain: Mapping[str, Any] | None = None,
) -> dict:
    """Run the optax transformation ``tx`` from ``params0`` (a dict of arrays) and record
    ``observe(params, data)`` after each increment.

    Parameters
    ----------
    loss, observe, data, increments, grad : as for :func:`groklab.dynamics.gd.gd`.
    tx : optax.GradientTransformation
    plain : {name: step}, optional
        Parameters updated by ``p ← p − step·g`` instead of ``tx`` (the step may be traced).

    Returns
    -------
    dict
        ``observe``'s entries stacked along a leading time axis, plus ``finite``.
    """
    import optax

    grad_fn = grad if grad is not None else jax.grad(loss)
    plain = dict(plain or {})
    trained = [k for k in params0 if k not in plain]

    def step(_, state):
        p, opt_state = state
        g = grad_fn(p, data)
        sub = {k: p[k] for k in trained}
        updates, opt_state = tx.update({k: g[k] for k in trained}, opt_state, sub)
        new = dict(optax.apply_updates(sub, updates))
        new.update({k: p[k] - s * g[k] for k, s in plain.items()})
        return new, opt_state

    def segment(state, n):
        state = jax.lax.fori_loop(0, n, step, state)
        rec = dict(observe(state[0], data))
        rec["finite"] = jnp.isfinite(loss(state[0], data))
        return state, rec

    state0 = (dict(params0), tx.init({k: params0[k] for k in trained}))
    _, records = jax.lax.scan(segment, state0, jnp.asarray(increments))
    return records
