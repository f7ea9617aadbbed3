"""groklab: a laboratory for solvable models of grokking.

Each model family (``groklab.models``) pairs the exact theory of its paper (``predict``) with a
fast JAX simulation of the same dynamics (``simulate``); both return an ``xarray.Dataset`` with the
same variables, measured by the same grokking detectors (``groklab.metrics``).

Importing ``groklab`` is cheap: JAX, xarray and matplotlib load only when a module needs them.
"""

__version__ = "0.1.0"
