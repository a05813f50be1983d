"""Les Houches Event (LHE 3.0) output with pylhe's dataclasses and serialisers.

* ``<header>``: ``<zpgen_card>`` (the run card, TOML), ``<zpgen_run_info>`` (JSON run
  document: version, seed, command, channels, POT, totals, units), ``<zpgen_weights>``
  (what the weights mean) and ``<initrwgt>`` declaring the weights ``CV`` and ``xsec_pb``.
* ``<init>``: beam A = the neutrino (PDG of the beam particles, 14 for nu_mu), beam B =
  the target (most frequent target PDG); E_A = the w-weighted mean neutrino energy [GeV],
  E_B = 0 (target at rest); IDWTUP = -4; one process line per channel with XSECUP = the
  channel's flux-averaged cross section [pb], XERRUP = its error [pb] if given (else 0),
  XMAXUP = the largest CV weight of the channel, LPRUP = NuHepMC process id.
* ``<event>``: XWGTUP = w, the CV weight in *expected events* (not pb: the sum over the
  file is the expected number of events for the exposure); SCALUP = sqrt(-t) [GeV];
  AQEDUP = alpha(0), AQCDUP = 0.  Particles in GeV; ISTUP -1 incoming (zpgen status 4
  and 11), 1 final, 2 intermediate; MOTHUP 1-based (primary products point to both
  incoming lines); SPINUP 9 (unknown).  ``<rwgt>`` holds ``CV`` = w and ``xsec_pb`` =
  w_xsec in pb.  A comment line ``#zpgen`` lists every event-level column and the
  interaction vertex (cm) as ``name=value``.

Every floating-point number is written with 17 significant digits (``%.16e``; pylhe's
default formats keep 11 for weights and 9 for momenta, and 5 in ``<rwgt>``), so the file
round-trips float64 exactly.  The header is written at close (events stream to a
temporary body first), so the init block carries the final totals.
"""

from __future__ import annotations

import contextlib
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

import awkward as ak
import numpy as np

from ._base import CM2_TO_PB, AtomicWriter, WriterError, dumps, flat_particles
from .hepmc import process_ids

__all__ = ["LHEWriter", "lhe_format"]

ALPHA_EM = 1.0 / 137.035999084
STATUS_LHE = {4: -1, 11: -1, 1: 1, 2: 2}


def lhe_format() -> Any:
    """A pylhe ``LHEXMLFormat`` writing every float with 17 significant digits."""
    import pylhe

    f = "{: .16e}"
    return pylhe.LHEXMLFormat(
        weights=pylhe.LHEWeightFormat.NONE,
        eventinfo="{nparticles:3d} {pid:6d} " + " ".join(
            f.replace("{", "{" + k) for k in ("weight", "scale", "aqed", "aqcd")),
        particle=("{id:9d} {status:3d} {mother1:3d} {mother2:3d} {color1:3d} {color2:3d} "
                  + " ".join(f.replace("{", "{" + k) for k in
                             ("px", "py", "pz", "e", "m", "lifetime"))
                  + " {spin: .1f}"),
        initinfo=(" {beamA: 6d} {beamB: 10d} {energyA: .16e} {energyB: .16e} {PDFgroupA: 3d}"
                  " {PDFgroupB: 3d} {PDFsetA: 3d} {PDFsetB: 3d} {weightingStrategy: 3d}"
                  " {numProcesses: 3d}"),
        procinfo="{xSection: .16e} {error: .16e} {unitWeight: .16e} {procId: 5d}",
    )


