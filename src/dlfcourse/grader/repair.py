"""A submitted notebook made safe for nbgrader: its grading metadata rebuilt from the source, each repair noted.

nbgrader trusts the metadata of the notebook it grades: a test cell re-marked as a
solution cell worth 100 points, a graded cell duplicated, an unknown schema version
or a damaged notebook header makes it fail the student's whole grading. Everything
in a submitted file is the student's data, so before nbgrader sees it:

* :func:`load_submission` reads the file's JSON leniently into a clean nbformat 4.5
  notebook (odd format versions, cells that are not cells, damaged cell metadata);
* :func:`repair_metadata` rebuilds the nbgrader metadata of every locked and graded
  cell from the source notebook (cells recognised by cell id, else by grade id):
  a second copy of a cell is removed (locked cells: nbgrader restores them from the
  source anyway) or kept as ordinary code or text (answer cells: the student's own
  words stay); a cell marked as graded that the source does not have becomes an
  ordinary cell; the notebook's own metadata is the source's; cell ids are unique.

Each repair is one short sentence (a *note*) for the student's feedback and the
instructor's log; :func:`store_notes` keeps them in the notebook's metadata and
:func:`read_notes` reads them back. Answer cells keep the student's source; the
sources of locked cells are nbgrader's business (it restores them).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.corpus.words import generate_corpus_id
from nbformat.v4.nbbase import validate as validate_v4
from nbformat.validator import isvalid

from dlfcourse.grader.verdict import METADATA_KEY

__all__ = ["NOTES_KEY", "load_submission", "repair_metadata", "summarise", "store_notes", "read_notes"]

#: Where the notes are kept: ``nb.metadata["dlfcourse"]["repairs"]`` (a list of sentences).
NOTES_KEY = "repairs"
_KINDS = ("code", "markdown", "raw")
_CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_FLAGS = ("grade", "solution", "locked", "task")
#: Keys that nbgrader itself adds to the released notebook: not a student's change.
_RELEASE_KEYS = ("checksum", "cell_type")
_NAME_LIMIT = 40


# --- reading the file ------------------------------------------------------------------------------------

def load_submission(text: str) -> tuple[NotebookNode, list[str]]:
    """The notebook in ``text`` as a clean nbformat 4.5 notebook, and a note for each damage found.

    Raises ValueError when ``text`` is not a notebook at all (not JSON, or no list of cells).
    """
    data = _notebook_data(text)
    version = (data.get("nbformat"), data.get("nbformat_minor"))
    notes = [] if version in {(4, minor) for minor in range(6)} else [
        f"The notebook declared the format version {_shown(version[0])}.{_shown(version[1])}; it was read as "
        "version 4.5."]
    numbered = []
    for number, raw in enumerate(data["cells"], start=1):
        cell, damage = _clean_cell(raw, number)
        notes += damage
        if cell is not None:
            numbered.append((number, cell))
    notes += _clear_invalid(numbered)
    metadata = data.get("metadata")
    nb = NotebookNode(nbformat=4, nbformat_minor=5, cells=[cell for _, cell in numbered],
                      metadata=nbformat.from_dict(copy.deepcopy(metadata)) if isinstance(metadata, dict) else metadata)
    return nb, notes


def _notebook_data(text: str) -> dict[str, Any]:
    """The file's JSON as a dict with a list of cells (an nbformat 3 file converted first); ValueError if none."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ValueError(f"the file is not JSON: {error}") from None
    if isinstance(data, dict) and "worksheets" in data and "cells" not in data:
        try:
            data = json.loads(json.dumps(nbformat.reads(text, as_version=4)))
        except Exception as error:  # noqa: BLE001 - nbformat's converter raises what it meets
            raise ValueError(f"the file is an old notebook that cannot be converted: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ValueError("the file is not a notebook: it has no list of cells")
    return data


def _text(source: Any) -> str | None:
    """A cell's source as one string (nbformat also allows a list of lines); None if it is neither."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return None


def _clean_cell(raw: Any, number: int) -> tuple[NotebookNode | None, list[str]]:
    """One cell rebuilt from the file's data (outputs dropped: the grader makes its own), and notes."""
    if not isinstance(raw, dict):
        return None, [f"Cell {number} was not a notebook cell and was left out."]
    notes = []
    kind = raw.get("cell_type")
    if kind not in _KINDS:
        notes.append(f"Cell {number} had the unknown type {_shown(kind)} and was kept as a raw cell.")
        kind = "raw"
    source = _text(raw.get("source", ""))
    if source is None:
        notes.append(f"Cell {number} had no readable text and was left empty.")
    metadata = raw.get("metadata", {})
    if not isinstance(metadata, dict):
        notes.append(f"Cell {number} had damaged metadata or attachments, which were cleared.")
    cell = _new_cell(kind, source or "", copy.deepcopy(metadata) if isinstance(metadata, dict) else {})
    if "id" in raw:  # else the new id stands (files older than nbformat 4.5 have none)
        cell.id = raw["id"] if isinstance(raw["id"], str) else ""  # checked by _unique_ids
    if kind != "code" and isinstance(raw.get("attachments"), dict):
        cell.attachments = nbformat.from_dict(copy.deepcopy(raw["attachments"]))
    return cell, notes


def _new_cell(kind: str, source: str, metadata: dict[str, Any]) -> NotebookNode:
    """A cell of ``kind`` with a new id, not validated yet (nbformat's own constructors validate each one)."""
    cell = {"cell_type": kind, "id": generate_corpus_id(), "metadata": metadata, "source": source}
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    return nbformat.from_dict(cell)


def _clear_invalid(numbered: list[tuple[int, NotebookNode]]) -> list[str]:
    """Clear the metadata (but nbgrader's, checked later) and attachments of each cell that is not valid
    nbformat 4.5; a note for each. The cells are checked all at once first: one check for a sound file."""
    if isvalid({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell for _, cell in numbered]}):
        return []
    notes = []
    for number, cell in numbered:
        if not _valid_cell(cell):
            nbgrader_meta = cell.metadata.get("nbgrader")
            cell.metadata = NotebookNode({} if nbgrader_meta is None else {"nbgrader": nbgrader_meta})
            cell.pop("attachments", None)
            notes.append(f"Cell {number} had damaged metadata or attachments, which were cleared.")
    return notes


