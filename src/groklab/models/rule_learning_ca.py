"""The local-rule teacher of Žunkovič & Ilievski (2024), Sec. 4.1: elementary cellular automata.

Spec ``zunkovic2024-local-rules.md`` §4.1. Inputs and labels are strings x, y ∈ {−1, +1}^M. A
1-local rule maps each neighbourhood (x_{i−1}, x_i, x_{i+1}) to y_i (Eq. 51); the paper's rule is
Wolfram's rule 30 (Eq. 52) with +1 ↔ 1 and −1 ↔ 0, so that y = x_{i−1} XOR (x_i OR x_{i+1}). A
K-local rule is K consecutive applications of the 1-local rule.

Boundary conditions: ``"open"`` computes every application as if x_0 = x_{M+1} = −1 (−1 padding at
each application, spec [project]); ``"closed"`` is periodic.

Every function here is written with array operations of a module ``xp`` (NumPy by default, or
``jax.numpy``), so the same code labels the training batches inside compiled JAX and the data
sets built in NumPy. Strings are float arrays of ±1 with the sites on the last axis.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "all_strings",
    "apply_rule",
    "neighbourhood_index",
    "random_crops",
    "random_strings",
    "rule_table",
]


def rule_table(rule: int = 30) -> np.ndarray:
    """The ±1 output of Wolfram rule ``rule`` for each neighbourhood, indexed by
    v = 4l + 2c + r with l, c, r ∈ {0, 1} (+1 ↔ 1): output bit v of ``rule``.

    For rule 30 this is Eq. 52: (−,−,−) → −1, (−,−,+) → +1, (−,+,−) → +1, (−,+,+) → +1,
    (+,−,−) → +1, (+,−,+) → −1, (+,+,−) → −1, (+,+,+) → −1.
    """
    if not 0 <= int(rule) <= 255:
        raise ValueError(f"rule must be a Wolfram elementary rule in [0, 255]. Got {rule!r}.")
    bits = (int(rule) >> np.arange(8)) & 1
    return (2.0 * bits - 1.0).astype(np.float64)


def neighbourhood_index(x, bc: str = "open", xp=np):
    """v = 4l + 2c + r of every site (l, c, r the left, centre and right inputs as 0/1), with
    the boundary condition ``bc`` for the missing neighbours of the end sites."""
    bits = (x > 0).astype(xp.int32)
    if bc == "open":
        pad = xp.zeros(bits.shape[:-1] + (1,), xp.int32)
        left = xp.concatenate([pad, bits[..., :-1]], axis=-1)
        right = xp.concatenate([bits[..., 1:], pad], axis=-1)
    elif bc == "closed":
        left = xp.roll(bits, 1, axis=-1)
        right = xp.roll(bits, -1, axis=-1)
    else:
        raise ValueError(f"bc must be 'open' or 'closed'. Got {bc!r}.")
    return 4 * left + 2 * bits + right


def apply_rule(x, rule: int = 30, k_local: int = 1, bc: str = "open", mask=None, xp=np):
    """Labels y of inputs ``x`` (..., M) under ``k_local`` applications of ``rule``.

    Parameters
    ----------
    x : array of ±1, sites on the last axis (M ≥ 3 for the closed boundary).
    rule : Wolfram rule number (Eq. 52 is 30).
    k_local : K ≥ 1, the number of applications (a K-local rule, Sec. 4.1).
    bc : ``"open"`` (−1 padding at every application) or ``"closed"`` (periodic).
    mask : optional boolean array like ``x``: a contiguous window per string (a random crop).
        Sites outside it count as the −1 padding of an open boundary: the rule is applied to
        the window alone, re-padded at every application, and the labels outside are −1.
    xp : ``numpy`` or ``jax.numpy``.
    """
    if k_local < 1:
        raise ValueError(f"k_local must be at least 1. Got {k_local!r}.")
    table = xp.asarray(rule_table(rule), dtype=x.dtype)
    y = x if mask is None else xp.where(mask, x, -1.0).astype(x.dtype)
    for _ in range(int(k_local)):
        y = table[neighbourhood_index(y, bc, xp)]
        if mask is not None:
            y = xp.where(mask, y, -1.0).astype(x.dtype)
    return y


def all_strings(length: int) -> np.ndarray:
    """All 2^M strings of length M as a (2^M, M) float64 array of ±1, in binary counting order
    with the first site as the most significant bit (−1 ↔ 0)."""
    if length < 1:
        raise ValueError(f"length must be at least 1. Got {length!r}.")
    codes = np.arange(2**length)[:, None]
    bits = (codes >> np.arange(length - 1, -1, -1)) & 1
    return (2.0 * bits - 1.0).astype(np.float64)


def random_strings(key, n: int, length: int, dtype=None):
    """``n`` uniformly random strings of length M (JAX key), float ±1 of shape (n, M)."""
    from groklab.dynamics import jax, jnp

    return jax.random.rademacher(key, (n, length), dtype or jnp.float64)


def random_crops(key, n: int, length: int, min_length: int):
    """Windows of ``n`` strings of length M: one crop length L ~ U{min_length, …, M} for the whole
    batch and, per string, a start ~ U{0, …, M − L} (spec §5 [project]: "random crop to length
    6–10 per batch"). Returns a boolean mask (n, M) that is True inside each window (JAX)."""
    from groklab.dynamics import jax, jnp

    if not 1 <= min_length <= length:
        raise ValueError(f"min_length must be in [1, {length}]. Got {min_length!r}.")
    k_len, k_start = jax.random.split(key)
    crop = jax.random.randint(k_len, (), min_length, length + 1)
    start = jax.random.randint(k_start, (n,), 0, length - crop + 1)
    pos = jnp.arange(length)[None, :]
    return (pos >= start[:, None]) & (pos < (start + crop)[:, None])
