"""Trace, script, and mix the two, keeping everything torch said on the way.

Why: ``torch.jit.trace`` tells you it may have recorded the wrong program only through
``TracerWarning``s, and torch *hides* the ones raised from inside its own modules (iterating
a tensor, ``len(tensor)``, ...) with a default warning filter. The warnings that do show point
at whatever line raised them. Here every TracerWarning is recorded, hidden ones included, with
the user's own file and line found by walking the Python stack at the moment it is raised.

TorchScript itself is deprecated in recent torch releases: every ``torch.jit.*`` call warns. Inside these
helpers that warning is filtered (explicitly, for those calls only) and replaced by one
:class:`TorchScriptDeprecationNote` per session, so lessons are not flooded.

Mixing, as the tutorials do:

- ``trace(model, inputs, script_submodules=("dg",))``: script the named submodules first, so
  their control flow survives, then trace the whole (Intro tutorial, ``MyCell3`` with a scripted
  ``MyDecisionGate``).
- ``script(model, trace_submodules={"linear": (x,)})``: trace the named submodules, then script
  the whole (a scripted loop calling traced layers).

The user's module is never changed: mixing works on a deep copy.

This is the one tracing entry point of the package: ``check_trace``'s instrumented trace, the
pipeline's InferenceOp and the partitioner all call :func:`trace`, naming themselves with
``caller=`` so every trace failure reads the same way and says which public call it came from.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import linecache
import os
import sys
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from types import FrameType
from typing import Any, Callable, Iterator, Mapping, Sequence

import torch

from toolkit.errors import MissingExampleInputsError, NotTorchScriptError, ScriptingError, TracingError
from toolkit.frames import is_library_path, is_torch_path, user_location_text

__all__ = [
    "Captured",
    "TracerWarningRecord",
    "TorchScriptDeprecationNote",
    "recording_tracer_warnings",
    "script",
    "trace",
    "trace_failure_message",
]

_JIT_DEPRECATION = r"`torch\.jit\.[\w.]+` is deprecated"


class TorchScriptDeprecationNote(UserWarning):
    """Shown once per session in place of torch's per-call TorchScript deprecation warning."""


_DEPRECATION_NOTE = (
    "TorchScript (torch.jit.trace / torch.jit.script) is deprecated in recent torch releases and warns on"
    " every call; it still works, and it is what this toolkit teaches and inspects. The toolkit"
    " hides that repeated warning inside its own calls and shows this note once per session."
)


class _OncePerSession:
    """Remembers whether the deprecation note was shown in this Python process."""

    shown = False

    @classmethod
    def note(cls) -> None:
        if not cls.shown:
            cls.shown = True
            warnings.warn_explicit(_DEPRECATION_NOTE, TorchScriptDeprecationNote, "toolkit", 0, module="toolkit")


@dataclass(frozen=True)
class TracerWarningRecord:
    """One TracerWarning, pinned to the user's line.

    Attributes:
        message: torch's message.
        file, line: the user's frame that led to the warning (first frame outside torch, the
            toolkit and the standard library).
        source_line: the text of that line, stripped, when it can be read.
        raised_at: ``file:line`` where torch raised it (inside torch for the hidden ones).
    """

    message: str
    file: str
    line: int
    source_line: str | None
    raised_at: str

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def hidden_by_torch(self) -> bool:
        """True when torch's default filter would have hidden this warning."""
        return is_torch_path(self.raised_at.rsplit(":", 1)[0])

    def __str__(self) -> str:
        where = f"{os.path.basename(self.file)}:{self.line}"
        code = f"  `{self.source_line}`" if self.source_line else ""
        return f"{where}{code}: {self.message.splitlines()[0]}"


