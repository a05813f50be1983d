"""Dipole-portal upscattering against independent calculations (PHYSICS.md, "Beyond the seed":
dipole portal; zpgen.processes.dipole_xsec).

* |M|^2 on a spin-0 nucleus and on a nucleon, and the polarisation vector of the produced
  N, against amplitudes built from explicit spinors and gamma matrices (tests/processes/
  dirac.py): vertex 2 d sigma^{mu nu} q_nu P_L from L = d nubar_L sigma F N + h.c.;
* sigma(E) against scipy quadrature of dsigma/dt in the CM angle;
* the massless limit against the textbook magnetic-moment cross section
  dsigma/dT = alpha mu^2 (1/T - 1/E) with mu = 2 d (Vogel and Engel, Phys. Rev. D 39
  (1989) 3378, eq. 2, mu_B units converted);
* Gamma(N -> nu gamma) and the photon's angular distribution against an explicit-spinor
  two-body decay (Dirac: 1 - P cos theta; nubar channel of a Majorana N: 1 + P cos theta);
* the full production x decay chain, summed coherently over the N spin, against the
  factorised (1 + alpha P.n) that the event kernel samples.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from zpgen.processes import dipole_xsec as dx
from zpgen.processes import form_factors as ff
from zpgen.processes.nuclei import NUCLEI

from tests.processes import dirac
from zpgen import constants

RNG = np.random.default_rng(18)
E_CHARGE = math.sqrt(4 * math.pi * constants.ALPHA_EM)
ETA = dirac.ETA
GAM = dirac.GAMMA


# ---------------------------------------------------------------------- explicit spinors
def lab_kinematics(E_nu, t, M, m, phi):
    """Lab four-momenta (nu along z, target at rest) of nu T -> N T' at given t."""
    k = np.array([E_nu, 0.0, 0.0, E_nu])
    p = np.array([M, 0.0, 0.0, 0.0])
    E_N = E_nu + t / (2.0 * M)
    pN = math.sqrt(E_N * E_N - m * m)
    cos = (t - m * m + 2.0 * E_nu * E_N) / (2.0 * E_nu * pN)
    sin = math.sqrt(max(1.0 - cos * cos, 0.0))
    kp = np.array([E_N, pN * sin * math.cos(phi), pN * sin * math.sin(phi), pN * cos])
    return k, p, kp, k + p - kp


def u_spin(p, m, s_hat):
    """u(p) of a massive fermion whose rest-frame spin (reached by a pure boost) points along
    s_hat (the boosted rest spinor, as dirac.u_spinors)."""
    sn = sum(s_hat[i] * dirac.SIGMA[i] for i in range(3))
    vals, vecs = np.linalg.eigh(sn)
    chi = vecs[:, np.argmax(vals)]
    E = p[0]
    sp = sum(p[i + 1] * dirac.SIGMA[i] for i in range(3))
    return np.sqrt(E + m) * np.concatenate([chi, sp @ chi / (E + m)])


def sigma_q(q):
    """[sigma^{mu nu} q_nu for mu in 0..3] (upper mu)."""
    return [sum(dirac.sigma_munu(mu, nu) * ETA[nu, nu] * q[nu] for nu in range(4))
            for mu in range(4)]


def lepton_current(k, kp, u_N, d, proj=dirac.PL):
    """l^mu = ubar(k') 2 d sigma^{mu nu} q_nu P u(k), q = k - k' (left-handed massless nu)."""
    q = k - kp
    u_nu = dirac.u_left_massless(k)
    return np.array([dirac.bar(u_N) @ (2 * d * sq) @ proj @ u_nu for sq in sigma_q(q)])


def hadron_currents(p, pp, M, F1, F2):
    """J^mu = ubar(p')[F1 gamma^mu + i F2 sigma^{mu a} q_a/2M]u(p) for each pair of spins."""
    q = pp - p
    sq = sigma_q(q)
    out = []
    for u in dirac.u_spinors(p, M):
        for up in dirac.u_spinors(pp, M):
            out.append(np.array([dirac.bar(up) @ (F1 * GAM[mu] + 1j * F2 / (2 * M) * sq[mu]) @ u
                                 for mu in range(4)]))
    return out


