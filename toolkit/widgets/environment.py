"""Where the toolkit is running: a live Jupyter kernel with the widget packages, or not.

Why it matters: an interactive widget only works when a kernel is connected to a front end
that can run its JavaScript. In a script, a terminal IPython or a test, the static views are
the right answer (they print, and they still show SVG when saved in a notebook).
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["has_widget_packages", "in_live_kernel"]

_WIDGET_PACKAGES = ("anywidget", "ipywidgets", "traitlets")


def in_live_kernel() -> bool:
    """True inside an IPython *kernel* (Jupyter, VS Code, nbclient), not a terminal shell.

    Looks only at modules already imported: a plain Python process never imports IPython
    because of this check.
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def has_widget_packages() -> bool:
    """True when anywidget, ipywidgets and traitlets can be imported."""
    return all(importlib.util.find_spec(name) is not None for name in _WIDGET_PACKAGES)
