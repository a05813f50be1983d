"""zpgen compare: the E_QE prediction from a generated file, the fit against the release,
JSON and ROOT output, and clear errors on bad inputs."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
import uproot
from zpgen.detectors.miniboone_chi2 import MiniBooNERelease, chi2

from zpgen.cli import main

KEYS = {"chi2_min", "ndof", "chi2_background_only", "delta_chi2", "significance_sigma",
        "mu_best", "coupling_scale_best", "prediction", "data", "background",
        "eqe_edges_GeV"}
RELEASE_NAMES = ("miniboone_binboundaries_nue_lowe.txt", "miniboone_nuedata_lowe.txt",
                 "miniboone_nuebgr_lowe.txt", "miniboone_numudata.txt", "miniboone_numu.txt",
                 "miniboone_full_fractcovmatrix_nu_lowe.txt")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("compare")
    out = {}
    for name, extra in (("run.root", []), ("run.parquet", []),
                        ("nodet.root", ["--no-detector"]),
                        ("truth.root", ["--set", "detector.name=truth"])):
        path = d / name
        assert main(["generate", "-n", "3000", "-o", str(path), "-q", *extra]) == 0
        out[name] = path
    return out


def run_json(capsys, *args):
    rc = main(["compare", *map(str, args), "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    return json.loads(captured.out)


def release_dir(miniboone_data):
    d = miniboone_data / "data_release_2020_numode"
    return d if d.is_dir() else miniboone_data


def test_json_keys_and_values(files, miniboone_data, capsys):
    result = run_json(capsys, files["run.root"], "--data-release", miniboone_data)
    assert set(result) >= KEYS
    # prediction: independent histogram of the file's columns
    with uproot.open(files["run.root"]) as f:
        ev = f["events"].arrays(["E_QE", "w", "w_eff", "passes"], library="np")
    edges = np.loadtxt(release_dir(miniboone_data) / RELEASE_NAMES[0]) / 1000.0
    weight = ev["w"] * ev["w_eff"] * ev["passes"].astype(float)
    ok = np.isfinite(ev["E_QE"])
    expected, _ = np.histogram(ev["E_QE"][ok], bins=edges, weights=weight[ok])
    assert result["eqe_edges_GeV"] == pytest.approx(edges)
    assert result["prediction"] == pytest.approx(expected, rel=1e-12)
    assert sum(result["prediction"]) > 10.0
    rd = release_dir(miniboone_data)
    assert result["data"] == pytest.approx(np.loadtxt(rd / RELEASE_NAMES[1]))
    assert result["background"] == pytest.approx(np.loadtxt(rd / RELEASE_NAMES[2]))
    # chi2 values consistent with detectors.miniboone_chi2.chi2 at mu_best
    release = MiniBooNERelease.from_directory(miniboone_data)
    mu = result["mu_best"]
    at_best = chi2(mu * np.asarray(expected), release)
    assert result["chi2_min"] == pytest.approx(at_best.chi2, rel=1e-9)
    assert result["chi2_background_only"] == pytest.approx(at_best.chi2_background_only,
                                                           rel=1e-12)
    assert result["ndof"] == 18
    assert result["delta_chi2"] == pytest.approx(
        result["chi2_background_only"] - result["chi2_min"], rel=1e-12)
    assert result["significance_sigma"] == pytest.approx(np.sqrt(result["delta_chi2"]))
    assert result["coupling_scale_best"] == pytest.approx(np.sqrt(mu))
    assert mu > 0
    # mu_best is a minimum: neighbours are not lower
    for factor in (0.98, 1.02, 0.5, 2.0):
        assert chi2(factor * mu * np.asarray(expected), release).chi2 >= result["chi2_min"] - 1e-9
    assert result["delta_chi2"] > 0


def test_parquet_gives_the_same_prediction(files, miniboone_data, capsys):
    a = run_json(capsys, files["run.root"], "--data-release", miniboone_data)
    b = run_json(capsys, files["run.parquet"], "--data-release", miniboone_data)
    assert b["prediction"] == pytest.approx(a["prediction"], rel=1e-12)
    assert b["chi2_min"] == pytest.approx(a["chi2_min"], rel=1e-9)


def test_environment_variable_and_stat_option(files, miniboone_data, capsys, monkeypatch):
    monkeypatch.setenv("ZPGEN_MINIBOONE_DATA", str(miniboone_data))
    cnp = run_json(capsys, files["run.root"])
    pearson = run_json(capsys, files["run.root"], "--stat", "pearson")
    assert pearson["stat"] == "pearson"
    release = MiniBooNERelease.from_directory(miniboone_data)
    assert pearson["chi2_background_only"] == pytest.approx(
        chi2(np.zeros(11), release, "pearson").chi2_background_only)
    assert pearson["chi2_background_only"] != pytest.approx(cnp["chi2_background_only"])


def test_text_output_and_shapes(files, miniboone_data, capsys):
    assert main(["compare", str(files["run.root"]), "--data-release", str(miniboone_data),
                 "--shapes"]) == 0
    out = capsys.readouterr().out
    for text in ("chi2_min / ndof", "background only", "delta chi2", "sqrt(mu_best)",
                 "statistical only", "E_vis", "cos_theta"):
        assert text in out
    result = run_json(capsys, files["run.root"], "--data-release", miniboone_data, "--shapes")
    shapes = result["shapes"]
    assert "statistical" in shapes["errors"]
    for obs, n_bins in (("E_vis", 23), ("cos_theta", 20)):
        r = shapes[obs]
        assert len(r["signal"]) == n_bins
        assert len(r["edges"]) == n_bins + 1
        assert r["signal_mu"] == pytest.approx(result["mu_best"] * np.asarray(r["signal"]))
        d, b = np.asarray(r["data"]), np.asarray(r["background"])
        use = np.isfinite(d) & np.isfinite(b) & (d > 0)
        assert r["chi2_stat_background_only"] == pytest.approx(
            np.sum((d[use] - b[use]) ** 2 / d[use]))


def test_root_output(files, miniboone_data, capsys, tmp_path):
    out = tmp_path / "cmp.root"
    assert main(["compare", str(files["run.root"]), "--data-release", str(miniboone_data),
                 "--shapes", "--format", "root", "-o", str(out)]) == 0
    capsys.readouterr()
    result = run_json(capsys, files["run.root"], "--data-release", miniboone_data, "--shapes")
    release = MiniBooNERelease.from_directory(release_dir(miniboone_data))
    with uproot.open(out) as f:
        assert f.classname_of("signal") == "TH1D"
        assert f["signal"].values() == pytest.approx(result["prediction"])
        assert f["data"].values() == pytest.approx(result["data"])
        assert f["data"].errors() == pytest.approx(np.sqrt(result["data"]))
        assert f["background"].values() == pytest.approx(result["background"])
        # the background's error from the released covariance's background block
        frac = np.diag(release.fractional_covariance)[11:22]
        assert f["background"].errors() == pytest.approx(
            release.nue_background * np.sqrt(frac), rel=1e-12)
        assert f["signal"].axis().edges() == pytest.approx(result["eqe_edges_GeV"])
        assert f["signal_best_fit"].values() == pytest.approx(
            result["mu_best"] * np.asarray(result["prediction"]))
        assert "[GeV]" in f["signal"].member("fXaxis").member("fTitle")
        for obs in ("E_vis", "cos_theta"):
            shape = result["shapes"][obs]
            assert f[f"signal_{obs}"].values() == pytest.approx(shape["signal"])
            assert f[f"data_{obs}"].axis().edges() == pytest.approx(shape["edges"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp.root"]  # no temporary left
    # an existing output is not replaced without --overwrite
    assert main(["compare", str(files["run.root"]), "--data-release", str(miniboone_data),
                 "-o", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_plot(files, miniboone_data, capsys, tmp_path, suffix):
    """The data/MC figure is written (atomically) in the format of its suffix."""
    out = tmp_path / f"fig{suffix}"
    assert main(["compare", str(files["run.root"]), "--data-release", str(miniboone_data),
                 "--shapes", "--plot", str(out)]) == 0
    assert "figure" in capsys.readouterr().out
    head = out.read_bytes()[:8]
    assert head.startswith(b"\x89PNG") if suffix == ".png" else head.startswith(b"%PDF")
    if suffix == ".png":
        import matplotlib.image

        img = matplotlib.image.imread(out)
        assert img.shape[1] > 2 * img.shape[0]  # three panels side by side
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_plot_bad_paths_fail_before_work(files, miniboone_data, capsys, tmp_path):
    for bad, text in ((tmp_path / "fig.xyz", "unknown image suffix"),
                      (tmp_path / "nowhere" / "fig.png", "does not exist"),
                      (tmp_path, "unknown image suffix")):
        assert main(["compare", str(files["run.root"]), "--data-release",
                     str(miniboone_data), "--plot", str(bad)]) == 2
        assert text in capsys.readouterr().err
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # root can write anywhere
            assert main(["compare", str(files["run.root"]), "--data-release",
                         str(miniboone_data), "--plot", str(locked / "f.png")]) == 2
            assert "not writable" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def copy_release(miniboone_data, dst):
    dst.mkdir()
    for name in RELEASE_NAMES:
        shutil.copy(release_dir(miniboone_data) / name, dst / name)
    return dst


def test_missing_data_file_is_named(files, miniboone_data, capsys, tmp_path):
    d = copy_release(miniboone_data, tmp_path / "release")
    (d / "miniboone_numudata.txt").unlink()
    assert main(["compare", str(files["run.root"]), "--data-release", str(d)]) == 2
    err = capsys.readouterr().err
    assert "miniboone_numudata.txt" in err and "missing" in err


def test_wrong_covariance_shape(files, miniboone_data, capsys, tmp_path):
    d = copy_release(miniboone_data, tmp_path / "release")
    name = "miniboone_full_fractcovmatrix_nu_lowe.txt"
    np.savetxt(d / name, np.eye(19))
    assert main(["compare", str(files["run.root"]), "--data-release", str(d)]) == 2
    err = capsys.readouterr().err
    assert name in err and "(19, 19)" in err and "(30, 30)" in err


def test_file_without_detector_columns(files, miniboone_data, capsys):
    assert main(["compare", str(files["nodet.root"]), "--data-release",
                 str(miniboone_data)]) == 2
    err = capsys.readouterr().err
    for column in ("E_QE", "w_eff", "passes"):
        assert column in err
    assert "miniboone detector" in err


def test_truth_detector_file_works_with_a_warning(files, miniboone_data, capsys):
    result = run_json(capsys, files["truth.root"], "--data-release", miniboone_data)
    assert any("truth" in w for w in result["warnings"])


def test_other_bad_inputs(files, miniboone_data, capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("ZPGEN_MINIBOONE_DATA", raising=False)
    assert main(["compare", str(files["run.root"])]) == 2
    assert "ZPGEN_MINIBOONE_DATA" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "none.root"), "--data-release",
                 str(miniboone_data)]) == 2
    assert "no such file" in capsys.readouterr().err
    lhe = tmp_path / "x.lhe"
    lhe.write_text("<LesHouchesEvents></LesHouchesEvents>")
    assert main(["compare", str(lhe), "--data-release", str(miniboone_data)]) == 2
    assert "ROOT" in capsys.readouterr().err
    assert main(["compare", str(files["run.root"]), "--data-release", str(miniboone_data),
                 "--format", "root"]) == 2
    assert "-o" in capsys.readouterr().err
    assert main(["compare", str(files["run.root"]), "--data-release",
                 str(tmp_path / "nowhere")]) == 2
    assert "not found" in capsys.readouterr().err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "--data-release" in out and "w * w_eff * passes" in out
