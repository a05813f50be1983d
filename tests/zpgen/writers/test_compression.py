"""``--compression``: parsed and refused before work, written by ``zpgen generate``, read
back by uproot, PyROOT and pyarrow with the codec the user asked for."""

from __future__ import annotations

import json

import numpy as np
import pytest
import uproot

from zpgen.cli import main
from zpgen.writers.compression import Compression, parse_compression
from zpgen.writers.root import RootWriter

FAST = ["--nitn", "3", "--neval", "3000", "--nitn-final", "1", "-q", "--seed", "5"]
CODECS = {"zstd": (1, 22), "lz4": None, "none": None}

# ROOT's file fCompress: algorithm * 100 + level (0: uncompressed); a compressed basket
# starts with its codec's two-letter magic
ROOT_ALGORITHM = {"zlib": 1, "lzma": 2, "lz4": 4, "zstd": 5}
MAGIC = {"zlib": b"ZL", "lzma": b"XZ", "lz4": b"L4", "zstd": b"ZS"}


def basket_magic(path, branch):
    key = branch.basket_key(0)
    with open(path, "rb") as raw:
        raw.seek(int(key.fSeekKey) + int(key.fKeylen))
        return raw.read(2), int(key.fNbytes) - int(key.fKeylen), int(key.fObjlen)


def test_parse_accepts_codecs_and_levels():
    assert parse_compression("zstd", CODECS, "w") == Compression("zstd")
    assert parse_compression(" ZSTD:22 ", CODECS, "w") == Compression("zstd", 22)
    assert str(parse_compression("zstd:3", CODECS, "w")) == "zstd:3"
    assert str(parse_compression("lz4", CODECS, "w")) == "lz4"


@pytest.mark.parametrize(("text", "words"), [
    ("brotli", ["cannot write 'brotli'", "zstd[:1-22], lz4, none"]),
    ("zstd:0", ["must be in 1..22", "got 0"]),
    ("zstd:23", ["must be in 1..22"]),
    ("zstd:fast", ["must be an integer", "'fast'"]),
    ("lz4:3", ["takes no level"]),
])
def test_parse_refuses_with_the_allowed_range(text, words):
    with pytest.raises(ValueError) as err:
        parse_compression(text, CODECS, "w", option="--compression")
    message = str(err.value)
    assert message.startswith("--compression: ")
    for word in words:
        assert word in message


@pytest.mark.parametrize(("args", "word"), [
    (["--compression", "zstd", "-o", "x.hepmc3"], "the hepmc3 writer cannot write 'zstd'"),
    (["--compression", "lz4:13", "-o", "x.root"], "must be in 1..12"),
    (["--compression", "snappy:2", "-o", "x.parquet"], "'snappy' takes no level"),
    (["--compression", "gzip", "-o", "x.lhe"], "allowed: none"),
])
def test_generate_refuses_before_work(tmp_path, capsys, args, word):
    args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    assert main(["generate", "-n", "10", *args]) == 2
    err = capsys.readouterr().err
    assert "--compression" in err and word in err
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary


@pytest.fixture(scope="module")
def root_files(tmp_path_factory):
    """The same run (card, seed) written with three ROOT codecs by `zpgen generate`."""
    d = tmp_path_factory.mktemp("codecs")
    out = {}
    for codec in ("zstd:1", "lz4:1", "lzma:1", "none"):
        path = d / f"{codec.replace(':', '_')}.root"
        assert main(["generate", "-n", "300", *FAST, "--compression", codec,
                     "-o", str(path)]) == 0
        out[codec] = path
    default = d / "default.root"
    assert main(["generate", "-n", "300", *FAST, "-o", str(default)]) == 0
    out["default"] = default
    return out


def test_root_codecs_hold_the_same_events(root_files):
    """Every codec stores the same events (bit for bit), the codec is the one asked for
    (the basket compression uproot reads from the file) and the run document says it."""
    reference = None
    for codec, path in root_files.items():
        with uproot.open(path) as f:
            arrays = f["events"].arrays(["w", "E_nu", "p_E", "p_x"], library="np")
            info = json.loads(str(f["zpgen_run_info"]))
            settings = f.file.fCompress
            magic, stored, size = basket_magic(path, f["events"]["p_E"])
        expected = "zstd:1" if codec == "default" else codec
        assert info["compression"] == expected
        name = expected.split(":")[0]
        if name == "none":
            assert settings % 100 == 0 and stored == size
        else:
            assert settings == ROOT_ALGORITHM[name] * 100 + 1
            assert magic == MAGIC[name] and stored < size
        flat = {k: (np.concatenate(v) if v.dtype == object else v) for k, v in arrays.items()}
        if reference is None:
            reference = flat
        for k, v in flat.items():
            np.testing.assert_array_equal(v, reference[k])
    sizes = {c: p.stat().st_size for c, p in root_files.items()}
    assert sizes["zstd:1"] < sizes["lz4:1"] < sizes["none"]


def test_root_codecs_in_pyroot(root_files):
    """ROOT itself reads every codec's file: the same entries and the same sum of w."""
    ROOT = pytest.importorskip("ROOT", reason="PyROOT not installed (`pip install ROOT`; "
                                              ".ci/run installs it)")
    sums = {}
    for codec, path in root_files.items():
        rdf = ROOT.RDataFrame("events", str(path))
        assert rdf.Count().GetValue() == 300
        sums[codec] = rdf.Sum("w").GetValue()
    assert len(set(sums.values())) == 1, sums


def test_parquet_codec_in_pyarrow(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "g.parquet"
    assert main(["generate", "-n", "200", *FAST, "--compression", "gzip:5",
                 "-o", str(path)]) == 0
    meta = pq.ParquetFile(path).metadata
    codecs = {meta.row_group(0).column(i).compression for i in range(meta.num_columns)}
    assert codecs == {"GZIP"}
    info = json.loads(meta.metadata[b"zpgen.run_info"])
    assert info["compression"] == "gzip:5"


def test_writer_refuses_a_bad_codec_in_the_api():
    from zpgen.writers import WriterError

    with pytest.raises(WriterError, match="root writer cannot write 'gzip'"):
        RootWriter(compression="gzip")


def test_run_jobs_and_merge_take_the_codec(tmp_path):
    """run-jobs writes its job files with the codec; merge writes OUT with its own; the
    merged events are the jobs' events, whatever the codecs."""
    out = tmp_path / "run.root"
    assert main(["run-jobs", "-o", str(out), "-n", "600", "--n-jobs", "2", "--executor",
                 "local", "--no-merge", "-q", "--compression", "zstd:3", *FAST[:6]]) == 0
    jobs = sorted(tmp_path.glob("run.job*.root"))
    assert len(jobs) == 2
    for job in jobs:
        with uproot.open(job) as f:
            assert json.loads(str(f["zpgen_run_info"]))["compression"] == "zstd:3"
            assert f.file.fCompress == 503
    merged = tmp_path / "merged.root"
    assert main(["merge", str(merged), *map(str, jobs), "--compression", "lz4:1"]) == 0
    with uproot.open(merged) as f:
        assert json.loads(str(f["zpgen_run_info"]))["compression"] == "lz4:1"
        assert basket_magic(merged, f["events"]["p_E"])[0] == b"L4"
        w_merged = f["events"]["w"].array(library="np")
    w_jobs = np.concatenate([uproot.open(j)["events"]["w"].array(library="np") for j in jobs])
    np.testing.assert_array_equal(w_merged, w_jobs)
