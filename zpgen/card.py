"""Run card: TOML text -> validated, frozen configuration.

Every field of the card is declared once here, with its unit, allowed range and meaning;
that declaration drives validation, error messages, ``--set`` overrides and ``zpgen card
--explain``.  Validation happens before any physics runs, and every error names the field
(``model.m5``), the allowed values and what was given.

Plugin sections (``[flux]``, ``[detector]``, ``[output]``) are kept as free-form option
tables here; the plugin named by ``name`` validates its own options.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import constants

__all__ = [
    "BLSMInput",
    "Card",
    "CardError",
    "CouplingsInput",
    "ModelConfig",
    "PhysicsConfig",
    "RunConfig",
    "default_card_text",
    "load_card",
    "parse_card",
    "read_card_text",
]


class CardError(ValueError):
    """A run card is invalid. The message names the field and the allowed values."""


#: Validity range of the model (``zpgen card --explain`` shows each field's range).
#: Masses: the BNB flux (E_nu < 10 GeV) cannot make heavier states, and the Z' width has
#: no hadronic channels, which matter well below this already.
MAX_MASS_GEV = 10.0
#: Couplings: perturbative, |g| <= sqrt(4 pi) (g^2/4pi <= 1).
MAX_COUPLING = math.sqrt(4.0 * math.pi)
#: Mixing overlaps of the BLSM front ends are elements of a unitary matrix: |u| <= 1.
MAX_MIXING = 1.0
#: Largest card file read (a card is a few kB of TOML).
MAX_CARD_BYTES = 1 << 20
#: Largest number of events of a run (zpgen.run_limits.MAX_EVENTS).
MAX_EVENTS = 10**15


def _coupling(default: Any, doc: str) -> Any:
    return _f(default, doc, lo=-MAX_COUPLING, hi=MAX_COUPLING)


def _mixing(default: Any, doc: str) -> Any:
    return _f(default, doc, lo=-MAX_MIXING, hi=MAX_MIXING)


def _meta(doc: str, unit: str = "", lo: float | None = None, hi: float | None = None,
          lo_open: bool = False, choices: tuple[str, ...] = (), finite: bool = True,
          ) -> dict[str, Any]:
    return {"doc": doc, "unit": unit, "lo": lo, "hi": hi, "lo_open": lo_open,
            "choices": choices, "finite": finite}


def _f(default: Any, doc: str, **kw: Any) -> Any:
    return field(default=default, metadata=_meta(doc, **kw))


_REQUIRED: Any = object()


@dataclass(frozen=True)
class RunConfig:
    """[run]: bookkeeping of a generation run."""

    seed: int = _f(12345, "root entropy of the run's numpy SeedSequence", lo=0)
    n_events: int = _f(100000, "number of weighted events to generate", lo=1, hi=MAX_EVENTS)
    output: str = _f("zpgen_events.root", "output file; the suffix picks the format")


@dataclass(frozen=True)
class CouplingsInput:
    """[model.couplings]: physical Z' couplings (PHYSICS.md, "Couplings")."""

    g_mu5: float = _coupling(_REQUIRED, "Z' nu5 nu_mu coupling (P_L), production vertex")
    g_45: float = _coupling(_REQUIRED, "Z' nu5 nu4 coupling (P_L), visible decay nu5 -> nu4 Z'")
    g_5a: float = _coupling(0.0, "Z' nu5 nu_light coupling (P_L), summed in quadrature over "
                                 "flavours")
    g_4a: float = _coupling(0.0, "Z' nu4 nu_light coupling (P_L), summed in quadrature over "
                                 "flavours")
    cv_l: float = _coupling(_REQUIRED, "vector Z' coupling C_V of e and mu (lepton universal)")
    ca_l: float = _coupling(0.0, "axial Z' coupling C_A of e and mu (lepton universal)")
    g_nu: float = _coupling(0.0, "Z' nu_a nu_a coupling per light flavour (P_L)")
    g_p: float = _coupling(_REQUIRED, "proton vector coupling (charge of the Z' current at "
                                      "t = 0)")
    g_n: float = _coupling(_REQUIRED, "neutron vector coupling (charge of the Z' current at "
                                      "t = 0)")


