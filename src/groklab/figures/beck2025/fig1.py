"""Fig. 1 of Beck, Levi, Bar-Sinai 2025: the full model at and around the edge of separability.

Left (3×3, :mod:`.curves`): training curves at λ = 0.05, 0.48, 0.52 — losses, accuracies, σ‖S‖
and b — with the long-time prediction at λ = 0.48. Right (:mod:`.ensemble`): mean ‖S_∞‖ vs
1 − 2λ (top), final A_gen with the Prop. 3.2 prediction (middle) and ``delay_acc(0.9)`` (bottom)
vs λ, every realization classified by the separability test first. The grokking time of this
figure is ``delay_acc(0.9)`` = t(A_gen ≥ 0.9) − t(A_train ≥ 0.9) (spec §1.5), first crossings
interpolated in log time; a run that never crosses is censored (null), never its run length.

The two parts are independent computations stored as one Dataset (:mod:`.._compose`). The full
variant runs the left part at the paper's N = 4·10⁴; on a CPU it prints its estimated run time
before starting (see :mod:`.curves`).
"""

from __future__ import annotations

from groklab.figures import register
from groklab.figures._compose import combine, split
from groklab.figures.beck2025 import curves, ensemble

__all__ = ["claims_fig1", "compute_fig1", "plot_fig1"]


def compute_fig1(quick: bool):
    """Both parts of Fig. 1 as one Dataset (parts ``left`` and ``right``)."""
    return combine(
        {"left": curves.compute_fig1_left(quick), "right": ensemble.compute_fig1_right(quick)},
        figure="beck2025/fig1",
        grokking_time="delay_acc(0.9)",
    )


def plot_fig1(ds, path) -> None:
    """3×3 training curves on the left, the three ensemble panels in a fourth column."""
    from groklab.figures._style import new_figure, save_figure

    parts = split(ds)
    fig, axes = new_figure(3, 4, width=14.0, height=8.4)
    curves.plot_fig1_left(parts["left"], axes[:, :3])
    ensemble.plot_fig1_right(parts["right"], list(axes[:, 3]))
    save_figure(fig, path)


def claims_fig1(ds) -> list[dict]:
    """The claims of both parts (spec §7 claims 4, 6, 9–12)."""
    parts = split(ds)
    return curves.claims_fig1_left(parts["left"]) + ensemble.claims_fig1_right(parts["right"])


register(
    "beck2025/fig1",
    paper=curves.PAPER,
    number="1",
    title="Full model: training curves at λ = 0.05, 0.48, 0.52; ‖S_∞‖, A_gen and delay vs λ",
    compute_quick=lambda: compute_fig1(True),
    compute_full=lambda: compute_fig1(False),
    plot=plot_fig1,
    claims=claims_fig1,
    description=__doc__.split("\n\n")[1],
)
