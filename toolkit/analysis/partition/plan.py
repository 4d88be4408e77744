"""The partition plan: one decision table that the logs, the op table, the drawing and the
generated code all read, so they never disagree.

A :class:`PartitionPlan` is plain data over the IR graph of the original traced model:

- ``plan.graph``: ``toolkit.ir.graph(traced, inlined=True)``; every node id below is its.
- ``plan.nodes``: one :class:`NodePlacement` per top-level node: target (``"accelerator"``,
  ``"cpu"``, ``"both"`` for a free op copied into segments on both sides, ``"host"`` for the
  orchestrator's own packing, ``"none"`` for unused nodes), segment indices, and exactly one
  reason code when the node runs on the CPU.
- ``plan.segments``: :class:`~toolkit.analysis.partition.Segment` in execution order, with
  ``plan.segment_device(i)`` and ``plan.compiled[i]``.
- ``plan.boundaries``: :class:`~toolkit.analysis.partition.Boundary` edges with bytes and a
  ``transfer`` flag for the edges that copy between host and accelerator; ``plan.edges()``
  gives the same per consuming node, ready to draw (producer node -> consumer node).

``toolkit.partition.plan_of(module)`` returns it for a partitioned module, also after
``torch.jit.save``/``torch.jit.load``: the generated module receives the plan's JSON in its
constructor, and :func:`plan_in` reads it back, so the render layer can draw a partitioned
module without importing the partitioner.

This module is the data and its queries. The JSON codec is
:mod:`~toolkit.analysis.partition.plan_codec`; the neuron-style text report is
:mod:`~toolkit.analysis.partition.plan_report`.
"""

from __future__ import annotations

import weakref
from collections import Counter
from dataclasses import dataclass
from typing import Any

import torch

from toolkit.analysis.partition.proposal import Boundary, Decision, Proposal, Role, Segment, Target
from toolkit.analysis.partition.support import REASON_TEXT, Reason
from toolkit.ir.model import Graph, NodeKind

__all__ = ["NodePlacement", "BatchReport", "PartitionPlan", "PLAN_ATTRIBUTE", "plan_in", "remember_plan"]

PLAN_ATTRIBUTE = "partition_plan"  # the string attribute of a partitioned module holding the plan


@dataclass(frozen=True)
class NodePlacement:
    """Where one top-level node runs and why.

    Attributes:
        id: IR node id.
        op: the op string.
        role: the partitioner's :class:`~toolkit.analysis.partition.Role` value.
        target: ``"accelerator"``, ``"cpu"``, ``"both"``, ``"host"`` or ``"none"``.
        segments: indices of the segments that execute it.
        reason: the one reason code when any copy of it runs on the CPU, else ``None``.
        detail: a human sentence for the reason.
    """

    id: str
    op: str
    role: str
    target: str
    segments: tuple[int, ...]
    reason: str | None
    detail: str


@dataclass(frozen=True)
class BatchReport:
    """What the dynamic-batch check found.

    Attributes:
        mode: ``"native"`` (the graph itself accepts any batch) or ``"chunked"`` (run in
            chunks of the traced batch, as torch-neuron does).
        traced_batch: the batch size of the example inputs.
        checked: the batch sizes checked against eager (1, B, B+3, 2B+1).
        max_abs_diff: per checked batch, the largest difference from the reference.
        baked: one line per batch-baked constant found (node, value, source line).
    """

    mode: str
    traced_batch: int
    checked: tuple[int, ...]
    max_abs_diff: tuple[float, ...]
    baked: tuple[str, ...]


