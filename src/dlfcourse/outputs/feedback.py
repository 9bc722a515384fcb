"""``dlf-course feedback``: per-student HTML feedback with diagnoses and without the hidden tests.

nbgrader's ``generate_feedback`` renders the autograded notebook. Three
preprocessors are added to it:

* :class:`RedactTestTracebacks` — an error in a test cell is shown as the single
  line ``Error: message``: a traceback would print the hidden line that failed;
* ``ClearHiddenTests`` (nbgrader's) — removes the ``### BEGIN/END HIDDEN TESTS`` regions;
* :class:`FeedbackSummary` — at the top, the student's name (from the roster) and
  a table: each graded item by its title (the heading above it in the source),
  its score ("—" while it waits for a grade by hand) and what the grader found,
  in words (the verdict the trusted grader stored in the test cell's metadata,
  :mod:`dlfcourse.grader.verdict`; its seed is for the instructor, not shown here).

What the student wrote is inert on the page: the notebook is rendered by
:class:`~dlfcourse.outputs.notebook_html.InertHTMLExporter`, which cleans every piece of
their HTML and markdown (and :class:`~dlfcourse.outputs.notebook_html.InertNotebook`, the
last preprocessor, takes out what nbconvert's templates print unescaped); names, ids and
the grader's messages in the summary are escaped; and the page declares a
Content-Security-Policy under which only its own scripts (MathJax) run
(:mod:`dlfcourse.outputs.sanitize`).

Everyone can read the page (WCAG 2.1 AA, checked with axe-core by ``tests/course/outputs/test_accessible.py``):
each verdict in the summary opens with a symbol and a word ("✔ passed", "✘ not passed"), never a colour
alone; the page declares its language, its title bar is its first heading, code colours reach 4.5:1, links
in text are underlined and long lines wrap rather than scroll
(:class:`~dlfcourse.outputs.notebook_html.ReadableNotebook`, :func:`~dlfcourse.outputs.notebook_html.readable_page`).

Then every HTML file is checked: if any line of a hidden test (one that does
not also appear in the released notebook) shows up in its text, the file is
deleted and the student is reported as failed, rather than leaking the test.

Equations render offline: the page loads MathJax 3 (its single-file TeX-to-SVG
component, from the pinned ``django-static-mathjax`` package) from ``mathjax/``
next to it, hard-linked from one copy in ``.dlf-course/mathjax/``, instead of
nbconvert's CDN. Hand the folder back, not only the HTML file.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_markdown_cell
from traitlets import Bool, Dict, List, Unicode

from dlfcourse.course import Course, CourseError, open_gradebook
from dlfcourse.grader.repair import read_notes
from dlfcourse.grader.verdict import read_verdict
from dlfcourse.intake.roster import load_roster
from dlfcourse.outputs.notebook_html import InertHTMLExporter, InertNotebook, ReadableNotebook, readable_page
from dlfcourse.outputs.sanitize import policy_meta
from dlfcourse.outputs.stopped import stopped_cells
from dlfcourse.outputs.titles import item_titles
from dlfoundations.kit.compare import DIAGNOSES

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


def _what(cell: Any, pending: bool) -> str:
    """What the grader found for one graded cell, as HTML: an automatic verdict opens with a symbol and a word
    ("✔ passed", "✘ not passed"), which the summary's style colours (the colour is never the only sign)."""
    meta = cell.metadata.nbgrader
    if meta.get("solution"):
        return "a written answer: <i>to be graded by hand</i>" if pending else "a written answer, graded by hand"
    verdict = read_verdict(cell)
    if verdict is None:
        if pending:
            return "<i>to be graded by hand</i>: the grader could not grade this item automatically " \
                   "(was its test cell changed or deleted?)"
        return "graded by nbgrader's own tests"
    if verdict.ok:
        if verdict.helper:  # error carried forward: the proxy stood in for an earlier function that is wrong
            return (f"<span class='dlf-passed'>✔ passed</span>, graded as if your <code>{html.escape(verdict.helper)}"
                    "</code> were right (it is not: see its item)")
        return "<span class='dlf-passed'>✔ passed</span>"
    label = DIAGNOSES.get(verdict.code, verdict.code)
    text = (f"<span class='dlf-failed'>✘ not passed:</span> "
            f"<b title='{html.escape(verdict.code)}'>{html.escape(verdict.message or label)}</b>")
    if verdict.helper:
        text += (f" (this item uses your <code>{html.escape(verdict.helper)}</code>, which is wrong: "
                 "fix that first)")
    return text


