"""The instructors' page shows how to add an item (a dropout pair, declared with its mistakes): that example,
taken from the page as it is, becomes an assignment of its own, found as a plugin, and grades a right and a
wrong answer (through ``grade_function``, and in the sandbox as ``autograde`` grades a notebook)."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import sys
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import REPO
from dlfcourse.grader import checks
from dlfcourse.grader.api import grade_function
from dlfcourse.grader.checks.core import recording

PAGE = REPO / "book" / "instructors.md"
ASSIGNMENT = "05-dropout"
RIGHT = '''def dropout_forward(X, mask, p):
    return X * mask / (1.0 - p)


def dropout_backward(dout, mask, p):
    return dout * mask / (1.0 - p)'''
WRONG = {  # one wrong answer per row of the example's table, and what grading it must say
    "not-inverted": ("dropout_forward", "def dropout_forward(X, mask, p):\n    return X * mask", "factor"),
    "divided-by-p": ("dropout_forward", "def dropout_forward(X, mask, p):\n    return X * mask / p", "factor"),
    "mask-inverted": ("dropout_forward", "def dropout_forward(X, mask, p):\n    return X * (1 - mask) / (1 - p)",
                      "wrong-value"),
    "mask-forgotten": ("dropout_backward", "def dropout_backward(dout, mask, p):\n    return dout / (1 - p)",
                       "wrong-value"),
}


def _example() -> str:
    """The Python block of the page that declares the dropout item."""
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    return next(block for block in blocks if block.startswith("# dropout_checks.py"))


@pytest.fixture()
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The example as a distribution on sys.path that declares its checks in the entry-point group."""
    (tmp_path / "dropout_checks.py").write_text(_example())
    info = tmp_path / "dropout_checks-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: dropout-checks\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{checks.ENTRY_POINT_GROUP}]\n{ASSIGNMENT} = dropout_checks:ASSIGNMENT\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield checks.find(ASSIGNMENT)
    sys.modules.pop("dropout_checks", None)


def _functions(source: str) -> dict:
    namespace = {"np": np}
    exec(source, namespace)  # noqa: S102 - the test's own code
    return {name: value for name, value in namespace.items() if name.startswith("dropout_")}


def test_the_example_is_found_as_a_plugin_and_every_row_of_its_table_names_its_mistake(plugin):
    assert ASSIGNMENT in checks.known() and plugin is not None
    item = plugin.item("dropout-test")
    assert item.functions == ("dropout_forward", "dropout_backward")
    assert {mistake.key for mistake in item.mistakes} == set(WRONG)
    right = _functions(RIGHT)
    for function in item.functions:
        for seed in range(5):
            verdict = grade_function(ASSIGNMENT, function, right[function], right, seed=seed)
            assert verdict.code == "passed", verdict.message
    for key, (function, source, code) in WRONG.items():
        answer = {**right, **_functions(source)}
        for seed in range(5):
            with recording() as fired:
                verdict = grade_function(ASSIGNMENT, function, answer[function], answer, seed=seed)
            assert (verdict.code, fired) == (code, [key]), verdict.message


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_a_right_and_a_wrong_notebook_are_graded_in_the_sandbox(plugin, tmp_path: Path):
    from dlfcourse.grader.notebook import grade_notebook
    from dlfcourse.settings import GradingSettings, Limits

    uid = 61992 if os.geteuid() == 0 else None
    settings = GradingSettings(limits=Limits(memory_bytes=1024 * 2**20, processes=32), cell_timeout=60,
                               call_timeout=30, notebook_timeout=300, mpl_cache=matplotlib.get_cachedir())
    work = tmp_path / "work"
    work.mkdir()
    os.chmod(work, 0o755)
    scores = {}
    for name, answer in (("right", RIGHT), ("wrong", WRONG["not-inverted"][1] + "\n\n\n" + RIGHT.split("\n\n\n")[1])):
        run = grade_notebook(_notebook(answer), _notebook(RIGHT), plugin, str(work), settings, base_seed=11, uid=uid)
        scores[name] = run.verdicts["dropout-test"]
    assert scores["right"].ok and scores["right"].points == 2.0, scores["right"].message
    wrong = scores["wrong"]
    assert (wrong.code, wrong.points) == ("factor", 0.0)
    assert "does not scale them: inverted dropout divides by 1 - p" in wrong.message


def _notebook(answer: str) -> nbformat.NotebookNode:
    """The dropout item's notebook: an answer cell and its locked test cell (2 points)."""
    def meta(grade_id: str, solution: bool = False, points: float | None = None) -> dict:
        data = {"grade": points is not None, "solution": solution, "locked": not solution, "grade_id": grade_id,
                "schema_version": 3}
        return {"nbgrader": {**data, **({"points": points} if points is not None else {})}}

    cells = [new_markdown_cell("# Dropout", metadata=meta("intro")),
             new_code_cell("import numpy as np", metadata=meta("imports")),
             new_code_cell(answer, metadata=meta("dropout-answer", solution=True)),
             new_code_cell("out = dropout_forward(np.ones((2, 3)), np.ones((2, 3)), 0.5)\n"
                           "assert out.shape == (2, 3), 'dropout keeps the shape'", metadata=meta("dropout-test",
                                                                                                  points=2.0))]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})
