"""Tests of zpgen/generate.py: normalisation against direct integrals, distributions,
reproducibility and chunking.

The references are computed here with scipy quad of xsec.sigma / xsec.dsigma_dt (not the
generator's hypercube integrals) and the PHYSICS.md event-rate formula.
"""

from __future__ import annotations

import itertools
import math

import awkward as ak
import numpy as np
import pytest
from scipy import integrate, stats
from zpgen.processes import xsec
from zpgen.processes.couplings import physical_couplings
from zpgen.processes.widths import visible_branching_ratio

from zpgen.card import parse_card
from zpgen.generate import EventGenerator, generate, generate_array

FAST = {"nitn": 5, "neval": 8000, "nitn_final": 2}
MONO = ("flux.name=monochromatic", "flux.energy=1.0", "flux.flux=3e-10",
        "detector.name=truth")


def card(*overrides):
    return parse_card(None, list(overrides))


def per_channel(events, field, n_channels=4):
    ch = ak.to_numpy(events.channel)
    values = ak.to_numpy(events[field])
    return [values[ch == k] for k in range(n_channels)]


def check_sums(events, expected, summary, rel=0.01, nsig=4.0):
    for k, name in enumerate(xsec.CHANNELS):
        wx = per_channel(events, "w_xsec")[k]
        err = summary.sigma_flux_avg()[name][1]
        assert wx.size > 0
        assert abs(wx.sum() - expected[k]) < nsig * err, (name, wx.sum(), expected[k], err)
        assert abs(wx.sum() / expected[k] - 1) < rel
        # the error estimate is sane (MC error of the sample)
        assert 0 < err / expected[k] < rel


@pytest.mark.parametrize("extra", [(), ("model.mzprime=0.055",)])
def test_monochromatic_sum_is_sigma_times_br(extra):
    c = card(*MONO, *extra)
    stream = generate(c, n_events=100_000, detector=False, min_per_channel=25_000, **FAST)
    events = ak.concatenate(list(stream))
    pc = physical_couplings(c.model)
    br = visible_branching_ratio(pc)
    expected = [xsec.sigma(1.0, xsec.channel_params(n, pc, c.physics)) * br
                for n in xsec.CHANNELS]
    check_sums(events, expected, stream.summary)
    # w = POT n_T x flux x (w_xsec): sum = expected events (PHYSICS.md "Event rate")
    s = stream.summary
    for k, name in enumerate(xsec.CHANNELS):
        w = per_channel(events, "w")[k]
        ratio = w.sum() / (s.pot * s.targets[name] * 3e-10 * expected[k])
        assert ratio == pytest.approx(
            per_channel(events, "w_xsec")[k].sum() / expected[k], rel=1e-12)
    assert s.n_events == len(events) == 100_000
    assert s.sum_w == pytest.approx(float(ak.sum(events.w)), rel=1e-12)


def test_miniboone_flux_folded_cross_section():
    """sum w_xsec per channel = BR int Phi sigma dE / int Phi dE, the integral by scipy quad
    of xsec.sigma over every flux bin."""
    c = card("detector.name=truth")
    stream = generate(c, n_events=100_000, detector=False, min_per_channel=25_000, **FAST)
    events = ak.concatenate(list(stream))
    flux = stream.engine.flux
    pc = physical_couplings(c.model)
    br = visible_branching_ratio(pc)
    edges, density = np.asarray(flux.edges), np.asarray(flux.density)
    phi_tot = float(np.sum(density * np.diff(edges)))
    expected = []
    for name in xsec.CHANNELS:
        params = xsec.channel_params(name, pc, c.physics)
        thr = xsec.threshold(params[xsec.I_M], params[xsec.I_M5])
        total = 0.0
        for lo, hi, phi in zip(edges[:-1], edges[1:], density, strict=True):
            if hi <= thr or phi == 0:
                continue
            val, _ = integrate.quad(lambda e, p=params: xsec.sigma(e, p), max(lo, thr), hi,
                                    epsrel=1e-7)
            total += phi * val
        expected.append(br * total / phi_tot)
    check_sums(events, expected, stream.summary)


