"""What is absent when your notebook is graded, and where your answers would lean on it.

When your notebook is graded, it runs where only numpy, matplotlib and this kit
exist: the reference implementation (``dlfoundations.losses``, ``.layers``,
``.linear``, ... everything of ``dlfoundations`` outside ``dlfoundations.kit``)
is not there. An answer that imports it works in your JupyterLab and fails
there: the import raises, and the function it was to provide does not exist.

The visible tests (:mod:`dlfoundations.kit.testing`) use :func:`notebook_use`
to fail the same way, before you hand the notebook in. It reads, without
running anything, the code of the test cell that is running and of the
notebook's functions that cell calls, and finds

* a function that *is* the reference's (``from dlfoundations.losses import cross_entropy``);
* a function of yours that uses a reference module (``losses.softmax(...)``), calls a function of one
  (``softmax`` imported from ``dlfoundations.activations``), or imports one;
* a function of yours whose cell imports a reference module before defining it: when graded, that cell
  stops at the import, and the function is never defined.
"""

from __future__ import annotations

import ast
import dis
import functools
import linecache
import re
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Use", "reference_module", "module_in_message", "origin", "function_use", "notebook_use", "KERNEL_SETUP"]

_PACKAGE = "dlfoundations"
_KIT = "dlfoundations.kit"
_ATTRIBUTE_OPS = ("LOAD_ATTR", "LOAD_METHOD")
_NAME_OPS = ("LOAD_GLOBAL", "LOAD_NAME")

#: The cell a fresh kernel runs first to be as the grader's (``python -m dlfoundations.kit.as_graded``):
#: the reference absent, and the kit modules the assignment withholds (the list replaces WITHHELD).
KERNEL_SETUP = '''
def _absent_when_graded(withheld):
    """When graded, only numpy, matplotlib and dlfoundations.kit are there (less the kit modules the
    assignment withholds): the rest is made absent here too. The kit's own imports are left alone."""
    import builtins, importlib.abc, sys
    from dlfoundations.kit.absent import reference_module

    class Absent(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if reference_module(name):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None
    original = builtins.__import__

    def guarded(name, globals=None, locals=None, fromlist=(), level=0):
        importer = (globals or {}).get("__name__") or ""
        if level == 0 and not importer.startswith("dlfoundations.kit"):
            for wanted in [name] + [f"{name}.{item}" for item in fromlist or () if isinstance(item, str)]:
                if wanted in withheld or any(wanted.startswith(m + ".") for m in withheld):
                    raise ModuleNotFoundError(f"No module named {wanted!r}", name=wanted)
        return original(name, globals, locals, fromlist, level)

    sys.meta_path.insert(0, Absent())
    if withheld:
        builtins.__import__ = guarded
_absent_when_graded(WITHHELD)
del _absent_when_graded
'''


@dataclass(frozen=True)
class Use:
    """Your ``name`` leans on the reference module ``module``: it *is* one of its functions (``via`` is None and
    not ``imports``), or it uses ``via`` from it (a module, or a function of it), or it imports the module."""

    name: str
    module: str
    via: str | None = None
    imports: bool = False
    via_module: bool = False  # ``via`` names the module itself (``losses`` in ``losses.softmax(z)``)
    cell_first: bool = False  # the function's own cell imports ``module`` before defining it

    @property
    def code(self) -> str:
        """The diagnosis the grader will give: ``missing`` (the name is never defined) or ``raised-error``."""
        return "missing" if self.via is None and not self.imports or self.cell_first else "raised-error"

    @property
    def message(self) -> str:
        """One sentence for the student: what is absent when graded, and what to write."""
        absent = f"when graded, `{self.module}` is not available (only numpy, matplotlib and `{_KIT}` are there)"
        if self.cell_first:
            return (f"the cell that defines `{self.name}` first imports `{self.module}`, but {absent}: that cell "
                    f"stops at the import and `{self.name}` is never defined. Take the import out.")
        if self.imports:
            return (f"your `{self.name}` imports `{self.module}`, but {absent}: "
                    f"write `{self.name}` yourself, without it.")
        if self.via_module:
            return (f"your `{self.name}` uses `{self.via}` (`{self.module}`), but {absent}: write `{self.name}` "
                    "yourself, without it.")
        if self.via is not None:
            return (f"your `{self.name}` calls `{self.via}`, which comes from `{self.module}`, but {absent}: write "
                    f"`{self.via}` yourself.")
        return f"`{self.name}` comes from `{self.module}`, but {absent}: write `{self.name}` yourself."


