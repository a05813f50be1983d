"""Tests of processes/widths.py and processes/decay_kernels.py (PHYSICS.md, "Decays").

Every reference value is computed independently inside this file: explicit Dirac matrices
and spinors in numpy (Dirac representation), explicit polarisation vectors of a massive
vector, phase-space factors written out from the momenta.  No comparison is against the
code's own earlier output.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from zpgen.processes import widths as W
from zpgen.processes.couplings import chiral, physical_couplings
from zpgen.processes.decay_kernels import msq_nu5_to_nu4_ff, msq_nu5_to_nu4_ff_batch

from tests.processes import dirac
from zpgen.card import parse_card
from zpgen.constants import HBAR_GEV_S, HBARC_GEV_CM, M_E, M_MU


def approx(expected, rel=1e-12, abs=0.0):
    """pytest.approx with NO default absolute tolerance (pytest's 1e-12 would accept any
    two widths of order 1e-13 GeV as equal)."""
    return pytest.approx(expected, rel=rel, abs=abs)


# ------------------------------------------------------------------------------------
# Independent Dirac algebra (Dirac representation, metric (+,-,-,-))
# ------------------------------------------------------------------------------------
# Dirac matrices shared with the other spinor tests (tests/processes/dirac.py); gamma5 is
# checked here against its definition i g0 g1 g2 g3.
G0, GAMMA, G5, PL, PR, SIGMA = dirac.G0, dirac.GAMMA, dirac.G5, dirac.PL, dirac.PR, dirac.SIGMA
METRIC = dirac.ETA
ID4 = np.eye(4, dtype=complex)
assert np.allclose(G5, 1j * GAMMA[0] @ GAMMA[1] @ GAMMA[2] @ GAMMA[3])


def mdot(a, b):
    return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]


def lower(v):
    return METRIC @ v


def bar(psi):
    return psi.conj() @ G0


def sig_dot(p3):
    return sum(p3[i] * SIGMA[i] for i in range(3))


def two_spinor(n):
    """Eigenvector of sigma.n with eigenvalue +1 (n a unit 3-vector)."""
    w, v = np.linalg.eigh(sig_dot(n))
    return v[:, np.argmax(w)]


def helicity_basis(p3):
    """The two helicity two-spinors of momentum p3 (any direction if p3 = 0)."""
    n = p3 / np.linalg.norm(p3) if np.linalg.norm(p3) > 0 else np.array([0.0, 0.0, 1.0])
    return [two_spinor(n), two_spinor(-n)]


def u_spinor(p, m, chi):
    e = p[0]
    return np.concatenate([math.sqrt(e + m) * chi, sig_dot(p[1:]) @ chi / math.sqrt(e + m)])


def v_spinor(p, m, eta):
    e = p[0]
    return np.concatenate([sig_dot(p[1:]) @ eta / math.sqrt(e + m), math.sqrt(e + m) * eta])


def us(p, m):
    return [u_spinor(p, m, c) for c in helicity_basis(p[1:])]


def vs(p, m):
    return [v_spinor(p, m, c) for c in helicity_basis(p[1:])]


def polarisations(q, M):
    """Two transverse and the longitudinal polarisation vectors (upper index), mass M."""
    q3 = q[1:]
    qn = np.linalg.norm(q3)
    n = q3 / qn if qn > 0 else np.array([0.0, 0.0, 1.0])
    a = np.array([1.0, 0.0, 0.0]) if abs(n[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(n, a)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(n, e1)
    return [np.concatenate([[0.0], e1]), np.concatenate([[0.0], e2]),
            np.concatenate([[qn / M], q[0] * n / M])]


def current(psi_bar, vertex, psi):
    """J^mu = psi_bar gamma^mu vertex psi (upper index)."""
    return np.array([psi_bar @ GAMMA[mu] @ vertex @ psi for mu in range(4)])


def boost(p, beta3):
    """Lorentz boost of four-vector p by velocity beta3."""
    b2 = float(beta3 @ beta3)
    if b2 == 0.0:
        return p.copy()
    g = 1.0 / math.sqrt(1.0 - b2)
    bp = float(beta3 @ p[1:])
    e = g * (p[0] + bp)
    p3 = p[1:] + ((g - 1.0) * bp / b2 + g * p[0]) * beta3
    return np.concatenate([[e], p3])


def two_body(m_parent, m1, m2, n):
    """Momenta of parent(at rest) -> 1 + 2 with particle 1 along the unit vector n."""
    pm = math.sqrt(max(W.kallen(m_parent**2, m1**2, m2**2), 0.0)) / (2.0 * m_parent)
    p1 = np.concatenate([[math.sqrt(pm * pm + m1 * m1)], pm * n])
    p2 = np.concatenate([[math.sqrt(pm * pm + m2 * m2)], -pm * n])
    return p1, p2


def unit(theta, phi):
    return np.array([math.sin(theta) * math.cos(phi), math.sin(theta) * math.sin(phi),
                     math.cos(theta)])


# ------------------------------------------------------------------------------------
# 1. Two-body widths against explicit spinor numerics
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("M", "m_f", "cv", "ca"), [
    (0.030, M_E, 1.0e-3, 1.88e-4),
    (0.250, M_MU, 2.0e-3, -1.5e-3),
    (0.215, M_MU, 1.0e-3, 0.7e-3),    # close to threshold: beta small
    (0.050, 0.0, 0.5e-3, -0.5e-3),    # a neutrino pair (P_L)
])
def test_zprime_ff_width_vs_spinors(M, m_f, cv, ca):
    q = np.array([M, 0.0, 0.0, 0.0])
    n = unit(0.7, 1.3)
    pf, pb = two_body(M, m_f, m_f, n)
    vertex = cv * ID4 + ca * G5
    msq = 0.0
    for uf in us(pf, m_f):
        for vb in vs(pb, m_f):
            j = current(bar(uf), vertex, vb)
            for eps in polarisations(q, M):
                msq += abs(j @ lower(eps)) ** 2     # real polarisation vectors
    pmag = np.linalg.norm(pf[1:])
    expected = pmag / (8.0 * math.pi * M * M) * msq / 3.0
    assert W.gamma_zprime_ff(M, m_f, cv, ca) == approx(expected, rel=1e-10)


def test_zprime_nunu_and_threshold():
    M, g = 0.03, 1.3e-3
    assert W.gamma_zprime_nunu(M, g) == approx(W.gamma_zprime_ff(M, 0.0, g / 2, -g / 2),
                                                      rel=1e-14)
    assert W.gamma_zprime_ff(0.2, M_MU, 1e-3, 1e-3) == 0.0


def spinor_two_body_msq(m_i, m_j, M, g_L, g_R, u_i_list, n):
    """Sum over the listed nu_i spinors, nu_j spins and Z' polarisations of |M|^2."""
    pi = np.array([m_i, 0.0, 0.0, 0.0])
    pz, pj = two_body(m_i, M, m_j, n)
    vertex = g_L * PL + g_R * PR
    tot = 0.0
    for ui in u_i_list(pi):
        for uj in us(pj, m_j):
            j = current(bar(uj), vertex, ui)
            for eps in polarisations(pz, M):
                tot += abs(j @ lower(eps.conj())) ** 2
    return tot, np.linalg.norm(pz[1:])


