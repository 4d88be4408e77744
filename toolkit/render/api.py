"""The static view functions: ``graph_view``, ``to_dot``, ``code`` and ``compare_view``.

Each takes what a student has at hand and resolves it once (:func:`~toolkit.render.drawable.to_drawable`);
from there the route is the same for every kind of object: drawable -> drawing -> static view.
``compare_view`` takes results that are already captured: tracing and scripting happen above
the render layer (:func:`toolkit.compare`), so drawing never runs the user's model.
"""

from __future__ import annotations

from typing import Any

from toolkit.analysis.diff import diff_graphs
from toolkit.capture import Captured
from toolkit.errors import NotTorchScriptError
from toolkit.render.display import CodeView, CompareView, GraphView, code_sections, make_graph_view
from toolkit.render.drawable import Drawable, as_graph, to_drawable, torch_object
from toolkit.render.options import DotOptions, GraphOptions

__all__ = ["as_graph", "code", "compare_view", "graph_view", "graph_view_of", "to_dot"]


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
    return GraphView(graph=drawable.graph, drawing=drawable.drawing, options=options)


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


def compare_view(
    traced: Captured, scripted: Captured | None, *, scripting_error: str = "", depth: int | None = None
) -> CompareView:
    """A trace and a script of one model side by side, marking what the trace lost.

    Every ``prim::If``/``prim::Loop`` the script has and the trace does not is marked *lost*
    (red) on the scripted graph and on its line of code; operations found on one side only
    are marked orange (script) or blue (trace).

    Args:
        traced: the trace (:func:`toolkit.capture.trace`).
        scripted: the script, or ``None`` when scripting failed.
        scripting_error: why scripting failed; shown instead of the script.
        depth: collapse module clusters nested deeper than this on both sides.
    """
    options = GraphOptions.from_keywords(depth=depth).dot
    traced_graph = as_graph(traced)
    if scripted is None:
        return CompareView(
            name=traced_graph.module_type or traced_graph.name,
            diff=diff_graphs(traced_graph, traced_graph),
            traced=make_graph_view(traced_graph, options),
            scripted=None,
            traced_code=code(traced),
            scripted_code=None,
            scripting_error=scripting_error,
        )
    scripted_graph = as_graph(scripted)
    diff = diff_graphs(traced_graph, scripted_graph)
    script_marks = {node_id: ("only-script",) for node_id in diff.only_in_script}
    script_marks.update({n.id: ("lost",) for n in diff.lost_control_flow})
    trace_marks = {node_id: ("only-trace",) for node_id in diff.only_in_trace}
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