@pytest.mark.parametrize("channel", ["C12_coherent", "H1_proton"])
def test_t_distribution_matches_dsigma_dt(channel):
    c = card(*MONO, "model.nu4_decays=false")
    events = generate_array(c, n_events=60_000, detector=False, min_per_channel=15_000, **FAST)
    k = list(xsec.CHANNELS).index(channel)
    t = per_channel(events, "t")[k]
    w = per_channel(events, "w_xsec")[k]
    pc = physical_couplings(c.model)
    params = xsec.channel_params(channel, pc, c.physics)
    br = visible_branching_ratio(pc)
    t_min, t_max = xsec.t_range(1.0, params[xsec.I_M], params[xsec.I_M5])
    m2 = pc.mzprime**2
    edges = m2 - np.geomspace(m2 - t_max, m2 - t_min, 21)   # decreasing t
    chi2 = 0.0
    ndf = 0
    total = np.sum(w)
    tail_mc = tail_ref = 0.0
    for hi, lo in itertools.pairwise(edges):
        sel = (t >= lo) & (t < hi)
        ref, _ = integrate.quad(lambda tt: xsec.dsigma_dt(1.0, tt, params), lo, hi,
                                epsrel=1e-9, limit=200)
        ref *= br
        if sel.sum() < 25:  # too few events for a Gaussian error: pooled as the tail
            tail_mc += np.sum(w[sel])
            tail_ref += ref
            continue
        chi2 += (np.sum(w[sel]) - ref) ** 2 / np.sum(w[sel] ** 2)
        ndf += 1
    assert ndf >= 10
    # chi2 with ndf >= 10 bins: above ndf + 5 sqrt(2 ndf) is very unlikely
    assert chi2 < ndf + 5 * math.sqrt(2 * ndf)
    assert tail_ref < 0.01 * total and abs(tail_mc - tail_ref) < 0.005 * total


def _flat(events):
    parts = ak.to_numpy(ak.flatten(events.particles.px))
    return (ak.to_numpy(events.w), ak.to_numpy(events.E_nu), ak.to_numpy(events.vtx_x), parts)


def test_reproducible_chunk_invariant_and_seed_dependent():
    c = card()  # MiniBooNE flux and detector (place + smeared response)
    kw = dict(n_events=20_000, **FAST)
    a_chunks = list(generate(c, chunk_size=1000, **kw))
    assert [len(x) for x in a_chunks] == [1000] * 20
    a = ak.concatenate(a_chunks)
    b = ak.concatenate(list(generate(c, chunk_size=5000, **kw)))
    c_again = generate_array(c, chunk_size=7777, **kw)
    for x, y in zip(_flat(a), _flat(b), strict=True):
        assert np.array_equal(x, y)
    assert ak.array_equal(a, c_again, equal_nan=True)
    assert a.fields == c_again.fields
    other = generate_array(c, seed=99, **kw)
    assert not np.array_equal(_flat(a)[1], _flat(other)[1])
    job = generate_array(c, job_index=3, **kw)
    assert not np.array_equal(_flat(a)[1], _flat(job)[1])
    # a job array shares the adapted grid: same allocation
    g0 = EventGenerator(c, job_index=0, **kw)
    g3 = EventGenerator(c, job_index=3, **kw)
    g0.adapt()
    g3.adapt()
    assert g0.summary.allocation == g3.summary.allocation
    assert g0.summary.adapt == {k: {**v, "adapt_seconds": g0.summary.adapt[k]["adapt_seconds"]}
                                for k, v in g3.summary.adapt.items()}


def test_record_layout_and_summary():
    c = card(*MONO)
    stream = generate(c, n_events=3000, chunk_size=2000, **FAST)
    chunks = list(stream)
    assert [len(x) for x in chunks] == [2000, 1000]
    ev = chunks[0]
    for name in ("w", "w_xsec", "channel", "E_nu", "t", "vtx_x", "E_vis", "w_eff"):
        assert name in ev.fields
    assert str(ak.type(ev.channel)).endswith("int32")
    p = ev.particles
    assert p.fields == ["pdg", "status", "mother", "E", "px", "py", "pz", "x", "y", "z", "t"]
    assert str(ak.type(p.pdg)).endswith("int32")
    assert np.all(ak.to_numpy(ak.num(p, axis=1)) == 12)
    assert np.all(ak.to_numpy(p.status[:, 0]) == 4) and np.all(ak.to_numpy(p.pdg[:, 0]) == 14)
    # vertices placed in the detector: every particle shifted by the event vertex
    assert np.allclose(ak.to_numpy(p.x[:, 0]), ak.to_numpy(ev.vtx_x))
    d = stream.summary.as_dict()
    assert d["n_events"] == 3000 and set(d["channels"]) == set(xsec.CHANNELS)
    assert sum(v["n_events"] for v in d["channels"].values()) == 3000
    assert d["expected_events"] == pytest.approx(float(sum(ak.sum(x.w) for x in chunks)))
    for v in d["channels"].values():
        assert 0 < v["ess_ratio"] <= 1 and v["adapt"]["integral"] > 0


def test_isotropic_vs_full_visible_energy():
    """PHYSICS.md: the spin correlations shift <E_vis> by 10-20 %."""
    means = []
    for corr in ("full", "isotropic"):
        c = card("detector.name=truth", f"physics.decay_correlations={corr}",
                 "model.nu4_decays=false")
        ev = generate_array(c, n_events=40_000, **FAST)
        w = ak.to_numpy(ev.w)
        means.append(np.sum(w * ak.to_numpy(ev.E_vis)) / np.sum(w))
    shift = 1 - means[0] / means[1]
    assert 0.08 < shift < 0.2


