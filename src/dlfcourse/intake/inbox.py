"""Files handed in: read them from a folder or an LMS zip, with their paths and times made comparable.

Every file becomes an :class:`Entry` with a relative ``/``-separated path:

* Windows backslashes in zip member names (``Judy\\04-softmax.ipynb``) become ``/``;
* a zip inside the zip (or in the folder) is opened, its members appear under a folder
  named after it without ``.zip`` (``alice.zip`` holding ``a.ipynb`` gives ``alice/a.ipynb``);
* one top folder shared by every file (``submissions/alice_a.ipynb``, ``submissions/bob_a.ipynb``)
  is stripped by :func:`strip_shared_top` when it holds more than one thing.

Zip files store a member's time without a time zone: the LMS writes its own local
time. Those times are read in the zone given (default: this machine's), unless the
member also carries the "extended timestamp" field, which is in UTC. Files of a
folder have a real modification time. Every :attr:`Entry.modified` is in UTC.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Entry", "MAX_BYTES", "MAX_DEPTH", "read_entries", "strip_shared_top", "is_hidden", "student_of",
           "STUDENT_ID", "local_zone", "zone_named"]

#: Files larger than this are not read (a notebook with its outputs is rarely above a few MB).
MAX_BYTES = 50 * 2**20
#: How many zips deep an archive is opened (a zip in a zip in a zip).
MAX_DEPTH = 3
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.@_-]*")


@dataclass(frozen=True)
class Entry:
    """One handed-in file: its relative path, when it was last modified (UTC), its size and its bytes."""

    path: str
    modified: datetime
    size: int
    data: bytes | None  # None when the file is too large to read
    original: str = ""  # the path as the archive spells it, when it differs (backslashes, a shared top folder)

    @property
    def shown(self) -> str:
        return self.original or self.path


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
    local = datetime.now().astimezone().tzinfo
    return local, str(local)


def zone_named(name: str | None) -> tuple[tzinfo, str]:
    """The zone called ``name`` (an IANA name such as Europe/Berlin; None: this machine's); ValueError if unknown."""
    if not name:
        return local_zone()
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: give an IANA name such as Europe/Berlin, "
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


def _from_folder(folder: Path, zone: tzinfo, depth: int) -> Iterator[Entry]:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        relative = path.relative_to(folder).as_posix()
        data = path.read_bytes() if stat.st_size <= MAX_BYTES else None
        modified = datetime.fromtimestamp(stat.st_mtime, timezone.utc)
        if data is not None and relative.lower().endswith(".zip") and not is_hidden(relative) \
                and zipfile.is_zipfile(io.BytesIO(data)):
            yield from _nested(relative, relative, data, zone, depth)
        else:
            yield Entry(relative, modified, stat.st_size, data)


def _nested(path: str, shown: str, data: bytes, zone: tzinfo, depth: int) -> Iterator[Entry]:
    """The members of a zip found at ``path``, under the folder ``path`` without its ``.zip``."""
    if depth >= MAX_DEPTH:
        yield Entry(path, datetime.now(timezone.utc), len(data), None, shown if shown != path else "")
        return
    try:
        inner = list(_from_zip(zipfile.ZipFile(io.BytesIO(data)), zone, depth + 1))
    except (zipfile.BadZipFile, OSError, EOFError):
        yield Entry(path, datetime.now(timezone.utc), len(data), data, shown if shown != path else "")
        return
    for entry in inner:
        yield replace(entry, path=f"{path[:-4]}/{entry.path}", original=f"{shown}/{entry.shown}")


def _from_zip(zipped: zipfile.ZipFile, zone: tzinfo, depth: int) -> Iterator[Entry]:
    for info in sorted(zipped.infolist(), key=lambda i: i.filename):
        path = _clean(info.filename)
        if info.is_dir() or info.filename.endswith("\\") or not path:
            continue
        data = zipped.read(info) if info.file_size <= MAX_BYTES else None
        modified = _utc_mtime(info.extra) or datetime(*info.date_time, tzinfo=zone).astimezone(timezone.utc)
        original = info.filename if path != info.filename else ""
        if data is not None and path.lower().endswith(".zip") and not is_hidden(path) \
                and zipfile.is_zipfile(io.BytesIO(data)):
            yield from _nested(path, info.filename, data, zone, depth)
        else:
            yield Entry(path, modified, info.file_size, data, original)


def read_entries(source: Path, zone: tzinfo = timezone.utc) -> list[Entry]:
    """Every file of a folder or of a ``.zip`` archive (zip times read in ``zone``); ValueError if neither."""
    source = Path(source)
    if source.is_dir():
        return list(_from_folder(source, zone, 0))
    if source.is_file() and zipfile.is_zipfile(source):
        try:
            with zipfile.ZipFile(source) as zipped:
                return list(_from_zip(zipped, zone, 0))
        except (zipfile.BadZipFile, OSError) as error:
            raise ValueError(f"{source} is a damaged zip archive ({error})") from None
    if not source.exists():
        raise ValueError(f"{source} does not exist")
    raise ValueError(f"{source} is neither a folder nor a zip archive")


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
