"""Compare two event samples (zpgen and MadGraph, or two zpgen runs) observable by
observable: the library behind ``zpgen compare-lhe``.

Inputs
------
* LHE files (MadGraph's or zpgen's, plain or gzipped ``.lhe.gz``), read with pylhe.  The
  ``<init>`` block is required: the total cross section is the sum of its XSECUP values
  and its error the quadrature sum of the XERRUP (pb).
* zpgen ROOT or Parquet files (zpgen.writers.read), cross section and its Monte Carlo error
  from the run metadata (``totals.sigma_cm2``, ``totals.sigma_err_cm2``).

Frame
-----
Every event is boosted along z to the rest frame of its incoming target (the heaviest
incoming particle), the frame zpgen writes; a MadGraph run with a massive beam at rest
(ebeam2 = M_p) is already in it, a collider-frame file is brought to it.

Observables (PHYSICS.md, "MiniBooNE observables")
-------------------------------------------------
``E_nu5`` (GeV) energy of nu5; ``t`` (GeV^2) = (k' - k)^2 of the target
(from the neutrino legs (k1 - k2)^2 when there is no outgoing target); ``E_vis`` (GeV)
= E(e+) + E(e-); ``theta_ee`` (deg) opening angle; ``cos_theta`` of the pair direction
unit(p+ + p-) to the beam axis +z; ``asymmetry`` = |E+ - E-|/E_vis; ``cos_theta_star``
the cosine of the e- direction in the e+e- rest frame to the pair's direction of flight
(helicity axes of the Z', or of the virtual Z' off shell, in the target rest frame).  The
e+ e- pair is the one from the Z' emitted by nu5 (or, with no Z' in the record, the pair
whose mother is nu5; failing both, the first e+ and e- of the event), so a second pair
from the nu4 decay is ignored.

Particle identity
-----------------
The PDG numbers of nu5 and the Z' are those the process declared in a zpgen file's run
document (``run_info["particles"]``, names ``nu5`` and ``Zprime``); a file without one (a
MadGraph LHE) is read with the numbers of the zpgen file it is compared with.

Cross sections
--------------
MadGraph's XSECUP are taken as they are (pb, per target particle of the beam B).  A zpgen
LHE file's XSECUP are per target atom of the detector (:mod:`zpgen.writers.lhe`); they are
converted back to each channel's own target, ``XSECUP * n_atoms / targets[channel]``, the
convention of zpgen's ROOT and Parquet files (``totals.sigma_cm2``).

MadGraph cuts the Breit-Wigner of every narrow resonance it forces on shell at
``|m - M| < bwcutoff Gamma``; for Gamma/M -> 0 that keeps the fraction
``f = (2/pi) atan(2 bwcutoff)`` of each (0.9788 at the default bwcutoff = 15), so its cross
section is ``sigma x BR x f^n``.  ``n`` is read from the banner: every decaying particle of
the decay-chain syntax of the ``generate``/``add process`` lines counts, and every
intermediate resonance of a MadSpin ``decay`` line (MadSpin's partial width is computed
with it; the particle MadSpin decays is on shell).  ``bwcutoff`` is the run_card's.  The
comparison divides MadGraph's cross section and error by ``f^n`` (``bw_factor``); zpgen's
has no such cut.  ``--bw-resonances`` overrides ``n``.

Tests
-----
Cross section: ``z = (sigma_1 - sigma_2)/sqrt(err_1^2 + err_2^2 + (r sigma)^2)`` with the
Monte Carlo errors of both files (after the bwcutoff correction) and an optional relative
systematic ``r`` (``xsec_tolerance``, default 0), two-sided normal p-value.

Per observable: the weighted means, ``m = sum w x/sum w`` with
``err^2 = sum w^2 (x - m)^2/(sum w)^2``, and the medians, whose error is read off the
weighted ECDF at ``0.5 -/+ sqrt(0.25/n_eff)`` (the binomial error of the CDF at the median,
Kish n_eff), compared by ``z = difference/combined error`` (two-sided normal p-values).

Every comparison makes N p-values (cross section; per observable chi2, KS, mean, median).
``threshold`` is family-wise (Bonferroni): the comparison fails when any p-value is below
``threshold/N``.

Shapes are compared with unit-normalised weights.  Binned: the chi2 of two weighted
histograms (Gagunashvili, "Comparison of weighted and unweighted histograms",
arXiv:physics/0605123, ROOT's Chi2Test "WW"):
chi2 = sum_i (W1 w2_i - W2 w1_i)^2 / (W1^2 s2_i^2 + W2^2 s1_i^2), ndf = bins - 1, with
W the sample's weight sum, w_i the bin's and s_i^2 its sum of squared weights; bins are
quantiles of the pooled sample.  Unbinned: the two-sample Kolmogorov-Smirnov test; when
both samples have uniform weights (MadGraph's unweighted events) scipy's exact
``ks_2samp``; otherwise the weighted ECDF distance with the asymptotic Kolmogorov
distribution at the Kish effective sample sizes n_eff = (sum w)^2/sum w^2 (an
approximation, conservative for the variable weights of a weighted generator).
"""

from __future__ import annotations

import difflib
import gzip
import math
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from zpgen.kinematics import mdot

