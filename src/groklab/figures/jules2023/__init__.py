"""Figures of Jules, Brener, Kachman, Levi, Bar-Sinai 2023, "Charting the low-loss landscape with
Langevin dynamics" (spec ``jules2023-langevin-landscape.md``). Only the paper's abstract is
known: each figure says which parts test the paper's claims and which are groklab's protocol.

One module per group of figures; each registers its recipes on import (the registry imports
every public submodule of this package on first use).
"""
