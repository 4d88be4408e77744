"""What a notebook cell gets from ``toolkit.show`` and ``toolkit.compare``: a view.

This is the top of the display route: the user's object is resolved once into a drawable
(:func:`toolkit.render.drawable.to_drawable`), drawn as a static view by the render layer (SVG
with a text fallback, knowing nothing of widgets), and handed to :func:`toolkit.widgets.present`,
which returns a widget inside a live kernel with anywidget installed and the static view
everywhere else (scripts, tests, nbconvert). Pipelines and partitioned models stay static: their
drawings (one box per op call; placement colours and transfer edges) have no IR node behind
every box. ``compare`` traces, scripts (and, ``against="export"``, exports) here, so the render
layer never runs a model.
"""

from __future__ import annotations

from typing import Any

from toolkit.capture import script as capture_script
from toolkit.capture import trace as capture_trace
from toolkit.errors import ScriptingError, TracingError, ViewOptionError
from toolkit.ir.build_export import is_exported_program
from toolkit.ir.exporting import ExportFailure, try_export
from toolkit.render.api import code, compare_view, export_compare_view, graph_view_of
from toolkit.render.display import CodeView
from toolkit.render.drawable import to_drawable
from toolkit.render.options import GraphOptions

__all__ = ["compare", "show"]


def show(obj: Any, **options: Any) -> Any:
    """Show a TorchScript graph: interactive in a live notebook kernel, else a static view.

    Takes the same keywords as :func:`toolkit.render.api.graph_view`, checked once.

    Raises:
        ViewOptionError: an unknown option name or a bad value.
    """
    chosen = GraphOptions.from_keywords(**options)
    drawable = to_drawable(obj, chosen)
    view = graph_view_of(drawable, chosen.dot)
    if not drawable.is_interactive:
        return view
    return _present(view, code=None if drawable.code_owner is None else code(drawable.code_owner))


_AGAINST = ("script", "export")


def compare(
    model: Any, example_inputs: Any, *, depth: int | None = None, against: str = "script", exported: Any = None
) -> Any:
    """Trace and script ``model`` side by side, what the trace lost marked (see ``compare_view``).

    If scripting fails, the trace is shown alone with the reason.

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

    Raises:
        ViewOptionError: ``against`` is neither ``"script"`` nor ``"export"``, ``exported`` is given
            without ``against="export"``, or a bad ``depth``.
    """
    GraphOptions.from_keywords(depth=depth)  # a bad depth fails before the model runs
    if against not in _AGAINST:
        raise ViewOptionError(
            f"compare(against={against!r}) is not a side the toolkit can draw. Fix: pass against='script'"
            " (trace and script) or against='export' (trace, script and torch.export)."
        )
    if exported is not None and against != "export":
        raise ViewOptionError("compare(exported=...) is the export side. Fix: pass against='export' with it.")
    if against == "export":
        return _compare_with_export(model, example_inputs, depth=depth, exported=exported)
    traced = capture_trace(model, example_inputs)
    try:
        scripted = capture_script(model)
    except ScriptingError as exc:
        return _present(compare_view(traced, None, scripting_error=str(exc), depth=depth))
    return _present(compare_view(traced, scripted, depth=depth))


def _compare_with_export(model: Any, example_inputs: Any, *, depth: int | None, exported: Any) -> Any:
    """Every side captured, each failure kept as its explanation; the static three-pane view."""
    traced = scripted = None
    trace_error = scripting_error = ""
    try:
        traced = capture_trace(model, example_inputs)
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
