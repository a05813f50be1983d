"""Adapted grids ("gridpacks"): adapt once with ``zpgen adapt``, generate many jobs from it.

docs/architecture.md, "Scale and merging jobs".  A grid file holds everything a job needs
to draw events without re-running VEGAS: the adapted VEGAS map of every open channel (its
grid arrays), each channel's integral with its error, the rate allocation inputs (POT, targets, flux
integral), the resolved card, the fingerprints of the input files (:mod:`zpgen.fingerprints`)
and the zpgen version.  Grid files are data only: numbers and text, never code.

File format (version :data:`FORMAT_VERSION`)
--------------------------------------------
::

    ZPGEN-GRID\\n                      magic line (:data:`MAGIC`)
    {JSON header}\\n                   one line of UTF-8 JSON, see below
    <payload>                         a NumPy .npz archive, ``payload_bytes`` long

Header keys: ``format`` (``"zpgen-grid"``), ``format_version``, ``zpgen_version``,
``created`` (UTC ISO 8601), ``card_hash`` (:func:`card_hash`), ``payload_bytes``,
``payload_sha256`` (hex digest of the payload; also the grid's identity, written into the
``run_info`` of every output made from it), ``channels`` and ``integrals`` (for people
reading the header with ``head -2``).

The payload is an uncompressed .npz (zip of ``.npy`` arrays, fixed time stamps, so the same
adaptation gives the same bytes) read with ``numpy.load(..., allow_pickle=False)``:

``meta``
    uint8 array: UTF-8 JSON with ``card_text``, ``card_source``, ``card_overrides``,
    ``card_dict`` (resolved card, ``Card.as_dict``), ``seed`` (the root seed of the
    adaptation), ``nitn``, ``neval``, ``nitn_final``, ``pot``, ``targets``, ``flux_total``,
    ``process_info``, ``inputs`` (``{label: {"path", "bytes", "sha256"}}``) and
    ``channels``: a list of ``{name, index, dim, mean, sdev, chi2_dof, Q, nitn, neval,
    seconds, history}``.
``map_grid_<k>``, ``map_ninc_<k>``
    float64 ``(dim, n + 1)`` node array and int64 ``(dim,)`` increment counts of the frozen
    ``vegas.AdaptiveMap`` of channel ``k`` of that list (row ``d`` holds
    ``ninc[d] + 1`` nodes from 0 to 1).  :func:`load_grid` rebuilds the map with
    ``vegas.AdaptiveMap([grid[d, :ninc[d] + 1] for d ...])``, which reproduces the nodes
    and increments bit for bit, so events from a grid equal those of the in-process
    adaptation.  The VEGAS stratification is not stored (events use the map only); to
    adapt further, build ``vegas.Integrator(grid.channels[k]["map"])``.

Trust
-----
A grid is read as data: the payload is a zip of ``.npy`` arrays of the expected names,
dtypes and shapes, each member at most :data:`MAX_MEMBER_BYTES`; anything else (a pickle,
an object array, an unexpected member, a map whose nodes are not increasing from 0 to 1,
non-finite integrals) is refused before any value is used.  The SHA-256 in the header
proves the file is intact (not truncated or corrupted in a copy), **not** who made it:
anyone can write a valid header for a payload of their choice.  Since a grid cannot carry
code, the worst a hostile grid can do is give wrong numbers; its inputs' fingerprints and
its card are shown by ``zpgen info``-style tools and checked against the run.

Compatibility
-------------
:func:`load_grid` refuses, with a :class:`GridError` naming the problem, a file that is not
a grid (no magic line), a header that is not JSON, another ``format_version`` (version 1
grids were pickles: they are refused without being read), a grid written by another zpgen
``major.minor`` release (the integrand may have changed), a payload shorter than announced
(truncated copy) or whose SHA-256 does not match (corrupt), and a payload that is not the
data described above.  :meth:`Grid.check_card` refuses a card whose physics-relevant
content (everything but ``[run]`` and ``[output]``) differs from the grid's, naming the
first differing key; :meth:`Grid.check_inputs` refuses input files whose content changed.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import math
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import __version__, fingerprints, tempfiles
from .card import Card, parse_card
from .card import card_differences as _card_differences

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "Grid",
    "GridError",
    "card_differences",
    "card_hash",
    "load_grid",
    "physics_card_dict",
    "save_grid",
]

MAGIC = b"ZPGEN-GRID\n"
FORMAT_VERSION = 2
#: Largest grid file read (a grid of the four channels is a few hundred kB).
MAX_GRID_BYTES = 64 << 20
#: Largest member of the payload archive (uncompressed).
MAX_MEMBER_BYTES = 16 << 20
#: Largest dimension of a channel's hypercube.
MAX_DIM = 64
#: Keys every payload and every channel entry of a payload must have.
PAYLOAD_KEYS = ("card_text", "card_overrides", "card_dict", "seed", "nitn", "neval",
                "nitn_final", "pot", "targets", "flux_total", "inputs", "channels")
CHANNEL_KEYS = ("name", "index", "dim", "mean", "sdev", "chi2_dof", "Q", "nitn", "neval",
                "seconds")
#: Card sections that do not change the adapted grid.
NON_PHYSICS_SECTIONS = ("run", "output")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class GridError(ValueError):
    """A grid file cannot be used (corrupt, truncated, incompatible, other card)."""


def physics_card_dict(card: Card | Mapping[str, Any]) -> dict[str, Any]:
    """The card's resolved dict without the sections that do not affect the physics."""
    d = card.as_dict() if isinstance(card, Card) else dict(card)
    return {k: v for k, v in d.items() if k not in NON_PHYSICS_SECTIONS}


