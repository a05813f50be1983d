"""Run card: TOML text -> validated, frozen configuration.

Every field of the card is declared once, with its unit, allowed range and meaning
(:func:`spec`); that declaration drives validation, error messages, ``--set`` overrides
and ``zpgen card --explain``.  The engine declares ``[run]`` and ``[process]``; the process
plugin named by ``process.name`` declares its own ``[model]`` and ``[physics]`` through a
:class:`CardSchema` (its ``card_schema()``).  Validation happens before any physics runs,
and every error names the field (``model.m5``), the allowed values and what was given.

Plugin sections (``[flux]``, ``[detector]``, ``[output]``) are kept as free-form option
tables here; the plugin named by ``name`` validates its own options.
"""

from __future__ import annotations

import difflib
import json
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "DEFAULT_PROCESS",
    "DEFAULT_SEED",
    "PRESETS",
    "REQUIRED",
    "Card",
    "CardError",
    "CardSchema",
    "ProcessConfig",
    "RunConfig",
    "SectionSpec",
    "card_differences",
    "card_from_stored",
    "card_process",
    "default_card_text",
    "load_card",
    "load_preset",
    "parse_card",
    "preset_text",
    "process_schema",
    "read_card_text",
    "spec",
    "stored_card_text",
]


class CardError(ValueError):
    """A run card is invalid. The message names the field and the allowed values."""


#: Largest card file read (a card is a few kB of TOML).
MAX_CARD_BYTES = 1 << 20
#: Largest number of events of a run (zpgen.run_limits.MAX_EVENTS).
MAX_EVENTS = 10**15


def _meta(doc: str, unit: str = "", lo: float | None = None, hi: float | None = None,
          lo_open: bool = False, choices: tuple[str, ...] = (), finite: bool = True,
          ) -> dict[str, Any]:
    return {"doc": doc, "unit": unit, "lo": lo, "hi": hi, "lo_open": lo_open,
            "choices": choices, "finite": finite}


def _f(default: Any, doc: str, **kw: Any) -> Any:
    return field(default=default, metadata=_meta(doc, **kw))


#: The seed of a run whose card gives none: the one of the built-in default card
#: (default_card.toml), so that both mean the same run.
DEFAULT_SEED = 20220136945
#: Default of a field the card must give (:func:`spec`).
REQUIRED: Any = object()
#: The process a card without a [process] table uses.
DEFAULT_PROCESS = "dark_neutrino"


def spec(default: Any, doc: str, **kw: Any) -> Any:
    """A card field: its default (or :data:`REQUIRED`), meaning, unit and allowed range
    (``unit``, ``lo``, ``hi``, ``lo_open``, ``choices``, ``finite``).  Process plugins
    declare their sections' fields with it."""
    return _f(default, doc, **kw)


@dataclass(frozen=True)
class RunConfig:
    """[run]: bookkeeping of a generation run."""

    seed: int = _f(DEFAULT_SEED, "root entropy of the run's numpy SeedSequence", lo=0)
    n_events: int = _f(100000, "number of weighted events to generate", lo=1, hi=MAX_EVENTS)
    output: str = _f("zpgen_events.root", "output file; the suffix picks the format")


@dataclass(frozen=True)
class ProcessConfig:
    """[process]: which physics process plugin the run uses."""

    name: str = _f(DEFAULT_PROCESS, "physics process (a zpgen.processes entry point; "
                                    "`zpgen plugins` lists them)")


@dataclass(frozen=True)
class SectionSpec:
    """One card section a process plugin owns: its dataclass (fields declared with
    :func:`spec`), nested tables, and whether the card must have it."""

    cls: type
    nested: Mapping[str, type] = field(default_factory=dict)
    required: bool = False
    missing: str = ""


@dataclass(frozen=True)
class CardSchema:
    """What a process plugin adds to the card: its sections (``model``, ``physics``) and
    a check across their fields (raises :class:`CardError`)."""

    sections: Mapping[str, SectionSpec]
    validate: Callable[[Mapping[str, Any]], None] = lambda built: None


