"""The feedback corpus (tests/corpus/): every realistic implementation, right or wrong, graded by its item's check.

Each entry is graded through :func:`dlfcourse.grader.api.grade_function` on 20
seeds (3 for trainers, marked ``expensive``; ``DLF_CORPUS_SEEDS`` and
``DLF_CORPUS_EXPENSIVE_SEEDS`` change both). A correct entry must pass on every
seed; a wrong one must fail with its expected code and a message containing each
expected word (case-insensitive), from the known mistake it names (if it names
one); and the code and the points must be the same for every seed: the inputs
always hold the cases that expose each mistake. Every known mistake of every
item's table has an entry.
"""

from __future__ import annotations

import os

import pytest

from corpus import Entry, all_entries
from dlfcourse.grader import checks
from dlfcourse.grader.api import grade_function
from dlfcourse.grader.checks.core import recording

ENTRIES = all_entries()
SEEDS = range(int(os.environ.get("DLF_CORPUS_SEEDS", "20")))
EXPENSIVE_SEEDS = range(int(os.environ.get("DLF_CORPUS_EXPENSIVE_SEEDS", "3")))
ASSIGNMENTS = sorted({e.assignment for e in ENTRIES})


def _item(entry: Entry):
    graded = checks.find(entry.assignment)
    return graded.item(entry.grade_id) if entry.grade_id else graded.by_function(entry.function)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong entries overflow on purpose
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # and some use np.matrix, as old code does
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_corpus_entry(entry: Entry) -> None:
    seeds = EXPENSIVE_SEEDS if entry.expensive else SEEDS
    verdicts = []
    for seed in seeds:
        with recording() as fired:
            verdicts.append(grade_function(entry.assignment, entry.function, entry.fn, entry.helpers, seed=seed,
                                           item=entry.grade_id))
        if entry.mistake is not None:
            assert fired[-1:] == [entry.mistake], f"seed {seed}: the known mistake {entry.mistake!r} did not give " \
                                                  f"the message (fired: {fired}): {verdicts[-1].message}"
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
        graded = [e for e in ENTRIES if e.assignment == assignment and _item(e) is item]
        assert any(e.correct for e in graded), f"{item.grade_id}: no correct entry"
        assert any(not e.correct for e in graded), f"{item.grade_id}: no wrong entry"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_known_mistake_has_an_entry(assignment: str) -> None:
    """Each row of every item's table of known mistakes is named by a wrong entry of that item, and every
    entry names a mistake its item knows."""
    lacking, unknown = [], []
    for item in checks.find(assignment).items:
        named = {e.mistake for e in ENTRIES if e.assignment == assignment and _item(e) is item and e.mistake}
        keys = {mistake.key for mistake in item.mistakes}
        lacking += [f"{item.grade_id}: {key}" for key in sorted(keys - named)]
        unknown += [f"{item.grade_id}: {key}" for key in sorted(named - keys)]
    assert not lacking, "known mistakes without a corpus entry: " + "; ".join(lacking)
    assert not unknown, "corpus entries naming a mistake their item does not know: " + "; ".join(unknown)


def test_the_corpus_is_large_enough() -> None:
    assert len(ASSIGNMENTS) == 6
    assert sum(not e.correct for e in ENTRIES) >= 150
    assert sum(e.correct for e in ENTRIES) >= 40
