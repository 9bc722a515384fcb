"""``dlf-course`` end to end on a demo course: collect → autograde → feedback → export → report.

One class of synthetic students (every honest and every malicious kind) is
graded once per module through the command line; the tests then check each
student's score per item, each sandbox case, and the files the malicious
students attacked, whose hashes are taken right before and after autograde.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import nbformat
import pytest

from course_fixtures import copy_course
from course_harness import run_cli as run

from dlfcourse.demo import sample
from dlfcourse.course import Course
from dlfcourse.demo.demo import file_hashes, gradebook_intact
from dlfcourse.demo.lmszip import MALFORMED_ENTRIES, write_lms_zip
from dlfcourse.demo.synthetic import default_targets, make_class

A = sample.SAMPLE_ASSIGNMENT
KINDS = ["correct", "partial-stub", "partial-sign", "broken", "malicious-loop", "malicious-memory",
         "malicious-forkbomb", "malicious-exit", "malicious-numpy", "malicious-tamper", "malicious-network"]
#: kind -> (relu-test, mse-test) scores, worked out from where each attack sits (see attacks.py)
EXPECTED = {
    "correct": (1, 2), "partial-stub": (1, 0), "partial-sign": (1, 0), "broken": (0, 0),
    "malicious-loop": (0, 2), "malicious-memory": (0, 2), "malicious-exit": (1, 0),
    "malicious-numpy": (1, 2), "malicious-tamper": (1, 2), "malicious-network": (1, 2),
}
SANDBOX_UIDS = range(62000, 62002)  # a uid range of its own, so that other grading tests cannot interfere


def _uid_processes(uids: range) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid in uids:
                found.append(int(entry.name))
        except FileNotFoundError:
            continue
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, released_sample: Path) -> dict:
    """The whole pipeline through the CLI, on a copy of the released sample course; returns paths, outputs and
    the protected files' hashes."""
    root = tmp_path_factory.mktemp("demo") / "course"
    course = copy_course(released_sample, root)
    students = make_class(course, A, len(KINDS), kinds=tuple(KINDS), name=lambda i, kind: kind)
    archive = write_lms_zip(students, root.parent / "download.zip", MALFORMED_ENTRIES, duplicates=["correct"])
    status_collect, collect_out = run("collect", A, str(archive), "--course", str(root))
    (root / "grades.csv").write_text("an earlier export\n")
    protected = list(default_targets(course, A, victim="correct").files)
    before = file_hashes(protected)
    common = ["--course", str(root), "--jobs", "2", "--cell-timeout", "5", "--notebook-timeout", "60",
              "--sandbox-uid-base", str(SANDBOX_UIDS.start)]
    status_grade, grade_out = run("autograde", A, *common, "--no-progress")
    after = file_hashes(protected)
    status_again, again_out = run("autograde", A, *common, "--no-progress")
    leftovers = _uid_processes(SANDBOX_UIDS)
    status_feedback, feedback_out = run("feedback", A, "--course", str(root))
    status_export, export_out = run("export", A, "--course", str(root))
    status_report, report_out = run("report", A, "--course", str(root))
    return dict(course=course, before=before, after=after, leftovers=leftovers,
                status=(status_collect, status_grade, status_again, status_feedback, status_export, status_report),
                collect=collect_out, grade=grade_out, again=again_out, feedback=feedback_out)


