"""Coupling orders: every new-physics vertex counts one power of NP."""

from __future__ import annotations

from .object_library import CouplingOrder

NP = CouplingOrder(name="NP", expansion_order=99, hierarchy=1)
