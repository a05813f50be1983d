"""``zpgen compare``'s analysis: a zpgen file's signal against the MiniBooNE 2020 nu-mode release.

The prediction is built from the events of a zpgen output file (ROOT or Parquet) written
with the ``miniboone`` detector: in each of the 11 official E_QE bins (0.2-3.0 GeV) the
signal is ``sum(w * w_eff * passes)`` over the events whose *reconstructed* ``E_QE`` falls
in the bin (``w``: expected events for the file's exposure, ``w_eff``: efficiency,
``passes``: one-ring selection; events outside 0.2-3.0 GeV or without a pair are not
counted).  The chi2 (PHYSICS.md, "Comparing to MiniBooNE data";
:mod:`zpgen.detectors.miniboone_chi2`) uses the 30x30 fractional covariance rescaled to
the prediction, collapsed with the numu constraint, plus a statistical term (CNP by
default), rebuilt at every value of the signal normalisation ``mu`` (prediction
``B + mu S``), which is fitted with ``mu >= 0``.  The E_vis and cos(theta) shapes are
compared with the digitised spectra of the same paper (statistical errors only).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ._common import MINIBOONE_SHAPE_EQE_WINDOW_GeV
from .miniboone_chi2 import (
    ENV_DATA,
    MiniBooNERelease,
    ReleaseError,
    chi2,
    data_directory,
    fit_signal_strength,
)

__all__ = ["DIGITISED", "CompareError", "Prediction", "PredictionAccumulator",
           "background_error", "compare",
           "data_dir", "read_digitised", "read_prediction", "shape_comparison", "write_root"]

FloatArray = npt.NDArray[np.float64]

#: Columns the E_QE prediction needs (written by the ``miniboone`` and ``truth`` detectors).
REQUIRED_COLUMNS = ("E_QE", "w", "w_eff", "passes")
#: Columns of the optional E_vis / cos(theta) shape comparisons.
SHAPE_COLUMNS = ("E_vis", "cos_theta")
#: E_QE window of MiniBooNE's published E_vis and cos(theta) distributions (2021 paper,
#: arXiv:2006.16883: 200 < E_QE < 1250 MeV).
SHAPE_EQE_RANGE_GeV = MINIBOONE_SHAPE_EQE_WINDOW_GeV
RELEASE_POT = 18.75e20
DIGITISED_DIR = "digitised_2020"
#: observable -> (column, edges file, data file, background file, axis label)
DIGITISED = {
    "E_vis": ("E_vis", "Evis_bin_edges.dat", "Evis_data.dat", "Evis_bkg.dat",
              "E_vis [GeV]"),
    "cos_theta": ("cos_theta", "Costheta_bin_edges.dat", "cosTheta_data.dat",
                  "cosTheta_bkg.dat", "cos theta"),
}


class CompareError(Exception):
    """A problem with the inputs of ``zpgen compare`` (the message names it)."""


@dataclass
class Prediction:
    """Signal of a file in the E_QE bins, with the columns kept for the shape comparisons."""

    edges_GeV: FloatArray
    signal: FloatArray
    signal_sumw2: FloatArray
    n_events: int
    sum_w: float
    sum_selected: float
    below: float
    above: float
    shape_values: dict[str, FloatArray] = field(default_factory=dict)
    shape_weights: FloatArray = field(default_factory=lambda: np.zeros(0))


# ---------------------------------------------------------------------- reading events
def _iter_columns(path: Path, columns: tuple[str, ...], optional: tuple[str, ...]
                  ) -> tuple[list[str], Any]:
    """Names found among ``optional`` and an iterator of {column: numpy array} chunks."""
    suffix = path.suffix.lower()
    if suffix == ".root":
        import uproot

        from zpgen.writers.root import TREE

        try:
            f = uproot.open(path)
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CompareError(f"{path}: cannot open as a ROOT file ({first})") from exc
        if TREE not in f:
            f.close()
            raise CompareError(f"{path}: no TTree {TREE!r} (not a zpgen event file?)")
        tree = f[TREE]
        names = set(tree.keys())
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            pfile = pq.ParquetFile(path)
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CompareError(f"{path}: cannot open as a Parquet file ({first})") from exc
        names = set(pfile.schema_arrow.names)
    else:
        raise CompareError(f"{path}: zpgen compare reads ROOT (.root) or Parquet (.parquet) "
                           f"event files, not {suffix or 'files without a suffix'}")
    missing = [c for c in columns if c not in names]
    if missing:
        if suffix == ".root":
            f.close()
        made = _detector_of(path)
        # a miniboone card without these columns was run with --no-detector
        which = (f" (the file was made with the {made} detector)"
                 if made and made != "miniboone" else "")
        raise CompareError(
            f"{path}: missing column(s) {', '.join(missing)} needed for the E_QE prediction"
            f"{which}; zpgen compare compares with MiniBooNE's data: generate with the "
            "miniboone detector (the default: no --no-detector, detector.name = "
            "\"miniboone\")")
    found = [c for c in optional if c in names]
    wanted = [*columns, *found]

    def chunks() -> Any:
        if suffix == ".root":
            try:
                if tree.num_entries:
                    for arrays in tree.iterate(wanted, step_size=200_000, library="np"):
                        yield {k: np.asarray(arrays[k]) for k in wanted}
            finally:
                f.close()
        else:
            for batch in pfile.iter_batches(batch_size=200_000, columns=wanted):
                yield {k: batch.column(k).to_numpy(zero_copy_only=False) for k in wanted}

    return found, chunks()


class PredictionAccumulator:
    """Sums of a signal prediction over chunks of events (``zpgen compare`` and
    ``zpgen scan`` add their events through it, so both build S the same way).

    Each chunk gives ``w``, ``w_eff``, ``passes`` and the reconstructed ``E_QE`` (and, with
    ``shape_columns``, the columns of the shape comparisons); an event counts with weight
    ``w * w_eff * passes`` when its E_QE is finite and the weight non-zero.
    """

    def __init__(self, edges_GeV: npt.ArrayLike, shape_columns: tuple[str, ...] = ()) -> None:
        self.edges = np.asarray(edges_GeV, dtype=np.float64)
        n_bins = self.edges.size - 1
        self.signal = np.zeros(n_bins)
        self.sumw2 = np.zeros(n_bins)
        self.n_events = 0
        self.sum_w = 0.0
        self.sum_w2 = 0.0
        self.sum_selected = 0.0
        self.below = 0.0
        self.above = 0.0
        self.shape_values: dict[str, list[FloatArray]] = {c: [] for c in shape_columns}
        self.shape_weights: list[FloatArray] = []

    def add(self, cols: Any) -> None:
        """Add a chunk: a mapping (or awkward record array) with the columns above."""
        edges = self.edges
        w = np.asarray(cols["w"], dtype=np.float64)
        weight = w * np.asarray(cols["w_eff"], dtype=np.float64) \
            * np.asarray(cols["passes"], dtype=bool)
        eqe = np.asarray(cols["E_QE"], dtype=np.float64)
        ok = np.isfinite(eqe) & (weight != 0.0)
        self.n_events += int(w.size)
        self.sum_w += float(w.sum())
        self.sum_w2 += float(np.dot(w, w))
        self.sum_selected += float(weight[ok].sum())
        self.below += float(weight[ok & (eqe < edges[0])].sum())
        self.above += float(weight[ok & (eqe > edges[-1])].sum())
        inside = ok & (eqe >= edges[0]) & (eqe <= edges[-1])
        c, _ = np.histogram(eqe[inside], bins=edges, weights=weight[inside])
        c2, _ = np.histogram(eqe[inside], bins=edges, weights=weight[inside] ** 2)
        self.signal += c
        self.sumw2 += c2
        if self.shape_values:
            lo, hi = SHAPE_EQE_RANGE_GeV
            window = ok & (eqe >= lo) & (eqe < hi)
            self.shape_weights.append(weight[window])
            for c_name, values in self.shape_values.items():
                values.append(np.asarray(cols[c_name], dtype=np.float64)[window])

    @property
    def ess(self) -> float:
        """Effective sample size of the events' ``w``, (sum w)^2 / sum w^2."""
        return self.sum_w ** 2 / self.sum_w2 if self.sum_w2 > 0.0 else math.nan

    def result(self, source: str = "the events") -> Prediction:
        """The :class:`Prediction` (``CompareError`` for a non-finite or negative one)."""
        if not np.all(np.isfinite(self.signal)) or np.any(self.signal < 0):
            raise CompareError(f"{source}: the weights give a non-finite or negative "
                               "prediction")
        return Prediction(
            edges_GeV=self.edges, signal=self.signal, signal_sumw2=self.sumw2,
            n_events=self.n_events, sum_w=self.sum_w, sum_selected=self.sum_selected,
            below=self.below, above=self.above,
            shape_values={k: np.concatenate(v) if v else np.zeros(0)
                          for k, v in self.shape_values.items()},
            shape_weights=(np.concatenate(self.shape_weights) if self.shape_weights
                           else np.zeros(0)))