def _row(cell: Any, title: str, pending: bool) -> str:
    meta = cell.metadata.nbgrader
    score = meta.get("score")
    shown = "—" if pending or score is None else f"{score:g}"
    cells = [html.escape(title), f"{shown}&nbsp;/&nbsp;{meta.get('points', 0):g}", _what(cell, pending)]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


#: The summary table's style, in the page's head (the cleaner keeps classes, not boxes drawn by ``style``).
SUMMARY_CSS = """
.rendered_html table.dlf-summary { border-collapse: collapse; margin: 0.5em 0 1.5em 0; }
.rendered_html table.dlf-summary td, .rendered_html table.dlf-summary th {
  border: 1px solid #ccc; padding: 0.35em 0.7em; text-align: left; vertical-align: top; }
.rendered_html table.dlf-summary th { background: #f2f2f2; font-weight: bold; }
.rendered_html table.dlf-summary tbody tr { background: none; }
.rendered_html table.dlf-summary .dlf-passed { color: #17692e; font-weight: bold; }
.rendered_html table.dlf-summary .dlf-failed { color: #b42318; font-weight: bold; }
"""


def _repairs(nb: Any) -> str:
    """The repairs made to the notebook's grading metadata before grading, as an HTML list ('' if none)."""
    notes = [re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(note)) for note in read_notes(nb)]
    if not notes:
        return ""
    return ("<p>Before grading, your notebook's grading settings were repaired:</p><ul>"
            + "".join(f"<li>{note}</li>" for note in notes) + "</ul>")


def _stopped(nb: Any) -> str:
    """The cells that never ran to their end (a time limit, a stub left in place), as HTML ('' if none)."""
    lines = [html.escape(cell.line(grade_id=False)) for cell in stopped_cells(nb, "")]
    if not lines:
        return ""
    return ("<p>Some cells did not run to their end, so what they print or plot is missing below. Your functions "
            "were still graded, on the grader's own inputs:</p><ul>" + "".join(f"<li>{x}</li>" for x in lines)
            + "</ul>")


class FeedbackSummary(Preprocessor):
    """Insert a cell at the top: who, the notebook's score, the repairs made before grading (if any)
    and one table row per graded item.

    ``titles`` maps "notebook/grade_id" to the item's title, ``names`` a student id to the
    student's name, ``pending`` "student/notebook" to the grade ids still to be graded by hand.
    """

    enabled = Bool(True)
    titles = Dict(Unicode(), default_value={}).tag(config=True)
    names = Dict(Unicode(), default_value={}).tag(config=True)
    pending = Dict(List(Unicode()), default_value={}).tag(config=True)

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        grading = resources.get("nbgrader", {})
        student, notebook = grading.get("student", ""), grading.get("notebook", "")
        waiting = set(self.pending.get(f"{student}/{notebook}", []))
        rows = []
        for cell in nb.cells:
            if _is_graded(cell):
                grade_id = cell.metadata.nbgrader.get("grade_id", "")
                title = self.titles.get(f"{notebook}/{grade_id}", grade_id)
                rows.append(_row(cell, title, grade_id in waiting))
        name = self.names.get(student) or student
        who = f"{html.escape(name)} ({html.escape(student)})" if name != student else html.escape(student)
        score = f"{grading.get('score', 0):g} / {grading.get('max_score', 0):g}"
        note = (f"<p>{len(waiting)} item(s) still to be graded by hand: the score will change.</p>"
                if waiting else "")
        head = "".join(f"<th>{h}</th>" for h in ("item", "score", "what the grader found"))
        table = (f"<table class='dlf-summary'><thead><tr>{head}</tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>")
        summary = (f"<h2>Feedback for {who}: {html.escape(grading.get('assignment', ''))}</h2>"
                   f"<p><b>Your score: {score}</b></p>{note}{_repairs(nb)}{_stopped(nb)}{table}")
        nb.cells.insert(0, new_markdown_cell(summary))
        resources.setdefault("inlining", {}).setdefault("css", []).append(SUMMARY_CSS)
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


