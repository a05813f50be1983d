"""The ``zpgen`` command line.

Each engine subcommand lives in its own module of this package and exposes
``register(subparsers)``; modules are discovered automatically.  Plugins add commands
through the ``zpgen.commands`` entry points (``name = "module:register"``): the physics
commands (xsec, widths, g2, couplings, rate) come with the process, ``compare`` with the
MiniBooNE detector.  Adding a subcommand never touches this file.  Errors in the card or
the options are reported as one line naming the field, with exit status 2, before any
work starts; a stop signal (SIGINT,
SIGTERM, SIGHUP) ends the command cleanly with status 128 + signal number.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any

from zpgen import __version__, signals
from zpgen.card import CardError
from zpgen.commands import plain_text
from zpgen.outputs import OutputError
from zpgen.registry import PluginError

EPILOG = """\
examples:
  zpgen xsec --enu 0.3,0.5,0.8             cross sections on the default card
  zpgen widths my_card.toml --json         widths and branching ratios as JSON
  zpgen g2 --set model.mzprime=0.02        muon g-2 at another Z' mass
  zpgen card --default > my_card.toml      start a card of your own

Every subcommand takes an optional CARD (TOML; default: the built-in MiniBooNE benchmark
of Hammad, Rashed and Moretti, PLB 827 (2022) 136945) and repeatable --set section.key=value
overrides. Units: GeV, cm, cm^2 unless a column or key says otherwise.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zpgen",
        description="Monte Carlo generator for dark-Z' / sterile-neutrino signatures "
                    "(nu_mu N -> N nu5 -> N nu4 e+ e-) in accelerator neutrino beams.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"zpgen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    registers = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            if getattr(module, "register", None) is not None:
                registers[info.name.replace("_", "-")] = module.register
    for name, ep in _command_entry_points().items():
        if name in registers:
            raise PluginError(f"command plugin {name!r} ({ep.value}) has the name of a "
                              "built-in zpgen command")
        registers[name] = ep
    for name in sorted(registers):
        register = registers[name]
        if hasattr(register, "load"):  # an entry point: import the plugin only now
            register = register.load()
        register(sub)
    for command in sub.choices.values():  # --help is plain text, citing shipped documents
        command.description = plain_text(command.description)
        command.epilog = plain_text(command.epilog)
    return parser


def _command_entry_points() -> dict[str, Any]:
    from importlib import metadata

    from zpgen.registry import GROUPS

    return {ep.name: ep for ep in metadata.entry_points(group=GROUPS["command"])}


def _error(command: str, exc: BaseException) -> int:
    """Print ``zpgen COMMAND: error: ...`` on one line (library messages may span several)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    print(f"zpgen {command}: error: {text}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; bad input, unreadable files and I/O failures (a full disk) end
    in one line on stderr and exit status 2; SIGINT, SIGTERM and SIGHUP stop the command
    cleanly (zpgen.signals) with status 128 + signal number."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from zpgen.allocator import tune_for_streaming
    from zpgen.writers._base import WriterError  # after parsing: --help stays light

    tune_for_streaming()  # large chunk arrays from the heap, not mmap (zpgen.allocator)
    # argv None: this is the zpgen process itself, which exits after the command
    with signals.stop_on_signals(exiting=argv is None):
        try:
            return int(args.func(args) or 0)
        except (CardError, PluginError, OutputError, WriterError) as exc:
            return _error(args.command, exc)
        except BrokenPipeError:  # `zpgen info FILE | head`: the reader went away
            import os
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 0
        except OSError as exc:  # a full disk, a file that vanished, permissions
            return _error(args.command, exc)
        except signals.Stop as stop:
            print(f"zpgen {args.command}: stopped by {stop.name}; no output was left half "
                  "written", file=sys.stderr)
            return stop.exit_status
        except KeyboardInterrupt:
            print(f"zpgen {args.command}: interrupted", file=sys.stderr)
            return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
