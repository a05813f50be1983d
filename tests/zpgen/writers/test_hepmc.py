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


def test_roundtrip_momenta_weights_pdgs(hepmc_file, chunks, run_info):
    """HepMC3 reads back every particle exactly; one primary vertex with the beam and the
    target in and the products of the scattering (mother -1) out; one decay vertex per
    decayed particle; the hydrogen target is written as the nucleus 1000010010."""
    cat = ak.concatenate(chunks)
    events = _events(hepmc_file)
    assert len(events) == len(cat)
    pid = {name: info["process_id"] for name, info in run_info["channel_info"].items()}
    for i, ev in enumerate(events):
        ref = cat[i]
        assert ev.event_number == i + 1
        assert ev.momentum_unit == pyhepmc.Units.GEV and ev.length_unit == pyhepmc.Units.MM
        assert ev.weight_names == ["CV"]
        assert ev.weights[0] == ref.w  # 17 significant digits: exact
        ch = ["C12_coherent", "H1_proton"][ref.channel]
        assert ev.attributes["signal_process_id"].astype(int) == pid[ch]
        nucleus = run_info["channel_info"][ch]["nucleus_pdg"]
        got = sorted((p.pid, p.status, p.momentum.e, p.momentum.px, p.momentum.py,
                      p.momentum.pz) for p in ev.particles)
        want = sorted((nucleus if int(p.status) == 20 else int(p.pdg), int(p.status), p.E,
                       p.px, p.py, p.pz) for p in ref.particles)
        assert got == want
        prim = [v for v in ev.vertices if v.status == 1]
        assert len(prim) == 1
        assert sorted(p.status for p in prim[0].particles_in) == [4, 20]
        out_ids = sorted(p.id - 1 for p in prim[0].particles_out)
        mothers = np.asarray(ref.particles.mother)
        status = np.asarray(ref.particles.status)
        assert out_ids == list(np.flatnonzero((mothers == -1) & (status != 4) & (status != 20)))
        pos = prim[0].position
        np.testing.assert_allclose([pos.x, pos.y, pos.z, pos.t],
                                   [ref.vtx_x * 10, ref.vtx_y * 10, ref.vtx_z * 10,
                                    ref.particles.t[0] * C_MM_PER_NS], rtol=1e-15)
        lab = ev.attributes["lab_pos"].astype(typing.List[float])  # noqa: UP006
        np.testing.assert_allclose(lab, [pos.x, pos.y, pos.z], atol=1e-6)
        assert len(ev.vertices) == 1 + len(set(ref.particles.mother.tolist()) - {-1})
        for v in ev.vertices:
            if v.status == 22:
                assert len(v.particles_in) == 1 and v.particles_in[0].status == 2


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
    assert {"G.R.8", "E.R.3", "E.R.7", "E.R.8", "P.R.1"} <= failed


@pytest.mark.parametrize("edit,rid", [
    (lambda ln: ln.replace("TargetScale PerAtom", "TargetScale PerTargetOfChannel"), "G.R.6"),
    (lambda ln: ln.replace("A NuHepMC.Conventions G.C.1 G.C.2", "A NuHepMC.Conventions G.C.1"),
     "G.R.5"),
    (lambda ln: ln.replace("A 0 lab_pos", "A 0 LabPos"), "E.R.5"),
    (lambda ln: "" if ln.startswith("A NuHepMC.AdditionalParticleInfo[9900014]") else ln,
     "G.C.5"),
    (lambda ln: "" if ln.startswith("A NuHepMC.Citations") else ln, "G.C.3"),
    (lambda ln: "" if ln.startswith("A NuHepMC.Beam[14].Type") else ln, "G.C.4"),
    (lambda ln: "" if ln.startswith("A NuHepMC.AdditionalParticleNumber[9900014].Name")
     else ln, "G.R.11"),
])
def test_validator_names_each_unfilled_requirement(hepmc_file, tmp_path, edit, rid):
    """Each NuHepMC 1.0 requirement or signalled convention zpgen once got wrong, broken on
    purpose, is reported under its own id."""
    bad = _break(hepmc_file, tmp_path, lambda lines: [edit(ln) for ln in lines])
    failed = {c.id for c in validate_nuhepmc(str(bad)) if c.status == "FAIL"}
    assert rid in failed, failed


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
