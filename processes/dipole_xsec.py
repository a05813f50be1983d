"""Dipole-portal upscattering nu_alpha T -> N T by photon exchange: |M|^2, the spin state of
N, dsigma/dt, sigma(E_nu), the width of N -> nu gamma and the decay asymmetry.

PHYSICS.md, "Beyond the seed: conventions for the next processes" (dipole portal).

Conventions
-----------
Lagrangian (PHYSICS.md): ``L = d nubar_{alpha,L} sigma^{mu nu} N F_{mu nu} + h.c.`` with
``sigma^{mu nu} = (i/2)[gamma^mu, gamma^nu]`` and ``d`` in GeV^-1 (Magill, Plestid,
Pospelov, Tsai, Phys. Rev. D 98 (2018) 115015, eq. 1).  ``F_{mu nu} = d_mu A_nu - d_nu A_mu``
makes the Feynman rule of the photon vertex, for a photon of momentum ``q`` flowing out of
the fermion line,

    nu_alpha -> N :  2 d sigma^{mu nu} q_nu P_L        N -> nu_alpha :  2 d sigma^{mu nu} q_nu P_R

i.e. the vertex of a transition magnetic moment ``mu_eff = 2 d`` in the convention where a
magnetic moment ``mu`` has the vertex ``mu sigma^{mu nu} q_nu`` (``L = (mu/2) psibar sigma F
psi``).  In Bohr magnetons ``mu_B = e/(2 m_e) = 296.3 GeV^-1`` (:func:`d_in_bohr_magnetons`):
``d = 1e-6 GeV^-1`` is ``3.375e-9 mu_B`` (``d/mu_B``), i.e. ``mu_eff = 6.75e-9 mu_B``.
DarkNews 0.4.8's transition moment ``mu_tr`` is this ``mu_eff``: ``d = mu_tr/2`` (its
amplitudes use ``t_aj = mu_tr/2``; ``validation/dipole/`` measures the conversion to 1e-7
from dsigma/dQ^2, README there).

The photon couples to the target's electromagnetic current with ``e = sqrt(4 pi alpha)``,
``alpha = 1/137.036`` (the Thomson limit, :data:`zpgen.constants.ALPHA_EM`).

Amplitude and |M|^2
-------------------
With ``q = k - k'`` (``t = q^2 <= 0``), ``P = p + p'`` and ``S = s - u = 4 M E_nu + t - m^2``
(target of mass ``M`` at rest, ``m = m_N``) the lepton current contracted with ``P`` reduces,
by ``P.q = 0`` and the massless neutrino's Dirac equation, to
``2 d ubar(k') (2 P.k' - m Pslash) P_L u(k)``, and for a nucleon (Gordon identity, current
conservation ``q_mu l^mu = 0``) the hadronic tensor to
``H_{mu rho} = G_M^2 (t g_{mu rho} - q_mu q_rho) + (F1^2 + tau F2^2) P_mu P_rho``,
``G_M = F1 + F2``, ``tau = -t/4M^2``.  Summed over the N spin (the beam is left-handed: no
1/2 for it) and averaged over the nucleon spin::

    |M|^2 = (4 d^2 e^2 / t^2) [ C_P A(t) + G_M^2 t B(t) ]
    A = -t S^2 - m^2 (4M^2 - t)(m^2 - t)            (L_{mu rho} P^mu P^rho / 4d^2)
    B = (t - m^2)(t + 2 m^2)                        (L^mu_mu / 4d^2)

with ``C_P = F1^2 + tau F2^2`` on a nucleon and ``C_P = Z^2 F(t)^2``, ``G_M = 0`` on a
spin-0 nucleus (``Z e F(t) (p + p')^mu``).  ``dsigma/dt = |M|^2/(64 pi M^2 E_nu^2)``.

Spin state of N
---------------
With the spin projector ``(1 + gamma5 sslash)/2`` (spin four-vector ``s``, ``s.k' = 0``) the
same traces give ``|M|^2(s) = (2 d^2 e^2/t^2) [T0 + s.W]``, ``T0 = C_P A + G_M^2 t B`` and::

    W = [2 m^3 (4M^2 - t) C_P + 2 m t (2 m^2 - t) G_M^2] k  -  2 m t S C_P P

(the epsilon-tensor terms cancel: no polarisation normal to the scattering plane at this
order).  In the N rest frame reached from the lab by a pure boost the polarisation vector is
``P_vec = -W_rest/T0`` (``W_rest`` the spatial part of W boosted there): the density matrix
is ``(1 + P_vec . sigma)/2`` (:func:`polarisation`).  Far above threshold ``P_vec`` -> the N
direction: N is produced right-handed (helicity +1/2) by this chirality-flipping vertex;
near threshold it is not.

Antineutrinos
-------------
The CP-conjugate process nubar_alpha T -> Nbar T (Dirac N) comes from the ``h.c.`` term,
amplitude ``vbar(k) 2 d sigma^{mu nu} q_nu P_R v_N(k')``, and the decay Nbar -> nubar_alpha
gamma from ``vbar_N 2 d sigma^{mu nu} q_nu P_L v_nu``.  With ``v vbar = (kslash' - m)(1 +
gamma5 sslash)/2`` the traces are those above with ``s -> -s`` up to the sign of the
epsilon-tensor part, which the symmetric tensor of the photon's (vector) target current
does not see: ``|M|^2_nubar(s) = |M|^2_nu(-s)``, the same dsigma/dt and the opposite
polarisation, ``P_Nbar = -P_vec`` (helicity -1/2 dominant far above threshold).  The Nbar
decays with ``alpha = +1`` (:data:`ALPHA_NUBAR`; nubar_R and the photon back to back), so
its photon density ``1 + P_Nbar.n = 1 - P_vec.n`` equals the neutrino beam's (the CP image
of an event; the reflection in the scattering plane that completes it leaves the
distribution unchanged since ``P_y = 0``).  A Majorana N made by a nubar beam has ``-P_vec``
and decays to nu gamma / nubar gamma half each, ``alpha = -1 / +1``.
``tests/processes/test_dipole_antineutrino.py`` checks each statement with explicit ``v``
spinors.

Decay N -> nu gamma
-------------------
``Gamma(N -> nu_alpha gamma) = d^2 m^3/(4 pi)`` for a Dirac N (massless nu), twice that for
a Majorana N (N -> nu gamma and N -> nubar gamma), :func:`width_nu_gamma`.  In the N rest
frame ``dGamma/dOmega_gamma = Gamma/(4 pi) (1 + alpha P_vec . n_gamma)`` with ``alpha = -1``
for N -> nu_L gamma (the left-handed nu and the photon, back to back, carry J.n_gamma =
-1/2) and ``alpha = +1`` for N -> nubar_R gamma (:data:`ALPHA_NU`, :data:`ALPHA_NUBAR`): a
Dirac N has ``alpha = -1``, a Majorana N decays to nu and nubar equally and its photon is
isotropic (``alpha = 0`` summed).

Kernels
-------
A channel is a float64 parameter vector (:func:`channel_params`, layout ``I_*``), so one
compiled kernel serves every channel.  Form factors: nucleons, the electromagnetic Dirac and
Pauli ``F1, F2`` of :func:`zpgen.processes.form_factors.nucleon_em_f1_f2` (Sachs dipoles,
Galster G_E^n); nuclei, Helm (Lewin-Smith) or the Fourier-Bessel fit of the charge density
(:mod:`zpgen.processes.charge_density`); bound nucleons, the Fermi-gas Pauli factor.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import numpy.typing as npt

from zpgen import constants

from .form_factors import helm, nucleon_em_f1_f2, pauli_factor, q3_of_t
from .xsec import t_range, threshold

__all__ = [
    "ALPHA_NU",
    "ALPHA_NUBAR",
    "E2",
    "FF_CODES",
    "N_FIXED",
    "currents",
    "d_in_bohr_magnetons",
    "dsigma_dt",
    "dsigma_dt_array",
    "fourier_bessel",
    "lepton_a",
    "lepton_b",
    "msq",
    "msq_nucleon",
    "msq_spin0",
    "mu_bohr_gev_inv",
    "nuclear_form_factor",
    "polarisation",
    "polarisation_w",
    "sigma",
    "sigma_array",
    "t_range",
    "threshold",
    "width_nu_gamma",
]

FloatArray = npt.NDArray[np.float64]

#: e^2 = 4 pi alpha(0) (module docstring).
E2 = 4.0 * math.pi * constants.ALPHA_EM
#: Decay asymmetry of the photon in N -> nu_L gamma and N -> nubar_R gamma (module docstring).
ALPHA_NU = -1.0
ALPHA_NUBAR = 1.0

# Layout of the channel parameter vector.
I_KIND = 0        # 0: spin-0 nucleus, 1: nucleon
I_M = 1           # target mass (GeV)
I_MN = 2          # N mass (GeV)
I_D = 3           # d (GeV^-1)
I_Z = 4           # nuclear charge Z (spin 0)
I_PROTON = 5      # nucleon: 1 proton, 0 neutron
I_FF = 6          # nuclear form factor: FF_CODES
I_HELM_RN = 7     # Helm r_n (GeV^-1)
I_HELM_S = 8      # Helm s (GeV^-1)
I_PAULI = 9       # 1: multiply by the Fermi-gas Pauli factor
I_KF = 10         # Fermi momentum (GeV)
I_FB_R = 11       # Fourier-Bessel cut-off radius R (GeV^-1)
I_FB_N = 12       # number of Fourier-Bessel coefficients that follow
N_FIXED = 13      # the coefficients a_1 ... a_n (any unit) start here

#: Values of the ``I_FF`` slot: nuclear (charge) form factor of the coherent channel.
FF_CODES: dict[str, int] = {"none": 0, "helm": 1, "fourier_bessel": 2}

_OPTS = {"cache": True, "error_model": "numpy", "nogil": True}
_GEV2_TO_CM2 = constants.GEV2_TO_CM2
_V = nb.float64[::1]


def mu_bohr_gev_inv() -> float:
    """The Bohr magneton ``mu_B = e/(2 m_e)`` in GeV^-1 (e = sqrt(4 pi alpha(0)))."""
    return math.sqrt(E2) / (2.0 * constants.M_E)


def d_in_bohr_magnetons(d_gev_inv: float) -> float:
    """``d`` (GeV^-1) in units of mu_B (module docstring; the effective moment is 2d)."""
    return d_gev_inv / mu_bohr_gev_inv()


@nb.njit(nb.float64(nb.float64, nb.float64, nb.float64, nb.float64), **_OPTS)
def lepton_a(E_nu: float, t: float, M: float, m: float) -> float:
    """``A = -t S^2 - m^2 (4M^2 - t)(m^2 - t)``, ``S = 4 M E_nu + t - m^2`` (module docstring)."""
    S = 4.0 * M * E_nu + t - m * m
    return -t * S * S - m * m * (4.0 * M * M - t) * (m * m - t)


@nb.njit(nb.float64(nb.float64, nb.float64), **_OPTS)
def lepton_b(t: float, m: float) -> float:
    """``B = (t - m^2)(t + 2 m^2)`` (module docstring)."""
    return (t - m * m) * (t + 2.0 * m * m)


@nb.njit(nb.float64(nb.float64, nb.float64, nb.float64, nb.float64, nb.float64, nb.float64),
         **_OPTS)
def msq_spin0(E_nu: float, t: float, M: float, m: float, d: float, ZF: float) -> float:
    """|M|^2 on a spin-0 nucleus of charge form factor ``ZF = Z F(t)`` (module docstring)."""
    return 4.0 * d * d * E2 * ZF * ZF * lepton_a(E_nu, t, M, m) / (t * t)


@nb.njit(nb.float64(nb.float64, nb.float64, nb.float64, nb.float64, nb.float64, nb.float64,
                    nb.float64), **_OPTS)
def msq_nucleon(E_nu: float, t: float, M: float, m: float, d: float, F1: float,
                F2: float) -> float:
    """|M|^2 on a nucleon with Dirac and Pauli form factors F1, F2, averaged over its spin."""
    tau = -t / (4.0 * M * M)
    gm = F1 + F2
    return 4.0 * d * d * E2 * ((F1 * F1 + tau * F2 * F2) * lepton_a(E_nu, t, M, m)
                               + gm * gm * t * lepton_b(t, m)) / (t * t)


@nb.njit(nb.float64(nb.float64, _V), **_OPTS)
def fourier_bessel(q: float, params: FloatArray) -> float:
    """Fourier-Bessel charge form factor F(q) (F(0) = 1) of the coefficients in ``params``.

    ``rho(r) = sum_v a_v j0(v pi r/R)`` for ``r < R`` gives
    ``F(q) = [sum_v (-1)^v a_v j0(qR)/((v pi)^2 - (qR)^2)] / [sum_v (-1)^v a_v/(v pi)^2]``
    (the removable singularity at ``qR = v pi`` is taken as its limit).
    """
    R = params[I_FB_R]
    n = int(params[I_FB_N])
    x = q * R
    num = 0.0
    den = 0.0
    for i in range(n):
        a = params[N_FIXED + i]
        if a == 0.0:
            continue
        k = (i + 1) * math.pi
        sign = -1.0 if (i + 1) % 2 == 1 else 1.0
        den += sign * a / (k * k)
        diff = k - x
        if abs(diff) < 1e-7:  # j0(x)/(k^2 - x^2) -> (-1)^(v+1)/(2 k^2) at x = k
            num += sign * a * (-sign) / (2.0 * k * k)
        else:
            j0 = math.sin(x) / x if x > 1e-8 else 1.0
            num += sign * a * j0 / (diff * (k + x))
    return num / den


@nb.njit(nb.float64(nb.float64, nb.float64, _V), **_OPTS)
def nuclear_form_factor(t: float, M: float, params: FloatArray) -> float:
    """Charge form factor F(|q|) of the coherent channel (``I_FF``; 1 for "none")."""
    code = int(params[I_FF])
    if code == 0:
        return 1.0
    q3 = q3_of_t(t, M)
    if code == 1:
        return helm(q3, params[I_HELM_RN], params[I_HELM_S])
    return fourier_bessel(q3, params)


@nb.njit(nb.types.UniTuple(nb.float64, 2)(nb.float64, _V), **_OPTS)
def currents(t: float, params: FloatArray) -> tuple[float, float]:
    """``(C_P, G_M^2)`` of the channel at t (module docstring), Pauli factor included."""
    M = params[I_M]
    if int(params[I_KIND]) == 0:
        zf = params[I_Z] * nuclear_form_factor(t, M, params)
        return zf * zf, 0.0
    F1, F2 = nucleon_em_f1_f2(t, M, params[I_PROTON] > 0.5)
    tau = -t / (4.0 * M * M)
    scale = 1.0
    if params[I_PAULI] > 0.5:
        scale = pauli_factor(q3_of_t(t, M), params[I_KF])
    return (F1 * F1 + tau * F2 * F2) * scale, (F1 + F2) ** 2 * scale


@nb.njit(nb.float64(nb.float64, nb.float64, _V), **_OPTS)
def msq(E_nu: float, t: float, params: FloatArray) -> float:
    """Spin-summed |M|^2 of a channel at (E_nu, t), form factors and Pauli blocking included."""
    M = params[I_M]
    m = params[I_MN]
    d = params[I_D]
    cp, gm2 = currents(t, params)
    return 4.0 * d * d * E2 * (cp * lepton_a(E_nu, t, M, m) + gm2 * t * lepton_b(t, m)) / (t * t)


@nb.njit(nb.types.UniTuple(nb.float64, 3)(nb.float64, nb.float64, _V), **_OPTS)
def polarisation_w(E_nu: float, t: float, params: FloatArray) -> tuple[float, float, float]:
    """``(T0, c_k, c_P)`` with ``W = c_k k + c_P P`` (module docstring), in the units of A."""
    M = params[I_M]
    m = params[I_MN]
    cp, gm2 = currents(t, params)
    S = 4.0 * M * E_nu + t - m * m
    T0 = cp * lepton_a(E_nu, t, M, m) + gm2 * t * lepton_b(t, m)
    c_k = 2.0 * m ** 3 * (4.0 * M * M - t) * cp + 2.0 * m * t * (2.0 * m * m - t) * gm2
    c_P = -2.0 * m * t * S * cp
    return T0, c_k, c_P


@nb.njit(nb.types.UniTuple(nb.float64, 3)(nb.float64, nb.float64, _V, _V, _V), **_OPTS)
def polarisation(E_nu: float, t: float, params: FloatArray, k_n: FloatArray,
                 p_recoil: FloatArray) -> tuple[float, float, float]:
    """Polarisation vector of N in its rest frame reached from the lab by a pure boost.

    ``k_n`` and ``p_recoil`` are the lab four-momenta of N and of the recoiling target (beam
    along +z with energy ``E_nu``, target at rest).  Returns ``(Px, Py, Pz)`` in lab-parallel
    axes, ``|P| <= 1`` (module docstring, "Spin state of N").
    """
    M = params[I_M]
    T0, c_k, c_P = polarisation_w(E_nu, t, params)
    if not (T0 > 0.0):
        return 0.0, 0.0, 0.0
    # W = c_k k + c_P (p + p'), k = (E, 0, 0, E), p = (M, 0, 0, 0)
    w0 = c_k * E_nu + c_P * (M + p_recoil[0])
    w1 = c_P * p_recoil[1]
    w2 = c_P * p_recoil[2]
    w3 = c_k * E_nu + c_P * p_recoil[3]
    # pure boost to the N rest frame (zpgen.kinematics.boost_to_rest): the spatial part is
    # w + [gamma^2/(gamma + 1) (b.w) - gamma w0] b, b = p_N/E_N
    e = k_n[0]
    bx, by, bz = k_n[1] / e, k_n[2] / e, k_n[3] / e
    b2 = bx * bx + by * by + bz * bz
    gamma = 1.0 / math.sqrt(1.0 - b2) if b2 < 1.0 else 1e300
    bw = bx * w1 + by * w2 + bz * w3
    coef = gamma * gamma / (gamma + 1.0) * bw - gamma * w0
    px = -(w1 + coef * bx) / T0
    py = -(w2 + coef * by) / T0
    pz = -(w3 + coef * bz) / T0
    norm = math.sqrt(px * px + py * py + pz * pz)
    if norm > 1.0:  # rounding at the kinematic edges
        px /= norm
        py /= norm
        pz /= norm
    return px, py, pz


@nb.njit(nb.float64(nb.float64, nb.float64, _V), **_OPTS)
def dsigma_dt(E_nu: float, t: float, params: FloatArray) -> float:
    """dsigma/dt in cm^2/GeV^2 = |M|^2/(64 pi M^2 E_nu^2); 0 outside the physical region."""
    M = params[I_M]
    t_min, t_max = t_range(E_nu, M, params[I_MN])
    if not (t >= t_min and t <= t_max) or t >= 0.0:
        return 0.0
    return msq(E_nu, t, params) / (64.0 * math.pi * M * M * E_nu * E_nu) * _GEV2_TO_CM2


@nb.njit(nb.float64[::1](nb.float64[::1], nb.float64[::1], _V), **_OPTS)
def dsigma_dt_array(E_nu: FloatArray, t: FloatArray, params: FloatArray) -> FloatArray:
    """Vectorised :func:`dsigma_dt` over paired arrays (cm^2/GeV^2)."""
    out = np.empty(E_nu.shape[0])
    for i in range(E_nu.shape[0]):
        out[i] = dsigma_dt(E_nu[i], t[i], params)
    return out


# Gauss-Legendre nodes on [-1, 1] for the composite rule of sigma().
_GL_X, _GL_W = np.polynomial.legendre.leggauss(24)
_N_PANELS = 16


@nb.njit(nb.float64(nb.float64, _V, _V, _V), **_OPTS)
def _sigma(E_nu: float, params: FloatArray, gl_x: FloatArray, gl_w: FloatArray) -> float:
    M = params[I_M]
    t_min, t_max = t_range(E_nu, M, params[I_MN])
    if not (t_max > t_min) or not (t_max < 0.0):
        return 0.0
    # integrate in y = log(-t): flattens the 1/|t| of photon exchange at the forward edge
    y_lo = math.log(-t_max)
    y_hi = math.log(-t_min)
    h = (y_hi - y_lo) / _N_PANELS
    total = 0.0
    for panel in range(_N_PANELS):
        centre = y_lo + (panel + 0.5) * h
        for k in range(gl_x.shape[0]):
            y = centre + 0.5 * h * gl_x[k]
            t = -math.exp(y)
            t = min(max(t, t_min), t_max)
            total += gl_w[k] * 0.5 * h * (-t) * dsigma_dt(E_nu, t, params)
    return total


def sigma(E_nu: float, params: FloatArray) -> float:
    """Total upscattering cross section (cm^2 per target particle); 0 below threshold."""
    return float(_sigma(float(E_nu), params, _GL_X, _GL_W))


def sigma_array(E_nu: npt.ArrayLike, params: FloatArray) -> FloatArray:
    """:func:`sigma` on an array of neutrino energies (GeV)."""
    energies = np.atleast_1d(np.asarray(E_nu, dtype=np.float64))
    return np.array([_sigma(float(e), params, _GL_X, _GL_W) for e in energies])


def width_nu_gamma(d: float, m: float, majorana: bool) -> float:
    """Gamma(N -> nu gamma) in GeV: ``d^2 m^3/(4 pi)``, doubled for a Majorana N (module
    docstring; nu and nubar final states)."""
    width = d * d * m**3 / (4.0 * math.pi)
    return 2.0 * width if majorana else width