def _detector_of(path: Path) -> str | None:
    """The detector named in the run document of a zpgen file, or None if unreadable."""
    try:
        from zpgen.writers.read import read_metadata

        name = read_metadata(path)["run_info"]["card_resolved"]["detector"]["name"]
    except Exception:
        return None
    return str(name)


def read_prediction(path: str | os.PathLike[str], edges_GeV: npt.ArrayLike,
                    shape_columns: bool = False, scale: float = 1.0) -> Prediction:
    """Signal per E_QE bin: sum of ``scale * w * w_eff * passes`` by reconstructed ``E_QE``
    (:class:`PredictionAccumulator`; ``scale``: 1 / the file's weight share for one job of a
    job array, else 1).

    Raises :class:`CompareError` naming missing columns or an unreadable file.
    """
    p = Path(path)
    if not p.is_file():
        raise CompareError(f"{p}: no such file")
    found, chunks = _iter_columns(p, REQUIRED_COLUMNS, SHAPE_COLUMNS if shape_columns else ())
    acc = PredictionAccumulator(edges_GeV, tuple(found))
    for cols in chunks:
        if scale != 1.0:
            cols = {**cols, "w": np.asarray(cols["w"], dtype=np.float64) * scale}
        acc.add(cols)
    return acc.result(str(p))


