"""The class roster: who the students are, their names, emails and their ids in the LMS.

``dlf-course roster import FILE`` reads a CSV with one row per student and stores
it as ``.dlf-course/roster.csv`` in the course. Columns (header names are matched
without regard to case, spaces or underscores; only ``id`` and ``name`` are required):

============== ===================================================================
``id``          the course's id of the student (the folder in ``submitted/``)
``name``        the full name, as the LMS shows it (any letters: ``Jürgen Müller``)
``email``       used by the Moodle export (``Email address``)
``canvas_id``   Canvas's numeric user id (the ``ID`` column of a Canvas gradebook export)
``sis_user_id`` ``SIS User ID`` (Canvas) ; ``sis_login_id``: ``SIS Login ID`` (Canvas)
``section``     the Canvas section
``id_number``   Moodle's "ID number" (Moodle's export identifies students by it or by email)
``username``    the LMS login (Blackboard downloads name files after it)
``participant_id`` Moodle's participant number (the ``12345`` of ``Full Name_12345_assignsubmission_file_``;
                its grading worksheet's ``Identifier`` column, ``Participant 12345``, is read as ``12345``)
============== ===================================================================

A Canvas gradebook export (``Student, ID, SIS User ID, SIS Login ID, Section, ...``) can be
imported as it is: its ``ID`` becomes both the id and the Canvas id.

Aliases: ``student id`` for ``id``; ``full name``/``student`` for ``name``;
``email address`` for ``email``; ``canvas user id`` for ``canvas_id``; ``id number``/``moodle id`` for
``id_number``; ``login`` for ``username``; ``participant``/``identifier`` for ``participant_id``.

Students are told apart by their LMS numbers (Canvas user id, Moodle participant number): a
student whose number is known is found by it, and a name matches only students without a
number of that kind (two Moodle participants named ``Ann Lee`` are two students).

Ids are made safe for folder names and nbgrader by :func:`normalise_id`
(``Jürgen.Müller`` becomes ``Jurgen.Muller``); names are kept as written.

``collect`` also remembers, in ``.dlf-course/names.csv``, the names and LMS ids it read
in the files' paths of students who are not on the roster; :func:`load_roster` merges them in.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from dlfcourse.course import Course, CourseError, write_text_atomically

__all__ = ["RosterError", "Student", "Roster", "normalise_id", "name_key", "canvas_key", "read_roster_csv",
           "import_roster", "load_roster", "remember_names", "ROSTER_FILE", "NAMES_FILE"]


class RosterError(CourseError):
    """A roster file that cannot be imported: the message names the file, the line and what is wrong."""


ROSTER_FILE = "roster.csv"
NAMES_FILE = "names.csv"

_ALIASES = {
    "id": "id", "studentid": "id", "student_id": "id",
    "name": "name", "fullname": "name", "student": "name", "studentname": "name",
    "email": "email", "emailaddress": "email", "mail": "email",
    "canvasid": "canvas_id", "canvasuserid": "canvas_id",
    "sisuserid": "sis_user_id", "sisid": "sis_user_id",
    "sisloginid": "sis_login_id",
    "section": "section",
    "idnumber": "id_number", "moodleid": "id_number", "moodleidnumber": "id_number",
    "username": "username", "login": "username", "user": "username",
    "participantid": "participant_id", "participant": "participant_id", "identifier": "participant_id",
    "moodleparticipantid": "participant_id",
}
#: Letters that NFKD does not take apart into an ASCII letter and an accent.
_LETTERS = {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L",
            "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i"}


@dataclass(frozen=True)
class Student:
    """One student of the roster; every field but ``id`` may be empty."""

    id: str
    name: str = ""
    email: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    id_number: str = ""
    username: str = ""
    participant_id: str = ""  # Moodle's participant number, as in its download's folder names


FIELDS = [f.name for f in fields(Student)]


def _ascii(text: str) -> str:
    text = "".join(_LETTERS.get(ch, ch) for ch in text)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()


def normalise_id(text: str, lower: bool = False) -> str:
    """An id safe for folders and nbgrader: ASCII letters and digits, ``. @ - _``; '' if nothing is left.

    Accents are dropped (``Jürgen`` → ``Jurgen``), other characters become ``-``
    (``Judy Jones`` → ``Judy-Jones``; with ``lower``: ``judy-jones``).
    """
    text = _ascii(unicodedata.normalize("NFC", text.strip()))
    text = re.sub(r"[^A-Za-z0-9.@_-]+", "-", text)
    text = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", text)
    text = re.sub(r"\.{2,}", ".", text)
    return text.lower() if lower else text


def name_key(name: str) -> str:
    """A full name for comparison: accents dropped, case and spacing ignored (``Jürgen  Müller`` → ``jurgen
    muller``)."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", _ascii(unicodedata.normalize("NFC", name)).lower()).split())


