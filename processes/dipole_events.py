"""Numba event kernels of the dipole portal: nu_alpha T -> N T, N -> nu gamma at a displaced
vertex, with the photon direction from the produced N's polarisation.

PHYSICS.md, "Beyond the seed" (dipole portal); the physics is in
:mod:`zpgen.processes.dipole_xsec`.  :func:`batch_weights` (the VEGAS integrand) and
:func:`fill_events` (events written straight into a
:class:`zpgen.event_record.ChunkBuffer`'s columns) share :func:`point_weight`, so the
weights used for adaptation and for events are the same function.

Hypercube and auxiliary uniforms
--------------------------------
``x0``: E_nu by the flux's inverse CDF above threshold (done outside: ``E_nu`` and
``w_flux = Phi(E_nu) dE_nu/dx0``); ``x1``: ``log(-t)`` uniform between ``t_max`` and
``t_min`` (the 1/|t| of photon exchange is flat in it; VEGAS adapts the rest).  The decay
carries no weight (its angular density integrates to 1 and is sampled exactly), so it uses
the auxiliary uniforms: ``u0`` the azimuth of N about the beam, ``u1`` nu or nubar (Majorana
N, 1/2 each), ``u2`` and ``u3`` the photon's polar angle to the N polarisation and its
azimuth about it, ``u4`` the N flight.

Weight of a point: ``f = w_flux dsigma/dt dt/dx1`` (cm^2 nu/cm^2/POT per target), with
``BR(N -> nu gamma) = 1`` (the only two-body decay of the operator; N -> nu e+ e- through
a virtual photon is O(alpha) and not generated).

Decay
-----
In the N rest frame reached by a pure boost (lab-parallel axes) the photon direction has the
density ``(1 + a cos theta)/(4 pi)`` about the polarisation ``P_vec``
(:func:`zpgen.processes.dipole_xsec.polarisation`), ``a = alpha |P_vec|`` with ``alpha =
-1`` for nu and +1 for nubar (``a = 0`` with ``decay_correlations = "isotropic"``), drawn by
the inverse CDF ``cos theta = (a - 2 + 4 u)/(1 + sqrt((1 - a)^2 + 4 a u))``.  N flies
``L = -(|p|/m) c tau log(1 - u4)`` (cm) before it decays; ``t = L E/(|p| c)`` (ns).

Antineutrino beams
------------------
A nubar_alpha flux gives the CP-conjugate events (``D_CONJUGATE``; derivation in
:mod:`zpgen.processes.dipole_xsec`, "Antineutrinos"): the same dsigma/dt and the opposite
polarisation, ``P_Nbar = -P``.  A Dirac Nbar decays to nubar gamma with ``alpha = +1`` about
its spin, so its photon density ``1 + P_Nbar.n = 1 - P.n`` is that of the neutrino beam's
N (the CP image); a Majorana N, made by either beam, decays to nu gamma (``alpha = -1``)
or nubar gamma (+1), half each, about ``-P`` here.  The kernel negates the polarisation and
sets the daughter's sign: nubar for a Dirac Nbar, by ``u1`` for a Majorana N.

Record (:mod:`zpgen.event_record`)
----------------------------------
==== ============= ============================= ====== ======
slot particle      pdg                           status mother
==== ============= ============================= ====== ======
0    beam nu       14 (12 for flavour e); -14    4      -1
                   (-12) for an antineutrino beam
1    target        nucleus / 2212 / 2112         20     -1
2    N             :data:`PDG_N` (-PDG_N: the    2      -1
                   Dirac Nbar of a nubar beam)
3    recoil        as the target                 1      -1
4    nu or nubar   +-14 (+-12)                   1      2
5    gamma         22                            1      2
==== ============= ============================= ====== ======
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import numpy.typing as npt

from zpgen import constants
from zpgen.kinematics import boost_from_rest, incoming, rotate_from_axis, scatter_2to2

from .dipole_xsec import ALPHA_NU, ALPHA_NUBAR, I_M, I_MN, dsigma_dt, polarisation, t_range

__all__ = ["D_CONJUGATE", "D_CTAU", "D_ISOTROPIC", "D_MAJORANA", "D_MN", "N_AUX", "N_DECAY",
           "N_PARTICLES", "PDG_GAMMA", "PDG_N", "batch_weights", "fill_events", "photon_cos",
           "point_weight"]

FloatArray = npt.NDArray[np.float64]

#: PDG-style number of N: 9900012, the heavy neutral lepton code of Pythia (N_1; not a PDG
#: standard code).
PDG_N = 9900012
PDG_GAMMA = 22
#: Particles per event and auxiliary uniforms per event (module docstring).
N_PARTICLES = 6
N_AUX = 5
#: Layout of the decay parameter vector: N mass (GeV), c tau (cm), Majorana, isotropic and
#: conjugate (antineutrino beam) flags (1.0 / 0.0).
D_MN, D_CTAU, D_MAJORANA, D_ISOTROPIC, D_CONJUGATE = 0, 1, 2, 3, 4
N_DECAY = 5
S_BEAM, S_TARGET, S_N, S_RECOIL, S_NU, S_GAMMA = 0, 1, 2, 3, 4, 5

_TWO_PI = 2.0 * math.pi
_C_CM_NS = constants.C_LIGHT_CM_S * 1e-9
_OPTS = {"cache": True, "error_model": "numpy", "nogil": True}
_F8 = nb.float64
_V = nb.float64[::1]
_M2 = nb.float64[:, ::1]
_I32 = nb.int32[::1]


@nb.njit(nb.types.UniTuple(_F8, 3)(_F8, _F8, _F8, _V), **_OPTS)
def point_weight(x1: float, E_nu: float, w_flux: float, params: FloatArray
                 ) -> tuple[float, float, float]:
    """``(f, t, dt/dx1)`` of a point (module docstring); ``f = 0`` outside the physical
    region."""
    t_min, t_max = t_range(E_nu, params[I_M], params[I_MN])
    if not (t_max > t_min) or not (t_max < 0.0) or w_flux <= 0.0:
        return 0.0, math.nan, 0.0
    y_lo = math.log(-t_max)
    y_hi = math.log(-t_min)
    t = -math.exp(y_lo + (y_hi - y_lo) * x1)
    t = min(max(t, t_min), t_max)
    jac = (y_hi - y_lo) * (-t)
    return w_flux * dsigma_dt(E_nu, t, params) * jac, t, jac


@nb.njit(_F8(_F8, _F8), **_OPTS)
def photon_cos(a: float, u: float) -> float:
    """cos theta drawn from ``(1 + a cos theta)/2`` on [-1, 1] by its inverse CDF (|a| <= 1)."""
    c = (a - 2.0 + 4.0 * u) / (1.0 + math.sqrt(max((1.0 - a) ** 2 + 4.0 * a * u, 0.0)))
    return min(max(c, -1.0), 1.0)


@nb.njit(_V(_M2, _V, _V, _V), **_OPTS)
def batch_weights(x: FloatArray, E_nu: FloatArray, w_flux: FloatArray, params: FloatArray
                  ) -> FloatArray:
    """Weights ``f(x)`` of a batch of hypercube points (the VEGAS integrand)."""
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = point_weight(x[i, 1], E_nu[i], w_flux[i], params)[0]
    return out


@nb.njit(nb.void(_F8, _F8, _F8, _V, _V, _V, _M2, _M2), **_OPTS)
def build_event(E_nu: float, t: float, nu_sign: float, u: FloatArray, params: FloatArray,
                decay: FloatArray, P: FloatArray, V: FloatArray) -> None:
    """Lab four-momenta ``P`` (6, 4) and production vertices ``V`` (6, 4) of one event."""
    M = params[I_M]
    m = decay[D_MN]
    for k in range(N_PARTICLES):
        for j in range(4):
            V[k, j] = 0.0
    incoming(E_nu, M, P[S_BEAM], P[S_TARGET])
    pN = P[S_N]
    scatter_2to2(E_nu, M, m, t, _TWO_PI * u[0], pN, P[S_RECOIL])
    px, py, pz = polarisation(E_nu, t, params, pN, P[S_RECOIL])
    if decay[D_CONJUGATE] > 0.5:  # antineutrino beam: P_Nbar = -P (module docstring)
        px, py, pz = -px, -py, -pz
    size = math.sqrt(px * px + py * py + pz * pz)
    alpha = ALPHA_NUBAR if nu_sign < 0.0 else ALPHA_NU
    a = 0.0 if decay[D_ISOTROPIC] > 0.5 else alpha * min(size, 1.0)
    c = photon_cos(a, u[2])
    s = math.sqrt(max(1.0 - c * c, 0.0))
    phi = _TWO_PI * u[3]
    g = P[S_GAMMA]
    half = 0.5 * m
    g[0] = half
    g[1] = half * s * math.cos(phi)
    g[2] = half * s * math.sin(phi)
    g[3] = half * c
    if size > 0.0:
        rotate_from_axis(g, px, py, pz, g)
    boost_from_rest(g, pN, g)
    for j in range(4):
        P[S_NU, j] = pN[j] - g[j]
    # displaced decay vertex: exponential flight of mean (|p|/m) c tau along N
    pabs = math.sqrt(pN[1] * pN[1] + pN[2] * pN[2] + pN[3] * pN[3])
    if pabs > 0.0 and decay[D_CTAU] > 0.0:
        L = -(pabs / m) * decay[D_CTAU] * math.log1p(-u[4])
        for j in range(3):
            V[S_NU, j] = L * pN[j + 1] / pabs
        V[S_NU, 3] = L * pN[0] / (pabs * _C_CM_NS)
    for j in range(4):
        V[S_GAMMA, j] = V[S_NU, j]


@nb.njit(nb.void(_M2, _V, _V, _M2, _V, _V, nb.int64, _V, _V, _M2, _M2, _I32, _I32, _I32,
                 nb.int64[::1], _I32, _I32, _I32), **_OPTS)
def fill_events(x: FloatArray, E_nu: FloatArray, w_flux: FloatArray, u: FloatArray,
                params: FloatArray, decay: FloatArray, start: int, f_out: FloatArray,
                t_out: FloatArray, momenta: FloatArray, vertices: FloatArray,
                pdg_out: npt.NDArray[np.int32], status_out: npt.NDArray[np.int32],
                mother_out: npt.NDArray[np.int32], count_out: npt.NDArray[np.int64],
                pdg: npt.NDArray[np.int32], status: npt.NDArray[np.int32],
                mother: npt.NDArray[np.int32]) -> None:
    """Events of a block written into chunk columns from event row ``start``.

    Parameters
    ----------
    x, E_nu, w_flux, u
        Hypercube points (n, 2), the flux map's ``E_nu`` and ``w_flux``, auxiliary uniforms
        (n, :data:`N_AUX`).
    params, decay
        Channel parameters (:func:`zpgen.processes.dipole_portal.channel_params`) and the
        decay vector (``D_*`` layout).
    f_out, t_out, momenta, vertices, pdg_out, status_out, mother_out, count_out
        The chunk's columns (``momenta``, ``vertices``: (4, capacity * 6)).
    pdg, status, mother
        Per-event templates (slot table in the module docstring); slot 4 gets ``-pdg[4]``
        for a nubar (the nubar of a Majorana N, the decay of a Dirac Nbar).

    Zero-weight points (outside the physical region) get zero momenta and vertices.
    """
    k = N_PARTICLES
    P = np.zeros((k, 4))
    V = np.zeros((k, 4))
    for i in range(x.shape[0]):
        w, t, _ = point_weight(x[i, 1], E_nu[i], w_flux[i], params)
        row = start + i
        f_out[row] = w
        t_out[row] = t
        nu_sign = 1.0
        if decay[D_MAJORANA] > 0.5:
            if u[i, 1] >= 0.5:
                nu_sign = -1.0
        elif decay[D_CONJUGATE] > 0.5:  # a Dirac Nbar decays to nubar gamma
            nu_sign = -1.0
        if w == 0.0:
            for s in range(k):
                for j in range(4):
                    P[s, j] = 0.0
                    V[s, j] = 0.0
        else:
            build_event(E_nu[i], t, nu_sign, u[i], params, decay, P, V)
        base = row * k
        for s in range(k):
            for j in range(4):
                momenta[j, base + s] = P[s, j]
                vertices[j, base + s] = V[s, j]
            pdg_out[base + s] = pdg[s]
            status_out[base + s] = status[s]
            mother_out[base + s] = mother[s]
        if nu_sign < 0.0:
            pdg_out[base + S_NU] = -pdg[S_NU]
        count_out[row] = k
