"""Les Houches Event (LHE 3.0) output: header and init through pylhe, events as text.

Weights (Les Houches accord, hep-ph/0109068 and LHEF, hep-ph/0609017)
----------------------------------------------------------------------
``IDWTUP = -4``: weighted events, weights may be signed, ``XWGTUP`` in pb, and the mean of
``XWGTUP`` over the file is the total cross section (``IDWTUP = 3`` for unweighted runs,
``zpgen generate --unweighted``: the same formula gives every event the same XWGTUP, the
cross section).  zpgen writes

``XWGTUP = N * w * 1e36 / (POT * Phi_tot * N_atoms)``

(``N`` events in the file, ``w`` the CV weight in expected events, ``Phi_tot`` the
integrated flux in nu/cm^2/POT, ``N_atoms`` the target atoms of the detector), so the
mean of XWGTUP is the flux-averaged total cross section per target atom in pb, the same
number NuHepMC files carry (:func:`zpgen.writers.hepmc.fatx_per_atom_pb`).  Each
process line (one per channel) has ``XSECUP`` = the sum of its events' XWGTUP / N (its
share of that cross section, per atom of the target material), ``XERRUP`` its Monte
Carlo error and ``XMAXUP`` its largest XWGTUP.  A channel's cross section per target
particle of its own (per 12C nucleus, per proton, ...) is ``XSECUP * N_atoms /
targets[channel]`` (``zpgen_run_info``: ``n_atoms``, ``targets``; also
``totals.sigma_cm2``).  The CV weight itself (expected events for the exposure) is the
``<rwgt>`` weight ``CV``.

Record (from :mod:`zpgen.event_record`)
---------------------------------------
``ISTUP``: -1 incoming (the beam and the target: status 4 and 20), 1 final, 2 decayed
intermediate.  ``MOTHUP``: (0 0) for incoming lines, (1 2) for the products of the
primary vertex, (m m) for the products of the decay of line m (1-based).  ``VTIMUP``: the
proper decay length c tau in mm of a decayed particle (its flight distance in its rest
frame, from the production and decay vertices), 0 otherwise.  ``SPINUP`` 9 (unknown).
``SCALUP`` = sqrt(-t) [GeV]; ``AQEDUP`` = alpha(0), ``AQCDUP`` = 0.  A comment line
``#zpgen`` lists every event-level column as ``name=value``.

``<init>``: beam A = the neutrino (PDG from the flux), beam B = the most frequent target
PDG; E_A = the w-weighted mean neutrino energy [GeV], E_B = 0 (target at rest).  The
header holds ``<zpgen_card>`` (TOML), ``<zpgen_run_info>`` (JSON run document, with the
particles the process declares), ``<zpgen_weights>`` and ``<initrwgt>``.  Every float is
written as the shortest decimal that reads back to the same double (the events are
formatted column-wise by Arrow, :mod:`zpgen.writers._text`), so the file round-trips
float64 exactly; the header is written at close (events stream to a temporary body first),
when the totals are known.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import awkward as ak
import numpy as np

from zpgen.event_record import STATUS_BEAM, STATUS_DECAYED, STATUS_TARGET, production_vertices

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
from ._text import Lines, join, text
from .hepmc import process_ids

__all__ = ["IDWTUP", "IDWTUP_UNWEIGHTED", "LHEWriter", "lhe_format"]

ALPHA_EM = 1.0 / 137.035999084
#: Les Houches weight strategy: weighted events, XWGTUP in pb averaging to the cross section.
IDWTUP = -4
#: ... and for unweighted runs (``zpgen generate --unweighted``): every event has the same
#: XWGTUP (the cross section in pb), the processes' XSECUP give the normalisation.
IDWTUP_UNWEIGHTED = 3
CM_TO_MM = 10.0


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


def xwgtup_per_w(run_info: Mapping[str, Any]) -> float:
    """``XWGTUP / w`` of a file (module docstring): ``N * 1e36 / (POT Phi_tot N_atoms
    s)`` with ``s = run_info["weight_share"]`` (1 / K for a job of a K-job array, whose w
    carry its share of the exposure): every file's XWGTUP average to the cross section."""
    try:
        n = int(run_info["n_events"]) / weight_share(run_info)
        denom = (float(run_info["pot"]) * float(run_info["flux_total"])
                 * float(run_info["n_atoms"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise WriterError(f"lhe writer: run_info lacks {exc}: XWGTUP in pb needs n_events, "
                          "pot, flux_total and n_atoms") from None
    if not denom > 0:
        raise WriterError("lhe writer: POT x flux x atoms must be > 0 for XWGTUP in pb")
    return n * CM2_TO_PB / denom


class LHEWriter(AtomicWriter):
    """Stream events to an LHE 3.0 file; atomic (module docstring)."""

    name = "lhe"
    suffixes = (".lhe",)
    #: lines built 4096 events at a time (AtomicWriter.max_write_events), as NuHepMC
    max_write_events = 4096

    def __init__(self) -> None:
        super().__init__()
        self._body: BinaryIO | None = None
        self._body_path: Path | None = None
        self._fmt: Any = None
        self._procid: list[int] = []
        self._beams: Counter[int] = Counter()
        self._targets: Counter[int] = Counter()
        self._xmax: dict[int, float] = {}
        self._xsum: dict[int, float] = {}
        self._sum_w_enu = 0.0
        self._scale = 0.0

    def _start(self, tmp_path: Path) -> None:
        try:
            import pylhe  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise WriterError("LHE output needs pylhe: pip install pylhe") from exc
        self._scale = xwgtup_per_w(self.run_info)
        self._fmt = lhe_format()
        self._body_path = self.temp_name(".part-body")
        self._extra_tmp.append(self._body_path)
        self._body = open(self._body_path, "wb")  # noqa: SIM115
        channels = list(self.run_info.get("channels", []))
        described = dict(self.run_info.get("channel_info", {}) or {})
        fallback = process_ids(channels)
        self._procid = [int(dict(described.get(c, {})).get("process_id", fallback[c]))
                        for c in channels]

    def _write(self, chunk: Any) -> None:
        assert self._body is not None
        offsets, fl = flat_particles(chunk)
        vertex, _ = production_vertices(offsets, fl["status"], fl["mother"])
        status, mother, pdg = fl["status"], fl["mother"].astype(np.int64), fl["pdg"]
        E, px, py, pz = fl["E"], fl["px"], fl["py"], fl["pz"]
        mass = np.sqrt(np.maximum(E * E - px * px - py * py - pz * pz, 0.0))
        ctau = self._proper_decay_length_mm(offsets, fl, mass)
        incoming = (status == STATUS_BEAM) | (status == STATUS_TARGET)
        istup = np.where(incoming, -1, np.where(status == STATUS_DECAYED, 2, 1))
        m1 = np.where(incoming, 0, np.where(vertex == 0, 1, mother + 1))
        m2 = np.where(incoming, 0, np.where(vertex == 0, 2, mother + 1))
        w = ak.to_numpy(chunk["w"]).astype(np.float64)
        xw = w * self._scale
        tt = ak.to_numpy(chunk["t"]).astype(np.float64)
        ch = ak.to_numpy(chunk["channel"]).astype(np.int64)
        self._sum_w_enu += float(np.sum(w * ak.to_numpy(chunk["E_nu"])))
        self._beams.update(pdg[status == STATUS_BEAM].tolist())
        self._targets.update(pdg[status == STATUS_TARGET].tolist())
        pid = np.array([*self._procid, 750 + len(self._procid)])[
            np.where((ch >= 0) & (ch < len(self._procid)), ch, len(self._procid))]
        for p in np.unique(pid):
            x = xw[pid == p]
            self._xsum[int(p)] = self._xsum.get(int(p), 0.0) + float(x.sum())
            self._xmax[int(p)] = max(self._xmax.get(int(p), 0.0), float(np.abs(x).max()))
        # every column formatted at once, lines in file order (zpgen.writers._text)
        n_ev, counts = len(chunk), np.diff(offsets)
        stride = 8 + int(counts.max(initial=0))
        key0 = np.arange(n_ev, dtype=np.int64) * stride
        lines = Lines()
        lines.add(key0, "<event>")
        lines.add(key0 + 1, join(text(counts), text(pid), text(xw),
                                 text(np.sqrt(np.maximum(-tt, 0.0))), repr(ALPHA_EM), "0"))
        local = np.arange(pdg.size) - np.repeat(offsets[:-1], counts)
        lines.add(np.repeat(key0, counts) + 2 + local,
                  join(text(pdg), text(istup), text(m1), text(m2), "0 0", text(px), text(py),
                       text(pz), text(E), text(mass), text(ctau), "9"))
        end = key0 + 2 + counts
        columns = [join(f"{c}=", text(ak.to_numpy(chunk[c])), sep="")
                   for c in (self.columns or [])]
        lines.add(end, join("#zpgen", *columns))
        lines.add(end + 1, join("<rwgt>\n <wgt id='CV'>", text(w), "</wgt>\n</rwgt>\n</event>",
                                sep=""))
        self._body.write(lines.bytes())

    @staticmethod
    def _proper_decay_length_mm(offsets: np.ndarray, fl: Mapping[str, np.ndarray],
                                mass: np.ndarray) -> np.ndarray:
        """c tau (mm) of each decayed particle: flight from its production vertex to the
        production vertex of its products, times m/|p|; 0 for the others."""
        mother = fl["mother"].astype(np.int64)
        counts = np.diff(offsets)
        event = np.repeat(np.arange(counts.size), counts)
        child = np.flatnonzero(mother >= 0)
        parent = offsets[event[child]] + mother[child]
        ctau = np.zeros(mass.size)
        if child.size == 0:
            return ctau
        d = np.sqrt(sum((fl[k][child] - fl[k][parent]) ** 2 for k in ("x", "y", "z")))
        p = np.sqrt(fl["px"][parent] ** 2 + fl["py"][parent] ** 2 + fl["pz"][parent] ** 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            proper = np.where(p > 0, d * mass[parent] / p, 0.0) * CM_TO_MM
        ctau[parent] = proper
        return ctau

    def _header(self, totals: Mapping[str, Any]) -> Any:
        import pylhe

        def element(tag: str, text: str) -> ET.Element:
            e = ET.Element(tag)
            e.text = "\n" + text + "\n"
            return e

        card = element("zpgen_card", self.card_text())
        info = element("zpgen_run_info", dumps(self.metadata(totals)))
        wdoc = element("zpgen_weights",
                       f"IDWTUP = {IDWTUP}: XWGTUP in pb, its mean over the file = the "
                       "flux-averaged total cross section per target atom (XWGTUP = N w "
                       "1e36/(POT flux_total n_atoms)); XSECUP per process = its share. "
                       "rwgt 'CV' = w: expected number of events for the exposure (sum over "
                       "the file = expected events). A channel's cross section per target "
                       "particle of its own = XSECUP * n_atoms / targets[channel] "
                       "(zpgen_run_info).")
        init_rwgt = pylhe.LHEInitRWGT(entries=[pylhe.LHEInitRWGTWeightGroup(
            name="zpgen", weights=[pylhe.LHEInitRWGTWeight(id="CV", name="CV (events)")])])
        return pylhe.LHEHeader(initrwgt=init_rwgt, extra_elements=[card, info, wdoc])

    def _init(self, totals: Mapping[str, Any]) -> Any:
        import pylhe

        n = max(self.n_written, 1)
        channels = list(self.run_info.get("channels", []))
        per_channel = dict((totals.get("run_summary", {}) or {}).get("channels", {}) or {})
        procs = []
        for name, pid in zip(channels, self._procid, strict=True):
            err_events = float(dict(per_channel.get(name, {})).get("expected_events_err",
                                                                   0.0) or 0.0)
            err = err_events * self._scale / n if math.isfinite(err_events) else 0.0
            procs.append(pylhe.LHEProcInfo(xSection=self._xsum.get(pid, 0.0) / n, error=err,
                                           unitWeight=self._xmax.get(pid, 0.0), procId=pid))
        beam = self._beams.most_common(1)[0][0] if self._beams else int(
            self.run_info.get("beam_pdg", 14))
        target = self._targets.most_common(1)[0][0] if self._targets else 0
        e_beam = self._sum_w_enu / self.sum_w if self.sum_w > 0 else 0.0
        unweighted = bool(dict(self.run_info.get("event_weights", {}) or {}).get("unweighted"))
        info = pylhe.LHEInitInfo(beamA=int(beam), beamB=int(target), energyA=e_beam,
                                 energyB=0.0, PDFgroupA=0, PDFgroupB=0, PDFsetA=0, PDFsetB=0,
                                 weightingStrategy=IDWTUP_UNWEIGHTED if unweighted else IDWTUP,
                                 numProcesses=len(procs))
        gen = pylhe.LHEGenerator(name=str(self.run_info.get("generator", "zpgen")),
                                 version=str(self.run_info.get("version", "unknown")),
                                 description=generator_description(self.run_info))
        return pylhe.LHEInit(initInfo=info, procInfo=procs, generators=[gen])

    def _finish(self, totals: Mapping[str, Any]) -> None:
        import pylhe

        assert self._body is not None and self.tmp_path is not None
        self._body.close()
        self._body = None
        expected = int(self.run_info["n_events"])
        if self.n_written and self.n_written != expected:
            raise WriterError(f"lhe writer: {self.n_written} events written, run_info says "
                              f"{expected}: XWGTUP (scaled by N) would not average to the "
                              "cross section")
        lhe = pylhe.LHEFile(init=self._init(totals), header=self._header(totals),
                            comment=f"generated by zpgen {self.run_info.get('version', '')}")
        head = lhe.tolhe(lheformat=self._fmt)
        head = head[: head.rindex("</LesHouchesEvents>")]
        with open(self.tmp_path, "wb") as out:
            out.write(head.encode())
            assert self._body_path is not None
            with open(self._body_path, "rb") as body:
                shutil.copyfileobj(body, out, 1 << 20)
            out.write(b"</LesHouchesEvents>\n")

    # -- reading back --------------------------------------------------------------------
    @classmethod
    def read_metadata(cls, path: str) -> tuple[str, dict[str, Any]]:
        """The card and the run document from the header's ``<zpgen_*>`` elements."""
        import json

        card, info = "", None
        with open(path, "rb") as fh:
            for _, elem in ET.iterparse(fh, events=("end",)):
                if elem.tag == "zpgen_card":
                    text = elem.text or ""
                    card = text[1:-1] if text.strip() else ""
                elif elem.tag == "zpgen_run_info":
                    info = json.loads(elem.text or "")
                elif elem.tag in ("header", "init", "event"):
                    break
        if info is None:
            raise WriterError(f"{path}: no <zpgen_run_info> in the header (not written by "
                              "zpgen?)")
        return card, info

    @classmethod
    def iter_chunks(cls, path: str, step_size: int) -> Iterator[Any]:
        """The events (generator chunk format) of a zpgen LHE file (module docstring,
        "Record"): event columns from the ``#zpgen`` line, particles from the particle
        lines (ISTUP -1 -> beam 4 and target 20, MOTHUP -> mother), production points
        rebuilt from the interaction vertex (``vtx_*``, else 0) and each decayed particle's
        VTIMUP: its decay point is ``c tau p/m`` from where it was made, at
        ``t + c tau E/(m c)``."""
        builder = RecordBuilder()
        with open(path, encoding="utf-8") as fh:
            lines: list[str] = []
            inside = False
            for raw in fh:
                line = raw.strip()
                if line.startswith("<event"):
                    inside, lines = True, []
                elif line.startswith("</event>"):
                    inside = False
                    builder.add(*_lhe_event(lines))
                    if builder.n >= step_size:
                        yield builder.chunk()
                elif inside and line and not line.startswith("<") and not line.startswith(
                        "</"):
                    lines.append(line)
        if builder.n:
            yield builder.chunk()

    def _release(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):
                self._body.close()
            self._body = None


def _lhe_event(lines: list[str]) -> tuple[dict[str, float], dict[str, list[Any]]]:
    """Event columns and particles of one ``<event>`` block (its non-tag lines)."""
    n = int(lines[0].split()[0])
    rows = [line.split() for line in lines[1:1 + n]]
    comment = next((ln for ln in lines[1 + n:] if ln.startswith("#zpgen")), None)
    if comment is None:
        raise WriterError("an event has no #zpgen line of event columns")
    columns = {key: float(value) for key, value in
               (item.split("=", 1) for item in comment.split()[1:])}
    origin = [columns.get(f"vtx_{axis}", 0.0) for axis in "xyz"]
    parts: dict[str, list[Any]] = {f: [] for f in ("pdg", "status", "mother", "E", "px",
                                                   "py", "pz", "x", "y", "z", "t")}
    decay: list[list[float]] = []
    incoming = 0
    for row in rows:
        pdg, istup, m1, m2 = int(row[0]), int(row[1]), int(row[2]), int(row[3])
        px, py, pz, E, mass, ctau_mm = (float(v) for v in row[6:12])
        if istup == -1:
            status, mother = (STATUS_BEAM if incoming == 0 else STATUS_TARGET), -1
            incoming += 1
        else:
            status = STATUS_DECAYED if istup == 2 else 1
            mother = -1 if (m1, m2) == (1, 2) else m1 - 1  # (1 2): the primary vertex
        start = decay[mother] if mother >= 0 else [*origin, 0.0]
        for key, value in zip(("pdg", "status", "mother", "E", "px", "py", "pz"),
                              (pdg, status, mother, E, px, py, pz), strict=True):
            parts[key].append(value)
        for key, value in zip(("x", "y", "z", "t"), start, strict=True):
            parts[key].append(value)
        end = list(start)
        if status == STATUS_DECAYED and ctau_mm > 0.0 and mass > 0.0:
            ctau_cm = ctau_mm / CM_TO_MM
            end = [start[0] + ctau_cm * px / mass, start[1] + ctau_cm * py / mass,
                   start[2] + ctau_cm * pz / mass,
                   start[3] + ctau_cm * E / mass * CM_TO_MM / C_MM_PER_NS]
        decay.append(end)
    return columns, parts