def contract(a, b):
    return sum(ETA[mu, mu] * a[mu] * b[mu] for mu in range(4))


def spinor_rate(E_nu, t, M, m, d, phi, s_hat, target):
    """|M|^2 for an N of rest-frame spin s_hat (summed over target spins, averaged over the
    nucleon's); ``target`` = ("spin0", Z F) or ("nucleon", F1, F2)."""
    k, p, kp, pp = lab_kinematics(E_nu, t, M, m, phi)
    lep = lepton_current(k, kp, u_spin(kp, m, s_hat), d)
    if target[0] == "spin0":
        amp = contract(lep, target[1] * E_CHARGE * (p + pp)) / t
        return abs(amp) ** 2
    total = 0.0
    for J in hadron_currents(p, pp, M, target[1], target[2]):
        total += abs(contract(lep, E_CHARGE * J) / t) ** 2
    return total / 2.0


AXES = (np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), np.array([0, 0, 1.0]))


def spinor_msq_and_polarisation(E_nu, t, M, m, d, phi, target):
    rates = [(spinor_rate(E_nu, t, M, m, d, phi, a, target),
              spinor_rate(E_nu, t, M, m, d, phi, -a, target)) for a in AXES]
    total = rates[0][0] + rates[0][1]
    return total, np.array([(r[0] - r[1]) / (r[0] + r[1]) for r in rates])


def zpgen_polarisation(E_nu, t, M, m, params, phi):
    _, _, kp, pp = lab_kinematics(E_nu, t, M, m, phi)
    return np.array(dx.polarisation(E_nu, t, params, kp, pp))


def params_for(kind, M, m, d, **kw):
    p = np.zeros(dx.N_FIXED)
    p[dx.I_KIND] = 0 if kind == "spin0" else 1
    p[dx.I_M], p[dx.I_MN], p[dx.I_D] = M, m, d
    p[dx.I_Z] = kw.get("Z", 0.0)
    p[dx.I_PROTON] = kw.get("proton", 1.0)
    p[dx.I_FF] = dx.FF_CODES["none"]
    return p


def random_point(M, m_max=0.5, e_span=3.0):
    m = RNG.uniform(0.01, m_max)
    E_nu = dx.threshold(M, m) + RNG.uniform(0.002, e_span)
    t_min, t_max = dx.t_range(E_nu, M, m)
    t = -math.exp(RNG.uniform(math.log(-t_max), math.log(-t_min)))
    return m, E_nu, t


# ---------------------------------------------------------------------- |M|^2 and P
@pytest.mark.parametrize("trial", range(5))
def test_spin0_msq_and_polarisation_match_explicit_spinors(trial):
    M = NUCLEI["C12"].mass_GeV
    m, E_nu, t = random_point(M)
    d, ZF, phi = 2.3e-6, 6.0 * RNG.uniform(0.2, 1.0), RNG.uniform(0, 2 * np.pi)
    expected, pol = spinor_msq_and_polarisation(E_nu, t, M, m, d, phi, ("spin0", ZF))
    assert dx.msq_spin0(E_nu, t, M, m, d, ZF) == pytest.approx(expected, rel=1e-9)
    params = params_for("spin0", M, m, d, Z=ZF)
    assert dx.msq(E_nu, t, params) == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(zpgen_polarisation(E_nu, t, M, m, params, phi), pol, atol=1e-9)


@pytest.mark.parametrize("proton", [True, False])
@pytest.mark.parametrize("trial", range(4))
def test_nucleon_msq_and_polarisation_match_explicit_spinors(trial, proton):
    """The kernel's own electromagnetic form factors at the point's t, fed to the spinors."""
    M = constants.M_P if proton else constants.M_N
    m, E_nu, t = random_point(M)
    d, phi = 1.1e-6, RNG.uniform(0, 2 * np.pi)
    F1, F2 = ff.nucleon_em_f1_f2(t, M, proton)
    expected, pol = spinor_msq_and_polarisation(E_nu, t, M, m, d, phi, ("nucleon", F1, F2))
    assert dx.msq_nucleon(E_nu, t, M, m, d, F1, F2) == pytest.approx(expected, rel=1e-9)
    params = params_for("nucleon", M, m, d, proton=1.0 if proton else 0.0)
    assert dx.msq(E_nu, t, params) == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(zpgen_polarisation(E_nu, t, M, m, params, phi), pol, atol=1e-9)


