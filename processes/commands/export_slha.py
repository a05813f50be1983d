"""``zpgen export-slha``: the MadGraph param_card (SLHA) of a card, for the UFO model in
validation/madgraph/zpgen_darknu.

Blocks (the UFO parameters' lhablock/lhacode):

* ``MASS``: 11 m_e, 13 m_mu, 2212 M_p, 32 M_Z', 9900012 m4, 9900014 m5 (GeV);
* ``ZPCOUP``: 1 g_mu5, 2 g_45, 3 g_5a, 4 g_4a, 5 C_V, 6 C_A, 7 g_nu, 8 g_p, 9 g_n;
* ``ZPFORMFAC``: 1 FF1, 2 FF2, the proton vertex g_p [FF1 gamma^mu + FF2 i sigma q/2M_p]:
  (1, 0) for ``physics.nucleon_form_factor = "point"``, F1(M_Z'^2)/g_p and F2(M_Z'^2)/g_p
  for ``"frozen"`` (the same numbers zpgen uses, processes/xsec.py);
* ``DECAY`` 32, 9900012, 9900014: total widths from processes/widths.py, with branching
  ratios (light-neutrino modes of nu4, nu5 are carried by nu_tau, as in the UFO).
"""

from __future__ import annotations

import argparse
import sys

from zpgen.card import Card, CardError
from zpgen.commands import add_card_arguments, card_from_args, run_inputs
from zpgen.outputs import OutputError, check_output_path
from zpgen.tempfiles import atomic_write_bytes

EPILOG = """\
The param_card matches the UFO model validation/madgraph/zpgen_darknu (README there for
the MadGraph commands). "full" nucleon form factors have no constant-form-factor
equivalent: the point-like proton is written and a warning printed; compare with zpgen run
with --set physics.nucleon_form_factor=point (or frozen, as the paper's MadGraph check).

examples:
  zpgen export-slha -o param_card.dat
  zpgen export-slha my_card.toml --set physics.nucleon_form_factor=frozen -o param_card.dat
  zpgen export-slha --set model.mzprime=0.02 > param_card.dat
"""

PDG_ZPRIME, PDG_NU4, PDG_NU5, PDG_NU_LIGHT = 32, 9900012, 9900014, 16

#: ZPCOUP codes -> PhysicalCouplings attribute (the UFO's parameters.py).
ZPCOUP = {1: "g_mu5", 2: "g_45", 3: "g_5a", 4: "g_4a", 5: "cv_l", 6: "ca_l", 7: "g_nu",
          8: "g_p", 9: "g_n"}

_NUNU = [(12, -12), (14, -14), (16, -16)]


def _modes(particle: str) -> dict[str, list[tuple[int, ...]]]:
    """zpgen width key -> SLHA daughter lists (a key split equally over several lists)."""
    if particle == "Zprime":
        return {"ee": [(11, -11)], "mumu": [(13, -13)], "nunu": list(_NUNU)}
    light = PDG_NU_LIGHT
    out: dict[str, list[tuple[int, ...]]] = {
        "nu_Zprime": [(light, PDG_ZPRIME)], "nu_ee": [(light, 11, -11)],
        "nu_mumu": [(light, 13, -13)], "nu_nunu": [(light, a, b) for a, b in _NUNU]}
    if particle == "nu5":
        out.update({"nu4_Zprime": [(PDG_NU4, PDG_ZPRIME)], "nu4_ee": [(PDG_NU4, 11, -11)],
                    "nu4_mumu": [(PDG_NU4, 13, -13)],
                    "nu4_nunu": [(PDG_NU4, a, b) for a, b in _NUNU]})
    return out


