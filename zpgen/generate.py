"""Event generation: card -> adapted channels -> streamed, weighted event chunks.

docs/architecture.md, "Data flow": card -> process (couplings, widths, BRs) -> one
integrand per channel -> VEGAS adaptation (:mod:`zpgen.sampler`) -> allocation ``N_i ~ rate_i`` ->
blocks of points on the frozen maps -> event kernel -> ``detector.place`` and
``detector.respond`` -> chunks of ``chunk_size`` events.  The kernels write straight into
preallocated chunk buffers (:class:`zpgen.event_record.ChunkBuffer`) from ``threads``
worker threads; besides the chunk the consumer holds, at most the chunk being assembled
and the next one are allocated, so memory does not grow with the number of events.
With a grid (:mod:`zpgen.gridpack`) the adaptation is skipped.

Weights (PHYSICS.md "Event rate"; every file documents them)
-----------------------------------------------------------
For an event of channel ``T`` (``N_T`` events generated in that channel) at hypercube point
``x`` with map jacobian ``J``, ``F = J f(x)`` is an unbiased estimate of the channel
integral ``I_T = int dE Phi(E) sigma_T(E)`` (per target particle, per POT), the cross
section the process's integrand defines folded with the flux.  (The ``dark_neutrino``
process's sigma_T includes the visible branching ratio ``BR_visible`` of the card's
``physics.visible_modes``: with ``"all"`` the nu4 chain plus nu5 -> nu_light Z' ->
nu_light e+e-, see :mod:`zpgen.processes.decay_chain`.)

``w = POT * n_T * F / N_T``
    Sum over all events = expected number of signal events
    ``N_POT sum_T n_T int Phi sigma_T dE`` (before detector efficiency;
    the detector adds ``w_eff`` and a selection flag, so the selected expectation is
    ``sum(w * w_eff * passes)``).
``w_xsec = F / (N_T * Phi_tot)``, ``Phi_tot = int Phi dE`` over the whole flux
    Sum over the events of channel T = flux-averaged cross section
    ``int Phi sigma_T dE / int Phi dE``, in cm^2 *per target particle of that channel*
    (e.g. per 12C nucleus for ``C12_coherent``, per nucleon for the other channels).
    Summing ``w_xsec`` over several channels adds cross sections per different targets;
    select one channel (``events.channel == k``) to read a cross section.

In a job array (``n_jobs = K``) every job multiplies ``w`` and ``w_xsec`` by its share of
the exposure, ``weight_share = 1 / K``: the K job files chain (TChain,
``uproot.concatenate``) and their sums are the sums above.  The run summary (and so every
file's totals, NuHepMC FATX, LHE XWGTUP) keeps the estimates of the full exposure.

Randomness (docs/architecture.md, "Randomness")
-----------------------------------------------
One root ``SeedSequence(seed)``; VEGAS of channel ``i`` uses spawn key ``(0, i)`` (shared by
all jobs); events of job ``j``, channel ``i``, block ``b`` use ``(j, 1, i, b)``; the detector
of that block ``(j, 2, i, b)`` (``place`` and ``respond`` draw from it in turn); with
``--unweighted`` the pilot of channel ``i`` ``(3, i, 0)`` and ``(3, i, 1)`` (shared by all
jobs) and the accept uniforms of a block ``(j, 4, i, b)``.  Same
card, seed and job index -> bit-identical events for any ``chunk_size``, thread count or
executor (and from a grid adapted with the same settings and seed).
"""

from __future__ import annotations

import math
import os
import time
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np

from . import adaptation_cache, fingerprints, run_limits, sampler
from .card import Card
from .event_record import ChunkBuffer, FlatEvents
from .gridpack import Grid, GridError, load_grid
from .registry import (
    Channel,
    Detector,
    Flux,
    Process,
    channel_targets,
    check_beam_flavour,
    load_plugin,
)
from .settings import DEFAULT_NEVAL, DEFAULT_NITN, DEFAULT_NITN_FINAL
from .unweighted import Unweighter, UnweightingError

