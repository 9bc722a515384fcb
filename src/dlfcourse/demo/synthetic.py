"""Synthetic students for an assignment, made from its source and release notebooks.

Kinds of student:

* ``correct`` — every answer cell holds the source's solution;
* ``partial-stub`` — the first half of the answers solved, the rest left as released;
* ``partial-sign`` — every answer solved, but the second half return their results negated;
* ``broken`` — every answer raises (left as released, or a syntax error);
* ``malicious-<attack>`` — correct answers plus one attack (see :mod:`dlfcourse.demo.attacks`).

Every notebook keeps the release's cells and metadata, as a real student's would.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dlfcourse.demo import attacks
from dlfcourse.course import Course
from dlfcourse.errors import CourseError

__all__ = ["SyntheticStudent", "KINDS", "solutions_of", "negate_returns", "make_student", "default_targets",
           "make_class"]


@dataclass(frozen=True)
class SyntheticStudent:
    """A made-up student: id, kind, and notebook name -> submitted notebook."""

    student_id: str
    kind: str
    notebooks: dict[str, NotebookNode]


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _is_answer(cell: NotebookNode) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("solution"))


def solutions_of(source: NotebookNode) -> dict[str, str]:
    """grade_id -> the answer cell's code with the solution kept and the ``### BEGIN/END SOLUTION`` lines removed."""
    markers = ("### BEGIN SOLUTION", "### END SOLUTION")
    return {
        grade_id: "\n".join(line for line in cell.source.splitlines() if line.strip() not in markers)
        for cell in source.cells
        if _is_answer(cell) and (grade_id := _grade_id(cell)) is not None
    }


class _NegateReturns(ast.NodeTransformer):
    def visit_Return(self, node: ast.Return) -> ast.Return:
        if isinstance(node.value, ast.Tuple):
            node.value.elts = [ast.UnaryOp(ast.USub(), elt) for elt in node.value.elts]
        elif node.value is not None:
            node.value = ast.UnaryOp(ast.USub(), node.value)
        return node


def negate_returns(code: str) -> str:
    """``code`` with every ``return x`` turned into ``return -x`` (elementwise for tuples): a sign mistake."""
    return ast.unparse(ast.fix_missing_locations(_NegateReturns().visit(ast.parse(code))))


def _fill(release: NotebookNode, answers: dict[str, str]) -> NotebookNode:
    notebook = copy.deepcopy(release)
    for cell in notebook.cells:
        grade_id = _grade_id(cell)
        if _is_answer(cell) and grade_id is not None and grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def _answers_for(kind: str, solutions: dict[str, str], index: int) -> dict[str, str]:
    """The answer cells' code for a non-malicious kind (``index`` varies the broken ones)."""
    ids = list(solutions)
    half = (len(ids) + 1) // 2
    if kind == "correct":
        return dict(solutions)
    if kind == "partial-stub":
        return {gid: solutions[gid] for gid in ids[:half]}
    if kind == "partial-sign":
        return {gid: (negate_returns(code) if i >= half else code) for i, (gid, code) in enumerate(solutions.items())}
    if kind == "broken":
        broken = "def oops(:\n    pass" if index % 2 else "raise RuntimeError('I ran out of time')"
        return {gid: broken for gid in ids}
    raise ValueError(f"unknown kind of student {kind!r}; known: {KINDS}")


#: Kinds, in the order make_class cycles through them.
KINDS = ("correct", "partial-stub", "partial-sign", "broken") + tuple(f"malicious-{a}" for a in attacks.ATTACKS)


def make_student(student_id: str, kind: str, sources: dict[str, NotebookNode], releases: dict[str, NotebookNode],
                 targets: attacks.Targets, index: int = 0) -> SyntheticStudent:
    """One synthetic student of ``kind`` for the notebooks ``sources``/``releases`` (name -> notebook)."""
    notebooks = {}
    for name, source in sources.items():
        solutions = solutions_of(source)
        if kind.startswith("malicious-"):
            answers = attacks.place_attack(kind.removeprefix("malicious-"), solutions, targets)
        else:
            answers = _answers_for(kind, solutions, index)
        notebooks[name] = _fill(releases[name], answers)
    return SyntheticStudent(student_id, kind, notebooks)


def _read(folder: Path) -> dict[str, NotebookNode]:
    return {path.stem: nbformat.read(path, as_version=4) for path in sorted(folder.glob("*.ipynb"))}


def default_targets(course: Course, assignment: str, victim: str) -> attacks.Targets:
    """The files a malicious student attacks: the gradebook, the victim's submission, the sources, the exports."""
    files = [course.submitted_dir / victim / assignment / f"{name}.ipynb" for name in _read(
        course.release_dir / assignment)]
    files += course.source_notebooks(assignment)
    files.append(course.root / "grades.csv")
    return attacks.Targets(course.gradebook, tuple(files))


def make_class(course: Course, assignment: str, size: int = 30, kinds: tuple[str, ...] = KINDS,
               name: Callable[[int, str], str] = lambda i, kind: f"s{i:02d}-{kind}") -> list[SyntheticStudent]:
    """``size`` students: one per malicious kind (at the end), the others cycling through the honest kinds.

    Needs the release of ``assignment`` (``dlf-course release``).
    """
    sources = _read(course.source_dir / assignment)
    releases = _read(course.release_dir / assignment)
    if set(releases) != set(sources):
        raise CourseError(f"the release of {assignment} does not match its sources: run `dlf-course release` first")
    malicious = [k for k in kinds if k.startswith("malicious-")][:size]
    honest = [k for k in kinds if not k.startswith("malicious-")] or malicious
    plan = [honest[i % len(honest)] for i in range(size - len(malicious))] + malicious
    ids = [name(i, kind) for i, kind in enumerate(plan)]
    targets = default_targets(course, assignment, victim=ids[0])
    return [make_student(sid, kind, sources, releases, targets, i)
            for i, (sid, kind) in enumerate(zip(ids, plan, strict=False))]
