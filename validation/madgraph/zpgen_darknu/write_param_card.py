"""Write the model's default param_card (SLHA) from the external parameters.

``zpgen export-slha CARD`` writes the param_card of any zpgen card with zpgen's widths;
this writer only reproduces the defaults in parameters.py (MadGraph writes its own default
card from the UFO too).
"""

from __future__ import annotations

from . import object_library


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
            lines.append(f"  {code} {float(values.get(par.name, par.value)):.10e} # {par.name}")
    for par in blocks.get("DECAY", []):
        lines.append(f"DECAY {par.lhacode[0]} {float(values.get(par.name, par.value)):.10e}"
                     f" # {par.name}")
    return "\n".join(lines) + "\n"


def write_param_card(path, values=None):
    with open(path, "w", encoding="utf-8") as out:
        out.write(param_card_text(values))
