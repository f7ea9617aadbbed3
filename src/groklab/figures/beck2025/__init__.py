"""Figures of Beck, Levi, Bar-Sinai 2025, "Grokking at the Edge of Linear Separability"
(arXiv:2410.04489, ICML 2025; spec ``beck2025-edge-of-separability.md``).

Modules: :mod:`.fig1` (Fig. 1, composed from :mod:`.curves` and :mod:`.ensemble`),
:mod:`.curves` (Figs. 5, 10–14), :mod:`.landscape` (Figs. 2, 3), :mod:`.extensions`
(Figs. 4, 15, 16) and :mod:`.toy` (Figs. 8, 9). The registry imports every public submodule on
first use.
"""
