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
``torch.jit.save``/``torch.jit.load`` (the plan travels as JSON inside the module:
:func:`attach_plan` writes it, :func:`plan_in` reads it back, so the render layer can draw a
partitioned module without importing the partitioner).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import torch

from toolkit.analysis.partition.proposal import Boundary, Decision, Proposal, Role, Segment, Target
from toolkit.analysis.partition.support import REASON_TEXT, Reason
from toolkit.ir.model import Graph, NodeKind
from toolkit.ir.serialize import graph_from_data, graph_to_data
from toolkit.words import byte_size, plural

__all__ = ["NodePlacement", "BatchReport", "PartitionPlan", "PLAN_FORMAT", "PLAN_ATTRIBUTE", "attach_plan", "plan_in"]

PLAN_FORMAT = "toolkit.partition.plan/1"
PLAN_ATTRIBUTE = "partition_plan"  # the string attribute of a partitioned module holding the plan
_PLAN_CACHE = "_toolkit_partition_plan"  # the decoded plan, kept on the live module object


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
    def _op_nodes(self) -> list[NodePlacement]:
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
        for pl in self._op_nodes():
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
        counts = Counter((pl.op, pl.target, pl.reason or "") for pl in self._op_nodes())
        order = {"accelerator": 0, "both": 1, "cpu": 2, "host": 3, "none": 4}
        rows = [
            {"kind": kind, "count": count, "placement": target, "reason": reason}
            for (kind, target, reason), count in counts.items()
        ]
        rows.sort(key=lambda r: (order[r["placement"]], -r["count"], r["kind"], r["reason"]))
        return rows

    def summary(self) -> list[str]:
        """torch-neuron-style summary lines."""
        p = self.proposal
        ops = self._op_nodes()
        on_acc = [pl for pl in ops if pl.target in ("accelerator", "both")]
        compute = [pl for pl in ops if pl.role == Role.COMPUTE.value]
        compute_acc = [pl for pl in compute if pl.target == "accelerator"]
        compute_cpu = [pl for pl in ops if pl.role in (Role.COMPUTE.value, Role.HOST.value, "nested") and pl.target == "cpu"]
        lines = [
            f"{_pct(len(on_acc), len(ops))} of all operations (including views and shape ops)"
            f" ({len(on_acc)} of {len(ops)}) run on {self.device}",
            f"{_pct(len(compute_acc), len(compute))} of compute operations"
            f" ({len(compute_acc)} of {len(compute)}) run on {self.device}",
        ]
        if compute_cpu:
            by_kind = Counter((pl.op, pl.reason) for pl in compute_cpu)
            listing = ", ".join(f"{kind} x{count} ({reason})" for (kind, reason), count in sorted(by_kind.items()))
            kinds = len({pl.op for pl in compute_cpu})
            lines.append(
                f"{plural(len(compute_cpu), 'op')} of {plural(kinds, 'type')}"
                f" {'runs' if len(compute_cpu) == 1 else 'run'} on the CPU: {listing}"
            )
        acc = len(p.segments_on(Target.ACCELERATOR))
        cpu = len(p.segments_on(Target.CPU))
        lines.append(
            f"The partitioner created {plural(len(p.segments), 'segment')}: {acc} on the accelerator"
            f" ({self.device}), {cpu} on the CPU"
        )
        attempted = [c for c in self.compiled if c is not None]
        if attempted:
            ok = sum(1 for c in attempted if c)
            failed = len(attempted) - ok
            tail = f"; {failed} failed and fell back to the CPU" if failed else ""
            lines.append(f"Compiled {ok} of {len(attempted)} accelerator segments ({_pct(ok, len(attempted))}){tail}")
        elif acc:
            lines.append("Nothing was compiled (analysis only)")
        lines.append(f"Transfers per inference: {self.transfers} ({byte_size(self.transfer_bytes)})")
        return lines

    def report(self) -> str:
        """The summary lines and the per-op table as text."""
        rows = self.table()
        width = max([len("kind")] + [len(r["kind"]) for r in rows])
        out = list(self.summary()) + ["", f"{'kind':<{width}}  count  placement    reason"]
        for r in rows:
            out.append(f"{r['kind']:<{width}}  {r['count']:>5}  {r['placement']:<11}  {r['reason']}")
        return "\n".join(out)

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
        """The plan as a JSON string (stored in the module's ``partition_plan`` attribute)."""
        p = self.proposal
        data = {
            "format": PLAN_FORMAT,
            "device": self.device,
            "profile": self.profile,
            "compiled": list(self.compiled),
            "notes": list(self.notes),
            "batch": None if self.batch is None else {
                "mode": self.batch.mode,
                "traced_batch": self.batch.traced_batch,
                "checked": list(self.batch.checked),
                "max_abs_diff": list(self.batch.max_abs_diff),
                "baked": list(self.batch.baked),
            },
            "minimum_segment_size": p.minimum_segment_size,
            "graph": graph_to_data(p.graph),
            "roles": {k: v.value for k, v in p.roles.items()},
            "decisions": {
                k: [d.target.value, None if d.reason is None else d.reason.value, d.detail] for k, d in p.decisions.items()
            },
            "segments": [
                [s.index, s.target.value, list(s.anchored), list(s.nodes), list(s.inputs), list(s.metadata_inputs), list(s.outputs), s.compute_count]
                for s in p.segments
            ],
            "host_nodes": list(p.host_nodes),
            "aliases": dict(p.aliases),
            "boundaries": [
                [b.value, b.producer, b.source, b.dest, b.source_target.value, b.dest_target.value, b.type, b.metadata_only, b.transfer, b.bytes]
                for b in p.boundaries
            ],
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "PartitionPlan":
        """The plan :meth:`to_json` wrote."""
        data = json.loads(text)
        if data.get("format") != PLAN_FORMAT:
            raise ValueError(f"not a {PLAN_FORMAT} document (format={data.get('format')!r})")
        proposal = Proposal(
            graph=graph_from_data(data["graph"]),
            roles={k: Role(v) for k, v in data["roles"].items()},
            decisions={
                k: Decision(Target(t), None if r is None else Reason(r), detail) for k, (t, r, detail) in data["decisions"].items()
            },
            segments=tuple(
                Segment(i, Target(t), tuple(a), tuple(n), tuple(ins), tuple(meta), tuple(outs), c)
                for i, t, a, n, ins, meta, outs, c in data["segments"]
            ),
            host_nodes=tuple(data["host_nodes"]),
            boundaries=tuple(
                Boundary(v, p, s, d, Target(st), Target(dt), ty, m, tr, by)
                for v, p, s, d, st, dt, ty, m, tr, by in data["boundaries"]
            ),
            minimum_segment_size=data["minimum_segment_size"],
            aliases=dict(data["aliases"]),
        )
        batch = data.get("batch")
        return cls(
            proposal=proposal,
            device=data["device"],
            profile=data["profile"],
            compiled=tuple(data["compiled"]),
            notes=tuple(data["notes"]),
            batch=None if batch is None else BatchReport(
                mode=batch["mode"],
                traced_batch=batch["traced_batch"],
                checked=tuple(batch["checked"]),
                max_abs_diff=tuple(batch["max_abs_diff"]),
                baked=tuple(batch["baked"]),
            ),
        )


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.2f}%" if whole else "0.00%"


def attach_plan(module: Any, plan: PartitionPlan) -> None:
    """Store ``plan`` in ``module`` as JSON (it survives save/load) and keep the decoded copy."""
    setattr(module, PLAN_ATTRIBUTE, plan.to_json())
    object.__setattr__(module, _PLAN_CACHE, plan)


def plan_in(module: Any) -> PartitionPlan | None:
    """The plan a partitioned module carries, or ``None`` for any other object."""
    cached = getattr(module, _PLAN_CACHE, None) if isinstance(module, torch.nn.Module) else None
    if isinstance(cached, PartitionPlan):
        return cached
    if not isinstance(module, torch.jit.ScriptModule):
        return None
    try:
        text = getattr(module, PLAN_ATTRIBUTE)
    except AttributeError:
        return None
    if not isinstance(text, str) or not text:
        return None
    plan = PartitionPlan.from_json(text)
    object.__setattr__(module, _PLAN_CACHE, plan)
    return plan
