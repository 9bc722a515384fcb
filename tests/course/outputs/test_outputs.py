"""export, feedback and report on a graded course built directly (see course_fixtures.py for the class)."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from course_fixtures import ASSIGNMENT, NOTEBOOK, copy_course

from dlfcourse.cli import main
from dlfcourse.course import Course
from dlfcourse.outputs import charts
from dlfcourse.outputs.export import grade_table
from dlfcourse.outputs.report import build_report
from dlfcourse.outputs.report_html import render
from dlfcourse.outputs.similarity import normalise, similar_pairs
from dlfcourse.outputs.titles import item_titles


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory, graded_softmax: Path) -> Course:
    """The graded 04-softmax course of course_fixtures (a copy, the module's)."""
    return copy_course(graded_softmax, tmp_path_factory.mktemp("graded") / "course")


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- export ---------------------------------------------------------------------------------------------

def test_export_refuses_while_a_collected_submission_is_not_graded(course: Course, tmp_path: Path):
    status, out, err = run("export", "--course", str(course.root), "--output", str(tmp_path / "g.csv"))
    assert status == 1 and not (tmp_path / "g.csv").exists()
    assert "dlf-course export: not graded: cara (04-softmax): collected, not autograded" in err
    assert "nothing written" in err and "--allow-pending" in err


def test_pending_items_are_empty_not_zero_and_counted(course: Course, tmp_path: Path):
    status, out, err = run("export", "--course", str(course.root), "--output", str(tmp_path / "g.csv"),
                           "--allow-pending")
    assert status == 0, err
    assert "2 item score(s) of 1 student(s) still to be graded by hand (formgrader): left empty, not 0" in out
    assert "1 collected submission(s) not graded, exported empty (--allow-pending)" in out
    table = {r["student"]: r for r in rows(tmp_path / "g.csv")}
    assert table["bob"]["ce-gradient-cases"] == "" and table["bob"]["init-losses"] == ""
    assert table["bob"]["softmax-test"] == "0" and table["bob"]["pending"] == "2" and table["bob"]["total"] == "11"
    assert table["ann"]["total"] == "20" and table["ann"]["name"] == "Ann Lee"
    assert table["cara"]["softmax-test"] == "" and table["ivy"]["total"] == ""  # ungraded; handed nothing in


def test_canvas_format(course: Course, tmp_path: Path):
    output = tmp_path / "canvas.csv"
    status, out, err = run("export", "--course", str(course.root), "--format", "canvas", "--allow-pending",
                           "--title", "04-softmax=Softmax (123456)", "--points-possible", "--output", str(output))
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,Softmax (123456)"
    assert lines[1] == "Points Possible,,,,,20"
    assert "Ann Lee,101,S101,alee,A,20" in lines
    assert "Bob Brown,102,S102,bbrown,A," in lines  # written answers still to grade: no total yet
    assert "Eve Ørsted,104,S104,eorsted,B,19" in lines
    assert status == 1 and "1 student(s) without a Canvas ID, SIS User ID or SIS Login ID" in err and "hal" in err


def test_moodle_format(course: Course, tmp_path: Path):
    output = tmp_path / "moodle.csv"
    status, out, err = run("export", "--course", str(course.root), "--format", "moodle", "--allow-pending",
                           "--output", str(output))
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Email address,ID number,Full name,04-softmax"
    assert "ann@uni.edu,M101,Ann Lee,20" in lines and "fay@uni.edu,M105,Fay Fox,20" in lines


def test_late_penalties_come_off_the_total(course: Course):
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gradebook:
        gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, "fay").late_submission_penalty = 5.0
        gradebook.db.commit()
    try:
        table = grade_table(course, [ASSIGNMENT])
        assert table.total("fay") == 15 and table.total("fay", ASSIGNMENT) == 15
    finally:
        with Gradebook(course.db_url) as gradebook:
            gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, "fay").late_submission_penalty = 0.0
            gradebook.db.commit()


def test_bad_titles_and_unknown_assignments_are_one_line_errors(course: Course):
    status, _, err = run("export", "--course", str(course.root), "--title", "nonsense")
    assert status == 2 and "--title wants ASSIGNMENT=TITLE" in err
    status, _, err = run("export", "99-none", "--course", str(course.root))
    assert status == 2 and "99-none is not in the gradebook" in err and "\n" == err[-1] and err.count("\n") == 1


