"""The UFO model in validation/madgraph/zpgen_darknu and `zpgen export-slha`.

The UFO package is imported with its own object library; every vertex must reference
defined particles, couplings and Lorentz structures, the quantum numbers must be
conserved, and the coupling expressions, evaluated with the param_card that
`zpgen export-slha` writes (read back with pyslha), must equal zpgen's couplings.
"""

from __future__ import annotations

import cmath
import importlib.util
import math
import sys
from pathlib import Path

import pytest
from zpgen.processes import xsec
from zpgen.processes.couplings import physical_couplings
from zpgen.processes.dark_neutrino import PDG_NU4, PDG_NU5, PDG_ZPRIME
from zpgen.processes.widths import widths

from zpgen import constants
from zpgen.card import parse_card
from zpgen.cli import main

pyslha = pytest.importorskip("pyslha")

UFO_DIR = Path(__file__).resolve().parents[2] / "validation" / "madgraph" / "zpgen_darknu"


@pytest.fixture(scope="module")
def ufo():
    name = "zpgen_darknu_under_test"
    spec = importlib.util.spec_from_file_location(
        name, UFO_DIR / "__init__.py", submodule_search_locations=[str(UFO_DIR)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]


def _slha(tmp_path, *overrides):
    out = tmp_path / "param_card.dat"
    args = ["export-slha", "-o", str(out)]
    for o in overrides:
        args += ["--set", o]
    assert main(args) == 0
    return pyslha.read(str(out))


def _evaluate(ufo, slha):
    """Values of every parameter (externals from the SLHA file) and coupling."""
    scope = {"cmath": cmath, "complex": complex, "math": math}
    for f in ufo.all_functions:
        scope[f.name] = f
    for par in ufo.all_parameters:
        if par.nature == "external":
            if par.lhablock == "DECAY":
                scope[par.name] = slha.decays[par.lhacode[0]].totalwidth
            else:
                scope[par.name] = slha.blocks[par.lhablock][tuple(par.lhacode)
                                                           if len(par.lhacode) > 1
                                                           else par.lhacode[0]]
        else:
            scope[par.name] = eval(par.value, scope)
    couplings = {c.name: complex(eval(c.value, scope)) for c in ufo.all_couplings}
    return scope, couplings


def test_vertices_reference_defined_objects_and_conserve_charges(ufo):
    particles = {id(p) for p in ufo.all_particles}
    couplings = {id(c) for c in ufo.all_couplings}
    lorentz = {id(lo) for lo in ufo.all_lorentz}
    names = [p.name for p in ufo.all_particles]
    assert len(names) == len(set(names))
    assert len({p.pdg_code for p in ufo.all_particles}) == len(names)
    for v in ufo.all_vertices:
        assert all(id(p) in particles for p in v.particles), v.name
        assert all(id(lo) in lorentz for lo in v.lorentz), v.name
        for (ic, il), c in v.couplings.items():
            assert id(c) in couplings, v.name
            assert 0 <= ic < len(v.color) and 0 <= il < len(v.lorentz)
        for lo in v.lorentz:
            assert lo.spins == [p.spin for p in v.particles], (v.name, lo.name)
        assert sum(p.charge for p in v.particles) == 0, v.name
        assert sum(getattr(p, "LeptonNumber", 0) for p in v.particles) == 0, v.name
        assert sum(getattr(p, "BaryonNumber", 0) for p in v.particles) == 0, v.name
        # [fbar, f, V]: an antifermion, a fermion, the Z'
        assert v.particles[0].pdg_code < 0 < v.particles[1].pdg_code
        assert v.particles[2].name == "zp"
    for c in ufo.all_couplings:
        assert c.order == {"NP": 1}
        assert c.order.keys() <= {o.name for o in ufo.all_orders}


def test_particles_pdg_spins_and_charges(ufo):
    by_name = {p.name: p for p in ufo.all_particles}
    assert by_name["zp"].pdg_code == PDG_ZPRIME and by_name["zp"].spin == 3
    assert by_name["zp"].selfconjugate and by_name["zp"].charge == 0
    assert by_name["n4"].pdg_code == PDG_NU4 and by_name["n5"].pdg_code == PDG_NU5
    assert by_name["n4~"].pdg_code == -PDG_NU4
    for n in ("n4", "n5", "ve", "vm", "vt", "e-", "mu-", "p"):
        assert by_name[n].spin == 2 and by_name[n].color == 1
    assert by_name["e-"].charge == -1 and by_name["e+"].charge == 1
    assert by_name["p"].pdg_code == 2212 and by_name["p"].charge == 1
    assert by_name["p~"].charge == -1
    assert by_name["zp"].mass.name == "MZp" and by_name["zp"].width.name == "WZp"
    assert by_name["n5"].width.name == "Wn5" and by_name["n4"].mass.name == "Mn4"
    # the process of the README exists: vm p > n5 p through the Z' (both vertices present)
    pairs = {tuple(p.name for p in v.particles) for v in ufo.all_vertices}
    assert ("n5~", "vm", "zp") in pairs and ("p~", "p", "zp") in pairs
    assert ("n5~", "n4", "zp") in pairs and ("e+", "e-", "zp") in pairs


def test_external_parameters_have_slha_codes_and_default_card_values(ufo, tmp_path):
    slha = _slha(tmp_path, "physics.nucleon_form_factor=point")
    card = parse_card(None, ["physics.nucleon_form_factor=point"])
    pc = physical_couplings(card.model)
    w = widths(pc)
    scope, _ = _evaluate(ufo, slha)
    defaults = {p.name: p.value for p in ufo.all_parameters if p.nature == "external"}
    for name, value in defaults.items():
        if name.startswith("W"):
            continue  # widths: placeholders in the UFO, zpgen's in the param card
        assert scope[name] == pytest.approx(value, rel=1e-9), name
    assert scope["WZp"] == pytest.approx(w["Zprime"]["total"], rel=1e-12)
    assert scope["Wn5"] == pytest.approx(w["nu5"]["total"], rel=1e-12)
    assert scope["Wn4"] == pytest.approx(w["nu4"]["total"], rel=1e-12)


@pytest.mark.parametrize("overrides", [(), ("model.mzprime=0.02", "model.couplings.ca_l=0",
                                            "model.couplings.g_p=2e-3")])
def test_couplings_evaluate_to_zpgen_couplings(ufo, tmp_path, overrides):
    overrides = (*overrides, "physics.nucleon_form_factor=point")
    slha = _slha(tmp_path, *overrides)
    pc = physical_couplings(parse_card(None, list(overrides)).model)
    scope, gc = _evaluate(ufo, slha)
    expect = {"GC_mu5": pc.g_mu5, "GC_45": pc.g_45, "GC_5a": pc.g_5a, "GC_4a": pc.g_4a,
              "GC_lL": pc.cv_l - pc.ca_l, "GC_lR": pc.cv_l + pc.ca_l, "GC_nu": pc.g_nu,
              "GC_p1": pc.g_p}
    for name, value in expect.items():
        assert gc[name] == pytest.approx(1j * value, rel=1e-12), name
    assert gc["GC_p2"] == 0
    assert scope["MZp"] == pytest.approx(pc.mzprime)
    # chiral -> vector/axial: C_V = (g_L + g_R)/2, C_A = (g_R - g_L)/2
    assert ((gc["GC_lL"] + gc["GC_lR"]) / 2j).real == pytest.approx(pc.cv_l)
    assert ((gc["GC_lR"] - gc["GC_lL"]) / 2j).real == pytest.approx(pc.ca_l)


def test_frozen_form_factors_in_the_param_card(ufo, tmp_path):
    slha = _slha(tmp_path, "physics.nucleon_form_factor=frozen", "model.couplings.g_n=5e-4")
    card = parse_card(None, ["physics.nucleon_form_factor=frozen", "model.couplings.g_n=5e-4"])
    pc = physical_couplings(card.model)
    f1, f2 = xsec.nucleon_f1_f2(-0.3, xsec.channel_params("H1_proton", pc, card.physics))
    _, gc = _evaluate(ufo, slha)
    assert gc["GC_p1"] == pytest.approx(1j * f1, rel=1e-12)
    assert gc["GC_p2"] == pytest.approx(-f2 / (2 * constants.M_P), rel=1e-12)
    assert f1 == pytest.approx(pc.g_p, rel=1e-2)  # F(M_Z'^2) ~ F(0)


def test_export_slha_round_trip_values(tmp_path, capsys):
    slha = _slha(tmp_path, "model.mzprime=0.025")
    err = capsys.readouterr().err
    assert "has no UFO equivalent" in err  # default 'full' form factors
    card = parse_card(None, ["model.mzprime=0.025"])
    pc = physical_couplings(card.model)
    mass = slha.blocks["MASS"]
    assert mass[32] == 0.025 and mass[PDG_NU4] == pc.m4 and mass[PDG_NU5] == pc.m5
    assert mass[11] == constants.M_E and mass[2212] == constants.M_P
    assert mass[13] == constants.M_MU
    coup = slha.blocks["ZPCOUP"]
    for code, attr in ((1, "g_mu5"), (2, "g_45"), (3, "g_5a"), (4, "g_4a"), (5, "cv_l"),
                       (6, "ca_l"), (7, "g_nu"), (8, "g_p"), (9, "g_n")):
        assert coup[code] == getattr(pc, attr)
    assert slha.blocks["ZPFORMFAC"][1] == 1.0 and slha.blocks["ZPFORMFAC"][2] == 0.0
    w = widths(pc)
    for pdg, key in ((32, "Zprime"), (PDG_NU5, "nu5"), (PDG_NU4, "nu4")):
        assert slha.decays[pdg].totalwidth == w[key]["total"]
        assert sum(d.br for d in slha.decays[pdg].decays) == pytest.approx(1.0, rel=1e-12)
    br = {tuple(d.ids): d.br for d in slha.decays[PDG_NU5].decays}
    assert br[(PDG_NU4, 32)] == pytest.approx(w["BR"]["nu5_nu4_Zprime"], rel=1e-15)
    ee = {tuple(d.ids): d.br for d in slha.decays[32].decays}[(11, -11)]
    assert ee == pytest.approx(w["BR"]["Zprime_ee"], rel=1e-15)


def test_export_slha_off_shell_regime_writes_three_body_modes(tmp_path):
    slha = _slha(tmp_path, "model.mzprime=0.08")
    ids = {tuple(d.ids) for d in slha.decays[PDG_NU5].decays}
    assert (PDG_NU4, 11, -11) in ids and (PDG_NU4, 32) not in ids


def test_export_slha_frozen_with_zero_gp_is_a_clear_error(tmp_path, capsys):
    rc = main(["export-slha", "--set", "physics.nucleon_form_factor=frozen",
               "--set", "model.couplings.g_p=0", "-o", str(tmp_path / "x.dat")])
    assert rc == 2
    assert "g_p = 0" in capsys.readouterr().err
    assert not (tmp_path / "x.dat").exists()


def test_export_slha_to_stdout(capsys):
    assert main(["export-slha", "--set", "physics.nucleon_form_factor=point"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("# param_card") and "BLOCK MASS" in out.out
    assert out.err == ""
