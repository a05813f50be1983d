"""Plugin options (zpgen/options.py): every flux and detector plugin documents exactly the
options it accepts, and ``zpgen card --explain`` and ``zpgen plugins`` show them."""

from __future__ import annotations

import json
import re

import pytest

from zpgen.card import CardError, explain
from zpgen.cli import main
from zpgen.options import option_keys
from zpgen.registry import available, load_plugin

PLUGINS = [(kind, name) for kind in ("flux", "detector") for name in sorted(available(kind))]


@pytest.mark.parametrize("kind, name", PLUGINS)
def test_documented_options_are_the_accepted_ones(kind, name):
    plugin = load_plugin(kind, name)
    docs = plugin.OPTIONS
    assert docs and all(d.doc and d.default for d in docs)
    with pytest.raises(CardError) as info:
        plugin.from_options({"name": name, "no_such_option": 1})
    accepted = re.search(r"Valid keys: (.*)\.$", str(info.value)).group(1).split(", ")
    assert accepted == list(option_keys(docs))


def test_explain_and_plugins_show_the_options(capsys):
    text = explain()
    for line in ("flux.energy [GeV]", "flux.flux [nu/cm^2/POT]", "flux.content_unit",
                 "detector.fiducial_radius_cm [cm]", "detector.efficiency",
                 "detector.opening_angle_deg [deg]"):
        assert line in text, line
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "detector.apply_efficiency = true" in out and "flux.energy [GeV] = required" in out
    assert main(["plugins", "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    keys = [o["key"] for o in table["detector"]["truth"]["options"]]
    assert "efficiency" in keys and "fiducial_radius_cm" in keys
