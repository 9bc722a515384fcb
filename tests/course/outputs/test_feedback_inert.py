"""Nothing a student wrote runs in anyone's browser: the feedback pages and the class report, in headless Chromium.

The graded course of ``course_fixtures.py`` gets one more student, written straight into it (no grading):
a hostile id, a hostile roster name, a hostile notebook *file name* (a second notebook of the assignment,
as an LMS zip could name it), and an autograded 04-softmax notebook full of payloads: markdown with
``<script>``, ``<img onerror>``, ``<svg onload>``, ``javascript:`` links, ``<iframe srcdoc>``, ``<object>``
and a mutation-XSS classic; raw cells; outputs in ``text/html``, ``text/markdown``, ``image/svg+xml``,
``application/javascript``, a widget view, a PNG whose size metadata breaks out of its attribute, an
error whose name and message are HTML; an attachment; a written answer; and
the trusted grader's verdicts naming a hostile function and parameter. The report also lists a hostile
id that was collected but not graded and a failed grading whose message names a hostile file.

Every payload, if it ran, would set ``window.__pwned_<where>`` or the page title to ``HACKED``. Each page
is opened from disk (as a student opens the folder handed back) with every request off the machine
blocked; after MathJax has typeset, every link that carries a payload is clicked; then no flag may be
set. The pages must still work: equations typeset (``mjx-container``), the verdict table present, the
student's PNG figure loaded, and a Content-Security-Policy that runs only the page's own scripts.
A few tests without a browser pin the cleaner and the policy down.
"""

from __future__ import annotations

import base64
import csv
import io
import warnings
from pathlib import Path

import nbformat
import pytest

from course_harness import run_cli as run
from inert_pages import assert_inert, directives, visit
from course_fixtures import ASSIGNMENT, NOTEBOOK, copy_course, graded_items, solved
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

from dlfcourse.course import Course
from dlfcourse.state import GradingRecord
from dlfcourse.grader.verdict import Verdict, store_verdict
from dlfcourse.outputs.sanitize import clean_html, content_security_policy, script_hash


HOSTILE_ID = "<img src=x onerror=window.__pwned_student_id=1>"
HOSTILE_NAME = "Mallory <svg onload=window.__pwned_roster_name=1></svg>"
HOSTILE_FILE = "<img src=x onerror=window.__pwned_file_name=1>"  # a notebook's name, as an LMS zip gave it
COLLECTED_ID = "<svg onload=window.__pwned_collected_id=1>"  # collected, never graded
FAILED_ID = "<img src=x onerror=window.__pwned_failed_id=1>"  # its grading failed

#: markdown cells, as a student may write them
MARKDOWN = [
    "Plain words with math: $\\sum_k p_k = 1$ and $$\\frac{\\partial L}{\\partial z_k} = p_k - [k = y]$$",
    "<script>window.__pwned_md_script = 1</script>",
    "<img src=x onerror=\"window.__pwned_md_img = 1\">",
    "<svg onload=\"window.__pwned_md_svg = 1\"><circle r=\"5\"></circle></svg>",
    "<a href=\"javascript:window.__pwned_md_js_link = 1\">a pwn link</a> and "
    "[a markdown pwn link](javascript:window.__pwned_md_js_link_md=1) and "
    "<a href=\" jAvAsCrIpT:window.__pwned_md_js_link_case = 1\">another pwn link</a>",
    "<iframe srcdoc=\"<script>parent.__pwned_md_iframe = 1</script>\"></iframe>",
    "<object data=\"data:text/html;base64,"
    + base64.b64encode(b"<script>parent.__pwned_md_object = 1</script>").decode() + "\"></object>",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__pwned_md_mxss=1>\"></noscript>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned_md_math=1></style></mglyph>"
    "</table></mtext></math>",
    "<details open ontoggle=\"window.__pwned_md_details = 1\"><summary>s</summary>x</details>",
    "<body onload=\"document.title = 'HACKED'\"><form action=\"javascript:window.__pwned_md_form=1\">"
    "<button>pwn button</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0; url=javascript:window.__pwned_md_meta=1\">"
    "<base href=\"javascript:window.__pwned_md_base=1//\">",
    "![a pwn attachment](attachment:evil.svg) ![another pwn attachment](attachment:evil.png)",
]

SVG_SCRIPT = ("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"20\" "
              "onload=\"window.__pwned_{0}_onload = 1\"><script>window.__pwned_{0}_script = 1</script>"
              "<rect width=\"20\" height=\"20\"/></svg>")


