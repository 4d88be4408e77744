"""What a notebook cell gets from ``toolkit.show`` and ``toolkit.compare``: a view.

This is the top of the display route: the user's object is resolved once into a drawable
(:func:`toolkit.render.drawable.to_drawable`), drawn as a static view by the render layer (SVG
with a text fallback, knowing nothing of widgets), and handed to :func:`toolkit.widgets.present`,
which returns a widget inside a live kernel with anywidget installed and the static view
everywhere else (scripts, tests, nbconvert). Pipelines and partitioned models stay static: their
drawings (one box per op call; placement colours and transfer edges) have no IR node behind
every box. ``compare`` traces and scripts here, so the render layer never runs a model.
"""

from __future__ import annotations

from typing import Any

from toolkit.capture import script as capture_script
from toolkit.capture import trace as capture_trace
from toolkit.errors import ScriptingError
from toolkit.render.api import code, compare_view, graph_view_of
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


def compare(model: Any, example_inputs: Any, *, depth: int | None = None) -> Any:
    """Trace and script ``model`` side by side, what the trace lost marked (see ``compare_view``).

    If scripting fails, the trace is shown alone with the reason.
    """
    GraphOptions.from_keywords(depth=depth)  # a bad depth fails before the model runs
    traced = capture_trace(model, example_inputs)
    try:
        scripted = capture_script(model)
    except ScriptingError as exc:
        return _present(compare_view(traced, None, scripting_error=str(exc), depth=depth))
    return _present(compare_view(traced, scripted, depth=depth))


def _present(view: Any, *, code: CodeView | None = None) -> Any:
    try:
        from toolkit.widgets import present
    except ImportError:  # the notebook extras are not installed: the static view displays itself
        return view
    return present(view) if code is None else present(view, code=code)
