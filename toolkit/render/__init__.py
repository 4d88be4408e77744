"""Static views: IR -> view graph -> DOT -> SVG, highlighted code, trace-vs-script compare.

Knows nothing of widgets. Public entry points (re-exported by :mod:`toolkit`):
:func:`to_dot`, :func:`show`, :func:`code`, :func:`compare`.
"""

from toolkit.render.api import code, compare, show, to_dot

__all__ = ["code", "compare", "show", "to_dot"]
