"""Expected event rate (PHYSICS.md, "Event rate").

N = N_POT sum_T n_T int dE Phi(E) sigma_T(E) x BR(visible), with Phi in nu/cm^2/POT/GeV
piecewise constant per flux bin, sigma_T per target particle (cm^2), n_T the detector's
number of targets of each channel (the detector's material times the
targets per nucleus) and BR(visible) following the card switch
``physics.visible_modes`` (:func:`zpgen.processes.widths.visible_branching_ratio`):
``nu4``: BR_A = BR(nu5 -> nu4 Z') BR(Z' -> e+ e-) in the on-shell regime or
BR(nu5 -> nu4 e+ e-) off shell (PHYSICS.md's formula); ``all`` (default): BR_A + BR_B with
BR_B = BR(nu5 -> nu_light Z') BR(Z' -> e+ e-) (``M_Z' < m5``), the same e+e- signature.
The generator's weights sum to the same BR.  Detector efficiency and selection are applied
to generated events (``w_eff``, ``one_ring``), not here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zpgen.card import Card

from . import xsec
from .couplings import physical_couplings

__all__ = ["flux_folded_sigma", "rate_summary"]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)


def flux_folded_sigma(edges: np.ndarray, density: np.ndarray, params: np.ndarray) -> float:
    """int Phi(E) sigma(E) dE in cm^2/POT (Phi piecewise constant; 8-point Gauss-Legendre
    per bin, with the bin containing the threshold split at it)."""
    e_th = xsec.threshold(params[xsec.I_M], params[xsec.I_M5])
    total = 0.0
    for lo, hi, phi in zip(edges[:-1], edges[1:], density, strict=True):
        if hi <= e_th or phi == 0.0:
            continue
        lo = max(lo, e_th)
        energies = 0.5 * (hi + lo) + 0.5 * (hi - lo) * _GL_X
        total += phi * 0.5 * (hi - lo) * float(_GL_W @ xsec.sigma_array(energies, params))
    return total


def rate_summary(card: Card, flux: Any, detector: Any) -> dict[str, Any]:
    """Expected events per channel before detector efficiency, with every factor."""
    from zpgen.registry import channel_targets, check_beam_flavour

    from .dark_neutrino import DarkNeutrinoProcess
    from .widths import visible_branching_ratio, visible_branching_ratios, widths

    check_beam_flavour(DarkNeutrinoProcess, flux)
    pc = physical_couplings(card.model)
    names, targets = channel_targets(DarkNeutrinoProcess(pc, card.physics), detector)
    modes = card.physics.visible_modes
    w = widths(pc)
    parts = visible_branching_ratios(pc, w)
    br = visible_branching_ratio(pc, w, modes)
    folded = {}
    events = {}
    for channel in names:
        params = xsec.channel_params(channel, pc, card.physics)
        folded[channel] = flux_folded_sigma(np.asarray(flux.edges), np.asarray(flux.density),
                                            params)
        events[channel] = detector.pot * targets[channel] * folded[channel] * br
    flux_integral = flux.integral()
    return {
        "units": {"events": "events", "flux_integral": "nu/cm2/POT",
                  "flux_folded_sigma": "cm2/POT", "flux_averaged_sigma": "cm2"},
        "pot": detector.pot,
        "targets": dict(targets),
        "flux": {"name": flux.name, "flavour": flux.flavour, "integral": flux_integral},
        "flux_folded_sigma": folded,
        "flux_averaged_sigma": {k: v / flux_integral for k, v in folded.items()},
        "BR_visible": br,
        "visible_modes": modes,
        "BR_visible_parts": {"nu5_nu4": parts["nu4"],
                             "nu5_nu_light": parts["nu"] if modes == "all" else 0.0},
        "events": events,
        "total_events": sum(events.values()),
        "note": "before detector efficiency and the one-ring selection",
    }
