"""``zpgen adapt [CARD] -o GRID``: adapt the VEGAS grids once, for many generation jobs."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from zpgen.card import CardError
from zpgen.commands import add_card_arguments, card_from_args, run_inputs
from zpgen.outputs import OutputError, check_output_path

from .generate import add_adapt_arguments

EPILOG = """\
Runs the VEGAS adaptation of every scattering channel once and saves the adapted maps, the
per-channel integrals with their errors, the resolved card and the zpgen version in GRID
(format: zpgen/gridpack.py). Jobs then generate from it without adapting again.

examples:
  zpgen adapt my_card.toml -o grid.zpg
  zpgen adapt --set model.mzprime=0.02 --neval 50000 -o mz20.zpg
  zpgen generate --grid grid.zpg --job-index 0 --n-jobs 10 -n 100000 -o out_0.root
  ...
  zpgen merge all.root out_*.root

A grid is refused by a different zpgen release, for a different card (the message names the
first differing key; only [run] and [output] may differ) and when it is truncated or
corrupt, and when an input file (flux table, efficiency fit) changed since it was made.
The grid holds data only (a NumPy .npz of the maps, JSON for the rest), never code; its
SHA-256 proves it is intact, not who made it.
"""


def run(args: argparse.Namespace) -> int:
    card = card_from_args(args)
    output = Path(args.output)
    try:
        check_output_path(output, overwrite=args.overwrite, inputs=run_inputs(args, card))
    except OutputError as exc:
        raise CardError(str(exc)) from None
    from zpgen.generate import EventGenerator, GenerationError
    from zpgen.gridpack import save_grid

    start = time.perf_counter()
    try:
        engine = EventGenerator(card, seed=args.seed, nitn=args.nitn, neval=args.neval,
                                nitn_final=args.nitn_final)
        engine.adapt()
    except (GenerationError, ValueError) as exc:
        raise CardError(str(exc)) from None
    header = save_grid(output, card, engine)
    if not args.quiet:
        print(f"zpgen adapt: wrote {output} in {time.perf_counter() - start:.1f} s "
              f"(grid {header['payload_sha256'][:12]}, card {header['card_hash'][:12]})",
              file=sys.stderr)
        s = engine.summary
        for name in s.channels:
            if name in engine.adapted:
                ad = engine.adapted[name]
                rate = s.pot * s.targets[name] * ad.mean
                print(f"  {name:<14} integral = {ad.mean:.6g} +/- {ad.sdev:.2g}  "
                      f"expected events = {rate:.5g}  chi2/dof = {ad.chi2_dof:.2f}",
                      file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("adapt", help="adapt the VEGAS grids once and save them (gridpack)",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_card_arguments(parser)
    parser.add_argument("-o", "--output", metavar="GRID", required=True,
                        help="grid file to write (e.g. grid.zpg)")
    parser.add_argument("--seed", type=int,
                        help="root seed of the adaptation (default: run.seed)")
    add_adapt_arguments(parser)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing GRID")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary")
    parser.set_defaults(func=run)