@dataclass(frozen=True)
class Card:
    """A validated run card. Immutable; build it with :func:`parse_card`.

    ``model`` and ``physics`` are the process plugin's dataclasses (its
    :class:`CardSchema`); the engine knows only ``run``, ``process`` and the plugin tables.
    """

    run: RunConfig
    process: ProcessConfig
    model: Any
    physics: Any
    flux: Mapping[str, Any]
    detector: Mapping[str, Any]
    output: Mapping[str, Any]
    source: str = "<default>"
    text: str = ""
    overrides: tuple[str, ...] = ()

    def with_run(self, *, n_events: int | None = None, seed: int | None = None) -> Card:
        """This card with ``run.n_events`` / ``run.seed`` replaced and recorded as ``--set``
        overrides, so that the stored card text and the resolved card agree: a run has
        one seed, and it is in its card."""
        import dataclasses

        changes: dict[str, Any] = {}
        sets: list[str] = []
        if n_events is not None and n_events != self.run.n_events:
            changes["n_events"] = int(n_events)
            sets.append(f"run.n_events={int(n_events)}")
        if seed is not None and seed != self.run.seed:
            changes["seed"] = int(seed)
            sets.append(f"run.seed={int(seed)}")
        if not changes:
            return self
        return dataclasses.replace(self, run=dataclasses.replace(self.run, **changes),
                                   overrides=(*self.overrides, *sets))

    def as_dict(self) -> dict[str, Any]:
        """Plain nested dict (for metadata and ``zpgen card``)."""
        def conv(obj: Any) -> Any:
            if obj is None:
                return None
            if hasattr(obj, "__dataclass_fields__"):
                return {f.name: conv(getattr(obj, f.name)) for f in fields(obj)
                        if f.name not in ("source", "text", "overrides")}
            if isinstance(obj, Mapping):
                return {k: conv(v) for k, v in obj.items()}
            return obj
        return conv(self)


_ENGINE_SECTIONS = {"run": RunConfig, "process": ProcessConfig}
#: Sections a process plugin owns (its CardSchema gives their classes).
_PROCESS_SECTIONS = ("model", "physics")
_PLUGIN_SECTIONS = ("flux", "detector", "output")
_TOP_LEVEL = (*_ENGINE_SECTIONS, *_PROCESS_SECTIONS, *_PLUGIN_SECTIONS)


def _suggest(name: str, valid: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.5)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"{hint} Valid names: {', '.join(valid)}."


def _check_value(path: str, f: Any, value: Any) -> Any:
    md = f.metadata
    want = f.type if isinstance(f.type, str) else f.type.__name__
    if want == "bool":
        if not isinstance(value, bool):
            raise CardError(f"{path}: expected true or false, got {value!r}")
        return value
    if want == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise CardError(f"{path}: expected an integer, got {value!r}")
    elif want == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CardError(f"{path}: expected a number{' in ' + md['unit'] if md['unit'] else ''}"
                            f", got {value!r}")
        value = float(value)
        if md["finite"] and not math.isfinite(value):
            raise CardError(f"{path}: must be a finite number, got {value!r}")
    elif want == "str":
        if not isinstance(value, str):
            raise CardError(f"{path}: expected a string, got {value!r}")
        if md["choices"] and value not in md["choices"]:
            raise CardError(f"{path}: unknown value {value!r}" + _suggest(value, md["choices"]))
        return value
    lo, hi = md["lo"], md["hi"]
    unit = f" {md['unit']}" if md["unit"] else ""
    if lo is not None and math.isfinite(value):
        bad = value <= lo if md["lo_open"] else value < lo
        if bad:
            rel = ">" if md["lo_open"] else ">="
            raise CardError(f"{path}: must be {rel} {lo}{unit}, got {value!r}")
    if hi is not None and value > hi:
        raise CardError(f"{path}: must be <= {hi}{unit}, got {value!r}")
    return value


def _build(cls: type, table: Mapping[str, Any], path: str,
           nested: Mapping[str, type] | None = None) -> Any:
    nested = nested or {}
    if not isinstance(table, Mapping):
        raise CardError(f"{path}: expected a table [{path}], got {table!r}")
    names = [f.name for f in fields(cls) if f.name not in nested]
    valid = names + list(nested)
    for key in table:
        if key not in valid:
            raise CardError(f"{path}.{key}: unknown key" + _suggest(key, valid))
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in nested:
            continue
        if f.name in table:
            kwargs[f.name] = _check_value(f"{path}.{f.name}", f, table[f.name])
        elif f.default is REQUIRED:
            raise CardError(f"{path}.{f.name}: required key is missing ({f.metadata['doc']}"
                            f"{', ' + f.metadata['unit'] if f.metadata['unit'] else ''})")
    for name, sub in nested.items():
        if name in table:
            kwargs[name] = _build(sub, table[name], f"{path}.{name}")
    return cls(**kwargs)


