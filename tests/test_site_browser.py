"""Open the built website in headless Chromium, with every outside request blocked, and check each chapter.

A page fails when MathJax reports an error, when raw ``$$`` or a TeX delimiter is left in the
text, when an image does not load, or when an internal link points nowhere.
A screenshot of a chapter with equations and a figure is saved under
``_build/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from conftest import CHAPTERS, REPO

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = REPO / "_build" / "screenshots" / "01-perceptron.png"

# MathJax 3: startup.promise resolves once the first typeset pass of the page is over.
WAIT_FOR_MATHJAX = """() => new Promise(resolve => {
  const started = performance.now();
  const wait = () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(() => resolve('done'), () => resolve('failed'));
    } else if (performance.now() - started > 20000) {
      resolve('no-mathjax');
    } else {
      setTimeout(wait, 20);
    }
  };
  wait();
})"""

PAGE_REPORT = """() => {
  const visibleText = Array.from(document.querySelectorAll('article p, article li, article td, article h1, article h2, article h3'))
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
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make sysdeps` (installs Debian's chromium)")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


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
