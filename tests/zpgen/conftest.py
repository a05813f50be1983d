"""Shared fixtures of the engine tests: one quickly adapted grid of the default card."""

from __future__ import annotations

import pytest

from zpgen.card import parse_card
from zpgen.generate import EventGenerator
from zpgen.gridpack import save_grid

#: Quick VEGAS settings for tests (the grids are less adapted, the weights still exact).
FAST_ADAPT = {"nitn": 4, "neval": 4000, "nitn_final": 2}


@pytest.fixture(scope="session")
def fast_grid(tmp_path_factory):
    """Path of a grid of the default card adapted with :data:`FAST_ADAPT`."""
    path = tmp_path_factory.mktemp("grid") / "default.zpg"
    card = parse_card()
    save_grid(path, card, EventGenerator(card, **FAST_ADAPT))
    return path
