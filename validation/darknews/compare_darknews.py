"""Cross-check zpgen's upscattering cross sections and MiniBooNE rate against DarkNews.

Usage (needs ``pip install 'zpgen[validation]'``, i.e. DarkNews >= 0.4)::

    python validation/darknews/compare_darknews.py [--card CARD] [--set k=v ...] [--out DIR]

For the card's model point (default: zpgen's default card) both codes are set up with the
same masses and physical couplings (DarkNews ``GenericHNLModel``: d_mu5 = g_mu5,
d_45 = g_45, deV = C_V, deA = C_A, dprotonV = g_p, dneutronV = g_n, Dirac HNLs) and:

1. sigma(E_nu) per channel (12C coherent per nucleus, bound proton and neutron per nucleon,
   free proton): DarkNews's helicity-resolved ``amplitudes.upscattering_dxsec_dQ2`` (both
   nu5 helicities), the function its VEGAS integrand ``integrands.UpscatteringXsec`` and
   hence its ``total_xsec`` call, with ``u = 2 M^2 + m5^2 - s - t``, integrated here in
   log(Q^2 + M_Z'^2), against zpgen's ``sigma`` with ``physics.nucleon_model = "free"``
   (DarkNews has no Pauli blocking).  Not ``UpscatteringProcess.diff_xsec_Q2``: DarkNews
   0.4.8 builds u there with m5 where m5^2 belongs (``processes.py`` line 201,
   ``u = 2 * self.MA**2 + self.m_ups - s + Q2``), which made the nucleon cross sections
   of earlier versions of this script 2-25 % low; the column ``diff_xsec_Q2/correct``
   shows that effect, and DarkNews's own VEGAS ``total_xsec`` at 1 GeV confirms the
   correct path;
2. the differences decomposed: zpgen's |M|^2 integrated with DarkNews's form factors
   (nucleons: its electromagnetic ``F1_EM``, ``F2_EM`` times the Z' coupling, i.e. the
   proton's Pauli F2(0) = mu_p - 1 = 1.79 on a baryon-number coupling; the nucleus: its
   Fourier-Bessel charge form factor), and zpgen's own nucleon sigma with the baryon
   current's anomalous moment k_s = -0.12 replaced by DarkNews's mu_p - 1 (mu_n - 1 for
   the neutron: ``physics.kappa_s``);
3. the MiniBooNE rate: both cross sections folded with zpgen's BNB flux and target
   inventory (the same POT), once with zpgen's visible branching ratio and once with
   BR = 1 (what DarkNews's event weights assume for the requested decay channel).

Writes ``darknews_compare.json`` and ``darknews_sigma.png`` to --out (default
validation/out/darknews) and prints a table; README.md explains each known difference.
Exits 3 with a message when DarkNews is not importable.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

CHANNELS = {  # zpgen channel -> (DarkNews target, regime)
    "C12_coherent": ("C12", "coherent"),
    "C12_proton": ("C12", "p-el"),
    "C12_neutron": ("C12", "n-el"),
    "H1_proton": ("H1", "p-el"),
}
ENERGIES = (0.2, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 3.0)


def _import_darknews():
    try:
        import DarkNews  # noqa: F401
        from DarkNews import amplitudes, model, nuclear_tools, pdg, processes
        from DarkNews import phase_space as ps
    except Exception as exc:  # ImportError, or a broken install
        print("compare_darknews: DarkNews is not importable here "
              f"({type(exc).__name__}: {exc}).\nInstall it with `pip install "
              "'zpgen[validation]'` (or `pip install darknews`) and run again.",
              file=sys.stderr)
        raise SystemExit(3) from exc
    return model, nuclear_tools, pdg, processes, ps, amplitudes


def darknews_model(pc):
    model = _import_darknews()[0]
    return model.GenericHNLModel(
        m4=pc.m4, m5=pc.m5, mzprime=pc.mzprime,
        HNLtype="majorana" if pc.majorana else "dirac",
        d_mu5=pc.g_mu5, d_45=pc.g_45, deV=pc.cv_l, deA=pc.ca_l,
        dprotonV=pc.g_p, dneutronV=pc.g_n)


def darknews_processes(dn_model, channel: str):
    """DarkNews's upscattering of the zpgen channel, both nu5 helicities."""
    _, nuclear_tools, pdg, processes, _, _ = _import_darknews()
    name, regime = CHANNELS[channel]
    target = nuclear_tools.NuclearTarget(name)
    return [processes.UpscatteringProcess(
        nu_projectile=pdg.numu, nu_upscattered=pdg.neutrino5, nuclear_target=target,
        scattering_regime=regime, TheoryModel=dn_model, helicity=h)
        for h in ("conserving", "flipping")]


