"""``zpgen docs NAME``: print a document installed with zpgen (the physics specification,
the architecture)."""

from __future__ import annotations

import argparse
from importlib import resources

from zpgen.commands import SHIPPED_DOCS

EPILOG = """\
physics: what zpgen computes (couplings, currents, cross sections, decays, rates, the
MiniBooNE comparison) and where the source paper (Hammad, Rashed, Moretti, PLB 827 (2022)
136945) is wrong as printed; the --help texts cite its sections.
architecture: the code's layout, data flow and plugins.

examples:
  zpgen docs physics | less
  zpgen docs architecture
"""


def run(args: argparse.Namespace) -> int:
    text = resources.files("zpgen.docs").joinpath(SHIPPED_DOCS[args.name]).read_text(
        encoding="utf-8")
    print(text, end="" if text.endswith("\n") else "\n")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("docs", help="print a document installed with zpgen",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=sorted(SHIPPED_DOCS), metavar="NAME",
                        help=f"one of {', '.join(sorted(SHIPPED_DOCS))}")
    parser.set_defaults(func=run)
