"""Validation of the nu5's exact spin state and of antineutrino beams (issue 18, parts 3-4).

Usage::

    python validation/spin/validate_spin.py [--out validation/out/spin] [--fast]

Prints and writes ``spin_validation.json``:

1. ``threshold``: for coherent C12 and the proton channels (H1_proton, C12_proton) of the
   default card, at E_nu = threshold + dE, the dsigma/dt-weighted helicity +1/2 share
   ``(1 + <P_z>)/2``, the mean transverse polarisation ``<P_x>`` and the largest +1/2 share
   over t.  Each is computed twice on the same Gauss-Legendre nodes in t: with the
   generator's :func:`zpgen.processes.xsec.nu5_polarisation` and with P from explicit
   Dirac spinors (the amplitudes of tests/processes/test_nu5_spin.py), which must agree to
   rounding; the nubar polarisation from v spinors is checked to be -P on the same nodes.
2. ``events``: the same share and ``<P_x>`` *measured* from generated events (the Z'
   direction in the nu5 rest frame: ``<n.a> = alpha P.a/3``, so ``P_z = 3<n.p5hat>/alpha``,
   ``P_x = 3<n.e_Theta>/alpha``, with the process's alpha), 3 MeV above the coherent and 5
   MeV above the proton threshold, against the quadrature of 1.
3. ``miniboone_share``: the flux-averaged +1/2 share per channel of the default card on the
   MiniBooNE neutrino-mode flux (weighted generated events, P per event).
4. ``antineutrino_mode``: expected events on MiniBooNE's antineutrino mode (preset
   miniboone_antineutrino, 11.27e20 POT): the numubar run and the wrong-sign numu run of
   the same card, each by the flux x sigma quadrature (``zpgen rate``) and by the sum of
   generated weights; and the dipole portal's example card in the same beam (sum of weights
   against a scipy quadrature of sigma over the flux).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # the explicit-spinor helpers of the tests
    sys.path.insert(0, str(REPO))

from zpgen.flux.monochromatic import MonochromaticFlux  # noqa: E402
from zpgen.processes import xsec  # noqa: E402
from zpgen.processes.couplings import physical_couplings  # noqa: E402
from zpgen.processes.dark_neutrino import DarkNeutrinoProcess  # noqa: E402
from zpgen.processes.rate import rate_summary  # noqa: E402

from tests.processes import test_nu5_spin as spinors  # noqa: E402
from validation.dipole.validate_dipole import quadrature_events  # noqa: E402
from zpgen.card import load_card, load_preset, parse_card  # noqa: E402
from zpgen.generate import generate_array  # noqa: E402
from zpgen.registry import load_plugin  # noqa: E402

CHANNELS = ("C12_coherent", "H1_proton", "C12_proton")
DE_MEV = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0, 300.0)
N_GL = 24
FAST_VEGAS = {"nitn": 4, "neval": 4000, "nitn_final": 2}
PDG_NU4 = 9900012


# ---------------------------------------------------------------------- 1. quadrature
def _target(cp: np.ndarray, t: float) -> tuple:
    if cp[xsec.I_KIND] == 0:
        return ("spin0", cp[xsec.I_CHARGE])
    return ("nucleon", *xsec.nucleon_f1_f2(t, cp))


def threshold_point(cp: np.ndarray, de: float) -> dict[str, float]:
    """The +1/2 share, <P_x> and the largest share at threshold + de (GeV), generator vs
    explicit spinors on the same Gauss-Legendre nodes in t."""
    M, m5, mz, G = cp[xsec.I_M], cp[xsec.I_M5], cp[xsec.I_MZ], cp[xsec.I_G]
    E = xsec.threshold(M, m5) + de
    t_min, t_max = xsec.t_range(E, M, m5)
    x, wgl = np.polynomial.legendre.leggauss(N_GL)
    ts = t_min + (t_max - t_min) * (x + 1) / 2
    w = np.array([xsec.dsigma_dt(E, t, cp) for t in ts]) * wgl
    code = np.array([xsec.nu5_polarisation(E, t, cp) for t in ts])  # (P_x, P_z)
    spin = np.empty((N_GL, 3))
    spin_bar_dev = 0.0
    for i, t in enumerate(ts):
        _, pol = spinors.spinor_msq_and_polarisation(E, t, M, m5, 0.3, _target(cp, t), G, mz)
        spin[i] = pol
        if i % 6 == 0:  # the antiparticle: P_nubar = -P (v spinors)
            _, bar = spinors.spinor_msq_and_polarisation(E, t, M, m5, 0.3, _target(cp, t), G,
                                                         mz, anti=True)
            spin_bar_dev = max(spin_bar_dev, float(np.max(np.abs(bar + pol))))
    share_code = (1 + code[:, 1]) / 2
    share_spin = (1 + spin[:, 2]) / 2
    return {
        "dE_MeV": de * 1e3, "E_nu_GeV": E,
        "share_plus_half": float(np.sum(w * share_code) / w.sum()),
        "share_plus_half_spinors": float(np.sum(w * share_spin) / w.sum()),
        "mean_P_x": float(np.sum(w * code[:, 0]) / w.sum()),
        "mean_P_x_spinors": float(np.sum(w * spin[:, 0]) / w.sum()),
        "max_share_over_t": float(share_code.max()),
        "max_abs_dev_P": float(np.max(np.abs(code - spin[:, [0, 2]]))),
        "max_abs_P_y_spinors": float(np.max(np.abs(spin[:, 1]))),
        "max_abs_dev_P_nubar_plus_P": spin_bar_dev,
    }


def threshold_table(card: Any) -> dict[str, list[dict[str, float]]]:
    pc = physical_couplings(card.model)
    out = {}
    for ch in CHANNELS:
        cp = xsec.channel_params(ch, pc, card.physics)
        out[ch] = [threshold_point(cp, de * 1e-3) for de in DE_MEV]
    return out


# ---------------------------------------------------------------------- 2. events
def _to_rest(p: np.ndarray, P: np.ndarray) -> np.ndarray:
    beta = -P[:, 1:] / P[:, :1]
    b2 = np.sum(beta * beta, axis=1)
    g = 1.0 / np.sqrt(1.0 - b2)
    bp = np.sum(beta * p[:, 1:], axis=1)
    return p[:, 1:] + ((g - 1.0) * bp / b2 + g * p[:, 0])[:, None] * beta


def measured_polarisation(channel: str, de: float, n: int, flavour: str = "numu"
                          ) -> dict[str, float]:
    """P_z, P_x and the +1/2 share measured from the Z' direction of generated events."""
    card = parse_card(None, ["model.nu4_decays=false"])
    process = DarkNeutrinoProcess.from_card(card)
    cp0 = xsec.channel_params(channel, process.pc, card.physics)
    E = xsec.threshold(cp0[xsec.I_M], cp0[xsec.I_M5]) + de
    ch = process.channel(channel, MonochromaticFlux(E, flux=1e-10, flavour=flavour))
    rng = np.random.default_rng(7)
    ev = ch.events(rng.random((n, ch.dim)), rng.random((n, ch.n_aux)))
    sel = (np.abs(ev.pdg[:, 4]) == PDG_NU4) & (ev.f > 0)
    w = ev.f[sel]
    p5 = ev.momenta[sel, 2]
    z = _to_rest(ev.momenta[sel, 5], p5)
    nz = z / np.linalg.norm(z, axis=1)[:, None]
    u = p5[:, 1:] / np.linalg.norm(p5[:, 1:], axis=1)[:, None]
    st = np.hypot(u[:, 0], u[:, 1])
    e_theta = np.column_stack([u[:, 2] * u[:, 0] / st, u[:, 2] * u[:, 1] / st, -st])
    alpha = process.info()["alpha_nu5_nu4"]

    def mean_err(v: np.ndarray) -> tuple[float, float]:
        m = float(np.sum(w * v) / w.sum())
        return m, float(math.sqrt(np.sum(w * w * (v - m) ** 2)) / w.sum())

    pz, pz_err = mean_err(3 * np.sum(nz * u, axis=1) / alpha)
    px, px_err = mean_err(3 * np.sum(nz * e_theta, axis=1) / alpha)
    quad = threshold_point(ch.cp, de)
    return {"channel": channel, "flavour": flavour, "dE_MeV": de * 1e3, "events": int(sel.sum()),
            "alpha": alpha, "P_z_measured": pz, "P_z_err": pz_err, "P_x_measured": px,
            "P_x_err": px_err, "share_measured": (1 + pz) / 2, "share_err": pz_err / 2,
            "share_quadrature": quad["share_plus_half"], "P_x_quadrature": quad["mean_P_x"]}


