"""Figures of Žunkovič & Ilievski 2024, "Grokking phase transitions in learning local rules with
gradient descent" (JMLR 25(199), 2024; arXiv:2210.15435; spec ``zunkovic2024-local-rules.md``).
Figure ids use the JMLR numbering (``zunkovic2024/figN``).

One module per group of figures; each registers its recipes on import (the registry imports
every public submodule of this package on first use).
"""
