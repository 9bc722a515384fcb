"""Issue 16 against the production grader: error carried forward that cannot be gamed, limits the grader keeps.

Each attacker submits 04-softmax through the production path (sandboxed workers, trusted verdicts,
nbgrader's gradebook, then feedback). What each must earn is its honest part, written out per student:

* **error carried forward**: earlier functions that return zeros, or turn to zeros once a later function
  has run, with stubs for the later items (the old grader rebuilt its reference on the student's own
  helper, and such stubs passed); and the fair cases: a wrong ``cross_entropy``, or one imported from
  the reference (absent in the sandbox), under an honest regression and trainer, which are graded as
  if it were right and say so;
* **limits only the worker kept**: a cell that writes its own reply on the channel (a 60 MB output and
  20,001 figures; a tree nested 100,000 levels deep; a frame larger than the grader reads), forged proxy
  requests, a call that asks for an earlier function 100,000 times, and 300 cells that each print
  200,000 characters;
* **values at the boundary**: an integer of 401 digits is a wrong type, never a grader error.

Afterwards the sources, the release and the neighbour are unchanged, and the graded notebooks and the
feedback pages stay within a few MB.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import matplotlib
import nbformat
import pytest

from course_fixtures import copy_course
from course_harness import build_submission, item_scores
from corpus import Submission

ASSIGNMENT = "04-softmax"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
pytestmark = [pytest.mark.slow]

_SOFTMAX = '''
def softmax(Z):
    Z = np.asarray(Z, dtype=np.float64)
    e = np.exp(Z - np.max(Z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
'''
_JACOBIAN = '''
def softmax_jacobian(z):
    p = softmax(z)
    return np.diag(p) - np.outer(p, p)
'''
_CE_RIGHT = '''
    Z = np.asarray(scores, dtype=np.float64)
    rows = np.arange(Z.shape[0])
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    d = np.exp(log_p)
    d[rows, y] -= 1.0
    return float(-log_p[rows, y].mean()), d / Z.shape[0]
'''
_REGRESSION_HONEST = '''
def softmax_regression_loss(W, b, X, y):
    loss, dscores = cross_entropy(X @ W + b, y)
    return loss, X.T @ dscores, dscores.sum(axis=0)
'''
_TRAINER_HONEST = '''
def train_softmax_regression(X, y, num_classes, lr, steps):
    W, b, losses = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    for _ in range(steps):
        loss, dW, db = softmax_regression_loss(W, b, X, y)
        losses.append(loss)
        W, b = W - lr * dW, b - lr * db
    return W, b, losses
'''
_ZEROS = {
    "ce-answer": "def cross_entropy(scores, y):\n    return 0.0, np.zeros_like(scores)",
    "regression-answer": "def softmax_regression_loss(W, b, X, y):\n    return 0.0, np.zeros_like(W), np.zeros_like(b)",
    "trainer-answer": ("def train_softmax_regression(X, y, num_classes, lr, steps):\n"
                       "    return np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), [0.0] * steps"),
    "jacobian-answer": "def softmax_jacobian(z):\n    return np.zeros((len(z), len(z)))",
    "hinge-answer": "def multiclass_hinge(scores, y):\n    return 0.0, np.zeros_like(scores)",
}

# Finds the worker's channel and the pending request from the cell's own stack, as a student can.
_CHANNEL = '''
import sys, json, struct, io, zipfile
_f = sys._getframe()
while _f is not None and not ("writer" in _f.f_locals and "worker" in _f.f_locals):
    _f = _f.f_back
_writer, _request, _wire = _f.f_locals["writer"], _f.f_locals["request"], _f.f_globals
def _raw_frame(tree_json):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tree.json", tree_json)
    data = buffer.getvalue()
    _writer.write(struct.pack(">Q", len(data)) + data); _writer.flush()
'''

_FORGED_FLOOD = _CHANNEL + '''
_wire["write_frame"](_writer, {"ok": True, "stdout": "A" * 60_000_000, "stderr": "", "error": None,
                               "figures": ["<img src=x onerror=alert(1)>"] * 20_001, "seconds": 0.0,
                               "id": _request["id"]})
'''
_FORGED_DEEP = _CHANNEL + '''
_raw_frame('{"t": "dict", "v": {"id": ' + '{"t": "list", "v": [' * 100_000 + ']}' * 100_000 + '}}')
'''
_FORGED_TOO_LARGE = _CHANNEL + '''
_writer.write(struct.pack(">Q", 200 * 2**20)); _writer.write(b"\\0" * 2**20); _writer.flush()
'''
_FORGED_PROXY = _CHANNEL + '''
for _ in range(50):
    _wire["write_frame"](_writer, {"op": "proxy", "id": _request["id"], "name": "cross_entropy",
                                   "args": [[[1.0, 2.0]], [0]], "kwargs": {}})
'''

_STATEFUL_CE = '''
_LATER = {"seen": False}
def cross_entropy(scores, y):
    if _LATER["seen"]:
        return 0.0, np.zeros_like(scores)
''' + _CE_RIGHT
_STATEFUL_REGRESSION = '''
def softmax_regression_loss(W, b, X, y):
    _LATER["seen"] = True
    return 0.0, np.zeros_like(W), np.zeros_like(b)
'''
_STATEFUL_SOFTMAX = '''
_LATER = {"seen": False}
def softmax(Z):
    if _LATER["seen"]:
        return np.zeros_like(np.asarray(Z, dtype=np.float64))
    Z = np.asarray(Z, dtype=np.float64)
    e = np.exp(Z - np.max(Z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
'''
_FLAG_IN_JACOBIAN = "def softmax_jacobian(z):\n    _LATER['seen'] = True\n    return np.zeros((len(z), len(z)))"

#: student -> (answers, prepend, honest scores of the auto-graded items; every other item earns 0)
STUDENTS: dict[str, tuple[dict[str, str], str, dict[str, float]]] = {
    "ecf_zeros_after_softmax": ({"softmax-answer": _SOFTMAX, **_ZEROS}, "", {"softmax-test": 2.0}),
    "ecf_zeros_everywhere": ({"softmax-answer": "def softmax(Z):\n    return np.zeros_like(Z)", **_ZEROS}, "", {}),
    "ecf_stateful_cross_entropy": ({**_ZEROS, "softmax-answer": _SOFTMAX,
                                    "ce-answer": _STATEFUL_CE, "regression-answer": _STATEFUL_REGRESSION}, "",
                                   {"softmax-test": 2.0, "ce-test": 3.0}),
    "ecf_stateful_softmax": ({**_ZEROS, "softmax-answer": _STATEFUL_SOFTMAX, "jacobian-answer": _FLAG_IN_JACOBIAN,
                              "ce-answer": "def cross_entropy(scores, y):\n" + _CE_RIGHT.replace(
                                  "    Z = np.asarray(scores", "    _ = softmax(scores)\n    Z = np.asarray(scores")},
                             "", {"softmax-test": 2.0, "ce-test": 3.0}),
    "ecf_wrong_helper_honest_rest": ({**_ZEROS, "softmax-answer": _SOFTMAX, "jacobian-answer": _JACOBIAN,
                                      "regression-answer": _REGRESSION_HONEST, "trainer-answer": _TRAINER_HONEST},
                                     "", {"softmax-test": 2.0, "jacobian-test": 2.0, "regression-test": 3.0,
                                          "digits-test": 3.0}),
    "ecf_helper_imported_from_the_reference": ({**_ZEROS, "softmax-answer": _SOFTMAX,
                                                "ce-answer": "from dlfoundations.losses import cross_entropy",
                                                "regression-answer": _REGRESSION_HONEST,
                                                "trainer-answer": _TRAINER_HONEST},
                                               "", {"softmax-test": 2.0, "regression-test": 3.0, "digits-test": 3.0}),
    "forged_reply_flood": ({"softmax-answer": _SOFTMAX}, _FORGED_FLOOD, {"softmax-test": 2.0}),
    "forged_reply_nested_deep": ({"softmax-answer": _SOFTMAX}, _FORGED_DEEP, {"softmax-test": 2.0}),
    "forged_reply_too_large": ({"softmax-answer": _SOFTMAX}, _FORGED_TOO_LARGE, {"softmax-test": 2.0}),
    "forged_proxy_requests": ({"softmax-answer": _SOFTMAX}, _FORGED_PROXY, {"softmax-test": 2.0}),
    "proxy_asked_without_end": ({**_ZEROS, "softmax-answer": _SOFTMAX, "regression-answer": (
        "def softmax_regression_loss(W, b, X, y):\n    for _ in range(100_000):\n"
        "        loss, d = cross_entropy(X @ W + b, y)\n    return loss, X.T @ d, d.sum(axis=0)")},
        "", {"softmax-test": 2.0}),
    "returns_401_digits": ({**_ZEROS, "softmax-answer": _SOFTMAX,
                            "ce-answer": "def cross_entropy(scores, y):\n    return 10**400, np.zeros_like(scores)"},
                           "", {"softmax-test": 2.0}),
    "returns_401_digits_nested": ({**_ZEROS, "softmax-answer": _SOFTMAX, "jacobian-answer": (
        "def softmax_jacobian(z):\n    return [[-10**400] * len(z)] * len(z)")}, "", {"softmax-test": 2.0}),
}
FLOOD_CELLS = 300  # the output flood: this many cells, each printing 200,000 characters

# HTML a student writes, taken through the production path into the feedback page (opened in Chromium below).
HTML_ATTACKS = {
    "html_in_markdown": "<script>window.__pwned_md_script = 1</script>\n\n"
                        "<img src=x onerror=\"window.__pwned_md_img = 1\"> "
                        "<svg onload=\"window.__pwned_md_svg=1\"></svg>",
    "html_in_an_error": None,  # the answer raises an exception whose message is HTML
}
STUDENTS["html_in_markdown"] = ({"softmax-answer": _SOFTMAX}, "", {"softmax-test": 2.0})
STUDENTS["html_in_an_error"] = ({**_ZEROS, "softmax-answer": _SOFTMAX, "ce-answer": (
    "def cross_entropy(scores, y):\n    raise ValueError('<img src=x onerror=\"window.__pwned_error=1\">')")},
    "", {"softmax-test": 2.0})


def _hashes(paths: list[Path]) -> dict[str, str]:
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()]
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def _flood(course: Path) -> None:
    path = build_submission(course, ASSIGNMENT, Submission("output_flood", answers={"softmax-answer": _SOFTMAX},
                                                           blank=True))
    notebook = nbformat.read(path, as_version=4)
    flood = [nbformat.v4.new_code_cell(f"print('{n % 10}' * 200_000)") for n in range(FLOOD_CELLS)]
    notebook.cells[1:1] = flood
    nbformat.write(notebook, path)


def _markdown_attack(course: Path) -> None:
    path = course / "submitted" / "html_in_markdown" / ASSIGNMENT / NOTEBOOK
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell(HTML_ATTACKS["html_in_markdown"]))
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, released_assignment):
    from dlfcourse.autograde.command import autograde
    from dlfcourse.course import Course
    from dlfcourse.outputs.feedback import generate_feedback
    from dlfcourse.settings import GradingSettings, Limits

    course = copy_course(released_assignment(ASSIGNMENT), tmp_path_factory.mktemp("trust2") / "course").root
    build_submission(course, ASSIGNMENT, Submission("honest"))
    for student, (answers, prepend, _) in STUDENTS.items():
        build_submission(course, ASSIGNMENT, Submission(student, answers=answers, prepend=prepend, blank=True))
    _flood(course)
    _markdown_attack(course)
    protected = [course / "solutions", course / "exercises", course / "submitted" / "honest"]
    before = _hashes(protected)
    options = GradingSettings(jobs=2, force=True, cell_timeout=10, call_timeout=10, notebook_timeout=300,
                              limits=Limits(memory_bytes=2 * 2**30, processes=32),
                              mpl_cache=matplotlib.get_cachedir())
    outcomes = {o.student: o for o in autograde(Course.open(course), ASSIGNMENT, options, progress=False)}
    generate_feedback(Course.open(course), ASSIGNMENT, [s for s in outcomes if s != "output_flood"])
    return course, outcomes, before, protected


def _verdict(course: Path, student: str, grade_id: str) -> dict:
    nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id).metadata["dlfcourse"]


def test_the_honest_student_keeps_full_marks(graded):
    course, outcomes, _, _ = graded
    assert outcomes["honest"].score == (16.0, 16.0)


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_each_attempt_earns_exactly_its_honest_part(graded, student):
    course, outcomes, _, _ = graded
    assert outcomes[student].status == "graded", outcomes[student].line()
    auto = {g: s for g, s in item_scores(course, ASSIGNMENT, student).items() if g.endswith("-test")}
    honest = STUDENTS[student][2]
    assert auto == {g: honest.get(g, 0.0) for g in auto}, f"{student}: {auto}"


def test_a_wrong_helper_is_carried_forward_by_the_reference_and_said(graded):
    course, _, _, _ = graded
    regression = _verdict(course, "ecf_wrong_helper_honest_rest", "regression-test")
    assert regression["code"] == "passed" and regression["helper"] == "cross_entropy"
    assert "Graded as if your `cross_entropy` were right (it is not: see its item)" in regression["message"]
    digits = _verdict(course, "ecf_wrong_helper_honest_rest", "digits-test")
    assert "test accuracy" in digits["message"], "the trainer's end-to-end check always runs"


def test_trainer_stubs_fail_their_end_to_end_check(graded):
    course, _, _, _ = graded
    for student in ("ecf_zeros_after_softmax", "ecf_stateful_cross_entropy"):
        assert _verdict(course, student, "digits-test")["code"] != "passed"


def test_values_that_are_not_data_are_a_wrong_type_not_a_grader_error(graded):
    course, _, _, _ = graded
    ce = _verdict(course, "returns_401_digits", "ce-test")
    assert ce["code"] == "wrong-type" and "401 digits" in ce["message"]
    jacobian = _verdict(course, "returns_401_digits_nested", "jacobian-test")
    assert jacobian["code"] == "wrong-type" and "401 digits" in jacobian["message"]


def test_a_proxy_asked_without_end_costs_only_its_item(graded):
    course, _, _, _ = graded
    verdict = _verdict(course, "proxy_asked_without_end", "regression-test")
    assert verdict["code"] in ("raised-error", "time-limit"), verdict
    if verdict["code"] == "raised-error":
        assert "at most 20,000 times" in verdict["message"]


@pytest.mark.parametrize("student", ["forged_reply_flood", "output_flood", "honest"])
def test_the_graded_notebook_stays_small(graded, student):
    course, _, _, _ = graded
    path = course / "autograded" / student / ASSIGNMENT / NOTEBOOK
    size = path.stat().st_size
    assert size < 2.5 * 2**20, f"{student}: {size:,} bytes"
    nb = json.loads(path.read_text())
    assert sum(len(c.get("outputs", [])) for c in nb["cells"]) < 1_000


def test_a_forged_reply_keeps_no_figure_that_is_not_a_png(graded):
    course, _, _, _ = graded
    nb = json.loads((course / "autograded" / "forged_reply_flood" / ASSIGNMENT / NOTEBOOK).read_text())
    outputs = json.dumps([c.get("outputs", []) for c in nb["cells"]])
    assert "onerror" not in outputs and "20,001 figure(s) were dropped" in outputs


def test_the_flood_is_noted_and_its_feedback_stays_small_with_little_memory(graded):
    """The feedback run of the student whose 300 cells printed 60 MB: page size and peak memory."""
    course, _, _, _ = graded
    script = ("import resource, sys\nfrom dlfcourse.course import Course\n"
              "from dlfcourse.outputs.feedback import generate_feedback\n"
              f"generate_feedback(Course.open({str(course)!r}), {ASSIGNMENT!r}, ['output_flood'])\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    peak_mb = int(run.stdout.split()[-1]) / 1024
    page = course / "feedback" / "output_flood" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")
    assert page.stat().st_size < 3 * 2**20, f"{page.stat().st_size:,} bytes"
    assert "characters of output were dropped" in page.read_text()
    assert peak_mb < 600, f"feedback peaked at {peak_mb:.0f} MB"


def test_nothing_outside_the_students_own_folders_changed(graded):
    _, _, before, protected = graded
    assert _hashes(protected) == before


@pytest.mark.browser
@pytest.mark.parametrize("student", ["html_in_markdown", "html_in_an_error"])
def test_html_a_student_wrote_does_not_run_in_the_feedback_page(graded, browser, student):
    """Collected, graded and fed back like any student: the page shows the HTML, Chromium runs none of it."""
    from inert_pages import assert_inert, visit

    course, _, _, _ = graded
    page = course / "feedback" / student / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")
    state = visit(browser, page)
    assert_inert(state, page.name)
    assert "onerror" in state["text"] or "<script>" in state["text"], "the student's HTML is shown as text"
