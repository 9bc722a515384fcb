"""The grader's messages name the item and function, not a cell number, and name an import of the absent
reference as the cause (issue 18).

In the sandbox the reference implementation is absent: an answer cell that
imports ``dlfoundations.losses`` stops there, and the function it was to define
is missing. The verdict must say that, and every traceback line a student reads
must say "in your answer to *3. Cross-entropy ...* (`f`), line 3", never "cell 14".
"""

from __future__ import annotations

import copy
import os
import shutil

import matplotlib
import nbformat
import numpy as np
import pytest

from conftest import REPO
from dlfoundations.kit.compare import Case
from dlfcourse.grader.places import notebook_places
from dlfcourse.grader.student import reply_to_returned
from dlfcourse.sandbox.session import CellRun

SOURCE = REPO / "solutions" / "04-softmax" / "04-softmax.ipynb"
CE_TITLE = "3. Cross-entropy from logits, and its gradient"
CASE = Case("on a random batch of N = 5")


def _source():
    return nbformat.read(SOURCE, as_version=4)


def _index(nb, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _submission(answers: dict[str, str]):
    nb = copy.deepcopy(_source())
    for grade_id, text in answers.items():
        nb.cells[_index(nb, grade_id)].source = text
    return nb


def _import_error(index: int, module: str, line: int = 1) -> dict:
    return {"ename": "ModuleNotFoundError", "evalue": f"No module named '{module}'",
            "traceback": [f"  cell {index}, line {line}, in <module>: from {module} import x"]}


def test_a_traceback_line_names_the_item_and_the_function():
    nb = _source()
    ce = _index(nb, "ce-answer")
    places = notebook_places(nb, nb)
    line = places.line(f"  cell {ce}, line 3, in cross_entropy: return z[10]")
    assert line == f"in your answer to *{CE_TITLE}* (`cross_entropy`), line 3: return z[10]"
    assert places.line("  cell 1, line 2, in <module>: import numpy") == \
        "in a code cell under *Exercise 4 — Softmax, cross-entropy and the multiclass hinge*, line 2: import numpy"
    assert places.text(f"the notebook's process ended while replaying cell {ce} (killed)") == \
        f"the notebook's process ended while replaying your answer to *{CE_TITLE}* (killed)"


def test_a_raised_error_names_the_item_not_the_cell():
    nb = _source()
    ce = _index(nb, "ce-answer")
    reply = {"ok": False, "kind": "raised", "error": {"ename": "IndexError", "evalue": "index 10 is out of bounds",
                                                      "traceback": [f"  cell {ce}, line 3, in cross_entropy: z[10]"]}}
    message = reply_to_returned("cross_entropy", reply, [], CASE, notebook_places(nb, nb)).finding.message
    assert f"(in your answer to *{CE_TITLE}* (`cross_entropy`), line 3: z[10])" in message
    assert f"cell {ce}" not in message


@pytest.mark.parametrize("answer, words", [
    ("from dlfoundations.losses import cross_entropy",
     "your notebook imports it from `dlfoundations.losses`, which is not available when graded"),
    ("import numpy as np\nfrom dlfoundations.losses import softmax\n\ndef cross_entropy(scores, y):\n    pass",
     f"the cell that defines it (your answer to *{CE_TITLE}*) stops at its import of `dlfoundations.losses`"),
])
def test_a_function_an_absent_import_left_undefined_says_why(answer, words):
    nb = _submission({"ce-answer": answer})
    ce = _index(nb, "ce-answer")
    line = 2 if answer.startswith("import numpy") else 1
    places = notebook_places(nb, _source(), [CellRun(ce, error=_import_error(ce, "dlfoundations.losses", line))])
    returned = reply_to_returned("cross_entropy", {"ok": False, "kind": "missing"}, [], CASE, places)
    assert returned.finding.code == "missing"
    assert returned.finding.message.startswith("`cross_entropy` is not defined in your notebook: ")
    assert words in returned.finding.message and "(only numpy, matplotlib and the kit" in returned.finding.message
    other = reply_to_returned("multiclass_hinge", {"ok": False, "kind": "missing"}, [], CASE, places)
    assert "check its name" in other.finding.message, "a name the import did not stop is not blamed on it"


def test_an_import_of_the_reference_inside_a_function_or_a_name_it_left_undefined_is_named():
    nb = _submission({"softmax-answer": "from dlfoundations import losses"})
    cell = _index(nb, "softmax-answer")
    error = {"ename": "ImportError", "evalue": "cannot import name 'losses' from 'dlfoundations' (/opt/x.py)",
             "traceback": [f"  cell {cell}, line 1, in <module>: from dlfoundations import losses"]}
    places = notebook_places(nb, _source(), [CellRun(cell, error=error)])
    inside = {"ok": False, "kind": "raised", "error": {"ename": "ModuleNotFoundError",
                                                       "evalue": "No module named 'dlfoundations.layers'"}}
    message = reply_to_returned("cross_entropy", inside, [], CASE, places).finding.message
    assert message.endswith("`dlfoundations.layers` is not available when graded (only numpy, matplotlib and the "
                            "kit `dlfoundations.kit` are): write `cross_entropy` yourself, without it.")
    undefined = {"ok": False, "kind": "raised",
                 "error": {"ename": "NameError", "evalue": "name 'losses' is not defined"}}
    message = reply_to_returned("cross_entropy", undefined, [], CASE, places).finding.message
    assert "`losses` comes from `dlfoundations.losses`, which is not available when graded" in message


def test_without_a_notebook_the_messages_are_as_before():
    returned = reply_to_returned("cross_entropy", {"ok": False, "kind": "missing"}, [], CASE)
    assert returned.finding.message == ("`cross_entropy` is not defined in your notebook: check its name, and that "
                                        "its cell runs without an error from a fresh start.")


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_in_the_sandbox_the_verdict_names_the_import_and_the_item(tmp_path):
    """Through grade_notebook, as autograde runs it: the reference is absent in the sandbox."""
    from dlfcourse.grader import checks
    from dlfcourse.grader.notebook import grade_notebook
    from dlfcourse.settings import GradingSettings, Limits

    uid = 61991 if os.geteuid() == 0 else None
    settings = GradingSettings(limits=Limits(memory_bytes=1024 * 2**20, processes=32), cell_timeout=60,
                               call_timeout=30, notebook_timeout=300, mpl_cache=matplotlib.get_cachedir())
    nb = _submission({
        "ce-answer": "from dlfoundations.losses import cross_entropy",
        "hinge-answer": "def multiclass_hinge(scores, y):\n    Z = np.asarray(scores)\n    return Z[10 ** 6], Z",
    })
    os.chmod(tmp_path, 0o755)
    run = grade_notebook(nb, _source(), checks.find("04-softmax"), str(tmp_path), settings, base_seed=7, uid=uid)
    ce, hinge = run.verdicts["ce-test"], run.verdicts["hinge-test"]
    assert ce.code == "missing" and ce.points == 0
    assert "your notebook imports it from `dlfoundations.losses`, which is not available when graded" in ce.message
    assert hinge.code == "raised-error" and "IndexError" in hinge.message
    assert "in your answer to *5. The multiclass hinge (SVM) loss* (`multiclass_hinge`), line 3" in hinge.message
    assert run.verdicts["regression-test"].ok, "a later item still gets the reference's cross_entropy"
    output = nb.cells[_index(nb, "ce-answer")].outputs[-1]
    assert output.output_type == "error" and output.ename == "ModuleNotFoundError"
    assert output.traceback[0].startswith(f"in your answer to *{CE_TITLE}*, line 1")
    for verdict in run.verdicts.values():
        assert "cell " not in verdict.message, verdict.message
    assert np.isclose(sum(v.points for v in run.verdicts.values()), 16 - 3 - 3)
