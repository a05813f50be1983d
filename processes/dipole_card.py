"""The dipole-portal process's part of the run card: its ``[model]`` and ``[physics]`` tables.

PHYSICS.md, "Beyond the seed: conventions for the next processes" (dipole portal).  Every
field is declared once with its unit, range and meaning (:func:`zpgen.card.spec`), which
drives validation before any work, ``--set``, ``zpgen card --explain`` and the one-line
errors (``model.d: must be > 0.0 GeV^-1, got -1e-06``).  :data:`CARD_SCHEMA` is what
:meth:`zpgen.processes.dipole_portal.DipolePortalProcess.card_schema` gives the parser.

``[model]``
    ``m_N`` (GeV), the heavy neutral lepton's mass; ``d`` (GeV^-1), the dipole coupling of
    ``L = d nubar_{alpha,L} sigma^{mu nu} N F_{mu nu} + h.c.`` (the effective transition
    moment is 2 d; in Bohr magnetons ``d/mu_B = d x 3.375e-3`` for d in GeV^-1, i.e. mu_B =
    296.3 GeV^-1); ``nature`` (``dirac`` | ``majorana``); ``flavour`` (``mu`` | ``e``), the
    light flavour alpha the dipole couples N to: the beam must be nu_alpha (N decays to
    nu_alpha gamma) or nubar_alpha (the CP conjugate: Nbar -> nubar_alpha gamma).
``[physics]``
    ``coherent_form_factor`` (``helm`` | ``fourier_bessel``), ``nucleon_model`` (``pauli``
    | ``free``) and ``decay_correlations`` (``full`` | ``isotropic``).
"""

from __future__ import annotations

from dataclasses import dataclass

from zpgen.card import REQUIRED, CardSchema, SectionSpec, spec

__all__ = ["CARD_SCHEMA", "FLAVOURS", "MAX_D_GEV_INV", "MAX_MASS_GEV", "DipoleModel",
           "DipolePhysics"]

#: Largest N mass (GeV): the accelerator fluxes (E_nu < 10 GeV) cannot make heavier states.
MAX_MASS_GEV = 10.0
#: Largest dipole coupling (GeV^-1): d m_N < 1 keeps the effective operator meaningful for
#: m_N up to 1 GeV (the new-physics scale 1/d above the energies involved); limits are
#: 1e-9 ... 1e-5 GeV^-1 (Magill et al., PRD 98 (2018) 115015, Fig. 1).
MAX_D_GEV_INV = 1.0
#: Light flavours the process models: flavour -> (flux flavour of the beam, PDG of nu_alpha).
FLAVOURS: dict[str, tuple[str, int]] = {"mu": ("numu", 14), "e": ("nue", 12)}


@dataclass(frozen=True)
class DipoleModel:
    """[model]: the heavy neutral lepton and its dipole coupling (module docstring)."""

    m_N: float = spec(REQUIRED, "mass of the heavy neutral lepton N", unit="GeV", lo=0.0,
                      lo_open=True, hi=MAX_MASS_GEV)
    d: float = spec(REQUIRED, "dipole coupling d of L = d nubar_L sigma^{mu nu} N F_{mu nu} "
                              "+ h.c. (1 GeV^-1 = 3.375e-3 mu_B, mu_B = e/2m_e; the "
                              "effective transition moment is 2d)",
                    unit="GeV^-1", lo=0.0, lo_open=True, hi=MAX_D_GEV_INV)
    nature: str = spec("dirac", "nature of N: dirac (N -> nu gamma) or majorana (N -> nu "
                                "gamma and nubar gamma, twice the width)",
                       choices=("dirac", "majorana"))
    flavour: str = spec("mu", "light flavour alpha of the dipole: the beam is nu_alpha (N "
                              "decays to nu_alpha gamma) or nubar_alpha (Nbar -> nubar_alpha "
                              "gamma)", choices=tuple(FLAVOURS))


@dataclass(frozen=True)
class DipolePhysics:
    """[physics]: modelling switches of the dipole-portal process."""

    coherent_form_factor: str = spec(
        "helm", "nuclear charge form factor of the coherent channels: helm (Lewin-Smith "
                "parameters) or fourier_bessel (de Vries et al. 1987 charge-density fit; "
                "12C, 16O, 40Ar)", choices=("helm", "fourier_bessel"))
    nucleon_model: str = spec("pauli", "bound nucleons: pauli (free-nucleon cross section x "
                                       "Fermi-gas Pauli blocking) or free",
                              choices=("pauli", "free"))
    decay_correlations: str = spec(
        "full", "photon direction in N -> nu gamma: full (1 + alpha P.n with the produced N's "
                "polarisation P) or isotropic (comparison only)",
        choices=("full", "isotropic"))


#: The [model] and [physics] sections of the process.
CARD_SCHEMA = CardSchema(
    sections={
        "model": SectionSpec(DipoleModel, required=True, missing="m_N and d"),
        "physics": SectionSpec(DipolePhysics),
    })
