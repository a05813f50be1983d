"""Shared machinery of the output writers: atomic temporary files, run metadata, column docs.

Every writer streams to a temporary file next to the final one
(``.<name>.<random>.part``, created safely by :mod:`zpgen.tempfiles`: unpredictable name,
``O_EXCL``, no symbolic link followed) and renames it to the final name only in
:meth:`AtomicWriter.close`; :meth:`AtomicWriter.abort` (called automatically when an
exception, including ``KeyboardInterrupt`` and a stop signal, leaves a ``with`` block)
removes every temporary.  A half-written file never appears under the final name.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import awkward as ak
import numpy as np

from zpgen import signals, tempfiles

from .compression import Compression, LevelRange, parse_compression

__all__ = [
    "CM2_TO_PB",
    "COLUMN_DOCS",
    "EVENT_FIELDS_REQUIRED",
    "PARTICLE_FIELDS",
    "AtomicWriter",
    "RecordBuilder",
    "WriterError",
    "column_docs",
    "event_columns",
    "generator_description",
    "jsonable",
    "run_metadata",
    "weight_share",
]

#: 1 pb = 1e-36 cm^2, so sigma[pb] = sigma[cm^2] * CM2_TO_PB.
CM2_TO_PB = 1e36
#: c in mm / ns: a time t[ns] is the length t * C_MM_PER_NS in mm/c.
C_MM_PER_NS = 299.792458

#: Version of the zpgen metadata layout (the JSON document written in every file).
METADATA_VERSION = 1

#: Event-level fields every chunk carries.
EVENT_FIELDS_REQUIRED = ("w", "w_xsec", "channel", "E_nu", "t")
#: Fields of the jagged ``particles`` record, in output order.
PARTICLE_FIELDS = ("pdg", "status", "mother", "E", "px", "py", "pz", "x", "y", "z", "t")

#: Unit and meaning of every known column (event level, then ``particles.*``).
COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "w": ("events", "CV weight: expected number of events for the exposure; "
                    "sum over the file = expected events (times weight_share, 1/K, in a "
                    "job of a K-job array: the K job files chain)"),
    "w_xsec": ("cm^2", "cross-section weight; sum over the file = flux-averaged cross section"),
    "channel": ("", "channel index into run_info['channels']"),
    "E_nu": ("GeV", "true neutrino energy"),
    "t": ("GeV^2", "momentum transfer squared to the target (t < 0)"),
    "vtx_x": ("cm", "interaction vertex x in the detector frame"),
    "vtx_y": ("cm", "interaction vertex y in the detector frame"),
    "vtx_z": ("cm", "interaction vertex z in the detector frame"),
    "E_vis": ("GeV", "reconstructed visible energy"),
    "cos_theta": ("", "reconstructed cosine of the shower angle to the beam"),
    "theta_ee_deg": ("deg", "reconstructed e+ e- opening angle"),
    "m_ee": ("GeV", "reconstructed e+ e- invariant mass"),
    "asymmetry": ("", "energy asymmetry |E1 - E2| / (E1 + E2) of the pair"),
    "E_QE": ("GeV", "reconstructed neutrino energy under the CCQE hypothesis"),
    "one_ring": ("", "true if the event reconstructs as a single ring"),
    "w_eff": ("", "detector reconstruction efficiency at the true E_vis (NOT included in w): "
                  "expected selected events = sum(w * w_eff * passes)"),
    "passes": ("", "event passes the detector's selection (miniboone: one_ring)"),
    "true_E_vis": ("GeV", "true visible energy (sum of e+ e- energies)"),
    "true_cos_theta": ("", "true cosine of the e+ e- pair direction to the beam"),
    "true_theta_ee_deg": ("deg", "true e+ e- opening angle"),
    "true_m_ee": ("GeV", "true e+ e- invariant mass"),
    "true_asymmetry": ("", "true energy asymmetry of the pair"),
    "n_particles": ("", "number of particles in the event (ROOT counter branch)"),
    "particles.pdg": ("", "PDG Monte Carlo particle number"),
    "particles.status": ("", "1 final, 2 decayed in the record, 4 incoming beam, 20 target "
                             "(HepMC3/NuHepMC codes)"),
    "particles.mother": ("", "index in the event of the particle whose decay made this one; "
                             "-1 for the beam, the target and the products of the "
                             "scattering (zpgen.event_record)"),
    "particles.E": ("GeV", "energy"),
    "particles.px": ("GeV", "momentum x"),
    "particles.py": ("GeV", "momentum y"),
    "particles.pz": ("GeV", "momentum z (beam axis)"),
    "particles.x": ("cm", "production vertex x"),
    "particles.y": ("cm", "production vertex y"),
    "particles.z": ("cm", "production vertex z"),
    "particles.t": ("ns", "production time"),
}


class WriterError(RuntimeError):
    """A writer was used out of order or given data it cannot write."""


def jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, tuples, paths and mappings to JSON-serialisable types.

    Non-finite floats become ``None`` (JSON has no NaN); floats otherwise keep their full
    repr precision (``json`` writes ``repr(float)``, 17 significant digits when needed).
    """
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, str | int | bool) or obj is None:
        return obj
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return str(obj)


