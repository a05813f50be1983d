"""Cross-check zpgen's upscattering cross sections and MiniBooNE rate against DarkNews.

Usage (needs ``pip install 'zpgen[validation]'``, i.e. DarkNews >= 0.4)::

    python validation/darknews/compare_darknews.py [--card CARD] [--set k=v ...] [--out DIR]

For the card's model point (default: zpgen's default card) both codes are set up with the
same masses and physical couplings (DarkNews ``GenericHNLModel``: d_mu5 = g_mu5,
d_45 = g_45, deV = C_V, deA = C_A, dprotonV = g_p, dneutronV = g_n, Dirac HNLs) and:

1. sigma(E_nu) per channel (12C coherent per nucleus, bound proton and neutron per nucleon,
   free proton) from DarkNews's deterministic dsigma/dQ^2 (``diff_xsec_Q2``, both nu5
   helicities summed), integrated here in log(Q^2 + M_Z'^2), against zpgen's ``sigma`` with
   ``physics.nucleon_model = "free"`` (DarkNews has no Pauli blocking);
2. the MiniBooNE rate: both cross sections folded with zpgen's BNB flux and target
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
        from DarkNews import model, nuclear_tools, pdg, processes
        from DarkNews import phase_space as ps
    except Exception as exc:  # ImportError, or a broken install
        print("compare_darknews: DarkNews is not importable here "
              f"({type(exc).__name__}: {exc}).\nInstall it with `pip install "
              "'zpgen[validation]'` (or `pip install darknews`) and run again.",
              file=sys.stderr)
        raise SystemExit(3) from exc
    return model, nuclear_tools, pdg, processes, ps


def darknews_model(pc):
    model, _, _, _, _ = _import_darknews()
    return model.GenericHNLModel(
        m4=pc.m4, m5=pc.m5, mzprime=pc.mzprime,
        HNLtype="majorana" if pc.majorana else "dirac",
        d_mu5=pc.g_mu5, d_45=pc.g_45, deV=pc.cv_l, deA=pc.ca_l,
        dprotonV=pc.g_p, dneutronV=pc.g_n)


def darknews_sigma(dn_model, channel: str, energies) -> np.ndarray:
    """DarkNews sigma(E) per target particle of the zpgen channel (cm^2)."""
    from scipy import integrate

    _, nuclear_tools, pdg, processes, ps = _import_darknews()
    name, regime = CHANNELS[channel]
    target = nuclear_tools.NuclearTarget(name)
    procs = [processes.UpscatteringProcess(
        nu_projectile=pdg.numu, nu_upscattered=pdg.neutrino5, nuclear_target=target,
        scattering_regime=regime, TheoryModel=dn_model, helicity=h)
        for h in ("conserving", "flipping")]
    mult = procs[0].target_multiplicity
    mz2 = dn_model.mzprime**2
    out = []
    for E in energies:
        if procs[0].Ethreshold >= E:
            out.append(0.0)
            continue
        q_lo = float(ps.upscattering_Q2min(E, procs[0].m_ups, procs[0].MA))
        q_hi = float(ps.upscattering_Q2max(E, procs[0].m_ups, procs[0].MA))

        def integrand(y, E=E):
            q2 = math.exp(y) - mz2
            val = sum(float(np.sum(p.diff_xsec_Q2(E, np.array([q2])))) for p in procs)
            return val * (q2 + mz2)

        y_lo, y_hi = math.log(q_lo + mz2), math.log(q_hi + mz2)
        total, _ = integrate.quad(integrand, y_lo, y_hi, limit=200, epsrel=1e-6)
        out.append(total / mult)
    return np.asarray(out)


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
                    "energies_GeV": energies.tolist(), "sigma_cm2": {}, "ratio_dn_over_zp": {}}
    print(f"# sigma per target particle [cm^2], zpgen (nucleon_model=free) vs DarkNews; "
          f"M_Z' = {pc.mzprime}, m4 = {pc.m4}, m5 = {pc.m5} GeV, g_p = {pc.g_p}, g_n = {pc.g_n}")
    zp_params = {}
    for channel in CHANNELS:
        params = xsec.channel_params(channel, pc, card.physics)
        zp_params[channel] = params
        s_zp = xsec.sigma_array(energies, params)
        s_dn = darknews_sigma(dn, channel, energies)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(s_zp > 0, s_dn / s_zp, np.nan)
        result["sigma_cm2"][channel] = {"zpgen": s_zp.tolist(), "darknews": s_dn.tolist()}
        result["ratio_dn_over_zp"][channel] = ratio.tolist()
        print(f"{channel}:")
        for E, a, b, r in zip(energies, s_zp, s_dn, ratio, strict=True):
            print(f"  E = {E:4.2f} GeV  zpgen {a:.4e}  DarkNews {b:.4e}  DN/zp = {r:.4f}")

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
