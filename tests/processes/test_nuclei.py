"""Tests of processes/nuclei.py and of the channels a detector's material gives.

References are independent of zpgen: atomic masses typed in from AME2020 with CODATA 2018
constants, the spin-0 cross section on 40Ar integrated here with scipy from PHYSICS.md's
|M|^2 and a Helm form factor written out below, and the Fermi-gas Pauli factor of
PHYSICS.md evaluated here.  An argon detector (material {"Ar40": n}) runs through the
generator and its weights add up to POT x targets x flux x sigma x BR.
"""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest
from scipy import integrate
from zpgen.detectors.truth import TruthDetector
from zpgen.flux.monochromatic import MonochromaticFlux
from zpgen.processes import xsec
from zpgen.processes.couplings import physical_couplings
from zpgen.processes.dark_neutrino import CHANNEL_INFO, DarkNeutrinoProcess
from zpgen.processes.nuclei import NUCLEI
from zpgen.processes.widths import visible_branching_ratio

from zpgen.card import parse_card
from zpgen.generate import EventGenerator, GenerationError
from zpgen.registry import channel_targets

U_GEV = 0.93149410242  # atomic mass unit, CODATA 2018
M_E_GEV = 0.51099895000e-3  # CODATA 2018
M_P_GEV = 0.93827208816
GEV2_TO_CM2 = 0.3893793721e-27  # (hbar c)^2, PDG
HBARC_GEV_FM = 0.1973269804
#: AME2020 atomic masses (u)
ATOMIC_MASS_U = {"C12": 12.0, "O16": 15.99491461926, "Ar40": 39.96238312204}
Z_OF = {"C12": 6, "O16": 8, "Ar40": 18}


@pytest.mark.parametrize("name", ["C12", "O16", "Ar40"])
def test_nuclear_mass_is_atomic_minus_electrons(name):
    Z = Z_OF[name]
    nucleus = NUCLEI[name]
    bare = ATOMIC_MASS_U[name] * U_GEV - Z * M_E_GEV
    # electron binding: 1.03 keV for carbon, ~15 keV for argon; below 1e-6 of the mass
    assert 0.0 < nucleus.mass_GeV - bare < 2e-5
    assert nucleus.mass_GeV == pytest.approx(bare, rel=1e-6)
    assert nucleus.Z == Z and nucleus.N == nucleus.A - Z
    assert nucleus.pdg == 1000000000 + 10000 * Z + 10 * nucleus.A


def test_carbon_keeps_the_documented_mass():
    # PHYSICS.md, "Conventions": 11.17486 GeV; NIST binding 1030.1 eV
    expected = 12.0 * U_GEV - 6 * M_E_GEV + 1030.1e-9
    assert NUCLEI["C12"].mass_GeV == pytest.approx(expected, abs=2e-8)
    assert NUCLEI["H1"].mass_GeV == pytest.approx(M_P_GEV, rel=1e-8)  # CODATA 2018 vs 2022


def test_fermi_momenta_and_binding_are_the_cited_values():
    # Moniz et al. 1971 Table I (C, Ca -> Ar) and Smith-Moniz values for O
    assert (NUCLEI["C12"].k_fermi_GeV, NUCLEI["C12"].binding_GeV) == (0.221, 0.025)
    assert (NUCLEI["Ar40"].k_fermi_GeV, NUCLEI["Ar40"].binding_GeV) == (0.251, 0.028)
    assert (NUCLEI["O16"].k_fermi_GeV, NUCLEI["O16"].binding_GeV) == (0.225, 0.027)


def test_channels_follow_the_material():
    process = DarkNeutrinoProcess.from_card(parse_card(None))
    assert process.channels({"Ar40": 1.0}) == ("Ar40_coherent", "Ar40_proton", "Ar40_neutron")
    assert process.channels({"H1": 2.0, "O16": 1.0}) == (
        "H1_proton", "O16_coherent", "O16_proton", "O16_neutron")
    with pytest.raises(ValueError, match=r"no nuclear data for 'Xe131'.*known nuclei: H1, "
                                         r"C12, O16, Ar40"):
        process.channels({"Xe131": 1.0})


