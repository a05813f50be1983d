"""``zpgen compare FILE``: chi2 of a generated signal against the MiniBooNE 2020 nu-mode data.

The prediction is built from the events of a zpgen output file (ROOT or Parquet) written
with the ``miniboone`` detector: in each of the 11 official E_QE bins (0.2-3.0 GeV) the
signal is ``sum(w * w_eff * passes)`` over the events whose *reconstructed* ``E_QE`` falls
in the bin (``w``: expected events for the file's exposure, ``w_eff``: efficiency,
``passes``: one-ring selection; events outside 0.2-3.0 GeV or without a pair are not
counted).  The chi2 (PHYSICS.md, "Comparing to MiniBooNE data";
:mod:`zpgen.detectors.miniboone_chi2`) uses the 30x30 fractional covariance rescaled to
the prediction, collapsed with the numu constraint, plus a statistical term (CNP by
default), rebuilt at every value of the signal normalisation ``mu`` (prediction
``B + mu S``), which is fitted with ``mu >= 0``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ._common import print_json

__all__ = ["CompareError", "Prediction", "compare", "read_prediction", "register",
           "shape_comparison"]

FloatArray = npt.NDArray[np.float64]

#: Columns the E_QE prediction needs (written by the ``miniboone`` and ``truth`` detectors).
REQUIRED_COLUMNS = ("E_QE", "w", "w_eff", "passes")
#: Columns of the optional E_vis / cos(theta) shape comparisons.
SHAPE_COLUMNS = ("E_vis", "cos_theta")
#: E_QE window of MiniBooNE's published E_vis and cos(theta) distributions (2021 paper,
#: arXiv:2006.16883: 200 < E_QE < 1250 MeV).
SHAPE_EQE_RANGE_GeV = (0.2, 1.25)
ENV_DATA = "ZPGEN_MINIBOONE_DATA"
RELEASE_POT = 18.75e20
DIGITISED_DIR = "digitised_2020"
#: observable -> (column, edges file, data file, background file, axis label)
DIGITISED = {
    "E_vis": ("E_vis", "Evis_bin_edges.dat", "Evis_data.dat", "Evis_bkg.dat",
              "E_vis [GeV]"),
    "cos_theta": ("cos_theta", "Costheta_bin_edges.dat", "cosTheta_data.dat",
                  "cosTheta_bkg.dat", "cos theta"),
}

EPILOG = f"""\
Prediction: in each official E_QE bin (edges 0.2 0.3 0.375 0.475 0.55 0.675 0.8 0.95 1.1
1.25 1.5 3.0 GeV) the signal S is sum(w * w_eff * passes) over the events with that
reconstructed E_QE; the file must come from a run with the miniboone detector (the
default; `zpgen generate --no-detector` files lack E_QE, w_eff and passes). The exposure is
the file's (18.75e20 POT by default, that of the release).

Fit: prediction B + mu S with mu >= 0; the fractional covariance is rescaled to the
prediction and the statistical term rebuilt at every mu. Reported: chi2_min / ndof
(19 bins - 1), chi2 of background only (mu = 0), delta chi2 = chi2_bkg - chi2_min,
significance = sqrt(delta chi2) (one fitted parameter), mu_best and
coupling_scale_best = sqrt(mu_best): the rate scales as (g_mu5 g_target)^2 at fixed
branching ratios, so multiply that coupling product by it.

Data: --data-release DIR or ${ENV_DATA}: the data_release_2020_numode folder or its
parent (the official MiniBooNE file names). --shapes also compares E_vis and cos(theta)
(events with 0.2 < E_QE < 1.25 GeV, at mu_best) with the digitised 2020 spectra
(digitised_2020 next to the release, or --digitised DIR): statistical errors only, since
no covariance was released for them.

examples:
  zpgen generate -n 200000 -o mz30.root
  zpgen compare mz30.root --data-release ../shared/data/miniboone
  {ENV_DATA}=../shared/data/miniboone zpgen compare mz30.root --json
  zpgen compare mz30.parquet --stat pearson --shapes
  zpgen compare mz30.root --format root -o mz30_compare.root   (TH1Ds for ROOT)
