"""Run the K jobs of a gridpack on any ``concurrent.futures`` executor, then merge them.

docs/architecture.md, "Scale and merging jobs".  A job is :func:`run_job` of a
:class:`JobSpec`: it loads the grid, generates its ``n_events`` with the stream of its job
index (SeedSequence spawn key ``(job_index, ...)``, see :mod:`zpgen.generate`) and writes
its own file.  :func:`run_jobs` submits the K jobs to an executor, waits for all of them
and merges the outputs with :func:`zpgen.writers.merge.merge_files` (merged ``w`` =
``w / K``; each job's ``w`` already sums to the full expected count).  The events of a job
depend only on the grid, the seed and the job index, never on the executor, the worker or
the thread count, so every executor gives bit-identical merged files.

Stopping
--------
A stop signal (SIGINT, SIGTERM, SIGHUP; :mod:`zpgen.signals`) or a failed job stops the
whole run: the parent creates a *stop file* (``.<OUT>.<random>.stop`` in the job folder)
that every job checks before each chunk, cancels the jobs not yet started, sends SIGTERM to
its worker processes (``processes``: each aborts its writer, removing its temporary, then
dies by the signal), waits for the running jobs to end (at most :data:`STOP_WAIT_S`, then
SIGKILL), and removes every temporary of the job files and of OUT, the job files (unless
``keep_jobs``) and the stop file.  No worker outlives the run: pool workers also get
SIGTERM from the kernel if the parent dies (``PR_SET_PDEATHSIG`` on Linux).  Dask jobs
on a remote scheduler cannot be signalled; they stop at their next chunk through the stop
file (shared file system), a ``LocalCluster`` is closed with the run.

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
import secrets
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import signals, tempfiles

__all__ = ["EXECUTORS", "JobSpec", "JobStopped", "JobsError", "LocalExecutor", "job_paths",
           "make_executor", "run_job", "run_jobs", "split_events"]

EXECUTORS = ("local", "processes", "dask")
#: Seconds the parent waits for running jobs to stop before killing its workers.
STOP_WAIT_S = 60.0


class JobsError(ValueError):
    """A job array that cannot be run (bad sizes, job files in the way)."""


class JobStopped(RuntimeError):
    """A job saw the run's stop file and stopped (its temporary removed)."""


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
        with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_init_worker, initargs=(os.getpid(),)) as pool:
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
    #: ``CODEC[:LEVEL]`` of the job files and of the merged file (None: the writer's).
    compression: str | None = None
    #: The job stops (removing its temporary) before the next chunk once this file exists.
    stop_file: str | None = None
    #: The user's command line, recorded in the job's file (not the worker's own argv).
    command: str | None = None


def run_job(spec: JobSpec) -> dict[str, Any]:
    """Generate job ``spec.job_index`` from the grid into ``spec.output``; returns a summary.

    Top-level function so that process pools and Dask workers can import it.
    """
    from .gridpack import load_grid
    from .production import generate_file

    start = time.perf_counter()

    def stop_check() -> None:
        if spec.stop_file is not None and os.path.exists(spec.stop_file):
            raise JobStopped(f"job {spec.job_index} stopped: the run is being stopped")

    stop_check()
    grid = load_grid(spec.grid)
    summary = generate_file(grid.card(), spec.output, n_events=spec.n_events, seed=spec.seed,
                            job_index=spec.job_index, n_jobs=spec.n_jobs, grid=grid,
                            chunk_size=spec.chunk_size, detector=spec.detector,
                            threads=spec.threads, fmt=spec.fmt, stop_check=stop_check,
                            command=spec.command, compression=spec.compression)
    return {**asdict(spec), "n_written": summary.n_events, "sum_w": summary.sum_w,
            "seconds": time.perf_counter() - start, "pid": os.getpid()}


