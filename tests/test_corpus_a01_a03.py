"""The feedback corpus of 01-perceptron, 02-gradient-descent and 03-maximum-likelihood, graded by the hidden checks.

Every entry is graded through its item's check (:func:`dlfcourse.grading.api.grade_function`)
on 20 seeds (3 for trainers): a correct entry must pass; a wrong one must fail with its
expected code and a message containing each expected word (case-insensitive); and code and
points must be the same for every seed. The breast cancer item of 03 grades the same function
as the trainer item, so its entries (``CANCER_ENTRIES``) go through that item directly.
"""

from __future__ import annotations

import pytest

from corpus import Entry
from corpus.a01_perceptron import ENTRIES as PERCEPTRON
from corpus.a02_gradient_descent import ENTRIES as GRADIENT_DESCENT
from corpus.a03_maximum_likelihood import CANCER_ENTRIES, ENTRIES as MAXIMUM_LIKELIHOOD
from dlfcourse.grading import checks
from dlfcourse.grading.api import grade_function
from dlfcourse.grading.grader import run_item
from dlfcourse.grading.student import LocalStudent

ENTRIES = PERCEPTRON + GRADIENT_DESCENT + MAXIMUM_LIKELIHOOD
SEEDS = range(20)
EXPENSIVE_SEEDS = range(3)


def _check_verdicts(entry: Entry, verdicts: list) -> None:
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


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_corpus_entry(entry: Entry) -> None:
    seeds = EXPENSIVE_SEEDS if entry.expensive else SEEDS
    _check_verdicts(entry, [grade_function(entry.assignment, entry.function, entry.fn, entry.helpers, seed=s)
                            for s in seeds])


@pytest.mark.parametrize("entry", CANCER_ENTRIES, ids=lambda e: e.id)
def test_cancer_entry(entry: Entry) -> None:
    item = checks.find(entry.assignment).item("cancer-test")
    student = LocalStudent({**entry.helpers, entry.function: entry.fn})
    _check_verdicts(entry, [run_item(item, student, s, 1.0) for s in EXPENSIVE_SEEDS])
