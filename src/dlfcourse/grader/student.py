"""The student's side as the checks see it: call a function by name, get back data or a finding.

A check never touches the student's objects. It asks a :class:`Student` to
call one of the notebook's functions with arguments it chose, and gets a
:class:`Returned`: the value (plain data) or a :class:`Finding` that says what
went wrong (not defined, not implemented, raised on this input, took too long,
changed its input, returned something that is not data). Two kinds of student
answer these calls:

* :class:`RemoteStudent` — a submission running in its sandboxed worker
  (see :mod:`dlfcourse.sandbox.session`); used by ``dlf-course autograde``;
* :class:`LocalStudent` — plain Python callables in this process; used by the
  Python API (:func:`dlfcourse.grader.api.grade_function`) and the tests.

Function arguments are data too: :func:`student_function` stands for one of
the student's own functions (error carried forward), :func:`grader_function`
for a small function the grader writes out as source (a test function for a
numerical gradient, a learning-rate schedule).
"""

from __future__ import annotations

import copy
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from dlfoundations.kit.compare import Case, Finding, describe
from dlfcourse.grader.boundary import NotData, as_data, clipped
from dlfcourse.grader.places import Places
from dlfcourse.grader.proxy import Proxy
from dlfcourse.sandbox.codec import decode, encode
from dlfcourse.sandbox.worker_main import MAX_COLLECT, Worker

__all__ = ["Returned", "Student", "LocalStudent", "RemoteStudent", "WithProxy", "student_function",
           "grader_function", "reply_to_returned", "MAX_COLLECT"]


@dataclass(frozen=True)
class Returned:
    """What one call gave: ``value`` (plain data) when ``finding`` is None, else the finding."""

    value: Any = None
    finding: Finding | None = None
    seconds: float = 0.0
    error: str | None = None  # the exception's type name, when the call raised

    @property
    def ok(self) -> bool:
        return self.finding is None


class Student(Protocol):
    """Anything that can call the student's functions by name."""

    def call(self, name: str, *args: Any, case: Case, collect: bool = False, raise_on_overflow: bool = False,
             proxy: Proxy | None = None, **kwargs: Any) -> Returned:
        """Call the student's ``name`` with these arguments; ``case`` describes them in messages.

        With ``proxy``, the earlier functions it serves answer with the reference's values during
        this call (error carried forward, :mod:`dlfcourse.grader.proxy`). With ``collect=True`` a returned
        iterator (a generator) comes back as the list of its items (at most :data:`MAX_COLLECT`): an
        iterator is not data, its items are. With ``raise_on_overflow=True`` the call runs under
        ``np.errstate(over="raise")``, so an overflow hidden in a discarded branch raises FloatingPointError.
        """
        ...


def student_function(name: str) -> dict[str, str]:
    """An argument that stands for the student's own function ``name``."""
    return {"__callable__": "student", "name": name}


def grader_function(source: str, **env: Any) -> dict[str, Any]:
    """An argument that stands for the function ``source`` (a lambda, evaluated with ``np`` and ``env``)."""
    return {"__callable__": "source", "source": source, "env": env}


def _changed_argument(sent: list[Any], after: list[Any] | None, params: list[str]) -> str | None:
    """The name of the first argument that came back different from what was sent, if any."""
    if after is None or len(after) != len(sent):
        return None
    for position, (before, now) in enumerate(zip(sent, after, strict=True)):
        if not _same(before, now):
            return f"`{params[position]}`" if position < len(params) else f"number {position + 1}"
    return None


def _same(before: Any, now: Any) -> bool:
    if isinstance(before, np.ndarray):
        return isinstance(now, np.ndarray) and before.shape == now.shape and bool(
            np.array_equal(before, now, equal_nan=before.dtype.kind == "f"))
    if isinstance(before, dict) and "__callable__" not in before:
        return isinstance(now, dict) and set(before) == set(now) and all(_same(before[k], now[k]) for k in before)
    if isinstance(before, (list, tuple)):
        return isinstance(now, (list, tuple)) and len(before) == len(now) and all(map(_same, before, now))
    return True


