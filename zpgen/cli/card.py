"""``zpgen card``: print, check and explain run cards."""

from __future__ import annotations

import argparse
import json

from zpgen.card import card_process, default_card_text, explain, read_card_text
from zpgen.commands import add_card_arguments, card_from_args

EPILOG = """\
examples:
  zpgen card --default > my_card.toml     the built-in MiniBooNE benchmark card
  zpgen card my_card.toml                 validate a card, print it resolved
  zpgen card --explain                    every field, its unit, range and default
  zpgen card my_card.toml --explain       the fields of the card's process (process.name)
  zpgen card --explain --set process.name=NAME   the fields of another process plugin
"""


def run(args: argparse.Namespace) -> int:
    if args.default:
        print(default_card_text(), end="")
        return 0
    if args.explain:
        text = read_card_text(args.card) if args.card else None
        print(explain(card_process(text, tuple(args.overrides), args.card or "<default>")))
        return 0
    card = card_from_args(args)
    print(f"# resolved card from {card.source}; masses and energies in GeV, couplings "
          "dimensionless (zpgen card --explain documents every field)")
    print(json.dumps(card.as_dict(), indent=2, default=str))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("card", help="print the default card, validate or explain cards",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_card_arguments(parser)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--default", action="store_true", help="print the built-in card")
    group.add_argument("--explain", action="store_true",
                       help="document every card field (those of the card's process)")
    parser.set_defaults(func=run)
