"""The course directory: its nbgrader configuration, its folders, and nbgrader's Python API on it.

A course directory holds ``nbgrader_config.py`` and the folders nbgrader
names in it: the sources (``solutions/`` here), the release (``exercises/``),
``submitted/``, ``autograded/``, ``feedback/`` and ``gradebook.db``. This
package adds ``.dlf-course/`` for its own bookkeeping (what was graded when),
read and written through :attr:`Course.state` (:mod:`dlfcourse.state`).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlfcourse.errors import CourseError

if TYPE_CHECKING:
    from dlfcourse.state import CourseState

__all__ = ["Course", "CourseError", "open_gradebook", "put_alembic_on_path", "read_timestamp", "format_timestamp",
           "TIMESTAMP_FILE", "write_text_atomically"]

STATE_DIR = ".dlf-course"
#: nbgrader's record of when a submission was handed in, in ``submitted/<student>/<assignment>/``.
TIMESTAMP_FILE = "timestamp.txt"
_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def put_alembic_on_path() -> None:
    """nbgrader runs ``alembic`` (gradebook migrations) from PATH: make it this environment's."""
    binary = str(Path(sys.executable).parent)
    if binary not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join(filter(None, [binary, os.environ.get("PATH")]))


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file beside it, so that no reader ever sees half
    of it and an interrupted write leaves the old file whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def format_timestamp(moment: datetime) -> str:
    """``moment`` as nbgrader writes it in ``timestamp.txt``: UTC, with microseconds and the suffix `` UTC``."""
    return moment.astimezone(timezone.utc).strftime(_TIMESTAMP_FORMAT) + " UTC"


def read_timestamp(folder: Path) -> datetime | None:
    """The time in ``folder/timestamp.txt`` (nbgrader's format), or None if missing or unreadable."""
    try:
        text = (folder / TIMESTAMP_FILE).read_text().strip()
        return datetime.strptime(text.removesuffix(" UTC"), _TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc)
    except (OSError, ValueError):
        return None


@contextmanager
def open_gradebook(url: str, course_id: str | None = None) -> Iterator[Any]:
    """nbgrader's ``Gradebook`` on ``url`` (created if new), with SQLAlchemy's warnings about its models silenced."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    put_alembic_on_path()  # a new gradebook is stamped by nbgrader running `alembic` from PATH
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SAWarning)
        with Gradebook(url, course_id) if course_id else Gradebook(url) as gradebook:
            yield gradebook


@dataclass(frozen=True)
class Course:
    """A course directory (its absolute path) and the nbgrader configuration found in it."""

    root: Path

    @classmethod
    def open(cls, root: str | os.PathLike | None = None) -> Course:
        """The course at ``root`` (default: the current directory); it must contain nbgrader_config.py."""
        path = Path(root or os.getcwd()).resolve()
        if not (path / "nbgrader_config.py").is_file():
            raise CourseError(f"{path} is not a course directory: it has no nbgrader_config.py "
                              "(pass --course DIR, or run the command from the course directory)")
        return cls(path)

    def config(self, extra: Any = None) -> Any:
        """The traitlets Config of nbgrader_config.py, with the root made absolute, merged with ``extra``."""
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        config = Config()
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config())
        config.CourseDirectory.root = str(self.root)
        if extra is not None:
            config.merge(extra)
        return config

    def api(self, extra: Any = None) -> Any:
        """nbgrader's ``NbGraderAPI`` on this course (importing nbgrader takes a few seconds)."""
        put_alembic_on_path()
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        config = self.config(extra)
        return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    def _directory(self, name: str, default: str) -> Path:
        value = self.config().CourseDirectory.get(name, default)
        return self.root / value

    @property
    def source_dir(self) -> Path:
        return self._directory("source_directory", "source")

    @property
    def release_dir(self) -> Path:
        return self._directory("release_directory", "release")

    @property
    def submitted_dir(self) -> Path:
        return self._directory("submitted_directory", "submitted")

    @property
    def autograded_dir(self) -> Path:
        return self._directory("autograded_directory", "autograded")

    @property
    def feedback_dir(self) -> Path:
        return self._directory("feedback_directory", "feedback")

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.gradebook}"

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def state(self) -> CourseState:
        """What the commands remember about this course: seeds, gradings, forced runs, submission times."""
        from dlfcourse.state import CourseState  # it reads this module's timestamps: imported when first used

        return CourseState(self)

    def assignments(self) -> list[str]:
        """The assignments of the course: the folders of the source directory that hold a notebook."""
        if not self.source_dir.is_dir():
            return []
        return sorted(p.name for p in self.source_dir.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def source_notebooks(self, assignment: str) -> list[Path]:
        """The source notebooks of ``assignment``; CourseError if it does not exist."""
        notebooks = sorted((self.source_dir / assignment).glob("*.ipynb"))
        if not notebooks:
            known = ", ".join(self.assignments()) or "none"
            raise CourseError(f"no assignment {assignment!r} in {self.source_dir} (known: {known})")
        return notebooks

    def hand_back(self) -> None:
        """When run as root, give everything the commands write to the owner of the course directory.

        So that the instructor's own Jupyter server (formgrader) can still write
        the gradebook after ``sudo dlf-course autograde``.
        """
        owner = self.root.stat()
        if os.geteuid() != 0 or owner.st_uid == 0:
            return
        written = [self.submitted_dir, self.autograded_dir, self.feedback_dir, self.release_dir, self.state_dir]
        files = [p for p in self.root.glob("gradebook.db*")] + list(self.root.glob("grades*.csv")) \
            + list(self.root.glob("report-*.html"))
        for top in written + files:
            for path in [top, *(top.rglob("*") if top.is_dir() else [])]:
                if path.exists() or path.is_symlink():
                    os.lchown(path, owner.st_uid, owner.st_gid)

    def submitted_students(self, assignment: str) -> list[str]:
        """Students with a folder ``submitted/<student>/<assignment>/``."""
        if not self.submitted_dir.is_dir():
            return []
        return sorted(p.name for p in self.submitted_dir.iterdir() if (p / assignment).is_dir())
