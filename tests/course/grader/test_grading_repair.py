"""A submission cannot fail its own grading: whatever the student did to the notebook's metadata.

Unit tests of :mod:`dlfcourse.grader.repair` (the grading metadata rebuilt from the source,
each repair noted) on the released 04-softmax notebook and the sample assignment, then attempts
through the production path on the sample course: ``autograde`` (sandboxed workers, nbgrader,
the single writer) → ``export`` without ``--allow-pending`` → ``feedback``. Each attempt must earn
exactly what the same notebook earns without the tampering, the student must see the note in
the feedback, the instructor in autograde's line, and nothing but the grader's own outputs may
change. A grading that still fails keeps its full log for the instructor.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from dlfcourse.grader.repair import load_submission, read_notes, repair_metadata, store_notes, summarise

REPO = Path(__file__).resolve().parents[3]
SOURCE = REPO / "solutions" / "04-softmax" / "04-softmax.ipynb"
RELEASE = REPO / "exercises" / "04-softmax" / "04-softmax.ipynb"
UIDS = 63400  # sandbox uids of their own, apart from the other grading tests


# --- helpers ---------------------------------------------------------------------------------------------

def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _cell(nb, grade_id: str):
    return next(c for c in nb.cells if isinstance(_meta(c), dict) and _meta(c).get("grade_id") == grade_id)


def _source() -> nbformat.NotebookNode:
    return nbformat.read(SOURCE, as_version=4)


def _release() -> nbformat.NotebookNode:
    return nbformat.read(RELEASE, as_version=4)


def _graded_metadata(nb) -> dict[str, dict]:
    """grade_id -> nbgrader metadata of every cell that has some (ValueError on a repeat)."""
    found = {}
    for cell in nb.cells:
        meta = _meta(cell)
        if meta:
            if meta["grade_id"] in found:
                raise ValueError(f"grade id {meta['grade_id']} twice")
            found[meta["grade_id"]] = dict(meta)
    return found


def _assert_safe_for_nbgrader(nb, source) -> None:
    """What nbgrader needs: valid nbformat 4.5, valid nbgrader metadata, each cell of the source once, as in it."""
    nbformat.validate(nb)
    MetadataValidator().validate_nb(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert len({c.id for c in nb.cells}) == len(nb.cells)
    expected = _graded_metadata(source)
    for grade_id, meta in _graded_metadata(nb).items():
        assert meta == expected[grade_id], grade_id
        assert _cell(nb, grade_id).cell_type == _cell(source, grade_id).cell_type


def _repaired(nb, source=None) -> list[str]:
    source = source or _source()
    notes = repair_metadata(nb, source)
    _assert_safe_for_nbgrader(nb, source)
    return notes


# --- unit tests: the repair --------------------------------------------------------------------------------

def test_an_untouched_release_needs_no_repair_and_gets_the_sources_metadata():
    nb = _release()
    answers = {_meta(c)["grade_id"]: c.source for c in nb.cells if _meta(c).get("solution")}
    assert _repaired(nb) == []
    assert {g: _cell(nb, g).source for g in answers} == answers  # the student's words are kept
    assert set(_graded_metadata(nb)) == set(_graded_metadata(_source()))


def test_a_test_cell_re_marked_as_a_solution_worth_100_points_gets_its_settings_back():
    nb = _release()
    _meta(_cell(nb, "ce-test")).update(solution=True, locked=False, points=100)
    notes = _repaired(nb)
    assert _meta(_cell(nb, "ce-test"))["points"] == 3 and not _meta(_cell(nb, "ce-test"))["solution"]
    assert notes == ["The grading settings of the cell `ce-test` had been changed (locked, points, solution); "
                     "the assignment's settings were used."]


def test_a_duplicated_answer_cell_keeps_the_first_copy_graded_and_the_second_as_plain_code():
    nb = _release()
    first = _cell(nb, "ce-answer")
    first.source = "def cross_entropy(scores, y):\n    return 0.0, 0 * scores"
    second = copy.deepcopy(first)
    second.id, second.source = "copy-of-ce", "def cross_entropy(scores, y):\n    return 1.0, scores"
    nb.cells.insert(nb.cells.index(first) + 1, second)
    notes = _repaired(nb)
    copies = [c for c in nb.cells if c.source.startswith("def cross_entropy")]
    assert [c.id for c in copies] == [first.id, "copy-of-ce"]
    assert _meta(copies[0])["grade_id"] == "ce-answer" and "nbgrader" not in copies[1].metadata
    assert copies[1].cell_type == "code" and copies[1].source.endswith("return 1.0, scores")
    assert notes == ["A second copy of the answer cell `ce-answer` was found and run as ordinary code; only the "
                     "first copy is graded as the answer."]


def test_a_duplicated_test_cell_is_removed():
    nb = _release()
    cells = len(nb.cells)
    original = _cell(nb, "ce-test")
    twin = copy.deepcopy(original)
    twin.id = "twin"
    nb.cells.insert(3, twin)  # before the original: the first copy is the one kept
    notes = _repaired(nb)
    assert len(nb.cells) == cells and "twin" in [c.id for c in nb.cells] and original.id not in [c.id for c in nb.cells]
    assert notes == ["A second copy of the test cell `ce-test` was removed; only the first copy is graded."]


def test_an_invented_graded_cell_stays_as_ordinary_code_and_is_not_graded():
    nb = _release()
    bonus = nbformat.v4.new_code_cell("print('bonus')", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 50, "grade_id": "bonus", "schema_version": 3}})
    nb.cells.append(bonus)
    notes = _repaired(nb)
    assert nb.cells[-1].source == "print('bonus')" and "nbgrader" not in nb.cells[-1].metadata
    assert "bonus" not in _graded_metadata(nb)
    assert notes == ["The cell marked as graded cell `bonus` is not part of the assignment; it was kept as ordinary "
                     "code and not graded."]


def test_cells_stripped_of_their_metadata_are_recognised_by_cell_id():
    nb = _release()
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    notes = _repaired(nb)
    assert _graded_metadata(nb) == _graded_metadata(_source())
    names = [f"`{g}`" for g in _graded_metadata(_source())]
    assert notes == [f"The cells {', '.join(names[:-1])} and {names[-1]} had lost their grading settings; they were "
                     "recognised by their cell ids and graded as usual."]


@pytest.mark.parametrize("damage", [
    "not a dict", {"grade": 1, "solution": 0, "locked": True, "grade_id": "ce-test", "points": 3, "schema_version": 3},
    {"grade": True, "solution": False, "locked": True, "grade_id": "ce-test", "points": "lots", "schema_version": 3},
    {"grade": True, "grade_id": 7}, None, []])
def test_malformed_metadata_is_rebuilt(damage):
    nb = _release()
    _cell(nb, "ce-test").metadata["nbgrader"] = damage
    notes = _repaired(nb)
    assert len(notes) == 1 and "ce-test" in notes[0]
    assert _graded_metadata(nb)["ce-test"] == _graded_metadata(_source())["ce-test"]


@pytest.mark.parametrize("version", [0, 2, 4, 99, "3"])
def test_a_wrong_schema_version_is_rebuilt(version):
    nb = _release()
    _meta(_cell(nb, "softmax-answer"))["schema_version"] = version
    assert _repaired(nb) == ["The grading settings of the cell `softmax-answer` had been changed (schema_version); "
                             "the assignment's settings were used."]


def test_a_changed_checksum_is_ignored_without_a_note():
    """nbgrader rewrites every checksum from its gradebook; a malformed one must not reach its validator."""
    nb = _release()
    _meta(_cell(nb, "ce-test"))["checksum"] = "short"
    _meta(_cell(nb, "hinge-test"))["checksum"] = 12345
    assert _repaired(nb) == []
    assert "checksum" not in _meta(_cell(nb, "ce-test"))


def test_a_grade_id_relabelled_to_another_cells_is_recognised_by_cell_id():
    nb = _release()
    _meta(_cell(nb, "regression-test"))["grade_id"] = "ce-test"  # now two cells claim ce-test
    notes = _repaired(nb)
    assert _graded_metadata(nb) == _graded_metadata(_source())
    assert notes == ["The grading settings of the cell `regression-test` had been changed (grade_id); the "
                     "assignment's settings were used."]


def test_a_cell_whose_type_was_changed_gets_the_sources_type_and_keeps_the_students_text():
    nb = _release()
    answer = _cell(nb, "softmax-answer")
    answer.source = "def softmax(z):\n    return z"
    index = nb.cells.index(answer)
    nb.cells[index] = nbformat.v4.new_markdown_cell(answer.source, metadata=answer.metadata)
    nb.cells[index].id = answer.id
    notes = _repaired(nb)
    assert _cell(nb, "softmax-answer").cell_type == "code" and _cell(nb, "softmax-answer").source == answer.source
    assert notes == ["The cell `softmax-answer` had been turned into a markdown cell; it was graded as a code cell, "
                     "as in the assignment."]


def test_a_locked_markdown_cell_edited_and_unlocked_is_locked_again_and_noted():
    from dlfcourse.demo.sample import sample_notebook

    source = sample_notebook()
    nb = copy.deepcopy(source)
    intro = _cell(nb, "intro")
    intro.source = "# Sample assignment\n<script>alert('edited')</script>"
    _meta(intro)["locked"] = False
    notes = _repaired(nb, source)
    assert _meta(_cell(nb, "intro"))["locked"] is True  # nbgrader now restores its text from the source
    assert notes == ["The grading settings of the cell `intro` had been changed (locked); the assignment's settings "
                     "were used.", "Your changes to the locked cell `intro` were undone; it was graded as released."]


def _damaged_file() -> str:
    """The release as JSON, with the notebook-level damage a hand-edited file shows."""
    data = json.loads(nbformat.writes(_release()))
    data["nbformat_minor"] = 99
    data["metadata"] = {"kernelspec": "python3", "dlfcourse": {"repairs": ["forged <b>note</b>"]}}
    data["cells"][0]["id"] = data["cells"][1]["id"]  # a repeated id
    del data["cells"][2]["id"]
    data["cells"][3]["metadata"]["tags"] = 5  # invalid cell metadata
    data["cells"] += [7, {"cell_type": "heading", "source": ["# old ", "heading"], "metadata": {}}]
    return json.dumps(data)


def test_a_damaged_file_is_read_into_a_valid_notebook_with_notes():
    nb, notes = load_submission(_damaged_file())
    notes += _repaired(nb)
    assert notes == [
        "The notebook declared the format version 4.99; it was read as version 4.5.",
        "Cell 26 was not a notebook cell and was left out.",
        "Cell 27 had the unknown type heading and was kept as a raw cell.",
        "Cell 4 had damaged metadata or attachments, which were cleared.",
        "The notebook's own metadata was damaged; the assignment's was used.",
        "1 cell(s) had a missing, malformed or repeated cell id and were given a new one."]
    assert nb.metadata == _source().metadata and read_notes(nb) == []  # the forged note is gone
    assert nb.cells[-1].cell_type == "raw" and nb.cells[-1].source == "# old heading"
    assert _meta(nb.cells[3])["grade_id"] == "softmax-answer"  # its nbgrader metadata survived the clearing


def test_an_nbformat_3_file_is_converted_and_graded_as_usual():
    text = nbformat.writes(nbformat.convert(_release(), 3), version=3)
    nb, notes = load_submission(text)
    assert notes + _repaired(nb) == []
    assert set(_graded_metadata(nb)) == set(_graded_metadata(_source()))


def test_a_name_the_student_wrote_is_shown_short_and_printable():
    nb = _release()
    name = "x\x1b[2J`" + "y" * 200
    nb.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {"grade": True, "grade_id": name}}))
    [note] = _repaired(nb)
    assert note.startswith("The cell marked as graded cell `x?[2J?yyy") and "\x1b" not in note and len(note) < 160


def test_a_file_that_is_not_a_notebook_is_refused():
    for text in ('{"cells": [ this is not json', "[1, 2]", '{"metadata": {}}'):
        with pytest.raises(ValueError):
            load_submission(text)


def test_notes_are_stored_in_the_notebook_and_capped():
    nb = _release()
    many = [f"note {i}" for i in range(30)] + ["note 0"]
    kept = summarise(many)
    assert len(kept) == 12 and kept[-1] == "… and 19 more repairs."
    store_notes(nb, kept)
    assert read_notes(nb) == kept
    nb.metadata["dlfcourse"]["repairs"] = ["ok", 5, {"x": 1}]
    assert read_notes(nb) == ["ok"]


def test_the_feedback_summary_shows_the_notes_escaped():
    from dlfcourse.outputs.feedback import FeedbackSummary

    nb = _release()
    store_notes(nb, ["The cell marked as graded cell `<img src=x onerror=alert(1)>` is not part of the assignment."])
    nb, _ = FeedbackSummary().preprocess(nb, {"nbgrader": {"student": "s", "notebook": "04-softmax"}})
    summary = nb.cells[0].source
    assert "<img" not in summary
    assert "<li>The cell marked as graded cell <code>&lt;img src=x onerror=alert(1)&gt;</code> is not part" in summary


# --- through the production path ---------------------------------------------------------------------------

#: student -> the note the attempt earns (as the feedback page shows it; the instructor's line has backticks).
ATTEMPTS = {
    "remarks_test": "The grading settings of the cell <code>mse-test</code> had been changed (locked, points, "
                    "solution); the assignment's settings were used.",
    "duplicates_answer": "A second copy of the answer cell <code>relu-answer</code> was found and run as ordinary "
                         "code; only the first copy is graded as the answer.",
    "duplicates_test": "A second copy of the test cell <code>mse-test</code> was removed; only the first copy is "
                       "graded.",
    "invents_item": "The cell marked as graded cell <code>bonus</code> is not part of the assignment; it was kept "
                    "as ordinary code and not graded.",
    "damages_metadata": "The cell <code>mse-answer</code> had lost its grading settings; it was recognised by its "
                        "cell id and graded as usual.",
    "damages_file": "The notebook's own metadata was damaged; the assignment's was used.",
}
#: What grading writes in the course (autograded notebooks, gradebook, feedback, export, state), and nothing else.
GRADER_OUTPUTS = ("autograded", "feedback", "gradebook.db", "grades.csv", ".dlf-course")


def _hashes(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """sha256 of every file under ``root``, except under the top-level folders ``skip``."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] not in skip}


