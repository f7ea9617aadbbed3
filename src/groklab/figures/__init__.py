"""Registry of reproducible figures: recipes with quick and full variants, plots and claims.

A figure module (one per paper, e.g. ``groklab.figures.levi2023``) registers each figure::

    from groklab.figures import register

    register(
        "levi2023/fig1",
        paper="Levi, Beck, Bar-Sinai 2023 (arXiv:2310.16441)",
        number="1",
        title="Losses and accuracies vs λ; grokking delay vs λ",
        compute_quick=lambda: ...,   # -> xarray.Dataset, small sizes, < 1 min on 2 cores
        compute_full=lambda: ...,    # -> xarray.Dataset, the paper's parameters
        plot=plot_fig1,              # (ds, path_without_suffix) -> writes .png and .pdf
        claims=claims_fig1,          # ds -> [{"claim", "measured", "expected", "passed"}, ...]
    )

:func:`reproduce` runs a recipe and writes, under ``OUT/<paper>/``, ``FIG.nc`` (the data, via
:func:`groklab.store.save`), ``FIG.png``, ``FIG.pdf`` and ``FIG.claims.json``. Modules listed in
``_MODULES`` (and, for a package, its public submodules) are imported the first time the
registry is used, so importing ``groklab.figures`` stays cheap; matplotlib is imported by the
plot functions only (see :mod:`._style`).
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import json
import os
import pkgutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from groklab._config import jsonable

__all__ = [
    "FigureRecipe",
    "claim",
    "figure_ids",
    "get_figure",
    "register",
    "reproduce",
    "figure_paths",
    "CLAIMS_SUFFIX",
]

#: Figure modules, imported lazily on first use of the registry.
_MODULES: list[str] = [
    "groklab.figures.levi2023",
    "groklab.figures.beck2025",
    "groklab.figures.beck2026",
    "groklab.figures.zunkovic2024",
    "groklab.figures.jules2023",
]

CLAIMS_SUFFIX = ".claims.json"


@dataclasses.dataclass(frozen=True)
class FigureRecipe:
    """One reproducible figure.

    Attributes
    ----------
    id
        ``"<paper-key>/<figure>"``, e.g. ``"levi2023/fig1"``; also the output path stem.
    paper, number, title
        The source (paper and figure number as printed) and a one-line description.
    compute_quick, compute_full
        Zero-argument callables returning an ``xarray.Dataset``: quick (small sizes, under a
        minute on 2 cores) and full (the paper's parameters).
    plot
        ``plot(ds, path)`` draws from the Dataset only and writes ``path.png`` and ``path.pdf``
        (``path`` has no suffix).
    claims
        ``claims(ds)`` returns a list of ``{"claim", "measured", "expected", "passed"}`` dicts.
    """

    id: str
    paper: str
    number: str
    title: str
    compute_quick: Callable[[], Any]
    compute_full: Callable[[], Any]
    plot: Callable[[Any, Path], Any]
    claims: Callable[[Any], list[dict]]
    description: str = ""


_REGISTRY: dict[str, FigureRecipe] = {}
_loaded = False


def register(
    id: str,
    *,
    paper: str,
    number: str | int,
    title: str,
    compute_quick: Callable[[], Any],
    compute_full: Callable[[], Any],
    plot: Callable[[Any, Path], Any],
    claims: Callable[[Any], list[dict]],
    description: str = "",
) -> FigureRecipe:
    """Register a figure recipe under ``id`` and return it.

    Raises
    ------
    ValueError
        For an id not of the form ``paper/figure`` or an id already registered.
    """
    parts = id.split("/")
    if len(parts) != 2 or not all(parts) or any(c.isspace() for c in id):
        raise ValueError(f"Figure id {id!r} must look like 'paper/figure', e.g. 'levi2023/fig1'.")
    if id in _REGISTRY:
        raise ValueError(f"Figure {id!r} is already registered; a changed figure gets a new id.")
    recipe = FigureRecipe(
        id=id,
        paper=paper,
        number=str(number),
        title=title,
        compute_quick=compute_quick,
        compute_full=compute_full,
        plot=plot,
        claims=claims,
        description=description,
    )
    _REGISTRY[id] = recipe
    return recipe


def claim(text: str, measured: Any, expected: Any, passed: bool) -> dict:
    """One claim record of a figure: what the paper says, what was measured, what was expected
    and whether it held (the format :func:`reproduce` writes to ``FIG.claims.json``)."""
    return {"claim": text, "measured": measured, "expected": expected, "passed": bool(passed)}


def unregister(id: str) -> None:
    """Remove a recipe (for tests)."""
    _REGISTRY.pop(id, None)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in _MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency inside the module: surface it
                raise
            continue
        # A paper may be a package with one module per figure: import its public submodules.
        for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
            if not info.name.startswith("_"):
                importlib.import_module(f"{name}.{info.name}")


def figure_ids() -> list[str]:
    """Ids of every registered figure, sorted."""
    _load()
    return sorted(_REGISTRY)


def get_figure(id: str) -> FigureRecipe:
    """The recipe registered under ``id``; an unknown id raises ValueError with close matches."""
    _load()
    if id in _REGISTRY:
        return _REGISTRY[id]
    close = difflib.get_close_matches(id, list(_REGISTRY), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"Unknown figure {id!r}.{hint} Run `groklab figures` to list them.")


def figure_paths(id: str, out_dir: str | os.PathLike) -> dict[str, Path]:
    """Where :func:`reproduce` writes the files of figure ``id`` under ``out_dir``."""
    stem = Path(out_dir) / id
    return {
        "png": stem.with_name(stem.name + ".png"),
        "pdf": stem.with_name(stem.name + ".pdf"),
        "data": stem.with_name(stem.name + ".nc"),
        "claims": stem.with_name(stem.name + CLAIMS_SUFFIX),
    }


def _check_claims(id: str, claims: Any) -> list[dict]:
    out = []
    for i, c in enumerate(claims):
        if not isinstance(c, dict) or not {"claim", "measured", "expected", "passed"} <= set(c):
            raise ValueError(
                f"Claim {i} of figure {id!r} must be a dict with keys claim, measured, "
                f"expected and passed; got {c!r}."
            )
        out.append({**jsonable(c), "passed": bool(c["passed"])})
    return out


def reproduce(id: str, quick: bool, out_dir: str | os.PathLike) -> dict:
    """Compute, save, plot and check the claims of figure ``id``.

    Writes ``OUT/<id>.nc``, ``.png``, ``.pdf`` and ``.claims.json`` and returns the claims
    record (also the content of the JSON file): ``figure``, ``paper``, ``number``, ``title``,
    ``variant``, ``claims``, ``n_passed``, ``n_failed``, ``seconds`` and ``files`` (relative to
    ``out_dir``).
    """
    from groklab import __version__
    from groklab.store import save

    recipe = get_figure(id)
    out_dir = Path(out_dir)
    paths = figure_paths(id, out_dir)
    paths["data"].parent.mkdir(parents=True, exist_ok=True)
    variant = "quick" if quick else "full"
    start = time.perf_counter()
    ds = (recipe.compute_quick if quick else recipe.compute_full)()
    ds.attrs.update(figure=id, variant=variant)
    ds = save(
        ds, paths["data"], config=ds.attrs.get("config") or {"figure": id, "variant": variant}
    )
    recipe.plot(ds, out_dir / id)
    missing = [str(paths[k]) for k in ("png", "pdf") if not paths[k].exists()]
    if missing:
        raise RuntimeError(f"The plot of figure {id!r} did not write {', '.join(missing)}.")
    claims = _check_claims(id, recipe.claims(ds))
    record = {
        "figure": id,
        "paper": recipe.paper,
        "number": recipe.number,
        "title": recipe.title,
        "description": recipe.description,
        "variant": variant,
        "groklab_version": __version__,
        "seconds": round(time.perf_counter() - start, 3),
        "claims": claims,
        "n_passed": sum(c["passed"] for c in claims),
        "n_failed": sum(not c["passed"] for c in claims),
        "files": {k: paths[k].relative_to(out_dir).as_posix() for k in ("png", "pdf", "data")},
    }
    tmp = paths["claims"].with_name(paths["claims"].name + f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=2, allow_nan=False, ensure_ascii=False) + "\n")
    os.replace(tmp, paths["claims"])
    return record
