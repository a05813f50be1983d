"""Shared pieces of the detector plugins: CH2 sphere geometry and material, EM-shower observables.

Observables (PHYSICS.md, "MiniBooNE observables and detector response")
-----------------------------------------------------------------------
Computed from the visible electromagnetic showers of an event: all particles with status 1
that are an electron, a positron (|pdg| = 11) or a photon (pdg = 22).  A Cherenkov detector
sees a photon as an electron-like shower (it converts within tens of cm of oil), so the
single photon of a dipole-portal decay (N -> nu gamma) is one visible shower, and the e+e-
pair of the dark-neutrino decays is one or two.  The dark-neutrino events have no final
photons, so their observables are those of the e+ e- alone.

============== ====== =====================================================================
column         unit   definition
============== ====== =====================================================================
E_vis          GeV    sum of the energies of all visible e+, e- and photons
cos_theta      1      z component of u = unit(sum of their momenta); z is the beam axis
theta_ee_deg   deg    opening angle between the leading (highest-energy) e+ and e-
m_ee           GeV    invariant mass of the leading e+ e- pair
asymmetry      1      |E+ - E-| / (E+ + E-) of the leading pair (= |E+ - E-| / E_vis for
                      an event with one pair)
E_QE           GeV    CCQE neutrino energy of a single e-like ring of energy E_vis along u
                      (PHYSICS.md formula, M' = M_n - E_B)
============== ====== =====================================================================

Events without a leading e+ and a leading e- (a single photon, say) have NaN pair
observables; events without any visible shower have ``E_vis = 0`` and NaN direction and
E_QE.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import awkward as ak
import numba as nb
import numpy as np
import numpy.typing as npt

from zpgen import constants
from zpgen.event_record import FlatEvents
from zpgen.histograms import HistogramSpec
from zpgen.options import OptionDoc, OptionReader

__all__ = [
    "AVOGADRO",
    "GEV_TO_GRAM",
    "MINIBOONE_COS_THETA_EDGES",
    "PDG_PHOTON",
    "CH2Sphere",
    "Leptons",
    "MINIBOONE_EQE_EDGES_GeV",
    "MINIBOONE_EVIS_EDGES_GeV",
    "MINIBOONE_SHAPE_EQE_WINDOW_GeV",
    "add_fields",
    "as_flat",
    "e_qe",
    "leptons_from_rows",
    "m_ch2_gev",
    "miniboone_histograms",
    "pair_observables",
    "returned",
    "visible_leptons",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: 1 GeV/c^2 in grams, from the exact SI values of e and c (2019 SI).
GEV_TO_GRAM = 1.602176634e-19 * 1e9 / 299792458.0**2 * 1e3
#: Avogadro constant (exact, 2019 SI), 1/mol.
AVOGADRO = 6.02214076e23
#: PDG number of the photon, a visible EM shower like an electron (module docstring).
PDG_PHOTON = 22


#: MiniBooNE's E_QE bins of the nu_e-like excess (GeV): the 2020 data release's 11 bins
#: (miniboone_binboundaries_nue_lowe.txt; Phys. Rev. D 103, 052002 (2021)).
MINIBOONE_EQE_EDGES_GeV = (0.2, 0.3, 0.375, 0.475, 0.55, 0.675, 0.8, 0.95, 1.1, 1.25, 1.5, 3.0)
#: Bins of MiniBooNE's published E_vis spectrum (0.05 GeV from 0.1 to 1.25 GeV) and
#: cos(theta) spectrum (0.1 from -1 to 1), both for 0.2 < E_QE < 1.25 GeV (same paper).
MINIBOONE_EVIS_EDGES_GeV = tuple(round(0.1 + 0.05 * i, 10) for i in range(24))
MINIBOONE_COS_THETA_EDGES = tuple(round(-1.0 + 0.1 * i, 10) for i in range(21))
MINIBOONE_SHAPE_EQE_WINDOW_GeV = (0.2, 1.25)


def miniboone_histograms() -> list[HistogramSpec]:
    """The histograms a MiniBooNE-like run writes (:mod:`zpgen.histograms`).

    ``h_E_QE``, ``h_E_vis``, ``h_cos_theta``: the expected *selected* events,
    ``sum(w * w_eff * passes)``, in the binnings of MiniBooNE's released spectra (E_vis and
    cos theta for 0.2 <= E_QE < 1.25 GeV, as published), ready to stack on the released
    background.  ``h_*_before_selection``: ``sum(w)``, before efficiency and selection.
    """
    sel = "zpgen signal: expected selected events, sum(w*w_eff*passes)"
    window = ("E_QE", *MINIBOONE_SHAPE_EQE_WINDOW_GeV)
    before = "zpgen signal: expected events before efficiency and selection, sum(w)"
    return [
        HistogramSpec("h_E_QE", f"{sel}; MiniBooNE 2020 E_QE bins", "E_QE",
                      MINIBOONE_EQE_EDGES_GeV, "reconstructed E_QE [GeV]",
                      "selected events / bin"),
        HistogramSpec("h_E_vis", f"{sel}; 0.2 <= E_QE < 1.25 GeV, MiniBooNE E_vis bins",
                      "E_vis", MINIBOONE_EVIS_EDGES_GeV, "reconstructed E_vis [GeV]",
                      "selected events / 0.05 GeV", window=window),
        HistogramSpec("h_cos_theta", f"{sel}; 0.2 <= E_QE < 1.25 GeV, MiniBooNE cos theta "
                      "bins", "cos_theta", MINIBOONE_COS_THETA_EDGES,
                      "reconstructed cos theta (shower direction to the beam)",
                      "selected events / 0.1", window=window),
        HistogramSpec("h_E_QE_before_selection", f"{before}; MiniBooNE 2020 E_QE bins",
                      "E_QE", MINIBOONE_EQE_EDGES_GeV, "reconstructed E_QE [GeV]",
                      "events / bin", selected=False),
        HistogramSpec("h_E_vis_before_selection", before, "E_vis",
                      tuple(round(0.1 * i, 10) for i in range(31)),
                      "reconstructed E_vis [GeV]", "events / 0.1 GeV", selected=False),
        HistogramSpec("h_cos_theta_before_selection", before, "cos_theta",
                      MINIBOONE_COS_THETA_EDGES,
                      "reconstructed cos theta (shower direction to the beam)",
                      "events / 0.1", selected=False),
    ]


def m_ch2_gev() -> float:
    """Mass of one CH2 unit (GeV) from atomic masses: 12C atom + 2 hydrogen atoms.

    The 12C atom is exactly 12 u (PDG / ``particle``); the hydrogen atom is m_p + m_e (its
    13.6 eV binding neglected, 1e-8 relative).  Natural carbon (1.1 % 13C, 12.011 u) would
    make the molar mass 0.08 % larger; the target is treated as pure 12C, as the material
    declares.
    """
    m_c_atom = constants.pdg_mass_gev(1000060120)
    m_h_atom = constants.M_P + constants.M_E
    return m_c_atom + 2.0 * m_h_atom


class CH2Sphere:
    """A sphere of CH2 (mineral oil) with a concentric fiducial sphere: targets and vertices.

    Parameters
    ----------
    pot
        Protons on target of the exposure.
    tank_mass_t
        Mass of the whole oil volume in metric tonnes.
    tank_radius_cm
        Radius of the oil sphere (cm); the density is ``tank_mass / volume``.
    fiducial_radius_cm
        Radius of the fiducial sphere (cm), ``<= tank_radius_cm``: targets are counted
        and vertices placed inside it.
    """

    name: ClassVar[str] = "ch2_sphere"
    #: ``place`` and ``respond`` work on :class:`zpgen.event_record.FlatEvents` in place.
    flat_events: ClassVar[bool] = True
    #: Option keys of the geometry, with defaults (MiniBooNE; PHYSICS.md, "Event rate").
    GEOMETRY_DEFAULTS: ClassVar[dict[str, float]] = {
        "pot": 18.75e20,
        "tank_mass_t": 818.0,
        "tank_radius_cm": 610.6,
        "fiducial_radius_cm": 500.0,
    }
    #: The geometry options (``zpgen card --explain``; the plugins add their own).
    GEOMETRY_OPTIONS: ClassVar[tuple[OptionDoc, ...]] = (
        OptionDoc("pot", "1.875e+21", "exposure (the 2020 neutrino-mode data set)",
                  unit="POT", allowed="> 0"),
        OptionDoc("tank_mass_t", "818.0", "CH2 mass of the whole sphere", unit="t",
                  allowed="> 0"),
        OptionDoc("tank_radius_cm", "610.6", "radius of the CH2 sphere; e+ e- produced "
                  "beyond it are not seen", unit="cm", allowed="> 0"),
        OptionDoc("fiducial_radius_cm", "500.0", "radius of the fiducial sphere: targets are "
                  "counted and vertices placed inside it", unit="cm",
                  allowed="in (0, tank_radius_cm]"),
    )

    def __init__(self, pot: float = 18.75e20, tank_mass_t: float = 818.0,
                 tank_radius_cm: float = 610.6, fiducial_radius_cm: float = 500.0) -> None:
        if not fiducial_radius_cm <= tank_radius_cm:
            raise ValueError(f"fiducial radius {fiducial_radius_cm} cm exceeds the tank "
                             f"radius {tank_radius_cm} cm")
        self.pot = float(pot)
        self.tank_mass_t = float(tank_mass_t)
        self.tank_radius_cm = float(tank_radius_cm)
        self.fiducial_radius_cm = float(fiducial_radius_cm)

    @classmethod
    def _geometry_options(cls, reader: OptionReader) -> dict[str, float]:
        tank_radius = reader.number("tank_radius_cm", cls.GEOMETRY_DEFAULTS["tank_radius_cm"],
                                    unit="cm", lo=0.0, lo_open=True)
        fiducial = reader.number("fiducial_radius_cm",
                                 min(cls.GEOMETRY_DEFAULTS["fiducial_radius_cm"], tank_radius),
                                 unit="cm", lo=0.0, lo_open=True, hi=tank_radius)
        return {
            "pot": reader.number("pot", cls.GEOMETRY_DEFAULTS["pot"], unit="POT", lo=0.0,
                                 lo_open=True),
            "tank_mass_t": reader.number("tank_mass_t", cls.GEOMETRY_DEFAULTS["tank_mass_t"],
                                         unit="t", lo=0.0, lo_open=True),
            "tank_radius_cm": tank_radius,
            "fiducial_radius_cm": fiducial,
        }

    # -------------------------------------------------------------- material
    @property
    def density_g_cm3(self) -> float:
        """Oil density in g/cm^3: tank mass over the tank sphere's volume."""
        return self.tank_mass_t * 1e6 / (4.0 / 3.0 * math.pi * self.tank_radius_cm**3)

    @property
    def fiducial_mass_t(self) -> float:
        """Mass inside the fiducial sphere (t)."""
        return self.tank_mass_t * (self.fiducial_radius_cm / self.tank_radius_cm) ** 3

    @property
    def n_ch2(self) -> float:
        """Number of CH2 units in the fiducial volume."""
        return self.fiducial_mass_t * 1e6 / (m_ch2_gev() * GEV_TO_GRAM)

    def material(self) -> Mapping[str, float]:
        """Nuclei in the fiducial volume: one 12C and two hydrogen nuclei per CH2 unit.

        The process turns them into its channels and targets (PHYSICS.md, "The process":
        coherent on 12C, incoherent on its 6 protons and 6 neutrons, the 2 free protons).
        """
        n_ch2 = self.n_ch2
        return {"C12": n_ch2, "H1": 2.0 * n_ch2}

    # -------------------------------------------------------------- histograms
    def histograms(self) -> list[HistogramSpec]:
        """The summary histograms of a CH2 detector run (:func:`miniboone_histograms`)."""
        return miniboone_histograms()

    # -------------------------------------------------------------- vertices
    def place(self, events: Any, rng: np.random.Generator) -> Any:
        """Sample vertices uniformly in the fiducial sphere and move the particles there.

        Adds event fields ``vtx_x``, ``vtx_y``, ``vtx_z`` (cm, detector centre at the
        origin, z along the beam) and adds them to every particle's ``x``, ``y``, ``z``.
        Draws, in order: ``u_r``, ``cos``, ``phi`` (3 uniform arrays of the chunk length).
        ``events``: :class:`zpgen.event_record.FlatEvents` (changed in place and
        returned, the engine's path) or an awkward chunk (a new chunk is returned).
        """
        flat, given = as_flat(events)
        n = flat.n
        radius = self.fiducial_radius_cm * np.cbrt(rng.random(n))
        cos_polar = 2.0 * rng.random(n) - 1.0
        azimuth = 2.0 * math.pi * rng.random(n)
        sin_polar = np.sqrt(np.clip(1.0 - cos_polar**2, 0.0, None))
        vertex = {
            "x": radius * sin_polar * np.cos(azimuth),
            "y": radius * sin_polar * np.sin(azimuth),
            "z": radius * cos_polar,
        }
        p = flat.particles
        _shift_positions(flat.starts, flat.stops, p["x"], p["y"], p["z"], vertex["x"],
                         vertex["y"], vertex["z"])
        for axis, shift in vertex.items():
            flat.event[f"vtx_{axis}"] = shift
        return returned(flat, given)


    # -------------------------------------------------------------- reweighting
    def same_response(self, before: Any, after: Any) -> npt.NDArray[np.bool_]:
        """Per event: whether the response to ``after`` equals the response to ``before``
        given the same random numbers (``zpgen reweight`` asks this when it moves decay
        vertices; the momenta are the same, only production points differ).

        The response of a CH2 detector depends on positions only through which final e+
        and e- are produced inside the tank (``visible_leptons``; the efficiency uses the
        interaction vertex, which does not move): the events are the same when those sets
        are.
        """
        a, _ = as_flat(before)
        b, _ = as_flat(after)
        if a.n != b.n:
            raise ValueError(f"same_response: {a.n} events before, {b.n} after")
        return _inside_pattern(a, self.tank_radius_cm) == _inside_pattern(b,
                                                                          self.tank_radius_cm)


