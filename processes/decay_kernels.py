"""Numba kernels of the heavy-neutrino decay matrix elements (PHYSICS.md, "Decays").

The three-body decay ``nu5(p5, s5) -> nu4(p4) f(pf) fbar(pfbar)`` through a (possibly
virtual) Z' of momentum ``q = pf + pfbar``:

    M = [ubar4 gamma^mu (g_L P_L + g_R P_R) u5] P_{mu nu}(q)
        [ubar_f gamma^nu (C_V + C_A gamma5) v_fbar] / (q^2 - M_Zp^2 + i M_Zp Gamma_Zp),
    P_{mu nu} = -g_{mu nu} + q_mu q_nu / M_Zp^2

(unitary-gauge propagator; Dirac heavy neutrinos have g_R = 0, Majorana g_R = -g_L,
PHYSICS.md "Decays").  Metric (+,-,-,-), gamma5 = i gamma^0 gamma^1 gamma^2 gamma^3,
P_L = (1 - gamma5)/2 (PHYSICS.md, "Conventions").

Spin convention
---------------
The nu5 is described by the density matrix ``u5 ubar5 -> (p5-slash + m5)(1 + gamma5 s5-slash)/2``
with ``s5.p5 = 0`` and ``-s5.s5 = P^2 <= 1`` (``P`` the degree of polarisation; in the nu5 rest
frame ``s5 = (0, P n)`` for a spin along the unit vector ``n``).  Hence

* ``|s5| = 1``: the |M|^2 of the pure spin state ``n`` (summed over the final spins);
* ``s5 = 0``: the unpolarised nu5, i.e. the *average* over the two nu5 spin states,
  ``msq(s5 = 0) = [msq(+s5) + msq(-s5)] / 2 = (1/2) sum_{all spins} |M|^2``;

and the decay rate is ``dGamma = msq(s5) dPhi_3 / (2 m5)`` in every case.

Derivation (traces, summed over the final spins)
-----------------------------------------------
With ``a = p5 - m5 s5``, ``b = p5 + m5 s5``, ``g_L^f = C_V - C_A``, ``g_R^f = C_V + C_A``,
``S(x,y)^{mu nu} = x^mu y^nu + x^nu y^mu - g^{mu nu} x.y`` and
``E(x,y)^{mu nu} = eps^{alpha mu beta nu} x_alpha y_beta``:

    L5^{mu nu} = g_L^2 [S(p4,a) + i E(p4,a)] + g_R^2 [S(p4,b) - i E(p4,b)]
                 + 2 g_L g_R m4 m5 g^{mu nu} - 2 i g_L g_R m4 E(s5,p5)
    Lf^{ab}    = 4 (C_V^2 + C_A^2) S(pf,pfbar) - 4 m_f^2 (C_V^2 - C_A^2) g - 8 i C_V C_A E(pf,pfbar)

Because ``q_a Lf^{ab} = 8 m_f^2 C_A^2 q^b`` (only the axial current is not conserved),
``P Lf P = Lf + 8 m_f^2 C_A^2 (q^2/M^2 - 2) q q / M^2``.  Contracting with
``S.S = 2[(x.u)(y.v) + (x.v)(y.u)]``, ``S.g = -2 x.y`` and
``E(x,y).E(u,v) = -2[(x.u)(y.v) - (x.v)(y.u)]`` gives ``msq = T / |D|^2`` with
``|D|^2 = (q^2 - M^2)^2 + M^2 Gamma^2`` and

    T = 8 g_L^2 [(g_L^f)^2 (p4.pf)(a.pfbar) + (g_R^f)^2 (p4.pfbar)(a.pf) + m_f^2 (C_V^2-C_A^2) p4.a]
      + 8 g_R^2 [(g_R^f)^2 (p4.pf)(b.pfbar) + (g_L^f)^2 (p4.pfbar)(b.pf) + m_f^2 (C_V^2-C_A^2) p4.b]
      - 16 g_L g_R m4 m5 [ (C_V^2 + C_A^2) pf.pfbar + 2 m_f^2 (C_V^2 - C_A^2) ]
      + 32 C_V C_A g_L g_R m4 [ (s5.pf)(p5.pfbar) - (s5.pfbar)(p5.pf) ]
      + 8 m_f^2 C_A^2 (q^2/M^2 - 2)/M^2 [g_L^2 (2 (p4.q)(a.q) - q^2 p4.a)
                                         + g_R^2 (2 (p4.q)(b.q) - q^2 p4.b) + 2 g_L g_R m4 m5 q^2].

The tests (``tests/processes/test_widths.py``) check this against an explicit Dirac-spinor
evaluation of the amplitude.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from zpgen.kinematics import mdot

FloatArray = npt.NDArray[np.float64]

__all__ = ["msq_nu5_to_nu4_ff", "msq_nu5_to_nu4_ff_batch"]

_OPTS = {"cache": True, "error_model": "numpy", "nogil": True}


@nb.njit(
    nb.float64(nb.float64[:], nb.float64[:], nb.float64[:], nb.float64[:], nb.float64[:],
               nb.float64, nb.float64, nb.float64, nb.float64, nb.float64, nb.float64,
               nb.float64, nb.float64, nb.float64),
    **_OPTS)
def msq_nu5_to_nu4_ff(p5: FloatArray, s5: FloatArray, p4: FloatArray, pf: FloatArray,
                      pfbar: FloatArray, m5: float, m4: float, mf: float, gL: float, gR: float,
                      cv: float, ca: float, M: float, Gamma: float) -> float:
    """|M|^2 of nu5 -> nu4 f fbar via a Z' for a polarised nu5, summed over final spins.

    PHYSICS.md "Decays", off-shell regime; formula and spin convention in the module
    docstring (``s5 = 0``: unpolarised, i.e. averaged over the nu5 spin).

    Parameters
    ----------
    p5, s5, p4, pf, pfbar : float64[4]
        Four-momenta (E, px, py, pz) in GeV of nu5, nu4, f and fbar, and the nu5 spin
        four-vector s5 (``s5.p5 = 0``, ``-s5.s5 = P^2``).  All momenta must be on shell.
    m5, m4, mf : float
        Masses of nu5, nu4 and f (GeV).
    gL, gR : float
        Chiral Z' nu4-nu5 couplings (Dirac: ``(g, 0)``, Majorana: ``(g, -g)``).
    cv, ca : float
        Z' f f couplings ``gamma^mu (C_V + C_A gamma5)``.
    M, Gamma : float
        Z' mass and total width (GeV), propagator ``1/(q^2 - M^2 + i M Gamma)``.

    Returns
    -------
    float
        ``|M|^2`` (dimensionless; ``dGamma = |M|^2 dPhi_3 / (2 m5)``).
    """
    # a = p5 - m5 s5, b = p5 + m5 s5, q = pf + pfbar: their products are expanded into
    # dot products of the inputs, so that no temporary four-vector is allocated
    p5pf = mdot(p5, pf)
    p5pb = mdot(p5, pfbar)
    s5pf = mdot(s5, pf)
    s5pb = mdot(s5, pfbar)
    p4p5 = mdot(p4, p5)
    p4s5 = mdot(p4, s5)
    p4pf = mdot(p4, pf)
    p4pb = mdot(p4, pfbar)
    pfpb = mdot(pf, pfbar)
    q0 = pf[0] + pfbar[0]
    q1 = pf[1] + pfbar[1]
    q2_ = pf[2] + pfbar[2]
    q3 = pf[3] + pfbar[3]
    q2 = q0 * q0 - q1 * q1 - q2_ * q2_ - q3 * q3
    apf = p5pf - m5 * s5pf
    apb = p5pb - m5 * s5pb
    bpf = p5pf + m5 * s5pf
    bpb = p5pb + m5 * s5pb
    p4a = p4p5 - m5 * p4s5
    p4b = p4p5 + m5 * p4s5
    glf2 = (cv - ca) * (cv - ca)
    grf2 = (cv + ca) * (cv + ca)
    cvca_minus = cv * cv - ca * ca
    mf2 = mf * mf
    gLgR = gL * gR
    t = 8.0 * gL * gL * (glf2 * p4pf * apb + grf2 * p4pb * apf + mf2 * cvca_minus * p4a)
    t += 8.0 * gR * gR * (grf2 * p4pf * bpb + glf2 * p4pb * bpf + mf2 * cvca_minus * p4b)
    t -= 16.0 * gLgR * m4 * m5 * ((cv * cv + ca * ca) * pfpb + 2.0 * mf2 * cvca_minus)
    t += 32.0 * cv * ca * gLgR * m4 * (s5pf * p5pb - s5pb * p5pf)
    if mf2 * ca != 0.0:
        p4q = p4pf + p4pb
        qq = (gL * gL * (2.0 * p4q * (apf + apb) - q2 * p4a)
              + gR * gR * (2.0 * p4q * (bpf + bpb) - q2 * p4b) + 2.0 * gLgR * m4 * m5 * q2)
        t += 8.0 * mf2 * ca * ca * (q2 / (M * M) - 2.0) / (M * M) * qq
    den = (q2 - M * M) ** 2 + (M * Gamma) ** 2
    return t / den


@nb.njit(
    nb.float64[:](nb.float64[:, :], nb.float64[:, :], nb.float64[:, :], nb.float64[:, :],
                  nb.float64[:, :], nb.float64, nb.float64, nb.float64, nb.float64, nb.float64,
                  nb.float64, nb.float64, nb.float64, nb.float64),
    **_OPTS)
def msq_nu5_to_nu4_ff_batch(p5: FloatArray, s5: FloatArray, p4: FloatArray, pf: FloatArray,
                            pfbar: FloatArray, m5: float, m4: float, mf: float, gL: float,
                            gR: float, cv: float, ca: float, M: float,
                            Gamma: float) -> FloatArray:
    """Row-wise :func:`msq_nu5_to_nu4_ff` over arrays of shape (n, 4)."""
    n = p5.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = msq_nu5_to_nu4_ff(p5[i], s5[i], p4[i], pf[i], pfbar[i], m5, m4, mf,
                                   gL, gR, cv, ca, M, Gamma)
    return out
