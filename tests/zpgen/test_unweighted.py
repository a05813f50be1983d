"""Unweighted events (zpgen.unweighted, `zpgen generate --unweighted`): the cap, exact counts,
equal weights, distributions equal to the weighted sample's, reproducibility, every format
flagged, job arrays and merge, and the errors."""

from __future__ import annotations

import json

import awkward as ak
import numpy as np
import pytest
import uproot

from zpgen.card import parse_card
from zpgen.cli import main
from zpgen.generate import GenerationError, generate
from zpgen.unweighted import BIAS_BOUND, Unweighter, weight_cap

from .conftest import FAST_ADAPT

OBSERVABLES = ("E_nu", "t", "E_vis", "cos_theta", "theta_ee_deg")


def collect(card, n, **kwargs):
    stream = generate(card, n_events=n, **FAST_ADAPT, **kwargs)
    chunks = list(stream)
    return ak.concatenate(chunks), stream.summary, len(chunks)


@pytest.fixture(scope="module")
def samples():
    """The default card, one seed: 30k unweighted and 30k weighted events."""
    card = parse_card()
    unw, s_unw, _ = collect(card, 30_000, seed=11, unweighted="physics")
    wtd, s_wtd, _ = collect(card, 30_000, seed=12)
    return unw, s_unw, wtd, s_wtd


def test_weight_cap_is_the_smallest_cap_within_the_bias():
    """Against the definition: the excess over the cap carries exactly the allowed share,
    and any smaller cap carries more (brute force over the sample)."""
    rng = np.random.default_rng(3)
    for F in (rng.lognormal(0.0, 1.5, 50_000), rng.exponential(1.0, 1000),
              np.r_[np.ones(100), 1e3]):
        for bias in (1e-4, 1e-3, 0.05):
            cap = weight_cap(F, bias)
            excess = np.clip(F - cap, 0.0, None).sum()
            assert excess <= bias * F.sum() * (1 + 1e-9)
            assert np.clip(F - cap * (1 - 1e-6), 0.0, None).sum() > bias * F.sum() or \
                cap <= np.min(F)
            assert cap <= F.max()
    assert weight_cap(np.zeros(10)) == 0.0
    assert weight_cap(np.full(10, 2.0), 1e-3) == pytest.approx(2.0 * (1 - 1e-3))


def test_exact_count_equal_weights_and_normalisation(samples):
    unw, s_unw, _, s_wtd = samples
    assert len(unw) == 30_000
    w = ak.to_numpy(unw.w)
    assert np.all(w == w[0])
    report = s_unw.unweighted
    # sum of w = the VEGAS rates of the channels: the weighted run's estimate of the same
    # expectation agrees within both errors
    total = float(w.sum())
    assert total == pytest.approx(report["expected_events"], rel=1e-12)
    err = np.hypot(report["expected_events_err"], s_wtd.as_dict()["expected_events_err"])
    assert abs(total - s_wtd.sum_w) < 4 * err
    # channel counts follow the rates (no floor): N_T / N = rate_T / R to rounding
    counts = np.bincount(ak.to_numpy(unw.channel), minlength=4)
    for i, name in enumerate(s_unw.channels):
        share = report["channels"][name]["expected_events"] / report["expected_events"]
        assert abs(counts[i] - share * 30_000) <= 1.0
    # each channel's w_xsec sums to its cross section per target (as weighted events do)
    for i, name in enumerate(s_unw.channels):
        sel = ak.to_numpy(unw.channel) == i
        rate = report["channels"][name]["expected_events"]
        sigma = rate / (s_unw.pot * s_unw.targets[name] * s_unw.flux_total)
        assert float(ak.sum(unw.w_xsec[sel])) == pytest.approx(sigma, rel=1e-12)


def test_overweight_fraction_is_bounded_and_reported(samples):
    _, s_unw, _, _ = samples
    r = s_unw.unweighted
    assert r["mode"] == "physics" and r["n_events"] == 30_000
    assert 0.0 <= r["truncated_xsec_fraction"] <= BIAS_BOUND and r["within_bound"]
    assert 0.0 < r["efficiency"] <= 1.0
    assert r["trials"] > 30_000
    for ch in r["channels"].values():
        assert ch["cap"] > 0 and ch["overweight_event_fraction"] < 0.05


