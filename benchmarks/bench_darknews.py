"""zpgen versus DarkNews 0.4.8: effective events per second at the same model point.

Usage::

    pip install -e ".[validation]"        # installs darknews
    python benchmarks/bench_darknews.py [--events 500000]

Both generators produce weighted nu_mu upscattering events on MiniBooNE's CH2 for the
default card's masses (M_Z' = 30 MeV, m4 = 60 MeV, m5 = 110 MeV, Dirac) with the BNB flux,
decays included; zpgen once in process (no detector response, no output file) and once
end to end (``zpgen generate`` in a fresh process: imports, adaptation, the MiniBooNE
detector and the ROOT file, timed until the file is written). DarkNews is driven through its
GenLauncher ("3+2" model: couplings chosen only to make the point valid; they change the
normalisation, not the sampling efficiency). The effective sample size is
ESS = (sum w)^2 / sum w^2; the figure of merit is ESS per second of wall time, each
generator timed from its start (setup and adaptation included).
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time

import numpy as np

# The figures include the VEGAS adaptation: no adaptation cache (zpgen/adaptation_cache.py)
# unless a figure says it uses one; child processes inherit this.
os.environ["ZPGEN_CACHE"] = "off"


def ess(w: np.ndarray) -> float:
    return float(w.sum() ** 2 / (w**2).sum())


def run_zpgen(n_events: int) -> tuple[float, int, float]:
    from zpgen.card import parse_card
    from zpgen.generate import generate

    card = parse_card()
    start = time.perf_counter()
    weights = [np.asarray(chunk["w"]) for chunk in generate(card, n_events=n_events,
                                                             detector=False)]
    seconds = time.perf_counter() - start
    w = np.concatenate(weights)
    return seconds, len(w), ess(w)


def run_zpgen_file(n_events: int, out: str) -> tuple[float, int, float]:
    """``zpgen generate`` in a fresh process (interpreter, imports, adaptation, detector,
    ROOT file), timed from its start until the file is written; ESS from the file's w."""
    import subprocess
    import sys

    import uproot

    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "zpgen", "generate", "-n", str(n_events), "-o", out,
                    "-q", "--overwrite"], check=True)
    seconds = time.perf_counter() - start
    with uproot.open(out) as f:
        w = f["events"]["w"].array(library="np")
    return seconds, len(w), ess(w)


def run_darknews(neval: int) -> tuple[float, int, float]:
    from DarkNews import GenLauncher  # type: ignore[import-not-found]

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        gen = GenLauncher(mzprime=0.03, m4=0.06, m5=0.11, Umu4=0.0, Umu5=1e-3,
                          UD4=1 / math.sqrt(2), UD5=1 / math.sqrt(2), gD=1.0, epsilon=1e-3,
                          HNLtype="dirac", experiment="miniboone_fhc", neval=neval,
                          loglevel="ERROR", pandas=True, parquet=False, numpy=False,
                          hepevt=False, hep_unweight=False, make_summary_plots=False,
                          path=tmp)
        frame = gen.run()
        seconds = time.perf_counter() - start
    w = np.asarray(frame["w_event_rate"], dtype=np.float64).ravel()
    return seconds, len(w), ess(w)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=500_000, help="zpgen events")
    parser.add_argument("--darknews-neval", type=int, default=100_000,
                        help="DarkNews neval (its events per VEGAS iteration)")
    args = parser.parse_args()
    run_zpgen(10_000)  # warm the Numba cache: compilation is a one-off per installation
    z_s, z_n, z_ess = run_zpgen(args.events)
    print(f"zpgen    : {z_n:>9} weighted events in {z_s:6.2f} s = {z_n / z_s:9.3g} /s, "
          f"ESS/N = {z_ess / z_n:.3f}, ESS/s = {z_ess / z_s:9.3g}  (in process, no detector, "
          "no file)")
    with tempfile.TemporaryDirectory() as tmp:
        f_s, f_n, f_ess = run_zpgen_file(args.events, os.path.join(tmp, "bench.root"))
    print(f"zpgen    : {f_n:>9} weighted events in {f_s:6.2f} s = {f_n / f_s:9.3g} /s, "
          f"ESS/N = {f_ess / f_n:.3f}, ESS/s = {f_ess / f_s:9.3g}  (end to end: fresh "
          "process, detector, ROOT file)")
    try:
        import DarkNews  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        print("DarkNews : not importable (pip install -e '.[validation]'); no ratio printed")
        return
    d_s, d_n, d_ess = run_darknews(args.darknews_neval)
    print(f"DarkNews : {d_n:>9} weighted events in {d_s:6.2f} s = {d_n / d_s:9.3g} /s, "
          f"ESS/N = {d_ess / d_n:.3f}, ESS/s = {d_ess / d_s:9.3g}")
    print(f"ratio zpgen / DarkNews in ESS per second: {(z_ess / z_s) / (d_ess / d_s):.0f} "
          f"in process; {(f_ess / f_s) / (d_ess / d_s):.0f} end to end (zpgen to a ROOT file "
          "with the detector, DarkNews run() to its pandas file; issue 14 target >= 300)")


if __name__ == "__main__":
    main()
