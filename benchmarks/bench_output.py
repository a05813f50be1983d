"""Benchmark of output (prints figures; asserts nothing).

Usage::

    python benchmarks/bench_output.py [--events 1000000] [--text-events 50000]

Prints the wall time of `zpgen generate` of the default card to ROOT (target: 1e6 events
within 10 s on the 2-core reference machine, warm Numba cache), and events per second and
bytes per event for NuHepMC (HepMC3 ASCII), LHE and Parquet.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_generate(n: int, path: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "zpgen", "generate", "-n", str(n), "-o", str(path),
                    "-q", "--overwrite"], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--text-events", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        timed_generate(1000, tmpdir / "warm.root")  # warm the Numba cache
        seconds = timed_generate(args.events, tmpdir / "run.root")
        size = os.path.getsize(tmpdir / "run.root")
        print(f"ROOT     {args.events:>9} events  {seconds:7.2f} s wall  "
              f"{args.events / seconds:10.3g} events/s  {size / args.events:7.1f} bytes/event")
        for suffix in (".hepmc3", ".lhe", ".parquet"):
            path = tmpdir / f"run{suffix}"
            seconds = timed_generate(args.text_events, path)
            size = os.path.getsize(path)
            print(f"{suffix[1:]:<8} {args.text_events:>9} events  {seconds:7.2f} s wall  "
                  f"{args.text_events / seconds:10.3g} events/s  "
                  f"{size / args.text_events:7.1f} bytes/event")


if __name__ == "__main__":
    main()
