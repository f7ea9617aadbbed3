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
:func:`groklab.store.save`), ``FIG.png``, ``FIG.pdf`` and ``FIG.claims.json``.

**Grid recipes.** A figure whose compute is a grid of independent cells (a phase diagram)
registers a :class:`Grid` instead of (or besides) ``compute_quick``/``compute_full``::

    register("paper/figN", ..., grid=Grid(cells=cells, compute_cell=compute_cell,
                                          assemble=assemble))

``cells(quick)`` lists the cell specs (JSON-able dicts, in a fixed order), the module-level
function ``compute_cell(spec)`` computes one cell's Dataset from its spec alone, and
``assemble(quick, datasets)`` builds the figure's Dataset from the cells' Datasets (in the order
of ``cells``) without numerics of its own beyond combining them. By default (no executor
options) the cells run one after the other in this process (:func:`compute_grid`). With
``workers`` or ``cluster`` (``groklab reproduce FIG --workers N`` / ``--cluster ADDRESS``),
:func:`reproduce` runs them as tasks on the sweep executors of :mod:`groklab.sweep_exec`
(a process pool or Dask) through the sweep store: each finished cell is saved at once in
``OUT/<id>.nc.d`` (locked while it runs), a rerun reuses the finished cells, a task lost with
its worker is retried, and a damaged cell file is named. A cell's numbers depend only on its
spec, so every executor and worker count gives the same bits as the default path.

Modules listed in
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
    "FigureGridError",
    "FigureRecipe",
    "Grid",
    "claim",
    "compute_grid",
    "figure_ids",
    "get_figure",
    "register",
    "grid_figure_ids",
    "read_grid",
    "reproduce",
    "run_grid",
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


#: Attributes :func:`groklab.store.save` adds to a cell file; a cell's Dataset reaches
#: ``assemble`` without them, whether it was computed here or read back from the store.
_STORE_ATTRS = ("config", "config_hash", "groklab_version", "precision", "checksum")


class FigureGridError(RuntimeError):
    """Cells of a figure grid kept failing; the figure cannot be assembled."""


@dataclasses.dataclass(frozen=True)
class Grid:
    """The compute of a figure made of independent cells (see the module docstring).

    Attributes
    ----------
    cells
        ``cells(quick) -> list[dict]``: the cell specs, JSON-able and distinct, in order.
    compute_cell
        ``compute_cell(spec) -> xarray.Dataset``: a module-level function (workers import it
        by name), whose result depends on ``spec`` only.
    assemble
        ``assemble(quick, datasets) -> xarray.Dataset``: the figure's Dataset from the cells'
        Datasets, in the order of ``cells(quick)``.
    """

    cells: Callable[[bool], list[dict]]
    compute_cell: Callable[[dict], Any]
    assemble: Callable[[bool, list], Any]

    def __post_init__(self) -> None:
        fn = self.compute_cell
        qualname = getattr(fn, "__qualname__", "")
        if not callable(fn) or "<" in qualname or "." in qualname:
            raise ValueError(
                f"Grid.compute_cell must be a module-level function (workers import it by "
                f"name); got {fn!r}."
            )

    @property
    def ref(self) -> str:
        """``"module:function"`` of :attr:`compute_cell`."""
        return f"{self.compute_cell.__module__}:{self.compute_cell.__qualname__}"


def _cell_view(ds):
    """A cell's Dataset as ``assemble`` sees it: without the store's bookkeeping attributes."""
    ds = ds.copy()
    for key in _STORE_ATTRS:
        ds.attrs.pop(key, None)
    return ds


def compute_grid(grid: Grid, quick: bool):
    """The figure's Dataset with every cell computed in this process, one after the other."""
    specs = [dict(spec) for spec in grid.cells(quick)]
    return grid.assemble(quick, [_cell_view(grid.compute_cell(dict(spec))) for spec in specs])


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
    grid
        For a figure made of independent cells, its :class:`Grid` (else None): the cells can
        then run on a process pool or a Dask cluster (:func:`reproduce`).
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
    grid: Grid | None = None


