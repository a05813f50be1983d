"""The SBN pieces (issue 18, part 2) against independent numbers: fluxes, targets, events.

Usage::

    python validation/sbn/validate_sbn.py [--darknews-fluxes DIR] [--n-events N] [--out DIR]

1. Fluxes ``bnb_microboone``, ``bnb_sbnd``, ``bnb_icarus``: numu integral and mean energy
   (and the other flavours' integrals) against

   a. the DarkNews source files (``--darknews-fluxes``, else ``$DARKNEWS_FLUXES``: the
      folder ``src/DarkNews/include/fluxes`` of github.com/mhostert/DarkNews-generator at
      the commit named in ``flux/data/LICENSE.darknews``; skipped, and said so, without
      it): the sum of ``MicroBooNE_BNB_flux.txt``'s 50 MeV column, the trapezoid over
      ``sbnd_fhc.dat``'s points, and what DarkNews itself integrates: its linear
      interpolation (``scipy.interpolate.interp1d``, zero outside the points) of the files
      its detector cards name, times ``flux_norm``, over the card's ``erange``;
   b. the MiniBooNE flux (``miniboone_bnb``, 541 m) scaled by (541 m / L)^2: a point
      source, the same beam; totals and in 0.2-3 GeV.

2. Targets: active and fiducial 40Ar masses and nuclei against the collaborations'
   published tonnages (and DarkNews's ``fiducial_mass`` values).

3. Expected events of each preset (the default Z' card in that detector) from
   ``processes.rate`` (quadrature), and from a generated sample (``--n-events``, VEGAS):
   before selection and selected with ``any``, ``one_shower``, ``two_showers``; the
   MiniBooNE default card alongside.

Writes ``sbn_validation.json`` to --out (default ``validation/out/sbn``) and prints the
tables; ``validation/README.md`` ("SBN") says where the numbers agree and why they differ.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from zpgen.card import load_preset, parse_card
from zpgen.registry import load_plugin

REPO = Path(__file__).resolve().parents[2]
MINIBOONE_BASELINE_M = 541.0
FLUXES = {"microboone": "bnb_microboone", "sbnd": "bnb_sbnd", "icarus": "bnb_icarus"}
FLAVOURS = ("numu", "numubar", "nue", "nuebar")
#: Published active masses (t) and their sources (the detector docstrings).
PUBLISHED_T = {
    "microboone": (85.0, "JINST 12 (2017) P02017: 85 t active"),
    "sbnd": (112.0, "SBN proposal arXiv:1503.01520: 112 t active"),
    "icarus": (476.0, "NIM A 527 (2004) 329; EPJC 83 (2023) 467: 476 t active"),
}
#: DarkNews's detector cards: (flux file, flux_norm, erange, fiducial_mass t, POT).
DARKNEWS_CARDS = {
    "microboone": ("MicroBooNE_BNB_fullflux.txt", 1.0 / 0.05, (0.05, 7.0), 170.0, 6.8e20),
    "sbnd": ("sbnd_fhc.dat", 1.0, (0.05, 3.0), 112.0, 15.6e20),
    "icarus": ("MicroBooNE_BNB_fullflux.txt", 1.0 / 0.05 * 47 * 47 / 60 / 60, (0.05, 7.0),
               476.0, 6.6e20),
}
#: DarkNews's column order in its bin-centre files.
DARKNEWS_COLUMNS = ("nue", "numu", "nutau", "nuebar", "numubar", "nutaubar")


def flux_of(name: str, flavour: str = "numu") -> Any:
    return load_plugin("flux", name).from_options({"name": name, "flavour": flavour})


def binned_integral(flux: Any, lo: float = 0.0, hi: float = np.inf) -> tuple[float, float]:
    """(integral, mean energy) of a piecewise-constant flux between lo and hi (GeV)."""
    a = np.clip(flux.edges[:-1], lo, hi)
    b = np.clip(flux.edges[1:], lo, hi)
    content = flux.density * (b - a)
    total = float(content.sum())
    mean = float((content * 0.5 * (a + b)).sum() / total) if total > 0 else float("nan")
    return total, mean


def darknews_checks(folder: Path | None) -> dict[str, Any]:
    """zpgen's tables against the DarkNews files (item 1a)."""
    if folder is None or not folder.is_dir():
        return {"skipped": "DarkNews flux files not given (--darknews-fluxes or "
                           "$DARKNEWS_FLUXES); fetch github.com/mhostert/DarkNews-generator "
                           "at the commit of flux/data/LICENSE.darknews"}
    from scipy import interpolate

    out: dict[str, Any] = {"folder": str(folder)}
    micro = np.loadtxt(folder / "MicroBooNE_BNB_flux.txt", comments="#")
    sbnd = np.loadtxt(folder / "sbnd_fhc.dat", comments="#")
    source = {
        "microboone": {f: float(micro[:, 2 + i].sum()) for i, f in enumerate(FLAVOURS)},
        "sbnd": {f: float(np.trapezoid(sbnd[:, 1 + DARKNEWS_COLUMNS.index(f)], sbnd[:, 0]))
                 for f in FLAVOURS},
    }
    source["icarus"] = {f: v * (470.0 / 600.0) ** 2 for f, v in source["microboone"].items()}
    for det, flux_name in FLUXES.items():
        file, norm, (e_lo, e_hi), _, _ = DARKNEWS_CARDS[det]
        table = np.loadtxt(folder / file, comments="#")
        energy = table[:, 0]
        rows: dict[str, Any] = {}
        for flavour in FLAVOURS:
            zp_total, zp_mean = binned_integral(flux_of(flux_name, flavour))
            column = table[:, 1 + DARKNEWS_COLUMNS.index(flavour)] * norm
            f = interpolate.interp1d(energy, column, fill_value=0.0, bounds_error=False)
            grid = np.linspace(e_lo, e_hi, 200_001)
            dn_range = float(np.trapezoid(f(grid), grid))
            dn_mean = float(np.trapezoid(grid * f(grid), grid) / dn_range)
            zp_range, zp_range_mean = binned_integral(flux_of(flux_name, flavour), e_lo, e_hi)
            rows[flavour] = {
                "zpgen_integral": zp_total, "zpgen_mean_GeV": zp_mean,
                "source_file_integral": source[det][flavour],
                "zpgen_over_source_file": zp_total / source[det][flavour],
                "darknews_erange_GeV": [e_lo, e_hi],
                "darknews_interp_integral": dn_range, "darknews_interp_mean_GeV": dn_mean,
                "zpgen_same_range_integral": zp_range, "zpgen_same_range_mean_GeV":
                zp_range_mean, "zpgen_same_range_over_darknews": zp_range / dn_range,
            }
        out[det] = rows
    return out


