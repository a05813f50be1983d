"""``miniboone`` (the default detector): MiniBooNE's oil tank and a public-reanalysis response.

PHYSICS.md, "MiniBooNE observables and detector response" and "Event rate".

Targets and exposure
--------------------
CH2 mineral oil, 818 t in the 610.6 cm radius sphere (density 0.858 g/cm^3); targets are
counted in the fiducial sphere R < ``fiducial_radius_cm`` (500 cm: about 449 t):
``C12_coherent`` = n(CH2), ``C12_proton`` = ``C12_neutron`` = 6 n(CH2), ``H1_proton`` =
2 n(CH2), with the CH2 mass from atomic masses (``zpgen.detectors._common.m_ch2_gev``).
Exposure 18.75e20 POT (the 2020 neutrino-mode data set).

Response (``respond``)
----------------------
Every visible EM shower (status 1: e+, e- or a photon; ``zpgen.detectors._common``) is
smeared the same way (MiniBooNE's e/gamma reconstruction does not tell them apart):

- energy: ``E -> E (1 + sigma_E/E * N(0,1))``, ``sigma_E/E = energy_stochastic/sqrt(E/GeV)
  (+) energy_constant`` (12 % / sqrt(E) (+) 1 %), clipped below at the particle's mass
  (m_e for e+-, 0 for a photon);
- direction: turned by a polar angle drawn from a Rayleigh distribution of scale
  ``angle_resolution_deg`` (each of the two projected angles is Gaussian with that
  sigma) about a uniform azimuth.  Default 3 deg: the extended-track reconstruction of
  MiniBooNE (R. B. Patterson et al., Nucl. Instrum. Meth. A 608 (2009) 206,
  arXiv:0902.2222) measures electron directions to a few degrees; 3 deg is the value
  used in public reanalyses and a parameter here, not a MiniBooNE number.

Then the observables of ``zpgen.detectors._common`` are computed from the smeared
showers, and from the true showers with the prefix ``true_``.

Selection and efficiency
------------------------
- ``one_ring``: the pair looks like one electron ring: ``theta_ee_deg < opening_angle_deg``
  (13) or the softer lepton of the leading pair has reconstructed energy
  ``< soft_threshold_GeV`` (0.030); an event with a single visible shower (one lepton, or
  the photon of N -> nu gamma) is one ring, an event with none is not.  These are
  public-reanalysis proxies, not MiniBooNE's likelihood cuts.  ``passes = one_ring``.
- ``w_eff``: MiniBooNE's single e/gamma reconstruction efficiency (2012 data release,
  ``eg_effs.dat``), a smooth fit (``validation/fit_efficiency.py`` ->
  ``data/efficiency_fit.json``) evaluated at the *true* visible energy (the table is
  per generated energy).  The published efficiency includes the fiducial cut R < 500 cm,
  i.e. it is per event in the whole tank with acceptance (500/610.6)^3 = 0.549; since the
  targets here are already fiducial, ``w_eff = clip(eff(E_vis) / 0.549, 0, 1)`` times 1 if
  the vertex lies within those 500 cm (0 beyond; relevant only when
  ``fiducial_radius_cm > 500``).  ``apply_efficiency = false`` sets ``w_eff = 1``.

The expected selected number of events is ``sum(w * w_eff * passes)``; ``w`` alone
counts all produced events.

Card options (``[detector]`` table, ``name = "miniboone"``)
----------------------------------------------------------
===================== ========== ====================================================
key                   default    meaning
===================== ========== ====================================================
pot                   18.75e20   protons on target
tank_mass_t           818.0      CH2 mass of the whole sphere (t)
tank_radius_cm        610.6      radius of the CH2 sphere (cm)
fiducial_radius_cm    500.0      fiducial radius (cm), <= tank radius
energy_stochastic     0.12       stochastic term a of sigma_E/E = a/sqrt(E/GeV) (+) b
energy_constant       0.01       constant term b
angle_resolution_deg  3.0        Gaussian angular resolution per projection (deg)
opening_angle_deg     13.0       one-ring if theta_ee below this (deg)
soft_threshold_GeV    0.030      ... or if the softer lepton is below this (GeV)
binding_energy_GeV    0.034      E_B of the E_QE formula (GeV)
apply_efficiency      true       false: w_eff = 1
===================== ========== ====================================================

Columns added (event level)
---------------------------
``E_vis`` [GeV], ``cos_theta`` [1], ``theta_ee_deg`` [deg], ``m_ee`` [GeV],
``asymmetry`` [1], ``E_QE`` [GeV] (reconstructed); the same with prefix ``true_``;
``one_ring`` (bool), ``passes`` (bool), ``w_eff`` [1].
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from typing import Any, ClassVar

import numba as nb
import numpy as np
import numpy.typing as npt

from zpgen import constants
from zpgen.options import OptionDoc, OptionReader, option_keys

from ._common import (
    PDG_PHOTON,
    CH2Sphere,
    Leptons,
    add_fields,
    as_flat,
    pair_observables,
    returned,
    visible_leptons,
)

__all__ = ["EfficiencyFit", "MiniBooNEDetector", "one_ring_flag", "smear_leptons"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

OBSERVABLES = ("E_vis", "cos_theta", "theta_ee_deg", "m_ee", "asymmetry", "E_QE")
EFFICIENCY_JSON = "efficiency_fit.json"


def _logistic(x: FloatArray) -> FloatArray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class EfficiencyFit:
    """The fitted MiniBooNE e/gamma efficiency (``data/efficiency_fit.json``).

    ``eff(E) = A s((E - E_on)/w_on) exp(-E/lambda) s((E_off - E)/w_off)``, ``s`` the
    logistic function, E in GeV, clipped to [0, 1].  It includes the data's fiducial
    acceptance ``data_fiducial_fraction`` for vertices within ``data_fiducial_radius_cm``.
    """

    def __init__(self, parameters: Mapping[str, float], data_fiducial_fraction: float,
                 data_fiducial_radius_cm: float) -> None:
        self.parameters = dict(parameters)
        self.data_fiducial_fraction = float(data_fiducial_fraction)
        self.data_fiducial_radius_cm = float(data_fiducial_radius_cm)

    @classmethod
    def load(cls) -> EfficiencyFit:
        """Read the JSON shipped in ``zpgen.detectors/data``."""
        text = resources.files("zpgen.detectors").joinpath("data", EFFICIENCY_JSON).read_text(
            encoding="utf-8")
        fit = json.loads(text)
        return cls(fit["parameters"], fit["data_fiducial_fraction"],
                   fit["data_fiducial_radius_cm"])

    def __call__(self, E_GeV: npt.ArrayLike) -> FloatArray:
        """Efficiency per event in the whole tank (as published), clipped to [0, 1]."""
        par = self.parameters
        energy = np.asarray(E_GeV, dtype=np.float64)
        value = (par["amplitude"] * _logistic((energy - par["E_on_GeV"]) / par["w_on_GeV"])
                 * np.exp(-energy / par["lambda_GeV"])
                 * _logistic((par["E_off_GeV"] - energy) / par["w_off_GeV"]))
        return np.clip(value, 0.0, 1.0)

    def per_fiducial_event(self, E_GeV: npt.ArrayLike) -> FloatArray:
        """Efficiency for an event inside the data's fiducial sphere, clipped to [0, 1]."""
        return np.clip(self(E_GeV) / self.data_fiducial_fraction, 0.0, 1.0)


