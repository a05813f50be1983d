"""The engine's part of ``zpgen scan`` (zpgen/scan.py): --vary grammar, the grid checked
through the card, the resumable table in every format."""

from __future__ import annotations

import json
import math
import re

import pytest

from zpgen.card import CardError, default_card_text
from zpgen.scan import ScanTable, Vary, check_grid, grid_points, parse_vary


def test_lists_ranges_and_log_ranges():
    assert parse_vary("model.mzprime=0.02,0.03").values == (0.02, 0.03)
    assert parse_vary("physics.nucleon_model=pauli,free").values == ("pauli", "free")
    lin = parse_vary("model.mzprime=0.01:0.05:5").values
    assert lin == pytest.approx((0.01, 0.02, 0.03, 0.04, 0.05), rel=1e-12)
    assert lin[0] == 0.01 and lin[-1] == 0.05         # the ends exactly
    log = parse_vary("model.couplings.cv_l=1e-4:1e-2:3:log").values
    assert log == pytest.approx((1e-4, 1e-3, 1e-2), rel=1e-12)
    assert parse_vary("model.mzprime=0.02:0.04:1").values == (0.02,)


@pytest.mark.parametrize("spec, message", [
    ("model.mzprime", "expected KEY=v1,v2"),
    ("mzprime=0.02", "dotted card key"),
    ("model.mzprime=", "no values (an empty list)"),
    ("model.mzprime=0.02:0.03:0", "an empty range (n = 0)"),
    ("model.mzprime=0.02:0.03:-2", "an empty range"),
    ("model.mzprime=0.02:0.03:2.5", "n must be an integer"),
    ("model.mzprime=0:0.03:3:log", "log range needs start and stop > 0"),
    ("model.mzprime=0.02:0.03", "start:stop:n or start:stop:n:log"),
    ("model.mzprime=0.02,,0.03", "an empty value"),
    ("model.mzprime=0.02,0.02", "repeated"),
    ("model.mzprime=a:0.03:3", "start must be a finite number"),
])
def test_malformed_or_empty_vary_is_refused(spec, message):
    with pytest.raises(CardError, match=re.escape(message)):
        parse_vary(spec)


def test_grid_is_the_product_first_key_slowest_and_checked_by_the_card():
    varies = [parse_vary("model.mzprime=0.02,0.03"),
              parse_vary("physics.visible_modes=all,nu4")]
    points = grid_points(varies)
    assert points == [{"model.mzprime": 0.02, "physics.visible_modes": "all"},
                      {"model.mzprime": 0.02, "physics.visible_modes": "nu4"},
                      {"model.mzprime": 0.03, "physics.visible_modes": "all"},
                      {"model.mzprime": 0.03, "physics.visible_modes": "nu4"}]
    cards = check_grid(default_card_text(), (), "<default>", varies)
    assert [c.model.mzprime for c in cards] == [0.02, 0.02, 0.03, 0.03]
    assert [c.physics.visible_modes for c in cards] == ["all", "nu4", "all", "nu4"]
    with pytest.raises(CardError, match="did you mean 'mzprime'"):
        check_grid(default_card_text(), (), "<default>", [Vary("model.mzprim", (0.02,))])
    with pytest.raises(CardError, match=r"--vary model\.m5: model\.m5: must be > model\.m4"):
        check_grid(default_card_text(), (), "<default>", [Vary("model.m5", (0.2, 0.05))])
    with pytest.raises(CardError, match="given twice"):
        grid_points([varies[0], varies[0]])


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_table_round_trips_and_resumes(tmp_path, suffix):
    path = tmp_path / f"scan{suffix}"
    settings = {"n_events": 1000, "seed": 7, "stat": "cnp", "base_card": "abc"}
    table = ScanTable(path, ["model.mzprime"], settings)
    table.add({"model.mzprime": 0.02, "method": "generated", "delta_chi2": 17.5,
               "mu_best": 0.44, "ess": math.nan})
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left
    again = ScanTable(path, ["model.mzprime"], settings)
    assert again.done({"model.mzprime": 0.02})
    assert not again.done({"model.mzprime": 0.03})
    row = again.rows[0]
    assert row["delta_chi2"] == 17.5 and row["method"] == "generated" and row["seed"] == 7
    with pytest.raises(CardError, match="made with seed = 7, this scan has 8"):
        ScanTable(path, ["model.mzprime"], {**settings, "seed": 8})
    with pytest.raises(CardError, match="scan over other keys"):
        ScanTable(path, ["model.m4"], settings)
    assert ScanTable(path, ["model.m4"], settings, overwrite=True).rows == []


def test_a_file_that_is_not_a_table_is_refused(tmp_path):
    path = tmp_path / "t.json"
    path.write_text("{\"not\": \"a list\"}")
    with pytest.raises(CardError, match="not a scan table"):
        ScanTable(path, ["model.mzprime"], {})
    with pytest.raises(CardError, match=r"must end in \.csv, \.parquet, \.json"):
        ScanTable(tmp_path / "t.txt", ["model.mzprime"], {})
    json.loads(path.read_text())  # untouched
