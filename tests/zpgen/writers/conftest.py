"""Synthetic, momentum-conserving event chunks in the generator's chunk format.

Each event: nu_mu (status 4) + target (status 20) -> nu5 (status 2) + recoil (status 1),
nu5 -> nu4 + Z' (status 2), Z' -> e- e+ (status 1), in the record's convention
(zpgen.event_record: nu5 and the recoil, the products of the primary vertex, have mother
-1).  Every fifth event omits the Z' line (nu5 -> nu4 e- e+ directly) so that the particle
lists are genuinely jagged.  Energies in
GeV, positions in cm, times in ns.
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np
import pytest

NU5, NU4, ZP = 9900014, 9900012, 32
M5, M4, MZ, ME = 0.110, 0.060, 0.030, 0.000511
TARGETS = {0: (1000060120, 11.17486), 1: (2212, 0.938272)}
CHANNELS = ["C12_coherent", "H1_proton"]
POT = 1.875e21
FLUX_TOTAL = 5.19e-10
N_ATOMS = 1.158e32
EXPECTED = 123.456789
FATX_CM2 = 3.21e-40

CARD = """\
[run]
seed = 17
n_events = 1000
output = "events.root"

[model]
m4 = 0.060
m5 = 0.110
mzprime = 0.030
"""


def _boost(p: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Boost 4-vectors p (n, 4) [E, px, py, pz] from the parent rest frame to the lab."""
    m = np.sqrt(np.maximum(parent[:, 0] ** 2 - np.sum(parent[:, 1:] ** 2, axis=1), 0.0))
    b = parent[:, 1:] / parent[:, :1]
    gamma = parent[:, 0] / m
    bp = np.sum(b * p[:, 1:], axis=1)
    b2 = np.sum(b * b, axis=1)
    coef = np.where(b2 > 0, (gamma - 1) * bp / np.where(b2 > 0, b2, 1.0), 0.0)
    out = np.empty_like(p)
    out[:, 0] = gamma * (p[:, 0] + bp)
    out[:, 1:] = p[:, 1:] + (coef + gamma * p[:, 0])[:, None] * b
    return out


