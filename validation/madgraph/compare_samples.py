#!/usr/bin/env python3
"""zpgen against the stored MadGraph samples, setup by setup (README.md).

    python compare_samples.py [SETUP ...] [--n-events N] [--seed S] [--json FILE]

For each setup of setups.toml: generate zpgen with the setup's card overrides on the free
proton alone (a truth detector whose only targets are the H1 protons, so every event is
an H1_proton event), read ``samples/<setup>.lhe.gz`` and compare them with
:func:`zpgen.madgraph.compare_lhe.compare`: the cross section (MadGraph's divided by its bwcutoff
factor) and, per observable, chi2, KS, mean and median within the combined statistical
errors, family-wise threshold 1e-3.  Prints one table row per setup and observable.
tests/validation/test_madgraph_samples.py runs the same functions in CI.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: Observables of a production-only sample and of a sample with the e+ e- pair.
PRODUCTION = ("E_nu5", "t")
CHAIN = ("E_nu5", "t", "E_vis", "theta_ee", "cos_theta", "asymmetry", "cos_theta_star")


def load_setups() -> tuple[list[str], dict[str, dict[str, Any]]]:
    data = tomllib.loads((HERE / "setups.toml").read_text(encoding="utf-8"))
    return list(data["common"]), dict(data["setups"])


def observables(setup: Mapping[str, Any]) -> tuple[str, ...]:
    return CHAIN if ("e+ e-" in setup["generate"] or setup.get("madspin")) else PRODUCTION


def h1_detector() -> Any:
    """The truth detector with its hydrogen as the only material (free protons only)."""
    from zpgen.detectors.truth import TruthDetector

    class H1Only(TruthDetector):
        def material(self) -> dict[str, float]:
            return {"H1": float(super().material()["H1"])}

    return H1Only()


def zpgen_sample(overrides: Sequence[str], n_events: int, seed: int, *, nitn: int = 5,
                 neval: int = 8000) -> Any:
    """zpgen events of the free-proton channel as a compare_lhe Sample (cross section and
    its Monte Carlo error per proton, BR included, in pb)."""
    from zpgen.madgraph.compare_lhe import ParticleIds, sample_from_chunks
    from zpgen.processes.dark_neutrino import DarkNeutrinoProcess

    from zpgen.card import parse_card
    from zpgen.generate import generate

    card = parse_card(None, list(overrides))
    process = DarkNeutrinoProcess.from_card(card)
    declared = {info.name: pdg for pdg, info in process.particles().items()}
    ids = ParticleIds(nu5=declared["nu5"], zprime=declared["Zprime"])
    stream = generate(card, n_events=n_events, seed=seed, detector=False,
                      detector_plugin=h1_detector(), nitn=nitn, neval=neval,
                      chunk_size=n_events)
    chunks = list(stream)
    sigma, err = stream.summary.sigma_flux_avg()["H1_proton"]
    return sample_from_chunks(chunks, ids, path=f"zpgen[{' '.join(overrides)}]",
                              sigma_pb=sigma * 1e36, sigma_err_pb=err * 1e36,
                              br_visible=process.br_visible), ids


def madgraph_sample(name: str, ids: Any, bw_resonances: int | None = None) -> Any:
    from zpgen.madgraph.compare_lhe import read_sample

    return read_sample(HERE / "samples" / f"{name}.lhe.gz", ids=ids,
                       bw_resonances=bw_resonances)


def compare_setup(name: str, *, n_events: int = 20000, seed: int = 17,
                  extra: Sequence[str] = (), bw_resonances: int | None = None,
                  threshold: float = 1e-3) -> dict[str, Any]:
    """compare_lhe.compare of zpgen (the setup's card plus ``extra`` overrides) and the
    stored MadGraph sample of ``name``."""
    from zpgen.madgraph.compare_lhe import compare

    common, setups = load_setups()
    setup = setups[name]
    zp, ids = zpgen_sample([*common, *setup["zpgen"], *extra], n_events, seed)
    mg = madgraph_sample(name, ids, bw_resonances)
    result = compare(zp, mg, observables(setup), threshold=threshold)
    result["setup"] = name
    return result


def table(results: Sequence[Mapping[str, Any]]) -> str:
    """Markdown table: per setup the cross sections and every observable's means."""
    rows = ["| setup | quantity | zpgen | MadGraph | z | p (chi2, KS) |",
            "|---|---|---|---|---|---|"]
    for r in results:
        (za, zb), (ea, eb) = r["xsec_corrected_pb"], r["xsec_corrected_err_pb"]
        f = r["bw_factor"][1]
        what = "sigma x BR" if "E_vis" in r["observables"] else "sigma"
        rows.append(f"| {r['setup']} | {what} [fb] (MG / {f:.4f}) | {za * 1e3:.5g} +- "
                    f"{ea * 1e3:.2g} | {zb * 1e3:.5g} +- {eb * 1e3:.2g} | "
                    f"{r['xsec_z']:+.2f} | |")
        for obs, e in r["observables"].items():
            unit = f" [{e['unit']}]" if e["unit"] else ""
            for stat in ("mean", "median"):
                if stat == "median" and obs != "theta_ee":
                    continue
                (a, b), (sa, sb) = e[stat], e[f"{stat}_err"]
                z = e[f"z_{stat}"]
                pp = (f"{e['p_chi2']:.2g}, {e['p_ks']:.2g}" if stat == "mean" else "")
                rows.append(f"| | {stat} {obs}{unit} | {a:.5g} +- {sa:.2g} | {b:.5g} +- "
                            f"{sb:.2g} | {z:+.2f} | {pp} |")
        verdict = "PASS" if r["pass"] else "FAIL: " + "; ".join(r["failures"])
        rows.append(f"| | verdict ({r['n_tests']} tests, family-wise p >= "
                    f"{r['threshold']:g}) | {verdict} | | | |")
    return "\n".join(rows)


def wrong_card_figure(path: Path, n_events: int = 20000, seed: int = 17) -> dict[str, Any]:
    """cos theta* and E_vis of the point_chain sample against zpgen with the right card and
    with C_A of the wrong sign, with the comparisons' verdicts (README.md, section 6)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from zpgen.madgraph.compare_lhe import compare

    common, setups = load_setups()
    setup = setups["point_chain"]
    right, ids = zpgen_sample([*common, *setup["zpgen"]], n_events, seed)
    wrong, _ = zpgen_sample([*common, *setup["zpgen"], "model.couplings.ca_l=-1.88e-4"],
                            n_events, seed)
    mg = madgraph_sample("point_chain", ids)
    results = {label: compare(s, mg, observables(setup))
               for label, s in (("right", right), ("wrong", wrong))}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, obs, edges in ((axes[0], "cos_theta_star", np.linspace(-1, 1, 21)),
                           (axes[1], "E_vis", np.linspace(0.0, 1.0, 21))):
        for label, s, style in (("zpgen, C_A = +1.88e-4", right, "-"),
                                ("zpgen, C_A = -1.88e-4 (wrong)", wrong, "--")):
            x, w = s.observables[obs], s.weights
            h, _ = np.histogram(x, edges, weights=w / w.sum())
            ax.stairs(h / np.diff(edges), edges, label=label, linestyle=style)
        x = mg.observables[obs]
        h, _ = np.histogram(x, edges)
        centres = 0.5 * (edges[1:] + edges[:-1])
        ax.errorbar(centres, h / len(x) / np.diff(edges),
                    yerr=np.sqrt(h) / len(x) / np.diff(edges), fmt="ko", ms=3,
                    label="MadGraph 3.1.1 (point_chain)")
        pr = results["right"]["observables"][obs]["p_mean"]
        pw = results["wrong"]["observables"][obs]["p_mean"]
        ax.set_title(f"{obs}: p(mean) right {pr:.2g}, wrong {pw:.2g}")
        ax.set_xlabel(obs)
        ax.set_ylabel("normalised density")
    axes[0].legend(fontsize=8)
    verdict = {k: ("PASS" if r["pass"] else "FAIL") for k, r in results.items()}
    fig.suptitle(f"compare(): right card {verdict['right']}, wrong C_A sign "
                 f"{verdict['wrong']} (family-wise p >= 1e-3)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("setups", nargs="*")
    parser.add_argument("--n-events", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--wrong-card-figure", type=Path, default=None, metavar="PNG",
                        help="only draw point_chain against the right and a wrong card")
    args = parser.parse_args(argv)
    if args.wrong_card_figure:
        res = wrong_card_figure(args.wrong_card_figure, args.n_events, args.seed)
        print(f"wrote {args.wrong_card_figure}: right card "
              f"{'PASS' if res['right']['pass'] else 'FAIL'}, wrong card "
              f"{'PASS' if res['wrong']['pass'] else 'FAIL'}: {res['wrong']['failures']}")
        return 0
    _, setups = load_setups()
    names = args.setups or list(setups)
    results = [compare_setup(n, n_events=args.n_events, seed=args.seed) for n in names]
    print(table(results))
    if args.json:
        def clean(x: Any) -> Any:
            if isinstance(x, float) and not math.isfinite(x):
                return str(x)
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items() if k != "edges"}
            if isinstance(x, list):
                return [clean(v) for v in x]
            return x
        args.json.write_text(json.dumps(clean(results), indent=1), encoding="utf-8")
    return 0 if all(r["pass"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
