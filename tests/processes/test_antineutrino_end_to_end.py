"""The numubar preset end to end (issue 18, part 4): `zpgen generate --preset
miniboone_antineutrino` into every format, each file read back with its users' reader
(uproot, pyhepmc, pylhe, pyarrow); beam PDG -14, the Dirac chain's antiparticle codes,
four-momentum at every vertex, `zpgen validate-nuhepmc` passing, the same weights in every
format; the preset's flux, flavour and exposure; the wrong-sign numu run of the same card.
"""

from __future__ import annotations

import json

import awkward as ak
import numpy as np
import pytest
import uproot

from zpgen.card import PRESETS, load_preset
from zpgen.cli import main
from zpgen.registry import load_plugin

pyhepmc = pytest.importorskip("pyhepmc")
pylhe = pytest.importorskip("pylhe")
pq = pytest.importorskip("pyarrow.parquet")

N_EVENTS = 800
FAST = ["--nitn", "4", "--neval", "4000", "--nitn-final", "2"]
FORMATS = ("root", "hepmc3", "lhe", "parquet")
NU5, NU4 = 9900014, 9900012
#: Dirac antineutrino chain: beam, nu5bar, nu4bar, light antineutrinos
ANTI = {-14, -NU5, -NU4}
ALLOWED = ANTI | {1000060120, 2212, 2112, 32, 11, -11, 13, -13, 12, -12, 16, -16, 14}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from zpgen.writers import installed_writers

    writers = installed_writers()
    d = tmp_path_factory.mktemp("nubar_files")
    out = {}
    for fmt in FORMATS:
        path = d / f"nubar{writers[fmt].suffixes[0]}"
        rc = main(["generate", "--preset", "miniboone_antineutrino", "-n", str(N_EVENTS), "-q",
                   *FAST, "-o", str(path)])
        assert rc == 0, fmt
        out[fmt] = path
    return out


def test_preset_is_the_antineutrino_mode_beam_and_exposure():
    assert "miniboone_antineutrino" in PRESETS
    card = load_preset("miniboone_antineutrino")
    assert card.flux == {"name": "miniboone_bnb", "mode": "antineutrino",
                         "flavour": "numubar"}
    flux = load_plugin("flux", "miniboone_bnb").from_options(card.flux)
    assert flux.pdg == -14 and flux.integral() == pytest.approx(2.928e-10, rel=1e-3)
    det = load_plugin("detector", "miniboone").from_options(card.detector)
    assert det.pot == 11.27e20  # PRL 121, 221801 (2018)


def test_root(files):
    with uproot.open(files["root"]) as f:
        a = f["events"].arrays(library="ak")
        info = json.loads(str(f["zpgen_run_info"]))
    assert len(a) == N_EVENTS
    pdg = a.p_pdg
    assert ak.all(pdg[:, 0] == -14) and ak.all(pdg[:, 2] == -NU5)
    assert set(np.unique(ak.to_numpy(ak.flatten(pdg))).tolist()) <= ALLOWED
    assert ak.all((pdg[:, 4] == -NU4) | (pdg[:, 4] == -14))
    assert ak.all(pdg[:, 6] == 11) and ak.all(pdg[:, 7] == -11)
    comps = ("E", "px", "py", "pz")
    st = a.p_status

    def summed(mask):
        return np.column_stack([ak.to_numpy(ak.sum(a[f"p_{c}"] * mask, axis=1))
                                for c in comps])

    np.testing.assert_allclose(summed(st == 1), summed((st == 4) | (st == 20)), rtol=0,
                               atol=1e-9)
    assert info["beam"]["pdg"] == -14 or info.get("beam_pdg") == -14
    assert info["card_resolved"]["flux"]["mode"] == "antineutrino"


def test_nuhepmc(files, capsys):
    path = files["hepmc3"]
    with pyhepmc.open(str(path)) as f:
        events = list(f)
    assert len(events) == N_EVENTS
    for ev in events:
        beams = [q for q in ev.particles if q.status == 4]
        assert [q.pid for q in beams] == [-14]
        for v in ev.vertices:
            np.testing.assert_allclose(
                sum(np.array([q.momentum.e, q.momentum.px, q.momentum.py, q.momentum.pz])
                    for q in v.particles_out),
                sum(np.array([q.momentum.e, q.momentum.px, q.momentum.py, q.momentum.pz])
                    for q in v.particles_in), rtol=0, atol=1e-9)
        (n5,) = [q for q in ev.particles if q.pid == -NU5]
        assert n5.status == 2
    at = events[0].run_info.attributes
    extra = set(at["NuHepMC.AdditionalParticleNumbers"].astype(list[int]))
    assert {-NU5, -NU4} <= extra
    assert str(at[f"NuHepMC.AdditionalParticleNumber[{-NU5}].Name"]) == "nu5bar"
    assert main(["validate-nuhepmc", str(path)]) == 0
    assert "PASS" in capsys.readouterr().out


def test_lhe(files):
    lhe = pylhe.LHEFile.fromfile(str(files["lhe"]), with_attributes=True)
    events = list(lhe.events)
    assert len(events) == N_EVENTS
    for ev in events[:200]:
        ids = [int(q.id) for q in ev.particles]
        assert ids[0] == -14 and -NU5 in ids and NU5 not in ids


def test_parquet_and_same_events_in_every_format(files):
    from zpgen.writers.read import read_metadata

    path = files["parquet"]
    assert pq.read_table(path).num_rows == N_EVENTS
    events = ak.from_parquet(path)
    assert ak.all(events.particles.pdg[:, 0] == -14)
    root = read_metadata(files["root"])["run_info"]
    assert root["written"]["sum_w"] > 0
    for fmt in FORMATS:
        info = read_metadata(files[fmt])["run_info"]
        assert info["written"]["sum_w"] == pytest.approx(root["written"]["sum_w"], rel=1e-12)


def test_wrong_sign_numu_run_of_the_same_card(tmp_path):
    path = tmp_path / "wrong_sign.parquet"
    rc = main(["generate", "--preset", "miniboone_antineutrino", "-n", "300", "-q", *FAST,
               "-o", str(path), "--set", "flux.flavour=numu"])
    assert rc == 0
    events = ak.from_parquet(path)
    assert ak.all(events.particles.pdg[:, 0] == 14) and ak.all(events.particles.pdg[:, 2] == NU5)
