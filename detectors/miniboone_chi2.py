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

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import optimize

__all__ = ["RELEASE_FILES", "Chi2Result", "MiniBooNERelease", "ReleaseError", "SignalFit",
           "chi2", "chi2_of_arrays", "collapse_matrix", "fit_signal_strength"]

FloatArray = npt.NDArray[np.float64]

N_NUE = 11
N_NUMU = 8
STAT_MODES = ("cnp", "pearson", "signal-pearson")


#: The release's files (official names) and the array each one fills.
RELEASE_FILES = {
    "edges_GeV": "miniboone_binboundaries_nue_lowe.txt",
    "nue_data": "miniboone_nuedata_lowe.txt",
    "nue_background": "miniboone_nuebgr_lowe.txt",
    "numu_data": "miniboone_numudata.txt",
    "numu_prediction": "miniboone_numu.txt",
    "fractional_covariance": "miniboone_full_fractcovmatrix_nu_lowe.txt",
}
RELEASE_DIR = "data_release_2020_numode"
_SHAPES = {
    "edges_GeV": (N_NUE + 1,),
    "nue_data": (N_NUE,),
    "nue_background": (N_NUE,),
    "numu_data": (N_NUMU,),
    "numu_prediction": (N_NUMU,),
    "fractional_covariance": (2 * N_NUE + N_NUMU, 2 * N_NUE + N_NUMU),
}


class ReleaseError(ValueError):
    """A data release folder or file that cannot be used (the message names it)."""


#: Environment variable naming the folder of the MiniBooNE public data.
ENV_DATA = "ZPGEN_MINIBOONE_DATA"


def data_directory(option: str | os.PathLike[str] | None = None,
                   default: str | os.PathLike[str] | None = None) -> Path:
    """The MiniBooNE data folder: ``option``, else ``$ZPGEN_MINIBOONE_DATA``, else ``default``.

    Raises ``FileNotFoundError`` (saying how to point at the data) when it does not exist.
    """
    value = option or os.environ.get(ENV_DATA) or default
    if not value:
        raise FileNotFoundError(f"no MiniBooNE data folder: pass one or set {ENV_DATA}")
    path = Path(value)
    if not path.is_dir():
        raise FileNotFoundError(f"MiniBooNE data not found at {path}; set {ENV_DATA} "
                                "or pass --data")
    return path


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

    @staticmethod
    def locate(path: str | Path) -> Path:
        """The release folder: ``path`` itself or its ``data_release_2020_numode``."""
        root = Path(path)
        if (root / RELEASE_DIR).is_dir():
            root = root / RELEASE_DIR
        if not root.is_dir():
            raise ReleaseError(f"MiniBooNE data release not found at {root}; set "
                               "ZPGEN_MINIBOONE_DATA or pass --data-release")
        return root

    @classmethod
    def from_directory(cls, path: str | Path) -> MiniBooNERelease:
        """Read the release from ``path`` (the data_release_2020_numode folder or its parent).

        Raises :class:`ReleaseError` naming a missing file, or a file whose content does not
        have the official shape (e.g. a covariance that is not 30x30).
        """
        root = cls.locate(path)
        missing = [name for name in RELEASE_FILES.values() if not (root / name).is_file()]
        if missing:
            raise ReleaseError(f"MiniBooNE data release at {root} is missing "
                               f"{', '.join(missing)}")
        arrays = {}
        for key, name in RELEASE_FILES.items():
            try:
                values = np.loadtxt(root / name, dtype=np.float64, ndmin=1)
            except ValueError as exc:
                raise ReleaseError(f"{root / name}: not a table of numbers ({exc})") from exc
            if values.ndim == 2 and _SHAPES[key] != values.shape and 1 in values.shape:
                values = values.reshape(-1)
            if values.shape != _SHAPES[key]:
                raise ReleaseError(f"{root / name}: shape {values.shape}, expected "
                                   f"{_SHAPES[key]} ({key})")
            if not np.all(np.isfinite(values)):
                raise ReleaseError(f"{root / name}: contains non-finite values")
            arrays[key] = values
        arrays["edges_GeV"] = arrays["edges_GeV"] * 1e-3
        return cls(**arrays)


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


