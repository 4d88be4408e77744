"""The warning category of toolkit.partition, the one way notes are issued, and where an op's
code lives for messages.

Every note (CUDA missing, a segment that failed to compile, batch-baked constants, a model
that ended up entirely on the CPU) is both warned, so a notebook shows it, and kept in the
plan's ``notes``, so ``plan_of(module)`` can still tell it after a save/load. Messages that
list ops group them by :func:`code_owner`, so 45 writes inside one torchvision class are one
line that says it is library code.
"""

from __future__ import annotations

import inspect
import os
import sys
import warnings
from types import FrameType
from typing import Any, Callable

from toolkit.frames import display_file_name, is_library_path
from toolkit.ir.model import Node

__all__ = ["PartitionWarning", "Notes", "CodeOwner", "code_owner"]

CodeOwner = Callable[[Node], tuple[str, bool]]


class PartitionWarning(UserWarning):
    """Something about a partition the user should know: a fallback, a default, a risk."""


class Notes:
    """Collects notes in order and warns each one."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, message: str, *, warn: bool = True) -> None:
        """Record ``message`` and, unless ``warn=False``, warn it as a :class:`PartitionWarning`
        attributed to the user's line that called into the toolkit."""
        self.lines.append(message)
        if warn:
            warnings.warn(message, PartitionWarning, stacklevel=_user_stacklevel())


_TOOLKIT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _user_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside the toolkit, counted from warnings.warn's caller."""
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_TOOLKIT_DIR):
        frame = frame.f_back
        level += 1
    return level


def code_owner(model: Any) -> CodeOwner:
    """``node -> (where, library)``: where a node's code lives, for messages, and whether it is
    library code the user must not be told to edit.

    A traced node's ``source`` is its first *user* frame, which for an op inside torchvision is
    the user's own ``trace(...)`` line. The module the node sits in says more: when its class is
    defined in library code (an installed package, or a path ``library_code()`` adds) the answer
    is that class and its file (``ShiftedWindowAttention (swin_transformer.py)``).
    """

    def owner(node: Node) -> tuple[str, bool]:
        module = _submodule(model, node.scope.path)
        if module is not None:
            file = _class_file(type(module))
            if file is not None and (is_library_path(file) or node.library):
                return f"{type(module).__name__} ({display_file_name(file)})", True
        if node.source is not None:
            return node.source.short, node.library
        return node.scope.dotted or "the model", node.library

    return owner


def _submodule(model: Any, path: tuple[str, ...]) -> Any:
    get = getattr(model, "get_submodule", None)
    if get is None:
        return None
    try:
        return get(".".join(path))
    except (AttributeError, TypeError):
        return None


def _class_file(cls: type) -> str | None:
    try:
        return inspect.getsourcefile(cls)
    except (TypeError, OSError):
        return None
