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
its whole traceback through torch's internals, *above* ours, so a student would read torch first.
Every ``ToolkitError`` keeps the chained error and offers it, without printing it:

- ``error.torch_error``: the first error in the ``__cause__`` / ``__context__`` chain that is not
  one of ours (torch's ``RuntimeError``, the user's ``ZeroDivisionError``, ...), or ``None``.
- ``error.cause_text``: that error's full traceback as text (``print(sys.last_value.cause_text)``
  in a notebook, after the cell failed), or ``""``.
- ``__cause__`` itself is left as Python sets it, so code that reads it keeps working.

In IPython and Jupyter (where these errors are read) the display goes through
``_render_traceback_``, the hook IPython's ``showtraceback`` asks an exception for: it prints our
frames and our message, then one line naming the error underneath and where to find it. Other
displays follow ``__cause__`` as Python defines: ``traceback.format_exception`` and the plain
interpreter print the chain (pass ``chain=False`` to leave it out), as do IPython's
``VerboseTB`` / ``FormattedTB`` when called directly rather than through ``showtraceback``.
"""

from __future__ import annotations

import traceback

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
]


class ToolkitError(Exception):
    """Root of every error the toolkit raises on purpose (our message first: see the module docstring)."""

    @property
    def torch_error(self) -> BaseException | None:
        """The error underneath: the first one in the cause chain that is not a ``ToolkitError``."""
        seen: set[int] = set()
        error: BaseException | None = _chained(self)
        while error is not None and id(error) not in seen:
            if not isinstance(error, ToolkitError):
                return error
            seen.add(id(error))
            error = _chained(error)
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
        underneath = self.torch_error
        if underneath is not None:
            headline = (str(underneath).strip().splitlines() or [""])[0]
            lines.append(
                f"(The error underneath, not shown: {type(underneath).__name__}: {headline}"
                " -- its whole traceback is print(sys.last_value.cause_text), and the error itself"
                " is sys.last_value.torch_error.)"
            )
        return lines


def _chained(error: BaseException) -> BaseException | None:
    """The error ``error`` was raised from, or while handling, as Python's display would pick it."""
    if error.__cause__ is not None:
        return error.__cause__
    return None if error.__suppress_context__ else error.__context__


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
    """

    tracer_warnings: tuple = ()


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
