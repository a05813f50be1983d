"""The dipole-portal process (zpgen.processes.dipole_portal) against independent calculations
and against DarkNews 0.4.8's transition-magnetic-moment (TMM) model.

Usage::

    python validation/dipole/validate_dipole.py [--out DIR] [--require-darknews]

Independent checks (always; the explicit-spinor helpers of tests/processes/):

1. |M|^2 and the N polarisation vector against amplitudes built from explicit spinors, at
   random points on 12C, the proton and the neutron (largest relative / absolute deviation);
2. sigma(E) against scipy quadrature of dsigma/dt in the CM angle;
3. Gamma(N -> nu gamma) = d^2 m^3/(4 pi) against an explicit-spinor two-body decay, and the
   photon asymmetry alpha fitted to helicity amplitudes (nu: -1, nubar: +1);
4. the MiniBooNE rate of examples/dipole_portal.toml per channel (quadrature over the flux).

DarkNews (if importable; ``pip install DarkNews==0.4.8``): ``GenericHNLModel(m4 = m_N,
mu_tr_mu4 = 2 d, HNLtype)`` (DarkNews's amplitudes use ``t_aj = mu_tr/2``, the d of
PHYSICS.md's Lagrangian: measured in 5), scattering on ``NuclearTarget`` in the regimes
coherent / p-el / n-el, its helicity-resolved ``amplitudes.upscattering_dxsec_dQ2`` (the
function its VEGAS integrand ``integrands.UpscatteringXsec`` calls, with the correct
``u = 2M^2 + m^2 - s - t``; not ``UpscatteringProcess.diff_xsec_Q2``, see README):

5. dsigma/dQ^2 pointwise with DarkNews's own form factors fed to zpgen's |M|^2;
6. sigma(E) per channel, zpgen (Helm and Fourier-Bessel; free nucleons) / DarkNews
   (its Fourier-Bessel charge density; dipole nucleon form factors, M_V = 0.843 GeV);
   DarkNews's own VEGAS total_xsec at one point;
7. the helicity fraction of N: DarkNews's (flip - conserve)/(sum) against zpgen's
   polarisation projected on the N direction of the CM frame (DarkNews's helicity axis);
8. Gamma(N -> nu gamma) of ``FermionSinglePhotonDecay``, Dirac and Majorana.

Writes ``dipole_validation.json`` to --out (default validation/out/dipole) and prints the
tables; README.md (this folder) states the conventions and where the codes differ.
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

from scipy import integrate  # noqa: E402
from zpgen.processes import dipole_xsec as dx  # noqa: E402
from zpgen.processes import form_factors as ff  # noqa: E402
from zpgen.processes.dipole_portal import DipolePortalProcess, channel_params  # noqa: E402
from zpgen.processes.nuclei import NUCLEI  # noqa: E402

from zpgen import constants  # noqa: E402
from zpgen.card import parse_card  # noqa: E402

#: The shared model points: the example card's MiniBooNE point and a lighter one.
POINTS = ({"m_N": 0.394, "d": 3.6e-7}, {"m_N": 0.1, "d": 1e-6})
ENERGIES = (0.3, 0.5, 1.0, 2.0, 5.0)
#: zpgen channel -> (DarkNews nucleus, regime)
DN_CHANNELS = {"C12_coherent": ("C12", "coherent"), "C12_proton": ("C12", "p-el"),
               "C12_neutron": ("C12", "n-el"), "H1_proton": ("H1", "p-el"),
               "Ar40_coherent": ("Ar40", "coherent")}


def card_for(point: dict[str, float], *sets: str) -> Any:
    text = (f"[process]\nname = \"dipole_portal\"\n[model]\nm_N = {point['m_N']}\n"
            f"d = {point['d']}\n")
    return parse_card(text, ["physics.nucleon_model=\"free\"", *sets])


# ---------------------------------------------------------------------- independent
def spinor_checks(n_points: int = 12) -> dict[str, Any]:
    """Largest deviations of |M|^2 and P from the explicit-spinor amplitudes."""
    from tests.processes import test_dipole_xsec as sp

    rng = np.random.default_rng(2018)
    out: dict[str, Any] = {}
    for kind, M, proton in (("C12 coherent", NUCLEI["C12"].mass_GeV, None),
                            ("proton", constants.M_P, True), ("neutron", constants.M_N, False)):
        worst_msq = worst_pol = 0.0
        for _ in range(n_points):
            m = rng.uniform(0.01, 0.5)
            E = dx.threshold(M, m) + rng.uniform(0.002, 3.0)
            t_min, t_max = dx.t_range(E, M, m)
            t = -math.exp(rng.uniform(math.log(-t_max), math.log(-t_min)))
            phi = rng.uniform(0, 2 * math.pi)
            if proton is None:
                params = sp.params_for("spin0", M, m, 1e-6, Z=6.0)
                target: tuple[Any, ...] = ("spin0", 6.0)
            else:
                params = sp.params_for("nucleon", M, m, 1e-6, proton=1.0 if proton else 0.0)
                target = ("nucleon", *ff.nucleon_em_f1_f2(t, M, proton))
            ref, pol = sp.spinor_msq_and_polarisation(E, t, M, m, 1e-6, phi, target)
            worst_msq = max(worst_msq, abs(dx.msq(E, t, params) / ref - 1.0))
            got = sp.zpgen_polarisation(E, t, M, m, params, phi)
            worst_pol = max(worst_pol, float(np.max(np.abs(got - pol))))
        out[kind] = {"max_rel_dev_msq": worst_msq, "max_abs_dev_P": worst_pol,
                     "points": n_points}
    return out


def quadrature_checks() -> dict[str, Any]:
    """sigma(E) of the kernel / scipy quadrature in the CM angle, per channel and energy."""
    from tests.processes import test_dipole_xsec as sp

    out: dict[str, Any] = {}
    for point in POINTS:
        c = card_for(point, "physics.nucleon_model=\"pauli\"")
        for name in ("C12_coherent", "C12_proton", "C12_neutron", "H1_proton"):
            params = channel_params(name, c.model, c.physics)
            ratios = []
            for E in ENERGIES:
                if dx.threshold(params[dx.I_M], params[dx.I_MN]) >= E:
                    continue
                ratios.append(dx.sigma(E, params) / sp.sigma_by_cm_angle(E, params))
            out[f"m_N={point['m_N']} {name}"] = {"max_abs_dev": float(np.max(np.abs(
                np.asarray(ratios) - 1.0)))}
    return out


def decay_checks() -> dict[str, Any]:
    """Width against the explicit-spinor two-body decay; alpha fitted to helicity amplitudes."""
    from tests.processes import dirac
    from tests.processes import test_dipole_xsec as sp

    m, d = 0.394, 3.6e-7
    z = np.array([0.0, 0.0, 1.0])
    n = np.array([0.3, -0.5, 0.81]) / np.linalg.norm([0.3, -0.5, 0.81])
    avg = 0.5 * sum(sp.decay_rate(m, d, s, n, dirac.PR) for s in (z, -z))  # N spin average
    width = (m / 2) * avg / (8 * math.pi * m * m)
    result: dict[str, Any] = {"Gamma_spinors_GeV": width,
                              "Gamma_closed_form_GeV": dx.width_nu_gamma(d, m, False),
                              "ratio": width / dx.width_nu_gamma(d, m, False)}
    cos = np.linspace(-1, 1, 9)
    for label, proj in (("alpha_nu", dirac.PR), ("alpha_nubar", dirac.PL)):
        rates = np.array([sp.decay_rate(m, d, z, np.array([math.sqrt(1 - c * c), 0, c]), proj)
                          for c in cos])
        slope, offset = np.polyfit(cos, rates, 1)
        result[label] = slope / offset
    return result


def quadrature_events(card: Any) -> dict[str, float]:
    """Expected events per channel of a dipole-portal card, independently of the generator:
    POT x targets x the flux (bin by bin) folded with dipole_xsec.sigma by scipy quad."""
    from zpgen.registry import channel_targets, load_plugin

    process = DipolePortalProcess.from_card(card)
    flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
    detector = load_plugin("detector", card.detector["name"]).from_options(card.detector)
    names, targets = channel_targets(process, detector)
    rate = {}
    for name in names:
        params = channel_params(name, card.model, card.physics)
        e_th = dx.threshold(params[dx.I_M], params[dx.I_MN])
        folded = 0.0
        for lo, hi, phi in zip(flux.edges[:-1], flux.edges[1:], flux.density, strict=True):
            lo = max(lo, e_th)
            if hi > lo and phi > 0:
                folded += phi * integrate.quad(lambda e, p=params: dx.sigma(e, p), lo, hi,
                                               epsrel=1e-7)[0]
        rate[name] = detector.pot * targets[name] * folded
    return rate


def miniboone_rate(out_dir: Path) -> dict[str, Any]:
    """Expected events of examples/dipole_portal.toml per channel (quadrature over the flux)."""
    c = parse_card((REPO / "examples" / "dipole_portal.toml").read_text(encoding="utf-8"))
    process = DipolePortalProcess.from_card(c)
    rate = quadrature_events(c)
    return {"events_before_efficiency": rate, "total": sum(rate.values()),
            "ctau_cm": process.ctau_cm, "d_over_mu_B": dx.d_in_bohr_magnetons(c.model.d)}


# ---------------------------------------------------------------------- DarkNews
def import_darknews() -> Any:
    try:
        import DarkNews
        from DarkNews import amplitudes, model, nuclear_tools, pdg, processes
        from DarkNews import phase_space as ps
    except Exception as exc:  # ImportError or a broken install
        print(f"# DarkNews is not importable here ({type(exc).__name__}: {exc}); "
              "its comparison is skipped (pip install DarkNews==0.4.8)", file=sys.stderr)
        return None
    mods = {"amplitudes": amplitudes, "model": model, "nuclear_tools": nuclear_tools,
            "pdg": pdg, "processes": processes, "ps": ps}
    return type("DN", (), {**mods, "version": DarkNews.__version__})


class DNChannel:
    """DarkNews's TMM upscattering on one target, both N helicities."""

    def __init__(self, dn: Any, point: dict[str, float], channel: str, nature: str) -> None:
        self.dn = dn
        self.model = dn.model.GenericHNLModel(m4=point["m_N"], mu_tr_mu4=2.0 * point["d"],
                                              HNLtype=nature)
        nucleus, regime = DN_CHANNELS[channel]
        target = dn.nuclear_tools.NuclearTarget(nucleus)
        self.procs = {h: dn.processes.UpscatteringProcess(
            nu_projectile=dn.pdg.numu, nu_upscattered=dn.pdg.neutrino4, nuclear_target=target,
            scattering_regime=regime, TheoryModel=self.model, helicity=h)
            for h in ("conserving", "flipping")}
        self.p0 = self.procs["flipping"]
        self.M, self.m = self.p0.MA, point["m_N"]

    def dsigma_dQ2(self, E: float, Q2: float) -> dict[str, float]:
        """cm^2/GeV^2 per target particle for each N helicity (correct u)."""
        s = self.M**2 + 2 * self.M * E
        t = -Q2
        u = 2 * self.M**2 + self.m**2 - s - t
        return {h: float(np.ravel(self.dn.amplitudes.upscattering_dxsec_dQ2(
            [np.array([s]), np.array([t]), np.array([u])], p, diagrams=["TMM_SQR"]))[0])
            for h, p in self.procs.items()}

    def q2_range(self, E: float) -> tuple[float, float]:
        return (float(self.dn.ps.upscattering_Q2min(E, self.m, self.M)),
                float(self.dn.ps.upscattering_Q2max(E, self.m, self.M)))

    def sigma(self, E: float) -> float:
        if self.p0.Ethreshold >= E:
            return 0.0
        lo, hi = self.q2_range(E)

        def integrand(y: float) -> float:
            Q2 = math.exp(y)
            return sum(self.dsigma_dQ2(E, Q2).values()) * Q2

        return integrate.quad(integrand, math.log(lo), math.log(hi), limit=400,
                              epsrel=1e-8)[0]


