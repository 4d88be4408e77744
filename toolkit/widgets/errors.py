"""Errors of the widget layer, defined with the rest of the tree in :mod:`toolkit.errors`."""

from toolkit.errors import NotebookStateError, WidgetSelectionError

__all__ = ["NotebookStateError", "WidgetSelectionError"]
