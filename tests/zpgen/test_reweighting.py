"""``zpgen reweight`` (zpgen/reweighting.py, zpgen/cli/reweight.py): the file it writes, its
metadata, and the refusals, all before any event is written."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import uproot
from zpgen.processes.dark_neutrino import DarkNeutrinoProcess

from zpgen import reweighting
from zpgen.card import load_card
from zpgen.cli import main
from zpgen.writers.read import iter_chunks, read_metadata

FAST = ["--nitn", "4", "--neval", "4000", "--nitn-final", "2"]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """20000 default-card events (MiniBooNE detector) in ROOT."""
    path = tmp_path_factory.mktemp("rw") / "base.root"
    assert main(["generate", "-n", "20000", "-o", str(path), "-q", *FAST]) == 0
    return path


def read_w(path, column="w"):
    return np.concatenate([np.asarray(c[column]) for c in iter_chunks(path)])


def rate_total(sets):
    from zpgen.processes.rate import rate_summary

    from zpgen.registry import load_plugin

    card = load_card(None, sets)
    flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
    det = load_plugin("detector", card.detector["name"]).from_options(card.detector)
    return rate_summary(card, flux, det)["total_events"]


def test_reweight_writes_the_new_card_totals_and_origin(base, tmp_path, capsys):
    out = tmp_path / "g.parquet"
    sets = ["model.couplings.g_mu5=2.6e-5", "model.couplings.cv_l=8e-4"]
    args = [item for s in sets for item in ("--set", s)]
    assert main(["reweight", str(base), str(out), *args, "--json"]) == 0
    totals = json.loads(capsys.readouterr().out)
    w = read_w(out)
    assert float(w.sum()) == pytest.approx(totals["expected_events"], rel=1e-12)
    assert float(w.sum()) == pytest.approx(rate_total(sets), rel=0.02)
    meta = read_metadata(out)
    info = meta["run_info"]
    assert info["card_resolved"]["model"]["couplings"]["g_mu5"] == 2.6e-5
    assert "# --set model.couplings.cv_l=8e-4" in meta["card"]
    assert info["reweighted_from"]["path"] == os.fspath(base)
    assert len(info["reweighted_from"]["sha256"]) == 64
    assert info["reweighted_from"]["set"] == sets
    assert info["totals"]["expected_events"] == pytest.approx(totals["expected_events"])
    # the new widths are what the file declares for its particles
    zp = info["particles"]["32"]["width_GeV"]
    new_zp = DarkNeutrinoProcess.from_card(load_card(None, sets)).widths["Zprime"]["total"]
    assert zp == pytest.approx(new_zp, rel=1e-12)
    # the reweighted file reweights again from its own card (round trip back)
    back = tmp_path / "back.root"
    assert main(["reweight", str(out), str(back), "--set", "model.couplings.g_mu5=1.3e-5",
                 "--set", "model.couplings.cv_l=1.037e-3"]) == 0
    assert read_w(back) == pytest.approx(read_w(base), rel=1e-9)


def test_add_puts_the_weights_in_a_column_of_in(tmp_path, base, capsys):
    copy = tmp_path / "copy.root"
    copy.write_bytes(base.read_bytes())
    assert main(["reweight", str(copy), "--add", "w_g", "--set",
                 "model.couplings.g_mu5=2.6e-5"]) == 0
    w, w_g = read_w(copy), read_w(copy, "w_g")
    assert w == pytest.approx(read_w(base), rel=0, abs=0)
    assert w_g == pytest.approx(4.0 * w, rel=1e-9)   # |M|^2 ~ g_mu5^2, nothing else moves
    info = read_metadata(copy)["run_info"]
    assert info["weight_columns"]["w_g"]["expected_events"] == pytest.approx(w_g.sum())
    assert "reweighted" in info["columns"]["w_g"]["doc"]
    with uproot.open(copy) as f:
        assert "reweighted" in f["events"]["w_g"].title
    # a second column from the file's card, not from the first column
    assert main(["reweight", str(copy), "--add", "w_g2", "--set",
                 "model.couplings.g_mu5=1.3e-5"]) == 0
    assert read_w(copy, "w_g2") == pytest.approx(w, rel=1e-12)
    capsys.readouterr()
    assert main(["reweight", str(copy), "--add", "w_g", "--set",
                 "model.couplings.g_mu5=1e-5"]) == 2
    assert "already has a column 'w_g'" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--set", "model.mzprime=0.02"], "model.mzprime: a reweighting keeps every event's"),
    (["--set", "model.heavy_neutrino=majorana"], "Dirac and Majorana"),
    (["--set", "physics.coherent_form_factor=paper"], "[physics] switches"),
    (["--set", "detector.pot=1e20"], "--set detector.pot"),
    (["--set", "model.couplings.g_mu5=9"], "model.couplings.g_mu5: must be <="),
    (["--set", "model.couplings.g_mu6=1e-5"], "did you mean 'g_mu5'"),
    ([], "--set: give at least one new coupling"),
    (["--set", "model.couplings.g_4a=1e-5"], "would look different to the detector"),
])
def test_refusals_name_the_key_and_leave_no_file(base, tmp_path, capsys, args, message):
    out = tmp_path / "out.root"
    assert main(["reweight", str(base), str(out), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []   # no temporary left either


def test_out_is_never_in_and_exists_only_with_overwrite(base, tmp_path, capsys):
    args = ["--set", "model.couplings.g_mu5=2e-5"]
    assert main(["reweight", str(base), str(base), *args]) == 2
    assert "is the input file IN" in capsys.readouterr().err
    taken = tmp_path / "taken.root"
    taken.write_bytes(b"keep me")
    assert main(["reweight", str(base), str(taken), *args]) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert taken.read_bytes() == b"keep me"
    assert main(["reweight", str(base), str(taken), *args, "--overwrite"]) == 0
    assert main(["reweight", str(base), *args]) == 2
    assert "give an output file, or --add" in capsys.readouterr().err


def test_a_file_of_another_release_is_refused(base, tmp_path, monkeypatch):
    monkeypatch.setattr(reweighting, "__version__", "9.9.9")
    with pytest.raises(reweighting.ReweightError, match=r"written by zpgen 0\.1\.0, this is "
                                                        r"zpgen 9\.9\.9"):
        reweighting.plan_reweight(base, ["model.couplings.g_mu5=2e-5"], tmp_path / "o.root")


def test_a_process_without_reweighter_is_refused(base, tmp_path, monkeypatch):
    monkeypatch.delattr(DarkNeutrinoProcess, "reweighter")
    with pytest.raises(reweighting.ReweightError, match="has no reweighter"):
        reweighting.plan_reweight(base, ["model.couplings.g_mu5=2e-5"], tmp_path / "o.root")


def test_a_stored_card_that_disagrees_with_the_resolved_card_is_refused(tmp_path, base):
    """An edited or foreign file: the stored text no longer gives the resolved card."""
    import pyarrow.parquet as pq

    pq_path = tmp_path / "x.parquet"
    assert main(["reweight", str(base), str(pq_path), "--set",
                 "model.couplings.g_mu5=1.3e-5"]) == 0
    table = pq.read_table(pq_path)
    meta = {k.decode(): v.decode() for k, v in pq.read_metadata(pq_path).metadata.items()
            if k.startswith(b"zpgen.")}
    info = json.loads(meta["zpgen.run_info"])
    info["card_resolved"]["model"]["m5"] = 0.2
    meta["zpgen.run_info"] = json.dumps(info)
    edited = tmp_path / "edited.parquet"
    with pq.ParquetWriter(edited, table.schema) as writer:
        writer.write_table(table)
        writer.add_key_value_metadata(meta)
    from zpgen.card import CardError
    with pytest.raises(CardError, match=r"model\.m5"):
        reweighting.plan_reweight(edited, ["model.couplings.g_mu5=2e-5"], tmp_path / "o.root")
