"""Numba event kernels of nu_mu T -> nu5 T', nu5 -> nu4 (Z' -> e+ e-), nu4 -> nu (Z' -> f fbar)
and nu5 -> nu_light (Z' -> e+ e-).

PHYSICS.md, "The process", "Matrix elements and cross section" and "Decays".  One kernel,
:func:`event_weight`, maps a point ``x`` of the unit hypercube (plus a few auxiliary uniform
numbers ``u``) to a weight, and :func:`build_event` turns the same point into the full
event; the batch wrappers
:func:`batch_weights` (VEGAS integrand) and :func:`fill_events` (event generation, writing
the events of a block straight into the structure-of-arrays columns of a
:class:`zpgen.event_record.ChunkBuffer`, no per-block temporaries) both call it, so the
weights used for adaptation and for events are the same function.

Hypercube layout (``x`` columns)
--------------------------------
======= =====================================================================================
column  meaning
======= =====================================================================================
0       E_nu: flux inverse CDF above threshold (done outside, see ``E_nu`` and ``w_flux``)
1       t: uniform in ``1/(M_Z'^2 - t)`` between t_max and t_min (PHYSICS.md: "sample t
        proportional to 1/(t - M_Z'^2)^2 before VEGAS adapts")
2, 3    cos theta, phi of the Z' (pair) in the nu5 rest frame, helicity axes (z = nu5 flight
        direction, x in the plane of the beam and the nu5); both nu5 decay modes use them
4, 5    cos theta*, phi* of the e- in the Z' (pair) rest frame, helicity axes of the Z'
        (z = Z' direction in the nu5 frame; phi* measured from the plane of the nu5 spin
        axis and the Z')
6 - 9   the same two pairs of angles for nu4 -> nu Z', Z' -> f fbar (only if nu4 decays)
last    off-shell regime only: the pair mass squared m_ee^2 (Breit-Wigner-aware map; not
        used by the on-shell nu5 -> nu_light Z' mode, whose integral over it is 1)
======= =====================================================================================

Auxiliary uniforms ``u`` (not adapted, their density is flat): 0 nu5 azimuth about the
beam, 1-4 decay distances of nu5, Z', nu4 and the nu4's Z', 5 the decay mode of the nu4's
Z' (e+e-, mu+mu- or nu nubar by branching ratio; neutrino flavour uniform), 6 the nu5
decay mode (A if ``u6 < p_A``, else B; see "Decay modes of nu5").

Decay modes of nu5
------------------
Two nu5 decays give the visible e+ e- pair (PHYSICS.md "The process": "nu5 -> nu4 Z' (and
nu5 -> nu_alpha Z')"):

* A, the nu4 chain: nu5 -> nu4 Z' -> nu4 e+ e- on shell (``M_Z' < m5 - m4``), nu5 -> nu4
  e+ e- through a virtual Z' off shell; visible branching ratio ``BR_A`` (``br_a`` on shell);
* B, nu5 -> nu_light Z' -> nu_light e+ e- (coupling ``g_5a``, open for ``M_Z' < m5``),
  ``BR_B = BR(nu5 -> nu_light Z') BR(Z' -> ee)`` (``br_b``; 0 when closed or with
  ``physics.visible_modes = "nu4"``).  Same spin-correlated kernel as the on-shell nu4 chain
  with the daughter massless, its own ``<|M|^2>`` (``norm5b``) and the same angle columns
  2-5.  The light neutrino (flavour summed, labelled nu_mu) is final; the event has no nu4.

An event takes mode A with probability ``p_A = BR_A/(BR_A + BR_B)`` (``p_a``) and mode B
with ``p_B = 1 - p_A``, and divides the decay factor of its mode by that probability.

Weight of a point
-----------------
``f = w_flux * dsigma/dt * dt/dx1 * D`` with ``w_flux = Phi(E_nu) dE_nu/dx0`` (nu/cm^2/POT),
``dsigma/dt`` in cm^2/GeV^2 and the decay factor ``D = D_A/p_A`` (mode A) or ``D_B/p_B``
(mode B) for an event; the weights-only path (VEGAS integrand) uses the exact average over
the mode choice, ``D = D_A + D_B``, or, when the minor mode has a probability below
:data:`P_MINOR_MODE` (``weights_mode``), the dominant mode alone, ``D_A/p_A`` or ``D_B/p_B``
(one |M|^2 per point instead of two; VEGAS adapts to the dominant mode).  All have the
same mean.  The factors:

* mode B: ``D_B = BR_B rho5`` with ``rho5`` as below for nu5 -> nu_light Z' (``m4 -> 0``,
  couplings ``chiral(g_5a)``);
* mode A, on-shell regime (``M_Z' < m5 - m4``): ``D_A = BR(nu5 -> nu4 Z') BR(Z' -> ee)
  rho5``, with ``rho5 = |M|^2(angles)/<|M|^2>`` the spin-correlated joint angular density of the two
  decays normalised to unit mean over the four angles (``|M|^2`` of
  :func:`zpgen.processes.decay_kernels.msq_nu5_to_nu4_ff` at ``m_ee = M_Z'`` for the nu5's
  spin state (see "Spin state of nu5"); ``<|M|^2>`` (its angular mean, the same for every
  spin state: |M|^2 is linear in the spin vector, whose term averages to zero) computed
  once at setup by a product Gauss-Legendre / trapezoid rule that is exact for its
  polynomial / trigonometric dependence);
* mode A, off-shell regime: ``D_A = dGamma(nu5 -> nu4 e+ e-)/Gamma_nu5 =
  |M|^2/(2 m5 Gamma_nu5) (dm^2/dx)/(2 pi) |p1|/(4 pi m5) |p2|/(4 pi m_ee)``
  (three-body phase space as nu5 -> nu4 (ee), (ee) -> e+ e-; the angles are uniform on the
  unit cube, ``dOmega/4pi = dx dx'``);
* ``isotropic`` correlations (comparison only): ``rho5 = 1`` on shell, and off shell the
  angular average of the unpolarised ``|M|^2`` at the sampled m_ee^2 (3-point
  Gauss-Legendre in cos theta*, exact since it is quadratic);
* nu4 decays (mode A) multiply ``D_A`` by ``rho4 = |M|^2/<|M|^2>`` of the unpolarised
  nu4 -> nu Z' -> nu f fbar (unit mean: the nu4 decay never changes the event rate; the
  mode is chosen by BR).

The angular and pair-mass integrals of ``D_A`` and ``D_B`` are ``BR_A`` and ``BR_B``, so the
hypercube integral of ``f`` (over ``x`` and ``u``) is
``BR_visible * int Phi(E) sigma(E) dE = (BR_A + BR_B) * int Phi sigma dE`` per target
particle per POT (:func:`zpgen.processes.widths.visible_branching_ratio` with the card's
``physics.visible_modes``).

Spin state of nu5
-----------------
``physics.nu5_spin = "exact"`` (default): the nu5 decays with the polarisation vector
``P = (P_x, 0, P_z)`` of its production at the event's ``(E_nu, t)``
(:func:`zpgen.processes.xsec.nu5_polarisation`; helicity frame, x in the plane of the beam
and the nu5), i.e. the density matrix ``(1 + P.sigma)/2`` contracted with the decay
amplitude: the kernel's spin four-vector is ``P_x s_x + P_z s_z``.  This is exact for the
production x decay chain (the interference between nu5 helicities is the transverse part;
``tests/processes/test_nu5_spin.py`` checks it against the coherent spin sum of explicit
amplitudes).  ``"helicity"``: ``P = (0, -1)`` at every point, the behaviour of earlier
releases (bit for bit).  Far above threshold both agree; near threshold the +1/2 share
``(1 + P_z)/2`` reaches tens of per cent (``validation/spin``).

Antineutrino beams
------------------
A numubar flux (beam PDG -14) gives the CP-conjugate chain nubar_mu T -> nu5bar T,
nu5bar -> nu4bar Z' (-> e+ e-), nu4bar -> nubar Z' (``conjugate`` in the decay record).
For real couplings and a vector target current (xsec docstring, "Spin state of nu5"):
``dsigma/dt`` is unchanged, the polarisation is reversed (``P_nubar = -P``, helicity +1/2
dominant), and the antiparticle's decay density obeys
``|M|^2_nubar(s; f, fbar) = |M|^2(-s; fbar, f)``.  Together
``|M|^2_nubar(P_nubar; f, fbar) = |M|^2(P; fbar, f)``: the kernel evaluates the
*particle's* density with the particle's ``P`` and the event builder puts the momentum it
generated as "f" into the fbar slot (e+) and vice versa, in both Z' decays.  So the nu and
nubar weights are equal point by point and a numubar event is the CP image of a numu one
(e- and e+ spectra exchanged).  PDG numbers: the beam is -14; Dirac nu5, nu4 and the
light neutrinos become antiparticles (-9900014, -9900012, -14); Majorana nu5 and nu4 are
their own antiparticles (positive codes; the light neutrino of a Majorana decay, summed
over nu and nubar in the couplings, keeps the beam's sign as a label).  With
``nu5_spin = "helicity"`` a numubar event has the nu5bar in helicity +1/2 (the CP image of
-1/2).

Decay vertices
--------------
Each particle carries its production vertex (x, y, z in cm, t in ns, relative to the
interaction).  nu5, Z' (on shell), nu4 and the nu4's Z' fly ``L = -lambda log(1 - u)`` with
``lambda = (|p|/m) c tau`` before decaying; ``t = L E/(|p| c)``.  An off-shell Z' (mode A)
is a virtual line: its daughters start at the nu5 decay vertex; the Z' of mode B is always
on shell and flies.  Each event also records the four flight distances L (cm) as truth
columns (:data:`FLIGHT_FIELDS`: nu5, its Z', nu4, the nu4's Z'; 0 for a particle that does
not fly): the positions alone lose them to rounding (a nu4 decays ~1e11 cm away, where a
double resolves ~1e-5 cm, while the Z' flies ~1e-5 cm), and reweighting to other
lifetimes (:mod:`zpgen.processes.reweight`) needs them exactly.


Parameters
----------
A channel's decay parameters are one record of :data:`DECAY_DTYPE` (a numpy structured
array of length 1, built by ``DarkNeutrinoProcess``): masses, chiral couplings, branching
ratios, the ``<|M|^2>`` normalisations, decay lengths, the off-shell pair-mass map and
typed flags (``offshell``, ``isotropic``, ``nu4_decays``: booleans; ``mass_map``,
``mass_column``, ``weights_mode``: integers).  Inside the kernels a decay is described by
three small named tuples: :class:`ChainMasses` (parent, Z' or pair, daughter, fermion),
:class:`Angles` (the two helicity-frame angle pairs) and :class:`Couplings` (g_L, g_R,
C_V, C_A of the chain and the propagator's M, Gamma).  Every Numba signature is in the
"signatures" block below.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt

from zpgen import constants
from zpgen.kinematics import (
    boost_from_rest,
    incoming,
    rotate_from_axis,
    scatter_2to2,
    two_body_decay,
    two_body_momentum,
)

from .decay_kernels import msq_nu5_to_nu4_ff
from .xsec import I_M, I_M5, dsigma_dt, nu5_polarisation, t_range

__all__ = [
    "DECAY_DTYPE",
    "FLIGHT_FIELDS",
    "MASS_MAP_ARCTAN",
    "MASS_MAP_INVERSE",
    "MODE_NU_LIGHT",
    "N_AUX",
    "N_PARTICLES_NU4",
    "N_PARTICLES_SHORT",
    "PDG_NU_LIGHT",
    "P_MINOR_MODE",
    "WEIGHTS_BOTH",
    "WEIGHTS_MODE_A",
    "WEIGHTS_MODE_B",
    "Angles",
    "ChainMasses",
    "Couplings",
    "batch_weights",
    "build_event",
    "chain_momenta",
    "chain_msq",
    "chain_norm",
    "event_weight",
    "fill_events",
]

FloatArray = npt.NDArray[np.float64]

# ----------------------------------------------------------------------------- records
#: Decay parameters of a channel (module docstring, "Parameters").
DECAY_DTYPE = np.dtype([
    ("mz", np.float64),        # Z' mass (GeV)
    ("gamma_z", np.float64),   # Z' total width (GeV)
    ("m5", np.float64),        # nu5 and nu4 masses (GeV)
    ("m4", np.float64),
    ("me", np.float64),        # electron and muon masses (GeV)
    ("mmu", np.float64),
    ("gl", np.float64),        # nu5-nu4 chiral couplings
    ("gr", np.float64),
    ("gl4", np.float64),       # nu4-nu_light chiral couplings
    ("gr4", np.float64),
    ("gl5a", np.float64),      # nu5-nu_light chiral couplings
    ("gr5a", np.float64),
    ("cv", np.float64),        # charged-lepton C_V, C_A
    ("ca", np.float64),
    ("g_nu", np.float64),      # Z' nu nu coupling (P_L)
    ("norm5", np.float64),     # <|M|^2> of the on-shell nu5 chain (helicity -1/2)
    ("norm5b", np.float64),    # <|M|^2> of nu5 -> nu_light Z' -> nu_light e+e-
    ("norm4", np.float64, (3,)),  # <|M|^2> of nu4 -> nu Z' -> nu f fbar, f = e, mu, nu
    ("br_a", np.float64),      # on shell: BR(nu5 -> nu4 Z') BR(Z' -> ee)
    ("br_b", np.float64),      # BR(nu5 -> nu_light Z') BR(Z' -> ee) (0: mode B off)
    ("p_a", np.float64),       # probability of mode A among the visible nu5 modes
    ("c_ee", np.float64),      # cumulative BR of the nu4's Z': ee, ee + mumu
    ("c_mm", np.float64),
    ("ctau5", np.float64),     # c tau (cm) of nu5, Z', nu4
    ("ctau_z", np.float64),
    ("ctau4", np.float64),
    ("gamma5", np.float64),    # total nu5 width (GeV)
    ("m2_lo", np.float64),     # off-shell pair-mass range (GeV^2)
    ("m2_hi", np.float64),
    ("map_a", np.float64),     # pair-mass map bounds
    ("map_b", np.float64),
    ("spin", np.float64),      # nu5 helicity x 2 (-1: left-handed) when not exact_spin
    ("exact_spin", np.bool_),  # nu5 polarisation from the production amplitude
    ("conjugate", np.bool_),   # antineutrino beam: f and fbar momenta exchanged (CP)
    ("offshell", np.bool_),    # three-body regime
    ("isotropic", np.bool_),   # isotropic decays (comparison only)
    ("nu4_decays", np.bool_),
    ("mass_map", np.int64),    # MASS_MAP_ARCTAN or MASS_MAP_INVERSE
    ("mass_column", np.int64),  # column of x holding the pair mass
    ("weights_mode", np.int64),  # WEIGHTS_BOTH, WEIGHTS_MODE_A or WEIGHTS_MODE_B
], align=True)

#: Off-shell pair-mass maps: arctan (Breit-Wigner at or near the upper edge) or uniform in
#: 1/(M^2 - m^2) (the pole far above the range).
MASS_MAP_ARCTAN = 0
MASS_MAP_INVERSE = 1
#: Weights-only path (VEGAS integrand): the exact average over both nu5 modes, or the
#: dominant mode alone divided by its probability.
WEIGHTS_BOTH = 0
WEIGHTS_MODE_A = 1
WEIGHTS_MODE_B = 2
#: Below this probability the minor nu5 decay mode is left out of the VEGAS integrand.
P_MINOR_MODE = 0.01

#: Number of auxiliary uniforms per event.
N_AUX = 7
#: Particles per event without / with the nu4 decay chain.
N_PARTICLES_SHORT = 8
N_PARTICLES_NU4 = 12
#: Mode returned for nu5 -> nu_light Z' (mode B: no nu4 in the event).
MODE_NU_LIGHT = -2
#: PDG id given to the light neutrinos (flavour summed in the couplings: labelled nu_mu).
PDG_NU_LIGHT = 14

# particle slots
S_BEAM, S_TARGET, S_NU5, S_RECOIL, S_NU4, S_ZP, S_EM, S_EP = 0, 1, 2, 3, 4, 5, 6, 7
S_NUA, S_ZP2, S_F, S_FB = 8, 9, 10, 11
#: Flights recorded per event (truth columns :data:`FLIGHT_FIELDS`, cm): nu5, the Z' of the
#: nu5 decay, nu4 and the Z' of the nu4 decay.
F_NU5, F_ZP, F_NU4, F_ZP2 = 0, 1, 2, 3
N_FLIGHTS = 4
FLIGHT_FIELDS = ("flight_nu5", "flight_zprime", "flight_nu4", "flight_zprime_nu4")
# rows of the scratch momenta W: the nu5 decay (q, daughter, f, fbar, parent, spin), the nu4
# decay (the same six rows from 6), and the nu5 and nu4 decay vertices
W_NU5, W_NU4, W_V5, W_V4 = 0, 6, 12, 13
N_W = 14

#: A decay chain parent -> daughter (q -> f fbar): the masses (GeV).
ChainMasses = namedtuple("ChainMasses", ("parent", "q", "daughter", "fermion"))
#: The helicity-frame angles: q along (cos_q, phi_q) in the parent frame, f along
#: (cos_f, phi_f) in the frame of q.
Angles = namedtuple("Angles", ("cos_q", "phi_q", "cos_f", "phi_f"))
#: Chiral couplings of the heavy-neutrino vertex, C_V, C_A of the f fbar vertex and the
#: propagator's mass and width (GeV).
Couplings = namedtuple("Couplings", ("gL", "gR", "cv", "ca", "M", "Gamma"))

_TWO_PI = 2.0 * math.pi
_C_CM_NS = constants.C_LIGHT_CM_S * 1e-9
# 3-point Gauss-Legendre on [-1, 1]
_GL3_X = (-math.sqrt(0.6), 0.0, math.sqrt(0.6))
_GL3_W = (5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0)
_OPTS = {"cache": True, "error_model": "numpy", "nogil": True}

# ----------------------------------------------------------------------------- signatures
_F8 = nb.float64
_V4 = nb.float64[::1]
_M4 = nb.float64[:, ::1]
_I32 = nb.int32[::1]
_REC = nb.from_dtype(DECAY_DTYPE)
_DP = _REC[::1]
_MASSES = nb.types.NamedUniTuple(_F8, 4, ChainMasses)
_ANGLES = nb.types.NamedUniTuple(_F8, 4, Angles)
_COUPLINGS = nb.types.NamedUniTuple(_F8, 6, Couplings)
SIG_CHAIN_MOMENTA = nb.void(_MASSES, _ANGLES, _M4)
SIG_CHAIN_MSQ = _F8(_M4, _MASSES, _F8, _F8, _COUPLINGS)
SIG_CHAIN_NORM = _F8(_MASSES, _F8, _COUPLINGS, _V4, _V4, nb.int64)
SIG_FLY = _F8(_V4, _V4, _F8, _F8, _F8, _F8, _V4)
SIG_TO_LAB = nb.void(_V4, _V4, _V4)
SIG_COPY4 = nb.void(_V4, _V4)
SIG_T_MAP = nb.types.UniTuple(_F8, 2)(_F8, _F8, _F8, _F8)
SIG_MODE_A_ONSHELL = _F8(_ANGLES, _F8, _F8, _REC, _M4)
SIG_MODE_A_OFFSHELL = _F8(_F8, _ANGLES, _F8, _F8, _REC, _M4)
SIG_MODE_B = _F8(_ANGLES, _F8, _F8, _REC, _M4)
SIG_NU4 = nb.types.Tuple((_F8, nb.int64))(_V4, _F8, _REC, _M4)
SIG_EVENT_WEIGHT = nb.types.Tuple((_F8, _F8, nb.int64))(_V4, _F8, _F8, _V4, _V4, _DP, _M4,
                                                        nb.boolean)
SIG_BUILD_EVENT = nb.void(_F8, _F8, _F8, _F8, nb.int64, _V4, _DP, _M4, _M4, _M4, _V4)
SIG_BATCH_WEIGHTS = _V4(_M4, _V4, _V4, _V4, _DP)
SIG_FILL_EVENTS = nb.void(_M4, _V4, _V4, _M4, _V4, _DP, nb.int64, _V4, _V4, _M4, _M4, _I32,
                          _I32, _I32, nb.int64[::1], _I32, _I32, _I32, nb.int32[:, ::1], _V4,
                          _V4, _V4, _V4)


# ----------------------------------------------------------------------------- one chain
@nb.njit(SIG_CHAIN_MOMENTA, **_OPTS)
def chain_momenta(m: ChainMasses, a: Angles, W: FloatArray) -> None:
    """Momenta of ``parent -> daughter (q -> f fbar)`` in the parent's helicity frame.

    Writes ``W[0]`` = q, ``W[1]`` = daughter, ``W[2]`` = f, ``W[3]`` = fbar (the parent at
    rest; q along ``(cos_q, phi_q)``, f along ``(cos_f, phi_f)`` in the helicity frame of q).
    """
    q, p4, pf, pb = W[0], W[1], W[2], W[3]
    two_body_decay(m.parent, m.q, m.daughter, a.cos_q, a.phi_q, q, p4)
    two_body_decay(m.q, m.fermion, m.fermion, a.cos_f, a.phi_f, pf, pb)
    rotate_from_axis(pf, q[1], q[2], q[3], pf)
    rotate_from_axis(pb, q[1], q[2], q[3], pb)
    boost_from_rest(pf, q, pf)
    boost_from_rest(pb, q, pb)


@nb.njit(SIG_CHAIN_MSQ, **_OPTS)
def chain_msq(W: FloatArray, m: ChainMasses, spin_x: float, spin_z: float,
              c: Couplings) -> float:
    """|M|^2 of the chain whose momenta :func:`chain_momenta` wrote in ``W[0:4]``.

    The parent is at rest with spin vector ``(0, spin_x, 0, spin_z)`` in its helicity frame
    (the polarisation ``P``, ``|P| <= 1``: ``(0, -1)`` helicity -1/2, ``(0, 0)``
    unpolarised; the kernel is linear in it, so a partially polarised parent needs no other
    normalisation); ``W[4]`` and ``W[5]`` hold them (scratch rows).
    """
    p5, s5 = W[4], W[5]
    p5[0] = m.parent
    p5[1] = 0.0
    p5[2] = 0.0
    p5[3] = 0.0
    s5[0] = 0.0
    s5[1] = spin_x
    s5[2] = 0.0
    s5[3] = spin_z
    return msq_nu5_to_nu4_ff(p5, s5, W[1], W[2], W[3], m.parent, m.daughter, m.fermion,
                             c.gL, c.gR, c.cv, c.ca, c.M, c.Gamma)


@nb.njit(SIG_CHAIN_NORM, **_OPTS)
def chain_norm(m: ChainMasses, spin_z: float, c: Couplings, gl_x: FloatArray,
               gl_w: FloatArray, n_phi: int) -> float:
    """Mean of :func:`chain_msq` over the four decay angles.

    Gauss-Legendre in both cosines (``gl_x, gl_w`` on [-1, 1]) and an ``n_phi``-point
    trapezoid rule in both azimuths: exact for the low-degree polynomial / trigonometric
    dependence of ``|M|^2`` on the angles.
    """
    W = np.empty((6, 4))
    total = 0.0
    for i in range(gl_x.shape[0]):
        for j in range(gl_x.shape[0]):
            for k in range(n_phi):
                for n in range(n_phi):
                    chain_momenta(m, Angles(gl_x[i], _TWO_PI * k / n_phi, gl_x[j],
                                            _TWO_PI * n / n_phi), W)
                    total += gl_w[i] * gl_w[j] * chain_msq(W, m, 0.0, spin_z, c)
    return total / (4.0 * n_phi * n_phi)


# ----------------------------------------------------------------------------- helpers
@nb.njit(SIG_FLY, **_OPTS)
def _fly(p: FloatArray, start: FloatArray, m: float, ctau: float, u: float, E: float,
         out: FloatArray) -> float:
    """Decay vertex (x, y, z, t) of a particle of momentum p made at ``start``; returns the
    lab flight distance L (cm; 0 for a particle at rest or with ``ctau = 0``)."""
    pabs = math.sqrt(p[1] * p[1] + p[2] * p[2] + p[3] * p[3])
    if pabs <= 0.0 or ctau <= 0.0:
        out[0] = start[0]
        out[1] = start[1]
        out[2] = start[2]
        out[3] = start[3]
        return 0.0
    L = -(pabs / m) * ctau * math.log1p(-u)
    out[0] = start[0] + L * p[1] / pabs
    out[1] = start[1] + L * p[2] / pabs
    out[2] = start[2] + L * p[3] / pabs
    out[3] = start[3] + L * E / (pabs * _C_CM_NS)
    return L


@nb.njit(SIG_TO_LAB, **_OPTS)
def _to_lab(v: FloatArray, parent: FloatArray, out: FloatArray) -> None:
    """Helicity-frame vector in the rest frame of ``parent`` -> the lab."""
    rotate_from_axis(v, parent[1], parent[2], parent[3], out)
    boost_from_rest(out, parent, out)


@nb.njit(SIG_COPY4, **_OPTS)
def _copy4(src: FloatArray, dst: FloatArray) -> None:
    dst[0] = src[0]
    dst[1] = src[1]
    dst[2] = src[2]
    dst[3] = src[3]


@nb.njit(SIG_T_MAP, **_OPTS)
def _t_map(x1: float, t_min: float, t_max: float, mz2: float) -> tuple[float, float]:
    """t uniform in ``1/(M_Z'^2 - t)`` (hypercube column 1) and dt/dx1."""
    a = 1.0 / (mz2 - t_max)
    b = 1.0 / (mz2 - t_min)
    v = a + (b - a) * x1
    t = mz2 - 1.0 / v
    return min(max(t, t_min), t_max), (a - b) / (v * v)


# ----------------------------------------------------------------------------- decay modes
@nb.njit(SIG_MODE_B, **_OPTS)
def _mode_b(a: Angles, sx: float, sz: float, d: Any, W: FloatArray) -> float:
    """Decay factor ``D_B = BR_B rho5`` of nu5 -> nu_light Z' -> nu_light e+e- (momenta in W)."""
    m = ChainMasses(d.m5, d.mz, 0.0, d.me)
    chain_momenta(m, a, W)
    amp = chain_msq(W, m, sx, sz, Couplings(d.gl5a, d.gr5a, d.cv, d.ca, d.mz, 1.0))
    return d.br_b if d.isotropic else d.br_b * amp / d.norm5b


@nb.njit(SIG_MODE_A_ONSHELL, **_OPTS)
def _mode_a_onshell(a: Angles, sx: float, sz: float, d: Any, W: FloatArray) -> float:
    """``D_A = BR(nu5 -> nu4 Z') BR(Z' -> ee) rho5`` of the on-shell nu4 chain."""
    m = ChainMasses(d.m5, d.mz, d.m4, d.me)
    chain_momenta(m, a, W)
    amp = chain_msq(W, m, sx, sz, Couplings(d.gl, d.gr, d.cv, d.ca, d.mz, 1.0))
    return d.br_a if d.isotropic else d.br_a * amp / d.norm5


@nb.njit(SIG_MODE_A_OFFSHELL, **_OPTS)
def _mode_a_offshell(x_m: float, a: Angles, sx: float, sz: float, d: Any,
                     W: FloatArray) -> float:
    """``D_A = dGamma(nu5 -> nu4 e+e-)/Gamma_nu5`` at the pair mass of column ``x_m``."""
    M2 = d.mz * d.mz
    MG = d.mz * d.gamma_z
    if d.mass_map == MASS_MAP_ARCTAN:
        th = d.map_a + (d.map_b - d.map_a) * x_m
        m2 = min(max(M2 + MG * math.tan(th), d.m2_lo), d.m2_hi)
        jac_m2 = (d.map_b - d.map_a) * ((m2 - M2) ** 2 + MG * MG) / MG
    else:
        vv = d.map_a + (d.map_b - d.map_a) * x_m
        m2 = min(max(M2 - 1.0 / vv, d.m2_lo), d.m2_hi)
        jac_m2 = (d.map_b - d.map_a) / (vv * vv)
    mq = math.sqrt(m2)
    p1 = two_body_momentum(d.m5, mq, d.m4)
    p2 = two_body_momentum(mq, d.me, d.me)
    if not (p1 > 0.0 and p2 > 0.0):
        return 0.0
    m = ChainMasses(d.m5, mq, d.m4, d.me)
    c = Couplings(d.gl, d.gr, d.cv, d.ca, d.mz, d.gamma_z)
    amp = 0.0
    if d.isotropic:  # average over cos theta* of the unpolarised |M|^2 (quadratic in it)
        for k in range(3):
            chain_momenta(m, Angles(a.cos_q, a.phi_q, _GL3_X[k], 0.0), W)
            amp += 0.5 * _GL3_W[k] * chain_msq(W, m, 0.0, 0.0, c)
    chain_momenta(m, a, W)  # the event's own kinematics stay in W
    amp_full = chain_msq(W, m, sx, sz, c)
    if not d.isotropic:
        amp = amp_full
    return (amp / (2.0 * d.m5 * d.gamma5) * jac_m2 / _TWO_PI
            * p1 / (4.0 * math.pi * d.m5) * p2 / (4.0 * math.pi * mq))


@nb.njit(SIG_NU4, **_OPTS)
def _nu4_decay(x: FloatArray, u_mode: float, d: Any, W: FloatArray) -> tuple[float, int]:
    """``rho4 = |M|^2/<|M|^2>`` of nu4 -> nu Z' -> nu f fbar (unpolarised) and the Z' decay
    mode (0 ee, 1 mumu, 2/3/4 nu_e/nu_mu/nu_tau pairs) picked by ``u_mode`` and the BRs;
    the momenta go to ``W[W_NU4:]``."""
    if u_mode < d.c_ee:
        mode, mf, cv, ca = 0, d.me, d.cv, d.ca
    elif u_mode < d.c_mm:
        mode, mf, cv, ca = 1, d.mmu, d.cv, d.ca
    else:
        rest = (u_mode - d.c_mm) / (1.0 - d.c_mm)
        mode = 2 + min(int(3.0 * rest), 2)
        mf, cv, ca = 0.0, 0.5 * d.g_nu, -0.5 * d.g_nu
    m = ChainMasses(d.m4, d.mz, 0.0, mf)
    W4 = W[W_NU4:W_NU4 + 6]
    chain_momenta(m, Angles(2.0 * x[6] - 1.0, _TWO_PI * x[7], 2.0 * x[8] - 1.0,
                            _TWO_PI * x[9]), W4)
    amp = chain_msq(W4, m, 0.0, 0.0, Couplings(d.gl4, d.gr4, cv, ca, d.mz, 1.0))
    return amp / d.norm4[min(mode, 2)], mode


# ----------------------------------------------------------------------------- one point
@nb.njit(SIG_EVENT_WEIGHT, **_OPTS)
def event_weight(x: FloatArray, E_nu: float, w_flux: float, u: FloatArray, cp: FloatArray,
                 dp: np.ndarray, W: FloatArray, event: bool) -> tuple[float, float, int]:
    """Weight of one point (module docstring, "Weight of a point").

    Parameters
    ----------
    x : float64[d]
        Hypercube point (column 0 already mapped to ``E_nu``, ``w_flux``).
    E_nu, w_flux : float
        Neutrino energy (GeV) and ``Phi(E_nu) dE_nu/dx0`` (nu/cm^2/POT).
    u : float64[N_AUX]
        Auxiliary uniforms (read only when ``event``).
    cp, dp
        Channel parameters (:func:`zpgen.processes.xsec.channel_params`) and the decay
        parameters (a length-1 :data:`DECAY_DTYPE` array).
    W : float64[N_W, 4]
        Scratch momenta; for an event they keep the chosen decay mode's kinematics for
        :func:`build_event`.
    event : bool
        Weight of an event (one nu5 mode picked by ``u[6]``, the nu4's Z' mode by
        ``u[5]``) or of the VEGAS integrand (the exact average over the nu5 modes, or the
        dominant one alone: ``weights_mode``).

    Returns
    -------
    (weight, t, mode)
        ``f``, t in GeV^2, and the nu4's Z' decay mode (0 ee, 1 mumu, 2/3/4 neutrino
        pairs; -1 without a nu4 decay) or :data:`MODE_NU_LIGHT` (-2) for mode B.
    """
    d = dp[0]
    t_min, t_max = t_range(E_nu, cp[I_M], cp[I_M5])
    if not (t_max > t_min) or w_flux <= 0.0:
        return 0.0, math.nan, -1
    t, dt_dx = _t_map(x[1], t_min, t_max, d.mz * d.mz)
    weight = w_flux * dsigma_dt(E_nu, t, cp) * dt_dx
    if weight == 0.0:
        return 0.0, t, -1
    sx, sz = 0.0, 0.0  # the nu5 polarisation in its helicity frame
    if not d.isotropic:
        if d.exact_spin:
            sx, sz = nu5_polarisation(E_nu, t, cp)
        else:
            sz = d.spin
    a = Angles(2.0 * x[2] - 1.0, _TWO_PI * x[3], 2.0 * x[4] - 1.0, _TWO_PI * x[5])
    # the nu5 decay mode (module docstring, "Decay modes of nu5")
    divide = event or d.weights_mode != WEIGHTS_BOTH
    if event:
        use_a = u[6] < d.p_a
        use_b = not use_a
    elif d.weights_mode == WEIGHTS_BOTH:
        use_a = d.p_a > 0.0
        use_b = d.p_a < 1.0
    else:
        use_a = d.weights_mode == WEIGHTS_MODE_A
        use_b = not use_a
    dec_a = 0.0
    dec_b = 0.0
    mode = -1
    if use_b:
        dec_b = _mode_b(a, sx, sz, d, W)
        if divide:
            dec_b /= 1.0 - d.p_a
        if event:
            mode = MODE_NU_LIGHT
    if use_a:
        if d.offshell:
            dec_a = _mode_a_offshell(x[d.mass_column], a, sx, sz, d, W)
        else:
            dec_a = _mode_a_onshell(a, sx, sz, d, W)
        if divide:
            dec_a /= d.p_a
        if d.nu4_decays:
            rho4, mode = _nu4_decay(x, u[5] if event else 0.0, d, W)
            if not d.isotropic:
                dec_a *= rho4
    weight *= dec_a + dec_b
    if weight == 0.0:
        return 0.0, t, -1
    return weight, t, mode


@nb.njit(SIG_BUILD_EVENT, **_OPTS)
def build_event(E_nu: float, M: float, m5: float, t: float, mode: int, u: FloatArray,
                dp: np.ndarray, W: FloatArray, P: FloatArray, V: FloatArray,
                L: FloatArray) -> None:
    """Lab four-momenta ``P`` and production vertices ``V`` of the event whose decay
    kinematics :func:`event_weight` left in ``W`` (slot table in ``dark_neutrino``), and
    the lab flight distances ``L`` (cm) of nu5, its Z', nu4 and the nu4's Z' (module
    docstring, "Decay vertices"; 0 for a particle that does not fly)."""
    d = dp[0]
    for k in range(P.shape[0]):
        for j in range(4):
            V[k, j] = 0.0
    for k in range(N_FLIGHTS):
        L[k] = 0.0
    incoming(E_nu, M, P[S_BEAM], P[S_TARGET])
    p5 = P[S_NU5]
    scatter_2to2(E_nu, M, m5, t, _TWO_PI * u[0], p5, P[S_RECOIL])
    # slot S_NU4 holds nu4 (mode A) or the light neutrino (mode B)
    _to_lab(W[W_NU5 + 1], p5, P[S_NU4])
    _to_lab(W[W_NU5], p5, P[S_ZP])
    # an antineutrino beam (CP conjugate) exchanges the roles of f and fbar (module
    # docstring, "Antineutrino beams")
    f_row = 3 if d.conjugate else 2
    _to_lab(W[W_NU5 + f_row], p5, P[S_EM])
    _to_lab(W[W_NU5 + 5 - f_row], p5, P[S_EP])
    if mode == MODE_NU_LIGHT:  # no nu4 chain: the slots beyond the short layout are unused
        for k in range(N_PARTICLES_SHORT, P.shape[0]):
            for j in range(4):
                P[k, j] = 0.0
    # vertices: nu5 decay, then Z' decay (virtual Z' off shell: no flight)
    v5 = W[W_V5]
    L[F_NU5] = _fly(p5, V[S_NU5], m5, d.ctau5, u[1], p5[0], v5)
    _copy4(v5, V[S_NU4])
    _copy4(v5, V[S_ZP])
    vz = W[W_V4]
    if d.offshell and mode != MODE_NU_LIGHT:
        _copy4(v5, vz)
    else:
        L[F_ZP] = _fly(P[S_ZP], v5, d.mz, d.ctau_z, u[2], P[S_ZP, 0], vz)
    _copy4(vz, V[S_EM])
    _copy4(vz, V[S_EP])
    if mode >= 0:
        p4 = P[S_NU4]
        _to_lab(W[W_NU4 + 1], p4, P[S_NUA])
        _to_lab(W[W_NU4], p4, P[S_ZP2])
        _to_lab(W[W_NU4 + f_row], p4, P[S_F])
        _to_lab(W[W_NU4 + 5 - f_row], p4, P[S_FB])
        v4 = W[W_V5]
        L[F_NU4] = _fly(p4, V[S_NU4], d.m4, d.ctau4, u[3], p4[0], v4)
        _copy4(v4, V[S_NUA])
        _copy4(v4, V[S_ZP2])
        vz2 = W[W_V4]
        L[F_ZP2] = _fly(P[S_ZP2], v4, d.mz, d.ctau_z, u[4], P[S_ZP2, 0], vz2)
        _copy4(vz2, V[S_F])
        _copy4(vz2, V[S_FB])


# ----------------------------------------------------------------------------- batches
@nb.njit(SIG_BATCH_WEIGHTS, **_OPTS)
def batch_weights(x: FloatArray, E_nu: FloatArray, w_flux: FloatArray, cp: FloatArray,
                  dp: np.ndarray) -> FloatArray:
    """Weights ``f(x)`` of a batch of hypercube points (the VEGAS integrand)."""
    n = x.shape[0]
    out = np.empty(n)
    W = np.empty((N_W, 4))
    u = np.zeros(N_AUX)
    for i in range(n):
        out[i] = event_weight(x[i], E_nu[i], w_flux[i], u, cp, dp, W, False)[0]
    return out


@nb.njit(SIG_FILL_EVENTS, **_OPTS)
def fill_events(x: FloatArray, E_nu: FloatArray, w_flux: FloatArray, u: FloatArray,
                cp: FloatArray, dp: np.ndarray, start: int, f_out: FloatArray,
                t_out: FloatArray, momenta: FloatArray, vertices: FloatArray,
                pdg_out: npt.NDArray[np.int32], status_out: npt.NDArray[np.int32],
                mother_out: npt.NDArray[np.int32], count_out: npt.NDArray[np.int64],
                pdg: npt.NDArray[np.int32], status: npt.NDArray[np.int32],
                mother: npt.NDArray[np.int32], mode_pdg: npt.NDArray[np.int32],
                l5_out: FloatArray, lz_out: FloatArray, l4_out: FloatArray,
                lz2_out: FloatArray) -> None:
    """Events of a block written into chunk columns from event row ``start``.

    Parameters
    ----------
    x, E_nu, w_flux, u, cp, dp
        Points, ``E_nu`` and ``w_flux`` from the flux map, auxiliary uniforms and the
        channel and decay parameters (``n`` points; :func:`event_weight`).
    start
        First event row of the chunk to fill (rows ``start .. start + n - 1``).
    f_out, t_out : float64[capacity]
        Weight ``f`` and t (GeV^2) per event.
    momenta, vertices : float64[4, capacity * k]
        Particle columns (E, px, py, pz) and (x, y, z, t), ``k = len(pdg)``.
    pdg_out, status_out, mother_out : int32[capacity * k]
        Particle id columns; ``pdg``, ``status``, ``mother`` (int32[k]) are the per-event
        templates (of a nu4-chain event); the f fbar pair of the nu4's Z' (slots ``S_F``,
        ``S_FB``) takes ``mode_pdg[mode]`` when nu4 decays.  In a nu5 -> nu_light Z' event
        slot ``S_NU4`` becomes the light neutrino (:data:`PDG_NU_LIGHT`, status 1).
    count_out : int64[capacity]
        Particles of each event: ``k``, or ``N_PARTICLES_SHORT`` for a nu5 -> nu_light Z'
        event (the slots beyond are zeroed and are not part of the event:
        :meth:`zpgen.event_record.ChunkBuffer.to_awkward` leaves them out).
    l5_out, lz_out, l4_out, lz2_out : float64[capacity]
        Lab flight distances (cm) of nu5, its Z', nu4 and the nu4's Z' (the truth columns
        :data:`FLIGHT_FIELDS`; 0 for a particle that does not fly), which
        :mod:`zpgen.processes.reweight` needs at full precision.

    Zero-weight points (outside the physical region) get zero momenta and vertices.
    """
    k = pdg.shape[0]
    P = np.zeros((k, 4))
    V = np.zeros((k, 4))
    W = np.empty((N_W, 4))
    L = np.zeros(N_FLIGHTS)
    for i in range(x.shape[0]):
        w, t, mode = event_weight(x[i], E_nu[i], w_flux[i], u[i], cp, dp, W, True)
        row = start + i
        f_out[row] = w
        t_out[row] = t
        if w == 0.0:
            for s in range(k):
                for j in range(4):
                    P[s, j] = 0.0
                    V[s, j] = 0.0
            for j in range(N_FLIGHTS):
                L[j] = 0.0
        else:
            build_event(E_nu[i], cp[I_M], cp[I_M5], t, mode, u[i], dp, W, P, V, L)
        l5_out[row] = L[F_NU5]
        lz_out[row] = L[F_ZP]
        l4_out[row] = L[F_NU4]
        lz2_out[row] = L[F_ZP2]
        base = row * k
        for s in range(k):
            for j in range(4):
                momenta[j, base + s] = P[s, j]
                vertices[j, base + s] = V[s, j]
            pdg_out[base + s] = pdg[s]
            status_out[base + s] = status[s]
            mother_out[base + s] = mother[s]
        count_out[row] = k
        if mode >= 0 and k > S_FB:
            pdg_out[base + S_F] = mode_pdg[mode, 0]
            pdg_out[base + S_FB] = mode_pdg[mode, 1]
        elif mode == MODE_NU_LIGHT:
            pdg_out[base + S_NU4] = -PDG_NU_LIGHT if dp[0].conjugate else PDG_NU_LIGHT
            status_out[base + S_NU4] = 1
            count_out[row] = N_PARTICLES_SHORT
