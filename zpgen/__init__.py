"""zpgen: Monte Carlo generator for dark-Z' / sterile-neutrino upscattering in neutrino beams.

The physics is specified in PHYSICS.md (shipped as docs/physics.md); the engine (this
package) knows nothing of Z' physics, which lives in the plugin packages
``zpgen.processes``, ``zpgen.flux`` and ``zpgen.detectors``.
"""

from __future__ import annotations

from .card import Card, CardError, load_card, parse_card

__version__ = "0.1.0"

__all__ = ["Card", "CardError", "__version__", "load_card", "parse_card"]
