"""``tabulated``: any histogram flux read from a text file.

Card options (``[flux]`` table, ``name = "tabulated"``)
------------------------------------------------------
============== ========== ================================================================
key            required   meaning
============== ========== ================================================================
path           yes        text file; ``#`` starts a comment; whitespace-separated columns
layout         no         ``"edges"`` (default): columns ``E_low E_high`` then one column
                          per flavour, as in the MiniBooNE data release.
                          ``"centres"``: column ``E`` (bin centre) then one column per
                          flavour; the bin edges are the midpoints between neighbouring
                          centres, the outer edges mirror the first/last half-width.
columns        no         names of the flavour columns in file order, default
                          ``["numu", "numubar", "nue", "nuebar"]``; other names (e.g.
                          ``"nutau"``) are allowed and ignored
flavour        no         ``numu`` (default), ``numubar``, ``nue``, ``nuebar``
energy_unit    yes        ``"GeV"`` or ``"MeV"`` (unit of the energy columns)
content_unit   yes        ``"per_cm2_per_pot_per_bin"`` (flux in each bin),
                          ``"per_cm2_per_pot_per_GeV"``, ``"per_cm2_per_pot_per_MeV"`` or
                          ``"per_cm2_per_pot_per_50MeV"`` (densities)
============== ========== ================================================================

The units are never guessed.  The conversion to nu / cm^2 / POT / GeV preserves the
integral: for ``per_bin`` the density is the content divided by the bin width, so
``integral()`` equals the sum of the file's column; for a density unit the density is the
value times the unit's conversion factor (PHYSICS.md, "Event rate").
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from zpgen.card import CardError
from zpgen.options import OptionDoc, OptionReader, option_keys

from ._binned import FLAVOURS, BinnedFlux

__all__ = ["CONTENT_UNITS", "ENERGY_UNITS", "TabulatedFlux", "read_table"]

#: Energy units of the file -> GeV per unit.
ENERGY_UNITS: dict[str, float] = {"GeV": 1.0, "MeV": 1e-3}
#: Content units -> width in GeV of the density unit (``None``: flux per bin, not a density).
CONTENT_UNITS: dict[str, float | None] = {
    "per_cm2_per_pot_per_bin": None,
    "per_cm2_per_pot_per_GeV": 1.0,
    "per_cm2_per_pot_per_MeV": 1e-3,
    "per_cm2_per_pot_per_50MeV": 0.050,
}
LAYOUTS = ("edges", "centres")
DEFAULT_COLUMNS = ("numu", "numubar", "nue", "nuebar")
_FLAVOUR_DOC = OptionDoc("flavour", "'numu'", "neutrino flavour of the beam",
                         allowed="numu | numubar | nue | nuebar")
#: The ``[flux]`` options (module docstring), for ``zpgen card --explain``.
OPTIONS = (
    OptionDoc("path", "required", "text file of the spectrum (# comments, whitespace "
              "columns; relative to the working directory)"),
    OptionDoc("layout", "'edges'", "energy columns: E_low E_high, or bin centres",
              allowed="edges | centres"),
    OptionDoc("columns", "['numu', 'numubar', 'nue', 'nuebar']",
              "names of the flavour columns in file order"),
    _FLAVOUR_DOC,
    OptionDoc("energy_unit", "required", "unit of the energy columns", allowed="GeV | MeV"),
    OptionDoc("content_unit", "required", "unit of the flux columns (never guessed)",
              allowed=" | ".join(CONTENT_UNITS)),
)
OPTION_KEYS = option_keys(OPTIONS)

FloatArray = npt.NDArray[np.float64]


def _edges_from_centres(centres: FloatArray) -> FloatArray:
    """Bin edges whose inner edges are the midpoints of neighbouring centres (GeV)."""
    if centres.size < 2:
        raise ValueError("layout 'centres' needs at least two rows")
    mid = 0.5 * (centres[1:] + centres[:-1])
    first = centres[0] - (mid[0] - centres[0])
    last = centres[-1] + (centres[-1] - mid[-1])
    return np.concatenate(([first], mid, [last]))


def read_table(path: Path, layout: str, columns: tuple[str, ...], energy_unit: str,
               content_unit: str, section: str = "flux"
               ) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Read a flux table into (edges in GeV, {column name: density in nu/cm^2/POT/GeV}).

    Raises
    ------
    CardError
        Naming ``<section>.path`` (unreadable file, wrong column count, bad bins) or
        ``<section>.layout``.
    """
    where = f"{section}.path"
    try:
        with warnings.catch_warnings():  # an empty file: refused below with a clear message
            warnings.simplefilter("ignore", UserWarning)
            table = np.loadtxt(path, comments="#", dtype=np.float64, ndmin=2)
    except (OSError, ValueError) as exc:  # UnicodeDecodeError (a binary file) included
        text = " ".join(str(exc).split())
        raise CardError(f"{where}: cannot read {str(path)!r} as a numeric table: {text}"
                        ) from None
    n_energy = 2 if layout == "edges" else 1
    if table.size == 0:
        raise CardError(f"{where}: {str(path)!r} has no rows of numbers")
    if table.shape[1] != n_energy + len(columns):
        raise CardError(f"{where}: {str(path)!r} has {table.shape[1]} columns; layout "
                        f"{layout!r} with columns {list(columns)} needs "
                        f"{n_energy + len(columns)}")
    if not np.all(np.isfinite(table)):
        raise CardError(f"{where}: {str(path)!r} contains non-finite numbers")
    scale = ENERGY_UNITS[energy_unit]
    if layout == "edges":
        lo, hi = table[:, 0] * scale, table[:, 1] * scale
        if np.any(hi <= lo) or np.any(np.abs(lo[1:] - hi[:-1]) > 1e-9 * np.abs(hi).max()):
            raise CardError(f"{where}: bins in {str(path)!r} must be contiguous and increasing "
                            "(E_high of each row = E_low of the next)")
        edges = np.concatenate((lo, hi[-1:]))
    else:
        centres = table[:, 0] * scale
        if table.shape[0] < 2 or np.any(np.diff(centres) <= 0.0):
            raise CardError(f"{where}: bin centres in {str(path)!r} must be increasing "
                            "(at least two rows)")
        edges = _edges_from_centres(centres)
        if edges[0] < 0.0:
            raise CardError(f"{where}: the first bin reconstructed from the centres of "
                            f"{str(path)!r} starts below 0 GeV ({edges[0]:g} GeV); use "
                            "layout = 'edges'")
    widths = np.diff(edges)
    unit_gev = CONTENT_UNITS[content_unit]
    densities: dict[str, FloatArray] = {}
    for i, name in enumerate(columns):
        values = table[:, n_energy + i]
        if np.any(values < 0.0):
            raise CardError(f"{where}: column {name!r} of {str(path)!r} has negative flux")
        densities[name] = values / widths if unit_gev is None else values / unit_gev
    return edges, densities


