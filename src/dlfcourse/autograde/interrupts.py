"""Ctrl-C and SIGTERM during grading, acted on only where stopping is safe.

A ``KeyboardInterrupt`` raised by Python's default handler can land anywhere in
the instructor's process: inside ``fork``'s at-fork hooks (where Python prints
"Exception ignored" and the interrupt is lost), or half-way through writing a
student's results. Inside :func:`deferred_interrupts` the signal only marks a
stop; the grading loop calls the returned ``checkpoint`` between students, and
that raises the ``KeyboardInterrupt`` there.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["deferred_interrupts"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def deferred_interrupts() -> Iterator[Callable[[], None]]:
    """Within the block, SIGINT/SIGTERM set a flag; the yielded ``checkpoint()`` raises KeyboardInterrupt if set.

    Outside the main thread (where signals cannot be caught) the checkpoint does nothing.
    """
    stopped: list[int] = []

    def note(signum: int, frame: object) -> None:
        stopped.append(signum)

    def checkpoint() -> None:
        if stopped:
            raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield checkpoint
        return
    previous = {s: signal.signal(s, note) for s in _SIGNALS}
    try:
        yield checkpoint
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
