"""The dark-neutrino process's part of the run card: its ``[model]`` and ``[physics]`` tables.

Every field is declared once, with its unit, allowed range and meaning, through the
engine's field metadata (:func:`zpgen.card.spec`), which drives validation, ``--set``,
``zpgen card --explain`` and the error messages (PHYSICS.md, "Couplings", "Nucleon and
nuclear currents").  :data:`CARD_SCHEMA` is what the process plugin gives the card parser
(:meth:`zpgen.processes.dark_neutrino.DarkNeutrinoProcess.card_schema`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from zpgen import constants
from zpgen.card import REQUIRED, CardError, CardSchema, SectionSpec, spec

from .nuclei import NUCLEI

__all__ = ["B_PAPER_C12", "CARD_SCHEMA", "MAX_COUPLING", "MAX_MASS_GEV", "MAX_MIXING",
           "BLSMInput", "CouplingsInput", "ModelConfig", "PhysicsConfig", "validate"]

#: Validity range of the model (``zpgen card --explain`` shows each field's range).
#: Masses: the BNB flux (E_nu < 10 GeV) cannot make heavier states, and the Z' width has
#: no hadronic channels, which matter well below this already.
MAX_MASS_GEV = 10.0
#: Couplings: perturbative, |g| <= sqrt(4 pi) (g^2/4pi <= 1).
MAX_COUPLING = math.sqrt(4.0 * math.pi)
#: Mixing overlaps of the BLSM front ends are elements of a unitary matrix: |u| <= 1.
MAX_MIXING = 1.0
#: Slope of the paper's coherent form factor exp(2 b t) for 12C (GeV^-2), paper eq. 24.
B_PAPER_C12 = 25.0


def _coupling(default: Any, doc: str) -> Any:
    return spec(default, doc, lo=-MAX_COUPLING, hi=MAX_COUPLING)


def _mixing(default: Any, doc: str) -> Any:
    return spec(default, doc, lo=-MAX_MIXING, hi=MAX_MIXING)


@dataclass(frozen=True)
class CouplingsInput:
    """[model.couplings]: physical Z' couplings (PHYSICS.md, "Couplings")."""

    g_mu5: float = _coupling(REQUIRED, "Z' nu5 nu_mu coupling (P_L), production vertex")
    g_45: float = _coupling(REQUIRED, "Z' nu5 nu4 coupling (P_L), visible decay nu5 -> nu4 Z'")
    g_5a: float = _coupling(0.0, "Z' nu5 nu_light coupling (P_L), summed in quadrature over "
                                 "flavours")
    g_4a: float = _coupling(0.0, "Z' nu4 nu_light coupling (P_L), summed in quadrature over "
                                 "flavours")
    cv_l: float = _coupling(REQUIRED, "vector Z' coupling C_V of e and mu (lepton universal)")
    ca_l: float = _coupling(0.0, "axial Z' coupling C_A of e and mu (lepton universal)")
    g_nu: float = _coupling(0.0, "Z' nu_a nu_a coupling per light flavour (P_L)")
    g_p: float = _coupling(REQUIRED, "proton vector coupling (charge of the Z' current at "
                                      "t = 0)")
    g_n: float = _coupling(REQUIRED, "neutron vector coupling (charge of the Z' current at "
                                      "t = 0)")


@dataclass(frozen=True)
class BLSMInput:
    """[model.blsm]: B-L + kinetic-mixing parameters (paper eqs. 4-5, 14-15)."""

    g_bl: float = _coupling(REQUIRED, "U(1)_{B-L} gauge coupling g_(B-L) (non-zero for "
                                       "kind = 'blsm')")
    g_tilde: float = _coupling(REQUIRED, "gauge kinetic-mixing coupling g~")
    theta_prime: float = spec(
        math.nan, "Z-Z' mixing angle theta' (blsm-paper only; blsm derives it from eq. 5)",
        unit="rad", finite=False)
    u_mu5: float = _mixing(REQUIRED, "active-nu_mu / nu5 mixing overlap sum_a V*_5a V_mu a")
    u_45: float = _mixing(REQUIRED, "nu4 / nu5 mixing overlap |U_{nu5 nu4}| (paper section 5)")
    u_5a: float = _mixing(0.0, "nu5 / light-neutrino overlap, quadrature sum over flavours")
    u_4a: float = _mixing(0.0, "nu4 / light-neutrino overlap, quadrature sum over flavours")


@dataclass(frozen=True)
class ModelConfig:
    """[model]: masses, heavy-neutrino nature and the coupling front end."""

    kind: str = spec("couplings", "how couplings are given",
                   choices=("couplings", "blsm", "blsm-paper"))
    heavy_neutrino: str = spec("dirac", "nature of nu4 and nu5", choices=("dirac", "majorana"))
    m4: float = spec(REQUIRED, "nu4 mass", unit="GeV", lo=0.0, lo_open=True, hi=MAX_MASS_GEV)
    m5: float = spec(REQUIRED, "nu5 mass", unit="GeV", lo=0.0, lo_open=True, hi=MAX_MASS_GEV)
    mzprime: float = spec(REQUIRED, "Z' mass", unit="GeV", lo=0.0, lo_open=True,
                        hi=MAX_MASS_GEV)
    nu4_decays: bool = spec(True, "let nu4 decay (nu4 -> nu Z' -> nu e+ e-)")
    couplings: CouplingsInput | None = None
    blsm: BLSMInput | None = None


