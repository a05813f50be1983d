"""Relativistic kinematics kernels (Numba): boosts, rotations, two-body decays, 2 -> 2.

Every kernel is compiled once with an explicit signature (``cache=True``,
``error_model="numpy"``, ``nogil=True``) and works on four-vectors stored as
``float64[4]`` arrays ``(E, px, py, pz)`` in GeV, metric (+,-,-,-) (PHYSICS.md,
"Conventions").  Kernels that produce four-vectors write into caller-provided arrays
(``out``) so that the event kernels of the processes allocate nothing per event; slices of
a C-contiguous ``(n, n_particles, 4)`` array are valid ``out`` arguments.

Frames
------
``boost(p, bx, by, bz, out)`` is the active boost by the velocity ``beta``: a vector ``p``
given in a frame S' that moves with velocity ``beta`` relative to S is returned in S.
Hence ``boost_from_rest(p, P, out)`` takes ``p`` from the rest frame of ``P`` (axes parallel
to the current frame) to the current frame, and ``boost_to_rest`` is its inverse.

``rotate_from_axis(v, n, out)`` expresses in the current axes a vector whose components are
given in a *helicity frame* of axis ``n``: the rotation ``R = R_z(Phi) R_y(Theta)`` with
``n = (sin Theta cos Phi, sin Theta sin Phi, cos Theta)`` maps z to ``n`` and x to the polar
unit vector ``e_Theta`` (in the plane of z and ``n``).  An azimuth measured in that frame is
therefore measured from the plane that contains the old z axis and ``n``.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import numpy.typing as npt

__all__ = [
    "boost",
    "boost_from_rest",
    "boost_to_rest",
    "incoming",
    "kallen",
    "mass",
    "mdot",
    "rotate_from_axis",
    "scatter_2to2",
    "two_body_decay",
    "two_body_momentum",
]

FloatArray = npt.NDArray[np.float64]

_OPTS = {"cache": True, "error_model": "numpy", "nogil": True}
_V4 = nb.float64[::1]


@nb.njit(nb.float64(nb.float64, nb.float64, nb.float64), **_OPTS)
def kallen(a: float, b: float, c: float) -> float:
    """Kallen function lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2ac - 2bc."""
    return a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)


@nb.njit(nb.float64(nb.float64, nb.float64, nb.float64), **_OPTS)
def two_body_momentum(M: float, m1: float, m2: float) -> float:
    """|p| of either daughter of M -> m1 m2 in the parent rest frame, lambda^(1/2)/(2M).

    Returns 0 at or below threshold (``M <= m1 + m2``).
    """
    lam = kallen(M * M, m1 * m1, m2 * m2)
    if lam <= 0.0 or m1 + m2 >= M:
        return 0.0
    return math.sqrt(lam) / (2.0 * M)


@nb.njit(nb.float64(nb.float64[:], nb.float64[:]), **_OPTS)
def mdot(a: FloatArray, b: FloatArray) -> float:
    """Minkowski product a.b, metric (+,-,-,-) (PHYSICS.md, "Conventions"); any layout
    (rows and strided views of momentum arrays)."""
    return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]


@nb.njit(nb.float64(_V4), **_OPTS)
def mass(p: FloatArray) -> float:
    """Invariant mass sqrt(p.p) (0 for space-like p)."""
    m2 = mdot(p, p)
    return math.sqrt(m2) if m2 > 0.0 else 0.0


@nb.njit(nb.void(_V4, nb.float64, nb.float64, nb.float64, _V4), **_OPTS)
def boost(p: FloatArray, bx: float, by: float, bz: float, out: FloatArray) -> None:
    """Active Lorentz boost by the velocity (bx, by, bz) (|beta| < 1); ``out`` may be ``p``.

    ``E = gamma (E' + beta.p')``, ``p = p' + [(gamma - 1)(beta.p')/beta^2 + gamma E'] beta``.
    """
    b2 = bx * bx + by * by + bz * bz
    e = p[0]
    px = p[1]
    py = p[2]
    pz = p[3]
    if b2 <= 0.0:
        out[0] = e
        out[1] = px
        out[2] = py
        out[3] = pz
        return
    gamma = 1.0 / math.sqrt(1.0 - b2)
    bp = bx * px + by * py + bz * pz
    # (gamma - 1)/beta^2 = gamma^2/(gamma + 1): no cancellation for small beta
    coef = gamma * gamma / (gamma + 1.0) * bp + gamma * e
    out[0] = gamma * (e + bp)
    out[1] = px + coef * bx
    out[2] = py + coef * by
    out[3] = pz + coef * bz


@nb.njit(nb.void(_V4, _V4, _V4), **_OPTS)
def boost_from_rest(p: FloatArray, P: FloatArray, out: FloatArray) -> None:
    """``p`` given in the rest frame of ``P`` -> the frame in which ``P`` is given."""
    boost(p, P[1] / P[0], P[2] / P[0], P[3] / P[0], out)


@nb.njit(nb.void(_V4, _V4, _V4), **_OPTS)
def boost_to_rest(p: FloatArray, P: FloatArray, out: FloatArray) -> None:
    """``p`` -> the rest frame of ``P`` (axes parallel to the current ones)."""
    boost(p, -P[1] / P[0], -P[2] / P[0], -P[3] / P[0], out)


@nb.njit(nb.void(_V4, nb.float64, nb.float64, nb.float64, _V4), **_OPTS)
def rotate_from_axis(v: FloatArray, nx: float, ny: float, nz: float, out: FloatArray) -> None:
    """Rotate the 3-vector part of ``v`` by R (z -> n, x -> e_Theta); ``out`` may be ``v``.

    ``n`` need not be normalised (it must be non-zero).  The time component is copied.
    """
    norm = math.sqrt(nx * nx + ny * ny + nz * nz)
    ux = nx / norm
    uy = ny / norm
    uz = nz / norm
    st = math.sqrt(ux * ux + uy * uy)
    if st > 0.0:
        cp = ux / st
        sp = uy / st
    else:
        cp = 1.0
        sp = 0.0
    ct = uz
    x = v[1]
    y = v[2]
    z = v[3]
    # R_y(Theta): (x ct + z st, y, -x st + z ct); then R_z(Phi)
    xr = x * ct + z * st
    zr = -x * st + z * ct
    out[0] = v[0]
    out[1] = xr * cp - y * sp
    out[2] = xr * sp + y * cp
    out[3] = zr


@nb.njit(nb.void(nb.float64, nb.float64, nb.float64, nb.float64, nb.float64, _V4, _V4), **_OPTS)
def two_body_decay(M: float, m1: float, m2: float, cos_theta: float, phi: float,
                   p1: FloatArray, p2: FloatArray) -> None:
    """Daughter four-momenta of M -> m1 m2 in the parent rest frame.

    Daughter 1 flies along (theta, phi) of the current axes, daughter 2 opposite;
    ``|p| = lambda^(1/2)(M^2, m1^2, m2^2)/(2M)``.
    """
    q = two_body_momentum(M, m1, m2)
    c = min(max(cos_theta, -1.0), 1.0)
    s = math.sqrt(max(1.0 - c * c, 0.0))
    qx = q * s * math.cos(phi)
    qy = q * s * math.sin(phi)
    qz = q * c
    p1[0] = math.sqrt(q * q + m1 * m1)
    p1[1] = qx
    p1[2] = qy
    p1[3] = qz
    p2[0] = math.sqrt(q * q + m2 * m2)
    p2[1] = -qx
    p2[2] = -qy
    p2[3] = -qz


@nb.njit(nb.void(nb.float64, nb.float64, _V4, _V4), **_OPTS)
def incoming(E_nu: float, M: float, k: FloatArray, p: FloatArray) -> None:
    """The lab frame of every event: the (massless) neutrino ``k`` of energy ``E_nu`` along
    +z, the target ``p`` of mass ``M`` at rest."""
    k[0] = E_nu
    k[1] = 0.0
    k[2] = 0.0
    k[3] = E_nu
    p[0] = M
    p[1] = 0.0
    p[2] = 0.0
    p[3] = 0.0


@nb.njit(nb.void(nb.float64, nb.float64, nb.float64, nb.float64, nb.float64, _V4, _V4), **_OPTS)
def scatter_2to2(E_nu: float, M: float, m5: float, t: float, phi: float,
                 p5: FloatArray, pT: FloatArray) -> None:
    """Lab kinematics of nu(E_nu along +z) T(M at rest) -> nu5(m5) T'(M) at given t, phi.

    ``E5 = E_nu + t/2M`` (the target recoils with ``T = -t/2M``), ``|p5| = sqrt(E5^2 - m5^2)``,
    ``cos theta5 = (E5 - (m5^2 - t)/2E_nu)/|p5|`` from ``t = (k1 - k2)^2``; ``phi`` is the
    azimuth of nu5 about the beam.  The recoil is ``pT = k1 + k - p5`` (exact
    four-momentum conservation).  For t outside the physical range cos theta5 is clipped.
    """
    E5 = E_nu + t / (2.0 * M)
    p = math.sqrt(max(E5 * E5 - m5 * m5, 0.0))
    if p > 0.0:
        c = (E5 - (m5 * m5 - t) / (2.0 * E_nu)) / p
    else:
        c = 1.0
    c = min(max(c, -1.0), 1.0)
    s = math.sqrt(max(1.0 - c * c, 0.0))
    p5[0] = E5
    p5[1] = p * s * math.cos(phi)
    p5[2] = p * s * math.sin(phi)
    p5[3] = p * c
    pT[0] = E_nu + M - p5[0]
    pT[1] = -p5[1]
    pT[2] = -p5[2]
    pT[3] = E_nu - p5[3]
