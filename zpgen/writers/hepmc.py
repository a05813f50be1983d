"""NuHepMC 1.0 output (HepMC3 ASCII): the run header through pyhepmc, the events as text.

Units: GeV and mm.  Positions are converted from cm (x 10); times from ns to mm/c
(t[mm] = t[ns] * 299.792458).

Event graph (from the record's convention, :mod:`zpgen.event_record`)
--------------------------------------------------------------------
* **Primary vertex** (status 1): the beam neutrino (status 4) and the target in, the
  products of the scattering (``mother = -1``) out.  The target (status 20) is the
  nucleus (NuHepMC E.R.7): the 12C nucleus for coherent scattering, the hydrogen nucleus
  1000010010 for the free proton.
* **Bound nucleon** (V.C.1, P.C.1, P.C.2; channels whose
  :class:`zpgen.registry.ChannelInfo` says ``bound``): the nucleus (status 20, at rest)
  enters a *separation vertex* (status 21) that gives the struck nucleon (status 21, the
  record's target) and a nuclear remnant (PDG 2009900000, status 1, carrying the rest of
  the nucleus's four-momentum; its nuclear code, e.g. 11B, in the particle attribute
  ``remnant_particle_number``); the struck nucleon and the beam enter the primary vertex.
* **Decay vertices** (status 22): one per decayed particle, at its daughters' production
  point, numbered as in :func:`zpgen.event_record.production_vertices`.

Event attributes: ``signal_process_id`` (E.R.3, the channel's process id),
``lab_pos`` (E.R.5, [x, y, z] of the primary vertex in mm) and ``zpgen.<column>`` for every
event-level column (reconstructed observables, ``w_eff``, ``passes``, ...).  One weight,
``CV`` = w (expected events for the exposure).

Run information (G.R.1-G.R.11, written at close, when the totals are known): tools,
version, process ids with names and descriptions, vertex and particle statuses, the new
particles declared by the process (names, G.C.5 descriptions, mass, width, spin,
charge), the flux-averaged total cross section (G.C.2, with its uncertainty) in pb per
target atom (``NuHepMC.Units.CrossSection.TargetScale = "PerAtom"``, see
:func:`fatx_per_atom_pb`), the exposure in POT (G.C.1), citations (G.C.3), the beam's
energy distribution (G.C.4) and the provenance (G.S.1): command, seed, the card and the
whole zpgen run document (``zpgen.RunInfo``, JSON with exact values: HepMC3 keeps 15
digits for double attributes).

The events are formatted as text directly (HepMC3's per-object API costs about 300 us
per event in Python); every file is read back by HepMC3 itself (pyhepmc) in the tests.
"""

from __future__ import annotations

import contextlib
import functools
import math
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import awkward as ak
import numpy as np

from zpgen.event_record import STATUS_DOCS, production_vertices

from ._base import C_MM_PER_NS, CM2_TO_PB, AtomicWriter, WriterError, dumps, flat_particles

__all__ = [
    "CONVENTIONS",
    "NUHEPMC_VERSION",
    "PARTICLE_STATUS",
    "VERTEX_STATUS",
    "NuHepMCWriter",
    "fatx_per_atom_pb",
    "process_ids",
]

NUHEPMC_VERSION = (1, 0, 0)
#: Conventions and suggestions followed (G.R.4); each one is filled below.
CONVENTIONS = ("G.C.1", "G.C.2", "G.C.3", "G.C.4", "G.C.5", "E.C.1", "V.C.1", "P.C.1",
               "P.C.2", "G.S.1", "G.S.2")
CM_TO_MM = 10.0
#: Status of the struck nucleon (P.C.1) and of the separation vertex (V.C.1).
STATUS_STRUCK_NUCLEON = 21
SEPARATION_VERTEX = 21
#: Nuclear remnant pseudoparticle (P.C.2).
PDG_REMNANT = 2009900000
PARTICLE_STATUS = {
    **STATUS_DOCS,
    STATUS_STRUCK_NUCLEON: ("StruckNucleon", "nucleon bound in the target nucleus that the "
                                             "beam scatters on (P.C.1)"),
}
PRIMARY_VERTEX, DECAY_VERTEX = 1, 22
VERTEX_STATUS = {
    PRIMARY_VERTEX: ("PrimaryVertex", "the upscattering nu T -> nu5 T (beam and target in)"),
    SEPARATION_VERTEX: ("NucleonSeparationVertex", "separation of the struck nucleon from "
                                                   "the target nucleus (V.C.1)"),
    DECAY_VERTEX: ("DecayVertex", "decay of an intermediate particle (nu5, nu4, Z')"),
}
#: Citations of the generator's modelling components (G.C.3), as DOIs.
CITATIONS = {
    "Integrator": ("10.1016/0021-9991(78)90004-9", "10.1016/j.jcp.2021.110386"),
}


