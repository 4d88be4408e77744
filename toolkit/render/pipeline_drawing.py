"""A pipeline drawn one box per op call: the picture a Matx user expects of a pipeline.

A pipeline's TorchScript graph is the whole program, pre- and post-processing included; what a
reader wants first is its shape: which inference ops run, in which order, on which device, and
which inputs feed them. The pipeline object carries that as plain data (``ops``, ``inputs``,
``outputs``, each op call with the names it ``depends_on``), so this module needs nothing from
``toolkit.pipeline`` and reads it by duck typing.
"""

from __future__ import annotations

from typing import Any

from toolkit.render.drawing import Box, Drawing, Edge

__all__ = ["is_pipeline", "pipeline_drawing"]


def is_pipeline(obj: Any) -> bool:
    """True for objects that describe themselves as a pipeline of op calls."""
    return all(hasattr(obj, name) for name in ("ops", "inputs", "outputs", "module")) and not callable(
        getattr(obj, "ops")
    )


def pipeline_drawing(pipeline: Any) -> Drawing:
    """One input node per parameter, one node per op call, one output node per output."""
    nodes: list[Box] = []
    edges: list[Edge] = []
    node_of: dict[str, str] = {}
    for item in pipeline.inputs:
        node_id = f"in:{item.name}"
        node_of[item.name] = node_id
        nodes.append(Box(id=node_id, kind="input", label=(item.name, item.type), tooltip=f"input {item.name}: {item.type}"))
    device_of: dict[str, str] = {}  # op call -> the device its output is left on
    for call in pipeline.ops:
        node_of[call.name] = call.name
        returns_to_cpu = call.output_to_cpu and call.device != "cpu"
        device_of[call.name] = "cpu" if returns_to_cpu else call.device
        where = call.device + (" → cpu" if returns_to_cpu else "")
        nodes.append(
            Box(
                id=call.name,
                kind="call",
                label=(call.name,) + ((f"op {call.op}",) if call.op != call.name else ()) + (where,),
                tooltip=f"InferenceOp {call.op} on {call.device}; output_to_cpu={call.output_to_cpu}",
                op="InferenceOp",
                marks=(_device_mark(call.device),),
            )
        )
        for source in call.depends_on:
            if source in node_of:
                edges.append(_edge(node_of[source], call.name, device_of.get(source), call.device))
    for output in pipeline.outputs:
        node_id = f"out:{output.name}"
        nodes.append(Box(id=node_id, kind="output", label=(output.name,), tooltip=f"output {output.name}"))
        for source in output.depends_on:
            if source in node_of:
                edges.append(Edge(node_of[source], node_id))
    return Drawing(name=getattr(pipeline, "name", "pipeline"), nodes=tuple(nodes), clusters=(), edges=tuple(edges))


def _device_mark(device: str) -> str:
    """The placement colour of an op call: the partition drawing's, so one legend reads both."""
    return "target-cpu" if device == "cpu" else "target-accelerator"


def _edge(src: str, dst: str, held_on: str | None, runs_on: str) -> Edge:
    """A plain edge, or a ``transfer`` one labelled ``cuda→cpu`` when the reader runs elsewhere.

    An op call moves what it reads onto its own device, so an edge from an op call whose output
    is left on another device is a copy the reader should see (its size is known only at run
    time). ``held_on`` is ``None`` for a pipeline input: the caller decides where that lives.
    """
    if held_on is None or held_on == runs_on:
        return Edge(src, dst)
    return Edge(src, dst, label=f"{held_on}→{runs_on}", marks=("transfer",))
