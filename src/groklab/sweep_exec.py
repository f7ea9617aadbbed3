"""Executors of sweeps (model simulations, figure grids): in-process, a local process pool,
or a Dask cluster.

A sweep is split into **tasks**; a task is a batch of grid cells (one cell by default) that one
worker computes and returns to the client as ``{cell key: Dataset}`` (or a :class:`CellError`
for a cell that raised). The client (:func:`execute`) writes each cell to the store the moment
its task finishes, so the store never depends on a file system shared with the workers. Two
kinds of task:

* :func:`run_cells` (model sweeps, :func:`model_work`): the model's
  ``simulate(config, seeds=n)`` per cell. A model module that defines
  ``simulate_batch(configs, seeds=n[, times=...])`` (a list of Datasets, each
  equal to ``simulate`` of its config to rounding, ≤ 1e-12 relative, tested) gets the whole
  batch of a task in **one** call, so a batch of cells sharing a dataset stays one vectorized
  computation; without it the cells of a task run one
  after the other (sharing the worker's JIT cache).
* :func:`run_function` (figure grids, :func:`function_work`): a module-level function
  ``compute_cell(spec) -> Dataset``, named ``"module:function"``, per cell spec.

Faults:

* a cell whose ``simulate`` raises is recorded as failed at once (same config and seeds give
  the same error, so a retry would only repeat it);
* a task lost with its worker (Dask ``KilledWorker``, a broken process pool, a lost connection
  to a worker) is resubmitted up to ``retries`` times, then its cells are recorded as failed
  with the last error; the sweep goes on. On a Dask cluster the scheduler also reschedules a
  task whose worker died, up to its ``distributed.scheduler.allowed-failures``, before the
  client sees ``KilledWorker``.

Workers import the model (and JAX) themselves: nothing here imports JAX, so the client does
not. Process-pool workers are started with ``spawn`` (forking a process that has JAX loaded is
unsafe). A cell's numbers depend only on its config, seeds and (with ``simulate_batch``) the
batch it ran in, which ``--batch`` and the grid order fix; so every executor and worker count gives
bit-identical results for the same ``--batch`` (tested).
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = [
    "CellError",
    "DaskExecutor",
    "InProcessExecutor",
    "PoolExecutor",
    "Progress",
    "batches",
    "check_executor_options",
    "execute",
    "function_work",
    "make_executor",
    "model_work",
    "resolve",
    "run_cells",
    "run_function",
]


@dataclass(frozen=True)
class CellError:
    """Why one cell's simulation raised (picklable; no traceback objects)."""

    error: str
    detail: str = ""


def _cell_error(exc: BaseException) -> CellError:
    return CellError(f"{type(exc).__name__}: {exc}", "".join(traceback.format_exception(exc)[-3:]))


def run_cells(module_name: str, cells: Sequence[tuple[str, dict]], seeds: int,
              times: Sequence[float] | None = None) -> dict[str, Any]:
    """The task of a model sweep: simulate each ``(key, config dict)`` of ``cells`` with
    ``seeds`` seeds.

    Runs on a worker. Returns ``{key: Dataset}``, with a :class:`CellError` in place of the
    Dataset of a cell whose config or simulation raised. With the model's ``simulate_batch``
    and more than one cell, the batch is one call; if that call raises, the cells run one by
    one, so that only the cell at fault is recorded as failed.
    """
    module = importlib.import_module(module_name)
    kwargs = {} if times is None else {"times": list(times)}
    batched = getattr(module, "simulate_batch", None)
    if batched is not None and len(cells) > 1:
        try:
            configs = [module.Config(**values) for _, values in cells]
            results = list(batched(configs, seeds=seeds, **kwargs))
            if len(results) == len(cells):
                return {key: ds for (key, _), ds in zip(cells, results, strict=True)}
        except Exception:  # noqa: S110  (the per-cell runs below name the failing cell)
            pass
    out: dict[str, Any] = {}
    for key, values in cells:
        try:
            out[key] = module.simulate(module.Config(**values), seeds=seeds, **kwargs)
        except Exception as exc:  # a failed cell must not sink the rest of the batch
            out[key] = _cell_error(exc)
    return out