def test_channel_info_of_argon():
    coh, p, n = (CHANNEL_INFO[f"Ar40_{k}"] for k in ("coherent", "proton", "neutron"))
    assert coh.target_pdg == coh.nucleus_pdg == 1000180400 and coh.targets_per_nucleus == 1
    assert (p.target_pdg, p.targets_per_nucleus, p.remnant_pdg) == (2212, 18, 1000170390)
    assert (n.target_pdg, n.targets_per_nucleus, n.remnant_pdg) == (2112, 22, 1000180390)
    assert p.bound and n.bound and not coh.bound
    assert coh.nucleus == p.nucleus == "Ar40"
    ids = [info.process_id for info in CHANNEL_INFO.values()]
    assert len(set(ids)) == len(ids)
    assert all(150 <= info.process_id < 200 for name, info in CHANNEL_INFO.items()
               if name.endswith("coherent"))


class ArgonDetector(TruthDetector):
    """A liquid-argon sphere of the truth detector's size: material 40Ar only."""

    def material(self):
        mass_g = self.fiducial_mass_t * 1e6
        n_atoms = mass_g / 39.96238312204 * 6.02214076e23
        return {"Ar40": n_atoms}


def test_channel_targets_count_nucleons_per_nucleus():
    process = DarkNeutrinoProcess.from_card(parse_card(None))
    det = ArgonDetector()
    names, targets = channel_targets(process, det)
    n_ar = det.material()["Ar40"]
    assert names == ("Ar40_coherent", "Ar40_proton", "Ar40_neutron")
    assert targets == {"Ar40_coherent": n_ar, "Ar40_proton": 18 * n_ar,
                       "Ar40_neutron": 22 * n_ar}


def _helm(q_GeV, A):
    """Helm form factor, Lewin-Smith parameters (PHYSICS.md), written out here."""
    c = 1.23 * A ** (1.0 / 3.0) - 0.60
    a, s = 0.52, 0.9
    r_n = math.sqrt(c * c + 7.0 / 3.0 * math.pi**2 * a * a - 5.0 * s * s)
    x = q_GeV * r_n / HBARC_GEV_FM
    j = 1.0 - x * x / 10.0 if x < 1e-4 else 3.0 * (math.sin(x) - x * math.cos(x)) / x**3
    return j * math.exp(-0.5 * (q_GeV * s / HBARC_GEV_FM) ** 2)


def test_argon_coherent_cross_section_by_quadrature():
    card = parse_card(None)
    pc = physical_couplings(card.model)
    params = xsec.channel_params("Ar40_coherent", pc, card.physics)
    M = NUCLEI["Ar40"].mass_GeV
    m5, mz = pc.m5, pc.mzprime
    Q = 18 * pc.g_p + 22 * pc.g_n
    G = pc.g_mu5
    for E in (0.3, 1.0, 2.5):
        s = M * M + 2 * M * E
        # t range: CM momenta in and out
        p_in = (s - M * M) / (2 * math.sqrt(s))
        E5 = (s + m5 * m5 - M * M) / (2 * math.sqrt(s))
        p_out = math.sqrt(E5 * E5 - m5 * m5)
        t_hi = (m5 * m5 - 2 * p_in * E5 + 2 * p_in * p_out)
        t_lo = (m5 * m5 - 2 * p_in * E5 - 2 * p_in * p_out)

        def dsdt(t, E=E, s=s):
            u = 2 * M * M + m5 * m5 - s - t
            q3 = math.sqrt(t * t / (4 * M * M) - t)
            F = _helm(q3, 40)
            msq = (G * Q * F) ** 2 / (t - mz * mz) ** 2 * (
                (s - u) ** 2 - (4 * M * M - t) * (m5 * m5 - t))
            return msq / (64 * math.pi * M * M * E * E) * GEV2_TO_CM2

        ref, _ = integrate.quad(dsdt, t_lo, t_hi, epsrel=1e-10, limit=200,
                                points=[-(mz * mz)] if t_lo < -mz * mz < t_hi else None)
        assert xsec.sigma(E, params) == pytest.approx(ref, rel=2e-5), E


