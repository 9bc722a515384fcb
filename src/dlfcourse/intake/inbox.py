"""Files handed in: read them from a folder or an LMS zip, and tell whose they are.

Which student a file belongs to is read from its path inside the folder or zip
(``/``-separated, relative):

* ``<student>/<anything>.ipynb`` — one folder per student (the notebook's name does not matter);
* ``<student>_<anything>.ipynb`` or ``<student>.ipynb`` — all files in one folder, the
  student id is the file name up to the first ``_``.

Another layout can be described with a regular expression that has a group named
``student``, searched in the relative path, for example
``--pattern 'submissions/(?P<student>[^/]+)/'`` or ``--pattern '_(?P<student>\\d+)_assignsubmission'``.
A student id is letters, digits, ``.``, ``@``, ``-`` and ``_``, starting with a letter or digit.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["Entry", "MAX_BYTES", "read_entries", "student_of", "STUDENT_ID"]

#: Files larger than this are not read (a notebook with its outputs is rarely above a few MB).
MAX_BYTES = 50 * 2**20
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.@_-]*")


@dataclass(frozen=True)
class Entry:
    """One handed-in file: its relative path, when it was last modified (UTC), its size and its bytes."""

    path: str
    modified: datetime
    size: int
    data: bytes | None  # None when the file is too large to read


def _from_folder(folder: Path) -> Iterator[Entry]:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        data = path.read_bytes() if stat.st_size <= MAX_BYTES else None
        modified = datetime.fromtimestamp(stat.st_mtime, timezone.utc)
        yield Entry(path.relative_to(folder).as_posix(), modified, stat.st_size, data)


def _from_zip(archive: Path) -> Iterator[Entry]:
    """Entries of a zip; their times (stored without a time zone) are taken as UTC."""
    with zipfile.ZipFile(archive) as zipped:
        for info in sorted(zipped.infolist(), key=lambda i: i.filename):
            if info.is_dir():
                continue
            data = zipped.read(info) if info.file_size <= MAX_BYTES else None
            modified = datetime(*info.date_time, tzinfo=timezone.utc)
            yield Entry(info.filename, modified, info.file_size, data)


def read_entries(source: Path) -> list[Entry]:
    """Every file of a folder or of a ``.zip`` archive; ValueError if ``source`` is neither."""
    if source.is_dir():
        return list(_from_folder(source))
    if source.is_file() and zipfile.is_zipfile(source):
        return list(_from_zip(source))
    if not source.exists():
        raise ValueError(f"{source} does not exist")
    raise ValueError(f"{source} is neither a folder nor a zip archive")


def student_of(path: str, pattern: str | None = None) -> str | None:
    """The student id in ``path`` (see the module docstring), or None if there is none or it is not valid."""
    if pattern is not None:
        match = re.search(pattern, path)
        student = match.group("student") if match else None
    else:
        parts = path.split("/")
        student = parts[0] if len(parts) > 1 else Path(parts[0]).stem.split("_", 1)[0]
    if student is None or not STUDENT_ID.fullmatch(student):
        return None
    return student
