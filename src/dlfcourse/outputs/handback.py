"""``dlf-course feedback ASSIGNMENT --archive canvas|moodle``: a class's feedback in one zip the LMS maps back.

The feedback pages (``feedback/<student>/<assignment>/<notebook>.html``) are packed in the
layout the LMS's bulk upload reads, each page named ``<notebook>-feedback.html``:

``canvas``
    For the assignment's *Submissions* page, *Re-upload Submissions*. Every file is named like
    the student's file in Canvas's submission download, ``jonesjudy_12345_67890_04-softmax-feedback.html``:
    Canvas reads the first two numbers as the user id and the id of the file the student handed
    in, and attaches the page to a comment on that submission. Both numbers come from the file
    names of the Canvas download the notebook was collected from (:mod:`dlfcourse.intake.handins`);
    a student collected otherwise is left out, with a line saying so. Canvas keeps no folders.
``moodle``
    For the assignment's *View all submissions*, *Upload multiple feedback files in a zip* (the
    assignment needs the *Feedback files* feedback type). One folder per participant, named as in
    Moodle's download, ``Judy Jones_20231234_assignsubmission_file_/04-softmax-feedback.html``:
    Moodle reads the participant number after the first ``_`` and adds the files below the folder
    to that participant's feedback files. The number comes from the Moodle download the notebook
    was collected from, or from the roster's ``participant_id``; a student with neither is left out.

The pages go without the ``mathjax/`` folder that renders their equations offline (one copy per
student would make the zip 0.7 MB a student larger): in the LMS, formulas show as their TeX
source; the folders in ``feedback/`` have it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from dlfcourse.course import Course, CourseError
from dlfcourse.intake.handins import Handin, canvas_upload_name, load_handins, moodle_folder, moodle_participant
from dlfcourse.intake.roster import Roster, load_roster

__all__ = ["ARCHIVES", "ArchiveResult", "feedback_archive", "default_archive", "LAYOUT_SHOWN"]

ARCHIVES = ("canvas", "moodle")
#: How each layout is described to the instructor (which upload, which names).
LAYOUT_SHOWN = {
    "canvas": "Canvas's Re-upload Submissions layout (lastfirst_<user id>_<file id>_<notebook>-feedback.html)",
    "moodle": "Moodle's 'Upload multiple feedback files in a zip' layout "
              "(Full Name_<participant>_assignsubmission_file_/<notebook>-feedback.html)",
}


@dataclass
class ArchiveResult:
    """The archive written, who is in it, and who is not (student -> why)."""

    path: Path
    lms: str
    students: list[str] = field(default_factory=list)
    files: int = 0
    left_out: dict[str, str] = field(default_factory=dict)


def default_archive(course: Course, assignment: str, lms: str) -> Path:
    """Where the archive goes unless told: ``feedback-<assignment>-<lms>.zip`` in the course."""
    return course.root / f"feedback-{assignment}-{lms}.zip"


def _page_name(page: Path) -> str:
    return f"{page.stem}-feedback.html"


def _canvas_members(student: str, pages: list[Path], handins: dict[tuple[str, str], Handin]
                    ) -> dict[str, Path] | str:
    """Archive name -> page for one student in Canvas's layout, or why the student cannot be in it."""
    members = {}
    for page in pages:
        handin = handins.get((student, page.stem))
        name = canvas_upload_name(handin, _page_name(page)) if handin else None
        if name is None:
            return ("not collected from a Canvas download: Canvas maps a file back by the user id and the "
                    "submitted file's id in its download's file names")
        members[name] = page
    return members


def _moodle_members(student: str, pages: list[Path], handins: dict[tuple[str, str], Handin], roster: Roster
                    ) -> dict[str, Path] | str:
    """Archive name -> page for one student in Moodle's layout, or why the student cannot be in it."""
    found = [moodle_participant(h) for (s, _), h in handins.items() if s == student]
    participant = next((p for p in found if p), None)
    known = roster.get(student)
    if participant is None and known.participant_id:
        participant = (known.name or student, known.participant_id)
    if participant is None:
        return ("no Moodle participant number: collect from a Moodle download, or import a roster with a "
                "participant_id column")
    folder = moodle_folder(*participant)
    return {f"{folder}/{_page_name(page)}": page for page in pages}


def _pages(course: Course, assignment: str, students: Iterable[str] | None) -> dict[str, list[Path]]:
    """Student -> their feedback pages of ``assignment`` (students with none are not listed)."""
    folders = sorted(p for p in course.feedback_dir.glob(f"*/{assignment}") if p.is_dir())
    wanted = set(students) if students is not None else None
    pages = {f.parent.name: sorted(f.glob("*.html")) for f in folders if wanted is None or f.parent.name in wanted}
    return {s: p for s, p in pages.items() if p}


def _write_zip(path: Path, members: dict[str, Path]) -> None:
    """Write ``members`` (archive name -> file) into the zip ``path``, through a temporary file."""
    temporary = path.with_name(f".{path.name}.tmp")
    stamp = datetime.now().timetuple()[:6]
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in sorted(members.items()):
            archive.writestr(zipfile.ZipInfo(name, stamp), source.read_bytes(), zipfile.ZIP_DEFLATED)
    temporary.replace(path)


def feedback_archive(course: Course, assignment: str, lms: str, output: Path | None = None,
                     students: Iterable[str] | None = None) -> ArchiveResult:
    """Pack the feedback pages of ``assignment`` (of ``students``, default everyone with feedback) for ``lms``."""
    if lms not in ARCHIVES:
        raise CourseError(f"unknown --archive {lms!r}: choose one of {', '.join(ARCHIVES)}")
    pages = _pages(course, assignment, students)
    if not pages:
        raise CourseError(f"no feedback pages of {assignment} to pack: run `dlf-course feedback {assignment}` first")
    handins, roster = load_handins(course, assignment), load_roster(course)
    result = ArchiveResult(Path(output) if output else default_archive(course, assignment, lms), lms)
    members: dict[str, Path] = {}
    for student, files in pages.items():
        placed = (_canvas_members(student, files, handins) if lms == "canvas"
                  else _moodle_members(student, files, handins, roster))
        if isinstance(placed, str):
            result.left_out[student] = placed
            continue
        members.update(placed)
        result.students.append(student)
    if not members:
        raise CourseError(f"no student's feedback can go in a {lms} archive: "
                          + next(iter(result.left_out.values())))
    _write_zip(result.path, members)
    result.files = len(members)
    return result
