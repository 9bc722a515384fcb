"""``dlf-course collect``: import handed-in notebooks into nbgrader's ``submitted/`` folder, losing nobody.

The source is a folder or a zip (as downloaded from an LMS; zips inside it are
opened, backslashes read as folders, one top folder shared by every file
stripped: see :mod:`dlfcourse.intake.inbox`). Whose file each one is comes from
its path, in the layout of the LMS (``--lms``, or detected and said: see
:mod:`dlfcourse.intake.lms`), or from ``--pattern``. With a roster
(:mod:`dlfcourse.intake.roster`) the students get the roster's ids.

Every file is checked before anything is written. A file that is not collected
gets one line saying why:

* hidden or system files (``.ipynb_checkpoints/``, ``__MACOSX/``, dot files) and
  files that are not notebooks (by extension): ignored, they are not hand-ins;
* an empty file, a file too large to read, invalid JSON, JSON that is not a notebook,
  a notebook without nbgrader cells, one of another assignment, a path that names
  no student: **not collected**;
* a member of a zip, or a zip inside it, that breaks a limit of what one archive may
  unpack (a zip bomb, too many files, too much in all: see :mod:`dlfcourse.intake.inbox`):
  **not collected**, with the limit it broke; the rest of the archive is still collected;
* two Moodle participants or two Canvas users whose ids would be the same (namesakes): told
  apart by their LMS numbers (``ann-lee-20231235``, ``ann-lee-20231236``; see
  :mod:`dlfcourse.intake.lms`), with a line saying so, and both collected;
* two other different students (two folder names that differ only by accents, two LMS users
  the roster cannot tell apart) whose files would get the same id: **conflict**, none of their
  files is collected;
* an older copy of a notebook that the same student also handed in later: superseded;
* not newer than the submission already collected for that student: kept as it is.

Files are read one at a time and only when they are notebooks: the bytes of one
notebook at most are held at once (an accepted notebook is read again when it is
written, and must be the same bytes).

The command exits non-zero when a notebook file was not collected or a conflict
was found: then fewer notebooks were collected than were offered, and the lines
say which and why. Accepted notebooks go to
``submitted/<student>/<assignment>/<notebook>.ipynb`` (renamed to the assignment's
notebook name) with a ``timestamp.txt`` in UTC (nbgrader's format): the file's
modification time, Blackboard's attempt time, or a zip member's time read in the
time zone given (``--timezone``, default this machine's). Where each one came from
(its path in the download) is remembered (:mod:`dlfcourse.intake.handins`), so that
feedback can be handed back in the LMS's own layout.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath

import nbformat

from dlfcourse.course import Course, CourseError
from dlfcourse.intake.budget import Refused
from dlfcourse.intake.handins import remember_handins
from dlfcourse.intake.inbox import BadSource, Entry, is_hidden, open_entries, strip_shared_top, zone_named
from dlfcourse.intake.lms import LAYOUTS, NUMBERS, Owner, describe, detect_layout, owner_of, tell_apart
from dlfcourse.intake.roster import NAMES_FILE, Student, load_roster, remember_names

__all__ = ["Accepted", "Skipped", "CollectReport", "collect", "grade_ids"]

LOST, SUPERSEDED, KEPT, IGNORED = "not collected", "superseded", "kept", "ignored"
KEPT_LINES = 5  # more submissions than this that were already collected are listed on one line


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``count`` with the noun in the right number: "1 older copy", "3 older copies"."""
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that was not collected, why, and what kind of skip it is (LOST, SUPERSEDED, KEPT, IGNORED)."""

    path: str
    reason: str
    kind: str = LOST

    def line(self) -> str:
        if self.kind == LOST:
            return f"NOT COLLECTED {self.path}: {self.reason}"
        return f"skipped {self.path}: {self.reason}"


@dataclass(frozen=True)
class Accepted:
    """A notebook to collect: from which file, for which student and which notebook of the assignment.

    It holds the way to read the file again (``entry``) and a digest of the bytes examined, not the notebook.
    """

    path: str
    student: str
    notebook: str
    modified: datetime
    entry: Entry = field(repr=False, compare=False)
    owner: Owner  # whose file it is, as the layout (or the roster) says
    digest: str = ""


@dataclass
class CollectReport:
    """What was collected, what was not and why, and what the instructor must look at."""

    layout: str = "generic"
    layout_note: str = ""
    notes: list[str] = field(default_factory=list)
    offered: int = 0  # notebook files offered (.ipynb, not hidden)
    collected: list[Accepted] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    not_on_roster: list[Owner] = field(default_factory=list)
    missing: list[Student] = field(default_factory=list)

    @property
    def lost(self) -> list[Skipped]:
        return [s for s in self.skipped if s.kind == LOST]

    @property
    def ok(self) -> bool:
        """True when every notebook offered was collected (or superseded, or already collected)."""
        return not self.lost and not self.conflicts

    def summary(self) -> str:
        students = {a.student for a in self.collected}
        count = lambda kind: sum(s.kind == kind for s in self.skipped)  # noqa: E731
        parts = [f"{counted(self.offered, 'notebook file')} offered"]
        if count(SUPERSEDED):
            parts.append(f"{counted(count(SUPERSEDED), 'older copy', 'older copies')} superseded")
        if count(KEPT):
            parts.append(f"{count(KEPT)} not newer than what was already collected")
        if count(LOST):
            parts.append(f"{count(LOST)} NOT COLLECTED (see above)")
        if count(IGNORED):
            parts.append(f"{counted(count(IGNORED), 'other file')} ignored")
        return (f"collected {counted(len(self.collected), 'notebook')} from {counted(len(students), 'student')}; "
                + ", ".join(parts))

    def lines(self) -> list[str]:
        """Notes, one line per skipped file, conflicts, roster lines, then a summary line."""
        lines = [self.layout_note, *self.notes] if self.layout_note else list(self.notes)
        kept = [s for s in self.skipped if s.kind == KEPT]
        if len(kept) > KEPT_LINES:  # a re-collect of a whole class: one line, not one per student
            lines += [s.line() for s in self.skipped if s.kind != KEPT]
            lines.append(f"skipped {len(kept)} submission(s) not newer than those already collected: "
                         + ", ".join(s.path for s in kept))
        else:
            lines += [s.line() for s in self.skipped]
        lines += [f"CONFLICT: {c}" for c in self.conflicts]
        if self.not_on_roster:
            shown = ", ".join(f"{o.id} ({o.name})" if o.name else o.id for o in self.not_on_roster)
            lines.append(f"not on the roster, collected under the id shown: {shown}")
        if self.missing:
            shown = ", ".join(f"{s.id} ({s.name})" if s.name else s.id for s in self.missing)
            lines.append(f"no submission from {len(self.missing)} student(s) on the roster: {shown}")
        return lines + [self.summary()]


def grade_ids(notebook: nbformat.NotebookNode) -> set[str]:
    """The nbgrader grade_ids of a notebook's cells."""
    return {
        cell.metadata["nbgrader"]["grade_id"]
        for cell in notebook.get("cells", [])
        if isinstance(cell.get("metadata", {}).get("nbgrader"), dict) and "grade_id" in cell.metadata["nbgrader"]
    }


