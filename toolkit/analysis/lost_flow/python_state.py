"""The Python state a checked function can change, kept as it was, or named when it cannot be.

Why: ``check_trace`` runs the user's code dozens of times. A module's own attributes live on
deep copies, but a plain function (or a ``forward``) that writes a module global (``global
calls; calls += 1``, ``SEEN.append(x)``) would change the user's program behind their back:
a counter went 0 -> 30 in one check. Like the RNGs, the globals a function's code names
(``co_names``, nested code included) are snapshotted before the check and put back before
every run and at the end:

- a rebound name (an int counter, a replaced object) gets its old binding back;
- a list, dict, set or bytearray bound to such a name gets its old items back, in place;
- any other object reached through such a name whose attributes changed cannot be put back
  safely (its invariants are its own), so the report names it.

State reached any other way (a closure's cell, an object passed in, another module's global)
is not tracked.
"""

from __future__ import annotations

import inspect
import types
from typing import Any, Iterator

import torch

__all__ = ["GlobalsGuard"]

_RESTORED_IN_PLACE = (list, dict, set, bytearray)
_NOT_WATCHED = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


class GlobalsGuard:
    """Snapshot of the module globals the code of ``model`` names; restores them on request."""

    def __init__(self, model: Any) -> None:
        self._bindings: list[tuple[dict[str, Any], str, Any, bool]] = []  # (namespace, name, value, was bound)
        self._contents: list[tuple[Any, Any]] = []  # (container, its shallow copy)
        self._attributes: list[tuple[str, Any, dict[str, Any]]] = []  # (global name, object, its vars)
        seen: set[tuple[int, str]] = set()
        for function in _functions_of(model):
            namespace = function.__globals__
            for name in sorted(_names_in(function.__code__)):
                if (id(namespace), name) in seen:
                    continue
                seen.add((id(namespace), name))
                bound = name in namespace
                value = namespace.get(name)
                self._bindings.append((namespace, name, value, bound))
                if not bound:
                    continue
                if isinstance(value, _RESTORED_IN_PLACE):
                    self._contents.append((value, _shallow_copy(value)))
                elif hasattr(value, "__dict__") and not isinstance(value, _NOT_WATCHED):
                    self._attributes.append((name, value, dict(vars(value))))

    def restore(self) -> None:
        """Put every snapshotted binding and container back as it was."""
        for namespace, name, value, bound in self._bindings:
            if bound:
                if namespace.get(name, _MISSING) is not value:
                    namespace[name] = value
            else:
                namespace.pop(name, None)
        for container, saved in self._contents:
            if not _same_items(container, saved):
                _put_back(container, saved)

    def unrestorable_changes(self) -> tuple[str, ...]:
        """One line per object whose attributes changed, which :meth:`restore` cannot undo."""
        notes = []
        for name, value, before in self._attributes:
            now = vars(value)
            changed = sorted(k for k in set(before) | set(now) if before.get(k, _MISSING) is not now.get(k, _MISSING))
            if changed:
                notes.append(
                    f"the check changed the global {name!r} ({type(value).__name__}), which it cannot put back:"
                    f" attribute(s) {', '.join(changed)} differ from before the check. Fix: make the function"
                    " not write to it, or re-create it after the check."
                )
        return tuple(notes)


_MISSING = object()


def _functions_of(model: Any) -> Iterator[types.FunctionType]:
    """The Python functions whose globals a call of ``model`` reads first: it, or each submodule's forward."""
    if isinstance(model, torch.nn.Module):
        for module in model.modules():
            forward = inspect.unwrap(getattr(type(module), "forward", None) or (lambda: None))
            if isinstance(forward, types.FunctionType):
                yield forward
        return
    function = inspect.unwrap(getattr(model, "__func__", model))
    if isinstance(function, types.FunctionType):
        yield function
    elif callable(model):
        call = getattr(type(model), "__call__", None)
        if isinstance(call, types.FunctionType):
            yield call


def _names_in(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _names_in(constant)
    return names


def _shallow_copy(container: Any) -> Any:
    if isinstance(container, dict):
        return dict(container)
    return set(container) if isinstance(container, set) else list(container)


def _same_items(container: Any, saved: Any) -> bool:
    """Same items, by identity (tensors cannot be compared with ``==``); a set by equality."""
    if isinstance(container, set):
        return container == saved
    if isinstance(container, dict):
        return len(container) == len(saved) and all(k in container and container[k] is v for k, v in saved.items())
    return len(container) == len(saved) and all(a is b for a, b in zip(container, saved))


def _put_back(container: Any, saved: Any) -> None:
    if isinstance(container, dict):
        container.clear()
        container.update(saved)
    elif isinstance(container, set):
        container.clear()
        container.update(saved)
    else:
        container[:] = saved
