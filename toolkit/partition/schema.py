"""Choose the operator overload a graph node called, so generated code can call it again.

A traced graph records ``aten::add(%x, %y, %alpha)`` with every argument positional, but
Python calls need keyword-only arguments by name (``alpha=`` for ``add.Tensor``,
``approximate=`` for ``gelu``). TorchScript cannot call an overload by its full name
(``torch.ops.aten.add.Tensor`` is "attribute lookup is not defined on builtin"), so the generated
code calls the overload packet (``torch.ops.aten.add``) and this module decides which
arguments it must name. It reads the public ``torch.ops`` schemas only.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Sequence

import torch

__all__ = ["Signature", "match_signature", "has_op", "number_literal_ok"]


@dataclass(frozen=True)
class Signature:
    """The argument layout of one overload: names and which are keyword-only."""

    overload: str
    names: tuple[str, ...]
    kwarg_only: tuple[bool, ...]
    types: tuple[str, ...]


def has_op(qualified: str) -> bool:
    """True if ``torch.ops`` has an overload packet for ``ns::name``."""
    return _packet(qualified) is not None


@functools.lru_cache(maxsize=None)
def _packet(qualified: str):
    namespace, _, name = qualified.partition("::")
    try:
        return getattr(getattr(torch.ops, namespace), name)
    except (AttributeError, RuntimeError):
        return None


@functools.lru_cache(maxsize=None)
def _signatures(qualified: str) -> tuple[Signature, ...]:
    packet = _packet(qualified)
    if packet is None:
        return ()
    found = []
    for overload in packet.overloads():
        schema = getattr(packet, overload)._schema
        if any(a.kwarg_only and a.alias_info is not None and a.alias_info.is_write for a in schema.arguments):
            continue  # out= variants
        found.append(
            Signature(
                overload=overload,
                names=tuple(a.name for a in schema.arguments),
                kwarg_only=tuple(bool(a.kwarg_only) for a in schema.arguments),
                types=tuple(str(a.type) for a in schema.arguments),
            )
        )
    return tuple(found)


_OPTIONAL = re.compile(r"^Optional\[(.*)\]$")
_LIST = re.compile(r"^List\[(.*)\]$")


def _accepts(schema_type: str, value_type: str) -> bool:
    """Would an argument of ``schema_type`` accept a value of IR type ``value_type``?"""
    if schema_type == value_type or schema_type in ("Any", "t", "t1", "t2"):
        return True
    m = _OPTIONAL.match(schema_type)
    if m:
        return value_type == "NoneType" or _accepts(m.group(1), value_type)
    if schema_type == "number":
        return value_type in ("int", "float", "bool", "complex", "number", "Scalar")
    if schema_type == "float":
        return value_type in ("float", "int")
    if schema_type == "complex":
        return value_type in ("complex", "float", "int")
    m = _LIST.match(schema_type)
    if m:
        inner = m.group(1)
        if value_type == "int" and inner == "int":
            return True  # int[2] stride accepts a single int
        vm = _LIST.match(value_type)
        return vm is not None and _accepts(inner, vm.group(1))
    return False


def match_signature(qualified: str, value_types: Sequence[str]) -> Signature | None:
    """The first overload of ``qualified`` whose arguments accept ``value_types`` positionally.

    Returns ``None`` when no overload matches (the caller then emits plain positional
    arguments and lets TorchScript resolve them).
    """
    for sig in _signatures(qualified):
        if len(sig.types) != len(value_types):
            continue
        if all(_accepts(s, v) for s, v in zip(sig.types, value_types)):
            return sig
    return None


def number_literal_ok(qualified: str, value_types: Sequence[str], position: int, literal_type: str) -> bool:
    """Could argument ``position`` be a Python number (of IR type ``literal_type``) instead of a
    0-dim tensor?

    Traced graphs hold Python scalars as "wrapped number" tensors (``x * 0.1``); calling the
    ``Scalar`` overload with the number keeps their type-promotion rules, while a real 0-dim
    float64 tensor would promote an integer tensor to float64.
    """
    trial = list(value_types)
    trial[position] = literal_type
    sig = match_signature(qualified, trial)
    return sig is not None and "Tensor" not in sig.types[position]
