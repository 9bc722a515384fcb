"""How a class is graded: one frozen object, from the command line to the sandboxed worker.

:class:`GradingSettings` holds every choice an instructor can make about a grading run
(parallelism, where it runs, the sandbox's resource limits, the time limits, the seeds).
Its field defaults are the only defaults: the command line takes its options' defaults from
them. The object travels unchanged; where it crosses into nbgrader's configuration (which
holds plain values) it is written once as JSON (:meth:`GradingSettings.to_json`) and read
back as the same class (:meth:`GradingSettings.from_json`). Each layer reads the fields it
needs from it: the orchestration its ``jobs`` and ``cluster``, the session its time limits,
the sandbox its :class:`Limits`.

This module uses only the standard library: the sandbox's side imports it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["GradingSettings", "Limits", "MiB", "GiB", "CPU_MARGIN_SECONDS"]

MiB = 2**20
GiB = 2**30
#: CPU seconds a worker may use beyond the notebook's wall-clock limit before the kernel stops it (a backstop).
CPU_MARGIN_SECONDS = 300


@dataclass(frozen=True)
class Limits:
    """Resource limits for one sandboxed worker and every process it starts (set as rlimits and tmpfs sizes)."""

    memory_bytes: int = 2 * GiB  # RLIMIT_AS, per process
    processes: int = 64  # RLIMIT_NPROC: processes and threads of the sandbox uid
    cpu_seconds: int | None = None  # RLIMIT_CPU, a backstop; None: the notebook's time limit + CPU_MARGIN_SECONDS
    file_bytes: int = 64 * MiB  # RLIMIT_FSIZE: the largest file the worker may write
    open_files: int = 256  # RLIMIT_NOFILE
    scratch_bytes: int = 256 * MiB  # size of each tmpfs (/tmp, $HOME with the working directory)


@dataclass(frozen=True)
class GradingSettings:
    """Every setting of a grading run; the defaults are the course's (and the command line's)."""

    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)  # notebooks graded at once (local pool)
    force: bool = False  # grade again students already graded from the same submission
    sandbox: bool = True  # False: run submissions unconfined (trusted notebooks only)
    limits: Limits = field(default_factory=Limits)
    cell_timeout: float | None = None  # seconds per code cell; None: the course's ExecutePreprocessor.timeout
    call_timeout: float = 60  # seconds for one call of a student's function
    notebook_timeout: float = 600  # seconds for a whole notebook: its cells and every call
    restarts: int = 3  # how often a dead or hung worker is replaced before the rest of a notebook is given up
    uid_base: int = 61000  # as root, each sandbox runs as a free uid from this one up
    mpl_cache: str | None = None  # matplotlib's font cache, shown read-only inside (no font scan per worker)
    seed: int | None = None  # the base seed of every chosen student (replay); None: recorded or new
    new_seeds: bool = False  # draw new seeds even for students graded before
    cluster: str | None = None  # a Dask scheduler's address, or "local:N" (N local workers); None: the local pool

    @property
    def cpu_seconds(self) -> int:
        """The CPU-time limit of a worker: the limits' own, else the notebook's time limit plus a margin."""
        if self.limits.cpu_seconds is not None:
            return self.limits.cpu_seconds
        return int(self.notebook_timeout) + CPU_MARGIN_SECONDS

    def to_json(self) -> str:
        """The settings as JSON (every field; the limits nested)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> GradingSettings:
        """The settings :meth:`to_json` wrote; TypeError or ValueError if ``text`` is not such a record."""
        data: dict[str, Any] = json.loads(text)
        limits = Limits(**data.pop("limits"))
        return cls(limits=limits, **data)
