"""The detector response as it was written before the flat-column kernels (awkward
broadcasting), kept as the test oracle of zpgen.detectors: same random streams, same events.

The pieces that changed are here: vertex placement and the visible-lepton selection (now
flat-column kernels), and the numpy smearing and pair observables as they were before
their Numba kernels (2026-11-30); the one-ring flag is the package's own (unchanged).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import awkward as ak
import numpy as np
import numpy.typing as npt
from zpgen.detectors._common import Leptons, _leading, e_qe
from zpgen.detectors.miniboone import OBSERVABLES, one_ring_flag

from zpgen import constants

PDG_PHOTON = 22
FloatArray = npt.NDArray[np.float64]


def _sum_per_event(event: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(event, weights=values, minlength=n).astype(np.float64, copy=False)


def pair_observables(leptons: Leptons, binding_energy_GeV: float) -> dict[str, npt.NDArray[Any]]:
    """Event observables (module table) plus helpers ``n_visible`` and ``E_soft``.

    ``E_soft`` (GeV) is the energy of the softer lepton of the leading pair.
    """
    n = leptons.n_events
    E_vis = _sum_per_event(leptons.event, leptons.E, n)
    P = [_sum_per_event(leptons.event, leptons.p * u, n)
         for u in (leptons.ux, leptons.uy, leptons.uz)]
    P_mag = np.sqrt(P[0] ** 2 + P[1] ** 2 + P[2] ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos_theta = np.where(P_mag > 0.0, P[2] / P_mag, np.nan)
    n_visible = np.bincount(leptons.event, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        E_QE = e_qe(E_vis, cos_theta, binding_energy_GeV)

    minus, plus = _leading(leptons, 11), _leading(leptons, -11)
    has_pair = (minus >= 0) & (plus >= 0)
    i_m, i_p = np.where(has_pair, minus, 0), np.where(has_pair, plus, 0)
    nan = np.full(n, np.nan)
    if leptons.E.size:
        E_m, E_p = leptons.E[i_m], leptons.E[i_p]
        dot = (leptons.ux[i_m] * leptons.ux[i_p] + leptons.uy[i_m] * leptons.uy[i_p]
               + leptons.uz[i_m] * leptons.uz[i_p])
        theta_ee = np.degrees(np.arccos(np.clip(dot, -1.0, 1.0)))
        pair_p2 = sum((leptons.p[i_m] * u[i_m] + leptons.p[i_p] * u[i_p]) ** 2
                      for u in (leptons.ux, leptons.uy, leptons.uz))
        m_ee = np.sqrt(np.clip((E_m + E_p) ** 2 - pair_p2, 0.0, None))
        with np.errstate(invalid="ignore", divide="ignore"):
            asymmetry = np.abs(E_p - E_m) / (E_p + E_m)
        E_soft = np.minimum(E_m, E_p)
    else:
        theta_ee = m_ee = asymmetry = E_soft = nan
    return {
        "E_vis": E_vis,
        "cos_theta": cos_theta,
        "theta_ee_deg": np.where(has_pair, theta_ee, np.nan),
        "m_ee": np.where(has_pair, m_ee, np.nan),
        "asymmetry": np.where(has_pair, asymmetry, np.nan),
        "E_QE": np.where(n_visible > 0, E_QE, np.nan),
        "n_visible": n_visible,
        "E_soft": np.where(has_pair, E_soft, np.nan),
    }


def smear_leptons(leptons: Leptons, rng: np.random.Generator, energy_stochastic: float,
                  energy_constant: float, angle_resolution_deg: float) -> Leptons:
    """Smear shower energies and directions (module docstring, "Response").

    Draws, in order: one standard normal per shower (energy), one Rayleigh polar angle and
    one uniform azimuth per shower (direction).  Energies are clipped below at the
    particle's mass (m_e; 0 for a photon) and the momentum is ``sqrt(E^2 - m^2)``.
    """
    n = leptons.E.size
    E_true = leptons.E
    mass = np.where(leptons.pdg == PDG_PHOTON, 0.0, constants.M_E)
    rel_sigma = np.hypot(energy_stochastic / np.sqrt(np.clip(E_true, 1e-12, None)),
                         energy_constant)
    E_reco = np.maximum(E_true * (1.0 + rel_sigma * rng.standard_normal(n)), mass)
    polar = rng.rayleigh(scale=math.radians(angle_resolution_deg), size=n)
    azimuth = 2.0 * math.pi * rng.random(n)
    u = np.stack((leptons.ux, leptons.uy, leptons.uz), axis=1)
    # e1: perpendicular to u (built from the axis least aligned with u), e2 = u x e1.
    helper = np.where(np.abs(u[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    e1 = np.cross(helper, u)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(u, e1)
    turned = (np.cos(polar)[:, None] * u
              + np.sin(polar)[:, None] * (np.cos(azimuth)[:, None] * e1
                                          + np.sin(azimuth)[:, None] * e2))
    turned /= np.linalg.norm(turned, axis=1, keepdims=True)
    p_reco = np.sqrt(np.clip(E_reco**2 - mass**2, 0.0, None))
    return replace(leptons, E=E_reco, p=p_reco, ux=turned[:, 0], uy=turned[:, 1],
                   uz=turned[:, 2])



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