@dataclass(frozen=True)
class PhysicsConfig:
    """[physics]: modelling switches (PHYSICS.md, "Nucleon and nuclear currents")."""

    coherent_form_factor: str = spec("helm", "12C nuclear form factor", choices=("helm", "paper"))
    nucleon_model: str = spec("pauli", "bound-nucleon treatment",
                            choices=("pauli", "free", "paper"))
    decay_correlations: str = spec("full", "spin correlations in the decay chain",
                                 choices=("full", "isotropic"))
    nu5_spin: str = spec(
        "exact",
        "spin state of the produced nu5 in its decay: exact = the polarisation vector from "
        "the production amplitude at the event's (E_nu, t) (longitudinal and transverse; "
        "near threshold the nu5 is not purely helicity -1/2); helicity = pure helicity -1/2 "
        "(+1/2 for the antiparticle of a numubar beam), the behaviour of releases before "
        "it, bit for bit",
        choices=("exact", "helicity"))
    visible_modes: str = spec(
        "all",
        "nu5 decay modes that give the visible e+e- pair: all = nu5 -> nu4 Z' -> nu4 e+e- "
        "(nu4 e+e- through a virtual Z' off shell) and nu5 -> nu_light Z' -> nu_light e+e- "
        "(open for M_Z' < m5; it dominates the nu5 width when the nu4 chain is off shell); "
        "nu4 = the nu4 chain only, PHYSICS.md's rate formula with BR(nu5 -> nu4 Z')",
        choices=("all", "nu4"))
    nucleon_form_factor: str = spec(
        "full",
        "nucleon-current form factors: full = F1(t), F2(t) at the event's t; point = "
        "point-like Dirac nucleon (F1 = its charge g_p or g_n, F2 = 0), as a MadGraph UFO "
        "with an elementary proton computes; frozen = F1, F2 evaluated at the fixed "
        "q^2 = +M_Z'^2 as the paper's MadGraph check did. Applies to the nucleon current "
        "only (nucleon channels and the paper-mode coherent term); the nuclear form factor "
        "and Pauli blocking keep their own switches",
        choices=("full", "point", "frozen"))
    kappa_s: float = spec(constants.KAPPA_S,
                        "isoscalar anomalous magnetic moment k_p + k_n (paper eq. 23)",
                        lo=-10.0, hi=10.0)
    k_fermi: float = spec(NUCLEI["C12"].k_fermi_GeV, "Fermi momentum of 12C (other nuclei: "
                          "processes/nuclei.py)", unit="GeV",
                        lo=0.0, lo_open=True, hi=1.0)
    b_paper: float = spec(B_PAPER_C12, "slope b of exp(2 b t) (paper eq. 24)",
                        unit="GeV^-2", lo=0.0, hi=1000.0)


def validate(model: ModelConfig, physics: PhysicsConfig) -> None:
    """Rules across the fields of [model] (the front ends' tables, masses, a decaying Z')."""
    if model.kind == "couplings":
        if model.couplings is None:
            raise CardError("model.couplings: kind = 'couplings' needs a [model.couplings] table")
        if model.blsm is not None:
            raise CardError("model.blsm: not used with kind = 'couplings'; remove the table "
                            "or set model.kind = 'blsm'")
    else:
        if model.blsm is None:
            raise CardError(f"model.blsm: kind = '{model.kind}' needs a [model.blsm] table")
        if model.couplings is not None:
            raise CardError(f"model.couplings: not used with kind = '{model.kind}'; "
                            "remove the table or set model.kind = 'couplings'")
        theta = model.blsm.theta_prime
        if model.kind == "blsm-paper":
            if not math.isfinite(theta):
                raise CardError("model.blsm.theta_prime: required (finite, radians, within "
                                "[-pi/4, pi/4]) for kind = 'blsm-paper'")
            if abs(theta) > math.pi / 4:
                raise CardError(f"model.blsm.theta_prime: must lie in [-pi/4, pi/4] rad "
                                f"(paper eq. 4), got {theta!r}")
        elif not math.isnan(theta):
            raise CardError("model.blsm.theta_prime: derived from eq. 5 in kind = 'blsm'; "
                            "remove it, or use kind = 'blsm-paper' to set it by hand")
        if model.kind == "blsm" and model.blsm.g_bl == 0.0:
            raise CardError("model.blsm.g_bl: must be non-zero for kind = 'blsm' (M_Z' = "
                            "2 |g_BL| v' sets the B-L vev), got 0.0; use kind = 'couplings' "
                            "for a Z' without a B-L coupling")
    if model.m5 <= model.m4:
        raise CardError(f"model.m5: must be > model.m4 = {model.m4} GeV (nu5 decays to nu4), "
                        f"got {model.m5}")
    if model.mzprime <= 2.0 * constants.M_E:
        raise CardError(f"model.mzprime: must be > 2 m_e = {2 * constants.M_E:.6g} GeV "
                        f"(Z' -> e+ e- must be open), got {model.mzprime}")
    c = model.couplings
    if c is not None and c.cv_l == 0.0 and c.ca_l == 0.0 and c.g_nu == 0.0:
        raise CardError("model.couplings.cv_l: cv_l, ca_l and g_nu are all 0: the Z' would "
                        "not decay (zero width; no e+ e- signal); give the Z' a coupling")


#: The [model] (with its nested front-end tables) and [physics] sections of the process.
CARD_SCHEMA = CardSchema(
    sections={
        "model": SectionSpec(ModelConfig, nested={"couplings": CouplingsInput,
                                                  "blsm": BLSMInput},
                             required=True, missing="masses and couplings"),
        "physics": SectionSpec(PhysicsConfig),
    },
    validate=lambda built: validate(built["model"], built["physics"]))
