"""Detector plugins: targets, vertices, observables, smearing, one-ring cut, efficiency.

Reference values are computed here independently (hand-typed molar mass, two-body
kinematics solved numerically, analytic resolution formulas, the raw efficiency table).
"""

from __future__ import annotations

import json
import math
from importlib import resources

import awkward as ak
import numpy as np
import pytest
from scipy import optimize, stats
from zpgen.detectors.miniboone import MiniBooNEDetector
from zpgen.detectors.truth import TruthDetector

from zpgen.card import CardError
from zpgen.registry import Detector, load_plugin

M_E = 0.51099895e-3  # GeV, typed here on purpose: independent of zpgen.constants
M_P = 0.93827208816
M_N = 0.93956542052
DEG = math.pi / 180.0


def perfect_miniboone(**extra) -> MiniBooNEDetector:
    """MiniBooNE with no smearing: its reconstructed observables are the true ones."""
    return MiniBooNEDetector.from_options({"energy_stochastic": 0.0, "energy_constant": 0.0,
                                           "angle_resolution_deg": 0.0, **extra})


# ------------------------------------------------------------------ plugins and targets
@pytest.mark.parametrize("name", ["truth", "miniboone"])
def test_plugins_satisfy_the_protocol(name):
    detector = load_plugin("detector", name).from_options({"name": name})
    assert isinstance(detector, Detector)
    assert detector.pot == 18.75e20


def test_target_counts_match_hand_calculation():
    detector = MiniBooNEDetector.from_options({})
    # CH2 formula mass from atomic masses: 12C = 12 u exactly, 1H = 1.00782503 u
    molar_mass = 12.0 + 2 * 1.00782503  # g/mol
    n_ch2 = 818e6 * (500.0 / 610.6) ** 3 / molar_mass * 6.02214076e23
    material = detector.material()
    assert set(material) == {"C12", "H1"}
    assert material["C12"] == pytest.approx(n_ch2, rel=1e-8)
    assert material["H1"] == pytest.approx(2 * n_ch2, rel=1e-8)
    # whole tank: the paper's n = 3.5174e31 CH2 for 818 t
    whole = MiniBooNEDetector.from_options({"fiducial_radius_cm": 610.6}).material()
    assert whole["C12"] == pytest.approx(818e6 / molar_mass * 6.02214076e23, rel=1e-8)
    assert whole["C12"] == pytest.approx(3.5174e31, rel=2e-3)
    assert detector.fiducial_mass_t == pytest.approx(449.2, abs=0.1)


def test_targets_scale_with_options():
    small = TruthDetector.from_options({"fiducial_radius_cm": 250.0, "tank_mass_t": 409.0})
    ref = TruthDetector.from_options({})
    assert small.material()["H1"] == pytest.approx(ref.material()["H1"] / 16, rel=1e-12)


# ------------------------------------------------------------------ vertices
def test_vertices_uniform_in_fiducial_sphere(pair_chunk):
    n = 20_000
    chunk = pair_chunk(np.full(n, 0.3), np.zeros(n), np.zeros(n),
                       np.full(n, 0.2), np.full(n, 0.1), np.zeros(n))
    placed = MiniBooNEDetector.from_options({}).place(chunk, np.random.default_rng(11))
    x, y, z = (np.asarray(placed[f"vtx_{a}"]) for a in "xyz")
    radius = np.sqrt(x**2 + y**2 + z**2)
    assert radius.max() <= 500.0
    # uniform in volume: (r/R)^3 and cos(polar) are uniform
    assert stats.kstest((radius / 500.0) ** 3, "uniform").pvalue > 1e-3
    assert stats.kstest((z / radius + 1) / 2, "uniform").pvalue > 1e-3
    assert stats.kstest((np.arctan2(y, x) + np.pi) / (2 * np.pi), "uniform").pvalue > 1e-3
    # every particle moved by the vertex
    for axis in "xyz":
        shifted = placed["particles"][axis] - placed[f"vtx_{axis}"]
        assert ak.all(abs(shifted - chunk["particles"][axis]) < 1e-9)
    assert ak.all(placed["particles"]["E"] == chunk["particles"]["E"])