"""


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
            raise CompareError(f"{path}: cannot open as a ROOT file ({exc})") from exc
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
            raise CompareError(f"{path}: cannot open as a Parquet file ({exc})") from exc
        names = set(pfile.schema_arrow.names)
    else:
        raise CompareError(f"{path}: zpgen compare reads ROOT (.root) or Parquet (.parquet) "
                           f"event files, not {suffix or 'files without a suffix'}")
    missing = [c for c in columns if c not in names]
    if missing:
        if suffix == ".root":
            f.close()
        raise CompareError(
            f"{path}: missing column(s) {', '.join(missing)} needed for the E_QE prediction; "
            "generate with the miniboone detector (the default: no --no-detector, "
            "detector.name = \"miniboone\")")
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


def read_prediction(path: str | os.PathLike[str], edges_GeV: npt.ArrayLike,
                    shape_columns: bool = False) -> Prediction:
    """Signal per E_QE bin: sum of ``w * w_eff * passes`` by reconstructed ``E_QE``.

    Raises :class:`CompareError` naming missing columns or an unreadable file.
    """
    p = Path(path)
    if not p.is_file():
        raise CompareError(f"{p}: no such file")
    edges = np.asarray(edges_GeV, dtype=np.float64)
    found, chunks = _iter_columns(p, REQUIRED_COLUMNS, SHAPE_COLUMNS if shape_columns else ())
    n_bins = edges.size - 1
    signal = np.zeros(n_bins)
    sumw2 = np.zeros(n_bins)
    n_events, sum_w, sum_sel, below, above = 0, 0.0, 0.0, 0.0, 0.0
    shape_vals: dict[str, list[FloatArray]] = {c: [] for c in found}
    shape_w: list[FloatArray] = []
    for cols in chunks:
        w = np.asarray(cols["w"], dtype=np.float64)
        weight = w * np.asarray(cols["w_eff"], dtype=np.float64) \
            * np.asarray(cols["passes"], dtype=bool)
        eqe = np.asarray(cols["E_QE"], dtype=np.float64)
        ok = np.isfinite(eqe) & (weight != 0.0)
        n_events += int(w.size)
        sum_w += float(w.sum())
        sum_sel += float(weight[ok].sum())
        below += float(weight[ok & (eqe < edges[0])].sum())
        above += float(weight[ok & (eqe > edges[-1])].sum())
        inside = ok & (eqe >= edges[0]) & (eqe <= edges[-1])
        c, _ = np.histogram(eqe[inside], bins=edges, weights=weight[inside])
        c2, _ = np.histogram(eqe[inside], bins=edges, weights=weight[inside] ** 2)
        signal += c
        sumw2 += c2
        if found:
            lo, hi = SHAPE_EQE_RANGE_GeV
            window = ok & (eqe >= lo) & (eqe < hi)
            shape_w.append(weight[window])
            for c_name in found:
                shape_vals[c_name].append(np.asarray(cols[c_name], dtype=np.float64)[window])
    if not np.all(np.isfinite(signal)) or np.any(signal < 0):
        raise CompareError(f"{p}: the weights give a non-finite or negative prediction")
    return Prediction(
        edges_GeV=edges, signal=signal, signal_sumw2=sumw2, n_events=n_events, sum_w=sum_w,
        sum_selected=sum_sel, below=below, above=above,
        shape_values={k: np.concatenate(v) if v else np.zeros(0)
                      for k, v in shape_vals.items()},
        shape_weights=np.concatenate(shape_w) if shape_w else np.zeros(0))


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
def _data_dir(option: str | None) -> Path:
    from zpgen.detectors.miniboone_chi2 import data_directory

    if not (option or os.environ.get(ENV_DATA)):
        raise CompareError(f"no data release: pass --data-release DIR or set {ENV_DATA}")
    try:
        return data_directory(option)
    except FileNotFoundError as exc:
        raise CompareError(f"--data-release: {exc}") from exc


def _detector_name(card_text: str) -> str | None:
    """Detector of the stored run card: the last ``--set detector.name=`` override, else
    the card's ``[detector] name`` (None when unknown)."""
    import re
    import tomllib

    overrides = re.findall(r"^# --set detector\.name=\s*\"?([\w-]+)", card_text, re.M)
    if overrides:
        return overrides[-1]
    try:
        name = tomllib.loads(card_text).get("detector", {}).get("name")
    except (tomllib.TOMLDecodeError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def compare(path: str | os.PathLike[str], data_release: str | os.PathLike[str],
            stat: str = "cnp", shapes: bool = False, digitised: str | None = None
            ) -> dict[str, Any]:
    """The comparison as a JSON-compatible dict (keys of ``zpgen compare --json``)."""
    from zpgen.detectors.miniboone_chi2 import (
        MiniBooNERelease,
        ReleaseError,
        chi2,
        fit_signal_strength,
    )

    data_dir = Path(data_release)
    try:
        release = MiniBooNERelease.from_directory(data_dir)
    except ReleaseError as exc:
        raise CompareError(str(exc)) from exc
    pred = read_prediction(path, release.edges_GeV, shape_columns=shapes)
    fit = fit_signal_strength(pred.signal, release, stat)
    at_one = chi2(pred.signal, release, stat)
    warnings = []
    meta: dict[str, Any] = {}
    card_text = ""
    try:
        from zpgen.writers.read import read_metadata

        stored = read_metadata(path)
        meta, card_text = stored["run_info"], stored["card"]
    except Exception as exc:  # metadata is informative only
        warnings.append(f"run metadata not readable ({exc})")
    pot = meta.get("pot")
    if isinstance(pot, int | float) and abs(pot / RELEASE_POT - 1.0) > 1e-6:
        warnings.append(f"the file's exposure is {pot:g} POT, the release's {RELEASE_POT:g} "
                        "POT: mu_best absorbs the ratio")
    detector = _detector_name(card_text)
    if detector is not None and detector != "miniboone":
        warnings.append(f"the file was generated with detector {detector!r}, not "
                        "'miniboone': no MiniBooNE response in E_QE, w_eff and passes")
    result: dict[str, Any] = {
        **fit.as_dict(),
        "prediction": pred.signal.tolist(),
        "data": release.nue_data.tolist(),
        "background": release.nue_background.tolist(),
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


def write_root(result: dict[str, Any], output: Path, signal_sumw2: npt.ArrayLike | None = None
               ) -> None:
    """TH1Ds ``prediction`` (signal at mu = 1), ``prediction_best_fit``, ``data`` (errors
    sqrt(N)), ``background`` (no error), and the result as a JSON string ``zpgen_compare``;
    written to a temporary name and renamed when complete."""
    import uproot

    from zpgen.histograms import HistogramSpec, th1d

    edges = np.asarray(result["eqe_edges_GeV"], dtype=np.float64)
    signal = np.asarray(result["prediction"], dtype=np.float64)
    mc_err = np.asarray(result.get("prediction_mc_error", np.zeros_like(signal)))
    mu = float(result["mu_best"])
    contents = {
        "prediction": (signal, mc_err**2),
        "prediction_best_fit": (mu * signal, mu**2 * mc_err**2),
        "data": (np.asarray(result["data"]), np.asarray(result["data"])),
        "background": (np.asarray(result["background"]), np.zeros(signal.size)),
    }
    tmp = output.with_name(f".{output.name}.part-{os.getpid()}")
    try:
        with uproot.recreate(tmp) as f:
            for name, (values, variances) in contents.items():
                spec = HistogramSpec(name, name, "E_QE", tuple(edges), "E_QE [GeV]",
                                     "events / bin")
                flow = np.zeros(edges.size + 1)
                f[name] = th1d(spec, np.concatenate(([0.0], values, [0.0])),
                               np.concatenate(([0.0], variances, [0.0])) + 0 * flow)
            f["zpgen_compare"] = json.dumps({k: v for k, v in result.items()
                                             if k != "shapes"})
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fmt_table(result: dict[str, Any]) -> list[str]:
    edges = result["eqe_edges_GeV"]
    lines = ["  E_QE [GeV]      signal(mu=1)  signal(mu_best)  background      data"]
    for i in range(len(edges) - 1):
        lines.append(f"  {edges[i]:5.3f}-{edges[i + 1]:5.3f}  {result['prediction'][i]:12.4g}"
                     f"  {result['prediction_best_fit'][i]:15.4g}"
                     f"  {result['background'][i]:10.2f}  {result['data'][i]:8.0f}")
    return lines


def _print_text(result: dict[str, Any]) -> None:
    print(f"zpgen compare: {result['file']} ({result['n_events']} events, "
          f"POT {result['pot']}) vs MiniBooNE 2020 nu mode ({result['data_release']})")
    print("prediction S = sum of w * w_eff * passes per reconstructed E_QE bin; "
          f"{result['signal_events_in_bins']:.4g} events in 0.2-3.0 GeV "
          f"({result['signal_events_below_range']:.3g} below, "
          f"{result['signal_events_above_range']:.3g} above)")
    for line in _fmt_table(result):
        print(line)
    print(f"chi2 (statistical term {result['stat']}, covariance rebuilt at every mu; "
          "fit of B + mu S, mu >= 0):")
    print(f"  background only      chi2 = {result['chi2_background_only']:.3f} / 19 bins")
    print(f"  file as generated    chi2 = {result['chi2_at_mu_1']:.3f} / 19 bins (mu = 1)")
    print(f"  best fit             chi2_min / ndof = {result['chi2_min']:.3f} / "
          f"{result['ndof']} (19 bins - 1 fitted mu)")
    print(f"  mu_best = {result['mu_best']:.5g}, coupling_scale_best = sqrt(mu_best) = "
          f"{result['coupling_scale_best']:.5g} (rate ~ (g_mu5 g_target)^2)")
    print(f"  delta chi2 = {result['delta_chi2']:.3f}, significance = sqrt(delta chi2) = "
          f"{result['significance_sigma']:.2f} sigma (one fitted parameter)")
    shapes = result.get("shapes")
    if shapes:
        lo, hi = shapes["E_QE_window_GeV"]
        print(f"shape comparisons ({lo} < E_QE < {hi} GeV, signal x mu_best; "
              f"{shapes['errors']}):")
        for obs in DIGITISED:
            r = shapes.get(obs, {})
            if "skipped" in r:
                print(f"  {obs}: skipped ({r['skipped']})")
                continue
            print(f"  {obs:9s} chi2_stat = {r['chi2_stat']:.1f} / {r['ndof_stat']}  "
                  f"(background only {r['chi2_stat_background_only']:.1f}); shape only "
                  f"(signal scaled to the excess, x{r['shape_normalisation']:.3g}): "
                  f"{r['chi2_shape']:.1f} / {r['ndof_shape']}")
    for w in result["warnings"]:
        print(f"warning: {w}")


def run(args: argparse.Namespace) -> int:
    try:
        output: Path | None = None
        if args.format == "root" or args.output:
            if not args.output:
                raise CompareError("--format root needs -o OUT.root")
            output = Path(args.output)
            if output.suffix.lower() != ".root":
                raise CompareError(f"-o: {output} must end in .root (TH1D output)")
            if not output.parent.is_dir():
                raise CompareError(f"-o: directory {str(output.parent)!r} does not exist")
            if output.exists() and not args.overwrite:
                raise CompareError(f"-o: {str(output)!r} exists; pass --overwrite to "
                                   "replace it")
        result = compare(args.file, _data_dir(args.data_release), stat=args.stat,
                         shapes=args.shapes, digitised=args.digitised)
        if output is not None:
            write_root(result, output)
    except CompareError as exc:
        print(f"zpgen compare: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print_json(result)
    else:
        _print_text(result)
        if output is not None:
            print(f"wrote TH1Ds prediction, prediction_best_fit, data, background to {output}")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "compare", help="chi2 of a generated signal against the MiniBooNE 2020 data",
        description=__doc__, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", help="zpgen event file (.root or .parquet)")
    p.add_argument("--data-release", metavar="DIR",
                   help=f"MiniBooNE 2020 release folder or its parent (default: ${ENV_DATA})")
    p.add_argument("--stat", choices=("cnp", "pearson", "signal-pearson"), default="cnp",
                   help="statistical term: cnp (default), pearson, or signal-pearson "
                        "(public reanalysis convention)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--shapes", action="store_true",
                   help="also compare E_vis and cos(theta) with the digitised spectra "
                        "(statistical errors only)")
    p.add_argument("--digitised", metavar="DIR",
                   help="digitised_2020 folder (default: next to the release)")
    p.add_argument("--format", choices=("root",),
                   help="write the E_QE histograms (TH1D) to -o OUT.root")
    p.add_argument("-o", "--output", metavar="OUT.root", help="ROOT file for the TH1Ds")
    p.add_argument("--overwrite", action="store_true", help="replace an existing -o file")
    p.set_defaults(func=run)

