"""Nuclear data for the scattering channels: one record per target nucleus.

A detector declares its material as numbers of nuclei (``{"C12": n, "H1": 2 n}`` for CH2);
the process turns each nucleus into its channels (:func:`channel_kinds`): coherent
scattering on the nucleus and incoherent scattering on its bound protons and neutrons, or
scattering on the free proton of hydrogen.  Adding a nucleus is one entry here.

Sources
-------
* Masses: atomic masses from the ``particle`` package (PDG / AME; 12C is exactly 12 u),
  minus the electrons, plus their total binding energy: the sum of the NIST ionisation
  energies for 12C (1030.1 eV, NIST Atomic Spectra Database; 11.17486 GeV, PHYSICS.md
  "Conventions"), the fit ``B_e(Z) = 14.4381 Z^2.39 + 1.55468e-6 Z^5.35 eV`` of
  Lunney, Pearson and Thibault, Rev. Mod. Phys. 75 (2003) 1021, eq. (A4) otherwise (its
  error, tens of eV, is below 1e-9 of the mass).  The hydrogen "nucleus" is the proton.
* Fermi momenta k_F and binding (separation) energies eps (PHYSICS.md "Nucleon and
  nuclear currents"): quasielastic electron scattering, Moniz et al., Phys. Rev. Lett. 26
  (1971) 445, Table I: 12C 221 MeV, 25 MeV; 40Ca 251 MeV, 28 MeV, used for 40Ar (the same
  A; argon was not measured there).  16O is not in that table either: 225 MeV, 27 MeV, the
  relativistic-Fermi-gas values neutrino generators use for oxygen (Smith and Moniz,
  Nucl. Phys. B 43 (1972) 605).  The dark_neutrino process's Pauli-blocked free-nucleon
  model uses k_F only; eps is carried for processes with a binding model.
* Nuclear form factor: Helm with the Lewin-Smith parameters, a function of A only
  (:func:`zpgen.processes.form_factors.helm_radius`).
"""

from __future__ import annotations

from dataclasses import dataclass

from zpgen import constants
from zpgen.registry import ChannelInfo

from .form_factors import helm_radius

__all__ = ["NUCLEI", "Nucleus", "channel_kinds", "label", "nucleus", "nucleus_pdg", "target_info"]


def nucleus_pdg(Z: int, A: int) -> int:
    """PDG nuclear code 10LZZZAAAI (L = I = 0)."""
    return 1000000000 + 10000 * Z + 10 * A


#: Measured total electron binding energies (GeV) where known: 12C, the sum of the six
#: ionisation energies of carbon (NIST Atomic Spectra Database).
_MEASURED_ELECTRON_BINDING_GEV = {6: 1030.1e-9}


def _electron_binding_gev(Z: int) -> float:
    """Total electron binding energy (GeV): measured, else Lunney et al. (2003) eq. (A4)."""
    if Z in _MEASURED_ELECTRON_BINDING_GEV:
        return _MEASURED_ELECTRON_BINDING_GEV[Z]
    return (14.4381 * Z**2.39 + 1.55468e-6 * Z**5.35) * 1e-9


def _nuclear_mass_gev(Z: int, A: int) -> float:
    """Nuclear mass (GeV) from the atomic mass (``particle``) minus Z electrons plus
    their binding energy."""
    atomic = constants.pdg_mass_gev(nucleus_pdg(Z, A))
    return atomic - Z * constants.M_E + _electron_binding_gev(Z)


@dataclass(frozen=True)
class Nucleus:
    """One nucleus of the table (module docstring).

    Attributes
    ----------
    name : short name used in channel names and detector materials ("C12")
    Z, A : proton and mass numbers
    mass_GeV : nuclear mass (GeV)
    k_fermi_GeV : Fermi momentum (GeV); 0 for hydrogen (no bound nucleons)
    binding_GeV : Fermi-gas binding (separation) energy eps (GeV); 0 for hydrogen
    """

    name: str
    Z: int
    A: int
    mass_GeV: float
    k_fermi_GeV: float
    binding_GeV: float

    @property
    def N(self) -> int:
        return self.A - self.Z

    @property
    def pdg(self) -> int:
        return nucleus_pdg(self.Z, self.A)

    @property
    def helm_GeV_inv(self) -> tuple[float, float]:
        """Helm parameters (r_n, s) in GeV^-1, Lewin-Smith (:func:`form_factors.helm_radius`)."""
        return helm_radius(self.A)


NUCLEI: dict[str, Nucleus] = {
    "H1": Nucleus("H1", 1, 1, constants.M_P, 0.0, 0.0),
    "C12": Nucleus("C12", 6, 12, _nuclear_mass_gev(6, 12), 0.221, 0.025),
    "O16": Nucleus("O16", 8, 16, _nuclear_mass_gev(8, 16), 0.225, 0.027),
    "Ar40": Nucleus("Ar40", 18, 40, _nuclear_mass_gev(18, 40), 0.251, 0.028),
}


def nucleus(name: str) -> Nucleus:
    """The table's record of ``name``; ``ValueError`` naming the known nuclei."""
    try:
        return NUCLEI[name]
    except KeyError:
        raise ValueError(f"no nuclear data for {name!r}; known nuclei: "
                         f"{', '.join(NUCLEI)}") from None


def channel_kinds(name: str) -> tuple[str, ...]:
    """The channel kinds of a nucleus: ``("coherent", "proton", "neutron")``, or
    ``("proton",)`` for hydrogen (one free proton, nothing coherent)."""
    n = nucleus(name)
    if n.A == 1:
        return ("proton",)
    return ("coherent", "proton", "neutron")


def label(n: Nucleus) -> str:
    """The nucleus as physicists write it: ``"12C"``, ``"40Ar"``, ``"1H"``."""
    return f"{n.A}{n.name.rstrip('0123456789')}"


def target_info(name: str, n: Nucleus, kind: str, process_id: int, description: str,
                citations: tuple[str, ...]) -> ChannelInfo:
    """What channel ``name`` (``kind`` coherent, proton or neutron on nucleus ``n``) scatters
    on, for any process: the target (the nucleus, a free proton, or a bound nucleon), how
    many per nucleus, whether bound, and the remnant nucleus a bound nucleon leaves (A - 1,
    Z - 1 for a proton).  ``process_id``, ``description`` and ``citations`` are the
    process's."""
    if kind == "coherent":
        target, per_nucleus, bound, remnant = n.pdg, 1, False, 0
    elif n.A == 1:
        target, per_nucleus, bound, remnant = 2212, 1, False, 0
    elif kind == "proton":
        target, per_nucleus, bound, remnant = 2212, n.Z, True, nucleus_pdg(n.Z - 1, n.A - 1)
    else:
        target, per_nucleus, bound, remnant = 2112, n.N, True, nucleus_pdg(n.Z, n.A - 1)
    return ChannelInfo(name, nucleus=n.name, target_pdg=target, nucleus_pdg=n.pdg,
                       nucleus_mass_GeV=n.mass_GeV, targets_per_nucleus=per_nucleus,
                       bound=bound, remnant_pdg=remnant, process_id=process_id,
                       description=description, citations=citations)
