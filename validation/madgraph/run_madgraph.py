#!/usr/bin/env python3
"""Write the MadGraph inputs of every setup of setups.toml and run them (README.md).

    python run_madgraph.py write                         # cards/<setup>/ from setups.toml
    python run_madgraph.py run --mg5 /path/to/MG5_aMC_v3_1_1 [--work DIR] [SETUP ...]
    python run_madgraph.py standalone --mg5 /path/to/MG5_aMC_v3_1_1 [--work DIR]
    python run_madgraph.py widths --mg5 /path/to/MG5_aMC_v3_1_1 [--work DIR]

``write`` makes, for each setup, ``cards/<setup>/param_card.dat`` (``zpgen export-slha``
with the setup's overrides), ``proc.mg5`` (import the model, generate, output),
``launch.mg5`` (launch and the answers to its questions) and, for a MadSpin setup,
``madspin_card.dat``.  ``run`` copies the UFO models into MadGraph's ``models/`` (importing
them by path from this repository would make MadGraph write ``py3_model.pkl`` here), then
in ``WORK/<setup>/`` (default ``./mg_work``) runs literally

    <python> <mg5>/bin/mg5_aMC cards/<setup>/proc.mg5
    <python> <mg5>/bin/mg5_aMC cards/<setup>/launch.mg5

and copies the events to ``samples/<setup>.lhe.gz`` and MadGraph's key output lines
(version, cross section, MadSpin's branching ratio) to ``samples/<setup>.log``.  Every
command is printed before it runs.  ``<python>`` is ``--python`` (default: this
interpreter); MadGraph 3.1.1 needs the ``six`` package, and MadSpin ``numpy < 1.26``
(its f2py, found on the PATH next to ``<python>``).

``standalone`` checks the proton vertex at the level of the matrix element, with no Monte
Carlo: ``output standalone`` of ``vm prot > n5 prot`` with the param_card of the
``[standalone]`` table of setups.toml (frozen form factors with kappa_s = 10, so that the
Pauli term dominates), MadGraph's ``check_sa.f`` edited to read sqrt(s) from its input and
to print six random phase-space points with 16 digits (and its ``SAVE TWOPI, PO2LOG,
Z(2)``, which gfortran 12 rejects, mended), compiled with ``make check`` and run; the
output is ``samples/standalone_pauli.txt``.  tests/validation/test_madgraph_samples.py
compares each |M|^2 with docs/physics.md's.

``widths`` runs MadGraph's ``compute_widths`` on the param_cards of the setups listed in
the ``[widths]`` table (two-body decays; three-body too where the Z' is off shell) and
keeps the DECAY blocks MadGraph writes in ``samples/widths_<setup>.txt``.
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: M_p (GeV): the target at rest is the second beam, ebeam2 = its mass.
M_PROTON = "0.93827208943"
#: Lepton cuts of MadGraph's default run_card (meant for colliders): all off.
LEPTON_CUTS = ("set cut_decays False", "set ptl 0", "set etal -1", "set drll 0",
               "set mmll 0")


def load_setups() -> tuple[list[str], dict[str, dict]]:
    data = tomllib.loads((HERE / "setups.toml").read_text(encoding="utf-8"))
    return list(data["common"]), dict(data["setups"])


def zpgen_overrides(common: list[str], setup: dict) -> list[str]:
    return [*common, *setup["zpgen"]]


def proc_text(name: str, setup: dict) -> str:
    return (f"import model {setup['model']}\n"
            f"generate {setup['generate']}\n"
            f"output mg -f\n")


def launch_text(name: str, setup: dict) -> str:
    lines = ["launch mg -n run_01"]
    lines += ["madspin=ON", "done"] if setup.get("madspin") else ["done"]
    lines.append("param_card.dat")
    if setup.get("madspin"):
        lines.append("madspin_card.dat")
    lines += [f"set iseed {setup['iseed']}", f"set nevents {setup['nevents']}",
              "set lpp1 0", "set lpp2 0", "set ebeam1 1.0", f"set ebeam2 {M_PROTON}",
              "set polbeam1 -100", "set use_syst False"]
    if "e+ e-" in setup["generate"]:
        lines += list(LEPTON_CUTS)
    lines.append("done")
    return "\n".join(lines) + "\n"


def madspin_text(setup: dict) -> str:
    # The first line names the card: MadGraph tells a MadSpin card from a reweight card by
    # the word "madspin" (or a first line starting with "decay"), and would otherwise copy
    # it as reweight_card.dat.
    # MadSpin's seed is drawn by MadGraph from the run's iseed (reproducible).
    # MadSpin 3.1.1 starts with the SM loaded and keeps its multiparticles p and j (gluon,
    # quarks) after it loads this model, then fails on them ("'NoneType' object has no
    # attribute 'is_fermion'"); redefining both within the model avoids it.
    return ("# MadSpin card of the zpgen MadGraph comparison (README.md)\n"
            "define p = prot\n"
            "define j = prot\n"
            "set spinmode onshell\n"
            f"{setup['madspin']}\n"
            "launch\n")


def run(cmd: list[str], cwd: Path, log: Path | None = None,
        env: dict[str, str] | None = None) -> str:
    print(f"[{cwd}]$ {shlex.join(cmd)}", flush=True)
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    out = proc.stdout + proc.stderr
    if log is not None:
        log.write_text(out, encoding="utf-8")
    if proc.returncode != 0:
        sys.stdout.write(out[-4000:])
        raise SystemExit(f"command failed with status {proc.returncode}")
    return out


def write(names: list[str]) -> None:
    common, setups = load_setups()
    for name in names:
        setup = setups[name]
        d = HERE / "cards" / name
        d.mkdir(parents=True, exist_ok=True)
        cmd = ["zpgen", "export-slha", "--overwrite"]
        for o in zpgen_overrides(common, setup):
            cmd += ["--set", o]
        run([*cmd, "-o", str(d / "param_card.dat")], HERE)
        (d / "proc.mg5").write_text(proc_text(name, setup), encoding="utf-8")
        (d / "launch.mg5").write_text(launch_text(name, setup), encoding="utf-8")
        if setup.get("madspin"):
            (d / "madspin_card.dat").write_text(madspin_text(setup), encoding="utf-8")
        print(f"wrote {d}")


_KEY = re.compile(r"(VERSION|Cross-section|Nb of events|branching ratio|Width|"
                  r"decay_events|spinmode|WARNING|Error)")
_SKIP = ("ajob", "fastjet", "lhapdf", "For consistency", "call an external program")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def key_lines(text: str) -> list[str]:
    """MadGraph's lines worth keeping (version, cross sections, warnings), once each."""
    out: list[str] = []
    for ln in text.splitlines():
        ln = _ANSI.sub("", ln).rstrip()
        if _KEY.search(ln) and not any(s in ln for s in _SKIP) and ln not in out:
            out.append(ln)
    return out


