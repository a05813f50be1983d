"""The threaded writer pipeline: order kept, errors on either side propagate."""

from __future__ import annotations

import pytest

from zpgen.writers.pipeline import write_stream


class ListWriter:
    def __init__(self, fail_at=None):
        self.chunks = []
        self.fail_at = fail_at

    def write(self, chunk):
        if self.fail_at is not None and len(self.chunks) == self.fail_at:
            raise OSError("disk full")
        self.chunks.append(chunk)


@pytest.mark.parametrize("threaded", [True, False])
def test_all_chunks_written_in_order(threaded):
    writer = ListWriter()
    assert write_stream(iter(range(50)), writer, threaded=threaded) == 50
    assert writer.chunks == list(range(50))


def test_writer_error_reaches_the_caller():
    writer = ListWriter(fail_at=3)
    with pytest.raises(OSError, match="disk full"):
        write_stream(iter(range(100)), writer)
    assert writer.chunks == [0, 1, 2]


def test_producer_interrupt_stops_the_writer_thread():
    def chunks():
        yield 0
        yield 1
        raise KeyboardInterrupt

    writer = ListWriter()
    with pytest.raises(KeyboardInterrupt):
        write_stream(chunks(), writer)
    assert writer.chunks in ([0], [0, 1])
