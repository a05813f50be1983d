"""Job arrays from one grid: merging K jobs reproduces the single-job expectation, a job
rerun alone reproduces its file, every executor (local, processes, Dask) gives the same
merged file, and merge refuses outputs of different grids or cards."""

from __future__ import annotations

import math
import os

import awkward as ak
import numpy as np
import pytest

from zpgen.card import CardError, parse_card
from zpgen.cli import main
from zpgen.executors import JobSpec, LocalExecutor, job_paths, run_job, run_jobs, split_events
from zpgen.generate import EventGenerator
from zpgen.gridpack import load_grid, save_grid
from zpgen.production import generate_file
from zpgen.writers.merge import MergeError, merge_files
from zpgen.writers.read import iter_chunks, read_metadata

N_TOTAL = 30_000
N_JOBS = 3


def _read(path):
    return ak.concatenate(list(iter_chunks(path)))


def _assert_same_events(a, b):
    assert a.fields == b.fields
    for name in a.fields:
        if name == "particles":
            for f in a.particles.fields:
                assert np.array_equal(ak.to_numpy(ak.flatten(a.particles[f])),
                                      ak.to_numpy(ak.flatten(b.particles[f])), equal_nan=True)
        else:
            assert np.array_equal(ak.to_numpy(a[name]), ak.to_numpy(b[name]), equal_nan=True)


@pytest.fixture(scope="module")
def processes_run(fast_grid, tmp_path_factory):
    folder = tmp_path_factory.mktemp("jobs")
    out = folder / "merged.root"
    result = run_jobs(fast_grid, N_TOTAL, N_JOBS, out, executor="processes", workers=2,
                      keep_jobs=True)
    return out, result


def test_merged_jobs_reproduce_the_single_job_expectation(fast_grid, processes_run, tmp_path):
    out, result = processes_run
    merged = _read(out)
    assert len(merged) == N_TOTAL
    assert [j["n_events"] for j in result["jobs"]] == split_events(N_TOTAL, N_JOBS)
    assert len({j["pid"] for j in result["jobs"]}) >= 1
    grid = load_grid(fast_grid)
    payload = grid.payload
    rate = sum(payload["pot"] * payload["targets"][c["name"]] * c["mean"]
               for c in grid.channels)
    rate_err = math.sqrt(sum((payload["pot"] * payload["targets"][c["name"]] * c["sdev"]) ** 2
                             for c in grid.channels))
    w = ak.to_numpy(merged.w)
    # merged w = w / K: the spread of the merged sum is that of the K job sums' mean
    job_sums = [j["sum_w"] for j in result["jobs"]]
    mc_err = math.sqrt(sum(ak.to_numpy(_read(p).w).var() * len(_read(p)) for p in
                           job_paths(out, N_JOBS))) / N_JOBS
    assert w.sum() == pytest.approx(np.mean(job_sums), rel=1e-12)
    assert abs(w.sum() - rate) < 4 * math.hypot(rate_err, mc_err), (w.sum(), rate)
    info = read_metadata(out)["run_info"]
    assert info["grid"]["sha256"] == grid.sha256 and info["n_jobs"] == N_JOBS
    # one job of the same total size (an independent stream: job index 7)
    single_path = tmp_path / "single.root"
    generate_file(grid.card(), single_path, n_events=N_TOTAL, job_index=7, grid=grid)
    single = _read(single_path)
    assert abs(ak.to_numpy(single.w).sum() - w.sum()) < 5 * math.hypot(
        mc_err, math.sqrt(len(single) * ak.to_numpy(single.w).var()))
    for column, edges in (("E_nu", np.linspace(0.1, 2.5, 25)),
                          ("E_vis", np.linspace(0.0, 1.5, 16))):
        chi2, ndf = 0.0, 0
        h = []
        for ev in (merged, single):
            x, wt = ak.to_numpy(ev[column]), ak.to_numpy(ev.w)
            h.append((np.histogram(x, edges, weights=wt)[0],
                      np.histogram(x, edges, weights=wt * wt)[0]))
        for (a, va), (b, vb) in [(h[0], h[1])]:
            ok = (va + vb) > 0
            chi2 += float(np.sum((a[ok] - b[ok]) ** 2 / (va[ok] + vb[ok])))
            ndf += int(ok.sum())
        assert ndf >= 10
        assert chi2 < ndf + 5 * math.sqrt(2 * ndf), (column, chi2, ndf)


def test_job_rerun_alone_reproduces_its_file_exactly(fast_grid, processes_run, tmp_path):
    _, result = processes_run
    spec = JobSpec(**{k: result["jobs"][1][k] for k in JobSpec.__dataclass_fields__})
    again = run_job(JobSpec(**{**spec.__dict__, "output": os.fspath(tmp_path / "again.root"),
                               "threads": 1}))
    assert again["n_written"] == spec.n_events
    _assert_same_events(_read(spec.output), _read(tmp_path / "again.root"))
    # the CLI job gives the same file too
    cli = tmp_path / "cli.root"
    assert main(["generate", "--grid", str(fast_grid), "--job-index", "1", "--n-jobs",
                 str(N_JOBS), "-n", str(spec.n_events), "-o", str(cli), "-q"]) == 0
    _assert_same_events(_read(spec.output), _read(cli))


