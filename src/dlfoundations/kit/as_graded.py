"""Check an exercise notebook as it will be graded, for its visible tests: ``python -m dlfoundations.kit.as_graded``.

    python -m dlfoundations.kit.as_graded 04-softmax.ipynb

runs the notebook as the grader will: in a fresh kernel in the notebook's folder, every cell from the
top in order, at most :data:`CELL_SECONDS` per cell and :data:`NOTEBOOK_SECONDS` in all, *without the
reference implementation* (``dlfoundations.losses``, ``.layers``, ...: when graded only numpy,
matplotlib and ``dlfoundations.kit`` are there; an assignment may also withhold a kit module, named in
the notebook's metadata). It prints, for every graded item, whether its visible tests passed, by the
item's heading and its functions, and every cell that stopped at an import of what is absent.

Your file is not changed. It needs ``nbclient`` and ``ipykernel``, which JupyterLab brings; nbgrader is
not needed. The visible tests decide nothing (hidden checks call your functions on fresh inputs), but a
notebook whose visible tests fail here will lose points. Exit status: 0 when every visible test passed,
1 when one failed, 2 when the notebook could not be checked.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlfoundations.kit.absent import KERNEL_SETUP, module_in_message

__all__ = ["CELL_SECONDS", "NOTEBOOK_SECONDS", "Item", "Report", "check_notebook", "main"]

#: The grader's time limit per code cell (the course's nbgrader_config.py, ``ExecutePreprocessor.timeout``).
CELL_SECONDS = 60
#: The grader's time limit for a whole notebook (``dlf-course autograde --notebook-timeout``).
NOTEBOOK_SECONDS = 600

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)
_POINTS = re.compile(r"\s*\(\d+(?:\.\d+)?\s*points?\)\s*$", re.IGNORECASE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FRAME = re.compile(r"Cell In\[(?P<count>\d+)\], line (?P<line>\d+)(?:, in (?P<function>[\w.]+))?")
_STUB = "YOUR ANSWER HERE"


@dataclass
class Item:
    """A graded item: its heading, its functions, and what its test cell (or written answer) gave."""

    title: str
    functions: list[str]
    passed: bool | None = None  # None: a written answer (graded by hand)
    problem: str = ""


@dataclass
class Report:
    """What checking one notebook found."""

    items: list[Item] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # cells that stopped at an import of what is absent
    stopped: list[str] = field(default_factory=list)  # cells stopped by a time limit
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every visible test passed, and no cell stopped at an absent import or a time limit."""
        return all(item.passed is not False for item in self.items) and not self.absent and not self.stopped

    def lines(self) -> list[str]:
        """The report, one line per item or problem."""
        out = []
        for item in self.items:
            names = f" ({', '.join(f'`{f}`' for f in item.functions)})" if item.functions else ""
            mark = "ok  " if item.passed else "note" if item.passed is None else "FAIL"
            result = "visible tests passed" if item.passed else item.problem
            out.append(f"{mark} {item.title}{names}: {result}")
        out += [f"FAIL {line}" for line in self.absent + self.stopped]
        tested = [i for i in self.items if i.passed is not None]
        out.append(f"{sum(bool(i.passed) for i in tested)} of {len(tested)} item(s) pass their visible tests "
                   f"({self.seconds:.0f} s).")
        return out


def _title(text: str) -> str:
    """A heading as plain words (a heading with TeX in it: up to its colon, "Written question A")."""
    title = re.sub(r"\*\*|__|[*`$]", "", _POINTS.sub("", text.strip())).strip()
    return title.split(":")[0] if "\\" in title else title


