"""Write a class's notebooks as an LMS-style zip (``<student>_<notebook>.ipynb``), with optional junk.

Used by the demo and the tests to exercise ``collect`` the way a real
download from a learning-management system would.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import nbformat

from dlfcourse.demo.synthetic import SyntheticStudent

__all__ = ["write_lms_zip", "MALFORMED_ENTRIES", "BASE_TIME"]

BASE_TIME = datetime(2025, 3, 1, 12, 0, 0)

#: name -> content of files that collect must report and skip.
MALFORMED_ENTRIES: dict[str, bytes] = {
    "zoe_report.pdf": b"%PDF-1.4 not a notebook",
    "yann_perceptron.ipynb": b'{"cells": [ {"cell_type": "code", ',  # cut short: invalid JSON
    "xia_perceptron.ipynb": b"",  # empty
    "notes.txt": b"remember to grade fairly",
}


def _add(archive: zipfile.ZipFile, name: str, data: bytes, when: datetime) -> None:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def write_lms_zip(students: Iterable[SyntheticStudent], path: Path, extras: dict[str, bytes] | None = None,
                  duplicates: Iterable[str] = ()) -> Path:
    """Zip every student's notebooks, one minute apart; ``duplicates`` also get an older second copy."""
    duplicates = set(duplicates)
    with zipfile.ZipFile(path, "w") as archive:
        for index, student in enumerate(students):
            when = BASE_TIME + timedelta(minutes=index)
            for name, notebook in student.notebooks.items():
                data = nbformat.writes(notebook).encode()
                _add(archive, f"{student.student_id}_{name}.ipynb", data, when)
                if student.student_id in duplicates:
                    _add(archive, f"{student.student_id}/{name}-draft.ipynb", data, when - timedelta(days=1))
        for name, data in (extras or {}).items():
            _add(archive, name, data, BASE_TIME)
    return path
