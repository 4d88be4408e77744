"""Build the immutable IR from a ``torch.export.ExportedProgram``: the only reader of FX graphs.

TorchScript is deprecated and torch.export is where students go next. An exported program is
an FX graph plus a graph signature; this module copies what the views need from it into the
same :mod:`toolkit.ir.model` dataclasses the TorchScript builder fills, so every view, diff
and check reads one model whichever compiler made the graph. As :mod:`toolkit.ir.build` is
the only module that reads TorchScript's C++ graph objects, this is the only one that reads FX nodes.

Where each field comes from:

- kind: the node's ``op`` and ``target``. An ``OpOverload`` (``aten.linear.default``) is an
  operator, spelt ``aten::linear`` as TorchScript spells it (the overload is kept in the
  ``overload`` attribute), so a diff can align it with the script's node. ``torch.cond`` is an
  ``If`` whose blocks are its two branch subgraphs; ``while_loop`` a ``Loop`` whose blocks are
  its condition and body subgraphs; ``map`` a ``Loop`` with one body. ``operator.getitem``
  (which picks one result of a node with several) is a tuple index.
- values: a ``placeholder`` is a block input, ``output`` gives the block outputs; a node whose
  ``val`` is a tuple gets one output value per element. Dtype, shape and the symbolic sizes
  (with ``range_constraints``' ranges) come from ``meta["val"]``.
- scope: ``meta["nn_module_stack"]``, innermost module last.
- source: ``meta["stack_trace"]``: the innermost frame outside torch, the toolkit, the
  standard library and FX's generated code is the user's line.
- signature: ``graph_signature.input_specs`` / ``output_specs`` give each graph input and
  output its role (parameter, buffer, user input, ...).
- code: the graph module's ``.code``, then each subgraph's, under a ``#`` title; each node's
  ``code_line`` is the line that assigns its name.
"""

from __future__ import annotations

import linecache
import operator
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import torch
import torch.fx

from toolkit.errors import NotTorchScriptError
from toolkit.frames import is_library_path
from toolkit.ir.model import Block, Graph, Node, NodeKind, Origin, Scope, SourceLocation, SymbolicSize, Value

__all__ = ["graph", "is_exported_program", "readable_sections", "walk_fx"]

# The higher-order operators that carry subgraphs, and the name each of their blocks gets.
_HOP_KINDS = {"cond": NodeKind.IF, "while_loop": NodeKind.LOOP, "map_impl": NodeKind.LOOP}
BLOCK_ROLES = {
    "higher_order::cond": ("then", "else"),
    "higher_order::while_loop": ("condition", "body"),
    "higher_order::map_impl": ("body",),
}
_ROLE_WORDS = {"then": "then branch", "else": "else branch"}
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')
_MODULE_NAME_PREFIX = re.compile(r"^L\['self'\]\.?|^L__self__\.?")
_CALL_SUFFIX = re.compile(r"@\d+$")


def is_exported_program(obj: Any) -> bool:
    """True for a ``torch.export.ExportedProgram``."""
    return isinstance(obj, torch.export.ExportedProgram)


def graph(program: Any) -> Graph:
    """Build an immutable :class:`~toolkit.ir.model.Graph` from an exported program.

    Args:
        program: a ``torch.export.ExportedProgram`` (from ``torch.export.export`` or
            ``torch.export.load``).

    Raises:
        NotTorchScriptError: ``program`` is not an ``ExportedProgram``.
    """
    if not is_exported_program(program):
        raise NotTorchScriptError(
            f"{type(program).__name__} is not a torch.export.ExportedProgram."
            " Fix: pass the result of torch.export.export(model, example_inputs)."
        )
    return _Builder(program).build()


def walk_fx(gm: torch.fx.GraphModule) -> Iterator[torch.fx.Node]:
    """FX's own depth-first walk of ``gm``: every node but placeholders and the output, with the
    nodes of each higher-order operator's subgraphs right after the node that uses them."""
    for node in gm.graph.nodes:
        if node.op in ("placeholder", "output"):
            continue
        yield node
        for sub in _subgraphs(gm, node):
            yield from walk_fx(sub)


