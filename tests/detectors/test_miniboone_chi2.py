"""chi2 against the MiniBooNE 2020 release, against independent constructions."""

from __future__ import annotations

import numpy as np
import pytest
from zpgen.detectors.miniboone_chi2 import MiniBooNERelease, chi2, collapse_matrix


def projection():
    """19x30 matrix P with collapsed = P M P^T: an independent way to collapse."""
    P = np.zeros((19, 30))
    for i in range(11):
        P[i, i] = 1.0
        P[i, 11 + i] = 1.0
    for j in range(8):
        P[11 + j, 22 + j] = 1.0
    return P


def test_collapse_equals_projection():
    rng = np.random.default_rng(7)
    A = rng.normal(size=(30, 30))
    M = A @ A.T
    P = projection()
    assert np.allclose(collapse_matrix(M), P @ M @ P.T, rtol=1e-13, atol=0)


@pytest.fixture(scope="module")
def release(miniboone_data):
    return MiniBooNERelease.from_directory(miniboone_data)


def test_release_binning_is_official(release):
    assert release.edges_GeV == pytest.approx(
        [0.2, 0.3, 0.375, 0.475, 0.55, 0.675, 0.8, 0.95, 1.1, 1.25, 1.5, 3.0])


def brute_force_chi2(signal, rel, stat):
    """Element-by-element construction with explicit loops (independent of the module)."""
    N = np.concatenate([signal, rel.nue_background, rel.numu_prediction])
    P = projection()
    M = np.zeros((30, 30))
    for i in range(30):
        for j in range(30):
            M[i, j] = rel.fractional_covariance[i, j] * N[i] * N[j]
    if stat == "signal-pearson":
        for i in range(11):
            M[i, i] += signal[i]
    C = P @ M @ P.T
    pred = P @ N
    data = np.concatenate([rel.nue_data, rel.numu_data])
    for k in range(19):
        if stat == "cnp":
            C[k, k] += 3.0 / (1.0 / data[k] + 2.0 / pred[k])
        elif stat == "pearson":
            C[k, k] += pred[k]
    d = data - pred
    return d @ np.linalg.inv(C) @ d


@pytest.mark.parametrize("stat", ["cnp", "pearson", "signal-pearson"])
def test_chi2_matches_brute_force(release, stat):
    excess = np.clip(release.nue_data - release.nue_background, 0, None)
    signal = 0.8 * excess
    result = chi2(signal, release, stat)
    assert result.chi2 == pytest.approx(brute_force_chi2(signal, release, stat), rel=1e-9)
    assert result.ndof == 19
    assert result.chi2_background_only == pytest.approx(
        brute_force_chi2(np.zeros(11), release, stat), rel=1e-9)


def test_fitting_the_excess_improves_chi2(release):
    excess = np.clip(release.nue_data - release.nue_background, 0, None)
    assert chi2(excess, release).delta_chi2 > 10.0
    assert chi2(np.zeros(11), release).delta_chi2 == pytest.approx(0.0, abs=1e-9)


def test_bad_signal_is_rejected(release):
    with pytest.raises(ValueError, match="signal"):
        chi2(np.ones(10), release)
    with pytest.raises(ValueError, match="stat"):
        chi2(np.ones(11), release, stat="neyman")
