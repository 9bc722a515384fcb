"""Call a student's function as untrusted code and catch the ways it can cheat or misbehave.

:func:`call_student` runs three guards around one call:

* **delegation** — the function may not use the reference implementation. It is
  checked statically (the names its code and its helpers refer to, closures,
  default arguments) and dynamically: a profiler watches every Python call
  made during the student's call and fails the item if any of them runs code
  from a reference module, however it was reached (an alias saved earlier,
  ``importlib``, ``sys.modules``).
* **mutation** — array arguments are compared before and after the call.
* **tampering** — numpy's and the builtins' functions are snapshotted when
  this module is first imported (the grading kernel imports it before any
  student code runs) and must be the same objects at every check.

Modules a student may use freely are listed in ``ALLOWED_MODULES``. An item can
take some of them away with ``forbid``: the numerical-gradient exercise, for
example, calls ``call_student(..., forbid=("gradcheck",))`` so that an answer
cannot hand its work to ``dlfoundations.gradcheck.numerical_gradient``.
"""

from __future__ import annotations

import builtins
import functools
import sys
import traceback
import types
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

import dlfoundations
from dlfoundations.grading.failure import GradingFailure

__all__ = ["ALLOWED_MODULES", "call_student", "check_untampered", "find_reference_use", "snapshot", "unchanged"]

#: Submodules of dlfoundations that answers may call (data sets, plots, the gradient checker).
ALLOWED_MODULES = frozenset({"data", "plotting", "gradcheck"})

_PACKAGE_DIR = Path(dlfoundations.__file__).resolve().parent
_SUSPICIOUS_NAMES = frozenset({"importlib", "import_module", "__import__", "modules", "setprofile", "settrace"})
_set_profile = sys.setprofile
_get_profile = sys.getprofile
_array_equal = np.array_equal


#: Replaced by ipykernel itself at every cell execution (it forwards input() and installs its exception hook):
#: a new object there is not tampering.
_KERNEL_MANAGED = frozenset({("builtins", "input"), ("sys", "excepthook")})


def _snapshot(modules: Iterable[types.ModuleType]) -> dict[tuple[str, str], Any]:
    return {
        (module.__name__, name): value
        for module in modules
        for name, value in list(vars(module).items())
        if callable(value) and not name.startswith("__") and (module.__name__, name) not in _KERNEL_MANAGED
    }


_PROTECTED = {m.__name__: m for m in (np, np.testing, np.linalg, builtins, sys)}
_ORIGINALS = _snapshot(_PROTECTED.values())


def protect(module: types.ModuleType) -> None:
    """Add ``module``'s functions to the tamper snapshot (the grading modules call this on import)."""
    _PROTECTED[module.__name__] = module
    _ORIGINALS.update(_snapshot([module]))


def check_untampered() -> None:
    """Raise ``numpy-tampered`` if any protected function was replaced since import."""
    for (module_name, name), original in _ORIGINALS.items():
        if vars(_PROTECTED[module_name]).get(name) is not original:
            raise GradingFailure(
                "numpy-tampered",
                f"{module_name}.{name} was replaced in this notebook. Graded notebooks must not modify "
                "numpy, builtins or the grading code; restart the kernel and remove that assignment.",
            )


def _allowed(forbid: Iterable[str]) -> frozenset[str]:
    """The allowed submodules once those in ``forbid`` are taken away."""
    return ALLOWED_MODULES - frozenset(forbid)


def _reference_module_of(obj: Any, allowed: frozenset[str] = ALLOWED_MODULES) -> str | None:
    """The name of the reference submodule ``obj`` belongs to, or None if it is not reference code."""
    name = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
    if not isinstance(name, str) or not (name == "dlfoundations" or name.startswith("dlfoundations.")):
        return None
    parts = name.split(".")
    if len(parts) > 1 and parts[1] in allowed:
        return None
    return name