__all__ = [
    "OBSERVABLES",
    "CompareError",
    "ParticleIds",
    "Sample",
    "bw_fraction",
    "compare",
    "computable",
    "input_format",
    "madgraph_bw_resonances",
    "parse_observables",
    "particle_ids",
    "read_sample",
    "sample_from_chunks",
    "weighted_chi2",
    "weighted_ks",
    "weighted_mean",
    "weighted_median",
]

FloatArray = npt.NDArray[np.float64]

#: Observable name -> (unit, description).
OBSERVABLES: dict[str, tuple[str, str]] = {
    "E_nu5": ("GeV", "nu5 energy"),
    "t": ("GeV^2", "t = (k' - k)^2 of the target"),
    "E_vis": ("GeV", "E(e+) + E(e-)"),
    "theta_ee": ("deg", "e+ e- opening angle"),
    "cos_theta": ("", "cos of the e+e- pair direction to the beam"),
    "asymmetry": ("", "|E+ - E-|/E_vis"),
    "cos_theta_star": ("", "cos of the e- in the e+e- rest frame to the pair direction"),
}

_NEUTRINOS = (12, 14, 16)


class CompareError(ValueError):
    """Bad input to compare-lhe (file, option); the message says what and where."""


@dataclass(frozen=True)
class ParticleIds:
    """PDG numbers of the new states the observables need (from a zpgen run document)."""

    nu5: int
    zprime: int


def _open_text(path: str) -> Any:
    """A text file object of ``path``, gunzipped if it starts with the gzip magic number."""
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    if gz:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def _gz_lhe_run_info(path: str) -> dict[str, Any] | None:
    """``<zpgen_run_info>`` of a gzipped zpgen LHE file (the writer's reader takes plain files)."""
    import json

    with gzip.open(path, "rb") as fh:
        try:
            for _, elem in ET.iterparse(fh, events=("end",)):
                if elem.tag == "zpgen_run_info":
                    return dict(json.loads(elem.text or ""))
                if elem.tag in ("header", "init", "event"):
                    return None
        except ET.ParseError:  # a MadGraph banner is not always well-formed XML
            return None
    return None


def _run_info(path: str) -> dict[str, Any] | None:
    from zpgen.writers.read import read_metadata

    try:
        if path.lower().endswith(".gz"):
            info = _gz_lhe_run_info(path)
        else:
            info = read_metadata(path)["run_info"]
    except Exception:  # not a zpgen file: a MadGraph LHE, say
        return None
    return info if isinstance(info, dict) else None


def _br_visible(info: dict[str, Any]) -> float | None:
    """BR_visible of a zpgen run document (the run summary's process block), or None."""
    summary = dict(dict(info.get("totals", {}) or {}).get("run_summary", {}) or {})
    value = dict(summary.get("process", {}) or {}).get("br_visible")
    return float(value) if value is not None else None


def particle_ids(*paths: str | os.PathLike[str]) -> ParticleIds:
    """The nu5 and Z' PDG numbers declared in the first of ``paths`` that is a zpgen file."""
    for path in paths:
        info = _run_info(os.fspath(path))
        if info is None:
            continue
        by_name = {str(v.get("name")): int(v["pdg"])
                   for v in dict(info.get("particles", {}) or {}).values()}
        if "nu5" in by_name and "Zprime" in by_name:
            return ParticleIds(nu5=by_name["nu5"], zprime=by_name["Zprime"])
    raise CompareError("none of " + ", ".join(os.fspath(p) for p in paths) + " declares the "
                       "PDG numbers of nu5 and Z' (run_info['particles']): compare-lhe needs "
                       "at least one file written by this zpgen")


