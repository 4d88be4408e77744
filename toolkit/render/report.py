"""Text and HTML for a trace check report: what a student reads in a notebook or a terminal.

Plain string building (no widgets, no graphviz), so the report displays anywhere. Output is
deterministic: no timings, no memory addresses, and files shown by base name (a notebook
cell's temporary file is shown as ``cell``), so executed notebooks compare equal run to run.
"""

from __future__ import annotations

import html
import linecache
from typing import TYPE_CHECKING, Any, Iterable

from toolkit.frames import display_file_name
from toolkit.analysis.lost_flow.findings import Finding
from toolkit.render.mime import filter_bundle

if TYPE_CHECKING:  # pragma: no cover - import for type hints only
    from toolkit.analysis.lost_flow.check import TraceReport

__all__ = [
    "display_file",
    "finding_card_html",
    "inline_code_html",
    "report_bundle",
    "report_frame_html",
    "report_html",
    "report_text",
    "source_snippet_html",
]

_SEVERITY_STYLE = {
    "proven": ("#c0392b", "#fdecea"),
    "suspected": ("#b7791f", "#fff8e1"),
}


def display_file(path: str) -> str:
    """A file as shown to a person: its base name, or ``cell [n]`` for a notebook cell
    (:func:`toolkit.frames.display_file_name`, the one rule for every view, report and error)."""
    return display_file_name(path)


def _where(finding: Finding) -> str:
    return f"{display_file(finding.file)}:{finding.line}"


def _headline(report: "TraceReport") -> str:
    proven = len(report.proven)
    suspected = len(report.suspected)
    if report.trace_error is not None:
        return f"check_trace({report.name}): the model could not be traced"
    if report.ok:
        extra = f"; {suspected} suspected line(s) to review" if suspected else ""
        return f"check_trace({report.name}): ok, no lost behaviour found on {report.tried} generated input(s){extra}"
    return f"check_trace({report.name}): {proven} proven, {suspected} suspected"


def _status_lines(report: "TraceReport") -> list[str]:
    lines = []
    if report.trace_error is not None:
        err = report.trace_error
        where = f" at {display_file(err.file)}:{err.line}" if err.file else ""
        lines.append(f"tracing failed{where}: {err.message}")
        if err.source_line:
            lines.append(f"    {err.source_line}")
        return lines
    if report.scripting_error:
        lines.append(f"scripting unavailable (structural comparison skipped): {report.scripting_error}")
    else:
        lines.append("scripting available: traced and scripted graphs compared")
    counts = report.outcome_counts()
    lines.append(
        f"inputs tried: {report.tried} ({counts.get('same', 0)} same, {counts.get('diverged', 0)} diverged,"
        f" {counts.get('skipped', 0)} skipped because eager PyTorch fails on them too)"
    )
    if report.partial:
        lines.append(f"PARTIAL: the time budget ran out; not run: {', '.join(report.skipped)}")
    lines += [f"note: {note}" for note in report.notes]
    return lines


def report_text(report: "TraceReport") -> str:
    """The readable ``str()`` of a report."""
    lines = [_headline(report)]
    lines += ["  " + line for line in _status_lines(report)]
    for finding in report.findings:
        lines.append("")
        lines.append(str(finding).replace(finding.location, _where(finding), 1))
    return "\n".join(lines)


def source_snippet_html(file: str, line: int, *, highlight: str, context: int = 2) -> str:
    """The lines around ``file:line`` as numbered HTML, that line marked with ``highlight`` (a CSS colour).

    Shared by the trace report and the scripting report, so both show a student's code the same way.
    """
    rows = []
    for number in range(max(1, line - context), line + context + 1):
        text = linecache.getline(file, number)
        if not text:
            continue
        mark = number == line
        background = highlight if mark else "transparent"
        weight = "bold" if mark else "normal"
        rows.append(
            f"<div style='background:{html.escape(background, quote=True)};font-weight:{weight};white-space:pre'>"
            f"<span style='color:#888;display:inline-block;width:3.5em'>{number}</span>"
            f"{html.escape(text.rstrip())}</div>"
        )
    if not rows:
        return ""
    return (
        "<div style='font-family:monospace;font-size:12px;border:1px solid #ddd;padding:4px;margin:4px 0'>"
        + "".join(rows)
        + "</div>"
    )


