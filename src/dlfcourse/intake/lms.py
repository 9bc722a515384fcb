"""Whose file is it? The layouts of the common LMS downloads, and how one is recognised.

============  ==================================================================  =========================
layout        a file in the download                                               what names the student
============  ==================================================================  =========================
moodle        ``Judy Jones_20231234_assignsubmission_file_/04-softmax.ipynb``      full name, participant
              (or ``..._assignsubmission_file_04-softmax.ipynb`` without folders)  number
canvas        ``jonesjudy_12345_67890_04-softmax.ipynb``,                          Canvas user id (12345)
              late: ``jonesjudy_LATE_12345_67890_...``
blackboard    ``Softmax_jjones_attempt_2024-10-01-12-00-00_04-softmax.ipynb``      user name; the attempt
                                                                                  time
generic       ``<student>/<anything>.ipynb`` or ``<student>_<anything>.ipynb``    the folder, or the name
                                                                                  up to ``_``
============  ==================================================================  =========================

Each file gets an :class:`Owner`: a *key* that is the same for every file of one
student in one download (two different keys must never share an id), a proposed
id, the name as the LMS wrote it and the LMS ids it shows. With a roster, the
owner is looked up there (Canvas user id, Moodle participant number, names, user
names, emails) and takes the roster's id.

Namesakes: Moodle and Canvas number their users (:data:`NUMBERS`), and a number
decides. A student the roster (or an earlier collect, ``names.csv``) knows by their
number keeps the id they had; a name matches only students without a number. A new
LMS user whose proposed id is already a student with another number gets the number
appended (``ann-lee-20231236``), and so do two new users of one download who would
share an id (:func:`tell_apart`). Collect remembers the numbers, so the same student
gets the same id in the next download.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone, tzinfo
from pathlib import PurePosixPath

from dlfcourse.intake.inbox import student_of
from dlfcourse.intake.roster import Roster, Student, normalise_id

__all__ = ["LAYOUTS", "NUMBERS", "Owner", "owner_of", "detect_layout", "describe", "tell_apart", "numbered_id",
           "path_parts"]

LAYOUTS = ("moodle", "canvas", "blackboard")
#: The layouts that number their users: layout -> (the Student field holding the number, what the LMS calls it).
NUMBERS = {"moodle": ("participant_id", "Moodle participant"), "canvas": ("canvas_id", "Canvas user")}

_MOODLE = re.compile(r"(?:^|/)(?P<name>[^/]+?)_(?P<number>\d+)_assignsubmission_[a-z]+_")
_CANVAS = re.compile(r"(?:^|/)(?P<login>[^/_]+?)(?P<late>_LATE)?_(?P<uid>\d+)_(?P<sub>\d+)_[^/]+$")
_BLACKBOARD = re.compile(r"(?:^|/)(?P<assignment>[^/]+)_(?P<user>[^/_]+)_attempt_"
                         r"(?P<when>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})")
_EXAMPLES = {
    "moodle": "Full Name_12345_assignsubmission_file_/name.ipynb",
    "canvas": "lastfirst_12345_67890_name.ipynb",
    "blackboard": "Assignment_username_attempt_2024-10-01-12-00-00_name.ipynb",
    "generic": "<student>/<name>.ipynb or <student>_<name>.ipynb",
    "pattern": "--pattern",
}


@dataclass(frozen=True)
class Owner:
    """Who handed a file in, as far as its path tells."""

    key: str  # the same for all of one student's files in one download
    id: str  # the proposed course id ('' if none can be made)
    name: str = ""  # as the LMS wrote it
    lms: dict[str, str] = field(default_factory=dict)  # Student field -> value seen in the path
    late: bool = False  # Canvas marked it late
    submitted: datetime | None = None  # Blackboard's attempt time, in UTC
    on_roster: bool = False  # found on the imported roster
    known: bool = False  # found on the roster or among the students an earlier collect learnt
    apart_from: str = ""  # the id of a namesake with another LMS number, whose id this owner's would have been

    def as_student(self) -> Student:
        return Student(self.id, name=self.name, **self.lms)

    @property
    def number(self) -> tuple[str, str] | None:
        """(layout, number) for an owner an LMS numbers (Moodle participant, Canvas user); None otherwise."""
        layout = self.key.split(":", 1)[0]
        if layout not in NUMBERS:
            return None
        value = self.lms.get(NUMBERS[layout][0], "")
        return (layout, value) if value else None

    def shown(self) -> str:
        """The owner as the LMS names them: "Ann Lee (Moodle participant 20231236)"."""
        number = self.number
        label = f"{NUMBERS[number[0]][1]} {number[1]}" if number else self.key
        return f"{self.name} ({label})" if self.name else label


def numbered_id(base: str, number: str) -> str:
    """The id of a student told apart from a namesake by their LMS number: ``ann-lee`` -> ``ann-lee-20231236``."""
    return f"{base}-{number}"


def path_parts(path: str, layout: str) -> dict[str, str] | None:
    """What a Moodle or Canvas download's path says, or None if it does not follow ``layout``.

    moodle: ``name``, ``number`` (the participant); canvas: ``login``, ``late`` ('' or ``_LATE``), ``uid``
    (the user), ``sub`` (the submitted file's id).
    """
    pattern = {"moodle": _MOODLE, "canvas": _CANVAS}.get(layout)
    found = pattern.search(path) if pattern else None
    return {k: v or "" for k, v in found.groupdict().items()} if found else None


def describe(layout: str) -> str:
    """The layout's name with an example path."""
    return f"{layout}, files like {_EXAMPLES.get(layout, layout)}"


def _raw(path: str, layout: str, pattern: str | None, zone: tzinfo) -> Owner | None:
    if layout == "moodle":
        m = _MOODLE.search(path)
        if not m:
            return None
        return Owner(f"moodle:{m['number']}", normalise_id(m["name"], lower=True), m["name"].strip(),
                     {"participant_id": m["number"]})
    if layout == "canvas":
        m = _CANVAS.search(path)
        if not m:
            return None
        return Owner(f"canvas:{m['uid']}", normalise_id(m["login"], lower=True), "",
                     {"canvas_id": m["uid"]}, late=bool(m["late"]))
    if layout == "blackboard":
        m = _BLACKBOARD.search(path)
        if not m:
            return None
        when = datetime.strptime(m["when"], "%Y-%m-%d-%H-%M-%S").replace(tzinfo=zone).astimezone(timezone.utc)
        return Owner(f"blackboard:{m['user']}", normalise_id(m["user"]), "", {"username": m["user"]},
                     submitted=when)
    raw = student_of(path, pattern)
    if raw is None:
        return None
    # The generic layout names a student by a folder or a file name: keep a readable name when it is one.
    name = raw if (" " in raw or normalise_id(raw) != raw) else ""
    return Owner(f"{layout}:{raw}", normalise_id(raw), name)


def _on_roster(owner: Owner, layout: str, path: str, roster: Roster) -> Student | None:
    if not roster.students:
        return None
    if layout == "moodle":
        return roster.find_numbered("participant_id", owner.lms["participant_id"], name=owner.name)
    if layout == "canvas":
        found = _CANVAS.search(path)  # it matched: the owner was read from it
        login = found["login"] if found else ""
        return roster.find_numbered("canvas_id", owner.lms["canvas_id"], canvas_name=login)
    if layout == "blackboard":
        user = owner.lms["username"]
        return roster.find(username=user, id=normalise_id(user), sis_login_id=user, email_local=user)
    raw = owner.key.split(":", 1)[1]
    if owner.id in roster:
        return roster.get(owner.id)
    return roster.find(email=raw, username=raw, sis_login_id=raw, name=raw)


def owner_of(path: str, layout: str, roster: Roster, pattern: str | None = None,
             zone: tzinfo = timezone.utc) -> Owner | None:
    """The owner of the file at ``path`` in ``layout`` ("moodle", "canvas", "blackboard", "generic", "pattern")."""
    owner = _raw(path, layout, pattern, zone)
    if owner is None:
        return None
    student = _on_roster(owner, layout, path, roster)
    if student is None:
        return _apart(owner, roster)
    return replace(owner, id=student.id, name=owner.name or student.name,
                   on_roster=student.id in roster.imported_ids, known=True)


def _apart(owner: Owner, roster: Roster) -> Owner:
    """A new LMS user whose proposed id, or name, a known student with another number of the same LMS has:
    the proposed id with the user's number appended."""
    number = owner.number
    if number is None or not owner.id:
        return owner
    field_name = NUMBERS[number[0]][0]
    holder = roster.holder(owner.id)
    known = ([holder] if holder else []) + roster.namesakes(owner.name)
    others = [s for s in known if getattr(s, field_name) and getattr(s, field_name) != number[1]]
    if not others:
        return owner
    return replace(owner, id=numbered_id(owner.id, number[1]), apart_from=others[0].id)


def tell_apart(owners: list[Owner]) -> dict[str, Owner] | None:
    """Owners who would share an id, each with their LMS number appended to it (by key); None if they cannot
    be told apart so (one has no LMS number, or the roster gave them its id)."""
    told = {}
    for owner in owners:
        if owner.number is None or owner.known:
            return None
        told[owner.key] = replace(owner, id=numbered_id(owner.id, owner.number[1]))
    return told


def detect_layout(paths: list[str]) -> tuple[str, int]:
    """The LMS layout most of the notebook ``paths`` follow ("generic" if none), and how many follow it."""
    notebooks = [p for p in paths if PurePosixPath(p).suffix.lower() == ".ipynb"]
    counts = {layout: sum(_raw(p, layout, None, timezone.utc) is not None for p in notebooks) for layout in LAYOUTS}
    best = max(LAYOUTS, key=lambda layout: counts[layout])
    if counts[best] == 0 or counts[best] * 2 < len(notebooks):
        return "generic", len(notebooks)
    return best, counts[best]
