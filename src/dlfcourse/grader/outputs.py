"""What of a notebook's own output the graded notebook keeps: a budget the grader's side enforces.

The worker caps what a cell prints, but the notebook's code shares the worker's
process and can write its own reply on the channel, so nothing relies on that.
Here every cell's outputs are rebuilt from the reply under an
:class:`OutputBudget` per notebook (characters of text, PNG bytes, figures,
traceback lines); what does not fit is dropped and a line says so. A figure
must be a PNG in base64: anything else is not an image and is dropped.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from nbformat import NotebookNode

from dlfcourse.grader.boundary import clipped
from dlfcourse.sandbox.session import CellRun

__all__ = ["OutputBudget", "OutputKeeper"]

_PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class OutputBudget:
    """How much of a notebook's own output the graded notebook keeps (a few MB in all)."""

    text_per_cell: int = 100_000  # characters of stdout and stderr of one cell
    text_per_notebook: int = 1_000_000
    figures_per_cell: int = 4
    image_bytes_per_notebook: int = 3 * 2**20  # base64 characters of every figure together
    traceback_lines: int = 12
    line_characters: int = 500


@dataclass
class OutputKeeper:
    """Turns each cell's run into notebook outputs, spending one notebook's :class:`OutputBudget`."""

    budget: OutputBudget = field(default_factory=OutputBudget)
    text_left: int = -1
    image_left: int = -1
    dropped_text: int = 0
    dropped_figures: int = 0

    def __post_init__(self) -> None:
        self.text_left = self.budget.text_per_notebook
        self.image_left = self.budget.image_bytes_per_notebook

    def outputs(self, run: CellRun) -> list[NotebookNode]:
        """The outputs of one cell: its streams, figures and error, within what is left of the budget."""
        outputs = [self._stream(name, text) for name, text in (("stdout", run.stdout), ("stderr", run.stderr))
                   if text]
        outputs += self._figures(run.figures)
        if run.error:
            outputs.append(self._error(run.error))
        if run.stopped:
            stopped = clipped(run.stopped, self.budget.line_characters)
            outputs.append(NotebookNode(output_type="error", ename="Stopped", evalue=stopped,
                                        traceback=[f"Stopped: {stopped}"]))
        return outputs

    def _stream(self, name: str, text: str) -> NotebookNode:
        keep = max(0, min(len(text), self.budget.text_per_cell, self.text_left))
        self.text_left -= keep
        if keep < len(text):
            self.dropped_text += len(text) - keep
            text = text[:keep] + (f"\n[… {len(text) - keep:,} more characters of output were dropped: the grader "
                                  f"keeps {self.budget.text_per_cell:,} per cell and "
                                  f"{self.budget.text_per_notebook:,} per notebook]\n")
        return NotebookNode(output_type="stream", name=name, text=text)

    def _figures(self, figures: list[str]) -> list[NotebookNode]:
        kept: list[NotebookNode] = []
        for image in figures:
            if len(kept) < self.budget.figures_per_cell and len(image) <= self.image_left and _is_png(image):
                self.image_left -= len(image)
                kept.append(NotebookNode(output_type="display_data", metadata={}, data={"image/png": image}))
        dropped = len(figures) - len(kept)
        if dropped:
            self.dropped_figures += dropped
            kept.append(NotebookNode(output_type="stream", name="stderr", text=(
                f"[{dropped:,} figure(s) were dropped: the grader keeps {self.budget.figures_per_cell} PNG figures "
                "per cell, and a few MB of images per notebook]\n")))
        return kept

    def _error(self, error: dict) -> NotebookNode:
        limit = self.budget.line_characters
        ename = clipped(error.get("ename", "Error"), 80) or "Error"
        evalue = clipped(error.get("evalue", ""), 4 * limit)
        traceback = error.get("traceback")
        raw = traceback if isinstance(traceback, list) else []
        lines = [clipped(line, limit) for line in raw[-self.budget.traceback_lines:]]
        return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=lines + [f"{ename}: {evalue}"])

    def note(self) -> str | None:
        """One sentence on what was dropped in the whole notebook, or None if everything was kept."""
        if not self.dropped_text and not self.dropped_figures:
            return None
        return (f"The grader dropped {self.dropped_text:,} characters of printed output and {self.dropped_figures:,} "
                "figure(s) from this notebook (it keeps a few MB of output per notebook).")


def _is_png(image: str) -> bool:
    """True when ``image`` is base64 text of a PNG file."""
    try:
        return base64.b64decode(image[:16], validate=True).startswith(_PNG) and \
            len(base64.b64decode(image, validate=True)) > len(_PNG)
    except (binascii.Error, ValueError):
        return False
