"""Upscattering cross sections against independent calculations (PHYSICS.md,
"Matrix elements and cross section")."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special
from zpgen.processes import form_factors as ff
from zpgen.processes import xsec
from zpgen.processes.couplings import physical_couplings
from zpgen.processes.nuclei import NUCLEI

from tests.processes import dirac
from zpgen import constants
from zpgen.card import parse_card

RNG = np.random.default_rng(20221369)


def lab_kinematics(E_nu, t, M, m5, phi):
    """Lab four-momenta (nu along z, target at rest) of nu T -> nu5 T' at given t."""
    k1 = np.array([E_nu, 0.0, 0.0, E_nu])
    k = np.array([M, 0.0, 0.0, 0.0])
    E5 = E_nu + t / (2.0 * M)
    p5 = math.sqrt(E5 * E5 - m5 * m5)
    # t = (k1 - k2)^2 = m5^2 - 2 (E1 E5 - E1 p5 cos)
    cos = (t - m5 * m5 + 2.0 * E_nu * E5) / (2.0 * E_nu * p5)
    sin = math.sqrt(max(1.0 - cos * cos, 0.0))
    k2 = np.array([E5, p5 * sin * math.cos(phi), p5 * sin * math.sin(phi), p5 * cos])
    kp = k1 + k - k2
    return k1, k, k2, kp


def spinor_msq_nucleon(k1, k, k2, kp, M, m5, mzp, G, F1, F2):
    """Sum over final spins, average over the nucleon spin, of |M|^2 from explicit spinors."""
    q = kp - k
    t = dirac.dot(q, q)
    u1 = dirac.u_left_massless(k1)
    total = 0.0
    gam = dirac.GAMMA
    eta = dirac.ETA
    for u2 in dirac.u_spinors(k2, m5):
        lep = [dirac.bar(u2) @ gam[mu] @ dirac.PL @ u1 for mu in range(4)]
        for uN in dirac.u_spinors(k, M):
            for uNp in dirac.u_spinors(kp, M):
                amp = 0.0
                for mu in range(4):
                    vertex = gam[mu] * F1 + 1j / (2 * M) * F2 * sum(
                        dirac.sigma_munu(mu, nu) * eta[nu, nu] * q[nu] for nu in range(4))
                    amp += eta[mu, mu] * lep[mu] * (dirac.bar(uNp) @ vertex @ uN)
                total += abs(G * amp / (t - mzp**2)) ** 2
    return total / 2.0


def spinor_msq_spin0(k1, k, k2, kp, m5, mzp, GQF):
    q = kp - k
    t = dirac.dot(q, q)
    u1 = dirac.u_left_massless(k1)
    total = 0.0
    for u2 in dirac.u_spinors(k2, m5):
        amp = sum(dirac.ETA[mu, mu] * (dirac.bar(u2) @ dirac.GAMMA[mu] @ dirac.PL @ u1)
                  * (k[mu] + kp[mu]) for mu in range(4))
        total += abs(GQF * amp / (t - mzp**2)) ** 2
    return total


@pytest.mark.parametrize("trial", range(6))
def test_nucleon_msq_matches_explicit_spinors(trial):
    M = constants.M_P
    m5 = RNG.uniform(0.02, 0.4)
    mzp = RNG.uniform(0.005, 0.5)
    E_nu = xsec.threshold(M, m5) + RNG.uniform(0.01, 3.0)
    t_min, t_max = xsec.t_range(E_nu, M, m5)
    t = RNG.uniform(t_min, t_max)
    F1, F2 = RNG.normal(size=2)
    G = 1.7e-3
    k1, k, k2, kp = lab_kinematics(E_nu, t, M, m5, RNG.uniform(0, 2 * np.pi))
    expected = spinor_msq_nucleon(k1, k, k2, kp, M, m5, mzp, G, F1, F2)
    got = xsec.msq_nucleon(E_nu, t, M, m5, mzp, G, F1, F2)
    assert got == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("trial", range(4))
def test_spin0_msq_matches_explicit_spinors(trial):
    M = NUCLEI["C12"].mass_GeV
    m5 = RNG.uniform(0.02, 0.4)
    mzp = RNG.uniform(0.005, 0.5)
    E_nu = xsec.threshold(M, m5) + RNG.uniform(0.01, 3.0)
    t_min, t_max = xsec.t_range(E_nu, M, m5)
    t = RNG.uniform(t_min, t_max)
    k1, k, k2, kp = lab_kinematics(E_nu, t, M, m5, RNG.uniform(0, 2 * np.pi))
    expected = spinor_msq_spin0(k1, k, k2, kp, m5, mzp, 0.37)
    got = xsec.msq_spin0(E_nu, t, M, m5, mzp, 0.37)
    assert got == pytest.approx(expected, rel=1e-10)


