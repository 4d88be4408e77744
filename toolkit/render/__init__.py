"""Static views: object -> drawable -> drawing -> DOT -> SVG, highlighted code, trace-vs-script compare.

Knows nothing of widgets: :mod:`toolkit.views` decides when a notebook gets a widget instead.
"""

from toolkit.render.api import code, compare_view, graph_view, to_dot
from toolkit.render.options import DotOptions, GraphOptions

__all__ = ["DotOptions", "GraphOptions", "code", "compare_view", "graph_view", "to_dot"]
