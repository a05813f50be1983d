"""Weighted summary histograms (E_vis, E_QE, cos_theta) filled chunk by chunk.

Contents are sums of the CV weight ``w`` (expected events per bin), with sums of ``w^2``
for the errors; under/overflow are kept.  They are written to ROOT as TH1D (with
``fSumw2``) through ``hist.Hist`` with Weight storage when ``hist`` is installed, else as
numpy ``(counts, edges)`` tuples (no errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np

__all__ = ["HISTOGRAMS", "HistogramSet", "WeightedHistogram"]

#: Official MiniBooNE E_QE binning of the nu_e-like excess (GeV).
MINIBOONE_EQE_EDGES = np.array(
    [0.2, 0.3, 0.375, 0.475, 0.55, 0.675, 0.8, 0.95, 1.1, 1.25, 1.5, 3.0])

#: name -> (column, edges, axis label with unit)
HISTOGRAMS: dict[str, tuple[str, np.ndarray, str]] = {
    "h_E_vis": ("E_vis", np.linspace(0.0, 3.0, 31), "E_vis [GeV]"),
    "h_E_QE": ("E_QE", MINIBOONE_EQE_EDGES, "E_QE [GeV]"),
    "h_cos_theta": ("cos_theta", np.linspace(-1.0, 1.0, 21), "cos theta"),
}


@dataclass
class WeightedHistogram:
    """One weighted 1D histogram with flow bins: sum of w and sum of w^2 per bin."""

    name: str
    column: str
    edges: np.ndarray
    label: str
    sumw: np.ndarray = field(init=False)
    sumw2: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.edges) - 1
        self.sumw = np.zeros(n + 2)  # [underflow, bins..., overflow]
        self.sumw2 = np.zeros(n + 2)

    def fill(self, x: np.ndarray, w: np.ndarray) -> None:
        """Add values x (column unit) with weights w (events); NaN values are skipped."""
        ok = np.isfinite(x)
        x, w = x[ok], w[ok]
        inside = (x >= self.edges[0]) & (x <= self.edges[-1])
        c, _ = np.histogram(x[inside], bins=self.edges, weights=w[inside])
        c2, _ = np.histogram(x[inside], bins=self.edges, weights=w[inside] ** 2)
        self.sumw[1:-1] += c
        self.sumw2[1:-1] += c2
        lo, hi = x < self.edges[0], x > self.edges[-1]
        self.sumw[0] += w[lo].sum()
        self.sumw2[0] += (w[lo] ** 2).sum()
        self.sumw[-1] += w[hi].sum()
        self.sumw2[-1] += (w[hi] ** 2).sum()

    def to_writable(self) -> Any:
        """A ``hist.Hist`` (Weight storage, with flow) or a numpy (counts, edges) tuple."""
        try:
            import hist
        except ImportError:  # pragma: no cover - hist is a test/formats dependency
            return (self.sumw[1:-1].copy(), self.edges.copy())
        h = hist.Hist(hist.axis.Variable(self.edges, name=self.column, label=self.label),
                      storage=hist.storage.Weight(), label="expected events",
                      name=self.name)
        view = h.view(flow=True)
        view["value"] = self.sumw
        view["variance"] = self.sumw2
        return h


class HistogramSet:
    """The summary histograms of the columns present in the written events."""

    def __init__(self) -> None:
        self.hists: dict[str, WeightedHistogram] | None = None

    def fill(self, chunk: Any) -> None:
        if self.hists is None:
            self.hists = {name: WeightedHistogram(name, col, edges, label)
                          for name, (col, edges, label) in HISTOGRAMS.items()
                          if col in chunk.fields}
        w = ak.to_numpy(chunk["w"]).astype(np.float64)
        for h in self.hists.values():
            h.fill(ak.to_numpy(chunk[h.column]).astype(np.float64), w)

    def items(self) -> list[tuple[str, WeightedHistogram]]:
        return list((self.hists or {}).items())
