"""The student pack (issue 18): exercises, the library and kit as a wheel, a guide; no solutions, no instructor
package, no hidden test; and an exercise's visible tests run from it in a fresh virtual environment.

The fresh environment gets the pack's wheel installed offline (``--no-index --no-deps``); its
dependencies (numpy, matplotlib, scikit-learn, JupyterLab's kernel and nbclient) are borrowed from this
environment's site-packages through a ``.pth`` file, which adds the folder but not the editable installs
it holds, so neither the repository's ``src/`` nor ``dlfcourse`` is importable there.
"""

from __future__ import annotations

import importlib.util
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import ASSIGNMENTS, REPO
from dlfcourse.grader import checks

pytestmark = pytest.mark.slow

SCRIPT = REPO / "scripts" / "build_student_pack.py"


def _script():
    spec = importlib.util.spec_from_file_location("build_student_pack", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    folder, archive = _script().build(REPO, tmp_path_factory.mktemp("pack"))
    return folder, archive


def _texts(folder: Path):
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                for member in wheel.namelist():
                    yield f"{path.name}/{member}", wheel.read(member).decode("utf-8", "replace")
        elif path.is_file():
            yield str(path.relative_to(folder)), path.read_text("utf-8", "replace")


def _secret_lines() -> set[str]:
    """Lines only the instructor has: the solution regions of solutions/ (not also in a public cell) and the
    instructor package's source (hidden checks included), stripped; short lines and lines of the library
    left out."""
    inside, outside = set(), set()
    for assignment in ASSIGNMENTS:
        notebook = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
        within = False
        for line in (line.strip() for cell in notebook.cells for line in cell.source.splitlines()):
            if line in ("### BEGIN SOLUTION", "### END SOLUTION"):
                within = line == "### BEGIN SOLUTION"
            else:
                (inside if within else outside).add(line)
    checks = {line.strip() for path in (REPO / "src" / "dlfcourse").rglob("*.py")
              for line in path.read_text().splitlines()}
    library = {line.strip() for path in (REPO / "src" / "dlfoundations").rglob("*.py")
               for line in path.read_text().splitlines()}
    # the reference library is the students' by design: a model answer may share a line with it
    return {line for line in ((inside - outside) | checks) - library if len(line) > 30}


def test_the_pack_holds_the_exercises_the_wheel_and_the_guide(pack):
    folder, archive = pack
    assert sorted(p.name for p in folder.iterdir()) == ["LICENSE", "README.md", "exercises", "requirements.txt",
                                                        "wheels"]
    for assignment in ASSIGNMENTS:
        notebooks = sorted((folder / "exercises" / assignment).iterdir())
        assert [p.name for p in notebooks] == [f"{assignment}.ipynb"]
        assert notebooks[0].read_bytes() == (REPO / "exercises" / assignment / f"{assignment}.ipynb").read_bytes()
    wheels = list((folder / "wheels").iterdir())
    assert len(wheels) == 1 and wheels[0].name.startswith("dlfoundations-")
    with zipfile.ZipFile(wheels[0]) as wheel:
        tops = {name.split("/")[0] for name in wheel.namelist()}
        assert "dlfoundations/kit/as_graded.py" in wheel.namelist() and "dlfoundations/losses.py" in wheel.namelist()
    assert tops == {"dlfoundations", wheels[0].name.split("-py3")[0] + ".dist-info"}
    guide = (folder / "README.md").read_text()
    for words in ("python3 -m venv", "pip install -r requirements.txt", "jupyter lab",
                  "python -m dlfoundations.kit.as_graded", "What to hand in", wheels[0].name):
        assert words in guide
    assert f"wheels/{wheels[0].name}" in (folder / "requirements.txt").read_text()
    with zipfile.ZipFile(archive) as zipped:
        members = {name.rstrip("/") for name in zipped.namelist()}
    assert {f"deep-learning-foundations/{p.relative_to(folder)}" for p in folder.rglob("*") if p.is_file()} <= members


def test_the_pack_holds_no_solution_no_instructor_package_and_no_hidden_test(pack):
    folder, archive = pack
    secret = _secret_lines()
    for assignment in ASSIGNMENTS:  # what is looked for holds lines of each assignment's answers and hidden checks
        notebook = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
        answers = {line.strip() for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("solution")
                   for line in cell.source.splitlines()}
        hidden = Path(importlib.util.find_spec(checks.MODULES[assignment]).origin).read_text()
        assert secret & answers, f"no line of the solutions of {assignment} is looked for"
        assert secret & {line.strip() for line in hidden.splitlines()}, f"no line of {assignment}'s checks"
    found = []
    for name, text in _texts(folder):
        assert "solutions" not in Path(name).parts and "dlfcourse" not in name, name
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "dlfcourse" not in text, name
        found += [(name, line) for line in {line.strip() for line in text.splitlines()} & secret]
    assert not found, f"instructor lines in the pack: {found[:5]}"
    with zipfile.ZipFile(archive) as zipped:
        assert not [n for n in zipped.namelist() if "solutions/" in n or "dlfcourse" in n]


def test_the_guard_refuses_a_pack_with_instructor_material(tmp_path):
    script = _script()
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "leak.ipynb").write_text('{"source": "### BEGIN SOLUTION"}')
    with pytest.raises(script.PackError, match="BEGIN SOLUTION"):
        script.verify(tmp_path)


def test_an_exercise_runs_its_visible_tests_from_the_pack_in_a_fresh_environment(pack, tmp_path):
    folder, _ = pack
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    wheel = next((folder / "wheels").iterdir())
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", str(wheel)],
                   check=True, timeout=120)
    fresh_site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                     capture_output=True, text=True, check=True).stdout.strip())
    (fresh_site / "borrowed-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    where = subprocess.run([str(python), "-c", "import dlfoundations, importlib.util; print(dlfoundations.__file__); "
                            "print(importlib.util.find_spec('dlfcourse'))"], capture_output=True, text=True, check=True)
    library, instructor = where.stdout.split()
    assert Path(library).is_relative_to(fresh_site) and instructor == "None", where.stdout

    # a student's finished notebook: the released exercise with the instructor's answers typed in
    work = tmp_path / "work"
    work.mkdir()
    released = nbformat.read(folder / "exercises" / "04-softmax" / "04-softmax.ipynb", as_version=4)
    source = nbformat.read(REPO / "solutions" / "04-softmax" / "04-softmax.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
    for cell in released.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in answers:
            cell.source = "\n".join(line for line in answers[grade_id].splitlines() if "### " not in line)
    nbformat.write(released, work / "04-softmax.ipynb")
    checked = subprocess.run([str(python), "-m", "dlfoundations.kit.as_graded", "04-softmax.ipynb"], cwd=work,
                             capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "6 of 6 item(s) pass their visible tests" in checked.stdout
    unfinished = subprocess.run([str(python), "-m", "dlfoundations.kit.as_graded",
                                 str(folder / "exercises" / "01-perceptron" / "01-perceptron.ipynb")],
                                capture_output=True, text=True, timeout=300)
    first = next(line for line in unfinished.stdout.splitlines() if line.startswith("FAIL 1."))
    assert unfinished.returncode == 1 and first.startswith(
        "FAIL 1. The perceptron loss and its subgradient (`perceptron_loss`): ") and "NotImplementedError" in first, \
        unfinished.stdout
