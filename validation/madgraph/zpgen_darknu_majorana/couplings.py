"""Vertex couplings: i times the coefficient of each Lorentz structure in the vertex.

Majorana variant.  The Lagrangian is written with Dirac-like bilinears as in the Dirac
model; for Majorana nu4, nu5 the identity nu4bar gamma^mu P_L nu5 = -nu5bar gamma^mu P_R nu4
turns the nu4 - nu5 term and its hermitian conjugate into one vertex,
g_45 Z'_mu nu5bar gamma^mu (P_L - P_R) nu4: the chiral couplings (g, -g) of zpgen's Majorana
states (processes/couplings.py, ``chiral``; docs/physics.md, "Decays").  The heavy - light
terms keep both orderings (nu5bar ... nu_mu and nu_mubar ... nu5 are different vertices);
a Majorana nu5 then decays to nu Z' and nubar Z', twice the Dirac width, as in zpgen.

L = Z'_mu [ g_mu5 nu5bar gamma^mu P_L nu_mu + g_45 nu5bar gamma^mu P_L nu4
            + g_5t nu5bar gamma^mu P_L nu_tau + g_4a nu4bar gamma^mu P_L nu_tau + h.c.
            + lbar gamma^mu (g_L P_L + g_R P_R) l   (l = e, mu; g_L,R = C_V -/+ C_A)
            + g_nu sum_a nubar_a gamma^mu P_L nu_a
            + g_p pbar Gamma^mu p ],  Gamma^mu = FF1 gamma^mu + FF2 i sigma^{mu nu} q_nu/(2 M_p)

(the proton term is the momentum-space vertex of paper eq. 22 with q = p' - p, the Z'
momentum flowing into the proton line, sigma^{mu nu} = (i/2)[gamma^mu, gamma^nu], and
constant form factors).

zpgen's g_5a and g_4a are quadrature sums over the light flavours.  nu5's nu_mu share is the
production coupling g_mu5, so the model carries g_5t = sqrt(g_5a^2 - g_mu5^2) on nu_tau
(parameters.py): MadGraph's automatic widths, which sum nu5 -> nu_mu Z' and nu5 -> nu_tau
Z', then equal zpgen's.  nu4 has no nu_mu vertex: g_4a is carried on nu_tau whole.

Pauli term.  The Feynman rule is i g_p FF2 i sigma^{mu nu} q_nu/(2 M_p) =
-g_p FF2 sigma^{mu nu} q_nu/(2 M_p).  ALOHA's ``Sigma(mu, nu, i, j)`` is sigma^{mu nu}/2,
half the usual sigma^{mu nu} = (i/2)[gamma^mu, gamma^nu] (aloha/aloha_object.py, L_Sigma,
checked numerically against its Gamma), and in MadGraph 3.1.1 the structure
``P(-1,3)*Sigma(3,-1,2,1)`` of FFV4 acts as -sigma^{mu nu} q_nu/2 (the net sign of its
momentum and index conventions, found by running it), so its coefficient is g_p FF2/M_p.
This was fixed with MadGraph's standalone matrix element against docs/physics.md's |M|^2
(../README.md, "The Pauli term"): with FF2 = 30, the former coefficient
-g_p FF2/(2 M_p) gave exactly the analytic |M|^2 of -F2/2; this one gives that of F2
(FF2 = 30 and, stored, F2/F1 = 10).
"""

from __future__ import annotations

from .object_library import Coupling

#: Every coupling is one power of NP.  QCD = 0 declares the order QCD (MadGraph takes a
#: model's orders from its couplings): MadSpin appends QCD=99 to the processes it generates
#: and stops on an order the model does not know (coupling_orders.py).
ORDERS = {"NP": 1, "QCD": 0}

GC_mu5 = Coupling(name="GC_mu5", value="complex(0,1)*gmu5", order=ORDERS)
GC_45 = Coupling(name="GC_45", value="complex(0,1)*g45", order=ORDERS)
# Majorana nu4 - nu5: the P_R part of g_45 gamma^mu (P_L - P_R) (module docstring)
GC_45R = Coupling(name="GC_45R", value="-complex(0,1)*g45", order=ORDERS)
GC_5t = Coupling(name="GC_5t", value="complex(0,1)*g5t", order=ORDERS)
GC_4a = Coupling(name="GC_4a", value="complex(0,1)*g4a", order=ORDERS)
GC_lL = Coupling(name="GC_lL", value="complex(0,1)*glL", order=ORDERS)
GC_lR = Coupling(name="GC_lR", value="complex(0,1)*glR", order=ORDERS)
GC_nu = Coupling(name="GC_nu", value="complex(0,1)*gnu", order=ORDERS)
GC_p1 = Coupling(name="GC_p1", value="complex(0,1)*gp*FF1", order=ORDERS)
# -g_p FF2/(2 M_p) sigma^{mu nu} q_nu = (g_p FF2/M_p) x FFV4 (docstring)
GC_p2 = Coupling(name="GC_p2", value="gp*FF2/MP", order=ORDERS)
