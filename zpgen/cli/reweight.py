"""``zpgen reweight IN OUT --set model.couplings.KEY=V``: the events of a file at other
couplings, same masses, without regenerating them."""

from __future__ import annotations

import argparse
import sys

EPILOG = """\
At fixed masses an event's kinematics do not depend on the couplings, only its weight
does: zpgen multiplies w and w_xsec of every event by the ratio of the production |M|^2
(at the event's E_nu and t) and of the decay density (branching ratios, widths and the
spin-correlated decay |M|^2 at the event's momenta) at the new and the file's couplings.
The sum of w then estimates the expected events at the new couplings, as `zpgen rate`
computes them. Decay lengths that change are applied to the decay vertices (the flights
are scaled, exact in distribution); the file's detector response is kept only if the
detector confirms that no visible particle crosses its boundary.

Refused before any work, with the reason: a mass, Dirac/Majorana, nu4_decays or a
[physics] switch (new kinematics: run zpgen generate), couplings that move the nu4 chain
between on- and off-shell or open a decay mode or channel the file has no events of, a
file from another zpgen release, OUT = IN, an existing OUT without --overwrite.

OUT gets the new card (zpgen info OUT --card), the new totals and `reweighted_from` (IN's
path, SHA-256 and card). With --add NAME the weights go to a new column NAME instead and w
stays; without OUT, IN itself is replaced (atomically) by the copy with that column.
IN and OUT may be any zpgen format (ROOT, Parquet, NuHepMC, LHE; OUT's suffix picks it).

examples:
  zpgen reweight run.root run_g2.root --set model.couplings.g_mu5=2.6e-5
  zpgen reweight run.root --add w_cv5e-4 --set model.couplings.cv_l=5e-4
  zpgen reweight run.parquet out.parquet --set model.couplings.g_p=2e-3 --set model.couplings.g_n=0
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("reweight", help="reweight a file's events to other couplings",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", metavar="IN",
                        help="zpgen event file (.root, .parquet, .hepmc3, .lhe)")
    parser.add_argument("output", metavar="OUT", nargs="?",
                        help="output file (its suffix picks the format); optional with --add")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="model.couplings.KEY=VALUE",
                        help="a new coupling (repeatable); masses stay the file's")
    parser.add_argument("--add", metavar="NAME",
                        help="write the new weights to a column NAME and keep w")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    parser.add_argument("--json", action="store_true", help="print the totals as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from zpgen.commands import print_json
    from zpgen.reweighting import ReweightError, plan_reweight, reweight_file

    try:
        plan = plan_reweight(args.input, args.overrides, args.output, add=args.add,
                             overwrite=args.overwrite)
        totals = reweight_file(plan)
    except ReweightError as exc:
        print(f"zpgen reweight: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    if args.json:
        print_json(totals)
        return 0
    target = f"column {args.add} of {plan.output}" if args.add else str(plan.output)
    print(f"zpgen reweight: wrote {totals['n_events']} events to {target}")
    print(f"  expected events (before efficiency): {totals['expected_events_before']:.5g} "
          f"-> {totals['expected_events']:.5g} +/- {totals['expected_events_err']:.2g}")
    print(f"  effective sample size of the new weights: {totals['ess']:.4g} of "
          f"{totals['n_events']} events")
    for name, sigma in totals["sigma_cm2"].items():
        print(f"  {name:<14} sigma x BR_visible = {sigma:.5g} cm^2")
    return 0