@pytest.mark.parametrize("majorana", [False, True])
@pytest.mark.parametrize(("m_i", "m_j", "M"), [
    (0.110, 0.060, 0.030), (0.110, 0.060, 0.020), (0.110, 0.0, 0.030), (0.110, 0.060, 0.0499),
    (1.0, 0.3, 0.05),
])
def test_nu_to_nu_zprime_vs_spinors(m_i, m_j, M, majorana):
    g_L, g_R = chiral(2.3e-2, majorana)
    tot, pmag = spinor_two_body_msq(m_i, m_j, M, g_L, g_R, lambda p: us(p, m_i), unit(0.4, 2.0))
    # Gamma = 1/(2 m_i) * (1/2) sum|M|^2 * |p|/(4 pi m_i): unpolarised nu_i
    expected = tot / 2.0 / (2.0 * m_i) * pmag / (4.0 * math.pi * m_i)
    got = W.gamma_nu_to_nu_zprime(m_i, m_j, M, g_L, g_R)
    assert got == approx(expected, rel=1e-10)


def test_nu_to_nu_zprime_general_chiral_and_closed():
    m_i, m_j, M, g_L, g_R = 0.2, 0.07, 0.04, 1.1e-2, 0.4e-2
    tot, pmag = spinor_two_body_msq(m_i, m_j, M, g_L, g_R, lambda p: us(p, m_i), unit(2.0, 0.1))
    expected = tot / 2.0 / (2.0 * m_i) * pmag / (4.0 * math.pi * m_i)
    assert W.gamma_nu_to_nu_zprime(m_i, m_j, M, g_L, g_R) == approx(expected, rel=1e-10)
    assert W.gamma_nu_to_nu_zprime(0.11, 0.06, 0.05, 1.0, 0.0) == 0.0
    assert W.gamma_nu_to_nu_zprime(0.11, 0.06, 0.06, 1.0, 0.0) == 0.0


