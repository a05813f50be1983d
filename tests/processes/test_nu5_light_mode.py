"""nu5 -> nu_light Z' -> nu_light e+ e- (mode B) next to the nu4 chain (mode A).

``physics.visible_modes = "all"`` generates both visible nu5 decays, choosing the mode per
event with probabilities BR_A/(BR_A + BR_B) and BR_B/(BR_A + BR_B); ``"nu4"`` only the nu4
chain (PHYSICS.md "Event rate").  References here come from ``widths(pc)`` partial widths
(BR_A, BR_B multiplied out in the test, the nu5 -> nu Z' width checked against the
PHYSICS.md closed form), ``xsec.sigma`` and scipy quad, the PHYSICS.md asymmetry alpha with
m_j = 0 and an explicit boost of the lab four-vectors.
"""

from __future__ import annotations

import json
import math

import awkward as ak
import numpy as np
import pytest
from scipy import integrate
from zpgen.flux.monochromatic import MonochromaticFlux
from zpgen.processes import widths as W
from zpgen.processes import xsec
from zpgen.processes.couplings import physical_couplings
from zpgen.processes.dark_neutrino import PDG_NU4, PDG_NU5, PDG_ZPRIME, DarkNeutrinoProcess

from zpgen.card import parse_card
from zpgen.cli import main
from zpgen.generate import generate
from zpgen.registry import load_plugin

from .test_dark_neutrino import (
    _helicity_angles,
    alpha_physics_md,
    longitudinal_fraction,
    mdot,
    weighted_mean,
)

FAST = {"nitn": 5, "neval": 8000, "nitn_final": 2}
E0 = 1.0
MONO = ("flux.name=monochromatic", f"flux.energy={E0}", "flux.flux=3e-10",
        "detector.name=truth")
PDG_LIGHT = 14
#: Status codes of real particles (beam, target, final, decayed).
STATUSES = {4, 20, 1, 2}


def card(*overrides):
    return parse_card(None, list(overrides))


def brs_from_widths(pc):
    """(BR_A, BR_B) multiplied out from the partial widths of widths(pc)."""
    w = W.widths(pc)
    br_zee = w["Zprime"]["ee"] / w["Zprime"]["total"]
    if w["regime"] == "on-shell":
        br_a = w["nu5"]["nu4_Zprime"] / w["nu5"]["total"] * br_zee
    else:
        br_a = w["nu5"]["nu4_ee"] / w["nu5"]["total"]
    # PHYSICS.md: Gamma(nu_i -> nu_j Z'), m_j = 0, Dirac P_L (g_R = 0)
    m5, M, g = pc.m5, pc.mzprime, pc.g_5a
    gamma_b = (m5**2 - M**2) / (32 * math.pi * m5**3) * g * g * (m5**4 / M**2 + m5**2
                                                                  - 2 * M**2)
    assert w["nu5"]["nu_Zprime"] == pytest.approx(gamma_b, rel=1e-12)
    return br_a, gamma_b / w["nu5"]["total"] * br_zee


def monochromatic_sums(c, n=100_000):
    stream = generate(c, n_events=n, detector=False, min_per_channel=20_000, **FAST)
    events = ak.concatenate(list(stream))
    ch = ak.to_numpy(events.channel)
    wx = ak.to_numpy(events.w_xsec)
    sums = stream.summary.sigma_flux_avg()
    return [(wx[ch == k].sum(), sums[name][1]) for k, name in enumerate(xsec.CHANNELS)], events


@pytest.mark.parametrize("modes", ["all", "nu4"])
def test_off_shell_point_sum_is_sigma_times_both_brs(modes):
    """M_Z' = 80 MeV (nu4 chain off shell, nu5 -> nu Z' open): sum w_xsec per channel =
    sigma(E0) (BR_A + BR_B) with "all", sigma(E0) BR_A with "nu4"."""
    c = card(*MONO, "model.mzprime=0.08", f"physics.visible_modes={modes}")
    pc = physical_couplings(c.model)
    br_a, br_b = brs_from_widths(pc)
    assert br_b > 1e3 * br_a  # the test has power: mode B dominates here
    br = br_a + br_b if modes == "all" else br_a
    sums, events = monochromatic_sums(c)
    for (total, err), name in zip(sums, xsec.CHANNELS, strict=True):
        expected = xsec.sigma(E0, xsec.channel_params(name, pc, c.physics)) * br
        assert abs(total - expected) < 4.5 * err, (name, total, expected, err)
        assert 0 < err / expected < 0.01
    light = ak.to_numpy(events.particles.pdg[:, 4]) == PDG_LIGHT
    if modes == "nu4":
        assert not light.any()
    else:  # p_B = BR_B/(BR_A + BR_B) = 0.9999
        assert abs(light.mean() - br_b / (br_a + br_b)) < 5e-4


