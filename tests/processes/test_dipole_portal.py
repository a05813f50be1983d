"""The dipole_portal process plugin: card, refusals, channels and the events it makes
(PHYSICS.md, "Beyond the seed"; zpgen.processes.dipole_portal).

Events are checked against the process's own validated kernels (tests/processes/
test_dipole_xsec.py checks those against explicit spinors) and against closed forms:
four-momentum at both vertices, the N and photon mass shells, the displaced vertex along
the N flight with mean (|p|/m) c tau, the sum of weights against a quadrature of sigma over
the flux, the photon asymmetry (1 + alpha P.n, alpha = -1 for nu and +1 for nubar, 0 for a
Majorana N summed), Dirac against Majorana.
"""

from __future__ import annotations

import math
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
from scipy import integrate
from zpgen.processes import dipole_xsec as dx
from zpgen.processes.charge_density import charge_from_density, fourier_bessel_terms
from zpgen.processes.dipole_portal import DipolePortalProcess, channel_params
from zpgen.processes.form_factors import helm
from zpgen.processes.nuclei import NUCLEI

from zpgen import constants
from zpgen.card import CardError, explain, parse_card
from zpgen.cli import main
from zpgen.generate import GenerationError, generate_array
from zpgen.registry import Channel, Process, channel_targets, load_plugin

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "dipole_portal.toml"
CARD = """\
[run]
seed = 7
n_events = 4000

[process]
name = "dipole_portal"

[model]
m_N = 0.2
d = 1e-6
nature = "dirac"

[detector]
name = "truth"
"""
FAST = {"nitn": 4, "neval": 4000, "nitn_final": 2}
PDG_N = 9900012


def card(*sets, text=CARD):
    return parse_card(text, list(sets))


# ---------------------------------------------------------------------- card and plugin
def test_plugin_is_registered_and_satisfies_the_protocols(capsys):
    assert load_plugin("process", "dipole_portal") is DipolePortalProcess
    process = DipolePortalProcess.from_card(card())
    assert isinstance(process, Process)
    flux = load_plugin("flux", "miniboone_bnb").from_options({})
    assert isinstance(process.channel("C12_coherent", flux), Channel)
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "dipole_portal" in out and "dark_neutrino" in out


def test_the_example_card_is_valid_and_states_its_source():
    text = EXAMPLE.read_text(encoding="utf-8")
    c = parse_card(text)
    assert c.process.name == "dipole_portal"
    assert (c.model.m_N, c.model.d) == (0.394, 3.6e-7)
    assert "Vergani" in text and "2105.06470" in text


def test_card_explain_documents_the_dipole_fields():
    text = explain("dipole_portal")
    assert "model.d [GeV^-1]" in text and "mu_B" in text
    assert "model.m_N [GeV]" in text and "physics.coherent_form_factor" in text
    assert "mzprime" not in text


@pytest.mark.parametrize(("sets", "message"), [
    (["model.d=0"], r"^model\.d: must be > 0\.0 GeV\^-1, got 0\.0$"),
    (["model.d=-1e-6"], r"^model\.d: must be > 0\.0 GeV\^-1, got -1e-06$"),
    (["model.d=2.0"], r"^model\.d: must be <= 1\.0 GeV\^-1, got 2\.0$"),
    (["model.m_N=0"], r"^model\.m_N: must be > 0\.0 GeV, got 0\.0$"),
    (["model.flavour=\"tau\""], r"^model\.flavour: unknown value 'tau'.* Valid names: mu, e\.$"),
    (["model.nature=\"weyl\""], r"^model\.nature: unknown value 'weyl'"),
    (["physics.nucleon_model=\"paper\""], r"^physics\.nucleon_model: unknown value 'paper'"),
    (["model.mzprime=0.03"], r"^model\.mzprime: unknown key"),
])
def test_bad_fields_name_the_field_and_its_range(sets, message):
    with pytest.raises(CardError, match=message):
        card(*sets)


def test_missing_d_is_refused():
    with pytest.raises(CardError, match=r"^model\.d: required key is missing"):
        card(text=CARD.replace("d = 1e-6\n", ""))


