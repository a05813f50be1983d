"""The layering the plugin architecture promises, read from the source (docs/architecture.md):
the engine (zpgen/) knows no physics plugin, only the CLI imports the CLI, commands stay
small and no function grows past 120 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENGINE = REPO / "zpgen"
PLUGIN_PACKAGES = ("zpgen.processes", "zpgen.detectors", "zpgen.flux", "zpgen.madgraph")
SOURCE_FOLDERS = ("zpgen", "processes", "flux", "detectors", "validation/madgraph/tooling")


def imported_modules(path: Path, package: str) -> set[str]:
    """Absolute names of every module a file imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


#: Source folder -> import name (pyproject.toml's package-dir).
IMPORT_NAME = {"zpgen": "zpgen", "processes": "zpgen.processes", "flux": "zpgen.flux",
               "detectors": "zpgen.detectors", "validation/madgraph/tooling": "zpgen.madgraph"}


def package_of(path: Path) -> str:
    """Import name of the package a file belongs to (its relative imports start there)."""
    rel = path.relative_to(REPO).as_posix()
    folder = max((f for f in IMPORT_NAME if rel.startswith(f + "/")), key=len)
    parts = Path(rel).relative_to(folder).parts[:-1]
    return ".".join([IMPORT_NAME[folder], *parts])


def engine_files() -> list[Path]:
    return sorted(ENGINE.rglob("*.py"))


@pytest.mark.parametrize("path", engine_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_the_engine_imports_no_physics_plugin(path):
    imports = imported_modules(path, package_of(path))
    bad = sorted(m for m in imports if m.startswith(PLUGIN_PACKAGES))
    assert not bad, f"{path.relative_to(REPO)} imports {bad}"


@pytest.mark.parametrize("path", [p for p in engine_files() if "cli" not in p.parts
                                  and p.name != "__main__.py"]
                         + sorted((REPO / "processes").rglob("*.py"))
                         + sorted((REPO / "detectors").rglob("*.py"))
                         + sorted((REPO / "flux").rglob("*.py"))
                         + sorted((REPO / "validation" / "madgraph" / "tooling").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(REPO)))
def test_only_the_cli_imports_the_cli(path):
    """(``python -m zpgen``, zpgen/__main__.py, is the CLI's own entry point.)"""
    imports = imported_modules(path, package_of(path))
    bad = sorted(m for m in imports if m == "zpgen.cli" or m.startswith("zpgen.cli."))
    assert not bad, f"{path.relative_to(REPO)} imports {bad}"


def test_command_modules_are_short():
    commands = [*(ENGINE / "cli").glob("*.py"), *(REPO / "processes" / "commands").glob("*.py"),
                *(REPO / "detectors" / "commands").glob("*.py"),
                *(REPO / "validation" / "madgraph" / "tooling").glob("commands.py")]
    long = {str(p.relative_to(REPO)): n for p in commands
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 250}
    assert not long, long


def test_no_function_is_longer_than_120_lines():
    long = {}
    for folder in SOURCE_FOLDERS:
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > 120:
                        long[f"{path.relative_to(REPO)}:{node.name}"] = length
    assert not long, long
