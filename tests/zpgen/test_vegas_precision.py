"""The VEGAS integral of every channel against the physics core's quadrature.

Issue acceptance: sigma from VEGAS agrees with the quadrature within 3 of its own standard
errors and better than 1e-3.  Monochromatic flux at 1 GeV, so the expected integral is
Phi x sigma(1 GeV) x BR_visible, with sigma from zpgen.processes.xsec (itself checked
against scipy quad in the CM angle to 1e-6 in tests/processes/test_xsec.py).
"""

from __future__ import annotations

import pytest
from zpgen.processes import xsec
from zpgen.processes.couplings import physical_couplings
from zpgen.processes.widths import visible_branching_ratio

from zpgen.card import parse_card
from zpgen.generate import EventGenerator

FLUX = 3e-10


@pytest.mark.slow
@pytest.mark.parametrize("extra", [(), ("model.heavy_neutrino=majorana",)])
def test_vegas_integral_within_3_sigma_and_1e3(extra):
    card = parse_card(None, ["flux.name=monochromatic", "flux.energy=1.0",
                             f"flux.flux={FLUX}", "detector.name=truth", *extra])
    engine = EventGenerator(card, n_events=1000, nitn=6, neval=150_000, nitn_final=6)
    adapted = engine.adapt()
    pc = physical_couplings(card.model)
    br = visible_branching_ratio(pc)
    for name in xsec.CHANNELS:
        expected = FLUX * xsec.sigma(1.0, xsec.channel_params(name, pc, card.physics)) * br
        channel = adapted[name]
        pull = (channel.mean - expected) / channel.sdev
        rel = channel.mean / expected - 1.0
        assert abs(pull) < 3.0, (name, pull, rel, channel.sdev / expected)
        assert abs(rel) < 1e-3, (name, pull, rel, channel.sdev / expected)
