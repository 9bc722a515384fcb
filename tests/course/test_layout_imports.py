"""The instructor package's folders follow the trust boundary (DESIGN.md "Layout"), and a test keeps them so.

Rule: ``sandbox <- grader <- autograde <- cli``; ``intake`` and ``outputs`` sit beside ``autograde``;
the sandbox side imports only the standard library and numpy (its worker runs inside the sandbox,
where nothing else is present), and the two top-level modules that use only the standard library
(the grading settings and the errors); nothing imports ``demo`` but the command line on top, which
runs it; no module takes another module's private names.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "dlfcourse"

#: folder -> the dlfcourse folders it may import (besides itself and the top-level course module)
ALLOWED = {
    "sandbox": set(),
    "grader": {"sandbox"},
    "autograde": {"sandbox", "grader"},
    "intake": set(),
    # the class list and where each hand-in came from are the term's: intake keeps them, outputs read them
    "outputs": {"grader", "intake.roster", "intake.handins"},
    "demo": {"sandbox", "grader", "autograde", "intake", "outputs", "release"},
    # the shared top-level modules import only one another
    **{name: set() for name in ("course", "state", "settings", "errors")},
}
TOP = {"cli", "commands"}  # the command line on top may import every folder
#: Top-level modules every folder may import: the course directory, its state, the grading settings, the errors.
SHARED = {"course", "state", "settings", "errors"}
#: Top-level modules that import only the standard library, so that the sandbox's side may import them.
STDLIB_ONLY = {"settings", "errors"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE).parts
    return relative[0] if len(relative) > 1 else Path(relative[0]).stem


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import statement, nested ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, [alias.name for alias in node.names], node.lineno))
    return found


def _allowed(module: str, allowed: set[str]) -> bool:
    """True when ``module`` is one of the ``allowed`` folders or modules (``grader``, ``intake.roster``)."""
    inside = module.split(".", 1)[1]
    return any(inside == name or inside.startswith(name + ".") for name in allowed)


def _course_folder(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "dlfcourse" and len(parts) > 1 else None


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_trust_boundary(path: Path) -> None:
    part = _part(path)
    wrong = []
    for module, names, line in _imports(path):
        folder = _course_folder(module)
        top = module.split(".")[0]
        if part == "sandbox" and not (top in sys.stdlib_module_names or top == "numpy"
                                      or folder in {"sandbox"} | STDLIB_ONLY):
            wrong.append(f"line {line}: the sandbox side imports {module}")
        if part in STDLIB_ONLY and top not in sys.stdlib_module_names:
            wrong.append(f"line {line}: {part} imports {module}, not the standard library")
        if folder == "demo" and part not in TOP | {"demo"}:
            wrong.append(f"line {line}: imports the demo ({module})")
        elif folder and part in ALLOWED and folder != part and not _allowed(module, ALLOWED[part] | SHARED):
            wrong.append(f"line {line}: {part}/ imports {module}")
        if module == "dlfcourse" and names and part != "cli":
            wrong.append(f"line {line}: imports names from the package's __init__")
    assert not wrong, f"{path.relative_to(PACKAGE)}: " + "; ".join(wrong)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_takes_another_modules_private_names(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    taken = [f"line {node.lineno}: {alias.name} from {node.module}"
             for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
             and node.module.startswith("dlfcourse") for alias in node.names
             if alias.name.startswith("_") and not alias.name.startswith("__")]
    imported = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module and node.module.startswith("dlfcourse") for alias in node.names}
    reached = [f"line {node.lineno}: {node.value.id}.{node.attr}" for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
               and node.value.id in imported and node.attr.startswith("_") and not node.attr.startswith("__")]
    assert not taken + reached, f"{path.relative_to(PACKAGE)} takes private names: " + "; ".join(taken + reached)


def test_the_rule_sees_a_violation(tmp_path: Path) -> None:
    """The checker itself: a sandbox module importing the grader, and a private name, are both caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from dlfcourse.grader.student import _same\nimport nbformat\n")
    assert [m for m, _, _ in _imports(bad)] == ["dlfcourse.grader.student", "nbformat"]
    assert _course_folder("dlfcourse.grader.student") == "grader"
    assert "nbformat" not in sys.stdlib_module_names
