"""Intake under budgets: zip bombs, oversized archives and archives of too many files, through ``collect``.

Each attempt builds its download here (zeros are written in 1 MB chunks through ``zipfile``'s streaming
writer, so a 2 GB bomb costs a 2 MB file), runs the production ``collect`` (what ``dlf-course collect``
calls) under ``tracemalloc``, and checks that

* the offending member or zip is NOT COLLECTED, with the limit it broke, on one line of the report;
* the honest notebooks of the same download are collected, byte for byte the notebook handed in;
* nothing outside the course's own folders changed (the download, the course's sources, the temporary
  folder where a zip inside the zip is unpacked);
* the peak of Python's allocations during ``collect`` stays below :data:`PEAK`, far below what the
  attack unpacks (the code before these budgets held every member at once: 2.1 GB for the first one).

The limits are the real ones, but for the budget of one archive (4 GB unpacked), lowered to 16 MB so
that the attempts that spend it stay small.
"""

from __future__ import annotations

import hashlib
import random
import re
import struct
import tempfile
import tracemalloc
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from dlfcourse.course import Course
from dlfcourse.demo.sample import SAMPLE_ASSIGNMENT as A
from dlfcourse.demo.sample import sample_notebook, write_sample_course
from dlfcourse.intake import inbox
from dlfcourse.intake.collect import CollectReport, collect

MB = 2**20
NOTEBOOK = nbformat.writes(sample_notebook()).encode()
#: Peak of Python's allocations allowed during one collect: a few honest notebooks of a few KB are read, and
#: files are unpacked 1 MB at a time; 16 MB is far below the 200 MB to 2 GB the attacks below unpack.
PEAK = 16 * MB
#: What collect keeps of each file a download lists while it works (its name, time, place in the zip, its
#: line of the report): about 1.1 KB measured; a download may list 20,000 (inbox.MAX_MEMBERS).
LISTED = 1536
BOMB = re.compile(r"packed [\d,]+ to 1 \([\d.]+ MB in [\d,]+ bytes\), more than the 100 to 1 allowed \(notebooks "
                  r"pack 3 to 10 to 1\): a zip bomb, so it was not unpacked")
MEMBERS = re.compile(r"it lists (more than )?[\d,]+ files( \([\d,]+ listed before it\))?; one archive, with the zips "
                     r"inside it, may list at most 20,000")


@pytest.fixture()
def course(tmp_path: Path) -> Course:
    write_sample_course(tmp_path / "course")
    return Course.open(tmp_path / "course")


# --- building downloads ----------------------------------------------------------------------------------

def zeros(archive: zipfile.ZipFile, name: str, size: int) -> None:
    """Add a member of ``size`` zero bytes, written 1 MB at a time (deflated: about 1 KB per MB)."""
    with archive.open(name, "w", force_zip64=size >= 2**31) as member:
        for start in range(0, size, MB):
            member.write(bytes(min(MB, size - start)))


def noise(archive: zipfile.ZipFile, name: str, size: int, seed: int) -> None:
    """Add a member of ``size`` random bytes (they do not pack: a large file that is no bomb)."""
    archive.writestr(zipfile.ZipInfo(name, (2025, 3, 1, 12, 0, 0)), random.Random(seed).randbytes(size))


def empties(archive: zipfile.ZipFile, count: int, prefix: str = "") -> None:
    """Add ``count`` empty files (a zip that lists many files costs a few dozen bytes each)."""
    for k in range(count):
        archive.writestr(f"{prefix}f{k:05d}.txt", b"")


def honest(archive: zipfile.ZipFile, *names: str) -> None:
    """Add the sample notebook under each of ``names``."""
    for name in names:
        archive.writestr(zipfile.ZipInfo(name, (2025, 3, 1, 12, 0, 0)), NOTEBOOK)


def _central_entries(data: bytearray) -> Iterable[tuple[int, str]]:
    """(offset, name) of each entry of a zip's table of contents (no zip64: small test archives)."""
    end = data.rfind(b"PK\x05\x06")
    position = struct.unpack_from("<L", data, end + 16)[0]
    while data[position:position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, position + 28)
        yield position, data[position + 46:position + 46 + name_length].decode()
        position += 46 + name_length + extra_length + comment_length