def miniboone_share(n: int) -> dict[str, float]:
    """Flux-averaged +1/2 share per channel on the default card's MiniBooNE beam."""
    card = load_card(None, ["detector.name=truth"])
    ev = generate_array(card, n_events=n, seed=5, **FAST_VEGAS)
    pc = physical_couplings(card.model)
    names = DarkNeutrinoProcess(pc, card.physics).channels({"C12": 1.0, "H1": 2.0})
    w = np.asarray(ev.w)
    ch = np.asarray(ev.channel)
    E, t = np.asarray(ev.E_nu), np.asarray(ev.t)
    out = {}
    for k, name in enumerate(names):
        sel = ch == k
        cp = xsec.channel_params(name, pc, card.physics)
        pz = np.array([xsec.nu5_polarisation(e, tt, cp)[1] for e, tt in zip(E[sel], t[sel],
                                                                              strict=True)])
        out[name] = float(np.sum(w[sel] * (1 + pz) / 2) / w[sel].sum())
    pz_all = np.empty(w.size)
    for k, name in enumerate(names):
        sel = ch == k
        cp = xsec.channel_params(name, pc, card.physics)
        pz_all[sel] = [xsec.nu5_polarisation(e, tt, cp)[1] for e, tt in zip(E[sel], t[sel],
                                                                             strict=True)]
    out["all"] = float(np.sum(w * (1 + pz_all) / 2) / w.sum())
    return out


