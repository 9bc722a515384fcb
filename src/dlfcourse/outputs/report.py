"""``dlf-course report``: a one-page HTML report on an assignment for the instructor.

It shows the score distribution and the failure rate of each graded item
(plots embedded as base64 PNG, so the file stands alone), the most frequent
diagnosed mistakes per item (read from the autograded notebooks, see
:mod:`dlfcourse.grading.diagnoses`), the students whose grading failed, and
the submissions that a static scan of their code flags for a look by hand
(delegation to the reference, tampering: :mod:`dlfcourse.grading.scan`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dlfcourse.course import Course
from dlfcourse.grading.diagnoses import read_outcomes
from dlfcourse.outputs.export import GradeTable, grade_table

__all__ = ["ClassReport", "build_report", "scan_submission"]


@dataclass
class ClassReport:
    """What the report shows, computed from the gradebook and the notebooks."""

    assignment: str
    table: GradeTable
    mistakes: dict[str, Counter] = field(default_factory=dict)  # item -> Counter of diagnosis codes
    examples: dict[tuple[str, str], str] = field(default_factory=dict)  # (item, code) -> a message
    failed: dict[str, str] = field(default_factory=dict)  # student -> why grading failed
    flagged: dict[str, list[str]] = field(default_factory=dict)  # student -> suspicious lines

    @property
    def students(self) -> list[str]:
        return list(self.table.scores)

    @property
    def automatic_items(self) -> list[str]:
        return [item for item in self.table.items if item not in self.table.manual]

    def failure_rate(self, item: str) -> float:
        scores = [self.table.scores[s][item] or 0.0 for s in self.students]
        return sum(score < self.table.max_points[item] for score in scores) / max(1, len(scores))


def _submitted_only(table: GradeTable) -> GradeTable:
    automatic = [item for item in table.items if item not in table.manual]
    keep = {s: v for s, v in table.scores.items() if any(v[item] is not None for item in automatic)}
    return GradeTable(table.items, table.max_points, keep, {s: table.penalties.get(s, 0.0) for s in keep},
                      table.manual)


def _code_lines(folder: Path) -> set[str]:
    return {line.strip() for path in folder.glob("*.ipynb") for cell in nbformat.read(path, as_version=4).cells
            if cell.cell_type == "code" for line in cell.source.splitlines()}


def scan_submission(folder: Path, release: Path) -> list[str]:
    """Suspicious lines the student wrote (not in the release) in a submission; empty if no scanner is installed."""
    try:
        from dlfcourse.grading.scan import scan_source
    except ImportError:
        return []
    given = _code_lines(release)
    lines = []
    for path in sorted(folder.glob("*.ipynb")):
        cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        lines += [f"{path.stem}: {f.code}: {f.reason}: `{f.line}`" for f in scan_source(cells)
                  if f.line.strip() not in given]
    return lines


def _add_mistakes(report: ClassReport, course: Course, student: str) -> None:
    for outcome in read_outcomes(course.autograded_dir / student / report.assignment):
        if outcome.diagnosis is None:
            continue
        item = outcome.item if outcome.item in report.table.items else f"{outcome.notebook}/{outcome.item}"
        report.mistakes.setdefault(item, Counter())[outcome.diagnosis.code] += 1
        report.examples.setdefault((item, outcome.diagnosis.code), outcome.diagnosis.message)


def _failed_gradings(course: Course, assignment: str) -> dict[str, str]:
    failed = {}
    for marker in sorted((course.state_dir / "autograde" / assignment).glob("*.json")):
        record = json.loads(marker.read_text())
        if record.get("status") == "failed":
            failed[record["student"]] = record.get("message", "")
    return failed


def build_report(course: Course, assignment: str) -> ClassReport:
    """Gather the report's data for ``assignment``."""
    course.source_notebooks(assignment)
    report = ClassReport(assignment, _submitted_only(grade_table(course, [assignment])))
    for student in report.students:
        _add_mistakes(report, course, student)
        flagged = scan_submission(course.submitted_dir / student / assignment, course.release_dir / assignment)
        if flagged:
            report.flagged[student] = flagged
    report.failed = _failed_gradings(course, assignment)
    return report
