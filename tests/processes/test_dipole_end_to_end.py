"""The dipole-portal card end to end: `zpgen generate` through the miniboone and truth
detectors into every installed format, each file read back with its users' reader (uproot,
pyhepmc, pylhe, pyarrow), and `zpgen compare` on the dipole files (issue 18, part 1:
"a dipole card runs end to end to every format through the miniboone and truth detectors").

The physics of the events is tested in test_dipole_portal.py; here: the record survives
every format (N decayed at a displaced vertex into nu gamma, four-momentum at every
vertex, the run document declaring N), the single photon is the visible shower of the
detectors, and one card and seed give the same weights in every format.
"""

from __future__ import annotations

import json

import awkward as ak
import numpy as np
import pytest
import uproot

from zpgen.cli import main

pyhepmc = pytest.importorskip("pyhepmc")
pylhe = pytest.importorskip("pylhe")
pq = pytest.importorskip("pyarrow.parquet")

CARD = """\
[run]
seed = 31
n_events = 1000

[process]
name = "dipole_portal"

[model]
m_N = 0.394
d = 3.6e-7
nature = "majorana"
"""
N_EVENTS = 1200
FAST = ["--nitn", "4", "--neval", "4000", "--nitn-final", "2"]
DETECTORS = ("truth", "miniboone")
FORMATS = ("root", "hepmc3", "lhe", "parquet")
PDG_N = 9900012
TANK_RADIUS_CM = 610.6


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from zpgen.writers import installed_writers

    writers = installed_writers()
    assert set(FORMATS) <= set(writers)
    d = tmp_path_factory.mktemp("dipole_files")
    card = d / "dipole.toml"
    card.write_text(CARD, encoding="utf-8")
    out = {}
    for detector in DETECTORS:
        for fmt in FORMATS:
            path = d / f"dipole_{detector}{writers[fmt].suffixes[0]}"
            rc = main(["generate", str(card), "-n", str(N_EVENTS), "-q", *FAST, "-o", str(path),
                       "--set", f"detector.name=\"{detector}\""])
            assert rc == 0, (detector, fmt)
            out[detector, fmt] = path
    return out


def four(p):
    m = p.momentum
    return np.array([m.e, m.px, m.py, m.pz])


def run_document(path):
    from zpgen.writers.read import read_metadata

    return read_metadata(path)["run_info"]


@pytest.mark.parametrize("detector", DETECTORS)
def test_root(files, detector):
    with uproot.open(files[detector, "root"]) as f:
        a = f["events"].arrays(library="ak")
        info = json.loads(str(f["zpgen_run_info"]))
        h = f["h_E_QE"].values()
    assert len(a) == N_EVENTS
    p = ak.zip({k: a[f"p_{k}"] for k in ("pdg", "status", "mother", "E", "px", "py", "pz",
                                         "x", "y", "z")})
    comps = ("E", "px", "py", "pz")

    def summed(mask):
        return np.column_stack([ak.to_numpy(ak.sum(p[c] * mask, axis=1)) for c in comps])

    beam_target = summed((p.status == 4) | (p.status == 20))
    np.testing.assert_allclose(summed(p.status == 1), beam_target, rtol=0, atol=1e-9)
    np.testing.assert_allclose(summed(p.mother == 2),
                               np.column_stack([ak.to_numpy(p[c][:, 2]) for c in comps]),
                               rtol=0, atol=1e-9)
    assert set(np.unique(ak.to_numpy(ak.flatten(p.pdg)))) <= {
        14, -14, 22, PDG_N, 1000060120, 2212, 2112}
    photon = p[p.pdg == 22]
    assert ak.all(ak.num(photon) == 1)
    photon = ak.flatten(photon)
    inside = ak.to_numpy(photon.x**2 + photon.y**2 + photon.z**2) < TANK_RADIUS_CM**2
    e_vis = ak.to_numpy(a.E_vis if detector == "truth" else a.true_E_vis)
    np.testing.assert_allclose(e_vis, np.where(inside, ak.to_numpy(photon.E), 0.0), rtol=1e-12)
    assert np.all(np.isnan(ak.to_numpy(a.m_ee)))
    w_sel = ak.to_numpy(a.w * a.w_eff * a.passes)
    eqe = ak.to_numpy(a.E_QE)
    ok = np.isfinite(eqe)
    edges = [0.2, 0.3, 0.375, 0.475, 0.55, 0.675, 0.8, 0.95, 1.1, 1.25, 1.5, 3.0]
    expected, _ = np.histogram(eqe[ok], bins=edges, weights=w_sel[ok])
    np.testing.assert_allclose(h, expected, rtol=1e-10)
    if detector == "miniboone":
        np.testing.assert_array_equal(ak.to_numpy(a.passes), inside)
        assert h.sum() > 0
    assert info["particles"][str(PDG_N)]["name"] == "N"
    assert info["particles"][str(PDG_N)]["mass_GeV"] == 0.394
    assert info["totals"]["run_summary"]["process"]["process"] == "dipole_portal"
    assert info["card_resolved"]["process"]["name"] == "dipole_portal"


