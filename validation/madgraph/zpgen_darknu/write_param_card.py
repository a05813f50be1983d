"""Write the model's default param_card (SLHA) from the external parameters.

``zpgen export-slha CARD`` writes the param_card of any zpgen card with zpgen's widths;
this writer only reproduces the defaults in parameters.py.  MadGraph's ``launch`` runs this
file as a script (``python write_param_card.py`` inside the process's
``bin/internal/ufomodel``) when the model has no ``restrict_default.dat``, and expects a
``param_card.dat`` there afterwards: ``__main__`` writes it.  The import works both inside
the package and as a script (the model directory on ``sys.path``).

Numbers are written with 12 decimals ("-1.234567890123e-05", 19 characters): MadGraph's
Fortran card reader (``lha_read.f``) keeps 20 characters of a value.
"""

from __future__ import annotations

if __package__:  # imported as part of the UFO package
    from . import object_library
else:  # run as a script: __main__ below imports the package
    object_library = None


def _number(value) -> str:
    return f"{float(value):.12e}"


def param_card_text(values=None):
    """SLHA text of every external parameter; ``values`` overrides by parameter name."""
    values = dict(values or {})
    blocks: dict[str, list] = {}
    for par in object_library.all_parameters:
        if par.nature != "external":
            continue
        blocks.setdefault(par.lhablock, []).append(par)
    lines = []
    for block, pars in blocks.items():
        if block == "DECAY":
            continue
        lines.append(f"BLOCK {block}")
        for par in sorted(pars, key=lambda q: q.lhacode):
            code = " ".join(str(c) for c in par.lhacode)
            lines.append(f"  {code} {_number(values.get(par.name, par.value))} # {par.name}")
    for par in blocks.get("DECAY", []):
        lines.append(f"DECAY {par.lhacode[0]} {_number(values.get(par.name, par.value))}"
                     f" # {par.name}")
    return "\n".join(lines) + "\n"


def write_param_card(path, values=None):
    with open(path, "w", encoding="utf-8") as out:
        out.write(param_card_text(values))


if __name__ == "__main__":
    # Import the package this file belongs to (its directory, under whatever name MadGraph
    # copied it to) so that its parameters are registered, and write ./param_card.dat.
    import importlib
    import os
    import sys

    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.dirname(_here))
    _model = importlib.import_module(os.path.basename(_here))
    _model.write_param_card.write_param_card("param_card.dat")
