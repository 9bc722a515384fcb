"""Open the built website in headless Chromium, with every outside request blocked, and check each chapter.

A page fails when MathJax reports an error, when raw ``$$`` or a TeX delimiter is left in the
text, when an image does not load, or when an internal link points nowhere.
A screenshot of a chapter with equations and a figure is saved under
``_build/screenshots/``.

Then, on every page of the site (the ten book pages and the six exercises):

* axe-core, the WCAG checker (current 4.x, fetched with npm: see ``axe.py``), finds no serious or
  critical violation of the WCAG 2.0/2.1 A and AA rules;
* no raw TeX is ever painted: from the first frame until MathJax has typeset the page, every
  formula that still holds TeX source is invisible (and without JavaScript the source is shown);
* at the reading width (1280 px) no code or printed output scrolls sideways and no figure is
  shrunk: figures are drawn for the column, so the text in them keeps the size it was drawn at.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from axe import describe, run_axe, serious
from browser import WAIT_FOR_MATHJAX
from conftest import CHAPTERS, REPO

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SCREENSHOT = REPO / "_build" / "screenshots" / "01-perceptron.png"

PAGE_REPORT = """() => {
  const visibleText = Array.from(document.querySelectorAll(
      'article p, article li, article td, article h1, article h2, article h3'))
      .map(e => e.innerText).join('\\n');
  return {
    mathErrors: document.querySelectorAll('.MathJax_Error, merror, .mjx-merror').length
               + (document.body.innerText.includes('Math Processing Error') ? 1 : 0),
    typeset: document.querySelectorAll('.MathJax, .MathJax_Display, mjx-container').length,
    rawDollars: visibleText.includes('$$'),
    // TeX delimiters MathJax should have consumed: left in the text, they mean a formula was not typeset.
    rawTex: ['(', ')', '[', ']', 'begin{'].some(s => visibleText.includes(String.fromCharCode(92) + s)),
    brokenImages: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
  };
}"""


@pytest.fixture(scope="module")
def server(site):
    html_dir, _ = site
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", html_dir
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def page(browser, server):
    base, _ = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def offline_only(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", offline_only)
    tab = context.new_page()
    yield tab, blocked
    context.close()


def _visit(tab, url: str) -> dict:
    response = tab.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    assert tab.evaluate(WAIT_FOR_MATHJAX) == "done", f"MathJax did not load on {url}"
    return tab.evaluate(PAGE_REPORT)


def _local_target(base: str, html_dir: Path, link: str) -> tuple[Path, str] | None:
    url, fragment = urldefrag(link)
    if not url.startswith(base):
        return None
    path = html_dir / urlparse(url).path.lstrip("/")
    return (path / "index.html" if path.is_dir() else path), fragment


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_renders_offline(page, server, chapter):
    tab, blocked = page
    base, html_dir = server
    report = _visit(tab, urljoin(base, f"book/{chapter}.html"))
    assert report["mathErrors"] == 0, f"MathJax errors on {chapter}"
    assert report["typeset"] > 0, f"no typeset math on {chapter}"
    assert not report["rawDollars"], f"raw $$ left unrendered on {chapter}"
    assert not report["rawTex"], f"raw TeX delimiters left unrendered on {chapter}"
    assert not report["brokenImages"], f"images that did not load: {report['brokenImages']}"
    for link in report["links"]:
        target = _local_target(base, html_dir, link)
        if target is None:
            continue
        path, fragment = target
        assert path.exists(), f"{chapter} links to a missing page: {link}"
        if fragment and path.name == f"{chapter}.html":
            assert fragment in report["ids"], f"{chapter} links to a missing anchor #{fragment}"


def test_no_request_left_the_machine(page, server):
    tab, blocked = page
    base, _ = server
    _visit(tab, urljoin(base, "book/intro.html"))
    assert not blocked, f"the site tried to reach the internet: {sorted(set(blocked))[:5]}"


SCROLL_TO_EQUATION_ABOVE_FIGURE = """() => {
  const top = e => e.getBoundingClientRect().top + window.scrollY;
  const equations = Array.from(document.querySelectorAll('article mjx-container[display=\"true\"]'));
  for (const img of document.querySelectorAll('article img')) {
    const near = equations.filter(eq => top(eq) < top(img) && top(img) - top(eq) < 600);
    if (near.length) { window.scrollTo(0, top(near[0]) - 40); return true; }
  }
  return false;
}"""

IN_VIEW = """selector => Array.from(document.querySelectorAll(selector))
    .some(e => { const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight; })"""


def test_screenshot_of_a_page_with_equations_and_a_figure(page, server):
    tab, _ = page
    base, _ = server
    _visit(tab, urljoin(base, "book/01-perceptron.html"))
    assert tab.evaluate(SCROLL_TO_EQUATION_ABOVE_FIGURE), "chapter 1 should have a figure just below an equation"
    tab.wait_for_timeout(300)
    assert tab.evaluate(IN_VIEW, "article mjx-container[display=\"true\"]") and tab.evaluate(IN_VIEW, "article img")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOT), full_page=False)
    assert SCREENSHOT.stat().st_size > 20_000


# ------------------------------------------------------------------ every page: accessible, no raw TeX, fits

def _site_pages() -> list[str]:
    """The site's pages as paths under _build/html: book/<page>.html for every page of the table of
    contents, exercises/<a>/<a>.html for every exercise (16 today)."""
    import yaml

    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc["parts"]:
        walk(part["chapters"])
    return [f"{name}.html" for name in files]


PAGES = _site_pages()


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violation(page, server, axe_script, path):
    """axe-core (WCAG 2.0/2.1, A and AA) finds no serious or critical violation on the page."""
    tab, _ = page
    base, _ = server
    response = tab.goto(urljoin(base, path), wait_until="load")
    assert response is not None and response.ok, f"{path} answered {response and response.status}"
    if tab.evaluate("() => !!document.querySelector('script[src*=\"mathjax\"]')"):
        assert tab.evaluate(WAIT_FOR_MATHJAX) == "done", f"MathJax did not finish on {path}"
    results = run_axe(tab, axe_script)
    found = serious(results)
    assert not found, f"axe-core {results['version']} on {path}:\n{describe(found)}"


# Installed before the page's own scripts: at every animation frame (that is, before every paint)
# count the formulas that still hold TeX source and are visible, until MathJax has typeset the page.
WATCH_RAW_TEX = """(() => {
  const backslash = String.fromCharCode(92);
  const isRaw = e => { const t = e.textContent; return t.includes(backslash + '(') || t.includes(backslash + '['); };
  const isShown = e => { const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility === 'visible'; };
  const record = window.__rawTex = {frames: 0, framesWithRawTex: 0, example: null};
  const frame = () => {
    record.frames++;
    const shown = Array.from(document.querySelectorAll('.math')).filter(e => isRaw(e) && isShown(e));
    if (shown.length) {
      record.framesWithRawTex++;
      record.example = record.example || shown[0].textContent.slice(0, 60);
    }
    if (!window.__stopWatching) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();"""


def _fresh_tab(browser, base: str, **options):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
    return context


@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith(("book/0", "exercises/"))])
def test_no_raw_tex_is_ever_painted(browser, server, path):
    """From the first paint until MathJax is done, no formula shows its TeX source, and then all are shown."""
    base, _ = server
    context = _fresh_tab(browser, base)
    try:
        context.add_init_script(WATCH_RAW_TEX)
        tab = context.new_page()
        tab.goto(urljoin(base, path), wait_until="load")
        assert tab.evaluate(WAIT_FOR_MATHJAX) == "done", f"MathJax did not finish on {path}"
        tab.wait_for_timeout(50)  # one more frame after the reveal
        record = tab.evaluate("() => { window.__stopWatching = true; return window.__rawTex; }")
        assert record["frames"] > 0, "no frame was painted before MathJax finished?"
        assert record["framesWithRawTex"] == 0, (
            f"{path}: raw TeX was visible in {record['framesWithRawTex']} of {record['frames']} frames, "
            f"e.g. {record['example']!r}")
        hidden = tab.evaluate("""() => Array.from(document.querySelectorAll('.math'))
            .filter(e => getComputedStyle(e).visibility !== 'visible').length""")
        assert hidden == 0, f"{path}: {hidden} formulas are still hidden after MathJax finished"
    finally:
        context.close()


def test_formulas_are_readable_without_javascript(browser, server):
    """Hiding the TeX until it is typeset needs JavaScript; without it the TeX source stays visible."""
    base, _ = server
    context = _fresh_tab(browser, base, java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(urljoin(base, "book/04-softmax.html"), wait_until="load")
        counts = tab.evaluate("""() => { const all = Array.from(document.querySelectorAll('.math'));
            return [all.length, all.filter(e => getComputedStyle(e).visibility === 'visible').length]; }""")
        assert counts[0] > 0 and counts[1] == counts[0], f"formulas visible without JavaScript: {counts}"
    finally:
        context.close()


FITS_THE_COLUMN = """() => ({
  scrolling: Array.from(document.querySelectorAll('article pre'))
      .filter(e => e.scrollWidth > e.clientWidth + 1)
      .map(e => e.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '').slice(0, 100)),
  wideTables: Array.from(document.querySelectorAll('article table'))
      .filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).length,
  shrunk: Array.from(document.querySelectorAll('article img'))
      .filter(i => i.naturalWidth > i.getBoundingClientRect().width + 1)
      .map(i => [i.naturalWidth, Math.round(i.getBoundingClientRect().width), i.alt.slice(0, 60)]),
})"""


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_code_output_and_figures_fit_the_column(page, server, chapter):
    """At 1280 px no code or output scrolls sideways, no table overflows, and no figure is scaled down."""
    tab, _ = page
    base, _ = server
    _visit(tab, urljoin(base, f"book/{chapter}.html"))
    report = tab.evaluate(FITS_THE_COLUMN)
    assert not report["scrolling"], f"{chapter}: blocks that scroll sideways, longest lines: {report['scrolling']}"
    assert report["wideTables"] == 0, f"{chapter}: {report['wideTables']} tables wider than the column"
    assert not report["shrunk"], f"{chapter}: figures drawn wider than the column (natural, shown): {report['shrunk']}"
