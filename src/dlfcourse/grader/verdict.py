"""What the trusted grader decides for one graded item, and where it is kept.

A :class:`Verdict` is made on the trusted side only, from the values the
student's functions returned. It travels as plain data: into the gradebook
(the score), into the autograded notebook (the test cell's metadata and its
one visible output) and from there into the feedback and the class report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from dlfoundations.kit.compare import DIAGNOSES, Finding

__all__ = ["Verdict", "METADATA_KEY", "passed", "failed", "store_verdict", "read_verdict", "verdicts_of"]

#: The key of the verdict in a graded test cell's metadata (next to nbgrader's own "nbgrader" key).
METADATA_KEY = "dlfcourse"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one item: points out of ``max_points``, a diagnosis code ("passed" if none), a message.

    ``seed`` is the seed the item's inputs were drawn from (for the instructor: a regrade
    with it replays the item exactly); ``helper`` names an earlier function of the
    student's that was wrong and was used in this item (error carried forward);
    ``detail`` is for the instructor only and never shown to the student.
    """

    item: str
    points: float
    max_points: float
    code: str
    message: str
    seed: int | None = None
    helper: str | None = None
    seconds: float = 0.0
    detail: str | None = None  # for the instructor only (a traceback of the grader's own failure)

    def __post_init__(self) -> None:
        if self.code != "passed" and self.code not in DIAGNOSES:
            raise ValueError(f"unknown verdict code {self.code!r}")
        if not 0 <= self.points <= self.max_points:
            raise ValueError(f"points {self.points} outside 0..{self.max_points}")

    @property
    def ok(self) -> bool:
        """True when the item earned all its points."""
        return self.code == "passed"

    def as_dict(self) -> dict[str, Any]:
        """The verdict as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        """The verdict :meth:`as_dict` wrote; ValueError if the data is not one."""
        try:
            return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})
        except TypeError as error:
            raise ValueError(f"not a verdict: {error}") from None


def passed(item: str, max_points: float, message: str, seed: int | None = None) -> Verdict:
    """Full marks for ``item``."""
    return Verdict(item, max_points, max_points, "passed", message, seed)


def failed(item: str, max_points: float, finding: Finding, seed: int | None = None,
           helper: str | None = None) -> Verdict:
    """No marks for ``item``, with the finding that explains why."""
    return Verdict(item, 0.0, max_points, finding.code, finding.message, seed, helper)


def store_verdict(cell: Any, verdict: Verdict) -> None:
    """Keep ``verdict`` in a notebook cell's metadata (the autograded notebook carries it)."""
    cell.metadata[METADATA_KEY] = verdict.as_dict()


def read_verdict(cell: Any) -> Verdict | None:
    """The verdict kept in ``cell``'s metadata, or None if the cell has none (or a damaged one)."""
    data = cell.get("metadata", {}).get(METADATA_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return Verdict.from_dict(data)
    except ValueError:
        return None


def verdicts_of(notebook: Any) -> Iterator[tuple[str, Verdict]]:
    """``(grade_id, verdict)`` for every graded cell of an autograded notebook that has a verdict."""
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        verdict = read_verdict(cell)
        if grade_id and verdict is not None:
            yield grade_id, verdict