__all__ = ["EventGenerator", "EventStream", "GenerationError", "RunSummary", "default_threads",
           "generate", "generate_array"]


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

    def add_sums(self, n: int, sum_F: float, sum_F2: float, sum_w: float, sum_w_xsec: float,
                 n_zero: int) -> None:
        """Add precomputed sums of a block (same meaning as :meth:`add`)."""
        self.n += n
        self.sum_F += sum_F
        self.sum_F2 += sum_F2
        self.sum_w += sum_w
        self.sum_w_xsec += sum_w_xsec
        self.n_zero += n_zero

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

    Units: ``integral`` per target per POT (``int Phi sigma dE``);
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
    grid: dict[str, Any] | None = None
    #: The adaptation cache's part in the run (:mod:`zpgen.adaptation_cache`): ``path``,
    #: ``key``, ``hit`` (maps loaded from it) and ``stored``; None when not consulted.
    adaptation_cache: dict[str, Any] | None = None
    unweighted: dict[str, Any] | None = None
    #: Warnings about the run's inputs (the flux's ``caveats``), repeated by every command.
    caveats: tuple[str, ...] = ()
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
        """Per channel ``(sum w, error)`` from the generated events (unweighted runs: the
        error of the rate their equal weights were normalised to)."""
        out = {}
        per_channel = (self.unweighted or {}).get("channels", {})
        for name, tally in self.tallies.items():
            scale = self.pot * self.targets.get(name, 0.0)
            err = (float(per_channel[name]["expected_events_err"]) if name in per_channel
                   else scale * tally.integral_err)
            out[name] = (tally.sum_w, err)
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
                     "sigma, sigma as the process defines it, e.g. including a visible "
                     "branching ratio), before detector efficiency w_eff; times "
                     "weight_share (1/K) in a job of a K-job array, so that the K files "
                     "chain",
                "w_xsec": "sum over a channel's events = flux-averaged cross section of the "
                          "process (cm^2 per target particle of that channel)",
            },
            "grid": self.grid,
            "adaptation_cache": self.adaptation_cache,
            "unweighted": self.unweighted,
            "caveats": list(self.caveats),
            "timing_s": {"setup": self.setup_seconds, "adapt": self.adapt_seconds,
                         "generate": self.generate_seconds},
        }


class GenerationError(ValueError):
    """Bad input of a run, reported before any work (or when no event can be made)."""


