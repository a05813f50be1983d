"""Kinematic edges of the widths (issue 12, point 6): M_Z' on a phase-space edge.

The three-body integral through a (virtual) Z' has its pole on an edge of the m^2 range at
M_Z' = m5 - m4 (upper edge, square-root phase space), M_Z' = m5 and m4 (light final
neutrino: the phase space vanishes like Delta^2) and M_Z' = 2 m_f (lower edge, beta).  The
references here are independent:

* an mpmath tanh-sinh quadrature at 30 digits of an integrand written out in this file
  (checked point by point against ``dgamma_nu5_to_nu4_ff_dm2``, itself checked against
  explicit spinors in test_widths.py), so that neither the cancellation near the edge nor
  the substitutions of ``processes/widths.py`` enter the reference;
* the analytic narrow-width limit at the square-root edge,
  ``int_0^inf c sqrt(u)/(u^2 + MG^2) du = pi c / sqrt(2 MG)``;
* continuity on grids finer than the Z' width, in the width functions and in widths(),
  the visible branching ratio and the rate.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from zpgen.processes import widths as W
from zpgen.processes.couplings import chiral, physical_couplings

from zpgen.card import parse_card
from zpgen.cli import main
from zpgen.constants import M_E, M_MU

mpmath = pytest.importorskip("mpmath")

BASE = physical_couplings(parse_card().model)
THR = BASE.m5 - BASE.m4


def gz_at(M):
    return W.zprime_widths(dataclasses.replace(BASE, mzprime=M))["total"]


def mp_dgamma(m5, m4, mf, gL, gR, cv, ca, M, G):
    """dGamma(nu5 -> nu4 f fbar)/dq^2 in mpmath arithmetic (unpolarised nu5).

    Phase space Phi2(nu5 -> nu4 q) Phi2(q -> f fbar)/(2 pi) and the tensor contraction of
    the spin-averaged nu5 current with the f fbar current integrated over its angles
    (unitary-gauge propagator), written in invariants.
    """
    mp = mpmath.mp
    m5, m4, mf = mp.mpf(m5), mp.mpf(m4), mp.mpf(mf)
    gL, gR, cv, ca, M, G = (mp.mpf(v) for v in (gL, gR, cv, ca, M, G))

    def f(q2):
        lam = (q2 - (m5 + m4) ** 2) * (q2 - (m5 - m4) ** 2)
        if lam <= 0 or q2 <= 4 * mf**2:
            return mp.mpf(0)
        p4p5 = (m5**2 + m4**2 - q2) / 2
        p5q = (m5**2 - m4**2 + q2) / 2
        p4q = (m5**2 - m4**2 - q2) / 2
        g2 = gL**2 + gR**2
        mix = gL * gR * m4 * m5
        q_l_q = g2 * (2 * p4q * p5q - q2 * p4p5) + 2 * mix * q2
        g_l_g = -2 * g2 * p4p5 + 8 * mix
        transverse = mp.mpf(4) / 3 * (cv**2 * (q2 + 2 * mf**2) + ca**2 * (q2 - 4 * mf**2))
        longitudinal = 8 * mf**2 * ca**2 * (q2 / M**2 - 1) ** 2
        contraction = transverse * (q_l_q / q2 - g_l_g) + longitudinal * q_l_q / q2
        phase = (mp.sqrt(lam) / (8 * mp.pi * m5**2) * mp.sqrt(1 - 4 * mf**2 / q2)
                 / (8 * mp.pi) / (2 * mp.pi))
        return phase * contraction / (2 * m5) / ((q2 - M**2) ** 2 + (M * G) ** 2)
    return f


def mp_gamma(m5, m4, mf, gL, gR, cv, ca, M, G):
    """int dGamma/dq^2 over (2 m_f)^2 < q^2 < (m5 - m4)^2, breakpoints around the pole."""
    mp = mpmath.mp
    with mpmath.workdps(30):
        f = mp_dgamma(m5, m4, mf, gL, gR, cv, ca, M, G)
        lo, hi = 4 * mp.mpf(mf) ** 2, (mp.mpf(m5) - mp.mpf(m4)) ** 2
        pole, mg = mp.mpf(M) ** 2, mp.mpf(M) * mp.mpf(G)
        marks = {lo, hi}
        for k in (0, 1, 10, 100, 1000, 10**5):
            for s in (-1, 1):
                x = pole + s * k * mg
                if lo < x < hi:
                    marks.add(x)
        return float(mp.quad(f, sorted(marks)))


def test_reference_integrand_is_the_spinor_checked_one():
    gL, gR = chiral(BASE.g_45, False)
    args = (BASE.m5, BASE.m4, M_E, gL, gR, BASE.cv_l, BASE.ca_l, 0.04, 2e-9)
    f = mp_dgamma(*args)
    for q2 in (1e-5, 3e-4, 1.5e-3, 0.0024):
        assert float(f(mpmath.mpf(q2))) == pytest.approx(
            W.dgamma_nu5_to_nu4_ff_dm2(q2, *args), rel=1e-12, abs=0.0)


# (m_i, m_j, m_f, coupling set, M^2 = edge + k M Gamma): every edge the widths have
EDGES = {
    "m5-m4": (BASE.m5, BASE.m4, M_E, "lepton", "hi"),
    "m5-m4 nunu": (BASE.m5, BASE.m4, 0.0, "neutrino", "hi"),
    "m5": (BASE.m5, 0.0, M_E, "lepton", "hi"),
    "m4": (BASE.m4, 0.0, M_E, "lepton", "hi"),
    "2 m_mu": (0.4, 0.1, M_MU, "lepton", "lo"),
}


def edge_setup(name):
    m_i, m_j, m_f, kind, where = EDGES[name]
    edge = (m_i - m_j) ** 2 if where == "hi" else 4 * m_f * m_f
    cv, ca = ((BASE.cv_l, BASE.ca_l) if kind == "lepton"
              else (0.5 * BASE.g_nu, -0.5 * BASE.g_nu))
    gL, gR = chiral(BASE.g_45, False)
    G = gz_at(math.sqrt(edge))
    return m_i, m_j, m_f, gL, gR, cv, ca, edge, G


@pytest.mark.parametrize("name", list(EDGES))
@pytest.mark.parametrize("k", [0.0, -1.0, 1.0, -30.0, 30.0])
def test_three_body_width_with_the_pole_on_an_edge_vs_mpmath(name, k):
    m_i, m_j, m_f, gL, gR, cv, ca, edge, G = edge_setup(name)
    M = math.sqrt(edge) if k == 0.0 else math.sqrt(edge + k * math.sqrt(edge) * G)
    got = W.gamma_three_body(m_i, m_j, m_f, gL, gR, cv, ca, M, G)
    ref = mp_gamma(m_i, m_j, m_f, gL, gR, cv, ca, M, G)
    assert math.isfinite(got) and ref > 0.0
    # quad works at epsrel 1e-10 per piece; 1e-8 leaves room for the pieces' sum
    assert got == pytest.approx(ref, rel=1e-8, abs=0.0), (name, k)


def test_square_root_edge_matches_the_analytic_narrow_width_limit():
    """At M^2 = (m5 - m4)^2 the peak sits on the edge: Gamma -> pi c / sqrt(2 M Gamma) with
    c = lim N(u)/sqrt(u), corrections O(sqrt(M Gamma/(m5 - m4)^2)) ~ 3e-4 here."""
    m_i, m_j, m_f, gL, gR, cv, ca, edge, G = edge_setup("m5-m4")
    M = math.sqrt(edge)
    mg = M * G
    u = 1e-14  # N(u)/sqrt(u) at the edge, from the reference integrand (times |D|^2 = u^2 + MG^2)
    with mpmath.workdps(40):
        f = mp_dgamma(m_i, m_j, m_f, gL, gR, cv, ca, M, G)
        c = float(f(mpmath.mpf(edge) - mpmath.mpf(u)) * (mpmath.mpf(u) ** 2 + mpmath.mpf(mg) ** 2)
                  / mpmath.sqrt(u))
    got = W.gamma_three_body(m_i, m_j, m_f, gL, gR, cv, ca, M, G)
    limit = math.pi * c / math.sqrt(2.0 * mg)
    assert got == pytest.approx(limit, rel=3.0 * math.sqrt(mg / edge))
    assert abs(got / limit - 1.0) > 1e-6  # the finite-range correction is seen, not zero


@pytest.mark.parametrize("name", list(EDGES))
def test_three_body_width_is_continuous_through_each_edge(name):
    """Scans of M^2 across the edge with steps of 0.2 and 0.05 M Gamma: the largest
    relative step between neighbours shrinks with the step (a jump would not)."""
    m_i, m_j, m_f, gL, gR, cv, ca, edge, G = edge_setup(name)
    mg = math.sqrt(edge) * G

    def max_step(n):
        vals = np.array([W.gamma_three_body(m_i, m_j, m_f, gL, gR, cv, ca,
                                            math.sqrt(edge + k * mg), G)
                         for k in np.linspace(-20.0, 20.0, n)])
        assert np.all(np.isfinite(vals)) and np.all(vals > 0.0)
        return float(np.max(np.abs(np.diff(vals)) / vals[:-1]))

    coarse, fine = max_step(201), max_step(801)
    assert coarse < 0.3 and fine < 0.4 * coarse, (coarse, fine)


def observables(M):
    pc = dataclasses.replace(BASE, mzprime=M)
    w = W.widths(pc)
    values = [w["nu5"]["total"], w["nu4"]["total"], W.visible_branching_ratio(pc, w),
              W.visible_branching_ratio(pc, w, modes="nu4")]
    assert all(math.isfinite(v) for v in values)
    return np.array(values), w["regime"]


def test_widths_and_visible_br_are_continuous_through_m5_minus_m4():
    """nu5 width and visible BRs across M_Z' = m5 - m4, on grids of 1e-9 and 2.5e-10
    relative steps (the Z' peak leaves the range over M Gamma/(2 M^2) ~ 3.5e-8): the largest
    step shrinks with the grid, and at the narrow-width switch the two forms agree."""
    def max_step(h):
        vals = np.array([observables(THR * (1.0 + k * h))[0] for k in range(-60, 61)])
        return np.max(np.abs(np.diff(vals[:, [0, 2, 3]], axis=0)) / vals[:-1, [0, 2, 3]])

    coarse, fine = max_step(1e-9), max_step(2.5e-10)
    assert coarse < 0.05 and fine < 0.4 * coarse, (coarse, fine)
    # where the nu4 chain changes from the three-body to the narrow-width form
    on = THR * (1.0 - 1e-3)
    off = THR
    assert observables(on)[1] == "on-shell" and observables(off)[1] == "off-shell"
    for _ in range(60):
        mid = 0.5 * (on + off)
        if observables(mid)[1] == "on-shell":
            on = mid
        else:
            off = mid
    a, b = observables(on)[0], observables(off)[0]
    assert (THR**2 - on**2) / (on * gz_at(on)) == pytest.approx(W._NWA_MARGIN, rel=1e-6)
    # narrow-width error at Delta = 1e3 M Gamma: a few 1e-6 (O(Gamma/M) = 7e-8 plus the
    # part of the peak beyond the edge, (2/pi) M Gamma/sqrt((m5 - m4)^2 Delta) ~ 3e-6)
    rel = np.abs(a - b) / b
    assert rel[0] < 1e-5 and rel[2] < 1e-5 and rel[3] < 1e-5, rel


@pytest.mark.parametrize(("m_i", "m_j", "g_L", "g_R"), [
    (BASE.m4, 0.0, 1.0, 0.0), (BASE.m5, 0.0, 1.0, -1.0), (BASE.m5, BASE.m4, 1.0, 0.0),
    (BASE.m5, BASE.m4, 1.0, -1.0)])
def test_two_body_width_near_its_threshold_vs_mpmath(m_i, m_j, g_L, g_R):
    """Gamma(nu_i -> nu_j Z') for M_Z' from 1e-4 down to 1e-12 (relative) below m_i - m_j,
    against the PHYSICS.md formula in 40-digit arithmetic: it vanishes like Delta^2
    (m_j = 0) or sqrt(Delta) (m_j > 0) with no rounding noise, and the asymmetry stays
    finite."""
    with mpmath.workdps(40):
        mi, mj = mpmath.mpf(m_i), mpmath.mpf(m_j)
        for rel in (1e-4, 1e-7, 1e-9, 1e-12):
            M = (m_i - m_j) * (1.0 - rel)
            Mp = mpmath.mpf(M)
            lam = (mi**2 - (mj + Mp) ** 2) * (mi**2 - (mj - Mp) ** 2)
            msq = ((g_L**2 + g_R**2) * ((mi**2 - mj**2) ** 2 / Mp**2 + mi**2 + mj**2 - 2 * Mp**2)
                   - 12 * g_L * g_R * mi * mj)
            ref = float(mpmath.sqrt(lam) / (32 * mpmath.pi * mi**3) * msq)
            got = W.gamma_nu_to_nu_zprime(m_i, m_j, M, g_L, g_R)
            assert ref > 0 and got == pytest.approx(ref, rel=1e-9, abs=0.0), (rel, got, ref)
            assert math.isfinite(W.decay_asymmetry_chiral(m_i, m_j, M, g_L, g_R))


@pytest.mark.parametrize(("particle", "edge"), [("nu4", BASE.m4), ("nu5", BASE.m5)])
def test_light_neutrino_thresholds_step_by_the_non_resonant_rate_only(particle, edge):
    """At M_Z' = m4 (nu4) and m5 (nu5) the two-body nu_i -> nu Z' closes like Delta^2 and
    the three-body nu_i -> nu f fbar takes over.  The narrow-width form below the edge
    neglects the non-resonant three-body rate, so the width steps by that rate, no more:
    the step equals the three-body nu f fbar width at the edge, which is O(Gamma_Z'/M_Z')
    of the two-body width away from threshold.  At the edge itself every value is finite."""
    def block(M):
        w = W.widths(dataclasses.replace(BASE, mzprime=M))[particle]
        assert all(math.isfinite(v) for v in w.values())
        return w
    below, at, above = block(edge * (1 - 1e-9)), block(edge), block(edge * (1 + 1e-9))
    light = ("nu_ee", "nu_mumu", "nu_nunu")
    non_resonant = sum(at[k] for k in light)
    assert non_resonant > 0.0 and at["nu_Zprime"] == 0.0
    assert at["total"] == pytest.approx(above["total"], rel=1e-6)
    assert below["nu_Zprime"] < 1e-6 * non_resonant  # closes like Delta^2
    def light_modes(w):
        return w["nu_Zprime"] + sum(w[k] for k in light)
    step = light_modes(above) - light_modes(below)
    assert step == pytest.approx(non_resonant, rel=1e-6)
    others_below, others_above = (b["total"] - light_modes(b) for b in (below, above))
    assert others_below == pytest.approx(others_above, rel=1e-6, abs=0.0)  # nu5: nu4 chain
    # the independent reference of the e+e- part of it
    gL, gR = chiral(BASE.g_4a if particle == "nu4" else BASE.g_5a, False)
    ref_ee = mp_gamma(edge, 0.0, M_E, gL, gR, BASE.cv_l, BASE.ca_l, edge, gz_at(edge))
    assert at["nu_ee"] == pytest.approx(ref_ee, rel=1e-8)
    two_body = block(0.9 * edge)["nu_Zprime"]
    assert non_resonant < 20.0 * gz_at(edge) / edge * two_body, (non_resonant, two_body)


@pytest.mark.parametrize("which", ["m5 - m4", "m4", "m5"])
def test_cli_widths_rate_and_generate_run_on_each_edge(which, tmp_path, capsys):
    """Acceptance: zpgen widths --json succeeds at M_Z' = m5 - m4, m4, m5 of the default
    card (g_5a > 0, nu4 decays on), and rate and generate run there."""
    card = parse_card()
    assert card.model.couplings.g_5a > 0 and card.model.nu4_decays
    M = {"m5 - m4": card.model.m5 - card.model.m4, "m4": card.model.m4,
         "m5": card.model.m5}[which]
    setting = f"model.mzprime={M!r}"
    assert main(["widths", "--set", setting, "--json"]) == 0
    w = json.loads(capsys.readouterr().out)
    assert w["nu5"]["total"] > 0 and w["nu4"]["total"] > 0
    assert main(["rate", "--set", setting, "--json"]) == 0
    rate = json.loads(capsys.readouterr().out)["total_events"]
    assert math.isfinite(rate) and rate > 0
    out = tmp_path / "edge.root"
    assert main(["generate", "--set", setting, "-n", "3000", "--nitn", "4", "--neval",
                 "4000", "--nitn-final", "2", "-q", "-o", str(out)]) == 0
    from zpgen.writers.read import read_metadata
    totals = read_metadata(out)["run_info"]["totals"]
    assert totals["n_events"] == 3000
    assert math.isfinite(totals["sum_w"]) and totals["sum_w"] > 0
