"""zpgen compare-lhe: passes on two zpgen samples of the same card, fails on a shifted
one, compares cross sections within their statistical errors (MadGraph's bwcutoff factor
read from its banner), reads gzipped files, and reports bad input clearly."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from zpgen.madgraph.compare_lhe import (
    OBSERVABLES,
    CompareError,
    ParticleIds,
    Sample,
    bw_fraction,
    compare,
    event_observables,
    madgraph_bw_resonances,
    parse_observables,
    particle_ids,
    read_sample,
    weighted_chi2,
    weighted_ks,
    weighted_mean,
    weighted_median,
)

from zpgen.cli import main

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
    # statistical cross-section test: both errors are in the files
    assert out["xsec_err_pb"][0] > 0 and out["xsec_err_pb"][1] > 0
    assert out["p_xsec"] >= out["threshold_per_test"]
    assert set(out["observables"]) == set(OBSERVABLES)
    assert out["n_tests"] == 4 * len(OBSERVABLES) + 1
    assert out["threshold_per_test"] == pytest.approx(1e-3 / out["n_tests"])
    for entry in out["observables"].values():
        for key in ("p_chi2", "p_ks", "p_mean", "p_median"):
            assert entry[key] > out["threshold_per_test"], key
        assert entry["ks_method"].startswith("weighted")  # zpgen events are weighted
        assert entry["mean_err"][0] > 0 and entry["median_err"][1] > 0
    assert len(out["plots"]) == len(OBSERVABLES)
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
    assert "E_vis:" in out.split("FAIL")[1] and "theta_ee:" not in out.split("FAIL")[1]


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
    for name in ("E_nu5", "E_vis", "theta_ee", "cos_theta", "asymmetry", "cos_theta_star"):
        np.testing.assert_allclose(sb.observables[name], sa.observables[name], rtol=1e-7,
                                   atol=1e-7)
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


# ---------------------------------------------------------------------------------------
# issue 17: statistical tolerances, bwcutoff, gzip, cos theta*, plots without matplotlib


def test_gzipped_lhe_reads_like_the_plain_file(samples, tmp_path):
    import gzip
    import shutil

    _, a, _, _ = samples
    gz = tmp_path / "a.lhe.gz"
    with open(a, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    plain, packed = read_sample(a), read_sample(gz)
    assert packed.sigma_pb == plain.sigma_pb and packed.sigma_err_pb == plain.sigma_err_pb
    assert particle_ids(gz) == particle_ids(a)  # the run document is read from the .gz
    for name in OBSERVABLES:
        np.testing.assert_array_equal(packed.observables[name], plain.observables[name])


def test_cos_theta_star_of_a_constructed_decay():
    """e- at cos theta* = c in the rest frame of a pair moving along (1, 2, 2)/3: the
    observable returns c (helicity axes), whatever the boost."""
    from zpgen.kinematics import boost_from_rest, rotate_from_axis, two_body_decay

    ids = ParticleIds(nu5=9900014, zprime=32)
    M, m = 0.03, 0.000511
    for c in (-0.7, 0.0, 0.4, 0.95):
        pair = np.array([0.0, 0.1, 0.2, 0.2])
        pair[0] = math.sqrt(M * M + 0.09)
        pe, pp = np.empty(4), np.empty(4)
        two_body_decay(M, m, m, c, 1.1, pe, pp)
        n = pair[1:] / np.linalg.norm(pair[1:])
        for v in (pe, pp):
            rotate_from_axis(v, n[0], n[1], n[2], v)
            boost_from_rest(v, pair, v)
        p = np.array([[1.0, 0, 0, 1.0], [0.938272, 0, 0, 0], pe, pp])
        pdg = np.array([14, 2212, 11, -11])
        out = event_observables(pdg, np.array([1, 1, 0, 0], bool), np.array([0, 0, 1, 1], bool),
                                np.array([-1, -1, -1, -1]), p, ids)
        assert out["cos_theta_star"] == pytest.approx(c, abs=1e-9)


def test_mean_and_median_errors():
    rng = np.random.default_rng(5)
    x = rng.exponential(size=200_000)
    m, e = weighted_mean(x, np.ones_like(x))
    assert m == pytest.approx(np.mean(x)) and e == pytest.approx(np.std(x) / math.sqrt(len(x)),
                                                               rel=1e-3)
    # median of an exponential: ln 2, asymptotic error 1/(2 f(med) sqrt(n)) = 1/sqrt(n)
    med, emed = weighted_median(x, np.ones_like(x))
    assert med == pytest.approx(math.log(2), abs=4 / math.sqrt(len(x)))
    assert emed == pytest.approx(1 / math.sqrt(len(x)), rel=0.05)
    # weights 2 on half the events: Kish n_eff and the weighted mean error
    w = np.where(np.arange(len(x)) % 2 == 0, 2.0, 1.0)
    m2, e2 = weighted_mean(x, w)
    assert m2 == pytest.approx(np.sum(w * x) / np.sum(w))
    assert e2 == pytest.approx(math.sqrt(np.sum(w * w * (x - m2) ** 2)) / np.sum(w))


def _sample(path, n, sigma, err, rng, shift=0.0, bw=1.0, br=None, pair=True):
    obs = {k: rng.normal(size=n) + shift for k in OBSERVABLES}
    if not pair:
        for k in ("E_vis", "theta_ee", "cos_theta", "asymmetry", "cos_theta_star"):
            obs[k] = np.full(n, np.nan)
    return Sample(path, np.ones(n), obs, sigma, err, "test", bw_factor=bw, br_visible=br)


def test_cross_section_test_is_statistical():
    """Same true cross section: passes within errors; 4 combined sigma off: fails (the
    fixed 5 % of the old tolerance would have passed a 2 % difference with 0.2 % errors)."""
    rng = np.random.default_rng(2)
    a = _sample("a", 2000, 1.000, 0.002, rng)
    b = _sample("b", 2000, 1.003, 0.002, rng)
    assert compare(a, b, ["E_vis"])["xsec_pass"]
    c = _sample("c", 2000, 1.02, 0.002, rng)
    r = compare(a, c, ["E_vis"])
    assert not r["xsec_pass"] and r["xsec_z"] == pytest.approx(-0.02 / math.sqrt(8e-6))
    # a relative systematic widens the comparison
    assert compare(a, c, ["E_vis"], xsec_tolerance=0.02)["xsec_pass"]
    # inf: cross sections not compared
    r = compare(a, c, ["E_vis"], xsec_tolerance=math.inf)
    assert r["xsec_pass"] and r["n_tests"] == 4


def test_bwcutoff_factor_divides_madgraph_cross_section():
    rng = np.random.default_rng(3)
    f = bw_fraction(15.0) ** 2
    assert f == pytest.approx(0.958024, abs=1e-6)
    zp = _sample("zpgen", 4000, 2.0, 0.004, rng)
    mg = _sample("mg", 4000, 2.0 * f, 0.004 * f, rng, bw=f)
    r = compare(zp, mg, ["E_vis"])
    assert r["xsec_pass"] and r["xsec_corrected_pb"][1] == pytest.approx(2.0)
    # without the correction the 4.2 % deficit is 15 sigma: a failure
    mg.bw_factor = 1.0
    assert not compare(zp, mg, ["E_vis"])["xsec_pass"]


def test_production_only_file_compares_sigma_over_br():
    rng = np.random.default_rng(4)
    zp = _sample("zpgen", 3000, 0.4, 0.001, rng, br=0.4)
    mg = _sample("mg", 3000, 1.0, 0.003, rng, pair=False)
    r = compare(zp, mg, ["E_nu5", "t"])
    assert r["xsec_pass"] and r["xsec_corrected_pb"][0] == pytest.approx(1.0)
    assert any("production only" in n for n in r["notes"])


def test_family_wise_threshold():
    """A 3.9 sigma shift of one mean, p ~ 1e-4: a failure among 4 tests (below
    1e-3/4), not among 28 (above 1e-3/28): the threshold is family-wise."""
    rng = np.random.default_rng(6)
    a = _sample("a", 10000, 1.0, 0.0, rng)
    b = _sample("b", 10000, 1.0, 0.0, rng)
    b.observables["E_vis"] = a.observables["E_vis"] + 3.9 * math.sqrt(2.0 / 10000)
    r = compare(a, b, ["E_vis"], xsec_tolerance=math.inf)
    assert 1e-3 / 28 < r["observables"]["E_vis"]["p_mean"] < 1e-3 / 4
    assert r["threshold_per_test"] == pytest.approx(1e-3 / 4) and not r["pass"]
    r = compare(a, b, list(OBSERVABLES), xsec_tolerance=math.inf)
    assert r["threshold_per_test"] == pytest.approx(1e-3 / 28) and r["pass"]


MG_HEAD = """<LesHouchesEvents version="3.0">
<header>
<MG5ProcCard>
<![CDATA[
import model zpgen_darknu
generate vm prot > n5 prot, (n5 > n4 zp, zp > e+ e-)
output mg -f
]]>
</MG5ProcCard>
<MGRunCard>
<![CDATA[
  12.0 = bwcutoff ! (M+/-bwcutoff*Gamma)
]]>
</MGRunCard>
{madspin}</header>
<init>
14 2212 1.0 0.938272 0 0 0 0 -4 1
2.0e-06 1.0e-08 2.0e-06 1
</init>
"""


def test_madgraph_banner_gives_the_resonances():
    n, cut, how = madgraph_bw_resonances(MG_HEAD.format(madspin=""))
    assert (n, cut) == (2, 12.0) and "decay-chain" in how
    prod = MG_HEAD.format(madspin="").replace(", (n5 > n4 zp, zp > e+ e-)", "")
    assert madgraph_bw_resonances(prod)[0] == 0
    offshell = MG_HEAD.format(madspin="").replace("(n5 > n4 zp, zp > e+ e-)", "n5 > n4 e+ e-")
    assert madgraph_bw_resonances(offshell)[0] == 1
    madspin = prod.replace("</header>", "<madspin>\ndecay n5 > n4 zp, zp > e+ e-\nlaunch\n"
                                        "</madspin>\n</header>")
    assert madgraph_bw_resonances(madspin)[0] == 1  # the Z' in MadSpin's decay
    assert madgraph_bw_resonances("<LesHouchesEvents><header></header>") is None


def test_plots_without_matplotlib_keep_the_json(samples, tmp_path, capsys, monkeypatch):
    import builtins

    _, a, b, _ = samples
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    rc = main(["compare-lhe", str(a), str(b), "--json", "--plots", str(tmp_path / "p")])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert rc == 0 and out["pass"] and out["plots"] == []
    assert "needs matplotlib" in out["plots_error"] and "needs matplotlib" in captured.err
