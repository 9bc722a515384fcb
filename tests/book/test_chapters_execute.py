"""Every chapter runs top to bottom in a fresh kernel, as a student opening it would run it."""

from __future__ import annotations

import jupytext
import pytest
from nbclient import NotebookClient

from conftest import CHAPTERS, REPO

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_executes_without_errors(chapter):
    notebook = jupytext.read(REPO / "book" / f"{chapter}.md")
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO / "book")}})
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), f"{chapter} should draw at least one figure"