def card_hash(card: Card | Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of :func:`physics_card_dict`."""
    text = json.dumps(physics_card_dict(card), sort_keys=True, default=repr,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def card_differences(a: Mapping[str, Any], b: Mapping[str, Any]
                     ) -> list[tuple[str, Any, Any]]:
    """``(dotted key, value in a, value in b)`` for every differing physics key
    (:func:`zpgen.card.card_differences` of :func:`physics_card_dict`)."""
    return _card_differences(physics_card_dict(a), physics_card_dict(b))


def _release(version: str) -> tuple[str, ...]:
    return tuple(version.split("+")[0].split(".")[:2])


@dataclass
class Grid:
    """An adapted grid in memory (module docstring); build with :func:`load_grid`.

    ``payload`` is the ``meta`` document; ``channels`` its channel entries, each with the
    rebuilt ``vegas.AdaptiveMap`` under ``"map"``.
    """

    path: str
    header: dict[str, Any]
    payload: dict[str, Any]
    channels: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        """Identity of the grid (SHA-256 of its payload)."""
        return str(self.header["payload_sha256"])

    @property
    def card_hash(self) -> str:
        return str(self.header["card_hash"])

    @property
    def seed(self) -> int:
        return int(self.payload["seed"])

    @property
    def inputs(self) -> dict[str, Any]:
        """Fingerprints of the input files the grid was adapted with."""
        return dict(self.payload["inputs"])

    def card(self) -> Card:
        """The card the grid was adapted with (text and ``--set`` overrides re-parsed)."""
        card = parse_card(self.payload["card_text"] or None,
                          tuple(self.payload.get("card_overrides", ())),
                          source=f"grid {self.path} (card {self.payload.get('card_source')})")
        if card_hash(card) != self.card_hash:
            raise GridError(f"{self.path}: the stored card does not reproduce the grid's card "
                            "hash (edited payload or changed card defaults); re-run zpgen adapt")
        return card

    def check_card(self, card: Card) -> None:
        """Raise :class:`GridError` naming the first differing key if ``card`` differs."""
        if card_hash(card) == self.card_hash:
            return
        diff = card_differences(self.payload["card_dict"], card.as_dict())
        if diff:
            key, in_grid, in_card = diff[0]
            more = f" (and {len(diff) - 1} more)" if len(diff) > 1 else ""
            raise GridError(f"grid {self.path} was adapted for a different card: {key} = "
                            f"{in_grid!r} in the grid, {in_card!r} in the card{more}; "
                            "re-run zpgen adapt with this card")
        raise GridError(f"grid {self.path} was adapted for a different card (hash mismatch)")

    def check_inputs(self, current: Mapping[str, Any]) -> None:
        """Raise :class:`GridError` naming the first input file whose content changed."""
        try:
            fingerprints.compare(self.inputs, current, f"grid {self.path}")
        except fingerprints.InputChanged as exc:
            raise GridError(f"{exc}; re-run zpgen adapt") from None

    def info(self) -> dict[str, Any]:
        """JSON-compatible description stored in the ``run_info`` of outputs."""
        return {"path": self.path, "sha256": self.sha256, "card_hash": self.card_hash,
                "format_version": self.header["format_version"],
                "zpgen_version": self.header["zpgen_version"], "seed": self.seed,
                "nitn": self.payload["nitn"], "neval": self.payload["neval"],
                "nitn_final": self.payload["nitn_final"]}


# ------------------------------------------------------------------------------- writing
def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON data: {type(obj).__name__}")


def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """An uncompressed .npz with fixed time stamps (the same arrays give the same bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            with zf.open(zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME), "w") as fh:
                np.lib.format.write_array(fh, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def save_grid(path: str | os.PathLike[str], card: Card, engine: Any) -> dict[str, Any]:
    """Write the adapted channels of ``engine`` (an adapted ``EventGenerator``) to ``path``.

    Written atomically (:mod:`zpgen.tempfiles`).  Returns the header.
    """
    engine.adapt()
    s = engine.summary
    channels: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    for name in s.channels:
        ad = engine.adapted.get(name)
        if ad is None:
            continue
        grid, _, ninc = ad.map_arrays()
        k = len(channels)
        arrays[f"map_grid_{k}"] = np.asarray(grid, dtype=np.float64)
        arrays[f"map_ninc_{k}"] = np.asarray(ninc, dtype=np.int64)
        channels.append({"name": name, "index": ad.index, "dim": ad.dim, "mean": ad.mean,
                         "sdev": ad.sdev, "chi2_dof": ad.chi2_dof, "Q": ad.Q,
                         "nitn": ad.nitn, "neval": ad.neval, "seconds": ad.seconds,
                         "history": [list(h) for h in ad.history]})
    meta = {
        "card_text": card.text, "card_source": card.source,
        "card_overrides": list(card.overrides), "card_dict": card.as_dict(),
        "seed": engine.seed, "nitn": engine.nitn, "neval": engine.neval,
        "nitn_final": engine.nitn_final, "pot": s.pot, "targets": dict(s.targets),
        "flux_total": s.flux_total, "process_info": dict(s.process_info),
        "inputs": dict(engine.inputs), "channels": channels,
    }
    text = json.dumps(meta, default=_json_default, sort_keys=True)
    blob = _npz_bytes({"meta": np.frombuffer(text.encode("utf-8"), dtype=np.uint8), **arrays})
    header = {
        "format": "zpgen-grid", "format_version": FORMAT_VERSION,
        "zpgen_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "card_hash": card_hash(card), "payload_bytes": len(blob),
        "payload_sha256": hashlib.sha256(blob).hexdigest(),
        "channels": [c["name"] for c in channels],
        "integrals": {c["name"]: [c["mean"], c["sdev"]] for c in channels},
    }
    tempfiles.atomic_write_bytes(path, MAGIC + json.dumps(header).encode() + b"\n" + blob)
    return header


# ------------------------------------------------------------------------------- reading
def _read(path: str) -> bytes:
    try:
        size = os.stat(path).st_size
        if size > MAX_GRID_BYTES:
            raise GridError(f"{path}: {size} bytes, larger than any zpgen grid "
                            f"({MAX_GRID_BYTES} bytes at most); not a grid file")
        with open(path, "rb") as fh:
            return fh.read(MAX_GRID_BYTES + 1)
    except FileNotFoundError:
        raise GridError(f"grid file {path!r} does not exist; make one with "
                        "`zpgen adapt [CARD] -o GRID`") from None
    except IsADirectoryError:
        raise GridError(f"grid file {path!r} is a directory") from None
    except OSError as exc:
        raise GridError(f"grid file {path!r} cannot be read: {exc.strerror or exc}") from None


def _header(path: str, data: bytes) -> tuple[dict[str, Any], bytes]:
    """The verified header and the payload bytes (magic, versions, length, SHA-256)."""
    if not data.startswith(MAGIC):
        raise GridError(f"{path}: not a zpgen grid file (no {MAGIC.strip().decode()} magic "
                        "line); make one with `zpgen adapt`")
    end = data.find(b"\n", len(MAGIC))
    if end < 0:
        raise GridError(f"{path}: truncated grid file (header line incomplete)")
    try:
        header = json.loads(data[len(MAGIC):end])
        if not isinstance(header, dict):
            raise ValueError("header is not a JSON object")
        version = int(header["format_version"])
        n_bytes = int(header["payload_bytes"])
        digest = str(header["payload_sha256"])
        made_by = str(header["zpgen_version"])
        str(header["card_hash"])
    except (ValueError, KeyError, TypeError) as exc:
        raise GridError(f"{path}: corrupt grid header ({exc})") from None
    if version != FORMAT_VERSION:
        old = " (version 1 grids are pickles, which zpgen no longer reads)" if version == 1 else ""
        raise GridError(f"{path}: grid format version {version}, this zpgen ({__version__}) "
                        f"reads version {FORMAT_VERSION}{old}; re-run zpgen adapt")
    if _release(made_by) != _release(__version__):
        raise GridError(f"{path}: grid made by zpgen {made_by}, incompatible with zpgen "
                        f"{__version__} (the major.minor release must match); re-run "
                        "zpgen adapt")
    blob = data[end + 1:]
    if len(blob) < n_bytes:
        raise GridError(f"{path}: truncated grid file ({len(blob)} of {n_bytes} payload "
                        "bytes)")
    if len(blob) > n_bytes:
        raise GridError(f"{path}: corrupt grid file ({len(blob) - n_bytes} bytes after the "
                        "payload)")
    if hashlib.sha256(blob).hexdigest() != digest:
        raise GridError(f"{path}: corrupt grid file (payload SHA-256 does not match the "
                        "header)")
    return header, blob


def _arrays(path: str, blob: bytes) -> dict[str, np.ndarray]:
    """The payload's arrays, read as data only (module docstring, "Trust")."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise GridError(f"{path}: grid payload is not a NumPy .npz archive ({exc}); refused "
                        "without reading it") from None
    for info in members:
        if not info.filename.endswith(".npy") or "/" in info.filename:
            raise GridError(f"{path}: unexpected member {info.filename!r} in the grid payload; "
                            "refused")
        if info.file_size > MAX_MEMBER_BYTES:
            raise GridError(f"{path}: grid payload member {info.filename!r} has "
                            f"{info.file_size} bytes (at most {MAX_MEMBER_BYTES}); refused")
    out: dict[str, np.ndarray] = {}
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            for name in npz.files:
                out[name] = np.asarray(npz[name])
    except ValueError as exc:  # object arrays need pickle: refused by allow_pickle=False
        raise GridError(f"{path}: grid payload holds data that is not plain numbers "
                        f"({exc}); refused") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise GridError(f"{path}: corrupt grid payload ({exc})") from None
    return out


def _number(path: str, where: str, value: Any, lo: float = -math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or value < lo:
        raise GridError(f"{path}: grid value {where} = {value!r} is not a finite number"
                        + (f" >= {lo}" if lo > -math.inf else ""))
    return float(value)


def _integer(path: str, where: str, value: Any, lo: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise GridError(f"{path}: grid value {where} = {value!r} is not an integer >= {lo}")
    return value


def _meta(path: str, arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The ``meta`` document, with the type of every key the engine uses checked."""
    raw = arrays.get("meta")
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise GridError(f"{path}: grid payload has no meta document; re-run zpgen adapt")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise GridError(f"{path}: grid meta document is not JSON ({exc})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("channels"), list):
        raise GridError(f"{path}: corrupt grid payload (no channel list)")
    missing = [k for k in PAYLOAD_KEYS if k not in meta]
    if missing:
        raise GridError(f"{path}: incomplete grid payload (no {', '.join(missing)}); re-run "
                        "zpgen adapt")
    if not isinstance(meta["card_text"], str) or not isinstance(meta["card_dict"], dict) \
            or not isinstance(meta["card_overrides"], list) \
            or not all(isinstance(o, str) for o in meta["card_overrides"]):
        raise GridError(f"{path}: corrupt grid payload (card)")
    _integer(path, "seed", meta["seed"])
    for key in ("nitn", "neval", "nitn_final"):
        _integer(path, key, meta[key])
    _number(path, "pot", meta["pot"], 0.0)
    _number(path, "flux_total", meta["flux_total"], 0.0)
    if not isinstance(meta["targets"], dict):
        raise GridError(f"{path}: corrupt grid payload (targets)")
    for name, value in meta["targets"].items():
        _number(path, f"targets.{name}", value, 0.0)
    inputs = meta["inputs"]
    if not isinstance(inputs, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("sha256"), str)
            and isinstance(v.get("path"), str) for v in inputs.values()):
        raise GridError(f"{path}: corrupt grid payload (input fingerprints)")
    for entry in meta["channels"]:
        if not isinstance(entry, dict):
            raise GridError(f"{path}: corrupt grid payload (channel entry)")
        lacking = [k for k in CHANNEL_KEYS if k not in entry]
        if lacking:
            raise GridError(f"{path}: incomplete grid payload (channel "
                            f"{entry.get('name', '?')} has no {', '.join(lacking)}); re-run "
                            "zpgen adapt")
        name = entry["name"]
        if not isinstance(name, str):
            raise GridError(f"{path}: corrupt grid payload (channel name {name!r})")
        _integer(path, f"{name}.index", entry["index"])
        _integer(path, f"{name}.dim", entry["dim"], 1)
        for key in ("mean", "sdev"):
            _number(path, f"{name}.{key}", entry[key], 0.0)
        history = entry.get("history", [])
        if not isinstance(history, list) or not all(
                isinstance(h, list) and len(h) == 2
                and all(isinstance(v, int | float) for v in h) for h in history):
            raise GridError(f"{path}: corrupt grid payload (history of channel {name})")
    return meta


def _adaptive_map(path: str, name: str, dim: int, grid: np.ndarray | None,
                  ninc: np.ndarray | None) -> Any:
    """The channel's ``vegas.AdaptiveMap`` rebuilt from its arrays, after checking them."""
    import vegas

    if grid is None or ninc is None:
        raise GridError(f"{path}: incomplete grid payload (channel {name} has no map); re-run "
                        "zpgen adapt")
    if dim > MAX_DIM or grid.dtype != np.float64 or grid.ndim != 2 or grid.shape[0] != dim \
            or grid.shape[1] < 2 or ninc.ndim != 1 or ninc.shape != (dim,) \
            or ninc.dtype.kind not in "iu":
        raise GridError(f"{path}: map of channel {name} has the wrong shape or type "
                        f"(nodes {grid.dtype} {grid.shape}, counts {ninc.dtype} {ninc.shape} "
                        f"for dimension {dim})")
    rows = []
    for d in range(dim):
        n = int(ninc[d])
        if not 1 <= n <= grid.shape[1] - 1:
            raise GridError(f"{path}: map of channel {name}: {n} increments in dimension {d}, "
                            f"the node array holds {grid.shape[1] - 1}")
        row = grid[d, :n + 1]
        if not (np.all(np.isfinite(row)) and row[0] == 0.0 and row[-1] == 1.0
                and np.all(np.diff(row) > 0.0)):
            raise GridError(f"{path}: map of channel {name}, dimension {d}: the nodes must "
                            "increase strictly from 0 to 1")
        rows.append(np.array(row))
    return vegas.AdaptiveMap(rows)


def load_grid(path: str | os.PathLike[str]) -> Grid:
    """Read and verify a grid file (module docstring, "Trust" and "Compatibility")."""
    path = os.fspath(path)
    header, blob = _header(path, _read(path))
    arrays = _arrays(path, blob)
    meta = _meta(path, arrays)
    n = len(meta["channels"])
    expected = {"meta"} | {f"map_{kind}_{k}" for k in range(n) for kind in ("grid", "ninc")}
    extra = sorted(set(arrays) - expected)
    if extra:
        raise GridError(f"{path}: unexpected array(s) {', '.join(extra)} in the grid payload; "
                        "refused")
    channels = []
    for k, entry in enumerate(meta["channels"]):
        amap = _adaptive_map(path, entry["name"], entry["dim"], arrays.get(f"map_grid_{k}"),
                             arrays.get(f"map_ninc_{k}"))
        channels.append({**entry, "map": amap,
                         "history": [tuple(h) for h in entry.get("history", [])]})
    meta["channels"] = channels
    return Grid(path=path, header=header, payload=meta, channels=channels)
