"""``zpgen scan [CARD] --vary KEY=...``: chi2 against the MiniBooNE 2020 data at every point
of a card grid, one table row per point (paper Fig. 6 for any key).

The analysis is :mod:`zpgen.detectors.miniboone_scan` (per point) and :mod:`zpgen.scan`
(grid, resumable table, executors); this module parses the options and prints the rows.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register"]

ENV_DATA = "ZPGEN_MINIBOONE_DATA"

EPILOG = f"""\
Grid: --vary KEY=v1,v2,... or --vary KEY=start:stop:n (n values, ends included) or
KEY=start:stop:n:log (evenly spaced in log); several --vary make the product grid. Every
value is checked against the card before any work.

Each point: the card with the point's values, n events generated in memory with the
card's seed (or --seed): the events `zpgen generate -n N` writes for that card, so the
row's delta chi2 is the one `zpgen compare` gives for such a file. When only couplings
vary, one sample is generated at the grid's middle point and the other points are its
events reweighted exactly (`zpgen reweight`; method = reweighted, with the effective
sample size in ess); a point that cannot be reweighted is generated. --no-reweight
generates every point.

Fit per point (as zpgen compare): S = sum(w * w_eff * passes) per reconstructed E_QE bin,
B + mu S with mu >= 0 against the 2020 release, full covariance rebuilt at every mu.
Row: the varied keys, method, expected_events (sum w, before efficiency),
selected_events, signal_in_bins, chi2_min, ndof, chi2_background_only, delta_chi2,
significance_sigma, mu_best, coupling_scale_best = sqrt(mu_best), ess, seconds, and the
settings n_events, seed, stat, base_card.

Table (-o): .csv, .parquet or .json, rewritten atomically after every point. Resumable:
run the same command again and the points already in the table are skipped (a table made
with other settings is refused; --overwrite starts afresh). Generated points run on
--executor local (default: in this process, all cores), processes (--workers K pool
processes) or dask; reweighted points run in this process.

--plot P.png: paper Fig. 6 for the first varied key: chi2_min, delta chi2 with the 2, 3,
5 sigma lines (1 dof: 4, 9, 25) and mu_best (one line per value of the other keys).

Data: --data-release DIR or ${ENV_DATA}.

examples:
  zpgen scan --vary model.mzprime=0.002:0.130:27 -n 100000 -o fig6.csv --plot fig6.png
  zpgen scan --vary model.mzprime=0.02,0.03 -n 100000 -o mz.csv
  zpgen scan --vary model.couplings.cv_l=3e-4:3e-3:8:log -o cv.parquet
  zpgen scan --vary model.mzprime=0.01:0.05:5 --vary physics.visible_modes=all,nu4 -o t.json
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "scan", help="chi2 vs the MiniBooNE 2020 data over a grid of card values",
        description=__doc__, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    from zpgen.commands import add_card_arguments

    add_card_arguments(p)
    p.add_argument("--vary", action="append", default=[], metavar="KEY=VALUES",
                   help="a card key and its values: v1,v2,... or start:stop:n[:log] "
                        "(repeatable: the product grid)")
    p.add_argument("-n", "--n-events", type=int, default=100_000, metavar="N",
                   help="events per point (default %(default)s)")
    p.add_argument("--seed", type=int, help="root seed of every point (default: run.seed)")
    p.add_argument("-o", "--output", required=True, metavar="TABLE",
                   help="result table: .csv, .parquet or .json (resumed if it exists)")
    p.add_argument("--plot", metavar="P.png", help="draw the Fig. 6 figure (.png, .pdf, ...)")
    p.add_argument("--data-release", metavar="DIR",
                   help=f"MiniBooNE 2020 release folder or its parent (default: ${ENV_DATA})")
    p.add_argument("--stat", choices=("cnp", "pearson", "signal-pearson"), default="cnp",
                   help="statistical term of the chi2 (default cnp)")
    p.add_argument("--executor", choices=("local", "processes", "dask"), default="local",
                   help="where generated points run (default local)")
    p.add_argument("--workers", type=int, metavar="K",
                   help="pool processes or Dask workers (default: the cores)")
    p.add_argument("--no-reweight", action="store_true",
                   help="generate every point, even when only couplings vary")
    p.add_argument("--overwrite", action="store_true",
                   help="start a new table (and replace --plot) instead of resuming")
    p.add_argument("-q", "--quiet", action="store_true", help="no line per point")
    p.set_defaults(func=run)


