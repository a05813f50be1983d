"""Exact coupling reweighting (processes/reweight.py) against independent calculations:
the rate quadrature of processes/rate.py (``zpgen rate``) and samples regenerated at the
new couplings."""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest
from zpgen.processes.dark_neutrino import DarkNeutrinoProcess
from zpgen.processes.rate import rate_summary

from zpgen.card import CardError, load_card
from zpgen.generate import generate_array
from zpgen.registry import load_plugin

FAST = {"nitn": 5, "neval": 8000, "nitn_final": 2}
TRUTH = ("detector.name=truth",)
#: A point where nu5 -> nu4 Z' and nu5 -> nu_light Z' share the nu5 width (g_5a and g_45
#: both matter for the branching ratios) and the Z' has an axial coupling.
SHARED = (*TRUTH, "model.couplings.g_5a=4e-3", "model.couplings.ca_l=5e-4")
NU4_ONLY = (*SHARED, "physics.visible_modes=nu4")
CHANNELS = ("C12_coherent", "C12_proton", "C12_neutron", "H1_proton")


def rate(card):
    flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
    detector = load_plugin("detector", card.detector["name"]).from_options(card.detector)
    return rate_summary(card, flux, detector)


def reweighted(events, old, new):
    r, moved = DarkNeutrinoProcess.reweighter(old, new, CHANNELS).reweight(events)
    return np.asarray(events.w) * r, moved


@pytest.fixture(scope="module")
def samples():
    """Events at the default card, at SHARED and at NU4_ONLY (truth detector)."""
    out = {}
    for name, sets in (("default", TRUTH), ("shared", SHARED), ("nu4", NU4_ONLY)):
        card = load_card(None, sets)
        out[name] = (card, generate_array(card, n_events=100_000, seed=11, **FAST))
    return out


@pytest.mark.parametrize("base, sets", [
    ("default", ("model.couplings.g_mu5=2.6e-5",)),          # production: |M|^2 x 4
    ("default", ("model.couplings.g_p=2e-3", "model.couplings.g_n=5e-4")),  # charges
    ("default", ("model.couplings.cv_l=6e-4", "model.couplings.g_nu=2e-3")),  # BR(Z'->ee)
    ("nu4", ("model.couplings.g_5a=8e-3",)),                 # BR(nu5 -> nu4 Z') only
    ("nu4", ("model.couplings.g_45=6e-3",)),                 # BR(nu5 -> nu4 Z') only
    ("shared", ("model.couplings.g_45=7e-3", "model.couplings.g_5a=2e-3",  # both modes
                "model.couplings.g_mu5=2e-5")),
])
def test_reweighted_sum_of_w_is_the_rate_at_the_new_couplings(samples, base, sets):
    old, events = samples[base]
    new = load_card(None, (*dict(default=TRUTH, shared=SHARED, nu4=NU4_ONLY)[base], *sets))
    w_new, _ = reweighted(events, old, new)
    expected = rate(new)["total_events"]
    before = rate(old)["total_events"]
    assert abs(expected / before - 1.0) > 0.15, "the change must move the rate"
    assert float(w_new.sum()) == pytest.approx(expected, rel=0.01)
    # per channel too: the production factor acts channel by channel
    ch = np.asarray(events.channel)
    for k, name in enumerate(CHANNELS):
        assert float(w_new[ch == k].sum()) == pytest.approx(rate(new)["events"][name],
                                                            rel=0.03, abs=0.5)
    # and the share of nu5 -> nu_light Z' events is BR_B / (BR_A + BR_B) at the new point
    parts = rate(new)["BR_visible_parts"]
    share = parts["nu5_nu_light"] / (parts["nu5_nu4"] + parts["nu5_nu_light"])
    mode_b = np.asarray(events.particles.pdg[:, 4]) != 9900012
    if share > 0.05:
        assert float(w_new[mode_b].sum() / w_new.sum()) == pytest.approx(share, rel=0.03)
        old_parts = rate(old)["BR_visible_parts"]
        assert abs(old_parts["nu5_nu_light"] / rate(old)["BR_visible"] - share) > 0.1


