"""Physical Z' couplings and the model front ends that compute them.

PHYSICS.md, "Couplings: physical couplings are the inputs".  Every vertex is written
``Z'_mu fbar gamma^mu (g_L P_L + g_R P_R) f`` or ``Z'_mu fbar gamma^mu (C_V + C_A gamma5) f``
with ``C_V = (g_L + g_R)/2`` and ``C_A = (g_R - g_L)/2``.

Front ends
----------
``couplings``
    The card gives the physical couplings directly.
``blsm-paper``
    Paper eqs. 14-15 taken literally, theta' an input: charged leptons
    ``g_L = g_BL c' + g~ s_W s' + s'(g1 s_W - g2 c_W)/2``, ``g_R = g_BL c' + (g1 + g~) s_W s'``
    (so ``C_A = g_Z s'/4``); neutrinos ``g = A/2 U_active - B/2 U_sterile`` with
    ``A = 2 g_BL c' + (2 g~ + g1) s_W s' + g2 c_W s'`` and ``B = 2 g_BL c' + 2 g~ s_W s'``.
``blsm``
    The consistent B-L + kinetic-mixing model: ``g_Zf = c'(g~ Y + g_BL Y_BL) - s' g_Z (T3 -
    s_W^2 Q)`` per chirality, theta' from the corrected eq. 5,
    ``tan 2 theta' = 2 g~ g_Z / (g~^2 + 16 (v'/v)^2 g_BL^2 - g_Z^2)``, with the B-L vev from
    the tree-level Z' mass ``M_Z' = 2 |g_BL| v'`` (paper eq. 3).

In both BLSM front ends the heavy-light off-diagonal couplings use the row orthogonality of
the 9x9 mixing matrix V with the S-singlet block neglected, so the sterile overlap equals
minus the active overlap: ``g_ij = (g_active - g_sterile) u_ij`` where ``u_ij`` are the card's
mixing inputs.  Quark couplings give nucleon vector charges ``g_p = 2 g_u + g_d`` and
``g_n = g_u + 2 g_d`` (the J_em/J_B split of PHYSICS.md is then ``a = g_u - g_d = g_p - g_n``,
``b = g_u + 2 g_d = g_n``); the paper gives no quark couplings, so ``blsm-paper`` uses the
consistent formula for quarks at the card's theta'.  Nucleon axial couplings are not used
(PHYSICS.md's currents are vector).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from zpgen import constants

from .model_card import ModelConfig

__all__ = ["PhysicalCouplings", "chiral", "physical_couplings"]


@dataclass(frozen=True)
class PhysicalCouplings:
    """Masses (GeV) and physical Z' couplings of one model point.

    Heavy-neutrino couplings (g_mu5, g_45, g_5a, g_4a) are the P_L couplings; for a
    Majorana heavy neutrino the vertex is g (P_L - P_R) (PHYSICS.md, "Decays").
    """

    m4: float
    m5: float
    mzprime: float
    majorana: bool
    cv_l: float
    ca_l: float
    g_nu: float
    g_p: float
    g_n: float
    g_mu5: float
    g_45: float
    g_5a: float
    g_4a: float
    nu4_decays: bool = True
    theta_prime: float = math.nan
    kind: str = "couplings"

    @property
    def gl_l(self) -> float:
        """Left-handed charged-lepton coupling g_L = C_V - C_A."""
        return self.cv_l - self.ca_l

    @property
    def gr_l(self) -> float:
        """Right-handed charged-lepton coupling g_R = C_V + C_A."""
        return self.cv_l + self.ca_l

    def as_dict(self) -> dict[str, float | bool | str]:
        return asdict(self)


def chiral(g: float, majorana: bool) -> tuple[float, float]:
    """(g_L, g_R) of a heavy-neutrino vertex: (g, 0) Dirac, (g, -g) Majorana."""
    return (g, -g) if majorana else (g, 0.0)


# Hypercharge Y (Q = T3 + Y), B-L charge, T3 and Q for each chirality.
_FERMIONS = {
    "e_L": (-0.5, -1.0, -0.5, -1.0),
    "e_R": (-1.0, -1.0, 0.0, -1.0),
    "nu_L": (-0.5, -1.0, 0.5, 0.0),
    "nu_R": (0.0, -1.0, 0.0, 0.0),
    "u_L": (1.0 / 6.0, 1.0 / 3.0, 0.5, 2.0 / 3.0),
    "u_R": (2.0 / 3.0, 1.0 / 3.0, 0.0, 2.0 / 3.0),
    "d_L": (1.0 / 6.0, 1.0 / 3.0, -0.5, -1.0 / 3.0),
    "d_R": (-1.0 / 3.0, 1.0 / 3.0, 0.0, -1.0 / 3.0),
}


def _g_consistent(name: str, g_bl: float, g_tilde: float, theta: float) -> float:
    y, ybl, t3, q = _FERMIONS[name]
    cos_t, sin_t = math.cos(theta), math.sin(theta)
    return (cos_t * (g_tilde * y + g_bl * ybl)
            - sin_t * constants.G_Z * (t3 - constants.SIN2_THETA_W * q))


def theta_prime_eq5(g_bl: float, g_tilde: float, mzprime: float) -> float:
    """theta' from the corrected paper eq. 5 (PHYSICS.md), in [-pi/4, pi/4].

    ``tan 2 theta' = 2 g~ g_Z / (g~^2 + 16 (v'/v)^2 g_BL^2 - g_Z^2)`` with
    ``16 (v'/v)^2 g_BL^2 = 4 M_Z'^2 / v^2`` from ``M_Z' = 2 |g_BL| v'``.
    """
    gz = constants.G_Z
    denom = g_tilde**2 + 4.0 * mzprime**2 / constants.V_HIGGS**2 - gz**2
    if g_bl == 0.0:
        raise ValueError("model.blsm.g_bl: must be non-zero in kind = 'blsm' (it sets v')")
    # atan (not atan2) keeps 2 theta' in (-pi/2, pi/2), i.e. theta' in the paper's range.
    return 0.5 * math.atan(2.0 * g_tilde * gz / denom)


def _quark_nucleon(g_bl: float, g_tilde: float, theta: float) -> tuple[float, float]:
    gu = 0.5 * (_g_consistent("u_L", g_bl, g_tilde, theta)
                + _g_consistent("u_R", g_bl, g_tilde, theta))
    gd = 0.5 * (_g_consistent("d_L", g_bl, g_tilde, theta)
                + _g_consistent("d_R", g_bl, g_tilde, theta))
    return 2.0 * gu + gd, gu + 2.0 * gd


def physical_couplings(model: ModelConfig) -> PhysicalCouplings:
    """Physical couplings of the card's model (see the module docstring for the formulas)."""
    common = {"m4": model.m4, "m5": model.m5, "mzprime": model.mzprime,
              "majorana": model.heavy_neutrino == "majorana", "nu4_decays": model.nu4_decays,
              "kind": model.kind}
    if model.kind == "couplings":
        c = model.couplings
        assert c is not None
        return PhysicalCouplings(cv_l=c.cv_l, ca_l=c.ca_l, g_nu=c.g_nu, g_p=c.g_p, g_n=c.g_n,
                                 g_mu5=c.g_mu5, g_45=c.g_45, g_5a=c.g_5a, g_4a=c.g_4a,
                                 **common)  # type: ignore[arg-type]
    b = model.blsm
    assert b is not None
    sw, cw, g1, g2 = constants.S_W, constants.C_W, constants.G1, constants.G2
    if model.kind == "blsm-paper":
        theta = b.theta_prime
        sin_t, cos_t = math.sin(theta), math.cos(theta)
        gl = b.g_bl * cos_t + b.g_tilde * sw * sin_t + sin_t * (g1 * sw - g2 * cw) / 2.0  # eq. 14
        gr = b.g_bl * cos_t + (g1 + b.g_tilde) * sw * sin_t                             # eq. 14
        a_nu = 2 * b.g_bl * cos_t + (2 * b.g_tilde + g1) * sw * sin_t + g2 * cw * sin_t  # eq. 15
        b_nu = 2 * b.g_bl * cos_t + 2 * b.g_tilde * sw * sin_t                          # eq. 15
        g_nu = 0.5 * a_nu
        g_offdiag = 0.5 * (a_nu + b_nu)
    else:
        theta = theta_prime_eq5(b.g_bl, b.g_tilde, model.mzprime)
        gl = _g_consistent("e_L", b.g_bl, b.g_tilde, theta)
        gr = _g_consistent("e_R", b.g_bl, b.g_tilde, theta)
        g_nu = _g_consistent("nu_L", b.g_bl, b.g_tilde, theta)
        g_offdiag = g_nu - _g_consistent("nu_R", b.g_bl, b.g_tilde, theta)
    g_p, g_n = _quark_nucleon(b.g_bl, b.g_tilde, theta)
    return PhysicalCouplings(
        cv_l=0.5 * (gl + gr), ca_l=0.5 * (gr - gl), g_nu=g_nu, g_p=g_p, g_n=g_n,
        g_mu5=g_offdiag * b.u_mu5, g_45=g_offdiag * b.u_45, g_5a=g_offdiag * b.u_5a,
        g_4a=g_offdiag * b.u_4a, theta_prime=theta, **common)  # type: ignore[arg-type]
