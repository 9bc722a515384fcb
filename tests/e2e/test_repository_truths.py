"""What the README and the Makefile say is true: the targets exist and do what `make help` says, the
README's instructor commands work on a fresh clone, and the files the commands write are not committed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


def _make(*args: str) -> str:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=REPO, capture_output=True, text=True,
                          check=True, timeout=60).stdout


@needs_make
def test_make_help_lists_every_target():
    phony = re.search(r"^\.PHONY:(.*)$", (REPO / "Makefile").read_text(), re.MULTILINE).group(1).split()
    shown = {line.split()[1] for line in _make("help").splitlines() if line.startswith("make ")}
    assert set(phony) - {"help"} <= shown, set(phony) - shown


@needs_make
def test_make_test_fast_runs_the_tests_without_slow_or_browser_ones():
    dry = _make("-n", "test-fast")
    assert re.search(r"python -m pytest tests -m \"not slow and not browser\"", dry), dry


def test_readme_instructor_commands_work_on_a_fresh_clone():
    readme = (REPO / "README.md").read_text()
    instructors = readme[readme.index("## For instructors"):readme.index("## For maintainers")]
    first = re.search(r"```bash\n(.*?)\n", instructors).group(1)
    assert first.startswith("make setup"), first  # .venv/bin/pip does not exist before make setup
    for command in ("roster import", "--format canvas", "--format moodle", "--archive"):
        assert command in instructors, command
    assert "python3-venv" in readme


@needs_make
def test_the_readme_and_make_help_give_the_same_test_duration():
    said = re.search(r"`make test` is what CI runs\s+\(`\.ci/run`\); it takes about (\d+) minutes",
                     (REPO / "README.md").read_text())
    helped = re.search(r"about (\d+) minutes on 2 cores", _make("help"))
    assert said and helped and said.group(1) == helped.group(1)


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="not a git checkout")
@pytest.mark.parametrize("written", ["grades.csv", "grades-canvas.csv", "grades-moodle.csv", "report.html",
                                     "report-04-softmax.html", "feedback-04-softmax-moodle.zip",
                                     "submitted/ann/04-softmax/04-softmax.ipynb", "gradebook.db"])
def test_what_the_commands_write_is_ignored_by_git(written: str):
    done = subprocess.run(["git", "check-ignore", "--no-index", "-q", written], cwd=REPO, timeout=30)
    assert done.returncode == 0, f"{written} is not in .gitignore"


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="not a git checkout")
def test_make_lint_reads_every_python_file_of_the_repository():
    """`make lint` runs ruff on the whole tree: no Python file may fall through an exclude pattern
    (a bare "book" once excluded tests/book as well as the chapters)."""
    assert re.search(r"^lint:.*\n\t\$\(BIN\)/ruff check \.$", (REPO / "Makefile").read_text(), re.MULTILINE)
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    ruff = Path(sys.executable).with_name("ruff")
    shown = subprocess.run([str(ruff), "check", "--show-files", "."], cwd=REPO, capture_output=True, text=True,
                           check=True).stdout
    linted = {Path(line.strip()).resolve() for line in shown.splitlines() if line.strip().endswith(".py")}
    assert {(REPO / path).resolve() for path in tracked} - linted == set()
