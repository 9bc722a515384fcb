"""Zip archives read lazily, under a budget: count what a zip lists before parsing it, unpack a member on demand.

Nothing here holds more than one member's bytes. :func:`list_zip` counts the
members a zip lists (scanning its table of contents, the way :mod:`zipfile`
reads it) before :mod:`zipfile` parses them; :meth:`ZipMember.read` unpacks one
member when asked; :meth:`ZipMember.spool` copies a zip inside the zip to a file
of a private temporary folder (removed when :class:`ZipFiles` closes), so that it
can be opened in turn. Each member is checked against its archive's
:class:`~dlfcourse.intake.budget.Budget` before it is unpacked, on the sizes the zip
states and on the bytes it really takes in the archive (a forged packed size, or
members that overlap, cannot hide a bomb), then counted while it is unpacked.

A class may hand in a thousand zips: :class:`ZipFiles` keeps only a few of them
open at once (:data:`MAX_OPEN`) and opens the others again when they are read.
"""

from __future__ import annotations

import io
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO

from dlfcourse.intake.budget import Budget, Refused

__all__ = ["ZipFiles", "ZipMember", "Damaged", "list_zip", "CHUNK", "MAX_OPEN"]

#: Bytes unpacked at a time.
CHUNK = 2**20
#: Zips kept open at once (each holds a file descriptor and its table of contents).
MAX_OPEN = 16

_END = struct.Struct("<4s4H2LH")  # end of central directory record
_ZIP64_LOCATOR = struct.Struct("<4sLQL")  # right before the end record
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")  # right before the locator
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # one member's entry in the table of contents (central directory)
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)


