"""Run the K jobs of a gridpack on any ``concurrent.futures`` executor, then merge them.

DESIGN.md "Scale".  A job is :func:`run_job` of a :class:`JobSpec`: it loads the grid,
generates its ``n_events`` with the stream of its job index (SeedSequence spawn key
``(job_index, ...)``, see :mod:`zpgen.generate`) and writes its own file.  :func:`run_jobs`
submits the K jobs to an executor, waits for all of them and merges the outputs with
:func:`zpgen.writers.merge.merge_files` (merged ``w`` = ``w / K``; each job's ``w`` already
sums to the full expected count).  The events of a job depend only on the grid, the seed
and the job index, never on the executor, the worker or the thread count, so every executor
gives bit-identical merged files.

Executors (:func:`make_executor`)
---------------------------------
``local``
    Jobs run one after the other in this process (each with all cores' threads).
``processes``
    A ``ProcessPoolExecutor`` (spawn context) of ``workers`` processes, the cores shared
    between them.
``dask``
    ``distributed.Client(...).get_executor()``: the scheduler at ``scheduler`` (e.g.
    ``tcp://host:8786``) or a ``LocalCluster`` of ``workers`` single-threaded workers.
    Needs the optional extra ``zpgen[dask]``.  Workers must be able to import zpgen and
    read the grid and job directory (shared file system).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["EXECUTORS", "JobSpec", "LocalExecutor", "job_paths", "make_executor", "run_job",
           "run_jobs", "split_events"]

EXECUTORS = ("local", "processes", "dask")


class LocalExecutor(Executor):
    """A ``concurrent.futures.Executor`` that runs every call at submission, in this thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            future.set_exception(exc)
        return future


def _cores() -> int:
    from .generate import default_threads
    return default_threads()


@contextlib.contextmanager
def make_executor(kind: str = "processes", workers: int | None = None,
                  scheduler: str | None = None, dask_processes: bool = True
                  ) -> Iterator[Executor]:
    """An executor of the given kind (module docstring), shut down on exit.

    Parameters
    ----------
    kind
        ``local``, ``processes`` or ``dask``.
    workers
        Worker processes (``processes``) or LocalCluster workers (``dask`` without a
        scheduler); default: the available cores.
    scheduler
        Address of a running Dask scheduler (``dask`` only).
    dask_processes
        LocalCluster workers as processes (default) or threads of this process.
    """
    if kind not in EXECUTORS:
        raise ValueError(f"executor: expected one of {', '.join(EXECUTORS)}, got {kind!r}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers: must be >= 1, got {workers}")
    if scheduler is not None and kind != "dask":
        raise ValueError("scheduler: only with the dask executor")
    n = workers or _cores()
    if kind == "local":
        yield LocalExecutor()
    elif kind == "processes":
        with ProcessPoolExecutor(max_workers=n,
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool
    else:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ValueError("executor dask: the dask distributed package is not installed; "
                             "pip install 'zpgen[dask]'") from None
        cluster = None
        if scheduler is not None:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=dask_processes,
                                   dashboard_address=None)
            client = Client(cluster)
        try:
            yield client.get_executor()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


@dataclass(frozen=True)
class JobSpec:
    """One job of a job array (picklable; :func:`run_job` runs it)."""

    grid: str
    job_index: int
    n_jobs: int
    n_events: int
    output: str
    seed: int | None = None
    chunk_size: int = 20_000
    detector: bool = True
    threads: int | None = None
    fmt: str | None = None


def run_job(spec: JobSpec) -> dict[str, Any]:
    """Generate job ``spec.job_index`` from the grid into ``spec.output``; returns a summary.

    Top-level function so that process pools and Dask workers can import it.
    """
    from .cli.generate import generate_file
    from .gridpack import load_grid

    start = time.perf_counter()
    grid = load_grid(spec.grid)
    summary = generate_file(grid.card(), spec.output, n_events=spec.n_events, seed=spec.seed,
                            job_index=spec.job_index, n_jobs=spec.n_jobs, grid=grid,
                            chunk_size=spec.chunk_size, detector=spec.detector,
                            threads=spec.threads, fmt=spec.fmt)
    return {**asdict(spec), "n_written": summary.n_events, "sum_w": summary.sum_w,
            "seconds": time.perf_counter() - start, "pid": os.getpid()}


def split_events(n_events: int, n_jobs: int) -> list[int]:
    """``n_events`` shared as evenly as possible by ``n_jobs`` (the first jobs get one more)."""
    if n_jobs < 1:
        raise ValueError(f"n_jobs: must be >= 1, got {n_jobs}")
    if n_events < n_jobs:
        raise ValueError(f"n_events: must be >= n_jobs = {n_jobs}, got {n_events}")
    base, rest = divmod(int(n_events), int(n_jobs))
    return [base + (1 if j < rest else 0) for j in range(n_jobs)]


def job_paths(output: str | os.PathLike[str], n_jobs: int,
              job_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Per-job file names ``<stem>.job<I><suffix>`` in ``job_dir`` (default: next to it)."""
    out = Path(output)
    folder = Path(job_dir) if job_dir is not None else out.parent
    return [folder / f"{out.stem}.job{j:04d}{out.suffix}" for j in range(n_jobs)]


def run_jobs(grid: str | os.PathLike[str], n_events: int, n_jobs: int,
             output: str | os.PathLike[str], *, executor: str = "processes",
             workers: int | None = None, scheduler: str | None = None,
             dask_processes: bool = True, job_dir: str | os.PathLike[str] | None = None,
             keep_jobs: bool = False, seed: int | None = None, chunk_size: int = 20_000,
             detector: bool = True, threads: int | None = None) -> dict[str, Any]:
    """Run ``n_jobs`` jobs of ``grid`` on an executor and merge them into ``output``.

    ``n_events`` is the total, shared by :func:`split_events`.  ``threads`` per job defaults
    to the cores divided by the concurrent jobs.  Per-job files go to ``job_dir`` (default:
    next to ``output``) and are removed after the merge unless ``keep_jobs``.  Returns
    ``{"jobs": [...per-job summaries...], "totals": merged totals, "seconds": ...}``.
    """
    from .gridpack import load_grid
    from .writers.merge import merge_files

    start = time.perf_counter()
    grid_path = os.fspath(grid)
    load_grid(grid_path)  # fail early (and clearly) before any job starts
    sizes = split_events(n_events, n_jobs)
    paths = job_paths(output, n_jobs, job_dir)
    if job_dir is not None:
        Path(job_dir).mkdir(parents=True, exist_ok=True)
    if threads is None:
        concurrent = 1 if executor == "local" else min(n_jobs, workers or _cores())
        threads = max(1, _cores() // concurrent) if scheduler is None else 1
    specs = [JobSpec(grid=grid_path, job_index=j, n_jobs=n_jobs, n_events=sizes[j],
                     output=os.fspath(paths[j]), seed=seed, chunk_size=chunk_size,
                     detector=detector, threads=threads) for j in range(n_jobs)]
    results: list[dict[str, Any]] = []
    try:
        with make_executor(executor, workers, scheduler, dask_processes) as ex:
            futures = [ex.submit(run_job, spec) for spec in specs]
            try:
                results = [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        if n_jobs == 1:
            os.replace(paths[0], output)
            from .writers.read import read_metadata
            totals = dict(read_metadata(output)["run_info"].get("totals") or {})
        else:
            totals = merge_files(output, [os.fspath(p) for p in paths])
    finally:
        if not keep_jobs:
            for p in paths:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
    return {"jobs": results, "totals": totals, "seconds": time.perf_counter() - start,
            "executor": executor, "threads_per_job": threads}
