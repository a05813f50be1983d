"""Compression of an output file: ``CODEC`` or ``CODEC:LEVEL``, checked against the writer.

Every writer declares the codecs it can write (:attr:`AtomicWriter.compressions`: codec ->
allowed level range, or ``None`` for a codec without levels) and its default
(:attr:`AtomicWriter.default_compression`).  ``zpgen generate --compression`` and
``zpgen run-jobs --compression`` are parsed here before any work starts, so that a codec the
format cannot write, or a level out of range, is refused in one line naming the option and
what is allowed.  The codec used is recorded in the file's run document (``"compression"``).

What the codecs cost (benchmarks/bench_output.py prints it; 1e6 default-card events, the
same arrays written by uproot alone on the 2-core reference machine, 2026-11-30):

============  =============  ======================  ===============
ROOT codec    uproot alone   ``zpgen generate``      bytes per event
============  =============  ======================  ===============
``zstd:1``    3.1-3.3 s      5.4-5.9 s               627 (default)
``lz4:1``     2.1 s          5.0-5.3 s               743
``none``      2.1 s          5.1-5.6 s               1158
============  =============  ======================  ===============

(``zpgen generate``: four interleaved runs each, VEGAS maps from the adaptation cache.)
The momenta are full-entropy float64 numbers: no codec makes them much smaller, and
uproot's own serialisation (about 1.2 s) is paid whatever the codec.  End to end the
generation (about 2.8 s after start-up) runs beside the writer, so a faster codec gains
less than it saves in the writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Compression", "LevelRange", "parse_compression"]

#: Allowed levels of a codec (inclusive), or None for a codec without levels.
LevelRange = tuple[int, int] | None


@dataclass(frozen=True)
class Compression:
    """A codec and its level (``None``: the codec has none, or the library's default)."""

    codec: str
    level: int | None = None

    def __str__(self) -> str:
        return self.codec if self.level is None else f"{self.codec}:{self.level}"


def _allowed(codecs: Mapping[str, LevelRange]) -> str:
    parts = []
    for codec, levels in codecs.items():
        parts.append(codec if levels is None else f"{codec}[:{levels[0]}-{levels[1]}]")
    return ", ".join(parts)


def parse_compression(text: str, codecs: Mapping[str, LevelRange], writer: str,
                      option: str = "--compression") -> Compression:
    """``CODEC`` or ``CODEC:LEVEL`` checked against a writer's ``codecs``.

    Raises
    ------
    ValueError : an unknown codec, a level that is not an integer or out of the codec's
        range, or a level for a codec without levels; the message names ``option``, the
        writer and what it allows
    """
    codec, sep, level_text = str(text).strip().lower().partition(":")
    allowed = _allowed(codecs)
    if codec not in codecs:
        raise ValueError(f"{option}: the {writer} writer cannot write {codec!r}; "
                         f"allowed: {allowed}")
    levels = codecs[codec]
    if not sep:
        return Compression(codec)
    if levels is None:
        raise ValueError(f"{option}: {codec!r} takes no level in the {writer} writer "
                         f"(got {text!r}); allowed: {allowed}")
    try:
        level = int(level_text)
    except ValueError:
        raise ValueError(f"{option}: the level of {codec!r} must be an integer in "
                         f"{levels[0]}..{levels[1]}, got {level_text!r}") from None
    if not levels[0] <= level <= levels[1]:
        raise ValueError(f"{option}: the level of {codec!r} must be in "
                         f"{levels[0]}..{levels[1]}, got {level}")
    return Compression(codec, level)
