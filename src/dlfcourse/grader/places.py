"""Where in the notebook, in the student's words: the trusted side's names for the cells the worker numbers.

The sandboxed worker knows nothing of the course: it names a cell by its index
(``<cell 14>``) in the traceback lines it sends back (``cell 14, line 3, in
cross_entropy: return z[10]``). A student never sees cell numbers. Here, on the
trusted side, which has the notebook and its source, :class:`Places` turns such
a line into ``in your answer to *3. Cross-entropy from logits* (`cross_entropy`),
line 3: return z[10]``: the item (the heading above the answer cell, taken from
the source notebook by grade id) and the function.

It also knows which of the notebook's cells stopped at an import of the
reference implementation (``dlfoundations.losses`` and every module outside the
kit, absent when graded), and which names those cells therefore never defined:
"`cross_entropy` is not defined" then says why.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nbformat import NotebookNode

from dlfoundations.kit.absent import module_in_message, reference_module
from dlfcourse.grader.boundary import clipped
from dlfcourse.sandbox.session import CellRun

__all__ = ["Places", "notebook_places", "AbsentImport"]

_LINE = re.compile(r"^\s*cell (?P<cell>\d+), line (?P<line>\d+), in (?P<function>[^:]*?): ?(?P<code>.*)$", re.S)
_DOING = re.compile(r"\b(?P<doing>running|replaying) cell (?P<cell>\d+)\b")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)
_POINTS = re.compile(r"\s*\((?:\d+(?:\.\d+)?\s*points?|\d+(?:\.\d+)?\s*pts?)\)\s*$", re.IGNORECASE)
_IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError")
_NOT_DEFINED = re.compile(r"name '(?P<name>\w+)' is not defined")
_ABSENT = "not available when graded (only numpy, matplotlib and the kit `dlfoundations.kit` are)"


def _title(heading: str) -> str:
    """A heading as plain words: no "(N points)", no markdown emphasis, inline math as its bare TeX."""
    text = _POINTS.sub("", heading.strip())
    return re.sub(r"\*\*|__|[*`$]", "", text).strip()


def _grade_id(cell: Any) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
    return meta.get("grade_id") if meta.get("solution") or meta.get("grade") else None


def _titles(notebook: NotebookNode | None) -> dict[str, str]:
    """grade id -> the heading above its cell."""
    titles: dict[str, str] = {}
    current = ""
    for cell in notebook.cells if notebook is not None else []:
        if cell.cell_type == "markdown" and not _grade_id(cell):
            headings = _HEADING.findall(cell.source)
            current = _title(headings[-1]) if headings else current
        grade_id = _grade_id(cell)
        if grade_id and current:
            titles[grade_id] = current
    return titles


def _labels(nb: NotebookNode, source: NotebookNode | None) -> dict[int, str]:
    """cell index -> how the student knows that cell: "your answer to *T*", or "a code cell under *T*"."""
    trusted = _titles(source)
    labels: dict[int, str] = {}
    heading = ""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and not _grade_id(cell):
            headings = _HEADING.findall(cell.source)
            heading = _title(headings[-1]) if headings else heading
        if cell.cell_type != "code":
            continue
        grade_id = _grade_id(cell)
        title = clipped(trusted.get(grade_id or "") or heading, 120)
        graded = (cell.get("metadata", {}).get("nbgrader", {}) or {}).get("grade")
        if grade_id and title:
            labels[index] = f"the test cell of *{title}*" if graded else f"your answer to *{title}*"
        elif title:
            labels[index] = f"a code cell under *{title}*"
        else:
            labels[index] = "a code cell at the top of the notebook"
    return labels


@dataclass(frozen=True)
class AbsentImport:
    """A cell stopped at an import of the reference ``module``: ``names`` it never defined, and whether the
    import itself was to define each (``True``) or a later line of the cell (``False``)."""

    cell: int
    module: str
    names: Mapping[str, bool]


@dataclass(frozen=True)
class Places:
    """Cell index -> label, and the cells that stopped at an import of the reference."""

    labels: Mapping[int, str] = field(default_factory=dict)
    absent: tuple[AbsentImport, ...] = ()

    def line(self, text: Any) -> str:
        """A worker's traceback line with the cell named by item and function (any other text as it is)."""
        text = clipped(text, 500)
        found = _LINE.match(text)
        if found is None or int(found["cell"]) not in self.labels:
            return text
        function = found["function"].strip()
        named = f" (`{function}`)" if function.isidentifier() else ""
        code = found["code"].strip()
        return f"in {self.labels[int(found['cell'])]}{named}, line {found['line']}" + (f": {code}" if code else "")

    def text(self, text: str) -> str:
        """A message of the grader's own ("... while replaying cell 14") with the cell named."""
        return _DOING.sub(lambda m: f"{m['doing']} {self.labels.get(int(m['cell']), 'cell ' + m['cell'])}", text)

    def error(self, error: Mapping[str, Any]) -> dict[str, Any]:
        """A worker's error record with its traceback lines named by item and function."""
        traceback = error.get("traceback")
        lines = traceback if isinstance(traceback, list) else []
        return {**error, "traceback": [self.line(line) for line in lines]}

    def missing(self, name: str) -> str | None:
        """Why ``name`` is not defined, when a cell stopped at an import of the reference before defining it."""
        for stop in self.absent:
            if name in stop.names and stop.names[name]:
                return f"your notebook imports it from `{stop.module}`, which is {_ABSENT}: write it yourself."
            if name in stop.names:
                where = self.labels.get(stop.cell, "a cell")
                return (f"the cell that defines it ({where}) stops at its import of `{stop.module}`, which is "
                        f"{_ABSENT}: write it without the reference.")
        return None

    def raised(self, name: str, error: Mapping[str, Any]) -> str | None:
        """A sentence for an error ``name`` raised because the reference is absent (an import inside the
        function, or a name a failed import left undefined), else None."""
        ename, evalue = str(error.get("ename", "")), str(error.get("evalue", ""))
        module = module_in_message(evalue) if ename in _IMPORT_ERRORS else None
        if module is not None:
            return f"`{module}` is {_ABSENT}: write `{name}` yourself, without it."
        unknown = _NOT_DEFINED.search(evalue) if ename == "NameError" else None
        if unknown is None:
            return None
        for stop in self.absent:
            if stop.names.get(unknown["name"]):
                return (f"`{unknown['name']}` comes from `{stop.module}`, which is {_ABSENT}: write `{name}` "
                        "yourself, without it.")
            if unknown["name"] in stop.names:
                return (f"`{unknown['name']}` was never defined: its cell ({self.labels.get(stop.cell, 'a cell')}) "
                        f"stops at an import of `{stop.module}`, which is {_ABSENT}.")
        return None


