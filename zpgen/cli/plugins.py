"""``zpgen plugins``: list the installed process, flux, detector, writer and command plugins,
with the options of the flux and detector plugins."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from zpgen.commands import print_json
from zpgen.registry import GROUPS, available, load_plugin

EPILOG = """\
Plugins are registered under the entry-point groups zpgen.processes, zpgen.fluxes,
zpgen.detectors, zpgen.writers and zpgen.commands; a run card selects a process, flux or
detector by name and gives its options in the same table, e.g.
  [flux]
  name = "monochromatic"
  energy = 0.8
  flux = 5.2e-10
A third-party package adds its own in its pyproject.toml:
  [project.entry-points."zpgen.fluxes"]
  my_flux = "my_package.flux:MyFlux"
A writer is chosen by the suffix of the output file; a command appears in `zpgen --help`.
The process's own tables ([model], [physics]) are listed by `zpgen card --explain`.

examples:
  zpgen plugins
  zpgen plugins --json
"""


def _options(kind: str, name: str) -> list[dict[str, Any]]:
    if kind not in ("flux", "detector"):
        return []
    try:
        plugin = load_plugin(kind, name)
    except Exception:  # a broken third-party plugin is still listed
        return []
    return [asdict(d) for d in getattr(plugin, "OPTIONS", ()) or ()]


def run(args: argparse.Namespace) -> int:
    table = {kind: available(kind) for kind in GROUPS}
    if args.json:
        print_json({kind: {name: {"target": target, "options": _options(kind, name)}
                           for name, target in entries.items()}
                    for kind, entries in table.items()})
        return 0
    for kind, entries in table.items():
        print(f"{kind} ({GROUPS[kind]}):")
        for name, target in sorted(entries.items()):
            print(f"  {name:<16} {target}")
            for opt in _options(kind, name):
                unit = f" [{opt['unit']}]" if opt["unit"] else ""
                allowed = f", {opt['allowed']}" if opt["allowed"] else ""
                print(f"      {kind}.{opt['key']}{unit} = {opt['default']}{allowed}: "
                      f"{opt['doc']}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("plugins", help="list installed plugins and their options",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)
