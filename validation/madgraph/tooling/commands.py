"""``zpgen compare-lhe``: compare a zpgen sample with a MadGraph LHE file (or any two
samples) observable by observable, with chi2 and Kolmogorov-Smirnov p-values."""

from __future__ import annotations

import argparse
import math
import os
import sys

from zpgen.commands import print_json

EPILOG = """\
Reads LHE files with pylhe (MadGraph's or zpgen's, plain or .lhe.gz; zpgen ROOT/Parquet
files too), boosts each event to the target rest frame and compares the distributions of
E_nu5 [GeV], t [GeV^2], E_vis [GeV], theta_ee [deg], cos_theta, the e+e- energy asymmetry
and cos_theta_star (e- in the pair rest frame to the pair direction).

Cross sections (sum of XSECUP in the <init> block, pb, with their XERRUP errors) are
compared within their combined statistical errors (z test); MadGraph's is first divided by
[(2/pi) atan(2 bwcutoff)]^n for the n narrow resonances its bwcutoff cuts (read from its
banner; --bw-resonances overrides). Per observable: weighted-histogram chi2 (Gagunashvili),
Kolmogorov-Smirnov (exact when both samples are unweighted, weighted ECDFs with Kish
effective sizes otherwise), and the means and medians with their statistical errors.
--threshold is family-wise: with N p-values the comparison fails when one is below
threshold/N (Bonferroni). Exit status 1 on a failure, 2 on bad input.

For a MadGraph comparison generate zpgen on the same channel and settings and compare its
H1_proton channel (the zpgen source repository's folder validation/madgraph has the
MadGraph samples and the exact commands), e.g.
  zpgen compare-lhe zp.lhe validation/madgraph/samples/point_chain.lhe.gz --channel H1_proton

examples:
  zpgen compare-lhe zp.lhe mg/Events/run_01/unweighted_events.lhe.gz --channel H1_proton
  zpgen compare-lhe a.lhe b.lhe --observables E_vis,theta_ee --plots cmp/ --json
  zpgen compare-lhe run.parquet mg.lhe --threshold 1e-4 --xsec-tolerance 0.01
"""


