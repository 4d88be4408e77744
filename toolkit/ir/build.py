"""Build the immutable IR from torch's live graph objects.

This is the only module in the toolkit that reads ``torch._C`` graph objects. Everything it
learns is copied into plain dataclasses (:mod:`toolkit.ir.model`) so that nothing downstream
holds a C++ handle, and so that names are stable across runs. The few other layers that need
one fact from torch's private JIT API (the pipeline, the instrumented trace) get it from a
small function at the end of this module, so that API is read in one place only.

Where each field comes from:

- kind and attributes: ``node.kind()``, ``node.attributeNames()`` / ``node.kindOf(name)``;
  constants through ``output.toIValue()``.
- types, dtypes and shapes: ``value.type()``; a ``TensorType`` gives ``scalarType()`` and
  ``varyingSizes()`` when the trace recorded them.
- scope: for inlined graphs, ``node.getModuleHierarchy()`` (filled in by torch's inliner for
  both traced and scripted modules), falling back to ``scopeName()`` on traced graphs; for
  graphs that are not inlined, the ``prim::GetAttr`` chain that feeds each
  ``prim::CallMethod``.
- source: ``node.sourceRange()``. Scripted nodes carry ``File "f", line N``; traced nodes
  carry the Python stack (``f(N): fn`` lines) from which the first frame outside torch and
  the toolkit is the user's line.
"""

from __future__ import annotations

import contextlib
import linecache
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, cast

import torch

from toolkit.errors import NotTorchScriptError
from toolkit.frames import is_library_path, is_library_source
from toolkit.ir import build_export
from toolkit.ir.codemap import with_code_lines
from toolkit.ir.model import (
    ROOT_SCOPE,
    Block,
    Graph,
    Node,
    NodeKind,
    Origin,
    Scope,
    SourceLocation,
    Value,
)

__all__ = [
    "baked_devices",
    "graph",
    "infer_jit_type",
    "method_code",
    "method_overloads",
    "resolve_method",
    "tracing_paused",
]

_KIND_BY_OP = {
    "prim::Constant": NodeKind.CONSTANT,
    "prim::GetAttr": NodeKind.GET_ATTR,
    "prim::SetAttr": NodeKind.SET_ATTR,
    "prim::CallMethod": NodeKind.CALL_METHOD,
    "prim::CallFunction": NodeKind.CALL_FUNCTION,
    "prim::If": NodeKind.IF,
    "prim::Loop": NodeKind.LOOP,
    "prim::ListConstruct": NodeKind.LIST_CONSTRUCT,
    "prim::ListUnpack": NodeKind.LIST_UNPACK,
    "prim::TupleConstruct": NodeKind.TUPLE_CONSTRUCT,
    "prim::TupleUnpack": NodeKind.TUPLE_UNPACK,
    "prim::TupleIndex": NodeKind.TUPLE_INDEX,
    "prim::DictConstruct": NodeKind.DICT_CONSTRUCT,
    "prim::PythonOp": NodeKind.PYTHON_OP,
}

_MANGLE = re.compile(r"___torch_mangle_\d+\.")
# "name(Type).name(Type)": types are identifiers; names may hold anything, even "(" or "."
_HIERARCHY_TYPE = re.compile(r"\((\w*)\)(?:\.|$)")
_SCRIPT_SOURCE = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
_TRACE_FRAME = re.compile(r"^(?P<file>.+)\((?P<line>\d+)\): (?P<func>.+)$")
_SCALAR_TYPE_TO_DTYPE = {
    "Float": "float32",
    "Double": "float64",
    "Half": "float16",
    "BFloat16": "bfloat16",
    "Long": "int64",
    "Int": "int32",
    "Short": "int16",
    "Char": "int8",
    "Byte": "uint8",
    "Bool": "bool",
    "ComplexFloat": "complex64",
    "ComplexDouble": "complex128",
}


def kind_of(op: str, has_blocks: bool = False) -> NodeKind:
    """Parse torch's raw kind string into a :class:`NodeKind` (once, here)."""
    kind = _KIND_BY_OP.get(op)
    if kind is not None:
        return kind
    if op.startswith("prim::"):
        return NodeKind.BLOCK_OTHER if has_blocks else NodeKind.OTHER_PRIM
    return NodeKind.OP


