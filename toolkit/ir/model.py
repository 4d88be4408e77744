"""The pure-Python, immutable model of a TorchScript graph.

Why a model of our own: torch's C++ graph objects are live handles. They change under
passes, their debug names are not stable across runs, and they cannot be compared, hashed or
snapshotted. Everything else in the toolkit (views, checks, partitioning) reads this model
instead, so only :mod:`toolkit.ir.build` touches torch's C++ graph objects.

The shapes, outermost first::

    Graph   one method of one module (or a free function), with its TorchScript ``.code``
      Block   an ordered list of nodes with block inputs (params) and outputs (returns)
        Node    one TorchScript instruction: kind, inputs, outputs, nested blocks, scope, source
          Value   one SSA value: a stable name, torch's debug name, type, dtype and shape

Names are deterministic: a node's ``id`` is its position (``"n4"``, ``"n4.b1.n0"`` for the
first node of the second block of node 4); a value's ``name`` is torch's debug name with the
run-specific numeric suffix replaced by a topological counter, so the same model gives the
same names in every run.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from toolkit.frames import display_file_name


class NodeKind(enum.Enum):
    """Every category of TorchScript (or exported FX) node the toolkit distinguishes.

    The raw string (``aten::relu``, ``prim::If``) is kept on :attr:`Node.op`; this enum is the
    parsed category, so code never compares kind strings.

    Members:
        OP: a compute operator from an ``aten::``, ``quantized::`` or custom namespace.
        CONSTANT: ``prim::Constant``; its value is in ``attributes["value"]``.
        GET_ATTR: ``prim::GetAttr``: a submodule, parameter, buffer or attribute read.
        SET_ATTR: ``prim::SetAttr``: a module attribute written (scripted code only).
        CALL_METHOD: ``prim::CallMethod``: a call into a submodule method (not inlined).
        CALL_FUNCTION: ``prim::CallFunction``: a call to a scripted free function.
        IF: ``prim::If`` with a then-block and an else-block; in an exported program,
            ``torch.cond`` (``higher_order::cond``) with its two branch subgraphs as the blocks.
        LOOP: ``prim::Loop`` with a trip count, a condition and one body block; in an exported
            program, ``while_loop`` (a condition block then a body block) or ``map`` (one body).
        LIST_CONSTRUCT / LIST_UNPACK / TUPLE_CONSTRUCT / TUPLE_UNPACK / TUPLE_INDEX /
        DICT_CONSTRUCT: container plumbing.
        PYTHON_OP: ``prim::PythonOp``: an opaque Python call baked into a trace.
        OTHER_PRIM: any other ``prim::`` node (``prim::device``, ``prim::NumToTensor``, ...).
        BLOCK_OTHER: any other node that carries blocks (``prim::With``, ``prim::Closure``...).
    """

    OP = "op"
    CONSTANT = "constant"
    GET_ATTR = "get_attr"
    SET_ATTR = "set_attr"
    CALL_METHOD = "call_method"
    CALL_FUNCTION = "call_function"
    IF = "if"
    LOOP = "loop"
    LIST_CONSTRUCT = "list_construct"
    LIST_UNPACK = "list_unpack"
    TUPLE_CONSTRUCT = "tuple_construct"
    TUPLE_UNPACK = "tuple_unpack"
    TUPLE_INDEX = "tuple_index"
    DICT_CONSTRUCT = "dict_construct"
    PYTHON_OP = "python_op"
    OTHER_PRIM = "other_prim"
    BLOCK_OTHER = "block_other"

    @property
    def is_control_flow(self) -> bool:
        """True for ``prim::If`` and ``prim::Loop``."""
        return self in (NodeKind.IF, NodeKind.LOOP)


class Origin(enum.Enum):
    """How the graph came to be, which decides how scopes and sources were recovered."""

    TRACED = "traced"
    SCRIPTED = "scripted"
    FUNCTION = "function"
    RAW_GRAPH = "raw_graph"
    EXPORTED = "exported"


@dataclass(frozen=True)
class SourceLocation:
    """Where a node came from in the user's Python code.

    Attributes:
        file: path of the file (or ``<ipython-input-...>`` cell name) torch recorded.
        line: 1-based line number in that file.
        text: the text of that line, stripped, when it could be read; ``None`` otherwise.
    """

    file: str
    line: int
    text: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def short(self) -> str:
        """``models.py:33`` or ``cell [3]:2``: the file as a person reads it
        (:func:`toolkit.frames.display_file_name`) and the line, as labels and messages show it."""
        return f"{display_file_name(self.file)}:{self.line}"


@dataclass(frozen=True)
class SymbolicSize:
    """A size torch.export left symbolic (``s0`` for a dynamic batch, ``u0`` for a data-dependent count).

    Attributes:
        dim: which dimension of the value's shape it is; ``None`` when the value itself is the
            symbolic integer (a ``SymInt`` such as ``x.size(0)``).
        expr: torch's expression for it (``s0``, ``2*s0``, ``u0``).
        low, high: the range torch proved for a single symbol (``high`` ``None`` when unbounded);
            both ``None`` for an expression of several symbols.
    """

    dim: int | None
    expr: str
    low: int | None = None
    high: int | None = None

    @property
    def range_text(self) -> str:
        """``s0 in [2, 1024]`` / ``u0 in [0, ∞)``, or the bare expression when no range is known."""
        if self.low is None:
            return self.expr
        return f"{self.expr} in [{self.low}, {'∞)' if self.high is None else f'{self.high}]'}"


@dataclass(frozen=True)
class Value:
    """One SSA value.

    Attributes:
        name: deterministic name, unique within the graph (``x``, ``input``, ``v12``).
        debug_name: torch's own debug name (``input.1``); not stable across runs.
        type: TorchScript type as text (``Tensor``, ``int``, ``Float(3, 4)`` simplified to
            ``Tensor``; ``__torch__.MyCell`` for modules).
        dtype: the tensor dtype (``float32``) where torch recorded one, else ``None``.
        shape: the tensor sizes where torch recorded them; ``None`` entries are unknown dims.
        symbolic: the sizes an exported program keeps symbolic (their dims are ``None`` in
            ``shape``), with the ranges torch proved; empty for TorchScript.
        role: for a graph input or output of an exported program, what its graph signature says
            it is (``parameter``, ``buffer``, ``constant``, ``user_input``, ``user_output``...);
            ``""`` elsewhere.
        target: for a parameter, buffer or constant input, its name in the module
            (``linear.weight``); ``""`` elsewhere.
    """

    name: str
    debug_name: str
    type: str
    dtype: str | None = None
    shape: tuple[int | None, ...] | None = None
    symbolic: tuple[SymbolicSize, ...] = ()
    role: str = ""
    target: str = ""

    @property
    def is_tensor(self) -> bool:
        """True when the value's type is a tensor."""
        return self.type == "Tensor"

    @property
    def shape_text(self) -> str:
        """Shape as ``3×4`` (``?`` for unknown dims), or empty when unknown."""
        if self.shape is None:
            return ""
        named = {s.dim: s.expr for s in self.symbolic if s.dim is not None}
        return "×".join(named.get(i, "?") if d is None else str(d) for i, d in enumerate(self.shape))


