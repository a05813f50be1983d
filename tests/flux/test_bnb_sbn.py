"""The Booster-beam fluxes at MicroBooNE, SBND and ICARUS (``flux/bnb_sbn.py``).

References are the DarkNews source files (github.com/mhostert/DarkNews-generator, commit
54d63a6, ``src/DarkNews/include/fluxes/``): a few of their rows typed in here and their
integrals computed from them with numpy (the sum of MicroBooNE_BNB_flux.txt's per-50-MeV
column; the trapezoid rule over sbnd_fhc.dat's points, which is the integral of DarkNews'
linear interpolation).  With ``$DARKNEWS_FLUXES`` pointing at that folder the whole tables
are compared too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from zpgen.flux.bnb_sbn import BNBICARUSFlux, BNBMicroBooNEFlux, BNBSBNDFlux
from zpgen.flux.miniboone_bnb import MiniBooNEBNBFlux

from zpgen.card import CardError, parse_card
from zpgen.fingerprints import collect
from zpgen.registry import Flux, load_plugin

FLAVOURS = ("numu", "numubar", "nue", "nuebar")
#: Sums of MicroBooNE_BNB_flux.txt's columns (nu/cm^2/POT, 50 MeV bins).
MICROBOONE_SUMS = {"numu": 7.376229616476701e-10, "numubar": 4.558916429838999e-11,
                   "nue": 3.97791294434e-12, "nuebar": 4.0254798472000003e-13}
#: Trapezoid integrals over sbnd_fhc.dat's 200 points (nu/cm^2/POT).
SBND_TRAPZ = {"numu": 1.549239910611329e-08, "numubar": 9.918093938559277e-10,
              "nue": 9.275519250208169e-11, "nuebar": 8.70978304048755e-12}
DARKNEWS_COLUMNS = ("nue", "numu", "nutau", "nuebar", "numubar", "nutaubar")


@pytest.mark.parametrize("cls", [BNBMicroBooNEFlux, BNBSBNDFlux, BNBICARUSFlux])
def test_plugins_are_fluxes_with_their_table(cls):
    flux = load_plugin("flux", cls.name).from_options({"name": cls.name})
    assert isinstance(flux, cls) and isinstance(flux, Flux)
    assert flux.flavour == "numu" and flux.pdg == 14
    files = flux.data_files()
    assert Path(files["table"]).is_file()
    assert Path(files["table"]).parent.name == "data"
    card = parse_card(None, [f"flux.name={cls.name}"])
    prints = collect(card, {"flux": flux})  # the table is fingerprinted in every output
    assert prints["flux.table"]["path"] == str(Path(files["table"]).absolute())


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_microboone_integral_is_the_sum_of_the_source_column(flavour):
    flux = BNBMicroBooNEFlux(flavour)
    assert flux.integral() == pytest.approx(MICROBOONE_SUMS[flavour], rel=1e-8)
    assert flux.edges[0] == 0.0 and flux.edges[-1] == pytest.approx(10.0)
    assert np.allclose(np.diff(flux.edges), 0.05)


def test_microboone_rows_are_the_source_rows_per_gev():
    flux = BNBMicroBooNEFlux("numu")
    # MicroBooNE_BNB_flux.txt rows "0.2 0.25 2.29008e-11 ..." and "0.5 0.55 3.16232e-11 ..."
    assert flux.density_at(0.225) == pytest.approx(2.29008e-11 / 0.05, rel=1e-9)
    assert flux.density_at(0.525) == pytest.approx(3.16232e-11 / 0.05, rel=1e-9)
    assert BNBMicroBooNEFlux("nuebar").density_at(0.525) == pytest.approx(1.55192e-14 / 0.05,
                                                                          rel=1e-9)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_sbnd_integral_is_darknews_linear_interpolation(flavour):
    flux = BNBSBNDFlux(flavour)
    assert flux.integral() == pytest.approx(SBND_TRAPZ[flavour], rel=1e-8)
    assert flux.energy_range == pytest.approx((0.05, 3.0))


def test_sbnd_bins_average_the_neighbouring_points():
    # sbnd_fhc.dat: numu 3.575581982e-09 at 0.05 GeV and 4.824084493e-09 at 0.06482 GeV
    flux = BNBSBNDFlux("numu")
    assert flux.density[0] == pytest.approx(0.5 * (3.575581982434861e-09
                                                   + 4.824084493336510e-09), rel=1e-8)
    # the 101st point, 1.532412 GeV: 1.96356066e-09; the bins on either side average it
    # with its neighbours, so the density is continuous there to the slope x half a bin
    k = 100
    assert flux.edges[k] == pytest.approx(1.53241206, rel=1e-8)
    assert 0.5 * (flux.density[k - 1] + flux.density[k]) == pytest.approx(1.96356066e-09,
                                                                           rel=0.02)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_icarus_is_microboone_scaled_by_the_baseline_ratio(flavour):
    icarus, micro = BNBICARUSFlux(flavour), BNBMicroBooNEFlux(flavour)
    assert np.array_equal(icarus.edges, micro.edges)
    assert np.allclose(icarus.density, micro.density * (470.0 / 600.0) ** 2, rtol=1e-15,
                       atol=0.0)
    # DarkNews' icarus.txt: flux_norm = 1/0.05 * 47 * 47 / 60 / 60 on the per-50-MeV file
    assert icarus.integral() == pytest.approx(MICROBOONE_SUMS[flavour] * 47 * 47 / 60 / 60,
                                              rel=1e-8)


def test_baselines_and_inverse_square_sanity_against_miniboone():
    """Scaled by 1/L^2 from MiniBooNE's 541 m, the MiniBooNE flux is within 7 % of
    MicroBooNE's (the MicroBooNE prediction is for its smaller, on-axis TPC) and 19 % below
    SBND's, where the 50 m decay pipe makes the source far from point-like."""
    mb = MiniBooNEBNBFlux("numu").integral()
    assert (BNBMicroBooNEFlux.baseline_m, BNBSBNDFlux.baseline_m,
            BNBICARUSFlux.baseline_m) == (470.0, 110.0, 600.0)
    ratio_micro = BNBMicroBooNEFlux("numu").integral() / (mb * (541.0 / 470.0) ** 2)
    ratio_sbnd = BNBSBNDFlux("numu").integral() / (mb * (541.0 / 110.0) ** 2)
    ratio_icarus = BNBICARUSFlux("numu").integral() / (mb * (541.0 / 600.0) ** 2)
    assert ratio_micro == pytest.approx(1.072, abs=0.002)
    assert ratio_icarus == pytest.approx(ratio_micro, rel=1e-12)
    assert ratio_sbnd == pytest.approx(1.233, abs=0.002)


