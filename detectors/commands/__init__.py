"""Commands of the detector plugins (``zpgen.commands`` entry points): compare (MiniBooNE)."""