def _valid_cell(cell: NotebookNode) -> bool:
    """True when the cell (its id aside: :func:`_unique_ids` sees to it) is a valid nbformat 4.5 cell."""
    probe = NotebookNode({**cell, "id": "probe"})  # shallow: the source is not copied
    try:
        validate_v4(probe, f"{cell.cell_type}_cell")
    except nbformat.ValidationError:
        return False
    return True


def _shown(value: Any) -> str:
    """A value the student wrote, short enough for a one-line note, printable (no terminal escapes) and without
    backticks (the notes quote names in them)."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = text if len(text) <= _NAME_LIMIT else text[:_NAME_LIMIT] + "…"
    return "".join(c if c.isprintable() and c != "`" else "?" for c in text)


# --- the grading metadata --------------------------------------------------------------------------------

def _nbgrader(cell: Any) -> Any:
    """The cell's nbgrader metadata as written (any type), or None if it has none."""
    metadata = cell.get("metadata")
    return metadata.get("nbgrader") if isinstance(metadata, dict) else None


def _grade_id(cell: Any) -> str | None:
    """The grade id the cell's nbgrader metadata claims, if it is a non-empty string."""
    meta = _nbgrader(cell)
    grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
    return grade_id if isinstance(grade_id, str) and grade_id else None


def _claims_grading(meta: Any) -> bool:
    """True when metadata a cell carries asks for anything of nbgrader (or cannot be read)."""
    return meta is not None and (not isinstance(meta, dict) or any(meta.get(flag) for flag in _FLAGS))


def _is_locked(meta: dict) -> bool:
    """nbgrader's rule: a solution cell is never locked, a grade cell always, others as marked."""
    return not meta.get("solution") and bool(meta.get("grade") or meta.get("locked") or meta.get("task"))


