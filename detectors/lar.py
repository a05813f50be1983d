"""A liquid-argon time projection chamber: the shared base of the SBN detector plugins.

``microboone``, ``sbnd`` and ``icarus`` (``detectors/microboone.py``, ``sbnd.py``,
``icarus.py``) are this class with their own active volumes, baselines and exposures; every
number below that is not theirs is common to the three and overridable in the card.

Targets
-------
The active volume is one or more rectangular boxes (one per TPC module; detector frame in
cm, z along the beam, origin at the centre of the whole active volume).  The fiducial
volume is each box shrunk by ``margin_x_cm`` on both x faces, ``margin_y_cm`` on both y
faces, ``margin_upstream_cm`` and ``margin_downstream_cm`` in z.  The material is pure
40Ar: ``n = rho V_fid / m(40Ar atom)`` with

* ``rho = 1.3954 g/cm^3``: liquid argon at its normal boiling point (87.3 K, 1 atm), the
  density of DarkNews' ``microboone_tpc.txt`` ("density: 1.3954 g/cm3"); the PDG's
  "Atomic and nuclear properties of materials" table (liquid argon) gives 1.396 g/cm^3,
  0.04 % more.
* ``m(40Ar atom) = 39.9623831 u`` (AME, through ``particle``, the atomic mass of the
  nuclear table's 40Ar).  Natural argon is 99.6 % 40Ar with a molar mass of 39.948 g/mol:
  it would give 0.036 % more nuclei, all counted here as 40Ar.

Vertices are uniform in the fiducial volume (a box drawn with probability proportional to
its volume).

Response (``respond``)
----------------------
Visible EM showers are the final (status 1) e+, e- and photons produced inside the active
volume (a LArTPC sees a photon as a shower after a conversion gap; ``zpgen.detectors.
_common``).  Each is smeared as in the ``miniboone`` detector
(``zpgen.detectors.miniboone.smear_leptons``):

* energy: ``sigma_E / E = energy_stochastic / sqrt(E/GeV) (+) energy_constant``, default
  3 % / sqrt(E) (+) 1 %: the electromagnetic-shower resolution usually quoted for the
  ICARUS T600 (S. Amerio et al., Nucl. Instrum. Meth. A 527 (2004) 329; C. Rubbia et
  al., JINST 6 (2011) P07011; the figure was not re-checked against those texts for this
  release: their abstracts do not give it).  It is the calorimetric resolution of
  contained showers; automated reconstruction (MicroBooNE's pi0 showers, JINST 15 (2020)
  P02007, arXiv:1910.02166) is coarser: raise ``energy_stochastic`` to model it.
* direction: a polar angle drawn from a Rayleigh distribution of scale
  ``angle_resolution_deg`` (each projected angle Gaussian with that sigma), default 3 deg:
  zpgen's choice (the scale of LArTPC shower directions, whose first centimetres are
  imaged at the 3 mm wire pitch), the value of the ``miniboone`` detector, not a
  collaboration number.

Pair separation: two showers are resolved when their (reconstructed) opening angle exceeds
``separation_angle_deg`` (default 5 deg) and both exceed ``shower_threshold_GeV`` (default
0.030 GeV); closer showers merge into one (energies and momenta added, repeatedly, closest
pair first); a shower (or merged shower) below the threshold is not counted.  The defaults
are zpgen's choices derived from cited detector facts: two tracks from one vertex are told
apart once they are two wire pitches (2 x 3 mm: MicroBooNE, JINST 12 (2017) P02017; SBND
and ICARUS also read out at 3 mm) apart within the first half radiation length (X0/2 = 7 cm,
X0(LAr) = 14.0 cm, PDG), i.e. beyond 6 mm / 70 mm = 4.9 deg; an electron below the
critical energy of argon (32.8 MeV, PDG) makes a track, not a shower.  ``n_showers`` counts
the reconstructed showers.

Observables: ``E_vis`` (sum of all visible shower energies, merged or not, above threshold
or not), ``cos_theta`` (direction of their summed momentum to the beam), ``theta_ee_deg``,
``m_ee``, ``asymmetry`` (the leading e+ and e-, as in ``zpgen.detectors._common``), from the
smeared showers; the same with prefix ``true_`` and ``true_n_showers`` from the true ones.
No E_QE: the CCQE formula and MiniBooNE's binnings belong to its CH2 detector.

Selection and efficiency: ``passes`` follows ``selection``: ``any`` (default, at least
one shower), ``one_shower`` (exactly one: the single-shower topology of MiniBooNE's
excess) or ``two_showers`` (exactly two: a resolved pair).  ``w_eff = efficiency``, flat
(default 1): no published LArTPC efficiency for these topologies is built in.

Card options (``[detector]`` table)
-----------------------------------
``pot``, ``margin_x_cm``, ``margin_y_cm``, ``margin_upstream_cm``,
``margin_downstream_cm`` (defaults per detector; margins 10, 10, 10 and 50 cm: zpgen's
choice, the scale of the fiducial cuts of the SBN analyses, which differ between
analyses), ``energy_stochastic``, ``energy_constant``, ``angle_resolution_deg``,
``separation_angle_deg``, ``shower_threshold_GeV``, ``selection``, ``efficiency``;
``zpgen card --explain`` lists them with units and ranges.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numba as nb
import numpy as np
import numpy.typing as npt

from zpgen import constants
from zpgen.card import CardError
from zpgen.histograms import HistogramSpec
from zpgen.options import OptionDoc, OptionReader, option_keys

from ._common import (
    GEV_TO_GRAM,
    PDG_PHOTON,
    Leptons,
    _shift_positions,
    add_fields,
    as_flat,
    leptons_from_rows,
    pair_observables,
    returned,
)
from .miniboone import smear_leptons

__all__ = [
    "LAR_DENSITY_G_CM3",
    "SELECTIONS",
    "ActiveBox",
    "LArTPC",
    "count_showers",
    "m_ar40_atom_gram",
    "visible_showers",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Liquid-argon density (g/cm^3) at 87.3 K and 1 atm (module docstring).
LAR_DENSITY_G_CM3 = 1.3954
#: Topologies ``passes`` can select (module docstring).
SELECTIONS = ("any", "one_shower", "two_showers")
OBSERVABLES = ("E_vis", "cos_theta", "theta_ee_deg", "m_ee", "asymmetry")

#: Defaults shared by the three detectors (module docstring gives the sources).
RESPONSE_DEFAULTS: dict[str, float] = {
    "energy_stochastic": 0.03,
    "energy_constant": 0.01,
    "angle_resolution_deg": 3.0,
    "separation_angle_deg": 5.0,
    "shower_threshold_GeV": 0.030,
    "efficiency": 1.0,
}
MARGIN_DEFAULTS: dict[str, float] = {
    "margin_x_cm": 10.0,
    "margin_y_cm": 10.0,
    "margin_upstream_cm": 10.0,
    "margin_downstream_cm": 50.0,
}


def m_ar40_atom_gram() -> float:
    """Mass of one 40Ar atom in grams (``particle``'s atomic mass of 40Ar)."""
    return constants.pdg_mass_gev(1000180400) * GEV_TO_GRAM


@dataclass(frozen=True)
class ActiveBox:
    """One rectangular active volume (a TPC module) in the detector frame, in cm.

    ``x``, ``y``, ``z`` are ``(low, high)`` with z along the beam (upstream = low z).
    """

    name: str
    x: tuple[float, float]
    y: tuple[float, float]
    z: tuple[float, float]

    @property
    def size_cm(self) -> tuple[float, float, float]:
        return (self.x[1] - self.x[0], self.y[1] - self.y[0], self.z[1] - self.z[0])

    @property
    def volume_cm3(self) -> float:
        dx, dy, dz = self.size_cm
        return dx * dy * dz

    def shrunk(self, mx: float, my: float, up: float, down: float) -> ActiveBox:
        """The box with the fiducial margins cut away (cm)."""
        return ActiveBox(self.name, (self.x[0] + mx, self.x[1] - mx),
                         (self.y[0] + my, self.y[1] - my), (self.z[0] + up, self.z[1] - down))

    def row(self) -> list[float]:
        return [self.x[0], self.x[1], self.y[0], self.y[1], self.z[0], self.z[1]]


def _boxes_array(boxes: tuple[ActiveBox, ...]) -> FloatArray:
    """(n_boxes, 6) float64: x_lo, x_hi, y_lo, y_hi, z_lo, z_hi per box (the kernels' form)."""
    return np.ascontiguousarray([b.row() for b in boxes], dtype=np.float64)


@nb.njit(nb.boolean(nb.float64, nb.float64, nb.float64, nb.float64[:, ::1]),
         cache=True, nogil=True)
def _inside(x: float, y: float, z: float, boxes: FloatArray) -> bool:
    for b in range(boxes.shape[0]):
        if (boxes[b, 0] <= x <= boxes[b, 1] and boxes[b, 2] <= y <= boxes[b, 3]
                and boxes[b, 4] <= z <= boxes[b, 5]):
            return True
    return False


@nb.njit(nb.types.UniTuple(nb.int64[::1], 2)(nb.int64[::1], nb.int64[::1], nb.int32[::1],
                                             nb.int32[::1], nb.float64[::1], nb.float64[::1],
                                             nb.float64[::1], nb.float64[:, ::1]),
         cache=True, error_model="numpy", nogil=True)
def _visible_rows(starts: IntArray, stops: IntArray, pdg: npt.NDArray[np.int32],
                  status: npt.NDArray[np.int32], x: FloatArray, y: FloatArray, z: FloatArray,
                  boxes: FloatArray) -> tuple[IntArray, IntArray]:
    """Flat rows and event indices (non-decreasing) of the final e+, e- and photons
    produced inside one of ``boxes``."""
    n = 0
    for i in range(starts.shape[0]):
        for j in range(starts[i], stops[i]):
            if (status[j] == 1 and (pdg[j] == 11 or pdg[j] == -11 or pdg[j] == PDG_PHOTON)
                    and _inside(x[j], y[j], z[j], boxes)):
                n += 1
    rows = np.empty(n, dtype=np.int64)
    event = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(starts.shape[0]):
        for j in range(starts[i], stops[i]):
            if (status[j] == 1 and (pdg[j] == 11 or pdg[j] == -11 or pdg[j] == PDG_PHOTON)
                    and _inside(x[j], y[j], z[j], boxes)):
                rows[k] = j
                event[k] = i
                k += 1
    return rows, event


def _rows_in(flat: Any, boxes: FloatArray) -> tuple[IntArray, IntArray]:
    p = flat.particles
    return _visible_rows(flat.starts, flat.stops,
                         np.ascontiguousarray(p["pdg"], dtype=np.int32),
                         np.ascontiguousarray(p["status"], dtype=np.int32),
                         np.ascontiguousarray(p["x"], dtype=np.float64),
                         np.ascontiguousarray(p["y"], dtype=np.float64),
                         np.ascontiguousarray(p["z"], dtype=np.float64), boxes)


def visible_showers(events: Any, boxes: tuple[ActiveBox, ...]) -> Leptons:
    """The visible EM showers of a chunk: final e+, e- and photons produced inside the
    active ``boxes`` (after :meth:`LArTPC.place`, positions are in the detector frame)."""
    flat, _ = as_flat(events)
    rows, event = _rows_in(flat, _boxes_array(boxes))
    return leptons_from_rows(flat, rows, event)


@nb.njit(nb.int64[::1](nb.int64[::1], nb.float64[::1], nb.float64[::1], nb.float64[::1],
                       nb.float64[::1], nb.int64, nb.float64, nb.float64),
         cache=True, error_model="numpy", nogil=True)
def _count_kernel(event: IntArray, energy: FloatArray, px: FloatArray, py: FloatArray,
                  pz: FloatArray, n_events: int, cos_separation: float,
                  threshold: float) -> IntArray:
    """Reconstructed showers per event: merge the closest pair while its opening angle is
    below the separation (cos above ``cos_separation``), then count clusters >= threshold.
    ``event`` must be non-decreasing (the rows of one event are contiguous)."""
    counts = np.zeros(n_events, dtype=np.int64)
    n = event.shape[0]
    ce = np.empty(n)
    cx = np.empty(n)
    cy = np.empty(n)
    cz = np.empty(n)
    alive = np.empty(n, dtype=np.bool_)
    i = 0
    while i < n:
        j = i
        while j < n and event[j] == event[i]:
            j += 1
        m = j - i
        for a in range(m):
            ce[a], cx[a], cy[a], cz[a] = energy[i + a], px[i + a], py[i + a], pz[i + a]
            alive[a] = True
        while True:
            best, ba, bb = -2.0, -1, -1
            for a in range(m):
                if not alive[a]:
                    continue
                pa = math.sqrt(cx[a] ** 2 + cy[a] ** 2 + cz[a] ** 2)
                for b in range(a + 1, m):
                    if not alive[b]:
                        continue
                    pb = math.sqrt(cx[b] ** 2 + cy[b] ** 2 + cz[b] ** 2)
                    c = 1.0
                    if pa > 0.0 and pb > 0.0:
                        c = (cx[a] * cx[b] + cy[a] * cy[b] + cz[a] * cz[b]) / (pa * pb)
                    if c > best:
                        best, ba, bb = c, a, b
            if ba < 0 or best <= cos_separation:
                break
            ce[ba] += ce[bb]
            cx[ba] += cx[bb]
            cy[ba] += cy[bb]
            cz[ba] += cz[bb]
            alive[bb] = False
        count = 0
        for a in range(m):
            if alive[a] and ce[a] >= threshold:
                count += 1
        counts[event[i]] = count
        i = j
    return counts


def count_showers(showers: Leptons, separation_angle_deg: float,
                  threshold_GeV: float) -> IntArray:
    """Reconstructed showers per event (module docstring, "Pair separation")."""
    return _count_kernel(np.ascontiguousarray(showers.event, dtype=np.int64),
                         np.ascontiguousarray(showers.E, dtype=np.float64),
                         np.ascontiguousarray(showers.p * showers.ux, dtype=np.float64),
                         np.ascontiguousarray(showers.p * showers.uy, dtype=np.float64),
                         np.ascontiguousarray(showers.p * showers.uz, dtype=np.float64),
                         int(showers.n_events), math.cos(math.radians(separation_angle_deg)),
                         float(threshold_GeV))


def _option_docs(pot: float, pot_doc: str) -> tuple[OptionDoc, ...]:
    """The ``[detector]`` options of a LArTPC (module docstring)."""
    d, m = RESPONSE_DEFAULTS, MARGIN_DEFAULTS
    return (
        OptionDoc("pot", f"{pot:g}", f"exposure ({pot_doc})", unit="POT", allowed="> 0"),
        OptionDoc("margin_x_cm", f"{m['margin_x_cm']}", "fiducial cut from each x (drift) "
                  "face of every TPC module", unit="cm", allowed=">= 0, < half the x width"),
        OptionDoc("margin_y_cm", f"{m['margin_y_cm']}", "fiducial cut from the top and the "
                  "bottom", unit="cm", allowed=">= 0, < half the height"),
        OptionDoc("margin_upstream_cm", f"{m['margin_upstream_cm']}", "fiducial cut from "
                  "the upstream face", unit="cm", allowed=">= 0"),
        OptionDoc("margin_downstream_cm", f"{m['margin_downstream_cm']}", "fiducial cut "
                  "from the downstream face", unit="cm",
                  allowed=">= 0, upstream + downstream < the length"),
        OptionDoc("energy_stochastic", f"{d['energy_stochastic']}", "stochastic term a of "
                  "sigma_E/E = a/sqrt(E/GeV) (+) b (ICARUS T600: 0.03)", allowed="in [0, 2]"),
        OptionDoc("energy_constant", f"{d['energy_constant']}", "constant term b of "
                  "sigma_E/E (ICARUS T600: 0.01)", allowed="in [0, 1]"),
        OptionDoc("angle_resolution_deg", f"{d['angle_resolution_deg']}", "Gaussian shower "
                  "angular resolution per projection", unit="deg", allowed="in [0, 90]"),
        OptionDoc("separation_angle_deg", f"{d['separation_angle_deg']}", "two showers are "
                  "resolved above this opening angle (else they merge)", unit="deg",
                  allowed="in [0, 180]"),
        OptionDoc("shower_threshold_GeV", f"{d['shower_threshold_GeV']}", "a shower counts "
                  "in n_showers above this energy", unit="GeV", allowed="in [0, 10]"),
        OptionDoc("selection", "'any'", "topology that passes: at least one shower, exactly "
                  "one, or exactly two", allowed=" | ".join(SELECTIONS)),
        OptionDoc("efficiency", f"{d['efficiency']}", "a flat efficiency given to every "
                  "event as w_eff", allowed="in [0, 1]"),
    )


class LArTPC:
    """A liquid-argon TPC on a beam (module docstring).

    Subclasses set ``name``, ``ACTIVE`` (the active boxes), ``baseline_m``, ``DEFAULT_POT``
    and ``OPTIONS = _option_docs(DEFAULT_POT, "...")``.

    Parameters
    ----------
    pot
        Protons on target of the exposure.
    margin_x_cm, margin_y_cm, margin_upstream_cm, margin_downstream_cm
        Fiducial margins (cm) cut from the faces of every active box.
    energy_stochastic, energy_constant, angle_resolution_deg
        Shower smearing (module docstring, "Response").
    separation_angle_deg, shower_threshold_GeV
        Pair separation (module docstring).
    selection
        One of :data:`SELECTIONS`.
    efficiency
        Flat ``w_eff`` in [0, 1].

    Raises
    ------
    ValueError
        For a margin that leaves no fiducial volume, or a value out of range.
    """

    name: ClassVar[str] = "lar_tpc"
    #: ``place`` and ``respond`` work on :class:`zpgen.event_record.FlatEvents` in place
    #: and keep no state (the generator calls them from its worker threads).
    flat_events: ClassVar[bool] = True
    ACTIVE: ClassVar[tuple[ActiveBox, ...]] = ()
    baseline_m: ClassVar[float] = 0.0
    DEFAULT_POT: ClassVar[float] = 1.0
    OPTIONS: ClassVar[tuple[OptionDoc, ...]] = ()

    def __init__(self, pot: float | None = None, margin_x_cm: float = 10.0,
                 margin_y_cm: float = 10.0, margin_upstream_cm: float = 10.0,
                 margin_downstream_cm: float = 50.0, energy_stochastic: float = 0.03,
                 energy_constant: float = 0.01, angle_resolution_deg: float = 3.0,
                 separation_angle_deg: float = 5.0, shower_threshold_GeV: float = 0.030,
                 selection: str = "any", efficiency: float = 1.0) -> None:
        self.pot = float(self.DEFAULT_POT if pot is None else pot)
        margins = (margin_x_cm, margin_y_cm, margin_upstream_cm, margin_downstream_cm)
        problem = self._margin_problem(*margins)
        if problem:
            raise ValueError(problem[1])
        if not (self.pot > 0.0 and math.isfinite(self.pot)):
            raise ValueError(f"pot must be a finite number > 0, got {pot!r}")
        if selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {', '.join(SELECTIONS)}, got "
                             f"{selection!r}")
        if not 0.0 <= efficiency <= 1.0:
            raise ValueError(f"efficiency must lie in [0, 1], got {efficiency!r}")
        self.margins_cm = tuple(float(v) for v in margins)
        self.fiducial = tuple(box.shrunk(*self.margins_cm) for box in self.ACTIVE)
        self.energy_stochastic = float(energy_stochastic)
        self.energy_constant = float(energy_constant)
        self.angle_resolution_deg = float(angle_resolution_deg)
        self.separation_angle_deg = float(separation_angle_deg)
        self.shower_threshold_GeV = float(shower_threshold_GeV)
        self.selection = selection
        self.efficiency = float(efficiency)
        self._active_array = _boxes_array(self.ACTIVE)

    @classmethod
    def _margin_problem(cls, mx: float, my: float, up: float, down: float
                        ) -> tuple[str, str] | None:
        """``(option key, message)`` for margins that leave no fiducial volume, else None."""
        if min(mx, my, up, down) < 0.0:
            return ("margin_x_cm", f"fiducial margins must be >= 0 cm, got {mx}, {my}, {up}, "
                    f"{down}")
        width = min(b.size_cm[0] for b in cls.ACTIVE)
        height = min(b.size_cm[1] for b in cls.ACTIVE)
        length = min(b.size_cm[2] for b in cls.ACTIVE)
        if not 2.0 * mx < width:
            return ("margin_x_cm", f"must be < {width / 2:g} cm (half the {width:g} cm x "
                    f"width of a {cls.name} TPC module), got {mx!r}")
        if not 2.0 * my < height:
            return ("margin_y_cm", f"must be < {height / 2:g} cm (half the {height:g} cm "
                    f"active height of {cls.name}), got {my!r}")
        if not up + down < length:
            return ("margin_downstream_cm", f"margin_upstream_cm + margin_downstream_cm = "
                    f"{up + down:g} cm leaves no fiducial volume in the {length:g} cm active "
                    f"length of {cls.name}")
        return None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> LArTPC:
        """Build from the card's ``[detector]`` table (``CardError`` naming the field)."""
        reader = OptionReader("detector", options, option_keys(cls.OPTIONS))
        m, d = MARGIN_DEFAULTS, RESPONSE_DEFAULTS
        margins = {key: reader.number(key, m[key], unit="cm", lo=0.0) for key in m}
        problem = cls._margin_problem(*margins.values())
        if problem:
            raise CardError(f"detector.{problem[0]}: {problem[1]}")
        return cls(
            pot=reader.number("pot", cls.DEFAULT_POT, unit="POT", lo=0.0, lo_open=True),
            **margins,
            energy_stochastic=reader.number("energy_stochastic", d["energy_stochastic"],
                                            lo=0.0, hi=2.0),
            energy_constant=reader.number("energy_constant", d["energy_constant"],
                                          lo=0.0, hi=1.0),
            angle_resolution_deg=reader.number("angle_resolution_deg",
                                               d["angle_resolution_deg"], unit="deg",
                                               lo=0.0, hi=90.0),
            separation_angle_deg=reader.number("separation_angle_deg",
                                               d["separation_angle_deg"], unit="deg",
                                               lo=0.0, hi=180.0),
            shower_threshold_GeV=reader.number("shower_threshold_GeV",
                                               d["shower_threshold_GeV"], unit="GeV",
                                               lo=0.0, hi=10.0),
            selection=reader.choice("selection", SELECTIONS, "any"),
            efficiency=reader.number("efficiency", d["efficiency"], lo=0.0, hi=1.0),
        )

    # -------------------------------------------------------------- material
    @property
    def active_volume_cm3(self) -> float:
        return sum(b.volume_cm3 for b in self.ACTIVE)

    @property
    def fiducial_volume_cm3(self) -> float:
        return sum(b.volume_cm3 for b in self.fiducial)

    @property
    def active_mass_t(self) -> float:
        """Argon mass of the active volume (t)."""
        return LAR_DENSITY_G_CM3 * self.active_volume_cm3 * 1e-6

    @property
    def fiducial_mass_t(self) -> float:
        """Argon mass of the fiducial volume (t)."""
        return LAR_DENSITY_G_CM3 * self.fiducial_volume_cm3 * 1e-6

    def material(self) -> Mapping[str, float]:
        """40Ar nuclei in the fiducial volume: ``rho V_fid / m(40Ar atom)``."""
        return {"Ar40": LAR_DENSITY_G_CM3 * self.fiducial_volume_cm3 / m_ar40_atom_gram()}

    # -------------------------------------------------------------- vertices
    def place(self, events: Any, rng: np.random.Generator) -> Any:
        """Vertices uniform in the fiducial volume; every particle moved there.

        Adds ``vtx_x``, ``vtx_y``, ``vtx_z`` (cm, detector frame).  Draws, in order: the
        box (one uniform per event, boxes in proportion to their volume) and ``x``, ``y``,
        ``z`` (three uniforms per event).
        """
        flat, given = as_flat(events)
        n = flat.n
        fid = _boxes_array(self.fiducial)
        volumes = np.array([b.volume_cm3 for b in self.fiducial])
        cumulative = np.cumsum(volumes) / volumes.sum()
        box = np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"),
                         len(volumes) - 1)
        vertex = {}
        for k, axis in enumerate("xyz"):
            lo, hi = fid[box, 2 * k], fid[box, 2 * k + 1]
            vertex[axis] = lo + (hi - lo) * rng.random(n)
        p = flat.particles
        _shift_positions(flat.starts, flat.stops, p["x"], p["y"], p["z"], vertex["x"],
                         vertex["y"], vertex["z"])
        for axis, shift in vertex.items():
            flat.event[f"vtx_{axis}"] = shift
        return returned(flat, given)

    # -------------------------------------------------------------- response
    def respond(self, events: Any, rng: np.random.Generator) -> Any:
        """Smear, merge, count and select the showers (module docstring)."""
        flat, given = as_flat(events)
        true_showers = visible_showers(flat, self.ACTIVE)
        truth = pair_observables(true_showers, 0.0)
        reco_showers = smear_leptons(true_showers, rng, self.energy_stochastic,
                                     self.energy_constant, self.angle_resolution_deg)
        reco = pair_observables(reco_showers, 0.0)
        n_reco = count_showers(reco_showers, self.separation_angle_deg,
                               self.shower_threshold_GeV)
        n_true = count_showers(true_showers, self.separation_angle_deg,
                               self.shower_threshold_GeV)
        columns: dict[str, npt.NDArray[Any]] = {name: reco[name] for name in OBSERVABLES}
        columns["n_showers"] = n_reco
        columns.update({f"true_{name}": truth[name] for name in OBSERVABLES})
        columns["true_n_showers"] = n_true
        if self.selection == "one_shower":
            passes = n_reco == 1
        elif self.selection == "two_showers":
            passes = n_reco == 2
        else:
            passes = n_reco >= 1
        columns["w_eff"] = np.full(flat.n, self.efficiency)
        columns["passes"] = np.asarray(passes, dtype=bool)
        return returned(add_fields(flat, columns), given)

    def same_response(self, before: Any, after: Any) -> npt.NDArray[np.bool_]:
        """Per event: whether the response to ``after`` (moved decay vertices, same momenta)
        equals that to ``before`` with the same random numbers: the same particle slots are
        visible showers (produced inside the active volume)."""
        a, _ = as_flat(before)
        b, _ = as_flat(after)
        if a.n != b.n:
            raise ValueError(f"same_response: {a.n} events before, {b.n} after")
        return self._pattern(a) == self._pattern(b)

    def _pattern(self, flat: Any) -> npt.NDArray[np.int64]:
        rows, event = _rows_in(flat, self._active_array)
        slot = rows - flat.starts[event]
        pattern = np.zeros(flat.n, dtype=np.int64)
        np.bitwise_or.at(pattern, event, np.left_shift(np.int64(1), slot))
        return pattern

    # -------------------------------------------------------------- histograms
    def histograms(self) -> list[HistogramSpec]:
        """``h_E_vis``, ``h_cos_theta``, ``h_theta_ee_deg``, ``h_n_showers`` (selected:
        ``sum(w * w_eff * passes)``) and ``h_E_vis_before_selection``,
        ``h_n_showers_before_selection`` (``sum(w)``)."""
        sel = f"zpgen signal in {self.name}: expected selected events, sum(w*w_eff*passes)"
        before = f"zpgen signal in {self.name}: expected events before selection, sum(w)"
        e_edges = tuple(round(0.05 * i, 10) for i in range(61))
        n_edges = tuple(i - 0.5 for i in range(6))
        return [
            HistogramSpec("h_E_vis", sel, "E_vis", e_edges, "reconstructed E_vis [GeV]",
                          "selected events / 0.05 GeV"),
            HistogramSpec("h_cos_theta", sel, "cos_theta",
                          tuple(round(-1.0 + 0.05 * i, 10) for i in range(41)),
                          "reconstructed cos theta (showers' direction to the beam)",
                          "selected events / 0.05"),
            HistogramSpec("h_theta_ee_deg", sel, "theta_ee_deg",
                          tuple(2.0 * i for i in range(91)),
                          "reconstructed e+ e- opening angle [deg]", "selected events / 2 deg"),
            HistogramSpec("h_n_showers", sel, "n_showers", n_edges,
                          "reconstructed showers", "selected events"),
            HistogramSpec("h_E_vis_before_selection", before, "E_vis", e_edges,
                          "reconstructed E_vis [GeV]", "events / 0.05 GeV", selected=False),
            HistogramSpec("h_n_showers_before_selection", before, "n_showers", n_edges,
                          "reconstructed showers", "events", selected=False),
        ]

    def describe(self) -> dict[str, Any]:
        """Geometry and exposure (validation scripts, tests)."""
        return {
            "name": self.name, "baseline_m": self.baseline_m, "pot": self.pot,
            "active_boxes_cm": [b.row() for b in self.ACTIVE],
            "fiducial_boxes_cm": [b.row() for b in self.fiducial],
            "active_mass_t": self.active_mass_t, "fiducial_mass_t": self.fiducial_mass_t,
            "n_Ar40": self.material()["Ar40"], "density_g_cm3": LAR_DENSITY_G_CM3,
        }
