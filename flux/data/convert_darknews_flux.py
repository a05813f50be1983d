"""Convert DarkNews' MiniBooNE neutrino- and antineutrino-mode fluxes into zpgen's tables.

Source: the ``darknews`` distribution on PyPI (version 0.4.8, MIT licence, see
LICENSE.darknews next to this file), file ``src/DarkNews/include/fluxes/MiniBooNE_FHC.dat``
inside the sdist.  That file is the MiniBooNE collaboration's flux (Phys. Rev. D 79, 072002
(2009), arXiv:0806.1449, "april07_baseline_rgen610.6") re-expressed by DarkNews as

    E_centre[GeV]  nue  numu  nutau  nuebar  numubar  nutaubar     in nu / cm^2 / POT / GeV

(header ``# nus/cm^2/POT/GeV``; DarkNews' detector.py reads the columns in this order,
flavour index = doublet + 3 * antiparticle, with flux_norm = 1).  The rows are the centres
of 200 bins of 50 MeV from 0 to 10 GeV, and each value is the official per-50-MeV content
divided by 0.05 GeV.  We rebuild the 50 MeV bin edges from the centres and write

    E_low_GeV  E_high_GeV  numu  numubar  nue  nuebar                in nu / cm^2 / POT / GeV

Usage::

    pip download --no-deps --no-binary :all: darknews==0.4.8 -d /tmp/dn   # or fetch the sdist
    python convert_darknews_flux.py /tmp/dn/darknews-0.4.8.tar.gz

The antineutrino-mode (horn reversed) flux is DarkNews's ``MiniBooNE_RHC.dat`` (same layout;
MiniBooNE's "december2007_horn-174ka_rgen610.6" prediction, PRD 79 072002), taken from the
DarkNews-generator repository at commit 54d63a6b9c104bef184c2089286e36edb4b3eaa5 (version
0.4.9; the file was last changed in commit 0ca6755, "fix miniboone_rhc flux")::

    git show 54d63a6:src/DarkNews/include/fluxes/MiniBooNE_RHC.dat > MiniBooNE_RHC.dat
    python convert_darknews_flux.py MiniBooNE_RHC.dat --mode antineutrino --version 0.4.9

Both tables equal MiniBooNE's own per-50-MeV release divided by 0.05 GeV to the last digit
(checked against ``$ZPGEN_MINIBOONE_DATA/flux/MiniBooNE_{nu,nubar}_mode_flux.dat`` by
``tests/flux/test_flux.py``).

Checks performed (the script refuses to write otherwise): the centres are equally spaced by
50 MeV starting at 25 MeV, the tau columns are zero, and the numu integral and mean energy
are printed for comparison with PRD 79 072002 (5.19e-10 nu/cm^2/POT, 0.81 GeV).
"""

from __future__ import annotations

import argparse
import io
import tarfile
from pathlib import Path

import numpy as np

MEMBER = "src/DarkNews/include/fluxes/MiniBooNE_FHC.dat"
OUTPUT = Path(__file__).with_name("miniboone_bnb_numode.dat")
#: Horn mode -> (DarkNews member, output table, MiniBooNE flux file, beam description)
MODES = {
    "neutrino": (MEMBER, OUTPUT, "april07_baseline_rgen610.6",
                 "neutrino mode (horn focusing nu)"),
    "antineutrino": ("src/DarkNews/include/fluxes/MiniBooNE_RHC.dat",
                     Path(__file__).with_name("miniboone_bnb_nubarmode.dat"),
                     "december2007_horn-174ka_rgen610.6",
                     "antineutrino mode (horn reversed, focusing nubar)"),
}
DARKNEWS_COLUMNS = ("nue", "numu", "nutau", "nuebar", "numubar", "nutaubar")
ZPGEN_COLUMNS = ("numu", "numubar", "nue", "nuebar")
BIN_WIDTH_GEV = 0.050

