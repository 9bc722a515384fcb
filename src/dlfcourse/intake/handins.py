"""Where each collected notebook came from, so that feedback can go back the way it came.

``collect`` records, per assignment, the path of every notebook it wrote as it was in the
download (``.dlf-course/handins/<assignment>.csv``: student, notebook, layout, path). Handing
feedback back through an LMS in bulk needs what those paths hold:

* **Canvas** (the assignment's *Submissions* page, *Re-upload Submissions*): a zip of files named
  like its submission download, ``jonesjudy_12345_67890_<anything>``. Canvas reads the first two
  numbers of each file's name as the user id and the id of the file that user submitted, and
  attaches the file to a comment on that submission ("See attached file"); folders in the zip are
  not kept. Only a notebook collected from a Canvas download carries both numbers.
* **Moodle** (the assignment's *Submissions* page, *Upload multiple feedback files in a zip*, with
  *Feedback files* enabled): a zip with one folder per participant, named as in its download,
  ``Full Name_<participant number>_assignsubmission_file_/``. Moodle reads the number after the
  first ``_`` and keeps the files below the folder (sub-folders included) as that participant's
  feedback files. The number comes from a Moodle download, or from the roster (``participant_id``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from dlfcourse.course import Course, write_text_atomically
from dlfcourse.intake.lms import path_parts

__all__ = ["Handin", "remember_handins", "load_handins", "canvas_upload_name", "moodle_folder",
           "moodle_participant", "HANDINS_DIR"]

HANDINS_DIR = "handins"


@dataclass(frozen=True)
class Handin:
    """One collected notebook: whose, which notebook of the assignment, and its path in the download."""

    student: str
    notebook: str
    layout: str  # the layout collect read the download in ("moodle", "canvas", "generic", ...)
    path: str  # relative, with "/" (a top folder every file shared already stripped)


_FIELDS = [f.name for f in fields(Handin)]


def _file(course: Course, assignment: str) -> Path:
    return course.state_dir / HANDINS_DIR / f"{assignment}.csv"


def load_handins(course: Course, assignment: str) -> dict[tuple[str, str], Handin]:
    """(student, notebook) -> where that notebook was collected from (the latest collect of it)."""
    path = _file(course, assignment)
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as handle:
        rows = [Handin(**{k: row.get(k) or "" for k in _FIELDS}) for row in csv.DictReader(handle)]
    return {(h.student, h.notebook): h for h in rows}


def remember_handins(course: Course, assignment: str, layout: str, written: Iterable[tuple[str, str, str]]) -> None:
    """Record (student, notebook, path) of each notebook just written, replacing what an earlier collect said."""
    known = load_handins(course, assignment)
    new = {(student, notebook): Handin(student, notebook, layout, path) for student, notebook, path in written}
    if not new:
        return
    known.update(new)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, _FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(asdict(h) for _, h in sorted(known.items()))
    path = _file(course, assignment)
    write_text_atomically(path, buffer.getvalue())


def canvas_upload_name(handin: Handin, filename: str) -> str | None:
    """``filename`` named as Canvas maps it back to the submission ``handin`` came from, or None if it did
    not come from a Canvas download: ``jonesjudy_12345_67890_`` + ``filename``."""
    found = path_parts(handin.path, "canvas") if handin.layout == "canvas" else None
    if found is None:
        return None
    return f"{found['login']}{found['late']}_{found['uid']}_{found['sub']}_{filename}"


def moodle_participant(handin: Handin) -> tuple[str, str] | None:
    """(full name, participant number) of a notebook collected from a Moodle download, else None."""
    found = path_parts(handin.path, "moodle") if handin.layout == "moodle" else None
    return (found["name"].strip(), found["number"]) if found else None


def moodle_folder(name: str, participant: str) -> str:
    """A participant's folder in Moodle's feedback zip: ``Judy Jones_20231234_assignsubmission_file_``.

    Moodle splits the folder's name at ``_``: one inside the name would hide the number, so it
    becomes a space.
    """
    clean = " ".join(name.replace("_", " ").replace("/", " ").split()) or "student"
    return f"{clean}_{participant}_assignsubmission_file_"