def test_no_open_channel_and_bad_arguments():
    c = card(*MONO)
    with pytest.raises(ValueError, match="chunk_size"):
        generate(c, chunk_size=0)
    with pytest.raises(ValueError, match="job_index"):
        generate(c, job_index=-1)
    low = card("flux.name=monochromatic", "flux.energy=0.05", "detector.name=truth")
    with pytest.raises(ValueError, match="no events"):
        generate_array(low, n_events=100, **FAST)
    assert math.isfinite(EventGenerator(c, n_events=10, **FAST).summary.flux_total)


def test_events_do_not_depend_on_threads_and_chunks_write_in_place():
    c = card()
    kw = dict(n_events=12_000, chunk_size=5000, **FAST)
    one = generate_array(c, threads=1, **kw)
    two = generate_array(c, threads=2, **kw)
    assert ak.array_equal(one, two, equal_nan=True) and one.fields == two.fields
    bare = generate_array(c, threads=2, detector=False, **kw)
    assert np.array_equal(ak.to_numpy(bare.w), ak.to_numpy(one.w))
    assert np.all(ak.to_numpy(bare.vtx_z) == 0.0)


def test_peak_memory_does_not_grow_with_the_number_of_events():
    import tracemalloc

    c = card(*MONO)
    peaks = []
    for n in (40_000, 160_000):
        stream = generate(c, n_events=n, chunk_size=8000, detector=False, **FAST)
        stream.engine.adapt()
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        for chunk in stream:
            del chunk
        peaks.append(tracemalloc.get_traced_memory()[1] - base)
        tracemalloc.stop()
    # about three chunks of ~1 kB/event are alive at most, whatever the run length
    assert peaks[1] < 1.25 * peaks[0], peaks
    assert peaks[1] < 4 * 8000 * 1100, peaks


@pytest.mark.parametrize("channel", ["C12_coherent", "H1_proton"])
def test_E_nu_distribution_matches_flux_times_sigma(channel):
    """Weighted E_nu histogram vs BR int_bin Phi(E) sigma(E) dE / Phi_tot (scipy quad)."""
    c = card("detector.name=truth", "model.nu4_decays=false")
    stream = generate(c, n_events=60_000, detector=False, min_per_channel=15_000, **FAST)
    events = ak.concatenate(list(stream))
    k = list(xsec.CHANNELS).index(channel)
    sel = ak.to_numpy(events.channel) == k
    E = ak.to_numpy(events.E_nu)[sel]
    wx = ak.to_numpy(events.w_xsec)[sel]
    flux = stream.engine.flux
    pc = physical_couplings(c.model)
    params = xsec.channel_params(channel, pc, c.physics)
    br = visible_branching_ratio(pc)
    edges_f, density = np.asarray(flux.edges), np.asarray(flux.density)
    phi_tot = float(np.sum(density * np.diff(edges_f)))
    bins = np.array([0.2, 0.35, 0.5, 0.65, 0.8, 1.0, 1.25, 1.6, 2.2, 3.5])
    observed, _ = np.histogram(E, bins=bins, weights=wx)
    variance, _ = np.histogram(E, bins=bins, weights=wx**2)
    expected = np.zeros(len(bins) - 1)
    for i, (lo, hi) in enumerate(itertools.pairwise(bins)):
        for f_lo, f_hi, phi in zip(edges_f[:-1], edges_f[1:], density, strict=True):
            a, b = max(lo, f_lo), min(hi, f_hi)
            if b > a and phi > 0:
                val, _ = integrate.quad(xsec.sigma, a, b, args=(params,), epsrel=1e-7)
                expected[i] += phi * val
    expected *= br / phi_tot
    chi2 = float(np.sum((observed - expected) ** 2 / variance))
    p_value = stats.chi2.sf(chi2, len(expected))
    assert p_value > 1e-3, (chi2, observed / expected)


def test_default_threads_leave_the_writer_thread_a_core(monkeypatch):
    """With a writer thread alongside, the default event threads are the cores less one (at
    least one); the adaptation and runs without a writer thread use every core; an
    explicit count is kept."""
    from zpgen import generate as generation
    from zpgen.card import parse_card

    card = parse_card()
    for cores in (1, 2, 8):
        monkeypatch.setattr(generation, "default_threads", lambda cores=cores: cores)
        with_writer = generation.EventGenerator(card, n_events=10, writer_thread=True)
        assert (with_writer.threads, with_writer.adapt_threads) == (max(1, cores - 1), cores)
        alone = generation.EventGenerator(card, n_events=10)
        assert (alone.threads, alone.adapt_threads) == (cores, cores)
        explicit = generation.EventGenerator(card, n_events=10, threads=3, writer_thread=True)
        assert (explicit.threads, explicit.adapt_threads) == (3, 3)