def collapse_matrix(matrix30: FloatArray, n_nue: int = N_NUE) -> FloatArray:
    """Collapse a [S | B | numu] matrix to [nue | numu] by block sums.

    With the release, 30x30 -> 19x19.  ``n_nue`` (default 11) sets the size of the S and B
    blocks; the numu block takes the rest, so small examples (e.g. 1 + 1 + 1 -> 2x2) work
    with the same code.
    """
    m = np.asarray(matrix30, dtype=np.float64)
    n = int(n_nue)
    n_numu = m.shape[0] - 2 * n
    if m.ndim != 2 or m.shape[0] != m.shape[1] or n < 1 or n_numu < 0:
        raise ValueError(f"collapse_matrix: need a square (2 x {n} + n_numu) matrix, got "
                         f"shape {m.shape}")
    out = np.empty((n + n_numu, n + n_numu))
    out[:n, :n] = m[:n, :n] + m[:n, n:2 * n] + m[n:2 * n, :n] + m[n:2 * n, n:2 * n]
    out[:n, n:] = m[:n, 2 * n:] + m[n:2 * n, 2 * n:]
    out[n:, :n] = m[2 * n:, :n] + m[2 * n:, n:2 * n]
    out[n:, n:] = m[2 * n:, 2 * n:]
    return out


def chi2_of_arrays(signal: npt.ArrayLike, background: npt.ArrayLike,
                   numu_prediction: npt.ArrayLike, nue_data: npt.ArrayLike,
                   numu_data: npt.ArrayLike, fractional_covariance: npt.ArrayLike,
                   stat: str = "cnp") -> float:
    """chi2 = (D - P)^T M^-1 (D - P) for any numbers of bins (module docstring).

    ``signal``, ``background`` and ``nue_data`` have n bins, ``numu_prediction`` and
    ``numu_data`` m bins, ``fractional_covariance`` is (2n + m) x (2n + m) in the order
    [S | B | numu].  This is the whole computation; :func:`chi2` applies it to the release.
    Small inputs (n = 1, m = 1: a 3x3 fractional covariance collapsed to 2x2) can be
    checked by hand.
    """
    if stat not in STAT_MODES:
        raise ValueError(f"stat: unknown value {stat!r}; valid: {', '.join(STAT_MODES)}")
    s = np.asarray(signal, dtype=np.float64)
    b = np.asarray(background, dtype=np.float64)
    nm = np.asarray(numu_prediction, dtype=np.float64)
    d = np.concatenate([np.asarray(nue_data, dtype=np.float64),
                        np.asarray(numu_data, dtype=np.float64)])
    frac = np.asarray(fractional_covariance, dtype=np.float64)
    n = s.size
    size = 2 * n + nm.size
    if b.shape != s.shape or d.size != n + nm.size or frac.shape != (size, size):
        raise ValueError(f"chi2_of_arrays: inconsistent shapes: signal {s.shape}, background "
                         f"{b.shape}, numu {nm.shape}, data {d.shape}, covariance "
                         f"{frac.shape} (want {(size, size)})")
    prediction = np.concatenate([s, b, nm])
    cov30 = frac * np.outer(prediction, prediction)
    if stat == "signal-pearson":
        cov30 = cov30 + np.diag(np.concatenate([s, np.zeros(n + nm.size)]))
    cov = collapse_matrix(cov30, n)
    total = np.concatenate([s + b, nm])
    if stat == "cnp":
        # CNP 3 / (1/D + 2/P); where D = 0 it tends to P / 2 (Ji et al., NIM A 961 (2020)).
        with np.errstate(divide="ignore"):
            cov = cov + np.diag(np.where(d > 0, 3.0 / (1.0 / d + 2.0 / total), total / 2.0))
    elif stat == "pearson":
        cov = cov + np.diag(total)
    diff = d - total
    return float(diff @ np.linalg.solve(cov, diff))


def _chi2_of(signal: FloatArray, release: MiniBooNERelease, stat: str) -> tuple[float, int]:
    value = chi2_of_arrays(signal, release.nue_background, release.numu_prediction,
                           release.nue_data, release.numu_data,
                           release.fractional_covariance, stat)
    return value, N_NUE + N_NUMU