def darknews_dsigma_dQ2(procs, E: float, Q2: float, buggy: bool = False) -> float:
    """DarkNews dsigma/dQ^2 (cm^2/GeV^2 per target particle, both helicities).

    ``amplitudes.upscattering_dxsec_dQ2`` with ``u = 2 M^2 + m5^2 - s - t`` (as DarkNews's
    VEGAS integrand builds it); ``buggy``: ``UpscatteringProcess.diff_xsec_Q2`` instead
    (its u has m5, not m5^2; it also multiplies by the target multiplicity).
    """
    amplitudes = _import_darknews()[5]
    p0 = procs[0]
    if buggy:
        return sum(float(np.sum(p.diff_xsec_Q2(E, np.array([Q2])))) for p in procs) / (
            p0.target_multiplicity)
    M, m5 = p0.MA, p0.m_ups
    s = M * M + 2.0 * M * E
    t = -Q2
    u = 2.0 * M * M + m5 * m5 - s - t
    return sum(float(np.ravel(amplitudes.upscattering_dxsec_dQ2(
        [np.array([s]), np.array([t]), np.array([u])], process=p))[0]) for p in procs)


def _q2_integral(f, procs, E: float, mz2: float) -> float:
    """int f(Q^2) dQ^2 over DarkNews's physical Q^2 range, in y = log(Q^2 + M_Z'^2)."""
    from scipy import integrate

    ps = _import_darknews()[4]
    p0 = procs[0]
    q_lo = float(ps.upscattering_Q2min(E, p0.m_ups, p0.MA))
    q_hi = float(ps.upscattering_Q2max(E, p0.m_ups, p0.MA))

    def integrand(y):
        q2 = math.exp(y) - mz2
        return f(q2) * (q2 + mz2)

    total, _ = integrate.quad(integrand, math.log(q_lo + mz2), math.log(q_hi + mz2),
                              limit=200, epsrel=1e-8)
    return total


def darknews_sigma(dn_model, channel: str, energies, buggy: bool = False) -> np.ndarray:
    """DarkNews sigma(E) per target particle of the zpgen channel (cm^2)."""
    procs = darknews_processes(dn_model, channel)
    mz2 = dn_model.mzprime**2
    return np.array([0.0 if procs[0].Ethreshold >= E else _q2_integral(
        lambda q2, E=E: darknews_dsigma_dQ2(procs, E, q2, buggy), procs, E, mz2)
        for E in energies])


def darknews_vegas(dn_model, channel: str, E: float) -> float:
    """DarkNews's own total_xsec (VEGAS, both helicities) per target particle (cm^2)."""
    procs = darknews_processes(dn_model, channel)
    return sum(float(np.ravel(p.total_xsec(E))[0]) for p in procs) / procs[0].target_multiplicity


def zpgen_sigma_with_dn_form_factors(dn_model, channel: str, params, energies) -> np.ndarray:
    """zpgen's |M|^2 (``xsec.msq_nucleon``, ``xsec.msq_spin0``) integrated over DarkNews's Q^2
    range with DarkNews's form factors: on a nucleon its electromagnetic ``F1_EM``,
    ``F2_EM`` times the Z' coupling, on the nucleus its Fourier-Bessel ``F1_EM`` times
    Z g_p + N g_n."""
    from zpgen.processes import xsec

    from zpgen import constants

    procs = darknews_processes(dn_model, channel)
    target = procs[0].target
    coupling = procs[0].Vhad  # nucleon: its coupling; nucleus: Z g_p + N g_n
    M, m5, mz = params[xsec.I_M], params[xsec.I_M5], params[xsec.I_MZ]
    G = params[xsec.I_G]
    nucleus = channel.endswith("coherent")
    out = []
    for E in energies:
        if xsec.threshold(M, m5) >= E:
            out.append(0.0)
            continue

        def dsdq2(q2, E=E):
            f1 = coupling * float(np.ravel(target.F1_EM(np.array([q2])))[0])
            if nucleus:
                msq = xsec.msq_spin0(E, -q2, M, m5, mz, G * f1)
            else:
                f2 = coupling * float(np.ravel(target.F2_EM(np.array([q2])))[0])
                msq = xsec.msq_nucleon(E, -q2, M, m5, mz, G, f1, f2)
            return msq / (64.0 * math.pi * M * M * E * E) * constants.GEV2_TO_CM2

        out.append(_q2_integral(dsdq2, procs, E, dn_model.mzprime**2))
    return np.asarray(out)


