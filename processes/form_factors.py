"""Nucleon and nuclear form factors and the Pauli-blocking factor (PHYSICS.md,
"Nucleon and nuclear currents").

All functions are Numba-compiled scalar kernels (explicit signatures, ``cache=True``,
``error_model="numpy"``) so the sampler can call them inside its integrands; ``t`` is the
squared four-momentum transfer to the target (GeV^2, ``t <= 0``), ``q3`` the magnitude of
the three-momentum transfer in the target rest frame (GeV).
"""

from __future__ import annotations

import math

import numba as nb

from zpgen import constants

__all__ = [
    "dipole",
    "fm_to_inv_gev",
    "helm",
    "helm_radius",
    "isoscalar_f1_f2",
    "nucleon_em_f1_f2",
    "pauli_factor",
    "q3_of_t",
]

_M_DIPOLE2 = constants.M_DIPOLE2
_MU_P = constants.MU_P
_MU_N = constants.MU_N
_FM = 1.0 / (constants.HBARC_GEV_CM * 1e13)  # 1 fm in GeV^-1

_OPTS = {"cache": True, "error_model": "numpy", "nogil": True}


def fm_to_inv_gev(length_fm: float) -> float:
    """Convert a length in fm to GeV^-1 (hbar c = 0.1973269804 GeV fm)."""
    return length_fm * _FM


@nb.njit(nb.float64(nb.float64), **_OPTS)
def dipole(t: float) -> float:
    """Dipole form factor F_D = (1 - t/0.71 GeV^2)^-2 (paper eq. 23)."""
    x = 1.0 - t / _M_DIPOLE2
    return 1.0 / (x * x)


@nb.njit(nb.float64(nb.float64, nb.float64), **_OPTS)
def q3_of_t(t: float, M: float) -> float:
    """|q| in the rest frame of a target of mass M: |q|^2 = nu^2 - t with nu = -t/(2M)."""
    nu = -t / (2.0 * M)
    return math.sqrt(max(nu * nu - t, 0.0))


@nb.njit(nb.types.UniTuple(nb.float64, 2)(nb.float64, nb.float64, nb.float64), **_OPTS)
def isoscalar_f1_f2(t: float, M: float, kappa_s: float) -> tuple[float, float]:
    """Baryon-number (isoscalar) nucleon form factors, paper eqs. 22-23.

    F1 = F_D [1 - t k_s/(4M^2 - t)],  F2 = F_D 4M^2 k_s/(4M^2 - t).
    """
    fd = dipole(t)
    den = 4.0 * M * M - t
    return fd * (1.0 - t * kappa_s / den), fd * 4.0 * M * M * kappa_s / den


@nb.njit(nb.types.UniTuple(nb.float64, 2)(nb.float64, nb.float64, nb.boolean), **_OPTS)
def nucleon_em_f1_f2(t: float, M: float, is_proton: bool) -> tuple[float, float]:
    """Electromagnetic Dirac/Pauli form factors from Sachs dipoles (PHYSICS.md).

    G_E^p = G_D, G_M^p = mu_p G_D, G_M^n = mu_n G_D, G_E^n from Galster et al.,
    Nucl. Phys. B 32 (1971) 221: G_E^n = -mu_n tau G_D/(1 + 5.6 tau).
    F1 = (G_E + tau G_M)/(1 + tau), F2 = (G_M - G_E)/(1 + tau), tau = -t/4M^2.
    """
    gd = dipole(t)
    tau = -t / (4.0 * M * M)
    if is_proton:
        ge = gd
        gm = _MU_P * gd
    else:
        ge = -_MU_N * tau * gd / (1.0 + 5.6 * tau)
        gm = _MU_N * gd
    return (ge + tau * gm) / (1.0 + tau), (gm - ge) / (1.0 + tau)


def helm_radius(A: int, c_fm: float | None = None, a_fm: float = 0.52, s_fm: float = 0.9
                ) -> tuple[float, float]:
    """(r_n, s) of the Helm form factor in GeV^-1, Lewin-Smith parameters.

    c = 1.23 A^(1/3) - 0.60 fm, r_n^2 = c^2 + (7/3) pi^2 a^2 - 5 s^2 (Lewin and Smith,
    Astropart. Phys. 6 (1996) 87, eq. 4.11).
    """
    if c_fm is None:
        c_fm = 1.23 * A ** (1.0 / 3.0) - 0.60
    rn2 = c_fm**2 + 7.0 / 3.0 * math.pi**2 * a_fm**2 - 5.0 * s_fm**2
    return fm_to_inv_gev(math.sqrt(rn2)), fm_to_inv_gev(s_fm)


@nb.njit(nb.float64(nb.float64, nb.float64, nb.float64), **_OPTS)
def helm(q3: float, r_n: float, s: float) -> float:
    """Helm form factor F(q) = 3 j1(q r_n)/(q r_n) exp(-(q s)^2/2), F(0) = 1."""
    x = q3 * r_n
    if x < 1e-3:
        j = 1.0 - x * x / 10.0  # 3 j1(x)/x series
    else:
        j = 3.0 * (math.sin(x) - x * math.cos(x)) / (x * x * x)
    return j * math.exp(-0.5 * (q3 * s) ** 2)


@nb.njit(nb.float64(nb.float64, nb.float64), **_OPTS)
def pauli_factor(q3: float, k_fermi: float) -> float:
    """Fermi-gas Pauli-blocking factor S = 1.5x - 0.5x^3 for x = |q|/2k_F < 1, else 1."""
    x = q3 / (2.0 * k_fermi)
    if x >= 1.0:
        return 1.0
    return 1.5 * x - 0.5 * x * x * x