def dn_pointwise(dn: Any) -> dict[str, Any]:
    """5: DarkNews dsigma/dQ2 / zpgen's formula with DarkNews's form factors, d = mu_tr/2.

    On the nucleus both zpgen's spin-0 |M|^2 and its nucleon |M|^2 with F1 = Z F, F2 = 0
    (a spin-1/2 Dirac nucleus, which is what DarkNews's formula turns out to be)."""
    out: dict[str, Any] = {}
    point = POINTS[1]
    d = point["d"]
    for channel in ("C12_coherent", "C12_proton"):
        ch = DNChannel(dn, point, channel, "dirac")
        ratios: dict[str, list[float]] = {"spin0": [], "dirac": []}
        for E in (0.3, 1.0, 3.0):
            lo, hi = ch.q2_range(E)
            for Q2 in np.geomspace(lo, hi, 9)[1:-1]:
                got = sum(ch.dsigma_dQ2(E, Q2).values())
                target = ch.p0.target
                F1 = float(np.ravel(target.F1_EM(np.array([Q2])))[0])
                norm = constants.GEV2_TO_CM2 / (64 * math.pi * ch.M**2 * E * E)
                if channel.endswith("coherent"):
                    zf = target.Z * F1
                    ratios["spin0"].append(got / (dx.msq_spin0(E, -Q2, ch.M, ch.m, d, zf)
                                                  * norm))
                    ratios["dirac"].append(got / (dx.msq_nucleon(E, -Q2, ch.M, ch.m, d, zf,
                                                                 0.0) * norm))
                else:
                    F2 = float(np.ravel(target.F2_EM(np.array([Q2])))[0])
                    ratios["dirac"].append(got / (dx.msq_nucleon(E, -Q2, ch.M, ch.m, d, F1,
                                                                 F2) * norm))
        out[channel] = {k: {"min_ratio": min(v), "max_ratio": max(v), "points": len(v)}
                        for k, v in ratios.items() if v}
    return out


