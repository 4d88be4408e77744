"""Trace, script and export of one model side by side: what each keeps, what each loses.

Why: a student leaving TorchScript needs to see, on their own model, that a trace froze the
branch the example took, that a script kept the ``if``, and that torch.export keeps it only as
a ``torch.cond`` (or refuses, naming the line to rewrite). Three panes over one legend say it
at a glance; a table under the title says it in words.

Marks: on the script, every ``If``/``Loop`` the trace lost is red (as in the two-way compare)
and the one export refused is purple ("needs torch.cond"); on the export, each ``torch.cond`` /
``while_loop`` / ``map`` it keeps is green. A side that failed shows its failure explained,
never a traceback. Nothing here runs a model: :func:`toolkit.compare` captures, this draws.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from toolkit.analysis.diff import ExportDiff, GraphDiff
from toolkit.errors import MissingDependencyError
from toolkit.ir.exporting import ExportFailure
from toolkit.ir.model import Graph, Node, NodeKind
from toolkit.render.display import CodeView, GraphView
from toolkit.render.mime import filter_bundle
from toolkit.render.legend import key_html
from toolkit.render.saved_picture import inline_svgs_as_images

__all__ = ["ExportCompareView", "SideSummary", "side_summaries"]

@dataclass(frozen=True)
class SideSummary:
    """One row of the table: a compiler, what its graph keeps and what it loses (or why it failed)."""

    side: str
    keeps: str
    loses: str


@dataclass(frozen=True)
class ExportCompareView:
    """``torch.jit.trace`` / ``torch.jit.script`` / ``torch.export`` of one model, side by side.

    Attributes:
        name: the model's class name.
        rows: one :class:`SideSummary` per side, trace first.
        traced, scripted, exported: each side's graph view, or ``None`` where it failed.
        traced_code, scripted_code, exported_code: each side's code, or ``None``.
        trace_error, scripting_error: why a TorchScript side failed (``""`` if it did not).
        export_failure: why the export failed, explained; ``None`` if it did not.
        diff: trace against script, when both exist.
        export_diff: export against the script (or the trace), when both exist.
    """

    name: str
    rows: tuple[SideSummary, ...]
    traced: GraphView | None
    scripted: GraphView | None
    exported: GraphView | None
    traced_code: CodeView | None = None
    scripted_code: CodeView | None = None
    exported_code: CodeView | None = None
    trace_error: str = ""
    scripting_error: str = ""
    export_failure: ExportFailure | None = None
    diff: GraphDiff | None = None
    export_diff: ExportDiff | None = None

    def summary(self) -> str:
        """The table in plain text: one line per side."""
        lines = [f"{self.name}: trace / script / export"]
        for row in self.rows:
            lines.append(f"  {row.side}: keeps {row.keeps}; loses {row.loses}")
        return "\n".join(lines)

    def html(self) -> str:
        legend = key_html(("lost", "needs-cond", "kept", "only-trace"))
        table = "".join(
            f"<tr><td><b>{html.escape(r.side)}</b></td><td>{html.escape(r.keeps)}</td><td>{html.escape(r.loses)}</td></tr>"
            for r in self.rows
        )
        panes = (
            (self.traced, self.traced_code, _failure_html(self.trace_error)),
            (self.scripted, self.scripted_code, _failure_html(self.scripting_error)),
            (self.exported, self.exported_code, _export_failure_html(self.export_failure)),
        )
        cells = "".join(
            "<td style='vertical-align:top;overflow:auto;text-align:left'>"
            + (_svg_or_note(view) + (code.html() if code is not None else "") if view is not None else failure)
            + "</td>"
            for view, code, failure in panes
        )
        headers = "".join(
            f"<th style='text-align:left'>{name}</th>" for name in ("torch.jit.trace", "torch.jit.script", "torch.export")
        )
        return (
            "<div class='tst-compare tst-compare-export'><div style='font:12px sans-serif;margin:4px 0'>"
            f"<b>{html.escape(self.name)}</b>: trace / script / export<br>{legend}</div>"
            "<table style='font:12px sans-serif;border-collapse:collapse;margin:4px 0'>"
            "<tr><th style='text-align:left'></th><th style='text-align:left'>keeps</th>"
            f"<th style='text-align:left'>loses</th></tr>{table}</table>"
            f"<table style='width:100%;table-layout:fixed'><tr>{headers}</tr><tr>{cells}</tr></table></div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        # Graphs as images, so an untrusted notebook's sanitiser keeps them (render/saved_picture.py).
        markup = inline_svgs_as_images(self.html(), title=self.summary(), note="")
        return filter_bundle({"text/html": markup, "text/plain": self.summary()}, include, exclude)

    def __repr__(self) -> str:
        failed = [r.side for r in self.rows if r.keeps == "nothing (it failed)"]
        return f"<ExportCompareView {self.name}: {len(self.rows) - len(failed)} of {len(self.rows)} sides built>"


def side_summaries(
    *,
    traced: Graph | None,
    scripted: Graph | None,
    exported: Graph | None,
    diff: GraphDiff | None,
    trace_error: str,
    scripting_error: str,
    export_failure: ExportFailure | None,
) -> tuple[SideSummary, ...]:
    """What each side keeps and loses, in words, from the graphs and the diffs."""
    return (
        _trace_row(traced, diff, trace_error),
        _script_row(scripted, scripting_error),
        _export_row(exported, export_failure),
    )


def _trace_row(traced: Graph | None, diff: GraphDiff | None, error: str) -> SideSummary:
    if traced is None:
        return SideSummary("torch.jit.trace", "nothing (it failed)", error)
    if diff is None:
        return SideSummary("torch.jit.trace", "the operations the example ran", "unknown: there is no script to compare with")
    if not diff.lost_control_flow:
        return SideSummary("torch.jit.trace", "the operations the example ran", "no control flow the script has")
    lost = diff.user_losses
    parts = [f"{len(lost)} control-flow node(s), frozen to the example's path: " + ", ".join(_where(n) for n in lost)] if lost else []
    others = len(diff.settled_by_configuration) + len(diff.library_losses)
    if others:  # counted, never listed: the module's settings and library code decide them
        parts.append(f"{others} more decided by the module's settings or library code (the same for every input)")
    return SideSummary("torch.jit.trace", "the operations the example ran, its sizes as constants", "; ".join(parts))


def _script_row(scripted: Graph | None, error: str) -> SideSummary:
    if scripted is None:
        return SideSummary("torch.jit.script", "nothing (it failed)", error)
    ifs, loops = scripted.count(NodeKind.IF), scripted.count(NodeKind.LOOP)
    return SideSummary(
        "torch.jit.script", f"every if and loop ({ifs} If, {loops} Loop)",
        "Python outside the TorchScript subset; and TorchScript itself is deprecated",
    )


def _export_row(exported: Graph | None, failure: ExportFailure | None) -> SideSummary:
    if exported is None:
        reason = failure.message() if failure is not None else "it was not run"
        return SideSummary("torch.export", "nothing (it failed)", reason)
    kept = [n for n in exported.walk() if n.kind.is_control_flow]
    symbols = sorted({s.range_text for v in exported.inputs for s in v.symbolic})
    keeps = f"{len(kept)} torch.cond / while_loop / map with their subgraphs" if kept else "one graph, no branches"
    if symbols:
        keeps += "; symbolic sizes " + ", ".join(symbols)
    frozen = [v for v in exported.inputs if v.role == "user_input" and v.shape is not None and not v.symbolic]
    loses = "a Python `if` on a value unless written as torch.cond"
    if frozen:
        loses += "; sizes fixed to the example's unless a Dim says otherwise (" + ", ".join(
            f"{v.name}: {v.shape_text or 'scalar'}" for v in frozen
        ) + ")"
    return SideSummary("torch.export", keeps, loses)


def _where(n: Node) -> str:
    if n.source is None:
        return n.op
    return f"`{n.source.text}` ({n.source.short})" if n.source.text else n.source.short


def _svg_or_note(view: GraphView) -> str:
    try:
        return view.svg()
    except MissingDependencyError as exc:
        return f"<pre>{html.escape(str(exc))}</pre>"


def _failure_html(text: str) -> str:
    return f"<pre style='white-space:pre-wrap;background:#fff0f0;padding:4px'>{html.escape(text)}</pre>"


def _export_failure_html(failure: ExportFailure | None) -> str:
    if failure is None:
        return _failure_html("torch.export was not run.")
    rows = [
        ("refused", failure.construct),
        ("your line", failure.where or "(torch named no line of yours)"),
        ("why", failure.reason),
        ("fix", failure.fix),
        ("torch says", failure.torch_message),
    ]
    if failure.draft_findings:
        rows.append(("draft_export", "; ".join(failure.draft_findings)))
    body = "".join(
        f"<tr><td style='vertical-align:top;padding-right:6px'><b>{html.escape(k)}</b></td>"
        f"<td style='white-space:pre-wrap'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table class='tst-export-failure' style='background:#f5f0ff;font:12px sans-serif'>{body}</table>"
