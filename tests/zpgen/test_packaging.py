"""Packaging: the plugin folders install inside the zpgen namespace, with their data.

The editable install used by the test run is exercised by every other test; this test
builds the wheel that `pip install .` would install and inspects it.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_editable_install_finds_plugin_data():
    import zpgen.detectors
    import zpgen.flux
    import zpgen.processes

    assert resources.files("zpgen.flux").joinpath("data/miniboone_bnb_numode.dat").is_file()
    assert resources.files("zpgen.detectors").joinpath("data/efficiency_fit.json").is_file()
    assert resources.files("zpgen").joinpath("default_card.toml").is_file()
    assert zpgen.processes.__name__ == "zpgen.processes"


@pytest.mark.slow
def test_wheel_maps_plugin_folders_into_zpgen(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"pip wheel failed:\n{result.stderr[-2000:]}")
    (wheel,) = tmp_path.glob("zpgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("zpgen/default_card.toml", "zpgen/processes/xsec.py",
                     "zpgen/flux/miniboone_bnb.py", "zpgen/flux/data/miniboone_bnb_numode.dat",
                     "zpgen/flux/data/LICENSE.darknews", "zpgen/detectors/miniboone.py",
                     "zpgen/detectors/data/efficiency_fit.json", "zpgen/writers/root.py",
                     "zpgen/processes/commands/xsec.py",
                     "zpgen/detectors/commands/compare.py", "zpgen/cli/generate.py",
                     "zpgen/detectors/commands/scan.py", "zpgen/api.py",
                     "zpgen/presets/paper.toml", "zpgen/docs/physics.md",
                     "zpgen/docs/architecture.md"):
        assert required in names, required
    # a plain `pip install zpgen` can write and read every format and give DataFrames:
    # the format libraries (and pandas, for Sample.to_pandas) are dependencies, no extra
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    requires = [line.split(":", 1)[1].strip() for line in
                zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line]
    for library in ("uproot", "pyhepmc", "pylhe", "pyarrow", "pandas"):
        assert any(r.startswith(library) for r in requires), (library, requires)
    # nothing installs as a top-level processes/flux/detectors package
    assert not any(n.split("/")[0] in {"processes", "flux", "detectors", "validation"}
                   for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    for group in ("zpgen.processes", "zpgen.fluxes", "zpgen.detectors", "zpgen.writers",
                  "zpgen.commands"):
        assert f"[{group}]" in text