@nb.njit(nb.void(nb.int64[::1], nb.float64[::1], nb.float64[::1], nb.float64[::1],
                 nb.float64[::1], nb.float64[::1], nb.float64[::1], nb.float64[::1],
                 nb.float64, nb.float64, nb.float64, nb.float64[:, ::1]),
         cache=True, error_model="numpy", nogil=True)
def _smear_kernel(pdg: npt.NDArray[np.int64], E_true: FloatArray, ux: FloatArray,
                  uy: FloatArray, uz: FloatArray, normal: FloatArray, polar: FloatArray,
                  azimuth: FloatArray, energy_stochastic: float, energy_constant: float,
                  m_e: float, out: FloatArray) -> None:
    """Rows E, p, ux, uy, uz of the smeared showers (:func:`smear_leptons`) from the
    drawn ``normal``, ``polar`` and ``azimuth``, in numpy's order of operations (the same
    numbers to the last bit as the array expressions it replaced)."""
    for i in range(E_true.shape[0]):
        mass = 0.0 if pdg[i] == PDG_PHOTON else m_e
        rel_sigma = math.hypot(energy_stochastic / np.sqrt(max(E_true[i], 1e-12)),
                               energy_constant)
        E_reco = max(E_true[i] * (1.0 + rel_sigma * normal[i]), mass)
        u0, u1, u2 = ux[i], uy[i], uz[i]
        # e1 = helper x u, helper the axis (z, else x) least aligned with u; e2 = u x e1
        h0, h1, h2 = (0.0, 0.0, 1.0) if abs(u2) < 0.9 else (1.0, 0.0, 0.0)
        a0 = h1 * u2 - h2 * u1
        a1 = h2 * u0 - h0 * u2
        a2 = h0 * u1 - h1 * u0
        norm = np.sqrt(a0 * a0 + a1 * a1 + a2 * a2)
        a0, a1, a2 = a0 / norm, a1 / norm, a2 / norm
        b0 = u1 * a2 - u2 * a1
        b1 = u2 * a0 - u0 * a2
        b2 = u0 * a1 - u1 * a0
        cp, sp = math.cos(polar[i]), math.sin(polar[i])
        ca, sa = math.cos(azimuth[i]), math.sin(azimuth[i])
        t0 = cp * u0 + sp * (ca * a0 + sa * b0)
        t1 = cp * u1 + sp * (ca * a1 + sa * b1)
        t2 = cp * u2 + sp * (ca * a2 + sa * b2)
        norm = np.sqrt(t0 * t0 + t1 * t1 + t2 * t2)
        out[0, i] = E_reco
        out[1, i] = np.sqrt(max(E_reco**2 - mass**2, 0.0))
        out[2, i] = t0 / norm
        out[3, i] = t1 / norm
        out[4, i] = t2 / norm


