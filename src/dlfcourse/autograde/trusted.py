"""nbgrader's autograde, with the score decided outside the student's process.

nbgrader stays the course format and the gradebook: its ``Autograde`` converter
still copies the submission, restores locked cells from the source, applies
late penalties and writes the gradebook. Two of its preprocessors are replaced:

* :class:`TrustedExecute` (in place of ``Execute``) runs the notebook in a
  sandboxed worker and grades every item through calls into it
  (:func:`dlfcourse.grader.notebook.grade_notebook`); each test cell ends up
  with the verdict as its output and in its metadata;
* :class:`SaveTrustedGrades` (in place of ``SaveAutoGrades``) takes each test
  cell's score from its verdict. nbgrader's own rule (a cell without an error
  output earns full points) is never applied to a code cell.

The grading settings reach :class:`TrustedExecute` through nbgrader's configuration, as the
JSON of :class:`~dlfcourse.settings.GradingSettings` (nbgrader's configuration holds plain
values), with the two facts of this task: the student's base seed and the sandbox uid claimed.
"""

from __future__ import annotations

import os
from typing import Any

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades
from traitlets import Integer, Unicode

from dlfcourse.grader import checks
from dlfcourse.grader.notebook import grade_notebook, is_test_cell
from dlfcourse.grader.verdict import read_verdict
from dlfcourse.settings import GradingSettings

__all__ = ["TrustedExecute", "SaveTrustedGrades"]


class TrustedExecute(NbGraderPreprocessor):
    """Run the submission in the sandbox and grade it with the assignment's hidden checks."""

    source_directory = Unicode("", help="The course's source directory (absolute).").tag(config=True)
    settings = Unicode(GradingSettings().to_json(), help="The GradingSettings of the run, as JSON.").tag(config=True)
    base_seed = Integer(0, help="The student's base seed: every item's seed derives from it.").tag(config=True)
    uid = Integer(None, allow_none=True, help="The sandbox's uid (as root); None: the grader's.").tag(config=True)

    def _source(self, assignment: str, notebook: str) -> Any:
        path = os.path.join(self.source_directory, assignment, f"{notebook}.ipynb")
        return nbformat.read(path, as_version=4) if os.path.isfile(path) else None

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Grade ``nb``: outputs of the code cells from the worker, verdicts in the test cells."""
        info = resources["nbgrader"]
        assignment = info["assignment"]
        workdir = resources.get("metadata", {}).get("path") or os.getcwd()
        run = grade_notebook(nb, self._source(assignment, info["notebook"]), checks.find(assignment), workdir,
                             GradingSettings.from_json(self.settings), self.base_seed, self.uid)
        if run.restored:
            self.log.warning("%s: put back the deleted or unmarked test cells %s", info["student"],
                             ", ".join(run.restored))
        if run.dropped:
            self.log.warning("%s: %s", info["student"], run.dropped)
        resources.setdefault("dlfcourse", {})[info["notebook"]] = {
            grade_id: verdict.as_dict() for grade_id, verdict in run.verdicts.items()}
        return nb, resources


class SaveTrustedGrades(SaveAutoGrades):
    """nbgrader's gradebook writer, with each test cell's score taken from its verdict."""

    def _add_score(self, cell: Any, resources: dict[str, Any]) -> None:
        if not is_test_cell(cell):
            super()._add_score(cell, resources)
            return
        grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], self.notebook_id,
                                          self.assignment_id, self.student_id)
        verdict = read_verdict(cell)
        grade.auto_score = None if verdict is None or verdict.code == "grader-error" else verdict.points
        grade.needs_manual_grade = grade.auto_score is None or grade.manual_score is not None
        self.gradebook.db.commit()

