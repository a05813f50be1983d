"""``zpgen g2``: the Z' contribution to the muon anomalous magnetic moment."""

from __future__ import annotations

import argparse

from zpgen import constants
from zpgen.commands import add_card_arguments, card_from_args, print_json

from . import PROCESS

EPILOG = """\
delta_a_mu is the exact one-loop result (paper eq. 20, PHYSICS.md "Muon g-2");
delta_a_mu_eq21 is the paper's light-Z' approximation (eq. 21), which the paper used for
its coupling band and which overestimates the vector term by 56-86 % at 20-30 MeV.
Target (paper eq. 18): (2.51 +/- 0.59)e-9.

examples:
  zpgen g2
  zpgen g2 --set model.mzprime=0.02 --json
"""


def run(args: argparse.Namespace) -> int:
    card = card_from_args(args, process=PROCESS)
    from zpgen.processes import g2
    from zpgen.processes.couplings import physical_couplings

    pc = physical_couplings(card.model)
    exact = g2.delta_a_mu(pc.cv_l, pc.ca_l, pc.mzprime)
    eq21 = g2.delta_a_mu_eq21(pc.cv_l, pc.ca_l, pc.mzprime)
    result = {"delta_a_mu": exact, "delta_a_mu_eq21": eq21, "cv_l": pc.cv_l, "ca_l": pc.ca_l,
              "mzprime_GeV": pc.mzprime, "target": constants.DELTA_A_MU_TARGET,
              "target_err": constants.DELTA_A_MU_TARGET_ERR}
    if args.json:
        print_json(result)
        return 0
    pull = (exact - constants.DELTA_A_MU_TARGET) / constants.DELTA_A_MU_TARGET_ERR
    print(f"# muon g-2 from the Z'; card: {card.source}")
    print(f"M_Z'                     = {pc.mzprime:.6g} GeV")
    print(f"C_V, C_A (leptons)       = {pc.cv_l:.6g}, {pc.ca_l:.6g}")
    print(f"delta a_mu (eq. 20)      = {exact:.4e}   ({pull:+.1f} sigma from "
          f"{constants.DELTA_A_MU_TARGET:.2e} +/- {constants.DELTA_A_MU_TARGET_ERR:.2e})")
    print(f"delta a_mu (eq. 21)      = {eq21:.4e}   (paper's approximation)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("g2", help="muon g-2 from the Z' loop (exact and paper eq. 21)",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_card_arguments(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)
