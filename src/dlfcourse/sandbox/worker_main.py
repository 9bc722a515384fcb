"""The sandboxed worker: run a submission's code cells, then answer the grader's calls.

This program runs *inside* the sandbox, as untrusted code's host process. It
is not imported there: the grader starts ``python -I -S -c BOOTSTRAP`` and
sends this file's source (after the codec's) over the process's standard
input, so no file of the instructor package exists inside the sandbox.

It trusts nothing and decides nothing. It reads requests from the grader and
writes back what the student's code did, as plain data (see ``codec``):

    {"op": "run", "cell": i, "source": s}            -> output, error, figures of cell i
    {"op": "call", "name": f, "args": [...], ...}    -> the value f returned, or its error
    {"op": "exit"}

A call with ``"raise_on_overflow": true`` runs under ``numpy.errstate(over="raise")``:
an overflow the student's code hides (in a branch ``np.where`` throws away) raises.
A call with ``"collect": true`` turns a returned iterator (a generator, say)
into the list of its items, at most ``MAX_COLLECT`` of them: an iterator is not
data, the items it yields are (``minibatches`` may ``yield`` its batches). A
returned ``numpy.matrix`` (old CS231n-style code) is sent as the plain array of
the same values and shape: it is data, and the codec sends plain arrays only.

Each request carries an ``id`` that its reply repeats.

A call may name ``"proxies"``: earlier functions of the assignment that, for the
length of this call only, answer with the *grader's* values (error carried
forward). Each name is bound in the namespace to a small function that writes
``{"op": "proxy", "id": <the call's id>, "name": f, "args": [...], "kwargs": {...}}``
on the channel and returns the value of the grader's answer (or raises the
error it names). After the call the student's own definitions are put back.
The grader keeps every budget of these requests; nothing here is relied on.

Arguments may stand for functions: ``{"__callable__": "student", "name": f}``
is the student's own ``f``; ``{"__callable__": "source", "source": s, "env": {...}}``
is a function the grader wrote (``s`` evaluated with numpy as ``np``, the
student's names, and ``env``). Standard input and output are taken for the
channel before any student code runs: a ``print`` goes into the cell's output,
never onto the channel, and ``input()`` reads nothing.
"""

from __future__ import annotations

import base64
import builtins
import inspect
import io
import os
import shutil
import signal
import sys
import time
import traceback
from typing import Any

# Bound now, before any student code runs: a notebook that replaces builtins.compile (or exec, eval)
# changes its own cells, not the worker that runs them.
_compile, _exec, _eval = builtins.compile, builtins.exec, builtins.eval

try:  # on the host (tests); inside the sandbox the codec's source comes first and defines these names
    from dlfcourse.sandbox.codec import CodecError, encode, plain, read_frame, write_frame
except ImportError:  # pragma: no cover - the sandbox case
    pass

MAX_TEXT = 200_000  # characters of output sent per cell or call (a courtesy: the grader keeps its own budget)
MAX_FIGURES = 4  # figures kept per cell
MAX_COLLECT = 10_000  # items of a returned iterator a "collect" call lists


class _TooManyItems(Exception):
    """A "collect" call whose iterator yielded more than MAX_COLLECT items."""


def _collected(value: Any) -> Any:
    """The items of ``value`` as a list if it is an iterator (at most MAX_COLLECT), else ``value`` itself."""
    from collections.abc import Iterator
    from itertools import islice

    if not isinstance(value, Iterator):
        return value
    items = list(islice(value, MAX_COLLECT + 1))
    if len(items) > MAX_COLLECT:
        raise _TooManyItems(f"the iterator it returned yielded more than {MAX_COLLECT:,} items")
    return items


def _take_channel() -> tuple[io.FileIO, io.BufferedWriter]:
    """Move the grader's channel off fds 0 and 1, and point 0, 1 and 2 at /dev/null."""
    reader = os.fdopen(os.dup(0), "rb", buffering=0)
    writer = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    return reader, writer


