"""Convert DarkNews' Booster-beam fluxes at MicroBooNE and SBND into zpgen's shipped tables.

Source: the DarkNews generator's package data (MIT licence, see LICENSE.darknews next to
this file), GitHub repository mhostert/DarkNews-generator, commit
54d63a6b9c104bef184c2089286e36edb4b3eaa5 (2025-11-21), folder
``src/DarkNews/include/fluxes/``:

* ``MicroBooNE_BNB_flux.txt``: the MicroBooNE collaboration's BNB flux prediction averaged
  over the TPC active volume (DarkNews' header: "Based on MCC9_FluxHist_volTPCActive.root";
  MicroBooNE, 470 m from the target), 200 bins of 50 MeV from 0 to 10 GeV, columns
  ``Elo Ehi numu numubar nue nuebar`` in nu / cm^2 / POT / 50 MeV.  DarkNews' detector
  files ``microboone.txt`` and ``icarus.txt`` read the same numbers from
  ``MicroBooNE_BNB_fullflux.txt`` (bin centres; the script checks they are identical) with
  ``flux_norm = 1/0.05`` (per GeV) and, for ICARUS, ``x 47 * 47 / 60 / 60`` = (470/600)^2.
* ``sbnd_fhc.dat``: the SBND flux digitised by DarkNews from M. Del Tutto's talk for SBND
  at NuFACT 2022 (4 August 2022, https://indico.fnal.gov/event/53004/contributions/244480/;
  DarkNews' ``sbnd.txt``), re-sampled by DarkNews (``SBND_digitized/format_sbnd.ipynb``:
  linear interpolation of the digitised 50 MeV histogram, divided by 1e6 POT, 1e4 cm^2 per
  m^2 and 0.05 GeV) at 200 equally spaced energies from 0.05 to 3.0 GeV, columns
  ``E nue numu nutau nuebar numubar nutaubar`` in nu / cm^2 / POT / GeV.  DarkNews reads it
  with ``flux_norm = 1`` and interpolates linearly between the points (zero outside).

Conversion (the densities are never renormalised):

* MicroBooNE: the same 50 MeV bins; each content divided by 0.05 GeV (per GeV);
  ``sum(density * width)`` equals the sum of the source column exactly.
* SBND: one bin between each pair of neighbouring points, its density the mean of the two
  end values, i.e. the bin average of DarkNews' linear interpolation, so that the flux
  integrated over any whole number of bins is DarkNews' (the trapezoid rule over the
  points) and the spectrum covers exactly DarkNews' 0.05-3.0 GeV.

Output columns, as ``miniboone_bnb_numode.dat``: ``E_low_GeV E_high_GeV numu numubar nue
nuebar`` in nu / cm^2 / POT / GeV.

Usage (from a checkout of the DarkNews generator, or the two files in one folder)::

    python convert_darknews_sbn_fluxes.py PATH/DarkNews-generator/src/DarkNews/include/fluxes

Checks performed (the script refuses to write otherwise): 50 MeV contiguous bins from 0 to
10 GeV for MicroBooNE and, if present, identity with ``MicroBooNE_BNB_fullflux.txt``;
equally spaced SBND points from 0.05 to 3.0 GeV with zero tau columns; integrals printed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
COMMIT = "54d63a6b9c104bef184c2089286e36edb4b3eaa5"
REPOSITORY = "github.com/mhostert/DarkNews-generator"
FOLDER = "src/DarkNews/include/fluxes"
ZPGEN_COLUMNS = ("numu", "numubar", "nue", "nuebar")
#: DarkNews' column order in its bin-centre files (detector.py: doublet + 3 * antiparticle).
DARKNEWS_COLUMNS = ("nue", "numu", "nutau", "nuebar", "numubar", "nutaubar")
BIN_GEV = 0.050

MICROBOONE_HEADER = """\
zpgen shipped flux: Booster Neutrino Beam, neutrino mode, at MicroBooNE (470 m from the
target), averaged over the MicroBooNE TPC active volume.
Source: the MicroBooNE collaboration's flux prediction (MCC9_FluxHist_volTPCActive.root),
  as distributed with the DarkNews generator (MIT licence, see LICENSE.darknews):
  {repo} commit {commit},
  file {folder}/MicroBooNE_BNB_flux.txt (nu / cm^2 / POT / 50 MeV),
  A. M. Abdullahi, J. Hoefken Zink, M. Hostert, D. Massaro, S. Pascoli, arXiv:2207.04137.
  DarkNews' microboone.txt uses the same numbers (MicroBooNE_BNB_fullflux.txt) with
  flux_norm = 1/0.05; its icarus.txt scales them by (470/600)^2 for ICARUS at 600 m.
Converted by convert_darknews_sbn_fluxes.py: the same 50 MeV bins, contents divided by
  0.05 GeV; no renormalisation.
Units: energies in GeV; flux densities in neutrinos / cm^2 / POT / GeV, constant in each bin.
Integrated numu flux {numu_int:.5e} nu/cm^2/POT (the sum of the source column),
  mean numu energy {numu_mean:.4f} GeV.
