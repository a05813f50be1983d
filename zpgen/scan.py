"""Parameter scans: the grid of card values, the resumable result table, the loop on an
executor.  The engine's part of ``zpgen scan``; what is computed at each point (generation
and a comparison with data) is the caller's (the MiniBooNE comparison:
:mod:`zpgen.detectors.miniboone_scan`).

Grid
----
``--vary KEY=v1,v2,...`` lists values (numbers, or words for string keys such as
``physics.nucleon_model``); ``--vary KEY=start:stop:n`` gives ``n`` evenly spaced numbers
from ``start`` to ``stop`` inclusive, ``KEY=start:stop:n:log`` evenly spaced in log (both
ends > 0).  Several ``--vary`` make the product grid, the first key varying slowest.  Every
value of every key is checked through the card parser (:func:`zpgen.card.parse_card`)
before any work: an unknown key names the closest valid one, a value out of range names
the range, an empty list or range (``n < 1``) is refused.

Table
-----
One row per point: the varied keys (dotted names as columns) and the caller's results.
CSV (``.csv``), Parquet (``.parquet``) or JSON (``.json``: a list of row objects), by the
suffix.  The table is rewritten atomically (:mod:`zpgen.tempfiles`) after every point, so
a stopped scan keeps every finished point, and a scan with the same table resumes: rows
whose varied values are already there are skipped.  The rows also carry the scan's
settings (``scan_settings``: events, seed, statistic, the base card's hash); a table made
with other settings is refused rather than mixed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import os
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .card import Card, CardError, parse_card

__all__ = ["TABLE_SUFFIXES", "ScanTable", "Vary", "base_card_hash", "grid_points",
           "parse_vary", "run_points"]

TABLE_SUFFIXES = (".csv", ".parquet", ".json")
#: Largest number of points of one scan (a guard against a typo such as 0:1:100000).
MAX_POINTS = 100_000
#: Relative tolerance when a resumed table's values are matched to the grid's.
MATCH_RTOL = 1e-12


@dataclass(frozen=True)
class Vary:
    """One ``--vary``: a dotted card key and its values."""

    key: str
    values: tuple[Any, ...]


def _value(raw: str) -> Any:
    """A TOML value, or a bare word as a string (as ``--set`` reads values)."""
    try:
        return tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return raw.strip()


def _number(text: str, what: str, spec: str) -> float:
    value = _value(text)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value):
        raise CardError(f"--vary {spec}: {what} must be a finite number, got {text!r}")
    return float(value)


def parse_vary(spec: str) -> Vary:
    """``KEY=v1,v2,...`` or ``KEY=start:stop:n[:log]`` -> :class:`Vary` (module docstring).

    Raises :class:`CardError` naming the option for a malformed or empty specification
    (the key and the values are checked against the card by :func:`check_grid`).
    """
    if "=" not in spec:
        raise CardError(f"--vary {spec!r}: expected KEY=v1,v2,... or KEY=start:stop:n[:log], "
                        "e.g. --vary model.mzprime=0.02,0.03")
    key, raw = (part.strip() for part in spec.split("=", 1))
    if not key or "." not in key:
        raise CardError(f"--vary {spec!r}: KEY must be a dotted card key such as "
                        "model.mzprime")
    if not raw:
        raise CardError(f"--vary {key}: no values (an empty list)")
    if ":" in raw and "," not in raw:
        parts = raw.split(":")
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3].strip() != "log"):
            raise CardError(f"--vary {key}={raw}: a range is start:stop:n or start:stop:n:log")
        start = _number(parts[0], "start", f"{key}={raw}")
        stop = _number(parts[1], "stop", f"{key}={raw}")
        n_value = _value(parts[2])
        if isinstance(n_value, bool) or not isinstance(n_value, int):
            raise CardError(f"--vary {key}={raw}: n must be an integer, got {parts[2]!r}")
        if n_value < 1:
            raise CardError(f"--vary {key}={raw}: an empty range (n = {n_value}); n must be "
                            ">= 1")
        if n_value > MAX_POINTS:
            raise CardError(f"--vary {key}={raw}: n must be <= {MAX_POINTS}")
        log = len(parts) == 4
        if log and not (start > 0.0 and stop > 0.0):
            raise CardError(f"--vary {key}={raw}: a log range needs start and stop > 0")
        if n_value == 1:
            values: tuple[Any, ...] = (start,)
        elif log:
            a, b = math.log(start), math.log(stop)
            values = tuple(math.exp(a + (b - a) * i / (n_value - 1)) for i in range(n_value))
            values = (start, *values[1:-1], stop)
        else:
            values = tuple(start + (stop - start) * i / (n_value - 1) for i in range(n_value))
            values = (*values[:-1], stop)
        return Vary(key, values)
    items = [item for item in raw.split(",")]
    if any(not item.strip() for item in items):
        raise CardError(f"--vary {key}={raw}: an empty value in the list")
    values = tuple(_value(item) for item in items)
    if len(set(map(repr, values))) != len(values):
        raise CardError(f"--vary {key}={raw}: a value is repeated")
    return Vary(key, values)


def _assignment(key: str, value: Any) -> str:
    if isinstance(value, str):
        return f"{key}={json.dumps(value)}"
    if isinstance(value, bool):
        return f"{key}={'true' if value else 'false'}"
    return f"{key}={value!r}"


def grid_points(varies: Sequence[Vary]) -> list[dict[str, Any]]:
    """The product grid, ``{key: value}`` per point, the first key varying slowest."""
    keys = [v.key for v in varies]
    if len(set(keys)) != len(keys):
        raise CardError(f"--vary: a key is given twice ({', '.join(keys)})")
    total = math.prod(len(v.values) for v in varies)
    if total > MAX_POINTS:
        raise CardError(f"--vary: the grid has {total} points; at most {MAX_POINTS}")
    return [dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(v.values for v in varies))]


def point_overrides(point: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``--set`` assignments of one grid point."""
    return tuple(_assignment(k, v) for k, v in point.items())


