"""``microboone``: the MicroBooNE liquid-argon TPC on the Booster beam, 470 m from the target.

Geometry: one TPC, active volume 2.56 m (x, drift) x 2.33 m (y, vertical) x 10.37 m (z,
beam), 85 t of active argon (the figure MicroBooNE's analyses quote, e.g. Phys. Rev. D 99
(2019) "an 85 ton active mass"; detector: R. Acciarri et al., "Design and construction of
the MicroBooNE detector", JINST 12 (2017) P02017, arXiv:1612.05824); at 1.3954 g/cm^3 the box
holds 86.3 t.  Baseline 470 m (the same paper; SBN proposal, arXiv:1503.01520).

Exposure: 6.86e20 POT, the BNB neutrino-mode data of Runs 1-3 of MicroBooNE's Pandora
search for the MiniBooNE low-energy excess (arXiv:2110.14065, whose abstract states "6.86
x 10^20 protons on target"; DarkNews' ``microboone.txt`` uses 6.8e20, citing the Wire-Cell analysis
arXiv:2110.13978).  Its
five-year data set is 1.11e21 POT (MicroBooNE's 2024 electron-neutrino letter, HEPData);
set ``detector.pot`` for another data set.

Fiducial volume (zpgen's choice, ``zpgen.detectors.lar``): 10 cm from the x and y faces,
10 cm from the upstream and 50 cm from the downstream face: 68.5 t.  The response, the
options and the columns are those of :class:`zpgen.detectors.lar.LArTPC`.  Use it with
the ``bnb_microboone`` flux (``zpgen card --preset microboone``).
"""

from __future__ import annotations

from typing import ClassVar

from zpgen.options import OptionDoc

from .lar import ActiveBox, LArTPC, _option_docs

__all__ = ["MicroBooNEDetector"]


class MicroBooNEDetector(LArTPC):
    """MicroBooNE (module docstring)."""

    name: ClassVar[str] = "microboone"
    ACTIVE: ClassVar[tuple[ActiveBox, ...]] = (
        ActiveBox("TPC", (-128.0, 128.0), (-116.5, 116.5), (-518.5, 518.5)),
    )
    baseline_m: ClassVar[float] = 470.0
    DEFAULT_POT: ClassVar[float] = 6.86e20
    OPTIONS: ClassVar[tuple[OptionDoc, ...]] = _option_docs(
        DEFAULT_POT, "MicroBooNE's BNB Runs 1-3, arXiv:2110.14065")