# ---------------------------------------------------------------------- digitised spectra
def _digitised_dir(data_dir: Path, override: str | None) -> Path:
    if override:
        d = Path(override)
    else:
        candidates = [data_dir / DIGITISED_DIR, data_dir.parent / DIGITISED_DIR]
        d = next((c for c in candidates if c.is_dir()), candidates[0])
    if not d.is_dir():
        raise CompareError(f"digitised spectra not found at {d}; pass --digitised DIR")
    return d


def match_by_centre(edges: FloatArray, rows: FloatArray) -> FloatArray:
    """Values per bin from digitised (centre, value) rows, matched by bin centre.

    A row belongs to the bin whose centre is within half a bin width of it; several rows
    in one bin are averaged, a bin without a row is NaN.  Centres given in MeV for edges
    in GeV (the E_vis files) are converted: if the largest centre exceeds 1.5 x the last
    edge, centres are divided by 1000.
    """
    rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
    x, y = rows[:, 0].copy(), rows[:, 1]
    if edges[-1] > 0 and np.max(np.abs(x)) > 1.5 * np.max(np.abs(edges)):
        x = x / 1000.0
    centres = 0.5 * (edges[1:] + edges[:-1])
    half = 0.5 * np.diff(edges)
    out = np.full(centres.size, np.nan)
    for i, (c, h) in enumerate(zip(centres, half, strict=True)):
        sel = np.abs(x - c) < h
        if np.any(sel):
            out[i] = float(np.mean(y[sel]))
    return out


def read_digitised(directory: Path, observable: str) -> tuple[FloatArray, FloatArray,
                                                              FloatArray]:
    """(edges, data, background) of a digitised 2020 spectrum, matched by bin centre."""
    _, edges_name, data_name, bkg_name, _ = DIGITISED[observable]
    arrays = []
    for name in (edges_name, data_name, bkg_name):
        path = directory / name
        if not path.is_file():
            raise CompareError(f"digitised spectra at {directory}: missing {name}")
        arrays.append(np.loadtxt(path, dtype=np.float64, ndmin=1))
    edges = arrays[0].reshape(-1)
    return edges, match_by_centre(edges, arrays[1]), match_by_centre(edges, arrays[2])


def shape_comparison(prediction: Prediction, directory: Path, mu: float) -> dict[str, Any]:
    """E_vis and cos(theta) of ``mu x`` the signal against the digitised data and background.

    Statistical errors only (sqrt(data) per bin; bins with no data or no digitised point
    are skipped): ``chi2_stat`` for B + mu S (ndof = bins), ``chi2_stat_background_only``
    and ``chi2_shape`` with the signal normalised to the data excess sum(D - B) of the
    distribution (ndof = bins - 1).
    """
    out: dict[str, Any] = {"errors": "statistical only (sqrt of the data count per bin); "
                                     "MiniBooNE released no covariance for these spectra",
                           "E_QE_window_GeV": list(SHAPE_EQE_RANGE_GeV), "mu": mu}
    for obs, (column, *_rest, label) in DIGITISED.items():
        if column not in prediction.shape_values:
            out[obs] = {"skipped": f"column {column} not in the file"}
            continue
        edges, data, bkg = read_digitised(directory, obs)
        signal, _ = np.histogram(prediction.shape_values[column], bins=edges,
                                 weights=prediction.shape_weights)
        use = np.isfinite(data) & np.isfinite(bkg) & (data > 0)
        d, b, s = data[use], bkg[use], signal[use]
        chi2_fit = float(np.sum((d - b - mu * s) ** 2 / d))
        chi2_bkg = float(np.sum((d - b) ** 2 / d))
        excess = float(np.sum(d - b))
        k = excess / float(s.sum()) if s.sum() > 0 else 0.0
        chi2_shape = float(np.sum((d - b - k * s) ** 2 / d))
        out[obs] = {
            "label": label, "edges": edges.tolist(), "data": data.tolist(),
            "background": bkg.tolist(), "signal": signal.tolist(),
            "signal_mu": (mu * signal).tolist(), "bins_used": int(use.sum()),
            "chi2_stat": chi2_fit, "chi2_stat_background_only": chi2_bkg,
            "chi2_shape": chi2_shape, "shape_normalisation": k,
            "ndof_stat": int(use.sum()), "ndof_shape": max(int(use.sum()) - 1, 0),
        }
    return out