def _is_notebook(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() == ".ipynb"


def _digest(data: bytes) -> str:
    """A fingerprint of a file's bytes, to check that what is written is what was examined."""
    return hashlib.sha256(data).hexdigest()


def _notebook(data: bytes) -> nbformat.NotebookNode | str:
    """``data`` as a notebook, or the reason it is not one."""
    try:
        text = data.decode("utf-8-sig")
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return f"invalid JSON ({error})"
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list) or "nbformat" not in raw:
        return "JSON, but not a Jupyter notebook (no cells or nbformat)"
    del raw
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as error:  # noqa: BLE001 - nbformat raises several kinds of errors for malformed notebooks
        return f"not a valid Jupyter notebook ({type(error).__name__}: {error})"


def _parse(entry: Entry) -> tuple[nbformat.NotebookNode, str] | str:
    """The entry as a notebook with the digest of its bytes, or the reason it is not one (read now)."""
    if entry.size == 0:
        return "empty file"
    try:
        data = entry.read()
    except Refused as refusal:
        return str(refusal)
    parsed = _notebook(data)
    return parsed if isinstance(parsed, str) else (parsed, _digest(data))


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
        return Skipped("", "a notebook without nbgrader cells (its metadata was lost, or it is not made from "
                           "one of the course's assignments): grade it by hand or ask for the original")

    def score(key: tuple[str, str]) -> tuple[float, bool]:
        return len(ids & catalog[key]) / max(1, len(catalog[key])), key[0] == assignment

    best = max(catalog, key=score)
    if score(best)[0] == 0:
        return Skipped("", "its nbgrader cells match no assignment of the course")
    if best[0] != assignment:
        return Skipped("", f"a notebook of assignment {best[0]}, not {assignment}")
    return best[1]


