"""The standard MiniBooNE data/Monte Carlo figure of a ``zpgen compare`` result.

One panel per observable: the released nu_e-like background as a filled histogram, the
zpgen signal *as generated* (mu = 1) stacked on it, the total's systematic band (E_QE: the
background's error from the released fractional covariance, :func:`zpgen.detectors.
miniboone_compare.background_error`, with the signal's Monte Carlo error added in
quadrature), the best fit ``B + mu_best S`` as a dashed line, and the data with sqrt(N)
errors.  E_QE is drawn as events per MeV (its bins are unequal, as in MiniBooNE's plots);
with ``--shapes`` the E_vis and cos(theta) panels (events with 0.2 <= E_QE < 1.25 GeV,
digitised spectra: no covariance was released, so no band) follow.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["IMAGE_SUFFIXES", "SIGMA_LINES", "check_plot_path", "plot_comparison", "plot_scan"]

#: delta chi2 of 2, 3 and 5 sigma for one fitted parameter (the paper's Fig. 6 lines).
SIGMA_LINES = {2: 4.0, 3: 9.0, 5: 25.0}

FloatArray = npt.NDArray[np.float64]

#: Image formats of the figure (matplotlib's Agg and vector backends).
IMAGE_SUFFIXES = (".png", ".pdf", ".svg", ".eps", ".ps", ".jpg", ".jpeg")


def check_plot_path(path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """The figure's path, or ``ValueError`` naming the problem (before any work)."""
    p = Path(path)
    if p.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"--plot: {str(p)!r} has an unknown image suffix "
                         f"{p.suffix or '(none)'!r}; use one of {', '.join(IMAGE_SUFFIXES)}")
    if not p.parent.is_dir():
        raise ValueError(f"--plot: directory {str(p.parent)!r} does not exist")
    if not os.access(p.parent, os.W_OK):
        raise ValueError(f"--plot: directory {str(p.parent)!r} is not writable")
    if p.is_dir():
        raise ValueError(f"--plot: {str(p)!r} is a directory")
    if p.exists() and not overwrite:
        raise ValueError(f"--plot: {str(p)!r} exists; pass --overwrite to replace it")
    return p


def _panel(ax: Any, edges: FloatArray, background: FloatArray, signal: FloatArray,
           band: FloatArray | None, data: FloatArray, mu: float, per: FloatArray,
           xlabel: str, ylabel: str, note: str) -> None:
    """One stacked data/MC panel; ``per`` divides every content (bin width or 1)."""
    b, s, d = background / per, signal / per, data / per
    centres = 0.5 * (edges[1:] + edges[:-1])
    ax.stairs(b, edges, fill=True, color="#9ecae1", label="MiniBooNE background (released)")
    ax.stairs(b + s, edges, baseline=b, fill=True, color="#fc9272",
              label="zpgen signal, as generated (mu = 1)")
    if band is not None:
        top, bottom = b + s + band / per, np.clip(b + s - band / per, 0.0, None)
        ax.stairs(top, edges, baseline=bottom, fill=False, hatch="////", color="0.35",
                  lw=0.0, label="systematic (released covariance) + MC stat.")
    ax.stairs(b + mu * s, edges, color="#a50f15", ls="--", lw=1.3,
              label=f"best fit B + mu S, mu = {mu:.3g}")
    ok = np.isfinite(d)
    ax.errorbar(centres[ok], d[ok], yerr=np.sqrt(np.clip(data[ok], 0, None)) / per[ok],
                fmt="o", color="k", ms=4, label="MiniBooNE data (18.75e20 POT)")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0.0, None)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.text(0.98, 0.6, note, transform=ax.transAxes, ha="right", va="top", fontsize=8)


