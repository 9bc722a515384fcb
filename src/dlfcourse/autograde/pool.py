"""Run tasks in forked worker processes, a few at a time, each with a hard time limit.

One process per task: a task that crashes or hangs its process takes nothing
else with it, and the process can be killed outright when it overruns. Forking
(rather than spawning) shares the already imported nbgrader with the children,
which saves seconds per task; a child dies with its parent. Each running task
holds a *slot* number (0 .. jobs-1) that no other running task holds: the grader
asks for the sandbox uid of its slot first (:mod:`dlfcourse.sandbox.uids`).
"""

from __future__ import annotations

import ctypes
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe, wait
from typing import Any

__all__ = ["TaskResult", "run_tasks"]

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class TaskResult:
    """What became of one task: its key, the value it returned (None if it failed), and an error message."""

    key: str
    value: Any
    error: str | None
    seconds: float


@dataclass
class _Running:
    pid: int
    exited: int  # a pidfd: readable once the process has ended
    receiver: Connection
    started: float
    slot: int
    outcome: tuple[Any, str | None] | None = None
    exitcode: int | None = None

    def collect(self) -> None:
        """Read the task's (value, error) if it has been sent (a large result must be read before the join)."""
        if self.outcome is None and self.receiver.poll():
            try:
                self.outcome = self.receiver.recv()
            except EOFError:
                pass

    def reap(self, block: bool = False) -> None:
        """Note the exit code if the process has ended (``block``: wait for it)."""
        if self.exitcode is None:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            if pid:
                self.exitcode = os.waitstatus_to_exitcode(status)

    @property
    def done(self) -> bool:
        self.reap()
        return self.outcome is not None or self.exitcode is not None

    def close(self) -> None:
        self.reap(block=True)
        self.receiver.close()
        os.close(self.exited)


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (a grader whose Dask worker was killed)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent's cleanup still kills it
        pass


def _child(function: Callable[[str, int], Any], key: str, slot: int, sender: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    try:
        sender.send((function(key, slot), None))
    except BaseException as error:  # noqa: BLE001 - report anything, never hang the parent
        sender.send((None, f"{type(error).__name__}: {error}"))


def _start(function: Callable[[str, int], Any], key: str, slot: int) -> _Running:
    """Fork a process that runs ``function(key, slot)`` and sends back its result.

    A plain ``os.fork`` (not ``multiprocessing.Process``): a Dask worker is a
    daemonic process, which multiprocessing forbids to have children.
    """
    receiver, sender = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:
        try:
            receiver.close()
            _child(function, key, slot, sender)
        finally:
            os._exit(0)
    sender.close()
    return _Running(pid, os.pidfd_open(pid), receiver, time.monotonic(), slot)


def _finish(key: str, task: _Running, time_limit: float | None) -> TaskResult:
    """The result of a finished task; an overrunning one (``time_limit`` given) is killed first."""
    if time_limit is not None:
        os.kill(task.pid, signal.SIGKILL)
    else:
        task.collect()
    task.close()
    seconds = time.monotonic() - task.started
    if time_limit is not None:
        return TaskResult(key, None, f"stopped after {time_limit:.0f} s, the hard time limit", seconds)
    if task.outcome is None:
        return TaskResult(key, None, f"the worker process ended without a result (exit code {task.exitcode})",
                          seconds)
    return TaskResult(key, task.outcome[0], task.outcome[1], seconds)


def run_tasks(
    function: Callable[[str, int], Any], keys: Iterable[str], jobs: int, time_limit: float,
    checkpoint: Callable[[], None] = lambda: None,
) -> Iterator[TaskResult]:
    """Run ``function(key, slot)`` for every key, ``jobs`` at a time; yield results as tasks finish.

    A task running longer than ``time_limit`` seconds is killed and reported as
    failed. ``checkpoint()`` is called between waits; if it raises (a deferred
    Ctrl-C) or the caller stops early, the running tasks are killed.
    """
    queue: deque[str] = deque(keys)
    running: dict[str, _Running] = {}
    free = list(range(max(1, jobs)))
    try:
        while queue or running:
            checkpoint()
            while queue and free:
                key = queue.popleft()
                running[key] = _start(function, key, free.pop(0))
            wait([r.exited for r in running.values()] + [r.receiver for r in running.values()], timeout=0.5)
            now = time.monotonic()
            for key, task in list(running.items()):
                task.collect()
                overran = not task.done and now - task.started > time_limit
                if task.done or overran:
                    del running[key]
                    free.append(task.slot)
                    yield _finish(key, task, time_limit if overran else None)
    finally:
        for task in running.values():
            if task.exitcode is None:
                os.kill(task.pid, signal.SIGKILL)
            task.close()
