"""``truth``: a CH2 sphere with no detector response.

The target inventory and the vertex sampling are those of the ``miniboone`` detector (CH2,
818 t in a 610.6 cm sphere, fiducial R < 500 cm, 18.75e20 POT by default); ``respond``
computes the observables of PHYSICS.md ("MiniBooNE observables and detector response") from
the true momenta of the visible EM showers (e+, e-, photons; ``zpgen.detectors._common``),
without smearing, efficiency or topology cut.

Card options (``[detector]`` table, ``name = "truth"``)
------------------------------------------------------
==================== ============ =====================================================
key                  default      meaning
==================== ============ =====================================================
pot                  18.75e20     protons on target
tank_mass_t          818.0        CH2 mass of the whole sphere (t)
tank_radius_cm       610.6        radius of the CH2 sphere (cm)
fiducial_radius_cm   500.0        radius of the fiducial sphere (cm), <= tank radius
binding_energy_GeV   0.034        E_B in the E_QE formula (GeV)
==================== ============ =====================================================

Columns added by ``respond`` (event level)
-----------------------------------------
``E_vis`` (GeV), ``cos_theta``, ``theta_ee_deg`` (deg), ``m_ee`` (GeV), ``asymmetry``,
``E_QE`` (GeV), all from the true showers (definitions in ``zpgen.detectors._common``);
``w_eff = 1.0`` and ``passes = True`` for every event.  The expected number of events is
``sum(w * w_eff * passes)``, as for every detector.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from zpgen.options import OptionReader

from ._common import CH2Sphere, add_fields, as_flat, pair_observables, returned, visible_leptons

__all__ = ["TruthDetector"]

OBSERVABLES = ("E_vis", "cos_theta", "theta_ee_deg", "m_ee", "asymmetry", "E_QE")


class TruthDetector(CH2Sphere):
    """CH2 targets and vertices, true observables, no response (module docstring)."""

    name: ClassVar[str] = "truth"

    def __init__(self, pot: float = 18.75e20, tank_mass_t: float = 818.0,
                 tank_radius_cm: float = 610.6, fiducial_radius_cm: float = 500.0,
                 binding_energy_GeV: float = 0.034) -> None:
        super().__init__(pot, tank_mass_t, tank_radius_cm, fiducial_radius_cm)
        self.binding_energy_GeV = float(binding_energy_GeV)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> TruthDetector:
        """Build from the card's ``[detector]`` table (``CardError`` naming the field)."""
        reader = OptionReader("detector", options,
                              (*cls.GEOMETRY_DEFAULTS, "binding_energy_GeV"))
        geometry = cls._geometry_options(reader)
        binding = reader.number("binding_energy_GeV", 0.034, unit="GeV", lo=0.0, hi=0.5)
        return cls(**geometry, binding_energy_GeV=binding)

    def respond(self, events: Any, rng: np.random.Generator) -> Any:
        """Add the true observables, ``w_eff = 1`` and ``passes = True`` (``rng`` unused)."""
        flat, given = as_flat(events)
        observables = pair_observables(visible_leptons(flat, self.tank_radius_cm),
                                       self.binding_energy_GeV)
        columns = {name: observables[name] for name in OBSERVABLES}
        columns["w_eff"] = np.ones(flat.n)
        columns["passes"] = np.ones(flat.n, dtype=bool)
        return returned(add_fields(flat, columns), given)
