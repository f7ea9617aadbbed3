"""Model-agnostic theory: Marchenko-Pastur maths and stable special functions (NumPy/SciPy)."""
