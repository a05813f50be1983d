"""How large a run can be: event counts, memory and disk space, checked before any work.

``-n 99999999999999999999`` used to overflow numpy's int64 in the allocation, then try to
plan the whole run in memory until the kernel killed the process.  Now:

* :data:`MAX_EVENTS` (1e15) bounds the number of events of a run: the allocation works
  with float64 shares, exact for integers below 2^53 ~ 9e15;
* the memory of a run does not grow with the number of events (the chunk plan is a
  generator, :mod:`zpgen.generate`), but it grows with the events per chunk:
  :func:`check_memory` refuses a chunk size whose estimated peak, :data:`BASE_BYTES` plus
  :data:`BYTES_PER_CHUNK_EVENT` per event of a chunk (measured: 0.36 GB at 20 000 events
  per chunk, 1.4 GB at 400 000, i.e. 2.8 kB per event), exceeds the memory available to
  the process (``MemAvailable``, the cgroup limit and ``RLIMIT_AS``, the smallest);
* :func:`check_disk` refuses a run whose output cannot fit on its file system even at
  :data:`MIN_BYTES_PER_EVENT` per event (the smallest files, ROOT without the detector,
  take about 490 bytes per event; the bound is five times below, so only runs that
  certainly do not fit are refused).  A disk that fills up during the run still ends in a
  one-line error and no file is left behind (the writer removes its temporary).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

__all__ = ["BASE_BYTES", "BYTES_PER_CHUNK_EVENT", "MAX_EVENTS", "MIN_BYTES_PER_EVENT",
           "LimitError", "check_disk", "check_events", "check_memory", "memory_available"]

#: Largest number of events of one run.
MAX_EVENTS = 10**15
#: Estimated memory of a run besides its chunks (interpreter, Numba, libraries).
BASE_BYTES = 300 * 10**6
#: Estimated peak memory per event of a chunk (chunks in flight, detector, writer copies).
BYTES_PER_CHUNK_EVENT = 3000
#: Lower bound of the output size per event, all formats.
MIN_BYTES_PER_EVENT = 100


class LimitError(ValueError):
    """A run that cannot fit (the message names the option and the limit)."""


def _gb(n: float) -> str:
    return f"{n / 1e9:.3g} GB"


def check_events(n_events: int, flag: str = "--n-events") -> None:
    """Refuse a count outside ``1 <= n <= MAX_EVENTS``."""
    if isinstance(n_events, bool) or not isinstance(n_events, int):
        raise LimitError(f"{flag}: must be an integer, got {n_events!r}")
    if not 1 <= n_events <= MAX_EVENTS:
        raise LimitError(f"{flag}: must be in [1, {MAX_EVENTS:.0e}], got {n_events}")


def _meminfo_available() -> int | None:
    with contextlib.suppress(OSError, ValueError), \
            open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return None


def _cgroup_available() -> int | None:
    base = Path("/sys/fs/cgroup")
    with contextlib.suppress(OSError, ValueError):
        limit = (base / "memory.max").read_text().strip()
        if limit != "max":
            used = int((base / "memory.current").read_text().strip())
            return max(int(limit) - used, 0)
    return None


def memory_available() -> int | None:
    """Bytes this process may still allocate (smallest known bound; None if unknown)."""
    bounds = [b for b in (_meminfo_available(), _cgroup_available()) if b is not None]
    with contextlib.suppress(ImportError):  # the resource module is POSIX only
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            bounds.append(int(soft))
    return min(bounds) if bounds else None


def check_memory(chunk_events: int, flag: str = "--chunk-size") -> None:
    """Refuse a chunk size whose estimated peak memory exceeds what is available."""
    need = BASE_BYTES + BYTES_PER_CHUNK_EVENT * int(chunk_events)
    have = memory_available()
    if have is not None and need > have:
        fits = max((have - BASE_BYTES) // BYTES_PER_CHUNK_EVENT, 0)
        raise LimitError(f"{flag}: chunks of {chunk_events} events need about {_gb(need)} of "
                         f"memory, only {_gb(have)} is available; use at most {fits} events "
                         "per chunk (the default, 20000, needs about 0.36 GB)")


def check_disk(folder: str | os.PathLike[str], n_events: int, copies: int = 1,
               flag: str = "--n-events") -> None:
    """Refuse a run whose ``copies`` output files of ``n_events`` cannot fit in ``folder``."""
    try:
        free = shutil.disk_usage(os.fspath(folder)).free
    except OSError:
        return
    need = MIN_BYTES_PER_EVENT * int(n_events) * int(copies)
    if need > free:
        raise LimitError(f"{flag}: {n_events} events need at least {_gb(need)} of disk space "
                         f"(about {MIN_BYTES_PER_EVENT} bytes per event at the very least"
                         + (f", {copies} files" if copies > 1 else "")
                         + f"), only {_gb(free)} is free in {os.fspath(folder)!r}")
