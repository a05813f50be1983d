"""Flux plugins: shipped MiniBooNE table, tabulated reader, monochromatic, sampling.

Every check compares with a calculation written here (sums of raw file columns, analytic
piecewise integrals, histograms of samples), never with numbers copied from the code.
"""

from __future__ import annotations

import itertools
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from zpgen.flux.miniboone_bnb import MiniBooNEBNBFlux
from zpgen.flux.monochromatic import MonochromaticFlux
from zpgen.flux.tabulated import TabulatedFlux

from zpgen.card import CardError
from zpgen.registry import Flux, load_plugin

FLAVOUR_PDG = {"numu": 14, "numubar": -14, "nue": 12, "nuebar": -12}


def official_table(miniboone_data: Path) -> np.ndarray:
    return np.loadtxt(miniboone_data / "flux" / "MiniBooNE_nu_mode_flux.dat", comments="#")


# ------------------------------------------------------------------ shipped default flux
def test_shipped_numu_integral_and_mean_energy_match_prd79():
    flux = MiniBooNEBNBFlux("numu")
    # PRD 79 072002: 5.19e-10 nu/cm^2/POT, <E> = 0.81 GeV
    assert flux.integral() == pytest.approx(5.19e-10, rel=0.01)
    assert flux.mean_energy() == pytest.approx(0.81, rel=0.02)


def test_shipped_table_equals_official_release(miniboone_data):
    table = official_table(miniboone_data)
    for column, flavour in enumerate(("numu", "numubar", "nue", "nuebar"), start=2):
        flux = MiniBooNEBNBFlux(flavour)
        np.testing.assert_allclose(flux.edges[:-1], table[:, 0], atol=1e-9)
        np.testing.assert_allclose(flux.edges[1:], table[:, 1], atol=1e-9)
        # official: per 50 MeV bin; ours: per GeV
        np.testing.assert_allclose(flux.density * 0.050, table[:, column], rtol=1e-6,
                                   atol=1e-6 * table[:, column].max())
        assert flux.integral() == pytest.approx(table[:, column].sum(), rel=1e-6)
        centres = 0.5 * (table[:, 0] + table[:, 1])
        mean = np.sum(table[:, column] * centres) / table[:, column].sum()
        assert flux.mean_energy() == pytest.approx(mean, rel=1e-6)


def test_shipped_files_are_package_data():
    data = resources.files("zpgen.flux").joinpath("data")
    header = data.joinpath("miniboone_bnb_numode.dat").read_text(encoding="utf-8")
    assert "072002" in header and "2207.04137" in header
    assert "neutrinos / cm^2 / POT / GeV" in header
    licence = data.joinpath("LICENSE.darknews").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Hostert" in licence


@pytest.mark.parametrize("flavour", sorted(FLAVOUR_PDG))
def test_flavour_and_pdg(flavour):
    flux = load_plugin("flux", "miniboone_bnb").from_options({"name": "miniboone_bnb",
                                                              "flavour": flavour})
    assert isinstance(flux, Flux)
    assert flux.flavour == flavour and flux.pdg == FLAVOUR_PDG[flavour]
    assert flux.edges.shape == (flux.density.size + 1,)


# ------------------------------------------------------------------ integral and sampling
def test_partial_integral_is_exact_for_piecewise_constant():
    flux = MiniBooNEBNBFlux("numu")
    e_min, e_max = 0.2137, 1.4321
    # hand calculation: full bins plus the covered fractions of the two end bins
    total = 0.0
    for lo, hi, dens in zip(flux.edges[:-1], flux.edges[1:], flux.density, strict=True):
        overlap = max(0.0, min(hi, e_max) - max(lo, e_min))
        total += dens * overlap
    assert flux.integral(e_min, e_max) == pytest.approx(total, rel=1e-12)
    assert flux.integral(e_max, e_min) == 0.0
    assert flux.integral(20.0) == 0.0
    assert flux.integral(-1.0, 50.0) == pytest.approx(flux.integral(), rel=1e-15)


