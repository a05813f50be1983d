"""Tests of processes/dark_neutrino.py and processes/decay_chain.py.

References are computed here: cross sections from xsec.sigma (a separate quadrature),
spin asymmetry and Z' polarisation from the PHYSICS.md formulas / an explicit
helicity-amplitude calculation written out below, decay lengths from PHYSICS.md widths.
Angles are recomputed from the lab four-vectors with an explicit boost matrix.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from zpgen.flux.monochromatic import MonochromaticFlux
from zpgen.processes import xsec
from zpgen.processes.dark_neutrino import PDG_NU4, PDG_NU5, PDG_ZPRIME, DarkNeutrinoProcess

from zpgen import constants
from zpgen.card import parse_card

E0 = 1.0
FLUX = MonochromaticFlux(E0, flux=2.5e-10)


def card(*overrides):
    return parse_card(None, list(overrides))


def uniform_events(process, channel="C12_coherent", n=100_000, seed=1):
    ch = process.channel(channel, FLUX)
    rng = np.random.default_rng(seed)
    x = rng.random((n, ch.dim))
    aux = rng.random((n, ch.n_aux))
    return ch, ch.events(x, aux)


def mdot(a, b):
    return a[..., 0] * b[..., 0] - np.sum(a[..., 1:] * b[..., 1:], axis=-1)


def to_rest(p, P):
    """Boost p (n, 4) into the rest frame of P (n, 4): explicit matrix per row."""
    beta = -P[:, 1:] / P[:, :1]
    b2 = np.sum(beta * beta, axis=1)
    g = 1.0 / np.sqrt(1.0 - b2)
    bp = np.sum(beta * p[:, 1:], axis=1)
    E = g * (p[:, 0] + bp)
    vec = p[:, 1:] + ((g - 1.0) * bp / b2 + g * p[:, 0])[:, None] * beta
    return np.column_stack([E, vec])


def unit(v):
    return v / np.linalg.norm(v, axis=1)[:, None]


def weighted_mean(values, w):
    mean = np.sum(w * values) / np.sum(w)
    err = math.sqrt(np.sum(w * w * (values - mean) ** 2)) / np.sum(w)
    return mean, err


def alpha_physics_md(mi, mj, M):
    lam = (mi**2) ** 2 + (mj**2) ** 2 + (M**2) ** 2 - 2 * (mi**2 * mj**2 + mi**2 * M**2
                                                          + mj**2 * M**2)
    return math.sqrt(lam) * (mi**2 - mj**2 - 2 * M**2) / (
        (mi**2 - mj**2) ** 2 + M**2 * (mi**2 + mj**2 - 2 * M**2))


def longitudinal_fraction(mi, mj, M, gL=1.0, gR=0.0):
    """Fraction of longitudinal Z' in nu_i -> nu_j Z' (unpolarised nu_i).

    Spin-summed tensor L = (gL^2 + gR^2) S(p_j, p_i) + 2 gL gR m_i m_j g with
    S(x, y) = x y + y x - g x.y; eps_L = (|q|, E_q qhat)/M in the nu_i rest frame gives
    |M_L|^2 = (gL^2 + gR^2)[2 |q|^2 m_i^2/M^2 + m_i E_j] - 2 gL gR m_i m_j, and the sum over
    polarisations (-g + q q/M^2) is half the PHYSICS.md Sum|M|^2.
    """
    q = math.sqrt((mi**2 - (mj + M) ** 2) * (mi**2 - (mj - M) ** 2)) / (2 * mi)
    Ej = math.sqrt(q * q + mj * mj)
    g2 = gL * gL + gR * gR
    long_ = g2 * (2 * q * q * mi**2 / M**2 + mi * Ej) - 2 * gL * gR * mi * mj
    total = 0.5 * (g2 * ((mi**2 - mj**2) ** 2 / M**2 + mi**2 + mj**2 - 2 * M**2)
                   - 12 * gL * gR * mi * mj)
    return long_ / total


@pytest.mark.parametrize("overrides", [
    (),
    ("model.heavy_neutrino=majorana",),
    ("model.mzprime=0.055",),                     # off shell nu5, on-shell nu4 decay
    ("model.mzprime=0.05", "physics.decay_correlations=isotropic"),  # off shell at the edge
    ("physics.decay_correlations=isotropic", "model.nu4_decays=false"),
])
@pytest.mark.parametrize("channel", list(xsec.CHANNELS))
def test_plain_mc_integral_is_sigma_times_br(overrides, channel):
    """Uniform points (no VEGAS): mean f = Phi sigma(E0) BR_visible."""
    process = DarkNeutrinoProcess.from_card(card(*overrides))
    ch = process.channel(channel, FLUX)
    f = ch(np.random.default_rng(3).random((60_000, ch.dim)))
    expected = FLUX.flux * xsec.sigma(E0, ch.cp) * process.br_visible
    err = f.std() / math.sqrt(f.size)
    assert abs(f.mean() - expected) < 4.5 * err
    assert err / expected < 0.02
    assert process.offshell == (process.pc.mzprime >= process.pc.m5 - process.pc.m4)


@pytest.mark.parametrize("overrides", [(), ("model.mzprime=0.055",),
                                       ("model.nu4_decays=false",), ("model.mzprime=0.08",),
                                       ("model.mzprime=0.055", "physics.visible_modes=nu4")])
def test_four_momentum_conservation_and_masses(overrides):
    """Per nu5 decay mode (A: nu4 chain, slot 4 = nu4; B: nu5 -> nu_light Z', slot 4 = the
    light neutrino, 8 particles): momentum conservation, masses, decay tree."""
    process = DarkNeutrinoProcess.from_card(card(*overrides))
    pc = process.pc
    for channel in xsec.CHANNELS:
        _ch, ev = uniform_events(process, channel, n=5000)
        k = ev.momenta.shape[1]
        counts = ev.counts if ev.counts is not None else np.full(len(ev), k)
        light = ev.pdg[:, 4] == 14
        assert np.all(ev.pdg[~light, 4] == PDG_NU4)
        if process.br_nu_light == 0.0:
            assert not light.any()
        for is_light in (False, True):
            sel = light == is_light
            if not sel.any():
                continue
            n_p = counts[sel]
            kk = 8 if is_light else k
            assert np.all(n_p == kk)
            status_rows = np.asarray(ev.status)[sel][:, :kk]
            assert np.all(status_rows == status_rows[0])
            status = status_rows[0]
            mother = ev.mother[:kk]
            P, pdg = ev.momenta[sel][:, :kk], ev.pdg[sel][:, :kk]
            initial = P[:, 0] + P[:, 1]
            final = P[:, status == 1].sum(axis=1)
            assert np.all(np.abs(final - initial) <= 1e-9 * initial[:, :1])
            mass = np.sqrt(np.clip(mdot(P, P), 0, None))
            assert np.all(pdg[:, 2] == PDG_NU5) and np.all(pdg[:, 5] == PDG_ZPRIME)
            np.testing.assert_allclose(mass[:, 2], pc.m5, rtol=1e-7)
            if is_light:
                assert np.all(mass[:, 4] < 1e-6 * P[:, 4, 0])
                assert status[4] == 1 and mother[4] == 2
            else:
                np.testing.assert_allclose(mass[:, 4], pc.m4, rtol=1e-7)
            np.testing.assert_allclose(mass[:, 1], mass[:, 3], rtol=1e-9)
            np.testing.assert_allclose(mass[:, 6:8], constants.M_E, rtol=1e-5)
            # the record's convention (zpgen.event_record): beam and target in, nu5 and the
            # recoil (mother -1) out of the primary vertex, which conserves four-momentum
            assert list(status[:2]) == [4, 20] and list(mother[:4]) == [-1, -1, -1, -1]
            primary_out = np.flatnonzero((mother == -1) & (status != 4) & (status != 20))
            assert list(primary_out) == [2, 3]
            diff = P[:, primary_out].sum(axis=1) - initial
            assert np.all(np.abs(diff) <= 1e-9 * initial[:, :1])
            # decays conserve momentum at every vertex (mother index)
            decayed = np.flatnonzero(status == 2)
            nu4_chain = process.nu4_decays and not is_light
            assert set(decayed) == ({2, 4, 5, 9} if nu4_chain else {2, 5})
            for j in decayed:
                kids = np.flatnonzero(mother == j)
                assert kids.size == 2
                diff = P[:, kids].sum(axis=1) - P[:, j]
                assert np.all(np.abs(diff) <= 1e-9 * P[:, j, :1])
            if process.offshell and not is_light:
                m_ee = mass[:, 5]
                assert np.all(m_ee > 2 * constants.M_E * (1 - 1e-9))
                assert np.all(m_ee < (pc.m5 - pc.m4) * (1 + 1e-9))
            else:  # on-shell Z' (always in mode B)
                np.testing.assert_allclose(mass[:, 5], pc.mzprime, rtol=1e-7)
                ee = P[:, 6] + P[:, 7]
                np.testing.assert_allclose(np.sqrt(mdot(ee, ee)), pc.mzprime, rtol=1e-7)
            if nu4_chain:
                np.testing.assert_allclose(mass[:, 9], pc.mzprime, rtol=1e-7)
                assert set(np.unique(pdg[:, 10])) <= {11, 13, 12, 14, 16}
            if is_light and k > 8:  # the unused slots are zeroed
                assert np.all(ev.momenta[sel][:, 8:] == 0.0)
        assert np.all(np.isfinite(ev.f)) and np.all(ev.f >= 0)


def _helicity_angles(ev):
    """cos of the Z' vs the nu5 flight direction in the nu5 rest frame, and cos theta* of
    the e- vs the Z' direction in the Z' rest frame (reached from the nu5 rest frame)."""
    P = ev.momenta
    p5 = P[:, 2]
    z5 = to_rest(P[:, 5], p5)
    em5 = to_rest(P[:, 6], p5)
    cz = np.sum(unit(z5[:, 1:]) * unit(p5[:, 1:]), axis=1)
    em_z = to_rest(em5, z5)
    cs = np.sum(unit(em_z[:, 1:]) * unit(z5[:, 1:]), axis=1)
    return cz, cs


@pytest.mark.parametrize("majorana", [False, True])
def test_spin_asymmetry_and_zprime_polarisation(majorana):
    """dGamma/dcos ~ 1 + alpha P cos (PHYSICS.md); nu5 helicity -1/2 gives slope -alpha
    along the nu5 flight direction.  <cos^2 theta*> = (2 - f_L)/5 for Z' -> e+e-."""
    over = ("model.heavy_neutrino=majorana",) if majorana else ()
    process = DarkNeutrinoProcess.from_card(card(*over, "model.nu4_decays=false"))
    pc = process.pc
    _, ev = uniform_events(process, n=200_000, seed=11)
    cz, cs = _helicity_angles(ev)
    slope, err = weighted_mean(3.0 * cz, ev.f)
    alpha = 0.0 if majorana else alpha_physics_md(pc.m5, pc.m4, pc.mzprime)
    assert abs(slope - (-alpha)) < 4 * err + 1e-3
    if not majorana:
        assert alpha > 0.3  # the test has power
    c2, err2 = weighted_mean(cs**2, ev.f)
    f_L = longitudinal_fraction(pc.m5, pc.m4, pc.mzprime, 1.0, -1.0 if majorana else 0.0)
    assert f_L > 0.5  # "the Z' is mostly longitudinal"
    assert abs(c2 - (2.0 - f_L) / 5.0) < 4 * err2 + 2e-3