def _check_signal(signal: npt.ArrayLike) -> FloatArray:
    s = np.asarray(signal, dtype=np.float64)
    if s.shape != (N_NUE,) or not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError(f"signal: expected {N_NUE} finite, non-negative event counts per "
                         f"E_QE bin, got shape {s.shape}")
    return s


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
    s = _check_signal(signal)
    value, ndof = _chi2_of(s, release, stat)
    background, _ = _chi2_of(np.zeros(N_NUE), release, stat)
    return Chi2Result(chi2=value, ndof=ndof, chi2_background_only=background)


@dataclass(frozen=True)
class SignalFit:
    """Best signal normalisation ``mu >= 0`` (prediction ``B + mu S``).

    ``ndof`` = bins (19) - 1 fitted parameter.  ``significance_sigma = sqrt(delta_chi2)``:
    for one parameter bounded at ``mu >= 0`` this is the asymptotic one-sided significance
    of the background-only hypothesis, Z = sqrt(q0) (Cowan, Cranmer, Gross, Vitells,
    Eur. Phys. J. C 71 (2011) 1554, eq. 53); the chi2 is not exactly a likelihood ratio
    because the covariance is rebuilt at every mu, so treat it as approximate.
    ``coupling_scale_best = sqrt(mu_best)``: the rate scales as the square of the coupling
    product (g_mu5 g_target)^2 at fixed branching ratios, so multiplying that product by
    ``coupling_scale_best`` gives the best-fit rate.
    """

    mu_best: float
    chi2_min: float
    ndof: int
    chi2_background_only: float
    stat: str

    @property
    def delta_chi2(self) -> float:
        """chi2(background only) - chi2_min >= 0."""
        return self.chi2_background_only - self.chi2_min

    @property
    def significance_sigma(self) -> float:
        return math.sqrt(max(self.delta_chi2, 0.0))

    @property
    def coupling_scale_best(self) -> float:
        return math.sqrt(self.mu_best)

    def as_dict(self) -> dict[str, float | int | str]:
        return {"chi2_min": self.chi2_min, "ndof": self.ndof,
                "chi2_background_only": self.chi2_background_only,
                "delta_chi2": self.delta_chi2, "significance_sigma": self.significance_sigma,
                "mu_best": self.mu_best, "coupling_scale_best": self.coupling_scale_best,
                "stat": self.stat}


def fit_signal_strength(signal: npt.ArrayLike, release: MiniBooNERelease,
                        stat: str = "cnp", max_signal_events: float | None = None,
                        n_grid: int = 401) -> SignalFit:
    """Minimise chi2(B + mu S) over mu >= 0, the covariance rebuilt at every mu.

    The chi2 is not quadratic in mu (the covariance scales with the prediction), so the
    minimum is found by a scan of the total signal ``mu sum(S)`` on ``n_grid`` points from 0
    to ``max_signal_events`` (default: 5 x the nue data total), refined by a bounded Brent
    search between the neighbours of the best grid point.  A signal with no events in the
    bins gives mu_best = 0 and delta_chi2 = 0.
    """
    if stat not in STAT_MODES:
        raise ValueError(f"stat: unknown value {stat!r}; valid: {', '.join(STAT_MODES)}")
    s = _check_signal(signal)
    total = float(s.sum())
    chi2_bkg, n_bins = _chi2_of(np.zeros(N_NUE), release, stat)
    ndof = n_bins - 1
    if total <= 0.0:
        return SignalFit(0.0, chi2_bkg, ndof, chi2_bkg, stat)
    n_max = 5.0 * float(release.nue_data.sum()) if max_signal_events is None \
        else float(max_signal_events)
    if not n_max > 0.0:
        raise ValueError(f"max_signal_events must be > 0, got {max_signal_events}")
    mu_max = n_max / total

    def f(mu: float) -> float:
        return _chi2_of(mu * s, release, stat)[0]

    grid = np.linspace(0.0, mu_max, int(n_grid))
    values = np.array([f(mu) for mu in grid])
    k = int(np.argmin(values))
    best_mu, best_chi2 = float(grid[k]), float(values[k])
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    if hi > lo:
        res = optimize.minimize_scalar(f, bounds=(float(lo), float(hi)), method="bounded",
                                       options={"xatol": 1e-10 * mu_max})
        if res.fun < best_chi2:
            best_mu, best_chi2 = float(res.x), float(res.fun)
    if f(0.0) <= best_chi2:
        best_mu, best_chi2 = 0.0, chi2_bkg
    return SignalFit(best_mu, best_chi2, ndof, chi2_bkg, stat)
