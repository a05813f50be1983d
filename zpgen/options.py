"""Validation of plugin option tables (the card's ``[flux]`` and ``[detector]`` tables).

The card (zpgen.card) keeps plugin sections as free-form tables; each plugin validates its
own options with :class:`OptionReader`, so that every error names the field path
(``flux.flavour``, ``detector.fiducial_radius_cm``), what is allowed and what was given, in
the same style as the card's own messages.  Every plugin (flux, detector, process) uses
it: it is part of the engine's plugin API.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zpgen.card import CardError

__all__ = ["OptionDoc", "OptionReader", "closest", "explain_options", "option_keys"]


@dataclass(frozen=True)
class OptionDoc:
    """One option of a plugin table, as ``zpgen card --explain`` and ``zpgen plugins`` show
    it.  A flux or detector plugin lists its options in the class attribute ``OPTIONS``
    (a tuple of these) and reads them with :class:`OptionReader` (``option_keys(OPTIONS)``
    as the valid keys, so the documented and the accepted keys are the same).

    Attributes
    ----------
    key : option name in the card table
    default : the default as shown (``"required"`` for a key the card must give)
    doc : meaning, one sentence
    unit : unit of a number ("" if none)
    allowed : the allowed values or range as text (``"> 0"``, ``"numu | nue"``)
    """

    key: str
    default: str
    doc: str
    unit: str = ""
    allowed: str = ""


def option_keys(docs: Sequence[OptionDoc]) -> tuple[str, ...]:
    """The keys of a plugin's ``OPTIONS``."""
    return tuple(d.key for d in docs)


def explain_options(section: str, name: str, docs: Sequence[OptionDoc]) -> list[str]:
    """``zpgen card --explain`` lines of one plugin's options (``[section]``, ``name``)."""
    lines = []
    for d in docs:
        unit = f" [{d.unit}]" if d.unit else ""
        allowed = f" {d.allowed}" if d.allowed else ""
        lines.append(f"{section}.{d.key}{unit}: {d.doc}.{allowed}  (default: {d.default}; "
                     f"{section}.name = {name!r})")
    return lines

_MISSING: Any = object()


def closest(name: str, valid: Iterable[str]) -> str:
    """A ``"; did you mean 'x'?"`` hint for ``name`` among ``valid`` (empty if none is close)."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


class OptionReader:
    """Typed, checked access to one plugin's option table.

    Parameters
    ----------
    section
        Card section the options come from (``"flux"`` or ``"detector"``); used as the
        prefix of every field path in error messages.
    options
        The option table (the card's ``[flux]`` table, say).  The key ``name`` (which
        selected the plugin) is always accepted and ignored.
    valid
        Every option key the plugin understands.

    Raises
    ------
    CardError
        At construction, for an unknown key (with the closest valid name).
    """

    def __init__(self, section: str, options: Mapping[str, Any], valid: Sequence[str]) -> None:
        if not isinstance(options, Mapping):
            raise CardError(f"{section}: expected a table of options, got {options!r}")
        self.section = section
        self.options = options
        self.valid = tuple(valid)
        for key in options:
            if key == "name":
                continue
            if key not in self.valid:
                raise CardError(f"{section}.{key}: unknown key{closest(str(key), self.valid)} "
                                f"Valid keys: {', '.join(self.valid)}.")

    def path(self, key: str) -> str:
        """The field path ``section.key`` used in messages."""
        return f"{self.section}.{key}"

    def _get(self, key: str, default: Any) -> Any:
        if key in self.options:
            return self.options[key]
        if default is _MISSING:
            raise CardError(f"{self.path(key)}: required key is missing")
        return default

    def number(self, key: str, default: Any = _MISSING, *, unit: str = "",
               lo: float | None = None, lo_open: bool = False,
               hi: float | None = None) -> float:
        """A finite real number, optionally bounded: ``lo <(=) value <= hi``."""
        value = self._get(key, default)
        unit_txt = f" {unit}" if unit else ""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CardError(f"{self.path(key)}: expected a number{' in ' + unit if unit else ''}"
                            f", got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise CardError(f"{self.path(key)}: must be a finite number, got {value!r}")
        if lo is not None and (value <= lo if lo_open else value < lo):
            rel = ">" if lo_open else ">="
            raise CardError(f"{self.path(key)}: must be {rel} {lo}{unit_txt}, got {value!r}")
        if hi is not None and value > hi:
            raise CardError(f"{self.path(key)}: must be <= {hi}{unit_txt}, got {value!r}")
        return value

    def flag(self, key: str, default: Any = _MISSING) -> bool:
        """A TOML boolean (``true`` / ``false``)."""
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise CardError(f"{self.path(key)}: expected true or false, got {value!r}")
        return value

    def choice(self, key: str, choices: Sequence[str], default: Any = _MISSING) -> str:
        """One string out of ``choices``."""
        value = self._get(key, default)
        if not isinstance(value, str) or value not in choices:
            raise CardError(f"{self.path(key)}: unknown value {value!r}; valid: "
                            f"{', '.join(choices)}"
                            + (closest(value, choices) if isinstance(value, str) else ""))
        return value

    def string_list(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        """A non-empty list of distinct strings."""
        value = self._get(key, default)
        if (isinstance(value, str) or not isinstance(value, Sequence) or not value
                or not all(isinstance(v, str) and v for v in value)):
            raise CardError(f"{self.path(key)}: expected a non-empty list of names, "
                            f"got {value!r}")
        if len(set(value)) != len(value):
            raise CardError(f"{self.path(key)}: names must be distinct, got {list(value)!r}")
        return tuple(value)

    def file(self, key: str, default: Any = _MISSING) -> Path:
        """An existing file; ``~`` is expanded, relative paths are relative to the CWD."""
        value = self._get(key, default)
        if not isinstance(value, str | Path) or not str(value):
            raise CardError(f"{self.path(key)}: expected a file path, got {value!r}")
        path = Path(value).expanduser()
        if not path.is_file():
            raise CardError(f"{self.path(key)}: file {str(path)!r} does not exist "
                            f"(relative paths are taken from the working directory "
                            f"{str(Path.cwd())!r})")
        return path
