"""The SBN presets end to end (issue 18, part 2): `zpgen generate --preset microboone|sbnd|
icarus` and the dipole-portal card on a LArTPC into every format, each file read back with
its consumers' reader (uproot, pyhepmc, pylhe, pyarrow); `zpgen plugins` lists the
detectors; `zpgen compare` refuses a LAr file clearly; bad inputs (a nucleus or a flavour a
process does not model) are refused before any work.

Per run: the event count in every format, the same sum of weights in every format (one card
and seed give the same events), that sum against the process's own rate integral
(``rate_summary``, a quadrature independent of the VEGAS sampling) within the run's Monte
Carlo error, vertices inside the detector's fiducial volume and the histogram of selected
events equal to sum(w w_eff passes).
"""

from __future__ import annotations

import importlib
import json
import math
import sys
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from zpgen.card import load_preset, parse_card
from zpgen.cli import main
from zpgen.registry import load_plugin

pyhepmc = pytest.importorskip("pyhepmc")
pylhe = pytest.importorskip("pylhe")
pq = pytest.importorskip("pyarrow.parquet")

REPO = Path(__file__).resolve().parents[2]
PRESETS = ("microboone", "sbnd", "icarus")
FORMATS = ("root", "hepmc3", "lhe", "parquet")
N_EVENTS = 500
FAST = ["--nitn", "4", "--neval", "4000", "--nitn-final", "2"]
DIPOLE = ("dipole", "microboone")
DIPOLE_SETS = ["--set", 'detector.name="microboone"', "--set", 'flux.name="bnb_microboone"']
RUNS = [*PRESETS, DIPOLE]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from zpgen.writers import installed_writers

    writers = installed_writers()
    assert set(FORMATS) <= set(writers)
    d = tmp_path_factory.mktemp("lar_files")
    out = {}
    for run in RUNS:
        for fmt in FORMATS:
            if run == DIPOLE:
                path = d / f"dipole_microboone{writers[fmt].suffixes[0]}"
                args = [str(REPO / "examples" / "dipole_portal.toml"), *DIPOLE_SETS]
            else:
                path = d / f"{run}{writers[fmt].suffixes[0]}"
                args = ["--preset", run]
            rc = main(["generate", *args, "-n", str(N_EVENTS), "-q", *FAST, "-o", str(path)])
            assert rc == 0, (run, fmt)
            out[run, fmt] = path
    return out


def run_document(path):
    from zpgen.writers.read import read_metadata

    return read_metadata(path)["run_info"]


def run_id(run):
    return "dipole-microboone" if run == DIPOLE else run


def detector_of(run):
    name = "microboone" if run == DIPOLE else run
    return load_plugin("detector", name).from_options({"name": name})


@pytest.mark.parametrize("run", RUNS, ids=run_id)
def test_root(files, run):
    with uproot.open(files[run, "root"]) as f:
        a = f["events"].arrays(library="ak")
        h_e = f["h_E_vis"].values()
        info = json.loads(str(f["zpgen_run_info"]))
    assert len(a) == N_EVENTS
    det = detector_of(run)
    assert info["card_resolved"]["detector"]["name"] == det.name
    assert info["targets"] and all(k.startswith("Ar40_") for k in info["targets"])
    # vertices in the fiducial volume
    x, y, z = (ak.to_numpy(a[f"vtx_{axis}"]) for axis in "xyz")
    inside = np.zeros(len(a), dtype=bool)
    for b in det.fiducial:
        inside |= ((b.x[0] <= x) & (x <= b.x[1]) & (b.y[0] <= y) & (y <= b.y[1])
                   & (b.z[0] <= z) & (z <= b.z[1]))
    assert inside.all()
    # the selected-events histogram is sum(w w_eff passes) by reconstructed E_vis
    w_sel = ak.to_numpy(a.w * a.w_eff * a.passes)
    e_vis = ak.to_numpy(a.E_vis)
    edges = np.round(0.05 * np.arange(61), 10)
    expected, _ = np.histogram(e_vis, bins=edges, weights=w_sel)
    np.testing.assert_allclose(h_e, expected, rtol=1e-10, atol=1e-12 * w_sel.sum())
    n_showers = ak.to_numpy(a.n_showers)
    assert set(np.unique(n_showers)) <= {0, 1, 2, 3, 4}
    np.testing.assert_array_equal(ak.to_numpy(a.passes), n_showers >= 1)  # selection "any"
    if run == DIPOLE:  # N -> nu gamma: one photon, at most one shower
        assert n_showers.max() <= 1
    else:  # Z' -> e+ e-: the pair, often merged at these boosts
        assert (n_showers == 2).any() and (n_showers == 1).any()