def test_isotropic_switch_and_visible_energy_shift():
    """isotropic: flat angles; the full correlations shift <E_vis> by 10-20 % (PHYSICS.md)."""
    base = ("model.nu4_decays=false",)
    full = DarkNeutrinoProcess.from_card(card(*base))
    iso = DarkNeutrinoProcess.from_card(card(*base, "physics.decay_correlations=isotropic"))
    _, ev_f = uniform_events(full, n=100_000, seed=5)
    _, ev_i = uniform_events(iso, n=100_000, seed=5)
    cz, cs = _helicity_angles(ev_i)
    for values in (cz, cs):
        m, e = weighted_mean(values, ev_i.f)
        assert abs(m) < 4 * e
        m2, e2 = weighted_mean(values**2, ev_i.f)
        assert abs(m2 - 1 / 3) < 4 * e2
    e_vis = [np.sum(ev.f * (ev.momenta[:, 6, 0] + ev.momenta[:, 7, 0])) / np.sum(ev.f)
             for ev in (ev_f, ev_i)]
    shift = 1.0 - e_vis[0] / e_vis[1]
    assert 0.08 < shift < 0.2


def test_decay_lengths_and_times():
    """Mean flight / (beta gamma) = c tau, with c tau of nu4 from the PHYSICS.md width."""
    process = DarkNeutrinoProcess.from_card(card())
    pc = process.pc
    _, ev = uniform_events(process, n=100_000, seed=2)
    nu4_events = ev.pdg[:, 4] == PDG_NU4  # nu4 chain (not nu5 -> nu_light Z', ~3e-4)
    P, V = ev.momenta[nu4_events], ev.vertices[nu4_events]
    # nu4 -> nu Z' width, PHYSICS.md formula, Dirac P_L, massless nu
    mi, M, g = pc.m4, pc.mzprime, pc.g_4a
    lam = (mi * mi - M * M) ** 2
    gamma4 = math.sqrt(lam) / (32 * math.pi * mi**3) * g * g * (mi**4 / M**2 + mi**2 - 2 * M**2)
    ctau4 = constants.HBARC_GEV_CM / gamma4
    for slot, parent_slot, ctau, m in ((8, 4, ctau4, pc.m4),
                                       (6, 5, process.widths["ctau_cm"]["Zprime"], M)):
        start = V[:, parent_slot, :3]
        end = V[:, slot, :3]
        flight = np.linalg.norm(end - start, axis=1)
        p = np.linalg.norm(P[:, parent_slot, 1:], axis=1)
        scaled = flight * m / p
        assert abs(scaled.mean() / ctau - 1) < 5 / math.sqrt(scaled.size)
        # direction along the parent, time = L E/(p c)
        d = end - start
        np.testing.assert_allclose(np.sum(unit(d) * unit(P[:, parent_slot, 1:]), axis=1), 1,
                                   atol=1e-9)
        dt = V[:, slot, 3] - V[:, parent_slot, 3]
        np.testing.assert_allclose(dt, flight * P[:, parent_slot, 0] / p / 29.9792458,
                                   rtol=1e-9)
    # beam, target, nu5 and recoil start at the interaction point
    assert np.all(V[:, :4] == 0.0)


def test_channels_and_info():
    process = DarkNeutrinoProcess.from_card(card())
    assert process.name == "dark_neutrino"
    ch2 = {"C12": 1.0, "H1": 2.0}
    assert process.channels(ch2) == ("C12_coherent", "C12_proton", "C12_neutron", "H1_proton")
    info = process.info()
    assert info["regime"] == "on-shell" and 0 < info["br_visible"] <= 1
    assert info["alpha_nu5_nu4"] == pytest.approx(alpha_physics_md(0.11, 0.06, 0.03))
    ch = process.channel("H1_proton", FLUX)
    assert ch.dim == 10 and ch.n_particles == 12 and list(ch.status[:4]) == [4, 20, 2, 1]
    off = DarkNeutrinoProcess.from_card(card("model.mzprime=0.07"))
    assert off.channel("C12_coherent", FLUX).dim == 7  # nu4 cannot decay on shell
    assert not off.nu4_decays