def _meta(cell: Any) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _tree(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return ast.Module(body=[], type_ignores=[])


def _bound(source: str, every: bool = True) -> list[str]:
    """The names a cell binds at its top level: every one, or (``every=False``) the functions and classes it
    defines and the names it imports from a module."""
    names = []
    for node in _tree(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.ImportFrom) or (every and isinstance(node, ast.Import)):
            names += [(alias.asname or alias.name).split(".")[0] for alias in node.names]
        elif every and isinstance(node, ast.Assign):
            names += [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return names


def _used(source: str) -> set[str]:
    return {node.id for node in ast.walk(_tree(source)) if isinstance(node, ast.Name)}


def _layout(nb: Any) -> tuple[dict[int, str], dict[int, list[str]]]:
    """cell index -> its heading, and test-cell index -> the functions its answer cells define."""
    headings: dict[int, str] = {}
    functions: dict[int, list[str]] = {}
    heading, pending = "", []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and not _meta(cell).get("grade"):
            found = _HEADING.findall(cell.source)
            heading = _title(found[-1]) if found else heading
        headings[index] = heading
        if cell.cell_type == "code" and _meta(cell).get("solution"):
            pending += _bound(cell.source, every=False)
        elif cell.cell_type == "code" and _meta(cell).get("grade"):
            functions[index], pending = [name for name in pending if name in _used(cell.source)], []
    return headings, functions


def _label(nb: Any, index: int, headings: dict[int, str]) -> str:
    meta = _meta(nb.cells[index])
    what = "your answer to" if meta.get("solution") else "the test cell of" if meta.get("grade") else "a cell under"
    return f"{what} *{headings.get(index) or 'the top of the notebook'}*"


def _where(error: Any, nb: Any, counts: dict[int, int], headings: dict[int, str]) -> str:
    """ "in your answer to *T* (`f`), line 3": the innermost frame of the error in a notebook cell, or ""."""
    text = _ANSI.sub("", "\n".join(error.get("traceback") or []))
    frames = [frame for frame in _FRAME.finditer(text) if int(frame["count"]) in counts]
    if not frames:
        return ""
    frame = frames[-1]
    function = f" (`{frame['function']}`)" if frame["function"] and frame["function"].isidentifier() else ""
    return f"in {_label(nb, counts[int(frame['count'])], headings)}{function}, line {frame['line']}"


def _absent(module: str) -> str:
    if module.startswith("dlfoundations.kit"):
        return "which this assignment leaves out when it is graded"
    return "which is not available when graded (only numpy, matplotlib and `dlfoundations.kit` are)"


def _absent_module(error: Any, withheld: list[str]) -> str | None:
    if error.get("ename") not in ("ImportError", "ModuleNotFoundError"):
        return None
    module = module_in_message(str(error.get("evalue", "")))
    named = re.search(r"No module named '(?P<m>[\w.]+)'", str(error.get("evalue", "")))
    return module or (named["m"] if named and named["m"] in withheld else None)


@dataclass
class _Run:
    """What running the cells left: execution count -> cell index, cell index -> error output, and
    name -> the absent module its cell imports (for names left undefined by that import)."""

    counts: dict[int, int] = field(default_factory=dict)
    errors: dict[int, Any] = field(default_factory=dict)
    undefined: dict[str, str] = field(default_factory=dict)


def check_notebook(path: str | Path, cell_seconds: float = CELL_SECONDS,
                   notebook_seconds: float = NOTEBOOK_SECONDS) -> Report:
    """Run the notebook at ``path`` as it will be graded (see the module docstring) and report on its items."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]  # nbformat has no annotations
    withheld = [f"dlfoundations.kit.{m}" for m in nb.metadata.get("dlfoundations", {}).get("withheld_kit", [])]
    headings, functions = _layout(nb)
    client = NotebookClient(nb, timeout=int(cell_seconds), kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, resources={"metadata": {"path": str(path.parent.resolve())}})
    report, run = Report(), _Run()
    started = time.monotonic()
    with client.setup_kernel():
        setup = nbformat.v4.new_code_cell(KERNEL_SETUP.replace("WITHHELD", repr(withheld)))  # type: ignore[no-untyped-call]
        nb.cells.insert(0, setup)
        client.execute_cell(nb.cells[0], 0)  # nbclient writes a cell back at its index: run it in place, then
        nb.cells.pop(0)  # take it out again
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if time.monotonic() - started > notebook_seconds:
                report.stopped.append(f"{_label(nb, index, headings)} did not run: the notebook's time limit of "
                                      f"{notebook_seconds:g} s was reached.")
                run.errors[index] = {"ename": "NotRun", "evalue": "the notebook's time limit was reached"}
                continue
            _run_cell(client, nb, index, headings, withheld, cell_seconds, report, run)
    report.seconds = time.monotonic() - started
    report.items = [_item(nb, index, headings, functions, run) for index, cell in enumerate(nb.cells)
                    if _meta(cell).get("grade")]
    return report


def _run_cell(client: Any, nb: Any, index: int, headings: dict[int, str], withheld: list[str],
              cell_seconds: float, report: Report, run: _Run) -> None:
    """Run code cell ``index``; record its error, a stop at the time limit and an import of an absent module."""
    cell = nb.cells[index]
    began = time.monotonic()
    client.execute_cell(cell, index)
    run.counts[cell.execution_count] = index
    error = next((o for o in cell.outputs if o.output_type == "error"), None)
    if error is None:
        return
    run.errors[index] = error
    if time.monotonic() - began >= cell_seconds - 0.5:
        report.stopped.append(f"{_label(nb, index, headings)} was stopped after {cell_seconds:g} s, the time "
                              "limit per cell when graded.")
    module = _absent_module(error, withheld)
    if module is None:
        return
    run.undefined.update({name: module for name in _bound(cell.source)})
    if not _meta(cell).get("grade"):
        where = _where(error, nb, run.counts, headings) or f"in {_label(nb, index, headings)}"
        report.absent.append(f"{where}: your notebook imports `{module}`, {_absent(module)}: write that code "
                             "yourself.")


def _item(nb: Any, index: int, headings: dict[int, str], functions: dict[int, list[str]], run: _Run) -> Item:
    """The verdict on graded cell ``index``: a written answer (graded by hand), a failure, or a pass."""
    cell = nb.cells[index]
    item = Item(headings.get(index) or _meta(cell).get("grade_id", "?"), functions.get(index, []))
    if cell.cell_type == "markdown":
        item.passed, item.problem = None, "written answer, graded by hand" + (
            ": still empty" if _STUB in cell.source else "")
        return item
    error = run.errors.get(index)
    if error is None:
        item.passed = True
        return item
    item.passed = False
    where = _where(error, nb, run.counts, headings)
    item.problem = f"{error.get('ename')}: {str(error.get('evalue', ''))[:500]}" + (where and f" ({where})")
    unknown = re.search(r"name '(?P<name>\w+)' is not defined", str(error.get("evalue", "")))
    if unknown is not None and unknown["name"] in run.undefined:
        module = run.undefined[unknown["name"]]
        item.problem += f"; `{unknown['name']}` is not defined because its cell imports `{module}`, {_absent(module)}"
    return item


def main(argv: list[str] | None = None) -> int:
    """The command line: check each notebook given, print the report; the exit status says if all passed."""
    parser = argparse.ArgumentParser(prog="python -m dlfoundations.kit.as_graded", description=(
        "Run an exercise notebook as it will be graded (a fresh kernel, every cell in order, the grader's time "
        "limits, without the reference implementation) and report each item's visible tests."))
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="the .ipynb file(s) to check")
    parser.add_argument("--cell-timeout", type=float, default=CELL_SECONDS,
                        help="seconds per cell (default: %(default)s)")
    parser.add_argument("--notebook-timeout", type=float, default=NOTEBOOK_SECONDS,
                        help="seconds for the whole notebook (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        import nbclient  # noqa: F401
    except ImportError:
        print("checking needs nbclient and ipykernel, which JupyterLab brings: pip install jupyterlab",
              file=sys.stderr)
        return 2
    ok = True
    for name in args.notebooks:
        if not Path(name).is_file():
            print(f"{name}: no such file", file=sys.stderr)
            return 2
        print(f"Checking {name} as it will be graded: every cell from the top, at most {args.cell_timeout:g} s each "
              f"and {args.notebook_timeout:g} s in all, without the reference implementation.", flush=True)
        try:
            report = check_notebook(name, args.cell_timeout, args.notebook_timeout)
        except Exception as error:  # noqa: BLE001 - not a notebook, no kernel: say so in one line
            print(f"{name} could not be checked: {type(error).__name__}: {error}", file=sys.stderr)
            return 2
        print("\n".join(report.lines()))
        ok = ok and report.ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
