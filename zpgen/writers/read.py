"""Read back what the zpgen writers wrote: run metadata (all formats), events (ROOT, Parquet).

``read_metadata(path)`` returns ``{"format", "card", "run_info"}`` where ``run_info`` is
the JSON run document (generator, version, seed, command, channels, pot, totals,
written sums, columns with units).  ``iter_chunks(path)`` yields event chunks in the
generator's chunk format (event fields + jagged ``particles``) from ROOT or Parquet files.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import awkward as ak

from ._base import PARTICLE_FIELDS, WriterError

__all__ = ["check_input_file", "format_of", "iter_chunks", "read_metadata"]


def format_of(path: str | os.PathLike[str]) -> str:
    """Format name (root, hepmc3, lhe, parquet) from the file suffix."""
    from . import writer_class_for_path

    return writer_class_for_path(path).name


def _hepmc_unescape(s: str) -> str:
    out = []
    i = 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            nxt = s[i + 1]
            out.append("\n" if nxt == "|" else nxt)
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def _read_hepmc(path: str) -> tuple[str, dict[str, Any]]:
    card, info = "", None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("E "):
                break
            if line.startswith("A zpgen.RunInfo "):
                info = json.loads(_hepmc_unescape(line[len("A zpgen.RunInfo "):].rstrip("\n")))
            elif line.startswith("A NuHepMC.Provenance.zpgen.Card "):
                card = _hepmc_unescape(
                    line[len("A NuHepMC.Provenance.zpgen.Card "):].rstrip("\n"))
    if info is None:
        raise WriterError(f"{path}: no zpgen.RunInfo attribute (not written by zpgen?)")
    return card, info


def _read_lhe(path: str) -> tuple[str, dict[str, Any]]:
    card, info = "", None
    with open(path, "rb") as fh:
        for _, elem in ET.iterparse(fh, events=("end",)):
            if elem.tag == "zpgen_card":
                text = elem.text or ""
                card = text[1:-1] if text.strip() else ""
            elif elem.tag == "zpgen_run_info":
                info = json.loads(elem.text or "")
            elif elem.tag in ("header", "init", "event"):
                break
    if info is None:
        raise WriterError(f"{path}: no <zpgen_run_info> in the header (not written by zpgen?)")
    return card, info


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


def _read_root_metadata(path: str) -> tuple[str, dict[str, Any]]:
    import uproot

    with uproot.open(path) as f:
        if "zpgen_run_info" not in f:
            raise WriterError(f"{path}: no zpgen_run_info object (not written by zpgen?)")
        info = json.loads(str(f["zpgen_run_info"]))
        card = str(f["zpgen_card"]) if "zpgen_card" in f else ""
    return card, info


def _read_parquet_metadata(path: str) -> tuple[str, dict[str, Any]]:
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path).metadata or {}
    if b"zpgen.run_info" not in meta:
        raise WriterError(f"{path}: no zpgen.run_info metadata (not written by zpgen?)")
    return meta.get(b"zpgen.card", b"").decode(), json.loads(meta[b"zpgen.run_info"])


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Run metadata of a zpgen output file of any supported format.

    Raises
    ------
    WriterError
        One line naming the file: missing, not a regular file, not a file of its suffix's
        format, truncated or corrupt, or not written by zpgen.
    """
    path = check_input_file(path)
    fmt = format_of(path)
    readers = {"root": _read_root_metadata, "parquet": _read_parquet_metadata,
               "hepmc3": _read_hepmc, "lhe": _read_lhe}
    try:
        card, info = readers[fmt](path)
    except WriterError:
        raise
    except Exception as exc:  # whatever the format library raises on a bad file
        raise WriterError(f"{path}: not a readable {fmt} file, or truncated or corrupt "
                          f"({_first_line(exc)})") from None
    if not isinstance(info, dict):
        raise WriterError(f"{path}: the zpgen run information is not a JSON object")
    return {"format": fmt, "card": card, "run_info": info}


def _from_root(arrays: Any) -> Any:
    from .root import COUNTER, PARTICLE_PREFIX

    fields = {k: arrays[k] for k in arrays.fields
              if k != COUNTER and not k.startswith(PARTICLE_PREFIX)}
    fields["particles"] = ak.zip({f: arrays[PARTICLE_PREFIX + f] for f in PARTICLE_FIELDS})
    return ak.zip(fields, depth_limit=1)


def _root_chunks(path: str, step_size: int) -> Iterator[Any]:
    import uproot

    from .root import TREE

    with uproot.open(path) as f:
        tree = f[TREE]
        if tree.num_entries == 0:
            return
        for arrays in tree.iterate(step_size=step_size, library="ak"):
            yield _from_root(arrays)


def _parquet_chunks(path: str) -> Iterator[Any]:
    import pyarrow.parquet as pq

    n_groups = pq.ParquetFile(path).num_row_groups
    for g in range(n_groups):
        yield ak.from_parquet(path, row_groups=[g])


def iter_chunks(path: str | os.PathLike[str], step_size: int = 100_000) -> Iterator[Any]:
    """Event chunks (awkward Arrays in the generator's chunk format) of a ROOT/Parquet file.

    A file that cannot be read (not of its suffix's format, truncated, corrupt) raises a
    one-line :class:`WriterError` naming it, at whichever chunk the damage is found.
    """
    path = check_input_file(path)
    fmt = format_of(path)
    if fmt not in ("root", "parquet"):
        raise WriterError(f"{path}: reading events back is supported for ROOT and Parquet "
                          f"files only, not {fmt}")
    chunks = _root_chunks(path, step_size) if fmt == "root" else _parquet_chunks(path)
    while True:
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        except Exception as exc:  # whatever the format library raises on a bad file
            raise WriterError(f"{path}: cannot read the events, truncated or corrupt "
                              f"{fmt} file ({_first_line(exc)})") from None
        yield chunk
