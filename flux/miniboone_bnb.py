"""``miniboone_bnb`` (the default flux): the MiniBooNE Booster Neutrino Beam, neutrino mode.

The table ``data/miniboone_bnb_numode.dat`` ships inside the package, so the default card
runs offline.  It is the MiniBooNE collaboration's flux prediction (Phys. Rev. D 79, 072002
(2009), arXiv:0806.1449), as distributed with DarkNews (Abdullahi et al., arXiv:2207.04137,
MIT licence, ``data/LICENSE.darknews``), converted by ``data/convert_darknews_flux.py``:
200 bins of 50 MeV from 0 to 10 GeV, columns ``E_low_GeV E_high_GeV numu numubar nue
nuebar`` in nu / cm^2 / POT / GeV.  Integrated numu flux 5.194e-10 nu/cm^2/POT, mean numu
energy 0.808 GeV (PHYSICS.md, "Event rate").

Card options (``[flux]`` table, ``name = "miniboone_bnb"``)
----------------------------------------------------------
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

from zpgen.options import OptionDoc, OptionReader, option_keys

from ._binned import FLAVOURS
from .tabulated import _FLAVOUR_DOC, DEFAULT_COLUMNS, TabulatedFlux, read_table

__all__ = ["CITATIONS", "TABLE", "MiniBooNEBNBFlux"]

#: File name of the shipped table inside zpgen.flux/data.
TABLE = "miniboone_bnb_numode.dat"
#: References to cite when using this flux.
CITATIONS = (
    "MiniBooNE collaboration, A. A. Aguilar-Arevalo et al., Phys. Rev. D 79, 072002 (2009), "
    "arXiv:0806.1449",
    "A. M. Abdullahi, J. Hoefken Zink, M. Hostert, D. Massaro, S. Pascoli, arXiv:2207.04137 "
    "(DarkNews, source of the table, MIT licence)",
)


def table_path() -> Path:
    """Path of the shipped flux table."""
    return Path(str(resources.files("zpgen.flux").joinpath("data", TABLE)))


class MiniBooNEBNBFlux(TabulatedFlux):
    """The MiniBooNE neutrino-mode BNB flux of one flavour (see the module docstring)."""

    name: ClassVar[str] = "miniboone_bnb"
    OPTIONS: ClassVar[tuple[OptionDoc, ...]] = (_FLAVOUR_DOC,)
    citations: ClassVar[tuple[str, ...]] = CITATIONS

    def __init__(self, flavour: str = "numu") -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour!r}; valid: {', '.join(FLAVOURS)}")
        path = table_path()
        edges, densities = read_table(path, "edges", DEFAULT_COLUMNS, "GeV",
                                      "per_cm2_per_pot_per_GeV")
        super().__init__(flavour, edges, densities[flavour], source=str(path))

    def data_files(self) -> dict[str, str]:
        """The shipped table (fingerprinted by :mod:`zpgen.fingerprints`)."""
        return {"table": self.source}

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> MiniBooNEBNBFlux:
        """Build from the card's ``[flux]`` table (``CardError`` naming the field)."""
        reader = OptionReader("flux", options, option_keys(cls.OPTIONS))
        return cls(reader.choice("flavour", tuple(FLAVOURS), "numu"))
