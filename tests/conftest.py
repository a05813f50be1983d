"""Shared fixtures. The MiniBooNE public data are read from ZPGEN_MINIBOONE_DATA
(default ../shared/data/miniboone next to the checkout); tests that need them skip,
saying so, when they are absent. They are never copied into the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def miniboone_data() -> Path:
    env = os.environ.get("ZPGEN_MINIBOONE_DATA")
    candidates = [Path(env)] if env else [REPO.parent / "shared/data/miniboone",
                                          Path("/work/shared/data/miniboone")]
    for path in candidates:
        if path.is_dir():
            return path
    pytest.skip(f"MiniBooNE public data not found at {', '.join(map(str, candidates))} "
                "(set ZPGEN_MINIBOONE_DATA)")
