"""``miniboone_bnb`` (the default flux): the MiniBooNE Booster Neutrino Beam, neutrino or
antineutrino mode.

The tables ``data/miniboone_bnb_numode.dat`` (neutrino mode, horn focusing nu; MiniBooNE's
"april07_baseline_rgen610.6") and ``data/miniboone_bnb_nubarmode.dat`` (antineutrino mode,
horn reversed; "december2007_horn-174ka_rgen610.6") ship inside the package, so the cards
run offline.  They are the MiniBooNE collaboration's flux predictions (Phys. Rev. D 79,
072002 (2009), arXiv:0806.1449), as distributed with DarkNews (Abdullahi et al.,
arXiv:2207.04137, MIT licence, ``data/LICENSE.darknews``), converted by
``data/convert_darknews_flux.py``: 200 bins of 50 MeV from 0 to 10 GeV, columns
``E_low_GeV E_high_GeV numu numubar nue nuebar`` in nu / cm^2 / POT / GeV.  Neutrino mode:
integrated numu flux 5.194e-10 nu/cm^2/POT, mean numu energy 0.808 GeV (PHYSICS.md, "Event
rate"); its numubar column is the wrong-sign contamination (5.0e-11, 10 % of the beam).
Antineutrino mode: numubar 2.928e-10 nu/cm^2/POT, mean energy 0.664 GeV; numu (the
wrong-sign part) 5.42e-11.  MiniBooNE's antineutrino-mode exposure was 11.27e20 POT
(Phys. Rev. Lett. 121, 221801 (2018)): set ``detector.pot`` for it.

Card options (``[flux]`` table, ``name = "miniboone_bnb"``)
----------------------------------------------------------
======== ==================== ========================================================
key      default              meaning
======== ==================== ========================================================
mode     ``"neutrino"``       horn polarity: ``neutrino`` or ``antineutrino``
flavour  the mode's beam      ``numu``, ``numubar``, ``nue``, ``nuebar`` (default
                              ``numu`` in neutrino mode, ``numubar`` in antineutrino mode)
======== ==================== ========================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from zpgen.options import OptionDoc, OptionReader, option_keys

from ._binned import FLAVOURS
from .tabulated import DEFAULT_COLUMNS, TabulatedFlux, read_table

__all__ = ["CITATIONS", "MODES", "TABLE", "MiniBooNEBNBFlux"]

#: File name of the shipped neutrino-mode table inside zpgen.flux/data.
TABLE = "miniboone_bnb_numode.dat"
#: Horn mode -> (table inside zpgen.flux/data, the flavour the horn focuses).
MODES: dict[str, tuple[str, str]] = {
    "neutrino": (TABLE, "numu"),
    "antineutrino": ("miniboone_bnb_nubarmode.dat", "numubar"),
}
_MODE_DOC = OptionDoc("mode", "'neutrino'", "horn polarity of the Booster Neutrino Beam "
                      "(antineutrino: MiniBooNE's reversed-horn flux)",
                      allowed="neutrino | antineutrino")
_FLAVOUR_DOC_BNB = OptionDoc("flavour", "'numu' ('numubar' in antineutrino mode)",
                             "neutrino flavour of the beam", allowed="numu | numubar | nue | "
                             "nuebar")
#: References to cite when using this flux.
CITATIONS = (
    "MiniBooNE collaboration, A. A. Aguilar-Arevalo et al., Phys. Rev. D 79, 072002 (2009), "
    "arXiv:0806.1449",
    "A. M. Abdullahi, J. Hoefken Zink, M. Hostert, D. Massaro, S. Pascoli, arXiv:2207.04137 "
    "(DarkNews, source of the table, MIT licence)",
)


def table_path(mode: str = "neutrino") -> Path:
    """Path of the shipped flux table of a horn mode."""
    return Path(str(resources.files("zpgen.flux").joinpath("data", MODES[mode][0])))


class MiniBooNEBNBFlux(TabulatedFlux):
    """The MiniBooNE BNB flux of one flavour in one horn mode (see the module docstring)."""

    name: ClassVar[str] = "miniboone_bnb"
    OPTIONS: ClassVar[tuple[OptionDoc, ...]] = (_MODE_DOC, _FLAVOUR_DOC_BNB)
    citations: ClassVar[tuple[str, ...]] = CITATIONS

    def __init__(self, flavour: str | None = None, mode: str = "neutrino") -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; valid: {', '.join(MODES)}")
        flavour = MODES[mode][1] if flavour is None else flavour
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour!r}; valid: {', '.join(FLAVOURS)}")
        path = table_path(mode)
        edges, densities = read_table(path, "edges", DEFAULT_COLUMNS, "GeV",
                                      "per_cm2_per_pot_per_GeV")
        super().__init__(flavour, edges, densities[flavour], source=str(path))
        #: Horn polarity (``neutrino`` or ``antineutrino``).
        self.mode = mode

    def data_files(self) -> dict[str, str]:
        """The shipped table (fingerprinted by :mod:`zpgen.fingerprints`)."""
        return {"table": self.source}

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> MiniBooNEBNBFlux:
        """Build from the card's ``[flux]`` table (``CardError`` naming the field)."""
        reader = OptionReader("flux", options, option_keys(cls.OPTIONS))
        mode = reader.choice("mode", tuple(MODES), "neutrino")
        return cls(reader.choice("flavour", tuple(FLAVOURS), MODES[mode][1]), mode)
