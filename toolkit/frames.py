"""Where code lives: torch's, the toolkit's, the standard library's, or the user's.

Every "which line of *your* code did this?" answer in the toolkit (a TracerWarning, a node's
traced source range, a failed trace, a tensor read as a Python value) walks frames outward
until it leaves torch, the toolkit and the standard library. The one definition is here.
"""

from __future__ import annotations

import contextlib
import linecache
import os

import torch

__all__ = [
    "STDLIB_DIR",
    "TOOLKIT_DIR",
    "TORCH_DIR",
    "innermost_user_frame",
    "is_library_path",
    "is_torch_path",
    "user_location_text",
]

TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
TOOLKIT_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
STDLIB_DIR = os.path.dirname(contextlib.__file__) + os.sep


def is_torch_path(path: str) -> bool:
    """True for a file inside the installed torch package."""
    return _absolute(path).startswith(TORCH_DIR)


def is_library_path(path: str) -> bool:
    """True for torch, the toolkit, the standard library and frozen modules: not user code."""
    if path.startswith("<frozen"):
        return True
    absolute = _absolute(path)
    return absolute.startswith(TORCH_DIR) or absolute.startswith(TOOLKIT_DIR) or absolute.startswith(STDLIB_DIR)


def innermost_user_frame(exc: BaseException) -> tuple[str, int] | None:
    """``(file, line)`` of the innermost user frame in ``exc``'s traceback, or ``None``."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not is_library_path(filename):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def user_location_text(exc: BaseException) -> str:
    """`` at file:line `source` `` for the user's innermost frame in ``exc``, or ``""``: for messages."""
    where = innermost_user_frame(exc)
    if where is None:
        return ""
    text = linecache.getline(where[0], where[1]).strip()
    return f" at {where[0]}:{where[1]}" + (f" `{text}`" if text else "")


def _absolute(path: str) -> str:
    return path if path.startswith("<") else os.path.abspath(path)
