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
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = [
    "GROUPS",
    "ChannelInfo",
    "Detector",
    "Flux",
    "ParticleInfo",
    "PluginError",
    "Process",
    "Writer",
    "available",
    "check_beam_flavour",
    "load_plugin",
]

FloatArray = npt.NDArray[np.float64]

#: Entry-point group for each plugin kind.
GROUPS: dict[str, str] = {
    "process": "zpgen.processes",
    "flux": "zpgen.fluxes",
    "detector": "zpgen.detectors",
    "writer": "zpgen.writers",
    "command": "zpgen.commands",
}


class PluginError(LookupError):
    """A plugin name in the card is not installed, or the plugin rejected its options."""


@dataclass(frozen=True)
class ParticleInfo:
    """Identity of a particle a process introduces (the single source for every writer).

    Attributes
    ----------
    pdg : PDG Monte Carlo number used in the event record
    name : short unique name (NuHepMC ``AdditionalParticleNumber[<pdg>].Name``)
    description : one sentence (NuHepMC G.C.5 ``AdditionalParticleInfo[<pdg>].Description``)
    mass_GeV, width_GeV : mass and total width at the run's model point (GeV)
    spin : spin J (0.5 for a fermion, 1 for a vector)
    charge : electric charge in units of e
    standard : True if ``pdg`` is a code of the PDG numbering scheme for this particle
        (e.g. 32 for a Z'), False for a generator-specific code
    """

    pdg: int
    name: str
    description: str
    mass_GeV: float
    width_GeV: float
    spin: float
    charge: float
    standard: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ChannelInfo:
    """What a scattering channel scatters on, for the writers and the cross-section units.

    Attributes
    ----------
    name : channel name
    target_pdg : PDG number of the record's target particle (status 20): the nucleus for
        coherent scattering, the nucleon for scattering on a nucleon
    nucleus_pdg : PDG nuclear code (10LZZZAAAI) of the atom's nucleus the target belongs to
        (1000010010 for the proton of hydrogen)
    nucleus_mass_GeV : mass of that nucleus (GeV)
    targets_per_nucleus : channel targets per nucleus (1 for coherent scattering and for
        hydrogen, Z for the bound protons, A - Z for the bound neutrons)
    bound : the target is a nucleon bound in a heavier nucleus (NuHepMC writes the
        nucleus as target, a separation vertex and a nuclear remnant)
    remnant_pdg : nuclear code of the remnant of a bound channel (0 otherwise)
    process_id : NuHepMC process id (E.C.1 ranges: 150-199 coherent NC, 250-299
        quasielastic NC, 750- other)
    description : what is computed, with the reference it is based on (G.C.5)
    citations : DOIs of the theory the channel is based on (G.C.3)
    """

    name: str
    target_pdg: int
    nucleus_pdg: int
    nucleus_mass_GeV: float
    targets_per_nucleus: int
    bound: bool
    remnant_pdg: int
    process_id: int
    description: str
    citations: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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

    Optional method ``data_files() -> Mapping[str, path]``: the data files the flux read
    (fingerprinted in grids and outputs, :mod:`zpgen.fingerprints`).
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
    """A detector: targets, exposure, geometry and response.

    Optional method ``data_files() -> Mapping[str, path]`` as for :class:`Flux`.
    """

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
    """A physics process: named channels with cross sections and event kernels.

    Optional attribute ``beam_flavours`` (tuple of flux flavour names): the flavours the
    process models; a flux of another flavour is refused (:func:`check_beam_flavour`).
    Optional method ``data_files()`` (as for fluxes and detectors): data files it reads,
    fingerprinted in grids and outputs (:mod:`zpgen.fingerprints`).
    """

    name: str

    def channels(self) -> tuple[str, ...]:
        ...

    def channel_info(self, name: str) -> ChannelInfo:
        """What the channel scatters on (for the writers and the cross-section units)."""
        ...

    def particles(self) -> Mapping[int, ParticleInfo]:
        """The new particles the process puts in its events, by PDG number."""
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


def check_beam_flavour(process: Any, flux: Any) -> None:
    """Refuse a flux whose flavour the process does not model.

    A process declares the beam flavours it models in ``beam_flavours`` (the
    ``dark_neutrino`` process: ``("numu",)``); without the attribute every flavour is
    accepted.  Raises :class:`zpgen.card.CardError` naming ``flux.flavour``.
    """
    from .card import CardError

    supported = tuple(getattr(process, "beam_flavours", ()) or ())
    flavour = getattr(flux, "flavour", None)
    if supported and flavour not in supported:
        raise CardError(f"flux.flavour: {flavour!r} is not modelled by the "
                        f"{getattr(process, 'name', 'selected')} process, which takes a "
                        f"{' or '.join(supported)} beam only (its couplings, helicities and "
                        f"beam PDG id are those of {supported[0]}); use flux.flavour = "
                        f"{supported[0]!r}")


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
