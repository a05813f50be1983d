"""The Python API: :func:`run` generates a sample in memory, :func:`load` reads one from any
output file, and a :class:`Sample` holds the events with what they are.

    import zpgen

    sample = zpgen.run(n_events=20000, seed=1)               # the default card
    df = sample.to_pandas()                                   # one row per event
    df.w.sum()                                                # expected events
    sample.summary["selected_events"]                         # sum(w * w_eff * passes)
    sample.write("run.parquet")                               # any output format
    again = zpgen.load("run.parquet")                         # ROOT, NuHepMC, LHE, Parquet
    other = sample.reweight(["model.couplings.cv_l=5e-4"])    # other couplings, same events

    paper = zpgen.run("paper", n_events=20000, overrides=["model.mzprime=0.02"])

The events are the generator's chunk format (docs/architecture.md, "Event record"):
event columns ``w`` (expected events for the exposure: their sum is the expected number
of signal events before efficiency), ``w_xsec`` (cm^2; summed over a channel's events, its
flux-averaged cross section times the visible branching ratio, per target of that
channel), ``channel``, ``E_nu`` (GeV), ``t`` (GeV^2), the process's truth columns, the
detector's columns (``w_eff``, ``passes``, reconstructed observables) and the jagged
``particles`` record.  Every column's unit and meaning is in ``sample.columns``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .card import PRESETS, Card, CardError, load_card, load_preset

__all__ = ["Sample", "load", "run"]


class Sample:
    """Events with their card and run document (:func:`run`, :func:`load`).

    Attributes
    ----------
    events : awkward.Array
        One record per event (module docstring).
    card : Card or None
        The run card (None for a file whose stored card this zpgen cannot read).
    run_info : dict
        The run document every zpgen file carries (channels, POT, targets, particles,
        provenance; ``zpgen info --json`` prints it).
    source : str
        ``"zpgen.run"`` or the file the sample was loaded from.
    """

    def __init__(self, events: Any, run_info: Mapping[str, Any], card: Card | None,
                 source: str, totals: Mapping[str, Any] | None = None) -> None:
        self.events = events
        self.run_info = dict(run_info)
        self.card = card
        self.source = source
        self._totals = dict(totals or {})

    def __len__(self) -> int:
        return len(self.events)

    def __repr__(self) -> str:
        s = self.summary
        return (f"<zpgen.Sample {len(self)} events from {self.source}: "
                f"{s['expected_events']:.5g} expected events, ESS {s['ess']:.4g}>")

    @property
    def channels(self) -> list[str]:
        """Channel names, indexed by the ``channel`` column."""
        return list(self.run_info.get("channels", []))

    @property
    def columns(self) -> dict[str, dict[str, str]]:
        """``{column: {"unit", "doc"}}`` of the event columns and ``particles.*``."""
        from .writers._base import PARTICLE_FIELDS, column_docs, event_columns

        names = event_columns(self.events) + [f"particles.{f}" for f in PARTICLE_FIELDS]
        return column_docs(names, self.run_info.get("units"),
                           self.run_info.get("column_docs"))

    @property
    def summary(self) -> dict[str, Any]:
        """What the sample predicts, from its events.

        ``expected_events`` (sum of w, before efficiency) and its Monte Carlo error,
        ``selected_events`` (sum of w * w_eff * passes; None without a detector),
        ``sigma_cm2`` per channel (sum of w_xsec: BR_visible x flux-averaged cross section
        per target of the channel), ``ess`` (effective sample size (sum w)^2 / sum w^2),
        per-channel events and ESS, ``n_events``, ``pot``.
        """
        import awkward as ak
        import numpy as np

        ev = self.events
        w = np.asarray(ak.to_numpy(ev["w"]), dtype=np.float64)
        xs = np.asarray(ak.to_numpy(ev["w_xsec"]), dtype=np.float64)
        ch = np.asarray(ak.to_numpy(ev["channel"]), dtype=np.int64)
        names = self.channels or [str(k) for k in np.unique(ch)]
        per: dict[str, dict[str, float]] = {}
        err2 = 0.0
        for k, name in enumerate(names):
            sel = ch == k
            n = int(sel.sum())
            wk = w[sel]
            var = (float(np.dot(wk, wk)) - float(wk.sum()) ** 2 / n) * n / (n - 1) \
                if n > 1 else math.nan
            if math.isfinite(var):
                err2 += max(var, 0.0)
            per[name] = {"n_events": n, "expected_events": float(wk.sum()),
                         "sigma_cm2": float(xs[sel].sum()),
                         "ess": float(wk.sum() ** 2 / np.dot(wk, wk)) if n else math.nan}
        selected = None
        if "w_eff" in ev.fields and "passes" in ev.fields:
            selected = float(np.sum(w * np.asarray(ak.to_numpy(ev["w_eff"]), dtype=np.float64)
                                    * np.asarray(ak.to_numpy(ev["passes"]), dtype=bool)))
        sum_w2 = float(np.dot(w, w))
        return {
            "n_events": int(w.size), "expected_events": float(w.sum()),
            "expected_events_err": math.sqrt(err2), "selected_events": selected,
            "sigma_cm2": {name: c["sigma_cm2"] for name, c in per.items()},
            "ess": float(w.sum()) ** 2 / sum_w2 if sum_w2 > 0 else math.nan,
            "channels": per, "pot": self.run_info.get("pot"),
            "caveats": list(self.run_info.get("caveats", []) or []),
        }

    def to_pandas(self, particles: bool = False) -> Any:
        """The event columns as a pandas DataFrame (one row per event); with
        ``particles=True`` one row per particle instead, with the event's index in the
        column ``event`` (pandas must be installed: ``pip install pandas``)."""
        import awkward as ak
        import numpy as np
        import pandas as pd

        from .writers._base import event_columns

        if not particles:
            return pd.DataFrame({c: ak.to_numpy(self.events[c])
                                 for c in event_columns(self.events)})
        parts = self.events["particles"]
        counts = ak.to_numpy(ak.num(parts, axis=1))
        table = {"event": np.repeat(np.arange(len(counts)), counts)}
        table.update({f: ak.to_numpy(ak.flatten(parts[f], axis=1)) for f in parts.fields})
        return pd.DataFrame(table)

    def reweight(self, overrides: Iterable[str]) -> Sample:
        """The same events at other couplings, same masses (``zpgen reweight`` in memory):
        ``w`` and ``w_xsec`` times the process's exact factors, decay vertices moved to the
        new decay lengths (the process's optional ``reweighter``; ``CardError`` naming what
        cannot be reweighted, e.g. a mass, or when the detector's stored response would no
        longer hold)."""
        import awkward as ak
        import numpy as np

        from .card import card_from_stored, stored_card_text
        from .registry import load_plugin

        if self.card is None:
            raise CardError(f"{self.source}: the sample has no card to reweight from")
        new_card = card_from_stored(stored_card_text(self.card), None, self.card.source,
                                    extra=tuple(overrides))
        process = load_plugin("process", self.card.process.name)
        factory = getattr(process, "reweighter", None)
        if factory is None:
            raise CardError(f"process.name: {self.card.process.name!r} cannot reweight")
        rw = factory(self.card, new_card, tuple(self.channels))
        r, moved = rw.reweight(self.events)
        if moved is not self.events:
            detector = load_plugin("detector", self.card.detector["name"]).from_options(
                self.card.detector)
            same = getattr(detector, "same_response", None)
            if same is None or not bool(np.all(same(self.events, moved))):
                raise CardError(f"{', '.join(rw.changed)}: at the new decay lengths the "
                                "detector would see some events differently; generate them")
        fields = {k: moved[k] for k in moved.fields}
        fields["w"] = np.asarray(ak.to_numpy(moved["w"]), dtype=np.float64) * r
        fields["w_xsec"] = np.asarray(ak.to_numpy(moved["w_xsec"]), dtype=np.float64) * r
        info = dict(self.run_info)
        info.update(card=stored_card_text(new_card), card_resolved=new_card.as_dict(),
                    reweighted_from={"source": self.source, "set": list(overrides),
                                     "reweighter": dict(rw.describe())})
        new_process = process.from_card(new_card)
        info["particles"] = {str(p): v.as_dict() for p, v in new_process.particles().items()}
        return Sample(ak.zip(fields, depth_limit=1), info, new_card,
                      f"{self.source}, reweighted")

    def write(self, path: str | os.PathLike[str], *, overwrite: bool = False,
              fmt: str | None = None) -> Path:
        """Write the sample to ``path`` (format from the suffix or ``fmt``), atomically,
        with its run document; an existing file only with ``overwrite``."""
        from .outputs import check_output_path
        from .writers import writer_for_path

        out = check_output_path(path, overwrite=overwrite, flag="path",
                                inputs={"file this sample was loaded from":
                                        None if self.source == "zpgen.run" else self.source})
        info = dict(self.run_info)
        for key in ("totals", "written", "columns", "weights", "format",
                    "zpgen_metadata_version"):
            info.pop(key, None)
        info.setdefault("card", "")
        info["n_events"] = len(self)
        summary = self.summary
        totals = {**self._totals, "n_events": len(self),
                  "sum_w": summary["expected_events"],
                  "sum_w_xsec": sum(summary["sigma_cm2"].values()),
                  "sigma_cm2": summary["sigma_cm2"],
                  "expected_events": summary["expected_events"]}
        totals.setdefault("expected_events_err", summary["expected_events_err"])
        with writer_for_path(out, fmt) as writer:
            writer.open(out, info)
            step = 20_000
            for start in range(0, len(self), step):
                writer.write(self.events[start:start + step])
            writer.close(totals)
        return out


def _card(card: Card | str | os.PathLike[str] | None, overrides: Sequence[str]) -> Card:
    if isinstance(card, Card):
        if not overrides:
            return card
        from .card import parse_card

        return parse_card(card.text or None, (*card.overrides, *overrides), card.source)
    if isinstance(card, str) and card in PRESETS and not Path(card).is_file():
        return load_preset(card, tuple(overrides))
    return load_card(None if card is None else Path(card), tuple(overrides))


def run(card: Card | str | os.PathLike[str] | None = None, *, n_events: int,
        seed: int | None = None, overrides: Iterable[str] = (), detector: bool = True,
        **options: Any) -> Sample:
    """Generate ``n_events`` weighted events in memory.

    Parameters
    ----------
    card
        ``None`` (the built-in default card), a :class:`zpgen.Card`, the path of a TOML
        card, or the name of a shipped preset (``"default"``, ``"paper"``; an existing file
        of that name wins).
    n_events
        Number of weighted events (>= 1).
    seed
        Root seed (default: the card's ``run.seed``); same card, seed and ``n_events``
        give the events ``zpgen generate`` writes.
    overrides
        ``section.key=value`` assignments, as ``--set`` (e.g. ``["model.mzprime=0.02"]``).
    detector
        Apply the card's detector response (``w_eff``, ``passes``, observables).
    options
        Further keyword arguments of :class:`zpgen.generate.EventGenerator` (``threads``,
        ``nitn``, ``neval``, ``nitn_final``, ``unweighted``, ``grid`` ...).

    Raises
    ------
    CardError
        A bad card, override or argument (naming the field), before any work.
    """
    import awkward as ak

    from .generate import GenerationError, generate
    from .production import run_document

    the_card = _card(card, tuple(overrides))
    try:
        stream = generate(the_card, n_events=n_events, seed=seed, detector=detector, **options)
        chunks = list(stream)
    except GenerationError as exc:
        raise CardError(str(exc)) from None
    engine = stream.engine
    events = chunks[0] if len(chunks) == 1 else ak.concatenate(chunks)
    info = run_document(engine.card, engine, engine.grid, None,
                        command=f"zpgen.run(n_events={n_events}, seed={engine.seed})")
    summary = stream.summary.as_dict()
    totals = {"expected_events_err": summary["expected_events_err"], "run_summary": summary}
    return Sample(events, info, engine.card, "zpgen.run", totals)


def load(path: str | os.PathLike[str], step_size: int = 100_000) -> Sample:
    """A sample from a zpgen output file of any format (ROOT, NuHepMC, LHE, Parquet or an
    installed writer's), read through the writer's own read path
    (:func:`zpgen.writers.read.read_metadata`, :func:`~zpgen.writers.read.iter_chunks`).

    The card is rebuilt from the stored text (``sample.card``; None, with the reason in
    ``sample.run_info["card_error"]``, for a file whose card this zpgen cannot read).
    """
    import awkward as ak

    from .card import card_from_stored
    from .writers.read import iter_chunks, read_metadata

    meta = read_metadata(path)
    info = dict(meta["run_info"])
    card: Card | None
    try:
        card = card_from_stored(meta["card"], info.get("card_resolved"), source=str(path))
    except CardError as exc:
        card = None
        info["card_error"] = str(exc)
    info["card"] = meta["card"]
    chunks = list(iter_chunks(path, step_size=step_size))
    if not chunks:
        raise CardError(f"{path}: the file holds no events")
    events = chunks[0] if len(chunks) == 1 else ak.concatenate(chunks)
    return Sample(events, info, card, os.fspath(path), info.get("totals"))