# --- feedback -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pages(course: Course) -> dict[str, str]:
    status, out, err = run("feedback", ASSIGNMENT, "--course", str(course.root), "--student", "bob",
                           "--student", "ann")
    assert status == 0, out + err
    return {s: (course.feedback_dir / s / ASSIGNMENT / f"{NOTEBOOK}.html").read_text(encoding="utf-8")
            for s in ("ann", "bob")}


def test_feedback_shows_titles_names_and_the_graders_findings(pages: dict[str, str]):
    bob = pages["bob"]
    assert "Feedback for Bob Brown (bob): 04-softmax" in bob
    assert "1. A stable softmax" in bob and "4. The vectorised softmax-regression gradient, with the bias" in bob
    assert "NaN on logits of 1e4: subtract the row maximum first" in bob
    assert "uses your <code>cross_entropy</code>, which is wrong" in bob
    summary = bob[bob.index("Feedback for"):bob.index("</table>")]
    assert "seed" not in summary and "2000" not in summary  # seeds are for the instructor


def test_feedback_table_has_a_clean_header_and_pending_items_are_not_zero(pages: dict[str, str]):
    bob = pages["bob"]
    header = re.search(r"<thead><tr>(.*?)</tr></thead>", bob).group(1)
    assert re.findall(r"<th[^>]*>(.*?)</th>", header) == ["item", "score", "what the grader found"]
    assert "—\xa0/\xa02" in bob and "2 item(s) still to be graded by hand" in bob
    assert "Score: — (to be graded by hand) / 2" in bob and '<div id="toc">' not in bob
    assert "still to be graded" not in pages["ann"]


def test_feedback_math_is_offline(course: Course, pages: dict[str, str]):
    for page in pages.values():
        assert not re.search(r"<script[^>]+src=['\"]https?://", page)  # no CDN
        assert '<script src="mathjax/tex-svg.js" async></script>' in page
    local = course.feedback_dir / "bob" / ASSIGNMENT / "mathjax" / "tex-svg.js"
    assert local.stat().st_size > 1_000_000
    assert local.stat().st_ino == (course.state_dir / "mathjax" / "tex-svg.js").stat().st_ino  # one copy on disk


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no headless Chromium")
def test_feedback_equations_render_without_a_network(course: Course, pages: dict[str, str], tmp_path: Path):
    import subprocess

    page = course.feedback_dir / "bob" / ASSIGNMENT / f"{NOTEBOOK}.html"
    result = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=8000",
                             "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert "<mjx-container" in result.stdout


def test_feedback_on_a_course_with_nothing_autograded_is_an_error(tmp_path: Path):
    fresh = tmp_path / "fresh"
    shutil.copytree(Path(__file__).resolve().parents[3] / "solutions" / ASSIGNMENT, fresh / "solutions" / ASSIGNMENT)
    shutil.copy(Path(__file__).resolve().parents[3] / "nbgrader_config.py", fresh)
    status, out, err = run("feedback", ASSIGNMENT, "--course", str(fresh))
    assert status == 2
    assert err == "dlf-course feedback: error: nothing autograded yet for 04-softmax: run `dlf-course autograde " \
                  "04-softmax` first\n"


# --- report ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def report(course: Course):
    return build_report(course, ASSIGNMENT)


def test_report_says_who_made_which_mistake(report):
    assert report.who[("softmax-test", "not-finite")] == ["bob"]
    assert report.who[("regression-test", "forgot-mean")] == ["bob"]
    assert sorted(report.who[("softmax-test", "not-implemented")]) == ["gus", "hal"]
    page = render(report)
    assert "bob (Bob Brown)" in page and "gus (Gus Grün), hal (Hal Hope)" in page
    assert "1. A stable softmax" in page


def test_report_shows_each_students_seed_per_item(report):
    assert report.seeds["bob"]["softmax-test"] == 2000 and report.seeds["ann"]["jacobian-test"] == 1001
    assert report.base_seeds["bob"] == 7771
    page = render(report)
    assert "seed 2000" in page and "<td class='num'>7771</td>" in page
    assert "dlf-course autograde 04-softmax --student ID --seed BASE --force" in page


