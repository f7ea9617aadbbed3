"""``groklab features``: the feature-array interface of spec beck2026 §4.1 (Figs. 3 and 9).

::

    groklab features estimate FEATURES.npy LABELS.npy [--json]
    groklab features probe TRAIN_X.npy TRAIN_Y.npy TEST_X.npy TEST_Y.npy
                           [--alpha 0,0.02,0.2] [--gamma 1,10,30] [--penalty square] [--json]

NumPy, SciPy and :mod:`groklab.features` are imported inside the commands, so that importing
this module (and so ``groklab --help`` or ``groklab predict``) stays fast. Bad files or shapes
give a one-line message on stderr and exit code 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

features_app = typer.Typer(
    help="Signal/noise geometry and linear probes of user-provided feature arrays (Figs. 3, 9).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_out = Console(highlight=False)

_Json = Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout.")]


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"Error: {message}\n")
    sys.stderr.flush()
    return typer.Exit(2)


def _load(path: Path, what: str):
    import numpy as np

    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise _fail(f"{what} file {str(path)!r} does not exist.") from None
    except (OSError, ValueError) as exc:
        raise _fail(f"Cannot read {what} file {str(path)!r} as a .npy array ({exc}).") from None


def _floats(text: str, name: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise _fail(f"--{name} must be a comma-separated list of numbers, e.g. 0,0.02,0.2. "
                    f"Got {text!r}.") from None
    if not values:
        raise _fail(f"--{name} must list at least one number. Got {text!r}.")
    return values


def _emit(obj: dict[str, Any]) -> None:
    from groklab._config import jsonable

    sys.stdout.write(json.dumps(jsonable(obj), allow_nan=False) + "\n")


@features_app.command()
def estimate(
    features: Annotated[Path, typer.Argument(help="Float features, shape (N, p), .npy.")],
    labels: Annotated[Path, typer.Argument(help="Integer labels, shape (N,), .npy.")],
    json_out: _Json = False,
) -> None:
    """Per-class sigma_f and sigma_n normalized by the mean centroid distance (Eq. 35, Fig. 3)."""
    from groklab.features import estimate as run

    X, y = _load(features, "features"), _load(labels, "labels")
    try:
        res = run(X, y)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if json_out:
        _emit(res)
        return
    _out.print(f"N = {res['N']}, p = {res['p']}, K = {res['K']}; mean centroid distance "
               f"m = {res['m']:.4g}", soft_wrap=True)
    table = Table(title="per class (Eq. 35)", title_justify="left")
    for col in ("class", "n", "sigma_f", "sigma_n", "sigma_f/m", "sigma_n/m"):
        table.add_column(col, justify="right")
    for i, c in enumerate(res["classes"]):
        table.add_row(str(c), str(res["n_per_class"][i]), f"{res['sigma_f_c'][i]:.4g}",
                      f"{res['sigma_n_c'][i]:.4g}", f"{res['sigma_f_c_over_m'][i]:.4g}",
                      f"{res['sigma_n_c_over_m'][i]:.4g}")
    table.add_row("mean", "", f"{res['sigma_f']:.4g}", f"{res['sigma_n']:.4g}",
                  f"{res['sigma_f_over_m']:.4g}", f"{res['sigma_n_over_m']:.4g}")
    _out.print(table)
    spec = res["spectrum"]
    _out.print(f"orthogonal-noise spectrum ({len(spec)} eigenvalues): max {spec[0]:.4g}, "
               f"median {spec[len(spec) // 2]:.4g}, min {spec[-1]:.4g} (full list: --json)",
               soft_wrap=True)


@features_app.command()
def probe(
    train_x: Annotated[Path, typer.Argument(help="Training features (N, p), .npy.")],
    train_y: Annotated[Path, typer.Argument(help="Training labels (N,), .npy.")],
    test_x: Annotated[Path, typer.Argument(help="Test features (N', p), .npy.")],
    test_y: Annotated[Path, typer.Argument(help="Test labels (N',), .npy.")],
    alpha: Annotated[str, typer.Option("--alpha", help="Comma-separated alphas in [0, 1).")
                     ] = "0,0.02,0.2",
    gamma: Annotated[str, typer.Option(
        "--gamma", help="Comma-separated orthogonal scalings gamma > 0.")] = "1",
    penalty: Annotated[str, typer.Option("--penalty", help="square (f = ||z||^2) or ls.")
                       ] = "square",
    json_out: _Json = False,
) -> None:
    """Linear-probe test accuracy per (alpha, gamma) (Fig. 9), by the direct convex minimizer."""
    from groklab.features import probe as run

    alphas, gammas = _floats(alpha, "alpha"), _floats(gamma, "gamma")
    arrays = [_load(p, w) for p, w in ((train_x, "training features"),
                                       (train_y, "training labels"),
                                       (test_x, "test features"), (test_y, "test labels"))]
    try:
        res = run(*arrays, alphas=alphas, gammas=gammas, penalty=penalty)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if json_out:
        _emit(res)
        return
    _out.print(f"K = {res['K']}, p = {res['p']}, N_train = {res['n_train']}, N_test = "
               f"{res['n_test']}, penalty {res['penalty']}; {res['method']}", soft_wrap=True)
    table = Table(title="test accuracy", title_justify="left")
    table.add_column("alpha \\ gamma", justify="right")
    for g in res["gammas"]:
        table.add_column(f"{g:g}", justify="right")
    for i, a in enumerate(res["alphas"]):
        table.add_row(f"{a:g}", *(f"{v:.4f}" for v in res["acc_test"][i]))
    _out.print(table)
    bad = [r for r in res["runs"] if not r["converged"]]
    sep = [r for r in res["runs"] if r["separable_train"]]
    if bad:
        _out.print(f"warning: {len(bad)} fits did not reach |grad| < {res['gtol']:g} "
                   "(see --json runs).", soft_wrap=True)
    if sep:
        _out.print("note: at alpha = 0 the training set is separable, so the cross-entropy has "
                   "no minimizer; those entries are the optimizer's end point.", soft_wrap=True)
