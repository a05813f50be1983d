"""A process plugin that is not the dark neutrino runs end to end: the engine knows no Z'.

The toy process of ``tests/toy_process/zpgen_toy.py`` (nu T -> X T with a constant
dsigma/dt, X -> nu gamma; no e+ e- anywhere) is registered as the ``toy`` entry point of
``zpgen.processes`` the way an installed package is: a ``zpgen_toy-0.0.dist-info``
directory on ``sys.path`` (in process) or ``PYTHONPATH`` (subprocesses).  Its card is
explained and validated by the engine, ``zpgen generate`` runs it through the ``truth``
and ``miniboone`` detectors into every installed output format, and each file is read
back with its consumers' reader (uproot, pyhepmc, pylhe, pyarrow) and checked against the
toy's closed-form cross section ``sigma_T(E) = g^2 (t_max - t_min)``.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import awkward as ak
import numpy as np
import pytest
import uproot
from scipy import integrate

from zpgen import constants
from zpgen.card import CardError, explain, parse_card
from zpgen.cli import main
from zpgen.registry import Channel, Process, available, load_plugin

pyhepmc = pytest.importorskip("pyhepmc")
pylhe = pytest.importorskip("pylhe")
pq = pytest.importorskip("pyarrow.parquet")

REPO = Path(__file__).resolve().parents[2]
TOY_DIR = REPO / "tests" / "toy_process"

MASS, COUPLING, CTAU = 0.2, 1e-5, 25.0
CARD = f"""\
[run]
seed = 4242
n_events = 1000

[process]
name = "toy"

[model]
mass = {MASS}          # GeV
coupling = {COUPLING}
ctau_cm = {CTAU}

[flux]
name = "miniboone_bnb"
"""
N_EVENTS = 1500
SEED = 99
FAST = ["--nitn", "4", "--neval", "4000", "--nitn-final", "2"]
DETECTORS = ("truth", "miniboone")
#: The formats whose consumers' readers this test uses (every built-in writer).
FORMATS = ("root", "hepmc3", "lhe", "parquet")
#: Particles an event of the toy may hold: beam and final nu_mu, 12C, p, X, gamma.
PDG_X = 9000017
TOY_PDGS = {14, 1000060120, 2212, PDG_X, 22}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The toy registered as process ``toy``; ``pythonpath`` for subprocesses."""
    site = tmp_path_factory.mktemp("toy_site")
    paths = [str(site), str(TOY_DIR)]
    sys.path[:0] = paths
    importlib.invalidate_caches()
    try:
        module = importlib.import_module("zpgen_toy")
        module.write_dist_info(site)
        pythonpath = os.pathsep.join([*paths, *filter(None, [os.environ.get("PYTHONPATH")])])
        yield SimpleNamespace(module=module, pythonpath=pythonpath)
    finally:
        for path in paths:
            sys.path.remove(path)
        sys.modules.pop("zpgen_toy", None)
        importlib.invalidate_caches()


@pytest.fixture(scope="module")
def card_path(toy, tmp_path_factory):
    path = tmp_path_factory.mktemp("toy_card") / "toy.toml"
    path.write_text(CARD, encoding="utf-8")
    return path


