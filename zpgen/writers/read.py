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

__all__ = ["format_of", "iter_chunks", "read_metadata"]


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


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Run metadata of a zpgen output file of any supported format."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    fmt = format_of(path)
    if fmt == "root":
        import uproot

        with uproot.open(path) as f:
            if "zpgen_run_info" not in f:
                raise WriterError(f"{path}: no zpgen_run_info object (not written by zpgen?)")
            info = json.loads(str(f["zpgen_run_info"]))
            card = str(f["zpgen_card"]) if "zpgen_card" in f else ""
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        meta = pq.read_metadata(path).metadata or {}
        if b"zpgen.run_info" not in meta:
            raise WriterError(f"{path}: no zpgen.run_info metadata (not written by zpgen?)")
        info = json.loads(meta[b"zpgen.run_info"])
        card = meta.get(b"zpgen.card", b"").decode()
    elif fmt == "hepmc3":
        card, info = _read_hepmc(path)
    else:
        card, info = _read_lhe(path)
    return {"format": fmt, "card": card, "run_info": info}


def _from_root(arrays: Any) -> Any:
    from .root import COUNTER, PARTICLE_PREFIX

    fields = {k: arrays[k] for k in arrays.fields
              if k != COUNTER and not k.startswith(PARTICLE_PREFIX)}
    fields["particles"] = ak.zip({f: arrays[PARTICLE_PREFIX + f] for f in PARTICLE_FIELDS})
    return ak.zip(fields, depth_limit=1)


def iter_chunks(path: str | os.PathLike[str], step_size: int = 100_000) -> Iterator[Any]:
    """Event chunks (awkward Arrays in the generator's chunk format) of a ROOT/Parquet file."""
    path = os.fspath(path)
    fmt = format_of(path)
    if fmt == "root":
        import uproot

        from .root import TREE

        with uproot.open(path) as f:
            tree = f[TREE]
            if tree.num_entries == 0:
                return
            for arrays in tree.iterate(step_size=step_size, library="ak"):
                yield _from_root(arrays)
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        n_groups = pq.ParquetFile(path).num_row_groups
        for g in range(n_groups):
            yield ak.from_parquet(path, row_groups=[g])
    else:
        raise WriterError(f"{path}: reading events back is supported for ROOT and Parquet "
                          f"files only, not {fmt}")
