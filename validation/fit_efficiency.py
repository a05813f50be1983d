"""Fit a smooth function to MiniBooNE's single e/gamma reconstruction efficiency.

Input: ``efficiency/eg_effs.dat`` of the MiniBooNE public data (2012 nue/nuebar data
release: generated energy in MeV, efficiency, systematic error), read from
``$ZPGEN_MINIBOONE_DATA`` (default ``../shared/data/miniboone`` next to the checkout).
It is never copied into the repository; only the fitted parameters are
(``detectors/data/efficiency_fit.json``, read by the ``miniboone`` detector).

Model (PHYSICS.md, "MiniBooNE observables and detector response"), E in GeV::

    eff(E) = A * s((E - E_on) / w_on) * exp(-E / lambda) * s((E_off - E) / w_off),
    s(x) = 1 / (1 + exp(-x)),   clipped to [0, 1]

a logistic turn-on, an exponential fall (the measured efficiency drops from 0.14 at 0.35
GeV to 0.05 at 1.8 GeV) and a logistic cut-off where the table falls sharply at 2 GeV.
Outside the measured 0.05-2 GeV it tends smoothly to 0 at both ends: below the turn-on
nothing is reconstructed, and above 2 GeV the efficiency is not measured, so the fit
extrapolates the observed collapse (a conservative choice; dark-neutrino events at
MiniBooNE have E_vis mostly below 1.5 GeV).

Weights: 1 / error^2.  The first point (50 MeV, efficiency 0 +- 0) has no error; it gets
the smallest non-zero error in the table.  The turn-on width is bounded below by 20 MeV:
the data have one point below 150 MeV and cannot fix it, and a selection threshold on
reconstructed energy cannot be sharper than the ~30 % energy resolution at 150 MeV.

The efficiency includes the fiducial-volume cut R < 500 cm of the 610.6 cm tank (the
data's README); the fiducial acceptance (500/610.6)^3 is stored in the JSON so that the
detector can divide it out when it already places vertices only in the fiducial volume.

Usage: ``python validation/fit_efficiency.py [--data DIR] [--output JSON]``; prints
chi2/ndf, writes the JSON and, if matplotlib is installed, validation/out/efficiency_fit.png
plus validation/out/efficiency_fit.json (a summary; not committed).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import curve_fit

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("ZPGEN_MINIBOONE_DATA", REPO.parent / "shared/data/miniboone"))
DEFAULT_OUTPUT = REPO / "detectors" / "data" / "efficiency_fit.json"
OUT_DIR = REPO / "validation" / "out"

#: Parameter names, in the order of :func:`efficiency_model`.
PARAMETERS = ("amplitude", "E_on_GeV", "w_on_GeV", "lambda_GeV", "E_off_GeV", "w_off_GeV")
#: Radii of the tank and of the fiducial cut included in eg_effs.dat (cm).
TANK_RADIUS_CM = 610.6
DATA_FIDUCIAL_RADIUS_CM = 500.0


def _logistic(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def efficiency_model(E_GeV: npt.ArrayLike, amplitude: float, E_on_GeV: float, w_on_GeV: float,
                     lambda_GeV: float, E_off_GeV: float, w_off_GeV: float
                     ) -> npt.NDArray[np.float64]:
    """The fitted shape (unclipped), E in GeV; the same formula as the detector's."""
    energy = np.asarray(E_GeV, dtype=np.float64)
    return (amplitude * _logistic((energy - E_on_GeV) / w_on_GeV) * np.exp(-energy / lambda_GeV)
            * _logistic((E_off_GeV - energy) / w_off_GeV))


def fit(data_file: Path) -> dict[str, Any]:
    """Fit the model to ``eg_effs.dat``; returns the JSON-ready result."""
    table = np.loadtxt(data_file, comments="#")
    E_GeV = table[:, 0] * 1e-3
    efficiency = table[:, 1]
    error = table[:, 2].copy()
    floor = float(error[error > 0].min())
    error[error <= 0] = floor
    p0 = [0.17, 0.14, 0.03, 2.0, 2.0, 0.05]
    bounds = ([0.0, 0.0, 0.02, 0.1, 1.0, 0.005], [1.0, 1.0, 0.5, 100.0, 10.0, 2.0])
    popt, pcov = curve_fit(efficiency_model, E_GeV, efficiency, p0=p0, sigma=error,
                           absolute_sigma=True, bounds=bounds, maxfev=20000)
    model = np.clip(efficiency_model(E_GeV, *popt), 0.0, 1.0)
    pulls = (model - efficiency) / error
    chi2 = float(np.sum(pulls**2))
    ndf = int(E_GeV.size - len(popt))
    return {
        "description": "MiniBooNE single e/gamma reconstruction efficiency vs generated "
                       "energy, smooth fit (validation/fit_efficiency.py)",
        "model": "amplitude * s((E - E_on)/w_on) * exp(-E/lambda) * s((E_off - E)/w_off), "
                 "s(x) = 1/(1+exp(-x)), E in GeV, clipped to [0, 1]",
        "source": "MiniBooNE 2012 nue/nuebar data release, eg_effs.dat "
                  "(https://www-boone.fnal.gov/for_physicists/data_release/nue_nuebar_2012/)",
        "parameters": {name: float(value) for name, value in zip(PARAMETERS, popt, strict=True)},
        "errors": {name: float(np.sqrt(pcov[i, i])) for i, name in enumerate(PARAMETERS)},
        "chi2": chi2,
        "ndf": ndf,
        "chi2_per_ndf": chi2 / ndf,
        "error_floor": floor,
        "fit_range_GeV": [float(E_GeV.min()), float(E_GeV.max())],
        "includes_fiducial_cut": True,
        "data_fiducial_radius_cm": DATA_FIDUCIAL_RADIUS_CM,
        "tank_radius_cm": TANK_RADIUS_CM,
        "data_fiducial_fraction": (DATA_FIDUCIAL_RADIUS_CM / TANK_RADIUS_CM) ** 3,
        "pulls": [float(p) for p in pulls],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="MiniBooNE data folder (default $ZPGEN_MINIBOONE_DATA)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    data_file = args.data / "efficiency" / "eg_effs.dat"
    if not data_file.is_file():
        raise SystemExit(f"{data_file} not found: set ZPGEN_MINIBOONE_DATA or --data")
    result = fit(data_file)
    stored = {k: v for k, v in result.items() if k != "pulls"}
    args.output.write_text(json.dumps(stored, indent=2) + "\n", encoding="utf-8")
    print(f"chi2/ndf = {result['chi2']:.3f}/{result['ndf']} = {result['chi2_per_ndf']:.3f}")
    for name in PARAMETERS:
        print(f"  {name:12s} = {result['parameters'][name]:.5g} +- {result['errors'][name]:.2g}")
    print(f"wrote {args.output}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "efficiency_fit.json").write_text(json.dumps(result, indent=2) + "\n",
                                                 encoding="utf-8")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return
    table = np.loadtxt(data_file, comments="#")
    grid = np.linspace(0.0, 3.0, 601)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(table[:, 0] * 1e-3, table[:, 1], yerr=table[:, 2], fmt="o", label="eg_effs.dat")
    ax.plot(grid, np.clip(efficiency_model(grid, *result["parameters"].values()), 0, 1),
            label=f"fit, chi2/ndf = {result['chi2_per_ndf']:.2f}")
    ax.set_xlabel("E [GeV]")
    ax.set_ylabel("efficiency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT_DIR / "efficiency_fit.png", dpi=120)
    print(f"wrote {OUT_DIR / 'efficiency_fit.png'}")


if __name__ == "__main__":
    main()
