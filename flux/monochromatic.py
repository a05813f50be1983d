"""``monochromatic``: every neutrino has the same energy.

Card options (``[flux]`` table, ``name = "monochromatic"``)
----------------------------------------------------------
======== ============== ===============================================================
key      default        meaning
======== ============== ===============================================================
energy   (required)     neutrino energy E_0 in GeV, > 0
flux     1.0            integrated flux in nu / cm^2 / POT, > 0
flavour  ``"numu"``     ``numu``, ``numubar``, ``nue``, ``nuebar``
======== ============== ===============================================================

Representation
--------------
The spectrum is a delta function ``flux * delta(E - E_0)``.  To satisfy the
piecewise-constant Flux protocol it is stored as one narrow bin
``[E_0 (1 - 1e-9), E_0 (1 + 1e-9)]`` of density ``flux / width``, but the sampling and the
integrals treat it as exact:

- ``inverse_cdf(u)`` returns ``E_0`` for every ``u`` with jacobian ``width``, so that
  ``density_at(E_0) * jacobian = flux`` exactly: an event weight
  ``Phi(E) dE/du sigma(E)`` is ``flux * sigma(E_0)`` (PHYSICS.md, "Event rate");
- ``integral(e_min, e_max)`` is ``flux`` if ``e_min <= E_0 < e_max`` and 0 otherwise;
- above a threshold ``e_min > E_0`` there is no flux: jacobian 0.

A card that gives no ``flux`` gets 1 nu/cm^2/POT, i.e. rates per unit flux; the beam then
carries the caveat :data:`UNIT_FLUX_CAVEAT`, which ``zpgen generate``, ``zpgen rate`` and
the output's run document repeat.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from zpgen.options import OptionDoc, OptionReader, option_keys

from ._binned import FLAVOURS, MAX_ENERGY_GEV, BinnedFlux

__all__ = ["MonochromaticFlux"]

FloatArray = npt.NDArray[np.float64]

#: Relative half-width of the bin that stands for the delta function.
HALF_WIDTH = 1e-9
#: What a card without ``flux.flux`` is told (``caveats``: zpgen generate, rate and the
#: run document repeat it).
UNIT_FLUX_CAVEAT = ("flux.flux is not given: the monochromatic beam holds 1 nu/cm^2/POT, so "
                    "every rate and weight is per unit flux (multiply by the beam's integrated "
                    "flux in nu/cm^2/POT, e.g. --set flux.flux=5.2e-10 for the BNB's numu "
                    "total, or give it)")
#: Largest integrated flux accepted (nu / cm^2 / POT; beams give 1e-10 to 1e-8): above it
#: the density of the narrow bin would overflow.
MAX_FLUX = 1e100


class MonochromaticFlux(BinnedFlux):
    """A delta-function spectrum at ``energy`` GeV holding ``flux`` nu / cm^2 / POT.

    Parameters
    ----------
    energy
        E_0 in GeV (> 0).
    flux
        Integrated flux in nu / cm^2 / POT (> 0).
    flavour
        Neutrino flavour name.
    """

    name: ClassVar[str] = "monochromatic"
    OPTIONS: ClassVar[tuple[OptionDoc, ...]] = (
        OptionDoc("energy", "required", "neutrino energy E_0", unit="GeV", allowed="> 0"),
        OptionDoc("flux", "1.0 (then every rate is per unit flux: a warning says so)",
                  "integrated flux of the beam", unit="nu/cm^2/POT", allowed="> 0"),
        OptionDoc("flavour", "'numu'", "neutrino flavour of the beam",
                  allowed="numu | numubar | nue | nuebar"),
    )

    def __init__(self, energy: float, flux: float = 1.0, flavour: str = "numu") -> None:
        if not (np.isfinite(energy) and energy > 0.0):
            raise ValueError(f"energy must be > 0 GeV, got {energy!r}")
        if not (np.isfinite(flux) and flux > 0.0):
            raise ValueError(f"flux must be > 0 nu/cm^2/POT, got {flux!r}")
        edges = np.array([energy * (1.0 - HALF_WIDTH), energy * (1.0 + HALF_WIDTH)])
        width = float(edges[1] - edges[0])
        super().__init__(flavour, edges, [flux / width])
        self.energy = float(energy)
        self.flux = float(flux)
        self._width = width
        #: Warnings about the beam that every command prints (a missing normalisation).
        self.caveats: tuple[str, ...] = ()

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> MonochromaticFlux:
        """Build from the card's ``[flux]`` table (``CardError`` naming the field)."""
        reader = OptionReader("flux", options, option_keys(cls.OPTIONS))
        energy = reader.number("energy", unit="GeV", lo=0.0, lo_open=True,
                               hi=MAX_ENERGY_GEV / (1.0 + HALF_WIDTH))
        flux = reader.number("flux", 1.0, unit="nu/cm^2/POT", lo=0.0, lo_open=True,
                             hi=MAX_FLUX)
        flavour = reader.choice("flavour", tuple(FLAVOURS), "numu")
        beam = cls(energy, flux, flavour)
        if "flux" not in options:
            beam.caveats = (UNIT_FLUX_CAVEAT,)
        return beam

    def integral(self, e_min: float = 0.0, e_max: float = float("inf")) -> float:
        """``flux`` if ``e_min <= E_0 < e_max``, else 0 (delta-function semantics)."""
        return self.flux if e_min <= self.energy < e_max else 0.0

    def inverse_cdf(self, u: npt.ArrayLike, e_min: float = 0.0) -> tuple[FloatArray, FloatArray]:
        """``(E_0, width)`` for every ``u``; ``(e_min, 0)`` when ``e_min > E_0``."""
        shape = np.shape(u)
        if e_min > self.energy:
            return np.full(shape, float(e_min)), np.zeros(shape)
        return np.full(shape, self.energy), np.full(shape, self._width)

    def mean_energy(self, e_min: float = 0.0, e_max: float = float("inf")) -> float:
        """``E_0`` (GeV)."""
        if not e_min <= self.energy < e_max:
            raise ValueError(f"no flux between {e_min} and {e_max} GeV")
        return self.energy
