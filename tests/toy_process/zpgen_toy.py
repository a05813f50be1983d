"""A toy process plugin: nu T -> X T with a constant dsigma/dt, then X -> nu gamma.

It exists to show that zpgen's engine (card, generation, detectors, writers) knows no Z'
physics: everything process-specific here comes through the plugin contracts of
:mod:`zpgen.registry` and :mod:`zpgen.card`, and nothing from ``zpgen.processes`` is
imported.  The tests register it under the ``zpgen.processes`` entry-point group as
``toy`` (a ``*.dist-info`` directory on ``sys.path``, :func:`write_dist_info`), as a
third-party package would be.

Physics
-------
A neutrino of energy ``E`` scatters on a target of mass ``M`` at rest into a new neutral
fermion ``X`` of mass ``m`` (PDG :data:`PDG_X`) and the recoiling target, with

``dsigma/dt = g^2 / GeV^4`` (constant on the kinematic range of t: isotropic in the CM)

so that ``sigma(E) = g^2 (t_max - t_min) = g^2 * 4 p_i p_f`` with the CM momenta
``p_i = M E / sqrt(s)``, ``p_f = sqrt(lambda(s, m^2, M^2)) / (2 sqrt(s))``,
``s = M^2 + 2 M E``; threshold ``E_th = m + m^2 / (2 M)`` (:func:`sigma_cm2`).  X decays
to ``nu gamma`` (branching ratio 1) isotropically in its rest frame after an exponential
flight of mean ``beta gamma c tau``.  The same dsigma/dt holds per target for every
channel: coherently on 12C, on each of the 6 protons of 12C (as if free and at rest), on
the proton of hydrogen.

Card
----
``[model]``: ``mass`` (GeV, in (0, 2]), ``coupling`` (g, in (0, 1]), ``ctau_cm`` (cm,
> 0).  No ``[physics]`` table.

Hypercube and events
--------------------
``x0``: the flux's inverse CDF above the threshold; ``x1``: t uniform on its range
(VEGAS adapts both).  Auxiliary uniforms: the azimuth of X, the decay angles
(cos theta*, phi*) and the flight.  Record (:mod:`zpgen.event_record`):

==== ============= =============== ====== ======
slot particle      pdg             status mother
==== ============= =============== ====== ======
0    beam nu       flux.pdg        4      -1
1    target        by channel      20     -1
2    X             :data:`PDG_X`   2      -1
3    recoil        as the target   1      -1
4    nu            flux.pdg        1      2
5    gamma         22              1      2
==== ============= =============== ====== ======
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from zpgen import constants
from zpgen.card import REQUIRED, Card, CardSchema, SectionSpec, spec
from zpgen.event_record import (
    NO_MOTHER,
    STATUS_BEAM,
    STATUS_DECAYED,
    STATUS_FINAL,
    STATUS_TARGET,
    EventBlock,
)
from zpgen.registry import ChannelInfo, ParticleInfo

__all__ = ["PDG_X", "ToyChannel", "ToyModel", "ToyProcess", "sigma_cm2", "write_dist_info"]

FloatArray = npt.NDArray[np.float64]

#: Generator-specific PDG number of the toy's new neutral fermion X (not a PDG code).
PDG_X = 9000017
PDG_GAMMA = 22
#: Largest X mass of the toy (GeV).
MAX_MASS_GEV = 2.0
#: speed of light in cm/ns.
C_CM_NS = constants.C_LIGHT_CM_S * 1e-9

#: 12C nuclear mass (GeV): the atom (12 u) minus 6 electrons (their binding neglected).
M_C12 = constants.pdg_mass_gev(1000060120) - 6.0 * constants.M_E
PDG_C12 = 1000060120
PDG_H1 = 1000010010
PDG_B11 = 1000050110


@dataclass(frozen=True)
class ToyModel:
    """[model] of the toy process."""

    mass: float = spec(REQUIRED, "mass of the new neutral fermion X", unit="GeV", lo=0.0,
                       lo_open=True, hi=MAX_MASS_GEV)
    coupling: float = spec(REQUIRED, "coupling g: dsigma/dt = g^2 / GeV^4, constant in t",
                           lo=0.0, lo_open=True, hi=1.0)
    ctau_cm: float = spec(10.0, "proper decay length c tau of X -> nu gamma", unit="cm",
                          lo=0.0, lo_open=True, hi=1e12)


CARD_SCHEMA = CardSchema(sections={"model": SectionSpec(ToyModel, required=True,
                                                        missing="mass and coupling")})


@dataclass(frozen=True)
class _Target:
    """A channel's target and what the writers need to know about it."""

    info: ChannelInfo
    mass: float


