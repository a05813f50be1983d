"""Benchmark of output (prints figures; asserts nothing).

Usage::

    python benchmarks/bench_output.py [--events 1000000] [--text-events 50000] [--quick]

Everything is measured in one run, side by side, because the figures move with the
machine's load (issue 14): ratios are what to compare between machines.

* ROOT: wall time of ``zpgen generate`` of the default card (MiniBooNE detector, warm Numba
  cache, adapting: no adaptation cache) for N and N/5 events, and for N events with the
  maps from the adaptation cache (a repeated run of the same card and seed); the
  *marginal cost* per event is the difference over the 0.8 N extra events (start-up,
  imports and adaptation cancel).  Target: 1e6 events within 4 s on the 2-core reference
  machine.
* uproot floor: the same arrays (read back from zpgen's file) written again by uproot
  alone (``mktree`` + ``extend`` per chunk of 20000 events, ZSTD(1), the writer's
  settings): the I/O floor per event.  Target: marginal cost within 1.5x the floor.
* ``--compression lz4:1`` against the default ``zstd:1``: wall time of N events (both
  with the adaptation cache) and bytes per event.
* bytes per event on disk (target <= 300 for ROOT), and the peak RSS of each
  ``zpgen generate`` process (``ru_maxrss``, MB).
* NuHepMC (HepMC3 ASCII), LHE and Parquet: events per second of the whole command and
  marginal events per second (the same N and N/5 difference), bytes per event.

``--quick`` uses small N (for CI's printout: the figures then carry the start-up noise).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Runs ``zpgen`` in a child and prints its peak RSS (kB) as the last stderr line: VmHWM of
#: /proc/self/status where there is one (Linux carries ``ru_maxrss`` across fork and exec, so
#: a child started after the parent read a large file would report the parent's peak),
#: ``ru_maxrss`` elsewhere.
_CHILD = ("import resource, sys\n"
          "from zpgen.cli import main\n"
          "rc = main(sys.argv[1:])\n"
          "try:\n"
          "    hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
          "except OSError:\n"
          "    hwm = []\n"
          "print('MAXRSS', hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
          " file=sys.stderr)\n"
          "sys.exit(rc)\n")


def timed_generate(n: int, path: Path, cache: str = "off", extra: tuple[str, ...] = ()
                   ) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of ``zpgen generate -n n -o path [extra]`` with the
    adaptation cache ``cache`` (a directory, or ``off``)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, "generate", "-n", str(n), "-o",
                           str(path), "-q", "--overwrite", *extra], check=True,
                          capture_output=True,
                          text=True, env={**os.environ, "ZPGEN_CACHE": cache})
    seconds = time.perf_counter() - start
    rss = [line.split()[1] for line in proc.stderr.splitlines() if line.startswith("MAXRSS")]
    return seconds, float(rss[-1]) / 1024.0 if rss else float("nan")


def uproot_floor(path: Path, out: Path, chunk: int = 20_000) -> tuple[float, int]:
    """Seconds uproot alone takes to write the event tree of ``path`` again: the same
    branches (event columns, and the particle columns ``p_*`` jagged behind one counter
    ``n_particles``), ZSTD(1) and chunks of ``chunk`` events, as zpgen's ROOT writer."""
    import awkward as ak
    import uproot

    with uproot.open(path) as f:
        arrays = f["events"].arrays(library="ak")
    n = len(arrays)
    flat = [k for k in arrays.fields if not k.startswith("p_") and k != "n_particles"]
    particles = ak.zip({k[2:]: arrays[k] for k in arrays.fields if k.startswith("p_")})
    start = time.perf_counter()
    with uproot.recreate(out, compression=uproot.ZSTD(1)) as g:
        tree = None
        for lo in range(0, n, chunk):
            data = {k: ak.to_numpy(arrays[k][lo:lo + chunk]) for k in flat}
            data["p"] = particles[lo:lo + chunk]
            if tree is None:
                tree = g.mktree("events", {k: (v.type if k == "p" else v.dtype)
                                           for k, v in data.items()},
                                counter_name=lambda counted: "n_particles",
                                field_name=lambda outer, inner: f"{outer}_{inner}")
            tree.extend(data)
    return time.perf_counter() - start, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--text-events", type=int, default=50_000)
    parser.add_argument("--quick", action="store_true", help="small N (CI printout)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    n_root = 100_000 if args.quick else args.events
    n_text = 10_000 if args.quick else args.text_events
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        timed_generate(1000, tmpdir / "warm.root")  # warm the Numba cache
        cache = str(tmpdir / "cache")
        timed_generate(1000, tmpdir / "prime.root", cache)  # fill the adaptation cache
        with_cache, _ = timed_generate(n_root, tmpdir / "cached.root", cache)
        lz4, _ = timed_generate(n_root, tmpdir / "lz4.root", cache, ("--compression", "lz4:1"))
        lz4_size = os.path.getsize(tmpdir / "lz4.root")
        small, _ = timed_generate(n_root // 5, tmpdir / "small.root")
        seconds, rss = timed_generate(n_root, tmpdir / "run.root")
        size = os.path.getsize(tmpdir / "run.root")
        marginal = (seconds - small) / (n_root - n_root // 5)
        floor, n_read = uproot_floor(tmpdir / "run.root", tmpdir / "floor.root")
        floor_per_event = floor / n_read
        figures["root"] = {"events": n_root, "wall_s": seconds, "bytes_per_event": size / n_root,
                           "marginal_us_per_event": marginal * 1e6,
                           "uproot_floor_us_per_event": floor_per_event * 1e6,
                           "marginal_over_floor": marginal / floor_per_event,
                           "peak_rss_MB": rss}
        print(f"ROOT     {n_root:>9} events  {seconds:7.2f} s wall  "
              f"{n_root / seconds:10.3g} events/s  {size / n_root:7.1f} bytes/event  "
              f"peak RSS {rss:6.0f} MB")
        figures["root"]["wall_s_adaptation_cache"] = with_cache
        print(f"ROOT     {n_root:>9} events  {with_cache:7.2f} s wall with the VEGAS maps from "
              f"the adaptation cache (a repeated run of the card)")
        figures["root"]["wall_s_lz4_cached"] = lz4
        figures["root"]["bytes_per_event_lz4"] = lz4_size / n_root
        print(f"ROOT     {n_root:>9} events  {lz4:7.2f} s wall with --compression lz4:1 (maps "
              f"from the cache)  {lz4_size / n_root:7.1f} bytes/event")
        noise = "" if marginal > 0 else "  (negative: load noise, take a larger N)"
        print(f"ROOT     marginal cost {marginal * 1e6:6.2f} us/event   uproot alone writing "
              f"the same arrays {floor_per_event * 1e6:6.2f} us/event   ratio "
              f"{marginal / floor_per_event:5.2f}{noise}")
        for suffix in (".hepmc3", ".lhe", ".parquet"):
            path = tmpdir / f"run{suffix}"
            small, _ = timed_generate(n_text // 5, tmpdir / f"small{suffix}")
            seconds, rss = timed_generate(n_text, path)
            size = os.path.getsize(path)
            marginal = (seconds - small) / (n_text - n_text // 5)
            figures[suffix[1:]] = {"events": n_text, "wall_s": seconds,
                                   "events_per_s": n_text / seconds,
                                   "marginal_events_per_s": (1.0 / marginal if marginal > 0
                                                             else float("nan")),
                                   "bytes_per_event": size / n_text, "peak_rss_MB": rss}
            rate = f"{1.0 / marginal:9.3g}/s" if marginal > 0 else "  n/a (noise)"
            print(f"{suffix[1:]:<8} {n_text:>9} events  {seconds:7.2f} s wall  "
                  f"{n_text / seconds:10.3g} events/s  (marginal {rate})  "
                  f"{size / n_text:7.1f} bytes/event  peak RSS {rss:6.0f} MB")
    if args.json:
        print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