# ---------------------------------------------------------------------- the comparison
def data_dir(option: str | None) -> Path:
    """The folder of the MiniBooNE release: ``option``, else ``$ZPGEN_MINIBOONE_DATA``."""
    if not (option or os.environ.get(ENV_DATA)):
        raise CompareError(f"no data release: pass --data-release DIR or set {ENV_DATA}")
    try:
        return data_directory(option)
    except FileNotFoundError as exc:
        raise CompareError(f"--data-release: {exc}") from exc


def _detector_name(meta: dict[str, Any]) -> str | None:
    """Detector of the run, from the resolved card of its run document (None if unknown)."""
    card = meta.get("card_resolved") or meta.get("card_dict") or {}
    name = dict(card.get("detector", {}) or {}).get("name") if isinstance(card, dict) else None
    return name if isinstance(name, str) else None


def compare(path: str | os.PathLike[str], data_release: str | os.PathLike[str],
            stat: str = "cnp", shapes: bool = False, digitised: str | None = None
            ) -> dict[str, Any]:
    """The comparison as a JSON-compatible dict (keys of ``zpgen compare --json``)."""
    data_dir = Path(data_release)
    try:
        release = MiniBooNERelease.from_directory(data_dir)
    except ReleaseError as exc:
        raise CompareError(str(exc)) from exc
    warnings = []
    meta: dict[str, Any] = {}
    try:
        from zpgen.writers.read import read_metadata

        meta = read_metadata(path)["run_info"]
    except Exception as exc:  # metadata is informative only
        warnings.append(f"run metadata not readable ({exc})")
    share = float(meta.get("weight_share", 1.0) or 1.0)
    if not (0.0 < share <= 1.0):
        raise CompareError(f"{path}: weight_share {share!r} in its metadata is not in (0, 1]")
    if share < 1.0:
        warnings.append(f"the file is one job of a {round(1.0 / share)}-job array (its w carry "
                        f"{share:.4g} of the exposure); the prediction scales them by "
                        f"{1.0 / share:.6g} (merge or chain the job files for the full "
                        "statistics)")
    pred = read_prediction(path, release.edges_GeV, shape_columns=shapes, scale=1.0 / share)
    fit = fit_signal_strength(pred.signal, release, stat)
    at_one = chi2(pred.signal, release, stat)
    pot = meta.get("pot")
    if isinstance(pot, int | float) and abs(pot / RELEASE_POT - 1.0) > 1e-6:
        warnings.append(f"the file's exposure is {pot:g} POT, the release's {RELEASE_POT:g} "
                        "POT: mu_best absorbs the ratio")
    detector = _detector_name(meta)
    if detector is not None and detector != "miniboone":
        warnings.append(f"the file was generated with detector {detector!r}, not "
                        "'miniboone': no MiniBooNE response in E_QE, w_eff and passes")
    result: dict[str, Any] = {
        **fit.as_dict(),
        "prediction": pred.signal.tolist(),
        "data": release.nue_data.tolist(),
        "background": release.nue_background.tolist(),
        "background_error": background_error(release).tolist(),
        "eqe_edges_GeV": release.edges_GeV.tolist(),
        "prediction_mc_error": np.sqrt(pred.signal_sumw2).tolist(),
        "prediction_best_fit": (fit.mu_best * pred.signal).tolist(),
        "chi2_at_mu_1": at_one.chi2,
        "ndof_at_mu_1": at_one.ndof,
        "signal_events_in_bins": float(pred.signal.sum()),
        "signal_events_selected": pred.sum_selected,
        "signal_events_below_range": pred.below,
        "signal_events_above_range": pred.above,
        "sum_w": pred.sum_w,
        "n_events": pred.n_events,
        "file": os.fspath(path),
        "data_release": os.fspath(data_dir),
        "pot": pot,
        "prediction_definition": "sum of w * w_eff * passes per reconstructed E_QE bin",
        "ndof_definition": "19 bins (11 nue + 8 numu) - 1 fitted signal normalisation",
        "significance_definition": "sqrt(delta_chi2), one fitted parameter mu >= 0",
        "warnings": warnings,
    }
    if shapes:
        result["shapes"] = shape_comparison(pred, _digitised_dir(data_dir, digitised),
                                            fit.mu_best)
    return result