@pytest.mark.parametrize("run", RUNS, ids=run_id)
def test_every_format_holds_the_same_events_and_weights(files, run):
    root = run_document(files[run, "root"])
    sum_w = root["written"]["sum_w"]
    with uproot.open(files[run, "root"]) as f:
        w = f["events"]["w"].array(library="np")
    assert w.size == N_EVENTS and float(w.sum()) == pytest.approx(sum_w, rel=1e-12)
    # NuHepMC through pyhepmc
    with pyhepmc.open(str(files[run, "hepmc3"])) as f:
        events = list(f)
    assert len(events) == N_EVENTS
    assert sum(ev.weight("CV") for ev in events) == pytest.approx(sum_w, rel=1e-12)
    # LHE through pylhe
    lhe = pylhe.LHEFile.fromfile(str(files[run, "lhe"]), with_attributes=True)
    cv = [ev.weights["CV"] for ev in lhe.events]
    assert len(cv) == N_EVENTS and float(np.sum(cv)) == pytest.approx(sum_w, rel=1e-12)
    # Parquet through pyarrow
    table = pq.read_table(files[run, "parquet"])
    assert table.num_rows == N_EVENTS
    assert float(np.sum(table.column("w").to_numpy())) == pytest.approx(sum_w, rel=1e-12)
    for fmt in FORMATS:
        info = run_document(files[run, fmt])
        assert info["written"]["sum_w"] == pytest.approx(sum_w, rel=1e-12)
        assert info["targets"] == root["targets"]


@pytest.mark.parametrize("run", PRESETS)
def test_sum_of_weights_is_the_rate_integral(files, run):
    """The weights add up to the expected events of the preset (processes.rate's
    quadrature of flux x cross section x targets x POT x branching ratio)."""
    from zpgen.processes.rate import rate_summary

    card = load_preset(run)
    flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
    det = load_plugin("detector", card.detector["name"]).from_options(card.detector)
    expected = rate_summary(card, flux, det)["total_events"]
    with uproot.open(files[run, "root"]) as f:
        w = f["events"]["w"].array(library="np")
    error = math.sqrt(float(np.sum((w - w.mean()) ** 2)))  # MC error of the sum
    assert abs(float(w.sum()) - expected) < 5.0 * error + 0.02 * expected


# ---------------------------------------------------------------------- CLI
def test_plugins_lists_both_processes_and_the_four_detectors(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    for name in ("dark_neutrino", "dipole_portal", "miniboone", "microboone", "sbnd",
                 "icarus", "bnb_microboone", "bnb_sbnd", "bnb_icarus"):
        assert name in out, name


@pytest.mark.parametrize("fmt", ["root", "parquet"])
def test_compare_refuses_a_lar_file_clearly(files, fmt, miniboone_data, capsys):
    rc = main(["compare", str(files["microboone", fmt]), "--data-release",
               str(miniboone_data)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "made with the microboone detector" in err and "E_QE" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------------- refusals
def refused(args, tmp_path, capsys):
    out = tmp_path / "never.root"
    rc = main(["generate", *args, "-n", "100", "-q", *FAST, "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".never.root.*"))
    return err


def test_a_flavour_the_dipole_does_not_model_is_refused(tmp_path, capsys):
    err = refused([str(REPO / "examples" / "dipole_portal.toml"), *DIPOLE_SETS,
                   "--set", 'flux.flavour="nue"'], tmp_path, capsys)
    assert "nue" in err and "flavour" in err


def test_a_flavour_the_z_prime_does_not_model_is_refused(tmp_path, capsys):
    # numu and numubar are modelled (numubar since the antineutrino beams), nu_e is not
    err = refused(["--preset", "sbnd", "--set", 'flux.flavour="nue"'], tmp_path, capsys)
    assert "nue" in err and "flavour" in err


@pytest.fixture
def toy(tmp_path):
    """The toy process of tests/toy_process (12C and 1H only) registered as ``toy``."""
    toy_dir = REPO / "tests" / "toy_process"
    site = tmp_path / "site"
    sys.path[:0] = [str(site), str(toy_dir)]
    importlib.invalidate_caches()
    try:
        importlib.import_module("zpgen_toy").write_dist_info(site)
        importlib.invalidate_caches()
        yield
    finally:
        for path in (str(site), str(toy_dir)):
            sys.path.remove(path)
        sys.modules.pop("zpgen_toy", None)
        importlib.invalidate_caches()


def test_a_process_without_argon_data_is_refused_before_work(toy, tmp_path, capsys):
    card = tmp_path / "toy.toml"
    card.write_text('[process]\nname = "toy"\n\n[model]\nmass = 0.2\ncoupling = 1e-5\n'
                    'ctau_cm = 25.0\n\n[flux]\nname = "bnb_sbnd"\n\n[detector]\n'
                    'name = "sbnd"\n', encoding="utf-8")
    parse_card(card.read_text(encoding="utf-8"))  # a valid card: the refusal is the nucleus
    out = tmp_path / "work"
    out.mkdir()
    err = refused([str(card)], out, capsys)
    assert "Ar40" in err and "toy" in err


def test_scan_refuses_a_lar_detector_before_work(tmp_path, miniboone_data, capsys):
    """`zpgen scan` fits MiniBooNE's E_QE data: a LAr detector is refused in one line
    before any point is generated (it was a KeyError traceback after the first point)."""
    table = tmp_path / "scan.csv"
    rc = main(["scan", "--preset", "icarus", "--vary", "model.mzprime=0.02,0.03", "-o",
               str(table), "--data-release", str(miniboone_data), "-n", "500"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "detector.name = 'icarus'" in err and "E_QE" in err
    assert "Traceback" not in err and not table.exists()