@dataclass(frozen=True)
class Captured:
    """What a trace or script produced, and what torch said while producing it.

    Attributes:
        module: torch's own object (``ScriptModule`` or ``ScriptFunction``).
        how: ``"traced"`` or ``"scripted"``.
        warnings: every distinct TracerWarning, in the order raised.
        example_inputs: the positional inputs a trace ran on, as a tuple (``()`` for a script).
        source: the eager model or function that was traced or scripted (for reference runs).
    """

    module: Any
    how: str
    warnings: tuple[TracerWarningRecord, ...] = ()
    example_inputs: tuple = field(default=(), repr=False, compare=False)
    source: Any = field(default=None, repr=False, compare=False)

    @cached_property
    def ir(self) -> Any:
        """The inlined IR graph of ``forward`` (:func:`toolkit.ir.graph`), built once."""
        from toolkit.ir import build  # ir sits above capture; imported here to keep capture's import light

        return build.graph(self.module, inlined=True)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def warn_again(self) -> None:
        """Raise again, at the user's line, each TracerWarning torch itself would have shown.

        For callers that trace on the user's behalf without a report of their own (the
        pipeline's InferenceOp): the user sees what a plain ``torch.jit.trace`` shows, and the
        ones torch hides stay hidden.
        """
        for record in self.warnings:
            if not record.hidden_by_torch:
                warnings.warn_explicit(record.message, torch.jit.TracerWarning, record.file, record.line)

    @property
    def graph(self):
        return self.module.graph

    @property
    def code(self) -> str:
        return self.module.code

    def __repr__(self) -> str:
        name = getattr(self.module, "original_name", None) or type(self.module).__name__
        return f"<Captured {self.how} {name}: {len(self.warnings)} TracerWarning(s)>"


@contextlib.contextmanager
def recording_tracer_warnings(
    *, locate: Callable[[FrameType], tuple[str, int] | None] | None = None
) -> Iterator[list[TracerWarningRecord]]:
    """Record every TracerWarning raised in the block, torch-internal ones included.

    Other warnings pass through to the previous handler unchanged, except TorchScript's
    per-call deprecation warning, which is replaced by one note per session.

    Args:
        locate: maps the frame that raised the warning to the user's ``(file, line)``, or to
            ``None`` to drop the warning; the default is the first frame outside torch, the
            toolkit and the standard library.
    """
    locate = locate or first_user_frame
    records: list[TracerWarningRecord] = []
    seen: set[tuple[str, str, int]] = set()
    with warnings.catch_warnings():
        previous = warnings.showwarning
        warnings.simplefilter("always", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=_JIT_DEPRECATION, category=DeprecationWarning)

        def show(message, category, filename, lineno, file=None, line=None):
            if not issubclass(category, torch.jit.TracerWarning):
                previous(message, category, filename, lineno, file, line)
                return
            where = locate(sys._getframe(1))
            if where is None:
                return
            user_file, user_line = where
            key = (str(message), user_file, user_line)
            if key in seen:
                return
            seen.add(key)
            records.append(
                TracerWarningRecord(
                    message=str(message),
                    file=user_file,
                    line=user_line,
                    source_line=linecache.getline(user_file, user_line).strip() or None,
                    raised_at=f"{filename}:{lineno}",
                )
            )

        warnings.showwarning = show
        yield records
    _OncePerSession.note()


def first_user_frame(frame: FrameType | None) -> tuple[str, int] | None:
    """``(file, line)`` of the first frame at or outside ``frame`` that is user code."""
    while frame is not None:
        if not is_library_path(frame.f_code.co_filename):
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return None


