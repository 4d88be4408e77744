"""Turning what a caller feeds an InferenceOp or a Pipeline into torch values.

Matx fed ``matx.NDArray`` through DLPack. We take torch tensors as they are, numpy arrays
through ``torch.from_numpy`` (zero-copy, any strides), and any other object with a
``__dlpack__`` method through ``torch.from_dlpack`` (zero-copy). Python scalars, strings and
containers pass through untouched: TorchScript checks them against the op's signature.

numpy is imported only when a value that could be a numpy array arrives, so that
``toolkit.pipeline`` imports with torch alone.
"""

from __future__ import annotations

import sys
from typing import Any, Sequence

import torch

from toolkit.errors import PipelineError

__all__ = ["to_torch", "as_input", "describe", "describe_inputs"]


def _numpy_array_type() -> type[Any] | None:
    numpy = sys.modules.get("numpy")
    return None if numpy is None else numpy.ndarray


def _from_numpy(array: Any, *, what: str) -> torch.Tensor:
    """Zero-copy where torch allows it; a copy for read-only, negative-stride or swapped arrays."""
    import numpy

    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    if not array.flags.writeable or any(stride < 0 for stride in array.strides):
        array = numpy.array(array, copy=True)
    try:
        return torch.from_numpy(array)
    except TypeError as error:
        raise PipelineError(
            f"{what} is a numpy array of dtype {array.dtype}, which torch cannot hold ({error}). "
            "Fix: convert it to a numeric dtype (float32, int64, bool, ...) first."
        ) from None


def to_torch(value: Any, *, copy: bool = True, what: str = "value") -> torch.Tensor:
    """Converts a tensor, numpy array or DLPack object to a ``torch.Tensor``.

    The counterpart of Matx's ``NDArray.torch(copy=True)``: by default the result owns its
    memory, so changing the source later cannot change it; ``copy=False`` shares memory where
    the source allows it. Strided (sliced) sources keep their values either way.

    Args:
        value: a ``torch.Tensor``, a ``numpy.ndarray``, or any object with ``__dlpack__``.
        copy: return a tensor with its own memory (the default), or share the source's.
        what: how an error message names ``value``.

    Raises:
        PipelineError: ``value`` is none of those, or holds a dtype torch cannot represent.
    """
    if isinstance(value, torch.Tensor):
        tensor = value
    else:
        ndarray = _numpy_array_type()
        if ndarray is not None and isinstance(value, ndarray):
            tensor = _from_numpy(value, what=what)
        elif hasattr(value, "__dlpack__"):
            try:
                tensor = torch.from_dlpack(value)
            except (RuntimeError, TypeError, BufferError, ValueError) as error:
                raise PipelineError(
                    f"{what} ({type(value).__name__}) has __dlpack__ but torch could not import it: {error}. "
                    "Fix: pass a torch.Tensor or a numpy array instead."
                ) from None
        else:
            raise PipelineError(
                f"{what} is a {type(value).__name__}, not a tensor. Fix: pass a torch.Tensor, a numpy array "
                "or an object with __dlpack__."
            )
    return tensor.clone() if copy else tensor


def as_input(value: Any, *, what: str = "input") -> Any:
    """Prepares one call argument: arrays and DLPack objects become tensors, the rest passes.

    Zero-copy (``to_torch(copy=False)``): an InferenceOp moves the tensor to its device anyway,
    and a CPU op reads it without writing.
    """
    if isinstance(value, torch.Tensor):
        return value
    ndarray = _numpy_array_type()
    if (ndarray is not None and isinstance(value, ndarray)) or hasattr(value, "__dlpack__"):
        return to_torch(value, copy=False, what=what)
    if isinstance(value, (list, tuple)):
        return type(value)(as_input(item, what=f"{what}[{i}]") for i, item in enumerate(value))
    return value


def describe(value: Any) -> str:
    """A short, deterministic description of a value for error messages.

    ``float32[3, 4] on cpu`` for tensors, the type name otherwise (never an address).
    """
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).replace("torch.", "")
        return f"{dtype}{list(value.shape)} on {value.device}"
    ndarray = _numpy_array_type()
    if ndarray is not None and isinstance(value, ndarray):
        return f"numpy {value.dtype}{list(value.shape)}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(describe(item) for item in value[:4])
        more = ", ..." if len(value) > 4 else ""
        return f"{type(value).__name__}[{inner}{more}]"
    if isinstance(value, (int, float, bool, str)) or value is None:
        return f"{type(value).__name__} {value!r}" if not isinstance(value, str) or len(value) < 40 else "str"
    return type(value).__name__


def describe_inputs(values: Sequence[Any], *, names: Sequence[str] | None = None) -> str:
    """``float32[3, 4] on cpu, int 2``, or ``x=..., k=...`` with ``names``: a call's inputs in messages."""
    if names is None:
        return ", ".join(describe(value) for value in values)
    return ", ".join(f"{name}={describe(value)}" for name, value in zip(names, values))