class TabulatedFlux(BinnedFlux):
    """A histogram flux read from a text file (see the module docstring for the options).

    Parameters
    ----------
    flavour, edges, density
        As :class:`~zpgen.flux._binned.BinnedFlux` (GeV; nu / cm^2 / POT / GeV).
    source
        Where the numbers came from (for metadata).
    """

    name: ClassVar[str] = "tabulated"
    OPTIONS: ClassVar[tuple[OptionDoc, ...]] = OPTIONS

    def __init__(self, flavour: str, edges: npt.ArrayLike, density: npt.ArrayLike,
                 source: str = "") -> None:
        super().__init__(flavour, edges, density)
        self.source = source

    def data_files(self) -> dict[str, str]:
        """The table this flux was read from (fingerprinted by :mod:`zpgen.fingerprints`)."""
        return {"path": self.source} if self.source else {}

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> TabulatedFlux:
        """Build from the card's ``[flux]`` table.

        Raises
        ------
        CardError
            Naming the field (``flux.content_unit`` ...) for unknown keys, bad values,
            missing or unreadable files.
        """
        reader = OptionReader("flux", options, OPTION_KEYS)
        path = reader.file("path")
        layout = reader.choice("layout", LAYOUTS, "edges")
        columns = reader.string_list("columns", list(DEFAULT_COLUMNS))
        flavour = reader.choice("flavour", tuple(FLAVOURS), "numu")
        if flavour not in columns:
            raise CardError(f"flux.flavour: {flavour!r} is not among flux.columns "
                            f"{list(columns)}")
        energy_unit = reader.choice("energy_unit", tuple(ENERGY_UNITS))
        content_unit = reader.choice("content_unit", tuple(CONTENT_UNITS))
        edges, densities = read_table(path, layout, columns, energy_unit, content_unit)
        try:
            return cls(flavour, edges, densities[flavour], source=str(path))
        except ValueError as exc:
            raise CardError(f"flux.path: column {flavour!r} of {str(path)!r}: {exc}") from None
