"""The dark-neutrino process: nu_mu T -> nu5 T', nu5 -> nu4 Z' (-> e+ e-), nu4 -> nu Z', and
nu5 -> nu_light Z' (-> e+ e-).

PHYSICS.md, "The process", "Matrix elements and cross section", "Decays" and "Event rate".
:class:`DarkNeutrinoProcess` is the ``dark_neutrino`` plugin (entry point
``zpgen.processes:dark_neutrino``).  For each scattering channel on the detector's material
(:meth:`DarkNeutrinoProcess.channels`, from the nuclear table :mod:`processes.nuclei`) it
provides a :class:`DarkNeutrinoChannel`: a batch integrand over the unit hypercube (for
VEGAS) and an event kernel over the same hypercube (for generation), both thin wrappers of
the Numba kernels of :mod:`zpgen.processes.decay_chain` (whose docstring gives the
hypercube layout, the weight of a point and the decay-vertex convention).

The hypercube integral of a channel is
``I = BR_visible * int dE Phi(E) sigma_T(E)`` per target particle and POT (nu/cm^2/POT x
cm^2), with ``BR_visible = BR_A + BR_B``
(:func:`zpgen.processes.widths.visible_branching_ratio` with ``physics.visible_modes``):
``BR_A = BR(nu5 -> nu4 Z') BR(Z' -> e+e-)`` on shell and ``BR(nu5 -> nu4 e+e-)`` off shell
(the nu4 chain, mode A), ``BR_B = BR(nu5 -> nu_light Z') BR(Z' -> e+e-)`` for
``M_Z' < m5`` (mode B; 0 with ``visible_modes = "nu4"``).  Each event picks one mode with
probability ``BR_A/(BR_A + BR_B)`` or ``BR_B/(BR_A + BR_B)``
(:mod:`zpgen.processes.decay_chain`, "Decay modes of nu5").

Spin correlations: the nu5 decays in the spin state of its production
(``physics.nu5_spin = "exact"``: the polarisation vector from the production amplitude,
:func:`zpgen.processes.xsec.nu5_polarisation`; ``"helicity"``: pure helicity -1/2, as in
earlier releases; :mod:`zpgen.processes.decay_chain`, "Spin state of nu5"); the joint
distribution of the nu5 -> nu4 Z' and Z' -> e+ e- angles is that of the polarised |M|^2 of
:func:`zpgen.processes.decay_kernels.msq_nu5_to_nu4_ff`.  The nu4 decays
unpolarised (its polarisation after the nu5 decay is not tracked): the Z' polarisation in
nu4 -> nu Z' and hence the Z' -> f fbar angular correlation *is* kept (same kernel with
an unpolarised nu4).  nu4 decays are generated only when the Z' is on shell in them
(``M_Z' < m4``) and nu4 has a non-zero width; otherwise nu4 is final (status 1).

Particle record (per event, in this order; the convention of :mod:`zpgen.event_record`)
------------------------------------------------------------------------------------
===== ========================= ====================== ====== ======
slot  particle                  pdg                    status mother
===== ========================= ====================== ====== ======
0     beam neutrino             flux.pdg (14 or -14)   4      -1
1     target                    1000060120/2212/2112   20     -1
2     nu5                       :data:`PDG_NU5`        2      -1 (primary vertex)
3     recoil target             as the target          1      -1 (primary vertex)
4     nu4                       :data:`PDG_NU4`        2 (1)  2
5     Z' (virtual off shell:    :data:`PDG_ZPRIME`     2      2
      the e+e- system)
6, 7  e-, e+                    11, -11                1      5
8     light neutrino            14 (flavour summed)    1      4
9     Z' from nu4               :data:`PDG_ZPRIME`     2      4
10,11 f, fbar (e, mu or nu      11/-11, 13/-13,        1      9
      pair, by BR)              12/-12, 14/-14, 16/-16
===== ========================= ====================== ====== ======

Antineutrino beams
------------------
A numubar flux (``flux.flavour = "numubar"``, beam PDG -14) gives the CP-conjugate events
(:mod:`zpgen.processes.decay_chain`, "Antineutrino beams"): the same rate, the nu5bar
polarised opposite to the nu5 (helicity +1/2 dominant), the e+ and e- roles exchanged in
the decays.  Dirac: nu5, nu4 and the light neutrinos of the table above carry negative PDG
numbers (-9900014, -9900012, -14); Majorana: nu5 and nu4 keep their (self-conjugate)
codes, the light neutrinos are labelled -14.  nue and nuebar beams are refused
(:attr:`DarkNeutrinoProcess.beam_flavours`).

Slots 8-11 exist only when nu4 decays.  Positions are production vertices.  nu5 and the
recoil come out of the primary vertex (beam and target in), so their mother is -1.
For the bound-nucleon channels the target is the struck nucleon at rest; the nucleus it
belongs to is declared by :meth:`DarkNeutrinoProcess.channel_info` (NuHepMC writes the
nucleus, a separation vertex and the remnant from it).
The light neutrino of nu4 -> nu Z' is labelled nu_mu (14): its flavour is summed over in
the couplings (``g_4a`` is a quadrature sum).

An event of mode B (nu5 -> nu_light Z' -> nu_light e+ e-) has no nu4: slot 4 is the light
neutrino (pdg 14, flavour summed over in ``g_5a``, status 1, mother 2), slots 5-7 are the
Z' (always on shell) and the e+ e- pair, and the event has only these 8 particles (slots
8-11, when the layout has them, are not part of it: the chunk's ``particles`` list is
jagged, see :mod:`zpgen.event_record`).
"""