def _tampered(honest: nbformat.NotebookNode) -> dict[str, str]:
    """student -> the honest notebook (as a file's text) with one kind of metadata tampering."""
    attempts = {}
    nb = copy.deepcopy(honest)  # the test cell re-marked as an answer worth 100 points
    _meta(_cell(nb, "mse-test")).update(solution=True, locked=False, points=100)
    attempts["remarks_test"] = nb
    nb = copy.deepcopy(honest)  # the answer cell duplicated
    answer = _cell(nb, "relu-answer")
    twin = copy.deepcopy(answer)
    twin.id = "relu-again"
    nb.cells.insert(nb.cells.index(answer) + 1, twin)
    attempts["duplicates_answer"] = nb
    nb = copy.deepcopy(honest)  # the test cell duplicated
    test = copy.deepcopy(_cell(nb, "mse-test"))
    test.id = "mse-again"
    nb.cells.append(test)
    attempts["duplicates_test"] = nb
    nb = copy.deepcopy(honest)  # a graded cell of its own, worth 50 points
    nb.cells.append(nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 50, "grade_id": "bonus", "schema_version": 3}}))
    attempts["invents_item"] = nb
    nb = copy.deepcopy(honest)  # a test cell with a schema version from the future, stripped answer metadata
    _meta(_cell(nb, "relu-test"))["schema_version"] = 7
    _cell(nb, "mse-answer").metadata.pop("nbgrader")
    attempts["damages_metadata"] = nb
    texts = {student: nbformat.writes(nb) for student, nb in attempts.items()}
    data = json.loads(nbformat.writes(honest))  # notebook-level damage: format version, metadata, ids, a non-cell
    data["nbformat_minor"] = 99
    data["metadata"] = {"kernelspec": "python3", "dlfcourse": {"repairs": ["<script>alert(1)</script>"]}}
    for cell in data["cells"]:
        cell["id"] = "same"
    data["cells"].append("not a cell")
    texts["damages_file"] = json.dumps(data)
    return texts