def resolve(ref: str) -> Callable:
    """The module-level function named by ``"package.module:function"`` (imported here)."""
    module_name, _, name = ref.partition(":")
    if not module_name or not name:
        raise ValueError(f"A cell function is named 'module:function'. Got {ref!r} instead.")
    fn = getattr(importlib.import_module(module_name), name, None)
    if not callable(fn):
        raise ValueError(f"{ref!r} does not name a function of module {module_name!r}.")
    return fn


def run_function(ref: str, cells: Sequence[tuple[str, dict]]) -> dict[str, Any]:
    """The task of a figure grid: ``fn(spec)`` for each ``(key, spec)`` of ``cells``, ``fn``
    the function named by ``ref`` (see :func:`resolve`). Returns ``{key: Dataset}``, with a
    :class:`CellError` for a cell that raised."""
    fn = resolve(ref)
    out: dict[str, Any] = {}
    for key, spec in cells:
        try:
            out[key] = fn(dict(spec))
        except Exception as exc:  # a failed cell must not sink the rest of the batch
            out[key] = _cell_error(exc)
    return out


#: What the client submits for a task: ``work(cells) -> (function, args)``.
Work = Callable[[list], tuple[Callable, tuple]]


def model_work(module_name: str, seeds: int, times: Sequence[float] | None = None) -> Work:
    """Tasks that simulate the cells of a model sweep (:func:`run_cells`)."""
    return lambda cells: (run_cells, (module_name, list(cells), seeds, times))


def function_work(ref: str) -> Work:
    """Tasks that call the cell function ``ref`` on each cell spec (:func:`run_function`)."""
    return lambda cells: (run_function, (ref, list(cells)))


# ---- executors -------------------------------------------------------------------------------
class Outcome(NamedTuple):
    """A finished task: its id, whether it returned, and its value or exception."""

    task_id: int
    ok: bool
    value: Any


class InProcessExecutor:
    """Runs each task in the client, one at a time, in submission order (the default)."""

    name = "in-process"

    def __init__(self) -> None:
        self._queue: list[tuple[int, Callable, tuple]] = []

    @property
    def capacity(self) -> int:
        return 1

    @property
    def inflight(self) -> int:
        return len(self._queue)

    def submit(self, task_id: int, fn: Callable, args: tuple, isolate: bool = False,
               label: str = "") -> None:
        self._queue.append((task_id, fn, args))

    def wait(self, timeout: float) -> list[Outcome]:
        if not self._queue:
            return []
        task_id, fn, args = self._queue.pop(0)
        return [Outcome(task_id, True, fn(*args))]  # an exception here is the client's own

    def close(self) -> None:
        self._queue.clear()