def forge_packed_sizes(path: Path, names: set[str]) -> None:
    """Make the zip state, for each of ``names``, a packed size equal to its size (as if stored, ratio 1)."""
    data = bytearray(path.read_bytes())
    for position, name in _central_entries(data):
        if name in names:
            size, = struct.unpack_from("<L", data, position + 24)
            local, = struct.unpack_from("<L", data, position + 42)
            struct.pack_into("<L", data, position + 20, size)
            struct.pack_into("<L", data, local + 18, size)
    path.write_bytes(data)


def forge_member_count(path: Path, count: int) -> None:
    """Make the zip's end record state that it holds ``count`` files (its table of contents lists more)."""
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<2H", data, end + 8, count, count)
    path.write_bytes(data)


# --- collecting, watched -----------------------------------------------------------------------------------

@dataclass
class Outcome:
    report: CollectReport
    peak: int  # bytes, tracemalloc's peak during collect

    @property
    def lost(self) -> dict[str, str]:
        return {s.path: s.reason for s in self.report.lost}

    @property
    def students(self) -> set[str]:
        return {a.student for a in self.report.collected}


def _outside(course: Course, root: Path) -> dict[str, str]:
    """Digest of every file under ``root`` but the course's own folders (submitted/ and its state)."""
    own = (course.submitted_dir, course.state_dir)
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*"))
            if path.is_file() and not any(path.is_relative_to(folder) for folder in own)}


