"""``trace(fn, *example_args)``: a Python function that calls InferenceOps, as one TorchScript module.

Why not ``torch.jit.trace(fn)``: a ScriptModule called from a traced *free function* fails
("Modules that are called during a trace must be registered as submodules"), and a trace can
only return tensors, so post-processing that returns labels could not be recorded at all.

How it works, in three passes:

1. **Eager.** ``fn`` runs on the example inputs. InferenceOps that wrap an ``nn.Module`` are
   traced at this first call, and the result is kept as the reference output.
2. **Record.** ``fn`` runs again under a ``torch.fx`` tracer, on proxies named after its
   parameters. Tensor operations on proxies (normalisation, slicing, arithmetic) are recorded
   by fx as usual. Each InferenceOp call is recorded by :mod:`toolkit.pipeline.emit` as a
   device move, a call of the op's ScriptModule registered as a submodule of the container,
   and the output rule; a tuple output comes back as a Python tuple of proxies, so unpacking
   and indexing need no tracing tricks. Raw ScriptModules and ``torch.nn`` layers called by
   ``fn`` are registered as submodules too. As in Matx, Python control flow is not recorded:
   branching on a traced value is an error, and loops are unrolled.
3. **Compile and check.** The fx graph, with parameter annotations from the example values,
   is compiled with ``torch.jit.script`` (no hand-written code generation). The compiled
   pipeline then runs on the example inputs and must match pass 1, or ``trace`` raises.
"""

from __future__ import annotations

import inspect
import itertools
import keyword
import linecache
import re
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.fx as fx

from toolkit.errors import PipelineError, ScriptingError, ToolkitError, message_first
from toolkit.pipeline.checks import first_difference
from toolkit.pipeline.container import OpCall, OpSpec, Pipeline, PipelineInput, PipelineOutput
from toolkit.pipeline.convert import as_input, describe
from toolkit.pipeline.devices import device_label
from toolkit.pipeline.emit import emit_call
from toolkit.pipeline.failures import torch_message
from toolkit.pipeline.holders import script_quietly
from toolkit.pipeline.jit_types import annotation_of_value, type_name_of_value
from toolkit.pipeline.op import InferenceOp, op_name_for
from toolkit.pipeline.recording import recording
from toolkit.pipeline.timing import PipelineSteps

__all__ = ["trace"]

# Attribute names a pipeline module cannot give to an op: nn.Module's and GraphModule's own.
_RESERVED = frozenset(dir(fx.GraphModule)) | frozenset(keyword.kwlist) | {"self", "forward"}


@dataclass
class _CallRecord:
    """What the tracer remembers about one op call until the pipeline is assembled."""

    op: InferenceOp
    attr: str
    raw: fx.Node
    args: list[Any]
    outputs: Any


