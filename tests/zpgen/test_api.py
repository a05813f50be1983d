"""The Python API (zpgen/api.py): run, load, Sample, against the rate quadrature, the files
zpgen generate writes, and every output format read back."""

from __future__ import annotations

import subprocess
import sys

import awkward as ak
import numpy as np
import pytest
from zpgen.processes.rate import rate_summary

import zpgen
from zpgen.card import CardError, load_card
from zpgen.cli import main
from zpgen.registry import load_plugin
from zpgen.writers.read import iter_chunks

FAST = {"nitn": 4, "neval": 4000, "nitn_final": 2}


@pytest.fixture(scope="module")
def sample():
    return zpgen.run(n_events=20_000, seed=1)


def rate(card):
    flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
    det = load_plugin("detector", card.detector["name"]).from_options(card.detector)
    return rate_summary(card, flux, det)


def test_import_is_light_and_exports_the_api():
    code = ("import sys, zpgen; print(sorted(m for m in ('numba', 'awkward', 'uproot', "
            "'vegas') if m in sys.modules)); print(callable(zpgen.run), zpgen.Sample)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == "[]"
    assert out[1].startswith("True <class 'zpgen.api.Sample'>")
    assert {"run", "load", "Sample"} <= set(zpgen.__all__) and "run" in dir(zpgen)


def test_run_predicts_the_rate_and_matches_zpgen_generate(sample, tmp_path):
    expected = rate(load_card())["total_events"]
    df = sample.to_pandas()
    assert df.w.sum() == pytest.approx(expected, rel=0.03)          # the acceptance check
    assert abs(df.w.sum() - expected) < 4 * sample.summary["expected_events_err"]
    out = tmp_path / "same.parquet"
    assert main(["generate", "-n", "20000", "--seed", "1", "-o", str(out), "-q"]) == 0
    written = ak.concatenate(list(iter_chunks(out)))
    assert np.array_equal(np.asarray(written.w), df.w.to_numpy())
    assert np.array_equal(np.asarray(written.E_QE), df.E_QE.to_numpy(), equal_nan=True)


def test_summary_is_computed_from_the_events(sample):
    s = sample.summary
    ev = sample.events
    w = np.asarray(ev.w)
    assert s["n_events"] == 20_000 == len(sample)
    assert s["selected_events"] == pytest.approx(float(np.sum(w * ev.w_eff * ev.passes)))
    assert s["ess"] == pytest.approx(w.sum() ** 2 / np.sum(w * w))
    reference = rate(load_card())
    br = reference["BR_visible"]
    for name, sigma in s["sigma_cm2"].items():
        assert sigma == pytest.approx(br * reference["flux_averaged_sigma"][name], rel=0.05)
    assert set(s["channels"]) == set(sample.channels)
    assert sample.columns["w"]["unit"] == "events"
    assert sample.columns["flight_nu5"]["unit"] == "cm"
    parts = sample.to_pandas(particles=True)
    assert len(parts) == int(ak.sum(ak.num(ev.particles))) and "event" in parts


@pytest.mark.parametrize("suffix", [".root", ".parquet", ".hepmc3", ".lhe"])
def test_write_and_load_every_format(sample, tmp_path, suffix):
    small = zpgen.Sample(sample.events[:2000], sample.run_info, sample.card, "zpgen.run")
    path = small.write(tmp_path / f"s{suffix}")
    back = zpgen.load(path)
    assert back.card.as_dict() == sample.card.as_dict()
    a, b = small.to_pandas(), back.to_pandas()
    assert list(a.columns) == list(b.columns)
    for column in a.columns:
        assert a[column].dtype == b[column].dtype, column
        assert np.allclose(a[column], b[column], rtol=1e-12, atol=0, equal_nan=True), column
    pa, pb = small.to_pandas(particles=True), back.to_pandas(particles=True)
    assert (pa.pdg == pb.pdg).all() and (pa.status == pb.status).all()
    assert (pa.mother == pb.mother).all()
    assert np.allclose(pa[["E", "px", "py", "pz"]], pb[["E", "px", "py", "pz"]], rtol=1e-12)
    # positions: exact up to the formats' units and the LHE's rebuilt decay points
    assert np.allclose(pa[["x", "y", "z"]], pb[["x", "y", "z"]], rtol=1e-9, atol=1e-9)
    assert back.summary["expected_events"] == pytest.approx(small.summary["expected_events"])
    with pytest.raises(Exception, match="exists"):
        small.write(path)


def test_presets_overrides_and_refusals():
    paper = zpgen.run("paper", n_events=2000, overrides=["model.mzprime=0.02"], **FAST)
    assert paper.card.model.kind == "blsm-paper" and paper.card.model.mzprime == 0.02
    assert paper.summary["selected_events"] == pytest.approx(
        0.2 * paper.summary["expected_events"])
    bare = zpgen.run(n_events=2000, detector=False, **FAST)
    assert bare.summary["selected_events"] is None
    with pytest.raises(CardError, match="did you mean 'mzprime'"):
        zpgen.run(n_events=100, overrides=["model.mzprim=0.02"])
    with pytest.raises(CardError, match="n_events"):
        zpgen.run(n_events=0)


def test_reweight_in_memory_is_the_rate_at_the_new_couplings(sample):
    other = sample.reweight(["model.couplings.g_p=2e-3", "model.couplings.cv_l=6e-4"])
    expected = rate(load_card(None, ("model.couplings.g_p=2e-3",
                                     "model.couplings.cv_l=6e-4")))["total_events"]
    assert other.summary["expected_events"] == pytest.approx(expected, rel=0.02)
    assert other.card.model.couplings.g_p == 2e-3
    with pytest.raises(CardError, match=r"model\.m4"):
        sample.reweight(["model.m4=0.05"])