def test_inverse_cdf_histogram_follows_flux_shape():
    flux = MiniBooNEBNBFlux("numu")
    e_min = 0.3123
    rng = np.random.default_rng(7)
    n = 400_000
    E_nu, jacobian = flux.inverse_cdf(rng.random(n), e_min)
    assert E_nu.min() >= e_min and E_nu.max() <= flux.edges[-1]
    # histogram on a coarse grid; expected counts from the integral of the file's density
    edges = np.array([e_min, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.7, 2.0, 2.5, 3.0,
                      4.0, 10.0])
    counts, _ = np.histogram(E_nu, bins=edges)
    dens, lo, hi = flux.density, flux.edges[:-1], flux.edges[1:]
    expected = np.array([np.sum(dens * np.clip(np.minimum(hi, b) - np.maximum(lo, a), 0, None))
                         for a, b in itertools.pairwise(edges)])
    expected *= n / expected.sum()
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert chi2 / (len(counts) - 1) < 2.5
    # the jacobian makes Phi(E) dE/du the integral above e_min
    above = np.sum(dens * np.clip(hi - np.maximum(lo, e_min), 0, None))
    np.testing.assert_allclose(flux.density_at(E_nu) * jacobian, above, rtol=1e-9)


def test_inverse_cdf_is_linear_inside_a_bin_and_skips_empty_bins():
    flux = TabulatedFlux("nue", [0.0, 1.0, 2.0, 3.0, 4.0], [2.0, 0.0, 0.0, 6.0])
    # total 8: u < 0.25 maps into [0, 1), u >= 0.25 into [3, 4)
    u = np.array([0.0, 0.125, 0.2499999, 0.25, 0.625, 0.9999999])
    E_nu, jacobian = flux.inverse_cdf(u)
    np.testing.assert_allclose(E_nu, [0.0, 0.5, 0.9999996, 3.0, 3.5, 3.9999999333], atol=1e-7)
    np.testing.assert_allclose(jacobian, [4.0, 4.0, 4.0, 8 / 6, 8 / 6, 8 / 6])
    samples, _ = flux.inverse_cdf(np.random.default_rng(3).random(50_000))
    assert not np.any((samples > 1.0) & (samples < 3.0))
    # threshold inside the empty region: only the last bin, jacobian 6/6 = 1
    E_hi, jac_hi = flux.inverse_cdf(np.array([0.0, 0.5]), e_min=1.5)
    np.testing.assert_allclose(E_hi, [3.0, 3.5])
    np.testing.assert_allclose(jac_hi, [1.0, 1.0])
    # above the end point: no flux, zero jacobian
    E_out, jac_out = flux.inverse_cdf(np.array([0.3]), e_min=5.0)
    assert jac_out[0] == 0.0 and E_out[0] == 5.0


# ------------------------------------------------------------------ tabulated
def write(path: Path, rows: list[list[float]], header: str = "") -> Path:
    text = "".join(f"# {line}\n" for line in header.splitlines())
    text += "".join(" ".join(f"{v:.10g}" for v in row) + "\n" for row in rows)
    path.write_text(text, encoding="utf-8")
    return path


def test_tabulated_edges_per_bin_in_mev_preserves_integral(tmp_path):
    rows = [[0, 100, 1e-12, 2e-12], [100, 300, 4e-12, 1e-12], [300, 1000, 7e-12, 0.5e-12]]
    path = write(tmp_path / "f.dat", rows, "Elo Ehi numu nue (per bin)")
    flux = TabulatedFlux.from_options({
        "name": "tabulated", "path": str(path), "columns": ["numu", "nue"], "flavour": "nue",
        "energy_unit": "MeV", "content_unit": "per_cm2_per_pot_per_bin"})
    assert flux.pdg == 12
    np.testing.assert_allclose(flux.edges, [0.0, 0.1, 0.3, 1.0])
    assert flux.integral() == pytest.approx(2e-12 + 1e-12 + 0.5e-12, rel=1e-12)
    np.testing.assert_allclose(flux.density, [2e-12 / 0.1, 1e-12 / 0.2, 0.5e-12 / 0.7])
    # mean energy of a histogram: sum(content * centre) / sum(content)
    assert flux.mean_energy() == pytest.approx(
        (2e-12 * 0.05 + 1e-12 * 0.2 + 0.5e-12 * 0.65) / 3.5e-12, rel=1e-12)


