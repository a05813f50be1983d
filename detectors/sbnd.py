"""``sbnd``: the Short-Baseline Near Detector, a liquid-argon TPC 110 m from the BNB target.

Geometry: active volume 4.0 m (x: two 2.0 m drift volumes either side of the central
cathode) x 4.0 m (y) x 5.0 m (z, beam), 112 t of active argon (SBN proposal, R. Acciarri et
al., arXiv:1503.01520; DarkNews' ``sbnd.txt`` takes the same 112 t); at 1.3954 g/cm^3 the
box holds 111.6 t.

Exposure: 6.6e20 POT, the design exposure of each SBN detector in the proposal
(arXiv:1503.01520; DarkNews' ``sbnd.txt`` takes 15.6e20, "read by eye" from a 2022 talk).

Fiducial volume (zpgen's choice, ``zpgen.detectors.lar``): 10 cm from the x and y faces,
10 cm upstream and 50 cm downstream: 88.7 t.  Response, options and columns:
:class:`zpgen.detectors.lar.LArTPC`.  Use it with the ``bnb_sbnd`` flux
(``zpgen card --preset sbnd``).
"""

from __future__ import annotations

from typing import ClassVar

from zpgen.options import OptionDoc

from .lar import ActiveBox, LArTPC, _option_docs

__all__ = ["SBNDDetector"]


class SBNDDetector(LArTPC):
    """SBND (module docstring)."""

    name: ClassVar[str] = "sbnd"
    ACTIVE: ClassVar[tuple[ActiveBox, ...]] = (
        ActiveBox("TPC", (-200.0, 200.0), (-200.0, 200.0), (-250.0, 250.0)),
    )
    baseline_m: ClassVar[float] = 110.0
    DEFAULT_POT: ClassVar[float] = 6.6e20
    OPTIONS: ClassVar[tuple[OptionDoc, ...]] = _option_docs(
        DEFAULT_POT, "the SBN proposal's design exposure, arXiv:1503.01520")