def _layout_help(layout: str) -> str:
    if layout in ("generic", "pattern"):
        return "no valid student id in its path (see `dlf-course collect --help`)"
    return f"its path does not follow the {describe(layout)} layout"


def _examine(entry: Entry, assignment: str, catalog: dict, layout: str, roster, pattern: str | None, zone
             ) -> Accepted | Skipped:
    """Whose notebook ``entry`` is, and which of the assignment's, or why it is not collected (read here only)."""
    if is_hidden(entry.path):
        return Skipped(entry.shown, "hidden or system file", IGNORED)
    if entry.refused:
        return Skipped(entry.shown, entry.refused)
    if not _is_notebook(entry.path):
        suffix = PurePosixPath(entry.path).suffix or "no extension"
        return Skipped(entry.shown, f"not a notebook ({suffix})", IGNORED)
    parsed = _parse(entry)
    if isinstance(parsed, str):
        return Skipped(entry.shown, parsed)
    notebook, digest = parsed
    owner = owner_of(entry.path, layout, roster, pattern, zone)
    if owner is None or not owner.id:
        return Skipped(entry.shown, _layout_help(layout))
    name = _identify(notebook, assignment, catalog)
    if isinstance(name, Skipped):
        return Skipped(entry.shown, name.reason)
    return Accepted(entry.shown, owner.id, name, owner.submitted or entry.modified, entry, owner, digest)


def _owners_by_id(candidates: list[Accepted]) -> dict[str, dict[str, Owner]]:
    """Lower-cased id -> the owners (by key) whose files would get it."""
    owners: dict[str, dict[str, Owner]] = defaultdict(dict)
    for candidate in candidates:
        owners[candidate.student.lower()][candidate.owner.key] = candidate.owner
    return owners


def _numbers_note(owners: list[Owner], ids: list[str]) -> str:
    """The line saying that namesakes were told apart by their LMS numbers."""
    return (f"{len(owners)} different students would share the id {owners[0].id!r}: "
            + ", ".join(o.shown() for o in owners)
            + f"; told apart by their numbers as {', '.join(ids)} (kept for the next downloads in "
            f".dlf-course/{NAMES_FILE}; a roster with canvas_id or participant_id columns gives them its ids)")


def _tell_namesakes_apart(candidates: list[Accepted], report: CollectReport) -> list[Accepted]:
    """Namesakes of one download that an LMS numbers (two Moodle participants, two Canvas users) get their
    numbers appended to their ids, with a line saying so; an owner an earlier collect told apart also gets one."""
    renamed: dict[str, Owner] = {}
    for owners in _owners_by_id(candidates).values():
        apart = tell_apart(list(owners.values())) if len(owners) > 1 else None
        if apart:
            renamed.update(apart)
            report.notes.append(_numbers_note(list(owners.values()), sorted(o.id for o in apart.values())))
    for owner in {c.owner.key: c.owner for c in candidates if c.owner.apart_from}.values():
        if owner.number is not None:  # always, for an owner told apart: by that number
            report.notes.append(f"{owner.shown()} is not {owner.apart_from} (another "
                                f"{NUMBERS[owner.number[0]][1]} of the same name): collected as {owner.id}")
    return [replace(c, student=renamed[c.owner.key].id, owner=renamed[c.owner.key]) if c.owner.key in renamed
            else c for c in candidates]