def _code_objects(code: types.CodeType) -> Iterable[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _referenced_objects(fn: types.FunctionType) -> Iterable[tuple[str, Any]]:
    """(name, object) for every global, closure value and default that ``fn``'s code can reach."""
    for code in _code_objects(fn.__code__):
        for name in code.co_names:
            if name in fn.__globals__:
                yield name, fn.__globals__[name]
            elif name in _SUSPICIOUS_NAMES:
                yield name, name
    for cell in fn.__closure__ or ():
        try:
            yield "a closure variable", cell.cell_contents
        except ValueError:  # an empty cell
            continue
    for default in (fn.__defaults__ or ()) + tuple((fn.__kwdefaults__ or {}).values()):
        yield "a default argument", default


def find_reference_use(fn: Callable, _seen: set[int] | None = None, forbid: Iterable[str] = ()) -> str | None:
    """Describe how ``fn`` (or a notebook helper it calls) reaches the reference, or None if it does not.

    Submodules named in ``forbid`` count as reference code even if they are in ``ALLOWED_MODULES``.
    """
    seen = _seen if _seen is not None else set()
    if id(fn) in seen:
        return None
    seen.add(id(fn))
    allowed = _allowed(forbid)
    module = _reference_module_of(fn, allowed)
    if module is not None:
        return f"it is the reference function {module}.{getattr(fn, '__name__', '?')} itself"
    if not isinstance(fn, types.FunctionType):
        return None
    for name, obj in _referenced_objects(fn):
        if obj is name:  # a suspicious bare name such as importlib or sys.modules
            return f"it uses `{name}`, a way to reach the reference implementation"
        module = _reference_module_of(obj, allowed)
        if module is not None:
            return f"it refers to `{name}`, which comes from the reference module {module}"
        if isinstance(obj, types.ModuleType) and obj.__name__ == "importlib":
            return f"it uses `{name}` (importlib), a way to reach the reference implementation"
        if isinstance(obj, types.FunctionType) and getattr(obj, "__module__", None) == fn.__module__:
            found = find_reference_use(obj, seen, forbid)
            if found:
                return f"its helper `{name}` is not allowed: {found}"
    return None


@functools.lru_cache(maxsize=4096)
def _package_part(filename: str) -> str | None:
    """The first path component of ``filename`` inside the package ('losses.py', 'grading'), or None."""
    try:
        return Path(filename).resolve().relative_to(_PACKAGE_DIR).parts[0]
    except (ValueError, OSError, IndexError):
        return None


def _is_forbidden_entry(frame: types.FrameType, allowed: frozenset[str] = ALLOWED_MODULES) -> bool:
    """True when student code (not the package itself) calls into a reference module."""
    part = _package_part(frame.f_code.co_filename)
    if part is None or part.removesuffix(".py") in allowed | {"grading"}:
        return False
    caller = frame.f_back
    return caller is None or _package_part(caller.f_code.co_filename) is None


def _student_location(error: BaseException) -> str:
    """' (line N of your cell: `code`)' for the innermost frame in notebook code, if any."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "ipykernel" in f.filename or "<" in f.filename]
    if not frames:
        return ""
    frame = frames[-1]
    line = (frame.line or "").strip()
    return f" (in `{frame.name}`, line {frame.lineno}: `{line}`)" if line else f" (in `{frame.name}`)"


def _profiled_call(
    fn: Callable, args: tuple, kwargs: dict, allowed: frozenset[str] = ALLOWED_MODULES
) -> tuple[Any, str | None]:
    """Call ``fn`` with a profiler that records the first reference function it runs."""
    hits: list[str] = []

    def profiler(frame: types.FrameType, event: str, _arg: Any) -> None:
        if event == "call" and not hits and _is_forbidden_entry(frame, allowed):
            hits.append(f"{Path(frame.f_code.co_filename).stem}.{frame.f_code.co_name}")

    previous = _get_profile()
    _set_profile(profiler)
    try:
        result = fn(*args, **kwargs)
    finally:
        _set_profile(previous)
    return result, (hits[0] if hits else None)


def _copies(values: Iterable[Any]) -> list[Any]:
    return [v.copy() if isinstance(v, np.ndarray) else v for v in values]


def snapshot(value: Any) -> Any:
    """A copy of ``value`` deep enough to detect mutation: arrays copied, dicts walked, other values kept."""
    if isinstance(value, Mapping):
        return {key: snapshot(item) for key, item in value.items()}
    return value.copy() if isinstance(value, np.ndarray) else value


def unchanged(before: Any, after: Any) -> bool:
    """True when ``after`` still holds what :func:`snapshot` recorded: same keys, equal arrays, same values."""
    if isinstance(before, dict):
        return isinstance(after, Mapping) and set(before) == set(after) and \
            all(unchanged(before[key], after[key]) for key in before)
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and before.shape == after.shape and bool(_array_equal(before, after))
    try:
        return after is before or bool(after == before)
    except (TypeError, ValueError):  # a value whose comparison is not a plain truth value
        return False


def _off_limits(forbid: Iterable[str]) -> str:
    """A sentence naming the allowed modules this item forbids, or an empty string."""
    return "".join(f" This item may not use dlfoundations.{name}." for name in sorted(forbid))


def call_student(
    fn: Callable, *args: Any, what: str = "your function", forbid: Iterable[str] = (), **kwargs: Any
) -> Any:
    """Call ``fn(*args, **kwargs)`` under the three guards; return its result or raise GradingFailure.

    ``forbid`` names allowed submodules (e.g. ``("gradcheck",)``) that this item may not use.
    """
    if not callable(fn):
        raise GradingFailure("wrong-type", f"{what} should be a function, but it is a {type(fn).__name__}.")
    reason = find_reference_use(fn, forbid=forbid)
    if reason:
        raise GradingFailure("uses-reference", f"No credit: {what} uses the reference implementation ({reason}). "
                             f"Write the computation yourself with numpy.{_off_limits(forbid)}")
    check_untampered()
    before = _copies(list(args) + list(kwargs.values()))
    try:
        result, reference_call = _profiled_call(fn, args, kwargs, _allowed(forbid))
    except GradingFailure:
        raise
    except NotImplementedError:
        raise GradingFailure("not-implemented", f"{what} is not implemented yet (it raises NotImplementedError).") from None
    except Exception as error:  # the student's code crashed: report it, never our own frames
        raise GradingFailure(
            "raised-error", f"{what} raised {type(error).__name__}: {error}{_student_location(error)}"
        ) from None
    check_untampered()
    if reference_call:
        raise GradingFailure("uses-reference", f"No credit: {what} called the reference implementation "
                             f"(dlfoundations.{reference_call}). Write the computation yourself with numpy."
                             f"{_off_limits(forbid)}")
    for original, value in zip(before, list(args) + list(kwargs.values())):
        if isinstance(original, np.ndarray) and not _array_equal(original, value):
            raise GradingFailure("mutates-input", f"{what} modified one of its input arrays in place. "
                                 "Work on a copy (e.g. `z = z - z.max(...)` instead of `z -= ...`).")
    return result
