"""examples/api_example.py runs as a user would run it, and its numbers are right: the
expected events against the rate quadrature (processes/rate.py), the reweighted ratio
against the rate at the new couplings."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from zpgen.processes.rate import rate_summary

from zpgen.card import load_card
from zpgen.registry import load_plugin

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "api_example.py"


def rate(*sets):
    card = load_card(None, sets)
    flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
    det = load_plugin("detector", card.detector["name"]).from_options(card.detector)
    return rate_summary(card, flux, det)["total_events"]


def test_the_example_runs_as_a_script(tmp_path):
    result = subprocess.run([sys.executable, str(EXAMPLE), "--n-events", "5000", "--out",
                             str(tmp_path)], capture_output=True, text=True, check=True)
    assert "expected events x" in result.stdout
    assert (tmp_path / "default.parquet").is_file()


def test_the_examples_numbers(tmp_path):
    spec = importlib.util.spec_from_file_location("api_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    numbers = module.example(20_000, tmp_path)
    assert numbers["expected_events"] == pytest.approx(rate(), rel=0.03)
    ratio = rate("model.couplings.g_mu5=2.6e-5", "model.couplings.cv_l=5.185e-4") / rate()
    assert numbers["ratio"] == pytest.approx(ratio, rel=0.01)