from __future__ import annotations

import math
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

from . import decay_chain as dc
from . import xsec
from .couplings import PhysicalCouplings, chiral, physical_couplings
from .model_card import CARD_SCHEMA, PhysicsConfig
from .nuclei import NUCLEI, label, target_info
from .widths import asymmetry, visible_branching_ratios, widths

__all__ = [
    "PDG_NU4",
    "PDG_NU5",
    "PDG_ZPRIME",
    "DarkNeutrinoChannel",
    "DarkNeutrinoProcess",
]

FloatArray = npt.NDArray[np.float64]

#: PDG-style ids of the new states.  Z': 32, the PDG code of a Z'0.  nu4, nu5: the
#: heavy-neutral-lepton codes 9900012 and 9900014 (Pythia's heavy neutrinos N_1, N_2).
PDG_ZPRIME = 32
PDG_NU4 = 9900012
PDG_NU5 = 9900014

#: DOI of the model (Hammad, Rashed, Moretti, Phys. Lett. B 827 (2022) 136945).
PAPER_DOI = "10.1016/j.physletb.2022.136945"
_PROCESS_TEXT = ("nu_mu T -> nu5 T by Z' exchange; nu5 -> nu4 Z' (or nu_light Z'), "
                 "Z' -> e+ e- (Hammad, Rashed, Moretti, Phys. Lett. B 827 (2022) 136945)")
#: NuHepMC process ids (E.C.1 ranges: 150-199 coherent NC, 250-299 quasielastic NC), one
#: per channel of the nuclear table; the CH2 channels keep the numbers of earlier releases.
PROCESS_IDS: dict[str, int] = {
    "C12_coherent": 150, "C12_proton": 250, "C12_neutron": 251, "H1_proton": 252,
    "O16_coherent": 151, "O16_proton": 253, "O16_neutron": 254,
    "Ar40_coherent": 152, "Ar40_proton": 255, "Ar40_neutron": 256,
}
_HELM_CITATIONS = ("10.1103/PhysRev.104.1466", "10.1016/S0927-6505(96)00047-3")


