"""``dlf-course collect``: import handed-in notebooks into nbgrader's ``submitted/`` folder.

Every file is checked before anything is written. A file that is skipped gets
one line in the report saying why:

* hidden or system files (``.ipynb_checkpoints/``, ``__MACOSX/``, dot files);
* not a notebook (by its extension), an empty file, a file too large to read;
* invalid JSON, or JSON that is not a Jupyter notebook;
* a notebook without nbgrader cells, or one of another assignment;
* no valid student id in its path (see :mod:`dlfcourse.intake.inbox`);
* a duplicate: the same student handed in the same notebook more than once —
  the latest (by modification time) is kept;
* older than the submission already collected for that student.

Accepted notebooks go to ``submitted/<student>/<assignment>/<notebook>.ipynb``
(renamed to the assignment's notebook name) with a ``timestamp.txt``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from dlfcourse.course import Course
from dlfcourse.intake.inbox import MAX_BYTES, Entry, read_entries, student_of

__all__ = ["Accepted", "Skipped", "CollectReport", "collect", "grade_ids", "read_timestamp"]


@dataclass(frozen=True)
class Skipped:
    """A file that was not collected, and why."""

    path: str
    reason: str

    def line(self) -> str:
        return f"skipped {self.path}: {self.reason}"


@dataclass(frozen=True)
class Accepted:
    """A notebook to collect: from which file, for which student and which notebook of the assignment."""

    path: str
    student: str
    notebook: str
    modified: datetime
    content: nbformat.NotebookNode


@dataclass
class CollectReport:
    """Collected notebooks and skipped files, in the order they were decided."""

    collected: list[Accepted] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per skipped file, then a summary line."""
        students = {a.student for a in self.collected}
        summary = f"collected {len(self.collected)} notebook(s) from {len(students)} student(s), " \
                  f"skipped {len(self.skipped)} file(s)"
        return [s.line() for s in self.skipped] + [summary]


def grade_ids(notebook: nbformat.NotebookNode) -> set[str]:
    """The nbgrader grade_ids of a notebook's cells."""
    return {
        cell.metadata["nbgrader"]["grade_id"]
        for cell in notebook.get("cells", [])
        if isinstance(cell.get("metadata", {}).get("nbgrader"), dict) and "grade_id" in cell.metadata["nbgrader"]
    }


def _is_hidden(path: str) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in path.split("/"))


def _parse(entry: Entry) -> nbformat.NotebookNode | str:
    """The entry as a notebook, or the reason it is not one."""
    if not entry.path.lower().endswith(".ipynb"):
        suffix = Path(entry.path).suffix or "no extension"
        return f"not a notebook ({suffix})"
    if entry.size == 0:
        return "empty file"
    if entry.data is None:
        return f"too large ({entry.size} bytes, the limit is {MAX_BYTES})"
    try:
        raw = json.loads(entry.data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return f"invalid JSON ({error})"
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list) or "nbformat" not in raw:
        return "JSON, but not a Jupyter notebook (no cells or nbformat)"
    try:
        return nbformat.reads(entry.data.decode("utf-8"), as_version=4)
    except Exception as error:  # nbformat raises several kinds of errors for malformed notebooks
        return f"not a valid Jupyter notebook ({type(error).__name__}: {error})"


def _catalog(course: Course) -> dict[tuple[str, str], set[str]]:
    """(assignment, notebook name) -> grade_ids of its source notebook, for every assignment of the course."""
    return {
        (assignment, path.stem): grade_ids(nbformat.read(path, as_version=4))
        for assignment in course.assignments()
        for path in course.source_notebooks(assignment)
    }