def dn_sigma_table(dn: Any) -> dict[str, Any]:
    """6: sigma(E) per channel, DarkNews / zpgen, for both points and both natures."""
    table: dict[str, Any] = {}
    for point in POINTS:
        helm = card_for(point)
        fb = card_for(point, "physics.coherent_form_factor=\"fourier_bessel\"")
        for channel in DN_CHANNELS:
            ch = DNChannel(dn, point, channel, "dirac")
            s_dn = np.array([ch.sigma(E) for E in ENERGIES])
            s_helm = dx.sigma_array(ENERGIES, channel_params(channel, helm.model, helm.physics))
            s_fb = dx.sigma_array(ENERGIES, channel_params(channel, fb.model, fb.physics))
            with np.errstate(divide="ignore", invalid="ignore"):
                table[f"m_N={point['m_N']} {channel}"] = {
                    "zpgen_helm_cm2": s_helm.tolist(), "zpgen_fb_cm2": s_fb.tolist(),
                    "darknews_cm2": s_dn.tolist(),
                    "dn_over_zp_helm": np.where(s_helm > 0, s_dn / s_helm, np.nan).tolist(),
                    "dn_over_zp_fb": np.where(s_fb > 0, s_dn / s_fb, np.nan).tolist()}
        maj = DNChannel(dn, point, "C12_coherent", "majorana")
        s_maj = np.array([maj.sigma(E) for E in ENERGIES])
        s_fb = dx.sigma_array(ENERGIES, channel_params("C12_coherent", fb.model, fb.physics))
        with np.errstate(divide="ignore", invalid="ignore"):
            table[f"m_N={point['m_N']} C12_coherent majorana"] = {
                "darknews_cm2": s_maj.tolist(), "zpgen_fb_cm2": s_fb.tolist(),
                "dn_over_zp_fb": np.where(s_fb > 0, s_maj / s_fb, np.nan).tolist()}
    return table


