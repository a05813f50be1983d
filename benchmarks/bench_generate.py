"""Benchmark of event generation (prints figures; asserts nothing).

Usage::

    python benchmarks/bench_generate.py [--events 1000000] [--chunk 100000]

Prints, for the default card (MiniBooNE benchmark point):

* warm start: seconds from ``generate()`` to the first chunk (setup + VEGAS adaptation),
  with the Numba caches already compiled (a first call warms them);
* kernel path: events/s of the Numba event kernel alone (hypercube points -> weights,
  momenta and vertices) on one core, excluding compilation and adaptation; target >= 1e6;
* sampler path: events/s of map sampling + kernel + awkward record (no detector), and the
  full path with the detector response;
* ESS/N = (sum w)^2 / (N sum w^2) per channel (target >= 0.7);
* peak traced memory (tracemalloc) while streaming, per event of the run and per event of
  a chunk (target <= 300 bytes/event over the run in the streaming path).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from zpgen import sampler
from zpgen.card import parse_card
from zpgen.generate import EventGenerator, generate


def _stream(card, n, chunk, detector):
    count = 0
    start = time.perf_counter()
    stream = generate(card, n_events=n, chunk_size=chunk, detector=detector)
    first = None
    for c in stream:
        if first is None:
            first = time.perf_counter() - start
        count += len(c)
    return count, time.perf_counter() - start, first, stream.summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=100_000)
    args = parser.parse_args()
    card = parse_card()

    # warm-up (compiles or loads the Numba caches)
    _stream(card, 20_000, 10_000, True)

    # warm start
    start = time.perf_counter()
    engine = EventGenerator(card, n_events=args.events, chunk_size=args.chunk)
    setup = time.perf_counter() - start
    engine.adapt()
    warm = time.perf_counter() - start
    print(f"warm start (setup + adaptation of {len(engine.adapted)} channels): {warm:.2f} s "
          f"(setup {setup:.2f} s)")

    # kernel path
    name = "C12_coherent"
    adapted = engine.adapted[name]
    n_kernel = 1_000_000
    x, jac, aux = sampler.sample_block(adapted, n_kernel, np.random.default_rng(1))
    ch = adapted.channel
    ch.events(x[:1000], aux[:1000])
    from zpgen.processes import decay_chain as dc
    E_nu, w_flux = ch._flux_map(x[:, 0])
    n_p = ch.n_particles
    f = np.empty(n_kernel)
    t = np.empty(n_kernel)
    mode = np.empty(n_kernel, dtype=np.int8)
    P = np.empty((n_kernel, n_p, 4))
    V = np.empty((n_kernel, n_p, 4))
    start = time.perf_counter()
    dc.batch_events(x, E_nu, w_flux, aux, ch.cp, ch.dp, f, t, mode, P, V)
    dt_cold = time.perf_counter() - start   # includes first-touch page faults of P, V
    start = time.perf_counter()
    dc.batch_events(x, E_nu, w_flux, aux, ch.cp, ch.dp, f, t, mode, P, V)
    dt_kernel = time.perf_counter() - start
    start = time.perf_counter()
    ch(x)
    dt_weights = time.perf_counter() - start
    start = time.perf_counter()
    ch.events(x, aux)
    dt_events = time.perf_counter() - start
    print(f"kernel path ({n_p} particles/event, 1 core, warm output buffers): "
          f"{n_kernel / dt_kernel:.3g} events/s (fresh buffers: {n_kernel / dt_cold:.3g}/s; "
          f"weights only: {n_kernel / dt_weights:.3g}/s; ch.events with flux map, pdg and "
          f"allocation: {n_kernel / dt_events:.3g}/s)")
    del x, jac, aux, P, V

    # sampler + record path, and full path with the detector
    for detector in (False, True):
        n, total, first, summary = _stream(card, args.events, args.chunk, detector)
        gen = total - summary.adapt_seconds - summary.setup_seconds
        label = "with detector" if detector else "no detector"
        print(f"stream ({label}): {n} events in {total:.2f} s, generation "
              f"{n / gen:.3g} events/s (adapt {summary.adapt_seconds:.2f} s, "
              f"first chunk after {first:.2f} s)")
    d = summary.as_dict()
    print("ESS/N per channel:")
    for ch_name, v in d["channels"].items():
        print(f"  {ch_name:13s} N = {v['n_events']:8d}  ESS/N = {v['ess_ratio']:.3f}  "
              f"expected events = {v['expected_events']:.4g} +- "
              f"{v['expected_events_err']:.2g}")
    print(f"  total expected events (before efficiency): {d['expected_events']:.5g} +- "
          f"{d['expected_events_err']:.2g}")

    # memory
    for detector in (False, True):
        tracemalloc.start()
        n, _, _, _ = _stream(card, args.events, args.chunk, detector)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        label = "with detector" if detector else "no detector"
        print(f"peak traced memory ({label}, chunk {args.chunk}): {peak / 1e6:.1f} MB = "
              f"{peak / n:.0f} bytes/event of the run, {peak / args.chunk:.0f} bytes/event "
              f"of a chunk")


if __name__ == "__main__":
    main()
