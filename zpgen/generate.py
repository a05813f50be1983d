"""Event generation: card -> adapted channels -> streamed, weighted event chunks.

DESIGN.md "Data flow": card -> process (couplings, widths, BRs) -> one integrand per
channel -> VEGAS adaptation (:mod:`zpgen.sampler`) -> allocation ``N_i ~ rate_i`` ->
blocks of points on the frozen maps -> event kernel -> ``detector.place`` and
``detector.respond`` -> chunks of ``chunk_size`` events.  Only one chunk (plus at most one
block of :data:`zpgen.sampler.BLOCK_SIZE` events) is alive at a time.

Weights (PHYSICS.md "Event rate"; every file documents them)
-----------------------------------------------------------
For an event of channel ``T`` (``N_T`` events generated in that channel) at hypercube point
``x`` with map jacobian ``J``, ``F = J f(x)`` is an unbiased estimate of the channel
integral ``I_T = BR_visible * int dE Phi(E) sigma_T(E)`` (per target particle, per POT).

``w = POT * n_T * F / N_T``
    Sum over all events = expected number of signal events
    ``N_POT sum_T n_T int Phi sigma_T dE * BR_visible`` (before detector efficiency;
    the detector adds ``w_eff`` and a selection flag, so the selected expectation is
    ``sum(w * w_eff * passes)``).
``w_xsec = F / (N_T * Phi_tot)``, ``Phi_tot = int Phi dE`` over the whole flux
    Sum over the events of channel T = flux-averaged cross section times the visible
    branching ratio, ``BR_visible * int Phi sigma_T dE / int Phi dE``, in cm^2 *per target
    particle of that channel* (per 12C nucleus for ``C12_coherent``, per nucleon for the
    other channels).  Summing ``w_xsec`` over several channels adds cross sections per
    different targets; select one channel (``events.channel == k``) to read a cross section.

Randomness (DESIGN.md "Randomness and reproducibility")
-------------------------------------------------------
One root ``SeedSequence(seed)``; VEGAS of channel ``i`` uses spawn key ``(0, i)`` (shared by
all jobs); events of job ``j``, channel ``i``, block ``b`` use ``(j, 1, i, b)``; the detector
of that block ``(j, 2, i, b)`` (``place`` and ``respond`` draw from it in turn).  Same
card, seed and job index -> bit-identical events for any ``chunk_size``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np

from . import sampler
from .card import Card
from .event_record import to_awkward
from .registry import load_plugin

__all__ = ["EventGenerator", "EventStream", "RunSummary", "generate", "generate_array"]

#: Default adaptation: iterations, evaluations per iteration, final iterations.
DEFAULT_NITN = 8
DEFAULT_NEVAL = 20_000
DEFAULT_NITN_FINAL = 3


@dataclass
class ChannelTally:
    """Running sums over the generated events of one channel."""

    n: int = 0
    sum_F: float = 0.0      # sum of F/N_T  -> integral estimate
    sum_F2: float = 0.0     # sum of (F/N_T)^2
    sum_w: float = 0.0
    sum_w_xsec: float = 0.0
    n_zero: int = 0

    def add(self, F_over_N: np.ndarray, w: np.ndarray, w_xsec: np.ndarray) -> None:
        self.n += int(F_over_N.size)
        self.sum_F += float(F_over_N.sum())
        self.sum_F2 += float(np.dot(F_over_N, F_over_N))
        self.sum_w += float(w.sum())
        self.sum_w_xsec += float(w_xsec.sum())
        self.n_zero += int(np.count_nonzero(F_over_N == 0.0))

    @property
    def integral_err(self) -> float:
        """Standard error of ``sum_F`` (sample variance of F / N)."""
        if self.n < 2:
            return math.nan
        return math.sqrt(max(self.sum_F2 - self.sum_F**2 / self.n, 0.0)
                         * self.n / (self.n - 1))

    @property
    def ess_ratio(self) -> float:
        """Effective sample size over N, ``(sum w)^2 / (N sum w^2)``."""
        if self.n == 0 or self.sum_F2 == 0.0:
            return math.nan
        return self.sum_F**2 / (self.n * self.sum_F2)


@dataclass
class RunSummary:
    """Totals of a run: per-channel integrals with errors, expectations, tallies.

    Units: ``integral`` per target per POT (``BR_visible int Phi sigma dE``);
    ``sigma_flux_avg`` in cm^2 per target of the channel (``sum w_xsec``);
    ``expected_events`` dimensionless (``sum w``).
    """

    channels: tuple[str, ...]
    seed: int
    job_index: int
    n_requested: int
    pot: float
    targets: dict[str, float]
    flux_total: float
    process_info: Mapping[str, Any]
    allocation: dict[str, int] = field(default_factory=dict)
    adapt: dict[str, dict[str, Any]] = field(default_factory=dict)
    tallies: dict[str, ChannelTally] = field(default_factory=dict)
    setup_seconds: float = 0.0
    adapt_seconds: float = 0.0
    generate_seconds: float = 0.0

    @property
    def n_events(self) -> int:
        return sum(t.n for t in self.tallies.values())

    @property
    def sum_w(self) -> float:
        return sum(t.sum_w for t in self.tallies.values())

    def expected_events(self) -> dict[str, tuple[float, float]]:
        """Per channel ``(sum w, error)`` from the generated events."""
        out = {}
        for name, tally in self.tallies.items():
            scale = self.pot * self.targets.get(name, 0.0)
            out[name] = (tally.sum_w, scale * tally.integral_err)
        return out

    def sigma_flux_avg(self) -> dict[str, tuple[float, float]]:
        """Per channel ``(sum w_xsec, error)`` in cm^2 per target of the channel."""
        return {name: (t.sum_w_xsec, t.integral_err / self.flux_total)
                for name, t in self.tallies.items()}

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for metadata (JSON-compatible)."""
        exp = self.expected_events()
        sig = self.sigma_flux_avg()
        total = sum(v for v, _ in exp.values())
        total_err = math.sqrt(sum(e * e for _, e in exp.values() if math.isfinite(e)))
        return {
            "seed": self.seed, "job_index": self.job_index,
            "n_requested": self.n_requested, "n_events": self.n_events,
            "pot": self.pot, "targets": dict(self.targets), "flux_total": self.flux_total,
            "process": dict(self.process_info),
            "expected_events": total, "expected_events_err": total_err,
            "channels": {
                name: {
                    "n_events": self.tallies[name].n if name in self.tallies else 0,
                    "allocated": self.allocation.get(name, 0),
                    "expected_events": exp.get(name, (0.0, 0.0))[0],
                    "expected_events_err": exp.get(name, (0.0, 0.0))[1],
                    "sigma_flux_avg_cm2": sig.get(name, (0.0, 0.0))[0],
                    "sigma_flux_avg_err_cm2": sig.get(name, (0.0, 0.0))[1],
                    "ess_ratio": (self.tallies[name].ess_ratio if name in self.tallies
                                  else math.nan),
                    "adapt": self.adapt.get(name, {}),
                }
                for name in self.channels
            },
            "weights": {
                "w": "sum = expected signal events for the exposure (POT x targets x flux x "
                     "sigma x BR_visible), before detector efficiency w_eff",
                "w_xsec": "sum over a channel's events = BR_visible x flux-averaged cross "
                          "section (cm^2 per target particle of that channel)",
            },
            "timing_s": {"setup": self.setup_seconds, "adapt": self.adapt_seconds,
                         "generate": self.generate_seconds},
        }


