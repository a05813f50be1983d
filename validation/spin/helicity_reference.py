"""Fingerprints (sha256 of every event array) of small runs, for the bit-for-bit check of
``physics.nu5_spin = "helicity"`` against the release before the exact spin (f9d99c5).

Usage::

    python validation/spin/helicity_reference.py OUT.json [--set KEY=VALUE ...]

The reference ``tests/processes/data/nu5_spin_helicity_f9d99c5.json`` was written by this
script running the code of commit f9d99c5 (``git archive f9d99c5``, its packages laid out
as the wheel maps them, first on PYTHONPATH); ``tests/processes/test_nu5_spin_switch.py``
recomputes the fingerprints on the current code with ``physics.nu5_spin=helicity`` added.
Cards whose option does not exist in f9d99c5 (``physics.nu5_spin``) are not passed to it.
"""

from __future__ import annotations

import argparse
import hashlib
import json

import awkward as ak
import numpy as np

#: The runs fingerprinted: name -> card overrides (the default card otherwise).
CASES: dict[str, list[str]] = {
    "default": [],
    "offshell": ["model.mzprime=0.07"],
    "majorana": ["model.heavy_neutrino=majorana"],
}
N_EVENTS = 3000
SEED = 1234


def fingerprints(sets: list[str]) -> dict[str, str]:
    """sha256 of each event and particle array of a run of :data:`N_EVENTS` at :data:`SEED`."""
    from zpgen.card import parse_card
    from zpgen.generate import generate_array

    ev = generate_array(parse_card(None, sets), n_events=N_EVENTS, seed=SEED)
    out = {}
    for field in ev.fields:
        if field == "particles":
            for g in ev.particles.fields:
                a = np.ascontiguousarray(ak.to_numpy(ak.flatten(ev.particles[g])))
                out["particles." + g] = hashlib.sha256(a.tobytes()).hexdigest()
        else:
            a = np.ascontiguousarray(ak.to_numpy(ev[field]))
            out[field] = hashlib.sha256(a.tobytes()).hexdigest()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--set", action="append", default=[], help="extra override")
    args = parser.parse_args()
    result = {name: fingerprints(sets + args.set) for name, sets in CASES.items()}
    with open(args.output, "w", encoding="utf-8") as fh:
        json.dump({"n_events": N_EVENTS, "seed": SEED, "cases": result}, fh, indent=1,
                  sort_keys=True)
        fh.write("\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
