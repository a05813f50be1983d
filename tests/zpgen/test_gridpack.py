"""Grids (zpgen adapt): round trip, same events as an in-process adaptation, and every
refusal (corrupt, truncated, other version, other card); bad input of a run (issue 4)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import zipfile

import awkward as ak
import numpy as np
import pytest

from zpgen import gridpack, sampler
from zpgen.card import parse_card
from zpgen.cli import main
from zpgen.generate import EventGenerator, GenerationError, generate_array
from zpgen.gridpack import GridError, load_grid

from .conftest import FAST_ADAPT


def _rewrite_header(src, dst, **changes):
    data = src.read_bytes()
    end = data.index(b"\n", len(gridpack.MAGIC))
    header = json.loads(data[len(gridpack.MAGIC):end])
    header.update(changes)
    dst.write_bytes(gridpack.MAGIC + json.dumps(header).encode() + data[end:])
    return dst


def _grid_parts(path):
    """Header and arrays of a grid file, read here with numpy alone (no pickle)."""
    data = path.read_bytes()
    end = data.index(b"\n", len(gridpack.MAGIC))
    header = json.loads(data[len(gridpack.MAGIC):end])
    with np.load(io.BytesIO(data[end + 1:]), allow_pickle=False) as npz:
        return header, {name: npz[name] for name in npz.files}


def _npz(arrays, allow_pickle=False):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, arr in arrays.items():
            with zf.open(f"{name}.npy", "w") as fh:
                np.lib.format.write_array(fh, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def _write_grid(dst, header, payload, **changes):
    """A grid file with ``payload`` and a header whose size and SHA-256 fit it (anyone can
    compute them: the hash proves integrity, not origin)."""
    header = {**header, **changes, "payload_bytes": len(payload),
              "payload_sha256": hashlib.sha256(payload).hexdigest()}
    dst.write_bytes(gridpack.MAGIC + json.dumps(header).encode() + b"\n" + payload)
    return dst


class _RunsCode:
    """Unpickling this object creates the directory ``marker`` (a harmless stand-in for
    arbitrary code)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _crafted_grids(fast_grid, folder):
    """Grid files built to run code when read carelessly, each with a valid SHA-256."""
    marker = folder / "code_ran"
    header, arrays = _grid_parts(fast_grid)
    evil = pickle.dumps({"channels": [_RunsCode(marker)]}, protocol=5)
    objects = np.array([_RunsCode(marker)], dtype=object)
    grids = {
        "pickle payload": _write_grid(folder / "pickle.zpg", header, evil),
        "version 1 pickle": _write_grid(folder / "v1.zpg", header, evil, format_version=1),
        "object array as meta": _write_grid(
            folder / "objmeta.zpg", header, _npz({**arrays, "meta": objects}, True)),
        "extra object array": _write_grid(
            folder / "objextra.zpg", header, _npz({**arrays, "extra": objects}, True)),
    }
    return marker, grids


