"""How long after a chapter page loads is its math typeset? Headless Chromium, fully offline.

Serves the built site (_build/html; build it first with `make book`) on localhost, blocks
every request that leaves the machine, opens each chapter a few times and prints, per
chapter, the time from the start of navigation to the end of the first MathJax typeset
pass, and the same time counted from the page's load event. Works with MathJax 2
(waits for the "End" startup hook) and MathJax 3 (waits for MathJax.startup.promise).
It also counts, at every animation frame (before every paint), the frames in which a
formula still holding TeX source was visible: 0 since the site hides formulas until they
are typeset (book/_ext/offline_mathjax.py). Prints numbers, asserts nothing.

    .venv/bin/python bench/bench_math.py [--repeats 3] [--site _build/html]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import statistics
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Installed before any page script runs: polls every 5 ms until MathJax exists, then asks it
# to report the end of its first typeset pass (MathJax 2: the "End" startup hook, which also
# fires for late registrations; MathJax 3: startup.promise, resolved after the initial typeset).
RECORD_TYPESET_END = """
(() => {
  const backslash = String.fromCharCode(92);
  window.__rawTexFrames = 0;
  const frame = () => {
    const raw = Array.from(document.querySelectorAll('.math')).some(e => {
      const t = e.textContent, r = e.getBoundingClientRect();
      return (t.includes(backslash + '(') || t.includes(backslash + '[')) && r.width > 0
             && getComputedStyle(e).visibility === 'visible';
    });
    if (raw) window.__rawTexFrames++;
    if (window.__typesetEnd === undefined) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  const poll = setInterval(() => {
    const mj = window.MathJax;
    if (!mj) return;
    if (mj.Hub && mj.Hub.Register) {
      clearInterval(poll);
      mj.Hub.Register.StartupHook("End", () => { window.__typesetEnd = performance.now(); });
    } else if (mj.startup && mj.startup.promise) {
      clearInterval(poll);
      mj.startup.promise.then(() => { window.__typesetEnd = performance.now(); });
    }
  }, 5);
})();
"""

READ_TIMES = """() => new Promise(resolve => {
  const started = performance.now();
  const wait = () => {
    if (window.__typesetEnd !== undefined || performance.now() - started > 30000) {
      const nav = performance.getEntriesByType('navigation')[0];
      resolve({end: window.__typesetEnd ?? null, load: nav.loadEventStart, dcl: nav.domContentLoadedEventStart,
               rawTexFrames: window.__rawTexFrames,
               math: document.querySelectorAll('.MathJax, .MathJax_Display, mjx-container').length,
               version: window.MathJax && (window.MathJax.version || (window.MathJax.Hub && 'v2')) || null});
    } else setTimeout(wait, 10);
  };
  wait();
})"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A tab closed mid-download (the next repeat has begun) is not worth a traceback."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=REPO / "_build" / "html")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    chapters = sorted(p.stem for p in (args.site / "book").glob("0[1-9]-*.html"))
    if not chapters:
        raise SystemExit(f"no chapters under {args.site}/book: build the site first (make book)")

    httpd = _Server(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(args.site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    blocked: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        print("milliseconds until the first typeset pass ends, median of the runs; a negative time after")
        print("the load event means the math was typeset before the page finished loading")
        print(f"{'chapter':24s} {'math':>5s} {'MathJax':>8s} {'after navigation start':>30s} "
              f"{'after DOMContentLoaded':>23s} {'after load':>17s} {'raw TeX frames':>15s}")
        for chapter in chapters:
            from_start, from_load, from_dcl, count, version, raw_frames = [], [], [], 0, None, 0
            for _ in range(args.repeats):
                context = browser.new_context(viewport={"width": 1280, "height": 900})  # cold cache every time
                context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                              else (blocked.append(route.request.url), route.abort()))
                context.add_init_script(RECORD_TYPESET_END)
                tab = context.new_page()
                tab.goto(f"{base}book/{chapter}.html", wait_until="load")
                times = tab.evaluate(READ_TIMES)
                context.close()
                if times["end"] is None:
                    print(f"{chapter:24s} MathJax did not finish within 30 s")
                    break
                from_start.append(times["end"])
                from_load.append(times["end"] - times["load"])
                from_dcl.append(times["end"] - times["dcl"])
                count, version = times["math"], times["version"]
                raw_frames += times["rawTexFrames"]
            if from_start:
                print(f"{chapter:24s} {count:5d} {str(version):>8s} "
                      f"{statistics.median(from_start):14.0f} (min {min(from_start):5.0f}, max {max(from_start):5.0f}) "
                      f"{statistics.median(from_dcl):10.0f} (max {max(from_dcl):5.0f}) "
                      f"{statistics.median(from_load):6.0f} (max {max(from_load):5.0f}) {raw_frames:15d}")
        browser.close()
    httpd.shutdown()
    print(f"requests blocked (would have left the machine): {len(blocked)}")


if __name__ == "__main__":
    main()
