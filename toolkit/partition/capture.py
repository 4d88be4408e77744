"""Trace the user's model or function the way torch-neuron does, and read back what the IR
leaves out (tensor payloads).

The tracing itself is :func:`toolkit.capture.trace`, the package's one entry point, so a failed
trace reads the same here as anywhere else. What this module adds is what torch-neuron's
``trace(model, example_inputs, **kwargs)`` does differently: example inputs may be one tensor or
a list, a plain function is wrapped in a one-method module named after it (so every trace is a
``ScriptModule`` with attributes to read weights from, and ``node.name`` for a function is
``("foo",)``), an already-scripted module is refused, and the trace runs without autograd.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Callable, Mapping

import torch

from toolkit.capture import Captured, trace
from toolkit.errors import MissingExampleInputsError, PartitionError, TracingError
from toolkit.frames import user_location_text
from toolkit.ir.model import Graph, NodeKind

__all__ = ["capture", "normalize_inputs", "describe_inputs", "attribute_tensor", "tensor_constants"]

CALLER = "toolkit.partition.trace"


def normalize_inputs(example_inputs: Any) -> tuple:
    """torch-neuron accepts a tuple of inputs or a single tensor; always return a tuple."""
    if example_inputs is None:
        raise MissingExampleInputsError(
            f"{CALLER} needs example_inputs: tracing runs the model once to record"
            " its operations. Fix: pass a tensor or a tuple of tensors shaped like real inputs."
        )
    if isinstance(example_inputs, torch.Tensor):
        return (example_inputs,)
    if isinstance(example_inputs, list):
        return tuple(example_inputs)
    if isinstance(example_inputs, tuple):
        return example_inputs
    raise MissingExampleInputsError(
        f"example_inputs must be a tensor or a tuple of tensors, not {type(example_inputs).__name__}."
        " Fix: wrap your inputs in a tuple: (x,) or (x, y)."
    )


def describe_inputs(inputs: tuple) -> list:
    """Each input's shape (a tuple) or, for a non-tensor, its type name: how messages show inputs."""
    return [tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in inputs]


def _as_module(model: Any) -> torch.nn.Module | Callable:
    if isinstance(model, torch.nn.Module):
        return model
    if inspect.ismethod(model) and isinstance(model.__self__, torch.nn.Module):
        return model  # torch.jit.trace traces a bound method of a module as that module
    if callable(model):
        fn = model
        name = re.sub(r"\W", "_", getattr(fn, "__name__", "function")) or "function"

        def forward(self, *args):
            return fn(*args)

        return type(name, (torch.nn.Module,), {"forward": forward, "__module__": __name__})()
    raise TracingError(
        f"{CALLER} got a {type(model).__name__}, which is neither an nn.Module nor"
        " a function. Fix: pass the model or a function of tensors."
    )


def capture(model: Any, example_inputs: Any, **trace_kwargs: Any) -> Captured:
    """Trace ``model`` with :func:`toolkit.capture.trace` (extra keywords go to ``torch.jit.trace``).

    Returns:
        The :class:`~toolkit.capture.Captured`: ``module`` is always a ScriptModule, ``ir`` its
        inlined IR graph (every node id of a partition plan refers to it), ``example_inputs`` a
        tuple, and ``source`` the callable that was traced (for reference runs at other batches).

    Raises:
        MissingExampleInputsError: the inputs are missing or not a tensor, list or tuple.
        TracingError: ``model`` is already scripted, is not callable, or does not trace.
    """
    inputs = normalize_inputs(example_inputs)
    if isinstance(model, torch.jit.ScriptModule) and not isinstance(model, torch.jit.TracedModule):
        raise TracingError(
            f"{model.original_name} is already scripted; {CALLER} traces eager models"
            " (as torch-neuron does). Fix: pass the eager nn.Module."
        )
    target = _as_module(model)
    try:
        with torch.no_grad():
            captured = trace(target, inputs, caller=CALLER, **trace_kwargs)
    except TracingError as error:
        raise _failed(getattr(model, "__name__", type(model).__name__), inputs, error) from error.__cause__
    captured.warn_again()  # torch-neuron's trace shows what torch.jit.trace shows
    return captured


def _failed(name: str, inputs: tuple, error: TracingError) -> TracingError:
    """The trace failure in the words torch-neuron users of this toolkit have read so far.

    :func:`toolkit.capture.trace_failure_message` does not name the input shapes, which these
    messages have always said; until it can, this keeps them, in its shape: the caller, what
    failed, torch's first line, the user's line, the fix. Keywords torch.jit.trace cannot take are
    refused by :func:`toolkit.capture.trace` before tracing, with no cause: that error is kept.
    """
    cause = error.__cause__
    if cause is None:
        return error
    first_line = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return TracingError(
        f"{CALLER}: tracing {name} on example inputs {describe_inputs(inputs)} failed:"
        f" {type(cause).__name__}: {first_line}{user_location_text(cause)}."
        " Fix: call the model eagerly with the same inputs to find the problem, then trace again."
    )


def attribute_tensor(module: torch.nn.Module, path: tuple[str, ...]) -> torch.Tensor:
    """The parameter or buffer at ``path`` (``("layer", "conv", "weight")``), detached."""
    obj: Any = module
    for part in path:
        obj = getattr(obj, part)
    if not isinstance(obj, torch.Tensor):
        raise PartitionError(f"attribute {'.'.join(path)} is a {type(obj).__name__}, not a tensor")
    return obj.detach()


def tensor_constants(traced: torch.jit.ScriptModule, graph: Graph, wanted: set[str]) -> Mapping[str, torch.Tensor]:
    """Payloads of the non-scalar tensor constants ``wanted`` (IR value names).

    The IR keeps only a summary (``tensor<float32, 3>``) of a tensor baked into a trace by
    ``torch.tensor([...])``. The values are in each module's ``code_with_constants``
    (``CONSTANTS.c0``...). Constants are matched per owning module by dtype and shape, in
    order; the partitioned result is checked against the traced model afterwards, so a wrong
    match cannot go unnoticed.
    """
    if not wanted:
        return {}
    by_scope: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for n in graph.walk():
        if n.kind is NodeKind.CONSTANT and n.outputs and n.outputs[0].name in wanted:
            by_scope.setdefault(n.scope.path, []).append((n.outputs[0].name, str(n.attributes.get("value"))))
    found: dict[str, torch.Tensor] = {}
    for path, entries in by_scope.items():
        module: Any = traced
        for part in path:
            module = getattr(module, part)
        try:
            _, const_map = module.code_with_constants
            pool = [t for _, t in sorted(const_map.const_mapping.items(), key=lambda kv: int(kv[0][1:]))]
        except (AttributeError, RuntimeError, ValueError):
            pool = []
        for value_name, summary in entries:
            index = next((i for i, t in enumerate(pool) if isinstance(t, torch.Tensor) and _summary(t) == summary), None)
            if index is None:
                raise PartitionError(
                    f"the trace holds a tensor constant %{value_name} ({summary}) whose values could"
                    " not be recovered. Fix: register it as a buffer in the module"
                    " (self.register_buffer(...)) instead of creating it with torch.tensor(...) in forward."
                )
            found[value_name] = pool.pop(index).detach().clone()
    return found


def _summary(t: torch.Tensor) -> str:
    """The IR's summary text of a non-scalar tensor constant (``tensor<float32, 2×3>``)."""
    return f"tensor<{str(t.dtype).replace('torch.', '')}, {'×'.join(str(d) for d in t.shape)}>"