def dn_vegas_check(dn: Any) -> dict[str, Any]:
    """DarkNews's own VEGAS total_xsec against the quadrature of its dsigma/dQ2 (1 GeV)."""
    ch = DNChannel(dn, POINTS[1], "C12_coherent", "dirac")
    vegas = sum(float(np.ravel(p.total_xsec(1.0))[0]) for p in ch.procs.values())
    return {"E_GeV": 1.0, "total_xsec_vegas_cm2": vegas, "quadrature_cm2": ch.sigma(1.0),
            "ratio": vegas / ch.sigma(1.0)}


def dn_helicity(dn: Any) -> dict[str, Any]:
    """7: helicity fraction, DarkNews against zpgen's P on the CM-frame N direction."""
    from zpgen.kinematics import boost_to_rest, scatter_2to2

    out: dict[str, Any] = {}
    point = {"m_N": 0.2, "d": 1e-6}  # near threshold at 0.25 GeV: P is far from helicity +1
    c = card_for(point)
    for channel in ("C12_coherent", "C12_proton"):
        ch = DNChannel(dn, point, channel, "dirac")
        params = channel_params(channel, c.model, c.physics)
        params[dx.I_FF] = dx.FF_CODES["none"]  # the fraction does not depend on F(t)
        worst = 0.0
        lab_vs_cm = 0.0
        for E in (0.25, 1.0):
            lo, hi = ch.q2_range(E)
            for Q2 in np.geomspace(lo, hi, 11)[1:-1]:
                v = ch.dsigma_dQ2(E, Q2)
                h_dn = (v["flipping"] - v["conserving"]) / (v["flipping"] + v["conserving"])
                pN, rec = np.zeros(4), np.zeros(4)
                scatter_2to2(E, ch.M, ch.m, -Q2, 0.0, pN, rec)
                P = np.array(dx.polarisation(E, -Q2, params, pN, rec))
                cm = np.zeros(4)
                boost_to_rest(np.array([E + ch.M, 0.0, 0.0, E]), pN, cm)
                h_cm = float(P @ (-cm[1:] / np.linalg.norm(cm[1:])))
                h_lab = float(P @ (pN[1:] / np.linalg.norm(pN[1:])))
                worst = max(worst, abs(h_cm - h_dn))
                lab_vs_cm = max(lab_vs_cm, abs(h_lab - h_dn))
        out[channel] = {"max_abs_dev_cm_helicity": worst,
                        "max_abs_dev_if_lab_helicity_were_used": lab_vs_cm}
    return out