def weighted_hist(values, weights, edges):
    h, _ = np.histogram(values, bins=edges, weights=weights)
    v, _ = np.histogram(values, bins=edges, weights=weights * weights)
    return h, v


def chi2_per_bin(a, b):
    (ha, va), (hb, vb) = a, b
    use = (va + vb) > 0
    return float(np.sum((ha - hb)[use] ** 2 / (va + vb)[use])), int(use.sum())


def distributions(events, w):
    """Histograms that a coupling change reshapes: production (E_nu, t, channel), the
    decay (E_vis, cos theta, opening angle, asymmetry), the nu5 mode (particle count) and
    the nu5 flight."""
    parts = events.particles
    n_part = np.asarray(ak.num(parts, axis=1))
    flight = np.asarray(events.flight_nu5)
    return [
        weighted_hist(np.asarray(events.E_nu), w, np.linspace(0.1, 3.0, 16)),
        weighted_hist(np.log10(-np.asarray(events.t)), w, np.linspace(-7, 0, 15)),
        weighted_hist(np.asarray(events.channel), w, np.arange(-0.5, 4.5)),
        weighted_hist(np.asarray(events.E_vis), w, np.linspace(0.0, 2.0, 21)),
        weighted_hist(np.asarray(events.cos_theta), w, np.linspace(0.9, 1.0, 11)),
        weighted_hist(np.asarray(events.theta_ee_deg), w, np.linspace(0.0, 20.0, 11)),
        weighted_hist(np.asarray(events.asymmetry), w, np.linspace(0.0, 1.0, 11)),
        weighted_hist(n_part, w, np.array([0, 9, 13])),
        weighted_hist(np.log10(np.maximum(flight, 1e-30)), w, np.linspace(-11, -4, 15)),
    ]


@pytest.mark.parametrize("base, sets", [
    ("shared", ("model.couplings.g_45=7e-3", "model.couplings.g_5a=3e-3")),
    ("shared", ("model.couplings.g_n=-8e-4", "model.couplings.ca_l=1.2e-3")),
    ("shared", ("model.couplings.g_p=3e-3", "model.couplings.cv_l=4e-4")),
])
def test_reweighted_distributions_agree_with_a_regenerated_sample(samples, base, sets):
    old, events = samples[base]
    new = load_card(None, (*SHARED, *sets))
    w_new, moved = reweighted(events, old, new)
    fresh = generate_array(new, n_events=100_000, seed=12, **FAST)
    total_rw = total_plain = 0.0
    ndof = 0
    # the file's events at their own couplings, scaled to the new total: the shapes alone
    scaled = np.asarray(events.w) * float(np.sum(fresh.w)) / float(np.sum(events.w))
    for rw, plain, regen in zip(distributions(moved, w_new), distributions(events, scaled),
                                distributions(fresh, np.asarray(fresh.w)), strict=True):
        c, n = chi2_per_bin(rw, regen)
        total_rw += c
        ndof += n
        total_plain += chi2_per_bin(plain, regen)[0]
    # a chi2 with ndof degrees of freedom: 5 sigma above the mean is (ndof + 5 sqrt(2 ndof))
    assert total_rw < ndof + 5.0 * math.sqrt(2.0 * ndof), (total_rw, ndof)
    # ... and the test has the power to see the change of shape that was reweighted
    assert total_plain > ndof + 10.0 * math.sqrt(2.0 * ndof), (total_plain, ndof)


