"""Reweighting a zpgen file to other couplings (``zpgen reweight``): the engine's part.

The physics is the process plugin's (docs/architecture.md, "Plugins"): a process that can
reweight has the optional classmethod ``reweighter(old_card, new_card, channels)``
(:class:`zpgen.registry.Process`), whose object gives, per chunk, the factors ``r`` that
take ``w`` and ``w_xsec`` to the new couplings and the events with their decay vertices at
the new decay lengths (``reweight(chunk) -> (r, chunk)``).  This module reads the file
through the writers' own read path (:func:`zpgen.writers.read.read_metadata`,
:func:`~zpgen.writers.read.iter_chunks`), rebuilds the file's card from its stored text
(:func:`zpgen.card.card_from_stored`), checks everything before the first event and writes
through the atomic writers:

* the file must come from this zpgen release (its kernels and event record) and name a
  process that can reweight; the ``--set`` overrides may change the process's model only
  (``model.*``; the process refuses what it cannot reweight, e.g. masses, and says why);
* OUT follows :func:`zpgen.outputs.check_output_path` (never IN, existing only with
  ``overwrite``); with ``add`` and no OUT, IN itself is replaced atomically by a copy with
  one more weight column (named for replacement by ``--add``);
* when a decay length changes, the detector named by the file's card must confirm, event by
  event, that the moved vertices leave its response unchanged (optional detector method
  ``same_response(before, after)``); otherwise the run stops and no file is written.

The output records the new card (stored text and ``card_resolved``), the process's new
model point (``particles``, ``process``), where the events came from (``reweighted_from``:
path, SHA-256, card) and the totals at the new couplings, with Monte Carlo errors from the
events' weights; with ``add`` the file's card is kept and ``weight_columns[NAME]``
describes the added column.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .card import Card, card_from_stored, stored_card_text

__all__ = ["ReweightError", "ReweightPlan", "plan_reweight", "reweight_file"]

#: Card sections a reweighting may touch (the process decides which keys of them).
REWEIGHT_SECTIONS = ("model", "physics")


class ReweightError(ValueError):
    """A reweighting that cannot be done (the message names the file, key or option)."""


@dataclass
class _Tally:
    """Per-channel sums of the reweighted events (for the totals and their errors)."""

    n: int = 0
    w: float = 0.0
    w2: float = 0.0
    xs: float = 0.0
    xs2: float = 0.0

    def error(self, total: float, total2: float) -> float:
        if self.n < 2:
            return math.nan
        return math.sqrt(max(total2 - total * total / self.n, 0.0) * self.n / (self.n - 1))


@dataclass
class ReweightPlan:
    """Everything checked before the first event (:func:`plan_reweight`)."""

    source: Path
    output: Path
    meta: dict[str, Any]
    old_card: Card
    new_card: Card
    sets: tuple[str, ...]
    reweighter: Any
    process: Any
    detector: Any
    add: str | None
    tallies: dict[int, _Tally] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_sets(sets: Sequence[str]) -> None:
    if not sets:
        raise ReweightError("--set: give at least one new coupling, e.g. --set "
                            "model.couplings.g_mu5=2e-5")
    for assignment in sets:
        key = assignment.split("=", 1)[0].strip()
        section = key.split(".", 1)[0]
        if section not in REWEIGHT_SECTIONS:
            raise ReweightError(f"--set {key}: a reweighting changes the process's model "
                                f"(its couplings) only; [{section}] changes need new events: "
                                "run zpgen generate")


def _check_file(path: Path, meta: Mapping[str, Any]) -> None:
    info = meta["run_info"]
    if info.get("generator") != "zpgen":
        raise ReweightError(f"{path}: not written by zpgen (generator "
                            f"{info.get('generator')!r})")
    version = info.get("version")
    if version != __version__:
        raise ReweightError(f"{path}: written by zpgen {version}, this is zpgen "
                            f"{__version__}: the event record and the kernels may differ "
                            "between releases; regenerate it with this release")
    if not isinstance(info.get("channels"), list) or not info["channels"]:
        raise ReweightError(f"{path}: the run document lists no channels")


def plan_reweight(source: str | os.PathLike[str], sets: Sequence[str],
                  output: str | os.PathLike[str] | None = None, *, add: str | None = None,
                  overwrite: bool = False) -> ReweightPlan:
    """Check a reweighting and build everything it needs, before any event is read.

    Raises
    ------
    ReweightError, CardError
        One line naming the file, option or card key (module docstring).
    zpgen.writers.WriterError
        IN is missing or not a readable zpgen file.
    """
    from .outputs import OutputError, check_output_path
    from .registry import load_plugin
    from .writers import writer_class_for_path
    from .writers.read import check_input_file, read_metadata

    src = Path(check_input_file(source))
    _check_sets(sets)
    if add is not None and not (add.isidentifier() and add.isascii()):
        raise ReweightError(f"--add: {add!r} is not a column name (letters, digits, _)")
    meta = read_metadata(src)
    _check_file(src, meta)
    info = meta["run_info"]
    old_card = card_from_stored(meta["card"], info.get("card_resolved"), source=str(src))
    new_card = card_from_stored(meta["card"], None, source=str(src), extra=tuple(sets))
    process = load_plugin("process", old_card.process.name)
    factory = getattr(process, "reweighter", None)
    if factory is None:
        raise ReweightError(f"{src}: the process {old_card.process.name!r} has no "
                            "reweighter(); only regeneration can change its couplings")
    reweighter = factory(old_card, new_card, tuple(info["channels"]))
    columns = set(info.get("columns") or {})
    missing = [c for c in getattr(reweighter, "required_columns", ()) if c not in columns]
    if missing:
        raise ReweightError(f"{src}: lacks the column(s) {', '.join(missing)} that reweighting "
                            "needs (written without them?); regenerate it")
    if add is not None and add in columns:
        raise ReweightError(f"--add {add}: {src} already has a column {add!r}; choose another "
                            "name")
    if output is None:
        if add is None:
            raise ReweightError("OUT: give an output file, or --add NAME to add the weight "
                                "column to IN itself")
        out = src
    else:
        try:
            out = check_output_path(output, overwrite=overwrite, flag="OUT",
                                    inputs={"input file IN": src})
        except OutputError as exc:
            raise ReweightError(str(exc)) from None
        try:
            writer_class_for_path(out)
        except Exception as exc:
            raise ReweightError(f"OUT: {exc}") from None
    detector = None
    if getattr(reweighter, "moves_vertices", False):
        detector = load_plugin("detector", old_card.detector["name"]).from_options(
            old_card.detector)
        if getattr(detector, "same_response", None) is None:
            raise ReweightError(f"{', '.join(reweighter.changed)}: the new couplings change "
                                "decay lengths, so decay vertices move, and the detector "
                                f"{old_card.detector['name']!r} cannot tell whether its "
                                "stored response still holds (no same_response()); "
                                "run zpgen generate")
    return ReweightPlan(src, out, meta, old_card, new_card, tuple(sets), reweighter,
                        process.from_card(new_card), detector, add)


def _rewrite(chunk: Any, r: np.ndarray, moved: Any, add: str | None) -> Any:
    import awkward as ak

    if add is not None:
        fields = {k: chunk[k] for k in chunk.fields}
        fields[add] = np.asarray(ak.to_numpy(chunk["w"]), dtype=np.float64) * r
        return ak.zip(fields, depth_limit=1)
    fields = {k: moved[k] for k in moved.fields}
    fields["w"] = np.asarray(ak.to_numpy(moved["w"]), dtype=np.float64) * r
    fields["w_xsec"] = np.asarray(ak.to_numpy(moved["w_xsec"]), dtype=np.float64) * r
    return ak.zip(fields, depth_limit=1)


def _tally(plan: ReweightPlan, chunk: Any, w_new: np.ndarray, xs_new: np.ndarray) -> None:
    import awkward as ak

    channel = np.asarray(ak.to_numpy(chunk["channel"]), dtype=np.int64)
    for ch in np.unique(channel):
        sel = channel == ch
        t = plan.tallies.setdefault(int(ch), _Tally())
        t.n += int(sel.sum())
        t.w += float(w_new[sel].sum())
        t.w2 += float(np.dot(w_new[sel], w_new[sel]))
        t.xs += float(xs_new[sel].sum())
        t.xs2 += float(np.dot(xs_new[sel], xs_new[sel]))


def _totals(plan: ReweightPlan, n_events: int, sum_w_old: float, sum_w2: float
            ) -> dict[str, Any]:
    """Totals at the new couplings, with Monte Carlo errors from the events' weights."""
    names = list(plan.meta["run_info"]["channels"])
    sig = {names[c]: t.xs for c, t in sorted(plan.tallies.items())}
    sig_err = {names[c]: t.error(t.xs, t.xs2) for c, t in sorted(plan.tallies.items())}
    exp_err = [t.error(t.w, t.w2) for t in plan.tallies.values()]
    total = sum(t.w for t in plan.tallies.values())
    return {
        "n_events": n_events, "sum_w": total, "sum_w_xsec": sum(sig.values()),
        "sigma_cm2": sig, "sigma_err_cm2": sig_err,
        "expected_events": total,
        "expected_events_err": math.sqrt(sum(e * e for e in exp_err if math.isfinite(e))),
        "expected_events_before": sum_w_old,
        "ess": total * total / sum_w2 if sum_w2 > 0 else math.nan,
        "errors": "Monte Carlo errors from the reweighted events' weights, per channel",
    }