def process_schema(name: str) -> CardSchema:
    """The card schema of the process plugin ``name`` (``process.name`` errors otherwise)."""
    from .registry import PluginError, load_plugin

    try:
        plugin = load_plugin("process", name)
    except PluginError as exc:
        raise CardError(str(exc).replace("process.name:", "process.name:", 1)) from None
    schema = getattr(plugin, "card_schema", None)
    if schema is None:
        raise CardError(f"process.name: the process plugin {name!r} declares no card_schema()")
    result = schema()
    if not isinstance(result, CardSchema) or set(result.sections) - set(_PROCESS_SECTIONS):
        raise CardError(f"process.name: the process plugin {name!r} gives an invalid card "
                        f"schema (sections allowed: {', '.join(_PROCESS_SECTIONS)})")
    return result


def _plugin_table(table: Any, path: str, default_name: str | None) -> Mapping[str, Any]:
    if table is None:
        table = {} if default_name is None else {"name": default_name}
    if not isinstance(table, Mapping):
        raise CardError(f"{path}: expected a table [{path}], got {table!r}")
    table = dict(table)
    if default_name is not None:
        table.setdefault("name", default_name)
    if "name" in table and not isinstance(table["name"], str):
        raise CardError(f"{path}.name: expected a plugin name (string), got {table['name']!r}")
    return MappingProxyType(table)


def _apply_override(data: dict[str, Any], assignment: str) -> None:
    bad = [c for c in assignment if ord(c) < 32 or ord(c) == 127]
    if bad:
        raise CardError(f"--set {assignment!r}: contains the control character {bad[0]!r} "
                        "(a newline?); one --set is one section.key=value on one line")
    if "=" not in assignment:
        raise CardError(f"--set {assignment!r}: expected section.key=value, "
                        "e.g. --set model.mzprime=0.02")
    key, raw = assignment.split("=", 1)
    parts = [p.strip() for p in key.strip().split(".")]
    if len(parts) < 2 or not all(parts):
        raise CardError(f"--set {assignment!r}: expected section.key=value, "
                        "e.g. --set model.mzprime=0.02")
    if parts[0] not in _TOP_LEVEL:
        raise CardError(f"{parts[0]}: unknown section (in --set {key})"
                        + _suggest(parts[0], _TOP_LEVEL))
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()  # bare words are strings: --set physics.nucleon_model=free
    node = data
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise CardError(f"--set {key}: '{p}' is not a table")
    node[parts[-1]] = value


def default_card_text() -> str:
    """The built-in default card (the paper's MiniBooNE benchmark), as TOML text."""
    return resources.files("zpgen").joinpath("default_card.toml").read_text(encoding="utf-8")


