"""The toolkit's errors: one root, one subclass per kind of mistake.

Every message names the input, the cause and the fix, because the message is what a
student reads in a notebook cell. Catch ``ToolkitError`` to catch them all::

    ToolkitError
    ├── NotTorchScriptError        an object that is not a ScriptModule / ScriptFunction / Graph
    ├── MissingExampleInputsError  tracing asked for without example inputs
    ├── ScriptingError             torch.jit.script failed (no source, unsupported construct, ...)
    ├── ExportError                torch.export.export failed (a data-dependent branch, a frozen size, ...)
    ├── TracingError               torch.jit.trace failed
    ├── CheckOptionsError          a check_trace setting of the wrong type or value (options={}, budget_s='10')
    ├── ViewOptionError            a drawing option with an unknown name or a value it cannot take
    ├── MissingDependencyError     an optional package or the graphviz binary is absent
    ├── GraphLintError             an IR graph broke one of its invariants
    ├── WidgetSelectionError       a widget selection names a node the widget does not draw
    ├── NotebookStateError         a file given to the widget-state stripper is not a notebook
    ├── PipelineError              InferenceOp / Pipeline misuse (bad inputs, bad files)
    │   ├── FeedError              missing, extra or ill-typed pipeline inputs (also a TypeError)
    │   └── DeviceError            a device that does not exist, or a GPU op asked to load on the CPU
    └── PartitionError             accelerator partitioning could not honour its options
        └── FallbackError          an op the accelerator cannot run, with fallback=False (also an AttributeError)

Our message first. Many of these errors wrap the error torch (or the user's own code) raised,
with ``raise OurError(...) from exc``. Python's default display prints that chained error, with
its whole traceback through torch's internals, *above* ours, so a student would read torch first
(21 kB of graph diff for a failed trace check). Every ``ToolkitError`` keeps the chained error and
offers it, without printing it:

- ``error.torch_error``: the first error in the ``__cause__`` / ``__context__`` chain that is not
  one of ours (torch's ``RuntimeError``, the user's ``ZeroDivisionError``, ...), or ``None``.
- ``error.cause_text``: that error's full traceback as text (``print(sys.last_value.cause_text)``
  in a notebook, after the cell failed), or ``""``.

Inside the package the chain is left as Python sets it (callers read ``__cause__`` to classify a
failure). When the error *leaves* the package, through a public call wrapped in
:func:`message_first`, it is detached: the chain moves onto the error (``torch_error`` and
``cause_text`` read it there), ``__cause__`` becomes ``None`` with the context suppressed, and
one note (PEP 678, printed under our message) says where the error underneath is. The plain
interpreter then prints our frames, our message and that note; nothing is lost.

In IPython and Jupyter (where these errors are read) the display goes through
``_render_traceback_``, the hook IPython's ``showtraceback`` asks an exception for: it prints our
frames and our message, then one line naming the error underneath and where to find it, whether
or not the error was detached. Errors raised inside the package and not detached still follow
``__cause__`` as Python defines elsewhere: ``traceback.format_exception`` and the plain
interpreter print the chain (pass ``chain=False`` to leave it out).
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from typing import Any, Callable, TypeVar

__all__ = [
    "ToolkitError",
    "NotTorchScriptError",
    "MissingExampleInputsError",
    "ScriptingError",
    "ExportError",
    "TracingError",
    "CheckOptionsError",
    "ViewOptionError",
    "MissingDependencyError",
    "GraphLintError",
    "WidgetSelectionError",
    "NotebookStateError",
    "PipelineError",
    "FeedError",
    "DeviceError",
    "PartitionError",
    "FallbackError",
    "add_note_once",
    "message_first",
]


class ToolkitError(Exception):
    """Root of every error the toolkit raises on purpose (our message first: see the module docstring)."""

    _kept: BaseException | None = None  # the chained error, once detached at the package's edge

    @property
    def torch_error(self) -> BaseException | None:
        """The error underneath: the first one in the cause chain that is not a ``ToolkitError``."""
        seen: set[int] = set()
        error: BaseException | None = self._kept if self._kept is not None else _chained(self)
        while error is not None and id(error) not in seen:
            if not isinstance(error, ToolkitError):
                return error
            seen.add(id(error))
            error = error._kept if error._kept is not None else _chained(error)
        return None

    @property
    def cause_text(self) -> str:
        """The full traceback of :attr:`torch_error` (with its own chain), or ``""`` when there is none."""
        underneath = self.torch_error
        if underneath is None:
            return ""
        return "".join(traceback.format_exception(type(underneath), underneath, underneath.__traceback__))

    def _render_traceback_(self) -> list[str]:
        """The lines IPython's ``showtraceback`` prints: our frames and message, then one line about the cause."""
        ours = "".join(traceback.format_exception(type(self), self, self.__traceback__, chain=False))
        lines = ours.rstrip("\n").split("\n")
        note = self._underneath_note()
        if note and note not in getattr(self, "__notes__", ()):  # a detached error printed it already
            lines.append(note)
        return lines

    def _underneath_note(self) -> str:
        """One line naming the error underneath and where it is kept; ``""`` when there is none."""
        underneath = self.torch_error
        if underneath is None:
            return ""
        headline = (str(underneath).strip().splitlines() or [""])[0]
        if len(headline) > _HEADLINE_CHARS:
            headline = headline[: _HEADLINE_CHARS - 3] + "..."
        return (
            f"(The error underneath, not shown: {type(underneath).__name__}: {headline}"
            " -- its whole traceback is print(sys.last_value.cause_text), and the error itself"
            " is sys.last_value.torch_error; on a caught error e: e.cause_text, e.torch_error.)"
        )

    def detach(self) -> ToolkitError:
        """Move the chained error onto this one and out of the chain Python prints (see the module docstring).

        Idempotent; returns ``self``. Nothing is lost: :attr:`torch_error` and :attr:`cause_text`
        read the kept error, whose own ``__traceback__`` and chain are untouched.
        """
        if self._kept is None:
            underneath = _chained(self)
            if underneath is None:
                return self
            self._kept = underneath
        self.__cause__ = None
        self.__suppress_context__ = True
        add_note_once(self, self._underneath_note())
        return self