def _run_info(plan: ReweightPlan) -> dict[str, Any]:
    """The run document of OUT (the totals-dependent entries are added before close)."""
    from .production import current_command

    info = dict(plan.meta["run_info"])
    for key in ("totals", "written", "columns", "weights", "format", "zpgen_metadata_version"):
        info.pop(key, None)
    origin = {"path": os.fspath(plan.source), "sha256": _sha256(plan.source),
              "card_resolved": plan.old_card.as_dict(), "set": list(plan.sets),
              "command": current_command(), "reweighter": dict(plan.reweighter.describe())}
    if plan.add is not None:
        info["card"] = plan.meta["card"]
        columns = dict(info.get("weight_columns") or {})
        columns[plan.add] = {
            **origin, "card_resolved_new": plan.new_card.as_dict(),
            "process": dict(plan.process.info()),
            "vertices": ("the record's decay vertices are those of the file's card; the "
                         "detector confirmed, event by event, that its response is the same "
                         "at the new decay lengths") if plan.detector is not None
            else "the decay lengths do not change"}
        info["weight_columns"] = columns
        docs = dict(info.get("column_docs") or {})
        docs[plan.add] = ["events", f"w reweighted with --set {' '.join(plan.sets)} (zpgen "
                          f"reweight; run document: weight_columns.{plan.add})"]
        info["column_docs"] = docs
        return info
    info["card"] = stored_card_text(plan.new_card,
                                    source=f"zpgen reweight of {plan.source.name}")
    info["card_resolved"] = plan.new_card.as_dict()
    info["card_dict"] = plan.new_card.as_dict()
    info["particles"] = {str(p): v.as_dict() for p, v in plan.process.particles().items()}
    info["process"] = dict(plan.process.info())
    info["reweighted_from"] = origin
    info["command"] = origin["command"]
    if dict(info.get("event_weights") or {}).get("unweighted"):
        info["event_weights"] = {"unweighted": False,
                                 "note": "reweighted from an unweighted file: the weights "
                                         "are no longer equal"}
    return info