def graph(obj: Any, method: str = "forward", *, inlined: bool = True) -> Graph:
    """Build an immutable :class:`~toolkit.ir.model.Graph` from a TorchScript object.

    Args:
        obj: a ``torch.jit.ScriptModule`` (traced or scripted), a ``torch.jit.ScriptFunction``,
            a ``torch._C.Graph``, or any object with a ``.module`` attribute holding one of
            those (a toolkit ``Pipeline``); or a ``torch.export.ExportedProgram``, read by
            :mod:`toolkit.ir.build_export` (``method`` and ``inlined`` do not apply to it).
        method: which method of a module to read; for an overloaded method (scripted
            ``nn.LSTM.forward``) the overload a plain tensor call runs (:func:`resolve_method`).
        inlined: read the graph with submodule calls inlined (every aten op visible, grouped
            by module scope) or as torch stores it (one ``prim::CallMethod`` per submodule).

    Raises:
        NotTorchScriptError: ``obj`` is an ``nn.Module`` that was never traced or scripted, or
            not a TorchScript object at all, or has no such method, or ``method`` is not a
            method name (a non-empty str).
    """
    if not isinstance(method, str) or not method:
        raise NotTorchScriptError(
            f"method={method!r} is not a method name: graph() reads one method of a module by its"
            f" name, a non-empty str, and got {type(method).__name__}."
            " Fix: pass the method's name, for example method='forward' (the default)."
        )
    if build_export.is_exported_program(obj):
        return build_export.graph(obj)
    module = getattr(obj, "module", None)
    if isinstance(module, torch.jit.ScriptModule) and not isinstance(obj, torch.nn.Module):
        obj = module
    if isinstance(obj, torch.jit.ScriptModule):
        return _graph_of_module(obj, method, inlined=inlined)
    if isinstance(obj, torch.jit.ScriptFunction):
        g = _as_read(obj.graph, inlined=inlined)
        name = getattr(obj, "name", None) or getattr(obj, "qualified_name", "function")
        # torch's stub declares ScriptFunction.code a method; at runtime it is a str property.
        code = cast(str, obj.code)
        return _Builder(origin=Origin.FUNCTION, root=None).build(
            g, name=str(name).split(".")[-1], inlined=inlined, code=code, module_type=""
        )
    if isinstance(obj, torch._C.Graph):
        return _Builder(origin=Origin.RAW_GRAPH, root=None).build(
            obj, name="graph", inlined=False, code="", module_type=""
        )
    if isinstance(obj, torch.nn.Module):
        raise NotTorchScriptError(
            f"{type(obj).__name__} is an eager nn.Module, not TorchScript, so it has no graph yet."
            " Fix: pass torch.jit.script(model) or torch.jit.trace(model, example_inputs), or use"
            " toolkit.script(model) / toolkit.trace(model, example_inputs); or export it:"
            " torch.export.export(model, example_inputs) gives an ExportedProgram, which this reads too."
        )
    raise NotTorchScriptError(
        f"cannot read a graph from {type(obj).__name__!s} object {_short_repr(obj)}:"
        " expected TorchScript (a torch.jit.ScriptModule, a torch.jit.ScriptFunction or a torch._C.Graph)"
        " or a torch.export.ExportedProgram."
        " Fix: trace or script it first (toolkit.trace / toolkit.script), or export it (torch.export.export)."
    )


def _graph_of_module(module: torch.jit.ScriptModule, method: str, *, inlined: bool) -> Graph:
    resolved = resolve_method(module, method)
    script_method = module._c._get_method(resolved)
    g = _as_read(script_method.graph, inlined=inlined)
    origin = Origin.TRACED if isinstance(module, torch.jit.TracedModule) else Origin.SCRIPTED
    return _Builder(origin=origin, root=module).build(
        g,
        name=f"{module.original_name}.{resolved}",
        inlined=inlined,
        code=script_method.code,
        module_type=module.original_name,
    )


