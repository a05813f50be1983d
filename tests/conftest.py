"""Shared fixtures. The MiniBooNE public data are read from ZPGEN_MINIBOONE_DATA
(default ../shared/data/miniboone next to the checkout); tests that need them skip,
saying so, when they are absent. They are never copied into the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# No adaptation cache unless a test asks for one (tests/zpgen/test_adaptation_cache.py):
# the tests must neither read nor fill the user's ~/.cache/zpgen, and each run of a test
# must exercise the adaptation it was written for.
os.environ["ZPGEN_CACHE"] = "off"


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