@pytest.mark.parametrize(("overrides", "wmodes"), [
    ((), 1),                                      # p_B = 3e-4: VEGAS integrand = mode A / p_A
    (("model.couplings.g_5a=3e-3",), 0),          # p_B ~ 0.2: exact average D_A + D_B
    (("model.mzprime=0.08",), 2),                 # p_A ~ 1e-4: mode B / p_B
    (("model.mzprime=0.08", "physics.decay_correlations=isotropic"), 2),
])
def test_integrand_and_event_weights_have_the_same_mean(overrides, wmodes):
    """Uniform points: mean of the VEGAS integrand ch(x) and of the event weights f(x, u) =
    Phi sigma(E0) (BR_A + BR_B), BRs multiplied out from widths(pc)."""
    from zpgen.processes import decay_chain as dc

    c = card(*overrides)
    pc = physical_couplings(c.model)
    br_a, br_b = brs_from_widths(pc)
    process = DarkNeutrinoProcess.from_card(c)
    flux = MonochromaticFlux(E0, flux=3e-10)
    ch = process.channel("H1_proton", flux)
    assert ch.dp["weights_mode"][0] == wmodes
    rng = np.random.default_rng(17)
    x = rng.random((100_000, ch.dim))
    expected = flux.flux * xsec.sigma(E0, ch.cp) * (br_a + br_b)
    f_int = ch(x)
    f_ev = ch.events(x, rng.random((100_000, ch.n_aux))).f
    checks = [f_int, f_ev]
    if wmodes == dc.WEIGHTS_BOTH:  # p_B ~ 0.2: either mode alone, divided by its probability
        for forced in (dc.WEIGHTS_MODE_A, dc.WEIGHTS_MODE_B):
            ch.dp["weights_mode"] = forced
            checks.append(ch(x))
    for f in checks:
        err = f.std() / math.sqrt(f.size)
        assert abs(f.mean() - expected) < 4.5 * err, (f.mean(), expected, err)
        assert err / expected < 0.02


def _mode_fraction(c, n_batches, n=200_000, seed=7):
    """Weighted fraction of mode-B events (uniform hypercube points, C12_coherent)."""
    process = DarkNeutrinoProcess.from_card(c)
    ch = process.channel("C12_coherent", MonochromaticFlux(E0, flux=3e-10))
    rng = np.random.default_rng(seed)
    w_all, is_b = [], []
    for _ in range(n_batches):
        ev = ch.events(rng.random((n, ch.dim)), rng.random((n, ch.n_aux)))
        w_all.append(ev.f)
        is_b.append(ev.pdg[:, 4] == PDG_LIGHT)
    w = np.concatenate(w_all)
    b = np.concatenate(is_b).astype(float)
    return weighted_mean(b, w), process


@pytest.mark.parametrize("overrides", [(), ("model.couplings.g_5a=3e-3",)])
def test_mode_b_weight_fraction_on_shell(overrides):
    """Default card (on shell): the weight fraction of nu5 -> nu_light Z' events is
    BR_B/(BR_A + BR_B) = 3e-4 (and about 0.2 with a larger g_5a)."""
    c = card(*overrides)
    pc = physical_couplings(c.model)
    br_a, br_b = brs_from_widths(pc)
    (frac, err), process = _mode_fraction(c, 5 if not overrides else 1)
    expected = br_b / (br_a + br_b)
    assert process.br_nu4 == pytest.approx(br_a, rel=1e-12)
    assert process.br_nu_light == pytest.approx(br_b, rel=1e-12)
    assert abs(frac - expected) < 4 * err, (frac, expected, err)
    assert err < 0.1 * expected
    nu4_only = DarkNeutrinoProcess.from_card(card(*overrides, "physics.visible_modes=nu4"))
    assert nu4_only.br_nu_light == 0.0 and nu4_only.br_visible == pytest.approx(br_a)


@pytest.mark.parametrize("overrides", [("model.couplings.g_5a=3e-2", "model.nu4_decays=false"),
                                       ("model.mzprime=0.08",)])