def smear_leptons(leptons: Leptons, rng: np.random.Generator, energy_stochastic: float,
                  energy_constant: float, angle_resolution_deg: float) -> Leptons:
    """Smear shower energies and directions (module docstring, "Response").

    Draws, in order: one standard normal per shower (energy), one Rayleigh polar angle and
    one uniform azimuth per shower (direction).  Energies are clipped below at the
    particle's mass (m_e; 0 for a photon) and the momentum is ``sqrt(E^2 - m^2)``.  The
    arithmetic is one Numba kernel (:func:`_smear_kernel`).
    """
    n = leptons.E.size
    normal = rng.standard_normal(n)
    polar = rng.rayleigh(scale=math.radians(angle_resolution_deg), size=n)
    azimuth = 2.0 * math.pi * rng.random(n)
    out = np.empty((5, n))
    _smear_kernel(np.ascontiguousarray(leptons.pdg, dtype=np.int64),
                  np.ascontiguousarray(leptons.E, dtype=np.float64),
                  np.ascontiguousarray(leptons.ux, dtype=np.float64),
                  np.ascontiguousarray(leptons.uy, dtype=np.float64),
                  np.ascontiguousarray(leptons.uz, dtype=np.float64),
                  normal, polar, azimuth, float(energy_stochastic), float(energy_constant),
                  constants.M_E, out)
    return replace(leptons, E=out[0], p=out[1], ux=out[2], uy=out[3], uz=out[4])


def one_ring_flag(theta_ee_deg: FloatArray, E_soft: FloatArray, n_visible: npt.ArrayLike,
                  opening_angle_deg: float, soft_threshold_GeV: float) -> BoolArray:
    """One electron-like ring: collimated or very asymmetric pair, or a single shower (one
    lepton or one photon)."""
    has_pair = ~np.isnan(theta_ee_deg)
    with np.errstate(invalid="ignore"):
        merged = (theta_ee_deg < opening_angle_deg) | (E_soft < soft_threshold_GeV)
    return np.where(has_pair, merged, np.asarray(n_visible) == 1)


