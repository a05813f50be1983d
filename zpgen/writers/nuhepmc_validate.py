"""Check a NuHepMC file against the NuHepMC 1.0.0 specification, read with HepMC3 (pyhepmc).

Requirement ids are those of the specification (github.com/NuHepMC/Spec, version 1.0.0):
G.R.1-G.R.11 (run information), E.R.1-E.R.8 (events), V.R.1 and P.R.1 (status codes);
every convention a file signals in ``NuHepMC.Conventions`` (G.C.1-G.C.5, E.C.1, V.C.1,
P.C.1, P.C.2) is checked to be actually filled in.  Ids Z.* are zpgen's physics checks:
Z.1 ``lab_pos`` at the primary vertex (mm), Z.2 four-momentum conservation at every
vertex, Z.3 the flux-averaged cross section equal to what the file's CV weights and
exposure give (files with a ``zpgen.RunInfo`` document).

Stricter than the text in one place, on purpose: G.R.6 requires the *reserved* values of
the cross-section unit ("pb", "10-38 cm2", "cm2") and target scale ("PerAtom",
"PerNucleon"), without which no NuHepMC reader can convert the cross section.  Used by
``zpgen validate-nuhepmc``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Check", "format_table", "validate_nuhepmc"]

STANDARD_PARTICLE_STATUS = {1, 2, 3, 4, 20}
STANDARD_VERTEX_STATUS = {1, 2}
RESERVED_XS_UNITS = {"pb", "10-38 cm2", "cm2"}
RESERVED_TARGET_SCALES = {"PerAtom", "PerNucleon"}
PDG_REMNANT = 2009900000
#: Conventions this validator knows how to check (others are reported as not checked).
KNOWN_CONVENTIONS = ("G.C.1", "G.C.2", "G.C.3", "G.C.4", "G.C.5", "E.C.1", "V.C.1", "P.C.1",
                     "P.C.2")

SPECS = [
    ("G.R.1", "GenRunInfo present"),
    ("G.R.2", "NuHepMC.Version.{Major,Minor,Patch} integers, version 1.x"),
    ("G.R.3", "ToolInfo with name and version"),
    ("G.R.4", "NuHepMC.Conventions present"),
    ("G.R.5", "flux-averaged total cross section given by G.C.2 or E.C.4"),
    ("G.R.6", "cross-section Unit and TargetScale given, with reserved values"),
    ("G.R.7", "weight CV declared and finite in every event"),
    ("G.R.8", "NuHepMC.ProcessIDs with Name/Description"),
    ("G.R.9", "vertex statuses declared with Name/Description"),
    ("G.R.10", "particle statuses declared with Name/Description"),
    ("G.R.11", "non-standard PDG numbers declared with a Name"),
    ("G.C.1", "exposure (POT or livetime) given"),
    ("G.C.2", "NuHepMC.FluxAveragedTotalCrossSection finite and positive"),
    ("G.C.3", "NuHepMC.Citations.<Comp>.<Type> present, alphanumeric keys"),
    ("G.C.4", "beam energy distribution per beam PDG (MonoEnergetic or Histogram)"),
    ("G.C.5", "AdditionalParticleInfo[<PDG>].Description for every additional number"),
    ("E.C.1", "process ids in the E.C.1 ranges (>= 100, or negative)"),
    ("V.C.1", "separation vertices (21): nucleus in, struck nucleon out"),
    ("P.C.1", "struck nucleons (21) enter the primary vertex"),
    ("P.C.2", "nuclear remnants (2009900000) are outgoing"),
    ("E.R.1", "HepMC3 reads the event: every vertex has particles in and out"),
    ("E.R.2", "event numbers non-negative and unique"),
    ("E.R.3", "signal_process_id present and declared"),
    ("E.R.4", "energy and length units set"),
    ("E.R.5", "lab_pos with 3 or 4 entries"),
    ("E.R.6", "exactly one primary vertex (status 1), none with status 0"),
    ("E.R.7", "exactly one beam (status 4) and one target (status 20) particle"),
    ("E.R.8", "incoming real particles have status 4 or 20, outgoing ones status 1"),
    ("V.R.1", "vertex status codes standard or declared (not 0, not 3-20)"),
    ("P.R.1", "particle status codes standard or declared (not 0, not 5-19)"),
    ("Z.1", "lab_pos = primary vertex position, in mm"),
    ("Z.2", "four-momentum conserved at every vertex"),
    ("Z.3", "flux-averaged cross section = sum of CV / (POT x flux x atoms)"),
]


@dataclass
class Check:
    """Outcome of one requirement: failures counted over the file, first failure kept."""

    id: str
    description: str
    n_checked: int = 0
    n_failed: int = 0
    first_failure: str = ""
    skipped: str = ""
    details: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.skipped:
            return "SKIP"
        return "FAIL" if self.n_failed else "PASS"

    def record(self, ok: bool, why: str = "") -> None:
        self.n_checked += 1
        if not ok:
            self.n_failed += 1
            if not self.first_failure:
                self.first_failure = why


def _attr(view: Any, key: str, typ: Any) -> Any:
    """Attribute ``key`` of a pyhepmc attributes view converted to ``typ`` (KeyError if absent)."""
    if key not in view:
        raise KeyError(key)
    value = view[key]
    if hasattr(value, "astype"):
        value = value.astype(typ)
    return value


def _has(view: Any, key: str, typ: Any) -> bool:
    try:
        value = _attr(view, key, typ)
    except (KeyError, TypeError, ValueError):
        return False
    return value != "" if typ is str else True


def _ids(view: Any, key: str) -> list[int] | None:
    try:
        value = _attr(view, key, list[int])
    except (KeyError, TypeError, ValueError):
        return None
    return [int(i) for i in value]


def _float(view: Any, key: str) -> float:
    try:
        return float(_attr(view, key, float))
    except (KeyError, TypeError, ValueError):
        return math.nan


def _check_run_info(ri: Any, c: dict[str, Check]) -> dict[str, Any]:
    """Run-level checks; returns what the event checks need."""
    at = ri.attributes
    for k in ("Major", "Minor", "Patch"):
        c["G.R.2"].record(_has(at, f"NuHepMC.Version.{k}", int), f"NuHepMC.Version.{k} missing")
    if _has(at, "NuHepMC.Version.Major", int):
        major = int(_attr(at, "NuHepMC.Version.Major", int))
        c["G.R.2"].record(major == 1, f"NuHepMC major version {major}, not 1")
    tools = list(ri.tools)
    c["G.R.3"].record(bool(tools), "no ToolInfo")
    for t in tools:
        c["G.R.3"].record(bool(t.name) and bool(t.version), f"ToolInfo {t!r} lacks name/version")

    try:
        conventions = [str(s) for s in _attr(at, "NuHepMC.Conventions", list[str])]
        c["G.R.4"].record(True)
    except (KeyError, TypeError, ValueError):
        conventions = []
        c["G.R.4"].record(False, "NuHepMC.Conventions missing")
    signalled = set(conventions)
    c["G.R.5"].record(bool({"G.C.2", "E.C.4"} & signalled),
                      "neither G.C.2 nor E.C.4 is signalled")
    units = {k: (str(_attr(at, f"NuHepMC.Units.CrossSection.{k}", str))
                 if _has(at, f"NuHepMC.Units.CrossSection.{k}", str) else None)
             for k in ("Unit", "TargetScale")}
    c["G.R.6"].record(units["Unit"] in RESERVED_XS_UNITS,
                      f"NuHepMC.Units.CrossSection.Unit = {units['Unit']!r}, reserved: "
                      f"{sorted(RESERVED_XS_UNITS)}")
    c["G.R.6"].record(units["TargetScale"] in RESERVED_TARGET_SCALES,
                      f"NuHepMC.Units.CrossSection.TargetScale = {units['TargetScale']!r}, "
                      f"reserved: {sorted(RESERVED_TARGET_SCALES)}")
    names = list(ri.weight_names)
    c["G.R.7"].record("CV" in names, f"weight 'CV' not declared (weights: {names})")

    declared: dict[str, Any] = {"conventions": signalled,
                                "cv_index": names.index("CV") if "CV" in names else None}
    for rid, key, info in (("G.R.8", "ProcessIDs", "ProcessInfo"),
                           ("G.R.9", "VertexStatusIDs", "VertexStatusInfo"),
                           ("G.R.10", "ParticleStatusIDs", "ParticleStatusInfo")):
        ids = _ids(at, f"NuHepMC.{key}")
        c[rid].record(ids is not None, f"NuHepMC.{key} missing or not a list of integers")
        for i in ids or []:
            for part in ("Name", "Description"):
                name = f"NuHepMC.{info}[{i}].{part}"
                c[rid].record(_has(at, name, str), f"{name} missing")
        declared[key] = set(ids or [])
    extra = set(_ids(at, "NuHepMC.AdditionalParticleNumbers") or [])
    for p in sorted(extra):
        name = f"NuHepMC.AdditionalParticleNumber[{p}].Name"
        c["G.R.11"].record(_has(at, name, str), f"{name} missing")
    declared["extra_pdg"] = extra

    _check_conventions(at, c, signalled, declared)
    declared["fatx"] = _float(at, "NuHepMC.FluxAveragedTotalCrossSection")
    declared["pot"] = _float(at, "NuHepMC.Exposure.POT")
    declared["run_doc"] = None
    if "zpgen.RunInfo" in at:
        try:
            declared["run_doc"] = json.loads(str(_attr(at, "zpgen.RunInfo", str)))
        except (TypeError, ValueError):
            declared["run_doc"] = None
    declared["beams_described"] = {int(m.group(1)) for k in at
                                   if (m := re.match(r"NuHepMC\.Beam\[(-?\d+)\]\.Type$", k))}
    declared["at"] = at
    return declared


def _check_conventions(at: Any, c: dict[str, Check], signalled: set[str],
                       declared: dict[str, Any]) -> None:
    """Run-level part of the signalled conventions (the event part is in _check_event)."""
    for cid in KNOWN_CONVENTIONS:
        if cid not in signalled:
            c[cid].skipped = "not signalled"
    if "G.C.1" in signalled:
        pot, live = _float(at, "NuHepMC.Exposure.POT"), _float(at, "NuHepMC.Exposure.Livetime")
        c["G.C.1"].record(pot > 0 or live > 0, "neither Exposure.POT nor Exposure.Livetime > 0")
    if "G.C.2" in signalled:
        v = _float(at, "NuHepMC.FluxAveragedTotalCrossSection")
        c["G.C.2"].record(math.isfinite(v) and v > 0,
                          f"NuHepMC.FluxAveragedTotalCrossSection = {v}")
    if "G.C.3" in signalled:
        keys = [k for k in at if k.startswith("NuHepMC.Citations.")]
        c["G.C.3"].record(bool(keys), "no NuHepMC.Citations.* attribute")
        for k in keys:
            key_ok = re.fullmatch(r"NuHepMC\.Citations\.[A-Za-z0-9]+(\[\d+\])?\.[A-Za-z0-9]+",
                                  k) is not None
            c["G.C.3"].record(key_ok, f"{k}: <Comp>.<Type> not alphanumeric")
    if "G.C.4" in signalled:
        c["G.C.4"].record(_has(at, "NuHepMC.Beam.EnergyUnit", str),
                          "NuHepMC.Beam.EnergyUnit missing or empty")
        for k in at:
            m = re.match(r"NuHepMC\.Beam\[(-?\d+)\]\.Type$", k)
            if not m:
                continue
            pdg, kind = m.group(1), str(_attr(at, k, str))
            if kind == "Histogram":
                try:
                    edges = list(_attr(at, f"NuHepMC.Beam[{pdg}].Histogram.BinEdges",
                                       list[float]))
                    content = list(_attr(at, f"NuHepMC.Beam[{pdg}].Histogram.BinContent",
                                         list[float]))
                    sizes_ok = len(edges) == len(content) + 1 and len(content) > 0
                except (KeyError, TypeError, ValueError):
                    sizes_ok = False
                c["G.C.4"].record(sizes_ok, f"beam {pdg}: histogram edges/content missing or sizes "
                                      "inconsistent")
            else:
                c["G.C.4"].record(kind == "MonoEnergetic",
                                  f"beam {pdg}: Type {kind!r} not MonoEnergetic/Histogram")
    if "G.C.5" in signalled:
        for p in sorted(declared["extra_pdg"]):
            name = f"NuHepMC.AdditionalParticleInfo[{p}].Description"
            c["G.C.5"].record(_has(at, name, str), f"{name} missing")
    if "E.C.1" in signalled:
        for pid in sorted(declared["ProcessIDs"]):
            c["E.C.1"].record(pid >= 100 or pid < 0, f"process id {pid} outside the ranges")


def _is_standard_pdg(pdg: int) -> bool:
    from .hepmc import _is_standard_pdg as std

    return std(pdg)


def validate_nuhepmc(path: str, rel_tol: float = 1e-6, max_events: int | None = None,
                     ) -> list[Check]:
    """Validate ``path``; returns one :class:`Check` per requirement, in spec order.

    Parameters
    ----------
    path : NuHepMC (HepMC3 ASCII) file
    rel_tol : tolerance of four-momentum conservation at each vertex, relative to the
        summed incoming energy
    max_events : stop after this many events (default: all)
    """
    import pyhepmc

    c = {cid: Check(cid, desc) for cid, desc in SPECS}
    declared: dict[str, Any] | None = None
    numbers: set[int] = set()
    beams: set[int] = set()
    sum_cv = 0.0
    n = 0
    with pyhepmc.open(path) as f:
        for ev in f:
            n += 1
            if declared is None:
                ri = ev.run_info
                c["G.R.1"].record(ri is not None, "no GenRunInfo")
                if ri is None:
                    break
                declared = _check_run_info(ri, c)
            sum_cv += _check_event(ev, declared, c, numbers, beams, rel_tol)
            if max_events is not None and n >= max_events:
                break
    if n == 0:
        c["G.R.1"].record(False, "no event could be read: the run info cannot be checked")
        c["E.R.1"].record(False, "HepMC3 read no event from the file")
        return list(c.values())
    assert declared is not None
    if "G.C.4" in declared["conventions"]:
        for p in sorted(beams):
            c["G.C.4"].record(p in declared["beams_described"],
                              f"beam PDG {p} has no NuHepMC.Beam[{p}].Type")
    _check_fatx(declared, c, sum_cv, complete=max_events is None or n < max_events)
    return list(c.values())


def _check_fatx(declared: dict[str, Any], c: dict[str, Check], sum_cv: float,
                complete: bool) -> None:
    """Z.3: FATX against the CV weights of a zpgen file (whole file read only)."""
    doc = declared.get("run_doc")
    if not isinstance(doc, dict) or not complete:
        c["Z.3"].skipped = ("not a zpgen file" if not isinstance(doc, dict)
                            else "file read only in part (--max-events)")
        return
    try:
        denom = float(doc["pot"]) * float(doc["flux_total"]) * float(doc["n_atoms"])
    except (KeyError, TypeError, ValueError):
        c["Z.3"].skipped = "zpgen.RunInfo lacks pot, flux_total or n_atoms"
        return
    expected = sum_cv / denom * 1e36
    got = declared["fatx"]
    c["Z.3"].record(math.isclose(got, expected, rel_tol=1e-9),
                    f"FluxAveragedTotalCrossSection {got!r} pb, sum CV / (POT flux atoms) = "
                    f"{expected!r} pb")


def _check_event(ev: Any, declared: dict[str, Any], c: dict[str, Check], numbers: set[int],
                 beams: set[int], rel_tol: float) -> float:
    """Event-level checks; returns the event's CV weight (0 if missing)."""
    import pyhepmc

    num = int(ev.event_number)
    tag = f"event {num}"
    c["E.R.2"].record(num >= 0 and num not in numbers, f"{tag}: negative or repeated number")
    numbers.add(num)
    ci = declared["cv_index"]
    w = list(ev.weights)
    ok_w = ci is not None and ci < len(w) and math.isfinite(w[ci])
    c["G.R.7"].record(ok_w, f"{tag}: CV weight missing or not finite")
    at = ev.attributes
    try:
        pid = int(_attr(at, "signal_process_id", int))
        c["E.R.3"].record(pid in declared["ProcessIDs"],
                          f"{tag}: signal_process_id {pid} not declared")
    except (KeyError, TypeError, ValueError):
        c["E.R.3"].record(False, f"{tag}: signal_process_id missing")
    mu, lu = ev.momentum_unit, ev.length_unit
    c["E.R.4"].record(mu in (pyhepmc.Units.GEV, pyhepmc.Units.MEV)
                      and lu in (pyhepmc.Units.MM, pyhepmc.Units.CM), f"{tag}: units {mu}, {lu}")
    try:
        lab = [float(x) for x in _attr(at, "lab_pos", list[float])]
        c["E.R.5"].record(len(lab) in (3, 4), f"{tag}: lab_pos has {len(lab)} entries")
    except (KeyError, TypeError, ValueError):
        lab = []
        c["E.R.5"].record(False, f"{tag}: lab_pos missing (LabPos is the pre-1.0 name)")

    vertices = list(ev.vertices)
    for v in vertices:
        c["E.R.1"].record(bool(v.particles_in) and bool(v.particles_out),
                          f"{tag}: vertex {v.id} (status {v.status}) lacks particles in or out")
    vstat = [int(v.status) for v in vertices]
    c["E.R.6"].record(vstat.count(1) == 1 and 0 not in vstat, f"{tag}: vertex statuses {vstat}")
    signalled = declared["conventions"]
    for s in vstat:
        ok = s in STANDARD_VERTEX_STATUS or (
            21 <= s <= 999 and (s in declared["VertexStatusIDs"]
                                or (s == 21 and "V.C.1" in signalled)))
        c["V.R.1"].record(ok, f"{tag}: vertex status {s} not standard nor declared")
        if s > 2:
            c["G.R.9"].record(ok, f"{tag}: vertex status {s} used but not declared")
    particles = list(ev.particles)
    pstat = [int(p.status) for p in particles]
    c["E.R.7"].record(pstat.count(4) == 1 and pstat.count(20) == 1,
                      f"{tag}: {pstat.count(4)} beam and {pstat.count(20)} target particles")
    for p in particles:
        s, pdg = int(p.status), int(p.pid)
        ok = s in STANDARD_PARTICLE_STATUS or s >= 201 or (
            21 <= s <= 200 and (s in declared["ParticleStatusIDs"]
                                or (s == 21 and "P.C.1" in signalled)))
        c["P.R.1"].record(ok, f"{tag}: particle status {s} not standard nor declared")
        if 21 <= s <= 200:
            c["G.R.10"].record(ok, f"{tag}: particle status {s} used but not declared")
        std = _is_standard_pdg(pdg) and (pdg != PDG_REMNANT or "P.C.2" in signalled)
        c["G.R.11"].record(pdg in declared["extra_pdg"] or std,
                           f"{tag}: PDG {pdg} is non-standard and not declared")
        incoming = p.production_vertex is None or p.production_vertex.id == 0
        outgoing = p.end_vertex is None
        if incoming:
            c["E.R.8"].record(s in (4, 20), f"{tag}: incoming particle {p.id} has status {s}")
        elif outgoing:
            c["E.R.8"].record(s == 1, f"{tag}: outgoing particle {p.id} has status {s}")
        if s == 4:
            beams.add(pdg)
        if pdg == PDG_REMNANT and "P.C.2" in signalled:
            c["P.C.2"].record(outgoing or s == 3, f"{tag}: remnant {p.id} is not outgoing")
    _check_nuclear_conventions(vertices, c, signalled, tag)
    primary = [v for v in vertices if v.status == 1]
    if primary and lab:
        pos = primary[0].position
        ref = np.array([pos.x, pos.y, pos.z])
        ok = lu == pyhepmc.Units.MM and np.allclose(lab[:3], ref, rtol=1e-9, atol=1e-5)
        c["Z.1"].record(bool(ok), f"{tag}: length unit {lu}, lab_pos {lab[:3]} vs primary "
                                  f"vertex {ref.tolist()}")
    for v in vertices:
        _check_conservation(v, c["Z.2"], tag, rel_tol)
    return float(w[ci]) if ok_w and ci is not None else 0.0