def run(args: argparse.Namespace) -> int:
    from zpgen.madgraph.compare_lhe import (
        CompareError,
        compare,
        computable,
        input_format,
        parse_observables,
        particle_ids,
        plot,
        read_sample,
    )

    try:
        names = parse_observables(args.observables)
        if args.bw_resonances is not None and args.bw_resonances < 0:
            raise CompareError(f"--bw-resonances: must be >= 0, got {args.bw_resonances}")
        if not (0.0 < args.threshold < 1.0):
            raise CompareError(f"--threshold: must lie in (0, 1), got {args.threshold}")
        if not (args.xsec_tolerance >= 0.0):
            raise CompareError(f"--xsec-tolerance: must be >= 0 (inf: do not compare), got "
                               f"{args.xsec_tolerance}")
        if args.bins < 2:
            raise CompareError(f"--bins: must be >= 2, got {args.bins}")
        input_format(args.first)
        input_format(args.second)
        ids = particle_ids(args.first, args.second)
        a = read_sample(args.first, args.channel, ids, args.bw_resonances)
        b = read_sample(args.second, args.channel, ids, args.bw_resonances)
        skipped: list[str] = []
        if args.observables is None:  # default: every observable both files have
            names, skipped = computable(a, b, names)
        result = compare(a, b, names, nbins=args.bins, threshold=args.threshold,
                         xsec_tolerance=args.xsec_tolerance)
    except CompareError as exc:
        print(f"zpgen compare-lhe: error: {exc}", file=sys.stderr)
        return 2
    if skipped:
        result["notes"].append("not computable in both files, skipped: " + ", ".join(skipped))
    if args.plots:
        labels = (os.path.basename(a.path), os.path.basename(b.path))
        if labels[0] == labels[1]:
            labels = ("first", "second")
        try:
            result["plots"] = plot(a, b, result, args.plots, labels=labels)
        except ImportError as exc:  # matplotlib is optional: keep the comparison
            result["plots"] = []
            result["plots_error"] = (f"--plots needs matplotlib ({exc}); install it with "
                                     "pip install matplotlib")
            print(f"zpgen compare-lhe: warning: {result['plots_error']}", file=sys.stderr)
    if args.json:
        print_json(result)
    else:
        print(f"# first : {a.path} ({a.generator}, {a.n_events} events, n_eff = {a.n_eff:.0f})")
        print(f"# second: {b.path} ({b.generator}, {b.n_events} events, n_eff = {b.n_eff:.0f})")
        for note in result["notes"]:
            print(f"# note: {note}")
        ratio = result["xsec_ratio"]
        (sa, sb), (ea, eb) = result["xsec_corrected_pb"], result["xsec_corrected_err_pb"]
        if math.isinf(args.xsec_tolerance):
            how = "not compared"
        else:
            syst = (f", {args.xsec_tolerance:g} relative systematic"
                    if args.xsec_tolerance > 0 else "")
            how = f"{result['xsec_z']:+.2f} sigma{syst}, p = {result['p_xsec']:.3g}"
        print(f"cross section [pb]: {sa:.6g} +- {ea:.2g} / {sb:.6g} +- {eb:.2g}; "
              f"ratio = {ratio:.5g} ({how})")
        print(f"{'observable':<14} {'chi2/ndf':>13} {'p(chi2)':>9} {'p(KS)':>9} "
              f"{'mean (first, second)':>34} {'p(mean)':>9} {'p(median)':>9}")
        for name, e in result["observables"].items():
            means = (f"{e['mean'][0]:.5g}+-{e['mean_err'][0]:.2g}, "
                     f"{e['mean'][1]:.5g}+-{e['mean_err'][1]:.2g}")
            print(f"{name:<14} {e['chi2']:>8.2f}/{e['ndf']:<4d} {e['p_chi2']:>9.3g} "
                  f"{e['p_ks']:>9.3g} {means:>34} {e['p_mean']:>9.3g} {e['p_median']:>9.3g}"
                  f" {e['unit']}")
        for path in result.get("plots", []):
            print(f"# wrote {path}")
        verdict = "PASS" if result["pass"] else "FAIL: " + "; ".join(result["failures"])
        print(f"{verdict} (family-wise threshold p = {args.threshold:g}: "
              f"{result['n_tests']} tests at p >= {result['threshold_per_test']:.3g})")
    return 0 if result["pass"] else 1


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("compare-lhe",
                            help="compare a zpgen sample with a MadGraph LHE file",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("first", metavar="ZPGEN_FILE",
                        help="zpgen output (.lhe, .root or .parquet)")
    parser.add_argument("second", metavar="MG.lhe",
                        help="MadGraph (or any) LHE file, plain or .lhe.gz")
    parser.add_argument("--observables", metavar="LIST", default=None,
                        help="comma-separated subset of E_nu5,t,E_vis,theta_ee,cos_theta,"
                             "asymmetry,cos_theta_star (default: all that both files have)")
    parser.add_argument("--threshold", type=float, default=1e-3, metavar="P",
                        help="family-wise p-value threshold: with N tests, fail when any "
                             "p-value is below P/N (default 1e-3)")
    parser.add_argument("--xsec-tolerance", type=float, default=0.0, metavar="R",
                        help="relative systematic uncertainty added to the statistical "
                             "errors of the cross-section comparison (default 0; inf: do "
                             "not compare cross sections)")
    parser.add_argument("--bw-resonances", type=int, default=None, metavar="N",
                        help="narrow resonances cut by MadGraph's bwcutoff in the non-zpgen "
                             "file (default: read from its banner)")
    parser.add_argument("--channel", metavar="NAME", default=None,
                        help="keep only this zpgen channel (e.g. H1_proton) in zpgen files")
    parser.add_argument("--bins", type=int, default=20,
                        help="bins (quantiles of the pooled sample) of the chi2 test")
    parser.add_argument("--plots", metavar="DIR", default=None,
                        help="write normalised distributions and ratios as PNGs to DIR")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)