def test_argon_bound_nucleons_are_pauli_blocked_with_argon_k_fermi():
    card = parse_card(None)
    free = parse_card(None, ["physics.nucleon_model=free"])
    pc = physical_couplings(card.model)
    for kind in ("proton", "neutron"):
        bound_params = xsec.channel_params(f"Ar40_{kind}", pc, card.physics)
        free_params = xsec.channel_params(f"Ar40_{kind}", pc, free.physics)
        M = bound_params[xsec.I_M]
        E = 1.0
        t_min, t_max = xsec.t_range(E, M, pc.m5)
        for t in np.linspace(t_min, t_max, 7)[1:-1]:
            q3 = math.sqrt(t * t / (4 * M * M) - t)
            x = q3 / (2 * 0.251)
            pauli = 1.5 * x - 0.5 * x**3 if x < 1 else 1.0
            ratio = xsec.dsigma_dt(E, t, bound_params) / xsec.dsigma_dt(E, t, free_params)
            assert ratio == pytest.approx(pauli, rel=1e-12)


def test_paper_options_are_refused_off_carbon():
    for override in ("physics.coherent_form_factor=paper", "physics.nucleon_model=paper"):
        card = parse_card(None, [override])
        pc = physical_couplings(card.model)
        with pytest.raises(ValueError, match=r"12C model \(eq\. 24\).*Ar40"):
            xsec.channel_params("Ar40_coherent", pc, card.physics)
        xsec.channel_params("C12_coherent", pc, card.physics)  # accepted on carbon


def test_argon_detector_runs_through_the_generator():
    card = parse_card(None, ["flux.name=monochromatic", "flux.energy=1.0",
                             "detector.name=truth"])
    det = ArgonDetector()
    flux = MonochromaticFlux(1.0, flux=2.5e-10)
    gen = EventGenerator(card, n_events=4000, detector_plugin=det, flux=flux, seed=3)
    events = ak.concatenate(list(gen.chunks()))
    pc = physical_couplings(card.model)
    br = visible_branching_ratio(pc, modes=card.physics.visible_modes)
    n_ar = det.material()["Ar40"]
    per_nucleus = {"Ar40_coherent": 1, "Ar40_proton": 18, "Ar40_neutron": 22}
    assert list(gen.summary.channels) == list(per_nucleus)
    channel = np.asarray(events["channel"])
    w = np.asarray(events["w"])
    for k, (name, count) in enumerate(per_nucleus.items()):
        sigma = xsec.sigma(1.0, xsec.channel_params(name, pc, card.physics))
        expected = det.pot * count * n_ar * 2.5e-10 * sigma * br
        got = w[channel == k].sum()
        assert got == pytest.approx(expected, rel=0.03), name
    nuclei = {int(p) for p in np.asarray(events["particles"]["pdg"][:, 1])}
    assert nuclei <= {1000180400, 2212, 2112}


def test_unknown_nucleus_is_refused_before_any_work():
    class XenonDetector(TruthDetector):
        def material(self):
            return {"Xe131": 1e30}

    with pytest.raises(GenerationError, match=r"no nuclear data for 'Xe131'"):
        EventGenerator(parse_card(None, ["detector.name=truth"]), n_events=10,
                       detector_plugin=XenonDetector())


def test_ch2_material_gives_the_four_channels_of_the_paper():
    # PHYSICS.md, "The process": per CH2, one 12C nucleus (6 p, 6 n) and two free protons
    process = DarkNeutrinoProcess.from_card(parse_card(None))
    det = TruthDetector()
    names, targets = channel_targets(process, det)
    n_ch2 = det.material()["C12"]
    assert det.material()["H1"] == 2 * n_ch2
    assert names == tuple(xsec.CHANNELS)
    assert targets == {"C12_coherent": n_ch2, "C12_proton": 6 * n_ch2,
                       "C12_neutron": 6 * n_ch2, "H1_proton": 2 * n_ch2}