def readable_sections(program: Any) -> tuple[tuple[str, str], ...]:
    """``(title, code)`` of the program's graph module, then of each subgraph, depth-first."""
    root = program.graph_module
    sections: list[tuple[str, str]] = [("forward", _code_of(root))]

    def visit(gm: torch.fx.GraphModule, prefix: str) -> None:
        for node in gm.graph.nodes:
            for name, sub in _named_subgraphs(gm, node):
                title = f"{prefix}{name}"
                role = _role_of(node, name, gm)
                sections.append((f"{title}: the {_ROLE_WORDS.get(role, role)} of {node.name}", _code_of(sub)))
                visit(sub, f"{title}.")

    visit(root, "")
    return tuple(sections)


def _code_of(gm: torch.fx.GraphModule) -> str:
    return "\n".join(line.rstrip() for line in gm.code.strip("\n").splitlines()).rstrip() + "\n"


def _role_of(node: torch.fx.Node, attribute: str, gm: torch.fx.GraphModule) -> str:
    names = [n for n, _ in _named_subgraphs(gm, node)]
    roles = BLOCK_ROLES.get(_op_name(node), ())
    index = names.index(attribute)
    return roles[index] if index < len(roles) else f"subgraph {index}"


def _named_subgraphs(gm: torch.fx.GraphModule, node: torch.fx.Node) -> list[tuple[str, torch.fx.GraphModule]]:
    """The GraphModules a call passes (``torch.cond``'s branches), in argument order."""
    if node.op != "call_function":
        return []
    found = []
    for arg in _flat(node.args):
        if isinstance(arg, torch.fx.Node) and arg.op == "get_attr":
            sub = getattr(gm, str(arg.target), None)
            if isinstance(sub, torch.fx.GraphModule):
                found.append((str(arg.target), sub))
    return found


def _subgraphs(gm: torch.fx.GraphModule, node: torch.fx.Node) -> list[torch.fx.GraphModule]:
    return [sub for _, sub in _named_subgraphs(gm, node)]


def _flat(args: Any) -> Iterator[Any]:
    """Arguments in order, lists, tuples and dicts opened."""
    if isinstance(args, (list, tuple)):
        for a in args:
            yield from _flat(a)
    elif isinstance(args, dict):
        for a in args.values():
            yield from _flat(a)
    else:
        yield args


def _op_name(node: torch.fx.Node) -> str:
    """``aten::linear`` for ``aten.linear.default``, ``higher_order::cond``, ``python::getitem``."""
    target = node.target
    if node.op == "get_attr":
        return "get_attr"
    if isinstance(target, torch._ops.OpOverload):
        return target._schema.name
    if isinstance(target, torch._ops.HigherOrderOperator):
        return f"higher_order::{target.name()}"
    if isinstance(target, torch._ops.OpOverloadPacket):
        return target._qualified_op_name
    name = getattr(target, "__name__", str(target))
    return f"python::{name}"


# ---------------------------------------------------------------------------------------------
# The builder: one pass over the FX graph, depth-first into subgraphs
# ---------------------------------------------------------------------------------------------


