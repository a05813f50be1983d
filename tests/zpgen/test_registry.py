"""Plugin registry: built-ins are registered and satisfy their Protocols; unknown names
give an error listing what is installed."""

from __future__ import annotations

import pytest

from zpgen.cli import main
from zpgen.registry import (
    GROUPS,
    Detector,
    Flux,
    PluginError,
    Writer,
    available,
    load_plugin,
)


def test_builtins_are_registered():
    assert {"miniboone_bnb", "tabulated", "monochromatic"} <= set(available("flux"))
    assert {"truth", "miniboone"} <= set(available("detector"))
    assert {"root", "hepmc3", "lhe", "parquet"} <= set(available("writer"))
    assert "dark_neutrino" in available("process")
    assert set(GROUPS.values()) == {"zpgen.processes", "zpgen.fluxes", "zpgen.detectors",
                                    "zpgen.writers", "zpgen.commands"}
    assert {"xsec", "widths", "g2", "couplings", "rate", "compare"} <= set(available("command"))


def test_builtins_satisfy_protocols():
    flux = load_plugin("flux", "miniboone_bnb").from_options({"name": "miniboone_bnb"})
    assert isinstance(flux, Flux)
    for name in ("truth", "miniboone"):
        assert isinstance(load_plugin("detector", name).from_options({"name": name}), Detector)
    for name in available("writer"):
        assert isinstance(load_plugin("writer", name)(), Writer)


def test_unknown_plugin_lists_installed():
    installed = "bnb_icarus, bnb_microboone, bnb_sbnd, miniboone_bnb, monochromatic, tabulated"
    with pytest.raises(PluginError, match=f"installed: {installed}"):
        load_plugin("flux", "bnb")
    with pytest.raises(PluginError, match="unknown plugin kind"):
        load_plugin("fluxes", "bnb")


def test_card_with_unknown_flux_fails_before_work(capsys):
    assert main(["rate", "--set", "flux.name=bnb"]) == 2
    err = capsys.readouterr().err
    assert "flux.name: no flux plugin called 'bnb'" in err
    assert "miniboone_bnb" in err


def test_card_selects_monochromatic_flux(capsys):
    import json
    assert main(["rate", "--json", "--set", "flux.name=monochromatic",
                 "--set", "flux.energy=0.8"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["flux"]["name"] == "monochromatic"
    assert out["flux"]["integral"] == 1.0
