"""TorchScript types as Python annotations, and what they say about tensors.

The pipeline is generated as Python code (a ``torch.fx`` graph) and then compiled with
``torch.jit.script``, which reads parameter annotations. An InferenceOp's signature is known as
TorchScript types (``forward.schema``), and a pipeline's inputs are known as example values;
both have to become Python annotations (``torch.Tensor``, ``List[str]``, ...). The same types
tell the op builder which arguments to move to the op's device and which outputs to bring back
to the CPU.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, cast

import torch

from toolkit.errors import PipelineError
from toolkit.ir.build import infer_jit_type

__all__ = ["annotation_of", "annotation_of_value", "type_name_of_value", "contains_tensor", "is_tensor_type"]


def as_type(jit_type: Any) -> torch.Type:
    """``jit_type`` as the ``torch.Type`` it is at runtime.

    Torch's stubs give schema and container element types as ``JitType``, a stub-only base
    class that lacks ``Type``'s methods (and does not count ``TensorType`` as a ``Type``); at
    runtime every TorchScript type is a ``torch.Type``. Nothing is converted.
    """
    return cast(torch.Type, jit_type)


def is_tensor_type(jit_type: torch.Type) -> bool:
    """True for ``Tensor`` (with or without a recorded shape)."""
    return isinstance(jit_type, torch.TensorType)


def contains_tensor(jit_type: torch.Type) -> bool:
    """True when a value of this type can hold a tensor anywhere inside it."""
    if is_tensor_type(jit_type):
        return True
    return any(contains_tensor(as_type(inner)) for inner in jit_type.containedTypes())


def annotation_of(jit_type: torch.Type, *, what: str) -> Any:
    """The Python annotation ``torch.jit.script`` reads back as ``jit_type``.

    Args:
        jit_type: a TorchScript type from a schema or from type inference.
        what: how an error names the value with this type.

    Raises:
        PipelineError: a type an InferenceOp boundary cannot carry (classes, futures, ...).
    """
    simple = {
        torch.IntType: int,
        torch.FloatType: float,
        torch.BoolType: bool,
        torch.StringType: str,
        torch.DeviceObjType: torch.device,
        torch.NoneType: type(None),
    }
    if is_tensor_type(jit_type):
        return torch.Tensor
    for kind, annotation in simple.items():
        if isinstance(jit_type, kind):
            return annotation
    if isinstance(jit_type, torch.ListType):
        return List[annotation_of(as_type(jit_type.getElementType()), what=what)]  # type: ignore[misc]
    if isinstance(jit_type, torch.TupleType):
        elements = tuple(annotation_of(as_type(e), what=what) for e in jit_type.elements())
        return Tuple[elements] if elements else Tuple[()]  # type: ignore[valid-type]
    if isinstance(jit_type, torch.DictType):
        key = annotation_of(as_type(jit_type.getKeyType()), what=what)
        value = annotation_of(as_type(jit_type.getValueType()), what=what)
        return Dict[key, value]  # type: ignore[valid-type]
    if isinstance(jit_type, torch.OptionalType):
        return Optional[annotation_of(jit_type.getElementType(), what=what)]
    raise PipelineError(
        f"{what} has the TorchScript type {jit_type.annotation_str}, which an InferenceOp or a "
        "pipeline cannot pass across its boundary. Fix: use tensors, int, float, bool, str and "
        "List/Tuple/Dict/Optional of those."
    )


def _infer(value: Any, *, what: str) -> torch.Type:
    if isinstance(value, torch.Tensor):
        return as_type(torch.TensorType.get())
    inferred = infer_jit_type(value)
    if isinstance(inferred, str):
        raise PipelineError(
            f"{what} is a {type(value).__name__} that TorchScript cannot type ({inferred}). "
            "Fix: give an example of the real type (a tensor, a non-empty list, a str, ...)."
        )
    return inferred


def annotation_of_value(value: Any, *, what: str) -> Any:
    """The annotation for an example value (a pipeline input), via TorchScript's inference.

    Raises:
        PipelineError: TorchScript cannot type the value (an empty list, a custom object).
    """
    return annotation_of(_infer(value, what=what), what=what)


def type_name_of_value(value: Any, *, what: str) -> str:
    """TorchScript's name for an example value's type: ``"Tensor"``, ``"int"``, ``"List[str]"``."""
    return _infer(value, what=what).annotation_str