def test_crafted_grids_are_refused_without_running_code(fast_grid, tmp_path, capsys):
    """Issue 12, point 1: a pickle payload or an object array with a recomputed hash is
    refused, by load_grid, by generate --grid and by run-jobs --grid, and nothing runs."""
    marker, grids = _crafted_grids(fast_grid, tmp_path)
    messages = {"pickle payload": "not a NumPy .npz archive",
                "version 1 pickle": "format version 1,.*pickles",
                "object array as meta": "not plain numbers",
                "extra object array": "not plain numbers"}
    # such a payload does run code when unpickled: the marker shows it
    pickle.loads(pickle.dumps(_RunsCode(marker)))
    assert marker.is_dir()
    marker.rmdir()
    for kind, path in grids.items():
        with pytest.raises(GridError, match=messages[kind]):
            load_grid(path)
        out = tmp_path / f"{path.stem}.root"
        assert main(["generate", "--grid", str(path), "-n", "10", "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert "--grid" in err and len(err.strip().splitlines()) == 1, err
        assert main(["run-jobs", "--grid", str(path), "-n", "10", "--n-jobs", "2",
                     "--executor", "local", "-o", str(out)]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
        assert not marker.exists(), f"{kind}: code ran"
        assert not out.exists()


def test_grid_is_plain_data(fast_grid):
    """The payload is an .npz of numbers that numpy reads with allow_pickle=False."""
    header, arrays = _grid_parts(fast_grid)
    assert header["format_version"] == gridpack.FORMAT_VERSION == 2
    assert all(a.dtype != object for a in arrays.values())
    meta = json.loads(arrays["meta"].tobytes())
    assert [c["name"] for c in meta["channels"]] == header["channels"]
    grid = load_grid(fast_grid)
    for k, entry in enumerate(grid.channels):
        assert np.array_equal(np.asarray(entry["map"].grid), arrays[f"map_grid_{k}"])


@pytest.mark.parametrize(("change", "message"), [
    (lambda a: a.update(map_grid_0=a["map_grid_0"][:, ::-1].copy()), "increase strictly"),
    (lambda a: a.update(map_ninc_0=a["map_ninc_0"] + 10**6), "increments in dimension 0"),
    (lambda a: a.update(map_grid_0=a["map_grid_0"].astype(np.float32)), "wrong shape or type"),
    (lambda a: a.update(extra=np.zeros(3)), "unexpected array"),
    (lambda a: a.update(meta=np.frombuffer(b"{not json", dtype=np.uint8)), "not JSON"),
])
def test_grids_with_bad_numbers_are_refused(fast_grid, tmp_path, change, message):
    header, arrays = _grid_parts(fast_grid)
    change(arrays)
    with pytest.raises(GridError, match=message):
        load_grid(_write_grid(tmp_path / "bad.zpg", header, _npz(arrays)))


def test_grid_round_trip_gives_the_events_of_an_in_process_adaptation(fast_grid):
    grid = load_grid(fast_grid)
    card = parse_card()
    assert grid.card_hash == gridpack.card_hash(card)
    assert grid.header["format_version"] == gridpack.FORMAT_VERSION
    assert gridpack.card_hash(grid.card()) == grid.card_hash
    assert [c["name"] for c in grid.channels] == list(grid.header["integrals"])
    kw = {"n_events": 6000, "chunk_size": 2500}
    from_grid = generate_array(card, grid=grid, **kw)
    direct = generate_array(card, **FAST_ADAPT, **kw)
    assert ak.array_equal(from_grid, direct, equal_nan=True)
    engine = EventGenerator(card, grid=fast_grid, n_events=100)
    engine.adapt()
    for c in grid.channels:  # integrals taken from the grid, not re-adapted
        assert engine.adapted[c["name"]].mean == c["mean"]
    # only [run] and [output] may differ
    grid.check_card(parse_card(None, ["run.seed=5", "run.n_events=7"]))


def test_map_points_is_vegas_map(fast_grid):
    entry = load_grid(fast_grid).channels[0]
    amap = entry["map"]
    y = np.random.default_rng(3).random((5000, entry["dim"]))
    y[0] = 0.0
    y[1] = 1.0 - 1e-17
    x_ref, jac_ref = np.empty_like(y), np.empty(len(y))
    amap.map(y, x_ref, jac_ref)
    x, jac = np.empty_like(y), np.empty(len(y))
    sampler.map_points(y, np.asarray(amap.grid), np.asarray(amap.inc),
                       np.asarray(amap.ninc, dtype=np.int64), x, jac)
    assert np.array_equal(x, x_ref) and np.array_equal(jac, jac_ref)


def test_corrupt_truncated_and_incompatible_grids_are_refused(fast_grid, tmp_path):
    data = fast_grid.read_bytes()
    truncated = tmp_path / "truncated.zpg"
    truncated.write_bytes(data[:-1000])
    with pytest.raises(GridError, match="truncated"):
        load_grid(truncated)
    corrupt = tmp_path / "corrupt.zpg"
    flipped = bytearray(data)
    flipped[-500] ^= 0xFF
    corrupt.write_bytes(bytes(flipped))
    with pytest.raises(GridError, match=r"corrupt grid file .*SHA-256"):
        load_grid(corrupt)
    other = tmp_path / "other.zpg"
    other.write_text("[run]\nseed = 1\n")
    with pytest.raises(GridError, match="not a zpgen grid"):
        load_grid(other)
    bad_header = tmp_path / "bad_header.zpg"
    bad_header.write_bytes(gridpack.MAGIC + b"{not json\n" + data[-100:])
    with pytest.raises(GridError, match="corrupt grid header"):
        load_grid(bad_header)
    with pytest.raises(GridError, match="format version 99"):
        load_grid(_rewrite_header(fast_grid, tmp_path / "v99.zpg", format_version=99))
    with pytest.raises(GridError, match=r"zpgen 9\.1\.0, incompatible"):
        load_grid(_rewrite_header(fast_grid, tmp_path / "new.zpg", zpgen_version="9.1.0"))
    with pytest.raises(GridError, match="does not exist"):
        load_grid(tmp_path / "missing.zpg")
    header, arrays = _grid_parts(fast_grid)
    del arrays["map_grid_0"], arrays["map_ninc_0"]
    incomplete = _write_grid(tmp_path / "incomplete.zpg", header, _npz(arrays))
    with pytest.raises(GridError, match="channel C12_coherent has no map"):
        load_grid(incomplete)
    with pytest.raises(GridError, match=r"model\.m5 = 0\.11 in the grid, 0\.12 in the card"):
        load_grid(fast_grid).check_card(parse_card(None, ["model.m5=0.12"]))


def test_cli_grid_errors_before_work(fast_grid, tmp_path, capsys):
    out = tmp_path / "x.root"
    bad = tmp_path / "bad.zpg"
    bad.write_bytes(fast_grid.read_bytes()[:-10])
    assert main(["generate", "--grid", str(bad), "-n", "10", "-o", str(out)]) == 2
    assert "truncated" in capsys.readouterr().err
    assert main(["generate", "--grid", str(fast_grid), "--set", "physics.nucleon_model=free",
                 "-n", "10", "-o", str(out)]) == 2
    assert "physics.nucleon_model" in capsys.readouterr().err
    assert main(["generate", "--grid", str(fast_grid), "--job-index", "4", "--n-jobs", "4",
                 "-n", "10", "-o", str(out)]) == 2
    assert "--job-index: must be < --n-jobs = 4" in capsys.readouterr().err
    assert main(["generate", "--neval", "0", "-n", "10", "-o", str(out)]) == 2
    assert "--neval: must be in" in capsys.readouterr().err
    assert main(["adapt", "--nitn-final", "0", "-o", str(tmp_path / "g.zpg")]) == 2
    assert "nitn_final" in capsys.readouterr().err
    low = ["--set", "flux.name=monochromatic", "--set", "flux.energy=0.05",
           "--set", "detector.name=truth"]
    assert main(["generate", *low, "-n", "10", "-o", str(out)]) == 2
    assert "threshold" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [bad]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_events": 0}, "n_events: must be >= 1, got 0"),
    ({"n_events": -5}, "n_events: must be >= 1"),
    ({"n_events": 2.5}, "n_events: must be an integer"),
    ({"nitn": -1}, r"nitn: must be in \[0, 1000\]"),
    ({"neval": 0}, r"neval: must be in \[100, 100000000\]"),
    ({"neval": 10**12}, "neval: must be in"),
    ({"nitn_final": 0}, "nitn_final: must be in"),
    ({"nitn": 10**6}, "nitn: must be in"),
    ({"threads": 0}, "threads: must be >= 1"),
    ({"job_index": 3, "n_jobs": 3}, "job_index: must be < n_jobs = 3"),
])
def test_bad_run_arguments_are_clear_errors_before_work(kwargs, message):
    with pytest.raises(GenerationError, match=message):
        EventGenerator(parse_card(), **kwargs)


def test_flux_entirely_below_threshold_is_an_error_not_an_empty_run():
    card = parse_card(None, ["flux.name=monochromatic", "flux.energy=0.05",
                             "detector.name=truth"])
    with pytest.raises(GenerationError, match=r"no neutrinos above the production "
                                              r"thresholds \(C12_coherent 0\.1"):
        EventGenerator(card)
