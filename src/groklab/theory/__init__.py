"""Shared mathematics with no model in it (NumPy/SciPy, float64): the Marchenko–Pastur law
(:mod:`.marchenko_pastur`), stable special functions (:mod:`.special`) and linear separability —
Wendel's probability, the LP test, max-margin and S_∞ (:mod:`.separability`)."""
