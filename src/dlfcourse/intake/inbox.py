"""Files handed in: list them from a folder or an LMS zip, with their paths and times made comparable.

Every file becomes an :class:`Entry` with a relative ``/``-separated path:

* Windows backslashes in zip member names (``Judy\\04-softmax.ipynb``) become ``/``;
* a zip inside the zip (or in the folder) is opened, its members appear under a folder
  named after it without ``.zip`` (``alice.zip`` holding ``a.ipynb`` gives ``alice/a.ipynb``);
* one top folder shared by every file (``submissions/alice_a.ipynb``, ``submissions/bob_a.ipynb``)
  is stripped by :func:`strip_shared_top` when it holds more than one thing.

Listing reads no file's bytes: an entry is read when it is asked to (:meth:`Entry.read`),
so only the notebooks are ever read, one at a time, and a ``.pdf`` is reported by its
name alone. Only a zip inside a zip is unpacked while listing, into a private temporary
folder removed when :func:`open_entries` ends. Every archive is read under the limits below (a zip bomb or a zip of a
million files breaks one of them): what would break a limit is not read, and its entry
says why (:attr:`Entry.refused`, or :class:`~dlfcourse.intake.budget.Refused` from
:meth:`Entry.read`). :func:`open_entries` keeps the archives open while the entries are used.

Zip files store a member's time without a time zone: the LMS writes its own local
time. Those times are read in the zone given (default: this machine's), unless the
member also carries the "extended timestamp" field, which is in UTC. Files of a
folder have a real modification time. Every :attr:`Entry.modified` is in UTC.
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dlfcourse.errors import CourseError
from dlfcourse.intake.archive import Damaged, ZipFiles, ZipMember, list_zip
from dlfcourse.intake.budget import Budget, Limits, Refused, check_size

__all__ = ["BadSource", "Entry", "MAX_BYTES", "MAX_ARCHIVE_BYTES", "MAX_RATIO", "RATIO_FLOOR", "MAX_MEMBERS",
           "MAX_DEPTH", "limits", "open_entries", "strip_shared_top", "is_hidden", "student_of", "STUDENT_ID",
           "local_zone", "zone_named"]

#: Files larger than this are not read (a notebook with its outputs is rarely above a few MB).
MAX_BYTES = 50 * 2**20
#: At most this much is unpacked from one archive, the zips inside it included: a class's download
#: is a few hundred MB at most (20,000 notebooks of 200 KB fit); a larger one is collected in parts.
MAX_ARCHIVE_BYTES = 4 * 2**30
#: A member packed more tightly than this (unpacked size / packed size) is a zip bomb and is not
#: unpacked: notebooks pack 3 to 10 to 1, a page of repeated output maybe 50; zeros pack 1000 to 1.
MAX_RATIO = 100
#: Members smaller than this are not held to :data:`MAX_RATIO` (a small file of blanks may pack well;
#: unpacking it costs little, and every byte still counts against :data:`MAX_ARCHIVE_BYTES`).
RATIO_FLOOR = 2**20
#: At most this many files listed by one archive, the zips inside it included (a class of 4,000 handing
#: in five files each); a zip that would pass it is not opened. What an archive lists is kept in memory
#: while it is collected, about 1 KB a file: 20 MB at the limit.
MAX_MEMBERS = 20_000
#: How many zips deep an archive is opened (a zip in a zip in a zip).
MAX_DEPTH = 3
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.@_-]*")


class BadSource(CourseError):
    """What collect was given cannot be collected from: it does not exist, is neither a folder nor a zip, is a
    damaged zip, or holds no notebook; or the time zone to read it in is unknown. The message says which."""


def limits() -> Limits:
    """The limits above, as they are now (tests may lower them)."""
    return Limits(file_bytes=MAX_BYTES, archive_bytes=MAX_ARCHIVE_BYTES, ratio=MAX_RATIO, ratio_floor=RATIO_FLOOR,
                  members=MAX_MEMBERS, depth=MAX_DEPTH)


@dataclass(frozen=True, slots=True)
class Entry:
    """One handed-in file: its relative path, when it was last modified (UTC), its size, how to read it."""

    path: str
    modified: datetime
    size: int
    reader: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)
    original: str = ""  # the path as the archive spells it, when it differs (backslashes, a shared top folder)
    refused: str = ""  # why this archive was not opened (a limit it broke, damage): it may hold notebooks

    @property
    def shown(self) -> str:
        return self.original or self.path

    def read(self) -> bytes:
        """The file's bytes, read now; Refused (its message says why) if a limit forbids it or it is damaged."""
        if self.refused or self.reader is None:
            raise Refused(self.refused or "it could not be read")
        return self.reader()


