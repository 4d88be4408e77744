"""Interactive graph and code views for live notebooks (issue 3).

``toolkit.show`` and ``toolkit.compare`` build static views (:mod:`toolkit.render`) and hand
them to :func:`present`, which returns an interactive widget when the code runs in a live
Jupyter kernel with anywidget installed, and the static view unchanged everywhere else. The
widget's output keeps the static picture next to the widget (SVG, and HTML holding it as an
image: the one form an untrusted notebook shows, :mod:`toolkit.render.saved_picture`), so a
saved notebook still shows the graph on GitHub, in nbconvert and reopened in JupyterLab.

What the widget adds, all in the browser (the kernel may be busy): expand and collapse
modules and ``prim::If``/``prim::Loop`` blocks, fold identical repeated blocks, set the
depth, pan/zoom, export SVG, regex search, node details, and links between each node and
its line of TorchScript ``.code`` and of the user's Python. The selection comes back to
Python as traits (``view.selected`` is the IR node), so a lesson can observe clicks.

Layout is Graphviz compiled to WebAssembly, run in a Web Worker, bundled in the package
(``static/toolkit-widgets.js``) and delivered once per page; nothing is fetched at run time.

Saved notebooks: ``python -m toolkit.widgets.notebook_state notebooks/*.ipynb`` turns widget
outputs into their static form and removes widget state (the committed lessons); under
``make lab`` JupyterLab saves widget state instead, so a teacher's own notebook reopens with its
widgets drawn from it (scripts/jupyter/README.md).

Nothing here imports torch; anywidget and ipywidgets are imported only when a widget is made.
"""

from __future__ import annotations

from typing import Any

from toolkit.render.display import CodeView, CompareView, GraphView
from toolkit.widgets.environment import has_widget_packages, in_live_kernel

__all__ = ["present"]


def present(view: Any, *, code: CodeView | None = None) -> Any:
    """The interactive form of a static view in a live kernel; the static view otherwise.

    Args:
        view: a :class:`GraphView` or :class:`CompareView`; anything else is returned as is.
        code: TorchScript code per module for a graph view's code pane; without it the pane
            shows the graph's own ``.code``.

    Returns:
        A :class:`~toolkit.widgets.shells.GraphWidget` / :class:`~toolkit.widgets.shells.CompareWidget`
        inside a kernel with anywidget installed; ``view`` unchanged elsewhere.
    """
    if not isinstance(view, (GraphView, CompareView)):
        return view
    if not (in_live_kernel() and has_widget_packages()):
        return view
    from toolkit.widgets.shells import CompareWidget, GraphWidget

    if isinstance(view, CompareView):
        return CompareWidget(view)
    return GraphWidget(view, code=code)
