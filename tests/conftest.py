"""Shared fixtures: the repository paths, one build of the website per test session, axe-core, and the courses
the grading tests copy (each built once per test worker: see tests/course_fixtures.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHAPTERS = sorted(p.stem for p in (REPO / "book").glob("0[1-9]-*.md"))
# Kernels started by nbclient, nbval and nbgrader find "python" (and nbgrader finds alembic)
# through PATH: put this environment's bin first, however pytest was started.
os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
# Notebook kernels must use their inline backend to produce figures (headless pytest falls back to Agg).
os.environ.pop("MPLBACKEND", None)

ASSIGNMENTS = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir()) \
    if (REPO / "solutions").exists() else []


#: fixture -> the markers every test that uses it carries (``make test-fast`` deselects slow and browser tests)
MARKED_BY_FIXTURE = {"browser": ("browser",), "site": ("slow",)}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that launches Chromium (the ``browser`` fixture) is a browser test, and one that builds the site
    (``site``) a slow one, whether or not its module says so: ``-m "not slow and not browser"`` never starts them."""
    for item in items:
        for fixture, markers in MARKED_BY_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                for marker in markers:
                    if item.get_closest_marker(marker) is None:
                        item.add_marker(marker)


@pytest.fixture(scope="session")
def site():
    """Build the book once, as `make book` does, and return (html folder, build log).

    The build uses the execution cache in _build/.jupyter_cache: on a fresh
    clone (as in CI) every chapter executes; locally, unchanged pages are reused.
    """
    result = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(REPO), "--builder", "html", "-W", "-n", "--keep-going"],
        cwd=REPO, capture_output=True, text=True, timeout=1800,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"the book build failed:\n{log[-6000:]}"
    return REPO / "_build" / "html", log


@pytest.fixture(scope="session")
def released_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample course, released, no student (course_fixtures.build_released_sample). Never change it: copy it
    with course_fixtures.copy_course."""
    from course_fixtures import build_released_sample

    return build_released_sample(tmp_path_factory.mktemp("released-sample") / "course")


@pytest.fixture(scope="session")
def graded_sample(released_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample course with course_fixtures.SAMPLE_CLASS collected and graded in the sandbox
    (course_fixtures.build_graded_sample). Never change it: copy it with course_fixtures.copy_course."""
    from course_fixtures import build_graded_sample

    return build_graded_sample(released_sample, tmp_path_factory.mktemp("graded-sample") / "course")


@pytest.fixture(scope="session")
def graded_softmax(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 04-softmax course graded without the grader (course_fixtures.build_graded_course). Never change it:
    copy it with course_fixtures.copy_course."""
    from course_fixtures import build_graded_course

    root = tmp_path_factory.mktemp("graded-softmax") / "course"
    build_graded_course(root)
    return root


@pytest.fixture(scope="session")
def released_assignment(tmp_path_factory: pytest.TempPathFactory):
    """assignment -> a course with that assignment of the repository released by nbgrader
    (course_harness.make_course), built at most once per test worker. Never change it: copy it."""
    from course_harness import make_course

    built: dict[str, Path] = {}

    def release_of(assignment: str) -> Path:
        if assignment not in built:
            built[assignment] = make_course(tmp_path_factory.mktemp(f"released-{assignment}"), assignment)
        return built[assignment]

    return release_of


@pytest.fixture(scope="session")
def axe_script() -> str:
    """The text of the current axe-core 4.x (``npm pack axe-core@4``, cached in _build/axe-core): see tests/axe.py."""
    from axe import axe_source

    return axe_source()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for the page tests of one module (see tests/browser.py)."""
    from browser import chromium

    with chromium() as launched:
        yield launched
