"""Overlap event generation and output: a writer thread fed through a one-slot queue.

The Numba kernels and the compressors release the GIL, so on a multi-core machine the
next chunk is generated while the previous one is compressed and written. Memory stays
bounded: at most one chunk waits in the queue, one is being written and one generated.
Any exception on either side (including Ctrl-C in the main thread) stops both and is
re-raised in the caller, whose writer context then removes the temporary file.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from typing import Any

__all__ = ["write_stream"]

_DONE = object()


def write_stream(chunks: Iterable[Any], writer: Any, threaded: bool = True) -> int:
    """Write every chunk of ``chunks`` with ``writer.write``; return the number of chunks.

    Parameters
    ----------
    chunks
        Iterable of event chunks (generated lazily).
    writer
        An opened zpgen writer.
    threaded
        Write in a background thread (default); ``False`` writes inline.
    """
    if not threaded:
        n = 0
        for chunk in chunks:
            writer.write(chunk)
            n += 1
        return n

    slot: queue.Queue[Any] = queue.Queue(maxsize=1)
    errors: list[BaseException] = []
    stop = threading.Event()

    def consume() -> None:
        while True:
            item = slot.get()
            if item is _DONE:
                return
            if stop.is_set():
                continue
            try:
                writer.write(item)
            except BaseException as exc:  # re-raised in the main thread
                errors.append(exc)
                stop.set()

    def put(item: Any) -> None:
        while True:
            if errors:
                raise errors[0]
            try:
                slot.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    thread = threading.Thread(target=consume, name="zpgen-writer", daemon=True)
    thread.start()
    n = 0
    try:
        for chunk in chunks:
            put(chunk)
            n += 1
    except BaseException:
        stop.set()
        raise
    finally:
        # always release the consumer, even after an error or Ctrl-C
        while thread.is_alive():
            try:
                slot.put(_DONE, timeout=0.05)
                break
            except queue.Full:
                continue
        thread.join()
    if errors:
        raise errors[0]
    return n
