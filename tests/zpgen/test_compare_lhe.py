"""zpgen compare-lhe: passes on two zpgen samples of the same card, fails on a shifted
one, and reports bad input clearly."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from zpgen.cli import main
from zpgen.compare_lhe import (
    CompareError,
    compare,
    parse_observables,
    read_sample,
    weighted_chi2,
    weighted_ks,
)

pytest.importorskip("pylhe")

_PARTICLE = re.compile(r"^\s*-?\d+\s+-?\d+\s+-?\d+\s+-?\d+\s+\d+\s+\d+\s+\S+.*$", re.M)


def _rewrite(src, dst, edit):
    """Copy an LHE file, editing the 13 fields of every particle line with ``edit``."""
    text = src.read_text()

    def fix(m):
        f = m.group(0).split()
        if len(f) != 13:
            return m.group(0)
        return "  ".join(edit(f))

    dst.write_text(_PARTICLE.sub(fix, text))
    return dst


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    d = tmp_path_factory.mktemp("cmp")
    a, b, c = d / "a.lhe", d / "b.lhe", d / "mz.lhe"
    base = ["generate", "-n", "3000", "-q", "--no-detector"]
    assert main([*base, "-o", str(a)]) == 0
    assert main([*base, "--seed", "7", "-o", str(b)]) == 0
    assert main([*base, "--seed", "8", "--set", "model.mzprime=0.02", "-o", str(c)]) == 0
    return d, a, b, c


def test_self_consistent_samples_pass(samples, capsys):
    d, a, b, _ = samples
    rc = main(["compare-lhe", str(a), str(b), "--json", "--plots", str(d / "plots")])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0, out["failures"]
    assert out["pass"] and out["xsec_pass"]
    assert abs(out["xsec_ratio"] - 1.0) < 0.05
    assert set(out["observables"]) == {"E_nu5", "t", "E_vis", "theta_ee", "cos_theta",
                                       "asymmetry"}
    for entry in out["observables"].values():
        assert entry["p_chi2"] > 1e-3 and entry["p_ks"] > 1e-3
        assert entry["ks_method"].startswith("weighted")  # zpgen events are weighted
    assert len(out["plots"]) == 6
    assert all((d / "plots" / f"compare_{n}.png").stat().st_size > 1000
               for n in out["observables"])


def test_shifted_electron_energies_fail(samples, tmp_path, capsys):
    _, a, b, _ = samples

    def scale(f):
        if f[0] in ("11", "-11"):
            f[9] = repr(float(f[9]) * 1.25)
        return f

    shifted = _rewrite(b, tmp_path / "shifted.lhe", scale)
    rc = main(["compare-lhe", str(a), str(shifted), "--observables", "E_vis,theta_ee"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "FAIL: E_vis" in out and "theta_ee:" not in out.split("FAIL")[1]


def test_other_zprime_mass_fails_shapes_and_cross_section(samples, capsys):
    _, a, _, c = samples
    rc = main(["compare-lhe", str(a), str(c), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert not out["xsec_pass"]
    assert out["observables"]["cos_theta"]["p_ks"] < 1e-6
    assert out["observables"]["t"]["p_chi2"] < 1e-6


def test_boosted_file_gives_the_same_observables(samples, tmp_path):
    """A file written in another frame (moving target, as a collider-frame MadGraph run)
    is brought back to the target rest frame event by event."""
    _, a, _, _ = samples
    beta = 0.3
    gamma = 1.0 / math.sqrt(1.0 - beta * beta)

    def boost(f):
        pz, e = float(f[8]), float(f[9])
        f[8] = repr(gamma * (pz + beta * e))
        f[9] = repr(gamma * (e + beta * pz))
        return f

    moved = _rewrite(a, tmp_path / "boosted.lhe", boost)
    sa, sb = read_sample(a), read_sample(moved)
    for name in ("E_nu5", "E_vis", "theta_ee", "cos_theta", "asymmetry"):
        np.testing.assert_allclose(sb.observables[name], sa.observables[name], rtol=1e-7,
                                   atol=1e-9)
    np.testing.assert_allclose(sb.observables["t"], sa.observables["t"], rtol=1e-5,
                               atol=1e-10)


def test_t_and_pair_match_the_zpgen_columns(samples):
    """t from the target recoil equals the event's own t column (#zpgen comment)."""
    _, a, _, _ = samples
    s = read_sample(a)
    text = a.read_text()
    t_col = np.array([float(x) for x in re.findall(r"#zpgen .*? t=(\S+)", text)])
    np.testing.assert_allclose(s.observables["t"], t_col, rtol=1e-6, atol=1e-12)
    assert np.all(s.observables["E_vis"] > 2 * 0.000511)
    assert np.all((s.observables["asymmetry"] >= 0) & (s.observables["asymmetry"] <= 1))


