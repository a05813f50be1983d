"""ChunkBuffer with events shorter than the slot count: jagged output without padding."""

from __future__ import annotations

import awkward as ak
import numpy as np

from zpgen.event_record import PARTICLE_FIELDS, ChunkBuffer, EventBlock, to_awkward


def _filled(n=7, k=5, seed=0):
    rng = np.random.default_rng(seed)
    buf = ChunkBuffer(n, k, ("E_nu",))
    buf.event["w"][:] = rng.random(n)
    buf.event["w_xsec"][:] = 1.0
    buf.event["channel"][:] = 0
    buf.event["E_nu"][:] = rng.random(n)
    buf.momenta[:] = rng.random(buf.momenta.shape) + 1.0
    buf.vertices[:] = rng.random(buf.vertices.shape)
    buf.pdg[:] = np.tile(np.arange(1, k + 1, dtype=np.int32), n)
    buf.status[:] = 1
    buf.mother[:] = -1
    counts = rng.integers(2, k + 1, n)
    counts[0] = k
    buf.counts[:] = counts
    # the slots beyond an event's count hold padding that must never show up
    for i, c in enumerate(counts):
        buf.pdg[i * k + c:(i + 1) * k] = 0
    return buf, counts


def _expected(buf, counts, field):
    k = buf.n_particles
    col = buf.particle_columns()[field]
    return [list(col[i * k:i * k + c]) for i, c in enumerate(counts)]


def test_jagged_to_awkward_zero_copy_and_packed():
    buf, counts = _filled()
    for packed in (False, True):
        ev = buf.to_awkward(packed=packed)
        assert list(ak.num(ev.particles, axis=1)) == list(counts)
        for field in PARTICLE_FIELDS:
            assert ak.to_list(ev.particles[field]) == _expected(buf, counts, field)
        assert not ak.any(ev.particles.pdg == 0)
    # all events full: the plain ListOffsetArray layout
    buf.counts[:] = buf.n_particles
    assert isinstance(buf.to_awkward().particles.layout, ak.contents.ListOffsetArray)


def test_copy_events_scatters_rows_back_to_their_slots():
    buf, counts = _filled()
    ev = buf.to_awkward(packed=True)
    ev = ak.with_field(ev, ev.particles.x + 10.0, ["particles", "x"])  # a detector's shift
    out = ChunkBuffer(10, buf.n_particles, ("E_nu",))
    out.copy_events(ev, 4, slice(2, 6))
    got = out.to_awkward(10)[4:8]
    assert list(ak.num(got.particles, axis=1)) == list(counts[2:6])
    assert ak.to_list(got.particles.pdg) == _expected(buf, counts, "pdg")[2:6]
    x = [[v + 10.0 for v in row] for row in _expected(buf, counts, "x")[2:6]]
    assert np.allclose(ak.to_numpy(ak.flatten(got.particles.x)), np.concatenate(x))
    assert np.array_equal(ak.to_numpy(got.w), buf.event["w"][2:6])


def test_event_block_counts_and_per_event_status():
    n, k = 3, 4
    P = np.ones((n, k, 4))
    status = np.array([[4, 20, 1, 1], [4, 20, 2, 1], [4, 20, 1, 1]], dtype=np.int32)
    block = EventBlock(f=np.ones(n), fields={"E_nu": np.ones(n)},
                       pdg=np.tile(np.arange(1, k + 1, dtype=np.int32), (n, 1)),
                       status=status, mother=np.full(k, -1, dtype=np.int32), momenta=P,
                       vertices=P, counts=np.array([4, 3, 2]))
    ev = to_awkward(block, {"w": np.ones(n)})
    assert ak.to_list(ev.particles.status) == [[4, 20, 1, 1], [4, 20, 2], [4, 20]]
    buf = ChunkBuffer(n, k, ("E_nu",))
    buf.copy_block(block, 0, slice(None))
    assert ak.to_list(buf.to_awkward().particles.pdg) == [[1, 2, 3, 4], [1, 2, 3], [1, 2]]


def test_copy_flat_rows_and_packed_give_the_same_chunk():
    """copy_flat from a buffer's row layout (whole rows copied) and from a packed layout
    (gather/scatter) put the same events at the same rows; the padding never shows."""
    from zpgen.event_record import FlatEvents

    src, counts = _filled(n=9, k=5, seed=4)
    rows = src.flat_view()
    packed = FlatEvents.from_awkward(src.to_awkward(packed=True))
    expected = src.to_awkward()[2:8]
    for events in (rows, packed):
        dst = ChunkBuffer(10, 5, ("E_nu",))
        dst.copy_flat(events, 3, slice(2, 8))
        got = dst.to_awkward(9)[3:9]
        assert ak.to_list(got.particles) == ak.to_list(expected.particles)
        assert ak.to_list(got.E_nu) == ak.to_list(expected.E_nu)
        np.testing.assert_array_equal(dst.counts[3:9], counts[2:8])
