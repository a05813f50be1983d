"""NuHepMC writer: pyhepmc round trip, NuHepMC run info, validator (good and broken files)."""

from __future__ import annotations

import typing

import awkward as ak
import numpy as np
import pytest

pyhepmc = pytest.importorskip("pyhepmc")

from zpgen.cli import main  # noqa: E402
from zpgen.writers.hepmc import NuHepMCWriter, process_ids  # noqa: E402
from zpgen.writers.nuhepmc_validate import validate_nuhepmc  # noqa: E402
from zpgen.writers.read import read_metadata  # noqa: E402

C_MM_PER_NS = 299.792458


@pytest.fixture
def hepmc_file(tmp_path, chunks, run_info, synth):
    path = tmp_path / "events.hepmc3"
    with NuHepMCWriter() as out:
        out.open(path, run_info)
        for c in chunks:
            out.write(c)
        out.close(synth.make_totals(chunks))
    return path


def _events(path):
    with pyhepmc.open(str(path)) as f:
        return list(f)


def test_roundtrip_momenta_weights_pdgs(hepmc_file, chunks):
    cat = ak.concatenate(chunks)
    events = _events(hepmc_file)
    assert len(events) == len(cat)
    pid = process_ids(["C12_coherent", "H1_proton"])
    for i, ev in enumerate(events):
        ref = cat[i]
        assert ev.event_number == i + 1
        assert ev.momentum_unit == pyhepmc.Units.GEV and ev.length_unit == pyhepmc.Units.MM
        assert ev.weight_names == ["CV", "xsec_pb"]
        assert ev.weights[0] == ref.w  # written with 22 digits: exact
        assert ev.weights[1] == ref.w_xsec * 1e36
        ch = ["C12_coherent", "H1_proton"][ref.channel]
        assert ev.attributes["signal_process_id"].astype(int) == pid[ch]
        got = sorted((p.pid, p.status, p.momentum.e, p.momentum.px, p.momentum.py,
                      p.momentum.pz) for p in ev.particles)
        want = sorted((int(p.pdg), {11: 20}.get(int(p.status), int(p.status)), p.E, p.px, p.py,
                       p.pz) for p in ref.particles)
        assert got == want
        prim = [v for v in ev.vertices if v.status == 1]
        assert len(prim) == 1
        pos = prim[0].position
        np.testing.assert_allclose([pos.x, pos.y, pos.z, pos.t],
                                   [ref.vtx_x * 10, ref.vtx_y * 10, ref.vtx_z * 10,
                                    ref.particles.t[0] * C_MM_PER_NS], rtol=1e-15)
        lab = ev.attributes["LabPos"].astype(typing.List[float])  # noqa: UP006
        np.testing.assert_allclose(lab, [pos.x, pos.y, pos.z], atol=1e-6)
        assert len(ev.vertices) == 1 + len(set(ref.particles.mother.tolist()) - {-1})


def test_run_info_attributes(hepmc_file, chunks, run_info):
    ev = _events(hepmc_file)[0]
    ri = ev.run_info
    at = ri.attributes

    def get(key, typ):
        v = at[key]
        return v.astype(typ) if hasattr(v, "astype") else v

    assert (get("NuHepMC.Version.Major", int), get("NuHepMC.Version.Minor", int)) == (1, 0)
    conv = get("NuHepMC.Conventions", typing.List[str])  # noqa: UP006
    assert {"G.C.1", "G.C.3", "G.C.4", "G.C.5"} <= set(conv)
    assert get("NuHepMC.ProcessIDs", typing.List[int]) == [150, 250]  # noqa: UP006
    assert get("NuHepMC.ProcessInfo[150].Name", str) == "C12_coherent"
    assert get("NuHepMC.ParticleStatusIDs", typing.List[int]) == [1, 2, 4, 20]  # noqa: UP006
    assert get("NuHepMC.Exposure.POT", float) == run_info["pot"]
    fatx = float(np.sum(ak.concatenate(chunks).w_xsec)) * 1e36
    assert get("NuHepMC.FluxAveragedTotalCrossSection", float) == pytest.approx(fatx,
                                                                                rel=1e-14)
    assert get("NuHepMC.Units.CrossSection.Unit", str) == "pb"
    assert 9900015 in get("NuHepMC.AdditionalParticleNumbers", typing.List[int])  # noqa: UP006
    assert ri.tools[0].name == "zpgen" and ri.tools[0].version == "0.1.0"
    assert get("NuHepMC.Provenance.zpgen.Card", str) == run_info["card"]
    meta = read_metadata(hepmc_file)
    assert meta["card"] == run_info["card"]
    assert meta["run_info"]["written"]["n_events"] == 65


