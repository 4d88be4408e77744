"""Small TorchScript modules the pipeline builder needs around user code.

* :func:`function_module` puts a ``ScriptFunction`` inside a ``ScriptModule``, so that every
  InferenceOp, whatever it wraps, is a submodule with a ``forward`` (one node per op in the
  pipeline graph, one place for its parameters when the op moves).
* :class:`ListOutputs` and :class:`DictOutputs` apply an op's output rule (contiguous, and on
  the CPU when ``output_to_cpu``) to list and dict outputs, which the generated straight-line
  code cannot loop over.

``torch.fx`` writes a ``ScriptFunction`` call as ``torch.jit.ScriptFunction(...)``, which
TorchScript cannot resolve, so the holder's ``forward`` is generated here instead: one line
that calls the function, with the parameter annotations taken from its schema. The source is
registered in ``linecache`` (as fx does for its own code) because ``torch.jit.script`` reads
source through ``inspect``.
"""

from __future__ import annotations

import keyword
import linecache
import math
import warnings
from typing import Dict, List, Optional, Tuple, cast

import torch
from torch import Tensor

from toolkit.errors import ScriptingError

__all__ = ["function_module", "ListOutputs", "DictOutputs", "script_quietly"]

# TorchScript's own notice that scripting fx's GraphModule class meets annotated empty
# containers in its __init__ (``self.meta: dict = {}``); it concerns fx's class, not the user.
_FX_INIT_NOTICE = "The TorchScript type system doesn't support instance-level annotations"


def script_quietly(module: torch.nn.Module) -> torch.jit.ScriptModule:
    """``torch.jit.script(module)``, without TorchScript's notice about fx's ``__init__``."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_FX_INIT_NOTICE, category=UserWarning)
        return torch.jit.script(module)


class ListOutputs(torch.nn.Module):
    """Makes each tensor of a list output contiguous, on the CPU when ``to_cpu``."""

    def __init__(self, to_cpu: bool) -> None:
        super().__init__()
        self.to_cpu = to_cpu

    def forward(self, values: List[Tensor]) -> List[Tensor]:
        out: List[Tensor] = []
        for value in values:
            if self.to_cpu:
                value = value.cpu()
            out.append(value.contiguous())
        return out


class DictOutputs(torch.nn.Module):
    """Makes each tensor of a ``Dict[str, Tensor]`` output contiguous, on the CPU when ``to_cpu``."""

    def __init__(self, to_cpu: bool) -> None:
        super().__init__()
        self.to_cpu = to_cpu

    def forward(self, values: Dict[str, Tensor]) -> Dict[str, Tensor]:
        out: Dict[str, Tensor] = {}
        for key, value in values.items():
            if self.to_cpu:
                value = value.cpu()
            out[key] = value.contiguous()
        return out


def _default_source(argument: torch.Argument) -> str | None:
    """`` = value`` for a default we can write as source, ``""`` for none, None if unwritable."""
    if not argument.has_default_value():
        return ""
    value = argument.default_value
    if value is None or _is_literal(value):
        return f" = {value!r}"
    return None


def _is_literal(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (bool, int, str)):
        return True
    return isinstance(value, (list, tuple)) and all(_is_literal(item) for item in value)


class _FunctionHolder(torch.nn.Module):
    """The class every function holder is made from; ``forward`` is set per function."""


_ANNOTATION_NAMES = {
    "Tensor": Tensor,
    "List": List,
    "Dict": Dict,
    "Tuple": Tuple,
    "Optional": Optional,
    "Device": torch.device,
    "NoneType": type(None),
    "torch": torch,
}


def function_module(function: torch.jit.ScriptFunction, *, name: str) -> torch.jit.ScriptModule:
    """A ScriptModule whose ``forward`` calls ``function`` with the same parameters.

    Args:
        function: a scripted or traced free function.
        name: the op's name; it names the generated source file (``<toolkit op NAME>``) so
            TorchScript's messages point at something recognisable.

    Raises:
        ScriptingError: the function's signature uses a type we cannot write as an annotation.
    """
    # torch's stub declares ScriptFunction.schema a method; at runtime it is a FunctionSchema property.
    schema = cast(torch.FunctionSchema, function.schema)
    names = [
        argument.name if argument.name.isidentifier() and not keyword.iskeyword(argument.name) else f"arg{index}"
        for index, argument in enumerate(schema.arguments)
    ]
    defaults = [_default_source(argument) for argument in schema.arguments]
    if any(default is None for default, argument in zip(defaults, schema.arguments) if argument.has_default_value()):
        defaults = [""] * len(defaults)  # a default we cannot write: the holder asks for every argument
    params = [
        f"{arg_name}: {argument.type.annotation_str}{default or ''}"
        for arg_name, argument, default in zip(names, schema.arguments, defaults)
    ]
    call_args = names
    returns = schema.returns[0].type.annotation_str if len(schema.returns) == 1 else "None"
    filename = f"<toolkit op {name}>"
    source = (
        f"def forward(self, {', '.join(params)}) -> {returns}:\n"
        f"    return __toolkit_function__({', '.join(call_args)})\n"
    )
    namespace = dict(_ANNOTATION_NAMES, __toolkit_function__=function)
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated one-liner
    holder_class = type(f"Function_{name}", (_FunctionHolder,), {"forward": namespace["forward"], "__module__": __name__})
    try:
        return torch.jit.script(holder_class())
    except Exception as error:  # noqa: BLE001 - TorchScript's frontend raises several types
        raise ScriptingError(
            f"could not wrap the TorchScript function {function.name!r} (op {name!r}) in a module: "
            f"{str(error).strip().splitlines()[0]}; its signature is {schema}. Fix: wrap it in an nn.Module "
            "yourself and pass that to script()."
        ) from None
