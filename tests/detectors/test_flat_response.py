"""The flat-column detector path (zpgen.event_record.FlatEvents, Numba kernels) gives the
same events as the awkward implementation it replaced, draw for draw."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
from zpgen.detectors.miniboone import MiniBooNEDetector
from zpgen.flux.miniboone_bnb import MiniBooNEBNBFlux
from zpgen.processes.dark_neutrino import DarkNeutrinoProcess
from zpgen.processes.dipole_portal import DipolePortalProcess

from zpgen.card import parse_card
from zpgen.event_record import ChunkBuffer, FlatEvents
from zpgen.generate import run_detector

from . import awkward_reference as ref


def filled_buffer(overrides, n=6000, seed=3):
    """Events of the C12_coherent channel straight from the production kernel."""
    card = parse_card(None, overrides)
    process = DarkNeutrinoProcess.from_card(card)
    channel = process.channel("C12_coherent", MiniBooNEBNBFlux.from_options(card.flux))
    rng = np.random.default_rng(seed)
    buf = ChunkBuffer(n, channel.n_particles, channel.truth_fields)
    channel.fill(rng.random((n, channel.dim)), rng.random((n, channel.n_aux)), buf, 0)
    buf.event["channel"][:] = 0
    buf.event["w_xsec"][:] = 0.0
    return buf


@pytest.mark.parametrize("overrides", [(), ("model.couplings.g_5a=3e-3",),
                                       ("model.mzprime=0.08",)])
def test_same_events_as_the_awkward_implementation(overrides):
    buf = filled_buffer(list(overrides))
    detector = MiniBooNEDetector.from_options({})
    before = buf.to_awkward(packed=True)
    expected = ref.place(detector, before, np.random.default_rng(99))
    columns = ref.respond_miniboone(detector, expected, _after_place(99, len(before)))
    got = run_detector(detector, buf.flat_view(), np.random.default_rng(99)).to_awkward()
    for name, values in columns.items():
        np.testing.assert_array_equal(ak.to_numpy(got[name]), values, err_msg=name)
    for axis in "xyz":
        np.testing.assert_array_equal(ak.to_numpy(got[f"vtx_{axis}"]),
                                      ak.to_numpy(expected[f"vtx_{axis}"]))
        np.testing.assert_array_equal(ak.to_numpy(ak.flatten(got.particles[axis])),
                                      ak.to_numpy(ak.flatten(expected.particles[axis])))
    assert ak.all(ak.num(got.particles) == ak.num(before.particles))


def _after_place(seed, n):
    """The detector stream as respond sees it: after place's three uniform arrays."""
    rng = np.random.default_rng(seed)
    rng.random(n), rng.random(n), rng.random(n)
    return rng


def test_single_photon_events_match_the_awkward_reference():
    """Dipole-portal events (N -> nu gamma, the photon the one visible shower) through the
    flat path and the awkward oracle: the same columns, draw for draw, and the photon is
    seen (E_vis > 0 for a photon made inside the tank)."""
    card = parse_card("[process]\nname = \"dipole_portal\"\n[model]\nm_N = 0.2\nd = 1e-6\n")
    process = DipolePortalProcess.from_card(card)
    channel = process.channel("C12_coherent", MiniBooNEBNBFlux.from_options(card.flux))
    rng = np.random.default_rng(5)
    n = 3000
    buf = ChunkBuffer(n, channel.n_particles, channel.truth_fields)
    channel.fill(rng.random((n, channel.dim)), rng.random((n, channel.n_aux)), buf, 0)
    buf.event["channel"][:] = 0
    buf.event["w_xsec"][:] = 0.0
    detector = MiniBooNEDetector.from_options({})
    before = buf.to_awkward(packed=True)
    expected = ref.place(detector, before, np.random.default_rng(4))
    columns = ref.respond_miniboone(detector, expected, _after_place(4, len(before)))
    got = run_detector(detector, buf.flat_view(), np.random.default_rng(4)).to_awkward()
    for name, values in columns.items():
        np.testing.assert_array_equal(ak.to_numpy(got[name]), values, err_msg=name)
    assert np.mean(ak.to_numpy(got.true_E_vis) > 0.0) > 0.5
    assert ak.all(np.isnan(got.m_ee))


def test_awkward_input_still_works_and_is_not_modified():
    buf = filled_buffer([], n=500)
    detector = MiniBooNEDetector.from_options({})
    chunk = buf.to_awkward(packed=True)
    x_before = ak.to_numpy(ak.flatten(chunk.particles.x)).copy()
    out = detector.respond(detector.place(chunk, np.random.default_rng(1)),
                           np.random.default_rng(2))
    assert isinstance(out, ak.Array) and "E_vis" in out.fields
    np.testing.assert_array_equal(ak.to_numpy(ak.flatten(chunk.particles.x)), x_before)
    flat = FlatEvents.from_awkward(out)
    assert flat.n == 500 and np.array_equal(flat.event["E_vis"], ak.to_numpy(out.E_vis),
                                            equal_nan=True)


def test_flat_events_take_and_round_trip():
    buf = filled_buffer(["model.couplings.g_5a=3e-3"], n=300)
    view = buf.flat_view()
    rows = np.array([5, 0, 299, 17])
    sub = view.take(rows).to_awkward()
    full = buf.to_awkward()
    assert ak.to_list(sub.particles.pdg) == ak.to_list(full.particles.pdg[rows])
    assert ak.to_list(sub.t) == ak.to_list(full.t[rows])
