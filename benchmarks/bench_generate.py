"""Benchmark of event generation (prints figures; asserts nothing).

Usage::

    python benchmarks/bench_generate.py [--events 1000000] [--chunk 100000]
        [--set physics.nu5_spin=helicity] [--kernel-channel H1_proton]
    python benchmarks/bench_generate.py --spin-cost [--events 1000000] [--repeats 3]

Prints, for the default card (MiniBooNE benchmark point):

* warm start: seconds from ``generate()`` to the first chunk (setup + VEGAS adaptation),
  with the Numba caches already compiled (a first call warms them), and from a saved
  grid (``zpgen adapt``); target < 3 s;
* kernel path: events/s of the Numba event kernel alone (hypercube points -> weights,
  momenta and vertices) on one core, excluding compilation and adaptation;
* end to end without output: events/s of the whole stream (RNG, VEGAS map, flux map,
  kernel, weights, awkward chunks) with 1 and 2 threads, without and with the detector;
  target >= 1e6 weighted events/s without output (no detector, both cores);
* ESS/N = (sum w)^2 / (N sum w^2) per channel (target >= 0.7);
* memory held per event: the peak increase of traced memory (tracemalloc: every numpy and
  awkward buffer) while streaming a run of N events (no output; each chunk is dropped by
  the consumer), divided by N, for two N at the default chunk size: the peak does not grow
  with N (bounded chunks), so bytes/event of the run fall as 1/N; target <= 300 bytes per
  event at N = 1e6.  The peak RSS increase of a fresh process streaming N events is printed
  alongside (RSS includes allocator slack and the Numba/LLVM runtime).

``--spin-cost`` instead prints the cost of ``physics.nu5_spin = "exact"`` (the polarisation
from the production amplitude at every point) against ``"helicity"`` side by side in one
process: for each channel of the default card the kernel's events/s (``ch.fill`` on the
same hypercube points, one core) and weights-only/s (the VEGAS integrand), and the end to
end events/s of the whole stream (1 thread, no detector, no output, after adaptation).
Both settings are measured alternately ``--repeats`` times and the fastest of each is
kept (the machine may be shared), with the ratio exact/helicity of the rates.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np

from zpgen import sampler
from zpgen.card import parse_card
from zpgen.generate import EventGenerator, generate

# The figures include the VEGAS adaptation: no adaptation cache (zpgen/adaptation_cache.py)
# unless a figure says it uses one; child processes inherit this.
os.environ["ZPGEN_CACHE"] = "off"


def _status_mb(key: str) -> float:
    """``VmRSS`` or ``VmHWM`` (peak RSS of this address space) in MB, from /proc.

    (``ru_maxrss`` is not used: on Linux a child inherits its parent's high-water mark
    across fork and exec.)
    """
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _child_rss(n: int, chunk: int) -> None:
    """Child mode: print the RSS after warm-up and the peak RSS (MB) of streaming n events."""
    card = parse_card()
    _stream(card, 20_000, chunk, False)
    base = _status_mb("VmHWM")
    _stream(card, n, chunk, False)
    print(json.dumps({"base": base, "peak": _status_mb("VmHWM")}))


def _stream(card, n, chunk, detector, threads=None):
    count = 0
    start = time.perf_counter()
    stream = generate(card, n_events=n, chunk_size=chunk, detector=detector, threads=threads)
    first = None
    for c in stream:
        if first is None:
            first = time.perf_counter() - start
        count += len(c)
    return count, time.perf_counter() - start, first, stream.summary


_FIRST_EVENT = """\
import sys, time
t0 = time.perf_counter()
from zpgen.card import parse_card
from zpgen.generate import EventGenerator
t1 = time.perf_counter()
engine = EventGenerator(parse_card(), n_events=1000, chunk_size=1000,
                        grid=sys.argv[1] if len(sys.argv) > 1 else None)
