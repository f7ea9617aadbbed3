"""JAX's default random draws (threefry2x32, partitionable) recomputed in NumPy, without importing
JAX.

``groklab predict`` needs the same training draw that ``simulate`` uses (the converged solution
of a finite-size model depends on the draw), but importing JAX and compiling the draw take
about 1.5 s, more than the whole answer should. The keys and random bits below are bit-identical
to ``jax.random`` with ``jax_threefry_partitionable`` on (the default since JAX 0.5); uniforms
on [0, 1) and Rademacher signs are bit-identical, scaled uniforms agree to 1 ulp (XLA may fuse
the multiply-add); normals go through SciPy's ``erfinv`` instead of XLA's, so they agree to a
few ulp (``tests/test_prng_numpy.py`` checks all of this against JAX itself).

Threefry-2x32 is the 20-round counter-based hash of Salmon et al. (2011), "Parallel random
numbers: as easy as 1, 2, 3"; JAX counts the flat index of the output as a 64-bit integer split
into high and low 32-bit words.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["fold_in", "normal", "prng_key", "rademacher", "random_bits", "seed_key", "split",
           "uniform"]

_U32 = np.uint32
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << _U32(r)) | (x >> _U32(32 - r))


def threefry2x32(key: np.ndarray, x0: np.ndarray, x1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The threefry-2x32 hash of the counter pairs (x0, x1) under ``key`` (two uint32)."""
    k0, k1 = _U32(key[0]), _U32(key[1])
    ks = (k0, k1, k0 ^ k1 ^ _U32(_PARITY))
    with np.errstate(over="ignore"):
        x0 = np.asarray(x0, _U32) + ks[0]
        x1 = np.asarray(x1, _U32) + ks[1]
        for i in range(5):
            for r in _ROTATIONS[i % 2]:
                x0 = x0 + x1
                x1 = _rotl(x1, r) ^ x0
            x0 = x0 + ks[(i + 1) % 3]
            x1 = x1 + ks[(i + 2) % 3] + _U32(i + 1)
    return x0, x1


def prng_key(seed: int) -> np.ndarray:
    """``jax.random.PRNGKey(seed)``: the 64-bit seed as (high, low) uint32 words."""
    seed = int(seed) % 2**64
    return np.array([seed >> 32, seed & 0xFFFFFFFF], dtype=_U32)


def fold_in(key: np.ndarray, data: int) -> np.ndarray:
    """``jax.random.fold_in(key, data)`` for a uint32 ``data``."""
    a, b = threefry2x32(key, np.zeros(1, _U32), np.array([int(data) % 2**32], _U32))
    return np.array([a[0], b[0]], dtype=_U32)


def seed_key(seed: int, purpose: int) -> np.ndarray:
    """``jax.random.fold_in(jax.random.PRNGKey(seed), purpose)``: groklab's key of one draw."""
    return fold_in(prng_key(seed), purpose)


def _counters(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    n = math.prod(shape)
    i = np.arange(n, dtype=np.uint64)
    hi = (i >> np.uint64(32)).astype(_U32).reshape(shape)
    return hi, (i & np.uint64(0xFFFFFFFF)).astype(_U32).reshape(shape)


def split(key: np.ndarray, num: int = 2) -> np.ndarray:
    """``jax.random.split(key, num)``: (num, 2) uint32 keys."""
    a, b = threefry2x32(key, *_counters((num,)))
    return np.stack([a, b], axis=1)


def random_bits(key: np.ndarray, bit_width: int, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform random bits of width 32 or 64 (``jax.random.bits``)."""
    a, b = threefry2x32(key, *_counters(tuple(shape)))
    if bit_width == 64:
        return (a.astype(np.uint64) << np.uint64(32)) | b.astype(np.uint64)
    if bit_width == 32:
        return a ^ b
    raise ValueError(f"bit_width must be 32 or 64, got {bit_width!r}.")


def uniform(key: np.ndarray, shape: tuple[int, ...], minval: float = 0.0,
            maxval: float = 1.0) -> np.ndarray:
    """``jax.random.uniform`` in float64: 52 random mantissa bits in [1, 2), shifted and scaled
    to [minval, maxval)."""
    bits = random_bits(key, 64, shape)
    one = np.array(1.0).view(np.uint64)
    floats = ((bits >> np.uint64(12)) | one).view(np.float64) - 1.0
    lo, hi = np.float64(minval), np.float64(maxval)
    return np.maximum(lo, floats * (hi - lo) + lo)


def normal(key: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``jax.random.normal`` in float64: √2·erfinv(u), u uniform on (−1, 1)."""
    from scipy.special import erfinv

    u = uniform(key, shape, np.nextafter(-1.0, 0.0), 1.0)
    return np.sqrt(2.0) * erfinv(u)


def rademacher(key: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``jax.random.rademacher`` in float64: +1 where a float64 uniform is below ½."""
    return np.where(uniform(key, shape) < 0.5, 1.0, -1.0)
