"""Copies of a module with the parts that do not script set aside, so the rest can be checked.

Why: TorchScript reports only the first construct it cannot compile. To find the next one, the
part already explained must be taken out of the compiler's way without changing the user's
module. A part is set aside on a *copy*:

- a method: replaced, on a one-off subclass, by a copy of its function marked
  ``@torch.jit.unused`` (its signature is still compiled, its body replaced by a raise), or, when
  the signature itself is the problem, ``@torch.jit.ignore`` (called as Python, not compiled;
  TorchScript then drops its defaults, so callers that rely on them fail: see ``check``);
- an attribute: listed in the subclass's ``__jit_ignored_attributes__`` (TorchScript's own
  switch for attributes it should not convert);
- a child module: replaced by a copy with its own parts set aside, or, when that was not
  enough, by an opaque copy whose ``forward`` and plain attributes are all set aside.

The user's classes and functions are never modified: each copy gets a new subclass, and the
ignored functions are new function objects sharing the original's code.
"""

from __future__ import annotations

import copy
import inspect
import os
import types
from typing import Any, Iterable, Mapping

import torch

__all__ = ["method_covering", "opaque_copy", "with_children", "with_set_aside"]


def _copy_function(function: Any) -> types.FunctionType:
    """A new function object running ``function``'s code, for ``torch.jit.ignore`` to mark.

    TorchScript still reads an ignored function's signature to type the calls to it; an
    unannotated parameter with a non-tensor default (``scale=2``) would make every call fail
    ("Argument scale not provided"), so the copy annotates such parameters with their default's type.
    """
    clone = types.FunctionType(
        function.__code__, function.__globals__, function.__name__, function.__defaults__, function.__closure__
    )
    clone.__kwdefaults__ = function.__kwdefaults__
    clone.__annotations__ = dict(getattr(function, "__annotations__", {}))
    clone.__qualname__ = function.__qualname__
    clone.__module__ = function.__module__
    clone.__doc__ = function.__doc__
    if hasattr(function, "__wrapped__"):
        clone.__wrapped__ = function.__wrapped__  # type: ignore[attr-defined]
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        parameters = ()  # type: ignore[assignment]
    for parameter in parameters:
        default = parameter.default
        if parameter.name not in clone.__annotations__ and type(default) in (int, float, bool, str):
            clone.__annotations__[parameter.name] = type(default)
    return clone


def _shallow_copy(module: torch.nn.Module) -> torch.nn.Module:
    clone = copy.copy(module)
    clone.__dict__["_modules"] = dict(module._modules)
    return clone


def with_set_aside(
    module: torch.nn.Module,
    *,
    methods: Iterable[str] = (),
    attributes: Iterable[str] = (),
    unused: Iterable[str] = (),
) -> torch.nn.Module:
    """A shallow copy of ``module``: ``methods`` ignored, ``unused`` methods unused, ``attributes`` not converted."""
    methods, attributes, unused = tuple(methods), tuple(attributes), tuple(unused)
    if not methods and not attributes and not unused:
        return module
    cls = type(module)
    namespace: dict[str, Any] = {}
    for names, mark in ((unused, torch.jit.unused), (methods, torch.jit.ignore)):
        for name in names:
            if isinstance(getattr(cls, name, None), types.FunctionType):
                namespace[name] = mark(_copy_function(getattr(cls, name)))
    namespace["__jit_ignored_attributes__"] = [*getattr(cls, "__jit_ignored_attributes__", ()), *attributes]
    namespace["__module__"] = cls.__module__
    namespace["__qualname__"] = cls.__qualname__
    clone = _shallow_copy(module)
    clone.__class__ = type(cls.__name__, (cls,), namespace)
    return clone


def with_children(module: torch.nn.Module, replacements: Mapping[str, torch.nn.Module]) -> torch.nn.Module:
    """A shallow copy of ``module`` whose direct children named in ``replacements`` are swapped."""
    if not replacements:
        return module
    clone = _shallow_copy(module)
    for name, child in replacements.items():
        clone._modules[name] = child
    return clone


def _plain_attributes(module: torch.nn.Module) -> list[str]:
    reserved = {"training", "_modules", "_parameters", "_buffers"}
    return [
        name
        for name, value in vars(module).items()
        if name not in reserved and not name.startswith("_") and not isinstance(value, torch.Tensor)
    ]


def opaque_copy(module: torch.nn.Module) -> torch.nn.Module:
    """A copy TorchScript accepts whatever its code holds: ``forward`` ignored, plain attributes skipped."""
    children = {name: opaque_copy(child) for name, child in module.named_children()}
    methods = ["forward"] if isinstance(getattr(type(module), "forward", None), types.FunctionType) else []
    return with_set_aside(with_children(module, children), methods=methods, attributes=_plain_attributes(module))


def method_covering(cls: type, file: str, line: int) -> str | None:
    """The name of ``cls``'s method (own or inherited, below ``nn.Module``) whose source holds ``file:line``."""
    for klass in cls.__mro__:
        if klass.__module__.startswith("torch.") or klass is object:
            continue
        for name, member in vars(klass).items():
            if not isinstance(member, types.FunctionType):
                continue
            function = inspect.unwrap(member)
            try:
                lines, start = inspect.getsourcelines(function)
                source_file = inspect.getsourcefile(function)
            except (TypeError, OSError):
                continue
            if source_file and _same_file(source_file, file) and start <= line < start + len(lines):
                return name
    return None


def _same_file(a: str, b: str) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)
