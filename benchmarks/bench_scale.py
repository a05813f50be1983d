"""Benchmark of scaling (prints figures; asserts nothing).

Usage::

    python benchmarks/bench_scale.py [--events 1000000] [--rss 1e6,1e7] [--skip-rss]

Prints, for the default card on this machine:

* throughput (events/s, sampling + kinematics, no detector, no output) with 1 and 2
  threads in one process and with 1 and 2 single-threaded processes (each its own job
  stream, as in a job array), with the scaling efficiency ``rate(2) / (2 rate(1))``;
  target: two processes >= 1.7 x one;
* peak RSS of ``zpgen generate -n N -o run.root`` (detector on, default chunk) for each
  N of ``--rss`` (targets: < 500 MB for 1e6 and < 1.5 GB for 1e7), measured as the
  child's ``ru_maxrss``;
* time to reach a relative error of 1e-2, 1e-3, 1e-4 on the total rate (sum of w):
  warm start + N(eps) / throughput with ``N(eps) = N0 (r0 / eps)^2`` from a measured
  run of N0 events with relative error r0 (the error falls as 1/sqrt(N) for a fixed
  grid); the VEGAS error of the grid itself is printed alongside (it does not fall
  with N);
* a pointer to benchmarks/bench_darknews.py, which runs DarkNews and zpgen at one point.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from zpgen.card import parse_card
from zpgen.generate import generate

# The figures include the VEGAS adaptation: no adaptation cache (zpgen/adaptation_cache.py)
# unless a figure says it uses one; child processes inherit this.
os.environ["ZPGEN_CACHE"] = "off"


def _stream(n: int, threads: int, job_index: int = 0, detector: bool = False
            ) -> tuple[int, float, float, float]:
    """(events, start, end wall-clock times, adapt seconds) of one run without output."""
    card = parse_card()
    warm = generate(card, n_events=20_000, detector=detector, threads=threads,
                    job_index=job_index)
    for _ in warm:
        pass
    stream = generate(card, n_events=n, detector=detector, threads=threads,
                      job_index=job_index)
    stream.engine.adapt()
    start = time.time()
    count = 0
    for chunk in stream:
        count += len(chunk)
    return count, start, time.time(), stream.summary.adapt_seconds


def _process_job(args: tuple[int, int, object]) -> tuple[int, float, float]:
    n, job, barrier = args
    _stream(20_000, 1, job)  # warm the caches of this process
    barrier.wait()  # type: ignore[attr-defined]
    count, start, end, _ = _stream(n, 1, job)
    return count, start, end


def throughput_processes(n: int, n_proc: int) -> float:
    """Aggregate events/s of ``n_proc`` single-threaded processes (``n`` events each)."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(n_proc)
        with ProcessPoolExecutor(n_proc, mp_context=ctx) as pool:
            results = list(pool.map(_process_job, [(n, j, barrier) for j in range(n_proc)]))
    total = sum(r[0] for r in results)
    return total / (max(r[2] for r in results) - min(r[1] for r in results))