def _init_worker(parent_pid: int) -> None:  # pragma: no cover - runs in worker processes
    """Set up a pool worker: die with the parent, leave Ctrl-C to the parent while idle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us with SIGTERM
    if sys.platform.startswith("linux"):
        import ctypes
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before PR_SET_PDEATHSIG took effect
        os._exit(1)
    from .allocator import tune_for_streaming
    tune_for_streaming()


def run_job_in_worker(spec: JobSpec) -> dict[str, Any]:  # pragma: no cover - in workers
    """:func:`run_job` in a pool worker process: on a stop signal the job aborts (its
    temporary removed) and the worker then dies by that signal."""
    with signals.stop_on_signals():
        try:
            return run_job(spec)
        except signals.Stop as stop:
            signals.die_by(stop.signum)
            raise


def split_events(n_events: int, n_jobs: int) -> list[int]:
    """``n_events`` shared as evenly as possible by ``n_jobs`` (the first jobs get one more)."""
    if n_jobs < 1:
        raise JobsError(f"n_jobs: must be >= 1, got {n_jobs}")
    if n_events < n_jobs:
        raise JobsError(f"n_events: must be >= n_jobs = {n_jobs}, got {n_events}")
    base, rest = divmod(int(n_events), int(n_jobs))
    return [base + (1 if j < rest else 0) for j in range(n_jobs)]


def job_paths(output: str | os.PathLike[str], n_jobs: int,
              job_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Per-job file names ``<stem>.job<I><suffix>`` in ``job_dir`` (default: next to it)."""
    out = Path(output)
    folder = Path(job_dir) if job_dir is not None else out.parent
    return [folder / f"{out.stem}.job{j:04d}{out.suffix}" for j in range(n_jobs)]


