"""Validated, frozen configuration objects shared by every model family.

A family's ``Config`` is a frozen dataclass whose fields are declared with :func:`param`, each
carrying a constraint. Validation runs at construction (and on :func:`dataclasses.replace`),
never inside compiled code, and every violation is reported in one wording::

    The 'eta' parameter of LinearTeacherConfig must be a real number in the range (0, inf).
    Got -0.1 instead.

This module imports only the standard library and NumPy so that ``groklab predict`` starts fast.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "AbstractConfig",
    "Choice",
    "Flag",
    "Integer",
    "InvalidParameterError",
    "Real",
    "param",
]


class InvalidParameterError(ValueError):
    """A parameter value outside its declared range (or an unknown parameter)."""


@dataclasses.dataclass(frozen=True)
class Real:
    """A real number in an interval; ``closed`` says which ends are included."""

    low: float | None = None
    high: float | None = None
    closed: str = "both"  # "both", "left", "right" or "neither"
    allow_none: bool = False

    def holds(self, value: Any) -> bool:
        if value is None:
            return self.allow_none
        if isinstance(value, bool):
            return False
        try:
            v = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return False
        if not np.all(np.isfinite(v)):
            return False
        ok = np.ones(v.shape, dtype=bool)
        if self.low is not None:
            ok &= v >= self.low if self.closed in ("both", "left") else v > self.low
        if self.high is not None:
            ok &= v <= self.high if self.closed in ("both", "right") else v < self.high
        return bool(np.all(ok))

    def describe(self) -> str:
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        extra = " or None" if self.allow_none else ""
        return f"a real number in the range {left}{lo}, {hi}{right}{extra}"

    def parse(self, text: str) -> float | None:
        if self.allow_none and text.lower() in ("none", "null"):
            return None
        return float(text)


@dataclasses.dataclass(frozen=True)
class Integer:
    """An integer in a closed range ``[low, high]`` (``None`` = unbounded)."""

    low: int | None = None
    high: int | None = None
    allow_none: bool = False

    def holds(self, value: Any) -> bool:
        if value is None:
            return self.allow_none
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self) -> str:
        lo = "-inf" if self.low is None else str(self.low)
        hi = "inf" if self.high is None else str(self.high)
        extra = " or None" if self.allow_none else ""
        return f"an integer in the range [{lo}, {hi}]{extra}"

    def parse(self, text: str) -> int | None:
        if self.allow_none and text.lower() in ("none", "null"):
            return None
        value = float(text)
        if not value.is_integer():
            raise ValueError(text)
        return int(value)


@dataclasses.dataclass(frozen=True)
class Choice:
    """One of a fixed set of strings, or (if ``real`` is given) a number obeying ``real``."""

    options: tuple[str, ...]
    real: Real | None = None

    def holds(self, value: Any) -> bool:
        if isinstance(value, str):
            return value in self.options
        return self.real is not None and self.real.holds(value)

    def describe(self) -> str:
        names = ", ".join(repr(o) for o in self.options)
        if self.real is None:
            return f"one of {names}"
        return f"one of {names}, or {self.real.describe()}"

    def parse(self, text: str) -> str | float:
        if text in self.options or self.real is None:
            return text
        try:
            return float(text)
        except ValueError:
            return text


@dataclasses.dataclass(frozen=True)
class Flag:
    """A boolean (``True``/``False``; from strings: true/false/1/0/yes/no/on/off)."""

    def holds(self, value: Any) -> bool:
        return isinstance(value, bool | np.bool_)

    def describe(self) -> str:
        return "a boolean (True or False)"

    def parse(self, text: str) -> bool | str:
        low = text.strip().lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        return text


def param(default: Any, rule: Real | Integer | Choice | Flag, *, help: str = "") -> Any:
    """Declare a config field with a default, a constraint and a one-line description."""
    return dataclasses.field(default=default, metadata={"constraint": rule, "help": help})


@dataclasses.dataclass(frozen=True)
class AbstractConfig:
    """Base of every family's frozen ``Config``: declared constraints, one error wording."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            rule = f.metadata.get("constraint")
            value = getattr(self, f.name)
            if rule is not None and not rule.holds(value):
                raise InvalidParameterError(
                    f"The {f.name!r} parameter of {type(self).__name__} must be "
                    f"{rule.describe()}. Got {value!r} instead."
                )
        self._check()

    def _check(self) -> None:
        """Cross-field checks of a concrete family (override; raise InvalidParameterError)."""

    # ---- construction from strings (CLI, sweeps) -------------------------------------------
    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_strings(cls, pairs: Mapping[str, str], *, aliases: Mapping[str, str] | None = None):
        """Build a config from ``key -> text`` pairs, with messages naming the key."""
        return cls(**cls.parse_strings(pairs, aliases=aliases))

    @classmethod
    def parse_strings(
        cls, pairs: Mapping[str, str], *, aliases: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        fields = {f.name: f for f in dataclasses.fields(cls)}
        out: dict[str, Any] = {}
        for key, text in pairs.items():
            name = (aliases or {}).get(key, key)
            if name not in fields:
                raise InvalidParameterError(unknown_name_message(key, list(fields), cls.__name__))
            rule = fields[name].metadata.get("constraint")
            try:
                out[name] = rule.parse(text) if rule is not None else text
            except (TypeError, ValueError):
                raise InvalidParameterError(
                    f"The {name!r} parameter of {cls.__name__} must be {rule.describe()}. "
                    f"Got {text!r} instead."
                ) from None
        return out

    def replace(self, **changes: Any):
        """A validated copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def config_hash(self) -> str:
        """A stable hash of the canonical config (class name and every field)."""
        return config_hash({"class": type(self).__name__, **self.to_dict()})


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return value


def canonical_json(obj: Any) -> str:
    """Deterministic JSON: sorted keys, floats in repr form, non-finite floats as strings."""

    def fix(x: Any) -> Any:
        if isinstance(x, Mapping):
            return {str(k): fix(v) for k, v in x.items()}
        if isinstance(x, Sequence) and not isinstance(x, str):
            return [fix(v) for v in x]
        if isinstance(x, np.ndarray):
            return fix(x.tolist())
        if isinstance(x, np.generic):
            return fix(x.item())
        if isinstance(x, float) and not math.isfinite(x):
            return repr(x)
        return x

    return json.dumps(fix(obj), sort_keys=True, separators=(",", ":"))


def config_hash(obj: Any) -> str:
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()[:16]


def unknown_name_message(name: str, allowed: Sequence[str], what: str) -> str:
    close = difflib.get_close_matches(name, list(allowed), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (
        f"Unknown parameter {name!r} for {what}.{hint} "
        f"Allowed parameters: {', '.join(sorted(allowed))}."
    )


def jsonable(x: Any) -> Any:
    """Plain JSON values: NumPy scalars and arrays unwrapped, NaN and ±inf as null."""
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, np.generic):
        return jsonable(x.item())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if x is None or isinstance(x, bool | int | float | str):
        return x
    return str(x)
