"""The ``groklab`` command line (contract in DESIGN.md, "Command line").

::

    groklab models
    groklab predict  MODEL key=value ... [--json]
    groklab simulate MODEL key=value ... [seeds=N | --seeds N] [method=NAME] [--json]
    groklab sweep    MODEL key=start:stop:num ... [--theory|--simulate] [--out PATH]
                     [--workers N | --cluster tcp://HOST:PORT | --cluster local:N]
    groklab sweep    --status PATH
    groklab figures
    groklab reproduce FIGURE|all [--quick] [--out DIR]
                     [--workers N | --cluster ADDRESS] [--batch N] [--retries N]
    groklab report [--out DIR]

A thin shell: each command parses ``key=value`` pairs, builds the model's ``Config`` through the
same path as the library (so messages match), calls one library function and prints. Errors in
the input (bad keys or values, unknown model or figure, unreadable result files) go to stderr
with exit code 2 and no traceback. ``--json`` prints exactly one JSON object to stdout, with
NaN and infinities as ``null``.

Heavy modules (JAX, xarray, matplotlib) are imported inside the commands, so that
``groklab predict`` answers in about a second.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from groklab._config import jsonable
from groklab.cli_features import features_app

app = typer.Typer(
    name="groklab",
    help="A lab for solvable models of grokking: theory beside simulation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

app.add_typer(features_app, name="features", help="Feature arrays: noise geometry, linear probe.")

_out = Console(highlight=False)

DEFAULT_FIGURES_DIR = Path("results/figures")
DEFAULT_SWEEPS_DIR = Path("results/sweeps")


# ---- shared helpers ------------------------------------------------------------------------


def _fail(message: str, code: int = 2) -> typer.Exit:
    sys.stderr.write(f"Error: {message}\n")
    sys.stderr.flush()
    return typer.Exit(code)


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Turn input errors into a one-line message on stderr and exit code 2."""
    from groklab.store import CorruptResultError

    try:
        yield
    except (ValueError, CorruptResultError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from None


def parse_pairs(tokens: list[str] | None) -> dict[str, str]:
    """``["lam=0.9", "eps=1e-3"]`` → ``{"lam": "0.9", "eps": "1e-3"}``; ValueError otherwise."""
    pairs: dict[str, str] = {}
    for token in tokens or []:
        key, sep, value = token.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(
                f"Expected a parameter as key=value, got {token!r}. "
                "Write parameters as key=value, e.g. lam=0.9 eps=1e-3."
            )
        if key in pairs:
            raise ValueError(f"Parameter {key!r} is given twice ({pairs[key]!r} and {value!r}).")
        pairs[key] = value.strip()
    return pairs


def _parse_seeds(text: str) -> int:
    from groklab._config import Integer, InvalidParameterError

    rule = Integer(1, None)
    try:
        value = rule.parse(text)
    except (TypeError, ValueError):
        value = None
    if value is None or not rule.holds(value):
        raise InvalidParameterError(
            f"The 'seeds' parameter of simulate must be {rule.describe()}. Got {text!r} instead."
        )
    return value


class Result(NamedTuple):
    """What the CLI prints of a ``predict`` or ``simulate`` result: the time axis, the curves
    (ordered (seed, t) for simulations), the attributes and the seeds (None for theory)."""

    t: Any
    curves: dict[str, Any]
    attrs: dict[str, Any]
    seeds: Any = None


def result_of(ds) -> Result:
    """The :class:`Result` of an xarray Dataset: its data variables along ``t`` (and ``seed``)."""
    curves = {}
    for name, var in ds.data_vars.items():
        dims = set(var.dims)
        if "t" in dims and dims <= {"seed", "t"}:
            curves[str(name)] = var.transpose(*[d for d in ("seed", "t") if d in dims]).values
    seeds = ds["seed"].values if "seed" in ds.coords else None
    return Result(ds["t"].values, curves, dict(ds.attrs), seeds)


def payload(model_id: str, res: Result, params: dict[str, Any]) -> dict[str, Any]:
    """The ``--json`` object of DESIGN.md for a ``predict`` or ``simulate`` result."""
    obj: dict[str, Any] = {
        "model": model_id,
        "params": params,
        "time_unit": res.attrs.get("time_unit", "steps"),
        "t": res.t,
        "curves": res.curves,
        "grokking": res.attrs.get("grokking"),
        "advice": list(res.attrs.get("advice", []) or []),
    }
    if "summary" in res.attrs:
        obj["summary"] = res.attrs["summary"]
    return jsonable(obj)


def _num(x: Any) -> str:
    if x is None:
        return "never"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "never" if not math.isfinite(v) else f"{v:.4g}"


def _print_result(kind: str, model_id: str, res: Result, given: dict[str, str]) -> None:
    import numpy as np

    unit = res.attrs.get("time_unit", "steps")
    grok = res.attrs.get("grokking")
    records = grok if isinstance(grok, list) else [grok] if grok else []
    first = records[0] if records else {}
    shown = " ".join(f"{k}={v}" for k, v in given.items()) or "defaults"
    _out.print(f"[bold]{model_id}[/bold] {kind}: {escape(shown)}", soft_wrap=True)
    title = f"grokking ({first.get('detector', '?')}, level {_num(first.get('level'))}; {unit})"
    table = Table(title=title, title_justify="left")
    if isinstance(grok, list):
        table.add_column("seed", justify="right")
    for col in ("t_train", "t_gen", "delay"):
        table.add_column(col, justify="right")
    table.add_column("note")
    seeds = res.seeds if res.seeds is not None else range(len(records))
    for seed, rec in zip(seeds, records, strict=False):
        row = [_num(rec.get(k)) for k in ("t_train", "t_gen", "delay")] + [
            escape(str(rec.get("message", "")))
        ]
        table.add_row(*([str(seed)] if isinstance(grok, list) else []), *row)
    _out.print(table)
    for line in res.attrs.get("advice", []) or []:
        _out.print(f"advice: {escape(str(line))}", soft_wrap=True)

    curves = res.curves
    t = np.asarray(res.t, dtype=float)
    idx = np.unique(np.linspace(0, t.size - 1, min(t.size, 7)).round().astype(int))
    names = [n for n in ("loss_train", "loss_gen", "acc_train", "acc_gen") if n in curves]
    label = f" (mean of {len(res.seeds)} seeds)" if res.seeds is not None else ""
    curve_table = Table(title=f"curves{label}", title_justify="left")
    curve_table.add_column(f"t ({unit})", justify="right")
    for n in names:
        curve_table.add_column(n, justify="right")
    for i in idx:
        row = [_num(t[i])]
        for n in names:
            values = curves[n]
            row.append(_num(np.mean(values[..., i]) if values.ndim > 1 else values[i]))
        curve_table.add_row(*row)
    _out.print(curve_table)


# ---- commands ------------------------------------------------------------------------------

_Params = Annotated[
    list[str] | None,
    typer.Argument(metavar="KEY=VALUE...", help="Model parameters, e.g. lam=0.9 eps=1e-3."),
]
_Json = Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout.")]


def _version(value: bool) -> None:
    if value:
        from groklab import __version__

        typer.echo(f"groklab {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """A lab for solvable models of grokking: theory beside simulation."""


@app.command()
def models() -> None:
    """List the model families and their parameters."""
    import dataclasses
    import inspect

    from groklab.models.registry import MODELS, PAPERS, PLANNED, get_model

    table = Table(title="groklab models", title_justify="left")
    for col in ("model", "status", "paper"):
        table.add_column(col)
    for model_id in MODELS:
        table.add_row(model_id, "implemented", PAPERS.get(model_id, ""))
    for model_id, (paper, issue) in PLANNED.items():
        table.add_row(model_id, f"planned (issue {issue})", paper)
    _out.print(table)
    for model_id in MODELS:
        with _errors():
            module = get_model(model_id)
        params = Table(title=f"{model_id} parameters (key=value)", title_justify="left")
        for col in ("key", "default", "allowed", "meaning"):
            params.add_column(col)
        for f in dataclasses.fields(module.Config):
            rule = f.metadata.get("constraint")
            params.add_row(
                f.name,
                escape(str(f.default)),
                escape(rule.describe()) if rule is not None else "",
                escape(f.metadata.get("help", "")),
            )
        _out.print(params)
        seeds = inspect.signature(module.simulate).parameters.get("seeds")
        if seeds is not None:
            _out.print(
                f"`groklab simulate {model_id}` also takes seeds=N (default {seeds.default})."
            )


@app.command()
def predict(
    model: Annotated[str, typer.Argument(help="Model id, e.g. linear-teacher.")],
    params: _Params = None,
    json_out: _Json = False,
) -> None:
    """Theory curves and grokking times of MODEL at the given parameters."""
    with _errors():
        from groklab.models.registry import get_model

        module = get_model(model)
        pairs = parse_pairs(params)
        config = module.Config.from_strings(pairs)
        # predict_curves (where a model has it) skips building an xarray Dataset: importing
        # xarray alone costs about half a second, the theory itself milliseconds.
        if hasattr(module, "predict_curves"):
            res = Result(*module.predict_curves(config))
        else:
            res = result_of(module.predict(config))
    _emit("predict", module.ID, res, config.to_dict(), pairs, json_out)


@app.command()
def simulate(
    model: Annotated[str, typer.Argument(help="Model id, e.g. linear-teacher.")],
    params: _Params = None,
    seeds: Annotated[
        int | None, typer.Option("--seeds", min=1, help="Number of seeds (or seeds=N).")
    ] = None,
    json_out: _Json = False,
) -> None:
    """Simulated curves (one per seed) and grokking times of MODEL."""
    with _errors():
        from groklab.models.registry import get_model

        module = get_model(model)
        given = parse_pairs(params)
        pairs = dict(given)
        if "seeds" in pairs:
            n = _parse_seeds(pairs.pop("seeds"))
            if seeds is not None and seeds != n:
                raise ValueError(f"Give the number of seeds once: seeds={n} and --seeds {seeds}.")
            seeds = n
        kwargs = {} if seeds is None else {"seeds": seeds}
        if "method" in pairs:  # e.g. exact/flow/gd (linear-teacher), gd/flow (separability)
            import inspect

            if "method" not in inspect.signature(module.simulate).parameters:
                raise ValueError(f"Model {module.ID!r} has one simulation method; drop method=.")
            kwargs["method"] = pairs.pop("method")
        config = module.Config.from_strings(pairs)
        ds = module.simulate(config, **kwargs)
    params_out = {**config.to_dict(), "seeds": int(ds.sizes.get("seed", seeds or 0))}
    if "method" in kwargs:
        params_out["method"] = kwargs["method"]
    if "seeds" not in given and "seed" in ds.sizes:
        given["seeds"] = str(ds.sizes["seed"])
    _emit("simulate", module.ID, result_of(ds), params_out, given, json_out)


def _emit(
    kind: str, model_id: str, res: Result, params: dict[str, Any], given: dict[str, str],
    json_out: bool,
) -> None:
    if json_out:
        sys.stdout.write(json.dumps(payload(model_id, res, params), allow_nan=False) + "\n")
    else:
        _print_result(kind, model_id, res, given)


@app.command()
def sweep(
    model: Annotated[
        str | None, typer.Argument(help="Model id, e.g. linear-teacher.", show_default=False)
    ] = None,
    specs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="KEY=SPEC...",
            help="Grids as key=start:stop:num, key=log:start:stop:num or key=a,b,c; "
            "fixed parameters as key=value; seeds=N per cell with --simulate.",
        ),
    ] = None,
    theory: Annotated[
        bool, typer.Option("--theory/--simulate", help="Evaluate the theory (default) or simulate.")
    ] = True,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output file (default results/sweeps/MODEL-HASH.nc); a "
                     "simulated sweep keeps its cells in OUT.d and resumes from there."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Simulate on a local pool of N worker processes."),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option("--cluster", metavar="ADDRESS",
                     help="Simulate on Dask: tcp://HOST:PORT (a running scheduler) or local:N."),
    ] = None,
    batch: Annotated[
        int, typer.Option("--batch", help="Grid cells per task (one vectorized call where the "
                          "model has simulate_batch).")
    ] = 1,
    retries: Annotated[
        int, typer.Option("--retries", help="Resubmissions of a task lost with its worker.")
    ] = 2,
    status: Annotated[
        Path | None,
        typer.Option("--status", metavar="PATH", help="Show the progress of the sweep at PATH."),
    ] = None,
) -> None:
    """Evaluate MODEL on a parameter grid and write one Dataset."""
    from groklab.store import SweepLockedError

    if status is not None:
        with _errors():
            if model is not None or specs:
                raise ValueError("--status PATH takes no model or grid; give only the path.")
            from groklab.sweep import sweep_status

            info = sweep_status(status)
        _print_sweep_status(info)
        return
    start = time.perf_counter()
    try:
        with _errors():
            ds, path = _run_sweep(model, specs, theory, out, workers, cluster, batch, retries)
    except SweepLockedError as exc:
        raise _fail(str(exc)) from None
    except (KeyboardInterrupt, ConnectionError) as exc:
        why = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
        raise _fail(f"The sweep stopped ({why}). Finished cells are saved; run the same "
                    "command again to resume.", code=130 if why == "interrupted" else 1) from None
    _print_sweep(ds, path, time.perf_counter() - start)


def _run_sweep(model, specs, theory, out, workers, cluster, batch, retries):
    """Parse, validate and run one sweep (theory in-process; simulation on an executor)."""
    from groklab.models.registry import get_model
    from groklab.store import save
    from groklab.sweep import simulate_sweep, split_specs, theory_sweep

    if model is None:
        raise ValueError("Give a model id, e.g. `groklab sweep linear-teacher lam=0.1:0.9:5`, "
                         "or --status PATH.")
    module = get_model(model)
    pairs = parse_pairs(specs)
    seeds = pairs.pop("seeds", None)
    if theory and (seeds is not None or workers is not None or cluster is not None):
        what = "'seeds' parameter" if seeds is not None else "--workers/--cluster options"
        raise ValueError(f"The {what} applies to --simulate sweeps only.")
    base, axes = split_specs(module.Config, pairs)
    grid_specs = {k: pairs[k] for k in axes}
    if theory:
        ds = theory_sweep(module, base, axes, specs=grid_specs)
        path = out or DEFAULT_SWEEPS_DIR / f"{module.ID}-{ds.attrs['sweep_id']}.nc"
        return save(ds, path), path
    n = None if seeds is None else _parse_seeds(seeds)
    if out is None:
        from groklab.sweep import plan_simulation

        plan = plan_simulation(module, base, axes, seeds=n, specs=grid_specs)  # validate first
        out = DEFAULT_SWEEPS_DIR / f"{module.ID}-{plan.manifest['sweep_id']}.nc"
    with _SweepBar() as bar:
        ds = simulate_sweep(module, base, axes, seeds=n, specs=grid_specs, out=out,
                            workers=workers, cluster=cluster, batch=batch, retries=retries,
                            report=bar.update)
    return save(ds, out), out


class _SweepBar:
    """A rich progress bar on stderr: cells done / total, running tasks, failures, ETA."""

    def __enter__(self):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("cells"), BarColumn(), MofNCompleteColumn(),
            TextColumn("running {task.fields[running]}"),
            TextColumn("failed {task.fields[failed]}"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=Console(stderr=True, highlight=False),
        )
        self._task = None
        self._bar.__enter__()
        return self

    def update(self, p) -> None:
        if self._task is None:
            # reused cells count as done from the start, not in the rate behind the ETA
            self._task = self._bar.add_task("sweep", total=p.total, completed=p.finished,
                                            running=p.running, failed=p.failed)
        self._bar.update(self._task, completed=p.finished, running=p.running, failed=p.failed)

    def __exit__(self, *exc):
        return self._bar.__exit__(*exc)


def _print_sweep_status(info: dict) -> None:
    if info.get("figure"):
        _out.print(f"Cells of figure {info['figure']} ({info['variant']}) for {info['path']} "
                   f"(id {info['sweep_id']})", soft_wrap=True)
    else:
        shape = " × ".join(f"{k} ({n})" for k, n in info["shape"].items())
        _out.print(f"Sweep {info['path']}: {info['model']} over {shape}, {info['seeds']} seeds "
                   f"per cell (id {info['sweep_id']})", soft_wrap=True)
    _out.print(f"cells: {info['done']} done, {info['failed']} failed, {info['pending']} pending "
               f"of {info['cells']}")
    holder = info["running"]
    if holder is not None:
        _out.print(f"running: pid {holder.get('pid')} on {holder.get('host')} since "
                   f"{holder.get('since')}")
    elif info["pending"] or info["failed"]:
        again = "reproduce" if info.get("figure") else "sweep"
        _out.print(f"not running: run the same {again} command again to resume")
    else:
        _out.print("complete" + ("" if info["consolidated"] else " (not consolidated yet: run "
                                 "the sweep command again to write the file)"))
    for record in info["failures"][:10]:
        cell = ", ".join(f"{k}={v!r}" for k, v in record.get("cell", {}).items())
        _out.print(f"failed {cell}: {escape(str(record.get('error')))}", soft_wrap=True)


def _print_sweep(ds, path: Path, seconds: float) -> None:
    import numpy as np

    swept = list(ds.attrs.get("swept", [])) or [str(d) for d in ds.dims]
    shape = " × ".join(f"{k} ({ds.sizes[k]})" for k in swept if k in ds.sizes)
    _out.print(f"Wrote {path}", soft_wrap=True)
    _out.print(
        f"{ds.attrs.get('model')} {ds.attrs.get('mode', 'theory')} sweep over {shape}: "
        f"{int(np.prod([ds.sizes[k] for k in swept if k in ds.sizes]))} points "
        f"in {seconds:.2f} s",
        soft_wrap=True,
    )
    if ds.attrs.get("cells_failed"):
        _out.print(f"failed: {ds.attrs['cells_failed']} of {ds.attrs['cells_total']} cells "
                   f"(NaN in the file; `groklab sweep --status {path}` lists the errors)",
                   soft_wrap=True)
    if "never_groks" in ds:
        never = np.asarray(ds["never_groks"].values, dtype=bool)
        _out.print(
            f"never groks: {int(never.sum())} of {never.size} points ({100 * never.mean():.1f} %)"
        )
    if "delay" in ds:
        delay = np.asarray(ds["delay"].values, dtype=float)
        finite = delay[np.isfinite(delay)]
        if finite.size:
            _out.print(
                f"delay: {finite.min():.4g} … {finite.max():.4g} "
                f"{ds.attrs.get('time_unit', 'steps')} (median {np.median(finite):.4g})"
            )


@app.command()
def figures() -> None:
    """List the reproducible figures."""
    with _errors():
        from groklab.figures import figure_ids, get_figure

        ids = figure_ids()
    if not ids:
        _out.print("No figures are registered.")
        return
    table = Table(title="groklab figures", title_justify="left")
    for col in ("figure", "paper", "fig.", "title"):
        table.add_column(col)
    for fid in ids:
        r = get_figure(fid)
        table.add_row(fid, r.paper, r.number, r.title)
    _out.print(table)
    _out.print("Reproduce one with `groklab reproduce FIGURE --quick`, all with `reproduce all`.")


@app.command()
def reproduce(
    figure: Annotated[str, typer.Argument(help="Figure id (see `groklab figures`) or 'all'.")],
    quick: Annotated[
        bool, typer.Option("--quick", help="Small sizes, same physics (under a minute each).")
    ] = False,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = DEFAULT_FIGURES_DIR,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Run the cells of grid figures (phase diagrams) on a "
                     "local pool of N worker processes; they are kept in OUT/FIG.nc.d and a "
                     "rerun resumes."),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option("--cluster", metavar="ADDRESS",
                     help="Run the cells of grid figures on Dask: tcp://HOST:PORT (a running "
                     "scheduler) or local:N."),
    ] = None,
    batch: Annotated[int, typer.Option("--batch", help="Grid cells per task.")] = 1,
    retries: Annotated[
        int, typer.Option("--retries", help="Resubmissions of a task lost with its worker.")
    ] = 2,
) -> None:
    """Reproduce a figure (or all): PNG, PDF, data and checked claims.

    With --workers or --cluster, figures made of independent cells (phase diagrams; `all`:
    those among them) run their cells as tasks on that executor, with the same numbers as
    without; the other figures run in this process.

    Exits with 1 when a claim fails or a figure cannot be computed.
    """
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    distributed = workers is not None or cluster is not None
    with _errors():
        from groklab.figures import figure_ids, get_figure, grid_figure_ids
        from groklab.figures import reproduce as run
        from groklab.sweep import check_run_options
        from groklab.sweep_exec import check_executor_options

        ids = figure_ids() if figure == "all" else [get_figure(figure).id]
        if not ids:
            raise ValueError("No figures are registered yet; nothing to reproduce.")
        check_executor_options(workers, cluster)
        check_run_options(batch, retries)
        grids = set(grid_figure_ids())
        if distributed and figure != "all" and ids[0] not in grids:
            raise ValueError(
                f"Figure {ids[0]!r} is not a grid of independent cells, so it runs in this "
                f"process only; drop --workers/--cluster. Grid figures: "
                f"{', '.join(sorted(grids))}."
            )
    failed: list[str] = []
    broken: list[str] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=_out, transient=True) as progress:
        task = progress.add_task("reproducing", total=len(ids))
        for fid in ids:
            progress.update(task, description=f"{fid} ({'quick' if quick else 'full'})")
            options = {}
            if distributed and fid in grids:
                options = {"workers": workers, "cluster": cluster, "batch": batch,
                           "retries": retries, "report": _CellsBar(progress).update}
            try:
                record = run(fid, quick=quick, out_dir=out, **options)
            except KeyboardInterrupt:
                where = f" in {out / fid}.nc.d" if options else ""
                raise _fail(f"Interrupted. Finished cells are saved{where}; run the same "
                            "command again to resume.", code=130) from None
            except Exception as exc:  # one broken figure must not hide the others
                broken.append(fid)
                progress.console.print(
                    f"[red]ERROR[/red] {fid}: {type(exc).__name__}: {escape(str(exc))}",
                    soft_wrap=True,
                )
                progress.advance(task)
                continue
            ok = record["n_failed"] == 0
            if not ok:
                failed.append(fid)
            mark = "[green]PASS[/green]" if ok else "[red]FAIL[/red]"
            cells = record.get("executed")
            ran = (f"; cells: {cells['computed']} computed, {cells['reused']} reused"
                   + (f", {cells['retried']} retried" if cells["retried"] else "")
                   if cells else "")
            progress.console.print(
                f"{mark} {fid} ({record['variant']}, {record['seconds']:.1f} s{ran}): "
                f"{record['n_passed']}/{len(record['claims'])} claims pass",
                soft_wrap=True,
            )
            for c in record["claims"]:
                word = "[green]pass[/green]" if c["passed"] else "[red]FAIL[/red]"
                progress.console.print(
                    f"    {word} {escape(str(c['claim']))} — measured "
                    f"{escape(_short(c['measured']))}, expected {escape(_short(c['expected']))}",
                    soft_wrap=True,
                )
            progress.advance(task)
    _out.print(
        f"Figures, data and claims in {out}/; HTML page: `groklab report --out {out}`.",
        soft_wrap=True,
    )
    if broken:
        raise _fail(
            f"{len(broken)} of {len(ids)} figures could not be computed: {', '.join(broken)}"
            + (f"; {len(failed)} more have failing claims: {', '.join(failed)}." if failed
               else "."),
            code=3,
        )
    if failed:
        raise _fail(
            f"{len(failed)} of {len(ids)} figures have failing claims: {', '.join(failed)}.",
            code=1,
        )


class _CellsBar:
    """A second bar in the figures' progress: the cells of one grid figure (done / total,
    running tasks, failures, ETA); removed when the figure is done."""

    def __init__(self, progress) -> None:
        self._progress = progress
        self._task = None

    def update(self, p) -> None:
        text = f"  cells (running {p.running}, failed {p.failed})"
        if self._task is None:
            self._task = self._progress.add_task(text, total=p.total, completed=p.finished)
        self._progress.update(self._task, description=text, completed=p.finished)
        if p.finished == p.total and p.running == 0:
            self._progress.remove_task(self._task)
            self._task = None


def _short(value: Any, limit: int = 160) -> str:
    """A compact one-line rendering of a claim's measured/expected value."""

    def fmt(x: Any) -> str:
        if isinstance(x, float):
            return f"{x:.4g}"
        if isinstance(x, list):
            return "[" + ", ".join(fmt(v) for v in x) + "]"
        if isinstance(x, dict):
            return "{" + ", ".join(f"{k}: {fmt(v)}" for k, v in x.items()) + "}"
        return "null" if x is None else str(x)

    text = fmt(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@app.command()
def report(
    out: Annotated[
        Path, typer.Option("--out", help="Folder of reproduced figures.")
    ] = DEFAULT_FIGURES_DIR,
) -> None:
    """Write OUT/report.html: every reproduced figure with its table of checked claims."""
    with _errors():
        from groklab.report import read_claims, write_report

        path = write_report(out)
        records = read_claims(out)
    n = sum(len(r.get("claims", [])) for r in records)
    passed = sum(bool(c.get("passed")) for r in records for c in r.get("claims", []))
    _out.print(f"{len(records)} figures, {passed}/{n} claims pass.")
    _out.print(f"Report: {path}", soft_wrap=True)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="groklab")


if __name__ == "__main__":
    main()