def test_shipped_antineutrino_mode_table_equals_official_release(miniboone_data):
    """mode = antineutrino: MiniBooNE's reversed-horn release (per 50 MeV) to the digit."""
    table = np.loadtxt(miniboone_data / "flux" / "MiniBooNE_nubar_mode_flux.dat", comments="#")
    for column, flavour in enumerate(("numu", "numubar", "nue", "nuebar"), start=2):
        flux = MiniBooNEBNBFlux(flavour, mode="antineutrino")
        assert flux.pdg == FLAVOUR_PDG[flavour]
        np.testing.assert_allclose(flux.edges[:-1], table[:, 0], atol=1e-9)
        np.testing.assert_allclose(flux.density * 0.050, table[:, column], rtol=1e-6,
                                   atol=1e-6 * table[:, column].max())
    # PRD 79 072002, antineutrino mode: numubar <E> ~ 0.66 GeV; wrong-sign numu ~ 16 %
    nubar = MiniBooNEBNBFlux(mode="antineutrino")
    assert nubar.flavour == "numubar"
    assert nubar.mean_energy() == pytest.approx(0.664, abs=0.005)
    wrong = MiniBooNEBNBFlux("numu", mode="antineutrino").integral()
    assert wrong / (wrong + nubar.integral()) == pytest.approx(0.156, abs=0.01)


def test_miniboone_mode_card_option(tmp_path):
    flux = load_plugin("flux", "miniboone_bnb").from_options({"mode": "antineutrino"})
    assert (flux.flavour, flux.pdg) == ("numubar", -14)
    with pytest.raises(CardError, match="mode"):
        load_plugin("flux", "miniboone_bnb").from_options({"mode": "reverse"})


def test_tabulated_reads_the_official_release_like_the_shipped_table(miniboone_data):
    path = miniboone_data / "flux" / "MiniBooNE_nu_mode_flux.dat"
    per_50 = TabulatedFlux.from_options({"path": str(path), "energy_unit": "GeV",
                                         "content_unit": "per_cm2_per_pot_per_50MeV"})
    per_bin = TabulatedFlux.from_options({"path": str(path), "energy_unit": "GeV",
                                          "content_unit": "per_cm2_per_pot_per_bin"})
    shipped = MiniBooNEBNBFlux("numu")
    np.testing.assert_allclose(per_50.density, shipped.density, rtol=1e-6)
    np.testing.assert_allclose(per_bin.density, shipped.density, rtol=1e-6)
    assert per_bin.integral() == pytest.approx(official_table(miniboone_data)[:, 2].sum(),
                                               rel=1e-12)


def test_tabulated_centres_layout_reconstructs_bins(tmp_path):
    # DarkNews-style: centre, nue, numu, nutau, nuebar, numubar, nutaubar per GeV
    centres = np.arange(10) * 0.05 + 0.025
    numu = 1e-10 * (1.0 + np.arange(10))
    rows = [[c, 0.1 * m, m, 0.0, 0.01 * m, 0.2 * m, 0.0] for c, m in zip(centres, numu,
                                                                          strict=True)]
    path = write(tmp_path / "dn.dat", rows, "nus/cm^2/POT/GeV")
    flux = TabulatedFlux.from_options({
        "path": str(path), "layout": "centres",
        "columns": ["nue", "numu", "nutau", "nuebar", "numubar", "nutaubar"],
        "energy_unit": "GeV", "content_unit": "per_cm2_per_pot_per_GeV"})
    np.testing.assert_allclose(flux.edges, np.arange(11) * 0.05, atol=1e-12)
    assert flux.integral() == pytest.approx(0.05 * numu.sum(), rel=1e-12)
    numubar = TabulatedFlux.from_options({
        "path": str(path), "layout": "centres", "flavour": "numubar",
        "columns": ["nue", "numu", "nutau", "nuebar", "numubar", "nutaubar"],
        "energy_unit": "GeV", "content_unit": "per_cm2_per_pot_per_MeV"})
    # per MeV values: density per GeV is 1000 times larger
    assert numubar.integral() == pytest.approx(1000 * 0.05 * 0.2 * numu.sum(), rel=1e-12)