def process_ids(channels: Sequence[str]) -> dict[str, int]:
    """NuHepMC process id of channels a process did not describe (E.C.1 ranges, NC block).

    Coherent channels get 150, 151, ... (low-energy nuclear scattering, NC); scattering on
    a nucleon 250, 251, ... (quasielastic, NC); anything else 750, 751, ...  Processes
    declare their own ids (:class:`zpgen.registry.ChannelInfo`); this is the fallback.
    """
    out: dict[str, int] = {}
    used = {150: 0, 250: 0, 750: 0}
    for ch in channels:
        low = ch.lower()
        base = 150 if "coh" in low else 250 if ("proton" in low or "neutron" in low) else 750
        out[ch] = base + used[base]
        used[base] += 1
    return out


def fatx_per_atom_pb(sum_w: float, run_info: Mapping[str, Any]) -> float:
    """Flux-averaged total cross section per target atom (pb) of events summing to ``sum_w``.

    ``sum_w / (POT * Phi_tot * N_atoms) * 1e36``: the expected events divided by the
    exposure, the integrated flux (nu/cm^2/POT) and the number of target atoms of the
    detector (``run_info["n_atoms"]``, e.g. 12C and 1H atoms of CH2).  Summed over the
    channels, this is ``sum_T (n_T / N_atoms) BR_visible <sigma_T>``: the cross section of
    an average atom of the target material, NuHepMC's "PerAtom" (G.R.6).  NaN when the
    run document lacks the exposure.
    """
    try:
        denom = (float(run_info["pot"]) * float(run_info["flux_total"])
                 * float(run_info["n_atoms"]))
    except (KeyError, TypeError, ValueError):
        return math.nan
    return sum_w / denom * CM2_TO_PB if denom > 0 else math.nan


def _num(x: float) -> str:
    """A double as HepMC3 writes it (17 significant digits)."""
    return f"{x:.16e}"