def method_overloads(module: torch.jit.ScriptModule, method: str) -> tuple[str, ...]:
    """The compiled overloads of ``method`` (``forward__0``, ``forward__1``, ...), in number order.

    A module whose ``forward`` is declared with ``@torch.jit._overload_method`` (``nn.LSTM``,
    ``nn.GRU``, ``nn.RNN``: a plain tensor or a ``PackedSequence``) has no method of that name
    once scripted: TorchScript compiles each overload as ``<name>__<k>``. Empty when ``method``
    is an ordinary method.
    """
    prefix = f"{method}__"
    found = [name for name in module._c._method_names() if name.startswith(prefix) and name[len(prefix) :].isdigit()]
    return tuple(sorted(found, key=lambda name: int(name[len(prefix) :])))


def resolve_method(module: torch.jit.ScriptModule, method: str) -> str:
    """The compiled method that ``method`` names on ``module``: itself, or one of its overloads.

    For an overloaded method the choice is the overload a plain tensor call runs: the first
    (lowest numbered) whose first argument after ``self`` is a ``Tensor`` (``forward__0`` for
    ``nn.LSTM``, the one taking ``Tensor input`` rather than a ``PackedSequence``), else the
    first overload. Ask for another by its compiled name (``method="forward__1"``); the graph's
    name (``LSTM.forward__0``) says which one was read.

    Raises:
        NotTorchScriptError: ``module`` has no such method and no overloads of it.
    """
    names = module._c._method_names()
    if method in names:
        return method
    overloads = method_overloads(module, method)
    for name in overloads:
        arguments = module._c._get_method(name).schema.arguments[1:]
        if arguments and isinstance(arguments[0].type, torch._C.TensorType):
            return name
    if overloads:
        return overloads[0]
    raise NotTorchScriptError(
        f"{module.original_name} has no TorchScript method {method!r}; it has {sorted(names)}."
        " Fix: pass one of those as method=, or export the method with @torch.jit.export."
    )


def method_code(module: torch.jit.ScriptModule, method: str = "forward") -> tuple[tuple[str, str], ...]:
    """``(compiled method name, TorchScript code)`` for ``method``, or for each of its overloads.

    ``module.code`` raises for a module whose ``forward`` is overloaded (it has no ``forward``);
    this reads every overload instead, first the one :func:`resolve_method` picks. Empty when
    the module has neither (a scripted container without ``forward``).
    """
    names = module._c._method_names()
    if method in names:
        return ((method, module._c._get_method(method).code),)
    overloads = method_overloads(module, method)
    if not overloads:
        return ()
    chosen = resolve_method(module, method)
    ordered = (chosen,) + tuple(name for name in overloads if name != chosen)
    return tuple((name, module._c._get_method(name).code) for name in ordered)


def _as_read(g: torch._C.Graph, *, inlined: bool) -> torch._C.Graph:
    """``g`` itself, or an inlined copy (torch's inliner works in place: the module's graph is kept)."""
    if not inlined:
        return g
    g = g.copy()
    torch._C._jit_pass_inline(g)
    return g


