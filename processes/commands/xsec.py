"""``zpgen xsec``: upscattering cross sections per channel (PHYSICS.md, "Matrix elements")."""

from __future__ import annotations

import argparse

import numpy as np

from zpgen.card import CardError
from zpgen.commands import add_card_arguments, card_from_args, print_json

from . import PROCESS

EPILOG = """\
The cross section of nu_mu T -> nu5 T per target particle: per 12C nucleus for
C12_coherent, per nucleon for C12_proton, C12_neutron (bound, Pauli-blocked unless
physics.nucleon_model says otherwise) and H1_proton (free). No branching ratios.

examples:
  zpgen xsec --enu 0.3,0.5,0.8
  zpgen xsec my_card.toml --enu 0.2:2.0:10 --json      (10 points from 0.2 to 2 GeV)
  zpgen xsec --set physics.nucleon_model=free --enu 1.0
"""


def _parse_energies(text: str) -> np.ndarray:
    try:
        if ":" in text:
            lo, hi, n = text.split(":")
            values = np.linspace(float(lo), float(hi), int(n))
        else:
            values = np.array([float(v) for v in text.split(",") if v.strip()])
    except ValueError as exc:
        raise CardError(f"--enu: expected comma-separated energies in GeV (0.3,0.5) or "
                        f"lo:hi:n, got {text!r}") from exc
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise CardError(f"--enu: energies must be finite and >= 0 GeV, got {text!r}")
    return values


def run(args: argparse.Namespace) -> int:
    energies = _parse_energies(args.enu)
    card = card_from_args(args, process=PROCESS)
    from zpgen.processes import xsec
    from zpgen.processes.couplings import physical_couplings

    pc = physical_couplings(card.model)
    channels = {}
    thresholds = {}
    for name in xsec.CHANNELS:
        params = xsec.channel_params(name, pc, card.physics)
        channels[name] = xsec.sigma_array(energies, params).tolist()
        thresholds[name] = xsec.threshold(params[xsec.I_M], pc.m5)
    if args.json:
        print_json({"units": "cm2", "enu_GeV": energies.tolist(), "channels": channels,
                    "threshold_GeV": thresholds})
        return 0
    names = list(channels)
    print(f"# sigma(nu_mu T -> nu5 T) in cm^2 per target particle; card: {card.source}")
    print(f"# m5 = {pc.m5} GeV, M_Z' = {pc.mzprime} GeV, nucleon_model = "
          f"{card.physics.nucleon_model}, coherent_form_factor = "
          f"{card.physics.coherent_form_factor}")
    print(f"{'E_nu [GeV]':>12}" + "".join(f"{n:>16}" for n in names))
    for i, energy in enumerate(energies):
        print(f"{energy:12.4f}" + "".join(f"{channels[n][i]:16.4e}" for n in names))
    print(f"{'threshold':>12}" + "".join(f"{thresholds[n]:16.4f}" for n in names))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("xsec", help="upscattering cross sections per channel (cm^2)",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_card_arguments(parser)
    parser.add_argument("--enu", default="0.3,0.5,0.8,1.0,2.0", metavar="E1,E2,...",
                        help="neutrino energies in GeV: a list, or lo:hi:n "
                             "(default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)