def check_grid(text: str | None, overrides: Sequence[str], source: str,
               varies: Sequence[Vary]) -> list[Card]:
    """The card of every point of the grid, each validated (``CardError`` naming the key
    and the allowed range before any work)."""
    cards = []
    for vary in varies:  # each value once: the messages name the --vary, not a point
        for value in vary.values:
            try:
                parse_card(text, (*overrides, _assignment(vary.key, value)), source)
            except CardError as exc:
                raise CardError(f"--vary {vary.key}: {exc}") from None
    for point in grid_points(varies):
        cards.append(parse_card(text, (*overrides, *point_overrides(point)), source))
    return cards


def base_card_hash(card: Card, varied: Iterable[str]) -> str:
    """``sha256:`` and 16 hex digits of the resolved card without the varied keys and the
    run's bookkeeping: two scans share a table only if this agrees."""
    from .card import flatten

    skip = set(varied) | {"run.seed", "run.n_events", "run.output"}
    flat = {k: v for k, v in flatten(card.as_dict()).items() if k not in skip}
    text = json.dumps(flat, sort_keys=True, default=repr)
    # prefixed, so that a CSV reader never takes the digest for a number
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(
            a, bool) and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=MATCH_RTOL, abs_tol=0.0)
    return str(a) == str(b)


