"""The courses the instructor-package tests start from, each built once per test worker and copied.

Building a course (releasing it with nbgrader, grading a class in the sandbox) takes seconds; the
session fixtures of tests/conftest.py build each course below once per test worker, and a module
that changes a course works on its own copy (:func:`copy_course`), adding its own students
(:func:`hand_in`) where it needs a class of its own.

**The sample course, released** (:func:`build_released_sample`, fixture ``released_sample``): the
instructor package's sample assignment (``dlfcourse.demo.sample``, two items: relu 1 point, mse 2),
released, no student yet.

**The sample course, graded** (:func:`build_graded_sample`, fixture ``graded_sample``): the same with
the class :data:`SAMPLE_CLASS` collected and graded by ``dlf-course autograde`` in the sandbox.

**The 04-softmax course, graded without the grader** (:func:`build_graded_course`, fixture
``graded_softmax``), for the export, feedback and report tests. One assignment of the repository
(04-softmax: code items and two written answers) is copied into a temporary course; the gradebook
is filled through nbgrader's API (assignment, notebook, cells, submissions, auto and manual scores)
and each autograded notebook is written here, with the trusted grader's verdicts stored in its test
cells (:func:`dlfcourse.grader.verdict.store_verdict`). Its class:

========  ================================================================================
ann       every item passed, both written answers graded
bob       two items failed (``not-finite``, ``forgot-mean``, the latter through a helper);
          the written answers still to be graded by hand
cara      collected, never graded
eve, fay  the same unusual code with other names and spacing (a similar pair)
gus, hal  handed in the stub unchanged (``not-implemented``): similar, but only in the stub;
          gus's training cell raised NotImplementedError, hal's was stopped at the time limit
========  ================================================================================

The roster also lists ivy, who handed in nothing.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat

from dlfcourse.course import Course
from dlfcourse.demo.sample import SAMPLE_ASSIGNMENT
from dlfcourse.grader.verdict import Verdict, store_verdict

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "04-softmax"
NOTEBOOK = "04-softmax"
STUDENTS = ["ann", "bob", "eve", "fay", "gus", "hal"]  # in the gradebook; cara is only collected
MANUAL = ["ce-gradient-cases", "init-losses"]
ROSTER = """id,name,email,canvas_id,sis_user_id,sis_login_id,section,id_number
ann,Ann Lee,ann@uni.edu,101,S101,alee,A,M101
bob,Bob Brown,bob@uni.edu,102,S102,bbrown,A,M102
cara,Cara Díaz,cara@uni.edu,103,S103,cdiaz,B,M103
eve,Eve Ørsted,eve@uni.edu,104,S104,eorsted,B,M104
fay,Fay Fox,fay@uni.edu,105,S105,ffox,B,M105
gus,Gus Grün,gus@uni.edu,106,S106,ggrun,A,M106
hal,Hal Hope,,,,,A,
ivy,Ivy Ivanova,ivy@uni.edu,108,S108,iivanova,A,M108
"""

#: eve's and fay's softmax and cross-entropy: the same unusual code, renamed and re-spaced.
EVE = {
    "softmax-answer": '''def softmax(Z):
    shifted = np.asarray(Z, dtype=float) - np.max(Z, axis=-1, keepdims=True)
    numerators = np.exp(shifted)
    denominators = np.sum(numerators, axis=-1, keepdims=True)
    out = numerators / denominators
    assert out.shape == np.shape(Z)
    return out''',
    "ce-answer": '''def cross_entropy(scores, y):
    count = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    value = -logp[np.arange(count), y].mean()
    grad = np.exp(logp)
    grad[np.arange(count), y] -= 1.0
    return value, grad / count''',
}
FAY = {
    "softmax-answer": '''def softmax(Z):
    s = np.asarray(Z, dtype = float) - np.max(Z, axis = -1, keepdims = True)   # stable
    e = np.exp(s)
    t = np.sum(e, axis=-1, keepdims=True)
    r = e / t
    assert r.shape == np.shape(Z)
    return r''',
    "ce-answer": '''def cross_entropy(scores, y):
    n = scores.shape[0]
    z = scores - scores.max(axis=1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -lp[np.arange(n), y].mean()
    g = np.exp(lp)
    g[np.arange(n), y] -= 1.0
    return loss, g / n''',
}


#: the training cell's error output in the graded notebook, as the grader writes it (grader/outputs.py)
STOPPED = "This cell was stopped: running cell 23 took longer than 60 s. The cells after it ran in a fresh process."
NEVER_RAN = {
    "gus": {"ename": "NotImplementedError", "evalue": "", "traceback": ["NotImplementedError: "]},
    "hal": {"ename": "Stopped", "evalue": STOPPED, "traceback": [f"Stopped: {STOPPED}"]},
}


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def solved(release: nbformat.NotebookNode, source: nbformat.NotebookNode,
           answers: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The release with each answer cell replaced by ``answers`` or by the source's solution."""
    solutions = {_meta(c)["grade_id"]: strip_markers(c.source) for c in source.cells if _meta(c).get("solution")}
    notebook = copy.deepcopy(release)
    for cell in notebook.cells:
        grade_id = _meta(cell).get("grade_id")
        if _meta(cell).get("solution"):
            cell.source = (answers or {}).get(grade_id, solutions[grade_id])
    return notebook