Columns: E_low_GeV E_high_GeV numu numubar nue nuebar"""

SBND_HEADER = """\
zpgen shipped flux: Booster Neutrino Beam, neutrino mode, at SBND (110 m from the target).
Source: the SBND flux shown by M. Del Tutto for the SBND collaboration at NuFACT 2022
  (https://indico.fnal.gov/event/53004/contributions/244480/), digitised and re-sampled by
  the DarkNews generator (MIT licence, see LICENSE.darknews):
  {repo} commit {commit},
  file {folder}/sbnd_fhc.dat (200 points from 0.05 to 3.0 GeV, nu / cm^2 / POT / GeV),
  A. M. Abdullahi, J. Hoefken Zink, M. Hostert, D. Massaro, S. Pascoli, arXiv:2207.04137.
  DarkNews' sbnd.txt reads it with flux_norm = 1 and interpolates linearly (zero outside
  0.05-3.0 GeV: nothing above 3 GeV).
Converted by convert_darknews_sbn_fluxes.py: one bin between neighbouring points, density =
  mean of its two end values (the bin average of DarkNews' linear interpolation), so whole
  bins integrate exactly as DarkNews does; no renormalisation.
Units: energies in GeV; flux densities in neutrinos / cm^2 / POT / GeV, constant in each bin.
Integrated numu flux {numu_int:.5e} nu/cm^2/POT (DarkNews' trapezoid integral over its points),
  mean numu energy {numu_mean:.4f} GeV.
Columns: E_low_GeV E_high_GeV numu numubar nue nuebar"""


def convert_microboone(table: np.ndarray, fullflux: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(edges in GeV, densities (n, 4) per GeV) from ``MicroBooNE_BNB_flux.txt``."""
    if table.shape[1] != 6:
        raise ValueError(f"MicroBooNE_BNB_flux.txt: expected 6 columns, got {table.shape[1]}")
    lo, hi = table[:, 0], table[:, 1]
    if not (np.allclose(hi - lo, BIN_GEV, rtol=0, atol=1e-9)
            and np.allclose(lo[1:], hi[:-1], rtol=0, atol=1e-9) and lo[0] == 0.0):
        raise ValueError("MicroBooNE_BNB_flux.txt: bins are not contiguous 50 MeV from 0")
    if fullflux is not None:
        for i, name in enumerate(ZPGEN_COLUMNS):
            other = fullflux[:, 1 + DARKNEWS_COLUMNS.index(name)]
            if not np.array_equal(other, table[:, 2 + i]):
                raise ValueError(f"MicroBooNE_BNB_fullflux.txt differs in column {name}")
    edges = np.concatenate((lo, hi[-1:]))
    return edges, table[:, 2:6] / BIN_GEV


def convert_sbnd(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(edges in GeV, densities (n, 4) per GeV) from DarkNews' ``sbnd_fhc.dat``."""
    if table.shape[1] != len(DARKNEWS_COLUMNS) + 1:
        raise ValueError(f"sbnd_fhc.dat: expected 7 columns, got {table.shape[1]}")
    energy = table[:, 0]
    if not (np.allclose(np.diff(energy), np.diff(energy).mean(), rtol=1e-9, atol=0)
            and abs(energy[0] - 0.05) < 1e-12 and abs(energy[-1] - 3.0) < 1e-12):
        raise ValueError("sbnd_fhc.dat: points are not equally spaced from 0.05 to 3.0 GeV")
    for tau in ("nutau", "nutaubar"):
        if np.any(table[:, 1 + DARKNEWS_COLUMNS.index(tau)] != 0.0):
            raise ValueError(f"sbnd_fhc.dat: unexpected non-zero {tau} column")
    values = np.column_stack([table[:, 1 + DARKNEWS_COLUMNS.index(n)] for n in ZPGEN_COLUMNS])
    return energy, 0.5 * (values[1:] + values[:-1])


def _summary(edges: np.ndarray, density: np.ndarray) -> tuple[float, float]:
    widths = np.diff(edges)
    centres = 0.5 * (edges[1:] + edges[:-1])
    numu = density[:, 0] * widths
    return float(numu.sum()), float((numu * centres).sum() / numu.sum())


def write(path: Path, header: str, edges: np.ndarray, density: np.ndarray) -> None:
    """Write the table in zpgen's edges layout."""
    numu_int, numu_mean = _summary(edges, density)
    text = header.format(repo=REPOSITORY, commit=COMMIT, folder=FOLDER, numu_int=numu_int,
                         numu_mean=numu_mean)
    rows = np.column_stack((edges[:-1], edges[1:], density))
    np.savetxt(path, rows, fmt=["%.9g", "%.9g"] + ["%.9e"] * 4, header=text)
    print(f"wrote {path}: {len(rows)} bins; numu integral {numu_int:.6e} nu/cm^2/POT, "
          f"mean energy {numu_mean:.4f} GeV")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fluxes", type=Path,
                        help=f"DarkNews' {FOLDER} folder (or one holding the two files)")
    parser.add_argument("--output-dir", type=Path, default=HERE)
    args = parser.parse_args()
    micro = np.loadtxt(args.fluxes / "MicroBooNE_BNB_flux.txt", comments="#")
    full_path = args.fluxes / "MicroBooNE_BNB_fullflux.txt"
    full = np.loadtxt(full_path, comments="#") if full_path.exists() else None
    sbnd = np.loadtxt(args.fluxes / "sbnd_fhc.dat", comments="#")
    write(args.output_dir / "bnb_microboone_numode.dat", MICROBOONE_HEADER,
          *convert_microboone(micro, full))
    write(args.output_dir / "bnb_sbnd_numode.dat", SBND_HEADER, *convert_sbnd(sbnd))


if __name__ == "__main__":
    main()