@dataclass(frozen=True)
class Scope:
    """The module a node belongs to.

    Attributes:
        path: attribute path from the root module (``("layer1", "0", "conv1")``); empty for the
            root module itself.
        types: the module class names along the path, root first, one per path element plus
            the root: ``("ResNet", "Sequential", "Bottleneck", "Conv2d")``. Entries are
            ``""`` where torch did not record a class name.
    """

    path: tuple[str, ...] = ()
    types: tuple[str, ...] = ()

    @property
    def dotted(self) -> str:
        """``layer1.0.conv1`` (empty for the root)."""
        return ".".join(self.path)


ROOT_SCOPE = Scope()


@dataclass(frozen=True)
class Node:
    """One TorchScript instruction.

    Attributes:
        id: deterministic position id (``"n3"``, ``"n3.b0.n1"``).
        kind: parsed category.
        op: torch's raw kind string (``aten::add``, ``prim::If``).
        inputs: names of the values consumed, in order.
        outputs: the values produced, in order.
        blocks: nested blocks (If: then, else; Loop: body).
        scope: the module this node belongs to.
        attributes: node attributes with plain-Python values (``value`` for constants,
            ``name`` for GetAttr / CallMethod / SetAttr).
        source: the user's source line for this node, where torch kept one.
        arg_names: the operator schema's argument names, one per input, where torch knows
            the schema (``("self", "other", "alpha")`` for ``aten::add``); empty otherwise.
        code_line: the 1-based line in the graph's TorchScript ``.code`` that this node
            became, where it could be matched; ``None`` otherwise.
        library: True when the node's own source is library code (torch, an installed
            package, a TorchScript ``<string>`` built-in: :func:`toolkit.frames.is_library_source`),
            decided once when the graph is built. Views fold library control flow into the
            module that ran it, and analyses never report it as the user's.
    """

    id: str
    kind: NodeKind
    op: str
    inputs: tuple[str, ...]
    outputs: tuple[Value, ...]
    blocks: tuple["Block", ...] = ()
    scope: Scope = ROOT_SCOPE
    attributes: Mapping[str, Any] = field(default_factory=dict)
    source: SourceLocation | None = None
    arg_names: tuple[str, ...] = ()
    code_line: int | None = None
    library: bool = False

    @property
    def namespace(self) -> str:
        """``aten`` for ``aten::add``."""
        return self.op.split("::", 1)[0]

    @property
    def short_op(self) -> str:
        """``add`` for ``aten::add``."""
        return self.op.split("::", 1)[-1]

    def walk(self) -> Iterator["Node"]:
        """This node, then every node nested in its blocks, depth-first."""
        yield self
        for block in self.blocks:
            yield from block.walk()


