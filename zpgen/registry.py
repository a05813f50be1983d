"""Plugin contracts (typing.Protocol) and the entry-point registry.

Plugins are found by name under four entry-point groups (DESIGN.md, "Plugin contracts"):
``zpgen.processes``, ``zpgen.fluxes``, ``zpgen.detectors`` and ``zpgen.writers``.  The
built-ins are registered in zpgen's own pyproject.toml; a third-party package adds its
own entries to the same groups and the run card selects them by name.

Event chunks (see docs/architecture.md, "Event record") are awkward Arrays with
event-level fields (``w``, ``w_xsec``, ``channel``, ``E_nu``, ``t``, ``vtx_x`` ...) and a
jagged ``particles`` record (``pdg``, ``status``, ``mother``, ``E``, ``px``, ``py``,
``pz``, ``x``, ``y``, ``z``, ``t``), energies in GeV, positions in cm, times in ns.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = [
    "GROUPS",
    "Detector",
    "Flux",
    "PluginError",
    "Process",
    "Writer",
    "available",
    "load_plugin",
]

FloatArray = npt.NDArray[np.float64]

#: Entry-point group for each plugin kind.
GROUPS: dict[str, str] = {
    "process": "zpgen.processes",
    "flux": "zpgen.fluxes",
    "detector": "zpgen.detectors",
    "writer": "zpgen.writers",
}


class PluginError(LookupError):
    """A plugin name in the card is not installed, or the plugin rejected its options."""


@runtime_checkable
class Flux(Protocol):
    """A neutrino flux: a piecewise-constant spectrum in nu / cm^2 / POT / GeV.

    Attributes
    ----------
    name : plugin name
    flavour : selected flavour ("numu", "numubar", "nue", "nuebar")
    pdg : PDG id of the selected flavour
    edges : bin edges in GeV, shape (n+1,)
    density : spectrum in nu / cm^2 / POT / GeV per bin, shape (n,)
    """

    name: str
    flavour: str
    pdg: int
    edges: FloatArray
    density: FloatArray

    def integral(self, e_min: float = 0.0, e_max: float = float("inf")) -> float:
        """Integrated flux in nu / cm^2 / POT between e_min and e_max (GeV)."""
        ...

    def inverse_cdf(self, u: FloatArray, e_min: float = 0.0) -> tuple[FloatArray, FloatArray]:
        """Map uniform u in [0, 1) to (E_nu in GeV, jacobian dE/du in GeV) above e_min."""
        ...


@runtime_checkable
class Detector(Protocol):
    """A detector: targets, exposure, geometry and response."""

    name: str
    pot: float

    def targets(self) -> Mapping[str, float]:
        """Number of targets per channel: C12_coherent, C12_proton, C12_neutron, H1_proton."""
        ...

    def place(self, events: Any, rng: np.random.Generator) -> Any:
        """Sample interaction vertices and shift every particle's position by it (cm)."""
        ...

    def respond(self, events: Any, rng: np.random.Generator) -> Any:
        """Add reconstructed columns, selection flags and the efficiency weight ``w_eff``."""
        ...


@runtime_checkable
class Process(Protocol):
    """A physics process: named channels with cross sections and event kernels."""

    name: str

    def channels(self) -> tuple[str, ...]:
        ...


@runtime_checkable
class Writer(Protocol):
    """An output format: atomic, streaming."""

    name: str

    def open(self, path: str, run_info: Mapping[str, Any]) -> None:
        ...

    def write(self, chunk: Any) -> None:
        ...

    def close(self, totals: Mapping[str, Any]) -> None:
        ...

    def abort(self) -> None:
        ...


def available(kind: str) -> dict[str, str]:
    """Installed plugins of one kind: name -> 'module:object'."""
    if kind not in GROUPS:
        raise PluginError(f"unknown plugin kind {kind!r}; valid kinds: {', '.join(GROUPS)}")
    return {ep.name: ep.value for ep in metadata.entry_points(group=GROUPS[kind])}


def load_plugin(kind: str, name: str) -> Any:
    """The plugin object (usually a class) registered as ``name`` under ``kind``."""
    group = GROUPS.get(kind)
    if group is None:
        raise PluginError(f"unknown plugin kind {kind!r}; valid kinds: {', '.join(GROUPS)}")
    eps = metadata.entry_points(group=group, name=name)
    if not eps:
        names = sorted(available(kind))
        raise PluginError(f"{kind}.name: no {kind} plugin called {name!r} is installed; "
                          f"installed: {', '.join(names) or 'none'} (see `zpgen plugins`)")
    return next(iter(eps)).load()
