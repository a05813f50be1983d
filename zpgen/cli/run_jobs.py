"""``zpgen run-jobs``: K jobs of a gridpack on a local, process-pool or Dask executor, merged."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from zpgen import run_limits
from zpgen.card import Card, CardError
from zpgen.commands import (
    add_card_arguments,
    card_from_args,
    check_compression,
    check_limits,
    run_inputs,
)

from .generate import DEFAULT_CHUNK, add_adapt_arguments, check_output

EPILOG = """\
Runs K independent jobs (SeedSequence spawn key = job index) from one adapted grid, writes
one file per job and merges them into OUT (each job's w carry 1/K of the exposure, so the
merged sum(w) is the expected number of events; see `zpgen merge`). With --no-merge the K
job files OUT.job0000... are the output: they chain as they are (TChain,
uproot.concatenate), and the merge's rewrite of every event is saved (they are kept only
if every job succeeded). Without --grid the card is adapted first (in this process) into a
temporary grid. -n is the total number of events, shared evenly by the jobs. The merged
file does not depend on the executor, the number of workers or threads. SIGTERM, SIGHUP
or Ctrl-C stop every job (workers included) and remove the temporaries, the job files
(unless --keep-jobs) and the temporary grid; a job file that exists before the run is
refused, never replaced.

examples:
  zpgen run-jobs --grid grid.zpg -n 2000000 --n-jobs 8 -o all.root
  zpgen run-jobs --grid grid.zpg -n 2000000 --n-jobs 2 --no-merge -o run.root
  zpgen run-jobs my_card.toml -n 1000000 --n-jobs 4 --executor processes --workers 2 -o all.root
  zpgen run-jobs --grid grid.zpg -n 1e7 --n-jobs 100 --executor dask \\
      --scheduler tcp://scheduler:8786 --job-dir /shared/jobs -o all.root
