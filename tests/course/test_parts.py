"""The small pieces of the instructor tools: synthetic answers, feedback redaction, CSV, options.

(What the grader diagnoses is tested with the grader, in the grading tests.)"""

from __future__ import annotations

import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output

from dlfcourse.demo import attacks
from dlfcourse.cli import main
from dlfcourse.outputs.export import GradeTable, write_csv
from dlfcourse.outputs.feedback import RedactTestTracebacks, find_leaks
from dlfcourse.demo.sample import sample_notebook
from dlfcourse.demo.synthetic import make_class, negate_returns, solutions_of


def error(ename: str, evalue: str, traceback: list[str] | None = None) -> NotebookNode:
    return new_output("error", ename=ename, evalue=evalue, traceback=traceback or [])


def test_solutions_keep_the_code_and_drop_the_markers():
    solutions = solutions_of(sample_notebook())
    assert list(solutions) == ["relu-answer", "mse-answer"]
    assert "return np.maximum(z, 0.0)" in solutions["relu-answer"]
    assert "### BEGIN SOLUTION" not in solutions["relu-answer"]


def test_negate_returns_flips_every_returned_value():
    namespace: dict = {}
    exec(negate_returns("def f(x):\n    if x > 0:\n        return x, 2 * x\n    return x"), namespace)  # noqa: S102
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
                       scores={"ann": {"q1": 1.0, "q2": 0.5}, "bob": {"q1": None, "q2": None},
                               "cy": {"q1": 1.0, "q2": None}},
                       penalties={"ann": 0.5, "cy": 2.0}, manual=frozenset({"q2"}),
                       pending={"bob": frozenset({"q2"})})
    assert write_csv(table).splitlines() == [
        "student,name,email,q1,q2,late_penalty,pending,total,max_score",
        "ann,,,1,0.5,0.5,0,1,3",
        "bob,,,,,0,1,0,3",
        "cy,,,1,,2,0,0,3",  # a penalty never takes the total below 0
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


def test_a_class_needs_the_release_of_its_assignment(released_sample, tmp_path):
    """What the instructor must do first is a CourseError (one line, exit 2), not a fault of the package."""
    from course_fixtures import SAMPLE_ASSIGNMENT, copy_course

    from dlfcourse.errors import CourseError

    course = copy_course(released_sample, tmp_path / "course")
    for notebook in (course.release_dir / SAMPLE_ASSIGNMENT).glob("*.ipynb"):
        notebook.unlink()
    with pytest.raises(CourseError, match="run `dlf-course release` first"):
        make_class(course, SAMPLE_ASSIGNMENT, 4)
    with pytest.raises(CourseError, match="no answer cells"):
        attacks.place_attack(attacks.ATTACKS[0], {}, attacks.Targets(gradebook=course.gradebook))


def test_a_write_that_fails_halfway_leaves_the_old_file_whole(tmp_path, monkeypatch):
    from pathlib import Path

    from dlfcourse.course import write_text_atomically

    target = tmp_path / "deep" / "grades.csv"
    write_text_atomically(target, "student,total\nann,1\n")
    assert target.read_text(encoding="utf-8") == "student,total\nann,1\n"

    def disk_full(self, text, encoding=None):
        Path.open(self, "w").write(text[:5])  # half written, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(OSError):
        write_text_atomically(target, "student,total\nann,2\nbob,3\n")
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "student,total\nann,1\n"