def test_t_range_is_the_kinematic_boundary():
    """At t_min/t_max the nu5 goes backward/forward: cos(theta_lab) = -1 or 1 in the CM."""
    M, m5, E_nu = constants.M_P, 0.11, 0.6
    t_min, t_max = xsec.t_range(E_nu, M, m5)
    s = M * M + 2 * M * E_nu
    # independent: CM momenta from the Kallen function
    lam = (s - (M + m5) ** 2) * (s - (M - m5) ** 2)
    p_in = (s - M * M) / (2 * math.sqrt(s))
    p_out = math.sqrt(lam) / (2 * math.sqrt(s))
    e_out = math.sqrt(p_out**2 + m5**2)
    for cos, t in ((1.0, t_max), (-1.0, t_min)):
        assert t == pytest.approx(m5 * m5 - 2 * p_in * (e_out - p_out * cos), rel=1e-12)


def test_threshold_and_zero_below():
    card = parse_card()
    pc = physical_couplings(card.model)
    for channel in xsec.CHANNELS:
        params = xsec.channel_params(channel, pc, card.physics)
        M = params[xsec.I_M]
        e_th = xsec.threshold(M, pc.m5)
        # independent: sqrt(s) = M + m5 at threshold
        assert M * M + 2 * M * e_th == pytest.approx((M + pc.m5) ** 2, rel=1e-14)
        below = xsec.sigma_array([0.5 * e_th, e_th * (1 - 1e-9), 0.0, -1.0], params)
        assert np.all(below == 0.0)
        assert not np.any(np.isnan(below))


@pytest.mark.parametrize("nucleon_model", ["pauli", "free", "paper"])
@pytest.mark.parametrize("form_factor", ["helm", "paper"])
def test_sigma_positive_finite_from_threshold_to_10_gev(nucleon_model, form_factor):
    card = parse_card(None, [f"physics.nucleon_model={nucleon_model}",
                             f"physics.coherent_form_factor={form_factor}"])
    pc = physical_couplings(card.model)
    for channel in xsec.CHANNELS:
        params = xsec.channel_params(channel, pc, card.physics)
        e_th = xsec.threshold(params[xsec.I_M], pc.m5)
        grid = np.geomspace(e_th * (1 + 1e-6), 10.0, 60)
        values = xsec.sigma_array(grid, params)
        assert np.all(np.isfinite(values)) and np.all(values > 0), channel


def sigma_by_cm_angle(E_nu, params):
    """Independent sigma: scipy quad over cos(theta*) in the CM frame."""
    M, m5 = params[xsec.I_M], params[xsec.I_M5]
    s = M * M + 2 * M * E_nu
    rs = math.sqrt(s)
    p_in = (s - M * M) / (2 * rs)
    e_out = (s + m5 * m5 - M * M) / (2 * rs)
    p_out = math.sqrt(e_out**2 - m5**2)

    def integrand(cos):
        t = m5 * m5 - 2 * p_in * (e_out - p_out * cos)
        return xsec.dsigma_dt(E_nu, t, params) * 2 * p_in * p_out

    # forward peak of width ~ M_Z'^2/(2 p_in p_out) in cos: give quad the scale
    width = (params[xsec.I_MZ] ** 2 + abs(m5 * m5 - 2 * p_in * (e_out - p_out))) / (
        2 * p_in * p_out)
    points = sorted({max(-1.0, 1.0 - f * width) for f in (1, 10, 100, 1000)})
    value, _ = integrate.quad(integrand, -1.0, 1.0, points=points, epsabs=0.0, epsrel=1e-11,
                              limit=500)
    return value


@pytest.mark.parametrize("channel", list(xsec.CHANNELS))
@pytest.mark.parametrize("E_nu", [0.15, 0.5, 2.0, 9.0])
def test_sigma_matches_quadrature_in_cm_angle(channel, E_nu):
    card = parse_card()
    pc = physical_couplings(card.model)
    params = xsec.channel_params(channel, pc, card.physics)
    expected = sigma_by_cm_angle(E_nu, params)
    assert xsec.sigma(E_nu, params) == pytest.approx(expected, rel=1e-6)


def test_sigma_matches_quadrature_for_heavy_zprime_and_paper_modes():
    card = parse_card(None, ["model.mzprime=0.3", "physics.nucleon_model=paper",
                             "physics.coherent_form_factor=paper"])
    pc = physical_couplings(card.model)
    for channel in xsec.CHANNELS:
        params = xsec.channel_params(channel, pc, card.physics)
        assert xsec.sigma(1.0, params) == pytest.approx(sigma_by_cm_angle(1.0, params),
                                                        rel=1e-6)


