"""The warning category of toolkit.partition, and the one way notes are issued.

Every note (CUDA missing, a segment that failed to compile, batch-baked constants, a model
that ended up entirely on the CPU) is both warned, so a notebook shows it, and kept in the
plan's ``notes``, so ``plan_of(module)`` can still tell it after a save/load.
"""

from __future__ import annotations

import os
import sys
import warnings
from types import FrameType

__all__ = ["PartitionWarning", "Notes"]


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
