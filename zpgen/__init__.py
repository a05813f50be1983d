"""zpgen: Monte Carlo generator for dark-Z' / sterile-neutrino upscattering in neutrino beams.

The physics is specified in PHYSICS.md (installed as zpgen.docs, `zpgen docs physics`); the
engine (this package) knows nothing of Z' physics, which lives in the plugin packages
``zpgen.processes``, ``zpgen.flux`` and ``zpgen.detectors``.

The Python API (:mod:`zpgen.api`; README.md, "Python API"):

* ``zpgen.run(card=None, *, n_events, seed=None, overrides=(), detector=True)`` generates a
  :class:`Sample` in memory (``.events``, ``.to_pandas()``, ``.summary``, ``.write(path)``);
* ``zpgen.load(path)`` reads a sample from any output file;
* ``zpgen.load_card``, ``zpgen.parse_card``, ``zpgen.load_preset`` build cards.

``run``, ``load`` and ``Sample`` are imported on first use, so ``import zpgen`` stays fast
(no Numba, awkward or uproot until events are made or read).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .card import Card, CardError, load_card, load_preset, parse_card

if TYPE_CHECKING:  # pragma: no cover
    from .api import Sample, load, run

__version__ = "0.1.0"

__all__ = ["Card", "CardError", "Sample", "__version__", "load", "load_card", "load_preset",
           "parse_card", "run"]

_LAZY = {"run", "load", "Sample"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'zpgen' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY)