def _is_test(meta: dict) -> bool:
    """A test cell: graded, and not an answer."""
    return bool(meta.get("grade")) and not meta.get("solution")


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values, with types (``True`` is not ``1``; ``2`` and ``2.0`` are the same number)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _changed_keys(meta: dict, wanted: dict) -> list[str]:
    """The nbgrader keys whose values differ from the source's (release-only keys ignored)."""
    keys = (set(meta) | set(wanted)) - set(_RELEASE_KEYS)
    return sorted(k for k in keys if k not in meta or k not in wanted or not _same(meta[k], wanted[k]))


class _Source:
    """The source notebook's nbgrader cells, by grade id and by cell id."""

    def __init__(self, source: NotebookNode) -> None:
        self.cells = {_grade_id(c): c for c in source.cells if isinstance(_nbgrader(c), dict) and _grade_id(c)}
        self.by_cell_id = {c.get("id"): g for g, c in self.cells.items() if c.get("id")}

    def identify(self, cell: Any) -> str | None:
        """The source cell ``cell`` stands for: by its cell id, else by the grade id it claims."""
        by_id = self.by_cell_id.get(cell.get("id"))
        if by_id is not None:
            return by_id
        claimed = _grade_id(cell)
        return claimed if claimed in self.cells else None


def repair_metadata(nb: NotebookNode, source: NotebookNode) -> list[str]:
    """Rebuild ``nb``'s grading metadata from ``source`` in place; return a note for each repair.

    After it, every cell with nbgrader metadata is a cell of the source, once, with the source's
    metadata and cell type; the notebook's metadata is the source's; cell ids are unique.
    """
    notes = _repair_notebook_metadata(nb, source)
    index, seen, kept, lost = _Source(source), set(), [], []
    for cell in nb.cells:
        grade_id = index.identify(cell)
        if grade_id is None:
            notes += _demote_unknown(cell)
            kept.append(cell)
        elif grade_id in seen:
            note, keep = _second_copy(cell, index.cells[grade_id], grade_id)
            notes.append(note)
            kept += [cell] if keep else []
        else:
            seen.add(grade_id)
            lost += [grade_id] if _nbgrader(cell) is None else []
            notes += _rebuild(cell, index.cells[grade_id], grade_id)
            kept.append(cell)
    nb.cells = kept
    notes += _lost_note(lost) + _unique_ids(nb)
    nb.nbformat, nb.nbformat_minor = 4, 5
    return notes


def _repair_notebook_metadata(nb: NotebookNode, source: NotebookNode) -> list[str]:
    """Give ``nb`` the source's notebook metadata (kernel, language); a note if the student's was damaged."""
    theirs = nb.get("metadata")
    probe: dict[str, Any] = {"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": theirs}
    damaged = not isinstance(theirs, dict) or not isvalid(probe)
    nb.metadata = copy.deepcopy(source.metadata)
    nb.metadata.pop(METADATA_KEY, None)
    return ["The notebook's own metadata was damaged; the assignment's was used."] if damaged else []


def _demote_unknown(cell: NotebookNode) -> list[str]:
    """A cell that is no cell of the source loses any nbgrader metadata: it is ordinary code or text."""
    meta, name = _nbgrader(cell), _grade_id(cell)
    if meta is None:
        return []
    cell.metadata.pop("nbgrader")
    if not _claims_grading(meta):
        return []
    what = "ordinary code" if cell.cell_type == "code" else "ordinary text"
    if name is None:
        return [f"A cell carried damaged grading settings that match no cell of the assignment; it was kept "
                f"as {what} and not graded."]
    return [f"The cell marked as graded cell `{_shown(name)}` is not part of the assignment; it was kept as "
            f"{what} and not graded."]


def _second_copy(cell: NotebookNode, original: NotebookNode, grade_id: str) -> tuple[str, bool]:
    """(note, keep it) for a second copy of a source cell: locked copies go, answers stay as ordinary cells."""
    meta = original.metadata.nbgrader
    if _is_locked(meta):
        kind = "test cell" if _is_test(meta) else "locked cell"
        return f"A second copy of the {kind} `{grade_id}` was removed; only the first copy is graded.", False
    cell.metadata.pop("nbgrader", None)
    what = "run as ordinary code" if cell.cell_type == "code" else "kept as ordinary text"
    return (f"A second copy of the answer cell `{grade_id}` was found and {what}; only the first copy is "
            "graded as the answer."), True