def test_report_leaves_pending_and_ungraded_out(report):
    assert "cara" not in report.students and [u.student for u in report.ungraded] == ["cara"]
    assert report.failure_rate("init-losses") == 1 / 5  # eve lost a point; bob, pending, is not counted
    page = render(report)
    assert "1 student(s) have items still to be graded by hand" in page
    assert "<h2>Collected but not graded</h2><ul><li><b>cara (Cara Díaz)</b>" in page


def test_report_lists_similar_submissions_but_not_the_stub(report):
    pairs = {(p.first, p.second) for p in report.similar}
    assert ("eve", "fay") in pairs  # renamed and re-spaced copy
    assert ("gus", "hal") not in pairs  # both handed in the unchanged stub: nothing of their own
    assert "Similar submissions (to look at by hand)" in render(report)


def test_histogram_has_whole_students_on_its_axis():
    import base64

    import matplotlib.image

    uri = charts.score_histogram([3, 4, 4, 7], 10)
    image = matplotlib.image.imread(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])), format="png")
    assert image.shape[0] > 100
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure()
    ax = figure.subplots()
    ax.hist([3, 4, 4, 7], bins=[k - 0.5 for k in range(12)])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.canvas.draw()
    assert all(float(t).is_integer() for t in ax.get_yticks())


def test_report_before_autograde_is_an_error(tmp_path: Path):
    fresh = tmp_path / "fresh"
    shutil.copytree(Path(__file__).resolve().parents[3] / "solutions" / ASSIGNMENT, fresh / "solutions" / ASSIGNMENT)
    shutil.copy(Path(__file__).resolve().parents[3] / "nbgrader_config.py", fresh)
    for command in (["report", ASSIGNMENT], ["export"]):
        status, out, err = run(*command, "--course", str(fresh))
        assert status == 2 and "has no gradebook yet" in err and err.count("\n") == 1, err


def test_export_and_report_after_release_but_before_autograde(tmp_path: Path):
    from nbgrader.api import Gradebook

    fresh = tmp_path / "released"
    shutil.copytree(Path(__file__).resolve().parents[3] / "solutions" / ASSIGNMENT, fresh / "solutions" / ASSIGNMENT)
    shutil.copy(Path(__file__).resolve().parents[3] / "nbgrader_config.py", fresh)
    with Gradebook(f"sqlite:///{fresh / 'gradebook.db'}") as gradebook:
        gradebook.add_assignment(ASSIGNMENT)
    for command in (["export", ASSIGNMENT], ["export"], ["report", ASSIGNMENT]):
        status, out, err = run(*command, "--course", str(fresh))
        assert status == 2 and err.count("\n") == 1 and "nothing graded yet" in err, (command, err)


# --- the pieces -----------------------------------------------------------------------------------------

def test_item_titles_come_from_the_heading_above(course: Course):
    titles = item_titles(course, ASSIGNMENT)
    assert titles[(NOTEBOOK, "ce-test")] == "3. Cross-entropy from logits, and its gradient"
    assert titles[(NOTEBOOK, "init-losses")] == "Written question B: the losses at initialisation"
    assert titles[(NOTEBOOK, "ce-gradient-cases")].startswith("Written question A: $")


def test_names_and_spacing_do_not_hide_a_copy():
    assert normalise("total = np.sum(x , axis=0)  # mine") == normalise("s=np.sum(values,axis=0)")
    assert normalise("a = 'x'") == normalise('b = "long string"')
    code = "\n".join(f"v{k} = np.exp(w{k}) * {k} + np.log1p(u{k})" for k in range(6))
    renamed = code.replace("v", "q").replace("w", "r")
    other = "\n".join(f"v{k} = np.tanh(w{k}) - {k} / np.sqrt(u{k} + 1)" for k in range(6))
    pairs = similar_pairs({"a": {"x": code}, "b": {"x": renamed}, "c": {"x": other}, "d": {"x": ""}})
    assert [(p.first, p.second) for p in pairs] == [("a", "b")]


