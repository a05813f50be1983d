"""Flux plugins: tabulated, monochromatic and the MiniBooNE BNB flux."""
