"""The instrumented trace: every value that left the tracer, with its value and the user's line.

Why: ``torch.jit.trace`` freezes any tensor that becomes a Python value (``bool(t)``,
``int(t)``, ``range(x.size(0))``, ``x.dim()``, ``x.device``...). Only some of those warn, and
torch hides the warnings raised from its own modules. One traced run under this module's
recorder captures both signals:

- **escapes**: every tensor -> Python conversion, seen through a
  :class:`torch.overrides.TorchFunctionMode` (a context manager, removed on exit; nothing in
  torch is patched). Each record carries the trace-time value and the innermost user frame,
  so two traces can be diffed value by value (``L42 bool True -> False``). Sizes are followed:
  a value computed only from ``x.size()`` / ``x.shape`` / ``x.numel()`` is marked
  ``from_size``, which separates shape logic (T4) from data-dependent logic (T1-T3).
- **TracerWarnings**: every one, torch-internal ones included, pinned to the user's frame.
  The trace itself is :func:`toolkit.capture.trace`, the package's one tracing entry point, so
  a failure is recorded the way every other caller sees it (torch's error is its cause).

Only frames reached from the model count: a conversion done by ``torch.jit.trace`` itself, or
by the toolkit, finds a toolkit frame before any user frame and is ignored.
"""

from __future__ import annotations

import linecache
import os
import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any, Callable, Mapping

import torch
from torch.overrides import TorchFunctionMode

from toolkit import capture
from toolkit.capture import TracerWarningRecord
from toolkit.errors import TracingError
from toolkit.frames import STDLIB_DIR, TOOLKIT_DIR, TORCH_DIR, innermost_user_frame, is_library_path
from toolkit.ir.build import tracing_paused

__all__ = [
    "Divergence",
    "Escape",
    "InstrumentedTrace",
    "first_divergence",
    "record_trace",
    "user_frame",
]

_THIS_FILE = os.path.abspath(__file__)
# frames between a user's line and the recorder that are only dispatch (Tensor dunders, overrides)
_DISPATCH_FILES = frozenset({_THIS_FILE, os.path.join(TORCH_DIR, "overrides.py"), os.path.join(TORCH_DIR, "_tensor.py")})

# torch function name -> escape kind. Getters arrive as ``<getset>.__get__``; their name is
# the descriptor's (``device``, ``ndim``).
_ESCAPE_KIND = {
    "__bool__": "bool",
    "__int__": "int",
    "__float__": "float",
    "__complex__": "float",
    "__index__": "index",
    "__len__": "len",
    "__iter__": "iter",
    "item": "item",
    "tolist": "tolist",
    "numpy": "numpy",
    "__array__": "numpy",
    "dim": "dim",
    "ndimension": "dim",
    "ndim": "dim",
    "device": "device",
    "get_device": "device",
    "is_cuda": "device",
    "tensor": "constructor",
    "as_tensor": "constructor",
    "asarray": "constructor",
    "new_tensor": "constructor",
}
_SIZE_SOURCES = frozenset({"size", "shape", "numel"})
# functions that return a Python tuple of tensors: how many pieces is decided in Python
_PIECES = frozenset({"unbind", "split", "chunk", "tensor_split", "split_with_sizes", "unsafe_split", "hsplit", "vsplit"})


@dataclass(frozen=True)
class Escape:
    """One tensor -> Python conversion seen while tracing.

    Attributes:
        kind: ``bool``, ``int``, ``float``, ``index``, ``len``, ``iter``, ``item``,
            ``tolist``, ``numpy``, ``dim``, ``device``, ``constructor`` (``torch.tensor``
            and friends called on traced values: the data is copied into a constant), or
            ``pieces`` (how many tensors ``unbind``/``split``/``chunk`` returned: iterating a
            tensor unbinds it, and the count is fixed in the trace).
        value: the trace-time Python value, as plain hashable data (a bool, int, float or
            str; a tuple for lists and arrays).
        file, line, function: the innermost user frame that caused it.
        from_size: True when the tensor came only from sizes (``x.size(0) // 2``), so the
            frozen value is a shape, not data.
        direct: True when the user's line made the conversion itself; False when a torch
            function called from that line did (``nn.RNNCell`` checking ``input.dim()``).
    """

    kind: str
    value: Any
    file: str
    line: int
    function: str
    from_size: bool
    direct: bool = True

    @property
    def key(self) -> tuple[str, int, str]:
        """Where and what, without the value: two traces are aligned on this."""
        return (self.file, self.line, self.kind)

    @property
    def source_line(self) -> str | None:
        return linecache.getline(self.file, self.line).strip() or None

    def __str__(self) -> str:
        size = " (a size)" if self.from_size else ""
        return f"{os.path.basename(self.file)}:{self.line} {self.kind} = {self.value!r}{size}"


