"""What a notebook cell gets from ``toolkit.show`` and ``toolkit.compare``.

The render layer builds static views (SVG with a text fallback) and knows nothing of widgets;
this module, above both, hands a view to :func:`toolkit.widgets.present`, which returns a
widget inside a live kernel with anywidget installed and the static view everywhere else
(scripts, tests, nbconvert). Pipelines and partitioned models stay static: their drawings
(one node per op call; placement colours and transfer edges) have no IR nodes behind every box.
"""

from __future__ import annotations

from typing import Any

from toolkit.render.api import code, compare_view, graph_view, torch_object
from toolkit.render.display import CodeView
from toolkit.render.partition_view import partition_plan_of
from toolkit.render.pipeline_view import is_pipeline

__all__ = ["compare", "show"]


def show(obj: Any, **options: Any) -> Any:
    """Show a TorchScript graph: interactive in a live notebook kernel, else a static view.

    Takes the same arguments as :func:`toolkit.render.api.graph_view`.
    """
    view = graph_view(obj, **options)
    target = torch_object(obj)
    if (is_pipeline(obj) and options.get("per_op") is not False) or partition_plan_of(target) is not None:
        return view
    module_code = code(target) if hasattr(target, "named_modules") and hasattr(target, "code") else None
    return _present(view, code=module_code)


def compare(model: Any, example_inputs: Any, *, depth: int | None = None) -> Any:
    """Trace and script ``model`` side by side, what the trace lost marked (see ``compare_view``)."""
    return _present(compare_view(model, example_inputs, depth=depth))


def _present(view: Any, *, code: CodeView | None = None) -> Any:
    try:
        from toolkit.widgets import present
    except ImportError:  # the notebook extras are not installed: the static view displays itself
        return view
    return present(view) if code is None else present(view, code=code)