def test_forward_mott_limit():
    """Static spin-0 target, massless nu5: dsigma/dQ^2 = G^2 cos^2(theta/2)/(4 pi (Q^2+M^2)^2).

    This is the Mott cross section of a massless fermion on a static charge, written with
    Q^2 = 4 E^2 sin^2(theta/2).
    """
    M, m5, mzp, E_nu, GQ = 1.0e5, 1.0e-7, 0.03, 0.8, 2.0e-3
    params = np.zeros(xsec.N_PARAMS)
    params[xsec.I_M], params[xsec.I_M5], params[xsec.I_MZ] = M, m5, mzp
    params[xsec.I_G], params[xsec.I_CHARGE], params[xsec.I_SCALE] = GQ, 1.0, 1.0
    for theta in (0.01, 0.1, 0.5, 1.0):
        Q2 = 4 * E_nu**2 * math.sin(theta / 2) ** 2
        mott = GQ**2 * math.cos(theta / 2) ** 2 / (4 * math.pi * (Q2 + mzp**2) ** 2)
        got = xsec.dsigma_dt(E_nu, -Q2, params) / constants.GEV2_TO_CM2
        assert got == pytest.approx(mott, rel=1e-4)


def test_form_factors_at_zero_and_helm_against_bessel():
    M = constants.M_P
    assert ff.isoscalar_f1_f2(0.0, M, -0.12) == pytest.approx((1.0, -0.12))
    f1p, f2p = ff.nucleon_em_f1_f2(0.0, M, True)
    f1n, f2n = ff.nucleon_em_f1_f2(0.0, M, False)
    assert (f1p, f2p) == pytest.approx((1.0, constants.MU_P - 1.0))
    assert (f1n, f2n) == pytest.approx((0.0, constants.MU_N))
    # Sachs: G_M = F1 + F2 and G_E = F1 - tau F2 reproduce the dipoles at finite t
    t = -0.4
    tau = -t / (4 * M * M)
    f1p, f2p = ff.nucleon_em_f1_f2(t, M, True)
    gd = 1.0 / (1 - t / 0.71) ** 2
    assert f1p + f2p == pytest.approx(constants.MU_P * gd, rel=1e-12)
    assert f1p - tau * f2p == pytest.approx(gd, rel=1e-12)
    rn, s = ff.helm_radius(12)
    for q in (1e-4, 0.05, 0.2, 0.5):
        x = q * rn
        expected = 3 * special.spherical_jn(1, x) / x * math.exp(-((q * s) ** 2) / 2)
        assert ff.helm(q, rn, s) == pytest.approx(expected, rel=1e-6, abs=1e-12)
    # Lewin-Smith r_n for A = 12 in fm
    c = 1.23 * 12 ** (1 / 3) - 0.60
    rn_fm = math.sqrt(c * c + 7 / 3 * math.pi**2 * 0.52**2 - 5 * 0.81)
    assert rn == pytest.approx(rn_fm / 0.1973269804, rel=1e-9)


def test_pauli_factor_limits():
    kf = 0.221
    assert ff.pauli_factor(0.0, kf) == 0.0
    assert ff.pauli_factor(2 * kf, kf) == pytest.approx(1.0)
    assert ff.pauli_factor(3 * kf, kf) == 1.0
    assert ff.pauli_factor(kf, kf) == pytest.approx(0.75 - 0.0625)


def test_nucleon_currents_carry_the_nucleon_charges():
    """(g_p - g_n) J_em + g_n J_B: at t = 0 a proton has charge g_p, a neutron g_n."""
    card = parse_card(None, ["model.couplings.g_p=3e-3", "model.couplings.g_n=-1e-3",
                             "physics.nucleon_model=free"])
    pc = physical_couplings(card.model)
    E_nu, m5, mzp = 1.0, pc.m5, pc.mzprime
    for channel, charge, M in (("H1_proton", 3e-3, constants.M_P),
                               ("C12_neutron", -1e-3, constants.M_N)):
        params = xsec.channel_params(channel, pc, card.physics)
        t = -1e-9
        expected = xsec.msq_nucleon(E_nu, t, M, m5, mzp, pc.g_mu5, charge,
                                    (3e-3 - -1e-3) * (constants.MU_P - 1 if charge > 0
                                                      else constants.MU_N)
                                    + -1e-3 * card.physics.kappa_s)
        assert xsec.msq(E_nu, t, params) == pytest.approx(expected, rel=1e-5)


def test_coherent_scales_as_effective_charge_squared():
    base = parse_card(None, ["model.couplings.g_p=1e-3", "model.couplings.g_n=1e-3"])
    other = parse_card(None, ["model.couplings.g_p=2e-3", "model.couplings.g_n=0.0"])
    s1 = xsec.sigma(1.0, xsec.channel_params("C12_coherent", physical_couplings(base.model),
                                             base.physics))
    s2 = xsec.sigma(1.0, xsec.channel_params("C12_coherent", physical_couplings(other.model),
                                             other.physics))
    # Q_eff = 6 g_p + 6 g_n is 12e-3 in both cards
    assert s2 == pytest.approx(s1, rel=1e-12)
