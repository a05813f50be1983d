"""Adapted grids ("gridpacks"): adapt once with ``zpgen adapt``, generate many jobs from it.

DESIGN.md "Scale".  A grid file holds everything a job needs to draw events without
re-running VEGAS: the trained ``vegas.Integrator`` of every open channel (pickled; vegas
supports pickling and the events use only its frozen ``map``), each channel's integral
with its error, the rate allocation inputs (POT, targets, flux integral), the resolved
card and the zpgen version.

File format (version :data:`FORMAT_VERSION`)
--------------------------------------------
::

    ZPGEN-GRID\\n                      magic line (:data:`MAGIC`)
    {JSON header}\\n                   one line of UTF-8 JSON, see below
    <payload>                         pickle (protocol 5) of a dict, ``payload_bytes`` long

Header keys: ``format`` (``"zpgen-grid"``), ``format_version``, ``zpgen_version``,
``created`` (UTC ISO 8601), ``card_hash`` (:func:`card_hash`), ``payload_bytes``,
``payload_sha256`` (hex digest of the payload; also the grid's identity, written into the
``run_info`` of every output made from it), ``channels`` and ``integrals`` (for people
reading the header with ``head -2``).

Payload keys: ``card_text``, ``card_source``, ``card_overrides``, ``card_dict``
(resolved card, ``Card.as_dict``), ``seed`` (the root seed of the adaptation),
``nitn``, ``neval``, ``nitn_final``, ``pot``, ``targets``, ``flux_total``,
``process_info`` and ``channels``: a list of dicts ``name, index, dim, integrator, map,
mean, sdev, chi2_dof, Q, nitn, neval, seconds, history``.  ``map`` is the frozen
``vegas.AdaptiveMap`` the events use, pickled on its own: it unpickles bit for bit, while
an unpickled ``Integrator`` re-bins its map (kept for users who want to adapt further).

Compatibility
-------------
:func:`load_grid` refuses, with a :class:`GridError` naming the problem, a file that is not
a grid (no magic line), a header that is not JSON, another ``format_version``, a grid
written by another zpgen ``major.minor`` release (the integrand may have changed), a
payload shorter than announced (truncated copy) or whose SHA-256 does not match
(corrupt), and a payload that does not unpickle.  :meth:`Grid.check_card` refuses a card
whose physics-relevant content (everything but ``[run]`` and ``[output]``) differs from
the grid's, naming the first differing key.

Security: the payload is a pickle; load only grid files you (or your collaboration) made.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import __version__
from .card import Card, flatten, parse_card

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
FORMAT_VERSION = 1
#: Keys every payload and every channel entry of a payload must have.
PAYLOAD_KEYS = ("card_text", "card_overrides", "card_dict", "seed", "nitn", "neval",
                "nitn_final", "channels")
CHANNEL_KEYS = ("name", "index", "dim", "integrator", "map", "mean", "sdev", "chi2_dof", "Q",
                "nitn", "neval", "seconds")
#: Card sections that do not change the adapted grid.
NON_PHYSICS_SECTIONS = ("run", "output")


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
    """``(dotted key, value in a, value in b)`` for every differing physics key."""
    fa = flatten(physics_card_dict(a))
    fb = flatten(physics_card_dict(b))

    def same(x: Any, y: Any) -> bool:  # NaN-aware (e.g. an unset theta_prime)
        return json.dumps(x, default=repr) == json.dumps(y, default=repr)

    return [(k, fa.get(k, "<absent>"), fb.get(k, "<absent>"))
            for k in sorted(set(fa) | set(fb))
            if not same(fa.get(k, "<absent>"), fb.get(k, "<absent>"))]


def _release(version: str) -> tuple[str, ...]:
    return tuple(version.split("+")[0].split(".")[:2])


@dataclass
class Grid:
    """An adapted grid in memory (module docstring); build with :func:`load_grid`."""

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

    def info(self) -> dict[str, Any]:
        """JSON-compatible description stored in the ``run_info`` of outputs."""
        return {"path": self.path, "sha256": self.sha256, "card_hash": self.card_hash,
                "format_version": self.header["format_version"],
                "zpgen_version": self.header["zpgen_version"], "seed": self.seed,
                "nitn": self.payload["nitn"], "neval": self.payload["neval"],
                "nitn_final": self.payload["nitn_final"]}


def save_grid(path: str | os.PathLike[str], card: Card, engine: Any) -> dict[str, Any]:
    """Write the adapted channels of ``engine`` (an adapted ``EventGenerator``) to ``path``.

    Written atomically (temporary name, renamed when complete).  Returns the header.
    """
    engine.adapt()
    s = engine.summary
    channels = []
    for name in s.channels:
        ad = engine.adapted.get(name)
        if ad is None:
            continue
        channels.append({"name": name, "index": ad.index, "integrator": ad.integrator,
                         "map": ad.amap if ad.amap is not None else ad.integrator.map,
                         "mean": ad.mean, "sdev": ad.sdev, "chi2_dof": ad.chi2_dof, "Q": ad.Q,
                         "nitn": ad.nitn, "neval": ad.neval, "seconds": ad.seconds,
                         "history": list(ad.history), "dim": ad.dim})
    payload = {
        "card_text": card.text, "card_source": card.source,
        "card_overrides": list(card.overrides), "card_dict": card.as_dict(),
        "seed": engine.seed, "nitn": engine.nitn, "neval": engine.neval,
        "nitn_final": engine.nitn_final, "pot": s.pot, "targets": dict(s.targets),
        "flux_total": s.flux_total, "process_info": dict(s.process_info),
        "channels": channels,
    }
    blob = pickle.dumps(payload, protocol=5)
    header = {
        "format": "zpgen-grid", "format_version": FORMAT_VERSION,
        "zpgen_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "card_hash": card_hash(card), "payload_bytes": len(blob),
        "payload_sha256": hashlib.sha256(blob).hexdigest(),
        "channels": [c["name"] for c in channels],
        "integrals": {c["name"]: [c["mean"], c["sdev"]] for c in channels},
    }
    path = os.fspath(path)
    tmp = f"{path}.part-{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(MAGIC)
            fh.write(json.dumps(header).encode() + b"\n")
            fh.write(blob)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return header


def load_grid(path: str | os.PathLike[str]) -> Grid:
    """Read and verify a grid file (module docstring, "Compatibility")."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise GridError(f"grid file {path!r} does not exist; make one with "
                        "`zpgen adapt [CARD] -o GRID`") from None
    except IsADirectoryError:
        raise GridError(f"grid file {path!r} is a directory") from None
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
        raise GridError(f"{path}: grid format version {version}, this zpgen ({__version__}) "
                        f"reads version {FORMAT_VERSION}; re-run zpgen adapt")
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
    try:
        payload = pickle.loads(blob)  # checksummed file made by zpgen adapt
    except Exception as exc:  # pragma: no cover - the checksum catches corruption first
        raise GridError(f"{path}: corrupt grid payload ({exc})") from None
    if not isinstance(payload, dict) or "channels" not in payload:
        raise GridError(f"{path}: corrupt grid payload (no channel list)")
    missing = [k for k in PAYLOAD_KEYS if k not in payload]
    if missing:
        raise GridError(f"{path}: incomplete grid payload (no {', '.join(missing)}); re-run "
                        "zpgen adapt")
    for entry in payload["channels"]:
        lacking = [k for k in CHANNEL_KEYS if k not in entry]
        if lacking:
            raise GridError(f"{path}: incomplete grid payload (channel "
                            f"{entry.get('name', '?')} has no {', '.join(lacking)}); re-run "
                            "zpgen adapt")
    return Grid(path=path, header=header, payload=payload, channels=list(payload["channels"]))