def background_error(release: MiniBooNERelease) -> FloatArray:
    """Systematic error of the released nu_e background per E_QE bin: ``B_i sqrt(F_ii)``
    from the background block (rows 11-21) of the fractional covariance."""
    n = release.nue_background.size
    diag = np.diag(release.fractional_covariance)[n:2 * n]
    return np.asarray(release.nue_background * np.sqrt(np.clip(diag, 0.0, None)))


def write_root(result: dict[str, Any], output: Path) -> None:
    """The comparison as TH1Ds (titles and axis titles with units), written atomically.

    E_QE: ``signal`` (mu = 1, Monte Carlo errors), ``signal_best_fit`` (mu_best),
    ``background`` (errors from the released covariance, :func:`background_error`),
    ``data`` (sqrt(N) errors); with ``result["shapes"]``, ``signal_E_vis``,
    ``background_E_vis``, ``data_E_vis`` and the same for ``cos_theta`` (digitised
    spectra, no released covariance: the background carries no error).  The result itself
    as the JSON string ``zpgen_compare``.
    """
    import uproot

    edges = tuple(float(e) for e in result["eqe_edges_GeV"])
    signal = np.asarray(result["prediction"], dtype=np.float64)
    mc_err = np.asarray(result.get("prediction_mc_error", np.zeros_like(signal)))
    mu = float(result["mu_best"])
    data = np.asarray(result["data"], dtype=np.float64)
    bkg = np.asarray(result["background"], dtype=np.float64)
    bkg_err = np.asarray(result.get("background_error", np.zeros_like(bkg)))
    objects: list[tuple[str, str, tuple[float, ...], str, FloatArray, FloatArray]] = [
        ("signal", "zpgen signal as generated (mu = 1), MC errors", edges, "E_QE",
         signal, mc_err**2),
        ("signal_best_fit", f"zpgen signal x mu_best = {mu:.4g}", edges, "E_QE", mu * signal,
         mu**2 * mc_err**2),
        ("background", "MiniBooNE 2020 nu_e-like background, errors from the released "
         "covariance", edges, "E_QE", bkg, bkg_err**2),
        ("data", "MiniBooNE 2020 nu_e-like data (18.75e20 POT), sqrt(N) errors", edges,
         "E_QE", data, data),
    ]
    labels = {"E_QE": "reconstructed E_QE [GeV]", "E_vis": "reconstructed E_vis [GeV]",
              "cos_theta": "reconstructed cos theta"}
    for obs, shape in (result.get("shapes") or {}).items():
        if not isinstance(shape, dict) or "edges" not in shape:
            continue
        e = tuple(float(x) for x in shape["edges"])
        d = np.nan_to_num(np.asarray(shape["data"], dtype=np.float64))
        b = np.nan_to_num(np.asarray(shape["background"], dtype=np.float64))
        s = np.asarray(shape["signal"], dtype=np.float64)
        window = "0.2 <= E_QE < 1.25 GeV"
        objects += [
            (f"signal_{obs}", f"zpgen signal (mu = 1), {window}", e, obs, s, np.zeros_like(s)),
            (f"background_{obs}", f"MiniBooNE background (digitised), {window}", e, obs, b,
             np.zeros_like(b)),
            (f"data_{obs}", f"MiniBooNE data (digitised), {window}, sqrt(N) errors", e, obs, d,
             d),
        ]
    from zpgen import signals
    from zpgen.histograms import HistogramSpec, th1d
    from zpgen.tempfiles import create_temporary, publish, remove_quietly

    with signals.deferred():
        tmp = create_temporary(output)
    try:
        with uproot.recreate(tmp) as f:
            for name, title, e, obs, values, variances in objects:
                spec = HistogramSpec(name, title, obs, e, labels[obs], "events / bin")
                f[name] = th1d(spec, np.concatenate(([0.0], values, [0.0])),
                               np.concatenate(([0.0], variances, [0.0])))
            f["zpgen_compare"] = json.dumps({k: v for k, v in result.items()
                                             if k != "shapes"})
        publish(tmp, output)
    except BaseException:
        remove_quietly(tmp)
        raise
