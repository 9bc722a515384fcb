"""Feedback pages and the class report everyone can read: WCAG 2.1 A and AA, checked with axe-core in Chromium.

The graded course of ``course_fixtures.py`` gets one more student, written straight into it (no grading),
whose 04-softmax feedback page has every kind of item: passed, failed, passed though graded as if an earlier
wrong function were right (error carried forward), stopped by the time limit, a crash, and two written
answers still to be graded by hand; and every kind of output a graded notebook keeps: wide printed lines,
a traceback, a cell the time limit stopped, a figure, a note on dropped output, the repairs made to the
notebook before grading, a student's markdown with a link, a table and a code block. The class report then
shows every kind of outcome: graded, pending hand grades, collected but not graded, a failed grading, a
flagged submission, similar pairs, and mistakes of every sort.

Each page is opened from disk in headless Chromium and checked with the current axe-core 4.x (fetched with
npm, see ``axe.py``) against the WCAG 2.0/2.1 A and AA rules, at a desktop and a narrow width: no serious
or critical violation. Then what axe cannot see: each chart of the report has a caption and its numbers
in a table, a verdict is never told by colour alone, headings go down one level at a time, and nothing on
the pages scrolls out of a keyboard's reach.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import html
import io
import re
import warnings
from itertools import pairwise
from pathlib import Path

import nbformat
import pytest

from course_harness import run_cli as run
from axe import describe, run_axe, serious
from browser import WAIT_FOR_MATHJAX
from course_fixtures import ASSIGNMENT, NOTEBOOK, copy_course, graded_items, solved
from nbformat.v4 import new_markdown_cell, new_output

from dlfcourse.course import Course
from dlfcourse.state import GradingRecord
from dlfcourse.grader.notebook import verdict_output
from dlfcourse.grader.repair import store_notes
from dlfcourse.grader.verdict import Verdict, store_verdict
from dlfcourse.outputs.contrast import contrast_ratio


STUDENT = "kim"  # every kind of item
NAME = "Kim Park"
FAILED = "lee"  # collected; its grading failed
ITEMS = {"softmax-test": "passed", "jacobian-test": "wrong-shape", "ce-test": "sign-flipped",
         "regression-test": "carried", "hinge-test": "time-limit", "digits-test": "crashed"}
WIDE = "[" + ", ".join(f"{0.001 * k:.6f}" for k in range(40)) + "]"  # a printed line wider than any page

LONG_CODE = ("p = softmax(np.array([[0.0, 0.0]]))  # a comment long enough to be wider than the page, "
             "so that the code block would scroll sideways")
MARKDOWN = f"""My notes on this part, with a [link to the chapter](../../book/04-softmax.md) in a sentence,
a table and a code block:

| logits | softmax |
|---|---|
| $(0, 0)$ | $(1/2, 1/2)$ |