# ---------------------------------------------------------------------- 4. antineutrino mode
def _plugins(card: Any) -> tuple[Any, Any]:
    flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
    det = load_plugin("detector", card.detector["name"]).from_options(card.detector)
    return flux, det


def antineutrino_mode(n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, sets in (("numubar", []), ("numu_wrong_sign", ["flux.flavour=numu"])):
        card = load_preset("miniboone_antineutrino", sets)
        flux, det = _plugins(card)
        rate = rate_summary(card, flux, det)
        ev = generate_array(card, n_events=n, seed=9, **FAST_VEGAS)
        w = np.asarray(ev.w)
        out[label] = {
            "flux_integral": float(flux.integral()), "mean_energy_GeV": flux.mean_energy(),
            "events_quadrature": float(rate["total_events"]),
            "events_per_channel": {k: float(v) for k, v in rate["events"].items()},
            "events_generated": float(w.sum()),
            "events_generated_err": float(w.std() * math.sqrt(w.size)),
            "selected_generated": float(np.sum(w * np.asarray(ev.w_eff)
                                               * np.asarray(ev.passes))),
            "beam_pdg": int(ev.particles.pdg[0, 0]), "nu5_pdg": int(ev.particles.pdg[0, 2]),
        }
    out["total_events_quadrature"] = (out["numubar"]["events_quadrature"]
                                      + out["numu_wrong_sign"]["events_quadrature"])
    out["wrong_sign_fraction"] = out["numu_wrong_sign"]["events_quadrature"] / out[
        "total_events_quadrature"]
    # the same model point in neutrino mode at the same POT, for scale
    nu_card = load_card(None, ["detector.pot=11.27e20"])
    flux, det = _plugins(nu_card)
    out["neutrino_mode_same_pot"] = float(rate_summary(nu_card, flux, det)["total_events"])
    out["dipole"] = dipole_antineutrino_mode(n)
    return out


def dipole_antineutrino_mode(n: int) -> dict[str, Any]:
    text = (REPO / "examples" / "dipole_portal.toml").read_text(encoding="utf-8")
    out = {}
    for label, sets in (("numubar", ["flux.mode=antineutrino", "flux.flavour=numubar",
                                      "detector.pot=11.27e20"]),
                        ("numu_wrong_sign", ["flux.mode=antineutrino", "flux.flavour=numu",
                                             "detector.pot=11.27e20"])):
        card = parse_card(text, sets)
        expected = sum(quadrature_events(card).values())
        ev = generate_array(card, n_events=n, seed=9, **FAST_VEGAS)
        w = np.asarray(ev.w)
        out[label] = {"events_quadrature": expected, "events_generated": float(w.sum()),
                      "events_generated_err": float(w.std() * math.sqrt(w.size)),
                      "beam_pdg": int(ev.particles.pdg[0, 0]),
                      "N_pdg": int(ev.particles.pdg[0, 2])}
    return out


# ---------------------------------------------------------------------- driver
def run(out_dir: Path, fast: bool = False) -> dict[str, Any]:
    card = parse_card(None, [])
    n_kernel = 60_000 if fast else 400_000
    n_gen = 4000 if fast else 40_000
    result = {
        "threshold": threshold_table(card),
        "events": [measured_polarisation("C12_coherent", 0.003, n_kernel),
                   measured_polarisation("C12_coherent", 0.003, n_kernel, "numubar"),
                   measured_polarisation("H1_proton", 0.005, n_kernel)],
        "miniboone_share": miniboone_share(n_gen),
        "antineutrino_mode": antineutrino_mode(n_gen),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "spin_validation.json").write_text(json.dumps(result, indent=1))
    return result


def report(result: dict[str, Any]) -> None:
    print("# nu5 helicity +1/2 share and <P_x> near threshold (dsigma/dt-weighted over t)")
    print(f"{'channel':13s} {'dE/MeV':>7s} {'share':>7s} {'spinors':>8s} {'<P_x>':>7s} "
          f"{'max share':>9s} {'|dP|':>8s}")
    for ch, rows in result["threshold"].items():
        for r in rows:
            print(f"{ch:13s} {r['dE_MeV']:7.1f} {r['share_plus_half']:7.4f} "
                  f"{r['share_plus_half_spinors']:8.4f} {r['mean_P_x']:7.4f} "
                  f"{r['max_share_over_t']:9.4f} {r['max_abs_dev_P']:8.1e}")
    print("# measured from the Z' direction of generated events (P = 3<n.a>/alpha)")
    for r in result["events"]:
        print(f"{r['channel']:13s} {r['flavour']:8s} dE = {r['dE_MeV']:.0f} MeV: share "
              f"{r['share_measured']:.4f} +- {r['share_err']:.4f} (quadrature "
              f"{r['share_quadrature']:.4f}); P_x {r['P_x_measured']:.4f} +- {r['P_x_err']:.4f}"
              f" (quadrature {r['P_x_quadrature']:.4f})")
    print("# flux-averaged +1/2 share, default card, MiniBooNE neutrino mode: "
          + ", ".join(f"{k} {v:.2e}" for k, v in result["miniboone_share"].items()))
    a = result["antineutrino_mode"]
    print("# MiniBooNE antineutrino mode, 11.27e20 POT (expected events before efficiency)")
    for label in ("numubar", "numu_wrong_sign"):
        r = a[label]
        print(f"{label:16s} quadrature {r['events_quadrature']:9.2f}  generated "
              f"{r['events_generated']:9.2f} +- {r['events_generated_err']:.2f}  selected "
              f"{r['selected_generated']:.2f}  (beam {r['beam_pdg']}, nu5 {r['nu5_pdg']})")
    print(f"total {a['total_events_quadrature']:.2f}, wrong-sign fraction "
          f"{a['wrong_sign_fraction']:.3f}; neutrino mode at the same POT "
          f"{a['neutrino_mode_same_pot']:.2f}")
    for label, r in a["dipole"].items():
        print(f"dipole {label:16s} quadrature {r['events_quadrature']:9.2f}  generated "
              f"{r['events_generated']:9.2f} +- {r['events_generated_err']:.2f}  (beam "
              f"{r['beam_pdg']}, N {r['N_pdg']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "validation" / "out" / "spin"))
    parser.add_argument("--fast", action="store_true", help="small samples (CI)")
    args = parser.parse_args(argv)
    result = run(Path(args.out), fast=args.fast)
    report(result)
    print(f"# wrote {Path(args.out) / 'spin_validation.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
