"""The hidden checks accept the model solutions: every item of every assignment passes on the instructor's answers.

The functions the answer cells of each source notebook (``solutions/NN-name/NN-name.ipynb``) define, run
after the notebook's imports in one namespace (:func:`model_solutions.solution_functions`), and every
item of the assignment's hidden checks is graded with those functions, in this process
(:class:`~dlfcourse.grader.student.LocalStudent`), on several seeds, as autograde grades them: all the items in
order (:func:`~dlfcourse.grader.items.grade_items`), the earlier functions an item calls served by the
reference. No verdict may say it was graded as if an earlier function were right. (That each test cell
has a check and each check a test cell is tests/assignments/test_static.py's.)
"""

from __future__ import annotations

import pytest

from conftest import ASSIGNMENTS
from dlfcourse.grader import checks
from dlfcourse.grader.items import grade_items
from dlfcourse.grader.student import LocalStudent
from model_solutions import solution_functions

SEEDS = (0, 1, 2)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_item_accepts_the_model_solution(assignment: str) -> None:
    assignment_checks = checks.find(assignment)
    assert assignment_checks is not None, f"{assignment} has no hidden checks"
    functions = solution_functions(assignment)
    for item in assignment_checks.items:
        missing = [name for name in item.functions if name not in functions]
        assert not missing, f"{item.grade_id} grades {missing}, which no answer cell of {assignment} defines"
    points = {item.grade_id: 1.0 for item in assignment_checks.items}
    for seed in SEEDS:
        verdicts = grade_items(assignment_checks, LocalStudent(dict(functions)), seed, points)
        for grade_id, verdict in verdicts.items():
            assert verdict.code == "passed", f"{assignment} {grade_id}, seed {seed}: [{verdict.code}] " \
                                             f"{verdict.message}\n{verdict.detail or ''}"
            assert verdict.helper is None and "graded as if" not in verdict.message.lower(), verdict.message