def _inside_pattern(flat: FlatEvents, radius_cm: float) -> npt.NDArray[np.int64]:
    """Per event, a bit pattern of which of its particle slots are visible leptons (status 1,
    |pdg| = 11, produced within ``radius_cm`` of the centre)."""
    p = flat.particles
    rows, event = _visible_rows(flat.starts, flat.stops,
                                np.ascontiguousarray(p["pdg"], dtype=np.int32),
                                np.ascontiguousarray(p["status"], dtype=np.int32),
                                np.ascontiguousarray(p["x"], dtype=np.float64),
                                np.ascontiguousarray(p["y"], dtype=np.float64),
                                np.ascontiguousarray(p["z"], dtype=np.float64), radius_cm**2)
    slot = rows - flat.starts[event]
    pattern = np.zeros(flat.n, dtype=np.int64)
    np.bitwise_or.at(pattern, event, np.left_shift(np.int64(1), slot))
    return pattern


def as_flat(events: Any) -> tuple[FlatEvents, bool]:
    """``(flat events, whether they were given flat)``: an awkward chunk is copied to
    :class:`zpgen.event_record.FlatEvents` (the detector then works on the copy)."""
    if isinstance(events, FlatEvents):
        return events, True
    return FlatEvents.from_awkward(events), False


def returned(flat: FlatEvents, given_flat: bool) -> Any:
    """What a detector method returns: the flat events, or an awkward chunk if it was given
    one."""
    return flat if given_flat else flat.to_awkward()


