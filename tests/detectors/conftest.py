"""Synthetic event chunks with known lepton kinematics for the detector tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import awkward as ak
import numpy as np
import pytest
from zpgen.processes.nuclei import NUCLEI

from zpgen import constants

M_C12 = NUCLEI["C12"].mass_GeV

#: Lepton description: (pdg, energy in GeV, polar angle to z in rad, azimuth in rad).
Lepton = tuple[int, float, float, float]


def particle(pdg: int, status: int, mother: int, E: float, p_vec: Sequence[float]) -> dict:
    return {"pdg": pdg, "status": status, "mother": mother, "E": E,
            "px": float(p_vec[0]), "py": float(p_vec[1]), "pz": float(p_vec[2]),
            "x": 0.0, "y": 0.0, "z": 0.0, "t": 0.0}


def lepton_momentum(E: float, polar: float, azimuth: float) -> np.ndarray:
    p = np.sqrt(E**2 - constants.M_E**2)
    return p * np.array([np.sin(polar) * np.cos(azimuth), np.sin(polar) * np.sin(azimuth),
                         np.cos(polar)])


def build_event(leptons: Sequence[Lepton], E_nu: float = 1.0) -> dict:
    """A typical upscattering event: beam nu_mu, 12C target, recoil, nu5, nu4, Z', leptons."""
    parts = [
        particle(14, 4, -1, E_nu, (0.0, 0.0, E_nu)),
        particle(1000060120, 4, -1, M_C12, (0.0, 0.0, 0.0)),
        particle(1000060120, 1, 1, M_C12 + 0.001, (0.01, 0.0, 0.02)),
        particle(5000015, 2, 0, 0.9, (0.0, 0.0, 0.89)),
        particle(5000014, 1, 3, 0.4, (0.0, 0.01, 0.39)),
        particle(5000023, 2, 3, 0.5, (0.0, 0.0, 0.49)),
    ]
    for pdg, E, polar, azimuth in leptons:
        parts.append(particle(pdg, 1, 5, E, lepton_momentum(E, polar, azimuth)))
    return {"w": 1.0, "w_xsec": 1e-40, "channel": 0, "E_nu": E_nu, "t": -1e-3,
            "particles": parts}


@pytest.fixture
def make_chunk() -> Callable[[Sequence[Sequence[Lepton]]], ak.Array]:
    """``make_chunk([[(11, E, polar, azimuth), (-11, ...)], ...])`` -> awkward chunk."""
    def make(events: Sequence[Sequence[Lepton]]) -> ak.Array:
        chunk = ak.Array([build_event(leptons) for leptons in events])
        particles = chunk["particles"]
        particles = ak.with_field(particles, ak.values_astype(particles["pdg"], np.int32), "pdg")
        particles = ak.with_field(particles, ak.values_astype(particles["status"], np.int32),
                                  "status")
        particles = ak.with_field(particles, ak.values_astype(particles["mother"], np.int32),
                                  "mother")
        return ak.with_field(chunk, particles, "particles")
    return make


@pytest.fixture
def pair_chunk() -> Callable[..., ak.Array]:
    """Vectorised chunk: per event a beam nu_mu (status 4), an e- and an e+ (status 1).

    ``pair_chunk(E_minus, polar_minus, azimuth_minus, E_plus, polar_plus, azimuth_plus)``
    with numpy arrays of equal length (GeV, rad).
    """
    def make(E_m, th_m, ph_m, E_p, th_p, ph_p) -> ak.Array:
        E_m, E_p = np.asarray(E_m, float), np.asarray(E_p, float)
        n = E_m.size
        p_m = np.sqrt(E_m**2 - constants.M_E**2)
        p_p = np.sqrt(E_p**2 - constants.M_E**2)
        E_beam = E_m + E_p + 0.1
        columns = {
            "pdg": np.stack([np.full(n, 14), np.full(n, 11), np.full(n, -11)], 1),
            "status": np.stack([np.full(n, 4), np.ones(n), np.ones(n)], 1),
            "mother": np.stack([np.full(n, -1), np.zeros(n), np.zeros(n)], 1),
            "E": np.stack([E_beam, E_m, E_p], 1),
            "px": np.stack([np.zeros(n), p_m * np.sin(th_m) * np.cos(ph_m),
                            p_p * np.sin(th_p) * np.cos(ph_p)], 1),
            "py": np.stack([np.zeros(n), p_m * np.sin(th_m) * np.sin(ph_m),
                            p_p * np.sin(th_p) * np.sin(ph_p)], 1),
            "pz": np.stack([E_beam, p_m * np.cos(th_m), p_p * np.cos(th_p)], 1),
        }
        for axis in ("x", "y", "z", "t"):
            columns[axis] = np.zeros((n, 3))
        counts = np.full(n, 3)
        fields = {}
        for name, values in columns.items():
            dtype = np.int32 if name in ("pdg", "status", "mother") else np.float64
            fields[name] = ak.unflatten(values.reshape(-1).astype(dtype), counts)
        particles = ak.zip(fields)
        return ak.zip({"w": np.ones(n), "w_xsec": np.ones(n), "channel": np.zeros(n, np.int64),
                       "E_nu": E_beam, "t": np.full(n, -1e-3), "particles": particles},
                      depth_limit=1)
    return make
