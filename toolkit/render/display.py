"""Displayable objects: graph, code and trace-versus-script views for notebooks.

One display path: every view implements ``_repr_mimebundle_`` with a rich form (SVG or HTML)
and a ``text/plain`` fallback, honouring Jupyter's ``include``/``exclude``. A saved notebook
therefore shows its graphs on GitHub and in nbconvert, and a machine without Graphviz still
gets the text form plus a note saying how to install it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Mapping, cast

import torch

from toolkit.analysis.diff import GraphDiff
from toolkit.errors import MissingDependencyError
from toolkit.ir.model import Graph, Node, NodeKind
from toolkit.render.code import code_html, numbered_text
from toolkit.render.collapse import Collapse
from toolkit.render.dot import write_dot
from toolkit.render.drawing import Drawing, build_drawing
from toolkit.render.mime import filter_bundle
from toolkit.render.options import DotOptions
from toolkit.render.svg import dot_to_svg

__all__ = ["CodeSection", "CodeView", "CompareView", "GraphView"]


@dataclass(frozen=True)
class GraphView:
    """A drawn TorchScript graph.

    Attributes:
        graph: the IR graph drawn.
        drawing: the drawing (plain data) built from it.
        options: how it is drawn (depth, expanded and collapsed clusters, ...).
    """

    graph: Graph
    drawing: Drawing
    options: DotOptions = field(default_factory=DotOptions)

    @cached_property
    def collapse(self) -> Collapse:
        """Which clusters ``options`` open and close, for every writer below."""
        return Collapse(self.drawing, self.options)

    @cached_property
    def dot(self) -> str:
        """The DOT source."""
        return write_dot(self.drawing, self.options, collapse=self.collapse)

    def svg(self) -> str:
        """The laid-out SVG; raises :class:`MissingDependencyError` without Graphviz."""
        return dot_to_svg(self.dot)

    def visible_node_count(self) -> int:
        """Nodes drawn as themselves, plus one box per outermost collapsed module."""
        return self.collapse.drawn_count

    def summary(self) -> str:
        control = sum(1 for n in self.graph.walk() if n.kind.is_control_flow)
        collapsed = len(self.collapse.closing_modules)
        parts = [f"{self.visible_node_count()} nodes drawn"]
        if collapsed:
            parts.append(f"{collapsed} module(s) collapsed")
        if control:
            parts.append(f"{control} prim::If/prim::Loop")
        return f"<GraphView {self.graph.name} ({self.graph.origin.value}): {', '.join(parts)}>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/plain": self.summary()}
        try:
            bundle["image/svg+xml"] = self.svg()
        except MissingDependencyError as exc:
            bundle["text/plain"] += f"\n(no picture: {exc})"
        return filter_bundle(bundle, include, exclude)

    def __repr__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class CodeSection:
    """The TorchScript code of one module (or function) method."""

    title: str
    path: tuple[str, ...]
    text: str
    marks: Mapping[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class CodeView:
    """TorchScript ``.code``, highlighted and numbered, one section per scripted module."""

    name: str
    sections: tuple[CodeSection, ...]

    @property
    def text(self) -> str:
        """All sections' code as plain text."""
        return "\n".join(s.text for s in self.sections)

    def html(self) -> str:
        body = "".join(
            code_html(s.text, marks={k: v for k, v in s.marks.items()}, title=s.title) for s in self.sections
        )
        return f"<div class='tst-code-view'>{body}</div>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        plain = "\n\n".join(f"# {s.title}\n{numbered_text(s.text)}" for s in self.sections)
        return filter_bundle({"text/html": self.html(), "text/plain": plain}, include, exclude)

    def __repr__(self) -> str:
        return f"<CodeView {self.name}: {len(self.sections)} section(s)>"


