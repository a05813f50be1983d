"""`zpgen merge` keeps the Monte Carlo errors of the cross sections and expected events.

n jobs are n independent estimates of the same quantity; the merged value is their mean,
whose error is sqrt(sum err_i^2)/n (zpgen.writers.merge).  compare-lhe reads the merged
error back (its cross-section test needs it).
"""

from __future__ import annotations

import math

import pytest

from zpgen.cli import main
from zpgen.writers import writer_for_path
from zpgen.writers.read import read_metadata

ERRS = {"C12_coherent": [3.0e-42, 4.0e-42, 1.2e-41], "H1_proton": [1.0e-42, 2.0e-42, 2.0e-42]}
EVENT_ERRS = [10.0, 20.0, 20.0]


def _jobs(tmp_path, synth, suffix):
    paths = []
    for j in range(3):
        seed = 300 + j
        info = synth.make_run_info(seed=seed, job_index=j,
                                   card=synth.CARD.replace("seed = 17", f"seed = {seed}"))
        chunks = [synth.make_chunk(20, seed=seed, offset=0, n_total=20)]
        totals = synth.make_totals(chunks)
        totals["sigma_err_cm2"] = {ch: errs[j] for ch, errs in ERRS.items()}
        totals["expected_events_err"] = EVENT_ERRS[j]
        path = tmp_path / f"job_{j}{suffix}"
        with writer_for_path(path) as out:
            out.open(path, info)
            for c in chunks:
                out.write(c)
            out.close(totals)
        paths.append(path)
    return paths


@pytest.mark.parametrize("suffix", [".root", ".parquet"])
def test_merge_keeps_errors_of_the_mean(tmp_path, synth, suffix):
    paths = _jobs(tmp_path, synth, suffix)
    out = tmp_path / f"merged{suffix}"
    assert main(["merge", str(out), *map(str, paths)]) == 0
    totals = read_metadata(out)["run_info"]["totals"]
    for ch, errs in ERRS.items():
        expect = math.sqrt(sum(e * e for e in errs)) / 3
        assert totals["sigma_err_cm2"][ch] == pytest.approx(expect, rel=1e-12), ch
    # sqrt(100 + 400 + 400)/3 = 10
    assert totals["expected_events_err"] == pytest.approx(10.0, rel=1e-12)


def test_compare_lhe_reads_the_merged_error(tmp_path, synth):
    from zpgen.madgraph.compare_lhe import read_sample

    paths = _jobs(tmp_path, synth, ".parquet")
    out = tmp_path / "merged.parquet"
    assert main(["merge", str(out), *map(str, paths)]) == 0
    sample = read_sample(out, channel="H1_proton")
    expect = math.sqrt(sum(e * e for e in ERRS["H1_proton"])) / 3 * 1e36  # cm^2 -> pb
    assert sample.sigma_err_pb == pytest.approx(expect, rel=1e-12)
