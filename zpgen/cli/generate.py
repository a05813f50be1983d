"""``zpgen generate``: weighted events through the detector, streamed to a file."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from zpgen import __version__
from zpgen.card import Card, CardError

from ._common import add_card_arguments, card_from_args

EPILOG = """\
Adapts one VEGAS grid per scattering channel, allocates events to channels in proportion
to their expected rates, samples weighted events with the spin-correlated decay chain,
applies the card's detector and streams chunks to the output. The format follows the
suffix: .root (TTree "events" + TH1D histograms), .hepmc3 (NuHepMC), .lhe, .parquet.
The file appears under its final name only when the run completes.

Weights: sum(w) = expected signal events for the exposure (before efficiency);
sum(w * w_eff * passes) = expected selected events; w_xsec sums to the BR-weighted
flux-averaged cross section per target of each channel (cm^2).

examples:
  zpgen generate -o benchmark.root                      default card, 100k events
  zpgen generate my_card.toml -n 1000000 -o run.parquet
  zpgen generate --set model.mzprime=0.02 -n 20000 -o mz20.hepmc3
  zpgen generate -n 100000 --seed 7 --job-index 3 -o job3.root   (one job of an array)
"""


def _run_info(card: Card, args: argparse.Namespace, summary: Any, channels: list[str]
              ) -> dict[str, Any]:
    overrides = "".join(f"# --set {o}\n" for o in card.overrides)
    text = card.text if card.text else ""
    return {
        "generator": "zpgen",
        "version": __version__,
        "card": (f"# card source: {card.source}\n" + overrides + text),
        "card_dict": card.as_dict(),
        "seed": summary.seed,
        "job_index": summary.job_index,
        "n_events": summary.n_requested,
        "channels": channels,
        "pot": summary.pot,
        "targets": summary.targets,
        "command": " ".join(shlex.quote(a) for a in [Path(sys.argv[0]).name, *sys.argv[1:]]),
        "beam_pdg": 14,
        "target_pdg": 1000060120,
        "xsec_target_scale": "PerTargetOfChannel",
    }


def _validate(args: argparse.Namespace, card: Card) -> None:
    if args.n_events is not None and args.n_events < 1:
        raise CardError(f"--n-events: must be >= 1, got {args.n_events}")
    if args.chunk_size < 1:
        raise CardError(f"--chunk-size: must be >= 1, got {args.chunk_size}")
    if args.job_index < 0:
        raise CardError(f"--job-index: must be >= 0, got {args.job_index}")
    output = Path(args.output or card.run.output)
    if not output.parent.is_dir():
        raise CardError(f"--output: directory {str(output.parent)!r} does not exist")
    if not os.access(output.parent, os.W_OK):
        raise CardError(f"--output: directory {str(output.parent)!r} is not writable")
    if output.exists() and not args.overwrite:
        raise CardError(f"--output: {str(output)!r} exists; pass --overwrite to replace it")
    from zpgen.writers import writer_class_for_path
    from zpgen.writers._base import WriterError
    try:
        writer_class_for_path(output, args.format)
    except (ValueError, KeyError, WriterError) as exc:
        raise CardError(f"--output: {exc}") from exc


def run(args: argparse.Namespace) -> int:
    card = card_from_args(args)
    _validate(args, card)
    output = Path(args.output or card.run.output)
    from zpgen.generate import generate
    from zpgen.writers import writer_for_path
    from zpgen.writers.pipeline import write_stream

    progress = (not args.quiet) and sys.stderr.isatty()
    start = time.perf_counter()
    stream = generate(card, n_events=args.n_events, seed=args.seed,
                      chunk_size=args.chunk_size, detector=not args.no_detector,
                      progress=progress, job_index=args.job_index)
    engine = stream.engine
    channels = list(engine.channels)
    writer = writer_for_path(output, args.format)
    with writer:
        writer.open(os.fspath(output), _run_info(card, args, stream.summary, channels))
        write_stream(stream, writer, threaded=not args.no_threads)
        summary = stream.summary
        info = summary.as_dict()
        totals = {
            "n_events": summary.n_events,
            "sum_w": summary.sum_w,
            "sum_w_xsec": sum(v for v, _ in summary.sigma_flux_avg().values()),
            "sigma_cm2": {k: v for k, (v, _) in summary.sigma_flux_avg().items()},
            "sigma_err_cm2": {k: e for k, (_, e) in summary.sigma_flux_avg().items()},
            "expected_events": info["expected_events"],
            "expected_events_err": info["expected_events_err"],
            "run_summary": info,
        }
        writer.close(totals)
    elapsed = time.perf_counter() - start
    if not args.quiet:
        print(f"zpgen generate: wrote {summary.n_events} events to {output} in "
              f"{elapsed:.1f} s", file=sys.stderr)
        print(f"  expected signal events (before efficiency): {info['expected_events']:.5g}"
              f" +/- {info['expected_events_err']:.2g}", file=sys.stderr)
        for name, ch in info["channels"].items():
            print(f"  {name:<14} n = {ch['n_events']:>8}  sum w = {ch['expected_events']:.5g}"
                  f"  ESS/N = {ch['ess_ratio']:.3f}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("generate", help="generate weighted events into a file",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_card_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="output file (.root, .hepmc3, .lhe, .parquet); default: "
                             "the card's run.output")
    parser.add_argument("-n", "--n-events", type=int, metavar="N",
                        help="number of weighted events (default: run.n_events)")
    parser.add_argument("--seed", type=int, help="root seed of the run (default: run.seed)")
    parser.add_argument("--job-index", type=int, default=0, metavar="J",
                        help="index of this job in a job array: same grids, independent "
                             "events (default 0)")
    parser.add_argument("--chunk-size", type=int, default=100_000, metavar="N",
                        help="events per chunk held in memory (default %(default)s)")
    parser.add_argument("--format", choices=("root", "hepmc3", "lhe", "parquet"),
                        help="force the output format whatever the suffix")
    parser.add_argument("--no-detector", action="store_true",
                        help="skip the detector response (true kinematics only)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing output file")
    parser.add_argument("--no-threads", action="store_true",
                        help="write in the main thread (default: a writer thread overlaps "
                             "output with generation)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar and no summary")
    parser.set_defaults(func=run)
