"""Build the student pack: ``make student-pack`` (or ``python scripts/build_student_pack.py [OUT]``).

The pack is what students receive (DESIGN.md, "What each audience receives"):

    _build/student-pack/deep-learning-foundations/
        README.md           the guide: install, open, check as graded, what to hand in and how
        requirements.txt    the library's wheel and the versions the course was tested with
        wheels/             dlfoundations-<version>-py3-none-any.whl: the library and the student kit
        exercises/          the released notebooks (exercises/ of the repository, as `make release` wrote them)
        LICENSE
    _build/student-pack/deep-learning-foundations.zip   the same folder, zipped

It holds no ``solutions/`` and nothing of the instructor package ``dlfcourse`` (hidden checks,
grader, sandbox): the wheel is built from a copy of the root ``pyproject.toml`` and
``src/dlfoundations`` only, offline. The build refuses to finish if anything of theirs got in.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NAME = "deep-learning-foundations"
GUIDE = Path(__file__).with_name("student-pack-guide.md")
#: The top-level requirements a student installs besides the library, pinned as in requirements.txt.
PINNED = ("numpy", "matplotlib", "scikit-learn", "jupyterlab")
#: Text that marks instructor material: solution regions, hidden tests, the instructor package.
FORBIDDEN = ("### BEGIN SOLUTION", "### END SOLUTION", "BEGIN HIDDEN TESTS", "dlfcourse.grader", "import dlfcourse",
             "from dlfcourse")


class PackError(RuntimeError):
    """The pack would hold instructor material, or could not be built."""


def _ignore(_folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n.startswith(".") or n == "__pycache__" or n.endswith((".pyc", ".egg-info"))]


def build_wheel(repo: Path, into: Path, readme: str) -> Path:
    """The library's wheel, built offline from a copy holding only ``pyproject.toml``, the licence,
    ``src/dlfoundations`` and ``readme`` (the guide) as its description."""
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "dlfoundations"
        shutil.copytree(repo / "src" / "dlfoundations", project / "src" / "dlfoundations", ignore=_ignore)
        for name in ("pyproject.toml", "LICENSE"):
            shutil.copy2(repo / name, project / name)
        (project / "README.md").write_text(readme)  # the repository's README speaks of the instructor package
        into.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
                                 "--no-build-isolation", "--wheel-dir", str(into), str(project)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise PackError(f"building the dlfoundations wheel failed:\n{result.stdout}{result.stderr}")
    wheels = sorted(into.glob("dlfoundations-*.whl"))
    if len(wheels) != 1:
        raise PackError(f"expected one dlfoundations wheel in {into}, found {[w.name for w in wheels]}")
    return wheels[0]


def _pins(repo: Path) -> list[str]:
    pinned = {}
    for line in (repo / "requirements.txt").read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if found:
            pinned[found[1].lower().replace("_", "-")] = line.strip()
    missing = [name for name in PINNED if name not in pinned]
    if missing:
        raise PackError(f"requirements.txt pins no version of {missing}")
    return [pinned[name] for name in PINNED]


def _texts(pack: Path):
    """(name, text) of every file of the pack, and of every member of its wheels."""
    for path in sorted(pack.rglob("*")):
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                for member in wheel.namelist():
                    yield f"{path.name}/{member}", wheel.read(member).decode("utf-8", "replace")
        elif path.is_file():
            yield str(path.relative_to(pack)), path.read_text("utf-8", "replace")


def verify(pack: Path) -> None:
    """Raise PackError if the pack holds a solution, a hidden test or the instructor package."""
    problems = []
    for name, text in _texts(pack):
        parts = re.split(r"[/\\]", name)
        if "solutions" in parts or any(p == "dlfcourse" or p.startswith("dlfcourse-") for p in parts):
            problems.append(f"{name}: instructor material")
        problems += [f"{name}: contains {marker!r}" for marker in FORBIDDEN if marker in text]
    if problems:
        raise PackError("the student pack would hold instructor material:\n  " + "\n  ".join(problems[:20]))


def build(repo: Path = REPO, out: Path | None = None) -> tuple[Path, Path]:
    """Build the pack folder and its zip under ``out`` (default ``_build/student-pack``); return both paths."""
    out = out or repo / "_build" / "student-pack"
    pack = out / NAME
    if pack.exists():
        shutil.rmtree(pack)
    shutil.copytree(repo / "exercises", pack / "exercises", ignore=_ignore)
    version = re.search(r'^version = "(?P<v>[^"]+)"', (repo / "pyproject.toml").read_text(), re.MULTILINE)["v"]
    guide = GUIDE.read_text().replace("WHEEL_FILE", f"dlfoundations-{version}-py3-none-any.whl")
    wheel = build_wheel(repo, pack / "wheels", guide)
    if wheel.name not in guide:
        raise PackError(f"the guide names dlfoundations-{version}-py3-none-any.whl, but the wheel is {wheel.name}")
    (pack / "README.md").write_text(guide)
    (pack / "requirements.txt").write_text(
        "# The course library and what the exercises need, at the versions the course was tested with.\n"
        "# In this folder, in a virtual environment: pip install -r requirements.txt\n"
        f"wheels/{wheel.name}\n" + "\n".join(_pins(repo)) + "\n")
    shutil.copy2(repo / "LICENSE", pack / "LICENSE")
    verify(pack)
    archive = Path(shutil.make_archive(str(out / NAME), "zip", root_dir=out, base_dir=NAME))
    return pack, archive


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        pack, archive = build(REPO, Path(args[0]).resolve() if args else None)
    except PackError as error:
        print(f"student pack: {error}", file=sys.stderr)
        return 1
    files = sum(1 for p in pack.rglob("*") if p.is_file())
    print(f"student pack: {pack} ({files} files) and {archive} ({archive.stat().st_size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
