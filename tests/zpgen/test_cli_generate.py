"""zpgen generate end to end: file content against the independent rate integral,
errors before work, and no file left behind on interruption."""

from __future__ import annotations

import json

import numpy as np
import pytest
import uproot
from scipy import integrate
from zpgen.processes import xsec
from zpgen.processes.couplings import physical_couplings
from zpgen.processes.widths import visible_branching_ratio

from zpgen.card import parse_card
from zpgen.cli import main
from zpgen.registry import load_plugin


def ch2_targets(material):
    """Targets per channel of CH2 counted by hand: one 12C (6 p, 6 n) and two H per CH2."""
    n_c, n_h = material["C12"], material["H1"]
    return {"C12_coherent": n_c, "C12_proton": 6 * n_c, "C12_neutron": 6 * n_c,
            "H1_proton": n_h}


def expected_events_by_quadrature(card):
    """N = POT sum_T n_T int Phi sigma_T dE BR, with scipy quad per flux bin (independent
    of zpgen.processes.rate and of the sampler)."""
    pc = physical_couplings(card.model)
    flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
    det = load_plugin("detector", card.detector["name"]).from_options(card.detector)
    total = 0.0
    for channel, n_targets in ch2_targets(det.material()).items():
        params = xsec.channel_params(channel, pc, card.physics)
        e_th = xsec.threshold(params[xsec.I_M], pc.m5)
        folded = 0.0
        for lo, hi, phi in zip(flux.edges[:-1], flux.edges[1:], flux.density, strict=True):
            if hi <= e_th or phi == 0:
                continue
            value, _ = integrate.quad(xsec.sigma, max(lo, e_th), hi, args=(params,),
                                      epsrel=1e-8)
            folded += phi * value
        total += det.pot * n_targets * folded
    return total * visible_branching_ratio(pc)


def test_generate_root_file_sums_to_expected_events(tmp_path, capsys):
    out = tmp_path / "run.root"
    assert main(["generate", "-n", "20000", "-o", str(out), "-q"]) == 0
    with uproot.open(out) as f:
        events = f["events"].arrays(["w", "w_eff", "passes", "E_QE"], library="np")
        meta = json.loads(str(f["zpgen_run_info"]))
    card = parse_card()
    expected = expected_events_by_quadrature(card)
    w = events["w"]
    mc_err = np.sqrt(len(w) * np.var(w))
    assert abs(w.sum() - expected) < max(4 * mc_err, 1e-3 * expected), (w.sum(), expected)
    assert len(w) == 20000
    assert meta["seed"] == card.run.seed
    assert np.all((events["w_eff"] >= 0) & (events["w_eff"] <= 2))


def test_generate_rejects_bad_options_before_work(tmp_path, capsys):
    assert main(["generate", "-n", "0", "-o", str(tmp_path / "x.root")]) == 2
    assert "--n-events" in capsys.readouterr().err
    assert main(["generate", "-o", str(tmp_path / "x.txt")]) == 2
    assert "--output" in capsys.readouterr().err
    assert main(["generate", "-o", str(tmp_path / "nodir" / "x.root")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert main(["generate", "-o", str(blocker / "x.root")]) == 2  # parent is a file
    assert "--output" in capsys.readouterr().err
    existing = tmp_path / "old.root"
    existing.write_text("keep me")
    assert main(["generate", "-n", "10", "-o", str(existing)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert existing.read_text() == "keep me"
    assert main(["generate", "--set", "model.mzprim=0.02", "-o", str(tmp_path / "y.root")]) == 2
    assert "did you mean 'mzprime'" in capsys.readouterr().err
    assert main(["generate", "-n", "10", "--job-index", "-1",
                 "-o", str(tmp_path / "y.root")]) == 2
    assert "--job-index" in capsys.readouterr().err


def test_interrupted_generate_leaves_no_file(tmp_path, monkeypatch, capsys):
    import zpgen.generate as generation

    original = generation.EventStream.__next__
    calls = {"n": 0}

    def interrupt_after_first(self):
        calls["n"] += 1
        if calls["n"] > 1:
            raise KeyboardInterrupt
        return original(self)

    monkeypatch.setattr(generation.EventStream, "__next__", interrupt_after_first)
    out = tmp_path / "run.root"
    assert main(["generate", "-n", "4000", "--chunk-size", "1000", "-o", str(out), "-q"]) == 130
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".parquet", ".lhe", ".hepmc3"])
def test_generate_other_formats(tmp_path, suffix, capsys):
    out = tmp_path / f"run{suffix}"
    assert main(["generate", "-n", "300", "-o", str(out), "-q"]) == 0
    assert out.is_file()
    assert main(["info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info


def test_one_seed_recorded_once(tmp_path):
    """--seed and -n become the card's run.seed and run.n_events: the run document, the
    resolved card and the stored card text (re-parsed) all give the same seed."""
    from zpgen.card import parse_card as reparse
    from zpgen.writers.read import read_metadata

    out = tmp_path / "s.root"
    assert main(["generate", "-n", "300", "--seed", "77", "-q", "--nitn", "2", "--neval",
                 "2000", "-o", str(out)]) == 0
    meta = read_metadata(out)
    info = meta["run_info"]
    assert info["seed"] == info["card_resolved"]["run"]["seed"] == 77
    assert info["card_resolved"]["run"]["n_events"] == 300
    text = meta["card"]
    overrides = [ln[len("# --set "):] for ln in text.splitlines() if ln.startswith("# --set ")]
    assert reparse(text, overrides).run.seed == 77


def test_info_shows_the_command_line_overrides_of_the_card(tmp_path, capsys):
    """`zpgen info` lists -n and --seed (stored as --set overrides) before the card's TOML,
    whose run.n_events alone would contradict the file's event count."""
    out = tmp_path / "s.root"
    assert main(["generate", "-n", "300", "--seed", "77", "-q", "--nitn", "2", "--neval",
                 "2000", "--set", "model.mzprime=0.025", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    card = lines[lines.index("card") + 1:]
    assert [ln.strip() for ln in card[:3]] == ["--set model.mzprime=0.025",
                                               "--set run.n_events=300", "--set run.seed=77"]
    assert card[3].strip() == "[run]"