def test_flights_follow_the_new_decay_length(samples):
    """g_45 / 3: c tau(nu5) x 9; the scaled flights have the new mean decay length."""
    old, events = samples["default"]
    new = load_card(None, (*TRUTH, "model.couplings.g_45=3.3333333e-3"))
    _, moved = reweighted(events, old, new)
    ratio = (DarkNeutrinoProcess.from_card(new).widths["ctau_cm"]["nu5"]
             / DarkNeutrinoProcess.from_card(old).widths["ctau_cm"]["nu5"])
    assert ratio == pytest.approx(9.0, rel=0.01)
    assert np.asarray(moved.flight_nu5) == pytest.approx(ratio * np.asarray(events.flight_nu5))
    # the e- (slot 6) moved by the flight change along the nu5 direction
    p5 = np.stack([np.asarray(events.particles[c][:, 2]) for c in ("px", "py", "pz")], 1)
    unit = p5 / np.linalg.norm(p5, axis=1, keepdims=True)
    shift = np.stack([np.asarray(moved.particles[c][:, 6] - events.particles[c][:, 6])
                      for c in ("x", "y", "z")], 1)
    dL = np.asarray(moved.flight_nu5) - np.asarray(events.flight_nu5)
    assert shift == pytest.approx(unit * dL[:, None], abs=1e-12)
    # the mean proper decay length L m/|p| is the new c tau (exponential: error 1/sqrt(N))
    m5 = old.model.m5
    proper = np.asarray(moved.flight_nu5) * m5 / np.linalg.norm(p5, axis=1)
    ctau = DarkNeutrinoProcess.from_card(new).widths["ctau_cm"]["nu5"]
    assert proper.mean() == pytest.approx(ctau, rel=5.0 / math.sqrt(len(proper)))


@pytest.mark.parametrize("sets, words", [
    (("model.mzprime=0.02",), "model.mzprime"),
    (("model.heavy_neutrino=majorana",), "Dirac and Majorana"),
    (("model.nu4_decays=false",), "model.nu4_decays"),
    (("physics.nucleon_model=free",), "[physics] switches"),
    (("model.couplings.g_4a=0.0",), "nu4 no longer decays"),
    (("model.couplings.g_5a=0.0",), None),          # closing a mode is fine
])
def test_what_cannot_be_reweighted_is_refused_with_the_reason(samples, sets, words):
    old, _ = samples["default"]
    new = load_card(None, (*TRUTH, *sets))
    if words is None:
        DarkNeutrinoProcess.reweighter(old, new, CHANNELS)
        return
    with pytest.raises(CardError, match=words.replace("[", r"\[").replace("]", r"\]")):
        DarkNeutrinoProcess.reweighter(old, new, CHANNELS)


def test_opening_a_mode_without_events_is_refused():
    old = load_card(None, (*TRUTH, "model.couplings.g_5a=0.0"))
    new = load_card(None, TRUTH)
    with pytest.raises(CardError, match="nu5 -> nu_light Z'"):
        DarkNeutrinoProcess.reweighter(old, new, CHANNELS)


def test_off_shell_chain_reweights_through_the_propagator_width():
    """M_Z' = 70 MeV > m5 - m4: nu5 -> nu4 e+e- through a virtual Z' whose width (and so
    the |M|^2 and BR) depends on the Z' couplings."""
    base = (*TRUTH, "model.mzprime=0.07", "physics.visible_modes=nu4")
    old = load_card(None, base)
    new = load_card(None, (*base, "model.couplings.cv_l=5e-4", "model.couplings.g_45=2e-2"))
    events = generate_array(old, n_events=60_000, seed=5, **FAST)
    w_new, _ = reweighted(events, old, new)
    assert float(w_new.sum()) == pytest.approx(rate(new)["total_events"], rel=0.01)


