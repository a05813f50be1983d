"""Tests of zpgen/kinematics.py against explicit numpy formulas written here."""

from __future__ import annotations

import math

import numpy as np
import pytest
from zpgen.processes.xsec import t_range

from zpgen import kinematics as K

RNG = np.random.default_rng(7)


def minkowski(a, b):
    return a[0] * b[0] - a[1:] @ b[1:]


def random_vector(m):
    p = RNG.normal(size=3) * RNG.uniform(0.01, 5.0)
    return np.array([math.sqrt(m * m + p @ p), *p])


def boost_matrix(beta):
    """Explicit 4x4 boost matrix Lambda(beta) (textbook form)."""
    b2 = beta @ beta
    g = 1.0 / math.sqrt(1.0 - b2)
    L = np.eye(4)
    L[0, 0] = g
    L[0, 1:] = L[1:, 0] = g * beta
    L[1:, 1:] += (g - 1.0) * np.outer(beta, beta) / b2
    return L


def test_kallen_and_two_body_momentum():
    assert K.kallen(1.0, 2.0, 3.0) == pytest.approx(1 + 4 + 9 - 2 * (2 + 3 + 6))
    M, m1, m2 = 0.11, 0.06, 0.03
    # |p| from energy conservation: E1 + E2 = M
    p = K.two_body_momentum(M, m1, m2)
    assert math.sqrt(p * p + m1 * m1) + math.sqrt(p * p + m2 * m2) == pytest.approx(M, rel=1e-14)
    assert K.two_body_momentum(0.05, 0.03, 0.03) == 0.0


def test_boost_matches_matrix_and_round_trip():
    for _ in range(50):
        p = random_vector(RNG.uniform(0.0, 2.0))
        beta = RNG.normal(size=3)
        beta *= RNG.uniform(0.0, 0.999999) / np.linalg.norm(beta)
        out = np.empty(4)
        K.boost(p, *beta, out)
        np.testing.assert_allclose(out, boost_matrix(beta) @ p, rtol=1e-12, atol=1e-12)
        back = np.empty(4)
        K.boost(out, *(-beta), back)
        np.testing.assert_allclose(back, p, rtol=1e-10, atol=1e-12 * p[0] / (1 - beta @ beta))
        assert minkowski(out, out) == pytest.approx(minkowski(p, p), abs=1e-10 * out[0] ** 2)


def test_boost_to_and_from_rest_frame():
    for _ in range(20):
        m = RNG.uniform(0.01, 1.0)
        P = random_vector(m)
        rest = np.empty(4)
        K.boost_to_rest(P, P, rest)
        np.testing.assert_allclose(rest, [m, 0, 0, 0], atol=1e-12 * P[0])
        q = random_vector(0.1)
        a, b = np.empty(4), np.empty(4)
        K.boost_to_rest(q, P, a)
        K.boost_from_rest(a, P, b)
        np.testing.assert_allclose(b, q, rtol=1e-11, atol=1e-12 * P[0] / m)
        # invariant products are frame independent
        c = np.empty(4)
        K.boost_to_rest(P, P, c)
        assert minkowski(a, c) == pytest.approx(minkowski(q, P), rel=1e-11)
    assert K.mass(np.array([5.0, 3.0, 0.0, 0.0])) == pytest.approx(4.0)
    assert K.mdot(np.array([2.0, 1.0, 1.0, 1.0]), np.array([1.0, 1.0, 0.0, 0.0])) == 1.0


def test_rotate_from_axis():
    for _ in range(20):
        n = RNG.normal(size=3)
        u = n / np.linalg.norm(n)
        out = np.empty(4)
        K.rotate_from_axis(np.array([7.0, 0.0, 0.0, 2.0]), *n, out)
        np.testing.assert_allclose(out, [7.0, *(2.0 * u)], atol=1e-14)
        K.rotate_from_axis(np.array([1.0, 1.0, 0.0, 0.0]), *n, out)
        # x -> e_theta: orthogonal to n, in the plane of z and n, pointing away from +z
        assert out[1:] @ u == pytest.approx(0.0, abs=1e-14)
        assert np.cross(u, [0.0, 0.0, 1.0]) @ out[1:] == pytest.approx(0.0, abs=1e-14)
        assert out[3] <= 1e-14
        v = RNG.normal(size=3)
        K.rotate_from_axis(np.array([0.0, *v]), *n, out)
        assert np.linalg.norm(out[1:]) == pytest.approx(np.linalg.norm(v), rel=1e-14)
    # n along -z: well defined (x -> -x? no: Theta = pi, Phi = 0 -> x -> -x, z -> -z)
    K.rotate_from_axis(np.array([0.0, 0.0, 0.0, 1.0]), 0.0, 0.0, -3.0, out)
    np.testing.assert_allclose(out[1:], [0, 0, -1], atol=1e-15)


def test_two_body_decay_conserves_and_puts_on_shell():
    M, m1, m2 = 0.11, 0.03, 0.06
    p1, p2 = np.empty(4), np.empty(4)
    for c, phi in [(0.3, 1.0), (-1.0, 0.0), (1.0, 5.0), (0.0, 3.0)]:
        K.two_body_decay(M, m1, m2, c, phi, p1, p2)
        np.testing.assert_allclose(p1 + p2, [M, 0, 0, 0], atol=1e-15)
        assert math.sqrt(minkowski(p1, p1)) == pytest.approx(m1, rel=1e-12)
        assert math.sqrt(minkowski(p2, p2)) == pytest.approx(m2, rel=1e-12)
        assert p1[3] / np.linalg.norm(p1[1:]) == pytest.approx(c, abs=1e-14)


@pytest.mark.parametrize("M", [11.17486, 0.93827, 0.93957])
@pytest.mark.parametrize("E_nu", [0.12, 0.5, 3.0])
def test_scatter_2to2_kinematics(M, E_nu):
    m5 = 0.11
    t_min, t_max = t_range(E_nu, M, m5)
    k1 = np.array([E_nu, 0, 0, E_nu])
    k = np.array([M, 0, 0, 0])
    p5, pT = np.empty(4), np.empty(4)
    for t in np.concatenate([[t_min, t_max], t_min + (t_max - t_min) * RNG.random(20)]):
        phi = RNG.uniform(0, 2 * math.pi)
        K.scatter_2to2(E_nu, M, m5, t, phi, p5, pT)
        total = k1 + k
        np.testing.assert_allclose(p5 + pT, total, rtol=0, atol=1e-12 * total[0])
        assert minkowski(p5, p5) == pytest.approx(m5 * m5, rel=1e-10)
        assert minkowski(pT, pT) == pytest.approx(M * M, rel=1e-12)
        # t = (k' - k)^2 = (k1 - p5)^2, both evaluated explicitly
        d_target = pT - k
        d_lepton = k1 - p5
        scale = max(abs(t), 1e-12)
        assert minkowski(d_target, d_target) == pytest.approx(t, abs=1e-9 * scale + 1e-13)
        assert minkowski(d_lepton, d_lepton) == pytest.approx(t, abs=1e-9 * scale + 1e-13)
        assert math.atan2(p5[2], p5[1]) % (2 * math.pi) == pytest.approx(phi, abs=1e-9) or \
            math.hypot(p5[1], p5[2]) < 1e-12