def dn_widths(dn: Any) -> dict[str, Any]:
    """8: Gamma(N -> nu gamma), DarkNews / zpgen at mu_tr = 2 d."""
    out: dict[str, Any] = {}
    point = POINTS[0]
    for nature in ("dirac", "majorana"):
        model = dn.model.GenericHNLModel(m4=point["m_N"], mu_tr_mu4=2.0 * point["d"],
                                         HNLtype=nature)
        decay = dn.processes.FermionSinglePhotonDecay(dn.pdg.neutrino4, dn.pdg.nulight, model)
        zp = dx.width_nu_gamma(point["d"], point["m_N"], nature == "majorana")
        out[nature] = {"darknews_GeV": float(decay.total_width()), "zpgen_GeV": zp,
                       "ratio": float(decay.total_width()) / zp}
    return out


# ---------------------------------------------------------------------- report
def print_report(result: dict[str, Any]) -> None:
    print("# 1. |M|^2 and P against explicit spinors")
    for k, v in result["spinors"].items():
        print(f"  {k:<14} max |dM2/M2| = {v['max_rel_dev_msq']:.1e}   max |dP| = "
              f"{v['max_abs_dev_P']:.1e}   ({v['points']} points)")
    print("# 2. sigma against quadrature in the CM angle: max |ratio - 1|")
    for k, v in result["quadrature"].items():
        print(f"  {k:<30} {v['max_abs_dev']:.1e}")
    dec = result["decay"]
    print(f"# 3. Gamma(N -> nu gamma) spinors / closed form = {dec['ratio']:.12f}; "
          f"alpha_nu = {dec['alpha_nu']:+.9f}, alpha_nubar = {dec['alpha_nubar']:+.9f}")
    r = result["miniboone_rate"]
    print(f"# 4. examples/dipole_portal.toml at MiniBooNE (c tau = {r['ctau_cm']:.2f} cm, "
          f"d = {r['d_over_mu_B']:.4g} mu_B): {r['total']:.1f} events before efficiency")
    for k, v in r["events_before_efficiency"].items():
        print(f"  {k:<14} {v:.2f}")
    dn = result.get("darknews")
    if not dn:
        return
    print(f"# DarkNews {dn['version']}: mu_tr = 2 d")
    labels = {"spin0": "zpgen spin-0 |M|^2", "dirac": "zpgen spin-1/2 |M|^2 (F1, F2)"}
    for k, v in dn["pointwise"].items():
        for form, r in v.items():
            print(f"# 5. {k}: DN dsigma/dQ2 / {labels[form]} with DN's form factors: "
                  f"{r['min_ratio']:.7f} .. {r['max_ratio']:.7f} ({r['points']} points)")
    print(f"# 6. sigma per target, DN / zpgen at E = {', '.join(map(str, ENERGIES))} GeV "
          "(zpgen Helm | Fourier-Bessel; free nucleons)")
    for k, v in dn["sigma"].items():
        fb = " ".join(f"{x:.4f}" for x in v["dn_over_zp_fb"])
        helm = " ".join(f"{x:.4f}" for x in v.get("dn_over_zp_helm", [])) or "-"
        print(f"  {k:<38} helm: {helm} | fb: {fb}")
    vc = dn["vegas"]
    print(f"  DarkNews total_xsec (VEGAS) / quadrature of its dsigma/dQ2 at 1 GeV: "
          f"{vc['ratio']:.5f}")
    for k, v in dn["helicity"].items():
        print(f"# 7. {k}: helicity fraction |zpgen(CM axis) - DN| <= "
              f"{v['max_abs_dev_cm_helicity']:.1e} (against the lab-frame helicity: "
              f"{v['max_abs_dev_if_lab_helicity_were_used']:.3f})")
    for k, v in dn["widths"].items():
        print(f"# 8. Gamma(N -> nu gamma) {k}: DN {v['darknews_GeV']:.4e}  zpgen "
              f"{v['zpgen_GeV']:.4e} GeV  DN/zpgen = {v['ratio']:.4f}")