def event_columns(chunk: Any) -> list[str]:
    """Event-level numeric or boolean fields of a chunk, in chunk order (not ``particles``)."""
    out = []
    for name in chunk.fields:
        if name == "particles":
            continue
        arr = chunk[name]
        if arr.ndim != 1:
            continue
        try:
            dtype = ak.to_numpy(arr[:0]).dtype
        except (TypeError, ValueError):
            continue
        if dtype.kind in "biuf":
            out.append(name)
    return out


def generator_description(run_info: Mapping[str, Any]) -> str:
    """One line on the generator and the run's process plugin (the HepMC3 tool description,
    the LHE ``<generator>`` text); the process is the card's ``process.name``."""
    card = run_info.get("card_dict")
    section = card.get("process") if isinstance(card, Mapping) else None
    process = section.get("name") if isinstance(section, Mapping) else None
    text = "Monte Carlo generator of new-physics scattering in neutrino beams"
    return f"{text}, process plugin {process}" if process else text


def column_docs(columns: list[str] | tuple[str, ...] | None = None,
                units: Mapping[str, str] | None = None,
                declared: Mapping[str, Any] | None = None) -> dict[str, dict[str, str]]:
    """``{column: {"unit": ..., "doc": ...}}`` for the given columns (default: all known).

    ``declared`` (the run_info ``"column_docs"``: ``{column: [unit, doc]}``, the columns a
    plugin declares, e.g. the process's truth columns) adds to the built-in
    :data:`COLUMN_DOCS`; ``units`` (the run_info ``"units"`` mapping) overrides the units.
    """
    units = dict(units or {})
    known = {**COLUMN_DOCS, **{k: (str(v[0]), str(v[1])) for k, v in (declared or {}).items()}}
    names = list(columns) if columns is not None else list(known)
    out: dict[str, dict[str, str]] = {}
    for name in names:
        unit, doc = known.get(name, ("", ""))
        out[name] = {"unit": str(units.get(name, unit)), "doc": doc}
    return out


def weight_share(run_info: Mapping[str, Any]) -> float:
    """The share of the exposure a file's weights carry (``run_info["weight_share"]``): 1 / K
    for a job of a K-job array (``zpgen generate --n-jobs K``; the job files chain, their
    sums of ``w`` add up to the expected events), 1 otherwise (and for files without the
    key).  ``ValueError`` unless it lies in (0, 1]."""
    share = float(run_info.get("weight_share", 1.0) or 1.0)
    if not (0.0 < share <= 1.0):
        raise ValueError(f"run_info weight_share must lie in (0, 1], got {share!r}")
    return share