def _stop_jobs(futures: list[Future[Any]], stop_file: Path, executor: Executor) -> None:
    """Stop every job of a run (module docstring, "Stopping"); runs inside a stop, so
    further signals are already ignored (:mod:`zpgen.signals`)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(stop_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW,
                         0o600))
    pool = isinstance(executor, ProcessPoolExecutor)
    if pool:
        # the pool cancels the jobs not started itself (cancelling their futures from here
        # races with the pool's own bookkeeping once a worker has died)
        executor.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():
            with contextlib.suppress(OSError):
                child.terminate()  # SIGTERM: the job aborts its writer, then the worker dies
    else:
        for f in futures:
            f.cancel()
    if pool:  # the workers end their jobs (temporaries removed) and die: wait for that
        deadline = time.monotonic() + STOP_WAIT_S
        for child in multiprocessing.active_children():
            child.join(max(deadline - time.monotonic(), 0.0))
            if child.is_alive():
                child.kill()
                child.join(5.0)
    else:  # jobs in this process or on Dask see the stop file at their next chunk
        running = [f for f in futures if not f.done()]
        if running:
            wait_futures(running, timeout=STOP_WAIT_S)


def _clean_up(paths: list[Path], output: Path, stop_file: Path, keep_jobs: bool) -> None:
    """Remove the temporaries of the job files and of OUT, the job files unless
    ``keep_jobs``, and the stop file.  Every name removed is this run's: job files that
    existed before the run are refused by :func:`run_jobs`."""
    with signals.deferred():
        for target in (*paths, output):
            for tmp in tempfiles.temporaries_of(target):
                tempfiles.remove_quietly(tmp)
        if not keep_jobs:
            for p in paths:
                tempfiles.remove_quietly(p)
        tempfiles.remove_quietly(stop_file)


def _wait_for(futures: list[Future[Any]]) -> list[Any]:
    """The futures' results, in order; checks every second for a stop that a finaliser
    swallowed (:func:`zpgen.signals.check`) while waiting."""
    from concurrent.futures import FIRST_EXCEPTION, wait

    pending = set(futures)
    while pending:
        signals.check()
        done, pending = wait(pending, timeout=1.0, return_when=FIRST_EXCEPTION)
        for f in done:
            if f.exception() is not None:
                raise f.exception()  # type: ignore[misc]
    return [f.result() for f in futures]


def run_jobs(grid: str | os.PathLike[str], n_events: int, n_jobs: int,
             output: str | os.PathLike[str], *, executor: str = "processes",
             workers: int | None = None, scheduler: str | None = None,
             dask_processes: bool = True, job_dir: str | os.PathLike[str] | None = None,
             keep_jobs: bool = False, seed: int | None = None, chunk_size: int = 20_000,
             detector: bool = True, threads: int | None = None,
             overwrite: bool = False, command: str | None = None,
             merge: bool = True, compression: str | None = None) -> dict[str, Any]:
    """Run ``n_jobs`` jobs of ``grid`` on an executor and merge them into ``output``.

    With ``merge=False`` the K job files are the result (their weights carry 1/K of the
    exposure each, so they chain as they are; no merged file is written, which saves the
    merge's decompression and rewrite of every event); they are kept only if every job
    succeeded.

    ``n_events`` is the total, shared by :func:`split_events`.  ``threads`` per job defaults
    to the cores divided by the concurrent jobs.  Per-job files go to ``job_dir`` (default:
    next to ``output``) and are removed after the merge unless ``keep_jobs``; a job file
    that already exists is refused (it is not this run's to replace or remove), and so is
    an existing ``output`` unless ``overwrite``.  A stop signal or a failed job stops every
    job and removes the temporaries (module docstring, "Stopping").  ``command`` (default:
    this process's command line) is what every job's file records as its provenance.
    ``compression`` (``CODEC[:LEVEL]``, :mod:`zpgen.writers.compression`) applies to the
    job files and the merged file.
    Returns
    ``{"jobs": [...per-job summaries...], "totals": merged totals, "seconds": ...}``.
    """
    from .gridpack import load_grid
    from .outputs import OutputError, check_output_path
    from .production import current_command
    from .writers.merge import merge_files

    start = time.perf_counter()
    grid_path = os.fspath(grid)
    load_grid(grid_path)  # fail early (and clearly) before any job starts
    sizes = split_events(n_events, n_jobs)
    out = Path(output)
    if merge:
        try:
            check_output_path(out, overwrite=overwrite, inputs={"grid": grid_path})
        except OutputError as exc:
            raise JobsError(str(exc)) from None
    paths = job_paths(output, n_jobs, job_dir)
    if job_dir is not None:
        Path(job_dir).mkdir(parents=True, exist_ok=True)
    in_the_way = [p for p in paths if os.path.lexists(p)]
    if in_the_way:
        raise JobsError(f"job file {str(in_the_way[0])!r} exists (from an earlier run?): "
                        "remove it, or choose another --job-dir or OUT")
    if threads is None:
        concurrent = 1 if executor == "local" else min(n_jobs, workers or _cores())
        threads = max(1, _cores() // concurrent) if scheduler is None else 1
    stop_file = paths[0].parent / f".{out.name[:tempfiles.NAME_KEEP]}.{secrets.token_hex(4)}.stop"
    specs = [JobSpec(grid=grid_path, job_index=j, n_jobs=n_jobs, n_events=sizes[j],
                     output=os.fspath(paths[j]), seed=seed, chunk_size=chunk_size,
                     detector=detector, threads=threads, stop_file=os.fspath(stop_file),
                     command=command if command is not None else current_command(),
                     compression=compression)
             for j in range(n_jobs)]
    job = run_job_in_worker if executor == "processes" else run_job
    results: list[dict[str, Any]] = []
    done = False
    try:
        with make_executor(executor, workers, scheduler, dask_processes) as ex:
            futures: list[Future[Any]] = []
            try:
                for spec in specs:
                    futures.append(ex.submit(job, spec))
                results = _wait_for(futures)
            except BaseException:
                _stop_jobs(futures, stop_file, ex)
                raise
        if not merge:
            totals = _mean_totals(paths)
        elif n_jobs == 1:
            tempfiles.publish(paths[0], out)
            from .writers.read import read_metadata
            totals = dict(read_metadata(out)["run_info"].get("totals") or {})
        else:
            totals = merge_files(out, [os.fspath(p) for p in paths], overwrite=True,
                                 compression=compression)
        done = True
    finally:
        _clean_up(paths, out, stop_file, keep_jobs or (done and not merge))
    return {"jobs": results, "totals": totals, "seconds": time.perf_counter() - start,
            "executor": executor, "threads_per_job": threads,
            "files": [] if merge else [os.fspath(p) for p in paths]}


def _mean_totals(paths: list[Path]) -> dict[str, Any]:
    """Totals of a set of unmerged job files: events add up, the full-exposure estimates
    (sum_w, expected_events) are averaged."""
    from .writers.read import read_metadata

    tots = [dict(read_metadata(p)["run_info"].get("totals") or {}) for p in paths]
    out: dict[str, Any] = {"n_events": sum(int(t.get("n_events", 0)) for t in tots)}
    for key in ("sum_w", "expected_events"):
        if all(key in t for t in tots):
            out[key] = sum(float(t[key]) for t in tots) / len(tots)
    return out
