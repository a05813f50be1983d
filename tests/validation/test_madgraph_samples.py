"""zpgen against MadGraph5_aMC@NLO 3.1.1: the samples stored in validation/madgraph/.

The samples were made by MadGraph itself (validation/madgraph/README.md gives the
commands, run_madgraph.py runs them; samples/<setup>.log keeps MadGraph's key output).  For
every setup of setups.toml, zpgen is generated with the setup's card on the free proton
(a detector whose only targets are the H1 protons) and compared with the sample by
zpgen.madgraph.compare_lhe.compare: the cross section (MadGraph's divided by its bwcutoff factor
[(2/pi) atan(2 bwcutoff)]^n, n read from the sample's banner) and, per observable (E_nu5,
t; with the e+ e- pair also E_vis, theta_ee, cos theta, the energy asymmetry and
cos theta*), chi2, KS, the mean and the median, all within their combined statistical
errors, family-wise p >= 1e-3.  The comparison must fail on deliberately wrong cards.

MadGraph's standalone matrix element at fixed phase-space points (samples/
standalone_pauli.txt) is compared with docs/physics.md's |M|^2 without Monte Carlo: it
fixes the strength and sign of the proton's Pauli term in the UFO.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from zpgen.madgraph.compare_lhe import bw_fraction, madgraph_bw_resonances, read_lhe_init
from zpgen.processes import xsec
from zpgen.processes.couplings import physical_couplings
from zpgen.processes.widths import widths

from zpgen import constants
from zpgen.card import parse_card

pytest.importorskip("pylhe")

MG_DIR = Path(__file__).resolve().parents[2] / "validation" / "madgraph"


@pytest.fixture(scope="module")
def cs():
    """validation/madgraph/compare_samples.py as a module."""
    name = "validation_madgraph_compare_samples"
    spec = importlib.util.spec_from_file_location(name, MG_DIR / "compare_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[name]


def _setups():
    import tomllib

    data = tomllib.loads((MG_DIR / "setups.toml").read_text(encoding="utf-8"))
    return list(data["common"]), data["setups"]


COMMON, SETUPS = _setups()


def _head(name):
    with gzip.open(MG_DIR / "samples" / f"{name}.lhe.gz", "rt", encoding="utf-8") as fh:
        text = []
        for line in fh:
            if line.startswith("<event"):
                break
            text.append(line)
    return "".join(text)


@pytest.mark.parametrize("name", list(SETUPS))
def test_samples_are_madgraph_3_1_1_of_the_setup(name):
    """Each stored sample is MadGraph 3.1.1's, of the setup's process and model, with the
    resonance count setups.toml states (the one compare-lhe reads from the banner)."""
    setup = SETUPS[name]
    head = _head(name)
    assert re.search(r"<MGVersion>\s*3\.1\.1", head)
    assert f"generate {setup['generate']}" in head
    assert f"import model {setup['model']}" in head
    n, cut, _ = madgraph_bw_resonances(head)
    assert (n, cut) == (setup["bw_resonances"], 15.0)
    if setup.get("madspin"):
        assert "set spinmode onshell" in head and setup["madspin"] in head
    with gzip.open(MG_DIR / "samples" / f"{name}.lhe.gz", "rt") as fh:
        events = sum(1 for line in fh if line.startswith("<event"))
    assert events == setup["nevents"]
    # the param_card MadGraph used is the one export-slha wrote for the setup
    card = (MG_DIR / "cards" / name / "param_card.dat").read_text()
    assert "BLOCK SMINPUTS" in card and setup["model"] in card


@pytest.mark.parametrize("name", list(SETUPS))
def test_zpgen_agrees_with_madgraph(cs, name):
    result = cs.compare_setup(name, n_events=20000, seed=17)
    assert result["pass"], result["failures"]
    # the cross sections were compared within statistical errors, after the bwcutoff factor
    f = bw_fraction(15.0) ** SETUPS[name]["bw_resonances"]
    assert result["bw_factor"][1] == pytest.approx(f, rel=1e-12)
    assert result["xsec_corrected_err_pb"][1] < 0.01 * result["xsec_corrected_pb"][1]
    assert set(result["observables"]) == set(cs.observables(SETUPS[name]))


def test_bwcutoff_factor_from_madgraph_alone():
    """MadGraph against itself (issue 17, point 7).  The decay-chain cross section over
    the production one times zpgen's BR is [(2/pi) atan(30)]^2 = 0.958 (bwcutoff 15, the
    Breit-Wigners of nu5 and Z' cut), not 1.  MadSpin's partial width of nu5 -> nu4 (Z' ->
    e+ e-) (samples/point_madspin.log) is Gamma(nu5 -> nu4 Z') BR(Z' -> ee) x (2/pi)
    atan(30): the Z' inside its decay is cut, the nu5 it decays is on shell."""
    card = parse_card(None, [*COMMON, *SETUPS["point_chain"]["zpgen"]])
    w = widths(physical_couplings(card.model))
    br = w["BR"]["nu5_nu4_Zprime"] * w["BR"]["Zprime_ee"]
    f = bw_fraction(15.0)
    prod = read_lhe_init(str(MG_DIR / "samples" / "point_prod.lhe.gz"))["processes"][0]
    chain = read_lhe_init(str(MG_DIR / "samples" / "point_chain.lhe.gz"))["processes"][0]
    ratio = chain["xsec_pb"] / (prod["xsec_pb"] * br)
    err = ratio * math.hypot(chain["err_pb"] / chain["xsec_pb"], prod["err_pb"] / prod["xsec_pb"])
    assert abs(ratio - f**2) < 3.5 * err and abs(ratio - 1.0) > 3.5 * err, (ratio, err)
    log = (MG_DIR / "samples" / "point_madspin.log").read_text()
    width, width_err = map(float, re.search(r"MadSpin partial width .*GeV: (\S+) (\S+)",
                                            log).groups())
    ratio = width / (w["nu5"]["nu4_Zprime"] * w["BR"]["Zprime_ee"])
    err = ratio * width_err / width
    assert abs(ratio - f) < 3.5 * err and abs(ratio - 1.0) > 3.5 * err, (ratio, err)


