"""Job arrays write weights normalised to the array (issue 14): the K job files chain.

A job of ``--n-jobs K`` carries 1/K of the exposure (``run_info["weight_share"]``), so the
sum of ``w`` over the K files chained by uproot is the expected number of events, checked
against the rate by quadrature (processes/rate.py, independent of the sampler); the
cross sections each file states (NuHepMC FATX, LHE XWGTUP) stay those of the full
exposure; ``zpgen merge`` copies the weights of all K jobs unchanged and rescales a subset;
``zpgen compare`` on one job file scales it to the full exposure and says so.
"""

from __future__ import annotations

import os

import numpy as np
import pyhepmc
import pylhe
import pytest
import uproot

from zpgen.card import parse_card
from zpgen.cli import main
from zpgen.registry import load_plugin
from zpgen.writers.read import read_metadata

K = 3
N_JOB = 4000


@pytest.fixture(scope="module")
def jobs(tmp_path_factory, fast_grid):
    folder = tmp_path_factory.mktemp("jobs")
    paths = []
    for j in range(K):
        path = folder / f"job{j}.root"
        assert main(["generate", "--grid", str(fast_grid), "--job-index", str(j), "--n-jobs",
                     str(K), "-n", str(N_JOB), "-q", "-o", str(path)]) == 0
        paths.append(path)
    return folder, paths


def rate_by_quadrature():
    from zpgen.processes.rate import rate_summary

    card = parse_card()
    flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
    det = load_plugin("detector", card.detector["name"]).from_options(card.detector)
    return rate_summary(card, flux, det)["total_events"]


def test_chained_job_files_sum_to_the_expected_events(jobs):
    _, paths = jobs
    chained = uproot.concatenate([f"{p}:events" for p in paths], ["w"], library="np")["w"]
    assert chained.size == K * N_JOB
    infos = [read_metadata(p)["run_info"] for p in paths]
    for info in infos:
        assert info["weight_share"] == pytest.approx(1.0 / K, rel=1e-15)
        # each job's own sum is its estimate of the full exposure times 1/K
        assert info["written"]["sum_w"] == pytest.approx(info["totals"]["sum_w"] / K,
                                                         rel=1e-12)
    errors = [info["totals"]["expected_events_err"] for info in infos]
    error_of_mean = float(np.sqrt(np.sum(np.square(errors)))) / K
    expected = rate_by_quadrature()
    assert abs(chained.sum() - expected) < 4 * error_of_mean + 1e-3 * expected


def test_each_file_states_the_full_cross_section(fast_grid, tmp_path):
    """FATX (NuHepMC) and the mean XWGTUP (LHE) of a job file equal those of a run of the
    full exposure with the same events: the weight share is undone, not inherited."""
    out = {}
    for suffix, extra in ((".hepmc3", ["--n-jobs", str(K)]), (".lhe", ["--n-jobs", str(K)]),
                          (".full.hepmc3", [])):
        path = tmp_path / f"j1{suffix}"
        assert main(["generate", "--grid", str(fast_grid), "--job-index", "1", *extra,
                     "-n", "1500", "-q", "-o", str(path)]) == 0
        out[suffix] = path
    fatx = {}
    for key in (".hepmc3", ".full.hepmc3"):
        with pyhepmc.open(str(out[key])) as f:
            event = next(iter(f))
            fatx[key] = event.run_info.attributes[
                "NuHepMC.FluxAveragedTotalCrossSection"].astype(float)
    assert fatx[".hepmc3"] == pytest.approx(fatx[".full.hepmc3"], rel=1e-12)
    lhe = pylhe.LHEFile.fromfile(str(out[".lhe"]))
    x = np.array([e.eventinfo.weight for e in lhe.events])
    assert x.mean() == pytest.approx(fatx[".full.hepmc3"], rel=1e-12)


def test_merge_copies_all_jobs_unchanged_and_rescales_a_subset(jobs):
    folder, paths = jobs
    chained = np.concatenate([uproot.open(p)["events"]["w"].array(library="np")
                              for p in paths])
    merged = folder / "all.root"
    assert main(["merge", str(merged), *map(str, paths)]) == 0
    w = uproot.open(merged)["events"]["w"].array(library="np")
    np.testing.assert_array_equal(w, chained)  # factor exactly 1: copied bit for bit
    assert read_metadata(merged)["run_info"]["weight_share"] == 1.0
    # two of the three jobs: their mean estimate of the full exposure
    subset = folder / "two.root"
    assert main(["merge", str(subset), *map(str, paths[:2])]) == 0
    w2 = uproot.open(subset)["events"]["w"].array(library="np")
    np.testing.assert_allclose(w2, chained[:2 * N_JOB] * K / 2, rtol=1e-15)
    os.remove(subset)


def test_compare_scales_one_job_file_to_the_exposure(jobs, miniboone_data):
    from zpgen.detectors.miniboone_compare import compare

    _, paths = jobs
    result = compare(paths[0], miniboone_data)
    with uproot.open(paths[0]) as f:
        cols = f["events"].arrays(["w", "w_eff", "passes", "E_QE"], library="np")
    reconstructed = np.isfinite(cols["E_QE"])  # compare bins the events by E_QE
    selected = float(np.sum((cols["w"] * cols["w_eff"] * cols["passes"])[reconstructed]))
    assert result["signal_events_selected"] == pytest.approx(K * selected, rel=1e-12)
    assert any("3-job array" in w for w in result["warnings"])


def test_run_jobs_without_merge_leaves_chainable_job_files(fast_grid, tmp_path, capsys):
    merged = tmp_path / "merged.root"
    assert main(["run-jobs", "--grid", str(fast_grid), "-n", "3000", "--n-jobs", "2",
                 "--executor", "local", "-q", "-o", str(merged)]) == 0
    out = tmp_path / "nomerge" / "run.root"
    out.parent.mkdir()
    assert main(["run-jobs", "--grid", str(fast_grid), "-n", "3000", "--n-jobs", "2",
                 "--executor", "local", "--no-merge", "-o", str(out)]) == 0
    assert "chain them" in capsys.readouterr().err
    assert not out.exists()
    files = sorted(out.parent.glob("run.job*.root"))
    assert [f.name for f in files] == ["run.job0000.root", "run.job0001.root"]
    chained = uproot.concatenate([f"{f}:events" for f in files], ["w"], library="np")["w"]
    w = uproot.open(merged)["events"]["w"].array(library="np")
    np.testing.assert_array_equal(chained, w)  # the same events, the same weights
    assert main(["run-jobs", "--grid", str(fast_grid), "-n", "3000", "--n-jobs", "2",
                 "--no-merge", "--keep-jobs", "-o", str(tmp_path / "x.root")]) == 2
