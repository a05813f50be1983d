"""``zpgen generate``: weighted events through the detector, streamed to a file."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from zpgen import run_limits
from zpgen.card import Card, CardError
from zpgen.commands import (
    add_card_arguments,
    card_from_args,
    check_compression,
    check_limits,
    run_inputs,
)
from zpgen.production import DEFAULT_CHUNK, generate_file

EPILOG = """\
Adapts one VEGAS grid per scattering channel, allocates events to channels in proportion
to their expected rates, samples weighted events with the spin-correlated decay chain,
applies the card's detector and streams chunks to the output. The format follows the
suffix: .root (TTree "events" + TH1D histograms), .hepmc3 (NuHepMC), .lhe, .parquet.
The file appears under its final name only when the run completes.

Weights: sum(w) = expected signal events for the exposure (before efficiency);
sum(w * w_eff * passes) = expected selected events; w_xsec sums to the BR-weighted
flux-averaged cross section per target of each channel (cm^2).

Job arrays: adapt once (`zpgen adapt CARD -o grid.zpg`), then every job draws its own
independent stream (SeedSequence spawn key = job index) from the shared grid; with --grid
the card is the grid's (a CARD or --set given as well must match it). -n is the number of
events of this job. With --n-jobs K every job's w sums to 1/K of the expected count
(run_info "weight_share"), so the K files chain as they are (TChain, uproot.concatenate)
and `zpgen merge` copies their events with the weights unchanged; without --n-jobs a
job's w sums to the full expected count.

Adaptation cache: a run without --grid stores its VEGAS maps in ~/.cache/zpgen/grids
(or $ZPGEN_CACHE/grids; ZPGEN_CACHE=off disables it) under the hash of the physics card,
seed, VEGAS settings, input files and zpgen version; a later run with the same ones loads
them instead of adapting (the same events, a second or two less). The file's run_info says
whether the cache was used ("adaptation_cache").

Unweighted events (--unweighted): exactly N events of equal weight w = expected events / N,
kept by accept-reject against a maximum weight per channel estimated from a pilot sample
(the smallest cap whose excess carries <= 2e-4 of the cross section); the summary prints
the unweighting efficiency and the share of the cross section above the cap (warned about
above 1e-3). LHE files say IDWTUP = 3, every file's metadata says "unweighted".

examples:
  zpgen generate -o benchmark.root                      default card, 100k events
  zpgen generate -n 100000 --unweighted -o u.hepmc3      equal-weight events for Geant4
  zpgen generate my_card.toml -n 1000000 -o run.parquet
  zpgen generate -n 1000000 --compression lz4:1 -o fast.root   faster, 18% larger
  zpgen generate --set model.mzprime=0.02 -n 20000 -o mz20.hepmc3
  zpgen generate --grid grid.zpg --job-index 3 --n-jobs 10 -n 100000 -o out_3.root
