"""Event record: a block of events from a process kernel -> an awkward Array chunk.

Layout (zpgen.registry docstring, DESIGN.md "Events"): one record per event with the
event-level fields ``w``, ``w_xsec`` (float64), ``channel`` (int32, index into the run's
channel names), the process's truth fields (e.g. ``E_nu`` in GeV, ``t`` in GeV^2) and a
jagged ``particles`` record with ``pdg``, ``status``, ``mother`` (int32; mother is an index
into the event's particle list, -1 for none), ``E``, ``px``, ``py``, ``pz`` (GeV) and
``x``, ``y``, ``z`` (cm), ``t`` (ns) of the particle's production vertex relative to the
interaction point (the detector's ``place`` then shifts them to the detector frame).

The arrays are assembled from flat numpy buffers without copies (ListOffsetArray over a
RecordArray of NumpyArrays).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import awkward as ak
import numpy as np
import numpy.typing as npt

__all__ = ["PARTICLE_FIELDS", "EventBlock", "to_awkward"]

#: Fields of the jagged ``particles`` record, in order.
PARTICLE_FIELDS = ("pdg", "status", "mother", "E", "px", "py", "pz", "x", "y", "z", "t")


@dataclass
class EventBlock:
    """A block of events with a fixed number of particles each, as produced by a kernel.

    Attributes
    ----------
    f : (n,) float64
        Integrand value at the point (weight before the sampler's jacobian).
    fields : dict of (n,) arrays
        Event-level truth fields of the process.
    pdg : (n, k) int32 (may be a broadcast view)
    status, mother : (k,) int32
    momenta : (n, k, 4) float64, (E, px, py, pz) in GeV
    vertices : (n, k, 4) float64, (x, y, z) in cm and t in ns
    """

    f: npt.NDArray[np.float64]
    fields: Mapping[str, npt.NDArray[np.float64]]
    pdg: npt.NDArray[np.int32]
    status: npt.NDArray[np.int32]
    mother: npt.NDArray[np.int32]
    momenta: npt.NDArray[np.float64]
    vertices: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.f.shape[0])


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
        "status": np.tile(block.status.astype(np.int32), n),
        "mother": np.tile(block.mother.astype(np.int32), n),
        "E": mom[:, 0], "px": mom[:, 1], "py": mom[:, 2], "pz": mom[:, 3],
        "x": vtx[:, 0], "y": vtx[:, 1], "z": vtx[:, 2], "t": vtx[:, 3],
    }
    record = ak.contents.RecordArray(
        [ak.contents.NumpyArray(np.ascontiguousarray(columns[name]))
         for name in PARTICLE_FIELDS],
        list(PARTICLE_FIELDS), length=flat_n)
    offsets = ak.index.Index64(np.arange(0, flat_n + 1, k, dtype=np.int64))
    particles = ak.contents.ListOffsetArray(offsets, record)
    contents = []
    names = []
    for name, values in (*event_fields.items(), *block.fields.items()):
        names.append(name)
        contents.append(ak.contents.NumpyArray(np.ascontiguousarray(values)))
    names.append("particles")
    contents.append(particles)
    return ak.Array(ak.contents.RecordArray(contents, names, length=n))