@pytest.mark.parametrize("base, sets", [
    # Majorana heavy neutrinos (g_R = -g_L in every heavy-neutrino vertex)
    ((*TRUTH, "model.heavy_neutrino=majorana", "model.couplings.g_5a=4e-3"),
     ("model.couplings.g_45=6e-3", "model.couplings.cv_l=6e-4")),
    # isotropic decays: the densities are the branching ratios alone
    ((*TRUTH, "physics.decay_correlations=isotropic", "physics.visible_modes=nu4",
      "model.couplings.g_5a=4e-3"), ("model.couplings.g_5a=8e-3", "model.couplings.ca_l=6e-4")),
    # off shell and isotropic: the cos theta* average of the unpolarised |M|^2
    ((*TRUTH, "model.mzprime=0.07", "physics.decay_correlations=isotropic",
      "physics.visible_modes=nu4"), ("model.couplings.cv_l=5e-4", "model.couplings.g_45=2e-2")),
])
def test_majorana_and_isotropic_points_reweight_to_the_rate(base, sets):
    old, new = load_card(None, base), load_card(None, (*base, *sets))
    events = generate_array(old, n_events=40_000, seed=4, **FAST)
    w_new, _ = reweighted(events, old, new)
    expected = rate(new)["total_events"]
    assert abs(expected / rate(old)["total_events"] - 1.0) > 0.02  # more than the tolerance
    assert float(w_new.sum()) == pytest.approx(expected, rel=0.01)


def test_nu4_decay_modes_follow_the_new_branching_ratios():
    """Off shell with nu4 decaying in the record (M_Z' < m4): the nu4's Z' picks its decay
    mode by BR; at the new couplings the reweighted share of e+e- is the new BR(Z' -> ee)."""
    base = (*TRUTH, "model.m4=0.08", "model.mzprime=0.05", "physics.visible_modes=nu4")
    old = load_card(None, base)
    new = load_card(None, (*base, "model.couplings.g_nu=3e-4", "model.couplings.cv_l=6e-4"))
    p_old, p_new = DarkNeutrinoProcess.from_card(old), DarkNeutrinoProcess.from_card(new)
    assert p_old.widths["regime"] == "off-shell" and p_old.nu4_decays
    events = generate_array(old, n_events=40_000, seed=4, **FAST)
    w_new, _ = reweighted(events, old, new)
    assert float(w_new.sum()) == pytest.approx(rate(new)["total_events"], rel=0.01)
    ee = np.asarray(events.particles.pdg[:, 10]) == 11
    br_old = p_old.widths["BR"]["Zprime_ee"]
    br_new = p_new.widths["BR"]["Zprime_ee"]
    assert br_new - br_old > 0.2
    assert float(w_new[ee].sum() / w_new.sum()) == pytest.approx(br_new, abs=0.01)


def test_numubar_events_reweight_like_their_cp_image_and_to_the_rate():
    """numubar events (the CP image of numu ones: same hypercube points, e+ and e-
    exchanged, beam -14) get the very factors of the numu events at a point where the
    decay density matters (axial C_A: e+/e- asymmetric Z' decays; g_p/g_n: the nucleon
    F1/F2 mix that sets the nu5 polarisation), and their reweighted sum is the numubar
    rate at the new couplings."""
    mono = ("flux.name=monochromatic", "flux.energy=0.4", "flux.flux=3e-10")
    base = (*SHARED, *mono)
    sets = ("model.couplings.g_45=6e-3", "model.couplings.ca_l=9e-4",
            "model.couplings.g_p=2e-3", "model.couplings.g_n=2e-4")
    factors = {}
    for flavour in ("numu", "numubar"):
        old = load_card(None, (*base, f"flux.flavour={flavour}"))
        new = load_card(None, (*base, f"flux.flavour={flavour}", *sets))
        events = generate_array(old, n_events=20_000, seed=8, **FAST)
        assert int(events.particles.pdg[0, 0]) == (14 if flavour == "numu" else -14)
        r, _ = DarkNeutrinoProcess.reweighter(old, new, CHANNELS).reweight(events)
        factors[flavour] = np.asarray(r)
        w_new = np.asarray(events.w) * factors[flavour]
        assert float(w_new.sum()) == pytest.approx(rate(new)["total_events"], rel=0.02)
    np.testing.assert_allclose(factors["numubar"], factors["numu"], rtol=1e-12)
    assert np.std(factors["numu"]) > 0.05  # the decay density and P move event by event