_HEADLINE_CHARS = 200


def add_note_once(error: BaseException, note: str) -> None:
    """``error.add_note(note)`` once (PEP 678, Python 3.11+; on 3.10 the notebook's line is the only pointer)."""
    add_note = getattr(error, "add_note", None)
    if note and callable(add_note) and note not in getattr(error, "__notes__", ()):
        add_note(note)


def _chained(error: BaseException) -> BaseException | None:
    """The error ``error`` was raised from, or while handling, as Python's display would pick it."""
    if error.__cause__ is not None:
        return error.__cause__
    return None if error.__suppress_context__ else error.__context__


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

_Call = TypeVar("_Call", bound=Callable[..., Any])


def message_first(call: _Call) -> _Call:
    """Wrap a public call so that a ``ToolkitError`` leaving the package is detached (:meth:`ToolkitError.detach`).

    Called from inside the package (``toolkit.compare`` tracing through ``capture.trace``), the
    error passes unchanged, chain and all, because the caller may read ``__cause__``; called from
    the user's code, it is detached on its way out, so the plain interpreter prints our message
    (and a note naming the error underneath) instead of torch's traceback first.
    """

    @functools.wraps(call)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except ToolkitError as error:
            if not sys._getframe(1).f_code.co_filename.startswith(_PACKAGE_DIR):
                error.detach()
            raise

    return wrapper  # type: ignore[return-value]


class NotTorchScriptError(ToolkitError, TypeError):
    """The object given is not something TorchScript can describe as a graph."""


class MissingExampleInputsError(ToolkitError, ValueError):
    """Tracing runs the model, so it needs example inputs."""


class ScriptingError(ToolkitError):
    """``torch.jit.script`` refused the object; the message says why and what to do.

    Attributes (``None`` where the explainer could not tell):
        category: which kind of scripting problem (type checking, unsupported construct, ...).
        construct: the Python construct TorchScript refused, in words (``a dict unpacking {**d}``).
        file, line, source_line: the user's line that holds it.
        reason: why TorchScript refuses it, for a student.
        fix: what to write instead.
        fix_kind: which kind of fix that is (an id of ``toolkit.analysis.script_errors.categories.FIX_KINDS``).
        torch_message: torch's own message, whole.
    """

    category: str | None = None
    construct: str | None = None
    file: str | None = None
    line: int | None = None
    source_line: str | None = None
    reason: str | None = None
    fix: str | None = None
    fix_kind: str | None = None
    torch_message: str | None = None


class ExportError(ToolkitError):
    """``torch.export.export`` refused the model; the message says where and what to write instead."""


class TracingError(ToolkitError):
    """``torch.jit.trace`` failed while running the model on the example inputs.

    Attributes:
        tracer_warnings: the TracerWarnings raised before the failure (``TracerWarningRecord``
            tuples from :mod:`toolkit.capture`), which often say why the trace went wrong.
        failed: which part failed: ``"run"`` (the model raised on the inputs), ``"check"`` (the
            trace was recorded, torch's own check of it failed), ``"tracer"`` (torch.jit refused
            what the model returned or did), ``"options"`` (torch rejected the keywords); ``""``
            for errors raised before tracing.
        torch_message: torch's whole message (the message above is its summary), or ``None``.
    """

    tracer_warnings: tuple = ()
    failed: str = ""
    torch_message: str | None = None


class CheckOptionsError(ToolkitError, ValueError):
    """A ``check_trace`` setting of the wrong type or value (``options={}``, ``budget_s=float('nan')``)."""


class ViewOptionError(ToolkitError, ValueError):
    """A drawing option with an unknown name or a value it cannot take (``depth='a'``, ``rankdir='up'``)."""


class MissingDependencyError(ToolkitError, ImportError):
    """An optional Python package or system binary is needed for this feature."""


class GraphLintError(ToolkitError, AssertionError):
    """An IR graph broke a well-formedness invariant (a bug in the toolkit, or a hand-made graph)."""


class WidgetSelectionError(ToolkitError, ValueError):
    """A widget selection names a node, box or cluster the widget does not draw."""


class NotebookStateError(ToolkitError, ValueError):
    """A file handed to the widget-state stripper is not a notebook."""


class PipelineError(ToolkitError):
    """An InferenceOp or Pipeline was built or called the wrong way."""


class FeedError(PipelineError, TypeError):
    """A pipeline was called with missing, extra, positional or ill-typed inputs.

    Also a ``TypeError``: calling a pipeline with the wrong inputs is the same kind of mistake as
    calling a Python function with the wrong arguments (and Matx raised ``TypeError`` there).
    """


class DeviceError(PipelineError):
    """A device rule was broken: no such device, or a GPU op loaded on the CPU."""


class PartitionError(ToolkitError):
    """Partitioning for an accelerator could not honour the options it was given."""


class FallbackError(PartitionError, AttributeError):
    """An op the accelerator cannot run, with ``fallback=False``.

    Also an ``AttributeError``, the type torch-neuron documents for this case, so code written
    for torch-neuron that catches ``AttributeError`` still catches it.
    """
