"""Summary histograms of a run, declared by the detector and filled chunk by chunk.

A detector plugin may declare, through ``histograms()``, the histograms its users stack
on data: a list of :class:`HistogramSpec`.  The engine puts them in the run document
(``run_info["histograms"]``) and the ROOT writer fills them with ``hist`` (Weight storage:
sum of weights and sum of squared weights per bin, so the errors are Sumw2) and writes them
as TH1D with a title, axis titles with units and Sumw2 errors (:func:`th1d`).

Weights: a *selected* histogram sums ``w * w_eff * passes`` (the expected selected events
of the exposure, what a data histogram counts); an *all* histogram sums ``w`` (expected
events before efficiency and selection).  ``window = (column, lo, hi)`` keeps the events
with ``lo <= column < hi`` (e.g. the E_QE window of MiniBooNE's published E_vis spectrum).
Events whose value is NaN (no reconstructed e+ e- pair) are not counted; values outside
the edges go to the under/overflow bins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import awkward as ak
import numpy as np
import numpy.typing as npt

__all__ = ["HistogramSet", "HistogramSpec", "th1d", "th1d_of_hist"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class HistogramSpec:
    """One summary histogram (module docstring).

    Attributes
    ----------
    name : object name in the file (e.g. ``h_E_QE``)
    title : histogram title (what is counted, which selection, which binning)
    column : event column histogrammed
    edges : bin edges in the column's unit
    x_label, y_label : axis titles, with units
    selected : sum ``w * w_eff * passes`` (True) or ``w`` (False)
    window : ``(column, lo, hi)``: only events with ``lo <= column < hi``, or None
    """

    name: str
    title: str
    column: str
    edges: tuple[float, ...]
    x_label: str
    y_label: str
    selected: bool = True
    window: tuple[str, float, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["edges"] = list(self.edges)
        out["window"] = list(self.window) if self.window is not None else None
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HistogramSpec:
        window = d.get("window")
        return cls(name=str(d["name"]), title=str(d["title"]), column=str(d["column"]),
                   edges=tuple(float(e) for e in d["edges"]), x_label=str(d["x_label"]),
                   y_label=str(d["y_label"]), selected=bool(d.get("selected", True)),
                   window=(str(window[0]), float(window[1]), float(window[2]))
                   if window else None)

    def columns(self) -> set[str]:
        """Event columns needed to fill it."""
        need = {self.column, "w"}
        if self.selected:
            need |= {"w_eff", "passes"}
        if self.window is not None:
            need.add(self.window[0])
        return need


class HistogramSet:
    """``hist.Hist`` objects (Weight storage) for the specs whose columns a run has."""

    def __init__(self, specs: Sequence[HistogramSpec]) -> None:
        self.specs = list(specs)
        self.hists: dict[str, Any] | None = None

    def fill(self, chunk: Any) -> None:
        """Add one chunk of events (an awkward Array with the event columns)."""
        import hist

        fields = set(chunk.fields)
        if self.hists is None:
            self.hists = {
                s.name: hist.Hist(hist.axis.Variable(s.edges, name=s.column, label=s.x_label),
                                  storage=hist.storage.Weight(), name=s.name, label=s.title)
                for s in self.specs if s.columns() <= fields}
        cache: dict[str, FloatArray] = {}

        def col(name: str) -> FloatArray:
            if name not in cache:
                cache[name] = np.asarray(ak.to_numpy(chunk[name]), dtype=np.float64)
            return cache[name]

        for s in self.specs:
            h = self.hists.get(s.name)
            if h is None:
                continue
            x = col(s.column)
            weight = col("w")
            if s.selected:
                weight = weight * col("w_eff") * col("passes")
            keep = np.isfinite(x)
            if s.window is not None:
                wcol, lo, hi = s.window
                v = col(wcol)
                keep &= (v >= lo) & (v < hi)
            h.fill(x[keep], weight=weight[keep])

    def items(self) -> list[tuple[HistogramSpec, Any]]:
        """(spec, hist.Hist) of every histogram being filled."""
        if self.hists is None:
            return []
        return [(s, self.hists[s.name]) for s in self.specs if s.name in self.hists]


def th1d(spec: HistogramSpec, values: npt.ArrayLike, variances: npt.ArrayLike,
         entries: float | None = None) -> Any:
    """An uproot TH1D of ``spec`` with bin contents and Sumw2 *including* the flow bins.

    ``values`` and ``variances`` have ``len(edges) + 1`` entries: underflow, the bins,
    overflow.  Title, x and y axis titles come from the spec.
    """
    import uproot

    edges = np.asarray(spec.edges, dtype=np.float64)
    data = np.asarray(values, dtype=np.float64)
    sumw2 = np.asarray(variances, dtype=np.float64)
    if data.shape != (edges.size + 1,) or sumw2.shape != data.shape:
        raise ValueError(f"{spec.name}: {data.shape[0]} contents for {edges.size - 1} bins "
                         "(expected bins + 2 flow bins)")
    inner = data[1:-1]
    centres = 0.5 * (edges[1:] + edges[:-1])
    x_axis = uproot.writing.identify.to_TAxis(
        "xaxis", spec.x_label, edges.size - 1, float(edges[0]), float(edges[-1]), edges)
    y_axis = uproot.writing.identify.to_TAxis("yaxis", spec.y_label, 1, 0.0, 1.0)
    n_eff = float(np.sum(inner) ** 2 / np.sum(sumw2[1:-1])) if np.sum(sumw2[1:-1]) > 0 else 0.0
    return uproot.writing.identify.to_TH1x(
        fName=spec.name, fTitle=spec.title, data=data,
        fEntries=float(entries if entries is not None else n_eff),
        fTsumw=float(np.sum(inner)), fTsumw2=float(np.sum(sumw2[1:-1])),
        fTsumwx=float(np.sum(inner * centres)), fTsumwx2=float(np.sum(inner * centres**2)),
        fSumw2=sumw2, fXaxis=x_axis, fYaxis=y_axis)


def th1d_of_hist(spec: HistogramSpec, h: Any) -> Any:
    """:func:`th1d` of a filled ``hist.Hist`` (Weight storage)."""
    view = h.view(flow=True)
    return th1d(spec, view["value"], view["variance"])
