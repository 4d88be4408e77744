"""Trace-versus-script structural diff: what did tracing keep, and what did it lose?

A trace records the one path the example took; a script keeps every branch. Aligning the two
inlined graphs tells a student exactly which operations and which ``prim::If``/``prim::Loop``
exist only on one side.

How: both graphs are flattened depth-first into sequences of compute operations keyed by
``(module scope, op)``; a longest-common-subsequence alignment (difflib, no junk heuristic)
pairs them. Control flow is matched separately by ``(scope, user source line)``, because a
trace has no ``prim::If`` unless a scripted submodule brought one.

An exported program aligns with a script (or a trace) the same way (:func:`diff_export`): its
operators are spelt ``aten::linear`` as TorchScript spells them, and its ``torch.cond`` /
``while_loop`` / ``map`` nodes are the control flow it keeps, as subgraphs.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from toolkit.ir.model import Graph, Node, NodeKind

__all__ = ["ExportDiff", "GraphDiff", "diff_export", "diff_graphs"]


@dataclass(frozen=True)
class GraphDiff:
    """The alignment of a traced graph with the scripted graph of the same model.

    Attributes:
        traced, scripted: the two graphs.
        matched: ``(scripted node id, traced node id)`` pairs of aligned compute operations.
        only_in_script: ids of scripted nodes with no traced counterpart: the operations of
            branches the trace never took, and the lost ``prim::If``/``prim::Loop`` nodes.
        only_in_trace: ids of traced nodes with no scripted counterpart (unrolled loop copies,
            constants a trace baked in).
        lost_control_flow: scripted ``prim::If``/``prim::Loop`` nodes that the trace does not
            have: the decisions tracing froze.
    """

    traced: Graph
    scripted: Graph
    matched: tuple[tuple[str, str], ...]
    only_in_script: frozenset[str]
    only_in_trace: frozenset[str]
    lost_control_flow: tuple[Node, ...]

    @property
    def is_faithful(self) -> bool:
        """True when the trace lost no control flow and has no script-only operations."""
        return not self.lost_control_flow and not self.only_in_script

    def summary(self) -> str:
        """One line per lost decision, readable in a notebook."""
        if not self.lost_control_flow:
            return "The trace kept every prim::If / prim::Loop the script has."
        lines = [f"The trace lost {len(self.lost_control_flow)} control-flow node(s):"]
        for n in self.lost_control_flow:
            where = n.source.short if n.source else "unknown line"
            text = f"  `{n.source.text}`" if n.source and n.source.text else ""
            lines.append(f"  - {n.op} at {where}{text}")
        return "\n".join(lines)


def _compute_nodes(g: Graph) -> list[Node]:
    return [n for n in g.walk() if n.kind in (NodeKind.OP, NodeKind.CALL_METHOD, NodeKind.CALL_FUNCTION)]


def _key(n: Node) -> tuple:
    return (n.scope.path, n.op)


def _control_key(n: Node) -> tuple:
    return (n.op, n.scope.path, n.source.line if n.source else None)


def _align(a_nodes: list[Node], b_nodes: list[Node]) -> list[tuple[str, str]]:
    """``(a id, b id)`` pairs of the longest common subsequence of ``(scope, op)`` keys."""
    matcher = difflib.SequenceMatcher(a=[_key(n) for n in a_nodes], b=[_key(n) for n in b_nodes], autojunk=False)
    matched: list[tuple[str, str]] = []
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            matched.append((a_nodes[block.a + k].id, b_nodes[block.b + k].id))
    return matched


def diff_graphs(traced: Graph, scripted: Graph) -> GraphDiff:
    """Align ``traced`` with ``scripted`` (both best built with ``inlined=True``)."""
    t_nodes, s_nodes = _compute_nodes(traced), _compute_nodes(scripted)
    matched = _align(s_nodes, t_nodes)
    matched_s = {s for s, _ in matched}
    matched_t = {t for _, t in matched}

    traced_control = {_control_key(n) for n in traced.walk() if n.kind.is_control_flow}
    lost = tuple(
        n for n in scripted.walk() if n.kind.is_control_flow and _control_key(n) not in traced_control
    )
    only_s = frozenset({n.id for n in s_nodes if n.id not in matched_s} | {n.id for n in lost})
    only_t = frozenset(n.id for n in t_nodes if n.id not in matched_t)
    return GraphDiff(
        traced=traced,
        scripted=scripted,
        matched=tuple(matched),
        only_in_script=only_s,
        only_in_trace=only_t,
        lost_control_flow=lost,
    )


@dataclass(frozen=True)
class ExportDiff:
    """The alignment of an exported program's graph with a script's (or a trace's) graph.

    Attributes:
        exported, reference: the two graphs.
        matched: ``(exported node id, reference node id)`` pairs of aligned operations.
        only_in_export: ids of exported operations with no counterpart (a branch's ``clone``,
            the ``_assert_*`` checks export adds).
        only_in_reference: ids of reference operations with no counterpart.
        kept_control_flow: the exported ``torch.cond`` / ``while_loop`` / ``map`` nodes: the
            decisions the export keeps, each with its subgraphs.
    """

    exported: Graph
    reference: Graph
    matched: tuple[tuple[str, str], ...]
    only_in_export: frozenset[str]
    only_in_reference: frozenset[str]
    kept_control_flow: tuple[Node, ...]


def diff_export(exported: Graph, reference: Graph) -> ExportDiff:
    """Align ``exported`` (from an ExportedProgram) with ``reference`` (a script or trace, inlined)."""
    e_nodes, r_nodes = _compute_nodes(exported), _compute_nodes(reference)
    matched = _align(e_nodes, r_nodes)
    matched_e = {e for e, _ in matched}
    matched_r = {r for _, r in matched}
    return ExportDiff(
        exported=exported,
        reference=reference,
        matched=tuple(matched),
        only_in_export=frozenset(n.id for n in e_nodes if n.id not in matched_e),
        only_in_reference=frozenset(n.id for n in r_nodes if n.id not in matched_r),
        kept_control_flow=tuple(n for n in exported.walk() if n.kind.is_control_flow),
    )