def test_mode_b_kinematics(overrides):
    """Mode-B events: four-momentum conservation, m(e+e-) = M_Z', massless final light
    neutrino in slot 4 (pdg 14, status 1, mother nu5), 8 particles, no nu4."""
    process = DarkNeutrinoProcess.from_card(card(*overrides))
    pc = process.pc
    ch = process.channel("C12_coherent", MonochromaticFlux(E0, flux=3e-10))
    rng = np.random.default_rng(5)
    ev = ch.events(rng.random((20_000, ch.dim)), rng.random((20_000, ch.n_aux)))
    b = ev.pdg[:, 4] == PDG_LIGHT
    assert b.sum() > 1000
    P = ev.momenta[b][:, :8]
    status = np.asarray(ev.status)[b][:, :8]
    assert np.all(status == [4, 20, 2, 1, 1, 2, 1, 1])
    assert np.all(ev.pdg[b][:, [2, 5, 6, 7]] == [PDG_NU5, PDG_ZPRIME, 11, -11])
    assert not np.any(ev.pdg[b] == PDG_NU4)
    if ev.counts is not None:
        assert np.all(ev.counts[b] == 8)
    initial = P[:, 0] + P[:, 1]
    final = P[:, status[0] == 1].sum(axis=1)
    assert np.all(np.abs(final - initial) <= 1e-9 * initial[:, :1])
    np.testing.assert_allclose(P[:, 2], P[:, 4] + P[:, 5], rtol=0, atol=1e-12)
    np.testing.assert_allclose(P[:, 5], P[:, 6] + P[:, 7], rtol=0, atol=1e-12)
    ee = P[:, 6] + P[:, 7]
    np.testing.assert_allclose(np.sqrt(mdot(ee, ee)), pc.mzprime, rtol=1e-7)
    assert np.all(np.abs(mdot(P[:, 4], P[:, 4])) < 1e-9 * P[:, 4, 0] ** 2)
    np.testing.assert_allclose(np.sqrt(mdot(P[:, 2], P[:, 2])), pc.m5, rtol=1e-7)
    # the Z' of mode B is on shell and flies (c tau_Z' of the widths) before it decays
    V = ev.vertices[b]
    assert np.all(V[:, 6] == V[:, 7]) and np.any(V[:, 6] != V[:, 5])


@pytest.mark.parametrize("majorana", [False, True])
@pytest.mark.parametrize("mz", [0.03, 0.08])
def test_mode_b_spin_asymmetry_and_polarisation(majorana, mz):
    """nu5 -> nu_light Z': dGamma/dcos ~ 1 + alpha P cos with alpha = PHYSICS.md's alpha at
    m_j = 0 (Dirac; 0 for Majorana), P = -1 along the nu5 flight direction; the e- in the Z'
    frame follows the longitudinal fraction of nu5 -> nu Z' with a massless daughter."""
    over = ["model.nu4_decays=false", f"model.mzprime={mz}"]
    if mz < 0.05:
        over.append("model.couplings.g_5a=3e-2")  # make mode B frequent on shell
    if majorana:
        over.append("model.heavy_neutrino=majorana")
    process = DarkNeutrinoProcess.from_card(card(*over))
    pc = process.pc
    ch = process.channel("C12_coherent", MonochromaticFlux(E0, flux=3e-10))
    rng = np.random.default_rng(11)
    ev = ch.events(rng.random((200_000, ch.dim)), rng.random((200_000, ch.n_aux)))
    b = ev.pdg[:, 4] == PDG_LIGHT
    assert b.sum() > 50_000

    class Sub:
        momenta = ev.momenta[b]

    cz, cs = _helicity_angles(Sub)
    slope, err = weighted_mean(3.0 * cz, ev.f[b])
    alpha = 0.0 if majorana else alpha_physics_md(pc.m5, 0.0, pc.mzprime)
    if not majorana:
        assert alpha == pytest.approx(W.decay_asymmetry(pc.m5, 0.0, pc.mzprime), rel=1e-12)
        assert alpha == pytest.approx(W.asymmetry(pc, "nu5_nu"), rel=1e-12)
    assert abs(slope - (-alpha)) < 4 * err + 1e-3
    if mz == 0.03 and not majorana:
        assert alpha > 0.5  # the test has power
    c2, err2 = weighted_mean(cs**2, ev.f[b])
    f_L = longitudinal_fraction(pc.m5, 0.0, pc.mzprime, 1.0, -1.0 if majorana else 0.0)
    assert abs(c2 - (2.0 - f_L) / 5.0) < 4 * err2 + 2e-3


