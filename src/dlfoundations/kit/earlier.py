"""When a visible test fails because of an earlier function: run that function's own visible test, and say so.

Your functions call each other: ``softmax_regression_loss`` calls your ``cross_entropy``. If
``cross_entropy`` forgot to divide by N, the visible test of a correct ``softmax_regression_loss``
fails too, and its diagnosis ("did you forget to divide by N?") points at the wrong function. So
before a helper of :mod:`dlfoundations.kit.testing` reports a failure, it asks :func:`earlier_failure`:

1. which of the notebook's functions the function under test calls by name (the names its code
   reads, and so on through the functions those call);
2. which of those have their own visible test: the test cell that passed the function to
   :func:`~dlfoundations.kit.testing.call_student` (the last to do so; the kit keeps that cell's source
   when it runs, so the worked values are written once, in the notebook, and nowhere else);
3. whether that test fails *now*: its cell runs again, on your functions as they are defined now, in a
   copy of the notebook's namespace and with its output hidden (it changes nothing you see or define).

The first earlier function whose own test fails (in the order the tests first ran: the notebook's) is
named in the failure instead ("`softmax_regression_loss` uses your `cross_entropy`, which fails its own
visible test (...): fix that first"); when they all pass, the failure is reported as it was. An
earlier test cell you have not run yet in this kernel is not known: nothing is said about its function.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import sys
import traceback
import types
import warnings
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

__all__ = ["Culprit", "record_own_test", "tested_here", "earlier_failure"]

_REGISTRY = "__visible_tests__"  # in the notebook's namespace: function name -> the source of its own test cell
_REPLAYING: ContextVar[bool] = ContextVar("replaying", default=False)


@dataclass(frozen=True)
class Culprit:
    """Earlier functions (``names``, tested by one cell) that fail their own visible test, which says ``failure``.

    ``path`` leads from the function under test to ``names[0]``: ``("train", "loss", "cross_entropy")``; it
    begins with "" when that function has no name of its own (a lambda the test cell wrote).
    """

    names: tuple[str, ...]
    path: tuple[str, ...]
    failure: str

    @property
    def message(self) -> str:
        """One sentence for the student: which function to fix first, and what its own test says."""
        subject = f"`{self.path[0]}`" if self.path[0] and len(self.path) > 1 else "This test"
        yours = " and ".join(f"`{name}`" for name in self.names)
        through = " and ".join(f"`{name}`" for name in self.path[1:-1]) if len(self.names) == 1 else ""
        fails = "which fails its own visible test" if len(self.names) == 1 else "which fail their own visible test"
        return (f"{subject} uses your {yours}{f' (through {through})' if through else ''}, {fails} "
                f"({self.failure.rstrip('.')}): fix that first.")


def _cell() -> types.FrameType | None:
    """The frame of the notebook cell that is running (a ``<module>`` frame of ``__main__``), if any."""
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__main__":
            return frame
        frame = frame.f_back
    return None


def _source(frame: types.FrameType) -> str | None:
    """The whole source of the cell ``frame`` runs, if it is a notebook cell (kept in memory, never a file)."""
    entry = linecache.cache.get(frame.f_code.co_filename)
    if entry is None or len(entry) != 4 or entry[1] is not None:  # a file on disk (it has an mtime), or unknown
        return None
    return "".join(entry[2]) or None


def _own_tests(namespace: dict[str, Any]) -> dict[str, str]:
    """Function name -> the source of its own test cell, in the order the functions were first tested."""
    tests = namespace.get(_REGISTRY)
    if not isinstance(tests, dict):
        tests = namespace[_REGISTRY] = {}
    return tests


def _name_in(namespace: dict[str, Any], function: Any, *names: Any) -> str | None:
    """The first of ``names`` (then ``function.__name__``) under which ``namespace`` holds ``function``."""
    for name in (*names, getattr(function, "__name__", None)):
        if isinstance(name, str) and name.isidentifier() and namespace.get(name) is function:
            return name
    return None


def record_own_test(function: Any, what: str | None = None) -> None:
    """Keep the running test cell as the own visible test of ``function`` (``call_student`` calls this).

    Outside a notebook cell, or while an own test runs again, this does nothing.
    """
    cell = None if _REPLAYING.get() else _cell()
    source = _source(cell) if cell is not None else None
    if cell is None or source is None:
        return
    name = _name_in(cell.f_globals, function, what)
    if name is not None:
        _own_tests(cell.f_globals)[name] = source


def tested_here() -> list[Any]:
    """The functions whose own visible test is the running cell."""
    cell = _cell()
    source = _source(cell) if cell is not None else None
    if cell is None or source is None:
        return []
    namespace = cell.f_globals
    return [namespace[name] for name, test in _own_tests(namespace).items() if test == source and name in namespace]


def _is_notebook_function(value: Any) -> bool:
    return isinstance(value, types.FunctionType) and value.__module__ == "__main__"


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    """``code`` and every code object nested in it (inner functions, lambdas, comprehensions)."""
    yield code
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _codes(constant)


def _calls(function: types.FunctionType) -> Iterator[tuple[str, Any]]:
    """(name, function) of the notebook's functions ``function`` can call: the globals its code reads by name,
    and the functions it holds in its closure or default values."""
    names = sorted({name for code in _codes(function.__code__) for name in code.co_names})
    held = zip(function.__code__.co_freevars, function.__closure__ or (), strict=True)
    found = [(name, function.__globals__.get(name)) for name in names]
    found += [(name, cell.cell_contents) for name, cell in held if _filled(cell)]
    found += [("", value) for value in (*(function.__defaults__ or ()), *(function.__kwdefaults__ or {}).values())]
    return ((name, value) for name, value in found if _is_notebook_function(value))


def _filled(cell: Any) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:  # an empty closure cell
        return False
    return True


def _functions(uses: Iterable[Any]) -> Iterator[Any]:
    """The notebook's functions among ``uses`` and inside the tuples, lists and dicts among them (one level)."""
    for value in uses:
        inner = value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list)) else [value]
        yield from (item for item in inner if _is_notebook_function(item))