_REGISTRY: dict[str, FigureRecipe] = {}
_loaded = False


def register(
    id: str,
    *,
    paper: str,
    number: str | int,
    title: str,
    compute_quick: Callable[[], Any] | None = None,
    compute_full: Callable[[], Any] | None = None,
    plot: Callable[[Any, Path], Any],
    claims: Callable[[Any], list[dict]],
    description: str = "",
    grid: Grid | None = None,
) -> FigureRecipe:
    """Register a figure recipe under ``id`` and return it.

    With ``grid``, ``compute_quick`` and ``compute_full`` default to :func:`compute_grid` of
    the quick and full variants.

    Raises
    ------
    ValueError
        For an id not of the form ``paper/figure``, an id already registered, or a recipe
        without a way to compute (neither ``compute_quick``/``compute_full`` nor ``grid``).
    """
    parts = id.split("/")
    if len(parts) != 2 or not all(parts) or any(c.isspace() for c in id):
        raise ValueError(f"Figure id {id!r} must look like 'paper/figure', e.g. 'levi2023/fig1'.")
    if id in _REGISTRY:
        raise ValueError(f"Figure {id!r} is already registered; a changed figure gets a new id.")
    if grid is not None:
        compute_quick = compute_quick or (lambda: compute_grid(grid, True))
        compute_full = compute_full or (lambda: compute_grid(grid, False))
    if compute_quick is None or compute_full is None:
        raise ValueError(f"Figure {id!r} needs compute_quick and compute_full, or a grid.")
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
        grid=grid,
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


def _grid_plan(recipe: FigureRecipe, variant: str) -> tuple[list[tuple[str, dict]], dict]:
    """The keyed cells and the store manifest of a grid figure's variant."""
    from groklab import __version__
    from groklab._config import config_hash

    grid = recipe.grid
    cells = []
    for spec in grid.cells(variant == "quick"):
        try:
            key = config_hash({"figure": recipe.id, "variant": variant, "spec": spec})
        except (TypeError, ValueError) as exc:
            raise ValueError(f"A cell spec of figure {recipe.id!r} is not JSON-able: {spec!r} "
                             f"({exc}).") from None
        cells.append((key, dict(spec)))
    keys = [key for key, _ in cells]
    if len(set(keys)) != len(keys):
        raise ValueError(f"The cells of figure {recipe.id!r} ({variant}) are not distinct.")
    manifest = {
        "format": "groklab-figure-grid/1",
        "mode": "figure",
        "figure": recipe.id,
        "variant": variant,
        "function": grid.ref,
        "groklab_version": __version__,
        "sweep_id": config_hash({"figure": recipe.id, "variant": variant, "cells": keys,
                                 "version": __version__}),
        "cells": [[key, spec] for key, spec in cells],
    }
    return cells, manifest


def run_grid(
    id: str,
    quick: bool,
    out: str | os.PathLike | None = None,
    *,
    workers: int | None = None,
    cluster: str | None = None,
    batch: int = 1,
    retries: int = 2,
    report: Callable[[Any], None] | None = None,
):
    """Compute the grid figure ``id`` with its cells as tasks on an executor (see the module
    docstring), keeping the cells in the sweep folder ``out.d`` (``out`` the figure's data
    file; None: no store). Returns ``(Dataset, counts)``, counts as
    :meth:`groklab.sweep_exec.Progress.summary`.

    Raises
    ------
    FigureGridError
        When cells kept failing (each named with its error); the finished cells are kept, and
        a rerun retries only the failed ones.
    """
    from groklab import sweep_exec
    from groklab.sweep import run_cell_tasks

    recipe = get_figure(id)
    if recipe.grid is None:
        raise ValueError(
            f"Figure {id!r} is not a grid of independent cells, so it runs in this process "
            f"only; drop --workers/--cluster. Grid figures: {', '.join(grid_figure_ids())}."
        )
    variant = "quick" if quick else "full"
    cells, manifest = _grid_plan(recipe, variant)
    spec_of = dict(cells)
    results, failures, progress = run_cell_tasks(
        cells, manifest, sweep_exec.function_work(recipe.grid.ref), out=out, workers=workers,
        cluster=cluster, batch=batch, retries=retries, report=report,
        describe=lambda key: {"cell": spec_of[key]},
    )
    if failures:
        lines = "; ".join(f"{rec['cell']}: {rec['error']}" for rec in list(failures.values())[:3])
        raise FigureGridError(
            f"{len(failures)} of {len(cells)} cells of figure {id!r} failed ({lines}). The "
            "other cells are kept" + (f" in {out}.d" if out is not None else "")
            + "; run the same command again to retry the failed ones."
        )
    ds = recipe.grid.assemble(quick, [_cell_view(results[key]) for key, _ in cells])
    return ds, progress.summary()