@dataclass(frozen=True)
class InstrumentedTrace:
    """The result of one instrumented ``torch.jit.trace``.

    Attributes:
        module: the traced ``ScriptModule``/``ScriptFunction``, or ``None`` when tracing failed.
        escapes: every escape, in the order they happened.
        warnings: every distinct TracerWarning, in the order raised.
        error: the exception tracing raised, or ``None``.
        error_frame: ``(file, line)`` of the user's innermost frame in that exception's traceback,
            else of the last user line that called torch before the failure (torch may fail
            after ``forward`` returned, while finishing the graph).
    """

    module: Any
    escapes: tuple[Escape, ...]
    warnings: tuple[TracerWarningRecord, ...]
    error: BaseException | None = None
    error_frame: tuple[str, int] | None = None


def user_frame(frame: Any) -> tuple[str, int, str] | None:
    """The innermost frame of the model's own code at or outside ``frame``.

    The user's code comes first: the innermost frame outside all library code
    (:func:`toolkit.frames.is_library_path`), so a model that wraps a transformers layer is
    told about its own line. A model made only of installed packages (a transformers model
    traced as it is) has no such frame; then the innermost frame outside torch and the
    standard library names the package's line. This module's own frames are skipped (the
    recorder sits between the model and every torch call). Reaching any other toolkit frame
    ends the walk: frames beyond it are the toolkit's or the caller of ``check_trace``, never
    the model's, and with nothing found before it the model did not cause this: ``None``.
    """
    package_frame: tuple[str, int, str] | None = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename == _THIS_FILE:
            frame = frame.f_back
            continue
        if filename.startswith(TOOLKIT_DIR):
            return package_frame
        if not is_library_path(filename):
            return filename, frame.f_lineno, frame.f_code.co_name
        if package_frame is None and not (
            filename.startswith(TORCH_DIR) or filename.startswith(STDLIB_DIR) or filename.startswith("<frozen")
        ):
            package_frame = (filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return package_frame


def _plain(value: Any, *, limit: int = 16) -> Any:
    """A hashable, comparable summary of a value that left the tracer."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, str)):
        return value
    if isinstance(value, complex):
        return (value.real, value.imag)
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, torch.Tensor):
        with tracing_paused():
            if value.numel() == 1:
                return _plain(value.item())
            flat = value.detach().flatten()[:limit].tolist()
            return ("tensor", tuple(value.shape), tuple(flat))
    if isinstance(value, (list, tuple)):
        items = []
        for v in value[:limit]:
            items.append(_plain(v, limit=limit))
        return tuple(items) + (("…", len(value)),) if len(value) > limit else tuple(items)
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "tolist"):  # a NumPy array
        flat = value.reshape(-1)[:limit].tolist()
        return ("ndarray", tuple(shape), tuple(flat))
    return type(value).__name__


class _EscapeRecorder(TorchFunctionMode):
    """Sees every torch function call during the trace; records the ones that leave it."""

    def __init__(self) -> None:
        super().__init__()
        self.escapes: list[Escape] = []
        self.last_user_line: tuple[str, int] | None = None
        self._size_ids: dict[int, Any] = {}  # id -> the tensor itself (kept alive), cleared on exit

    # -- size provenance -----------------------------------------------------------------
    def _is_size(self, obj: Any) -> bool:
        held = self._size_ids.get(id(obj))
        return held is not None and held is obj

    def _mark_size(self, obj: Any) -> None:
        if isinstance(obj, torch.Tensor):
            self._size_ids[id(obj)] = obj
        elif isinstance(obj, (tuple, list)):
            for item in obj:
                self._mark_size(item)

    def _propagates_size(self, args: tuple, kwargs: Mapping[str, Any]) -> bool:
        tensors = [a for a in list(args) + list(kwargs.values()) if isinstance(a, torch.Tensor)]
        return bool(tensors) and all(self._is_size(t) for t in tensors)

    # -- the hook ------------------------------------------------------------------------
    def __torch_function__(self, func: Callable, types: tuple, args: tuple = (), kwargs: Mapping | None = None):
        kwargs = kwargs or {}
        frame: FrameType | None = sys._getframe(1)
        caller = user_frame(frame)
        if caller is not None:
            self.last_user_line = caller[:2]
        while frame is not None and frame.f_code.co_filename in _DISPATCH_FILES:
            frame = frame.f_back
        direct = frame is not None and caller is not None and frame.f_code.co_filename == caller[0]
        result = func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        if name == "__get__":
            name = getattr(getattr(func, "__self__", None), "__name__", "")
        if name in _SIZE_SOURCES:
            self._mark_size(result)
            return result
        kind = _ESCAPE_KIND.get(name)
        if kind is None and name in _PIECES and isinstance(result, (tuple, list)):
            kind = "pieces"
        if kind is None:
            if isinstance(result, torch.Tensor) and result.dim() == 0 and self._propagates_size(args, kwargs):
                self._mark_size(result)
            return result
        where = caller
        if where is None:
            return result
        source = args[0] if args else None
        if kind == "constructor":
            data = args[1] if name == "new_tensor" and len(args) > 1 else source
            leaves = [leaf for leaf in _leaves(data) if isinstance(leaf, torch.Tensor)]
            if not leaves:
                return result  # built from Python constants: nothing was frozen
            self.escapes.append(
                Escape(
                    kind=kind,
                    value=_plain(data),
                    file=where[0],
                    line=where[1],
                    function=where[2],
                    from_size=all(self._is_size(leaf) for leaf in leaves),
                    direct=direct,
                )
            )
            return result
        if kind == "iter" and isinstance(source, torch.Tensor):
            with tracing_paused():
                value: Any = int(source.shape[0]) if source.dim() else 0
        elif kind == "pieces":
            value = len(result)
        else:
            value = _plain(result)
        from_size = self._is_size(source) or kind == "pieces"
        if kind == "len":
            self._mark_size(result)
            from_size = True
        self.escapes.append(
            Escape(
                kind=kind,
                value=value,
                file=where[0],
                line=where[1],
                function=where[2],
                from_size=from_size,
                direct=direct,
            )
        )
        return result

    def __exit__(self, *exc: Any) -> Any:
        self._size_ids.clear()
        return super().__exit__(*exc)


def _leaves(data: Any) -> list[Any]:
    if isinstance(data, (list, tuple)):
        return [leaf for item in data for leaf in _leaves(item)]
    return [data]


def _warning_location(frame: Any) -> tuple[str, int] | None:
    """The user's line for a TracerWarning; ``None`` when the toolkit or torch.jit.trace raised it."""
    where = user_frame(frame)
    return None if where is None else (where[0], where[1])


def record_trace(
    fn: Any,
    args: tuple,
    kwargs: Mapping[str, Any] | None = None,
    *,
    trace_kwargs: Mapping[str, Any] | None = None,
) -> InstrumentedTrace:
    """Trace ``fn`` once under the escape recorder and the warning recorder.

    Args:
        fn: an ``nn.Module`` or a function; it is run, so pass a copy if it has state.
        args: positional example inputs.
        kwargs: keyword example inputs (``example_kwarg_inputs``).
        trace_kwargs: extra ``torch.jit.trace`` options (``strict``...). ``check_trace`` is
            always off: checking is what the caller does, on inputs of its own.

    Returns:
        The record; tracing errors are caught and returned in ``error``, not raised.
    """
    options = dict(trace_kwargs or {})
    options["check_trace"] = False
    if kwargs:
        options["example_kwarg_inputs"] = dict(kwargs)
        inputs: Any = None if not args else args
    else:
        inputs = args
    recorder = _EscapeRecorder()
    module = None
    error: BaseException | None = None
    records: tuple[TracerWarningRecord, ...] = ()
    try:
        with recorder:
            captured = capture.trace(fn, inputs, caller="check_trace", locate=_warning_location, **options)
        module, records = captured.module, captured.warnings
    except TracingError as failure:  # any failure of the user's model is data here: keep torch's own error
        error = failure.__cause__ or failure
        records = getattr(failure, "tracer_warnings", ())
    return InstrumentedTrace(
        module=module,
        escapes=tuple(recorder.escapes),
        warnings=records,
        error=error,
        error_frame=(innermost_user_frame(error) or recorder.last_user_line) if error is not None else None,
    )


@dataclass(frozen=True)
class Divergence:
    """Where two traces of one model first took a different Python value.

    Attributes:
        example: the escape in the trace made on the example (``None`` when that trace had
            already ended: the other one looped longer).
        other: the escape at the same position in the other trace (``None`` likewise).
    """

    example: Escape | None
    other: Escape | None

    @property
    def at(self) -> Escape:
        """The escape that names the line: the example's, else the other's."""
        found = self.example or self.other
        assert found is not None
        return found


def first_divergence(example: tuple[Escape, ...], other: tuple[Escape, ...]) -> Divergence | None:
    """The first escape whose place or value differs between two traces of one model.

    The sequences are walked in step; the first position where the ``(file, line, kind)``
    or the value differs is returned. When one trace simply has more escapes (a loop that ran
    longer), the first extra one is returned with ``None`` on the short side. ``None`` when
    both sequences are the same.
    """
    for mine, theirs in zip(example, other):
        if mine.key != theirs.key or mine.value != theirs.value:
            return Divergence(mine, theirs)
    if len(example) > len(other):
        return Divergence(example[len(other)], None)
    if len(other) > len(example):
        return Divergence(None, other[len(example)])
    return None
