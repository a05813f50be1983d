"""``zpgen compare-lhe``: compare a zpgen sample with a MadGraph LHE file (or any two
samples) observable by observable, with chi2 and Kolmogorov-Smirnov p-values."""

from __future__ import annotations

import argparse
import math
import os
import sys

from zpgen.commands import print_json

EPILOG = """\
Reads LHE files with pylhe (MadGraph's or zpgen's; zpgen ROOT/Parquet files too), boosts
each event to the target rest frame and compares the distributions of E_nu5 [GeV],
t [GeV^2], E_vis [GeV], theta_ee [deg], cos_theta and the e+e- energy asymmetry.
Normalisation: the total cross sections (sum of XSECUP in the <init> block, pb) are
compared; shapes with unit-normalised weights: weighted-histogram chi2 (Gagunashvili) and
Kolmogorov-Smirnov (exact when both samples are unweighted, weighted ECDFs with Kish
effective sizes otherwise). Exit status 1 when a p-value is below --threshold or the
cross-section ratio is off by more than --xsec-tolerance; 2 on bad input.

For a MadGraph comparison generate zpgen on the same channel and settings, e.g.
  zpgen generate --no-detector -n 20000 -o zp.lhe --set flux.name=monochromatic \\
      --set flux.energy=1.0 --set physics.nucleon_form_factor=point \\
      --set model.nu4_decays=false
and compare its H1_proton channel (validation/madgraph/README.md).

examples:
  zpgen compare-lhe zp.lhe mg/Events/run_01/unweighted_events.lhe --channel H1_proton
  zpgen compare-lhe a.lhe b.lhe --observables E_vis,theta_ee --plots cmp/ --json
  zpgen compare-lhe run.parquet mg.lhe --threshold 1e-4 --xsec-tolerance 0.1
"""


def run(args: argparse.Namespace) -> int:
    from zpgen.compare_lhe import (
        CompareError,
        compare,
        input_format,
        parse_observables,
        particle_ids,
        plot,
        read_sample,
    )

    try:
        names = parse_observables(args.observables)
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
        a = read_sample(args.first, args.channel, ids)
        b = read_sample(args.second, args.channel, ids)
        result = compare(a, b, names, nbins=args.bins, threshold=args.threshold,
                         xsec_tolerance=args.xsec_tolerance)
    except CompareError as exc:
        print(f"zpgen compare-lhe: error: {exc}", file=sys.stderr)
        return 2
    if args.plots:
        labels = (os.path.basename(a.path), os.path.basename(b.path))
        if labels[0] == labels[1]:
            labels = ("first", "second")
        result["plots"] = plot(a, b, result, args.plots, labels=labels)
    if args.json:
        print_json(result)
    else:
        print(f"# first : {a.path} ({a.generator}, {a.n_events} events, n_eff = {a.n_eff:.0f})")
        print(f"# second: {b.path} ({b.generator}, {b.n_events} events, n_eff = {b.n_eff:.0f})")
        for note in result["notes"]:
            print(f"# note: {note}")
        ratio = result["xsec_ratio"]
        tol = "not compared" if math.isinf(args.xsec_tolerance) else \
            f"tolerance {args.xsec_tolerance:g}"
        print(f"cross section [pb]: {a.sigma_pb:.6g} +- {a.sigma_err_pb:.2g} / "
              f"{b.sigma_pb:.6g} +- {b.sigma_err_pb:.2g}; ratio = {ratio:.5g} ({tol})")
        print(f"{'observable':<11} {'chi2/ndf':>13} {'p(chi2)':>10} {'KS D':>8} "
              f"{'p(KS)':>10}  means (first, second)")
        for name, e in result["observables"].items():
            print(f"{name:<11} {e['chi2']:>8.2f}/{e['ndf']:<4d} {e['p_chi2']:>10.3g} "
                  f"{e['ks_D']:>8.4f} {e['p_ks']:>10.3g}  {e['mean'][0]:.5g}, "
                  f"{e['mean'][1]:.5g} {e['unit']}")
        for path in result.get("plots", []):
            print(f"# wrote {path}")
        verdict = "PASS" if result["pass"] else "FAIL: " + "; ".join(result["failures"])
        print(f"{verdict} (threshold p = {args.threshold:g})")
    return 0 if result["pass"] else 1


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("compare-lhe",
                            help="compare a zpgen sample with a MadGraph LHE file",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("first", metavar="ZPGEN_FILE",
                        help="zpgen output (.lhe, .root or .parquet)")
    parser.add_argument("second", metavar="MG.lhe", help="MadGraph (or any) LHE file")
    parser.add_argument("--observables", metavar="LIST", default=None,
                        help="comma-separated subset of E_nu5,t,E_vis,theta_ee,cos_theta,"
                             "asymmetry (default: all)")
    parser.add_argument("--threshold", type=float, default=1e-3, metavar="P",
                        help="fail when any p-value is below P (default 1e-3)")
    parser.add_argument("--xsec-tolerance", type=float, default=0.05, metavar="R",
                        help="fail when |sigma_1/sigma_2 - 1| > R (default 0.05; inf: skip)")
    parser.add_argument("--channel", metavar="NAME", default=None,
                        help="keep only this zpgen channel (e.g. H1_proton) in zpgen files")
    parser.add_argument("--bins", type=int, default=20,
                        help="bins (quantiles of the pooled sample) of the chi2 test")
    parser.add_argument("--plots", metavar="DIR", default=None,
                        help="write normalised distributions and ratios as PNGs to DIR")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)
