"""``zpgen export-slha``: the MadGraph param_card (SLHA) of a card, for the UFO models in
validation/madgraph/ (``zpgen_darknu`` Dirac, ``zpgen_darknu_majorana`` Majorana).

Blocks (the UFO parameters' lhablock/lhacode):

* ``SMINPUTS``: 3 alpha_s (no coloured particle in the model; MadGraph needs the parameter
  to run and to compute widths, and stops with "Missing block: sminputs" without it);
* ``MASS``: 11 m_e, 13 m_mu, 2212 M_p and the PDG numbers the process declares for Z',
  nu4 and nu5 (``DarkNeutrinoProcess.particles()``), in GeV;
* ``ZPCOUP``: 1 g_mu5, 2 g_45, 3 g_5t = sqrt(g_5a^2 - g_mu5^2), 4 g_4a, 5 C_V, 6 C_A,
  7 g_nu, 8 g_p, 9 g_n.  zpgen's g_5a sums the nu5 - light-neutrino couplings in quadrature
  over the flavours; the UFO has g_mu5 on nu_mu (the production vertex) and the rest, g_5t,
  on nu_tau, so that MadGraph's nu5 -> nu_light Z' width (nu_mu + nu_tau) is zpgen's
  (a warning when g_5a < g_mu5: then no g_5t reproduces it and 0 is written);
* ``ZPFORMFAC``: 1 FF1, 2 FF2, the proton vertex g_p [FF1 gamma^mu + FF2 i sigma q/2M_p]:
  (1, 0) for ``physics.nucleon_form_factor = "point"``, F1(M_Z'^2)/g_p and F2(M_Z'^2)/g_p
  for ``"frozen"`` (the same numbers zpgen uses, processes/xsec.py);
* ``DECAY`` Z', nu4, nu5: total widths from processes/widths.py, with branching ratios
  (the light-neutrino modes of nu5 split between nu_mu and nu_tau as g_mu5^2 : g_5t^2;
  Majorana states decay to the neutrino and the antineutrino, half each).

Numbers are written with 12 decimals ("-1.234567890123e-05", 19 characters): MadGraph's
Fortran card reader (``lha_read.f``: ``character*20`` values) keeps 20 characters, and a
longer number loses its exponent ("Missing exponent" when MadSpin compiles).
"""

from __future__ import annotations

import argparse
import math
import sys

from zpgen.card import Card, CardError
from zpgen.commands import add_card_arguments, card_from_args, run_inputs
from zpgen.outputs import OutputError, check_output_path
from zpgen.tempfiles import atomic_write_bytes

from . import PROCESS

EPILOG = """\
The param_card matches the UFO model zpgen_darknu (Dirac) or zpgen_darknu_majorana
(model.heavy_neutrino = "majorana"), which are not installed with zpgen: they are in the
zpgen source repository (folder validation/madgraph), with the MadGraph commands. "full"
nucleon form factors have no constant-form-factor equivalent: the point-like proton is
written and a warning printed; compare with zpgen run with --set
physics.nucleon_form_factor=point (or frozen, as the paper's MadGraph check).

examples:
  zpgen export-slha -o param_card.dat
  zpgen export-slha my_card.toml --set physics.nucleon_form_factor=frozen -o param_card.dat
  zpgen export-slha --set model.mzprime=0.02 > param_card.dat
"""

#: alpha_s(M_Z), PDG 2022 (R.L. Workman et al., PTEP 2022 083C01, "Quantum
#: chromodynamics": 0.1179 +- 0.0009), rounded; it enters no amplitude of the model.
ALPHA_S = 0.118

#: PDG numbers of the Standard-Model particles of the UFO (PDG Monte Carlo numbering).
PDG_E, PDG_MU, PDG_PROTON = 11, 13, 2212
PDG_NU_MU, PDG_NU_TAU = 14, 16
_NUNU = [(12, -12), (14, -14), (16, -16)]

#: ZPCOUP codes -> UFO parameter name (validation/madgraph/zpgen_darknu/parameters.py).
ZPCOUP_NAMES = {1: "gmu5", 2: "g45", 3: "g5t", 4: "g4a", 5: "cvl", 6: "cal", 7: "gnu",
                8: "gp", 9: "gn"}


def _num(value: float) -> str:
    """A number MadGraph's Fortran reader keeps whole (<= 20 characters, module docstring)."""
    return f"{float(value): .12e}"


def new_particle_ids(card: Card) -> dict[str, int]:
    """PDG numbers of ``nu4``, ``nu5`` and ``Zprime`` as the process declares them."""
    from zpgen.processes.dark_neutrino import DarkNeutrinoProcess

    declared = DarkNeutrinoProcess.from_card(card).particles()
    return {info.name: int(pdg) for pdg, info in declared.items()}


def g5_tau(g_5a: float, g_mu5: float) -> tuple[float, list[str]]:
    """(g_5t, warnings): the nu5 - nu_tau coupling of the UFO, sqrt(g_5a^2 - g_mu5^2)."""
    diff = g_5a * g_5a - g_mu5 * g_mu5
    if diff >= 0.0:
        return math.sqrt(diff), []
    return 0.0, [f"model.couplings.g_5a = {g_5a:g} < g_mu5 = {g_mu5:g}: zpgen's nu5 -> "
                 f"nu_light Z' width uses g_5a alone while the UFO's nu_mu vertex carries "
                 f"g_mu5; g_5t = 0 is written and MadGraph's automatic nu5 width will exceed "
                 f"zpgen's (the param_card's widths are zpgen's)"]


