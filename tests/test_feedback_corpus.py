"""The feedback corpus (tests/corpus/): every realistic implementation, right or wrong, graded by its item's check.

Each entry is graded through :func:`dlfcourse.grader.api.grade_function` on 20
seeds (3 for trainers, marked ``expensive``). A correct entry must pass on every
seed; a wrong one must fail with its expected code and a message containing each
expected word (case-insensitive); and the code and the points must be the same
for every seed: the inputs always hold the cases that expose each mistake.
"""

from __future__ import annotations

import pytest

from corpus import Entry, all_entries
from dlfcourse.grader import checks
from dlfcourse.grader.api import grade_function

ENTRIES = all_entries()
SEEDS = range(20)
EXPENSIVE_SEEDS = range(3)
ASSIGNMENTS = sorted({e.assignment for e in ENTRIES})


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong entries overflow on purpose
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_corpus_entry(entry: Entry) -> None:
    seeds = EXPENSIVE_SEEDS if entry.expensive else SEEDS
    verdicts = [grade_function(entry.assignment, entry.function, entry.fn, entry.helpers, seed=s,
                               item=entry.grade_id) for s in seeds]
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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_corpus_covers_every_item(assignment: str) -> None:
    """Every auto-graded item has correct and wrong entries."""
    for item in checks.find(assignment).items:
        graded = [e for e in ENTRIES if e.assignment == assignment and e.function in item.functions
                  and (e.grade_id or (checks.find(assignment).by_function(e.function).grade_id)) == item.grade_id]
        assert any(e.correct for e in graded), f"{item.grade_id}: no correct entry"
        assert any(not e.correct for e in graded), f"{item.grade_id}: no wrong entry"


def test_the_corpus_is_large_enough() -> None:
    assert len(ASSIGNMENTS) == 6
    assert sum(not e.correct for e in ENTRIES) >= 150
    assert sum(e.correct for e in ENTRIES) >= 40