@pytest.mark.parametrize("name", OBSERVABLES)
def test_distributions_agree_with_the_weighted_sample(samples, name):
    """chi2 of the unweighted and the weighted histograms (Gagunashvili's weighted-weighted
    test, as zpgen compare-lhe) in 20 quantile bins: p > 1e-3."""
    from zpgen.madgraph.compare_lhe import weighted_chi2

    unw, _, wtd, _ = samples
    xa, wa = ak.to_numpy(unw[name]), ak.to_numpy(unw.w)
    xb, wb = ak.to_numpy(wtd[name]), ak.to_numpy(wtd.w)
    ma, mb = np.isfinite(xa), np.isfinite(xb)
    edges = np.unique(np.quantile(np.r_[xa[ma], xb[mb]], np.linspace(0, 1, 21)))
    edges[-1] = np.nextafter(edges[-1], np.inf)
    chi2, ndf, p = weighted_chi2(xa[ma], wa[ma], xb[mb], wb[mb], edges)
    assert p > 1e-3, (name, chi2, ndf)


def test_same_seed_same_events_any_chunk_size_and_threads():
    card = parse_card()
    a, _, n_a = collect(card, 9000, seed=5, unweighted="physics", chunk_size=9000, threads=1)
    b, _, n_b = collect(card, 9000, seed=5, unweighted="physics", chunk_size=1700, threads=2)
    assert n_a == 1 and n_b == 6
    for field in ("w", "E_nu", "t", "E_vis", "channel"):
        np.testing.assert_array_equal(ak.to_numpy(a[field]), ak.to_numpy(b[field]))
    np.testing.assert_array_equal(ak.to_numpy(ak.flatten(a.particles.px)),
                                  ak.to_numpy(ak.flatten(b.particles.px)))


def test_selected_mode_unweights_the_selected_signal(samples):
    """--unweighted=selected: every event passes with w_eff = 1, the sum of w is the
    selected rate (the weighted sample's sum(w w_eff passes) within errors), and E_vis
    follows the weighted sample's selected distribution."""
    from zpgen.madgraph.compare_lhe import weighted_chi2

    _, _, wtd, _ = samples
    sel, s_sel, _ = collect(parse_card(), 12_000, seed=13, unweighted="selected")
    assert len(sel) == 12_000
    assert ak.all(sel.passes) and ak.all(sel.w_eff == 1.0)
    assert ak.all((sel.w_eff_detector > 0) & (sel.w_eff_detector <= 1))
    w_sel = ak.to_numpy(wtd.w * wtd.w_eff * wtd.passes)
    expected = w_sel.sum()
    err = np.sqrt(np.sum(w_sel**2)) + s_sel.unweighted["expected_events_err"]
    assert abs(float(ak.sum(sel.w)) - expected) < 4 * err
    x_sel, x_w = ak.to_numpy(sel.E_vis), ak.to_numpy(wtd.E_vis)
    keep = np.isfinite(x_w) & (w_sel > 0)
    edges = np.quantile(x_sel, np.linspace(0, 1, 16))
    edges[-1] = np.nextafter(edges[-1], np.inf)
    _, _, p = weighted_chi2(x_sel, ak.to_numpy(sel.w), x_w[keep], w_sel[keep], edges)
    assert p > 1e-3


