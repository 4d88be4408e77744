"""A partitioned model drawn with its placement: which ops run on the accelerator, which fall
back to the CPU and why, and which edges copy data between the two (with their bytes).

The decisions come from the partition plan (:mod:`toolkit.analysis.partition.plan`), the same
table the partitioner's logs and ``analyze_model`` read, so the picture never disagrees with
what runs. The drawing is the ordinary drawing of the original trace, re-coloured: nodes
get a ``target-*`` mark (accelerator green, CPU orange, both purple), CPU nodes a line with
their reason code, and transfer edges a ``transfer`` mark and a ``cpu→cuda 64 B`` label. A
boundary between segments on the same device copies nothing, so it gets a ``boundary`` mark
instead (the legend of :mod:`toolkit.render.legend` says what each means).
"""

from __future__ import annotations

import dataclasses

from toolkit.analysis.partition.plan import PartitionPlan
from toolkit.render.drawing import Drawing, build_drawing
from toolkit.words import byte_size

__all__ = ["partition_drawing"]


def partition_drawing(plan: PartitionPlan) -> Drawing:
    """The drawing of the plan's traced graph, coloured and labelled by placement."""
    base = build_drawing(plan.graph)
    nodes = []
    for node in base.nodes:
        if node.id.startswith(("in:", "out")):
            nodes.append(node)
            continue
        placement = plan.placement(node.id)
        label = node.label
        if placement.reason:
            label = label + (f"cpu: {placement.reason}",)
        where = placement.target + (f", segment {', '.join(map(str, placement.segments))}" if placement.segments else "")
        tooltip = node.tooltip + f"\nplacement: {where}" + (f"\nwhy: {placement.detail}" if placement.detail else "")
        nodes.append(dataclasses.replace(node, label=label, tooltip=tooltip, marks=node.marks + (f"target-{placement.target}",)))

    crossings: dict[tuple[str, str], tuple[str, str]] = {}
    for row in plan.edges():
        if not row["transfer"]:
            continue
        src = row["producer"] if row["producer"] is not None else f"in:{row['value']}"
        dst = row["consumer"] if row["consumer"] is not None else "out"
        crossings[(_top(src), dst)] = _crossing(row)
    edges = []
    for edge in base.edges:
        found = crossings.get((_top(edge.src), edge.dst if edge.dst == "out" else _top(edge.dst)))
        if found is None:
            edges.append(edge)
        else:
            mark, text = found
            edges.append(dataclasses.replace(edge, label=text or edge.label, marks=edge.marks + (mark,)))
    return dataclasses.replace(base, nodes=tuple(nodes), edges=tuple(edges))


def _top(node_id: str) -> str:
    """The top-level node a drawn box belongs to (plan rows name top-level nodes only)."""
    return node_id if node_id.startswith("in:") else node_id.split(".", 1)[0]


def _crossing(row: dict) -> tuple[str, str]:
    """How an edge the plan hands between a segment and the host is drawn: ``(mark, label)``.

    Between two devices it is a copy: ``transfer``, labelled with the direction and bytes. When
    both ends are the same device (an accelerator that is the CPU itself, as with
    ``device="cpu"``) nothing is copied: the edge is only a segment boundary, drawn as such and
    labelled with its shape, never as a ``cpu→cpu`` copy.
    """
    if row["from_device"] == row["to_device"]:
        return "boundary", ""
    return "transfer", f"{row['from_device']}→{row['to_device']} {byte_size(row['bytes'])}"
