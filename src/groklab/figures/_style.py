"""Shared plotting style for groklab figures (the papers' conventions).

* Theory is drawn in black over simulation (:data:`THEORY`, :data:`THEORY_APPROX`).
* Train curves dashed, generalization curves solid (:data:`TRAIN_LS`, :data:`GEN_LS`).
* Diamonds mark train accuracy reaching the level, stars generalization (:data:`MARKERS`).
* :func:`new_figure` builds a figure without pyplot (no global state, no GUI backend), and
  :func:`save_figure` writes ``PATH.png`` and ``PATH.pdf`` with the Agg renderer.

matplotlib is imported inside the functions only, so importing this module is free.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = [
    "COLORS",
    "GEN_LS",
    "MARKERS",
    "THEORY",
    "THEORY_APPROX",
    "TRAIN_LS",
    "color",
    "log_axes",
    "mark_crossing",
    "new_figure",
    "save_figure",
]

#: Curve colours in the papers' order (red, blue, violet, then more).
COLORS = ["#d62728", "#1f77b4", "#9467bd", "#2ca02c", "#ff7f0e", "#8c564b", "#e377c2"]
#: Theory line: solid black, drawn above the simulations.
THEORY: dict[str, Any] = {"color": "black", "lw": 1.0, "zorder": 5}
#: An approximation to the theory (e.g. Eq. 12): dashed black.
THEORY_APPROX: dict[str, Any] = {"color": "black", "lw": 1.0, "ls": "--", "zorder": 5}
TRAIN_LS = "--"
GEN_LS = "-"
#: Markers at the accuracy-level crossings: diamond for train, star for generalization.
MARKERS = {"train": "D", "gen": "*"}

_RC = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 7,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "lines.linewidth": 1.4,
    "savefig.dpi": 150,
    "pdf.fonttype": 42,
}


def color(i: int) -> str:
    """The ``i``-th curve colour (cycling)."""
    return COLORS[i % len(COLORS)]


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    width: float | None = None,
    height: float | None = None,
    **subplot_kw: Any,
):
    """A ``(fig, axes)`` pair built without pyplot; ``axes`` is squeezed as in ``subplots``.

    The default size is 3.2 × 2.6 inches per panel.
    """
    import matplotlib

    matplotlib.rcParams.update(_RC)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width or 3.2 * ncols, height or 2.6 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True, **subplot_kw)
    return fig, axes


def log_axes(ax, *, x: bool = True, y: bool = False) -> None:
    """Log-scale the x (default) and/or y axis of ``ax``."""
    if x:
        ax.set_xscale("log")
    if y:
        ax.set_yscale("log")


def mark_crossing(ax, t: float | None, y: float, which: str, c: str, **kw: Any) -> None:
    """Mark a level crossing at ``(t, y)`` (nothing if ``t`` is None or not finite)."""
    import math

    if t is None or not math.isfinite(float(t)) or float(t) <= 0:
        return
    size = 7 if which == "gen" else 5
    ax.plot(
        [t],
        [y],
        marker=MARKERS[which],
        ms=size,
        color=c,
        mec="black",
        mew=0.5,
        ls="none",
        zorder=6,
        **kw,
    )


def save_figure(fig, path: str | os.PathLike) -> list[Path]:
    """Write ``path.png`` and ``path.pdf`` (``path`` without suffix) and return both paths."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_pdf import FigureCanvasPdf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    png = path.with_name(path.name + ".png")
    pdf = path.with_name(path.name + ".pdf")
    FigureCanvasAgg(fig).print_figure(png, dpi=_RC["savefig.dpi"])
    FigureCanvasPdf(fig).print_figure(pdf, metadata={"CreationDate": None})
    return [png, pdf]
