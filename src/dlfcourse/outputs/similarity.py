"""Pairs of submissions whose answer code is near-identical, for the instructor to look at by hand.

Only what the students wrote counts: for each answer cell, the lines of the
released stub (the signature, the docstring, ``# YOUR CODE HERE``) are removed
first. The rest is cut into tokens with names normalised (every identifier
becomes ``N``, except attribute names after a dot such as ``.sum`` and
``keepdims``), strings ``S``, comments and whitespace dropped: renaming variables
or re-indenting does not hide a copy. Each submission is the set of its token
8-grams; a pair's similarity is the Jaccard index of their sets.

Code that most of the class writes (the obvious solution to a short function)
is not evidence: 8-grams found in more than a quarter of the submissions (and in
more than two) are left out before comparing. Pairs are found through an index
of the 8-grams, so a class of 500 is not 125 000 full comparisons.

This is a hint, never a verdict: it names pairs to read, it does not change a score.
"""

from __future__ import annotations

import keyword
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import nbformat

__all__ = ["normalise", "answer_code", "SimilarPair", "similar_pairs", "K", "THRESHOLD", "MIN_GRAMS"]

K = 8  # tokens per gram
THRESHOLD = 0.8  # Jaccard index from which a pair is listed
MIN_GRAMS = 12  # a submission with fewer distinctive grams than this is too short to compare

_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>[rbfuRBFU]{0,2}(?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
  | (?P<number>\d[\d_]*\.?\d*(?:[eE][-+]?\d+)?j?|\.\d+(?:[eE][-+]?\d+)?)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>\*\*=?|//=?|->|[-+*/%@&|^<>!=]=|<<|>>|[-+*/%@&|^~<>=()\[\]{},:;.])
""", re.VERBOSE)


def normalise(code: str) -> list[str]:
    """The tokens of ``code`` with names, strings and comments normalised (see the module docstring)."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(code):
        kind, text = match.lastgroup, match.group()
        if kind == "comment":
            continue
        if kind == "string":
            tokens.append("S")
        elif kind == "name":
            after_dot = bool(tokens) and tokens[-1] == "."
            keep = keyword.iskeyword(text) or after_dot or text in ("keepdims", "axis", "dtype")
            tokens.append(text if keep else "N")
        else:
            tokens.append(text)
    return tokens


def answer_code(notebook: nbformat.NotebookNode, release: nbformat.NotebookNode | None) -> dict[str, str]:
    """grade_id -> what the student wrote in each answer (code) cell, without the stub's lines."""
    given: dict[str, set[str]] = defaultdict(set)
    for cell in (release.cells if release is not None else []):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            given[grade_id] = {line.strip() for line in cell.source.splitlines() if line.strip()}
    written = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("solution") or not meta.get("grade_id"):
            continue
        lines = [line for line in cell.source.splitlines()
                 if line.strip() and line.strip() not in given[meta["grade_id"]]]
        written[meta["grade_id"]] = "\n".join(lines)
    return written


def _grams(tokens: list[str]) -> set[int]:
    return {hash(tuple(tokens[i:i + K])) for i in range(len(tokens) - K + 1)}


@dataclass(frozen=True)
class SimilarPair:
    """Two submissions, the similarity of all their answer code, and of each item's code."""

    first: str
    second: str
    similarity: float
    items: tuple[tuple[str, float], ...]  # (grade id, similarity) of the answers with distinctive code in common


def similar_pairs(submissions: dict[str, dict[str, str]], threshold: float = THRESHOLD) -> list[SimilarPair]:
    """Pairs of students whose answer code (student -> grade id -> code) is near-identical, most similar first."""
    per_item = {s: {item: _grams(normalise(code)) for item, code in items.items()} for s, items in submissions.items()}
    whole = {s: set().union(*items.values()) if items else set() for s, items in per_item.items()}
    frequency = Counter(gram for grams in whole.values() for gram in grams)
    common = max(2, len(whole) // 4)
    distinctive = {s: {g for g in grams if frequency[g] <= common} for s, grams in whole.items()}
    index: dict[int, list[str]] = defaultdict(list)
    for student, grams in distinctive.items():
        if len(grams) >= MIN_GRAMS:
            for gram in grams:
                index[gram].append(student)
    shared: Counter = Counter()
    for students in index.values():
        for i, a in enumerate(students):
            for b in students[i + 1:]:
                shared[(a, b) if a < b else (b, a)] += 1
    pairs = []
    for (a, b), count in shared.items():
        union = len(distinctive[a]) + len(distinctive[b]) - count
        similarity = count / union if union else 0.0
        if similarity >= threshold:
            keep = lambda grams: {g for g in grams if frequency[g] <= common}  # noqa: E731
            pairs.append(SimilarPair(a, b, similarity, _item_similarities(
                {i: keep(g) for i, g in per_item[a].items()}, {i: keep(g) for i, g in per_item[b].items()})))
    return sorted(pairs, key=lambda p: (-p.similarity, p.first, p.second))


def _item_similarities(a: dict[str, set[int]], b: dict[str, set[int]]) -> tuple[tuple[str, float], ...]:
    found = []
    for item in a.keys() & b.keys():
        union = len(a[item] | b[item])
        if union and len(a[item] & b[item]):
            found.append((item, len(a[item] & b[item]) / union))
    return tuple(sorted(found, key=lambda x: -x[1]))


def read_submissions(folders: Iterable[tuple[str, list]], release: dict[str, nbformat.NotebookNode]
                     ) -> dict[str, dict[str, str]]:
    """student -> grade id -> written code, from (student, [notebook paths]) and the release notebooks by name."""
    found = {}
    for student, paths in folders:
        code: dict[str, str] = {}
        for path in paths:
            code.update(answer_code(nbformat.read(path, as_version=4), release.get(path.stem)))
        found[student] = code
    return found