@dataclass(frozen=True)
class BLSMInput:
    """[model.blsm]: B-L + kinetic-mixing parameters (paper eqs. 4-5, 14-15)."""

    g_bl: float = _coupling(_REQUIRED, "U(1)_{B-L} gauge coupling g_(B-L) (non-zero for "
                                       "kind = 'blsm')")
    g_tilde: float = _coupling(_REQUIRED, "gauge kinetic-mixing coupling g~")
    theta_prime: float = _f(
        math.nan, "Z-Z' mixing angle theta' (blsm-paper only; blsm derives it from eq. 5)",
        unit="rad", finite=False)
    u_mu5: float = _mixing(_REQUIRED, "active-nu_mu / nu5 mixing overlap sum_a V*_5a V_mu a")
    u_45: float = _mixing(_REQUIRED, "nu4 / nu5 mixing overlap |U_{nu5 nu4}| (paper section 5)")
    u_5a: float = _mixing(0.0, "nu5 / light-neutrino overlap, quadrature sum over flavours")
    u_4a: float = _mixing(0.0, "nu4 / light-neutrino overlap, quadrature sum over flavours")


@dataclass(frozen=True)
class ModelConfig:
    """[model]: masses, heavy-neutrino nature and the coupling front end."""

    kind: str = _f("couplings", "how couplings are given",
                   choices=("couplings", "blsm", "blsm-paper"))
    heavy_neutrino: str = _f("dirac", "nature of nu4 and nu5", choices=("dirac", "majorana"))
    m4: float = _f(_REQUIRED, "nu4 mass", unit="GeV", lo=0.0, lo_open=True, hi=MAX_MASS_GEV)
    m5: float = _f(_REQUIRED, "nu5 mass", unit="GeV", lo=0.0, lo_open=True, hi=MAX_MASS_GEV)
    mzprime: float = _f(_REQUIRED, "Z' mass", unit="GeV", lo=0.0, lo_open=True,
                        hi=MAX_MASS_GEV)
    nu4_decays: bool = _f(True, "let nu4 decay (nu4 -> nu Z' -> nu e+ e-)")
    couplings: CouplingsInput | None = None
    blsm: BLSMInput | None = None


@dataclass(frozen=True)
class PhysicsConfig:
    """[physics]: modelling switches (PHYSICS.md, "Nucleon and nuclear currents")."""

    coherent_form_factor: str = _f("helm", "12C nuclear form factor", choices=("helm", "paper"))
    nucleon_model: str = _f("pauli", "bound-nucleon treatment",
                            choices=("pauli", "free", "paper"))
    decay_correlations: str = _f("full", "spin correlations in the decay chain",
                                 choices=("full", "isotropic"))
    visible_modes: str = _f(
        "all",
        "nu5 decay modes that give the visible e+e- pair: all = nu5 -> nu4 Z' -> nu4 e+e- "
        "(nu4 e+e- through a virtual Z' off shell) and nu5 -> nu_light Z' -> nu_light e+e- "
        "(open for M_Z' < m5; it dominates the nu5 width when the nu4 chain is off shell); "
        "nu4 = the nu4 chain only, PHYSICS.md's rate formula with BR(nu5 -> nu4 Z')",
        choices=("all", "nu4"))
    nucleon_form_factor: str = _f(
        "full",
        "nucleon-current form factors: full = F1(t), F2(t) at the event's t; point = "
        "point-like Dirac nucleon (F1 = its charge g_p or g_n, F2 = 0), as a MadGraph UFO "
        "with an elementary proton computes; frozen = F1, F2 evaluated at the fixed "
        "q^2 = +M_Z'^2 as the paper's MadGraph check did. Applies to the nucleon current "
        "only (nucleon channels and the paper-mode coherent term); the nuclear form factor "
        "and Pauli blocking keep their own switches",
        choices=("full", "point", "frozen"))
    kappa_s: float = _f(constants.KAPPA_S,
                        "isoscalar anomalous magnetic moment k_p + k_n (paper eq. 23)",
                        lo=-10.0, hi=10.0)
    k_fermi: float = _f(constants.K_FERMI_C12, "Fermi momentum of 12C", unit="GeV",
                        lo=0.0, lo_open=True, hi=1.0)
    b_paper: float = _f(constants.B_PAPER_C12, "slope b of exp(2 b t) (paper eq. 24)",
                        unit="GeV^-2", lo=0.0, hi=1000.0)


@dataclass(frozen=True)
class Card:
    """A validated run card. Immutable; build it with :func:`parse_card`."""

    run: RunConfig
    model: ModelConfig
    physics: PhysicsConfig
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