def local_zone() -> tuple[tzinfo, str]:
    """This machine's time zone and its name (TZ, else /etc/localtime's target, else the libc name)."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            target = os.path.realpath("/etc/localtime")
            name = target.split("/zoneinfo/", 1)[1] if "/zoneinfo/" in target else ""
        except OSError:
            name = ""
    if name:
        try:
            return ZoneInfo(name), name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    local = datetime.now().astimezone().tzinfo or timezone.utc  # astimezone() always sets one
    return local, str(local)


def zone_named(name: str | None) -> tuple[tzinfo, str]:
    """The zone called ``name`` (an IANA name such as Europe/Berlin; None: this machine's); BadSource if unknown."""
    if not name:
        return local_zone()
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        raise BadSource(f"unknown time zone {name!r}: give an IANA name such as Europe/Berlin, "
                         "America/New_York or UTC") from None


def is_hidden(path: str) -> bool:
    """Hidden and system files: dot files and folders, ``__MACOSX/``, ``.ipynb_checkpoints/``, Thumbs.db."""
    return any(part.startswith(".") or part in ("__MACOSX", "Thumbs.db", "desktop.ini") for part in path.split("/"))


def _clean(name: str) -> str:
    """A member name as a relative POSIX path: backslashes become slashes, no leading / or ./ parts."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


def _utc_mtime(extra: bytes) -> datetime | None:
    """The UTC modification time of a zip member's "extended timestamp" extra field (0x5455), if it has one."""
    offset = 0
    while offset + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, offset)
        body = extra[offset + 4:offset + 4 + size]
        if kind == 0x5455 and len(body) >= 5 and body[0] & 1:
            return datetime.fromtimestamp(struct.unpack_from("<I", body, 1)[0], timezone.utc)
        offset += 4 + size
    return None


def _file_reader(path: Path, limit: int) -> Callable[[], bytes]:
    """Read the file at ``path`` when called; Refused if it is (or has grown) larger than ``limit``."""
    def read() -> bytes:
        try:
            with path.open("rb") as file:
                size = os.fstat(file.fileno()).st_size
                check_size(size, limit)
                data = file.read(size + 1)  # not limit + 1: read(n) sets n bytes aside first
        except OSError as error:
            raise Refused(f"it could not be read ({error.strerror or error})") from None
        check_size(len(data), limit)
        return data
    return read


_INSIDE = "a zip inside the archive"


def _is_zip_name(path: str) -> bool:
    return path.lower().endswith(".zip") and not is_hidden(path)


def _from_folder(folder: Path, zone: tzinfo, zips: ZipFiles) -> Iterator[Entry]:
    """Every file under ``folder``; each zip in it is an archive of its own, opened with its own budget."""
    bounds = limits()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        relative = path.relative_to(folder).as_posix()
        modified = datetime.fromtimestamp(stat.st_mtime, timezone.utc)
        if _is_zip_name(relative) and zipfile.is_zipfile(path):
            entry = Entry(relative, modified, stat.st_size)
            yield from _opened(entry, relative, path, "a zip", zone, 1, Budget(bounds), zips)
        else:
            yield Entry(relative, modified, stat.st_size, _file_reader(path, bounds.file_bytes))


def _opened(entry: Entry, shown: str, path: Path, label: str, zone: tzinfo, depth: int, budget: Budget,
            zips: ZipFiles) -> Iterator[Entry]:
    """The members of the zip at ``path`` (found as ``entry``) under the folder ``entry.path`` without ``.zip``;
    just ``entry``, refused, if the zip breaks a limit or is damaged."""
    try:
        members = list_zip(path, budget, zips)
    except Refused as error:
        yield replace(entry, reader=None, refused=f"{label}, not opened: {error}")
        return
    for inner in _from_zip(members, zone, depth, budget, zips):
        yield replace(inner, path=f"{entry.path[:-4]}/{inner.path}", original=f"{shown}/{inner.shown}")


def _nested(member: ZipMember, entry: Entry, zone: tzinfo, depth: int, budget: Budget, zips: ZipFiles
            ) -> Iterator[Entry]:
    """A zip inside the zip: unpacked to a temporary file and opened, unless a limit forbids it."""
    if depth >= budget.limits.depth:
        yield replace(entry, reader=None, refused=f"{_INSIDE}, not opened: zips inside zips are opened "
                                                  f"{budget.limits.depth} levels deep at most")
        return
    try:
        spooled = member.spool()
    except Refused as error:
        yield replace(entry, reader=None, refused=f"{_INSIDE}, not opened: {error}")
        return
    if not zipfile.is_zipfile(spooled):
        spooled.unlink()
        yield entry  # named .zip, but not one: reported as a file that is not a notebook
        return
    yield from _opened(entry, member.info.filename, spooled, _INSIDE, zone, depth + 1, budget, zips)


