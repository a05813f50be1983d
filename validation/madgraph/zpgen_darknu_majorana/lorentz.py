"""Lorentz structures (UFO/ALOHA notation: for particles [fbar, f, V] the spinor indices
are (2, 1), index 3 is the vector's Lorentz index, P(mu, i) the momentum of particle i
flowing into the vertex)."""

from __future__ import annotations

from .object_library import Lorentz

# gamma^mu
FFV1 = Lorentz(name="FFV1", spins=[2, 2, 3], structure="Gamma(3,2,1)")
# gamma^mu P_L
FFV2 = Lorentz(name="FFV2", spins=[2, 2, 3], structure="Gamma(3,2,-1)*ProjM(-1,1)")
# gamma^mu P_R
FFV3 = Lorentz(name="FFV3", spins=[2, 2, 3], structure="Gamma(3,2,-1)*ProjP(-1,1)")
# sigma^{mu nu} q_nu, q = momentum of the vector flowing into the vertex (Pauli term)
FFV4 = Lorentz(name="FFV4", spins=[2, 2, 3], structure="P(-1,3)*Sigma(3,-1,2,1)")
