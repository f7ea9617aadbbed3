"""Adaptive gradient flow dθ/dt = −η ∇L(θ) on diffrax, with records at chosen times.

Time ``t`` is in GD steps: the flow is the η → 0 limit of GD at fixed flow time η·t, so a GD run
with step η and this flow with the same η agree up to O(η) at equal t (the GD–flow difference is
measured in ``tests/test_flow.py``).

Change of variables (log-time). Grokking dynamics are fast at first and then slow down by orders
of magnitude (for losses with exponential tails the curvature decays like 1/t), so a fixed-step
method in t wastes almost all of its steps. By default the flow is integrated in

    s = log(1 + t),    dθ/ds = (1 + t) dθ/dt = −η e^{s} ∇L(θ),

on s ∈ [0, log(1 + t_max)]. When the curvature of L decays like 1/t, the stiffness of the
s-system is bounded, so an adaptive explicit solver takes a number of steps that grows only
like log t_max: 10⁸ GD steps are reached in a few hundred solver steps. ``log_time=False``
integrates in t directly (useful for checks).

Solver: :class:`diffrax.Tsit5` (explicit 5(4) Runge–Kutta, FSAL) with a
:class:`diffrax.PIDController` (``rtol``, ``atol``, RMS norm over the whole parameter pytree).
Any diffrax solver can be passed (e.g. ``diffrax.Kvaerno5()`` for a stiff problem). Records are
``observe(params, data)`` evaluated on the solver's dense output at the requested times
(``SaveAt(ts=...)``), so records do not constrain the step size.

Cost accounting: ``num_steps`` is the number of attempted solver steps (accepted + rejected).
For an explicit FSAL Runge–Kutta method the number of vector-field (= gradient) evaluations is
exactly ``(stages − 1) · num_steps + 1`` (the +1 is the evaluation at t₀, shared by diffrax's
initial step-size selection and the first FSAL stage); ``n_grad_evals`` reports that count for
explicit solvers (checked by counting actual calls in the tests) and ``None`` for implicit ones,
whose Newton iterations vary.

Batching: :func:`gradient_flow` is a pure function of arrays under ``jit``; ``batched=True`` vmaps
it over seeds (leading batch axis on ``params0`` and ``data``), each seed with its own step-size
sequence (``num_steps`` is per seed).

Status: the solve runs with ``throw=False``; ``success`` (per run) is diffrax's result ==
``RESULTS.successful``, and ``result`` holds the diffrax result codes. A run that hits
``max_steps`` or a non-finite state is unsuccessful and its later records are not trustworthy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

import diffrax
import numpy as np

from groklab.dynamics import jax, jnp

__all__ = ["FlowResult", "check_times", "gradient_flow", "rhs_evals"]

PyTree = Any


@dataclass(frozen=True)
class FlowResult:
    """Output of :func:`gradient_flow` (NumPy arrays; a leading batch axis when batched).

    Attributes
    ----------
    records : dict of arrays ``observe``'s entries with a time axis (batch, t) or (t,).
    num_steps, num_accepted, num_rejected : int arrays, solver steps per run.
    n_grad_evals : int array or None — gradient (vector-field) evaluations per run
        (explicit FSAL solvers only; see the module docstring).
    success : bool array — diffrax finished successfully.
    result : int array — the raw diffrax result code (0 = successful).
    """

    records: dict
    num_steps: np.ndarray
    num_accepted: np.ndarray
    num_rejected: np.ndarray
    n_grad_evals: np.ndarray | None
    success: np.ndarray
    result: np.ndarray


def check_times(times) -> np.ndarray:
    """Record times as float64: 1-D, finite, non-negative, strictly increasing, last > 0."""
    t = np.asarray(times, dtype=np.float64)
    if t.ndim != 1 or t.size == 0:
        raise ValueError("times must be a non-empty 1-D array of times (in GD steps).")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("times must be finite and non-negative (in GD steps).")
    if np.any(np.diff(t) <= 0):
        raise ValueError("times must be strictly increasing.")
    if t[-1] <= 0:
        raise ValueError("the last record time must be positive.")
    return t


def rhs_evals(solver, num_steps):
    """Vector-field evaluations of an explicit FSAL Runge–Kutta ``solver`` after ``num_steps``
    attempted steps, or None when the solver is not one (implicit / not FSAL)."""
    tab = getattr(solver, "tableau", None)
    if (
        tab is None
        or not getattr(tab, "fsal", False)
        or getattr(tab, "implicit", True)
        or not isinstance(solver, diffrax.AbstractERK)
    ):
        return None
    return (tab.num_stages - 1) * np.asarray(num_steps) + 1


@lru_cache(maxsize=32)
def _grad_of(loss):
    """``jax.grad(loss)``, cached so that repeated calls hit the same compiled solve."""
    return jax.grad(loss)


def _solve(loss_unused, observe, grad, params0, data, eta, ts, rtol, atol, solver, max_steps,
           log_time, pcoeff, icoeff):
    if log_time:
        def field(s, y, args):
            g = grad(y, args)
            scale = -eta * jnp.exp(s)
            return jax.tree_util.tree_map(lambda gx: scale * gx, g)
        ss = jnp.log1p(ts)
    else:
        def field(t, y, args):
            g = grad(y, args)
            return jax.tree_util.tree_map(lambda gx: -eta * gx, g)
        ss = ts

    saveat = diffrax.SaveAt(ts=ss, fn=lambda s, y, args: observe(y, args))
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(field),
        solver,
        t0=jnp.zeros((), ss.dtype),
        t1=ss[-1],
        dt0=None,
        y0=params0,
        args=data,
        saveat=saveat,
        stepsize_controller=diffrax.PIDController(
            rtol=rtol, atol=atol, pcoeff=pcoeff, icoeff=icoeff
        ),
        max_steps=max_steps,
        throw=False,
    )
    return (
        sol.ys,
        sol.stats["num_steps"],
        sol.stats["num_accepted_steps"],
        sol.stats["num_rejected_steps"],
        sol.result._value,
    )


@partial(
    jax.jit,
    static_argnames=("loss", "observe", "grad", "solver", "max_steps", "log_time", "pcoeff",
                     "icoeff", "batched"),
)
def _run(loss, observe, grad, params0, data, eta, ts, rtol, atol, solver, max_steps, log_time,
         pcoeff, icoeff, batched):
    one = partial(_solve, loss, observe, grad)
    if not batched:
        return one(params0, data, eta, ts, rtol, atol, solver, max_steps, log_time, pcoeff,
                   icoeff)
    return jax.vmap(
        lambda p, d: one(p, d, eta, ts, rtol, atol, solver, max_steps, log_time, pcoeff, icoeff)
    )(params0, data)


def gradient_flow(
    loss: Callable[[PyTree, Any], jax.Array],
    params0: PyTree,
    data: Any,
    eta: float,
    times,
    *,
    observe: Callable[[PyTree, Any], dict],
    rtol: float = 1e-6,
    atol: float = 1e-9,
    solver: diffrax.AbstractSolver | None = None,
    max_steps: int = 100_000,
    grad: Callable[[PyTree, Any], PyTree] | None = None,
    log_time: bool = True,
    batched: bool = False,
    pcoeff: float = 0.0,
    icoeff: float = 1.0,
) -> FlowResult:
    """Integrate dθ/dt = −η ∇L(θ) from ``params0`` and record ``observe(params, data)``.

    Parameters
    ----------
    loss : callable ``(params, data) -> scalar``; differentiated with ``jax.grad`` unless
        ``grad`` is given. Must be hashable (a module-level function or a cached closure): it is
        a static ``jit`` argument.
    params0, data : pytrees of arrays (with a leading seed axis when ``batched``).
    eta : the learning rate; time is in GD steps, the flow time is η·t.
    times : record times in GD steps (floats allowed), strictly increasing, starting at ≥ 0;
        the integration runs from t = 0 to ``times[-1]``.
    observe : callable ``(params, data) -> dict of arrays``, evaluated at the record times.
    rtol, atol : the step-size controller's tolerances, on θ (a per-step local error bound; the
        global error at the records is typically of the same order, checked in the tests).
    solver : a diffrax solver (default :class:`diffrax.Tsit5`).
    max_steps : the most solver steps (then the run stops unsuccessfully).
    grad : optional analytic gradient ``(params, data) -> pytree`` like ``params``; it may carry
        extra accumulators (a "gradient" −g gives dacc/dt = η·g, e.g. a conformal time).
    log_time : integrate in s = log(1 + t) (default; see the module docstring) or in t.
    batched : vmap over a leading axis of ``params0`` and ``data`` (one solve per seed).
    pcoeff, icoeff : the PID controller's coefficients (default: an I-controller).

    Returns
    -------
    FlowResult
    """
    ts = check_times(times)
    solver = diffrax.Tsit5() if solver is None else solver
    grad_fn = grad if grad is not None else _grad_of(loss)
    ys, n, na, nr, res = _run(
        loss, observe, grad_fn, params0, data, jnp.asarray(eta, jnp.float64),
        jnp.asarray(ts), float(rtol), float(atol), solver, int(max_steps), bool(log_time),
        float(pcoeff), float(icoeff), bool(batched),
    )
    n = np.asarray(n)
    res = np.asarray(res)
    return FlowResult(
        records={k: np.asarray(v) for k, v in ys.items()} if isinstance(ys, dict) else ys,
        num_steps=n,
        num_accepted=np.asarray(na),
        num_rejected=np.asarray(nr),
        n_grad_evals=rhs_evals(solver, n),
        success=res == 0,
        result=res,
    )
