"""The static view functions: ``graph_view``, ``to_dot``, ``code`` and ``compare_view``.

Each takes what a student has at hand and resolves it once (:func:`~toolkit.render.drawable.to_drawable`);
from there the route is the same for every kind of object: drawable -> drawing -> static view.
``compare_view`` takes results that are already captured: tracing and scripting happen above
the render layer (:func:`toolkit.compare`), so drawing never runs the user's model.
"""

from __future__ import annotations

from typing import Any

import torch

from toolkit.analysis.diff import diff_export, diff_graphs
from toolkit.capture import Captured
from toolkit.errors import NotTorchScriptError, ViewOptionError
from toolkit.ir import build
from toolkit.ir.build_export import is_exported_program
from toolkit.ir.exporting import ExportFailure
from toolkit.ir.model import Graph, Node
from toolkit.render.display import (
    CodeView,
    CompareView,
    GraphView,
    code_sections,
    exported_code_sections,
    make_graph_view,
)
from toolkit.render.drawable import Drawable, as_graph, to_drawable, torch_object
from toolkit.render.export_compare import ExportCompareView, side_summaries
from toolkit.render.options import DotOptions, GraphOptions

__all__ = ["as_graph", "code", "compare_view", "export_compare_view", "graph_view", "graph_view_of", "to_dot"]


def graph_view(obj: Any, *, options: GraphOptions | DotOptions | None = None, **keywords: Any) -> GraphView:
    """The static view of a TorchScript graph: modules and ``If``/``Loop`` blocks as clusters.

    Args:
        obj: a ScriptModule, ScriptFunction, ``torch.Graph`` (a C++ graph), IR ``Graph`` or ``Captured``;
            a pipeline (drawn one node per op call) or a partitioned module or its plan (drawn
            with its placement, fallback reasons and transfer edges).
        options: a :class:`GraphOptions` (or just its :class:`DotOptions`) to start from.
        **keywords: any field of the options by name, checked once
            (:meth:`GraphOptions.from_keywords`): ``depth`` (collapse module clusters nested
            deeper; ``None`` expands all), ``expanded``/``collapsed`` (cluster keys such as
            ``m:layer1`` to force open or shut), ``marks`` (``{"n11": ["lost"]}``), ``rankdir``
            (``TB`` or ``LR``), ``edge_labels`` (tensor shapes on edges), ``method``, ``inlined``
            (every op visible, or ``prim::CallMethod`` kept), ``per_op`` (a pipeline per op call).

    Raises:
        ViewOptionError: an unknown keyword or a bad value.
    """
    chosen = GraphOptions.from_keywords(options, **keywords)
    return graph_view_of(to_drawable(obj, chosen), chosen.dot)


def graph_view_of(drawable: Drawable, options: DotOptions) -> GraphView:
    """The static view of an already resolved object."""
    return GraphView(graph=drawable.graph, drawing=drawable.drawing, options=options, parameters=drawable.parameters)


def to_dot(obj: Any, **options: Any) -> str:
    """DOT source of :func:`graph_view` with the same options."""
    return graph_view(obj, **options).dot


def code(obj: Any) -> CodeView:
    """TorchScript ``.code`` of ``obj`` and of each submodule with its own code, highlighted.

    For a ``torch.export.ExportedProgram``: its graph module's Python code, then each
    ``torch.cond`` branch's and loop body's code, in one section whose lines the graph's nodes
    link to (``Node.code_line``).
    """
    target = torch_object(obj)
    if is_exported_program(target):
        g = build.graph(target)
        return CodeView(name=g.name, sections=exported_code_sections(g))
    if not isinstance(target, torch.jit.ScriptModule) and not hasattr(target, "code"):
        raise NotTorchScriptError(
            f"{type(target).__name__} has no TorchScript code. Fix: pass a ScriptModule or"
            " ScriptFunction (toolkit.trace / toolkit.script produce them), or a torch.export.ExportedProgram."
        )
    name = getattr(target, "original_name", None) or getattr(target, "name", None) or type(target).__name__
    return CodeView(name=str(name), sections=code_sections(target))


def compare_view(
    traced: Captured | None,
    scripted: Captured | None,
    *,
    scripting_error: str = "",
    trace_error: str = "",
    depth: int | None = None,
    method: str = "forward",
) -> CompareView:
    """A trace and a script of one model side by side, marking what the trace lost.

    Every ``prim::If``/``prim::Loop`` of the user's code that the script has, the trace does not,
    and that depends on the inputs is marked *lost* (red) on the scripted graph and on its line of
    code; the ones library code or the module's settings decide are marked as script-only
    (orange), like operations found on the script side only; blue marks the trace's own.

    Args:
        traced: the trace (:func:`toolkit.capture.trace`), or ``None`` when tracing failed.
        scripted: the script, or ``None`` when scripting failed.
        scripting_error, trace_error: why that side failed; shown in its place.
        depth: collapse module clusters nested deeper than this on both sides.
        method: the method drawn on both sides.

    Raises:
        ViewOptionError: neither side was built (nothing to draw), or a bad ``depth``.
    """
    options = GraphOptions.from_keywords(depth=depth, method=method).dot
    if traced is None:
        if scripted is None:
            raise ViewOptionError(
                f"compare_view needs a trace or a script; both failed ({trace_error or scripting_error})."
                " Fix: pass the toolkit.trace or toolkit.script result that worked."
            )
        return _one_side(scripted, options, method, trace_error=trace_error)
    if scripted is None:
        return _one_side(traced, options, method, scripting_error=scripting_error)
    traced_graph = as_graph(traced, method=method)
    scripted_graph = as_graph(scripted, method=method)
    diff = diff_graphs(traced_graph, scripted_graph)
    user_lost = diff.user_losses
    script_marks = {node_id: ("only-script",) for node_id in diff.only_in_script}
    script_marks.update({n.id: ("lost",) for n in user_lost})
    trace_marks = {node_id: ("only-trace",) for node_id in diff.only_in_trace}
    return CompareView(
        name=scripted_graph.module_type or scripted_graph.name,
        diff=diff,
        traced=make_graph_view(traced_graph, options, trace_marks),
        scripted=make_graph_view(scripted_graph, options, script_marks),
        traced_code=_code_of(traced, traced_graph, (), method),
        scripted_code=_code_of(scripted, scripted_graph, user_lost, method),
    )