def _identify(notebook: nbformat.NotebookNode, assignment: str, catalog: dict[tuple[str, str], set[str]]
              ) -> str | Skipped:
    """The name of the assignment's notebook this one is a copy of, or a Skipped reason (path filled later)."""
    ids = grade_ids(notebook)
    if not ids:
        return Skipped("", "a notebook without nbgrader cells: not made from one of the course's assignments")

    def score(key: tuple[str, str]) -> tuple[float, bool]:
        return len(ids & catalog[key]) / max(1, len(catalog[key])), key[0] == assignment

    best = max(catalog, key=score)
    if score(best)[0] == 0:
        return Skipped("", "its nbgrader cells match no assignment of the course")
    if best[0] != assignment:
        return Skipped("", f"a notebook of assignment {best[0]}, not {assignment}")
    return best[1]


def _examine(entry: Entry, assignment: str, catalog: dict[tuple[str, str], set[str]], pattern: str | None
             ) -> Accepted | Skipped:
    if _is_hidden(entry.path):
        return Skipped(entry.path, "hidden or system file")
    parsed = _parse(entry)
    if isinstance(parsed, str):
        return Skipped(entry.path, parsed)
    student = student_of(entry.path, pattern)
    if student is None:
        return Skipped(entry.path, "no valid student id in its path (see `dlf-course collect --help`)")
    name = _identify(parsed, assignment, catalog)
    if isinstance(name, Skipped):
        return Skipped(entry.path, name.reason)
    return Accepted(entry.path, student, name, entry.modified, parsed)


def _keep_latest(candidates: list[Accepted], report: CollectReport) -> list[Accepted]:
    """One notebook per (student, notebook): the latest; the others are reported as duplicates."""
    latest: dict[tuple[str, str], Accepted] = {}
    for candidate in sorted(candidates, key=lambda a: (a.modified, a.path)):
        key = (candidate.student, candidate.notebook)
        if key in latest:
            older = latest[key]
            report.skipped.append(Skipped(older.path, f"duplicate for {candidate.student}: {candidate.path} "
                                                      f"is newer ({candidate.modified:%Y-%m-%d %H:%M:%S})"))
        latest[key] = candidate
    return sorted(latest.values(), key=lambda a: (a.student, a.notebook))


def _format_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def read_timestamp(folder: Path) -> datetime | None:
    """The time in ``folder/timestamp.txt`` (nbgrader's format), or None if missing or unreadable."""
    try:
        text = (folder / "timestamp.txt").read_text().strip()
        return datetime.strptime(text.removesuffix(" UTC"), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    except (OSError, ValueError):
        return None


def _write(course: Course, assignment: str, accepted: list[Accepted]) -> None:
    """Write notebooks (each through a temporary file, so none is ever half-written) and timestamps."""
    for item in accepted:
        folder = course.submitted_dir / item.student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{item.notebook}.ipynb.tmp"
        nbformat.write(item.content, temporary)
        temporary.replace(folder / f"{item.notebook}.ipynb")
    for student in {a.student for a in accepted}:
        folder = course.submitted_dir / student / assignment
        times = [a.modified for a in accepted if a.student == student]
        previous = read_timestamp(folder)
        (folder / "timestamp.txt").write_text(_format_time(max(times + ([previous] if previous else []))))


def collect(course: Course, assignment: str, source: Path, pattern: str | None = None) -> CollectReport:
    """Collect the notebooks of ``assignment`` found in ``source`` (a folder or a zip); see the module docstring."""
    course.source_notebooks(assignment)
    catalog = _catalog(course)
    report = CollectReport()
    candidates = []
    for entry in read_entries(Path(source)):
        decision = _examine(entry, assignment, catalog, pattern)
        (report.skipped if isinstance(decision, Skipped) else candidates).append(decision)
    for item in _keep_latest(candidates, report):
        previous = read_timestamp(course.submitted_dir / item.student / assignment)
        if previous is not None and previous >= item.modified:
            report.skipped.append(Skipped(item.path, f"not newer than the submission of {item.student} "
                                                     f"already collected ({previous:%Y-%m-%d %H:%M:%S})"))
        else:
            report.collected.append(item)
    _write(course, assignment, report.collected)
    return report
