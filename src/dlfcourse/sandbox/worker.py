"""One sandboxed worker process, seen from the trusted grader: start it, send a request, wait with a limit.

The worker's program (``codec`` + ``worker_main``) is sent over its standard
input when it starts; requests and replies then travel as frames of plain data
(:mod:`dlfcourse.sandbox.codec`). Every wait has a deadline: a worker that
does not answer in time is killed (with everything it started), and the caller
learns which limit was reached and after how long. A worker that dies, or
writes something that is not a frame, is reported the same way.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import select
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from dlfcourse.sandbox import codec
from dlfcourse.sandbox.policy import BOOTSTRAP, apply_limits, user_process_count, worker_command
from dlfcourse.settings import GradingSettings

__all__ = ["WorkerFailure", "WorkerProcess", "worker_program", "Serve", "MAX_REPLY_BYTES"]

_HEADER = struct.Struct(">Q")
START_TIMEOUT = 60.0
_MAX_STRAY_FRAMES = 100
#: The largest frame the grader reads from a worker. The worker's own caps are a courtesy: the notebook's
#: code shares its process and can write on the channel itself, so this side keeps the limit.
MAX_REPLY_BYTES = 64 * 2**20

#: ``serve(request, size) -> answer``: the grader's answer to a proxy request of ``size`` bytes that the
#: worker sent during a call; None means "stop this worker" (it keeps asking after being refused).
Serve = Callable[[dict[str, Any], int], "dict[str, Any] | None"]


class WorkerFailure(Exception):
    """The worker could not answer: ``kind`` is "time-limit", "crashed" or "protocol"; ``detail`` says more."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def worker_program() -> bytes:
    """The source the worker runs: the codec, then the request loop (both use only the stdlib and numpy)."""
    here = Path(__file__).resolve().parent
    loop = (here / "worker_main.py").read_bytes().replace(b"from __future__ import annotations\n", b"")
    return (here / "codec.py").read_bytes() + b"\n\n" + loop