def init_line(path: Path) -> str:
    """The process line (XSECUP XERRUP XMAXUP LPRUP) of the last <init> before the events."""
    opener = gzip.open if path.suffix == ".gz" else open
    last, inside, lines = "", False, []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("<event"):
                break
            if line.startswith("<init>"):
                inside, lines = True, []
            elif line.startswith("</init>"):
                inside = False
                last = lines[1].strip() if len(lines) > 1 else ""
            elif inside:
                lines.append(line)
    return last


def write_log(name: str, setup: dict, wd: Path, mg5: Path, src: Path, dst: Path,
              out: str) -> None:
    """samples/<name>.log: what was run and MadGraph's key lines."""
    with gzip.open(dst, "rt", encoding="utf-8") as fh:
        n = sum(1 for line in fh if line.startswith("<event"))
    version = (mg5 / "VERSION").read_text(encoding="utf-8").split()
    lines = [f"# MadGraph5_aMC@NLO {' '.join(version)}; setup {name}: {setup['about']}",
             f"# {n} events in samples/{name}.lhe.gz (copied from {src.relative_to(wd)})",
             f"# <init> of the sample: {init_line(dst)}"]
    for run_dir in sorted((wd / "mg").glob("decay_*/Events/run_*")):
        # MadSpin's partial width of the decay it applies (its own MadGraph run)
        lhe = next(run_dir.glob("unweighted_events.lhe*"), None)
        if lhe is not None:
            lines.append(f"# MadSpin partial width ({run_dir.relative_to(wd)}), "
                         f"<init> XSECUP XERRUP in GeV: {init_line(lhe)}")
    lines += key_lines(out)
    (HERE / "samples" / f"{name}.log").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_setups(names: list[str], mg5: Path, work: Path, python: str) -> None:
    _, setups = load_setups()
    # MadSpin compiles its matrix elements with the f2py of the PATH: take the one next to
    # the Python that runs MadGraph (numpy < 1.26 for MadGraph 3.1.1's f2py calls).
    env = dict(os.environ)
    env["PATH"] = f"{Path(python).parent}{os.pathsep}{env.get('PATH', '')}"
    for model in ("zpgen_darknu", "zpgen_darknu_majorana"):
        target = mg5 / "models" / model
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(HERE / model, target, ignore=shutil.ignore_patterns("__pycache__"))
        print(f"copied {model} to {target}")
    for name in names:
        setup = setups[name]
        cards = HERE / "cards" / name
        wd = work / name
        if wd.exists():
            shutil.rmtree(wd)
        wd.mkdir(parents=True)
        for f in ("param_card.dat", "madspin_card.dat"):
            if (cards / f).exists():
                shutil.copy(cards / f, wd / f)
        out = run([python, str(mg5 / "bin" / "mg5_aMC"), str(cards / "proc.mg5")], wd,
                  wd / "proc.log", env)
        out += run([python, str(mg5 / "bin" / "mg5_aMC"), str(cards / "launch.mg5")], wd,
                   wd / "launch.log", env)
        events = wd / "mg" / "Events"
        decayed = sorted(events.glob("run_01_decayed_*/unweighted_events.lhe.gz"))
        src = decayed[-1] if setup.get("madspin") else events / "run_01" / \
            "unweighted_events.lhe.gz"
        dst = HERE / "samples" / f"{name}.lhe.gz"
        dst.parent.mkdir(exist_ok=True)
        shutil.copy(src, dst)
        write_log(name, setup, wd, mg5, src, dst, out)
        print((HERE / "samples" / f"{name}.log").read_text(encoding="utf-8"))