def _two_body(parent: np.ndarray, m1: float | np.ndarray, m2: float | np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = len(parent)
    M = np.sqrt(parent[:, 0] ** 2 - np.sum(parent[:, 1:] ** 2, axis=1))
    m1 = np.broadcast_to(m1, n)
    m2 = np.broadcast_to(m2, n)
    p = np.sqrt((M**2 - (m1 + m2) ** 2) * (M**2 - (m1 - m2) ** 2)) / (2 * M)
    cos = rng.uniform(-1, 1, n)
    phi = rng.uniform(0, 2 * np.pi, n)
    sin = np.sqrt(1 - cos**2)
    d = np.stack([sin * np.cos(phi), sin * np.sin(phi), cos], axis=1)
    a = np.column_stack([np.sqrt(p**2 + m1**2), p[:, None] * d])
    b = np.column_stack([np.sqrt(p**2 + m2**2), -p[:, None] * d])
    return _boost(a, parent), _boost(b, parent)


def make_chunk(n: int, seed: int = 1, offset: int = 0, n_total: int | None = None) -> Any:
    """n synthetic events; w sums to EXPECTED * n / n_total, w_xsec to FATX * n / n_total."""
    rng = np.random.default_rng(seed)
    n_total = n_total or n
    channel = rng.integers(0, 2, n).astype(np.int32)
    tpdg = np.where(channel == 0, TARGETS[0][0], TARGETS[1][0]).astype(np.int32)
    tmass = np.where(channel == 0, TARGETS[0][1], TARGETS[1][1])
    E_nu = rng.uniform(0.3, 2.5, n)
    nu = np.column_stack([E_nu, np.zeros(n), np.zeros(n), E_nu])
    tgt = np.column_stack([tmass, np.zeros(n), np.zeros(n), np.zeros(n)])
    n5, rec = _two_body(nu + tgt, M5, tmass, rng)
    n4, zp = _two_body(n5, M4, MZ, rng)
    em, ep = _two_body(zp, ME, ME, rng)
    vtx = np.column_stack([rng.uniform(-500, 500, n), rng.uniform(-500, 500, n),
                           rng.uniform(-500, 500, n)])
    t0 = rng.uniform(0, 1600, n)
    flight = rng.exponential(2.0, n)  # cm
    beta5 = np.linalg.norm(n5[:, 1:], axis=1) / n5[:, 0]
    dpos = vtx + flight[:, None] * n5[:, 1:] / np.linalg.norm(n5[:, 1:], axis=1)[:, None]
    dt = t0 + flight / (beta5 * 29.9792458)

    with_z = np.arange(offset, offset + n) % 5 != 0
    pdg, status, mother, mom, pos = [], [], [], [], []
    counts = np.empty(n, dtype=np.int64)
    for i in range(n):
        rows = [(14, 4, -1, nu[i], vtx[i], t0[i]), (tpdg[i], 20, -1, tgt[i], vtx[i], t0[i]),
                (NU5, 2, -1, n5[i], vtx[i], t0[i]), (tpdg[i], 1, -1, rec[i], vtx[i], t0[i]),
                (NU4, 1, 2, n4[i], dpos[i], dt[i])]
        if with_z[i]:
            rows += [(ZP, 2, 2, zp[i], dpos[i], dt[i]), (11, 1, 5, em[i], dpos[i], dt[i]),
                     (-11, 1, 5, ep[i], dpos[i], dt[i])]
        else:
            rows += [(11, 1, 2, em[i], dpos[i], dt[i]), (-11, 1, 2, ep[i], dpos[i], dt[i])]
        counts[i] = len(rows)
        for r in rows:
            pdg.append(r[0])
            status.append(r[1])
            mother.append(r[2])
            mom.append(r[3])
            pos.append((*r[4], r[5]))
    mom_a = np.array(mom)
    pos_a = np.array(pos)
    flat = {
        "pdg": np.array(pdg, dtype=np.int32), "status": np.array(status, dtype=np.int32),
        "mother": np.array(mother, dtype=np.int32),
        "E": mom_a[:, 0], "px": mom_a[:, 1], "py": mom_a[:, 2], "pz": mom_a[:, 3],
        "x": pos_a[:, 0], "y": pos_a[:, 1], "z": pos_a[:, 2], "t": pos_a[:, 3],
    }
    particles = ak.unflatten(ak.zip(flat), counts)
    raw = rng.uniform(0.5, 1.5, n)
    w = raw / raw.sum() * EXPECTED * n / n_total
    w_xsec = raw / raw.sum() * FATX_CM2 * n / n_total
    pee = em + ep
    E_vis = pee[:, 0]
    cos_theta = pee[:, 3] / np.linalg.norm(pee[:, 1:], axis=1)
    cos_ee = np.sum(em[:, 1:] * ep[:, 1:], axis=1) / (
        np.linalg.norm(em[:, 1:], axis=1) * np.linalg.norm(ep[:, 1:], axis=1))
    t = (tgt[:, 0] - rec[:, 0]) ** 2 - np.sum((tgt[:, 1:] - rec[:, 1:]) ** 2, axis=1)
    fields = {
        "w": w, "w_xsec": w_xsec, "channel": channel, "E_nu": E_nu, "t": t,
        "vtx_x": vtx[:, 0], "vtx_y": vtx[:, 1], "vtx_z": vtx[:, 2],
        "E_vis": E_vis, "cos_theta": cos_theta,
        "theta_ee_deg": np.degrees(np.arccos(np.clip(cos_ee, -1, 1))),
        "m_ee": np.sqrt(np.maximum(pee[:, 0] ** 2 - np.sum(pee[:, 1:] ** 2, axis=1), 0)),
        "asymmetry": np.abs(em[:, 0] - ep[:, 0]) / E_vis,
        "E_QE": E_vis * rng.uniform(0.8, 1.2, n),
        "one_ring": cos_ee > 0.99,
        "w_eff": rng.uniform(0.2, 0.4, n),
        "passes": cos_ee > 0.9,
        "particles": particles,
    }
    return ak.zip(fields, depth_limit=1)


def make_run_info(**extra: Any) -> dict[str, Any]:
    """Run document of the synthetic chunks (65 events), as the engine describes a run."""
    from zpgen.detectors._common import miniboone_histograms

    info: dict[str, Any] = {
        "generator": "zpgen", "version": "0.1.0", "card": CARD,
        "card_dict": {"run": {"seed": 17, "n_events": 1000, "output": "events.root"},
                      "model": {"m4": 0.06, "m5": 0.11, "mzprime": 0.03}},
        "seed": 17, "n_events": 65, "channels": list(CHANNELS),
        "channel_info": {
            "C12_coherent": {"process_id": 150, "target_pdg": 1000060120,
                             "nucleus_pdg": 1000060120, "nucleus_mass_GeV": 11.17486,
                             "targets_per_nucleus": 1, "bound": False, "remnant_pdg": 0,
                             "description": "coherent on 12C", "citations": ["10.1/x"]},
            "H1_proton": {"process_id": 252, "target_pdg": 2212, "nucleus_pdg": 1000010010,
                          "nucleus_mass_GeV": 0.938272, "targets_per_nucleus": 1,
                          "bound": False, "remnant_pdg": 0, "description": "on hydrogen",
                          "citations": []}},
        "particles": {str(NU5): {"pdg": NU5, "name": "nu5", "description": "heavier sterile",
                                 "mass_GeV": M5, "width_GeV": 1e-7, "spin": 0.5,
                                 "charge": 0.0, "standard": False},
                      str(NU4): {"pdg": NU4, "name": "nu4", "description": "lighter sterile",
                                 "mass_GeV": M4, "width_GeV": 1e-20, "spin": 0.5,
                                 "charge": 0.0, "standard": False},
                      str(ZP): {"pdg": ZP, "name": "Zprime", "description": "dark Z'",
                                "mass_GeV": MZ, "width_GeV": 1e-9, "spin": 1.0,
                                "charge": 0.0, "standard": True}},
        "units": {"E_nu": "GeV", "t": "GeV^2", "w_xsec": "cm^2", "vtx_x": "cm"},
        "pot": POT, "flux_total": FLUX_TOTAL, "n_atoms": N_ATOMS, "beam_pdg": 14,
        "beam": {"pdg": 14, "type": "Histogram", "edges_GeV": [0.0, 1.0, 3.0],
                 "content": [2e-10, 1.5e-10], "content_is_per_width": True,
                 "flux_unit": "cm^-2 POT^-1 GeV^-1"},
        "histograms": [h.as_dict() for h in miniboone_histograms()],
        "command": "zpgen run card.toml",
    }
    info.update(extra)
    return info


def make_totals(chunks: list[Any]) -> dict[str, Any]:
    cat = ak.concatenate(chunks)
    return {"n_events": len(cat), "sum_w": float(np.sum(cat["w"])),
            "sum_w_xsec": float(np.sum(cat["w_xsec"])),
            "sigma_cm2": {"C12_coherent": 2.5e-40, "H1_proton": 0.71e-40},
            "expected_events": float(np.sum(cat["w"]))}


@pytest.fixture
def chunks() -> list[Any]:
    """Two chunks of 40 and 25 events (the second's w continue the first's sum)."""
    return [make_chunk(40, seed=1, offset=0, n_total=65),
            make_chunk(25, seed=2, offset=40, n_total=65)]


@pytest.fixture
def run_info() -> dict[str, Any]:
    return make_run_info()


@pytest.fixture
def synth() -> Any:
    """The helper module's functions, for tests that need custom chunks."""
    class _S:
        pass

    s = _S()
    s.make_chunk = make_chunk  # type: ignore[attr-defined]
    s.make_run_info = make_run_info  # type: ignore[attr-defined]
    s.make_totals = make_totals  # type: ignore[attr-defined]
    s.CARD = CARD  # type: ignore[attr-defined]
    s.NU5 = NU5  # type: ignore[attr-defined]
    return s
