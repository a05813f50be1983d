"""``zpgen info FILE``: run metadata of a zpgen output file (ROOT, NuHepMC, LHE, Parquet)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from zpgen.commands import print_json

EPILOG = """\
examples:
  zpgen info events.root               version, seed, card summary, POT, events, sums, sigma
  zpgen info events.hepmc3 --json      the full run document as JSON
  zpgen info events.lhe --card         also print the stored run card (TOML)

Units: w in expected events (sum = expected events for the exposure), w_xsec and sigma in
cm^2 (sum of w_xsec = flux-averaged cross section), POT in protons on target.
"""


def _same(a: object, b: object) -> bool:
    """Two sums equal but for the order of their additions (relative 1e-9)."""
    try:
        x, y = float(a), float(b)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y))


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "info", help="print the run metadata stored in an output file",
        description="Print the run metadata zpgen stored in an output file of any format "
                    "(.root, .hepmc3/.hepmc, .lhe, .parquet): generator version, seed, card "
                    "summary, POT, number of events, sum of weights, channels and cross "
                    "sections.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", help="zpgen output file")
    p.add_argument("--json", action="store_true", help="print the run document as JSON")
    p.add_argument("--card", action="store_true", help="also print the stored run card")
    p.set_defaults(func=run)


def _card_summary(card: str, limit: int = 12) -> list[str]:
    """The first ``limit`` TOML lines of a stored card, after its ``--set`` overrides (the
    command line's -n and --seed are among them: without them the TOML's run.n_events
    would contradict the file)."""
    from zpgen.card import split_stored_card

    body, overrides = split_stored_card(card)
    lines = [f"--set {o}" for o in overrides]
    lines += [ln for ln in body.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    out = lines[:limit + len(overrides)]
    if len(lines) > len(out):
        out.append(f"... ({len(lines) - len(out)} more lines; --card prints all)")
    return out


def run(args: argparse.Namespace) -> int:
    from zpgen.writers import WriterError
    from zpgen.writers.read import read_metadata

    try:
        meta = read_metadata(args.file)
    except (OSError, WriterError, ValueError) as exc:
        print(f"zpgen info: error: {exc}", file=sys.stderr)
        return 2
    info = meta["run_info"]
    if args.json:
        doc = dict(info)
        doc["card"] = meta["card"]
        print_json(doc)
        return 0
    tot = info.get("totals") or {}
    wr = info.get("written") or {}
    print(f"file            {args.file} ({meta['format']}"
          + (f", compression {info['compression']})" if info.get("compression") else ")"))
    print(f"generator       {info.get('generator', '?')} {info.get('version', '?')}")
    print(f"seed            {info.get('seed')}"
          + (f"  job index {info['job_index']}" if info.get("job_index") is not None else ""))
    share = float(info.get("weight_share", 1.0) or 1.0)
    if info.get("merged_from"):
        print(f"merged jobs     {info.get('n_jobs', len(info['merged_from']))}")
    elif share < 1.0:
        print(f"job array       job {info.get('job_index')} of {info.get('n_jobs')}: its w carry "
              f"{share:.6g} of the exposure (chain or merge all the job files)")
    if info.get("command"):
        print(f"command         {info['command']}")
    grid, cache = info.get("grid"), info.get("adaptation_cache")
    if isinstance(grid, dict) and grid.get("sha256"):
        print(f"VEGAS maps      from the grid {grid.get('path')} ({str(grid['sha256'])[:12]})")
    elif isinstance(cache, dict) and cache.get("hit"):
        print(f"VEGAS maps      from the adaptation cache ({cache.get('key')}; the same as "
              "adapting)")
    elif "adaptation_cache" in info or "grid" in info:
        print("VEGAS maps      adapted in the run")
    print(f"POT             {info.get('pot', '?')}")
    print(f"events          {wr.get('n_events', tot.get('n_events'))}")
    if share < 1.0 and "sum_w" in tot:
        print(f"sum of w        {wr.get('sum_w')} expected events (share {share:.6g} of this "
              f"job's estimate {tot['sum_w']})")
    else:
        print(f"sum of w        {wr.get('sum_w')} expected events"
              + (f" (run total {tot['sum_w']})"
                 if "sum_w" in tot and not _same(tot["sum_w"], wr.get("sum_w")) else ""))
    if "expected_events" in tot:
        print(f"expected events {tot['expected_events']}")
    print(f"sum of w_xsec   {wr.get('sum_w_xsec')} cm^2 (flux-averaged cross section"
          + (f", times the share {share:.6g})" if share < 1.0 else ")"))
    sig = tot.get("sigma_cm2") or {}
    chans = info.get("channels") or []
    print("channels")
    for i, ch in enumerate(chans):
        s = sig.get(ch)
        print(f"  {i:2d} {ch:<24s} sigma = {s if s is not None else '?'} cm^2")
    print("card")
    for ln in _card_summary(meta["card"]):
        print(f"  {ln}")
    if args.card:
        print("--- run card ---")
        print(meta["card"], end="" if meta["card"].endswith("\n") else "\n")
    return 0
