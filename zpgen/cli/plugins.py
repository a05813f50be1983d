"""``zpgen plugins``: list the installed process, flux, detector, writer and command plugins."""

from __future__ import annotations

import argparse

from zpgen.commands import print_json
from zpgen.registry import GROUPS, available

EPILOG = """\
Plugins are registered under the entry-point groups zpgen.processes, zpgen.fluxes,
zpgen.detectors, zpgen.writers and zpgen.commands; a run card selects a process, flux or
detector by name, e.g.
  [flux]
  name = "monochromatic"
A third-party package adds its own in its pyproject.toml:
  [project.entry-points."zpgen.fluxes"]
  my_flux = "my_package.flux:MyFlux"
A writer is chosen by the suffix of the output file; a command appears in `zpgen --help`.

examples:
  zpgen plugins
  zpgen plugins --json
"""


def run(args: argparse.Namespace) -> int:
    table = {kind: available(kind) for kind in GROUPS}
    if args.json:
        print_json(table)
        return 0
    for kind, entries in table.items():
        print(f"{kind} ({GROUPS[kind]}):")
        for name, target in sorted(entries.items()):
            print(f"  {name:<16} {target}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("plugins", help="list installed plugins",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)
