"""What one InferenceOp call becomes in generated TorchScript, written once for both users.

An op call is four steps of straight-line code, emitted as ``torch.fx`` nodes:

1. read the op's device from a module attribute (``<op>_device``; an attribute, not a
   constant, so ``load`` can point a GPU op at another GPU without regenerating code);
2. move every ``Tensor`` argument there (``x.to(device)``, a no-op when it is already there:
   type *and* index are compared, unlike Matx, which compared only the type);
3. call the op's module (``self.<op>(...)``: one ``prim::CallMethod`` per op call);
4. apply the output rule to every tensor the op returns: ``.cpu()`` when the op is a GPU op
   with ``output_to_cpu``, then ``.contiguous()``; a top-level 1-tuple is unwrapped (Matx's
   deployed behaviour), other tuples come back as tuples, lists and ``Dict[str, Tensor]`` go
   through :class:`~toolkit.pipeline.holders.ListOutputs` / ``DictOutputs``.

The same emitter builds an op's eager runner (a one-op graph, so an eager call and a pipeline
run execute the same TorchScript) and the op's part of a traced pipeline (fed with fx proxies).
"""

from __future__ import annotations

import inspect
import operator
from dataclasses import dataclass
from typing import Any, Callable, Sequence, cast

import torch
import torch.fx as fx

from toolkit.errors import PipelineError
from toolkit.pipeline.holders import DictOutputs, ListOutputs, script_quietly
from toolkit.pipeline.jit_types import annotation_of, as_type, contains_tensor, is_tensor_type

__all__ = ["OpSignature", "emit_call", "build_runner", "check_output_type"]

Make = Callable[[str, Any, tuple, str], Any]
"""``make(kind, target, args, name_hint)`` -> a node or proxy (``torch.fx`` node kinds)."""

Register = Callable[[str, torch.nn.Module], str]
"""``register(name_hint, module)`` -> the attribute name the helper module was stored under."""


@dataclass(frozen=True)
class OpSignature:
    """An op module's ``forward`` signature, read from its TorchScript schema.

    Attributes:
        names: the argument names, ``self`` excluded.
        types: the arguments' TorchScript types.
        defaults: each argument's default value, or ``inspect.Parameter.empty``.
        returns: the return type (a ``TupleType`` for several outputs).
    """

    names: tuple[str, ...]
    types: tuple[torch.Type, ...]
    defaults: tuple[Any, ...]
    returns: torch.Type

    @classmethod
    def of(cls, module: torch.jit.ScriptModule) -> "OpSignature":
        """Reads ``module.forward.schema``."""
        # torch's stub types ScriptModule.forward as a plain callable; at runtime it is a ScriptMethod.
        schema = cast(torch.ScriptMethod, module.forward).schema
        arguments = schema.arguments[1:]
        if len(schema.returns) == 1:
            returns = as_type(schema.returns[0].type)
        else:
            returns = as_type(torch.TupleType([r.type for r in schema.returns]))
        return cls(
            names=tuple(a.name for a in arguments),
            types=tuple(as_type(a.type) for a in arguments),
            defaults=tuple(a.default_value if a.has_default_value() else inspect.Parameter.empty for a in arguments),
            returns=returns,
        )

    def describe(self) -> str:
        """``(x: Tensor, h: Tensor) -> Tuple[Tensor, Tensor]``, for messages."""
        params = ", ".join(f"{n}: {t.annotation_str}" for n, t in zip(self.names, self.types))
        return f"({params}) -> {self.returns.annotation_str}"

    def bind(self, args: Sequence[Any], kwargs: dict[str, Any], *, what: str) -> list[Any]:
        """Positional arguments in schema order, defaults filled in.

        Raises:
            PipelineError: too many arguments, an unknown keyword, or a missing argument.
        """
        if len(args) > len(self.names):
            raise PipelineError(
                f"{what} takes {len(self.names)} argument(s) {self.describe()}, but got {len(args)} positional ones. Fix: pass at most {len(self.names)}."
            )
        unknown = sorted(set(kwargs) - set(self.names))
        if unknown:
            raise PipelineError(f"{what} got unknown keyword argument(s) {unknown}; its signature is {self.describe()}. Fix: use only those names.")
        bound = list(args)
        for index in range(len(args), len(self.names)):
            name = self.names[index]
            if name in kwargs:
                bound.append(kwargs[name])
            elif self.defaults[index] is not inspect.Parameter.empty:
                bound.append(self.defaults[index])
            else:
                raise PipelineError(f"{what} is missing the argument {name!r}; its signature is {self.describe()}. Fix: pass {name!r} too.")
        duplicated = [name for name in self.names[: len(args)] if name in kwargs]
        if duplicated:
            raise PipelineError(f"{what} got {duplicated} both by position and by keyword; its signature is {self.describe()}. Fix: pass each once.")
        return bound