@dataclass
class _Builder:
    program: Any
    taken: set[str] = field(default_factory=set)
    code_lines: dict[tuple[int, str], int] = field(default_factory=dict)
    ranges: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    root_type: str = ""

    def build(self) -> Graph:
        program = self.program
        self.ranges = _ranges(program)
        self.root_type = _root_type(program.graph_module)
        code = self._code_and_lines()
        signature = program.graph_signature
        roles = {spec.arg.name: spec for spec in signature.input_specs if hasattr(spec.arg, "name")}
        top = self._block(program.graph_module, block_id="top", prefix="", input_specs=roles)
        output_roles = tuple(_kind_text(spec.kind) for spec in signature.output_specs)
        return Graph(
            name=f"{self.root_type or 'program'}.forward",
            origin=Origin.EXPORTED,
            inlined=True,
            top=top,
            module_type=self.root_type,
            code=code,
            output_roles=output_roles if len(output_roles) == len(top.outputs) else (),
        )

    # -- code ------------------------------------------------------------------------------
    def _code_and_lines(self) -> str:
        """The readable code, and each FX node's line in it (keyed by its graph module)."""
        chunks: list[str] = []
        offset = 0
        modules = self._graph_modules()
        for (title, text), gm in zip(readable_sections(self.program), modules):
            header = f"# {title}\n" if chunks else ""
            chunk = header + text
            base = offset + (1 if header else 0)
            lines = text.splitlines()
            for node in gm.graph.nodes:
                pattern = re.compile(rf"^\s*{re.escape(node.name)}\s*(?::[^=]*)?=\s")
                for index, line in enumerate(lines):
                    if pattern.match(line):
                        self.code_lines[(id(gm), node.name)] = base + index + 1
                        break
            chunks.append(chunk)
            offset += len(chunk.splitlines()) + 1  # a blank line between sections
        return "\n".join(chunks)

    def _graph_modules(self) -> list[torch.fx.GraphModule]:
        out = [self.program.graph_module]

        def visit(gm: torch.fx.GraphModule) -> None:
            for node in gm.graph.nodes:
                for sub in _subgraphs(gm, node):
                    out.append(sub)
                    visit(sub)

        visit(self.program.graph_module)
        return out

    # -- names ------------------------------------------------------------------------------
    def _name(self, stem: str) -> str:
        """A value name unique in the whole graph (subgraphs reuse their parent's FX names)."""
        stem = re.sub(r"\W", "_", stem) or "v"
        name, i = stem, 1
        while name in self.taken:
            i += 1
            name = f"{stem}_{i}"
        self.taken.add(name)
        return name

    # -- blocks and nodes -------------------------------------------------------------------
    def _block(
        self,
        gm: torch.fx.GraphModule,
        *,
        block_id: str,
        prefix: str,
        input_specs: dict[str, Any] | None = None,
        enclosing: Scope | None = None,
    ) -> Block:
        """One graph module as a block; ``enclosing`` is the scope of the node whose subgraph it is
        (torch records no module stack inside a branch, which runs where its ``torch.cond`` runs)."""
        names: dict[str, tuple[str, ...]] = {}  # FX node name -> our value name(s)
        inputs: list[Value] = []
        nodes: list[Node] = []
        outputs: tuple[str, ...] = ()
        for fx_node in gm.graph.nodes:
            if fx_node.op == "placeholder":
                spec = (input_specs or {}).get(fx_node.name)
                value = self._value(fx_node.name, fx_node.meta.get("val"), spec=spec)
                names[fx_node.name] = (value.name,)
                inputs.append(value)
            elif fx_node.op == "output":
                outputs = tuple(
                    name for arg in _flat(fx_node.args) if isinstance(arg, torch.fx.Node) for name in names[arg.name]
                )
            else:
                node = self._node(gm, fx_node, node_id=f"{prefix}n{len(nodes)}", names=names, enclosing=enclosing)
                names[fx_node.name] = tuple(v.name for v in node.outputs)
                nodes.append(node)
        return Block(id=block_id, inputs=tuple(inputs), nodes=tuple(nodes), outputs=outputs)

    def _node(
        self, gm: torch.fx.GraphModule, fx_node: torch.fx.Node, *, node_id: str, names: dict, enclosing: Scope | None
    ) -> Node:
        op = _op_name(fx_node)
        kind = self._kind(fx_node, op)
        inputs = self._inputs(fx_node, names)
        outputs = self._outputs(fx_node)
        scope = self._scope(fx_node)
        if enclosing is not None and not scope.path:
            scope = enclosing
        blocks = tuple(
            self._block(sub, block_id=f"{node_id}.b{i}", prefix=f"{node_id}.b{i}.", enclosing=scope)
            for i, sub in enumerate(_subgraphs(gm, fx_node))
        )
        attributes: dict[str, Any] = {"fx_name": fx_node.name}
        if isinstance(fx_node.target, torch._ops.OpOverload):
            attributes["overload"] = fx_node.target._overloadname
        if fx_node.op == "get_attr":
            attributes["name"] = str(fx_node.target)
        constants = _constant_arguments(fx_node)
        if constants:
            attributes["constants"] = constants
        return Node(
            id=node_id,
            kind=kind,
            op=op,
            inputs=inputs,
            outputs=outputs,
            blocks=blocks,
            scope=scope,
            attributes=attributes,
            source=_source_location(fx_node.meta.get("stack_trace")),
            arg_names=_arg_names(fx_node, len(inputs)),
            code_line=self.code_lines.get((id(gm), fx_node.name)),
        )

    def _kind(self, fx_node: torch.fx.Node, op: str) -> NodeKind:
        if fx_node.op == "get_attr":
            return NodeKind.GET_ATTR
        if isinstance(fx_node.target, torch._ops.HigherOrderOperator):
            return _HOP_KINDS.get(fx_node.target.name(), NodeKind.BLOCK_OTHER)
        if fx_node.target is operator.getitem:
            return NodeKind.TUPLE_INDEX
        if isinstance(fx_node.target, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
            return NodeKind.OP
        return NodeKind.OTHER_PRIM

    def _inputs(self, fx_node: torch.fx.Node, names: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
        if fx_node.target is operator.getitem and isinstance(fx_node.args[0], torch.fx.Node):
            source, index = fx_node.args[0], fx_node.args[1]
            produced = names[source.name]
            if len(produced) > 1 and isinstance(index, int):
                return (produced[index],)  # one result of a node with several
        found: list[str] = []
        for arg in _flat((fx_node.args, fx_node.kwargs)):
            if isinstance(arg, torch.fx.Node):
                found.extend(names[arg.name])
        return tuple(found)

    def _outputs(self, fx_node: torch.fx.Node) -> tuple[Value, ...]:
        val = fx_node.meta.get("val")
        if fx_node.op == "get_attr":
            return (Value(name=self._name(fx_node.name), debug_name=fx_node.name, type="GraphModule"),)
        if isinstance(val, (list, tuple)):  # one value per result (torch.cond's, max's pair)
            return tuple(self._value(f"{fx_node.name}_{i}", v) for i, v in enumerate(val))
        return (self._value(fx_node.name, val),)

    def _value(self, stem: str, val: Any, *, spec: Any = None) -> Value:
        name = self._name(stem)
        role = _kind_text(spec.kind) if spec is not None else ""
        target = str(spec.target) if spec is not None and spec.target else ""
        if isinstance(val, torch.Tensor):
            shape: list[int | None] = []
            symbolic: list[SymbolicSize] = []
            for dim, size in enumerate(val.shape):
                if isinstance(size, torch.SymInt) and not _is_concrete(size):
                    shape.append(None)
                    symbolic.append(self._symbol(dim, size))
                else:
                    shape.append(int(size))
            return Value(
                name=name, debug_name=stem, type="Tensor", dtype=str(val.dtype).replace("torch.", ""),
                shape=tuple(shape), symbolic=tuple(symbolic), role=role, target=target,
            )
        if isinstance(val, (torch.SymInt, torch.SymFloat, torch.SymBool)):
            type_text = type(val).__name__
            symbolic_value = () if _is_concrete(val) else (self._symbol(None, val),)
            return Value(name=name, debug_name=stem, type=type_text, symbolic=symbolic_value, role=role, target=target)
        type_text = "None" if val is None else type(val).__name__
        return Value(name=name, debug_name=stem, type=type_text, role=role, target=target)

    def _symbol(self, dim: int | None, size: Any) -> SymbolicSize:
        expr = str(size.node.expr)
        low, high = self.ranges.get(expr, (None, None))
        return SymbolicSize(dim=dim, expr=expr, low=low, high=high)

    # -- scopes -----------------------------------------------------------------------------
    def _scope(self, fx_node: torch.fx.Node) -> Scope:
        stack = fx_node.meta.get("nn_module_stack") or {}
        entries = [(_module_path(path), _class_name(kind)) for path, kind in stack.values()]
        entries = [(path, kind) for path, kind in entries if path]
        if not entries:
            return Scope(path=(), types=(self.root_type,))
        path = entries[-1][0]
        type_at = {p: k for p, k in entries}
        types = [self.root_type] + [type_at.get(path[: i + 1], "") for i in range(len(path))]
        return Scope(path=path, types=tuple(types))


def _module_path(text: str) -> tuple[str, ...]:
    """``("layer1", "0", "conv1")`` from ``layer1.0.conv1`` (or ``L['self'].layer1...``); ``relu@1`` is ``relu``."""
    text = _MODULE_NAME_PREFIX.sub("", str(text))
    return tuple(_CALL_SUFFIX.sub("", part) for part in text.split(".") if part)


def _class_name(qualified: Any) -> str:
    text = getattr(qualified, "__name__", None) or str(qualified)
    return text.rsplit(".", 1)[-1]


def _root_type(gm: torch.fx.GraphModule) -> str:
    """The exported module's class name, from the root entry of any node's module stack."""
    for node in gm.graph.nodes:
        for path, kind in (node.meta.get("nn_module_stack") or {}).values():
            if not _module_path(path):
                return _class_name(kind)
    return ""


def _kind_text(kind: Any) -> str:
    """``parameter`` for ``InputKind.PARAMETER``."""
    return str(getattr(kind, "name", kind)).lower()


def _ranges(program: Any) -> dict[str, tuple[int | None, int | None]]:
    out: dict[str, tuple[int | None, int | None]] = {}
    for symbol, bounds in program.range_constraints.items():
        out[str(symbol)] = (_finite(bounds.lower), _finite(bounds.upper))
    return out


def _finite(bound: Any) -> int | None:
    """``bound`` as an int; ``None`` for an infinite one (torch's ``int_oo``, sympy's ``oo``)."""
    if not getattr(bound, "is_finite", True) or not getattr(bound, "is_number", True):
        return None
    try:
        return int(bound)
    except (TypeError, ValueError, OverflowError, AttributeError):
        return None


def _is_concrete(size: Any) -> bool:
    return bool(getattr(size.node.expr, "is_number", False))


def _constant_arguments(fx_node: torch.fx.Node) -> tuple[str, ...]:
    """The arguments that are not graph values (``0`` in ``gt(sum_1, 0)``), as ``name=value`` text."""
    schema_names = _schema_names(fx_node)
    out: list[str] = []
    for index, arg in enumerate(fx_node.args):
        if _holds_node(arg):
            continue
        label = schema_names[index] if index < len(schema_names) else f"#{index}"
        out.append(f"{label}={arg!r}")
    for key, arg in fx_node.kwargs.items():
        if not _holds_node(arg):
            out.append(f"{key}={arg!r}")
    return tuple(out)


def _holds_node(arg: Any) -> bool:
    return any(isinstance(a, torch.fx.Node) for a in _flat(arg))


def _schema_names(fx_node: torch.fx.Node) -> list[str]:
    if isinstance(fx_node.target, torch._ops.OpOverload):
        return [a.name for a in fx_node.target._schema.arguments]
    return []


def _arg_names(fx_node: torch.fx.Node, arity: int) -> tuple[str, ...]:
    """The schema's name for each graph-value input, where each input is one whole argument."""
    schema_names = _schema_names(fx_node)
    if not schema_names:
        return ()
    names = [
        schema_names[index] if index < len(schema_names) else f"#{index}"
        for index, arg in enumerate(fx_node.args)
        if isinstance(arg, torch.fx.Node)
    ] + [key for key, arg in fx_node.kwargs.items() if isinstance(arg, torch.fx.Node)]
    return tuple(names) if len(names) == arity else ()


def _source_location(stack_trace: str | None) -> SourceLocation | None:
    """The innermost frame of ``stack_trace`` (outermost first, as Python prints it) in user code."""
    if not stack_trace:
        return None
    found: tuple[str, int] | None = None
    for line in stack_trace.splitlines():
        m = _FRAME.match(line)
        if m and _is_user_file(m.group("file")):
            found = (m.group("file"), int(m.group("line")))
    if found is None:
        return None
    text = linecache.getline(found[0], found[1]).strip() or None
    return SourceLocation(file=found[0], line=found[1], text=text)


def _is_user_file(path: str) -> bool:
    """Not library code, and not FX's generated code (``<eval_with_key>.5``)."""
    if path.startswith("<") and not path.startswith("<ipython-input"):
        return False
    return not is_library_path(path)