def test_bad_input_on_the_command_line_is_one_line_before_any_work(tmp_path, capsys):
    path = tmp_path / "dipole.toml"
    path.write_text(CARD, encoding="utf-8")
    out = tmp_path / "x.root"
    cases = [
        (["--set", "model.d=-1e-6"], "model.d: must be > 0.0 GeV^-1, got -1e-06"),
        (["--set", "flux.flavour=\"nue\""],
         "flux.flavour: 'nue' is not modelled by the dipole_portal process, which takes a "
         "numu or numubar beam only"),
        (["--set", "model.flavour=\"e\""],
         "flux.flavour: 'numu' is not modelled by the dipole_portal process, which takes a "
         "nue or nuebar beam only"),
    ]
    for sets, message in cases:
        assert main(["generate", str(path), "-q", "-o", str(out), *sets]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"zpgen generate: error: {message}"), err
        assert "\n" not in err
        assert not out.exists()


class _IronDetector:
    """A detector whose material the process has no nuclear data for."""

    name = "iron"
    pot = 1e20

    def material(self):
        return {"Fe56": 1e30}


def test_a_nucleus_without_data_is_refused_naming_it():
    process = DipolePortalProcess.from_card(card())
    with pytest.raises(ValueError, match=r"^detector material: no nuclear data for 'Fe56' in "
                                         r"the dipole_portal process; known nuclei: H1, C12, "
                                         r"O16, Ar40"):
        channel_targets(process, _IronDetector())
    with pytest.raises(GenerationError, match="no nuclear data for 'Fe56'"):
        generate_array(card(), n_events=10, detector_plugin=_IronDetector(), **FAST)


def test_the_dark_neutrino_commands_refuse_a_dipole_card(tmp_path, capsys):
    path = tmp_path / "dipole.toml"
    path.write_text(CARD, encoding="utf-8")
    assert main(["xsec", str(path)]) == 2
    assert "the card's process is 'dipole_portal'" in capsys.readouterr().err


# ---------------------------------------------------------------------- channels
def test_channels_of_ch2_and_argon():
    process = DipolePortalProcess.from_card(card())
    assert process.channels({"C12": 1.0, "H1": 2.0}) == (
        "C12_coherent", "C12_proton", "C12_neutron", "H1_proton")
    assert process.channels({"Ar40": 1.0}) == ("Ar40_coherent", "Ar40_proton", "Ar40_neutron")
    info = process.channel_info("Ar40_neutron")
    assert (info.targets_per_nucleus, info.bound, info.target_pdg) == (22, True, 2112)
    ids = {process.channel_info(n).process_id for n in process.channels(
        {"C12": 1, "H1": 1, "O16": 1, "Ar40": 1})}
    assert len(ids) == 10


def test_fourier_bessel_table_holds_the_nuclear_charge():
    """The tabulated densities integrate to Z (a check of the copied numbers)."""
    for name in ("C12", "O16", "Ar40"):
        assert charge_from_density(name) == pytest.approx(NUCLEI[name].Z, rel=1e-3)
    with pytest.raises(ValueError, match="no Fourier-Bessel charge density for 'H1'"):
        fourier_bessel_terms("H1")


def test_fourier_bessel_form_factor_against_its_density_by_quadrature():
    """F(q) of the kernel = int rho j0(qr) r^2 dr / int rho r^2 dr of the tabulated density;
    the density's rms radius is 12C's charge radius 2.4702(22) fm (Angeli and Marinova,
    At. Data Nucl. Data Tables 99 (2013) 69); Helm (Lewin-Smith) agrees to 1 % at q = 50 MeV."""
    c = card("physics.coherent_form_factor=\"fourier_bessel\"")
    p = channel_params("C12_coherent", c.model, c.physics)
    R, a = fourier_bessel_terms("C12")

    def rho(r):  # np.sinc(x) = sin(pi x)/(pi x)
        return sum(av * np.sinc((v + 1) * r / R) for v, av in enumerate(a))

    norm = integrate.quad(lambda r: rho(r) * r * r, 0, R, limit=200)[0]
    for q in (0.01, 0.1, 0.3, 0.5):
        num = integrate.quad(lambda r, q=q: rho(r) * np.sinc(q * r / np.pi) * r * r, 0, R,
                             limit=400)[0]
        assert dx.fourier_bessel(q, p) == pytest.approx(num / norm, rel=1e-7, abs=1e-10)
    r2 = integrate.quad(lambda r: rho(r) * r**4, 0, R, limit=200)[0] / norm
    assert math.sqrt(r2) * constants.HBARC_GEV_CM * 1e13 == pytest.approx(2.4702, abs=0.01)
    r_n, s = NUCLEI["C12"].helm_GeV_inv
    assert dx.fourier_bessel(0.05, p) == pytest.approx(helm(0.05, r_n, s), rel=1e-2)


