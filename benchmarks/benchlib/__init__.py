"""Shared helpers of the benchmark scripts (a package, so that ``benchmarks/*.py`` lists only
the benchmarks themselves)."""

from __future__ import annotations

import os
import platform
import time

import numpy as np


def log_times(horizon: int, n: int = 60) -> np.ndarray:
    """``n`` unique, log-spaced integer GD steps in [1, horizon], both ends included."""
    if horizon < n:
        raise ValueError(f"horizon must be at least {n} steps to hold {n} unique record times.")
    for k in range(n, 100 * n):
        t = np.unique(np.round(np.logspace(0, np.log10(horizon), k)).astype(np.int64))
        if t.size >= n:
            return np.delete(t, np.arange(1, 1 + t.size - n))
    raise AssertionError("unreachable")


def load() -> str:
    a, b, c = os.getloadavg()
    return f"load avg {a:.2f} {b:.2f} {c:.2f}"


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.machine()} {model}, {os.cpu_count()} logical CPUs"


def env_threads() -> str:
    keys = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS")
    set_ = [f"{k}={os.environ[k]}" for k in keys if k in os.environ]
    return ", ".join(set_) if set_ else "no thread env vars set"


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.s = time.perf_counter() - self.t0
        return False


def fmt_s(s: float) -> str:
    if s != s:  # NaN
        return "—"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    if s < 100:
        return f"{s:.2f} s"
    return f"{s:.0f} s"


def read_kernels(an: np.ndarray, pool, jax, jnp) -> dict:
    """STREAM-like read kernels over the float64 array ``an``: name -> (callable, bytes read).
    NumPy sum on 1 and 2 threads (``pool`` has 2 workers), a jitted JAX sum and OpenBLAS gemv."""
    n_el = an.size
    halves = (an[: n_el // 2], an[n_el // 2:])
    M = an[: (n_el // 1000) * 1000].reshape(-1, 1000)
    v = np.ones(1000)
    ja = jnp.asarray(an)
    jsum = jax.jit(jnp.sum)
    return {
        "numpy sum, 1 thread (read)": (lambda: an.sum(), an.nbytes),
        "numpy sum, 2 threads (read)": (lambda: sum(pool.map(np.sum, halves)), an.nbytes),
        "jax sum, jit (read)": (lambda: jsum(ja).block_until_ready(), an.nbytes),
        "BLAS gemv, numpy (read)": (lambda: M @ v, M.nbytes),
    }


def print_rows(rows: list[tuple[str, str, str]], value_width: int = 12) -> None:
    """Print (name, value, note) rows as an aligned table, then the load average."""
    w = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{w}}  {value:>{value_width}}  {note}")
    print(f"# end: {load()}")
