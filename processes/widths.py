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

Channels not in PHYSICS.md (Z' -> heavy + light neutrino for ``M_Z' > m4``, hadrons) are not
included in the Z' width.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from scipy import integrate
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


def _sqrt_kallen(a: float, b: float, c: float) -> float:
    return math.sqrt(max(kallen(a, b, c), 0.0))


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
def _msq_two_body_summed(m_i: float, m_j: float, M: float, g_L: float, g_R: float) -> float:
    """Sum|M|^2 of nu_i -> nu_j Z' over all spins and polarisations (PHYSICS.md, "Decays")."""
    return ((g_L * g_L + g_R * g_R)
            * ((m_i * m_i - m_j * m_j) ** 2 / (M * M) + m_i * m_i + m_j * m_j - 2.0 * M * M)
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
    lam = _sqrt_kallen(m_i * m_i, m_j * m_j, M * M)
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
    lam = _sqrt_kallen(mi2, mj2, M2)
    b = (mi2 - mj2) ** 2 + M2 * (mi2 + mj2 - 2.0 * M2)
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
    """dGamma/dm^2 times |q^2 - M^2 + i M Gamma|^2 (unpolarised nu5).

    The f fbar angular integral of the lepton tensor is
    ``int dPhi2 Lf = Phi2 [A (q q/q^2 - g) + B q q/q^2]``, with
    ``A = (4/3)[C_V^2 (q^2 + 2 m_f^2) + C_A^2 (q^2 - 4 m_f^2)]`` and ``B = 8 m_f^2 C_A^2``;
    the propagator numerator leaves the transverse part unchanged and multiplies the
    ``q q`` part by ``(q^2/M^2 - 1)^2``.  Contracting with the spin-averaged nu5 tensor
    ``L5 = (g_L^2 + g_R^2) S(p4,p5) + 2 g_L g_R m4 m5 g`` and multiplying by
    ``(1/2m5) (1/2pi) Phi2(nu5 -> nu4 q) Phi2(q -> f fbar)`` gives dGamma/dq^2.
    """
    q2 = m2_ff
    m52, m42, mf2 = m5 * m5, m4 * m4, m_f * m_f
    if q2 <= 4.0 * mf2 or q2 >= (m5 - m4) ** 2:
        return 0.0
    beta = math.sqrt(max(1.0 - 4.0 * mf2 / q2, 0.0))
    lam = _sqrt_kallen(m52, m42, q2)
    p4p5 = 0.5 * (m52 + m42 - q2)
    p5q = 0.5 * (m52 - m42 + q2)
    p4q = 0.5 * (m52 - m42 - q2)
    g2 = g_L * g_L + g_R * g_R
    gg = g_L * g_R * m4 * m5
    qlq = g2 * (2.0 * p4q * p5q - q2 * p4p5) + 2.0 * gg * q2
    glg = -2.0 * g2 * p4p5 + 8.0 * gg
    a_ff = 4.0 / 3.0 * (cv * cv * (q2 + 2.0 * mf2) + ca * ca * (q2 - 4.0 * mf2))
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
    res = integrate.quad(f, a, b, epsrel=_EPSREL, epsabs=0.0, limit=400, full_output=1)
    val, err = float(res[0]), float(res[1])
    if len(res) > 3 and err > _EPSREL_ACCEPT * abs(val):
        raise RuntimeError(f"three-body width integral not converged on [{a}, {b}]: "
                           f"{val} +- {err} ({res[3]})")
    return val


def _integrate_breit_wigner(num: Callable[[float], float], lo: float, hi: float, M2: float,
                            MG: float) -> float:
    """int_lo^hi num(x) / ((x - M2)^2 + MG^2) dx for a smooth ``num``.

    Within ``|x - M2| < _BW_WINDOW MG`` the substitution ``x = M2 + MG tan(theta)`` makes the
    integrand ``num(x)/MG`` flat (so a peak of relative width 1e-8 is integrated exactly);
    outside, ``x = M2 -/+ exp(u)`` makes the power-law tails smooth.
    """
    if hi <= lo:
        return 0.0
    if MG <= 0.0 and lo <= M2 <= hi:
        raise ValueError("zero Z' width with the Z' pole inside the integration range")
    w = _BW_WINDOW * MG
    total = 0.0
    # core: arctan substitution
    c_lo, c_hi = max(lo, M2 - w), min(hi, M2 + w)
    if c_hi > c_lo:
        t_lo, t_hi = math.atan((c_lo - M2) / MG), math.atan((c_hi - M2) / MG)
        total += _quad(lambda t: num(M2 + MG * math.tan(t)) / MG, t_lo, t_hi)

    def tail(sign: float) -> Callable[[float], float]:
        def g(u: float) -> float:
            d = math.exp(u)
            return num(M2 + sign * d) * d / (d * d + MG * MG)
        return g

    # below the window: x = M2 - exp(u), x in [lo, min(hi, M2 - w)]
    b_hi = min(hi, M2 - w)
    if b_hi > lo:
        total += _quad(tail(-1.0), math.log(M2 - b_hi), math.log(M2 - lo))
    # above the window: x = M2 + exp(u), x in [max(lo, M2 + w), hi]
    a_lo = max(lo, M2 + w)
    if hi > a_lo:
        total += _quad(tail(1.0), math.log(a_lo - M2), math.log(hi - M2))
    return total


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

    def num(x: float) -> float:
        return _three_body_numerator(x, m5, m4, m_f, g_L, g_R, cv, ca, M)

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
def _heavy_to_light(pc: PhysicalCouplings, m_i: float, m_j: float, g: float,
                    gz_total: float) -> dict[str, float]:
    """Two-body nu_i -> nu_j Z' if open, else the three-body modes through a virtual Z'."""
    g_L, g_R = chiral(g, pc.majorana)
    M = pc.mzprime
    out = {"Zprime": 0.0, "ee": 0.0, "mumu": 0.0, "nunu": 0.0}
    if m_i - m_j > M:
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
    * nu5: nu4 Z' (g_45) when ``M_Z' < m5 - m4`` ("on-shell" regime), otherwise the
      three-body nu4 e+e-, nu4 mu+mu- and nu4 nu nubar (3 flavours) through a virtual Z'
      ("off-shell" regime); nu_light Z' (g_5a, quadrature sum over flavours) when
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
    c45 = _heavy_to_light(pc, pc.m5, pc.m4, pc.g_45, gz)
    c5a = _heavy_to_light(pc, pc.m5, 0.0, pc.g_5a, gz)
    nu5 = {"nu4_Zprime": c45["Zprime"], "nu_Zprime": c5a["Zprime"],
           "nu4_ee": c45["ee"], "nu4_nunu": c45["nunu"], "nu4_mumu": c45["mumu"],
           "nu_ee": c5a["ee"], "nu_nunu": c5a["nunu"], "nu_mumu": c5a["mumu"]}
    nu5 = {"total": sum(nu5.values()), **nu5}
    if pc.nu4_decays:
        c4a = _heavy_to_light(pc, pc.m4, 0.0, pc.g_4a, gz)
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
        "regime": "on-shell" if pc.mzprime < pc.m5 - pc.m4 else "off-shell",
    }


#: Values of ``physics.visible_modes`` (:class:`zpgen.card.PhysicsConfig`).
VISIBLE_MODES = ("all", "nu4")


def visible_branching_ratios(pc: PhysicalCouplings, w: dict | None = None) -> dict[str, float]:
    """Branching ratios of the two nu5 decay modes that end in a visible e+ e- pair.

    * ``"nu4"`` (mode A, PHYSICS.md "Event rate"): on shell (``M_Z' < m5 - m4``)
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
