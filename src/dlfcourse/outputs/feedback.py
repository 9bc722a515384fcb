"""``dlf-course feedback``: per-student HTML feedback with diagnoses and without the hidden tests.

nbgrader's ``generate_feedback`` renders the autograded notebook. Three
preprocessors are added to it:

* :class:`RedactTestTracebacks` — an error in a test cell is shown as the single
  line ``Error: message``: a traceback would print the hidden line that failed;
* ``ClearHiddenTests`` (nbgrader's) — removes the ``### BEGIN/END HIDDEN TESTS`` regions;
* :class:`FeedbackSummary` — a table at the top: each graded item, its score and
  what went wrong, in words.

Then every HTML file is checked: if any line of a hidden test (one that does
not also appear in the released notebook) shows up in its text, the file is
deleted and the student is reported as failed, rather than leaking the test.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_markdown_cell
from traitlets import Bool

from dlfcourse.course import Course, CourseError
from dlfcourse.grading.diagnoses import diagnose_cell

__all__ = ["RedactTestTracebacks", "FeedbackSummary", "FeedbackOutcome", "hidden_test_lines", "find_leaks",
           "generate_feedback"]

_BEGIN, _END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def _is_test_cell(cell: Any) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


class RedactTestTracebacks(Preprocessor):
    """In test cells, replace each error's traceback with the single line ``ename: evalue``."""

    enabled = Bool(True)

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        if _is_test_cell(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources


def _is_graded(cell: Any) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))


def _row(cell: Any) -> str:
    meta = cell.metadata.nbgrader
    if meta.get("solution"):
        what = "a written answer, graded by hand (0 while it is left empty)"
    else:
        diagnosis = diagnose_cell(cell)
        what = "passed" if diagnosis is None else f"**{diagnosis.code}**: {diagnosis.message}"
    score = meta.get("score")
    shown = "—" if score is None else f"{score:g}"
    return f"| `{meta['grade_id']}` | {shown} / {meta.get('points', 0):g} | {what.replace('|', '/')} |"


class FeedbackSummary(Preprocessor):
    """Insert a markdown cell at the top: the notebook's score and one table row per graded item."""

    enabled = Bool(True)

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        grading = resources.get("nbgrader", {})
        rows = [_row(cell) for cell in nb.cells if _is_graded(cell)]
        header = f"## Your score: {grading.get('score', 0):g} / {grading.get('max_score', 0):g}"
        table = ["| item | score | what the tests found |", "|---|---|---|", *rows]
        nb.cells.insert(0, new_markdown_cell("\n".join([header, "", *table])))
        return nb, resources


def hidden_test_lines(course: Course, assignment: str) -> set[str]:
    """Lines of the hidden tests of ``assignment`` that do not also appear in its released notebooks."""
    hidden: set[str] = set()
    for path in course.source_notebooks(assignment):
        for cell in nbformat.read(path, as_version=4).cells:
            inside = False
            for line in cell.source.splitlines():
                stripped = line.strip()
                if _BEGIN in stripped or _END in stripped:
                    inside = _BEGIN in stripped
                elif inside and len(stripped) >= 6:
                    hidden.add(stripped)
    released = "\n".join(p.read_text() for p in (course.release_dir / assignment).glob("*.ipynb"))
    return {line for line in hidden if line not in released}


def find_leaks(page: str, hidden: Iterable[str]) -> list[str]:
    """Hidden-test lines that appear in the visible text of an HTML page."""
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return sorted(line for line in hidden if line in text)


@dataclass(frozen=True)
class FeedbackOutcome:
    """One student's feedback: the HTML files written, or why there are none."""

    student: str
    files: tuple[Path, ...]
    error: str = ""


def _feedback_config() -> Any:
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades
    from traitlets.config import Config

    config = Config()
    config.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, RedactTestTracebacks,
                                             ClearHiddenTests, FeedbackSummary]
    return config


def _check(files: list[Path], hidden: set[str]) -> str:
    """Delete every file that shows hidden-test code; return a message naming the leak ('' if none)."""
    for page in files:
        leaks = find_leaks(page.read_text(errors="replace"), hidden)
        if leaks:
            for path in files:
                path.unlink()
            return f"feedback withheld: {page.name} would show hidden-test code ({leaks[0]!r})"
    return ""


def generate_feedback(course: Course, assignment: str, students: Iterable[str] | None = None
                      ) -> list[FeedbackOutcome]:
    """Write ``feedback/<student>/<assignment>/*.html`` for each autograded student; check each for leaks."""
    import warnings

    course.source_notebooks(assignment)
    graded = sorted(p.parent.name for p in course.autograded_dir.glob(f"*/{assignment}") if p.is_dir())
    chosen = sorted(students) if students is not None else graded
    unknown = [s for s in chosen if s not in graded]
    if unknown:
        raise CourseError(f"not autograded yet, no feedback possible for: {', '.join(unknown)}")
    hidden = hidden_test_lines(course, assignment)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's SQLAlchemy warnings, once per student otherwise
        api = course.api(_feedback_config())
        return [_feedback_for(api, course, assignment, student, hidden) for student in chosen]


def _feedback_for(api: Any, course: Course, assignment: str, student: str, hidden: set[str]) -> FeedbackOutcome:
    result = api.generate_feedback(assignment, student, force=True)
    files = sorted((course.feedback_dir / student / assignment).glob("*.html"))
    if not result.get("success") or not files:
        return FeedbackOutcome(student, (), "nbgrader could not render the feedback")
    error = _check(files, hidden)
    return FeedbackOutcome(student, () if error else tuple(files), error)
