"""The detector response as it was written before the flat-column kernels (awkward
broadcasting), kept as the test oracle of zpgen.detectors: same random streams, same events.

Only the two pieces that changed are here (vertex placement and the visible-lepton
selection); the observables, the smearing and the one-ring flag are the package's own
(unchanged) functions.
"""

from __future__ import annotations

import math
from typing import Any

import awkward as ak
import numpy as np
from zpgen.detectors._common import Leptons, pair_observables
from zpgen.detectors.miniboone import OBSERVABLES, one_ring_flag, smear_leptons


def place(detector: Any, events: ak.Array, rng: np.random.Generator) -> ak.Array:
    n = len(events)
    radius = detector.fiducial_radius_cm * np.cbrt(rng.random(n))
    cos_polar = 2.0 * rng.random(n) - 1.0
    azimuth = 2.0 * math.pi * rng.random(n)
    sin_polar = np.sqrt(np.clip(1.0 - cos_polar**2, 0.0, None))
    vertex = {"x": radius * sin_polar * np.cos(azimuth),
              "y": radius * sin_polar * np.sin(azimuth), "z": radius * cos_polar}
    particles = events["particles"]
    for axis, shift in vertex.items():
        particles = ak.with_field(particles, particles[axis] + shift, axis)
    events = ak.with_field(events, particles, "particles")
    for axis, shift in vertex.items():
        events = ak.with_field(events, shift, f"vtx_{axis}")
    return events


def visible_leptons(events: ak.Array, max_radius_cm: float) -> Leptons:
    particles = events["particles"]
    counts = np.asarray(ak.to_numpy(ak.num(particles, axis=1)), dtype=np.int64)
    flat = ak.flatten(particles, axis=1)

    def column(name: str, dtype: type) -> np.ndarray:
        return np.asarray(ak.to_numpy(flat[name]), dtype=dtype)

    pdg = column("pdg", np.int64)
    # the visible EM showers: e+, e- and (since the dipole portal) photons
    selected = (column("status", np.int64) == 1) & ((np.abs(pdg) == 11) | (pdg == 22))
    r2 = column("x", np.float64) ** 2 + column("y", np.float64) ** 2 + column(
        "z", np.float64) ** 2
    selected &= r2 < max_radius_cm**2
    event = np.repeat(np.arange(counts.size, dtype=np.int64), counts)[selected]
    px, py, pz = (column(a, np.float64)[selected] for a in ("px", "py", "pz"))
    p = np.sqrt(px**2 + py**2 + pz**2)
    safe = np.where(p > 0.0, p, 1.0)
    return Leptons(n_events=len(events), event=event, pdg=pdg[selected],
                   E=column("E", np.float64)[selected], p=p,
                   ux=np.where(p > 0.0, px / safe, 0.0), uy=np.where(p > 0.0, py / safe, 0.0),
                   uz=np.where(p > 0.0, pz / safe, 1.0))


def respond_miniboone(detector: Any, events: ak.Array, rng: np.random.Generator
                      ) -> dict[str, np.ndarray]:
    true_leptons = visible_leptons(events, detector.tank_radius_cm)
    truth = pair_observables(true_leptons, detector.binding_energy_GeV)
    reco = pair_observables(smear_leptons(true_leptons, rng, detector.energy_stochastic,
                                          detector.energy_constant,
                                          detector.angle_resolution_deg),
                            detector.binding_energy_GeV)
    one_ring = one_ring_flag(reco["theta_ee_deg"], reco["E_soft"], reco["n_visible"],
                             detector.opening_angle_deg, detector.soft_threshold_GeV)
    columns = {name: reco[name] for name in OBSERVABLES}
    columns.update({f"true_{name}": truth[name] for name in OBSERVABLES})
    columns["one_ring"] = one_ring
    columns["passes"] = one_ring.copy()
    columns["w_eff"] = detector.efficiency_weight(events, truth["E_vis"])
    return columns
