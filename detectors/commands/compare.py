"""``zpgen compare FILE``: chi2 of a generated signal against the MiniBooNE 2020 nu-mode data.

The analysis lives with the MiniBooNE detector (:mod:`zpgen.detectors.miniboone_compare`,
the figure in :mod:`zpgen.detectors.miniboone_plot`); this module parses the options and
prints the result.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from zpgen.commands import print_json

__all__ = ["register"]

ENV_DATA = "ZPGEN_MINIBOONE_DATA"

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
  zpgen compare mz30.root --shapes --plot mz30.png           (the data/MC figure)

Figure (--plot OUT.png/.pdf/.svg): the released background, the signal stacked on it as
generated (mu = 1) with the covariance band, the best fit as a dashed line and the data;
with --shapes also E_vis and cos(theta). --format root writes the same as TH1Ds: signal,
signal_best_fit, background (covariance errors), data, and with --shapes the digitised
E_vis and cos(theta) histograms.
"""


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
        for obs in ("E_vis", "cos_theta"):
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


def _outputs(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """The ROOT and figure outputs, checked before any work (CompareError naming them)."""
    from zpgen.detectors.miniboone_compare import CompareError
    from zpgen.detectors.miniboone_plot import check_plot_path

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
            raise CompareError(f"-o: {str(output)!r} exists; pass --overwrite to replace it")
    plot: Path | None = None
    if args.plot:
        try:
            plot = check_plot_path(args.plot, args.overwrite)
        except ValueError as exc:
            raise CompareError(str(exc)) from None
    return output, plot


def run(args: argparse.Namespace) -> int:
    from zpgen.detectors.miniboone_compare import CompareError, compare, data_dir, write_root

    try:
        output, plot = _outputs(args)
        result = compare(args.file, data_dir(args.data_release), stat=args.stat,
                         shapes=args.shapes, digitised=args.digitised)
        if output is not None:
            write_root(result, output)
        if plot is not None:
            from zpgen.detectors.miniboone_plot import plot_comparison

            plot_comparison(result, plot)
    except CompareError as exc:
        print(f"zpgen compare: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print_json(result)
    else:
        _print_text(result)
        if output is not None:
            print(f"wrote TH1Ds signal, signal_best_fit, background, data to {output}")
        if plot is not None:
            print(f"wrote the data/MC figure to {plot}")
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
    p.add_argument("--plot", metavar="OUT.png",
                   help="draw the data/MC figure (.png, .pdf, .svg, ...; with --shapes three "
                        "panels)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing -o or --plot file")
    p.set_defaults(func=run)

