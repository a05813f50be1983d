"""All writers: suffix selection, entry points, protocol, atomicity and interrupt safety."""

from __future__ import annotations

import awkward as ak
import pytest

from zpgen.registry import Writer, available, load_plugin
from zpgen.writers import WriterError, writer_class_for_path, writer_for_path
from zpgen.writers.read import read_metadata

SUFFIXES = [".root", ".hepmc3", ".lhe", ".parquet"]


@pytest.mark.parametrize("name,cls", [
    ("a.root", "RootWriter"), ("a.hepmc3", "NuHepMCWriter"), ("A.HEPMC", "NuHepMCWriter"),
    ("a.lhe", "LHEWriter"), ("a.parquet", "ParquetWriter"), ("a.pq", "ParquetWriter"),
])
def test_writer_for_path(name, cls):
    w = writer_for_path(name)
    assert type(w).__name__ == cls
    assert isinstance(w, Writer)


def test_writer_for_path_errors():
    with pytest.raises(WriterError, match="supported suffixes") as err:
        writer_for_path("events.txt")
    for suffix in (".root", ".hepmc3", ".hepmc", ".lhe", ".parquet", ".pq"):
        assert suffix in str(err.value)
    assert type(writer_for_path("events.txt", fmt="lhe")).__name__ == "LHEWriter"
    with pytest.raises(WriterError, match="unknown output format 'csv'"):
        writer_for_path("x.root", fmt="csv")


def test_entry_points_match():
    eps = available("writer")
    assert set(eps) >= {"root", "hepmc3", "lhe", "parquet"}
    for name in ("root", "hepmc3", "lhe", "parquet"):
        cls = load_plugin("writer", name)
        assert cls.name == name
        assert cls is writer_class_for_path("x" + {"hepmc3": ".hepmc3"}.get(name, "." + name))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_keyboard_interrupt_leaves_nothing(tmp_path, suffix, chunks, run_info):
    """A write that dies midway (KeyboardInterrupt) inside `with` leaves no file at all."""
    path = tmp_path / f"events{suffix}"
    out = writer_for_path(path)
    real = out._write
    calls = []
    temporaries = []

    def flaky(chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            real(chunk[:10])  # part of the chunk reaches the temporary ...
            temporaries.extend(p.name for p in tmp_path.iterdir())
            raise KeyboardInterrupt  # ... then the user presses Ctrl-C
        real(chunk)

    out._write = flaky
    with pytest.raises(KeyboardInterrupt), out:
        out.open(path, run_info)
        for c in chunks:
            out.write(c)
        out.close({})
    assert temporaries and all(n.startswith(f".events{suffix}.") and ".part" in n
                               for n in temporaries)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_abort_keeps_previous_file(tmp_path, suffix, chunks, run_info):
    path = tmp_path / f"events{suffix}"
    path.write_text("previous run")
    with pytest.raises(RuntimeError, match="boom"), writer_for_path(path) as out:
        out.open(path, run_info)
        out.write(chunks[0])
        raise RuntimeError("boom")
    assert path.read_text() == "previous run"
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_leaving_block_without_close_discards(tmp_path, suffix, chunks, run_info):
    path = tmp_path / f"events{suffix}"
    with pytest.raises(WriterError, match="without close"), writer_for_path(path) as out:
        out.open(path, run_info)
        out.write(chunks[0])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_no_temporary_after_success_and_empty_run(tmp_path, suffix, run_info):
    path = tmp_path / f"events{suffix}"
    with writer_for_path(path) as out:
        out.open(path, run_info)
        out.close({"n_events": 0})
    assert list(tmp_path.iterdir()) == [path]
    meta = read_metadata(path)
    assert meta["run_info"]["written"]["n_events"] == 0
    assert meta["card"] == run_info["card"]


def test_misuse(tmp_path, chunks, run_info):
    out = writer_for_path(tmp_path / "a.root")
    with pytest.raises(WriterError, match="before open"):
        out.write(chunks[0])
    out.open(tmp_path / "a.root", run_info)
    with pytest.raises(WriterError, match="lacks field"):
        out.write(ak.Array([{"w": 1.0}]))
    out.write(chunks[0])
    with pytest.raises(WriterError, match="differ from the first chunk"):
        out.write(ak.without_field(chunks[1], "E_QE"))
    out.abort()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(WriterError, match="does not exist"):
        writer_for_path("/nonexistent/dir/x.root").open("/nonexistent/dir/x.root", run_info)
