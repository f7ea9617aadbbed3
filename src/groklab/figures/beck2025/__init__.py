"""Figures of Beck, Levi, Bar-Sinai 2025 ("Grokking at the edge of linear separability"):
the 1-D toy model, Figs. 8 and 9 (:mod:`.toy`)."""

from groklab.figures.beck2025 import toy  # noqa: F401
