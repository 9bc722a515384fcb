"""Item titles: the markdown heading above each graded cell of an assignment's source notebook.

``## 3. Cross-entropy from logits, and its gradient (3 points)`` above the test cell
``ce-test`` makes its title ``3. Cross-entropy from logits, and its gradient``; an
item with no heading above it keeps its grade id.
"""

from __future__ import annotations

import re

import nbformat

from dlfcourse.course import Course

__all__ = ["notebook_titles", "item_titles", "plain"]

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)
_POINTS = re.compile(r"\s*\((?:\d+(?:\.\d+)?\s*points?|\d+(?:\.\d+)?\s*pts?)\)\s*$", re.IGNORECASE)


def plain(title: str, math: bool = True) -> str:
    """A heading without its markdown emphasis and its "(N points)" suffix.

    Inline math is kept as ``$...$`` (for pages with MathJax), or with ``math=False``
    as its bare TeX text.
    """
    title = _POINTS.sub("", title.strip())
    parts = re.split(r"(\$[^$]+\$)", title)
    cleaned = [(p if math else p[1:-1]) if p.startswith("$") and p.endswith("$") and len(p) > 1
               else re.sub(r"\*\*|__|[*`]|(?<!\w)_|_(?!\w)", "", p) for p in parts]
    return "".join(cleaned).strip()


def notebook_titles(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> title for every graded cell and answer cell of ``notebook`` (see the module docstring)."""
    titles: dict[str, str] = {}
    current = ""
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown" and not meta.get("grade"):
            headings = _HEADING.findall(cell.source)
            if headings:
                current = plain(headings[-1])
        if (meta.get("grade") or meta.get("solution")) and meta.get("grade_id"):
            titles[meta["grade_id"]] = current or meta["grade_id"]
    return titles


def item_titles(course: Course, assignment: str) -> dict[tuple[str, str], str]:
    """(notebook name, grade_id) -> title for every graded cell of ``assignment``'s source notebooks."""
    titles = {}
    for path in course.source_notebooks(assignment):
        for grade_id, title in notebook_titles(nbformat.read(path, as_version=4)).items():
            titles[(path.stem, grade_id)] = title
    return titles
