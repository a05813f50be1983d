"""Output writers (ROOT, NuHepMC/HepMC3, LHE, Parquet): atomic and streaming."""
