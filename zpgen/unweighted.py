"""Unweighted events: accept-reject against a per-channel maximum weight from a pilot sample.

A detector simulation wants every event to cost the same: events of equal weight, as
MadGraph writes by default.  With ``zpgen generate --unweighted`` the engine draws *trial*
points from each channel's adapted map, exactly as for weighted events, and keeps a trial
of weight ``F = J f(x)`` (per target per POT) with probability ``min(F / F_max, 1)``:

* ``physics`` (default): ``F`` is the physics weight; the detector (if any) runs on the
  kept events only and its efficiency stays the separate weight ``w_eff``.
* ``selected``: ``F`` is multiplied by the detector's ``w_eff * passes`` before the
  accept-reject step, so the kept events are distributed as the *selected* signal; they
  carry ``w_eff = 1`` and ``passes = True`` (the detector's own efficiency is kept as
  ``w_eff_detector``).

The cap (:func:`weight_cap`)
----------------------------
``F_max`` of a channel is estimated once from a pilot sample of :data:`PILOT_SIZE` trials
(job-independent random stream, so every job of an array uses the same caps) as the
smallest weight whose excess, ``sum(max(F - F_max, 0))``, carries at most
:data:`PILOT_BIAS` of the pilot's cross section: a high quantile chosen for its effect on
the cross section rather than the largest weight seen, as MadGraph does.  Trials above the
cap are kept with weight 1 (truncation); the fraction of kept events that were over the
cap and the fraction of the cross section their excess carried are measured on every trial
of the run and reported; the run warns when the latter exceeds :data:`BIAS_BOUND`.

Counts and weights
------------------
Channel ``T`` gets ``N_T`` events in proportion to its rate (no per-channel floor: the
counts *are* the rates), and every event has ``w = R / N`` with ``R`` the expected events
of the run (``physics``: the VEGAS integrals, ``sum_T POT n_T I_T``; ``selected``: the
pilots' estimates of the selected rates), so ``sum(w)`` keeps its meaning;
``w_xsec = sigma_T / N_T`` per channel (its sum over a channel's events is the channel's
cross section per target, as for weighted events).

Randomness: trial block ``b`` of channel ``i`` of job ``j`` is the weighted mode's block
(``(j, STREAM_EVENTS, i, b)``, always :data:`zpgen.sampler.BLOCK_SIZE` trials), its
accept uniforms come from ``(j, STREAM_ACCEPT, i, b)`` and its detector from
``(j, STREAM_DETECTOR, i, b)``; the pilot of channel ``i`` uses ``(STREAM_PILOT, i, 0)``
and ``(STREAM_PILOT, i, 1)``.  The kept events are the first ``N_T`` accepted trials in
block order: the same seed gives the same events for any chunk size or thread count.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import awkward as ak
import numpy as np
import numpy.typing as npt

from . import sampler
from .event_record import ChunkBuffer, FlatEvents

if TYPE_CHECKING:
    from .generate import EventGenerator

__all__ = ["BIAS_BOUND", "MODES", "PILOT_BIAS", "PILOT_SIZE", "ChannelCap", "Unweighter",
           "weight_cap"]

FloatArray = npt.NDArray[np.float64]

#: Unweighting modes: the weight that is unweighted.
MODES = ("physics", "selected")
#: Trials of the pilot sample of each channel.
PILOT_SIZE = 1 << 17
#: Share of the pilot's cross section the cap may truncate.
PILOT_BIAS = 2e-4
#: Share of the cross section above which a run warns that its truncation is too large.
BIAS_BOUND = 1e-3
#: Random-number stream tags (zpgen.sampler has 0 adapt, 1 events, 2 detector).
STREAM_PILOT = 3
STREAM_ACCEPT = 4


class UnweightingError(ValueError):
    """The events of a run cannot be unweighted (the message says why)."""


def weight_cap(F: npt.ArrayLike, bias: float = PILOT_BIAS) -> float:
    """Smallest ``c`` with ``sum(max(F - c, 0)) <= bias * sum(F)`` (weights ``F >= 0``).

    Exact on the sample: between two sorted weights the excess is linear in ``c``.  Returns
    0 when every weight is 0.
    """
    w = np.sort(np.asarray(F, dtype=np.float64))[::-1]
    total = float(w.sum())
    if not total > 0.0:
        return 0.0
    allowed = bias * total
    top = np.cumsum(w)               # sum of the k largest, k = 1..n
    k = np.arange(1, w.size + 1)
    excess_at = top - k * w          # excess if the cap sits at the k-th largest weight
    j = int(np.searchsorted(excess_at, allowed, side="right"))  # excess_at is increasing
    # the cap lies between the (j+1)-th and the j-th largest: excess = top[j-1] - j c
    if j == 0:
        return float(w[0])
    cap = (top[j - 1] - allowed) / j
    return float(max(cap, w[j] if j < w.size else 0.0))


@dataclass
class ChannelCap:
    """Pilot result and running tallies of one channel (module docstring)."""

    name: str
    index: int
    cap: float
    pilot_mean: float
    pilot_err: float
    n_target: int = 0
    trials: int = 0
    kept: int = 0
    kept_over_cap: int = 0
    sum_F: float = 0.0
    sum_excess: float = 0.0

    @property
    def efficiency(self) -> float:
        """Kept over tried (before the count is reached, every trial counts)."""
        return self.kept / self.trials if self.trials else math.nan

    @property
    def pilot_efficiency(self) -> float:
        return self.pilot_mean / self.cap if self.cap > 0 else 0.0

    @property
    def truncated_fraction(self) -> float:
        """Share of the trials' cross section carried above the cap."""
        return self.sum_excess / self.sum_F if self.sum_F > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"cap": self.cap, "pilot_mean": self.pilot_mean, "pilot_err": self.pilot_err,
                "pilot_efficiency": self.pilot_efficiency, "n_events": self.kept,
                "trials": self.trials, "efficiency": self.efficiency,
                "overweight_events": self.kept_over_cap,
                "overweight_event_fraction": (self.kept_over_cap / self.kept
                                              if self.kept else 0.0),
                "truncated_xsec_fraction": self.truncated_fraction}


