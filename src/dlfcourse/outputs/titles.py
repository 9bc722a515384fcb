r"""Item titles: the markdown heading above each graded cell of an assignment's source notebook.

``## 3. Cross-entropy from logits, and its gradient (3 points)`` above the test cell
``ce-test`` makes its title ``3. Cross-entropy from logits, and its gradient``; an
item with no heading above it keeps its grade id.

Where no MathJax renders them (the class report, its charts), a title's inline math is
written out in Unicode by :func:`tex_text`: ``$\partial L / \partial z_k$`` becomes
``∂L / ∂zₖ``, ``$y \in \{0, 1\}$`` becomes ``y ∈ {0, 1}``.
"""

from __future__ import annotations

import re

import nbformat

from dlfcourse.course import Course

__all__ = ["notebook_titles", "item_titles", "plain", "tex_text", "heading_of"]

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)
_POINTS = re.compile(r"\s*\((?:\d+(?:\.\d+)?\s*points?|\d+(?:\.\d+)?\s*pts?)\)\s*$", re.IGNORECASE)


#: TeX commands a title may use, as the Unicode a reader expects.
_SYMBOLS = {
    "partial": "∂", "nabla": "∇", "in": "∈", "notin": "∉", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥",
    "ne": "≠", "neq": "≠", "approx": "≈", "cdot": "·", "times": "×", "to": "→", "rightarrow": "→",
    "infty": "∞", "sum": "Σ", "prod": "Π", "sqrt": "√", "top": "ᵀ", "mid": "|", "pm": "±", "ell": "ℓ",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "eta": "η",
    "theta": "θ", "lambda": "λ", "mu": "μ", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "psi": "ψ",
    "omega": "ω", "Delta": "Δ", "Sigma": "Σ", "log": "log", "ln": "ln", "exp": "exp", "max": "max",
    "min": "min", "quad": " ", "qquad": " ", ",": " ", ";": " ", "!": "", "|": "‖",
    "left": "", "right": "",
}
_SUBSCRIPTS = dict(zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True))
_SUPERSCRIPTS = dict(zip("0123456789+-=()nTiᵀ", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿᵀⁱᵀ", strict=True))


def _script(text: str, table: dict[str, str], mark: str) -> str:
    """A sub- or superscript in Unicode when every character has one, else ``_k`` / ``^(ij)`` as written."""
    if text and all(ch in table for ch in text):
        return "".join(table[ch] for ch in text)
    return f"{mark}{text}" if len(text) == 1 else f"{mark}({text})"


def _group(text: str) -> str:
    """A numerator or denominator: bare if it is one token, else in parentheses."""
    text = text.strip()
    return text if re.fullmatch(r"[\w.ᵀ∂∇]+", text) else f"({text})"


def tex_text(tex: str) -> str:
    """Inline TeX as plain Unicode text: symbols for commands, fractions as ``a/b``, scripts as Unicode."""
    text = tex.replace("\\{", "\x00").replace("\\}", "\x01")
    text = re.sub(r"\\mathbb\s*\{R\}", "ℝ", text)
    text = re.sub(r"\\(?:mathbf|mathrm|mathit|mathbb|boldsymbol|text|operatorname|hat|bar|tilde)\s*\{([^{}]*)\}",
                  r"\1", text)
    text = re.sub(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}",
                  lambda m: f"{_group(tex_text(m[1]))}/{_group(tex_text(m[2]))}", text)
    text = re.sub(r"\\([A-Za-z]+|[,;!|])", lambda m: _SYMBOLS.get(m.group(1), m.group(1)), text)
    text = re.sub(r"_\{([^{}]*)\}|_(\S)", lambda m: _script(m.group(1) or m.group(2), _SUBSCRIPTS, "_"), text)
    text = re.sub(r"\^\{([^{}]*)\}|\^(\S)", lambda m: _script(m.group(1) or m.group(2), _SUPERSCRIPTS, "^"), text)
    text = text.replace("{", "").replace("}", "").replace("\x00", "{").replace("\x01", "}")
    return re.sub(r"(?<=[∂∇])\s+", "", " ".join(text.split()))


def plain(title: str, math: bool = True) -> str:
    """A heading without its markdown emphasis and its "(N points)" suffix.

    Inline math is kept as ``$...$`` (for pages with MathJax), or with ``math=False``
    written out as Unicode text (:func:`tex_text`).
    """
    title = _POINTS.sub("", title.strip())
    parts = re.split(r"(\$[^$]+\$)", title)
    cleaned = [(p if math else tex_text(p[1:-1])) if p.startswith("$") and p.endswith("$") and len(p) > 1
               else re.sub(r"\*\*|__|[*`]|(?<!\w)_|_(?!\w)", "", p) for p in parts]
    return "".join(cleaned).strip()


def heading_of(notebook: nbformat.NotebookNode, index: int, math: bool = False) -> str:
    """The last markdown heading above cell ``index`` of ``notebook`` (:func:`plain`), or ''."""
    for cell in reversed(notebook.cells[:index]):
        if cell.cell_type == "markdown" and not cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            headings = _HEADING.findall(cell.source)
            if headings:
                return plain(headings[-1], math=math)
    return ""


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