# ------------------------------------------------------------------------------------
# 2. Polarised three-body |M|^2 kernel against explicit spinors
# ------------------------------------------------------------------------------------
def random_three_body(rng, m5, m4, mf, beta_max=0.9):
    """A random phase-space point of nu5 -> nu4 f fbar, boosted by a random velocity."""
    lo, hi = 2.0 * mf, m5 - m4
    mq = rng.uniform(lo + 1e-3 * (hi - lo), hi - 1e-3 * (hi - lo))
    n4 = unit(math.acos(rng.uniform(-1, 1)), rng.uniform(0, 2 * math.pi))
    p4, q = two_body(m5, m4, mq, n4)
    nf = unit(math.acos(rng.uniform(-1, 1)), rng.uniform(0, 2 * math.pi))
    pf, pb = two_body(mq, mf, mf, nf)
    vq = q[1:] / q[0]
    pf, pb = boost(pf, vq), boost(pb, vq)
    b = rng.uniform(0, beta_max) * unit(math.acos(rng.uniform(-1, 1)), rng.uniform(0, 2 * math.pi))
    p5 = boost(np.array([m5, 0.0, 0.0, 0.0]), b)
    return p5, boost(p4, b), boost(pf, b), boost(pb, b), b


def spinor_three_body_msq(p5, u5, p4, pf, pb, m4, mf, gL, gR, cv, ca, M, G):
    """sum over nu4, f, fbar spins of |M|^2 for the nu5 spinor u5 (explicit amplitudes)."""
    q = pf + pb
    ql = lower(q)
    prop = (-METRIC + np.outer(ql, ql) / (M * M)) / (mdot(q, q) - M * M + 1j * M * G)
    v5, vf = gL * PL + gR * PR, cv * ID4 + ca * G5
    tot = 0.0
    for u4 in us(p4, m4):
        j5 = current(bar(u4), v5, u5)
        for uf in us(pf, mf):
            for vb in vs(pb, mf):
                jf = current(bar(uf), vf, vb)
                tot += abs(j5 @ prop @ jf) ** 2
    return tot


COUPLING_SETS = [
    # (gL, gR, cv, ca, mf): Dirac, Majorana, general chiral; large C_A and m_f to test mass terms
    (1e-2, 0.0, 1e-3, 1.88e-4, M_E),
    (1e-2, -1e-2, 1e-3, 1.88e-4, M_E),
    (1e-2, 0.0, 0.8e-3, -0.6e-3, 0.012),
    (1e-2, -1e-2, 0.8e-3, 0.6e-3, 0.012),
    (1.3e-2, 0.5e-2, 0.3e-3, 0.9e-3, 0.015),
    (1e-2, 0.0, 0.5e-3, -0.5e-3, 0.0),     # neutrino pair
]


