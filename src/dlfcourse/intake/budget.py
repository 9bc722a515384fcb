"""How much intake may read from one archive, and the account kept while it reads.

A handed-in zip is untrusted: a 2 MB download can unpack to gigabytes (a *zip
bomb*), or list more files than memory can hold. Intake therefore reads an
archive under :class:`Limits` (the values are the constants of
:mod:`dlfcourse.intake.inbox`), and one :class:`Budget` per archive counts what
it has read so far, the zips inside it included. A file or a zip that would
break a limit is not read: :class:`Refused` carries the reason, in words an
instructor can act on, and collect reports it as NOT COLLECTED.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits", "Budget", "Refused", "size_in_words", "check_size"]


class Refused(Exception):
    """A file or an archive that was not read; the message says why (one line, for the collect report)."""


@dataclass(frozen=True)
class Limits:
    """The limits a handed-in archive is read under (see the constants of :mod:`dlfcourse.intake.inbox`)."""

    file_bytes: int  # one file, unpacked
    archive_bytes: int  # everything unpacked from one archive, the zips inside it included
    ratio: float  # unpacked size / packed size of one member...
    ratio_floor: int  # ...for members at least this large (small files may pack well)
    members: int  # files listed by one archive, the zips inside it included
    depth: int  # zips inside zips opened below the source


def size_in_words(count: int) -> str:
    """A byte count as people say it: ``812 bytes``, ``3.4 MB``, ``2.0 GB``."""
    if count < 2**20:
        return f"{count:,} bytes"
    if count < 2**30:
        return f"{count / 2**20:,.1f} MB"
    return f"{count / 2**30:,.1f} GB"


def check_size(size: int, limit: int) -> None:
    """Refused if a file of ``size`` bytes is larger than one file may be (``limit``)."""
    if size > limit:
        raise Refused(f"too large ({size_in_words(size)}; the limit for one file is {size_in_words(limit)}): "
                      "it was not read")


class Budget:
    """What one archive (with the zips inside it) has used of its limits: bytes unpacked, files listed."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.unpacked = 0
        self.members = 0

    def list_members(self, count: int, complete: bool = True) -> None:
        """Count ``count`` more listed files (``complete``: all of them, else counting stopped there);
        Refused (and nothing counted) if that passes the limit."""
        if self.members + count > self.limits.members:
            counted = f"{count:,}" if complete else f"more than {count - 1:,}"
            before = f" ({self.members:,} listed before it)" if self.members else ""
            raise Refused(f"it lists {counted} files{before}; one archive, with the zips inside it, "
                          f"may list at most {self.limits.members:,}")
        self.members += count

    def admit(self, size: int, packed: int) -> None:
        """Refused if unpacking a member of ``size`` bytes packed into ``packed`` bytes would break a limit."""
        check_size(size, self.limits.file_bytes)
        if size >= self.limits.ratio_floor and size > self.limits.ratio * packed:
            raise Refused(f"packed {size / max(packed, 1):,.0f} to 1 ({size_in_words(size)} in "
                          f"{size_in_words(packed)}), more than the {self.limits.ratio:.0f} to 1 allowed (notebooks "
                          "pack 3 to 10 to 1): a zip bomb, so it was not unpacked")
        if self.unpacked + size > self.limits.archive_bytes:
            raise Refused(f"unpacking it ({size_in_words(size)}) would pass the limit of "
                          f"{size_in_words(self.limits.archive_bytes)} unpacked from one archive "
                          f"({size_in_words(self.unpacked)} already): it was not unpacked; "
                          "collect a download this large in parts")

    def spend(self, count: int) -> None:
        """Count ``count`` bytes unpacked; Refused once the archive's total passes its limit."""
        self.unpacked += count
        if self.unpacked > self.limits.archive_bytes:
            raise Refused(f"unpacking stopped at the limit of {size_in_words(self.limits.archive_bytes)} "
                          "unpacked from one archive")