@dataclass(frozen=True)
class CompareView:
    """Trace and script side by side, with what the trace lost marked on both."""

    name: str
    diff: GraphDiff
    traced: GraphView
    scripted: GraphView | None
    traced_code: CodeView
    scripted_code: CodeView | None
    scripting_error: str = ""

    def summary(self) -> str:
        if self.scripted is None:
            return f"{self.name}: scripting failed ({self.scripting_error}); showing the trace only."
        return self.diff.summary()

    def html(self) -> str:
        def svg_or_note(view: GraphView) -> str:
            try:
                return view.svg()
            except MissingDependencyError as exc:
                return f"<pre>{html.escape(str(exc))}</pre>"

        left = svg_or_note(self.traced) + self.traced_code.html()
        if self.scripted is not None and self.scripted_code is not None:
            right = svg_or_note(self.scripted) + self.scripted_code.html()
        else:
            right = f"<pre>{html.escape(self.scripting_error)}</pre>"
        legend = (
            "<span style='background:#ffd6d6;padding:0 4px'>lost by the trace</span> "
            "<span style='background:#ffe3c2;padding:0 4px'>only in the script</span> "
            "<span style='background:#d6ecff;padding:0 4px'>only in the trace</span>"
        )
        return (
            f"<div class='tst-compare'><div style='font:12px sans-serif;margin:4px 0'>"
            f"<b>{html.escape(self.name)}</b>: {html.escape(self.summary())}<br>{legend}</div>"
            "<table style='width:100%;table-layout:fixed'><tr>"
            "<th style='text-align:left'>torch.jit.trace</th><th style='text-align:left'>torch.jit.script</th></tr>"
            f"<tr><td style='vertical-align:top;overflow:auto;text-align:left'>{left}</td>"
            f"<td style='vertical-align:top;overflow:auto;text-align:left'>{right}</td></tr></table></div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        return filter_bundle({"text/html": self.html(), "text/plain": self.summary()}, include, exclude)

    def __repr__(self) -> str:
        return f"<CompareView {self.name}: {len(self.diff.lost_control_flow)} lost control-flow node(s)>"


# ---------------------------------------------------------------------------------------------
# Code sections: one per module that has its own TorchScript code
# ---------------------------------------------------------------------------------------------

_CONTROL_LINE = {NodeKind.IF: re.compile(r"^\s*if\b"), NodeKind.LOOP: re.compile(r"^\s*(for|while)\b")}


def code_sections(obj: Any, *, graph: Graph | None = None, lost: Iterable[Node] = ()) -> tuple[CodeSection, ...]:
    """The ``forward`` code of ``obj`` and of each submodule with its own code.

    Lost control-flow nodes are marked on the ``if``/``for`` line of their module's code.
    TorchScript prints control flow in source order, so within one module the k-th
    ``prim::If`` of ``graph`` (ordered by source line) is the k-th ``if`` line of its code.
    """
    lost_ids = {n.id for n in lost}
    control_by_scope: dict[tuple[str, ...], list[Node]] = {}
    for n in graph.walk() if graph is not None else ():
        if n.kind.is_control_flow:
            control_by_scope.setdefault(n.scope.path, []).append(n)
    sections: list[CodeSection] = []
    modules = list(obj.named_modules()) if hasattr(obj, "named_modules") else [("", obj)]
    for path_text, module in modules:
        text = _forward_code(module)
        if not text:
            continue
        path = tuple(p for p in path_text.split(".") if p)
        if isinstance(module, torch.jit.ScriptFunction):
            # torch's stub declares ScriptFunction.name as a method; at runtime it is a str property.
            title = cast(str, module.name)
        else:
            type_name = getattr(module, "original_name", type(module).__name__)
            title = f"{path_text} ({type_name}).forward" if path_text else f"{type_name}.forward"
        marks = _control_marks(text, control_by_scope.get(path, []), lost_ids)
        sections.append(CodeSection(title=title, path=path, text=text, marks=marks))
    return tuple(sections)


def exported_code_sections(g: Graph, *, marks: Mapping[int, tuple[str, ...]] | None = None) -> tuple[CodeSection, ...]:
    """An exported program's code as one section: the text its nodes' ``code_line`` index."""
    if not g.code:
        return ()
    return (CodeSection(title=f"{g.name} (torch.export)", path=(), text=g.code, marks=dict(marks or {})),)


def _forward_code(module: Any) -> str:
    try:
        return module.code
    except (AttributeError, RuntimeError):
        return ""


def _control_marks(text: str, control: list[Node], lost_ids: set[str]) -> dict[int, tuple[str, ...]]:
    marks: dict[int, tuple[str, ...]] = {}
    lines = text.splitlines()
    for kind, pattern in _CONTROL_LINE.items():
        by_line: dict[int, bool] = {}
        for n in control:
            if n.kind is kind and n.source is not None:
                by_line[n.source.line] = by_line.get(n.source.line, False) or n.id in lost_ids
        code_lines = [i for i, line in enumerate(lines, start=1) if pattern.match(line)]
        for code_line, (_, is_lost) in zip(code_lines, sorted(by_line.items())):
            if is_lost:
                marks[code_line] = ("lost",)
    return marks


def make_graph_view(g: Graph, options: DotOptions, marks: Mapping[str, Iterable[str]] | None = None) -> GraphView:
    """The static view of IR graph ``g`` with extra classes per node id."""
    return GraphView(graph=g, drawing=build_drawing(g, marks=marks), options=options)
