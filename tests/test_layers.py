"""The layers of docs/architecture.md hold: the import contract (``lint-imports``, pyproject.toml)
names every module of infra/, and no module imports another module's private name.

``lint-imports`` itself runs in ``make lint``; these are the two things it cannot say: a new
module under infra/ that no layer names would escape the contract, and import-linter does not
look at names.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schemas", "producers", "streams", "dashboards", "infra")


def contract() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def layer_modules() -> set[str]:
    names: set[str] = set()
    for c in contract()["contracts"]:
        for layer in c.get("layers", []):
            names.update(m.strip() for m in layer.replace("|", ":").split(":"))
    return names


def test_every_module_of_infra_is_in_a_layer() -> None:
    children = {f"infra.{p.stem if p.is_file() else p.name}" for p in (ROOT / "infra").iterdir()
                if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    assert children - layer_modules() == set(), "name it in a layer of [tool.importlinter] in pyproject.toml"


def test_the_contract_covers_every_package() -> None:
    assert set(contract()["root_packages"]) == set(PACKAGES)


def private_imports(path: Path) -> list[str]:
    """``from <project module> import _name``, and ``<project module alias>._name``."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    modules: set[str] = set()  # local names bound to project modules
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    if any(part.startswith("_") and not part.startswith("__") for part in alias.name.split(".")):
                        found.append(f"{where}:{node.lineno}: import {alias.name}")
                    modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{where}:{node.lineno}: from {node.module} import {alias.name}")
                elif (ROOT / node.module.replace(".", "/") / f"{alias.name}.py").exists() or \
                        (ROOT / node.module.replace(".", "/") / alias.name / "__init__.py").exists():
                    modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            found.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_module_imports_another_modules_private_name() -> None:
    found = [hit for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             for hit in private_imports(path)]
    assert found == []


def test_the_private_name_check_sees_each_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from infra.stack.run import _tail\nfrom streams.sink import writer\nimport infra.settings\n"
                      "writer._executor\ninfra._x\nfrom schemas.types import show as _show\n")
    assert [hit.split(": ", 1)[1] for hit in private_imports(sample)] == [
        "from infra.stack.run import _tail", "writer._executor", "infra._x"]


@pytest.mark.slow
def test_lint_imports_keeps_the_contract() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