def _channel_info(name: str) -> ChannelInfo:
    """What channel ``name`` scatters on, from the nuclear table (:mod:`processes.nuclei`)."""
    nucleus, kind = xsec.split_channel(name)
    citations: tuple[str, ...] = (PAPER_DOI,)
    if kind == "coherent":
        text = f"coherent on {label(nucleus)} (spin 0, Helm form factor): "
        citations = (PAPER_DOI, *_HELM_CITATIONS)
    elif nucleus.A == 1:
        text = "on the free proton of hydrogen: "
    else:
        text = f"incoherent on a {kind} bound in {label(nucleus)} (Pauli blocked): "
    return target_info(name, nucleus, kind, PROCESS_IDS[name], text + _PROCESS_TEXT,
                       citations)


#: What each channel of the nuclear table scatters on.
CHANNEL_INFO: dict[str, ChannelInfo] = {
    name: _channel_info(name) for n in NUCLEI for name in xsec.channels_of(n)}
#: PDG id of the (at rest) target of each channel.
TARGET_PDG: dict[str, int] = {name: info.target_pdg for name, info in CHANNEL_INFO.items()}

#: pdg of (f, fbar) for the nu4's Z' decay modes 0..4 (see decay_chain.event_point).
_MODE_PDG = np.array([[11, -11], [13, -13], [12, -12], [14, -14], [16, -16]], dtype=np.int32)

_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
_N_PHI = 8