def _rebuild(cell: NotebookNode, original: NotebookNode, grade_id: str) -> list[str]:
    """Give ``cell`` the source cell's nbgrader metadata and type; notes for what the student had changed.

    (Metadata lost altogether is noted once for all such cells: :func:`_lost_note`.)
    """
    meta, wanted = _nbgrader(cell), copy.deepcopy(original.metadata.nbgrader)
    notes = []
    changed = _changed_keys(meta, wanted) if isinstance(meta, dict) else []
    if changed:
        notes.append(f"The grading settings of the cell `{grade_id}` had been changed ({', '.join(changed)}); "
                     "the assignment's settings were used.")
    elif meta is not None and not isinstance(meta, dict):
        notes.append(f"The grading settings of the cell `{grade_id}` were damaged; the assignment's settings "
                     "were used.")
    if cell.cell_type != original.cell_type:
        notes.append(f"The cell `{grade_id}` had been turned into a {cell.cell_type} cell; it was graded as a "
                     f"{original.cell_type} cell, as in the assignment.")
        _set_type(cell, original.cell_type)
    elif _is_locked(wanted) and not _is_test(wanted) and cell.source != original.source:
        notes.append(f"Your changes to the locked cell `{grade_id}` were undone; it was graded as released.")
    cell.metadata["nbgrader"] = wanted
    return notes


def _lost_note(grade_ids: list[str]) -> list[str]:
    """One note for all the cells that had lost their nbgrader metadata and were recognised by cell id."""
    if not grade_ids:
        return []
    if len(grade_ids) == 1:
        return [f"The cell `{grade_ids[0]}` had lost its grading settings; it was recognised by its cell id and "
                "graded as usual."]
    names = ", ".join(f"`{g}`" for g in grade_ids[:-1]) + f" and `{grade_ids[-1]}`"
    return [f"The cells {names} had lost their grading settings; they were recognised by their cell ids and "
            "graded as usual."]


def _set_type(cell: NotebookNode, kind: str) -> None:
    """Turn ``cell`` into a ``kind`` cell in place, keeping its id, source and metadata."""
    fresh = _new_cell(kind, cell.source, cell.metadata)
    fresh.id = cell.get("id", "")
    if kind != "code" and "attachments" in cell:
        fresh.attachments = cell.attachments
    cell.clear()
    cell.update(fresh)


def _unique_ids(nb: NotebookNode) -> list[str]:
    """Give every cell a valid id of its own (the first holder of an id keeps it); a note if any was bad."""
    used: set[str] = set()
    bad = 0
    for cell in nb.cells:
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not _CELL_ID.match(cell_id) or cell_id in used:
            bad += 1
            cell_id = _new_id(used)
            cell.id = cell_id
        used.add(cell_id)
    return [f"{bad} cell(s) had a missing, malformed or repeated cell id and were given a new one."] if bad else []


def _new_id(used: set[str]) -> str:
    """A fresh cell id, not in ``used``."""
    while True:
        candidate = generate_corpus_id()
        if candidate not in used:
            return candidate


# --- the notes -------------------------------------------------------------------------------------------

def summarise(notes: Iterable[str], limit: int = 12) -> list[str]:
    """``notes`` without repeats, at most ``limit`` of them (then one saying how many more there were)."""
    unique = list(dict.fromkeys(notes))
    if len(unique) <= limit:
        return unique
    return unique[:limit - 1] + [f"… and {len(unique) - limit + 1} more repairs."]


def store_notes(nb: NotebookNode, notes: Iterable[str]) -> None:
    """Keep ``notes`` in ``nb``'s metadata (replacing any the file carried: only the grader writes them)."""
    space = nb.metadata.get(METADATA_KEY)
    nb.metadata[METADATA_KEY] = {**(space if isinstance(space, dict) else {}), NOTES_KEY: list(notes)}


def read_notes(nb: Any) -> list[str]:
    """The notes :func:`store_notes` kept in a graded notebook (strings only; none if damaged)."""
    space = nb.get("metadata", {}).get(METADATA_KEY)
    notes = space.get(NOTES_KEY) if isinstance(space, dict) else None
    return [n for n in notes if isinstance(n, str)] if isinstance(notes, list) else []
