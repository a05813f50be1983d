"""``zpgen card``: print, check and explain run cards, and the presets shipped with zpgen."""

from __future__ import annotations

import argparse
import json

from zpgen.card import PRESETS, card_process, default_card_text, explain, parse_card, preset_text
from zpgen.commands import add_card_arguments, card_from_args, card_text_from_args

EPILOG = f"""\
presets ({', '.join(PRESETS)}): cards shipped with zpgen. default is the built-in MiniBooNE
benchmark (M_Z' = 30 MeV, m4 = 60 MeV, m5 = 110 MeV, zpgen's physics: Helm form factor,
Pauli blocking, the MiniBooNE detector response). paper is the source paper's literal
choices (Hammad, Rashed, Moretti, PLB 827 (2022) 136945): its BLSM-IS front end and inputs,
its nuclear model, rate formula, whole-tank targets and flat efficiency 0.2; the card says
which numbers are the paper's and which are chosen where it gives none. Every command
takes --preset NAME in place of CARD.

examples:
  zpgen card --default > my_card.toml     the built-in MiniBooNE benchmark card
  zpgen card --preset paper > paper.toml  the paper's literal choices
  zpgen card my_card.toml                 validate a card, print it resolved
  zpgen card --preset paper --set model.mzprime=0.02   a preset, resolved, with a change
  zpgen card --explain                    every field and plugin option: unit, range, default
  zpgen card my_card.toml --explain       the fields of the card's process (process.name)
  zpgen card --explain --set process.name=NAME   the fields of another process plugin
"""


def run(args: argparse.Namespace) -> int:
    if args.default:
        print(default_card_text(), end="")
        return 0
    if args.explain:
        text, source = card_text_from_args(args)
        print(explain(card_process(text, tuple(args.overrides), source)))
        return 0
    if args.preset and not args.overrides and not args.card:
        text = preset_text(args.preset)
        parse_card(text, (), f"<preset {args.preset}>")  # a shipped card is always valid
        print(text, end="")
        return 0
    card = card_from_args(args)
    print(f"# resolved card from {card.source}; masses and energies in GeV, couplings "
          "dimensionless (zpgen card --explain documents every field)")
    print(json.dumps(card.as_dict(), indent=2, default=str))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("card", help="print the default card or a preset, validate or "
                                         "explain cards",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_card_arguments(parser)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--default", action="store_true", help="print the built-in card")
    group.add_argument("--explain", action="store_true",
                       help="document every card field (those of the card's process) and "
                            "every plugin option")
    parser.set_defaults(func=run)