def miniboone_scaling() -> dict[str, Any]:
    """zpgen's SBN fluxes against miniboone_bnb x (541 m / L)^2 (item 1b)."""
    mb = flux_of("miniboone_bnb")
    out: dict[str, Any] = {"miniboone_integral": binned_integral(mb)[0],
                           "miniboone_mean_GeV": binned_integral(mb)[1]}
    for det, name in FLUXES.items():
        flux = flux_of(name)
        scale = (MINIBOONE_BASELINE_M / flux.baseline_m) ** 2
        row: dict[str, Any] = {"baseline_m": flux.baseline_m, "scale": scale}
        for label, (lo, hi) in (("all", (0.0, np.inf)), ("0.2-3GeV", (0.2, 3.0))):
            z, zm = binned_integral(flux, lo, hi)
            m, mm = binned_integral(mb, lo, hi)
            row[label] = {"zpgen": z, "zpgen_mean_GeV": zm, "miniboone_scaled": m * scale,
                          "miniboone_mean_GeV": mm, "ratio": z / (m * scale)}
        out[det] = row
    return out


def targets() -> dict[str, Any]:
    """Masses and nuclei against the published tonnages (item 2)."""
    out: dict[str, Any] = {}
    for det in FLUXES:
        d = load_plugin("detector", det).from_options({"name": det})
        published, source = PUBLISHED_T[det]
        out[det] = {**d.describe(), "published_active_t": published, "source": source,
                    "active_over_published": d.active_mass_t / published,
                    "darknews_fiducial_mass_t": DARKNEWS_CARDS[det][3],
                    "darknews_pot": DARKNEWS_CARDS[det][4]}
    return out


