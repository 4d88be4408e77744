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
from toolkit.ir.build import method_code
from toolkit.ir.model import Graph, Node, NodeKind
from toolkit.render.code import code_html, numbered_text
from toolkit.render.collapse import Collapse
from toolkit.render.dot import write_dot
from toolkit.render.drawing import Drawing, build_drawing
from toolkit.render.folds import Fold, all_folds
from toolkit.render.legend import key_html
from toolkit.render.mime import filter_bundle
from toolkit.render.opening import level_name, open_options
from toolkit.render.options import DotOptions
from toolkit.render.saved_picture import inline_svgs_as_images, picture_html
from toolkit.render.svg import dot_to_svg

__all__ = ["CodeSection", "CodeView", "CompareView", "GraphView"]


@dataclass(frozen=True)
class GraphView:
    """A drawn TorchScript graph.

    It draws what the live widget would show for the same options: identical repeats and
    library control flow folded (:mod:`toolkit.render.folds`), and, when the caller chose no
    depth or expansion (``options.auto``), opened where the widget opens
    (:func:`toolkit.render.opening.open_options`), so a saved notebook's picture is the view
    the student saw, and ``dot`` never lays out a fully expanded GPT-2 by default.

    Attributes:
        graph: the IR graph drawn.
        drawing: the drawing (plain data) built from it.
        options: how it is drawn (depth, expanded and collapsed clusters, ...); never ``auto``
            once built (an auto opening is settled here).
        notice: why the view opened the way it did (empty when it opened as asked).
        folds: every fold of the drawing (identical repeats, then library control flow); found
            from the drawing when not given.
        parameters: ``qualified name -> (dtype, shape text)`` of the module's parameters and
            buffers, for the widget's details (empty when the view has no module).
    """

    graph: Graph
    drawing: Drawing
    options: DotOptions = field(default_factory=DotOptions)
    notice: str = ""
    parameters: Mapping[str, tuple[str, str]] = field(default_factory=dict, compare=False)
    folds: tuple[Fold, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        # Folds belong to the drawing: found once, and carried by dataclasses.replace(view, options=...).
        if not self.folds:
            object.__setattr__(self, "folds", all_folds(self.drawing))
        if self.options.auto:
            options, notice = open_options(self.drawing, self.options, self.folds)
            object.__setattr__(self, "options", options)
            object.__setattr__(self, "notice", self.notice or notice)

    @cached_property
    def collapse(self) -> Collapse:
        """Which clusters ``options`` open and close (the widget's rule), for every writer below."""
        return Collapse(self.drawing, self.options, folds=self.folds, closes_control_flow=True)

    @cached_property
    def dot(self) -> str:
        """The DOT source."""
        return write_dot(self.drawing, self.options, collapse=self.collapse)

    def svg(self) -> str:
        """The laid-out SVG; raises :class:`MissingDependencyError` without Graphviz."""
        return dot_to_svg(self.dot)

    def visible_node_count(self) -> int:
        """Boxes drawn: nodes drawn as themselves, plus one per outermost closed module or fold."""
        return self.collapse.drawn_count

    def summary(self) -> str:
        """One line: boxes drawn (the count the widget shows), how it opened, control flow."""
        control = sum(1 for n in self.graph.walk() if n.kind.is_control_flow)
        drawn, every = self.visible_node_count(), self.drawing.box_count()
        parts = [f"{drawn} nodes drawn"]
        if drawn < every:
            depth = self.options.depth
            how = f"depth {level_name(depth)}" if depth is not None else "repeats and library code folded"
            parts[0] += f" ({how}; {every} with everything open)"
        if control:
            parts.append(f"{control} prim::If/prim::Loop")
        return f"<GraphView {self.graph.name} ({self.graph.origin.value}): {', '.join(parts)}>"

    def picture_bundle(self, *, note: str = "", text: str | None = None) -> dict[str, Any]:
        """The mime bundle of this picture: ``text`` (the summary by default) as ``text/plain``, the
        SVG, and the same SVG as a sanitiser-proof image with ``note`` under it (what an untrusted
        notebook shows); the text says why when there is no picture (no Graphviz)."""
        bundle: dict[str, Any] = {"text/plain": self.summary() if text is None else text}
        try:
            bundle["image/svg+xml"] = self.svg()
            bundle["text/html"] = picture_html(bundle["image/svg+xml"], title=self.summary(), note=note)
        except MissingDependencyError as exc:
            bundle["text/plain"] += f"\n(no picture: {exc})"
        return bundle

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        return filter_bundle(self.picture_bundle(), include, exclude)

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
    """Trace and script side by side, with what the trace lost marked on both.

    Either side may be missing, shown as why it could not be built: ``traced`` is ``None`` (with
    ``trace_error``) when tracing failed on a model that runs eagerly, ``scripted`` is ``None``
    (with ``scripting_error``) when scripting failed. ``diff`` then compares the side that was
    built with itself (nothing lost), so every reader of it keeps working.
    """

    name: str
    diff: GraphDiff
    traced: GraphView | None
    scripted: GraphView | None
    traced_code: CodeView
    scripted_code: CodeView | None
    scripting_error: str = ""
    trace_error: str = ""

    def summary(self) -> str:
        if self.traced is None:
            return f"{self.name}: tracing failed ({self.trace_error}); showing the script only."
        if self.scripted is None:
            return f"{self.name}: scripting failed ({self.scripting_error}); showing the trace only."
        return self.diff.summary()

    def html(self) -> str:
        def svg_or_note(view: GraphView) -> str:
            try:
                return view.svg()
            except MissingDependencyError as exc:
                return f"<pre>{html.escape(str(exc))}</pre>"

        def side(view: GraphView | None, code: CodeView | None, error: str) -> str:
            if view is None or code is None:
                return f"<pre style='white-space:pre-wrap'>{html.escape(error)}</pre>"
            return svg_or_note(view) + code.html()

        legend = key_html(("lost", "only-script", "only-trace"))
        # The summary never pushes the graphs out of sight: a long one scrolls in its own box.
        return (
            "<div class='tst-compare'><div style='font:12px sans-serif;margin:4px 0'>"
            f"<div class='tst-compare-summary' style='max-height:9em;overflow:auto;white-space:pre-wrap'>"
            f"<b>{html.escape(self.name)}</b>: {html.escape(self.summary())}</div>{legend}</div>"
            "<table style='width:100%;table-layout:fixed'><tr>"
            "<th style='text-align:left'>torch.jit.trace</th><th style='text-align:left'>torch.jit.script</th></tr>"
            "<tr><td style='vertical-align:top;overflow:auto;text-align:left'>"
            f"{side(self.traced, self.traced_code, self.trace_error)}</td>"
            "<td style='vertical-align:top;overflow:auto;text-align:left'>"
            f"{side(self.scripted, self.scripted_code, self.scripting_error)}</td></tr></table></div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        # Graphs as images, so an untrusted notebook's sanitiser keeps them (render/saved_picture.py).
        markup = inline_svgs_as_images(self.html(), title=self.summary(), note="")
        return filter_bundle({"text/html": markup, "text/plain": self.summary()}, include, exclude)

    def __repr__(self) -> str:
        if self.traced is None:
            return f"<CompareView {self.name}: script only (tracing failed)>"
        return f"<CompareView {self.name}: {len(self.diff.user_losses)} lost control-flow node(s) in your code>"


# ---------------------------------------------------------------------------------------------
# Code sections: one per module that has its own TorchScript code
# ---------------------------------------------------------------------------------------------

_CONTROL_LINE = {NodeKind.IF: re.compile(r"^\s*if\b"), NodeKind.LOOP: re.compile(r"^\s*(for|while)\b")}


def code_sections(
    obj: Any, *, graph: Graph | None = None, lost: Iterable[Node] = (), method: str = "forward"
) -> tuple[CodeSection, ...]:
    """The ``method`` code of ``obj`` (``forward`` by default) and the ``forward`` of each submodule with its own code.

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
        shown = method if not path_text else "forward"
        path = tuple(p for p in path_text.split(".") if p)
        for compiled, text in _method_texts(module, shown):
            if isinstance(module, torch.jit.ScriptFunction):
                # torch's stub declares ScriptFunction.name as a method; at runtime it is a str property.
                title = cast(str, module.name)
            else:
                type_name = getattr(module, "original_name", type(module).__name__)
                title = f"{path_text} ({type_name}).{compiled}" if path_text else f"{type_name}.{compiled}"
            marks = _control_marks(text, control_by_scope.get(path, []), lost_ids)
            sections.append(CodeSection(title=title, path=path, text=text, marks=marks))
    return tuple(sections)


def _method_texts(module: Any, method: str) -> tuple[tuple[str, str], ...]:
    """``(compiled name, code)`` of ``module``'s ``method``: one pair, or one per overload.

    A scripted ``nn.LSTM``/``GRU``/``RNN`` has no ``forward``, only the overloads
    ``forward__0``/``forward__1``, and its ``.code`` raises; :func:`toolkit.ir.build.method_code`
    reads each overload instead.
    """
    text = _forward_code(module) if method == "forward" else _forward_code(getattr(module, method, None))
    if text:
        return ((method, text),)
    if isinstance(module, torch.jit.ScriptModule):
        return method_code(module, method)
    return ()


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
