"""NuHepMC (HepMC3 ASCII) output with pyhepmc, following NuHepMC 1.0.0.

Units: GeV and mm.  Positions are converted from cm (x 10); times from ns to mm/c
(t[mm] = t[ns] * 299.792458).  Each event has

* a primary vertex (status 1) at the interaction point: beam neutrino (status 4) and
  target (status 20; zpgen's internal status 11) in, every particle without a mother out;
* one decay vertex (status 22) per decayed particle, placed at its daughters' production
  point, with the mother in and the daughters out (from the ``mother`` links);
* weights ``CV`` = w [expected events] and ``xsec_pb`` = w_xsec [pb];
* attributes ``signal_process_id`` (E.R.3; also ``ProcID``, its pre-1.0 name), ``LabPos``
  (E.R.5, [x, y, z] in mm) and ``zpgen.<column>`` for every event-level column.

The GenRunInfo (G.R.1-G.R.8 and the conventions listed in ``CONVENTIONS``) is written at
close, when the totals are known: events stream to a temporary body file and close()
prepends the header; the flux-averaged total cross section (G.C.5) is the sum of w_xsec
converted to pb (1 pb = 1e-36 cm^2).  HepMC3 writes double attributes with 15 significant
digits, so the exact values are also in the ``zpgen.RunInfo`` JSON attribute.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from ._base import C_MM_PER_NS, CM2_TO_PB, AtomicWriter, WriterError, dumps, flat_particles

__all__ = [
    "CONVENTIONS",
    "NUHEPMC_VERSION",
    "PARTICLE_STATUS",
    "VERTEX_STATUS",
    "NuHepMCWriter",
    "process_ids",
]

NUHEPMC_VERSION = (1, 0, 0)
#: Conventions and suggestions signalled in NuHepMC.Conventions (G.C.1).
CONVENTIONS = ("G.C.1", "G.C.3", "G.C.4", "G.C.5", "G.S.1", "G.S.3", "E.C.1")
CM_TO_MM = 10.0
#: zpgen status -> NuHepMC status (the target is 20 in NuHepMC 1.0, 11 in zpgen).
STATUS_MAP = {11: 20}
PARTICLE_STATUS = {
    1: ("UndecayedPhysical", "final-state particle leaving the interaction"),
    2: ("DecayedPhysical", "particle decayed by zpgen (nu5, Z')"),
    4: ("IncomingBeam", "incoming beam neutrino"),
    20: ("Target", "target nucleus or nucleon"),
}
PRIMARY_VERTEX, DECAY_VERTEX = 1, 22
VERTEX_STATUS = {
    PRIMARY_VERTEX: ("PrimaryVertex", "the upscattering nu N -> nu5 N"),
    DECAY_VERTEX: ("DecayVertex", "decay of an intermediate particle (nu5 -> nu4 Z', "
                                  "Z' -> e+ e-)"),
}
#: Default name of non-standard particle numbers (G.R.8) when run_info lacks "particles".
DEFAULT_PARTICLE_NAMES = {9900015: "nu5", 9900014: "nu4", 9900012: "nu4"}


def process_ids(channels: Sequence[str]) -> dict[str, int]:
    """NuHepMC process id of each channel (E.C.1 ranges, neutral-current block).

    Coherent channels get 150, 151, ... (low-energy nuclear scattering, NC); scattering on
    a nucleon 250, 251, ... (quasielastic, NC); anything else 750, 751, ...
    """
    out: dict[str, int] = {}
    used = {150: 0, 250: 0, 750: 0}
    for ch in channels:
        low = ch.lower()
        base = 150 if "coh" in low else 250 if ("proton" in low or "neutron" in low) else 750
        out[ch] = base + used[base]
        used[base] += 1
    return out


@functools.lru_cache(maxsize=4096)
def _is_standard_pdg(pdg: int) -> bool:
    """True if the PDG id is a known particle or a valid nucleus code."""
    a = abs(int(pdg))
    if a >= 1000000000 or a < 100:  # nucleus 10LZZZAAAI; fundamental particles incl. Z' (32)
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


class NuHepMCWriter(AtomicWriter):
    """Stream events to a NuHepMC (HepMC3 ASCII) file; atomic.

    Parameters
    ----------
    event_columns : also write every event-level column as ``zpgen.<name>`` double
        attributes (default True)
    """

    name = "hepmc3"
    suffixes = (".hepmc3", ".hepmc")

    def __init__(self, event_columns: bool = True) -> None:
        super().__init__()
        self.event_columns = event_columns
        self._body: Any = None
        self._body_path: Path | None = None
        self._procid: dict[str, int] = {}
        self._pdgs: set[int] = set()
        self._beams: set[int] = set()
        self._event_number = 0

    def _start(self, tmp_path: Path) -> None:
        try:
            import pyhepmc
        except ImportError as exc:  # pragma: no cover
            raise WriterError("NuHepMC output needs pyhepmc: pip install 'zpgen[formats]'") \
                from exc
        self._body_path = self.temp_name(".part-body")
        self._extra_tmp.append(self._body_path)
        self._body = pyhepmc.io.WriterAscii(str(self._body_path))
        self._procid = process_ids(list(self.run_info.get("channels", [])))

    def _write(self, chunk: Any) -> None:
        import pyhepmc

        channels = list(self.run_info.get("channels", []))
        offsets, flat = flat_particles(chunk)
        cols = {c: ak.to_numpy(chunk[c]) for c in (self.columns or [])}
        w = ak.to_numpy(chunk["w"]).astype(np.float64)
        wx = ak.to_numpy(chunk["w_xsec"]).astype(np.float64) * CM2_TO_PB
        ch = ak.to_numpy(chunk["channel"]).astype(np.int64)
        pos = {k: flat[k] * CM_TO_MM for k in ("x", "y", "z")}
        tmm = flat["t"] * C_MM_PER_NS
        self._pdgs.update(int(p) for p in np.unique(flat["pdg"]))
        for i in range(len(chunk)):
            a, b = int(offsets[i]), int(offsets[i + 1])
            ev = pyhepmc.GenEvent(pyhepmc.Units.GEV, pyhepmc.Units.MM)
            self._event_number += 1
            ev.event_number = self._event_number
            parts = []
            for j in range(a, b):
                st = int(flat["status"][j])
                parts.append(pyhepmc.GenParticle(
                    (flat["px"][j], flat["py"][j], flat["pz"][j], flat["E"][j]),
                    int(flat["pdg"][j]), STATUS_MAP.get(st, st)))
                if st == 4:
                    self._beams.add(int(flat["pdg"][j]))
            status = flat["status"][a:b]
            mother = flat["mother"][a:b]
            incoming = np.flatnonzero((status == 4) | (status == 11))
            primary_out = np.flatnonzero((mother < 0) & (status != 4) & (status != 11))
            ref = int(primary_out[0]) if len(primary_out) else (
                int(incoming[0]) if len(incoming) else 0)
            g = a + ref
            pv = pyhepmc.GenVertex((pos["x"][g], pos["y"][g], pos["z"][g], tmm[g]))
            for k in incoming:
                pv.add_particle_in(parts[k])
            for k in primary_out:
                pv.add_particle_out(parts[k])
            ev.add_vertex(pv)
            pv.status = PRIMARY_VERTEX
            for m in np.unique(mother[mother >= 0]):
                kids = np.flatnonzero(mother == m)
                g = a + int(kids[0])
                dv = pyhepmc.GenVertex((pos["x"][g], pos["y"][g], pos["z"][g], tmm[g]))
                dv.add_particle_in(parts[int(m)])
                for k in kids:
                    dv.add_particle_out(parts[int(k)])
                ev.add_vertex(dv)
                dv.status = DECAY_VERTEX
            ev.weights = [float(w[i]), float(wx[i])]
            c = int(ch[i])
            name = channels[c] if 0 <= c < len(channels) else f"channel{c}"
            pid = self._procid.setdefault(name, 750 + len(self._procid))
            ev.attributes["signal_process_id"] = pid
            ev.attributes["ProcID"] = pid
            ev.attributes["LabPos"] = [float(pv.position.x), float(pv.position.y),
                                       float(pv.position.z)]
            if self.event_columns:
                for cname, arr in cols.items():
                    ev.attributes[f"zpgen.{cname}"] = float(arr[i])
            self._body.write_event(ev)

    def _run_info(self, totals: Mapping[str, Any]) -> Any:
        import pyhepmc

        ri = pyhepmc.GenRunInfo()
        ri.tools = [(str(self.run_info.get("generator", "zpgen")),
                     str(self.run_info.get("version", "unknown")),
                     "dark-Z' / sterile-neutrino upscattering generator")]
        ri.weight_names = ["CV", "xsec_pb"]
        at = ri.attributes
        at["NuHepMC.Version.Major"] = NUHEPMC_VERSION[0]
        at["NuHepMC.Version.Minor"] = NUHEPMC_VERSION[1]
        at["NuHepMC.Version.Patch"] = NUHEPMC_VERSION[2]
        at["NuHepMC.Conventions"] = list(CONVENTIONS)
        ids = sorted(set(self._procid.values()))
        at["NuHepMC.ProcessIDs"] = ids
        for name, pid in self._procid.items():
            at[f"NuHepMC.ProcessInfo[{pid}].Name"] = name
            at[f"NuHepMC.ProcessInfo[{pid}].Description"] = (
                f"zpgen channel {name}: nu_mu N -> nu5 N via Z' exchange, nu5 -> nu4 Z', "
                "Z' -> e+ e- (Hammad, Rashed, Moretti, PLB 827 (2022) 136945)")
        at["NuHepMC.VertexStatusIDs"] = sorted(VERTEX_STATUS)
        for sid, (nm, desc) in VERTEX_STATUS.items():
            at[f"NuHepMC.VertexStatusInfo[{sid}].Name"] = nm
            at[f"NuHepMC.VertexStatusInfo[{sid}].Description"] = desc
        at["NuHepMC.ParticleStatusIDs"] = sorted(PARTICLE_STATUS)
        for sid, (nm, desc) in PARTICLE_STATUS.items():
            at[f"NuHepMC.ParticleStatusInfo[{sid}].Name"] = nm
            at[f"NuHepMC.ParticleStatusInfo[{sid}].Description"] = desc
        names = {int(k): str(v) for k, v in dict(self.run_info.get("particles", {})).items()}
        extra = sorted(p for p in self._pdgs if not _is_standard_pdg(p))
        # pyhepmc cannot build an empty VectorIntAttribute; "" serialises identically
        at["NuHepMC.AdditionalParticleNumbers"] = extra if extra else ""
        for p in extra:
            at[f"NuHepMC.AdditionalParticleNumber[{p}].Name"] = names.get(
                p, DEFAULT_PARTICLE_NAMES.get(p, f"zpgen_{p}"))
        if "pot" in self.run_info:
            at["NuHepMC.Exposure.POT"] = float(self.run_info["pot"])
        at["NuHepMC.Units.CrossSection.Unit"] = "pb"
        at["NuHepMC.Units.CrossSection.TargetScale"] = str(
            self.run_info.get("xsec_target_scale", "PerTarget"))
        fatx = float(totals.get("sum_w_xsec", self.sum_w_xsec)) * CM2_TO_PB
        at["NuHepMC.FluxAveragedTotalCrossSection"] = fatx
        n_req = self.run_info.get("n_events", totals.get("n_events", self.n_written))
        at["NuHepMC.Provenance.NEvents"] = int(n_req)
        at["NuHepMC.Provenance.RNGState"] = str(self.run_info.get("seed", ""))
        if self.run_info.get("command"):
            at["NuHepMC.Provenance.Command"] = str(self.run_info["command"])
        at["NuHepMC.Provenance.zpgen.Card"] = self.card_text()
        for pdg in sorted(self._beams):
            at[f"NuHepMC.Beam[{pdg}].EnergyUnit"] = "GEV"
        at["zpgen.RunInfo"] = dumps(self.metadata(totals))
        return ri

    def _finish(self, totals: Mapping[str, Any]) -> None:
        import pyhepmc

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
            for _ in range(2):  # the body's own "HepMC::Version" and START lines
                line = body.readline()
                if not line.startswith("HepMC::"):
                    raise WriterError(f"hepmc3 writer: unexpected body header {line!r}")
            shutil.copyfileobj(body, out, 1 << 20)

    def _release(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):
                self._body.close()
            self._body = None
