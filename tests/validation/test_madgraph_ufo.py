"""The UFO models in validation/madgraph (Dirac zpgen_darknu, zpgen_darknu_majorana) and
`zpgen export-slha`.

Each UFO package is imported with its own object library; every vertex must reference
defined particles, couplings and Lorentz structures, the quantum numbers must be
conserved, and the coupling expressions, evaluated with the param_card that
`zpgen export-slha` writes (read back with pyslha), must equal zpgen's couplings.  The
points of issue 17 that made MadGraph 3.1.1 refuse the model are checked one by one
(write_param_card.py as a script, aS and SMINPUTS, no particle called p, the order QCD,
numbers of at most 20 characters, g_mu5 not counted twice in the nu5 width, the Pauli
coefficient).  MadGraph itself is exercised by tests/validation/test_madgraph_samples.py
through the samples it made with these files.
"""

from __future__ import annotations

import cmath
import importlib.util
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from zpgen.processes import xsec
from zpgen.processes.couplings import physical_couplings
from zpgen.processes.dark_neutrino import PDG_NU4, PDG_NU5, PDG_ZPRIME, DarkNeutrinoProcess
from zpgen.processes.widths import widths

from zpgen import constants
from zpgen.card import parse_card
from zpgen.cli import main

pyslha = pytest.importorskip("pyslha")

MG_DIR = Path(__file__).resolve().parents[2] / "validation" / "madgraph"
MODELS = {"dirac": MG_DIR / "zpgen_darknu", "majorana": MG_DIR / "zpgen_darknu_majorana"}
#: Files the Majorana variant shares with the Dirac model, byte for byte.
SHARED = ("object_library.py", "function_library.py", "lorentz.py", "parameters.py",
          "coupling_orders.py", "write_param_card.py")