class EventGenerator:
    """Builds the channels of a card, adapts them and streams event chunks.

    Parameters
    ----------
    card
        Validated run card.
    n_events, seed
        Override ``card.run.n_events`` / ``card.run.seed``.
    chunk_size
        Events per yielded chunk (the last one may be shorter).
    detector
        Apply ``detector.place`` and ``detector.respond`` (the detector is always used
        for the exposure and target counts).  Without it, ``vtx_x/y/z`` are 0.
    progress
        Show a tqdm progress bar.
    job_index
        Index of this job in a job array (different events, same adapted grids).
    nitn, neval, nitn_final
        VEGAS adaptation (see :func:`zpgen.sampler.adapt_channel`).
    min_per_channel
        Floor of the per-channel allocation (default: see :func:`zpgen.sampler.allocate`).
    flux, detector_plugin, process
        Pre-built plugin objects (default: loaded by name from the card).
    """

    def __init__(self, card: Card, n_events: int | None = None, seed: int | None = None,
                 chunk_size: int = 100_000, detector: bool = True, progress: bool = False,
                 job_index: int = 0, nitn: int = DEFAULT_NITN, neval: int = DEFAULT_NEVAL,
                 nitn_final: int = DEFAULT_NITN_FINAL, min_per_channel: int | None = None,
                 flux: Any = None, detector_plugin: Any = None, process: Any = None) -> None:
        start = time.perf_counter()
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        if job_index < 0:
            raise ValueError(f"job_index must be >= 0, got {job_index}")
        self.card = card
        self.n_events = int(card.run.n_events if n_events is None else n_events)
        self.seed = int(card.run.seed if seed is None else seed)
        self.chunk_size = int(chunk_size)
        self.apply_detector = bool(detector)
        self.progress = bool(progress)
        self.job_index = int(job_index)
        self.nitn, self.neval, self.nitn_final = int(nitn), int(neval), int(nitn_final)
        self.min_per_channel = min_per_channel
        if flux is None:
            flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
        if detector_plugin is None:
            detector_plugin = load_plugin("detector", card.detector["name"]).from_options(
                card.detector)
        if process is None:
            process = load_plugin("process", "dark_neutrino").from_card(card)
        self.flux = flux
        self.detector = detector_plugin
        self.process = process
        names = tuple(process.channels())
        self.channels = {name: process.channel(name, flux) for name in names}
        targets = {k: float(v) for k, v in detector_plugin.targets().items()}
        self.summary = RunSummary(
            channels=names, seed=self.seed, job_index=self.job_index,
            n_requested=self.n_events, pot=float(detector_plugin.pot), targets=targets,
            flux_total=float(flux.integral()), process_info=dict(process.info()))
        self.adapted: dict[str, sampler.AdaptedChannel] = {}
        self.summary.setup_seconds = time.perf_counter() - start

    # ------------------------------------------------------------------ adaptation
    def adapt(self) -> dict[str, sampler.AdaptedChannel]:
        """Adapt every channel with targets (once) and fix the allocation."""
        if self.adapted:
            return self.adapted
        start = time.perf_counter()
        names = self.summary.channels
        rates = []
        for index, name in enumerate(names):
            n_t = self.summary.targets.get(name, 0.0)
            if n_t <= 0.0:
                rates.append(0.0)
                continue
            adapted = sampler.adapt_channel(self.channels[name], name, index, self.seed,
                                            nitn=self.nitn, neval=self.neval,
                                            nitn_final=self.nitn_final)
            self.adapted[name] = adapted
            self.summary.adapt[name] = adapted.summary()
            rates.append(self.summary.pot * n_t * adapted.mean)
        alloc = sampler.allocate(rates, self.n_events, self.min_per_channel)
        self.summary.allocation = dict(zip(names, alloc, strict=True))
        self.summary.adapt_seconds = time.perf_counter() - start
        return self.adapted

    # ------------------------------------------------------------------ events
    def _blocks(self) -> Iterator[ak.Array]:
        """Event blocks in a fixed order (channel, block), detector applied."""
        s = self.summary
        for index, name in enumerate(s.channels):
            n_ch = s.allocation.get(name, 0)
            if n_ch <= 0 or name not in self.adapted:
                continue
            adapted = self.adapted[name]
            channel = adapted.channel
            tally = s.tallies.setdefault(name, ChannelTally())
            scale = s.pot * s.targets[name]
            for b, size in sampler.blocks(n_ch):
                rng = sampler.block_generator(self.seed, self.job_index,
                                              sampler.STREAM_EVENTS, index, b)
                x, jac, aux = sampler.sample_block(adapted, size, rng)
                block = channel.events(x, aux)
                F_over_N = block.f * jac / n_ch
                w = scale * F_over_N
                w_xsec = F_over_N / s.flux_total
                tally.add(F_over_N, w, w_xsec)
                events = to_awkward(block, {
                    "w": w, "w_xsec": w_xsec,
                    "channel": np.full(size, index, dtype=np.int32)})
                del block, x, jac, aux
                if self.apply_detector:
                    rng_det = sampler.block_generator(self.seed, self.job_index,
                                                      sampler.STREAM_DETECTOR, index, b)
                    events = self.detector.place(events, rng_det)
                    events = self.detector.respond(events, rng_det)
                else:
                    zeros = np.zeros(size)
                    for axis in ("x", "y", "z"):
                        events = ak.with_field(events, zeros, f"vtx_{axis}")
                yield events

    def chunks(self) -> Iterator[ak.Array]:
        """Chunks of ``chunk_size`` events (the last may be shorter)."""
        self.adapt()
        start = time.perf_counter()
        bar = None
        if self.progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=sum(self.summary.allocation.values()), unit="ev",
                       desc="zpgen", leave=False)
        pending: list[ak.Array] = []
        n_pending = 0
        try:
            for events in self._blocks():
                pending.append(events)
                n_pending += len(events)
                while n_pending >= self.chunk_size:
                    joined = pending[0] if len(pending) == 1 else ak.concatenate(pending)
                    chunk = joined[:self.chunk_size]
                    rest = joined[self.chunk_size:]
                    pending = [ak.to_packed(rest)] if len(rest) else []
                    n_pending = len(rest)
                    del joined, rest
                    if bar is not None:
                        bar.update(len(chunk))
                    yield chunk
                    del chunk
            if n_pending:
                joined = pending[0] if len(pending) == 1 else ak.concatenate(pending)
                pending = []
                if bar is not None:
                    bar.update(len(joined))
                yield joined
        finally:
            if bar is not None:
                bar.close()
            self.summary.generate_seconds += time.perf_counter() - start

    def __iter__(self) -> Iterator[ak.Array]:
        return self.chunks()


