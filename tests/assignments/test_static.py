"""The assignments as files: valid nbgrader metadata, a release in sync with its source, no leaks.

Executing the instructor notebooks (every visible test passing) is
done by nbval on ``solutions/`` (see ``testpaths`` in pyproject.toml).
"""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from conftest import ASSIGNMENTS, CHAPTERS, REPO
from course_harness import nbgrader

STUB = "Not implemented yet"


def _source(assignment: str):
    return nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)


def _release(assignment: str):
    return nbformat.read(REPO / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_one_assignment_per_chapter_in_both_trees():
    assert ASSIGNMENTS == CHAPTERS, "solutions/ should hold one assignment per chapter, named like it"
    released = sorted(p.name for p in (REPO / "exercises").iterdir() if p.is_dir())
    assert released == ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_metadata_is_valid_and_items_are_worth_points(assignment):
    notebook = _source(assignment)
    MetadataValidator().validate_nb(notebook)  # raises ValidationError on bad metadata
    tests = [m for m in map(_meta, notebook.cells) if m.get("grade") and not m.get("solution")]
    written = [m for m in map(_meta, notebook.cells) if m.get("grade") and m.get("solution")]
    assert 5 <= len(tests) <= 8, f"{assignment} has {len(tests)} auto-graded items, expected 5-8"
    assert 1 <= len(written) <= 2, f"{assignment} should have one or two written questions"
    assert all(m["points"] > 0 for m in tests + written)
    ids = [m["grade_id"] for m in map(_meta, notebook.cells) if m]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    for cell in notebook.cells:
        assert "HIDDEN TESTS" not in cell.source, "hidden checks live in dlfcourse, never in a notebook"
        assert not cell.get("outputs"), "source notebooks are committed without outputs"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_test_cell_has_a_hidden_check_and_every_check_a_test_cell(assignment):
    """The trusted grader finds each item's check by the grade id of its test cell."""
    from dlfcourse.grader import checks

    tests = {m["grade_id"] for m in map(_meta, _source(assignment).cells) if m.get("grade") and not m.get("solution")}
    assert {item.grade_id for item in checks.find(assignment).items} == tests
    answers = "\n".join(c.source for c in _source(assignment).cells if _meta(c).get("solution"))
    for item in checks.find(assignment).items:
        for name in item.functions:
            assert f"def {name}(" in answers, f"{item.grade_id} grades {name}, which no answer cell defines"


def _split_lines(notebook) -> tuple[set[str], set[str]]:
    """(lines inside solution/hidden-test blocks, lines outside them) of a source notebook, stripped."""
    inside_lines, outside_lines, inside = set(), set(), False
    for cell in notebook.cells:
        for line in cell.source.splitlines():
            marker = line.strip()
            if marker in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                inside = True
            elif marker in ("### END SOLUTION", "### END HIDDEN TESTS"):
                inside = False
            else:
                (inside_lines if inside else outside_lines).add(marker)
    return inside_lines, outside_lines


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solution_or_hidden_test(assignment):
    release = _release(assignment)
    text = "\n".join(cell.source for cell in release.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
        assert marker not in text
    secret, public = _split_lines(_source(assignment))
    release_lines = {line.strip() for line in text.splitlines()}
    leaked = sorted(line for line in secret - public if len(line) > 8 and line in release_lines)
    assert not leaked, f"solution or hidden-test lines found in the release: {leaked[:3]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_release_answer_cell_is_a_clear_stub(assignment):
    answers = [c for c in _release(assignment).cells if _meta(c).get("solution") and c.cell_type == "code"]
    assert answers
    for cell in answers:
        assert STUB in cell.source, f"{_meta(cell)['grade_id']} should raise the NotImplementedError stub"
    written = [c for c in _release(assignment).cells if _meta(c).get("solution") and c.cell_type == "markdown"]
    assert written and all(c.source.strip() == "YOUR ANSWER HERE" for c in written), \
        "written answers must be blank in the release"


def test_release_is_in_sync_with_the_sources(tmp_path):
    """Regenerating exercises/ from solutions/ with nbgrader gives exactly the committed files."""
    course = tmp_path / "course"
    shutil.copytree(REPO / "solutions", course / "solutions")
    shutil.copy(REPO / "nbgrader_config.py", course)
    for assignment in ASSIGNMENTS:
        nbgrader(course, "generate_assignment", assignment, "--force")
    stale = []
    for assignment in ASSIGNMENTS:
        fresh = nbformat.read(course / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
        committed = _release(assignment)
        same = [(c.cell_type, c.source, _meta(c)) for c in fresh.cells] == \
               [(c.cell_type, c.source, _meta(c)) for c in committed.cells]
        files_fresh = sorted(p.name for p in (course / "exercises" / assignment).iterdir())
        files_committed = sorted(p.name for p in (REPO / "exercises" / assignment).iterdir())
        if not same or files_fresh != files_committed:
            stale.append(assignment)
    assert not stale, f"exercises/ is out of date for {stale}: run `make release` and commit the result"