def _short_repr(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------------------------------
# Value naming
# ---------------------------------------------------------------------------------------------


class _Names:
    """Deterministic value names, unique in one graph and given in visiting order.

    A value keeps the stem of torch's debug name (``x.1`` -> ``x``). A value torch left unnamed
    (``%13``: most intermediate results) is named after what made it, as torch.fx does:
    ``linear``, ``sum``, ``tuple_construct``, ``const`` for a constant, ``if_out`` / ``loop_out``
    for what a block node returns, ``arg`` for a block's parameter. Repeats get ``_2``, ``_3``.
    """

    _FOR_OP = {"if": "if_out", "loop": "loop_out", "constant": "const"}

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def allocate(self, debug_name: str, made_by: str) -> str:
        stem = debug_name
        head, dot, tail = debug_name.rpartition(".")
        if dot and tail.isdigit():
            stem = head
        if not stem or stem.isdigit():
            stem = self._stem_for(made_by)
        stem = re.sub(r"\W", "_", stem)
        if stem[0].isdigit():
            stem = f"v_{stem}"
        name, i = stem, 1
        while name in self._taken:
            i += 1
            name = f"{stem}_{i}"
        self._taken.add(name)
        return name

    @classmethod
    def _stem_for(cls, made_by: str) -> str:
        """``aten::linear`` -> ``linear``; ``prim::TupleConstruct`` -> ``tuple_construct``."""
        short = made_by.rpartition("::")[2].strip("_") or "value"
        snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", short).lower()
        return cls._FOR_OP.get(snake, snake)


# ---------------------------------------------------------------------------------------------
# The builder: one pass over torch's graph, depth-first
# ---------------------------------------------------------------------------------------------


@dataclass
class _Builder:
    origin: Origin
    root: torch.jit.ScriptModule | None
    names: _Names = field(default_factory=_Names)
    by_unique: dict[int, str] = field(default_factory=dict)
    module_paths: dict[int, tuple[str, ...]] = field(default_factory=dict)
    types_cache: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    own_lines_cache: dict[str, frozenset[tuple[str, int]]] = field(default_factory=dict)

    def build(self, g: torch._C.Graph, *, name: str, inlined: bool, code: str, module_type: str) -> Graph:
        g_inputs = list(g.inputs())
        if g_inputs and self.root is not None:
            self.module_paths[g_inputs[0].unique()] = ()
        inputs = tuple(self._value(v, made_by="input") for v in g_inputs)
        nodes = self._nodes(g.nodes(), prefix="")
        outputs = tuple(self.by_unique[v.unique()] for v in g.outputs())
        return with_code_lines(
            Graph(
                name=name,
                origin=self.origin,
                inlined=inlined,
                top=Block(id="top", inputs=inputs, nodes=nodes, outputs=outputs),
                module_type=module_type,
                code=code,
            )
        )

    # -- values ---------------------------------------------------------------------------
    def _value(self, v: torch._C.Value, *, made_by: str) -> Value:
        """``made_by`` names the value when torch did not: the producing op, ``input`` or ``arg``."""
        name = self.names.allocate(v.debugName(), made_by)
        self.by_unique[v.unique()] = name
        # torch's stubs give Value.type() as JitType; at runtime every TorchScript type is a torch._C.Type.
        type_text, dtype, shape = _describe_type(cast(torch._C.Type, v.type()))
        return Value(name=name, debug_name=v.debugName(), type=type_text, dtype=dtype, shape=shape)

    # -- nodes ----------------------------------------------------------------------------
    def _nodes(self, torch_nodes: Iterable[torch._C.Node], *, prefix: str, enclosing: Scope | None = None) -> tuple[Node, ...]:
        """Build a block's nodes; ``enclosing`` is the scope of the node that owns the block.

        Torch's inliner leaves the module hierarchy empty on the nodes a method's own body has
        (the root module's code) and on functions TorchScript inlined while compiling a method
        (``F.batch_norm``'s checks inside ``BatchNorm2d``, ``torchvision``'s box helpers inside
        a detection head). Such a node joins the module that called it (:meth:`_caller_scope`).
        """
        built: list[Node] = []
        recent = enclosing
        for index, n in enumerate(torch_nodes):
            node = self._node(n, node_id=f"{prefix}n{index}", recent=recent, enclosing=enclosing)
            if node.scope.path:
                recent = node.scope
            built.append(node)
        return tuple(built)

    def _node(self, n: torch._C.Node, *, node_id: str, recent: Scope | None, enclosing: Scope | None) -> Node:
        op = n.kind()
        torch_blocks = list(n.blocks())
        kind = kind_of(op, has_blocks=bool(torch_blocks))
        inputs = tuple(self.by_unique[v.unique()] for v in n.inputs())
        attributes = _attributes(n, kind)
        self._track_module_path(n, kind, attributes)
        source = _source_location(n)
        scope = self._scope(n, kind)
        if not scope.path:
            scope = self._caller_scope(scope, source, recent=recent, enclosing=enclosing)
        outputs = tuple(self._value(v, made_by=op) for v in n.outputs())
        blocks = tuple(
            self._block(b, block_id=f"{node_id}.b{i}", enclosing=scope if scope.path else None)
            for i, b in enumerate(torch_blocks)
        )
        return Node(
            id=node_id,
            kind=kind,
            op=op,
            inputs=inputs,
            outputs=outputs,
            blocks=blocks,
            scope=scope,
            attributes=attributes,
            source=source,
            arg_names=_arg_names(n, len(inputs)),
            library=_is_library_node(n, source) or _generated_in_library(n, blocks),
        )

    def _caller_scope(
        self, scope: Scope, source: SourceLocation | None, *, recent: Scope | None, enclosing: Scope | None
    ) -> Scope:
        """The module a node without a module hierarchy belongs to.

        In a scripted module the answer is read from the code: the innermost module, among the
        last scoped node's scope and its ancestors (the root included), whose own compiled
        methods hold the node's line (:meth:`_own_lines`). A line no candidate holds is left where
        the block's owner is, then where the last library node went when the node is library
        code, else at the root. Traced graphs have no per-method code to read: there a library
        node joins the owning block's or the last scoped node's module.
        """
        if self.origin is Origin.SCRIPTED and self.root is not None and source is not None:
            start = recent if recent is not None else enclosing
            path = start.path if start is not None else ()
            for depth in range(len(path), -1, -1):
                candidate = path[:depth]
                if (source.file, source.line) in self._own_lines(candidate):
                    return Scope(path=candidate, types=self._types_for(candidate))
        from_library = source is not None and is_library_source(source.file)
        if enclosing is not None and (source is None or from_library):
            return enclosing
        if recent is not None and from_library:
            return recent
        return scope

    def _own_lines(self, path: tuple[str, ...]) -> frozenset[tuple[str, int]]:
        """Every ``(file, line)`` the compiled methods of the module at ``path`` hold themselves.

        Read from each method's graph as stored (submodule calls not inlined), so the lines are
        the module's own code plus the functions TorchScript inlined into it. Cached per module type.
        """
        module = self._module_at(path)
        if not isinstance(module, torch.jit.ScriptModule):
            return frozenset()
        type_name = module._c._type().qualified_name()
        cached = self.own_lines_cache.get(type_name)
        if cached is None:
            lines: set[tuple[str, int]] = set()
            for method_name in module._c._method_names():
                for n in _walk_torch_nodes(module._c._get_method(method_name).graph.nodes()):
                    location = _source_location(n)
                    if location is not None:
                        lines.add((location.file, location.line))
            cached = frozenset(lines)
            self.own_lines_cache[type_name] = cached
        return cached

    def _block(self, b: torch._C.Block, *, block_id: str, enclosing: Scope | None) -> Block:
        inputs = tuple(self._value(v, made_by="arg") for v in b.inputs())
        nodes = self._nodes(b.nodes(), prefix=f"{block_id}.", enclosing=enclosing)
        outputs = tuple(self.by_unique[v.unique()] for v in b.outputs())
        return Block(id=block_id, inputs=inputs, nodes=nodes, outputs=outputs)

    # -- scopes ---------------------------------------------------------------------------
    def _track_module_path(self, n: torch._C.Node, kind: NodeKind, attributes: dict) -> None:
        """Follow ``prim::GetAttr`` chains from ``self`` so module-valued outputs know their path."""
        if kind is not NodeKind.GET_ATTR:
            return
        owner = self.module_paths.get(n.input().unique())
        if owner is None:
            return
        path = owner + (attributes["name"],)
        if isinstance(n.output().type(), torch._C.ClassType) and isinstance(self._module_at(path), torch.nn.Module):
            self.module_paths[n.output().unique()] = path

    def _scope(self, n: torch._C.Node, kind: NodeKind) -> Scope:
        hierarchy = n.getModuleHierarchy()
        if hierarchy:
            pieces = _HIERARCHY_TYPE.split(hierarchy)
            parts = [
                (name.lstrip("."), type_name)
                for name, type_name in zip(pieces[0::2], pieces[1::2])
                if name.lstrip(".") not in ("", "UNKNOWN_INSTANCE", "SELF")
            ]
            path = tuple(p for p, _ in parts)
            root_type = self._types_for(())[:1] or ("",)
            return Scope(path=path, types=root_type + tuple(t for _, t in parts))
        if kind is NodeKind.CALL_METHOD:
            method_path = self.module_paths.get(n.inputsAt(0).unique())
            if method_path:
                return Scope(path=method_path, types=self._types_for(method_path))
        if self.origin is Origin.TRACED and n.scopeName():
            path = _path_from_scope_name(n.scopeName())
            return Scope(path=path, types=self._types_for(path))
        return ROOT_SCOPE if self.root is None else Scope(path=(), types=self._types_for(()))

    def _module_at(self, path: tuple[str, ...]) -> Any:
        module: Any = self.root
        for part in path:
            module = getattr(module, part, None)
            if module is None:
                return None
        return module

    def _types_for(self, path: tuple[str, ...]) -> tuple[str, ...]:
        if self.root is None:
            return ()
        cached = self.types_cache.get(path)
        if cached is None:
            types = [self.root.original_name]
            module: Any = self.root
            for part in path:
                module = getattr(module, part, None) if module is not None else None
                types.append(getattr(module, "original_name", "") if module is not None else "")
            cached = tuple(types)
            self.types_cache[path] = cached
        return cached


def _walk_torch_nodes(nodes: Iterable[torch._C.Node]) -> Iterator[torch._C.Node]:
    for n in nodes:
        yield n
        for block in n.blocks():
            yield from _walk_torch_nodes(block.nodes())


def _path_from_scope_name(scope_name: str) -> tuple[str, ...]:
    """``__module.layer1/__module.layer1.0`` -> ``("layer1", "0")``."""
    last = scope_name.split("/")[-1]
    if last.startswith("__module."):
        last = last[len("__module.") :]
    elif last == "__module":
        return ()
    return tuple(p for p in last.split(".") if p)


def _arg_names(n: torch._C.Node, arity: int) -> tuple[str, ...]:
    """Argument names from the operator schema, when it has one that matches the inputs."""
    try:
        schema = n.schema()
    except RuntimeError:
        return ()
    if schema == "(no schema)" or "(" not in schema:
        return ()
    params = schema[schema.index("(") + 1 : schema.rindex(") ->")] if ") ->" in schema else ""
    names = []
    depth = 0
    current = ""
    for ch in params:
        depth += ch in "[("
        depth -= ch in "])"
        if ch == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += ch
    names.append(current)
    names = [p.split("=")[0].strip().split(" ")[-1] for p in names if p.strip() and p.strip() != "*"]
    return tuple(names) if len(names) == arity else ()


def _describe_type(t: torch._C.Type) -> tuple[str, str | None, tuple[int | None, ...] | None]:
    """(type text, dtype, shape), with run-specific name mangling removed."""
    if isinstance(t, torch._C.TensorType):
        scalar = t.scalarType()
        dtype = _SCALAR_TYPE_TO_DTYPE.get(scalar, scalar.lower()) if scalar else None
        sizes = t.varyingSizes()
        shape = tuple(sizes) if sizes is not None else None
        return "Tensor", dtype, shape
    text = getattr(t, "annotation_str", None) or str(t)
    return _MANGLE.sub("", text), None, None


def _attributes(n: torch._C.Node, kind: NodeKind) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if kind is NodeKind.CONSTANT:
        attrs["value"] = _plain(n.output().toIValue()) if n.hasAttribute("value") else None
        return attrs
    for name in n.attributeNames():
        code = n.kindOf(name)
        getter = getattr(n, code, None)
        try:
            attrs[name] = _plain(getter(name)) if getter is not None else f"<{code}>"
        except RuntimeError:
            attrs[name] = f"<{code}>"
    return attrs


def _plain(value: Any) -> Any:
    """Turn an IValue into plain, immutable Python data (tensors become a short summary)."""
    if isinstance(value, torch.Tensor):
        if value.numel() == 1 and value.dim() == 0:
            return f"tensor({value.item()!r}, dtype={str(value.dtype).replace('torch.', '')})"
        shape = "×".join(str(d) for d in value.shape)
        return f"tensor<{str(value.dtype).replace('torch.', '')}, {shape}>"
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, (torch.device, torch.dtype, torch.layout, torch.memory_format)):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str, complex)):
        return value
    return _MANGLE.sub("", str(value))


