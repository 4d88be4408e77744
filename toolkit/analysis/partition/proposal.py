"""Propose how to split a traced graph between an accelerator and the CPU (pure, over the IR).

This module decides; :mod:`toolkit.partition` applies. Proposing first and applying second
(as torch.fx's ``CapabilityBasedPartitioner.propose_partitions`` does) means the same decision
table feeds the op table, the summary lines, the drawing and the generated code, so they can
never disagree.

**Roles.** Every top-level node gets a :class:`Role`. Only *anchored* nodes (``COMPUTE`` and
``HOST``) are placed; the rest are *free* and are copied into whichever segment needs them:

- ``COMPUTE``: an operator that reads or writes tensor data (``aten::_convolution``,
  ``aten::add``, ``aten::zeros``). These are what ``minimum_segment_size`` counts.
- ``HOST``: must run on the CPU: turns tensor data into host values (``aten::Int`` of a
  computed tensor, ``aten::item``), control flow, Python ops.
- ``VIEW``: zero-copy tensor views (``aten::view``, ``aten::flatten``, ``aten::permute``...).
- ``SHAPE``: metadata reads and host scalar arithmetic (``aten::size``, ``prim::NumToTensor``,
  ``aten::Int`` of a size, and 0-dim tensor arithmetic on sizes such as ``h // patch``). Duplicated into every segment that needs them, never transferred:
  this keeps ``view(x.size(0), -1)`` batch-polymorphic in every segment.
- ``CONSTANT``, ``PARAM`` (``prim::GetAttr``), ``PACK`` (list/tuple construction): free.
- ``UNPACK`` (``prim::ListUnpack`` after ``aten::chunk``...): runs wherever its producer runs.
- ``FORWARD``: an unpacking of a tuple or list built right there (a submodule returning a tuple
  leaves ``TupleConstruct`` then ``TupleUnpack`` after inlining). Its readers read the packed
  element directly (:func:`forwarding`), so the pair disappears from every segment.

**Decisions.** Each anchored node gets one :class:`Decision`: accelerator, or CPU with one
:class:`~toolkit.analysis.partition.support.Reason`, in this order: the support rule's reason, host-only,
non-tensor (an accelerator segment takes tensors only, so a compute op needing a host scalar
that cannot be recomputed inside the segment stays on the CPU), then min-segment-size.

**Segments.** A dependency-aware level assignment: a node's level is the number of device
changes on the longest path reaching it, pushed as late as its consumers allow when that joins
an existing segment. Nodes of one colour and one level form one segment. Edges only go from
lower to higher levels, or within a segment, so segments never form a cycle; independent
branches at the same level share a segment (horizontal merge). Accelerator segments with fewer
than ``minimum_segment_size`` compute ops fall back, and the assignment repeats to a fixpoint.

**Transfers.** A value crosses between host and accelerator at most once per direction per
inference: copies are cached and accelerator values stay on the device between accelerator
segments. Free nodes go with their consumers (duplicated where several devices need them), so
a view moves its base, never a copy per consumer; :func:`tests.fixtures.partition_oracles.optimal_transfers` checks this is
optimal by exhaustive search on small graphs.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from toolkit.analysis.partition.support import Reason, SupportRule, NodeInfo, Verdict
from toolkit.ir.model import Graph, Node, NodeKind

__all__ = [
    "Role",
    "Target",
    "Decision",
    "Segment",
    "Boundary",
    "Proposal",
    "VIEW_OPS",
    "METADATA_OPS",
    "classify",
    "node_info",
    "decide",
    "propose",
    "segment",
    "with_cpu_segments",
    "anchored_dependencies",
    "external_inputs",
    "dtype_size",
]


class Role(enum.Enum):
    """How the partitioner treats a node (see the module docstring)."""

    COMPUTE = "compute"
    HOST = "host"
    VIEW = "view"
    SHAPE = "shape"
    CONSTANT = "constant"
    PARAM = "param"
    PACK = "pack"
    UNPACK = "unpack"
    FORWARD = "forward"

    @property
    def is_anchored(self) -> bool:
        """True for roles that are placed (and so carry a decision)."""
        return self in (Role.COMPUTE, Role.HOST)

    @property
    def is_free(self) -> bool:
        """True for roles copied into every segment that needs them."""
        return self in _FREE


_FREE = frozenset({Role.VIEW, Role.SHAPE, Role.CONSTANT, Role.PARAM, Role.PACK})


class Target(str, enum.Enum):
    """Where a segment runs."""

    ACCELERATOR = "accelerator"
    CPU = "cpu"

    def __str__(self) -> str:
        return self.value


VIEW_OPS = frozenset(
    "aten::" + name
    for name in (
        "view view_as reshape reshape_as flatten unflatten squeeze unsqueeze permute transpose t "
        "expand expand_as select slice narrow alias detach diagonal movedim numpy_T "
        "squeeze_ unsqueeze_ transpose_ t_ detach_"
    ).split()
)

METADATA_OPS = frozenset(
    {
        "aten::size",
        "aten::dim",
        "aten::numel",
        "aten::stride",
        "aten::is_floating_point",
        "prim::device",
        "prim::dtype",
        "prim::layout",
    }
)

_SCALAR_FROM_TENSOR = frozenset(
    {
        "aten::Int",
        "aten::Float",
        "aten::Bool",
        "aten::ScalarImplicit",
        "aten::IntImplicit",
        "aten::FloatImplicit",
        "aten::item",
        "aten::_local_scalar_dense",
    }
)

_LIST_ELEMENT_OPS = frozenset({"aten::__getitem__", "prim::ListIndex"})

_DTYPE_BYTES = {
    "float32": 4, "float64": 8, "float16": 2, "bfloat16": 2, "int64": 8, "int32": 4,
    "int16": 2, "int8": 1, "uint8": 1, "bool": 1, "complex64": 8, "complex128": 16,
}


def dtype_size(dtype: str | None) -> int | None:
    """Bytes per element of an IR dtype name (``"float32"`` -> 4), or ``None``."""
    return _DTYPE_BYTES.get(dtype or "")


def _carries_tensor(type_text: str) -> bool:
    return "Tensor" in type_text


# ---------------------------------------------------------------------------------------------
# Data types
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """Where one anchored node runs, and the single reason when that is the CPU."""

    target: Target
    reason: Reason | None = None
    detail: str = ""


@dataclass(frozen=True)
class Segment:
    """One piece of the partitioned program.

    Attributes:
        index: position in execution order.
        target: accelerator or CPU.
        anchored: the placed nodes (compute and host roles) of this segment, in graph order.
        nodes: every node the segment executes, in graph order: its anchored nodes, the
            unpacking nodes after them, and the free nodes copied in (so ``aten::size`` may be
            listed by several segments).
        inputs: values the segment receives, in first-use order.
        metadata_inputs: the subset of ``inputs`` read only for their shape, dtype or device,
            which therefore is never copied between devices.
        outputs: values other segments or the graph's outputs need.
        compute_count: how many ``COMPUTE`` nodes it holds (what ``minimum_segment_size``
            counts).
    """

    index: int
    target: Target
    anchored: tuple[str, ...]
    nodes: tuple[str, ...]
    inputs: tuple[str, ...]
    metadata_inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    compute_count: int


@dataclass(frozen=True)
class Boundary:
    """A value handed from one unit to another (a drawable edge of the partition).

    Units are segments (by index) and the host program (``None``): it owns the graph inputs
    and receives the graph outputs.

    Attributes:
        value: the IR value name.
        producer: id of the node that makes it, ``None`` for a graph input.
        source: producing segment index, ``None`` for the host.
        dest: consuming segment index, ``None`` for the host (graph outputs).
        source_target / dest_target: device class at each end (the host is the CPU).
        type: TorchScript type of the value.
        metadata_only: the consumer reads only its shape/dtype/device (never copied).
        transfer: this edge copies the value between host and accelerator. A value is copied
            at most once per destination device; later edges to that device reuse the copy.
        bytes: payload size from the traced shape and dtype, ``None`` when unknown.
    """

    value: str
    producer: str | None
    source: int | None
    dest: int | None
    source_target: Target
    dest_target: Target
    type: str
    metadata_only: bool
    transfer: bool
    bytes: int | None


@dataclass(frozen=True)
class Proposal:
    """The whole decision: roles, per-node decisions, segments and boundary edges.

    Attributes:
        graph: the inlined IR graph of the traced model that every node id refers to.
        roles: role of every top-level node.
        decisions: decision for every anchored node.
        segments: in execution order.
        host_nodes: nodes the host program runs itself (graph input unpacking, output packing
            and the free nodes feeding the outputs).
        boundaries: every value handed between units, in execution order.
        minimum_segment_size: the value the decisions used.
        aliases: re-packed values and the value each forwards to (see :func:`forwarding`);
            segment inputs and boundaries name the right side.
    """

    graph: Graph
    roles: Mapping[str, Role]
    decisions: Mapping[str, Decision]
    segments: tuple[Segment, ...]
    host_nodes: tuple[str, ...]
    boundaries: tuple[Boundary, ...]
    minimum_segment_size: int
    aliases: Mapping[str, str] = field(default_factory=dict)

    def canonical(self, value: str) -> str:
        """The value ``value`` forwards to (itself unless it is a re-packed element)."""
        return self.aliases.get(value, value)

    def reads(self, node_id: str) -> tuple[str, ...]:
        """The values a top-level node reads (its blocks' outer reads included), forwarded."""
        node = self.graph.node(node_id)
        return tuple(dict.fromkeys(self.canonical(v) for v in _external_inputs(node)))

    @property
    def transfers(self) -> int:
        """Host<->accelerator copies per inference."""
        return sum(1 for b in self.boundaries if b.transfer)

    @property
    def transfer_bytes(self) -> int:
        """Bytes copied per inference (edges of unknown size count 0)."""
        return sum(b.bytes or 0 for b in self.boundaries if b.transfer)

    def __repr__(self) -> str:
        targets = ", ".join(f"{s.index}:{s.target.value}({s.compute_count})" for s in self.segments)
        return f"<Proposal {self.graph.name}: segments [{targets}], {self.transfers} copies per inference>"

    def segments_on(self, target: Target) -> tuple[Segment, ...]:
        """The segments running on ``target``."""
        return tuple(s for s in self.segments if s.target is target)

    def segment_of(self, node_id: str) -> tuple[int, ...]:
        """Indices of the segments executing ``node_id`` (several for duplicated free nodes)."""
        return self._segments_by_node().get(node_id, ())

    def _segments_by_node(self) -> dict[str, tuple[int, ...]]:
        cached = self.__dict__.get("_by_node")
        if cached is None:
            found: dict[str, list[int]] = defaultdict(list)
            for s in self.segments:
                for nid in s.nodes:
                    found[nid].append(s.index)
            cached = {k: tuple(v) for k, v in found.items()}
            object.__setattr__(self, "_by_node", cached)
        return cached


# ---------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------


def classify(graph: Graph) -> dict[str, Role]:
    """The :class:`Role` of every top-level node of ``graph``."""
    roles: dict[str, Role] = {}
    for n in graph.nodes:
        roles[n.id] = _role(graph, n, roles)
    return roles


def _role(graph: Graph, n: Node, roles: Mapping[str, Role]) -> Role:
    kind = n.kind
    if n.blocks or kind in (
        NodeKind.PYTHON_OP,
        NodeKind.SET_ATTR,
        NodeKind.CALL_METHOD,
        NodeKind.CALL_FUNCTION,
        NodeKind.BLOCK_OTHER,
    ):
        return Role.HOST
    if kind is NodeKind.CONSTANT:
        return Role.CONSTANT
    if kind is NodeKind.GET_ATTR:
        return Role.PARAM
    out_tensor = any(_carries_tensor(v.type) for v in n.outputs)
    if kind in (NodeKind.LIST_CONSTRUCT, NodeKind.TUPLE_CONSTRUCT, NodeKind.DICT_CONSTRUCT):
        return Role.PACK
    if kind in (NodeKind.LIST_UNPACK, NodeKind.TUPLE_UNPACK, NodeKind.TUPLE_INDEX):
        if _forwarded_elements(graph, n) is not None:
            return Role.FORWARD
        return Role.UNPACK if out_tensor else Role.SHAPE
    tensor_inputs = [i for i in n.inputs if _carries_tensor(graph.value(i).type)]
    if n.op in METADATA_OPS or n.op == "prim::NumToTensor":
        return Role.SHAPE
    if n.op in _SCALAR_FROM_TENSOR:
        shape_like = all(_is_shape_value(graph, i, roles) for i in tensor_inputs)
        return Role.SHAPE if shape_like else Role.HOST
    if not out_tensor:
        return Role.SHAPE if not tensor_inputs else Role.HOST
    if n.op in _LIST_ELEMENT_OPS and tensor_inputs:
        return Role.UNPACK
    if n.op in VIEW_OPS:
        return Role.VIEW
    if _is_size_arithmetic(graph, n, tensor_inputs, roles):
        return Role.SHAPE
    return Role.COMPUTE


def _is_size_arithmetic(graph: Graph, n: Node, tensor_inputs: list[str], roles: Mapping[str, Role]) -> bool:
    """Host arithmetic on sizes that the trace recorded as tensor ops: ``x.size(2) // 16`` becomes
    ``aten::floor_divide(prim::NumToTensor(aten::size(x, 2)), tensor(16))``.

    Such a node reads only 0-dim tensors made from sizes (or 0-dim constants) and makes 0-dim
    tensors, all on the CPU whatever the model's device. Treating it as compute would put a
    device sync (``aten::Int`` of its result) in the middle of the model and cut an accelerator
    segment in two, as torchvision's ViT did (``n_h * n_w`` patches); as a shape op it is
    recomputed, for free, in every segment that needs it. In-place ops are excluded: a copy in
    each segment would apply them twice.
    """
    if not n.op.startswith("aten::") or n.op.endswith("_") or not tensor_inputs:
        return False
    if not all(v.shape == () for v in n.outputs):
        return False
    from_sizes = False
    for value in tensor_inputs:
        producer = graph.producer(value)
        role = roles.get(producer.id) if producer is not None else None
        if role is Role.SHAPE:
            from_sizes = True
        elif role is not Role.CONSTANT or graph.value(value).shape != ():
            return False
    return from_sizes


_PACKING = (NodeKind.LIST_CONSTRUCT, NodeKind.TUPLE_CONSTRUCT)


def _forwarded_elements(graph: Graph, n: Node) -> tuple[str, ...] | None:
    """For an unpacking of a list/tuple built by a top-level construct node, the packed value
    each output stands for; ``None`` when ``n`` is not such an unpacking."""
    if not n.inputs:
        return None
    producer = graph.producer(n.inputs[0])
    if producer is None or producer.kind not in _PACKING or "." in producer.id:
        return None
    if n.kind is NodeKind.TUPLE_INDEX:
        index_node = graph.producer(n.inputs[1]) if len(n.inputs) > 1 else None
        if index_node is None or index_node.kind is not NodeKind.CONSTANT:
            return None
        index = index_node.attributes.get("value")
        if not isinstance(index, int) or not -len(producer.inputs) <= index < len(producer.inputs):
            return None
        return (producer.inputs[index],)
    if len(producer.inputs) != len(n.outputs):
        return None
    return producer.inputs


def forwarding(graph: Graph) -> dict[str, str]:
    """Value name -> the value it is a plain re-pack of (``TupleUnpack(TupleConstruct(a, b))``
    gives ``a`` and ``b`` back). Readers of the left side read the right side instead."""
    aliases: dict[str, str] = {}
    for n in graph.nodes:
        if n.kind in (NodeKind.LIST_UNPACK, NodeKind.TUPLE_UNPACK, NodeKind.TUPLE_INDEX):
            elements = _forwarded_elements(graph, n)
            if elements is not None:
                for out, element in zip(n.outputs, elements):
                    aliases[out.name] = aliases.get(element, element)
    return aliases


def _is_shape_value(graph: Graph, value: str, roles: Mapping[str, Role]) -> bool:
    producer = graph.producer(value)
    return producer is not None and roles.get(producer.id) in (Role.SHAPE, Role.CONSTANT)


def node_info(graph: Graph, node: Node) -> NodeInfo:
    """The :class:`~toolkit.analysis.partition.support.NodeInfo` support rules see for ``node``."""
    return NodeInfo(
        id=node.id,
        kind=node.op,
        name=tuple(t for t in node.scope.types if t),
        scope=node.scope,
        path=node.scope.dotted,
        source=node.source,
        input_types=tuple(graph.value(i).type for i in node.inputs),
        output_types=tuple(v.type for v in node.outputs),
        node=node,
    )


# ---------------------------------------------------------------------------------------------
# Graph helpers (external inputs, free closures, anchors)
# ---------------------------------------------------------------------------------------------


@dataclass
class _Index:
    """Derived lookups over the top-level nodes, built once per proposal."""

    graph: Graph
    roles: Mapping[str, Role]
    position: dict[str, int] = field(default_factory=dict)
    external: dict[str, tuple[str, ...]] = field(default_factory=dict)
    top_producer: dict[str, Node] = field(default_factory=dict)
    top_users: dict[str, list[str]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, graph: Graph, roles: Mapping[str, Role]) -> "_Index":
        ix = cls(graph=graph, roles=roles, aliases=forwarding(graph))
        users: dict[str, list[str]] = defaultdict(list)
        for i, n in enumerate(graph.nodes):
            ix.position[n.id] = i
            ext = tuple(dict.fromkeys(ix.canonical(v) for v in _external_inputs(n)))
            ix.external[n.id] = ext
            for v in n.outputs:
                ix.top_producer[v.name] = n
            for name in ext:
                users[name].append(n.id)
        ix.top_users = dict(users)
        return ix

    def canonical(self, value: str) -> str:
        """The value ``value`` forwards to (itself unless it is a re-packed element)."""
        return self.aliases.get(value, value)

    @property
    def outputs(self) -> tuple[str, ...]:
        """The graph's outputs, forwarded."""
        return tuple(self.canonical(v) for v in self.graph.outputs)

    def is_module_value(self, value: str) -> bool:
        return self.graph.value(value).type.startswith("__torch__")

    def unpack_root(self, node_id: str) -> str | None:
        """The anchored node whose output an UNPACK chain takes apart (``None``: graph input)."""
        node = self.graph.node(node_id)
        while True:
            producer = self.top_producer.get(node.inputs[0]) if node.inputs else None
            if producer is None:
                return None
            role = self.roles[producer.id]
            if role is Role.UNPACK:
                node = producer
                continue
            if role.is_anchored:
                return producer.id
            return None


def external_inputs(node: Node) -> tuple[str, ...]:
    """A node's inputs plus the outer values its nested blocks read (for control flow)."""
    return _external_inputs(node)


def anchored_dependencies(graph: Graph, roles: Mapping[str, Role]) -> dict[str, set[str]]:
    """For each anchored node, the anchored nodes it depends on through free and unpacking
    nodes: the DAG that segments are cut from."""
    return _anchor_preds(_Index.build(graph, roles))


def _external_inputs(node: Node) -> tuple[str, ...]:
    """A node's inputs plus the outer values its nested blocks read (control flow)."""
    if not node.blocks:
        return node.inputs
    defined: set[str] = set()
    used: list[str] = list(node.inputs)

    def visit(block) -> None:
        defined.update(v.name for v in block.inputs)
        for inner in block.nodes:
            used.extend(inner.inputs)
            for sub in inner.blocks:
                visit(sub)
            defined.update(v.name for v in inner.outputs)
        used.extend(block.outputs)

    for b in node.blocks:
        visit(b)
    seen: dict[str, None] = {}
    for name in used:
        if name not in defined:
            seen.setdefault(name, None)
    return tuple(seen)


def _free_closure(ix: _Index, start_values: Iterable[str]) -> set[str]:
    """Free nodes needed (transitively) to compute ``start_values``, stopping at anchored
    producers, unpacking nodes and graph inputs."""
    closure: set[str] = set()
    stack = list(start_values)
    while stack:
        value = stack.pop()
        producer = ix.top_producer.get(value)
        if producer is None or producer.id in closure:
            continue
        if not ix.roles[producer.id].is_free:
            continue
        closure.add(producer.id)
        stack.extend(ix.external[producer.id])
    return closure


def _host_value_leaves(ix: _Index, node: Node) -> list[tuple[str, Node | None, Node | None]]:
    """Non-tensor values ``node`` needs (through its free closure) that cannot be recomputed
    inside a segment: host scalars from HOST nodes, unpacking, or non-tensor graph inputs.

    Each comes with its producer (``None`` for a graph input) and the free node ``node`` reads
    that leads to it (``None`` when ``node`` reads it itself), so a reason can say that ``cat``
    needs a host value *through* the ``reshape`` of one of its tensors.
    """
    found: list[tuple[str, Node | None, Node | None]] = []
    seen: set[str] = set()
    stack: list[tuple[str, Node | None]] = [(v, None) for v in ix.external[node.id]]
    while stack:
        value, via = stack.pop()
        if value in seen:
            continue
        seen.add(value)
        v = ix.graph.value(value)
        producer = ix.top_producer.get(value)
        if producer is None:
            if not _carries_tensor(v.type) and not ix.is_module_value(value):
                found.append((value, None, via))
            continue
        role = ix.roles[producer.id]
        if role.is_free:
            stack.extend((name, via or producer) for name in ix.external[producer.id])
        elif not _carries_tensor(v.type):
            found.append((value, producer, via))
    return found


def _anchor_preds(ix: _Index) -> dict[str, set[str]]:
    """For each anchored node, the anchored nodes it depends on (through free and unpacking
    nodes)."""
    memo: dict[str, frozenset[str]] = {}

    def anchors_of_value(value: str) -> frozenset[str]:
        hit = memo.get(value)
        if hit is not None:
            return hit
        producer = ix.top_producer.get(value)
        if producer is None:
            result: frozenset[str] = frozenset()
        else:
            role = ix.roles[producer.id]
            if role.is_anchored:
                result = frozenset((producer.id,))
            else:
                acc: set[str] = set()
                for name in ix.external[producer.id]:
                    acc |= anchors_of_value(name)
                result = frozenset(acc)
        memo[value] = result
        return result

    preds: dict[str, set[str]] = {}
    for n in ix.graph.nodes:
        if ix.roles[n.id].is_anchored:
            acc: set[str] = set()
            for name in ix.external[n.id]:
                acc |= anchors_of_value(name)
            acc.discard(n.id)
            preds[n.id] = acc
    return preds


# ---------------------------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------------------------


def decide(
    graph: Graph,
    rule: SupportRule,
    *,
    roles: Mapping[str, Role] | None = None,
    forced: Mapping[str, Decision] | None = None,
) -> dict[str, Decision]:
    """The first decision for every anchored node: support rule, host-only, non-tensor.

    Args:
        graph: the inlined IR graph.
        rule: the support rule for compute nodes.
        roles: precomputed roles (from :func:`classify`).
        forced: decisions that override the rule (e.g. segments whose compile failed).
    """
    roles = roles if roles is not None else classify(graph)
    ix = _Index.build(graph, roles)
    decisions: dict[str, Decision] = {}
    for n in graph.nodes:
        role = roles[n.id]
        if not role.is_anchored:
            continue
        if forced and n.id in forced:
            decisions[n.id] = forced[n.id]
            continue
        if role is Role.HOST:
            decisions[n.id] = Decision(Target.CPU, Reason.HOST_ONLY, _host_detail(n))
            continue
        verdict: Verdict = rule(node_info(graph, n))
        if not verdict.supported:
            decisions[n.id] = Decision(Target.CPU, verdict.reason or Reason.UNSUPPORTED, verdict.detail)
            continue
        leaves = _host_value_leaves(ix, n)
        if leaves:
            value, producer, via = leaves[0]
            origin = f"{producer.op} ({producer.id})" if producer is not None else "a graph input"
            through = f" through {via.op} ({via.id})" if via is not None else ""
            decisions[n.id] = Decision(
                Target.CPU,
                Reason.NON_TENSOR,
                f"needs host value %{value} from {origin}{through}; accelerator segments take tensors only",
            )
            continue
        decisions[n.id] = Decision(Target.ACCELERATOR)
    return decisions


def _host_detail(n: Node) -> str:
    if n.blocks:
        return f"control flow ({n.op}) runs on the CPU"
    if n.kind is NodeKind.PYTHON_OP:
        return "a Python call baked into the trace runs on the CPU"
    return f"{n.op} reads tensor data into a host value"


# ---------------------------------------------------------------------------------------------
# Segmentation
# ---------------------------------------------------------------------------------------------


def _levels(order: list[str], color: Mapping[str, Target], preds: Mapping[str, set[str]]) -> dict[str, int]:
    """Level of each anchored node, so that (colour, level) groups are the segments.

    A node's earliest level is the number of device changes on the longest path reaching it
    (ASAP). Nodes can move later, up to what their consumers allow. Which nodes to move is a
    choice; three cheap strategies are tried and the one giving the fewest accelerator
    segments (then the fewest segments) is kept:

    - ASAP as is;
    - a backward pass that moves each node as late as possible, joining a level its colour
      already uses when one is in reach (ALAP-join);
    - the same backward pass, but seeded with the levels ASAP uses.
    """
    succs: dict[str, list[str]] = defaultdict(list)
    for node_id in order:
        for p in preds[node_id]:
            succs[p].append(node_id)
    asap: dict[str, int] = {}
    for node_id in order:
        c = color[node_id]
        asap[node_id] = max((asap[p] + (color[p] is not c) for p in preds[node_id]), default=0)
    top = max(asap.values(), default=0)

    def backward(seed: dict[Target, set[int]]) -> dict[str, int]:
        level: dict[str, int] = {}
        used: dict[Target, set[int]] = defaultdict(set, {k: set(v) for k, v in seed.items()})
        for node_id in reversed(order):
            c = color[node_id]
            hi = min((level[s] - (color[s] is not c) for s in succs[node_id]), default=top)
            lo = asap[node_id]
            joinable = [lv for lv in used[c] if lo <= lv <= hi]
            chosen = max(joinable) if joinable else hi
            level[node_id] = chosen
            used[c].add(chosen)
        return level

    asap_used: dict[Target, set[int]] = defaultdict(set)
    for node_id in order:
        asap_used[color[node_id]].add(asap[node_id])
    candidates = [asap, backward({}), backward(asap_used)]

    def cost(level: Mapping[str, int]) -> tuple[int, int]:
        groups = {(level[n], color[n]) for n in order}
        return (sum(1 for _, c in groups if c is Target.ACCELERATOR), len(groups))

    return min(candidates, key=cost)


def _merge_groups(groups: list[tuple[Target, list[str]]], preds: Mapping[str, set[str]]) -> list[tuple[Target, list[str]]]:
    """Merge same-target groups while the group graph stays acyclic, then order it.

    The level assignment gives convex groups but may leave two groups of one colour that
    could be one (a branch that could run earlier or later). Two groups can merge unless a
    path leaves one, passes through a third group and enters the other. Groups are tried in
    order and merged greedily until nothing changes; the result is topologically sorted,
    accelerator first among groups that do not depend on each other.
    """
    groups = [(t, list(m)) for t, m in groups]
    while True:
        succ = _group_successors(groups, preds)
        order = _topological(len(groups), succ)
        reach = [0] * len(groups)
        for gi in reversed(order):
            bits = 1 << gi
            for s in succ[gi]:
                bits |= reach[s]
            reach[gi] = bits
        merged = False
        for ai, a in enumerate(order):
            for b in order[ai + 1 :]:
                if groups[a][0] is not groups[b][0]:
                    continue
                if any(s != b and reach[s] >> b & 1 for s in succ[a]):
                    continue
                groups[a] = (groups[a][0], groups[a][1] + groups[b][1])
                del groups[b]
                merged = True
                break
            if merged:
                break
        if not merged:
            break
    succ = _group_successors(groups, preds)
    order = _topological(len(groups), succ, prefer=lambda g: 0 if groups[g][0] is Target.ACCELERATOR else 1)
    return [groups[g] for g in order]


def _group_successors(groups: list[tuple[Target, list[str]]], preds: Mapping[str, set[str]]) -> list[set[int]]:
    """Per group index, the groups that read a value one of its members produces."""
    group_of = {m: gi for gi, (_, members) in enumerate(groups) for m in members}
    succ: list[set[int]] = [set() for _ in groups]
    for gi, (_, members) in enumerate(groups):
        for m in members:
            for p in preds[m]:
                if group_of[p] != gi:
                    succ[group_of[p]].add(gi)
    return succ


def _topological(count: int, succ: list[set[int]], prefer=None) -> list[int]:
    """Kahn's order of ``count`` groups; among ready groups, the lowest ``prefer`` key, then
    the lowest index (the input order)."""
    import heapq

    indegree = [0] * count
    for edges in succ:
        for s in edges:
            indegree[s] += 1
    key = prefer or (lambda g: 0)
    ready = [(key(g), g) for g in range(count) if indegree[g] == 0]
    heapq.heapify(ready)
    out: list[int] = []
    while ready:
        _, g = heapq.heappop(ready)
        out.append(g)
        for s in sorted(succ[g]):
            indegree[s] -= 1
            if indegree[s] == 0:
                heapq.heappush(ready, (key(s), s))
    if len(out) != count:
        raise AssertionError("segment graph has a cycle; this is a toolkit bug")
    return out


def segment(
    graph: Graph,
    roles: Mapping[str, Role],
    decisions: Mapping[str, Decision],
    *,
    minimum_segment_size: int = 2,
) -> Proposal:
    """Group anchored nodes into segments, apply ``minimum_segment_size`` to a fixpoint, then
    lay out each segment's nodes, inputs, outputs and boundary edges."""
    ix = _Index.build(graph, roles)
    preds = _anchor_preds(ix)
    order = [n.id for n in graph.nodes if roles[n.id].is_anchored]
    decisions = dict(decisions)
    while True:
        color = {nid: decisions[nid].target for nid in order}
        level = _levels(order, color, preds)
        by_level: dict[tuple[int, int], list[str]] = defaultdict(list)
        for nid in order:
            # Accelerator first within a level, so its asynchronous work overlaps the CPU's.
            by_level[(level[nid], 0 if color[nid] is Target.ACCELERATOR else 1)].append(nid)
        initial = [(color[by_level[k][0]], by_level[k]) for k in sorted(by_level)]
        groups = _merge_groups(initial, preds)
        too_small = [
            members
            for target, members in groups
            if target is Target.ACCELERATOR
            and sum(1 for m in members if roles[m] is Role.COMPUTE) < minimum_segment_size
        ]
        if not too_small:
            break
        for members in too_small:
            count = sum(1 for m in members if roles[m] is Role.COMPUTE)
            for m in members:
                decisions[m] = Decision(
                    Target.CPU,
                    Reason.MIN_SEGMENT,
                    f"its accelerator segment had {count} compute op(s) < minimum_segment_size={minimum_segment_size}",
                )
    ordered = [(t, sorted(m, key=ix.position.__getitem__)) for t, m in groups]
    return _layout(ix, decisions, ordered, minimum_segment_size)


def _layout(
    ix: _Index,
    decisions: Mapping[str, Decision],
    groups: list[tuple[Target, list[str]]],
    minimum_segment_size: int,
) -> Proposal:
    graph, roles = ix.graph, ix.roles
    home: dict[str, int | None] = {}  # anchored/unpack node id -> segment index (None: host)
    for index, (_, members) in enumerate(groups):
        for m in members:
            home[m] = index
    unpack_members: dict[int | None, list[str]] = defaultdict(list)
    for n in graph.nodes:
        if roles[n.id] is Role.UNPACK:
            root = ix.unpack_root(n.id)
            where = home.get(root) if root is not None else None
            home[n.id] = where
            unpack_members[where].append(n.id)

    def producer_unit(value: str) -> tuple[bool, int | None]:
        """(made by a unit?, which): graph inputs count as made by the host."""
        p = ix.top_producer.get(value)
        if p is None:
            return True, None
        if p.id in home:
            return True, home[p.id]
        return False, None

    units: list[tuple[int, Target, list[str]]] = []
    for index, (target, members) in enumerate(groups):
        units.append((index, target, list(members) + unpack_members.get(index, [])))
    host_own = unpack_members.get(None, [])

    def lay_out(own: list[str], extra_values: Iterable[str] = ()) -> tuple[list[str], list[str], list[str]]:
        needed_values = [v for nid in own for v in ix.external[nid]] + list(extra_values)
        closure = _free_closure(ix, needed_values)
        nodes = sorted(set(own) | closure, key=ix.position.__getitem__)
        made = {v.name for nid in nodes for v in graph.node(nid).outputs}
        inputs: dict[str, None] = {}
        for nid in nodes:
            for value in ix.external[nid]:
                if value not in made and not ix.is_module_value(value):
                    inputs.setdefault(value, None)
        for value in extra_values:
            if value not in made and not ix.is_module_value(value):
                inputs.setdefault(value, None)
        metadata = [
            v
            for v in inputs
            if v not in extra_values
            and all(
                graph.node(u).op in METADATA_OPS
                for u in ix.top_users.get(v, ())
                if u in set(nodes)
            )
        ]
        return nodes, list(inputs), metadata

    laid: list[tuple[int, Target, list[str], list[str], list[str], list[str]]] = []
    for index, target, own in units:
        nodes, inputs, metadata = lay_out(own)
        anchored = [m for m in own if roles[m].is_anchored]
        laid.append((index, target, anchored, nodes, inputs, metadata))
    host_nodes, host_inputs, _ = lay_out(host_own, ix.outputs)

    # Outputs: values a unit makes that another unit (or the graph's outputs) reads.
    wanted: dict[int | None, dict[str, None]] = defaultdict(dict)
    for index, _, _, _, inputs, _ in laid:
        for value in inputs:
            made, unit = producer_unit(value)
            if made and unit is not None:
                wanted[unit].setdefault(value, None)
    for value in host_inputs:
        made, unit = producer_unit(value)
        if made and unit is not None:
            wanted[unit].setdefault(value, None)

    segments = tuple(
        Segment(
            index=index,
            target=target,
            anchored=tuple(anchored),
            nodes=tuple(nodes),
            inputs=tuple(inputs),
            metadata_inputs=tuple(metadata),
            outputs=tuple(v for v in _made_order(graph, nodes) if v in wanted.get(index, {})),
            compute_count=sum(1 for m in anchored if roles[m] is Role.COMPUTE),
        )
        for index, target, anchored, nodes, inputs, metadata in laid
    )
    boundaries = _boundaries(ix, segments, host_inputs, producer_unit)
    return Proposal(
        graph=graph,
        roles=dict(roles),
        decisions=dict(decisions),
        segments=segments,
        host_nodes=tuple(host_nodes),
        boundaries=boundaries,
        minimum_segment_size=minimum_segment_size,
        aliases=dict(ix.aliases),
    )


def _made_order(graph: Graph, nodes: Iterable[str]) -> list[str]:
    return [v.name for nid in nodes for v in graph.node(nid).outputs]


def _value_bytes(graph: Graph, value: str) -> int | None:
    v = graph.value(value)
    size = dtype_size(v.dtype)
    if v.shape is None or size is None or any(d is None for d in v.shape):
        return None
    total = size
    for d in v.shape:
        total *= d  # type: ignore[operator]
    return total


def _boundaries(ix: _Index, segments: tuple[Segment, ...], host_inputs: list[str], producer_unit) -> tuple[Boundary, ...]:
    graph = ix.graph
    target_of = {s.index: s.target for s in segments}
    copied: set[tuple[str, Target]] = set()
    edges: list[Boundary] = []

    def add(value: str, dest: int | None, dest_target: Target, metadata_only: bool) -> None:
        made, source = producer_unit(value)
        if not made:
            return
        if source == dest and dest is None:
            return
        source_target = Target.CPU if source is None else target_of[source]
        v = graph.value(value)
        tensor = _carries_tensor(v.type)
        crosses = tensor and not metadata_only and source_target is not dest_target
        transfer = crosses and (value, dest_target) not in copied
        if transfer:
            copied.add((value, dest_target))
        p = ix.top_producer.get(value)
        edges.append(
            Boundary(
                value=value,
                producer=p.id if p is not None else None,
                source=source,
                dest=dest,
                source_target=source_target,
                dest_target=dest_target,
                type=v.type,
                metadata_only=metadata_only,
                transfer=transfer,
                bytes=_value_bytes(graph, value) if tensor else None,
            )
        )

    for s in segments:
        meta = set(s.metadata_inputs)
        for value in s.inputs:
            add(value, s.index, s.target, value in meta)
    for value in host_inputs:
        add(value, None, Target.CPU, False)
    return tuple(edges)


# ---------------------------------------------------------------------------------------------
# The whole proposal, and revisions of it
# ---------------------------------------------------------------------------------------------


def propose(
    graph: Graph,
    rule: SupportRule,
    *,
    minimum_segment_size: int = 2,
    forced: Mapping[str, Decision] | None = None,
) -> Proposal:
    """Classify, decide and segment ``graph`` (an inlined IR graph of a traced model).

    Args:
        graph: ``toolkit.ir.graph(traced, inlined=True)``.
        rule: what the accelerator supports (see :mod:`toolkit.analysis.partition.support`).
        minimum_segment_size: accelerator segments with fewer ``COMPUTE`` nodes fall back to
            the CPU. Views, shape/scalar ops, constants, attribute reads and packing do not
            count.
        forced: decisions that override the rule for some nodes.
    """
    roles = classify(graph)
    decisions = decide(graph, rule, roles=roles, forced=forced)
    return segment(graph, roles, decisions, minimum_segment_size=minimum_segment_size)


def with_cpu_segments(proposal: Proposal, failed: Mapping[int, str], *, reason: Reason = Reason.COMPILE_FAILED) -> Proposal:
    """The same segments with those in ``failed`` moved to the CPU (``{index: detail}``).

    Segment boundaries stay where they were (torch-neuron keeps a failed subgraph as its own
    CPU call); decisions, targets and transfers are recomputed.
    """
    if not failed:
        return proposal
    decisions = dict(proposal.decisions)
    groups: list[tuple[Target, list[str]]] = []
    for s in proposal.segments:
        if s.index in failed:
            for m in s.anchored:
                decisions[m] = Decision(Target.CPU, reason, failed[s.index])
            groups.append((Target.CPU, list(s.anchored)))
        else:
            groups.append((s.target, list(s.anchored)))
    ix = _Index.build(proposal.graph, proposal.roles)
    return _layout(ix, decisions, groups, proposal.minimum_segment_size)
