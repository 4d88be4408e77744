"""Compare our partition with other partitioners on the same decisions.

Given the same set of accelerator ops, three other answers to "how many accelerator segments,
how many copies per inference":

- :func:`fx_segment_count`: torch.fx's ``CapabilityBasedPartitioner`` (greedy, cycle-checked
  merging), run on an fx graph built from the dependency DAG of our anchored nodes.
- :func:`linear_scan`: a naive scan in graph order that starts a new segment whenever the
  target changes, with every node (views and shape ops too) staying in the segment it was
  met in, and every accelerator segment reading its inputs from and writing its outputs to the
  host (torch-neuron's subgraph calls), so nothing stays on the device between segments.

These are measuring tools for tests and ``bench/partition.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.fx
from torch.fx.passes.infra.partitioner import CapabilityBasedPartitioner
from torch.fx.passes.operator_support import create_op_support

from collections import defaultdict

from toolkit.analysis.partition import Proposal, Role, Target, anchored_dependencies

__all__ = ["fx_segment_count", "LinearScan", "linear_scan"]


def _anchored_op(*args):  # the fx graph is only partitioned, never run
    return None


def fx_segment_count(proposal: Proposal) -> int:
    """How many accelerator partitions ``CapabilityBasedPartitioner`` makes for the nodes
    ``proposal`` placed on the accelerator (single-node partitions allowed, so both see the
    same set of ops)."""
    graph, roles = proposal.graph, proposal.roles
    position = {n.id: i for i, n in enumerate(graph.nodes)}
    preds = anchored_dependencies(graph, roles)
    fx_graph = torch.fx.Graph()
    source = fx_graph.placeholder("inputs")
    made: dict[str, torch.fx.Node] = {}
    for n in graph.nodes:
        if not roles[n.id].is_anchored:
            continue
        args = tuple(made[p] for p in sorted(preds[n.id], key=position.__getitem__)) or (source,)
        node = fx_graph.call_function(_anchored_op, args)
        node.meta["toolkit_id"] = n.id
        node.meta["accelerator"] = proposal.decisions[n.id].target is Target.ACCELERATOR
        made[n.id] = node
    users = {p for ps in preds.values() for p in ps}
    fx_graph.output(tuple(node for nid, node in made.items() if nid not in users))
    module = torch.fx.GraphModule(torch.nn.Module(), fx_graph)
    support = create_op_support(lambda _submodules, node: bool(node.meta.get("accelerator", False)))
    partitioner = CapabilityBasedPartitioner(module, support, allows_single_node_partition=True)
    return len(partitioner.propose_partitions())


@dataclass(frozen=True)
class LinearScan:
    """The naive baseline's result: accelerator segment count and copies per inference."""

    accelerator_segments: int
    transfers: int


def linear_scan(proposal: Proposal) -> LinearScan:
    """Segments and copies of the naive linear scan (see the module docstring) for the same
    accelerator decisions as ``proposal``."""
    graph, roles = proposal.graph, proposal.roles
    host = -1
    segment_of: dict[str, int] = {}
    target_of: list[Target] = []
    current: Target | None = None
    for n in graph.nodes:
        role = roles[n.id]
        if role in (Role.CONSTANT, Role.PARAM):
            continue
        if n.id in proposal.host_nodes and not role.is_anchored:
            segment_of[n.id] = host
            continue
        target = proposal.decisions[n.id].target if role.is_anchored else current or Target.CPU
        if target is not current:
            target_of.append(target)
            current = target
        segment_of[n.id] = len(target_of) - 1

    def producer_segment(value: str) -> int | None:
        producer = graph.producer(value)
        if producer is None:
            return host
        return segment_of.get(producer.id)

    def on_accelerator(seg: int | None) -> bool:
        return seg is not None and seg != host and target_of[seg] is Target.ACCELERATOR

    copied_in: dict[int, set[str]] = defaultdict(set)
    copied_out: dict[int, set[str]] = defaultdict(set)
    for n in graph.nodes:
        seg = segment_of.get(n.id)
        if seg is None:
            continue
        for value in proposal.reads(n.id):
            src = producer_segment(value)
            if graph.value(value).type != "Tensor" or src is None or src == seg:
                continue
            if on_accelerator(seg):
                copied_in[seg].add(value)
            if on_accelerator(src):
                copied_out[src].add(value)
    for value in (proposal.canonical(v) for v in graph.outputs):
        src = producer_segment(value)
        if on_accelerator(src) and graph.value(value).type == "Tensor":
            copied_out[src].add(value)  # type: ignore[index]
    return LinearScan(
        accelerator_segments=sum(1 for t in target_of if t is Target.ACCELERATOR),
        transfers=sum(len(v) for v in copied_in.values()) + sum(len(v) for v in copied_out.values()),
    )