def _submit(course, student: str, assignment: str, text: str) -> None:
    folder = course.submitted_dir / student / assignment
    folder.mkdir(parents=True)
    (folder / "sample.ipynb").write_text(text)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, released_sample):
    """The sample course (a copy of the released one): an honest student (relu right, mse_loss left as
    released) and the same notebook tampered with in each way, graded, exported (without --allow-pending)
    and given feedback; then a file that is not a notebook, graded on its own."""
    from dlfcourse.autograde.command import autograde
    from dlfcourse.settings import GradingSettings
    from course_fixtures import copy_course
    from dlfcourse.demo.sample import SAMPLE_ASSIGNMENT as A
    from dlfcourse.demo.synthetic import make_class
    from dlfcourse.outputs.export import export, grade_table
    from dlfcourse.outputs.feedback import generate_feedback

    top = tmp_path_factory.mktemp("repair")
    (top / "outside").mkdir()
    (top / "outside" / "neighbour.txt").write_text("not the grader's")
    course = copy_course(released_sample, top / "course")
    honest = make_class(course, A, 1, kinds=("partial-stub",), name=lambda i, k: "honest")[0].notebooks["sample"]
    _submit(course, "honest", A, nbformat.writes(honest))
    for student, text in _tampered(honest).items():
        _submit(course, student, A, text)
    before = (_hashes(top, skip=("course",)), _hashes(course.root, skip=GRADER_OUTPUTS))
    options = GradingSettings(jobs=2, cell_timeout=10, uid_base=UIDS)
    outcomes = {o.student: o for o in autograde(course, A, options, progress=False)}
    exported = export(course, course.root / "grades.csv")
    feedback = {o.student: o for o in generate_feedback(course, A, [s for s, o in outcomes.items()
                                                                   if o.status == "graded"])}
    after = (_hashes(top, skip=("course",)), _hashes(course.root, skip=GRADER_OUTPUTS))
    _submit(course, "not_json", A, '{"cells": [ this is not json')
    failed = autograde(course, A, options, ["not_json"], progress=False)[0]
    return {"course": course, "assignment": A, "outcomes": outcomes, "scores": grade_table(course, [A]).scores,
            "exported": exported, "feedback": feedback, "unchanged": before == after, "failed": failed}


