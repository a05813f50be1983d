"""chi2 against the MiniBooNE 2020 release, against independent constructions."""

from __future__ import annotations

import numpy as np
import pytest
from zpgen.detectors.miniboone_chi2 import (
    RELEASE_FILES,
    MiniBooNERelease,
    ReleaseError,
    chi2,
    chi2_of_arrays,
    collapse_matrix,
    fit_signal_strength,
)


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


# ---------------------------------------------------------------------------------------
# A hand-computable example: 1 nue bin (S, B) + 1 numu bin; 3x3 fractional covariance
# collapsed to 2x2, inverted with the 2x2 cofactor formula written out below.

HAND = {
    "S": 20.0, "B": 100.0, "N": 400.0,          # signal, nue background, numu prediction
    "D_e": 130.0, "D_mu": 390.0,                 # data in the nue and numu bins
    "F": np.array([[0.04, 0.01, 0.00],
                   [0.01, 0.02, 0.005],
                   [0.00, 0.005, 0.01]]),
}


def hand_chi2(stat):
    """Written out element by element: M_ij = F_ij N_i N_j, collapse, add stat, invert."""
    S, B, N, De, Dm, F = (HAND[k] for k in ("S", "B", "N", "D_e", "D_mu", "F"))
    # M_ij = F_ij N_i N_j with N = (S, B, N)
    M_SS, M_SB, M_BB = F[0, 0] * S * S, F[0, 1] * S * B, F[1, 1] * B * B   # 16, 20, 200
    M_SN, M_BN, M_NN = F[0, 2] * S * N, F[1, 2] * B * N, F[2, 2] * N * N   # 0, 200, 1600
    if stat == "signal-pearson":
        M_SS += S
    a = M_SS + 2 * M_SB + M_BB          # nue-nue
    b = M_SN + M_BN                     # nue-numu
    d = M_NN                            # numu-numu
    Pe, Pm = S + B, N
    if stat == "cnp":
        a += 3.0 / (1.0 / De + 2.0 / Pe)
        d += 3.0 / (1.0 / Dm + 2.0 / Pm)
    elif stat == "pearson":
        a += Pe
        d += Pm
    x, y = De - Pe, Dm - Pm
    det = a * d - b * b
    # (x, y) [[d, -b], [-b, a]] (x, y)^T / det
    return (d * x * x - 2 * b * x * y + a * y * y) / det


def test_hand_example_numbers():
    """The CNP case fully by hand: a = 16 + 40 + 200 + 3/(1/130 + 2/120) = 379.16,
    b = 200, d = 1600 + 3/(1/390 + 2/400) = 1996.61; x = 10, y = -10;
    chi2 = (100 d + 40000 + 100 a) / (a d - 40000) = 277577 / 717030 = 0.3871."""
    a = 256.0 + 3.0 / (1.0 / 130 + 2.0 / 120)
    d = 1600.0 + 3.0 / (1.0 / 390 + 2.0 / 400)
    assert a == pytest.approx(379.16, abs=0.005)
    assert d == pytest.approx(1996.61, abs=0.005)
    expected = (d * 100 + 2 * 200 * 100 + a * 100) / (a * d - 200.0**2)
    assert hand_chi2("cnp") == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.3871, abs=1e-4)


@pytest.mark.parametrize("stat", ["cnp", "pearson", "signal-pearson"])
def test_chi2_of_arrays_hand_example(stat):
    value = chi2_of_arrays([HAND["S"]], [HAND["B"]], [HAND["N"]], [HAND["D_e"]],
                           [HAND["D_mu"]], HAND["F"], stat)
    assert value == pytest.approx(hand_chi2(stat), rel=1e-12)


def test_collapse_small_matrix_by_hand():
    M = np.arange(9.0).reshape(3, 3)        # [[0,1,2],[3,4,5],[6,7,8]]
    assert collapse_matrix(M, n_nue=1) == pytest.approx(np.array([[0 + 1 + 3 + 4, 2 + 5],
                                                                   [6 + 7, 8]]))


def test_chi2_of_arrays_rejects_inconsistent_shapes():
    with pytest.raises(ValueError, match="shapes"):
        chi2_of_arrays([1.0], [2.0], [3.0], [1.0], [1.0], np.eye(4))


# ---------------------------------------------------------------------------------------
# Fit of the signal normalisation


def brute_force_scan(signal, rel, stat, n_max):
    mus = np.linspace(0.0, n_max / signal.sum(), 20001)
    values = np.array([brute_force_chi2(mu * signal, rel, stat) for mu in mus[::10]])
    k = int(np.argmin(values))
    fine = np.linspace(mus[max(10 * k - 10, 0)], mus[min(10 * k + 10, mus.size - 1)], 2001)
    fine_values = np.array([brute_force_chi2(mu * signal, rel, stat) for mu in fine])
    j = int(np.argmin(fine_values))
    return fine[j], fine_values[j]