def _lengths(plan: ReweightPlan) -> str:
    d = dict(plan.reweighter.describe())
    a = dict(d.get("from", {}).get("ctau_cm", {}))
    b = dict(d.get("to", {}).get("ctau_cm", {}))
    parts = [f"c tau({k}) {a[k]:.3g} -> {b[k]:.3g} cm" for k in a
             if k in b and a[k] is not None and b[k] is not None and a[k] != b[k]]
    return ", ".join(parts) or "decay lengths changed"


def _check_detector(plan: ReweightPlan, before: Any, after: Any) -> None:
    """Refuse (no file written) when moved vertices change the detector's response."""
    if plan.detector is None or after is before:
        return
    same = np.asarray(plan.detector.same_response(before, after), dtype=bool)
    changed = int((~same).sum())
    if changed:
        raise ReweightError(
            f"{changed} event(s) of {plan.source} (counted up to the first chunk that has "
            f"any) would look different to the detector "
            f"{plan.old_card.detector['name']!r} at the new decay lengths ({_lengths(plan)}): "
            "a visible particle moves across its visibility boundary, so the stored response "
            "would be wrong; run zpgen generate at the new couplings (no file was written)")


def reweight_file(plan: ReweightPlan, step_size: int = 100_000) -> dict[str, Any]:
    """Run a checked plan (:func:`plan_reweight`): read IN, write OUT atomically; returns
    the totals at the new couplings (``expected_events``, its error, ``sigma_cm2`` per
    channel, ``ess`` of the new weights, ``expected_events_before``).

    Raises :class:`ReweightError` (no file written) when the detector reports that moved
    decay vertices change its response for some event.
    """
    import awkward as ak

    from .writers import writer_for_path
    from .writers.read import iter_chunks

    n, sum_w_old, sum_w2 = 0, 0.0, 0.0
    info = _run_info(plan)
    with writer_for_path(plan.output) as writer:
        writer.open(plan.output, info)
        for chunk in iter_chunks(plan.source, step_size=step_size):
            r, moved = plan.reweighter.reweight(chunk)
            _check_detector(plan, chunk, moved)
            w_old = np.asarray(ak.to_numpy(chunk["w"]), dtype=np.float64)
            w_new = w_old * r
            _tally(plan, chunk, w_new,
                   np.asarray(ak.to_numpy(chunk["w_xsec"]), dtype=np.float64) * r)
            n += len(chunk)
            sum_w_old += float(w_old.sum())
            sum_w2 += float(np.dot(w_new, w_new))
            writer.write(_rewrite(chunk, r, moved, plan.add))
        new = _totals(plan, n, sum_w_old, sum_w2)
        summary = {k: new[k] for k in ("expected_events", "expected_events_err", "sigma_cm2",
                                       "sigma_err_cm2", "ess", "expected_events_before")}
        if plan.add is not None:
            totals = dict(plan.meta["run_info"].get("totals") or {})
            totals["n_events"] = n
            writer.run_info["weight_columns"][plan.add].update(summary)
        else:
            totals = new
            writer.run_info["reweighted_from"].update(summary)
        writer.close(totals)
    return new
