"""Presets shipped with zpgen (zpgen/presets/, ``zpgen card --preset``) and the one seed
default: the paper preset checked against the paper's own numbers."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from zpgen.processes.couplings import physical_couplings
from zpgen.processes.rate import rate_summary
from zpgen.processes.widths import widths

from zpgen.card import (
    DEFAULT_SEED,
    PRESETS,
    CardError,
    card_differences,
    default_card_text,
    load_preset,
    parse_card,
    preset_text,
)
from zpgen.cli import main
from zpgen.generate import generate_array
from zpgen.registry import load_plugin

#: Paper (Hammad, Rashed, Moretti, PLB 827 (2022) 136945): section 5 and Fig. 5.
PAPER_N_CH2 = 3.5174e31      # eq. 25: 818 t of CH2
PAPER_TAU_NU4_S = 1.76
PAPER_ETA = 0.2


def plugins(card):
    flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
    det = load_plugin("detector", card.detector["name"]).from_options(card.detector)
    return flux, det


def test_paper_preset_is_the_papers_literal_choices():
    card = load_preset("paper")
    m, b = card.model, card.model.blsm
    assert (m.kind, m.m4, m.m5, m.mzprime) == ("blsm-paper", 0.06, 0.11, 0.03)
    assert (b.g_bl, b.g_tilde, b.theta_prime) == (-1e-4, 0.2, 3e-3)
    assert (card.physics.coherent_form_factor, card.physics.nucleon_model,
            card.physics.visible_modes) == ("paper", "paper", "nu4")
    _, det = plugins(card)
    # the whole tank: n = 3.5174e31 CH2 (paper eq. 25), not the 500 cm fiducial sphere
    assert det.material()["C12"] == pytest.approx(PAPER_N_CH2, rel=2e-3)
    assert det.efficiency == PAPER_ETA
    # tau(nu4) = 1.76 s as the paper quotes (the card's chosen u_4a)
    tau = widths(physical_couplings(m))["lifetime_s"]["nu4"]
    assert tau == pytest.approx(PAPER_TAU_NU4_S, rel=1e-3)


def test_paper_preset_selected_events_are_eta_times_the_rate():
    """The paper's N = eta x rate (eq. 25): w_eff = 0.2 on every event, no selection."""
    card = load_preset("paper")
    events = generate_array(card, n_events=20_000, seed=3,
                            nitn=4, neval=4000, nitn_final=2)
    flux, det = plugins(card)
    rate = rate_summary(card, flux, det)["total_events"]
    selected = float(np.sum(events.w * events.w_eff * events.passes))
    assert selected == pytest.approx(PAPER_ETA * rate, rel=0.02)


def test_presets_print_and_parse(capsys):
    assert PRESETS[:2] == ("default", "paper")
    assert {"default", "paper", "microboone", "sbnd", "icarus",
            "miniboone_antineutrino"} <= set(PRESETS)
    assert preset_text("default") == default_card_text()
    assert main(["card", "--preset", "paper"]) == 0
    out = capsys.readouterr().out
    assert out == preset_text("paper")
    assert tomllib.loads(out)["model"]["kind"] == "blsm-paper"
    assert main(["card", "--preset", "paper", "--set", "model.mzprime=0.02"]) == 0
    assert '"mzprime": 0.02' in capsys.readouterr().out
    assert main(["card", "my.toml", "--preset", "paper"]) == 2
    assert "give a CARD or a preset, not both" in capsys.readouterr().err
    with pytest.raises(CardError, match="unknown preset 'papr'; did you mean 'paper'"):
        preset_text("papr")


def test_every_command_takes_a_preset(capsys):
    assert main(["couplings", "--preset", "paper", "--json"]) == 0
    import json
    couplings = json.loads(capsys.readouterr().out)
    assert couplings["kind"] == "blsm-paper"


def test_one_seed_default_everywhere(capsys):
    """A card without [run] seed runs with the default card's seed, and --explain says so."""
    without = parse_card("[model]\nm4 = 0.06\nm5 = 0.11\nmzprime = 0.03\n"
                         "[model.couplings]\ng_mu5 = 1e-5\ng_45 = 1e-2\ncv_l = 1e-3\n"
                         "g_p = 1e-3\ng_n = 1e-3\n")
    default_seed = tomllib.loads(default_card_text())["run"]["seed"]
    assert without.run.seed == default_seed == DEFAULT_SEED
    assert load_preset("paper").run.seed == DEFAULT_SEED
    assert main(["card", "--explain"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("run.seed"))
    assert f"(default: {DEFAULT_SEED})" in line and "12345" not in line
    assert math.isfinite(DEFAULT_SEED)


#: The SBN presets: flux, detector and exposure (the detectors' docstrings give sources).
SBN_PRESETS = {"microboone": ("bnb_microboone", 6.86e20), "sbnd": ("bnb_sbnd", 6.6e20),
               "icarus": ("bnb_icarus", 6.6e20)}


@pytest.mark.parametrize("name", sorted(SBN_PRESETS))
def test_sbn_presets_are_the_default_model_in_that_detector(name, capsys):
    """Only the output, flux, detector and its exposure differ from the default card."""
    flux_name, pot = SBN_PRESETS[name]
    card = load_preset(name)
    default = parse_card(None)
    differences = {key for key, _, _ in card_differences(card.as_dict(), default.as_dict())}
    assert differences == {"run.output", "flux.name", "detector.name", "detector.pot"}
    assert card.run.output == f"zpgen_{name}.root"
    flux, det = plugins(card)
    assert (flux.name, flux.flavour, det.name) == (flux_name, "numu", name)
    assert det.pot == pot == type(det).DEFAULT_POT  # the detector's default exposure
    assert set(det.material()) == {"Ar40"}
    assert main(["card", "--preset", name]) == 0
    assert capsys.readouterr().out == preset_text(name)