_SECTIONS = {"run": RunConfig, "model": ModelConfig, "physics": PhysicsConfig}
_PLUGIN_SECTIONS = ("flux", "detector", "output")
_TOP_LEVEL = (*_SECTIONS, *_PLUGIN_SECTIONS)


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
        elif f.default is _REQUIRED:
            raise CardError(f"{path}.{f.name}: required key is missing ({f.metadata['doc']}"
                            f"{', ' + f.metadata['unit'] if f.metadata['unit'] else ''})")
    for name, sub in nested.items():
        if name in table:
            kwargs[name] = _build(sub, table[name], f"{path}.{name}")
    return cls(**kwargs)


def _validate_model(model: ModelConfig) -> None:
    if model.kind == "couplings":
        if model.couplings is None:
            raise CardError("model.couplings: kind = 'couplings' needs a [model.couplings] table")
        if model.blsm is not None:
            raise CardError("model.blsm: not used with kind = 'couplings'; remove the table "
                            "or set model.kind = 'blsm'")
    else:
        if model.blsm is None:
            raise CardError(f"model.blsm: kind = '{model.kind}' needs a [model.blsm] table")
        if model.couplings is not None:
            raise CardError(f"model.couplings: not used with kind = '{model.kind}'; "
                            "remove the table or set model.kind = 'couplings'")
        theta = model.blsm.theta_prime
        if model.kind == "blsm-paper":
            if not math.isfinite(theta):
                raise CardError("model.blsm.theta_prime: required (finite, radians, within "
                                "[-pi/4, pi/4]) for kind = 'blsm-paper'")
            if abs(theta) > math.pi / 4:
                raise CardError(f"model.blsm.theta_prime: must lie in [-pi/4, pi/4] rad "
                                f"(paper eq. 4), got {theta!r}")
        elif not math.isnan(theta):
            raise CardError("model.blsm.theta_prime: derived from eq. 5 in kind = 'blsm'; "
                            "remove it, or use kind = 'blsm-paper' to set it by hand")
        if model.kind == "blsm" and model.blsm.g_bl == 0.0:
            raise CardError("model.blsm.g_bl: must be non-zero for kind = 'blsm' (M_Z' = "
                            "2 |g_BL| v' sets the B-L vev), got 0.0; use kind = 'couplings' "
                            "for a Z' without a B-L coupling")
    if model.m5 <= model.m4:
        raise CardError(f"model.m5: must be > model.m4 = {model.m4} GeV (nu5 decays to nu4), "
                        f"got {model.m5}")
    if model.mzprime <= 2.0 * constants.M_E:
        raise CardError(f"model.mzprime: must be > 2 m_e = {2 * constants.M_E:.6g} GeV "
                        f"(Z' -> e+ e- must be open), got {model.mzprime}")
    c = model.couplings
    if c is not None and c.cv_l == 0.0 and c.ca_l == 0.0 and c.g_nu == 0.0:
        raise CardError("model.couplings.cv_l: cv_l, ca_l and g_nu are all 0: the Z' would "
                        "not decay (zero width; no e+ e- signal); give the Z' a coupling")


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
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"{source}: not valid TOML: {exc}") from exc
    for assignment in overrides:
        _apply_override(data, assignment)
    for key in data:
        if key not in _TOP_LEVEL:
            raise CardError(f"{key}: unknown section" + _suggest(key, _TOP_LEVEL))
    run = _build(RunConfig, data.get("run", {}), "run")
    if "model" not in data:
        raise CardError("model: required table [model] is missing (masses and couplings)")
    model = _build(ModelConfig, data["model"], "model",
                   nested={"couplings": CouplingsInput, "blsm": BLSMInput})
    _validate_model(model)
    physics = _build(PhysicsConfig, data.get("physics", {}), "physics")
    return Card(run=run, model=model, physics=physics,
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


def explain() -> str:
    """Human-readable list of every card field, its unit, range and meaning."""
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
            default = "required" if f.default is _REQUIRED else repr(f.default)
            unit = f" [{md['unit']}]" if md["unit"] else ""
            lines.append(f"{path}.{f.name}{unit}: {md['doc']}. {rng}  (default: {default})")
    walk(RunConfig, "run")
    walk(ModelConfig, "model")
    walk(CouplingsInput, "model.couplings")
    walk(BLSMInput, "model.blsm")
    walk(PhysicsConfig, "physics")
    return "\n".join(lines)