@dataclass
class Sample:
    """Observables of one file's events, their weights and the total cross section."""

    path: str
    weights: FloatArray
    observables: dict[str, FloatArray]
    sigma_pb: float
    sigma_err_pb: float = 0.0
    generator: str = ""
    notes: list[str] = field(default_factory=list)
    #: fraction of sigma x BR that MadGraph's bwcutoff kept, f^n (module docstring); 1 for
    #: zpgen.  The comparison uses sigma_pb/bw_factor.
    bw_factor: float = 1.0
    bw_note: str = ""
    #: zpgen's visible branching ratio BR_visible (its cross sections include it); None if
    #: unknown.  Compared with a production-only file (no e+ e- pair), sigma/BR_visible.
    br_visible: float | None = None

    @property
    def n_events(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_eff(self) -> float:
        w = self.weights
        s2 = float(np.sum(w * w))
        return float(np.sum(w)) ** 2 / s2 if s2 > 0 else 0.0


def parse_observables(text: str | Sequence[str] | None) -> list[str]:
    """Observable names from a comma-separated list; unknown names are a CompareError."""
    if text is None:
        return list(OBSERVABLES)
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text)]
    names = [n for n in names if n]
    if not names:
        raise CompareError("--observables: empty list; valid: " + ", ".join(OBSERVABLES))
    for n in names:
        if n not in OBSERVABLES:
            close = difflib.get_close_matches(n, list(OBSERVABLES), n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise CompareError(f"--observables: unknown observable {n!r}{hint} Valid: "
                               + ", ".join(OBSERVABLES))
    return names


# ---------------------------------------------------------------------------------------
# Per-event observables


def _boost_z(p: FloatArray, beta: float) -> FloatArray:
    """Boost four-momenta (E, px, py, pz) rows by velocity beta along +z."""
    gamma = 1.0 / math.sqrt(1.0 - beta * beta)
    out = p.copy()
    out[:, 0] = gamma * (p[:, 0] - beta * p[:, 3])
    out[:, 3] = gamma * (p[:, 3] - beta * p[:, 0])
    return out


def event_observables(pdg: npt.NDArray[np.int64], incoming: npt.NDArray[np.bool_],
                      final: npt.NDArray[np.bool_], mother: npt.NDArray[np.int64],
                      p: FloatArray, ids: ParticleIds) -> dict[str, float]:
    """Observables of one event.  ``mother``: 0-based index of the decayed mother, -1 none;
    ``p``: rows (E, px, py, pz) in GeV; ``ids``: PDG numbers of nu5 and the Z'."""
    out = dict.fromkeys(OBSERVABLES, math.nan)
    inc = np.flatnonzero(incoming)
    if len(inc) == 0:
        return out
    m2 = p[inc, 0] ** 2 - np.sum(p[inc, 1:] ** 2, axis=1)
    target = int(inc[int(np.argmax(m2))])
    if abs(p[target, 3]) > 1e-12 * p[target, 0]:
        p = _boost_z(p, p[target, 3] / p[target, 0])
    apdg = np.abs(pdg)
    nu5 = np.flatnonzero(apdg == ids.nu5)
    if len(nu5):
        out["E_nu5"] = float(p[nu5[0], 0])
    # t from the target recoil, else from the neutrino legs
    recoil = [i for i in np.flatnonzero(final & (pdg == pdg[target])) if i != target]
    if recoil:
        q = p[recoil[0]] - p[target]
        out["t"] = float(mdot(q, q))
    else:
        beam = [i for i in inc if abs(int(pdg[i])) in _NEUTRINOS]
        if beam and len(nu5):
            q = p[beam[0]] - p[nu5[0]]
            out["t"] = float(mdot(q, q))
    # the e+ e- pair of the nu5 -> Z' -> e+ e- decay
    parent = -1
    if len(nu5):
        zps = [i for i in np.flatnonzero(apdg == ids.zprime) if mother[i] == nu5[0]]
        parent = int(zps[0]) if zps else int(nu5[0])
    em = [i for i in np.flatnonzero(final & (pdg == 11)) if parent < 0 or mother[i] == parent]
    ep = [i for i in np.flatnonzero(final & (pdg == -11)) if parent < 0 or mother[i] == parent]
    if not (em and ep):
        em = list(np.flatnonzero(final & (pdg == 11)))
        ep = list(np.flatnonzero(final & (pdg == -11)))
    if em and ep:
        a, b = p[ep[0]], p[em[0]]
        e_vis = float(a[0] + b[0])
        out["E_vis"] = e_vis
        out["asymmetry"] = abs(float(a[0] - b[0])) / e_vis
        na, nb = np.linalg.norm(a[1:]), np.linalg.norm(b[1:])
        cos_ee = float(np.dot(a[1:], b[1:]) / (na * nb)) if na > 0 and nb > 0 else math.nan
        out["theta_ee"] = math.degrees(math.acos(min(max(cos_ee, -1.0), 1.0)))
        s = a[1:] + b[1:]
        ns = float(np.linalg.norm(s))
        out["cos_theta"] = float(s[2] / ns) if ns > 0 else math.nan
        out["cos_theta_star"] = _cos_theta_star(b, a + b)
    return out


def _cos_theta_star(p: FloatArray, pair: FloatArray) -> float:
    """cos of ``p`` in the rest frame of ``pair`` to the direction of ``pair`` (helicity
    axes); nan for a pair at rest."""
    q = pair[1:]
    nq = float(np.linalg.norm(q))
    m2 = float(pair[0] ** 2 - nq * nq)
    if nq <= 0.0 or m2 <= 0.0:
        return math.nan
    m = math.sqrt(m2)
    u = q / nq
    # longitudinal momentum of p in the pair rest frame (boost along u by beta = |q|/E)
    p_par = float(np.dot(p[1:], u))
    p_par_rest = (pair[0] * p_par - nq * float(p[0])) / m
    p_perp2 = float(np.dot(p[1:], p[1:])) - p_par * p_par
    norm = math.sqrt(p_par_rest * p_par_rest + max(p_perp2, 0.0))
    return p_par_rest / norm if norm > 0.0 else math.nan


# ---------------------------------------------------------------------------------------
# Readers


_INIT = re.compile(r"<init\b[^>]*>(.*?)</init>", re.S)


def _lhe_head(path: str) -> str:
    """Text of an LHE file up to its first event."""
    chunks = []
    with _open_text(path) as fh:
        for line in fh:
            if line.lstrip().startswith("<event"):
                break
            chunks.append(line)
    return "".join(chunks)


def read_lhe_init(path: str) -> dict[str, Any]:
    """Beam line and process lines of an LHE <init> block (CompareError if absent)."""
    head = _lhe_head(path)
    if "<LesHouchesEvents" not in head:
        raise CompareError(f"{path}: not an LHE file (no <LesHouchesEvents> tag before the "
                           "first event)")
    # the last <init> before the first event: a MadSpin file repeats the production's
    # <init> inside its header
    found = list(_INIT.finditer(head))
    m = found[-1] if found else None
    if m is None:
        raise CompareError(f"{path}: no <init> block; compare-lhe needs its cross sections "
                           "(XSECUP, pb) to match the normalisation")
    rows = [ln.split() for ln in m.group(1).splitlines()
            if ln.strip() and not ln.lstrip().startswith(("#", "<"))]
    try:
        beam = rows[0]
        nproc = int(beam[9])
        procs = [{"xsec_pb": float(r[0]), "err_pb": float(r[1]), "xmax": float(r[2]),
                  "id": int(r[3])} for r in rows[1:1 + nproc]]
    except (IndexError, ValueError) as exc:
        raise CompareError(f"{path}: malformed <init> block ({exc})") from exc
    if len(procs) != nproc:
        raise CompareError(f"{path}: <init> declares {nproc} processes but lists {len(procs)}")
    return {"beam": beam, "processes": procs}


_BLOCK = r"<{tag}\b[^>]*>(.*?)</{tag}>"
_BWCUTOFF = re.compile(r"^\s*([0-9.eEdD+-]+)\s*=\s*bwcutoff\b", re.M)


def bw_fraction(bwcutoff: float) -> float:
    """Fraction (2/pi) atan(2 bwcutoff) of a narrow Breit-Wigner (in m^2) that MadGraph's
    cut |m - M| < bwcutoff Gamma keeps (|m^2 - M^2| < 2 M bwcutoff Gamma, Gamma << M)."""
    return 2.0 / math.pi * math.atan(2.0 * bwcutoff)


def _chain_resonances(process: str) -> int:
    """Decaying particles of MadGraph's decay-chain syntax in one process line: every
    ``X >`` after the core process (``a b > n5 b, (n5 > n4 zp, zp > e+ e-)`` has 2)."""
    _, _, chains = process.partition(",")
    return chains.count(">")


def madgraph_bw_resonances(head: str) -> tuple[int, float, str] | None:
    """(n, bwcutoff, how) of a MadGraph LHE header (module docstring, "Cross sections"), or
    None when it has no MadGraph run card."""
    run = re.search(_BLOCK.format(tag="MGRunCard"), head, re.S)
    if run is None:
        return None
    cut = _BWCUTOFF.search(run.group(1))
    bwcutoff = float(cut.group(1).replace("d", "e").replace("D", "e")) if cut else 15.0
    proc = re.search(_BLOCK.format(tag="MG5ProcCard"), head, re.S)
    lines = [ln.strip() for ln in (proc.group(1) if proc else "").splitlines()]
    processes = [re.sub(r"^(generate|add\s+process)\s+", "", ln) for ln in lines
                 if re.match(r"^(generate|add\s+process)\s", ln)]
    counts = {_chain_resonances(pr.split("@")[0]) for pr in processes}
    if len(counts) > 1:
        raise CompareError(f"MadGraph processes with different decay chains ({processes}): "
                           "give --bw-resonances")
    n = counts.pop() if counts else 0
    how = f"{n} decay-chain resonance(s) in '{processes[0] if processes else '?'}'"
    ms = re.search(_BLOCK.format(tag="madspin"), head, re.S | re.I)
    if ms is not None:
        decays = [ln.strip() for ln in ms.group(1).splitlines()
                  if re.match(r"^\s*decay\s", ln)]
        extra = sum(max(d.count(">") - 1, 0) for d in decays)
        n += extra
        how += f", {extra} intermediate resonance(s) in MadSpin's {decays}"
    return n, bwcutoff, how


def _read_lhe(path: str, channel: str | None, ids: ParticleIds,
              bw_resonances: int | None = None) -> Sample:
    import pylhe

    init = read_lhe_init(path)
    procs = init["processes"]
    info = _run_info(path)
    notes: list[str] = []
    keep_pid: int | None = None
    if info is not None:  # a zpgen LHE: XSECUP per target atom -> per target of the channel
        from zpgen.writers.hepmc import process_ids

        channels = list(info.get("channels", []))
        described = dict(info.get("channel_info", {}) or {})
        fallback = process_ids(channels)
        pid_of = {c: int(dict(described.get(c, {})).get("process_id", fallback[c]))
                  for c in channels}
        targets = dict(info.get("targets", {}) or {})
        n_atoms = float(info.get("n_atoms", 0.0) or 0.0)
        to_target = {pid_of[c]: (n_atoms / float(targets[c]) if targets.get(c) else 0.0)
                     for c in channels}
        procs = [{**p, "xsec_pb": p["xsec_pb"] * to_target.get(p["id"], 0.0),
                  "err_pb": p["err_pb"] * to_target.get(p["id"], 0.0)} for p in procs]
        if channel is not None:
            if channel not in pid_of:
                raise CompareError(f"--channel: {channel!r} is not a channel of {path}; "
                                   f"valid: {', '.join(channels)}")
            keep_pid = pid_of[channel]
            procs = [p for p in procs if p["id"] == keep_pid]
    elif channel is not None:
        notes.append(f"--channel {channel} ignored (not a zpgen file)")
    bw_factor, bw_note = 1.0, ""
    if info is None:
        found = madgraph_bw_resonances(_lhe_head(path))
        if found is not None or bw_resonances is not None:
            n, cut, how = found if found is not None else (0, 15.0, "")
            if bw_resonances is not None:
                n, how = bw_resonances, f"{bw_resonances} resonance(s) from --bw-resonances"
            bw_factor = bw_fraction(cut) ** n
            bw_note = (f"MadGraph bwcutoff = {cut:g}, {how}: sigma x BR x "
                       f"[(2/pi) atan(2 bwcutoff)]^{n} = {bw_factor:.5f} sigma x BR")
            notes.append(bw_note)
    sigma = float(sum(p["xsec_pb"] for p in procs))
    err = math.sqrt(sum(p["err_pb"] ** 2 for p in procs))
    weights: list[float] = []
    obs: dict[str, list[float]] = {k: [] for k in OBSERVABLES}
    try:
        lhe = pylhe.LHEFile.fromfile(path)
        for ev in lhe.events:
            if keep_pid is not None and int(ev.eventinfo.pid) != keep_pid:
                continue
            parts = ev.particles
            n = len(parts)
            pdg = np.fromiter((int(q.id) for q in parts), np.int64, n)
            status = np.fromiter((int(q.status) for q in parts), np.int64, n)
            mother = np.fromiter((int(q.mother1) - 1 if int(q.mother1) == int(q.mother2)
                                  else -1 for q in parts), np.int64, n)
            p4 = np.array([[q.e, q.px, q.py, q.pz] for q in parts], dtype=np.float64)
            values = event_observables(pdg, status == -1, status == 1, mother, p4, ids)
            weights.append(float(ev.eventinfo.weight))
            for k, v in values.items():
                obs[k].append(v)
    except CompareError:
        raise
    except Exception as exc:
        raise CompareError(f"{path}: cannot read the events with pylhe: {exc}") from exc
    gen = "zpgen" if info is not None else ("MadGraph" if bw_note else "LHE")
    return Sample(path, np.asarray(weights, dtype=np.float64),
                  {k: np.asarray(v, dtype=np.float64) for k, v in obs.items()},
                  sigma, err, gen, notes, bw_factor, bw_note,
                  _br_visible(info) if info is not None else None)


def sample_from_chunks(chunks: Any, ids: ParticleIds, *, path: str, sigma_pb: float,
                       sigma_err_pb: float = 0.0, channel_index: int | None = None,
                       generator: str = "zpgen", br_visible: float | None = None) -> Sample:
    """A :class:`Sample` from zpgen event chunks (awkward Arrays of the event record,
    :mod:`zpgen.event_record`), e.g. those of :func:`zpgen.generate.generate`;
    ``channel_index`` keeps the events of one channel; ``br_visible`` the visible branching
    ratio included in ``sigma_pb``."""
    import awkward as ak

    from zpgen.event_record import INCOMING_STATUSES

    weights: list[float] = []
    obs: dict[str, list[float]] = {k: [] for k in OBSERVABLES}
    for chunk in chunks:
        if channel_index is not None:
            chunk = chunk[ak.to_numpy(chunk["channel"]) == channel_index]
        w = ak.to_numpy(chunk["w"]).astype(np.float64)
        parts = chunk["particles"]
        # flat numpy columns once per chunk; events are slices of them
        offsets = np.concatenate([[0], np.cumsum(ak.to_numpy(ak.num(parts)))])
        pdg_all = ak.to_numpy(ak.flatten(parts["pdg"])).astype(np.int64)
        status_all = ak.to_numpy(ak.flatten(parts["status"])).astype(np.int64)
        mother_all = ak.to_numpy(ak.flatten(parts["mother"])).astype(np.int64)
        p4_all = np.stack([ak.to_numpy(ak.flatten(parts[c])).astype(np.float64)
                           for c in ("E", "px", "py", "pz")], axis=1)
        incoming_all = np.isin(status_all, INCOMING_STATUSES)
        final_all = status_all == 1
        for i in range(len(chunk)):
            sl = slice(int(offsets[i]), int(offsets[i + 1]))
            values = event_observables(pdg_all[sl], incoming_all[sl], final_all[sl],
                                       mother_all[sl], p4_all[sl], ids)
            weights.append(float(w[i]))
            for k, v in values.items():
                obs[k].append(v)
    return Sample(path, np.asarray(weights, dtype=np.float64),
                  {k: np.asarray(v, dtype=np.float64) for k, v in obs.items()},
                  sigma_pb, sigma_err_pb, generator, br_visible=br_visible)


def _read_zpgen_columnar(path: str, channel: str | None, ids: ParticleIds) -> Sample:
    from zpgen.writers._base import CM2_TO_PB
    from zpgen.writers.read import iter_chunks, read_metadata

    info = read_metadata(path)["run_info"]
    channels = list(info.get("channels", []))
    totals = info.get("totals", {}) or {}
    sig = dict(totals.get("sigma_cm2", {}) or {})
    err = dict(totals.get("sigma_err_cm2", {}) or {})
    keep: int | None = None
    if channel is not None:
        if channel not in channels:
            raise CompareError(f"--channel: {channel!r} is not a channel of {path}; "
                               f"valid: {', '.join(channels)}")
        keep = channels.index(channel)
        sig = {channel: sig.get(channel, 0.0)}
        err = {channel: err.get(channel, 0.0)}
    sample = sample_from_chunks(
        iter_chunks(path), ids, path=path, channel_index=keep,
        sigma_pb=float(sum(sig.values())) * CM2_TO_PB,
        sigma_err_pb=math.sqrt(sum(float(e) ** 2 for e in err.values())) * CM2_TO_PB)
    sample.br_visible = _br_visible(info)
    return sample


def input_format(path: str | os.PathLike[str]) -> str:
    """``"lhe"`` or ``"columnar"`` (zpgen ROOT/Parquet) for an existing input file, else a
    :class:`CompareError` saying what is wrong with it."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CompareError(f"{path}: no such file")
    lower = path.lower()
    if lower.endswith((".root", ".parquet")):
        return "columnar"
    if lower.endswith((".lhe", ".lhef", ".xml", ".lhe.gz", ".lhef.gz")):
        return "lhe"
    raise CompareError(f"{path}: unknown format (expected .lhe or .lhe.gz, or a zpgen "
                       ".root/.parquet)")


def read_sample(path: str | os.PathLike[str], channel: str | None = None,
                ids: ParticleIds | None = None, bw_resonances: int | None = None) -> Sample:
    """Read a file (LHE; zpgen ROOT or Parquet) into a :class:`Sample`.

    ``ids``: PDG numbers of nu5 and the Z' (default: those the file itself declares; pass
    :func:`particle_ids` of both files to read a MadGraph LHE).  ``bw_resonances``:
    resonances cut by MadGraph's bwcutoff in a non-zpgen LHE file (default: from its
    banner; module docstring, "Cross sections").
    """
    fmt = input_format(path)
    path = os.fspath(path)
    ids = ids if ids is not None else particle_ids(path)
    if fmt == "columnar":
        return _read_zpgen_columnar(path, channel, ids)
    return _read_lhe(path, channel, ids, bw_resonances)


# ---------------------------------------------------------------------------------------
# Statistics


def _edges(a: FloatArray, b: FloatArray, nbins: int) -> FloatArray:
    pooled = np.concatenate([a, b])
    edges = np.unique(np.quantile(pooled, np.linspace(0.0, 1.0, nbins + 1)))
    if len(edges) < 2:
        v = float(pooled[0]) if len(pooled) else 0.0
        edges = np.array([v - 0.5, v + 0.5])
    edges[-1] = np.nextafter(edges[-1], np.inf)
    return edges


def weighted_chi2(x1: FloatArray, w1: FloatArray, x2: FloatArray, w2: FloatArray,
                  edges: FloatArray) -> tuple[float, int, float]:
    """(chi2, ndf, p-value) of two weighted histograms (Gagunashvili's WW test)."""
    from scipy import stats

    h1, _ = np.histogram(x1, edges, weights=w1)
    h2, _ = np.histogram(x2, edges, weights=w2)
    s1, _ = np.histogram(x1, edges, weights=w1 * w1)
    s2, _ = np.histogram(x2, edges, weights=w2 * w2)
    W1, W2 = float(np.sum(h1)), float(np.sum(h2))
    den = W1 * W1 * s2 + W2 * W2 * s1
    ok = den > 0
    chi2 = float(np.sum((W1 * h2[ok] - W2 * h1[ok]) ** 2 / den[ok]))
    ndf = max(int(np.count_nonzero(ok)) - 1, 1)
    return chi2, ndf, float(stats.chi2.sf(chi2, ndf))


def _uniform(w: FloatArray) -> bool:
    return len(w) > 0 and bool(np.allclose(w, w[0], rtol=1e-6, atol=0.0))


def weighted_ks(x1: FloatArray, w1: FloatArray, x2: FloatArray, w2: FloatArray
                ) -> tuple[float, float, str]:
    """(D, p-value, method) of the two-sample KS test (see the module docstring)."""
    from scipy import stats

    if _uniform(w1) and _uniform(w2):
        res = stats.ks_2samp(x1, x2)
        return float(res.statistic), float(res.pvalue), "unweighted ks_2samp"
    o1, o2 = np.argsort(x1), np.argsort(x2)
    x1s, x2s = x1[o1], x2[o2]
    c1 = np.concatenate([[0.0], np.cumsum(w1[o1])]) / np.sum(w1)
    c2 = np.concatenate([[0.0], np.cumsum(w2[o2])]) / np.sum(w2)
    grid = np.concatenate([x1s, x2s])
    f1 = c1[np.searchsorted(x1s, grid, side="right")]
    f2 = c2[np.searchsorted(x2s, grid, side="right")]
    d = float(np.max(np.abs(f1 - f2)))
    n1 = float(np.sum(w1)) ** 2 / float(np.sum(w1 * w1))
    n2 = float(np.sum(w2)) ** 2 / float(np.sum(w2 * w2))
    en = math.sqrt(n1 * n2 / (n1 + n2))
    p = float(stats.kstwobign.sf(d * en))
    return d, min(max(p, 0.0), 1.0), "weighted ECDF, Kish n_eff, asymptotic"


def weighted_mean(x: FloatArray, w: FloatArray) -> tuple[float, float]:
    """(mean, its standard error) of weighted values: ``sum w x/sum w`` and
    ``sqrt(sum w^2 (x - mean)^2)/sum w`` (``s/sqrt(n)`` for equal weights)."""
    sw = float(np.sum(w))
    m = float(np.sum(w * x)) / sw
    return m, math.sqrt(float(np.sum(w * w * (x - m) ** 2))) / sw


def _quantile(xs: FloatArray, cdf: FloatArray, q: float) -> float:
    """Weighted quantile from sorted values and their (right-continuous) ECDF."""
    i = int(np.searchsorted(cdf, min(max(q, 0.0), 1.0), side="left"))
    return float(xs[min(i, len(xs) - 1)])


def weighted_median(x: FloatArray, w: FloatArray) -> tuple[float, float]:
    """(median, its standard error) of weighted values.

    The ECDF at the median has the binomial error ``sqrt(0.25/n_eff)`` (Kish n_eff); the
    error of the median is half the distance between the quantiles at ``0.5 -/+`` that
    error (distribution-free, the order-statistic interval of the median).
    """
    o = np.argsort(x)
    xs, ws = x[o], w[o]
    cdf = np.cumsum(ws) / np.sum(ws)
    n_eff = float(np.sum(w)) ** 2 / float(np.sum(w * w))
    d = math.sqrt(0.25 / n_eff)
    med = _quantile(xs, cdf, 0.5)
    return med, 0.5 * (_quantile(xs, cdf, 0.5 + d) - _quantile(xs, cdf, 0.5 - d))


def _z_test(a: float, ea: float, b: float, eb: float, extra: float = 0.0
            ) -> tuple[float, float]:
    """(z, two-sided p) of a - b with independent errors ea, eb (and ``extra``)."""
    from scipy import stats

    err = math.sqrt(ea * ea + eb * eb + extra * extra)
    if err == 0.0:
        z = 0.0 if a == b else math.inf
    else:
        z = (a - b) / err
    return z, float(2.0 * stats.norm.sf(abs(z)))


def computable(a: Sample, b: Sample, names: Sequence[str]) -> tuple[list[str], list[str]]:
    """(observables that both samples have for some event, those they do not)."""
    ok = [n for n in names if np.isfinite(a.observables[n]).any()
          and np.isfinite(b.observables[n]).any()]
    return ok, [n for n in names if n not in ok]


def compare(a: Sample, b: Sample, observables: Sequence[str], *, nbins: int = 20,
            threshold: float = 1e-3, xsec_tolerance: float = 0.0) -> dict[str, Any]:
    """Shape, mean and median tests per observable and the cross-section test;
    ``result["pass"]`` (module docstring, "Tests").

    ``threshold`` is family-wise: each of the N p-values must be at least threshold/N.
    ``xsec_tolerance``: relative systematic uncertainty of the cross-section comparison
    added to the statistical errors (``inf``: cross sections not compared).
    """
    if a.n_events == 0 or b.n_events == 0:
        empty = a.path if a.n_events == 0 else b.path
        raise CompareError(f"{empty}: no events (after the --channel selection)")
    divisor = [s.bw_factor for s in (a, b)]
    notes: list[str] = []
    has_pair = [bool(np.isfinite(s.observables["E_vis"]).any()) for s in (a, b)]
    for i, (s, other) in enumerate(((a, b), (b, a))):
        if has_pair[i] and not has_pair[1 - i] and s.br_visible:
            divisor[i] *= s.br_visible
            notes.append(f"{other.path} has no e+ e- pair (production only): {s.path}'s "
                         f"cross section divided by its BR_visible = {s.br_visible:.6g}")
    sig = [s.sigma_pb / d for s, d in zip((a, b), divisor, strict=True)]
    err = [s.sigma_err_pb / d for s, d in zip((a, b), divisor, strict=True)]
    compare_xsec = math.isfinite(xsec_tolerance)
    n_tests = 4 * len(observables) + (1 if compare_xsec else 0)
    local = threshold / max(n_tests, 1)
    result: dict[str, Any] = {
        "files": [a.path, b.path],
        "generators": [a.generator, b.generator],
        "n_events": [a.n_events, b.n_events],
        "n_eff": [a.n_eff, b.n_eff],
        "xsec_pb": [a.sigma_pb, b.sigma_pb],
        "xsec_err_pb": [a.sigma_err_pb, b.sigma_err_pb],
        "bw_factor": [a.bw_factor, b.bw_factor],
        "xsec_corrected_pb": sig,
        "xsec_corrected_err_pb": err,
        "xsec_ratio": sig[0] / sig[1] if sig[1] > 0 else math.nan,
        "xsec_tolerance": xsec_tolerance,
        "threshold": threshold,
        "n_tests": n_tests,
        "threshold_per_test": local,
        "nbins": nbins,
        "notes": [*a.notes, *b.notes, *notes],
        "observables": {},
    }
    failures: list[str] = []
    p_values: list[float] = []
    if not compare_xsec:
        result["xsec_pass"] = True
        result["xsec_z"], result["p_xsec"] = math.nan, math.nan
    else:
        z, p = _z_test(sig[0], err[0], sig[1], err[1],
                       xsec_tolerance * 0.5 * (sig[0] + sig[1]))
        result["xsec_z"], result["p_xsec"] = z, p
        p_values.append(p)
        result["xsec_pass"] = bool(p >= local)
        if not result["xsec_pass"]:
            failures.append(f"cross sections {sig[0]:.5g} +- {err[0]:.2g} and "
                            f"{sig[1]:.5g} +- {err[1]:.2g} pb differ by {z:.2f} sigma "
                            f"(p = {p:.3g} < {local:.3g})")
    for name in observables:
        xa, xb = a.observables[name], b.observables[name]
        ma, mb = np.isfinite(xa), np.isfinite(xb)
        if not ma.any() or not mb.any():
            missing = a.path if not ma.any() else b.path
            raise CompareError(f"{missing}: observable {name!r} cannot be computed from the "
                               f"particle records ({OBSERVABLES[name][1]})")
        wa = a.weights[ma] / np.sum(a.weights[ma])
        wb = b.weights[mb] / np.sum(b.weights[mb])
        edges = _edges(xa[ma], xb[mb], nbins)
        chi2, ndf, p_chi2 = weighted_chi2(xa[ma], wa, xb[mb], wb, edges)
        d, p_ks, method = weighted_ks(xa[ma], wa, xb[mb], wb)
        means = [weighted_mean(xa[ma], wa), weighted_mean(xb[mb], wb)]
        medians = [weighted_median(xa[ma], wa), weighted_median(xb[mb], wb)]
        z_mean, p_mean = _z_test(means[0][0], means[0][1], means[1][0], means[1][1])
        z_med, p_med = _z_test(medians[0][0], medians[0][1], medians[1][0], medians[1][1])
        entry = {"unit": OBSERVABLES[name][0], "chi2": chi2, "ndf": ndf, "p_chi2": p_chi2,
                 "ks_D": d, "p_ks": p_ks, "ks_method": method,
                 "mean": [m for m, _ in means], "mean_err": [e for _, e in means],
                 "z_mean": z_mean, "p_mean": p_mean,
                 "median": [m for m, _ in medians], "median_err": [e for _, e in medians],
                 "z_median": z_med, "p_median": p_med,
                 "used_events": [int(ma.sum()), int(mb.sum())], "edges": edges.tolist()}
        tests = {"chi2": p_chi2, "KS": p_ks, "mean": p_mean, "median": p_med}
        p_values += list(tests.values())
        low = {k: v for k, v in tests.items() if not v >= local}
        entry["pass"] = not low
        if low:
            failures.append(f"{name}: " + ", ".join(f"p({k}) = {v:.3g}" for k, v in low.items())
                            + f" below {local:.3g}")
        result["observables"][name] = entry
    result["p_min"] = min(p_values) if p_values else math.nan
    result["failures"] = failures
    result["pass"] = not failures
    return result


def plot(a: Sample, b: Sample, result: dict[str, Any], outdir: str | os.PathLike[str],
         labels: tuple[str, str] = ("A", "B")) -> list[str]:
    """Normalised distributions and their ratio A/B, one PNG per observable."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(outdir, exist_ok=True)
    written = []
    for name, entry in result["observables"].items():
        edges = np.asarray(entry["edges"])
        hists = []
        for s in (a, b):
            x = s.observables[name]
            m = np.isfinite(x)
            w = s.weights[m] / np.sum(s.weights[m])
            h, _ = np.histogram(x[m], edges, weights=w)
            e2, _ = np.histogram(x[m], edges, weights=w * w)
            width = np.diff(edges)
            hists.append((h / width, np.sqrt(e2) / width))
        fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 5.6),
                                          gridspec_kw={"height_ratios": [3, 1]})
        for (h, e), lab in zip(hists, labels, strict=True):
            top.stairs(h, edges, label=lab)
            centres = 0.5 * (edges[1:] + edges[:-1])
            top.errorbar(centres, h, yerr=e, fmt="none", lw=0.8)
        unit = entry["unit"]
        top.set_ylabel(f"normalised density [1/{unit}]" if unit else "normalised density")
        top.set_title(f"{name}: p(chi2) = {entry['p_chi2']:.3g}, p(KS) = {entry['p_ks']:.3g}")
        top.legend()
        (ha, ea), (hb, eb) = hists
        with np.errstate(divide="ignore", invalid="ignore"):
            r = ha / hb
            re_ = r * np.sqrt((ea / ha) ** 2 + (eb / hb) ** 2)
        centres = 0.5 * (edges[1:] + edges[:-1])
        bottom.errorbar(centres, r, yerr=re_, fmt="o", ms=3)
        bottom.axhline(1.0, color="k", lw=0.8)
        bottom.set_ylabel(f"{labels[0]}/{labels[1]}")
        bottom.set_xlabel(f"{name} [{unit}]" if unit else name)
        fig.tight_layout()
        out = os.path.join(os.fspath(outdir), f"compare_{name}.png")
        fig.savefig(out, dpi=110)
        plt.close(fig)
        written.append(out)
    return written