@nb.njit(nb.void(nb.int64[::1], nb.int64[::1], nb.float64[::1], nb.float64[::1],
                 nb.float64[::1], nb.float64[::1], nb.float64[::1], nb.float64[::1]),
         cache=True, error_model="numpy", nogil=True)
def _shift_positions(starts: IntArray, stops: IntArray, x: FloatArray, y: FloatArray,
                     z: FloatArray, dx: FloatArray, dy: FloatArray, dz: FloatArray) -> None:
    """Add event ``i``'s vertex to the positions of its particles, in place."""
    for i in range(starts.shape[0]):
        for j in range(starts[i], stops[i]):
            x[j] += dx[i]
            y[j] += dy[i]
            z[j] += dz[i]


@nb.njit(nb.types.UniTuple(nb.int64[::1], 2)(nb.int64[::1], nb.int64[::1], nb.int32[::1],
                                             nb.int32[::1], nb.float64[::1], nb.float64[::1],
                                             nb.float64[::1], nb.float64),
         cache=True, error_model="numpy", nogil=True)
def _visible_rows(starts: IntArray, stops: IntArray, pdg: npt.NDArray[np.int32],
                  status: npt.NDArray[np.int32], x: FloatArray, y: FloatArray, z: FloatArray,
                  r2_max: float) -> tuple[IntArray, IntArray]:
    """Flat rows and event indices of the final e+, e- and photons (the visible EM showers)
    produced within ``sqrt(r2_max)``."""
    n = 0
    for i in range(starts.shape[0]):
        for j in range(starts[i], stops[i]):
            if (status[j] == 1 and (pdg[j] == 11 or pdg[j] == -11 or pdg[j] == PDG_PHOTON)
                    and x[j] ** 2 + y[j] ** 2 + z[j] ** 2 < r2_max):
                n += 1
    rows = np.empty(n, dtype=np.int64)
    event = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(starts.shape[0]):
        for j in range(starts[i], stops[i]):
            if (status[j] == 1 and (pdg[j] == 11 or pdg[j] == -11 or pdg[j] == PDG_PHOTON)
                    and x[j] ** 2 + y[j] ** 2 + z[j] ** 2 < r2_max):
                rows[k] = j
                event[k] = i
                k += 1
    return rows, event