class NuHepMCWriter(AtomicWriter):
    """Stream events to a NuHepMC 1.0 (HepMC3 ASCII) file; atomic (module docstring).

    Parameters
    ----------
    event_columns : also write every event-level column as a ``zpgen.<name>`` double
        attribute (default True)
    """

    name = "hepmc3"
    suffixes = (".hepmc3", ".hepmc")

    def __init__(self, event_columns: bool = True) -> None:
        super().__init__()
        self.event_columns = event_columns
        self._body: TextIO | None = None
        self._body_path: Path | None = None
        self._channel: list[dict[str, Any]] = []
        self._pdgs: set[int] = set()
        self._beams: set[int] = set()
        self._event_number = 0

    def _start(self, tmp_path: Path) -> None:
        try:
            import pyhepmc  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise WriterError("NuHepMC output needs pyhepmc: pip install pyhepmc") \
                from exc
        self._body_path = self.temp_name(".part-body")
        self._extra_tmp.append(self._body_path)
        self._body = open(self._body_path, "w", encoding="utf-8")  # noqa: SIM115
        channels = list(self.run_info.get("channels", []))
        described = dict(self.run_info.get("channel_info", {}) or {})
        fallback = process_ids(channels)
        self._channel = []
        for name in channels:
            info = dict(described.get(name, {}))
            info.setdefault("process_id", fallback[name])
            info.setdefault("bound", False)
            info.setdefault("description", f"zpgen channel {name}")
            info["name"] = name
            self._channel.append(info)

    # ------------------------------------------------------------------ events
    def _write(self, chunk: Any) -> None:
        assert self._body is not None
        offsets, flat = flat_particles(chunk)
        vertex, n_vertices = production_vertices(offsets, flat["status"], flat["mother"])
        status = flat["status"]
        pdg = flat["pdg"]
        E, px, py, pz = flat["E"], flat["px"], flat["py"], flat["pz"]
        mass = np.sqrt(np.maximum(E * E - px * px - py * py - pz * pz, 0.0))
        pos = np.stack([flat["x"] * CM_TO_MM, flat["y"] * CM_TO_MM, flat["z"] * CM_TO_MM,
                        flat["t"] * C_MM_PER_NS], axis=1)
        w = ak.to_numpy(chunk["w"]).astype(np.float64)
        ch = ak.to_numpy(chunk["channel"]).astype(np.int64)
        cols = {c: ak.to_numpy(chunk[c]) for c in (self.columns or [])} \
            if self.event_columns else {}
        col_items = [(f"A 0 zpgen.{c} ", np.asarray(v, dtype=np.float64).tolist())
                     for c, v in cols.items()]
        self._pdgs.update(int(p) for p in np.unique(pdg))
        self._beams.update(int(p) for p in np.unique(pdg[status == 4]))
        # text of every particle's kinematics, formatted once per chunk
        kin = [f"{pdg[j]} {_num(px[j])} {_num(py[j])} {_num(pz[j])} {_num(E[j])} "
               f"{_num(mass[j])} {status[j]}" for j in range(pdg.size)]
        where = [f"@ {_num(p[0])} {_num(p[1])} {_num(p[2])} {_num(p[3])}" for p in pos]
        lines: list[str] = []
        out = lines.append
        for i in range(len(chunk)):
            a, b = int(offsets[i]), int(offsets[i + 1])
            c = int(ch[i])
            info = self._channel[c] if 0 <= c < len(self._channel) else {
                "process_id": 750 + c, "bound": False}
            bound = bool(info.get("bound")) and b - a >= 2
            self._event_number += 1
            n_part = b - a + (2 if bound else 0)
            n_vtx = int(n_vertices[i]) + (1 if bound else 0)
            out(f"E {self._event_number} {n_vtx} {n_part}\nU GEV MM\nW {_num(w[i])}\n")
            primary = a + 2  # a product of the primary vertex gives its position
            for j in range(a + 2, b):
                if vertex[j] == 0:
                    primary = j
                    break
            lab = pos[primary]
            out(f"A 0 lab_pos {_num(lab[0])} {_num(lab[1])} {_num(lab[2])}\n"
                f"A 0 signal_process_id {int(info['process_id'])}\n")
            for prefix, values in col_items:
                out(f"{prefix}{values[i]!r}\n")
            if bound:  # attributes precede the particles (HepMC3 3.2 readers need it)
                out(f"A 4 remnant_particle_number {int(info.get('remnant_pdg', 0))}\n")
            # incoming particles, and for a bound nucleon the nucleus and the remnant
            out(f"P 1 0 {kin[a]}\n")
            shift = 1  # hepmc vertex id of record vertex k is -(k + shift)
            if bound:
                self._bound_nucleus(info, a, flat, where[primary], out)
                shift = 2
                target_id = 3
                first_id = 5  # hepmc id of record slot 2
            else:
                target_pdg = int(info.get("nucleus_pdg", pdg[a + 1]) or pdg[a + 1])
                out(f"P 2 0 {target_pdg}{kin[a + 1][len(str(pdg[a + 1])):]}\n")
                target_id = 2
                first_id = 3
            out(f"V -{shift} {PRIMARY_VERTEX} [1,{target_id}] {where[primary]}\n")
            opened = 0
            for j in range(a + 2, b):
                k = int(vertex[j])
                if k > opened:  # first product of decay vertex k: declare it
                    parent = a + int(flat["mother"][j])
                    pid = first_id + parent - a - 2
                    out(f"V -{k + shift} {DECAY_VERTEX} [{pid}] {where[j]}\n")
                    opened = k
                out(f"P {first_id + j - a - 2} -{k + shift} {kin[j]}\n")
        self._body.write("".join(lines))

    def _bound_nucleus(self, info: Mapping[str, Any], a: int, flat: Mapping[str, np.ndarray],
                       where: str, out: Any) -> None:
        """Nucleus (P 2), separation vertex (V -1), struck nucleon (P 3), remnant (P 4)."""
        m_nucleus = float(info.get("nucleus_mass_GeV", 0.0))
        nucleus = int(info.get("nucleus_pdg", 0))
        t = a + 1
        e_n, p_x, p_y, p_z = (float(flat[k][t]) for k in ("E", "px", "py", "pz"))
        out(f"P 2 0 {nucleus} 0 0 0 {_num(m_nucleus)} {_num(m_nucleus)} 20\n"
            f"V -1 {SEPARATION_VERTEX} [2] {where}\n"
            f"P 3 -1 {int(flat['pdg'][t])} {_num(p_x)} {_num(p_y)} {_num(p_z)} {_num(e_n)} "
            f"{_num(math.sqrt(max(e_n * e_n - p_x * p_x - p_y * p_y - p_z * p_z, 0.0)))} "
            f"{STATUS_STRUCK_NUCLEON}\n")
        e_r = m_nucleus - e_n
        m_r = math.sqrt(max(e_r * e_r - p_x * p_x - p_y * p_y - p_z * p_z, 0.0))
        out(f"P 4 -1 {PDG_REMNANT} {_num(0.0 - p_x)} {_num(0.0 - p_y)} {_num(0.0 - p_z)} "
            f"{_num(e_r)} {_num(m_r)} 1\n")

    # ------------------------------------------------------------------ run info
    def _run_info(self, totals: Mapping[str, Any]) -> Any:
        import pyhepmc

        ri = pyhepmc.GenRunInfo()
        ri.tools = [(str(self.run_info.get("generator", "zpgen")),
                     str(self.run_info.get("version", "unknown")),
                     "dark-Z' / sterile-neutrino upscattering generator")]
        ri.weight_names = ["CV"]
        at = ri.attributes
        at["NuHepMC.Version.Major"] = NUHEPMC_VERSION[0]
        at["NuHepMC.Version.Minor"] = NUHEPMC_VERSION[1]
        at["NuHepMC.Version.Patch"] = NUHEPMC_VERSION[2]
        at["NuHepMC.Conventions"] = list(CONVENTIONS)
        # G.R.8 processes, G.C.3 their citations
        at["NuHepMC.ProcessIDs"] = [int(c["process_id"]) for c in self._channel]
        for c in self._channel:
            pid = int(c["process_id"])
            at[f"NuHepMC.ProcessInfo[{pid}].Name"] = str(c["name"])
            at[f"NuHepMC.ProcessInfo[{pid}].Description"] = str(c["description"])
            if c.get("citations"):
                at[f"NuHepMC.Citations.Process[{pid}].DOI"] = [str(d) for d in c["citations"]]
        for comp, dois in CITATIONS.items():
            at[f"NuHepMC.Citations.{comp}.DOI"] = list(dois)
        # G.R.9, G.R.10 (with the standard codes too: G.S.2)
        at["NuHepMC.VertexStatusIDs"] = sorted(VERTEX_STATUS)
        for sid, (nm, desc) in VERTEX_STATUS.items():
            at[f"NuHepMC.VertexStatusInfo[{sid}].Name"] = nm
            at[f"NuHepMC.VertexStatusInfo[{sid}].Description"] = desc
        at["NuHepMC.ParticleStatusIDs"] = sorted(PARTICLE_STATUS)
        for sid, (nm, desc) in PARTICLE_STATUS.items():
            at[f"NuHepMC.ParticleStatusInfo[{sid}].Name"] = nm
            at[f"NuHepMC.ParticleStatusInfo[{sid}].Description"] = desc
        self._particles(at)
        # G.R.5 / G.C.2 flux-averaged total cross section, G.R.6 its units, G.C.1 exposure
        at["NuHepMC.Units.CrossSection.Unit"] = "pb"
        at["NuHepMC.Units.CrossSection.TargetScale"] = "PerAtom"
        fatx = fatx_per_atom_pb(self.sum_w, self.run_info)
        if not math.isfinite(fatx):
            raise WriterError("hepmc3 writer: run_info lacks pot, flux_total or n_atoms; "
                              "the flux-averaged cross section (G.R.5) cannot be written")
        at["NuHepMC.FluxAveragedTotalCrossSection"] = fatx
        err = float(totals.get("expected_events_err", math.nan))
        if math.isfinite(err) and self.sum_w > 0:
            expected = float(totals.get("expected_events", self.sum_w)) or self.sum_w
            at["NuHepMC.FluxAveragedTotalCrossSectionUncertainty"] = fatx * err / expected
        if "pot" in self.run_info:
            at["NuHepMC.Exposure.POT"] = float(self.run_info["pot"])
        self._beam(at)
        # G.S.1 provenance
        n_req = self.run_info.get("n_events", totals.get("n_events", self.n_written))
        at["NuHepMC.Provenance.NEvents"] = int(n_req)
        at["NuHepMC.Provenance.RNGState"] = str(self.run_info.get("seed", ""))
        if self.run_info.get("command"):
            at["NuHepMC.Provenance.Command"] = str(self.run_info["command"])
        at["NuHepMC.Provenance.zpgen.Card"] = self.card_text()
        weights = dict(self.run_info.get("event_weights", {}) or {})
        at["zpgen.EventWeights"] = (
            f"unweighted ({weights.get('mode', 'physics')} weight): every event has the same "
            "CV weight" if weights.get("unweighted") else
            "weighted: CV = expected events of the exposure; their sum = expected events")
        at["zpgen.RunInfo"] = dumps(self.metadata(totals))
        return ri

    def _particles(self, at: Any) -> None:
        """G.R.11 non-standard particle numbers, G.C.5 their descriptions and properties."""
        declared = {int(k): dict(v) for k, v in
                    dict(self.run_info.get("particles", {}) or {}).items()}
        extra = sorted(p for p in self._pdgs if not _is_standard_pdg(p))
        extra = sorted(set(extra) | {p for p, v in declared.items()
                                     if not v.get("standard", False)})
        # pyhepmc cannot build an empty VectorIntAttribute; "" serialises identically
        at["NuHepMC.AdditionalParticleNumbers"] = extra if extra else ""
        for p in extra:
            info = declared.get(p, {})
            at[f"NuHepMC.AdditionalParticleNumber[{p}].Name"] = str(
                info.get("name", f"zpgen_{p}"))
            at[f"NuHepMC.AdditionalParticleInfo[{p}].Description"] = str(
                info.get("description", "particle of a zpgen process plugin"))
            for key, attr in (("mass_GeV", "Mass"), ("width_GeV", "Width"), ("spin", "Spin"),
                              ("charge", "Charge")):
                if key in info:
                    at[f"NuHepMC.AdditionalParticleNumber[{p}].zpgen.{attr}"] = float(info[key])

    def _beam(self, at: Any) -> None:
        """G.C.4: the beam's energy distribution per beam PDG (histogram or one energy)."""
        beam = dict(self.run_info.get("beam", {}) or {})
        at["NuHepMC.Beam.EnergyUnit"] = "GEV"
        at["NuHepMC.Beam.FluxUnit"] = str(beam.get("flux_unit", "Arbitrary"))
        pdgs = sorted(self._beams) or [int(beam.get("pdg", self.run_info.get("beam_pdg", 14)))]
        for p in pdgs:
            if beam.get("type") == "MonoEnergetic":
                at[f"NuHepMC.Beam[{p}].Type"] = "MonoEnergetic"
                at[f"NuHepMC.Beam[{p}].MonoEnergetic.Energy"] = float(beam["energy_GeV"])
            elif beam.get("edges_GeV") is not None:
                at[f"NuHepMC.Beam[{p}].Type"] = "Histogram"
                at[f"NuHepMC.Beam[{p}].Histogram.BinEdges"] = [float(e) for e in
                                                              beam["edges_GeV"]]
                at[f"NuHepMC.Beam[{p}].Histogram.BinContent"] = [float(v) for v in
                                                                beam["content"]]
                at[f"NuHepMC.Beam[{p}].Histogram.ContentIsPerWidth"] = bool(
                    beam.get("content_is_per_width", True))

    def _finish(self, totals: Mapping[str, Any]) -> None:
        import pyhepmc

        assert self._body is not None
        self._body.close()
        self._body = None
        assert self.tmp_path is not None and self._body_path is not None
        header = pyhepmc.io.WriterAscii(str(self.tmp_path), self._run_info(totals))
        header.close()
        head = []
        with open(self.tmp_path, encoding="utf-8") as fh:
            for ln in fh:
                if ln.startswith("HepMC::Asciiv3-END_EVENT_LISTING"):
                    break
                head.append(ln)
        with open(self.tmp_path, "w", encoding="utf-8") as out, \
                open(self._body_path, encoding="utf-8") as body:
            out.writelines(head)
            shutil.copyfileobj(body, out, 1 << 20)
            out.write("HepMC::Asciiv3-END_EVENT_LISTING\n\n")

    def _release(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):
                self._body.close()
            self._body = None


@functools.lru_cache(maxsize=4096)
def _is_standard_pdg(pdg: int) -> bool:
    """True if the PDG number is a known particle or a nuclear code (10LZZZAAAI)."""
    a = abs(pdg)
    if a == PDG_REMNANT:  # P.C.2 reserves it (non-standard, declared by the convention)
        return True
    if 1000000000 <= a < 2000000000 or a < 100:  # nuclei; fundamental particles incl. Z' 32
        return True
    try:
        from particle import Particle
        from particle.particle import ParticleNotFound
    except ImportError:  # pragma: no cover
        return a < 1000000
    try:
        Particle.from_pdgid(int(pdg))
    except (ParticleNotFound, ValueError):
        return False
    return True