class DarkNeutrinoChannel:
    """One scattering channel bound to a flux: integrand and event kernel.

    Attributes
    ----------
    name : channel name (a key of :data:`xsec.CHANNELS`)
    dim : dimension of the hypercube
    n_aux : auxiliary (non-adapted) uniforms per event
    n_particles : particles per event
    e_min : threshold energy (GeV)
    flux_total : integrated flux over the whole spectrum (nu/cm^2/POT), the denominator of
        the flux-averaged cross section
    flux_above : integrated flux above the threshold (0: the channel is closed)
    truth_fields : names of the event-level truth fields the kernels fill
    """

    truth_fields = ("E_nu", "t", *dc.FLIGHT_FIELDS)

    def __init__(self, name: str, cp: FloatArray, dp: np.ndarray, flux: Any,
                 nu4_decays: bool, majorana: bool = False) -> None:
        self.name = name
        self.cp = np.ascontiguousarray(cp, dtype=np.float64)
        self.dp = np.array(dp, dtype=dc.DECAY_DTYPE).reshape(1)
        #: numubar beam: the CP-conjugate chain (e+ e- roles exchanged in the kernel,
        #: antiparticle PDG numbers; module docstring, "Antineutrino beams")
        self.conjugate = int(flux.pdg) < 0
        self.dp["conjugate"] = self.conjugate
        self.flux = flux
        self.e_min = float(xsec.threshold(cp[xsec.I_M], cp[xsec.I_M5]))
        self.flux_total = float(flux.integral())
        self.flux_above = float(flux.integral(self.e_min))
        self.nu4_decays = nu4_decays
        offshell = bool(self.dp["offshell"][0])
        self.dim = 6 + (4 if nu4_decays else 0) + (1 if offshell else 0)
        if offshell:
            self.dp["mass_column"] = self.dim - 1
        self.n_aux = dc.N_AUX
        self.n_particles = dc.N_PARTICLES_NU4 if nu4_decays else dc.N_PARTICLES_SHORT
        target = TARGET_PDG[name]
        fin, dec = STATUS_FINAL, STATUS_DECAYED
        # CP conjugate: Dirac nu5, nu4 and the light neutrinos become antiparticles (negative
        # PDG numbers); Majorana states are their own antiparticles
        heavy = 1 if (majorana or not self.conjugate) else -1
        light = -1 if self.conjugate else 1
        self.pdg_nu_light = light * dc.PDG_NU_LIGHT
        pdg = [int(flux.pdg), target, heavy * PDG_NU5, target, heavy * PDG_NU4, PDG_ZPRIME, 11,
               -11]
        status = [STATUS_BEAM, STATUS_TARGET, dec, fin, dec if nu4_decays else fin, dec, fin,
                  fin]
        mother = [NO_MOTHER, NO_MOTHER, NO_MOTHER, NO_MOTHER, dc.S_NU5, dc.S_NU5, dc.S_ZP,
                  dc.S_ZP]
        if nu4_decays:
            pdg += [self.pdg_nu_light, PDG_ZPRIME, 11, -11]
            status += [fin, dec, fin, fin]
            mother += [dc.S_NU4, dc.S_NU4, dc.S_ZP2, dc.S_ZP2]
        self.pdg = np.array(pdg, dtype=np.int32)
        self.status = np.array(status, dtype=np.int32)
        self.mother = np.array(mother, dtype=np.int32)

    # ------------------------------------------------------------------ flux dimension
    def _flux_map(self, u0: FloatArray) -> tuple[FloatArray, FloatArray]:
        """x0 -> (E_nu, Phi(E_nu) dE_nu/dx0) by the flux's inverse CDF above threshold."""
        E_nu, jac = self.flux.inverse_cdf(u0, self.e_min)
        density_at = getattr(self.flux, "density_at", None)
        if density_at is not None:
            phi = density_at(E_nu)
        else:  # protocol only: piecewise-constant lookup
            edges = np.asarray(self.flux.edges)
            idx = np.clip(np.searchsorted(edges, E_nu, side="right") - 1, 0,
                          len(self.flux.density) - 1)
            phi = np.asarray(self.flux.density)[idx]
        return (np.ascontiguousarray(E_nu, dtype=np.float64),
                np.ascontiguousarray(phi * jac, dtype=np.float64))

    # ------------------------------------------------------------------ kernels
    def __call__(self, x: FloatArray) -> FloatArray:
        """Batch integrand ``f(x)`` for ``x`` of shape (n, dim): per target per POT."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        E_nu, w_flux = self._flux_map(x[:, 0])
        return dc.batch_weights(x, E_nu, w_flux, self.cp, self.dp)

    def events(self, x: FloatArray, aux: FloatArray) -> EventBlock:
        """Events at hypercube points ``x`` (n, dim) with auxiliary uniforms ``aux``.

        The production path: :meth:`fill` into a fresh chunk buffer, returned as an
        :class:`EventBlock` of (n, k) views of its columns.
        """
        n = np.asarray(x).shape[0]
        k = self.n_particles
        buf = ChunkBuffer(n, k, self.truth_fields)
        self.fill(x, aux, buf, 0)
        counts = None if bool(np.all(buf.counts == k)) else buf.counts.copy()
        return EventBlock(
            f=buf.event["w"], fields={name: buf.event[name] for name in self.truth_fields},
            pdg=buf.pdg.reshape(n, k), status=buf.status.reshape(n, k), mother=self.mother,
            momenta=np.ascontiguousarray(buf.momenta.reshape(4, n, k).transpose(1, 2, 0)),
            vertices=np.ascontiguousarray(buf.vertices.reshape(4, n, k).transpose(1, 2, 0)),
            counts=counts)

    def fill(self, x: FloatArray, aux: FloatArray, buf: ChunkBuffer, start: int) -> None:
        """Events at ``x`` (n, dim), ``aux`` written into ``buf`` rows ``start:start + n``.

        ``buf.event["w"]`` receives the integrand value ``f`` (the engine turns it into
        weights in place), ``E_nu`` and ``t`` the truth fields; the particle columns the
        particles.  Releases the GIL (the Numba kernel is ``nogil``).
        """
        x = np.ascontiguousarray(x, dtype=np.float64)
        aux = np.ascontiguousarray(aux, dtype=np.float64)
        n = x.shape[0]
        E_nu, w_flux = self._flux_map(x[:, 0])
        buf.event["E_nu"][start:start + n] = E_nu
        dc.fill_events(x, E_nu, w_flux, aux, self.cp, self.dp, int(start), buf.event["w"],
                       buf.event["t"], buf.momenta, buf.vertices, buf.pdg, buf.status,
                       buf.mother, buf.counts, self.pdg, self.status, self.mother, _MODE_PDG,
                       *(buf.event[name] for name in dc.FLIGHT_FIELDS))


class DarkNeutrinoProcess:
    """The ``dark_neutrino`` process plugin (module docstring).

    Parameters
    ----------
    pc : PhysicalCouplings
        Masses and couplings of the model point.
    physics : PhysicsConfig
        The card's [physics] switches (form factors, nucleon model, decay correlations,
        visible nu5 decay modes).
    """

    name = "dark_neutrino"
    #: Beam flavours modelled: nu_mu N -> N nu5 (g_mu5, beam PDG 14) and its CP conjugate
    #: nubar_mu N -> N nu5bar (beam PDG -14; module docstring, "Antineutrino beams").  A
    #: flux of another flavour is refused (zpgen.registry.check_beam_flavour).
    beam_flavours: tuple[str, ...] = ("numu", "numubar")

    def __init__(self, pc: PhysicalCouplings, physics: PhysicsConfig) -> None:
        self.pc = pc
        self.physics = physics
        self.widths = widths(pc)
        self.offshell = self.widths["regime"] == "off-shell"
        parts = visible_branching_ratios(pc, self.widths)
        #: BR_A (nu4 chain) and BR_B (nu5 -> nu_light Z' -> nu_light e+e-; 0 unless
        #: physics.visible_modes = "all")
        self.br_nu4 = float(parts["nu4"])
        self.br_nu_light = float(parts["nu"]) if physics.visible_modes == "all" else 0.0
        self.br_visible = self.br_nu4 + self.br_nu_light
        self.nu4_decays = bool(pc.nu4_decays and pc.mzprime < pc.m4
                               and self.widths["nu4"]["nu_Zprime"] > 0.0)
        self.dp = self._decay_params()

    @classmethod
    def from_card(cls, card: Card, **kwargs: Any) -> DarkNeutrinoProcess:
        """Build from a validated run card (model couplings via the card's front end)."""
        return cls(physical_couplings(card.model), card.physics, **kwargs)

    @classmethod
    def reweighter(cls, old_card: Card, new_card: Card, channels: tuple[str, ...] | list[str]
                   ) -> Any:
        """Exact per-event factors from the events of ``old_card`` to the couplings of
        ``new_card`` at the same masses (:class:`zpgen.processes.reweight.
        CouplingReweighter`; ``CardError`` naming what cannot be reweighted, and why).
        ``channels``: the file's channel names, in the order of its ``channel`` column."""
        from .reweight import CouplingReweighter, check_reweightable

        check_reweightable(old_card, new_card)  # before building the new model point
        return CouplingReweighter(cls.from_card(old_card), cls.from_card(new_card), old_card,
                                  new_card, channels)

    @classmethod
    def card_schema(cls) -> CardSchema:
        """The [model] and [physics] tables of this process (:mod:`processes.model_card`)."""
        return CARD_SCHEMA

    def channels(self, material: Mapping[str, float]) -> tuple[str, ...]:
        """The channels on the nuclei of ``material`` (nucleus name -> count): coherent,
        bound proton and bound neutron for each nucleus, the free proton for H1, in the
        material's order (CH2: :data:`xsec.CHANNELS`)."""
        names: list[str] = []
        for nucleus_name in material:
            if nucleus_name not in NUCLEI:
                raise ValueError(f"detector material: no nuclear data for {nucleus_name!r} "
                                 f"in the {self.name} process; known nuclei: "
                                 f"{', '.join(NUCLEI)} (processes/nuclei.py)")
            names.extend(xsec.channels_of(nucleus_name))
        return tuple(names)

    def channel(self, name: str, flux: Any) -> DarkNeutrinoChannel:
        """Integrand and event kernel of one channel with the given flux (a numubar flux
        gives the CP-conjugate events: module docstring, "Antineutrino beams")."""
        cp = xsec.channel_params(name, self.pc, self.physics)
        return DarkNeutrinoChannel(name, cp, self.dp.copy(), flux, self.nu4_decays,
                                   self.pc.majorana)

    def channel_info(self, name: str) -> ChannelInfo:
        """What channel ``name`` scatters on (target, nucleus, NuHepMC process id, citations)."""
        return CHANNEL_INFO[name]

    def particles(self) -> dict[int, ParticleInfo]:
        """The new states of the model at this point: nu4, nu5 and the Z' (the single source
        of their PDG numbers, names and descriptions for every writer)."""
        pc, w = self.pc, self.widths
        kind = "Majorana" if pc.majorana else "Dirac"
        return {
            PDG_NU4: ParticleInfo(
                PDG_NU4, "nu4", f"lighter sterile neutrino ({kind}), decays to nu Z'",
                pc.m4, float(w["nu4"]["total"]), 0.5, 0.0, standard=False),
            PDG_NU5: ParticleInfo(
                PDG_NU5, "nu5", f"heavier sterile neutrino ({kind}), produced by Z' "
                "exchange, decays to nu4 Z' or nu_light Z'", pc.m5, float(w["nu5"]["total"]),
                0.5, 0.0, standard=False),
            PDG_ZPRIME: ParticleInfo(
                PDG_ZPRIME, "Zprime", "light dark Z' (vector), decays to e+ e-, mu+ mu-, "
                "nu nubar", pc.mzprime, float(w["Zprime"]["total"]), 1.0, 0.0, standard=True),
        }

    def column_docs(self) -> dict[str, tuple[str, str]]:
        """Unit and meaning of the truth columns this process adds to every event
        (``flight_*``: :data:`zpgen.processes.decay_chain.FLIGHT_FIELDS`)."""
        return {
            "flight_nu5": ("cm", "lab flight distance of nu5 before its decay"),
            "flight_zprime": ("cm", "lab flight distance of the Z' of the nu5 decay (0 for "
                                    "the virtual Z' of the off-shell chain)"),
            "flight_nu4": ("cm", "lab flight distance of nu4 before its decay (0 if it does "
                                 "not decay in the record)"),
            "flight_zprime_nu4": ("cm", "lab flight distance of the Z' of the nu4 decay (0 "
                                        "without one)"),
        }

    def info(self) -> Mapping[str, Any]:
        """Run metadata: regime, visible BR, decay asymmetry, widths and decay lengths."""
        return {
            "process": self.name,
            "regime": self.widths["regime"],
            "br_visible": self.br_visible,
            "visible_modes": self.physics.visible_modes,
            "br_visible_nu4": self.br_nu4,
            "br_visible_nu_light": self.br_nu_light,
            "alpha_nu5_nu4": asymmetry(self.pc, "nu5_nu4"),
            "alpha_nu5_nu_light": asymmetry(self.pc, "nu5_nu"),
            "nu5_spin": self.physics.nu5_spin,
            "nu5_helicity": -0.5 if self.physics.nu5_spin == "helicity" else None,
            "decay_correlations": self.physics.decay_correlations,
            "nu4_decays": self.nu4_decays,
            "t_map": "inverse",
            "ctau_cm": dict(self.widths["ctau_cm"]),
            "pdg": {"nu4": PDG_NU4, "nu5": PDG_NU5, "Zprime": PDG_ZPRIME},
        }

    # ------------------------------------------------------------------ setup
    def _decay_params(self) -> np.ndarray:
        """The decay-parameter record of the channels (:data:`decay_chain.DECAY_DTYPE`)."""
        pc = self.pc
        w = self.widths
        dp = np.zeros(1, dtype=dc.DECAY_DTYPE)
        d = dp[0]
        M = pc.mzprime
        g_z = w["Zprime"]["total"]
        gl, gr = chiral(pc.g_45, pc.majorana)
        gl4, gr4 = chiral(pc.g_4a, pc.majorana)
        gl5a, gr5a = chiral(pc.g_5a, pc.majorana)
        d["mz"], d["gamma_z"], d["m5"], d["m4"] = M, g_z, pc.m5, pc.m4
        d["me"], d["mmu"] = constants.M_E, constants.M_MU
        d["gl"], d["gr"] = gl, gr
        d["gl4"], d["gr4"] = gl4, gr4
        d["gl5a"], d["gr5a"] = gl5a, gr5a
        d["cv"], d["ca"], d["g_nu"] = pc.cv_l, pc.ca_l, pc.g_nu
        d["isotropic"] = self.physics.decay_correlations == "isotropic"
        d["spin"] = -1.0
        d["exact_spin"] = self.physics.nu5_spin == "exact"
        ctau = w["ctau_cm"]
        d["ctau5"] = ctau["nu5"]
        d["ctau_z"] = ctau["Zprime"] if math.isfinite(ctau["Zprime"]) else 0.0
        d["ctau4"] = ctau["nu4"] if math.isfinite(ctau["nu4"]) else 0.0
        d["gamma5"] = w["nu5"]["total"]
        if self.offshell:
            d["offshell"] = True
            lo = (2.0 * constants.M_E) ** 2
            hi = (pc.m5 - pc.m4) ** 2
            d["m2_lo"], d["m2_hi"] = lo, hi
            MG = M * g_z
            if M * M - hi > 100.0 * MG:  # uniform in 1/(M^2 - m^2): the pole is far above
                d["mass_map"] = dc.MASS_MAP_INVERSE
                d["map_a"], d["map_b"] = 1.0 / (M * M - lo), 1.0 / (M * M - hi)
            else:  # arctan: Breit-Wigner at or near the upper edge
                d["mass_map"] = dc.MASS_MAP_ARCTAN
                d["map_a"] = math.atan((lo - M * M) / MG)
                d["map_b"] = math.atan((hi - M * M) / MG)
        else:
            d["br_a"] = self.br_nu4
            d["norm5"] = dc.chain_norm(dc.ChainMasses(pc.m5, M, pc.m4, constants.M_E), -1.0,
                                       dc.Couplings(gl, gr, pc.cv_l, pc.ca_l, M, 1.0),
                                       _GL_X, _GL_W, _N_PHI)
        # nu5 decay modes: A = nu4 chain, B = nu_light Z' (decay_chain, "Decay modes of nu5")
        pa = self.br_nu4 / self.br_visible if self.br_visible > 0.0 else 1.0
        d["p_a"] = pa
        if min(pa, 1.0 - pa) >= dc.P_MINOR_MODE:
            d["weights_mode"] = dc.WEIGHTS_BOTH
        else:
            d["weights_mode"] = dc.WEIGHTS_MODE_A if pa >= 0.5 else dc.WEIGHTS_MODE_B
        d["br_b"] = self.br_nu_light
        d["norm5b"] = 1.0
        if self.br_nu_light > 0.0:
            norm_b = dc.chain_norm(dc.ChainMasses(pc.m5, M, 0.0, constants.M_E), -1.0,
                                   dc.Couplings(gl5a, gr5a, pc.cv_l, pc.ca_l, M, 1.0),
                                   _GL_X, _GL_W, _N_PHI)
            d["norm5b"] = norm_b if norm_b > 0.0 else 1.0
        if self.nu4_decays:
            d["nu4_decays"] = True
            br = w["BR"]
            d["c_ee"] = br["Zprime_ee"]
            d["c_mm"] = br["Zprime_ee"] + br["Zprime_mumu"]
            modes = ((constants.M_E, pc.cv_l, pc.ca_l), (constants.M_MU, pc.cv_l, pc.ca_l),
                     (0.0, 0.5 * pc.g_nu, -0.5 * pc.g_nu))
            for k, (mf, cv, ca) in enumerate(modes):
                norm = 0.0
                if 2.0 * mf < M:
                    norm = dc.chain_norm(dc.ChainMasses(pc.m4, M, 0.0, mf), 0.0,
                                         dc.Couplings(gl4, gr4, cv, ca, M, 1.0),
                                         _GL_X, _GL_W, _N_PHI)
                d["norm4"][k] = norm if norm > 0.0 else 1.0
        return dp
