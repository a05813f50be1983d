"""Parquet writer: awkward round trip and footer key-value metadata."""

from __future__ import annotations

import json

import awkward as ak
import pytest

pq = pytest.importorskip("pyarrow.parquet")

from zpgen.writers.parquet import ParquetWriter  # noqa: E402
from zpgen.writers.read import iter_chunks, read_metadata  # noqa: E402


@pytest.fixture
def parquet_file(tmp_path, chunks, run_info, synth):
    path = tmp_path / "events.parquet"
    with ParquetWriter() as out:
        out.open(path, run_info)
        for c in chunks:
            out.write(c)
        out.close(synth.make_totals(chunks))
    return path


def test_roundtrip(parquet_file, chunks):
    cat = ak.concatenate(chunks)
    back = ak.from_parquet(parquet_file)
    assert back.type == cat.type  # int32 / bool / float64 preserved
    assert ak.to_list(back) == ak.to_list(cat)  # exact
    assert pq.ParquetFile(parquet_file).num_row_groups == 2  # one per chunk
    assert [len(c) for c in iter_chunks(parquet_file)] == [40, 25]


def test_metadata(parquet_file, run_info, synth):
    meta = pq.read_metadata(parquet_file).metadata
    assert meta[b"zpgen.card"].decode() == synth.CARD
    info = json.loads(meta[b"zpgen.run_info"])
    assert info["seed"] == 17 and info["pot"] == run_info["pot"]
    assert info["written"]["n_events"] == 65
    units = json.loads(meta[b"zpgen.units"])
    assert units["w_xsec"] == "cm^2" and units["particles.E"] == "GeV"
    assert read_metadata(parquet_file)["run_info"] == info