@pytest.mark.parametrize("detector", DETECTORS)
def test_nuhepmc(files, detector, capsys):
    path = files[detector, "hepmc3"]
    with pyhepmc.open(str(path)) as f:
        events = list(f)
    assert len(events) == N_EVENTS
    ids = set()
    for ev in events:
        for v in ev.vertices:
            np.testing.assert_allclose(sum(four(q) for q in v.particles_out),
                                       sum(four(q) for q in v.particles_in), rtol=0, atol=1e-9)
        (n,) = [q for q in ev.particles if q.pid == PDG_N]
        assert n.status == 2
        assert sorted(abs(q.pid) for q in n.end_vertex.particles_out) == [14, 22]
        ids.add(ev.attributes["signal_process_id"].astype(int))
    assert ids <= {160, 270, 271, 272} and 160 in ids
    at = events[0].run_info.attributes
    assert PDG_N in list(at["NuHepMC.AdditionalParticleNumbers"].astype(list[int]))
    assert main(["validate-nuhepmc", str(path)]) == 0
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize("detector", DETECTORS)
def test_lhe(files, detector):
    path = files[detector, "lhe"]
    lhe = pylhe.LHEFile.fromfile(str(path), with_attributes=True)
    events = list(lhe.events)
    assert len(events) == N_EVENTS
    for ev in events[:300]:
        parts = ev.particles
        (i_n,) = [i for i, q in enumerate(parts) if int(q.id) == PDG_N]
        assert int(parts[i_n].status) == 2
        daughters = [q for q in parts if int(q.mother1) == i_n + 1]
        assert sorted(abs(int(q.id)) for q in daughters) == [14, 22]
        p = np.array([[q.e, q.px, q.py, q.pz] for q in daughters]).sum(axis=0)
        np.testing.assert_allclose(p, [parts[i_n].e, parts[i_n].px, parts[i_n].py,
                                       parts[i_n].pz], rtol=0, atol=1e-9)
    assert [q.procId for q in lhe.init.procInfo] == [160, 270, 271, 272]


@pytest.mark.parametrize("detector", DETECTORS)
def test_parquet_and_same_events_in_every_format(files, detector):
    path = files[detector, "parquet"]
    assert pq.read_table(path).num_rows == N_EVENTS
    meta = json.loads(pq.read_metadata(path).metadata[b"zpgen.run_info"])
    assert meta["particles"][str(PDG_N)]["description"].startswith(
        "heavy neutral lepton (Majorana)")
    events = ak.from_parquet(path)
    nu = ak.to_numpy(events.particles.pdg[:, 4])
    assert set(nu.tolist()) == {14, -14}
    root = run_document(files[detector, "root"])
    for fmt in FORMATS:
        info = run_document(files[detector, fmt])
        assert info["written"]["sum_w"] == pytest.approx(root["written"]["sum_w"], rel=1e-12)
        assert info["particles"] == root["particles"]


@pytest.mark.parametrize("fmt", ["root", "parquet"])
def test_zpgen_compare_works_on_dipole_files(files, fmt, miniboone_data, capsys):
    rc = main(["compare", str(files["miniboone", fmt]), "--data-release", str(miniboone_data),
               "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    result = json.loads(captured.out)
    with uproot.open(files["miniboone", "root"]) as f:
        a = f["events"].arrays(["E_QE", "w", "w_eff", "passes"], library="np")
    ok = np.isfinite(a["E_QE"])
    expected, _ = np.histogram(a["E_QE"][ok], bins=result["eqe_edges_GeV"],
                               weights=(a["w"] * a["w_eff"] * a["passes"])[ok])
    assert result["prediction"] == pytest.approx(expected, rel=1e-9)
    assert sum(result["prediction"]) > 0.0
    assert np.isfinite(result["chi2_min"]) and result["mu_best"] > 0.0
