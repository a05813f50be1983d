"""Default VEGAS adaptation settings, importable without loading Numba (the CLI's
parsers use them for their help texts)."""

from __future__ import annotations

#: VEGAS iterations used to adapt each channel's map.
DEFAULT_NITN = 8
#: Integrand evaluations per VEGAS iteration.
DEFAULT_NEVAL = 20_000
#: Final iterations on the frozen map that give each channel's integral and error.
DEFAULT_NITN_FINAL = 3
