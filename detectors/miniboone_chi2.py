"""Comparison with the MiniBooNE 2020 neutrino-mode data release (PHYSICS.md, "Comparing to
MiniBooNE data").

MiniBooNE collaboration, Phys. Rev. D 103, 052002 (2021), arXiv:2006.16883; 18.75e20 POT.
The data files are read from a directory given by the caller (tests and validation use
ZPGEN_MINIBOONE_DATA); they are never shipped with zpgen.

With the prediction vector N = (S, B, N_numu) (11 + 11 + 8) and the 30x30 fractional
covariance F: M_ij = F_ij N_i N_j, collapsed to 19x19 (nue block = SS + SB + BS + BB,
nue-numu blocks = S-numu + B-numu, numu block as is); then one statistical term per
collapsed bin on the diagonal from the total prediction P and the data D:
CNP 3/(1/D + 2/P) (default) or Pearson P.  chi2 = (D - P)^T M^-1 (D - P).

The "signal-pearson" option reproduces public reanalysis code: the signal's Pearson term
S_i is added to the 30x30 matrix before collapsing and no other statistical term is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["Chi2Result", "MiniBooNERelease", "chi2", "collapse_matrix"]

FloatArray = npt.NDArray[np.float64]

N_NUE = 11
N_NUMU = 8
STAT_MODES = ("cnp", "pearson", "signal-pearson")


@dataclass(frozen=True)
class MiniBooNERelease:
    """The 2020 neutrino-mode release: E_QE edges (GeV), nue data and background, numu
    data and prediction, 30x30 fractional covariance."""

    edges_GeV: FloatArray
    nue_data: FloatArray
    nue_background: FloatArray
    numu_data: FloatArray
    numu_prediction: FloatArray
    fractional_covariance: FloatArray

    @classmethod
    def from_directory(cls, path: str | Path) -> MiniBooNERelease:
        """Read the release from ``path`` (the data_release_2020_numode folder or its parent)."""
        root = Path(path)
        if (root / "data_release_2020_numode").is_dir():
            root = root / "data_release_2020_numode"
        if not root.is_dir():
            raise FileNotFoundError(f"MiniBooNE data release not found at {root}; set "
                                    "ZPGEN_MINIBOONE_DATA or pass --data")

        def read(name: str) -> FloatArray:
            return np.loadtxt(root / name, dtype=np.float64)

        release = cls(
            edges_GeV=read("miniboone_binboundaries_nue_lowe.txt") * 1e-3,
            nue_data=read("miniboone_nuedata_lowe.txt"),
            nue_background=read("miniboone_nuebgr_lowe.txt"),
            numu_data=read("miniboone_numudata.txt"),
            numu_prediction=read("miniboone_numu.txt"),
            fractional_covariance=read("miniboone_full_fractcovmatrix_nu_lowe.txt"),
        )
        shapes = (release.edges_GeV.shape, release.nue_data.shape,
                  release.nue_background.shape, release.numu_data.shape,
                  release.numu_prediction.shape, release.fractional_covariance.shape)
        expected = ((N_NUE + 1,), (N_NUE,), (N_NUE,), (N_NUMU,), (N_NUMU,),
                    (2 * N_NUE + N_NUMU, 2 * N_NUE + N_NUMU))
        if shapes != expected:
            raise ValueError(f"unexpected MiniBooNE release shapes {shapes}, want {expected}")
        return release


@dataclass(frozen=True)
class Chi2Result:
    """chi2 of a signal prediction, its degrees of freedom, and the background-only chi2."""

    chi2: float
    ndof: int
    chi2_background_only: float

    @property
    def delta_chi2(self) -> float:
        """chi2(background only) - chi2(signal + background): > 0 favours the signal."""
        return self.chi2_background_only - self.chi2


def collapse_matrix(matrix30: FloatArray) -> FloatArray:
    """Collapse a 30x30 [S | B | numu] matrix to 19x19 [nue | numu] by block sums."""
    m = np.asarray(matrix30, dtype=np.float64)
    n = N_NUE
    out = np.empty((n + N_NUMU, n + N_NUMU))
    out[:n, :n] = m[:n, :n] + m[:n, n:2 * n] + m[n:2 * n, :n] + m[n:2 * n, n:2 * n]
    out[:n, n:] = m[:n, 2 * n:] + m[n:2 * n, 2 * n:]
    out[n:, :n] = m[2 * n:, :n] + m[2 * n:, n:2 * n]
    out[n:, n:] = m[2 * n:, 2 * n:]
    return out


def _chi2_of(signal: FloatArray, release: MiniBooNERelease, stat: str) -> tuple[float, int]:
    prediction = np.concatenate([signal, release.nue_background, release.numu_prediction])
    cov30 = release.fractional_covariance * np.outer(prediction, prediction)
    if stat == "signal-pearson":
        cov30 = cov30 + np.diag(np.concatenate([signal, np.zeros(N_NUE + N_NUMU)]))
    cov = collapse_matrix(cov30)
    total = np.concatenate([signal + release.nue_background, release.numu_prediction])
    data = np.concatenate([release.nue_data, release.numu_data])
    if stat == "cnp":
        cov = cov + np.diag(3.0 / (1.0 / data + 2.0 / total))
    elif stat == "pearson":
        cov = cov + np.diag(total)
    diff = data - total
    value = float(diff @ np.linalg.solve(cov, diff))
    return value, int(diff.size)


def chi2(signal: npt.ArrayLike, release: MiniBooNERelease, stat: str = "cnp") -> Chi2Result:
    """chi2 of a nue-like signal prediction (events per official E_QE bin).

    Parameters
    ----------
    signal
        Expected signal events in the 11 E_QE bins (same exposure as the release).
    release
        The data release.
    stat
        Statistical term: "cnp" (default), "pearson", or "signal-pearson" (public
        reanalysis convention, see the module docstring).
    """
    if stat not in STAT_MODES:
        raise ValueError(f"stat: unknown value {stat!r}; valid: {', '.join(STAT_MODES)}")
    s = np.asarray(signal, dtype=np.float64)
    if s.shape != (N_NUE,) or not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError(f"signal: expected {N_NUE} finite, non-negative event counts per "
                         f"E_QE bin, got shape {s.shape}")
    value, ndof = _chi2_of(s, release, stat)
    background, _ = _chi2_of(np.zeros(N_NUE), release, stat)
    return Chi2Result(chi2=value, ndof=ndof, chi2_background_only=background)
