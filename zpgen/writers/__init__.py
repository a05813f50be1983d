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

The suffix picks the format: ``.root`` (uproot TTree), ``.hepmc3``/``.hepmc`` (NuHepMC),
``.lhe`` (Les Houches Events), ``.parquet``/``.pq`` (Apache Parquet).
"""

from __future__ import annotations

import os
from typing import Any

from ._base import AtomicWriter, WriterError

__all__ = [
    "SUFFIXES",
    "AtomicWriter",
    "WriterError",
    "writer_class_for_path",
    "writer_for_path",
]

#: file suffix -> (module, class); the class names match the zpgen.writers entry points.
SUFFIXES: dict[str, tuple[str, str]] = {
    ".root": ("root", "RootWriter"),
    ".hepmc3": ("hepmc", "NuHepMCWriter"),
    ".hepmc": ("hepmc", "NuHepMCWriter"),
    ".lhe": ("lhe", "LHEWriter"),
    ".parquet": ("parquet", "ParquetWriter"),
    ".pq": ("parquet", "ParquetWriter"),
}
#: format name (as in ``--format`` / the entry points) -> suffix
FORMATS = {"root": ".root", "hepmc3": ".hepmc3", "hepmc": ".hepmc3", "lhe": ".lhe",
           "parquet": ".parquet"}


def writer_class_for_path(path: str | os.PathLike[str],
                          fmt: str | None = None) -> type[AtomicWriter]:
    """The writer class for ``path`` (by suffix) or for the explicit format ``fmt``."""
    import importlib

    if fmt is not None:
        key = FORMATS.get(fmt.lower().lstrip("."))
        if key is None:
            raise WriterError(f"unknown output format {fmt!r}; supported: "
                              f"{', '.join(sorted(set(FORMATS)))}")
    else:
        name = os.fspath(path).lower()
        key = next((s for s in sorted(SUFFIXES, key=len, reverse=True) if name.endswith(s)),
                   None)
        if key is None:
            raise WriterError(f"cannot tell the output format of {os.fspath(path)!r} from its "
                              f"suffix; supported suffixes: {', '.join(SUFFIXES)}")
    module, cls = SUFFIXES[key]
    found: type[AtomicWriter] = getattr(importlib.import_module(f"{__name__}.{module}"), cls)
    return found


def writer_for_path(path: str | os.PathLike[str], fmt: str | None = None,
                    **options: Any) -> AtomicWriter:
    """A new writer for ``path``, chosen by suffix (.root, .hepmc3/.hepmc, .lhe, .parquet).

    Parameters
    ----------
    path : output file name
    fmt : force a format ("root", "hepmc3", "lhe", "parquet") whatever the suffix
    **options : keyword options of the writer class

    Raises
    ------
    WriterError : unknown suffix or format; the message lists the supported suffixes
    """
    return writer_class_for_path(path, fmt)(**options)
