"""Parameters: masses (block MASS), widths (block DECAY), Z' couplings (block ZPCOUP), the
proton's form-factor values (block ZPFORMFAC) and alpha_s (block SMINPUTS).

The defaults are zpgen's default card (the paper's MiniBooNE benchmark: M_Z' = 30 MeV,
m4 = 60 MeV, m5 = 110 MeV); ``zpgen export-slha CARD`` writes the param_card of any card,
with the widths computed by zpgen (processes/widths.py).  The block and code of each
external parameter are the contract with zpgen.processes.commands.export_slha.
"""

from __future__ import annotations

from .object_library import Parameter

ZERO = Parameter(name="ZERO", nature="internal", type="real", value="0.0", texname="0")

# --- alpha_s, block SMINPUTS 3: no coloured particle here, but MadGraph's run (the AQCD of
# the LHE file, the running of alpha_s) and its width computation (compute_widths,
# ``set decay auto``) need a parameter named aS.  0.118 (PDG), it enters no amplitude.
aS = Parameter(name="aS", nature="external", type="real", value=0.118,
               texname="\\alpha_s", lhablock="SMINPUTS", lhacode=[3])

# --- masses (GeV), block MASS, PDG codes (values of the particle package, as zpgen) --
Me = Parameter(name="Me", nature="external", type="real", value=0.00051099895069,
               texname="m_e", lhablock="MASS", lhacode=[11])
MMU = Parameter(name="MMU", nature="external", type="real", value=0.1056583755,
                texname="m_\\mu", lhablock="MASS", lhacode=[13])
MP = Parameter(name="MP", nature="external", type="real", value=0.93827208943,
               texname="M_p", lhablock="MASS", lhacode=[2212])
MZp = Parameter(name="MZp", nature="external", type="real", value=0.030,
                texname="M_{Z'}", lhablock="MASS", lhacode=[32])
Mn4 = Parameter(name="Mn4", nature="external", type="real", value=0.060,
                texname="m_4", lhablock="MASS", lhacode=[9900012])
Mn5 = Parameter(name="Mn5", nature="external", type="real", value=0.110,
                texname="m_5", lhablock="MASS", lhacode=[9900014])

# --- total widths (GeV), block DECAY ------------------------------------------------------
WZp = Parameter(name="WZp", nature="external", type="real", value=1.0e-8,
                texname="\\Gamma_{Z'}", lhablock="DECAY", lhacode=[32])
Wn4 = Parameter(name="Wn4", nature="external", type="real", value=1.0e-24,
                texname="\\Gamma_4", lhablock="DECAY", lhacode=[9900012])
Wn5 = Parameter(name="Wn5", nature="external", type="real", value=1.0e-9,
                texname="\\Gamma_5", lhablock="DECAY", lhacode=[9900014])

# --- Z' couplings, block ZPCOUP (zpgen's [model.couplings]) --------------------------------
gmu5 = Parameter(name="gmu5", nature="external", type="real", value=1.3e-5,
                 texname="g_{\\mu 5}", lhablock="ZPCOUP", lhacode=[1])
g45 = Parameter(name="g45", nature="external", type="real", value=1.0e-2,
                texname="g_{45}", lhablock="ZPCOUP", lhacode=[2])
# zpgen's g_5a is the nu5 - light-neutrino coupling summed in quadrature over the three
# flavours; nu_mu's share is the production coupling g_mu5 (vertex V_n5_vm).  The model puts
# the rest on nu_tau: g5t = sqrt(g_5a^2 - g_mu5^2) (written by zpgen export-slha), so that
# Gamma(nu5 -> nu_light Z'), which MadGraph sums over nu_mu and nu_tau, equals zpgen's.
g5t = Parameter(name="g5t", nature="external", type="real", value=9.915139938498e-5,
                texname="g_{5\\tau}", lhablock="ZPCOUP", lhacode=[3])
g4a = Parameter(name="g4a", nature="external", type="real", value=1.0e-11,
                texname="g_{4a}", lhablock="ZPCOUP", lhacode=[4])
cvl = Parameter(name="cvl", nature="external", type="real", value=1.037e-3,
                texname="C_V^\\ell", lhablock="ZPCOUP", lhacode=[5])
cal = Parameter(name="cal", nature="external", type="real", value=1.88e-4,
                texname="C_A^\\ell", lhablock="ZPCOUP", lhacode=[6])
gnu = Parameter(name="gnu", nature="external", type="real", value=1.0e-3,
                texname="g_\\nu", lhablock="ZPCOUP", lhacode=[7])
gp = Parameter(name="gp", nature="external", type="real", value=1.0e-3,
               texname="g_p", lhablock="ZPCOUP", lhacode=[8])
gn = Parameter(name="gn", nature="external", type="real", value=1.0e-3,
               texname="g_n", lhablock="ZPCOUP", lhacode=[9])

# --- proton form-factor values, block ZPFORMFAC --------------------------------------------
# Proton vertex: g_p [FF1 gamma^mu + FF2 i sigma^{mu nu} q_nu/(2 M_p)], q the momentum
# flowing into the proton line (p' - p), sigma^{mu nu} = (i/2)[gamma^mu, gamma^nu].
# Point-like proton:
# FF1 = 1, FF2 = 0.  The paper's "frozen" check: FF1 = F1(M_Z'^2)/g_p, FF2 = F2(M_Z'^2)/g_p
# (zpgen export-slha --set physics.nucleon_form_factor=frozen writes them).
FF1 = Parameter(name="FF1", nature="external", type="real", value=1.0,
                texname="F_1/g_p", lhablock="ZPFORMFAC", lhacode=[1])
FF2 = Parameter(name="FF2", nature="external", type="real", value=0.0,
                texname="F_2/g_p", lhablock="ZPFORMFAC", lhacode=[2])

# --- internal: chiral lepton couplings ------------------------------------------------------
glL = Parameter(name="glL", nature="internal", type="real", value="cvl - cal",
                texname="g_L^\\ell")
glR = Parameter(name="glR", nature="internal", type="real", value="cvl + cal",
                texname="g_R^\\ell")