class MiniBooNEDetector(CH2Sphere):
    """The MiniBooNE detector (see the module docstring for targets, response, options)."""

    name: ClassVar[str] = "miniboone"
    RESPONSE_DEFAULTS: ClassVar[dict[str, float]] = {
        "energy_stochastic": 0.12,
        "energy_constant": 0.01,
        "angle_resolution_deg": 3.0,
        "opening_angle_deg": 13.0,
        "soft_threshold_GeV": 0.030,
        "binding_energy_GeV": 0.034,
    }

    OPTIONS: ClassVar[tuple[OptionDoc, ...]] = (
        *CH2Sphere.GEOMETRY_OPTIONS,
        OptionDoc("energy_stochastic", "0.12", "stochastic term a of sigma_E/E = "
                  "a/sqrt(E/GeV) (+) b", allowed=">= 0"),
        OptionDoc("energy_constant", "0.01", "constant term b of sigma_E/E", allowed=">= 0"),
        OptionDoc("angle_resolution_deg", "3.0", "Gaussian angular resolution per "
                  "projection", unit="deg", allowed="in [0, 90]"),
        OptionDoc("opening_angle_deg", "13.0", "one ring if the e+ e- opening angle is "
                  "below this", unit="deg", allowed="in [0, 180]"),
        OptionDoc("soft_threshold_GeV", "0.03", "... or if the softer lepton is below this",
                  unit="GeV", allowed=">= 0"),
        OptionDoc("binding_energy_GeV", "0.034", "E_B in the E_QE formula", unit="GeV",
                  allowed="in [0, 0.5]"),
        OptionDoc("apply_efficiency", "true", "weight events by MiniBooNE's e/gamma "
                  "efficiency (false: w_eff = 1)", allowed="true | false"),
    )

    def __init__(self, pot: float = 18.75e20, tank_mass_t: float = 818.0,
                 tank_radius_cm: float = 610.6, fiducial_radius_cm: float = 500.0,
                 energy_stochastic: float = 0.12, energy_constant: float = 0.01,
                 angle_resolution_deg: float = 3.0, opening_angle_deg: float = 13.0,
                 soft_threshold_GeV: float = 0.030, binding_energy_GeV: float = 0.034,
                 apply_efficiency: bool = True) -> None:
        super().__init__(pot, tank_mass_t, tank_radius_cm, fiducial_radius_cm)
        self.energy_stochastic = float(energy_stochastic)
        self.energy_constant = float(energy_constant)
        self.angle_resolution_deg = float(angle_resolution_deg)
        self.opening_angle_deg = float(opening_angle_deg)
        self.soft_threshold_GeV = float(soft_threshold_GeV)
        self.binding_energy_GeV = float(binding_energy_GeV)
        self.apply_efficiency = bool(apply_efficiency)
        self.efficiency = EfficiencyFit.load()

    def data_files(self) -> dict[str, str]:
        """The efficiency fit read at construction (fingerprinted by zpgen.fingerprints)."""
        return {"efficiency_fit": str(resources.files("zpgen.detectors").joinpath(
            "data", EFFICIENCY_JSON))}

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> MiniBooNEDetector:
        """Build from the card's ``[detector]`` table (``CardError`` naming the field)."""
        reader = OptionReader("detector", options, option_keys(cls.OPTIONS))
        geometry = cls._geometry_options(reader)
        d = cls.RESPONSE_DEFAULTS
        response = {
            "energy_stochastic": reader.number("energy_stochastic", d["energy_stochastic"],
                                               lo=0.0),
            "energy_constant": reader.number("energy_constant", d["energy_constant"], lo=0.0),
            "angle_resolution_deg": reader.number("angle_resolution_deg",
                                                  d["angle_resolution_deg"], unit="deg",
                                                  lo=0.0, hi=90.0),
            "opening_angle_deg": reader.number("opening_angle_deg", d["opening_angle_deg"],
                                               unit="deg", lo=0.0, hi=180.0),
            "soft_threshold_GeV": reader.number("soft_threshold_GeV", d["soft_threshold_GeV"],
                                                unit="GeV", lo=0.0),
            "binding_energy_GeV": reader.number("binding_energy_GeV", d["binding_energy_GeV"],
                                                unit="GeV", lo=0.0, hi=0.5),
        }
        return cls(**geometry, **response,
                   apply_efficiency=reader.flag("apply_efficiency", True))

    def respond(self, events: Any, rng: np.random.Generator) -> Any:
        """Smear, reconstruct, classify and weight (module docstring); returns new events."""
        flat, given = as_flat(events)
        true_leptons = visible_leptons(flat, self.tank_radius_cm)
        truth = pair_observables(true_leptons, self.binding_energy_GeV)
        reco_leptons = smear_leptons(true_leptons, rng, self.energy_stochastic,
                                     self.energy_constant, self.angle_resolution_deg)
        reco = pair_observables(reco_leptons, self.binding_energy_GeV)
        one_ring = one_ring_flag(reco["theta_ee_deg"], reco["E_soft"], reco["n_visible"],
                                 self.opening_angle_deg, self.soft_threshold_GeV)
        columns: dict[str, npt.NDArray[Any]] = {name: reco[name] for name in OBSERVABLES}
        columns.update({f"true_{name}": truth[name] for name in OBSERVABLES})
        columns["one_ring"] = one_ring
        columns["passes"] = one_ring.copy()
        columns["w_eff"] = self.efficiency_weight(flat, truth["E_vis"])
        return returned(add_fields(flat, columns), given)

    def efficiency_weight(self, events: Any, E_vis_true: FloatArray) -> FloatArray:
        """``w_eff`` per event (module docstring, "Selection and efficiency")."""
        if not self.apply_efficiency:
            return np.ones(len(E_vis_true))
        weight = self.efficiency.per_fiducial_event(E_vis_true)
        if all(f"vtx_{axis}" in events.fields for axis in "xyz"):
            radius = np.sqrt(sum(np.asarray(events[f"vtx_{axis}"], dtype=np.float64) ** 2
                                 for axis in "xyz"))
            weight = np.where(radius <= self.efficiency.data_fiducial_radius_cm, weight, 0.0)
        return weight
