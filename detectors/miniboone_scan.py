"""``zpgen scan``'s MiniBooNE part: at every point of a card grid, the E_QE prediction and
the fit to the 2020 release (the same numbers ``zpgen compare`` gives for a file generated
at that point).

The grid, the table and the executor loop are the engine's (:mod:`zpgen.scan`).  A point
is either *generated* (the point's card, in memory, with the card's seed or ``--seed``:
the events of ``zpgen generate`` with the same card, seed and ``-n``) or, when only
couplings vary, *reweighted*: one sample is generated at the grid's middle point (the
*base*) and every point the process can reweight from it
(:meth:`zpgen.processes.dark_neutrino.DarkNeutrinoProcess.reweighter`; exact, see
:mod:`zpgen.processes.reweight`) is its events with new weights; the others are generated.
Either way the prediction is S = sum(w * w_eff * passes) per reconstructed E_QE bin
(:class:`zpgen.detectors.miniboone_compare.PredictionAccumulator`) and the fit
:func:`zpgen.detectors.miniboone_chi2.fit_signal_strength` (B + mu S, mu >= 0, the
covariance rebuilt at every mu).

Row of a point: the varied keys, ``method`` (generated | reweighted), ``expected_events``
(sum w, before efficiency), ``selected_events`` (sum w w_eff passes with a finite E_QE),
``signal_in_bins``, ``chi2_min``, ``ndof``, ``chi2_background_only``, ``delta_chi2``,
``significance_sigma``, ``mu_best``, ``coupling_scale_best``, ``ess`` (effective sample
size (sum w)^2 / sum w^2), ``seconds``; and the scan's settings (``n_events``, ``seed``,
``stat``, ``base_card``: a hash of the card without the varied keys).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zpgen.card import Card, CardError, parse_card

from .miniboone_chi2 import MiniBooNERelease, ReleaseError, fit_signal_strength
from .miniboone_compare import CompareError, PredictionAccumulator

__all__ = ["PointSpec", "ScanSetup", "evaluate_generated", "run_scan"]

#: Columns of a row besides the varied keys and the settings, in table order.
RESULT_COLUMNS = ("method", "expected_events", "selected_events", "signal_in_bins",
                  "chi2_min", "ndof", "chi2_background_only", "delta_chi2",
                  "significance_sigma", "mu_best", "coupling_scale_best", "ess", "seconds")


@functools.lru_cache(maxsize=4)
def _release(directory: str) -> MiniBooNERelease:
    return MiniBooNERelease.from_directory(directory)


@dataclass(frozen=True)
class PointSpec:
    """One point to generate (picklable: pool and Dask workers run
    :func:`evaluate_generated` on it)."""

    point: Mapping[str, Any]
    card_text: str
    overrides: tuple[str, ...]
    source: str
    n_events: int
    seed: int
    release: str
    stat: str
    threads: int | None = None


def _row(point: Mapping[str, Any], acc: PredictionAccumulator, release: MiniBooNERelease,
         stat: str, method: str, seconds: float) -> dict[str, Any]:
    fit = fit_signal_strength(acc.result().signal, release, stat)
    return {**point, "method": method, "expected_events": acc.sum_w,
            "selected_events": acc.sum_selected, "signal_in_bins": float(acc.signal.sum()),
            "chi2_min": fit.chi2_min, "ndof": fit.ndof,
            "chi2_background_only": fit.chi2_background_only,
            "delta_chi2": fit.delta_chi2, "significance_sigma": fit.significance_sigma,
            "mu_best": fit.mu_best, "coupling_scale_best": fit.coupling_scale_best,
            "ess": acc.ess, "seconds": seconds}


def _generate(card: Card, n_events: int, seed: int, threads: int | None) -> Any:
    from zpgen.generate import GenerationError, generate

    try:
        return generate(card, n_events=n_events, seed=seed, threads=threads)
    except GenerationError as exc:
        raise CardError(str(exc)) from None


def evaluate_generated(spec: PointSpec) -> dict[str, Any]:
    """Generate one point in memory and fit it (top level: executors import it)."""
    start = time.perf_counter()
    release = _release(spec.release)
    card = parse_card(spec.card_text, spec.overrides, spec.source)
    acc = PredictionAccumulator(release.edges_GeV)
    for chunk in _generate(card, spec.n_events, spec.seed, spec.threads):
        acc.add(chunk)
    return _row(spec.point, acc, release, spec.stat, "generated",
                time.perf_counter() - start)


@dataclass
class ScanSetup:
    """A checked scan (everything refused before work is refused by now)."""

    card_text: str
    overrides: tuple[str, ...]
    source: str
    points: list[dict[str, Any]]
    cards: list[Card]
    n_events: int
    seed: int
    release: str
    stat: str
    executor: str = "local"
    workers: int | None = None
    reweight: bool = True
    log: Callable[[str], None] = field(default=lambda message: None)


class _Base:
    """The generated base sample of the reweighted points, kept in memory."""

    def __init__(self, setup: ScanSetup, card: Card) -> None:
        from zpgen.registry import channel_targets, load_plugin

        self.card = card
        process = load_plugin("process", card.process.name)
        self.factory = getattr(process, "reweighter", None)
        self.detector = load_plugin("detector", card.detector["name"]).from_options(
            card.detector)
        self.channels = channel_targets(process.from_card(card), self.detector)[0]
        self.setup = setup
        self.chunks: list[Any] | None = None

    def reweighter(self, card: Card) -> tuple[Any, str]:
        """The process's reweighter to ``card``, or ``(None, reason)``."""
        if self.factory is None:
            return None, f"the process {self.card.process.name!r} cannot reweight"
        try:
            return self.factory(self.card, card, self.channels), ""
        except CardError as exc:
            return None, " ".join(str(exc).split())

    def events(self) -> list[Any]:
        if self.chunks is None:
            stream = _generate(self.card, self.setup.n_events, self.setup.seed, None)
            self.chunks = list(stream)
        return self.chunks

    def evaluate(self, point: Mapping[str, Any], rw: Any) -> dict[str, Any] | None:
        """The point from the base events, or None when the detector's stored response
        would not hold at its decay lengths."""
        import awkward as ak
        import numpy as np

        start = time.perf_counter()
        release = _release(self.setup.release)
        acc = PredictionAccumulator(release.edges_GeV)
        same_response = getattr(self.detector, "same_response", None)
        for chunk in self.events():
            r, moved = rw.reweight(chunk)
            if moved is not chunk and (same_response is None or not bool(
                    np.all(same_response(chunk, moved)))):
                self.setup.log(f"point {_label(point)}: generated, not reweighted (at its "
                               "decay lengths the detector would see some events "
                               "differently)")
                return None
            acc.add({"w": np.asarray(ak.to_numpy(chunk["w"])) * r,
                     "w_eff": ak.to_numpy(chunk["w_eff"]),
                     "passes": ak.to_numpy(chunk["passes"]), "E_QE": ak.to_numpy(
                         chunk["E_QE"])})
        return _row(point, acc, release, self.setup.stat, "reweighted",
                    time.perf_counter() - start)