# ------------------------------------------------------------------ true observables
def test_truth_observables_of_a_known_pair(make_chunk):
    E_minus, E_plus, half_angle = 0.3, 0.1, 10 * DEG
    chunk = make_chunk([[(11, E_minus, half_angle, 0.0), (-11, E_plus, half_angle, math.pi)]])
    out = TruthDetector.from_options({}).respond(chunk, np.random.default_rng(0))
    p_m, p_p = math.sqrt(E_minus**2 - M_E**2), math.sqrt(E_plus**2 - M_E**2)
    # momenta in the x-z plane at +-10 degrees
    px = p_m * math.sin(half_angle) - p_p * math.sin(half_angle)
    pz = (p_m + p_p) * math.cos(half_angle)
    m2 = (E_minus + E_plus) ** 2 - px**2 - pz**2
    assert out["E_vis"][0] == pytest.approx(0.4, rel=1e-12)
    assert out["cos_theta"][0] == pytest.approx(pz / math.hypot(px, pz), rel=1e-12)
    assert out["theta_ee_deg"][0] == pytest.approx(20.0, rel=1e-9)
    assert out["m_ee"][0] == pytest.approx(math.sqrt(m2), rel=1e-9)
    assert out["asymmetry"][0] == pytest.approx(0.5, rel=1e-12)
    assert out["w_eff"][0] == 1.0 and bool(out["passes"][0])


def test_leading_pair_and_all_leptons_in_E_vis(make_chunk):
    # two pairs: the leading e- (0.5) and e+ (0.3) make theta_ee; E_vis sums all four
    chunk = make_chunk([[(11, 0.05, 1.0, 0.0), (11, 0.5, 0.0, 0.0),
                         (-11, 0.3, 30 * DEG, 0.0), (-11, 0.02, 2.0, 1.0)]])
    out = TruthDetector.from_options({}).respond(chunk, np.random.default_rng(0))
    assert out["E_vis"][0] == pytest.approx(0.87, rel=1e-12)
    assert out["theta_ee_deg"][0] == pytest.approx(30.0, rel=1e-9)
    assert out["asymmetry"][0] == pytest.approx(0.2 / 0.8, rel=1e-12)


def test_E_QE_matches_two_body_kinematics(make_chunk):
    E_B = 0.034
    m_bound = M_N - E_B
    E_nu, theta = 0.7, 35 * DEG

    def energy_balance(E_e):  # nu + n(M_n - E_B, at rest) -> e- + p
        p_e = math.sqrt(E_e**2 - M_E**2)
        p_proton2 = E_nu**2 + p_e**2 - 2 * E_nu * p_e * math.cos(theta)
        return E_nu + m_bound - E_e - math.sqrt(M_P**2 + p_proton2)

    E_e = optimize.brentq(energy_balance, 0.01, E_nu)
    chunk = make_chunk([[(11, E_e, theta, 0.3)]])
    for detector in (TruthDetector.from_options({"binding_energy_GeV": E_B}),
                     perfect_miniboone(binding_energy_GeV=E_B)):
        out = detector.respond(chunk, np.random.default_rng(0))
        assert out["E_QE"][0] == pytest.approx(E_nu, rel=1e-9)
        assert out["E_vis"][0] == pytest.approx(E_e, rel=1e-12)
        assert math.isnan(out["theta_ee_deg"][0])


# ------------------------------------------------------------------ smearing
def test_energy_and_angle_smearing_widths(pair_chunk):
    n = 40_000
    E_true = 0.5
    chunk = pair_chunk(np.full(n, E_true), np.full(n, 0.4), np.zeros(n),
                       np.full(n, E_true), np.full(n, 0.4), np.full(n, math.pi))
    detector = MiniBooNEDetector.from_options({"angle_resolution_deg": 2.0})
    out = detector.respond(chunk, np.random.default_rng(5))
    # E_vis of two independent leptons: sigma = sqrt(2) * E * (0.12/sqrt(E) (+) 0.01)
    sigma_single = E_true * math.hypot(0.12 / math.sqrt(E_true), 0.01)
    measured = np.std(np.asarray(out["E_vis"]) - 2 * E_true)
    assert measured == pytest.approx(math.sqrt(2) * sigma_single, rel=0.02)
    assert np.mean(np.asarray(out["E_vis"])) == pytest.approx(2 * E_true, abs=3e-3)
    # opening angle: true 0.8 rad; each lepton turned by a 2-deg 2D Gaussian: the
    # in-plane components add, so theta_ee spreads by sqrt(2) * 2 deg
    spread = np.std(np.asarray(out["theta_ee_deg"]) - 0.8 / DEG)
    assert spread == pytest.approx(math.sqrt(2) * 2.0, rel=0.03)
    # truth columns untouched
    np.testing.assert_allclose(np.asarray(out["true_E_vis"]), 2 * E_true, rtol=1e-12)


def test_response_is_reproducible_and_uses_the_rng(pair_chunk):
    n = 100
    chunk = pair_chunk(np.full(n, 0.4), np.full(n, 0.2), np.zeros(n),
                       np.full(n, 0.3), np.full(n, 0.3), np.ones(n))
    detector = MiniBooNEDetector.from_options({})
    a = detector.respond(chunk, np.random.default_rng(42))
    b = detector.respond(chunk, np.random.default_rng(42))
    c = detector.respond(chunk, np.random.default_rng(43))
    assert ak.all(a["E_vis"] == b["E_vis"])
    assert not ak.all(a["E_vis"] == c["E_vis"])


