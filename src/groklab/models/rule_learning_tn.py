"""The uniform tensor-network attention student of Žunkovič & Ilievski (2024), Sec. 4.2–4.4, in JAX.

Spec ``zunkovic2024-local-rules.md`` §4.2–4.5.

* Embedding (Eq. 58): φ(−1) = (1, 0), φ(+1) = (0, 1). Parameters: attention A and classification
  B, both of shape (d, d, 2) with the slices A[:, :, 0] = A_0 (x = −1) and A[:, :, 1] = A_1
  (x = +1), so that A(i) = A_{x_i} (Eq. 59); open boundaries add the vectors v^L, v^R (d,).
* Open boundary (spec [project] form of Eqs. 60–62): the left context ℓ(i) = v^Lᵀ A(1)···A(i−1)
  (ℓ(1) = v^L) and the right context r(i) = A(i+1)···A(M) v^R (r(M) = v^R), each normalised to
  unit Euclidean norm **after every multiplication** (the same ℓ_N, r_N as normalising at the end,
  without overflow). Output (Eqs. 62–63): ŷ_i = ℓ_N(i) B_{x_i} r_N(i).
* Closed (periodic) boundary: H^L(1) = 1_d, H^L(i) = H^L(i−1) A(i−1); H^R(M) = 1_d,
  H^R(i) = A(i+1) H^R(i+1), Frobenius-normalised after every multiplication;
  ŷ_i = Tr(H^L_N(i) B_{x_i} H^R_N(i)).
* With A (and v^{L,R}) fixed, ŷ_i = z_i(x)·vec(B) (Eqs. 66–67) with the features
  z_i(x) = (H^R_N H^L_N)ᵀ ⊗ φ(x_i) ∈ R^{2d²} (open: ℓ_N ⊗ r_N ⊗ φ(x_i)); vec is the C-order
  flattening of the (d, d, 2) array.
* Exact 1-local attention (Eq. 68, d = 4), the App. C examples (d = 2), and random attention with
  its top eigenvectors as boundary vectors (Sec. 4.3.1).

Strings are float arrays of ±1 with sites on the last axis; every function broadcasts over the
leading axes and is ``vmap``-able over parameters. A ``mask`` (…, M) marks a contiguous window
(a random crop): sites outside it act as identity transfer matrices, so the contexts inside the
window are those of the cropped string with open boundaries.
"""

from __future__ import annotations

import numpy as np

from groklab.dynamics import jax, jnp

__all__ = [
    "EXAMPLES",
    "PURPOSES",
    "central_sites",
    "closed_contexts",
    "contexts",
    "d_eff",
    "embed",
    "exact_attention",
    "example_attention",
    "features",
    "forward",
    "key_for",
    "left_contexts",
    "output_from_contexts",
    "right_contexts",
    "top_eigenvectors",
]

#: Strings up to this length are contracted by unrolled code, longer ones by ``lax.scan``.
UNROLL_MAX = 12

#: ``fold_in`` data of each random draw of a member seed (and of the shared test set).
PURPOSES = {"init": 1, "test": 2, "attention": 4, "shuffle": 5, "crop": 6}

#: App. C examples (d = 2): (A_0, A_1), with A_0 ↔ x = −1 (spec §4.5 [project]).
EXAMPLES: dict[int, tuple[list[list[float]], list[list[float]]]] = {
    1: ([[0.782735, 0.225481], [-0.21562, 0.290028]],
        [[1.17554, -0.275503], [1.18283, -0.157563]]),
    2: ([[1.6749, -1.29059], [0.285324, -0.708621]],
        [[0.0462428, -0.0797724], [-0.509457, 0.922777]]),
    3: ([[1.37336, -0.465853], [-1.10382, 0.720113]],
        [[0.128517, 0.166033], [0.634426, 1.13816]]),
}


def key_for(seed: int, purpose: str) -> jax.Array:
    """The PRNG key of one random draw, derived from ``(seed, purpose)`` only."""
    return jax.random.fold_in(jax.random.PRNGKey(seed), PURPOSES[purpose])


# ---- attention tensors ------------------------------------------------------------------------
def _stack(a0, a1) -> np.ndarray:
    return np.stack([np.asarray(a0, float), np.asarray(a1, float)], axis=-1)


def exact_attention() -> np.ndarray:
    """Eq. 68: the exact 1-local attention (d = 4), shape (4, 4, 2). A_a = c_a r_aᵀ with
    c_0 = (1,0,1,0), c_1 = (0,1,0,1), r_0 = (1,1,0,0), r_1 = (0,0,1,1)."""
    a0 = [[1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]]
    a1 = [[0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 1, 1]]
    return _stack(a0, a1)