def patch_check_sa(text: str) -> str:
    """check_sa.f reading sqrt(s) from standard input, printing six points in full."""
    edits = [
        ("      call printout()\n\n      CALL GET_MOMENTA(SQRTS,PMASS,P)",
         "      read (*,*) SQRTS\n      DO K=1,6\n      CALL GET_MOMENTA(SQRTS,PMASS,P)"),
        ("      write (*,'(i2,1x,5e15.7)') i, P(0,i),P(1,i),P(2,i),P(3,i), \n"
         "     .dsqrt(dabs(DOT(p(0,i),p(0,i))))\n      enddo\n"
         "      write (*,*) \"-------------------------------------------------------------"
         "----------------\"\n",
         "      write (*,'(i2,1x,5e25.16)') i, P(0,i),P(1,i),P(2,i),P(3,i), \n"
         "     .dsqrt(dabs(DOT(p(0,i),p(0,i))))\n      enddo\n"),
        ("      write (*,*) \"Matrix element = \", MATELEM, \" GeV^\",-(2*nexternal-8)\t\n"
         "      write (*,*) \"-------------------------------------------------------------"
         "----------------\"\n",
         "      write (*,'(a,e25.16)') \" Matrix element = \", MATELEM\n      ENDDO\n"),
        ("SAVE TWOPI, PO2LOG, Z(2)", "SAVE TWOPI, PO2LOG, Z"),
    ]
    for old, new in edits:
        if old not in text:
            raise SystemExit(f"check_sa.f: expected text not found: {old[:60]!r}")
        text = text.replace(old, new, 1)
    return text