def events(n_events: int) -> dict[str, Any]:
    """Expected events of the presets and of the MiniBooNE default card (item 3)."""
    from zpgen.processes.rate import rate_summary

    from zpgen.generate import generate_array

    out: dict[str, Any] = {}
    cards = {det: load_preset(det) for det in FLUXES}
    cards["miniboone (default card)"] = parse_card(None)
    for label, card in cards.items():
        flux = load_plugin("flux", card.flux["name"]).from_options(card.flux)
        det = load_plugin("detector", card.detector["name"]).from_options(card.detector)
        rate = rate_summary(card, flux, det)
        row: dict[str, Any] = {"pot": det.pot, "rate_total": rate["total_events"],
                               "rate_per_channel": rate["events"],
                               "BR_visible": rate["BR_visible"]}
        if n_events > 0:
            ev = generate_array(card, n_events=n_events, seed=2026, nitn=6, neval=20_000,
                                nitn_final=3)
            w = np.asarray(ev.w)
            row["generated_sum_w"] = float(w.sum())
            row["generated_mc_error"] = float(np.sqrt(np.sum((w - w.mean()) ** 2)))
            selected = w * np.asarray(ev.w_eff) * np.asarray(ev.passes)
            row["generated_selected"] = float(selected.sum())
            if "n_showers" in ev.fields:
                n = np.asarray(ev.n_showers)
                row["selected_by_selection"] = {
                    "any": float(w[n >= 1].sum()), "one_shower": float(w[n == 1].sum()),
                    "two_showers": float(w[n == 2].sum())}
                row["fraction_outside_showers"] = float(w[n == 0].sum() / w.sum())
        out[label] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--darknews-fluxes", type=Path,
                        default=(Path(os.environ["DARKNEWS_FLUXES"])
                                 if os.environ.get("DARKNEWS_FLUXES") else None))
    parser.add_argument("--n-events", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=REPO / "validation" / "out" / "sbn")
    args = parser.parse_args()
    result = run(args.out, args.darknews_fluxes, args.n_events)
    report(result)
    print(f"wrote {args.out / 'sbn_validation.json'}")


def run(out: Path, darknews_fluxes: Path | None, n_events: int) -> dict[str, Any]:
    """Every number of the module docstring, written to ``out/sbn_validation.json``."""
    result = {"darknews": darknews_checks(darknews_fluxes),
              "miniboone_scaling": miniboone_scaling(), "targets": targets(),
              "events": events(n_events)}
    out.mkdir(parents=True, exist_ok=True)
    path = out / "sbn_validation.json"
    path.write_text(json.dumps(result, indent=1, default=float) + "\n", encoding="utf-8")
    return result


def report(result: dict[str, Any]) -> None:
    """Print the tables of :func:`run`'s result."""

    dn = result["darknews"]
    print("1a. fluxes against the DarkNews files (numu)")
    if "skipped" in dn:
        print("   ", dn["skipped"])
    else:
        for det in FLUXES:
            r = dn[det]["numu"]
            print(f"  {det:10s} zpgen {r['zpgen_integral']:.5e} nu/cm2/POT "
                  f"<E> {r['zpgen_mean_GeV']:.4f} GeV | source file "
                  f"{r['source_file_integral']:.5e} (ratio {r['zpgen_over_source_file']:.9f})"
                  f" | DarkNews interp in {r['darknews_erange_GeV']} GeV "
                  f"{r['darknews_interp_integral']:.5e} <E> "
                  f"{r['darknews_interp_mean_GeV']:.4f}, zpgen same range / DarkNews "
                  f"{r['zpgen_same_range_over_darknews']:.5f}")
    print("1b. fluxes against MiniBooNE's x (541 m / L)^2 (numu)")
    ms = result["miniboone_scaling"]
    for det in FLUXES:
        r = ms[det]
        print(f"  {det:10s} L = {r['baseline_m']:.0f} m  all: zpgen {r['all']['zpgen']:.4e} "
              f"scaled {r['all']['miniboone_scaled']:.4e} ratio {r['all']['ratio']:.4f} "
              f"(<E> {r['all']['zpgen_mean_GeV']:.3f} vs {r['all']['miniboone_mean_GeV']:.3f})"
              f"  0.2-3 GeV ratio {r['0.2-3GeV']['ratio']:.4f}")
    print("2. targets")
    for det, r in result["targets"].items():
        print(f"  {det:10s} active {r['active_mass_t']:.1f} t (published "
              f"{r['published_active_t']:.0f} t, ratio {r['active_over_published']:.4f}); "
              f"fiducial {r['fiducial_mass_t']:.1f} t = {r['n_Ar40']:.4e} 40Ar; DarkNews "
              f"{r['darknews_fiducial_mass_t']:.0f} t, {r['darknews_pot']:.3g} POT")
    print("3. expected events of the default Z' card")
    for label, r in result["events"].items():
        line = (f"  {label:26s} POT {r['pot']:.3g}  rate (quadrature) {r['rate_total']:.1f}")
        if "generated_sum_w" in r:
            line += (f"  generated {r['generated_sum_w']:.1f} +- {r['generated_mc_error']:.1f}"
                     f"  selected {r['generated_selected']:.1f}")
        if "selected_by_selection" in r:
            s = r["selected_by_selection"]
            line += (f"  [one_shower {s['one_shower']:.1f}, two_showers "
                     f"{s['two_showers']:.1f}, no shower {r['fraction_outside_showers']:.3f}]")
        print(line)


if __name__ == "__main__":
    main()
