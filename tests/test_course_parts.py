"""The small pieces of the instructor tools: synthetic answers, diagnoses, feedback redaction, CSV, options."""

from __future__ import annotations

import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output

from dlfcourse import attacks
from dlfcourse.cli import main
from dlfcourse.grading.diagnoses import Diagnosis, diagnose_cell
from dlfcourse.outputs.export import GradeTable, write_csv
from dlfcourse.outputs.feedback import RedactTestTracebacks, find_leaks
from dlfcourse.demo.sample import sample_notebook
from dlfcourse.demo.synthetic import negate_returns, solutions_of


def error(ename: str, evalue: str, traceback: list[str] | None = None) -> NotebookNode:
    return new_output("error", ename=ename, evalue=evalue, traceback=traceback or [])


def test_solutions_keep_the_code_and_drop_the_markers():
    solutions = solutions_of(sample_notebook())
    assert list(solutions) == ["relu-answer", "mse-answer"]
    assert "return np.maximum(z, 0.0)" in solutions["relu-answer"]
    assert "### BEGIN SOLUTION" not in solutions["relu-answer"]


def test_negate_returns_flips_every_returned_value():
    namespace: dict = {}
    exec(negate_returns("def f(x):\n    if x > 0:\n        return x, 2 * x\n    return x"), namespace)
    assert namespace["f"](3) == (-3, -6) and namespace["f"](-1) == 1


def test_attacks_go_where_the_table_says():
    answers = {"first": "A", "last": "B"}
    targets = attacks.Targets(gradebook=__import__("pathlib").Path("/course/gradebook.db"))
    assert attacks.place_attack("loop", answers, targets)["first"].startswith("while True:")
    assert attacks.place_attack("exit", answers, targets)["last"].startswith("import os\nos._exit(0)")
    assert attacks.place_attack("numpy", answers, targets)["last"].startswith("B\n")
    assert "/course/gradebook.db" in attacks.place_attack("tamper", answers, targets)["first"]
    with pytest.raises(ValueError, match="unknown attack 'nope'"):
        attacks.attack_code("nope", targets)


@pytest.mark.parametrize("outputs, expected", [
    ([], None),
    ([error("GradingFailure", "[forgot-mean] off by a factor 4")], Diagnosis("forgot-mean", "off by a factor 4")),
    ([error("KernelDied", "...")], Diagnosis("kernel-died", "the notebook's process ended (os._exit, a crash or "
                                                            "the memory limit)")),
    ([error("NameError", "name 'f' is not defined")], Diagnosis("not-defined", "name 'f' is not defined")),
    ([error("AssertionError", "")], Diagnosis("assertion", "a test's assertion failed")),
    ([error("ZeroDivisionError", "division by zero")],
     Diagnosis("raised-error", "ZeroDivisionError: division by zero")),
    ([new_output("stream", name="stderr", text="warning")], Diagnosis("stderr", "the cell wrote to stderr, which "
                                                                               "nbgrader counts as a failure")),
])
def test_diagnose_cell(outputs: list, expected: Diagnosis | None):
    assert diagnose_cell(new_code_cell("x", outputs=outputs)) == expected


def test_test_cell_tracebacks_become_one_line():
    meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}}
    traceback = ["----> 3 assert secret_hidden_check(x)", "AssertionError: "]
    cell = new_code_cell("assert f(1) == 1", metadata=meta, outputs=[error("AssertionError", "", traceback)])
    answer = new_code_cell("f()", outputs=[error("TypeError", "bad", traceback)])
    RedactTestTracebacks().preprocess_cell(cell, {}, 0)
    RedactTestTracebacks().preprocess_cell(answer, {}, 1)
    assert cell.outputs[0].traceback == ["AssertionError: "]
    assert answer.outputs[0].traceback == traceback  # the student's own code keeps its traceback


def test_find_leaks_sees_code_through_html_markup():
    page = '<pre><span class="n">check</span><span class="p">(</span>f, &quot;x&quot;)</pre>'
    assert find_leaks(page, {'check(f, "x")', "other line"}) == ['check(f, "x")']


def test_csv_has_a_column_per_item_and_empty_cells_for_missing_scores():
    table = GradeTable(items=["q1", "q2"], max_points={"q1": 1.0, "q2": 2.0},
                       scores={"ann": {"q1": 1.0, "q2": 0.5}, "bob": {"q1": None, "q2": None}},
                       penalties={"ann": 0.5})
    assert write_csv(table).splitlines() == [
        "student,q1,q2,late_penalty,total,max_score",
        "ann,1,0.5,0.5,1,3",
        "bob,,,0,0,3",
    ]


@pytest.mark.parametrize("argv, message", [
    (["collect", "a", "x.zip", "--pattern", "("], "not a regular expression"),
    (["collect", "a", "x.zip", "--pattern", "(?P<name>x)"], "needs a group named student"),
    (["autograde", "a", "--jobs", "0"], "must be a positive integer"),
])
def test_bad_options_are_refused(argv: list[str], message: str, capsys: pytest.CaptureFixture):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2 and message in capsys.readouterr().err
