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

from toolkit.analysis.partition.plan import PLAN_ATTRIBUTE, BatchReport, PartitionPlan
from toolkit.analysis.partition.proposal import Boundary, Decision, Proposal, Role, Segment, Target
from toolkit.analysis.partition.support import Reason
from toolkit.errors import PartitionError
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


_FIELDS = (
    "device", "profile", "compiled", "notes", "minimum_segment_size", "graph", "roles", "decisions",
    "segments", "host_nodes", "aliases", "boundaries",
)


def plan_from_json(text: str) -> PartitionPlan:
    """The plan :func:`plan_to_json` wrote.

    Raises:
        PartitionError: ``text`` is not a ``PLAN_FORMAT`` document (not JSON, a field missing or
            of the wrong shape); the message names the field and what is wrong with it.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _corrupt(f"it is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    if not isinstance(data, dict):
        raise _corrupt(f"it holds a JSON {type(data).__name__}, not an object")
    if data.get("format") != PLAN_FORMAT:
        raise _corrupt(f"its format is {str(data.get('format'))[:80]!r}, not {PLAN_FORMAT!r}")
    missing = [name for name in _FIELDS if name not in data]
    if missing:
        raise _corrupt(f"the field(s) {', '.join(missing)} are missing")

    def field(name: str, decode: Any) -> Any:
        try:
            return decode(data[name])
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            shown = json.dumps(data[name])
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise _corrupt(f"the field {name!r} ({shown}) is malformed: {type(error).__name__}: {error}") from None

    proposal = Proposal(
        graph=field("graph", graph_from_data),
        roles=field("roles", lambda roles: {_text(k): Role(v) for k, v in roles.items()}),
        decisions=field(
            "decisions",
            lambda decisions: {
                _text(k): Decision(Target(t), None if r is None else Reason(r), _text(detail))
                for k, (t, r, detail) in decisions.items()
            },
        ),
        segments=field(
            "segments",
            lambda segments: tuple(
                Segment(_int(i), Target(t), _texts(a), _texts(n), _texts(ins), _texts(meta), _texts(outs), _int(c))
                for i, t, a, n, ins, meta, outs, c in segments
            ),
        ),
        host_nodes=field("host_nodes", _texts),
        boundaries=field(
            "boundaries",
            lambda boundaries: tuple(
                Boundary(v, p, s, d, Target(st), Target(dt), ty, m, tr, by)
                for v, p, s, d, st, dt, ty, m, tr, by in boundaries
            ),
        ),
        minimum_segment_size=field("minimum_segment_size", _int),
        aliases=field("aliases", lambda aliases: {_text(k): _text(v) for k, v in aliases.items()}),
    )
    batch = data.get("batch")
    return PartitionPlan(
        proposal=proposal,
        device=field("device", _text),
        profile=field("profile", _text),
        compiled=field("compiled", lambda compiled: tuple(c if c is None else _bool(c) for c in compiled)),
        notes=field("notes", _texts),
        batch=None if batch is None else field("batch", _batch_from_data),
    )


def _corrupt(what: str) -> PartitionError:
    return PartitionError(
        f"the module's {PLAN_ATTRIBUTE} attribute is not a partition plan: {what}. It was edited or"
        " damaged after toolkit.partition.trace wrote it. Fix: partition the model again with"
        " toolkit.partition.trace(model, example_inputs), or use toolkit.partition.analyze_model."
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _texts(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise TypeError(f"expected a list, got {type(values).__name__}")
    return tuple(_text(v) for v in values)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true, false or null, got {type(value).__name__}")
    return value


def _batch_from_data(data: dict[str, Any]) -> BatchReport:
    """The :class:`BatchReport` whose ``dataclasses.asdict`` was written (JSON lists back to tuples)."""
    if not isinstance(data, dict):
        raise TypeError(f"expected an object, got {type(data).__name__}")
    fields: dict[str, Any] = {name: tuple(value) if isinstance(value, list) else value for name, value in data.items()}
    return BatchReport(**fields)