def png_figure() -> str:
    """A real matplotlib PNG, base64: it must still show on the page."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 1.5), dpi=60)
    figure.subplots().plot([0, 1, 2], [0, 1, 0])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def hostile_outputs() -> list[nbformat.NotebookNode]:
    """Outputs of one code cell: every mime type a student's kernel could have produced, each with a payload."""
    display = nbformat.v4.new_output
    png = png_figure()
    return [
        display("display_data", data={"text/html": "<script>window.__pwned_out_html_script = 1</script>"
                                                    "<img src=x onerror=\"window.__pwned_out_html_img = 1\">",
                                      "text/plain": "html"}),
        display("display_data", data={"text/html": "<b>isolated</b><script>parent.__pwned_out_isolated=1</script>"},
                metadata={"text/html": {"isolated": True}}),
        display("display_data", data={"text/markdown": "<img src=x onerror=\"window.__pwned_out_markdown = 1\">"}),
        display("display_data", data={"image/svg+xml": SVG_SCRIPT.format("out_svg")}),
        display("display_data", data={"application/javascript": "window.__pwned_out_js = 1",
                                      "text/plain": "js"}),
        display("display_data", data={"application/vnd.jupyter.widget-view+json": {
            "model_id": "</script><script>window.__pwned_out_widget = 1</script>", "version_major": 2,
            "version_minor": 0}}),
        display("display_data", data={"image/png": png},
                metadata={"image/png": {"width": "120 onload=window.__pwned_out_png_width=1",
                                        "height": "90 onload=window.__pwned_out_png_height=1"}}),
        display("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
        display("stream", name="stdout", text="<script>window.__pwned_out_stream = 1</script>\n"),
        display("execute_result", data={"text/plain": "42"}, execution_count=1),
        display("error", ename="<img src=x onerror=window.__pwned_out_ename=1>",
                evalue="<svg onload=window.__pwned_out_evalue=1>",
                traceback=["\x1b[31m<img src=x onerror=window.__pwned_out_traceback=1>\x1b[0m"]),
    ]


def hostile_cells() -> list[nbformat.NotebookNode]:
    """The cells a hostile student adds to the notebook (markdown, raw, a code cell with its outputs)."""
    cells = [new_markdown_cell(source) for source in MARKDOWN]
    cells[-1].attachments = {
        "evil.svg": {"image/svg+xml": base64.b64encode(SVG_SCRIPT.format("attachment_svg").encode()).decode()},
        "evil.png": {"image/png": "iVBORw0KGgo=\" onerror=\"window.__pwned_attachment_quote = 1"},
    }
    cells.append(new_raw_cell("<script>window.__pwned_raw_html = 1</script><img src=y onerror=\"document.title = "
                              "'HACKED'\">", metadata={"raw_mimetype": "text/html"}))
    cells.append(new_raw_cell("<script>window.__pwned_raw_plain = 1</script>"))
    code = new_code_cell("display(HTML('...'))", execution_count=1)
    code.outputs = hostile_outputs()
    cells.append(code)
    return cells


WRITTEN = ("The gradient is $p_k - [k = y]$. <img src=x onerror=\"window.__pwned_written_img = 1\">"
           "<script>window.__pwned_written_script = 1</script>")


def hostile_verdicts(items: dict[str, float]) -> dict[str, Verdict]:
    """The trusted grader's verdicts, quoting a hostile function name, parameter name and exception message."""
    verdicts = {item: Verdict(item, points, points, "passed", "all cases agree with the reference", 4000 + n)
                for n, (item, points) in enumerate(items.items())}
    verdicts["softmax-test"] = Verdict(
        "softmax-test", 0.0, items["softmax-test"], "wrong-type",
        "softmax takes (Z, <img src=x onerror=window.__pwned_verdict_parameter=1>), the item calls it with one "
        "argument", 4000)
    verdicts["ce-test"] = Verdict(
        "ce-test", 0.0, items["ce-test"], "raised-error",
        "raised ValueError('<svg onload=window.__pwned_verdict_exception=1>')", 4002,
        helper="<img src=x onerror=window.__pwned_verdict_helper=1>")
    verdicts["hinge-test"] = Verdict(
        "hinge-test", 0.0, items["hinge-test"], "missing",
        "<img src=x onerror=window.__pwned_verdict_function=1> is not defined", 4004)
    return verdicts


def hostile_notebook(course: Course, items: dict[str, float]) -> nbformat.NotebookNode:
    """The autograded 04-softmax notebook of the hostile student: answers solved, payloads added, verdicts stored."""
    source = nbformat.read(course.source_dir / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    release = nbformat.read(course.release_dir / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    notebook = solved(release, source, {"ce-gradient-cases": WRITTEN})
    verdicts = hostile_verdicts(items)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in verdicts:
            store_verdict(cell, verdicts[grade_id])
        if grade_id == "ce-test":  # a test cell's error: the feedback shows it as one line
            cell.outputs = [nbformat.v4.new_output("error", ename="ValueError",
                                                   evalue="<img src=x onerror=window.__pwned_test_error=1>",
                                                   traceback=["hidden", "lines"])]
    notebook.cells[2:2] = hostile_cells()
    return notebook


def _write(notebook: nbformat.NotebookNode, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / f"{name}.ipynb")
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")


def _add_named_notebook(course: Course) -> None:
    """A second notebook of the assignment whose file name is hostile (source, release and gradebook)."""
    from nbgrader.api import Gradebook

    page = nbformat.v4.new_notebook(cells=[new_markdown_cell("Notes: $a^2 + b^2 = c^2$")])
    for folder in (course.source_dir, course.release_dir):
        nbformat.write(page, folder / ASSIGNMENT / f"{HOSTILE_FILE}.ipynb")
    with Gradebook(course.db_url) as gradebook:
        gradebook.add_notebook(HOSTILE_FILE, ASSIGNMENT)


def add_hostile_students(course: Course) -> None:
    """The hostile student (graded, in the roster), the hostile collected-only id and the failed grading."""
    from nbgrader.api import Gradebook

    _add_named_notebook(course)
    with open(course.state_dir / "roster.csv", "a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow([HOSTILE_ID, HOSTILE_NAME, "", "", "", "", "A", ""])
    source = nbformat.read(course.source_dir / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    items = graded_items(source)
    verdicts = hostile_verdicts(items)
    notebook = hostile_notebook(course, items)
    named = nbformat.read(course.release_dir / ASSIGNMENT / f"{HOSTILE_FILE}.ipynb", as_version=4)
    submitted = nbformat.read(course.release_dir / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    submitted.cells.append(new_code_cell("import importlib  # <script>window.__pwned_flagged_line=1</script>"))
    for root in (course.submitted_dir, course.autograded_dir):
        _write(notebook if root == course.autograded_dir else submitted, root / HOSTILE_ID / ASSIGNMENT, NOTEBOOK)
        _write(named, root / HOSTILE_ID / ASSIGNMENT, HOSTILE_FILE)
    _write(submitted, course.submitted_dir / COLLECTED_ID / ASSIGNMENT, NOTEBOOK)
    with Gradebook(course.db_url) as gradebook:
        gradebook.update_or_create_student(HOSTILE_ID)
        gradebook.add_submission(ASSIGNMENT, HOSTILE_ID)
        for item, verdict in verdicts.items():
            grade = gradebook.find_grade(item, NOTEBOOK, ASSIGNMENT, HOSTILE_ID)
            grade.auto_score, grade.needs_manual_grade = verdict.points, False
        for item in ("ce-gradient-cases", "init-losses"):
            grade = gradebook.find_grade(item, NOTEBOOK, ASSIGNMENT, HOSTILE_ID)
            grade.auto_score, grade.needs_manual_grade = None, True
        gradebook.db.commit()
    course.state.record_grading(ASSIGNMENT, GradingRecord(
        FAILED_ID, "failed",
        message=f"could not read {HOSTILE_FILE}.ipynb: <svg onload=window.__pwned_failed_message=1>"))


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory, graded_softmax: Path) -> Course:
    graded = copy_course(graded_softmax, tmp_path_factory.mktemp("inert") / "course")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy's, for submissions added by hand
        add_hostile_students(graded)
    return graded


@pytest.fixture(scope="module")
def feedback_pages(course: Course) -> dict[str, Path]:
    """The hostile student's two feedback pages, and bob's (a page without payloads, for the layout)."""
    for student in (HOSTILE_ID, "bob"):
        status, out = run("feedback", ASSIGNMENT, "--course", str(course.root), "--student", student)
        assert status == 0, out
    folder = course.feedback_dir / HOSTILE_ID / ASSIGNMENT
    return {"payloads": folder / f"{NOTEBOOK}.html", "file name": folder / f"{HOSTILE_FILE}.html",
            "bob": course.feedback_dir / "bob" / ASSIGNMENT / f"{NOTEBOOK}.html"}


@pytest.fixture(scope="module")
def report_page(course: Course) -> Path:
    output = course.root / "report.html"
    status, out = run("report", ASSIGNMENT, "--course", str(course.root), "--output", str(output))
    assert status == 0, out
    return output



def assert_policy(state: dict, page: str, scripts: bool) -> None:
    """A Content-Security-Policy that runs only the page's own scripts, and nothing the page needs was refused."""
    policy = directives(state["policy"])
    assert policy, f"{page} has no Content-Security-Policy"
    sources = policy.get("script-src", policy.get("default-src"))
    assert sources is not None and "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, policy
    assert set(sources) <= {"'self'", "'none'"} | {s for s in sources if s.startswith("'sha256-")}, policy
    if not scripts:
        assert sources == ["'none'"], policy
    assert policy.get("object-src", policy.get("default-src")) == ["'none'"], policy
    assert policy.get("base-uri") == ["'none'"], policy
    assert not state["violations"], f"the policy of {page} refused: {state['violations']}"


def assert_works(state: dict, page: str) -> None:
    """The page still does its job: equations typeset, the verdict table there, the PNG figures loaded."""
    assert state["typeset"] > 20 and state["mathErrors"] == 0, (page, state["typeset"], state["mathErrors"])
    assert state["verdictTable"][:3] == ["item", "score", "what the grader found"], (page, state["verdictTable"])
    assert all(state["images"]), f"the PNG figures on {page} must load: {state['images']}"


@pytest.mark.browser
def test_feedback_page_runs_no_student_script(browser, feedback_pages: dict[str, Path]):
    state = visit(browser, feedback_pages["payloads"])
    assert_inert(state, "the feedback page")
    assert_works(state, "the feedback page")
    assert len(state["images"]) == 2, "the student's two PNG figures"
    assert HOSTILE_ID in state["text"] and HOSTILE_NAME in state["text"], "names are shown, as text"
    assert "__pwned_verdict_parameter" in state["text"] and "__pwned_md_script" in state["text"]


@pytest.mark.browser
def test_feedback_page_named_by_the_student_runs_nothing(browser, feedback_pages: dict[str, Path]):
    state = visit(browser, feedback_pages["file name"])
    assert_inert(state, "the feedback page named by the student")
    assert HOSTILE_FILE in state["title"] and state["typeset"] > 0


@pytest.mark.browser
def test_feedback_pages_run_only_their_own_scripts(browser, feedback_pages: dict[str, Path]):
    for key, page in feedback_pages.items():
        state = visit(browser, page)
        assert_policy(state, f"the feedback page ({key})", scripts=True)
        if key == "bob":  # a page without payloads: its layout and equations as before
            assert_works(state, "bob's feedback page")
            assert "NaN on logits of 1e4" in state["text"] and not state["images"]


@pytest.mark.browser
def test_report_runs_no_student_script(browser, report_page: Path):
    state = visit(browser, report_page, math=False)
    assert_inert(state, "the report")
    assert_policy(state, "the report", scripts=False)
    for shown in (HOSTILE_ID, HOSTILE_NAME, COLLECTED_ID, FAILED_ID, "__pwned_failed_message", "__pwned_flagged_line",
                  "__pwned_verdict_parameter"):
        assert shown in state["text"], f"the report should show {shown!r} as text"
    assert all(state["images"]) and len(state["images"]) == 2, "the report's two plots"


# --- the pieces, without a browser ----------------------------------------------------------------------

def test_the_cleaner_keeps_what_markdown_and_math_need():
    page = ('<h2 id="A-b">A b<a class="anchor-link" href="#A-b">¶</a></h2><p>$a &lt; b$ and <em>x</em></p>'
            '<img src="data:image/png;base64,iVBORw0KGgo=" alt="plot" width="120">'
            '<table><thead><tr><th style="text-align:left;">a</th></tr></thead></table>'
            '<div class="highlight"><pre><span class="k">def</span></pre></div><a href="https://example.org/">link</a>')
    assert clean_html(page) == page


def test_the_cleaner_leaves_nothing_that_runs():
    cleaned = clean_html('<img src=x onerror="f()"><a href=" JaVa&#x09;script:f()">l</a><script>f()</script>'
                         '<svg onload=f()></svg><iframe srcdoc="x"></iframe><a href="data:text/html,x">d</a>'
                         '<img src="data:text/html;base64,eA=="><span style="position: fixed; color: red">s</span>')
    assert cleaned == ('<img src="x"><a>l</a>&lt;script&gt;f()&lt;/script&gt;&lt;svg onload=f()&gt;&lt;/svg&gt;'
                       '&lt;iframe srcdoc="x"&gt;&lt;/iframe&gt;<a>d</a><img><span style="color: red;">s</span>')


def test_the_policy_names_each_inline_script_by_its_hash():
    own = directives(content_security_policy(own_scripts=True, inline_scripts=["window.MathJax = {};"]))
    assert own["script-src"] == ["'self'", script_hash("window.MathJax = {};")]
    # echo -n 'window.MathJax = {};' | openssl dgst -sha256 -binary | base64
    assert script_hash("window.MathJax = {};") == "'sha256-ghhUprj/LIb9m5Hs4aCCpY9EWpSptVNmzlQP5FC1f34='"
    none = directives(content_security_policy())
    assert none["script-src"] == ["'none'"] and none["default-src"] == ["'none'"] and none["base-uri"] == ["'none'"]