class LHEWriter(AtomicWriter):
    """Stream events to an LHE 3.0 file through pylhe; atomic."""

    name = "lhe"
    suffixes = (".lhe",)

    def __init__(self) -> None:
        super().__init__()
        self._body: TextIO | None = None
        self._body_path: Path | None = None
        self._fmt: Any = None
        self._procid: dict[str, int] = {}
        self._beams: Counter[int] = Counter()
        self._targets: Counter[int] = Counter()
        self._wmax: dict[int, float] = {}
        self._sum_w_enu = 0.0

    def _start(self, tmp_path: Path) -> None:
        try:
            import pylhe  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise WriterError("LHE output needs pylhe: pip install 'zpgen[formats]'") from exc
        self._fmt = lhe_format()
        self._body_path = self.temp_name(".part-body")
        self._extra_tmp.append(self._body_path)
        self._body = open(self._body_path, "w", encoding="utf-8")  # noqa: SIM115
        self._procid = process_ids(list(self.run_info.get("channels", [])))

    def _write(self, chunk: Any) -> None:
        import pylhe

        assert self._body is not None
        channels = list(self.run_info.get("channels", []))
        offsets, fl = flat_particles(chunk)
        cols = {c: ak.to_numpy(chunk[c]) for c in (self.columns or [])}
        w = ak.to_numpy(chunk["w"]).astype(np.float64)
        wx = ak.to_numpy(chunk["w_xsec"]).astype(np.float64) * CM2_TO_PB
        tt = ak.to_numpy(chunk["t"]).astype(np.float64)
        ch = ak.to_numpy(chunk["channel"]).astype(np.int64)
        mass = np.sqrt(np.maximum(fl["E"] ** 2 - fl["px"] ** 2 - fl["py"] ** 2 - fl["pz"] ** 2,
                                  0.0))
        self._sum_w_enu += float(np.sum(w * ak.to_numpy(chunk["E_nu"])))
        status = fl["status"]
        self._beams.update(fl["pdg"][status == 4].tolist())
        self._targets.update(fl["pdg"][status == 11].tolist())
        out = []
        for i in range(len(chunk)):
            a, b = int(offsets[i]), int(offsets[i + 1])
            st = status[a:b]
            inc = np.flatnonzero((st == 4) | (st == 11))
            m_in = (int(inc[0]) + 1, int(inc[-1]) + 1) if len(inc) else (0, 0)
            parts = []
            for j in range(a, b):
                s = int(status[j])
                mo = int(fl["mother"][j])
                if s in (4, 11):
                    m1 = m2 = 0
                elif mo < 0:
                    m1, m2 = m_in
                else:
                    m1 = m2 = mo + 1
                parts.append(pylhe.LHEParticle(
                    id=int(fl["pdg"][j]), status=STATUS_LHE.get(s, s), mother1=m1, mother2=m2,
                    color1=0, color2=0, px=float(fl["px"][j]), py=float(fl["py"][j]),
                    pz=float(fl["pz"][j]), e=float(fl["E"][j]), m=float(mass[j]),
                    lifetime=0.0, spin=9.0))
            c = int(ch[i])
            name = channels[c] if 0 <= c < len(channels) else f"channel{c}"
            pid = self._procid.setdefault(name, 750 + len(self._procid))
            self._wmax[pid] = max(self._wmax.get(pid, 0.0), abs(float(w[i])))
            comment = "#zpgen " + " ".join(f"{k}={v[i].item()!r}" for k, v in cols.items())
            ev = pylhe.LHEEvent(
                eventinfo=pylhe.LHEEventInfo(
                    nparticles=b - a, pid=pid, weight=float(w[i]),
                    scale=float(np.sqrt(max(-tt[i], 0.0))), aqed=ALPHA_EM, aqcd=0.0),
                particles=parts, optional=[comment])
            text = ev.tolhe(lheformat=self._fmt)
            rwgt = (f"<rwgt>\n <wgt id='CV'>{float(w[i]):.16e}</wgt>\n"
                    f" <wgt id='xsec_pb'>{float(wx[i]):.16e}</wgt>\n</rwgt>\n")
            out.append(text[: -len("</event>")] + rwgt + "</event>\n")
        self._body.write("".join(out))

    def _header(self, totals: Mapping[str, Any]) -> Any:
        import pylhe

        def element(tag: str, text: str) -> ET.Element:
            e = ET.Element(tag)
            e.text = "\n" + text + "\n"
            return e

        card = element("zpgen_card", self.card_text())
        info = element("zpgen_run_info", dumps(self.metadata(totals)))
        wdoc = element("zpgen_weights",
                       "XWGTUP and rwgt 'CV' = w: expected number of events for the exposure "
                       "(sum over the file = expected events, NOT pb); rwgt 'xsec_pb' = "
                       "w_xsec in pb (sum = flux-averaged cross section); XSECUP per "
                       "process in pb.")
        init_rwgt = pylhe.LHEInitRWGT(entries=[pylhe.LHEInitRWGTWeightGroup(
            name="zpgen", weights=[pylhe.LHEInitRWGTWeight(id="CV", name="CV (events)"),
                                   pylhe.LHEInitRWGTWeight(id="xsec_pb", name="w_xsec (pb)")])])
        return pylhe.LHEHeader(initrwgt=init_rwgt, extra_elements=[card, info, wdoc])

    def _init(self, totals: Mapping[str, Any]) -> Any:
        import pylhe

        sigma = dict(totals.get("sigma_cm2", {}) or {})
        err = dict(totals.get("sigma_err_cm2", {}) or {})
        procs = []
        for name, pid in self._procid.items():
            procs.append(pylhe.LHEProcInfo(
                xSection=float(sigma.get(name, 0.0)) * CM2_TO_PB,
                error=float(err.get(name, 0.0)) * CM2_TO_PB,
                unitWeight=self._wmax.get(pid, 0.0), procId=pid))
        beam = self._beams.most_common(1)[0][0] if self._beams else int(
            self.run_info.get("beam_pdg", 14))
        target = self._targets.most_common(1)[0][0] if self._targets else int(
            self.run_info.get("target_pdg", 1000060120))
        e_beam = self._sum_w_enu / self.sum_w if self.sum_w > 0 else 0.0
        info = pylhe.LHEInitInfo(beamA=int(beam), beamB=int(target), energyA=e_beam,
                                 energyB=0.0, PDFgroupA=0, PDFgroupB=0, PDFsetA=0, PDFsetB=0,
                                 weightingStrategy=-4, numProcesses=len(procs))
        gen = pylhe.LHEGenerator(name=str(self.run_info.get("generator", "zpgen")),
                                 version=str(self.run_info.get("version", "unknown")),
                                 description="dark-Z' / sterile-neutrino upscattering")
        return pylhe.LHEInit(initInfo=info, procInfo=procs, generators=[gen])

    def _finish(self, totals: Mapping[str, Any]) -> None:
        import pylhe

        assert self._body is not None and self.tmp_path is not None
        self._body.close()
        self._body = None
        lhe = pylhe.LHEFile(init=self._init(totals), header=self._header(totals),
                            comment=f"generated by zpgen {self.run_info.get('version', '')}")
        head = lhe.tolhe(lheformat=self._fmt)
        head = head[: head.rindex("</LesHouchesEvents>")]
        with open(self.tmp_path, "w", encoding="utf-8") as out:
            out.write(head)
            assert self._body_path is not None
            with open(self._body_path, encoding="utf-8") as body:
                shutil.copyfileobj(body, out, 1 << 20)
            out.write("</LesHouchesEvents>\n")

    def _release(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):
                self._body.close()
            self._body = None
