"""Opening a page as a reader would, to see whether anything a student wrote runs: shared by the feedback-page
tests (course/outputs/test_feedback_inert.py) and the end-to-end trust test (e2e/test_trust_second_round.py)."""

from __future__ import annotations

from pathlib import Path

from browser import WAIT_FOR_MATHJAX


# Records what the page's policy refused (the listener is installed by the browser, before any page script).
RECORD_VIOLATIONS = """window.__violations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""

# Click every link that carries a payload (javascript: URLs run only when followed).
CLICK_PAYLOAD_LINKS = """() => {
  let clicked = 0;
  for (const a of document.querySelectorAll('a, area')) {
    const href = a.getAttribute('href') || a.getAttribute('xlink:href') || '';
    if (href.includes('__pwned')) { a.click(); clicked += 1; }
  }
  return clicked;
}"""

PAGE_STATE = """() => ({
  pwned: Object.keys(window).filter(k => k.startsWith('__pwned')).sort(),
  title: document.title,
  typeset: document.querySelectorAll('mjx-container').length,
  mathErrors: document.querySelectorAll('merror, mjx-merror, [data-mjx-error]').length,
  images: Array.from(document.querySelectorAll('.output_png img, img[alt*="distribution"], img[alt*="failure"]'))
      .map(i => i.complete && i.naturalWidth > 0),
  violations: window.__violations,
  policy: (document.querySelector('meta[http-equiv="Content-Security-Policy" i]') || {}).content || '',
  verdictTable: Array.from(document.querySelectorAll('table th')).map(th => th.textContent.trim()),
  text: document.body.innerText,
})"""


def visit(browser, page: Path, math: bool = True) -> dict:
    """Open ``page`` from disk with every outside request blocked; click the payload links; the page's state."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    outside: list[str] = []

    def local_only(route) -> None:
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", local_only)
    context.add_init_script(RECORD_VIOLATIONS)
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        tab.goto(page.resolve().as_uri(), wait_until="load")
        if math:
            assert tab.evaluate(WAIT_FOR_MATHJAX) == "done", f"MathJax did not run on {page.name}"
        tab.wait_for_timeout(300)  # onerror/onload handlers of broken images, toggles, refreshes
        tab.evaluate(CLICK_PAYLOAD_LINKS)
        tab.wait_for_timeout(300)
        state = tab.evaluate(PAGE_STATE)
        state["url"] = tab.url
    finally:
        context.close()
    state["dialogs"], state["outside"] = dialogs, outside
    return state


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as directive -> its sources."""
    return {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}


def assert_inert(state: dict, page: str) -> None:
    assert not state["pwned"], f"student code ran on {page}: {state['pwned']}"
    assert "HACKED" not in state["title"] and not state["dialogs"], f"student code ran on {page}"
    assert state["url"].startswith("file:") and not state["outside"], f"{page} left the machine: {state['outside']}"