def _source_location(n: torch._C.Node) -> SourceLocation | None:
    """The user's line: a scripted node's own range, or a traced node's first user frame.

    Both forms occur in one graph: a scripted submodule called from a traced module keeps
    its ``File "f", line N`` ranges, while the traced code around it carries stacks.
    """
    # torch's stub types Node.sourceRange() as SourceRange; at runtime it returns the range's text (a str).
    text = cast(str, n.sourceRange())
    if not text:
        return None
    m = _SCRIPT_SOURCE.match(text.lstrip())
    if m:
        return _location(m.group("file"), int(m.group("line")))
    for frame in text.splitlines():
        m = _TRACE_FRAME.match(frame.strip())
        if m and not is_library_path(m.group("file")):
            return _location(m.group("file"), int(m.group("line")))
    return None


def _is_library_node(n: torch._C.Node, source: SourceLocation | None) -> bool:
    """Library code: a scripted node whose own file is a library's, or a traced node with no user frame."""
    if source is not None:
        return is_library_source(source.file)
    text = cast(str, n.sourceRange())
    return bool(text.strip()) and not _SCRIPT_SOURCE.match(text.lstrip())


def _generated_in_library(n: torch._C.Node, blocks: tuple[Block, ...]) -> bool:
    """A block node TorchScript made up itself is library code when all it guards is.

    The compiler adds ``prim::If`` nodes with no source range: an early ``return`` becomes an
    ``if`` around the rest of the method (``TransformerEncoderLayer.forward``'s fast path). Such
    a node belongs to the method it was generated in, which its blocks' sourced nodes name.
    """
    if not blocks or cast(str, n.sourceRange()).strip():
        return False
    sourced = [inner for block in blocks for inner in block.walk() if inner.source is not None]
    return bool(sourced) and all(inner.library for inner in sourced)