def test_every_format_says_unweighted(tmp_path):
    import pyarrow.parquet as pq
    import pyhepmc
    import pylhe

    for fmt in ("root", "hepmc3", "lhe", "parquet"):
        path = tmp_path / f"u.{fmt}"
        assert main(["generate", "-n", "3000", "--unweighted", "-q", "--seed", "2",
                     "--nitn", "4", "--neval", "4000", "-o", str(path)]) == 0
    with uproot.open(tmp_path / "u.root") as f:
        info = json.loads(str(f["zpgen_run_info"]))
        w = f["events"]["w"].array(library="np")
    assert info["event_weights"]["unweighted"] and info["event_weights"]["mode"] == "physics"
    assert info["totals"]["run_summary"]["unweighted"]["n_events"] == 3000
    assert np.all(w == w[0])
    meta = json.loads(pq.read_metadata(tmp_path / "u.parquet").metadata[b"zpgen.run_info"])
    assert meta["event_weights"]["unweighted"]
    lhe = pylhe.LHEFile.fromfile(str(tmp_path / "u.lhe"))
    x = np.array([e.eventinfo.weight for e in lhe.events])
    assert lhe.init.initInfo.weightingStrategy == 3
    assert np.all(x == x[0]) and x[0] == pytest.approx(
        sum(p.xSection for p in lhe.init.procInfo), rel=1e-12)
    cv = []
    with pyhepmc.open(str(tmp_path / "u.hepmc3")) as f:
        for ev in f:
            cv.append(ev.weight("CV"))
    assert "unweighted" in ev.run_info.attributes["zpgen.EventWeights"].astype(str)
    assert len(cv) == 3000 and len(set(cv)) == 1 and cv[0] == pytest.approx(w[0], rel=1e-15)


def test_job_array_and_merge_keep_one_weight(tmp_path, fast_grid):
    """Two unweighted jobs of one grid (2000 and 3000 events) merge into 5000 events of one
    weight whose sum is the jobs' common expectation: each job of the 2-job array carries
    half the exposure (weight share 1/2), so the job files' sums are equal and add up to
    it."""
    paths = []
    for job, n in ((0, 2000), (1, 3000)):
        path = tmp_path / f"j{job}.root"
        assert main(["generate", "--grid", str(fast_grid), "--job-index", str(job),
                     "--n-jobs", "2", "-n", str(n), "--unweighted", "-q",
                     "-o", str(path)]) == 0
        paths.append(path)
    sums = []
    for p in paths:
        with uproot.open(p) as f:
            sums.append(float(np.sum(f["events"]["w"].array(library="np"))))
    assert sums[0] == pytest.approx(sums[1], rel=1e-12)
    out = tmp_path / "merged.root"
    assert main(["merge", str(out), *map(str, paths)]) == 0
    with uproot.open(out) as f:
        w = f["events"]["w"].array(library="np")
    assert w.size == 5000 and np.all(np.isclose(w, w[0], rtol=1e-14))
    assert w.sum() == pytest.approx(sums[0] + sums[1], rel=1e-12)
    weighted = tmp_path / "weighted.root"
    assert main(["generate", "--grid", str(fast_grid), "--job-index", "2", "-n", "500", "-q",
                 "-o", str(weighted)]) == 0
    assert main(["merge", str(tmp_path / "mixed.root"), str(paths[0]), str(weighted)]) == 2


def test_bad_input(capsys, monkeypatch, tmp_path):
    assert main(["generate", "-n", "0", "--unweighted", "-o", str(tmp_path / "x.root")]) == 2
    assert "--n-events" in capsys.readouterr().err
    assert main(["generate", "--unweighted=selected", "--no-detector", "-n", "10",
                 "-o", str(tmp_path / "x.root")]) == 2
    assert "drop --no-detector" in capsys.readouterr().err

    def zero_weights(self, name, index, rng, n):  # every pilot weight zero
        buf, F = original(self, name, index, rng, n)
        F[:] = 0.0
        return buf, F

    original = Unweighter._fill
    monkeypatch.setattr(Unweighter, "_fill", zero_weights)
    rc = main(["generate", "--unweighted", "-n", "10", "--nitn", "2", "--neval", "2000",
               "-o", str(tmp_path / "x.root")])
    err = capsys.readouterr().err
    assert rc == 2 and "no maximum weight can be estimated" in err
    assert not list(tmp_path.iterdir())
    with pytest.raises(GenerationError, match="expected one of"):
        generate(parse_card(), n_events=10, unweighted="nonsense")
