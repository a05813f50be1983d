"""Physical constants and masses, defined once (PHYSICS.md, "Conventions").

Particle masses come from the ``particle`` package (PDG tables); they are converted here
from MeV to GeV, the unit of the physics core.  Everything else is a cited constant.
No other module re-types a mass or a constant.
"""

from __future__ import annotations

import math

from particle import Particle

#: hbar in GeV s (CODATA 2018).
HBAR_GEV_S = 6.582119569e-25
#: hbar c in GeV cm (CODATA 2018).
HBARC_GEV_CM = 1.973269804e-14
#: (hbar c)^2: 1 GeV^-2 expressed in cm^2.
GEV2_TO_CM2 = 0.3893794e-27
#: Speed of light in cm/s.
C_LIGHT_CM_S = 2.99792458e10


def pdg_mass_gev(pdgid: int) -> float:
    """Mass (GeV) of a PDG id from the ``particle`` package (PDG tables; for a nuclear code
    the atomic mass, e.g. exactly 12 u for 1000060120, except 1000010010, the proton)."""
    mass_mev = Particle.from_pdgid(pdgid).mass
    if mass_mev is None:  # pragma: no cover - PDG tables always have these
        raise RuntimeError(f"particle has no mass for PDG id {pdgid}")
    return float(mass_mev) * 1e-3


#: Electron mass (GeV).
M_E = pdg_mass_gev(11)
#: Muon mass (GeV).
M_MU = pdg_mass_gev(13)
#: Proton mass (GeV).
M_P = pdg_mass_gev(2212)
#: Neutron mass (GeV).
M_N = pdg_mass_gev(2112)
#: Z boson mass (GeV).
M_Z = pdg_mass_gev(23)
#: Average nucleon mass (GeV), used where a single nucleon mass is meant (Fermi gas).
M_NUCLEON = 0.5 * (M_P + M_N)

#: Proton and neutron magnetic moments in nuclear magnetons (CODATA 2018).
MU_P = 2.79284734463
MU_N = -1.91304273
#: Isoscalar anomalous magnetic moment k_s = k_p + k_n (PHYSICS.md, nucleon currents).
KAPPA_S = (MU_P - 1.0) + MU_N
#: Dipole mass squared of the nucleon form factors (GeV^2).
M_DIPOLE2 = 0.71

#: Fine-structure constant in the Thomson limit, alpha(q^2 = 0) (CODATA 2018): the coupling
#: of a real or soft photon (photon-exchange processes at |t| << m_e^2 ... 1 GeV^2; its
#: running to |t| = 1 GeV^2 is a 2 % effect, neglected).
ALPHA_EM = 1.0 / 137.035999084
#: Fine-structure constant at M_Z (MS-bar, PDG 2024 "Electroweak model" review).
ALPHA_MZ = 1.0 / 127.951
#: sin^2 theta_W at M_Z (MS-bar, PDG 2024).
SIN2_THETA_W = 0.23121
#: SM Higgs vacuum expectation value v = (sqrt(2) G_F)^(-1/2) in GeV (PDG 2024).
V_HIGGS = 246.21965

E_CHARGE = math.sqrt(4.0 * math.pi * ALPHA_MZ)
S_W = math.sqrt(SIN2_THETA_W)
C_W = math.sqrt(1.0 - SIN2_THETA_W)
#: Hypercharge coupling g1 (= g' ) and SU(2) coupling g2 (= g), and g_Z = sqrt(g1^2 + g2^2).
G1 = E_CHARGE / C_W
G2 = E_CHARGE / S_W
G_Z = math.sqrt(G1 * G1 + G2 * G2)

#: Muon g-2 discrepancy of the paper, eq. 18.
DELTA_A_MU_TARGET = 2.51e-9
DELTA_A_MU_TARGET_ERR = 0.59e-9