def test_nucleon_msq_with_arbitrary_form_factors():
    """msq_nucleon for F1, F2 that no nucleon has (the formula, not the form factors)."""
    M = constants.M_P
    for _ in range(3):
        m, E_nu, t = random_point(M)
        F1, F2 = RNG.normal(size=2)
        expected, _ = spinor_msq_and_polarisation(E_nu, t, M, m, 1e-6, 0.3,
                                                  ("nucleon", F1, F2))
        assert dx.msq_nucleon(E_nu, t, M, m, 1e-6, F1, F2) == pytest.approx(expected, rel=1e-9)


def test_polarisation_is_helicity_plus_far_above_threshold_and_not_near_it():
    """N comes out right-handed (P along its momentum) when E >> m; near threshold the
    helicity polarisation drops well below 1 (the issue: 'not purely one helicity')."""
    M = NUCLEI["C12"].mass_GeV
    params = params_for("spin0", M, 0.1, 1e-6, Z=6.0)
    for E_nu, low in ((20.0, 0.99), (0.1005, -1.0)):
        t_min, t_max = dx.t_range(E_nu, M, 0.1)
        helicity = []
        for t in np.geomspace(-t_max, -t_min, 7)[1:-1]:
            _, _, kp, pp = lab_kinematics(E_nu, -t, M, 0.1, 0.0)
            P = np.array(dx.polarisation(E_nu, -t, params, kp, pp))
            helicity.append(P @ kp[1:] / np.linalg.norm(kp[1:]))
        assert min(helicity) > low
        if E_nu < 1.0:
            assert min(helicity) < 0.9


# ---------------------------------------------------------------------- limits
def test_massless_limit_is_the_magnetic_moment_cross_section():
    """m_N -> 0 on a heavy point-like Dirac target of charge 1 (F1 = 1, F2 = 0):
    dsigma/dT = alpha mu^2 (1/T - 1/E), mu = 2 d (Vogel-Engel with mu in GeV^-1)."""
    M, m, d, E = 50.0, 1e-6, 1e-6, 0.7
    for T in (1e-4, 1e-3, 5e-3):
        t = -2 * M * T
        dsdt = dx.msq_nucleon(E, t, M, m, d, 1.0, 0.0) / (64 * math.pi * M * M * E * E)
        expected = constants.ALPHA_EM * (2 * d) ** 2 * (1 / T - 1 / E)
        assert 2 * M * dsdt == pytest.approx(expected, rel=1e-6)


def test_bohr_magneton_conversion():
    """mu_B = e/(2 m_e) = 296.3 GeV^-1 with e = sqrt(4 pi alpha(0))."""
    assert dx.mu_bohr_gev_inv() == pytest.approx(
        math.sqrt(4 * math.pi / 137.035999084) / (2 * 0.51099895e-3), rel=1e-8)
    assert dx.d_in_bohr_magnetons(1e-6) == pytest.approx(3.375e-9, rel=1e-3)


# ---------------------------------------------------------------------- sigma
def sigma_by_cm_angle(E_nu, params):
    M, m = params[dx.I_M], params[dx.I_MN]
    s = M * M + 2 * M * E_nu
    rs = math.sqrt(s)
    p_in = (s - M * M) / (2 * rs)
    e_out = (s + m * m - M * M) / (2 * rs)
    p_out = math.sqrt(e_out**2 - m**2)

    def integrand(cos):
        t = m * m - 2 * p_in * (e_out - p_out * cos)
        return dx.dsigma_dt(E_nu, t, params) * 2 * p_in * p_out

    t_max = m * m - 2 * p_in * (e_out - p_out)
    width = abs(t_max) / (2 * p_in * p_out)
    points = sorted({max(-1.0, 1.0 - f * width) for f in (1, 10, 100, 1e3, 1e4, 1e5)})
    value, _ = integrate.quad(integrand, -1.0, 1.0, points=points, epsabs=0.0, epsrel=1e-11,
                              limit=1000)
    return value