@pytest.mark.parametrize("stat", ["cnp", "pearson"])
def test_fit_matches_brute_force_scan(release, stat):
    # a signal shaped like the low-energy excess but 10x too small: mu_best near 10
    excess = np.clip(release.nue_data - release.nue_background, 0, None)
    signal = 0.1 * excess * np.linspace(1.2, 0.8, 11)
    fit = fit_signal_strength(signal, release, stat)
    mu_ref, chi2_ref = brute_force_scan(signal, release, stat, n_max=2.0 * excess.sum())
    assert fit.mu_best == pytest.approx(mu_ref, rel=2e-3)
    assert fit.chi2_min == pytest.approx(chi2_ref, rel=1e-6, abs=1e-6)
    assert fit.chi2_min <= chi2_ref + 1e-9
    assert fit.ndof == 18
    assert fit.chi2_background_only == pytest.approx(brute_force_chi2(np.zeros(11), release,
                                                                      stat), rel=1e-9)
    assert fit.delta_chi2 == pytest.approx(fit.chi2_background_only - chi2_ref, abs=1e-6)
    assert fit.significance_sigma == pytest.approx(np.sqrt(fit.delta_chi2))
    assert fit.coupling_scale_best == pytest.approx(np.sqrt(fit.mu_best))
    assert 5.0 < fit.mu_best < 15.0


def test_fit_is_scale_covariant(release):
    """Scaling the input signal by k divides mu_best by k and leaves chi2_min alone."""
    excess = np.clip(release.nue_data - release.nue_background, 0, None)
    a = fit_signal_strength(0.5 * excess, release)
    b = fit_signal_strength(5.0 * excess, release)
    assert b.mu_best == pytest.approx(a.mu_best / 10.0, rel=1e-5)
    assert b.chi2_min == pytest.approx(a.chi2_min, rel=1e-8, abs=1e-8)


def test_fit_of_a_signal_in_a_deficit_bin_gives_mu_zero(release):
    """All signal in the last bin, where data < background: the fit stays at mu = 0."""
    assert release.nue_data[-1] < release.nue_background[-1]
    signal = np.zeros(11)
    signal[-1] = 50.0
    fit = fit_signal_strength(signal, release)
    assert fit.mu_best == pytest.approx(0.0, abs=1e-3)
    assert fit.delta_chi2 == pytest.approx(0.0, abs=1e-6)
    empty = fit_signal_strength(np.zeros(11), release)
    assert empty.mu_best == 0.0 and empty.delta_chi2 == 0.0


# ---------------------------------------------------------------------------------------
# Bad release folders


def copy_release(src, dst):
    rel = MiniBooNERelease.locate(src)
    dst.mkdir()
    for name in RELEASE_FILES.values():
        (dst / name).write_bytes((rel / name).read_bytes())
    return dst


def test_missing_file_is_named(miniboone_data, tmp_path):
    d = copy_release(miniboone_data, tmp_path / "rel")
    (d / "miniboone_nuebgr_lowe.txt").unlink()
    with pytest.raises(ReleaseError, match=r"miniboone_nuebgr_lowe\.txt"):
        MiniBooNERelease.from_directory(d)


def test_wrong_covariance_shape_is_named(miniboone_data, tmp_path):
    d = copy_release(miniboone_data, tmp_path / "rel")
    cov = np.loadtxt(d / "miniboone_full_fractcovmatrix_nu_lowe.txt")
    np.savetxt(d / "miniboone_full_fractcovmatrix_nu_lowe.txt", cov[:29, :29])
    with pytest.raises(ReleaseError, match=r"fractcovmatrix.*\(29, 29\).*\(30, 30\)"):
        MiniBooNERelease.from_directory(d)


def test_missing_folder(tmp_path):
    with pytest.raises(ReleaseError, match="not found"):
        MiniBooNERelease.from_directory(tmp_path / "nowhere")


def test_data_directory_precedence(tmp_path, monkeypatch):
    from zpgen.detectors.miniboone_chi2 import ENV_DATA, data_directory

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    monkeypatch.setenv(ENV_DATA, str(b))
    assert data_directory(a) == a                      # the option wins
    assert data_directory(None, default=a) == b        # then the environment
    monkeypatch.delenv(ENV_DATA)
    assert data_directory(None, default=a) == a        # then the default
    with pytest.raises(FileNotFoundError, match=ENV_DATA):
        data_directory(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="no MiniBooNE data folder"):
        data_directory()
