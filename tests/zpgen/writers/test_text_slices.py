"""The text writers build their lines a slice of a chunk at a time
(``AtomicWriter.max_write_events``, to bound memory): the events written must not depend on
the slice size, through the production path (`zpgen generate`).  Run totals accumulated
slice by slice (LHE's <init> beam energy and cross sections) may differ in the last bit of
a double, as they do between chunk sizes."""

from __future__ import annotations

import math

import pytest

from zpgen.cli import main
from zpgen.writers.hepmc import NuHepMCWriter
from zpgen.writers.lhe import LHEWriter

FAST = ["--nitn", "2", "--neval", "2000", "-q", "-n", "700", "--chunk-size", "300"]


def _event_lines(path):
    # the run document (command line, time written) is the only line allowed to differ
    return [ln for ln in path.read_text().splitlines() if '"command"' not in ln]


@pytest.mark.parametrize(("writer", "suffix"), [(NuHepMCWriter, ".hepmc3"),
                                                (LHEWriter, ".lhe")])
def test_slices_write_the_same_bytes(tmp_path, monkeypatch, writer, suffix):
    assert writer.max_write_events is not None  # the text writers do slice
    whole, sliced = tmp_path / f"whole{suffix}", tmp_path / f"sliced{suffix}"
    monkeypatch.setattr(writer, "max_write_events", None)
    assert main(["generate", *FAST, "-o", str(whole)]) == 0
    monkeypatch.setattr(writer, "max_write_events", 7)  # slices of 7, 7, ..., 6 events
    assert main(["generate", *FAST, "-o", str(sliced)]) == 0
    a, b = _event_lines(whole), _event_lines(sliced)
    assert len(a) == len(b) > 700
    differing = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    assert len(differing) <= 3, differing[:5]  # totals only, never an event line
    for x, y in differing:
        tx, ty = x.split(), y.split()
        assert len(tx) == len(ty)
        for u, v in zip(tx, ty, strict=True):
            if u != v:
                assert math.isclose(float(u), float(v), rel_tol=1e-12), (x, y)