@pytest.mark.parametrize(("gL", "gR", "cv", "ca", "mf"), COUPLING_SETS)
@pytest.mark.parametrize("M", [0.030, 0.080])
def test_three_body_kernel_vs_spinors(gL, gR, cv, ca, mf, M):
    rng = np.random.default_rng(12345)
    m5, m4, G = 0.110, 0.060, 0.2 * M     # large width: the Gamma term of |D|^2 is tested too
    worst = 0.0
    for _ in range(6):
        p5, p4, pf, pb, b = random_three_body(rng, m5, m4, mf)
        msq_pm = []
        for k in range(3):
            n = unit(math.acos(rng.uniform(-1, 1)), rng.uniform(0, 2 * math.pi))
            for sign in (1.0, -1.0):
                u5 = u_spinor(p5, m5, two_spinor(sign * n))   # boosted rest-frame spin state
                s5 = boost(np.concatenate([[0.0], sign * n]), b)
                ref = spinor_three_body_msq(p5, u5, p4, pf, pb, m4, mf, gL, gR, cv, ca, M, G)
                got = msq_nu5_to_nu4_ff(p5, s5, p4, pf, pb, m5, m4, mf, gL, gR, cv, ca, M, G)
                worst = max(worst, abs(got / ref - 1.0))
                if k == 0:
                    msq_pm.append(ref)
        assert abs(mdot(s5, p5)) < 1e-12 and mdot(s5, s5) == approx(-1.0)
        # s5 = 0: unpolarised nu5 = average over the two spin states
        unpol = msq_nu5_to_nu4_ff(p5, np.zeros(4), p4, pf, pb, m5, m4, mf, gL, gR, cv, ca, M, G)
        assert unpol == approx(0.5 * sum(msq_pm), rel=1e-10)
        # spinor sum over the nu5 spins in an unrelated basis (helicity basis of p5)
        ref_sum = sum(spinor_three_body_msq(p5, u5, p4, pf, pb, m4, mf, gL, gR, cv, ca, M, G)
                      for u5 in us(p5, m5))
        assert 2.0 * unpol == approx(ref_sum, rel=1e-10)
    assert worst < 1e-10


def test_three_body_kernel_batch_and_partial_polarisation():
    rng = np.random.default_rng(7)
    m5, m4, mf, gL, gR, cv, ca, M, G = 0.11, 0.06, 0.01, 1e-2, 0.0, 1e-3, 4e-4, 0.03, 1e-9
    rows = [random_three_body(rng, m5, m4, mf)[:4] for _ in range(5)]
    p5, p4, pf, pb = (np.array([r[i] for r in rows]) for i in range(4))
    s5 = np.zeros_like(p5)
    s5[:, 0] = 0.0
    n = unit(0.3, 0.2)
    for i in range(5):      # spin along n in the rest frame, boosted; polarisation P = 0.6
        s5[i] = 0.6 * boost(np.concatenate([[0.0], n]), p5[i, 1:] / p5[i, 0])
    out = msq_nu5_to_nu4_ff_batch(p5, s5, p4, pf, pb, m5, m4, mf, gL, gR, cv, ca, M, G)
    for i in range(5):
        full = s5[i] / 0.6
        up = msq_nu5_to_nu4_ff(p5[i], full, p4[i], pf[i], pb[i], m5, m4, mf, gL, gR, cv, ca, M, G)
        dn = msq_nu5_to_nu4_ff(p5[i], -full, p4[i], pf[i], pb[i], m5, m4, mf, gL, gR, cv, ca, M,
                               G)
        assert out[i] == approx(0.8 * up + 0.2 * dn, rel=1e-12)


# ------------------------------------------------------------------------------------
# Angular integration: dGamma/dm^2 (analytic) against the kernel integrated numerically
# ------------------------------------------------------------------------------------
def kernel_angular_average(m5, m4, mf, q2, theta4, s5, pars, n_ct=8, n_phi=8):
    """<|M|^2> over the f direction in the q rest frame, nu5 at rest, nu4 at angle theta4."""
    n4 = unit(theta4, 0.4)
    p4, q = two_body(m5, m4, math.sqrt(q2), n4)
    x, w = np.polynomial.legendre.leggauss(n_ct)
    p5 = np.array([m5, 0.0, 0.0, 0.0])
    acc = 0.0
    for xi, wi in zip(x, w, strict=True):
        for k in range(n_phi):
            nf = unit(math.acos(xi), 2 * math.pi * (k + 0.3) / n_phi)
            pf, pb = two_body(math.sqrt(q2), mf, mf, nf)
            vq = q[1:] / q[0]
            acc += wi / 2.0 / n_phi * msq_nu5_to_nu4_ff(p5, s5, p4, boost(pf, vq), boost(pb, vq),
                                                        m5, m4, mf, *pars)
    return acc


