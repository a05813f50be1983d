"""`zpgen info` on every format and `zpgen merge` of ROOT and Parquet job outputs."""

from __future__ import annotations

import json

import awkward as ak
import numpy as np
import pytest
import uproot

from zpgen.cli import build_parser, main
from zpgen.writers import writer_for_path
from zpgen.writers.merge import merge_files
from zpgen.writers.read import iter_chunks, read_metadata


def _write(path, chunks, run_info, totals):
    with writer_for_path(path) as out:
        out.open(path, run_info)
        for c in chunks:
            out.write(c)
        out.close(totals)
    return path


@pytest.mark.parametrize("suffix", [".root", ".hepmc3", ".lhe", ".parquet"])
def test_info(tmp_path, suffix, chunks, run_info, synth, capsys):
    path = _write(tmp_path / f"ev{suffix}", chunks, run_info, synth.make_totals(chunks))
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    for text in ("zpgen 0.1.0", "seed            17", "POT             1.875e+21",
                 "events          65", "C12_coherent", "sigma = 2.5e-40 cm^2", "m5 = 0.110"):
        assert text in out, text
    assert main(["info", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["written"]["n_events"] == 65 and doc["card"] == synth.CARD


def test_info_errors(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.root")]) == 2
    bad = tmp_path / "x.txt"
    bad.write_text("")
    assert main(["info", str(bad)]) == 2
    assert "supported suffixes" in capsys.readouterr().err


def test_help_has_examples():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in ("info", "merge", "validate-nuhepmc"):
        text = sub.choices[name].format_help()
        assert "examples:" in text and f"zpgen {name}" in text


def _jobs(tmp_path, synth, suffix, n_jobs=3):
    paths, sums = [], []
    for j in range(n_jobs):
        seed = 100 + j
        info = synth.make_run_info(seed=seed, job_index=j,
                                   card=synth.CARD.replace("seed = 17", f"seed = {seed}")
                                   .replace('"events.root"', f'"job_{j}{suffix}"'))
        chunks = [synth.make_chunk(30 + j, seed=seed, offset=0, n_total=50 + j),
                  synth.make_chunk(20, seed=seed + 50, offset=30 + j, n_total=50 + j)]
        tot = synth.make_totals(chunks)
        sums.append(tot["sum_w"])
        paths.append(_write(tmp_path / f"job_{j}{suffix}", chunks, info, tot))
    return paths, sums


@pytest.mark.parametrize("suffix", [".root", ".parquet"])
def test_merge_rescales_to_mean(tmp_path, synth, suffix, capsys):
    paths, sums = _jobs(tmp_path, synth, suffix)
    out = tmp_path / f"merged{suffix}"
    assert main(["merge", str(out), *map(str, paths)]) == 0
    assert "3 jobs" in capsys.readouterr().out
    merged = ak.concatenate(list(iter_chunks(out)))
    inputs = [ak.concatenate(list(iter_chunks(p))) for p in paths]
    assert len(merged) == sum(len(a) for a in inputs) == 50 + 51 + 52
    # the convention: merged w = w / n_jobs, so sum(w) = mean of the jobs' sums
    assert float(np.sum(merged.w)) == pytest.approx(np.mean(sums), rel=1e-13)
    np.testing.assert_array_equal(ak.to_numpy(merged.w),
                                  np.concatenate([ak.to_numpy(a.w) for a in inputs]) / 3)
    assert ak.to_list(merged.particles) == ak.to_list(ak.concatenate([a.particles
                                                                       for a in inputs]))
    info = read_metadata(out)["run_info"]
    assert info["n_jobs"] == 3 and len(info["merged_from"]) == 3
    assert info["totals"]["sum_w"] == pytest.approx(np.mean(sums), rel=1e-13)
    assert info["written"]["n_events"] == 153
    assert not [p for p in tmp_path.iterdir() if ".part" in p.name]
    if suffix == ".root":
        with uproot.open(out) as f:  # the selected E_vis of the 0.2-1.25 GeV E_QE window
            h = f["h_E_vis"]
            eqe = ak.to_numpy(merged.E_QE)
            window = (eqe >= 0.2) & (eqe < 1.25)
            w = ak.to_numpy(merged.w * merged.w_eff * merged.passes)
            ref, _ = np.histogram(ak.to_numpy(merged.E_vis)[window], bins=h.axis().edges(),
                                  weights=w[window])
            np.testing.assert_allclose(h.values(), ref, rtol=1e-12)


def test_merge_rejects_different_cards(tmp_path, synth, chunks, capsys):
    a = _write(tmp_path / "a.root", chunks, synth.make_run_info(), {})
    other = synth.make_run_info(seed=18, card=synth.CARD.replace("m5 = 0.110", "m5 = 0.120")
                                .replace("seed = 17", "seed = 18"))
    b = _write(tmp_path / "b.root", chunks, other, {})
    assert main(["merge", str(tmp_path / "m.root"), str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert "cards differ at model.m5: 0.11" in err and "0.12" in err
    assert not (tmp_path / "m.root").exists()


def test_merge_rejects_duplicates_and_mixed_formats(tmp_path, synth, chunks):
    from zpgen.writers.merge import MergeError

    a = _write(tmp_path / "a.root", chunks, synth.make_run_info(), {})
    b = _write(tmp_path / "b.root", chunks, synth.make_run_info(), {})
    with pytest.raises(MergeError, match="same seed and job index"):
        merge_files(tmp_path / "m.root", [a, b])
    c = _write(tmp_path / "c.parquet", chunks, synth.make_run_info(seed=5), {})
    with pytest.raises(MergeError, match="all be ROOT or all be Parquet"):
        merge_files(tmp_path / "m.root", [a, c])
    with pytest.raises(MergeError, match="at least two"):
        merge_files(tmp_path / "m.root", [a])