@pytest.mark.parametrize("name,table", [("bnb_microboone", "bnb_microboone_numode.dat"),
                                        ("bnb_sbnd", "bnb_sbnd_numode.dat")])
def test_table_headers_state_provenance_and_their_integral(name, table):
    flux = load_plugin("flux", name)("numu")
    header = Path(flux.source).read_text(encoding="utf-8")
    assert Path(flux.source).name == table
    assert "DarkNews" in header and "54d63a6b9c104bef184c2089286e36edb4b3eaa5" in header
    assert "LICENSE.darknews" in header
    stated = float(re.search(r"Integrated numu flux ([0-9.e+-]+)", header).group(1))
    assert flux.integral() == pytest.approx(stated, rel=1e-5)
    licence = (Path(flux.source).parent / "LICENSE.darknews").read_text(encoding="utf-8")
    assert table in licence and "MIT License" in licence


@pytest.mark.parametrize("name", ["bnb_microboone", "bnb_sbnd", "bnb_icarus"])
@pytest.mark.parametrize("options,field,message", [
    ({"flavour": "nutau"}, "flux.flavour", "valid: numu, numubar, nue, nuebar"),
    ({"flavor": "numu"}, "flux.flavor", "did you mean 'flavour'"),
])
def test_bad_options_are_refused_naming_the_field(name, options, field, message):
    with pytest.raises(CardError, match=re.escape(field)) as err:
        load_plugin("flux", name).from_options({"name": name, **options})
    assert message in str(err.value)


@pytest.mark.skipif(not os.environ.get("DARKNEWS_FLUXES"),
                    reason="set DARKNEWS_FLUXES to DarkNews' src/DarkNews/include/fluxes "
                           "folder to compare the whole tables")
def test_whole_tables_against_the_darknews_files():
    folder = Path(os.environ["DARKNEWS_FLUXES"])
    micro = np.loadtxt(folder / "MicroBooNE_BNB_flux.txt", comments="#")
    for i, flavour in enumerate(FLAVOURS):
        assert np.allclose(BNBMicroBooNEFlux(flavour).density, micro[:, 2 + i] / 0.05,
                           rtol=1e-9, atol=0.0)
    sbnd = np.loadtxt(folder / "sbnd_fhc.dat", comments="#")
    for flavour in FLAVOURS:
        values = sbnd[:, 1 + DARKNEWS_COLUMNS.index(flavour)]
        flux = BNBSBNDFlux(flavour)
        assert np.allclose(flux.edges, sbnd[:, 0], rtol=1e-8)
        assert np.allclose(flux.density, 0.5 * (values[1:] + values[:-1]), rtol=1e-8,
                           atol=1e-30)