def _reached(namespace: dict[str, Any], starts: list[Any]) -> dict[str, tuple[str, ...]]:
    """Name -> path of names, for every function of the notebook reached by name from ``starts``.

    The starts are reached too (their path is their own name). Breadth first, so each path is a shortest
    one; a path holds the names of the notebook's functions (globals) it passes through, beginning with
    the start's own name, or "" for a start without one (a lambda).
    """
    todo: list[tuple[Any, tuple[str, ...]]] = [(function, (_name_in(namespace, function) or "",))
                                                for function in starts]
    paths = {path[0]: path for _, path in todo if path[0]}
    seen = {id(function) for function, _ in todo}
    while todo:
        function, path = todo.pop(0)
        for name, callee in _calls(function):
            is_global = namespace.get(name) is callee
            step = (*path, name) if is_global else path
            if is_global:
                paths.setdefault(name, step)
            if id(callee) not in seen:
                seen.add(id(callee))
                todo.append((callee, step))
    return paths


def _raised_by_your_code(error: BaseException) -> bool:
    """True when ``error`` was raised inside one of the notebook's functions (not by the test cell's own lines)."""
    return any(frame.f_code.co_name != "<module>" and frame.f_globals.get("__name__") == "__main__"
               for frame, _ in traceback.walk_tb(error.__traceback__))


def _run_again(source: str, namespace: dict[str, Any]) -> str | None:
    """What the test cell ``source`` says when it runs now, in a copy of ``namespace``: None when it passes.

    A failure that is not the functions' (a name the cell needs is gone, say) counts as a pass: unknown.
    """
    token = _REPLAYING.set(True)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(source, "<its own visible test>", "exec"), dict(namespace))  # noqa: S102
    except AssertionError as error:  # a CheckFailure is one
        return str(error) or f"{type(error).__name__} in the test cell"
    except Exception as error:  # noqa: BLE001 - anything a student's function raises
        return f"{type(error).__name__}: {error}" if _raised_by_your_code(error) else None
    finally:
        _REPLAYING.reset(token)
    return None


def earlier_failure(*uses: Any) -> Culprit | None:
    """The earlier functions that the functions under test use and that fail their own visible test now.

    The functions under test are those whose own test is the running cell, and ``uses`` (functions, or
    tuples, lists and dicts holding some). None outside a notebook cell, while an own test runs again,
    or when every earlier function used passes its own test (or has none that ran in this kernel).
    """
    cell = None if _REPLAYING.get() else _cell()
    source = _source(cell) if cell is not None else None
    if cell is None or source is None:
        return None
    namespace = cell.f_globals
    tests = _own_tests(namespace)
    starts = [*tested_here(), *_functions(uses)]
    paths = _reached(namespace, list({id(function): function for function in starts}.values()))
    earlier = [name for name, test in tests.items() if name in paths and test != source]
    for test in dict.fromkeys(tests[name] for name in earlier):
        failure = _run_again(test, namespace)
        if failure is not None:
            names = tuple(name for name in earlier if tests[name] == test)
            return Culprit(names, paths[names[0]], failure)
    return None
