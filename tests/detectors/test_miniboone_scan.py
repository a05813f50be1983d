"""``zpgen scan`` (detectors/miniboone_scan.py, detectors/commands/scan.py) against
``zpgen compare`` of files generated at the same points, reweighted points against
generated ones, resumption, and the refusals before work."""

from __future__ import annotations

import csv
import json

import pytest

from zpgen.cli import main

N = "20000"


def read_csv(path):
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def mass_scan(tmp_path_factory, miniboone_data):
    folder = tmp_path_factory.mktemp("scan")
    table = folder / "mz.csv"
    assert main(["scan", "--vary", "model.mzprime=0.02,0.03", "-n", N, "-o", str(table),
                 "--plot", str(folder / "mz.png"), "--data-release", str(miniboone_data),
                 "-q"]) == 0
    return folder, table


def test_scan_point_is_compare_of_a_file_generated_there(mass_scan, miniboone_data, capsys):
    folder, table = mass_scan
    rows = {float(r["model.mzprime"]): r for r in read_csv(table)}
    assert set(rows) == {0.02, 0.03}
    out = folder / "mz30.root"
    assert main(["generate", "--set", "model.mzprime=0.03", "-n", N, "-o", str(out),
                 "-q"]) == 0
    capsys.readouterr()
    assert main(["compare", str(out), "--data-release", str(miniboone_data),
                 "--json"]) == 0
    compared = json.loads(capsys.readouterr().out)
    row = rows[0.03]
    assert abs(float(row["delta_chi2"]) - compared["delta_chi2"]) < 0.5
    # same card, seed and events: the same numbers, not only within the tolerance
    assert float(row["delta_chi2"]) == pytest.approx(compared["delta_chi2"], rel=1e-9)
    assert float(row["mu_best"]) == pytest.approx(compared["mu_best"], rel=1e-9)
    assert float(row["selected_events"]) == pytest.approx(
        compared["signal_events_selected"], rel=1e-9)
    assert row["method"] == "generated" and int(row["n_events"]) == int(N)
    assert (folder / "mz.png").stat().st_size > 10_000


def test_a_finished_scan_resumes_without_work_and_refuses_other_settings(
        mass_scan, miniboone_data, capsys):
    _, table = mass_scan
    before = table.read_bytes()
    args = ["scan", "--vary", "model.mzprime=0.02,0.03", "-o", str(table),
            "--data-release", str(miniboone_data)]
    assert main([*args, "-n", N]) == 0
    assert "2 already in" in capsys.readouterr().err
    assert table.read_bytes() == before
    assert main([*args, "-n", "30000"]) == 2
    assert "was made with n_events = 20000, this scan has 30000" in capsys.readouterr().err
    assert main([*args, "-n", N, "--set", "model.m4=0.05"]) == 2
    assert "was made with base_card" in capsys.readouterr().err
    assert table.read_bytes() == before


def test_coupling_scan_reweights_and_agrees_with_generated_points(tmp_path, miniboone_data):
    sets = ["--vary", "model.couplings.g_p=5e-4,1e-3,2e-3", "--vary",
            "model.couplings.ca_l=1.88e-4,8e-4"]
    common = ["-n", "40000", "--data-release", str(miniboone_data), "-q"]
    assert main(["scan", *sets, "-o", str(tmp_path / "rw.json"), *common]) == 0
    assert main(["scan", *sets, "-o", str(tmp_path / "gen.json"), "--no-reweight",
                 *common]) == 0
    rw = json.loads((tmp_path / "rw.json").read_text())
    gen = json.loads((tmp_path / "gen.json").read_text())
    assert sorted(r["method"] for r in rw) == ["generated"] + ["reweighted"] * 5
    assert {r["method"] for r in gen} == {"generated"}
    for a, b in zip(rw, gen, strict=True):
        assert (a["model.couplings.g_p"], a["model.couplings.ca_l"]) == (
            b["model.couplings.g_p"], b["model.couplings.ca_l"])
        # independent samples of the same point: agree within their Monte Carlo errors
        err = b["expected_events"] * 3.0 * (1.0 / a["ess"] + 1.0 / b["ess"]) ** 0.5
        assert abs(a["expected_events"] - b["expected_events"]) < err
        assert a["delta_chi2"] == pytest.approx(b["delta_chi2"], abs=0.5)
    # the rate moves with the couplings (g_p: coherent charge 6 g_p + 6 g_n)
    rates = {r["model.couplings.g_p"]: r["expected_events"] for r in gen
             if r["model.couplings.ca_l"] == 1.88e-4}
    assert rates[2e-3] > 1.8 * rates[1e-3] > 3.0 * rates[5e-4]


@pytest.mark.parametrize("args, message", [
    (["--vary", "model.mzprim=0.02"], "did you mean 'mzprime'"),
    (["--vary", "model.mzprime=0.02:0.03:0"], "an empty range"),
    (["--vary", "model.mzprime=0.0002,0.02"], "must be > 2 m_e"),
    ([], "--vary: give at least one"),
    (["--vary", "model.mzprime=0.02", "-n", "0"], "--n-events"),
    (["--vary", "model.mzprime=0.02", "--data-release", "/nonexistent"], "not found"),
])
def test_bad_input_is_refused_before_work(tmp_path, miniboone_data, capsys, args, message):
    table = tmp_path / "t.csv"
    full = ["scan", *args, "-o", str(table)]
    if "--data-release" not in args:
        full += ["--data-release", str(miniboone_data)]
    assert main(full) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not table.exists()
