"""``zpgen widths``: decay widths, branching ratios and decay lengths (PHYSICS.md, "Decays")."""

from __future__ import annotations

import argparse
import math

from zpgen.commands import add_card_arguments, card_from_args, print_json

from . import PROCESS

EPILOG = """\
Widths in GeV of the Z', nu5 and nu4, their branching ratios and c*tau in cm. When
M_Z' >= m5 - m4 the two-body nu5 -> nu4 Z' is closed and nu5 decays through a virtual
Z' to nu4 e+ e- (the "off-shell" regime of the paper's Fig. 6).

examples:
  zpgen widths
  zpgen widths --set model.mzprime=0.08 --json          (off-shell regime)
  zpgen widths --set model.heavy_neutrino=majorana
"""


def run(args: argparse.Namespace) -> int:
    card = card_from_args(args, process=PROCESS)
    from zpgen.processes.couplings import physical_couplings
    from zpgen.processes.widths import widths

    pc = physical_couplings(card.model)
    table = widths(pc)
    if args.json:
        print_json(table)
        return 0
    print(f"# widths [GeV], branching ratios and c*tau [cm]; card: {card.source}")
    print(f"# M_Z' = {pc.mzprime} GeV, m4 = {pc.m4} GeV, m5 = {pc.m5} GeV, "
          f"{'Majorana' if pc.majorana else 'Dirac'}, regime: {table.get('regime', '?')}")
    for particle in ("Zprime", "nu5", "nu4"):
        print(f"{particle}:")
        for mode, value in table[particle].items():
            print(f"  {'Gamma(' + mode + ')':<24} = {value:.5e} GeV")
    print("branching ratios:")
    for mode, value in table["BR"].items():
        print(f"  {mode:<24} = {value:.6g}")
    print("decay lengths c*tau:")
    for particle, value in table["ctau_cm"].items():
        text = "stable" if math.isinf(value) else f"{value:.5e} cm"
        print(f"  {particle:<24} = {text}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("widths", help="decay widths, branching ratios and c*tau",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_card_arguments(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)