# ---------------------------------------------------------------------- leptons
@dataclass
class Leptons:
    """Visible EM showers (e+, e-, photons) of a chunk, flattened: one entry per particle.

    ``event`` is the event index, ``pdg`` the particle (11, -11 or 22), ``p`` the momentum
    magnitude (GeV) and ``ux, uy, uz`` the unit direction.  The name is historical: the
    first detectors saw only the e+ e- of the dark-neutrino decays.
    """

    n_events: int
    event: IntArray
    pdg: IntArray
    E: FloatArray
    p: FloatArray
    ux: FloatArray
    uy: FloatArray
    uz: FloatArray


def visible_leptons(events: Any, max_radius_cm: float = math.inf) -> Leptons:
    """The visible EM showers of a chunk as flat numpy arrays: the status-1 e+, e- and
    photons (module docstring).

    Only showers produced within ``max_radius_cm`` of the detector centre are visible
    (after :meth:`CH2Sphere.place`, particle positions are in the detector frame): e.g. the
    e+ e- of a nu4 decay, typically 1e10 cm downstream, is not seen.  One Numba pass over
    the flat particle columns (:class:`zpgen.event_record.FlatEvents`; an awkward chunk is
    converted first).
    """
    flat, _ = as_flat(events)
    p = flat.particles
    r2_max = max_radius_cm**2 if math.isfinite(max_radius_cm) else math.inf
    rows, event = _visible_rows(flat.starts, flat.stops,
                                np.ascontiguousarray(p["pdg"], dtype=np.int32),
                                np.ascontiguousarray(p["status"], dtype=np.int32),
                                np.ascontiguousarray(p["x"], dtype=np.float64),
                                np.ascontiguousarray(p["y"], dtype=np.float64),
                                np.ascontiguousarray(p["z"], dtype=np.float64), r2_max)
    return leptons_from_rows(flat, rows, event)


