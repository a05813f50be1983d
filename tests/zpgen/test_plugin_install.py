"""The plugin registry from installed wheels in a fresh venv, with a third-party plugin.

Builds zpgen's wheel and tiny third-party plugins (a flux, "zpgen-demo-flux", entry point
``zpgen.fluxes: demo_box``; a writer; the toy process of tests/toy_process as
"zpgen-toy", ``zpgen.processes: toy``), installs them with --no-deps into a new venv that
borrows the test environment's dependencies (numpy, numba, ...) through a .pth file, and
checks there, outside the source tree, that `zpgen plugins` lists the plugins, that a card
selects them, and that the shipped MiniBooNE flux table is found.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PLUGIN_PYPROJECT = """
[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "zpgen-demo-flux"
version = "0.0.1"
dependencies = ["zpgen"]

[project.entry-points."zpgen.fluxes"]
demo_box = "zpgen_demo_flux:BoxFlux"

[tool.setuptools]
py-modules = ["zpgen_demo_flux"]
"""

PLUGIN_MODULE = '''
"""A box-shaped numu flux between 0.5 and 1.5 GeV, 1e-10 nu/cm^2/POT in total."""
from zpgen.flux._binned import BinnedFlux


class BoxFlux(BinnedFlux):
    name = "demo_box"

    @classmethod
    def from_options(cls, options):
        total = float(options.get("total", 1e-10))
        return cls("numu", [0.5, 1.5], [total / 1.0])
'''

WRITER_PYPROJECT = """
[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "zpgen-demo-writer"
version = "0.0.1"
dependencies = ["zpgen"]

[project.entry-points."zpgen.writers"]
demo_csv = "zpgen_demo_writer:CSVWriter"

[tool.setuptools]
py-modules = ["zpgen_demo_writer"]
"""

WRITER_MODULE = '''
"""Event-level columns as CSV; the run document as a first comment line."""
import json

import awkward as ak
import numpy as np
from zpgen.writers import AtomicWriter, WriterError


class CSVWriter(AtomicWriter):
    name = "demo_csv"
    suffixes = (".csv",)

    def _start(self, tmp_path):
        self._rows = []

    def _write(self, chunk):
        self._rows.append(np.column_stack([ak.to_numpy(chunk[c]).astype(float)
                                           for c in self.columns]))

    def _finish(self, totals):
        with open(self.tmp_path, "w") as fh:
            fh.write("# " + json.dumps({"card": self.card_text(),
                                        "run_info": self.metadata(totals)}) + "\\n")
            fh.write(",".join(self.columns or []) + "\\n")
            for block in self._rows:
                np.savetxt(fh, block, delimiter=",", fmt="%.17g")

    def _release(self):
        self._rows = []

    @classmethod
    def read_metadata(cls, path):
        with open(path) as fh:
            first = fh.readline()
        if not first.startswith("# "):
            raise WriterError(f"{path}: no zpgen run document")
        doc = json.loads(first[2:])
        return doc["card"], doc["run_info"]
'''

TOY_PYPROJECT = """
[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "zpgen-toy"
version = "0.0.1"
dependencies = ["zpgen"]

[project.entry-points."zpgen.processes"]
toy = "zpgen_toy:ToyProcess"

[tool.setuptools]
py-modules = ["zpgen_toy"]
"""

TOY_CARD = """
[process]
name = "toy"
[model]
mass = 0.2
coupling = 1e-5
[detector]
name = "truth"
"""

CARD = """
[model]
m4 = 0.06
m5 = 0.11
mzprime = 0.03
[model.couplings]
g_mu5 = 1e-5
g_45 = 1e-2
cv_l = 1e-3
g_p = 1e-3
g_n = 1e-3
[flux]
name = "demo_box"
total = 2e-10
"""


def run(cmd, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed:\n{result.stdout[-2000:]}\n"
                    f"{result.stderr[-3000:]}")
    return result.stdout


@pytest.mark.slow
def test_wheels_in_fresh_venv_register_and_select_plugins(tmp_path):
    wheels = tmp_path / "wheels"
    plugin_src = tmp_path / "plugin"
    plugin_src.mkdir()
    (plugin_src / "pyproject.toml").write_text(PLUGIN_PYPROJECT)
    (plugin_src / "zpgen_demo_flux.py").write_text(PLUGIN_MODULE)
    writer_src = tmp_path / "writer"
    writer_src.mkdir()
    (writer_src / "pyproject.toml").write_text(WRITER_PYPROJECT)
    (writer_src / "zpgen_demo_writer.py").write_text(WRITER_MODULE)
    toy_src = tmp_path / "toy"
    toy_src.mkdir()
    (toy_src / "pyproject.toml").write_text(TOY_PYPROJECT)
    shutil.copy2(REPO / "tests" / "toy_process" / "zpgen_toy.py", toy_src / "zpgen_toy.py")
    # zpgen from a clean copy of its tracked files: a build/ folder left in the checkout by
    # an earlier build would put moved or deleted modules back into the wheel
    clean = tmp_path / "zpgen-src"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                             check=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (clean / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, clean / name)
    for source in (clean, plugin_src, writer_src, toy_src):
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--quiet", "-w", str(wheels), str(source)])
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = Path(run([str(python), "-c",
                     "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    # borrow the dependencies (not zpgen: the parent's editable finder is a .pth *file*,
    # which is not processed inside a directory added this way)
    (site / "zz_parent_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         *map(str, sorted(wheels.glob("*.whl")))])
    card = tmp_path / "card.toml"
    card.write_text(CARD)
    check = textwrap.dedent(f"""
        import json, zpgen, zpgen.flux.miniboone_bnb as bnb
        from zpgen.registry import available
        assert zpgen.__file__.startswith({str(site)!r}), zpgen.__file__
        flux = bnb.MiniBooNEBNBFlux.from_options({{}})
        print(json.dumps({{"file": zpgen.__file__, "fluxes": available("flux"),
                          "bnb_integral": flux.integral()}}))
    """)
    out = json.loads(run([str(python), "-c", check], cwd=tmp_path))
    assert out["fluxes"]["demo_box"] == "zpgen_demo_flux:BoxFlux"
    assert out["bnb_integral"] == pytest.approx(5.19e-10, rel=0.01)
    plugins = run([str(env_dir / "bin" / "zpgen"), "plugins"], cwd=tmp_path)
    assert "demo_box" in plugins
    rate = json.loads(run([str(env_dir / "bin" / "zpgen"), "rate", str(card), "--json"],
                          cwd=tmp_path))
    assert rate["flux"]["name"] == "demo_box"
    assert rate["flux"]["integral"] == pytest.approx(2e-10, rel=1e-12)
    assert rate["total_events"] > 0
    # the packaged default card, flux table, detector data and Numba kernels generate a file
    run([str(env_dir / "bin" / "zpgen"), "generate", "-n", "2000", "-o", "x.root", "-q"],
        cwd=tmp_path)
    info = json.loads(run([str(env_dir / "bin" / "zpgen"), "info", "x.root", "--json"],
                          cwd=tmp_path))
    assert info
    assert (tmp_path / "x.root").stat().st_size > 0
    # a third-party writer: chosen by its suffix, read back by `zpgen info` through it
    assert "demo_csv" in plugins
    run([str(env_dir / "bin" / "zpgen"), "generate", "-n", "500", "-o", "x.csv", "-q",
         "--nitn", "2", "--neval", "2000"], cwd=tmp_path)
    csv_info = json.loads(run([str(env_dir / "bin" / "zpgen"), "info", "x.csv", "--json"],
                              cwd=tmp_path))
    assert csv_info["format"] == "demo_csv"
    assert csv_info["written"]["n_events"] == 500 and csv_info["channels"]
    lines = (tmp_path / "x.csv").read_text().splitlines()
    assert lines[1].startswith("w,w_xsec,channel") and len(lines) == 502
    # a third-party process: its card explained and generated, its particle in the file
    (tmp_path / "toy.toml").write_text(TOY_CARD)
    assert "process" in plugins and "zpgen_toy:ToyProcess" in plugins
    explained = run([str(env_dir / "bin" / "zpgen"), "card", "toy.toml", "--explain"],
                    cwd=tmp_path)
    assert "model.mass [GeV]" in explained and "mzprime" not in explained
    run([str(env_dir / "bin" / "zpgen"), "generate", "toy.toml", "-n", "500", "-o", "t.lhe",
         "-q", "--nitn", "2", "--neval", "2000"], cwd=tmp_path)
    toy_info = json.loads(run([str(env_dir / "bin" / "zpgen"), "info", "t.lhe", "--json"],
                              cwd=tmp_path))
    assert toy_info["channels"] == ["C12_toy", "C12_proton_toy", "H1_toy"]
    assert [p["name"] for p in toy_info["particles"].values()] == ["toyX"]
