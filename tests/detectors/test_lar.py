"""The liquid-argon TPCs ``microboone``, ``sbnd``, ``icarus`` (``detectors/lar.py`` and the
three plugin modules).

Independent references: the targets are recomputed here from the published active
dimensions (typed in below, not read from the plugins) as rho x V / m(40Ar) with the
atomic mass unit and 40Ar's atomic mass typed in; the active masses are compared with the
tonnages the collaborations publish (MicroBooNE 85 t, JINST 12 (2017) P02017; SBND 112 t,
arXiv:1503.01520; ICARUS 476 t, NIM A 527 (2004) 329).  Smearing widths, vertex
distributions and merging are checked statistically or on hand-built events.
"""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest
from scipy import stats
from zpgen.detectors._common import Leptons
from zpgen.detectors.icarus import ICARUSDetector
from zpgen.detectors.lar import LAR_DENSITY_G_CM3, SELECTIONS, LArTPC, count_showers
from zpgen.detectors.microboone import MicroBooNEDetector
from zpgen.detectors.sbnd import SBNDDetector

from zpgen.card import CardError
from zpgen.registry import Detector, available, channel_targets, load_plugin

DEG = math.pi / 180.0
NAMES = ("microboone", "sbnd", "icarus")
#: 1 u in g (CODATA 2018) and the atomic mass of 40Ar in u (AME2020).
U_GRAM = 1.66053906660e-24
M_AR40_U = 39.9623831237
#: Published active dimensions (cm) and the number of identical boxes.
PUBLISHED = {
    "microboone": ((256.0, 233.0, 1037.0), 1),   # JINST 12 (2017) P02017
    "sbnd": ((400.0, 400.0, 500.0), 1),          # arXiv:1503.01520
    "icarus": ((150.0, 316.0, 1795.0), 4),       # four TPCs of 1.5 x 3.16 x 17.95 m
}
#: Published active argon masses (t), the docstrings' sources.
PUBLISHED_TONNES = {"microboone": 85.0, "sbnd": 112.0, "icarus": 476.0}
#: Default fiducial margins (cm): x faces of every box (module for ICARUS), y, up, down.
MARGINS = (10.0, 10.0, 10.0, 50.0)
DEFAULT_POT = {"microboone": 6.86e20, "sbnd": 6.6e20, "icarus": 6.6e20}


def detector(name: str, **options) -> LArTPC:
    return load_plugin("detector", name).from_options({"name": name, **options})


def perfect(name: str = "sbnd", **options) -> LArTPC:
    """No smearing: reconstructed showers are the true ones."""
    return detector(name, energy_stochastic=0.0, energy_constant=0.0,
                    angle_resolution_deg=0.0, **options)


def shower_chunk(events, vertex=(0.0, 0.0, 0.0)):
    """Events of final-state showers ``[(pdg, E, polar, azimuth), ...]`` produced at
    ``vertex`` (detector frame, cm) behind a beam nu_mu (status 4)."""
    rows = []
    for showers in events:
        parts = [{"pdg": 14, "status": 4, "mother": -1, "E": 1.0, "px": 0.0, "py": 0.0,
                  "pz": 1.0, "x": vertex[0], "y": vertex[1], "z": vertex[2], "t": 0.0}]
        for pdg, E, polar, azimuth in showers:
            mass = 0.0 if pdg == 22 else 0.51099895e-3
            p = math.sqrt(E * E - mass * mass)
            parts.append({"pdg": pdg, "status": 1, "mother": 0, "E": E,
                          "px": p * math.sin(polar) * math.cos(azimuth),
                          "py": p * math.sin(polar) * math.sin(azimuth),
                          "pz": p * math.cos(polar), "x": vertex[0], "y": vertex[1],
                          "z": vertex[2], "t": 0.0})
        rows.append({"w": 1.0, "w_xsec": 1e-40, "channel": 0, "E_nu": 1.0, "t": -1e-3,
                     "particles": parts})
    chunk = ak.Array(rows)
    particles = chunk["particles"]
    for field in ("pdg", "status", "mother"):
        particles = ak.with_field(particles, ak.values_astype(particles[field], np.int32),
                                  field)
    return ak.with_field(chunk, particles, "particles")


def pair_at(angle_deg: float, E1: float = 0.3, E2: float = 0.2) -> list:
    """An e- along z and an e+ at ``angle_deg`` from it."""
    return [(11, E1, 0.0, 0.0), (-11, E2, angle_deg * DEG, 0.0)]


