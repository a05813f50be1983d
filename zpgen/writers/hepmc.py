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
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import awkward as ak
import numpy as np

from zpgen.event_record import STATUS_BEAM, STATUS_DOCS, production_vertices

from ._base import (
    C_MM_PER_NS,
    CM2_TO_PB,
    AtomicWriter,
    RecordBuilder,
    WriterError,
    dumps,
    flat_particles,
    generator_description,
    weight_share,
)
from ._text import Lines, join, take_text, text

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
    PRIMARY_VERTEX: ("PrimaryVertex", "the scattering of the beam on the target (beam and "
                                      "target in, the products of the scattering out)"),
    SEPARATION_VERTEX: ("NucleonSeparationVertex", "separation of the struck nucleon from "
                                                   "the target nucleus (V.C.1)"),
    DECAY_VERTEX: ("DecayVertex", "decay of an intermediate particle of the process "
                                  "(status 2) into the particles out"),
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

    ``sum_w / (s * POT * Phi_tot * N_atoms) * 1e36`` (``s = run_info["weight_share"]``,
    1 / K for a job of a K-job array, whose w carry its share of the exposure, else 1):
    the expected events divided by the
    exposure, the integrated flux (nu/cm^2/POT) and the number of target atoms of the
    detector (``run_info["n_atoms"]``, e.g. 12C and 1H atoms of CH2).  Summed over the
    channels, this is ``sum_T (n_T / N_atoms) <sigma_T>`` (each channel's flux-averaged
    cross section as its process defines it, e.g. ``dark_neutrino``'s times the visible
    branching ratio): the cross section of an average atom of the target material,
    NuHepMC's "PerAtom" (G.R.6).  NaN when the run document lacks the exposure.
    """
    try:
        denom = (float(run_info["pot"]) * float(run_info["flux_total"])
                 * float(run_info["n_atoms"])) * weight_share(run_info)
    except (KeyError, TypeError, ValueError):
        return math.nan
    return sum_w / denom * CM2_TO_PB if denom > 0 else math.nan


class NuHepMCWriter(AtomicWriter):
    """Stream events to a NuHepMC 1.0 (HepMC3 ASCII) file; atomic (module docstring).

    Parameters
    ----------
    event_columns : also write every event-level column as a ``zpgen.<name>`` double
        attribute (default True)
    """

    name = "hepmc3"
    suffixes = (".hepmc3", ".hepmc")
    #: lines built 4096 events at a time (AtomicWriter.max_write_events): peak RSS of a
    #: run 549 MB instead of 906 MB with 20000-event chunks, and faster (issue 14)
    max_write_events = 4096
    aliases = ("hepmc", "nuhepmc")

    def __init__(self, event_columns: bool = True) -> None:
        super().__init__()
        self.event_columns = event_columns
        self._body: BinaryIO | None = None
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
        self._body = open(self._body_path, "wb")  # noqa: SIM115
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
    def _channel_table(self, ch: np.ndarray) -> dict[str, np.ndarray]:
        """Per-event arrays of the channel descriptions (process id, bound, nucleus...)."""
        table = [*self._channel, {"process_id": 750 + len(self._channel), "bound": False}]
        idx = np.where((ch >= 0) & (ch < len(self._channel)), ch, len(self._channel))

        def col(key: str, default: Any, dtype: Any) -> np.ndarray:
            return np.array([t.get(key, default) or default for t in table], dtype=dtype)[idx]

        return {"process_id": col("process_id", 750, np.int64),
                "bound": col("bound", False, bool),
                "nucleus_pdg": col("nucleus_pdg", 0, np.int64),
                "nucleus_mass": col("nucleus_mass_GeV", 0.0, np.float64),
                "remnant_pdg": col("remnant_pdg", 0, np.int64)}

    def _write(self, chunk: Any) -> None:
        """One chunk as HepMC3 ASCII text, every column formatted at once (module
        docstring); the record layout is the one HepMC3's own writer produces."""
        assert self._body is not None
        offsets, flat = flat_particles(chunk)
        vertex, n_vertices = production_vertices(offsets, flat["status"], flat["mother"])
        n_ev, counts = len(chunk), np.diff(offsets)
        event = np.repeat(np.arange(n_ev), counts)
        local = np.arange(offsets[-1]) - np.repeat(offsets[:-1], counts)
        status, pdg, mother = flat["status"], flat["pdg"], flat["mother"].astype(np.int64)
        E, px, py, pz = flat["E"], flat["px"], flat["py"], flat["pz"]
        mass = np.sqrt(np.maximum(E * E - px * px - py * py - pz * pz, 0.0))
        ch = self._channel_table(ak.to_numpy(chunk["channel"]).astype(np.int64))
        bound = ch["bound"] & (counts >= 2)
        self._pdgs.update(int(p) for p in np.unique(pdg))
        self._beams.update(int(p) for p in np.unique(pdg[status == 4]))
        lines = Lines()
        stride = 64 + 2 * int(counts.max(initial=0)) + len(self.columns or [])
        key0 = np.arange(n_ev, dtype=np.int64) * stride
        # event header: number, vertices and particles, units, weight, attributes
        numbers = self._event_number + 1 + np.arange(n_ev)
        self._event_number += n_ev
        lines.add(key0, join("E", text(numbers), text(n_vertices + bound),
                             text(counts + 2 * bound)))
        lines.add(key0 + 1, "U GEV MM")
        lines.add(key0 + 2, join("W", text(ak.to_numpy(chunk["w"]).astype(np.float64))))
        pos = [text(flat[k] * CM_TO_MM) for k in ("x", "y", "z")]
        pos.append(text(flat["t"] * C_MM_PER_NS))
        prim_events, first = np.unique(event[vertex == 0], return_index=True)
        primary = np.flatnonzero(vertex == 0)[first]  # a product of the primary vertex
        if prim_events.size != n_ev:
            raise WriterError("hepmc3 writer: an event has no product of its primary vertex")
        where_primary = join("@", *(take_text(c, primary) for c in pos))
        lines.add(key0 + 3, join("A 0 lab_pos", *(take_text(c, primary) for c in pos[:3])))
        lines.add(key0 + 4, join("A 0 signal_process_id", text(ch["process_id"])))
        position = 5
        if self.event_columns:
            for c in self.columns or []:
                values = np.asarray(ak.to_numpy(chunk[c]), dtype=np.float64)
                lines.add(key0 + position, join(f"A 0 zpgen.{c}", text(values)))
                position += 1
        b_ev = np.flatnonzero(bound)  # attributes precede the particles (HepMC3 3.2 readers)
        lines.add(key0[b_ev] + position,
                  join("A 4 remnant_particle_number", text(ch["remnant_pdg"][b_ev])))
        p0 = position + 1
        kin = join(text(pdg), text(px), text(py), text(pz), text(E), text(mass), text(status))
        beam, target = offsets[:-1], offsets[:-1] + 1
        lines.add(key0 + p0, join("P 1 0", take_text(kin, beam)))
        self._write_targets(lines, key0 + p0, bound, ch, target, flat, kin, where_primary)
        # products: a decay vertex line before the first product of each decay vertex
        prod = np.flatnonzero(local >= 2)
        e_p, j_p = event[prod], local[prod]
        shift = 1 + bound[e_p].astype(np.int64)   # hepmc id of record vertex k: -(k + shift)
        first_id = 3 + 2 * bound[e_p].astype(np.int64)  # hepmc id of record slot 2
        k_p = vertex[prod]
        keys = key0[e_p] + p0 + 6 + 2 * (j_p - 2)
        lines.add(keys + 1, join("P", text(first_id + j_p - 2), text(-(k_p + shift)),
                                 take_text(kin, prod)))
        opens = np.zeros(prod.size, dtype=bool)
        decays = k_p > 0
        _, first_of = np.unique(e_p[decays] * stride + k_p[decays], return_index=True)
        opens[np.flatnonzero(decays)[first_of]] = True
        o = np.flatnonzero(opens)
        parent_id = first_id[o] + mother[prod[o]] - 2
        lines.add(keys[o], join("V", text(-(k_p[o] + shift[o])), str(DECAY_VERTEX),
                                join("[", text(parent_id), "]", sep=""), "@",
                                *(take_text(c, prod[o]) for c in pos)))
        self._body.write(lines.bytes())

    def _write_targets(self, lines: Lines, key: np.ndarray, bound: np.ndarray,
                       ch: Mapping[str, np.ndarray], target: np.ndarray,
                       flat: Mapping[str, np.ndarray], kin: Any, where: Any) -> None:
        """The target and the primary vertex (at ``key + 1 ...``); for a bound nucleon
        the nucleus, the separation vertex, the struck nucleon and the remnant."""
        free, b = np.flatnonzero(~bound), np.flatnonzero(bound)
        # free target: the nucleus's code (hydrogen: 1000010010) with the record's kinematics
        t = target[free]
        nucleus = np.where(ch["nucleus_pdg"][free] > 0, ch["nucleus_pdg"][free],
                           flat["pdg"][t])
        lines.add(key[free] + 1, join("P 2 0", text(nucleus), text(flat["px"][t]),
                                      text(flat["py"][t]), text(flat["pz"][t]),
                                      text(flat["E"][t]), text(self._mass(flat, t)), "20"))
        lines.add(key[free] + 2, join(f"V -1 {PRIMARY_VERTEX} [1,2]", take_text(where, free)))
        # bound: nucleus at rest -> separation vertex -> struck nucleon + remnant (P.C.2)
        t = target[b]
        m_a = ch["nucleus_mass"][b]
        lines.add(key[b] + 1, join("P 2 0", text(ch["nucleus_pdg"][b]), "0 0 0", text(m_a),
                                   text(m_a), "20"))
        lines.add(key[b] + 2, join(f"V -1 {SEPARATION_VERTEX} [2]", take_text(where, b)))
        struck = join(text(flat["pdg"][t]), text(flat["px"][t]), text(flat["py"][t]),
                      text(flat["pz"][t]), text(flat["E"][t]), text(self._mass(flat, t)),
                      str(STATUS_STRUCK_NUCLEON))
        lines.add(key[b] + 3, join("P 3 -1", struck))
        e_r = m_a - flat["E"][t]
        rem = {k: 0.0 - flat[k][t] for k in ("px", "py", "pz")}
        m_r = np.sqrt(np.maximum(e_r**2 - rem["px"]**2 - rem["py"]**2 - rem["pz"]**2, 0.0))
        lines.add(key[b] + 4, join(f"P 4 -1 {PDG_REMNANT}", text(rem["px"]), text(rem["py"]),
                                   text(rem["pz"]), text(e_r), text(m_r), "1"))
        lines.add(key[b] + 5, join(f"V -2 {PRIMARY_VERTEX} [1,3]", take_text(where, b)))

    @staticmethod
    def _mass(flat: Mapping[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
        E, px, py, pz = (flat[k][rows] for k in ("E", "px", "py", "pz"))
        return np.sqrt(np.maximum(E * E - px * px - py * py - pz * pz, 0.0))

    # ------------------------------------------------------------------ run info
    def _run_info(self, totals: Mapping[str, Any]) -> Any:
        import pyhepmc

        ri = pyhepmc.GenRunInfo()
        ri.tools = [(str(self.run_info.get("generator", "zpgen")),
                     str(self.run_info.get("version", "unknown")),
                     generator_description(self.run_info))]
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
            info = declared.get(p) or _antiparticle_info(declared.get(-p))
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
        with open(self.tmp_path, "wb") as out, open(self._body_path, "rb") as body:
            out.write("".join(head).encode())
            shutil.copyfileobj(body, out, 1 << 20)
            out.write(b"HepMC::Asciiv3-END_EVENT_LISTING\n\n")

    # -- reading back --------------------------------------------------------------------
    @classmethod
    def read_metadata(cls, path: str) -> tuple[str, dict[str, Any]]:
        """The card and the run document from the header's ``zpgen.*`` attributes."""
        import json

        card, info = "", None
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("E "):
                    break
                if line.startswith("A zpgen.RunInfo "):
                    info = json.loads(_unescape(line[len("A zpgen.RunInfo "):].rstrip("\n")))
                elif line.startswith("A NuHepMC.Provenance.zpgen.Card "):
                    card = _unescape(line[len("A NuHepMC.Provenance.zpgen.Card "):]
                                     .rstrip("\n"))
        if info is None:
            raise WriterError(f"{path}: no zpgen.RunInfo attribute (not written by zpgen?)")
        return card, info

    @classmethod
    def iter_chunks(cls, path: str, step_size: int) -> Iterator[Any]:
        """The events (generator chunk format) of a zpgen NuHepMC file, read with HepMC3
        itself (pyhepmc): event columns from the ``zpgen.<column>`` attributes, the record
        from the graph (module docstring): the beam, the target (for a bound nucleon the
        struck nucleon, without the nucleus and the remnant; a free target's nuclear code
        back to the channel's target), then every product in order with the particle
        whose decay vertex made it as mother; positions from mm to cm, times from mm/c to
        ns.  Files written without event columns cannot be read back."""
        import pyhepmc

        _, info = cls.read_metadata(path)
        described = dict(info.get("channel_info", {}) or {})
        target_pdg = [int(dict(described.get(c, {})).get("target_pdg", 0))
                      for c in info.get("channels", [])]
        order = {name: k for k, name in enumerate(info.get("column_order") or [])}
        builder = RecordBuilder()
        with pyhepmc.open(path) as events:
            for event in events:
                columns, particles = _hepmc_event(event, target_pdg, path)
                # HepMC3 keeps attributes sorted by name: restore the chunk's order
                columns = dict(sorted(columns.items(),
                                      key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
                builder.add(columns, particles)
                if builder.n >= step_size:
                    yield builder.chunk()
        if builder.n:
            yield builder.chunk()

    def _release(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):
                self._body.close()
            self._body = None


def _hepmc_event(event: Any, target_pdg: Sequence[int], path: str
                 ) -> tuple[dict[str, float], dict[str, list[Any]]]:
    """Event columns and the zpgen record of one HepMC3 event (NuHepMCWriter.iter_chunks)."""
    attrs = event.attributes
    columns = {name[6:]: float(attrs[name].astype(float)) for name in attrs
               if name.startswith("zpgen.")}
    if "w" not in columns:
        raise WriterError(f"{path}: the events have no zpgen.<column> attributes (written "
                          "with event_columns=False?); they cannot be read back")
    parts: dict[str, list[Any]] = {f: [] for f in ("pdg", "status", "mother", "E", "px",
                                                   "py", "pz", "x", "y", "z", "t")}
    slot: dict[int, int] = {}
    beam = target = None
    products = []
    for p in event.particles:
        if p.status == STATUS_BEAM:
            beam = p
        elif p.status == STATUS_STRUCK_NUCLEON or (p.status == 20 and target is None):
            target = p  # the struck nucleon replaces the nucleus of a bound channel
        elif p.pid != PDG_REMNANT and p.status != 20:
            products.append(p)
    if beam is None or target is None:
        raise WriterError(f"{path}: event {event.event_number} has no beam or no target")
    primary = next(v for v in event.vertices if v.status == PRIMARY_VERTEX)
    origin = [c / CM_TO_MM for c in tuple(primary.position)[:3]]
    channel = int(columns.get("channel", -1))
    for p in (beam, target, *products):
        v = p.production_vertex
        mother = -1
        if (p is not beam and p is not target and v is not None
                and v.status != PRIMARY_VERTEX):
            mother = slot[v.particles_in[0].id]
        slot[p.id] = len(parts["pdg"])
        pdg = p.pid
        status = p.status
        if p is target:
            status = 20
            if 0 <= channel < len(target_pdg) and target_pdg[channel]:
                pdg = target_pdg[channel]
        px, py, pz, E = tuple(p.momentum)
        if p is beam or p is target:
            where = [*origin, 0.0]
        else:
            x, y, z, t = tuple(v.position)
            where = [x / CM_TO_MM, y / CM_TO_MM, z / CM_TO_MM, t / C_MM_PER_NS]
        for key, value in zip(("pdg", "status", "mother", "E", "px", "py", "pz", "x", "y",
                               "z", "t"), (pdg, status, mother, E, px, py, pz, *where),
                              strict=True):
            parts[key].append(value)
    return columns, parts


def _unescape(s: str) -> str:
    """A HepMC3 ASCII attribute value as text (``\\|`` is a newline, ``\\x`` is x)."""
    out = []
    i = 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append("\n" if s[i + 1] == "|" else s[i + 1])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def _antiparticle_info(info: dict[str, Any] | None) -> dict[str, Any]:
    """The declared properties of a particle, restated for its antiparticle (a negative PDG
    number the process writes for an antineutrino beam's Dirac states): name + "bar", the
    same mass, width and spin, the opposite charge; ``{}`` without a declaration."""
    if not info:
        return {}
    out = dict(info)
    out["name"] = f"{info.get('name', 'particle')}bar"
    out["description"] = f"antiparticle of {info.get('name', 'the particle')}: " + str(
        info.get("description", ""))
    if "charge" in info:
        out["charge"] = -float(info["charge"])
    return out


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