@dataclass
class _TrialBlock:
    """One block of trials of a channel: the filled buffer and what was kept."""

    index: int
    name: str
    block: int
    buffer: ChunkBuffer
    F: FloatArray
    keep: npt.NDArray[np.int64]
    events: Any = None  # FlatEvents of the kept trials, after the detector


@dataclass
class Unweighter:
    """Turns an :class:`zpgen.generate.EventGenerator` into a stream of unweighted chunks."""

    engine: EventGenerator
    mode: str = "physics"
    caps: dict[str, ChannelCap] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise UnweightingError(f"--unweighted: expected one of {', '.join(MODES)}, got "
                                   f"{self.mode!r}")
        if self.mode == "selected" and not self.engine.apply_detector:
            raise UnweightingError("--unweighted=selected needs the detector (its "
                                   "efficiency and selection); drop --no-detector")

    # ------------------------------------------------------------------ trials
    def _fill(self, name: str, index: int, rng: np.random.Generator, n: int
              ) -> tuple[ChunkBuffer, FloatArray]:
        """``n`` trials of a channel into a new buffer; returns it and ``F = J f``."""
        engine = self.engine
        adapted = engine.adapted[name]
        k, truth = engine._layout()
        x, jac, aux = sampler.sample_block(adapted, n, rng)
        buf = ChunkBuffer(n, k, truth)
        fill = getattr(adapted.channel, "fill", None)
        if fill is not None:
            fill(x, aux, buf, 0)
        else:  # a process without the in-place kernel
            buf.copy_block(adapted.channel.events(x, aux), 0, slice(None))
        F = buf.event["w"]
        np.multiply(F, jac, out=F)
        buf.event["channel"][:] = index
        return buf, F

    def _detect(self, buf: ChunkBuffer, rows: npt.NDArray[np.int64], rng: np.random.Generator
                ) -> FlatEvents:
        """Detector response of the given rows of a trial buffer."""
        from .generate import run_detector

        return run_detector(self.engine.detector, buf.flat_view(buf.capacity).take(rows), rng)

    def _selected_weight(self, events: FlatEvents, F: FloatArray) -> FloatArray:
        eff = np.asarray(events.event["w_eff"], dtype=np.float64)
        passes = np.asarray(events.event["passes"], dtype=bool)
        return np.where(passes, F * eff, 0.0)

    # ------------------------------------------------------------------ pilot
    def pilot(self) -> dict[str, ChannelCap]:
        """Caps of every channel with events (module docstring); raises
        :class:`UnweightingError` when a channel's weights are all zero."""
        if self.caps:
            return self.caps
        engine = self.engine
        engine.adapt()
        seed = engine.seed
        for index, name in enumerate(engine.summary.channels):
            if name not in engine.adapted:
                continue
            buf, F = self._fill(name, index,
                                sampler.block_generator(seed, STREAM_PILOT, index, 0),
                                PILOT_SIZE)
            if self.mode == "selected":
                events = self._detect(buf, np.arange(PILOT_SIZE),
                                      sampler.block_generator(seed, STREAM_PILOT, index, 1))
                F = self._selected_weight(events, F)
            cap = weight_cap(F)
            if not cap > 0.0:
                if engine.adapted[name].mean <= 0.0:
                    continue
                what = "selected " if self.mode == "selected" else ""
                raise UnweightingError(
                    f"cannot unweight channel {name}: all {PILOT_SIZE} pilot {what}weights "
                    "are zero, so no maximum weight can be estimated (check the grid, the "
                    "couplings and, for --unweighted=selected, the detector's selection)")
            self.caps[name] = ChannelCap(name, index, cap, float(F.mean()),
                                         float(F.std() / math.sqrt(F.size)))
        if not self.caps:
            raise UnweightingError("no channel has a non-zero weight to unweight")
        self._allocate()
        return self.caps

    def _allocate(self) -> None:
        """Counts per channel in proportion to the rates (no floor), and the run's total."""
        engine = self.engine
        s = engine.summary
        names = list(s.channels)
        rates = [self._rate(n) if n in self.caps else 0.0 for n in names]
        alloc = sampler.allocate(rates, engine.n_events, min_per_channel=0)
        s.allocation = dict(zip(names, alloc, strict=True))
        for n in names:
            if n in self.caps:
                self.caps[n].n_target = s.allocation[n]
        self.total = float(sum(rates))

    def _rate(self, name: str) -> float:
        """Expected events of a channel: POT n_T x (VEGAS integral or selected pilot mean)."""
        s = self.engine.summary
        per_target = (self.engine.adapted[name].mean if self.mode == "physics"
                      else self.caps[name].pilot_mean)
        return s.pot * s.targets[name] * per_target

    def _rate_err(self, name: str) -> float:
        s = self.engine.summary
        per_target = (self.engine.adapted[name].sdev if self.mode == "physics"
                      else self.caps[name].pilot_err)
        return s.pot * s.targets[name] * per_target

    # ------------------------------------------------------------------ generation
    def _trial_block(self, name: str, index: int, b: int) -> _TrialBlock:
        """Fill block ``b`` of trials and decide which to keep (runs in a worker thread;
        the detector runs later, in the calling thread)."""
        engine = self.engine
        rng = sampler.block_generator(engine.seed, engine.job_index, sampler.STREAM_EVENTS,
                                      index, b)
        buf, F = self._fill(name, index, rng, sampler.BLOCK_SIZE)
        return _TrialBlock(index, name, b, buf, F, np.zeros(0, dtype=np.int64))

    def _accept(self, trial: _TrialBlock) -> None:
        """The accept-reject step of a block (and its detector response)."""
        engine = self.engine
        cap = self.caps[trial.name]
        u = sampler.block_generator(engine.seed, engine.job_index, STREAM_ACCEPT,
                                    trial.index, trial.block).random(trial.F.size)
        rng_det = sampler.block_generator(engine.seed, engine.job_index,
                                          sampler.STREAM_DETECTOR, trial.index, trial.block)
        F = trial.F
        if self.mode == "selected":
            events = self._detect(trial.buffer, np.arange(F.size), rng_det)
            F = self._selected_weight(events, F)
            trial.keep = np.flatnonzero(u * cap.cap < F)
            trial.events = events.take(trial.keep)
        else:
            trial.keep = np.flatnonzero(u * cap.cap < F)
            if engine.apply_detector:
                trial.events = self._detect(trial.buffer, trial.keep, rng_det)
            else:
                trial.events = trial.buffer.flat_view(F.size).take(trial.keep)
        trial.F = F

    def _kept_blocks(self, name: str, index: int, pool: ThreadPoolExecutor | None
                     ) -> Iterator[tuple[_TrialBlock, int]]:
        """(block, number of its kept events to use) in block order until the channel has
        its count; the trials of the blocks that are used enter the tallies."""
        cap = self.caps[name]
        need = cap.n_target
        b = 0
        ahead = max(1, 2 * self.engine.threads)
        futures: list[Any] = []
        while need > 0:
            while len(futures) < ahead:
                futures.append(pool.submit(self._trial_block, name, index, b) if pool
                               else b)
                b += 1
            item = futures.pop(0)
            trial = item.result() if pool else self._trial_block(name, index, item)
            self._accept(trial)
            used = min(need, trial.keep.size)
            last = trial.keep[used - 1] + 1 if used and used < trial.keep.size else trial.F.size
            F = trial.F[:last]  # trials up to the last used one
            cap.trials += int(last)
            cap.sum_F += float(F.sum())
            cap.sum_excess += float(np.clip(F - cap.cap, 0.0, None).sum())
            cap.kept += used
            cap.kept_over_cap += int(np.count_nonzero(trial.F[trial.keep[:used]] > cap.cap))
            need -= used
            yield trial, used
        for item in futures:  # lookahead blocks not needed
            if pool:
                item.cancel()

    def chunks(self) -> Iterator[ak.Array]:
        """Chunks of ``chunk_size`` unweighted events (the last may be shorter)."""
        import time

        engine = self.engine
        self.pilot()
        start = time.perf_counter()
        s = engine.summary
        k, truth = engine._layout()
        n_total = sum(s.allocation.values())
        w_event = self.total / n_total if n_total else 0.0
        pool = ThreadPoolExecutor(engine.threads, thread_name_prefix="zpgen-unw") \
            if engine.threads > 1 else None
        bar = None
        if engine.progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=n_total, unit="ev", desc="zpgen (unweighted)", leave=False)
        placed = 0

        def new_buffer() -> ChunkBuffer:
            return ChunkBuffer(min(engine.chunk_size, n_total - placed), k, truth,
                               vertex_fields=not engine.apply_detector)

        buf = new_buffer()
        filled = 0
        try:
            for index, name in enumerate(s.channels):
                if name not in self.caps or self.caps[name].n_target == 0:
                    continue
                sigma = self._rate(name) / (s.pot * s.targets[name] * s.flux_total)
                w_xsec = sigma / self.caps[name].n_target
                for trial, used in self._kept_blocks(name, index, pool):
                    lo = 0
                    while lo < used:
                        take = min(used - lo, buf.capacity - filled)
                        buf.copy_flat(trial.events, filled, slice(lo, lo + take))
                        buf.event["w_xsec"][filled:filled + take] = (
                            w_xsec * engine.weight_share)
                        filled += take
                        lo += take
                        if filled == buf.capacity:
                            placed += filled
                            if bar is not None:
                                bar.update(filled)
                            yield self._finish(buf, filled, w_event)
                            filled = 0
                            if placed < n_total:
                                buf = new_buffer()
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            if bar is not None:
                bar.close()
            engine.summary.generate_seconds += time.perf_counter() - start
            self._record()

    def _finish(self, buf: ChunkBuffer, n: int, w_event: float) -> ak.Array:
        buf.event["w"][:n] = w_event * self.engine.weight_share
        if self.mode == "selected":
            eff = buf.column("w_eff", np.float64)
            buf.column("w_eff_detector", np.float64)[:n] = eff[:n]
            eff[:n] = 1.0
            buf.column("passes", np.bool_)[:n] = True
        return buf.to_awkward(n)

    def _record(self) -> None:
        """Tallies and the unweighting report in the run summary."""
        s = self.engine.summary
        from .generate import ChannelTally

        n_all = max(sum(c.kept for c in self.caps.values()), 1)
        for name, cap in self.caps.items():
            n = cap.kept
            tally = ChannelTally()
            sigma = self._rate(name) / (s.pot * s.targets[name] * s.flux_total)
            tally.add_sums(n, 0.0, 0.0, n * self.total / n_all, sigma if n else 0.0, 0)
            s.tallies[name] = tally
        trials = sum(c.trials for c in self.caps.values())
        kept = sum(c.kept for c in self.caps.values())
        sum_F = sum(c.sum_F * s.pot * s.targets[c.name] for c in self.caps.values())
        excess = sum(c.sum_excess * s.pot * s.targets[c.name] for c in self.caps.values())
        over = sum(c.kept_over_cap for c in self.caps.values())
        truncated = excess / sum_F if sum_F > 0 else 0.0
        s.unweighted = {
            "mode": self.mode,
            "weight": ("w (physics); detector efficiency in w_eff" if self.mode == "physics"
                       else "w * w_eff * passes (selected signal); w_eff = 1, passes = True"),
            "n_events": kept, "trials": trials,
            "efficiency": kept / trials if trials else math.nan,
            "overweight_event_fraction": over / kept if kept else 0.0,
            "truncated_xsec_fraction": truncated,
            "bias_bound": BIAS_BOUND, "within_bound": truncated <= BIAS_BOUND,
            "pilot_size": PILOT_SIZE, "pilot_bias": PILOT_BIAS,
            "expected_events": self.total,
            "expected_events_err": math.sqrt(sum(self._rate_err(n) ** 2 for n in self.caps)),
            "channels": {name: {**cap.as_dict(), "expected_events": self._rate(name),
                                "expected_events_err": self._rate_err(name)}
                         for name, cap in self.caps.items()},
        }
