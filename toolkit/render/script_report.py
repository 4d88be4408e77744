"""Text and HTML for a scripting check report: every construct that does not script, and the hybrid it allows.

Plain string building, like the trace report (:mod:`toolkit.render.report`), whose conventions it
shares: files shown by base name (a notebook cell as ``cell``), each finding's line marked in its
Python source, every user-controlled string escaped, nothing that varies run to run.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Iterable

from toolkit.render.mime import filter_bundle
from toolkit.render.report import (
    display_file,
    finding_card_html,
    inline_code_html,
    report_frame_html,
    source_snippet_html,
)
from toolkit.words import plural

if TYPE_CHECKING:  # pragma: no cover - import for type hints only
    from toolkit.analysis.script_errors.check import ScriptReport, SubmoduleVerdict
    from toolkit.analysis.script_errors.explain import ScriptFailure

__all__ = ["failure_text", "script_report_bundle", "script_report_html", "script_report_text"]

_FAIL = ("#c0392b", "#fdecea")
_MARKED_LINE = _FAIL[1]  # the failing line, shaded as a proven finding is in the trace report
_OK = "#2e7d32"


def _where(failure: "ScriptFailure") -> str:
    if failure.file is None or failure.line is None:
        return "(line unknown)"
    return f"{display_file(failure.file)}:{failure.line}"


def _headline(report: "ScriptReport") -> str:
    if report.ok:
        return f"check_script({report.name}): ok, it scripts"
    head = f"check_script({report.name}): {plural(len(report.findings), 'construct')} that do not script"
    if report.submodules:
        head += f"; {len(report.scripting)} of {plural(len(report.submodules), 'submodule')} script on their own"
    if report.partial:
        head += " (partial: some checks stopped early)"
    return head


def failure_text(failure: "ScriptFailure", *, number: int | None = None) -> str:
    """One finding, as a few indented lines."""
    label = f"{number}. " if number is not None else ""
    lines = [f"{label}{failure.construct} [{failure.category_label}] at {_where(failure)}"]
    if failure.source_line:
        lines.append(f"     {failure.source_line}")
    lines.append(f"   why: {failure.reason}")
    lines.append(f"   fix: {failure.fix}")
    if not failure.recognised:
        lines.append(f"   torch said: {failure.torch_message.splitlines()[0] if failure.torch_message else ''}")
    return "\n".join(lines)


def _hybrid_advice(report: "ScriptReport") -> str | None:
    """Which submodules a hybrid could script: those that script whose parent does not."""
    if report.ok or not report.submodules:
        return None
    if not report.hybrid:
        return "hybrid: no submodule of its own scripts; trace the model (toolkit.trace) or fix the findings"
    return (
        f"hybrid: script {', '.join(report.hybrid)} (toolkit.trace(model, x, script_submodules=[...]))"
        " and trace the rest, or fix the findings to script the whole"
    )


def _verdict_line(verdict: "SubmoduleVerdict") -> str:
    mark = "scripts" if verdict.scripts else "fails  "
    reason = ""
    if verdict.failure is not None:
        reason = f": {verdict.failure.construct} at {_where(verdict.failure)}"
    return f"{mark} {verdict.label} ({verdict.type_name}){reason}"


def script_report_text(report: "ScriptReport") -> str:
    """The readable ``str()`` of a report."""
    lines = [_headline(report)]
    for number, failure in enumerate(report.findings, 1):
        lines.append("")
        lines.append(failure_text(failure, number=number))
    if report.submodules and not report.ok:
        lines.append("")
        lines.append("submodules:")
        lines += ["  " + _verdict_line(v) for v in report.submodules]
        advice = _hybrid_advice(report)
        if advice:
            lines.append(advice)
    return "\n".join(lines)


def _snippet(failure: "ScriptFailure") -> str:
    """The failure's Python source, its line marked as a proven finding is in the trace report."""
    if failure.file is None or failure.line is None:
        return ""
    return source_snippet_html(failure.file, failure.line, highlight=_MARKED_LINE)


def _failure_html(failure: "ScriptFailure") -> str:
    color, background = _FAIL
    rows = [("why", failure.reason), ("fix", failure.fix)]
    if not failure.recognised:
        rows.append(("torch said", failure.torch_message))
    return finding_card_html(
        colors=(color, background),
        badge=failure.category_label,
        title_html=inline_code_html(failure.construct),
        where=_where(failure),
        snippet_html=_snippet(failure),
        rows=rows,
    )


def _verdicts_html(report: "ScriptReport") -> str:
    if not report.submodules or report.ok:
        return ""
    rows = "".join(
        f"<tr><td style='color:{_OK if v.scripts else _FAIL[0]}'>{'scripts' if v.scripts else 'fails'}</td>"
        f"<td><code>{html.escape(v.label)}</code></td><td>{html.escape(v.type_name)}</td>"
        f"<td>{inline_code_html(v.failure.construct) if v.failure else ''}</td></tr>"
        for v in report.submodules
    )
    advice = _hybrid_advice(report)
    return (
        "<details><summary>submodules: which script on their own</summary>"
        "<table style='font-size:12px'><tr><th>verdict</th><th>path</th><th>type</th><th>first reason</th></tr>"
        f"{rows}</table>"
        + (f"<div style='font-size:12px'>{inline_code_html(advice)}</div>" if advice else "")
        + "</details>"
    )


def script_report_html(report: "ScriptReport") -> str:
    """The notebook view of a report."""
    color = _OK if report.ok else _FAIL[0]
    findings = "".join(_failure_html(f) for f in report.findings)
    return report_frame_html("toolkit-script-report", color, _headline(report), findings + _verdicts_html(report))


def script_report_bundle(
    report: "ScriptReport", *, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None
) -> dict[str, Any]:
    """The report's MIME bundle: HTML for notebooks, the readable text as the plain-text fallback."""
    return filter_bundle({"text/html": script_report_html(report), "text/plain": script_report_text(report)}, include, exclude)