def canvas_key(name: str) -> str:
    """Canvas's file-name form of a full name: last name then first, lower case, letters only.

    ``Judy Jones`` and ``Jones, Judy`` both give ``jonesjudy``.
    """
    if "," in name:
        last, first = name.split(",", 1)
    else:
        words = name.split()
        last, first = (words[-1], " ".join(words[:-1])) if words else ("", "")
    return re.sub(r"[^a-z0-9]", "", _ascii(last + first).lower())


@dataclass
class Roster:
    """The students by id, and the ids of those on the imported roster (the others were learnt by collect)."""

    students: dict[str, Student]
    imported_ids: frozenset[str] = frozenset()

    @property
    def imported(self) -> bool:
        """True when a roster was imported."""
        return bool(self.imported_ids)

    def __contains__(self, student_id: str) -> bool:
        return student_id in self.students

    def get(self, student_id: str) -> Student:
        return self.students.get(student_id) or Student(student_id)

    def name(self, student_id: str) -> str:
        return self.get(student_id).name

    def find(self, **wanted: str) -> Student | None:
        """The one student whose field equals each given value (names compared by :func:`name_key`)."""
        for key, value in wanted.items():
            if not value:
                continue
            if key == "name":
                found = [s for s in self.students.values() if s.name and name_key(s.name) == name_key(value)]
            elif key == "canvas_name":
                login = re.sub(r"[^a-z0-9]", "", _ascii(unicodedata.normalize("NFC", value)).lower())
                found = [s for s in self.students.values() if s.name and canvas_key(s.name) == login]
            elif key == "email_local":
                found = [s for s in self.students.values() if s.email.split("@")[0].lower() == value.lower()]
            else:
                found = [s for s in self.students.values() if getattr(s, key) and getattr(s, key) == value]
            if len(found) == 1:
                return found[0]
        return None

    def find_numbered(self, number_field: str, number: str, **wanted: str) -> Student | None:
        """The student whose LMS number ``number_field`` is ``number`` (on the imported roster first); else the
        one :meth:`find` matches among the students without such a number (one with another number is another
        LMS user, whatever the name)."""
        numbered = [s for s in self.students.values() if getattr(s, number_field) == number] if number else []
        if len(numbered) > 1:  # the imported roster before what collect learnt
            numbered = [s for s in numbered if s.id in self.imported_ids] or numbered
        if numbered:
            return numbered[0] if len(numbered) == 1 else None
        unnumbered = {k: s for k, s in self.students.items() if not getattr(s, number_field)}
        return Roster(unnumbered, self.imported_ids).find(**wanted)

    def namesakes(self, name: str) -> list[Student]:
        """The students whose name is ``name`` (compared by :func:`name_key`); none for an empty name."""
        wanted = name_key(name)
        return [s for s in self.students.values() if wanted and s.name and name_key(s.name) == wanted]

    def holder(self, student_id: str) -> Student | None:
        """The student whose id is ``student_id`` regardless of case (one folder on macOS and Windows), or None."""
        wanted = student_id.lower()
        return next((s for key, s in self.students.items() if key.lower() == wanted), None)


def _header(name: str) -> str | None:
    return _ALIASES.get(re.sub(r"[\s_]+", "", name.strip().lower()).replace("-", ""))