# ------------------------------------------------------------------ plugins
@pytest.mark.parametrize("name", NAMES)
def test_plugins_satisfy_the_protocol_and_are_listed(name):
    assert name in available("detector")
    det = detector(name)
    assert isinstance(det, Detector) and isinstance(det, LArTPC)
    assert det.name == name
    assert det.pot == DEFAULT_POT[name]
    assert set(det.material()) == {"Ar40"}


# ------------------------------------------------------------------ targets
@pytest.mark.parametrize("name", NAMES)
def test_targets_are_rho_times_the_fiducial_volume_over_m_ar40(name):
    (dx, dy, dz), boxes = PUBLISHED[name]
    mx, my, up, down = MARGINS
    v_fid = boxes * (dx - 2 * mx) * (dy - 2 * my) * (dz - up - down)
    if name == "icarus":  # two modules of two TPCs: the x margins cut each 3 m module
        v_fid = 2 * (2 * dx - 2 * mx) * (dy - 2 * my) * (dz - up - down)
    expected = LAR_DENSITY_G_CM3 * v_fid / (M_AR40_U * U_GRAM)
    det = detector(name)
    assert det.material()["Ar40"] == pytest.approx(expected, rel=1e-6)
    assert det.fiducial_mass_t == pytest.approx(LAR_DENSITY_G_CM3 * v_fid * 1e-6, rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_active_mass_matches_the_published_tonnage(name):
    (dx, dy, dz), boxes = PUBLISHED[name]
    det = detector(name)
    assert det.active_volume_cm3 == pytest.approx(boxes * dx * dy * dz, rel=1e-12)
    # the box at rho = 1.3954 g/cm^3 against the collaborations' rounded tonnage:
    # MicroBooNE 86.3 t vs "85 t" (1.5 %), SBND 111.6 vs 112, ICARUS 474.9 vs 476
    assert det.active_mass_t == pytest.approx(PUBLISHED_TONNES[name], rel=0.02)


def test_targets_scale_with_the_margins():
    zero = detector("sbnd", margin_x_cm=0.0, margin_y_cm=0.0, margin_upstream_cm=0.0,
                    margin_downstream_cm=0.0)
    assert zero.fiducial_volume_cm3 == pytest.approx(zero.active_volume_cm3, rel=1e-12)
    wide = detector("sbnd", margin_x_cm=50.0, margin_y_cm=100.0, margin_upstream_cm=0.0,
                    margin_downstream_cm=100.0)
    ratio = wide.material()["Ar40"] / zero.material()["Ar40"]
    assert ratio == pytest.approx((300 / 400) * (200 / 400) * (400 / 500), rel=1e-12)


def test_channel_targets_of_the_z_prime_process_on_argon():
    """The default Z' process scatters coherently on 40Ar, on 18 protons and 22 neutrons."""
    from zpgen.processes.dark_neutrino import DarkNeutrinoProcess

    from zpgen.card import parse_card

    process = DarkNeutrinoProcess.from_card(parse_card(None, ["detector.name=microboone"]))
    det = detector("microboone")
    names, targets = channel_targets(process, det)
    n = det.material()["Ar40"]
    assert set(names) == {"Ar40_coherent", "Ar40_proton", "Ar40_neutron"}
    assert targets["Ar40_coherent"] == pytest.approx(n)
    assert targets["Ar40_proton"] == pytest.approx(18 * n)
    assert targets["Ar40_neutron"] == pytest.approx(22 * n)


class _Xenon(SBNDDetector):
    """A detector whose nucleus no process has data for."""

    def material(self):
        return {"Xe131": 1e30}


@pytest.mark.parametrize("process_name", ["dark_neutrino", "dipole_portal"])
def test_a_nucleus_without_data_is_refused_naming_it(process_name):
    from pathlib import Path

    from zpgen.card import parse_card

    example = Path(__file__).resolve().parents[2] / "examples" / "dipole_portal.toml"
    text = example.read_text(encoding="utf-8") if process_name == "dipole_portal" else None
    card = parse_card(text)
    process = load_plugin("process", process_name).from_card(card)
    with pytest.raises(ValueError, match="Xe131"):
        channel_targets(process, _Xenon())


# ------------------------------------------------------------------ vertices
@pytest.mark.parametrize("name", NAMES)
def test_vertices_uniform_in_the_fiducial_volume(name):
    n = 20_000
    det = detector(name)
    placed = det.place(shower_chunk([pair_at(20.0)] * n), np.random.default_rng(17))
    x, y, z = (np.asarray(placed[f"vtx_{a}"]) for a in "xyz")
    boxes = det.fiducial
    in_box = np.zeros((len(boxes), n), dtype=bool)
    for k, b in enumerate(boxes):
        in_box[k] = ((b.x[0] <= x) & (x <= b.x[1]) & (b.y[0] <= y) & (y <= b.y[1])
                     & (b.z[0] <= z) & (z <= b.z[1]))
    assert np.all(in_box.sum(axis=0) == 1)  # every vertex in exactly one fiducial box
    for k, b in enumerate(boxes):
        sel = in_box[k]
        for values, (lo, hi) in ((x[sel], b.x), (y[sel], b.y), (z[sel], b.z)):
            assert stats.kstest((values - lo) / (hi - lo), "uniform").pvalue > 1e-3
    if len(boxes) > 1:  # ICARUS: the two equal modules share the vertices binomially
        assert stats.binomtest(int(in_box[0].sum()), n, 0.5).pvalue > 1e-3
    # every particle moved by its event's vertex
    for axis in "xyz":
        assert ak.all(abs(placed["particles"][axis] - placed[f"vtx_{axis}"]) < 1e-9)


def test_vertex_test_would_fail_for_a_wrong_distribution():
    """The KS test above has power: a vertex density rising along z is caught."""
    rng = np.random.default_rng(3)
    skewed = np.sqrt(rng.random(20_000))
    assert stats.kstest(skewed, "uniform").pvalue < 1e-6


# ------------------------------------------------------------------ visibility
def test_showers_outside_the_active_volume_are_invisible():
    det = perfect("microboone")
    inside = det.respond(shower_chunk([pair_at(30.0)]), np.random.default_rng(0))
    outside = det.respond(shower_chunk([pair_at(30.0)], vertex=(0.0, 0.0, 600.0)),
                          np.random.default_rng(0))
    assert inside["n_showers"][0] == 2 and inside["true_E_vis"][0] == pytest.approx(0.5)
    assert outside["n_showers"][0] == 0 and outside["true_E_vis"][0] == 0.0
    # ICARUS: the gap between the two modules (x = 0) is not active
    gap = perfect("icarus").respond(shower_chunk([pair_at(30.0)]), np.random.default_rng(0))
    assert gap["n_showers"][0] == 0
    module = perfect("icarus").respond(shower_chunk([pair_at(30.0)], vertex=(200.0, 0, 0)),
                                       np.random.default_rng(0))
    assert module["n_showers"][0] == 2


def test_photons_are_showers():
    det = perfect()
    out = det.respond(shower_chunk([[(22, 0.4, 0.0, 0.0)]]), np.random.default_rng(0))
    assert out["n_showers"][0] == 1 and out["E_vis"][0] == pytest.approx(0.4)


# ------------------------------------------------------------------ smearing
def test_energy_smearing_width_is_the_stated_resolution():
    n, E = 20_000, 0.5
    chunk = shower_chunk([[(11, E, 0.0, 0.0)]] * n)
    det = detector("sbnd", angle_resolution_deg=0.0)
    out = det.respond(chunk, np.random.default_rng(5))
    e = np.asarray(out["E_vis"])
    sigma = E * math.hypot(0.03 / math.sqrt(E), 0.01)  # ICARUS T600: 3 %/sqrt(E) (+) 1 %
    assert np.std(e) == pytest.approx(sigma, rel=0.03)
    assert np.mean(e) == pytest.approx(E, abs=4 * sigma / math.sqrt(n))
    assert stats.kstest((e - E) / sigma, "norm").pvalue > 1e-3
    np.testing.assert_allclose(np.asarray(out["true_E_vis"]), E, rtol=1e-12)
    # a stated resolution is what the card sets: 10 %/sqrt(E) widens it accordingly
    wider = detector("sbnd", energy_stochastic=0.10, angle_resolution_deg=0.0)
    e10 = np.asarray(wider.respond(chunk, np.random.default_rng(5))["E_vis"])
    assert np.std(e10) == pytest.approx(E * math.hypot(0.10 / math.sqrt(E), 0.01), rel=0.03)


def test_angle_smearing_is_rayleigh_with_the_stated_scale():
    n = 20_000
    det = detector("sbnd", energy_stochastic=0.0, energy_constant=0.0)
    out = det.respond(shower_chunk([[(11, 0.4, 0.0, 0.0)]] * n), np.random.default_rng(9))
    turned = np.arccos(np.clip(np.asarray(out["cos_theta"]), -1.0, 1.0))
    scale = 3.0 * DEG
    assert stats.kstest(turned, "rayleigh", args=(0.0, scale)).pvalue > 1e-3
    assert np.mean(turned) == pytest.approx(scale * math.sqrt(math.pi / 2), rel=0.02)
    # a wrong scale is rejected by the same test
    assert stats.kstest(turned, "rayleigh", args=(0.0, 1.2 * scale)).pvalue < 1e-6


def test_opening_angle_spread_of_a_wide_pair():
    n = 20_000
    det = detector("sbnd", energy_stochastic=0.0, energy_constant=0.0)
    chunk = shower_chunk([[(11, 0.4, 0.4, 0.0), (-11, 0.4, 0.4, math.pi)]] * n)
    out = det.respond(chunk, np.random.default_rng(21))
    spread = np.std(np.asarray(out["theta_ee_deg"]) - 0.8 / DEG)
    # each shower's in-plane deflection is Gaussian with sigma 3 deg: sqrt(2) x 3 deg
    assert spread == pytest.approx(math.sqrt(2) * 3.0, rel=0.03)


# ------------------------------------------------------------------ pair separation
@pytest.mark.parametrize(("angle", "n"), [(3.0, 1), (4.9, 1), (5.1, 2), (10.0, 2)])
def test_pairs_merge_below_the_separation_angle(angle, n):
    out = perfect().respond(shower_chunk([pair_at(angle)]), np.random.default_rng(0))
    assert out["n_showers"][0] == n
    assert out["true_n_showers"][0] == n
    # merged or not, E_vis keeps all the energy and the opening angle is the true one
    assert out["E_vis"][0] == pytest.approx(0.5)
    assert out["theta_ee_deg"][0] == pytest.approx(angle, rel=1e-9)


def test_separation_angle_is_an_option():
    det = perfect(separation_angle_deg=2.0)
    assert det.respond(shower_chunk([pair_at(3.0)]), np.random.default_rng(0))[
        "n_showers"][0] == 2


@pytest.mark.parametrize(("showers", "n"), [
    ([(11, 0.3, 0.0, 0.0), (-11, 0.020, 30 * DEG, 0.0)], 1),   # soft e+ below 30 MeV
    ([(11, 0.3, 0.0, 0.0), (-11, 0.040, 30 * DEG, 0.0)], 2),   # both above
    ([(11, 0.020, 0.0, 0.0), (-11, 0.020, 3 * DEG, 0.0)], 1),  # merged: 40 MeV cluster
    ([(11, 0.020, 0.0, 0.0), (-11, 0.020, 30 * DEG, 0.0)], 0),  # apart: both too soft
    ([(11, 0.3, 0.0, 0.0), (-11, 0.2, 3 * DEG, 0.0), (22, 0.1, 6 * DEG, 0.0)], 1),  # chain
    ([(11, 0.3, 0.0, 0.0), (-11, 0.2, 3 * DEG, 0.0), (22, 0.1, 40 * DEG, 0.0)], 2),
    ([], 0),
])
def test_shower_threshold_and_merging_on_hand_built_events(showers, n):
    out = perfect().respond(shower_chunk([showers]), np.random.default_rng(0))
    assert out["n_showers"][0] == n


def test_count_showers_merges_the_closest_pair_first():
    """Three showers at 0, 4 and 8 deg with a 5 deg separation: the closest pair (0 and
    4 deg; 4 and 8 deg are as close) merges first, then the merged direction (~1.7 deg
    for energies 0.3 and 0.2) is 6.3 deg from the third: two showers."""
    angles = np.radians([0.0, 4.0, 8.0])
    energies = np.array([0.3, 0.2, 0.1])
    showers = Leptons(n_events=1, event=np.zeros(3, dtype=np.int64),
                      pdg=np.array([11, -11, 22]), E=energies, p=energies,
                      ux=np.sin(angles), uy=np.zeros(3), uz=np.cos(angles))
    assert count_showers(showers, 5.0, 0.03).tolist() == [2]
    assert count_showers(showers, 9.0, 0.03).tolist() == [1]
    assert count_showers(showers, 3.0, 0.03).tolist() == [3]
    assert count_showers(showers, 3.0, 0.15).tolist() == [2]


# ------------------------------------------------------------------ selection
@pytest.mark.parametrize("selection", SELECTIONS)
def test_selection_modes(selection):
    events = [[], [(11, 0.3, 0.0, 0.0)], pair_at(30.0), pair_at(3.0),
              [*pair_at(30.0), (22, 0.2, 80 * DEG, 0.0)]]
    out = perfect(selection=selection, efficiency=0.7).respond(shower_chunk(events),
                                                              np.random.default_rng(0))
    assert out["n_showers"].tolist() == [0, 1, 2, 1, 3]
    expected = {"any": [False, True, True, True, True],
                "one_shower": [False, True, False, True, False],
                "two_showers": [False, False, True, False, False]}[selection]
    assert out["passes"].tolist() == expected
    assert out["w_eff"].tolist() == [0.7] * 5


# ------------------------------------------------------------------ reproducibility
@pytest.mark.parametrize("name", NAMES)
def test_response_is_deterministic_for_a_seed(name):
    det = detector(name)
    chunk = shower_chunk([pair_at(20.0), [(22, 0.3, 0.2, 1.0)], pair_at(4.0)] * 50)
    a = det.respond(det.place(chunk, np.random.default_rng(42)), np.random.default_rng(7))
    b = det.respond(det.place(chunk, np.random.default_rng(42)), np.random.default_rng(7))
    c = det.respond(det.place(chunk, np.random.default_rng(42)), np.random.default_rng(8))
    for field in ("vtx_x", "vtx_y", "vtx_z", "E_vis", "cos_theta", "n_showers", "passes"):
        assert ak.all(a[field] == b[field]), field
    assert not ak.all(a["E_vis"] == c["E_vis"])


def test_empty_chunk():
    det = detector("icarus")
    chunk = shower_chunk([pair_at(20.0)])[:0]
    out = det.respond(det.place(chunk, np.random.default_rng(0)), np.random.default_rng(0))
    assert len(out) == 0 and "n_showers" in out.fields


# ------------------------------------------------------------------ bad options
@pytest.mark.parametrize(("name", "options", "field", "fragment"), [
    ("microboone", {"margin_x_cm": 128.0}, "detector.margin_x_cm", "must be < 128 cm"),
    ("sbnd", {"margin_y_cm": 250.0}, "detector.margin_y_cm", "must be < 200 cm"),
    ("icarus", {"margin_x_cm": 150.0}, "detector.margin_x_cm", "must be < 150 cm"),
    ("sbnd", {"margin_upstream_cm": 300.0, "margin_downstream_cm": 200.0},
     "detector.margin_downstream_cm", "leaves no fiducial volume in the 500 cm"),
    ("sbnd", {"margin_upstream_cm": -1.0}, "detector.margin_upstream_cm", ">= 0.0"),
    ("microboone", {"pot": 0.0}, "detector.pot", "> 0.0"),
    ("microboone", {"pot": "lots"}, "detector.pot", "expected a number"),
    ("sbnd", {"energy_stochastic": 3.0}, "detector.energy_stochastic", "<= 2.0"),
    ("sbnd", {"energy_constant": -0.1}, "detector.energy_constant", ">= 0.0"),
    ("sbnd", {"angle_resolution_deg": 91.0}, "detector.angle_resolution_deg", "<= 90.0"),
    ("sbnd", {"separation_angle_deg": -1.0}, "detector.separation_angle_deg", ">= 0.0"),
    ("sbnd", {"shower_threshold_GeV": 11.0}, "detector.shower_threshold_GeV", "<= 10.0"),
    ("icarus", {"selection": "two_shower"}, "detector.selection", "two_showers"),
    ("icarus", {"efficiency": 1.5}, "detector.efficiency", "<= 1.0"),
    ("icarus", {"fiducial_radius_cm": 100.0}, "detector.fiducial_radius_cm", "unknown key"),
])
def test_bad_options_name_the_field_and_the_range(name, options, field, fragment):
    with pytest.raises(CardError) as info:
        detector(name, **options)
    assert str(info.value).startswith(field + ":"), str(info.value)
    assert fragment in str(info.value), str(info.value)


def test_constructor_refuses_what_the_card_reader_would():
    with pytest.raises(ValueError, match="pot"):
        MicroBooNEDetector(pot=-1.0)
    with pytest.raises(ValueError, match="selection"):
        ICARUSDetector(selection="three")
    with pytest.raises(ValueError, match="efficiency"):
        SBNDDetector(efficiency=2.0)


def test_same_response_tracks_the_active_volume():
    """``same_response`` (zpgen reweight with moved decay vertices): true while every
    visible shower stays inside (or outside) the active boxes, false when one crosses."""
    det = detector("microboone")
    before = shower_chunk([pair_at(20.0), pair_at(20.0)])

    def moved(z_shift):
        particles = before["particles"]
        z = ak.to_numpy(ak.flatten(particles["z"])).copy()
        z[3:] += z_shift  # the second event's e+ e- (flat rows 3, 4; its beam is row 2)
        new = ak.with_field(particles, ak.unflatten(z, ak.num(particles)), "z")
        return ak.with_field(before, new, "particles")

    assert det.same_response(before, moved(100.0)).tolist() == [True, True]
    assert det.same_response(before, moved(1000.0)).tolist() == [True, False]
    with pytest.raises(ValueError, match="2 events before, 1 after"):
        det.same_response(before, before[:1])