def test_production_cross_section_against_the_analytic_value():
    """MadGraph's sigma(nu_mu p -> nu5 p) at 1 GeV for the point-like and the frozen
    proton against docs/physics.md's dsigma/dt integrated (processes/xsec.py)."""
    for name in ("point_prod", "frozen_prod", "frozen_pauli_prod"):
        card = parse_card(None, [*COMMON, *SETUPS[name]["zpgen"]])
        pc = physical_couplings(card.model)
        analytic = xsec.sigma(1.0, xsec.channel_params("H1_proton", pc, card.physics)) * 1e36
        mg = read_lhe_init(str(MG_DIR / "samples" / f"{name}.lhe.gz"))["processes"][0]
        assert abs(mg["xsec_pb"] - analytic) < 3.5 * mg["err_pb"], (name, mg, analytic)


def _standalone_points():
    text = (MG_DIR / "samples" / "standalone_pauli.txt").read_text()
    points = []
    for block in text.split("Phase space point:")[1:]:
        rows = [[float(x) for x in line.split()[1:5]] for line in block.splitlines()
                if re.match(r"^\s*[1-4]\s+[-0-9.]", line)]
        me = float(re.search(r"Matrix element =\s*(\S+)", block).group(1))
        points.append((np.array(rows), me))
    assert len(points) == 6
    return points


def test_pauli_term_strength_and_sign_in_the_matrix_element():
    """MadGraph's |M|^2 (averaged over the 2 helicities of the massless nu_mu and the 2 of
    the proton) is half of docs/physics.md's nucleon |M|^2 (nucleon spin average only, the
    nu_mu being purely left-handed) at every point, with the F1, F2 zpgen freezes for this
    card (F2/F1 = 10): the Pauli term has the right strength and sign.  -F2 or F2/2 miss."""
    cfg = __import__("tomllib").loads((MG_DIR / "setups.toml").read_text())["standalone"]
    card = parse_card(None, [*COMMON, *cfg["zpgen"]])
    pc = physical_couplings(card.model)
    f1, f2 = xsec.nucleon_f1_f2(0.0, xsec.channel_params("H1_proton", pc, card.physics))
    assert f2 / f1 == pytest.approx(10.0, rel=0.01)
    M = constants.M_P

    def dot(a, b):
        return a[0] * b[0] - a[1:] @ b[1:]

    for p, me in _standalone_points():
        s = dot(p[0] + p[1], p[0] + p[1])
        E = (s - M * M) / (2 * M)
        t = dot(p[3] - p[1], p[3] - p[1])
        ref = xsec.msq_nucleon(E, t, M, pc.m5, pc.mzprime, pc.g_mu5, f1, f2)
        assert me == pytest.approx(0.5 * ref, rel=1e-7)
        for wrong in (-f2, 0.5 * f2, -0.5 * f2):
            other = xsec.msq_nucleon(E, t, M, pc.m5, pc.mzprime, pc.g_mu5, f1, wrong)
            assert abs(me / (0.5 * other) - 1.0) > 0.03