@pytest.mark.parametrize(("gL", "gR", "cv", "ca", "mf"), COUPLING_SETS)
def test_dgamma_dm2_vs_kernel(gL, gR, cv, ca, mf):
    m5, m4, M, G = 0.11, 0.06, 0.03, 3e-3
    pars = (gL, gR, cv, ca, M, G)
    for q2 in (0.3 * (m5 - m4) ** 2, M * M * 1.01, 0.97 * (m5 - m4) ** 2):
        if q2 <= 4 * mf * mf:
            continue
        avg = kernel_angular_average(m5, m4, mf, q2, 1.1, np.zeros(4), pars)
        lam = math.sqrt(W.kallen(m5**2, m4**2, q2))
        beta = math.sqrt(1 - 4 * mf * mf / q2)
        expected = (avg / (2 * m5) * lam / (8 * math.pi * m5**2) * beta / (8 * math.pi)
                    / (2 * math.pi))
        got = W.dgamma_nu5_to_nu4_ff_dm2(q2, m5, m4, mf, gL, gR, cv, ca, M, G)
        assert got == approx(expected, rel=1e-10)
    assert W.dgamma_nu5_to_nu4_ff_dm2((m5 - m4) ** 2 * 1.01, m5, m4, mf, gL, gR, cv, ca, M, G) == 0


# ------------------------------------------------------------------------------------
# 3. Off-shell three-body width against the on-shell chain (narrow width)
# ------------------------------------------------------------------------------------
def default_pc(*overrides):
    return physical_couplings(parse_card(None, list(overrides)).model)


@pytest.mark.parametrize("majorana", [False, True])
@pytest.mark.parametrize("mzp", [0.030, 0.045, 0.0495])
def test_three_body_reproduces_on_shell_chain(mzp, majorana):
    """Just below threshold, int dGamma/dm^2 = Gamma(nu5 -> nu4 Z') BR(Z' -> ee).

    Expected size of the narrow-width error: O(Gamma/M) (~7e-8 here) plus the part of the
    Breit-Wigner tail cut off by the kinematic range.  The integrand near the pole is
    ~ sqrt(hi - x)/((x - M^2)^2 + (M Gamma)^2) with hi = (m5 - m4)^2; the tail beyond
    ``hi - x > hi`` that the physical range lacks is, relative to the peak area
    ``pi sqrt(Delta)/(M Gamma)`` (Delta = hi - M^2), about ``(2/pi) M Gamma/sqrt(hi Delta)``
    (3e-7 at M = 49.5 MeV).  The quadrature error is ~1e-10.  The tolerance is three times
    this estimate: it is honest (a 1 % tolerance would hide genuine errors).
    """
    pc = default_pc(f"model.mzprime={mzp}",
                    "model.heavy_neutrino=" + ("majorana" if majorana else "dirac"))
    zp = W.zprime_widths(pc)
    g_L, g_R = chiral(pc.g_45, majorana)
    chain_ee = W.gamma_nu_to_nu_zprime(pc.m5, pc.m4, pc.mzprime, g_L, g_R) * zp["ee"] / zp["total"]
    chain_nn = (W.gamma_nu_to_nu_zprime(pc.m5, pc.m4, pc.mzprime, g_L, g_R) * zp["nunu"]
                / zp["total"])
    three_ee = W.gamma_nu5_to_nu4_ff(pc, M_E, pc.cv_l, pc.ca_l)
    three_nn = 3 * W.gamma_nu5_to_nu4_nunu(pc)
    delta = (pc.m5 - pc.m4) ** 2 - pc.mzprime**2
    estimate = (zp["total"] / pc.mzprime
                + 2 / math.pi * pc.mzprime * zp["total"] / math.sqrt((pc.m5 - pc.m4) ** 2 * delta))
    assert estimate < 1e-6
    assert three_ee == approx(chain_ee, rel=3 * estimate)
    assert three_nn == approx(chain_nn, rel=3 * estimate)


def test_narrow_width_error_scales_with_width():
    """With an artificial Z' width the NWA deviation is O(Gamma/M) and shrinks linearly."""
    pc = default_pc("model.mzprime=0.04")
    zp = W.zprime_widths(pc)
    g_L, g_R = chiral(pc.g_45, False)
    two = W.gamma_nu_to_nu_zprime(pc.m5, pc.m4, pc.mzprime, g_L, g_R)
    devs = []
    for ratio in (1e-2, 1e-3):
        gz = ratio * pc.mzprime
        # the chain with the same total width: BR(ee) = Gamma_ee/Gamma_total
        chain = two * zp["ee"] / gz
        three = W.gamma_nu5_to_nu4_ff(pc, M_E, pc.cv_l, pc.ca_l, gamma_zprime=gz)
        devs.append(abs(three / chain - 1))
        assert devs[-1] < 10 * ratio
    assert devs[1] < 0.2 * devs[0]