@pytest.mark.slow
def test_the_honest_student_earns_the_honest_part_and_sees_no_repair(graded):
    outcome = graded["outcomes"]["honest"]
    assert outcome.score == (1.0, 3.0) and outcome.repairs == ()
    assert graded["scores"]["honest"] == {"relu-test": 1.0, "mse-test": 0.0}
    assert "Before grading, your notebook" not in graded["feedback"]["honest"].files[0].read_text()


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(ATTEMPTS))
def test_an_attempt_earns_the_honest_score_exports_and_is_told_why(graded, student):
    """The honest score, an export without --allow-pending, the note for the student and the instructor,
    and nothing changed but the grader's own outputs."""
    outcome = graded["outcomes"][student]
    assert outcome.status == "graded" and outcome.score == (1.0, 3.0), outcome.line()
    assert graded["scores"][student] == graded["scores"]["honest"] == {"relu-test": 1.0, "mse-test": 0.0}
    exported = graded["exported"]
    assert exported.written and not exported.ungraded, [u.line() for u in exported.ungraded]
    row = next(r for r in (graded["course"].root / "grades.csv").read_text().splitlines() if r.startswith(student))
    assert row == f"{student},,,1,0,0,0,1,3"
    note = ATTEMPTS[student]
    page = graded["feedback"][student].files[0].read_text()
    assert note in page.replace("&#x27;", "'").replace("&#39;", "'")  # an apostrophe, escaped or not
    assert "<script>alert(1)" not in page
    plain = note.replace("<code>", "`").replace("</code>", "`")
    assert f"sample: {plain}" in outcome.repairs and plain in outcome.line()
    marker = graded["course"].state_dir / "autograde" / graded["assignment"] / f"{student}.json"
    assert f"sample: {plain}" in json.loads(marker.read_text())["repairs"]
    assert graded["unchanged"], "the sources, the release, a submitted file or the folder beside the course changed"


@pytest.mark.slow
def test_a_grading_that_still_fails_keeps_its_full_log_for_the_instructor(graded):
    failed, course = graded["failed"], graded["course"]
    log = f".dlf-course/autograde/{graded['assignment']}/not_json.log"
    assert failed.status == "failed"
    assert failed.message.endswith(f"; full log: {log}") and "NotJSONError" in failed.message
    text = (course.root / log).read_text()
    assert "Traceback (most recent call last)" in text and "not_json" in text and len(text.splitlines()) > 10
    marker = json.loads((course.state_dir / "autograde" / graded["assignment"] / "not_json.json").read_text())
    assert marker["status"] == "failed" and log in marker["message"]