def _location(file: str, line: int) -> SourceLocation:
    text = linecache.getline(file, line).strip() or None
    return SourceLocation(file=file, line=line, text=text)


# ---------------------------------------------------------------------------------------------
# Single facts for other layers: each one reads torch's private JIT API, so it lives here
# ---------------------------------------------------------------------------------------------


def baked_devices(g: torch.Graph) -> tuple[torch.device, ...]:
    """The device constants of ``g`` (nested blocks included), each once, in first-seen order.

    A trace records ``x.device`` and ``device=`` arguments as ``prim::Constant`` nodes; the
    pipeline warns about them and checks a moved op that has them.

    Args:
        g: a TorchScript graph, usually inlined (``module.inlined_graph``) so that submodule
            bodies are read too.
    """
    found: list[torch.device] = []

    def visit(nodes: Iterable[torch._C.Node]) -> None:
        for n in nodes:
            if n.kind() == "prim::Constant" and n.outputsSize() == 1:
                output = n.output()
                if isinstance(output.type(), torch._C.DeviceObjType):
                    device = cast(torch.device, output.toIValue())
                    if device not in found:
                        found.append(device)
            for block in n.blocks():
                visit(block.nodes())

    visit(g.nodes())
    return tuple(found)


def infer_jit_type(value: Any) -> torch.Type | str:
    """TorchScript's type for a Python value, or the reason it has none (a ``str``).

    It lives here because torch exposes this inference only as the private
    ``torch._C._jit_try_infer_type`` (what ``torch.jit.script`` uses to type captured values);
    the pipeline uses it to annotate its generated code from example inputs.
    """
    inferred = torch._C._jit_try_infer_type(value)
    return cast(torch.Type, inferred.type()) if inferred.success() else inferred.reason()


@contextlib.contextmanager
def tracing_paused() -> Iterator[None]:
    """Inside the block, ``torch.jit.trace`` records nothing (and warns about nothing).

    It lives here because torch has no public way to pause a trace: the tracer's state is
    read and restored through ``torch._C._get_tracing_state`` / ``_set_tracing_state``. The
    instrumented trace uses it to read a traced tensor's value without adding that read to
    the graph.
    """
    state = torch._C._get_tracing_state()
    torch._C._set_tracing_state(None)  # type: ignore[attr-defined]  # exists at runtime; torch's stubs omit it
    try:
        yield
    finally:
        torch._C._set_tracing_state(state)  # type: ignore[attr-defined]  # exists at runtime; torch's stubs omit it