HEADER = """\
zpgen shipped flux: MiniBooNE Booster Neutrino Beam, {beam}, at the
MiniBooNE detector (541 m), flux averaged over the 610.6 cm radius tank.
Source: MiniBooNE collaboration, A. A. Aguilar-Arevalo et al., "The Neutrino Flux Prediction
  at MiniBooNE", Phys. Rev. D 79, 072002 (2009), arXiv:0806.1449
  ({release}).
Numbers taken from the DarkNews generator, {origin}, file
  {member}
  (MIT licence, see LICENSE.darknews): A. M. Abdullahi, J. Hoefken Zink,
  M. Hostert, D. Massaro, S. Pascoli, "DarkNews: a Python-based event generator for heavy
  neutral lepton production in neutrino-nucleus scattering", arXiv:2207.04137.
Converted by convert_darknews_flux.py: DarkNews gives bin centres and per-GeV densities;
  the 50 MeV bin edges are rebuilt from the centres, densities are unchanged.
Units: energies in GeV; flux densities in neutrinos / cm^2 / POT / GeV, constant in each bin.
Integrated {main} flux {main_int:.5e} nu/cm^2/POT, mean {main} energy {main_mean:.4f} GeV.
Columns: E_low_GeV E_high_GeV numu numubar nue nuebar"""


def read_darknews(sdist: Path, member: str = MEMBER) -> np.ndarray:
    """The DarkNews table (rows x 7 columns), read from the sdist or an extracted file."""
    if sdist.suffix == ".dat":
        return np.loadtxt(sdist, comments="#")
    with tarfile.open(sdist) as tar:
        found = next(m for m in tar.getmembers() if m.name.endswith(member))
        handle = tar.extractfile(found)
        if handle is None:
            raise FileNotFoundError(member)
        return np.loadtxt(io.StringIO(handle.read().decode()), comments="#")


def convert(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(edges in GeV, densities (n, 4) in zpgen column order) from the DarkNews table."""
    if table.shape[1] != len(DARKNEWS_COLUMNS) + 1:
        raise ValueError(f"expected {len(DARKNEWS_COLUMNS) + 1} columns, got {table.shape[1]}")
    centres = table[:, 0]
    expected = BIN_WIDTH_GEV * (np.arange(centres.size) + 0.5)
    if not np.allclose(centres, expected, rtol=0.0, atol=1e-9):
        raise ValueError("DarkNews bin centres are not 25, 75, 125 ... MeV")
    for tau in ("nutau", "nutaubar"):
        if np.any(table[:, 1 + DARKNEWS_COLUMNS.index(tau)] != 0.0):
            raise ValueError(f"unexpected non-zero {tau} column")
    edges = BIN_WIDTH_GEV * np.arange(centres.size + 1)
    columns = [table[:, 1 + DARKNEWS_COLUMNS.index(name)] for name in ZPGEN_COLUMNS]
    return edges, np.column_stack(columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sdist", type=Path, help="darknews-<version>.tar.gz or MiniBooNE_FHC.dat "
                        "(MiniBooNE_RHC.dat with --mode antineutrino)")
    parser.add_argument("--mode", choices=tuple(MODES), default="neutrino")
    parser.add_argument("--version", default="0.4.8", help="darknews version (for the header)")
    parser.add_argument("--origin", default=None,
                        help="where the file came from (header); default: the PyPI sdist")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    member, output, release, beam = MODES[args.mode]
    edges, density = convert(read_darknews(args.sdist, member))
    widths = np.diff(edges)
    centres = 0.5 * (edges[1:] + edges[:-1])
    main_flavour = "numu" if args.mode == "neutrino" else "numubar"
    flux = density[:, ZPGEN_COLUMNS.index(main_flavour)]
    main_int = float(np.sum(flux * widths))
    main_mean = float(np.sum(flux * widths * centres) / main_int)
    origin = args.origin or f"PyPI distribution darknews {args.version}"
    header = HEADER.format(origin=origin, member=member, main=main_flavour, main_int=main_int,
                           main_mean=main_mean, beam=beam, release=release)
    rows = np.column_stack((edges[:-1], edges[1:], density))
    target = args.output or output
    np.savetxt(target, rows, fmt=["%.3f", "%.3f"] + ["%.6e"] * 4, header=header)
    print(f"wrote {target}: {len(rows)} bins; {main_flavour} integral {main_int:.5e} "
          f"nu/cm^2/POT, mean energy {main_mean:.4f} GeV")


if __name__ == "__main__":
    main()
