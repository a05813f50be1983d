"""Exact event-by-event reweighting of dark-neutrino events to other couplings, same masses.

PHYSICS.md, "Matrix elements and cross section", "Decays" and "Event rate"; the weight of a
point is derived in :mod:`zpgen.processes.decay_chain` ("Weight of a point").  At fixed
masses (and fixed ``[physics]`` switches) the hypercube map, the flux map, the t map and
every four-momentum of an event depend on the masses only; the couplings enter the weight
``F = w_flux * dsigma/dt(E_nu, t) * dt/dx * D / p`` through

* the production ``dsigma/dt`` (``g_mu5`` times the target's charges ``g_p``, ``g_n`` in
  the nuclear and nucleon form factors), recomputed at the event's ``(E_nu, t)`` with the
  process's own kernel :func:`zpgen.processes.xsec.dsigma_dt`;
* the decay density ``D`` of the event's decay configuration (its nu5 decay mode, its
  angles and pair mass, its nu4 decay mode), recomputed from the event's lab four-momenta
  with the polarised decay ``|M|^2`` of
  :func:`zpgen.processes.decay_kernels.msq_nu5_to_nu4_ff`, which is Lorentz invariant,
  with the nu5's spin four-vector at each card (:func:`_event_spin`): ``P_x s_x + P_z s_z``
  from :func:`zpgen.processes.xsec.nu5_polarisation` at the event's ``(E_nu, t)`` with
  ``physics.nu5_spin = "exact"`` (it moves with g_p/g_n on nucleons), or helicity -1/2,
  ``s = -(|p|/m, E p/(|p| m))``; a numubar event's f and fbar rows are exchanged first
  (the CP image the generator evaluated).

``p`` is the probability with which the generator *chose* the event's discrete decay
modes (nu5 mode A or B, the nu4's Z' mode); it belongs to the sampling, not to the physics,
and cancels: the factor that turns the file's ``w`` into the weight at the new couplings is
the ratio of the physical densities at the event's point,

    r = [dsigma'/dt / dsigma/dt] x [D' / D],

exact (the importance-sampling identity ``E[w r] = E'[w]``) wherever the old density is
non-zero.  The decay densities, with the record's notation
(:data:`zpgen.processes.decay_chain.DECAY_DTYPE`):

* mode B (nu5 -> nu_light Z' -> nu_light e+e-): ``D = BR_B |M|^2 / <|M|^2>`` (``BR_B``
  with ``decay_correlations = "isotropic"``);
* mode A on shell: ``D = BR_A |M|^2 / <|M|^2>`` (isotropic: ``BR_A``) with
  ``BR_A = BR(nu5 -> nu4 Z') BR(Z' -> e+e-)``;
* mode A off shell: ``D = |M|^2(m_ee^2, angles; Gamma_Z') / Gamma_nu5`` (the three-body
  phase space and ``1/2 m5`` are the same at both couplings and cancel; isotropic: the
  cos theta* average of the unpolarised ``|M|^2`` at the event's ``m_ee^2``);
* times, when nu4 decays (mode A), ``BR(Z' -> f fbar) |M_4|^2 / <|M_4|^2>`` of the nu4
  decay into the event's pair (one neutrino flavour: ``BR(Z' -> nu nubar) / 3``).

Branching ratios, total widths and ``<|M|^2>`` come from the process built at each card
(:class:`zpgen.processes.dark_neutrino.DarkNeutrinoProcess`), the numbers the generator
itself uses.

Decay lengths
-------------
A flight is ``L = lambda e`` with ``lambda = (|p|/m) c tau`` and ``e = -log(1 - u)`` an
exponential variate drawn independently of everything else (``decay_chain``, "Decay
vertices").  Reweighting ``L`` by the ratio of exponential densities would be exact but
useless as soon as ``c tau`` grows by more than a factor 2 (the weights' variance is then
infinite), which a coupling change by a factor 1.4 already does.  The flights are
therefore *transformed*: ``L -> L c tau'/c tau`` (the same ``e``: the quantile map of the
old exponential onto the new one, exact in distribution), the ``flight_*`` columns are
rescaled and every later production point and time in the record moves with its
ancestor's decay point (:func:`move_decay_vertices`).  The momenta, and hence ``r``, do not
change.  The detector response stored in the file was computed at the old vertices; the
engine (``zpgen reweight``) asks the detector whether it still holds.

What cannot be reweighted is refused before any work (:func:`check_reweightable`): other
masses, Dirac/Majorana, ``nu4_decays`` or ``[physics]`` switches (they change the events'
kinematics or record), couplings that move the nu4 chain between the on-shell and the
off-shell regime or switch the nu4 decays on or off, and couplings that open a decay mode or
a channel the file has no events of (its density there was 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt

from zpgen import constants
from zpgen.card import Card, CardError, card_differences

from . import decay_chain as dc
from . import xsec
from .decay_kernels import msq_nu5_to_nu4_ff

__all__ = ["CouplingReweighter", "check_reweightable", "reweight_factors"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Card keys a reweighting may change: the couplings of either front end.
REWEIGHTABLE_PREFIXES = ("model.couplings.", "model.blsm.")
#: PDG number of nu4 (``zpgen.processes.dark_neutrino.PDG_NU4``; no import cycle).
_PDG_NU4 = 9900012
#: A reference energy above every channel's threshold for the open-channel check (GeV).
_E_REFERENCE = 2.0

_OPTS = {"cache": True, "error_model": "numpy", "nogil": True}
_F8 = nb.float64
_V4 = nb.float64[::1]
_M4 = nb.float64[:, ::1]
_REC = nb.from_dtype(dc.DECAY_DTYPE)
_GL3_X = (-math.sqrt(0.6), 0.0, math.sqrt(0.6))
_GL3_W = (5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0)
_C_CM_NS = constants.C_LIGHT_CM_S * 1e-9


# ----------------------------------------------------------------------------- kernels
@nb.njit(nb.void(_V4, _F8, _F8, _F8, _V4), **_OPTS)
def _spin_vector(p: FloatArray, m: float, sx: float, sz: float, out: FloatArray) -> None:
    """Lab spin four-vector of a particle of momentum ``p`` whose polarisation has the
    components ``(sx, 0, sz)`` in its helicity frame (z along ``p``, x = e_Theta as in
    :func:`zpgen.kinematics.rotate_from_axis`): ``sz s_z + sx s_x`` with
    ``s_z = (|p|, E phat)/m`` and ``s_x = (0, e_Theta)`` (unchanged by the boost along p)."""
    pabs = math.sqrt(p[1] * p[1] + p[2] * p[2] + p[3] * p[3])
    if pabs <= 0.0:
        out[0] = 0.0
        out[1] = sx
        out[2] = 0.0
        out[3] = sz
        return
    ux, uy, uz = p[1] / pabs, p[2] / pabs, p[3] / pabs
    st = math.sqrt(ux * ux + uy * uy)
    cp, sp = (ux / st, uy / st) if st > 0.0 else (1.0, 0.0)
    scale = sz * p[0] / m
    out[0] = sz * pabs / m
    out[1] = scale * ux + sx * uz * cp
    out[2] = scale * uy + sx * uz * sp
    out[3] = scale * uz - sx * st


@nb.njit(_F8(_F8, _REC, _M4), **_OPTS)
def _offshell_isotropic(m2: float, d: Any, W: FloatArray) -> float:
    """cos theta* average of the unpolarised nu5 -> nu4 e+e- |M|^2 at pair mass^2 ``m2``
    (the ``isotropic`` off-shell density of decay_chain._mode_a_offshell)."""
    mq = math.sqrt(max(m2, 0.0))
    if not (mq > 2.0 * d.me and d.m5 > d.m4 + mq):
        return 0.0
    m = dc.ChainMasses(d.m5, mq, d.m4, d.me)
    c = dc.Couplings(d.gl, d.gr, d.cv, d.ca, d.mz, d.gamma_z)
    amp = 0.0
    for k in range(3):
        dc.chain_momenta(m, dc.Angles(0.0, 0.0, _GL3_X[k], 0.0), W)
        amp += 0.5 * _GL3_W[k] * dc.chain_msq(W, m, 0.0, 0.0, c)
    return amp


@nb.njit(_F8(_M4, nb.boolean, nb.int64, _REC, _V4, _V4, _M4), **_OPTS)
def decay_density(P: FloatArray, mode_b: bool, pdg_f: int, d: Any, s5: FloatArray,
                  zero: FloatArray, W: FloatArray) -> float:
    """Density ``D`` of an event's decay configuration at the couplings of ``d`` (module
    docstring), from its lab momenta ``P`` (slots of ``zpgen.processes.dark_neutrino``).

    ``mode_b``: the nu5 decayed to nu_light Z'; ``pdg_f``: pdg of slot 10 (the f of the
    nu4's Z' decay), 0 without a nu4 decay in the record.  ``s5`` is the nu5's lab spin
    four-vector at these couplings (:func:`_spin_vector`); ``zero`` (4,) and ``W`` (6, 4)
    are scratch arrays (``zero`` all zeros: the unpolarised nu4).  An antineutrino event
    comes with the f and fbar rows of ``P`` already exchanged (as the generator evaluated
    it: ``decay_chain``, "Antineutrino beams").
    """
    p5 = P[dc.S_NU5]
    if mode_b:
        if d.isotropic or d.br_b == 0.0:
            return d.br_b
        amp = msq_nu5_to_nu4_ff(p5, s5, P[dc.S_NU4], P[dc.S_EM], P[dc.S_EP], d.m5, 0.0, d.me,
                                d.gl5a, d.gr5a, d.cv, d.ca, d.mz, 1.0)
        return d.br_b * amp / d.norm5b
    if d.offshell:
        if d.isotropic:
            q0 = P[dc.S_EM, 0] + P[dc.S_EP, 0]
            q1 = P[dc.S_EM, 1] + P[dc.S_EP, 1]
            q2 = P[dc.S_EM, 2] + P[dc.S_EP, 2]
            q3 = P[dc.S_EM, 3] + P[dc.S_EP, 3]
            amp = _offshell_isotropic(q0 * q0 - q1 * q1 - q2 * q2 - q3 * q3, d, W)
        else:
            amp = msq_nu5_to_nu4_ff(p5, s5, P[dc.S_NU4], P[dc.S_EM], P[dc.S_EP], d.m5, d.m4,
                                    d.me, d.gl, d.gr, d.cv, d.ca, d.mz, d.gamma_z)
        density = amp / d.gamma5
    elif d.isotropic:
        density = d.br_a
    else:
        amp = msq_nu5_to_nu4_ff(p5, s5, P[dc.S_NU4], P[dc.S_EM], P[dc.S_EP], d.m5, d.m4, d.me,
                                d.gl, d.gr, d.cv, d.ca, d.mz, 1.0)
        density = d.br_a * amp / d.norm5
    if pdg_f != 0:
        f = abs(pdg_f)
        if f == 11:
            br, k, mf, cv, ca = d.c_ee, 0, d.me, d.cv, d.ca
        elif f == 13:
            br, k, mf, cv, ca = d.c_mm - d.c_ee, 1, d.mmu, d.cv, d.ca
        else:  # one neutrino flavour of three
            br, k, mf, cv, ca = (1.0 - d.c_mm) / 3.0, 2, 0.0, 0.5 * d.g_nu, -0.5 * d.g_nu
        density *= br
        if not d.isotropic:
            amp4 = msq_nu5_to_nu4_ff(P[dc.S_NU4], zero, P[dc.S_NUA], P[dc.S_F], P[dc.S_FB],
                                     d.m4, 0.0, mf, d.gl4, d.gr4, cv, ca, d.mz, 1.0)
            density *= amp4 / d.norm4[k]
    return density


@nb.njit(nb.void(nb.int64, nb.int64, nb.int64, _F8, _V4, _V4, _V4, _V4, _V4, _V4, _V4,
                 _V4), **_OPTS)
def _shift(first: int, last: int, row: int, dL: float, E: FloatArray, px: FloatArray,
           py: FloatArray, pz: FloatArray, x: FloatArray, y: FloatArray, z: FloatArray,
           t: FloatArray) -> None:
    """Move the production points of flat rows ``first .. last - 1`` by ``dL`` cm along the
    momentum of row ``row`` (a flight made longer by ``dL``), times by ``dL E/(|p| c)``."""
    pabs = math.sqrt(px[row] ** 2 + py[row] ** 2 + pz[row] ** 2)
    if dL == 0.0 or pabs <= 0.0:
        return
    dx, dy, dz = dL * px[row] / pabs, dL * py[row] / pabs, dL * pz[row] / pabs
    dt = dL * E[row] / (pabs * _C_CM_NS)
    for j in range(first, last):
        x[j] += dx
        y[j] += dy
        z[j] += dz
        t[j] += dt


_SIG_MOVE = nb.void(nb.int64[::1], nb.int64[::1], nb.int32[::1], _V4, _V4, _V4, _V4, _V4,
                    _V4, _V4, _V4, _M4, nb.boolean, _V4)


@nb.njit(_SIG_MOVE, **_OPTS)
def move_decay_vertices(starts: IntArray, counts: IntArray, pdg: npt.NDArray[np.int32],
                        E: FloatArray, px: FloatArray, py: FloatArray, pz: FloatArray,
                        x: FloatArray, y: FloatArray, z: FloatArray, t: FloatArray,
                        flights: FloatArray, offshell: bool, scale: FloatArray) -> None:
    """Flights ``L -> L c tau'/c tau`` and every later production point moved with them,
    in place (module docstring, "Decay lengths").

    ``scale`` holds ``c tau'/c tau`` of nu5, the Z' and nu4 (1: unchanged); ``flights``
    (4, n) the ``flight_*`` columns; ``offshell``: the nu4 chain's Z' is virtual (no
    flight).  Slots as in ``zpgen.processes.dark_neutrino``.
    """
    for i in range(starts.shape[0]):
        s0 = starts[i]
        n = counts[i]
        if n <= dc.S_EP:
            continue
        mode_b = abs(pdg[s0 + dc.S_NU4]) != _PDG_NU4
        dL = (scale[0] - 1.0) * flights[dc.F_NU5, i]
        flights[dc.F_NU5, i] += dL
        _shift(s0 + dc.S_NU4, s0 + n, s0 + dc.S_NU5, dL, E, px, py, pz, x, y, z, t)
        if mode_b or not offshell:
            dL = (scale[1] - 1.0) * flights[dc.F_ZP, i]
            flights[dc.F_ZP, i] += dL
            _shift(s0 + dc.S_EM, s0 + dc.S_EP + 1, s0 + dc.S_ZP, dL, E, px, py, pz, x, y, z,
                   t)
        if not mode_b and n > dc.S_FB:
            dL = (scale[2] - 1.0) * flights[dc.F_NU4, i]
            flights[dc.F_NU4, i] += dL
            _shift(s0 + dc.S_NUA, s0 + n, s0 + dc.S_NU4, dL, E, px, py, pz, x, y, z, t)
            dL = (scale[1] - 1.0) * flights[dc.F_ZP2, i]
            flights[dc.F_ZP2, i] += dL
            _shift(s0 + dc.S_F, s0 + dc.S_FB + 1, s0 + dc.S_ZP2, dL, E, px, py, pz, x, y, z,
                   t)


@nb.njit(nb.void(_M4, nb.int64, nb.int64), **_OPTS)
def _swap_rows(P: FloatArray, a: int, b: int) -> None:
    for j in range(4):
        P[a, j], P[b, j] = P[b, j], P[a, j]


@nb.njit(nb.void(_F8, _F8, _V4, _REC, _V4, _V4), **_OPTS)
def _event_spin(E_nu: float, t: float, cp: FloatArray, d: Any, p5: FloatArray,
                out: FloatArray) -> None:
    """The nu5's lab spin four-vector of an event at the couplings of ``cp`` and ``d``: the
    production polarisation (:func:`zpgen.processes.xsec.nu5_polarisation`, which depends on
    the target's F1/F2 mix, hence on g_p and g_n) with ``nu5_spin = "exact"``, helicity
    ``d.spin/2`` otherwise, none with isotropic decays."""
    sx, sz = 0.0, 0.0
    if not d.isotropic:
        if d.exact_spin:
            sx, sz = xsec.nu5_polarisation(E_nu, t, cp)
        else:
            sz = d.spin
    _spin_vector(p5, d.m5, sx, sz, out)


_SIG_FACTORS = nb.void(nb.int64[::1], _V4, _V4, nb.int64[::1], nb.int64[::1],
                       nb.int32[::1], _V4, _V4, _V4, _V4, _M4, _M4, _REC[::1], _REC[::1], _V4)


@nb.njit(_SIG_FACTORS, **_OPTS)
def reweight_factors(channel: IntArray, E_nu: FloatArray, t: FloatArray, starts: IntArray,
                     counts: IntArray, pdg: npt.NDArray[np.int32],
                     E: FloatArray, px: FloatArray, py: FloatArray, pz: FloatArray,
                     cp_old: FloatArray, cp_new: FloatArray, dp_old: np.ndarray,
                     dp_new: np.ndarray, out: FloatArray) -> None:
    """``out[i] = r`` of event ``i`` (module docstring).

    ``starts``, ``counts`` and the flat particle columns describe the record;
    ``cp_old``/``cp_new`` are (channels, N_PARAMS) channel parameters at the two cards,
    ``dp_*`` their decay records.  An event whose old
    density is 0 (a point outside the physical region) gets 0.
    """
    do, dn = dp_old[0], dp_new[0]
    P = np.zeros((dc.N_PARTICLES_NU4, 4))
    s5 = np.zeros(4)
    zero = np.zeros(4)
    W = np.empty((6, 4))
    for i in range(channel.shape[0]):
        ch = channel[i]
        sig_old = xsec.dsigma_dt(E_nu[i], t[i], cp_old[ch])
        if not sig_old > 0.0:
            out[i] = 0.0
            continue
        n = min(counts[i], dc.N_PARTICLES_NU4)
        for s in range(dc.N_PARTICLES_NU4):
            for j in range(4):
                P[s, j] = 0.0
        for s in range(n):
            row = starts[i] + s
            P[s, 0] = E[row]
            P[s, 1] = px[row]
            P[s, 2] = py[row]
            P[s, 3] = pz[row]
        if pdg[starts[i] + dc.S_BEAM] < 0:  # antineutrino beam: f <-> fbar (CP)
            _swap_rows(P, dc.S_EM, dc.S_EP)
            _swap_rows(P, dc.S_F, dc.S_FB)
        mode_b = abs(pdg[starts[i] + dc.S_NU4]) != _PDG_NU4
        pdg_f = 0
        if not mode_b and n > dc.S_FB:
            pdg_f = abs(pdg[starts[i] + dc.S_F])
        _event_spin(E_nu[i], t[i], cp_old[ch], do, P[dc.S_NU5], s5)
        dens_old = decay_density(P, mode_b, pdg_f, do, s5, zero, W)
        if not dens_old > 0.0:
            out[i] = 0.0
            continue
        r = xsec.dsigma_dt(E_nu[i], t[i], cp_new[ch]) / sig_old
        _event_spin(E_nu[i], t[i], cp_new[ch], dn, P[dc.S_NU5], s5)
        r *= decay_density(P, mode_b, pdg_f, dn, s5, zero, W) / dens_old
        out[i] = r


# ----------------------------------------------------------------------------- checks
def _changed_keys(old: Card, new: Card) -> list[tuple[str, Any, Any]]:
    return card_differences(old.as_dict(), new.as_dict(),
                            ignore={"run.seed", "run.n_events", "run.output"})


def check_reweightable(old: Card, new: Card) -> list[str]:
    """The dotted card keys that differ between ``old`` and ``new``; ``CardError`` naming
    the first key a reweighting cannot change, and why."""
    changed = _changed_keys(old, new)
    keys = []
    for key, a, b in changed:
        if key in ("model.m4", "model.m5", "model.mzprime"):
            raise CardError(f"{key}: a reweighting keeps every event's four-momenta, which a "
                            f"mass fixes (thresholds, t range, decay momenta); {a!r} -> {b!r} "
                            "needs new events: run zpgen generate at the new mass")
        if key == "model.heavy_neutrino":
            raise CardError(f"{key}: Dirac and Majorana heavy neutrinos are different "
                            f"particles (their decay correlations and widths differ); {a!r} -> "
                            f"{b!r} needs new events: run zpgen generate")
        if key == "model.nu4_decays":
            raise CardError(f"{key}: switching the nu4 decays changes the particles in the "
                            "record; run zpgen generate")
        if key.startswith("physics."):
            raise CardError(f"{key}: [physics] switches change the model itself (form "
                            "factors, nuclear model, decay correlations, visible modes), not "
                            "its couplings; run zpgen generate")
        if key == "model.kind" or key.startswith(REWEIGHTABLE_PREFIXES):
            keys.append(key)
            continue
        raise CardError(f"{key}: a reweighting changes couplings only (model.couplings.* or "
                        "model.blsm.*, at the same masses); run zpgen generate for this "
                        "change")
    return keys


class CouplingReweighter:
    """Factors that take the events of one card to another card's couplings (module
    docstring); built by
    :meth:`zpgen.processes.dark_neutrino.DarkNeutrinoProcess.reweighter`.

    Parameters
    ----------
    old, new
        The processes at the file's card and at the new card.
    old_card, new_card
        The two cards.
    channels
        The file's channel names, in the order of its ``channel`` column.

    Raises
    ------
    CardError
        For a change that cannot be reweighted (:func:`check_reweightable`, and the regime,
        the nu4 decays, a decay mode or a channel the file holds no events of).
    """

    #: Event columns the factors need besides the particles.
    required_columns = ("channel", "E_nu", "t", *dc.FLIGHT_FIELDS)

    def __init__(self, old: Any, new: Any, old_card: Card, new_card: Card,
                 channels: Sequence[str]) -> None:
        self.changed = check_reweightable(old_card, new_card)
        self.old, self.new = old, new
        self.channels = tuple(channels)
        if old.widths["regime"] != new.widths["regime"]:
            raise CardError(f"{self._what()}: the new couplings move the nu4 chain from the "
                            f"{old.widths['regime']} to the {new.widths['regime']} regime "
                            "(the Z' width sets where the narrow-width chain ends), which "
                            "changes the events' e+e- masses; run zpgen generate")
        if old.nu4_decays != new.nu4_decays:
            state = "decays" if new.nu4_decays else "no longer decays"
            raise CardError(f"{self._what()}: with the new couplings nu4 {state} in the record "
                            "(g_4a and the Z' couplings decide), which changes the particles "
                            "of the events; run zpgen generate")
        self.cp_old = np.ascontiguousarray([xsec.channel_params(c, old.pc, old.physics)
                                            for c in self.channels], dtype=np.float64)
        self.cp_new = np.ascontiguousarray([xsec.channel_params(c, new.pc, new.physics)
                                            for c in self.channels], dtype=np.float64)
        self._check_support()
        do, dn = old.dp[0], new.dp[0]
        self._scale = np.array([dn[k] / do[k] if do[k] > 0.0 else 1.0
                                for k in ("ctau5", "ctau_z", "ctau4")], dtype=np.float64)

    def _what(self) -> str:
        return ", ".join(self.changed) or "the new card"

    def _check_support(self) -> None:
        """Refuse new couplings that give weight where the file has no events."""
        do, dn = self.old.dp[0], self.new.dp[0]
        opened = []
        if do["br_b"] == 0.0 and dn["br_b"] > 0.0:
            opened.append("nu5 -> nu_light Z' (g_5a)")
        if self.old.br_nu4 == 0.0 and self.new.br_nu4 > 0.0:
            opened.append("nu5 -> nu4 Z' (g_45)")
        if self.old.nu4_decays:
            bo, bn = self.old.widths["BR"], self.new.widths["BR"]
            for key, label in (("Zprime_ee", "Z' -> e+e-"), ("Zprime_mumu", "Z' -> mu+mu-"),
                               ("Zprime_nunu", "Z' -> nu nubar (g_nu)")):
                if bo[key] == 0.0 and bn[key] > 0.0:
                    opened.append(f"{label} in the nu4 decay")
        for ctau in ("ctau5", "ctau_z", "ctau4"):
            if (do[ctau] > 0.0) != (dn[ctau] > 0.0):
                opened.append(f"a decay length ({ctau}) from {do[ctau]:g} to {dn[ctau]:g} cm")
        for name, po, pn in zip(self.channels, self.cp_old, self.cp_new, strict=True):
            if xsec.sigma(_E_REFERENCE, po) == 0.0 and xsec.sigma(_E_REFERENCE, pn) > 0.0:
                opened.append(f"the channel {name}")
        if opened:
            raise CardError(f"{self._what()}: the new couplings open {'; '.join(opened)}, of "
                            "which the file holds no events (its weight there was 0); "
                            "run zpgen generate at the new couplings")

    @property
    def moves_vertices(self) -> bool:
        """Whether a decay length changes, i.e. :meth:`reweight` moves decay vertices."""
        return bool(np.any(self._scale != 1.0))

    def reweight(self, chunk: Any) -> tuple[FloatArray, Any]:
        """``(r, events)`` of an awkward chunk (generator chunk format): the factors that
        multiply ``w`` and ``w_xsec``, and the chunk with its flights and decay vertices at
        the new decay lengths (the chunk itself when no decay length changes)."""
        import awkward as ak

        parts = chunk["particles"]
        counts = ak.to_numpy(ak.num(parts, axis=1)).astype(np.int64)
        starts = np.zeros(counts.size, dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        flat = {name: np.array(ak.to_numpy(ak.flatten(parts[name], axis=1)),
                               dtype=np.int32 if name == "pdg" else np.float64)
                for name in ("pdg", "E", "px", "py", "pz", "x", "y", "z", "t")}

        def column(name: str, dtype: Any) -> Any:
            return np.ascontiguousarray(ak.to_numpy(chunk[name]), dtype=dtype)

        channel = column("channel", np.int64)
        if channel.size and (channel.min() < 0 or channel.max() >= len(self.channels)):
            raise CardError(f"channel: index outside 0..{len(self.channels) - 1} in the file, "
                            f"whose run document lists {len(self.channels)} channels")
        out = np.empty(len(chunk))
        reweight_factors(channel, column("E_nu", np.float64), column("t", np.float64), starts,
                         counts, flat["pdg"], flat["E"], flat["px"], flat["py"], flat["pz"],
                         self.cp_old, self.cp_new, self.old.dp, self.new.dp, out)
        if not self.moves_vertices:
            return out, chunk
        flights = np.array([column(f, np.float64) for f in dc.FLIGHT_FIELDS],
                           dtype=np.float64).reshape(len(dc.FLIGHT_FIELDS), -1)
        move_decay_vertices(starts, counts, flat["pdg"], flat["E"], flat["px"], flat["py"],
                            flat["pz"], flat["x"], flat["y"], flat["z"], flat["t"], flights,
                            bool(self.old.dp[0]["offshell"]), self._scale)
        moved = {f: ak.unflatten(flat[f], counts) for f in ("x", "y", "z", "t")}
        particles = ak.zip({f: moved.get(f, parts[f]) for f in parts.fields})
        fields = {k: chunk[k] for k in chunk.fields}
        fields["particles"] = particles
        for k, name in enumerate(dc.FLIGHT_FIELDS):
            fields[name] = flights[k]
        return out, ak.zip(fields, depth_limit=1)

    def describe(self) -> Mapping[str, Any]:
        """What changes (JSON-compatible): the keys, and the visible BR and decay lengths
        at both cards."""
        def point(p: Any) -> dict[str, Any]:
            return {"br_visible": p.br_visible, "br_visible_nu4": p.br_nu4,
                    "br_visible_nu_light": p.br_nu_light,
                    "ctau_cm": {k: (v if math.isfinite(v) else None)
                                for k, v in p.widths["ctau_cm"].items()},
                    "couplings": p.pc.as_dict()}
        return {"changed": list(self.changed), "from": point(self.old),
                "to": point(self.new), "masses_GeV": {"m4": self.old.pc.m4,
                                                      "m5": self.old.pc.m5,
                                                      "mzprime": self.old.pc.mzprime},
                "me_GeV": constants.M_E}
