"""Render a :class:`~dlfcourse.outputs.report.ClassReport` as one self-contained HTML page.

Everything the students control (ids, names, messages, flagged lines, file names) is escaped where it is
written, and the page needs no script: its Content-Security-Policy runs none, and loads nothing but styles
and images from the page itself (:func:`dlfcourse.outputs.sanitize.policy_meta`).

Everyone can read it (WCAG 2.1 AA, checked with axe-core by ``tests/course/outputs/test_accessible.py``): the page
declares its language, its text colours reach 4.5:1 on every background of its style, each chart is a
``<figure>`` whose caption is its title and whose numbers follow as a table a screen reader reads (hidden
from sight: the chart shows them), tables have header cells, and outcomes are told in words.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from html import escape
from pathlib import Path

from dlfcourse.course import write_text_atomically
from dlfcourse.outputs import charts
from dlfcourse.outputs.report import ClassReport
from dlfcourse.outputs.sanitize import LANGUAGE, policy_meta
from dlfoundations.kit.compare import DIAGNOSES

__all__ = ["render", "write_report", "TEXT", "MUTED", "STYLE_BACKGROUNDS"]

TEXT = "#222222"
MUTED = "#666666"  # secondary text: 5.3:1 on the code's grey (#777 was 4.1:1)
#: The backgrounds text is written on: the page, code, header cells.
STYLE_BACKGROUNDS = ("#ffffff", "#f6f6f6", "#f2f2f2")

_STYLE = """
body { font-family: sans-serif; max-width: 64em; margin: 2em auto; color: TEXT; line-height: 1.4; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } code { background: #f6f6f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: MUTED; } details { margin: 1em 0; } summary { cursor: pointer; font-weight: bold; }
figure { margin: 1.2em 0; } figcaption { margin: 0 0 0.4em 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
""".replace("MUTED", MUTED).replace("TEXT", TEXT)


def _head(*names: str) -> str:
    """A table's header row, each cell a column header."""
    return "<thead><tr>" + "".join(f"<th scope='col'>{name}</th>" for name in names) + "</tr></thead>"


def _figure(caption: str, image: str, alt: str, table_caption: str, head: tuple[str, ...],
            rows: list[tuple[str, ...]]) -> str:
    """A chart, its caption (HTML) above it, and its numbers as a table for screen readers (escaped here)."""
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return (f"<figure><figcaption>{caption}</figcaption><img alt='{escape(alt)}' src='{image}'>"
            f"<table class='visually-hidden'><caption>{escape(table_caption)}</caption>{_head(*head)}"
            f"<tbody>{body}</tbody></table></figure>")


def _charts(report: ClassReport) -> str:
    """The score distribution and the failure rate per item, each a :func:`_figure`."""
    totals = [report.table.total(s) for s in report.students]
    if not totals:
        return ""
    top = report.table.max_score
    histogram = _figure(
        f"<b>Score distribution</b>: the totals of the {len(totals)} graded submissions, out of {top:g} "
        "(after late penalties)", charts.score_histogram(totals, top),
        "Histogram of the score distribution; its numbers are in the table that follows",
        "Students per total score (totals nobody reached are left out)", ("total score", "students"),
        [(label, str(count)) for label, count in charts.score_bins(totals, top) if count])
    counts = {item: report.failures(item) for item in report.automatic_items}  # (without full marks, graded)
    rates = {item: failed / max(1, graded) for item, (failed, graded) in counts.items()}
    failures = _figure(
        "<b>Failure rate per item</b>: the share of students without full marks on each item graded "
        "automatically (answers still to grade by hand are left out)",
        charts.failure_rates({report.title(item): rate for item, rate in rates.items()}),
        "Bar chart of the failure rate per item; its numbers are in the table that follows",
        "Students without full marks, per item", ("item", "without full marks", "students"),
        [(report.title(item), f"{100 * rates[item]:.0f} %", f"{failed} of {graded}")
         for item, (failed, graded) in counts.items()])
    return histogram + failures


def _who(report: ClassReport, student: str) -> str:
    name = report.names.get(student)
    return f"{escape(student)} ({escape(name)})" if name else escape(student)


def _summary(report: ClassReport) -> str:
    totals = [report.table.total(s) for s in report.students]
    pending = sum(bool(report.table.pending.get(s)) for s in report.students)
    text = (f"<p>{len(totals)} graded submissions. Mean {statistics.mean(totals):.2f}, "
            f"median {statistics.median(totals):.2f} out of {report.table.max_score:g} "
            "(after late penalties).</p>")
    if pending:
        text += (f"<p><b>{pending} student(s) have items still to be graded by hand</b> (formgrader): "
                 "their totals here are partial, and those items are left out of the failure rates.</p>")
    return text


def _item_cell(report: ClassReport, item: str, rows: int) -> str:
    span = f" rowspan='{rows}'" if rows > 1 else ""
    return f"<td{span}><b>{escape(report.title(item))}</b><br><code class='muted'>{escape(item)}</code></td>"


def _mistakes_table(report: ClassReport) -> str:
    rows = []
    for item in report.table.items:
        counts = report.mistakes.get(item)
        if item in report.table.manual:
            rows.append(f"<tr>{_item_cell(report, item, 1)}<td colspan='3'>graded by hand (formgrader)</td></tr>")
            continue
        if not counts:
            rows.append(f"<tr>{_item_cell(report, item, 1)}<td colspan='3'>no mistakes</td></tr>")
            continue
        for rank, (code, count) in enumerate(counts.most_common()):
            first = _item_cell(report, item, len(counts)) if rank == 0 else ""
            label = escape(DIAGNOSES.get(code, code))
            students = ", ".join(_who(report, s) for s in sorted(report.who.get((item, code), [])))
            example = escape(report.examples[(item, code)])
            rows.append(f"<tr>{first}<td><b>{escape(code)}</b><br><span class='muted'>{label}</span></td>"
                        f"<td class='num'>{count}</td><td>{students}<br><span class='muted'>e.g. {example}</span>"
                        "</td></tr>")
    head = _head("item", "diagnosis", "students", "who (and an example message)")
    return f"<table>{head}<tbody>{''.join(rows)}</tbody></table>"


def _students_table(report: ClassReport) -> str:
    """Every student's score and seed per item: the instructor's view (seeds replay a grading exactly)."""
    head = "".join(f"<th scope='col' title='{escape(item)}'>{escape(report.title(item))}</th>"
                   for item in report.table.items)
    rows = []
    for student in report.students:
        cells = []
        for item in report.table.items:
            if item in report.table.pending.get(student, ()):
                cells.append("<td class='muted'>to grade</td>")
                continue
            score = report.table.scores[student].get(item)
            seed = report.seeds.get(student, {}).get(item)
            shown = "—" if score is None else f"{score:g}"
            seed_text = f"<br><span class='muted'>seed {seed}</span>" if seed is not None else ""
            cells.append(f"<td class='num'>{shown}{seed_text}</td>")
        base = report.base_seeds.get(student)
        rows.append(f"<tr><td>{_who(report, student)}</td><td class='num'>{report.table.total(student):g}</td>"
                    f"<td class='num'>{'' if base is None else base}</td>{''.join(cells)}</tr>")
    return (f"<details><summary>Every student: score and seed per item</summary>"
            "<p class='muted'>Each item's inputs were drawn from its seed, itself drawn from the student's base "
            "seed. A regrade with the same base seed replays every item exactly: "
            f"<code>dlf-course autograde {escape(report.assignment)} --student ID --seed BASE --force</code>.</p>"
            f"<table><thead><tr><th scope='col'>student</th><th scope='col'>total</th><th scope='col'>base seed</th>"
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            "</details>")


def _similar_section(report: ClassReport) -> str:
    title = "<h2>Similar submissions (to look at by hand)</h2>"
    intro = ("<p class='muted'>Pairs whose answer code is near-identical once names, strings, comments and "
             "whitespace are normalised and the released stubs removed; code most of the class wrote is left out. "
             "A hint to read both notebooks, not a verdict.</p>")
    if not report.similar:
        return f"{title}{intro}<p>None.</p>"
    rows = []
    for pair in report.similar:
        items = ", ".join(f"{escape(report.title(item))} {100 * value:.0f}&nbsp;%" for item, value in pair.items[:5])
        rows.append(f"<tr><td>{_who(report, pair.first)}</td><td>{_who(report, pair.second)}</td>"
                    f"<td class='num'>{100 * pair.similarity:.0f}&nbsp;%</td><td>{items}</td></tr>")
    head = _head("student", "student", "similarity", "per item")
    return f"{title}{intro}<table>{head}<tbody>{''.join(rows)}</tbody></table>"


def _list_section(title: str, entries: Mapping[str, str | list[str]], empty: str, report: ClassReport) -> str:
    if not entries:
        return f"<h2>{title}</h2><p>{empty}</p>"
    items = []
    for student, value in sorted(entries.items()):
        lines = value if isinstance(value, list) else [value]
        items.append(f"<li><b>{_who(report, student)}</b><ul>{''.join(f'<li>{escape(x)}</li>' for x in lines)}"
                     "</ul></li>")
    return f"<h2>{title}</h2><ul>{''.join(items)}</ul>"


def render(report: ClassReport) -> str:
    """The report as an HTML page."""
    ungraded = {u.student: u.reason for u in report.ungraded}
    return "".join([
        f"<!DOCTYPE html><html lang='{LANGUAGE}'><head><meta charset='utf-8'>{policy_meta()}",
        f"<title>Report: {escape(report.assignment)}</title>",
        f"<style>{_STYLE}</style></head><body><h1>Class report: {escape(report.assignment)}</h1>",
        _summary(report), _charts(report),
        "<h2>Mistakes per item, and who made them</h2>", _mistakes_table(report),
        _students_table(report),
        _similar_section(report),
        _list_section("Collected but not graded", ungraded, "None.", report),
        _list_section("Gradings that failed", report.failed, "None.", report),
        _list_section("Flagged for a look by hand (static scan of the submitted code)", report.flagged, "None.",
                      report),
        _list_section("Answers changed since they were graded by hand (manual score cleared: grade them again)",
                      {s: [report.title(i) for i in items] for s, items in report.reopened.items()}, "None.", report),
        _list_section("Cells that never ran to their end (stopped by a time limit, or a stub left in place; "
                      "their items were still graded)",
                      {s: [c.line() for c in cells] for s, cells in report.stopped.items()}, "None.", report),
        _list_section("On the roster, handed in nothing",
                      dict.fromkeys(report.missing, "nothing collected for this assignment"), "None.", report),
        "</body></html>",
    ])


def write_report(report: ClassReport, output: Path) -> Path:
    """Write the page to ``output`` (through a temporary file) and return its path."""
    output = Path(output)
    write_text_atomically(output, render(report))
    return output