def trace(
    model: Any,
    example_inputs: Any = None,
    *,
    script_submodules: Sequence[str] = (),
    caller: str = "toolkit.trace",
    locate: Callable[[FrameType], tuple[str, int] | None] | None = None,
    subject: str | None = None,
    fix: str | None = None,
    **trace_kwargs: Any,
) -> Captured:
    """``torch.jit.trace`` that records every TracerWarning with the user's line.

    Args:
        model: an ``nn.Module`` or a function.
        example_inputs: a tensor or a tuple of arguments, as for ``torch.jit.trace``; ``None``
            is allowed only with ``example_kwarg_inputs`` in ``trace_kwargs``.
        script_submodules: attribute paths (``"dg"``, ``"encoder.gate"``) of submodules to
            script before tracing, so their control flow is kept (on a copy of ``model``).
        caller: the public call to name in messages (``"toolkit.partition.trace"``...).
        locate: how to find the user's line of a TracerWarning (see
            :func:`recording_tracer_warnings`); the default is the first frame outside libraries.
        subject: what the caller traces, as its messages name it (``"InferenceOp 'cell' with
            inputs (...)"``); the default is only the model's name.
        fix: the advice a failed run's message ends with, when the caller knows a better one
            than "call the model eagerly".
        **trace_kwargs: passed to ``torch.jit.trace`` (``check_trace``, ``strict``, ...).

    Raises:
        NotTorchScriptError: ``model`` is not something to run (``None``, a tensor, a class).
        MissingExampleInputsError: ``example_inputs`` is missing.
        ScriptingError: a submodule in ``script_submodules`` cannot be scripted.
        TracingError: running the model on the inputs failed, or torch rejected the options; the
            message names the user's line, torch's own error is the ``__cause__``, and the
            TracerWarnings raised before the failure are its ``tracer_warnings`` (a tuple of
            :class:`TracerWarningRecord`), so callers that report failures as data keep them.
    """
    name = _name_of(model)
    if not callable(model) or isinstance(model, type):
        raise NotTorchScriptError(
            f"{caller}: torch.jit.trace needs an nn.Module instance or a function to run, not"
            f" {type(model).__name__} ({_short_repr(model)}). Fix: pass the model itself, built, e.g."
            " toolkit.trace(MyModel(), (torch.rand(3, 4),))."
        )
    if example_inputs is None and trace_kwargs.get("example_kwarg_inputs") is None:
        raise MissingExampleInputsError(
            f"{caller}: tracing {name} needs example inputs: torch.jit.trace runs the model once and records"
            " the operations it sees. Fix: pass them, e.g. toolkit.trace(model, (torch.rand(3, 4),))."
        )
    if script_submodules:
        model = _with_submodules_replaced(model, script_submodules, lambda path, sub: script(sub).module)
    with recording_tracer_warnings(locate=locate) as records:
        try:
            module = torch.jit.trace(model, example_inputs, **trace_kwargs)
        except Exception as exc:  # noqa: BLE001 - tracing runs the user's code: any failure is theirs to read
            failure = TracingError(trace_failure_message(caller, name, exc, subject=subject, fix=fix))
            failure.tracer_warnings = tuple(records)
            raise failure from exc
    inputs = (example_inputs,) if isinstance(example_inputs, torch.Tensor) else tuple(example_inputs or ())
    return Captured(module=module, how="traced", warnings=tuple(records), example_inputs=inputs, source=model)


def trace_failure_message(
    caller: str, name: str, exc: BaseException, *, subject: str | None = None, fix: str | None = None
) -> str:
    """The one wording of a failed trace: who called, what failed, the user's line, the fix.

    Args:
        caller: the public call (``"toolkit.trace"``).
        name: the traced model's or function's name.
        exc: what tracing raised.
        subject: the caller's own name for what it traced, put first when given
            (``"... failed on InferenceOp 'cell' with inputs (...): could not run MyCell ..."``).
        fix: the closing advice for a model that could not run, replacing the default one
            (rejected options always get the same advice: pass only torch.jit.trace's options).
    """
    opening = f"{caller}: torch.jit.trace" if subject is None else f"{caller}: torch.jit.trace failed on {subject}:"
    if isinstance(exc, TypeError) and "trace()" in str(exc):
        return f"{opening} rejected the options for {name}: {_first_line(exc)}. Fix: {_FIX_OPTIONS}."
    return (
        f"{opening} could not run {name} on the example inputs{user_location_text(exc)}:"
        f" {type(exc).__name__}: {_first_line(exc)}. Fix: {fix or _FIX_RUN}."
    )


_FIX_OPTIONS = "pass only torch.jit.trace's keyword arguments (check_trace, strict, ...)"
_FIX_RUN = "call the model eagerly with the same inputs to find the problem, then trace again"


def script(obj: Any, *, trace_submodules: Mapping[str, Any] | None = None) -> Captured:
    """``torch.jit.script`` with errors that say what, where, why and what to do.

    Args:
        obj: an ``nn.Module``, a function or a class (its source must be in a file or notebook cell).
        trace_submodules: ``{attribute path: example inputs}`` of submodules to trace before
            scripting (on a copy of ``obj``), as in the hybrid-frontend tutorial.

    Raises:
        NotTorchScriptError: ``obj`` is not a module, a function or a class.
        ScriptingError: TorchScript cannot compile ``obj``. Its message leads with the
            explanation (the construct, its category, the user's ``file:line`` and that line, the
            reason, the fix); its fields ``category``, ``construct``, ``file``, ``line``,
            ``source_line``, ``reason``, ``fix`` hold the same, and ``torch_message`` (and the
            ``__cause__``) torch's own error.
    """
    name = _name_of(obj)
    if not _is_scriptable_kind(obj):
        raise NotTorchScriptError(
            f"toolkit.script needs an nn.Module, a function or a class, not {type(obj).__name__}"
            f" ({_short_repr(obj)}). Fix: pass the model (or the function) itself, e.g. toolkit.script(model)."
        )
    records: list[TracerWarningRecord] = []
    if trace_submodules:

        def traced(path: str, sub: Any) -> Any:
            captured = trace(sub, trace_submodules[path])
            records.extend(captured.warnings)
            return captured.module

        obj = _with_submodules_replaced(obj, tuple(trace_submodules), traced)
    with recording_tracer_warnings():
        try:
            with _forgetting_failed_types():
                module = torch.jit.script(obj)
        except Exception as exc:  # noqa: BLE001 - compiling runs torch's frontend on the user's code: any failure is explained
            raise _explained_scripting_error(obj, name, exc) from exc
    return Captured(module=module, how="scripted", warnings=tuple(records), source=obj)


