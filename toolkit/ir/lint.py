"""Well-formedness checks for IR graphs.

The builder is supposed to produce graphs that satisfy these invariants; tests call
:func:`lint` on every graph they build so a builder bug shows up as a named broken rule
rather than as a confusing picture later.

Invariants:
    1. Node ids are unique and match their position (``n3``, ``n3.b0.n1``).
    2. Every value name is defined exactly once (graph input, block input or node output).
    3. Every node input and block output refers to a value defined earlier in the same
       block or in an enclosing scope (SSA dominance along the block tree).
    4. ``prim::If`` has two blocks with equal output counts matching the node's outputs;
       ``prim::Loop`` has one block whose inputs are the counter plus the carried values
       and whose outputs are the condition plus the carried values. An exported program's
       ``torch.cond`` follows the ``If`` rule; its ``while_loop`` has a condition block that
       returns one value and a body block that returns the node's outputs, both taking the
       same inputs; its ``map`` has one body block that returns the node's outputs.
    5. Scopes name one type per path element plus the root (or none at all).
"""

from __future__ import annotations

from toolkit.errors import GraphLintError, NotTorchScriptError
from toolkit.ir.model import Block, Graph, NodeKind

__all__ = ["lint", "problems"]


def lint(g: Graph) -> Graph:
    """Raise :class:`GraphLintError` listing every broken invariant; return ``g`` if none."""
    found = problems(g)
    if found:
        listing = "\n  - ".join(found[:20])
        more = f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""
        raise GraphLintError(
            f"graph {g.name!r} is not well-formed ({len(found)} problem(s)):\n  - {listing}{more}"
            "\nThis is a toolkit bug if the graph came from toolkit.graph(); please report it."
        )
    return g


def problems(g: Graph) -> list[str]:
    """Every broken invariant, as readable lines (empty when the graph is well-formed).

    Raises:
        NotTorchScriptError: ``g`` is not a toolkit IR :class:`Graph` (``None``, an eager module...).
    """
    if not isinstance(g, Graph):
        raise NotTorchScriptError(
            f"lint() checks a toolkit IR Graph, but got {type(g).__name__} {_short(g)}."
            " Fix: build the graph first, e.g. lint(toolkit.graph(toolkit.script(model)))"
            " or lint(toolkit.graph(torch.jit.trace(model, example_inputs)))."
        )
    out: list[str] = []
    defined: set[str] = set()
    seen_ids: set[str] = set()

    def define(name: str, where: str) -> None:
        if name in defined:
            out.append(f"value %{name} defined twice (again at {where})")
        defined.add(name)

    def check_block(block: Block, visible: set[str], prefix: str) -> None:
        local = set(visible)
        for v in block.inputs:
            define(v.name, block.id)
            local.add(v.name)
        for index, n in enumerate(block.nodes):
            expected = f"{prefix}n{index}"
            if n.id != expected:
                out.append(f"node {n.id} sits at position {expected}")
            if n.id in seen_ids:
                out.append(f"node id {n.id} used twice")
            seen_ids.add(n.id)
            for name in n.inputs:
                if name not in local:
                    out.append(f"node {n.id} ({n.op}) uses %{name} before it is defined")
            _check_blocks_shape(n, out)
            for bi, b in enumerate(n.blocks):
                if b.id != f"{n.id}.b{bi}":
                    out.append(f"block {b.id} of node {n.id} should be {n.id}.b{bi}")
                check_block(b, local, prefix=f"{b.id}.")
            for v in n.outputs:
                define(v.name, n.id)
                local.add(v.name)
            if n.scope.types and len(n.scope.types) != len(n.scope.path) + 1:
                out.append(f"node {n.id} scope {n.scope.path} has types {n.scope.types}")
        for name in block.outputs:
            if name not in local:
                out.append(f"block {block.id} returns %{name}, which is not defined there")

    check_block(g.top, set(), prefix="")
    return out


def _check_blocks_shape(n, out: list[str]) -> None:
    if n.kind is NodeKind.IF:
        if len(n.blocks) != 2:
            out.append(f"prim::If {n.id} has {len(n.blocks)} blocks, expected 2")
        for b in n.blocks:
            if len(b.outputs) != len(n.outputs):
                out.append(f"prim::If {n.id} block {b.id} returns {len(b.outputs)} values for {len(n.outputs)} outputs")
    elif n.kind is NodeKind.LOOP and n.op != "prim::Loop":
        _check_exported_loop(n, out)
    elif n.kind is NodeKind.LOOP:
        if len(n.blocks) != 1:
            out.append(f"prim::Loop {n.id} has {len(n.blocks)} blocks, expected 1")
            return
        body = n.blocks[0]
        carried = len(n.inputs) - 2
        if len(body.inputs) != carried + 1:
            out.append(f"prim::Loop {n.id} body takes {len(body.inputs)} inputs for {carried} carried values")
        if len(body.outputs) != carried + 1:
            out.append(f"prim::Loop {n.id} body returns {len(body.outputs)} values for {carried} carried values")
        if len(n.outputs) != carried:
            out.append(f"prim::Loop {n.id} has {len(n.outputs)} outputs for {carried} carried values")


_EXPORTED_LOOP_BLOCKS = {"higher_order::while_loop": 2, "higher_order::map_impl": 1}


def _check_exported_loop(n, out: list[str]) -> None:
    expected = _EXPORTED_LOOP_BLOCKS.get(n.op)
    if expected is None:
        out.append(f"loop {n.id} has op {n.op}, which is no loop the toolkit knows")
        return
    if len(n.blocks) != expected:
        out.append(f"{n.op} {n.id} has {len(n.blocks)} blocks, expected {expected}")
        return
    body = n.blocks[-1]
    if len(body.outputs) != len(n.outputs):
        out.append(f"{n.op} {n.id} body returns {len(body.outputs)} values for {len(n.outputs)} outputs")
    if expected == 2:
        condition = n.blocks[0]
        if len(condition.outputs) != 1:
            out.append(f"{n.op} {n.id} condition returns {len(condition.outputs)} values, expected 1")
        if len(condition.inputs) != len(body.inputs):
            out.append(f"{n.op} {n.id} condition takes {len(condition.inputs)} inputs, body {len(body.inputs)}")


def _short(obj: object) -> str:
    text = repr(obj).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."