def test_three_body_continuous_across_threshold():
    """The three-body width is a continuous function of M_Z' through M_Z' = m5 - m4.

    The on-shell peak leaves the m_ee^2 range over a scale M Gamma ~ 1e-10 GeV^2 in M_Z'^2;
    scans with steps of 0.2 and 0.05 M Gamma must show the largest step shrinking with the step,
    and the narrow-width bookkeeping of widths() (two-body below, three-body above) jumps by
    a negligible amount compared with the two-body width away from threshold.
    """
    base = default_pc()
    thr2 = (base.m5 - base.m4) ** 2
    gz = W.zprime_widths(dataclasses.replace(base, mzprime=base.m5 - base.m4))["total"]
    mg = (base.m5 - base.m4) * gz

    def max_step(n):
        vals = np.array([
            W.gamma_nu5_to_nu4_ff(dataclasses.replace(base, mzprime=math.sqrt(thr2 + k * mg)),
                                  M_E, base.cv_l, base.ca_l, gamma_zprime=gz)
            for k in np.linspace(-20, 20, n)])
        assert np.all(np.isfinite(vals)) and np.all(vals > 0)
        return np.max(np.abs(np.diff(vals)) / vals[:-1])

    coarse, fine = max_step(201), max_step(801)
    # continuous: the largest step shrinks with the step size (about 4x); a jump would not
    assert coarse < 0.2 and fine < 0.4 * coarse
    # widths(): nu5 -> nu4 + (Z' or f fbar) on both sides of threshold
    ref = W.widths(dataclasses.replace(base, mzprime=0.9 * (base.m5 - base.m4)))["nu5"]
    scale = ref["nu4_Zprime"]
    side = []
    for f in (1 - 1e-7, 1 + 1e-7):
        w = W.widths(dataclasses.replace(base, mzprime=f * (base.m5 - base.m4)))
        side.append(w["nu5"]["nu4_Zprime"] + w["nu5"]["nu4_ee"] + w["nu5"]["nu4_nunu"])
    # both sides are ~ sqrt(2e-7 / 0.19) ~ 1e-3 of the reference (the two-body width vanishes
    # like the momentum, ~ sqrt(Delta)); a real bookkeeping error (double counting or a missing
    # channel) would be O(1)
    assert abs(side[0] - side[1]) < 3e-3 * scale


# ------------------------------------------------------------------------------------
# 4. The asymmetry alpha
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("m_i", "m_j", "M", "g_L", "g_R"), [
    (0.110, 0.060, 0.030, 1.0, 0.0), (0.110, 0.060, 0.020, 1.0, 0.0),
    (0.110, 0.0, 0.030, 1.0, 0.0), (0.110, 0.060, 0.045, 1.0, 0.0),
    (0.110, 0.060, 0.030, 1.0, -1.0), (0.2, 0.05, 0.06, 0.8, 0.3),
])
def test_asymmetry_vs_spinor_angular_distribution(m_i, m_j, M, g_L, g_R):
    up = np.array([1.0, 0.0], dtype=complex)     # spin along +z
    cts = np.linspace(-0.95, 0.95, 9)
    rates = []
    for ct in cts:
        # Z' along (theta, phi): two_body puts the first particle (Z') along n
        tot, _ = spinor_two_body_msq(m_i, m_j, M, g_L, g_R,
                                     lambda p: [u_spinor(p, m_i, up)], unit(math.acos(ct), 0.9))
        rates.append(tot)
    slope, intercept = np.polyfit(cts, np.array(rates), 1)
    resid = np.array(rates) - (slope * cts + intercept)
    assert np.max(np.abs(resid)) < 1e-10 * intercept          # exactly linear in cos(theta)
    alpha = slope / intercept
    assert W.decay_asymmetry_chiral(m_i, m_j, M, g_L, g_R) == approx(alpha, rel=1e-9,
                                                                             abs=1e-12)
    if g_R == 0.0:
        assert W.decay_asymmetry(m_i, m_j, M) == approx(alpha, rel=1e-9)


