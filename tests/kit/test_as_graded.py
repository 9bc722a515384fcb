"""``python -m dlfoundations.kit.as_graded``: a student checks a notebook as it will be graded, without nbgrader
(issue 18).

The check runs every cell from the top in a fresh kernel with the grader's time
limits and without the reference implementation (and without the kit modules an
assignment withholds), then names each item by its heading and function.
"""

from __future__ import annotations

import copy
import subprocess
import sys

import nbformat
import pytest

from conftest import ASSIGNMENTS, REPO
from dlfoundations.kit import as_graded

pytestmark = pytest.mark.slow  # each check starts a kernel


def _notebook(assignment: str, answers: dict[str, str] | None = None):
    nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in (answers or {}):
            cell.source = answers[grade_id]
    return nb


def test_the_limits_are_the_graders():
    """The check's time limits and withheld modules are those the course grades with."""
    from dlfcourse.autograde.command import course_settings
    from dlfcourse.course import Course
    from dlfcourse.grader import checks
    from dlfcourse.settings import GradingSettings

    graded_with = course_settings(Course(REPO), GradingSettings())  # autograde's defaults, on this course
    assert as_graded.CELL_SECONDS == graded_with.cell_timeout == Course(REPO).config().ExecutePreprocessor.timeout
    assert as_graded.NOTEBOOK_SECONDS == graded_with.notebook_timeout
    for assignment in ASSIGNMENTS:
        for tree in ("solutions", "exercises"):
            nb = nbformat.read(REPO / tree / assignment / f"{assignment}.ipynb", as_version=4)
            declared = nb.metadata.get("dlfoundations", {}).get("withheld_kit", [])
            assert tuple(declared) == checks.find(assignment).withheld_kit, (tree, assignment)


def test_a_correct_notebook_passes_and_an_imported_answer_fails_as_when_graded(tmp_path):
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    nbformat.write(_notebook("04-softmax"), good)
    nbformat.write(_notebook("04-softmax", {
        "ce-answer": "from dlfoundations.losses import cross_entropy",
        "hinge-answer": "def multiclass_hinge(scores, y):\n    Z = np.asarray(scores)\n    return Z[10 ** 6], Z",
    }), bad)
    before = bad.read_bytes()
    result = subprocess.run([sys.executable, "-m", "dlfoundations.kit.as_graded", str(good), str(bad)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    good_part, bad_part = out.split("Checking ")[1], out.split("Checking ")[2]
    assert "6 of 6 item(s) pass their visible tests" in good_part and "FAIL" not in good_part
    assert "ok   1. A stable softmax (`softmax`): visible tests passed" in bad_part
    assert ("FAIL 3. Cross-entropy from logits, and its gradient (`cross_entropy`): NameError: name 'cross_entropy' "
            "is not defined") in bad_part
    assert ("FAIL in your answer to *3. Cross-entropy from logits, and its gradient*, line 1: your notebook imports "
            "`dlfoundations.losses`, which is not available when graded") in bad_part
    assert "FAIL 5. The multiclass hinge (SVM) loss (`multiclass_hinge`): CheckFailure: [raised-error]" in bad_part
    assert "(in `multiclass_hinge`, line 3)" in bad_part
    assert "2 of 6 item(s) pass" in bad_part, "items 4 and 6 call the missing cross_entropy, 5 raises"
    assert bad.read_bytes() == before, "the student's file is not changed"


def test_a_kit_module_the_assignment_withholds_is_absent_but_the_kit_may_use_it(tmp_path):
    """02-gradient-descent withholds kit.gradcheck: an answer that imports it fails; the visible tests' own
    gradient checks (kit code) still work."""
    path = tmp_path / "02.ipynb"
    nbformat.write(_notebook("02-gradient-descent", {
        "numerical_gradient-answer": "from dlfoundations.kit.gradcheck import numerical_gradient"}), path)
    report = as_graded.check_notebook(path)
    failed = {item.title: item.problem for item in report.items if item.passed is False}
    assert list(failed) == ["3. A numerical gradient"], failed
    assert "its cell imports `dlfoundations.kit.gradcheck`, which this assignment leaves out" in failed[
        "3. A numerical gradient"]


def test_a_cell_over_the_time_limit_is_stopped_and_named(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## 1. Slow (1 point)"),
        nbformat.v4.new_code_cell("import time\ndef slow():\n    time.sleep(30)",
                                  metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "a"}}),
        nbformat.v4.new_code_cell("slow()\nprint('done')", metadata={
            "nbgrader": {"solution": False, "grade": True, "grade_id": "t", "points": 1}}),
    ])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "slow.ipynb"
    nbformat.write(nb, path)
    report = as_graded.check_notebook(path, cell_seconds=3)
    assert [(i.title, i.functions, i.passed) for i in report.items] == [("1. Slow", ["slow"], False)]
    assert report.stopped == ["the test cell of *1. Slow* was stopped after 3 s, the time limit per cell when graded."]
    assert not report.ok and report.seconds < 20