def _is_scriptable_kind(obj: Any) -> bool:
    return isinstance(obj, (torch.nn.Module, type)) or inspect.isroutine(obj)


def _short_repr(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 40 else text[:37] + "..."


@contextlib.contextmanager
def _forgetting_failed_types() -> Iterator[None]:
    """Undo what a failed ``torch.jit.script`` left in torch's cache of module types.

    A failed compile leaves the module's half-built type in torch's concrete-type store; scripting
    the same class again then fails with "Can't redefine method: forward" instead of the real error.
    On failure, the store is put back as it was before the call (entries added by it removed).
    """
    store = torch.jit._recursive.concrete_type_store.type_store
    before = {key: len(types) for key, types in store.items()}
    try:
        yield
    except BaseException:
        for key in list(store):
            if key not in before:
                del store[key]
            else:
                del store[key][before[key] :]
        raise


def fresh_script_error(obj: Any) -> BaseException | None:
    """What ``torch.jit.script(obj)`` raises with torch's cached types for ``obj``'s classes set aside.

    After a failed ``torch.jit.script`` outside the toolkit, torch keeps the half-built type and the
    next attempt on the same class says only "Can't redefine method: forward". The explainer calls
    this to see the real error. Torch's cache is put back as it was afterwards, so explaining an
    error changes nothing for later calls. Returns ``None`` when ``obj`` then scripts.
    """
    store = torch.jit._recursive.concrete_type_store.type_store
    classes = {type(module) for module in obj.modules()} if isinstance(obj, torch.nn.Module) else set()
    cached = {cls: store.pop(cls) for cls in classes if cls in store}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _forgetting_failed_types():
                torch.jit.script(obj)
    except Exception as exc:  # noqa: BLE001 - the error itself is the answer
        return exc
    finally:
        store.update(cached)
    return None


def _explained_scripting_error(obj: Any, name: str, exc: BaseException) -> ScriptingError:
    """Our explanation first, torch's message kept on the error."""
    from toolkit.analysis.script_errors.explain import explain_failure  # error hook: analysis explains a failed compile

    failure = explain_failure(obj, exc)
    where = f" at {failure.file}:{failure.line}" if failure.line is not None else ""
    code = f"\n    {failure.source_line}" if failure.source_line else ""
    torch_headline = _first_line(exc)
    error = ScriptingError(
        f"toolkit.script: {name} does not script: {failure.construct} ({failure.category_label}){where}{code}"
        f"\n{failure.reason}\nFix: {failure.fix}"
        f"\ntorch said: {torch_headline} (the whole message is in .torch_message)"
    )
    error.category = failure.category
    error.construct = failure.construct
    error.file = failure.file
    error.line = failure.line
    error.source_line = failure.source_line
    error.reason = failure.reason
    error.fix = failure.fix
    error.torch_message = failure.torch_message
    error.fix_kind = failure.fix_kind
    return error


def _with_submodules_replaced(model: Any, paths: Sequence[str], convert) -> Any:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"submodules can only be replaced on an nn.Module, not {type(model).__name__}")
    model = copy.deepcopy(model)
    for path in paths:
        parent_path, _, attr = path.rpartition(".")
        try:
            parent = model.get_submodule(parent_path) if parent_path else model
            sub = getattr(parent, attr)
        except AttributeError:
            children = sorted(n for n, _ in model.named_modules() if n)
            raise ScriptingError(
                f"{_name_of(model)} has no submodule {path!r}. Fix: use one of {children}."
            ) from None
        setattr(parent, attr, convert(path, sub))
    return model


def _name_of(obj: Any) -> str:
    if isinstance(obj, torch.nn.Module):
        return type(obj).__name__
    return getattr(obj, "__qualname__", None) or type(obj).__name__


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
