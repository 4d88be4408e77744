"""From IR graph to a *drawing*: the boxes, clusters and edges a person should see, as plain data.

A raw TorchScript graph is mostly plumbing: constants shared by dozens of consumers,
``GetAttr`` chains down to each parameter, list and tuple packing. Drawn as is, a ResNet-50
makes ``dot`` take over a minute (``shared/notes/graph-viewers.md``). The drawing keeps
only what computes, and folds the rest into labels:

- constants become ``name=value`` lines in their consumer's label;
- parameter and buffer ``GetAttr`` chains become badges (``⚙ weight``);
- list/tuple construct and unpack nodes become plain edges between producer and consumer, and
  so do the tracer's conversions between a tensor and a Python number (``prim::NumToTensor``,
  ``aten::Int``, ...): a traced GPT-2 has dozens of them around its shape arithmetic;
- ``prim::Uninitialized`` (what a branch that raises leaves in place of its value) is not drawn;
- ``prim::If`` becomes a cluster with a *then* and an *else* cluster, ``prim::Loop`` a cluster
  holding its body, each with a small decision node labelled with its condition or trip count;
  an ``if`` with outputs also gets a *join* point below both blocks, where their results meet
  and what reads the ``if``'s outputs reads them from;
- nodes are grouped in clusters by module scope, so a collapse can fold a submodule into one box.

An exported program draws the same way: its parameters and buffers (graph inputs in its
signature) become badges too, ``torch.cond`` an *if* cluster whose branches are its subgraphs,
``while_loop`` and ``map`` loop clusters with one cluster per subgraph.

The drawing is plain, JSON-ready data. It is the model every writer reads: which clusters are
open is decided once over it (:mod:`toolkit.render.collapse`), and the DOT statements written
from it (:mod:`toolkit.render.dot`) serve both the static SVG and the browser widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from toolkit.ir.build_export import BLOCK_ROLES
from toolkit.ir.model import Block, Graph, Node, NodeKind, Value
from toolkit.render.enums import enum_argument

__all__ = ["JOIN_SUFFIX", "POINT_KINDS", "Cluster", "Edge", "Drawing", "Box", "build_drawing", "counts_as_box", "ir_node_id"]

# One-input conversions between a tensor and a Python number: drawn as the edge they carry.
_CONVERSIONS = frozenset({
    "prim::NumToTensor", "aten::Int", "aten::Float", "aten::Bool", "aten::ScalarImplicit",
    "aten::IntImplicit", "aten::FloatImplicit", "prim::ImplicitTensorToNum",
})
_MAX_CONST_CHARS = 28
_MAX_LINE_CHARS = 24
# An exported program's graph inputs that are the module's state, not the caller's data.
_STATE_ROLES = frozenset({"parameter", "buffer", "constant_tensor", "custom_obj"})
# How an exported program's control flow is titled (its source line is the whole call).
_EXPORTED_TITLES = {
    "higher_order::cond": "torch.cond",
    "higher_order::while_loop": "while_loop",
    "higher_order::map_impl": "map",
}
# The id of an ``if``'s join is the ``if``'s node id with this suffix (``n4`` -> ``n4.join``).
JOIN_SUFFIX = ".join"
# Kinds drawn as a point, not as a box with words: no count of boxes includes them.
POINT_KINDS = frozenset({"join"})


@dataclass(frozen=True)
class Box:
    """A node as drawn: one box.

    Attributes:
        id: the IR node id (``"n4"``), or ``"in:<value>"`` / ``"out"`` for graph inputs/outputs.
        kind: drawing category: ``op``, ``call``, ``if``, ``loop``, ``input``, ``output``, ``prim``,
            or ``join`` (the point below an ``if`` where its then and else results meet; its id
            is the ``if``'s id plus :data:`JOIN_SUFFIX`).
        label: label lines; the first is the operation.
        tooltip: the full story: op, scope, source line, outputs.
        cluster: the cluster key the node sits in directly (``""`` for the top level).
        op: the raw op string (``aten::add``).
        scope: dotted module scope.
        source: ``(file, line, text)`` of the user's line, or ``None``.
        code_line: the node's line in the TorchScript ``.code``, or ``None``.
        marks: extra CSS-like classes (``lost``, ``only-script``, ``highlight``).
        library: whether the node is library code (``Node.library``): a view folds library
            control flow away unless asked for internals.
        tensor: whether the node makes a tensor (a computation, not a check on Python values).
    """

    id: str
    kind: str
    label: tuple[str, ...]
    tooltip: str
    cluster: str = ""
    op: str = ""
    scope: str = ""
    source: tuple[str, int, str] | None = None
    code_line: int | None = None
    marks: tuple[str, ...] = ()
    library: bool = False
    tensor: bool = False


@dataclass(frozen=True)
class Cluster:
    """A group of nodes: a module scope, a control-flow node, or one of its blocks.

    Attributes:
        key: unique key, the chain of segments from the top (``m:layer1/m:0/if:n4/b:n4.b0``).
        kind: ``module``, ``if``, ``loop``, ``then``, ``else`` or ``body``.
        label: what the cluster is (``layer1.0 (Bottleneck)``, ``if x.sum() > 0``).
        parent: the enclosing cluster's key, ``""`` at the top.
        module_depth: how many module clusters enclose it, itself included.
        marks: extra classes, as for nodes.
        library: an ``if``/``loop`` cluster whose node is library code.
    """

    key: str
    kind: str
    label: str
    parent: str
    module_depth: int
    marks: tuple[str, ...] = ()
    library: bool = False


@dataclass(frozen=True)
class Edge:
    """A data edge between two boxes, labelled with the tensor shape when known.

    ``value`` is the type of what flows, in words (``Tensor float32 [1, 64, 56, 56]``, ``int``):
    the edge's hover says it, while the label stays short. ``marks`` are extra classes, e.g.
    ``transfer`` for an edge that copies between devices.
    """

    src: str
    dst: str
    label: str = ""
    marks: tuple[str, ...] = ()
    value: str = ""


@dataclass(frozen=True)
class Drawing:
    """Everything the DOT writer and the widget need, in first-appearance order."""

    name: str
    nodes: tuple[Box, ...]
    clusters: tuple[Cluster, ...]
    edges: tuple[Edge, ...]

    def box_count(self) -> int:
        """Boxes with everything open: every node but the join points (:func:`counts_as_box`)."""
        return sum(1 for n in self.nodes if counts_as_box(n))

    def to_json(self) -> dict[str, Any]:
        """Plain dicts and lists, for the browser widget."""
        return {
            "name": self.name,
            "nodes": [_as_dict(n) for n in self.nodes],
            "clusters": [_as_dict(c) for c in self.clusters],
            "edges": [[e.src, e.dst, e.label] for e in self.edges],
        }


def counts_as_box(box: Box) -> bool:
    """Whether ``box`` counts as one of the boxes a view says it draws.

    A join is a point where two ways meet, not a box with words: counting it would make the
    status line say 17 boxes where a student counts 16, and change how deep a view opens.
    """
    return box.kind not in POINT_KINDS


def ir_node_id(box_id: str) -> str:
    """The IR node a box id stands for: an ``if``'s join stands for the ``if`` (``n4.join`` -> ``n4``).

    IR node ids are ``n<i>`` chains (``n4.b0.n2``), so no IR id ends with :data:`JOIN_SUFFIX`;
    other box ids come back as they are.
    """
    return box_id.removesuffix(JOIN_SUFFIX)


def _as_dict(obj: Any) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in obj.__dict__.items()}


@dataclass
class _Walk:
    """Mutable state of one walk over the IR (kept out of the frozen results)."""

    graph: Graph
    marks: Mapping[str, tuple[str, ...]]
    constants: dict[str, str] = field(default_factory=dict)
    badges: dict[str, str] = field(default_factory=dict)
    producers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    nodes: list[Box] = field(default_factory=list)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    edges: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # (src, dst) -> (label, value)
    module_values: set[str] = field(default_factory=set)


def build_drawing(g: Graph, *, marks: Mapping[str, Iterable[str]] | None = None) -> Drawing:
    """Build the drawing of ``g``.

    Args:
        g: the IR graph (best built with ``inlined=True``).
        marks: extra classes per IR node id, e.g. ``{"n11": ["lost"]}``; a mark on a
            ``prim::If``/``prim::Loop`` also marks its cluster.
    """
    walk = _Walk(graph=g, marks={k: tuple(v) for k, v in (marks or {}).items()})
    for v in g.inputs:
        if _is_module_value(v):
            walk.module_values.add(v.name)
            continue
        if v.role in _STATE_ROLES:  # an exported program's weights: a badge on their user, as GetAttr
            walk.badges[v.name] = f"⚙ {v.target or v.name}"
            continue
        node_id = f"in:{v.name}"
        walk.nodes.append(
            Box(
                id=node_id,
                kind="input",
                label=(v.name, _value_type_text(v)),
                tooltip=f"graph input %{v.name}: {_value_type_text(v)}",
            )
        )
        walk.producers[v.name] = (node_id,)
    _walk_block(walk, g.top, cluster="", base_scope=())
    out_sources = _sources(walk, g.outputs)
    walk.nodes.append(Box(id="out", kind="output", label=("output",), tooltip="graph outputs"))
    for src in out_sources:
        _edge(walk, src, "out", ("", ""))
    return Drawing(
        name=g.name,
        nodes=tuple(walk.nodes),
        clusters=tuple(walk.clusters.values()),
        edges=tuple(Edge(s, d, label, value=value) for (s, d), (label, value) in walk.edges.items()),
    )


# ---------------------------------------------------------------------------------------------


def _walk_block(walk: _Walk, block: Block, *, cluster: str, base_scope: tuple[str, ...]) -> None:
    for n in block.nodes:
        _visit(walk, n, cluster=cluster, base_scope=base_scope)


def _visit(walk: _Walk, n: Node, *, cluster: str, base_scope: tuple[str, ...]) -> None:
    kind = n.kind
    if kind is NodeKind.CONSTANT:
        walk.constants[n.outputs[0].name] = _constant_text(n.attributes.get("value"))
        return
    if kind is NodeKind.GET_ATTR:
        out = n.outputs[0]
        if _is_module_value(out) or n.inputs[0] in walk.module_values and not out.is_tensor and out.type not in ("int", "float", "bool", "str"):
            walk.module_values.add(out.name)
        else:
            walk.badges[out.name] = f"⚙ {n.attributes.get('name', out.name)}"
        return
    if kind in (NodeKind.LIST_CONSTRUCT, NodeKind.TUPLE_CONSTRUCT):
        if n.inputs and all(i in walk.constants for i in n.inputs):
            walk.constants[n.outputs[0].name] = _constant_text([walk.constants[i] for i in n.inputs], raw=True)
        else:
            walk.producers[n.outputs[0].name] = _sources(walk, n.inputs)
            for i in n.inputs:
                if i in walk.badges:
                    walk.badges.setdefault(n.outputs[0].name, walk.badges[i])
        return
    if n.op == "prim::Uninitialized":  # the placeholder for a value a branch never sets (it raised)
        return
    if n.op in _CONVERSIONS and len(n.inputs) == 1 and len(n.outputs) == 1:
        source, made = n.inputs[0], n.outputs[0].name
        if source in walk.constants:
            walk.constants[made] = walk.constants[source]
        elif source in walk.badges:
            walk.badges[made] = walk.badges[source]
        else:
            walk.producers[made] = _sources(walk, (source,))
        return
    if kind in (NodeKind.LIST_UNPACK, NodeKind.TUPLE_UNPACK, NodeKind.TUPLE_INDEX):
        sources = _sources(walk, n.inputs[:1])
        for out in n.outputs:
            walk.producers[out.name] = sources
        return

    node_cluster = _module_cluster(walk, n, cluster=cluster, base_scope=base_scope)
    box_kind = {
        NodeKind.IF: "if",
        NodeKind.LOOP: "loop",
        NodeKind.CALL_METHOD: "call",
        NodeKind.CALL_FUNCTION: "call",
        NodeKind.OP: "op",
    }.get(kind, "prim")
    marks = walk.marks.get(n.id, ())

    if kind.is_control_flow:
        _visit_control_flow(walk, n, cluster=node_cluster, marks=marks)
        return

    label, arguments, data_inputs = _label_and_inputs(walk, n)
    walk.nodes.append(_box_for(n, kind=box_kind, label=label, cluster=node_cluster, marks=marks, arguments=arguments))
    for name in data_inputs:
        for src in _sources(walk, (name,)):
            _edge(walk, src, n.id, _carried(walk, name))
    for out in n.outputs:
        walk.producers[out.name] = (n.id,)


def _box_for(
    n: Node, *, kind: str, label: tuple[str, ...], cluster: str, marks: tuple[str, ...], arguments: tuple[str, ...] = ()
) -> Box:
    """The drawable node for IR node ``n``: everything but its kind, label and cluster comes from ``n``."""
    return Box(
        id=n.id,
        kind=kind,
        label=label,
        tooltip=_tooltip(n, arguments),
        cluster=cluster,
        op=n.op,
        scope=n.scope.dotted,
        source=_source(n),
        code_line=n.code_line,
        marks=marks,
        library=n.library,
        tensor=any(v.is_tensor for v in n.outputs),
    )


def _visit_control_flow(walk: _Walk, n: Node, *, cluster: str, marks: tuple[str, ...]) -> None:
    is_if = n.kind is NodeKind.IF
    segment = f"{'if' if is_if else 'loop'}:{n.id}"
    key = f"{cluster}/{segment}" if cluster else segment
    source_text = n.source.text if n.source and n.source.text else ""
    if n.op in _EXPORTED_TITLES:
        title = _EXPORTED_TITLES[n.op]
    elif is_if:
        title = source_text.rstrip(":") if source_text.startswith("if") else "if"
    else:
        trip = walk.constants.get(n.inputs[0]) if n.inputs else None
        title = source_text.rstrip(":") if source_text.startswith(("for", "while")) else "loop"
        if trip is not None:
            title += f"  (×{trip})"
    depth = _module_depth(walk, cluster)
    walk.clusters[key] = Cluster(
        key=key, kind="if" if is_if else "loop", label=title, parent=cluster, module_depth=depth, marks=marks,
        library=n.library,
    )

    # The decision node: the condition (If) or the trip count and carried values (Loop).
    walk.nodes.append(_box_for(n, kind="if" if is_if else "loop", label=(title,), cluster=key, marks=marks))
    control_inputs = n.inputs[:1] if is_if else n.inputs[:2]
    for name in control_inputs:
        if name not in walk.constants:
            for src in _sources(walk, (name,)):
                _edge(walk, src, n.id, _carried(walk, name))

    if is_if:
        for index, block in enumerate(n.blocks):
            block_key = f"{key}/b:{block.id}"
            walk.clusters[block_key] = Cluster(
                key=block_key, kind="then" if index == 0 else "else",
                label="then" if index == 0 else "else", parent=key, module_depth=depth,
            )
            _bind_block_inputs(walk, n, block)
            _walk_block(walk, block, cluster=block_key, base_scope=n.scope.path)
        _join(walk, n, key=key, title=title, marks=marks)
        return

    if n.op != "prim::Loop":
        _visit_exported_loop(walk, n, key=key, depth=depth)
        return
    body = n.blocks[0]
    body_key = f"{key}/b:{body.id}"
    walk.clusters[body_key] = Cluster(key=body_key, kind="body", label="body", parent=key, module_depth=depth)
    walk.producers[body.inputs[0].name] = (n.id,)
    for carried_in in body.inputs[1:]:
        walk.producers[carried_in.name] = (n.id,)
    for initial in n.inputs[2:]:
        for src in _sources(walk, (initial,)):
            _edge(walk, src, n.id, _carried(walk, initial))
    _walk_block(walk, body, cluster=body_key, base_scope=n.scope.path)
    for out, returned in zip(n.outputs, body.outputs[1:]):
        walk.producers[out.name] = _sources(walk, (returned,)) or (n.id,)


def _join(walk: _Walk, n: Node, *, key: str, title: str, marks: tuple[str, ...]) -> None:
    """The point where an ``if``'s then and else results meet, drawn below both blocks.

    Each block's result for each output flows into it (from the box that made it, inside the
    block, or from outside the ``if`` for a block that passes a value on, as ``return x`` does),
    and whatever reads the ``if``'s outputs reads them from it: so the two ways through the
    ``if`` visibly merge before the program goes on. A block that raises gives nothing to the
    join (its placeholder value is not drawn), which is what happens: that way never arrives.

    An ``if`` with no outputs (``if bad: raise ...``, or one that only prints) gets no join:
    nothing merges, and the program simply goes on after it; a point with nothing coming in
    or out would be noise. Its blocks are still led into from the condition (:mod:`dot`).

    The join is a point, not a box a student reads: it carries no name in its label (so two
    repeats whose ``if`` outputs are named ``if_out`` and ``if_out_2`` still fold together) and
    counts as no box (:func:`counts_as_box`); its tooltip says what it is.
    """
    if not n.outputs:
        return
    join_id = f"{n.id}{JOIN_SUFFIX}"
    outs = ", ".join(f"{v.name}: {_value_type_text(v)}" for v in n.outputs)
    walk.nodes.append(
        Box(
            id=join_id,
            kind="join",
            label=("join",),
            tooltip=f"{title}: join\nwhere the then and else results meet\n→ {outs}",
            cluster=key,
            op=n.op,
            scope=n.scope.dotted,
            source=_source(n),  # the if's own line: a click on the join shows the statement it ends
            code_line=n.code_line,
            marks=marks,
            library=n.library,
            tensor=any(v.is_tensor for v in n.outputs),
        )
    )
    for position, out in enumerate(n.outputs):
        for block in n.blocks:
            if position < len(block.outputs):
                returned = block.outputs[position]
                for src in _sources(walk, (returned,)):
                    _edge(walk, src, join_id, _carried(walk, returned))
        walk.producers[out.name] = (join_id,)


def _bind_block_inputs(walk: _Walk, n: Node, block: Block) -> None:
    """An exported subgraph's parameters are the node's last inputs (``torch.cond``'s operands)."""
    if not block.inputs:
        return
    for param, operand in zip(block.inputs, n.inputs[-len(block.inputs):]):
        walk.producers[param.name] = _sources(walk, (operand,)) or (n.id,)


def _visit_exported_loop(walk: _Walk, n: Node, *, key: str, depth: int) -> None:
    """``while_loop`` (a condition block, then the body) or ``map`` (a body): one cluster per block."""
    roles = BLOCK_ROLES.get(n.op, ())
    carried = n.inputs[-len(n.blocks[-1].inputs):] if n.blocks and n.blocks[-1].inputs else ()
    for initial in carried:
        for src in _sources(walk, (initial,)):
            _edge(walk, src, n.id, _carried(walk, initial))
    for index, block in enumerate(n.blocks):
        block_key = f"{key}/b:{block.id}"
        label = roles[index] if index < len(roles) else f"block {index}"
        walk.clusters[block_key] = Cluster(key=block_key, kind="body", label=label, parent=key, module_depth=depth)
        for param in block.inputs:
            walk.producers[param.name] = (n.id,)
        _walk_block(walk, block, cluster=block_key, base_scope=n.scope.path)
    body = n.blocks[-1] if n.blocks else None
    for position, out in enumerate(n.outputs):
        returned = body.outputs[position] if body is not None and position < len(body.outputs) else None
        walk.producers[out.name] = (_sources(walk, (returned,)) if returned else ()) or (n.id,)


def _module_cluster(walk: _Walk, n: Node, *, cluster: str, base_scope: tuple[str, ...]) -> str:
    """The cluster for ``n``'s module scope, nested under ``cluster`` (created on first use)."""
    path, types = n.scope.path, n.scope.types
    common = 0
    while common < min(len(path), len(base_scope)) and path[common] == base_scope[common]:
        common += 1
    key = cluster
    for i in range(common, len(path)):
        parent = key
        key = f"{parent}/m:{path[i]}" if parent else f"m:{path[i]}"
        if key not in walk.clusters:
            type_name = types[i + 1] if len(types) > i + 1 else ""
            dotted = ".".join(path[: i + 1])
            walk.clusters[key] = Cluster(
                key=key,
                kind="module",
                label=f"{dotted} ({type_name})" if type_name else dotted,
                parent=parent,
                module_depth=_module_depth(walk, parent) + 1,
            )
    return key


def _module_depth(walk: _Walk, key: str) -> int:
    return walk.clusters[key].module_depth if key else 0


def _label_and_inputs(walk: _Walk, n: Node) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
    """The box's label (the op and at most one short line), its arguments in full, its data inputs.

    A box stays two lines at most, so a ResNet's expanded stage reads as a column of ops rather
    than of nine-line stacks; every argument is kept for the tooltip and the details.
    """
    title = n.short_op
    if n.kind is NodeKind.CALL_METHOD:
        title = f"{n.scope.dotted or 'self'}.{n.attributes.get('name', 'forward')}()"
    elif n.kind is NodeKind.CALL_FUNCTION:
        title = "call function"
    badges: list[str] = []
    consts: list[str] = []
    data: list[str] = []
    for index, name in enumerate(n.inputs):
        arg = n.arg_names[index] if index < len(n.arg_names) else f"#{index}"
        if name in walk.constants:
            value = walk.constants[name]
            if value not in ("None",):
                consts.append(f"{arg}={enum_argument(arg, value) or value}")
        elif name in walk.badges:
            badges.append(walk.badges[name].removeprefix("⚙ "))
            data.extend(_badge_roots(walk, name))
        elif name in walk.module_values:
            continue
        else:
            data.append(name)
    consts.extend(n.attributes.get("constants", ()) if n.attributes.get("fx_name") else ())
    badges = list(dict.fromkeys(badges))
    arguments = ([f"⚙ {', '.join(badges)}"] if badges else []) + consts
    if badges:
        line = _short_line("⚙ ", badges)
    elif consts:
        line = _short_line("", consts)
    else:
        return (title,), tuple(arguments), data
    return (title, line), tuple(arguments), data


def _short_line(prefix: str, items: list[str]) -> str:
    """``items`` on one line of at most ``_MAX_LINE_CHARS``: as many as fit, then ``+k``."""
    shown: list[str] = []
    for i, item in enumerate(items):
        rest = len(items) - i - 1
        candidate = prefix + ", ".join([*shown, item]) + (f" +{rest}" if rest else "")
        if len(candidate) > _MAX_LINE_CHARS and shown:
            break
        shown.append(item)
    text = prefix + ", ".join(shown)
    if len(text) > _MAX_LINE_CHARS:
        text = text[: _MAX_LINE_CHARS - 1] + "…"
    hidden = len(items) - len(shown)
    return text + (f" +{hidden}" if hidden else "")


def _badge_roots(walk: _Walk, name: str) -> list[str]:
    return [name] if name in walk.producers else []


def _sources(walk: _Walk, names: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for name in names:
        out.extend(walk.producers.get(name, ()))
    return _unique(out)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _edge(walk: _Walk, src: str, dst: str, carried: tuple[str, str]) -> None:
    if src != dst:
        walk.edges.setdefault((src, dst), carried)


def _carried(walk: _Walk, name: str) -> tuple[str, str]:
    """What an edge carrying value ``name`` says: its shape (the label) and its type in words."""
    try:
        v = walk.graph.value(name)
    except KeyError:
        return "", ""
    return v.shape_text, _value_type_text(v)


def _is_module_value(v: Value) -> bool:
    return (v.type.startswith("__torch__") and not v.is_tensor) or v.type == "GraphModule"


def _value_type_text(v: Value) -> str:
    if v.is_tensor:
        parts = [p for p in (v.dtype, v.shape_text) if p]
        return "Tensor" + (f" {' '.join(parts)}" if parts else "")
    return v.type


def _constant_text(value: Any, *, raw: bool = False) -> str:
    if raw and isinstance(value, list):
        text = "[" + ", ".join(value) + "]"
    elif isinstance(value, tuple):
        text = "[" + ", ".join(_constant_text(v) for v in value) + "]"
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    return text if len(text) <= _MAX_CONST_CHARS else text[: _MAX_CONST_CHARS - 1] + "…"


def _source(n: Node) -> tuple[str, int, str] | None:
    if n.source is None:
        return None
    return (n.source.file, n.source.line, n.source.text or "")


def _tooltip(n: Node, arguments: tuple[str, ...] = ()) -> str:
    """The box's full story on hover: op, scope, the user's line, what it makes, every argument."""
    parts = [n.op]
    if n.scope.path:
        parts.append(f"scope: {n.scope.dotted}")
    if n.source is not None:
        text = f": {n.source.text}" if n.source.text else ""
        parts.append(f"{n.source.short}{text}")
    outs = ", ".join(f"{v.name}: {_value_type_text(v)}" for v in n.outputs)
    if outs:
        parts.append(f"→ {outs}")
    parts.extend(_wrapped(arguments))
    return "\n".join(parts)


_TOOLTIP_WIDTH = 64


def _wrapped(items: Iterable[str]) -> list[str]:
    """``items`` joined by commas into lines of about ``_TOOLTIP_WIDTH`` characters."""
    lines: list[str] = []
    for item in items:
        if lines and not lines[-1].startswith("⚙") and len(lines[-1]) + len(item) + 2 <= _TOOLTIP_WIDTH:
            lines[-1] += f", {item}"
        else:
            lines.append(item)
    return lines
