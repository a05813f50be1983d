"""The Fig. 5 and Fig. 6 validation scripts on small samples (CI runs these paths)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

VALIDATION = Path(__file__).resolve().parents[2] / "validation"


def load(name):
    spec = importlib.util.spec_from_file_location(f"validation_{name}", VALIDATION / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_fig5_small_sample(miniboone_data, tmp_path):
    fig5 = load("fig5_spectra")
    summary = fig5.run(n_events=2000, out_dir=tmp_path, data_dir=miniboone_data, fast=True)
    for name in ("fig5_spectra.png", "fig5_signal_shapes.png", "fig5_spectra.json"):
        assert (tmp_path / name).stat().st_size > 1000
    written = json.loads((tmp_path / "fig5_spectra.json").read_text())
    assert set(written) == set(summary)
    assert written["setups"]["zpgen"]["points"]["30 MeV"]["signal_events_total"] == \
        pytest.approx(summary["setups"]["zpgen"]["points"]["30 MeV"]["signal_events_total"])
    # whole tank (paper) vs fiducial 500 cm sphere: the volume ratio
    assert summary["targets_CH2"]["ratio"] == pytest.approx((610.6 / 500.0) ** 3, rel=1e-9)
    # 818 t of CH2 at 14.027 g/mol (the paper counts 3.5174e31)
    assert summary["targets_CH2"]["paper_setup_whole_tank"] == pytest.approx(
        818e6 / 14.027 * 6.02214e23, rel=2e-3)
    for setup in ("paper", "zpgen"):
        for mass in ("20 MeV", "30 MeV"):
            point = summary["setups"][setup]["points"][mass]
            assert point["signal_events_total"] > 0
            assert len(point["signal_E_vis"]) == 23 and len(point["signal_cos_theta"]) == 20
            assert point["signal_events_in_window"] <= point["signal_events_total"] * (1 + 1e-12)
            assert point["E_QE_fit"]["chi2_min"] <= point["E_QE_fit"]["chi2_background_only"]
        # a lighter Z' gives more events (propagator 1/(t - M^2)^2)
        pts = summary["setups"][setup]["points"]
        assert pts["20 MeV"]["signal_events_total"] > pts["30 MeV"]["signal_events_total"]
    # paper mode: weight = 0.2 w exactly, no selection
    paper = summary["setups"]["paper"]["points"]["30 MeV"]
    assert paper["signal_events_total"] == pytest.approx(
        0.2 * paper["expected_events_before_efficiency"], rel=1e-9)


def test_fig6_small_scan(miniboone_data, tmp_path):
    fig6 = load("fig6_chi2_scan")
    summary = fig6.run(n_events=2000, out_dir=tmp_path, data_dir=miniboone_data,
                       masses=(0.02, 0.07), fast=True)
    assert (tmp_path / "fig6_chi2_scan.png").stat().st_size > 1000
    points = summary["points"]
    assert [p["regime"] for p in points] == ["on-shell", "off-shell"]
    for p in points:
        assert p["chi2_min"] <= p["chi2_background_only"] + 1e-12
        assert p["ndof"] == 18
        assert p["coupling_scale_best"] == pytest.approx(np.sqrt(p["mu_best"]))
    assert summary["best"]["delta_chi2"] == max(p["delta_chi2"] for p in points)


def test_dipole_validation_independent_checks(tmp_path):
    """validation/dipole/validate_dipole.py without DarkNews (not a test dependency): the
    explicit-spinor, quadrature and closed-form numbers it reports are at rounding level."""
    spec = importlib.util.spec_from_file_location(
        "validation_dipole", VALIDATION / "dipole" / "validate_dipole.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    result = module.run(tmp_path, darknews=False)
    assert (tmp_path / "dipole_validation.json").is_file()
    for v in result["spinors"].values():
        assert v["max_rel_dev_msq"] < 1e-7 and v["max_abs_dev_P"] < 1e-9
    assert max(v["max_abs_dev"] for v in result["quadrature"].values()) < 1e-5
    assert result["decay"]["ratio"] == pytest.approx(1.0, rel=1e-10)
    assert result["decay"]["alpha_nu"] == pytest.approx(-1.0, abs=1e-9)
    assert result["decay"]["alpha_nubar"] == pytest.approx(1.0, abs=1e-9)
    assert 400 < result["miniboone_rate"]["total"] < 600


def test_sbn_validation_numbers(tmp_path):
    """validation/sbn/validate_sbn.py without the DarkNews files (fetched by hand): the
    masses, the 1/L^2 comparison and the events of a small generated sample."""
    spec = importlib.util.spec_from_file_location(
        "validation_sbn", VALIDATION / "sbn" / "validate_sbn.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    result = module.run(tmp_path, None, 3000)
    assert (tmp_path / "sbn_validation.json").is_file()
    assert "skipped" in result["darknews"]
    for det, r in result["targets"].items():
        assert r["active_over_published"] == pytest.approx(1.0, abs=0.02), det
    scaling = result["miniboone_scaling"]
    assert scaling["icarus"]["all"]["ratio"] == pytest.approx(
        scaling["microboone"]["all"]["ratio"], rel=1e-9)  # ICARUS is MicroBooNE x 1/L^2
    for label, r in result["events"].items():
        assert abs(r["generated_sum_w"] - r["rate_total"]) < 5 * r["generated_mc_error"] + (
            0.02 * r["rate_total"]), label


def test_spin_validation_fast(tmp_path):
    """validation/spin/validate_spin.py on small samples: the generator's polarisation equals
    the explicit-spinor one (and -P for nubar) on every node, the share measured from the
    Z' directions of generated events agrees with the quadrature, and the antineutrino-mode
    event counts from generated weights agree with the flux x sigma quadratures."""
    spec = importlib.util.spec_from_file_location(
        "validation_spin", VALIDATION / "spin" / "validate_spin.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    result = module.run(tmp_path, fast=True)
    assert (tmp_path / "spin_validation.json").is_file()
    for rows in result["threshold"].values():
        for r in rows:
            assert r["max_abs_dev_P"] < 1e-9 and r["max_abs_P_y_spinors"] < 1e-9
            assert r["max_abs_dev_P_nubar_plus_P"] < 1e-9
    coherent = {r["dE_MeV"]: r for r in result["threshold"]["C12_coherent"]}
    assert coherent[5.0]["share_plus_half"] > 0.1 and coherent[300.0]["share_plus_half"] < 1e-3
    for r in result["events"]:
        assert abs(r["share_measured"] - r["share_quadrature"]) < 4 * r["share_err"]
        assert abs(r["P_x_measured"] - r["P_x_quadrature"]) < 4 * r["P_x_err"]
    assert result["miniboone_share"]["all"] < 1e-3
    a = result["antineutrino_mode"]
    for r in (a["numubar"], a["numu_wrong_sign"], *a["dipole"].values()):
        assert abs(r["events_generated"] - r["events_quadrature"]) < (
            4 * r["events_generated_err"] + 0.01 * r["events_quadrature"])
    assert a["numubar"]["beam_pdg"] == -14 and a["numubar"]["nu5_pdg"] == -9900014
    assert a["dipole"]["numubar"]["N_pdg"] == -9900012
