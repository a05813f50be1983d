"""The command line: JSON contracts, readable tables, errors before work."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from zpgen.processes import g2, xsec
from zpgen.processes.couplings import physical_couplings

from zpgen.card import parse_card
from zpgen.cli import build_parser, main


def run_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_xsec_json_contract(capsys):
    out = run_json(capsys, "xsec", "--enu", "0.3,0.5,0.8", "--json")
    assert out["units"] == "cm2"
    assert out["enu_GeV"] == [0.3, 0.5, 0.8]
    assert set(out["channels"]) == {"C12_coherent", "C12_proton", "C12_neutron", "H1_proton"}
    card = parse_card()
    pc = physical_couplings(card.model)
    for name, values in out["channels"].items():
        params = xsec.channel_params(name, pc, card.physics)
        assert values == pytest.approx([xsec.sigma(e, params) for e in (0.3, 0.5, 0.8)])


def test_xsec_range_syntax_and_override(capsys):
    out = run_json(capsys, "xsec", "--enu", "0.2:2.0:4", "--json", "--set",
                   "model.mzprime=0.02")
    assert out["enu_GeV"] == pytest.approx([0.2, 0.8, 1.4, 2.0])


def test_g2_json_contract(capsys):
    out = run_json(capsys, "g2", "--json", "--set", "model.mzprime=0.02")
    pc = physical_couplings(parse_card(None, ["model.mzprime=0.02"]).model)
    assert out["delta_a_mu"] == pytest.approx(g2.delta_a_mu(pc.cv_l, pc.ca_l, 0.02))
    assert out["delta_a_mu_eq21"] == pytest.approx(g2.delta_a_mu_eq21(pc.cv_l, pc.ca_l, 0.02))
    assert out["cv_l"] == pc.cv_l and out["ca_l"] == pc.ca_l


@pytest.mark.parametrize("command", ["xsec", "g2", "couplings", "card"])
def test_readable_output_has_units(capsys, command):
    assert main([command]) == 0
    text = capsys.readouterr().out
    assert "GeV" in text


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["xsec", "--set", "model.m5=0.01"], "model.m5: must be > model.m4"),
        (["xsec", "--enu", "abc"], "--enu"),
        (["g2", "--set", "model.mzprim=0.02"], "did you mean 'mzprime'"),
        (["widths", "nonexistent.toml"], "does not exist"),
    ],
)
def test_errors_are_one_line_with_status_2(capsys, argv, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err


def test_every_subcommand_help_has_an_example():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"xsec", "widths", "g2", "card", "couplings", "plugins"} <= set(sub.choices)
    for name, subparser in sub.choices.items():
        assert "example" in (subparser.epilog or ""), name


def test_help_is_plain_text_citing_shipped_documents():
    """No reStructuredText in --help, and every .md it names is installed with zpgen
    (zpgen docs prints it)."""
    from importlib import resources

    from zpgen.commands import SHIPPED_DOCS

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, subparser in sub.choices.items():
        text = subparser.format_help()
        for markup in ("``", ":mod:`", ":func:`", ":class:`", ":meth:`", ":data:`"):
            assert markup not in text, (name, markup)
        assert "PHYSICS.md" not in text, name
        for doc in re.findall(r"[\w./-]+\.md\b", text):
            assert doc.rsplit("/", 1)[-1] in SHIPPED_DOCS.values(), (name, doc)
    for filename in SHIPPED_DOCS.values():
        assert resources.files("zpgen.docs").joinpath(filename).is_file()


def test_docs_prints_the_installed_physics_specification(capsys):
    assert main(["docs", "physics"]) == 0
    assert "## Matrix elements and cross section" in capsys.readouterr().out


def test_console_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "zpgen", "xsec", "--enu", "1.0",
                             "--json"], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout)["units"] == "cm2"


def test_widths_json_contract(capsys):
    from zpgen.constants import HBARC_GEV_CM

    out = run_json(capsys, "widths", "--json")
    assert out["units"] == "GeV"
    assert {"total", "ee", "nunu"} <= set(out["Zprime"])
    assert {"total", "nu4_Zprime", "nu_Zprime"} <= set(out["nu5"])
    assert "total" in out["nu4"]
    assert {"Zprime_ee", "nu5_nu4_Zprime"} <= set(out["BR"])
    assert set(out["ctau_cm"]) == {"Zprime", "nu5", "nu4"}
    for particle in ("Zprime", "nu5", "nu4"):
        assert out["ctau_cm"][particle] == pytest.approx(HBARC_GEV_CM / out[particle]["total"])
    # closed form of Gamma(Z' -> ee) from PHYSICS.md, with the default card's couplings
    import math

    from zpgen.constants import M_E
    card = parse_card()
    c = card.model.couplings
    M = card.model.mzprime
    beta = math.sqrt(1 - 4 * M_E**2 / M**2)
    gamma_ee = M / (12 * math.pi) * beta * (c.cv_l**2 * (1 + 2 * M_E**2 / M**2)
                                           + c.ca_l**2 * beta**2)
    assert out["Zprime"]["ee"] == pytest.approx(gamma_ee, rel=1e-12)
    assert out["BR"]["Zprime_ee"] == pytest.approx(gamma_ee / out["Zprime"]["total"])


def test_widths_off_shell_regime(capsys):
    out = run_json(capsys, "widths", "--json", "--set", "model.mzprime=0.08")
    assert out["regime"] == "off-shell"
    assert out["BR"]["nu5_nu4_ee"] > 0


def test_a_process_command_refuses_a_card_of_another_process():
    """card_from_args(..., process=NAME): the physics commands read only their process's
    cards (a card of another plugin has another [model]); the error names process.name.
    tests/zpgen/test_toy_process.py runs `zpgen rate` on a card of the toy process."""
    import argparse

    from zpgen.card import CardError
    from zpgen.commands import card_from_args

    args = argparse.Namespace(card=None, overrides=[], command="rate")
    assert card_from_args(args, process="dark_neutrino").process.name == "dark_neutrino"
    with pytest.raises(CardError, match=r"^process\.name: 'rate' is a command of the other "
                                        r"process; the card's process is 'dark_neutrino'"):
        card_from_args(args, process="other")
