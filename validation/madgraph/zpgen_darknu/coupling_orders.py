"""Coupling orders: every new-physics vertex counts one power of NP.

``QCD`` counts nothing here (every coupling has QCD = 0, couplings.py); it is declared
because MadSpin appends ``QCD=99`` to the processes it generates for the decays, and
MadGraph stops on an order the model does not know.
"""

from __future__ import annotations

from .object_library import CouplingOrder

NP = CouplingOrder(name="NP", expansion_order=99, hierarchy=1)
QCD = CouplingOrder(name="QCD", expansion_order=99, hierarchy=1)