# ------------------------------------------------------------------ one ring
@pytest.mark.parametrize(("leptons", "expected"), [
    ([(11, 0.3, 0.0, 0.0), (-11, 0.2, 10 * DEG, 0.0)], True),    # collimated
    ([(11, 0.3, 0.0, 0.0), (-11, 0.2, 16 * DEG, 0.0)], False),   # open, both hard
    ([(11, 0.3, 0.0, 0.0), (-11, 0.02, 60 * DEG, 0.0)], True),   # open, soft e+
    ([(11, 0.029, 0.0, 0.0), (-11, 0.5, 90 * DEG, 0.0)], True),  # open, soft e-
    ([(11, 0.3, 0.0, 0.0)], True),                               # single electron
    ([], False),                                                 # nothing visible
])
def test_one_ring_classification(make_chunk, leptons, expected):
    out = perfect_miniboone().respond(make_chunk([leptons]), np.random.default_rng(0))
    assert bool(out["one_ring"][0]) is expected
    assert bool(out["passes"][0]) is expected


def test_one_ring_thresholds_are_parameters(make_chunk):
    chunk = make_chunk([[(11, 0.3, 0.0, 0.0), (-11, 0.2, 16 * DEG, 0.0)]])
    wide = perfect_miniboone(opening_angle_deg=20.0).respond(chunk, np.random.default_rng(0))
    soft = perfect_miniboone(soft_threshold_GeV=0.25).respond(chunk, np.random.default_rng(0))
    assert bool(wide["one_ring"][0]) and bool(soft["one_ring"][0])


def test_empty_chunk(make_chunk):
    chunk = make_chunk([[(11, 0.3, 0.0, 0.0)]])[:0]
    out = MiniBooNEDetector.from_options({}).respond(chunk, np.random.default_rng(0))
    assert len(out) == 0 and "w_eff" in out.fields


# ------------------------------------------------------------------ efficiency
def test_efficiency_fit_reproduces_the_published_points(miniboone_data):
    table = np.loadtxt(miniboone_data / "efficiency" / "eg_effs.dat", comments="#")
    E_GeV, eff, err = table[:, 0] / 1e3, table[:, 1], table[:, 2]
    fitted = MiniBooNEDetector.from_options({}).efficiency(E_GeV)
    measured = err > 0
    pulls = (fitted[measured] - eff[measured]) / err[measured]
    assert np.mean(pulls**2) < 1.0
    assert np.all(np.abs(pulls) < 2.0)
    assert fitted[~measured] == pytest.approx(0.0, abs=0.01)


def test_efficiency_is_bounded_and_vanishes_outside_the_table():
    efficiency = MiniBooNEDetector.from_options({}).efficiency
    grid = np.linspace(0.0, 20.0, 4001)
    values = efficiency(grid)
    assert np.all((values >= 0.0) & (values <= 1.0))
    assert efficiency(np.array([0.0, 0.02]))[0] < 1e-3
    assert efficiency(np.array([3.0, 10.0])).max() < 1e-3
    assert 0.1 < values[(grid > 0.3) & (grid < 0.4)].max() < 0.2


def test_w_eff_removes_the_fiducial_acceptance_of_the_table(make_chunk, miniboone_data):
    table = np.loadtxt(miniboone_data / "efficiency" / "eg_effs.dat", comments="#")
    row = np.flatnonzero(table[:, 0] == 450)[0]  # 450 MeV
    E_gen = table[row, 0] / 1e3
    chunk = make_chunk([[(11, E_gen, 0.1, 0.0)]])
    detector = perfect_miniboone()
    out = detector.respond(chunk, np.random.default_rng(0))
    # published efficiency per tank event; the fiducial sphere holds (500/610.6)^3 of them
    per_fiducial = table[row, 1] / (500.0 / 610.6) ** 3
    assert out["w_eff"][0] == pytest.approx(per_fiducial, abs=table[row, 2] / 0.549)
    off = perfect_miniboone(apply_efficiency=False).respond(chunk, np.random.default_rng(0))
    assert off["w_eff"][0] == 1.0


