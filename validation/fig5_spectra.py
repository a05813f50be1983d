"""Paper Fig. 5: E_vis and cos(theta) signal spectra at M_Z' = 20 and 30 MeV with the
MiniBooNE 2020 data and background.

Two setups, the same couplings (the default card's: the paper does not give the nu_mu-nu5
mixing behind its normalisation, so only the setups' differences are meaningful):

(a) ``paper``: the paper's choices (PHYSICS.md, "Nucleon and nuclear currents" and
    "Event rate"): ``physics.nucleon_model = paper`` (14 free nucleons per CH2, eq. 24),
    ``physics.coherent_form_factor = paper`` (144 exp(2bt)), no detector response
    (detector ``truth``: true E_vis and cos theta, no selection) and the paper's flat
    efficiency eta = 0.2 (weight 0.2 w).  The paper counts targets in the whole tank
    (818 t of CH2, n = 3.5174e31): ``detector.fiducial_radius_cm = 610.6`` (the tank
    radius) does the same; the ratio to zpgen's fiducial 500 cm is (610.6/500)^3 = 1.82.
(b) ``zpgen``: zpgen's defaults: Helm form factor, Pauli-blocked bound nucleons, the
    ``miniboone`` detector (fiducial R < 500 cm, smearing, one-ring proxy, efficiency),
    weight ``w * w_eff * passes``, reconstructed E_vis and cos theta of the events with
    0.2 < E_QE < 1.25 GeV (the window of MiniBooNE's published spectra).

Data and background: the digitised 2020 spectra (``digitised_2020``, matched to the bin
edges by bin centre), statistical errors sqrt(N) on the data.  Also the E_QE fit of the
signal normalisation (:func:`zpgen.detectors.miniboone_chi2.fit_signal_strength`; for (a)
with the true E_QE and no selection, for information only).

Writes ``validation/out/fig5_spectra.png`` (2 x 2: setups x observables, signal stacked on
the background), ``fig5_signal_shapes.png`` (signal alone, both setups) and
``fig5_spectra.json``.

    python validation/fig5_spectra.py [--n-events 200000] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from zpgen.detectors.miniboone_chi2 import MiniBooNERelease, fit_signal_strength
from zpgen.detectors.miniboone_chi2 import data_directory as miniboone_data_directory
from zpgen.detectors.miniboone_compare import SHAPE_EQE_RANGE_GeV, read_digitised

from zpgen.card import load_card
from zpgen.generate import generate

REPO = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "out"
MASSES_GeV = (0.020, 0.030)
PAPER_ETA = 0.2
SETUPS: dict[str, dict[str, Any]] = {
    "paper": {
        "label": "paper choices: 144 exp(2bt) + 14 free nucleons, whole tank, "
                 "eta = 0.2, no detector",
        "overrides": ("physics.nucleon_model=paper", "physics.coherent_form_factor=paper",
                      "detector.name=truth", "detector.fiducial_radius_cm=610.6"),
    },
    "zpgen": {
        "label": "zpgen defaults: Helm, Pauli blocking, MiniBooNE response, fiducial 500 cm",
        "overrides": (),
    },
}


def data_directory(option: str | os.PathLike[str] | None = None) -> Path:
    """--data, else $ZPGEN_MINIBOONE_DATA, else ../shared/data/miniboone next to the repo."""
    return miniboone_data_directory(option, default=REPO.parent / "shared/data/miniboone")


def simulate(setup: str, mzp: float, n_events: int, seed: int | None,
             fast: bool) -> dict[str, Any]:
    """Generate one point; return its observables, plotting weights and run summary."""
    card = load_card(None, (*SETUPS[setup]["overrides"], f"model.mzprime={mzp}"))
    kwargs = {"nitn": 4, "neval": 4000} if fast else {}
    stream = generate(card, n_events=n_events, seed=seed, **kwargs)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in
                                         ("w", "w_eff", "passes", "E_vis", "cos_theta", "E_QE")}
    for chunk in stream:
        for k in cols:
            cols[k].append(np.asarray(chunk[k]))
    c = {k: np.concatenate(v) for k, v in cols.items()}
    summary = stream.summary
    if setup == "paper":
        weight = PAPER_ETA * c["w"]
        in_window = np.isfinite(c["E_vis"])
    else:
        weight = c["w"] * c["w_eff"] * c["passes"]
        lo, hi = SHAPE_EQE_RANGE_GeV
        with np.errstate(invalid="ignore"):
            in_window = np.isfinite(c["E_QE"]) & (c["E_QE"] >= lo) & (c["E_QE"] < hi)
    return {"columns": c, "weight": weight, "in_window": in_window,
            "targets": dict(summary.targets), "pot": summary.pot,
            "regime": summary.process_info.get("regime"),
            "br_visible": summary.process_info.get("br_visible"),
            "sum_w": summary.sum_w}


def run(n_events: int = 200_000, out_dir: str | os.PathLike[str] = OUT,
        data_dir: str | os.PathLike[str] | None = None,
        masses: tuple[float, ...] = MASSES_GeV, seed: int | None = None,
        fast: bool = False, plot: bool = True) -> dict[str, Any]:
    """Generate, histogram, fit and plot; returns (and writes) the JSON summary."""
    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = data_directory(data_dir)
    release = MiniBooNERelease.from_directory(data)
    digitised = data / "digitised_2020"
    spectra = {obs: read_digitised(digitised, obs) for obs in ("E_vis", "cos_theta")}
    summary: dict[str, Any] = {
        "n_events_per_point": n_events, "masses_GeV": list(masses),
        "paper_eta": PAPER_ETA, "E_QE_window_zpgen_GeV": list(SHAPE_EQE_RANGE_GeV),
        "errors": "data: statistical sqrt(N) only (no covariance released for E_vis, "
                  "cos theta)",
        "data": {obs: {"edges": e.tolist(), "data": d.tolist(), "background": b.tolist()}
                 for obs, (e, d, b) in spectra.items()},
        "setups": {},
    }
    hists: dict[tuple[str, float], dict[str, np.ndarray]] = {}
    for setup, spec in SETUPS.items():
        entry: dict[str, Any] = {"label": spec["label"], "overrides": list(spec["overrides"]),
                                 "points": {}}
        for mzp in masses:
            t0 = time.perf_counter()
            sim = simulate(setup, mzp, n_events, seed, fast)
            c, weight, window = sim["columns"], sim["weight"], sim["in_window"]
            point: dict[str, Any] = {
                "regime": sim["regime"], "br_visible": sim["br_visible"],
                "targets": sim["targets"], "pot": sim["pot"],
                "expected_events_before_efficiency": sim["sum_w"],
                "signal_events_total": float(weight.sum()),
                "signal_events_in_window": float(weight[window].sum()),
            }
            for obs, (edges, _, _) in spectra.items():
                values = c[obs][window]
                h, _ = np.histogram(values, bins=edges, weights=weight[window])
                hists[(setup, mzp)] = hists.get((setup, mzp), {})
                hists[(setup, mzp)][obs] = h
                point[f"signal_{obs}"] = h.tolist()
                point[f"signal_events_in_{obs}_range"] = float(h.sum())
            eqe = c["E_QE"]
            with np.errstate(invalid="ignore"):
                ok = np.isfinite(eqe)
            s_eqe, _ = np.histogram(eqe[ok], bins=release.edges_GeV, weights=weight[ok])
            fit = fit_signal_strength(s_eqe, release)
            point["E_QE_signal"] = s_eqe.tolist()
            point["E_QE_fit"] = fit.as_dict()
            point["seconds"] = time.perf_counter() - t0
            entry["points"][f"{mzp * 1e3:g} MeV"] = point
            print(f"{setup:6s} M_Z' = {mzp * 1e3:4.0f} MeV: signal "
                  f"{point['signal_events_total']:9.1f}"
                  f" events ({point['signal_events_in_window']:.1f} in the plotted window), "
                  f"E_QE fit mu = {fit.mu_best:.3g}, chi2_min = {fit.chi2_min:.2f}/{fit.ndof}, "
                  f"delta chi2 = {fit.delta_chi2:.2f} [{point['seconds']:.1f} s]")
        summary["setups"][setup] = entry
    # targets: whole tank (paper) vs fiducial sphere (zpgen)
    first = f"{masses[0] * 1e3:g} MeV"
    n_paper = summary["setups"]["paper"]["points"][first]["targets"]["C12_coherent"]
    n_zpgen = summary["setups"]["zpgen"]["points"][first]["targets"]["C12_coherent"]
    summary["targets_CH2"] = {"paper_setup_whole_tank": n_paper, "zpgen_fiducial": n_zpgen,
                              "ratio": n_paper / n_zpgen, "paper_quote": 3.5174e31}
    summary["seconds"] = time.perf_counter() - start
    (out / "fig5_spectra.json").write_text(json.dumps(summary, indent=2))
    if plot:
        _plot(out, summary, spectra, hists, masses)
    print(f"wrote {out / 'fig5_spectra.json'} ({summary['seconds']:.0f} s)")
    return summary


def _plot(out: Path, summary: dict[str, Any], spectra: dict[str, Any],
          hists: dict[tuple[str, float], dict[str, np.ndarray]],
          masses: tuple[float, ...]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = {"E_vis": (r"$E_{\rm vis}$ [GeV]", "events / 0.05 GeV"),
              "cos_theta": (r"$\cos\theta$ (pair direction vs beam)", "events / 0.1")}
    styles = [("tab:blue", "--"), ("tab:cyan", "-"), ("tab:purple", ":"), ("tab:olive", "-.")]
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    for row, setup in enumerate(SETUPS):
        for col, obs in enumerate(("E_vis", "cos_theta")):
            ax = axes[row, col]
            edges, data, bkg = spectra[obs]
            centres = 0.5 * (edges[1:] + edges[:-1])
            bkg0 = np.nan_to_num(bkg)
            ax.stairs(bkg0, edges, fill=True, color="0.85", label="MiniBooNE background")
            for k, mzp in enumerate(masses):
                color, ls = styles[k % len(styles)]
                h = hists[(setup, mzp)][obs]
                ax.stairs(bkg0 + h, edges, color=color, linestyle=ls, linewidth=1.8,
                          label=f"background + signal, M_Z' = {mzp * 1e3:g} MeV "
                                f"({h.sum():.0f} ev.)")
            ok = np.isfinite(data)
            ax.errorbar(centres[ok], data[ok], yerr=np.sqrt(np.clip(data[ok], 0, None)),
                        fmt="o", color="k", ms=3, label="MiniBooNE 2020 data (stat. errors)")
            ax.set_xlabel(labels[obs][0])
            ax.set_ylabel(labels[obs][1])
            ax.set_title(f"({'ab'[row]}) {summary['setups'][setup]['label']}", fontsize=8)
            ax.legend(fontsize=7, loc="upper right" if obs == "E_vis" else "upper left")
    fig.suptitle("Paper Fig. 5: MiniBooNE nu mode 18.75e20 POT; default-card couplings")
    fig.tight_layout()
    fig.savefig(out / "fig5_spectra.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for col, obs in enumerate(("E_vis", "cos_theta")):
        ax = axes[col]
        edges = spectra[obs][0]
        for k, mzp in enumerate(masses):
            color, _ = styles[k % len(styles)]
            for setup, ls in (("paper", "--"), ("zpgen", "-")):
                ax.stairs(hists[(setup, mzp)][obs], edges, color=color, linestyle=ls,
                          label=f"{setup}, M_Z' = {mzp * 1e3:g} MeV")
        ax.set_xlabel(labels[obs][0])
        ax.set_ylabel(labels[obs][1])
        ax.set_yscale("log")
        ax.legend(fontsize=7)
    fig.suptitle("Signal alone: (a) paper choices (dashed) vs (b) zpgen defaults (solid)")
    fig.tight_layout()
    fig.savefig(out / "fig5_signal_shapes.png", dpi=110)
    plt.close(fig)
    print(f"wrote {out / 'fig5_spectra.png'} and {out / 'fig5_signal_shapes.png'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-events", type=int, default=200_000,
                        help="events per (setup, mass) point (default %(default)s)")
    parser.add_argument("--data", help="MiniBooNE data folder (default: "
                                       "$ZPGEN_MINIBOONE_DATA or ../shared/data/miniboone)")
    parser.add_argument("--out", default=str(OUT), help="output folder (default %(default)s)")
    parser.add_argument("--seed", type=int, help="root seed (default: the card's)")
    args = parser.parse_args(argv)
    run(args.n_events, args.out, args.data, seed=args.seed)


if __name__ == "__main__":
    main()