def test_asymmetry_from_three_body_kernel_on_shell():
    """The polarised kernel at m_ee^2 = M^2, integrated over the e+e- angles: 1 + alpha cos."""
    m5, m4, mf, M = 0.11, 0.06, 0.01, 0.03
    pars = (1e-2, 0.0, 1e-3, 5e-4, M, 1e-9)
    s5 = np.array([0.0, 0.0, 0.0, 1.0])
    cts = np.linspace(-0.9, 0.9, 7)
    # nu4 at angle theta4 from the spin: the Z' is at cos = -cos(theta4)
    rates = np.array([kernel_angular_average(m5, m4, mf, M * M, math.acos(-c), s5, pars)
                      for c in cts])
    slope, intercept = np.polyfit(cts, rates, 1)
    assert slope / intercept == approx(W.decay_asymmetry(m5, m4, M), rel=1e-9)


def test_asymmetry_model_point():
    pc = default_pc()
    assert W.asymmetry(pc, "nu5_nu4") == approx(W.decay_asymmetry(0.11, 0.06, 0.03))
    assert W.asymmetry(dataclasses.replace(pc, majorana=True), "nu5_nu4") == 0.0
    assert W.asymmetry(pc, "nu4_nu") == W.decay_asymmetry(0.06, 0.0, 0.03)
    with pytest.raises(ValueError):
        W.asymmetry(pc, "nu6")


# ------------------------------------------------------------------------------------
# 5. Units and Dirac/Majorana relations
# ------------------------------------------------------------------------------------
def test_ctau_and_lifetime_units():
    w = W.widths(default_pc())
    for name in ("Zprime", "nu5", "nu4"):
        gamma = w[name]["total"]
        assert w["ctau_cm"][name] == approx(1.973269804e-14 / gamma, rel=1e-12)
        assert w["lifetime_s"][name] == approx(6.582119569e-25 / gamma, rel=1e-12)
        # c tau = c x tau
        assert w["ctau_cm"][name] == approx(w["lifetime_s"][name] * 2.99792458e10,
                                                   rel=1e-8)
    assert approx(2.99792458e10, rel=1e-8) == HBARC_GEV_CM / HBAR_GEV_S
    stable = W.widths(default_pc("model.nu4_decays=false"))
    assert stable["nu4"]["total"] == 0.0
    assert stable["ctau_cm"]["nu4"] == math.inf and stable["lifetime_s"]["nu4"] == math.inf


def test_majorana_dirac_relations():
    """Majorana (g_R = -g_L): (g_L^2 + g_R^2) = 2 g^2 and -12 g_L g_R m_i m_j = +12 g^2 m_i m_j, so
    Gamma_M - 2 Gamma_D = lambda^(1/2)/(32 pi m_i^3) 12 g^2 m_i m_j, and Gamma_M = 2 Gamma_D for
    m_j = 0 (the Majorana state decays to nu Z' and to the charge-conjugate state)."""
    g, M = 1e-2, 0.03
    for m_i, m_j in ((0.11, 0.0), (0.11, 0.06), (0.3, 0.2)):
        d = W.gamma_nu_to_nu_zprime(m_i, m_j, M, *chiral(g, False))
        m = W.gamma_nu_to_nu_zprime(m_i, m_j, M, *chiral(g, True))
        lam = math.sqrt(m_i**4 + m_j**4 + M**4 - 2 * (m_i**2 * m_j**2 + m_i**2 * M**2
                                                     + m_j**2 * M**2))
        assert m - 2 * d == approx(lam / (32 * math.pi * m_i**3) * 12 * g * g * m_i * m_j,
                                          rel=1e-9, abs=1e-30)
        if m_j == 0.0:
            assert m == approx(2 * d, rel=1e-14)


# ------------------------------------------------------------------------------------
# 6. The default card and an off-shell card
# ------------------------------------------------------------------------------------
def _check_brs(w):
    for part in ("Zprime", "nu5", "nu4"):
        brs = [v for k, v in w["BR"].items() if k.startswith(part + "_")]
        assert all(math.isfinite(v) and v >= 0 for v in brs)
        if w[part]["total"] > 0:
            assert sum(brs) == approx(1.0, rel=1e-12)
            parts = sum(v for k, v in w[part].items() if k != "total")
            assert parts == approx(w[part]["total"], rel=1e-14)


