"""End-to-end wall time of the Fig. 6 benefit phase diagram (Beck, Bar-Sinai, Levi 2026).

The full 20 × 20 diagram of ``beck2026/fig6`` (d = 1400, N = 2000, λ = 0.7, α = 0.4): σ_n on a
log grid of 20 values in [0.1, 6], σ_f = 0.05, 0.10, …, 1; 20 Newton solves for α = 0.4
(σ_n-independent, Prop. 6.1) and 400 max-margin QPs for α = 0, then the σ_n* roots; plus the
left panel (40 Newton solves). One process, on whatever cores BLAS sees (the issue asks for 2:
run under ``taskset -c 0,1``). It takes tens of minutes.

    taskset -c 0,1 .venv/bin/python benchmarks/bench_logit_reg_phase.py
"""

from __future__ import annotations

import os
import time

from groklab.figures.beck2026.phase import compute_phase


def main() -> None:
    start = time.perf_counter()
    ds = compute_phase("fig6", quick=False)
    total = time.perf_counter() - start
    print(f"cores visible: {len(os.sched_getaffinity(0))}")
    print(f"diagram ({ds.attrs['diagram_cells']} cells): {ds.attrs['diagram_wall_s']:.1f} s; "
          f"with the left panel: {total:.1f} s")


if __name__ == "__main__":
    main()
