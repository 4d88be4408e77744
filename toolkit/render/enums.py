"""Enum arguments as a student reads them: ``dtype=6`` is ``float32``.

TorchScript stores a ``dtype``, ``layout`` or ``memory_format`` argument as the integer of torch's
C++ enum, so a graph says ``aten::to(x, 6, ...)`` where the Python said ``torch.float32``. The
numbers are fixed by torch's ABI (``c10::ScalarType``, ``c10::Layout``, ``c10::MemoryFormat``;
checked against torch in ``tests/render/test_labels.py``), and the schema names the argument, so
a view can name the value. Unknown numbers stay numbers.
"""

from __future__ import annotations

from typing import Any

__all__ = ["enum_argument"]

_DTYPES = (
    "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
    "complex32", "complex64", "complex128", "bool", "qint8", "quint8", "qint32", "bfloat16",
    "quint4x2", "quint2x4", "bits1x8", "bits2x4", "bits4x2", "bits8", "bits16",
    "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz", "uint16", "uint32", "uint64",
)
_LAYOUTS = ("strided", "sparse_coo", "sparse_csr", "mkldnn", "sparse_csc", "sparse_bsr", "sparse_bsc", "jagged")
_MEMORY_FORMATS = ("contiguous_format", "preserve_format", "channels_last", "channels_last_3d")
_NAMES = {"dtype": _DTYPES, "layout": _LAYOUTS, "memory_format": _MEMORY_FORMATS}


def enum_argument(arg: str, value: Any) -> str | None:
    """The name of enum ``value`` passed as argument ``arg`` (``"float32"``), or ``None``.

    ``value`` may be the int or its text (``"6"``), as a drawing's constants hold it.
    """
    names = _NAMES.get(arg)
    if names is None or isinstance(value, bool):
        return None
    try:
        index = int(value)
    except (TypeError, ValueError):
        return None
    return names[index] if 0 <= index < len(names) else None