def reference_module(name: str | None) -> str | None:
    """``name`` if it is a module of the reference (``dlfoundations.X`` with X not the kit), else None."""
    if not isinstance(name, str) or not name.startswith(_PACKAGE + "."):
        return None
    return None if name == _KIT or name.startswith(_KIT + ".") else name


def module_in_message(message: str) -> str | None:
    """The reference module an import error's message names: ``dlfoundations.losses`` for "No module named
    'dlfoundations.losses'" and for "cannot import name 'losses' from 'dlfoundations'"; else None."""
    named = re.search(r"No module named '(?P<module>[\w.]+)'", message)
    if named is not None:
        parts = named["module"].split(".")
        return next((reference_module(".".join(parts[:n])) for n in range(2, len(parts) + 1)
                     if reference_module(".".join(parts[:n]))), None)
    taken = re.search(r"cannot import name '(?P<name>\w+)' from '(?P<module>[\w.]+)'", message)
    if taken is None:
        return None
    return reference_module(f"{taken['module']}.{taken['name']}" if taken["module"] == _PACKAGE else taken["module"])


def origin(value: Any) -> str | None:
    """The reference module ``value`` comes from (a module, function, class, method, partial, or an instance
    of a reference class), or None."""
    if isinstance(value, functools.partial):
        value = value.func
    if isinstance(value, types.MethodType):
        value = value.__func__
    if isinstance(value, types.ModuleType):
        return reference_module(value.__name__)
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
        return reference_module(getattr(value, "__module__", None))
    return reference_module(getattr(type(value), "__module__", None))


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    """``code`` and every code object nested in it (inner functions, lambdas, comprehensions)."""
    yield code
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _codes(constant)


@functools.lru_cache(maxsize=1024)
def _names(code: types.CodeType) -> tuple[tuple[str, str, Any], ...]:
    """("import", module, None) for each import in ``code``; ("name", global, the attribute read from it or
    None) for each global it reads."""
    found: list[tuple[str, str, Any]] = []
    for inner in _codes(code):
        instructions = list(dis.get_instructions(inner))
        for position, instruction in enumerate(instructions):
            before = instructions[position - 1] if position else None
            after = instructions[position + 1] if position + 1 < len(instructions) else None
            if instruction.opname == "IMPORT_NAME":
                fromlist = before.argval if before is not None and before.opname == "LOAD_CONST" else None
                modules = [f"{instruction.argval}.{item}" for item in fromlist or () if isinstance(item, str)]
                found += [("import", module, None) for module in [instruction.argval, *modules]]
            elif instruction.opname in _NAME_OPS:
                attribute = after.argval if after is not None and after.opname in _ATTRIBUTE_OPS else None
                found.append(("name", instruction.argval, attribute))
    return tuple(found)


@functools.lru_cache(maxsize=256)
def _cell_imports(source: str) -> tuple[tuple[int, str], ...]:
    """(line, reference module) of each import statement at the top level of a cell's source."""
    try:
        statements = ast.parse(source).body
    except (SyntaxError, ValueError):
        return ()
    found = []
    for statement in statements:
        if isinstance(statement, ast.Import):
            modules = [alias.name for alias in statement.names]
        elif isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module:
            modules = [statement.module] + [f"{statement.module}.{alias.name}" for alias in statement.names]
        else:
            continue
        found += [(statement.lineno, m) for m in map(reference_module, modules) if m][:1]
    return tuple(found)


