"""Helpers for the commands of zpgen and of its plugins: the card arguments, JSON output,
run limits, the input files of a run.  Command plugins (``zpgen.commands`` entry points)
import these instead of anything in ``zpgen.cli``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from typing import Any

from zpgen.card import Card, CardError, load_card


def add_card_arguments(parser: argparse.ArgumentParser) -> None:
    """CARD positional, --preset NAME and repeatable --set overrides."""
    from zpgen.card import PRESETS

    parser.add_argument("card", nargs="?", metavar="CARD",
                        help="run card (TOML); default: the built-in MiniBooNE benchmark")
    parser.add_argument("--preset", metavar="NAME", choices=PRESETS,
                        help=f"start from a card shipped with zpgen instead of CARD: "
                             f"{', '.join(PRESETS)} (zpgen card --preset NAME prints it)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="SECTION.KEY=VALUE",
                        help="override a card value, e.g. --set model.mzprime=0.02 "
                             "(repeatable)")


def card_text_from_args(args: argparse.Namespace) -> tuple[str, str]:
    """``(TOML text, source)`` of the card the arguments name: CARD, --preset NAME or the
    built-in default (``CardError`` if both CARD and --preset are given)."""
    from zpgen.card import default_card_text, preset_text, read_card_text

    preset = getattr(args, "preset", None)
    if preset and args.card:
        raise CardError(f"--preset {preset}: give a CARD or a preset, not both")
    if preset:
        return preset_text(preset), f"<preset {preset}>"
    if args.card:
        return read_card_text(args.card), str(args.card)
    return default_card_text(), "<default>"


def card_from_args(args: argparse.Namespace, process: str | None = None) -> Card:
    """The card of CARD (or --preset NAME) and --set.  ``process``: the process plugin a
    command belongs to (e.g. ``zpgen rate``, of ``dark_neutrino``); a card of another
    process is refused with a :class:`CardError` naming ``process.name``."""
    from zpgen.card import parse_card

    text, source = card_text_from_args(args)
    if source == "<default>" and not getattr(args, "preset", None):
        card = load_card(None, tuple(args.overrides))
    else:
        card = parse_card(text, tuple(args.overrides), source)
    if process is not None and card.process.name != process:
        command = getattr(args, "command", None) or "this command"
        raise CardError(f"process.name: {command!r} is a command of the {process} process; "
                        f"the card's process is {card.process.name!r}")
    return card


def check_limits(check: Any, *args: Any, **kwargs: Any) -> None:
    """Run a :mod:`zpgen.run_limits` check; its refusal becomes a CardError (exit 2)."""
    from zpgen.run_limits import LimitError

    try:
        check(*args, **kwargs)
    except LimitError as exc:
        raise CardError(str(exc)) from None


def run_inputs(args: argparse.Namespace, card: Card) -> dict[str, Any]:
    """``{description: path}`` of the files a run reads: the card, the grid, and the data
    files named by the card's plugin options (an output must never be one of them)."""
    from zpgen.fingerprints import named_in_options

    inputs: dict[str, Any] = {"card": getattr(args, "card", None),
                              "grid": getattr(args, "grid", None)}
    for label, path in named_in_options(card).items():
        inputs[f"{label} file"] = path
    return inputs


def check_compression(output: str | os.PathLike[str], fmt: str | None,
                      compression: str | None) -> None:
    """Refuse a --compression the output's writer cannot write (before any work)."""
    if compression is None:
        return
    from zpgen.writers import writer_class_for_path

    try:
        writer_class_for_path(output, fmt).check_compression(compression)
    except ValueError as exc:
        raise CardError(str(exc)) from None


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def print_json(obj: Any) -> None:
    """JSON on stdout, non-finite floats as null (JSON has no NaN)."""
    json.dump(_clean(obj), sys.stdout, indent=2)
    sys.stdout.write("\n")


#: Documents installed with zpgen (``zpgen docs NAME`` prints them): name -> file in the
#: package ``zpgen.docs`` (the repository's docs/ folder).
SHIPPED_DOCS = {"physics": "physics.md", "architecture": "architecture.md"}

_ROLE = re.compile(r":[a-z]+:`~?([^`<]*?)\s*(?:<[^>]*>)?`")
_TILDE_ROLE = re.compile(r":[a-z]+:`~([^`]*)`")


def plain_text(text: str | None) -> str | None:
    """A docstring as ``--help`` shows it: reStructuredText roles and literals as plain
    text (``:mod:`a.b``` -> a.b, ``:func:`~a.b``` -> b, ````x```` -> x) and the physics
    specification (PHYSICS.md, shipped as docs/physics.md) cited as the command that prints
    the installed copy, ``zpgen docs physics``."""
    if text is None:
        return None
    text = _TILDE_ROLE.sub(lambda m: m.group(1).rsplit(".", 1)[-1], text)
    text = _ROLE.sub(lambda m: m.group(1), text)
    text = text.replace("``", "")
    return re.sub(r"(?<![\w/])(?:docs/physics|PHYSICS)\.md", "zpgen docs physics", text)
