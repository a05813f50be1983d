"""Compare two event samples (zpgen and MadGraph, or two zpgen runs) observable by
observable: the library behind ``zpgen compare-lhe``.

Inputs
------
* LHE files (MadGraph's or zpgen's), read with pylhe.  The ``<init>`` block is required:
  the total cross section is the sum of its XSECUP values (pb).
* zpgen ROOT or Parquet files (zpgen.writers.read), cross section from the run metadata.

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
unit(p+ + p-) to the beam axis +z; ``asymmetry`` = |E+ - E-|/E_vis.  The e+ e- pair is
the one from the Z' emitted by nu5 (or, with no Z' in the record, the pair whose mother is
nu5; failing both, the first e+ and e- of the event), so a second pair from the nu4 decay
is ignored.

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

Tests
-----
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
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "OBSERVABLES",
    "CompareError",
    "ParticleIds",
    "Sample",
    "compare",
    "input_format",
    "parse_observables",
    "particle_ids",
    "read_sample",
    "weighted_chi2",
    "weighted_ks",
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
}

_NEUTRINOS = (12, 14, 16)


class CompareError(ValueError):
    """Bad input to compare-lhe (file, option); the message says what and where."""


@dataclass(frozen=True)
class ParticleIds:
    """PDG numbers of the new states the observables need (from a zpgen run document)."""

    nu5: int
    zprime: int


def _run_info(path: str) -> dict[str, Any] | None:
    from zpgen.writers.read import read_metadata

    try:
        info = read_metadata(path)["run_info"]
    except Exception:  # not a zpgen file: a MadGraph LHE, say
        return None
    return info if isinstance(info, dict) else None


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


def _mdot(a: FloatArray, b: FloatArray) -> float:
    return float(a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3])


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
        out["t"] = _mdot(q, q)
    else:
        beam = [i for i in inc if abs(int(pdg[i])) in _NEUTRINOS]
        if beam and len(nu5):
            q = p[beam[0]] - p[nu5[0]]
            out["t"] = _mdot(q, q)
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
    return out


# ---------------------------------------------------------------------------------------
# Readers


_INIT = re.compile(r"<init\b[^>]*>(.*?)</init>", re.S)


def _lhe_head(path: str) -> str:
    """Text of an LHE file up to its first event."""
    chunks = []
    with open(path, encoding="utf-8", errors="replace") as fh:
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
    m = _INIT.search(head)
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


def _read_lhe(path: str, channel: str | None, ids: ParticleIds) -> Sample:
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
    gen = "zpgen" if info is not None else "LHE"
    return Sample(path, np.asarray(weights, dtype=np.float64),
                  {k: np.asarray(v, dtype=np.float64) for k, v in obs.items()},
                  sigma, err, gen, notes)


def _read_zpgen_columnar(path: str, channel: str | None, ids: ParticleIds) -> Sample:
    import awkward as ak

    from zpgen.event_record import INCOMING_STATUSES
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
    weights: list[float] = []
    obs: dict[str, list[float]] = {k: [] for k in OBSERVABLES}
    for chunk in iter_chunks(path):
        if keep is not None:
            chunk = chunk[ak.to_numpy(chunk["channel"]) == keep]
        w = ak.to_numpy(chunk["w"]).astype(np.float64)
        parts = chunk["particles"]
        for i in range(len(chunk)):
            ev = parts[i]
            pdg = ak.to_numpy(ev["pdg"]).astype(np.int64)
            status = ak.to_numpy(ev["status"]).astype(np.int64)
            mother = ak.to_numpy(ev["mother"]).astype(np.int64)
            p4 = np.stack([ak.to_numpy(ev[c]).astype(np.float64)
                           for c in ("E", "px", "py", "pz")], axis=1)
            values = event_observables(pdg, np.isin(status, INCOMING_STATUSES),
                                       status == 1, mother, p4, ids)
            weights.append(float(w[i]))
            for k, v in values.items():
                obs[k].append(v)
    return Sample(path, np.asarray(weights, dtype=np.float64),
                  {k: np.asarray(v, dtype=np.float64) for k, v in obs.items()},
                  float(sum(sig.values())) * CM2_TO_PB,
                  math.sqrt(sum(float(e) ** 2 for e in err.values())) * CM2_TO_PB, "zpgen")


def input_format(path: str | os.PathLike[str]) -> str:
    """``"lhe"`` or ``"columnar"`` (zpgen ROOT/Parquet) for an existing input file, else a
    :class:`CompareError` saying what is wrong with it."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CompareError(f"{path}: no such file")
    lower = path.lower()
    if lower.endswith((".root", ".parquet")):
        return "columnar"
    if lower.endswith((".lhe", ".lhef", ".xml")):
        return "lhe"
    if lower.endswith(".gz"):
        raise CompareError(f"{path}: gzipped LHE; decompress it first (gunzip -k {path})")
    raise CompareError(f"{path}: unknown format (expected .lhe, or a zpgen .root/.parquet)")


