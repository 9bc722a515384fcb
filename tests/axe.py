"""axe-core, the WCAG checker, fetched from the npm registry and run in a Playwright page.

:func:`axe_source` runs ``npm pack axe-core@4`` (the newest 4.x, not the old copy bundled in PyPI's
``axe-selenium-python``, which lacks the WCAG 2.1 rules) into a cache folder, ``_build/axe-core/`` (or
``$DLF_AXE_CACHE``), and returns the text of its ``axe.min.js``; one copy per version, unpacked once, safe
with several pytest workers. Without npm the tests that need it are skipped with the reason; when the
registry cannot be reached, the newest copy already in the cache is used, if there is one.

:func:`run_axe` injects that script into an open page (through the DevTools protocol, so a page's
Content-Security-Policy does not have to allow it) and returns the violations of the WCAG 2.0/2.1 A and AA
rules; :func:`serious` keeps the serious and critical ones, and :func:`describe` prints them for a
failing assertion.

The conftest fixture ``axe_script`` calls :func:`axe_source` once per session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("DLF_AXE_CACHE", REPO / "_build" / "axe-core"))
PACKAGE = "axe-core@4"
#: WCAG 2.0 and 2.1, levels A and AA.
WCAG21AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

__all__ = ["axe_source", "run_axe", "serious", "describe", "WCAG21AA"]


def _cached() -> list[Path]:
    """The unpacked copies in the cache, newest version last."""
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) if part.isdigit() else -1 for part in path.parent.name.split("."))
    return sorted(CACHE.glob("*/axe.min.js"), key=version)


def _pack() -> Path:
    """``npm pack axe-core@4`` into the cache; the path of its ``axe.min.js``, unpacked once per version."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix=".pack-") as scratch:
        result = subprocess.run(["npm", "pack", PACKAGE, "--json", "--pack-destination", scratch],
                                cwd=scratch, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"`npm pack {PACKAGE}` failed:\n{result.stderr[-2000:]}")
        packed = json.loads(result.stdout)[0]
        target = CACHE / packed["version"] / "axe.min.js"
        if target.is_file():
            return target
        with tarfile.open(Path(scratch) / packed["filename"]) as archive:
            member = archive.extractfile("package/axe.min.js")
            if member is None:
                raise RuntimeError(f"{packed['filename']} has no package/axe.min.js")
            unpacked = Path(scratch) / "axe.min.js"
            unpacked.write_bytes(member.read())
        folder = Path(scratch) / "version"
        folder.mkdir()
        unpacked.replace(folder / "axe.min.js")
        try:
            folder.replace(target.parent)  # atomic: another worker may have unpacked the same version
        except OSError:
            if not target.is_file():
                raise
        return target


def axe_source() -> str:
    """The text of the current axe-core 4.x ``axe.min.js`` (see the module docstring)."""
    if shutil.which("npm") is None:
        pytest.skip("npm is absent: the accessibility tests fetch axe-core with `npm pack axe-core@4` "
                    "(run `make sysdeps`, which installs Debian's npm)")
    try:
        path = _pack()
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as error:
        cached = _cached()
        if not cached:
            pytest.fail(f"could not fetch axe-core from the npm registry, and none is cached in {CACHE}: {error}")
        path = cached[-1]
    return path.read_text(encoding="utf-8")


RUN = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
  .then(results => ({
    version: axe.version,
    violations: results.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 300),
                                summary: (n.failureSummary || '').slice(0, 400)})),
    })),
  }))"""


def run_axe(tab, source: str, tags: tuple[str, ...] = WCAG21AA) -> dict:
    """axe-core's violations of ``tags`` on the page open in ``tab`` (a Playwright page): ``{version, violations}``.

    Each violation has ``id``, ``impact`` (minor, moderate, serious, critical), ``help`` and ``nodes``
    (``target``, ``html``, ``summary``).
    """
    if not tab.evaluate("() => typeof window.axe === 'object'"):
        tab.evaluate(source + "\n;undefined")  # evaluated by DevTools: not subject to the page's policy
    return tab.evaluate(RUN, list(tags))


def serious(results: dict) -> list[dict]:
    """The serious and critical violations of :func:`run_axe`'s results."""
    return [v for v in results["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict], nodes: int = 4) -> str:
    """The violations, one paragraph each, with a few of their nodes: for an assertion message."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes): {violation['help']}")
        for node in violation["nodes"][:nodes]:
            lines.append(f"    {node['target']}: {node['html'][:160]}")
            if node["summary"]:
                lines.append("      " + node["summary"].replace("\n", " ")[:300])
    return "\n".join(lines)