def _imported_modules(statement: ast.stmt) -> list[str]:
    """The reference modules an import statement imports."""
    if isinstance(statement, ast.Import):
        modules = [alias.name for alias in statement.names]
    elif isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module:
        modules = [statement.module] + [f"{statement.module}.{alias.name}" for alias in statement.names]
    else:
        return []
    return [m for m in (reference_module(m) for m in modules) if m]


def _bound(statement: ast.stmt) -> list[str]:
    """The names a top-level statement binds (definitions, assignments, imports)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in statement.names]
    targets = statement.targets if isinstance(statement, ast.Assign) else \
        [statement.target] if isinstance(statement, (ast.AnnAssign, ast.AugAssign)) else []
    return [node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)]


def _failed_line(error: Mapping[str, Any], index: int) -> int | None:
    """The line of cell ``index`` at its top level where the error happened, from the worker's traceback."""
    traceback = error.get("traceback")
    lines = traceback if isinstance(traceback, list) else []
    for text in reversed(lines):
        found = _LINE.match(clipped(text, 500))
        if found is not None and int(found["cell"]) == index and found["function"].strip() == "<module>":
            return int(found["line"])
    return None


def _absent_import(index: int, source: str, error: Mapping[str, Any],
                   undefined: Mapping[str, str]) -> AbsentImport | None:
    """The reference import cell ``index`` stopped at, if it did: an import of it, or a name one left undefined."""
    try:
        statements = ast.parse(source).body
    except (SyntaxError, ValueError):
        return None
    line = _failed_line(error, index)
    ename, evalue = str(error.get("ename", "")), str(error.get("evalue", ""))
    unknown = _NOT_DEFINED.search(evalue) if ename == "NameError" else None
    for position, statement in enumerate(statements):
        inside = line is not None and statement.lineno <= line <= (statement.end_lineno or statement.lineno)
        if ename in _IMPORT_ERRORS and _imported_modules(statement) and (inside or line is None):
            module = _imported_modules(statement)[0]
        elif unknown is not None and unknown["name"] in undefined and inside:
            module = undefined[unknown["name"]]
        else:
            continue
        names = {name: position_ == position for position_, later in enumerate(statements[position:], position)
                 for name in _bound(later)}
        return AbsentImport(index, module, names)
    return None


def notebook_places(nb: NotebookNode, source: NotebookNode | None, runs: Iterable[CellRun] = ()) -> Places:
    """The places of ``nb`` (the titles from ``source`` when given) and the cells of ``runs`` that stopped at
    an import of the reference."""
    absent: list[AbsentImport] = []
    undefined: dict[str, str] = {}
    for run in runs:
        if not run.error or not 0 <= run.index < len(nb.cells):
            continue
        stop = _absent_import(run.index, nb.cells[run.index].source, run.error, undefined)
        if stop is not None:
            absent.append(stop)
            undefined.update({name: stop.module for name in stop.names})
    return Places(_labels(nb, source), tuple(absent))
