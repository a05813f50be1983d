"""Parquet output: the chunk records as they are, one row group per chunk.

The awkward layout is kept (event-level columns plus the jagged ``particles`` record:
pdg, status, mother, E/px/py/pz [GeV], x/y/z [cm], t [ns]); ``ak.from_parquet`` returns
exactly the written chunks.  The file footer's key-value metadata holds

``zpgen.card``      the run card (TOML text)
``zpgen.run_info``  JSON run document (version, seed, command, channels, POT, totals,
                    written sums, per-column units and meaning)
``zpgen.units``     JSON ``{column: unit}``

It is written at close (``pyarrow.parquet.ParquetWriter.add_key_value_metadata``), so the
totals are exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import awkward as ak

from ._base import AtomicWriter, WriterError, dumps
from .compression import LevelRange

__all__ = ["ParquetWriter"]


class ParquetWriter(AtomicWriter):
    """Stream events to Parquet via pyarrow, one row group per chunk; atomic.

    Parameters
    ----------
    compression : ``CODEC[:LEVEL]`` (:mod:`zpgen.writers.compression`): ``zstd`` (default,
        Arrow's default level; levels 1-22), ``gzip`` (1-9), ``brotli`` (0-11), ``lz4``,
        ``snappy`` or ``none``
    """

    name = "parquet"
    suffixes = (".parquet", ".pq")
    compressions: ClassVar[Mapping[str, LevelRange]] = {
        "zstd": (1, 22), "gzip": (1, 9), "brotli": (0, 11), "lz4": None, "snappy": None,
        "none": None}
    default_compression = "zstd"

    def __init__(self, compression: str | None = None) -> None:
        super().__init__(compression)
        self._writer: Any = None
        self._schema: Any = None

    def _start(self, tmp_path: Path) -> None:
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise WriterError("parquet output needs pyarrow: pip install pyarrow") \
                from exc

    def _arrow_compression(self) -> dict[str, Any]:
        """pyarrow's ``compression`` and ``compression_level`` for the chosen codec."""
        return {"compression": self.compression.codec,
                "compression_level": self.compression.level}

    def _table(self, chunk: Any) -> Any:
        # to_packed copies strided numpy views (e.g. columns of a 2D array): arrow needs
        # contiguous buffers
        return ak.to_arrow_table(ak.to_packed(chunk), extensionarray=False)

    def _write(self, chunk: Any) -> None:
        import pyarrow.parquet as pq

        table = self._table(chunk)
        if self._writer is None:
            self._schema = table.schema
            assert self.tmp_path is not None
            self._writer = pq.ParquetWriter(str(self.tmp_path), self._schema,
                                            **self._arrow_compression())
        elif not table.schema.equals(self._schema):
            table = table.cast(self._schema)
        self._writer.write_table(table)

    def _finish(self, totals: Mapping[str, Any]) -> None:
        import pyarrow.parquet as pq

        if self._writer is None:  # no events: an empty file with the standard columns
            import pyarrow as pa

            schema = pa.schema([("w", pa.float64()), ("w_xsec", pa.float64()),
                                ("channel", pa.int32()), ("E_nu", pa.float64()),
                                ("t", pa.float64())])
            assert self.tmp_path is not None
            self._writer = pq.ParquetWriter(str(self.tmp_path), schema,
                                            **self._arrow_compression())
        meta = self.metadata(totals)
        units = {k: v["unit"] for k, v in meta["columns"].items()}
        self._writer.add_key_value_metadata({
            "zpgen.card": self.card_text(),
            "zpgen.run_info": dumps(meta),
            "zpgen.units": json.dumps(units, sort_keys=True),
        })
        self._writer.close()
        self._writer = None

    # -- reading back --------------------------------------------------------------------
    @classmethod
    def read_metadata(cls, path: str) -> tuple[str, dict[str, Any]]:
        import pyarrow.parquet as pq

        meta = pq.read_metadata(path).metadata or {}
        if b"zpgen.run_info" not in meta:
            raise WriterError(f"{path}: no zpgen.run_info metadata (not written by zpgen?)")
        return meta.get(b"zpgen.card", b"").decode(), json.loads(meta[b"zpgen.run_info"])

    @classmethod
    def iter_chunks(cls, path: str, step_size: int) -> Iterator[Any]:
        import pyarrow.parquet as pq

        for g in range(pq.ParquetFile(path).num_row_groups):
            yield ak.from_parquet(path, row_groups=[g])

    def _release(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