def test_local_executor_gives_the_same_merged_file(fast_grid, processes_run, tmp_path):
    from zpgen.writers.read import read_metadata

    out, _ = processes_run
    local = tmp_path / "local.root"
    run_jobs(fast_grid, N_TOTAL, N_JOBS, local, executor="local", threads=2,
             command="zpgen run-jobs --n-jobs 3 user-typed")
    _assert_same_events(_read(out), _read(local))
    assert not [p for p in tmp_path.iterdir() if ".job" in p.name]  # job files removed
    # the provenance is the user's command, not the worker's own command line
    assert read_metadata(local)["run_info"]["command"] == "zpgen run-jobs --n-jobs 3 user-typed"


def test_dask_local_cluster_gives_the_same_merged_file(fast_grid, processes_run, tmp_path):
    pytest.importorskip("distributed", reason="dask.distributed is not installed "
                                               "(pip install 'zpgen[dask]')")
    out, _ = processes_run
    dask_out = tmp_path / "dask.root"
    result = run_jobs(fast_grid, N_TOTAL, N_JOBS, dask_out, executor="dask", workers=2,
                      dask_processes=False)
    assert result["executor"] == "dask"
    _assert_same_events(_read(out), _read(dask_out))


def test_merge_refuses_different_grids_and_cards(fast_grid, tmp_path):
    card = parse_card()
    other_grid = tmp_path / "other.zpg"
    save_grid(other_grid, card, EventGenerator(card, nitn=3, neval=3000, nitn_final=1))
    a, b, c = tmp_path / "a.root", tmp_path / "b.root", tmp_path / "c.root"
    generate_file(card, a, n_events=500, job_index=0, grid=load_grid(fast_grid))
    generate_file(card, b, n_events=500, job_index=1, grid=load_grid(other_grid))
    with pytest.raises(MergeError, match=r"from grid .* cannot be merged"):
        merge_files(tmp_path / "m.root", [a, b])
    generate_file(card, c, n_events=500, job_index=1, n_jobs=2, threads=1,
                  adapt={"nitn": 3, "neval": 3000, "nitn_final": 1})
    with pytest.raises(MergeError, match="no grid"):
        merge_files(tmp_path / "m.root", [a, c])
    other_card = parse_card(None, ["model.m5=0.12"])
    d = tmp_path / "d.root"
    generate_file(other_card, d, n_events=500, job_index=1,
                  adapt={"nitn": 3, "neval": 3000, "nitn_final": 1})
    with pytest.raises(MergeError, match=r"cards differ at model\.m5"):
        merge_files(tmp_path / "m.root", [c, d])
    e = tmp_path / "e.root"
    generate_file(card, e, n_events=500, job_index=0, grid=load_grid(fast_grid))
    with pytest.raises(MergeError, match="same seed and job index"):
        merge_files(tmp_path / "m.root", [a, e])
    assert not (tmp_path / "m.root").exists()


def test_job_index_and_executor_errors(fast_grid, tmp_path, capsys):
    with pytest.raises(CardError, match="job_index: must be < n_jobs = 2"):
        generate_file(parse_card(), tmp_path / "x.root", n_events=10, job_index=2, n_jobs=2,
                      grid=load_grid(fast_grid))
    with pytest.raises(ValueError, match="n_events: must be >= n_jobs"):
        split_events(2, 3)
    assert main(["run-jobs", "--grid", str(fast_grid), "-n", "10", "--n-jobs", "0",
                 "-o", str(tmp_path / "y.root")]) == 2
    assert "--n-jobs" in capsys.readouterr().err
    assert main(["run-jobs", "--grid", str(tmp_path / "none.zpg"), "-n", "10", "--n-jobs",
                 "2", "-o", str(tmp_path / "y.root")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["run-jobs", "--grid", str(fast_grid), "-n", "10", "--n-jobs", "2",
                 "--scheduler", "tcp://x:1", "-o", str(tmp_path / "y.root")]) == 2
    assert "--scheduler" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert LocalExecutor().submit(pow, 2, 5).result() == 32
    with pytest.raises(ZeroDivisionError):
        LocalExecutor().submit(lambda: 1 / 0).result()


def test_run_jobs_cli_adapts_and_merges(tmp_path, capsys):
    out = tmp_path / "all.parquet"
    assert main(["run-jobs", "--set", "detector.name=truth", "-n", "4000", "--n-jobs", "2",
                 "--executor", "local", "--nitn", "3", "--neval", "3000", "-o", str(out)]) == 0
    assert "2 jobs on local" in capsys.readouterr().err
    info = read_metadata(out)["run_info"]
    assert info["n_jobs"] == 2 and info["grid"]["sha256"]
    assert len(_read(out)) == 4000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.parquet"]