def read_grid(path: str | os.PathLike) -> list[tuple[dict, Any]]:
    """The cells of a figure grid's sweep folder (``FIG.nc`` or ``FIG.nc.d``) as they stand,
    while it runs or after it was killed: ``(spec, Dataset or None)`` in grid order, None for a
    cell not finished. Every finished cell is verified (a damaged file raises naming it)."""
    from groklab.store import SweepStore

    store = SweepStore(path)
    manifest = store.manifest()
    if manifest.get("mode") != "figure":
        raise ValueError(f"{store.root} holds a model sweep; read it with groklab.sweep."
                         "read_sweep.")
    found = store.cells({key for key, _ in manifest["cells"]})
    return [(spec, _cell_view(found[key]) if key in found else None)
            for key, spec in manifest["cells"]]


def grid_figure_ids() -> list[str]:
    """Ids of the figures made of independent cells (they run on executors), sorted."""
    return [fid for fid in figure_ids() if _REGISTRY[fid].grid is not None]


def reproduce(
    id: str,
    quick: bool,
    out_dir: str | os.PathLike,
    *,
    workers: int | None = None,
    cluster: str | None = None,
    batch: int = 1,
    retries: int = 2,
    report: Callable[[Any], None] | None = None,
) -> dict:
    """Compute, save, plot and check the claims of figure ``id``.

    Writes ``OUT/<id>.nc``, ``.png``, ``.pdf`` and ``.claims.json`` and returns the claims
    record (also the content of the JSON file): ``figure``, ``paper``, ``number``, ``title``,
    ``variant``, ``claims``, ``n_passed``, ``n_failed``, ``seconds`` and ``files`` (relative to
    ``out_dir``).

    With ``workers`` (a local process pool) or ``cluster`` (Dask: ``tcp://HOST:PORT`` or
    ``local:N``), a grid figure's cells run as tasks (``batch`` cells each, ``retries``
    resubmissions of a task lost with its worker, ``report`` called with the progress) and are
    kept in ``OUT/<id>.nc.d``, from which a rerun resumes; the record then also has
    ``executed`` (cells reused, computed, failed, retried). A figure without a grid raises
    ValueError with these options.
    """
    from groklab import __version__
    from groklab.store import save

    recipe = get_figure(id)
    out_dir = Path(out_dir)
    paths = figure_paths(id, out_dir)
    paths["data"].parent.mkdir(parents=True, exist_ok=True)
    variant = "quick" if quick else "full"
    start = time.perf_counter()
    executed = None
    if workers is not None or cluster is not None:
        ds, executed = run_grid(id, quick, paths["data"], workers=workers, cluster=cluster,
                                batch=batch, retries=retries, report=report)
    else:
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
    if executed is not None:
        record["executed"] = executed
    tmp = paths["claims"].with_name(paths["claims"].name + f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=2, allow_nan=False, ensure_ascii=False) + "\n")
    os.replace(tmp, paths["claims"])
    return record
