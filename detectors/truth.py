"""``truth``: a CH2 sphere with no detector response.

The target inventory and the vertex sampling are those of the ``miniboone`` detector (CH2,
818 t in a 610.6 cm sphere, fiducial R < 500 cm, 18.75e20 POT by default); ``respond``
computes the observables of PHYSICS.md ("MiniBooNE observables and detector response") from
the true momenta of the visible EM showers (e+, e-, photons; ``zpgen.detectors._common``),
without smearing, energy-dependent efficiency or topology cut.

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
efficiency           1.0          a flat efficiency, in [0, 1], given to every event as
                                  ``w_eff`` (the source paper's eta = 0.2: ``zpgen card
                                  --preset paper``)
==================== ============ =====================================================

Columns added by ``respond`` (event level)
-----------------------------------------
``E_vis`` (GeV), ``cos_theta``, ``theta_ee_deg`` (deg), ``m_ee`` (GeV), ``asymmetry``,
``E_QE`` (GeV), all from the true showers (definitions in ``zpgen.detectors._common``);
``w_eff = efficiency`` (1 by default) and ``passes = True`` for every event.  The expected
number of events is
``sum(w * w_eff * passes)``, as for every detector.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from zpgen.options import OptionDoc, OptionReader, option_keys

from ._common import CH2Sphere, add_fields, as_flat, pair_observables, returned, visible_leptons

__all__ = ["TruthDetector"]

OBSERVABLES = ("E_vis", "cos_theta", "theta_ee_deg", "m_ee", "asymmetry", "E_QE")


class TruthDetector(CH2Sphere):
    """CH2 targets and vertices, true observables, no response (module docstring)."""

    name: ClassVar[str] = "truth"
    OPTIONS: ClassVar[tuple[OptionDoc, ...]] = (
        *CH2Sphere.GEOMETRY_OPTIONS,
        OptionDoc("binding_energy_GeV", "0.034", "E_B in the E_QE formula", unit="GeV",
                  allowed="in [0, 0.5]"),
        OptionDoc("efficiency", "1.0", "a flat efficiency given to every event as w_eff "
                  "(the source paper's eta = 0.2)", allowed="in [0, 1]"),
    )

    def __init__(self, pot: float = 18.75e20, tank_mass_t: float = 818.0,
                 tank_radius_cm: float = 610.6, fiducial_radius_cm: float = 500.0,
                 binding_energy_GeV: float = 0.034, efficiency: float = 1.0) -> None:
        super().__init__(pot, tank_mass_t, tank_radius_cm, fiducial_radius_cm)
        self.binding_energy_GeV = float(binding_energy_GeV)
        if not 0.0 <= efficiency <= 1.0:
            raise ValueError(f"efficiency must lie in [0, 1], got {efficiency!r}")
        self.efficiency = float(efficiency)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> TruthDetector:
        """Build from the card's ``[detector]`` table (``CardError`` naming the field)."""
        reader = OptionReader("detector", options, option_keys(cls.OPTIONS))
        geometry = cls._geometry_options(reader)
        binding = reader.number("binding_energy_GeV", 0.034, unit="GeV", lo=0.0, hi=0.5)
        efficiency = reader.number("efficiency", 1.0, lo=0.0, hi=1.0)
        return cls(**geometry, binding_energy_GeV=binding, efficiency=efficiency)

    def respond(self, events: Any, rng: np.random.Generator) -> Any:
        """Add the true observables, ``w_eff = efficiency`` and ``passes = True`` (``rng``
        unused)."""
        flat, given = as_flat(events)
        observables = pair_observables(visible_leptons(flat, self.tank_radius_cm),
                                       self.binding_energy_GeV)
        columns = {name: observables[name] for name in OBSERVABLES}
        columns["w_eff"] = np.full(flat.n, self.efficiency)
        columns["passes"] = np.ones(flat.n, dtype=bool)
        return returned(add_fields(flat, columns), given)
