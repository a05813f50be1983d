"""Read back what the zpgen writers wrote: run metadata (all formats), events (ROOT, Parquet).

Each writer class reads its own format (``read_metadata``, ``iter_chunks``); this module
picks the writer by the file's suffix and turns any failure into a one-line error.

``read_metadata(path)`` returns ``{"format", "card", "run_info"}`` where ``run_info`` is
the JSON run document (generator, version, seed, command, channels, pot, totals,
written sums, columns with units).  ``iter_chunks(path)`` yields event chunks in the
generator's chunk format (event fields + jagged ``particles``) from ROOT, Parquet, NuHepMC
and LHE files (the text formats rebuild the record from their graph and attributes; see
each writer's ``iter_chunks``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ._base import WriterError

__all__ = ["check_input_file", "format_of", "iter_chunks", "read_metadata"]


def format_of(path: str | os.PathLike[str]) -> str:
    """Format name (root, hepmc3, lhe, parquet, or a third-party writer's) from the suffix."""
    return _writer_of(path).name


def _writer_of(path: str | os.PathLike[str]) -> Any:
    from . import writer_class_for_path

    return writer_class_for_path(path)


def _first_line(exc: BaseException) -> str:
    """The exception's message on one line (uproot's span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def check_input_file(path: str | os.PathLike[str]) -> str:
    """Refuse a path that is not an existing regular file (one-line :class:`WriterError`)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise WriterError(f"{path}: no such file")
    if not os.path.isfile(path):
        raise WriterError(f"{path}: not a regular file (a directory?)")
    return path


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Run metadata of a zpgen output file of any supported format.

    Raises
    ------
    WriterError
        One line naming the file: missing, not a regular file, not a file of its suffix's
        format, truncated or corrupt, or not written by zpgen.
    """
    path = check_input_file(path)
    writer = _writer_of(path)
    fmt = writer.name
    try:
        card, info = writer.read_metadata(path)
    except WriterError:
        raise
    except Exception as exc:  # whatever the format library raises on a bad file
        raise WriterError(f"{path}: not a readable {fmt} file, or truncated or corrupt "
                          f"({_first_line(exc)})") from None
    if not isinstance(info, dict):
        raise WriterError(f"{path}: the zpgen run information is not a JSON object")
    return {"format": fmt, "card": card, "run_info": info}


def iter_chunks(path: str | os.PathLike[str], step_size: int = 100_000) -> Iterator[Any]:
    """Event chunks (awkward Arrays in the generator's chunk format) of a zpgen file of any
    format whose writer reads events back (all the built-in ones).

    A file that cannot be read (not of its suffix's format, truncated, corrupt) raises a
    one-line :class:`WriterError` naming it, at whichever chunk the damage is found.
    """
    path = check_input_file(path)
    writer = _writer_of(path)
    fmt = writer.name
    chunks = writer.iter_chunks(path, step_size)
    while True:
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        except Exception as exc:  # whatever the format library raises on a bad file
            raise WriterError(f"{path}: cannot read the events, truncated or corrupt "
                              f"{fmt} file ({_first_line(exc)})") from None
        yield chunk
