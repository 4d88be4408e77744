"""A static lint of ``forward`` and the functions it calls, for code a trace cannot keep.

Why: some losses leave no runtime trace at all. ``torch.jit.is_tracing()`` branches,
``random.random()``, ``self.counter += 1``, ``.data =`` and an optional ``mask=None``
argument produce no TracerWarning and no tensor escape; only the source shows them. The lint
reads the source (``inspect``), follows calls to methods of the same module, to submodules
defined outside torch and to plain Python helpers, and reports *candidates*: places where a
trace may freeze behaviour. A candidate is never a finding by itself; the differential test
proves or clears it (see :mod:`toolkit.analysis.lost_flow`).

Names are classified with a small, conservative dataflow: arguments of ``forward`` and values
computed from them with torch calls are *tensors*; ``x.shape``, ``x.size()``, ``x.dim()``,
``len(x)`` and arithmetic on them are *sizes*. Helpers already compiled by
``@torch.jit.script`` / ``@torch.jit.script_if_tracing`` are skipped: their control flow is
kept.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass
from types import CodeType
from typing import Any, Callable, Iterable

import torch

from toolkit.frames import is_torch_path

__all__ = ["LintHit", "decorated_forwards", "function_code", "function_source", "lint_model"]

_MAX_FUNCTIONS = 60

# method calls on a tensor that return Python values or sizes, not tensors
_SIZE_METHODS = frozenset({"size", "dim", "ndimension", "numel", "nelement"})
_SIZE_ATTRS = frozenset({"shape", "ndim"})
_PYTHON_METHODS = frozenset({"item", "tolist", "numpy", "__len__"})
_CONSTRUCTORS = frozenset({"tensor", "as_tensor", "from_numpy", "Tensor", "FloatTensor", "LongTensor", "BoolTensor", "IntTensor", "asarray"})
_INT_LIST_OPS = frozenset({"roll", "split", "narrow", "chunk", "tile", "repeat_interleave", "topk", "kthvalue", "unflatten", "tensor_split"})
_RNG_MODULES = ("random.", "np.random.", "numpy.random.", "time.")


# calls that tell the code whether it is being traced, as attribute chains: the public
# ``torch.jit.is_tracing`` (also imported bare) and torch's private tracer-state getter
_TRACE_AWARE_CALLS = frozenset({("torch", "jit", "is_tracing"), ("is_tracing",), ("torch", "_C", "_get_tracing_state")})


@dataclass(frozen=True)
class LintHit:
    """One static candidate.

    Attributes:
        rule: short rule name (``branch-on-tensor``, ``python-rng``...).
        category: the taxonomy category it points to (``T1``...``T13``).
        file, line: where.
        function: the qualified name of the function it is in.
        message: what the rule saw, for a person.
        names: identifiers the rule involved (an argument name for ``optional-argument``).
    """

    rule: str
    category: str
    file: str
    line: int
    function: str
    message: str
    names: tuple[str, ...] = ()


def lint_model(model: Any) -> tuple[LintHit, ...]:
    """Lint ``model.forward`` (or the function ``model``) and everything it calls.

    Returns:
        Hits sorted by file and line; empty when no source can be read (a C++ module, a
        function typed at the REPL).
    """
    roots: list[tuple[Callable, Any, bool]] = []
    if isinstance(model, torch.nn.Module):
        for _, sub in model.named_modules():
            forward = getattr(type(sub), "forward", None)
            if forward is not None and _is_user_code(forward):
                roots.append((forward, sub, sub is model))
    elif callable(model) and _is_user_code(model):
        roots.append((model, None, True))
    hits: list[LintHit] = []
    seen: set[Any] = set()
    queue = list(roots)
    while queue and len(seen) < _MAX_FUNCTIONS:
        fn, owner, is_entry = queue.pop(0)
        code = function_code(fn)
        if code is None or code in seen:
            continue
        seen.add(code)
        result = _lint_function(fn, owner, is_entry=is_entry)
        if result is None:
            continue
        found, callees = result
        hits.extend(found)
        queue.extend((callee, callee_owner, False) for callee, callee_owner in callees)
    unique = {(h.file, h.line, h.rule): h for h in hits}
    return tuple(sorted(unique.values(), key=lambda h: (h.file, h.line, h.rule)))


def _is_user_code(fn: Any) -> bool:
    fn = inspect.unwrap(fn) if callable(fn) else fn
    if isinstance(fn, (torch.jit.ScriptFunction,)) or hasattr(fn, "__original_fn"):
        return False
    try:
        path = inspect.getsourcefile(fn)
    except TypeError:
        return False
    if not path:
        return False
    return not is_torch_path(path)


def function_code(fn: Any) -> CodeType | None:
    """The code object of ``fn`` itself: bound methods and ``functools.wraps`` decorators unwrapped.

    Why: a decorated ``forward`` (every transformers model) is a wrapper whose own code lives in
    the decorator's file; its ``__wrapped__`` chain leads to the function the user wrote, whose
    file and line numbers are the ones frames and ``linecache`` report.
    """
    target = getattr(fn, "__func__", fn)
    try:
        target = inspect.unwrap(target)
    except ValueError:  # a __wrapped__ cycle: keep the outermost
        pass
    target = getattr(target, "__func__", target)
    code = getattr(target, "__code__", None)
    return code if isinstance(code, CodeType) else None


def function_source(fn: Any) -> tuple[str, int, list[str]] | None:
    """``(file, first line, source lines)`` of the function itself (see :func:`function_code`).

    The file is the code object's (the name frames and ``linecache`` use); ``None`` when the
    source cannot be read (a C++ function, a function typed at the REPL).
    """
    code = function_code(fn)
    if code is None:
        return None
    try:
        lines, start = inspect.getsourcelines(code)
    except (OSError, TypeError):
        return None
    return code.co_filename, start, lines


def decorated_forwards(model: Any) -> tuple[tuple[str, str, int, int], ...]:
    """``(wrapper's file, function's file, first line, last line)`` for each decorated ``forward``.

    Why: TorchScript compiles a decorated ``forward`` from the function's own source but
    records the wrapper's file name, so a scripted node of a transformers model says
    ``utils/generic.py`` with the model file's line numbers. A node at a wrapper's file, within
    a wrapped function's lines, belongs to the function's file.
    """
    modules = [m for _, m in model.named_modules()] if isinstance(model, torch.nn.Module) else []
    found: dict[tuple[str, str, int, int], None] = {}
    for module in modules:
        forward = getattr(type(module), "forward", None)
        outer = getattr(forward, "__code__", None)
        inner = function_code(forward)
        source = function_source(forward)
        if outer is None or inner is None or source is None or outer is inner:
            continue
        file, start, lines = source
        if outer.co_filename != file:
            found[(outer.co_filename, file, start, start + len(lines) - 1)] = None
    return tuple(found)


def _lint_function(fn: Callable, owner: Any, *, is_entry: bool) -> tuple[list[LintHit], list[tuple[Callable, Any]]] | None:
    found = function_source(fn)
    if found is None:
        return None
    path, start, lines = found
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        return None
    func = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if func is None or _is_compiled(func):
        return None
    visitor = _FunctionLint(fn, owner, path, start - 1, is_entry=is_entry)
    visitor.run(func)
    return visitor.hits, visitor.callees


def _is_compiled(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for deco in func.decorator_list:
        text = ast.unparse(deco)
        if text.endswith(("script_if_tracing", "jit.script", "torch.jit.ignore", "jit.unused")):
            return True
    return False


_REPORTING_CALL = re.compile(r"(^|[._])(log|warn|print|debug|info)", re.IGNORECASE)


def _asks_if_tracing(test: ast.AST) -> bool:
    text = _dotted(test)
    return "is_tracing" in text or "is_scripting" in text or "_get_tracing_state" in text


def _only_reports(statements: list[ast.stmt]) -> bool:
    """True when every statement only logs, warns or prints (or is ``pass``): no result depends on it."""
    for statement in statements:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            if _REPORTING_CALL.search(_dotted(statement.value.func)):
                continue  # warnings.warn, logger.warning_once, torchvision's _log_api_usage_once
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring-like string
        return False
    return bool(statements)


def _dotted(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 - unparse of odd nodes; the rule just does not fire
        return ""


class _FunctionLint:
    """The rules, applied to one function body."""

    def __init__(self, fn: Callable, owner: Any, path: str, offset: int, *, is_entry: bool) -> None:
        self.fn = fn
        self.owner = owner
        self.path = path
        self.offset = offset
        self.is_entry = is_entry
        self.qualname = getattr(fn, "__qualname__", getattr(fn, "__name__", "?"))
        self.hits: list[LintHit] = []
        self.callees: list[tuple[Callable, Any]] = []
        self.tensors: set[str] = set()
        self.sizes: set[str] = set()
        self.optional: set[str] = set()
        self.buffers: set[str] = set()
        if isinstance(owner, torch.nn.Module):
            self.buffers = {name for name, _ in owner.named_buffers(recurse=False)}

    # -- bookkeeping ---------------------------------------------------------------------
    def hit(self, node: ast.stmt | ast.expr, rule: str, category: str, message: str, names: Iterable[str] = ()) -> None:
        self.hits.append(
            LintHit(rule, category, self.path, node.lineno + self.offset, self.qualname, message, tuple(names))
        )

    def run(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = func.args
        positional = args.posonlyargs + args.args
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        for arg, default in list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults)):
            if arg.arg == "self":
                continue
            annotation = _dotted(arg.annotation) if arg.annotation is not None else ""
            if isinstance(default, ast.Constant) and default.value is None:
                self.tensors.add(arg.arg)
                if self.is_entry:
                    self.optional.add(arg.arg)
            elif isinstance(default, ast.Constant) or annotation in ("int", "float", "bool", "str"):
                if self.is_entry and default is not None:
                    self.optional.add(arg.arg)
            else:
                self.tensors.add(arg.arg)
        if self.is_entry:
            for name in sorted(self.optional):
                if not any(name in h.names for h in self.hits):
                    self._optional_default_hit(func, name)
        for statement in func.body:
            self.visit(statement)

    def _optional_default_hit(self, func: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> None:
        uses = [
            n
            for n in ast.walk(func)
            if isinstance(n, (ast.If, ast.IfExp, ast.While)) and name in _names_in(n.test)
        ]
        target = uses[0] if uses else func
        self.hit(target, "optional-argument", "T10", f"`{name}` is optional; a trace records one value of it (its default)", (name,))

    # -- classification ------------------------------------------------------------------
    def is_size(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.sizes
        if isinstance(node, ast.Attribute):
            if node.attr in _SIZE_ATTRS and self.is_tensor(node.value):
                return True
            return False
        if isinstance(node, ast.Subscript):
            return self.is_size(node.value)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _SIZE_METHODS and self.is_tensor(func.value):
                return True
            if isinstance(func, ast.Name) and func.id == "len" and node.args and self.is_tensor(node.args[0]):
                return True
            if isinstance(func, ast.Name) and func.id in ("int", "min", "max", "abs", "round") and node.args:
                return any(self.is_size(a) for a in node.args) and not any(self.is_data(a) for a in node.args)
            if isinstance(func, ast.Attribute) and _dotted(func.value) == "math":
                return any(self.is_size(a) for a in node.args)
            return False
        if isinstance(node, ast.BinOp):
            return (self.is_size(node.left) or self.is_size(node.right)) and not (
                self.is_data(node.left) or self.is_data(node.right)
            )
        if isinstance(node, ast.UnaryOp):
            return self.is_size(node.operand)
        if isinstance(node, (ast.Tuple, ast.List)):
            return any(self.is_size(e) for e in node.elts)
        return False

    def is_tensor(self, node: ast.AST) -> bool:
        """Could this expression be a tensor (data or size)?"""
        if isinstance(node, ast.Name):
            return node.id in self.tensors
        if isinstance(node, ast.Attribute):
            if node.attr in ("device", "dtype", "training", "shape", "ndim"):
                return False
            if node.attr == "data":
                return True
            if _dotted(node.value) == "self":
                return self._owner_attr_is_tensor(node.attr)
            return self.is_tensor(node.value)
        if isinstance(node, ast.Subscript):
            return self.is_tensor(node.value)
        if isinstance(node, ast.Call):
            func = node.func
            name = _dotted(func)
            if isinstance(func, ast.Attribute):
                if func.attr in _SIZE_METHODS or func.attr in _PYTHON_METHODS:
                    return False
                if self.is_tensor(func.value):
                    return True
                if name.startswith(("torch.", "F.", "nn.functional.")):
                    return True
                if _dotted(func.value) == "self":
                    return self._owner_attr_is_module(func.attr)
            return False
        if isinstance(node, ast.BinOp):
            return self.is_tensor(node.left) or self.is_tensor(node.right)
        if isinstance(node, ast.UnaryOp):
            return self.is_tensor(node.operand)
        if isinstance(node, ast.Compare):
            return self.is_tensor(node.left) or any(self.is_tensor(c) for c in node.comparators)
        if isinstance(node, ast.BoolOp):
            return any(self.is_tensor(v) for v in node.values)
        return False

    def is_data(self, node: ast.AST) -> bool:
        """A tensor that is not a size."""
        return self.is_tensor(node) and not self.is_size(node)

    def _owner_attr_is_tensor(self, attr: str) -> bool:
        value = getattr(self.owner, attr, None) if self.owner is not None else None
        return isinstance(value, torch.Tensor)

    def _owner_attr_is_module(self, attr: str) -> bool:
        value = getattr(self.owner, attr, None) if self.owner is not None else None
        return isinstance(value, torch.nn.Module)

    def assign(self, target: ast.AST, value: ast.AST | None) -> None:
        names = [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
        if value is None:
            return
        if isinstance(target, (ast.Tuple, ast.List)) and self.is_size(value):
            self.sizes.update(names)
            self.tensors.update(names)
            return
        if self.is_size(value):
            self.sizes.update(names)
            self.tensors.update(names)
        elif self.is_tensor(value):
            self.tensors.update(names)
            self.sizes.difference_update(names)
        else:
            self.tensors.difference_update(names)
            self.sizes.difference_update(names)

    # -- the walk ------------------------------------------------------------------------
    def visit(self, node: ast.AST, *, in_loop: bool = False) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            return
        if isinstance(node, ast.Assign):
            self.expressions(node.value)
            for target in node.targets:
                self.check_store(node, target, node.value)
                self.assign(target, node.value)
            return
        if isinstance(node, ast.AugAssign):
            self.expressions(node.value)
            self.check_store(node, node.target, node.value, augmented=True)
            return
        if isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.expressions(node.value)
                self.check_store(node, node.target, node.value)
                self.assign(node.target, node.value)
            return
        if isinstance(node, ast.If) and _only_reports(node.body + node.orelse) and _asks_if_tracing(node.test):
            return  # `if torch.jit.is_tracing(): warnings.warn(...)` changes no result
        if isinstance(node, (ast.If, ast.While)):
            self.branch(node, node.test, loop=isinstance(node, ast.While), in_loop=in_loop)
            self.expressions(node.test)
            for child in node.body + node.orelse:
                self.visit(child, in_loop=in_loop or isinstance(node, ast.While))
            return
        if isinstance(node, ast.For):
            self.loop(node)
            self.expressions(node.iter)
            self.assign(node.target, None)
            for child in node.body + node.orelse:
                self.visit(child, in_loop=True)
            return
        if isinstance(node, ast.Return) and node.value is not None:
            if isinstance(node.value, ast.Call) and tuple(_dotted(node.value.func).split(".")) in _TRACE_AWARE_CALLS:
                return  # a helper that passes `is_tracing()` on: the branch is at its caller, reported there
            self.expressions(node.value)
            if isinstance(node.value, (ast.DictComp, ast.ListComp)) and any(
                self.is_tensor(cond) for gen in node.value.generators for cond in gen.ifs
            ):
                self.hit(node, "data-dependent-output", "T9", "the returned container's length depends on tensor values")
            return
        if isinstance(node, (ast.With, ast.Try)):
            for part in ast.iter_child_nodes(node):
                if isinstance(part, ast.stmt):
                    self.visit(part, in_loop=in_loop)
                elif isinstance(part, ast.withitem):
                    self.expressions(part.context_expr)
            for handler in getattr(node, "handlers", []):
                for child in handler.body:
                    self.visit(child, in_loop=in_loop)
            return
        if isinstance(node, ast.expr):
            self.expressions(node)
            return
        for part in ast.iter_child_nodes(node):
            if isinstance(part, ast.stmt):
                self.visit(part, in_loop=in_loop)
            elif isinstance(part, ast.expr):
                self.expressions(part)

    def branch(self, node: ast.stmt | ast.expr, test: ast.AST, *, loop: bool, in_loop: bool) -> None:
        text = _dotted(test)
        if "is_tracing" in text or "is_scripting" in text:
            self.hit(node, "trace-aware-branch", "T12", f"`{text}` is decided once, while tracing")
            return
        if ".training" in text:
            self.hit(node, "training-branch", "T7", f"`{text}` is read once; the trace keeps that mode")
            return
        none_checks = [n for n in _names_in(test) if n in self.optional]
        if none_checks and _is_none_test(test):
            return  # reported once per argument by run()
        if ".device" in text or ".is_cuda" in text:
            self.hit(node, "device-branch", "T11", f"`{text}` is decided by the tracing device")
            return
        breaks = any(isinstance(n, ast.Break) for n in ast.walk(node))
        if self.is_data(test):
            if loop or (in_loop and breaks):
                self.hit(node, "data-dependent-loop", "T3", f"the loop's end depends on tensor values (`{text}`)")
            else:
                self.hit(node, "branch-on-tensor", "T1", f"`{text}` branches on tensor values")
        elif self.is_size(test):
            self.hit(node, "branch-on-shape", "T4", f"`{text}` branches on a shape")

    def loop(self, node: ast.For) -> None:
        it = node.iter
        text = _dotted(it)
        if isinstance(it, ast.Call) and _dotted(it.func) == "range":
            if any(self.is_data(a) for a in it.args):
                self.hit(node, "data-dependent-loop", "T3", f"`{text}` counts with a tensor value")
            elif any(self.is_size(a) for a in it.args):
                self.hit(node, "loop-over-shape", "T4", f"`{text}` runs as many times as a size; the trace unrolls it")
            return
        if isinstance(it, ast.Call) and _dotted(it.func) in ("enumerate", "zip", "reversed"):
            if any(self.is_data(a) for a in it.args):
                self.hit(node, "iterate-tensor", "T4", f"`{text}` iterates over a tensor; the trace unrolls it")
            return
        if self.is_data(it):
            self.hit(node, "iterate-tensor", "T4", f"`for ... in {text}` iterates over a tensor; the trace unrolls it")

    def check_store(self, node: ast.stmt, target: ast.AST, value: ast.AST, *, augmented: bool = False) -> None:
        if isinstance(target, ast.Attribute):
            owner = _dotted(target.value)
            if target.attr == "data":
                self.hit(node, "data-assignment", "T8", f"`{_dotted(target)} = ...` changes a tensor behind the tracer's back")
            elif owner == "self":
                if augmented and target.attr in self.buffers:
                    return  # `self.buf += x` updates the buffer in place: the trace records it
                if target.attr in self.buffers:
                    self.hit(node, "buffer-rebinding", "T8", f"`self.{target.attr}` (a buffer) is re-bound; the trace keeps the old tensor")
                else:
                    verb = "updated" if augmented else "assigned"
                    self.hit(node, "python-state", "T6", f"`self.{target.attr}` is {verb} in forward; the trace replays the first value")
        elif isinstance(target, ast.Subscript) and _dotted(target.value).startswith("self."):
            self.hit(node, "python-state", "T6", f"`{_dotted(target)}` is written in forward; the trace replays the first value")

    def expressions(self, root: ast.AST) -> None:
        for node in ast.walk(root):
            if isinstance(node, ast.Call):
                self.call(node)
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
                if isinstance(node.left, ast.List) and self.is_size(node.right):
                    self.hit(node, "list-times-size", "T4", f"`{_dotted(node)}` builds a Python list as long as a size")
            elif isinstance(node, ast.IfExp):
                self.branch(node, node.test, loop=False, in_loop=False)

    def call(self, node: ast.Call) -> None:
        func = node.func
        name = _dotted(func)
        args = list(node.args) + [k.value for k in node.keywords]
        if tuple(name.split(".")) in _TRACE_AWARE_CALLS:
            self.hit(node, "trace-aware-branch", "T12", f"`{name}()` is True while tracing and False when the traced code runs")
        if name in ("int", "float", "bool") and node.args:
            if self.is_data(node.args[0]):
                self.hit(node, "tensor-to-python", "T2", f"`{_dotted(node)}` turns a tensor into a Python {name}")
            elif self.is_size(node.args[0]) and name != "int":
                self.hit(node, "tensor-to-python", "T2", f"`{_dotted(node)}` turns a size into a Python {name}")
        if isinstance(func, ast.Attribute) and _dotted(func.value) == "math" and any(self.is_tensor(a) for a in node.args):
            self.hit(node, "math-on-tensor", "T2", f"`{_dotted(node)}` computes in Python on a traced value")
        if name == "len" and node.args and self.is_data(node.args[0]):
            self.hit(node, "len-of-tensor", "T4", f"`{_dotted(node)}` reads a size as a Python int")
        if isinstance(func, ast.Attribute):
            if func.attr == "item" and self.is_tensor(func.value):
                self.hit(node, "tensor-to-python", "T2", f"`{_dotted(node)}` turns a tensor into a Python number")
            elif func.attr in ("tolist", "numpy") and self.is_tensor(func.value):
                self.hit(node, "tensor-to-numpy", "T5", f"`{_dotted(node)}` takes the values out of torch")
            elif func.attr == "new_tensor" and self.is_tensor(func.value) and not _all_literal(node.args):
                self.hit(node, "tensor-constructor", "T5", f"`{_dotted(node)}` makes a constant from Python values")
            elif func.attr in ("resize_", "set_"):
                self.hit(node, "resize", "T8", f"`{_dotted(node)}` changes a tensor's storage; the tracer cannot follow")
            elif func.attr in _INT_LIST_OPS and any(self.is_size(a) and not isinstance(a, (ast.List, ast.Tuple, ast.ListComp)) for a in node.args[:2]):
                self.hit(node, "size-into-int-list", "T13", f"`{_dotted(node)}` passes one traced size where torch expects an int list; it is baked in")
        if name.startswith(("torch.", "np.", "numpy.")) and name.rsplit(".", 1)[-1] in _CONSTRUCTORS:
            if not _all_literal(node.args):
                category = "T5"
                self.hit(node, "tensor-constructor", category, f"`{name}(...)` makes a constant from Python values")
        if name.startswith(("np.", "numpy.")) and not name.startswith(_RNG_MODULES) and any(self.is_tensor(a) for a in args):
            self.hit(node, "numpy-on-tensor", "T5", f"`{name}(...)` computes with NumPy on a traced value")
        if name.startswith(_RNG_MODULES):
            self.hit(node, "python-rng", "T6", f"`{name}()` draws in Python; the trace keeps the draw it saw")
        if name in ("F.dropout", "torch.nn.functional.dropout", "nn.functional.dropout"):
            for keyword in node.keywords:
                if keyword.arg == "training" and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False):
                    self.hit(node, "training-mode-op", "T7", f"`{name}` with `training={_dotted(keyword.value)}` follows the mode at trace time")
        for keyword in node.keywords:
            if keyword.arg == "device" and ".device" in _dotted(keyword.value) and name.startswith("torch."):
                self.hit(node, "device-constant", "T11", f"`{name}(..., device={_dotted(keyword.value)})`: the trace records the device it saw")
        if isinstance(func, ast.Attribute) and func.attr == "to" and any(".device" in _dotted(a) for a in args):
            self.hit(node, "device-constant", "T11", f"`{_dotted(node)}`: the trace records the device it saw")
        self.follow(node)

    def follow(self, node: ast.Call) -> None:
        """Queue the Python functions this call reaches, for the same rules."""
        func = node.func
        target: Any = None
        owner: Any = None
        if isinstance(func, ast.Attribute) and _dotted(func.value) == "self" and self.owner is not None:
            attr = getattr(type(self.owner), func.attr, None)
            if inspect.isfunction(attr):
                target, owner = attr, self.owner
        elif isinstance(func, ast.Name):
            candidate = getattr(self.fn, "__globals__", {}).get(func.id)
            if inspect.isfunction(candidate):
                target = candidate
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            module = getattr(self.fn, "__globals__", {}).get(func.value.id)
            candidate = getattr(module, func.attr, None) if inspect.ismodule(module) else None
            if inspect.isfunction(candidate):
                target = candidate
        if target is not None and _is_user_code(target):
            self.callees.append((target, owner))


def _names_in(node: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]


def _is_none_test(node: ast.AST) -> bool:
    """``x is None``, ``x is not None``, ``x``, ``not x``: a test on an optional argument itself."""
    if isinstance(node, ast.Name) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
        return True
    return any(
        isinstance(n, ast.Compare) and any(isinstance(op, (ast.Is, ast.IsNot)) for op in n.ops) for n in ast.walk(node)
    )


def _all_literal(nodes: Iterable[ast.AST]) -> bool:
    def literal(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, (ast.List, ast.Tuple)):
            return all(literal(e) for e in node.elts)
        if isinstance(node, ast.UnaryOp):
            return literal(node.operand)
        return False

    return all(literal(n) for n in nodes)