def run_metadata(run_info: Mapping[str, Any], totals: Mapping[str, Any] | None,
                 written: Mapping[str, Any], fmt: str,
                 columns: list[str] | None = None) -> dict[str, Any]:
    """The JSON run document stored in every file (``zpgen_run_info``).

    Parameters
    ----------
    run_info : the mapping given to ``open`` (``card`` and ``card_dict`` are not repeated:
        the card is stored separately as TOML text)
    totals : the mapping given to ``close`` (n_events, sum_w, sum_w_xsec [cm^2],
        sigma_cm2 per channel [cm^2], expected_events)
    written : what the writer itself counted: n_events, sum_w [events], sum_w_xsec [cm^2]
    fmt : writer name
    columns : event-level columns written (documented with their units)
    """
    info = {k: v for k, v in run_info.items() if k not in ("card", "card_dict")}
    doc: dict[str, Any] = {
        "zpgen_metadata_version": METADATA_VERSION,
        "format": fmt,
        **info,
        "totals": dict(totals or {}),
        "written": dict(written),
        "weights": {
            "w": COLUMN_DOCS["w"][1],
            "w_xsec": COLUMN_DOCS["w_xsec"][1] + " [cm^2]",
        },
        "columns": column_docs(
            (columns or []) + [f"particles.{f}" for f in PARTICLE_FIELDS],
            run_info.get("units"), run_info.get("column_docs")),
        # the event columns in chunk order (the "columns" mapping is stored with sorted keys)
        "column_order": list(columns or []),
    }
    return jsonable(doc)


def dumps(doc: Mapping[str, Any]) -> str:
    """Compact, deterministic JSON text of a metadata document."""
    return json.dumps(jsonable(doc), sort_keys=True, separators=(",", ":"))


