"""Seeds: every item's inputs come from a recorded seed, so a regrade replays exactly and a new seed does not."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest

from dlfcourse.course import Course
from dlfcourse.demo.sample import SAMPLE_ASSIGNMENT as A
from dlfcourse.demo.sample import write_sample_course
from dlfcourse.demo.synthetic import make_class
from dlfcourse.grader.api import grade_function
from dlfcourse.autograde.command import GradingOptions, autograde, recorded_seeds
from dlfcourse.grader.inputs import item_seed
from dlfcourse.release import release


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


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    root = tmp_path_factory.mktemp("seeds") / "course"
    write_sample_course(root)
    course = Course.open(root)
    assert all(r.ok for r in release(course, [A]))
    for student, kind in (("ann", "partial-sign"), ("bob", "correct")):
        made = make_class(course, A, 1, kinds=(kind,), name=lambda i, k, s=student: s)[0]
        folder = course.submitted_dir / student / A
        folder.mkdir(parents=True)
        nbformat.write(made.notebooks["sample"], folder / "sample.ipynb")
    return course


def _item_seeds(course: Course, student: str) -> dict[str, int]:
    notebook = nbformat.read(course.autograded_dir / student / A / "sample.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["dlfcourse"]["seed"]
            for c in notebook.cells if "dlfcourse" in c.metadata}


def test_a_regrade_reuses_the_recorded_seed_and_the_options_change_it(course: Course):
    options = GradingOptions(jobs=2, cell_timeout=10, uid_base=63100)
    autograde(course, A, options, progress=False)
    recorded = recorded_seeds(course, A)
    assert set(recorded) == {"ann", "bob"} and recorded["ann"] != recorded["bob"]
    first = _item_seeds(course, "ann")
    assert first == {g: item_seed(recorded["ann"], g) for g in first}
    autograde(course, A, GradingOptions(jobs=2, force=True, cell_timeout=10, uid_base=63100), progress=False)
    assert recorded_seeds(course, A) == recorded and _item_seeds(course, "ann") == first  # replayed
    autograde(course, A, GradingOptions(jobs=2, force=True, seed=12345, cell_timeout=10, uid_base=63100),
              ["ann"], progress=False)
    assert recorded_seeds(course, A)["ann"] == 12345
    assert _item_seeds(course, "ann") == {g: item_seed(12345, g) for g in first}
    autograde(course, A, GradingOptions(jobs=2, force=True, new_seeds=True, cell_timeout=10, uid_base=63100),
              ["bob"], progress=False)
    assert recorded_seeds(course, A)["bob"] != recorded["bob"]
    assert json.loads((course.state_dir / "seeds" / f"{A}.json").read_text())["ann"] == 12345
