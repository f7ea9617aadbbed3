"""Figures of Levi, Beck, Bar-Sinai 2023: Figs. 1–3 and 6 (:mod:`.curves`), Fig. 4
(:mod:`.phase`) and Fig. 5 (:mod:`.students`)."""

from groklab.figures.levi2023 import curves, phase, students  # noqa: F401
