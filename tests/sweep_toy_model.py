"""Source of a tiny NumPy model for the sweep-executor tests, written to a temporary folder
so that worker processes (spawned pools, Dask workers) can import it by name.

Its ``simulate`` can sleep (``pause``), raise (``a == fail_at``) or kill its own process
(``a == crash_at``, ``os._exit``), so the tests can place real faults on chosen cells.
"""

from __future__ import annotations

import sys
from pathlib import Path

NAME = "groklab_sweep_toy"

SOURCE = '''
"""Toy model for sweep tests: deterministic numbers from (a, b, seed), optional faults."""
import dataclasses
import os
import time

import numpy as np
import xarray as xr

from groklab._config import AbstractConfig, Integer, Real, param

ID = "sweep-toy"


@dataclasses.dataclass(frozen=True)
class Config(AbstractConfig):
    a: float = param(1.0, Real(-1e6, 1e6))
    b: float = param(0.0, Real(-1e6, 1e6))
    n: int = param(1, Integer(1, 100))
    pause: float = param(0.0, Real(0, 60))
    fail_at: float = param(-999.0, Real(-1e6, 1e6))
    crash_at: float = param(-999.0, Real(-1e6, 1e6))
    seed: int = param(0, Integer(0, 2**31 - 1))

    def _check(self):
        from groklab._config import InvalidParameterError

        if self.a * self.n > 1000:
            raise InvalidParameterError("a * n must stay below 1000 in Config")


def simulate(config, times=None, seeds=2):
    if config.a == config.crash_at:
        os._exit(3)
    if config.a == config.fail_at:
        raise ValueError(f"toy failure at a={config.a}")
    time.sleep(config.pause)
    seeds = list(range(config.seed, config.seed + seeds))
    t = np.arange(6) if times is None else np.asarray(times)
    noise = np.stack([np.random.default_rng([s, config.n]).random(t.size) for s in seeds])
    loss = np.exp(-config.a * t[None, :] / 3.0) + config.b + 1e-3 * noise * config.n
    ds = xr.Dataset(
        {"loss_train": (("seed", "t"), loss),
         "acc_gen": (("seed", "t"), 1.0 / (1.0 + loss))},
        coords={"seed": seeds, "t": t},
        attrs={"model": ID, "kind": "simulation", "config": config.to_dict(),
               "time_unit": "steps", "precision": "float64",
               "grokking": [{"seed": s, "t_train": 1.0 + s, "t_gen": None, "delay": None}
                            for s in seeds]},
    )
    ds["loss_train"].attrs["long_name"] = "toy loss"
    return ds
'''


def install(folder: Path):
    """Write the toy module into ``folder``, put ``folder`` on ``sys.path``, import it."""
    import importlib

    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{NAME}.py").write_text(SOURCE)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    return importlib.import_module(NAME)