class WorkerProcess:
    """A running worker; ``request`` sends one message and returns the reply, within a time limit."""

    def __init__(self, settings: GradingSettings, submission_dir: str, uid: int | None = None,
                 withheld_kit: tuple[str, ...] = ()) -> None:
        """Start a worker in the sandbox, or as a plain subprocess when ``settings.sandbox`` is False.

        ``uid``: the sandbox runs as this uid (the grader must be root); None keeps the grader's.
        ``withheld_kit``: the kit modules absent for this assignment.
        """
        env: dict[str, str] | None = None
        preexec: Callable[[], None] | None = None
        if settings.sandbox:
            command = worker_command(settings, submission_dir, uid, withheld_kit)
            other = user_process_count(os.getuid()) if uid is None else 0
            preexec = lambda: apply_limits(settings, other)  # noqa: E731
        else:  # unsandboxed: trusted submissions only (and the tests of this module)
            command = [sys.executable, "-I", "-c", BOOTSTRAP, ""]
            env = {**os.environ, "DLF_SUBMISSION_DIR": submission_dir, "MPLBACKEND": "Agg"}
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, preexec_fn=preexec, env=env,
                                        start_new_session=True)
        self._stdin, self._stdout = _pipe(self.process.stdin), _pipe(self.process.stdout)
        _widen_pipes(self._stdin.fileno(), self._stdout.fileno())
        program = worker_program()
        try:
            self._stdin.write(str(len(program)).encode() + b"\n" + program)
            self._stdin.flush()
            self._buffer = bytearray()  # appended to in place: a 60 MB frame in 64 KB reads stays linear
            self.last_frame_bytes = 0
            self._receive(time.monotonic() + START_TIMEOUT, "starting the sandboxed worker")
        except (BrokenPipeError, WorkerFailure) as error:
            self.kill()
            raise WorkerFailure("crashed", f"the sandboxed worker did not start ({error}); check that bubblewrap "
                                "works on this machine: `dlf-course check-worker`") from None

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def request(self, message: dict[str, Any], timeout: float, doing: str, serve: Serve | None = None) -> Any:
        """Send ``message``, return its reply; WorkerFailure (and the worker killed) if none comes in time.

        Every request carries a random number that its reply must repeat: a stray or forged frame
        (written by a process the notebook forked, or by its own code) is skipped, never taken for
        the answer to this or a later request. While a call runs, frames ``{"op": "proxy", ...}``
        with its number are proxy requests: ``serve`` answers each (error carried forward); the
        time they take counts against the call's limit.
        """
        number = secrets.randbits(62)  # unguessable by a process that has not read it
        self._send(message | {"id": number}, doing)
        deadline = time.monotonic() + timeout
        strays = 0
        while strays < _MAX_STRAY_FRAMES:
            reply = self._receive(deadline, doing, timeout)
            if not isinstance(reply, dict) or reply.get("id") != number:
                strays += 1  # forged, or meant for another request: never answered
                continue
            if reply.get("op") != "proxy":
                return reply
            if serve is None:
                strays += 1  # a proxy request during a request that has no proxies: never answered
                continue
            answer = serve(reply, self.last_frame_bytes)
            if answer is None:
                self.kill()
                raise WorkerFailure("protocol", f"the notebook's process kept asking for earlier functions "
                                    f"after its budget was spent while {doing}")
            try:
                self._send(answer, doing)
            except codec.CodecError as error:  # the grader's value cannot be sent: that call is refused
                self._send({"ok": False, "message": f"the grader's value cannot be sent ({error})"}, doing)
        self.kill()
        raise WorkerFailure("protocol", f"the notebook's process kept sending stray messages while {doing}")

    def _send(self, message: dict[str, Any], doing: str) -> None:
        try:
            codec.write_frame(self._stdin, message)
        except (BrokenPipeError, OSError):
            self.kill()
            raise WorkerFailure("crashed", f"the notebook's process had ended before {doing}") from None

    def _read_some(self, deadline: float, doing: str, timeout: float | None) -> bytes:
        fd = self._stdout.fileno()
        left = deadline - time.monotonic()
        ready = select.select([fd], [], [], max(0.0, left))[0] if left > 0 else []
        if not ready:
            self.kill()
            limit = f"{timeout:g} s" if timeout is not None else f"{START_TIMEOUT:g} s"
            raise WorkerFailure("time-limit", f"no answer within the time limit of {limit} while {doing}")
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            code = self.process.wait()
            raise WorkerFailure("crashed", f"the notebook's process ended while {doing} ({_exit_reason(code)})")
        return chunk

    def _receive(self, deadline: float, doing: str, timeout: float | None = None) -> Any:
        while len(self._buffer) < _HEADER.size:
            self._buffer += self._read_some(deadline, doing, timeout)
        (size,) = _HEADER.unpack(self._buffer[:_HEADER.size])
        if size > MAX_REPLY_BYTES:
            self.kill()
            raise WorkerFailure("protocol", f"the notebook's process sent a message of {size:,} bytes while "
                                f"{doing}, more than the limit of {MAX_REPLY_BYTES:,}")
        while len(self._buffer) < _HEADER.size + size:
            self._buffer += self._read_some(deadline, doing, timeout)
        frame = bytes(self._buffer[_HEADER.size:_HEADER.size + size])
        del self._buffer[:_HEADER.size + size]
        self.last_frame_bytes = size
        try:
            return codec.decode(frame)
        except codec.CodecError as error:
            self.kill()
            raise WorkerFailure("protocol", f"the notebook's process sent something that is not an answer "
                                f"while {doing} ({error})") from None

    def kill(self) -> None:
        """Kill the worker and everything it started (its own session), and reap it."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for stream in (self._stdin, self._stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.process.wait()

    def close(self) -> None:
        """Ask the worker to exit, then make sure it has."""
        if self.alive:
            try:
                codec.write_frame(self._stdin, {"op": "exit"})
            except (BrokenPipeError, OSError):
                pass
        self.kill()


def _pipe(stream: IO[bytes] | None) -> IO[bytes]:
    """A pipe of the worker's process (always there: the process is started with both pipes)."""
    if stream is None:
        raise RuntimeError("the worker's process was started without its pipes")
    return stream


def _widen_pipes(*fds: int) -> None:
    """1 MiB pipes instead of 64 KiB: a proxied call that passes the digits (690 KB) then moves in one or two
    reads rather than eleven (the 150 steps of the digits trainer: 0.58 s before, 0.26 s after)."""
    for fd in fds:
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
        except OSError:  # above /proc/sys/fs/pipe-max-size for this user: keep the default
            pass


def _exit_reason(code: int) -> str:
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return f"killed by signal {name}, e.g. the memory or CPU limit"
    return f"exit code {code}: os._exit, sys.exit in a thread, or a crash"
