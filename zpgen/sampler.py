"""VEGAS adaptation per channel, channel allocation and reproducible point sampling.

docs/architecture.md, "Data flow" and "Randomness".  The engine knows nothing of the
physics: a *channel* is any object with ``dim`` (hypercube dimension), ``n_aux`` (extra
uniforms per event that are not adapted) and ``__call__(x) -> f`` (batch integrand over
``x`` of shape (n, dim) in the unit hypercube).

Adaptation
----------
:func:`adapt_channel` trains a ``vegas.Integrator`` on ``[0, 1]^dim`` with the batch
integrand for ``nitn`` iterations of ``neval`` evaluations (map and stratification adapt),
then runs ``nitn_final`` non-adapting iterations whose weighted average is the channel's
integral estimate (used for allocation and metadata).  VEGAS draws its random numbers
through ``ran_array_generator`` from a numpy ``Generator`` seeded with the run's
``SeedSequence`` (key :data:`STREAM_ADAPT`, channel index), so the adapted map is a
deterministic function of the card and the seed (and independent of the job index: every
job of a job array shares the grid).

Event sampling
--------------
Events use only the frozen adaptive *map* (not the stratification): ``y`` uniform in the
unit hypercube from a numpy Generator, ``x, jac = map(y)``, weight ``jac f(x)``.  Then
``mean(jac f)`` is an unbiased estimate of the integral for any number of points.  Points
are drawn in fixed blocks of :data:`BLOCK_SIZE`; block ``b`` of channel ``i`` of job ``j``
uses the generator of ``SeedSequence(seed, spawn_key=(j, STREAM_EVENTS, i, b))`` and draws
first ``y`` (n, dim) then the auxiliary uniforms (n, n_aux).  The events therefore do not
depend on how the caller groups blocks into chunks.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numba as nb
import numpy as np
import numpy.typing as npt
import vegas

__all__ = [
    "BLOCK_SIZE",
    "STREAM_ADAPT",
    "STREAM_DETECTOR",
    "STREAM_EVENTS",
    "AdaptedChannel",
    "Channel",
    "adapt_channel",
    "allocate",
    "block_generator",
    "blocks",
    "check_vegas_settings",
    "map_points",
    "sample_block",
    "seed_sequence",
]

FloatArray = npt.NDArray[np.float64]

#: Events per random-number block (part of the reproducibility contract).
BLOCK_SIZE = 8192
#: Stream tags of the SeedSequence spawn keys.
STREAM_ADAPT = 0
STREAM_EVENTS = 1
STREAM_DETECTOR = 2

#: Sanity bounds of the VEGAS settings (:func:`check_vegas_settings`).
MAX_NITN = 1000
MIN_NEVAL = 100
MAX_NEVAL = 100_000_000


def check_vegas_settings(nitn: int, neval: int, nitn_final: int) -> None:
    """Raise ``ValueError`` naming the setting if the VEGAS settings are absurd.

    ``0 <= nitn <= MAX_NITN`` adapting iterations, ``1 <= nitn_final <= MAX_NITN``
    non-adapting iterations and ``MIN_NEVAL <= neval <= MAX_NEVAL`` evaluations per
    iteration (more than ``1e8`` would hold gigabytes of points per iteration).
    """
    for name, value, lo, hi in (("nitn", nitn, 0, MAX_NITN),
                                ("nitn_final", nitn_final, 1, MAX_NITN),
                                ("neval", neval, MIN_NEVAL, MAX_NEVAL)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValueError(f"{name}: must be an integer, got {value!r}")
        if not lo <= int(value) <= hi:
            raise ValueError(f"{name}: must be in [{lo}, {hi}], got {value}")


@nb.njit(nb.void(nb.float64[:, ::1], nb.float64[:, ::1], nb.float64[:, ::1], nb.int64[::1],
                 nb.float64[:, ::1], nb.float64[::1]),
         cache=True, error_model="numpy", nogil=True)
def map_points(y: FloatArray, grid: FloatArray, inc: FloatArray, ninc: npt.NDArray[np.int64],
               x: FloatArray, jac: FloatArray) -> None:
    """The VEGAS map ``y -> x`` with jacobian ``dx/dy`` (``vegas.AdaptiveMap.map``).

    Same arithmetic as vegas' Cython ``AdaptiveMap.map`` (piecewise-linear per dimension on
    ``grid[d, :ninc[d] + 1]`` with increments ``inc[d]``), compiled without the GIL so that
    several threads can sample blocks at once.
    """
    dim = inc.shape[0]
    for i in range(y.shape[0]):
        j = 1.0
        for d in range(dim):
            n_d = ninc[d]
            y_ninc = y[i, d] * n_d
            iy = math.floor(y_ninc)
            dy_ninc = y_ninc - iy
            if iy < n_d:
                x[i, d] = grid[d, iy] + inc[d, iy] * dy_ninc
                j *= inc[d, iy] * n_d
            else:
                x[i, d] = grid[d, n_d]
                j *= inc[d, n_d - 1] * n_d
        jac[i] = j


class Channel(Protocol):
    """What the sampler needs from a process channel."""

    dim: int
    n_aux: int

    def __call__(self, x: FloatArray) -> FloatArray:
        ...


def seed_sequence(seed: int, *key: int) -> np.random.SeedSequence:
    """``SeedSequence(seed, spawn_key=key)``: the child of the run's root for ``key``."""
    return np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key))


