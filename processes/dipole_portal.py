"""The dipole-portal process: nu_alpha T -> N T by photon exchange through a transition
magnetic moment, N -> nu_alpha gamma.

PHYSICS.md, "Beyond the seed: conventions for the next processes" (dipole portal; Magill,
Plestid, Pospelov, Tsai, Phys. Rev. D 98 (2018) 115015).  :class:`DipolePortalProcess` is
the ``dipole_portal`` plugin (entry point ``zpgen.processes:dipole_portal``); its card is
:mod:`zpgen.processes.dipole_card`, its physics :mod:`zpgen.processes.dipole_xsec` (|M|^2,
the N polarisation, the width: units and vertex normalisation in that module's docstring),
its event kernels :mod:`zpgen.processes.dipole_events` (hypercube, record slots).

Channels come from the nuclear table (:mod:`zpgen.processes.nuclei`) as for the dark
neutrino: coherent on each nucleus (spin 0, charge ``Z e F(t)``, Helm or Fourier-Bessel),
incoherent on its bound protons and neutrons (electromagnetic Dirac and Pauli form factors,
Fermi-gas Pauli blocking) and on hydrogen's free proton.  The hypercube integral of a
channel is ``int dE Phi(E) sigma_T(E)`` per target particle and POT (BR(N -> nu gamma) = 1).

A nubar_alpha flux gives the CP-conjugate process nubar_alpha T -> Nbar T, Nbar -> nubar
gamma (a Majorana N: N -> nu gamma or nubar gamma): the same rate, the opposite N
polarisation (:mod:`zpgen.processes.dipole_events`, "Antineutrino beams").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from zpgen import constants
from zpgen.card import Card, CardSchema
from zpgen.event_record import (
    NO_MOTHER,
    STATUS_BEAM,
    STATUS_DECAYED,
    STATUS_FINAL,
    STATUS_TARGET,
    ChunkBuffer,
    EventBlock,
)
from zpgen.registry import ChannelInfo, ParticleInfo

from . import dipole_events as de
from . import dipole_xsec as dx
from .charge_density import data_path, fourier_bessel_terms
from .dipole_card import CARD_SCHEMA, FLAVOURS, DipoleModel, DipolePhysics
from .form_factors import helm_radius
from .nuclei import NUCLEI, label, target_info
from .xsec import channels_of, split_channel

__all__ = ["PDG_N", "PROCESS_IDS", "DipoleChannel", "DipolePortalProcess", "channel_info",
           "channel_params"]

FloatArray = npt.NDArray[np.float64]

PDG_N = de.PDG_N
#: DOI of the model (Magill, Plestid, Pospelov, Tsai, Phys. Rev. D 98 (2018) 115015).
MODEL_DOI = "10.1103/PhysRevD.98.115015"
_HELM_CITATIONS = ("10.1103/PhysRev.104.1466", "10.1016/S0927-6505(96)00047-3")
_PROCESS_TEXT = ("nu T -> N T by photon exchange through the dipole d nubar_L sigma F N, "
                 "N -> nu gamma (Magill, Plestid, Pospelov, Tsai, PRD 98 (2018) 115015)")
#: NuHepMC process ids (E.C.1 ranges: 150-199 coherent NC, 250-299 quasielastic NC), one per
#: channel of the nuclear table, distinct from the dark-neutrino process's.
PROCESS_IDS: dict[str, int] = {
    "C12_coherent": 160, "O16_coherent": 161, "Ar40_coherent": 162,
    "C12_proton": 270, "C12_neutron": 271, "H1_proton": 272, "O16_proton": 273,
    "O16_neutron": 274, "Ar40_proton": 275, "Ar40_neutron": 276,
}


def channel_info(name: str) -> ChannelInfo:
    """What channel ``name`` scatters on, from the nuclear table."""
    nucleus, kind = split_channel(name)
    citations: tuple[str, ...] = (MODEL_DOI,)
    if kind == "coherent":
        text = f"coherent on {label(nucleus)} (spin 0, charge Z e F(t)): "
        citations = (MODEL_DOI, *_HELM_CITATIONS)
    elif nucleus.A == 1:
        text = "on the free proton of hydrogen (EM F1, F2): "
    else:
        text = f"incoherent on a {kind} bound in {label(nucleus)} (EM F1, F2, Pauli blocked): "
    return target_info(name, nucleus, kind, PROCESS_IDS[name], text + _PROCESS_TEXT,
                       citations)


def channel_params(name: str, model: DipoleModel, physics: DipolePhysics) -> FloatArray:
    """Parameter vector of one channel for the kernels (:mod:`dipole_xsec` layout)."""
    nucleus, kind = split_channel(name)
    p = np.zeros(dx.N_FIXED)
    p[dx.I_MN] = model.m_N
    p[dx.I_D] = model.d
    if kind == "coherent":
        p[dx.I_KIND] = 0
        p[dx.I_M] = nucleus.mass_GeV
        p[dx.I_Z] = nucleus.Z
        p[dx.I_FF] = dx.FF_CODES[physics.coherent_form_factor]
        p[dx.I_HELM_RN], p[dx.I_HELM_S] = helm_radius(nucleus.A)
        if physics.coherent_form_factor == "fourier_bessel":
            radius, coefficients = fourier_bessel_terms(nucleus.name)
            p[dx.I_FB_R] = radius
            p[dx.I_FB_N] = coefficients.size
            p = np.concatenate([p, coefficients])
        return p
    proton = kind == "proton"
    p[dx.I_KIND] = 1
    p[dx.I_M] = constants.M_P if proton else constants.M_N
    p[dx.I_PROTON] = 1.0 if proton else 0.0
    p[dx.I_KF] = nucleus.k_fermi_GeV
    p[dx.I_PAULI] = 1.0 if (nucleus.A > 1 and physics.nucleon_model == "pauli") else 0.0
    return p


class DipoleChannel:
    """One channel bound to a flux: integrand and event kernel (the
    :class:`zpgen.registry.Channel` contract; hypercube in :mod:`dipole_events`)."""

    dim = 2
    n_aux = de.N_AUX
    n_particles = de.N_PARTICLES
    truth_fields = ("E_nu", "t")

    def __init__(self, name: str, params: FloatArray, decay: FloatArray, flux: Any,
                 nu_pdg: int) -> None:
        #: antineutrino beam: the CP-conjugate events (:mod:`dipole_events`, "Antineutrino
        #: beams"); a Dirac N is then the antiparticle Nbar (PDG -PDG_N)
        self.conjugate = int(flux.pdg) < 0
        decay = np.array(decay, dtype=np.float64)
        decay[de.D_CONJUGATE] = 1.0 if self.conjugate else 0.0
        pdg_n = -PDG_N if (self.conjugate and decay[de.D_MAJORANA] < 0.5) else PDG_N
        self.name = name
        self.params = np.ascontiguousarray(params, dtype=np.float64)
        self.decay = np.ascontiguousarray(decay, dtype=np.float64)
        self.flux = flux
        self.e_min = float(dx.threshold(self.params[dx.I_M], self.params[dx.I_MN]))
        self.flux_total = float(flux.integral())
        self.flux_above = float(flux.integral(self.e_min))
        target = channel_info(name).target_pdg
        fin = STATUS_FINAL
        self.pdg = np.array([int(flux.pdg), target, pdg_n, target, nu_pdg, de.PDG_GAMMA],
                            dtype=np.int32)
        self.status = np.array([STATUS_BEAM, STATUS_TARGET, STATUS_DECAYED, fin, fin, fin],
                               dtype=np.int32)
        self.mother = np.array([NO_MOTHER, NO_MOTHER, NO_MOTHER, NO_MOTHER, de.S_N, de.S_N],
                               dtype=np.int32)

    def _flux_map(self, u0: FloatArray) -> tuple[FloatArray, FloatArray]:
        """x0 -> (E_nu, Phi(E_nu) dE_nu/dx0) by the flux's inverse CDF above threshold."""
        E_nu, jac = self.flux.inverse_cdf(u0, self.e_min)
        E_nu = np.asarray(E_nu, dtype=np.float64)
        density_at = getattr(self.flux, "density_at", None)
        if density_at is not None:
            phi = np.asarray(density_at(E_nu), dtype=np.float64)
        else:  # the protocol only: piecewise-constant lookup
            edges = np.asarray(self.flux.edges, dtype=np.float64)
            density = np.asarray(self.flux.density, dtype=np.float64)
            idx = np.clip(np.searchsorted(edges, E_nu, side="right") - 1, 0, density.size - 1)
            phi = density[idx]
        return (np.ascontiguousarray(E_nu),
                np.ascontiguousarray(phi * np.asarray(jac, dtype=np.float64)))

    def __call__(self, x: FloatArray) -> FloatArray:
        """Batch integrand ``f(x)``, x of shape (n, 2): per target per POT (cm^2 nu/cm^2)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if self.flux_above <= 0.0:
            return np.zeros(x.shape[0])
        E_nu, w_flux = self._flux_map(x[:, 0])
        return de.batch_weights(x, E_nu, w_flux, self.params)

    def events(self, x: FloatArray, aux: FloatArray) -> EventBlock:
        """Events at ``x`` with auxiliary uniforms ``aux`` (:meth:`fill` into a fresh buffer)."""
        n = np.asarray(x).shape[0]
        k = self.n_particles
        buf = ChunkBuffer(n, k, self.truth_fields)
        self.fill(x, aux, buf, 0)
        return EventBlock(
            f=buf.event["w"], fields={name: buf.event[name] for name in self.truth_fields},
            pdg=buf.pdg.reshape(n, k), status=buf.status.reshape(n, k), mother=self.mother,
            momenta=np.ascontiguousarray(buf.momenta.reshape(4, n, k).transpose(1, 2, 0)),
            vertices=np.ascontiguousarray(buf.vertices.reshape(4, n, k).transpose(1, 2, 0)))

    def fill(self, x: FloatArray, aux: FloatArray, buf: ChunkBuffer, start: int) -> None:
        """Events at ``x`` (n, 2), ``aux`` written into ``buf`` rows ``start:start + n``
        (``w`` receives the integrand value f; the Numba kernel releases the GIL)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        aux = np.ascontiguousarray(aux, dtype=np.float64)
        n = x.shape[0]
        if self.flux_above <= 0.0:
            E_nu = np.full(n, self.e_min)
            w_flux = np.zeros(n)
        else:
            E_nu, w_flux = self._flux_map(x[:, 0])
        buf.event["E_nu"][start:start + n] = E_nu
        de.fill_events(x, E_nu, w_flux, aux, self.params, self.decay, int(start),
                       buf.event["w"], buf.event["t"], buf.momenta, buf.vertices, buf.pdg,
                       buf.status, buf.mother, buf.counts, self.pdg, self.status, self.mother)


