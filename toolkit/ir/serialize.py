"""Plain-JSON round trip of IR graphs, so a partition plan can travel inside a saved model.

The plan is stored as a string attribute of the TorchScript module (``partition_plan``), which
``torch.jit.save``/``torch.jit.load`` keep; :func:`toolkit.partition.plan_of` reads it back, so a
loaded model can still be explained and drawn. IR attributes only hold plain data (numbers,
strings, tuples, ``None``), which maps onto JSON with two tags: tuples become lists (and come
back as tuples) and complex numbers become ``{"complex": [re, im]}``.

Every field of :class:`Graph`, :class:`Block`, :class:`Node` and :class:`Value` is written (a
field left at its default is left out); ``tests/ir/test_serialize.py`` walks the dataclass
fields, so a field added to the model and forgotten here fails there.
"""

from __future__ import annotations

from typing import Any

from toolkit.ir.model import Block, Graph, Node, NodeKind, Origin, Scope, SourceLocation, SymbolicSize, Value

__all__ = ["graph_to_data", "graph_from_data"]


def _plain_out(value: Any) -> Any:
    if isinstance(value, complex):
        return {"complex": [value.real, value.imag]}
    if isinstance(value, (tuple, list)):
        return [_plain_out(v) for v in value]
    return value


def _plain_in(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"complex"}:
        re_, im = value["complex"]
        return complex(re_, im)
    if isinstance(value, list):
        return tuple(_plain_in(v) for v in value)
    return value


def _value_out(v: Value) -> list:
    out: list = [v.name, v.debug_name, v.type, v.dtype, None if v.shape is None else list(v.shape)]
    if v.symbolic or v.role or v.target:  # an exported program's extras, written only when present
        out.append(
            {"symbolic": [[s.dim, s.expr, s.low, s.high] for s in v.symbolic], "role": v.role, "target": v.target}
        )
    return out


def _value_in(data: list) -> Value:
    name, debug_name, type_text, dtype, shape = data[:5]
    extra = data[5] if len(data) > 5 else {}
    return Value(
        name=name,
        debug_name=debug_name,
        type=type_text,
        dtype=dtype,
        shape=None if shape is None else tuple(shape),
        symbolic=tuple(SymbolicSize(*item) for item in extra.get("symbolic", ())),
        role=extra.get("role", ""),
        target=extra.get("target", ""),
    )


def _block_out(b: Block) -> dict:
    return {
        "id": b.id,
        "inputs": [_value_out(v) for v in b.inputs],
        "nodes": [_node_out(n) for n in b.nodes],
        "outputs": list(b.outputs),
    }


def _block_in(data: dict) -> Block:
    return Block(
        id=data["id"],
        inputs=tuple(_value_in(v) for v in data["inputs"]),
        nodes=tuple(_node_in(n) for n in data["nodes"]),
        outputs=tuple(data["outputs"]),
    )


def _node_out(n: Node) -> dict:
    out: dict[str, Any] = {
        "id": n.id,
        "kind": n.kind.value,
        "op": n.op,
        "inputs": list(n.inputs),
        "outputs": [_value_out(v) for v in n.outputs],
    }
    if n.blocks:
        out["blocks"] = [_block_out(b) for b in n.blocks]
    if n.scope.path or n.scope.types:
        out["scope"] = [list(n.scope.path), list(n.scope.types)]
    if n.attributes:
        out["attributes"] = {k: _plain_out(v) for k, v in n.attributes.items()}
    if n.source is not None:
        out["source"] = [n.source.file, n.source.line, n.source.text]
    if n.arg_names:
        out["arg_names"] = list(n.arg_names)
    if n.code_line is not None:
        out["code_line"] = n.code_line
    if n.library:
        out["library"] = True
    return out


def _node_in(data: dict) -> Node:
    scope = data.get("scope")
    source = data.get("source")
    return Node(
        id=data["id"],
        kind=NodeKind(data["kind"]),
        op=data["op"],
        inputs=tuple(data["inputs"]),
        outputs=tuple(_value_in(v) for v in data["outputs"]),
        blocks=tuple(_block_in(b) for b in data.get("blocks", ())),
        scope=Scope(path=tuple(scope[0]), types=tuple(scope[1])) if scope else Scope(),
        attributes={k: _plain_in(v) for k, v in data.get("attributes", {}).items()},
        source=SourceLocation(file=source[0], line=source[1], text=source[2]) if source else None,
        arg_names=tuple(data.get("arg_names", ())),
        code_line=data.get("code_line"),
        library=bool(data.get("library", False)),
    )


def graph_to_data(g: Graph) -> dict:
    """``g`` as JSON-ready data."""
    return {
        "name": g.name,
        "origin": g.origin.value,
        "inlined": g.inlined,
        "module_type": g.module_type,
        "code": g.code,
        "top": _block_out(g.top),
        **({"output_roles": list(g.output_roles)} if g.output_roles else {}),
    }


def graph_from_data(data: dict) -> Graph:
    """The graph :func:`graph_to_data` wrote."""
    return Graph(
        name=data["name"],
        origin=Origin(data["origin"]),
        inlined=data["inlined"],
        top=_block_in(data["top"]),
        module_type=data["module_type"],
        code=data["code"],
        output_roles=tuple(data.get("output_roles", ())),
    )
