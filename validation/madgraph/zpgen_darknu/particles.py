"""Particles: SM leptons, the proton (an elementary Dirac fermion here), Z', nu4, nu5.

PDG codes as zpgen declares them (``DarkNeutrinoProcess.particles()`` in
processes/dark_neutrino.py): Z' 32, nu4 9900012, nu5 9900014.  nu4 and nu5 are Dirac
(zpgen's default ``heavy_neutrino = "dirac"``; ../zpgen_darknu_majorana is the Majorana
variant).

The proton is called ``prot`` (``prot~``), not ``p``: MadSpin reserves ``p`` and ``j`` as
multiparticle labels and refuses a model with a particle of that name.
"""

from __future__ import annotations

from . import parameters as Param
from .object_library import Particle

# Charged leptons (massive: the electron mass enters Z' -> e+ e- and the kinematics).
e__minus__ = Particle(pdg_code=11, name="e-", antiname="e+", spin=2, color=1, mass=Param.Me,
                      width=Param.ZERO, texname="e-", antitexname="e+", charge=-1,
                      LeptonNumber=1, GhostNumber=0)
e__plus__ = e__minus__.anti()
mu__minus__ = Particle(pdg_code=13, name="mu-", antiname="mu+", spin=2, color=1,
                       mass=Param.MMU, width=Param.ZERO, texname="mu-", antitexname="mu+",
                       charge=-1, LeptonNumber=1, GhostNumber=0)
mu__plus__ = mu__minus__.anti()

# Light neutrinos.
ve = Particle(pdg_code=12, name="ve", antiname="ve~", spin=2, color=1, mass=Param.ZERO,
              width=Param.ZERO, texname="ve", antitexname="ve~", charge=0, LeptonNumber=1,
              GhostNumber=0)
ve__tilde__ = ve.anti()
vm = Particle(pdg_code=14, name="vm", antiname="vm~", spin=2, color=1, mass=Param.ZERO,
              width=Param.ZERO, texname="vm", antitexname="vm~", charge=0, LeptonNumber=1,
              GhostNumber=0)
vm__tilde__ = vm.anti()
vt = Particle(pdg_code=16, name="vt", antiname="vt~", spin=2, color=1, mass=Param.ZERO,
              width=Param.ZERO, texname="vt", antitexname="vt~", charge=0, LeptonNumber=1,
              GhostNumber=0)
vt__tilde__ = vt.anti()

# Heavy neutrinos (Dirac).
n4 = Particle(pdg_code=9900012, name="n4", antiname="n4~", spin=2, color=1, mass=Param.Mn4,
              width=Param.Wn4, texname="\\nu_4", antitexname="\\bar\\nu_4", charge=0,
              LeptonNumber=1, GhostNumber=0)
n4__tilde__ = n4.anti()
n5 = Particle(pdg_code=9900014, name="n5", antiname="n5~", spin=2, color=1, mass=Param.Mn5,
              width=Param.Wn5, texname="\\nu_5", antitexname="\\bar\\nu_5", charge=0,
              LeptonNumber=1, GhostNumber=0)
n5__tilde__ = n5.anti()

# The dark Z'.
zp = Particle(pdg_code=32, name="zp", antiname="zp", spin=3, color=1, mass=Param.MZp,
              width=Param.WZp, texname="Z'", antitexname="Z'", charge=0, GhostNumber=0)

# The proton as an elementary colourless Dirac fermion (no PDF: a fixed-target beam).
prot = Particle(pdg_code=2212, name="prot", antiname="prot~", spin=2, color=1,
                mass=Param.MP, width=Param.ZERO, texname="p", antitexname="\\bar p", charge=1,
                BaryonNumber=1, GhostNumber=0)
prot__tilde__ = prot.anti()