def _copy_submission_files(source: str) -> None:
    """Copy the submission's own files (read-only in the sandbox) into the scratch working directory."""
    try:
        names = os.listdir(source) if os.path.isdir(source) else []
    except OSError:  # not readable by the sandbox's user: the notebook gets no files of its own
        names = []
    for name in names:
        path = os.path.join(source, name)
        try:
            if os.path.isdir(path):
                shutil.copytree(path, name, dirs_exist_ok=True)
            elif not name.endswith(".ipynb"):
                shutil.copyfile(path, name)
        except OSError:
            continue


def _strip_magics(source: str) -> str:
    """IPython line magics and shell escapes become comments; a cell magic makes the cell a comment."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return "\n".join("# " + line for line in lines)
    return "\n".join("# " + line if line.lstrip().startswith(("%", "!")) else line for line in lines)


def _error(error: BaseException) -> dict[str, Any]:
    """An exception as data: its name, message and the traceback lines inside the notebook's cells."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<cell")]
    lines = [f'  {f.filename[1:-1]}, line {f.lineno}, in {f.name}: {(f.line or "").strip()}' for f in frames]
    try:
        message = str(error)
    except Exception:  # noqa: BLE001 - a student's exception whose __str__ fails
        message = "(the exception's message could not be printed)"
    return {"ename": type(error).__name__, "evalue": message[:2000], "traceback": lines[-8:]}


class _Capture:
    """sys.stdout and sys.stderr into strings for the length of a ``with`` block."""

    def __enter__(self) -> _Capture:
        self.out, self.err = io.StringIO(), io.StringIO()
        self.saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = self.out, self.err
        return self

    def __exit__(self, *exc: Any) -> None:
        sys.stdout, sys.stderr = self.saved

    def text(self) -> tuple[str, str]:
        return self.out.getvalue()[:MAX_TEXT], self.err.getvalue()[:MAX_TEXT]


def _figures() -> list[str]:
    """PNG images (base64) of the figures the cell left open; they are closed afterwards."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return []
    images = []
    try:
        for number in pyplot.get_fignums()[:MAX_FIGURES]:
            buffer = io.BytesIO()
            # no bbox_inches="tight" (it draws twice) and a light compression: a third of the time
            pyplot.figure(number).savefig(buffer, format="png", dpi=72, pil_kwargs={"compress_level": 1})
            images.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
    except Exception:  # noqa: BLE001 - a figure the student broke: no image
        pass
    finally:
        try:
            pyplot.close("all")
        except Exception:  # noqa: BLE001
            pass
    return images


class ProxyError(RuntimeError):
    """The grader could not give an earlier function's value (bad arguments, or its budget is spent)."""


_ABSENT = object()


