"""The adaptation cache (zpgen/adaptation_cache.py): a later run of the same card, seed and
VEGAS settings loads the maps instead of adapting, and its events are those of a run that
adapted; anything that does not match or does not read is ignored and replaced."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import uproot

from zpgen import adaptation_cache
from zpgen.cli import main
from zpgen.writers.read import read_metadata

FAST = ["--nitn", "2", "--neval", "2000", "-q"]


def _generate(out: Path, *extra: str) -> dict:
    assert main(["generate", "-n", "400", "-o", str(out), *FAST, *extra]) == 0
    return read_metadata(out)["run_info"]


def _columns(path: Path) -> dict[str, np.ndarray]:
    with uproot.open(path) as f:
        return f["events"].arrays(library="np")


def _assert_same_events(a: Path, b: Path) -> None:
    ca, cb = _columns(a), _columns(b)
    assert ca.keys() == cb.keys()
    for key in ca:
        x, y = ca[key], cb[key]
        if x.dtype == object:
            assert all(np.array_equal(u, v, equal_nan=u.dtype.kind == "f")
                       for u, v in zip(x, y, strict=True)), key
        else:
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), key


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(adaptation_cache.ENV, str(directory))
    return directory / "grids"


def test_second_run_loads_the_maps_and_makes_the_same_events(cache: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    first = _generate(tmp_path / "first.root")["adaptation_cache"]
    assert first["hit"] is False and first["stored"] is True
    assert Path(first["path"]).is_file() and Path(first["path"]).parent == cache
    second = _generate(tmp_path / "second.root")["adaptation_cache"]
    assert second == {**first, "hit": True, "stored": False}
    monkeypatch.setenv(adaptation_cache.ENV, "off")
    meta = _generate(tmp_path / "adapted.root")
    assert meta["adaptation_cache"] is None
    _assert_same_events(tmp_path / "second.root", tmp_path / "adapted.root")
    _assert_same_events(tmp_path / "first.root", tmp_path / "adapted.root")
    assert len(list(cache.iterdir())) == 1


def test_seed_card_and_settings_each_change_the_key(cache: Path, tmp_path: Path) -> None:
    base = _generate(tmp_path / "a.root")["adaptation_cache"]["key"]
    keys = {
        _generate(tmp_path / "b.root", "--seed", "5")["adaptation_cache"]["key"],
        _generate(tmp_path / "c.root", "--set", "model.mzprime=0.02")["adaptation_cache"]["key"],
        _generate(tmp_path / "d.root", "--nitn-final", "2")["adaptation_cache"]["key"],
    }
    assert base not in keys and len(keys) == 3
    # n_events and the output are not physics: same key, a hit
    again = _generate(tmp_path / "e.root", "-n", "300")["adaptation_cache"]
    assert again["key"] == base and again["hit"] is True


def test_a_corrupt_or_foreign_entry_is_ignored_and_replaced(cache: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    entry = Path(_generate(tmp_path / "a.root")["adaptation_cache"]["path"])
    entry.write_bytes(entry.read_bytes()[:1000])  # truncated copy
    meta = _generate(tmp_path / "b.root")["adaptation_cache"]
    assert meta["hit"] is False and meta["stored"] is True
    _assert_same_events(tmp_path / "a.root", tmp_path / "b.root")
    assert _generate(tmp_path / "c.root")["adaptation_cache"]["hit"] is True
    # a valid grid of another card planted under this card's name
    other = Path(_generate(tmp_path / "d.root", "--set", "model.mzprime=0.02")
                 ["adaptation_cache"]["path"])
    entry.write_bytes(other.read_bytes())
    meta = _generate(tmp_path / "e.root")["adaptation_cache"]
    assert meta["hit"] is False and meta["stored"] is True
    _assert_same_events(tmp_path / "a.root", tmp_path / "e.root")


def test_an_unwritable_cache_only_costs_the_adaptation(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not_a_directory"
    blocker.write_text("a file where the cache directory should be\n")
    monkeypatch.setenv(adaptation_cache.ENV, str(blocker))
    meta = _generate(tmp_path / "a.root")["adaptation_cache"]
    assert meta["hit"] is False and meta["stored"] is False
    assert blocker.read_text().startswith("a file")


def test_an_explicit_grid_bypasses_the_cache(cache: Path, tmp_path: Path) -> None:
    grid = tmp_path / "g.zpg"
    assert main(["adapt", "-o", str(grid), *FAST[:-1]]) == 0
    meta = _generate(tmp_path / "a.root", "--grid", str(grid))
    assert meta["adaptation_cache"] is None and meta["grid"]["sha256"]


def test_cache_directory_from_the_environment(tmp_path: Path) -> None:
    assert adaptation_cache.cache_directory({"ZPGEN_CACHE": "off"}) is None
    assert adaptation_cache.cache_directory({"ZPGEN_CACHE": "0"}) is None
    assert adaptation_cache.cache_directory({"ZPGEN_CACHE": str(tmp_path)}) == tmp_path / "grids"
    assert (adaptation_cache.cache_directory({"XDG_CACHE_HOME": str(tmp_path)})
            == tmp_path / "zpgen" / "grids")
    home = adaptation_cache.cache_directory({})
    assert home is not None and home == Path.home() / ".cache" / "zpgen" / "grids"


def test_prune_keeps_the_most_recent_and_touches_nothing_else(tmp_path: Path) -> None:
    names = [f"adapt-{i:032x}.zpg" for i in range(10)]
    for age, name in enumerate(names):
        path = tmp_path / name
        path.write_bytes(b"x")
        os.utime(path, (1e9 - age, 1e9 - age))  # names[0] is the newest
    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / "adapt-short.zpg").write_text("not a cache name\n")
    os.symlink(tmp_path / "notes.txt", tmp_path / f"adapt-{99:032x}.zpg")
    deleted = adaptation_cache.prune(tmp_path, keep=4)
    assert sorted(p.name for p in deleted) == sorted(names[4:])
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([*names[:4], "notes.txt", "adapt-short.zpg", f"adapt-{99:032x}.zpg"])


def test_zpgen_cache_shows_and_clears_only_its_grids(cache: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    entry = Path(_generate(tmp_path / "a.root")["adaptation_cache"]["path"])
    (cache / "notes.txt").write_text("mine\n")
    capsys.readouterr()
    assert main(["cache", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["directory"] == str(cache) and doc["enabled"] is True
    assert [e["path"] for e in doc["entries"]] == [str(entry)]
    assert doc["total_bytes"] == entry.stat().st_size > 0
    assert main(["cache"]) == 0
    assert str(entry) in capsys.readouterr().out
    assert main(["cache", "clear"]) == 0
    assert not entry.exists() and (cache / "notes.txt").read_text() == "mine\n"
    assert _generate(tmp_path / "b.root")["adaptation_cache"]["hit"] is False


def test_zpgen_cache_when_switched_off(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(adaptation_cache.ENV, "off")
    assert main(["cache", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"directory": None, "enabled": False,
                                                    "entries": []}
    assert main(["cache", "clear"]) == 0


def test_zpgen_info_says_where_the_maps_came_from(cache: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _generate(tmp_path / "a.root")
    _generate(tmp_path / "b.root")
    grid = tmp_path / "g.zpg"
    assert main(["adapt", "-o", str(grid), *FAST[:-1]]) == 0
    _generate(tmp_path / "c.root", "--grid", str(grid))
    capsys.readouterr()
    lines = {}
    for name in ("a", "b", "c"):
        assert main(["info", str(tmp_path / f"{name}.root")]) == 0
        lines[name] = [ln for ln in capsys.readouterr().out.splitlines()
                       if ln.startswith("VEGAS maps")]
    assert lines["a"] == ["VEGAS maps      adapted in the run"]
    assert len(lines["b"]) == 1 and "from the adaptation cache" in lines["b"][0]
    assert len(lines["c"]) == 1 and f"from the grid {grid}" in lines["c"][0]