class ScanTable:
    """The result table of a scan (module docstring, "Table")."""

    def __init__(self, path: str | os.PathLike[str], keys: Sequence[str],
                 settings: Mapping[str, Any], overwrite: bool = False) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in TABLE_SUFFIXES:
            raise CardError(f"-o: {self.path.name!r}: the table must end in "
                            f"{', '.join(TABLE_SUFFIXES)}")
        self.keys = list(keys)
        self.settings = {k: v for k, v in settings.items()}
        self.rows: list[dict[str, Any]] = []
        if self.path.exists() and not overwrite:
            self.rows = self._read()
            self._check_compatible()

    # -- reading -------------------------------------------------------------------------
    def _read(self) -> list[dict[str, Any]]:
        suffix = self.path.suffix.lower()
        try:
            if suffix == ".csv":
                text = self.path.read_text(encoding="utf-8")
                rows = [{k: _value(v) if v != "" else None for k, v in r.items()}
                        for r in csv.DictReader(io.StringIO(text))]
            elif suffix == ".json":
                rows = json.loads(self.path.read_text(encoding="utf-8"))
                if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                    raise ValueError("not a list of row objects")
            else:
                import pyarrow.parquet as pq

                rows = pq.read_table(self.path).to_pylist()
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise CardError(f"-o: {self.path} exists but is not a scan table of its suffix "
                            f"({' '.join(str(exc).split())}); pass --overwrite to replace "
                            "it") from None
        except Exception as exc:  # pyarrow's own errors on a non-Parquet file
            raise CardError(f"-o: {self.path} exists but is not a readable table ("
                            f"{' '.join(str(exc).split())}); pass --overwrite to replace "
                            "it") from None
        return rows

    def _check_compatible(self) -> None:
        for row in self.rows:
            missing = [k for k in self.keys if k not in row]
            if missing:
                raise CardError(f"-o: {self.path} holds a scan over other keys (no column "
                                f"{missing[0]}); choose another table or pass --overwrite")
            for key, value in self.settings.items():
                if not _same(row.get(key), value):
                    raise CardError(f"-o: {self.path} was made with {key} = "
                                    f"{row.get(key)!r}, this scan has {value!r}; resuming "
                                    "would mix them: use the same settings, another table "
                                    "or --overwrite")

    def done(self, point: Mapping[str, Any]) -> bool:
        """Whether the table already has a row for this point."""
        return any(all(_same(row.get(k), v) for k, v in point.items()) for row in self.rows)

    # -- writing -------------------------------------------------------------------------
    def add(self, row: Mapping[str, Any]) -> None:
        """Append a row and rewrite the table atomically."""
        self.rows.append({**dict(row), **self.settings})
        self.write()

    def sort(self, points: Sequence[Mapping[str, Any]]) -> None:
        """Put the rows in the order of ``points`` (the grid; rows of other points last)
        and rewrite the table (points finish in any order on an executor)."""
        def rank(row: Mapping[str, Any]) -> int:
            for i, point in enumerate(points):
                if all(_same(row.get(k), v) for k, v in point.items()):
                    return i
            return len(points)
        ordered = sorted(self.rows, key=rank)
        if ordered != self.rows:
            self.rows = ordered
            self.write()

    def columns(self) -> list[str]:
        names: list[str] = []
        for row in self.rows:
            for k in row:
                if k not in names:
                    names.append(k)
        return names

    def write(self) -> None:
        from . import signals
        from .tempfiles import create_temporary, publish, remove_quietly

        with signals.deferred():
            tmp = create_temporary(self.path)
        try:
            suffix = self.path.suffix.lower()
            names = self.columns()
            if suffix == ".csv":
                buf = io.StringIO()
                writer = csv.DictWriter(buf, fieldnames=names, lineterminator="\n")
                writer.writeheader()
                for row in self.rows:
                    writer.writerow({k: _csv(row.get(k)) for k in names})
                tmp.write_text(buf.getvalue(), encoding="utf-8")
            elif suffix == ".json":
                tmp.write_text(json.dumps([_json(r) for r in self.rows], indent=1) + "\n",
                               encoding="utf-8")
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pylist([{k: r.get(k) for k in names} for r in self.rows])
                pq.write_table(table, tmp)
            publish(tmp, self.path)
        except BaseException:
            remove_quietly(tmp)
            raise


def _csv(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "nan"
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in row.items()}


def run_points(jobs: Sequence[Any], evaluate: Callable[[Any], dict[str, Any]], *,
               executor: str = "local", workers: int | None = None,
               scheduler: str | None = None) -> Iterator[tuple[Any, dict[str, Any]]]:
    """``(job, result)`` for every job, in completion order, on an executor of
    :func:`zpgen.executors.make_executor` (``evaluate`` must be a picklable top-level
    function for ``processes`` and ``dask``).  An exception or a stop signal cancels the
    jobs not yet started; the running ones end before this returns."""
    from concurrent.futures import as_completed

    from .executors import make_executor

    if not jobs:
        return
    if executor == "local":  # one after the other, each result handed over at once
        for job in jobs:
            yield job, evaluate(job)
        return
    with make_executor(executor, workers, scheduler) as ex:
        futures = {ex.submit(evaluate, job): job for job in jobs}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