def _feedback_config(titles: dict[str, str], names: dict[str, str], pending: dict[str, list[str]]) -> Any:
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades
    from traitlets.config import Config

    config = Config()
    config.GenerateFeedback.exporter_class = InertHTMLExporter
    config.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ReadableNotebook,
                                             RedactTestTracebacks, ClearHiddenTests, FeedbackSummary, InertNotebook]
    config.FeedbackSummary.titles = titles
    config.FeedbackSummary.names = names
    config.FeedbackSummary.pending = pending
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


# --- offline math ----------------------------------------------------------------------------------------

#: MathJax 3's TeX-to-SVG component: one file, no fonts to fetch (from the pinned django-static-mathjax wheel).
MATHJAX_FILE = "tex-svg.js"
_MATHJAX_BLOCK = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)
_MATHJAX_SETTINGS = """
window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
                        processEscapes: true, processEnvironments: true, tags: 'ams'},
                  svg: {fontCache: 'global'}, options: {enableMenu: false}};
"""
_MATHJAX_CONFIG = f"""<script>{_MATHJAX_SETTINGS}</script>
<script src="mathjax/{MATHJAX_FILE}" async></script>"""
#: The page's own scripts run (MathJax from ``mathjax/``, and its settings, by hash); nothing else does.
_POLICY = policy_meta(own_scripts=True, inline_scripts=[_MATHJAX_SETTINGS])
_HEAD = re.compile(r"<head(?:\s[^>]*)?>\s*(?:<meta charset=[^>]*>)?", re.IGNORECASE)


def mathjax_source() -> Path:
    """MathJax's single-file TeX-to-SVG component in the installed ``mathjax`` package (django-static-mathjax)."""
    try:
        import mathjax
    except ImportError:
        raise CourseError("feedback needs MathJax for its equations: pip install django-static-mathjax "
                          "(it is in requirements.txt)") from None
    path = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / MATHJAX_FILE
    if not path.is_file():
        raise CourseError(f"the installed mathjax package has no {MATHJAX_FILE}: reinstall django-static-mathjax")
    return path


_TOC = re.compile(r'<div id="toc">.*?</div>', re.DOTALL)


def tidy_page(page: Path, pending: Iterable[str]) -> None:
    """Drop nbgrader's list of cells (the summary table replaces it); show pending cells' scores as "—", not 0;
    declare the page's language and make its title bar its first heading (:func:`readable_page`)."""
    text = readable_page(_TOC.sub("", page.read_text(encoding="utf-8"), count=1))
    for grade_id in pending:
        anchor = text.find(f'<a name="{grade_id}"></a>')
        if anchor < 0:
            continue
        text = text[:anchor] + re.sub(r"Score: [\d.]+ /", "Score: — (to be graded by hand) /", text[anchor:], count=1)
    page.write_text(text, encoding="utf-8")


def declare_policy(page: Path) -> None:
    """Put the page's Content-Security-Policy first in its head (after the charset), before any script."""
    text = page.read_text(encoding="utf-8")
    text, found = _HEAD.subn(lambda head: head.group(0) + "\n" + _POLICY, text, count=1)
    if not found:
        raise CourseError(f"{page} has no <head>: cannot declare its Content-Security-Policy")
    page.write_text(text, encoding="utf-8")