# ------------------------------------------------------------------ monochromatic
def test_monochromatic_is_exact():
    flux = MonochromaticFlux.from_options({"name": "monochromatic", "energy": 0.8,
                                           "flux": 3e-10, "flavour": "numubar"})
    assert isinstance(flux, Flux) and flux.pdg == -14
    E_nu, jacobian = flux.inverse_cdf(np.random.default_rng(1).random(1000), e_min=0.5)
    assert np.all(E_nu == 0.8)
    np.testing.assert_allclose(flux.density_at(E_nu) * jacobian, 3e-10, rtol=1e-12)
    assert flux.integral() == 3e-10
    assert flux.integral(0.8, 0.9) == 3e-10
    assert flux.integral(0.0, 0.8) == 0.0
    assert flux.integral(0.81) == 0.0
    assert flux.mean_energy() == 0.8
    E_none, jac_none = flux.inverse_cdf(np.array([0.2, 0.7]), e_min=1.0)
    assert np.all(jac_none == 0.0) and np.all(E_none == 1.0)


def test_monochromatic_default_flux_is_one():
    flux = load_plugin("flux", "monochromatic").from_options({"energy": 2.0})
    assert flux.integral() == 1.0 and flux.flavour == "numu"
    assert flux.caveats and "per unit flux" in flux.caveats[0]
    given = load_plugin("flux", "monochromatic").from_options({"energy": 2.0, "flux": 1.0})
    assert given.caveats == ()


def test_a_unit_flux_is_said_loudly(tmp_path, capsys):
    """Without flux.flux the rates are per unit flux (1 nu/cm^2/POT): zpgen rate and zpgen
    generate say so, and the file records it; with it, nothing is said."""
    from zpgen.cli import main
    from zpgen.writers.read import read_metadata

    mono = ["--set", "flux.name=monochromatic", "--set", "flux.energy=0.8"]
    assert main(["rate", *mono]) == 0
    err = capsys.readouterr().err
    assert "warning: flux.flux is not given" in err and "per unit flux" in err
    assert main(["rate", *mono, "--set", "flux.flux=5.2e-10"]) == 0
    assert "warning" not in capsys.readouterr().err
    out = tmp_path / "mono.parquet"
    assert main(["generate", *mono, "-n", "2000", "-o", str(out), "-q", "--nitn", "3",
                 "--neval", "2000"]) == 0
    assert "per unit flux" in capsys.readouterr().err
    assert "per unit flux" in read_metadata(out)["run_info"]["caveats"][0]


# ------------------------------------------------------------------ bad options
@pytest.mark.parametrize(("plugin", "options", "field", "fragment"), [
    ("miniboone_bnb", {"flavour": "numux"}, "flux.flavour", "valid: numu, numubar, nue, nuebar"),
    ("miniboone_bnb", {"flavor": "numu"}, "flux.flavor", "did you mean 'flavour'"),
    ("monochromatic", {"energy": 0.0}, "flux.energy", "> 0.0 GeV"),
    ("monochromatic", {"energy": "1 GeV"}, "flux.energy", "expected a number"),
    ("monochromatic", {}, "flux.energy", "required"),
    ("monochromatic", {"energy": 1.0, "flux": -1.0}, "flux.flux", "> 0.0"),
    ("tabulated", {"path": "/nonexistent/flux.dat", "energy_unit": "GeV",
                   "content_unit": "per_cm2_per_pot_per_bin"}, "flux.path", "does not exist"),
])
def test_bad_options_name_the_field(plugin, options, field, fragment):
    with pytest.raises(CardError) as info:
        load_plugin("flux", plugin).from_options(options)
    message = str(info.value)
    assert message.startswith(field + ":")
    assert fragment in message