def test_comparison_fails_on_wrong_cards(cs):
    """A test that cannot fail is a defect: the same comparison with deliberately wrong
    zpgen cards, or without the bwcutoff correction, fails, and for the expected reason."""
    # C_A with the wrong sign: the Z' -> e+ e- forward-backward asymmetry flips
    r = cs.compare_setup("point_chain", extra=["model.couplings.ca_l=-1.88e-4"])
    assert not r["pass"]
    star = r["observables"]["cos_theta_star"]
    assert star["p_mean"] < r["threshold_per_test"] and star["z_mean"] > 5
    # M_Z' = 25 MeV instead of 30: spectra and the cross section move
    r = cs.compare_setup("point_chain", extra=["model.mzprime=0.025"])
    assert not r["pass"] and not r["xsec_pass"]
    assert not r["observables"]["theta_ee"]["pass"]
    # MadGraph's bwcutoff deficit not accounted for (what a fixed 5 % tolerance hid)
    r = cs.compare_setup("point_chain", bw_resonances=0)
    assert not r["pass"] and not r["xsec_pass"] and r["xsec_z"] > 4
    assert all(e["pass"] for e in r["observables"].values())
    # the point-like proton compared with the frozen one with the Pauli term at kappa_s=10
    r = cs.compare_setup("frozen_pauli_prod", extra=["physics.nucleon_form_factor=point"])
    assert not r["pass"] and not r["xsec_pass"]


def test_readme_recipe_on_the_command_line(tmp_path, capsys):
    """The README's zpgen side, on fewer events: zpgen generate (every channel) and
    zpgen compare-lhe --channel H1_proton against the stored sample, which reads the
    bwcutoff factor from its banner."""
    import json

    from zpgen.cli import main

    pytest.importorskip("pyarrow")
    out = tmp_path / "zp_point.parquet"
    args = ["generate", "--no-detector", "-q", "-n", "60000", "--seed", "5", "-o", str(out)]
    for o in [*COMMON, *SETUPS["point_chain"]["zpgen"]]:
        args += ["--set", o]
    assert main(args) == 0
    rc = main(["compare-lhe", str(out), str(MG_DIR / "samples" / "point_chain.lhe.gz"),
               "--channel", "H1_proton", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert rc == 0, result["failures"]
    assert result["bw_factor"][1] == pytest.approx(bw_fraction(15.0) ** 2)
    assert any("2 decay-chain resonance(s)" in n for n in result["notes"])
    assert "cos_theta_star" in result["observables"] and result["n_events"][0] > 1500


def _mg_widths(name):
    """{pdg: (total, {sorted daughters: partial width})} of samples/widths_<name>.txt."""
    out, current = {}, None
    for line in (MG_DIR / "samples" / f"widths_{name}.txt").read_text().splitlines():
        f = line.split()
        if line.startswith("DECAY"):
            current = int(f[1])
            out[current] = (float(f[2]), {})
        elif current is not None and f and not line.startswith("#"):
            nda = int(f[1])
            ids = tuple(sorted(int(x) for x in f[2:2 + nda]))
            out[current][1][ids] = float(line.split("#")[1])
    return out


@pytest.mark.parametrize("name", ["point_chain", "majorana_chain", "offshell_chain"])
def test_madgraph_widths_equal_zpgen_widths(name):
    """MadGraph's compute_widths with the UFO and the setup's param_card against zpgen's
    processes/widths.py: Z' -> f fbar, nu5 -> nu4 Z' and nu5 -> nu_light Z' (nu_mu through
    the production coupling and nu_tau through g_5t, not double counted) to 1e-4 (MadGraph
    integrates even two-body widths numerically: 3e-5 differences); nu5 -> nu4 e+ e- of
    the off-shell setup (MadGraph's three-body phase-space integral) to 5 %."""
    card = parse_card(None, [*COMMON, *SETUPS[name]["zpgen"]])
    w = widths(physical_couplings(card.model))
    mg = _mg_widths(name)
    zp_total, zp = mg[32]
    assert zp_total == pytest.approx(w["Zprime"]["total"], rel=1e-4)
    assert zp[(-11, 11)] == pytest.approx(w["Zprime"]["ee"], rel=1e-4)
    n5_total, n5 = mg[9900014]
    light = sum(v for k, v in n5.items() if len(k) == 2 and 9900012 not in k)
    assert light == pytest.approx(w["nu5"]["nu_Zprime"], rel=1e-4)
    if name == "offshell_chain":
        assert n5[(-11, 11, 9900012)] == pytest.approx(w["nu5"]["nu4_ee"], rel=0.05)
    else:
        assert n5[(32, 9900012)] == pytest.approx(w["nu5"]["nu4_Zprime"], rel=1e-4)
        assert n5_total == pytest.approx(w["nu5"]["total"], rel=1e-4)