def leptons_from_rows(flat: FlatEvents, rows: IntArray, event: IntArray) -> Leptons:
    """The :class:`Leptons` (visible showers) at the flat particle ``rows`` of ``flat``,
    ``event`` their event indices (non-decreasing), as a detector's visibility kernel
    returns them."""
    p = flat.particles
    px = np.asarray(p["px"], dtype=np.float64)[rows]
    py = np.asarray(p["py"], dtype=np.float64)[rows]
    pz = np.asarray(p["pz"], dtype=np.float64)[rows]
    momentum = np.sqrt(px**2 + py**2 + pz**2)
    safe = np.where(momentum > 0.0, momentum, 1.0)
    return Leptons(
        n_events=flat.n,
        event=event,
        pdg=np.asarray(p["pdg"], dtype=np.int64)[rows],
        E=np.asarray(p["E"], dtype=np.float64)[rows],
        p=momentum,
        ux=np.where(momentum > 0.0, px / safe, 0.0),
        uy=np.where(momentum > 0.0, py / safe, 0.0),
        uz=np.where(momentum > 0.0, pz / safe, 1.0),
    )


@nb.njit(nb.int64[::1](nb.int64[::1], nb.int64[::1], nb.float64[::1], nb.int64, nb.int64),
         cache=True, error_model="numpy", nogil=True)
