"""Render a :class:`~dlfcourse.outputs.report.ClassReport` as one self-contained HTML page."""

from __future__ import annotations

import statistics
from html import escape
from pathlib import Path

from dlfcourse.outputs import charts
from dlfcourse.outputs.report import ClassReport

__all__ = ["render", "write_report"]

_STYLE = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } code { background: #f6f6f6; }
"""


def _summary(report: ClassReport) -> str:
    totals = [report.table.total(s) for s in report.students]
    if not totals:
        return "<p>No graded submissions yet.</p>"
    return (f"<p>{len(totals)} graded submissions. Mean {statistics.mean(totals):.2f}, "
            f"median {statistics.median(totals):.2f} out of {report.table.max_score:g}.</p>")


def _mistakes_table(report: ClassReport, top: int = 5) -> str:
    rows = []
    for item in report.table.items:
        counts = report.mistakes.get(item)
        if item in report.table.manual:
            rows.append(f"<tr><td><code>{escape(item)}</code></td><td colspan='3'>graded by hand (formgrader); "
                        "counts 0 until then</td></tr>")
            continue
        if not counts:
            rows.append(f"<tr><td><code>{escape(item)}</code></td><td colspan='3'>no mistakes</td></tr>")
            continue
        for rank, (code, count) in enumerate(counts.most_common(top)):
            first = f"<td rowspan='{min(top, len(counts))}'><code>{escape(item)}</code></td>" if rank == 0 else ""
            example = escape(report.examples[(item, code)])
            rows.append(f"<tr>{first}<td><b>{escape(code)}</b></td><td>{count}</td><td>{example}</td></tr>")
    head = "<tr><th>item</th><th>diagnosis</th><th>students</th><th>example message</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _list_section(title: str, entries: dict[str, str | list[str]], empty: str) -> str:
    if not entries:
        return f"<h2>{title}</h2><p>{empty}</p>"
    items = []
    for student, value in sorted(entries.items()):
        lines = value if isinstance(value, list) else [value]
        items.append(f"<li><b>{escape(student)}</b><ul>{''.join(f'<li>{escape(x)}</li>' for x in lines)}</ul></li>")
    return f"<h2>{title}</h2><ul>{''.join(items)}</ul>"


def render(report: ClassReport) -> str:
    """The report as an HTML page."""
    totals = [report.table.total(s) for s in report.students]
    rates = {item: report.failure_rate(item) for item in report.automatic_items}
    plots = ""
    if totals:
        plots = (f"<img alt='score distribution' src='{charts.score_histogram(totals, report.table.max_score)}'>"
                 f"<img alt='failure rate per item' src='{charts.failure_rates(rates)}'>")
    return "".join([
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Report: {escape(report.assignment)}</title>",
        f"<style>{_STYLE}</style></head><body><h1>Class report: {escape(report.assignment)}</h1>",
        _summary(report), plots,
        "<h2>Most frequent mistakes per item</h2>", _mistakes_table(report),
        _list_section("Gradings that failed", report.failed, "None."),
        _list_section("Flagged for a look by hand (static scan of the submitted code)", report.flagged, "None."),
        "</body></html>",
    ])


def write_report(report: ClassReport, output: Path) -> Path:
    """Write the page to ``output`` (through a temporary file) and return its path."""
    output = Path(output)
    temporary = output.with_name(f".{output.name}.tmp")
    temporary.write_text(render(report))
    temporary.replace(output)
    return output
