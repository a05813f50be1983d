"""MadGraph validation tooling, installed as ``zpgen.madgraph``: the event-sample comparison
behind ``zpgen compare-lhe`` (:mod:`zpgen.madgraph.compare_lhe`, registered under the
``zpgen.commands`` entry points by :mod:`zpgen.madgraph.commands`).  The UFO models,
setups, stored samples and the scripts that run MadGraph live next to it in
``validation/madgraph/`` (not installed)."""