def _one_side(
    built: Captured, options: DotOptions, method: str, *, trace_error: str = "", scripting_error: str = ""
) -> CompareView:
    """The compare view of the one side that was built, the other shown as its error."""
    graph = as_graph(built, method=method)
    view = make_graph_view(graph, options)
    is_trace = built.how == "traced"
    return CompareView(
        name=graph.module_type or graph.name,
        diff=diff_graphs(graph, graph),
        traced=view if is_trace else None,
        scripted=None if is_trace else view,
        traced_code=_code_of(built, graph, (), method) if is_trace else CodeView(name=graph.name, sections=()),
        scripted_code=None if is_trace else _code_of(built, graph, (), method),
        scripting_error=scripting_error,
        trace_error=trace_error,
    )


def _code_of(captured: Captured, graph: Graph, lost: tuple[Node, ...], method: str) -> CodeView:
    """``captured``'s TorchScript code, ``method`` first, ``lost`` marked on its lines."""
    return CodeView(name=graph.name, sections=code_sections(captured.module, graph=graph, lost=lost, method=method))


def export_compare_view(
    traced: Captured | None,
    scripted: Captured | None,
    exported: Any,
    *,
    trace_error: str = "",
    scripting_error: str = "",
    export_failure: ExportFailure | None = None,
    depth: int | None = None,
) -> ExportCompareView:
    """Trace, script and export of one model side by side, what each keeps and loses marked.

    On the script, the ``If``/``Loop`` the trace lost is marked *lost* and the ``If`` at the
    line export refused *needs-cond*; on the export, each ``torch.cond`` / ``while_loop`` /
    ``map`` is marked *kept* (on its graph node and its code line).

    Args:
        traced, scripted: the captures, or ``None`` where that side failed (with its error).
        exported: the ``torch.export.ExportedProgram``, or ``None`` with ``export_failure``.
        depth: collapse module clusters nested deeper than this on every side.
    """
    options = GraphOptions.from_keywords(depth=depth).dot
    traced_graph = as_graph(traced) if traced is not None else None
    scripted_graph = as_graph(scripted) if scripted is not None else None
    exported_graph = build.graph(exported) if exported is not None else None
    diff = diff_graphs(traced_graph, scripted_graph) if traced_graph and scripted_graph else None
    reference = scripted_graph or traced_graph
    export_diff = diff_export(exported_graph, reference) if exported_graph and reference else None

    script_marks: dict[str, tuple[str, ...]] = {}
    if scripted_graph is not None:
        lost = {n.id for n in diff.user_losses} if diff is not None else set()
        refused = _refused_here(scripted_graph, export_failure)
        for n in scripted_graph.walk():
            marks = (("lost",) if n.id in lost else ()) + (("needs-cond",) if n.id in refused else ())
            if marks:
                script_marks[n.id] = marks
    trace_marks = {node_id: ("only-trace",) for node_id in diff.only_in_trace} if diff is not None else {}
    kept = export_diff.kept_control_flow if export_diff is not None else (
        tuple(n for n in exported_graph.walk() if n.kind.is_control_flow) if exported_graph else ()
    )
    export_marks = {n.id: ("kept",) for n in kept}
    built = [g for g in (scripted_graph, traced_graph, exported_graph) if g is not None]
    name = built[0].module_type if built else (export_failure.model if export_failure is not None else "model")
    return ExportCompareView(
        name=name,
        rows=side_summaries(
            traced=traced_graph, scripted=scripted_graph, exported=exported_graph, diff=diff,
            trace_error=trace_error, scripting_error=scripting_error, export_failure=export_failure,
        ),
        traced=make_graph_view(traced_graph, options, trace_marks) if traced_graph else None,
        scripted=make_graph_view(scripted_graph, options, script_marks) if scripted_graph else None,
        exported=make_graph_view(exported_graph, options, export_marks) if exported_graph else None,
        traced_code=code(traced) if traced is not None else None,
        scripted_code=CodeView(
            name=scripted_graph.name,
            sections=code_sections(
                scripted.module, graph=scripted_graph, lost=diff.user_losses if diff is not None else ()
            ),
        ) if scripted is not None and scripted_graph is not None else None,
        exported_code=CodeView(
            name=exported_graph.name,
            sections=exported_code_sections(
                exported_graph, marks={n.code_line: ("kept",) for n in kept if n.code_line is not None}
            ),
        ) if exported_graph is not None else None,
        trace_error=trace_error,
        scripting_error=scripting_error,
        export_failure=export_failure,
        diff=diff,
        export_diff=export_diff,
    )


def _refused_here(g: Graph, failure: ExportFailure | None) -> set[str]:
    """Ids of the control-flow nodes of ``g`` on the line export refused."""
    if failure is None or failure.line is None:
        return set()

    def on_line(n: Node) -> bool:
        return n.source is not None and n.source.line == failure.line and n.source.file == failure.file

    return {n.id for n in g.walk() if n.kind.is_control_flow and on_line(n)}