def _leading_kernel(event: IntArray, pdg: IntArray, energy: FloatArray, n_events: int,
                    wanted: int) -> IntArray:
    leading = np.full(n_events, -1, dtype=np.int64)
    for i in range(event.shape[0]):
        if pdg[i] != wanted:
            continue
        k = event[i]
        j = leading[k]
        if j < 0 or energy[i] > energy[j]:  # first of equal energies wins
            leading[k] = i
    return leading


def _leading(leptons: Leptons, pdg: int) -> IntArray:
    """Per event, the flat index of the highest-energy lepton with this pdg (-1: none)."""
    return _leading_kernel(np.ascontiguousarray(leptons.event, dtype=np.int64),
                           np.ascontiguousarray(leptons.pdg, dtype=np.int64),
                           np.ascontiguousarray(leptons.E, dtype=np.float64),
                           int(leptons.n_events), int(pdg))


def e_qe(E_vis: npt.ArrayLike, cos_theta: npt.ArrayLike, binding_energy_GeV: float
         ) -> FloatArray:
    """CCQE energy of an e-like ring (GeV), PHYSICS.md "MiniBooNE observables".

    ``E_QE = [2 M' E - (M'^2 + m_e^2 - M_p^2)] / [2 (M' - E + p cos theta)]`` with
    ``M' = M_n - E_B`` and ``p = sqrt(E^2 - m_e^2)`` (nu + n -> e + p on a bound neutron).
    """
    energy = np.asarray(E_vis, dtype=np.float64)
    cos_t = np.asarray(cos_theta, dtype=np.float64)
    m_bound = constants.M_N - binding_energy_GeV
    momentum = np.sqrt(np.clip(energy**2 - constants.M_E**2, 0.0, None))
    numerator = 2.0 * m_bound * energy - (m_bound**2 + constants.M_E**2 - constants.M_P**2)
    return numerator / (2.0 * (m_bound - energy + momentum * cos_t))


#: Rows of the output of :func:`_pair_kernel`.
_E_VIS, _COS_THETA, _E_QE, _DOT, _M_EE, _ASYMMETRY, _E_SOFT = range(7)


@nb.njit(nb.void(nb.int64[::1], nb.float64[::1], nb.float64[::1],
                 nb.float64[::1], nb.float64[::1], nb.float64[::1], nb.int64[::1],
                 nb.int64[::1], nb.float64, nb.float64, nb.float64, nb.float64,
                 nb.float64[:, ::1], nb.int64[::1]),
         cache=True, error_model="numpy", nogil=True)