def test_default_card_on_shell():
    pc = default_pc()
    w = W.widths(pc)
    assert w["units"] == "GeV" and w["regime"] == "on-shell"
    _check_brs(w)
    assert set(w) == {"units", "Zprime", "nu5", "nu4", "BR", "ctau_cm", "lifetime_s", "regime"}
    assert {"total", "ee", "mumu", "nunu"} <= set(w["Zprime"])
    assert {"total", "nu4_Zprime", "nu_Zprime", "nu4_ee", "nu4_nunu"} <= set(w["nu5"])
    assert {"total", "nu_Zprime", "nu_ee", "nu_nunu"} <= set(w["nu4"])
    assert w["nu5"]["nu4_ee"] == 0.0 and w["nu5"]["nu4_Zprime"] > 0
    # the Z' is narrow (PHYSICS.md: Gamma/M < 1e-6) and nu5, Z' decay promptly (< 1 cm)
    assert w["Zprime"]["total"] / pc.mzprime < 1e-6
    assert w["ctau_cm"]["Zprime"] < 1.0 and w["ctau_cm"]["nu5"] < 1.0
    # independent closed forms for the default card
    ee = pc.mzprime / (12 * math.pi) * math.sqrt(1 - 4 * M_E**2 / pc.mzprime**2) * (
        pc.cv_l**2 * (1 + 2 * M_E**2 / pc.mzprime**2)
        + pc.ca_l**2 * (1 - 4 * M_E**2 / pc.mzprime**2))
    assert w["Zprime"]["ee"] == approx(ee, rel=1e-12)
    assert w["Zprime"]["nunu"] == approx(3 * pc.g_nu**2 * pc.mzprime / (24 * math.pi),
                                                rel=1e-12)
    # visible_modes = "nu4": PHYSICS.md's BR(nu5 -> nu4 Z') BR(Z' -> ee); "all" (the default
    # since the switch exists) adds nu5 -> nu_light Z' -> nu_light ee
    vis = W.visible_branching_ratio(pc, modes="nu4")
    assert vis == approx(w["BR"]["nu5_nu4_Zprime"] * w["BR"]["Zprime_ee"], rel=1e-14)
    assert 0 < vis < 1
    light = w["BR"]["nu5_nu_Zprime"] * w["BR"]["Zprime_ee"]
    assert 0 < light < 1e-3 * vis
    assert W.visible_branching_ratio(pc) == approx(vis + light, rel=1e-14)
    assert W.visible_branching_ratios(pc) == {"nu4": vis, "nu": approx(light, rel=1e-14)}
    with pytest.raises(ValueError, match="modes"):
        W.visible_branching_ratio(pc, modes="nu5")


def test_off_shell_card():
    pc = physical_couplings(parse_card(None, ["model.mzprime=0.08"]).model)
    w = W.widths(pc)
    assert w["regime"] == "off-shell"
    _check_brs(w)
    assert w["nu5"]["nu4_Zprime"] == 0.0
    assert w["BR"]["nu5_nu4_ee"] > 0 and w["BR"]["nu5_nu4_nunu"] > 0
    assert W.visible_branching_ratio(pc, modes="nu4") == w["BR"]["nu5_nu4_ee"]
    # nu5 -> nu_light Z' is open (M_Z' < m5) and dominates: the visible BR of all modes is
    # ~1e4 times the nu4 chain's
    light = w["BR"]["nu5_nu_Zprime"] * w["BR"]["Zprime_ee"]
    assert W.visible_branching_ratio(pc) == approx(w["BR"]["nu5_nu4_ee"] + light, rel=1e-14)
    assert light > 1e3 * w["BR"]["nu5_nu4_ee"]
    # M_Z' = 80 MeV > m4: nu4 decays through a virtual Z' too
    assert w["nu4"]["nu_Zprime"] == 0.0 and w["nu4"]["nu_ee"] > 0
    # far off shell, contact limit: the width scales as 1/M^4 (check between 0.8 and 1.6 GeV)
    r = [W.gamma_nu5_to_nu4_ff(dataclasses.replace(pc, mzprime=m), M_E, pc.cv_l, pc.ca_l)
         * m**4 for m in (0.8, 1.6)]
    assert r[1] == approx(r[0], rel=1e-2)


def test_three_body_majorana_is_twice_dirac_for_massless_final_state():
    pc = default_pc("model.mzprime=0.08")
    d = W.gamma_three_body(0.11, 0.0, M_E, *chiral(1e-2, False), 1e-3, 2e-4, 0.08, 1e-9)
    m = W.gamma_three_body(0.11, 0.0, M_E, *chiral(1e-2, True), 1e-3, 2e-4, 0.08, 1e-9)
    assert m == approx(2 * d, rel=1e-10)
    assert pc.m5 == 0.11
