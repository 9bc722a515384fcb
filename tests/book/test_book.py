"""The website: it builds without warnings, every chapter is there with math and figures, offline."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import ASSIGNMENTS, CHAPTERS, REPO

pytestmark = [pytest.mark.slow]


def test_book_builds_without_warnings(site):
    _, log = site
    # Sphinx's own warnings; ipykernel's "running over TCP" notice on stderr is not one (see TOOLCHAIN).
    warnings = [line for line in log.splitlines()
                if re.search(r"\b(WARNING|ERROR|CRITICAL):", line) and "IPKernelApp" not in line]
    assert not warnings, "the build printed warnings:\n" + "\n".join(warnings)


def _toc_files(entries: list[dict]) -> list[str]:
    files = []
    for entry in entries:
        files.append(entry["file"])
        files += _toc_files(entry.get("sections", []))
    return files


def test_toc_lists_six_chapters_each_followed_by_its_exercise():
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [f for part in toc["parts"] for f in _toc_files(part["chapters"])]
    assert len(CHAPTERS) == 6
    assert [f for f in files if re.match(r"book/0\d-", f)] == [f"book/{c}" for c in CHAPTERS]
    for chapter in CHAPTERS:
        assert files[files.index(f"book/{chapter}") + 1] == f"exercises/{chapter}/{chapter}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_has_math_figures_and_exercise_link(site, chapter):
    html_dir, _ = site
    page = (html_dir / "book" / f"{chapter}.html").read_text()
    assert "_static/mathjax/tex-chtml.js" in page and "cdn.jsdelivr" not in page, "MathJax must be served locally"
    assert re.search(r"\\\(|\\\[", page), "the chapter should contain rendered math"
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', page)
    assert images, "the chapter should show at least one figure"
    for src in images:
        assert (html_dir / "book" / src).resolve().exists(), f"missing image {src}"
    # a figure that fails to draw (a bad mathtext label, say) prints a traceback but does not fail the build
    assert "Traceback (most recent call last)" not in page, "a cell of the chapter printed a traceback"
    assert f"exercises/{chapter}/{chapter}.html" in page, "the chapter should link its exercise"
    assert "download-source-button" in page, "each page offers a download button for its source"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_headings_are_plain_text(site, chapter):
    """Math in a heading reaches the page's table of contents and the browser title as raw TeX."""
    html_dir, _ = site
    page = (html_dir / "book" / f"{chapter}.html").read_text()
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "\\(" not in title and "$" not in title, f"TeX in the browser title: {title}"
    for heading in re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", page, re.S):
        assert 'class="math' not in heading, f"math in a heading: {re.sub('<[^>]+>', '', heading)[:80]}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_answered_self_checks_and_alt_text(site, chapter):
    html_dir, _ = site
    page = (html_dir / "book" / f"{chapter}.html").read_text()
    answers = re.findall(r'<details class="[^"]*sd-dropdown', page)
    assert len(answers) >= 5, f"{chapter}: {len(answers)} answered questions, want at least five"
    for alt in re.findall(r'<img alt="([^"]*)"', page):
        assert not alt.endswith(".png") and len(alt) > 30, f"{chapter}: an image without a real alt text: {alt[:60]}"


def test_local_mathjax_is_copied(site):
    html_dir, _ = site
    mathjax = html_dir / "_static" / "mathjax"
    assert (mathjax / "tex-chtml.js").exists(), "MathJax 3's TeX-to-CommonHTML component"
    assert 'VERSION="3.' in (mathjax / "tex-chtml.js").read_text(), "MathJax 3, not the slow 2.7"
    assert list((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff")), "its fonts, for offline use"
    assert (mathjax / "input" / "tex" / "extensions").is_dir(), "the TeX extensions it autoloads"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercise_pages_show_no_solutions(site, assignment):
    html_dir, _ = site
    page = (html_dir / "exercises" / assignment / f"{assignment}.html").read_text()
    assert "NotImplementedError" in page
    for marker in ("BEGIN SOLUTION", "HIDDEN TESTS", "dlfoundations.grading import a"):
        assert marker not in page


def test_bibliography_lists_goodfellow(site):
    html_dir, _ = site
    page = (html_dir / "book" / "references.html").read_text()
    assert "Goodfellow" in page and "Deep Learning" in page


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_equations_and_figures_are_numbered_per_chapter(site, chapter):
    """Chapter k numbers its equations (k.1), (k.2), ... and its figures Fig. k.1, Fig. k.2, ..."""
    html_dir, _ = site
    page = (html_dir / "book" / f"{chapter}.html").read_text()
    number = int(chapter[:2])
    equations = re.findall(r'<span class="eqno">\(([\d.]+)\)', page)
    figures = re.findall(r'<span class="caption-number">Fig\. ([\d.]+)', page)
    assert equations and figures, f"{chapter} should have numbered equations and figures"
    assert equations == [f"{number}.{i}" for i in range(1, len(equations) + 1)], equations
    assert figures == [f"{number}.{i}" for i in range(1, len(figures) + 1)], figures


def _code_cells(chapter: str) -> list[str]:
    import jupytext

    notebook = jupytext.read(REPO / "book" / f"{chapter}.md")
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_code_is_wrapped_for_the_page(chapter):
    """Code lines of at most 85 characters fit the page's code blocks without scrolling sideways."""
    long = [line for source in _code_cells(chapter) for line in source.splitlines() if len(line) > 85]
    assert not long, f"{chapter}: {len(long)} code lines longer than 85 characters, e.g. {long[0][:90]!r}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_figures_are_drawn_for_the_page(chapter):
    """At most two panels side by side, at most 6.6 inches wide (shown at full size), no text under 9 pt."""
    code = "\n".join(_code_cells(chapter))
    for _rows, columns in re.findall(r"subplots\(\s*(\d+)\s*,\s*(\d+)", code):
        assert int(columns) <= 2, f"{chapter}: a figure with {columns} panels in a row"
    for width in re.findall(r"figsize=\(\s*([\d.]+)\s*,", code):
        assert float(width) <= 6.6, f"{chapter}: a figure {width} inches wide (the column shows 6.7 in at 100 dpi)"
    for size in re.findall(r"fontsize=([\d.]+)", code):
        assert float(size) >= 9, f"{chapter}: text of {size} pt"
    assert not re.search(r"fontsize=\"(x+-)?small\"", code), f"{chapter}: text set smaller than the default"
