"""``bnb_microboone``, ``bnb_sbnd``, ``bnb_icarus``: the Booster Neutrino Beam (neutrino mode)
at the three detectors of Fermilab's Short-Baseline Neutrino program.

The tables ship inside the package (``data/``), converted from the DarkNews generator's
package data (MIT licence, ``data/LICENSE.darknews``) by
``data/convert_darknews_sbn_fluxes.py``, whose docstring and the tables' headers give the
provenance.  Columns ``E_low_GeV E_high_GeV numu numubar nue nuebar`` in
nu / cm^2 / POT / GeV, as the ``miniboone_bnb`` table.

* ``bnb_microboone`` (470 m from the target): ``bnb_microboone_numode.dat``,
  MicroBooNE's prediction averaged over its TPC active volume
  (MCC9_FluxHist_volTPCActive), 0-10 GeV; numu 7.376e-10 nu/cm^2/POT, mean 0.823 GeV.
* ``bnb_sbnd`` (110 m): ``bnb_sbnd_numode.dat``, SBND's flux (NuFACT 2022) as digitised by
  DarkNews, 0.05-3.0 GeV only; numu 1.549e-8 nu/cm^2/POT, mean 0.727 GeV.
* ``bnb_icarus`` (600 m): the MicroBooNE table x (470/600)^2 = 0.6136, as DarkNews'
  ``icarus.txt``; numu 4.526e-10 nu/cm^2/POT, mean 0.823 GeV.

Every number is DarkNews' own: the integrals equal those of the source files (the MicroBooNE
sum of contents; the SBND trapezoid over DarkNews' points, the integral of DarkNews' linear
interpolation), checked in ``tests/flux/test_bnb_sbn.py`` and ``validation/sbn/``.  The
ICARUS spectrum is a point-source 1/L^2 scaling of MicroBooNE's, not an ICARUS flux
prediction; the SBND one stops at 3 GeV (the digitised figure's range).  Neither is the
collaborations' released flux with its uncertainties: ``validation/sbn/`` compares them
with the MiniBooNE flux scaled by 1/L^2 (``validation/README.md``, section "SBN").

Card options (``[flux]`` table, ``name = "bnb_microboone"`` etc.)
----------------------------------------------------------------
======== ============ =====================================================
key      default      meaning
======== ============ =====================================================
flavour  ``"numu"``   ``numu``, ``numubar``, ``nue``, ``nuebar``
======== ============ =====================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from zpgen.options import OptionDoc, OptionReader, option_keys

from ._binned import FLAVOURS
from .tabulated import _FLAVOUR_DOC, DEFAULT_COLUMNS, TabulatedFlux, read_table

__all__ = ["BNBFlux", "BNBICARUSFlux", "BNBMicroBooNEFlux", "BNBSBNDFlux", "table_path"]

DARKNEWS = ("A. M. Abdullahi, J. Hoefken Zink, M. Hostert, D. Massaro, S. Pascoli, "
            "arXiv:2207.04137 (DarkNews, source of the table, MIT licence)")
SBN_PROPOSAL = ("SBN proposal, R. Acciarri et al., arXiv:1503.01520 (detector distances from "
                "the BNB target: SBND 110 m, MicroBooNE 470 m, ICARUS 600 m)")
#: ICARUS / MicroBooNE flux ratio DarkNews uses (icarus.txt: flux_norm x 47*47/60/60).
ICARUS_SCALE = (470.0 / 600.0) ** 2


def table_path(name: str) -> Path:
    """Path of a shipped flux table (``zpgen.flux/data/<name>``)."""
    return Path(str(resources.files("zpgen.flux").joinpath("data", name)))


class BNBFlux(TabulatedFlux):
    """A shipped Booster-beam table at one detector, optionally scaled (module docstring).

    Class attributes: ``TABLE`` (file in ``data/``), ``SCALE`` (factor on every density,
    1 unless the spectrum is scaled from another baseline), ``baseline_m`` (distance of
    the detector from the BNB target) and ``citations``.
    """

    name: ClassVar[str] = "bnb"
    TABLE: ClassVar[str] = ""
    SCALE: ClassVar[float] = 1.0
    baseline_m: ClassVar[float] = 0.0
    OPTIONS: ClassVar[tuple[OptionDoc, ...]] = (_FLAVOUR_DOC,)
    citations: ClassVar[tuple[str, ...]] = ()

    def __init__(self, flavour: str = "numu") -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour!r}; valid: {', '.join(FLAVOURS)}")
        path = table_path(self.TABLE)
        edges, densities = read_table(path, "edges", DEFAULT_COLUMNS, "GeV",
                                      "per_cm2_per_pot_per_GeV")
        super().__init__(flavour, edges, np.asarray(densities[flavour]) * self.SCALE,
                         source=str(path))

    def data_files(self) -> dict[str, str]:
        """The shipped table (fingerprinted by :mod:`zpgen.fingerprints`)."""
        return {"table": self.source}

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> BNBFlux:
        """Build from the card's ``[flux]`` table (``CardError`` naming the field)."""
        reader = OptionReader("flux", options, option_keys(cls.OPTIONS))
        return cls(reader.choice("flavour", tuple(FLAVOURS), "numu"))


class BNBMicroBooNEFlux(BNBFlux):
    """The BNB at MicroBooNE (470 m): MicroBooNE's prediction over its TPC active volume."""

    name: ClassVar[str] = "bnb_microboone"
    TABLE: ClassVar[str] = "bnb_microboone_numode.dat"
    baseline_m: ClassVar[float] = 470.0
    citations: ClassVar[tuple[str, ...]] = (
        "MicroBooNE collaboration, BNB flux prediction MCC9_FluxHist_volTPCActive "
        "(built on the MiniBooNE beam simulation, Phys. Rev. D 79, 072002 (2009))",
        DARKNEWS, SBN_PROPOSAL)


class BNBSBNDFlux(BNBFlux):
    """The BNB at SBND (110 m): SBND's NuFACT 2022 flux as digitised by DarkNews (0.05-3 GeV)."""

    name: ClassVar[str] = "bnb_sbnd"
    TABLE: ClassVar[str] = "bnb_sbnd_numode.dat"
    baseline_m: ClassVar[float] = 110.0
    citations: ClassVar[tuple[str, ...]] = (
        "M. Del Tutto for the SBND collaboration, NuFACT 2022, "
        "https://indico.fnal.gov/event/53004/contributions/244480/ (digitised by DarkNews)",
        DARKNEWS, SBN_PROPOSAL)


class BNBICARUSFlux(BNBFlux):
    """The BNB at ICARUS (600 m): MicroBooNE's table x (470/600)^2, as DarkNews does."""

    name: ClassVar[str] = "bnb_icarus"
    TABLE: ClassVar[str] = "bnb_microboone_numode.dat"
    SCALE: ClassVar[float] = ICARUS_SCALE
    baseline_m: ClassVar[float] = 600.0
    citations: ClassVar[tuple[str, ...]] = (
        "MicroBooNE's BNB flux prediction scaled by (470 m / 600 m)^2 as in DarkNews' "
        "icarus.txt", DARKNEWS, SBN_PROPOSAL)
