"""Check a NuHepMC file against the requirements zpgen implements (NuHepMC 1.0.0).

Each check has the specification's id (G.R.*, G.C.*, E.R.*, V.R.1, P.R.1) or a zpgen id
(Z.*) for additional physics checks: 4-momentum conservation at every vertex and
positions in mm consistent with ``LabPos``.  Used by ``zpgen validate-nuhepmc``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Check", "format_table", "validate_nuhepmc"]

STANDARD_PARTICLE_STATUS = {1, 2, 3, 4, 20}
STANDARD_VERTEX_STATUS = {1, 2}


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
        _attr(view, key, typ)
    except (KeyError, TypeError, ValueError):
        return False
    return True


def _check_run_info(ri: Any, checks: dict[str, Check]) -> dict[str, Any]:
    """Run-level checks; returns the declared ids needed by the event checks."""
    at = ri.attributes
    c = checks["G.R.2"]
    for k in ("Major", "Minor", "Patch"):
        c.record(_has(at, f"NuHepMC.Version.{k}", int), f"NuHepMC.Version.{k} missing")
    c = checks["G.R.3"]
    tools = list(ri.tools)
    c.record(bool(tools), "no ToolInfo")
    for t in tools:
        c.record(bool(t.name) and bool(t.version), f"ToolInfo {t!r} lacks name or version")

    declared: dict[str, Any] = {}
    for rid, key, info in (("G.R.4", "ProcessIDs", "ProcessInfo"),
                           ("G.R.5", "VertexStatusIDs", "VertexStatusInfo"),
                           ("G.R.6", "ParticleStatusIDs", "ParticleStatusInfo")):
        c = checks[rid]
        try:
            ids = [int(i) for i in _attr(at, f"NuHepMC.{key}", list[int])]
        except (KeyError, TypeError, ValueError):
            c.record(False, f"NuHepMC.{key} missing or not a list of integers")
            ids = []
        else:
            c.record(True)
        for i in ids:
            for part in ("Name", "Description"):
                name = f"NuHepMC.{info}[{i}].{part}"
                c.record(_has(at, name, str), f"{name} missing")
        declared[key] = set(ids)

    c = checks["G.R.7"]
    names = list(ri.weight_names)
    c.record("CV" in names, f"weight 'CV' not declared (weights: {names})")
    declared["cv_index"] = names.index("CV") if "CV" in names else None

    c = checks["G.R.8"]
    try:
        extra = {int(i) for i in _attr(at, "NuHepMC.AdditionalParticleNumbers", list[int])}
    except KeyError:  # acceptable if no non-standard code is used (checked per particle)
        extra = set()
    except (TypeError, ValueError):
        extra = set()
        c.record(False, "NuHepMC.AdditionalParticleNumbers is not a list of integers")
    for p in extra:
        name = f"NuHepMC.AdditionalParticleNumber[{p}].Name"
        c.record(_has(at, name, str), f"{name} missing")
    declared["extra_pdg"] = extra

    c = checks["G.C.1"]
    try:
        conv = [str(s) for s in _attr(at, "NuHepMC.Conventions", list[str])]
        c.record(True)
    except (KeyError, TypeError, ValueError):
        conv = []
        c.record(False, "NuHepMC.Conventions missing")
    declared["conventions"] = conv
    for cid, test in (
        ("G.C.3", lambda: _attr(at, "NuHepMC.Exposure.POT", float) > 0
            if _has(at, "NuHepMC.Exposure.POT", float)
            else _attr(at, "NuHepMC.Exposure.Livetime", float) > 0),
        ("G.C.4", lambda: bool(_attr(at, "NuHepMC.Units.CrossSection.Unit", str))),
        ("G.C.5", lambda: math.isfinite(v := _attr(at, "NuHepMC.FluxAveragedTotalCrossSection",
                                                    float)) and v > 0),
    ):
        c = checks[cid]
        if cid not in conv:
            c.skipped = "not signalled"
            continue
        try:
            ok = bool(test())
            c.record(ok, "value not positive/finite")
        except (KeyError, TypeError, ValueError) as exc:
            c.record(False, f"attribute {exc} missing")
    return declared


def _is_standard_pdg(pdg: int) -> bool:
    from .hepmc import _is_standard_pdg as std

    return std(pdg)


def validate_nuhepmc(path: str, rel_tol: float = 1e-6, max_events: int | None = None,
                     ) -> list[Check]:
    """Validate ``path``; returns one :class:`Check` per requirement, in spec order.

    Parameters
    ----------
    path : NuHepMC (HepMC3 ASCII) file
    rel_tol : tolerance of 4-momentum conservation at each vertex, relative to the summed
        incoming energy
    max_events : stop after this many events (default: all)
    """
    import pyhepmc

    specs = [
        ("G.R.1", "GenRunInfo present"),
        ("G.R.2", "NuHepMC.Version.{Major,Minor,Patch} integers"),
        ("G.R.3", "ToolInfo with name and version"),
        ("G.R.4", "NuHepMC.ProcessIDs with Name/Description"),
        ("G.R.5", "NuHepMC.VertexStatusIDs with Name/Description"),
        ("G.R.6", "NuHepMC.ParticleStatusIDs with Name/Description"),
        ("G.R.7", "weight CV declared and finite in every event"),
        ("G.R.8", "non-standard PDG codes declared"),
        ("G.C.1", "NuHepMC.Conventions present"),
        ("G.C.3", "exposure (POT) given"),
        ("G.C.4", "cross-section units given"),
        ("G.C.5", "flux-averaged total cross section given"),
        ("E.R.2", "event numbers non-negative and unique"),
        ("E.R.3", "signal_process_id present and declared"),
        ("E.R.4", "energy and length units set (GEV/MEV, MM/CM)"),
        ("E.R.5", "LabPos with 3 or 4 entries"),
        ("E.R.6", "one primary vertex (status 1), none with status 0"),
        ("E.R.7", "one beam (status 4) and one target (status 20) particle"),
        ("V.R.1", "vertex status codes standard or declared"),
        ("P.R.1", "particle status codes standard or declared"),
        ("Z.1", "positions in mm, LabPos = primary vertex position"),
        ("Z.2", f"4-momentum conserved at every vertex (rel. {rel_tol:g})"),
    ]
    checks = {cid: Check(cid, desc) for cid, desc in specs}
    declared: dict[str, Any] | None = None
    numbers: set[int] = set()
    n = 0
    with pyhepmc.open(path) as f:
        for ev in f:
            n += 1
            if declared is None:
                ri = ev.run_info
                checks["G.R.1"].record(ri is not None, "no GenRunInfo")
                if ri is None:
                    break
                declared = _check_run_info(ri, checks)
            _check_event(ev, declared, checks, numbers, rel_tol)
            if max_events is not None and n >= max_events:
                break
    if n == 0:
        checks["G.R.1"].record(False, "no events: the run info cannot be read")
    return list(checks.values())


def _check_event(ev: Any, declared: dict[str, Any], checks: dict[str, Check],
                 numbers: set[int], rel_tol: float) -> None:
    import pyhepmc

    num = int(ev.event_number)
    tag = f"event {num}"
    checks["E.R.2"].record(num >= 0 and num not in numbers,
                           f"{tag}: negative or repeated event number")
    numbers.add(num)

    ci = declared["cv_index"]
    w = list(ev.weights)
    checks["G.R.7"].record(ci is not None and ci < len(w) and math.isfinite(w[ci]),
                           f"{tag}: CV weight missing or not finite")

    at = ev.attributes
    try:
        pid = int(_attr(at, "signal_process_id", int))
        checks["E.R.3"].record(pid in declared["ProcessIDs"],
                               f"{tag}: signal_process_id {pid} not declared")
    except (KeyError, TypeError, ValueError):
        checks["E.R.3"].record(False, f"{tag}: signal_process_id missing")

    mu, lu = ev.momentum_unit, ev.length_unit
    checks["E.R.4"].record(mu in (pyhepmc.Units.GEV, pyhepmc.Units.MEV)
                           and lu in (pyhepmc.Units.MM, pyhepmc.Units.CM),
                           f"{tag}: units {mu}, {lu}")
    try:
        lab = [float(x) for x in _attr(at, "LabPos", list[float])]
        checks["E.R.5"].record(len(lab) in (3, 4), f"{tag}: LabPos has {len(lab)} entries")
    except (KeyError, TypeError, ValueError):
        lab = []
        checks["E.R.5"].record(False, f"{tag}: LabPos missing")

    vstat = [int(v.status) for v in ev.vertices]
    checks["E.R.6"].record(vstat.count(1) == 1 and 0 not in vstat,
                           f"{tag}: vertex statuses {vstat}")
    for s in vstat:
        checks["V.R.1"].record(s in STANDARD_VERTEX_STATUS or
                               (21 <= s <= 999 and s in declared["VertexStatusIDs"]),
                               f"{tag}: vertex status {s} not standard nor declared")
    pstat = [int(p.status) for p in ev.particles]
    checks["E.R.7"].record(pstat.count(4) == 1 and pstat.count(20) == 1,
                           f"{tag}: {pstat.count(4)} beam and {pstat.count(20)} target "
                           "particles")
    for s in pstat:
        checks["P.R.1"].record(s in STANDARD_PARTICLE_STATUS or s >= 201 or
                               (21 <= s <= 200 and s in declared["ParticleStatusIDs"]),
                               f"{tag}: particle status {s} not standard nor declared")
    for p in ev.particles:
        pdg = int(p.pid)
        checks["G.R.8"].record(pdg in declared["extra_pdg"] or _is_standard_pdg(pdg),
                               f"{tag}: PDG {pdg} is non-standard and not declared")

    primary = [v for v in ev.vertices if v.status == 1]
    if primary and lab:
        pos = primary[0].position
        ref = np.array([pos.x, pos.y, pos.z])
        ok = lu == pyhepmc.Units.MM and np.allclose(lab[:3], ref, rtol=1e-9, atol=1e-5)
        checks["Z.1"].record(bool(ok), f"{tag}: length unit {lu}, LabPos {lab[:3]} vs "
                                       f"primary vertex {ref.tolist()}")
    for v in ev.vertices:
        _check_conservation(v, checks["Z.2"], tag, rel_tol)


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
    rows = [f"{'id':<6} {'result':<6} {'checked':>8} {'failed':>7}  requirement"]
    for c in checks:
        line = f"{c.id:<6} {c.status:<6} {c.n_checked:>8} {c.n_failed:>7}  {c.description}"
        if c.skipped:
            line += f" ({c.skipped})"
        rows.append(line)
        if c.first_failure:
            rows.append(f"{'':<6} {'':<6} {'':>8} {'':>7}    first failure: {c.first_failure}")
    return "\n".join(rows)
