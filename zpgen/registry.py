"""Plugin contracts (typing.Protocol) and the entry-point registry.

Plugins are found by name under five entry-point groups (docs/architecture.md, "Plugins"):
``zpgen.processes``, ``zpgen.fluxes``, ``zpgen.detectors``, ``zpgen.writers`` and
``zpgen.commands``.  The built-ins are registered in zpgen's own pyproject.toml; a
third-party package adds its own entries to the same groups and the run card selects them
by name.

Event chunks (see docs/architecture.md, "Event record") are awkward Arrays with
event-level fields (``w``, ``w_xsec``, ``channel``, ``E_nu``, ``t``, ``vtx_x`` ...) and a
jagged ``particles`` record (``pdg``, ``status``, ``mother``, ``E``, ``px``, ``py``,
``pz``, ``x``, ``y``, ``z``, ``t``), energies in GeV, positions in cm, times in ns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = [
    "GROUPS",
    "Channel",
    "ChannelInfo",
    "Detector",
    "Flux",
    "ParticleInfo",
    "PluginError",
    "Process",
    "Writer",
    "available",
    "channel_targets",
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
    nucleus : the material entry the channel scatters on (a key of
        :meth:`Detector.material`, e.g. "C12"; nucleus names are element symbol and mass
        number, as in the process's nuclear table)
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
    nucleus: str
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
    (fingerprinted in grids and outputs, :mod:`zpgen.fingerprints`).  Optional attribute
    ``caveats`` (tuple of str): warnings every command prints and every output records
    (e.g. a monochromatic beam without its normalisation: rates per unit flux).
    Optional class attribute ``OPTIONS`` (tuple of :class:`zpgen.options.OptionDoc`): the
    card options, shown by ``zpgen card --explain`` and ``zpgen plugins`` (detectors too).
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
    """A detector: material, exposure, geometry and response.

    Optional methods: ``histograms() -> list[HistogramSpec]`` (the summary histograms of
    its runs), ``data_files() -> Mapping[str, path]`` as for :class:`Flux`, and
    ``same_response(before, after) -> bool array``: per event, whether its response to the
    events ``after`` (same momenta, moved decay vertices) is the one it gave ``before``
    with the same random numbers (``zpgen reweight`` keeps a file's detector columns only
    then).  Optional attribute ``flat_events = True``: ``place`` and ``respond`` take and
    return :class:`zpgen.event_record.FlatEvents` (else awkward chunks) and are called
    from the generator's worker threads, one block each at a time, so they must not mutate
    the detector (the built-in detectors keep no state between calls).
    """

    name: str
    pot: float

    def material(self) -> Mapping[str, float]:
        """Nuclei in the fiducial volume by nucleus name ("C12", "H1", "Ar40": element
        symbol and mass number): numbers of nuclei, not of nucleons (the process knows
        how many targets each nucleus holds for each of its channels)."""
        ...

    def place(self, events: Any, rng: np.random.Generator) -> Any:
        """Sample interaction vertices and shift every particle's position by it (cm)."""
        ...

    def respond(self, events: Any, rng: np.random.Generator) -> Any:
        """Add reconstructed columns, selection flags and the efficiency weight ``w_eff``."""
        ...


@runtime_checkable
class Channel(Protocol):
    """One scattering channel of a process: integrand and event kernel on the unit cube.

    Attributes
    ----------
    name : channel name
    dim : dimension of the integration variables x in [0, 1)^dim (VEGAS adapts them)
    n_aux : number of auxiliary uniforms per event (unadapted: azimuths, decay-mode picks)
    e_min : production threshold in E_nu (GeV)
    flux_above : integrated flux above ``e_min`` (nu/cm^2/POT; 0 means no event can occur)

    The optional method ``fill(x, aux, buf, start)`` writes the events of ``events`` straight
    into a :class:`zpgen.event_record.ChunkBuffer` (the production path when present).
    """

    name: str
    dim: int
    n_aux: int
    e_min: float
    flux_above: float

    def __call__(self, x: FloatArray) -> FloatArray:
        """Integrand at the points x, shape (n, dim): d(sigma x flux)/dx in
        cm^2 nu/cm^2/POT per target, the cross section folded with the flux."""
        ...

    def events(self, x: FloatArray, aux: FloatArray) -> Any:
        """The events at x with auxiliary uniforms aux
        (:class:`zpgen.event_record.EventBlock`: integrand, truth fields, particles)."""
        ...


