"""Event-level check of the nu5's exact spin state (physics.nu5_spin = "exact") near threshold,
and of the numubar events' relation to the numu ones.

In the nu5 rest frame (pure boost from the lab) the Z' of nu5 -> nu4 Z' or nu_light Z' has
the density ``(1 + alpha P.n)/4pi`` once the Z' decay angles are integrated, with ``alpha``
the decay asymmetry the process reports (``info()["alpha_nu5_nu4"]``, ``["alpha_nu5_nu_
light"]``; PHYSICS.md's closed form, tested elsewhere) and ``P`` the production polarisation
(:func:`zpgen.processes.xsec.nu5_polarisation`, checked against explicit spinors in
test_nu5_spin.py).  Events come from the channel's event kernel on uniform hypercube points
(the weight is then the density), a monochromatic beam 3 MeV above the coherent C12
threshold, where the +1/2 share is ~20 % and P has a large transverse part.  The histogram
of ``cos = Phat.n`` is compared with ``(1 + alpha |P| cos)/2`` by a chi2 that fails for
the pure-helicity hypothesis (the same events against the axis -p5hat), so it can fail.

For numubar (the CP conjugate) the nu5bar has ``-P`` and its decay asymmetry is ``-alpha``:
the Z' density is the same ``1 + alpha P.n``; and with the same hypercube points the
numubar events are the numu ones with e- and e+ exchanged (identical weights).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from zpgen.flux.monochromatic import MonochromaticFlux
from zpgen.processes import xsec
from zpgen.processes.dark_neutrino import DarkNeutrinoProcess

from zpgen.card import parse_card

PDG_NU4 = 9900012
BINS = np.linspace(-1.0, 1.0, 11)


def events(channel, E_nu, flavour="numu", *sets, n=200_000, seed=3):
    process = DarkNeutrinoProcess.from_card(parse_card(None, ["model.nu4_decays=false",
                                                              *sets]))
    ch = process.channel(channel, MonochromaticFlux(E_nu, flux=1e-10, flavour=flavour))
    rng = np.random.default_rng(seed)
    x = rng.random((n, ch.dim))
    aux = rng.random((n, ch.n_aux))
    return process, ch, ch.events(x, aux)


def to_rest(p, P):
    """Pure boost of p (n, 4) into the rest frame of P (n, 4)."""
    beta = -P[:, 1:] / P[:, :1]
    b2 = np.sum(beta * beta, axis=1)
    g = 1.0 / np.sqrt(1.0 - b2)
    bp = np.sum(beta * p[:, 1:], axis=1)
    vec = p[:, 1:] + ((g - 1.0) * bp / b2 + g * p[:, 0])[:, None] * beta
    return np.column_stack([g * (p[:, 0] + bp), vec])


def polarisation_vectors(ev, cp):
    """Per event: P in lab-parallel rest-frame axes, from xsec.nu5_polarisation and the
    helicity frame (z = p5hat, x = e_Theta, away from the beam)."""
    p5 = ev.momenta[:, 2]
    n = p5[:, 1:] / np.linalg.norm(p5[:, 1:], axis=1)[:, None]
    st = np.hypot(n[:, 0], n[:, 1])
    cphi, sphi = n[:, 0] / st, n[:, 1] / st
    e_theta = np.column_stack([n[:, 2] * cphi, n[:, 2] * sphi, -st])
    pol = np.array([xsec.nu5_polarisation(e, t, cp) for e, t in
                    zip(ev.fields["E_nu"], ev.fields["t"], strict=True)])
    return pol[:, :1] * e_theta + pol[:, 1:] * n, n


def zprime_directions(ev):
    z = to_rest(ev.momenta[:, 5], ev.momenta[:, 2])[:, 1:]
    return z / np.linalg.norm(z, axis=1)[:, None]


def chi2_of(cos, w, alpha_size):
    """chi2 of the weighted histogram of cos against W (1 + a cos)/2 per bin (a per event:
    alpha |P|; for |P| = 1 a constant)."""
    total = w.sum()
    got, _ = np.histogram(cos, BINS, weights=w)
    err2, _ = np.histogram(cos, BINS, weights=w * w)
    lo, hi = BINS[:-1], BINS[1:]
    expected = total * ((hi - lo) + alpha_size * (hi**2 - lo**2) / 2) / 2
    return float(np.sum((got - expected) ** 2 / err2))


@pytest.mark.parametrize("flavour", ["numu", "numubar"])
def test_zprime_direction_follows_the_exact_polarisation_near_threshold(flavour):
    channel = "C12_coherent"
    process, ch, ev = events(channel, 0.1135, flavour)
    cp = ch.cp
    assert 0.1135 - xsec.threshold(cp[xsec.I_M], cp[xsec.I_M5]) < 0.0035
    P, phat5 = polarisation_vectors(ev, cp)
    size = np.linalg.norm(P, axis=1)
    np.testing.assert_allclose(size, 1.0, atol=1e-9)  # spin-0 target: a pure state
    plus_half = np.average((1 + np.sum(P * phat5, axis=1)) / 2, weights=ev.f)
    assert plus_half > 0.1  # near threshold: a sizeable helicity +1/2 share
    n = zprime_directions(ev)
    alpha = process.info()["alpha_nu5_nu4"]
    # mode A (nu5 -> nu4 Z'); mode B (nu_light Z', alpha_nu5_nu_light) has p_B ~ 3e-4 here
    sel = np.abs(ev.pdg[:, 4]) == PDG_NU4
    assert sel.sum() > 150_000 and alpha > 0.3
    w = ev.f[sel]
    chi2 = chi2_of(np.sum(n[sel] * P[sel], axis=1), w, alpha)
    # the previous release's hypothesis: helicity -1/2, P = -p5hat
    chi2_helicity = chi2_of(-np.sum(n[sel] * phat5[sel], axis=1), w, alpha)
    dof = len(BINS) - 1
    print(f"{flavour}: chi2/dof exact {chi2:.1f}/{dof}, helicity hypothesis "
          f"{chi2_helicity:.1f}/{dof}, +1/2 share {plus_half:.3f}")
    assert chi2 < 30.0  # p ~ 1e-3 for 10 dof
    assert chi2_helicity > 200.0  # the check has the power to fail


def test_helicity_switch_follows_the_helicity_hypothesis():
    """nu5_spin = helicity: the same histogram follows -p5hat, not the exact P."""
    process, ch, ev = events("C12_coherent", 0.1135, "numu", "physics.nu5_spin=helicity")
    P, phat5 = polarisation_vectors(ev, ch.cp)
    n = zprime_directions(ev)
    mode_a = np.abs(ev.pdg[:, 4]) == PDG_NU4
    alpha = process.info()["alpha_nu5_nu4"]
    w = ev.f[mode_a]
    assert chi2_of(-np.sum(n[mode_a] * phat5[mode_a], axis=1), w, alpha) < 25.0
    assert chi2_of(np.sum(n[mode_a] * P[mode_a], axis=1), w, alpha) > 100.0


def test_nucleon_channel_mixed_state_moment():
    """H1_proton 4 MeV above its threshold (|P| <= 1: a nucleon target gives a mixed
    state): the weighted mean of Phat.n equals alpha <|P|>/3 (the decay density integrates
    to 1 at each production point), and differs from the helicity hypothesis."""
    process, ch, ev = events("H1_proton", 0.1205, "numu", n=300_000)
    P, phat5 = polarisation_vectors(ev, ch.cp)
    size = np.linalg.norm(P, axis=1)
    assert size.max() <= 1.0 + 1e-12 and size.min() < 0.99
    n = zprime_directions(ev)
    mode_a = np.abs(ev.pdg[:, 4]) == PDG_NU4
    alpha = process.info()["alpha_nu5_nu4"]
    w = ev.f[mode_a]
    cos = np.sum(n[mode_a] * P[mode_a], axis=1) / size[mode_a]
    resid = cos - alpha * size[mode_a] / 3.0
    mean = np.sum(w * resid) / w.sum()
    err = math.sqrt(np.sum(w * w * (resid - mean) ** 2)) / w.sum()
    assert abs(mean) < 4 * err
    cos_h = -np.sum(n[mode_a] * phat5[mode_a], axis=1)
    mean_h = np.sum(w * (cos_h - alpha / 3.0)) / w.sum()
    assert abs(mean_h) > 8 * err


@pytest.mark.parametrize("majorana", [False, True])
def test_numubar_events_are_the_cp_image(majorana):
    """Same hypercube points, numu vs numubar: identical weights and (E_nu, t), e- of nubar =
    e+ of nu and vice versa, the rest of the momenta identical; antiparticle codes for a
    Dirac nu5/nu4/light neutrino, self-conjugate Majorana states."""
    sets = ("model.heavy_neutrino=majorana",) if majorana else ()
    _, _, nu = events("C12_coherent", 0.3, "numu", *sets, n=20_000)
    _, _, bar = events("C12_coherent", 0.3, "numubar", *sets, n=20_000)
    np.testing.assert_array_equal(bar.f, nu.f)
    np.testing.assert_array_equal(bar.fields["t"], nu.fields["t"])
    np.testing.assert_array_equal(bar.momenta[:, 6], nu.momenta[:, 7])
    np.testing.assert_array_equal(bar.momenta[:, 7], nu.momenta[:, 6])
    np.testing.assert_array_equal(bar.momenta[:, :6], nu.momenta[:, :6])
    assert np.all(bar.pdg[:, 0] == -14) and np.all(nu.pdg[:, 0] == 14)
    np.testing.assert_array_equal(bar.pdg[:, 6:8], nu.pdg[:, 6:8])  # e-, e+ slots
    heavy = 1 if majorana else -1
    np.testing.assert_array_equal(bar.pdg[:, 2], heavy * nu.pdg[:, 2])
    mode_a = np.abs(nu.pdg[:, 4]) == PDG_NU4
    np.testing.assert_array_equal(bar.pdg[mode_a, 4], heavy * nu.pdg[mode_a, 4])
    np.testing.assert_array_equal(bar.pdg[~mode_a, 4], -nu.pdg[~mode_a, 4])
    assert mode_a.any() and (~mode_a).any()
