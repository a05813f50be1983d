"""Benchmark of unweighted events (prints figures; asserts nothing).

Usage::

    python benchmarks/bench_unweighted.py [--events 200000] [--threads 2]

Prints, for the default card (warm Numba cache), the unweighted events per second end to
end (pilot, trials, accept-reject, detector; no output file), beside the weighted rate of
the same run, the unweighting efficiency (kept / tried), the pilot's efficiency per
channel, and the share of the cross section the cap truncated, for both modes
(``physics`` and ``selected``).
"""

from __future__ import annotations

import argparse
import os
import time

from zpgen.card import parse_card
from zpgen.generate import generate

# The figures include the VEGAS adaptation: no adaptation cache (zpgen/adaptation_cache.py)
# unless a figure says it uses one; child processes inherit this.
os.environ["ZPGEN_CACHE"] = "off"


def run(n: int, threads: int, unweighted: str | None) -> tuple[float, float, dict]:
    card = parse_card()
    start = time.perf_counter()
    stream = generate(card, n_events=n, threads=threads, unweighted=unweighted)
    stream.engine.prepare()
    ready = time.perf_counter()
    count = sum(len(chunk) for chunk in stream)
    end = time.perf_counter()
    assert count == n
    return end - ready, ready - start, stream.summary.as_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    run(2000, args.threads, "physics")  # warm the Numba cache
    seconds, setup, _ = run(args.events, args.threads, None)
    print(f"weighted      {args.events} events: {args.events / seconds:10.3g} events/s "
          f"(after {setup:.2f} s setup + adaptation)")
    for mode in ("physics", "selected"):
        seconds, setup, info = run(args.events, args.threads, mode)
        u = info["unweighted"]
        print(f"unweighted {mode:<9} {args.events} events: {args.events / seconds:10.3g} "
              f"events/s (after {setup:.2f} s setup + adaptation + pilots); efficiency "
              f"{u['efficiency']:.3f} over {u['trials']} trials; overweight events "
              f"{u['overweight_event_fraction']:.2e}, truncated cross section "
              f"{u['truncated_xsec_fraction']:.2e} (bound {u['bias_bound']:g})")
        for name, ch in u["channels"].items():
            print(f"    {name:<14} n = {ch['n_events']:>7}  pilot efficiency "
                  f"{ch['pilot_efficiency']:.3f}  run efficiency {ch['efficiency']:.3f}")


if __name__ == "__main__":
    main()
