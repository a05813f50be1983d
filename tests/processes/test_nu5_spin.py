"""The nu5's spin state from the production amplitude, and the CP-conjugate (antineutrino)
process, against explicit spinors (zpgen.processes.xsec, "Spin state of nu5";
zpgen.processes.decay_chain, "Antineutrino beams").

Every reference is an amplitude built here from explicit Dirac spinors and gamma matrices
(tests/processes/dirac.py, Dirac representation), squared numerically:

* the polarisation of nu5 from nu_mu T -> nu5 T (spin-0 nucleus; nucleon with Dirac and
  Pauli form factors) in the nu5 helicity frame, from rates with the nu5 spin along +-x,
  +-y, +-z;
* the antineutrino process nubar_mu T -> nu5bar T (v spinors): the same |M|^2 and the
  opposite polarisation;
* the antiparticle decay nu5bar -> nu4bar f fbar: ``msq_nubar(s; f, fbar) = msq(-s; fbar, f)``;
* production x decay summed coherently over the nu5 spin, for nu and nubar: equal to
  ``sum|M_prod|^2 x msq(s5 = P)`` with the kernel's P (the normalisation of the partially
  polarised decay density), and for nubar with the e+ and e- roles exchanged, which is
  what the event kernel does.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from zpgen.processes import xsec
from zpgen.processes.couplings import physical_couplings
from zpgen.processes.decay_kernels import msq_nu5_to_nu4_ff
from zpgen.processes.nuclei import NUCLEI

from tests.processes import dirac
from zpgen import constants
from zpgen.card import parse_card

RNG = np.random.default_rng(1805)
ETA = dirac.ETA
GAM = dirac.GAMMA
ID4 = np.eye(4, dtype=complex)


# ---------------------------------------------------------------------- spinors
def two_spinor(n, sign=1.0):
    """Eigenvector of sigma.n with eigenvalue ``sign`` (n a unit 3-vector)."""
    vals, vecs = np.linalg.eigh(sum(n[i] * dirac.SIGMA[i] for i in range(3)))
    return vecs[:, np.argmax(sign * vals)]


def sig_p(p):
    return sum(p[i + 1] * dirac.SIGMA[i] for i in range(3))


def u_spin(p, m, s_hat):
    """u(p) whose rest-frame spin (pure boost from the lab) points along s_hat."""
    chi = two_spinor(s_hat)
    E = p[0]
    return np.sqrt(E + m) * np.concatenate([chi, sig_p(p) @ chi / (E + m)])


def v_spin(p, m, s_hat):
    """v(p) of an antiparticle whose physical rest-frame spin points along s_hat (its
    two-spinor is the spin-down state of s_hat; checked against the projector below)."""
    eta = two_spinor(s_hat, -1.0)
    E = p[0]
    return np.sqrt(E + m) * np.concatenate([sig_p(p) @ eta / (E + m), eta])


def spin4(p, m, s_hat):
    """Lab spin four-vector of rest-frame spin s_hat (pure boost by p/E)."""
    b = p[1:] / p[0]
    g = p[0] / m
    bs = b @ s_hat
    return np.concatenate([[g * bs], s_hat + (g - 1.0) * bs / (b @ b) * b if b @ b > 0
                           else s_hat])


def massless_basis(k):
    """Both spinors of a massless momentum k (the vertex's P_L picks the beam's chirality)."""
    return dirac.u_spinors(k, 0.0), dirac.v_spinors(k, 0.0)


def test_spin_projectors_of_the_helpers():
    p = np.array([0.0, 0.03, -0.05, 0.11])
    m = 0.11
    p[0] = math.sqrt(m * m + p[1:] @ p[1:])
    s_hat = np.array([0.3, -0.5, 0.81])
    s_hat /= np.linalg.norm(s_hat)
    s = spin4(p, m, s_hat)
    proj = (ID4 + dirac.G5 @ dirac.slash(s)) / 2
    u = u_spin(p, m, s_hat)
    v = v_spin(p, m, s_hat)
    assert np.allclose(np.outer(u, dirac.bar(u)), (dirac.slash(p) + m * ID4) @ proj)
    assert np.allclose(np.outer(v, dirac.bar(v)), (dirac.slash(p) - m * ID4) @ proj)


# ---------------------------------------------------------------------- production
def lab_kinematics(E_nu, t, M, m, phi):
    k = np.array([E_nu, 0.0, 0.0, E_nu])
    p = np.array([M, 0.0, 0.0, 0.0])
    E5 = E_nu + t / (2.0 * M)
    p5 = math.sqrt(E5 * E5 - m * m)
    cos = (E5 - (m * m - t) / (2.0 * E_nu)) / p5
    sin = math.sqrt(max(1.0 - cos * cos, 0.0))
    kp = np.array([E5, p5 * sin * math.cos(phi), p5 * sin * math.sin(phi), p5 * cos])
    return k, p, kp, k + p - kp


def helicity_axes(kp):
    """e_Theta, e_Phi, khat of a lab momentum (the helicity frame of decay_chain)."""
    n = kp[1:] / np.linalg.norm(kp[1:])
    st = math.hypot(n[0], n[1])
    cp, sp = (n[0] / st, n[1] / st) if st > 0 else (1.0, 0.0)
    return np.array([n[2] * cp, n[2] * sp, -st]), np.array([-sp, cp, 0.0]), n


def hadron_currents(p, pp, M, target):
    """Target currents for each pair of target spins; spin 0: Q F (p + p')."""
    if target[0] == "spin0":
        return [target[1] * (p + pp)]
    F1, F2 = target[1], target[2]
    q = pp - p
    sq = [sum(dirac.sigma_munu(mu, nu) * ETA[nu, nu] * q[nu] for nu in range(4))
          for mu in range(4)]
    return [np.array([dirac.bar(up) @ (F1 * GAM[mu] + 1j * F2 / (2 * M) * sq[mu]) @ u
                      for mu in range(4)])
            for u in dirac.u_spinors(p, M) for up in dirac.u_spinors(pp, M)]


def contract(a, b):
    return sum(ETA[mu, mu] * a[mu] * b[mu] for mu in range(4))


def production_amplitudes(E_nu, t, M, m, phi, target, G, mz, psi5, anti):
    """Amplitudes G l.J/(t - M_Z'^2) for each beam spinor and target spin pair:
    nu: ubar5 gamma P_L u(k); nubar: vbar(k) gamma P_L v5 (the CP conjugate)."""
    k, p, _kp, pp = lab_kinematics(E_nu, t, M, m, phi)
    us, vs = massless_basis(k)
    out = []
    for beam in (vs if anti else us):
        if anti:
            lep = np.array([dirac.bar(beam) @ GAM[mu] @ dirac.PL @ psi5 for mu in range(4)])
        else:
            lep = np.array([dirac.bar(psi5) @ GAM[mu] @ dirac.PL @ beam for mu in range(4)])
        out += [G * contract(lep, J) / (t - mz * mz)
                for J in hadron_currents(p, pp, M, target)]
    return np.array(out)


def spinor_rate(E_nu, t, M, m, phi, target, G, mz, s_hat, anti):
    _k, _p, kp, _pp = lab_kinematics(E_nu, t, M, m, phi)
    psi5 = v_spin(kp, m, s_hat) if anti else u_spin(kp, m, s_hat)
    amps = production_amplitudes(E_nu, t, M, m, phi, target, G, mz, psi5, anti)
    norm = 1.0 if target[0] == "spin0" else 0.5  # average over the nucleon's spin
    return norm * float(np.sum(np.abs(amps) ** 2))


def spinor_msq_and_polarisation(E_nu, t, M, m, phi, target, G, mz, anti=False):
    """Spin-summed |M|^2 and (P_x, P_y, P_z) in the helicity frame, from explicit spinors."""
    _, _, kp, _ = lab_kinematics(E_nu, t, M, m, phi)
    pol = []
    total = 0.0
    for axis in helicity_axes(kp):
        up = spinor_rate(E_nu, t, M, m, phi, target, G, mz, axis, anti)
        dn = spinor_rate(E_nu, t, M, m, phi, target, G, mz, -axis, anti)
        total = up + dn
        pol.append((up - dn) / (up + dn))
    return total, np.array(pol)


def channel_params(channel, *sets):
    card = parse_card(None, list(sets))
    return xsec.channel_params(channel, physical_couplings(card.model), card.physics)


def random_point(M, m5, e_span=2.0):
    E_nu = xsec.threshold(M, m5) + math.exp(RNG.uniform(math.log(1e-4), math.log(e_span)))
    t_min, t_max = xsec.t_range(E_nu, M, m5)
    t = t_max + (t_min - t_max) * RNG.uniform(0.02, 0.98)
    return E_nu, t


CASES = [
    ("C12_coherent", ()),
    ("H1_proton", ()),
    ("C12_neutron", ()),
    ("C12_proton", ("model.couplings.g_p=3e-4", "model.couplings.g_n=-1e-4")),
    ("C12_proton", ("physics.nucleon_form_factor=frozen", "model.couplings.g_n=2e-4")),
]


@pytest.mark.parametrize(("channel", "sets"), CASES)
@pytest.mark.parametrize("trial", range(3))
def test_nu5_polarisation_matches_explicit_spinors(channel, sets, trial):
    """nu and nubar: the kernel's |M|^2 and P against the spinor rates; P_nubar = -P."""
    cp = channel_params(channel, "physics.nucleon_model=free", *sets)
    M, m5, mz, G = cp[xsec.I_M], cp[xsec.I_M5], cp[xsec.I_MZ], cp[xsec.I_G]
    E_nu, t = random_point(M, m5)
    if cp[xsec.I_KIND] == 0:
        target = ("spin0", cp[xsec.I_CHARGE])
    else:
        target = ("nucleon", *xsec.nucleon_f1_f2(t, cp))
    phi = RNG.uniform(0.0, 2 * math.pi)
    px, pz = xsec.nu5_polarisation(E_nu, t, cp)
    for anti, sign in ((False, 1.0), (True, -1.0)):
        msq, pol = spinor_msq_and_polarisation(E_nu, t, M, m5, phi, target, G, mz, anti)
        nuclear = 1.0
        if cp[xsec.I_KIND] == 0:  # the kernel's msq includes the Helm factor
            from zpgen.processes.form_factors import helm, q3_of_t
            nuclear = helm(q3_of_t(t, M), cp[xsec.I_HELM_RN], cp[xsec.I_HELM_S]) ** 2
        assert xsec.msq(E_nu, t, cp) == pytest.approx(msq * nuclear, rel=1e-9)
        np.testing.assert_allclose(pol, sign * np.array([px, 0.0, pz]), atol=1e-9)
    assert px * px + pz * pz <= 1.0 + 1e-12


def test_nu5_is_left_handed_far_above_threshold_and_not_near_it():
    """Far above threshold, at |t| ~ M_Z'^2 (where the events are), P -> (0, -1); within
    5 MeV of threshold a helicity +1/2 share and a transverse polarisation appear."""
    for channel in ("C12_coherent", "H1_proton"):
        cp = channel_params(channel)
        M, m5, mz = cp[xsec.I_M], cp[xsec.I_M5], cp[xsec.I_MZ]
        px, pz = xsec.nu5_polarisation(5.0, -mz * mz, cp)
        assert pz < -0.999 and abs(px) < 0.05
        E_nu = xsec.threshold(M, m5) + 0.005
        t_min, t_max = xsec.t_range(E_nu, M, m5)
        shares = [(1.0 + xsec.nu5_polarisation(E_nu, t, cp)[1]) / 2.0
                  for t in np.linspace(t_max, t_min, 9)[1:-1]]
        assert max(shares) > 0.2
        assert max(abs(xsec.nu5_polarisation(E_nu, t, cp)[0])
                   for t in np.linspace(t_max, t_min, 9)[1:-1]) > 0.5


def test_spin0_nu5_is_in_a_pure_state():
    """One amplitude (spin-0 target, left-handed beam): |P| = 1 at every point."""
    cp = channel_params("C12_coherent")
    M, m5 = cp[xsec.I_M], cp[xsec.I_M5]
    for _ in range(20):
        E_nu, t = random_point(M, m5)
        px, pz = xsec.nu5_polarisation(E_nu, t, cp)
        assert math.hypot(px, pz) == pytest.approx(1.0, abs=1e-9)


# ---------------------------------------------------------------------- decays
def propagator(q, M, G):
    ql = ETA @ q
    qq = q[0] ** 2 - q[1:] @ q[1:]
    return (-ETA + np.outer(ql, ql) / (M * M)) / (qq - M * M + 1j * M * G)


def decay_amplitudes(p4, pf, pb, psi5, m4, mf, c, anti):
    """nu5 -> nu4 f fbar (ubar4 Gamma u5) or nu5bar -> nu4bar f fbar (vbar5 Gamma v4), for
    each nu4, f, fbar spin."""
    gL, gR, cv, ca, M, G = c
    v5 = gL * dirac.PL + gR * dirac.PR
    vf = cv * ID4 + ca * dirac.G5
    prop = propagator(pf + pb, M, G)
    out = []
    four = dirac.v_spinors(p4, m4) if anti else dirac.u_spinors(p4, m4)
    for psi4 in four:
        if anti:
            j5 = np.array([dirac.bar(psi5) @ GAM[mu] @ v5 @ psi4 for mu in range(4)])
        else:
            j5 = np.array([dirac.bar(psi4) @ GAM[mu] @ v5 @ psi5 for mu in range(4)])
        for uf in dirac.u_spinors(pf, mf):
            for vb in dirac.v_spinors(pb, mf):
                jf = np.array([dirac.bar(uf) @ GAM[mu] @ vf @ vb for mu in range(4)])
                out.append(j5 @ prop @ jf)
    return np.array(out)


def decay_point(m5, m4, mf, p5):
    """A nu5 -> nu4 f fbar point (off shell: random pair mass) for a nu5 of momentum p5."""
    mq = RNG.uniform(2 * mf + 1e-3, m5 - m4 - 1e-3)
    pq = math.sqrt((m5**2 - (m4 + mq) ** 2) * (m5**2 - (m4 - mq) ** 2)) / (2 * m5)
    n = RNG.normal(size=3)
    n /= np.linalg.norm(n)
    p4 = np.concatenate([[math.hypot(pq, m4)], pq * n])
    q = np.concatenate([[math.hypot(pq, mq)], -pq * n])
    pf_ = math.sqrt(mq * mq / 4 - mf * mf)
    nf = RNG.normal(size=3)
    nf /= np.linalg.norm(nf)
    pf = np.concatenate([[mq / 2], pf_ * nf])
    pb = np.concatenate([[mq / 2], -pf_ * nf])

    def boost(v, b):
        b2 = b @ b
        if b2 == 0.0:
            return v
        g = 1 / math.sqrt(1 - b2)
        bp = b @ v[1:]
        return np.concatenate([[g * (v[0] + bp)], v[1:] + ((g - 1) * bp / b2 + g * v[0]) * b])

    pf, pb = boost(pf, q[1:] / q[0]), boost(pb, q[1:] / q[0])
    b = p5[1:] / p5[0]
    return boost(p4, b), boost(pf, b), boost(pb, b)


DECAY_COUPLINGS = [(1e-2, 0.0, 1e-3, 3e-4, 0.030, 1e-4), (1e-2, 0.0, 8e-4, -6e-4, 0.03, 2e-3),
                   (1e-2, -1e-2, 1e-3, 3e-4, 0.030, 1e-4)]


@pytest.mark.parametrize("c", DECAY_COUPLINGS)
def test_antiparticle_decay_is_the_kernel_with_spin_and_fermions_exchanged(c):
    """msq_nubar(p5, s; f, fbar) = msq(p5, -s; fbar, f) (CP; real couplings)."""
    m5, m4, mf = 0.110, 0.060, constants.M_E
    p5 = np.array([0.0, 0.04, -0.1, 0.3])
    p5[0] = math.sqrt(m5 * m5 + p5[1:] @ p5[1:])
    for _ in range(4):
        p4, pf, pb = decay_point(m5, m4, mf, p5)
        s_hat = RNG.normal(size=3)
        s_hat /= np.linalg.norm(s_hat)
        ref = float(np.sum(np.abs(decay_amplitudes(p4, pf, pb, v_spin(p5, m5, s_hat), m4, mf,
                                                   c, True)) ** 2))
        s = spin4(p5, m5, s_hat)
        got = msq_nu5_to_nu4_ff(p5, -s, p4, pb, pf, m5, m4, mf, *c)
        assert got == pytest.approx(ref, rel=1e-9)
        if c[1] == -c[0]:  # Majorana couplings: the kernel is CP self-conjugate
            same = msq_nu5_to_nu4_ff(p5, s, p4, pf, pb, m5, m4, mf, *c)
            assert same == pytest.approx(got, rel=1e-9)


@pytest.mark.parametrize("anti", [False, True])
@pytest.mark.parametrize("channel", ["C12_coherent", "H1_proton"])
def test_production_times_decay_summed_coherently_over_the_nu5_spin(channel, anti):
    """sum over the target and final spins of |sum_lambda M_prod(lambda) M_dec(lambda)|^2
    = sum|M_prod|^2 x msq(s5 = P) with the kernel's P (nu), and for nubar the same with the
    f and fbar momenta exchanged in the kernel (decay_chain, "Antineutrino beams")."""
    cp = channel_params(channel, "physics.nucleon_model=free")
    M, m5, mz, G = cp[xsec.I_M], cp[xsec.I_M5], cp[xsec.I_MZ], cp[xsec.I_G]
    m4, mf = 0.060, constants.M_E
    c = (1e-2, 0.0, 1e-3, 3e-4, mz, 2e-4)
    for _ in range(3):
        E_nu, t = random_point(M, m5, e_span=0.05)
        target = (("spin0", cp[xsec.I_CHARGE]) if cp[xsec.I_KIND] == 0
                  else ("nucleon", *xsec.nucleon_f1_f2(t, cp)))
        phi = RNG.uniform(0.0, 2 * math.pi)
        _, _, kp, _ = lab_kinematics(E_nu, t, M, m5, phi)
        p4, pf, pb = decay_point(m5, m4, mf, kp)
        basis = [(v_spin if anti else u_spin)(kp, m5, s) for s in
                 (np.array([0, 0, 1.0]), np.array([0, 0, -1.0]))]
        prod = np.array([production_amplitudes(E_nu, t, M, m5, phi, target, G, mz, psi, anti)
                         for psi in basis])          # (2 spins, beam x target spins)
        dec = np.array([decay_amplitudes(p4, pf, pb, psi, m4, mf, c, anti) for psi in basis])
        coherent = np.einsum("li,lj->ij", prod, dec)  # sum over the nu5 spin
        norm = 1.0 if target[0] == "spin0" else 0.5
        ref = norm * float(np.sum(np.abs(coherent) ** 2))
        msq_prod = norm * float(np.sum(np.abs(prod) ** 2))
        px, pz = xsec.nu5_polarisation(E_nu, t, cp)
        ex, _ey, ez = helicity_axes(kp)
        s5 = px * spin4(kp, m5, ex) + pz * spin4(kp, m5, ez)
        f, fb = (pb, pf) if anti else (pf, pb)
        got = msq_prod * msq_nu5_to_nu4_ff(kp, s5, p4, f, fb, m5, m4, mf, *c)
        assert got == pytest.approx(ref, rel=1e-8)


def test_the_nuclear_table_masses_are_used():
    """(Sanity) the channels above use nuclear, not atomic, masses."""
    assert channel_params("C12_coherent")[xsec.I_M] == NUCLEI["C12"].mass_GeV
