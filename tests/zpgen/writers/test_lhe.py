"""LHE writer: full-precision round trip through pylhe."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest

pylhe = pytest.importorskip("pylhe")

from zpgen.writers.lhe import LHEWriter  # noqa: E402
from zpgen.writers.read import read_metadata  # noqa: E402


@pytest.fixture
def lhe_file(tmp_path, chunks, run_info, synth):
    path = tmp_path / "events.lhe"
    with LHEWriter() as out:
        out.open(path, run_info)
        for c in chunks:
            out.write(c)
        out.close(synth.make_totals(chunks))
    return path


def test_pylhe_default_format_truncates():
    """Why zpgen passes its own LHEXMLFormat: pylhe's default keeps 11 digits."""
    info = pylhe.LHEEventInfo(nparticles=1, pid=1, weight=0.1 + 0.2, scale=1.0, aqed=0.0,
                              aqcd=0.0)
    assert pylhe.LHEEventInfo.fromstring(info.tolhe()).weight != 0.1 + 0.2


def test_roundtrip(lhe_file, chunks):
    cat = ak.concatenate(chunks)
    lhe = pylhe.LHEFile.fromfile(str(lhe_file), with_attributes=True)
    events = list(lhe.events)
    assert len(events) == len(cat)
    for ev, ref in zip(events, cat, strict=True):
        np.testing.assert_allclose(ev.eventinfo.weight, ref.w, rtol=1e-15, atol=0)
        np.testing.assert_allclose(ev.weights["CV"], ref.w, rtol=1e-15, atol=0)
        np.testing.assert_allclose(ev.weights["xsec_pb"], ref.w_xsec * 1e36, rtol=1e-15,
                                   atol=0)
        np.testing.assert_allclose(ev.eventinfo.scale, np.sqrt(-ref.t), rtol=1e-15)
        assert ev.eventinfo.pid == (150 if ref.channel == 0 else 250)
        assert len(ev.particles) == len(ref.particles)
        for p, q in zip(ev.particles, ref.particles, strict=True):
            assert p.id == q.pdg
            assert p.status == {4: -1, 11: -1, 1: 1, 2: 2}[int(q.status)]
            assert [p.e, p.px, p.py, p.pz] == [q.E, q.px, q.py, q.pz]  # exact
            if q.status in (4, 11):
                assert (p.mother1, p.mother2) == (0, 0)
            elif q.mother < 0:
                assert (p.mother1, p.mother2) == (1, 2)
            else:
                assert p.mother1 == q.mother + 1
        comment = ev.optional[0].split()
        assert comment[0] == "#zpgen"
        fields = dict(kv.split("=") for kv in comment[1:])
        assert float(fields["E_nu"]) == ref.E_nu and float(fields["vtx_z"]) == ref.vtx_z


def test_init_and_header(lhe_file, run_info, synth, chunks):
    lhe = pylhe.LHEFile.fromfile(str(lhe_file))
    assert len(list(lhe.events)) == 65  # also closes the file
    init = lhe.init
    assert init.initInfo.beamA == 14
    assert init.initInfo.beamB in (1000060120, 2212)
    assert init.initInfo.numProcesses == 2
    xs = {p.procId: p.xSection for p in init.procInfo}
    assert xs[150] == pytest.approx(2.5e-40 * 1e36, rel=1e-15)
    assert xs[250] == pytest.approx(0.71e-40 * 1e36, rel=1e-15)
    assert init.generators[0].name == "zpgen"
    meta = read_metadata(lhe_file)
    assert meta["card"] == synth.CARD
    assert meta["run_info"]["written"]["n_events"] == 65
    assert meta["run_info"]["seed"] == 17
