"""A partitioned model drawn with its placement: which ops run on the accelerator, which fall
back to the CPU and why, and which edges copy data between the two (with their bytes).

The decisions come from the partition plan (:mod:`toolkit.analysis.partition.plan`), the same
table the partitioner's logs and ``analyze_model`` read, so the picture never disagrees with
what runs. The drawing is the ordinary drawing of the original trace, re-coloured: nodes
get a ``target-*`` mark (accelerator green, CPU orange, both purple), CPU nodes a line with
their reason code, and transfer edges a ``transfer`` mark and a ``cpu→cuda 64 B`` label.
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

    transfers: dict[tuple[str, str], str] = {}
    for row in plan.edges():
        if not row["transfer"]:
            continue
        src = row["producer"] if row["producer"] is not None else f"in:{row['value']}"
        dst = row["consumer"] if row["consumer"] is not None else "out"
        transfers[(src.split(".", 1)[0] if not src.startswith("in:") else src, dst)] = (
            f"{row['from_device']}→{row['to_device']} {byte_size(row['bytes'])}"
        )
    edges = []
    for edge in base.edges:
        key = (edge.src.split(".", 1)[0] if not edge.src.startswith("in:") else edge.src, edge.dst.split(".", 1)[0] if edge.dst != "out" else edge.dst)
        if key in transfers:
            edges.append(dataclasses.replace(edge, label=transfers[key], marks=edge.marks + ("transfer",)))
        else:
            edges.append(edge)
    return dataclasses.replace(base, nodes=tuple(nodes), edges=tuple(edges))