def _targets() -> dict[str, _Target]:
    cite: tuple[str, ...] = ()  # a toy: no DOI to cite
    text = "nu T -> X T, dsigma/dt = g^2/GeV^4 (toy of the zpgen tests), X -> nu gamma"
    return {
        "C12_toy": _Target(ChannelInfo(
            "C12_toy", nucleus="C12", target_pdg=PDG_C12, nucleus_pdg=PDG_C12,
            nucleus_mass_GeV=M_C12, targets_per_nucleus=1, bound=False, remnant_pdg=0,
            process_id=750, description="coherent on 12C: " + text, citations=cite), M_C12),
        "C12_proton_toy": _Target(ChannelInfo(
            "C12_proton_toy", nucleus="C12", target_pdg=2212, nucleus_pdg=PDG_C12,
            nucleus_mass_GeV=M_C12, targets_per_nucleus=6, bound=True, remnant_pdg=PDG_B11,
            process_id=751, description="on a proton of 12C (free, at rest): " + text,
            citations=cite), constants.M_P),
        "H1_toy": _Target(ChannelInfo(
            "H1_toy", nucleus="H1", target_pdg=2212, nucleus_pdg=PDG_H1,
            nucleus_mass_GeV=constants.M_P, targets_per_nucleus=1, bound=False,
            remnant_pdg=0, process_id=752, description="on the proton of hydrogen: " + text,
            citations=cite), constants.M_P),
    }


TARGETS = _targets()
CHANNELS_OF = {"C12": ("C12_toy", "C12_proton_toy"), "H1": ("H1_toy",)}


def threshold(m: float, M: float) -> float:
    """Lowest neutrino energy (GeV) that makes X (mass m) on a target of mass M at rest."""
    return m + m * m / (2.0 * M)


def t_range(E: npt.ArrayLike, m: float, M: float) -> tuple[FloatArray, FloatArray]:
    """``(t_min, t_max)`` (GeV^2, both <= 0 for m > 0) of nu T -> X T at energy E.

    Zero width below the threshold.
    """
    E = np.asarray(E, dtype=np.float64)
    s = M * M + 2.0 * M * E
    rs = np.sqrt(s)
    p_i = M * E / rs
    lam = (s - (m + M) ** 2) * (s - (m - M) ** 2)
    p_f = np.sqrt(np.clip(lam, 0.0, None)) / (2.0 * rs)
    e_x = (s + m * m - M * M) / (2.0 * rs)
    t_hi = m * m - 2.0 * p_i * (e_x - p_f)
    t_lo = m * m - 2.0 * p_i * (e_x + p_f)
    return t_lo, np.where(lam > 0.0, t_hi, t_lo)


def sigma_cm2(E: npt.ArrayLike, m: float, M: float, g: float) -> FloatArray:
    """The closed form ``sigma(E) = g^2 (t_max - t_min)`` in cm^2 (module docstring)."""
    E = np.asarray(E, dtype=np.float64)
    s = M * M + 2.0 * M * E
    lam = np.clip((s - (m + M) ** 2) * (s - (m - M) ** 2), 0.0, None)
    delta_t = 4.0 * (M * E / np.sqrt(s)) * np.sqrt(lam) / (2.0 * np.sqrt(s))
    return g * g * delta_t * constants.GEV2_TO_CM2


