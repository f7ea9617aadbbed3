"""The model-agnostic training engine (JAX): batched GD with log-spaced records.

Importing this package turns on JAX's 64-bit mode (groklab computes in float64 unless a run asks
for float32) and exposes ``jax`` and ``jnp`` to the engine modules.

It also turns on JAX's persistent compilation cache, so a compiled kernel (e.g. the random draw
of a ``predict`` call, ~1 s to compile) is reused by the next process: the directory is
``$GROKLAB_JAX_CACHE`` if set, else ``~/.cache/groklab/jax``; set ``GROKLAB_JAX_CACHE=off`` to
disable it. Only compilations that took at least 0.5 s are stored.
"""

import os
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)


def _cache_dir() -> str | None:
    value = os.environ.get("GROKLAB_JAX_CACHE", "")
    if value.lower() in ("off", "0", "false", "no"):
        return None
    return value or str(Path.home() / ".cache" / "groklab" / "jax")


if (_dir := _cache_dir()) is not None:
    jax.config.update("jax_compilation_cache_dir", _dir)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)

import jax.numpy as jnp  # noqa: E402

__all__ = ["jax", "jnp"]