@pytest.mark.parametrize("detector", [False, True])
def test_no_padding_particles_in_output_chunks(detector):
    """g_5a = 3e-3 (p_B ~ 0.2): nu4 decays (12 particles) and nu5 -> nu_light Z' (8 particles)
    mix in every chunk; no chunk holds a pdg-0 or padding particle, mothers point inside
    the event."""
    c = card("model.couplings.g_5a=3e-3", "detector.name=miniboone")
    stream = generate(c, n_events=6000, chunk_size=2500, detector=detector, **FAST)
    n_light = 0
    for chunk in stream:
        p = chunk.particles
        pdg = ak.to_numpy(ak.flatten(p.pdg))
        status = ak.to_numpy(ak.flatten(p.status))
        assert np.all(pdg != 0)
        assert set(np.unique(status)) <= STATUSES
        counts = ak.to_numpy(ak.num(p, axis=1))
        light = ak.to_numpy(p.pdg[:, 4]) == PDG_LIGHT
        assert np.all(counts[light] == 8) and np.all(counts[~light] == 12)
        assert light.any() and (~light).any()
        n_light += int(light.sum())
        mother = p.mother
        assert ak.all(mother < ak.num(p, axis=1))
        # a light-neutrino event has exactly one e+ e- pair and no nu4
        assert np.all(ak.to_numpy(ak.sum(p.pdg[light] == 11, axis=1)) == 1)
        assert not ak.any(p.pdg[light] == PDG_NU4)
        E = ak.to_numpy(ak.flatten(p.E))
        assert np.all(E > 0)
        if detector:
            assert "E_vis" in chunk.fields
    assert n_light > 1000


def test_output_files_keep_the_jagged_events(tmp_path, capsys):
    """A Parquet file of a mixed run: per-event particle counts survive."""
    out = tmp_path / "run.parquet"
    assert main(["generate", "-n", "3000", "-o", str(out), "-q", "--set",
                 "model.couplings.g_5a=3e-3", "--set", "detector.name=truth"]) == 0
    events = ak.from_parquet(out)
    counts = ak.to_numpy(ak.num(events.particles, axis=1))
    light = ak.to_numpy(events.particles.pdg[:, 4]) == PDG_LIGHT
    assert light.any() and np.all(counts[light] == 8) and np.all(counts[~light] == 12)
    assert np.all(ak.to_numpy(ak.flatten(events.particles.pdg)) != 0)


def _rate_json(capsys, *overrides):
    argv = ["rate", "--json"]
    for o in overrides:
        argv += ["--set", o]
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("modes", ["all", "nu4"])
def test_rate_cli_follows_the_switch(capsys, modes):
    """zpgen rate at M_Z' = 80 MeV: events = POT n_T (BR_A + BR_B) int Phi sigma dE with the
    integral by scipy quad per flux bin (independent of processes.rate)."""
    overrides = ("model.mzprime=0.08", f"physics.visible_modes={modes}")
    out = _rate_json(capsys, *overrides)
    c = card(*overrides)
    pc = physical_couplings(c.model)
    br_a, br_b = brs_from_widths(pc)
    br = br_a + br_b if modes == "all" else br_a
    assert out["BR_visible"] == pytest.approx(br, rel=1e-9)
    assert out["visible_modes"] == modes
    assert out["BR_visible_parts"]["nu5_nu4"] == pytest.approx(br_a, rel=1e-9)
    assert out["BR_visible_parts"]["nu5_nu_light"] == pytest.approx(
        br_b if modes == "all" else 0.0, rel=1e-9)
    flux = load_plugin("flux", c.flux["name"]).from_options(c.flux)
    det = load_plugin("detector", c.detector["name"]).from_options(c.detector)
    edges, density = np.asarray(flux.edges), np.asarray(flux.density)
    total = 0.0
    n_c, n_h = det.material()["C12"], det.material()["H1"]  # CH2: 6 p, 6 n per 12C
    by_hand = {"C12_coherent": n_c, "C12_proton": 6 * n_c, "C12_neutron": 6 * n_c,
               "H1_proton": n_h}
    for channel, n_t in by_hand.items():
        params = xsec.channel_params(channel, pc, c.physics)
        e_th = xsec.threshold(params[xsec.I_M], pc.m5)
        folded = 0.0
        for lo, hi, phi in zip(edges[:-1], edges[1:], density, strict=True):
            if hi <= e_th or phi == 0:
                continue
            val, _ = integrate.quad(xsec.sigma, max(lo, e_th), hi, args=(params,), epsrel=1e-8)
            folded += phi * val
        expected = det.pot * n_t * folded * br
        assert out["events"][channel] == pytest.approx(expected, rel=1e-5)
        total += expected
    assert out["total_events"] == pytest.approx(total, rel=1e-5)


def test_rate_ratio_all_over_nu4_at_80_mev(capsys):
    """The nu4-only rate at 80 MeV is ~1e4 times smaller (the reason for the switch)."""
    all_ = _rate_json(capsys, "model.mzprime=0.08")["total_events"]
    nu4 = _rate_json(capsys, "model.mzprime=0.08", "physics.visible_modes=nu4")["total_events"]
    assert all_ / nu4 > 1e3
    default = _rate_json(capsys)
    assert default["visible_modes"] == "all"
    # on the default card mode B adds BR_B/BR_A ~ 3e-4
    pc = physical_couplings(card().model)
    br_a, br_b = brs_from_widths(pc)
    assert default["BR_visible"] == pytest.approx(br_a + br_b, rel=1e-9)
