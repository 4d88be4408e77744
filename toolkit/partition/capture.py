"""Trace the user's model or function the way torch-neuron does, and read back what the IR
leaves out (tensor payloads).

torch-neuron's ``trace(model, example_inputs, **kwargs)`` runs ``torch.jit.trace`` with the
extra keyword arguments. A plain function is wrapped in a one-method module named after the
function, so every trace is a ``ScriptModule`` with attributes we can read weights from, and
``node.name`` for a function is ``("foo",)``.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch

from toolkit.errors import MissingExampleInputsError, PartitionError, TracingError
from toolkit.ir import build as ir_build
from toolkit.ir.model import Graph, NodeKind

__all__ = ["Captured", "capture", "normalize_inputs", "attribute_tensor", "tensor_constants"]


@dataclass(frozen=True)
class Captured:
    """A traced model and its inlined IR graph.

    Attributes:
        traced: the ``torch.jit.trace`` result (always a ScriptModule).
        graph: ``toolkit.ir.graph(traced, inlined=True)``; every node id in a partition plan
            refers to it.
        example_inputs: the inputs it was traced with, as a tuple.
        eager: the callable that was traced (for reference runs at other batch sizes).
    """

    traced: torch.jit.ScriptModule
    graph: Graph
    example_inputs: tuple
    eager: Callable[..., Any]


def normalize_inputs(example_inputs: Any) -> tuple:
    """torch-neuron accepts a tuple of inputs or a single tensor; always return a tuple."""
    if example_inputs is None:
        raise MissingExampleInputsError(
            "toolkit.partition.trace needs example_inputs: tracing runs the model once to record"
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
        f"toolkit.partition.trace got a {type(model).__name__}, which is neither an nn.Module nor"
        " a function. Fix: pass the model or a function of tensors."
    )


def capture(model: Any, example_inputs: Any, **trace_kwargs: Any) -> Captured:
    """``torch.jit.trace`` the model (extra keywords go to it) and build the inlined IR."""
    inputs = normalize_inputs(example_inputs)
    if isinstance(model, torch.jit.ScriptModule) and not isinstance(model, torch.jit.TracedModule):
        raise TracingError(
            f"{model.original_name} is already scripted; toolkit.partition.trace traces eager models"
            " (as torch-neuron does). Fix: pass the eager nn.Module."
        )
    target = _as_module(model)
    try:
        with torch.no_grad():
            traced = torch.jit.trace(target, inputs, **trace_kwargs)
    except TypeError as error:
        raise TracingError(
            f"torch.jit.trace rejected the arguments: {error}. Note that extra keyword arguments"
            " of toolkit.partition.trace go to torch.jit.trace."
        ) from None
    except Exception as error:  # noqa: BLE001 - tracing runs user code; report it, keep the cause
        raise TracingError(
            f"tracing {getattr(model, '__name__', type(model).__name__)} on example inputs"
            f" {[tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in inputs]}"
            f" failed: {type(error).__name__}: {error}"
        ) from error
    graph = ir_build.graph(traced, inlined=True)
    return Captured(traced=traced, graph=graph, example_inputs=inputs, eager=model)


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
