"""The GD engine (``groklab.dynamics.gd``): batching over seeds and over hyperparameters that
share one dataset gives the same numbers as separate runs, record times are validated, and a
diverging run is reported by its first non-finite record."""

from __future__ import annotations

import numpy as np
import pytest

from groklab.dynamics import jnp
from groklab.dynamics.gd import as_increments, first_nonfinite, gd, gd_batched


def _loss(p, d):
    r = d["X"] @ p - d["y"]
    return jnp.mean(r * r)


def _observe(p, d):
    return {"loss": _loss(p, d), "norm": jnp.sum(p * p)}


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    return {"X": X, "y": X @ rng.standard_normal(6)}, np.zeros(6)


def test_hyperparameter_grid_on_shared_data_equals_separate_runs(problem):
    data, p0 = problem
    times = np.array([0, 1, 5, 50, 400])
    etas = np.array([0.01, 0.05, 0.2])
    wds = np.array([0.0, 1e-3, 1e-1])
    batched = gd_batched(_loss, _observe, p0, data, etas, as_increments(times), wds,
                         in_axes=(None, None, 0, 0))
    for k, (eta, wd) in enumerate(zip(etas, wds, strict=True)):
        single = gd(_loss, _observe, p0, data, eta, as_increments(times), wd)
        np.testing.assert_allclose(batched["loss"][k], single["loss"], rtol=1e-12)
    # GD with weight decay w converges to the ridge solution (XᵀX/N + w/2 I)⁻¹ Xᵀy/N.
    X, y = data["X"], data["y"]
    n = X.shape[0]
    long = gd(_loss, _observe, p0, data, 0.2, as_increments([20000]), 0.1)
    ridge = np.linalg.solve(X.T @ X / n + 0.05 * np.eye(6), X.T @ y / n)
    assert float(long["norm"][-1]) == pytest.approx(float(ridge @ ridge), rel=1e-9)


def test_seed_batch_equals_one_by_one(problem):
    data, _ = problem
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal((3, 6))
    Xs = np.stack([data["X"] * (1 + 0.1 * k) for k in range(3)])
    ys = np.stack([data["y"]] * 3)
    times = np.array([0, 3, 30])
    batched = gd_batched(_loss, _observe, p0, {"X": Xs, "y": ys}, 0.05, as_increments(times))
    for k in range(3):
        single = gd(_loss, _observe, p0[k], {"X": Xs[k], "y": ys[k]}, 0.05, as_increments(times))
        np.testing.assert_allclose(batched["loss"][k], single["loss"], rtol=1e-12)


@pytest.mark.parametrize("bad", [[], [3, 2], [0, 1.5], [-1, 2], [[1, 2]]])
def test_record_times_are_validated(bad):
    with pytest.raises(ValueError, match="times must"):
        as_increments(bad)


def test_divergence_is_reported_at_first_nonfinite_record(problem):
    data, p0 = problem
    times = np.array([0, 10, 100, 1000, 5000])
    out = gd(_loss, _observe, p0, data, 5.0, as_increments(times))
    step = first_nonfinite(np.asarray(out["finite"])[None], times)[0]
    assert step in times[1:]
    assert first_nonfinite(np.ones((1, 5), bool), times)[0] == -1


def test_pop_finite_or_raise_names_the_step_and_the_advice():
    from groklab.dynamics.gd import pop_finite_or_raise

    times = np.array([0, 10, 100])
    ok = pop_finite_or_raise({"loss": np.ones((2, 3)), "finite": np.ones((2, 3), bool)}, times,
                             "unused")
    assert set(ok) == {"loss"}
    finite = np.array([[True, True, True], [True, True, False]])
    with pytest.raises(ValueError, match=r"non-finite by step 100; lower eta below 0\.3"):
        pop_finite_or_raise({"finite": finite}, times, "lower eta below 0.3")


def test_optax_adam_matches_the_pytorch_recurrence_and_plain_keys_take_gd_steps():
    """dynamics.optim.optimize with optax.adam equals Adam written out in NumPy (bias-corrected
    moments, ε after the square root); a 'plain' parameter takes −step·g every step."""
    import optax

    from groklab.dynamics.optim import optimize

    A = np.array([[3.0, 0.5], [0.5, 1.0]])
    c = np.array([1.0, -2.0])

    def loss(p, _):
        return 0.5 * p["w"] @ jnp.asarray(A) @ p["w"] - jnp.asarray(c) @ p["w"]

    def grad(p, _):
        return {"w": jnp.asarray(A) @ p["w"] - jnp.asarray(c), "acc": -jnp.ones(())}

    lr, b1, b2, eps = 0.05, 0.8, 0.9, 1e-8
    rec = optimize(loss, lambda p, _: {"w": p["w"], "acc": p["acc"]},
                   {"w": jnp.zeros(2), "acc": jnp.zeros(())}, None,
                   optax.adam(lr, b1=b1, b2=b2, eps=eps), [0, 1, 9, 40], grad=grad,
                   plain={"acc": lr})
    w, m, v = np.zeros(2), np.zeros(2), np.zeros(2)
    ref = []
    for k in range(1, 51):
        g = A @ w - c
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**k)) / (np.sqrt(v / (1 - b2**k)) + eps)
        if k in (1, 10, 50):
            ref.append(w.copy())
    np.testing.assert_allclose(np.asarray(rec["w"])[1:], np.array(ref), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(rec["acc"]), lr * np.array([0, 1, 10, 50]), rtol=1e-14)
    assert np.asarray(rec["finite"]).all()