def run(out_dir: Path, darknews: bool = True, require_darknews: bool = False
        ) -> dict[str, Any]:
    """All checks; the DarkNews ones when importable.  Writes the JSON, returns it."""
    result: dict[str, Any] = {"spinors": spinor_checks(), "quadrature": quadrature_checks(),
                              "decay": decay_checks(), "miniboone_rate": miniboone_rate(out_dir)}
    dn = import_darknews() if darknews else None
    if dn is None and require_darknews:
        raise SystemExit(3)
    if dn is not None:
        result["darknews"] = {"version": dn.version, "pointwise": dn_pointwise(dn),
                              "sigma": dn_sigma_table(dn), "vegas": dn_vegas_check(dn),
                              "helicity": dn_helicity(dn), "widths": dn_widths(dn)}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "dipole_validation.json").write_text(json.dumps(result, indent=1))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "validation" / "out" / "dipole"))
    parser.add_argument("--no-darknews", action="store_true", help="skip DarkNews")
    parser.add_argument("--require-darknews", action="store_true",
                        help="exit 3 if DarkNews is not importable")
    args = parser.parse_args(argv)
    result = run(Path(args.out), darknews=not args.no_darknews,
                 require_darknews=args.require_darknews)
    print_report(result)
    print(f"# wrote {Path(args.out) / 'dipole_validation.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
