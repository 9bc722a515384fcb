"""The feedback corpus of 05-backprop and 06-optimisation, graded by the hidden checks.

Every entry is graded through its item's check (:func:`dlfcourse.grading.api.grade_function`)
on 20 seeds (3 for trainers): a correct entry must pass; a wrong one must fail with its
expected code and a message containing each expected word (case-insensitive); and code and
points must be the same for every seed.
"""

from __future__ import annotations

import pytest

from corpus import Entry
from corpus.a05_backprop import ENTRIES as BACKPROP
from corpus.a06_optimisation import ENTRIES as OPTIMISATION
from dlfcourse.grading import checks
from dlfcourse.grading.api import grade_function

ENTRIES = BACKPROP + OPTIMISATION
SEEDS = range(20)
EXPENSIVE_SEEDS = range(3)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong entries overflow on purpose
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_corpus_entry(entry: Entry) -> None:
    seeds = EXPENSIVE_SEEDS if entry.expensive else SEEDS
    verdicts = [grade_function(entry.assignment, entry.function, entry.fn, entry.helpers, seed=s) for s in seeds]
    for verdict in verdicts:
        assert verdict.code != "grader-error", f"seed {verdict.seed}: the grader failed:\n{verdict.detail}"
        if entry.correct:
            assert verdict.code == "passed", f"seed {verdict.seed}: a correct entry failed: [{verdict.code}] " \
                                             f"{verdict.message}"
        else:
            assert verdict.code == entry.code, f"seed {verdict.seed}: expected {entry.code}, got " \
                                               f"[{verdict.code}] {verdict.message}"
            missing = [word for word in entry.words if word.lower() not in verdict.message.lower()]
            assert not missing, f"seed {verdict.seed}: the message lacks {missing}: {verdict.message}"
    assert len({(v.code, v.points) for v in verdicts}) == 1, "the verdict depends on the seed: " + \
        "; ".join(f"{v.seed}: {v.code}" for v in verdicts)


@pytest.mark.parametrize("assignment", ["05-backprop", "06-optimisation"])
def test_corpus_covers_every_item(assignment: str) -> None:
    """Every auto-graded item has correct and wrong entries."""
    items = checks.find(assignment).items
    for item in items:
        graded = [e for e in ENTRIES if e.assignment == assignment and e.function in item.functions]
        assert any(e.correct for e in graded), f"{item.grade_id}: no correct entry"
        assert any(not e.correct for e in graded), f"{item.grade_id}: no wrong entry"


def test_corpus_size() -> None:
    assert sum(not e.correct for e in ENTRIES) >= 50
    assert sum(e.correct for e in ENTRIES) >= 14
