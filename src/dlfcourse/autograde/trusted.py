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
"""

from __future__ import annotations

import json
import os
from typing import Any

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades
from traitlets import Integer, Unicode

from dlfcourse.grader import checks
from dlfcourse.grader.notebook import grade_notebook, is_test_cell
from dlfcourse.sandbox.policy import Limits, Policy
from dlfcourse.sandbox.session import TimeLimits
from dlfcourse.grader.verdict import read_verdict

__all__ = ["TrustedExecute", "SaveTrustedGrades", "policy_to_json", "policy_from_json"]


def policy_to_json(policy: Policy | None) -> str:
    """A policy as JSON (for the traitlets configuration); ``null`` means: no sandbox."""
    if policy is None:
        return "null"
    data = {**policy.__dict__, "limits": policy.limits.__dict__, "withheld_kit": list(policy.withheld_kit)}
    return json.dumps(data)


def policy_from_json(text: str) -> Policy | None:
    """The policy :func:`policy_to_json` wrote."""
    data = json.loads(text)
    if data is None:
        return None
    return Policy(**{**data, "limits": Limits(**data["limits"]), "withheld_kit": tuple(data["withheld_kit"])})


class TrustedExecute(NbGraderPreprocessor):
    """Run the submission in the sandbox and grade it with the assignment's hidden checks."""

    source_directory = Unicode("", help="The course's source directory (absolute).").tag(config=True)
    policy = Unicode("null", help="The sandbox policy as JSON (null: run unsandboxed).").tag(config=True)
    base_seed = Integer(0, help="The student's base seed: every item's seed derives from it.").tag(config=True)
    cell_timeout = Integer(60, help="Seconds per code cell.").tag(config=True)
    call_timeout = Integer(60, help="Seconds per call of a student's function.").tag(config=True)
    notebook_timeout = Integer(600, help="Seconds for the whole notebook.").tag(config=True)

    def _source(self, assignment: str, notebook: str) -> Any:
        path = os.path.join(self.source_directory, assignment, f"{notebook}.ipynb")
        return nbformat.read(path, as_version=4) if os.path.isfile(path) else None

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Grade ``nb``: outputs of the code cells from the worker, verdicts in the test cells."""
        info = resources["nbgrader"]
        assignment = info["assignment"]
        assignment_checks = checks.find(assignment)
        policy = policy_from_json(self.policy)
        if policy is not None and assignment_checks is not None:
            policy = Policy(**{**policy.__dict__, "withheld_kit": assignment_checks.withheld_kit})
        limits = TimeLimits(cell=self.cell_timeout, call=self.call_timeout, notebook=self.notebook_timeout)
        workdir = resources.get("metadata", {}).get("path") or os.getcwd()
        run = grade_notebook(nb, self._source(assignment, info["notebook"]), assignment_checks, workdir,
                             policy, limits, self.base_seed)
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