def plot_comparison(result: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Draw the figure of a :func:`zpgen.detectors.miniboone_compare.compare` result to
    ``path`` (suffix picks the format), written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(path)
    shapes = {k: v for k, v in (result.get("shapes") or {}).items()
              if isinstance(v, dict) and "edges" in v}
    n = 1 + len(shapes)
    fig, axes = plt.subplots(1, n, figsize=(6.2 * n, 4.8), squeeze=False)
    edges = np.asarray(result["eqe_edges_GeV"], dtype=np.float64)
    signal = np.asarray(result["prediction"], dtype=np.float64)
    mc = np.asarray(result.get("prediction_mc_error", np.zeros_like(signal)))
    bkg_err = np.asarray(result.get("background_error", np.zeros_like(signal)))
    note = (f"chi2 background only {result['chi2_background_only']:.1f}\n"
            f"chi2 best fit {result['chi2_min']:.1f} / {result['ndof']} dof\n"
            f"delta chi2 {result['delta_chi2']:.1f} "
            f"({result['significance_sigma']:.1f} sigma)")
    _panel(axes[0, 0], edges, np.asarray(result["background"]), signal,
           np.hypot(bkg_err, mc), np.asarray(result["data"], dtype=np.float64),
           float(result["mu_best"]), np.diff(edges) * 1000.0,
           "reconstructed E_QE [GeV]", "events / MeV", note)
    axes[0, 0].set_title("MiniBooNE 2020 nu mode, nu_e-like events")
    axes[0, 0].legend(fontsize=7, loc="upper right")
    labels = {"E_vis": ("reconstructed E_vis [GeV]", "events / 0.05 GeV"),
              "cos_theta": ("reconstructed cos theta", "events / 0.1")}
    for ax, (obs, r) in zip(axes[0, 1:], shapes.items(), strict=True):
        e = np.asarray(r["edges"], dtype=np.float64)
        xlabel, ylabel = labels.get(obs, (obs, "events / bin"))
        _panel(ax, e, np.nan_to_num(np.asarray(r["background"], dtype=np.float64)),
               np.asarray(r["signal"], dtype=np.float64), None,
               np.asarray(r["data"], dtype=np.float64), float(result["mu_best"]),
               np.ones(e.size - 1),
               xlabel, ylabel, f"chi2 (stat. only) {r['chi2_stat']:.1f} / {r['ndof_stat']}")
        ax.set_title(f"{obs}, 0.2 <= E_QE < 1.25 GeV (digitised spectra)")
    fig.suptitle(f"zpgen: {os.path.basename(str(result['file']))}", fontsize=9)
    fig.tight_layout()
    from zpgen import signals
    from zpgen.tempfiles import create_temporary, publish, remove_quietly

    with signals.deferred():
        tmp = create_temporary(out)
    try:
        fig.savefig(tmp, dpi=130, format=out.suffix.lstrip(".").lower())
        publish(tmp, out)
    except BaseException:
        remove_quietly(tmp)
        raise
    finally:
        plt.close(fig)
    return out


def _save(fig: Any, out: Path) -> Path:
    import matplotlib.pyplot as plt

    from zpgen import signals
    from zpgen.tempfiles import create_temporary, publish, remove_quietly

    with signals.deferred():
        tmp = create_temporary(out)
    try:
        fig.savefig(tmp, dpi=110, format=out.suffix.lstrip(".").lower())
        publish(tmp, out)
    except BaseException:
        remove_quietly(tmp)
        raise
    finally:
        plt.close(fig)
    return out


def plot_scan(rows: list[dict[str, Any]], keys: list[str], path: str | os.PathLike[str]
              ) -> Path:
    """Paper Fig. 6 for any key: chi2_min (with the background-only chi2), delta chi2 with
    the 2, 3, 5 sigma lines of one fitted parameter, and mu_best, against the first
    varied key; one line per combination of the other keys (``zpgen scan --plot``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x_key, others = keys[0], keys[1:]
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(k) for k in others), []).append(row)
    fig, axes = plt.subplots(3, 1, figsize=(8, 10), sharex=True)
    numeric = all(isinstance(r.get(x_key), int | float) for r in rows)
    for label, group in sorted(groups.items(), key=lambda kv: str(kv[0])):
        group = sorted(group, key=lambda r: r[x_key] if numeric else str(r[x_key]))
        x = [r[x_key] for r in group]
        name = ", ".join(f"{k} = {v}" for k, v in zip(others, label, strict=True)) or None
        axes[0].plot(x, [r["chi2_min"] for r in group], "o-", label=name)
        axes[1].plot(x, [r["delta_chi2"] for r in group], "o-", label=name)
        mu = np.array([r["mu_best"] for r in group], dtype=np.float64)
        axes[2].plot(x, np.where(mu > 0, mu, np.nan), "o-", label=name)
    bkg = rows[0]["chi2_background_only"]
    axes[0].axhline(bkg, color="k", ls="--", lw=0.8,
                    label=f"background only, chi2 = {bkg:.2f}")
    axes[0].set_ylabel(f"chi2_min (19 bins - 1 fitted mu = {rows[0]['ndof']} dof)")
    for k, v in SIGMA_LINES.items():
        axes[1].axhline(v, color="tab:red", lw=0.8, ls=":")
        axes[1].annotate(f"{k} sigma (1 dof)", (1.0, v), xycoords=("axes fraction", "data"),
                         ha="right", va="bottom", color="tab:red", fontsize=8)
    axes[1].set_ylabel("delta chi2 = chi2_bkg - chi2_min")
    axes[2].set_yscale("log")
    axes[2].set_ylabel("mu_best (x the card's rate)")
    axes[2].set_xlabel(x_key)
    for ax in axes:
        if any(ax.get_legend_handles_labels()[1]):
            ax.legend(fontsize=8)
    fig.suptitle(f"MiniBooNE 2020 E_QE fit vs {x_key} ({rows[0].get('stat', 'cnp')}, full "
                 f"covariance; {rows[0].get('n_events')} events per point)", fontsize=10)
    fig.tight_layout()
    return _save(fig, Path(path))
