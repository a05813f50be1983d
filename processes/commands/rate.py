"""``zpgen rate``: expected signal events for the card's flux and detector."""

from __future__ import annotations

import argparse
import sys

from zpgen.commands import add_card_arguments, card_from_args, print_json

from . import PROCESS

EPILOG = """\
N = N_POT sum_T n_T int Phi(E) sigma_T(E) dE x BR(visible) (PHYSICS.md, "Event rate"),
per channel, before detector efficiency and selection (those need the event kinematics:
run `zpgen generate`).  BR(visible) follows physics.visible_modes: "all" (default)
= BR(nu5 -> nu4 Z') BR(Z' -> e+ e-) (BR(nu5 -> nu4 e+ e-) off shell)
+ BR(nu5 -> nu_light Z') BR(Z' -> e+ e-); "nu4" = the first term only.

examples:
  zpgen rate
  zpgen rate --set detector.pot=1e21 --json
  zpgen rate --set flux.name=monochromatic --set flux.energy=0.8
"""


def run(args: argparse.Namespace) -> int:
    card = card_from_args(args, process=PROCESS)
    from zpgen.processes.rate import rate_summary

    from zpgen.registry import load_plugin

    flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
    detector = load_plugin("detector", card.detector["name"]).from_options(card.detector)
    summary = rate_summary(card, flux, detector)
    summary["caveats"] = list(getattr(flux, "caveats", ()) or ())
    for caveat in summary["caveats"]:
        print(f"zpgen rate: warning: {caveat}", file=sys.stderr)
    if args.json:
        print_json(summary)
        return 0
    print(f"# expected events, {summary['note']}; card: {card.source}")
    print(f"# POT = {summary['pot']:.4g}; flux {flux.name} ({flux.flavour}): "
          f"{summary['flux']['integral']:.4e} nu/cm^2/POT; BR(visible) = "
          f"{summary['BR_visible']:.6g} (visible_modes = {summary['visible_modes']}: "
          f"nu5 -> nu4 {summary['BR_visible_parts']['nu5_nu4']:.4g}, nu5 -> nu_light "
          f"{summary['BR_visible_parts']['nu5_nu_light']:.4g})")
    print(f"{'channel':<14}{'targets':>12}{'<sigma> [cm^2]':>16}{'events':>14}")
    for channel, n in summary["events"].items():
        print(f"{channel:<14}{summary['targets'][channel]:12.4e}"
              f"{summary['flux_averaged_sigma'][channel]:16.4e}{n:14.4g}")
    print(f"{'total':<14}{'':>12}{'':>16}{summary['total_events']:14.4g}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("rate", help="expected signal events (before efficiency)",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_card_arguments(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)