```python
{LONG_CODE}
```
"""


def _png() -> str:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4, 2.5), dpi=60)
    axes = figure.subplots()
    axes.plot([0, 1, 2, 3], [2.3, 1.1, 0.6, 0.4])
    axes.set_title("training loss")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def _verdicts(items: dict[str, float]) -> dict[str, Verdict]:
    made = {}
    for number, (item, points) in enumerate(items.items()):
        kind, seed = ITEMS[item], 9000 + number
        if kind == "passed":
            made[item] = Verdict(item, points, points, "passed", "all cases agree with the reference", seed)
        elif kind == "carried":
            made[item] = Verdict(item, points, points, "passed", "all cases agree with the reference. Graded as if "
                                 "your `cross_entropy` were right (it is not: see its item); a mistake is not "
                                 "counted twice.", seed, helper="cross_entropy")
        elif kind == "time-limit":
            made[item] = Verdict(item, 0.0, points, "time-limit", "multiclass_hinge did not finish within its time "
                                 "limit of 60 s on a batch of 20 examples: is there a loop that never ends?", seed)
        elif kind == "crashed":
            made[item] = Verdict(item, 0.0, points, "crashed", "the notebook's process ended while train_digits "
                                 "ran (the memory limit of 2048 MiB?)", seed)
        elif kind == "wrong-shape":
            made[item] = Verdict(item, 0.0, points, "wrong-shape", "softmax_jacobian returned an array of shape "
                                 "(3,), expected (3, 3): the Jacobian of one row is a matrix", seed)
        else:
            made[item] = Verdict(item, 0.0, points, kind, "On a random batch of 8 examples, the gradient has the "
                                 "right size but the opposite sign: check the sign of your formula.", seed)
    return made


def _outputs(notebook: nbformat.NotebookNode) -> None:
    """What the grader kept of the notebook's own outputs, in the answer cells."""
    answers = {c.metadata.nbgrader["grade_id"]: c for c in notebook.cells
               if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
    answers["softmax-answer"].source += ("\nprint(softmax(np.zeros((1, 40))))  # " + "a long comment " * 12).rstrip()
    answers["softmax-answer"].outputs = [
        new_output("stream", name="stdout", text=f"{WIDE}\nrows sum to 1: True\n"),
        new_output("stream", name="stderr", text="RuntimeWarning: overflow encountered in exp\n")]
    answers["ce-answer"].outputs = [new_output(
        "error", ename="ValueError", evalue="operands could not be broadcast together with shapes (8,10) (8,)",
        traceback=["Traceback (most recent call last):", '  File "<cell 7>", line 4, in cross_entropy',
                   "    grad = probs - y", "ValueError: operands could not be broadcast together with shapes (8,10) "
                   "(8,)"])]
    answers["hinge-answer"].outputs = [new_output(
        "error", ename="Stopped", evalue="This cell was stopped: no answer within the time limit of 30 s while "
        "running cell 15. The cells after it ran in a fresh process.",
        traceback=["Stopped: This cell was stopped: no answer within the time limit of 30 s while running cell 15. "
                   "The cells after it ran in a fresh process."])]
    answers["trainer-answer"].outputs = [
        new_output("display_data", data={"image/png": _png()}),
        new_output("stream", name="stderr", text="[2 figure(s) were dropped: the grader keeps 4 PNG figures per cell, "
                   "and a few MB of images per notebook]\n")]


def student_notebook(course: Course, items: dict[str, float]) -> nbformat.NotebookNode:
    """kim's autograded notebook: outputs, the verdicts in the test cells (as the grader writes them), notes."""
    source = nbformat.read(course.source_dir / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    release = nbformat.read(course.release_dir / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    notebook = solved(release, source, {"ce-gradient-cases": "Case $k = y$: $p_y - 1$; otherwise $p_k$.",
                                        "init-losses": "At initialisation the scores are equal: $\\ln C$ and $C-1$."})
    verdicts = _verdicts(items)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in verdicts:
            cell.outputs = [verdict_output(verdicts[grade_id])]
            store_verdict(cell, verdicts[grade_id])
    _outputs(notebook)
    position = next(i for i, c in enumerate(notebook.cells) if c.get("metadata", {}).get("nbgrader", {})
                    .get("grade_id") == "softmax-test") + 1
    notebook.cells.insert(position, new_markdown_cell(MARKDOWN))
    store_notes(notebook, ["cell 5 (`softmax-test`): its grading settings were changed; they were put back."])
    return notebook


def _write(notebook: nbformat.NotebookNode, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / f"{NOTEBOOK}.ipynb")
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")


def add_every_outcome(course: Course) -> None:
    """kim (graded, every kind of item, flagged by the scan) and lee (a failed grading), next to the fixture's class."""
    from nbgrader.api import Gradebook

    with open(course.state_dir / "roster.csv", "a", encoding="utf-8") as handle:
        handle.write(f"{STUDENT},{NAME},kim@uni.edu,109,S109,kpark,B,M109\n"
                     f"{FAILED},Lee Li,lee@uni.edu,110,S110,lli,B,M110\n")
    source = nbformat.read(course.source_dir / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    items = graded_items(source)
    graded = student_notebook(course, items)
    submitted = copy.deepcopy(graded)
    for cell in submitted.cells:
        cell.metadata.pop("dlfcourse", None)
        if cell.cell_type == "code":
            cell.outputs = []
    submitted.cells[-1].source += "\nimport importlib  # flagged by the static scan"
    _write(submitted, course.submitted_dir / STUDENT / ASSIGNMENT)
    _write(graded, course.autograded_dir / STUDENT / ASSIGNMENT)
    _write(submitted, course.submitted_dir / FAILED / ASSIGNMENT)
    with Gradebook(course.db_url) as gradebook:
        gradebook.update_or_create_student(STUDENT)
        gradebook.add_submission(ASSIGNMENT, STUDENT)
        for item, verdict in _verdicts(items).items():
            grade = gradebook.find_grade(item, NOTEBOOK, ASSIGNMENT, STUDENT)
            grade.auto_score, grade.needs_manual_grade = verdict.points, False
        for item in ("ce-gradient-cases", "init-losses"):
            grade = gradebook.find_grade(item, NOTEBOOK, ASSIGNMENT, STUDENT)
            grade.auto_score, grade.needs_manual_grade = None, True
        gradebook.db.commit()
    course.state.record_grading(ASSIGNMENT, GradingRecord(
        FAILED, "failed",
        message="nbgrader could not autograde the notebook: see .dlf-course/autograde/04-softmax/lee.log"))


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory, graded_softmax: Path) -> Course:
    built = copy_course(graded_softmax, tmp_path_factory.mktemp("accessible") / "course")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy's, for submissions added by hand
        add_every_outcome(built)
    return built


@pytest.fixture(scope="module")
def pages(course: Course) -> dict[str, Path]:
    """kim's feedback page (every kind of item), ann's (all passed) and the class report."""
    for student in (STUDENT, "ann"):
        status, out = run("feedback", ASSIGNMENT, "--course", str(course.root), "--student", student)
        assert status == 0, out
    report = course.root / "report.html"
    status, out = run("report", ASSIGNMENT, "--course", str(course.root), "--output", str(report))
    assert status == 0, out
    return {"feedback": course.feedback_dir / STUDENT / ASSIGNMENT / f"{NOTEBOOK}.html",
            "feedback, all passed": course.feedback_dir / "ann" / ASSIGNMENT / f"{NOTEBOOK}.html",
            "report": report}


# Everything a scroll bar would hide, and whether a keyboard reaches it.
SCROLLED = """() => Array.from(document.querySelectorAll('body *')).filter(e => {
    const style = getComputedStyle(e);
    const scrolls = (v) => v === 'auto' || v === 'scroll';
    return (scrolls(style.overflowX) && e.scrollWidth > e.clientWidth + 1)
        || (scrolls(style.overflowY) && e.scrollHeight > e.clientHeight + 1);
  }).map(e => ({tag: e.tagName, text: e.textContent.slice(0, 80), focusable: e.tabIndex >= 0,
                name: e.getAttribute('aria-label') || ''}))"""

HEADINGS = """() => Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role=heading]'))
  .filter(h => h.getClientRects().length > 0 || h.closest('details'))
  .map(h => ({level: h.getAttribute('aria-level') ? +h.getAttribute('aria-level') : +h.tagName[1],
              text: h.textContent.trim().slice(0, 60)}))"""


@contextlib.contextmanager
def opened(browser, page: Path, width: int = 1280):
    """``page`` open from disk in a tab of ``width`` pixels, every outside request blocked, its math typeset."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                  else route.abort())
    tab = context.new_page()
    try:
        tab.goto(page.resolve().as_uri(), wait_until="load")
        if tab.evaluate("() => !!document.querySelector('script[src*=mathjax]')"):
            assert tab.evaluate(WAIT_FOR_MATHJAX) == "done", f"MathJax did not run on {page.name}"
        yield tab
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("key", ["feedback", "feedback, all passed", "report"])
@pytest.mark.parametrize("width", [1280, 720])
def test_no_serious_axe_violation(browser, axe_script: str, pages: dict[str, Path], key: str, width: int):
    with opened(browser, pages[key], width) as tab:
        tab.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")  # all of it
        results = run_axe(tab, axe_script)
    found = serious(results)
    assert not found, (f"axe-core {results['version']}: serious or critical WCAG 2.1 A/AA violations on the {key} "
                       f"page at {width} px:\n{describe(found)}")


@pytest.mark.browser
@pytest.mark.parametrize("key", ["feedback", "report"])
def test_the_page_language_and_headings(browser, pages: dict[str, Path], key: str):
    with opened(browser, pages[key]) as tab:
        lang = tab.evaluate("() => document.documentElement.lang")
        headings = tab.evaluate(HEADINGS)
    assert lang == "en", f"the {key} page must declare its language"
    levels = [h["level"] for h in headings]
    assert levels and levels[0] == 1, f"the {key} page must open with a level-1 heading: {headings[:3]}"
    for before, after in pairwise(headings):
        assert after["level"] <= before["level"] + 1, f"a level is skipped on the {key} page: {before} -> {after}"


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 720])
def test_nothing_scrolls_out_of_a_keyboards_reach(browser, pages: dict[str, Path], width: int):
    for key in ("feedback", "report"):
        with opened(browser, pages[key], width) as tab:
            scrolled = tab.evaluate(SCROLLED)
        hidden = [s for s in scrolled if not (s["focusable"] and s["name"])]
        assert not hidden, f"regions of the {key} page scroll, and a keyboard cannot reach them: {hidden}"


def test_feedback_tells_each_verdict_in_words(pages: dict[str, Path]):
    """Each row of the summary says in words (and a symbol) what happened; its colour only adds to them."""
    page = pages["feedback"].read_text(encoding="utf-8")
    table = re.search(r"<table class=['\"]dlf-summary['\"].*?</table>", page, re.DOTALL).group(0)
    rows = [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<td>(.*?)</td>", row, re.DOTALL)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)[1:]]
    found = {title.split(":")[0].split(" ")[0] if title[0].isdigit() else title.split(":")[0]: what
             for title, _, what in rows}
    assert found == {
        "1.": "✔ passed",
        "2.": "✘ not passed: softmax_jacobian returned an array of shape (3,), expected (3, 3): the Jacobian of one "
              "row is a matrix",
        "3.": "✘ not passed: On a random batch of 8 examples, the gradient has the right size but the opposite sign: "
              "check the sign of your formula.",
        "Written question A": "a written answer: to be graded by hand",
        "4.": "✔ passed, graded as if your cross_entropy were right (it is not: see its item)",
        "5.": "✘ not passed: multiclass_hinge did not finish within its time limit of 60 s on a batch of 20 "
              "examples: is there a loop that never ends?",
        "Written question B": "a written answer: to be graded by hand",
        "6.": "✘ not passed: the notebook's process ended while train_digits ran (the memory limit of 2048 MiB?)",
    }, found
    colours = [re.search(rf"\.dlf-{kind} \{{ color: (#\w+)", page).group(1) for kind in ("passed", "failed")]
    assert all(contrast_ratio(colour, "#ffffff") >= 4.5 for colour in colours), colours


@pytest.mark.browser
def test_every_chart_has_its_numbers_in_a_table(browser, pages: dict[str, Path], course: Course):
    with opened(browser, pages["report"]) as tab:
        figures = tab.evaluate("""() => Array.from(document.querySelectorAll('img')).map(img => {
            const figure = img.closest('figure');
            const table = figure && figure.querySelector('table');
            return {alt: img.alt, caption: figure && figure.querySelector('figcaption')
                                              ? figure.querySelector('figcaption').textContent.trim() : '',
                    describedBy: img.getAttribute('aria-describedby') || '',
                    tableCaption: table && table.caption ? table.caption.textContent.trim() : '',
                    head: table ? Array.from(table.querySelectorAll('thead th')).map(th => th.textContent.trim()) : [],
                    rows: table ? Array.from(table.querySelectorAll('tbody tr')).map(
                        tr => Array.from(tr.children).map(c => c.textContent.trim())) : []};
          })""")
    assert len(figures) == 2, figures
    for figure in figures:
        assert figure["alt"] and figure["caption"] and figure["tableCaption"] and figure["rows"], figure
    histogram, rates = figures
    assert histogram["head"] == ["total score", "students"], histogram
    assert sum(int(row[1]) for row in histogram["rows"]) == 7, "ann, bob, eve, fay, gus, hal and kim"
    assert [row[0] for row in rates["rows"]][:2] == ["1. A stable softmax", "2. The softmax Jacobian"], rates
    shown = {row[0]: row[1] for row in rates["rows"]}
    assert shown["1. A stable softmax"] == "43 %", "bob, gus and hal of 7 students"


def test_the_report_tells_outcomes_in_words(pages: dict[str, Path]):
    page = pages["report"].read_text(encoding="utf-8")
    for words in ("to grade", "graded by hand (formgrader)", "Gradings that failed", "Collected but not graded",
                  "time-limit", "crashed", "lee (Lee Li)", "cara (Cara Díaz)", "kim (Kim Park)"):
        assert words in page, words


def test_the_report_colours_have_contrast():
    """Text colours of the report's style against its backgrounds: 4.5:1 at least."""
    from dlfcourse.outputs.report_html import MUTED, STYLE_BACKGROUNDS, TEXT

    for background in STYLE_BACKGROUNDS:
        for colour in (TEXT, MUTED):
            assert contrast_ratio(colour, background) >= 4.5, (colour, background)


def test_highlighted_code_reaches_4_5_to_1_and_keeps_its_hues():
    """The feedback page's code colours (pygments' default style, as nbconvert writes it), darker only if need be."""
    from pygments.formatters import HtmlFormatter

    from dlfcourse.outputs.contrast import readable
    from dlfcourse.outputs.notebook_html import CODE_BACKGROUNDS, ReadableNotebook

    css = HtmlFormatter(style="default").get_style_defs(".highlight")
    _, resources = ReadableNotebook().preprocess({}, {"inlining": {"css": [css]}})
    before = re.findall(r"(?<![-\w])color: (#\w+)", css)
    colours = re.findall(r"(?<![-\w])color: (#\w+)", resources["inlining"]["css"][0])
    assert before and len(colours) == len(before), "every colour of the style is kept, and checked here"
    for colour, original in zip(colours, before, strict=True):
        assert all(contrast_ratio(colour, background) >= 4.5 for background in CODE_BACKGROUNDS), colour
        if all(contrast_ratio(original, background) >= 4.5 for background in CODE_BACKGROUNDS):
            assert colour == original, f"{original} was readable and became {colour}"
    assert "color: #008000" in resources["inlining"]["css"][0], "a colour that was readable is left as it was"
    assert readable("#3D7B7B", "#f5f5f5") == "#3c7979"  # comments: a shade darker, the same teal


def test_the_histograms_numbers_are_its_bars():
    from dlfcourse.outputs import charts

    assert charts.score_bins([3, 4, 4, 10], 10) == [(str(k), {3: 1, 4: 2, 10: 1}.get(k, 0)) for k in range(11)]
    bins = charts.score_bins([0.5, 7.3, 7.4, 12.5], 12.5)  # a maximum that is not whole: 20 ranges
    assert len(bins) == 20 and sum(n for _, n in bins) == 4 and bins[0] == ("0–0.625", 1)
