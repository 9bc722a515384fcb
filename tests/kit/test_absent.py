"""The visible tests fail the way the grader will when an answer leans on the reference (issue 18).

When graded, only numpy, matplotlib and the kit exist: an answer that imports
``dlfoundations.losses`` (or any module outside the kit) loses its item there.
Here the instructor notebook 04-softmax runs as a notebook does (each cell in one
``__main__`` namespace), once as written and once with answers that lean on the
reference: the visible test under such an answer must fail, naming the module.
"""

from __future__ import annotations

import linecache

import matplotlib
import nbformat
import pytest

from conftest import REPO
from dlfoundations.kit.testing import CheckFailure

matplotlib.use("Agg")

NOTEBOOK = REPO / "solutions" / "04-softmax" / "04-softmax.ipynb"


def _cells() -> list[tuple[str | None, str]]:
    """(grade id or None, source) of every code cell, the solution markers taken out."""
    cells = []
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type == "code":
            lines = [line for line in cell.source.splitlines() if "### BEGIN SOLUTION" not in line
                     and "### END SOLUTION" not in line]
            cells.append((cell.metadata.get("nbgrader", {}).get("grade_id"), "\n".join(lines)))
    return cells


def run_cell(source: str, name: str, namespace: dict) -> None:
    """Run one cell as IPython does: compiled under its own file name, its source kept in linecache."""
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    exec(compile(source, name, "exec"), namespace)  # noqa: S102


def run_notebook(answers: dict[str, str], until: str, extra: dict[str, str] | None = None) -> None:
    """Run the notebook's code cells in order, with ``answers`` in place of those answer cells and the cells
    ``extra[grade_id]`` inserted after those, up to and including the test cell ``until``; a cell's
    exception propagates (a visible test that fails raises CheckFailure), and a notebook without the cell
    ``until`` fails: the test it should have run did not run."""
    namespace = {"__name__": "__main__"}
    for number, (grade_id, source) in enumerate(_cells()):
        run_cell(answers.get(grade_id, source), f"<cell {number}>", namespace)
        if grade_id in (extra or {}):
            run_cell(extra[grade_id], f"<cell {number}b>", namespace)
        if grade_id == until:
            return
    raise AssertionError(f"the notebook has no cell {until!r}")


def test_the_instructors_answers_pass_every_visible_test():
    run_notebook({}, until="digits-test")


ABSENT = "when graded, `{module}` is not available"


@pytest.mark.parametrize("answer, imports, code, words", [
    ("from dlfoundations.losses import cross_entropy", None, "missing", "write `cross_entropy` yourself"),
    ("import dlfoundations.losses as L\ncross_entropy = L.cross_entropy", None, "missing",
     "`cross_entropy` comes from"),
    ("from dlfoundations import losses\ndef cross_entropy(scores, y):\n    return losses.cross_entropy(scores, y)",
     None, "missing", "the cell that defines `cross_entropy` first imports"),
    ("def cross_entropy(scores, y):\n    return losses.cross_entropy(scores, y)", "from dlfoundations import losses",
     "raised-error", "your `cross_entropy` uses `losses`"),
    ("def cross_entropy(scores, y):\n    from dlfoundations.losses import cross_entropy as ce\n"
     "    return ce(scores, y)", None, "raised-error", "your `cross_entropy` imports"),
    ("def cross_entropy(scores, y):\n    return dlfoundations.losses.cross_entropy(scores, y)",
     "import dlfoundations.losses", "raised-error", "your `cross_entropy` uses"),
    ("def _probabilities(Z):\n    return reference_softmax(Z)\n"
     "def cross_entropy(scores, y):\n    P = _probabilities(scores)\n    n = len(y)\n"
     "    loss = -np.mean(np.log(P[np.arange(n), y]))\n    P[np.arange(n), y] -= 1\n    return float(loss), P / n",
     "from dlfoundations.losses import softmax as reference_softmax",
     "raised-error", "your `_probabilities` calls `reference_softmax`"),
])
def test_an_answer_that_leans_on_the_reference_fails_its_visible_test(answer, imports, code, words):
    """``imports``: a cell of its own, after the answer cell, that imports the reference."""
    with pytest.raises(CheckFailure) as failure:
        run_notebook({"ce-answer": answer}, until="ce-test", extra={"ce-answer": imports} if imports else None)
    assert failure.value.code == code, failure.value.message
    assert ABSENT.format(module="dlfoundations.losses") in failure.value.message
    assert words in failure.value.message


def test_a_trainer_that_calls_a_reference_function_fails_its_visible_test():
    answer = ("def train_softmax_regression(X, y, num_classes, lr, steps):\n"
              "    fit = fit_softmax_regression(X, y, num_classes, lr=lr, epochs=steps)\n"
              "    return fit.W, fit.b, fit.losses")
    with pytest.raises(CheckFailure) as failure:
        run_notebook({"trainer-answer": answer, "digits-answer": "digits_losses, digits_test_accuracy = [], 0.0"},
                     until="digits-test",
                     extra={"trainer-answer": "from dlfoundations.linear import fit_softmax_regression"})
    assert failure.value.code == "raised-error"
    assert "calls `fit_softmax_regression`, which comes from `dlfoundations.linear" in failure.value.message


@pytest.mark.parametrize("test_cell", [
    "check_result(predict(X), np.zeros(2), ['p'], Case('on X'))",
    "check_at_least(float(np.mean(predict(X) == 0)), 0.5, 'accuracy')",
])
def test_every_helper_reads_the_test_cell_not_only_call_student(test_cell):
    """A test cell that calls the function itself and hands the value to check_result or check_at_least."""
    namespace = {"__name__": "__main__"}
    cells = ["import numpy as np\nfrom dlfoundations.kit.testing import Case, check_at_least, check_result",
             "from dlfoundations import mlp",
             "X = np.zeros((2, 3))\ndef predict(X):\n    return np.zeros(len(X)) if mlp else None", test_cell]
    with pytest.raises(CheckFailure) as failure:
        for number, source in enumerate(cells):
            run_cell(source, f"<helper cell {number}>", namespace)
    assert failure.value.code == "raised-error"
    assert "your `predict` uses `mlp`" in failure.value.message and "`dlfoundations.mlp`" in failure.value.message


def test_the_kit_itself_and_a_reference_module_in_a_cell_of_its_own_are_fine():
    """When graded, a cell that only imports the reference fails alone: the functions are defined elsewhere."""
    scratch = "from dlfoundations import kit\nfrom dlfoundations.kit import gradcheck\nimport dlfoundations.losses"
    run_notebook({}, until="regression-test", extra={"ce-answer": scratch})


def test_an_answer_cell_that_imports_the_reference_before_its_def_fails():
    """When graded, that cell stops at the import and the function after it is never defined."""
    answer = next(source for grade_id, source in _cells() if grade_id == "ce-answer")
    with pytest.raises(CheckFailure) as failure:
        run_notebook({"ce-answer": "import dlfoundations.losses  # to compare\n" + answer}, until="ce-test")
    assert failure.value.code == "missing"
    assert failure.value.message.startswith("the cell that defines `cross_entropy` first imports "
                                            "`dlfoundations.losses`, but when graded, `dlfoundations.losses` is not")
    after = answer + "\nimport dlfoundations.losses  # after the def: the function is defined when graded"
    run_notebook({"ce-answer": after}, until="ce-test")
