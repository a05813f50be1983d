"""Event record: one convention for every event of every process, and the chunk buffers.

A block of events from a process kernel becomes an awkward Array chunk: one record per
event with the event-level fields ``w``, ``w_xsec`` (float64), ``channel`` (int32, index
into the run's channel names), the process's truth fields (e.g. ``E_nu`` in GeV, ``t`` in
GeV^2) and a jagged ``particles`` record with ``pdg``, ``status``, ``mother`` (int32),
``E``, ``px``, ``py``, ``pz`` (GeV) and ``x``, ``y``, ``z`` (cm), ``t`` (ns) of the
particle's production vertex relative to the interaction point (the detector's ``place``
then shifts them to the detector frame).

The event-record convention
---------------------------
Every writer derives its structure (HepMC vertices, LHE mother lines, ...) from these
rules and nothing else; :func:`production_vertices` applies them.

* **Status** (the HepMC3 / NuHepMC 1.0 codes, P.R.1, written unchanged by every format):
  :data:`STATUS_BEAM` (4) the incoming beam neutrino, :data:`STATUS_TARGET` (20) the
  target the beam scatters on (the nucleus for coherent scattering, the nucleon for
  scattering on a nucleon), :data:`STATUS_DECAYED` (2) a particle that decays in the
  record, :data:`STATUS_FINAL` (1) a particle leaving the event.
* **Order**: the beam and the target come first (slots 0 and 1); a particle comes after
  its mother.
* **Vertices**: the *primary vertex* has the beam and the target in and, out, every
  particle that is not incoming and has ``mother = -1`` (the products of the scattering).
  Every decayed particle ``m`` has one *decay vertex* with ``m`` in and every particle of
  ``mother == m`` out.
* **mother**: the index (within the event) of the decayed particle whose decay vertex
  produced this one; :data:`NO_MOTHER` (-1) for the incoming particles and for the
  products of the primary vertex, whose parents are the beam *and* the target (LHE
  ``MOTHUP = (1, 2)``, HepMC production vertex = the primary vertex).
* **Vertex numbering** (:func:`production_vertices`): 0 is the primary vertex, decay
  vertices are numbered 1, 2, ... in the order in which their first product appears in
  the event, so a writer that lists particles in order meets the vertices in order.
* **Positions**: each particle carries the position and time of its production vertex;
  the incoming particles carry that of the primary vertex (the interaction point).

The arrays are assembled from flat numpy buffers without copies (ListOffsetArray over a
RecordArray of NumpyArrays).

Particles per event
-------------------
The buffers hold a fixed number ``k`` of particle slots per event (the process's largest
event), but an event may have fewer particles (``counts``; e.g. a nu5 -> nu_light Z' event
has no nu4 decay chain).  Only the first ``counts[i]`` slots of event ``i`` are particles:
when some event is shorter, the jagged ``particles`` list is a ListArray with
``starts = i k`` and ``stops = i k + counts[i]`` over the same flat columns (still no copy),
so unused slots never appear in the output.

Chunk buffers
-------------
:class:`ChunkBuffer` preallocates the flat columns of one output chunk (``capacity``
events of ``n_particles`` particles): event columns, particle columns in
structure-of-arrays form (``momenta[0:4]`` = E, px, py, pz and ``vertices[0:4]`` = x, y, z,
t, each ``capacity * n_particles`` long) and integer ``pdg``, ``status``, ``mother``.
Kernels write events straight into their rows (several threads may fill disjoint rows),
:meth:`ChunkBuffer.to_awkward` wraps the filled rows without a copy.  Memory per event of
a chunk: ``n_particles * (8 * 8 + 3 * 4)`` bytes of particles plus 8 bytes per event
column (about 1 kB for 12 particles).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import awkward as ak
import numpy as np
import numpy.typing as npt

__all__ = [
    "INCOMING_STATUSES",
    "NO_MOTHER",
    "PARTICLE_FIELDS",
    "STATUS_BEAM",
    "STATUS_DECAYED",
    "STATUS_FINAL",
    "STATUS_TARGET",
    "ChunkBuffer",
    "EventBlock",
    "FlatEvents",
    "production_vertices",
    "to_awkward",
]

#: Fields of the jagged ``particles`` record, in order.
PARTICLE_FIELDS = ("pdg", "status", "mother", "E", "px", "py", "pz", "x", "y", "z", "t")

#: Status codes of the record (module docstring; HepMC3 / NuHepMC 1.0 P.R.1).
STATUS_FINAL = 1
STATUS_DECAYED = 2
STATUS_BEAM = 4
STATUS_TARGET = 20
#: Statuses of the particles entering the primary vertex.
INCOMING_STATUSES = (STATUS_BEAM, STATUS_TARGET)
#: ``mother`` of the incoming particles and of the products of the primary vertex.
NO_MOTHER = -1

#: Meaning of each status code, for the metadata of every format.
STATUS_DOCS: dict[int, tuple[str, str]] = {
    STATUS_FINAL: ("UndecayedPhysical", "final-state particle leaving the event"),
    STATUS_DECAYED: ("DecayedPhysical", "particle decayed in the record (its decay "
                                        "products have it as mother)"),
    STATUS_BEAM: ("IncomingBeam", "incoming beam neutrino"),
    STATUS_TARGET: ("Target", "target of the scattering: the nucleus (coherent) or the "
                              "nucleon"),
}


def production_vertices(offsets: npt.NDArray[np.int64], status: npt.NDArray[np.integer],
                        mother: npt.NDArray[np.integer]
                        ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Production vertex of every particle of a chunk, by the record's convention.

    Parameters
    ----------
    offsets : (n_events + 1,) int
        Start of each event in the flat particle arrays.
    status, mother : (n_particles,) int
        Flat ``particles.status`` and ``particles.mother`` (mother indices are per event).

    Returns
    -------
    vertex : (n_particles,) int64
        -1 for an incoming particle (it enters the primary vertex), 0 for a product of
        the primary vertex, ``k >= 1`` for a product of the k-th decay vertex of its event
        (decay vertices numbered in the order in which their first product appears).
    n_vertices : (n_events,) int64
        Vertices of each event: 1 + the number of decayed parents.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    status = np.asarray(status)
    mother = np.asarray(mother, dtype=np.int64)
    n_events = offsets.size - 1
    counts = np.diff(offsets)
    event = np.repeat(np.arange(n_events, dtype=np.int64), counts)
    child = np.flatnonzero(mother >= 0)
    parent = offsets[event[child]] + mother[child]  # flat index of each child's parent
    parents, first = np.unique(parent, return_index=True)
    first_child = child[first]
    opens_vertex = np.zeros(status.size, dtype=bool)  # first product of a decay vertex
    opens_vertex[first_child] = True
    opened = np.cumsum(opens_vertex)
    opened_before = np.concatenate(([0], opened))  # decay vertices before each flat index
    first_of_event = opened_before[offsets[:-1]]
    number = np.zeros(status.size, dtype=np.int64)  # decay-vertex number, by its parent
    number[parents] = (opened - np.repeat(first_of_event, counts))[first_child]
    vertex = np.zeros(status.size, dtype=np.int64)
    vertex[child] = number[parent]
    vertex[np.isin(status, INCOMING_STATUSES)] = -1
    n_vertices = 1 + opened_before[offsets[1:]] - first_of_event
    return vertex, n_vertices.astype(np.int64)


@dataclass
class EventBlock:
    """A block of events with up to ``k`` particles each, as produced by a kernel.

    Attributes
    ----------
    f : (n,) float64
        Integrand value at the point (weight before the sampler's jacobian).
    fields : dict of (n,) arrays
        Event-level truth fields of the process.
    pdg : (n, k) int32 (may be a broadcast view)
    status : (k,) or (n, k) int32 (per event if it differs between events)
    mother : (k,) int32
    momenta : (n, k, 4) float64, (E, px, py, pz) in GeV
    vertices : (n, k, 4) float64, (x, y, z) in cm and t in ns
    counts : (n,) int64, optional
        Particles of each event (the first ``counts[i]`` slots; default: all ``k``).
    """

    f: npt.NDArray[np.float64]
    fields: Mapping[str, npt.NDArray[np.float64]]
    pdg: npt.NDArray[np.int32]
    status: npt.NDArray[np.int32]
    mother: npt.NDArray[np.int32]
    momenta: npt.NDArray[np.float64]
    vertices: npt.NDArray[np.float64]
    counts: npt.NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return int(self.f.shape[0])

    def status_rows(self) -> npt.NDArray[np.int32]:
        """``status`` as an (n, k) array (a broadcast view of a per-event template)."""
        st = np.asarray(self.status, dtype=np.int32)
        return st if st.ndim == 2 else np.broadcast_to(st, (len(self), st.shape[0]))


def _particle_list(record: ak.contents.Content, n: int, k: int,
                   counts: npt.NDArray[np.int64] | None) -> ak.contents.Content:
    """Jagged list over the flat particle ``record`` (``k`` slots per event, module docstring):
    a ListOffsetArray when every event fills its ``k`` slots, else a ListArray."""
    if counts is None or bool(np.all(counts == k)):
        offsets = ak.index.Index64(np.arange(0, n * k + 1, k, dtype=np.int64))
        return ak.contents.ListOffsetArray(offsets, record)
    starts = np.arange(0, n * k, k, dtype=np.int64)
    stops = starts + np.asarray(counts, dtype=np.int64)
    return ak.contents.ListArray(ak.index.Index64(starts), ak.index.Index64(stops), record)


def to_awkward(block: EventBlock, event_fields: Mapping[str, npt.NDArray[np.generic]]
               ) -> ak.Array:
    """The awkward chunk of ``block`` with leading event-level ``event_fields``.

    ``event_fields`` (e.g. ``w``, ``w_xsec``, ``channel``) come first, then the block's
    truth fields, then ``particles``.
    """
    n = len(block)
    k = block.momenta.shape[1]
    flat_n = n * k
    mom = block.momenta.reshape(flat_n, 4)
    vtx = block.vertices.reshape(flat_n, 4)
    columns = {
        "pdg": np.ascontiguousarray(block.pdg, dtype=np.int32).reshape(flat_n),
        "status": np.ascontiguousarray(block.status_rows()).reshape(flat_n),
        "mother": np.tile(block.mother.astype(np.int32), n),
        "E": mom[:, 0], "px": mom[:, 1], "py": mom[:, 2], "pz": mom[:, 3],
        "x": vtx[:, 0], "y": vtx[:, 1], "z": vtx[:, 2], "t": vtx[:, 3],
    }
    record = ak.contents.RecordArray(
        [ak.contents.NumpyArray(np.ascontiguousarray(columns[name]))
         for name in PARTICLE_FIELDS],
        list(PARTICLE_FIELDS), length=flat_n)
    particles = _particle_list(record, n, k, block.counts)
    contents = []
    names = []
    for name, values in (*event_fields.items(), *block.fields.items()):
        names.append(name)
        contents.append(ak.contents.NumpyArray(np.ascontiguousarray(values)))
    names.append("particles")
    contents.append(particles)
    return ak.Array(ak.contents.RecordArray(contents, names, length=n))


@dataclass
class FlatEvents:
    """A chunk as flat numpy columns, the form detectors and writers work on without awkward.

    Event ``i``'s particles are the flat rows ``starts[i]:stops[i]`` of every particle
    column (a :class:`ChunkBuffer` view has ``starts = i k``; a packed array has
    ``starts = offsets[:-1]``).  ``event`` holds the event-level columns (length ``n``);
    a detector adds its columns there and may change the particle positions in place.

    Attributes
    ----------
    n : number of events
    starts, stops : (n,) int64
    particles : dict of flat particle columns (:data:`PARTICLE_FIELDS`)
    event : dict of (n,) event columns, in output order
    """

    n: int
    starts: npt.NDArray[np.int64]
    stops: npt.NDArray[np.int64]
    particles: dict[str, npt.NDArray[Any]]
    event: dict[str, npt.NDArray[Any]]

    @property
    def fields(self) -> list[str]:
        """Event-level column names (as an awkward chunk's fields, without ``particles``)."""
        return list(self.event)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        return self.event[name]

    @classmethod
    def from_awkward(cls, events: ak.Array) -> FlatEvents:
        """Copies of the columns of an awkward chunk (event fields + jagged ``particles``)."""
        particles = events["particles"]
        counts = np.asarray(ak.to_numpy(ak.num(particles, axis=1)), dtype=np.int64)
        offsets = np.zeros(counts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        flat = ak.flatten(particles, axis=1)
        cols = {f: np.array(ak.to_numpy(flat[f])) for f in flat.fields}
        event = {f: np.array(ak.to_numpy(events[f])) for f in events.fields
                 if f != "particles"}
        return cls(len(events), offsets[:-1].copy(), offsets[1:].copy(), cols, event)

    def to_awkward(self) -> ak.Array:
        """The chunk as an awkward Array (event fields, then ``particles``)."""
        names = [f for f in PARTICLE_FIELDS if f in self.particles]
        names += [f for f in self.particles if f not in names]
        size = int(self.stops.max(initial=0))
        record = ak.contents.RecordArray(
            [ak.contents.NumpyArray(np.ascontiguousarray(self.particles[f][:size]))
             for f in names], names, length=size)
        particles = ak.contents.ListArray(ak.index.Index64(self.starts),
                                          ak.index.Index64(self.stops), record)
        contents = [ak.contents.NumpyArray(np.ascontiguousarray(v)) for v in self.event.values()]
        return ak.Array(ak.contents.RecordArray([*contents, particles],
                                                [*self.event, "particles"], length=self.n))

    def take(self, rows: npt.NDArray[np.int64]) -> FlatEvents:
        """Events ``rows`` as a new, packed :class:`FlatEvents` (copies)."""
        rows = np.asarray(rows, dtype=np.int64)
        counts = self.stops[rows] - self.starts[rows]
        offsets = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        index = (np.repeat(self.starts[rows] - offsets[:-1], counts)
                 + np.arange(int(offsets[-1]), dtype=np.int64))
        return FlatEvents(int(rows.size), offsets[:-1].copy(), offsets[1:].copy(),
                          {f: v[index] for f, v in self.particles.items()},
                          {f: v[rows] for f, v in self.event.items()})


class ChunkBuffer:
    """Preallocated flat columns of one chunk of events (module docstring).

    Parameters
    ----------
    capacity
        Events the chunk can hold.
    n_particles
        Particle slots per event (an event may use fewer: ``counts``).
    truth_fields
        Names of the process's float64 event-level truth fields (e.g. ``E_nu``, ``t``).
    vertex_fields
        Add zero-filled ``vtx_x``, ``vtx_y``, ``vtx_z`` columns (runs without a detector).

    Attributes
    ----------
    event : dict of (capacity,) arrays
        ``w``, ``w_xsec`` (float64), ``channel`` (int32), the truth fields and, if asked,
        the vertex columns; extra columns (e.g. the detector's) are added by
        :meth:`column` on first use.
    momenta, vertices : (4, capacity * n_particles) float64
    pdg, status, mother : (capacity * n_particles,) int32
    counts : (capacity,) int64
        Particles of each event (initially ``n_particles``; kernels may write fewer).
    """

    def __init__(self, capacity: int, n_particles: int, truth_fields: Sequence[str],
                 vertex_fields: bool = False) -> None:
        self.capacity = int(capacity)
        self.n_particles = int(n_particles)
        flat = self.capacity * self.n_particles
        self.event: dict[str, npt.NDArray[Any]] = {
            "w": np.empty(self.capacity), "w_xsec": np.empty(self.capacity),
            "channel": np.empty(self.capacity, dtype=np.int32)}
        for name in truth_fields:
            self.event[name] = np.empty(self.capacity)
        self.particle_event_fields = len(self.event)
        self.momenta = np.empty((4, flat))
        self.vertices = np.empty((4, flat))
        self.pdg = np.empty(flat, dtype=np.int32)
        self.status = np.empty(flat, dtype=np.int32)
        self.mother = np.empty(flat, dtype=np.int32)
        self.counts = np.full(self.capacity, self.n_particles, dtype=np.int64)
        self.extra: dict[str, npt.NDArray[Any]] = {}
        if vertex_fields:
            for axis in ("x", "y", "z"):
                self.extra[f"vtx_{axis}"] = np.zeros(self.capacity)
        self._lock = threading.Lock()

    def column(self, name: str, dtype: Any) -> npt.NDArray[Any]:
        """The event column ``name`` after ``particles``, created (thread-safely) if new."""
        if name in self.event:
            return self.event[name]
        col = self.extra.get(name)
        if col is None:
            with self._lock:
                col = self.extra.get(name)
                if col is None:
                    col = np.zeros(self.capacity, dtype=dtype)
                    self.extra[name] = col
        return col

    def particle_columns(self) -> dict[str, npt.NDArray[Any]]:
        """The flat particle columns by name (views of the buffers)."""
        return {"pdg": self.pdg, "status": self.status, "mother": self.mother,
                "E": self.momenta[0], "px": self.momenta[1], "py": self.momenta[2],
                "pz": self.momenta[3], "x": self.vertices[0], "y": self.vertices[1],
                "z": self.vertices[2], "t": self.vertices[3]}

    def copy_block(self, block: EventBlock, start: int, rows: slice) -> None:
        """Copy ``block[rows]`` (an :class:`EventBlock`) into this chunk from ``start``."""
        lo, hi, _ = rows.indices(len(block))
        n = hi - lo
        k = self.n_particles
        if block.momenta.shape[1] != k:
            raise ValueError(f"block has {block.momenta.shape[1]} particles per event, "
                             f"the chunk {k}")
        dst = slice(start, start + n)
        pdst = slice(start * k, (start + n) * k)
        self.event["w"][dst] = block.f[lo:hi]
        for name, values in block.fields.items():
            self.event[name][dst] = values[lo:hi]
        mom = block.momenta[lo:hi].reshape(n * k, 4)
        vtx = block.vertices[lo:hi].reshape(n * k, 4)
        for j in range(4):
            self.momenta[j, pdst] = mom[:, j]
            self.vertices[j, pdst] = vtx[:, j]
        self.pdg[pdst] = np.asarray(block.pdg[lo:hi]).reshape(n * k)
        self.status[pdst] = block.status_rows()[lo:hi].reshape(n * k)
        self.mother[pdst] = np.tile(block.mother.astype(np.int32), n)
        self.counts[dst] = k if block.counts is None else block.counts[lo:hi]

    def flat_view(self, n: int | None = None) -> FlatEvents:
        """The first ``n`` events (default: all) as :class:`FlatEvents` views of this
        buffer: a detector writes its columns and particle positions straight into it."""
        n = self.capacity if n is None else int(n)
        starts = np.arange(n, dtype=np.int64) * self.n_particles
        event = {name: col[:n] for name, col in self.event.items()}
        event.update({name: col[:n] for name, col in self.extra.items()})
        return FlatEvents(n, starts, starts + self.counts[:n], self.particle_columns(), event)

    def copy_flat(self, events: FlatEvents, start: int, rows: slice) -> None:
        """Copy events ``rows`` of ``events`` into this chunk from row ``start``.

        Event columns not yet in the buffer are created.  ``events`` must have at most
        ``n_particles`` particles per event; they go to the first slots of each row.
        """
        lo, hi, _ = rows.indices(events.n)
        n = hi - lo
        k = self.n_particles
        dst = slice(start, start + n)
        for name, values in events.event.items():
            self.column(name, values.dtype)[dst] = values[lo:hi]
        counts = events.stops[lo:hi] - events.starts[lo:hi]
        if counts.size and int(counts.max()) > k:
            raise ValueError(f"events have up to {int(counts.max())} particles, the chunk "
                             f"holds {k} per event")
        self.counts[dst] = counts
        columns = self.particle_columns()
        if (all(len(v) >= hi * k for v in events.particles.values())
                and np.array_equal(events.starts[lo:hi], np.arange(lo, hi, dtype=np.int64) * k)):
            # rows of k slots, as here (a block buffer's flat_view): copy whole rows, the
            # slots past an event's count included (they are never read)
            for name in PARTICLE_FIELDS:
                columns[name][start * k:(start + n) * k] = events.particles[name][lo * k:hi * k]
            return
        src = (np.repeat(events.starts[lo:hi], counts)
               + np.arange(int(counts.sum()), dtype=np.int64)
               - np.repeat(np.cumsum(counts) - counts, counts))
        dst_index = (np.repeat((start + np.arange(n, dtype=np.int64)) * k, counts)
                     + np.arange(int(counts.sum()), dtype=np.int64)
                     - np.repeat(np.cumsum(counts) - counts, counts))
        for name in PARTICLE_FIELDS:
            columns[name][dst_index] = events.particles[name][src]

    def copy_events(self, events: ak.Array, start: int, rows: slice) -> None:
        """Copy ``events[rows]`` (an awkward chunk of this layout) into this chunk.

        Event columns not yet in the buffer are created; every particle field is copied
        back (the detector may have moved the production vertices).  Events may have up to
        ``n_particles`` particles each (module docstring).
        """
        lo, hi, _ = rows.indices(len(events))
        n = hi - lo
        k = self.n_particles
        dst = slice(start, start + n)
        for name in events.fields:
            if name == "particles":
                continue
            values = np.asarray(ak.to_numpy(events[name]))
            self.column(name, values.dtype)[dst] = values[lo:hi]
        particles = events["particles"]
        counts = np.asarray(ak.to_numpy(ak.num(particles, axis=1)), dtype=np.int64)
        if counts.size and int(counts.max()) > k:
            raise ValueError(f"events have up to {int(counts.max())} particles, the chunk "
                             f"holds {k} per event")
        offsets = np.zeros(counts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        a, b = int(offsets[lo]), int(offsets[hi])
        sub = counts[lo:hi]
        self.counts[dst] = sub
        if bool(np.all(sub == k)):
            index: slice | npt.NDArray[np.int64] = slice(start * k, (start + n) * k)
        else:  # scatter each event's particles to the first slots of its row
            first = (start + np.arange(n, dtype=np.int64)) * k - (offsets[lo:hi] - a)
            index = np.repeat(first, sub) + np.arange(b - a, dtype=np.int64)
        columns = self.particle_columns()
        for name in PARTICLE_FIELDS:
            flat = np.asarray(ak.to_numpy(ak.flatten(particles[name], axis=1)))
            columns[name][index] = flat[a:b]

    def to_awkward(self, n: int | None = None, vertex_and_extra: bool = True,
                   packed: bool = False) -> ak.Array:
        """The first ``n`` events (default: all) as an awkward Array, without copies.

        Fields: the event columns, ``particles``, then (if ``vertex_and_extra``) the
        vertex and extra columns in creation order.  With ``packed`` and events shorter than
        ``n_particles``, the particle columns are compacted (one gather per column) into a
        ListOffsetArray starting at 0: awkward computations on it (the detector's) are
        faster than on the zero-copy ListArray.
        """
        n = self.capacity if n is None else int(n)
        k = self.n_particles
        flat_n = n * k
        columns = self.particle_columns()
        counts = self.counts[:n]
        if packed and not bool(np.all(counts == k)):
            keep = np.flatnonzero((np.arange(k)[None, :] < counts[:, None]).ravel())
            record = ak.contents.RecordArray(
                [ak.contents.NumpyArray(np.take(columns[name][:flat_n], keep))
                 for name in PARTICLE_FIELDS], list(PARTICLE_FIELDS), length=keep.size)
            offsets = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            particles: ak.contents.Content = ak.contents.ListOffsetArray(
                ak.index.Index64(offsets), record)
        else:
            record = ak.contents.RecordArray(
                [ak.contents.NumpyArray(columns[name][:flat_n]) for name in PARTICLE_FIELDS],
                list(PARTICLE_FIELDS), length=flat_n)
            particles = _particle_list(record, n, k, counts)
        names = list(self.event)
        contents: list[Any] = [ak.contents.NumpyArray(self.event[name][:n]) for name in names]
        names.append("particles")
        contents.append(particles)
        if vertex_and_extra:
            for name, values in self.extra.items():
                names.append(name)
                contents.append(ak.contents.NumpyArray(values[:n]))
        return ak.Array(ak.contents.RecordArray(contents, names, length=n))