def _from_zip(members: list[ZipMember], zone: tzinfo, depth: int, budget: Budget, zips: ZipFiles
              ) -> Iterator[Entry]:
    """The files of a zip (``depth`` zips deep), the zips inside it opened in turn."""
    for member in members:
        info = member.info
        path = _clean(info.filename)
        if info.is_dir() or info.filename.endswith("\\") or not path:
            continue
        modified = _utc_mtime(info.extra) or datetime(*info.date_time, tzinfo=zone).astimezone(timezone.utc)
        entry = Entry(path, modified, info.file_size, member.read, info.filename if path != info.filename else "")
        if _is_zip_name(path):
            yield from _nested(member, entry, zone, depth, budget, zips)
        else:
            yield entry


def _top_archive(source: Path, zone: tzinfo, zips: ZipFiles) -> list[Entry]:
    """The files of the zip ``source``; BadSource if it is damaged, one refused entry if it breaks a limit."""
    stat = source.stat()
    entry = Entry(source.name, datetime.fromtimestamp(stat.st_mtime, timezone.utc), stat.st_size)
    budget = Budget(limits())
    try:
        members = list_zip(source, budget, zips, keep=True)
    except Damaged as error:
        raise BadSource(f"{source} is a damaged zip archive ({error.detail})") from None
    except Refused as error:
        return [replace(entry, refused=f"not opened, nothing in it was collected: {error}")]
    return list(_from_zip(members, zone, 0, budget, zips))


@contextmanager
def open_entries(source: Path, zone: tzinfo = timezone.utc) -> Iterator[list[Entry]]:
    """Every file of a folder or of a ``.zip`` archive (zip times read in ``zone``), readable until the block ends.

    BadSource if ``source`` is neither a folder nor a zip, or is a damaged zip.
    """
    source = Path(source)
    with ZipFiles() as zips:
        if source.is_dir():
            yield list(_from_folder(source, zone, zips))
        elif source.is_file() and zipfile.is_zipfile(source):
            yield _top_archive(source, zone, zips)
        elif not source.exists():
            raise BadSource(f"{source} does not exist")
        else:
            raise BadSource(f"{source} is neither a folder nor a zip archive")


def strip_shared_top(entries: list[Entry]) -> tuple[list[Entry], str]:
    """Drop top folders that every (non-hidden) file shares, when what is inside names the students.

    ``submissions/alice_a.ipynb`` + ``submissions/bob_a.ipynb`` and ``submissions/alice/a.ipynb`` +
    ``submissions/bob/a.ipynb`` lose ``submissions/``; ``lee/draft.ipynb`` + ``lee/final.ipynb`` keep
    their folder, which names the student (the notebooks inside have bare names). Returns the
    entries and the prefix removed ('' if none).
    """
    visible = [e.path for e in entries if not is_hidden(e.path)]
    prefix = ""
    while visible and all("/" in p for p in visible) and len({p.split("/", 1)[0] for p in visible}) == 1:
        top = visible[0].split("/", 1)[0]
        inside = [p.split("/", 1)[1] for p in visible]
        if len({rest.split("/")[0] for rest in inside}) >= 2:
            notebooks = [rest for rest in inside if rest.lower().endswith(".ipynb")]
            if not notebooks or not all("/" in rest or "_" in rest for rest in notebooks):
                return entries, ""
            prefix += top + "/"
            break
        prefix += top + "/"
        visible = inside
    else:
        return entries, ""
    return [replace(e, path=e.path[len(prefix):], original=e.original or e.path) if e.path.startswith(prefix)
            else e for e in entries], prefix


def student_of(path: str, pattern: str | None = None) -> str | None:
    """The raw student id in ``path`` by the generic layout (or ``pattern``), or None if there is none.

    Generic layout: ``<student>/<anything>.ipynb`` or ``<student>_<anything>.ipynb`` / ``<student>.ipynb``.
    """
    if pattern is not None:
        match = re.search(pattern, path)
        student = match.group("student") if match else None
    else:
        parts = path.split("/")
        student = parts[0] if len(parts) > 1 else Path(parts[0]).stem.split("_", 1)[0]
    if not student or ".." in student:
        return None
    return student