def _modes(particle: str, ids: dict[str, int], majorana: bool, f_mu: float
           ) -> dict[str, list[tuple[float, tuple[int, ...]]]]:
    """zpgen width key -> [(share, SLHA daughters)]; shares of a key add up to 1.

    ``f_mu``: nu_mu's share of the nu5 -> light-neutrino modes, g_mu5^2/g_5a^2.
    """
    zp, nu4 = ids["Zprime"], ids["nu4"]
    if particle == "Zprime":
        return {"ee": [(1.0, (PDG_E, -PDG_E))], "mumu": [(1.0, (PDG_MU, -PDG_MU))],
                "nunu": [(1.0 / 3.0, pair) for pair in _NUNU]}
    light = ([(f_mu, PDG_NU_MU), (1.0 - f_mu, PDG_NU_TAU)] if particle == "nu5"
             else [(1.0, PDG_NU_TAU)])
    signs = (1, -1) if majorana else (1,)
    share = 1.0 / len(signs)

    def with_light(rest: tuple[int, ...]) -> list[tuple[float, tuple[int, ...]]]:
        return [(f * share, (s * nu, *rest)) for f, nu in light if f > 0.0 for s in signs]

    out = {"nu_Zprime": with_light((zp,)), "nu_ee": with_light((PDG_E, -PDG_E)),
           "nu_mumu": with_light((PDG_MU, -PDG_MU)),
           "nu_nunu": [(f / 3.0, d) for pair in _NUNU for f, d in with_light(pair)]}
    if particle == "nu5":
        out.update({"nu4_Zprime": [(1.0, (nu4, zp))], "nu4_ee": [(1.0, (nu4, PDG_E, -PDG_E))],
                    "nu4_mumu": [(1.0, (nu4, PDG_MU, -PDG_MU))],
                    "nu4_nunu": [(1.0 / 3.0, (nu4, a, b)) for a, b in _NUNU]})
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
    ids = new_particle_ids(card)
    ff1, ff2, warnings = form_factor_values(card)
    g5t, more = g5_tau(pc.g_5a, pc.g_mu5)
    warnings += more
    f_mu = min(pc.g_mu5**2 / pc.g_5a**2, 1.0) if pc.g_5a > 0.0 else 0.0
    model = "zpgen_darknu_majorana" if pc.majorana else "zpgen_darknu"
    w = widths(pc)
    lines = [
        f"# param_card for the UFO model {model}, written by zpgen {__version__}",
        f"# card: {card.source}; heavy_neutrino = {card.model.heavy_neutrino}; "
        f"nucleon_form_factor = {card.physics.nucleon_form_factor}",
        "# units: GeV; widths from zpgen's processes/widths.py",
        "BLOCK SMINPUTS",
        f"  {3:>8d} {_num(ALPHA_S)} # aS (enters no amplitude)",
        "BLOCK MASS",
    ]
    masses = [(PDG_E, constants.M_E, "Me"), (PDG_MU, constants.M_MU, "MMU"),
              (PDG_PROTON, constants.M_P, "MP"), (ids["Zprime"], pc.mzprime, "MZp"),
              (ids["nu4"], pc.m4, "Mn4"), (ids["nu5"], pc.m5, "Mn5")]
    lines += [f"  {pdg:>8d} {_num(value)} # {name}" for pdg, value, name in masses]
    values = {"gmu5": pc.g_mu5, "g45": pc.g_45, "g5t": g5t, "g4a": pc.g_4a, "cvl": pc.cv_l,
              "cal": pc.ca_l, "gnu": pc.g_nu, "gp": pc.g_p, "gn": pc.g_n}
    notes = {"g5t": f" = sqrt(g_5a^2 - g_mu5^2), g_5a = {pc.g_5a:.6g}"}
    lines.append("BLOCK ZPCOUP")
    lines += [f"  {code:>8d} {_num(values[name])} # {name}{notes.get(name, '')}"
              for code, name in ZPCOUP_NAMES.items()]
    lines.append("BLOCK ZPFORMFAC")
    lines.append(f"  {1:>8d} {_num(ff1)} # FF1 = F1/g_p")
    lines.append(f"  {2:>8d} {_num(ff2)} # FF2 = F2/g_p")
    for particle, name in (("Zprime", "WZp"), ("nu4", "Wn4"), ("nu5", "Wn5")):
        total = float(w[particle]["total"])
        lines.append(f"DECAY {ids[particle]:>8d} {_num(total)} # {name}")
        for key, daughters in _modes(particle, ids, pc.majorana, f_mu).items():
            br = float(w["BR"].get(f"{particle}_{key}", 0.0))
            if br <= 0.0:
                continue
            for share, d in daughters:
                ids_text = " ".join(f"{i:>8d}" for i in d)
                lines.append(f"   {_num(br * share)} {len(d):>3d} {ids_text}"
                             f" # {particle} -> {key}")
    return "\n".join(lines) + "\n", warnings


def run(args: argparse.Namespace) -> int:
    card = card_from_args(args, process=PROCESS)
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
