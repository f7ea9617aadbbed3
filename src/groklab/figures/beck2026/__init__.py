"""Figures of Beck, Bar-Sinai, Levi 2026, "The Implicit Bias of Logit Regularization"
(arXiv:2602.12039; spec ``beck2026-logit-regularization.md``).

One module per group of figures; each registers its recipes on import (the registry imports
every public submodule of this package on first use).
"""