def graded_items(source: nbformat.NotebookNode) -> dict[str, float]:
    return {_meta(c)["grade_id"]: float(_meta(c)["points"]) for c in source.cells
            if _meta(c).get("grade") and not _meta(c).get("solution")}


def _verdicts(student: str, items: dict[str, float]) -> dict[str, Verdict]:
    seed = 1000 * (STUDENTS.index(student) + 1)
    verdicts = {}
    for number, (item, points) in enumerate(items.items()):
        verdicts[item] = Verdict(item, points, points, "passed", "all cases agree with the reference", seed + number)
    if student == "bob":
        verdicts["softmax-test"] = Verdict("softmax-test", 0.0, items["softmax-test"], "not-finite",
                                           "NaN on logits of 1e4: subtract the row maximum first", seed)
        verdicts["regression-test"] = Verdict("regression-test", 0.0, items["regression-test"], "forgot-mean",
                                              "off by a factor 5: the mean over the batch is missing", seed + 3,
                                              helper="cross_entropy")
    if student in ("gus", "hal"):
        verdicts = {item: Verdict(item, 0.0, points, "not-implemented", "softmax is not implemented yet", seed + n)
                    for n, (item, points) in enumerate(items.items())}
    return verdicts


def build_graded_course(root: Path) -> Course:
    """The course described in the module docstring, at ``root``."""
    import warnings

    from nbgrader.api import Gradebook

    warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy's, for submissions added by hand

    root.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    for folder in ("solutions", "exercises"):
        shutil.copytree(REPO / folder / ASSIGNMENT, root / folder / ASSIGNMENT)
    course = Course.open(root)
    (course.state_dir).mkdir()
    (course.state_dir / "roster.csv").write_text(ROSTER, encoding="utf-8")
    course.state.record_seeds(ASSIGNMENT, {student: 7770 + k for k, student in enumerate(STUDENTS)})
    source = nbformat.read(root / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    release = nbformat.read(root / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    items = graded_items(source)
    answers = {"ann": {}, "bob": {}, "cara": {}, "eve": EVE, "fay": FAY,
               "gus": {_meta(c)["grade_id"]: c.source for c in release.cells if _meta(c).get("solution")}}
    answers["hal"] = answers["gus"]
    with Gradebook(course.db_url) as gradebook:
        gradebook.add_assignment(ASSIGNMENT)
        gradebook.add_notebook(NOTEBOOK, ASSIGNMENT)
        for cell in source.cells:
            meta = _meta(cell)
            if meta.get("grade"):
                gradebook.add_grade_cell(meta["grade_id"], NOTEBOOK, ASSIGNMENT, max_score=float(meta["points"]),
                                         cell_type=cell.cell_type)
            if meta.get("solution"):
                gradebook.add_solution_cell(meta["grade_id"], NOTEBOOK, ASSIGNMENT)
        for student in ["ann", "bob", "cara", "eve", "fay", "gus", "hal"]:
            notebook = solved(release, source, answers[student])
            folder = course.submitted_dir / student / ASSIGNMENT
            folder.mkdir(parents=True)
            nbformat.write(notebook, folder / f"{NOTEBOOK}.ipynb")
            (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
            if student == "cara":
                continue
            gradebook.update_or_create_student(student)
            gradebook.add_submission(ASSIGNMENT, student)
            verdicts = _verdicts(student, items)
            graded = copy.deepcopy(notebook)
            for cell in graded.cells:
                if _meta(cell).get("grade_id") in verdicts:
                    store_verdict(cell, verdicts[_meta(cell)["grade_id"]])
                if _meta(cell).get("grade_id") == "digits-answer" and student in NEVER_RAN:
                    cell.outputs = [nbformat.v4.new_output("error", **NEVER_RAN[student])]
            out = course.autograded_dir / student / ASSIGNMENT
            out.mkdir(parents=True)
            nbformat.write(graded, out / f"{NOTEBOOK}.ipynb")
            (out / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
            for item, verdict in verdicts.items():
                grade = gradebook.find_grade(item, NOTEBOOK, ASSIGNMENT, student)
                grade.auto_score = verdict.points
                grade.needs_manual_grade = False
            for item in MANUAL:
                grade = gradebook.find_grade(item, NOTEBOOK, ASSIGNMENT, student)
                grade.auto_score = None
                grade.needs_manual_grade = True
                if student != "bob":
                    grade.manual_score = 2.0 if student != "eve" or item == MANUAL[0] else 1.0
                    grade.needs_manual_grade = False
            gradebook.db.commit()
    return course


# ----------------------------------------------------------------------------- the sample course

#: The class of the graded sample course: student -> the kind of synthetic submission (dlfcourse.demo.synthetic).
SAMPLE_CLASS = {"a-correct": "correct", "b-broken": "broken", "c-correct": "correct", "d-stub": "partial-stub"}
SAMPLE_UIDS = 63400  # the sandbox uids of the one grading of the sample class, apart from the test modules' own


def copy_course(template: Path, root: Path) -> Course:
    """A copy at ``root`` of the course at ``template`` (a session's, never to be changed): the module's own."""
    shutil.copytree(template, root, symlinks=True)
    return Course.open(root)


def hand_in(course: Course, student: str, kind: str) -> nbformat.NotebookNode:
    """``student``'s synthetic submission of the sample assignment, of ``kind``, written as collected."""
    from dlfcourse.demo.synthetic import make_class

    made = make_class(course, SAMPLE_ASSIGNMENT, 1, kinds=(kind,), name=lambda i, k: student)[0]
    notebook = made.notebooks["sample"]
    folder = course.submitted_dir / student / SAMPLE_ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / "sample.ipynb")
    return notebook


def build_released_sample(root: Path) -> Path:
    """The sample course at ``root``, released (no student)."""
    from dlfcourse.demo.sample import write_sample_course
    from dlfcourse.release import release

    write_sample_course(root)
    results = release(Course.open(root), [SAMPLE_ASSIGNMENT])
    assert all(r.ok for r in results), [r.message for r in results]
    return root


def build_graded_sample(released: Path, root: Path) -> Path:
    """A copy of the released sample course at ``root``, :data:`SAMPLE_CLASS` handed in and graded by
    ``dlf-course autograde`` (sandboxed, two at a time)."""
    from course_harness import run_cli

    course = copy_course(released, root)
    for student, kind in SAMPLE_CLASS.items():
        hand_in(course, student, kind)
    status, out = run_cli("autograde", SAMPLE_ASSIGNMENT, "--course", str(root), "--jobs", "2", "--cell-timeout", "10",
                          "--sandbox-uid-base", str(SAMPLE_UIDS), "--no-progress")
    assert status == 0 and f"{len(SAMPLE_CLASS)} graded, 0 skipped, 0 failed" in out, out
    return root
