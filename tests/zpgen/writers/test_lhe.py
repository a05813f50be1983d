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


def test_roundtrip(lhe_file, chunks, run_info):
    """Exact momenta; ISTUP, MOTHUP from the record's convention (1 2 for the products of
    the scattering); XWGTUP = N w 1e36 / (POT flux atoms) pb, CV = w."""
    cat = ak.concatenate(chunks)
    lhe = pylhe.LHEFile.fromfile(str(lhe_file), with_attributes=True)
    events = list(lhe.events)
    assert len(events) == len(cat)
    scale = len(cat) * 1e36 / (run_info["pot"] * run_info["flux_total"] * run_info["n_atoms"])
    for ev, ref in zip(events, cat, strict=True):
        np.testing.assert_allclose(ev.eventinfo.weight, ref.w * scale, rtol=1e-15, atol=0)
        np.testing.assert_allclose(ev.weights["CV"], ref.w, rtol=1e-15, atol=0)
        np.testing.assert_allclose(ev.eventinfo.scale, np.sqrt(-ref.t), rtol=1e-15)
        assert ev.eventinfo.pid == (150 if ref.channel == 0 else 252)
        assert len(ev.particles) == len(ref.particles)
        for p, q in zip(ev.particles, ref.particles, strict=True):
            assert p.id == q.pdg
            assert p.status == {4: -1, 20: -1, 1: 1, 2: 2}[int(q.status)]
            assert [p.e, p.px, p.py, p.pz] == [q.E, q.px, q.py, q.pz]  # exact
            if q.status in (4, 20):
                assert (p.mother1, p.mother2) == (0, 0)
            elif q.mother < 0:
                assert (p.mother1, p.mother2) == (1, 2)
            else:
                assert p.mother1 == p.mother2 == q.mother + 1
        comment = ev.optional[0].split()
        assert comment[0] == "#zpgen"
        fields = dict(kv.split("=") for kv in comment[1:])
        assert float(fields["E_nu"]) == ref.E_nu and float(fields["vtx_z"]) == ref.vtx_z


def test_init_and_header(lhe_file, run_info, synth, chunks):
    """IDWTUP = -4: the mean XWGTUP is the total cross section (pb per atom), the sum of the
    process lines' XSECUP, and each XSECUP is its events' share."""
    lhe = pylhe.LHEFile.fromfile(str(lhe_file))
    events = list(lhe.events)
    assert len(events) == 65  # also closes the file
    init = lhe.init
    assert init.initInfo.beamA == 14
    assert init.initInfo.beamB in (1000060120, 2212)
    assert init.initInfo.weightingStrategy == -4
    assert init.initInfo.numProcesses == 2
    x = np.array([e.eventinfo.weight for e in events])
    pids = np.array([e.eventinfo.pid for e in events])
    xs = {p.procId: p.xSection for p in init.procInfo}
    cat = ak.concatenate(chunks)
    fatx = float(np.sum(cat.w)) * 1e36 / (run_info["pot"] * run_info["flux_total"]
                                          * run_info["n_atoms"])
    assert x.mean() == pytest.approx(fatx, rel=1e-13)
    assert sum(xs.values()) == pytest.approx(x.mean(), rel=1e-13)
    for pid in (150, 252):
        assert xs[pid] == pytest.approx(x[pids == pid].sum() / x.size, rel=1e-13)
        assert {p.procId: p.unitWeight for p in init.procInfo}[pid] == x[pids == pid].max()
    assert init.generators[0].name == "zpgen"
    meta = read_metadata(lhe_file)
    assert meta["card"] == synth.CARD
    assert meta["run_info"]["written"]["n_events"] == 65
    assert meta["run_info"]["seed"] == 17
