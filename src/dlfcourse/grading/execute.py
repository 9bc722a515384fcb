"""nbgrader's Execute preprocessor with a notebook time limit, output cap and kernel-death handling.

nbgrader's own ``Execute`` stops the whole student at the first dead or
unresponsive kernel: the submission gets no autograded notebook and no score
at all, not even for the cells that passed before. Here a cell that kills the
kernel (``os._exit``, a crash) or hangs it gets an error output, every later
cell gets a "not run" error, and the notebook is scored normally: the student
keeps the credit for what ran.

Limits, on top of nbgrader's per-cell ``timeout``:

* ``notebook_timeout`` — wall-clock seconds for the whole notebook; a cell
  never gets more than what is left, and cells after the limit are not run;
* ``max_output_bytes`` — output kept per cell; more is dropped with a note.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer

from dlfcourse.grading.diagnoses import KERNEL_DIED, NOT_RUN, NOTEBOOK_TIME_LIMIT, PROTOCOL_ERROR, UNRESPONSIVE
from dlfcourse.grading.kernelspec import SandboxKernelManager

__all__ = ["SandboxedExecute", "error_output"]


def error_output(ename: str, evalue: str) -> NotebookNode:
    """An nbformat error output whose traceback is the single line ``ename: evalue``."""
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class SandboxedExecute(Execute):
    """Execute a submission cell by cell; survive dead and hung kernels; enforce a notebook time limit."""

    notebook_timeout = Integer(600, help="Wall-clock limit in seconds for the whole notebook.").tag(config=True)
    max_output_bytes = Integer(1_000_000, help="Output kept per cell, in bytes.").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        kwargs.setdefault("shutdown_kernel", "immediate")
        super().__init__(**kwargs)
        self._deadline = monotonic() + self.notebook_timeout
        self._output_bytes: dict[int, int] = {}

    def _cell_timeout(self, cell: NotebookNode) -> int:
        """The per-cell timeout, but never beyond the notebook's deadline (at least 1 s)."""
        left = int(self._deadline - monotonic()) + 1
        return max(1, min(self.timeout or left, left))

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None) -> tuple[NotebookNode, Any]:
        """Run every code cell under the limits; never raise for what the student's code does."""
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self._deadline = monotonic() + self.notebook_timeout
        self._output_bytes = {}
        self.timeout_func = self._cell_timeout
        with self.setup_kernel():
            assert self.kc is not None
            info = self.wait_for_reply(self.kc.kernel_info())
            if info is None:
                raise DeadKernelError("the grading kernel did not start")
            self.nb.metadata["language_info"] = info["content"]["language_info"]
            stopped: str | None = None
            for index, cell in enumerate(self.nb.cells):
                stopped = self._run_cell(cell, resources, index, stopped)
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _run_cell(self, cell: NotebookNode, resources: Any, index: int, stopped: str | None) -> str | None:
        """Run one cell unless execution stopped; return why execution stops from now on (or None)."""
        if cell.cell_type != "code" or not cell.source.strip():
            return stopped
        if stopped is None and monotonic() >= self._deadline:
            stopped = f"the notebook's time limit of {self.notebook_timeout} s was reached before this cell"
        if stopped is not None:
            cell.outputs = [error_output(NOT_RUN, f"This cell was not run: {stopped}.")]
            return stopped
        try:
            self.preprocess_cell(cell, resources, index)
        except DeadKernelError:
            cell.outputs.append(error_output(KERNEL_DIED, "The notebook's process ended while running this cell "
                                             "(os._exit, a crash, or the memory limit); later cells were not run."))
            return "the kernel died in an earlier cell"
        except CellTimeoutError:
            cell.outputs.append(error_output(UNRESPONSIVE, "The cell did not stop when interrupted after its time "
                                             "limit; the kernel was stopped and later cells were not run."))
            self._kill_kernel()
            return "the kernel stopped responding in an earlier cell"
        except Exception as error:  # garbled messages (forked copies of the kernel writing on its sockets), ...
            cell.outputs.append(error_output(PROTOCOL_ERROR, f"The grader could not follow the kernel while it ran "
                                             f"this cell ({type(error).__name__}); the kernel was stopped and later "
                                             "cells were not run."))
            self._kill_kernel()
            return "the grader lost track of the kernel in an earlier cell"
        if monotonic() >= self._deadline and any(o.get("ename") == "CellTimeoutError" for o in cell.outputs):
            cell.outputs.append(error_output(NOTEBOOK_TIME_LIMIT, f"The notebook's time limit of "
                                             f"{self.notebook_timeout} s was reached during this cell."))
        return None

    def _kill_kernel(self) -> None:
        if self.km is not None:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception as error:  # already gone, or its process cannot be signalled: nothing left to stop
                self.log.warning("could not stop the kernel: %s", error)

    def output(self, outs: list[NotebookNode], msg: dict, display_id: str | None, cell_index: int) -> Any:
        """Keep at most ``max_output_bytes`` of output per cell; note once that the rest was dropped."""
        size = len(str(msg.get("content", "")))
        used = self._output_bytes.get(cell_index, 0)
        self._output_bytes[cell_index] = used + size
        if used + size <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if used <= self.max_output_bytes:
            outs.append(NotebookNode(output_type="stream", name="stdout",
                                     text=f"\n[output cut by the grader after {self.max_output_bytes} bytes]\n"))
        return None