def test_majorana_and_dirac_share_the_cross_section_and_differ_in_width():
    dirac = DipolePortalProcess.from_card(card())
    maj = DipolePortalProcess.from_card(card("model.nature=\"majorana\""))
    assert maj.width == pytest.approx(2 * dirac.width, rel=1e-15)
    assert dirac.width == pytest.approx(1e-12 * 0.2**3 / (4 * math.pi), rel=1e-15)
    assert dirac.ctau_cm == pytest.approx(constants.HBARC_GEV_CM / dirac.width, rel=1e-15)
    for name in ("C12_coherent", "H1_proton"):
        assert np.array_equal(channel_params(name, dirac.model, dirac.physics),
                              channel_params(name, maj.model, maj.physics))
    assert dirac.info()["photon_asymmetry"] == -1.0 and maj.info()["photon_asymmetry"] == 0.0
    assert dirac.particles()[PDG_N].width_GeV == dirac.width


# ---------------------------------------------------------------------- events
def events_of(*sets, n=6000, seed=11):
    return generate_array(card(*sets), n_events=n, seed=seed, **FAST)


def particle(events, slot):
    p = events.particles
    return {f: ak.to_numpy(p[f][:, slot]) for f in ("pdg", "E", "px", "py", "pz", "x", "y",
                                                    "z", "t")}


def four(part):
    return np.column_stack([part["E"], part["px"], part["py"], part["pz"]])


def mass2(p):
    return p[:, 0] ** 2 - (p[:, 1:] ** 2).sum(axis=1)


@pytest.fixture(scope="module")
def dirac_events():
    return events_of()