def channel_like(kind):
    """Parameter vectors of the physical channels (Helm, Pauli) without the process layer."""
    c12 = NUCLEI["C12"]
    if kind == "coherent":
        p = params_for("spin0", c12.mass_GeV, 0.25, 1e-6, Z=6.0)
        p[dx.I_FF] = dx.FF_CODES["helm"]
        p[dx.I_HELM_RN], p[dx.I_HELM_S] = c12.helm_GeV_inv
        return p
    p = params_for("nucleon", constants.M_N, 0.25, 1e-6, proton=0.0)
    p[dx.I_PAULI], p[dx.I_KF] = 1.0, c12.k_fermi_GeV
    return p


@pytest.mark.parametrize("kind", ["coherent", "bound_neutron"])
@pytest.mark.parametrize("E_nu", [0.26, 0.6, 2.0, 8.0])
def test_sigma_matches_quadrature_in_cm_angle(kind, E_nu):
    params = channel_like(kind)
    if dx.threshold(params[dx.I_M], params[dx.I_MN]) >= E_nu:
        assert dx.sigma(E_nu, params) == 0.0
        return
    assert dx.sigma(E_nu, params) == pytest.approx(sigma_by_cm_angle(E_nu, params), rel=1e-6)


# ---------------------------------------------------------------------- the decay
def photon_polarisations(q):
    """Two real transverse polarisation vectors of a photon of momentum q."""
    n = q[1:] / np.linalg.norm(q[1:])
    a = np.array([1.0, 0, 0]) if abs(n[0]) < 0.9 else np.array([0, 1.0, 0])
    e1 = np.cross(n, a)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(n, e1)
    return [np.concatenate([[0.0], e1]), np.concatenate([[0.0], e2])]


def decay_rate(m, d, s_hat, n_gamma, proj):
    """sum over photon and nu spins of |ubar(nu) 2 d sigma^{mu nu} q_nu P u_N(s) eps*_mu|^2,
    N at rest with spin s_hat, photon along n_gamma (P_R: N -> nu_L gamma; P_L: the nubar
    channel of a Majorana N, written with u spinors by charge conjugation)."""
    pN = np.array([m, 0.0, 0.0, 0.0])
    q = np.concatenate([[m / 2], m / 2 * np.asarray(n_gamma)])
    k = pN - q
    uN = u_spin(pN, m, s_hat)
    total = 0.0
    for u_nu in dirac.u_spinors(k, 0.0):
        for eps in photon_polarisations(q):
            amp = sum(ETA[mu, mu] * eps[mu] * (dirac.bar(u_nu) @ (2 * d * sq) @ proj @ uN)
                      for mu, sq in enumerate(sigma_q(q)))
            total += abs(amp) ** 2
    return total


def test_width_closed_form_against_two_body_phase_space():
    """Gamma = |p| <|M|^2> / (8 pi m^2) (isotropic after the spin average) = d^2 m^3/(4 pi)."""
    for m, d in ((0.394, 3.6e-7), (0.05, 2e-6)):
        avg = 0.0
        for n in (np.array([0.3, -0.5, 0.81]), np.array([0.0, 0.0, 1.0])):
            n = n / np.linalg.norm(n)
            avg += 0.5 * sum(decay_rate(m, d, s, n, dirac.PR) for s in
                             (AXES[2], -AXES[2])) / 2
        gamma = (m / 2) * avg / (8 * math.pi * m * m)
        assert gamma == pytest.approx(dx.width_nu_gamma(d, m, majorana=False), rel=1e-10)
        assert dx.width_nu_gamma(d, m, majorana=True) == pytest.approx(2 * gamma, rel=1e-10)