def _check_nuclear_conventions(vertices: list[Any], c: dict[str, Check], signalled: set[str],
                               tag: str) -> None:
    """V.C.1 separation vertices and P.C.1 struck nucleons, when signalled."""
    for v in vertices:
        if v.status == 21 and "V.C.1" in signalled:
            ins, outs = list(v.particles_in), list(v.particles_out)
            ok = (len(ins) == 1 and int(ins[0].status) == 20
                  and any(int(p.status) == 21 for p in outs))
            c["V.C.1"].record(ok, f"{tag}: separation vertex {v.id} is not nucleus -> struck "
                                  "nucleon + remnant")
        if v.status == 1 and "P.C.1" in signalled:
            for p in v.particles_in:
                if int(p.status) == 21:
                    c["P.C.1"].record(True)
    for v in vertices:
        for p in v.particles_out:
            if int(p.status) == 21 and "P.C.1" in signalled:
                end = p.end_vertex
                c["P.C.1"].record(end is not None and int(end.status) == 1,
                                  f"{tag}: struck nucleon {p.id} does not enter the primary "
                                  "vertex")


def _four(p: Any) -> np.ndarray:
    m = p.momentum
    return np.array([m.e, m.px, m.py, m.pz])


def _check_conservation(v: Any, c: Check, tag: str, rel_tol: float,
                        four: Callable[[Any], np.ndarray] = _four) -> None:
    pin = list(v.particles_in)
    pout = list(v.particles_out)
    if not pin or not pout:
        return
    sin = np.sum([four(p) for p in pin], axis=0)
    sout = np.sum([four(p) for p in pout], axis=0)
    scale = max(abs(sin[0]), 1e-300)
    diff = float(np.max(np.abs(sin - sout)))
    c.record(diff <= rel_tol * scale,
             f"{tag}: vertex {v.id} (status {v.status}) violates 4-momentum by {diff:.3g} "
             f"(E_in {sin[0]:.6g})")


def format_table(checks: list[Check]) -> str:
    """A fixed-width pass/fail table, one line per requirement."""
    rows = [f"{'id':<7} {'result':<6} {'checked':>8} {'failed':>7}  requirement"]
    for ch in checks:
        line = f"{ch.id:<7} {ch.status:<6} {ch.n_checked:>8} {ch.n_failed:>7}  {ch.description}"
        if ch.skipped:
            line += f" ({ch.skipped})"
        rows.append(line)
        if ch.first_failure:
            rows.append(f"{'':<7} {'':<6} {'':>8} {'':>7}    first failure: {ch.first_failure}")
    return "\n".join(rows)