def peak_rss(n: int, tmp: Path) -> tuple[float, float, int]:
    """(peak RSS in MB, wall seconds, file bytes) of `zpgen generate -n N` to ROOT.

    The command runs in a fresh interpreter that prints its ``VmHWM`` (peak RSS of the
    address space) at the end; ``ru_maxrss`` would include the parent's high-water mark,
    which Linux carries across fork and exec.
    """
    out = tmp / f"rss_{n}.root"
    wrapper = ("import sys, json, time; t = time.perf_counter(); from zpgen.cli import main; "
               "rc = main(sys.argv[1:]); "
               "hwm = [int(l.split()[1]) for l in open('/proc/self/status') "
               "if l.startswith('VmHWM:')][0]; "
               "print(json.dumps([hwm, time.perf_counter() - t, rc]))")
    cmd = [sys.executable, "-c", wrapper, "generate", "-n", str(n), "-o", str(out), "-q",
           "--overwrite"]
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    kb, seconds, rc = json.loads(res.stdout.strip().splitlines()[-1])
    if rc != 0:
        raise RuntimeError(f"zpgen generate exited with {rc}: {res.stderr}")
    size = out.stat().st_size
    out.unlink()
    return kb / 1024.0, seconds, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rss", default="1e6,1e7",
                        help="comma-separated event counts for the peak-RSS runs")
    parser.add_argument("--skip-rss", action="store_true")
    args = parser.parse_args()
    n = args.events
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} "
          "(other work on the machine lowers the 2-worker figures)")

    # threads in one process
    rates = {}
    for threads in (1, 2):
        count, start, end, _ = _stream(n, threads)
        rates[threads] = count / (end - start)
    print(f"threads   (1 process, no detector, no output): 1 -> {rates[1]:.3g} ev/s, "
          f"2 -> {rates[2]:.3g} ev/s, speed-up {rates[2] / rates[1]:.2f}x, efficiency "
          f"{rates[2] / (2 * rates[1]):.0%}")
    for threads in (1, 2):
        count, start, end, _ = _stream(n // 4, threads, detector=True)
        rates[10 + threads] = count / (end - start)
    print(f"threads   (with the MiniBooNE detector, no output): 1 -> {rates[11]:.3g} ev/s, "
          f"2 -> {rates[12]:.3g} ev/s (the detector response is Python/awkward and runs in "
          "one thread)")
    prates = {k: throughput_processes(n, k) for k in (1, 2)}
    print(f"processes (1 thread each, independent job streams): 1 -> {prates[1]:.3g} ev/s, "
          f"2 -> {prates[2]:.3g} ev/s, speed-up {prates[2] / prates[1]:.2f}x "
          f"(target >= 1.7x), efficiency {prates[2] / (2 * prates[1]):.0%}")

    # time to a relative error on the total rate
    card = parse_card()
    start = time.perf_counter()
    stream = generate(card, n_events=n, detector=False)
    stream.engine.adapt()
    warm = time.perf_counter() - start
    for _ in stream:
        pass
    total = time.perf_counter() - start
    d = stream.summary.as_dict()
    r0 = d["expected_events_err"] / d["expected_events"]
    gen_rate = n / (total - warm)
    vegas_rel = math.sqrt(sum(
        (stream.summary.pot * stream.summary.targets[k] * v["adapt"]["integral_err"]) ** 2
        for k, v in d["channels"].items() if v["adapt"])) / d["expected_events"]
    print(f"rate error: N0 = {n} events give {r0:.2e} relative error on sum(w) "
          f"(warm start {warm:.2f} s, {gen_rate:.3g} ev/s with all threads); the grid's own "
          f"VEGAS estimate has {vegas_rel:.2e}")
    for eps in (1e-2, 1e-3, 1e-4):
        n_eps = max(1, math.ceil(n * (r0 / eps) ** 2))
        how = "measured run covers it" if n_eps <= n else "extrapolated 1/sqrt(N)"
        print(f"  relative error {eps:.0e}: N = {n_eps:.3g} events, "
              f"{warm + n_eps / gen_rate:.3g} s ({how})")

    if not args.skip_rss:
        with tempfile.TemporaryDirectory() as tmp:
            peak_rss(1000, Path(tmp))  # warm the Numba cache of the CLI path
            for text in args.rss.split(","):
                n_rss = int(float(text))
                mb, seconds, size = peak_rss(n_rss, Path(tmp))
                target = 500 if n_rss <= 1_000_000 else 1500
                print(f"peak RSS of zpgen generate -n {n_rss:.0e} -o run.root: {mb:.0f} MB "
                      f"(target < {target} MB), {seconds:.1f} s wall, "
                      f"{size / n_rss:.0f} bytes/event on disk")

    try:
        import DarkNews  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        print("DarkNews comparison: skipped (darknews is not importable here; "
              "pip install 'zpgen[validation]' where it installs)")
    else:
        print("DarkNews comparison: run benchmarks/bench_darknews.py (both generators, "
              "ESS per second and their ratio)")


if __name__ == "__main__":
    main()
