"""Commands of the dark-neutrino process, registered under the ``zpgen.commands`` entry
points: xsec, widths, g2, couplings, rate, export-slha.  They refuse a card of another
process plugin (:data:`PROCESS`)."""

#: The process whose cards these commands read.
PROCESS = "dark_neutrino"