def watched_collect(course: Course, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """``collect`` under tracemalloc, with temporary files kept in ``tmp_path/tmp``; asserts nothing outside
    the course's own folders changed and no temporary file is left."""
    spool = tmp_path / "tmp"
    spool.mkdir(exist_ok=True)
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    before = _outside(course, tmp_path)
    tracemalloc.start()
    try:
        report = collect(course, A, source, timezone_name="UTC")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert _outside(course, tmp_path) == before
    assert list(spool.iterdir()) == []
    print(f"collect of {source.name}: tracemalloc peak {peak / MB:.1f} MB")
    return Outcome(report, peak)


def assert_collected(course: Course, outcome: Outcome, students: set[str]) -> None:
    """Exactly ``students`` were collected, each with the notebook handed in, and nobody else has a folder."""
    assert outcome.students == students
    assert {p.name for p in course.submitted_dir.iterdir()} == students
    for student in students:
        written = nbformat.read(course.submitted_dir / student / A / "sample.ipynb", as_version=4)
        assert written == nbformat.reads(NOTEBOOK, as_version=4)


def assert_one_line_each(outcome: Outcome) -> None:
    """Every file not collected has exactly one line of the report, naming it and why."""
    lines = outcome.report.lines()
    for path, reason in outcome.lost.items():
        assert lines.count(f"NOT COLLECTED {path}: {reason}") == 1


# --- zip bombs ---------------------------------------------------------------------------------------------

def test_a_zip_of_zeros_inside_the_download_is_not_unpacked(course: Course, tmp_path: Path, monkeypatch):
    """The reported case: a 2 MB download holding a zip of 40 x 50 MB of zeros (2 GB), next to honest work.
    Files that are no notebooks (a 50 MB "pdf" of zeros, a script) are reported by their names, never read."""
    inner = tmp_path / "mallory.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        honest(archive, "sample.ipynb")
        for k in range(40):
            zeros(archive, f"part{k:02d}.ipynb", 50 * MB)
        zeros(archive, "slides.pdf", 50 * MB)
        archive.writestr("train.py", "import numpy\n")
    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w") as archive:
        honest(archive, "alice_sample.ipynb", "bob_sample.ipynb")
        archive.write(inner, "mallory.zip")
    assert download.stat().st_size < 3 * MB

    outcome = watched_collect(course, download, tmp_path, monkeypatch)
    assert set(outcome.lost) == {f"mallory.zip/part{k:02d}.ipynb" for k in range(40)}
    assert all(BOMB.fullmatch(reason) and "(50.0 MB in" in reason for reason in outcome.lost.values())
    assert_one_line_each(outcome)
    ignored = {s.path: s.reason for s in outcome.report.skipped if s.kind == "ignored"}
    assert ignored == {"mallory.zip/slides.pdf": "not a notebook (.pdf)",
                       "mallory.zip/train.py": "not a notebook (.py)"}
    assert_collected(course, outcome, {"alice", "bob", "mallory"})  # mallory's own notebook is still collected
    assert outcome.peak < PEAK


def test_a_bomb_that_states_a_false_packed_size_is_not_unpacked(course: Course, tmp_path: Path, monkeypatch):
    """Members of 40 MB of zeros whose zip states they are stored unpacked (ratio 1): their real bytes in the
    archive (40 KB each, up to the next member) give them away."""
    download = tmp_path / "download.zip"
    forged = {f"eve_part{k}.ipynb" for k in range(10)}
    with zipfile.ZipFile(download, "w", zipfile.ZIP_DEFLATED) as archive:
        honest(archive, "alice_sample.ipynb", "eve_sample.ipynb")
        for name in sorted(forged):
            zeros(archive, name, 40 * MB)
        honest(archive, "zed_sample.ipynb")
    forge_packed_sizes(download, forged)
    with zipfile.ZipFile(download) as archive:  # what the zip states
        assert all(archive.getinfo(name).compress_size == 40 * MB for name in forged)

    outcome = watched_collect(course, download, tmp_path, monkeypatch)
    assert set(outcome.lost) == forged
    assert all(BOMB.fullmatch(reason) and "(40.0 MB in" in reason for reason in outcome.lost.values())
    assert_one_line_each(outcome)
    assert_collected(course, outcome, {"alice", "eve", "zed"})
    assert outcome.peak < PEAK


def test_a_bomb_of_small_pieces_is_read_one_piece_at_a_time(course: Course, tmp_path: Path, monkeypatch):
    """200 members of 1 MB of zeros each, packed 1000 to 1 but each too small for the ratio to apply
    (:data:`inbox.RATIO_FLOOR`), in a zip inside the download: 200 MB, read one member at a time."""
    inner = tmp_path / "zoe.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        for k in range(200):
            zeros(archive, f"piece{k:03d}.ipynb", inbox.RATIO_FLOOR - 1)
        honest(archive, "sample.ipynb")
    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w") as archive:
        honest(archive, "alice_sample.ipynb")
        archive.write(inner, "zoe.zip")

    outcome = watched_collect(course, download, tmp_path, monkeypatch)
    assert set(outcome.lost) == {f"zoe.zip/piece{k:03d}.ipynb" for k in range(200)}
    assert set(outcome.lost.values()) == {"invalid JSON (Expecting value: line 1 column 1 (char 0))"}
    assert_collected(course, outcome, {"alice", "zoe"})
    assert outcome.peak < PEAK


# --- more than one archive may unpack ------------------------------------------------------------------

BUDGET = 16 * MB  # inbox.MAX_ARCHIVE_BYTES (4 GB) lowered, so that these downloads stay small
OVER_BUDGET = re.compile(r"unpacking it \([\d.]+ MB\) would pass the limit of 16\.0 MB unpacked from one archive "
                         r"\(([\d.]+ MB|[\d,]+ bytes) already\): it was not unpacked; collect a download this large "
                         r"in parts")


def test_members_past_the_archives_budget_are_not_unpacked(course: Course, tmp_path: Path, monkeypatch):
    """24 files of 2 MB of noise (no bomb: they do not pack) in a 16 MB budget: those that fit are read (and
    are no notebooks), the others are not unpacked; the honest ones on either side are collected."""
    monkeypatch.setattr(inbox, "MAX_ARCHIVE_BYTES", BUDGET)
    download = tmp_path / "download.zip"
    junk = [f"junk{k:02d}_sample.ipynb" for k in range(24)]
    with zipfile.ZipFile(download, "w") as archive:
        honest(archive, "aaron_sample.ipynb")
        for k, name in enumerate(junk):
            noise(archive, name, 2 * MB, seed=k)
        honest(archive, "zed_sample.ipynb")

    outcome = watched_collect(course, download, tmp_path, monkeypatch)
    fit = (BUDGET - 2 * len(NOTEBOOK)) // (2 * MB)  # aaron, then junk in name order, then zed
    assert set(outcome.lost) == set(junk)
    assert all(outcome.lost[name].startswith("invalid JSON ('utf-8' codec can't decode") for name in junk[:fit])
    assert all(OVER_BUDGET.fullmatch(outcome.lost[name]) for name in junk[fit:])
    assert_one_line_each(outcome)
    assert_collected(course, outcome, {"aaron", "zed"})
    assert outcome.peak < PEAK


def test_a_zip_inside_the_download_spends_the_same_budget(course: Course, tmp_path: Path, monkeypatch):
    """A zip inside the download is unpacked (8 MB) against the download's budget, and so are its members:
    the second 4 MB file inside it no longer fits in 16 MB; the honest notebooks, inside and out, are read."""
    monkeypatch.setattr(inbox, "MAX_ARCHIVE_BYTES", BUDGET)
    inner = tmp_path / "carol.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        noise(archive, "blob1.ipynb", 4 * MB, seed=1)
        noise(archive, "blob2.ipynb", 4 * MB, seed=2)
        honest(archive, "sample.ipynb")
    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w") as archive:
        honest(archive, "alice_sample.ipynb", "bob_sample.ipynb")
        archive.write(inner, "carol.zip")

    outcome = watched_collect(course, download, tmp_path, monkeypatch)
    assert set(outcome.lost) == {"carol.zip/blob1.ipynb", "carol.zip/blob2.ipynb"}
    assert outcome.lost["carol.zip/blob1.ipynb"].startswith("invalid JSON")
    assert OVER_BUDGET.fullmatch(outcome.lost["carol.zip/blob2.ipynb"])
    assert_one_line_each(outcome)
    assert_collected(course, outcome, {"alice", "bob", "carol"})
    assert outcome.peak < PEAK


def test_a_zip_inside_the_download_too_large_for_the_budget_is_not_opened(course: Course, tmp_path: Path,
                                                                           monkeypatch):
    """A 20 MB zip inside the download, in a 16 MB budget: not unpacked at all, said on its line."""
    monkeypatch.setattr(inbox, "MAX_ARCHIVE_BYTES", BUDGET)
    inner = tmp_path / "team.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        honest(archive, "sample.ipynb")
        for k in range(5):
            noise(archive, f"data{k}.ipynb", 4 * MB, seed=k)
    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w") as archive:
        honest(archive, "alice_sample.ipynb", "bob_sample.ipynb")
        archive.write(inner, "team.zip")

    outcome = watched_collect(course, download, tmp_path, monkeypatch)
    assert list(outcome.lost) == ["team.zip"]
    reason = outcome.lost["team.zip"]
    assert reason.startswith("a zip inside the archive, not opened: unpacking it (20.0 MB)")
    assert OVER_BUDGET.fullmatch(reason.removeprefix("a zip inside the archive, not opened: "))
    assert_one_line_each(outcome)
    assert_collected(course, outcome, {"alice", "bob"})
    assert outcome.peak < PEAK


# --- archives that list too many files ---------------------------------------------------------------------

def test_a_zip_inside_the_download_that_lists_too_many_files_is_not_opened(course: Course, tmp_path: Path,
                                                                            monkeypatch):
    """25,000 empty files in a zip inside the download (the limit is 20,000 for the whole download)."""
    inner = tmp_path / "spam.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        honest(archive, "sample.ipynb")
        empties(archive, 25_000)
    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w") as archive:
        honest(archive, "alice_sample.ipynb", "bob_sample.ipynb")
        archive.write(inner, "spam.zip")

    outcome = watched_collect(course, download, tmp_path, monkeypatch)
    assert outcome.lost == {"spam.zip": "a zip inside the archive, not opened: it lists 25,001 files (3 listed "
                                        "before it); one archive, with the zips inside it, may list at most 20,000"}
    assert_one_line_each(outcome)
    assert_collected(course, outcome, {"alice", "bob"})
    assert outcome.peak < PEAK


def test_zips_inside_the_download_share_its_count_even_when_one_lies_about_it(course: Course, tmp_path: Path,
                                                                               monkeypatch):
    """The download lists 12,000 files, its first zip 6,000 (18,000 in all: opened), its second 6,000 more
    while its end record says 2: it is counted all the same, and not opened."""
    first, second = tmp_path / "ann.zip", tmp_path / "ben.zip"
    for path in (first, second):
        with zipfile.ZipFile(path, "w") as archive:
            honest(archive, "sample.ipynb")
            empties(archive, 6_000)
    forge_member_count(second, 2)
    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w") as archive:
        honest(archive, "alice_sample.ipynb")
        empties(archive, 12_000, prefix="alice/junk/")
        archive.write(first, "ann.zip")
        archive.write(second, "ben.zip")

    outcome = watched_collect(course, download, tmp_path, monkeypatch)
    assert list(outcome.lost) == ["ben.zip"]
    reason = outcome.lost["ben.zip"].removeprefix("a zip inside the archive, not opened: ")
    assert MEMBERS.fullmatch(reason) and "more than 1,996 files (18,004 listed before it)" in reason
    assert_one_line_each(outcome)
    assert_collected(course, outcome, {"alice", "ann"})
    assert outcome.peak < PEAK + LISTED * 18_004


def test_a_zip_that_lists_too_many_files_is_reported_whole(course: Course, tmp_path: Path, monkeypatch):
    """In a folder of hand-ins, a zip of 25,000 files is not opened (the notebooks beside it are collected);
    given as the download itself, it is one NOT COLLECTED line and nothing is written."""
    crowd = tmp_path / "crowd.zip"
    with zipfile.ZipFile(crowd, "w") as archive:
        honest(archive, "zoe_sample.ipynb")
        empties(archive, 25_000)
    folder = tmp_path / "handins"
    folder.mkdir()
    for student in ("alice", "bob"):
        (folder / f"{student}_sample.ipynb").write_bytes(NOTEBOOK)
    (folder / "crowd.zip").write_bytes(crowd.read_bytes())

    outcome = watched_collect(course, folder, tmp_path, monkeypatch)
    assert outcome.lost == {"crowd.zip": "a zip, not opened: it lists 25,001 files; one archive, with the zips "
                                         "inside it, may list at most 20,000"}
    assert_one_line_each(outcome)
    assert_collected(course, outcome, {"alice", "bob"})
    assert outcome.peak < PEAK

    whole = watched_collect(course, crowd, tmp_path, monkeypatch)
    assert whole.lost == {"crowd.zip": "not opened, nothing in it was collected: it lists 25,001 files; one "
                                       "archive, with the zips inside it, may list at most 20,000"}
    assert not whole.report.ok and whole.report.collected == []
    assert {p.name for p in course.submitted_dir.iterdir()} == {"alice", "bob"}
    assert whole.peak < PEAK


# --- what the lazy reading must not lose -------------------------------------------------------------------

def test_a_class_of_zipped_hand_ins_is_collected_with_few_zips_open(course: Course, tmp_path: Path, monkeypatch):
    """40 students who each zipped their notebook (more zips than are kept open at once): every one is
    collected, read again from its zip when it is written, and the unpacked zips are removed."""
    from dlfcourse.intake import archive as zips

    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w") as outer:
        for k in range(40):
            inner = tmp_path / f"s{k:02d}.zip"
            with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
                honest(archive, "work/sample.ipynb")
            outer.write(inner, f"s{k:02d}.zip")
    opened: list[int] = []
    original = zips.ZipFiles.open

    def counting(self, path, keep=False):
        zipped = original(self, path, keep)
        opened.append(len(self._recent))
        return zipped

    monkeypatch.setattr(zips.ZipFiles, "open", counting)
    outcome = watched_collect(course, download, tmp_path, monkeypatch)
    assert outcome.report.ok and outcome.lost == {}
    assert_collected(course, outcome, {f"s{k:02d}" for k in range(40)})
    assert max(opened) == zips.MAX_OPEN < 40
    assert outcome.peak < PEAK