def _imported_first(function: types.FunctionType) -> str | None:
    """The reference module the function's own cell imports, at its top level, before the function's ``def``."""
    code = function.__code__
    source = "".join(linecache.getlines(code.co_filename))
    return next((module for line, module in _cell_imports(source) if line < code.co_firstlineno), None)


def _is_notebook_function(value: Any) -> bool:
    return isinstance(value, types.FunctionType) and value.__module__ == "__main__"


def _used_module(value: Any, attribute: Any) -> str | None:
    """The reference module a global and the attribute read from it reach (``dlfoundations.losses`` for
    ``dlfoundations`` . ``losses``), or None."""
    if isinstance(value, types.ModuleType) and value.__name__ == _PACKAGE and isinstance(attribute, str):
        return reference_module(f"{_PACKAGE}.{attribute}")
    return origin(value)


def function_use(name: str, function: Any) -> Use | None:
    """How your function ``name`` leans on the reference, if it does (the first use found), else None.

    A function that is the reference's is one. A function of the notebook (defined in ``__main__``) is read:
    an import of a reference module, a global it uses that is (from) one, a default value or closure from one;
    the notebook's functions it calls are read in turn (a use found there names that function).
    """
    module = origin(function)
    if module is not None:
        return Use(name, module)
    seen: set[int] = set()
    todo = [(name, function)]
    while todo:
        current_name, current = todo.pop()
        if not _is_notebook_function(current) or id(current) in seen:
            continue
        seen.add(id(current))
        first = _imported_first(current)
        if first is not None:
            return Use(current_name, first, cell_first=True)
        extras = [*(current.__defaults__ or ()), *(current.__kwdefaults__ or {}).values(),
                  *(cell.cell_contents for cell in current.__closure__ or () if _filled(cell))]
        for value in extras:
            label = str(getattr(value, "__name__", None) or type(value).__name__)
            if origin(value) is not None:
                return _use_of(current_name, label, value, None)
            if _is_notebook_function(value):
                todo.append((label, value))
        for kind, what, attribute in _names(current.__code__):
            if kind == "import":
                module = reference_module(what)
                if module is not None:
                    return Use(current_name, module, imports=True)
            elif what in current.__globals__:
                value = current.__globals__[what]
                use = _use_of(current_name, what, value, attribute)
                if use is not None:
                    return use
                if _is_notebook_function(value):
                    todo.append((what, value))
    return None


def _use_of(name: str, what: str, value: Any, attribute: Any) -> Use | None:
    """The use of the reference that reading ``what`` (``value``, then ``attribute`` of it) in ``name`` is."""
    module = _used_module(value, attribute)
    if module is None:
        return None
    return Use(name, module, what, via_module=isinstance(value, types.ModuleType))


def _filled(cell: Any) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:  # an empty closure cell
        return False
    return True


def _test_cell(frame: types.FrameType | None) -> types.FrameType | None:
    """The notebook cell a visible test runs in: the nearest ``<module>`` frame of ``__main__``."""
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__main__":
            return frame
        frame = frame.f_back
    return None


def notebook_use(depth: int = 1) -> Use | None:
    """How the functions the running test cell uses lean on the reference (the first use found), or None.

    ``depth`` is how many frames above the caller's the search for the cell starts. Outside a notebook (no
    ``__main__`` module frame above) there is nothing to read: None.
    """
    cell = _test_cell(sys._getframe(depth + 1))
    if cell is None:
        return None
    namespace = cell.f_globals
    for kind, name, _attribute in _names(cell.f_code):
        if kind != "name" or name not in namespace or isinstance(namespace[name], types.ModuleType):
            continue
        use = function_use(name, namespace[name]) if callable(namespace[name]) else None
        if use is not None:
            return use
    return None
