"""Seeds: every item's inputs come from a recorded seed, so a regrade replays exactly and a new seed does not."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest

from dlfcourse.course import Course
from dlfcourse.demo.sample import SAMPLE_ASSIGNMENT as A
from dlfcourse.grader.api import grade_function
from dlfcourse.autograde.command import autograde
from dlfcourse.grader.inputs import item_seed
from dlfcourse.settings import GradingSettings
from course_fixtures import SAMPLE_CLASS, copy_course


def cross_entropy_with_l2(scores, y):
    """A wrong answer whose message quotes the values it got (they depend on the inputs)."""
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    d = np.exp(logp)
    d[np.arange(n), y] -= 1
    return float(-logp[np.arange(n), y].mean() + 0.01 * np.sum(scores ** 2)), d / n


def test_the_same_seed_replays_an_item_exactly_and_another_seed_does_not():
    first = grade_function("04-softmax", "cross_entropy", cross_entropy_with_l2, seed=7)
    again = grade_function("04-softmax", "cross_entropy", cross_entropy_with_l2, seed=first.seed)
    other = grade_function("04-softmax", "cross_entropy", cross_entropy_with_l2, seed=8)
    assert first.code == again.code == other.code == "wrong-value"
    assert again.message == first.message and first.seed == 7
    assert other.message != first.message  # other inputs: other sizes and values in the message


ANN, BOB = "d-stub", "a-correct"  # two students of the graded sample class (course_fixtures.SAMPLE_CLASS)


@pytest.fixture(scope="module")
def course(tmp_path_factory, graded_sample) -> Course:
    """The sample course, its class graded once (a copy, the module's)."""
    return copy_course(graded_sample, tmp_path_factory.mktemp("seeds") / "course")


def _item_seeds(course: Course, student: str) -> dict[str, int]:
    notebook = nbformat.read(course.autograded_dir / student / A / "sample.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["dlfcourse"]["seed"]
            for c in notebook.cells if "dlfcourse" in c.metadata}


def test_a_regrade_reuses_the_recorded_seed_and_the_options_change_it(course: Course):
    options = GradingSettings(jobs=2, cell_timeout=10, uid_base=63100)
    autograde(course, A, options, progress=False)
    recorded = course.state.seeds(A)
    assert set(recorded) == set(SAMPLE_CLASS) and recorded[ANN] != recorded[BOB]
    first = _item_seeds(course, ANN)
    assert first == {g: item_seed(recorded[ANN], g) for g in first}
    autograde(course, A, GradingSettings(jobs=2, force=True, cell_timeout=10, uid_base=63100), progress=False)
    assert course.state.seeds(A) == recorded and _item_seeds(course, ANN) == first  # replayed
    autograde(course, A, GradingSettings(jobs=2, force=True, seed=12345, cell_timeout=10, uid_base=63100),
              [ANN], progress=False)
    assert course.state.seeds(A)[ANN] == 12345
    assert _item_seeds(course, ANN) == {g: item_seed(12345, g) for g in first}
    autograde(course, A, GradingSettings(jobs=2, force=True, new_seeds=True, cell_timeout=10, uid_base=63100),
              [BOB], progress=False)
    assert course.state.seeds(A)[BOB] != recorded[BOB]
    assert json.loads((course.state_dir / "seeds" / f"{A}.json").read_text())[ANN] == 12345