class PoolExecutor:
    """A local pool of ``workers`` processes (``spawn``ed).

    At most ``workers`` tasks are handed to the pool at a time, so a worker that dies breaks
    only the tasks then running (the pool fails everything handed to it). The broken pool is
    replaced and those tasks are reported as failed attempts; a task that already failed once
    (``isolate=True``) runs alone, so a cell that kills its worker cannot take an innocent
    neighbour's attempts with it.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.name = f"process pool ({workers} workers)"
        self._pool = None
        self._futures: dict[Any, tuple[int, bool]] = {}
        self._queue: list[tuple[int, Callable, tuple, bool]] = []

    @property
    def capacity(self) -> int:
        return self.workers

    @property
    def inflight(self) -> int:
        return len(self._futures) + len(self._queue)

    def submit(self, task_id: int, fn: Callable, args: tuple, isolate: bool = False,
               label: str = "") -> None:
        # isolated tasks go first: they run alone, as soon as the pool is idle
        entry = (task_id, fn, args, isolate)
        if isolate:
            self._queue.insert(0, entry)
        else:
            self._queue.append(entry)
        self._dispatch()

    def _dispatch(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        while self._queue and len(self._futures) < self.workers:
            if any(alone for _, alone in self._futures.values()):
                return
            task_id, fn, args, isolate = self._queue[0]
            if isolate and self._futures:
                return
            self._queue.pop(0)
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"))
            self._futures[self._pool.submit(fn, *args)] = (task_id, isolate)

    def wait(self, timeout: float) -> list[Outcome]:
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as wait_futures
        from concurrent.futures.process import BrokenProcessPool

        done, _ = wait_futures(list(self._futures), timeout=timeout,
                               return_when=FIRST_COMPLETED)
        out = []
        for future in done:
            task_id, _ = self._futures.pop(future)
            exc = _exception(future)
            out.append(Outcome(task_id, exc is None, future.result() if exc is None else exc))
            if isinstance(exc, BrokenProcessPool) and self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
        if self._pool is None:  # the others in the broken pool failed too: collect them now
            for future in list(self._futures):
                task_id, _ = self._futures.pop(future)
                exc = _exception(future) if future.done() else BrokenProcessPool("replaced")
                out.append(Outcome(task_id, exc is None, future.result() if exc is None else exc))
        self._dispatch()
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self._futures.clear()
        self._queue.clear()


def _exception(future) -> BaseException | None:
    from concurrent.futures import CancelledError

    try:
        return future.exception()
    except CancelledError as exc:
        return exc


class DaskExecutor:
    """Tasks on a Dask distributed cluster: ``tcp://HOST:PORT`` (a running scheduler) or
    ``local:N`` (a LocalCluster of N single-threaded worker processes, closed at the end).

    The client is not made Dask's default scheduler: otherwise xarray would guard every NetCDF
    operation of the client's store writes with a ``distributed.Lock``, a scheduler round trip
    each (about 60 ms per cell file, measured: 79 -> 20 ms per no-op task)."""

    def __init__(self, address: str) -> None:
        import dask
        from distributed import Client, LocalCluster

        self.address = address
        self._cluster = None
        if address.startswith("local:"):
            n = _positive_int(address[len("local:"):], "--cluster local:N")
            with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
                self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                             host="127.0.0.1", dashboard_address=None)
            self.client = Client(self._cluster, set_as_default=False)
        else:
            try:
                self.client = Client(address, timeout="10s", set_as_default=False)
            except OSError as exc:
                raise ValueError(
                    f"Cannot reach the Dask scheduler at {address!r} ({exc}). Start one with "
                    "`dask scheduler`, or use --cluster local:N for a cluster on this machine."
                ) from None
        self.name = f"dask {self.client.scheduler.address}"
        self._futures: dict[Any, int] = {}
        self._attempt = itertools.count()
        self._threads = (0, 0.0)

    @property
    def capacity(self) -> int:
        count, when = self._threads
        if time.monotonic() - when > 1.0:  # one scheduler round trip per second at most
            with contextlib.suppress(Exception):
                count = sum(self.client.nthreads().values())
            self._threads = (count, time.monotonic())
        return max(count, 1)

    @property
    def inflight(self) -> int:
        return len(self._futures)

    def submit(self, task_id: int, fn: Callable, args: tuple, isolate: bool = False,
               label: str = "") -> None:
        # the scheduler itself quarantines a task whose worker died (allowed-failures)
        key = f"groklab-cell-{label}-task{task_id}-try{next(self._attempt)}"
        future = self.client.submit(fn, *args, key=key, pure=False)
        self._futures[future] = task_id

    def wait(self, timeout: float) -> list[Outcome]:
        from distributed import wait as wait_futures

        if self.client.status not in ("running", "connecting"):
            raise ConnectionError(
                f"Lost the connection to the Dask scheduler at {self.address} "
                f"(client status {self.client.status!r})."
            )
        with contextlib.suppress(TimeoutError), self.client.as_current():
            wait_futures(list(self._futures), timeout=timeout, return_when="FIRST_COMPLETED")
        out = []
        for future in [f for f in self._futures if f.done()]:
            task_id = self._futures.pop(future)
            if future.status == "finished":
                out.append(Outcome(task_id, True, future.result()))
            else:
                try:
                    exc = future.exception(timeout=5)
                except Exception as err:  # cancelled, or the scheduler forgot it
                    exc = err
                out.append(Outcome(task_id, False, exc))
            future.release()
        return out

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.cancel(list(self._futures))
        self._futures.clear()
        with contextlib.suppress(Exception):
            self.client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()


def _positive_int(text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{what} needs a whole number of workers ≥ 1. Got {text!r} instead.")
    return value


def check_executor_options(workers: int | None = None, cluster: str | None = None) -> None:
    """Validate ``--workers N`` / ``--cluster ADDRESS`` before any work (ValueError)."""
    if workers is not None and cluster is not None:
        raise ValueError("Give --workers (a local process pool) or --cluster (Dask), not both.")
    if cluster is not None:
        if not (cluster.startswith(("tcp://", "tls://", "inproc://", "local:"))):
            raise ValueError(
                f"--cluster must be a scheduler address tcp://HOST:PORT or local:N. Got "
                f"{cluster!r} instead."
            )
        if cluster.startswith("local:"):
            _positive_int(cluster[len("local:"):], "--cluster local:N")
    if workers is not None and workers < 1:
        raise ValueError(f"--workers must be at least 1. Got {workers} instead.")


def make_executor(workers: int | None = None, cluster: str | None = None):
    """The executor for ``--workers N`` / ``--cluster ADDRESS`` (neither: in-process)."""
    check_executor_options(workers, cluster)
    if cluster is not None:
        return DaskExecutor(cluster)
    if workers is not None:
        return PoolExecutor(workers)
    return InProcessExecutor()


# ---- progress --------------------------------------------------------------------------------
@dataclass
class Progress:
    """Counts of a running sweep, passed to the ``progress`` callback after each change."""

    total: int
    done: int = 0
    failed: int = 0
    reused: int = 0
    running: int = 0
    retried: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> int:
        return self.done + self.failed

    def summary(self) -> dict[str, int]:
        """Cells reused from the store, computed, failed, and task resubmissions."""
        return {"reused": self.reused, "computed": self.done - self.reused,
                "failed": self.failed, "retried": self.retried}


def execute(
    executor,
    tasks: Sequence[Sequence[tuple[str, dict]]],
    *,
    work: Work,
    on_done: Callable[[str, Any], None],
    on_failed: Callable[[str, dict], None],
    retries: int = 2,
    progress: Progress | None = None,
    report: Callable[[Progress], None] | None = None,
) -> Progress:
    """Run ``tasks`` (each a list of ``(key, spec)``) on ``executor``; ``work(cells)`` gives
    the function and arguments of a task (:func:`model_work`, :func:`function_work`).

    ``on_done(key, Dataset)`` and ``on_failed(key, record)`` are called in the client as each
    task returns. A task lost with its worker is resubmitted up to ``retries`` times.
    """
    progress = progress or Progress(total=sum(len(t) for t in tasks))
    attempts = {i: 0 for i in range(len(tasks))}

    def submit(i: int, isolate: bool = False) -> None:
        fn, args = work(list(tasks[i]))
        executor.submit(i, fn, args, isolate=isolate, label=tasks[i][0][0])

    for i in range(len(tasks)):
        submit(i)
    while executor.inflight:
        progress.running = min(executor.inflight, executor.capacity)
        if report is not None:
            report(progress)
        for outcome in executor.wait(0.25):
            cells = tasks[outcome.task_id]
            if outcome.ok:
                for key, result in outcome.value.items():
                    if isinstance(result, CellError):
                        on_failed(key, {"error": result.error, "detail": result.detail,
                                        "attempts": attempts[outcome.task_id] + 1})
                        progress.failed += 1
                    else:
                        on_done(key, result)
                        progress.done += 1
                continue
            attempts[outcome.task_id] += 1
            if attempts[outcome.task_id] <= retries:
                progress.retried += 1
                submit(outcome.task_id, isolate=True)
                continue
            error = f"{type(outcome.value).__name__}: {outcome.value}"
            for key, _ in cells:
                on_failed(key, {"error": error, "attempts": attempts[outcome.task_id],
                                "detail": "the task was lost with its worker every time"})
                progress.failed += 1
    progress.running = 0
    if report is not None:
        report(progress)
    return progress


def batches(cells: Iterable[tuple[str, dict]], size: int) -> list[list[tuple[str, dict]]]:
    """Consecutive groups of ``size`` cells (grid order: neighbours share most fields)."""
    cells = list(cells)
    return [cells[i:i + size] for i in range(0, len(cells), size)]