def example_attention(example: int) -> np.ndarray:
    """App. C example ``example`` ∈ {1, 2, 3} (d = 2), shape (2, 2, 2)."""
    if example not in EXAMPLES:
        raise ValueError(f"example must be one of {sorted(EXAMPLES)}. Got {example!r}.")
    return _stack(*EXAMPLES[example])


def top_eigenvectors(a0: np.ndarray) -> tuple[np.ndarray, np.ndarray, complex]:
    """Unit left and right eigenvectors (v^L, v^R) of A_0 for its eigenvalue of largest modulus
    (v^Lᵀ A_0 = λ v^Lᵀ, A_0 v^R = λ v^R), and λ. Each vector's entry of largest magnitude (the
    first, on ties) is made positive. Raises ``ValueError`` if λ is not real (Sec. 4.3.1:
    such draws are resampled)."""
    a0 = np.asarray(a0, float)
    out = []
    lam = None
    for m in (a0.T, a0):
        w, v = np.linalg.eig(m)
        k = int(np.argmax(np.abs(w)))
        if lam is None:
            lam = w[k]
        if abs(w[k].imag) > 1e-12 * max(1.0, abs(w[k])):
            raise ValueError(f"The top eigenvalue of A_0 is complex ({w[k]:.6g}).")
        vec = np.real(v[:, k])
        vec = vec / np.linalg.norm(vec)
        j = int(np.argmax(np.abs(vec) > np.abs(vec).max() * (1 - 1e-9)))
        out.append(vec if vec[j] > 0 else -vec)
    return out[0], out[1], complex(lam)


# ---- contexts ----------------------------------------------------------------------------------
def embed(x):
    """Eq. 58: φ(x) = (1, 0) for x = −1 and (0, 1) for x = +1; shape (…, 2)."""
    up = (x > 0).astype(x.dtype)
    return jnp.stack([1 - up, up], axis=-1)


def _normalise(v, axes):
    return v * jax.lax.rsqrt(jnp.sum(v * v, axis=axes, keepdims=True))


def _sweep(step, init, x, mask, reverse: bool):
    """Contexts at every site: ``init`` at the first (last, if ``reverse``) site, then
    ``step(context, x_i)`` carried along the string; masked-out sites leave the context alone."""
    xs = jnp.moveaxis(x, -1, 0)
    ms = None if mask is None else jnp.moveaxis(mask, -1, 0)
    if reverse:
        xs = xs[::-1]
        ms = None if ms is None else ms[::-1]
    extra = init.ndim - (x.ndim - 1)  # the context's own axes (1: vector, 2: matrix)

    def body(c, inp):
        xi, mi = inp
        new = step(c, xi)
        if mi is not None:
            new = jnp.where(mi.reshape(mi.shape + (1,) * extra), new, c)
        return new, new

    inputs = (xs[:-1], None if ms is None else ms[:-1])
    if xs.shape[0] <= UNROLL_MAX:  # short strings: a straight line of ops (faster gradients)
        outs, c = [init], init
        for i in range(xs.shape[0] - 1):
            c, _ = body(c, (inputs[0][i], None if ms is None else inputs[1][i]))
            outs.append(c)
        out = jnp.stack(outs)
    else:
        _, rest = jax.lax.scan(body, init, inputs)
        out = jnp.concatenate([init[None], rest], axis=0)
    if reverse:
        out = out[::-1]
    return jnp.moveaxis(out, 0, x.ndim - 1)


def _vector_step(M2):
    """One normalised step v → v·A_{x} of a vector context, with M2 = [A_0 | A_1] (d, 2d): one
    matrix product gives both candidates (the layout that batches best over members)."""
    d = M2.shape[0]

    def step(v, xi):
        c = v @ M2
        return _normalise(jnp.where((xi > 0)[..., None], c[..., d:], c[..., :d]), -1)

    return step


def left_contexts(A, vL, x, mask=None):
    """ℓ_N(i) for i = 1..M: shape (…, M, d). ℓ(1) = v^L/‖v^L‖, ℓ(i+1) = ℓ(i)A_{x_i}/‖·‖."""
    init = jnp.broadcast_to(vL / jnp.linalg.norm(vL), x.shape[:-1] + vL.shape)
    M2 = jnp.concatenate([A[:, :, 0], A[:, :, 1]], axis=1)
    return _sweep(_vector_step(M2), init, x, mask, reverse=False)


def right_contexts(A, vR, x, mask=None):
    """r_N(i) for i = 1..M: shape (…, M, d). r(M) = v^R/‖v^R‖, r(i−1) = A_{x_i} r(i)/‖·‖."""
    init = jnp.broadcast_to(vR / jnp.linalg.norm(vR), x.shape[:-1] + vR.shape)
    M2 = jnp.concatenate([A[:, :, 0].T, A[:, :, 1].T], axis=1)  # (A_a r)ᵀ = rᵀA_aᵀ
    return _sweep(_vector_step(M2), init, x, mask, reverse=True)