class DipolePortalProcess:
    """The ``dipole_portal`` process plugin (module docstring).

    Parameters
    ----------
    model : DipoleModel
        The card's [model]: m_N (GeV), d (GeV^-1), nature, flavour.
    physics : DipolePhysics
        The card's [physics] switches.
    """

    name = "dipole_portal"

    def __init__(self, model: DipoleModel, physics: DipolePhysics) -> None:
        self.model = model
        self.physics = physics
        self.majorana = model.nature == "majorana"
        self.width = dx.width_nu_gamma(model.d, model.m_N, self.majorana)
        self.ctau_cm = constants.HBARC_GEV_CM / self.width
        beam, self.nu_pdg = FLAVOURS[model.flavour]
        #: The beam flavours modelled: nu_alpha of the card's flavour and its antineutrino
        #: (the CP conjugate, dipole_events "Antineutrino beams"); a flux of another flavour
        #: is refused before any work (zpgen.registry.check_beam_flavour).
        self.beam_flavours: tuple[str, ...] = (beam, beam + "bar")

    @classmethod
    def from_card(cls, card: Card) -> DipolePortalProcess:
        """Build from a validated run card."""
        return cls(card.model, card.physics)

    @classmethod
    def card_schema(cls) -> CardSchema:
        """The [model] and [physics] tables (:mod:`zpgen.processes.dipole_card`)."""
        return CARD_SCHEMA

    def channels(self, material: Mapping[str, float]) -> tuple[str, ...]:
        """Coherent, bound-proton and bound-neutron channels of each nucleus of ``material``
        (the free proton for H1), in the material's order; ``ValueError`` (one line naming
        the nucleus) for a nucleus without nuclear data."""
        names: list[str] = []
        for nucleus_name in material:
            if nucleus_name not in NUCLEI:
                raise ValueError(f"detector material: no nuclear data for {nucleus_name!r} "
                                 f"in the {self.name} process; known nuclei: "
                                 f"{', '.join(NUCLEI)} (processes/nuclei.py)")
            names.extend(channels_of(nucleus_name))
        return tuple(names)

    def channel(self, name: str, flux: Any) -> DipoleChannel:
        """Integrand and event kernel of one channel with the given flux."""
        decay = np.zeros(de.N_DECAY)
        decay[de.D_MN] = self.model.m_N
        decay[de.D_CTAU] = self.ctau_cm
        decay[de.D_MAJORANA] = 1.0 if self.majorana else 0.0
        decay[de.D_ISOTROPIC] = 1.0 if self.physics.decay_correlations == "isotropic" else 0.0
        return DipoleChannel(name, channel_params(name, self.model, self.physics), decay,
                             flux, self.nu_pdg)

    def channel_info(self, name: str) -> ChannelInfo:
        """What channel ``name`` scatters on (target, nucleus, NuHepMC process id, citations)."""
        return channel_info(name)

    def particles(self) -> dict[int, ParticleInfo]:
        """The heavy neutral lepton N (the single source of its identity for every writer)."""
        kind = "Majorana" if self.majorana else "Dirac"
        decays = "nu gamma and nubar gamma" if self.majorana else "nu gamma"
        return {PDG_N: ParticleInfo(
            PDG_N, "N", f"heavy neutral lepton ({kind}) of the dipole portal, produced by "
            f"photon exchange, decays to {decays}", self.model.m_N, self.width, 0.5, 0.0,
            standard=False)}

    def data_files(self) -> dict[str, str]:
        """The Fourier-Bessel table when the card uses it (fingerprinted in outputs)."""
        if self.physics.coherent_form_factor == "fourier_bessel":
            return {"fourier_bessel_charge": data_path()}
        return {}

    def info(self) -> Mapping[str, Any]:
        """Run metadata: the model point with its units and conventions, width and c tau."""
        m = self.model
        return {
            "process": self.name,
            "m_N_GeV": m.m_N,
            "d_GeV-1": m.d,
            "d_over_mu_B": dx.d_in_bohr_magnetons(m.d),
            "convention": "L = d nubar_{alpha,L} sigma^{mu nu} N F_{mu nu} + h.c.; vertex "
                          "2 d sigma^{mu nu} q_nu (effective transition moment 2d); "
                          f"mu_B = e/(2 m_e) = {dx.mu_bohr_gev_inv():.4f} GeV^-1",
            "nature": m.nature,
            "flavour": m.flavour,
            "width_GeV": self.width,
            "ctau_cm": self.ctau_cm,
            "br_nu_gamma": 1.0,
            "photon_asymmetry": 0.0 if self.majorana else dx.ALPHA_NU,
            "coherent_form_factor": self.physics.coherent_form_factor,
            "nucleon_model": self.physics.nucleon_model,
            "decay_correlations": self.physics.decay_correlations,
            "pdg": {"N": PDG_N},
            "t_map": "log(-t)",
            "alpha_em": constants.ALPHA_EM,
        }
