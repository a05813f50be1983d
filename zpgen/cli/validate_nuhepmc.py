"""``zpgen validate-nuhepmc FILE``: check a NuHepMC file against the implemented requirements."""

from __future__ import annotations

import argparse
import sys
from typing import Any

EPILOG = """\
examples:
  zpgen validate-nuhepmc events.hepmc3
  zpgen validate-nuhepmc events.hepmc3 --max-events 1000 --rel-tol 1e-9

Checks the NuHepMC 1.0.0 requirements zpgen implements (G.R.1-8: run info, version, tool,
process/vertex/particle status metadata, CV weight, extra PDG codes; the signalled
conventions G.C.1/3/4/5; E.R.2-7: event number, signal_process_id, units, LabPos, one
primary vertex, one beam and one target; V.R.1, P.R.1 status codes) plus zpgen's own:
Z.1 positions in mm with LabPos at the primary vertex, Z.2 4-momentum conservation at
every vertex. Prints a pass/fail table; exit status 0 if all pass, 1 otherwise.
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "validate-nuhepmc", help="check a NuHepMC (HepMC3) file against the NuHepMC spec",
        description="Validate a NuHepMC event file and print a pass/fail table.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", help="NuHepMC file (.hepmc3)")
    p.add_argument("--rel-tol", type=float, default=1e-6, metavar="X",
                   help="4-momentum conservation tolerance relative to the incoming "
                        "energy (default 1e-6)")
    p.add_argument("--max-events", type=int, default=None, metavar="N",
                   help="check only the first N events")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        import pyhepmc  # noqa: F401
    except ImportError:
        print("zpgen validate-nuhepmc: error: needs pyhepmc (pip install pyhepmc)",
              file=sys.stderr)
        return 2
    from zpgen.writers.nuhepmc_validate import format_table, validate_nuhepmc

    try:
        checks = validate_nuhepmc(args.file, rel_tol=args.rel_tol, max_events=args.max_events)
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"zpgen validate-nuhepmc: error: {exc}", file=sys.stderr)
        return 2
    print(format_table(checks))
    failed = [c.id for c in checks if c.status == "FAIL"]
    if failed:
        print(f"FAIL: {len(failed)} requirement(s) violated: {', '.join(failed)}")
        return 1
    print("PASS: all checked requirements satisfied")
    return 0
