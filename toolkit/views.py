"""What a notebook cell gets from ``toolkit.show`` and ``toolkit.compare``: a view.

This is the top of the display route: the user's object is resolved once into a drawable
(:func:`toolkit.render.drawable.to_drawable`), drawn as a static view by the render layer (SVG
with a text fallback, knowing nothing of widgets), and handed to :func:`toolkit.widgets.present`,
which returns a widget inside a live kernel with anywidget installed and the static view
everywhere else (scripts, tests, nbconvert). Pipelines and partitioned models are widgets too: their
drawings (one box per op call; placement colours and transfer edges) have no IR node behind
every box. ``compare`` traces, scripts (and, ``against="export"``, exports) here, so the render
layer never runs a model.
"""

from __future__ import annotations

from typing import Any

import torch

from toolkit.capture import Captured
from toolkit.capture import script as capture_script
from toolkit.capture import trace as capture_trace
from toolkit.errors import ScriptingError, TracingError, ViewOptionError, add_note_once, message_first
from toolkit.ir.build_export import is_exported_program
from toolkit.ir.exporting import ExportFailure, try_export
from toolkit.render.api import code, compare_view, export_compare_view, graph_view_of
from toolkit.render.display import CodeView
from toolkit.render.drawable import to_drawable
from toolkit.render.options import GraphOptions

__all__ = ["compare", "show"]


@message_first
def show(obj: Any, **options: Any) -> Any:
    """Show a TorchScript graph: interactive in a live notebook kernel, else a static view.

    Takes the same keywords as :func:`toolkit.render.api.graph_view`, checked once.

    Raises:
        ViewOptionError: an unknown option name or a bad value.
    """
    chosen = GraphOptions.from_keywords(**options)
    drawable = to_drawable(obj, chosen)
    view = graph_view_of(drawable, chosen.dot)
    return _present(view, code=None if drawable.code_owner is None else code(drawable.code_owner))


_AGAINST = ("script", "export")


@message_first
def compare(
    model: Any,
    example_inputs: Any,
    *,
    depth: int | None = None,
    against: str = "script",
    exported: Any = None,
    method: str = "forward",
    check_trace: bool = True,
    strict: bool = True,
) -> Any:
    """Trace and script ``model`` side by side, what the trace lost marked (see ``compare_view``).

    The summary lists what the trace lost in *your* code first, one line each; control flow that
    the module's settings or library code decide is counted, per file, not listed. If scripting
    fails, the trace is shown alone with the reason; if tracing fails on a model that runs
    eagerly on these inputs (torch's own check of the trace failed, or the tracer refused a dict
    output), the script is shown alone with the trace's reason.

    With ``against="export"``, a third side: ``torch.export.export(model, example_inputs,
    strict=False)``, what each side keeps and loses marked (see ``export_compare_view``). Any side
    that fails is shown as its failure explained (the line, the cause, the fix) beside the others.

    Args:
        model: an eager ``nn.Module``.
        example_inputs: one input or a tuple of positional inputs.
        depth: collapse module clusters nested deeper than this.
        against: ``"script"`` (trace and script) or ``"export"`` (trace, script and export).
        exported: with ``against="export"``, what to show as the export side instead of exporting
            ``model``: its rewrite for export (an ``nn.Module``, say with ``torch.cond``, exported
            on the same inputs) or an ``ExportedProgram`` already made.
        method: the method to trace and draw (``forward``; another one must be scriptable, e.g.
            ``@torch.jit.export``).
        check_trace, strict: passed to ``torch.jit.trace`` (``check_trace=False`` skips torch's
            re-trace check; ``strict=False`` allows list and dict outputs, as Hugging Face models
            return).

    Raises:
        ViewOptionError: ``against`` is neither ``"script"`` nor ``"export"``, ``exported`` is given
            without ``against="export"``, a bad ``depth`` or ``method``, or a non-bool trace option.
        TracingError: the model cannot run on ``example_inputs`` (it fails eagerly too).
    """
    GraphOptions.from_keywords(depth=depth, method=method)  # bad options fail before the model runs
    for option, value in (("check_trace", check_trace), ("strict", strict)):
        if not isinstance(value, bool):
            raise ViewOptionError(
                f"compare({option}={value!r}) takes True or False (it is torch.jit.trace's {option}). "
                f"Fix: pass {option}=False or {option}=True."
            )
    if against not in _AGAINST:
        raise ViewOptionError(
            f"compare(against={against!r}) is not a side the toolkit can draw. Fix: pass against='script'"
            " (trace and script) or against='export' (trace, script and torch.export)."
        )
    if exported is not None and against != "export":
        raise ViewOptionError("compare(exported=...) is the export side. Fix: pass against='export' with it.")
    trace_options: dict[str, Any] = {"method": method, "check_trace": check_trace, "strict": strict}
    if against == "export":
        return _compare_with_export(model, example_inputs, depth=depth, exported=exported, trace_options=trace_options)
    scripted: Captured | None = None
    scripting_error = ""
    try:
        traced: Captured | None = capture_trace(model, example_inputs, caller="toolkit.compare", **trace_options)
        trace_error = ""
    except TracingError as failure:
        if failure.failed == "options" or (failure.failed == "run" and not _runs_eagerly(model, example_inputs, method)):
            raise  # the options or the inputs themselves are wrong: no side can be built from them
        traced, trace_error = None, str(failure)
    try:
        scripted = capture_script(model)
    except ScriptingError as exc:
        if traced is None:
            add_note_once(exc, f"Tracing failed too: {trace_error}")
            raise
        scripting_error = str(exc)
    view = compare_view(
        traced, scripted, scripting_error=scripting_error, trace_error=trace_error, depth=depth, method=method
    )
    # The live widget draws a trace pane first; a script alone is the static view.
    return _present(view) if traced is not None else view


def _runs_eagerly(model: Any, example_inputs: Any, method: str) -> bool:
    """True when ``model``'s ``method`` runs on ``example_inputs`` as plain PyTorch (so only tracing failed)."""
    inputs = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
    try:
        with torch.no_grad():
            getattr(model, method)(*inputs)
    except Exception:  # noqa: BLE001 - running the user's model: any failure means "not eagerly either"
        return False
    return True


def _compare_with_export(
    model: Any, example_inputs: Any, *, depth: int | None, exported: Any, trace_options: dict[str, Any]
) -> Any:
    """Every side captured, each failure kept as its explanation; the static three-pane view."""
    traced = scripted = None
    trace_error = scripting_error = ""
    try:
        traced = capture_trace(model, example_inputs, caller="toolkit.compare", **trace_options)
    except TracingError as exc:
        trace_error = str(exc)
    try:
        scripted = capture_script(model)
    except ScriptingError as exc:
        scripting_error = str(exc)
    program: Any = exported if is_exported_program(exported) else None
    failure: ExportFailure | None = None
    if program is None:
        result = try_export(exported if exported is not None else model, example_inputs)
        if isinstance(result, ExportFailure):
            failure = result
        else:
            program = result
    # The live widget draws two panes; the three-way view is static (SVG + code), which every
    # front end, nbconvert and GitHub display alike.
    return export_compare_view(
        traced, scripted, program,
        trace_error=trace_error, scripting_error=scripting_error, export_failure=failure, depth=depth,
    )


def _present(view: Any, *, code: CodeView | None = None) -> Any:
    try:
        from toolkit.widgets import present
    except ImportError:  # the notebook extras are not installed: the static view displays itself
        return view
    return present(view) if code is None else present(view, code=code)
