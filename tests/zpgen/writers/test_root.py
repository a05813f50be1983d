"""ROOT writer: exact float64 round trip through uproot, metadata, histograms."""

from __future__ import annotations

import json

import awkward as ak
import numpy as np
import pytest
import uproot
from zpgen.detectors._common import MINIBOONE_EQE_EDGES_GeV, miniboone_histograms

from zpgen.writers.read import iter_chunks, read_metadata
from zpgen.writers.root import PARTICLE_PREFIX, RootWriter

PARTICLE_FIELDS = ("pdg", "status", "mother", "E", "px", "py", "pz", "x", "y", "z", "t")


@pytest.fixture
def root_file(tmp_path, chunks, run_info, synth):
    path = tmp_path / "events.root"
    with RootWriter() as out:
        out.open(path, run_info)
        for c in chunks:
            out.write(c)
        out.close(synth.make_totals(chunks))
    return path


def test_tree_is_ttree_with_separate_particle_branches(root_file):
    with uproot.open(root_file) as f:
        assert f.classnames()["events;1"] == "TTree"
        tree = f["events"]
        for name in PARTICLE_FIELDS:
            expected = "int32_t[]" if name in ("pdg", "status", "mother") else "double[]"
            assert tree[PARTICLE_PREFIX + name].typename == expected, name
        assert tree["n_particles"].typename == "int32_t"


def test_exact_roundtrip(root_file, chunks):
    cat = ak.concatenate(chunks)
    with uproot.open(root_file) as f:
        got = f["events"].arrays()
    assert len(got) == len(cat) == 65
    for name in cat.fields:
        if name == "particles":
            continue
        a, b = ak.to_numpy(got[name]), ak.to_numpy(cat[name])
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)  # bit-exact float64
    np.testing.assert_array_equal(ak.to_numpy(got["n_particles"]),
                                  ak.to_numpy(ak.num(cat.particles)))
    assert set(ak.to_numpy(got["n_particles"]).tolist()) == {7, 8}  # genuinely jagged
    for name in PARTICLE_FIELDS:
        a, b = got[PARTICLE_PREFIX + name], cat.particles[name]
        assert ak.all(ak.num(a) == ak.num(b))
        np.testing.assert_array_equal(ak.to_numpy(ak.flatten(a)), ak.to_numpy(ak.flatten(b)),
                                      err_msg=name)


def test_read_back_as_chunks(root_file, chunks):
    back = ak.concatenate(list(iter_chunks(root_file, step_size=30)))
    assert ak.to_list(back) == ak.to_list(ak.concatenate(chunks))


def test_metadata(root_file, chunks, run_info, synth):
    with uproot.open(root_file) as f:
        assert f.classnames()["zpgen_card;1"] == "TObjString"
        assert str(f["zpgen_card"]) == synth.CARD
        info = json.loads(str(f["zpgen_run_info"]))
    cat = ak.concatenate(chunks)
    assert info["version"] == "0.1.0" and info["seed"] == 17
    assert info["command"] == "zpgen run card.toml"
    assert info["channels"] == ["C12_coherent", "H1_proton"]
    assert info["pot"] == run_info["pot"]
    assert info["written"]["n_events"] == 65
    assert info["written"]["sum_w"] == pytest.approx(float(np.sum(cat.w)), rel=1e-14)
    assert info["totals"]["sigma_cm2"]["H1_proton"] == 0.71e-40
    assert info["columns"]["E_nu"]["unit"] == "GeV"
    assert info["columns"]["particles.x"]["unit"] == "cm"
    assert info["columns"]["particles.t"]["unit"] == "ns"
    assert read_metadata(root_file)["run_info"] == info