def _boost(p: FloatArray, parent: FloatArray) -> FloatArray:
    """Four-vectors ``p`` (n, 4) from the rest frame of ``parent`` (n, 4) to the lab."""
    mass = np.sqrt(np.maximum(parent[:, 0] ** 2 - np.sum(parent[:, 1:] ** 2, axis=1), 0.0))
    beta = parent[:, 1:] / parent[:, :1]
    gamma = parent[:, 0] / mass
    bp = np.sum(beta * p[:, 1:], axis=1)
    b2 = np.sum(beta * beta, axis=1)
    coef = np.where(b2 > 0.0, (gamma - 1.0) * bp / np.where(b2 > 0.0, b2, 1.0), 0.0)
    out = np.empty_like(p)
    out[:, 0] = gamma * (p[:, 0] + bp)
    out[:, 1:] = p[:, 1:] + (coef + gamma * p[:, 0])[:, None] * beta
    return out


class ToyChannel:
    """One channel of the toy bound to a flux (the :class:`zpgen.registry.Channel` contract).

    Attributes
    ----------
    name, dim, n_aux, e_min, flux_above : as in the protocol
    n_particles : particles per event (6)
    truth_fields : event-level truth fields (``E_nu``, ``t``)
    """

    dim = 2
    n_aux = 4
    n_particles = 6
    truth_fields = ("E_nu", "t")

    def __init__(self, name: str, model: ToyModel, flux: Any) -> None:
        self.name = name
        self.model = model
        self.flux = flux
        target = TARGETS[name]
        self.M = target.mass
        self.e_min = float(threshold(model.mass, self.M))
        self.flux_above = float(flux.integral(self.e_min))
        fin = STATUS_FINAL
        self.pdg = np.array([int(flux.pdg), target.info.target_pdg, PDG_X,
                             target.info.target_pdg, int(flux.pdg), PDG_GAMMA], dtype=np.int32)
        self.status = np.array([STATUS_BEAM, STATUS_TARGET, STATUS_DECAYED, fin, fin, fin],
                               dtype=np.int32)
        self.mother = np.array([NO_MOTHER, NO_MOTHER, NO_MOTHER, NO_MOTHER, 2, 2],
                               dtype=np.int32)

    def _point(self, x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``(E_nu, t, f)`` at hypercube points ``x`` (n, 2)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if self.flux_above <= 0.0:
            zero = np.zeros(x.shape[0])
            return np.full(x.shape[0], self.e_min), zero, zero
        E, jac = self.flux.inverse_cdf(x[:, 0], self.e_min)
        E = np.asarray(E, dtype=np.float64)
        edges = np.asarray(self.flux.edges, dtype=np.float64)
        density = np.asarray(self.flux.density, dtype=np.float64)
        idx = np.clip(np.searchsorted(edges, E, side="right") - 1, 0, density.size - 1)
        phi = density[idx] * np.asarray(jac, dtype=np.float64)
        t_lo, t_hi = t_range(E, self.model.mass, self.M)
        t = t_lo + x[:, 1] * (t_hi - t_lo)
        f = phi * sigma_cm2(E, self.model.mass, self.M, self.model.coupling)
        return E, t, f

    def __call__(self, x: FloatArray) -> FloatArray:
        """Integrand: ``Phi(E) dE/dx0 * sigma(E)`` (x1 maps t linearly onto its range, where
        dsigma/dt is constant), in cm^2 nu/cm^2/POT per target."""
        return self._point(x)[2]

    def events(self, x: FloatArray, aux: FloatArray) -> EventBlock:
        """The events at ``x`` with auxiliary uniforms ``aux`` (module docstring's record)."""
        E, t, f = self._point(x)
        aux = np.asarray(aux, dtype=np.float64)
        n = E.size
        m, M = self.model.mass, self.M
        mom = np.zeros((n, self.n_particles, 4))
        vtx = np.zeros((n, self.n_particles, 4))
        mom[:, 0] = np.column_stack([E, np.zeros(n), np.zeros(n), E])
        mom[:, 1, 0] = M
        # X from t: E_X = E + t/2M, cos theta_X from t = m^2 - 2 E (E_X - p_X cos theta_X)
        e_x = E + t / (2.0 * M)
        p_x = np.sqrt(np.maximum(e_x * e_x - m * m, 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = np.clip((e_x - (m * m - t) / (2.0 * E)) / p_x, -1.0, 1.0)
        sin = np.sqrt(1.0 - cos * cos)
        phi = 2.0 * math.pi * aux[:, 0]
        mom[:, 2] = np.column_stack([e_x, p_x * sin * np.cos(phi), p_x * sin * np.sin(phi),
                                     p_x * cos])
        mom[:, 3] = mom[:, 0] + mom[:, 1] - mom[:, 2]
        # X -> nu gamma, isotropic in the X rest frame
        cos_d = 2.0 * aux[:, 1] - 1.0
        sin_d = np.sqrt(1.0 - cos_d * cos_d)
        phi_d = 2.0 * math.pi * aux[:, 2]
        half = 0.5 * m
        rest = np.column_stack([np.full(n, half), half * sin_d * np.cos(phi_d),
                                half * sin_d * np.sin(phi_d), half * cos_d])
        mom[:, 4] = _boost(rest, mom[:, 2])
        mom[:, 5] = mom[:, 2] - mom[:, 4]
        # decay vertex: exponential flight of mean beta gamma c tau along X
        flight = -np.log1p(-aux[:, 3]) * self.model.ctau_cm * p_x / m
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = np.where(p_x[:, None] > 0.0, mom[:, 2, 1:] / p_x[:, None], 0.0)
            time_ns = np.where(p_x > 0.0, flight * e_x / (p_x * C_CM_NS), 0.0)
        decay = np.column_stack([flight[:, None] * unit, time_ns])
        vtx[:, 4] = decay
        vtx[:, 5] = decay
        return EventBlock(f=f, fields={"E_nu": E, "t": t},
                          pdg=np.broadcast_to(self.pdg, (n, self.n_particles)),
                          status=self.status, mother=self.mother, momenta=mom, vertices=vtx)


class ToyProcess:
    """The ``toy`` process plugin (the :class:`zpgen.registry.Process` contract)."""

    name = "toy"

    def __init__(self, model: ToyModel) -> None:
        self.model = model

    @classmethod
    def from_card(cls, card: Card) -> ToyProcess:
        return cls(card.model)

    @classmethod
    def card_schema(cls) -> CardSchema:
        return CARD_SCHEMA

    def channels(self, material: Mapping[str, float]) -> tuple[str, ...]:
        names: list[str] = []
        for nucleus in material:
            if nucleus not in CHANNELS_OF:
                raise ValueError(f"detector material: the toy process has no channel on "
                                 f"{nucleus!r}; it knows {', '.join(CHANNELS_OF)}")
            names.extend(CHANNELS_OF[nucleus])
        return tuple(names)

    def channel(self, name: str, flux: Any) -> ToyChannel:
        return ToyChannel(name, self.model, flux)

    def channel_info(self, name: str) -> ChannelInfo:
        return TARGETS[name].info

    def width_gev(self) -> float:
        """Total width of X (GeV): hbar c / c tau."""
        return constants.HBARC_GEV_CM / self.model.ctau_cm

    def particles(self) -> dict[int, ParticleInfo]:
        return {PDG_X: ParticleInfo(PDG_X, "toyX", "toy neutral fermion, decays to nu gamma",
                                    self.model.mass, self.width_gev(), 0.5, 0.0,
                                    standard=False)}

    def info(self) -> Mapping[str, Any]:
        return {"process": self.name, "dsigma_dt_GeV-4": self.model.coupling ** 2,
                "ctau_cm": self.model.ctau_cm}


def write_dist_info(directory: str | Path) -> Path:
    """Register this module as the ``toy`` process: a ``zpgen_toy-0.0.dist-info`` directory
    in ``directory`` (put ``directory`` and this module's folder on ``sys.path`` or
    ``PYTHONPATH``; :mod:`importlib.metadata` finds its entry points there)."""
    dist = Path(directory) / "zpgen_toy-0.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: zpgen-toy\nVersion: 0.0\n",
                                   encoding="utf-8")
    (dist / "entry_points.txt").write_text("[zpgen.processes]\ntoy = zpgen_toy:ToyProcess\n",
                                           encoding="utf-8")
    return dist