class Worker:
    """The namespace of the submission and the requests that run in it.

    ``ask`` sends one proxy request to the grader and returns its answer (the channel, in the sandbox).
    """

    def __init__(self, ask: Any = None) -> None:
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        self.ask = ask

    def _proxy(self, name: str, number: Any) -> Any:
        """A stand-in for the student's ``name`` that asks the grader for the reference's value."""
        ask = self.ask

        def proxy(*args: Any, **kwargs: Any) -> Any:
            if ask is None:
                raise ProxyError(f"`{name}` cannot be served here")
            try:
                answer = ask({"op": "proxy", "id": number, "name": name, "args": list(args), "kwargs": kwargs})
            except CodecError as error:
                raise ProxyError(f"the grader's `{name}` cannot take these arguments: {error}") from None
            if not isinstance(answer, dict) or answer.get("ok") is not True:
                message = answer.get("message") if isinstance(answer, dict) else None
                raise ProxyError(str(message or f"the grader's `{name}` gave no value"))
            return answer.get("value")

        proxy.__name__ = proxy.__qualname__ = name
        return proxy

    def _bind_proxies(self, names: Any, number: Any) -> dict[str, Any]:
        """Bind the proxies of ``names``; returns what they replaced (to put back)."""
        saved: dict[str, Any] = {}
        for name in names if isinstance(names, list) else []:
            name = str(name)
            saved[name] = self.namespace.get(name, _ABSENT)
            self.namespace[name] = self._proxy(name, number)
        return saved

    def _unbind_proxies(self, saved: dict[str, Any]) -> None:
        for name, value in saved.items():
            if value is _ABSENT:
                self.namespace.pop(name, None)
            else:
                self.namespace[name] = value

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        error = None
        with _Capture() as capture:
            try:
                code = _compile(_strip_magics(str(request["source"])), f"<cell {int(request['cell'])}>", "exec")
                _exec(code, self.namespace)
            except BaseException as raised:  # noqa: BLE001 - SystemExit, KeyboardInterrupt, anything
                error = _error(raised)
        stdout, stderr = capture.text()
        return {"ok": error is None, "stdout": stdout, "stderr": stderr, "error": error,
                "figures": _figures(), "seconds": time.monotonic() - started}

    def _callable(self, spec: dict[str, Any]) -> Any:
        if spec.get("__callable__") == "student":
            return self.namespace.get(str(spec.get("name")))
        scope = dict(self.namespace)
        scope.update(spec.get("env") or {})
        scope["np"] = __import__("numpy")
        return _eval(_compile(str(spec["source"]), "<grader>", "eval"), scope)

    def _arguments(self, value: Any) -> Any:
        if isinstance(value, dict) and "__callable__" in value:
            return self._callable(value)
        if isinstance(value, list):
            return [self._arguments(item) for item in value]
        if isinstance(value, dict):
            return {key: self._arguments(item) for key, item in value.items()}
        return value

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        """Call the student's function ``request["name"]``, with the request's proxies bound meanwhile."""
        saved = self._bind_proxies(request.get("proxies"), request.get("id"))
        try:
            return self._call(request)
        finally:
            self._unbind_proxies(saved)

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request["name"])
        function = self.namespace.get(name)
        if function is None:
            return {"ok": False, "kind": "missing", "name": name}
        if not callable(function):
            return {"ok": False, "kind": "not-callable", "name": name, "type": type(function).__name__}
        args = [self._arguments(a) for a in request.get("args", [])]
        kwargs = {k: self._arguments(v) for k, v in (request.get("kwargs") or {}).items()}
        started = time.monotonic()
        errors = {"over": "raise"} if request.get("raise_on_overflow") is True else {}
        with _Capture() as capture, __import__("numpy").errstate(**errors):
            try:
                value = function(*args, **kwargs)
                if request.get("collect") is True:
                    value = _collected(value)  # runs the student's generator: its errors are the student's
            except _TooManyItems as error:
                return {"ok": False, "kind": "unsendable", "message": str(error)}
            except NotImplementedError as raised:
                return {"ok": False, "kind": "not-implemented", "error": _error(raised)}
            except BaseException as raised:  # noqa: BLE001
                return {"ok": False, "kind": "raised", "error": _error(raised)}
        seconds = time.monotonic() - started
        stdout, _ = capture.text()
        value = _as_arrays(value)
        try:
            plain(value, [])
        except CodecError as error:
            return {"ok": False, "kind": "unsendable", "message": str(error), "seconds": seconds}
        after = [_as_sent(live, sent) for live, sent in zip(args, request.get("args", []), strict=False)]
        kwargs_after = {k: _as_sent(v, (request.get("kwargs") or {}).get(k)) for k, v in kwargs.items()}
        return _sendable_args({"ok": True, "value": value, "args_after": after, "kwargs_after": kwargs_after,
                               "seconds": seconds, "stdout": stdout[:2000], "params": _parameters(function)})


def _as_arrays(value: Any, depth: int = 0) -> Any:
    """``value`` with each numpy matrix (old numpy code returns them) as the plain array of the same values and
    shape: a matrix is data, and the channel carries plain arrays only. Everything else is left as it is."""
    numpy = sys.modules.get("numpy")
    if numpy is None or depth > 32:
        return value
    if isinstance(value, numpy.matrix):
        return numpy.asarray(value)
    if type(value) in (list, tuple):
        return type(value)(_as_arrays(item, depth + 1) for item in value)
    if type(value) is dict:
        return {key: _as_arrays(item, depth + 1) for key, item in value.items()}
    return value