@runtime_checkable
class Process(Protocol):
    """A physics process: the card schema of its model, channels with cross sections and
    event kernels, and the identity of the particles it puts in events.

    Built with the classmethod ``from_card(card)``; the classmethod ``card_schema()`` gives
    the :class:`zpgen.card.CardSchema` of its ``[model]`` and ``[physics]`` tables.
    Optional attribute ``beam_flavours`` (tuple of flux flavour names): the flavours the
    process models; a flux of another flavour is refused (:func:`check_beam_flavour`).
    Optional method ``data_files()`` (as for fluxes and detectors): data files it reads,
    fingerprinted in grids and outputs (:mod:`zpgen.fingerprints`).
    Optional method ``column_docs() -> Mapping[str, (unit, meaning)]``: the event columns
    the process adds (its truth fields), documented in every output file.
    Optional classmethod ``reweighter(old_card, new_card, channels)`` (``zpgen reweight``,
    :mod:`zpgen.reweighting`): an object that takes the events generated with
    ``old_card`` to the couplings of ``new_card`` without regenerating them, with

    * ``reweight(chunk) -> (r, chunk')``: per-event factors ``r`` (float64 array) that
      multiply ``w`` and ``w_xsec``, and the chunk with whatever the new couplings move
      without changing momenta (decay vertices), or the chunk itself;
    * ``moves_vertices`` (bool): whether ``reweight`` moves decay vertices (the engine then
      asks the detector's optional ``same_response``);
    * ``required_columns``: event columns ``reweight`` reads;
    * ``changed`` (list of card keys) and ``describe()`` (JSON-compatible, recorded in the
      output);

    it raises :class:`zpgen.card.CardError` naming the key and the reason for a change it
    cannot reweight (e.g. a mass).  A process without it cannot be reweighted.
    """

    name: str

    def channels(self, material: Mapping[str, float]) -> tuple[str, ...]:
        """The channels on the nuclei of a detector's material (:meth:`Detector.material`),
        in the order of the event record's ``channel`` index.  Raises ``ValueError``
        naming a nucleus the process has no data for."""
        ...

    def channel(self, name: str, flux: Flux) -> Channel:
        """Integrand and event kernel of one channel with the given flux."""
        ...

    def channel_info(self, name: str) -> ChannelInfo:
        """What the channel scatters on (for the writers and the cross-section units)."""
        ...

    def particles(self) -> Mapping[int, ParticleInfo]:
        """The new particles the process puts in its events, by PDG number."""
        ...

    def info(self) -> Mapping[str, Any]:
        """Run metadata of the model point (JSON-compatible), stored in every output."""
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
    ``dark_neutrino`` process: ``("numu", "numubar")``); without the attribute every flavour is
    accepted.  Raises :class:`zpgen.card.CardError` naming ``flux.flavour``.
    """
    from .card import CardError

    supported = tuple(getattr(process, "beam_flavours", ()) or ())
    flavour = getattr(flux, "flavour", None)
    if supported and flavour not in supported:
        raise CardError(f"flux.flavour: {flavour!r} is not modelled by the "
                        f"{getattr(process, 'name', 'selected')} process, which takes a "
                        f"{' or '.join(supported)} beam only (its couplings are those of "
                        f"that flavour); use flux.flavour = "
                        f"{' or '.join(repr(f) for f in supported)}")


def channel_targets(process: Process, detector: Detector
                    ) -> tuple[tuple[str, ...], dict[str, float]]:
    """The channels of ``process`` on the material of ``detector`` and the number of
    targets of each: nuclei of the channel's nucleus x the channel's targets per nucleus
    (:attr:`ChannelInfo.targets_per_nucleus`).

    Raises ``ValueError`` (naming the nucleus) when the process has no data for a nucleus
    of the material.
    """
    material = {str(k): float(v) for k, v in detector.material().items()}
    for nucleus, count in material.items():
        if not (math.isfinite(count) and count >= 0.0):
            raise ValueError(f"detector material: {nucleus} count must be a finite number "
                             f">= 0, got {count!r}")
    names = tuple(process.channels(material))
    targets: dict[str, float] = {}
    for name in names:
        info = process.channel_info(name)
        targets[name] = material[info.nucleus] * info.targets_per_nucleus
    return names, targets


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