def form_factor_values(card: Card) -> tuple[float, float, list[str]]:
    """(FF1, FF2, warnings) of the proton vertex for the card's nucleon_form_factor."""
    from zpgen.processes import xsec
    from zpgen.processes.couplings import physical_couplings

    pc = physical_couplings(card.model)
    mode = card.physics.nucleon_form_factor
    warnings: list[str] = []
    if mode == "frozen":
        if pc.g_p == 0.0:
            raise ValueError("physics.nucleon_form_factor = 'frozen' with g_p = 0: the UFO "
                             "proton vertex g_p (FF1 gamma + FF2 sigma q) cannot express it")
        params = xsec.channel_params("H1_proton", pc, card.physics)
        f1, f2 = xsec.nucleon_f1_f2(0.0, params)  # t is ignored: frozen at +M_Z'^2
        return f1 / pc.g_p, f2 / pc.g_p, warnings
    if mode == "full":
        warnings.append("physics.nucleon_form_factor = 'full' (t-dependent) has no UFO "
                        "equivalent; writing the point-like proton FF1 = 1, FF2 = 0. For a "
                        "like-for-like comparison run zpgen with --set "
                        "physics.nucleon_form_factor=point")
    return 1.0, 0.0, warnings


def param_card(card: Card) -> tuple[str, list[str]]:
    """SLHA param_card text and a list of warnings."""
    from zpgen.processes.couplings import physical_couplings
    from zpgen.processes.widths import widths

    from zpgen import __version__, constants

    pc = physical_couplings(card.model)
    ff1, ff2, warnings = form_factor_values(card)
    if pc.majorana:
        warnings.append("model.heavy_neutrino = 'majorana': the UFO model is Dirac; the "
                        "widths written here are the Majorana ones, the matrix elements in "
                        "MadGraph are not")
    w = widths(pc)
    lines = [
        f"# param_card for the UFO model zpgen_darknu, written by zpgen {__version__}",
        f"# card: {card.source}; nucleon_form_factor = {card.physics.nucleon_form_factor}",
        "# units: GeV; widths from zpgen's processes/widths.py",
        "BLOCK MASS",
    ]
    masses = [(11, constants.M_E, "Me"), (13, constants.M_MU, "MMU"),
              (2212, constants.M_P, "MP"), (PDG_ZPRIME, pc.mzprime, "MZp"),
              (PDG_NU4, pc.m4, "Mn4"), (PDG_NU5, pc.m5, "Mn5")]
    lines += [f"  {pdg:>8d} {value: .16e} # {name}" for pdg, value, name in masses]
    lines.append("BLOCK ZPCOUP")
    lines += [f"  {code:>8d} {getattr(pc, attr): .16e} # {attr}" for code, attr in ZPCOUP.items()]
    lines.append("BLOCK ZPFORMFAC")
    lines.append(f"  {1:>8d} {ff1: .16e} # FF1 = F1/g_p")
    lines.append(f"  {2:>8d} {ff2: .16e} # FF2 = F2/g_p")
    for particle, pdg, name in (("Zprime", PDG_ZPRIME, "WZp"), ("nu4", PDG_NU4, "Wn4"),
                                ("nu5", PDG_NU5, "Wn5")):
        total = float(w[particle]["total"])
        lines.append(f"DECAY {pdg:>8d} {total: .16e} # {name}")
        for key, daughters in _modes(particle).items():
            br = float(w["BR"].get(f"{particle}_{key}", 0.0))
            if br <= 0.0:
                continue
            for ids in daughters:
                ids_text = " ".join(f"{i:>8d}" for i in ids)
                lines.append(f"   {br / len(daughters): .16e} {len(ids):>3d} {ids_text}"
                             f" # {particle} -> {key}")
    return "\n".join(lines) + "\n", warnings


def run(args: argparse.Namespace) -> int:
    card = card_from_args(args)
    if args.output not in (None, "-"):
        try:
            check_output_path(args.output, overwrite=args.overwrite,
                              inputs=run_inputs(args, card))
        except OutputError as exc:
            raise CardError(str(exc)) from None
    try:
        text, warnings = param_card(card)
    except ValueError as exc:
        print(f"zpgen export-slha: error: {exc}", file=sys.stderr)
        return 2
    for message in warnings:
        print(f"zpgen export-slha: warning: {message}", file=sys.stderr)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        atomic_write_bytes(args.output, text.encode("utf-8"))
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("export-slha", help="MadGraph param_card for the zpgen UFO model",
                            description=__doc__, epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_card_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="output file (default: standard output)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing FILE (never the card)")
    parser.set_defaults(func=run)
