"""Merge the outputs of independent jobs of one card (``zpgen merge``).

Convention
----------
A job's weights carry the share ``s`` of the exposure recorded in its metadata
(``run_info["weight_share"]``, :func:`zpgen.writers._base.weight_share`): ``1 / K`` for a
job of a K-job array (``--n-jobs K``: the job files chain directly, their sums of ``w`` add
up to the expected events), 1 for a run that normalised its weights to the full exposure
(a plain run, or a file written before weight shares existed).  Merging n inputs gives
every input the weight ``1 / n`` of the merged estimate: an input's ``w`` and ``w_xsec``
are multiplied by ``1 / (n s)`` (1 for all K jobs of an array, so the weights are then
copied unchanged), and the merged sum of ``w`` is the mean of the inputs' full-exposure
estimates; ``n_events`` adds up.  Unweighted jobs (every event ``w = s R / N_job``) are
multiplied by ``N_job / (N_total s)`` instead, so every merged event has the same weight
``R / N_total``; weighted and unweighted inputs are not mixed.  The merged file carries
the whole exposure (``weight_share`` 1).  The merged totals are the means of the inputs'
full-exposure ``sum_w``, ``sum_w_xsec``, ``expected_events`` and per-channel
``sigma_cm2``; their Monte Carlo errors
(``expected_events_err``, per-channel ``sigma_err_cm2``) are those of a mean of independent
estimates, ``sqrt(sum err_i^2)/n`` (the jobs draw independent events, from a shared grid
or not), so that ``zpgen compare-lhe`` and the cross-section tables keep them.
Histograms are recomputed from the merged events.  Inputs must have the same card apart
from ``run.seed``, ``run.job_index`` and ``run.output`` (the stored TOML text is compared,
and the resolved card ``card_resolved`` too when every input has one, so ``--set``
overrides count), must come from the same adapted grid (``run_info["grid"]["sha256"]``, or
all from no grid) and must not repeat a (seed, job index) pair, and must have read the
same input files (the SHA-256 fingerprints in ``run_info["inputs"]``,
:mod:`zpgen.fingerprints`).

The output is never one of the inputs (even with ``overwrite``) and an existing output is
replaced only with ``overwrite``: ``zpgen merge j0.root j1.root j2.root`` (OUT forgotten)
is refused instead of replacing j0.root.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from zpgen import signals
from zpgen.card import card_differences

from ._base import weight_share
from .read import check_input_file, format_of, iter_chunks, read_metadata

__all__ = ["IGNORED_CARD_KEYS", "MergeError", "merge_files"]

#: Card keys allowed to differ between the jobs of one run.
IGNORED_CARD_KEYS = frozenset({"run.seed", "run.job_index", "run.output"})


class MergeError(ValueError):
    """The inputs cannot be merged (different cards, formats or duplicate jobs)."""


def _card_dict(meta: Mapping[str, Any]) -> dict[str, Any]:
    text = meta.get("card") or ""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MergeError(f"the stored card is not valid TOML: {exc}") from exc


def _grid_id(info: Mapping[str, Any]) -> str | None:
    grid = info.get("grid")
    if isinstance(grid, Mapping) and grid.get("sha256"):
        return str(grid["sha256"])
    return None


def _card_dict_differences(a: Mapping[str, Any], b: Mapping[str, Any]
                           ) -> tuple[str, Any, Any] | None:
    """First differing key of the resolved cards of two run_infos (if both have one).

    ``zpgen generate`` stores the resolved card (``--set`` overrides applied) as
    ``card_resolved`` (the writers keep ``card_dict`` out of the files).
    """
    ca = a.get("card_resolved", a.get("card_dict"))
    cb = b.get("card_resolved", b.get("card_dict"))
    if not isinstance(ca, Mapping) or not isinstance(cb, Mapping):
        return None
    diff = card_differences(ca, cb, IGNORED_CARD_KEYS | {"run.n_events"})
    return diff[0] if diff else None


def _job_key(info: Mapping[str, Any], card: Mapping[str, Any]) -> tuple[Any, Any]:
    run = dict(card.get("run", {}))
    return (info.get("seed", run.get("seed")), info.get("job_index", run.get("job_index")))


def _check_paths(out: str | os.PathLike[str], inputs: Sequence[str | os.PathLike[str]],
                 overwrite: bool) -> None:
    """Refuse an OUT that exists (without ``overwrite``) or is one of the inputs, and inputs
    that are missing, repeated, or not all ROOT or all Parquet (before reading anything)."""
    from zpgen.outputs import OutputError, check_output_path, same_file

    from . import WriterError

    if len(inputs) < 2:
        raise MergeError("merge needs at least two input files (usage: zpgen merge OUT IN1 "
                         "IN2 ...)")
    try:
        fmt_out = format_of(out)
    except WriterError as exc:
        raise MergeError(f"OUT: {exc}") from None
    if fmt_out not in ("root", "parquet"):
        raise MergeError(f"OUT {os.fspath(out)!r} must be a .root or .parquet file")
    for i, p in enumerate(inputs):
        check_input_file(p)
        for q in inputs[:i]:
            if same_file(p, q):
                raise MergeError(f"{os.fspath(p)} is given twice: merging it twice would "
                                 "double-count its events")
    fmts = {format_of(p) for p in inputs}
    if len(fmts) != 1 or fmts.pop() not in ("root", "parquet"):
        raise MergeError("inputs must all be ROOT or all be Parquet files")
    try:
        check_output_path(out, overwrite=overwrite, flag="OUT",
                          inputs={f"input {os.fspath(p)!r}": p for p in inputs})
    except OutputError as exc:
        hint = (" (did you forget OUT? usage: zpgen merge OUT IN1 IN2 ...)"
                if "exists" in str(exc) or "is the input" in str(exc) else "")
        raise MergeError(f"{exc}{hint}") from None


def _input_differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> str | None:
    """The first input file whose fingerprint differs between two run_infos, or None."""
    fa, fb = a.get("inputs"), b.get("inputs")
    if fa is None and fb is None:
        return None
    if not isinstance(fa, Mapping) or not isinstance(fb, Mapping):
        return "one file records the fingerprints of its input files and the other does not"
    for label in sorted(set(fa) | set(fb)):
        ha = (fa.get(label) or {}).get("sha256")
        hb = (fb.get(label) or {}).get("sha256")
        if ha != hb:
            return (f"input file {label} differs (SHA-256 {str(ha)[:12]} vs {str(hb)[:12]}: "
                    "the jobs read different flux or data files)")
    return None


def _check_compatible(inputs: Sequence[str | os.PathLike[str]],
                      metas: Sequence[Mapping[str, Any]],
                      cards: Sequence[Mapping[str, Any]]) -> None:
    """MergeError unless every input shares the first one's card, resolved card, grid and
    input files, and no two come from the same seed and job index."""
    seen: dict[tuple[Any, Any], str] = {}
    for p, m, c in zip(inputs, metas, cards, strict=True):
        diff = card_differences(cards[0], c, IGNORED_CARD_KEYS)
        if diff:
            k, va, vb = diff[0]
            allowed = ", ".join(sorted(IGNORED_CARD_KEYS))
            raise MergeError(f"cards differ at {k}: {va!r} in {os.fspath(inputs[0])} vs "
                             f"{vb!r} in {os.fspath(p)} (only {allowed} may differ "
                             "between jobs)")
        dict_diff = _card_dict_differences(metas[0]["run_info"], m["run_info"])
        if dict_diff:
            k, va, vb = dict_diff
            raise MergeError(f"cards differ at {k}: {va!r} in {os.fspath(inputs[0])} vs "
                             f"{vb!r} in {os.fspath(p)} (resolved cards, including --set "
                             "overrides)")
        grid_a, grid_b = _grid_id(metas[0]["run_info"]), _grid_id(m["run_info"])
        if grid_a != grid_b:
            def describe(g: str | None) -> str:
                return f"grid {g[:12]}" if g else "no grid (adapted in the job)"
            raise MergeError(f"{os.fspath(inputs[0])} was generated from {describe(grid_a)}, "
                             f"{os.fspath(p)} from {describe(grid_b)}: outputs of different "
                             "grids cannot be merged")
        inputs_diff = _input_differences(metas[0]["run_info"], m["run_info"])
        if inputs_diff:
            raise MergeError(f"{os.fspath(inputs[0])} and {os.fspath(p)}: {inputs_diff}; "
                             "outputs of different inputs cannot be merged")
        job = _job_key(m["run_info"], c)
        if job in seen:
            raise MergeError(f"{os.fspath(p)} and {seen[job]} come from the same seed and job "
                             f"index {job}: merging duplicates would double-count events")
        seen[job] = os.fspath(p)


def merge_files(out: str | os.PathLike[str], inputs: Sequence[str | os.PathLike[str]],
                step_size: int = 100_000, overwrite: bool = False,
                compression: str | None = None) -> dict[str, Any]:
    """Merge ROOT or Parquet job outputs into ``out`` (atomic); returns the merged totals.

    ``compression``: ``CODEC[:LEVEL]`` of ``out`` (:mod:`zpgen.writers.compression`; None:
    the writer's default).

    Raises
    ------
    MergeError : fewer than two inputs, an input given twice, ``out`` existing (without
        ``overwrite``) or equal to an input (always), mixed formats, differing cards (the
        message names the first differing key), different input files (fingerprints), or
        two inputs from the same seed and job index
    WriterError : an input that is missing or not a readable file of its format
    """
    from . import writer_for_path

    _check_paths(out, inputs, overwrite)
    metas = [read_metadata(p) for p in inputs]
    cards = [_card_dict(m) for m in metas]
    _check_compatible(inputs, metas, cards)

    n_jobs = len(inputs)
    infos = [m["run_info"] for m in metas]
    tots = [dict(i.get("totals") or {}) for i in infos]
    factors = _weight_factors(inputs, infos)

    def mean_of(key: str) -> float | None:
        vals = [t.get(key, _full_exposure(i.get("written", {}).get(key), i))
                for t, i in zip(tots, infos, strict=True)]
        if any(v is None for v in vals):
            return None
        return float(np.mean([float(v) for v in vals]))

    def error_of_mean(values: Sequence[Any]) -> float | None:
        """Error of the mean of n independent estimates with errors ``values``."""
        if any(v is None for v in values):
            return None
        return float(np.sqrt(np.sum(np.square([float(v) for v in values])))) / len(values)

    totals: dict[str, Any] = {"n_events": 0}
    for key in ("sum_w", "sum_w_xsec", "expected_events"):
        v = mean_of(key)
        if v is not None:
            totals[key] = v
    e = error_of_mean([t.get("expected_events_err") for t in tots])
    if e is not None:
        totals["expected_events_err"] = e
    for key, err_key in (("sigma_cm2", "sigma_err_cm2"),):
        sig = [t.get(key) for t in tots]
        if all(isinstance(s, Mapping) for s in sig):
            chans = sorted(set().union(*[set(s) for s in sig]))  # type: ignore[arg-type]
            totals[key] = {ch: float(np.mean([float(s.get(ch, 0.0)) for s in sig]))  # type: ignore[union-attr]
                           for ch in chans}
        errs = [t.get(err_key) for t in tots]
        if all(isinstance(s, Mapping) for s in errs):
            chans = sorted(set().union(*[set(s) for s in errs]))  # type: ignore[arg-type]
            merged = {ch: error_of_mean([s.get(ch) for s in errs]) for ch in chans}  # type: ignore[union-attr]
            totals[err_key] = {ch: v for ch, v in merged.items() if v is not None}
    totals["n_jobs"] = n_jobs

    run_info = dict(infos[0])
    for k in ("totals", "written", "columns", "weights", "format", "zpgen_metadata_version"):
        run_info.pop(k, None)
    run_info["card"] = metas[0]["card"]
    run_info["card_dict"] = cards[0]
    run_info["merged_from"] = [
        {"path": os.fspath(p), "seed": i.get("seed"), "job_index": i.get("job_index"),
         "n_events": i.get("written", {}).get("n_events"),
         "sum_w": i.get("written", {}).get("sum_w")}
        for p, i in zip(inputs, infos, strict=True)]
    run_info["n_jobs"] = n_jobs
    run_info["weight_share"] = 1.0
    run_info["weight_convention"] = (
        "merged w = w / (n_jobs s) and w_xsec likewise, s the weight share of the job "
        "(1/K in a K-job array, else 1): the merged sum of w is the mean of the jobs' "
        "estimates of the expected events"
        if not dict(infos[0].get("event_weights", {}) or {}).get("unweighted") else
        "unweighted jobs: merged w = w N_job / (N_total s) (every event the same weight, "
        "expected events / N_total); w_xsec likewise")

    n = 0
    with writer_for_path(out, compression=compression) as writer:
        writer.open(out, run_info)
        for p, factor in zip(inputs, factors, strict=True):
            for chunk in iter_chunks(p, step_size=step_size):
                signals.check()
                chunk = _rescale(chunk, factor)
                writer.write(chunk)
                n += len(chunk)
        totals["n_events"] = n
        writer.close(totals)
    return totals


def _weight_factors(inputs: Sequence[Any], infos: Sequence[Mapping[str, Any]]
                    ) -> list[tuple[float, float]]:
    """Factor ``(numerator, denominator)`` of each input's weights (module docstring):
    ``1 / (n s)`` for weighted jobs, ``N_job / (N_total s)`` for unweighted ones (so that
    every merged event keeps one weight), ``s`` the input's weight share."""
    try:
        shares = [weight_share(i) for i in infos]
    except ValueError as exc:
        raise MergeError(str(exc)) from None
    kinds = [dict(i.get("event_weights", {}) or {}) for i in infos]
    modes = {(bool(k.get("unweighted")), k.get("mode")) for k in kinds}
    if len(modes) > 1:
        desc = ", ".join(f"{os.fspath(p)}: "
                         + (f"unweighted ({k.get('mode')})" if k.get("unweighted")
                            else "weighted") for p, k in zip(inputs, kinds, strict=True))
        raise MergeError(f"inputs mix weighted and unweighted events ({desc}); merge files "
                         "of one kind")
    if not kinds[0].get("unweighted"):
        return [_unit_if_close(1.0, len(inputs) * s) for s in shares]
    counts = [int(dict(i.get("written", {}) or {}).get("n_events", 0)) for i in infos]
    total = sum(counts)
    if total <= 0:
        raise MergeError("unweighted inputs without events cannot be merged")
    return [_unit_if_close(float(c), total * s) for c, s in zip(counts, shares, strict=True)]


def _full_exposure(value: Any, info: Mapping[str, Any]) -> Any:
    """A sum the writer counted over a file's events, scaled to the full exposure (divided
    by the file's weight share); ``None`` stays ``None``."""
    return None if value is None else float(value) / weight_share(info)


def _unit_if_close(num: float, den: float) -> tuple[float, float]:
    """``(1, 1)`` for a factor within rounding of 1 (K jobs of share 1/K: K * (1/K) need not
    be 1.0 exactly in floating point), so that such weights are copied bit for bit."""
    return (1.0, 1.0) if abs(num / den - 1.0) < 1e-12 else (num, den)


def _rescale(chunk: Any, factor: tuple[float, float]) -> Any:
    """The chunk with w and w_xsec multiplied by ``num / den`` (the merge convention); the
    chunk itself when the factor is 1 (all the jobs of an array)."""
    import awkward as ak

    num, den = factor
    if num == den:
        return chunk
    fields = {k: chunk[k] for k in chunk.fields}
    fields["w"] = chunk["w"] * num / den
    fields["w_xsec"] = chunk["w_xsec"] * num / den
    return ak.zip(fields, depth_limit=1)
