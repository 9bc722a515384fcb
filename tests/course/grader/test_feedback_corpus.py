"""The feedback corpus (tests/corpus/): every realistic implementation, right or wrong, graded by its item's check.

Each entry is graded through :func:`dlfcourse.grader.api.grade_function` on 20
seeds (3 for trainers, marked ``expensive``; ``DLF_CORPUS_SEEDS`` and
``DLF_CORPUS_EXPENSIVE_SEEDS`` change both). A correct entry must pass on every
seed; a wrong one must fail with its expected code and a message containing each
expected word (case-insensitive), from the known mistake it names (if it names
one); and the code and the points must be the same for every seed: the inputs
always hold the cases that expose each mistake. Every assignment with hidden
checks has a corpus, every item correct and wrong entries, and every known
mistake of every item's table an entry. The corpus's whole-notebook submissions
(graded end to end by tests/assignments/test_grading.py, a slow test) name only
items their assignment has.
"""

from __future__ import annotations

import os

import pytest

from corpus import Entry, all_entries, all_submissions
from dlfcourse.grader import checks
from dlfcourse.grader.api import grade_function
from dlfcourse.grader.checks.core import recording

ENTRIES = all_entries()
SEEDS = range(int(os.environ.get("DLF_CORPUS_SEEDS", "20")))
EXPENSIVE_SEEDS = range(int(os.environ.get("DLF_CORPUS_EXPENSIVE_SEEDS", "3")))
ASSIGNMENTS = sorted(checks.MODULES)  # the course's assignments with hidden checks: each must have a corpus


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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_submissions_name_only_items_of_their_assignment(assignment: str) -> None:
    """Each assignment has whole-notebook submissions, a correct one among them; what they expect names only test
    cells the assignment grades (an unknown name in ``expected`` would be ignored by the end-to-end test), and
    every diagnosed item is expected to lose points."""
    submissions = all_submissions()[assignment]
    items = {item.grade_id for item in checks.find(assignment).items}
    assert any(not s.expected and not s.diagnoses and not s.blank for s in submissions), "no correct submission"
    assert len({s.student for s in submissions}) == len(submissions), "two submissions of the same student"
    for submission in submissions:
        unknown = (set(submission.expected) | set(submission.diagnoses) | set(submission.edit_tests)) - items
        assert not unknown, f"{submission.student}: {sorted(unknown)} are not test cells of {assignment}"
        assert set(submission.diagnoses) <= set(submission.expected), f"{submission.student}: a diagnosis at full marks"