def read_sample(path: str | os.PathLike[str], channel: str | None = None,
                ids: ParticleIds | None = None) -> Sample:
    """Read a file (LHE; zpgen ROOT or Parquet) into a :class:`Sample`.

    ``ids``: PDG numbers of nu5 and the Z' (default: those the file itself declares; pass
    :func:`particle_ids` of both files to read a MadGraph LHE).
    """
    fmt = input_format(path)
    path = os.fspath(path)
    ids = ids if ids is not None else particle_ids(path)
    if fmt == "columnar":
        return _read_zpgen_columnar(path, channel, ids)
    return _read_lhe(path, channel, ids)


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


def compare(a: Sample, b: Sample, observables: Sequence[str], *, nbins: int = 20,
            threshold: float = 1e-3, xsec_tolerance: float = 0.05) -> dict[str, Any]:
    """Shape tests per observable and the cross-section ratio; ``result["pass"]``."""
    if a.n_events == 0 or b.n_events == 0:
        empty = a.path if a.n_events == 0 else b.path
        raise CompareError(f"{empty}: no events (after the --channel selection)")
    result: dict[str, Any] = {
        "files": [a.path, b.path],
        "generators": [a.generator, b.generator],
        "n_events": [a.n_events, b.n_events],
        "n_eff": [a.n_eff, b.n_eff],
        "xsec_pb": [a.sigma_pb, b.sigma_pb],
        "xsec_err_pb": [a.sigma_err_pb, b.sigma_err_pb],
        "xsec_ratio": a.sigma_pb / b.sigma_pb if b.sigma_pb > 0 else math.nan,
        "xsec_tolerance": xsec_tolerance,
        "threshold": threshold,
        "nbins": nbins,
        "notes": [*a.notes, *b.notes],
        "observables": {},
    }
    failures: list[str] = []
    ratio = result["xsec_ratio"]
    if not math.isfinite(xsec_tolerance):
        result["xsec_pass"] = True
    else:
        result["xsec_pass"] = bool(math.isfinite(ratio) and abs(ratio - 1.0) <= xsec_tolerance)
        if not result["xsec_pass"]:
            failures.append(f"cross-section ratio {ratio:.4g} differs from 1 by more than "
                            f"{xsec_tolerance:g}")
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
        entry = {"unit": OBSERVABLES[name][0], "chi2": chi2, "ndf": ndf, "p_chi2": p_chi2,
                 "ks_D": d, "p_ks": p_ks, "ks_method": method,
                 "mean": [float(np.sum(wa * xa[ma])), float(np.sum(wb * xb[mb]))],
                 "used_events": [int(ma.sum()), int(mb.sum())], "edges": edges.tolist()}
        entry["pass"] = bool(p_chi2 >= threshold and p_ks >= threshold)
        if not entry["pass"]:
            failures.append(f"{name}: p(chi2) = {p_chi2:.3g}, p(KS) = {p_ks:.3g} "
                            f"below {threshold:g}")
        result["observables"][name] = entry
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