class _PipelineTracer(fx.Tracer):
    """An fx tracer that records InferenceOp calls and registers the modules ``fn`` calls."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[_CallRecord] = []
        self.call_of: dict[fx.Node, str] = {}
        self._op_attrs: dict[InferenceOp, str] = {}
        self._module_attrs: dict[torch.nn.Module, str] = {}
        self._parameter_attrs: dict[torch.Tensor, str] = {}
        self._used: set[str] = set()
        self._call_counts: dict[str, int] = {}
        self.steps_of: dict[str, tuple[tuple[str, ...], str]] = {}

    # --- attribute names --------------------------------------------------------------------
    def _claim(self, hint: str, *, with_device: bool = False) -> str:
        hint = re.sub(r"\W", "_", hint) or "op"
        candidate, suffix = hint, 0
        while self._taken(candidate) or (with_device and self._taken(f"{candidate}_device")):
            suffix += 1
            candidate = f"{hint}_{suffix}"
        self._used.add(candidate)
        if with_device:
            self._used.add(f"{candidate}_device")
        return candidate

    def _taken(self, name: str) -> bool:
        return name in self._used or name in _RESERVED or hasattr(self.root, name)

    def _op_attr(self, op: InferenceOp) -> str:
        attr = self._op_attrs.get(op)
        if attr is None:
            attr = self._claim(op.name, with_device=True)
            setattr(self.root, attr, op.module)
            setattr(self.root, f"{attr}_device", op.device)
            self._op_attrs[op] = attr
        return attr

    def _register_helper(self, hint: str, module: torch.nn.Module) -> str:
        attr = self._claim(hint)
        setattr(self.root, attr, module)
        return attr

    def op_attrs(self) -> tuple[str, ...]:
        """The attributes that hold InferenceOps, in first-call order."""
        return tuple(self._op_attrs.values())

    # --- recording --------------------------------------------------------------------------
    def _make(self, kind: str, target: Any, args: tuple, hint: str) -> fx.Proxy:
        return self.create_proxy(kind, target, args, {}, name=hint)

    def record(self, op: InferenceOp, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Emits ``op(*args, **kwargs)`` into the graph; returns proxies shaped like its outputs."""
        if not op.is_ready:
            raise PipelineError(
                f"InferenceOp {op.name!r} was called while recording but not during the eager run of the "
                "function on the example inputs, so it was never traced. Fix: make the function call the same ops "
                "whatever the input values are."
            )
        bound = op.signature.bind(args, kwargs, what=f"InferenceOp {op.name!r}")
        bound = [value if isinstance(value, fx.Proxy) else as_input(value) for value in bound]
        attr = self._op_attr(op)
        count = self._call_counts.get(attr, 0)
        self._call_counts[attr] = count + 1
        emitted_before = len(self.graph.nodes)
        outputs, raw = emit_call(
            self._make,
            self._register_helper,
            module_attr=attr,
            device_attr=f"{attr}_device",
            args=bound,
            signature=op.signature,
            to_cpu=op.moves_outputs_to_cpu,
            call_name=attr if count == 0 else f"{attr}_{count}",
        )
        emitted = tuple(node.name for node in list(self.graph.nodes)[emitted_before:])
        self.steps_of[raw.node.name] = (emitted, raw.node.name)
        node = raw.node
        while node.op != "root":
            self.call_of[node] = raw.node.name
            node = node.next
        self.records.append(_CallRecord(op=op, attr=attr, raw=raw.node, args=bound, outputs=outputs))
        return outputs

    def call_module(self, m: torch.nn.Module, forward: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        """Registers raw ScriptModules and ``torch.nn`` layers; traces through other modules."""
        if isinstance(m, torch.jit.ScriptModule) or self.is_leaf_module(m, ""):
            attr = self._module_attrs.get(m)
            if attr is None:
                attr = self._claim(op_name_for(m))
                setattr(self.root, attr, m)
                self._module_attrs[m] = attr
            return self.create_proxy("call_module", attr, args, kwargs)
        return forward(*args, **kwargs)

    def create_arg(self, a: Any) -> Any:
        """Parameters of modules ``fn`` holds (not the container's) become container attributes."""
        if isinstance(a, torch.nn.Parameter) and not any(a is p for p in self.root.parameters()):
            attr = self._parameter_attrs.get(a)
            if attr is None:
                attr = self._claim("_parameter")
                self.root.register_buffer(attr, a.detach())
                self._parameter_attrs[a] = attr
            return self.create_node("get_attr", attr, (), {})
        return super().create_arg(a)


def _callable_name(fn: Callable[..., Any]) -> str:
    if isinstance(fn, torch.nn.Module):
        return type(fn).__name__
    return getattr(fn, "__name__", type(fn).__name__)


def _parameters(fn: Callable[..., Any], name: str) -> list[inspect.Parameter]:
    try:
        signature = inspect.signature(fn.forward if isinstance(fn, torch.nn.Module) else fn)
    except (TypeError, ValueError):
        raise PipelineError(f"trace({name}): cannot read the function's signature. Fix: pass a function with named parameters.") from None
    parameters = list(signature.parameters.values())
    variadic = [p.name for p in parameters if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if variadic:
        raise PipelineError(
            f"trace({name}): the parameters {variadic} are *args/**kwargs; a pipeline's inputs are named "
            "parameters (they become the keys of run()'s feed dict). Fix: list them explicitly."
        )
    if not parameters:
        raise PipelineError(f"trace({name}): the function takes no parameters; a pipeline needs at least one input. Fix: give the function a parameter for each input.")
    return parameters


def _trampoline(fn: Callable[..., Any], parameters: list[inspect.Parameter], name: str) -> Callable[..., Any]:
    """A plain function with ``fn``'s parameter names that calls ``fn``.

    fx names its placeholders from a function's code object, and only plain functions have
    one; this lets ``fn`` be a method, an ``nn.Module`` or any callable object.
    """
    params = ", ".join(p.name for p in parameters)
    call = ", ".join(p.name if p.kind != p.KEYWORD_ONLY else f"{p.name}={p.name}" for p in parameters)
    function_name = re.sub(r"\W", "_", name) or "pipeline"
    filename = f"<toolkit pipeline {function_name}>"
    source = f"def {function_name}({params}):\n    return __toolkit_traced__({call})\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: dict[str, Any] = {"__toolkit_traced__": fn}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - a one-line forwarding function
    return namespace[function_name]


def _flatten_outputs(value: Any) -> list[tuple[str, Any]]:
    """Top-level outputs as (name, node-or-constant): node names, dict keys, or ``outputN``."""
    if isinstance(value, dict):
        return [(str(key), item) for key, item in value.items()]
    if isinstance(value, (tuple, list)):
        return [(item.name if isinstance(item, fx.Node) else f"output{i}", item) for i, item in enumerate(value)]
    return [(value.name if isinstance(value, fx.Node) else "output", value)]


def _sources(graph: fx.Graph, call_of: dict[fx.Node, str]) -> dict[fx.Node, tuple[str, ...]]:
    """For every node, the pipeline inputs and op calls it is computed from (in first-seen order)."""
    sources: dict[fx.Node, tuple[str, ...]] = {}
    for node in graph.nodes:
        if node.op == "placeholder":
            sources[node] = (node.target,)
        elif node in call_of:
            sources[node] = (call_of[node],)
        else:
            merged: list[str] = []
            for parent in node.all_input_nodes:
                merged.extend(label for label in sources[parent] if label not in merged)
            sources[node] = tuple(merged)
    return sources


def _value_sources(value: Any, sources: dict[fx.Node, tuple[str, ...]]) -> tuple[str, ...]:
    found: list[str] = []

    def visit(item: Any) -> None:
        if isinstance(item, fx.Node):
            found.extend(label for label in sources[item] if label not in found)
        elif isinstance(item, (tuple, list)):
            for inner in item:
                visit(inner)
        elif isinstance(item, dict):
            for inner in item.values():
                visit(inner)

    visit(value)
    return tuple(found)


def _label(value: Any) -> str:
    if isinstance(value, fx.Proxy):
        return value.node.name
    if isinstance(value, fx.Node):
        return value.name
    text = repr(value)
    return text if len(text) <= 40 and not isinstance(value, torch.Tensor) else describe(value)


def _leaf_names(outputs: Any) -> tuple[str, ...]:
    if isinstance(outputs, tuple):
        return tuple(name for item in outputs for name in _leaf_names(item))
    return (_label(outputs),)


@message_first
def trace(fn: Callable[..., Any], *example_args: Any, **example_kwargs: Any) -> Pipeline:
    """Records ``fn``, which calls InferenceOps and TorchScript-able code, as a :class:`Pipeline`.

    Args:
        fn: a function (or method, or callable object) whose parameters are the pipeline's
            inputs. It may call InferenceOps, ScriptModules, ``torch.nn`` layers and tensor
            operations; Python branches on the inputs' values are not recorded.
        *example_args: example inputs, as ``fn`` takes them (tensors, numpy arrays, DLPack
            objects, ints, floats, strings, lists).
        **example_kwargs: the same, by parameter name.

    Returns:
        The pipeline, already checked: it gave ``fn``'s eager output on the examples.

    Raises:
        PipelineError: the examples do not fit ``fn``, ``fn`` failed, could not be recorded, or
            the compiled pipeline disagrees with ``fn``.
        ScriptingError: TorchScript could not compile the recorded code.
    """
    if isinstance(fn, type):
        raise PipelineError(
            f"trace() got the class {fn.__name__}, not a function or an instance. Fix: pass {fn.__name__}(...) or a "
            "function whose parameters are the pipeline's inputs, then its example inputs: trace(fn, x, h)."
        )
    if not callable(fn):
        raise PipelineError(
            f"trace() takes the function to record as its first argument, not {describe(fn)}, which is not a function. Fix: pass a function "
            "whose parameters are the pipeline's inputs, then its example inputs: trace(fn, x, h)."
        )
    name = _callable_name(fn)
    parameters = _parameters(fn, name)
    try:
        bound = inspect.Signature(parameters).bind(*example_args, **example_kwargs)
    except TypeError as error:
        raise PipelineError(
            f"trace({name}) needs one example for each of {[p.name for p in parameters]}: {error}. Fix: pass one example input per parameter: trace(fn, x, h)."
        ) from None
    bound.apply_defaults()
    examples = {key: as_input(value, what=f"example input {key!r}") for key, value in bound.arguments.items()}
    example_values = tuple(examples[p.name] for p in parameters)
    annotations = [annotation_of_value(examples[p.name], what=f"example input {p.name!r}") for p in parameters]

    expected = _run_eagerly(fn, parameters, examples, name)
    graph, tracer = _record(fn, parameters, name)
    for node, annotation in zip((n for n in graph.nodes if n.op == "placeholder"), annotations):
        node.type = annotation
    _refuse_stray_device_tensors(tracer, name)
    class_name = "Pipeline_" + (re.sub(r"\W", "_", name) or "fn")
    graph_module = fx.GraphModule(tracer.root, graph, class_name=class_name)
    try:
        module = script_quietly(graph_module)
    except Exception as error:  # noqa: BLE001 - TorchScript's frontend raises several types
        raise ScriptingError(
            f"trace({name}) recorded the function, but TorchScript could not compile the result: "
            f"{torch_message(error)}. Fix: keep pre/post-processing to TorchScript-able tensor code, or move it into a "
            f"function wrapped with script(f, device=..., trace_func=torch.jit.script). The recorded code:\n"
            f"{graph_module.code.strip()}"
        ) from error

    steps = PipelineSteps(graph_module=graph_module, calls=dict(tracer.steps_of))
    pipeline = _assemble(module, steps, tracer, name, parameters, example_values, expected)
    _check_against_eager(pipeline, expected, name)
    return pipeline


def _refuse_stray_device_tensors(tracer: _PipelineTracer, name: str) -> None:
    """Only InferenceOps carry a device ``load`` can honour; GPU state anywhere else is refused."""
    op_attrs = set(tracer.op_attrs())
    stray: list[str] = []
    root = tracer.root
    for child_name, child in root.named_children():
        if child_name in op_attrs:
            continue
        for tensor_name, tensor in itertools.chain(child.named_parameters(), child.named_buffers()):
            if tensor.device.type != "cpu":
                stray.append(f"{child_name}.{tensor_name} on {tensor.device}")
    own = itertools.chain(root._parameters.items(), root._buffers.items(), vars(root).items())
    for attr, value in own:
        if isinstance(value, torch.Tensor) and value.device.type != "cpu":
            stray.append(f"{attr} on {value.device}")
    if stray:
        raise PipelineError(
            f"trace({name}): {', '.join(sorted(set(stray)))} live(s) on a GPU outside any InferenceOp, and load() "
            "could not place it (only InferenceOps carry a device). Fix: wrap GPU modules with "
            "toolkit.pipeline.script(module), and keep the tensors the function captures on the CPU."
        )


def _run_eagerly(fn: Callable[..., Any], parameters: list[inspect.Parameter], examples: dict[str, Any], name: str) -> Any:
    args = [examples[p.name] for p in parameters if p.kind != p.KEYWORD_ONLY]
    kwargs = {p.name: examples[p.name] for p in parameters if p.kind == p.KEYWORD_ONLY}
    try:
        with torch.no_grad():
            return fn(*args, **kwargs)
    except ToolkitError:
        raise
    except Exception as error:  # noqa: BLE001 - anything the user's function raises
        raise PipelineError(
            f"trace({name}) ran the function on the example inputs and it raised {type(error).__name__}: "
            f"{torch_message(error)}. Fix: make it run eagerly first."
        ) from error


def _record(fn: Callable[..., Any], parameters: list[inspect.Parameter], name: str) -> tuple[fx.Graph, _PipelineTracer]:
    tracer = _PipelineTracer()
    trampoline = _trampoline(fn, parameters, name)
    try:
        with recording(tracer):
            graph = tracer.trace(trampoline)
    except ToolkitError:
        raise
    except Exception as error:  # noqa: BLE001 - fx raises TraceError, RuntimeError, TypeError...
        raise PipelineError(
            f"trace({name}) could not record the function: {type(error).__name__}: {torch_message(error)}. "
            "Only InferenceOp calls, ScriptModules, torch.nn layers and tensor operations are recorded; "
            "Python control flow on a traced value (if, while, bool(), len(), in) cannot be. Move such logic "
            "into a function compiled with script(f, device=..., trace_func=torch.jit.script)."
        ) from error
    return graph, tracer


def _assemble(
    module: torch.jit.ScriptModule,
    steps: PipelineSteps,
    tracer: _PipelineTracer,
    name: str,
    parameters: list[inspect.Parameter],
    example_values: tuple[Any, ...],
    expected: Any,
) -> Pipeline:
    graph = steps.graph_module.graph
    sources = _sources(graph, tracer.call_of)
    output_node = next(node for node in graph.nodes if node.op == "output")
    outputs = tuple(
        PipelineOutput(name=label, depends_on=_value_sources(value, sources))
        for label, value in _flatten_outputs(output_node.args[0])
    )
    inputs = tuple(
        PipelineInput(name=p.name, type=type_name_of_value(value, what=f"example input {p.name!r}"))
        for p, value in zip(parameters, example_values)
    )
    specs: dict[str, OpSpec] = {}
    for record in tracer.records:
        if record.attr not in specs:
            op = record.op
            specs[record.attr] = OpSpec(
                attr=record.attr,
                source=op.source,
                device=device_label(op.device),
                traced_device=device_label(op.device),
                output_to_cpu=op.output_to_cpu,
                baked_devices=op.baked_devices,
                location=op.location,
            )
    calls = tuple(
        OpCall(
            name=record.raw.name,
            op=record.attr,
            device=device_label(record.op.device),
            output_to_cpu=record.op.output_to_cpu,
            inputs=tuple(_label(value) for value in record.args),
            outputs=_leaf_names(record.outputs),
            depends_on=_value_sources([v.node for v in record.args if isinstance(v, fx.Proxy)], sources),
        )
        for record in tracer.records
    )
    return Pipeline(
        module=module,
        name=name,
        inputs=inputs,
        outputs=outputs,
        specs=tuple(specs.values()),
        calls=calls,
        example_inputs=example_values,
        example_outputs=expected,
        steps=steps,
    )


def _check_against_eager(pipeline: Pipeline, expected: Any, name: str) -> None:
    feed = dict(zip(pipeline.input_names, pipeline.example_inputs))
    with torch.no_grad():
        actual = pipeline.run(feed)
    difference = first_difference(actual, expected)
    if difference is not None:
        raise PipelineError(
            f"trace({name}): the compiled pipeline does not reproduce the function on the example inputs: {difference}. "
            "Something in the function was not recorded: Python values computed from the inputs are frozen "
            "at trace time, and only the branch taken is kept. Compute such values with tensor operations or "
            "inside a scripted function."
        )
