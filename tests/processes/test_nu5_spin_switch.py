"""The switch back: ``physics.nu5_spin = "helicity"`` gives the events of the release before
the exact nu5 spin (commit f9d99c5) bit for bit.

``data/nu5_spin_helicity_f9d99c5.json`` holds the sha256 of every event and particle array
of three small runs (default card, off-shell regime, Majorana) made by the code of f9d99c5
(validation/spin/helicity_reference.py, its docstring says how); this test recomputes them
with the current code and ``physics.nu5_spin=helicity``.  The default (exact) spin must
differ, so the comparison has the power to fail.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = Path(__file__).with_name("data") / "nu5_spin_helicity_f9d99c5.json"


def _script():
    path = REPO / "validation" / "spin" / "helicity_reference.py"
    spec = importlib.util.spec_from_file_location("helicity_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("case", ["default", "offshell", "majorana"])
def test_helicity_switch_reproduces_the_previous_release_bit_for_bit(case):
    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    script = _script()
    assert (ref["n_events"], ref["seed"]) == (script.N_EVENTS, script.SEED)
    got = script.fingerprints([*script.CASES[case], "physics.nu5_spin=helicity"])
    assert got == ref["cases"][case]
    if case == "default":
        exact = script.fingerprints(script.CASES[case])
        differ = [k for k in got if exact[k] != got[k]]
        assert "w" in differ and "particles.px" in differ