def offline_math(page: Path, course: Course) -> None:
    """Make ``page`` load MathJax from ``mathjax/`` next to it (hard-linked from one copy in the course), not a CDN."""
    text = page.read_text(encoding="utf-8")
    text, found = _MATHJAX_BLOCK.subn(lambda _: _MATHJAX_CONFIG, text)
    if not found:
        text = re.sub(r"<script[^>]+src=\"https://[^\"]*mathjax[^\"]*\"[^>]*>\s*</script>", "", text, flags=re.I)
        text = text.replace("</head>", _MATHJAX_CONFIG + "\n</head>", 1)
    page.write_text(text, encoding="utf-8")
    shared = course.state_dir / "mathjax" / MATHJAX_FILE
    if not shared.is_file():
        shared.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mathjax_source(), shared)
    target = page.parent / "mathjax" / MATHJAX_FILE
    target.parent.mkdir(exist_ok=True)
    if target.exists():
        target.unlink()
    try:
        os.link(shared, target)  # one copy on disk for the whole class
    except OSError:
        shutil.copyfile(shared, target)


# --- the command -----------------------------------------------------------------------------------------

def _pending(course: Course, assignment: str) -> dict[str, list[str]]:
    """"student/notebook" -> grade ids still to be graded by hand, from the gradebook."""
    from nbgrader.api import MissingEntry

    found: dict[str, list[str]] = {}
    with open_gradebook(course.db_url) as gradebook:
        try:
            submissions = gradebook.find_assignment(assignment).submissions
        except MissingEntry:
            return found
        for submission in submissions:
            for notebook in submission.notebooks:
                waiting = [g.name for g in notebook.grades if g.manual_score is None
                           and (g.auto_score is None or g.needs_manual_grade)]
                if waiting:
                    found[f"{submission.student.id}/{notebook.name}"] = waiting
    return found


def generate_feedback(course: Course, assignment: str, students: Iterable[str] | None = None,
                      on_outcome: Callable[[FeedbackOutcome], None] | None = None) -> list[FeedbackOutcome]:
    """Write ``feedback/<student>/<assignment>/*.html`` for each autograded student; check each for leaks.

    ``on_outcome`` is called with each student's outcome as soon as it is known.
    """
    import warnings

    from sqlalchemy.exc import SAWarning

    course.source_notebooks(assignment)
    graded = sorted(p.parent.name for p in course.autograded_dir.glob(f"*/{assignment}") if p.is_dir())
    if not graded or not course.gradebook.is_file():
        raise CourseError(f"nothing autograded yet for {assignment}: run `dlf-course autograde {assignment}` first")
    chosen = sorted(students) if students is not None else graded
    unknown = [s for s in chosen if s not in graded]
    if unknown:
        raise CourseError(f"not autograded yet, no feedback possible for: {', '.join(unknown)} "
                          f"(run `dlf-course autograde {assignment} --student ...` first)")
    mathjax_source()
    hidden = hidden_test_lines(course, assignment)
    titles = {f"{notebook}/{grade_id}": title
              for (notebook, grade_id), title in item_titles(course, assignment).items()}
    roster = load_roster(course)
    names = {s.id: s.name for s in roster.students.values() if s.name}
    with warnings.catch_warnings():  # nbgrader's models make SQLAlchemy warn, once per student otherwise
        warnings.filterwarnings("ignore", category=SAWarning)
        pending = _pending(course, assignment)
        api = course.api(_feedback_config(titles, names, pending))
        outcomes = []
        for student in chosen:
            outcomes.append(_feedback_for(api, course, assignment, student, hidden, pending))
            if on_outcome is not None:
                on_outcome(outcomes[-1])
        return outcomes


def _feedback_for(api: Any, course: Course, assignment: str, student: str, hidden: set[str],
                  pending: dict[str, list[str]]) -> FeedbackOutcome:
    result = api.generate_feedback(assignment, student, force=True)
    files = sorted((course.feedback_dir / student / assignment).glob("*.html"))
    if not result.get("success") or not files:
        return FeedbackOutcome(student, (), "nbgrader could not render the feedback")
    error = _check(files, hidden)
    if error:
        return FeedbackOutcome(student, (), error)
    for page in files:
        tidy_page(page, pending.get(f"{student}/{page.stem}", []))
        offline_math(page, course)
        declare_policy(page)
    return FeedbackOutcome(student, tuple(files))
