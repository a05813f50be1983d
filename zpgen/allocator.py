"""Keep the event loop's large arrays in the heap: glibc ``mallopt`` for a command's process.

The event loop allocates and frees arrays of 1-20 MB for every chunk (the chunk buffer, the
detector's block buffers, the packed particle columns, uproot's baskets).  glibc serves
such sizes with ``mmap`` and returns them with ``munmap``, raising its threshold as it sees
them freed; how far it has raised it depends on what the process allocated before (the
VEGAS adaptation allocates differently from loading its maps), and every fresh ``mmap``
is paid again in page faults.  Measured for ``zpgen generate -n 1000000`` of the default
card to ROOT (2-core reference machine, 2026-11-30): adapting in the run, 442 000 minor
page faults, 1.24 s system time, 6.2 s; with the maps from the adaptation cache 85 000
faults, 5.3 s.  With a fixed mmap threshold of 32 MB (glibc's maximum; every chunk array
comes from the heap) and a trim threshold of 64 MB (freed memory stays for the next chunk)
the adapting run makes 77 000 faults and takes 5.6 s, the cached one 73 000 and 5.4 s;
the peak RSS is unchanged (456 and 437 MB).

:func:`tune_for_streaming` is called by the ``zpgen`` command (``zpgen.cli.main``) and by
``run-jobs``'s worker processes: processes zpgen owns.  A library user's process is left
as it is.  A user who sets glibc's malloc environment (``MALLOC_*_`` variables or
``GLIBC_TUNABLES``) keeps that choice; elsewhere than glibc nothing is done.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["MMAP_THRESHOLD_BYTES", "TRIM_THRESHOLD_BYTES", "tune_for_streaming"]

#: mallopt parameters (glibc's <malloc.h>).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Allocations from this size on are mmapped (glibc's largest allowed value on 64 bits).
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
#: Free memory at the top of the heap beyond this is returned to the system.
TRIM_THRESHOLD_BYTES = 64 * 1024 * 1024


def _user_chose() -> bool:
    return "GLIBC_TUNABLES" in os.environ or any(
        k.startswith("MALLOC_") and k.endswith("_") for k in os.environ)


def tune_for_streaming() -> bool:
    """Set glibc's mmap and trim thresholds for this process (module docstring); True if
    they were set, False on another C library, another system or the user's own choice."""
    if not sys.platform.startswith("linux") or _user_chose():
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - glibc only (musl's mallopt does nothing)
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
