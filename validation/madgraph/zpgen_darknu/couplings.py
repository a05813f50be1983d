"""Vertex couplings: i times the coefficient of each Lorentz structure in the vertex.

L = Z'_mu [ g_mu5 nu5bar gamma^mu P_L nu_mu + g_45 nu5bar gamma^mu P_L nu4
            + g_5a nu5bar gamma^mu P_L nu_tau + g_4a nu4bar gamma^mu P_L nu_tau + h.c.
            + lbar gamma^mu (g_L P_L + g_R P_R) l   (l = e, mu; g_L,R = C_V -/+ C_A)
            + g_nu sum_a nubar_a gamma^mu P_L nu_a
            + g_p pbar Gamma^mu p ],  Gamma^mu = FF1 gamma^mu + FF2 i sigma^{mu nu} q_nu/(2 M_p)

(the proton term is the momentum-space vertex of paper eq. 22 with q = p' - p, the Z'
momentum flowing into the proton line, and constant form factors).

zpgen's g_5a and g_4a are quadrature sums over the light flavours; the model carries them
on nu_tau alone, which gives the same widths (massless light neutrinos) without touching
the nu_mu production vertex.
"""

from __future__ import annotations

from .object_library import Coupling

GC_mu5 = Coupling(name="GC_mu5", value="complex(0,1)*gmu5", order={"NP": 1})
GC_45 = Coupling(name="GC_45", value="complex(0,1)*g45", order={"NP": 1})
GC_5a = Coupling(name="GC_5a", value="complex(0,1)*g5a", order={"NP": 1})
GC_4a = Coupling(name="GC_4a", value="complex(0,1)*g4a", order={"NP": 1})
GC_lL = Coupling(name="GC_lL", value="complex(0,1)*glL", order={"NP": 1})
GC_lR = Coupling(name="GC_lR", value="complex(0,1)*glR", order={"NP": 1})
GC_nu = Coupling(name="GC_nu", value="complex(0,1)*gnu", order={"NP": 1})
GC_p1 = Coupling(name="GC_p1", value="complex(0,1)*gp*FF1", order={"NP": 1})
# i x (i/(2 M_p)) g_p FF2 for the structure sigma^{mu nu} q_nu
GC_p2 = Coupling(name="GC_p2", value="-gp*FF2/(2.*MP)", order={"NP": 1})