def _parameters(function: Any) -> list[str]:
    """The names of the function's parameters (for messages such as "changed its argument `z`")."""
    try:
        return [str(name) for name in inspect.signature(function).parameters][:32]
    except Exception:  # noqa: BLE001 - a callable whose signature the student's code broke
        return []


def _as_sent(live: Any, sent: Any) -> Any:
    """An argument as it is after the call, with the functions the grader passed put back as their specs."""
    if isinstance(sent, dict) and "__callable__" in sent:
        return sent
    return live


def _sendable_args(reply: dict[str, Any]) -> dict[str, Any]:
    """Drop the arguments after the call if they cannot be sent (functions passed in): the value stays."""
    for key in ("args_after", "kwargs_after"):
        try:
            plain(reply.get(key), [])
        except CodecError:
            reply[key] = None
    return reply


def _seed_font_cache() -> None:
    """Copy the host's matplotlib font list (read-only in the sandbox) so matplotlib need not rebuild it."""
    cache, config = os.environ.get("DLF_MPL_CACHE"), os.environ.get("MPLCONFIGDIR")
    if not cache or not config or not os.path.isdir(cache):
        return
    os.makedirs(config, exist_ok=True)
    for name in os.listdir(cache):
        if name.startswith("fontlist-") and name.endswith(".json"):
            shutil.copyfile(os.path.join(cache, name), os.path.join(config, name))


def _stop_strays(server: int) -> None:
    """Kill every other process of the sandbox (a fork storm, a background job) once a request is answered.

    Only inside the sandbox's own pid namespace, where the worker is one of its first processes:
    there, "every process it may signal" means the notebook's processes and nothing else.
    """
    if os.environ.get("DLF_SANDBOXED") == "1" and server < 10:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass


def _answer(worker: Worker, request: Any) -> dict[str, Any]:
    """The reply to one request; a failure of the worker's own code becomes a reply, never a crash."""
    op = request.get("op") if isinstance(request, dict) else None
    try:
        if op == "run":
            return worker.run(request)
        if op == "call":
            return worker.call(request)
    except BaseException as error:  # noqa: BLE001 - e.g. a student's object whose __eq__ raises
        return {"ok": False, "kind": "raised", "error": _error(error)}
    return {"ok": False, "kind": "bad-request"}


def _warm_up() -> None:
    """Run every path of the worker once before student code can change what it imports lazily."""
    import numpy

    encode({"array": numpy.zeros((2, 2)), "items": [1, 2.5, "x", None, True, (numpy.float64(1.0),)]})
    _parameters(_warm_up)
    _error(ValueError("warm-up"))


def serve() -> None:
    """Answer requests until the grader says exit or closes the channel."""
    reader, writer = _take_channel()
    _copy_submission_files(os.environ.get("DLF_SUBMISSION_DIR", ""))
    _seed_font_cache()
    def ask(message: dict[str, Any]) -> Any:
        write_frame(writer, message)
        return read_frame(reader)

    worker = Worker(ask)
    server = os.getpid()
    _warm_up()
    write_frame(writer, {"ready": True, "pid": server})
    while True:
        try:
            request = read_frame(reader)
        except EOFError:
            return
        if isinstance(request, dict) and request.get("op") == "exit":
            return
        reply = _answer(worker, request)
        if os.getpid() != server:  # a process the notebook forked came back here: it never serves requests
            os._exit(0)
        _stop_strays(server)
        number = request.get("id") if isinstance(request, dict) else None
        try:
            write_frame(writer, {**reply, "id": number})
        except CodecError as error:
            write_frame(writer, {"ok": False, "kind": "unsendable", "message": str(error), "id": number})
        except Exception as error:  # noqa: BLE001 - the notebook broke something the channel needs
            write_frame(writer, {"ok": False, "kind": "raised", "error": _error(error), "id": number})


if __name__ == "__main__":
    serve()