def scores(graded: dict) -> dict[str, dict[str, str]]:
    with open(graded["course"].root / "grades.csv") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def outputs(graded: dict, student: str, grade_id: str) -> list:
    path = graded["course"].autograded_dir / student / A / f"{sample.SAMPLE_NOTEBOOK}.ipynb"
    cells = nbformat.read(path, as_version=4).cells
    return next(c.outputs for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def text_of(outs: list) -> str:
    return "".join(o.get("text", "") + o.get("ename", "") + ": " + str(o.get("evalue", "")) for o in outs)


def assert_contained(graded: dict) -> None:
    """The batch finished (every student graded) and no protected file changed."""
    assert all(f"{kind}: graded" in graded["grade"] for kind in KINDS)
    assert graded["after"] == graded["before"] and gradebook_intact(graded["course"].gradebook)


def test_every_command_succeeds_and_the_batch_finished(graded: dict):
    # collect exits 1: the download has an empty and a broken notebook, which it reports (not lost silently)
    assert graded["status"] == (1, 0, 0, 0, 0, 0)
    for kind in KINDS:
        assert f"{kind}: graded" in graded["grade"]
    assert "11 graded, 0 skipped, 0 failed" in graded["grade"]


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_scores_per_student_and_item(graded: dict, kind: str):
    row = scores(graded)[kind]
    relu, mse = EXPECTED[kind]
    assert (float(row["relu-test"]), float(row["mse-test"])) == (relu, mse)
    assert float(row["total"]) == relu + mse and float(row["max_score"]) == 3


def test_protected_files_are_unchanged_and_the_gradebook_was_not_written_by_students(graded: dict):
    assert graded["after"] == graded["before"]
    assert all(h is not None for h in graded["before"].values())
    assert gradebook_intact(graded["course"].gradebook)


def test_tamper_attempts_were_all_blocked(graded: dict):
    assert_contained(graded)
    text = text_of(outputs(graded, "malicious-tamper", "relu-answer"))
    assert text.count("blocked") >= 10
    assert not re.search(r"WROTE|REMOVED|EDITED THE GRADEBOOK", text)


def test_network_attempts_were_all_blocked(graded: dict):
    assert_contained(graded)
    text = text_of(outputs(graded, "malicious-network", "relu-answer"))
    assert "Network is unreachable" in text and "CONNECTED" not in text and "DOWNLOADED" not in text


def test_endless_loop_is_stopped_by_the_cell_time_limit(graded: dict):
    assert_contained(graded)
    text = text_of(outputs(graded, "malicious-loop", "relu-answer"))
    assert "Stopped" in text and "time limit of 5 s" in text


def test_50_gb_allocation_fails_with_memory_error(graded: dict):
    assert_contained(graded)
    assert "MemoryError" in text_of(outputs(graded, "malicious-memory", "relu-answer"))


def test_fork_bomb_is_contained(graded: dict):
    assert_contained(graded)
    row = scores(graded)["malicious-forkbomb"]
    assert float(row["relu-test"]) == 0  # the item whose answer cell forked
    assert float(row["mse-test"]) in (0, 2)  # 2 if the kernel survived its children, else 0 ("not run")
    assert graded["leftovers"] == []  # no process of a sandbox uid outlives the grading


def test_kernel_that_kills_itself_keeps_the_credit_earned_before(graded: dict):
    assert_contained(graded)
    assert "process ended" in text_of(outputs(graded, "malicious-exit", "mse-answer"))
    assert "[missing] `mse_loss` is not defined" in text_of(outputs(graded, "malicious-exit", "mse-test"))
    assert "✔ 1 / 1" in text_of(outputs(graded, "malicious-exit", "relu-test"))


def test_patching_numpy_in_the_notebook_changes_nothing_the_grader_decides(graded: dict):
    assert_contained(graded)
    assert "✔ 2 / 2" in text_of(outputs(graded, "malicious-numpy", "mse-test"))


def test_a_second_run_grades_nobody_again(graded: dict):
    assert "0 graded, 11 skipped, 0 failed" in graded["again"]


def test_autograde_lists_the_cells_a_time_limit_stopped(graded: dict):
    lines = graded["grade"].splitlines()
    stopped = [line for line in lines if line.startswith("  malicious-loop: ")]
    assert stopped and stopped[0].startswith('  malicious-loop: the cell under "Sample assignment" (relu-answer): '
                                             "stopped by the grader: This cell was stopped"), graded["grade"]
    summary = next(line for line in lines if "with cells that never ran to their end" in line)
    assert "malicious-loop" in summary and "correct," not in summary and "their items were still graded" in summary


def test_collect_reports_each_malformed_file_on_one_line(graded: dict):
    lines = graded["collect"].splitlines()
    expected = {
        "skipped zoe_report.pdf": "not a notebook (.pdf)",
        "skipped notes.txt": "not a notebook (.txt)",
        "NOT COLLECTED yann_perceptron.ipynb": "invalid JSON",
        "NOT COLLECTED xia_perceptron.ipynb": "empty file",
        "skipped correct/sample-draft.ipynb": "duplicate for correct",
    }
    for path, reason in expected.items():
        assert sum(line.startswith(f"{path}: {reason}") for line in lines) == 1, graded["collect"]
    offered = len(KINDS) + 3  # one notebook each, a duplicate, an empty and a broken one
    summary = (f"collected {len(KINDS)} notebooks from {len(KINDS)} students; {offered} notebook files "
               "offered, 1 older copy superseded, 2 NOT COLLECTED (see above), 2 other files ignored")
    assert summary in lines and lines[-1].endswith("2 notebook files of 14 not collected: see the lines above")


def test_feedback_has_the_verdicts_and_no_grader_code(graded: dict):
    course: Course = graded["course"]
    pages = {kind: (course.feedback_dir / kind / A / "sample.html").read_text() for kind in KINDS}
    for kind, page in pages.items():
        assert "Your score" in page
        assert "check_against_reference" not in page and "BEGIN HIDDEN TESTS" not in page, kind
    assert "opposite sign" in pages["partial-sign"]
    assert "not implemented yet" in pages["partial-stub"]


def test_report_has_plots_and_the_frequent_mistakes(graded: dict):
    page = (graded["course"].root / f"report-{A}.html").read_text()
    assert page.count("data:image/png;base64,") == 2
    assert "sign-flipped" in page and "not-implemented" in page and "missing" in page
    assert "malicious-numpy" in page and "seed" in page


@pytest.mark.parametrize("command", ["release", "collect", "autograde", "feedback", "export", "report", "demo"])
def test_every_subcommand_has_help(command: str):
    with pytest.raises(SystemExit) as stop:
        run(command, "--help")
    assert stop.value.code == 0


def test_errors_say_what_is_wrong(tmp_path: Path, graded: dict):
    status, out = run("autograde", A, "--course", str(tmp_path))
    assert status == 2 and "is not a course directory" in out
    status, out = run("autograde", "99-nothing", "--course", str(graded["course"].root))
    assert status == 2 and "no assignment '99-nothing'" in out
    status, out = run("collect", A, str(tmp_path / "missing.zip"), "--course", str(graded["course"].root))
    assert status == 2 and "does not exist" in out
    status, out = run("autograde", A, "--student", "nobody", "--course", str(graded["course"].root))
    assert status == 2 and "no collected submission" in out