t2 = time.perf_counter()
next(iter(engine.chunks()))
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def _startup_to_first_event(grid_path: str, cache_dir: str) -> None:
    """A fresh interpreter (warm Numba cache) from start to its first chunk of events:
    imports, plugin loading (Numba cache loads), setup and adaptation (or the maps from
    the adaptation cache, primed by the first run, or from a grid)."""
    runs = (("adapting", [], "off"), ("adapting, storing in the cache", [], cache_dir),
            ("from the adaptation cache", [], cache_dir), ("from a grid", [grid_path], "off"))
    for label, extra, cache in runs:
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _FIRST_EVENT, *extra], check=True,
                             capture_output=True, text=True,
                             env={**os.environ, "ZPGEN_CACHE": cache}).stdout.split()
        total = time.perf_counter() - start
        imports, setup, first = (float(x) for x in out[-3:])
        print(f"fresh process to first event ({label}): {total:.2f} s (interpreter + "
              f"imports {total - setup - first:.2f} s of which zpgen {imports:.2f} s, "
              f"setup incl. plugin loading {setup:.2f} s, first chunk {first:.2f} s)")


def _spin_cost(args: argparse.Namespace) -> None:
    """The ``--spin-cost`` figures (module docstring)."""
    from zpgen.event_record import ChunkBuffer

    cards = {spin: parse_card(None, [*args.set, f"physics.nu5_spin={spin}"])
             for spin in ("exact", "helicity")}
    engines = {}
    for spin, card in cards.items():
        _stream(card, 20_000, 10_000, False)  # warm-up (compiles or loads the caches)
        engines[spin] = EventGenerator(card, n_events=args.events, chunk_size=args.chunk)
        engines[spin].adapt()
    names = list(engines["exact"].adapted)
    n_kernel = min(args.events, 1_000_000)
    best: dict[tuple[str, str, str], float] = {}

    def keep(key: tuple[str, str, str], dt: float) -> None:
        best[key] = min(best.get(key, math.inf), dt)

    for name in names:
        # the same points for both settings (the helicity engine's VEGAS map)
        x, _, aux = sampler.sample_block(engines["helicity"].adapted[name], n_kernel,
                                         np.random.default_rng(1))
        chans = {spin: engines[spin].adapted[name].channel for spin in engines}
        buf = ChunkBuffer(n_kernel, chans["exact"].n_particles, chans["exact"].truth_fields)
        for ch in chans.values():
            ch.fill(x, aux, buf, 0)
        for _ in range(args.repeats):
            for spin, ch in chans.items():
                start = time.perf_counter()
                ch.fill(x, aux, buf, 0)
                keep((name, spin, "fill"), time.perf_counter() - start)
                start = time.perf_counter()
                ch(x)
                keep((name, spin, "weights"), time.perf_counter() - start)
        del x, aux, buf
    for _ in range(args.repeats):
        for spin, card in cards.items():
            n, total, _, summary = _stream(card, args.events, args.chunk, False, 1)
            keep(("stream", spin, "e2e"), (total - summary.adapt_seconds
                                          - summary.setup_seconds) / n * n_kernel)
    print(f"nu5_spin cost (best of {args.repeats}, events/s; ratio = exact/helicity rate):")
    rows = [(name, what) for name in names for what in ("fill", "weights")]
    rows.append(("stream", "e2e"))
    figures = {}
    for name, what in rows:
        exact = n_kernel / best[(name, "exact", what)]
        heli = n_kernel / best[(name, "helicity", what)]
        label = {"fill": "kernel ch.fill", "weights": "weights only",
                 "e2e": "end to end, 1 thread"}[what]
        print(f"  {name:13s} {label:21s} exact {exact:10.4g}  helicity {heli:10.4g}  "
              f"ratio {exact / heli:.3f}")
        figures[f"{name}/{what}"] = {"exact": exact, "helicity": heli, "ratio": exact / heli}
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=25_000)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="card override (repeatable), e.g. physics.nu5_spin=helicity")
    parser.add_argument("--kernel-channel", default="C12_coherent",
                        help="channel of the kernel-path figure")
    parser.add_argument("--spin-cost", action="store_true",
                        help="only the cost of physics.nu5_spin = exact vs helicity")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of --spin-cost")
    parser.add_argument("--child-rss", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_rss:
        _child_rss(args.child_rss, args.chunk)
        return
    if args.spin_cost:
        _spin_cost(args)
        return
    card = parse_card(None, args.set)

    # warm-up (compiles or loads the Numba caches)
    _stream(card, 20_000, 10_000, True)

    # warm start
    start = time.perf_counter()
    engine = EventGenerator(card, n_events=args.events, chunk_size=args.chunk,
                            adaptation_cache=False)
    setup = time.perf_counter() - start
    engine.adapt()
    warm = time.perf_counter() - start
    print(f"warm start (setup + adaptation of {len(engine.adapted)} channels): {warm:.2f} s "
          f"(setup {setup:.2f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        from zpgen.gridpack import save_grid
        grid_path = os.path.join(tmp, "grid.zpg")
        save_grid(grid_path, card, engine)
        start = time.perf_counter()
        from_grid = EventGenerator(card, n_events=args.events, chunk_size=args.chunk,
                                   grid=grid_path)
        from_grid.adapt()
        print(f"warm start from a grid (load + setup, no adaptation): "
              f"{time.perf_counter() - start:.2f} s")
        _startup_to_first_event(grid_path, os.path.join(tmp, "cache"))

    # kernel path
    name = args.kernel_channel
    adapted = engine.adapted[name]
    n_kernel = 1_000_000
    x, jac, aux = sampler.sample_block(adapted, n_kernel, np.random.default_rng(1))
    ch = adapted.channel
    ch.events(x[:1000], aux[:1000])
    from zpgen.event_record import ChunkBuffer
    n_p = ch.n_particles
    buf = ChunkBuffer(n_kernel, n_p, ch.truth_fields)
    start = time.perf_counter()
    ch.fill(x, aux, buf, 0)
    dt_cold = time.perf_counter() - start   # includes first-touch page faults of the buffer
    start = time.perf_counter()
    ch.fill(x, aux, buf, 0)
    dt_kernel = time.perf_counter() - start
    start = time.perf_counter()
    ch(x)
    dt_weights = time.perf_counter() - start
    start = time.perf_counter()
    ch.events(x, aux)
    dt_events = time.perf_counter() - start
    print(f"kernel path ({name}, {n_p} particles/event, 1 core, ch.fill into a warm chunk buffer, "
          f"flux map included): {n_kernel / dt_kernel:.3g} events/s (fresh buffer: "
          f"{n_kernel / dt_cold:.3g}/s; weights only: {n_kernel / dt_weights:.3g}/s; "
          f"ch.events with allocation: {n_kernel / dt_events:.3g}/s)")
    del x, jac, aux, buf

    # end to end without output: 1 and 2 threads, without and with the detector
    for detector in (False, True):
        for threads in (1, 2):
            n_run = args.events if not detector else max(args.events // 4, 1)
            n, total, first, summary = _stream(card, n_run, args.chunk, detector, threads)
            gen = total - summary.adapt_seconds - summary.setup_seconds
            label = "with detector" if detector else "no detector"
            print(f"stream ({label}, {threads} thread{'s' if threads > 1 else ''}, no output):"
                  f" {n} events, {n / gen:.3g} events/s end to end after adaptation "
                  f"(adapt {summary.adapt_seconds:.2f} s, first chunk after {first:.2f} s)")
    d = summary.as_dict()
    print("ESS/N per channel:")
    for ch_name, v in d["channels"].items():
        print(f"  {ch_name:13s} N = {v['n_events']:8d}  ESS/N = {v['ess_ratio']:.3f}  "
              f"expected events = {v['expected_events']:.4g} +- "
              f"{v['expected_events_err']:.2g}")
    print(f"  total expected events (before efficiency): {d['expected_events']:.5g} +- "
          f"{d['expected_events_err']:.2g}")

    # memory held per event (module docstring)
    for n_mem in sorted({max(args.events // 5, args.chunk), args.events}):
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        n, _, _, _ = _stream(card, n_mem, args.chunk, False)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        inc = peak - base
        res = subprocess.run([sys.executable, __file__, "--child-rss", str(n_mem), "--chunk",
                              str(args.chunk)], capture_output=True, text=True, check=True)
        rss = json.loads(res.stdout.strip().splitlines()[-1])
        d_rss = (rss["peak"] - rss["base"]) * 1e6
        print(f"memory held, N = {n_mem:.0e}, chunk {args.chunk}: peak traced increase "
              f"{inc / 1e6:.1f} MB = {inc / n:.0f} bytes/event of the run "
              f"({inc / args.chunk:.0f} per event of a chunk); peak RSS increase "
              f"{d_rss / 1e6:.0f} MB = {d_rss / n:.0f} bytes/event of the run")


if __name__ == "__main__":
    main()
