"""Trace-versus-script structural diff: what did tracing keep, and what did it lose?

A trace records the one path the example took; a script keeps every branch. Aligning the two
inlined graphs tells a student exactly which operations and which ``prim::If``/``prim::Loop``
exist only on one side.

How: both graphs are flattened depth-first into sequences of compute operations keyed by
``(module scope, op)``; a longest-common-subsequence alignment (difflib, no junk heuristic)
pairs them. Control flow is matched separately by ``(scope, user source line)``, because a
trace has no ``prim::If`` unless a scripted submodule brought one.

Not every lost decision is the user's problem. A lost ``prim::If`` is put in one of three groups
(:meth:`GraphDiff.user_losses`, :meth:`GraphDiff.settled_by_configuration`,
:meth:`GraphDiff.library_losses`): the user's own code whose condition depends on the inputs (what
``check_trace`` looks for, listed one per node); the user's code decided by the module's settings
alone (``if self.training:``, ``if self.downsample is not None:``: every input takes the same path);
and library code (``Node.library``: torch's batch norm checks, ``F.interpolate``), counted per file,
never listed, since the student cannot change it and the trace is right for these inputs.

An exported program aligns with a script (or a trace) the same way (:func:`diff_export`): its
operators are spelt ``aten::linear`` as TorchScript spells them, and its ``torch.cond`` /
``while_loop`` / ``map`` nodes are the control flow it keeps, as subgraphs.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass

from toolkit.capture import short_path
from toolkit.ir.model import Graph, Node, NodeKind

__all__ = ["ExportDiff", "GraphDiff", "diff_export", "diff_graphs", "is_decided_by_configuration"]


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

    @property
    def user_losses(self) -> tuple[Node, ...]:
        """Lost decisions in the user's code that depend on the inputs: the ones that matter."""
        return tuple(
            n for n in self.lost_control_flow if not n.library and not is_decided_by_configuration(self.scripted, n)
        )

    @property
    def settled_by_configuration(self) -> tuple[Node, ...]:
        """Lost decisions in the user's code fixed by the module's settings (the same path for every input)."""
        return tuple(n for n in self.lost_control_flow if not n.library and is_decided_by_configuration(self.scripted, n))

    @property
    def library_losses(self) -> tuple[Node, ...]:
        """Lost decisions in library code (torch, installed packages, TorchScript's built-ins)."""
        return tuple(n for n in self.lost_control_flow if n.library)

    def library_losses_by_file(self) -> tuple[tuple[str, int], ...]:
        """``(file, count)`` of :attr:`library_losses`, most first, then by file name."""
        counts = Counter(_library_file(n) for n in self.library_losses)
        return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def summary(self) -> str:
        """What the trace lost in the user's code, one line per decision; settings and library code counted."""
        if not self.lost_control_flow:
            return "The trace kept every prim::If / prim::Loop the script has."
        user, settled = self.user_losses, self.settled_by_configuration
        if user:
            lines = [f"The trace lost {len(user)} control-flow node(s) in your code:"]
            lines += [f"  - {_located(n)}" for n in user]
        else:
            lines = ["The trace kept every prim::If / prim::Loop of your code that depends on the inputs."]
        if settled:
            lines.append(
                f"Fixed by the module's settings, the same path for every input ({len(settled)}): "
                + "; ".join(_located(n) for n in settled)
            )
        by_file = self.library_losses_by_file()
        if by_file:
            total = sum(count for _, count in by_file)
            files = ", ".join(f"{file} ({count})" for file, count in by_file[:_LIBRARY_FILES_SHOWN])
            more = len(by_file) - _LIBRARY_FILES_SHOWN
            files += f" and {more} more file(s)" if more > 0 else ""
            lines.append(
                f"Library code: {total} prim::If / prim::Loop fixed for these inputs, not your code: {files}."
            )
        return "\n".join(lines)


_LIBRARY_FILES_SHOWN = 4


def _library_file(n: Node) -> str:
    if n.source is None:
        return "no source line"
    return "TorchScript built-ins" if n.source.file == "<string>" else short_path(n.source.file)


def _located(n: Node) -> str:
    where = n.source.short if n.source else "unknown line"
    text = f"  `{n.source.text}`" if n.source and n.source.text else ""
    return f"{n.op} at {where}{text}"


def is_decided_by_configuration(g: Graph, node: Node) -> bool:
    """True when a scripted ``prim::If``/``prim::Loop`` is decided by constants and module attributes only.

    Why: ``if self.use_res_connect:``, ``if self.downsample is not None:`` or ``if self.training:``
    are fixed when the module is built (or put in eval mode); every input takes the same path, so a
    trace that flattened them lost nothing. The condition (a loop's trip count too) is followed
    back through ``g``: constants and non-tensor attributes read from the module are configuration;
    anything computed from an input, a parameter or a buffer is not. A loop also goes on while its
    body's first output holds (a ``break`` or a ``while`` condition is scripted there), so that
    counts as deciding it too; ``for i in range(self.n)`` keeps a constant there.
    """
    if node.kind is NodeKind.IF:
        deciding = list(node.inputs[:1])
    elif node.kind is NodeKind.LOOP:
        deciding = list(node.inputs[:2])
        if node.blocks and node.blocks[0].outputs:
            deciding.append(node.blocks[0].outputs[0])
    else:
        return False
    # The module itself (a scripted method's `self`), whose attributes are its configuration; a
    # scripted function's first argument is an input like any other.
    module_inputs = {v.name for v in g.inputs[:1] if v.type.startswith("__torch__.")}
    pending, seen = list(deciding), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        producer = g.producer(name)
        if producer is None:
            if name not in module_inputs:
                return False  # an input of the graph (or of a block): data
            continue
        if producer.kind is NodeKind.CONSTANT:
            continue
        if producer.kind is NodeKind.GET_ATTR:
            if any(out.is_tensor for out in producer.outputs):
                return False  # a parameter or buffer: its values may be anything
        elif producer.kind in (NodeKind.CALL_METHOD, NodeKind.CALL_FUNCTION, NodeKind.PYTHON_OP):
            return False
        elif producer.kind in (NodeKind.IF, NodeKind.LOOP):  # `a or b` is scripted as an If: follow both branches
            pending.extend(out for block in producer.blocks for out in block.outputs)
        pending.extend(producer.inputs)
    return bool(deciding)


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
