"""The list of model families: ids mapped to module paths, imported lazily.

A model module exposes ``ID``, ``Config``, ``predict``, ``simulate`` and, for theory sweeps,
``theory_grid``; simulated sweeps run ``simulate`` per grid cell (:mod:`groklab.sweep`), or a
model's vectorized ``simulate_grid`` where it has one. Registering a family here makes
``groklab models`` list it and the contract tests pick it up.
"""

from __future__ import annotations

import difflib
import importlib
from types import ModuleType

__all__ = ["MODELS", "PAPERS", "PLANNED", "get_model", "model_ids"]

#: Implemented families: id -> module path (imported on first use).
MODELS: dict[str, str] = {
    "linear-teacher": "groklab.models.linear_teacher",
    "separability": "groklab.models.separability",
    "separability-1d": "groklab.models.separability_1d",
    "logit-reg": "groklab.models.logit_reg",
    "ball": "groklab.models.ball",
    "exp-1d": "groklab.models.exp_1d",
    "langevin-mlp": "groklab.models.langevin_mlp",
    "rule-learning": "groklab.models.rule_learning",
}

#: One-line source of each implemented family.
PAPERS: dict[str, str] = {
    "linear-teacher": "Levi, Beck, Bar-Sinai 2023: linear teacher–student regression",
    "separability": "Beck, Levi, Bar-Sinai 2025: logistic regression at the edge of separability",
    "separability-1d": "Beck, Levi, Bar-Sinai 2025: 1-D toy model at the edge of separability",
    "logit-reg": "Beck, Bar-Sinai, Levi 2026: the implicit bias of logit regularization",
    "ball": "Žunkovič & Ilievski 2024: uniform-ball perceptron with an ε gap, L1/L2 gradient flow",
    "exp-1d": "Žunkovič & Ilievski 2024: 1-D exponential model (bias-only perceptron, ε gap)",
    "langevin-mlp": "Jules, Brener, Kachman, Levi, Bar-Sinai 2023: Langevin sampling of an MLP's "
    "low-loss landscape",
    "rule-learning": "Žunkovič & Ilievski 2024: rule-30 teacher, tensor-network attention student",
}

#: Families described in DESIGN.md that are not implemented yet: id -> (paper, issue number).
PLANNED: dict[str, tuple[str, int]] = {}


def model_ids() -> list[str]:
    """Ids of the implemented model families, in registration order."""
    return list(MODELS)


def get_model(model_id: str) -> ModuleType:
    """The module of model family ``model_id``.

    Raises
    ------
    ValueError
        For an unknown id (with the closest match), or a planned family not implemented yet.
    """
    if model_id in MODELS:
        return importlib.import_module(MODELS[model_id])
    if model_id in PLANNED:
        paper, issue = PLANNED[model_id]
        raise ValueError(
            f"Model {model_id!r} ({paper}) is planned but not implemented yet (issue {issue}). "
            f"Available models: {', '.join(MODELS)}."
        )
    close = difflib.get_close_matches(model_id, list(MODELS) + list(PLANNED), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"Unknown model {model_id!r}.{hint} Run `groklab models` to list them.")