class AtomicWriter:
    """Base class of the zpgen writers: temporary file, rename on close, abort on error.

    Subclasses implement ``_start(tmp_path)``, ``_write(chunk)``, ``_finish(totals)`` (which
    must leave a complete file at ``self.tmp_path``) and ``_release()`` (close any handle
    quietly; called by ``abort``).  Extra temporaries are registered in ``self._extra_tmp``.

    Usage::

        with RootWriter() as out:
            out.open("events.root", run_info)
            for chunk in chunks:
                out.write(chunk)
            out.close(totals)
    """

    name = "base"
    suffixes: tuple[str, ...] = ()
    #: Other names ``--format`` accepts for this writer.
    aliases: tuple[str, ...] = ()
    #: Largest slice of a chunk given to ``_write`` at once (None: the whole chunk).  The
    #: text writers build every line of a slice in memory (about 24 kB per event with
    #: its intermediates): slicing bounds that, with the same bytes written.
    max_write_events: int | None = None
    #: Codecs this writer can write (codec -> allowed levels, None: no levels) and the
    #: default (:mod:`zpgen.writers.compression`); plain-text formats write ``none``.
    compressions: ClassVar[Mapping[str, LevelRange]] = {"none": None}
    default_compression = "none"

    @classmethod
    def check_compression(cls, text: str | None, option: str = "--compression"
                          ) -> Compression:
        """The :class:`Compression` ``text`` names (the default when None), checked
        against :attr:`compressions`; ``ValueError`` naming ``option`` otherwise."""
        return parse_compression(cls.default_compression if text is None else text,
                                 cls.compressions, cls.name, option)

    # -- reading back (zpgen info, merge, compare) ---------------------------------------
    @classmethod
    def read_metadata(cls, path: str) -> tuple[str, dict[str, Any]]:
        """``(card text, run document)`` stored in a file of this format.

        A writer of a third-party format implements it so that ``zpgen info`` works;
        any exception is turned into a one-line error naming the file.
        """
        raise WriterError(f"{path}: the {cls.name} writer cannot read its metadata back")

    @classmethod
    def iter_chunks(cls, path: str, step_size: int) -> Iterator[Any]:
        """Event chunks (the generator's chunk format) of a file of this format (every
        built-in writer implements it; ``zpgen.load``, ``reweight``, ``merge`` use it)."""
        raise WriterError(f"{path}: the {cls.name} writer cannot read its events back")

    def __init__(self, compression: str | None = None) -> None:
        try:
            self.compression = self.check_compression(compression)
        except ValueError as exc:
            raise WriterError(str(exc)) from None
        self.path: Path | None = None
        self.tmp_path: Path | None = None
        self.run_info: dict[str, Any] = {}
        self.n_written = 0
        self.sum_w = 0.0
        self.sum_w_xsec = 0.0
        self.columns: list[str] | None = None
        self._state = "new"
        self._extra_tmp: list[Path] = []

    # -- protocol ----------------------------------------------------------------------
    def open(self, path: str | os.PathLike[str], run_info: Mapping[str, Any]) -> None:
        """Start writing ``path`` (through a temporary) with the run's metadata."""
        if self._state != "new":
            raise WriterError(f"{self.name} writer: open() called twice")
        # absolute, but a symbolic link as the final name is replaced, never followed
        self.path = Path(os.path.abspath(path))
        if not self.path.parent.is_dir():
            raise WriterError(f"{self.name} writer: directory {self.path.parent} does not exist")
        with signals.deferred():
            self.tmp_path = self.temp_name(".part")
            self._extra_tmp.remove(self.tmp_path)  # close() renames it, abort() removes it
        self.run_info = dict(run_info)
        self._state = "open"
        try:
            self._start(self.tmp_path)
        except BaseException:
            self.abort()
            raise

    def write(self, chunk: Any) -> None:
        """Append one chunk of events (an awkward Array, one record per event)."""
        if self._state != "open":
            raise WriterError(f"{self.name} writer: write() before open() or after close()")
        missing = [f for f in EVENT_FIELDS_REQUIRED if f not in chunk.fields]
        if missing:
            raise WriterError(f"{self.name} writer: chunk lacks field(s) {', '.join(missing)}")
        cols = event_columns(chunk)
        if self.columns is None:
            self.columns = cols
        elif cols != self.columns:
            raise WriterError(f"{self.name} writer: chunk columns {cols} differ from the "
                              f"first chunk's {self.columns}")
        if len(chunk) == 0:
            return
        step = self.max_write_events
        if step is None or len(chunk) <= step:
            self._write(chunk)
        else:
            for lo in range(0, len(chunk), step):
                self._write(chunk[lo:lo + step])
        w = ak.to_numpy(chunk["w"]).astype(np.float64)
        self.n_written += len(chunk)
        self.sum_w += float(np.sum(w))
        self.sum_w_xsec += float(np.sum(ak.to_numpy(chunk["w_xsec"]).astype(np.float64)))

    def close(self, totals: Mapping[str, Any] | None = None) -> None:
        """Finish the file and rename it to its final name (atomic on POSIX)."""
        if self._state != "open":
            raise WriterError(f"{self.name} writer: close() before open() or twice")
        try:
            self._finish(dict(totals or {}))
            assert self.tmp_path is not None and self.path is not None
            tempfiles.publish(self.tmp_path, self.path)
        except BaseException:
            self.abort()
            raise
        self._remove_extra()
        self._state = "closed"

    def abort(self) -> None:
        """Discard the output: close handles and remove every temporary."""
        if self._state in ("closed", "aborted"):
            return
        with signals.deferred():
            with contextlib.suppress(Exception):
                self._release()
            tempfiles.remove_quietly(self.tmp_path)
            self._remove_extra()
            self._state = "aborted"

    def __enter__(self) -> AtomicWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            self.abort()
        elif self._state == "open":
            self.abort()
            raise WriterError(f"{self.name} writer: with-block left without close(); "
                              "the output was discarded")

    # -- helpers -----------------------------------------------------------------------
    def temp_name(self, tag: str) -> Path:
        """Create a temporary for the output (``tag``: ``.part`` or ``.part-body``).

        The file is created (:func:`zpgen.tempfiles.create_temporary`) and recorded in
        ``_extra_tmp`` before this returns, so :meth:`abort` always removes it.
        """
        assert self.path is not None
        if not tag.startswith(tempfiles.TEMP_SUFFIX):
            raise WriterError(f"{self.name} writer: temporary tag {tag!r} must start with "
                              f"{tempfiles.TEMP_SUFFIX!r}")
        with signals.deferred():
            path = tempfiles.create_temporary(self.path, tag[len(tempfiles.TEMP_SUFFIX):])
            self._extra_tmp.append(path)
        return path

    def written(self) -> dict[str, Any]:
        return {"n_events": self.n_written, "sum_w": self.sum_w,
                "sum_w_xsec": self.sum_w_xsec}

    def metadata(self, totals: Mapping[str, Any]) -> dict[str, Any]:
        meta = run_metadata(self.run_info, totals, self.written(), self.name, self.columns)
        meta["compression"] = str(self.compression)
        return meta

    def card_text(self) -> str:
        return str(self.run_info.get("card", ""))

    def _remove_extra(self) -> None:
        for p in self._extra_tmp:
            tempfiles.remove_quietly(p)

    # -- to implement --------------------------------------------------------------------
    def _start(self, tmp_path: Path) -> None:
        raise NotImplementedError

    def _write(self, chunk: Any) -> None:
        raise NotImplementedError

    def _finish(self, totals: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError


def flat_particles(chunk: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Offsets (n_events + 1,) and flat numpy arrays of every particle field of a chunk."""
    parts = chunk["particles"]
    counts = ak.to_numpy(ak.num(parts, axis=1)).astype(np.int64)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    flat = {f: ak.to_numpy(ak.flatten(parts[f], axis=1)) for f in PARTICLE_FIELDS}
    return offsets, flat



#: Event columns the text formats (NuHepMC attributes, the LHE ``#zpgen`` line) hold as
#: numbers but the generator makes integer or boolean; reading restores the types.
INT_COLUMNS = ("channel",)
BOOL_COLUMNS = ("passes", "one_ring")


class RecordBuilder:
    """Collects events read from a text format and turns them into a chunk of the
    generator's format (event columns + jagged ``particles``), for ``iter_chunks``."""

    def __init__(self) -> None:
        self.columns: dict[str, list[float]] = {}
        self.counts: list[int] = []
        self.particles: dict[str, list[Any]] = {f: [] for f in PARTICLE_FIELDS}
        self.n = 0

    def add(self, columns: Mapping[str, float], particles: Mapping[str, Sequence[Any]]
            ) -> None:
        """One event: its event columns and its particles (every field of
        :data:`PARTICLE_FIELDS`, one entry per particle in record order)."""
        if self.n and set(columns) != set(self.columns):
            raise WriterError("events with different event columns in one file")
        for name, value in columns.items():
            self.columns.setdefault(name, []).append(float(value))
        n = len(particles["pdg"])
        for f in PARTICLE_FIELDS:
            if len(particles[f]) != n:
                raise WriterError(f"particle field {f} has {len(particles[f])} entries for "
                                  f"{n} particles")
            self.particles[f].extend(particles[f])
        self.counts.append(n)
        self.n += 1

    def chunk(self) -> Any:
        """The collected events as one awkward chunk (and an empty builder)."""
        fields: dict[str, Any] = {}
        for name, values in self.columns.items():
            arr = np.asarray(values, dtype=np.float64)
            if name in INT_COLUMNS:
                arr = arr.astype(np.int32)
            elif name in BOOL_COLUMNS:
                arr = arr != 0.0
            fields[name] = arr
        counts = np.asarray(self.counts, dtype=np.int64)
        parts = {f: np.asarray(v, dtype=np.int32 if f in ("pdg", "status", "mother")
                               else np.float64) for f, v in self.particles.items()}
        fields["particles"] = ak.zip({f: ak.unflatten(parts[f], counts)
                                      for f in PARTICLE_FIELDS})
        out = ak.zip(fields, depth_limit=1)
        self.__init__()  # type: ignore[misc]
        return out
