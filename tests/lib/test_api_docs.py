"""Every public function of the reference library is typed and documented, as the course promises."""

from __future__ import annotations

import importlib
import inspect

import pytest

LIBRARY_MODULES = ["activations", "losses", "layers", "mlp", "gradients", "optim", "schedules", "linear",
                   "linear.perceptron", "linear.logistic",
                   "regression", "regularisation", "training", "types",
                   "kit.data", "kit.plotting", "kit.gradcheck", "kit.surfaces", "kit.testing", "kit.compare",
                   "kit.earlier", "kit.validation", "kit.absent", "kit.as_graded"]


def _public_functions():
    for name in LIBRARY_MODULES:
        module = importlib.import_module(f"dlfoundations.{name}")
        assert hasattr(module, "__all__"), f"dlfoundations.{name} should declare __all__"
        for attr in module.__all__:
            obj = getattr(module, attr)
            if inspect.isfunction(obj):
                yield f"{name}.{attr}", obj
            elif inspect.isclass(obj):
                for method_name, method in vars(obj).items():
                    if inspect.isfunction(method) and not method_name.startswith("_"):
                        yield f"{name}.{attr}.{method_name}", method


PUBLIC = list(_public_functions())


@pytest.mark.parametrize("qualname, function", PUBLIC, ids=[q for q, _ in PUBLIC])
def test_public_function_is_typed_and_documented(qualname, function):
    doc = inspect.getdoc(function)
    assert doc and len(doc) > 20, f"{qualname} needs a docstring"
    signature = inspect.signature(function)
    untyped = [p for p in signature.parameters.values()
               if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty
               and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    assert not untyped, f"{qualname}: parameters without type hints: {[p.name for p in untyped]}"
    assert signature.return_annotation is not inspect.Signature.empty, f"{qualname} has no return type"


def test_every_public_module_of_the_library_is_checked():
    """A module added to the library is checked as soon as it exists: each module whose name has no leading
    underscore and that defines a public function or class is in LIBRARY_MODULES."""
    import pkgutil

    import dlfoundations

    defining = set()
    for info in pkgutil.walk_packages(dlfoundations.__path__, "dlfoundations."):
        name = info.name.removeprefix("dlfoundations.")
        if any(part.startswith("_") for part in name.split(".")):
            continue
        module = importlib.import_module(info.name)
        if any(not attr.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
               and obj.__module__ == module.__name__ for attr, obj in vars(module).items()):
            defining.add(name)
    assert defining - set(LIBRARY_MODULES) == set(), "modules whose public functions nothing checks"


def test_no_library_module_is_much_over_300_lines():
    """Issue 13: a module that grows past a screenful of functions is split by what it models."""
    from pathlib import Path

    import dlfoundations

    root = Path(dlfoundations.__file__).parent
    sizes = {str(path.relative_to(root)): len(path.read_text().splitlines()) for path in root.rglob("*.py")}
    assert sizes and {name: n for name, n in sizes.items() if n > 310} == {}


def test_the_student_kit_imports_nothing_of_the_reference():
    """The grading sandbox holds numpy, matplotlib and the kit only: a kit module importing the reference
    would break there, and would hand the reference to the answers."""
    import ast
    from pathlib import Path

    import dlfoundations.kit

    kit = Path(dlfoundations.kit.__file__).parent
    for path in kit.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                top = name.split(".")
                assert top[0] not in {"sklearn", "scipy", "dlfcourse"}, f"{path.name} imports {name}"
                if top[0] == "dlfoundations":
                    assert name.startswith("dlfoundations.kit"), f"{path.name} imports the reference: {name}"