class Damaged(Refused):
    """A zip that cannot be opened at all (zipfile cannot read its table of contents); ``detail`` says why."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"damaged ({detail})")
        self.detail = detail


def _end_record(file: BinaryIO) -> tuple[int, int, int]:
    """(where the table of contents starts, how many members it states, its size); zeros if none is found."""
    file.seek(0, 2)
    tail_start = max(0, file.tell() - _END.size - 0xFFFF)  # the end record, then a comment of up to 64 KB
    file.seek(tail_start)
    tail = file.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _END.size > len(tail):
        return 0, 0, 0
    _, _, _, _, count, size, _, _ = _END.unpack_from(tail, at)
    end = tail_start + at
    locator = end - _ZIP64_LOCATOR.size
    if locator >= _ZIP64_END.size:
        file.seek(locator - _ZIP64_END.size)
        record = file.read(_ZIP64_END.size + _ZIP64_LOCATOR.size)
        if record[:4] == b"PK\x06\x06" and record[_ZIP64_END.size:_ZIP64_END.size + 4] == b"PK\x06\x07":
            fields = _ZIP64_END.unpack_from(record)
            count, size, end = fields[7], fields[8], locator - _ZIP64_END.size
    return max(0, end - size), count, size


def _count_listed(file: BinaryIO, start: int, size: int, most: int) -> int:
    """How many entries the table of contents at ``start`` holds (as zipfile reads it), counting up to ``most + 1``."""
    file.seek(start)
    count = read = 0
    while read < size and count <= most:
        header = file.read(_CENTRAL.size)
        if len(header) < _CENTRAL.size or header[:4] != b"PK\x01\x02":
            break  # damaged: zipfile will say so
        fields = _CENTRAL.unpack(header)
        skip = fields[12] + fields[13] + fields[14]  # name, extra field, comment
        file.seek(skip, 1)
        read += _CENTRAL.size + skip
        count += 1
    return count


class ZipFiles:
    """The zips of one collect, opened on demand: at most :data:`MAX_OPEN` at once, besides those kept open.

    Also the private temporary folder where zips inside zips are unpacked; :meth:`close` removes it.
    """

    def __init__(self) -> None:
        self._kept: dict[Path, zipfile.ZipFile] = {}
        self._recent: OrderedDict[Path, zipfile.ZipFile] = OrderedDict()
        self._scratch: Path | None = None
        self._spooled = 0

    def __enter__(self) -> ZipFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self, path: Path, keep: bool = False) -> zipfile.ZipFile:
        """The zip at ``path``, open (``keep``: until :meth:`close`); Damaged if zipfile cannot read it."""
        if path in self._kept:
            return self._kept[path]
        if path in self._recent:
            self._recent.move_to_end(path)
            return self._recent[path]
        try:
            zipped = zipfile.ZipFile(path)
        except (*_DAMAGED, NotImplementedError) as error:
            raise Damaged(str(error)) from None
        if keep:
            self._kept[path] = zipped
            return zipped
        self._recent[path] = zipped
        while len(self._recent) > MAX_OPEN:
            self._recent.popitem(last=False)[1].close()
        return zipped

    def new_spool(self) -> Path:
        """A new file name in the private temporary folder (made on first use, readable by this user only)."""
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="dlf-collect-"))
        self._spooled += 1
        return self._scratch / f"{self._spooled}.zip"

    def close(self) -> None:
        """Close every zip and remove the temporary folder."""
        for zipped in [*self._kept.values(), *self._recent.values()]:
            zipped.close()
        self._kept.clear()
        self._recent.clear()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


class ZipMember:
    """One member of a zip, unpacked only when asked, under its archive's budget (counted once)."""

    __slots__ = ("info", "_zips", "_path", "_stored", "_budget", "_counted")

    def __init__(self, zips: ZipFiles, path: Path, info: zipfile.ZipInfo, stored: int, budget: Budget) -> None:
        self.info = info
        self._zips = zips
        self._path = path
        self._stored = stored if stored > 0 else info.compress_size  # bytes up to the next member's header
        self._budget = budget
        self._counted = False

    def read(self) -> bytes:
        """The member's bytes; Refused if it breaks a limit or cannot be unpacked."""
        gathered = io.BytesIO()  # grows in place: no second copy of the member, as joining chunks would make
        for chunk in self._unpack():
            gathered.write(chunk)
        return gathered.getvalue()

    def spool(self) -> Path:
        """The member copied into a file of the private temporary folder; Refused as :meth:`read`."""
        target = self._zips.new_spool()
        try:
            with target.open("xb") as spooled:
                for chunk in self._unpack():
                    spooled.write(chunk)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target

    def _admit(self) -> None:
        """Refused before anything is unpacked: password, stated sizes, the bytes it really takes."""
        if self.info.flag_bits & 0x1:
            raise Refused("protected by a password: ask for it again without one")
        self._budget.admit(self.info.file_size, min(self.info.compress_size, self._stored))

    def _unpack(self) -> Iterator[bytes]:
        counting = not self._counted
        if counting:
            self._admit()
            self._counted = True
        unpacked = 0
        try:
            with self._zips.open(self._path).open(self.info) as stream:
                while chunk := stream.read(CHUNK):
                    unpacked += len(chunk)
                    if unpacked > self.info.file_size:
                        raise Refused("it unpacks to more than the size the zip states (damaged or forged): "
                                      "it was not read")
                    if counting:
                        self._budget.spend(len(chunk))
                    yield chunk
        except NotImplementedError as error:
            raise Refused(f"packed in a way this machine cannot unpack ({error})") from None
        except _DAMAGED as error:
            raise Refused(f"damaged in the archive ({error}): it could not be unpacked") from None


def _count(path: Path, budget: Budget) -> int:
    """Count what the zip at ``path`` lists against ``budget`` (Refused if too many); where its table starts."""
    with path.open("rb") as file:
        start, stated, size = _end_record(file)
        room = budget.limits.members - budget.members
        listed = _count_listed(file, start, size, room)
    budget.list_members(max(stated, listed), complete=stated >= listed or listed <= room)
    return start


def list_zip(path: Path, budget: Budget, zips: ZipFiles, keep: bool = False) -> list[ZipMember]:
    """The members of the zip at ``path``, sorted by name (folders included), once what it lists is counted
    against ``budget``; Refused if it lists too many, Damaged if zipfile cannot read it."""
    end = _count(path, budget)
    infos = zips.open(path, keep).infolist()
    offsets = sorted({info.header_offset for info in infos} | {end})
    following = dict(pairwise(offsets))
    return [ZipMember(zips, path, info, following.get(info.header_offset, 0) - info.header_offset, budget)
            for info in sorted(infos, key=lambda i: i.filename)]