@pytest.mark.parametrize("spec", miniboone_histograms(), ids=lambda s: s.name)
def test_histograms_match_numpy(root_file, chunks, spec):
    """Each declared TH1D = numpy's histogram of the declared weight (w * w_eff * passes for
    the selected ones, w before selection) in the declared window, with Sumw2 errors,
    titles and axis titles with units."""
    cat = ak.concatenate(chunks)
    with uproot.open(root_file) as f:
        h = f[spec.name]
        assert f.classnames()[f"{spec.name};1"] == "TH1D"
        np.testing.assert_array_equal(h.axis().edges(), spec.edges)
        assert h.title == spec.title and h.member("fXaxis").member("fTitle") == spec.x_label
        assert h.member("fYaxis").member("fTitle") == spec.y_label
        x = ak.to_numpy(cat[spec.column])
        w = ak.to_numpy(cat.w)
        if spec.selected:
            w = w * ak.to_numpy(cat.w_eff) * ak.to_numpy(cat.passes)
        keep = np.isfinite(x)
        if spec.window is not None:
            v = ak.to_numpy(cat[spec.window[0]])
            keep &= (v >= spec.window[1]) & (v < spec.window[2])
        ref, _ = np.histogram(x[keep], bins=np.asarray(spec.edges), weights=w[keep])
        ref2, _ = np.histogram(x[keep], bins=np.asarray(spec.edges), weights=w[keep] ** 2)
        np.testing.assert_allclose(h.values(), ref, rtol=1e-12, atol=0)
        np.testing.assert_allclose(h.errors(), np.sqrt(ref2), rtol=1e-12, atol=0)
    if spec.name == "h_E_QE":
        assert spec.edges == MINIBOONE_EQE_EDGES_GeV and len(spec.edges) == 12


def test_branch_titles_carry_units(root_file):
    with uproot.open(root_file) as f:
        tree = f["events"]
        assert tree["E_nu"].title == "true neutrino energy [GeV]"
        assert tree["w_xsec"].title.endswith("[cm^2]")
        assert tree["p_t"].title == "production time [ns]"
        assert "20 target" in tree["p_status"].title


def test_generic_extra_columns(tmp_path, synth, run_info):
    chunk = synth.make_chunk(10)
    chunk = ak.with_field(chunk, np.arange(10, dtype=np.int16), "my_flag")
    path = tmp_path / "x.root"
    with RootWriter(histograms=False) as out:
        out.open(path, run_info)
        out.write(chunk)
        out.close({})
    with uproot.open(path) as f:
        assert "h_E_vis" not in f
        np.testing.assert_array_equal(f["events"]["my_flag"].array(library="np"),
                                      np.arange(10))


def test_pyroot_reads_the_file(root_file, chunks):
    """A real ROOT opens the file: entries, RDataFrame's sum of w equals uproot's, a TH1D.

    .ci/run installs PyROOT with `pip install ROOT` (ROOT 6.40 wheels on PyPI); where no
    wheel exists for the platform the test is skipped with this message.
    """
    ROOT = pytest.importorskip(
        "ROOT", reason="PyROOT (import ROOT) is not installed: `pip install ROOT` "
                       "(.ci/run does); the uproot round-trip tests cover the file content")
    f = ROOT.TFile.Open(str(root_file))  # pragma: no cover - needs ROOT
    tree = f.Get("events")
    assert tree.GetEntries() == 65
    w = []
    for ev in tree:
        w.append(ev.w)
        assert len(ev.p_E) == ev.n_particles
    expected = ak.to_numpy(ak.concatenate(chunks).w)
    np.testing.assert_array_equal(np.array(w), expected)
    rdf_sum = ROOT.RDataFrame("events", str(root_file)).Sum("w").GetValue()
    with uproot.open(root_file) as uf:
        uproot_sum = float(np.sum(uf["events"]["w"].array(library="np")))
        hist_names = [k.split(";")[0] for k, c in uf.classnames().items() if c == "TH1D"]
    assert rdf_sum == pytest.approx(uproot_sum, rel=1e-12)
    assert hist_names
    h = f.Get(hist_names[0])
    assert h.InheritsFrom("TH1D") and h.GetNbinsX() > 0
    assert tree.GetBranch("E_nu").GetTitle() == "true neutrino energy [GeV]"
    sel = f.Get("h_E_QE")
    assert sel.GetSumw2N() == sel.GetNbinsX() + 2 and "[GeV]" in sel.GetXaxis().GetTitle()
