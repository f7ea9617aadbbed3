"""Threshold accuracy, named grokking detectors and crossing times.

Every model reports ``acc_train`` and ``acc_gen`` on a time axis ``t``; the functions here turn
those curves into grokking times the same way for theory and simulation:

* :func:`threshold_accuracy` — fraction of samples whose error is below a threshold (the
  Omnigrok-style accuracy of regression models, Levi et al. 2023 §3.1.2).
* :func:`crossing_time` — the first time a curve reaches a level, interpolated linearly in
  ``log t`` between the two records that bracket it (linearly in ``t`` when the earlier record is
  at ``t = 0``); NaN when the level is never reached within the horizon.
* :func:`grokking_times` — ``t_train``, ``t_gen`` and ``delay = t_gen - t_train`` of a Dataset
  for a named detector, vectorized over every other dimension (seeds, swept parameters).

Named detectors (DESIGN.md):

============  =============================================================================
name          accuracy level
============  =============================================================================
levi2023      variant ``a95`` (0.95, Fig. 4 caption) or ``erf2`` (Erf(√2) ≈ 0.9545, §3.1.3)
beck2025      0.9
power2022     0.99
zunkovic2024  1, i.e. zero error: the perceptron models of Žunkovič & Ilievski 2024, whose
              exact test error reaches 0 at the generalization time t_ε
custom        any level in (0, 1), given as a number
============  =============================================================================
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

__all__ = [
    "Detector",
    "crossing_time",
    "detector",
    "grokking_summary",
    "grokking_times",
    "seed_summaries",
    "threshold_accuracy",
    "DETECTORS",
]

#: Accuracy levels of the named detectors (levi2023 lists its two variants).
DETECTORS: dict[str, float] = {
    "a95": 0.95,
    "erf2": math.erf(math.sqrt(2.0)),
    "levi2023": 0.95,
    "beck2025": 0.9,
    "power2022": 0.99,
    "zunkovic2024": 1.0,
}


@dataclasses.dataclass(frozen=True)
class Detector:
    """A grokking detector: the accuracy level both curves must reach, and its name."""

    name: str
    level: float


def detector(spec: str | float) -> Detector:
    """Resolve a detector name (``levi2023``, ``a95``, ``erf2``, ``beck2025``, ``power2022``)
    or an accuracy level in (0, 1) into a :class:`Detector`.

    Raises
    ------
    ValueError
        For an unknown name or a level outside (0, 1); the message lists the allowed values.
    """
    if isinstance(spec, str) and spec in DETECTORS:
        return Detector(spec, DETECTORS[spec])
    try:
        level = float(spec)
    except (TypeError, ValueError):
        level = math.nan
    if not 0.0 < level < 1.0:  # also rejects NaN
        names = ", ".join(repr(k) for k in DETECTORS)
        raise ValueError(
            f"Unknown threshold {spec!r}: use one of {names}, or an accuracy level in (0, 1)."
        )
    return Detector(f"custom({level:g})", level)


def threshold_accuracy(sq_err: Any, eps: float, axis: int = -1) -> Any:
    """Fraction of samples with per-sample error below ``eps`` (Levi et al. Eq. 10 criterion).

    Works on NumPy and JAX arrays alike. ``sq_err`` holds the per-sample squared error averaged
    over outputs, ``(1/d_out)·‖S^T x − T^T x‖²``.
    """
    return (sq_err < eps).astype(sq_err.dtype).mean(axis=axis)


def crossing_time(t: np.ndarray, y: np.ndarray, level: float, *, rising: bool = True) -> float:
    """First time at which ``y(t)`` reaches ``level`` (``y ≥ level``, or ``≤`` if not rising).

    The crossing is interpolated linearly in ``log t`` between the last record below the level
    and the first at or above it; linearly in ``t`` if the earlier record is at ``t = 0``.
    Returns ``t[0]`` if the first record already satisfies the level and NaN if no record does.
    ``t`` must be increasing and non-negative; NaN values of ``y`` never count as reached.
    """
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    reached = y >= level if rising else y <= level
    idx = np.flatnonzero(reached)
    if idx.size == 0:
        return math.nan
    k = int(idx[0])
    if k == 0:
        return float(t[0])
    t0, t1, y0, y1 = t[k - 1], t[k], y[k - 1], y[k]
    frac = 1.0 if not np.isfinite(y0) or y1 == y0 else (level - y0) / (y1 - y0)
    frac = min(max(frac, 0.0), 1.0)
    if t0 <= 0.0:
        return float(t0 + frac * (t1 - t0))
    return float(math.exp(math.log(t0) + frac * (math.log(t1) - math.log(t0))))


def _crossing_along_t(y: np.ndarray, t: np.ndarray, level: float) -> np.ndarray:
    flat = y.reshape(-1, y.shape[-1])
    out = np.array([crossing_time(t, row, level) for row in flat])
    return out.reshape(y.shape[:-1])


def grokking_times(ds, threshold: str | float = "a95"):
    """Grokking times of a Dataset with ``acc_train`` and ``acc_gen`` along ``t``.

    Returns an ``xarray.Dataset`` with ``t_train``, ``t_gen`` and ``delay`` (NaN where a level
    is never reached within the recorded horizon), over every dimension but ``t``. The detector
    name and level are in ``attrs``.
    """
    import xarray as xr

    det = detector(threshold)
    t = np.asarray(ds["t"].values, dtype=float)
    out = {}
    for name, var in (("t_train", "acc_train"), ("t_gen", "acc_gen")):
        out[name] = xr.apply_ufunc(
            _crossing_along_t,
            ds[var],
            input_core_dims=[["t"]],
            kwargs={"t": t, "level": det.level},
        )
    res = xr.Dataset(out)
    res["delay"] = res["t_gen"] - res["t_train"]
    unit = ds.attrs.get("time_unit", "steps")
    for name in ("t_train", "t_gen", "delay"):
        res[name].attrs.update(units=unit)
    res.attrs.update(detector=det.name, level=det.level, time_unit=unit)
    return res


def grokking_summary(t_train: float, t_gen: float, det: Detector, horizon: float) -> dict:
    """JSON-ready grokking record: null for a level never reached, and which one it was."""

    def num(x: float) -> float | None:
        return None if x is None or not math.isfinite(x) else float(x)

    tt, tg = num(t_train), num(t_gen)
    never = [name for name, v in (("t_train", tt), ("t_gen", tg)) if v is None]
    record: dict[str, Any] = {
        "detector": det.name,
        "level": det.level,
        "t_train": tt,
        "t_gen": tg,
        "delay": None if never else tg - tt,
        "never_reached": never,
    }
    if never:
        which = " and ".join(
            {"t_train": "train", "t_gen": "generalization"}[n] for n in never
        )
        horizon_text = "at any time" if not math.isfinite(horizon) else f"within t ≤ {horizon:g}"
        record["message"] = (
            f"{which} accuracy never reaches {det.level:.4g} {horizon_text}"
        )
    return record


def seed_summaries(t_train, t_gen, seeds, det: Detector, horizon: float,
                   crossing: str = "interpolated in log-time between records") -> list[dict]:
    """One :func:`grokking_summary` per seed (arrays ``t_train``, ``t_gen`` aligned with
    ``seeds``), each tagged with its ``seed`` and how the ``crossing`` was located."""
    return [
        grokking_summary(float(a), float(b), det, horizon) | {"seed": s, "crossing": crossing}
        for a, b, s in zip(np.asarray(t_train).ravel(), np.asarray(t_gen).ravel(), seeds,
                           strict=True)
    ]
