"""Commands of the dark-neutrino process, registered under the ``zpgen.commands`` entry
points: xsec, widths, g2, couplings, rate."""
