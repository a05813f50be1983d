"""Vertices of the Majorana variant.  Particle order [fbar, f, Z']: the first entry is the
antiparticle of the barred field (the particle itself for a Majorana state), so
``nu5bar gamma P_L nu_mu Z'`` is [n5, vm, zp] and its hermitian conjugate [vm~, n5, zp];
the nu4 - nu5 term and its conjugate are the single vertex [n5, n4, zp] with
g_45 gamma^mu (P_L - P_R) (couplings.py)."""

from __future__ import annotations

from . import couplings as C
from . import lorentz as L
from . import particles as P
from .object_library import Vertex

V_n5_vm = Vertex(name="V_n5_vm", particles=[P.n5, P.vm, P.zp], color=["1"],
                 lorentz=[L.FFV2], couplings={(0, 0): C.GC_mu5})
V_vm_n5 = Vertex(name="V_vm_n5", particles=[P.vm__tilde__, P.n5, P.zp], color=["1"],
                 lorentz=[L.FFV2], couplings={(0, 0): C.GC_mu5})
V_n5_n4 = Vertex(name="V_n5_n4", particles=[P.n5, P.n4, P.zp], color=["1"],
                 lorentz=[L.FFV2, L.FFV3], couplings={(0, 0): C.GC_45, (0, 1): C.GC_45R})
V_n5_vt = Vertex(name="V_n5_vt", particles=[P.n5, P.vt, P.zp], color=["1"],
                 lorentz=[L.FFV2], couplings={(0, 0): C.GC_5t})
V_vt_n5 = Vertex(name="V_vt_n5", particles=[P.vt__tilde__, P.n5, P.zp], color=["1"],
                 lorentz=[L.FFV2], couplings={(0, 0): C.GC_5t})
V_n4_vt = Vertex(name="V_n4_vt", particles=[P.n4, P.vt, P.zp], color=["1"],
                 lorentz=[L.FFV2], couplings={(0, 0): C.GC_4a})
V_vt_n4 = Vertex(name="V_vt_n4", particles=[P.vt__tilde__, P.n4, P.zp], color=["1"],
                 lorentz=[L.FFV2], couplings={(0, 0): C.GC_4a})
V_ee = Vertex(name="V_ee", particles=[P.e__plus__, P.e__minus__, P.zp], color=["1"],
              lorentz=[L.FFV2, L.FFV3], couplings={(0, 0): C.GC_lL, (0, 1): C.GC_lR})
V_mumu = Vertex(name="V_mumu", particles=[P.mu__plus__, P.mu__minus__, P.zp], color=["1"],
                lorentz=[L.FFV2, L.FFV3], couplings={(0, 0): C.GC_lL, (0, 1): C.GC_lR})
V_veve = Vertex(name="V_veve", particles=[P.ve__tilde__, P.ve, P.zp], color=["1"],
                lorentz=[L.FFV2], couplings={(0, 0): C.GC_nu})
V_vmvm = Vertex(name="V_vmvm", particles=[P.vm__tilde__, P.vm, P.zp], color=["1"],
                lorentz=[L.FFV2], couplings={(0, 0): C.GC_nu})
V_vtvt = Vertex(name="V_vtvt", particles=[P.vt__tilde__, P.vt, P.zp], color=["1"],
                lorentz=[L.FFV2], couplings={(0, 0): C.GC_nu})
V_pp = Vertex(name="V_pp", particles=[P.prot__tilde__, P.prot, P.zp], color=["1"],
              lorentz=[L.FFV1, L.FFV4], couplings={(0, 0): C.GC_p1, (0, 1): C.GC_p2})
