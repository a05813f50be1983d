"""``icarus``: the ICARUS T600 liquid-argon TPC, the SBN far detector 600 m from the BNB target.

Geometry: two identical modules (cryostats) side by side, each with two TPCs sharing a
central cathode, 1.5 m drift each; an active volume per TPC of 1.5 m (x, drift) x 3.16 m
(y) x 17.95 m (z, beam) and 476 t of active argon in all (ICARUS collaboration, Eur.
Phys. J. C 83 (2023) 467, arXiv:2301.08634, "476 tons"; the 2004 description, S. Amerio et
al., Nucl. Instrum. Meth. A 527 (2004) 329, speaks of "about 500 tons" of imaging mass;
SBN proposal, arXiv:1503.01520); at 1.3954 g/cm^3 the four TPCs hold
474.9 t.  Each module is one 3.0 m wide box here (the cathode's thickness neglected); the
module centres are 4.2 m apart in x (zpgen's placement of the two cryostats: it moves
vertices and decay points, not the number of targets).

Exposure: 6.6e20 POT, the design exposure of each SBN detector in the proposal
(arXiv:1503.01520; DarkNews' ``icarus.txt`` takes the same).

Fiducial volume (zpgen's choice, ``zpgen.detectors.lar``): 10 cm from the x faces of each
module and the y faces, 10 cm upstream and 50 cm downstream: 401.3 t.  Response, options and
columns: :class:`zpgen.detectors.lar.LArTPC`.  Use it with the ``bnb_icarus`` flux
(``zpgen card --preset icarus``).
"""

from __future__ import annotations

from typing import ClassVar

from zpgen.options import OptionDoc

from .lar import ActiveBox, LArTPC, _option_docs

__all__ = ["ICARUSDetector"]


class ICARUSDetector(LArTPC):
    """ICARUS T600 (module docstring)."""

    name: ClassVar[str] = "icarus"
    ACTIVE: ClassVar[tuple[ActiveBox, ...]] = (
        ActiveBox("east module", (-360.0, -60.0), (-158.0, 158.0), (-897.5, 897.5)),
        ActiveBox("west module", (60.0, 360.0), (-158.0, 158.0), (-897.5, 897.5)),
    )
    baseline_m: ClassVar[float] = 600.0
    DEFAULT_POT: ClassVar[float] = 6.6e20
    OPTIONS: ClassVar[tuple[OptionDoc, ...]] = _option_docs(
        DEFAULT_POT, "the SBN proposal's design exposure, arXiv:1503.01520")
