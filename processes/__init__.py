"""Physics plugins: the dark-neutrino upscattering process (PHYSICS.md)."""