@pytest.mark.parametrize(("proj", "alpha"), [(dirac.PR, dx.ALPHA_NU), (dirac.PL, dx.ALPHA_NUBAR)])
def test_photon_angular_distribution_from_helicity_amplitudes(proj, alpha):
    """N spin along s: dGamma/dOmega ~ 1 + alpha cos(s, n_gamma), alpha = -1 (nu_L gamma) or
    +1 (nubar gamma); Majorana: the sum is isotropic."""
    m, d = 0.2, 1e-6
    s_hat = np.array([0.6, 0.0, 0.8])
    iso = sum(decay_rate(m, d, s_hat, sign * a, proj) for a in AXES for sign in (1, -1)) / 6
    for _ in range(6):
        n = RNG.normal(size=3)
        n /= np.linalg.norm(n)
        got = decay_rate(m, d, s_hat, n, proj)
        assert got == pytest.approx(iso * (1 + alpha * s_hat @ n), rel=1e-9, abs=1e-12 * iso)
        both = decay_rate(m, d, s_hat, n, dirac.PR) + decay_rate(m, d, s_hat, n, dirac.PL)
        assert both == pytest.approx(2 * iso, rel=1e-9)


@pytest.mark.parametrize("kind", ["spin0", "nucleon"])
def test_production_times_decay_summed_coherently_over_the_n_spin(kind):
    """The chain amplitude sum_s D(s) P(s) (explicit spinors, any N spin basis) squared,
    as a function of the photon direction, is |M|^2_prod (1 - P.n) x const: the density
    matrix (1 + P.sigma)/2 and alpha = -1 the event kernel uses."""
    M = NUCLEI["C12"].mass_GeV if kind == "spin0" else constants.M_P
    m, d = 0.15, 1e-6
    E_nu = dx.threshold(M, m) + 0.08  # near threshold: P is not along the N momentum
    t_min, t_max = dx.t_range(E_nu, M, m)
    t = -math.sqrt(t_min * t_max)
    k, p, kp, pp = lab_kinematics(E_nu, t, M, m, 0.7)
    params = params_for(kind, M, m, d, Z=6.0)
    P = np.array(dx.polarisation(E_nu, t, params, kp, pp))
    F1, F2 = ff.nucleon_em_f1_f2(t, M, True)
    # N -> nu gamma in the N rest frame (pure boost): build in the rest frame, boost to lab
    beta = kp[1:] / kp[0]
    gamma = kp[0] / m

    def to_lab(v):
        bv = beta @ v[1:]
        return np.concatenate([[gamma * (v[0] + bv)],
                               v[1:] + (gamma**2 / (gamma + 1) * bv + gamma * v[0]) * beta])

    def chain(n_rest):
        q_rest = np.concatenate([[m / 2], m / 2 * n_rest])
        q = to_lab(q_rest)
        k_nu = kp - q
        total = 0.0
        hadrons = ([(p + pp) * 6.0 * E_CHARGE] if kind == "spin0"
                   else [E_CHARGE * J for J in hadron_currents(p, pp, M, F1, F2)])
        for u_nu in dirac.u_spinors(k_nu, 0.0):
            for eps in photon_polarisations(q):
                for J in hadrons:
                    amp = 0.0
                    for s_hat in (AXES[2], -AXES[2]):  # sum over the N spin states
                        uN = u_spin(kp, m, s_hat)
                        dec = sum(ETA[mu, mu] * eps[mu] * (dirac.bar(u_nu) @ (2 * d * sq)
                                                           @ dirac.PR @ uN)
                                  for mu, sq in enumerate(sigma_q(q)))
                        amp += dec * contract(lepton_current(k, kp, uN, d), J) / t
                    total += abs(amp) ** 2
        return total

    directions = [AXES[0], -AXES[0], AXES[1], AXES[2], -AXES[2], np.array([0.48, 0.6, 0.64])]
    values = np.array([chain(n) for n in directions])
    shape = np.array([1 - P @ n for n in directions])
    ratio = values / shape
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-8)
    assert np.linalg.norm(P) > 0.1