def test_events_conserve_four_momentum_and_sit_on_their_mass_shells(dirac_events):
    ev = dirac_events
    beam, target, n, recoil, nu, gamma = (four(particle(ev, s)) for s in range(6))
    scale = beam[:, :1].max()
    np.testing.assert_allclose(n + recoil, beam + target, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(nu + gamma, n, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(np.sqrt(mass2(n)), 0.2, rtol=1e-9)
    assert np.all(np.abs(mass2(gamma)) < 1e-12) and np.all(np.abs(mass2(nu)) < 1e-12)
    assert set(ak.to_numpy(ak.flatten(ev.particles.pdg)).tolist()) <= {
        14, 1000060120, 2212, 2112, PDG_N, 22}
    assert np.array_equal(ak.to_numpy(ev.particles.status[0]), [4, 20, 2, 1, 1, 1])
    assert np.array_equal(ak.to_numpy(ev.particles.mother[0]), [-1, -1, -1, -1, 2, 2])


def test_decay_vertex_lies_along_the_n_flight_with_mean_beta_gamma_c_tau(dirac_events):
    ev = dirac_events
    n, nu, gamma = particle(ev, 2), particle(ev, 4), particle(ev, 5)
    start = np.column_stack([n["x"], n["y"], n["z"]])
    end = np.column_stack([nu["x"], nu["y"], nu["z"]])
    np.testing.assert_array_equal(end, np.column_stack([gamma["x"], gamma["y"], gamma["z"]]))
    flight = end - start
    p = four(n)
    pabs = np.linalg.norm(p[:, 1:], axis=1)
    L = np.linalg.norm(flight, axis=1)
    np.testing.assert_allclose(np.cross(flight, p[:, 1:]), 0.0, atol=1e-9 * L.max() * pabs.max())
    ctau = DipolePortalProcess.from_card(card()).ctau_cm
    scaled = L / (pabs / 0.2 * ctau)  # exponential with mean 1
    assert scaled.mean() == pytest.approx(1.0, abs=4.0 / math.sqrt(scaled.size))
    time_ns = nu["t"] - n["t"]
    np.testing.assert_allclose(time_ns, L * p[:, 0] / pabs / (constants.C_LIGHT_CM_S * 1e-9),
                               rtol=1e-9)


def test_sum_of_weights_is_pot_targets_flux_and_sigma(dirac_events):
    """sum w per channel = POT x targets x int Phi sigma dE (scipy quad of the validated
    sigma over each flux bin), within 4 of the run's own uncertainties."""
    c = card()
    process = DipolePortalProcess.from_card(c)
    flux = load_plugin("flux", "miniboone_bnb").from_options({})
    detector = load_plugin("detector", "truth").from_options({})
    names, targets = channel_targets(process, detector)
    ev = dirac_events
    channel = ak.to_numpy(ev.channel)
    w = ak.to_numpy(ev.w)
    for i, name in enumerate(names):
        params = channel_params(name, c.model, c.physics)
        e_th = dx.threshold(params[dx.I_M], params[dx.I_MN])
        folded = 0.0
        for lo, hi, phi in zip(flux.edges[:-1], flux.edges[1:], flux.density, strict=True):
            lo = max(lo, e_th)
            if hi > lo and phi > 0:
                folded += phi * integrate.quad(lambda e, p=params: dx.sigma(e, p), lo, hi,
                                               epsrel=1e-7)[0]
        expected = detector.pot * targets[name] * folded
        got = w[channel == i]
        err = got.std() * math.sqrt(got.size)
        assert abs(got.sum() - expected) < 4 * err + 1e-3 * expected, (name, got.sum(), expected)


def photon_cos_to_polarisation(ev, params_of):
    """Per event: (n_gamma . P_vec in the N rest frame, |P_vec|^2, nu pdg)."""
    beam, n, recoil = particle(ev, 0), four(particle(ev, 2)), four(particle(ev, 3))
    gamma = four(particle(ev, 5))
    channel = ak.to_numpy(ev.channel)
    out = np.empty(len(ev))
    size2 = np.empty(len(ev))
    t = ak.to_numpy(ev.t)
    for i in range(len(ev)):
        P = np.array(dx.polarisation(beam["E"][i], t[i], params_of[channel[i]], n[i].copy(),
                                     recoil[i].copy()))
        b = n[i, 1:] / n[i, 0]
        g = 1 / math.sqrt(1 - b @ b)
        bg = b @ gamma[i, 1:]
        q_rest = gamma[i, 1:] + (g * g / (g + 1) * bg - g * gamma[i, 0]) * b
        out[i] = (q_rest / np.linalg.norm(q_rest)) @ P
        size2[i] = P @ P
    return out, size2, particle(ev, 4)["pdg"]


@pytest.mark.parametrize("nature", ["dirac", "majorana", "isotropic"])
def test_photon_asymmetry_follows_the_polarisation(nature, dirac_events):
    """<n.P> = alpha <|P|^2>/3 for a density (1 + alpha P.n): alpha = -1 for nu, +1 for nubar
    (a Majorana N: half each, 0 in all), 0 with decay_correlations = isotropic.  Unweighted
    means over the generated events (the decay is sampled exactly, independent of w)."""
    sets = {"dirac": (), "majorana": ("model.nature=\"majorana\"",),
            "isotropic": ("physics.decay_correlations=\"isotropic\"",)}[nature]
    ev = dirac_events if nature == "dirac" else events_of(*sets)
    c = card(*sets)
    process = DipolePortalProcess.from_card(c)
    names = process.channels({"C12": 1.0, "H1": 2.0})
    params_of = [channel_params(n, c.model, c.physics) for n in names]
    cos, size2, nu_pdg = photon_cos_to_polarisation(ev, params_of)
    assert size2.mean() > 0.5  # mostly polarised at BNB energies
    for sign in (14, -14):
        sel = nu_pdg == sign
        if nature != "majorana" and sign == -14:
            assert not sel.any()
            continue
        assert 0.4 * len(ev) < sel.sum() or nature != "majorana"
        alpha = 0.0 if nature == "isotropic" else (-1.0 if sign == 14 else 1.0)
        err = cos[sel].std() / math.sqrt(sel.sum())
        assert cos[sel].mean() == pytest.approx(alpha * size2[sel].mean() / 3, abs=4 * err)
    if nature == "majorana":
        assert abs(cos.mean()) < 4 * cos.std() / math.sqrt(cos.size)
        assert abs((nu_pdg == -14).mean() - 0.5) < 4 * 0.5 / math.sqrt(cos.size)


def test_dirac_photons_are_softer_than_isotropic_ones(dirac_events):
    """Helicity +1/2 and alpha = -1: the photon goes backward in the N frame, so its lab
    energy is lower than with isotropic decays (the signature the issue asks to keep)."""
    iso = events_of("physics.decay_correlations=\"isotropic\"")
    e_dirac = np.average(particle(dirac_events, 5)["E"], weights=ak.to_numpy(dirac_events.w))
    e_iso = np.average(particle(iso, 5)["E"], weights=ak.to_numpy(iso.w))
    assert e_dirac < 0.9 * e_iso
