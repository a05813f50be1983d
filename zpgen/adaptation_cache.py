"""The adaptation cache: a run reuses the VEGAS maps of an earlier run of the same card.

docs/architecture.md, "Adaptation cache".  VEGAS adaptation is the largest fixed cost of a
run after the imports (0.7-2.6 s of a 1e6-event run on the 2-core reference machine,
issue 14).  Its result depends only on the physics content of the card (everything but
``[run]`` and ``[output]``: :func:`zpgen.gridpack.card_hash`), the root seed, the VEGAS
settings (``nitn``, ``neval``, ``nitn_final``), the content of the input files the plugins
read (:mod:`zpgen.fingerprints`) and the zpgen release.  After adapting, a run stores its
maps as an ordinary grid file (:mod:`zpgen.gridpack`, data only, never code) named by the
hash of exactly those inputs; a later run with the same inputs loads it instead of
adapting.  The maps are reproduced bit for bit (:func:`zpgen.gridpack.load_grid`), so the
events are identical with and without the cache (tested).

Where: ``$ZPGEN_CACHE`` if set (a directory; ``off`` or ``0`` disables the cache), else
``$XDG_CACHE_HOME/zpgen``, else ``~/.cache/zpgen``; grids go to its ``grids/``
sub-directory as ``adapt-<32 hex digits>.zpg``.  A cached grid is untrusted input like any
grid: it is read as data, its card, seed, settings and input fingerprints are checked
against the run, and one that fails any check (corrupt, truncated, another card) is
ignored and replaced after adapting.  Writing is atomic; a cache that cannot be written
(read-only home, full disk) only costs the adaptation.  At most :data:`MAX_ENTRIES` grids
are kept (the least recently used are deleted; nothing but files named as above is ever
touched).

An output records ``run_info["adaptation_cache"]`` = ``{"path", "key", "hit", "stored"}``;
``run_info["grid"]`` stays that of an explicit ``--grid`` (``zpgen merge`` compares it), so
files made with and without the cache merge.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import __version__
from .gridpack import FORMAT_VERSION, Grid, GridError, card_hash, load_grid, save_grid

__all__ = ["ENV", "MAX_ENTRIES", "cache_directory", "cache_key", "clear", "entries", "entry_path",
           "lookup", "prune", "store"]

#: Environment variable naming the cache directory (``off`` or ``0``: no cache).
ENV = "ZPGEN_CACHE"
#: Grids kept in the cache (least recently used deleted beyond it).
MAX_ENTRIES = 64
_NAME = re.compile(r"^adapt-[0-9a-f]{32}\.zpg$")


def cache_directory(environ: Mapping[str, str] | None = None) -> Path | None:
    """The directory of cached grids, or None when the cache is switched off."""
    env = os.environ if environ is None else environ
    value = env.get(ENV)
    if value is not None:
        if value.strip().lower() in ("", "off", "0", "no", "false"):
            return None
        return Path(value).expanduser() / "grids"
    xdg = env.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "zpgen" / "grids"


def cache_key(card: Any, seed: int, nitn: int, neval: int, nitn_final: int,
              inputs: Mapping[str, Any]) -> str:
    """Hash of everything the adaptation depends on (module docstring); 32 hex digits."""
    document = {"card_hash": card_hash(card), "seed": int(seed), "nitn": int(nitn),
                "neval": int(neval), "nitn_final": int(nitn_final),
                "inputs": {k: inputs[k].get("sha256") if isinstance(inputs[k], Mapping)
                           else str(inputs[k]) for k in sorted(inputs)},
                "zpgen_version": __version__, "grid_format": FORMAT_VERSION}
    text = json.dumps(document, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def entry_path(directory: Path, key: str) -> Path:
    """File of the cached grid ``key`` in ``directory``."""
    return directory / f"adapt-{key}.zpg"


def lookup(directory: Path, key: str, card: Any, seed: int, nitn: int, neval: int,
           nitn_final: int, inputs: Mapping[str, Any]) -> Grid | None:
    """The cached grid for ``key`` if there is one and it passes every check, else None."""
    path = entry_path(directory, key)
    if not path.is_file():
        return None
    try:
        grid = load_grid(path)
        grid.check_card(card)
        grid.check_inputs(inputs)
    except (GridError, OSError, ValueError):
        return None
    payload = grid.payload
    if (grid.seed, int(payload["nitn"]), int(payload["neval"]),
            int(payload["nitn_final"])) != (int(seed), int(nitn), int(neval), int(nitn_final)):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # least recently used order for prune()
    return grid


def store(directory: Path, key: str, card: Any, engine: Any) -> Path | None:
    """Write the adapted maps of ``engine`` under ``key``; None if the cache is unwritable."""
    path = entry_path(directory, key)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        save_grid(path, card, engine)
    except (OSError, GridError):
        return None
    prune(directory)
    return path


def entries(directory: Path) -> list[Path]:
    """The cached grids in ``directory``, most recently used first: regular files named
    ``adapt-<32 hex>.zpg`` only (never a link, a directory or another file)."""
    try:
        found = [p for p in directory.iterdir()
                 if _NAME.match(p.name) and p.is_file() and not p.is_symlink()]
    except OSError:
        return []
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return found


def clear(directory: Path) -> list[Path]:
    """Delete every cached grid in ``directory`` (:func:`entries`); returns the deleted."""
    return prune(directory, keep=0)


def prune(directory: Path, keep: int = MAX_ENTRIES) -> list[Path]:
    """Delete the least recently used cached grids beyond ``keep``; returns the deleted.

    Only regular files named ``adapt-<32 hex>.zpg`` are considered (never a link, a
    directory or anything else in the directory)."""
    found = entries(directory)
    deleted = []
    for p in found[keep:]:
        try:
            p.unlink()
            deleted.append(p)
        except OSError:
            pass
    return deleted
