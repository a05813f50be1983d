"""Explicit Dirac-matrix algebra in numpy, written for the tests only.

Independent of zpgen's formulas: amplitudes are built from explicit spinors and gamma
matrices (Dirac representation, metric (+,-,-,-)) and squared numerically.
"""

from __future__ import annotations

import numpy as np

I2 = np.eye(2, dtype=complex)
Z2 = np.zeros((2, 2), dtype=complex)
SIGMA = [np.array([[0, 1], [1, 0]], dtype=complex),
         np.array([[0, -1j], [1j, 0]], dtype=complex),
         np.array([[1, 0], [0, -1]], dtype=complex)]
G0 = np.block([[I2, Z2], [Z2, -I2]])
GAMMA = [G0] + [np.block([[Z2, s], [-s, Z2]]) for s in SIGMA]
G5 = np.block([[Z2, I2], [I2, Z2]])
ETA = np.diag([1.0, -1.0, -1.0, -1.0])
PL = 0.5 * (np.eye(4) - G5)
PR = 0.5 * (np.eye(4) + G5)


def slash(p):
    return sum(ETA[m, m] * p[m] * GAMMA[m] for m in range(4))


def sigma_munu(mu, nu):
    return 0.5j * (GAMMA[mu] @ GAMMA[nu] - GAMMA[nu] @ GAMMA[mu])


def two_spinors():
    return [np.array([1, 0], dtype=complex), np.array([0, 1], dtype=complex)]


def u_spinors(p, m):
    """u(p, s) for both spin states along z (any basis gives the same spin sums)."""
    E = p[0]
    sp = sum(p[i + 1] * SIGMA[i] for i in range(3))
    return [np.sqrt(E + m) * np.concatenate([chi, sp @ chi / (E + m)]) for chi in two_spinors()]


def v_spinors(p, m):
    E = p[0]
    sp = sum(p[i + 1] * SIGMA[i] for i in range(3))
    return [np.sqrt(E + m) * np.concatenate([sp @ chi / (E + m), chi]) for chi in two_spinors()]


def u_left_massless(p):
    """Left-handed (helicity -1/2) spinor of a massless fermion of momentum p."""
    E = p[0]
    n = np.asarray(p[1:], dtype=float) / E
    sn = sum(n[i] * SIGMA[i] for i in range(3))
    vals, vecs = np.linalg.eigh(sn)
    chi = vecs[:, np.argmin(vals)]
    return np.sqrt(E) * np.concatenate([chi, -chi])


def bar(u):
    return u.conj() @ G0


def dot(a, b):
    return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]