def reply_to_returned(name: str, reply: Mapping[str, Any], sent: list[Any], case: Case,
                      places: Places | None = None) -> Returned:
    """Turn a worker's reply to a call into a :class:`Returned`, with the finding built here.

    This is where the student's data enters the grader: the value is validated and converted once
    (:func:`dlfcourse.grader.boundary.as_data`), and every text the reply carries is clipped. With the
    notebook's ``places``, a traceback names the item and function rather than a cell number, and a name
    that an import of the (absent) reference left undefined says so.
    """
    what, opening = f"`{name}`", case.opening
    kind = reply.get("kind")
    if reply.get("ok") is True:
        params = [clipped(p, 40) for p in reply.get("params") or []][:32] if isinstance(reply.get("params"),
                                                                                       list) else []
        changed = _changed_argument(sent, reply.get("args_after"), params)
        if changed:
            return Returned(finding=Finding("mutates-input", f"{opening}, {what} changed its argument {changed} in "
                                            "place. Work on a copy: write `x = x - ...` (a new array) rather than "
                                            "`x -= ...`, and build a new dict rather than assigning into the one "
                                            "you were given."))
        try:
            value = as_data(reply.get("value"))
        except NotData as problem:
            return Returned(finding=Finding("wrong-type", f"{opening}, {what} returned {problem}. Return numbers, "
                                            "numpy arrays of real numbers, and tuples, lists or dicts of them."))
        seconds = reply.get("seconds")
        return Returned(value, seconds=float(seconds) if type(seconds) is float else 0.0)
    if kind == "missing":
        why = places.missing(name) if places is not None else None
        return Returned(finding=Finding("missing", f"{what} is not defined in your notebook: " + (why or (
            "check its name, and that its cell runs without an error from a fresh start."))))
    if kind == "not-callable":
        return Returned(finding=Finding("wrong-type", f"{what} should be a function, but in your notebook it is a "
                                        f"{clipped(reply.get('type', 'value'), 60)}."))
    if kind == "not-implemented":
        return Returned(finding=Finding("not-implemented", f"{what} is not implemented yet (it raises "
                                        "NotImplementedError)."))
    if kind == "raised":
        ename = clipped((reply.get("error") or {}).get("ename", "") if isinstance(reply.get("error"), dict)
                        else "", 80) or None
        return Returned(finding=Finding("raised-error", f"{opening}, {what} raised {_error_text(name, reply, places)}"),
                        error=ename)
    if kind == "unsendable":
        return Returned(finding=Finding("wrong-type", f"{opening}, {what} returned something the grader cannot "
                                        f"use: {clipped(reply.get('message', 'not plain data'), 300)}. Return "
                                        "numbers, numpy arrays, and tuples, lists or dicts of them."))
    return Returned(finding=Finding("crashed", f"{opening}, the grader got no usable answer from {what}."))


def _error_text(name: str, reply: Mapping[str, Any], places: Places | None = None) -> str:
    raw = reply.get("error")
    error = raw if isinstance(raw, dict) else {}
    traceback = error.get("traceback")
    lines = traceback if isinstance(traceback, list) else []
    where = clipped(places.line(lines[-1]) if places is not None else lines[-1], 300).strip() if lines else ""
    text = f"{clipped(error.get('ename', 'an error'), 80)}: {clipped(error.get('evalue', ''), 1000)}"
    why = places.raised(name, error) if places is not None else None
    return (f"{text} ({where})." if where else f"{text}.") + (f" {why}" if why else "")


@dataclass
class LocalStudent:
    """The student's functions as callables in this process (no sandbox: for the API and the tests).

    A call goes through the sandboxed worker's own request handler (:class:`worker_main.Worker`) and
    its reply through the channel's codec, so a function gets exactly the verdict it would get in the
    sandbox: the same resolution of function arguments, ``collect``, ``raise_on_overflow``, refusal of
    values that are not data, and view of what changed in place.
    """

    functions: dict[str, Callable[..., Any]]
    namespace: dict[str, Any] = field(default_factory=dict)

    def call(self, name: str, *args: Any, case: Case, collect: bool = False, raise_on_overflow: bool = False,
             proxy: Proxy | None = None, **kwargs: Any) -> Returned:
        """Call ``functions[name]`` on copies of the arguments, as the worker would (``collect``,
        ``raise_on_overflow``, ``proxy``: see :meth:`Student.call`)."""
        worker = Worker(_local_asker(proxy))
        worker.namespace = _shared_namespace(self.functions, self.namespace)
        request = {"op": "call", "name": name, "args": copy.deepcopy(list(args)), "kwargs": copy.deepcopy(kwargs),
                   "collect": collect, "raise_on_overflow": raise_on_overflow,
                   "proxies": proxy.names if proxy else []}
        reply = decode(encode(worker.call(request)))  # as it crosses the channel: plain data only
        return reply_to_returned(name, reply, list(args), case)