"""


def _count(text: str) -> int:
    value = float(text)
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"not an integer: {text}")
    return int(value)


def _validate(args: argparse.Namespace, card: Card) -> Path:
    """Every refusal of a run-jobs run, before any work; returns OUT."""
    from zpgen.executors import job_paths

    check_limits(run_limits.check_events, args.n_events, "--n-events")
    if args.n_jobs < 1:
        raise CardError(f"--n-jobs: must be >= 1, got {args.n_jobs}")
    if args.n_events < args.n_jobs:
        raise CardError(f"--n-events: must be >= --n-jobs = {args.n_jobs}, got "
                        f"{args.n_events}")
    for flag, value in (("--workers", args.workers), ("--threads", args.threads)):
        if value is not None and value < 1:
            raise CardError(f"{flag}: must be >= 1, got {value}")
    if args.chunk_size < 1:
        raise CardError(f"--chunk-size: must be >= 1, got {args.chunk_size}")
    check_limits(run_limits.check_memory, min(args.chunk_size, args.n_events), "--chunk-size")
    if args.scheduler is not None and args.executor != "dask":
        raise CardError("--scheduler: only with --executor dask")
    if args.executor == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise CardError("--executor dask: dask.distributed is not installed; "
                            "pip install 'zpgen[dask]'") from None
    if not args.grid:
        from zpgen.sampler import check_vegas_settings
        try:
            check_vegas_settings(args.nitn, args.neval, args.nitn_final)
        except ValueError as exc:
            raise CardError(f"--{exc}") from None
    output = Path(args.output)
    if args.no_merge and args.keep_jobs:
        raise CardError("--keep-jobs: with --no-merge the job files are the output (kept); "
                        "drop one of the two")
    if not args.no_merge:
        check_output(output, args.overwrite, inputs=run_inputs(args, card))
    check_compression(output, None, args.compression)
    if args.job_dir is not None and not Path(args.job_dir).parent.is_dir():
        raise CardError(f"--job-dir: parent of {args.job_dir!r} does not exist")
    for path in job_paths(output, args.n_jobs, args.job_dir):
        if os.path.lexists(path):
            raise CardError(f"--job-dir: job file {str(path)!r} exists (from an earlier "
                            "run?); remove it, or choose another --job-dir or OUT")
    copies = 1 if args.n_jobs == 1 or args.no_merge else 2  # job files, then the merged file
    check_limits(run_limits.check_disk, output.parent, args.n_events, copies, flag="--n-events")
    return output


def run(args: argparse.Namespace) -> int:
    from zpgen.executors import JobsError, run_jobs
    from zpgen.gridpack import GridError, load_grid

    grid = None
    try:
        if args.grid:
            grid = load_grid(args.grid)
            card = grid.card() if args.card is None and not args.overrides \
                else card_from_args(args)
            grid.check_card(card)
        else:
            card = card_from_args(args)
    except GridError as exc:
        raise CardError(f"--grid: {exc}") from None
    output = _validate(args, card)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".zpgen-grid-", dir=output.parent) as tmp:
        if grid is not None:
            grid_path = args.grid
        else:
            from zpgen.generate import EventGenerator, GenerationError
            from zpgen.gridpack import save_grid
            try:
                engine = EventGenerator(card, seed=args.seed, nitn=args.nitn,
                                        neval=args.neval, nitn_final=args.nitn_final)
                engine.adapt()
            except (GenerationError, ValueError) as exc:
                raise CardError(str(exc)) from None
            grid_path = os.path.join(tmp, "grid.zpg")
            save_grid(grid_path, card, engine)
        try:
            result = run_jobs(grid_path, args.n_events, args.n_jobs, output,
                              executor=args.executor, workers=args.workers,
                              scheduler=args.scheduler, job_dir=args.job_dir,
                              keep_jobs=args.keep_jobs, seed=args.seed,
                              chunk_size=args.chunk_size, detector=not args.no_detector,
                              threads=args.threads, overwrite=args.overwrite,
                              merge=not args.no_merge, compression=args.compression)
        except (JobsError, GridError) as exc:
            raise CardError(str(exc)) from None
    if not args.quiet:
        t = result["totals"]
        where = (f"{len(result['files'])} job files {result['files'][0]} ... (chain them)"
                 if result["files"] else str(output))
        print(f"zpgen run-jobs: {args.n_jobs} jobs on {args.executor} "
              f"({result['threads_per_job']} threads each) -> {where}: "
              f"{t.get('n_events')} events, sum w = {t.get('sum_w', float('nan')):.6g} "
              f"expected events, {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run-jobs", help="run K jobs of a grid on an executor and merge",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_card_arguments(parser)
    parser.add_argument("-o", "--output", metavar="OUT", required=True,
                        help="merged output (.root or .parquet)")
    parser.add_argument("-n", "--n-events", type=_count, required=True, metavar="N",
                        help="total weighted events of all jobs")
    parser.add_argument("--n-jobs", type=int, required=True, metavar="K",
                        help="number of independent jobs")
    parser.add_argument("--grid", metavar="GRID", help="adapted grid from `zpgen adapt`")
    parser.add_argument("--executor", choices=("local", "processes", "dask"),
                        default="processes", help="where the jobs run (default %(default)s)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="worker processes / Dask workers (default: the cores)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask scheduler address (default: a LocalCluster)")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="threads per job (default: cores / concurrent jobs)")
    parser.add_argument("--seed", type=int, help="root seed (default: the grid's run.seed)")
    parser.add_argument("--job-dir", metavar="DIR",
                        help="folder of the per-job files (default: next to OUT)")
    parser.add_argument("--keep-jobs", action="store_true",
                        help="keep the per-job files after merging")
    parser.add_argument("--no-merge", action="store_true",
                        help="write no merged OUT: keep the K job files (OUT.job0000...), "
                             "whose weights carry 1/K of the exposure each, so they chain "
                             "as they are (TChain, uproot.concatenate); skips the merge's "
                             "rewrite of every event")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK, metavar="N",
                        help="events per chunk held in memory (default %(default)s)")
    parser.add_argument("--compression", metavar="CODEC[:LEVEL]",
                        help="compression of the job files and the merged file (as in "
                             "zpgen generate --compression; default: the format's)")
    parser.add_argument("--no-detector", action="store_true",
                        help="skip the detector response")
    add_adapt_arguments(parser)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary")
    parser.set_defaults(func=run)
