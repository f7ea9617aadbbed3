"""The model-agnostic training engine (JAX): batched GD with log-spaced records.

Importing this package turns on JAX's 64-bit mode (groklab computes in float64 unless a run asks
for float32) and exposes ``jax`` and ``jnp`` to the engine modules.
"""

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402

__all__ = ["jax", "jnp"]