def default_threads() -> int:
    """Cores available to this process (``os.sched_getaffinity``), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class _Piece:
    """Rows ``lo:hi`` of block ``block`` (``size`` events) of a channel -> chunk row ``dst``."""

    index: int
    name: str
    block: int
    size: int
    lo: int
    hi: int
    dst: int


class EventGenerator:
    """Builds the channels of a card, adapts them (or loads a grid) and streams chunks.

    Parameters
    ----------
    card
        Validated run card.
    n_events, seed
        Override ``card.run.n_events`` / ``card.run.seed`` (``n_events >= 1``).
    chunk_size
        Events per yielded chunk (the last one may be shorter).
    detector
        Apply ``detector.place`` and ``detector.respond`` (the detector is always used
        for the exposure and target counts).  Without it, ``vtx_x/y/z`` are 0.
    progress
        Show a tqdm progress bar.
    job_index, n_jobs
        Index of this job in a job array of ``n_jobs`` jobs (different events, same
        adapted grids); ``0 <= job_index < n_jobs`` when ``n_jobs`` is given.
    nitn, neval, nitn_final
        VEGAS adaptation (see :func:`zpgen.sampler.adapt_channel`; checked by
        :func:`zpgen.sampler.check_vegas_settings`).  Ignored with ``grid``.
    min_per_channel
        Floor of the per-channel allocation (default: see :func:`zpgen.sampler.allocate`).
    flux, detector_plugin, process
        Pre-built plugin objects (default: loaded by name from the card).
    threads
        Worker threads filling the blocks of a chunk (default: the available cores, less
        one when ``writer_thread``) and adapting channels (default: the available cores).
        The events do not depend on it.
    writer_thread
        A writer thread consumes the chunks alongside (:func:`zpgen.writers.pipeline.
        write_stream`): the default number of event threads leaves it a core.  On the
        2-core machine one event thread beside the writer is 6-14 % faster than two to
        ROOT (1e6 events: 6.90-7.46 s against 7.36-8.72 s, three pairs; issue 14): the
        writer (uproot's compression) is the longest thread, and a second event thread
        only competes with it.
    unweighted
        ``None`` (weighted events), ``"physics"`` or ``"selected"``: events of equal
        weight by accept-reject (:mod:`zpgen.unweighted`).
    grid
        An adapted grid (:class:`zpgen.gridpack.Grid` or a path): skip the adaptation and
        use its maps and integrals; the card must match the grid's.
    adaptation_cache
        Without ``grid``: reuse the maps an earlier run of the same card, seed, VEGAS
        settings and inputs stored in the adaptation cache, and store this run's
        (:mod:`zpgen.adaptation_cache`; the events are the same either way).  True (default)
        uses the directory ``$ZPGEN_CACHE`` names (``off``: none).

    Raises
    ------
    GenerationError
        On bad arguments or when the flux lies entirely below every channel's threshold.
    zpgen.gridpack.GridError
        When ``grid`` cannot be read or was made for another card.
    """

    def __init__(self, card: Card, n_events: int | None = None, seed: int | None = None,
                 chunk_size: int = 20_000, detector: bool = True, progress: bool = False,
                 job_index: int = 0, nitn: int = DEFAULT_NITN, neval: int = DEFAULT_NEVAL,
                 nitn_final: int = DEFAULT_NITN_FINAL, min_per_channel: int | None = None,
                 flux: Flux | None = None, detector_plugin: Detector | None = None,
                 process: Process | None = None,
                 threads: int | None = None, grid: Any = None,
                 n_jobs: int | None = None, unweighted: str | None = None,
                 adaptation_cache: bool = True, writer_thread: bool = False) -> None:
        start = time.perf_counter()
        n_events = card.run.n_events if n_events is None else n_events
        _check_int("n_events", n_events, 1)
        if seed is not None:
            _check_int("seed", seed, 0)
        card = card.with_run(n_events=int(n_events), seed=seed)  # one seed, in the card
        if n_events > run_limits.MAX_EVENTS:
            raise GenerationError(f"n_events: must be <= {run_limits.MAX_EVENTS:.0e}, got "
                                  f"{n_events}")
        _check_int("chunk_size", chunk_size, 1)
        _check_int("job_index", job_index, 0)
        if n_jobs is not None:
            _check_int("n_jobs", n_jobs, 1)
            if job_index >= n_jobs:
                raise GenerationError(f"job_index: must be < n_jobs = {n_jobs}, got "
                                      f"{job_index}")
        adapt_threads = default_threads() if threads is None else threads
        if threads is None:
            threads = max(1, adapt_threads - 1) if writer_thread else adapt_threads
        _check_int("threads", threads, 1)
        try:
            sampler.check_vegas_settings(nitn, neval, nitn_final)
        except ValueError as exc:
            raise GenerationError(str(exc)) from None
        if grid is not None and not isinstance(grid, Grid):
            grid = load_grid(grid)
        if grid is not None:
            grid.check_card(card)
        self.grid: Grid | None = grid
        self.use_adaptation_cache = bool(adaptation_cache) and grid is None
        self.card = card
        self.n_events = int(n_events)
        self.seed = int(card.run.seed)
        self.chunk_size = int(chunk_size)
        self.apply_detector = bool(detector)
        self.progress = bool(progress)
        self.job_index = int(job_index)
        self.n_jobs = n_jobs
        #: Share of the exposure the events of this run carry: 1 / n_jobs in a job array
        #: (the job files chain: their sums of w add up to the expected events), else 1.
        #: The run summary's sums and errors stay those of the full exposure.
        self.weight_share = 1.0 / n_jobs if n_jobs is not None else 1.0
        self.threads = int(threads)
        self.adapt_threads = int(adapt_threads)
        self.nitn, self.neval, self.nitn_final = int(nitn), int(neval), int(nitn_final)
        if grid is not None:
            self.nitn = int(grid.payload["nitn"])
            self.neval = int(grid.payload["neval"])
            self.nitn_final = int(grid.payload["nitn_final"])
        self.min_per_channel = min_per_channel
        if flux is None:
            flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
        if detector_plugin is None:
            detector_plugin = load_plugin("detector", card.detector["name"]).from_options(
                card.detector)
        if process is None:
            process = load_plugin("process", card.process.name).from_card(card)
        check_beam_flavour(process, flux)
        self.flux: Flux = flux
        self.detector: Detector = detector_plugin
        self.process: Process = process
        #: SHA-256 fingerprints of the data files the plugins read (zpgen.fingerprints)
        self.inputs = fingerprints.collect(card, {"flux": flux, "detector": detector_plugin,
                                                  "process": process})
        if grid is not None:
            grid.check_inputs(self.inputs)
        try:
            names, targets = channel_targets(process, detector_plugin)
        except ValueError as exc:
            raise GenerationError(str(exc)) from None
        self.channels: dict[str, Channel] = {name: process.channel(name, flux)
                                              for name in names}
        self._check_open(names, targets)
        self.summary = RunSummary(
            channels=names, seed=self.seed, job_index=self.job_index,
            n_requested=self.n_events, pot=float(detector_plugin.pot), targets=targets,
            flux_total=float(flux.integral()), process_info=dict(process.info()),
            grid=grid.info() if grid is not None else None,
            caveats=tuple(getattr(flux, "caveats", ()) or ()))
        self.adapted: dict[str, sampler.AdaptedChannel] = {}
        self.unweighter: Unweighter | None = None
        if unweighted is not None:
            try:
                self.unweighter = Unweighter(self, unweighted)
            except UnweightingError as exc:
                raise GenerationError(str(exc)) from None
        self.summary.setup_seconds = time.perf_counter() - start

    def describe(self) -> dict[str, Any]:
        """What the run is, for every output file's metadata (JSON-compatible).

        Keys: ``channels`` (names, in index order), ``channel_info`` (per channel: target,
        nucleus, process id, description, citations; :class:`zpgen.registry.ChannelInfo`),
        ``particles`` (the new states declared by the process, by PDG number),
        ``beam_pdg`` (from the flux's flavour), ``beam`` (the flux as an energy histogram
        in nu/cm^2/POT/GeV, or one energy), ``pot``, ``targets`` (per channel),
        ``flux_total`` (nu/cm^2/POT), ``atoms`` (target atoms per nuclear code),
        ``n_atoms`` (their sum: the "atom" of NuHepMC's per-atom cross section),
        ``histograms`` (the summary histograms the detector declares,
        :class:`zpgen.histograms.HistogramSpec`) and ``column_docs`` (unit and meaning of
        the event columns the process adds, from its optional ``column_docs()``).
        """
        process, flux = self.process, self.flux
        names = list(self.summary.channels)
        info = {n: process.channel_info(n) for n in names}
        targets = self.summary.targets
        atoms: dict[int, float] = {}
        for n in names:
            if targets.get(n, 0.0) > 0.0:
                atoms.setdefault(int(info[n].nucleus_pdg),
                                 targets[n] / info[n].targets_per_nucleus)
        edges = np.asarray(getattr(flux, "edges", []), dtype=np.float64)
        beam: dict[str, Any] = {"pdg": int(flux.pdg), "flavour": str(flux.flavour),
                                "flux_unit": "cm^-2 POT^-1 GeV^-1"}
        energy = getattr(flux, "energy", None)
        if energy is not None and edges.size == 2:
            beam.update(type="MonoEnergetic", energy_GeV=float(energy))
        else:
            beam.update(type="Histogram", edges_GeV=edges.tolist(),
                        content=np.asarray(flux.density, dtype=np.float64).tolist(),
                        content_is_per_width=True)
        return {
            "channels": names,
            "channel_info": {n: info[n].as_dict() for n in names},
            "particles": {str(p): v.as_dict() for p, v in process.particles().items()},
            "beam_pdg": int(flux.pdg),
            "beam": beam,
            "pot": self.summary.pot,
            "targets": dict(targets),
            "flux_total": self.summary.flux_total,
            "atoms": {str(k): v for k, v in atoms.items()},
            "n_atoms": float(sum(atoms.values())),
            "histograms": [spec.as_dict() for spec in
                           getattr(self.detector, "histograms", list)()],
            "weight_share": self.weight_share,
            "caveats": list(getattr(flux, "caveats", ()) or ()),
            "column_docs": {name: [str(unit), str(doc)] for name, (unit, doc) in
                            dict(getattr(process, "column_docs", dict)()).items()},
            "event_weights": ({"unweighted": True, "mode": self.unweighter.mode,
                               "note": "every event has the same w (expected events / N)"}
                              if self.unweighter is not None else {"unweighted": False}),
        }

    def _check_open(self, names: tuple[str, ...], targets: Mapping[str, float]) -> None:
        """Refuse a run in which the flux lies entirely below every channel's threshold."""
        with_targets = [n for n in names if targets.get(n, 0.0) > 0.0]
        if not with_targets:
            raise GenerationError("no events can be generated: the detector has no targets "
                                  f"for any channel of the process ({', '.join(names)})")
        above = {n: getattr(self.channels[n], "flux_above", None) for n in with_targets}
        if all(v is not None and v <= 0.0 for v in above.values()):
            edges = np.asarray(getattr(self.flux, "edges", [math.nan]))
            thresholds = ", ".join(
                f"{n} {getattr(self.channels[n], 'e_min', math.nan):.4g} GeV"
                for n in with_targets)
            raise GenerationError(
                f"no events can be generated: the flux (E_nu from {edges[0]:.4g} to "
                f"{edges[-1]:.4g} GeV) has no neutrinos above the production thresholds "
                f"({thresholds})")

    # ------------------------------------------------------------------ adaptation
    def prepare(self) -> None:
        """Everything before the first event: adaptation (or the grid) and, for unweighted
        events, the pilot samples and their caps (``GenerationError`` if impossible)."""
        self.adapt()
        if self.unweighter is not None:
            try:
                self.unweighter.pilot()
            except UnweightingError as exc:
                raise GenerationError(str(exc)) from None

    def adapt(self) -> dict[str, sampler.AdaptedChannel]:
        """Adapt every channel with targets (or take the grid's maps); fix the allocation."""
        if self.adapted:
            return self.adapted
        start = time.perf_counter()
        names = self.summary.channels
        source = self.grid
        cache_dir = key = None
        if self.use_adaptation_cache:
            cache_dir = adaptation_cache.cache_directory()
        if cache_dir is not None:
            key = adaptation_cache.cache_key(self.card, self.seed, self.nitn, self.neval,
                                             self.nitn_final, self.inputs)
            source = adaptation_cache.lookup(cache_dir, key, self.card, self.seed,
                                             self.nitn, self.neval, self.nitn_final,
                                             self.inputs)
        from_grid = {c["name"]: c for c in source.channels} if source is not None else None
        trained = {} if from_grid is not None else self._adapt_all(names)
        rates = []
        for index, name in enumerate(names):
            n_t = self.summary.targets.get(name, 0.0)
            if n_t <= 0.0:
                rates.append(0.0)
                continue
            if from_grid is not None:
                assert source is not None
                adapted = self._from_grid(source, from_grid, name, index)
                if adapted is None:
                    rates.append(0.0)
                    continue
            else:
                adapted = trained[name]
            self.adapted[name] = adapted
            self.summary.adapt[name] = adapted.summary()
            rates.append(self.summary.pot * n_t * adapted.mean)
        overflow = [n for n, r in zip(names, rates, strict=True) if not math.isfinite(r)]
        if overflow:
            raise GenerationError(f"the expected rate of {', '.join(overflow)} is not a finite "
                                  "number (it overflows): check the flux normalisation, the "
                                  "exposure and the couplings")
        if not any(r > 0.0 for r in rates):
            raise GenerationError("no events can be generated: every channel's rate is zero "
                                  "(flux below threshold or vanishing couplings)")
        alloc = sampler.allocate(rates, self.n_events, self.min_per_channel)
        self.summary.allocation = dict(zip(names, alloc, strict=True))
        if cache_dir is not None and key is not None:
            hit = source is not None
            stored = None if hit else adaptation_cache.store(cache_dir, key, self.card, self)
            self.summary.adaptation_cache = {
                "path": str(adaptation_cache.entry_path(cache_dir, key)), "key": key,
                "hit": hit, "stored": stored is not None}
        self.summary.adapt_seconds = time.perf_counter() - start
        return self.adapted

    def _adapt_all(self, names: tuple[str, ...]) -> dict[str, sampler.AdaptedChannel]:
        """VEGAS on every channel with targets, ``threads`` channels at a time (each has its
        own random stream, spawn key ``(0, i)``: the maps do not depend on the threads;
        the integrands are Numba kernels that release the GIL)."""
        todo = [(index, name) for index, name in enumerate(names)
                if self.summary.targets.get(name, 0.0) > 0.0]

        def one(item: tuple[int, str]) -> sampler.AdaptedChannel:
            index, name = item
            return sampler.adapt_channel(self.channels[name], name, index, self.seed,
                                         nitn=self.nitn, neval=self.neval,
                                         nitn_final=self.nitn_final)

        workers = min(self.adapt_threads, len(todo))
        if workers <= 1:
            return {name: one((index, name)) for index, name in todo}
        with ThreadPoolExecutor(workers, thread_name_prefix="zpgen-adapt") as pool:
            return {name: adapted for (_, name), adapted in zip(todo, pool.map(one, todo),
                                                                strict=True)}

    def _from_grid(self, grid: Grid, stored: Mapping[str, Mapping[str, Any]], name: str,
                   index: int) -> sampler.AdaptedChannel | None:
        entry = stored.get(name)
        if entry is None:
            return None
        channel = self.channels[name]
        if int(entry["index"]) != index or int(entry["dim"]) != int(channel.dim):
            raise GridError(f"{grid.path}: channel {name} has index {entry['index']} and "
                            f"dimension {entry['dim']} in the grid, {index} and {channel.dim} "
                            "here; re-run zpgen adapt")
        return sampler.AdaptedChannel(
            name=name, index=index, channel=channel, integrator=None,
            mean=float(entry["mean"]), sdev=float(entry["sdev"]),
            chi2_dof=float(entry["chi2_dof"]), Q=float(entry["Q"]), nitn=int(entry["nitn"]),
            neval=int(entry["neval"]), seconds=float(entry["seconds"]),
            history=[tuple(h) for h in entry.get("history", [])], amap=entry["map"])

    # ------------------------------------------------------------------ events
    def _layout(self) -> tuple[int, tuple[str, ...]]:
        """Particles per event and truth field names, common to every open channel."""
        layouts = set()
        for adapted in self.adapted.values():
            ch = adapted.channel
            k = getattr(ch, "n_particles", None)
            fields = getattr(ch, "truth_fields", None)
            if k is None or fields is None:
                probe = ch.events(np.full((1, adapted.dim), 0.5), np.full((1, ch.n_aux), 0.5))
                k, fields = probe.momenta.shape[1], tuple(probe.fields)
            layouts.add((int(k), tuple(fields)))
        if len(layouts) != 1:
            raise GenerationError(f"channels differ in particles per event or truth fields: "
                                  f"{sorted(layouts)}")
        return layouts.pop()

    def _chunk_plans(self) -> Iterator[list[_Piece]]:
        """The pieces of each chunk in turn: rows of (channel, block) in the fixed global
        order.  A generator, so the plan of a run of any size takes constant memory."""
        s = self.summary
        current: list[_Piece] = []
        filled = 0
        size_c = self.chunk_size
        for index, name in enumerate(s.channels):
            n_ch = s.allocation.get(name, 0)
            if n_ch <= 0 or name not in self.adapted:
                continue
            for b, size in sampler.blocks(n_ch):
                lo = 0
                while lo < size:
                    take = min(size - lo, size_c - filled)
                    current.append(_Piece(index, name, b, size, lo, lo + take, filled))
                    lo += take
                    filled += take
                    if filled == size_c:
                        yield current
                        current, filled = [], 0
        if current:
            yield current

    def _fill_piece(self, buf: ChunkBuffer, piece: _Piece, k: int, truth: tuple[str, ...]
                    ) -> tuple[ChunkBuffer | FlatEvents | None,
                               tuple[str, int, float, float, float, float, int]]:
        """Generate one piece (runs in a worker thread, mostly without the GIL).

        Without the detector the rows go straight into ``buf``; with it the whole block goes
        into a block buffer (the detector's random stream is per block).  A detector on flat
        columns (``flat_events``) responds here, in the worker thread, so that the
        responses of blocks run in parallel; for any other the block is returned for
        :meth:`_detect_piece` in the calling thread.  Returns ``(block buffer, the
        detector's events or None, tally sums of the rows)``.
        """
        s = self.summary
        adapted = self.adapted[piece.name]
        ch = adapted.channel
        n_ch = s.allocation[piece.name]
        rng = sampler.block_generator(self.seed, self.job_index, sampler.STREAM_EVENTS,
                                      piece.index, piece.block)
        y = rng.random((piece.size, adapted.dim))
        aux = rng.random((piece.size, int(ch.n_aux)))
        block: ChunkBuffer | None = None
        if self.apply_detector:
            rows = slice(0, piece.size)
            block = target = ChunkBuffer(piece.size, k, truth)
            start = 0
        else:
            rows = slice(piece.lo, piece.hi)
            target = buf
            start = piece.dst
        yy = np.ascontiguousarray(y[rows])
        n = yy.shape[0]
        x = np.empty_like(yy)
        jac = np.empty(n)
        grid, inc, ninc = adapted.map_arrays()
        sampler.map_points(yy, grid, inc, ninc, x, jac)
        aux_rows = np.ascontiguousarray(aux[rows])
        fill = getattr(ch, "fill", None)
        if fill is not None:
            fill(x, aux_rows, target, start)
        else:
            target.copy_block(ch.events(x, aux_rows), start, slice(None))
        dst = slice(start, start + n)
        F = target.event["w"][dst]          # holds f: becomes F / N_T, then w
        np.multiply(F, jac, out=F)
        np.divide(F, n_ch, out=F)
        w_xsec = target.event["w_xsec"][dst]
        np.divide(F, s.flux_total, out=w_xsec)
        target.event["channel"][dst] = piece.index
        sel = slice(piece.lo, piece.hi) if block is not None else slice(None)
        tally_F = F[sel].copy()
        np.multiply(F, s.pot * s.targets[piece.name], out=F)
        w, wx = F[sel], w_xsec[sel]
        sums = (piece.name, int(tally_F.size), float(tally_F.sum()),
                float(np.dot(tally_F, tally_F)), float(w.sum()), float(wx.sum()),
                int(np.count_nonzero(tally_F == 0.0)))
        if self.weight_share != 1.0:  # a job of an array: its share of the exposure
            np.multiply(F, self.weight_share, out=F)
            np.multiply(w_xsec, self.weight_share, out=w_xsec)
        if block is not None and getattr(self.detector, "flat_events", False):
            return self._respond(piece, block), sums
        return block, sums

    def _respond(self, piece: _Piece, block: ChunkBuffer) -> FlatEvents:
        """The detector's response to a whole block (its own random stream)."""
        rng_det = sampler.block_generator(self.seed, self.job_index, sampler.STREAM_DETECTOR,
                                          piece.index, piece.block)
        return run_detector(self.detector, block.flat_view(piece.size), rng_det)

    def _detect_piece(self, buf: ChunkBuffer, piece: _Piece,
                      block: ChunkBuffer | FlatEvents) -> None:
        """The piece's rows of a block's detector response copied to ``buf`` (the response
        made here, in the calling thread, unless the worker made it: ``FlatEvents``)."""
        events = block if isinstance(block, FlatEvents) else self._respond(piece, block)
        buf.copy_flat(events, piece.dst, slice(piece.lo, piece.hi))

    def chunks(self) -> Iterator[ak.Array]:
        """Chunks of ``chunk_size`` events (the last may be shorter).

        Pieces (rows of a block) are generated by ``threads`` worker threads in the fixed
        global order; at most a bounded number of pieces is in flight, so at most the chunk
        being assembled and the next one are allocated besides the chunk the consumer
        holds.  The detector (Python/awkward, holds the GIL) runs in the calling thread on
        each block as it arrives, overlapping the Numba kernels of the next blocks.
        Unweighted runs go through :meth:`zpgen.unweighted.Unweighter.chunks`.
        """
        if self.unweighter is not None:
            yield from self.unweighter.chunks()
            return
        self.adapt()
        start = time.perf_counter()
        plans = self._chunk_plans()
        k, truth = self._layout()
        s = self.summary
        bar = None
        if self.progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=sum(s.allocation.values()), unit="ev", desc="zpgen", leave=False)
        pool = ThreadPoolExecutor(self.threads, thread_name_prefix="zpgen-gen") \
            if self.threads > 1 else None
        # the plans of the chunk being assembled and of the next one (pulled lazily)
        known: dict[int, list[_Piece]] = {}
        waiting: deque[tuple[int, _Piece]] = deque()  # pieces of known chunks not submitted
        buffers: dict[int, ChunkBuffer] = {}
        inflight: deque[tuple[int, _Piece, Any]] = deque()

        def learn(c: int) -> bool:
            """Pull the plan of chunk ``c`` (False when the run has fewer chunks)."""
            if c not in known:
                pieces = next(plans, None)
                if pieces is None:
                    return False
                known[c] = pieces
                waiting.extend((c, piece) for piece in pieces)
            return True

        def buffer(c: int) -> ChunkBuffer:
            if c not in buffers:
                last = known[c][-1]
                buffers[c] = ChunkBuffer(last.dst + last.hi - last.lo, k, truth,
                                         vertex_fields=not self.apply_detector)
            return buffers[c]

        try:
            c = 0
            while learn(c):
                learn(c + 1)
                if self.apply_detector:  # bounded block buffers (one block each) waiting
                    max_inflight = 2 * self.threads
                else:
                    max_inflight = len(known[c]) + self.threads
                for _ in known[c]:
                    while waiting and len(inflight) < max_inflight and waiting[0][0] <= c + 1:
                        cc, piece = waiting.popleft()
                        buf = buffer(cc)
                        if pool is None:
                            inflight.append((cc, piece, self._fill_piece(buf, piece, k, truth)))
                        else:
                            inflight.append((cc, piece, pool.submit(self._fill_piece, buf,
                                                                    piece, k, truth)))
                    cc, piece, fut = inflight.popleft()
                    assert cc == c
                    block, sums = fut if pool is None else fut.result()
                    if block is not None:
                        self._detect_piece(buffers[c], piece, block)
                    del block
                    s.tallies.setdefault(sums[0], ChannelTally()).add_sums(*sums[1:])
                # packed: the particles compacted here (one np.take per column, in this
                # thread) rather than by awkward inside the writer thread, which is the
                # longer one (uproot needs offsets): 1e6 events to ROOT 5.8 -> 5.0 s
                chunk = buffers.pop(c).to_awkward(packed=True)
                del known[c]
                c += 1
                if bar is not None:
                    bar.update(len(chunk))
                yield chunk
                del chunk
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            if bar is not None:
                bar.close()
            self.summary.generate_seconds += time.perf_counter() - start

    def __iter__(self) -> Iterator[ak.Array]:
        return self.chunks()


def run_detector(detector: Any, events: FlatEvents, rng: np.random.Generator) -> FlatEvents:
    """``detector.place`` then ``detector.respond`` on flat events.

    A detector that declares ``flat_events = True`` (the built-in ones) works on the
    :class:`zpgen.event_record.FlatEvents` directly; any other gets and returns awkward
    chunks (the events are converted both ways).
    """
    if getattr(detector, "flat_events", False):
        return detector.respond(detector.place(events, rng), rng)
    chunk = detector.respond(detector.place(events.to_awkward(), rng), rng)
    return FlatEvents.from_awkward(chunk)


def _check_int(name: str, value: Any, lo: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise GenerationError(f"{name}: must be an integer, got {value!r}")
    if value < lo:
        raise GenerationError(f"{name}: must be >= {lo}, got {value}")


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
             chunk_size: int = 20_000, detector: bool = True, progress: bool = False,
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
