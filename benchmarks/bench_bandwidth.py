"""Iterated-GD throughput of the engine as a fraction of the machine's memory bandwidth.

Problem: the linear student of Levi et al. (2023) in the engine (``groklab.dynamics.gd``),
full-batch GD on the quadratic loss L(S) = ‖X S − y‖²/N, batched over 4 seeds that each have
their own data: X is 4 × 10000 × 1000 float64 = 320 MB, ten times the L3 cache, so every step
streams X from DRAM.

Bytes per step. The gradient is (2/N) Xᵀ(X S − y): one pass over X for the residual, and a
second for Xᵀr; each X (80 MB) is far larger than the cache, so the second pass is again a DRAM
read.
So each step moves 2·|X| (+ vectors of size N and d, included). The minimum is one pass (|X|) for
a kernel that fuses both products per row block; the "roofline" column compares with that.

Memory bandwidth (STREAM-like, arrays of ``--bw-gib`` GiB ≥ 1 GiB, best of the rounds):
read kernels — NumPy ``sum`` on 1 thread and on 2 threads (halves, the GIL is released), the jitted
JAX ``sum``, and a BLAS matrix–vector product (OpenBLAS, all threads); and the STREAM triad
a = b + s·c (NumPy, 2 threads, cache-sized blocks; 24 bytes per element counted as STREAM does).
GD only reads X, so the reference bandwidth is the best *read* kernel.

GD variants: the engine's ``gd_batched`` (vmap over seeds) with autodiff and with an analytic
``grad=``; the engine's ``gd`` per seed under ``lax.map``; a fused one-pass ``grad=`` (row blocks,
per seed); and, for reference, the Gram form (Σ = XᵀX/N precomputed, same iterates), which is
not a streaming kernel at all.

Rounds interleave every kernel and every GD variant, so all of them see the same background load,
and each keeps its best round.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import env_threads, load, machine, read_kernels  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=4, help="seeds (each with its own data)")
    p.add_argument("--n", type=int, default=10_000, help="training points N")
    p.add_argument("--d", type=int, default=1000, help="input dimension d_in")
    p.add_argument("--steps", type=int, default=40, help="GD steps per timed call")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--bw-gib", type=float, default=1.0, help="array size of the bandwidth kernels")
    p.add_argument("--chunk", type=int, default=1000, help="row block of the fused variant")
    return p.parse_args(argv)


def l3_bytes() -> int | None:
    try:
        base = "/sys/devices/system/cpu/cpu0/cache"
        for idx in sorted(os.listdir(base)):
            with open(f"{base}/{idx}/level") as f:
                if f.read().strip() != "3":
                    continue
            with open(f"{base}/{idx}/size") as f:
                s = f.read().strip()
            mult = {"K": 1024, "M": 1024**2, "G": 1024**3}.get(s[-1], 1)
            return int(s[:-1]) * mult if s[-1] in "KMG" else int(s)
    except OSError:
        return None
    return None


def main(argv=None):
    a = parse_args(argv)
    from groklab.dynamics import jax, jnp
    from groklab.dynamics.gd import gd, gd_batched

    B, N, d, K = a.batch, a.n, a.d, a.steps
    if N % a.chunk:
        raise SystemExit(f"--n={N} must be a multiple of --chunk={a.chunk}")
    key = jax.random.PRNGKey(0)
    kx, kt = jax.random.split(key)
    X = jax.random.normal(kx, (B, N, d), jnp.float64)
    T = jax.random.normal(kt, (B, d, 1), jnp.float64) / np.sqrt(2 * d)
    y = jnp.einsum("bnd,bdo->bno", X, T)
    data = {"X": X, "y": y}
    p0 = {"S": jnp.zeros((B, d, 1), jnp.float64)}
    x_bytes = X.nbytes
    l3 = l3_bytes()

    print("Iterated-GD throughput vs measured memory bandwidth (issue 2 §7)")
    print(f"  machine: {machine()}; L3 {l3 / 2**20:.0f} MiB; {env_threads()}" if l3 else
          f"  machine: {machine()}; {env_threads()}")
    print(f"  problem: {B} seeds x X[{N}x{d}] float64 = {x_bytes / 1e6:.0f} MB "
          f"({x_bytes / l3:.1f}x L3)" if l3 else f"  problem: {x_bytes / 1e6:.0f} MB")
    print(f"  jax {jax.__version__}; {K} GD steps per timed call; best of {a.rounds} "
          f"interleaved rounds; start {load()}")

    # ---- GD variants ---------------------------------------------------------------------
    def loss(p, dd):
        r = dd["X"] @ p["S"] - dd["y"]
        return jnp.sum(r * r) / r.shape[0]

    def observe(p, dd):
        return {"s2": jnp.sum(p["S"] ** 2)}

    def grad_two_pass(p, dd):  # analytic: (2/N) Xᵀ (X S − y)
        r = dd["X"] @ p["S"] - dd["y"]
        return {"S": (2.0 / r.shape[0]) * (dd["X"].T @ r)}

    def grad_fused(p, dd, chunk=a.chunk):  # one pass over X: per row block r_b, then X_bᵀ r_b
        Xd, yd = dd["X"], dd["y"]
        n = Xd.shape[0]
        Xc = Xd.reshape(n // chunk, chunk, Xd.shape[1])
        yc = yd.reshape(n // chunk, chunk, yd.shape[1])

        def body(acc, xy):
            xb, yb = xy
            rb = xb @ p["S"] - yb
            return acc + rb.T @ xb, None

        acc, _ = jax.lax.scan(body, jnp.zeros((yd.shape[1], Xd.shape[1]), Xd.dtype), (Xc, yc))
        return {"S": (2.0 / n) * acc.T}

    gram = {"G": jnp.einsum("bnd,bne->bde", X, X) / N, "b": jnp.einsum("bnd,bno->bdo", X, y) / N}

    def loss_gram(p, dd):  # the same L up to the constant ‖y‖²/N (finite-check only)
        S = p["S"]
        return jnp.sum(S * (dd["G"] @ S)) - 2 * jnp.sum(S * dd["b"])

    def grad_gram(p, dd):  # 2(Σ S − Xᵀy/N): same iterates, d×d per step instead of 2·N×d
        return {"S": 2.0 * (dd["G"] @ p["S"] - dd["b"])}

    inc = jnp.asarray([K])
    run_map = jax.jit(lambda p, dd, inc: jax.lax.map(
        lambda pd: gd(loss, observe, pd[0], pd[1], 0.01, inc, 0.0), (p, dd)))

    run_map_fused = jax.jit(lambda p, dd, inc: jax.lax.map(
        lambda pd: gd(loss, observe, pd[0], pd[1], 0.01, inc, 0.0, grad=grad_fused), (p, dd)))

    small = 3 * N + 5 * d  # vectors per step (r written+read, y read; S, g), elements
    variants = {
        "engine gd_batched, autodiff (default)": (
            lambda: gd_batched(loss, observe, p0, data, 0.01, inc, 0.0), 2 * N * d + small),
        "engine gd_batched, analytic grad=": (
            lambda: gd_batched(loss, observe, p0, data, 0.01, inc, 0.0, grad=grad_two_pass),
            2 * N * d + small),
        "engine gd per seed (lax.map), autodiff": (
            lambda: run_map(p0, data, inc), 2 * N * d + small),
        f"fused one-pass grad=, per seed (blocks {a.chunk})": (
            lambda: run_map_fused(p0, data, inc), N * d + small),
    }
    gram_fn = (lambda: gd_batched(loss_gram, observe, p0, gram, 0.01, inc, 0.0, grad=grad_gram),
               d * d + 4 * d)

    # correctness: all variants give the same iterates
    ref = np.asarray(gd_batched(loss, observe, p0, data, 0.01, jnp.asarray([5]), 0.0)["s2"])
    for name, g in (("analytic", grad_two_pass), ("fused", grad_fused)):
        o = np.asarray(
            gd_batched(loss, observe, p0, data, 0.01, jnp.asarray([5]), 0.0, grad=g)["s2"])
        assert np.allclose(o, ref, rtol=1e-10), name
    o = np.asarray(gd_batched(loss_gram, observe, p0, gram, 0.01, jnp.asarray([5]), 0.0,
                              grad=grad_gram)["s2"])
    assert np.allclose(o, ref, rtol=1e-10), "gram"

    # ---- bandwidth kernels -----------------------------------------------------------------
    n_el = int(a.bw_gib * 2**30 / 8)
    an = np.ones(n_el)
    pool = ThreadPoolExecutor(2)
    # STREAM triad a = b + s*c in NumPy, 2 threads (halves), in L2-sized blocks so that the
    # second NumPy pass (a += b) hits the cache: DRAM traffic is read b, read c, write a.
    tb, tc = np.full(n_el, 2.0), np.full(n_el, 3.0)
    blk = 1 << 16  # 512 KiB per array per block

    def triad_part(lo, hi):
        for i in range(lo, hi, blk):
            j = min(i + blk, hi)
            np.multiply(tc[i:j], 3.0, out=an[i:j])
            np.add(an[i:j], tb[i:j], out=an[i:j])

    def do_triad():
        list(pool.map(lambda lh: triad_part(*lh), ((0, n_el // 2), (n_el // 2, n_el))))

    kernels = {name: (f, nbytes, True)
               for name, (f, nbytes) in read_kernels(an, pool, jax, jnp).items()}
    kernels["STREAM triad a=b+s*c, numpy 2 thr (24 B/el)"] = (do_triad, 3 * an.nbytes, False)

    # warm-up (compiles)
    for f, _ in variants.values():
        jax.block_until_ready(f())
    jax.block_until_ready(gram_fn[0]())
    for f, _, _ in kernels.values():
        f()

    best = {}

    def timed(name, f):
        t0 = time.perf_counter()
        jax.block_until_ready(f())
        s = time.perf_counter() - t0
        best[name] = min(best.get(name, np.inf), s)

    for _ in range(a.rounds):
        for name, (f, _, _) in kernels.items():
            timed(name, f)
        for name, (f, _) in variants.items():
            timed(name, f)
        timed("gram", gram_fn[0])
    pool.shutdown()

    # ---- report -----------------------------------------------------------------------------
    print()
    print(f"{'memory bandwidth kernel':44s} {'GB/s':>8}")
    bw = {}
    for name, (_, nbytes, _is_read) in kernels.items():
        bw[name] = nbytes / best[name] / 1e9
        print(f"{name:44s} {bw[name]:8.2f}")
    ref_name = max((k for k, v in kernels.items() if v[2]), key=lambda k: bw[k])
    ref_bw = bw[ref_name]
    print(f"reference = best read kernel: {ref_bw:.2f} GB/s ({ref_name})")

    print()
    hdr = (f"{'GD variant (' + str(B) + ' seeds batched)':44s} {'ms/step':>8} {'MB/step':>8} "
           f"{'GB/s':>7} {'% of BW':>8} {'roofline':>9}")
    print(hdr)
    print("-" * len(hdr))
    min_bytes = B * (N * d + small) * 8
    for name, (_, elems) in variants.items():
        s = best[name] / K
        nbytes = B * elems * 8
        print(f"{name:44s} {s * 1e3:8.2f} {nbytes / 1e6:8.0f} {nbytes / s / 1e9:7.2f} "
              f"{100 * nbytes / s / 1e9 / ref_bw:7.0f}% {100 * min_bytes / s / 1e9 / ref_bw:8.0f}%")
    print("-" * len(hdr))
    s = best["gram"] / K
    gb = B * gram_fn[1] * 8
    print(f"{'Gram form 2(ΣS−b), Σ=XᵀX/N precomputed':44s} {s * 1e3:8.2f} {gb / 1e6:8.0f} "
          f"{gb / s / 1e9:7.2f}   (Σ: {gb / 1e6:.0f} MB, cache-resident; not a streaming kernel)")
    print()
    print("'% of BW' = bytes the variant moves per step / time / reference bandwidth "
          "(goal >= 70%).")
    print("'roofline' = the one-pass minimum (|X| per step) / time / reference bandwidth: how")
    print("close the step is to the fastest possible streaming GD step on this machine.")
    print(f"end {load()}")


if __name__ == "__main__":
    main()
