"""Synthetic student submissions for the end-to-end grading tests, one module per assignment.

Each module ``aNN_slug.py`` defines ``ASSIGNMENT`` (the folder name under
``solutions/``) and ``SUBMISSIONS``, a list of :class:`Submission`. A submission
starts from the released notebook with every answer filled in from the
instructor's solution, then applies its changes. ``expected`` lists the test
cells whose score differs from full marks; ``diagnoses`` the verdict code the
trusted grader must give each failing test cell. Answers that import the
reference find it absent (``missing``, or ``raised-error`` where a function
calls it); a deleted or edited test cell is put back from the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Submission:
    """One synthetic student.

    answers      answer-cell grade_id -> the student's code for that cell
    prepend      code of an extra cell inserted before every other cell
    edit_tests   test-cell grade_ids whose source the student replaced by ``pass``
    delete_cells grade_ids of cells the student deleted
    expected     test-cell grade_id -> expected score (others: full points)
    diagnoses    test-cell grade_id -> the verdict code the grader must give
    blank        start from the unanswered release instead of the solution
    """

    student: str
    answers: dict[str, str] = field(default_factory=dict)
    prepend: str = ""
    edit_tests: tuple[str, ...] = ()
    delete_cells: tuple[str, ...] = ()
    expected: dict[str, float] = field(default_factory=dict)
    diagnoses: dict[str, str] = field(default_factory=dict)
    blank: bool = False
