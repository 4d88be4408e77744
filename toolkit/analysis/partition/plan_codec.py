"""A partition plan as JSON text, and back: how a plan travels inside a saved module.

Why its own module: the format is a contract with every module saved so far (``torch.jit.load``
in a fresh process must still read its plan), so it changes only with ``PLAN_FORMAT``, never as
a side effect of a new query or report line. The plan's graph is embedded with
:mod:`toolkit.ir.serialize`; everything else is lists of plain values, in field order.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from toolkit.analysis.partition.plan import BatchReport, PartitionPlan
from toolkit.analysis.partition.proposal import Boundary, Decision, Proposal, Role, Segment, Target
from toolkit.analysis.partition.support import Reason
from toolkit.ir.serialize import graph_from_data, graph_to_data

__all__ = ["PLAN_FORMAT", "plan_to_json", "plan_from_json"]

PLAN_FORMAT = "toolkit.partition.plan/1"


def plan_to_json(plan: PartitionPlan) -> str:
    """``plan`` as compact JSON text (what a partitioned module's ``partition_plan`` holds)."""
    p = plan.proposal
    data = {
        "format": PLAN_FORMAT,
        "device": plan.device,
        "profile": plan.profile,
        "compiled": list(plan.compiled),
        "notes": list(plan.notes),
        "batch": None if plan.batch is None else asdict(plan.batch),
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


def plan_from_json(text: str) -> PartitionPlan:
    """The plan :func:`plan_to_json` wrote.

    Raises:
        ValueError: ``text`` is not a ``PLAN_FORMAT`` document.
    """
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
    return PartitionPlan(
        proposal=proposal,
        device=data["device"],
        profile=data["profile"],
        compiled=tuple(data["compiled"]),
        notes=tuple(data["notes"]),
        batch=None if batch is None else _batch_from_data(batch),
    )


def _batch_from_data(data: dict[str, Any]) -> BatchReport:
    """The :class:`BatchReport` whose ``dataclasses.asdict`` was written (JSON lists back to tuples)."""
    fields: dict[str, Any] = {name: tuple(value) if isinstance(value, list) else value for name, value in data.items()}
    return BatchReport(**fields)
