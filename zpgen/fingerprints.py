"""Content fingerprints of the input files that shape the physics of a run.

A grid (``zpgen adapt``) and every output file record the SHA-256 of each data file the
run read: flux tables, efficiency tables, any data file a plugin reads.  A grid whose
inputs have changed since it was adapted is refused by ``zpgen generate --grid`` (naming
the file), and ``zpgen merge`` refuses jobs whose inputs differ; a card names files by
path, and the path alone says nothing about what the file held when the job ran.

Which files
-----------
* Every plugin object (flux, detector, process) may declare its data files with a method
  ``data_files() -> Mapping[str, str | os.PathLike]`` (label -> path); the built-in
  fluxes declare their table, the MiniBooNE detector its efficiency fit.
* As a safety net for plugins that do not declare them, every string option of the card's
  ``[flux]`` and ``[detector]`` tables that names an existing regular file is
  fingerprinted too (label ``flux.<key>``).

A fingerprint is ``{"path": absolute path, "bytes": size, "sha256": hex digest}``, keyed
by ``<section>.<label>`` (``flux.path``, ``detector.efficiency_fit``).  The files are hashed
right after the plugins have read them; a file rewritten within that moment is not caught.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["Fingerprint", "InputChanged", "collect", "compare", "file_fingerprint",
           "named_in_options"]

Fingerprint = dict[str, Any]
#: Plugin sections whose string options may name data files.
OPTION_SECTIONS = ("flux", "detector")
#: Larger files are refused as data files (a run card or table of that size is a mistake).
MAX_BYTES = 1 << 30


class InputChanged(ValueError):
    """The input files differ from the recorded fingerprints (message names the file)."""


def file_fingerprint(path: str | os.PathLike[str]) -> Fingerprint:
    """``{"path", "bytes", "sha256"}`` of one file."""
    p = Path(path).expanduser()
    digest = hashlib.sha256()
    size = 0
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
            if size > MAX_BYTES:
                raise InputChanged(f"{p}: larger than {MAX_BYTES} bytes; not a data file")
    return {"path": str(p.absolute()), "bytes": size, "sha256": digest.hexdigest()}


def _declared(plugins: Mapping[str, Any]) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for section, plugin in plugins.items():
        hook = getattr(plugin, "data_files", None)
        if not callable(hook):
            continue
        for label, path in dict(hook()).items():
            files[f"{section}.{label}"] = Path(path)
    return files


def named_in_options(card: Any) -> dict[str, Path]:
    """``{"<section>.<key>": path}`` of the card's plugin options that name existing files."""
    files: dict[str, Path] = {}
    for section in OPTION_SECTIONS:
        for key, value in dict(getattr(card, section, {}) or {}).items():
            if key == "name" or not isinstance(value, str) or not value:
                continue
            path = Path(value).expanduser()
            try:
                if path.is_file():
                    files[f"{section}.{key}"] = path
            except OSError:  # a name too long for the file system, say: not a file
                continue
    return files


def collect(card: Any, plugins: Mapping[str, Any]) -> dict[str, Fingerprint]:
    """Fingerprints of every data file of a run (module docstring), sorted by label.

    Parameters
    ----------
    card
        The run card (:class:`zpgen.card.Card`); its ``[flux]`` and ``[detector]`` options.
    plugins
        ``{"flux": ..., "detector": ..., "process": ...}``: the plugin objects of the run.
    """
    files = named_in_options(card)
    files.update(_declared(plugins))  # a plugin's own label wins (same file, same label)
    return {label: file_fingerprint(files[label]) for label in sorted(files)}


def compare(recorded: Mapping[str, Fingerprint], current: Mapping[str, Fingerprint],
            what: str) -> None:
    """Raise :class:`InputChanged` naming the first file whose content differs.

    ``what`` names the recorded side in the message (``"grid g.zpg"``).
    """
    for label in sorted(set(recorded) | set(current)):
        old, new = recorded.get(label), current.get(label)
        if old is None:
            assert new is not None
            raise InputChanged(f"{label} = {new['path']!r} (SHA-256 {new['sha256'][:12]}) is "
                               f"an input of this run but not of {what}")
        if new is None:
            raise InputChanged(f"{what} was made with the input file {label} = "
                               f"{old['path']!r}, which this run does not read")
        if old["sha256"] != new["sha256"]:
            raise InputChanged(f"input file {label} = {new['path']!r} has changed since {what} "
                               f"was made (SHA-256 {old['sha256'][:12]}... then, "
                               f"{new['sha256'][:12]}... now)")