def _card_data(text: str, overrides: list[str] | tuple[str, ...], source: str
               ) -> dict[str, Any]:
    """The card's TOML tables with the ``--set`` overrides applied; unknown sections refused."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"{source}: not valid TOML: {exc}") from exc
    for assignment in overrides:
        _apply_override(data, assignment)
    for key in data:
        if key not in _TOP_LEVEL:
            raise CardError(f"{key}: unknown section" + _suggest(key, _TOP_LEVEL))
    return data


def card_process(text: str | None = None, overrides: list[str] | tuple[str, ...] = (),
                 source: str = "<default>") -> str:
    """The ``process.name`` a card selects (after ``overrides``), read without building
    the process's own sections: ``zpgen card --explain --set process.name=NAME`` documents
    another process's fields even when the card's ``[model]`` belongs to the default one."""
    data = _card_data(default_card_text() if text is None else text, overrides, source)
    return str(_build(ProcessConfig, data.get("process", {}), "process").name)


def _shipped_presets() -> tuple[str, ...]:
    """``default``, ``paper``, then every other ``zpgen/presets/<name>.toml`` by name."""
    folder = resources.files("zpgen").joinpath("presets")
    names = sorted(f.name[:-len(".toml")] for f in folder.iterdir()
                   if f.name.endswith(".toml"))
    return ("default", *sorted(names, key=lambda n: (n != "paper", n)))


#: Cards shipped with zpgen (``zpgen card --preset NAME``): ``default`` is the built-in
#: default card, the others are ``zpgen/presets/<name>.toml`` (found in that folder).
PRESETS = _shipped_presets()


def preset_text(name: str) -> str:
    """The TOML text of a shipped preset card (:data:`PRESETS`); ``CardError`` otherwise."""
    if name not in PRESETS:
        raise CardError(f"--preset: unknown preset {name!r}" + _suggest(name, PRESETS))
    if name == "default":
        return default_card_text()
    return resources.files("zpgen").joinpath("presets", f"{name}.toml").read_text(
        encoding="utf-8")


def load_preset(name: str, overrides: list[str] | tuple[str, ...] = ()) -> Card:
    """A shipped preset card (:func:`preset_text`) with ``--set`` overrides, validated."""
    return parse_card(preset_text(name), overrides, f"<preset {name}>")


def parse_card(text: str | None = None, overrides: list[str] | tuple[str, ...] = (),
               source: str = "<default>") -> Card:
    """Parse and validate a card.

    Parameters
    ----------
    text
        TOML text; ``None`` means the built-in default card.
    overrides
        ``section.key=value`` assignments applied after parsing (``--set``).
    source
        Where the text came from, for messages and metadata.

    Raises
    ------
    CardError
        On the first invalid field, naming it and the allowed values.
    """
    if text is None:
        text = default_card_text()
    data = _card_data(text, overrides, source)
    run = _build(RunConfig, data.get("run", {}), "run")
    process = _build(ProcessConfig, data.get("process", {}), "process")
    schema = process_schema(process.name)
    built: dict[str, Any] = {}
    for section in _PROCESS_SECTIONS:
        sec = schema.sections.get(section)
        if sec is None:
            if section in data:
                raise CardError(f"{section}: the process {process.name!r} has no [{section}] "
                                "table; remove it")
            built[section] = None
            continue
        if section not in data and sec.required:
            raise CardError(f"{section}: required table [{section}] is missing"
                            + (f" ({sec.missing})" if sec.missing else ""))
        built[section] = _build(sec.cls, data.get(section, {}), section, nested=sec.nested)
    schema.validate(built)
    return Card(run=run, process=process, model=built["model"], physics=built["physics"],
                flux=_plugin_table(data.get("flux"), "flux", "miniboone_bnb"),
                detector=_plugin_table(data.get("detector"), "detector", "miniboone"),
                output=_plugin_table(data.get("output"), "output", None),
                source=source, text=text, overrides=tuple(overrides))


def load_card(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()
              ) -> Card:
    """Read a card file (``None``: the built-in default) and validate it."""
    if path is None:
        return parse_card(None, overrides, "<default>")
    return parse_card(read_card_text(path), overrides, str(path))


def read_card_text(path: str | Path) -> str:
    """The text of a card file, refused (:class:`CardError`) unless it is a UTF-8 text file.

    A directory, a missing or unreadable file, a file over :data:`MAX_CARD_BYTES`, a binary
    file (NUL bytes) and bytes that are not UTF-8 each give one line naming the problem.
    """
    p = Path(path)
    hint = "run `zpgen card --default > my.toml` to start from the default card"
    if p.is_dir():
        raise CardError(f"card file {str(p)!r} is a directory, not a TOML file")
    if not p.exists():
        raise CardError(f"card file {str(p)!r} does not exist; {hint}")
    if not p.is_file():
        raise CardError(f"card file {str(p)!r} is not a regular file")
    try:
        with open(p, "rb") as fh:
            data = fh.read(MAX_CARD_BYTES + 1)
    except OSError as exc:
        raise CardError(f"card file {str(p)!r} cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_CARD_BYTES:
        raise CardError(f"card file {str(p)!r} is larger than {MAX_CARD_BYTES} bytes; a run "
                        "card is a short TOML text")
    if b"\0" in data:
        raise CardError(f"card file {str(p)!r} is a binary file, not TOML text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CardError(f"card file {str(p)!r} is not UTF-8 text (byte 0x{data[exc.start]:02x} "
                        f"at offset {exc.start}); save it as UTF-8") from None


#: First line of the card text stored in every output file, then one ``# --set`` line per
#: override (:func:`stored_card_text`).
STORED_SOURCE_PREFIX = "# card source: "
STORED_SET_PREFIX = "# --set "


def stored_card_text(card: Card, source: str | None = None) -> str:
    """The card as every output file stores it: a ``# card source:`` line, one
    ``# --set`` line per override (overrides cannot hold newlines) and the TOML text.
    :func:`card_from_stored` reads it back."""
    src = (card.source if source is None else source).encode("unicode_escape").decode("ascii")
    overrides = "".join(f"{STORED_SET_PREFIX}{o}\n" for o in card.overrides)
    return f"{STORED_SOURCE_PREFIX}{src}\n" + overrides + (card.text or "")


def split_stored_card(text: str) -> tuple[str, tuple[str, ...]]:
    """``(TOML body, overrides)`` of a card text written by :func:`stored_card_text` (a plain
    TOML text has no overrides)."""
    lines = text.splitlines(keepends=True)
    overrides: list[str] = []
    i = 0
    if lines and lines[0].startswith(STORED_SOURCE_PREFIX):
        i = 1
        while i < len(lines) and lines[i].startswith(STORED_SET_PREFIX):
            overrides.append(lines[i][len(STORED_SET_PREFIX):].rstrip("\n"))
            i += 1
    return "".join(lines[i:]), tuple(overrides)


def card_from_stored(text: str, resolved: Mapping[str, Any] | None = None,
                     source: str = "<stored card>",
                     extra: tuple[str, ...] | list[str] = ()) -> Card:
    """The :class:`Card` of an output file from its stored card text (with its ``--set``
    overrides, then ``extra`` ones).

    ``resolved`` (the run document's ``card_resolved``) is checked against the parsed card
    without ``extra``: a difference (a file written by another zpgen release, or edited)
    raises :class:`CardError` naming the first differing key.
    """
    body, overrides = split_stored_card(text)
    card = parse_card(body, overrides, source)
    if resolved is not None:
        diff = card_differences(card.as_dict(), resolved)
        if diff:
            key, here, stored = diff[0]
            raise CardError(f"{source}: the stored card gives {key} = {here!r} but the file's "
                            f"resolved card says {stored!r} (written by another zpgen "
                            "release, or edited?)")
    if extra:
        card = parse_card(body, (*overrides, *extra), source)
    return card


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested card dict -> {"model.m5": 0.11, ...} (dotted keys, as in --set and errors)."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def card_differences(a: Mapping[str, Any], b: Mapping[str, Any],
                     ignore: frozenset[str] | set[str] = frozenset()
                     ) -> list[tuple[str, Any, Any]]:
    """``(dotted key, value in a, value in b)`` for every key of two card dicts
    (:meth:`Card.as_dict`, or stored resolved cards) whose values differ, sorted by key;
    keys in ``ignore`` are skipped, a missing key reads ``"<absent>"``, and NaN equals NaN
    (an unset ``theta_prime``)."""
    fa, fb = flatten(a), flatten(b)

    def same(x: Any, y: Any) -> bool:
        return json.dumps(x, default=repr) == json.dumps(y, default=repr)

    return [(k, fa.get(k, "<absent>"), fb.get(k, "<absent>"))
            for k in sorted((set(fa) | set(fb)) - set(ignore))
            if not same(fa.get(k, "<absent>"), fb.get(k, "<absent>"))]


def explain(process: str = DEFAULT_PROCESS) -> str:
    """Human-readable list of every card field (the engine's and the process plugin's),
    its unit, range and meaning."""
    lines: list[str] = []

    def walk(cls: type, path: str) -> None:
        for f in fields(cls):
            if not f.metadata:
                continue
            md = f.metadata
            rng = ""
            if md["choices"]:
                rng = " | ".join(md["choices"])
            elif md["lo"] is not None and md["hi"] is not None:
                rng = f"in {'(' if md['lo_open'] else '['}{md['lo']:.6g}, {md['hi']:.6g}]"
            elif md["lo"] is not None:
                rng = (">" if md["lo_open"] else ">=") + f" {md['lo']}"
            default = "required" if f.default is REQUIRED else repr(f.default)
            unit = f" [{md['unit']}]" if md["unit"] else ""
            lines.append(f"{path}.{f.name}{unit}: {md['doc']}. {rng}  (default: {default})")

    walk(RunConfig, "run")
    walk(ProcessConfig, "process")
    for section, sec in process_schema(process).sections.items():
        walk(sec.cls, section)
        for name, nested in sec.nested.items():
            walk(nested, f"{section}.{name}")
    lines.extend(explain_plugins())
    return "\n".join(lines)


def explain_plugins() -> list[str]:
    """The options of every installed flux and detector plugin (their ``OPTIONS``:
    :class:`zpgen.options.OptionDoc`), one line each, after a line naming the plugin."""
    from .options import explain_options
    from .registry import PluginError, available, load_plugin

    lines: list[str] = []
    for kind in ("flux", "detector"):
        for name in sorted(available(kind)):
            try:
                plugin = load_plugin(kind, name)
            except (PluginError, ImportError) as exc:  # a broken third-party plugin
                lines.append(f"[{kind}] name = {name!r}: cannot be loaded ({exc})")
                continue
            docs = tuple(getattr(plugin, "OPTIONS", ()) or ())
            summary = (getattr(plugin, "__doc__", "") or "").strip().splitlines()
            lines.append(f"[{kind}] name = {name!r}: {summary[0] if summary else ''}"
                         + ("" if docs else " (the plugin documents no options)"))
            lines.extend(explain_options(kind, name, docs))
    return lines