def test_validator_passes(hepmc_file, capsys):
    checks = validate_nuhepmc(str(hepmc_file))
    assert all(c.status in ("PASS", "SKIP") for c in checks), [
        (c.id, c.first_failure) for c in checks if c.status == "FAIL"]
    assert {c.id for c in checks} >= {"G.R.1", "G.R.7", "E.R.3", "Z.2"}
    assert main(["validate-nuhepmc", str(hepmc_file)]) == 0
    out = capsys.readouterr().out
    assert "PASS: all checked requirements satisfied" in out and "Z.2" in out


def _break(path, tmp_path, edit):
    lines = path.read_text().splitlines(keepends=True)
    bad = tmp_path / "broken.hepmc3"
    bad.write_text("".join(edit(lines)))
    return bad


def test_validator_catches_momentum_violation(hepmc_file, tmp_path, capsys):
    def edit(lines):
        for i, ln in enumerate(lines):
            if ln.startswith("P ") and ln.split()[3] == "14":  # beam neutrino
                f = ln.split()
                f[6] = repr(float(f[6]) * 1.001)  # pz
                lines[i] = " ".join(f) + "\n"
                break
        return lines

    bad = _break(hepmc_file, tmp_path, edit)
    failed = {c.id: c for c in validate_nuhepmc(str(bad)) if c.status == "FAIL"}
    assert set(failed) == {"Z.2"}
    assert failed["Z.2"].n_failed == 1
    assert main(["validate-nuhepmc", str(bad)]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_validator_catches_metadata_and_status(hepmc_file, tmp_path):
    def edit(lines):
        lines = [ln for ln in lines if not ln.startswith("A NuHepMC.ProcessIDs")]
        for i, ln in enumerate(lines):
            if ln.startswith("P ") and ln.rstrip().endswith(" 20"):
                lines[i] = ln.rstrip()[:-2] + "11\n"  # old target status: reserved in 1.0
                break
        return lines

    bad = _break(hepmc_file, tmp_path, edit)
    failed = {c.id for c in validate_nuhepmc(str(bad)) if c.status == "FAIL"}
    assert {"G.R.4", "E.R.3", "E.R.7", "P.R.1"} <= failed


def test_process_ids():
    ids = process_ids(["C12_coherent", "C12_proton", "C12_neutron", "H1_proton", "weird"])
    assert ids == {"C12_coherent": 150, "C12_proton": 250, "C12_neutron": 251,
                   "H1_proton": 252, "weird": 750}


def test_validator_names_a_missing_cv_weight(hepmc_file, tmp_path):
    def edit(lines):
        return [ln.replace("CV", "XX", 1) if ln.startswith("W ") and "CV" in ln else ln
                for ln in lines]

    bad = _break(hepmc_file, tmp_path, edit)
    failed = {c.id: c for c in validate_nuhepmc(str(bad)) if c.status == "FAIL"}
    assert "G.R.7" in failed, failed


def test_validator_names_two_beam_particles(hepmc_file, tmp_path):
    def edit(lines):
        done = False
        out = []
        for ln in lines:
            fields = ln.split()
            # first final-state (status 1) particle of the first event becomes a second beam
            if not done and ln.startswith("P ") and fields[-1] == "1":
                fields[-1] = "4"
                ln = " ".join(fields) + "\n"
                done = True
            out.append(ln)
        return out

    bad = _break(hepmc_file, tmp_path, edit)
    failed = {c.id: c for c in validate_nuhepmc(str(bad)) if c.status == "FAIL"}
    assert "E.R.7" in failed, failed
    assert failed["E.R.7"].n_failed == 1
