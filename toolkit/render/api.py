"""The static view functions: ``graph_view``, ``to_dot``, ``code`` and ``compare_view``.

They accept whatever a student has at hand (a ScriptModule, a ScriptFunction, a
``torch._C.Graph``, an IR :class:`~toolkit.ir.model.Graph`, a :class:`~toolkit.capture.Captured`,
or anything with a ``.module`` holding one of those) and turn it into a view.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from toolkit.analysis.diff import diff_graphs
from toolkit.capture import Captured
from toolkit.capture import script as capture_script
from toolkit.capture import trace as capture_trace
from toolkit.errors import NotTorchScriptError, ScriptingError
from toolkit.ir import build
from toolkit.ir.model import Graph
from toolkit.render.display import CodeView, CompareView, GraphView, code_sections, make_graph_view
from toolkit.render.dot import DotOptions
from toolkit.render.partition_view import build_partition_view, partition_plan_of
from toolkit.render.pipeline_view import build_pipeline_view, is_pipeline

__all__ = ["as_graph", "code", "compare_view", "graph_view", "torch_object", "to_dot"]


def torch_object(obj: Any) -> Any:
    if isinstance(obj, Captured):
        return obj.module
    return obj


def as_graph(obj: Any, *, method: str = "forward", inlined: bool = True) -> Graph:
    """The IR graph for anything the views accept."""
    if isinstance(obj, Graph):
        return obj
    return build.graph(torch_object(obj), method, inlined=inlined)


def graph_view(
    obj: Any,
    *,
    depth: int | None = None,
    expanded: Iterable[str] = (),
    collapsed: Iterable[str] = (),
    marks: Mapping[str, Iterable[str]] | None = None,
    rankdir: str = "TB",
    edge_labels: bool = True,
    method: str = "forward",
    inlined: bool = True,
    per_op: bool | None = None,
) -> GraphView:
    """The static view of a TorchScript graph: modules and ``If``/``Loop`` blocks as clusters.

    Args:
        obj: a ScriptModule, ScriptFunction, ``torch._C.Graph``, IR ``Graph`` or ``Captured``;
            a pipeline (drawn one node per op call) or a partitioned module or its plan (drawn
            with its placement, fallback reasons and transfer edges).
        depth: collapse module clusters nested deeper than this (``None``: expand all).
        expanded, collapsed: cluster keys (``m:layer1``) to force open or shut.
        marks: extra classes per IR node id (``{"n11": ["lost"]}``) to colour nodes.
        rankdir: ``TB`` or ``LR``.
        edge_labels: write tensor shapes on edges.
        method: which method of a module.
        inlined: inline submodule calls (every op visible) or keep ``prim::CallMethod``.
        per_op: for a pipeline, draw one node per op call (the default) rather than its whole
            TorchScript graph.
    """
    options = DotOptions(
        depth=depth,
        expanded=frozenset(expanded),
        collapsed=frozenset(collapsed),
        rankdir=rankdir,
        edge_labels=edge_labels,
    )
    if is_pipeline(obj) and per_op is not False:
        return GraphView(graph=as_graph(obj.module), view=build_pipeline_view(obj), options=options)
    plan = partition_plan_of(torch_object(obj))
    if plan is not None:
        return GraphView(graph=plan.graph, view=build_partition_view(plan), options=options)
    return make_graph_view(as_graph(obj, method=method, inlined=inlined), options, marks)


def to_dot(obj: Any, **options: Any) -> str:
    """DOT source of :func:`graph_view` with the same options."""
    return graph_view(obj, **options).dot


def code(obj: Any) -> CodeView:
    """TorchScript ``.code`` of ``obj`` and of each submodule with its own code, highlighted."""
    target = torch_object(obj)
    if not hasattr(target, "code"):
        raise NotTorchScriptError(
            f"{type(target).__name__} has no TorchScript code. Fix: pass a ScriptModule or"
            " ScriptFunction (toolkit.trace / toolkit.script produce them)."
        )
    name = getattr(target, "original_name", None) or getattr(target, "name", None) or type(target).__name__
    return CodeView(name=str(name), sections=code_sections(target))


def compare_view(model: Any, example_inputs: Any, *, depth: int | None = None) -> CompareView:
    """Trace and script ``model`` and lay the two side by side, marking what the trace lost.

    Every ``prim::If``/``prim::Loop`` the script has and the trace does not is marked *lost*
    (red) on the scripted graph and on its line of code; operations found on one side only
    are marked orange (script) or blue (trace).

    If scripting fails, the trace is shown alone with the reason.
    """
    traced = capture_trace(model, example_inputs)
    traced_graph = as_graph(traced)
    try:
        scripted = capture_script(model)
    except ScriptingError as exc:
        empty = diff_graphs(traced_graph, traced_graph)
        return CompareView(
            name=traced_graph.module_type or traced_graph.name,
            diff=empty,
            traced=make_graph_view(traced_graph, DotOptions(depth=depth)),
            scripted=None,
            traced_code=code(traced),
            scripted_code=None,
            scripting_error=str(exc),
        )
    scripted_graph = as_graph(scripted)
    diff = diff_graphs(traced_graph, scripted_graph)
    script_marks = {node_id: ("only-script",) for node_id in diff.only_in_script}
    script_marks.update({n.id: ("lost",) for n in diff.lost_control_flow})
    trace_marks = {node_id: ("only-trace",) for node_id in diff.only_in_trace}
    options = DotOptions(depth=depth)
    return CompareView(
        name=scripted_graph.module_type or scripted_graph.name,
        diff=diff,
        traced=make_graph_view(traced_graph, options, trace_marks),
        scripted=make_graph_view(scripted_graph, options, script_marks),
        traced_code=code(traced),
        scripted_code=CodeView(
            name=scripted_graph.name,
            sections=code_sections(scripted.module, graph=scripted_graph, lost=diff.lost_control_flow),
        ),
    )
