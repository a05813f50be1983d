"""Output writers (ROOT, NuHepMC/HepMC3, LHE, Parquet): atomic and streaming.

Every writer follows the :class:`zpgen.registry.Writer` protocol (``open(path, run_info)``,
``write(chunk)``, ``close(totals)``, ``abort()``), writes to a temporary
``.<name>.<random>.part`` next to the path (:mod:`zpgen.tempfiles`) and renames on close,
and is a context manager that aborts on any exception (including ``KeyboardInterrupt`` and
a stop signal)::

    from zpgen.writers import writer_for_path

    with writer_for_path("events.root") as out:
        out.open("events.root", run_info)
        for chunk in chunks:
            out.write(chunk)
        out.close(totals)

The suffix picks the format among the writers registered under the ``zpgen.writers`` entry
points (:func:`installed_writers`): the built-in ``.root`` (uproot TTree),
``.hepmc3``/``.hepmc`` (NuHepMC), ``.lhe`` (Les Houches Events), ``.parquet``/``.pq``
(Apache Parquet), and any third-party format.  Each writer reads back its own metadata
(``read_metadata``) and, where the format allows, its events (``iter_chunks``).
"""

from __future__ import annotations

import os
from typing import Any

from ._base import AtomicWriter, WriterError

__all__ = [
    "AtomicWriter",
    "WriterError",
    "installed_writers",
    "writer_class_for_path",
    "writer_for_path",
]


def installed_writers() -> dict[str, type[AtomicWriter]]:
    """Every writer registered under the ``zpgen.writers`` entry points, by format name.

    The built-in formats are zpgen's own entries (``root``, ``hepmc3``, ``lhe``,
    ``parquet``); a third-party package adds a format by registering a subclass of
    :class:`AtomicWriter` there (with its ``suffixes``, and ``read_metadata`` so that
    ``zpgen info`` reads its files back).
    """
    from zpgen.registry import available, load_plugin

    out: dict[str, type[AtomicWriter]] = {}
    for name in sorted(available("writer")):
        cls = load_plugin("writer", name)
        if not (isinstance(cls, type) and issubclass(cls, AtomicWriter)):
            raise WriterError(f"writer plugin {name!r} is not a zpgen.writers.AtomicWriter "
                              "subclass")
        out[name] = cls
    return out


def _suffix_table(writers: dict[str, type[AtomicWriter]]) -> dict[str, type[AtomicWriter]]:
    table: dict[str, type[AtomicWriter]] = {}
    for cls in writers.values():
        for suffix in cls.suffixes:
            table.setdefault(suffix.lower(), cls)
    return table


def writer_class_for_path(path: str | os.PathLike[str],
                          fmt: str | None = None) -> type[AtomicWriter]:
    """The writer class for ``path`` (by its suffix) or for the explicit format ``fmt``
    (a writer's name or one of its ``aliases``)."""
    writers = installed_writers()
    if fmt is not None:
        key = fmt.lower().lstrip(".")
        for name, cls in writers.items():
            if key == name or key in cls.aliases:
                return cls
        raise WriterError(f"unknown output format {fmt!r}; installed: "
                          f"{', '.join(sorted(writers))}")
    table = _suffix_table(writers)
    lower = os.fspath(path).lower()
    suffix = next((s for s in sorted(table, key=len, reverse=True) if lower.endswith(s)), None)
    if suffix is None:
        raise WriterError(f"cannot tell the output format of {os.fspath(path)!r} from its "
                          f"suffix; supported suffixes: {', '.join(table)}")
    return table[suffix]


def writer_for_path(path: str | os.PathLike[str], fmt: str | None = None,
                    compression: str | None = None, **options: Any) -> AtomicWriter:
    """A new writer for ``path``, chosen by suffix (or by the format name ``fmt``), with
    ``compression`` (``CODEC[:LEVEL]``, :mod:`zpgen.writers.compression`) if given, else
    the writer's default (a writer that takes no ``compression`` argument is not given one).

    Raises
    ------
    WriterError : unknown suffix or format; the message lists the installed ones
    """
    if compression is not None:
        options["compression"] = compression
    return writer_class_for_path(path, fmt)(**options)