def block_generator(seed: int, *key: int) -> np.random.Generator:
    """A PCG64 numpy Generator on :func:`seed_sequence` ``(seed, *key)``."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, *key)))


@dataclass
class AdaptedChannel:
    """A channel with its trained VEGAS integrator and integral estimate.

    ``mean`` and ``sdev`` are the weighted average of the final (non-adapting) iterations,
    in the units of the integrand; ``chi2_dof`` and ``Q`` their consistency.
    """

    name: str
    index: int
    channel: Any
    integrator: vegas.Integrator | None
    mean: float
    sdev: float
    chi2_dof: float
    Q: float
    nitn: int
    neval: int
    seconds: float
    history: list[tuple[float, float]] = field(default_factory=list)
    #: The frozen map used for events (default: ``integrator.map``).  A channel read from a
    #: grid file has only this map (rebuilt from its arrays) and no integrator.
    amap: Any = None

    @property
    def dim(self) -> int:
        return int(self.channel.dim)

    def map_arrays(self) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
        """``(grid, inc, ninc)`` of the frozen map as numpy arrays (cached)."""
        cached = getattr(self, "_map_arrays", None)
        if cached is None:
            if self.amap is not None:
                amap = self.amap
            elif self.integrator is not None:
                amap = self.integrator.map
            else:
                raise ValueError(f"channel {self.name}: neither a map nor an integrator")
            cached = (np.ascontiguousarray(np.asarray(amap.grid), dtype=np.float64),
                      np.ascontiguousarray(np.asarray(amap.inc), dtype=np.float64),
                      np.ascontiguousarray(np.asarray(amap.ninc), dtype=np.int64))
            self._map_arrays = cached
        return cached

    def summary(self) -> dict[str, Any]:
        return {"integral": self.mean, "integral_err": self.sdev, "chi2_dof": self.chi2_dof,
                "Q": self.Q, "nitn": self.nitn, "neval": self.neval,
                "adapt_seconds": self.seconds, "dim": self.dim}


def adapt_channel(channel: Channel, name: str, index: int, seed: int, *, nitn: int = 8,
                  neval: int = 20_000, nitn_final: int = 3, alpha: float = 0.5,
                  ) -> AdaptedChannel:
    """Train VEGAS on ``channel`` and estimate its integral (module docstring).

    Parameters
    ----------
    channel
        Batch integrand with ``dim``.
    name, index
        Channel name and index (the index enters the random-number key).
    seed
        Root entropy of the run.
    nitn, neval
        Adapting iterations and evaluations per iteration.
    nitn_final
        Non-adapting iterations (``neval`` each) for the integral estimate.
    alpha
        VEGAS damping of the map adaptation.
    """
    check_vegas_settings(nitn, neval, nitn_final)
    rng = block_generator(seed, STREAM_ADAPT, index)
    integ = vegas.Integrator([[0.0, 1.0]] * int(channel.dim), ran_array_generator=rng.random)

    @vegas.lbatchintegrand
    def f(x: FloatArray) -> FloatArray:
        return channel(x)

    start = time.perf_counter()
    history: list[tuple[float, float]] = []
    # an identically zero integrand (closed channel) makes vegas divide 0 by 0 in its
    # statistics; the estimate is then 0 +- 0, which is what we report
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if nitn > 0:
            train = integ(f, nitn=nitn, neval=neval, alpha=alpha)
            history = [(float(r.mean), float(r.sdev)) for r in train.itn_results]
        result = integ(f, nitn=nitn_final, neval=neval, adapt=False)
        mean = float(result.mean)
        sdev = float(result.sdev)
        chi2_dof = float(result.chi2 / result.dof) if result.dof > 0 else 0.0
        q_value = float(result.Q)
    seconds = time.perf_counter() - start
    if not math.isfinite(chi2_dof):
        chi2_dof, q_value = 0.0, 1.0
    return AdaptedChannel(name=name, index=index, channel=channel, integrator=integ,
                          mean=mean, sdev=sdev, chi2_dof=chi2_dof, Q=q_value,
                          nitn=nitn, neval=neval, seconds=seconds, history=history)


def sample_block(adapted: AdaptedChannel, n: int, rng: np.random.Generator
                 ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``n`` points of the frozen map: ``(x, jac, aux)`` (y first, then aux, from ``rng``)."""
    dim = adapted.dim
    y = rng.random((n, dim))
    aux = rng.random((n, int(adapted.channel.n_aux)))
    x = np.empty((n, dim))
    jac = np.empty(n)
    if n:
        grid, inc, ninc = adapted.map_arrays()
        map_points(y, grid, inc, ninc, x, jac)
    return x, jac, aux