def test_w_eff_is_zero_outside_500_cm_for_a_larger_fiducial_volume(pair_chunk):
    n = 20_000
    chunk = pair_chunk(np.full(n, 0.3), np.zeros(n), np.zeros(n),
                       np.full(n, 0.01), np.full(n, 0.5), np.zeros(n))
    tank = perfect_miniboone(fiducial_radius_cm=610.6)
    rng = np.random.default_rng(9)
    out = tank.respond(tank.place(chunk, rng), rng)
    radius = np.sqrt(sum(np.asarray(out[f"vtx_{a}"]) ** 2 for a in "xyz"))
    w_eff = np.asarray(out["w_eff"])
    assert np.all(w_eff[radius > 500.0] == 0.0)
    assert np.all(w_eff[radius <= 500.0] > 0.0)
    # averaged over the tank, the efficiency is the published (per tank event) one
    published = tank.efficiency(np.asarray(out["true_E_vis"]))
    assert w_eff.mean() == pytest.approx(published.mean(), rel=0.03)


def test_efficiency_json_is_package_data():
    text = resources.files("zpgen.detectors").joinpath("data", "efficiency_fit.json").read_text(
        encoding="utf-8")
    fit = json.loads(text)
    assert fit["chi2_per_ndf"] < 1.0
    assert fit["data_fiducial_fraction"] == pytest.approx((500 / 610.6) ** 3)


# ------------------------------------------------------------------ bad options
@pytest.mark.parametrize(("name", "options", "field", "fragment"), [
    ("miniboone", {"fiducial_radius_cm": 700.0}, "detector.fiducial_radius_cm", "<= 610.6"),
    ("miniboone", {"fiducial_radius_cm": -1.0}, "detector.fiducial_radius_cm", "> 0.0"),
    ("miniboone", {"fiducial_radius": 400.0}, "detector.fiducial_radius",
     "did you mean 'fiducial_radius_cm'"),
    ("miniboone", {"pot": "lots"}, "detector.pot", "expected a number"),
    ("miniboone", {"apply_efficiency": 1}, "detector.apply_efficiency", "true or false"),
    ("miniboone", {"angle_resolution_deg": -3.0}, "detector.angle_resolution_deg", ">= 0.0"),
    ("truth", {"energy_stochastic": 0.1}, "detector.energy_stochastic", "unknown key"),
    ("truth", {"tank_mass_t": 0.0}, "detector.tank_mass_t", "> 0.0 t"),
])
def test_bad_options_name_the_field(name, options, field, fragment):
    with pytest.raises(CardError) as info:
        load_plugin("detector", name).from_options(options)
    assert str(info.value).startswith(field + ":")
    assert fragment in str(info.value)


def test_committed_efficiency_json_is_reproduced_by_the_fit_script(miniboone_data):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "validation" / "fit_efficiency.py"
    spec = importlib.util.spec_from_file_location("fit_efficiency", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.fit(miniboone_data / "efficiency" / "eg_effs.dat")
    stored = json.loads(resources.files("zpgen.detectors").joinpath(
        "data", "efficiency_fit.json").read_text(encoding="utf-8"))
    for name, value in stored["parameters"].items():
        assert result["parameters"][name] == pytest.approx(value, rel=1e-4, abs=1e-6)


def test_leptons_produced_outside_the_tank_are_invisible(make_chunk):
    """A second pair from a nu4 decay 1e10 cm downstream does not enter E_vis."""
    chunk = make_chunk([[(11, 0.3, 0.1, 0.0), (-11, 0.2, 0.1, math.pi),
                         (11, 0.4, 0.0, 0.0), (-11, 0.4, 0.0, 0.0)]])
    particles = chunk["particles"]
    far = np.zeros(len(ak.flatten(particles["z"])))
    far[-2:] = 1e10
    z = ak.unflatten(far, ak.num(particles))
    chunk = ak.with_field(chunk, ak.with_field(particles, z, "z"), "particles")
    for detector in (TruthDetector.from_options({}), MiniBooNEDetector.from_options({})):
        out = detector.respond(chunk, np.random.default_rng(0))
        assert out["true_E_vis" if "true_E_vis" in out.fields else "E_vis"][0] == (
            pytest.approx(0.5, rel=1e-12))


def test_events_without_visible_leptons_have_float_observables(make_chunk):
    """A block in which no event has a visible e+ or e- (another process, or decays outside
    the tank) gets float64 observables like any other block: E_vis = 0, NaN pair
    observables, not selected; the columns keep one type across the blocks of a run."""
    chunk = make_chunk([[], []])
    for detector in (TruthDetector.from_options({}), MiniBooNEDetector.from_options({})):
        out = detector.respond(chunk, np.random.default_rng(0))
        for name in ("E_vis", "cos_theta", "theta_ee_deg", "m_ee", "asymmetry", "E_QE"):
            assert ak.to_numpy(out[name]).dtype == np.float64, (detector.name, name)
        assert np.all(ak.to_numpy(out["E_vis"]) == 0.0)
        assert np.all(np.isnan(ak.to_numpy(out["m_ee"])))
    assert not ak.any(out["passes"])
    assert ak.to_numpy(out["true_E_vis"]).dtype == np.float64
