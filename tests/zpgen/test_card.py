"""Run-card validation: every bad input is rejected before work, naming the field."""

from __future__ import annotations

import math

import pytest

from zpgen.card import CardError, explain, load_card, parse_card


def test_default_card_is_the_paper_benchmark():
    card = parse_card()
    assert card.model.mzprime == pytest.approx(0.030)
    assert card.model.m4 == pytest.approx(0.060)
    assert card.model.m5 == pytest.approx(0.110)
    assert card.model.kind == "couplings"
    assert card.flux["name"] == "miniboone_bnb"
    assert card.detector["name"] == "miniboone"


def test_card_is_frozen():
    card = parse_card()
    with pytest.raises(AttributeError):
        card.model.m5 = 1.0  # type: ignore[misc]


def test_override_changes_value():
    card = parse_card(None, ["model.mzprime=0.02", "physics.nucleon_model=free"])
    assert card.model.mzprime == 0.02
    assert card.physics.nucleon_model == "free"


@pytest.mark.parametrize(
    ("override", "field", "fragment"),
    [
        ("model.mzprim=0.02", "model.mzprim", "did you mean 'mzprime'"),
        ("model.couplings.g_mu6=1", "model.couplings.g_mu6", "did you mean 'g_mu5'"),
        ("physic.x=1", "physic", "did you mean 'physics'"),
        ("model.m5=0.05", "model.m5", "must be > model.m4"),
        ("model.m4=-0.01", "model.m4", "must be > 0"),
        ("model.m4=nan", "model.m4", "finite"),
        ("model.couplings.g_p=inf", "model.couplings.g_p", "finite"),
        ("model.mzprime=0.0005", "model.mzprime", "2 m_e"),
        ("model.heavy_neutrino='dirak'", "model.heavy_neutrino", "did you mean 'dirac'"),
        ("physics.coherent_form_factor='helmm'", "physics.coherent_form_factor", "helm"),
        ("physics.nucleon_model='pauly'", "physics.nucleon_model", "pauli"),
        ("model.m5='heavy'", "model.m5", "expected a number"),
        ("run.n_events=0", "run.n_events", ">= 1"),
    ],
)
def test_bad_values_name_the_field(override, field, fragment):
    with pytest.raises(CardError) as err:
        parse_card(None, [override])
    message = str(err.value)
    assert message.startswith(field), message
    assert fragment in message, message


def test_missing_required_key_is_named():
    text = """
[model]
m4 = 0.06
m5 = 0.11
[model.couplings]
g_mu5 = 1e-2
g_45 = 1e-2
cv_l = 1e-3
g_p = 1e-3
g_n = 1e-3
"""
    with pytest.raises(CardError, match=r"^model\.mzprime: required key is missing"):
        parse_card(text)


def test_kind_needs_its_table():
    text = """
[model]
kind = "blsm"
m4 = 0.06
m5 = 0.11
mzprime = 0.03
[model.couplings]
g_mu5 = 1e-2
g_45 = 1e-2
cv_l = 1e-3
g_p = 1e-3
g_n = 1e-3
"""
    with pytest.raises(CardError, match=r"^model\.blsm: kind = 'blsm' needs"):
        parse_card(text)


def test_blsm_paper_needs_theta_prime_in_range():
    base = """
[model]
kind = "blsm-paper"
m4 = 0.06
m5 = 0.11
mzprime = 0.03
[model.blsm]
g_bl = -1e-4
g_tilde = 0.2
u_mu5 = 1e-2
u_45 = 1e-2
"""
    with pytest.raises(CardError, match=r"^model\.blsm\.theta_prime: required"):
        parse_card(base)
    with pytest.raises(CardError, match=r"^model\.blsm\.theta_prime: must lie in"):
        parse_card(base + "theta_prime = 1.0\n")
    card = parse_card(base + "theta_prime = 3e-3\n")
    assert math.isclose(card.model.blsm.theta_prime, 3e-3)


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(CardError, match="not valid TOML"):
        parse_card("[model\n")
    with pytest.raises(CardError, match="does not exist"):
        load_card(tmp_path / "nope.toml")


def test_bad_set_syntax():
    with pytest.raises(CardError, match=r"expected section\.key=value"):
        parse_card(None, ["mzprime"])


def test_explain_lists_every_public_field():
    text = explain()
    for name in ("model.kind", "model.heavy_neutrino", "model.m4", "model.m5", "model.mzprime",
                 "model.nu4_decays", "model.couplings.g_mu5", "model.couplings.g_45",
                 "model.couplings.g_5a", "model.couplings.g_4a", "model.couplings.cv_l",
                 "model.couplings.ca_l", "model.couplings.g_nu", "model.couplings.g_p",
                 "model.couplings.g_n", "model.blsm.g_bl", "model.blsm.g_tilde",
                 "model.blsm.theta_prime", "physics.coherent_form_factor",
                 "physics.nucleon_model", "physics.decay_correlations",
                 "physics.visible_modes"):
        assert name in text


def test_explain_lists_process_name_on_the_command_line():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "zpgen", "card", "--explain"],
                         capture_output=True, text=True, check=True).stdout
    assert "process.name" in out and "model.mzprime [GeV]" in out


def test_card_process_reads_process_name_without_the_process_sections():
    """`zpgen card --explain` documents the card's process: its name is read after the
    --set overrides, without building [model] (which may belong to another process)."""
    from zpgen.card import card_process

    assert card_process(None) == "dark_neutrino"
    assert card_process(None, ["process.name=other"]) == "other"
    assert card_process('[process]\nname = "other"\n[model]\nanything = 1\n') == "other"
    with pytest.raises(CardError, match=r"^process\.nme: unknown key"):
        card_process(None, ["process.nme=other"])


def test_explain_of_an_unknown_process_names_the_field(capsys):
    from zpgen.cli import main

    assert main(["card", "--explain", "--set", "process.name=nope"]) == 2
    assert "process.name: no process plugin called 'nope'" in capsys.readouterr().err


def test_process_name_chooses_the_plugin_and_its_schema():
    card = parse_card(None)
    assert card.process.name == "dark_neutrino"
    assert type(card.model).__module__ == "zpgen.processes.model_card"
    with pytest.raises(CardError, match=r"process\.name: no process plugin called 'nope'.*"
                                        r"installed: dark_neutrino"):
        parse_card(None, ["process.name=nope"])
    with pytest.raises(CardError, match=r"process\.nme: unknown key; did you mean 'name'"):
        parse_card(None, ["process.nme=dark_neutrino"])


def test_card_without_process_table_uses_the_default_process():
    text = "\n".join(line for line in parse_card(None).text.splitlines()
                     if not line.startswith(("[process]", "name = \"dark_neutrino\"")))
    assert "[process]" not in text
    assert parse_card(text).process.name == "dark_neutrino"