def zpgen_subprocess(toy, *args, cwd=None):
    env = {**os.environ, "PYTHONPATH": toy.pythonpath}
    return subprocess.run([sys.executable, "-m", "zpgen", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True)


# ---------------------------------------------------------------------- closed form
def sigma_closed_form_cm2(E, m, M, g):
    """sigma(E) = g^2 (t_max - t_min) [GeV^-2 -> cm^2], t's range from the CM momenta of
    nu(E) T(M at rest) -> X(m) T(M)."""
    E = np.asarray(E, dtype=np.float64)
    s = M * M + 2.0 * M * E
    p_in = (s - M * M) / (2.0 * np.sqrt(s))
    lam = np.clip((s - (m + M) ** 2) * (s - (m - M) ** 2), 0.0, None)
    p_out = np.sqrt(lam) / (2.0 * np.sqrt(s))
    return g * g * 4.0 * p_in * p_out * constants.GEV2_TO_CM2


def target_masses(toy):
    return {name: t.mass for name, t in toy.module.TARGETS.items()}


def flux_folded_sigma(name, toy, flux):
    """int Phi(E) sigma_T(E) dE (cm^2 nu/cm^2/POT) over the piecewise-constant flux."""
    M = target_masses(toy)[name]
    e_th = MASS + MASS**2 / (2.0 * M)
    total = 0.0
    for lo, hi, density in zip(flux.edges[:-1], flux.edges[1:], flux.density, strict=True):
        lo = max(lo, e_th)
        if hi > lo and density > 0.0:
            value, _ = integrate.quad(sigma_closed_form_cm2, lo, hi, args=(MASS, M, COUPLING),
                                      epsabs=0.0, epsrel=1e-10)
            total += density * value
    return total


@pytest.fixture(scope="module")
def expected(toy):
    """Closed-form expectations of the toy card with the truth/miniboone CH2 sphere (the
    same material and exposure): events and cross sections per channel."""
    flux = load_plugin("flux", "miniboone_bnb").from_options({})
    detector = load_plugin("detector", "truth").from_options({})
    material = detector.material()
    targets = {"C12_toy": material["C12"], "C12_proton_toy": 6 * material["C12"],
               "H1_toy": material["H1"]}
    n_atoms = material["C12"] + material["H1"]
    flux_total = flux.integral()
    folded = {name: flux_folded_sigma(name, toy, flux) for name in targets}
    events = {name: detector.pot * targets[name] * folded[name] for name in targets}
    sigma = {name: folded[name] / flux_total for name in targets}  # cm^2 per target
    per_atom_pb = {name: targets[name] / n_atoms * sigma[name] * 1e36 for name in targets}
    return SimpleNamespace(events=events, total=sum(events.values()), sigma=sigma,
                           per_atom_pb=per_atom_pb, fatx_pb=sum(per_atom_pb.values()),
                           targets=targets, n_atoms=n_atoms, pot=detector.pot,
                           flux_total=flux_total)


# ---------------------------------------------------------------------- registration
def test_the_toy_is_found_through_the_entry_point_group(toy, capsys):
    assert available("process")["toy"] == "zpgen_toy:ToyProcess"
    cls = load_plugin("process", "toy")
    assert cls is toy.module.ToyProcess
    card = parse_card(CARD)
    process = cls.from_card(card)
    assert isinstance(process, Process)
    flux = load_plugin("flux", "miniboone_bnb").from_options({})
    channel = process.channel("H1_toy", flux)
    assert isinstance(channel, Channel)
    assert process.channels({"C12": 1.0, "H1": 2.0}) == ("C12_toy", "C12_proton_toy",
                                                        "H1_toy")
    with pytest.raises(ValueError, match="Ar40"):
        process.channels({"Ar40": 1.0})
    assert main(["plugins"]) == 0
    assert "zpgen_toy:ToyProcess" in capsys.readouterr().out


def test_the_toy_imports_nothing_of_the_dark_neutrino_plugins(toy):
    """Importing the toy and building its channels loads no zpgen.processes module (nor a
    detector or flux plugin) in a fresh interpreter."""
    code = ("import sys, zpgen_toy\n"
            "from zpgen.card import parse_card\n"
            "card = parse_card(sys.stdin.read())\n"
            "zpgen_toy.ToyProcess.from_card(card).channels({'C12': 1.0, 'H1': 2.0})\n"
            "print(sorted(m for m in sys.modules if m.startswith(('zpgen.processes', "
            "'zpgen.detectors', 'zpgen.flux'))))\n")
    result = subprocess.run([sys.executable, "-c", code], input=CARD, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": toy.pythonpath})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------- card
def test_card_explain_lists_the_toy_fields(toy, card_path):
    """`zpgen card --explain` documents the process the card (or --set) selects."""
    for args in (["--explain", "--set", "process.name=toy"], [card_path, "--explain"]):
        result = zpgen_subprocess(toy, "card", *args)
        assert result.returncode == 0, result.stderr
        out = result.stdout
        assert "model.mass [GeV]: mass of the new neutral fermion X. in (0, 2]" in out
        assert "model.coupling:" in out and "model.ctau_cm [cm]:" in out
        assert "mzprime" not in out and "physics." not in out
        assert "run.seed" in out and "process.name" in out
    text = explain("toy")
    assert "model.mass" in text and "model.m4" not in text
    default = zpgen_subprocess(toy, "card", "--explain")
    assert "model.mzprime [GeV]" in default.stdout and "model.mass " not in default.stdout


@pytest.mark.parametrize(("sets", "message"), [
    (["model.mass=7.0"], r"^model\.mass: must be <= 2\.0 GeV, got 7\.0$"),
    (["model.mass=0"], r"^model\.mass: must be > 0\.0 GeV, got 0\.0$"),
    (["model.coupling=-1e-3"], r"^model\.coupling: must be > 0\.0, got -0\.001$"),
    (["model.ctau_cm=\"long\""], r"^model\.ctau_cm: expected a number in cm, got 'long'$"),
    (["model.mas=0.1"], r"^model\.mas: unknown key; did you mean 'mass'\?"),
    (["physics.nucleon_model=\"free\""],
     r"^physics: the process 'toy' has no \[physics\] table; remove it$"),
])
def test_bad_toy_fields_name_the_field_and_its_range(toy, sets, message):
    with pytest.raises(CardError, match=message):
        parse_card(CARD, sets)


def test_toy_card_errors_on_the_command_line(toy, card_path):
    result = zpgen_subprocess(toy, "generate", card_path, "--set", "model.mass=7",
                              "-o", card_path.with_suffix(".root"))
    assert result.returncode == 2
    assert result.stderr.strip() == ("zpgen generate: error: model.mass: must be <= 2.0 GeV, "
                                     "got 7.0")
    assert not card_path.with_suffix(".root").exists()
    missing = CARD.replace(f"coupling = {COUPLING}\n", "")
    with pytest.raises(CardError, match=r"^model\.coupling: required key is missing"):
        parse_card(missing)
    with pytest.raises(CardError, match=r"^model\.m4: unknown key.* Valid names: mass, "
                                        r"coupling, ctau_cm\.$"):
        parse_card(CARD, ["model.m4=0.06"])


def test_the_dark_neutrino_commands_refuse_a_toy_card(toy, card_path, capsys):
    for command in ("rate", "xsec", "widths", "g2", "couplings"):
        assert main([command, str(card_path)]) == 2
        err = capsys.readouterr().err.strip()
        assert err == (f"zpgen {command}: error: process.name: '{command}' is a command of "
                       "the dark_neutrino process; the card's process is 'toy'")


# ---------------------------------------------------------------------- generate
@pytest.fixture(scope="module")
def files(toy, card_path, tmp_path_factory):
    """{(detector, format): path} of the toy card made by `zpgen generate` (in process)."""
    from zpgen.writers import installed_writers

    writers = installed_writers()
    assert set(FORMATS) <= set(writers)
    d = tmp_path_factory.mktemp("toy_files")
    out = {}
    for detector in DETECTORS:
        for fmt in writers:
            path = d / f"toy_{detector}{writers[fmt].suffixes[0]}"
            rc = main(["generate", str(card_path), "-n", str(N_EVENTS), "--seed", str(SEED),
                       "-q", *FAST, "-o", str(path), "--set", f"detector.name=\"{detector}\""])
            assert rc == 0, (detector, fmt)
            out[detector, fmt] = path
    return out


def run_document(path):
    from zpgen.writers.read import read_metadata

    return read_metadata(path)["run_info"]


def four_momenta(particles):
    """(E, px, py, pz) sums of the incoming (status 4, 20) and the final (status 1)
    particles of every event of an awkward particle list."""
    incoming = (particles.status == 4) | (particles.status == 20)
    final = particles.status == 1
    comps = ("E", "px", "py", "pz")
    p_in = np.column_stack([ak.to_numpy(ak.sum(particles[c] * incoming, axis=1)) for c in comps])
    p_out = np.column_stack([ak.to_numpy(ak.sum(particles[c] * final, axis=1)) for c in comps])
    return p_in, p_out


def four(particle):
    m = particle.momentum
    return np.array([m.e, m.px, m.py, m.pz])


def check_sum_of_weights(sum_w, info, expected):
    """The file's sum of w against POT x targets x flux x sigma by the closed form, within
    four times the run's own stated uncertainty (a small one: VEGAS on a smooth integrand)."""
    err = info["totals"]["expected_events_err"]
    assert 0.0 < err < 0.03 * expected.total
    assert abs(sum_w - expected.total) < 4.0 * err, (sum_w, expected.total, err)


@pytest.mark.parametrize("detector", DETECTORS)
def test_root_file_of_the_toy(files, detector, expected, toy):
    """uproot: N entries, sum of w = closed form, per-event four-momentum balance, X on its
    mass shell, the toy's particles only; the detector's columns are there (the photon of
    X -> nu gamma is the one visible EM shower when it is made inside the tank: E_vis is its
    energy, else 0; no e+ e-: NaN pair observables; miniboone selects the events with a
    visible photon, as one ring, truth everything); the run document declares the toy's
    particle and per-channel cross sections."""
    with uproot.open(files[detector, "root"]) as f:
        tree = f["events"]
        assert tree.num_entries == N_EVENTS
        a = tree.arrays(library="ak")
        info = json.loads(str(f["zpgen_run_info"]))
        hist_sum = f["h_E_QE"].values().sum()
    particles = ak.zip({k: a[f"p_{k}"] for k in ("pdg", "status", "mother", "E", "px", "py",
                                                 "pz", "x", "y", "z")})
    check_sum_of_weights(float(ak.sum(a.w)), info, expected)
    p_in, p_out = four_momenta(particles)
    np.testing.assert_allclose(p_out, p_in, rtol=0, atol=1e-9 * p_in[:, :1].max())
    assert set(np.unique(ak.to_numpy(ak.flatten(particles.pdg)))) <= TOY_PDGS
    x = particles[particles.pdg == PDG_X]
    assert ak.all(ak.num(x) == 1)
    m_x = np.sqrt(ak.to_numpy(ak.flatten(x.E**2 - x.px**2 - x.py**2 - x.pz**2)))
    np.testing.assert_allclose(m_x, MASS, rtol=1e-9)
    photon = ak.flatten(particles[particles.pdg == 22])
    assert len(photon) == N_EVENTS
    inside = ak.to_numpy(photon.x**2 + photon.y**2 + photon.z**2) < 610.6**2
    assert inside.mean() > 0.5  # c tau = 25 cm: most photons are made in the tank
    e_vis = a.E_vis if detector == "truth" else a.true_E_vis
    assert ak.to_numpy(a.E_vis).dtype == np.float64
    np.testing.assert_allclose(ak.to_numpy(e_vis), np.where(inside, ak.to_numpy(photon.E), 0.0),
                               rtol=1e-12, atol=0.0)
    assert np.all(np.isnan(ak.to_numpy(a.m_ee)))
    if detector == "miniboone":
        np.testing.assert_array_equal(ak.to_numpy(a.passes), inside)
        assert hist_sum > 0.0
    else:
        assert ak.all(a.passes) and ak.all(a.w_eff == 1.0)
    assert info["particles"] == {str(PDG_X): toy.module.ToyProcess.from_card(
        parse_card(CARD)).particles()[PDG_X].as_dict()}
    assert info["particles"][str(PDG_X)]["mass_GeV"] == MASS
    for name, sigma in info["totals"]["sigma_cm2"].items():
        err = info["totals"]["sigma_err_cm2"][name]
        assert abs(sigma - expected.sigma[name]) < 4.0 * err, (name, sigma, expected.sigma)
        # VEGAS's own integral of the channel (per target, per POT): ~1e-3 precise
        adapt = info["totals"]["run_summary"]["channels"][name]["adapt"]
        scale = expected.pot * expected.targets[name]
        assert adapt["integral_err"] < 3e-3 * adapt["integral"]
        assert abs(scale * adapt["integral"] - expected.events[name]) < (
            5.0 * scale * adapt["integral_err"]), (name, adapt, expected.events[name])


@pytest.mark.parametrize("detector", DETECTORS)
def test_nuhepmc_file_of_the_toy(files, detector, expected, capsys):
    """pyhepmc: every vertex balances four-momentum (the bound-proton channel with its
    nucleus, separation vertex and remnant), the CV weights add up to the closed form, the
    toy's particle is declared (G.R.11, name and mass), and the flux-averaged total cross
    section (pb per atom) agrees with the closed form; validate-nuhepmc passes."""
    path = files[detector, "hepmc3"]
    with pyhepmc.open(str(path)) as f:
        events = list(f)
    assert len(events) == N_EVENTS
    at = events[0].run_info.attributes
    sum_cv = 0.0
    process_ids = set()
    for ev in events:
        for v in ev.vertices:
            p_in = sum(four(p) for p in v.particles_in)
            p_out = sum(four(p) for p in v.particles_out)
            np.testing.assert_allclose(p_out, p_in, rtol=0, atol=1e-9 * p_in[0])
        x = [p for p in ev.particles if p.pid == PDG_X]
        assert len(x) == 1 and x[0].generated_mass == pytest.approx(MASS, rel=1e-9)
        assert x[0].end_vertex is not None and len(x[0].end_vertex.particles_out) == 2
        process_ids.add(ev.attributes["signal_process_id"].astype(int))
        sum_cv += ev.weight("CV")
    info = run_document(path)
    check_sum_of_weights(sum_cv, info, expected)
    assert process_ids == {750, 751, 752}
    assert list(at["NuHepMC.AdditionalParticleNumbers"].astype(list[int])) == [PDG_X]
    assert at[f"NuHepMC.AdditionalParticleNumber[{PDG_X}].Name"].astype(str) == "toyX"
    assert at[f"NuHepMC.AdditionalParticleNumber[{PDG_X}].zpgen.Mass"].astype(float) == MASS
    tool = events[0].run_info.tools[0]
    assert "toy" in tool.description and "Z'" not in tool.description
    fatx = at["NuHepMC.FluxAveragedTotalCrossSection"].astype(float)
    err = at["NuHepMC.FluxAveragedTotalCrossSectionUncertainty"].astype(float)
    assert at["NuHepMC.Units.CrossSection.TargetScale"].astype(str) == "PerAtom"
    assert 0.0 < err < 0.03 * fatx
    assert abs(fatx - expected.fatx_pb) < 4.0 * err, (fatx, expected.fatx_pb, err)
    header = path.read_text(encoding="utf-8").split("\nE 1 ", 1)[0]
    assert "nu5" not in header and "Zprime" not in header
    assert main(["validate-nuhepmc", str(path)]) == 0
    assert "PASS: all checked requirements satisfied" in capsys.readouterr().out


@pytest.mark.parametrize("detector", DETECTORS)
def test_lhe_file_of_the_toy(files, detector, expected):
    """pylhe: incoming lines balance the final ones, X decays (ISTUP 2) to two lines that
    point to it, the CV weights add up to the closed form; XSECUP per process and the mean
    XWGTUP (pb per atom) agree with the closed form; the header declares X."""
    path = files[detector, "lhe"]
    lhe = pylhe.LHEFile.fromfile(str(path), with_attributes=True)
    events = list(lhe.events)
    assert len(events) == N_EVENTS
    cv, xwgtup = [], []
    for ev in events:
        parts = ev.particles
        p = np.array([[q.e, q.px, q.py, q.pz] for q in parts])
        status = np.array([int(q.status) for q in parts])
        np.testing.assert_allclose(p[status == 1].sum(axis=0), p[status == -1].sum(axis=0),
                                   rtol=0, atol=1e-9 * p[0, 0])
        (ix,) = [i for i, q in enumerate(parts) if int(q.id) == PDG_X]
        assert int(parts[ix].status) == 2
        assert [i for i, q in enumerate(parts) if int(q.mother1) == ix + 1] == [4, 5]
        assert parts[ix].m == pytest.approx(MASS, rel=1e-9)
        cv.append(ev.weights["CV"])
        xwgtup.append(ev.eventinfo.weight)
    info = run_document(path)
    check_sum_of_weights(float(np.sum(cv)), info, expected)
    init = lhe.init
    assert init.initInfo.weightingStrategy == -4
    assert "toy" in init.generators[0].description
    names = info["channels"]
    assert [p.procId for p in init.procInfo] == [750, 751, 752]
    for proc, name in zip(init.procInfo, names, strict=True):
        assert abs(proc.xSection - expected.per_atom_pb[name]) < 4.0 * proc.error, (
            name, proc.xSection, expected.per_atom_pb[name], proc.error)
    assert np.mean(xwgtup) == pytest.approx(sum(p.xSection for p in init.procInfo), rel=1e-12)
    assert info["particles"][str(PDG_X)]["name"] == "toyX"
    assert info["particles"][str(PDG_X)]["mass_GeV"] == MASS


@pytest.mark.parametrize("detector", DETECTORS)
def test_parquet_file_of_the_toy(files, detector, expected):
    """pyarrow: N rows, the run document in the key-value metadata with the toy's
    particle; the w column adds up to the closed form; four-momentum balances."""
    path = files[detector, "parquet"]
    table = pq.read_table(path)
    assert table.num_rows == N_EVENTS
    meta = json.loads(pq.read_metadata(path).metadata[b"zpgen.run_info"])
    assert meta["particles"][str(PDG_X)]["mass_GeV"] == MASS
    assert meta["channels"] == ["C12_toy", "C12_proton_toy", "H1_toy"]
    check_sum_of_weights(float(np.sum(table.column("w").to_numpy())), meta, expected)
    events = ak.from_parquet(path)
    p_in, p_out = four_momenta(events.particles)
    np.testing.assert_allclose(p_out, p_in, rtol=0, atol=1e-9 * p_in[:, :1].max())


@pytest.mark.parametrize("detector", DETECTORS)
def test_every_format_holds_the_same_events(files, detector):
    """One card and seed: the same sum of w in every installed format (to 1e-12), one run
    document (particles, channels, channel_info, atoms), readable by `zpgen info`."""
    from zpgen.writers import installed_writers
    from zpgen.writers.read import read_metadata

    root = run_document(files[detector, "root"])
    for fmt in installed_writers():
        meta = read_metadata(files[detector, fmt])
        info = meta["run_info"]
        assert meta["card"].endswith(CARD)
        assert info["written"]["sum_w"] == pytest.approx(root["written"]["sum_w"], rel=1e-12)
        for key in ("particles", "channels", "channel_info", "n_atoms", "beam_pdg"):
            assert info[key] == root[key], (fmt, key)
        assert main(["info", str(files[detector, fmt])]) == 0


def test_generate_in_a_subprocess_finds_the_toy_by_its_entry_point(toy, card_path, files,
                                                                  tmp_path):
    """`python -m zpgen generate` in a fresh interpreter (the toy on PYTHONPATH only)
    makes the same events as the in-process run of the same card and seed."""
    out = tmp_path / "sub.parquet"
    result = zpgen_subprocess(toy, "generate", card_path, "-n", N_EVENTS, "--seed", SEED,
                              "-q", *FAST, "-o", out, "--set", 'detector.name="truth"')
    assert result.returncode == 0, result.stderr
    a = ak.from_parquet(out)
    b = ak.from_parquet(files["truth", "parquet"])
    np.testing.assert_array_equal(ak.to_numpy(a.w), ak.to_numpy(b.w))
    np.testing.assert_array_equal(ak.to_numpy(ak.flatten(a.particles.E)),
                                  ak.to_numpy(ak.flatten(b.particles.E)))


def test_monochromatic_beam_gives_the_closed_form_cross_section(toy):
    """A monochromatic beam: sum w_xsec per channel = sigma_T(E_0) by the closed form, and
    every event's t lies in the kinematic range at E_0 (the toy's events, not only its
    weights, follow from its analytic dsigma/dt)."""
    from zpgen.generate import generate

    e0 = 1.3
    card = parse_card(CARD, ['flux.name="monochromatic"', f"flux.energy={e0}",
                             "flux.flux=1e-10", 'detector.name="truth"'])
    stream = generate(card, n_events=3000, nitn=4, neval=4000, nitn_final=2)
    events = ak.concatenate(list(stream))
    sigma = stream.summary.sigma_flux_avg()
    for index, (name, mass) in enumerate(target_masses(toy).items()):
        value, err = sigma[name]
        closed = float(sigma_closed_form_cm2(e0, MASS, mass, COUPLING))
        assert abs(value - closed) <= max(4.0 * err, 1e-9 * closed), (name, value, closed)
        s = mass * mass + 2.0 * mass * e0
        p_in = (s - mass * mass) / (2.0 * math.sqrt(s))
        lam = (s - (MASS + mass) ** 2) * (s - (MASS - mass) ** 2)
        p_out = math.sqrt(lam) / (2.0 * math.sqrt(s))
        e_x = (s + MASS**2 - mass**2) / (2.0 * math.sqrt(s))
        t = ak.to_numpy(events.t[events.channel == index])
        assert t.size > 0
        assert np.all(t >= MASS**2 - 2 * p_in * (e_x + p_out) - 1e-12)
        assert np.all(t <= MASS**2 - 2 * p_in * (e_x - p_out) + 1e-12)
    assert np.all(ak.to_numpy(events.E_nu) == pytest.approx(e0, rel=1e-12))


def test_grid_jobs_merge_and_unweighted_events_of_the_toy(toy, card_path, tmp_path, expected):
    """The rest of the production path knows no process either: a grid of the toy card
    gives the in-process events, two jobs merge to the closed-form expectation, and
    unweighted events all carry one weight summing to the same number."""
    from zpgen.generate import EventGenerator, generate_array
    from zpgen.gridpack import save_grid

    card = parse_card(CARD, ['detector.name="truth"'])
    adapt = {"nitn": 4, "neval": 4000, "nitn_final": 2}
    grid = tmp_path / "toy.zpg"
    save_grid(grid, card, EventGenerator(card, **adapt))
    direct = generate_array(card, n_events=2000, **adapt)
    from_grid = generate_array(card, n_events=2000, grid=grid)
    np.testing.assert_array_equal(ak.to_numpy(direct.w), ak.to_numpy(from_grid.w))
    jobs = []
    for j in range(2):
        jobs.append(tmp_path / f"job{j}.parquet")
        assert main(["generate", "--grid", str(grid), "--job-index", str(j), "--n-jobs", "2",
                     "-n", "4000", "-q", "-o", str(jobs[-1])]) == 0
    merged = tmp_path / "merged.parquet"
    assert main(["merge", str(merged), *map(str, jobs)]) == 0
    info = run_document(merged)
    assert info["written"]["n_events"] == 8000
    check_sum_of_weights(info["written"]["sum_w"], info, expected)
    unweighted = generate_array(card, n_events=3000, seed=6, unweighted="physics", **adapt)
    w = ak.to_numpy(unweighted.w)
    assert np.all(w == w[0])
    assert abs(w.sum() - expected.total) < 0.02 * expected.total
