"""A tiny two-item assignment, so the grading pipeline can be tried (and tested) in seconds.

``relu`` (1 point) and ``mse_loss`` (2 points), each with an answer cell and a
test cell of visible tests. Its hidden checks (:data:`ASSIGNMENT`, below) run
in the trusted grader and compare the answers with the reference
implementation, as the real assignments' checks do.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dlfoundations import activations, losses
from dlfoundations.kit.compare import Case
from dlfcourse.grader.checks.common import Assignment, Item, Result, check_against_reference
from dlfcourse.grader.student import Student

__all__ = ["SAMPLE_ASSIGNMENT", "SAMPLE_NOTEBOOK", "SAMPLE_ITEMS", "ASSIGNMENT", "sample_notebook",
           "write_sample_course"]

SAMPLE_ASSIGNMENT = "00-sample"
SAMPLE_NOTEBOOK = "sample"
#: graded items (test cells): grade_id -> points
SAMPLE_ITEMS = {"relu-test": 1.0, "mse-test": 2.0}

_RELU = '''def relu(z):
    """Elementwise max(0, z)."""
    ### BEGIN SOLUTION
    return np.maximum(z, 0.0)
    ### END SOLUTION'''

_RELU_TEST = '''assert relu(np.zeros((2, 3))).shape == (2, 3), "relu must keep the shape of its input"'''

_MSE = '''def mse_loss(predictions, targets):
    """(1/2N) sum ||p_i - t_i||^2 and its gradient (p - t)/N."""
    ### BEGIN SOLUTION
    n = predictions.shape[0]
    diff = predictions - targets
    return 0.5 * np.sum(diff**2) / n, diff / n
    ### END SOLUTION'''

_MSE_TEST = '''loss, grad = mse_loss(np.array([1.0, 3.0]), np.array([0.0, 1.0]))
assert np.shape(grad) == (2,), "the gradient must have the shape of the predictions"'''


def _check_relu(student: Student, rng: np.random.Generator) -> Result:
    cases = [Case("on a random (4, 3) array", (rng.normal(size=(4, 3)),))]
    return check_against_reference(student, "relu", activations.relu, cases, ("relu(z)",))


def _check_mse(student: Student, rng: np.random.Generator) -> Result:
    cases = [Case("on a random batch of 5", (rng.normal(size=(5, 2)), rng.normal(size=(5, 2))), batch_size=5)]
    return check_against_reference(student, "mse_loss", losses.mse_loss, cases, ("loss", "dpredictions"))


#: The sample's hidden checks (found by the grader under the assignment's name).
ASSIGNMENT = Assignment(SAMPLE_ASSIGNMENT, (Item("relu-test", ("relu",), _check_relu),
                                            Item("mse-test", ("mse_loss",), _check_mse)))


def _meta(grade_id: str, *, solution: bool = False, points: float | None = None) -> dict:
    meta = {"grade": points is not None, "solution": solution, "locked": not solution,
            "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def sample_notebook() -> nbformat.NotebookNode:
    """The source notebook of the sample assignment, with solutions and hidden tests."""
    cells = [
        new_markdown_cell("# Sample assignment\nImplement `relu` and `mse_loss` with numpy.",
                          metadata=_meta("intro")),
        new_code_cell("import numpy as np", metadata=_meta("imports")),
        new_code_cell(_RELU, metadata=_meta("relu-answer", solution=True)),
        new_code_cell(_RELU_TEST, metadata=_meta("relu-test", points=SAMPLE_ITEMS["relu-test"])),
        new_code_cell(_MSE, metadata=_meta("mse-answer", solution=True)),
        new_code_cell(_MSE_TEST, metadata=_meta("mse-test", points=SAMPLE_ITEMS["mse-test"])),
    ]
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return new_notebook(cells=cells, metadata={"kernelspec": kernelspec, "language_info": {"name": "python"}})


_CONFIG = '''c = get_config()  # noqa: F821
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.course_id = "dlfoundations-demo"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}
c.ExecutePreprocessor.timeout = 60
'''


def write_sample_course(root: Path) -> Path:
    """Create a course directory at ``root`` with the sample assignment's source; return the notebook path."""
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "nbgrader_config.py").exists():
        (root / "nbgrader_config.py").write_text(_CONFIG)
    path = root / "solutions" / SAMPLE_ASSIGNMENT / f"{SAMPLE_NOTEBOOK}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(sample_notebook(), path)
    return path
