"""Whatever a student passes, turned once into a :class:`Drawable`: the one dispatch on type.

``toolkit.show``, ``to_dot`` and ``graph_view`` accept an IR :class:`~toolkit.ir.model.Graph`, a
ScriptModule / ScriptFunction / ``torch.Graph`` (a C++ graph), a :class:`~toolkit.capture.Captured`, a
``torch.export.ExportedProgram`` (its code is the program's own readable Python), a pipeline of op calls, or a partitioned module or its
:class:`~toolkit.analysis.partition.plan.PartitionPlan`. Each kind is recognised here, in one
:func:`functools.singledispatch` function, and becomes the same thing: the IR graph, the drawing
built from it, and what the display may add (the module whose ``.code`` goes beside it, and
whether a widget can show it). Nothing after this step asks what the object was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import singledispatch
from typing import Any, Mapping

import torch

from toolkit.analysis.partition.plan import PartitionPlan, plan_in
from toolkit.capture import Captured
from toolkit.ir import build
from toolkit.ir.model import Graph
from toolkit.render.drawing import Drawing, build_drawing
from toolkit.render.options import GraphOptions
from toolkit.render.partition_drawing import partition_drawing
from toolkit.render.pipeline_drawing import is_pipeline, pipeline_drawing

__all__ = ["Drawable", "as_graph", "parameter_table", "to_drawable", "torch_object"]


@dataclass(frozen=True)
class Drawable:
    """An object ready to be drawn.

    Attributes:
        graph: the IR graph behind the drawing.
        drawing: its boxes, clusters and edges.
        code_owner: the ScriptModule (or ExportedProgram) whose code a widget shows beside the
            graph, or ``None`` for the graph's own code.
        is_interactive: whether every box is an IR node a widget can select (not so for a
            pipeline drawn per op call, nor for a partitioned model's placement picture).
        parameters: ``qualified name -> (dtype, shape text)`` of the module's parameters and
            buffers (``layer1.0.conv1.weight -> ("float32", "64×64×1×1")``): the graph's
            ``GetAttr`` values carry no shape, the module does.
    """

    graph: Graph
    drawing: Drawing
    code_owner: Any = None
    is_interactive: bool = True
    parameters: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@singledispatch
def torch_object(obj: Any) -> Any:
    """The TorchScript object behind ``obj`` (a :class:`Captured`'s module; else ``obj``)."""
    return obj


@torch_object.register
def _(obj: Captured) -> Any:
    return obj.module


def as_graph(obj: Any, *, method: str = "forward", inlined: bool = True) -> Graph:
    """The IR graph of ``obj`` (a :class:`Captured` reuses its cached inlined ``forward``)."""
    if isinstance(obj, Graph):
        return obj
    if isinstance(obj, Captured) and method == "forward" and inlined:
        return obj.ir
    return build.graph(torch_object(obj), method, inlined=inlined)


@singledispatch
def to_drawable(obj: Any, options: GraphOptions = GraphOptions()) -> Drawable:
    """``obj`` as a :class:`Drawable` under ``options`` (method, inlining, marks, per-op)."""
    if is_pipeline(obj) and options.per_op is not False:
        return Drawable(as_graph(obj.module), pipeline_drawing(obj), is_interactive=False)
    plan = plan_in(obj)
    if plan is not None:
        return to_drawable(plan, options)
    return _traced_or_scripted(obj, options)


@to_drawable.register
def _(obj: Graph, options: GraphOptions = GraphOptions()) -> Drawable:
    return Drawable(obj, build_drawing(obj, marks=options.marks))


@to_drawable.register
def _(obj: Captured, options: GraphOptions = GraphOptions()) -> Drawable:
    if plan_in(obj.module) is not None:
        return to_drawable(obj.module, options)
    return _traced_or_scripted(obj, options)


@to_drawable.register
def _(obj: torch.export.ExportedProgram, options: GraphOptions = GraphOptions()) -> Drawable:
    graph = build.graph(obj)
    return Drawable(graph, build_drawing(graph, marks=options.marks), code_owner=obj)


@to_drawable.register
def _(obj: PartitionPlan, options: GraphOptions = GraphOptions()) -> Drawable:
    return Drawable(obj.graph, partition_drawing(obj), is_interactive=False)


def _traced_or_scripted(obj: Any, options: GraphOptions) -> Drawable:
    graph = as_graph(obj, method=options.method, inlined=options.inlined)
    target = torch_object(obj)
    owner = target if hasattr(target, "named_modules") and hasattr(target, "code") else None
    return Drawable(
        graph, build_drawing(graph, marks=options.marks), code_owner=owner, parameters=parameter_table(owner)
    )


def parameter_table(module: Any) -> dict[str, tuple[str, str]]:
    """``qualified name -> (dtype, shape text)`` for every parameter and buffer of ``module``."""
    if not isinstance(module, torch.nn.Module):
        return {}
    table: dict[str, tuple[str, str]] = {}
    for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
        dtype = str(tensor.dtype).removeprefix("torch.")
        table[name] = (dtype, "×".join(str(d) for d in tensor.shape) or "scalar")
    return table