def read_roster_csv(text: str, origin: str = "the roster", notes: list[str] | None = None) -> list[Student]:
    """Students of a roster CSV (see the module docstring); RosterError naming the first problem.

    ``notes`` receives one line per id that had to be changed to be safe.
    """
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise RosterError(f"{origin} is empty: it needs a header row with at least the columns id and name")
    header = [_header(h) for h in rows[0]]
    canvas_export = [h.strip().lower() for h in rows[0][:3]] == ["student", "id", "sis user id"]
    missing = [c for c in ("id", "name") if c not in header]
    if missing:
        raise RosterError(f"{origin} has no column {' or '.join(missing)} (its header is: {', '.join(rows[0])}); "
                          "the columns are id, name, email and optionally canvas_id, sis_user_id, sis_login_id, "
                          "section, id_number, username")
    students: list[Student] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        values = {key: cell.strip() for key, cell in zip(header, row, strict=False) if key}
        if canvas_export:  # a Canvas gradebook export: its ID is Canvas's user id
            values.setdefault("canvas_id", values.get("id", ""))
        if values.get("name", "").lower() == "points possible":
            continue  # the second row of a Canvas gradebook export
        if values.get("participant_id"):  # Moodle's worksheet writes "Participant 12345"
            values["participant_id"] = re.sub(r"^\D+", "", values["participant_id"])
        raw = values.get("id", "")
        student_id = normalise_id(raw)
        if not student_id:
            raise RosterError(f"{origin}, line {number}: no usable id ({raw!r}); ids need letters or digits")
        if student_id in seen:
            raise RosterError(f"{origin}, lines {seen[student_id]} and {number}: the same id {student_id!r}")
        seen[student_id] = number
        if student_id != raw and notes is not None:
            notes.append(f"line {number}: the id {raw!r} is stored as {student_id!r}")
        students.append(Student(**{**values, "id": student_id}))
    if not students:
        raise RosterError(f"{origin} has a header but no student")
    return students


def _write(path: Path, students: list[Student]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(asdict(s) for s in students)
    write_text_atomically(path, buffer.getvalue())


def _read(path: Path) -> list[Student]:
    if not path.is_file():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return [Student(**{k: v or "" for k, v in row.items() if k in FIELDS}) for row in csv.DictReader(handle)]


def import_roster(course: Course, source: Path) -> tuple[list[Student], list[str]]:
    """Replace the course's roster with ``source``; return its students and notes about changed ids."""
    source = Path(source)
    if not source.is_file():
        raise RosterError(f"{source} does not exist" if not source.exists() else f"{source} is not a file")
    raw = source.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # Excel on Windows
    notes: list[str] = []
    students = read_roster_csv(text, str(source), notes)
    _write(course.state_dir / ROSTER_FILE, students)
    return students, notes


def load_roster(course: Course) -> Roster:
    """The imported roster (if any), completed with the names collect learnt (``names.csv``)."""
    imported = {s.id: s for s in _read(course.state_dir / ROSTER_FILE)}
    learnt = {s.id: s for s in _read(course.state_dir / NAMES_FILE)}
    merged = dict(imported)
    for student_id, student in learnt.items():
        if student_id in merged:
            known = merged[student_id]
            merged[student_id] = replace(known, **{f: getattr(student, f) for f in FIELDS
                                                   if not getattr(known, f) and getattr(student, f)})
        else:
            merged[student_id] = student
    return Roster(merged, frozenset(imported))


def remember_names(course: Course, students: list[Student]) -> None:
    """Add (or complete) what collect learnt about students: names and LMS ids seen in the files' paths."""
    known = {s.id: s for s in _read(course.state_dir / NAMES_FILE)}
    changed = False
    for student in students:
        old = known.get(student.id)
        new = student if old is None else replace(old, **{f: getattr(student, f) for f in FIELDS
                                                           if getattr(student, f) and not getattr(old, f)})
        if new != old:
            known[student.id] = new
            changed = True
    if changed:
        _write(course.state_dir / NAMES_FILE, sorted(known.values(), key=lambda s: s.id))