def _pair_kernel(event: IntArray, energy: FloatArray, momentum: FloatArray,
                 ux: FloatArray, uy: FloatArray, uz: FloatArray, minus: IntArray,
                 plus: IntArray, m_bound: float, two_m_bound: float, qe_offset: float,
                 m_e2: float, out: FloatArray, n_visible: IntArray) -> None:
    """Event observables of :func:`pair_observables` in one pass over the showers and one
    over the events, in numpy's order of operations (the same numbers to the last bit as
    the array expressions it replaced; the opening angle's arccos stays in numpy)."""
    n = n_visible.shape[0]
    nan = np.nan
    px_sum = np.zeros(n)
    py_sum = np.zeros(n)
    pz_sum = np.zeros(n)
    out[_E_VIS, :] = 0.0
    n_visible[:] = 0
    for i in range(event.shape[0]):
        k = event[i]
        out[_E_VIS, k] += energy[i]
        px_sum[k] += momentum[i] * ux[i]
        py_sum[k] += momentum[i] * uy[i]
        pz_sum[k] += momentum[i] * uz[i]
        n_visible[k] += 1
    for k in range(n):
        p_mag = np.sqrt(px_sum[k] ** 2 + py_sum[k] ** 2 + pz_sum[k] ** 2)
        cos_theta = pz_sum[k] / p_mag if p_mag > 0.0 else nan
        out[_COS_THETA, k] = cos_theta
        e_vis = out[_E_VIS, k]
        if n_visible[k] > 0:  # e_qe(): CCQE energy of an e-like ring
            p_vis = np.sqrt(max(e_vis**2 - m_e2, 0.0))
            numerator = two_m_bound * e_vis - qe_offset
            out[_E_QE, k] = numerator / (2.0 * (m_bound - e_vis + p_vis * cos_theta))
        else:
            out[_E_QE, k] = nan
        i_m, i_p = minus[k], plus[k]
        if i_m < 0 or i_p < 0:
            for row in (_DOT, _M_EE, _ASYMMETRY, _E_SOFT):
                out[row, k] = nan
            continue
        e_m, e_p = energy[i_m], energy[i_p]
        dot = ux[i_m] * ux[i_p] + uy[i_m] * uy[i_p] + uz[i_m] * uz[i_p]
        out[_DOT, k] = min(max(dot, -1.0), 1.0)
        qx = momentum[i_m] * ux[i_m] + momentum[i_p] * ux[i_p]
        qy = momentum[i_m] * uy[i_m] + momentum[i_p] * uy[i_p]
        qz = momentum[i_m] * uz[i_m] + momentum[i_p] * uz[i_p]
        pair_p2 = qx**2 + qy**2 + qz**2
        out[_M_EE, k] = np.sqrt(max((e_m + e_p) ** 2 - pair_p2, 0.0))
        out[_ASYMMETRY, k] = abs(e_p - e_m) / (e_p + e_m)
        out[_E_SOFT, k] = min(e_m, e_p)


def pair_observables(leptons: Leptons, binding_energy_GeV: float) -> dict[str, npt.NDArray[Any]]:
    """Event observables (module table) plus helpers ``n_visible`` and ``E_soft``.

    ``E_soft`` (GeV) is the energy of the softer lepton of the leading pair (the
    highest-energy e- and e+).  ``E_QE`` is :func:`e_qe` of the visible energy and
    direction.  One Numba kernel (:func:`_pair_kernel`).
    """
    n = int(leptons.n_events)
    event = np.ascontiguousarray(leptons.event, dtype=np.int64)
    energy = np.ascontiguousarray(leptons.E, dtype=np.float64)
    minus, plus = _leading(leptons, 11), _leading(leptons, -11)
    m_bound = constants.M_N - binding_energy_GeV
    out = np.empty((7, n))
    n_visible = np.empty(n, dtype=np.int64)
    _pair_kernel(event, energy, np.ascontiguousarray(leptons.p, dtype=np.float64),
                 np.ascontiguousarray(leptons.ux, dtype=np.float64),
                 np.ascontiguousarray(leptons.uy, dtype=np.float64),
                 np.ascontiguousarray(leptons.uz, dtype=np.float64), minus, plus,
                 m_bound, 2.0 * m_bound,
                 m_bound**2 + constants.M_E**2 - constants.M_P**2, constants.M_E**2,
                 out, n_visible)
    return {
        "E_vis": out[_E_VIS],
        "cos_theta": out[_COS_THETA],
        "theta_ee_deg": np.degrees(np.arccos(out[_DOT])),
        "m_ee": out[_M_EE],
        "asymmetry": out[_ASYMMETRY],
        "E_QE": out[_E_QE],
        "n_visible": n_visible,
        "E_soft": out[_E_SOFT],
    }


def add_fields(events: Any, columns: Mapping[str, npt.NDArray[Any]]) -> Any:
    """``events`` with event-level ``columns`` added (or replaced).

    :class:`zpgen.event_record.FlatEvents` get them in place (and are returned); an awkward
    chunk is rebuilt once (``ak.zip`` at depth 1).
    """
    if isinstance(events, FlatEvents):
        events.event.update(columns)
        return events
    fields = {name: events[name] for name in events.fields if name not in columns}
    fields.update(columns)
    return ak.zip(fields, depth_limit=1)