def _shared_namespace(functions: Mapping[str, Callable[..., Any]], extra: Mapping[str, Any]) -> dict[str, Any]:
    """One namespace for ``functions``, as a notebook's are: each plain function is rebound to it, so that a
    name it looks up (an earlier function, a proxy while one is bound) is found there."""
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    for function in functions.values():
        namespace.update(getattr(function, "__globals__", {}))
    namespace.update(extra)
    for name, function in functions.items():
        namespace[name] = _rebound(function, namespace)
    return namespace


def _rebound(function: Any, namespace: dict[str, Any]) -> Any:
    """``function`` with ``namespace`` as its globals (a copy); anything but a plain function as it is."""
    if not isinstance(function, types.FunctionType):
        return function
    copy_ = types.FunctionType(function.__code__, namespace, function.__name__, function.__defaults__,
                               function.__closure__)
    copy_.__kwdefaults__ = function.__kwdefaults__
    return copy_


def _local_asker(proxy: Proxy | None) -> Callable[[dict[str, Any]], Any] | None:
    """The worker's ``ask`` in this process: the request and the answer cross the codec, as on the channel."""
    if proxy is None:
        return None

    def ask(message: dict[str, Any]) -> Any:
        data = encode(message)
        answer = proxy.answer(decode(data), len(data))
        return decode(encode(answer if answer is not None else {"ok": False, "message": proxy.exhausted}))
    return ask


@dataclass(frozen=True)
class WithProxy:
    """A student whose every call, during one item, has the earlier functions served by ``proxy``."""

    student: Student
    proxy: Proxy

    def call(self, name: str, *args: Any, case: Case, collect: bool = False, raise_on_overflow: bool = False,
             **kwargs: Any) -> Returned:
        """The student's call, with this item's proxy (see :meth:`Student.call`)."""
        return self.student.call(name, *args, case=case, collect=collect, raise_on_overflow=raise_on_overflow,
                                 proxy=self.proxy, **kwargs)


class RemoteStudent:
    """The functions of a submission running in its sandboxed worker (a :class:`~.session.NotebookSession`)."""

    def __init__(self, session: Any, call_seconds: float, places: Places | None = None) -> None:
        self.session = session
        self.call_seconds = call_seconds
        self.places = places  # the notebook's cells by item and function, for the messages

    def call(self, name: str, *args: Any, case: Case, collect: bool = False, raise_on_overflow: bool = False,
             proxy: Proxy | None = None, **kwargs: Any) -> Returned:
        """Send the call to the worker; a time-out or a crash of the worker becomes the finding (``collect``,
        ``raise_on_overflow``, ``proxy``: see :meth:`Student.call`)."""
        from dlfcourse.sandbox.worker import WorkerFailure

        request: dict[str, Any] = {"op": "call", "name": name, "args": list(args), "kwargs": kwargs}
        if collect:
            request["collect"] = True
        if raise_on_overflow:
            request["raise_on_overflow"] = True
        if proxy is not None:
            request["proxies"] = proxy.names
        try:
            reply = self.session.request(request, self.call_seconds, f"`{name}` ran {case.description}",
                                         proxy.answer if proxy is not None else None)
        except WorkerFailure as failure:
            code = "time-limit" if failure.kind == "time-limit" else "crashed"
            failed = self.places.text(str(failure)) if self.places is not None else str(failure)
            return Returned(finding=Finding(code, f"{case.opening}, `{name}` did not return: {failed}."))
        if not isinstance(reply, dict):
            return Returned(finding=Finding("crashed", f"{case.opening}, the grader got {describe(reply)} instead "
                                            f"of an answer from `{name}`."))
        return reply_to_returned(name, reply, list(args), case, self.places)