def test_answer_code_leaves_the_stub_out(course: Course):
    from dlfcourse.outputs.similarity import answer_code

    release = nbformat.read(course.release_dir / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    assert set(answer_code(release, release).values()) == {""}


# --- an instructor's term: what the report, the feedback and the export say ------------------------------

def test_export_says_how_many_rows_it_wrote(course: Course, tmp_path: Path):
    status, out, err = run("export", "--course", str(course.root), "--output", str(tmp_path / "g.csv"),
                           "--allow-pending")
    written = rows(tmp_path / "g.csv")
    assert len(written) == 8  # six graded, cara collected but not graded, ivy on the roster only
    assert f"wrote {tmp_path / 'g.csv'} (csv): 8 students (6 graded, 2 with nothing graded: empty), " \
           "1 assignment, 8 graded items" in out


def test_report_lists_the_roster_students_who_handed_in_nothing(report):
    assert report.missing == ["ivy"]
    assert "<h2>On the roster, handed in nothing</h2><ul><li><b>ivy (Ivy Ivanova)</b>" in render(report)


def test_report_lists_cells_that_never_ran_to_their_end(report):
    assert sorted(report.stopped) == ["gus", "hal"]
    [hal] = report.stopped["hal"]
    assert hal.line() == ('the cell under "6. Train it and plot it: softmax regression on the digits" '
                          "(digits-answer): stopped by the grader: This cell was stopped: running cell 23 took "
                          "longer than 60 s. The cells after it ran in a fresh process.")
    assert report.stopped["gus"][0].line().endswith("raised NotImplementedError (a stub left in place): it did "
                                                    "not run to its end")
    page = render(report)
    assert "Cells that never ran to their end" in page and "hal (Hal Hope)" in page


def test_feedback_lists_the_cells_a_time_limit_stopped(course: Course):
    status, out, err = run("feedback", ASSIGNMENT, "--course", str(course.root), "--student", "hal")
    assert status == 0, out + err
    page = (course.feedback_dir / "hal" / ASSIGNMENT / f"{NOTEBOOK}.html").read_text(encoding="utf-8")
    summary = page[page.index("Feedback for"):page.index("</table>")]
    assert "Some cells did not run to their end" in summary
    assert ('the cell under "6. Train it and plot it: softmax regression on the digits": stopped by the '
            "grader: This cell was stopped") in summary
    assert "digits-answer" not in summary  # students see headings, not grade ids


def test_report_titles_show_math_as_text_not_tex(report):
    assert report.title("ce-gradient-cases") == "Written question A: ∂L / ∂zₖ = pₖ - [k = y], case by case"
    assert "\\partial" not in render(report)


def test_histogram_axis_ends_at_the_maximum():
    ax = charts.histogram_figure([3, 20, 15, 20], 20).axes[0]
    assert ax.get_xlim() == (-0.5, 20.5)
    assert list(ax.get_xticks())[0] == 0 and list(ax.get_xticks())[-1] == 20
    assert charts.score_ticks(13)[-1] == 13 and charts.score_ticks(37) == [0, 5, 10, 15, 20, 25, 30, 37]


def test_feedback_archive_for_moodle_from_the_command_line(course: Course, tmp_path: Path):
    import zipfile

    from course_fixtures import ROSTER

    roster = tmp_path / "roster.csv"
    lines = ROSTER.splitlines()
    roster.write_text("\n".join([lines[0] + ",participant_id"] + [line + (",5101" if line.startswith("ann,") else ",")
                                                                   for line in lines[1:]]) + "\n", encoding="utf-8")
    assert run("roster", "import", str(roster), "--course", str(course.root))[0] == 0
    output = tmp_path / "back.zip"
    status, out, err = run("feedback", ASSIGNMENT, "--course", str(course.root), "--student", "ann", "--student",
                           "bob", "--archive", "moodle", "--output", str(output))
    assert status == 1  # bob has no participant number: left out, and said so
    assert f"wrote {output}: 1 page(s) of 1 student(s) in Moodle's 'Upload multiple feedback files in a zip'" in out
    assert "dlf-course feedback: not in the archive: bob: no Moodle participant number" in err
    with zipfile.ZipFile(output) as archive:
        assert archive.namelist() == ["Ann Lee_5101_assignsubmission_file_/04-softmax-feedback.html"]