"""


def _validate(args: argparse.Namespace, card: Card) -> None:
    n_events = card.run.n_events if args.n_events is None else args.n_events
    check_limits(run_limits.check_events, n_events, "--n-events")
    if args.chunk_size < 1:
        raise CardError(f"--chunk-size: must be >= 1, got {args.chunk_size}")
    check_limits(run_limits.check_memory, min(args.chunk_size, n_events), "--chunk-size")
    if args.job_index < 0:
        raise CardError(f"--job-index: must be >= 0, got {args.job_index}")
    if args.n_jobs is not None:
        if args.n_jobs < 1:
            raise CardError(f"--n-jobs: must be >= 1, got {args.n_jobs}")
        if args.job_index >= args.n_jobs:
            raise CardError(f"--job-index: must be < --n-jobs = {args.n_jobs} (jobs are "
                            f"numbered 0 .. {args.n_jobs - 1}), got {args.job_index}")
    if args.threads is not None and args.threads < 1:
        raise CardError(f"--threads: must be >= 1, got {args.threads}")
    from zpgen.sampler import check_vegas_settings
    try:
        check_vegas_settings(args.nitn, args.neval, args.nitn_final)
    except ValueError as exc:
        raise CardError(f"--{exc}") from None
    output = Path(args.output or card.run.output)
    check_output(output, args.overwrite, args.format, inputs=run_inputs(args, card))
    check_compression(output, args.format, args.compression)
    check_limits(run_limits.check_disk, output.parent, n_events, flag="--n-events")


def check_output(output: Path, overwrite: bool, fmt: str | None = None,
                 inputs: dict[str, Any] | None = None) -> None:
    """Refuse an output path that cannot or must not be written (before any work).

    :func:`zpgen.outputs.check_output_path` (existing without --overwrite, one of the
    run's inputs, a directory, a link, an over-long name, no writable directory), an
    unknown format, and a --format that contradicts a known suffix.
    """
    from zpgen.outputs import OutputError, check_output_path
    from zpgen.writers import writer_class_for_path
    from zpgen.writers._base import WriterError

    try:
        check_output_path(output, overwrite=overwrite, inputs=inputs)
    except OutputError as exc:
        raise CardError(str(exc)) from None
    try:
        chosen = writer_class_for_path(output, fmt)
    except (ValueError, KeyError, WriterError) as exc:
        raise CardError(f"--output: {exc}") from exc
    if fmt is not None:
        try:
            by_suffix = writer_class_for_path(output)
        except WriterError:  # no known suffix: --format decides
            return
        if by_suffix is not chosen:
            raise CardError(f"--format {fmt}: contradicts the suffix of --output "
                            f"{output.name!r} ({by_suffix.name}); drop --format or change "
                            "the suffix")


def resolve_card(args: argparse.Namespace) -> tuple[Card, Any]:
    """The card and the grid (or None) of a run: with --grid and neither CARD nor --set,
    the grid's card; otherwise the card from the arguments, which must match the grid."""
    grid = None
    if getattr(args, "grid", None):
        from zpgen.gridpack import GridError, load_grid
        try:
            grid = load_grid(args.grid)
            if args.card is None and not args.overrides:
                card = grid.card()
            else:
                card = card_from_args(args)
                grid.check_card(card)
        except GridError as exc:
            raise CardError(f"--grid: {exc}") from None
        return card, grid
    return card_from_args(args), None


def run(args: argparse.Namespace) -> int:
    card, grid = resolve_card(args)
    _validate(args, card)
    output = Path(args.output or card.run.output)
    progress = (not args.quiet) and sys.stderr.isatty()
    start = time.perf_counter()
    summary = generate_file(
        card, output, n_events=args.n_events, seed=args.seed, job_index=args.job_index,
        n_jobs=args.n_jobs, grid=grid, chunk_size=args.chunk_size,
        detector=not args.no_detector, threads=args.threads, fmt=args.format,
        writer_thread=not args.no_threads, progress=progress,
        adapt={"nitn": args.nitn, "neval": args.neval, "nitn_final": args.nitn_final},
        unweighted=args.unweighted, compression=args.compression)
    info = summary.as_dict()
    elapsed = time.perf_counter() - start
    for caveat in summary.caveats:
        print(f"zpgen generate: warning: {caveat}", file=sys.stderr)
    if not args.quiet:
        print(f"zpgen generate: wrote {summary.n_events} events to {output} in "
              f"{elapsed:.1f} s", file=sys.stderr)
        print(f"  expected signal events (before efficiency): {info['expected_events']:.5g}"
              f" +/- {info['expected_events_err']:.2g}", file=sys.stderr)
        unw = info.get("unweighted")
        for name, ch in info["channels"].items():
            quality = (f"ESS/N = {ch['ess_ratio']:.3f}" if not unw else
                       f"efficiency = {unw['channels'].get(name, {}).get('efficiency', 0):.3f}")
            print(f"  {name:<14} n = {ch['n_events']:>8}  sum w = {ch['expected_events']:.5g}"
                  f"  {quality}", file=sys.stderr)
        if unw:
            print(f"  unweighted ({unw['mode']} weight): every event w = "
                  f"{info['expected_events'] / max(summary.n_events, 1):.5g}; unweighting "
                  f"efficiency {unw['efficiency']:.3f} ({unw['trials']} trials); overweight "
                  f"events {unw['overweight_event_fraction']:.2e} of the events, carrying "
                  f"{unw['truncated_xsec_fraction']:.2e} of the cross section above the cap "
                  f"(bound {unw['bias_bound']:g})", file=sys.stderr)
    if info.get("unweighted") and not info["unweighted"]["within_bound"]:
        print(f"zpgen generate: warning: the events over the unweighting cap carry "
              f"{info['unweighted']['truncated_xsec_fraction']:.2e} of the cross section, "
              f"above the bound {info['unweighted']['bias_bound']:g}: their shapes are "
              "biased by that much", file=sys.stderr)
    return 0


def add_adapt_arguments(parser: argparse.ArgumentParser) -> None:
    """--nitn, --neval, --nitn-final (VEGAS adaptation)."""
    from zpgen.settings import DEFAULT_NEVAL, DEFAULT_NITN, DEFAULT_NITN_FINAL
    parser.add_argument("--nitn", type=int, default=DEFAULT_NITN, metavar="N",
                        help="VEGAS adapting iterations per channel (default %(default)s)")
    parser.add_argument("--neval", type=int, default=DEFAULT_NEVAL, metavar="N",
                        help="integrand evaluations per iteration (default %(default)s)")
    parser.add_argument("--nitn-final", type=int, default=DEFAULT_NITN_FINAL, metavar="N",
                        help="non-adapting iterations for the channel integrals "
                             "(default %(default)s)")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("generate", help="generate weighted events into a file",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_card_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="output file (.root, .hepmc3, .lhe, .parquet, or the suffix of "
                             "an installed writer plugin); default: the card's run.output")
    parser.add_argument("-n", "--n-events", type=int, metavar="N",
                        help="number of weighted events (default: run.n_events)")
    parser.add_argument("--seed", type=int, help="root seed of the run (default: run.seed)")
    parser.add_argument("--grid", metavar="GRID",
                        help="adapted grid from `zpgen adapt` (skips the adaptation)")
    parser.add_argument("--job-index", type=int, default=0, metavar="J",
                        help="index of this job in a job array: same grids, independent "
                             "events (default 0)")
    parser.add_argument("--n-jobs", type=int, metavar="K",
                        help="number of jobs of the array (checks 0 <= J < K): this job's w "
                             "sums to 1/K of the expected events, so the K files chain")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="worker threads of the event kernels (default: all cores, "
                             "less the one the writer thread uses; the adaptation uses all)")
    add_adapt_arguments(parser)
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK, metavar="N",
                        help="events per chunk held in memory (default %(default)s)")
    from zpgen.registry import available
    parser.add_argument("--format", choices=sorted(available("writer")),
                        help="force the output format whatever the suffix (any installed "
                             "writer: zpgen plugins)")
    parser.add_argument("--compression", metavar="CODEC[:LEVEL]",
                        help="compression of the output: ROOT zstd (default zstd:1), lz4, "
                             "zlib, lzma or none; Parquet zstd (default), gzip, brotli, lz4, "
                             "snappy or none; NuHepMC and LHE are plain text (none). For "
                             "ROOT, lz4:1 saves about 0.3 s per 1e6 events for a file 18%% "
                             "larger")
    parser.add_argument("--unweighted", nargs="?", const="physics",
                        choices=("physics", "selected"), metavar="physics|selected",
                        help="events of equal weight by accept-reject against a maximum "
                             "weight per channel (for detector simulation). physics "
                             "(default): the physics weight, the efficiency stays in w_eff; "
                             "selected: w * w_eff * passes, only selected events")
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