def _setup(args: argparse.Namespace) -> tuple[Any, Any, list[int]]:
    """Everything refused before work: the grid, the data, the table, the figure."""
    from zpgen.detectors.miniboone_compare import data_dir
    from zpgen.detectors.miniboone_scan import (
        ScanSetup,
        check_detector,
        check_release,
        default_seed,
        plot_path_ok,
        table_settings,
    )

    from zpgen import run_limits
    from zpgen.card import CardError
    from zpgen.commands import card_text_from_args, check_limits
    from zpgen.outputs import OutputError, check_output_path
    from zpgen.scan import ScanTable, check_grid, grid_points, parse_vary

    if not args.vary:
        raise CardError("--vary: give at least one, e.g. --vary model.mzprime=0.02,0.03")
    check_limits(run_limits.check_events, args.n_events, "--n-events")
    if args.seed is not None and args.seed < 0:
        raise CardError(f"--seed: must be >= 0, got {args.seed}")
    if args.workers is not None and args.workers < 1:
        raise CardError(f"--workers: must be >= 1, got {args.workers}")
    varies = [parse_vary(v) for v in args.vary]
    text, source = card_text_from_args(args)
    cards = check_grid(text, tuple(args.overrides), source, varies)
    base = cards[len(cards) // 2]
    check_detector(cards)
    release = check_release(data_dir(args.data_release))
    try:
        check_output_path(args.output, overwrite=True, flag="-o",
                          inputs={"card": args.card})
    except OutputError as exc:
        raise CardError(str(exc)) from None
    plot = plot_path_ok(args.plot, args.overwrite)
    setup = ScanSetup(text, tuple(args.overrides), source, grid_points(varies), cards,
                      args.n_events, default_seed(base, args.seed), release, args.stat,
                      args.executor, args.workers, not args.no_reweight,
                      log=(lambda m: None) if args.quiet else
                      (lambda m: print(f"zpgen scan: {m}", file=sys.stderr)))
    keys = [v.key for v in varies]
    table = ScanTable(args.output, keys, table_settings(setup, base, keys), args.overwrite)
    todo = [i for i, point in enumerate(setup.points) if not table.done(point)]
    return setup, (table, plot, keys), todo


def run(args: argparse.Namespace) -> int:
    import time

    from zpgen.detectors.miniboone_compare import CompareError
    from zpgen.detectors.miniboone_scan import run_scan

    try:
        setup, (table, plot, keys), todo = _setup(args)
    except CompareError as exc:
        print(f"zpgen scan: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    skipped = len(setup.points) - len(todo)
    if not args.quiet:
        print(f"zpgen scan: {len(setup.points)} point(s), {skipped} already in "
              f"{args.output}; {args.n_events} events each, seed {setup.seed}",
              file=sys.stderr)
    start = time.perf_counter()

    def on_row(row: dict[str, Any]) -> None:
        table.add(row)
        if not args.quiet:
            label = ", ".join(f"{k}={row[k]:.6g}" if isinstance(row[k], float)
                              else f"{k}={row[k]}" for k in keys)
            print(f"{label}: delta chi2 = {row['delta_chi2']:.3f} "
                  f"({row['significance_sigma']:.2f} sigma), chi2_min = "
                  f"{row['chi2_min']:.3f}/{row['ndof']}, mu_best = {row['mu_best']:.4g}, "
                  f"expected = {row['expected_events']:.5g}, selected = "
                  f"{row['selected_events']:.5g}, ess = {row['ess']:.4g} "
                  f"[{row['method']}, {row['seconds']:.2f} s]")

    run_scan(setup, todo, on_row)
    table.sort(setup.points)
    if todo and not args.quiet:
        elapsed = time.perf_counter() - start
        print(f"zpgen scan: {len(todo)} point(s) in {elapsed:.1f} s "
              f"({elapsed / len(todo):.2f} s per point); table {args.output}",
              file=sys.stderr)
    if plot is not None and table.rows:
        from zpgen.detectors.miniboone_plot import plot_scan

        plot_scan(table.rows, keys, plot)
        if not args.quiet:
            print(f"zpgen scan: wrote the figure {plot}", file=sys.stderr)
    return 0
