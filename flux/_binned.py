"""Piecewise-constant neutrino spectra: the common machinery of all flux plugins.

A flux is a histogram: bin edges in GeV and a density in nu / cm^2 / POT / GeV that is
constant inside each bin (PHYSICS.md, "Event rate": Phi in nu / cm^2 / POT / GeV).  From it
follow exactly

- the integral between any two energies (the cumulative flux is piecewise linear),
- the inverse of the normalised cumulative flux above a threshold ``e_min``, used as the
  first sampling dimension: ``E_nu(u)`` with ``u`` uniform in [0, 1) is distributed as the
  flux above ``e_min``, and ``dE/du = Phi(>e_min) / Phi(E_nu)``, so that
  ``Phi(E_nu(u)) * dE/du = Phi(>e_min)`` for every ``u``.

No renormalisation happens anywhere: ``sum(density * width)`` is the integrated flux.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt

__all__ = ["FLAVOURS", "MAX_ENERGY_GEV", "BinnedFlux"]

FloatArray = npt.NDArray[np.float64]

#: Flavour names accepted everywhere, and their PDG ids.
FLAVOURS: dict[str, int] = {"numu": 14, "numubar": -14, "nue": 12, "nuebar": -12}
#: Highest neutrino energy of a flux (GeV): the cross sections are the coherent and elastic
#: ones of PHYSICS.md, meant for accelerator beams of a few GeV.
MAX_ENERGY_GEV = 100.0


class BinnedFlux:
    """A piecewise-constant spectrum of one neutrino flavour.

    Parameters
    ----------
    flavour
        One of ``numu``, ``numubar``, ``nue``, ``nuebar``.
    edges
        Bin edges in GeV, strictly increasing, shape ``(n+1,)``, ``edges[0] >= 0``.
    density
        Flux density in nu / cm^2 / POT / GeV, shape ``(n,)``, finite, non-negative, with a
        positive total.

    Notes
    -----
    Energies outside ``[edges[0], edges[-1]]`` have zero flux.
    """

    name: ClassVar[str] = "binned"

    def __init__(self, flavour: str, edges: npt.ArrayLike, density: npt.ArrayLike) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour!r}; valid: {', '.join(FLAVOURS)}")
        edges_arr = np.array(edges, dtype=np.float64)
        density_arr = np.array(density, dtype=np.float64)
        if edges_arr.ndim != 1 or edges_arr.size < 2:
            raise ValueError("edges must be a 1-d array with at least two entries")
        if density_arr.shape != (edges_arr.size - 1,):
            raise ValueError(f"density has shape {density_arr.shape}, expected "
                             f"({edges_arr.size - 1},) for {edges_arr.size} edges")
        if not np.all(np.isfinite(edges_arr)) or np.any(np.diff(edges_arr) <= 0.0):
            raise ValueError("edges must be finite and strictly increasing")
        if edges_arr[0] < 0.0:
            raise ValueError(f"edges must be >= 0 GeV, got {edges_arr[0]}")
        if edges_arr[-1] > MAX_ENERGY_GEV:
            raise ValueError(f"energies must be <= {MAX_ENERGY_GEV:g} GeV (zpgen's validity "
                             f"range), got {edges_arr[-1]:g} GeV")
        if not np.all(np.isfinite(density_arr)) or np.any(density_arr < 0.0):
            raise ValueError("density must be finite and non-negative")
        contents = density_arr * np.diff(edges_arr)
        if not np.isfinite(contents.sum()):
            raise ValueError("the integrated flux overflows (not a finite number)")
        if not contents.sum() > 0.0:
            raise ValueError("the flux is zero everywhere")
        self.flavour: str = flavour
        self.pdg: int = FLAVOURS[flavour]
        self.edges: FloatArray = edges_arr
        self.density: FloatArray = density_arr
        self.edges.setflags(write=False)
        self.density.setflags(write=False)
        #: Cumulative flux at each edge, nu / cm^2 / POT, shape (n+1,).
        self._cumulative = np.concatenate(([0.0], np.cumsum(contents)))
        positive = np.flatnonzero(density_arr > 0.0)
        self._first_bin = int(positive[0])
        self._last_bin = int(positive[-1])

    # ------------------------------------------------------------------ basic views
    @property
    def contents(self) -> FloatArray:
        """Flux per bin, nu / cm^2 / POT, shape ``(n,)``."""
        return self.density * np.diff(self.edges)

    @property
    def energy_range(self) -> tuple[float, float]:
        """``(edges[0], edges[-1])`` in GeV."""
        return float(self.edges[0]), float(self.edges[-1])

    def density_at(self, E_nu: npt.ArrayLike) -> FloatArray:
        """Flux density (nu / cm^2 / POT / GeV) at energies ``E_nu`` (GeV); 0 outside.

        A point on an inner edge belongs to the bin above it.
        """
        energy = np.asarray(E_nu, dtype=np.float64)
        index = np.searchsorted(self.edges, energy, side="right") - 1
        inside = (index >= 0) & (index < self.density.size)
        return np.where(inside, self.density[np.clip(index, 0, self.density.size - 1)], 0.0)

    def cumulative(self, E_nu: npt.ArrayLike) -> FloatArray:
        """Flux integrated from ``edges[0]`` to ``E_nu`` (nu / cm^2 / POT); exact."""
        energy = np.asarray(E_nu, dtype=np.float64)
        return np.interp(energy, self.edges, self._cumulative)

    # ------------------------------------------------------------------ Flux protocol
    def integral(self, e_min: float = 0.0, e_max: float = float("inf")) -> float:
        """Integrated flux in nu / cm^2 / POT between ``e_min`` and ``e_max`` (GeV).

        Exact for the piecewise-constant spectrum; 0 when ``e_max <= e_min``.
        """
        if not e_max > e_min:
            return 0.0
        return float(self.cumulative(e_max) - self.cumulative(e_min))

    def inverse_cdf(self, u: npt.ArrayLike, e_min: float = 0.0) -> tuple[FloatArray, FloatArray]:
        """Sample the spectrum above ``e_min`` by inverting its cumulative flux.

        Parameters
        ----------
        u
            Uniform numbers in [0, 1).
        e_min
            Threshold in GeV (the process threshold); the flux below it is not sampled.

        Returns
        -------
        E_nu : ndarray
            Neutrino energies in GeV, distributed as the flux above ``e_min``.
        jacobian : ndarray
            ``dE_nu/du`` in GeV, equal to ``integral(e_min) / density_at(E_nu)``, so that
            ``density_at(E_nu) * jacobian`` is the integrated flux above ``e_min``.
            When no flux lies above ``e_min`` the energies are ``e_min`` and the jacobian is
            0 (every weight vanishes).

        Notes
        -----
        The cumulative flux is linear inside each bin, so the inversion is exact
        (PHYSICS.md, "Event rate"); bins of zero flux are never returned.
        """
        u_arr = np.asarray(u, dtype=np.float64)
        lo_cum = float(self.cumulative(e_min))
        above = float(self._cumulative[-1] - lo_cum)
        if not above > 0.0:
            return (np.full(u_arr.shape, float(e_min)), np.zeros(u_arr.shape))
        target = lo_cum + u_arr * above
        index = np.searchsorted(self._cumulative, target, side="right") - 1
        index = np.clip(index, self._first_bin, self._last_bin)
        density = self.density[index]
        E_nu = self.edges[index] + (target - self._cumulative[index]) / density
        E_nu = np.clip(E_nu, max(float(e_min), float(self.edges[0])), self.edges[index + 1])
        return E_nu, above / density

    # ------------------------------------------------------------------ summaries
    def mean_energy(self, e_min: float = 0.0, e_max: float = float("inf")) -> float:
        """Flux-weighted mean energy (GeV) between ``e_min`` and ``e_max``; exact.

        Inside a bin the density is constant, so each (clipped) bin contributes
        ``density * (hi^2 - lo^2) / 2`` to the first moment.
        """
        lo = np.clip(self.edges[:-1], e_min, e_max)
        hi = np.clip(self.edges[1:], e_min, e_max)
        norm = float(np.sum(self.density * (hi - lo)))
        if not norm > 0.0:
            raise ValueError(f"no flux between {e_min} and {e_max} GeV")
        return float(np.sum(self.density * (hi * hi - lo * lo)) / 2.0 / norm)

    def __repr__(self) -> str:
        lo, hi = self.energy_range
        return (f"{type(self).__name__}(flavour={self.flavour!r}, {self.density.size} bins, "
                f"{lo:g}-{hi:g} GeV, integral={self.integral():.4g} nu/cm^2/POT)")
