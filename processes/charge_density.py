"""Nuclear charge densities as Fourier-Bessel fits, for the coherent charge form factor.

PHYSICS.md, "Beyond the seed" (dipole portal: "Z F_ch(t) ... Helm, or the nuclear charge
distribution's Fourier-Bessel fit with its source").  The fits are
``rho(r) = sum_v a_v j0(v pi r/R)`` for ``r < R`` (0 beyond) from H. de Vries, C. W. de
Jager and C. de Vries, Atomic Data and Nuclear Data Tables 36 (1987) 495, as tabulated in
DarkNews 0.4.8 (``data/fourier_bessel_charge.json``; the MIT licence notice of DarkNews is
``data/NOTICE_DarkNews.txt``).  The form factor itself is the Numba kernel
:func:`zpgen.processes.dipole_xsec.fourier_bessel`; this module reads the table.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from .form_factors import fm_to_inv_gev

__all__ = ["DATA_FILE", "charge_from_density", "data_path", "fourier_bessel_table",
           "fourier_bessel_terms"]

#: The table, in the package's ``data`` folder.
DATA_FILE = "fourier_bessel_charge.json"


def data_path() -> str:
    """Path of the table (for fingerprints: ``data_files()`` of the process)."""
    return str(resources.files("zpgen.processes").joinpath("data", DATA_FILE))


@cache
def fourier_bessel_table() -> dict[str, Any]:
    """The table as read: ``{"nuclei": {name: {"R": fm, "a": [fm^-3, ...]}}, ...}``."""
    text = resources.files("zpgen.processes").joinpath("data", DATA_FILE).read_text(
        encoding="utf-8")
    table: dict[str, Any] = json.loads(text)
    return table


def fourier_bessel_terms(nucleus_name: str) -> tuple[float, npt.NDArray[np.float64]]:
    """``(R in GeV^-1, coefficients a_v)`` of a nucleus (the a_v's unit cancels in F(q)).

    Raises ``ValueError`` naming the nuclei the table has.
    """
    nuclei = fourier_bessel_table()["nuclei"]
    if nucleus_name not in nuclei:
        raise ValueError(f"physics.coherent_form_factor: no Fourier-Bessel charge density for "
                         f"{nucleus_name!r}; the table ({DATA_FILE}) has "
                         f"{', '.join(nuclei)}; use 'helm'")
    entry = nuclei[nucleus_name]
    return fm_to_inv_gev(float(entry["R"])), np.asarray(entry["a"], dtype=np.float64)


def charge_from_density(nucleus_name: str) -> float:
    """Total charge ``4 pi int rho r^2 dr = 4 R^3 sum_v (-1)^(v+1) a_v/(v^2 pi)`` (fm, fm^-3:
    in units of e), a check of the table against Z."""
    entry = fourier_bessel_table()["nuclei"][nucleus_name]
    R = float(entry["R"])
    return sum(4.0 * R**3 * (-1.0) ** (v + 1) * a / (v * v * math.pi)
               for v, a in enumerate(entry["a"], start=1))