class EventStream(Iterator[ak.Array]):
    """Iterator over the chunks of a run; ``summary`` is complete once it is exhausted."""

    def __init__(self, engine: EventGenerator) -> None:
        self.engine = engine
        self._chunks = engine.chunks()

    def __next__(self) -> ak.Array:
        return next(self._chunks)

    @property
    def summary(self) -> RunSummary:
        return self.engine.summary


def generate(card: Card, n_events: int | None = None, seed: int | None = None,
             chunk_size: int = 100_000, detector: bool = True, progress: bool = False,
             **kwargs: Any) -> EventStream:
    """Stream the weighted events of a card as awkward chunks (module docstring).

    Keyword arguments are those of :class:`EventGenerator` (``job_index``, ``nitn``,
    ``neval``, ``nitn_final``, ``min_per_channel``, ``flux``, ``detector_plugin``,
    ``process``).  The returned iterator's ``summary`` (:class:`RunSummary`) holds the
    per-channel integrals, allocation and tallies.
    """
    engine = EventGenerator(card, n_events=n_events, seed=seed, chunk_size=chunk_size,
                            detector=detector, progress=progress, **kwargs)
    return EventStream(engine)


def generate_array(card: Card, n_events: int | None = None, seed: int | None = None,
                   **kwargs: Any) -> ak.Array:
    """All events of a (small) run in one awkward Array (see :func:`generate`)."""
    stream = generate(card, n_events=n_events, seed=seed, **kwargs)
    chunks = list(stream)
    if not chunks:
        raise ValueError("no events were generated (no open channel)")
    return chunks[0] if len(chunks) == 1 else ak.concatenate(chunks)
