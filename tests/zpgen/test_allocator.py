"""zpgen.allocator: glibc's thresholds set in zpgen's own processes, the user's choice kept."""

from __future__ import annotations

import subprocess
import sys

import pytest

from zpgen import allocator

CHILD = ("import sys; from zpgen.allocator import tune_for_streaming; "
         "print(tune_for_streaming())")


def _glibc() -> bool:
    import ctypes
    try:
        ctypes.CDLL(None).gnu_get_libc_version  # noqa: B018
    except (OSError, AttributeError):
        return False
    return sys.platform.startswith("linux")


@pytest.mark.skipif(not _glibc(), reason="glibc only")
def test_thresholds_are_set_on_glibc():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         check=True, env={"PATH": ""})
    assert out.stdout.strip() == "True"


@pytest.mark.parametrize("variable", ["MALLOC_ARENA_MAX", "GLIBC_TUNABLES"])
def test_the_users_malloc_settings_win(monkeypatch, variable):
    monkeypatch.setenv(variable + ("_" if variable.startswith("MALLOC") else ""), "2")
    assert allocator.tune_for_streaming() is False


def test_nothing_is_done_off_linux(monkeypatch):
    monkeypatch.setattr(allocator.sys, "platform", "darwin")
    assert allocator.tune_for_streaming() is False