def _conflicts(candidates: list[Accepted], report: CollectReport) -> list[Accepted]:
    """Drop every file of an id that two different owners would share, with a CONFLICT line.

    Ids that differ only by case count as one: on macOS and Windows they are one folder.
    """
    keys: dict[str, set[str]] = defaultdict(set)
    for candidate in candidates:
        keys[candidate.student.lower()].add(candidate.owner.key)
    clashing = {student for student, found in keys.items() if len(found) > 1}
    for student in sorted(clashing):
        files = [c for c in candidates if c.student.lower() == student]
        ids = sorted({c.student for c in files})
        shown = "; ".join(f"{c.path} ({c.owner.key})" for c in files)
        named = f"the id {ids[0]!r}" if len(ids) == 1 else f"the ids {' and '.join(map(repr, ids))} (one folder)"
        report.conflicts.append(f"{len(keys[student])} different students would get {named}: {shown}. "
                                "None of them was collected: import a roster that tells them apart, by id "
                                "or by LMS number (canvas_id, participant_id: dlf-course roster import), "
                                "or give --pattern")
        for candidate in files:
            report.skipped.append(Skipped(candidate.path, f"conflict on the id {candidate.student!r} (see below)"))
    return [c for c in candidates if c.student.lower() not in clashing]


def _keep_latest(candidates: list[Accepted], report: CollectReport) -> list[Accepted]:
    """One notebook per (student, notebook): the latest; the others are reported as superseded."""
    latest: dict[tuple[str, str], Accepted] = {}
    for candidate in sorted(candidates, key=lambda a: (a.modified, a.path)):
        key = (candidate.student, candidate.notebook)
        if key in latest:
            older = latest[key]
            report.skipped.append(Skipped(older.path, f"duplicate for {candidate.student}: {candidate.path} "
                                                      f"is newer ({candidate.modified:%Y-%m-%d %H:%M:%S} UTC)",
                                          SUPERSEDED))
        latest[key] = candidate
    return sorted(latest.values(), key=lambda a: (a.student, a.notebook))


def _reread(item: Accepted) -> nbformat.NotebookNode | str:
    """The accepted notebook read again to be written, or why it cannot be (it changed since it was examined)."""
    try:
        data = item.entry.read()
    except Refused as refusal:
        return str(refusal)
    if _digest(data) != item.digest:
        return "it changed while it was being collected: collect again"
    parsed = _notebook(data)
    return parsed if not isinstance(parsed, str) else f"it changed while it was being collected ({parsed})"


def _write(course: Course, assignment: str, accepted: list[Accepted]) -> list[Skipped]:
    """Write notebooks one at a time (each through a temporary file, so none is ever half-written), then
    timestamps; returns those that could not be read again (nothing of theirs is written)."""
    failed, written = [], []
    for item in accepted:
        notebook = _reread(item)
        if isinstance(notebook, str):
            failed.append(Skipped(item.path, notebook))
            continue
        folder = course.submitted_dir / item.student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{item.notebook}.ipynb.tmp"
        nbformat.write(notebook, temporary)
        temporary.replace(folder / f"{item.notebook}.ipynb")
        written.append(item)
    for student in {a.student for a in written}:
        times = [a.modified for a in written if a.student == student]
        previous = course.state.submission_time(assignment, student)
        course.state.record_submission_time(assignment, student, max(times + ([previous] if previous else [])))
    return failed


def _choose_layout(entries: list[Entry], lms: str | None, pattern: str | None) -> tuple[str, str]:
    notebooks = [e.path for e in entries if _is_notebook(e.path) and not is_hidden(e.path)]
    if pattern is not None:
        return "pattern", f"layout: --pattern {pattern}"
    if lms is not None:
        if lms not in LAYOUTS + ("generic",):
            raise CourseError(f"unknown --lms {lms!r}: choose one of {', '.join(LAYOUTS)} or generic")
        return lms, f"layout: {describe(lms)} (from --lms)"
    layout, matching = detect_layout(notebooks)
    if layout == "generic":
        return layout, (f"layout: {describe('generic')} (detected: no LMS layout fits most of the "
                        f"{len(notebooks)} notebook file(s); --lms moodle|canvas|blackboard to force one)")
    return layout, (f"layout: {describe(layout)} (detected: {matching} of {len(notebooks)} notebook file(s) "
                    f"match; --lms to force another)")


