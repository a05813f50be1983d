"""``zpgen merge OUT IN1 IN2 ...``: merge the ROOT or Parquet outputs of independent jobs."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from zpgen.commands import check_compression

EPILOG = """\
examples:
  zpgen merge all.root job_0.root job_1.root job_2.root
  zpgen merge all.parquet out/job_*.parquet

The jobs must share the card apart from run.seed, run.job_index and run.output. Every job's
w sum to the full expected number of events, so the merged w = w / n_jobs: the merged sum
of w is the mean of the jobs' sums (w_xsec likewise, in cm^2). Histograms are recomputed.
The output is written to a temporary and renamed only when complete. An existing OUT is
replaced only with --overwrite, and never when it is one of the inputs.
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "merge", help="merge ROOT/Parquet outputs of independent jobs of one card",
        description="Concatenate the events of independent jobs of the same card so "
                    "that w sums to the expected number of events: the jobs of one K-job "
                    "array keep their weights (each carries 1/K), other inputs are "
                    "rescaled to 1/n of the merged estimate each.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", metavar="OUT", help="merged output (.root or .parquet)")
    p.add_argument("inputs", metavar="IN", nargs="+", help="job outputs (two or more)")
    p.add_argument("--step-size", type=int, default=100_000, metavar="N",
                   help="events read per chunk (default 100000)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing OUT (never one of the inputs)")
    p.add_argument("--compression", metavar="CODEC[:LEVEL]",
                   help="compression of OUT (as in zpgen generate --compression; default: "
                        "the format's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from zpgen.writers import WriterError
    from zpgen.writers.merge import MergeError, merge_files

    if args.step_size < 1:
        print(f"zpgen merge: error: --step-size: must be >= 1, got {args.step_size}",
              file=sys.stderr)
        return 2
    check_compression(args.out, None, args.compression)  # CardError: one line, exit 2
    try:
        totals = merge_files(args.out, args.inputs, step_size=args.step_size,
                             overwrite=args.overwrite, compression=args.compression)
    except (MergeError, WriterError, OSError) as exc:
        print(f"zpgen merge: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    print(f"zpgen merge: wrote {args.out}: {totals['n_events']} events from "
          f"{totals['n_jobs']} jobs, sum of w = {totals.get('sum_w')} expected events")
    return 0
