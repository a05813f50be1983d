"""One production run, card to file: the engine behind ``zpgen generate``, ``run-jobs`` and
the job arrays (no command-line parsing here: :mod:`zpgen.cli.generate` parses, this runs).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from zpgen import __version__
from zpgen.card import Card, CardError, stored_card_text

__all__ = ["DEFAULT_CHUNK", "current_command", "generate_file", "run_document"]

#: Events per chunk held in memory (about 1 kB each; 1e6 events to ROOT peak < 500 MB RSS).
DEFAULT_CHUNK = 20_000


def current_command() -> str:
    """This process's command line, shell-quoted (``zpgen generate ...``)."""
    return " ".join(shlex.quote(a) for a in [Path(sys.argv[0]).name, *sys.argv[1:]])


def run_document(card: Card, engine: Any, grid: Any, n_jobs: int | None,
                 command: str | None = None) -> dict[str, Any]:
    """The run document of every output file: the engine's description of the run
    (:meth:`zpgen.generate.EventGenerator.describe`) plus the card, the provenance and the
    fingerprints of the input files (:mod:`zpgen.fingerprints`).

    ``command``: the user's command line (default: this process's ``sys.argv``; a job of
    ``zpgen run-jobs`` gets its parent's, so that a file made on a Dask worker records the
    command the user typed, not ``dask worker ...``).
    """
    summary = engine.summary
    info = {
        "generator": "zpgen",
        "version": __version__,
        "card": stored_card_text(card),  # card.py: read back by card_from_stored
        "card_dict": card.as_dict(),
        "card_resolved": card.as_dict(),
        "seed": card.run.seed,
        "job_index": summary.job_index,
        "n_events": summary.n_requested,
        **engine.describe(),
        "command": command if command is not None else current_command(),
        "grid": grid.info() if grid is not None else None,
        "adaptation_cache": summary.adaptation_cache,
        "inputs": engine.inputs,
    }
    if n_jobs is not None:
        info["n_jobs"] = n_jobs
    return info


def generate_file(card: Card, output: str | os.PathLike[str], *, n_events: int | None = None,
                  seed: int | None = None, job_index: int = 0, n_jobs: int | None = None,
                  grid: Any = None, chunk_size: int = DEFAULT_CHUNK, detector: bool = True,
                  threads: int | None = None, fmt: str | None = None,
                  writer_thread: bool = True, progress: bool = False,
                  adapt: dict[str, int] | None = None, unweighted: str | None = None,
                  stop_check: Callable[[], None] | None = None,
                  command: str | None = None, compression: str | None = None) -> Any:
    """Generate the events of one job into ``output`` (atomic); returns the run summary.

    ``n_events`` and ``seed`` given here become the card's ``run.n_events`` and
    ``run.seed`` (:meth:`zpgen.card.Card.with_run`), so the file records one seed, in its
    card.
    ``stop_check`` is called before each chunk is written; an exception it raises stops the
    run and removes the temporary (``zpgen run-jobs`` stops its jobs this way).
    ``command``: the user's command line for the provenance (:func:`run_document`).
    ``compression``: ``CODEC[:LEVEL]`` of the output (:mod:`zpgen.writers.compression`;
    None: the writer's default).

    Raises :class:`zpgen.card.CardError` on bad input of the run (before any work).
    """
    from zpgen.generate import GenerationError, generate
    from zpgen.gridpack import GridError
    from zpgen.writers import writer_for_path
    from zpgen.writers.pipeline import write_stream

    card = card.with_run(n_events=n_events, seed=seed)
    try:
        stream = generate(card, chunk_size=chunk_size,
                          detector=detector, progress=progress, job_index=job_index,
                          n_jobs=n_jobs, grid=grid, threads=threads, unweighted=unweighted,
                          writer_thread=writer_thread,
                          **(adapt or {}))
        stream.engine.prepare()
    except (GenerationError, GridError) as exc:
        raise CardError(str(exc)) from None
    output = os.fspath(output)
    writer = writer_for_path(output, fmt, compression)
    with writer:
        writer.open(output, run_document(card, stream.engine, grid, n_jobs, command))
        chunks = _checked(stream, stop_check)
        write_stream(chunks, writer, threaded=writer_thread)
        summary = stream.summary
        info = summary.as_dict()
        totals = {
            "n_events": summary.n_events,
            "sum_w": summary.sum_w,
            "sum_w_xsec": sum(v for v, _ in summary.sigma_flux_avg().values()),
            "sigma_cm2": {k: v for k, (v, _) in summary.sigma_flux_avg().items()},
            "sigma_err_cm2": {k: e for k, (_, e) in summary.sigma_flux_avg().items()},
            "expected_events": info["expected_events"],
            "expected_events_err": info["expected_events_err"],
            "run_summary": info,
        }
        writer.close(totals)
    return summary


def _checked(chunks: Iterator[Any], stop_check: Callable[[], None] | None
             ) -> Iterator[Any]:
    """The chunks, with a stop check before each: a stop a finaliser swallowed
    (:func:`zpgen.signals.check`) and the caller's ``stop_check``."""
    from zpgen import signals

    for chunk in chunks:
        signals.check()
        if stop_check is not None:
            stop_check()
        yield chunk