def _check_offered(source: Path, entries: list[Entry]) -> None:
    """BadSource if ``source`` offers nothing to collect: no file, or no notebook (nor an archive not opened)."""
    if not entries:
        raise BadSource(f"{source} is empty: there is no file to collect in it")
    visible = [e for e in entries if not is_hidden(e.path)]
    if not any(_is_notebook(e.path) or e.refused for e in visible):
        others = ", ".join(e.shown for e in visible[:3]) or "only hidden or system files"
        raise BadSource(f"no notebook (.ipynb) in {source}: {len(visible)} other file(s) ({others})")


def _start(source: Path, entries: list[Entry], lms: str | None, pattern: str | None, zone_name: str
           ) -> tuple[CollectReport, list[Entry]]:
    """The report with its layout and notes, and the entries with a shared top folder stripped."""
    entries, stripped = strip_shared_top(entries)
    _check_offered(source, entries)
    report = CollectReport(*_choose_layout(entries, lms, pattern))
    if stripped:
        report.notes.append(f"the top folder {stripped!r} that every file shares was stripped")
    if source.is_file():
        report.notes.append(f"zip times read as {zone_name} time (--timezone to change)")
    report.offered = sum(_is_notebook(e.path) and not is_hidden(e.path) for e in entries)
    return report, entries


def _examine_all(entries: list[Entry], report: CollectReport, assignment: str, catalog: dict, roster,
                 pattern: str | None, zone) -> Iterator[Accepted]:
    """The entries that are notebooks of the assignment with an owner; the others go to the report."""
    for entry in entries:
        decision = _examine(entry, assignment, catalog, report.layout, roster, pattern, zone)
        if isinstance(decision, Skipped):
            report.skipped.append(decision)
        else:
            yield decision


def _newer(course: Course, assignment: str, accepted: list[Accepted], report: CollectReport) -> list[Accepted]:
    """The accepted notebooks newer than what was already collected for their student; the others are KEPT."""
    newer = []
    for item in accepted:
        previous = course.state.submission_time(assignment, item.student)
        if previous is not None and previous >= item.modified:
            report.skipped.append(Skipped(item.path, f"not newer than the submission of {item.student} "
                                                     f"already collected ({previous:%Y-%m-%d %H:%M:%S} UTC)", KEPT))
        else:
            newer.append(item)
    return newer


def _finish(course: Course, assignment: str, report: CollectReport, roster) -> None:
    """Remember the students' names; note late submissions, students not on the roster and those missing."""
    owners = {a.owner.id: a.owner for a in report.collected}
    remember_names(course, [o.as_student() for o in owners.values()])
    late = sorted(a.student for a in report.collected if a.owner.late)
    if late:
        report.notes.append(f"Canvas marked {len(late)} submission(s) late: {', '.join(late)} (nbgrader's late "
                            "penalty comes from the time and the due date)")
    if roster.imported:
        report.not_on_roster = [o for o in owners.values() if not o.on_roster]
        handed_in = set(course.submitted_students(assignment))
        report.missing = [roster.get(s) for s in sorted(roster.imported_ids - handed_in)]


def collect(course: Course, assignment: str, source: Path, pattern: str | None = None, *,
            lms: str | None = None, timezone_name: str | None = None) -> CollectReport:
    """Collect the notebooks of ``assignment`` found in ``source`` (a folder or a zip); see the module docstring."""
    course.source_notebooks(assignment)
    zone, zone_name = zone_named(timezone_name)
    source = Path(source)
    roster = load_roster(course)
    with open_entries(source, zone) as entries:
        report, entries = _start(source, entries, lms, pattern, zone_name)
        candidates = list(_examine_all(entries, report, assignment, _catalog(course), roster, pattern, zone))
        candidates = _conflicts(_tell_namesakes_apart(candidates, report), report)
        report.collected = _newer(course, assignment, _keep_latest(candidates, report), report)
        failed = _write(course, assignment, report.collected)
    unwritten = {f.path for f in failed}
    report.skipped += failed
    report.collected = [a for a in report.collected if a.path not in unwritten]
    remember_handins(course, assignment, report.layout,
                     [(a.student, a.notebook, a.entry.path) for a in report.collected])
    _finish(course, assignment, report, roster)
    return report