def _import(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(
        name, path / "__init__.py", submodule_search_locations=[str(path)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _forget(name: str) -> None:
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]


@pytest.fixture(scope="module", params=["dirac", "majorana"])
def model(request):
    name = f"zpgen_darknu_under_test_{request.param}"
    try:
        yield request.param, _import(MODELS[request.param], name)
    finally:
        _forget(name)


@pytest.fixture(scope="module")
def ufo():
    name = "zpgen_darknu_under_test"
    try:
        yield _import(MODELS["dirac"], name)
    finally:
        _forget(name)


def _slha(tmp_path, *overrides):
    out = tmp_path / "param_card.dat"
    args = ["export-slha", "--overwrite", "-o", str(out)]
    for o in overrides:
        args += ["--set", o]
    assert main(args) == 0
    return pyslha.read(str(out)), out


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


def test_majorana_variant_shares_the_other_files():
    for name in SHARED:
        dirac, majorana = (MODELS[k] / name for k in ("dirac", "majorana"))
        assert dirac.read_bytes() == majorana.read_bytes(), name


def test_vertices_reference_defined_objects_and_conserve_charges(model):
    kind, ufo = model
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
        assert sum(getattr(p, "BaryonNumber", 0) for p in v.particles) == 0, v.name
        if kind == "dirac":  # Majorana states carry no lepton number
            assert sum(getattr(p, "LeptonNumber", 0) for p in v.particles) == 0, v.name
            # [fbar, f, V]: an antifermion, a fermion, the Z'
            assert v.particles[0].pdg_code < 0 < v.particles[1].pdg_code
        assert v.particles[2].name == "zp"
    # MadGraph takes a model's orders from its couplings: NP counts, QCD is declared
    # (MadSpin appends QCD=99) and counts nothing
    orders = {o.name for o in ufo.all_orders}
    assert orders == {"NP", "QCD"}
    for c in ufo.all_couplings:
        assert c.order == {"NP": 1, "QCD": 0}


def test_particles_pdg_spins_and_charges(model):
    kind, ufo = model
    by_name = {p.name: p for p in ufo.all_particles}
    # PDG numbers as the process declares them
    declared = {info.name: pdg for pdg, info in DarkNeutrinoProcess.from_card(
        parse_card(None, [])).particles().items()}
    assert by_name["zp"].pdg_code == declared["Zprime"] == PDG_ZPRIME
    assert by_name["n4"].pdg_code == declared["nu4"] == PDG_NU4
    assert by_name["n5"].pdg_code == declared["nu5"] == PDG_NU5
    assert by_name["zp"].spin == 3 and by_name["zp"].selfconjugate and by_name["zp"].charge == 0
    for n in ("n4", "n5", "ve", "vm", "vt", "e-", "mu-", "prot"):
        assert by_name[n].spin == 2 and by_name[n].color == 1
    # MadSpin reserves p and j as multiparticle labels (issue 17, point 4)
    assert "p" not in by_name and "j" not in by_name
    assert by_name["prot"].pdg_code == 2212 and by_name["prot"].charge == 1
    assert by_name["prot~"].charge == -1
    if kind == "dirac":
        assert by_name["n4~"].pdg_code == -PDG_NU4 and not by_name["n5"].selfconjugate
    else:  # name = antiname: a Majorana fermion for MadGraph
        assert by_name["n4"].selfconjugate and by_name["n5"].selfconjugate
        assert "n4~" not in by_name and "n5~" not in by_name
    assert by_name["zp"].mass.name == "MZp" and by_name["zp"].width.name == "WZp"
    assert by_name["n5"].width.name == "Wn5" and by_name["n4"].mass.name == "Mn4"
    pairs = {tuple(p.name for p in v.particles) for v in ufo.all_vertices}
    bar5, bar4 = ("n5~", "n4~") if kind == "dirac" else ("n5", "n4")
    assert (bar5, "vm", "zp") in pairs and ("vm~", "n5", "zp") in pairs
    assert ("prot~", "prot", "zp") in pairs and ("e+", "e-", "zp") in pairs
    assert (bar5, "n4", "zp") in pairs
    assert ((bar4, "n5", "zp") in pairs) == (kind == "dirac")  # one vertex for Majorana


def test_alpha_s_for_madgraph(ufo):
    """MadGraph's widths and run need a parameter aS (issue 17, point 3)."""
    aS = next(p for p in ufo.all_parameters if p.name == "aS")
    assert aS.nature == "external" and aS.lhablock == "SMINPUTS" and aS.lhacode == [3]


def test_write_param_card_runs_as_a_script(tmp_path):
    """MadGraph's launch runs `python write_param_card.py` in the copied model directory
    and reads param_card.dat from there (issue 17, point 2)."""
    for kind, src in MODELS.items():
        target = tmp_path / f"ufomodel_{kind}"
        shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run([sys.executable, "write_param_card.py"], cwd=target, check=True,
                       capture_output=True, text=True)
        card = pyslha.read(str(target / "param_card.dat"))
        assert card.blocks["MASS"][PDG_NU5] == pytest.approx(0.110)
        assert card.blocks["SMINPUTS"][3] == pytest.approx(0.118)
        assert card.decays[PDG_ZPRIME].totalwidth > 0


@pytest.mark.parametrize("overrides", [("physics.nucleon_form_factor=point",),
                                       ("physics.nucleon_form_factor=frozen",
                                        "physics.kappa_s=10.0"),
                                       ("model.heavy_neutrino=majorana",
                                        "model.couplings.g_5a=3e-5", "model.mzprime=0.07")])
def test_numbers_fit_madgraph_fortran_reader(tmp_path, overrides):
    """lha_read.f keeps 20 characters of a value (issue 17, point 4): every number of
    the param_card is at most 20 characters long and keeps 12 significant decimals."""
    _, path = _slha(tmp_path, *overrides)
    for line in path.read_text().splitlines():
        if line.startswith("#") or line.startswith("BLOCK"):
            continue
        fields = line.split("#")[0].split()
        for token in fields:
            assert len(token) <= 20, line
        if line.startswith("DECAY") or len(fields) == 2:
            float(fields[-1])  # a complete number


def test_sminputs_and_model_line(tmp_path):
    slha, path = _slha(tmp_path, "physics.nucleon_form_factor=point")
    assert slha.blocks["SMINPUTS"][3] == pytest.approx(0.118)
    assert "UFO model zpgen_darknu," in path.read_text()
    _, path = _slha(tmp_path, "physics.nucleon_form_factor=point",
                    "model.heavy_neutrino=majorana")
    assert "UFO model zpgen_darknu_majorana," in path.read_text()


def test_external_parameters_have_slha_codes_and_default_card_values(ufo, tmp_path):
    slha, _ = _slha(tmp_path, "physics.nucleon_form_factor=point")
    card = parse_card(None, ["physics.nucleon_form_factor=point"])
    pc = physical_couplings(card.model)
    w = widths(pc)
    scope, _ = _evaluate(ufo, slha)
    defaults = {p.name: p.value for p in ufo.all_parameters if p.nature == "external"}
    for name, value in defaults.items():
        if name.startswith("W"):
            continue  # widths: placeholders in the UFO, zpgen's in the param card
        assert scope[name] == pytest.approx(value, rel=1e-11), name
    assert scope["WZp"] == pytest.approx(w["Zprime"]["total"], rel=1e-11)
    assert scope["Wn5"] == pytest.approx(w["nu5"]["total"], rel=1e-11)
    assert scope["Wn4"] == pytest.approx(w["nu4"]["total"], rel=1e-11)


@pytest.mark.parametrize("overrides", [(), ("model.mzprime=0.02", "model.couplings.ca_l=0",
                                            "model.couplings.g_p=2e-3")])
def test_couplings_evaluate_to_zpgen_couplings(model, tmp_path, overrides):
    kind, ufo = model
    overrides = (*overrides, "physics.nucleon_form_factor=point",
                 f"model.heavy_neutrino={kind}")
    slha, _ = _slha(tmp_path, *overrides)
    pc = physical_couplings(parse_card(None, list(overrides)).model)
    scope, gc = _evaluate(ufo, slha)
    g5t = math.sqrt(pc.g_5a**2 - pc.g_mu5**2)
    expect = {"GC_mu5": pc.g_mu5, "GC_45": pc.g_45, "GC_5t": g5t, "GC_4a": pc.g_4a,
              "GC_lL": pc.cv_l - pc.ca_l, "GC_lR": pc.cv_l + pc.ca_l, "GC_nu": pc.g_nu,
              "GC_p1": pc.g_p}
    if kind == "majorana":  # g_45 gamma^mu (P_L - P_R)
        expect["GC_45R"] = -pc.g_45
    for name, value in expect.items():
        assert gc[name] == pytest.approx(1j * value, rel=1e-11), name
    assert gc["GC_p2"] == 0
    assert scope["MZp"] == pytest.approx(pc.mzprime)
    # chiral -> vector/axial: C_V = (g_L + g_R)/2, C_A = (g_R - g_L)/2
    assert ((gc["GC_lL"] + gc["GC_lR"]) / 2j).real == pytest.approx(pc.cv_l)
    assert ((gc["GC_lR"] - gc["GC_lL"]) / 2j).real == pytest.approx(pc.ca_l)


def test_light_neutrino_widths_are_not_double_counted(tmp_path):
    """MadGraph's automatic nu5 width sums nu5 -> nu_mu Z' (g_mu5, the production vertex)
    and nu5 -> nu_tau Z' (g_5t): g_mu5^2 + g_5t^2 = g_5a^2, zpgen's (issue 17, point 6)."""
    slha, _ = _slha(tmp_path, "physics.nucleon_form_factor=point")
    pc = physical_couplings(parse_card(None, []).model)
    coup = slha.blocks["ZPCOUP"]
    assert coup[1] ** 2 + coup[3] ** 2 == pytest.approx(pc.g_5a**2, rel=1e-11)
    # the param card's nu_light Z' branching ratio splits as g_mu5^2 : g_5t^2
    br = {tuple(d.ids): d.br for d in slha.decays[PDG_NU5].decays}
    w = widths(pc)
    assert br[(14, PDG_ZPRIME)] + br[(16, PDG_ZPRIME)] == pytest.approx(
        w["BR"]["nu5_nu_Zprime"], rel=1e-11)
    assert br[(14, PDG_ZPRIME)] / br[(16, PDG_ZPRIME)] == pytest.approx(
        coup[1] ** 2 / coup[3] ** 2, rel=1e-9)


def test_g5a_below_g_mu5_is_a_warning(tmp_path, capsys):
    slha, _ = _slha(tmp_path, "physics.nucleon_form_factor=point", "model.couplings.g_5a=1e-6")
    assert slha.blocks["ZPCOUP"][3] == 0.0
    assert "g_5a = 1e-06 < g_mu5" in capsys.readouterr().err


def test_pauli_coefficient(ufo, tmp_path):
    """GC_p2 = g_p FF2/M_p for ALOHA's Sigma = sigma/2 and MadGraph's momentum -q
    (couplings.py; fixed by MadGraph's standalone |M|^2, test_madgraph_samples.py)."""
    slha, _ = _slha(tmp_path, "physics.nucleon_form_factor=frozen", "physics.kappa_s=10.0")
    card = parse_card(None, ["physics.nucleon_form_factor=frozen", "physics.kappa_s=10.0"])
    pc = physical_couplings(card.model)
    f1, f2 = xsec.nucleon_f1_f2(-0.3, xsec.channel_params("H1_proton", pc, card.physics))
    _, gc = _evaluate(ufo, slha)
    assert gc["GC_p1"] == pytest.approx(1j * f1, rel=1e-11)
    assert gc["GC_p2"] == pytest.approx(f2 / constants.M_P, rel=1e-11)
    assert f2 / f1 == pytest.approx(10.0, rel=0.01)


def test_frozen_form_factors_in_the_param_card(ufo, tmp_path):
    slha, _ = _slha(tmp_path, "physics.nucleon_form_factor=frozen", "model.couplings.g_n=5e-4")
    card = parse_card(None, ["physics.nucleon_form_factor=frozen", "model.couplings.g_n=5e-4"])
    pc = physical_couplings(card.model)
    f1, f2 = xsec.nucleon_f1_f2(-0.3, xsec.channel_params("H1_proton", pc, card.physics))
    _, gc = _evaluate(ufo, slha)
    assert gc["GC_p1"] == pytest.approx(1j * f1, rel=1e-11)
    assert gc["GC_p2"] == pytest.approx(f2 / constants.M_P, rel=1e-11)
    assert f1 == pytest.approx(pc.g_p, rel=1e-2)  # F(M_Z'^2) ~ F(0)


def test_export_slha_round_trip_values(tmp_path, capsys):
    slha, _ = _slha(tmp_path, "model.mzprime=0.025")
    err = capsys.readouterr().err
    assert "has no UFO equivalent" in err  # default 'full' form factors
    card = parse_card(None, ["model.mzprime=0.025"])
    pc = physical_couplings(card.model)
    mass = slha.blocks["MASS"]
    assert mass[32] == 0.025 and mass[PDG_NU4] == pc.m4 and mass[PDG_NU5] == pc.m5
    assert mass[11] == pytest.approx(constants.M_E, rel=1e-12)
    assert mass[2212] == pytest.approx(constants.M_P, rel=1e-12)
    assert mass[13] == pytest.approx(constants.M_MU, rel=1e-12)
    coup = slha.blocks["ZPCOUP"]
    for code, attr in ((1, "g_mu5"), (2, "g_45"), (4, "g_4a"), (5, "cv_l"), (6, "ca_l"),
                       (7, "g_nu"), (8, "g_p"), (9, "g_n")):
        assert coup[code] == pytest.approx(getattr(pc, attr), rel=1e-12)
    assert slha.blocks["ZPFORMFAC"][1] == 1.0 and slha.blocks["ZPFORMFAC"][2] == 0.0
    w = widths(pc)
    for pdg, key in ((32, "Zprime"), (PDG_NU5, "nu5"), (PDG_NU4, "nu4")):
        assert slha.decays[pdg].totalwidth == pytest.approx(w[key]["total"], rel=1e-12)
        assert sum(d.br for d in slha.decays[pdg].decays) == pytest.approx(1.0, rel=1e-11)
    br = {tuple(d.ids): d.br for d in slha.decays[PDG_NU5].decays}
    assert br[(PDG_NU4, 32)] == pytest.approx(w["BR"]["nu5_nu4_Zprime"], rel=1e-12)
    ee = {tuple(d.ids): d.br for d in slha.decays[32].decays}[(11, -11)]
    assert ee == pytest.approx(w["BR"]["Zprime_ee"], rel=1e-12)


def test_export_slha_majorana_decays_to_both_charge_states(tmp_path):
    slha, _ = _slha(tmp_path, "physics.nucleon_form_factor=point",
                    "model.heavy_neutrino=majorana")
    br = {tuple(d.ids): d.br for d in slha.decays[PDG_NU5].decays}
    assert br[(16, 32)] == pytest.approx(br[(-16, 32)])
    assert br[(14, 32)] == pytest.approx(br[(-14, 32)])


def test_export_slha_off_shell_regime_writes_three_body_modes(tmp_path):
    slha, _ = _slha(tmp_path, "model.mzprime=0.08")
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


def test_export_slha_reads_pdg_numbers_from_the_process(monkeypatch, tmp_path):
    """export-slha writes the PDG numbers the process declares, not numbers of its own."""
    from zpgen.registry import ParticleInfo

    original = DarkNeutrinoProcess.particles

    def renumbered(self):
        out = {}
        for pdg, info in original(self).items():
            new = pdg + 1000 if info.name in ("nu4", "nu5") else pdg
            out[new] = ParticleInfo(new, info.name, info.description, info.mass_GeV,
                                    info.width_GeV, info.spin, info.charge, info.standard)
        return out

    monkeypatch.setattr(DarkNeutrinoProcess, "particles", renumbered)
    slha, _ = _slha(tmp_path, "physics.nucleon_form_factor=point")
    assert PDG_NU5 + 1000 in slha.blocks["MASS"] and PDG_NU5 not in slha.blocks["MASS"]
    assert (PDG_NU4 + 1000, 32) in {tuple(d.ids) for d in slha.decays[PDG_NU5 + 1000].decays}