def check_detector(cards: Sequence[Card]) -> None:
    """Refuse, before any work, a detector whose response has no ``E_QE`` (the SBN
    liquid-argon TPCs): the scan fits MiniBooNE's E_QE data (:class:`CompareError`)."""
    from zpgen.registry import load_plugin

    for name in sorted({str(card.detector["name"]) for card in cards}):
        cls = load_plugin("detector", name)
        options = next(card.detector for card in cards if card.detector["name"] == name)
        detector = cls.from_options(options)
        columns = {spec.column for spec in getattr(detector, "histograms", list)()}
        if "E_QE" not in columns:
            raise CompareError(
                f"detector.name = {name!r}: zpgen scan fits the MiniBooNE 2020 E_QE data, "
                f"and the {name} detector gives no E_QE; scan with the miniboone (or truth) "
                "detector")


def check_release(directory: str | os.PathLike[str]) -> str:
    """The release folder, read once to refuse a bad one before work (``CompareError``)."""
    try:
        release = MiniBooNERelease.locate(Path(directory))
        _release(os.fspath(release))
    except ReleaseError as exc:
        raise CompareError(str(exc)) from None
    return os.fspath(release)


def run_scan(setup: ScanSetup, todo: Sequence[int],
             on_row: Callable[[dict[str, Any]], None]) -> None:
    """Evaluate the points ``todo`` (indices into ``setup.points``), handing each row to
    ``on_row`` as soon as it is done (the caller writes the table).

    With ``setup.reweight``, every point the process can reweight from the grid's middle
    point is reweighted from one sample generated there (module docstring); the rest run
    on the executor.
    """
    from zpgen.generate import default_threads
    from zpgen.scan import point_overrides, run_points

    middle = len(setup.cards) // 2
    generate = [i for i in todo]
    if setup.reweight and len(todo) > 1:
        base = _Base(setup, setup.cards[middle])
        refused: list[str] = []
        reweighters = {}
        for i in todo:
            if i != middle:
                rw, reason = base.reweighter(setup.cards[i])
                if rw is None:
                    refused.append(reason)
                else:
                    reweighters[i] = rw
        if refused:
            setup.log(f"{len(refused)} point(s) generated, not reweighted: {refused[0]}")
        if reweighters:
            setup.log(f"{len(reweighters)} point(s) reweighted from one sample at "
                      f"{_label(setup.points[middle])}")
            generate = [i for i in todo if i not in reweighters and i != middle]
            if middle in todo:
                on_row(_generated_base(base, setup.points[middle]))
            for i, rw in reweighters.items():
                row = base.evaluate(setup.points[i], rw)
                if row is None:
                    generate.append(i)
                else:
                    on_row(row)
    cores = default_threads()
    concurrent = 1 if setup.executor == "local" else min(len(generate),
                                                          setup.workers or cores)
    threads = None if setup.executor == "local" else max(1, cores // max(concurrent, 1))
    specs = [PointSpec(setup.points[i], setup.card_text,
                       (*setup.overrides, *point_overrides(setup.points[i])), setup.source,
                       setup.n_events, setup.seed, setup.release, setup.stat, threads)
             for i in sorted(generate)]
    for _spec, row in run_points(specs, evaluate_generated, executor=setup.executor,
                                 workers=setup.workers):
        on_row(row)


def _generated_base(base: _Base, point: Mapping[str, Any]) -> dict[str, Any]:
    import awkward as ak

    start = time.perf_counter()
    release = _release(base.setup.release)
    acc = PredictionAccumulator(release.edges_GeV)
    for chunk in base.events():
        acc.add({k: ak.to_numpy(chunk[k]) for k in ("w", "w_eff", "passes", "E_QE")})
    return _row(point, acc, release, base.setup.stat, "generated",
                time.perf_counter() - start)


def _label(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in point.items())


def table_settings(setup: ScanSetup, card: Card, keys: Sequence[str]) -> dict[str, Any]:
    """The settings every row records (a resumed table must have the same)."""
    from zpgen.scan import base_card_hash

    return {"n_events": setup.n_events, "seed": setup.seed, "stat": setup.stat,
            "base_card": base_card_hash(card, keys)}


def default_seed(card: Card, seed: int | None) -> int:
    """``--seed``, else the card's ``run.seed``."""
    return int(card.run.seed if seed is None else seed)


def plot_path_ok(path: str | None, overwrite: bool) -> Path | None:
    """The figure's path, checked before work (``CompareError``)."""
    if path is None:
        return None
    from .miniboone_plot import check_plot_path

    try:
        return check_plot_path(path, overwrite)
    except ValueError as exc:
        raise CompareError(str(exc)) from None

