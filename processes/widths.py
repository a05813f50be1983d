"""Widths, branching ratios and lifetimes of Z', nu5 and nu4 (PHYSICS.md, "Decays").

All energies and widths in GeV, decay lengths in cm, lifetimes in s.  Vertices are written
``fbar gamma^mu (C_V + C_A gamma5) f`` or ``gamma^mu (g_L P_L + g_R P_R)`` (PHYSICS.md,
"Conventions"); the heavy-neutrino vertices are P_L for Dirac states and ``g (P_L - P_R)``
for Majorana states (:func:`zpgen.processes.couplings.chiral`).

Spin sums
---------
``Sum|M|^2`` of :func:`gamma_nu_to_nu_zprime` is summed over *all* spins and the three Z'
polarisations, initial spin included; with ``|p| = lambda^(1/2)/(2 m_i)`` the prefactor is
``lambda^(1/2)/(32 pi m_i^3) = |p|/(16 pi m_i^2)``, i.e.
``Gamma = |p|/(8 pi m_i^2) x (1/2) Sum|M|^2``, so the formula of PHYSICS.md is the width of an
unpolarised (spin-averaged) nu_i; checked against an explicit spinor calculation in the tests.

Dirac and Majorana
------------------
For a Majorana nu_i the vertex ``g (P_L - P_R)`` already contains both the ``nu_j Z'`` and
the (Dirac-language) charge-conjugate final state: no extra factor 2 is added, and the
PHYSICS.md formula with ``g_R = -g_L`` is the full width of the single channel.  For
``m_j -> 0`` this gives ``Gamma_Majorana = 2 Gamma_Dirac`` (the ``-12 g_L g_R m_i m_j``
interference vanishes, ``g_L^2 + g_R^2 = 2 g^2``).

Narrow-width bookkeeping
------------------------
``nu5 -> nu4 Z' -> nu4 f fbar`` (on-shell, ``M_Z' < m5 - m4``) and ``nu5 -> nu4 f fbar``
through a virtual Z' (three-body) are the same amplitude.  :func:`widths` therefore uses
*either* the two-body width (times the Z' branching ratios) when the Z' can be on shell,
*or* the three-body widths when it cannot; never both (that would double count).  The
three-body integral with the Z' width reproduces the on-shell chain up to O(Gamma_Z'/M_Z')
(checked in the tests).  The same rule is applied to nu5 -> nu_light Z' (``M_Z' < m5``) and
nu4 -> nu_light Z' (``M_Z' < m4``).  The light neutrinos are massless.

Thresholds.  Close to ``M_Z' = m5 - m4`` the narrow-width form fails: the phase space
vanishes like a square root at the upper end of the m_ee^2 range, the Breit-Wigner peak is
cut by it, and the two-body width (which vanishes like the momentum) misses the part of the
peak that the range still holds; its error grows like ``sqrt(M Gamma / Delta)``
(``Delta = (m5 - m4)^2 - M_Z'^2``) and is O(1) for ``Delta ~ M Gamma``, so that the
visible branching ratio would jump at the threshold.  The nu4 chain is therefore treated on
shell (:func:`nu4_chain_on_shell`) only when ``Delta > _NWA_MARGIN M Gamma``
(``_NWA_MARGIN = 1e3``: there the two forms agree to a few 1e-6, the accuracy of the
narrow-width form itself); nearer the threshold, on and above it, the three-body integral
is used: it is a continuous function of M_Z' through the threshold.  For the light
final states (``m_j = 0``) the phase space vanishes like ``Delta^2`` instead, the cut-off
part of the peak is negligible, and the narrow-width form misses only the non-resonant
three-body rate, O(Gamma_Z'/M_Z') of the two-body width away from threshold; their rule
stays ``M_Z' < m_i`` (the event kernels model these modes on shell only).

Quadrature.  The three-body integrand vanishes like a square root at the edges of the
m^2 range (``lambda^(1/2)`` at the upper edge for ``m4 > 0``, ``beta`` at ``(2 m_f)^2``) and
the Z' pole may sit on an edge (``M_Z' = m5 - m4``, ``m5``, ``m4`` or ``2 m_f``).  The
integration variable is substituted near every edge so that the square root becomes
linear, and the factors that vanish there are computed from the exact distance to the edge
(:func:`_integrate_breit_wigner`); the tolerance of the quadrature is unchanged.

Channels not in PHYSICS.md (Z' -> heavy + light neutrino for ``M_Z' > m4``, hadrons) are not
included in the Z' width.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from zpgen.processes.couplings import PhysicalCouplings, chiral

from zpgen.constants import HBAR_GEV_S, HBARC_GEV_CM, M_E, M_MU

__all__ = [
    "VISIBLE_MODES",
    "asymmetry",
    "decay_asymmetry",
    "decay_asymmetry_chiral",
    "dgamma_nu5_to_nu4_ff_dm2",
    "gamma_nu5_to_nu4_ff",
    "gamma_nu5_to_nu4_nunu",
    "gamma_nu_to_nu_zprime",
    "gamma_three_body",
    "gamma_zprime_ff",
    "gamma_zprime_nunu",
    "kallen",
    "nu4_chain_on_shell",
    "visible_branching_ratio",
    "visible_branching_ratios",
    "widths",
    "zprime_widths",
]

#: Number of light neutrino flavours.
N_LIGHT = 3
#: Relative accuracy requested from scipy.integrate.quad.
_EPSREL = 1e-10
#: Largest relative error estimate accepted when QUADPACK reports round-off.
_EPSREL_ACCEPT = 1e-8
#: Half-width of the Breit-Wigner window integrated with the arctan substitution, in units of
#: M_Z' Gamma_Z' (in m^2); beyond it the integrand is smooth in log|m^2 - M_Z'^2|.
_BW_WINDOW = 1.0e3


def kallen(a: float, b: float, c: float) -> float:
    """Kallen function lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2ac - 2bc."""
    return a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)


# --------------------------------------------------------------------------------------
# Z' decays
# --------------------------------------------------------------------------------------
def gamma_zprime_ff(M: float, m_f: float, cv: float, ca: float) -> float:
    """Gamma(Z' -> f fbar) in GeV (PHYSICS.md, "Decays", first equation).

    ``M/(12 pi) beta [C_V^2 (1 + 2 m_f^2/M^2) + C_A^2 beta^2]``, ``beta = sqrt(1 - 4 m_f^2/M^2)``;
    averaged over the three Z' polarisations, summed over the fermion spins.

    Parameters
    ----------
    M : float
        Z' mass (GeV).
    m_f : float
        Fermion mass (GeV).
    cv, ca : float
        Vector and axial couplings ``gamma^mu (C_V + C_A gamma5)``.

    Returns
    -------
    float
        The width; 0 below threshold (``M <= 2 m_f``).
    """
    if 2.0 * m_f >= M:
        return 0.0
    r = m_f * m_f / (M * M)
    beta2 = 1.0 - 4.0 * r
    return M / (12.0 * math.pi) * math.sqrt(beta2) * (cv * cv * (1.0 + 2.0 * r) + ca * ca * beta2)


def gamma_zprime_nunu(M: float, g_nu: float) -> float:
    """Gamma(Z' -> nu_a nubar_a) per light flavour, ``g_nu^2 M/(24 pi)`` (PHYSICS.md, "Decays").

    This is :func:`gamma_zprime_ff` with ``m_f = 0``, ``C_V = -C_A = g_nu/2`` (a P_L coupling).
    """
    return g_nu * g_nu * M / (24.0 * math.pi)


def zprime_widths(pc: PhysicalCouplings) -> dict[str, float]:
    """Partial and total Z' widths (GeV): ``ee``, ``mumu``, ``nunu`` (3 flavours), ``total``."""
    M = pc.mzprime
    ee = gamma_zprime_ff(M, M_E, pc.cv_l, pc.ca_l)
    mumu = gamma_zprime_ff(M, M_MU, pc.cv_l, pc.ca_l)
    nunu = N_LIGHT * gamma_zprime_nunu(M, pc.g_nu)
    return {"total": ee + mumu + nunu, "ee": ee, "mumu": mumu, "nunu": nunu}


# --------------------------------------------------------------------------------------
# Two-body heavy-neutrino decays
# --------------------------------------------------------------------------------------
def _two_body_sqrt_kallen(m_i: float, m_j: float, M: float) -> float:
    """``lambda^(1/2)(m_i^2, m_j^2, M^2)`` from the masses, factorised,
    ``(m_i - m_j - M)(m_i + m_j + M)(m_i - m_j + M)(m_i + m_j - M)``: exact near the
    threshold, where the sum form of :func:`kallen` cancels to rounding noise."""
    lam = (m_i - m_j - M) * (m_i + m_j + M) * (m_i - m_j + M) * (m_i + m_j - M)
    return math.sqrt(max(lam, 0.0))


def _two_body_b(m_i: float, m_j: float, M: float) -> float:
    """``B = (m_i^2 - m_j^2)^2 + M^2 (m_i^2 + m_j^2 - 2 M^2)``, written as
    ``(D - M^2)(D + 2 M^2) + 2 M^2 m_j^2`` (``D = m_i^2 - m_j^2``) so that for ``m_j = 0`` it
    vanishes exactly like ``m_i - M`` at ``M -> m_i``."""
    d = m_i * m_i - m_j * m_j
    d_minus = (m_i - M) * (m_i + M) - m_j * m_j
    return d_minus * (d + 2.0 * M * M) + 2.0 * M * M * m_j * m_j


def _msq_two_body_summed(m_i: float, m_j: float, M: float, g_L: float, g_R: float) -> float:
    """Sum|M|^2 of nu_i -> nu_j Z' over all spins and polarisations (PHYSICS.md, "Decays")."""
    return ((g_L * g_L + g_R * g_R) * _two_body_b(m_i, m_j, M) / (M * M)
            - 12.0 * g_L * g_R * m_i * m_j)


def gamma_nu_to_nu_zprime(m_i: float, m_j: float, M: float, g_L: float, g_R: float) -> float:
    """Gamma(nu_i -> nu_j Z') in GeV for an unpolarised nu_i (PHYSICS.md, "Decays").

    ``lambda^(1/2)(m_i^2, m_j^2, M^2)/(32 pi m_i^3) * Sum|M|^2`` with
    ``Sum|M|^2 = (g_L^2 + g_R^2)[(m_i^2 - m_j^2)^2/M^2 + m_i^2 + m_j^2 - 2M^2]
    - 12 g_L g_R m_i m_j``
    summed over all spins (the initial-spin average is the 1/2 inside 1/(32 pi)).

    Parameters
    ----------
    m_i, m_j : float
        Masses of the decaying and the final neutrino (GeV).
    M : float
        Z' mass (GeV).
    g_L, g_R : float
        Chiral couplings of ``gamma^mu (g_L P_L + g_R P_R)``; Dirac ``(g, 0)``,
        Majorana ``(g, -g)`` (see the module docstring: no extra factor for Majorana).

    Returns
    -------
    float
        The width; 0 if ``M >= m_i - m_j`` (channel closed).
    """
    if M <= 0.0 or m_i - m_j <= M:
        return 0.0
    lam = _two_body_sqrt_kallen(m_i, m_j, M)
    return lam / (32.0 * math.pi * m_i**3) * _msq_two_body_summed(m_i, m_j, M, g_L, g_R)


def decay_asymmetry_chiral(m_i: float, m_j: float, M: float, g_L: float, g_R: float) -> float:
    """Spin asymmetry alpha of nu_i -> nu_j Z' for general chiral couplings.

    ``dGamma/dcos(theta) ~ 1 + alpha P cos(theta)``, theta the angle between the Z' momentum
    and the nu_i spin in the nu_i rest frame.  From the polarised trace (``p_i -> p_i -/+ m_i s``
    in the g_L^2 / g_R^2 terms):

        alpha = (g_L^2 - g_R^2) lambda^(1/2) (m_i^2 - m_j^2 - 2 M^2)
                / [(g_L^2 + g_R^2) B - 12 g_L g_R m_i m_j M^2],
        B = (m_i^2 - m_j^2)^2 + M^2 (m_i^2 + m_j^2 - 2 M^2).

    It reduces to PHYSICS.md's alpha for ``g_R = 0`` and vanishes for Majorana (``g_R = -g_L``).
    Returns 0 for a closed channel.
    """
    if M <= 0.0 or m_i - m_j <= M:
        return 0.0
    mi2, mj2, M2 = m_i * m_i, m_j * m_j, M * M
    lam = _two_body_sqrt_kallen(m_i, m_j, M)
    b = _two_body_b(m_i, m_j, M)
    den = (g_L * g_L + g_R * g_R) * b - 12.0 * g_L * g_R * m_i * m_j * M2
    if den == 0.0:
        return 0.0
    return (g_L * g_L - g_R * g_R) * lam * (mi2 - mj2 - 2.0 * M2) / den


def decay_asymmetry(m_i: float, m_j: float, M: float) -> float:
    """alpha of PHYSICS.md "Decays" (Dirac nu_i, P_L vertex).

    ``alpha = lambda^(1/2)(m_i^2 - m_j^2 - 2M^2)/[(m_i^2 - m_j^2)^2 + M^2(m_i^2 + m_j^2 - 2M^2)]``,
    theta between the Z' and the nu_i spin (for a Dirac *particle*; the antiparticle has -alpha).
    """
    return decay_asymmetry_chiral(m_i, m_j, M, 1.0, 0.0)


def asymmetry(pc: PhysicalCouplings, which: str = "nu5_nu4") -> float:
    """alpha of a two-body heavy-neutrino decay of the model point; 0 for Majorana states.

    Parameters
    ----------
    pc : PhysicalCouplings
        The model point.
    which : {"nu5_nu4", "nu5_nu", "nu4_nu"}
        nu5 -> nu4 Z', nu5 -> nu_light Z' or nu4 -> nu_light Z'.

    Returns
    -------
    float
        alpha (0 for Majorana states or a closed channel).
    """
    masses = {"nu5_nu4": (pc.m5, pc.m4), "nu5_nu": (pc.m5, 0.0), "nu4_nu": (pc.m4, 0.0)}
    if which not in masses:
        raise ValueError(f"which: expected one of {sorted(masses)}, got {which!r}")
    if pc.majorana:
        return 0.0
    m_i, m_j = masses[which]
    return decay_asymmetry(m_i, m_j, pc.mzprime)


# --------------------------------------------------------------------------------------
# Three-body decays through a (virtual) Z'
# --------------------------------------------------------------------------------------
def _three_body_numerator(m2_ff: float, m5: float, m4: float, m_f: float, g_L: float,
                          g_R: float, cv: float, ca: float, M: float) -> float:
    """dGamma/dm^2 times |q^2 - M^2 + i M Gamma|^2 (unpolarised nu5) at ``q^2 = m2_ff``.

    :func:`_three_body_numerator_at` with the distances to the phase-space edges taken as
    differences; 0 outside ``(2 m_f)^2 < q^2 < (m5 - m4)^2``.
    """
    lo, hi = 4.0 * m_f * m_f, (m5 - m4) ** 2
    if m2_ff <= lo or m2_ff >= hi:
        return 0.0
    return _three_body_numerator_at(m2_ff, m2_ff - lo, hi - m2_ff, m5, m4, m_f, g_L, g_R,
                                    cv, ca, M)


def _three_body_numerator_at(q2: float, l_edge: float, u_edge: float, m5: float, m4: float,
                             m_f: float, g_L: float, g_R: float, cv: float, ca: float,
                             M: float) -> float:
    """dGamma/dq^2 times |q^2 - M^2 + i M Gamma|^2 (unpolarised nu5), edge distances given.

    ``l_edge = q^2 - 4 m_f^2`` and ``u_edge = (m5 - m4)^2 - q^2`` are passed separately so
    that near a phase-space edge the factors that vanish there are exact (a difference
    ``(m5 - m4)^2 - q^2`` of nearly equal numbers would carry the rounding error of q^2):
    ``lambda(m5^2, m4^2, q^2) = u_edge (u_edge + 4 m5 m4)``, ``beta^2 = l_edge/q^2``,
    ``2 p4.p5 = 2 m5 m4 + u_edge``, ``2 p4.q = 2 m4 (m5 - m4) + u_edge``.

    The f fbar angular integral of the lepton tensor is
    ``int dPhi2 Lf = Phi2 [A (q q/q^2 - g) + B q q/q^2]``, with
    ``A = (4/3)[C_V^2 (q^2 + 2 m_f^2) + C_A^2 (q^2 - 4 m_f^2)]`` and ``B = 8 m_f^2 C_A^2``;
    the propagator numerator leaves the transverse part unchanged and multiplies the
    ``q q`` part by ``(q^2/M^2 - 1)^2``.  Contracting with the spin-averaged nu5 tensor
    ``L5 = (g_L^2 + g_R^2) S(p4,p5) + 2 g_L g_R m4 m5 g`` and multiplying by
    ``(1/2m5) (1/2pi) Phi2(nu5 -> nu4 q) Phi2(q -> f fbar)`` gives dGamma/dq^2.
    """
    if l_edge <= 0.0 or u_edge <= 0.0:
        return 0.0
    m52, m42, mf2 = m5 * m5, m4 * m4, m_f * m_f
    beta = math.sqrt(l_edge / q2)
    lam = math.sqrt(u_edge * (u_edge + 4.0 * m5 * m4))
    p4p5 = 0.5 * (2.0 * m5 * m4 + u_edge)
    p5q = 0.5 * (m52 - m42 + q2)
    p4q = 0.5 * (2.0 * m4 * (m5 - m4) + u_edge)
    g2 = g_L * g_L + g_R * g_R
    gg = g_L * g_R * m4 * m5
    qlq = g2 * (2.0 * p4q * p5q - q2 * p4p5) + 2.0 * gg * q2
    glg = -2.0 * g2 * p4p5 + 8.0 * gg
    a_ff = 4.0 / 3.0 * (cv * cv * (q2 + 2.0 * mf2) + ca * ca * l_edge)
    b_ff = 8.0 * mf2 * ca * ca
    contraction = a_ff * (qlq / q2 - glg) + b_ff * (q2 / (M * M) - 1.0) ** 2 * qlq / q2
    phase_space = lam / (8.0 * math.pi * m52) * beta / (8.0 * math.pi) / (2.0 * math.pi)
    return phase_space * contraction / (2.0 * m5)


def dgamma_nu5_to_nu4_ff_dm2(m2_ff: float, m5: float, m4: float, m_f: float, g_L: float,
                             g_R: float, cv: float, ca: float, M: float,
                             gamma_zprime: float) -> float:
    """dGamma(nu5 -> nu4 f fbar)/dm_ff^2 (GeV^-1) through a (virtual) Z' (PHYSICS.md, "Decays").

    Unpolarised nu5, integrated analytically over all angles at fixed pair mass squared
    ``m2_ff = q^2``; unitary-gauge propagator
    ``(-g + q q/M^2)/(q^2 - M^2 + i M Gamma_Z')``.  The polarised fully differential
    |M|^2 is :func:`zpgen.processes.decay_kernels.msq_nu5_to_nu4_ff`.

    Parameters
    ----------
    m2_ff : float
        Pair invariant mass squared (GeV^2); the result is 0 outside
        ``(2 m_f)^2 < m2_ff < (m5 - m4)^2``.
    m5, m4, m_f : float
        Masses (GeV) of the decaying neutrino, the final neutrino and f.
    g_L, g_R : float
        Chiral nu4-nu5 couplings (Dirac ``(g, 0)``, Majorana ``(g, -g)``).
    cv, ca : float
        Z' f f couplings; ``(g_nu/2, -g_nu/2)`` for a light neutrino pair.
    M, gamma_zprime : float
        Z' mass and total width (GeV).
    """
    num = _three_body_numerator(m2_ff, m5, m4, m_f, g_L, g_R, cv, ca, M)
    return num / ((m2_ff - M * M) ** 2 + (M * gamma_zprime) ** 2)


def _quad(f: Callable[[float], float], a: float, b: float) -> float:
    """quad on [a, b] at relative accuracy _EPSREL.

    QUADPACK flags round-off when 1e-10 cannot be certified at a square-root endpoint
    (the phase-space edge); such a result is accepted when its error estimate is below
    _EPSREL_ACCEPT, otherwise a RuntimeError is raised.
    """
    if b <= a:
        return 0.0
    from scipy import integrate  # here: scipy.integrate costs ~0.13 s to import, and
    # a run whose widths are all closed-form (two-body decays) never needs it
    res = integrate.quad(f, a, b, epsrel=_EPSREL, epsabs=0.0, limit=400, full_output=1)
    val, err = float(res[0]), float(res[1])
    if len(res) > 3 and err > _EPSREL_ACCEPT * abs(val):
        raise RuntimeError(f"three-body width integral not converged on [{a}, {b}]: "
                           f"{val} +- {err} ({res[3]})")
    return val


#: Numerator of a resonant integrand as a function of ``(x, x - lo, hi - x)``.
EdgeNumerator = Callable[[float, float, float], float]


@dataclass(frozen=True)
class _Piece:
    """One piece of the m^2 range in its own variable ``y``, ``x - M^2 = d(y)``.

    ``kind`` is ``"core"`` (``d = MG tan y``) or ``"tail"`` (``d = sign exp(y)``);
    ``edge_a`` / ``edge_b`` say which phase-space edge (``"lo"``, ``"hi"`` or None) the end
    ``y = ya`` / ``y = yb`` is.
    """

    kind: str
    sign: float
    ya: float
    yb: float
    edge_a: str | None
    edge_b: str | None

    def offset(self, y: float, MG: float) -> float:
        """``x - M^2`` at ``y``."""
        return MG * math.tan(y) if self.kind == "core" else self.sign * math.exp(y)

    def density(self, y: float, MG: float) -> float:
        """``dx/dy / ((x - M^2)^2 + MG^2)``: the Breit-Wigner in the piece's variable."""
        if self.kind == "core":
            return 1.0 / MG
        d = math.exp(y)
        return d / (d * d + MG * MG)

    def distance(self, y_edge: float, step: float, MG: float) -> float:
        """``|x(y_edge + step) - x(y_edge)|`` in closed form from the exact ``step`` (never a
        difference of nearly equal numbers, neither in x nor in y)."""
        if self.kind == "core":
            return MG * abs(math.sin(step)) / (math.cos(y_edge + step) * math.cos(y_edge))
        return math.exp(y_edge) * abs(math.expm1(step))


def _resonance_pieces(d_lo: float, d_hi: float, MG: float) -> list[_Piece]:
    """The pieces of ``x - M^2`` in ``[d_lo, d_hi]`` (see :func:`_integrate_breit_wigner`).

    Core ``|x - M^2| < w`` (``w = _BW_WINDOW MG``) with the arctan map, extended to a
    phase-space edge closer than ``2 w`` to the pole (so no sliver piece between the window
    and an edge); power-law tails beyond it with the logarithmic maps.
    """
    pieces = []
    w = _BW_WINDOW * MG
    c_lo = d_lo if d_lo > -2.0 * w else -w
    c_hi = d_hi if d_hi < 2.0 * w else w
    core = MG > 0.0 and c_lo < c_hi
    if core:
        pieces.append(_Piece("core", 1.0, math.atan(c_lo / MG), math.atan(c_hi / MG),
                             "lo" if c_lo == d_lo else None, "hi" if c_hi == d_hi else None))
    if d_lo < 0.0 and (not core or c_lo > d_lo):  # below the pole: x = M^2 - exp(y)
        near = c_lo if core else min(d_hi, 0.0)
        if near < 0.0:
            # y grows away from the pole: ya is the end nearer the pole, yb is x = lo
            pieces.append(_Piece("tail", -1.0, math.log(-near), math.log(-d_lo),
                                 "hi" if near == d_hi else None, "lo"))
    if d_hi > 0.0 and (not core or c_hi < d_hi):  # above the pole: x = M^2 + exp(y)
        near = c_hi if core else max(d_lo, 0.0)
        if near > 0.0:
            pieces.append(_Piece("tail", 1.0, math.log(near), math.log(d_hi),
                                 "lo" if near == d_lo else None, "hi"))
    return pieces


def _integrate_piece(piece: _Piece, num: EdgeNumerator, lo: float, hi: float, M2: float,
                     MG: float) -> float:
    """Integral of one piece; an end on a phase-space edge gets ``y = y_edge +/- tau^2``."""
    if piece.edge_a is not None and piece.edge_b is not None:  # both ends on an edge: halve
        mid = 0.5 * (piece.ya + piece.yb)
        return (_integrate_piece(replace(piece, yb=mid, edge_b=None), num, lo, hi, M2, MG)
                + _integrate_piece(replace(piece, ya=mid, edge_a=None), num, lo, hi, M2, MG))
    if piece.edge_a is None and piece.edge_b is None:
        def plain(y: float) -> float:
            d = piece.offset(y, MG)
            return num(M2 + d, (M2 - lo) + d, (hi - M2) - d) * piece.density(y, MG)
        return _quad(plain, piece.ya, piece.yb)
    at_a = piece.edge_a is not None
    y_edge, orient = (piece.ya, 1.0) if at_a else (piece.yb, -1.0)
    edge = piece.edge_a if at_a else piece.edge_b
    span = hi - lo

    def edge_integrand(tau: float) -> float:
        step = orient * tau * tau
        y = y_edge + step
        dist = piece.distance(y_edge, step, MG)
        if edge == "lo":
            value = num(lo + dist, dist, span - dist)
        else:
            value = num(hi - dist, span - dist, dist)
        return 2.0 * tau * piece.density(y, MG) * value

    return _quad(edge_integrand, 0.0, math.sqrt(piece.yb - piece.ya))


def _integrate_breit_wigner(num: EdgeNumerator, lo: float, hi: float, M2: float,
                            MG: float) -> float:
    """``int_lo^hi num(x, x - lo, hi - x) / ((x - M2)^2 + MG^2) dx``.

    ``num`` is smooth inside the range and may vanish like a square root at either edge
    (the phase space of a two-body decay, ``lambda^(1/2)`` or ``beta``).  The range is cut
    into pieces, each with a substitution that makes its integrand smooth:

    * within ``|x - M2| < _BW_WINDOW MG`` (the core), ``x = M2 + MG tan(theta)`` makes the
      Breit-Wigner flat, so a peak of relative width 1e-8 is integrated exactly;
    * outside, ``x = M2 -/+ exp(y)`` makes the power-law tails smooth;
    * a piece ending on a phase-space edge is further substituted as ``y = y_edge +/-
      tau^2``: ``sqrt(x - edge)`` becomes linear in tau, and the distance to the edge is
      computed in closed form from tau and handed to ``num`` (so the vanishing factors are
      exact even when the pole sits on the edge, ``M2 = lo`` or ``M2 = hi``).

    Raises ``ValueError`` for ``MG <= 0`` with the pole inside or on the range (divergent).
    """
    if hi <= lo:
        return 0.0
    d_lo, d_hi = lo - M2, hi - M2
    if MG <= 0.0 and d_lo <= 0.0 <= d_hi:
        raise ValueError("zero Z' width with the Z' pole inside or on the edge of the "
                         "integration range")
    return sum(_integrate_piece(p, num, lo, hi, M2, MG)
               for p in _resonance_pieces(d_lo, d_hi, MG))


def gamma_three_body(m5: float, m4: float, m_f: float, g_L: float, g_R: float, cv: float,
                     ca: float, M: float, gamma_zprime: float) -> float:
    """Gamma(nu_i -> nu_j f fbar) through a (virtual) Z' in GeV, unpolarised nu_i.

    Integral of :func:`dgamma_nu5_to_nu4_ff_dm2` over ``(2 m_f)^2 < m_ff^2 < (m5 - m4)^2`` with
    scipy.integrate.quad; the Breit-Wigner peak, when inside or near the range, is integrated
    with an arctan substitution.  Valid on and off shell (on shell it contains the resonant
    chain: see "Narrow-width bookkeeping" in the module docstring).
    """
    lo, hi = 4.0 * m_f * m_f, (m5 - m4) ** 2
    if hi <= lo:
        return 0.0

    def num(q2: float, l_edge: float, u_edge: float) -> float:
        return _three_body_numerator_at(q2, l_edge, u_edge, m5, m4, m_f, g_L, g_R, cv, ca, M)

    return _integrate_breit_wigner(num, lo, hi, M * M, M * gamma_zprime)


def gamma_nu5_to_nu4_ff(pc: PhysicalCouplings, m_f: float, cv: float, ca: float, *,
                        gamma_zprime: float | None = None) -> float:
    """Gamma(nu5 -> nu4 f fbar) through a (virtual) Z' for the model point (GeV).

    Couplings ``chiral(g_45, majorana)`` at the nu4-nu5 vertex (PHYSICS.md, "Decays").

    Parameters
    ----------
    pc : PhysicalCouplings
        Model point (masses, g_45, Dirac/Majorana).
    m_f, cv, ca : float
        Mass and Z' couplings of f (``M_E, pc.cv_l, pc.ca_l`` for e+ e-).
    gamma_zprime : float, optional
        Z' width in the propagator; default the total width of :func:`zprime_widths`.
    """
    g_L, g_R = chiral(pc.g_45, pc.majorana)
    gz = zprime_widths(pc)["total"] if gamma_zprime is None else gamma_zprime
    return gamma_three_body(pc.m5, pc.m4, m_f, g_L, g_R, cv, ca, pc.mzprime, gz)


def gamma_nu5_to_nu4_nunu(pc: PhysicalCouplings, *, gamma_zprime: float | None = None) -> float:
    """Gamma(nu5 -> nu4 nu_a nubar_a) per light flavour (invisible; P_L coupling g_nu)."""
    return gamma_nu5_to_nu4_ff(pc, 0.0, 0.5 * pc.g_nu, -0.5 * pc.g_nu, gamma_zprime=gamma_zprime)


# --------------------------------------------------------------------------------------
# Summary for the CLI
# --------------------------------------------------------------------------------------
#: The nu4 chain is on shell only if (m5 - m4)^2 - M_Z'^2 > _NWA_MARGIN M_Z' Gamma_Z'
#: (module docstring, "Thresholds").
_NWA_MARGIN = 1.0e3


def nu4_chain_on_shell(m5: float, m4: float, M: float, gamma_zprime: float) -> bool:
    """Whether nu5 -> nu4 Z' is treated as a two-body decay (narrow width) or not.

    True when the Z' peak lies inside the m_ee^2 range by more than ``_NWA_MARGIN`` times
    ``M Gamma_Z'``: ``(m5 - m4)^2 - M^2 > _NWA_MARGIN M Gamma_Z'`` (module docstring,
    "Thresholds"); otherwise the three-body width through a (virtual) Z' is used.
    """
    return m5 - m4 > M and (m5 - m4) ** 2 - M * M > _NWA_MARGIN * M * gamma_zprime


def _heavy_to_light(pc: PhysicalCouplings, m_i: float, m_j: float, g: float,
                    gz_total: float, on_shell: bool) -> dict[str, float]:
    """Two-body nu_i -> nu_j Z' if ``on_shell``, else the three-body modes (virtual Z')."""
    g_L, g_R = chiral(g, pc.majorana)
    M = pc.mzprime
    out = {"Zprime": 0.0, "ee": 0.0, "mumu": 0.0, "nunu": 0.0}
    if on_shell:
        out["Zprime"] = gamma_nu_to_nu_zprime(m_i, m_j, M, g_L, g_R)
    else:
        out["ee"] = gamma_three_body(m_i, m_j, M_E, g_L, g_R, pc.cv_l, pc.ca_l, M, gz_total)
        out["mumu"] = gamma_three_body(m_i, m_j, M_MU, g_L, g_R, pc.cv_l, pc.ca_l, M, gz_total)
        out["nunu"] = N_LIGHT * gamma_three_body(m_i, m_j, 0.0, g_L, g_R, 0.5 * pc.g_nu,
                                                 -0.5 * pc.g_nu, M, gz_total)
    return out


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0.0 else 0.0


def _ctau(gamma: float) -> float:
    return HBARC_GEV_CM / gamma if gamma > 0.0 else math.inf


def _tau(gamma: float) -> float:
    return HBAR_GEV_S / gamma if gamma > 0.0 else math.inf


def widths(pc: PhysicalCouplings) -> dict:
    """Widths (GeV), branching ratios, decay lengths (cm) and lifetimes (s) of Z', nu5, nu4.

    PHYSICS.md "Decays".  Channels:

    * Z': e+e-, mu+mu-, nu nubar (3 flavours).
    * nu5: nu4 Z' (g_45) when ``M_Z' < m5 - m4`` by more than the narrow-width margin
      (:func:`nu4_chain_on_shell`; "on-shell" regime), otherwise the three-body nu4 e+e-,
      nu4 mu+mu- and nu4 nu nubar (3 flavours) through a virtual Z' ("off-shell" regime,
      which includes the threshold region); nu_light Z' (g_5a, quadrature sum over
      flavours) when
      ``M_Z' < m5``, otherwise nu_light e+e- / mu+mu- / nu nubar.  Never both two- and
      three-body forms of the same channel (narrow-width bookkeeping, module docstring).
    * nu4: nu_light Z' (g_4a) when ``M_Z' < m4``, otherwise nu_light e+e- / mu+mu- /
      nu nubar; if ``pc.nu4_decays`` is False nu4 is stable (width 0, BRs 0, ctau = inf).

    Returns
    -------
    dict
        ``{"units": "GeV", "Zprime": {...}, "nu5": {...}, "nu4": {...}, "BR": {...},
        "ctau_cm": {"Zprime", "nu5", "nu4"}, "lifetime_s": {...}, "regime": "on-shell" |
        "off-shell"}``.  Besides the keys of the CLI contract, nu5 carries ``nu4_mumu``,
        ``nu_ee``, ``nu_mumu``, ``nu_nunu`` and nu4 ``nu_mumu`` (0 when closed or when the
        two-body form is used), with matching BR entries.
    """
    zp = zprime_widths(pc)
    gz = zp["total"]
    chain_on_shell = nu4_chain_on_shell(pc.m5, pc.m4, pc.mzprime, gz)
    c45 = _heavy_to_light(pc, pc.m5, pc.m4, pc.g_45, gz, chain_on_shell)
    c5a = _heavy_to_light(pc, pc.m5, 0.0, pc.g_5a, gz, pc.mzprime < pc.m5)
    nu5 = {"nu4_Zprime": c45["Zprime"], "nu_Zprime": c5a["Zprime"],
           "nu4_ee": c45["ee"], "nu4_nunu": c45["nunu"], "nu4_mumu": c45["mumu"],
           "nu_ee": c5a["ee"], "nu_nunu": c5a["nunu"], "nu_mumu": c5a["mumu"]}
    nu5 = {"total": sum(nu5.values()), **nu5}
    if pc.nu4_decays:
        c4a = _heavy_to_light(pc, pc.m4, 0.0, pc.g_4a, gz, pc.mzprime < pc.m4)
    else:
        c4a = {"Zprime": 0.0, "ee": 0.0, "mumu": 0.0, "nunu": 0.0}
    nu4 = {"nu_Zprime": c4a["Zprime"], "nu_ee": c4a["ee"], "nu_nunu": c4a["nunu"],
           "nu_mumu": c4a["mumu"]}
    nu4 = {"total": sum(nu4.values()), **nu4}
    br: dict[str, float] = {}
    for name, block in (("Zprime", zp), ("nu5", nu5), ("nu4", nu4)):
        for key, val in block.items():
            if key != "total":
                br[f"{name}_{key}"] = _ratio(val, block["total"])
    totals = {"Zprime": zp["total"], "nu5": nu5["total"], "nu4": nu4["total"]}
    return {
        "units": "GeV",
        "Zprime": zp,
        "nu5": nu5,
        "nu4": nu4,
        "BR": br,
        "ctau_cm": {k: _ctau(v) for k, v in totals.items()},
        "lifetime_s": {k: _tau(v) for k, v in totals.items()},
        "regime": "on-shell" if chain_on_shell else "off-shell",
    }


#: Values of ``physics.visible_modes`` (:class:`processes.model_card.PhysicsConfig`).
VISIBLE_MODES = ("all", "nu4")


def visible_branching_ratios(pc: PhysicalCouplings, w: dict | None = None) -> dict[str, float]:
    """Branching ratios of the two nu5 decay modes that end in a visible e+ e- pair.

    * ``"nu4"`` (mode A, PHYSICS.md "Event rate"): on shell (:func:`nu4_chain_on_shell`)
      ``BR(nu5 -> nu4 Z') BR(Z' -> e+e-)``, off shell ``BR(nu5 -> nu4 e+e-)`` (virtual Z');
    * ``"nu"`` (mode B): ``BR(nu5 -> nu_light Z') BR(Z' -> e+e-)`` (coupling ``g_5a``, light
      flavours summed), open for ``M_Z' < m5``; 0 otherwise (the three-body
      nu5 -> nu_light e+e- through a virtual Z', ``M_Z' >= m5``, is not counted).

    ``w`` may pass a precomputed :func:`widths` result.
    """
    w = widths(pc) if w is None else w
    br = w["BR"]
    if w["regime"] == "on-shell":
        mode_a = br["nu5_nu4_Zprime"] * br["Zprime_ee"]
    else:
        mode_a = br["nu5_nu4_ee"]
    return {"nu4": mode_a, "nu": br["nu5_nu_Zprime"] * br["Zprime_ee"]}


def visible_branching_ratio(pc: PhysicalCouplings, w: dict | None = None,
                            modes: str = "all") -> float:
    """BR of nu5 into a visible e+ e- pair (the signal of PHYSICS.md "Event rate").

    ``modes`` follows the card switch ``physics.visible_modes``:

    * ``"all"`` (default): ``BR_A + BR_B`` of :func:`visible_branching_ratios`, nu5 -> nu4
      (Z' ->) e+e- plus nu5 -> nu_light Z' -> nu_light e+e-;
    * ``"nu4"``: ``BR_A`` only, i.e. PHYSICS.md's formula: ``BR(nu5 -> nu4 Z') BR(Z' -> e+e-)``
      on shell, ``BR(nu5 -> nu4 e+e-)`` off shell (the behaviour before the switch existed).

    ``w`` may pass a precomputed :func:`widths` result.
    """
    if modes not in VISIBLE_MODES:
        raise ValueError(f"modes: expected one of {VISIBLE_MODES}, got {modes!r}")
    parts = visible_branching_ratios(pc, w)
    if modes == "nu4":
        return parts["nu4"]
    return parts["nu4"] + parts["nu"]