@dataclass(frozen=True)
class PartitionPlan:
    """The whole partition decision for one traced model (see the module docstring).

    Attributes:
        proposal: the analysis result (graph, roles, decisions, segments, boundaries).
        device: the accelerator device (``"cuda"``, ``"cuda:1"``, ``"cpu"``).
        profile: the support rule's label.
        compiled: per segment, ``True``/``False`` for accelerator segments that were
            compiled or failed (now on the CPU), ``None`` for CPU segments or when nothing was
            compiled (``analyze_model``).
        notes: the notes and warnings issued while partitioning, in order.
        batch: the dynamic-batch report, when ``dynamic_batch_size=True``.
    """

    proposal: Proposal
    device: str
    profile: str
    compiled: tuple[bool | None, ...] = ()
    notes: tuple[str, ...] = ()
    batch: BatchReport | None = None

    # --- the render contract -------------------------------------------------------------
    @property
    def graph(self) -> Graph:
        return self.proposal.graph

    @property
    def segments(self) -> tuple[Segment, ...]:
        return self.proposal.segments

    @property
    def boundaries(self) -> tuple[Boundary, ...]:
        return self.proposal.boundaries

    @property
    def transfers(self) -> int:
        """Host<->accelerator copies per inference."""
        return self.proposal.transfers

    @property
    def transfer_bytes(self) -> int:
        return self.proposal.transfer_bytes

    def segment_device(self, index: int) -> str:
        """The device segment ``index`` runs on (``"cuda"`` or ``"cpu"``)."""
        return self.device if self.segments[index].target is Target.ACCELERATOR else "cpu"

    @property
    def nodes(self) -> tuple[NodePlacement, ...]:
        cached = self.__dict__.get("_nodes")
        if cached is None:
            cached = tuple(self._placement(n.id) for n in self.graph.nodes)
            object.__setattr__(self, "_nodes", cached)
        return cached

    def placement(self, node_id: str) -> NodePlacement:
        """Placement of any node id, nested ones included (they follow their top-level node)."""
        top = node_id.split(".", 1)[0]
        index = self.__dict__.get("_placement_index")
        if index is None:
            index = {p.id: p for p in self.nodes}
            object.__setattr__(self, "_placement_index", index)
        return index[top]

    def _placement(self, node_id: str) -> NodePlacement:
        p = self.proposal
        node = self.graph.node(node_id)
        role = p.roles[node_id]
        segs = p.segment_of(node_id)
        decision: Decision | None = p.decisions.get(node_id)
        targets = {p.segments[i].target for i in segs}
        if node_id in p.host_nodes:
            targets.add(Target.CPU)
        if not targets:
            target = "none"
        elif len(targets) == 2:
            target = "both"
        elif node_id in p.host_nodes and not segs:
            target = "host"
        else:
            target = next(iter(targets)).value
        reason: str | None = None
        detail = ""
        if decision is not None and decision.target is Target.CPU:
            reason, detail = (decision.reason or Reason.UNSUPPORTED).value, decision.detail
        elif role.is_free or role is Role.UNPACK:
            if Target.CPU in targets:
                reason, detail = Reason.FOLLOWS_CONSUMERS.value, REASON_TEXT[Reason.FOLLOWS_CONSUMERS]
        return NodePlacement(
            id=node_id, op=node.op, role=role.value, target=target, segments=segs, reason=reason, detail=detail
        )

    def edges(self) -> list[dict]:
        """Every boundary edge as drawable plain data, one row per consuming node.

        Keys: ``value``; ``producer`` (node id, ``None`` for a graph input); ``consumer`` (node
        id, ``None`` for the graph's output); ``source_segment`` / ``dest_segment`` (index,
        ``None`` for the host); ``from_device`` / ``to_device`` (``"cpu"`` or the accelerator
        device); ``transfer`` (this edge copies the value); ``metadata_only``; ``bytes``;
        ``shape`` and ``dtype`` as traced.
        """
        graph, p = self.graph, self.proposal
        outputs = {p.canonical(v) for v in graph.outputs}
        rows = []
        for b in p.boundaries:
            unit = p.host_nodes if b.dest is None else p.segments[b.dest].nodes
            readers = [nid for nid in unit if b.value in p.reads(nid)]
            if b.dest is None and b.value in outputs:
                readers.append(None)  # type: ignore[arg-type]
            value = graph.value(b.value)
            for index, reader in enumerate(readers):
                rows.append(
                    {
                        "value": b.value,
                        "producer": b.producer,
                        "consumer": reader,
                        "source_segment": b.source,
                        "dest_segment": b.dest,
                        "from_device": self._device_of(b.source_target),
                        "to_device": self._device_of(b.dest_target),
                        "transfer": b.transfer and index == 0,
                        "metadata_only": b.metadata_only,
                        "bytes": b.bytes,
                        "shape": value.shape,
                        "dtype": value.dtype,
                    }
                )
        return rows

    def _device_of(self, target: Target) -> str:
        return self.device if target is Target.ACCELERATOR else "cpu"

    # --- explaining ----------------------------------------------------------------------
    def op_placements(self) -> list[NodePlacement]:
        """Placements of every operation, nested ones (inside ``prim::If``/``prim::Loop``) too:
        a nested op runs where its top-level node runs, for the same reason, with role
        ``"nested"``."""
        kinds = (NodeKind.OP, NodeKind.OTHER_PRIM, NodeKind.IF, NodeKind.LOOP, NodeKind.PYTHON_OP)
        found = []
        for node in self.graph.walk():
            if node.kind not in kinds:
                continue
            placement = self.placement(node.id)
            if "." in node.id:
                placement = NodePlacement(
                    id=node.id,
                    op=node.op,
                    role="nested",
                    target=placement.target,
                    segments=placement.segments,
                    reason=placement.reason,
                    detail=f"inside {placement.op} ({placement.id}): {placement.detail}",
                )
            found.append(placement)
        return found

    def op_rows(self) -> list[dict]:
        """One row per operation node: id, kind, role, placement, reason, scope, class path,
        source line (a DataFrame-ready list of dicts)."""
        rows = []
        for pl in self.op_placements():
            node = self.graph.node(pl.id)
            rows.append(
                {
                    "id": pl.id,
                    "kind": pl.op,
                    "role": pl.role,
                    "placement": pl.target,
                    "reason": pl.reason or "",
                    "scope": node.scope.dotted,
                    "module": ".".join(t for t in node.scope.types if t),
                    "source": node.source.short if node.source else "",
                }
            )
        return rows

    def table(self) -> list[dict]:
        """The per-op table: kind, count, placement and (for CPU) the one reason code,
        grouped; accelerator rows first, then by count."""
        counts = Counter((pl.op, pl.target, pl.reason or "") for pl in self.op_placements())
        order = {"accelerator": 0, "both": 1, "cpu": 2, "host": 3, "none": 4}
        rows: list[dict[str, Any]] = [
            {"kind": kind, "count": count, "placement": target, "reason": reason}
            for (kind, target, reason), count in counts.items()
        ]
        rows.sort(key=lambda r: (order[r["placement"]], -r["count"], r["kind"], r["reason"]))
        return rows

    def summary(self) -> list[str]:
        """torch-neuron-style summary lines (:func:`~toolkit.analysis.partition.plan_report.summary_lines`)."""
        from toolkit.analysis.partition.plan_report import summary_lines

        return summary_lines(self)

    def report(self) -> str:
        """The summary lines and the per-op table as text (:mod:`~toolkit.analysis.partition.plan_report`)."""
        from toolkit.analysis.partition.plan_report import report_text

        return report_text(self)

    def __str__(self) -> str:
        return self.report()

    def __repr__(self) -> str:
        acc = len(self.proposal.segments_on(Target.ACCELERATOR))
        return (
            f"<PartitionPlan {self.graph.name} on {self.device}: {len(self.segments)} segments ({acc} accelerator),"
            f" {self.transfers} copies per inference; print() it for the op table>"
        )

    # --- travelling with the module ------------------------------------------------------
    def to_json(self) -> str:
        """The plan as JSON text (:func:`~toolkit.analysis.partition.plan_codec.plan_to_json`)."""
        from toolkit.analysis.partition.plan_codec import plan_to_json

        return plan_to_json(self)

    @classmethod
    def from_json(cls, text: str) -> "PartitionPlan":
        """The plan :meth:`to_json` wrote (:func:`~toolkit.analysis.partition.plan_codec.plan_from_json`)."""
        from toolkit.analysis.partition.plan_codec import plan_from_json

        return plan_from_json(text)


# Decoded plans of live modules, keyed weakly on the module and checked against its text, so a
# module is never written to and a plan is decoded once per module object.
_DECODED: "weakref.WeakKeyDictionary[Any, tuple[str, PartitionPlan]]" = weakref.WeakKeyDictionary()


def plan_in(module: Any) -> PartitionPlan | None:
    """The plan a partitioned module carries, or ``None`` for any other object.

    The plan is the JSON string attribute ``partition_plan`` that the generated module receives
    in its constructor, so it survives ``torch.jit.save``/``load``. Reading it writes nothing.
    """
    if not isinstance(module, torch.jit.ScriptModule):
        return None
    try:
        text = getattr(module, PLAN_ATTRIBUTE)
    except AttributeError:
        return None
    if not isinstance(text, str) or not text:
        return None
    known = _DECODED.get(module)
    if known is not None and known[0] == text:
        return known[1]
    plan = PartitionPlan.from_json(text)
    remember_plan(module, plan, text=text)
    return plan


def remember_plan(module: Any, plan: PartitionPlan, *, text: str) -> None:
    """Let :func:`plan_in` return ``plan`` for ``module`` (built with ``text``) without decoding it."""
    _DECODED[module] = (text, plan)
