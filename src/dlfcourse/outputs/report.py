"""``dlf-course report``: a one-page HTML report on an assignment for the instructor.

It shows the score distribution and the failure rate of each graded item
(plots embedded as base64 PNG, so the file stands alone), for each item the
diagnosed mistakes with the students who made each one (read from the verdicts
the trusted grader stored in the autograded notebooks,
:mod:`dlfcourse.grader.verdict`), each student's score and seed per item (a
regrade with that seed replays the item exactly), the students whose grading
failed or who are collected but not graded, the submissions that a static scan
of their code flags (:mod:`dlfcourse.grader.scan`), and pairs of submissions
whose answer code is near-identical (:mod:`dlfcourse.outputs.similarity`).
Items still to be graded by hand are left out of the means and the failure rates.
It also lists the students on the roster who handed nothing in, the answers graded by
hand that a resubmission changed (their manual scores were cleared: to grade again),
and the cells that never ran to their end (stopped by a time limit, or a stub left in
place: :mod:`dlfcourse.outputs.stopped`), whose items were still graded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat

from dlfcourse.course import Course, CourseError
from dlfcourse.grader.scan import scan_source
from dlfcourse.grader.verdict import verdicts_of
from dlfcourse.intake.roster import Roster, load_roster
from dlfcourse.outputs.export import GradeTable, Ungraded, grade_table, ungraded_students
from dlfcourse.outputs.similarity import SimilarPair, read_submissions, similar_pairs
from dlfcourse.outputs.stopped import StoppedCell, stopped_in
from dlfcourse.outputs.titles import item_titles, plain
from dlfcourse.state import GradingRecord

__all__ = ["ClassReport", "build_report", "scan_submission"]


@dataclass
class ClassReport:
    """What the report shows, computed from the gradebook and the notebooks."""

    assignment: str
    table: GradeTable
    mistakes: dict[str, Counter] = field(default_factory=dict)  # item -> Counter of diagnosis codes
    examples: dict[tuple[str, str], str] = field(default_factory=dict)  # (item, code) -> a message
    who: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (item, code) -> students
    seeds: dict[str, dict[str, int | None]] = field(default_factory=dict)  # student -> item -> seed
    base_seeds: dict[str, int] = field(default_factory=dict)  # student -> the base seed autograde recorded
    titles: dict[str, str] = field(default_factory=dict)  # item -> title
    names: dict[str, str] = field(default_factory=dict)  # student -> name (from the roster)
    failed: dict[str, str] = field(default_factory=dict)  # student -> why grading failed
    flagged: dict[str, list[str]] = field(default_factory=dict)  # student -> suspicious lines
    similar: list[SimilarPair] = field(default_factory=list)
    ungraded: list[Ungraded] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # on the roster, nothing of theirs collected
    reopened: dict[str, list[str]] = field(default_factory=dict)  # student -> items graded by hand, answer changed
    stopped: dict[str, list[StoppedCell]] = field(default_factory=dict)  # student -> cells that did not finish

    @property
    def students(self) -> list[str]:
        return list(self.table.scores)

    @property
    def automatic_items(self) -> list[str]:
        return [item for item in self.table.items if item not in self.table.manual]

    def title(self, item: str) -> str:
        return self.titles.get(item, item)

    def failures(self, item: str) -> tuple[int, int]:
        """(students without full marks on ``item``, students graded on it): those still to grade by hand left out."""
        scores = [self.table.scores[s][item] for s in self.students if item not in self.table.pending.get(s, ())]
        return sum((x or 0.0) < self.table.max_points[item] for x in scores), len(scores)

    def failure_rate(self, item: str) -> float:
        failed, graded = self.failures(item)
        return failed / max(1, graded)


def _graded_only(table: GradeTable, ungraded: list[Ungraded]) -> GradeTable:
    """Students with a graded submission of the assignment (not the ungraded, not those who handed nothing in)."""
    skip = {u.student for u in ungraded}
    keep = {s: v for s, v in table.scores.items() if table.submitted.get(s) and s not in skip}
    return replace(table, scores=keep, penalties={s: table.penalties.get(s, 0.0) for s in keep})


def _code_lines(folder: Path) -> set[str]:
    return {line.strip() for path in folder.glob("*.ipynb") for cell in nbformat.read(path, as_version=4).cells
            if cell.cell_type == "code" for line in cell.source.splitlines()}


def scan_submission(folder: Path, release: Path) -> list[str]:
    """Suspicious lines the student wrote (not in the release) in a submission."""
    given = _code_lines(release)
    lines = []
    for path in sorted(folder.glob("*.ipynb")):
        cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        lines += [f"{path.stem}: {f.code}: {f.reason}: `{f.line}`" for f in scan_source(cells)
                  if f.line.strip() not in given]
    return lines


def _column(report: ClassReport, notebook: str, grade_id: str) -> str:
    return grade_id if grade_id in report.table.items else f"{notebook}/{grade_id}"


def _add_verdicts(report: ClassReport, course: Course, student: str) -> None:
    """Diagnosed mistakes (who made which, with an example message) and seeds, from the stored verdicts."""
    for path in sorted((course.autograded_dir / student / report.assignment).glob("*.ipynb")):
        for grade_id, verdict in verdicts_of(nbformat.read(path, as_version=4)):
            item = _column(report, path.stem, grade_id)
            report.seeds.setdefault(student, {})[item] = verdict.seed
            if verdict.ok:
                continue
            report.mistakes.setdefault(item, Counter())[verdict.code] += 1
            report.who.setdefault((item, verdict.code), []).append(student)
            report.examples.setdefault((item, verdict.code), verdict.message)


def _failed_gradings(records: list[GradingRecord]) -> dict[str, str]:
    return {r.student: r.message for r in records if r.status == "failed"}


def _reopened(report: ClassReport, records: list[GradingRecord]) -> dict[str, list[str]]:
    """Student -> the items whose answer changed after it was graded by hand, while they still wait for a grade."""
    found = {}
    for record in records:
        items = [_column(report, *entry.split("/", 1)) for entry in record.reopened if "/" in entry]
        waiting = [item for item in items if item in report.table.pending.get(record.student, ())]
        if waiting:
            found[record.student] = waiting
    return found


def _missing(course: Course, assignment: str, roster: Roster, graded: list[str]) -> list[str]:
    """The students of the imported roster of whom nothing was collected for ``assignment``."""
    handed_in = set(course.submitted_students(assignment)) | set(graded)
    return sorted(set(roster.imported_ids) - handed_in)


def _similar(course: Course, assignment: str, students: list[str]) -> list[SimilarPair]:
    release = {p.stem: nbformat.read(p, as_version=4) for p in (course.release_dir / assignment).glob("*.ipynb")}
    folders = [(s, sorted((course.submitted_dir / s / assignment).glob("*.ipynb"))) for s in students]
    return similar_pairs(read_submissions(folders, release))


def build_report(course: Course, assignment: str) -> ClassReport:
    """Gather the report's data for ``assignment``; CourseError if nothing is graded yet."""
    course.source_notebooks(assignment)
    table = grade_table(course, [assignment])
    ungraded = ungraded_students(course, table)
    report = ClassReport(assignment, _graded_only(table, ungraded), ungraded=ungraded)
    if not report.students:
        raise CourseError(f"nothing graded yet for {assignment}: run `dlf-course autograde {assignment}` first")
    titles = item_titles(course, assignment)
    report.titles = {grade_id: plain(title, math=False) for (_, grade_id), title in titles.items()}
    report.titles.update({_column(report, notebook, grade_id): plain(title, math=False)
                          for (notebook, grade_id), title in titles.items()})
    roster = load_roster(course)
    report.missing = _missing(course, assignment, roster, report.students)
    shown = [*report.students, *(u.student for u in ungraded), *report.missing]
    report.names = {s: roster.name(s) for s in shown if roster.name(s)}
    for student in report.students:
        _add_verdicts(report, course, student)
        flagged = scan_submission(course.submitted_dir / student / assignment, course.release_dir / assignment)
        if flagged:
            report.flagged[student] = flagged
        stopped = stopped_in(course.autograded_dir / student / assignment)
        if stopped:
            report.stopped[student] = stopped
    records = course.state.gradings(assignment)
    report.failed = _failed_gradings(records)
    report.reopened = _reopened(report, records)
    report.base_seeds = course.state.seeds(assignment)
    report.similar = _similar(course, assignment, report.students)
    return report