def closed_contexts(A, x):
    """Periodic boundary: (H^L_N(i), H^R_N(i)) for i = 1..M, each of shape (…, M, d, d),
    Frobenius-normalised (H^L_N(1) = H^R_N(M) = 1_d/√d)."""
    d = A.shape[0]
    eye = jnp.eye(d, dtype=A.dtype) / jnp.sqrt(jnp.asarray(d, A.dtype))
    init = jnp.broadcast_to(eye, x.shape[:-1] + (d, d))
    up = lambda xi: (xi > 0)[..., None, None]  # noqa: E731

    def left(h, xi):
        cand = jnp.einsum("...am,mnj->...jan", h, A)
        return _normalise(jnp.where(up(xi), cand[..., 1, :, :], cand[..., 0, :, :]), (-2, -1))

    def right(h, xi):
        cand = jnp.einsum("amj,...mn->...jan", A, h)
        return _normalise(jnp.where(up(xi), cand[..., 1, :, :], cand[..., 0, :, :]), (-2, -1))

    return (_sweep(left, init, x, None, reverse=False),
            _sweep(right, init, x, None, reverse=True))


def contexts(params: dict, x, bc: str = "open", mask=None):
    """The normalised contexts of every site: (ℓ_N, r_N) for ``bc="open"`` (from ``A``, ``vL``,
    ``vR`` in ``params``) or (H^L_N, H^R_N) for ``bc="closed"``."""
    if bc == "open":
        return (left_contexts(params["A"], params["vL"], x, mask),
                right_contexts(params["A"], params["vR"], x, mask))
    if mask is not None:
        raise ValueError("Crops (mask) need open boundaries.")
    return closed_contexts(params["A"], x)


def output_from_contexts(ctx, B, x, bc: str = "open"):
    """ŷ_i (Eqs. 62–63) from the contexts ``ctx`` of :func:`contexts` and B (d, d, 2)."""
    left, right = ctx
    if bc == "open":
        d = B.shape[0]
        u = left @ jnp.concatenate([B[:, :, 0], B[:, :, 1]], axis=1)
        u = jnp.where((x > 0)[..., None], u[..., d:], u[..., :d])
        return jnp.sum(u * right, axis=-1)
    u = jnp.einsum("...am,mnj->...jan", left, B)
    u = jnp.where((x > 0)[..., None, None], u[..., 1, :, :], u[..., 0, :, :])
    return jnp.einsum("...ab,...ba->...", u, right)


def forward(params: dict, x, bc: str = "open", mask=None):
    """The student's pre-activation ŷ_i at every site, shape (…, M) (Eqs. 58–63)."""
    return output_from_contexts(contexts(params, x, bc, mask), params["B"], x, bc)


def features(ctx, x, bc: str = "open"):
    """Eq. 66: z_i(x) of shape (…, M, d, d, 2), with ŷ_i = Σ z_i · B (Eq. 67)."""
    left, right = ctx
    if bc == "open":
        m = left[..., :, None] * right[..., None, :]
    else:
        m = jnp.swapaxes(jnp.einsum("...ab,...bc->...ac", right, left), -1, -2)
    return m[..., None] * embed(x)[..., None, None, :]


# ---- effective dimension ------------------------------------------------------------------------
def central_sites(length: int) -> np.ndarray:
    """0-based indices of the 7 central sites i = ⌊M/2⌋ − 3, …, ⌊M/2⌋ + 3 (1-based i; spec §5
    [project]); needs M ≥ 8."""
    if length < 8:
        raise ValueError(f"The 7 central sites need strings of length ≥ 8. Got {length}.")
    return np.arange(length // 2 - 3, length // 2 + 4) - 1


def d_eff(points):
    """D_eff = exp(−Σ σ_k ln σ_k) over the PCA explained-variance ratios σ_k of ``points``
    (…, n, D) (Sec. 4.3.1; natural log). JAX twin of
    :func:`groklab.theory.local_rules_stats.d_eff`."""
    c = points - jnp.mean(points, axis=-2, keepdims=True)
    ev = jnp.clip(jnp.linalg.eigvalsh(jnp.einsum("...na,...nb->...ab", c, c)), 0.0)
    s = ev / jnp.sum(ev, axis=-1, keepdims=True)
    safe = jnp.where(s > 0, s, 1.0)
    return jnp.exp(-jnp.sum(jnp.where(s > 0, s * jnp.log(safe), 0.0), axis=-1))
