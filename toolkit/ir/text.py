"""The canonical text form of an IR graph: deterministic, diffable, snapshot-friendly.

It reads like torch's own graph printout, but with stable value names, no memory
addresses, no mangled class names and no absolute paths, so the same model prints the same
text on every machine and every run::

    graph MyCell3.forward(%self: MyCell3, %x: Tensor[3×4], %h: Tensor[3×4]):
      n0   %dg: MyDecisionGate = prim::GetAttr[name="dg"](%self)
      ...
      return (%v5)
"""

from __future__ import annotations


from toolkit.ir.model import Block, Graph, Node, Value

__all__ = ["to_text"]


def to_text(g: Graph, *, sources: bool = True) -> str:
    """Render ``g`` as canonical text.

    Args:
        g: the graph.
        sources: append ``# file:line`` (file base name only) and the scope to each node.
    """
    params = ", ".join(_value(v) for v in g.inputs)
    lines = [f"graph {g.name}({params}):"]
    _block_lines(g.top, lines, indent="  ", sources=sources)
    return "\n".join(lines) + "\n"


def _value(v: Value) -> str:
    type_text = v.type.rsplit(".", 1)[-1] if v.type.startswith("__torch__") else v.type
    detail = []
    if v.dtype:
        detail.append(v.dtype)
    if v.shape is not None:
        detail.append(v.shape_text or "scalar")
    suffix = f"[{', '.join(detail)}]" if detail else ""
    return f"%{v.name}: {type_text}{suffix}"


def _node_line(n: Node, sources: bool) -> str:
    outs = ", ".join(_value(v) for v in n.outputs)
    attrs = ", ".join(f"{k}={n.attributes[k]!r}" for k in sorted(n.attributes))
    call = f"{n.op}[{attrs}]" if attrs else n.op
    args = ", ".join(f"%{name}" for name in n.inputs)
    text = f"{n.id:<6} {outs + ' = ' if outs else ''}{call}({args})"
    if sources:
        notes = []
        if n.scope.path:
            notes.append(f"scope={n.scope.dotted}")
        if n.source is not None:
            notes.append(n.source.short)
        if notes:
            text += "  # " + " ".join(notes)
    return text


def _block_lines(block: Block, lines: list[str], *, indent: str, sources: bool) -> None:
    for n in block.nodes:
        lines.append(indent + _node_line(n, sources))
        for b in n.blocks:
            params = ", ".join(_value(v) for v in b.inputs)
            lines.append(f"{indent}  {b.id}({params}):")
            _block_lines(b, lines, indent=indent + "    ", sources=sources)
            lines.append(f"{indent}    -> ({', '.join('%' + o for o in b.outputs)})")
    if block.id == "top":
        lines.append(f"{indent}return ({', '.join('%' + o for o in block.outputs)})")
