"""Model front ends: the physical couplings they produce (PHYSICS.md, "Couplings")."""

from __future__ import annotations

import math

import pytest
from zpgen.processes.couplings import chiral, physical_couplings, theta_prime_eq5

from zpgen import constants
from zpgen.card import parse_card

BLSM = """
[model]
kind = "{kind}"
m4 = 0.06
m5 = 0.11
mzprime = {mzp}
[model.blsm]
g_bl = {g_bl}
g_tilde = {g_tilde}
u_mu5 = 1e-2
u_45 = 0.5
{extra}
"""


def card(kind="blsm", mzp=0.03, g_bl=-1e-4, g_tilde=0.2, extra=""):
    return parse_card(BLSM.format(kind=kind, mzp=mzp, g_bl=g_bl, g_tilde=g_tilde,
                                  extra=extra))


def test_couplings_kind_passes_inputs_through():
    pc = physical_couplings(parse_card().model)
    c = parse_card().model.couplings
    assert (pc.cv_l, pc.ca_l, pc.g_p, pc.g_n, pc.g_mu5) == (c.cv_l, c.ca_l, c.g_p, c.g_n,
                                                             c.g_mu5)


def test_paper_mode_axial_coupling_is_gz_sin_theta_over_4():
    """Eq. 14 literally: g_R - g_L = s'(g1 s_W + g2 c_W)/2 = g_Z s'/2, so C_A = g_Z s'/4."""
    theta = 3e-3
    pc = physical_couplings(card("blsm-paper", extra=f"theta_prime = {theta}").model)
    e = math.sqrt(4 * math.pi * constants.ALPHA_MZ)
    sw2 = constants.SIN2_THETA_W
    gz = e / math.sqrt(sw2 * (1 - sw2))
    assert pc.ca_l == pytest.approx(gz * math.sin(theta) / 4, rel=1e-12)
    # C_V from eq. 14 by hand
    sw, cw = math.sqrt(sw2), math.sqrt(1 - sw2)
    g1, g2 = e / cw, e / sw
    s, c = math.sin(theta), math.cos(theta)
    gl = -1e-4 * c + 0.2 * sw * s + s * (g1 * sw - g2 * cw) / 2
    gr = -1e-4 * c + (g1 + 0.2) * sw * s
    assert pc.cv_l == pytest.approx((gl + gr) / 2, rel=1e-12)
    assert pc.theta_prime == theta


def test_consistent_mode_theta_from_corrected_eq5():
    g_bl, g_tilde, mzp = -1e-4, 0.2, 0.03
    theta = theta_prime_eq5(g_bl, g_tilde, mzp)
    gz = constants.G_Z
    vprime = mzp / (2 * abs(g_bl))
    rhs = 2 * g_tilde * gz / (g_tilde**2 + 16 * (vprime / constants.V_HIGGS) ** 2 * g_bl**2
                              - gz**2)
    assert math.tan(2 * theta) == pytest.approx(rhs, rel=1e-12)
    assert abs(theta) <= math.pi / 4
    # light Z': tan theta' -> -g~/g_Z at leading order in g~ (PHYSICS.md)
    small = theta_prime_eq5(g_bl, 1e-4, mzp)
    assert math.tan(small) == pytest.approx(-1e-4 / gz, rel=1e-6)


def test_consistent_mode_pure_bl_limit():
    """g~ = 0: theta' = 0 and the couplings are g_BL times B-L charges; the B-L current is
    flavour universal, so heavy-light off-diagonal couplings vanish."""
    pc = physical_couplings(card("blsm", g_tilde=0.0).model)
    assert pc.theta_prime == 0.0
    assert pc.cv_l == pytest.approx(1e-4)       # B-L = -1 times g_BL = -1e-4
    assert pc.ca_l == pytest.approx(0.0, abs=1e-20)
    assert pc.g_p == pytest.approx(-1e-4) and pc.g_n == pytest.approx(-1e-4)
    assert pc.g_nu == pytest.approx(1e-4)
    assert pc.g_mu5 == pytest.approx(0.0, abs=1e-20)


def test_consistent_mode_light_zprime_is_vector_like():
    """Pure kinetic mixing with a light Z': the Z-mixing cancels the axial part up to
    O(M_Z'^2/M_Z^2) and the neutron decouples (dark-photon limit)."""
    pc = physical_couplings(card("blsm", g_bl=1e-12, g_tilde=1e-4).model)
    assert abs(pc.ca_l / pc.cv_l) < 1e-6
    assert abs(pc.g_n / pc.g_p) < 1e-6
    # proton charge equals minus the electron's (charge-like coupling)
    assert pc.g_p == pytest.approx(-pc.cv_l, rel=1e-6)


def test_chiral_majorana():
    assert chiral(0.3, False) == (0.3, 0.0)
    assert chiral(0.3, True) == (0.3, -0.3)