def check_output_type(jit_type: torch.Type, *, what: str) -> None:
    """Raises ``PipelineError`` for an output the output rule cannot walk.

    Tensors, tuples (nested too), ``List[Tensor]``, ``Dict[str, Tensor]``, and anything that
    holds no tensor at all (``int``, ``List[str]``, ...) are fine.
    """
    if not contains_tensor(jit_type) or is_tensor_type(jit_type):
        return
    if isinstance(jit_type, torch.TupleType):
        for element in jit_type.elements():
            check_output_type(as_type(element), what=what)
        return
    if isinstance(jit_type, torch.ListType) and is_tensor_type(as_type(jit_type.getElementType())):
        return
    if (
        isinstance(jit_type, torch.DictType)
        and isinstance(jit_type.getKeyType(), torch.StringType)
        and is_tensor_type(as_type(jit_type.getValueType()))
    ):
        return
    raise PipelineError(
        f"{what} returns {jit_type.annotation_str}; InferenceOp outputs may hold tensors as Tensor, tuples, "
        "List[Tensor] or Dict[str, Tensor] (so the output rule can make them contiguous and bring them to "
        "the CPU). Fix: return one of those."
    )


def emit_call(
    make: Make,
    register: Register,
    *,
    module_attr: str,
    device_attr: str,
    args: Sequence[Any],
    signature: OpSignature,
    to_cpu: bool,
    call_name: str,
) -> tuple[Any, Any]:
    """Emits one op call; returns ``(outputs, raw_call)``.

    Args:
        make: creates fx nodes (a graph's ``create_node`` or a tracer's ``create_proxy``).
        register: stores helper modules on the root module.
        module_attr: the attribute that holds the op's ScriptModule.
        device_attr: the attribute that holds the op's ``torch.device``.
        args: the bound arguments: nodes/proxies or constants, in schema order.
        signature: the op's signature (tells which arguments are tensors).
        to_cpu: emit ``.cpu()`` on tensor outputs (a GPU op with ``output_to_cpu``).
        call_name: the name hint for the call; outputs are named ``<call>_out``/``<call>_outN``.

    Returns:
        The outputs as the caller sees them (a handle, or a tuple of handles for tuple
        outputs), and the handle of the raw ``call_module``.
    """
    device = None
    moved = []
    for value, jit_type in zip(args, signature.types):
        if is_tensor_type(jit_type) and value is not None:
            if device is None:
                device = make("get_attr", device_attr, (), f"{call_name}_device")
            value = make("call_method", "to", (value, device), f"{call_name}_in")
        moved.append(value)
    raw = make("call_module", module_attr, tuple(moved), call_name)
    outputs = _emit_outputs(make, register, raw, signature.returns, f"{call_name}_out", to_cpu=to_cpu, top=True)
    return outputs, raw


def _emit_outputs(make: Make, register: Register, value: Any, jit_type: torch.Type, name: str, *, to_cpu: bool, top: bool) -> Any:
    if is_tensor_type(jit_type):
        if to_cpu:
            value = make("call_method", "cpu", (value,), f"{name}_cpu")
        return make("call_method", "contiguous", (value,), name)
    if isinstance(jit_type, torch.TupleType):
        elements = [as_type(e) for e in jit_type.elements()]
        if top and len(elements) == 1:
            item = make("call_function", operator.getitem, (value, 0), f"{name}_item")
            return _emit_outputs(make, register, item, elements[0], name, to_cpu=to_cpu, top=False)
        items = []
        for index, element in enumerate(elements):
            item_name = f"{name}{index}" if top else f"{name}_{index}"
            item = make("call_function", operator.getitem, (value, index), f"{item_name}_item")
            items.append(_emit_outputs(make, register, item, element, item_name, to_cpu=to_cpu, top=False))
        return tuple(items)
    if not contains_tensor(jit_type):
        return value
    helper = ListOutputs(to_cpu) if isinstance(jit_type, torch.ListType) else DictOutputs(to_cpu)
    attr = register(f"{name}_rule", torch.jit.script(helper))
    return make("call_module", attr, (value,), name)


def build_runner(
    module: torch.jit.ScriptModule,
    *,
    signature: OpSignature,
    device: torch.device,
    to_cpu: bool,
    name: str,
) -> Callable[..., Any]:
    """The eager form of an op: a scripted one-op graph, returned as its bound ``forward``.

    Calling ``forward`` directly skips ``nn.Module.__call__`` (its hook checks cost about as much
    as the emitted moves), which keeps the eager call within a microsecond or two of a direct
    ScriptModule call.
    """
    graph = fx.Graph()
    root = torch.nn.Module()
    root.model = module
    setattr(root, "model_device", device)  # nn.Module's stub types attribute assignment as Tensor | Module only

    def make(kind: str, target: Any, args: tuple, hint: str) -> fx.Node:
        return graph.create_node(kind, target, args, {}, name=hint)

    def register(hint: str, helper: torch.nn.Module) -> str:
        setattr(root, hint, helper)
        return hint

    placeholders = [
        graph.placeholder(arg, type_expr=annotation_of(jit_type, what=f"op {name!r} argument {arg!r}"), default_value=default)
        for arg, jit_type, default in zip(signature.names, signature.types, signature.defaults)
    ]
    outputs, _ = emit_call(
        make,
        register,
        module_attr="model",
        device_attr="model_device",
        args=placeholders,
        signature=signature,
        to_cpu=to_cpu,
        call_name=name,
    )
    graph.output(outputs)
    runner = script_quietly(fx.GraphModule(root, graph, class_name=f"Op_{name}"))
    return runner.forward