def test_channel_selection(samples, capsys):
    _, a, b, _ = samples
    rc = main(["compare-lhe", str(a), str(b), "--channel", "C12_coherent", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0, out["failures"]
    assert out["n_events"][0] < 3000
    rc = main(["compare-lhe", str(a), str(b), "--channel", "C12_coherentt"])
    assert rc == 2
    assert "not a channel" in capsys.readouterr().err


def test_lhe_without_init_block_is_a_clear_error(samples, tmp_path, capsys):
    _, a, _, _ = samples
    text = a.read_text()
    no_init = re.sub(r"<init>.*?</init>\n?", "", text, count=1, flags=re.S)
    bad = tmp_path / "noinit.lhe"
    bad.write_text(no_init)
    rc = main(["compare-lhe", str(a), str(bad)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "noinit.lhe: no <init> block" in err and "XSECUP" in err


def test_bad_observable_name_is_a_clear_error(samples, capsys):
    _, a, b, _ = samples
    rc = main(["compare-lhe", str(a), str(b), "--observables", "E_vis,theta_e"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "unknown observable 'theta_e'" in err and "did you mean 'theta_ee'" in err
    with pytest.raises(CompareError):
        parse_observables("")


def test_missing_and_unknown_files(tmp_path, capsys):
    assert main(["compare-lhe", str(tmp_path / "x.lhe"), str(tmp_path / "y.lhe")]) == 2
    assert "no such file" in capsys.readouterr().err
    other = tmp_path / "x.txt"
    other.write_text("hello")
    assert main(["compare-lhe", str(other), str(other)]) == 2
    assert "unknown format" in capsys.readouterr().err


def test_parquet_input_matches_lhe(tmp_path):
    lhe, pq = tmp_path / "s.lhe", tmp_path / "s.parquet"
    pytest.importorskip("pyarrow")
    for path in (lhe, pq):
        assert main(["generate", "-n", "300", "-q", "--no-detector", "--seed", "3",
                     "-o", str(path)]) == 0
    a, b = read_sample(lhe), read_sample(pq)
    assert a.sigma_pb == pytest.approx(b.sigma_pb, rel=1e-12)
    for name in a.observables:
        np.testing.assert_allclose(a.observables[name], b.observables[name], rtol=1e-9,
                                   atol=1e-12)
    result = compare(a, b, list(a.observables))
    assert result["pass"]


def test_statistics_against_direct_formulas():
    rng = np.random.default_rng(1)
    x1, x2 = rng.normal(size=400), rng.normal(size=500)
    d, p, method = weighted_ks(x1, np.ones(400), x2, np.full(500, 2.0))
    assert method.startswith("unweighted")
    from scipy import stats

    ref = stats.ks_2samp(x1, x2)
    assert d == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    # weighted KS with uniform-but-jittered weights ~ the unweighted statistic
    w1 = 1.0 + 1e-3 * rng.random(400)
    d2, _, method = weighted_ks(x1, w1, x2, np.ones(500))
    assert method.startswith("weighted") and d2 == pytest.approx(ref.statistic, abs=2e-3)
    # WW chi2 with unit weights, against the formula written out on the counts
    edges = np.linspace(-3, 3, 7)
    chi2, ndf, _ = weighted_chi2(x1, np.ones(400), x2, np.ones(500), edges)
    n1, _ = np.histogram(x1, edges)
    n2, _ = np.histogram(x2, edges)
    N1, N2 = n1.sum(), n2.sum()
    classic = np.sum((N1 * n2 - N2 * n1) ** 2 / (N1 * N1 * n2 + N2 * N2 * n1))
    assert chi2 == pytest.approx(classic) and ndf == 5
