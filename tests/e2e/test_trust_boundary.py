"""A determined student against the production grader: every attempt scores exactly what its honest part earns.

Each attacker submits the 04-softmax notebook with only ``softmax`` really done
(2 points) and every other answer left as the stub, plus the attack: in a cell
of its own before everything else, or as the answer to an item. The class is
graded through the production path (sandboxed workers, trusted verdicts,
nbgrader's gradebook), next to an honest student with every answer right.

The attack classes are those that beat the in-kernel grader (issue 8): shell
hooks, the reference replaced or reached, the grading code edited, expected
values read, predictable inputs, and the sandbox cases (endless loop, 50 GB,
fork storm, os._exit, writes to the gradebook / sources / a neighbour,
network, deleted or edited test cells, a notebook that is not JSON). After
grading, the gradebook, the sources, the release and the neighbour's files
must be unchanged except for what grading itself writes.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import matplotlib
import nbformat
import pytest

from course_fixtures import copy_course
from course_harness import REPO, build_submission, item_scores
from corpus import Submission

ASSIGNMENT = "04-softmax"
HONEST = {"softmax-test": 2.0}  # what every attacker's honest part earns
pytestmark = [pytest.mark.slow]

# The answers that are really done: softmax; everything else stays the released stub.
_SOFTMAX = '''
def softmax(Z):
    Z = np.asarray(Z, dtype=np.float64)
    e = np.exp(Z - np.max(Z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
'''

_FAKE_CE = '''
def cross_entropy(scores, y):
    return 0.0, np.zeros_like(scores)
'''


def _attacks(course: Path) -> dict[str, dict]:
    """student -> {"prepend": code, "answers": {grade_id: code}} for every attempt."""
    gradebook = course / "gradebook.db"
    neighbour = course / "submitted" / "honest" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    reference = REPO / "src" / "dlfoundations" / "losses.py"
    checks = REPO / "src" / "dlfcourse" / "grader" / "checks" / "a04_softmax.py"
    return {
        # --- shell hooks that rewrite or mark later cells
        "hook_input_transformer": {
            "prepend": "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])"},
        "hook_events": {"prepend": "ip = get_ipython()\nip.events.register('post_run_cell', lambda result: "
                                   "setattr(result, 'error_in_exec', None))"},
        "hook_compile_replaced": {"prepend": (
            "import builtins\n_real_compile = builtins.compile\n"
            "def _compile(source, filename, mode, *args, **kwargs):\n"
            "    if 'def softmax(' in str(source):\n"
            "        return _real_compile(source, filename, mode, *args, **kwargs)\n"
            "    return _real_compile(" + repr(_FAKE_CE) + ", filename, mode, *args, **kwargs)\n"
            "builtins.compile = _compile")},
        "prints_success": {"prepend": "import sys\nfor item in ('softmax', 'cross_entropy', 'multiclass_hinge'):\n"
                                      "    print(f'{item}: all hidden checks passed.')\n"
                                      "print('✔ 3 / 3 — passed', file=sys.stderr)"},
        # --- the reference replaced, reached or delegated to
        "reference_import": {"answers": {"ce-answer": "from dlfoundations.losses import cross_entropy"}},
        "reference_gc": {"prepend": "import gc\nfound = [o for o in gc.get_objects() if callable(o) and "
                                    "getattr(o, '__module__', '') == 'dlfoundations.losses']\n"
                                    "cross_entropy = found[0] if found else None"},
        "reference_globals": {"prepend": "from dlfoundations.kit import testing\n"
                                         "cross_entropy = testing.check_result.__globals__.get('cross_entropy')"},
        "reference_thread_importlib": {"prepend": (
            "import threading, importlib\nbox = {}\n"
            "def grab():\n    box['m'] = importlib.import_module('dlfoundations.losses')\n"
            "t = threading.Thread(target=grab); t.start(); t.join()\n"
            "cross_entropy = box['m'].cross_entropy")},
        "reference_from_file": {"prepend": (
            "import importlib.util\n"
            f"spec = importlib.util.spec_from_file_location('losses', {str(reference)!r})\n"
            "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
            "cross_entropy = module.cross_entropy")},
        "reads_hidden_checks": {"prepend": f"print(open({str(checks)!r}).read()[:500])"},
        # --- grading code edited in place
        "patches_compare": {"prepend": "from dlfoundations.kit import compare, testing\n"
                                       "compare.values_match = lambda *a, **k: True\n"
                                       "compare.compare_result = lambda *a, **k: None\n"
                                       "testing.check_result = lambda *a, **k: None",
                            "answers": {"ce-answer": _FAKE_CE}},
        "patches_numpy": {"prepend": "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                                     "np.isclose = lambda *a, **k: np.True_\nnp.array_equal = lambda *a, **k: True",
                          "answers": {"ce-answer": _FAKE_CE}},
        # --- expected values read while the comparison runs
        "reads_caller_frame": {"answers": {"ce-answer": (
            "import sys, gc\n"
            "def cross_entropy(scores, y):\n"
            "    frame, seen = sys._getframe(1), []\n"
            "    while frame is not None:\n"
            "        seen += [v for v in frame.f_locals.values() if isinstance(v, np.ndarray) "
            "and v.shape == scores.shape and v is not scores]\n"
            "        frame = frame.f_back\n"
            "    seen += [o for o in gc.get_objects() if isinstance(o, np.ndarray) and o.shape == scores.shape "
            "and o is not scores]\n"
            "    return 0.0, (seen[0] if seen else np.zeros_like(scores))")}},
        "returns_array_like": {"answers": {"ce-answer": (
            "class Chameleon:\n"
            "    def __array__(self, *a, **k):\n        import sys; return sys._getframe(1).f_locals.get('expected')\n"
            "    def __float__(self):\n        return 0.0\n"
            "def cross_entropy(scores, y):\n    return Chameleon(), Chameleon()")}},
        "settrace_spy": {"prepend": "import sys\nlog = []\n"
                                    "sys.settrace(lambda frame, event, arg: log.append(frame.f_locals))",
                         "answers": {"ce-answer": _FAKE_CE}},
        # --- predictable "random" inputs, then a table of answers
        "replaces_urandom": {"prepend": "import os, numpy as np\nos.urandom = lambda n: bytes(n)\nnp.random.seed(0)",
                             "answers": {"ce-answer": (
                                 "TABLE = {}\n"
                                 "def cross_entropy(scores, y):\n"
                                 "    return TABLE.get(scores.tobytes(), (0.0, np.zeros_like(scores)))")}},
        "replays_seed_zero": {"answers": {"ce-answer": (
            "def cross_entropy(scores, y):\n"
            "    rng = np.random.default_rng(0)\n"
            "    return float(rng.uniform()), rng.uniform(size=scores.shape)")}},
        # --- the sandbox cases
        "endless_loop": {"prepend": "while True:\n    pass"},
        "allocates_50_gb": {"prepend": "import numpy as np\nhog = np.ones(50 * 2**30 // 8)"},
        "fork_storm": {"prepend": "import os\nwhile True:\n    os.fork()"},
        "exits_its_process": {"answers": {"jacobian-answer": "import os\nos._exit(0)"}},
        "exits_in_a_call": {"answers": {"ce-answer": "import os\ndef cross_entropy(scores, y):\n    os._exit(1)"}},
        "loops_in_a_call": {"answers": {"ce-answer": "def cross_entropy(scores, y):\n    while True:\n        pass"}},
        "writes_everywhere": {"prepend": (
            "import os, sqlite3\n"
            f"for path in [{str(gradebook)!r}, {str(neighbour)!r}, {str(course / 'solutions')!r} + '/{ASSIGNMENT}/"
            f"{ASSIGNMENT}.ipynb', '../../../gradebook.db', {str(course / 'grades.csv')!r}]:\n"
            "    try:\n        open(path, 'ab').write(b'HACKED'); print('WROTE', path)\n"
            "    except OSError as error:\n        print('blocked', path, type(error).__name__)\n"
            "try:\n"
            f"    db = sqlite3.connect({str(gradebook)!r}); db.execute('UPDATE grade SET manual_score = 100'); "
            "db.commit(); print('EDITED')\n"
            "except Exception as error:\n    print('blocked sqlite', error)")},
        "network": {"prepend": (
            "import socket\nfor address in [('1.1.1.1', 80), ('127.0.0.1', 22)]:\n"
            "    try:\n        socket.create_connection(address, timeout=2).close(); print('CONNECTED', address)\n"
            "    except OSError as error:\n        print('blocked', address, error)")},
    }


def _submission(student: str, attack: dict) -> Submission:
    return Submission(student, answers={"softmax-answer": _SOFTMAX, **attack.get("answers", {})},
                      prepend=attack.get("prepend", ""), blank=True)


def _hashes(paths: list[Path]) -> dict[str, str]:
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()]
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, released_assignment):
    from dlfcourse.course import Course
    from dlfcourse.autograde.command import autograde
    from dlfcourse.settings import GradingSettings, Limits

    course = copy_course(released_assignment(ASSIGNMENT), tmp_path_factory.mktemp("trust") / "course").root
    attacks = _attacks(course)
    build_submission(course, ASSIGNMENT, Submission("honest"))
    for student, attack in attacks.items():
        build_submission(course, ASSIGNMENT, _submission(student, attack))
    # the test cells deleted, or edited by the student; a notebook that is not JSON
    build_submission(course, ASSIGNMENT, Submission("deletes_test_cell", answers={"softmax-answer": _SOFTMAX},
                                                    delete_cells=("softmax-test", "ce-test"), blank=True))
    build_submission(course, ASSIGNMENT, Submission("edits_test_cell", answers={"softmax-answer": _SOFTMAX},
                                                    edit_tests=("softmax-test", "ce-test"), blank=True))
    stripped = build_submission(course, ASSIGNMENT, Submission("lost_its_metadata",
                                                               answers={"softmax-answer": _SOFTMAX}, blank=True))
    notebook = nbformat.read(stripped, as_version=4)
    for cell in notebook.cells:  # as after copying the cells into a new notebook
        cell.metadata.pop("nbgrader", None)
    nbformat.write(notebook, stripped)
    forged = build_submission(course, ASSIGNMENT, Submission("forges_verdicts", answers={"softmax-answer": _SOFTMAX},
                                                             blank=True))
    notebook = nbformat.read(forged, as_version=4)
    for cell in notebook.cells:  # a verdict of full marks written into every graded cell's metadata
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            cell.metadata["dlfcourse"] = {"item": meta["grade_id"], "points": meta["points"],
                                          "max_points": meta["points"], "code": "passed", "message": "passed"}
    nbformat.write(notebook, forged)
    broken = course / "submitted" / "not_json" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [ this is not json')
    (course / "grades.csv").write_text("an export from before\n")
    protected = [course / "solutions", course / "exercises", course / "grades.csv",
                 course / "submitted" / "honest"]
    before = _hashes(protected)
    options = GradingSettings(jobs=2, force=True, cell_timeout=5, call_timeout=5, notebook_timeout=120,
                              limits=Limits(memory_bytes=2 * 2**30, processes=32),
                              mpl_cache=matplotlib.get_cachedir())
    outcomes = {o.student: o for o in autograde(Course.open(course), ASSIGNMENT, options, progress=False)}
    return course, attacks, outcomes, before, protected


def test_the_honest_student_gets_full_marks(graded):
    course, _, outcomes, _, _ = graded
    scores = item_scores(course, ASSIGNMENT, "honest")
    assert outcomes["honest"].score == (16.0, 16.0)
    assert scores["softmax-test"] == 2.0 and scores["digits-test"] == 3.0


@pytest.mark.parametrize("student", sorted(_attacks(Path("/nonexistent"))) + ["deletes_test_cell", "edits_test_cell",
                                                                             "lost_its_metadata", "forges_verdicts"])
def test_an_attack_earns_exactly_its_honest_part(graded, student):
    course, _, outcomes, _, _ = graded
    assert outcomes[student].status == "graded", outcomes[student].line()
    scores = item_scores(course, ASSIGNMENT, student)
    auto = {g: s for g, s in scores.items() if g.endswith("-test")}
    expected = {g: HONEST.get(g, 0.0) for g in auto}
    assert auto == expected, f"{student}: {auto}"


def test_verdicts_written_into_the_submitted_file_are_not_kept(graded):
    """Not in the gradebook, nor in the graded notebook that the feedback and the report read."""
    from dlfcourse.grader.verdict import verdicts_of

    course, _, outcomes, _, _ = graded
    path = course / "autograded" / "forges_verdicts" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    kept = dict(verdicts_of(nbformat.read(path, as_version=4)))
    assert set(kept) == {g for g in item_scores(course, ASSIGNMENT, "forges_verdicts") if g.endswith("-test")}
    assert outcomes["forges_verdicts"].score == (2.0, 16.0)


def test_a_notebook_that_is_not_json_fails_alone_with_a_reason(graded):
    _, _, outcomes, _, _ = graded
    assert outcomes["not_json"].status == "failed" and outcomes["not_json"].message
    assert sum(o.status == "graded" for o in outcomes.values()) == len(outcomes) - 1


def test_the_sources_the_release_the_exports_and_the_neighbour_are_unchanged(graded):
    _, _, _, before, protected = graded
    assert _hashes(protected) == before


def test_the_gradebook_is_intact_and_holds_no_score_the_notebooks_wrote(graded):
    course, _, _, _, _ = graded
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM grade WHERE manual_score IS NOT NULL").fetchone()[0] == 0


def test_the_verdicts_say_what_happened(graded):
    """Feedback, not evidence: the autograded notebook shows the trusted verdict in each test cell."""
    course, _, _, _, _ = graded

    def verdict(student: str, grade_id: str) -> str:
        nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        return cell.metadata["dlfcourse"]["code"] + ": " + cell.metadata["dlfcourse"]["message"]

    assert verdict("loops_in_a_call", "ce-test").startswith("time-limit")
    assert verdict("exits_in_a_call", "ce-test").startswith("crashed")
    assert verdict("reference_import", "ce-test").startswith("missing")
    assert verdict("returns_array_like", "ce-test").startswith("wrong-type")
    assert verdict("deletes_test_cell", "softmax-test").startswith("passed")