def zpgen_sigma_with_dn_kappa(channel: str, pc, physics, energies) -> np.ndarray:
    """zpgen's own sigma of a nucleon channel with the baryon-number current's anomalous
    moment k_s replaced by the one DarkNews gives that nucleon: mu_p - 1 = 1.79 (proton),
    mu_n - 1 = -2.91 (neutron) instead of k_p + k_n = -0.12 (PHYSICS.md, paper eq. 23)."""
    import dataclasses

    from zpgen.processes import xsec

    from zpgen import constants

    kappa = constants.MU_P - 1.0 if channel.endswith("proton") else constants.MU_N - 1.0
    params = xsec.channel_params(channel, pc, dataclasses.replace(physics, kappa_s=kappa))
    return xsec.sigma_array(energies, params)


def _darknews_version() -> str:
    import DarkNews

    return str(DarkNews.__version__)


def sigma_rows(result: dict, dn, pc, physics, channel: str, params, energies) -> None:
    """One channel of the sigma table: zpgen, DarkNews (correct path), zpgen with
    DarkNews's form factors, zpgen with DarkNews's nucleon anomalous moment, the
    diff_xsec_Q2 path, DarkNews's VEGAS total_xsec at 1 GeV."""
    from zpgen.processes import xsec

    s_zp = xsec.sigma_array(energies, params)
    s_dn = darknews_sigma(dn, channel, energies)
    s_buggy = darknews_sigma(dn, channel, energies, buggy=True)
    nucleon = not channel.endswith("coherent")

    def ratio(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b > 0, a / b, np.nan)

    r = ratio(s_dn, s_zp)
    r_ff = ratio(s_dn, zpgen_sigma_with_dn_form_factors(dn, channel, params, energies))
    r_kappa = (ratio(s_dn, zpgen_sigma_with_dn_kappa(channel, pc, physics, energies))
               if nucleon else np.full(len(energies), np.nan))
    r_bug = ratio(s_buggy, s_dn)
    vegas = darknews_vegas(dn, channel, 1.0)
    quad_1 = float(darknews_sigma(dn, channel, [1.0])[0])
    result["sigma_cm2"][channel] = {"zpgen": s_zp.tolist(), "darknews": s_dn.tolist(),
                                    "darknews_diff_xsec_Q2_path": s_buggy.tolist()}
    result["ratio_dn_over_zp"][channel] = r.tolist()
    result["ratio_dn_over_zp_with_dn_form_factors"][channel] = r_ff.tolist()
    result["ratio_dn_over_zp_with_dn_kappa"][channel] = r_kappa.tolist()
    result["ratio_diff_xsec_Q2_path_over_correct"][channel] = r_bug.tolist()
    result["vegas_check_1GeV"][channel] = {"total_xsec": vegas, "quadrature": quad_1,
                                           "ratio": vegas / quad_1}
    print(f"{channel}:  (DarkNews total_xsec VEGAS / quadrature at 1 GeV = "
          f"{vegas / quad_1:.4f})")
    for i, E in enumerate(energies):
        extra = f"  [DN kappa] {r_kappa[i]:.4f}" if nucleon else ""
        print(f"  E = {E:4.2f} GeV  zpgen {s_zp[i]:.4e}  DarkNews {s_dn[i]:.4e}  "
              f"DN/zp = {r[i]:.4f}  [DN FF] {r_ff[i]:.4f}{extra}  [Q2 path] {r_bug[i]:.4f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--card", default=None, help="zpgen card (default: built-in)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="zpgen card override section.key=value (repeatable)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1]
                                              / "out" / "darknews"))
    args = parser.parse_args(argv)
    _import_darknews()

    from zpgen.processes import xsec
    from zpgen.processes.couplings import physical_couplings
    from zpgen.processes.rate import flux_folded_sigma
    from zpgen.processes.widths import visible_branching_ratio

    from zpgen.card import load_card
    from zpgen.registry import load_plugin

    card = load_card(args.card, ("physics.nucleon_model=free", *args.overrides))
    pc = physical_couplings(card.model)
    dn = darknews_model(pc)
    energies = np.array(ENERGIES)
    result: dict = {"card": card.source, "overrides": list(card.overrides),
                    "darknews_version": _darknews_version(),
                    "energies_GeV": energies.tolist(), "sigma_cm2": {}, "ratio_dn_over_zp": {},
                    "ratio_dn_over_zp_with_dn_form_factors": {},
                    "ratio_dn_over_zp_with_dn_kappa": {},
                    "ratio_diff_xsec_Q2_path_over_correct": {}, "vegas_check_1GeV": {}}
    print(f"# sigma per target particle [cm^2], zpgen (nucleon_model=free) vs DarkNews "
          f"{result['darknews_version']}; M_Z' = {pc.mzprime}, m4 = {pc.m4}, m5 = {pc.m5} GeV, "
          f"g_p = {pc.g_p}, g_n = {pc.g_n}")
    print("# DN/zp: DarkNews (amplitudes.upscattering_dxsec_dQ2, correct u) / zpgen;  "
          "[DN FF]: DarkNews / zpgen's |M|^2 with DarkNews's form factors (nucleon F1_EM, "
          "F2_EM; nuclear Fourier-Bessel);  [DN kappa]: DarkNews / zpgen with the "
          "baryon current's anomalous moment set to DarkNews's mu_N - 1;  [Q2 path]: "
          "DarkNews via diff_xsec_Q2 (u with m5) / correct")
    zp_params = {}
    for channel in CHANNELS:
        params = xsec.channel_params(channel, pc, card.physics)
        zp_params[channel] = params
        sigma_rows(result, dn, pc, card.physics, channel, params, energies)

    # MiniBooNE rate: both cross sections folded with zpgen's flux on a coarse grid
    flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
    detector = load_plugin("detector", card.detector["name"]).from_options(card.detector)
    from zpgen.processes.dark_neutrino import DarkNeutrinoProcess

    from zpgen.registry import channel_targets

    _, targets = channel_targets(DarkNeutrinoProcess(pc, card.physics), detector)
    br = visible_branching_ratio(pc)
    edges, density = np.asarray(flux.edges), np.asarray(flux.density)
    grid = np.linspace(max(edges[0], 0.12), min(edges[-1], 3.0), 15)
    rate = {}
    for channel, params in zp_params.items():
        s_dn = darknews_sigma(dn, channel, grid)
        s_zp = xsec.sigma_array(grid, params)
        phi = np.array([density[min(max(np.searchsorted(edges, e, "right") - 1, 0),
                                    len(density) - 1)] for e in grid])
        fold_dn = float(np.trapezoid(phi * s_dn, grid))
        fold_zp_grid = float(np.trapezoid(phi * s_zp, grid))
        fold_zp = flux_folded_sigma(edges, density, params)
        n = detector.pot * targets[channel]
        rate[channel] = {"zpgen_events": n * fold_zp * br,
                         "zpgen_events_same_grid": n * fold_zp_grid * br,
                         "darknews_events_same_grid": n * fold_dn * br,
                         "darknews_events_BR1": n * fold_dn}
    totals = {k: sum(v[k] for v in rate.values()) for k in next(iter(rate.values()))}
    result["miniboone_rate"] = {"per_channel": rate, "total": totals, "BR_visible": br,
                                "pot": detector.pot}
    print(f"# MiniBooNE rate (before efficiency), BR_visible = {br:.4g}:")
    for k, v in totals.items():
        print(f"  {k:<28} {v:.4g}")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "darknews_compare.json").write_text(json.dumps(result, indent=2))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.4, 4.8))
        for channel, s in result["sigma_cm2"].items():
            line, = ax.plot(energies, s["zpgen"], label=f"zpgen {channel}")
            ax.plot(energies, s["darknews"], "o--", color=line.get_color(),
                    label=f"DarkNews {channel}")
        ax.set_yscale("log")
        ax.set_xlabel("E_nu [GeV]")
        ax.set_ylabel("sigma per target particle [cm^2]")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "darknews_sigma.png", dpi=110)
        plt.close(fig)
    except ImportError:
        pass
    print(f"# wrote {out / 'darknews_compare.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