def standalone(mg5: Path, work: Path, python: str) -> None:
    data = tomllib.loads((HERE / "setups.toml").read_text(encoding="utf-8"))
    common, cfg = list(data["common"]), dict(data["standalone"])
    cards = HERE / "cards" / "standalone_pauli"
    cards.mkdir(parents=True, exist_ok=True)
    cmd = ["zpgen", "export-slha", "--overwrite"]
    for o in [*common, *cfg["zpgen"]]:
        cmd += ["--set", o]
    run([*cmd, "-o", str(cards / "param_card.dat")], HERE)
    (cards / "proc.mg5").write_text(f"import model {cfg['model']}\n"
                                    f"generate {cfg['generate']}\n"
                                    "output standalone sa -f\n", encoding="utf-8")
    target = mg5 / "models" / cfg["model"]
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(HERE / cfg["model"], target, ignore=shutil.ignore_patterns("__pycache__"))
    wd = work / "standalone_pauli"
    if wd.exists():
        shutil.rmtree(wd)
    wd.mkdir(parents=True)
    out = run([python, str(mg5 / "bin" / "mg5_aMC"), str(cards / "proc.mg5")], wd,
              wd / "proc.log")
    shutil.copy(cards / "param_card.dat", wd / "sa" / "Cards" / "param_card.dat")
    sub = next((wd / "sa" / "SubProcesses").glob("P1_*"))
    check = sub / "check_sa.f"
    check.write_text(patch_check_sa(check.read_text(encoding="utf-8")), encoding="utf-8")
    run(["make", "check"], sub, wd / "make.log")
    sqrts = math.sqrt(float(M_PROTON) ** 2 + 2.0 * float(M_PROTON) * cfg["e_nu"])
    print(f"[{sub}]$ echo {sqrts!r} | ./check", flush=True)
    res = subprocess.run(["./check"], cwd=sub, input=f"{sqrts!r}\n", capture_output=True,
                         text=True, check=True)
    version = (mg5 / "VERSION").read_text(encoding="utf-8").split()
    header = [f"# MadGraph5_aMC@NLO {' '.join(version)} standalone |M|^2 of "
              f"{cfg['generate']} (helicity-averaged, 1/4), {cfg['about']}",
              f"# param_card: cards/standalone_pauli/param_card.dat; sqrt(s) = {sqrts!r} GeV "
              f"(E_nu = {cfg['e_nu']} GeV on a proton at rest)", *key_lines(out)[:1]]
    (HERE / "samples" / "standalone_pauli.txt").write_text(
        "\n".join(header) + "\n" + res.stdout, encoding="utf-8")
    print(f"wrote {HERE / 'samples' / 'standalone_pauli.txt'}")


def compute_widths(mg5: Path, work: Path, python: str) -> None:
    data = tomllib.loads((HERE / "setups.toml").read_text(encoding="utf-8"))
    _, setups = load_setups()
    for model in ("zpgen_darknu", "zpgen_darknu_majorana"):
        target = mg5 / "models" / model
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(HERE / model, target, ignore=shutil.ignore_patterns("__pycache__"))
    for name, body in dict(data["widths"]).items():
        setup = setups[name]
        wd = work / f"widths_{name}"
        if wd.exists():
            shutil.rmtree(wd)
        wd.mkdir(parents=True)
        shutil.copy(HERE / "cards" / name / "param_card.dat", wd / "param_card.dat")
        option = f" --body_decay={body}" if body > 2 else ""
        (wd / "widths.mg5").write_text(
            f"import model {setup['model']}\n"
            f"compute_widths zp n5 n4{option} --path=param_card.dat --output=widths.dat\n",
            encoding="utf-8")
        run([python, str(mg5 / "bin" / "mg5_aMC"), "widths.mg5"], wd, wd / "widths.log")
        text = (wd / "widths.dat").read_text(encoding="utf-8")
        decay = text[text.index("DECAY"):] if "DECAY" in text else text
        version = (mg5 / "VERSION").read_text(encoding="utf-8").split()
        head = (f"# MadGraph5_aMC@NLO {' '.join(version)} compute_widths zp n5 n4{option} "
                f"with cards/{name}/param_card.dat (model {setup['model']})\n")
        (HERE / "samples" / f"widths_{name}.txt").write_text(head + decay, encoding="utf-8")
        print(f"wrote samples/widths_{name}.txt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("write", "run", "standalone", "widths"))
    parser.add_argument("setups", nargs="*", help="default: every setup of setups.toml")
    parser.add_argument("--mg5", type=Path, help="MadGraph5_aMC@NLO 3.1.1 directory")
    parser.add_argument("--work", type=Path, default=Path("mg_work"),
                        help="work directory (default ./mg_work)")
    parser.add_argument("--python", default=sys.executable,
                        help="Python that runs MadGraph (needs six)")
    args = parser.parse_intermixed_args(argv)
    _, setups = load_setups()
    names = args.setups or list(setups)
    unknown = [n for n in names if n not in setups]
    if unknown:
        parser.error(f"unknown setup(s) {', '.join(unknown)}; known: {', '.join(setups)}")
    if args.step == "write":
        write(names)
    elif args.mg5 is None:
        parser.error(f"{args.step} needs --mg5")
    elif args.step == "standalone":
        standalone(args.mg5.resolve(), args.work.resolve(), args.python)
    elif args.step == "widths":
        compute_widths(args.mg5.resolve(), args.work.resolve(), args.python)
    else:
        run_setups(names, args.mg5.resolve(), args.work.resolve(), args.python)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