def _snippet(finding: Finding) -> str:
    return source_snippet_html(finding.file, finding.line, highlight=_SEVERITY_STYLE[finding.severity][1])


def _finding_html(finding: Finding) -> str:
    color, background = _SEVERITY_STYLE[finding.severity]
    rows = [("what", finding.what), ("why", finding.why), ("fix", finding.fix)]
    if finding.counterexample is not None:
        cx = finding.counterexample
        rows.append(("counterexample", f"{cx.input} ({cx.shapes}): eager {cx.eager}; traced {cx.traced}"))
    rows.append(("evidence", ", ".join(finding.evidence)))
    if finding.export is not None:
        rows.append(("how torch.export sees this line", str(finding.export)))
    return finding_card_html(
        colors=(color, background),
        badge=finding.severity,
        title_html=html.escape(finding.title),
        where=_where(finding),
        snippet_html=_snippet(finding),
        rows=rows,
    )


def finding_card_html(
    *, colors: tuple[str, str], badge: str, title_html: str, where: str, snippet_html: str, rows: list[tuple[str, str]]
) -> str:
    """One finding as a card: a badge, its title and place, the marked source, then a table of rows.

    Shared by the trace report and the scripting report. ``title_html`` and ``snippet_html`` are
    HTML already; the badge, the place and each row (label, text with `code` spans) are escaped here.
    """
    color, background = (html.escape(c, quote=True) for c in colors)
    table = "".join(
        f"<tr><td style='vertical-align:top;padding-right:8px;color:#555'><b>{html.escape(key)}</b></td>"
        f"<td style='text-align:left'>{inline_code_html(value)}</td></tr>"
        for key, value in rows
    )
    return (
        f"<div style='border-left:4px solid {color};background:{background};padding:6px 10px;margin:8px 0'>"
        f"<div><span style='background:{color};color:white;padding:1px 6px;border-radius:3px'>"
        f"{html.escape(badge)}</span> <b>{title_html}</b>"
        f" <code>{html.escape(where)}</code></div>"
        f"{snippet_html}<table style='font-size:13px'>{table}</table></div>"
    )


def inline_code_html(text: str) -> str:
    """Escape ``text`` and render its `backticks` as code."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def report_html(report: "TraceReport") -> str:
    """The notebook view of a report."""
    ok = report.ok
    color = "#2e7d32" if ok else "#c0392b"
    status = "".join(f"<div>{inline_code_html(line)}</div>" for line in _status_lines(report))
    findings = "".join(_finding_html(f) for f in report.findings)
    checks = "".join(
        f"<tr><td>{html.escape(run.kind)}</td><td>{html.escape(run.label)}</td>"
        f"<td>{html.escape(run.status)}</td><td>{inline_code_html(run.detail)}</td></tr>"
        for run in report.runs
    )
    details = (
        "<details><summary>inputs tried</summary>"
        "<table style='font-size:12px'><tr><th>axis</th><th>input</th><th>result</th><th>detail</th></tr>"
        f"{checks}</table></details>"
        if report.runs
        else ""
    )
    body = f"<div style='font-size:12px;color:#555'>{status}</div>{findings}{details}"
    return report_frame_html("toolkit-trace-report", color, _headline(report), body)


def report_frame_html(css_class: str, color: str, headline: str, body: str) -> str:
    """A report's frame: a coloured rule with the headline (escaped here), then ``body`` (already HTML).

    Shared by the trace report and the scripting report, so both read alike in a notebook.
    """
    return (
        f"<div class='{html.escape(css_class, quote=True)}'>"
        f"<div style='border-top:3px solid {html.escape(color, quote=True)};padding-top:4px'>"
        f"<b style='color:{html.escape(color, quote=True)}'>{html.escape(headline)}</b></div>{body}</div>"
    )


def report_bundle(
    report: "TraceReport", *, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None
) -> dict[str, Any]:
    """The report's MIME bundle: HTML for notebooks, its one-line ``repr`` as the plain-text fallback."""
    return filter_bundle({"text/html": report_html(report), "text/plain": repr(report)}, include, exclude)