@dataclass(frozen=True)
class Block:
    """An ordered list of nodes with its own parameters and returns.

    Attributes:
        id: ``"top"`` for the graph's own block, else ``"<node id>.b<i>"``.
        inputs: block parameters (for a Loop body: the iteration counter then carried values).
        nodes: the nodes, in execution order.
        outputs: names of the values returned (for a Loop body: the continue condition first).
    """

    id: str
    inputs: tuple[Value, ...]
    nodes: tuple[Node, ...]
    outputs: tuple[str, ...]

    def walk(self) -> Iterator[Node]:
        """Every node in this block and its nested blocks, depth-first, in order."""
        for node in self.nodes:
            yield from node.walk()


@dataclass(frozen=True)
class Graph:
    """One method of a module (or a free function) as an immutable graph.

    Attributes:
        name: what the graph is of (``MyCell3.forward``).
        origin: traced, scripted, a free function, or a raw torch graph (``torch.Graph``).
        inlined: whether submodule calls were inlined into this graph.
        top: the graph's own block; its inputs are the method's parameters (``self`` first for
            a method) and its outputs the returned values.
        module_type: class name of the root module, or ``""``.
        code: the TorchScript ``.code`` text of the method, or ``""`` for a raw graph; for an
            exported program, its graph module's Python code followed by each branch or loop
            subgraph's code.
        output_roles: for an exported program, the graph signature's kind of each output
            (``user_output``, ``buffer_mutation``...), one per ``outputs`` entry; empty otherwise.
    """

    name: str
    origin: Origin
    inlined: bool
    top: Block
    module_type: str = ""
    code: str = ""
    output_roles: tuple[str, ...] = ()

    # --- navigation ---------------------------------------------------------------------
    @property
    def inputs(self) -> tuple[Value, ...]:
        return self.top.inputs

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.top.outputs

    @property
    def nodes(self) -> tuple[Node, ...]:
        """Top-level nodes only; use :meth:`walk` for nested ones."""
        return self.top.nodes

    def walk(self) -> Iterator[Node]:
        """Every node, nested ones included, depth-first in execution order."""
        return self.top.walk()

    def blocks(self) -> Iterator[Block]:
        """The top block, then every nested block, depth-first."""
        yield self.top
        for node in self.walk():
            yield from node.blocks

    def node(self, node_id: str) -> Node:
        """The node with this id; ``KeyError`` naming the id if there is none."""
        try:
            return self._node_index[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id!r} in graph {self.name!r}") from None

    def value(self, name: str) -> Value:
        """The value with this name; ``KeyError`` naming it if there is none."""
        try:
            return self._value_index[name]
        except KeyError:
            raise KeyError(f"no value {name!r} in graph {self.name!r}") from None

    def producer(self, value_name: str) -> Node | None:
        """The node that outputs ``value_name``; ``None`` for graph and block inputs."""
        return self._producer_index.get(value_name)

    def users(self, value_name: str) -> tuple[Node, ...]:
        """Nodes that take ``value_name`` as an input, in execution order."""
        return self._user_index.get(value_name, ())

    def count(self, kind: NodeKind) -> int:
        """How many nodes (nested included) have this kind."""
        return sum(1 for n in self.walk() if n.kind is kind)

    # --- lazily built indexes (derived, so the dataclass stays the single source) --------
    @property
    def _node_index(self) -> dict[str, Node]:
        return self._indexes()[0]

    @property
    def _value_index(self) -> dict[str, Value]:
        return self._indexes()[1]

    @property
    def _producer_index(self) -> dict[str, Node]:
        return self._indexes()[2]

    @property
    def _user_index(self) -> dict[str, tuple[Node, ...]]:
        return self._indexes()[3]

    def _indexes(self):
        cached = self.__dict__.get("_cache")
        if cached is None:
            nodes: dict[str, Node] = {}
            values: dict[str, Value] = {}
            producers: dict[str, Node] = {}
            users: dict[str, list[Node]] = {}
            for block in self.blocks():
                for v in block.inputs:
                    values[v.name] = v
            for n in self.walk():
                nodes[n.id] = n
                for v in n.outputs:
                    values[v.name] = v
                    producers[v.name] = n
                for name in n.inputs:
                    users.setdefault(name, []).append(n)
            cached = (nodes, values, producers, {k: tuple(v) for k, v in users.items()})
            object.__setattr__(self, "_cache", cached)
        return cached

    def __repr__(self) -> str:
        total = sum(1 for _ in self.walk())
        return (
            f"<Graph {self.name} ({self.origin.value}{', inlined' if self.inlined else ''}):"
            f" {len(self.inputs)} inputs, {len(self.nodes)} top-level nodes, {total} in all>"
        )