def test_tabulated_units_are_required_and_checked(tmp_path):
    path = write(tmp_path / "f.dat", [[0.0, 1.0, 1e-10, 0, 0, 0]])
    base = {"path": str(path), "energy_unit": "GeV", "content_unit": "per_cm2_per_pot_per_bin"}
    for missing in ("energy_unit", "content_unit"):
        options = {k: v for k, v in base.items() if k != missing}
        with pytest.raises(CardError, match=rf"^flux\.{missing}: required"):
            TabulatedFlux.from_options(options)
    with pytest.raises(CardError, match=r"^flux\.energy_unit: unknown value 'keV'"):
        TabulatedFlux.from_options({**base, "energy_unit": "keV"})
    with pytest.raises(CardError, match=r"^flux\.content_unit: unknown value"):
        TabulatedFlux.from_options({**base, "content_unit": "per_GeV"})
    with pytest.raises(CardError, match=r"^flux\.layout: unknown value 'centers'.*'centres'"):
        TabulatedFlux.from_options({**base, "layout": "centers"})
    with pytest.raises(CardError, match=r"^flux\.path: .* has 6 columns"):
        TabulatedFlux.from_options({**base, "columns": ["numu", "nue"]})
    with pytest.raises(CardError, match=r"^flux\.flavour: 'nue' is not among flux\.columns"):
        TabulatedFlux.from_options({**base, "columns": ["numu", "a", "b", "c"],
                                    "flavour": "nue"})


def test_tabulated_rejects_gaps_and_negative_flux(tmp_path):
    gap = write(tmp_path / "gap.dat", [[0.0, 1.0, 1.0], [1.5, 2.0, 1.0]])
    with pytest.raises(CardError, match=r"^flux\.path: bins .* contiguous"):
        TabulatedFlux.from_options({"path": str(gap), "columns": ["numu"], "energy_unit": "GeV",
                                    "content_unit": "per_cm2_per_pot_per_bin"})
    negative = write(tmp_path / "neg.dat", [[0.0, 1.0, 1.0], [1.0, 2.0, -1.0]])
    with pytest.raises(CardError, match=r"^flux\.path: .*negative"):
        TabulatedFlux.from_options({"path": str(negative), "columns": ["numu"],
                                    "energy_unit": "GeV",
                                    "content_unit": "per_cm2_per_pot_per_bin"})


@pytest.mark.parametrize(("text", "fragment"), [
    ("0 1 nan\n1 2 1\n", "non-finite"),
    ("0 1 inf\n", "non-finite"),
    ("0 1 1\n1 0.5 1\n", "contiguous and increasing"),
    ("hello world\n", "cannot read"),
])
def test_tabulated_rejects_malformed_tables(tmp_path, text, fragment):
    path = tmp_path / "bad.dat"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CardError, match=rf"^flux\.path: .*{fragment}"):
        TabulatedFlux.from_options({"path": str(path), "columns": ["numu"],
                                    "energy_unit": "GeV",
                                    "content_unit": "per_cm2_per_pot_per_bin"})


def test_tabulated_rejects_a_directory(tmp_path):
    with pytest.raises(CardError, match=r"^flux\.path: "):
        TabulatedFlux.from_options({"path": str(tmp_path), "columns": ["numu"],
                                    "energy_unit": "GeV",
                                    "content_unit": "per_cm2_per_pot_per_bin"})