def allocate(rates: Sequence[float], n_events: int, min_per_channel: int | None = None
             ) -> list[int]:
    """Events per channel, proportional to ``rates`` with a floor for every open channel.

    A channel is open when its rate is positive.  Each open channel gets at least
    ``min_per_channel`` (default ``min(1000, n_events // (10 n_open))``, at least 1) events;
    the rest is shared in proportion to the rates by largest remainders.  The total is
    exactly ``n_events`` (if ``n_events >= n_open``).
    """
    r = np.array([max(float(v), 0.0) if math.isfinite(v) else 0.0 for v in rates])
    open_ = r > 0.0
    n_open = int(open_.sum())
    out = np.zeros(r.size, dtype=np.int64)
    if n_open == 0 or n_events <= 0:
        return [int(v) for v in out]
    if min_per_channel is None:
        min_per_channel = max(1, min(1000, n_events // (10 * n_open)))
    floor = min(int(min_per_channel), n_events // n_open)
    out[open_] = floor
    rest = n_events - floor * n_open
    share = np.where(open_, r / r[open_].sum(), 0.0) * rest
    base = np.floor(share).astype(np.int64)
    out += base
    left = rest - int(base.sum())
    if left > 0:
        order = np.argsort(-(share - base), kind="stable")
        for i in order[:left]:
            out[i] += 1
    return [int(v) for v in out]


def blocks(n: int, block_size: int = BLOCK_SIZE) -> list[tuple[int, int]]:
    """``(block index, size)`` of the blocks that hold ``n`` events."""
    full, rest = divmod(int(n), block_size)
    out = [(b, block_size) for b in range(full)]
    if rest:
        out.append((full, rest))
    return out
