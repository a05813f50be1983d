"""``zpgen couplings``: the physical couplings a card's model front end produces."""

from __future__ import annotations

import argparse

from zpgen.commands import add_card_arguments, card_from_args, print_json

from . import PROCESS

EPILOG = """\
Prints the couplings the generator actually uses (PHYSICS.md, "Couplings"): for
kind = "blsm-paper" those of the paper's eqs. 14-15, for kind = "blsm" those of the
consistent B-L + kinetic-mixing model with theta' from the corrected eq. 5.

examples:
  zpgen couplings
  zpgen couplings my_blsm_card.toml --json
"""

_DOC = {
    "cv_l": "C_V of e, mu", "ca_l": "C_A of e, mu", "g_nu": "Z' nu_a nu_a (P_L)",
    "g_p": "proton vector charge", "g_n": "neutron vector charge",
    "g_mu5": "Z' nu_mu nu5 (P_L)", "g_45": "Z' nu4 nu5 (P_L)",
    "g_5a": "Z' nu5 nu_light (P_L)", "g_4a": "Z' nu4 nu_light (P_L)",
    "theta_prime": "Z-Z' mixing angle [rad]",
}


def run(args: argparse.Namespace) -> int:
    card = card_from_args(args, process=PROCESS)
    from zpgen.processes.couplings import physical_couplings

    pc = physical_couplings(card.model)
    data = pc.as_dict()
    if args.json:
        print_json(data)
        return 0
    print(f"# physical couplings from model.kind = {pc.kind!r}; card: {card.source}")
    for key, value in data.items():
        unit = " GeV" if key in ("m4", "m5", "mzprime") else ""
        print(f"{key:>12} = {value!s:<24}{unit} {_DOC.get(key, '')}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("couplings", help="physical Z' couplings of the card's model",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_card_arguments(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)
