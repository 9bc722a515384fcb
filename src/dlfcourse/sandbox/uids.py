"""Sandbox user ids that no two graders on one machine hold at once.

Each sandboxed worker runs as its own unprivileged uid: the process limit
counts per uid, and a worker's clean-up kills every process of its uid. Two
graders sharing a uid (two Dask workers on one node, two courses graded at the
same time) would count and kill each other's processes. :func:`claim_uid`
hands out ``base + i`` under an exclusive ``flock`` on a file per uid, held
while grading; the kernel releases it when the process ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["claim_uid", "UID_RANGE"]

#: How many uids above the base a machine may hand out.
UID_RANGE = 256


def _lock_folder() -> Path:
    folder = Path(tempfile.gettempdir()) / "dlf-course-uids"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@contextmanager
def claim_uid(base: int, preferred: int = 0) -> Iterator[int]:
    """Hold the first free uid of ``base + preferred, base, base + 1, ...`` for the duration of the block."""
    folder = _lock_folder()
    for offset in [preferred] + [i for i in range(UID_RANGE) if i != preferred]:
        descriptor = os.open(folder / f"{base + offset}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        try:
            yield base + offset
        finally:
            os.close(descriptor)
        return
    raise RuntimeError(f"all {UID_RANGE} sandbox uids from {base} are in use on this machine")
