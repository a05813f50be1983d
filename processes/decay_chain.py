"""Numba event kernels of nu_mu T -> nu5 T', nu5 -> nu4 (Z' -> e+ e-), nu4 -> nu (Z' -> f fbar)
and nu5 -> nu_light (Z' -> e+ e-).

PHYSICS.md, "The process", "Matrix elements and cross section" and "Decays".  One kernel,
:func:`event_point`, maps a point ``x`` of the unit hypercube (plus a few auxiliary uniform
numbers ``u``) to a weight and, optionally, to the full event; the batch wrappers
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
1       t: uniform in ``1/(M_Z'^2 - t)`` (``T_MAP_INVERSE``, PHYSICS.md: "sample t proportional
        to 1/(t - M_Z'^2)^2 before VEGAS adapts") or in ``log(M_Z'^2 - t)`` between t_max, t_min
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
  e+ e- through a virtual Z' off shell; visible branching ratio ``BR_A`` (``D_BR`` on shell);
* B, nu5 -> nu_light Z' -> nu_light e+ e- (coupling ``g_5a``, open for ``M_Z' < m5``),
  ``BR_B = BR(nu5 -> nu_light Z') BR(Z' -> ee)`` (``D_BRB``; 0 when closed or with
  ``physics.visible_modes = "nu4"``).  Same spin-correlated kernel as the on-shell nu4 chain
  with the daughter massless, its own ``<|M|^2>`` (``D_NORM5B``) and the same angle columns
  2-5.  The light neutrino (flavour summed, labelled nu_mu) is final; the event has no nu4.

An event takes mode A with probability ``p_A = BR_A/(BR_A + BR_B)`` (``D_PA``) and mode B
with ``p_B = 1 - p_A``, and divides the decay factor of its mode by that probability.

Weight of a point
-----------------
``f = w_flux * dsigma/dt * dt/dx1 * D`` with ``w_flux = Phi(E_nu) dE_nu/dx0`` (nu/cm^2/POT),
``dsigma/dt`` in cm^2/GeV^2 and the decay factor ``D = D_A/p_A`` (mode A) or ``D_B/p_B``
(mode B) for an event; the weights-only path (VEGAS integrand) uses the exact average over
the mode choice, ``D = D_A + D_B``, or, when the minor mode has a probability below
:data:`P_MINOR_MODE` (``D_WMODES``), the dominant mode alone, ``D_A/p_A`` or ``D_B/p_B``
(one |M|^2 per point instead of two; VEGAS adapts to the dominant mode).  All have the
same mean.  The factors:

* mode B: ``D_B = BR_B rho5`` with ``rho5`` as below for nu5 -> nu_light Z' (``m4 -> 0``,
  couplings ``chiral(g_5a)``);
* mode A, on-shell regime (``M_Z' < m5 - m4``): ``D_A = BR(nu5 -> nu4 Z') BR(Z' -> ee)
  rho5``, with ``rho5 = |M|^2(angles)/<|M|^2>`` the spin-correlated joint angular density of the two
  decays normalised to unit mean over the four angles (``|M|^2`` of
  :func:`zpgen.processes.decay_kernels.msq_nu5_to_nu4_ff` at ``m_ee = M_Z'`` for a nu5 of
  helicity -1/2; ``<|M|^2>`` computed once at setup by a product Gauss-Legendre /
  trapezoid rule that is exact for its polynomial / trigonometric dependence);
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

Decay vertices
--------------
Each particle carries its production vertex (x, y, z in cm, t in ns, relative to the
interaction).  nu5, Z' (on shell), nu4 and the nu4's Z' fly ``L = -lambda log(1 - u)`` with
``lambda = (|p|/m) c tau`` before decaying; ``t = L E/(|p| c)``.  An off-shell Z' (mode A)
is a virtual line: its daughters start at the nu5 decay vertex; the Z' of mode B is always
on shell and flies.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import numpy.typing as npt

from zpgen import constants
from zpgen.kinematics import (
    boost_from_rest,
    rotate_from_axis,
    scatter_2to2,
    two_body_decay,
    two_body_momentum,
)

from .decay_kernels import msq_nu5_to_nu4_ff
from .xsec import I_M, I_M5, dsigma_dt, t_range

__all__ = [
    "MODE_NU_LIGHT",
    "N_AUX",
    "N_DP",
    "N_PARTICLES_NU4",
    "N_PARTICLES_SHORT",
    "PDG_NU_LIGHT",
    "P_MINOR_MODE",
    "batch_weights",
    "chain_msq",
    "chain_norm",
    "event_point",
    "fill_events",
]

FloatArray = npt.NDArray[np.float64]

_OPTS = {"cache": True, "error_model": "numpy", "nogil": True}

# ----------------------------------------------------------------------------- layouts
# decay parameter vector ``dp``
D_MZ = 0          # Z' mass (GeV)
D_GZ = 1          # Z' total width (GeV)
D_M5 = 2
D_M4 = 3
D_ME = 4          # electron mass
D_GL = 5          # nu5-nu4 chiral couplings
D_GR = 6
D_CV = 7          # charged-lepton C_V, C_A
D_CA = 8
D_NORM5 = 9       # <|M|^2> of the on-shell nu5 chain (helicity -1/2)
D_BR = 10         # on shell: BR(nu5 -> nu4 Z') BR(Z' -> ee); off shell: unused
D_OFFSHELL = 11   # 1: three-body regime
D_ISO = 12        # 1: isotropic decays (comparison only)
D_NU4DEC = 13     # 1: nu4 decays (on-shell Z')
D_GL4 = 14        # nu4-nu_light chiral couplings
D_GR4 = 15
D_C_EE = 16       # cumulative BR of the nu4's Z': ee
D_C_MM = 17       # ee + mumu
D_NORM4 = 18      # 18, 19, 20: <|M|^2> of nu4 -> nu Z' -> nu f fbar for f = e, mu, nu
D_MMU = 21
D_GNU = 22        # Z' nu nu coupling (P_L)
D_CTAU5 = 23      # c tau (cm)
D_CTAUZ = 24
D_CTAU4 = 25
D_G5TOT = 26      # total nu5 width (GeV)
D_M2LO = 27       # off-shell pair-mass range (GeV^2)
D_M2HI = 28
D_MAPM = 29       # 0: arctan (Breit-Wigner) map, 1: uniform in 1/(M^2 - m^2)
D_MA = 30         # map bounds
D_MB = 31
D_IM = 32         # column of x holding the pair mass
D_TMAP = 33       # 0: uniform in 1/(M_Z'^2 - t), 1: uniform in log(M_Z'^2 - t)
D_SPIN = 34       # nu5 helicity x 2 (-1: left-handed)
D_PA = 35         # probability p_A of the nu4 chain (mode A) among the visible nu5 modes
D_BRB = 36        # BR_B = BR(nu5 -> nu_light Z') BR(Z' -> ee) (0: mode B closed or off)
D_GL5A = 37       # nu5-nu_light chiral couplings
D_GR5A = 38
D_NORM5B = 39     # <|M|^2> of nu5 -> nu_light Z' -> nu_light e+e- (helicity -1/2)
D_WMODES = 40     # weights-only path: 0 both modes (exact average), 1 A / 2 B alone
N_DP = 41

#: Weights-only path (VEGAS integrand): below this probability the minor nu5 decay mode is
#: left out and the dominant one divided by its probability (same integral, one |M|^2).
P_MINOR_MODE = 0.01

T_MAP_INVERSE = 0
T_MAP_LOG = 1

#: Number of auxiliary uniforms per event.
N_AUX = 7
#: Particles per event without / with the nu4 decay chain.
N_PARTICLES_SHORT = 8
N_PARTICLES_NU4 = 12
#: Mode returned by :func:`event_point` for nu5 -> nu_light Z' (mode B: no nu4 in the event).
MODE_NU_LIGHT = -2
#: PDG id given to the light neutrinos (flavour summed in the couplings: labelled nu_mu).
PDG_NU_LIGHT = 14

# particle slots
S_BEAM, S_TARGET, S_NU5, S_RECOIL, S_NU4, S_ZP, S_EM, S_EP = 0, 1, 2, 3, 4, 5, 6, 7
S_NUA, S_ZP2, S_F, S_FB = 8, 9, 10, 11

_C_CM_NS = constants.C_LIGHT_CM_S * 1e-9
_TWO_PI = 2.0 * math.pi
# 3-point Gauss-Legendre on [-1, 1]
_GL3_X = (-math.sqrt(0.6), 0.0, math.sqrt(0.6))
_GL3_W = (5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0)

_V4 = nb.float64[::1]
_M4 = nb.float64[:, ::1]


@nb.njit(nb.float64(nb.float64, nb.float64, nb.float64, nb.float64, nb.float64, nb.float64,
                    nb.float64, nb.float64, nb.float64, nb.float64, nb.float64, nb.float64,
                    nb.float64, nb.float64, nb.float64, _M4), **_OPTS)
def chain_msq(m5: float, mq: float, m4: float, mf: float, cz: float, phz: float, cs: float,
              phs: float, spin_z: float, gL: float, gR: float, cv: float, ca: float,
              M: float, Gamma: float, W: FloatArray) -> float:
    """|M|^2 of m5 -> m4 (q -> f fbar) at given angles, in the parent's helicity frame.

    Fills ``W[0]`` = q, ``W[1]`` = daughter m4, ``W[2]`` = f, ``W[3]`` = fbar, ``W[4]`` =
    parent at rest and ``W[5]`` = its spin vector ``(0, 0, 0, spin_z)`` (``spin_z = -1``:
    helicity -1/2; 0: unpolarised).  q flies along (cz, phz); f along (cs, phs) in the
    helicity frame of q.
    """
    q = W[0]
    p4 = W[1]
    pf = W[2]
    pb = W[3]
    p5 = W[4]
    s5 = W[5]
    two_body_decay(m5, mq, m4, cz, phz, q, p4)
    two_body_decay(mq, mf, mf, cs, phs, pf, pb)
    rotate_from_axis(pf, q[1], q[2], q[3], pf)
    rotate_from_axis(pb, q[1], q[2], q[3], pb)
    boost_from_rest(pf, q, pf)
    boost_from_rest(pb, q, pb)
    p5[0] = m5
    p5[1] = 0.0
    p5[2] = 0.0
    p5[3] = 0.0
    s5[0] = 0.0
    s5[1] = 0.0
    s5[2] = 0.0
    s5[3] = spin_z
    return msq_nu5_to_nu4_ff(p5, s5, p4, pf, pb, m5, m4, mf, gL, gR, cv, ca, M, Gamma)


@nb.njit(nb.float64(nb.float64, nb.float64, nb.float64, nb.float64, nb.float64, nb.float64,
                    nb.float64, nb.float64, nb.float64, nb.float64, _V4, _V4, nb.int64),
         **_OPTS)
def chain_norm(m5: float, mq: float, m4: float, mf: float, spin_z: float, gL: float, gR: float,
               cv: float, ca: float, M: float, gl_x: FloatArray, gl_w: FloatArray,
               n_phi: int) -> float:
    """Mean of :func:`chain_msq` over the four decay angles (propagator width set to 1).

    Gauss-Legendre in both cosines (``gl_x, gl_w`` on [-1, 1]) and an ``n_phi``-point
    trapezoid rule in both azimuths: exact for the low-degree polynomial / trigonometric
    dependence of ``|M|^2`` on the angles.
    """
    W = np.empty((6, 4))
    total = 0.0
    for i in range(gl_x.shape[0]):
        for j in range(gl_x.shape[0]):
            for k in range(n_phi):
                for m in range(n_phi):
                    total += (gl_w[i] * gl_w[j]
                              * chain_msq(m5, mq, m4, mf, gl_x[i], _TWO_PI * k / n_phi,
                                          gl_x[j], _TWO_PI * m / n_phi, spin_z, gL, gR, cv,
                                          ca, M, 1.0, W))
    return total / (4.0 * n_phi * n_phi)


@nb.njit(nb.void(_V4, _V4, nb.float64, nb.float64, nb.float64, nb.float64, _V4), **_OPTS)
def _fly(p: FloatArray, start: FloatArray, m: float, ctau: float, u: float, E: float,
         out: FloatArray) -> None:
    """Decay vertex (x, y, z, t) of a particle of momentum p made at ``start``."""
    pabs = math.sqrt(p[1] * p[1] + p[2] * p[2] + p[3] * p[3])
    if pabs <= 0.0 or ctau <= 0.0:
        out[0] = start[0]
        out[1] = start[1]
        out[2] = start[2]
        out[3] = start[3]
        return
    L = -(pabs / m) * ctau * math.log1p(-u)
    out[0] = start[0] + L * p[1] / pabs
    out[1] = start[1] + L * p[2] / pabs
    out[2] = start[2] + L * p[3] / pabs
    out[3] = start[3] + L * E / (pabs * _C_CM_NS)


@nb.njit(nb.void(_V4, _V4, _V4), **_OPTS)
def _to_lab(v: FloatArray, parent: FloatArray, out: FloatArray) -> None:
    """Helicity-frame vector in the rest frame of ``parent`` -> the lab."""
    rotate_from_axis(v, parent[1], parent[2], parent[3], out)
    boost_from_rest(out, parent, out)


@nb.njit(nb.void(_V4, _V4), **_OPTS)
def _copy4(src: FloatArray, dst: FloatArray) -> None:
    dst[0] = src[0]
    dst[1] = src[1]
    dst[2] = src[2]
    dst[3] = src[3]


@nb.njit(nb.types.Tuple((nb.float64, nb.float64, nb.int64))(
    _V4, nb.float64, nb.float64, _V4, _V4, _V4, _M4, _M4, _M4, nb.boolean), **_OPTS)
def event_point(x: FloatArray, E_nu: float, w_flux: float, u: FloatArray, cp: FloatArray,
                dp: FloatArray, P: FloatArray, V: FloatArray, W: FloatArray,
                fill: bool) -> tuple[float, float, int]:
    """Weight (and, if ``fill``, the particles) of one point; see the module docstring.

    Parameters
    ----------
    x : float64[d]
        Hypercube point (column 0 already mapped to ``E_nu``, ``w_flux``).
    E_nu, w_flux : float
        Neutrino energy (GeV) and ``Phi(E_nu) dE_nu/dx0`` (nu/cm^2/POT).
    u : float64[N_AUX]
        Auxiliary uniforms (ignored unless ``fill``: then the nu5 decay modes are averaged
        exactly and the nu4 Z' mode is e+e-).
    cp, dp : float64 arrays
        Channel parameters (:func:`zpgen.processes.xsec.channel_params`) and decay
        parameters (``D_*`` layout of this module).
    P, V : float64[n_particles, 4]
        Outputs (if ``fill``): four-momenta (E, px, py, pz) in GeV, production vertices
        (x, y, z in cm, t in ns).
    W : float64[>= 14, 4]
        Scratch.

    Returns
    -------
    (weight, t, mode)
        ``f`` of the module docstring, t in GeV^2, decay mode of the nu4's Z'
        (0 ee, 1 mumu, 2/3/4 nu_e/nu_mu/nu_tau pairs; -1 without nu4 decay) or
        :data:`MODE_NU_LIGHT` (-2) for nu5 -> nu_light Z' (no nu4 in the event: the light
        neutrino takes slot ``S_NU4`` and only the first ``N_PARTICLES_SHORT`` slots are
        particles; the others are zeroed).
    """
    M = cp[I_M]
    m5 = cp[I_M5]
    mz = dp[D_MZ]
    t_min, t_max = t_range(E_nu, M, m5)
    if not (t_max > t_min) or w_flux <= 0.0:
        return 0.0, math.nan, -1
    # --- t map
    mz2 = mz * mz
    if dp[D_TMAP] == T_MAP_LOG:
        a = math.log(mz2 - t_max)
        b = math.log(mz2 - t_min)
        e = math.exp(a + (b - a) * x[1])
        t = mz2 - e
        dt_dx = (b - a) * e
    else:
        a = 1.0 / (mz2 - t_max)
        b = 1.0 / (mz2 - t_min)
        v = a + (b - a) * x[1]
        t = mz2 - 1.0 / v
        dt_dx = (a - b) / (v * v)
    t = min(max(t, t_min), t_max)
    weight = w_flux * dsigma_dt(E_nu, t, cp) * dt_dx
    if weight == 0.0:
        return 0.0, t, -1
    # --- nu5 decay in its rest frame (helicity axes)
    m4 = dp[D_M4]
    me = dp[D_ME]
    iso = dp[D_ISO] > 0.5
    spin = 0.0 if iso else dp[D_SPIN]
    cz = 2.0 * x[2] - 1.0
    phz = _TWO_PI * x[3]
    cs = 2.0 * x[4] - 1.0
    phs = _TWO_PI * x[5]
    # --- nu5 decay mode: A = nu4 chain, B = nu_light Z' (module docstring, "Decay modes").
    # Events pick one mode with the auxiliary uniform u[6] (probabilities p_A, 1 - p_A) and
    # divide its decay factor by that probability; the weights-only path (VEGAS integrand)
    # takes the exact average over u[6] instead, D_A + D_B, or the dominant mode alone.
    pa = dp[D_PA]
    wmodes = dp[D_WMODES]
    divide = fill or wmodes != 0.0
    if fill:
        use_a = u[6] < pa
        use_b = not use_a
    elif wmodes == 0.0:
        use_a = pa > 0.0
        use_b = pa < 1.0
    else:
        use_a = wmodes == 1.0
        use_b = not use_a
    dec_a = 0.0
    dec_b = 0.0
    mode = -1
    if use_b:
        amp_b = chain_msq(m5, mz, 0.0, me, cz, phz, cs, phs, spin, dp[D_GL5A], dp[D_GR5A],
                          dp[D_CV], dp[D_CA], mz, 1.0, W)
        dec_b = dp[D_BRB] if iso else dp[D_BRB] * amp_b / dp[D_NORM5B]
        if divide:
            dec_b /= 1.0 - pa
        if fill:
            mode = MODE_NU_LIGHT
    if use_a:
        if dp[D_OFFSHELL] > 0.5:
            xm = x[int(dp[D_IM])]
            M2 = mz2
            MG = mz * dp[D_GZ]
            if dp[D_MAPM] == 0.0:
                th = dp[D_MA] + (dp[D_MB] - dp[D_MA]) * xm
                m2 = M2 + MG * math.tan(th)
                m2 = min(max(m2, dp[D_M2LO]), dp[D_M2HI])
                jac_m2 = (dp[D_MB] - dp[D_MA]) * ((m2 - M2) ** 2 + MG * MG) / MG
            else:
                vv = dp[D_MA] + (dp[D_MB] - dp[D_MA]) * xm
                m2 = M2 - 1.0 / vv
                m2 = min(max(m2, dp[D_M2LO]), dp[D_M2HI])
                jac_m2 = (dp[D_MB] - dp[D_MA]) / (vv * vv)
            mq = math.sqrt(m2)
            p1 = two_body_momentum(m5, mq, m4)
            p2 = two_body_momentum(mq, me, me)
            if p1 > 0.0 and p2 > 0.0:
                if iso:
                    amp = 0.0
                    for k in range(3):
                        amp += 0.5 * _GL3_W[k] * chain_msq(
                            m5, mq, m4, me, cz, phz, _GL3_X[k], 0.0, 0.0, dp[D_GL], dp[D_GR],
                            dp[D_CV], dp[D_CA], mz, dp[D_GZ], W)
                else:
                    amp = 0.0
                amp_full = chain_msq(m5, mq, m4, me, cz, phz, cs, phs, spin, dp[D_GL],
                                     dp[D_GR], dp[D_CV], dp[D_CA], mz, dp[D_GZ], W)
                if not iso:
                    amp = amp_full
                dec_a = (amp / (2.0 * m5 * dp[D_G5TOT]) * jac_m2 / _TWO_PI
                         * p1 / (4.0 * math.pi * m5) * p2 / (4.0 * math.pi * mq))
        else:
            amp = chain_msq(m5, mz, m4, me, cz, phz, cs, phs, spin, dp[D_GL], dp[D_GR],
                            dp[D_CV], dp[D_CA], mz, 1.0, W)
            dec_a = dp[D_BR] if iso else dp[D_BR] * amp / dp[D_NORM5]
        if divide:
            dec_a /= pa
        # W[0..3] now hold q, nu4, e-, e+ in the nu5 helicity frame.
        # --- nu4 decay (unpolarised)
        if dp[D_NU4DEC] > 0.5:
            ue = u[5] if fill else 0.0
            if ue < dp[D_C_EE]:
                mode = 0
                mf = me
                cvf = dp[D_CV]
                caf = dp[D_CA]
            elif ue < dp[D_C_MM]:
                mode = 1
                mf = dp[D_MMU]
                cvf = dp[D_CV]
                caf = dp[D_CA]
            else:
                rest = (ue - dp[D_C_MM]) / (1.0 - dp[D_C_MM])
                mode = 2 + min(int(3.0 * rest), 2)
                mf = 0.0
                cvf = 0.5 * dp[D_GNU]
                caf = -0.5 * dp[D_GNU]
            amp4 = chain_msq(m4, mz, 0.0, mf, 2.0 * x[6] - 1.0, _TWO_PI * x[7],
                             2.0 * x[8] - 1.0, _TWO_PI * x[9], 0.0, dp[D_GL4], dp[D_GR4], cvf,
                             caf, mz, 1.0, W[6:12])
            if not iso:
                dec_a *= amp4 / dp[D_NORM4 + min(mode, 2)]
    weight *= dec_a + dec_b
    if weight == 0.0:
        return 0.0, t, -1
    if not fill:
        return weight, t, mode
    # ------------------------------------------------------------------ full event
    for k in range(P.shape[0]):
        for j in range(4):
            V[k, j] = 0.0
    P[S_BEAM, 0] = E_nu
    P[S_BEAM, 1] = 0.0
    P[S_BEAM, 2] = 0.0
    P[S_BEAM, 3] = E_nu
    P[S_TARGET, 0] = M
    P[S_TARGET, 1] = 0.0
    P[S_TARGET, 2] = 0.0
    P[S_TARGET, 3] = 0.0
    p5 = P[S_NU5]
    scatter_2to2(E_nu, M, m5, t, _TWO_PI * u[0], p5, P[S_RECOIL])
    # slot S_NU4 holds nu4 (mode A) or the light neutrino (mode B)
    _to_lab(W[1], p5, P[S_NU4])
    _to_lab(W[0], p5, P[S_ZP])
    _to_lab(W[2], p5, P[S_EM])
    _to_lab(W[3], p5, P[S_EP])
    if mode == MODE_NU_LIGHT:  # no nu4 chain: the slots beyond the short layout are unused
        for k in range(N_PARTICLES_SHORT, P.shape[0]):
            for j in range(4):
                P[k, j] = 0.0
    # vertices: nu5 decay, then Z' decay (virtual Z' off shell: no flight)
    v5 = W[12]
    _fly(p5, V[S_NU5], m5, dp[D_CTAU5], u[1], p5[0], v5)
    _copy4(v5, V[S_NU4])
    _copy4(v5, V[S_ZP])
    vz = W[13]
    if dp[D_OFFSHELL] > 0.5 and mode != MODE_NU_LIGHT:
        _copy4(v5, vz)
    else:
        _fly(P[S_ZP], v5, mz, dp[D_CTAUZ], u[2], P[S_ZP, 0], vz)
    _copy4(vz, V[S_EM])
    _copy4(vz, V[S_EP])
    if mode >= 0:
        p4 = P[S_NU4]
        # W[6..9] hold Z'2, nu, f, fbar in the nu4 helicity frame
        _to_lab(W[7], p4, P[S_NUA])
        _to_lab(W[6], p4, P[S_ZP2])
        _to_lab(W[8], p4, P[S_F])
        _to_lab(W[9], p4, P[S_FB])
        v4 = W[12]
        _fly(p4, V[S_NU4], m4, dp[D_CTAU4], u[3], p4[0], v4)
        _copy4(v4, V[S_NUA])
        _copy4(v4, V[S_ZP2])
        vz2 = W[13]
        _fly(P[S_ZP2], v4, mz, dp[D_CTAUZ], u[4], P[S_ZP2, 0], vz2)
        _copy4(vz2, V[S_F])
        _copy4(vz2, V[S_FB])
    return weight, t, mode


@nb.njit(nb.float64[::1](_M4, _V4, _V4, _V4, _V4), **_OPTS)
def batch_weights(x: FloatArray, E_nu: FloatArray, w_flux: FloatArray, cp: FloatArray,
                  dp: FloatArray) -> FloatArray:
    """Weights ``f(x)`` of a batch of hypercube points (the VEGAS integrand)."""
    n = x.shape[0]
    out = np.empty(n)
    P = np.empty((N_PARTICLES_NU4, 4))
    V = np.empty((N_PARTICLES_NU4, 4))
    W = np.empty((14, 4))
    u = np.zeros(N_AUX)
    for i in range(n):
        out[i] = event_point(x[i], E_nu[i], w_flux[i], u, cp, dp, P, V, W, False)[0]
    return out


_I32 = nb.int32[::1]


@nb.njit(nb.void(_M4, _V4, _V4, _M4, _V4, _V4, nb.int64, _V4, _V4, _M4, _M4, _I32, _I32, _I32,
                 nb.int64[::1], _I32, _I32, _I32, nb.int32[:, ::1]), **_OPTS)
def fill_events(x: FloatArray, E_nu: FloatArray, w_flux: FloatArray, u: FloatArray,
                cp: FloatArray, dp: FloatArray, start: int, f_out: FloatArray,
                t_out: FloatArray, momenta: FloatArray, vertices: FloatArray,
                pdg_out: npt.NDArray[np.int32], status_out: npt.NDArray[np.int32],
                mother_out: npt.NDArray[np.int32], count_out: npt.NDArray[np.int64],
                pdg: npt.NDArray[np.int32], status: npt.NDArray[np.int32],
                mother: npt.NDArray[np.int32], mode_pdg: npt.NDArray[np.int32]) -> None:
    """Events of a block written into chunk columns from event row ``start``.

    Parameters
    ----------
    x, E_nu, w_flux, u, cp, dp
        Points, ``E_nu`` and ``w_flux`` from the flux map, auxiliary uniforms and the
        channel and decay parameters (``n`` points; :func:`event_point`).
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

    Zero-weight points (outside the physical region) get zero momenta and vertices.
    """
    k = pdg.shape[0]
    P = np.zeros((k, 4))
    V = np.zeros((k, 4))
    W = np.empty((14, 4))
    for i in range(x.shape[0]):
        w, t, mode = event_point(x[i], E_nu[i], w_flux[i], u[i], cp, dp, P, V, W, True)
        row = start + i
        f_out[row] = w
        t_out[row] = t
        if w == 0.0:
            for s in range(k):
                for j in range(4):
                    P[s, j] = 0.0
                    V[s, j] = 0.0
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
            pdg_out[base + S_NU4] = PDG_NU_LIGHT
            status_out[base + S_NU4] = 1
            count_out[row] = N_PARTICLES_SHORT
